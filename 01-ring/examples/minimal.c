/*
 * minimal.c — the smallest complete use of 01-ring: two processes, one ring.
 *
 * The "runner" creates the shared memory, the "pod" (a forked child) attaches
 * to it through the inherited descriptor, as a real pod does with fd 3, and
 * writes three frames; the runner reads them. Build and run: make -C 01-ring try
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ring.h"

static int pod(int fd)
{
	ring_shm_t *shm;
	char msg[32];

	if (ring_shm_attach_fd(fd, &shm) < 0) /* validates the header it maps */
		return 1;
	ring_t *tx = ring_shm_ring(shm, RING_DIR_TO_RUNNER);
	for (int i = 1; i <= 3; i++) {
		int n = snprintf(msg, sizeof msg, "hello %d", i);
		while (ring_write(tx, msg, (uint32_t)n) == -EAGAIN) /* full: wait for room */
			sched_yield();
	}
	ring_shm_destroy(shm);
	return 0;
}

int main(void)
{
	ring_shm_t *shm;
	char buf[64];
	int got = 0, status, ret = ring_shm_create(64 * 1024, &shm);

	if (ret < 0) {
		fprintf(stderr, "ring_shm_create: %s\n", strerror(-ret));
		return 1;
	}
	pid_t child = fork();
	if (child == 0)
		_exit(pod(ring_shm_fd(shm)));
	ring_t *rx = ring_shm_ring(shm, RING_DIR_TO_RUNNER);
	while (got < 3) {
		int n = ring_read(rx, buf, sizeof buf - 1); /* copies the frame out */
		if (n == -EAGAIN) {
			sched_yield();
			continue;
		}
		if (n < 0) {
			fprintf(stderr, "ring_read: %s\n", strerror(-n));
			break;
		}
		buf[n] = '\0';
		printf("runner read %d bytes: %s\n", n, buf);
		got++;
	}
	waitpid(child, &status, 0);
	ring_shm_destroy(shm);
	return got == 3 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
