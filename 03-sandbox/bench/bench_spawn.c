/*
 * bench_spawn.c — benchmark of layer 03-sandbox: spawn-to-exit of /bin/true.
 *
 * Layer 03-sandbox, bench. Builds on include/sandbox.h; peers are bubblewrap
 * (`bwrap --unshare-all --die-with-parent` with the same read-only binds) and a
 * plain fork+exec, measured in the same run, interleaved round by round so
 * that machine noise hits all of them alike.
 *
 * Full sandbox = every namespace but user, the mount plan below, seccomp,
 * Landlock, rlimits, memory + pids cgroup limits. Variants without some of the
 * pieces show where the time goes. Prints a table, then the BENCH line:
 *   BENCH 03-sandbox spawn_true <median ms> ms vs=bwrap ratio=<sandbox/bwrap>
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

extern char **environ;

#define ROUNDS 200
#define COLD 10

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

enum variant { FULL, NO_CGROUP, NO_NET, BARE, NVARIANT };
static const char *const vname[] = {
	"sandbox (full)",
	"sandbox w/o cgroup limits",
	"sandbox w/o netns",
	"sandbox w/o netns, cgroups, seccomp, landlock",
};

static sandbox_cfg_t *make_cfg(int v)
{
	char *const argv[] = { "/bin/true", NULL };
	struct sandbox_limits l;
	sandbox_cfg_t *c;

	if (sandbox_cfg_new(&c) < 0)
		return NULL;
	sandbox_plan_ro(c, "/usr", NULL, 0);
	sandbox_plan_symlink(c, "usr/lib", "/lib");
	sandbox_plan_symlink(c, "usr/lib64", "/lib64");
	sandbox_plan_symlink(c, "usr/bin", "/bin");
	sandbox_plan_symlink(c, "usr/sbin", "/sbin");
	sandbox_plan_proc(c, "/proc");
	sandbox_plan_dev(c, "/dev");
	sandbox_plan_tmpfs(c, "/tmp", 16 << 20, 01777);
	sandbox_cfg_set_exec(c, NULL, argv);
	sandbox_limits_default(&l);
	if (v == FULL || v == NO_NET) {
		l.memory_bytes = 256ull << 20;
		l.pids_max = 64;
	}
	sandbox_cfg_set_limits(c, &l);
	if (v == NO_NET || v == BARE)
		sandbox_cfg_set_namespaces(c, SANDBOX_NS_DEFAULT & ~SANDBOX_NS_NET);
	if (v == BARE) {
		sandbox_cfg_set_seccomp(c, false);
		sandbox_cfg_set_landlock(c, SANDBOX_LANDLOCK_OFF);
	}
	return c;
}

/* One sandboxed /bin/true; phase times added to @ph (spawn, release, wait+destroy). */
static double run_sandbox(sandbox_cfg_t *c, double ph[3])
{
	struct sandbox_error e;
	sandbox_t *sb = NULL;
	double t0 = now_ms(), t1, t2, t3;
	int st = -1;

	if (sandbox_spawn(c, &sb, &e) < 0) {
		fprintf(stderr, "spawn: %s\n", e.msg);
		exit(1);
	}
	t1 = now_ms();
	if (sandbox_release(sb, &e) < 0) {
		fprintf(stderr, "release: %s\n", e.msg);
		exit(1);
	}
	t2 = now_ms();
	sandbox_wait(sb, &st, 0);
	sandbox_destroy(sb);
	t3 = now_ms();
	if (st != 0) {
		fprintf(stderr, "sandboxed /bin/true exited %d\n", st);
		exit(1);
	}
	ph[0] += t1 - t0;
	ph[1] += t2 - t1;
	ph[2] += t3 - t2;
	return t3 - t0;
}

static double run_argv(char *const argv[])
{
	double t0 = now_ms();
	pid_t pid;
	int st;

	if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0) {
		perror(argv[0]);
		exit(1);
	}
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s failed (%d)\n", argv[0], st);
		exit(1);
	}
	return now_ms() - t0;
}

/* plain fork + exec, the floor */
static double run_fork(void)
{
	double t0 = now_ms();
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	return now_ms() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double p90(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[(n * 9) / 10];
}

int main(void)
{
	char *const bwrap[] = {
		"/usr/bin/bwrap",
		"--unshare-all",
		"--die-with-parent",
		"--ro-bind",
		"/usr",
		"/usr",
		"--symlink",
		"usr/lib",
		"/lib",
		"--symlink",
		"usr/lib64",
		"/lib64",
		"--symlink",
		"usr/bin",
		"/bin",
		"--symlink",
		"usr/sbin",
		"/sbin",
		"--proc",
		"/proc",
		"--dev",
		"/dev",
		"--tmpfs",
		"/tmp",
		"/bin/true",
		NULL,
	};
	static double sb[NVARIANT][ROUNDS], bw[ROUNDS], fk[ROUNDS], pr[ROUNDS];
	static double cold_sb[COLD], cold_bw[COLD];
	double ph[NVARIANT][3] = { { 0 } }, msb, mbw, mfk;
	sandbox_cfg_t *cfg[NVARIANT];
	double load[3] = { 0, 0, 0 };
	FILE *f;

	if (geteuid() != 0) {
		fprintf(stderr, "bench_spawn: needs root (namespaces, cgroups)\n");
		return 1;
	}
	for (int v = 0; v < NVARIANT; v++)
		cfg[v] = make_cfg(v);
	/* warm-up: page cache, seccomp compilation, cgroup discovery */
	for (int i = 0; i < 5; i++) {
		double junk[3] = { 0 };

		run_sandbox(cfg[FULL], junk);
		run_argv(bwrap);
	}
	for (int r = 0; r < ROUNDS; r++) {
		for (int v = 0; v < NVARIANT; v++)
			sb[v][r] = run_sandbox(cfg[v], ph[v]);
		bw[r] = run_argv(bwrap);
		fk[r] = run_fork();
	}
	/* cold: one spawn after an idle pause, the way podrun starts its one pod */
	for (int r = 0; r < COLD; r++) {
		struct timespec idle = { 0, 60 * 1000 * 1000 };
		double junk[3] = { 0 };

		nanosleep(&idle, NULL);
		cold_sb[r] = run_sandbox(cfg[FULL], junk);
		nanosleep(&idle, NULL);
		cold_bw[r] = run_argv(bwrap);
	}
	/* per-round ratio: each sandbox run against the bwrap run next to it */
	for (int r = 0; r < ROUNDS; r++)
		pr[r] = sb[FULL][r] / bw[r];
	f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = -1;
		fclose(f);
	}
	printf("03-sandbox: spawn-to-exit of /bin/true, %d rounds, interleaved (load avg %.2f)\n",
	       ROUNDS, load[0]);
	printf("%-48s %9s %9s   %s\n", "what", "median ms", "p90 ms",
	       "phases (mean ms: spawn / release / wait+destroy)");
	for (int v = 0; v < NVARIANT; v++) {
		double m = median(sb[v], ROUNDS), p = p90(sb[v], ROUNDS);

		printf("%-48s %9.3f %9.3f   %.3f / %.3f / %.3f\n", vname[v], m, p,
		       ph[v][0] / ROUNDS, ph[v][1] / ROUNDS, ph[v][2] / ROUNDS);
	}
	msb = median(sb[FULL], ROUNDS);
	mbw = median(bw, ROUNDS);
	printf("%-48s %9.3f %9.3f\n", "bwrap --unshare-all --die-with-parent", mbw,
	       p90(bw, ROUNDS));
	mfk = median(fk, ROUNDS);
	printf("%-48s %9.3f %9.3f\n", "fork+exec (no sandbox)", mfk, p90(fk, ROUNDS));
	printf("%-48s %9.3f\n", "paired per-round ratio sandbox/bwrap (median)",
	       median(pr, ROUNDS));
	printf("%-48s %9.3f %9.3f\n", "cold (after 60 ms idle): sandbox (full)",
	       median(cold_sb, COLD), p90(cold_sb, COLD));
	printf("%-48s %9.3f %9.3f\n", "cold (after 60 ms idle): bwrap", median(cold_bw, COLD),
	       p90(cold_bw, COLD));
	printf("BENCH 03-sandbox spawn_true %.3f ms vs=bwrap ratio=%.3f\n", msb, msb / mbw);
	printf("BENCH 03-sandbox spawn_true_vs_fork %.3f ms vs=fork_exec ratio=%.3f\n", msb,
	       msb / mfk);
	for (int v = 0; v < NVARIANT; v++)
		sandbox_cfg_free(cfg[v]);
	return 0;
}
