/*
 * bench_pool.c — warm pools against fresh starts, same run, same API: the time
 * from podrun_start() (fresh) or podrun_pool_take() (pool) to the worker's
 * first message, for a Python worker (first.py: connects, sends one message)
 * and a C-library worker (triv_clib.so: the echo of the first message sent).
 *
 *   BENCH 07-runner pool_take_python <ms> ms vs=start_python_api ratio=<r>
 *   BENCH 07-runner pool_take_clib <ms> ms vs=start_clib_api ratio=<r>
 *
 * The peers start_python_api / start_clib_api are fresh pods started with the
 * same template configuration through the same API in the same run (medians).
 * A take is measured when the pool is full again (the refill of the previous
 * take is not part of it; it happens in the pool's thread).
 *
 * Layer 07 (runner), bench. Builds on include/podrun.h (libpodrun.a).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "podrun.h"

#define RUNS 15

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void configure(podrun_t *p, const char *program)
{
	podrun_set_program(p, program);
	podrun_set_stdio(p, -1, getenv("BENCH_POOL_DEBUG") ? 2 : -1,
			 getenv("BENCH_POOL_DEBUG") ? 2 : -1);
	podrun_set_verbosity(p, PODRUN_QUIET);
}

/* From now to the first message of @p p (sending one first for a C library). */
static double first_message(podrun_t *p, int clib, double t0)
{
	char buf[256];

	if (clib)
		while (podrun_send(p, "x", 1) == -EAGAIN)
			podrun_dispatch(p, 1);
	for (;;) {
		if (podrun_recv(p, buf, sizeof buf) >= 0)
			return now_ms() - t0;
		if (podrun_state(p) == PODRUN_EXITED || podrun_dispatch(p, 1000) < 0) {
			fprintf(stderr,
				"bench_pool: pod ended before its first message (status %d) %s\n",
				podrun_exit_code(p), podrun_error(p));
			exit(1);
		}
	}
}

static double fresh(const char *program, int clib)
{
	double v[RUNS];

	for (int i = 0; i < RUNS; i++) {
		podrun_t *p = NULL;
		double t0;
		if (podrun_new(&p) < 0)
			exit(1);
		configure(p, program);
		t0 = now_ms();
		if (podrun_start(p) < 0) {
			fprintf(stderr, "bench_pool: start %s: %s\n", program, podrun_error(p));
			exit(1);
		}
		v[i] = first_message(p, clib, t0);
		podrun_stop(p, 0);
		podrun_free(p);
	}
	return median(v, RUNS);
}

static double pooled(const char *program, int clib, unsigned size)
{
	podrun_pool_t *pool = NULL;
	double v[RUNS];

	if (podrun_pool_new(&pool) < 0)
		exit(1);
	configure(podrun_pool_template(pool), program);
	if (podrun_pool_start(pool, size) < 0) {
		fprintf(stderr, "bench_pool: pool %s: %s\n", program, podrun_pool_error(pool));
		exit(1);
	}
	for (int i = 0; i < RUNS; i++) {
		podrun_t *p = NULL;
		double t0, w0 = now_ms();
		while (podrun_pool_ready(pool) < (int)size && now_ms() - w0 < 60000)
			usleep(2000);
		t0 = now_ms();
		if (podrun_pool_take(pool, program, NULL, -1, &p) < 0) {
			fprintf(stderr, "bench_pool: take %s: %s\n", program,
				podrun_pool_error(pool));
			exit(1);
		}
		v[i] = first_message(p, clib, t0);
		podrun_stop(p, 0);
		podrun_free(p);
	}
	podrun_pool_free(pool);
	return median(v, RUNS);
}

int main(void)
{
	const char *dir = getenv("PODRUN_BENCH_DIR"), *src = getenv("PODRUN_BENCH_SRC");
	char py[4096], so[4096];
	double fp, pp, fc, pc;

	if (geteuid() != 0) {
		printf("SKIP: bench_pool needs root (pods with namespaces and cgroups)\n");
		return 0;
	}
	snprintf(py, sizeof py, "%s/first.py", src ? src : "bench");
	snprintf(so, sizeof so, "%s/triv_clib.so", dir ? dir : "build/bench");
	fp = fresh(py, 0);
	pp = pooled(py, 0, 2);
	fc = fresh(so, 1);
	pc = pooled(so, 1, 2);
	printf("\nwarm pools: start or take -> first message (median of %d, same run)\n", RUNS);
	printf("  %-8s fresh %8.2f ms   pool take %6.3f ms   %6.1fx faster\n", "python", fp, pp,
	       fp / pp);
	printf("  %-8s fresh %8.2f ms   pool take %6.3f ms   %6.1fx faster\n", "clib", fc, pc,
	       fc / pc);
	printf("BENCH 07-runner pool_take_python %.3f ms vs=start_python_api ratio=%.4f\n", pp,
	       pp / fp);
	printf("BENCH 07-runner pool_take_clib %.3f ms vs=start_clib_api ratio=%.4f\n", pc,
	       pc / fc);
	return 0;
}
