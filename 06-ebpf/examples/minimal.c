/*
 * minimal.c — the smallest complete use of 06-ebpf: audit one process.
 *
 * A child becomes pid 1 of a new pid namespace (the auditor's target, like a
 * pod's init) and waits on a pipe until the probes are attached; then it runs
 * `cat /etc/hostname` (output discarded). The parent prints the exec and open events the kernel
 * reported for it. As root: make -C 06-ebpf try
 */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sysaudit.h"

static int print_event(void *ctx, const struct sysaudit_event *ev)
{
	(void)ctx;
	if (ev->kind == SYSAUDIT_EV_EXEC)
		printf("pid %u exec %s (the file: %s) -> %lld\n", ev->pid, ev->raw, ev->path,
		       (long long)ev->ret);
	else if (ev->kind == SYSAUDIT_EV_OPEN && strcmp(ev->path, "/etc/hostname") == 0)
		printf("pid %u %s %s -> fd %lld\n", ev->pid, ev->syscall, ev->path,
		       (long long)ev->ret);
	return 0;
}

int main(void)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_DETAILED };
	sysaudit_t *a = NULL;
	int go[2], status;

	if (geteuid() != 0) {
		printf("SKIP: minimal: eBPF needs root\n");
		return 0;
	}
	if (pipe(go) < 0 || unshare(CLONE_NEWPID) < 0) /* our next child is pid 1 of a new ns */
		return 1;
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(go[1]);
		freopen("/dev/null", "w", stdout); /* the file's text differs per machine */
		if (read(go[0], &c, 1) == 1)       /* wait until the auditor is attached */
			execl("/bin/cat", "cat", "/etc/hostname", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	o.target_pid = child;
	if (sysaudit_new(&a) < 0 || sysaudit_open(a, &o) < 0 || sysaudit_attach(a) < 0) {
		fprintf(stderr, "sysaudit: %s\n", a ? sysaudit_last_error(a) : "out of memory");
		return 1;
	}
	fflush(stdout);
	if (write(go[1], "g", 1) != 1)
		return 1;
	waitpid(child, &status, 0);
	while (sysaudit_poll(a, 100, print_event, NULL) > 0) /* drain what is left */
		;
	printf("child exit status %d\n", WEXITSTATUS(status));
	sysaudit_destroy(a);
	return 0;
}
