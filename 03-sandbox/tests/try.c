/*
 * try.c — a learner's and debugger's aid of layer 03-sandbox: run one probe
 * command (tests/probe.c) in the standard pod of the escape suite and print
 * the result and the status. As root, from 03-sandbox/:
 *
 *   make try                                   # builds it, runs "read /etc/shadow"
 *   build/tests/try read /etc/shadow           # any probe command, e.g. "write /usr/x"
 *
 * SBX_PROBE names the probe binary (default build/tests/probe).
 */
#include <limits.h>

#include "podrun_min.h"

int main(int argc, char **argv)
{
	struct fixture fx;
	struct pod_result r;
	sandbox_cfg_t *c;

	char probe[PATH_MAX];

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROBE-COMMAND [ARGS...]   (e.g. read /etc/shadow)\n",
			argv[0]);
		return 2;
	}
	if (!realpath(probe_path(), probe)) { /* the plan's bind source must be absolute */
		perror(probe_path());
		return 1;
	}
	setenv("SBX_PROBE", probe, 1);
	if (fixture_make(&fx) < 0)
		return 1;
	c = std_cfg(&fx);
	cfg_probe(c, (const char *const *)argv + 1);
	pod_run(c, &r, NULL);
	printf("rc=%d status=%d err='%s'\nout=%s", r.rc, r.status, r.err, r.out);
	fixture_remove(&fx);
	return 0;
}
