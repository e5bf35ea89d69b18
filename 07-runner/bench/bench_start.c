/*
 * bench_start.c — 07-runner's benchmark: time from start to exit of a
 * trivial worker of each kind (C-lib, Python, Bun) under podrun, against
 * bubblewrap running the same interpreter and script with comparable
 * isolation (all namespaces, the same read-only binds as the runtime plan,
 * --die-with-parent, --new-session; arguments from `podrt --bwrap`).
 * Runs alternate podrun/bwrap so that load changes hit both; medians.
 *
 * Layer 07 (runner), bench. Builds on libc; drives the real podrun binary,
 * bwrap and podrt. Prints a table, then one BENCH line per kind:
 *   BENCH 07-runner start_<kind> <ms> ms vs=bwrap ratio=<podrun/bwrap>
 * and one per kind and start step (medians of the same podrun runs, from
 * PODRUN_TRACE; see parse_steps()):
 *   BENCH 07-runner step_<kind>_<step> <ms> ms
 * and, when run as root, the Python worker once more with both sides started
 * as an ordinary uid (podrun's rootless mode against unprivileged bwrap):
 *   BENCH 07-runner start_rootless <ms> ms vs=bwrap ratio=<podrun/bwrap>
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 512
/* The ordinary uid/gid of the rootless row (no account needed). */
#define BENCH_USER 4323

/* 0: run as we are; else the child becomes this uid/gid, without groups. */
static unsigned run_as;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run argv with @p input on stdin (NULL: /dev/null), stdout discarded,
 * stderr into @p err_fd (-1: discarded). */
static double run_ms_err(char *const argv[], const char *input, int *status, int err_fd)
{
	int in[2];
	double t0 = now_ms();
	pid_t pid;

	if (pipe(in) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(in[0], 0);
		dup2(null, 1);
		dup2(err_fd >= 0 ? err_fd : null, 2);
		close(in[1]);
		if (run_as &&
		    (chdir("/tmp") || setgroups(0, NULL) || setresgid(run_as, run_as, run_as) ||
		     setresuid(run_as, run_as, run_as)))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	if (input && write(in[1], input, strlen(input)) < 0)
		perror("write");
	close(in[1]);
	waitpid(pid, status, 0);
	return now_ms() - t0;
}

static double run_ms(char *const argv[], const char *input, int *status)
{
	return run_ms_err(argv, input, status, -1);
}

/*
 * The start by step, from podrun's PODRUN_TRACE output: the "podrun: steps"
 * line (policy, rings, plan, net, cgroups, spawn, ebpf, mounts) and, from the
 * trace lines, the release to the worker's HELLO (handshake) or, for a worker
 * that never says HELLO, the release to its exit (exec_to_exit).
 */
#define NSTEP 9
static const char *const step_names[NSTEP] = { "policy", "rings", "plan",   "net",      "cgroups",
					       "spawn",  "ebpf",  "mounts", "handshake" };

static int parse_steps(int fd, double out[NSTEP], int *hello)
{
	char buf[16384], *l, *save = NULL;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	double t_rel = -1, t_hello = -1, t_exit = -1;
	int got = 0;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		double t;
		if (!strncmp(l, "podrun: steps ", 14)) {
			for (int i = 0; i < NSTEP - 1; i++) {
				char pat[32], *at;
				snprintf(pat, sizeof pat, " %s=", step_names[i]);
				at = strstr(l, pat);
				if (!at)
					return -1;
				out[i] = atof(at + strlen(pat));
			}
			got = 1;
		} else if (sscanf(l, "podrun: trace %lf ms", &t) == 1) {
			if (strstr(l, " release"))
				t_rel = t;
			else if (strstr(l, " hello"))
				t_hello = t;
			else if (strstr(l, " pod exited"))
				t_exit = t;
		}
	}
	*hello = t_hello >= 0;
	out[NSTEP - 1] = (*hello ? t_hello : t_exit) - t_rel;
	return got && t_rel >= 0 && (*hello || t_exit >= 0) ? 0 : -1;
}

/* `podrt --bwrap --no-ffi PROGRAM` -> bwrap argv (one argument per line). */
static int bwrap_args(const char *podrt, const char *program, char **argv, char *buf, size_t cap)
{
	char cmdline[1024];
	FILE *f;
	size_t len = 0;
	int n = 0;

	snprintf(cmdline, sizeof cmdline, "%s --bwrap --no-ffi %s", podrt, program);
	f = popen(cmdline, "r");
	if (!f)
		return -1;
	argv[n++] = "/usr/bin/bwrap";
	while (n < MAX_ARGS - 1 && fgets(buf + len, (int)(cap - len), f)) {
		size_t l = strlen(buf + len);
		if (l && buf[len + l - 1] == '\n')
			buf[len + l - 1] = '\0';
		argv[n++] = buf + len;
		len += l + 1;
		if (len >= cap - 1)
			break;
	}
	argv[n] = NULL;
	return pclose(f) == 0 && n > 1 ? n : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct kind {
	const char *name;
	const char *program;    /* what podrun runs */
	const char *bw_program; /* what podrt plans for bwrap */
	const char *bw_extra;   /* appended to the bwrap argv (the C-lib host's library) */
	const char *input;      /* podrun's stdin (service mode for the C-lib) */
	int rounds;
};

int main(void)
{
	const char *podrun = getenv("PODRUN_BIN"), *top = getenv("PODRUN_TOP");
	const char *bdir = getenv("PODRUN_BENCH_DIR");
	char podrt[512], prog[4][512], bwprog[512], extra[512], buf[65536];
	char *bw_argv[MAX_ARGS];
	struct kind kinds[4];
	double res[4][2], steps[4][NSTEP];
	int nk = 0, said_hello[4] = { 0 };
	char tmpl[] = "/tmp/podrun-bench-XXXXXX";
	int err_fd = mkstemp(tmpl);

	if (err_fd < 0) {
		perror("bench: mkstemp");
		return 1;
	}
	unlink(tmpl);
	setenv("PODRUN_TRACE", "1", 1);

	if (!podrun || !top || !bdir) {
		fprintf(stderr, "bench: PODRUN_BIN, PODRUN_TOP and PODRUN_BENCH_DIR must be set "
				"(make bench)\n");
		return 1;
	}
	snprintf(podrt, sizeof podrt, "%s/07-runner/runtime/build/podrt", top);
	snprintf(prog[0], sizeof prog[0], "%s/triv_clib.so", bdir);
	snprintf(bwprog, sizeof bwprog, "%s/clib_host", bdir);
	snprintf(extra, sizeof extra, "/pod/app/triv_clib.so");
	snprintf(prog[1], sizeof prog[1], "%s/07-runner/bench/triv.py", top);
	snprintf(prog[2], sizeof prog[2], "%s/07-runner/bench/triv.ts", top);
	kinds[nk++] = (struct kind){ "clib", prog[0], bwprog, extra, "x\n", 15 };
	kinds[nk++] = (struct kind){ "python", prog[1], prog[1], NULL, NULL, 12 };
	kinds[nk++] = (struct kind){ "bun", prog[2], prog[2], NULL, NULL, 12 };
	if (geteuid() == 0) /* the Python worker, both sides as an ordinary user */
		kinds[nk++] = (struct kind){ "rootless", prog[1], prog[1], NULL, NULL, 12 };

	printf("07-runner start-to-exit, median of N alternating runs (load: ");
	fflush(stdout);
	if (system("cut -d' ' -f1-3 /proc/loadavg | tr -d '\\n'") < 0)
		printf("?");
	printf(")\n%-8s %4s %12s %12s %8s\n", "kind", "N", "podrun ms", "bwrap ms", "ratio");

	for (int k = 0; k < nk; k++) {
		char *pr_argv[] = { (char *)podrun, "run", "-q", (char *)kinds[k].program, NULL };
		double a[64], b[64], sv[NSTEP][64];
		int n, st, ok = 1;

		n = bwrap_args(podrt, kinds[k].bw_program, bw_argv, buf, sizeof buf);
		if (n < 0) {
			fprintf(stderr, "bench: podrt --bwrap failed for %s\n",
				kinds[k].bw_program);
			return 1;
		}
		if (kinds[k].bw_extra && n < MAX_ARGS - 4) {
			/* the host's library: bind it next to the host, pass its path */
			int dd = 0;
			while (dd < n && strcmp(bw_argv[dd], "--"))
				dd++;
			memmove(&bw_argv[dd + 3], &bw_argv[dd],
				(size_t)(n - dd + 1) * sizeof bw_argv[0]);
			bw_argv[dd] = "--ro-bind";
			bw_argv[dd + 1] = (char *)kinds[k].program;
			bw_argv[dd + 2] = (char *)kinds[k].bw_extra;
			n += 3;
			bw_argv[n++] = (char *)kinds[k].bw_extra;
			bw_argv[n] = NULL;
		}
		run_as = strcmp(kinds[k].name, "rootless") ? 0 : BENCH_USER;
		/* one warm-up each (page cache), then alternate */
		run_ms(pr_argv, kinds[k].input, &st);
		run_ms(bw_argv, NULL, &st);
		for (int i = 0; i < kinds[k].rounds; i++) {
			double one[NSTEP];
			if (ftruncate(err_fd, 0) < 0 || lseek(err_fd, 0, SEEK_SET) < 0)
				ok = 0;
			a[i] = run_ms_err(pr_argv, kinds[k].input, &st, err_fd);
			ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
			if (parse_steps(err_fd, one, &said_hello[k]) < 0) {
				fprintf(stderr, "bench: no step times from podrun (%s)\n",
					kinds[k].name);
				ok = 0;
			}
			for (int j = 0; j < NSTEP; j++)
				sv[j][i] = one[j];
			b[i] = run_ms(bw_argv, NULL, &st);
			ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
		}
		if (!ok) {
			fprintf(stderr, "bench: a %s run failed\n", kinds[k].name);
			return 1;
		}
		qsort(a, (size_t)kinds[k].rounds, sizeof a[0], cmp);
		qsort(b, (size_t)kinds[k].rounds, sizeof b[0], cmp);
		res[k][0] = a[kinds[k].rounds / 2];
		res[k][1] = b[kinds[k].rounds / 2];
		for (int j = 0; j < NSTEP; j++) {
			qsort(sv[j], (size_t)kinds[k].rounds, sizeof sv[j][0], cmp);
			steps[k][j] = sv[j][kinds[k].rounds / 2];
		}
		printf("%-8s %4d %12.1f %12.1f %8.2f\n", kinds[k].name, kinds[k].rounds, res[k][0],
		       res[k][1], res[k][0] / res[k][1]);
	}
	printf(
	    "\nstart by step, medians in ms (handshake: release to the worker's HELLO; a worker\n"
	    "without the SDK never says HELLO, so for it exec_to_exit: release to its exit)\n%-8s",
	    "kind");
	for (int j = 0; j < NSTEP; j++)
		printf(" %9.9s", step_names[j]);
	printf("\n");
	for (int k = 0; k < nk; k++) {
		printf("%-8s", kinds[k].name);
		for (int j = 0; j < NSTEP; j++)
			printf(" %9.2f", steps[k][j]);
		printf("\n");
	}
	for (int k = 0; k < nk; k++)
		printf("BENCH 07-runner start_%s %.1f ms vs=bwrap ratio=%.2f\n", kinds[k].name,
		       res[k][0], res[k][0] / res[k][1]);
	for (int k = 0; k < nk; k++)
		for (int j = 0; j < NSTEP; j++)
			printf("BENCH 07-runner step_%s_%s %.2f ms\n", kinds[k].name,
			       j == NSTEP - 1 && !said_hello[k] ? "exec_to_exit" : step_names[j],
			       steps[k][j]);
	close(err_fd);
	return 0;
}
