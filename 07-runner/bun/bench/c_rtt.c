/*
 * c_rtt.c — the C peer of the Bun supervisor benchmark (07-runner/bun).
 *
 *     c_rtt PROGRAM POLICY N
 *
 * Starts PROGRAM (a C-lib echo service) under POLICY through libpodrun (the
 * same C API the Bun module wraps), then does N request/response round trips
 * exactly as Pod.request() does: podrun_send(), then podrun_dispatch(p, 100) /
 * podrun_recv() until the reply is there. Prints "rtt_us <average>".
 *
 * Builds on include/podrun.h (libpodrun.so). Used by bench.ts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "podrun.h"

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* One round trip; 0 on success. */
static int round_trip(podrun_t *p, char *buf, uint32_t cap)
{
	if (podrun_send(p, "x", 1) < 0)
		return -1;
	for (;;) {
		int n = podrun_recv(p, buf, cap);
		char ev[4096];
		while (podrun_next_event(p, ev, sizeof(ev)) >= 0)
			; /* Pod.request() collects events too: the same work */
		if (n >= 0)
			return 0;
		if (podrun_state(p) == PODRUN_EXITED || podrun_dispatch(p, 100) < 0)
			return -1;
	}
}

int main(int argc, char **argv)
{
	podrun_t *p = NULL;
	static char buf[1 << 16];
	int status = 1;

	if (argc != 4) {
		fprintf(stderr, "usage: c_rtt PROGRAM POLICY N\n");
		return 2;
	}
	long n = atol(argv[3]);
	/* 1. configure and start, as Pod.start() does */
	if (podrun_new(&p) < 0 || podrun_set_program(p, argv[1]) < 0 ||
	    podrun_set_policy_file(p, argv[2]) < 0 || podrun_set_serve(p, 0) < 0 ||
	    podrun_set_events(p, 1) < 0 || podrun_set_verbosity(p, PODRUN_QUIET) < 0)
		goto cleanup;
	if (podrun_start(p) < 0) {
		fprintf(stderr, "c_rtt: %s\n", podrun_error(p));
		goto cleanup;
	}
	/* 2. warm up, then measure */
	for (int i = 0; i < 1000; i++)
		if (round_trip(p, buf, sizeof(buf)) < 0)
			goto cleanup;
	double t0 = now_us();
	for (long i = 0; i < n; i++)
		if (round_trip(p, buf, sizeof(buf)) < 0)
			goto cleanup;
	printf("rtt_us %.3f\n", (now_us() - t0) / (double)n);
	/* 3. stop */
	podrun_stop(p, -1);
	status = podrun_wait(p) == 0 ? 0 : 1;
cleanup:
	podrun_free(p);
	return status;
}
