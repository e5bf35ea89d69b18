/*
 * try.c — debugging aid of layer 03-sandbox tests: run one probe command in
 * the standard pod and print the answer and the status.
 *   SBX_PROBE=build/tests/probe build/tests/try read /etc/shadow
 */
#include "podrun_min.h"

int main(int argc, char **argv)
{
	struct fixture fx;
	struct pod_result r;
	sandbox_cfg_t *c;

	if (argc < 2 || fixture_make(&fx) < 0)
		return 1;
	c = std_cfg(&fx);
	cfg_probe(c, (const char *const *)argv + 1);
	pod_run(c, &r, NULL);
	printf("rc=%d status=%d err='%s'\nout=%s", r.rc, r.status, r.err, r.out);
	fixture_remove(&fx);
	return 0;
}
