/*
 * bench_exec.c — benchmark of layer 03-sandbox: the cost of one decided exec.
 *
 * Layer 03-sandbox, bench. Builds on include/sandbox.h. A pod runs
 * `execloop N` (bench/execloop.c: it execs itself N times). With the exec
 * filter (sandbox_cfg_set_exec_notify) every exec waits for this process,
 * which does what the runner's decision point does before it answers: read
 * the path from /proc/PID/mem, open it beneath the pod's root (openat2
 * RESOLVE_IN_ROOT), name it (readlink) and read its first bytes (`#!`), then
 * lets the call continue. The peer is the same pod without the filter,
 * measured in the same run, interleaved. Per exec = (time(N) - time(0)) / N.
 *   BENCH 03-sandbox exec_decision_us <decided us> us vs=undecided ratio=<decided/undecided>
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

#define EXECS 200
#define ROUNDS 15

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static sandbox_cfg_t *make_cfg(const char *loop, int n, int notify)
{
	char num[16];
	char *argv[] = { "/execloop", num, NULL };
	sandbox_cfg_t *c;

	snprintf(num, sizeof num, "%d", n);
	if (sandbox_cfg_new(&c) < 0)
		return NULL;
	sandbox_plan_ro(c, "/usr", NULL, 0);
	sandbox_plan_ro(c, loop, "/execloop", 0);
	sandbox_plan_proc(c, "/proc");
	sandbox_plan_dev(c, "/dev");
	sandbox_cfg_set_namespaces(c, SANDBOX_NS_DEFAULT & ~SANDBOX_NS_NET);
	sandbox_cfg_set_exec(c, NULL, argv);
	sandbox_cfg_set_exec_notify(c, notify);
	return c;
}

/* What a decision needs to know about one exec; then let it continue. */
static void decide(int lfd, pid_t init)
{
	struct seccomp_notif n;
	struct seccomp_notif_resp r;
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	char path[PATH_MAX], link[64], name[PATH_MAX], head[256];
	int fd, root, f;

	(void)init;
	memset(&n, 0, sizeof n);
	if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return;
	snprintf(link, sizeof link, "/proc/%u/mem", n.pid);
	fd = open(link, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, path, sizeof path - 1, (off_t)n.data.args[0]) > 0) {
		path[sizeof path - 1] = '\0';
		snprintf(link, sizeof link, "/proc/%u/root", n.pid);
		root = open(link, O_PATH | O_DIRECTORY | O_CLOEXEC);
		f = root >= 0 ? (int)syscall(SYS_openat2, root, path, &how, sizeof how) : -1;
		if (f >= 0) {
			snprintf(link, sizeof link, "/proc/self/fd/%d", f);
			if (readlink(link, name, sizeof name - 1) < 0)
				name[0] = '\0';
			int rd = open(link, O_RDONLY | O_CLOEXEC);
			if (rd >= 0) {
				if (read(rd, head, sizeof head) < 0)
					head[0] = '\0';
				close(rd);
			}
			close(f);
		}
		if (root >= 0)
			close(root);
	}
	if (fd >= 0)
		close(fd);
	memset(&r, 0, sizeof r);
	r.id = n.id;
	r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &r);
}

/* One pod running `execloop n`; returns its wall time in microseconds. */
static double run(const char *loop, int n, int notify)
{
	sandbox_cfg_t *c = make_cfg(loop, n, notify);
	struct sandbox_error e;
	sandbox_t *sb = NULL;
	double t0;
	int st = -1;

	if (!c || sandbox_spawn(c, &sb, &e) < 0) {
		fprintf(stderr, "spawn: %s\n", c ? e.msg : "no memory");
		exit(1);
	}
	t0 = now_us();
	if (sandbox_release(sb, &e) < 0) {
		fprintf(stderr, "release: %s\n", e.msg);
		exit(1);
	}
	for (;;) {
		struct pollfd pf[2] = { { sandbox_pidfd(sb), POLLIN, 0 },
					{ sandbox_exec_notify_fd(sb), POLLIN, 0 } };
		if (poll(pf, notify ? 2 : 1, -1) < 0 && errno != EINTR)
			exit(1);
		if (pf[1].revents & POLLIN)
			decide(pf[1].fd, sandbox_pid(sb));
		if (pf[0].revents)
			break;
	}
	sandbox_wait(sb, &st, 0);
	t0 = now_us() - t0;
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
	if (st != 0) {
		fprintf(stderr, "execloop exited %d\n", st);
		exit(1);
	}
	return t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	double per[2][ROUNDS];
	const char *loop = argc > 1 ? argv[1] : "build/bench/execloop";
	char real[PATH_MAX];

	if (geteuid() != 0) {
		printf("SKIP: the exec benchmark needs root (real pods)\n");
		return 0;
	}
	if (!realpath(loop, real)) {
		perror(loop);
		return 1;
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int v = 0; v < 2; v++) {
			double base = run(real, 0, v), full = run(real, EXECS, v);
			per[v][r] = (full - base) / EXECS;
		}
	qsort(per[0], ROUNDS, sizeof(double), cmp);
	qsort(per[1], ROUNDS, sizeof(double), cmp);
	printf("%-40s %10s\n", "exec inside a pod (median of rounds)", "us/exec");
	printf("%-40s %10.1f\n", "undecided (no exec filter)", per[0][ROUNDS / 2]);
	printf("%-40s %10.1f\n", "decided (notify, resolve, continue)", per[1][ROUNDS / 2]);
	printf("BENCH 03-sandbox exec_decision_us %.1f us vs=undecided ratio=%.3f\n",
	       per[1][ROUNDS / 2], per[1][ROUNDS / 2] / per[0][ROUNDS / 2]);
	return 0;
}
