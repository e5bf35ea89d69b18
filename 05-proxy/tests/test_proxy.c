/*
 * test_proxy.c — the Check suite of layer 05-proxy (main).
 *
 * Layer 05 (proxy), tests only. One Suite, one TCase per aspect:
 *   parsers   the four hostile-input parsers (test_parsers.c)
 *   loopback  proxy + DNS on 127.0.0.1 with raw sockets (test_loopback.c)
 *   netns     real namespaces, veth, nftables, curl/python/bun (test_netns.c)
 */
#include <check.h>
#include <stdlib.h>

TCase *tcase_parsers(void);
TCase *tcase_loopback(void);
TCase *tcase_netns(void);

int main(void)
{
	Suite *s = suite_create("05-proxy");
	suite_add_tcase(s, tcase_parsers());
	suite_add_tcase(s, tcase_loopback());
	suite_add_tcase(s, tcase_netns());
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
