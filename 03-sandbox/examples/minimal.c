/*
 * minimal.c — the smallest complete use of 03-sandbox: one command in a pod.
 *
 * The plan shows the pod only /usr (read-only) and a few symlinks, /proc and
 * /dev; the shell inside lists its whole root, says who it is, and fails to
 * read a host file that is simply not there. As root: make -C 03-sandbox try
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sandbox.h"

int main(void)
{
	char *const argv[] = { "/bin/sh", "-c",
			       "echo \"uid=$(id -u) pid=$$\"; ls /; cat /etc/passwd", NULL };
	struct sandbox_error err = { "" };
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	int status = -1;

	if (geteuid() != 0) {
		printf("SKIP: minimal: a sandbox needs root\n");
		return 0;
	}
	if (sandbox_cfg_new(&c) < 0)
		return 1;
	sandbox_plan_ro(c, "/usr", NULL, 0); /* NULL: same path inside */
	sandbox_plan_symlink(c, "usr/bin", "/bin");
	sandbox_plan_symlink(c, "usr/lib", "/lib");
	sandbox_plan_symlink(c, "usr/lib64", "/lib64");
	sandbox_plan_proc(c, "/proc");
	sandbox_plan_dev(c, "/dev");
	sandbox_cfg_set_exec(c, NULL, argv); /* NULL: argv[0] is the program */
	sandbox_cfg_add_fd(c, 1, 1);         /* the pod writes to our stdout and stderr */
	sandbox_cfg_add_fd(c, 2, 2);
	if (sandbox_spawn(c, &sb, &err) < 0 || sandbox_release(sb, &err) < 0) {
		fprintf(stderr, "sandbox: %s\n", err.msg);
		sandbox_cfg_free(c);
		sandbox_destroy(sb);
		return 1;
	}
	sandbox_cfg_free(c);
	sandbox_wait(sb, &status, 0); /* blocks until the pod's init exits */
	printf("pod exited with status %d\n", status);
	sandbox_destroy(sb);
	return 0;
}
