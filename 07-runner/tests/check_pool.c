/*
 * check_pool.c — warm pools (podrun_pool_*, `podrun pool`), end to end with
 * real pods: a pool pod behaves as a fresh one under the same policy, two
 * takes share nothing, what the pods' plan cannot cover is refused, crashes,
 * timeouts and stops work, and nothing is left on the host after any end
 * (pool freed, runner killed, runner signalled).
 *
 * Layer 07 (runner), tests. Builds on include/podrun.h and helpers.c. Every
 * test needs root (pods with namespaces and cgroups).
 */
#include <check.h>
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "podtest.h"
#include "podrun.h"
#include "helpers.h"

#define ROOT() POD_REQUIRE_ROOT()

static char worker[4096], crash[4096], sleeper[4096];

static void paths(void)
{
	snprintf(worker, sizeof worker, "%s/workers/worker.py", t_tests());
	snprintf(crash, sizeof crash, "%s/workers/pool_crash.py", t_tests());
	snprintf(sleeper, sizeof sleeper, "%s/workers/pool_sleep.py", t_tests());
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Configure @p p: quiet, stdio discarded, the flags given (NULL-terminated). */
static void setup(podrun_t *p, const char *program, const char *const *flags)
{
	ck_assert_int_eq(podrun_set_program(p, program), 0);
	podrun_set_stdio(p, -1, -1, -1);
	podrun_set_verbosity(p, PODRUN_QUIET);
	for (size_t i = 0; flags && flags[i]; i++)
		ck_assert_msg(podrun_add_policy_flag(p, flags[i]) == 0, "flag %s", flags[i]);
}

static podrun_pool_t *pool_of(const char *program, const char *const *flags, unsigned size)
{
	podrun_pool_t *pool = NULL;

	ck_assert_int_eq(podrun_pool_new(&pool), 0);
	setup(podrun_pool_template(pool), program, flags);
	ck_assert_msg(podrun_pool_start(pool, size) == 0, "pool: %s", podrun_pool_error(pool));
	return pool;
}

/* Take a pod for @p program with @p args and run it to its end. */
static int take_run(podrun_pool_t *pool, const char *program, const char *const *args,
		    podrun_t **keep)
{
	podrun_t *p = NULL;
	int ret = podrun_pool_take(pool, program, args, 60000, &p), status;

	ck_assert_msg(ret == 0, "take %s: %d %s", program, ret, podrun_pool_error(pool));
	status = podrun_wait(p);
	if (keep)
		*keep = p;
	else
		podrun_free(p);
	return status;
}

/* The same program, started fresh under the same flags. */
static int fresh_run(const char *program, const char *const *flags, const char *const *args,
		     podrun_t **keep)
{
	podrun_t *p = NULL;
	int status;

	ck_assert_int_eq(podrun_new(&p), 0);
	setup(p, program, flags);
	for (size_t i = 0; args && args[i]; i++)
		podrun_add_arg(p, args[i]);
	if (podrun_start(p) < 0)
		status = podrun_exit_code(p);
	else
		status = podrun_wait(p);
	if (keep)
		*keep = p;
	else
		podrun_free(p);
	return status;
}

/* ---- behaviour ------------------------------------------------------------ */

START_TEST(test_pool_pod_behaves_like_a_fresh_pod)
{
	static const char *const flags[] = { "--allow-read=/etc/hostname",
					     "--deny-read=/etc/shadow", "--allow-env=POOL_TEST_VAR",
					     NULL };
	static const char *const cases[][3] = {
		{ "read", "/etc/hostname", NULL },   /* allowed: 0 */
		{ "read", "/etc/shadow", NULL },     /* denied by a rule: 1 */
		{ "read", "/etc/passwd", NULL },     /* denied by default: 1 */
		{ "env", "POOL_TEST_VAR", NULL },    /* allowed variable: 0 */
		{ "env", "HOME", NULL },             /* withheld: 1 */
		{ "exit", "7", NULL },               /* status passed through */
		{ "write", "/etc/pool-test", NULL }, /* denied: 1 */
	};
	podrun_pool_t *pool;

	ROOT();
	paths();
	setenv("POOL_TEST_VAR", "x", 1);
	setenv("HOME", "/root", 1);
	pool = pool_of(worker, flags, 2);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		podrun_t *a = NULL, *b = NULL;
		int fs = fresh_run(worker, flags, cases[i], &a);
		int ps = take_run(pool, worker, cases[i], &b);
		ck_assert_msg(fs == ps, "%s %s: fresh %d, pool %d", cases[i][0], cases[i][1], fs,
			      ps);
		ck_assert_int_eq(podrun_count(a, "fs", "deny") > 0,
				 podrun_count(b, "fs", "deny") > 0);
		podrun_free(a);
		podrun_free(b);
	}
	ck_assert_int_eq(fresh_run(worker, flags, cases[1], NULL), 1); /* (the table can fail) */
	ck_assert_int_eq(podrun_pool_count(pool, "taken"), 7);
	podrun_pool_free(pool);
}
END_TEST

START_TEST(test_two_takes_share_nothing)
{
	static const char *const write_args[] = { "write", "/tmp/pool-mark", NULL };
	static const char *const read_args[] = { "read", "/tmp/pool-mark", NULL };
	podrun_pool_t *pool;
	podrun_t *a = NULL, *b = NULL;
	char id_a[32];
	int pid_a;

	ROOT();
	paths();
	unlink("/tmp/pool-mark");
	pool = pool_of(worker, NULL, 1); /* each pod's /tmp is a tmpfs of its own */
	ck_assert_int_eq(podrun_pool_take(pool, worker, write_args, 60000, &a), 0);
	pid_a = podrun_pid(a);
	snprintf(id_a, sizeof id_a, "%s", podrun_id(a));
	ck_assert_int_eq(podrun_wait(a), 0); /* written in a's /tmp */
	podrun_free(a);
	ck_assert_int_ne(access("/tmp/pool-mark", F_OK), 0); /* not the host's /tmp */
	ck_assert_int_eq(podrun_pool_take(pool, worker, read_args, 60000, &b), 0);
	ck_assert_int_ne(podrun_pid(b), pid_a);
	ck_assert_str_ne(podrun_id(b), id_a);
	ck_assert_int_eq(podrun_wait(b), 1); /* b's /tmp is its own: no such file */
	podrun_free(b);
	podrun_pool_free(pool);
}
END_TEST

START_TEST(test_take_refuses_what_the_plan_cannot_cover)
{
	char other_dir[256], clib[4096], flag[4200];
	const char *flags[2] = { flag, NULL };
	podrun_pool_t *pool;
	podrun_t *p = NULL;
	FILE *f;

	ROOT();
	paths();
	/* a read rule denying the program refuses the take, as it refuses a fresh start */
	snprintf(flag, sizeof flag, "--deny-read=%s", crash);
	pool = pool_of(worker, flags, 1);
	ck_assert_int_eq(podrun_pool_take(pool, crash, NULL, 60000, &p), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(podrun_pool_error(pool), "covers the worker"), "%s",
		      podrun_pool_error(pool));
	ck_assert_int_eq(fresh_run(crash, flags, NULL, NULL), PODRUN_EXIT_USAGE);
	/* another directory */
	snprintf(other_dir, sizeof other_dir, "/tmp/podrun-pool-%d.py", (int)getpid());
	f = fopen(other_dir, "w");
	ck_assert_ptr_nonnull(f);
	fputs("pass\n", f);
	fclose(f);
	ck_assert_int_eq(podrun_pool_take(pool, other_dir, NULL, 60000, &p), -EINVAL);
	ck_assert_msg(strstr(podrun_pool_error(pool), "/pod/app"), "%s", podrun_pool_error(pool));
	unlink(other_dir);
	/* another kind, a missing file */
	ck_assert_int_eq(podrun_pool_take(pool, "/bin/true", NULL, 60000, &p), -EINVAL);
	ck_assert_int_eq(podrun_pool_take(pool, "/nonexistent/x.py", NULL, 60000, &p), -EINVAL);
	/* the refusals used no pod: the one warm pod still runs the next program */
	ck_assert_int_eq(take_run(pool, worker, (const char *const[]){ "exit", "4", NULL }, NULL),
			 4);
	podrun_pool_free(pool);

	/* a C-library pool runs its own library only */
	snprintf(clib, sizeof clib, "%s/clib_worker.so", t_workers());
	pool = pool_of(clib, NULL, 1);
	ck_assert_int_eq(podrun_pool_take(pool, worker, NULL, 60000, &p), -EINVAL);
	ck_assert_int_eq(podrun_pool_count(pool, "taken"), 0);
	podrun_pool_free(pool);

	/* templates a pool cannot honour are refused, never ignored */
	ck_assert_int_eq(podrun_pool_new(&pool), 0);
	setup(podrun_pool_template(pool), "/bin/true", NULL);
	ck_assert_int_eq(podrun_pool_start(pool, 1), -EINVAL);
	podrun_pool_free(pool);
	ck_assert_int_eq(podrun_pool_new(&pool), 0);
	setup(podrun_pool_template(pool), worker, NULL);
	ck_assert_int_eq(podrun_set_option(podrun_pool_template(pool), "pod-id", "fixed"), 0);
	ck_assert_int_eq(podrun_pool_start(pool, 1), -EINVAL);
	podrun_pool_free(pool);
}
END_TEST

START_TEST(test_clib_pool_serves_its_library)
{
	char clib[4096], buf[64];
	podrun_pool_t *pool;
	podrun_t *p = NULL;
	int n = -1;

	ROOT();
	snprintf(clib, sizeof clib, "%s/clib_worker.so", t_workers());
	pool = pool_of(clib, NULL, 1);
	ck_assert_int_eq(podrun_pool_take(pool, clib, NULL, 60000, &p), 0);
	ck_assert_int_eq(podrun_send(p, "hello", 5), 0);
	for (double t0 = now_ms(); n < 0 && now_ms() - t0 < 30000;) {
		podrun_dispatch(p, 200);
		n = podrun_recv(p, buf, sizeof buf);
		ck_assert_int_ne(podrun_state(p), PODRUN_EXITED);
	}
	ck_assert_int_gt(n, 0);
	podrun_stop(p, 2000);
	podrun_wait(p);
	podrun_free(p);
	podrun_pool_free(pool);
}
END_TEST

START_TEST(test_pool_survives_a_crashing_pod)
{
	podrun_pool_t *pool;

	ROOT();
	paths();
	pool = pool_of(worker, NULL, 1);
	ck_assert_int_eq(take_run(pool, crash, NULL, NULL), 128 + SIGSEGV);
	ck_assert_int_eq(take_run(pool, worker, (const char *const[]){ "exit", "5", NULL }, NULL),
			 5);
	ck_assert_int_eq(take_run(pool, crash, NULL, NULL), 128 + SIGSEGV);
	ck_assert_int_eq(take_run(pool, worker, (const char *const[]){ "exit", "0", NULL }, NULL),
			 0);
	ck_assert_int_eq(podrun_pool_count(pool, "taken"), 4);
	podrun_pool_free(pool);
}
END_TEST

START_TEST(test_timeouts_and_stops_work_for_pool_pods)
{
	podrun_pool_t *pool = NULL;
	podrun_t *p = NULL;
	double t0;

	ROOT();
	paths();
	ck_assert_int_eq(podrun_pool_new(&pool), 0);
	setup(podrun_pool_template(pool), worker, NULL);
	podrun_set_limits(podrun_pool_template(pool), 1, 0, 0);
	ck_assert_int_eq(podrun_pool_start(pool, 1), 0);
	/* the timeout counts from the take: a pod warm for longer still runs */
	for (t0 = now_ms(); podrun_pool_ready(pool) < 1 && now_ms() - t0 < 60000;)
		usleep(20000);
	usleep(1500 * 1000);
	ck_assert_int_eq(take_run(pool, worker, (const char *const[]){ "exit", "3", NULL }, NULL),
			 3);
	/* and it fires */
	ck_assert_int_eq(take_run(pool, sleeper, NULL, NULL), PODRUN_EXIT_TIMEOUT);
	/* a stop (STOP, SIGTERM, then SIGKILL) ends a taken pod */
	ck_assert_int_eq(podrun_pool_take(pool, sleeper, NULL, 60000, &p), 0);
	ck_assert_int_eq(podrun_stop(p, 500), 0);
	ck_assert_int_eq(podrun_wait(p), 128 + SIGTERM);
	podrun_free(p);
	podrun_pool_free(pool);
}
END_TEST

/* ---- nothing left behind ---------------------------------------------------- */

/* The objects of every pod whose run-directory record names runner @p pid:
 * control socket dirs, cgroups, files, veths (one per line: "KIND NAME"). */
static int collect(pid_t pid, char objs[][300], int cap)
{
	DIR *d = opendir(t_run_dir());
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < cap) {
		char path[512], line[300];
		int owner = -1;
		FILE *f;
		if (!strstr(e->d_name, ".owner"))
			continue;
		snprintf(path, sizeof path, "%s/%s", t_run_dir(), e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(line, sizeof line, f))
			sscanf(line, "runner %d", &owner);
		while (owner == pid && n < cap && fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(objs[n++], 300, "%s", line);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Every collected object is gone (a veth: no /sys/class/net entry). */
static int all_gone(char objs[][300], int n, int ms, char *why, size_t cap)
{
	double t0 = now_ms();

	for (;;) {
		int left = 0;
		for (int i = 0; i < n && !left; i++) {
			char path[400], *sp = strchr(objs[i], ' ');
			if (!sp)
				continue;
			if (!strncmp(objs[i], "veth ", 5))
				snprintf(path, sizeof path, "/sys/class/net/%s", sp + 1);
			else
				snprintf(path, sizeof path, "%s", sp + 1);
			if (access(path, F_OK) == 0) {
				snprintf(why, cap, "left: %s", objs[i]);
				left = 1;
			}
		}
		if (!left)
			return 1;
		if (now_ms() - t0 > ms)
			return 0;
		usleep(50000);
	}
}

static int count_kind(char objs[][300], int n, const char *kind)
{
	int c = 0;

	for (int i = 0; i < n; i++)
		c += !strncmp(objs[i], kind, strlen(kind));
	return c;
}

/* A warm pod killed from outside (its whole cgroup): freed, counted as lost,
 * replaced; takes go on. */
START_TEST(test_pool_replaces_a_warm_pod_that_dies)
{
	static char objs[64][300];
	char path[400];
	podrun_pool_t *pool;
	int n, killed = 0;
	double t0;
	FILE *f;

	ROOT();
	paths();
	pool = pool_of(worker, NULL, 1);
	for (t0 = now_ms(); podrun_pool_ready(pool) < 1 && now_ms() - t0 < 60000;)
		usleep(20000);
	ck_assert_int_eq(podrun_pool_ready(pool), 1);
	n = collect(getpid(), objs, 64); /* the one warm pod's objects */
	for (int i = 0; i < n && !killed; i++) {
		if (strncmp(objs[i], "cgroup ", 7))
			continue;
		snprintf(path, sizeof path, "%s/cgroup.kill", objs[i] + 7);
		if ((f = fopen(path, "w"))) {
			killed = fputs("1", f) >= 0;
			killed &= fclose(f) == 0;
		}
	}
	POD_REQUIRE(killed, "cgroup v2 cgroup.kill");
	for (t0 = now_ms(); podrun_pool_count(pool, "lost") < 1 && now_ms() - t0 < 60000;)
		usleep(20000);
	ck_assert_int_eq(podrun_pool_count(pool, "lost"), 1);
	ck_assert_int_eq(take_run(pool, worker, (const char *const[]){ "exit", "6", NULL }, NULL),
			 6);
	ck_assert_int_ge(podrun_pool_count(pool, "started"), 2);
	podrun_pool_free(pool);
}
END_TEST

START_TEST(test_pool_free_leaves_nothing)
{
	static const char *const flags[] = { "--allow-net=example.invalid:443", NULL };
	static char objs[256][300];
	char why[512] = "";
	podrun_pool_t *pool;
	podrun_t *p = NULL;
	int n;
	double t0;

	ROOT();
	paths();
	pool = pool_of(worker, flags, 3);
	for (t0 = now_ms(); podrun_pool_ready(pool) < 3 && now_ms() - t0 < 60000;)
		usleep(20000);
	ck_assert_int_eq(take_run(pool, worker, (const char *const[]){ "exit", "0", NULL }, NULL),
			 0);
	ck_assert_int_eq(podrun_pool_take(pool, sleeper, NULL, 60000, &p), 0); /* still running */
	n = collect(getpid(), objs, 256);
	/* three pods or more (the refill of the takes): sockets, cgroups, veths */
	ck_assert_int_ge(count_kind(objs, n, "dir "), 2);
	ck_assert_int_ge(count_kind(objs, n, "cgroup "), 2);
	ck_assert_int_ge(count_kind(objs, n, "veth "), 2);
	/* the names are those of real links (a pod being started right now has
	 * its name recorded before its veth exists) */
	int there = 0;
	for (int i = 0; i < n; i++)
		if (!strncmp(objs[i], "veth ", 5)) {
			char path[400];
			snprintf(path, sizeof path, "/sys/class/net/%s", objs[i] + 5);
			there += access(path, F_OK) == 0;
		}
	ck_assert_int_ge(there, 2);
	podrun_stop(p, 0);
	podrun_wait(p);
	podrun_free(p);
	podrun_pool_free(pool);
	ck_assert_msg(all_gone(objs, n, 10000, why, sizeof why), "%s", why);
	ck_assert_msg(t_runner_pid_left_nothing(getpid(), 10000, why, sizeof why), "%s", why);
}
END_TEST

/* `podrun pool` with its stdin held open by us; returns its pid. */
static pid_t spawn_pool_cli(const char *const argv[], int *in_w, int *out_r)
{
	int in[2], out[2];
	pid_t pid;

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(null, 2);
		close(in[1]);
		close(out[0]);
		execv(t_podrun(), (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*in_w = in[1];
	*out_r = out[0];
	return pid;
}

/* Read one line from @p fd (up to @p ms). */
static int read_line(int fd, char *buf, size_t cap, int ms)
{
	size_t n = 0;
	double t0 = now_ms();

	while (n + 1 < cap && now_ms() - t0 < ms) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if (read(fd, buf + n, 1) != 1)
			break;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

START_TEST(test_pool_cli_runs_programs_and_reports_status)
{
	const char *argv[] = { "podrun", "pool", "--size", "2", "--", worker, NULL };
	char line[512], in[6100];
	int in_w, out_r, st;
	pid_t pid;

	ROOT();
	paths();
	pid = spawn_pool_cli(argv, &in_w, &out_r);
	snprintf(in, sizeof in, "%.3000s\texit\t3\n/bin/true\n%.3000s\texit\t0\n", worker, worker);
	ck_assert_int_eq(write(in_w, in, strlen(in)), (ssize_t)strlen(in));
	close(in_w); /* end of input: the pool ends after the last program */
	ck_assert_int_gt(read_line(out_r, line, sizeof line, 60000), 0);
	ck_assert_msg(!strncmp(line, "3\t", 2) && strstr(line, "worker.py"), "%s", line);
	ck_assert_int_gt(read_line(out_r, line, sizeof line, 60000), 0);
	ck_assert_msg(!strcmp(line, "2\t-\t/bin/true\n"), "%s", line);
	ck_assert_int_gt(read_line(out_r, line, sizeof line, 60000), 0);
	ck_assert_msg(!strncmp(line, "0\t", 2), "%s", line);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(out_r);
}
END_TEST

/* The runner killed (SIGKILL) or signalled (SIGTERM) while its pool is warm
 * and a pod runs: its pods die, and what they named is gone (after the next
 * start's sweep for SIGKILL). */
static void cli_end(int sig)
{
	const char *argv[] = { "podrun", "pool", "--size", "2", "--allow-net=example.invalid:443",
			       "--",     worker, NULL };
	static char objs[256][300];
	char why[512] = "", in[4200];

	int in_w, out_r, st, n = 0;
	pid_t pid;
	double t0;

	paths();
	pid = spawn_pool_cli(argv, &in_w, &out_r);
	snprintf(in, sizeof in, "%.4000s\n", sleeper); /* a pod that runs until stopped */
	ck_assert_int_eq(write(in_w, in, strlen(in)), (ssize_t)strlen(in));
	/* two warm pods and the running one */
	for (t0 = now_ms(); now_ms() - t0 < 60000; usleep(50000)) {
		n = collect(pid, objs, 256);
		if (count_kind(objs, n, "veth ") >= 3)
			break;
	}
	ck_assert_int_ge(count_kind(objs, n, "veth "), 3);
	usleep(300 * 1000);
	n = collect(pid, objs, 256);
	kill(pid, sig);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (sig == SIGKILL) {
		podrun_t *p = NULL; /* the next start sweeps what the dead runner left */
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(podrun_new(&p), 0);
		setup(p, worker, NULL);
		podrun_add_arg(p, "exit");
		podrun_add_arg(p, "0");
		ck_assert_int_eq(podrun_start(p), 0);
		podrun_wait(p);
		podrun_free(p);
	} else {
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sig, "status %d", st);
	}
	ck_assert_msg(all_gone(objs, n, 15000, why, sizeof why), "%s", why);
	ck_assert_msg(t_runner_pid_left_nothing(pid, 15000, why, sizeof why), "%s", why);
	close(in_w);
	close(out_r);
}

START_TEST(test_pool_runner_killed_leaves_nothing)
{
	ROOT();
	cli_end(SIGKILL);
}
END_TEST

START_TEST(test_pool_runner_signalled_leaves_nothing)
{
	ROOT();
	cli_end(SIGTERM);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_pool_pod_behaves_like_a_fresh_pod);
	tcase_add_test(tc, test_two_takes_share_nothing);
	tcase_add_test(tc, test_take_refuses_what_the_plan_cannot_cover);
	tcase_add_test(tc, test_clib_pool_serves_its_library);
	tcase_add_test(tc, test_pool_survives_a_crashing_pod);
	tcase_add_test(tc, test_timeouts_and_stops_work_for_pool_pods);
	tcase_add_test(tc, test_pool_replaces_a_warm_pod_that_dies);
	tcase_add_test(tc, test_pool_free_leaves_nothing);
	tcase_add_test(tc, test_pool_cli_runs_programs_and_reports_status);
	tcase_add_test(tc, test_pool_runner_killed_leaves_nothing);
	tcase_add_test(tc, test_pool_runner_signalled_leaves_nothing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pool_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
