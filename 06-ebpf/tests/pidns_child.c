/*
 * pidns_child.c — test helper of layer 06-ebpf: a gated child in a new pid
 * namespace (see pidns_child.h). Used by the Check suite and the benchmark.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidns_child.h"

int ns_child_start(struct ns_child *c, int extra_flags, ns_child_fn fn, void *arg)
{
	int gate[2];
	long pid;
	char b;

	c->pid = -1;
	c->gate_fd = -1;
	if (pipe2(gate, O_CLOEXEC) != 0)
		return -errno;
	/* Raw clone with no new stack behaves like fork(); the child is pid 1 of
	 * a fresh pid namespace. */
	pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWPID | extra_flags | SIGCHLD), NULL, NULL,
		      NULL, NULL);
	if (pid < 0) {
		int err = -errno;

		close(gate[0]);
		close(gate[1]);
		return err;
	}
	if (pid == 0) {
		close(gate[1]);
		if (read(gate[0], &b, 1) != 1)
			_exit(126);
		close(gate[0]);
		_exit(fn(arg));
	}
	close(gate[0]);
	c->pid = (pid_t)pid;
	c->gate_fd = gate[1];
	return 0;
}

int ns_child_go(struct ns_child *c)
{
	int rc = 0;

	if (c->gate_fd < 0)
		return -EBADF;
	if (write(c->gate_fd, "g", 1) != 1)
		rc = -errno;
	close(c->gate_fd);
	c->gate_fd = -1;
	return rc;
}

int ns_child_wait(struct ns_child *c, int *status)
{
	int st = 0;

	if (c->pid <= 0)
		return -ECHILD;
	if (waitpid(c->pid, &st, 0) < 0)
		return -errno;
	c->pid = -1;
	if (status)
		*status = st;
	return 0;
}

void ns_child_kill(struct ns_child *c)
{
	if (c->gate_fd >= 0) {
		close(c->gate_fd);
		c->gate_fd = -1;
	}
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = -1;
	}
}
