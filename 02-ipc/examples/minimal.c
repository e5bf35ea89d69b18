/*
 * minimal.c — 02-ipc's smallest use: the runner side makes the socket directory
 * and the rings; a forked child is the worker (C SDK): it connects, says HELLO and
 * answers every frame in upper case until STOP. make -C 02-ipc try
 */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_worker.h"

static int worker(const char *sock, int shm_fd)
{
	struct ipc_worker_opts o = { .socket_path = sock, .shm_fd = shm_fd };
	ipc_worker_t *w;
	char buf[256];
	int n;

	if (ipc_worker_connect(&o, &w) < 0)
		return 1;
	while ((n = ipc_worker_recv(w, buf, sizeof buf, 5000)) >= 0) {
		for (int i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		ipc_worker_send(w, buf, (uint32_t)n);
	}
	ipc_worker_close(w);
	return n == -ESHUTDOWN ? 0 : 1; /* STOP is the normal end */
}

int main(void)
{
	struct ipc_runner_opts o;
	struct ipc_event ev;
	ipc_runner_t *r;
	char buf[256];
	int replies = 0, n, status, closed = 0;

	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	if (ipc_runner_create(&o, &r) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0)
		_exit(worker(ipc_runner_socket_path(r), ipc_runner_shm_fd(r)));
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PID, .pid = child, .uid = (uid_t)-1 };
	ipc_runner_expect_peer(r, &rule); /* only this process may connect */
	while (!closed) {
		struct pollfd pfd = { .fd = ipc_runner_fd(r), .events = POLLIN };
		poll(&pfd, 1, 1000);
		while (!closed && ipc_runner_dispatch(r, &ev) == 1) {
			if (ev.type == IPC_EV_READY) {
				printf("runner: the worker said HELLO (pid %s)\n",
				       ev.peer.pid == child ? "checked" : "?");
				for (const char *m = "one\0two\0three\0"; *m; m += strlen(m) + 1)
					ipc_runner_send(r, m, (uint32_t)strlen(m));
			} else if (ev.type == IPC_EV_DATA) {
				while ((n = ipc_runner_recv(r, buf, sizeof buf - 1)) >= 0) {
					buf[n] = '\0';
					printf("runner: reply %s\n", buf);
					if (++replies == 3) /* STOP, 1 s deadline */
						ipc_runner_stop(r, 1000);
				}
			} else if (ev.type == IPC_EV_CLOSED) {
				printf("runner: session closed (%s)\n",
				       ev.err ? ev.reason : "clean");
				closed = 1;
			}
		}
	}
	waitpid(child, &status, 0);
	ipc_runner_destroy(r);
	printf("worker exit status %d\n", WEXITSTATUS(status));
	return replies == 3 ? 0 : 1;
}
