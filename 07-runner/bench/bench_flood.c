/*
 * bench_flood.c — how well the runner keeps control of a hostile pod.
 *
 * Layer 07 (runner), benchmark. Runs podrun with tests' hostile worker
 * (tests/workers/hostile_worker.c), once per flood kind and once as a
 * well-behaved pod ("calm": one message per 10 ms), each with --timeout 2
 * and podrun's stdout and stderr going to pipes nobody reads, and measures:
 *
 *   timeout_latency_under_flood  ms from the timeout's deadline (the start
 *                                event + 2 s) to podrun's exit, worst flood
 *   runner_cpu_under_flood       CPU seconds of the runner process itself
 *                                (/proc/PID/stat utime+stime, not the pod's)
 *                                per wall second while the pod runs, worst
 *
 * each against the same figure for the well-behaved pod, in the same run:
 *   BENCH 07-runner timeout_latency_under_flood <ms> ms vs=calm ratio=<x>
 *   BENCH 07-runner runner_cpu_under_flood <cpu-s/s> cpu-s/s vs=calm ratio=<x>
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct result {
	double latency_ms; /* deadline -> exit */
	double cpu;        /* runner cpu-s per wall-s */
};

static double now_real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* utime + stime of @p pid itself, in seconds. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[2048], *s;
	unsigned long long ut = 0, st = 0;
	int fd, n, field = 2;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = (int)read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	for (; s && *s && field < 14; s++)
		if (*s == ' ')
			field++;
	if (!s || sscanf(s, "%llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The start event's time (realtime ms) from the audit file, or -1. */
static double start_time(const char *audit)
{
	char line[65536];
	FILE *f = fopen(audit, "r");
	double t = -1;

	while (f && fgets(line, sizeof line, f)) {
		struct tm tm = { 0 };
		int us = 0;
		if (!strstr(line, "\"what\":\"start\"") || !strstr(line, "\"src\":\"runner\""))
			continue;
		if (sscanf(line, "{\"ts\":\"%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon,
			   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) == 7) {
			tm.tm_year -= 1900;
			tm.tm_mon -= 1;
			t = (double)timegm(&tm) * 1e3 + us / 1e3;
		}
		break;
	}
	if (f)
		fclose(f);
	return t;
}

static int run_one(const char *podrun, const char *worker, const char *mode, struct result *r)
{
	char audit[128], cmd[1024], *argv[32], *save = NULL;
	int out[2], err[2], st, n = 0;
	double c0 = -1, c1 = -1, t0 = 0, t1 = 0, end, deadline;
	pid_t pid;

	snprintf(audit, sizeof audit, "/tmp/podrun-bench-flood-%d.audit", (int)getpid());
	snprintf(cmd, sizeof cmd,
		 "%s run --timeout 2 --grace 500 --allow-net=allowed.invalid:80 "
		 "--audit %s %s %s",
		 podrun, audit, worker, mode);
	for (char *t = strtok_r(cmd, " ", &save); t && n < 31; t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	if (pipe(out) < 0 || pipe(err) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* the runner's own CPU between 0.7 s and 1.9 s of its life */
	usleep(700000);
	c0 = proc_cpu(pid);
	t0 = now_real_ms();
	usleep(1200000);
	c1 = proc_cpu(pid);
	t1 = now_real_ms();
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now_real_ms() - t0 > 20000)
			kill(pid, SIGKILL);
		usleep(1000);
	}
	end = now_real_ms();
	close(out[0]);
	close(err[0]);
	deadline = start_time(audit) + 2000;
	unlink(audit);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 124 || deadline < 2000 || c0 < 0 || c1 < 0)
		return -EIO;
	r->latency_ms = end - deadline;
	r->cpu = (c1 - c0) / ((t1 - t0) / 1e3);
	return 0;
}

int main(void)
{
	static const char *const floods[] = { "zero",   "maxframe", "doorbell",
					      "ping",   "event 4",  "query 4",
					      "stdout", "stderr",   "netdeny denied.invalid",
					      "dns",    "open",     NULL };
	const char *podrun = getenv("PODRUN_BIN"), *workers = getenv("PODRUN_WORKERS");
	struct result calm, r, worst = { 0, 0 };
	const char *worst_lat = "", *worst_cpu = "";
	char worker[512];

	if (!podrun || !workers) {
		fprintf(stderr, "bench: PODRUN_BIN and PODRUN_WORKERS must be set (make bench)\n");
		return 1;
	}
	if (geteuid() != 0) {
		printf("SKIP: bench_flood needs root (namespaces, cgroups, eBPF)\n");
		return 0;
	}
	snprintf(worker, sizeof worker, "%s/hostile_worker", workers);
	if (run_one(podrun, worker, "calm", &calm) < 0) {
		fprintf(stderr, "bench: the well-behaved pod did not end with status 124\n");
		return 1;
	}
	printf("%-24s %12s %14s\n", "pod", "latency ms", "runner cpu-s/s");
	printf("%-24s %12.1f %14.3f\n", "calm (well-behaved)", calm.latency_ms, calm.cpu);
	for (int i = 0; floods[i]; i++) {
		if (run_one(podrun, worker, floods[i], &r) < 0) {
			fprintf(stderr, "bench: flood %s did not end with status 124\n", floods[i]);
			return 1;
		}
		printf("%-24s %12.1f %14.3f\n", floods[i], r.latency_ms, r.cpu);
		if (r.latency_ms > worst.latency_ms) {
			worst.latency_ms = r.latency_ms;
			worst_lat = floods[i];
		}
		if (r.cpu > worst.cpu) {
			worst.cpu = r.cpu;
			worst_cpu = floods[i];
		}
	}
	printf("worst latency: %s; worst runner cpu: %s\n", worst_lat, worst_cpu);
	printf("BENCH 07-runner timeout_latency_under_flood %.1f ms vs=calm ratio=%.2f\n",
	       worst.latency_ms,
	       worst.latency_ms / (calm.latency_ms > 0.1 ? calm.latency_ms : 0.1));
	printf("BENCH 07-runner runner_cpu_under_flood %.3f cpu-s/s vs=calm ratio=%.2f\n",
	       worst.cpu, worst.cpu / (calm.cpu > 0.001 ? calm.cpu : 0.001));
	return 0;
}
