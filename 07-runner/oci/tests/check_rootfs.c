/*
 * check_rootfs.c — libpodrun's "rootfs" options (src/rootfs.c), the library
 * side of podrun-oci: option validation, and policies or programs a pod in its
 * own root file system refuses before anything is created.
 *
 * Layer 07 (runner), through the public API only (include/podrun.h). No root
 * needed: every refusal happens before podrun_start() creates anything.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "podrun.h"

static char root[64];

/* A tiny image: bin/tool (executable), bin/data (not executable). */
static int make_root(void)
{
	char path[128];
	FILE *f;

	snprintf(root, sizeof root, "/tmp/check-rootfs.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(path, sizeof path, "%s/bin", root);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/bin/tool", root);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs("#!/bin/sh\n", f);
	fclose(f);
	if (chmod(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof path, "%s/bin/data", root);
	if (!(f = fopen(path, "w")))
		return -1;
	fclose(f);
	return 0;
}

static void remove_root(void)
{
	char path[128];

	snprintf(path, sizeof path, "%s/bin/tool", root);
	unlink(path);
	snprintf(path, sizeof path, "%s/bin/data", root);
	unlink(path);
	snprintf(path, sizeof path, "%s/bin", root);
	rmdir(path);
	rmdir(root);
}

START_TEST(test_options_are_validated)
{
	podrun_t *p = NULL;

	ck_assert_int_eq(podrun_new(&p), 0);
	ck_assert_int_eq(podrun_set_option(p, "rootfs", "relative/dir"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs", "/nonexistent/podrun-rootfs"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs", root), 0);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-env", "=x"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-env", "NOEQUALS"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-env", "A=b=c"), 0);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-cwd", "/a/../b"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-cwd", "rel"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-cwd", "/srv/app"), 0);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-user", "0"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-user", "1:x"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-user", "-1:0"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-user", "1000:1000"), 0);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-hostname", "has space"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-hostname", ""), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-bind", "rx\t/a\t/b"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-bind", "ro\t/a"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-bind", "ro\trel\t/b"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-bind", "ro\t/a\t/"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-bind", "ro\t/a\t/b\t/c"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-bind", "rw\t/a\t/b"), 0);
	ck_assert_int_eq(podrun_set_option(p, "cpu-percent", "-5"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "cpu-percent", "50"), 0);
	ck_assert_int_eq(podrun_set_option(p, "rlimit-nofile", "12abc"), -EINVAL);
	ck_assert_int_eq(podrun_set_option(p, "rlimit-nofile", "256"), 0);
	ck_assert_int_eq(podrun_set_option(p, "rootfs-unknown", "x"), -ENOENT);
	podrun_free(p);
}
END_TEST

/* podrun_start() refuses; nothing was created (exit code 2 = usage/policy). */
static void refused(const char *program, const char *policy, const char *needle)
{
	podrun_t *p = NULL;

	ck_assert_int_eq(podrun_new(&p), 0);
	podrun_set_verbosity(p, PODRUN_QUIET);
	ck_assert_int_eq(podrun_set_option(p, "rootfs", root), 0);
	ck_assert_int_eq(podrun_set_program(p, program), 0);
	if (policy)
		ck_assert_int_eq(podrun_set_policy_json(p, policy), 0);
	ck_assert_int_eq(podrun_start(p), -EINVAL);
	ck_assert_int_eq(podrun_state(p), PODRUN_FAILED);
	ck_assert_int_eq(podrun_exit_code(p), PODRUN_EXIT_USAGE);
	ck_assert_msg(strstr(podrun_error(p), needle), "error \"%s\" lacks \"%s\"", podrun_error(p),
		      needle);
	podrun_free(p);
}

#define IMAGE_OK                                                                                   \
	"\"fs\":{\"default\":\"allow\"},\"run\":{\"default\":\"allow\"},\"ffi\":{\"default\":"     \
	"\"allow\"}"

START_TEST(test_policy_must_fit_the_image)
{
	/* the defaults deny fs, run and ffi: the whole image could not be the view */
	refused("/bin/tool", "{\"version\":1}", "fs.read must default to \"allow\"");
	refused("/bin/tool", "{\"fs\":{\"default\":\"allow\"},\"ffi\":{\"default\":\"allow\"}}",
		"run must default to \"allow\"");
	refused("/bin/tool",
		"{\"fs\":{\"default\":\"allow\",\"read\":{\"deny\":[\"/etc\"]}},"
		"\"run\":{\"default\":\"allow\"},\"ffi\":{\"default\":\"allow\"}}",
		"fs.read rule \"/etc\" is not supported");
	refused("/bin/tool", "{" IMAGE_OK ",\"env\":{\"allow\":[\"HOME\"]}}",
		"env rule \"HOME\" is not supported");
}
END_TEST

START_TEST(test_program_is_found_in_the_image)
{
	const char *pol = "{" IMAGE_OK "}";

	refused("/bin/missing", pol, "no executable file of that name in the root file system");
	refused("/bin/data", pol, "no executable file");          /* not executable */
	refused("/bin", pol, "no executable file");               /* a directory */
	refused("missing", pol, "no executable file");            /* bare name, PATH of the image */
	refused("/../../bin/missing", pol, "no executable file"); /* ".." stays inside the image */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rootfs");
	TCase *tc = tcase_create("rootfs");
	SRunner *sr;
	int failed;

	if (make_root() < 0) {
		perror("check_rootfs: test image");
		return 1;
	}
	tcase_add_test(tc, test_options_are_validated);
	tcase_add_test(tc, test_policy_must_fit_the_image);
	tcase_add_test(tc, test_program_is_found_in_the_image);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_root();
	return failed ? 1 : 0;
}
