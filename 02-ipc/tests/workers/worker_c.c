/*
 * worker_c.c — the C test and benchmark worker of layer 02-ipc.
 *
 * Layer 02-ipc, tests and bench. Builds on the C worker SDK (ipc_worker.h).
 * Started by tests/harness.c; the Python and Bun suites have the same program
 * in their language (worker.py, worker.ts), so that every SDK is driven by the
 * same runner-side scenarios.
 *
 *   worker_c MODE --pod-socket=PATH --pod-shm-fd=N     (or --sp-fd=N for sp-*)
 *
 * MODE: echo (batches), echo1 (one frame at a time), handler (STOP handler
 * sends "bye" and exits 42), fail (recv until an error, print it, exit 3),
 * sp-echo (plain socketpair echo, the benchmark peer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipc_worker.h"

#define BATCH 256

static int on_stop(ipc_worker_t *w, uint32_t deadline_ms, void *arg)
{
	(void)deadline_ms;
	(void)arg;
	ipc_worker_send(w, "bye", 3);
	return 42;
}

static int sp_echo(int argc, char **argv)
{
	static char buf[65536];
	int fd = -1;
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--sp-fd=", 8))
			fd = atoi(argv[i] + 8);
	if (fd < 0)
		return 2;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			return n == 0 ? 0 : 1;
		if (send(fd, buf, (size_t)n, 0) != n)
			return 1;
	}
}

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	uint32_t lens[BATCH];
	struct iovec iov[BATCH];
	ipc_worker_t *w;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "sp-echo"))
			return sp_echo(argc, argv);
	int ret = ipc_worker_connect_argv(&argc, argv, &w);
	if (ret < 0) {
		fprintf(stderr, "worker_c: connect: %s\n", strerror(-ret));
		return 3;
	}
	const char *mode = argv[1];
	if (!strcmp(mode, "handler"))
		ipc_worker_on_stop(w, on_stop, NULL);
	for (;;) {
		int n;
		if (!strcmp(mode, "echo")) {
			n = ipc_worker_recv_batch(w, buf, sizeof buf, lens, BATCH, -1);
			if (n > 0) {
				size_t off = 0;
				for (int i = 0; i < n; i++, off += lens[i - 1])
					iov[i] = (struct iovec){ buf + off, lens[i] };
				ret = ipc_worker_send_batch(w, iov, (unsigned)n);
			}
		} else {
			n = ipc_worker_recv(w, buf, sizeof buf, -1);
			if (n >= 0)
				ret = ipc_worker_send(w, buf, (uint32_t)n);
		}
		if (n == -ESHUTDOWN) {
			ipc_worker_close(w);
			return 0;
		}
		if (n < 0 || ret < 0) {
			fprintf(stderr, "worker_c: %s\n", ipc_worker_error(w));
			return 3;
		}
	}
}
