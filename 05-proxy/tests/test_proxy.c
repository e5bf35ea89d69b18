/*
 * test_proxy.c — the Check suite of layer 05-proxy (main).
 *
 * Layer 05 (proxy), tests only. One Suite, one TCase per aspect:
 *   parsers   the four hostile-input parsers (test_parsers.c)
 *   loopback  proxy + DNS on 127.0.0.1 with raw sockets (test_loopback.c)
 *   netns     real namespaces, veth, nftables, curl/python/bun (test_netns.c)
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "helpers.h"

TCase *tcase_parsers(void);
TCase *tcase_loopback(void);
TCase *tcase_netns(void);

int main(void)
{
	/* one TLS certificate for the whole run, removed at the end */
	char cmd[160], dir[64];
	if (make_cert_dir(dir, sizeof(dir)) == 0)
		setenv("PXT_CERT_DIR", dir, 1);
	Suite *s = suite_create("05-proxy");
	suite_add_tcase(s, tcase_parsers());
	suite_add_tcase(s, tcase_loopback());
	suite_add_tcase(s, tcase_netns());
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV); /* CK_VERBOSITY=verbose lists every test */
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (getenv("PXT_CERT_DIR")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
