/*
 * bench_sysaudit.c — benchmark of layer 06-ebpf: what auditing costs the pod.
 *
 * Builds on libsysaudit.a and tests/pidns_child.c. One syscall-heavy workload
 * (getppid loop + open/close loop) runs as pid 1 of a fresh pid namespace:
 *   bare        no auditing
 *   floor_exit  an empty BPF program on tp_btf/sys_exit (bench/floor.bpf.c):
 *               the floor of the one hook the auditor uses
 *   floor_both  empty programs on sys_enter and sys_exit (two hooks)
 *   counters    SYSAUDIT_COUNTERS attached
 *   detailed    SYSAUDIT_DETAILED attached, events drained by this process
 *   host_tax    the same workload outside any audited pod, while another
 *               (idle) pod is audited in SYSAUDIT_DETAILED: what the rest of
 *               the machine pays
 *   strace      the workload under `strace -f -qq -o /dev/null` (the peer)
 * and an open-heavy workload (open/close only), bare and with the always-on
 * report mode (SYSAUDIT_FSREPORT) attached: open_heavy.
 * The floors show the price of the hooks themselves (a traced syscall takes
 * the kernel's slow entry/exit path), which no program on them can go under.
 * Rounds: every configuration once per round, in a rotating order, ROUNDS
 * times. A ratio is taken inside each round (the configuration against the
 * bare run of the same round, close in time), and the median of those ratios
 * is the result: on a shared machine the load changes from second to second,
 * and a ratio of neighbours cancels most of it. Seconds are medians too.
 * Prints a table, then BENCH lines (docs/contracts.md, "Benchmark lines").
 *
 *   bench_sysaudit                 full run
 *   SYSAUDIT_BENCH_GETPPID=N SYSAUDIT_BENCH_OPENS=M SYSAUDIT_BENCH_ROUNDS=R  to resize
 *   SYSAUDIT_BENCH_ONLY=detailed   bare and one configuration (for a profiler)
 *   SYSAUDIT_BENCH_PROFILE=0       without the BPF run-time profile runs
 *   bench_sysaudit --workload N M  (internal: the workload itself, used under strace)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floor.skel.h"
#include "pidns_child.h"
#include "sysaudit.h"

#define OPEN_PATH "/etc/hostname"

static char self_exe[4096]; /* this binary, re-run as the workload under strace */

struct workload {
	long getppid;
	long opens;
};

static int run_workload(const struct workload *w)
{
	for (long i = 0; i < w->getppid; i++)
		syscall(SYS_getppid);
	for (long i = 0; i < w->opens; i++) {
		int fd = open(OPEN_PATH, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}

static int wl_inprocess(void *arg)
{
	return run_workload(arg);
}

static int wl_strace(void *arg)
{
	const struct workload *w = arg;
	char n1[32], n2[32];

	snprintf(n1, sizeof(n1), "%ld", w->getppid);
	snprintf(n2, sizeof(n2), "%ld", w->opens);
	execlp("strace", "strace", "-f", "-qq", "-o", "/dev/null", self_exe, "--workload", n1, n2,
	       (char *)NULL);
	return 127;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count_event(void *ctx, const struct sysaudit_event *ev)
{
	(void)ev;
	++*(long *)ctx;
	return 0;
}

struct result {
	double secs;
	long events;
	uint64_t lost;
	int ok;
};

enum cfg {
	C_BARE,
	C_FLOOR_EXIT,
	C_FLOOR_BOTH,
	C_COUNTERS,
	C_DETAILED,
	C_HOST_TAX,
	C_OH_BARE,
	C_OH_REPORT,
	C_STRACE,
	C_COUNT
};
static const char *const cfg_names[C_COUNT] = { "bare",     "floor_exit", "floor_both",
						"counters", "detailed",   "host_tax",
						"oh_bare",  "oh_report",  "strace" };

/* Load and attach the empty floor programs (@both: sys_enter too). */
static struct floor *floor_up(int both)
{
	struct floor *f = floor__open();

	if (!f)
		return NULL;
	bpf_program__set_autoload(f->progs.floor_enter, both);
	if (floor__load(f) || floor__attach(f)) {
		floor__destroy(f);
		return NULL;
	}
	return f;
}

static sysaudit_t *audit_up(enum sysaudit_mode mode, pid_t target)
{
	struct sysaudit_opts o = { .mode = mode, .target_pid = target };
	sysaudit_t *a = NULL;

	if (sysaudit_new(&a))
		return NULL;
	if (sysaudit_open(a, &o) || sysaudit_attach(a)) {
		fprintf(stderr, "bench: audit: %s\n", sysaudit_last_error(a));
		sysaudit_destroy(a);
		return NULL;
	}
	return a;
}

static int profiling; /* BPF run-time statistics are on: print them per run */

/* What each of the auditor's programs cost in this run: the kernel's own
 * run_cnt / run_time_ns (BPF_ENABLE_STATS), found from the auditor's links. */
static void prof_print(const sysaudit_t *a, const char *cfg)
{
	uint32_t ids[8];
	int n = sysaudit_link_ids(a, ids, 8);

	for (int i = 0; i < n && i < 8; i++) {
		struct bpf_link_info li = { 0 };
		struct bpf_prog_info pi = { 0 };
		__u32 ll = sizeof(li), pl = sizeof(pi);
		int lfd = bpf_link_get_fd_by_id(ids[i]), pfd = -1;

		if (lfd >= 0 && bpf_obj_get_info_by_fd(lfd, &li, &ll) == 0)
			pfd = bpf_prog_get_fd_by_id(li.prog_id);
		if (pfd >= 0 && bpf_obj_get_info_by_fd(pfd, &pi, &pl) == 0 && pi.run_cnt)
			printf("profile %-9s %-10s runs %9llu  %7.0f ns/run  %8.1f ms\n", cfg,
			       pi.name, (unsigned long long)pi.run_cnt,
			       (double)pi.run_time_ns / pi.run_cnt, pi.run_time_ns / 1e6);
		if (pfd >= 0)
			close(pfd);
		if (lfd >= 0)
			close(lfd);
	}
}

/* CPU time (user + system) this process spent between two samples, in ms. */
static double cpu_ms(const struct rusage *a, const struct rusage *b)
{
	return (b->ru_utime.tv_sec - a->ru_utime.tv_sec + b->ru_stime.tv_sec - a->ru_stime.tv_sec) *
		   1e3 +
	       (b->ru_utime.tv_usec - a->ru_utime.tv_usec + b->ru_stime.tv_usec -
		a->ru_stime.tv_usec) /
		   1e3;
}

/* One timed run of the workload under configuration @cfg. */
static struct result one_run(const struct workload *w, enum cfg cfg)
{
	struct result r = { 0 };
	struct floor *fl = NULL;
	struct workload oh = { 0, w->opens };
	struct ns_child c, idle = { -1, -1 };
	sysaudit_t *a = NULL;
	int st = 0, done = 0;
	struct rusage ru0, ru1;
	double t0;

	if (ns_child_start(&c, 0, cfg == C_STRACE ? wl_strace : wl_inprocess,
			   cfg == C_OH_BARE || cfg == C_OH_REPORT ? (void *)&oh : (void *)w))
		return r;
	if (cfg == C_FLOOR_EXIT || cfg == C_FLOOR_BOTH)
		if (!(fl = floor_up(cfg == C_FLOOR_BOTH)))
			goto cleanup;
	if (cfg == C_COUNTERS || cfg == C_DETAILED || cfg == C_OH_REPORT)
		if (!(a = audit_up(cfg == C_COUNTERS   ? SYSAUDIT_COUNTERS
				   : cfg == C_DETAILED ? SYSAUDIT_DETAILED
						       : SYSAUDIT_FSREPORT,
				   c.pid)))
			goto cleanup;
	if (cfg == C_HOST_TAX) { /* another pod, held at its gate, is the one audited */
		if (ns_child_start(&idle, 0, wl_inprocess, (void *)w))
			goto cleanup;
		if (!(a = audit_up(SYSAUDIT_DETAILED, idle.pid)))
			goto cleanup;
	}
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now();
	ns_child_go(&c);
	while (!done) { /* drain like the runner would, until the pod is gone */
		if (a)
			sysaudit_poll(a, 20, count_event, &r.events);
		if (waitpid(c.pid, &st, a ? WNOHANG : 0) == c.pid)
			done = 1;
	}
	r.secs = now() - t0;
	c.pid = -1;
	if (a) {
		while (sysaudit_consume(a, count_event, &r.events) > 0)
			;
		sysaudit_lost(a, &r.lost);
		if (profiling) {
			getrusage(RUSAGE_SELF, &ru1);
			prof_print(a, cfg_names[cfg]);
			printf(
			    "profile %-9s reader     %8ld records %7.0f ns/record %6.1f ms cpu\n",
			    cfg_names[cfg], r.events,
			    r.events ? cpu_ms(&ru0, &ru1) * 1e6 / r.events : 0.0,
			    cpu_ms(&ru0, &ru1));
		}
	}
	r.ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
cleanup:
	ns_child_kill(&c);
	if (idle.pid > 0)
		ns_child_kill(&idle);
	sysaudit_destroy(a);
	floor__destroy(fl);
	return r;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : def;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_ROUNDS 64

static double secs[C_COUNT][MAX_ROUNDS], ratio[C_COUNT][MAX_ROUNDS];

/* the reference of configuration @m inside its round */
static int peer_of(int m)
{
	switch (m) {
	case C_OH_REPORT:
		return C_OH_BARE;
	case C_OH_BARE:
		return C_OH_BARE;
	default:
		return C_BARE;
	}
}

static void bench_ratio(const char *name, int m, const char *peer, int p, int rounds)
{
	double v[MAX_ROUNDS];

	for (int r = 0; r < rounds; r++)
		v[r] = secs[m][r] / secs[p][r];
	printf("BENCH 06-ebpf %s %.3f s vs=%s ratio=%.3f\n", name, median(secs[m], rounds), peer,
	       median(v, rounds));
}

int main(int argc, char **argv)
{
	struct workload w;
	struct result last[C_COUNT];
	int rounds, with_strace;
	const char *only = getenv("SYSAUDIT_BENCH_ONLY"); /* bare and this one */

	if (argc == 4 && strcmp(argv[1], "--workload") == 0) {
		w.getppid = strtol(argv[2], NULL, 10);
		w.opens = strtol(argv[3], NULL, 10);
		return run_workload(&w);
	}
	if (readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1) < 0)
		return 1;
	if (geteuid() != 0) {
		printf("SKIP: bench_sysaudit needs root (BPF)\n");
		return 0;
	}
	libbpf_set_print(NULL);
	w.getppid = env_long("SYSAUDIT_BENCH_GETPPID", 500000);
	w.opens = env_long("SYSAUDIT_BENCH_OPENS", 50000);
	rounds = (int)env_long("SYSAUDIT_BENCH_ROUNDS", 15);
	with_strace = (int)env_long("SYSAUDIT_BENCH_STRACE", 1);
	if (rounds < 1 || rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	/* 1. every configuration once per round, the order rotating */
	for (int m = 0; m < C_COUNT; m++)
		memset(&last[m], 0, sizeof(last[m]));
	for (int rd = 0; rd < rounds; rd++) {
		for (int k = 0; k < C_COUNT; k++) {
			int m = (k + rd) % C_COUNT;

			if (m == C_STRACE)
				continue; /* ~100x slower: once, below */
			if (only && strcmp(only, cfg_names[m]) != 0 && m != C_BARE)
				continue;
			last[m] = one_run(&w, (enum cfg)m);
			if (!last[m].ok) {
				fprintf(stderr, "bench: %s run failed\n", cfg_names[m]);
				return 1;
			}
			secs[m][rd] = last[m].secs;
		}
	}
	if (with_strace) {
		last[C_STRACE] = one_run(&w, C_STRACE);
		if (!last[C_STRACE].ok)
			return 1;
		for (int rd = 0; rd < rounds; rd++)
			secs[C_STRACE][rd] = last[C_STRACE].secs;
	}
	for (int m = 0; m < C_COUNT; m++)
		for (int rd = 0; rd < rounds; rd++)
			ratio[m][rd] = secs[m][rd] / secs[peer_of(m)][rd];
	/* 2. where the time goes: one more run of each audited configuration
	 * with the kernel's BPF statistics on (they cost a clock read per run,
	 * so not during the timed rounds) */
	if (env_long("SYSAUDIT_BENCH_PROFILE", 1)) {
		int sfd = bpf_enable_stats(BPF_STATS_RUN_TIME);

		if (sfd >= 0) {
			profiling = 1;
			one_run(&w, C_COUNTERS);
			one_run(&w, C_DETAILED);
			one_run(&w, C_OH_REPORT);
			profiling = 0;
			close(sfd);
		}
	}
	/* 3. table (medians) */
	printf("06-ebpf bench: %ld getppid + %ld open/close of %s, as pid 1 of a new pid namespace;"
	       " open-heavy: %ld open/close; median of %d rounds (strace: 1 run)\nloadavg: ",
	       w.getppid, w.opens, OPEN_PATH, w.opens, rounds);
	fflush(stdout);
	if (system("cat /proc/loadavg") != 0)
		printf("?\n");
	printf("%-12s %10s %8s %10s %8s\n", "config", "seconds", "x peer", "events", "lost");
	for (int m = 0; m < C_COUNT; m++) {
		double sv[MAX_ROUNDS], rv[MAX_ROUNDS];

		if (m == C_STRACE && !with_strace)
			continue;
		memcpy(sv, secs[m], sizeof(sv));
		memcpy(rv, ratio[m], sizeof(rv));
		printf("%-12s %10.3f %8.2f %10ld %8llu\n", cfg_names[m], median(sv, rounds),
		       median(rv, rounds), last[m].events, (unsigned long long)last[m].lost);
	}
	/* 4. machine-readable lines */
	bench_ratio("overhead_counters", C_COUNTERS, "bare", C_BARE, rounds);
	bench_ratio("overhead_detailed", C_DETAILED, "bare", C_BARE, rounds);
	bench_ratio("host_tax", C_HOST_TAX, "bare", C_BARE, rounds);
	bench_ratio("open_heavy", C_OH_REPORT, "open_heavy_bare", C_OH_BARE, rounds);
	bench_ratio("hook_floor_exit", C_FLOOR_EXIT, "bare", C_BARE, rounds);
	bench_ratio("hook_floor_enter_exit", C_FLOOR_BOTH, "bare", C_BARE, rounds);
	bench_ratio("counters_vs_floor", C_COUNTERS, "floor_exit", C_FLOOR_EXIT, rounds);
	bench_ratio("detailed_vs_floor", C_DETAILED, "floor_exit", C_FLOOR_EXIT, rounds);
	if (with_strace) {
		bench_ratio("overhead_strace", C_STRACE, "bare", C_BARE, rounds);
		bench_ratio("counters_vs_strace", C_COUNTERS, "strace", C_STRACE, rounds);
		bench_ratio("detailed_vs_strace", C_DETAILED, "strace", C_STRACE, rounds);
	}
	return 0;
}
