/*
 * check_podrun.c — 07-runner's end-to-end suite: the real podrun binary (and
 * libpodrun in-process) running real workers of every kind in the real
 * sandbox, as root.
 *
 * Layer 07 (runner), tests. Builds on helpers.c (run podrun, read audit
 * lines, count leftovers) and libpodrun.a (the library TCase). Workers live
 * in tests/workers/ (Python, Bun, C-lib, native C). One Suite, TCases per
 * aspect: cli, exit, each category per worker kind, serve, limits, cleanup,
 * scale, library.
 *
 * Each category test proves three things where it applies: an allowed action
 * works; a denied one fails in the worker with a clear error; a warned one
 * works AND appears in the audit as a warn event.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podtest.h"
#include "podrun.h"
#include "helpers.h"

/* Every test runs as root and, rootless, as an ordinary user (podrun then
 * runs rootless, docs/rootless.md). BOTH(): the test holds in both modes.
 * ROOT_ONLY(why): it has no rootless form; an ordinary user skips it saying
 * why (from the middle of a test: what follows needs root). */
#define BOTH()                                                                                     \
	do {                                                                                       \
	} while (0)
#define ROOT_ONLY(why) POD_REQUIRE(pod_is_root(), "rootless: " why)
#define ROOT() ROOT_ONLY("needs root")

static char cmd[4096];
/* CPU time (user + system, clock ticks) of process @p pid itself, or -1. */
static long proc_cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *rp;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')'); /* fields after the command name */
	if (!rp ||
	    sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* A pod that closes its stdin while the runner's own stdin stays open (no
 * data): the runner must sleep in epoll, not wake on the pipe's EPOLLERR over
 * and over. Its own CPU time over one second of the pod sleeping stays near 0
 * (a busy loop costs a whole core, or its share of one on a busy machine). */
START_TEST(test_runner_sleeps_while_the_pod_has_closed_its_stdin)
{
	const char *py =
	    t_write_tmp("closed_stdin.py", "import os, time\nos.close(0)\ntime.sleep(3)\n");
	int in[2], st;
	long c0, c1, hz = sysconf(_SC_CLK_TCK);
	pid_t pid;

	BOTH();
	ck_assert_int_eq(pipe(in), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(in[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		close(in[1]);
		execl(t_podrun(), "podrun", "run", "-q", py, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	usleep(1000000); /* started, and the pod has closed its stdin */
	c0 = proc_cpu_ticks(pid);
	usleep(1000000);
	c1 = proc_cpu_ticks(pid);
	close(in[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	unlink(py);
	ck_assert_int_ge(c0, 0);
	ck_assert_msg((c1 - c0) * 1000 / hz < 50,
		      "the runner used %ld ms of CPU in 1 s while the pod slept",
		      (c1 - c0) * 1000 / hz);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "podrun status %d", st);
}
END_TEST

static int wait_for_start(const char *audit_path, char *line, size_t cap);
static char why[1024];

/* "podrun run [opts] native_worker ARGS" with the built plain (no SDK) worker. */
static const char *W(const char *name)
{
	static char buf[4][512];
	static int slot;
	char *b = buf[slot++ & 3];
	if (name[0] == '/' || !strncmp(name, "tests/", 6))
		snprintf(b, 512, "%s", name);
	else if (strstr(name, ".py") || strstr(name, ".ts") || strstr(name, ".js"))
		snprintf(b, 512, "%s/workers/%s", t_tests(), name);
	else
		snprintf(b, 512, "%s/%s", t_workers(), name);
	return b;
}

static void dump(const struct run *r)
{
	fprintf(stderr, "--- status %d\n--- stdout:\n%s\n--- stderr:\n%s\n--- audit:\n%.4000s\n",
		r->status, r->out, r->err, r->audit);
}

#define EXPECT(cond, r)                                                                            \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			dump(r);                                                                   \
			ck_abort_msg("%s (status %d)", #cond, (r)->status);                        \
		}                                                                                  \
	} while (0)

/* ======================================================================== */
/* cli                                                                       */
/* ======================================================================== */

START_TEST(test_usage_error_without_program_exits_2)
{
	struct run r;
	t_runs(&r, NULL, 10, "run");
	EXPECT(r.status == 2 && strstr(r.err, "no PROGRAM"), &r);
	t_run_free(&r);
	t_runs(&r, NULL, 10, "frobnicate");
	EXPECT(r.status == 2 && strstr(r.err, "usage"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_unknown_option_exits_2_and_starts_nothing)
{
	struct run r;
	snprintf(cmd, sizeof cmd, "run --bogus %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 10, cmd);
	EXPECT(r.status == 2 && strstr(r.err, "--bogus"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run --allow-net=exa mple..com %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 10, "run --timeout abc /bin/true");
	EXPECT(r.status == 2 && strstr(r.err, "--timeout"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_policy_error_names_file_line_and_column)
{
	struct run r;
	const char *pol = t_write_tmp("bad.json", "{\n  \"version\": 1,\n  \"nett\": {}\n}\n");
	snprintf(cmd, sizeof cmd, "run --policy %s %s exit 0", pol, W("plain_worker"));
	t_runs(&r, NULL, 10, cmd);
	snprintf(why, sizeof why, "%s:3:", pol);
	EXPECT(r.status == 2 && strstr(r.err, why), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_missing_program_exits_2)
{
	struct run r;
	t_runs(&r, NULL, 10, "run /nonexistent/prog");
	EXPECT(r.status == 2 && strstr(r.err, "/nonexistent/prog"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_setup_failure_exits_125_and_leaves_nothing)
{
	struct run r;
	pid_t runner;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --audit /nonexistent/dir/audit.jsonl %s exit 0",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 125 && strstr(r.err, "/nonexistent/dir/audit.jsonl"), &r);
	runner = r.pid;
	t_run_free(&r);
	ck_assert_msg(t_runner_pid_left_nothing(runner, 3000, why, sizeof why), "%s", why);
}
END_TEST

START_TEST(test_allow_all_says_so_on_stderr)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --allow-all %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.err, "--allow-all"), &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* exit status, signals, timeout, stdio                                       */
/* ======================================================================== */

START_TEST(test_worker_exit_status_is_passed_through)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run %s exit 7", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 7, &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run %s exit 0", W("native_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_worker_killed_by_signal_gives_128_plus_n)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run %s kill 9", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 128 + 9, &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run %s kill 15", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 128 + 15, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_worker_crash_gives_139)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run %s crash", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 128 + 11, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_timeout_stops_the_pod_with_124)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd,
		 "run --timeout 1 --grace 300 --audit @AUDIT --audit-best-effort %s sleep 30",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 124 && r.ms < 6000, &r);
	EXPECT(t_audit_count(&r, "\"what\":\"timeout\"", NULL) == 1, &r);
	EXPECT(t_audit_count(&r, "\"what\":\"exit\"", "\"exit\":124", NULL) == 1, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_policy_file_limits_apply_and_flags_override)
{
	struct run r;
	const char *pol = t_write_tmp(
	    "limits.json",
	    "{ \"version\": 1, \"env\": { \"warn\": [\"HOME\"] },\n"
	    "  \"limits\": { \"timeout_s\": 1, \"memory\": \"64m\", \"pids\": 16 } }\n");
	BOTH();
	snprintf(cmd, sizeof cmd, "run --grace 200 --policy %s %s sleep 30", pol,
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 124 && r.ms < 6000 && strstr(r.err, "podrun: warn env HOME"), &r);
	t_run_free(&r);
	/* the command line's --timeout wins over the file's */
	snprintf(cmd, sizeof cmd, "run --timeout 20 --policy %s %s exit 0", pol, W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_quiet_and_verbose_logs)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run -q --warn-env=HOME %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && !strstr(r.err, "podrun:"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run --warn-env=HOME %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.err, "podrun: warn env HOME (rule: HOME)") &&
		   !strstr(r.err, "started"),
	       &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run -v %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.err, "started") && strstr(r.err, "exited with status 0"),
	       &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_stdio_is_relayed_both_ways)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run %s stdin", W("plain_worker"));
	t_runs(&r, "line one\nline two\n", 20, cmd);
	EXPECT(r.status == 0 && !strcmp(r.out, "line one\nline two\n"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run %s read /nonexistent", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 1 && strstr(r.err, "error: read /nonexistent"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_pod_ignoring_its_stdin_does_not_hurt_the_runner)
{
	struct run r;
	char *big = malloc(2u << 20);
	BOTH();
	memset(big, 'x', (2u << 20) - 1);
	big[(2u << 20) - 1] = '\0';
	/* 2 MiB for a worker that never reads and exits: no SIGPIPE, its status */
	snprintf(cmd, sizeof cmd, "run %s exit 4", W("plain_worker"));
	t_runs(&r, big, 20, cmd);
	EXPECT(r.status == 4, &r);
	t_run_free(&r);
	free(big);
}
END_TEST

/* ======================================================================== */
/* native worker: fs, run, env                                                */
/* ======================================================================== */

static const char *data_dir(void)
{
	static char dir[128];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/podrun-test-%d-data", (int)getpid());
		mkdir(dir, 0755);
		chmod(dir, 0777);
	}
	return dir;
}

static const char *data_file(const char *name, const char *content)
{
	static char path[4][256];
	static int slot;
	char *p = path[slot++ & 3];
	FILE *f;
	snprintf(p, 256, "%s/%s", data_dir(), name);
	f = fopen(p, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
	chmod(p, 0666);
	return p;
}

START_TEST(test_native_fs_read_allow_deny_warn)
{
	struct run r;
	const char *f = data_file("r.txt", "0123456789");
	BOTH();
	/* allow */
	snprintf(cmd, sizeof cmd, "run --allow-read=%s %s read %s", f, W("plain_worker"), f);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok read 10 bytes"), &r);
	t_run_free(&r);
	/* deny (default): the file does not exist inside the pod */
	snprintf(cmd, sizeof cmd, "run %s read %s", W("plain_worker"), f);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 1 && strstr(r.err, "No such file or directory"), &r);
	t_run_free(&r);
	/* deny inside an allowed tree: masked */
	snprintf(cmd, sizeof cmd, "run --allow-read=%s --deny-read=%s %s read %s", data_dir(), f,
		 W("plain_worker"), f);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 1 && strstr(r.err, "Permission denied"), &r);
	t_run_free(&r);
	/* warn: allowed, and reported when opened (eBPF) */
	ROOT_ONLY("warned file access is reported by eBPF");
	snprintf(cmd, sizeof cmd, "run --warn-read=%s --audit @AUDIT %s read %s", f,
		 W("plain_worker"), f);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok read 10 bytes"), &r);
	EXPECT(t_audit_count(&r, "\"cat\":\"fs\"", "\"action\":\"warn\"", f, NULL) >= 1, &r);
	EXPECT(strstr(r.err, "podrun: warn fs.read "), &r);
	t_run_free(&r);
}
END_TEST

/* Denied and warned file access is told on stderr without --audit, once per
 * path, with the path the kernel resolved. */
START_TEST(test_fs_denials_and_warnings_are_visible_by_default)
{
	struct run r;
	const char *line = "podrun: warn fs.read /etc/hostname (rule: /etc/hostname)\n";
	char *p;
	int n = 0;

	ROOT_ONLY("file access reports need eBPF");
	/* not granted: cat gets ENOENT, the runner says so once for two opens */
	t_runs(&r, NULL, 20, "run /bin/cat /etc/hostname /etc/hostname");
	EXPECT(r.status != 0, &r);
	for (p = r.err; (p = strstr(p, "podrun: deny fs.read /etc/hostname (rule: default)\n"));
	     p++)
		n++;
	EXPECT(n == 1, &r);
	t_run_free(&r);
	/* warned: read, and told once */
	t_runs(&r, NULL, 20, "run --warn-read=/etc/hostname /bin/cat /etc/hostname /etc/hostname");
	EXPECT(r.status == 0, &r);
	n = 0;
	for (p = r.err; (p = strstr(p, line)); p++)
		n++;
	EXPECT(n == 1, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_native_fs_write_allow_deny_warn)
{
	struct run r;
	char path[256], buf[64] = "";
	FILE *f;
	BOTH();
	snprintf(path, sizeof path, "%s/w.txt", data_dir());
	unlink(path);
	/* allow: the file appears on the host */
	snprintf(cmd, sizeof cmd, "run --allow-write=%s %s write %s", data_dir(), W("plain_worker"),
		 path);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok wrote"), &r);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "written by pod\n");
	t_run_free(&r);
	unlink(path);
	/* deny: readable only -> read-only file system */
	snprintf(cmd, sizeof cmd, "run --allow-read=%s %s write %s", data_dir(), W("plain_worker"),
		 path);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 1 && strstr(r.err, "Read-only file system"), &r);
	ck_assert_int_ne(access(path, F_OK), 0);
	t_run_free(&r);
	/* warn */
	ROOT_ONLY("warned file access is reported by eBPF");
	snprintf(cmd, sizeof cmd, "run --warn-write=%s --audit @AUDIT %s write %s", data_dir(),
		 W("plain_worker"), path);
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok wrote"), &r);
	EXPECT(t_audit_count(&r, "\"cat\":\"fs\"", "\"action\":\"warn\"", "w.txt", NULL) >= 1, &r);
	t_run_free(&r);
	unlink(path);
}
END_TEST

START_TEST(test_native_run_allow_deny_warn)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --allow-run=/usr/bin/true %s run /usr/bin/true",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok ran /usr/bin/true status 0"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run %s run /usr/bin/true", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 1 && strstr(r.err, "error: run /usr/bin/true"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd,
		 "run --warn-run=/usr/bin/true --audit @AUDIT %s run /usr/bin/true",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok ran"), &r);
	EXPECT(t_audit_count(&r, "\"cat\":\"run\"", "\"action\":\"warn\"", "/usr/bin/true", NULL) >=
		   1,
	       &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_native_env_allow_deny_warn)
{
	struct run r;
	BOTH();
	setenv("PODRUN_T_ALLOWED", "a-value", 1);
	setenv("PODRUN_T_SECRET", "s3cret", 1);
	snprintf(cmd, sizeof cmd, "run --allow-env=PODRUN_T_ALLOWED %s env PODRUN_T_ALLOWED",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok PODRUN_T_ALLOWED=a-value"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd,
		 "run --allow-env=PODRUN_T_* --deny-env=PODRUN_T_SECRET --audit @AUDIT %s env "
		 "PODRUN_T_SECRET",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 1 && strstr(r.out, "unset PODRUN_T_SECRET"), &r);
	EXPECT(t_audit_count(&r, "\"cat\":\"env\"", "\"action\":\"deny\"", "PODRUN_T_SECRET",
			     NULL) == 1,
	       &r);
	EXPECT(!strstr(r.audit, "s3cret"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd,
		 "run --warn-env=PODRUN_T_ALLOWED --audit @AUDIT %s env PODRUN_T_ALLOWED",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok PODRUN_T_ALLOWED=a-value"), &r);
	EXPECT(t_audit_count(&r, "\"cat\":\"env\"", "\"action\":\"warn\"", "PODRUN_T_ALLOWED",
			     NULL) == 1,
	       &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* every worker kind x every category: allow works, deny refused, warn audited */
/* ======================================================================== */

struct kind {
	const char *name;
	const char *worker;
	int clib; /* service mode: the command is a message, the answer a line */
};
static const struct kind kinds[] = {
	{ "native", "plain_worker", 0 },
	{ "python", "worker.py", 0 },
	{ "bun", "worker.ts", 0 },
	{ "clib", "clib_worker.so", 1 },
};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

static void act(int k, struct run *r, const char *flags, const char *what)
{
	char in[512];
	if (kinds[k].clib) {
		snprintf(cmd, sizeof cmd, "run --audit @AUDIT %s %s", flags, W(kinds[k].worker));
		snprintf(in, sizeof in, "%s\n", what);
		t_runs(r, in, 60, cmd);
	} else {
		snprintf(cmd, sizeof cmd, "run --audit @AUDIT %s %s %s", flags, W(kinds[k].worker),
			 what);
		t_runs(r, NULL, 60, cmd);
	}
}

/* allowed: the worker says "ok <needle...>" */
static int done_ok(int k, const struct run *r, const char *needle)
{
	return (kinds[k].clib || r->status == 0) && strstr(r->out, needle) != NULL;
}

/* refused: a clear error in the worker naming @p needle */
static int refused(int k, const struct run *r, const char *needle)
{
	const char *s = kinds[k].clib ? r->out : r->err;
	const char *e = strstr(s, "error: ");
	return (kinds[k].clib || r->status == 1) && e && strstr(e, needle) &&
	       !strstr(r->out, "ok ");
}

static int audited(const struct run *r, const char *cat, const char *action, const char *what)
{
	char c[32], a[32];
	snprintf(c, sizeof c, "\"cat\":\"%s\"", cat);
	snprintf(a, sizeof a, "\"action\":\"%s\"", action);
	return t_audit_count(r, c, a, what, NULL) >= 1;
}

START_TEST(test_kind_fs_read)
{
	struct run r;
	char flags[512], what[300];
	const char *f = data_file("kr.txt", "0123456789");
	BOTH();
	snprintf(what, sizeof what, "read %s", f);
	snprintf(flags, sizeof flags, "--allow-read=%s", f);
	act(_i, &r, flags, what);
	EXPECT(done_ok(_i, &r, "ok read 10 bytes"), &r);
	t_run_free(&r);
	snprintf(flags, sizeof flags, "--allow-read=%s --deny-read=%s", data_dir(), f);
	act(_i, &r, flags, what);
	EXPECT(refused(_i, &r, f), &r);
	t_run_free(&r);
	ROOT_ONLY("warned file access is reported by eBPF");
	snprintf(flags, sizeof flags, "--warn-read=%s", f);
	act(_i, &r, flags, what);
	EXPECT(done_ok(_i, &r, "ok read 10 bytes") && audited(&r, "fs", "warn", f), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_kind_fs_write)
{
	struct run r;
	char flags[512], what[300], path[256];
	BOTH();
	snprintf(path, sizeof path, "%s/kw-%s.txt", data_dir(), kinds[_i].name);
	unlink(path);
	snprintf(what, sizeof what, "write %s", path);
	snprintf(flags, sizeof flags, "--allow-write=%s", data_dir());
	act(_i, &r, flags, what);
	EXPECT(done_ok(_i, &r, "ok wrote") && access(path, F_OK) == 0, &r);
	t_run_free(&r);
	unlink(path);
	snprintf(flags, sizeof flags, "--allow-read=%s", data_dir());
	act(_i, &r, flags, what);
	EXPECT(refused(_i, &r, path) && access(path, F_OK) != 0, &r);
	t_run_free(&r);
	ROOT_ONLY("warned file access is reported by eBPF");
	snprintf(flags, sizeof flags, "--warn-write=%s", data_dir());
	act(_i, &r, flags, what);
	EXPECT(done_ok(_i, &r, "ok wrote") && audited(&r, "fs", "warn", path), &r);
	t_run_free(&r);
	unlink(path);
}
END_TEST

START_TEST(test_kind_run)
{
	struct run r;
	BOTH();
	act(_i, &r, "--allow-run=/usr/bin/true", "run /usr/bin/true");
	EXPECT(done_ok(_i, &r, "ok ran /usr/bin/true"), &r);
	t_run_free(&r);
	act(_i, &r, "--allow-read=/etc/hostname", "run /usr/bin/true");
	EXPECT(refused(_i, &r, "/usr/bin/true"), &r);
	t_run_free(&r);
	act(_i, &r, "--warn-run=/usr/bin/true", "run /usr/bin/true");
	EXPECT(done_ok(_i, &r, "ok ran /usr/bin/true") &&
		   audited(&r, "run", "warn", "/usr/bin/true"),
	       &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_kind_env)
{
	struct run r;
	BOTH();
	setenv("PODRUN_T_KIND", "kind-value", 1);
	act(_i, &r, "--allow-env=PODRUN_T_KIND", "env PODRUN_T_KIND");
	EXPECT(done_ok(_i, &r, "ok PODRUN_T_KIND=kind-value"), &r);
	t_run_free(&r);
	act(_i, &r, "--deny-env=PODRUN_T_KIND", "env PODRUN_T_KIND");
	EXPECT(strstr(r.out, "unset PODRUN_T_KIND") && audited(&r, "env", "deny", "PODRUN_T_KIND"),
	       &r);
	t_run_free(&r);
	act(_i, &r, "--warn-env=PODRUN_T_KIND", "env PODRUN_T_KIND");
	EXPECT(done_ok(_i, &r, "ok PODRUN_T_KIND=kind-value") &&
		   audited(&r, "env", "warn", "PODRUN_T_KIND"),
	       &r);
	t_run_free(&r);
}
END_TEST

#define FFI_LIB "/usr/lib/x86_64-linux-gnu/libcjson.so.1"

START_TEST(test_kind_ffi)
{
	struct run r;
	BOTH();
	POD_REQUIRE(access(FFI_LIB, R_OK) == 0, "libcjson.so.1 (from make deps) missing");
	act(_i, &r, "--allow-ffi=" FFI_LIB, "ffi " FFI_LIB);
	EXPECT(done_ok(_i, &r, "ok loaded " FFI_LIB) && audited(&r, "ffi", "allow", FFI_LIB), &r);
	t_run_free(&r);
	act(_i, &r, "--deny-ffi=" FFI_LIB, "ffi " FFI_LIB);
	/* (rootless, a native or C-library worker's denied load is refused all
	 * the same, but only eBPF would report it: said at start, "ebpf") */
	EXPECT(refused(_i, &r, FFI_LIB) && (audited(&r, "ffi", "deny", FFI_LIB) ||
					    (!pod_is_root() && (_i == 0 || kinds[_i].clib))),
	       &r);
	t_run_free(&r);
	act(_i, &r, "--warn-ffi=" FFI_LIB, "ffi " FFI_LIB);
	EXPECT(done_ok(_i, &r, "ok loaded " FFI_LIB) && audited(&r, "ffi", "warn", FFI_LIB), &r);
	t_run_free(&r);
}
END_TEST

#ifdef PODRUN_HAVE_PROXY
START_TEST(test_kind_net)
{
	struct run r;
	char flags[256], what[64];
	int port = 0;
	pid_t srv;
	BOTH();
	srv = t_http_server(&port);
	ck_assert_int_gt(srv, 0);
	snprintf(what, sizeof what, "net localhost %d", port);
	snprintf(flags, sizeof flags, "--allow-net=localhost:%d", port);
	act(_i, &r, flags, what);
	EXPECT(done_ok(_i, &r, "ok net") && audited(&r, "net", "allow", "localhost:"), &r);
	t_run_free(&r);
	/* another host is allowed, so the pod has a network and the proxy decides */
	snprintf(flags, sizeof flags, "--allow-net=allowed.invalid:80 --deny-net=localhost:%d",
		 port);
	act(_i, &r, flags, what);
	EXPECT(refused(_i, &r, "net") && audited(&r, "net", "deny", "localhost:"), &r);
	t_run_free(&r);
	snprintf(flags, sizeof flags, "--warn-net=localhost:%d", port);
	act(_i, &r, flags, what);
	EXPECT(done_ok(_i, &r, "ok net") && audited(&r, "net", "warn", "localhost:"), &r);
	t_run_free(&r);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
}
END_TEST
/* Host services on wildcard addresses at the pod's standard ports (DNS, HTTP,
 * HTTPS, proxy): the runner's listeners take kernel-chosen ports and the pod
 * reaches them through DNAT in its own netns, so pods start and work. The test
 * runs in a private network namespace (its own "host"), so the listeners it
 * holds never disturb other runners on the machine. */
START_TEST(test_pod_starts_next_to_host_services_on_standard_ports)
{
	struct run r;
	int port = 0, fds[5], n = 0;
	pid_t srv;
	ROOT_ONLY("the test makes a network namespace of its own");
	POD_REQUIRE(!getenv("CK_FORK") || strcmp(getenv("CK_FORK"), "no"),
		    "a private network namespace per test (CK_FORK=no)");
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	ck_assert_int_eq(system("ip link set lo up"), 0);
	static const struct {
		int type, port;
	} svc[] = {
		{ SOCK_STREAM, 53 },  { SOCK_DGRAM, 53 },    { SOCK_STREAM, 80 },
		{ SOCK_STREAM, 443 }, { SOCK_STREAM, 3128 },
	};
	for (size_t i = 0; i < sizeof svc / sizeof svc[0]; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(svc[i].port) };
		int one = 1, fd = socket(AF_INET, svc[i].type | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fd, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0); /* 0.0.0.0 */
		if (svc[i].type == SOCK_STREAM)
			ck_assert_int_eq(listen(fd, 16), 0);
		fds[n++] = fd;
	}
	srv = t_http_server(&port);
	ck_assert_int_gt(srv, 0);
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --allow-net=localhost:%d %s net localhost %d",
		 port, W("native_worker"), port);
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok net"), &r);
	EXPECT(t_audit_count(&r, "\"src\":\"proxy\"", "\"action\":\"allow\"", "localhost:", NULL) >=
		   1,
	       &r);
	/* traffic accounting: the connection's end and the pod's total for the host */
	EXPECT(t_audit_count(&r, "\"event\":\"conn_end\"", "\"decision\":\"allow\"",
			     "localhost:", NULL) == 1,
	       &r);
	EXPECT(t_audit_count(&r, "\"event\":\"host_total\"", "\"requests\":1",
			     "localhost:", NULL) == 1,
	       &r);
	t_run_free(&r);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}
END_TEST
#endif

START_TEST(test_pod_without_net_rules_has_loopback_only)
{
	struct run r;
	int port = 0;
	pid_t srv;
	BOTH();
	srv = t_http_server(&port);
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT %s net 127.0.0.1 %d", W("plain_worker"),
		 port);
	t_runs(&r, NULL, 30, cmd);
	/* no proxy, no veth: 127.0.0.1 is the pod's own loopback, nothing listens */
	EXPECT(r.status == 1 && strstr(r.err, "Connection refused"), &r);
	EXPECT(t_audit_count(&r, "\"what\":\"start\"", "\"net\":\"loopback\"", NULL) == 1, &r);
	t_run_free(&r);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
}
END_TEST

/* ======================================================================== */
/* audit                                                                      */
/* ======================================================================== */

START_TEST(test_audit_lines_follow_the_schema_and_end_with_life)
{
	struct run r;
	char line[16384];
	int n;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --warn-env=HOME %s exit 5",
		 W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 5, &r);
	n = t_audit_wellformed(r.audit, why, sizeof why);
	if (n <= 0) {
		dump(&r);
		ck_abort_msg("audit: %s", why);
	}
	/* the start event names the pod's BPF links (by id), the last line is the
	 * life summary with exit and counts (and syscalls from eBPF) */
	ck_assert(t_audit_line(r.audit, line, sizeof line, "\"what\":\"start\"", "\"bpf_links\":[",
			       NULL));
	if (pod_is_root())
		ck_assert_ptr_null(strstr(line, "\"bpf_links\":[]"));
	else /* rootless: no eBPF (said at start, "ebpf") */
		ck_assert_ptr_nonnull(strstr(line, "\"bpf_links\":[]"));
	ck_assert(t_audit_line(r.audit, line, sizeof line, "\"what\":\"exit\"", NULL));
	ck_assert_ptr_nonnull(strstr(line, "\"exit\":5"));
	ck_assert_ptr_nonnull(strstr(line, "\"counts\":{\"net\":{\"allow\":"));
	if (pod_is_root())
		ck_assert_ptr_nonnull(strstr(line, "\"syscalls\":{"));
	else /* rootless: the syscall counts come from eBPF */
		ck_assert_ptr_null(strstr(line, "\"syscalls\":{"));
	ck_assert_ptr_nonnull(
	    strstr(r.audit + strlen(r.audit) - strlen(line) - 1, "\"what\":\"exit\""));
	t_run_free(&r);
}
END_TEST

START_TEST(test_audit_fails_without_ebpf_unless_best_effort)
{
	podrun_t *pod = NULL;
	char line[4096];
	int warned = 0, n;
	BOTH();
	/* without the option: podrun_start fails (exit 125) and nothing runs */
	ck_assert_int_eq(podrun_new(&pod), 0);
	ck_assert_int_eq(podrun_set_program(pod, W("plain_worker")), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "exit"), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "0"), 0);
	ck_assert_int_eq(podrun_set_audit(pod, "/dev/null"), 0);
	ck_assert_int_eq(podrun_set_option(pod, "audit-btf", "/nonexistent/vmlinux"), 0);
	ck_assert_int_lt(podrun_start(pod), 0);
	ck_assert_int_eq(podrun_exit_code(pod), PODRUN_EXIT_RUNNER);
	ck_assert_ptr_nonnull(strstr(podrun_error(pod), "--audit-best-effort"));
	podrun_free(pod);
	/* with it: the pod runs, and a warn event says eBPF is off */
	ck_assert_int_eq(podrun_new(&pod), 0);
	ck_assert_int_eq(podrun_set_program(pod, W("plain_worker")), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "exit"), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "3"), 0);
	ck_assert_int_eq(podrun_set_stdio(pod, -1, -1, -1), 0);
	ck_assert_int_eq(podrun_set_audit(pod, "/dev/null"), 0);
	ck_assert_int_eq(podrun_set_events(pod, 1), 0);
	ck_assert_int_eq(podrun_set_verbosity(pod, PODRUN_QUIET), 0);
	ck_assert_int_eq(podrun_set_option(pod, "audit-btf", "/nonexistent/vmlinux"), 0);
	ck_assert_int_eq(podrun_set_option(pod, "audit-best-effort", "1"), 0);
	ck_assert_int_eq(podrun_start(pod), 0);
	ck_assert_int_eq(podrun_wait(pod), 3);
	while ((n = podrun_next_event(pod, line, sizeof line)) >= 0)
		warned += strstr(line, "\"what\":\"ebpf\"") && strstr(line, "\"action\":\"warn\"");
	ck_assert_int_eq(warned, 1);
	podrun_free(pod);
}
END_TEST

/* The documented schema (docs/audit-event.schema.json) and what podrun
 * writes cannot drift apart: a run with events from every source is checked
 * by the docs' own checker. */
START_TEST(test_audit_matches_the_documented_schema)
{
	struct run r;
	char checker[512], schema_cmd[1024];
	const char *top = getenv("PODRUN_TOP");
	int port = 0, st;
	pid_t srv;
	BOTH();
	ck_assert_ptr_nonnull(top);
	snprintf(checker, sizeof checker, "%s/docs/check_audit_schema.py", top);
	ck_assert_msg(access(checker, R_OK) == 0, "%s missing", checker);
	srv = t_http_server(&port);
	setenv("PODRUN_T_SCHEMA", "x\001\"y\xff",
	       1); /* hostile bytes in a variable's value stay out */
	snprintf(cmd, sizeof cmd,
		 "run -v --audit @AUDIT --warn-env=PODRUN_T_SCHEMA --deny-env=AWS_* "
		 "--warn-read=/etc/hostname "
		 "--deny-ffi=" FFI_LIB " --allow-net=localhost:%d --deny-net=denied.invalid "
		 "%s net localhost %d",
		 port, W("worker.py"), port);
	t_runs(&r, NULL, 60, cmd);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
#ifdef PODRUN_HAVE_PROXY
	EXPECT(r.status == 0 && t_audit_count(&r, "\"src\":\"proxy\"", NULL) >= 1, &r);
#endif
	snprintf(schema_cmd, sizeof schema_cmd, "python3 %s %s >/dev/null", checker, r.audit_path);
	st = system(schema_cmd);
	if (st != 0) {
		snprintf(schema_cmd, sizeof schema_cmd, "python3 %s %s >&2", checker, r.audit_path);
		if (system(schema_cmd) < 0)
			perror("system");
		dump(&r);
	}
	ck_assert_int_eq(st, 0);
	t_run_free(&r);
}
END_TEST

START_TEST(test_audit_to_stderr_with_dash)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run -q --audit - %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.err, "{\"ts\":\"") && strstr(r.err, "\"what\":\"exit\""),
	       &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* service mode                                                               */
/* ======================================================================== */

START_TEST(test_native_serve_echoes_each_line)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --serve %s echo", W("native_worker"));
	t_runs(&r, "alpha\nbeta\ngamma\n", 20, cmd);
	EXPECT(r.status == 0 && !strcmp(r.out, "alpha\nbeta\ngamma\n"), &r);
	t_run_free(&r);
}
END_TEST

/* Far more input than the ring holds: stdin must pause on a full ring and
 * resume when 02 reports room, losing and reordering nothing. */
START_TEST(test_serve_backpressure_keeps_every_line_in_order)
{
	struct run r;
	size_t cap = 200000 * 8, len = 0;
	char *in = malloc(cap);
	BOTH();
	for (int i = 1; i <= 200000; i++)
		len += (size_t)snprintf(in + len, cap - len, "%d\n", i);
	snprintf(cmd, sizeof cmd, "run --serve %s echo", W("native_worker"));
	t_runs(&r, in, 60, cmd);
	EXPECT(r.status == 0 && strlen(r.out) == len && !strcmp(r.out, in), &r);
	t_run_free(&r);
	/* and the raw relay with a pod that copies stdin to stdout */
	snprintf(cmd, sizeof cmd, "run %s stdin", W("plain_worker"));
	t_runs(&r, in, 60, cmd);
	EXPECT(r.status == 0 && !strcmp(r.out, in), &r);
	t_run_free(&r);
	free(in);
}
END_TEST

START_TEST(test_native_sdk_message_reaches_stdout)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run %s send hello-from-pod", W("native_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "hello-from-pod\n"), &r);
	t_run_free(&r);
}
END_TEST

/* Python and Bun workers through their 02-ipc SDKs: lines -> frames -> lines */
START_TEST(test_sdk_serve_echoes_each_line)
{
	static const char *const workers[] = { "worker.py", "worker.ts" };
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --serve %s echo", W(workers[_i]));
	t_runs(&r, "alpha\nbeta\ngamma\n", 60, cmd);
	EXPECT(r.status == 0 && !strcmp(r.out, "alpha\nbeta\ngamma\n"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_clib_serve_echoes_each_line)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run %s", W("clib_worker.so"));
	t_runs(&r, "echo one\necho two\necho three\n", 30, cmd);
	EXPECT(r.status == 0 && !strcmp(r.out, "one\ntwo\nthree\n"), &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* the FFI query socket: decisions, malformed requests, strangers             */
/* ======================================================================== */

START_TEST(test_query_socket_decides_and_rejects_malformed_requests)
{
	struct run r;
	BOTH();
	snprintf(
	    cmd, sizeof cmd,
	    "run --audit @AUDIT --warn-ffi=/opt/lib/x.so %s query ffi /opt/lib/../lib/x.so event",
	    W("native_worker"));
	t_runs(&r, NULL, 30, cmd);
	/* normalized before the decision; the pod's EVENT is audited as its report */
	EXPECT(r.status == 0 && strstr(r.out, "verdict warn rule=/opt/lib/x.so"), &r);
	EXPECT(t_audit_count(&r, "\"src\":\"loader\"", "\"action\":\"warn\"",
			     "\"what\":\"/opt/lib/x.so\"", NULL) == 1,
	       &r);
	EXPECT(t_audit_count(&r, "\"reported_by\":\"pod\"", NULL) == 1, &r);
	/* the pod's own report is written but not counted as a decision */
	EXPECT(t_audit_count(&r, "\"what\":\"exit\"",
			     "\"ffi\":{\"allow\":0,\"warn\":1,\"deny\":0,\"info\":0}", NULL) == 1,
	       &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --allow-ffi %s query ffi relative/lib.so",
		 W("native_worker"));
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "verdict deny rule=malformed"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT %s query bogus-category x",
		 W("native_worker"));
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "verdict deny rule=malformed"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_query_socket_refuses_a_process_outside_the_pod)
{
	char audit[128], line[8192], dir[256], path[300], *content;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int st, fd, refused = 0;
	pid_t pid;
	FILE *f;
	BOTH();
	snprintf(audit, sizeof audit, "/tmp/podrun-test-%d-q.audit", (int)getpid());
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --grace 200 %s sleep 3", W("plain_worker"));
	pid = t_spawn(cmd, audit);
	ck_assert(wait_for_start(audit, line, sizeof line));
	t_json_str(line, "ipc_dir", dir, sizeof dir);
	snprintf(path, sizeof path, "%s/query.sock", dir);
	ck_assert_uint_lt(strlen(path), sizeof a.sun_path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	/* the test process is root but not in the pod: it must be turned away */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		char b[64];
		struct pollfd pf = { fd, POLLIN, 0 };
		refused = poll(&pf, 1, 3000) == 1 && read(fd, b, sizeof b) >= 0;
	} else {
		refused = 1;
	}
	close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	ck_assert(refused);
	f = fopen(audit, "r");
	ck_assert_ptr_nonnull(f);
	content = calloc(1, 1 << 20);
	ck_assert(fread(content, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	ck_assert_msg(
	    strstr(content, "\"cat\":\"ipc\",\"action\":\"deny\",\"what\":\"connection\""),
	    "no deny event for the stranger: %.2000s", content);
	free(content);
	unlink(audit);
}
END_TEST

/* ======================================================================== */
/* debug UI                                                                   */
/* ======================================================================== */

#ifdef PODRUN_HAVE_DBGUI
/* podrun --debug-ui prints its address; the event stream carries the pod's
 * audit events (here the env warn) and the 500 ms stats line. */
START_TEST(test_debug_ui_streams_events_and_stats)
{
	char errf[128], buf[65536], *s;
	struct sockaddr_in a = { .sin_family = AF_INET };
	int port = 0, fd, st, n = 0, got;
	double t0;
	pid_t pid;
	BOTH();
	snprintf(errf, sizeof errf, "/tmp/podrun-test-%d-ui.err", (int)getpid());
	pid = fork();
	if (pid == 0) {
		int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600),
		    nul = open("/dev/null", O_RDWR);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(e, 2);
		setenv("PODRUN_T_UI", "x", 1);
		execl(t_podrun(), t_podrun(), "run", "--debug-ui", "--warn-env=PODRUN_T_UI",
		      W("plain_worker"), "sleep", "3", (char *)NULL);
		_exit(127);
	}
	for (t0 = t_now_ms(); !port && t_now_ms() - t0 < 5000; usleep(20000)) {
		FILE *f = fopen(errf, "r");
		if (!f)
			continue;
		n = (int)fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n < 0 ? 0 : n] = '\0';
		s = strstr(buf, "debug UI at http://127.0.0.1:");
		if (s)
			port = atoi(s + strlen("debug UI at http://127.0.0.1:"));
	}
	ck_assert_msg(port > 0, "no debug UI address on stderr: %s", buf);
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	{
		char req[128];
		int rl = snprintf(req, sizeof req,
				  "GET /events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
		ck_assert(write(fd, req, (size_t)rl) == rl);
	}
	for (got = 0, t0 = t_now_ms(); t_now_ms() - t0 < 4000 && got < (int)sizeof buf - 1;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		if (poll(&pf, 1, 200) == 1) {
			ssize_t r = read(fd, buf + got, sizeof buf - 1 - (size_t)got);
			if (r <= 0)
				break;
			got += (int)r;
			buf[got] = '\0';
			if (strstr(buf, "PODRUN_T_UI") && strstr(buf, "\"what\":\"stats\""))
				break;
		}
	}
	buf[got] = '\0';
	close(fd);
	waitpid(pid, &st, 0);
	unlink(errf);
	ck_assert_msg(strstr(buf, "text/event-stream"), "not an event stream: %.500s", buf);
	ck_assert_msg(strstr(buf, "\"action\":\"warn\",\"what\":\"PODRUN_T_UI\""),
		      "no warn event: %.3000s", buf);
	ck_assert_msg(strstr(buf, "\"what\":\"stats\",\"rule\":\"default\",\"pid\":0,\"state\":"
				  "\"running\",\"rings\":{"),
		      "no stats line: %.3000s", buf);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST
#endif

/* ======================================================================== */
/* limits                                                                     */
/* ======================================================================== */

START_TEST(test_memory_limit_kills_a_hog)
{
	struct run r;
	ROOT_ONLY("no cgroup, memory is not limited (said: memory)");
	snprintf(cmd, sizeof cmd, "run --memory 32m %s hog 256", W("plain_worker"));
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 128 + 9 && !strstr(r.out, "ok allocated"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run --memory 128m %s hog 16", W("plain_worker"));
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok allocated 16 MiB"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_pids_limit_stops_a_fork_loop)
{
	struct run r;
	BOTH();
	snprintf(cmd, sizeof cmd, "run --pids 10 %s fork 50", W("plain_worker"));
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 3 && strstr(r.out, "limited"), &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* cleanup in every exit path                                                 */
/* ======================================================================== */

static void cleanup_case(const char *args, int expect_status)
{
	struct run r;

	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --grace 500 %s", args);
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == expect_status, &r);
	if (!t_runner_left_nothing(r.audit, r.pid, 3000, why, sizeof why)) {
		dump(&r);
		ck_abort_msg("leftover: %s", why);
	}
	t_run_free(&r);
}

START_TEST(test_cleanup_after_success)
{
	BOTH();
	snprintf(why, sizeof why, "%s exit 0", W("native_worker"));
	cleanup_case(why, 0);
}
END_TEST

START_TEST(test_cleanup_after_success_with_network)
{
	BOTH();
	snprintf(why, sizeof why, "--allow-net=allowed.invalid:80 %s exit 0", W("native_worker"));
	cleanup_case(why, 0);
}
END_TEST

START_TEST(test_cleanup_after_worker_crash)
{
	BOTH();
	snprintf(why, sizeof why, "%s crash", W("native_worker"));
	cleanup_case(why, 139);
}
END_TEST

START_TEST(test_cleanup_after_worker_sigkill)
{
	BOTH();
	snprintf(why, sizeof why, "%s kill 9", W("plain_worker"));
	cleanup_case(why, 137);
}
END_TEST

static int wait_for_start(const char *audit_path, char *line, size_t cap)
{
	for (int i = 0; i < 400; i++) {
		FILE *f = fopen(audit_path, "r");
		char buf[65536];
		size_t n = 0;
		if (f) {
			n = fread(buf, 1, sizeof buf - 1, f);
			fclose(f);
		}
		buf[n] = '\0';
		if (t_audit_line(buf, line, cap, "\"what\":\"start\"", NULL))
			return 1;
		usleep(25000);
	}
	return 0;
}

START_TEST(test_cleanup_after_runner_sigterm)
{
	char audit[128], line[8192], *content;
	int st;
	pid_t pid;
	FILE *f;
	BOTH();
	snprintf(audit, sizeof audit, "/tmp/podrun-test-%d-term.audit", (int)getpid());
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --grace 1000 %s sleep 30", W("plain_worker"));
	pid = t_spawn(cmd, audit);
	ck_assert(wait_for_start(audit, line, sizeof line));
	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	/* the worker got SIGTERM (forwarded by the pod's init) and died of it */
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 128 + 15);
	f = fopen(audit, "r");
	ck_assert_ptr_nonnull(f);
	content = calloc(1, 1 << 20);
	ck_assert(fread(content, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(content, "\"what\":\"signal 15\""));
	ck_assert_ptr_nonnull(strstr(content, "\"what\":\"exit\""));
	ck_assert_msg(t_pod_objects_gone(content, why, sizeof why), "%s", why);
	free(content);
	unlink(audit);
	ck_assert_msg(t_runner_pid_left_nothing(pid, 3000, why, sizeof why), "%s", why);
}
END_TEST

static int alive(int pid)
{
	char path[64], buf[512], *s;
	int fd, n;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = (int)read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	s = strrchr(buf, ')');
	return s && s[1] == ' ' && s[2] != 'Z' && s[2] != 'X';
}

START_TEST(test_runner_sigkill_takes_the_pod_down_and_next_run_is_fine)
{
	char audit[128], line[8192], hp[32], dir[256];
	const char *s;
	int st, init_pid;
	pid_t pid;
	struct run r;
	BOTH();
	snprintf(audit, sizeof audit, "/tmp/podrun-test-%d-kill.audit", (int)getpid());
#ifdef PODRUN_HAVE_PROXY
	/* with a network, so that there is a veth to lose too */
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT --allow-net=allowed.invalid:80 %s sleep 30",
		 W("plain_worker"));
#else
	snprintf(cmd, sizeof cmd, "run --audit @AUDIT %s sleep 30", W("plain_worker"));
#endif
	pid = t_spawn(cmd, audit);
	ck_assert(wait_for_start(audit, line, sizeof line));
#ifdef PODRUN_HAVE_PROXY
	ck_assert_ptr_nonnull(
	    strstr(line, pod_is_root() ? "\"net\":\"veth\"" : "\"net\":\"netns\""));
#endif
	s = strstr(line, "\"host_pid\":");
	ck_assert_ptr_nonnull(s);
	init_pid = atoi(s + 11);
	snprintf(hp, sizeof hp, "%d", init_pid);
	t_json_str(line, "ipc_dir", dir, sizeof dir);
	ck_assert_int_gt(init_pid, 1);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* the pod dies with its runner (PDEATHSIG); nobody may reap it here, so
	 * "dead" means gone or a zombie */
	for (int i = 0; i < 200 && alive(init_pid); i++)
		usleep(10000);
	ck_assert_msg(!alive(init_pid), "pod init %d survived its runner", init_pid);
	/* the dead runner's socket directory is still there until the next run
	 * sweeps it (any podrun started on this machine may be that run: when
	 * the directory is gone already, another runner swept it); rootless too,
	 * from the user's own run directory */
	if (access(dir, F_OK) != 0)
		fprintf(stderr, "note: %s was swept by a concurrent runner\n", dir);
	/* the next run works normally */
	snprintf(cmd, sizeof cmd, "run %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0, &r);
	t_run_free(&r);
	ck_assert_msg(access(dir, F_OK) < 0, "stale %s not swept", dir);
	/* every object the dead runner's pod had (veth, cgroups, record) is gone */
	strcat(line, "\n");
	ck_assert_msg(t_pod_objects_gone(line, why, sizeof why), "%s", why);
	unlink(audit);
	ck_assert_msg(t_runner_pid_left_nothing(pid, 3000, why, sizeof why), "%s", why);
}
END_TEST

/*
 * Start "podrun CMDLINE" and SIGKILL it the moment a name beginning with
 * @p prefix and ending with @p suffix appears in @p dir (inotify): the runner
 * is then in the middle of making that object. Returns 1 with the name.
 */
static int kill_runner_when_made(const char *dir, const char *prefix, const char *suffix,
				 const char *cmdline, char *name, size_t cap)
{
	int ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), st;
	double t0 = t_now_ms();
	pid_t pid;

	name[0] = '\0';
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_CREATE) < 0)
		return 0;
	pid = t_spawn(cmdline, NULL);
	while (!name[0] && t_now_ms() - t0 < 20000) {
		char buf[4096] __attribute__((aligned(8)));
		struct pollfd pf = { .fd = ifd, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = read(ifd, buf, sizeof buf);
		for (char *q = buf; n > 0 && q < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)q;
			size_t l = ev->len ? strlen(ev->name) : 0;

			if (!name[0] && l && !strncmp(ev->name, prefix, strlen(prefix)) &&
			    l >= strlen(suffix) && !strcmp(ev->name + l - strlen(suffix), suffix)) {
				kill(pid, SIGKILL); /* at once: the runner is making it */
				snprintf(name, cap, "%s", ev->name);
			}
			q += sizeof *ev + ev->len;
		}
	}
	close(ifd);
	if (!name[0])
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return name[0] && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
}

/* After a killed runner: the next run works, and its sweep removed @p path. */
static void next_run_sweeps(const char *path)
{
	struct run r;

	snprintf(cmd, sizeof cmd, "run %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0, &r);
	t_run_free(&r);
	for (int k = 0; k < 100 && access(path, F_OK) == 0; k++)
		usleep(20000); /* a concurrent runner's sweep may be removing it */
	ck_assert_msg(access(path, F_OK) < 0, "%s left by a runner killed while making it", path);
}

/*
 * A runner killed in the middle of its spawn, right after it made the pod's
 * first cgroup and before the spawn returned: the next run's sweep still
 * removes every cgroup of that pod, because the runner recorded their names
 * before making them.
 */
START_TEST(test_runner_killed_during_spawn_leaves_no_cgroup)
{
	static const char *const hier[][2] = { { "", "/sys/fs/cgroup/unified" },
					       { "", "/sys/fs/cgroup" },
					       { "memory", "/sys/fs/cgroup/memory" },
					       { "pids", "/sys/fs/cgroup/pids" },
					       { "cpu", "/sys/fs/cgroup/cpu" } };
	char parent[5][512], name[NAME_MAX + 1], path[3000];
	int nparent = 0;

	ROOT_ONLY("no cgroup of the pod's own without root (said: limits)");
	for (size_t i = 0; i < sizeof hier / sizeof hier[0]; i++)
		if (t_own_cgroup_dir(hier[i][0], hier[i][1], parent[nparent], sizeof parent[0]))
			nparent++;
	ck_assert_int_gt(nparent, 0);
	snprintf(cmd, sizeof cmd, "run %s sleep 30", W("plain_worker"));
	/* the first hierarchy found is the first one a spawn makes */
	ck_assert_msg(kill_runner_when_made(parent[0], "sbx-", "", cmd, name, sizeof name),
		      "no pod cgroup was made in %s", parent[0]);
	for (int i = 0; i < nparent; i++) {
		snprintf(path, sizeof path, "%s/%s", parent[i], name);
		next_run_sweeps(path);
	}
}
END_TEST

/* The same for the socket directory, ipc-<pod id> under /run/pod (rootless:
 * under $XDG_RUNTIME_DIR or /tmp, recorded in the user's run directory). */
START_TEST(test_runner_killed_making_its_socket_dir_leaves_nothing)
{
	char name[NAME_MAX + 1], path[600];

	BOTH();
	if (pod_is_root())
		mkdir("/run/pod", 0711);
	snprintf(cmd, sizeof cmd, "run %s sleep 30", W("plain_worker"));
	ck_assert(kill_runner_when_made(t_sock_base(), "ipc-", "", cmd, name, sizeof name));
	snprintf(path, sizeof path, "%s/%s", t_sock_base(), name);
	next_run_sweeps(path);
}
END_TEST

#ifdef PODRUN_HAVE_PROXY
/* And for the pod's resolv.conf file, <run dir>/<pod id>.resolv, made
 * before the record that names it is rewritten. */
START_TEST(test_runner_killed_making_its_resolv_file_leaves_nothing)
{
	char name[NAME_MAX + 1], path[600];

	BOTH();
	mkdir(t_run_dir(), 0700);
	snprintf(cmd, sizeof cmd, "run --allow-net=allowed.invalid:80 %s sleep 30",
		 W("plain_worker"));
	ck_assert(kill_runner_when_made(t_run_dir(), "", ".resolv", cmd, name, sizeof name));
	snprintf(path, sizeof path, "%s/%s", t_run_dir(), name);
	next_run_sweeps(path);
}
END_TEST
#endif

/*
 * A record is input too: rootless, the run directory is in /tmp, which a pod
 * may write when a rule lets it. A forged record of a "dead runner" that
 * names things outside its reach (a file and a directory elsewhere, another
 * pod's cgroup with a process in it) makes the sweep remove the record and
 * nothing else.
 */
START_TEST(test_sweep_removes_only_what_a_record_may_name)
{
	char rec[300], file[128], dir[128], inner[160], cg[600] = "", body[2048];
	struct run r;
	pid_t sleeper = -1;
	FILE *f;
	int st;

	BOTH();
	mkdir(t_run_dir(), 0700);
	snprintf(file, sizeof file, "%s", t_write_tmp("victim", "keep\n"));
	snprintf(dir, sizeof dir, "/tmp/podrun-test-%d-victimdir", (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(inner, sizeof inner, "%s/inside", dir);
	f = fopen(inner, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	if (pod_is_root()) {
		char parent[512], procs[700], pid_s[32];
		int fd;

		ck_assert(t_own_cgroup_dir("pids", "/sys/fs/cgroup/pids", parent, sizeof parent));
		snprintf(cg, sizeof cg, "%s/sbx-other%d", parent, (int)getpid());
		ck_assert_int_eq(mkdir(cg, 0755), 0);
		sleeper = fork();
		if (sleeper == 0) {
			pause();
			_exit(0);
		}
		snprintf(procs, sizeof procs, "%s/cgroup.procs", cg);
		snprintf(pid_s, sizeof pid_s, "%d", (int)sleeper);
		fd = open(procs, O_WRONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, pid_s, strlen(pid_s)), (ssize_t)strlen(pid_s));
		close(fd);
	}
	snprintf(body, sizeof body,
		 "runner 999999999 1\ndir %s\nfile %s\nrmdir %s\nfile %s/../%s\n%s%s%s", dir, file,
		 dir, t_run_dir(), file + 5, cg[0] ? "cgroup " : "", cg, cg[0] ? "\n" : "");
	snprintf(rec, sizeof rec, "%s/forged%d.owner", t_run_dir(), (int)getpid());
	f = fopen(rec, "w");
	ck_assert_ptr_nonnull(f);
	fputs(body, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "run %s exit 0", W("plain_worker"));
	t_runs(&r, NULL, 20, cmd);
	EXPECT(r.status == 0, &r);
	t_run_free(&r);
	ck_assert_msg(access(rec, F_OK) < 0, "the dead runner's record %s was not swept", rec);
	ck_assert_msg(access(file, F_OK) == 0, "%s removed through a forged record", file);
	ck_assert_msg(access(inner, F_OK) == 0, "%s emptied through a forged record", dir);
	if (sleeper > 0) {
		int alive = waitpid(sleeper, &st, WNOHANG) == 0 && access(cg, F_OK) == 0;

		kill(sleeper, SIGKILL);
		waitpid(sleeper, &st, 0);
		rmdir(cg);
		ck_assert_msg(alive, "another pod's cgroup %s emptied through a forged record", cg);
	}
	unlink(inner);
	rmdir(dir);
}
END_TEST

/* ======================================================================== */
/* scale                                                                       */
/* ======================================================================== */

/* Hermetic: each pod's own objects (named by its start event and by its
 * runner's pid) are checked, so pods of other runners on the machine do not
 * count. */
START_TEST(test_many_sequential_pods_leave_nothing)
{
	int n = 100;
	BOTH();
	for (int i = 0; i < n; i++) {
		struct run r;
		snprintf(cmd, sizeof cmd, "run --audit @AUDIT %s exit %d", W("plain_worker"),
			 i % 7);
		t_runs(&r, NULL, 20, cmd);
		EXPECT(r.status == i % 7, &r);
		if (!t_runner_left_nothing(r.audit, r.pid, 3000, why, sizeof why)) {
			dump(&r);
			ck_abort_msg("pod %d: %s", i, why);
		}
		t_run_free(&r);
	}
}
END_TEST

START_TEST(test_concurrent_pods_leave_nothing)
{
	enum { N = 20 };
	int ok = 0;
	pid_t pids[N];
	char audits[N][128];
	BOTH();
	for (int i = 0; i < N; i++) {
		/* every other pod with a network: 10 veths and proxies at once */
		snprintf(audits[i], sizeof audits[i], "/tmp/podrun-test-%d-conc-%d.audit",
			 (int)getpid(), i);
		snprintf(cmd, sizeof cmd, "run --serve --audit @AUDIT %s%s echo",
			 i % 2 ? "--allow-net=allowed.invalid:80 " : "", W("native_worker"));
		pids[i] = t_spawn(cmd, audits[i]);
	}
	for (int i = 0; i < N; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	ck_assert_int_eq(ok, N);
	for (int i = 0; i < N; i++) {
		int fd = open(audits[i], O_RDONLY);
		char *audit = calloc(1, 1 << 20);
		ssize_t len = fd >= 0 ? read(fd, audit, (1 << 20) - 1) : -1;
		int gone;
		if (fd >= 0)
			close(fd);
		ck_assert_int_gt(len, 0);
		gone = t_runner_left_nothing(audit, pids[i], 5000, why, sizeof why);
		free(audit);
		unlink(audits[i]);
		ck_assert_msg(gone, "pod %d: %s", i, why);
	}
}
END_TEST

/* ======================================================================== */
/* library (the API the CLI and the Bun module use)                            */
/* ======================================================================== */

START_TEST(test_library_round_trip_events_and_stop)
{
	podrun_t *pod = NULL;
	char buf[256], line[65536];
	int n = -EAGAIN, got_start = 0, got_exit = 0;
	double t0;
	BOTH();
	ck_assert_int_eq(podrun_new(&pod), 0);
	ck_assert_int_eq(podrun_set_program(pod, W("native_worker")), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "echo"), 0);
	ck_assert_int_eq(podrun_set_events(pod, 1), 0);
	ck_assert_int_eq(podrun_add_policy_flag(pod, "--warn-env=HOME"), 0);
	ck_assert_int_eq(podrun_add_policy_flag(pod, "--frobnicate"), -ENOENT);
	ck_assert_int_eq(podrun_start(pod), 0);
	ck_assert_int_ge(podrun_fd(pod), 0);
	ck_assert_int_eq(podrun_state(pod), PODRUN_RUNNING);
	ck_assert_int_eq(podrun_send(pod, "ping", 4), 0);
	t0 = t_now_ms();
	while (t_now_ms() - t0 < 10000) {
		struct pollfd pf = { podrun_fd(pod), POLLIN, 0 };
		poll(&pf, 1, 100);
		podrun_dispatch(pod, 0);
		n = podrun_recv(pod, buf, sizeof buf);
		if (n >= 0)
			break;
	}
	ck_assert_int_eq(n, 4);
	ck_assert(!memcmp(buf, "ping", 4));
	ck_assert_int_eq(podrun_stop(pod, 2000), 0);
	ck_assert_int_eq(podrun_wait(pod), 0);
	ck_assert_int_eq(podrun_state(pod), PODRUN_EXITED);
	ck_assert_int_eq(podrun_exit_code(pod), 0);
	ck_assert_int_gt(podrun_next_event_len(pod), 0);
	ck_assert_int_eq(podrun_next_event(pod, line, 8), -EMSGSIZE);
	while ((n = podrun_next_event(pod, line, sizeof line)) >= 0) {
		got_start += strstr(line, "\"what\":\"start\"") != NULL;
		got_exit += strstr(line, "\"what\":\"exit\"") != NULL;
	}
	ck_assert_int_eq(n, -EAGAIN);
	ck_assert_int_eq(podrun_next_event_len(pod), -EAGAIN);
	ck_assert_int_eq(got_start, 1);
	ck_assert_int_eq(got_exit, 1);
	ck_assert_int_eq(podrun_send(pod, "x", 1), -EPIPE);
	podrun_free(pod);
}
END_TEST

START_TEST(test_library_reports_policy_errors_as_usage)
{
	podrun_t *pod = NULL;
	ck_assert_int_eq(podrun_new(&pod), 0);
	ck_assert_int_eq(podrun_set_program(pod, "/bin/true"), 0);
	ck_assert_int_eq(podrun_set_policy_json(pod, "{\"version\":1,\n\"fs\":{\"bogus\":1}}"), 0);
	ck_assert_int_eq(podrun_start(pod), -EINVAL);
	ck_assert_int_eq(podrun_state(pod), PODRUN_FAILED);
	ck_assert_int_eq(podrun_exit_code(pod), PODRUN_EXIT_USAGE);
	ck_assert_ptr_nonnull(strstr(podrun_error(pod), ":2:"));
	ck_assert_int_eq(podrun_start(pod), -EBUSY);
	ck_assert_int_eq(podrun_dispatch(pod, 0), -EBADFD);
	podrun_free(pod);
	podrun_free(NULL);
}
END_TEST

START_TEST(test_library_free_stops_a_running_pod)
{
	podrun_t *pod = NULL;
	BOTH();
	ck_assert_int_eq(podrun_new(&pod), 0);
	ck_assert_int_eq(podrun_set_program(pod, W("plain_worker")), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "sleep"), 0);
	ck_assert_int_eq(podrun_add_arg(pod, "30"), 0);
	ck_assert_int_eq(podrun_set_option(pod, "grace-ms", "200"), 0);
	ck_assert_int_eq(podrun_set_stdio(pod, -1, -1, -1), 0);
	ck_assert_int_eq(podrun_set_option(pod, "no-such-option", "1"), -ENOENT);
	ck_assert_int_eq(podrun_start(pod), 0);
	ck_assert_int_gt(podrun_pid(pod), 0);
	podrun_free(pod);
	ck_assert_msg(t_runner_pid_left_nothing(getpid(), 3000, why, sizeof why), "%s", why);
}
END_TEST

/* Two pods with one id (the "pod-id" option: podrun-oci gives the container's)
 * would share the registry record that names their objects: the second start
 * is refused, and the first pod keeps its record, its socket directory and
 * its run. */
START_TEST(test_library_refuses_a_pod_id_in_use)
{
	podrun_t *a = NULL, *b = NULL;
	char id[32], rec[256], dir[256];
	struct stat st;

	BOTH();
	snprintf(id, sizeof id, "dup%d", (int)getpid());
	for (int i = 0; i < 2; i++) {
		podrun_t **p = i ? &b : &a;

		ck_assert_int_eq(podrun_new(p), 0);
		ck_assert_int_eq(podrun_set_program(*p, W("plain_worker")), 0);
		ck_assert_int_eq(podrun_add_arg(*p, "sleep"), 0);
		ck_assert_int_eq(podrun_add_arg(*p, "30"), 0);
		ck_assert_int_eq(podrun_set_option(*p, "grace-ms", "200"), 0);
		ck_assert_int_eq(podrun_set_option(*p, "pod-id", id), 0);
		ck_assert_int_eq(podrun_set_stdio(*p, -1, -1, -1), 0);
	}
	ck_assert_int_eq(podrun_start(a), 0);
	snprintf(rec, sizeof rec, "%s/%s.owner", t_run_dir(), id);
	ck_assert_msg(stat(rec, &st) == 0, "%s", rec);
	ck_assert_int_eq(podrun_start(b), -EEXIST);
	ck_assert_msg(strstr(podrun_error(b), "pod id") && strstr(podrun_error(b), "in use"), "%s",
		      podrun_error(b));
	podrun_free(b);
	/* the first pod is untouched: its record, its socket directory, its run */
	ck_assert_msg(stat(rec, &st) == 0, "%s removed by the refused start", rec);
	snprintf(dir, sizeof dir, "%s/ipc-%s", t_sock_base(), id);
	ck_assert_msg(stat(dir, &st) == 0, "%s of the first pod removed", dir);
	ck_assert_int_eq(kill(podrun_pid(a), 0), 0);
	podrun_free(a);
	ck_assert_msg(stat(rec, &st) < 0, "%s left", rec);
	ck_assert_msg(t_runner_pid_left_nothing(getpid(), 3000, why, sizeof why), "%s", why);
}
END_TEST

/* ======================================================================== */

/* ---- every FS and Run rule holds: hostile workers ------------------------ */

static int count_lines(const char *text, const char *prefix);

/* Exactly one stderr line "podrun: ACTION CAT WHAT (rule: RULE)". */
/* A refused file change is told (stderr, audit) by eBPF: rootless there is
 * none (said at start, "ebpf"), the refusal itself is still checked. */
#define FS_TOLD(told) (!pod_is_root() || (told))

static int one_line(const struct run *r, const char *action, const char *cat, const char *what,
		    const char *rule)
{
	char want[2400];

	snprintf(want, sizeof want, "podrun: %s %s %s (rule: %s)\n", action, cat, what, rule);
	return count_lines(r->err, want) == 1;
}

/* Exactly one audit deny event for WHAT with RULE (and NEEDLE when not NULL). */
static int one_deny_event(const struct run *r, const char *what, const char *rule,
			  const char *needle)
{
	char w[4200], ru[4200];

	snprintf(w, sizeof w, "\"what\":\"%s\"", what);
	snprintf(ru, sizeof ru, "\"rule\":\"%s\"", rule);
	return t_audit_count(r, "\"action\":\"deny\"", w, ru, needle ? needle : w, NULL) == 1;
}

/* A worker directory of our own: hostile_fs.py, secret.txt, an executable
 * helper, and P/.git/hooks/pre-commit in a world-writable tree P. */
static const char *hostile_name(void)
{
	static char dir[128];

	snprintf(dir, sizeof dir, "/tmp/podrun-fsrun-%d-%d", (int)getuid(), (int)getpid());
	return dir;
}

/* The test's worker directory goes when its process ends (Check runs each
 * test in a child of its own, which exits also when an assertion fails). */
static void hostile_cleanup(void)
{
	char c[256];

	snprintf(c, sizeof c, "rm -rf %s", hostile_name());
	if (system(c) != 0)
		fprintf(stderr, "could not remove %s\n", hostile_name());
}

static const char *hostile_dir(void)
{
	const char *dir = hostile_name();
	static pid_t registered;
	char c[4096];

	if (registered != getpid()) {
		registered = getpid();
		atexit(hostile_cleanup);
	}

	snprintf(c, sizeof c,
		 "rm -rf %s && mkdir -p %s/P/.git/hooks %s/P/locked %s/P/other && cp "
		 "%s/workers/hostile_fs.py %s/ && "
		 "echo topsecret > %s/secret.txt && cp /usr/bin/true %s/helper && "
		 "echo original > %s/P/.git/hooks/pre-commit && "
		 "for h in pre-push post-merge commit-msg pre-rebase post-checkout applypatch-msg "
		 "update; do echo original > %s/P/.git/hooks/$h; done && "
		 "echo s > %s/P/secret && echo x > %s/P/plain && echo x > %s/P/plain2 && "
		 "chmod -R a+rX %s && chmod -R 777 %s/P",
		 dir, dir, dir, dir, t_tests(), dir, dir, dir, dir, dir, dir, dir, dir, dir, dir);
	ck_assert_int_eq(system(c), 0);
	return dir;
}

static void hostile(struct run *r, const char *flags, const char *args)
{
	static char line[16384];

	snprintf(line, sizeof line, "run %s %s/hostile_fs.py %s", flags, hostile_dir(), args);
	t_runs(r, NULL, 30, line);
}

/*
 * Read rules and the runtime's own files. A read rule naming a runtime
 * library through a link (/lib -> usr/lib on a merged-/usr system) leaves the
 * interpreter working (it used to lay a noexec copy over libm.so.6: python3
 * could not start); so does a write rule. A --deny-read above the runtime's
 * files is said at start: they stay readable, never silently; an
 * --allow-write over them too: they stay read-only.
 */
START_TEST(test_read_rules_over_runtime_files)
{
	char real[PATH_MAX];
	struct run r;

	BOTH();
	if (!realpath("/lib/x86_64-linux-gnu/libm.so.6", real) ||
	    !strcmp(real, "/lib/x86_64-linux-gnu/libm.so.6")) {
		printf("SKIP: /lib is not a link to usr/lib here\n");
		return;
	}
	snprintf(cmd, sizeof cmd,
		 "run --allow-read=/lib/x86_64-linux-gnu/libm.so.6 %s read "
		 "/usr/lib/x86_64-linux-gnu/libm.so.6",
		 W("worker.py"));
	t_runs(&r, NULL, 60, cmd);
	EXPECT(r.status == 0 && strstr(r.out, "ok read"), &r);
	t_run_free(&r);
	snprintf(cmd, sizeof cmd, "run --deny-read=/usr/lib %s exit 0", W("worker.py"));
	t_runs(&r, NULL, 60, cmd);
	EXPECT(r.status == 0 && strstr(r.err, "--deny-read=/usr/lib covers /usr/lib/") &&
		   strstr(r.err, "which the python runtime provides: they stay readable"),
	       &r);
	t_run_free(&r);
	/* a write rule through the link: no noexec copy over the runtime's libz,
	 * and said; the file stays read-only */
	snprintf(cmd, sizeof cmd,
		 "run --allow-write=/lib/x86_64-linux-gnu/libz.so.1 %s write "
		 "/usr/lib/x86_64-linux-gnu/libz.so.1",
		 W("worker.py"));
	t_runs(&r, NULL, 60, cmd);
	EXPECT(r.status == 1 &&
		   strstr(r.err, "--allow-write=/lib/x86_64-linux-gnu/libz.so.1 covers "
				 "/usr/lib/x86_64-linux-gnu/libz.so.1") &&
		   strstr(r.err, "they stay read-only and executable"),
	       &r);
	t_run_free(&r);
	/* a rule with nothing of the runtime under it says nothing */
	snprintf(cmd, sizeof cmd, "run --deny-read=/home %s exit 0", W("worker.py"));
	t_runs(&r, NULL, 60, cmd);
	EXPECT(r.status == 0 && !strstr(r.err, "runtime provides"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_worker_directory_obeys_deny_read)
{
	struct run r;
	char flags[512], rule[256];
	BOTH();
	snprintf(rule, sizeof rule, "%s/secret.txt", hostile_dir());
	snprintf(flags, sizeof flags, "--deny-read=%s --audit @AUDIT", rule);
	hostile(&r, flags, "read /pod/app/secret.txt");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	EXPECT(t_audit_count(&r, "\"mount\":\"hidden\"", "/pod/app/secret.txt", rule, NULL) == 1,
	       &r);
	t_run_free(&r);
	/* without the rule the file is the worker's own data */
	hostile(&r, "", "read /pod/app/secret.txt");
	EXPECT(r.status == 0 && strstr(r.out, "ok read 10 bytes"), &r);
	t_run_free(&r);
	/* a rule that covers the worker itself is refused, naming it */
	snprintf(flags, sizeof flags, "--deny-read=%s", hostile_dir());
	hostile(&r, flags, "read /pod/app/secret.txt");
	EXPECT(r.status == 2 && strstr(r.err, "covers the worker"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_worker_directory_obeys_run_rules)
{
	struct run r;
	char flags[512];
	BOTH();
	snprintf(flags, sizeof flags, "--deny-run=%s/helper --allow-run=%s", hostile_dir(),
		 hostile_dir());
	hostile(&r, flags, "exec /pod/app/helper");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	t_run_free(&r);
	/* the Run default (deny) holds in the directory too: it is noexec */
	hostile(&r, "", "exec /pod/app/helper");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	t_run_free(&r);
	snprintf(flags, sizeof flags, "--allow-run=%s", hostile_dir());
	hostile(&r, flags, "exec /pod/app/helper");
	EXPECT(r.status == 0, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_deny_write_survives_rename_link_and_symlink)
{
	struct run r;
	char flags[1024], flags2[1100], hook[256], buf[64] = "", act[512], rule[256], what[256];
	const char *d = hostile_dir();
	FILE *f;
	BOTH();
	snprintf(flags, sizeof flags,
		 "--allow-read=%s/P --allow-write=%s/P --deny-write=%s/P/.git/hooks", d, d, d);
	snprintf(hook, sizeof hook, "%s/P/.git/hooks/pre-commit", d);
	snprintf(rule, sizeof rule, "%s/P/.git/hooks", d);
	snprintf(act, sizeof act, "rename-ancestor %s/P", d);
	hostile(&r, flags, act);
	EXPECT(r.status == 1 && strstr(r.out, "errno 16"), &r); /* EBUSY: a mount point */
	/* refused by the kernel, told by the runner: the path and the rule */
	snprintf(what, sizeof what, "%s/P/.git", d);
	EXPECT(FS_TOLD(one_line(&r, "deny", "fs.write", what, rule)), &r);
	t_run_free(&r);
	f = fopen(hook, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "original\n");
	snprintf(act, sizeof act, "rmdir-ancestor %s/P", d);
	hostile(&r, flags, act);
	EXPECT(r.status == 1 && strstr(r.out, "errno 18"), &r); /* EXDEV: another mount */
	EXPECT(FS_TOLD(one_line(&r, "deny", "fs.write", rule, rule)), &r);
	t_run_free(&r);
	snprintf(act, sizeof act, "link %s %s/P/x", hook, d);
	hostile(&r, flags, act);
	EXPECT(r.status == 1 && strstr(r.out, "errno 18"), &r); /* EXDEV: links stay in one mount */
	EXPECT(FS_TOLD(one_line(&r, "deny", "fs.write", hook, rule)), &r);
	t_run_free(&r);
	snprintf(act, sizeof act, "symlink %s/P", d);
	hostile(&r, flags, act);
	EXPECT(r.status == 1 && strstr(r.out, "errno 30"), &r); /* EROFS through the link */
	/* the path the link leads to, not the one the pod wrote */
	EXPECT(FS_TOLD(one_line(&r, "deny", "fs.write", hook, rule)), &r);
	t_run_free(&r);
	/* with --audit, one deny event each, naming the call and the rule */
	snprintf(flags2, sizeof flags2, "%s --audit @AUDIT", flags);
	snprintf(act, sizeof act, "rename-ancestor %s/P", d);
	hostile(&r, flags2, act);
	EXPECT(FS_TOLD(one_deny_event(&r, what, rule, "\"syscall\":\"rename\"")), &r);
	t_run_free(&r);
	snprintf(act, sizeof act, "link %s %s/P/x", hook, d);
	hostile(&r, flags2, act);
	EXPECT(FS_TOLD(one_deny_event(&r, hook, rule, "\"syscall\":\"link")), &r);
	t_run_free(&r);
	snprintf(act, sizeof act, "symlink %s/P", d);
	hostile(&r, flags2, act);
	EXPECT(FS_TOLD(one_deny_event(&r, hook, rule, "\"ret\":-30")), &r);
	t_run_free(&r);
	f = fopen(hook, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof buf, f));
	fclose(f);
	ck_assert_str_eq(buf, "original\n");
	/* a denied path that does not exist could be created: refused, naming it */
	snprintf(flags, sizeof flags, "--allow-write=%s/P --deny-write=%s/P/nothere", d, d);
	hostile(&r, flags, "read /etc/hostname");
	EXPECT(r.status == 2 && strstr(r.err, "does not exist inside the writable"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_setuid_bit_cannot_be_planted)
{
	struct run r;
	char flags[512], path[256], act[512];
	struct stat st;
	BOTH();
	snprintf(flags, sizeof flags, "--allow-write=%s/P", hostile_dir());
	snprintf(path, sizeof path, "%s/P/s", hostile_dir());
	snprintf(act, sizeof act, "chmod %s 4755", path);
	hostile(&r, flags, act);
	EXPECT(r.status == 1 && strstr(r.out, "errno 1"), &r);
	EXPECT(FS_TOLD(one_line(&r, "deny", "fs.write", path, "setid")), &r);
	t_run_free(&r);
	snprintf(act, sizeof act, "chmod %s 2755", path);
	snprintf(flags, sizeof flags, "--allow-write=%s/P --audit @AUDIT", hostile_dir());
	hostile(&r, flags, act);
	EXPECT(r.status == 1 && strstr(r.out, "errno 1"), &r);
	EXPECT(FS_TOLD(one_line(&r, "deny", "fs.write", path, "setid")), &r);
	EXPECT(FS_TOLD(one_deny_event(&r, path, "setid", "\"ret\":-1,")), &r);
	t_run_free(&r);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & (S_ISUID | S_ISGID), 0);
}
END_TEST

START_TEST(test_memfd_exec_is_refused_unless_run_allows_all)
{
	struct run r;
	BOTH();
	/* readable is not runnable, also from a memory file */
	hostile(&r, "--allow-read=/usr/bin/id", "exec /usr/bin/id");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	t_run_free(&r);
	hostile(&r, "--allow-read=/usr/bin/id", "memfd /usr/bin/id");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	t_run_free(&r);
	hostile(&r, "--allow-run", "memfd /usr/bin/id");
	EXPECT(r.status == 0 && strstr(r.out, "uid=65534"), &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_valid_policies_with_symlinked_files_start)
{
	struct run r;
	pid_t busy;
	BOTH();
	/* every library directory: soname links inside it are not mount points */
	hostile(&r, "--allow-ffi", "read /pod/app/secret.txt");
	EXPECT(r.status == 0 && strstr(r.out, "ok read 10 bytes"), &r);
	t_run_free(&r);
	hostile(&r, "--allow-run", "read /pod/app/secret.txt");
	EXPECT(r.status == 0 && strstr(r.out, "ok read 10 bytes"), &r);
	t_run_free(&r);
	/* a link named by a run denial: the file it names is hidden */
	t_runs(&r, NULL, 30, "run --allow-read --deny-run=python3 /usr/bin/id");
	EXPECT(r.status == 0 && strstr(r.out, "uid=65534"), &r);
	t_run_free(&r);
	/* ... and when that file is the worker's own interpreter, the worker starts
	 * and the pod's runs of it are refused by the exec decision, naming the rule */
	hostile(&r, "--allow-read --deny-run=python3", "exec /usr/bin/python3");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13") &&
		   strstr(r.err, "podrun: deny run /usr/bin/python3.11 (rule: /usr/bin/python3)"),
	       &r);
	t_run_free(&r);
	/* the interpreter running elsewhere (ETXTBSY) does not stop a bare --allow-read */
	busy = fork();
	if (busy == 0) {
		execl("/usr/bin/python3", "python3", "-c", "import time; time.sleep(30)",
		      (char *)NULL);
		_exit(127);
	}
	usleep(200 * 1000);
	hostile(&r, "--allow-read", "read /etc/hostname");
	kill(busy, SIGKILL);
	waitpid(busy, NULL, 0);
	EXPECT(r.status == 0 && strstr(r.out, "ok read"), &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* identity: a user namespace and a host uid range per pod                    */
/* ======================================================================== */

static unsigned long json_num(const char *line, const char *key)
{
	char k[64];
	const char *v;

	snprintf(k, sizeof k, "\"%s\":", key);
	v = strstr(line, k);
	return v ? strtoul(v + strlen(k), NULL, 10) : 0;
}

/* In a child with host uid/gid @id: errno of reading @pid's environ, of
 * PTRACE_SEIZE and of kill(SIGTERM), packed as three bytes. */
static int attack_as(unsigned id, pid_t pid)
{
	int st;
	pid_t c = fork();

	if (c == 0) {
		char path[64];
		int e1 = 0, e2 = 0, e3 = 0, fd;

		if (setgroups(0, NULL) || setresgid(id, id, id) || setresuid(id, id, id))
			_exit(255);
		snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			e1 = errno;
		else
			close(fd);
		e2 = ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0 ? errno : 0;
		e3 = kill(pid, SIGTERM) < 0 ? errno : 0;
		_exit((e1 == EACCES) | (e2 == EPERM) << 1 | (e3 == EPERM) << 2);
	}
	ck_assert_int_eq(waitpid(c, &st, 0), c);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static pid_t worker_pid(pid_t init)
{
	char path[96];
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init, (int)init);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	return pid;
}

START_TEST(test_each_pod_runs_as_a_host_uid_of_its_own)
{
	char audit[2][128], line[8192], path[96];
	unsigned long uid[2], init[2];
	pid_t runner[2];
	int st;

	ROOT_ONLY("no host id range without root (said: identity)");
	setenv("POD_SECRET", "s3cr3t-value", 1);
	for (int i = 0; i < 2; i++) {
		snprintf(audit[i], sizeof audit[i], "/tmp/podrun-test-%d-id%d.audit", (int)getpid(),
			 i);
		snprintf(cmd, sizeof cmd, "run --audit @AUDIT --allow-env=POD_SECRET %s sleep 30",
			 W("plain_worker"));
		runner[i] = t_spawn(cmd, audit[i]);
	}
	for (int i = 0; i < 2; i++) {
		ck_assert(wait_for_start(audit[i], line, sizeof line));
		ck_assert_ptr_nonnull(strstr(line, "\"userns\":true"));
		uid[i] = json_num(line, "host_uid");
		init[i] = json_num(line, "host_pid");
		/* one slot of the documented block, the worker at base + 65534 */
		ck_assert_uint_ge(uid[i], 0x70000000ul + 65534);
		ck_assert_uint_lt(uid[i], 0x74000000ul);
		ck_assert_uint_eq((uid[i] - 0x70000000ul) % 65536, 65534);
		ck_assert_uint_eq(json_num(line, "host_gid"), uid[i]);
	}
	ck_assert_uint_ne(uid[0], uid[1]);
	for (int i = 0; i < 2; i++) {
		pid_t w = worker_pid((pid_t)init[i]);
		struct stat sb;

		snprintf(path, sizeof path, "/proc/%d", (int)w);
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_uint_eq(sb.st_uid, uid[i]);
		/* the host's nobody and the other pod's uid: all three refused */
		ck_assert_int_eq(attack_as(65534, w), 7);
		ck_assert_int_eq(attack_as((unsigned)uid[1 - i], w), 7);
	}
	for (int i = 0; i < 2; i++) {
		kill(runner[i], SIGTERM);
		ck_assert_int_eq(waitpid(runner[i], &st, 0), runner[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 128 + 15);
		unlink(audit[i]);
	}
	/* the ranges are free again: nobody holds their locks */
	for (int i = 0; i < 2; i++) {
		int fd;

		snprintf(path, sizeof path, "/run/podrun/ids/%lu.lock",
			 (uid[i] - 65534 - 0x70000000ul) / 65536);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
		close(fd);
	}
	unsetenv("POD_SECRET");
}
END_TEST

START_TEST(test_files_a_pod_writes_belong_to_the_directory_owner)
{
	char dir[128], file[160], root_dir[128];
	struct stat st;
	struct run r;

	ROOT_ONLY("id-mapped mounts and other owners need root");
	/* a user's private directory (4321, mode 0700) allowed for writing */
	snprintf(dir, sizeof dir, "/tmp/podrun-test-%d-owned", (int)getpid());
	mkdir(dir, 0700);
	ck_assert_int_eq(chown(dir, 4321, 4321), 0);
	snprintf(file, sizeof file, "%s/made", dir);
	snprintf(cmd, sizeof cmd, "run --allow-write=%s %s write %s", dir, W("plain_worker"), file);
	t_runs(&r, NULL, 30, cmd);
	ck_assert_msg(r.status == 0, "status %d", r.status);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_uint_eq(st.st_uid, 4321);
	ck_assert_uint_eq(st.st_gid, 4321);
	t_run_free(&r);
	unlink(file);
	rmdir(dir);
	/* a root-owned directory is not mapped: the pod's own range uid */
	snprintf(root_dir, sizeof root_dir, "/tmp/podrun-test-%d-rootdir", (int)getpid());
	mkdir(root_dir, 0777);
	chmod(root_dir, 0777);
	snprintf(file, sizeof file, "%s/made", root_dir);
	snprintf(cmd, sizeof cmd, "run --allow-write=%s %s write %s", root_dir, W("plain_worker"),
		 file);
	t_runs(&r, NULL, 30, cmd);
	ck_assert_msg(r.status == 0, "status %d", r.status);
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_uint_ge(st.st_uid, 0x70000000u);
	ck_assert_uint_lt(st.st_uid, 0x74000000u);
	t_run_free(&r);
	unlink(file);
	rmdir(root_dir);
}
END_TEST

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += !strncmp(l, prefix, strlen(prefix));
	return n;
}

/* Twenty denied run attempts at default verbosity, no --audit: each one is
 * refused with EACCES and gives exactly one stderr line naming it and the
 * rule; with --audit, exactly one deny event each. */
START_TEST(test_every_exec_is_decided_and_each_denial_seen_once)
{
	static const char *const progs[] = { "id",    "env",   "true", "false", "uname", "date",
					     "ls",    "cat",   "head", "tail",  "sort",  "uniq",
					     "wc",    "tr",    "cut",  "expr",  "sleep", "stat",
					     "touch", "mkdir", NULL };
	char args[2048] = "spawn", flags[256], want[128];
	struct run r;
	BOTH();
	for (int i = 0; progs[i]; i++) {
		size_t o = strlen(args);
		snprintf(args + o, sizeof args - o, " /usr/bin/%s", progs[i]);
	}
	snprintf(flags, sizeof flags, "--allow-read=/usr/bin --deny-run=/usr/bin/id");
	hostile(&r, flags, args);
	EXPECT(r.status == 0, &r);
	EXPECT(count_lines(r.err, "podrun: deny run ") == 20, &r);
	for (int i = 0; progs[i]; i++) {
		snprintf(want, sizeof want, "/usr/bin/%s errno 13\n", progs[i]);
		EXPECT(strstr(r.out, want), &r);
		snprintf(want, sizeof want, "podrun: deny run /usr/bin/%s (rule: %s)\n", progs[i],
			 i == 0 ? "/usr/bin/id" : "default");
		EXPECT(strstr(r.err, want), &r);
	}
	t_run_free(&r);
	snprintf(flags, sizeof flags,
		 "--allow-read=/usr/bin --deny-run=/usr/bin/id --audit @AUDIT");
	hostile(&r, flags, args);
	EXPECT(r.status == 0, &r);
	for (int i = 0; progs[i]; i++) {
		snprintf(want, sizeof want, "\"what\":\"/usr/bin/%s\"", progs[i]);
		EXPECT(t_audit_count(&r, "\"cat\":\"run\"", "\"action\":\"deny\"", want, NULL) == 1,
		       &r);
	}
	EXPECT(t_audit_count(&r, "\"action\":\"deny\"", "\"what\":\"/usr/bin/id\"",
			     "\"rule\":\"/usr/bin/id\"", "\"stage\":\"exec\"", NULL) == 1,
	       &r);
	t_run_free(&r);
}
END_TEST

/* A program the policy hides from the pod is refused as denied, not a silent ENOENT. */
START_TEST(test_exec_of_a_hidden_program_is_a_seen_denial)
{
	struct run r;
	BOTH();
	hostile(&r, "--deny-run=/usr/bin/id --audit @AUDIT",
		"spawn /usr/bin/id /usr/bin/true /nonexistent/prog");
	EXPECT(r.status == 0, &r);
	EXPECT(strstr(r.out, "/usr/bin/id errno 13\n") &&
		   strstr(r.out, "/usr/bin/true errno 13\n") &&
		   strstr(r.out, "/nonexistent/prog errno 2\n"),
	       &r);
	EXPECT(count_lines(r.err, "podrun: deny run /usr/bin/id (rule: /usr/bin/id)") == 1, &r);
	EXPECT(count_lines(r.err, "podrun: deny run /usr/bin/true (rule: default)") == 1, &r);
	EXPECT(count_lines(r.err, "/nonexistent/prog") == 0, &r);
	EXPECT(t_audit_count(&r, "\"action\":\"deny\"", "\"what\":\"/usr/bin/id\"",
			     "\"rule\":\"/usr/bin/id\"", "\"stage\":\"exec\"", NULL) == 1,
	       &r);
	EXPECT(t_audit_count(&r, "\"cat\":\"run\"", "/nonexistent/prog", NULL) == 0, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_warned_exec_runs_and_is_seen_without_audit)
{
	struct run r;
	BOTH();
	hostile(&r, "--warn-run=/usr/bin/true", "spawn /usr/bin/true");
	EXPECT(r.status == 0 && strstr(r.out, "/usr/bin/true ran"), &r);
	EXPECT(count_lines(r.err, "podrun: warn run /usr/bin/true (rule: /usr/bin/true)") == 1, &r);
	t_run_free(&r);
}
END_TEST

START_TEST(test_exec_decides_the_interpreter_of_a_script_and_memfds)
{
	struct run r;
	char flags[512], path[256];
	FILE *f;
	BOTH();
	snprintf(path, sizeof path, "%s/s.sh", hostile_dir()); /* fresh directory, then s.sh */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#!/usr/bin/sh\necho hi\n", f);
	fclose(f);
	chmod(path, 0755);
	/* the script is allowed, its interpreter is not: EACCES naming the interpreter */
	snprintf(flags, sizeof flags, "--allow-run=%s --allow-read=/usr", hostile_name());
	snprintf(cmd, sizeof cmd, "run %s %s/hostile_fs.py exec /pod/app/s.sh", flags,
		 hostile_name());
	t_runs(&r, NULL, 30, cmd);
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	EXPECT(strstr(r.err, "podrun: deny run /usr/bin/dash (rule: default)"), &r);
	t_run_free(&r);
	/* a memory file is not a file of the plan */
	hostile(&r, "--allow-read=/usr/bin/id", "memfd /usr/bin/id");
	EXPECT(r.status == 1 && strstr(r.out, "errno 13"), &r);
	EXPECT(count_lines(r.err, "podrun: deny run memfd:x") == 1, &r);
	t_run_free(&r);
}
END_TEST

#define LDSO "/lib64/ld-linux-x86-64.so.2"

/* The runtime's own programs run again by the pod are decided like any
 * other: the interpreter, the pod host, Bun, and the loader by hand (which is
 * decided for the program it would run). */
START_TEST(test_runtime_programs_run_again_are_decided)
{
	char py[256], flags[512];
	struct run r;
	ROOT();
	ck_assert_ptr_nonnull(realpath("/usr/bin/python3", py));
	/* python running its own interpreter: denied by default, naming it */
	snprintf(cmd, sizeof cmd, "try exec=%s,-c,pass", py);
	hostile(&r, "", cmd);
	EXPECT(r.status == 0 && strstr(r.out, "errno 13\n"), &r);
	EXPECT(one_line(&r, "deny", "run", py, "default"), &r);
	t_run_free(&r);
	/* ... and runs when a Run rule allows it */
	snprintf(flags, sizeof flags, "--allow-run=%s", py);
	snprintf(cmd, sizeof cmd, "try exec=%s,-c,pass", py);
	hostile(&r, flags, cmd);
	EXPECT(r.status == 0 && strstr(r.out, " ok\n"), &r);
	EXPECT(count_lines(r.err, "podrun: deny run") == 0, &r);
	t_run_free(&r);
	/* ld.so PROGRAM: the loader is allowed, PROGRAM is not */
	hostile(
	    &r,
	    "--allow-read=/usr/bin --allow-run=" LDSO " --allow-run=/usr/bin/true --audit @AUDIT",
	    "try ldso=" LDSO ",/usr/bin/id ldso=" LDSO ",--argv0,x,/usr/bin/env ldso=" LDSO ",id "
	    "ldso=" LDSO ",/usr/bin/true ldso=" LDSO ",--frob");
	EXPECT(r.status == 0, &r);
	EXPECT(strstr(r.out, "ldso=" LDSO ",/usr/bin/id errno 13\n") &&
		   strstr(r.out, "ldso=" LDSO ",--argv0,x,/usr/bin/env errno 13\n") &&
		   strstr(r.out, "ldso=" LDSO ",id errno 13\n") &&
		   strstr(r.out, "ldso=" LDSO ",/usr/bin/true ok\n"),
	       &r);
	EXPECT(one_line(&r, "deny", "run", "/usr/bin/id", "default"), &r);
	EXPECT(one_line(&r, "deny", "run", "/usr/bin/env", "default"), &r);
	EXPECT(one_line(&r, "deny", "run", "id", "default"), &r); /* searched: refused */
	/* an option the loader does not know is its program's name, as it reads it */
	EXPECT(strstr(r.out, "ldso=" LDSO ",--frob errno 13\n"), &r);
	EXPECT(one_line(&r, "deny", "run", "--frob", "default"), &r);
	EXPECT(one_deny_event(&r, "/usr/bin/id", "default", "\"stage\":\"exec\""), &r);
	t_run_free(&r);
	/* the loader itself is a program like any other */
	hostile(&r, "--allow-read=/usr/bin --allow-run=/usr/bin/true",
		"try ldso=" LDSO ",/usr/bin/true");
	EXPECT(r.status == 0 && strstr(r.out, "errno 13\n"), &r);
	EXPECT(one_line(&r, "deny", "run", LDSO, "default"), &r);
	t_run_free(&r);
	/* the pod host of a C-lib pod */
	snprintf(cmd, sizeof cmd, "run %s", W("clib_worker.so"));
	t_runs(&r, "run /pod/bin/podhost\n", 30, cmd);
	EXPECT(strstr(r.out, "error: run /pod/bin/podhost: cannot execute"), &r);
	EXPECT(one_line(&r, "deny", "run", "/pod/bin/podhost", "default"), &r);
	t_run_free(&r);
	/* Bun */
	snprintf(cmd, sizeof cmd, "run %s run /pod/bin/bun", W("worker.ts"));
	t_runs(&r, NULL, 60, cmd);
	EXPECT(r.status == 1 && strstr(r.err, "EACCES"), &r);
	EXPECT(one_line(&r, "deny", "run", "/pod/bin/bun", "default"), &r);
	t_run_free(&r);
}
END_TEST

/*
 * Twenty-four denied attempts of a hostile Python worker across fs and run,
 * at default verbosity without --audit: each one fails with its exact errno
 * and gives exactly one stderr line naming the path and the rule; with
 * --audit, exactly one deny event each. Nothing is silent.
 */
struct attempt {
	const char *op;   /* hostile_fs.py try token, %1$s the worker's directory */
	int err;          /* the errno the pod sees */
	const char *cat;  /* fs.read, fs.write, run */
	const char *what; /* %1$s: the worker's directory */
	const char *rule;
};

static const struct attempt attempts[] = {
	{ "read=/etc/hostname", ENOENT, "fs.read", "/etc/hostname", "default" },
	{ "read=%1$s/P/secret", EACCES, "fs.read", "%1$s/P/secret", "%1$s/P/secret" },
	{ "write=%1$s/P/.git/hooks/pre-commit", EROFS, "fs.write", "%1$s/P/.git/hooks/pre-commit",
	  "H" },
	{ "create=%1$s/P/.git/hooks/new", EROFS, "fs.write", "%1$s/P/.git/hooks/new", "H" },
	{ "rename=%1$s/P/.git,%1$s/P/.git-moved", EBUSY, "fs.write", "%1$s/P/.git", "H" },
	{ "rename=%1$s/P/.git/hooks,%1$s/P/hooks-moved", EXDEV, "fs.write", "%1$s/P/.git/hooks",
	  "H" },
	{ "link=%1$s/P/.git/hooks/pre-push,%1$s/P/x", EXDEV, "fs.write",
	  "%1$s/P/.git/hooks/pre-push", "H" },
	{ "symlinkw=%1$s/P/lnk,.git/hooks,post-merge", EROFS, "fs.write",
	  "%1$s/P/.git/hooks/post-merge", "H" },
	{ "chmod=%1$s/P/plain,4755", EPERM, "fs.write", "%1$s/P/plain", "setid" },
	{ "creatmode=%1$s/P/suid,2755", EPERM, "fs.write", "%1$s/P/suid", "setid" },
	{ "unlink=%1$s/P/.git/hooks/commit-msg", EROFS, "fs.write", "%1$s/P/.git/hooks/commit-msg",
	  "H" },
	{ "mkdir=%1$s/P/.git/hooks/sub", EROFS, "fs.write", "%1$s/P/.git/hooks/sub", "H" },
	{ "rmdir=%1$s/P/locked", EBUSY, "fs.write", "%1$s/P/locked", "%1$s/P/locked" },
	{ "truncate=%1$s/P/.git/hooks/pre-rebase", EROFS, "fs.write",
	  "%1$s/P/.git/hooks/pre-rebase", "H" },
	{ "utime=%1$s/P/.git/hooks/post-checkout", EROFS, "fs.write",
	  "%1$s/P/.git/hooks/post-checkout", "H" },
	{ "mknod=%1$s/P/.git/hooks/fifo", EROFS, "fs.write", "%1$s/P/.git/hooks/fifo", "H" },
	{ "rename=%1$s/P/plain2,%1$s/P/.git/hooks/applypatch-msg", EXDEV, "fs.write",
	  "%1$s/P/.git/hooks/applypatch-msg", "H" },
	{ "openat=%1$s/P,.git/hooks/update", EROFS, "fs.write", "%1$s/P/.git/hooks/update", "H" },
	{ "create=/usr/bin/newprog", EROFS, "fs.write", "/usr/bin/newprog", "default" },
	{ "exec=/usr/bin/id", EACCES, "run", "/usr/bin/id", "/usr/bin/id" },
	{ "exec=/usr/bin/true", EACCES, "run", "/usr/bin/true", "default" },
	{ "exec=PY,-c,pass", EACCES, "run", "PY", "default" },
	{ "ldso=" LDSO ",/usr/bin/env", EACCES, "run", "/usr/bin/env", "default" },
	{ "fexec=/usr/bin/uname", EACCES, "run", "/usr/bin/uname", "default" },
};
#define NATTEMPTS ((int)(sizeof attempts / sizeof attempts[0]))

/* Fill one attempt's strings: %1$s is @p d, "H" the hooks rule, "PY" python. */
static void attempt_str(const char *fmt, const char *d, const char *py, char *out, size_t cap)
{
	char hooks[300];

	snprintf(hooks, sizeof hooks, "%s/P/.git/hooks", d);
	if (!strcmp(fmt, "H"))
		snprintf(out, cap, "%s", hooks);
	else if (!strncmp(fmt, "exec=PY", 7))
		snprintf(out, cap, "exec=%s%s", py, fmt + 7);
	else if (!strcmp(fmt, "PY"))
		snprintf(out, cap, "%s", py);
	else
		snprintf(out, cap, fmt, d);
}

START_TEST(test_denied_fs_and_run_attempts_each_seen_once)
{
	char args[8192] = "try", flags[1024], py[256], op[512], what[512], rule[512], line[600];
	const char *d = hostile_dir();
	struct run r;
	ROOT();
	ck_assert_ptr_nonnull(realpath("/usr/bin/python3", py));
	for (int i = 0; i < NATTEMPTS; i++) {
		size_t o = strlen(args);
		attempt_str(attempts[i].op, d, py, op, sizeof op);
		snprintf(args + o, sizeof args - o, " %s", op);
	}
	snprintf(flags, sizeof flags,
		 "--allow-read=%s/P --allow-write=%s/P --deny-write=%s/P/.git/hooks "
		 "--deny-write=%s/P/locked --deny-read=%s/P/secret --allow-read=/usr/bin "
		 "--deny-run=/usr/bin/id --allow-run=" LDSO,
		 d, d, d, d, d);
	for (int pass = 0; pass < 2; pass++) {
		char f[1100];
		snprintf(f, sizeof f, "%s%s", flags, pass ? " --audit @AUDIT" : "");
		hostile(&r, f, args);
		EXPECT(r.status == 0 && strstr(r.out, "\nok \n"), &r);
		for (int i = 0; i < NATTEMPTS; i++) {
			attempt_str(attempts[i].op, d, py, op, sizeof op);
			attempt_str(attempts[i].what, d, py, what, sizeof what);
			attempt_str(attempts[i].rule, d, py, rule, sizeof rule);
			snprintf(line, sizeof line, "%s errno %d\n", op, attempts[i].err);
			ck_assert_msg(count_lines(r.out, line) == 1,
				      "attempt %d: want \"%s\" in\n%s", i, line, r.out);
			ck_assert_msg(one_line(&r, "deny", attempts[i].cat, what, rule),
				      "attempt %d (%s): want one line deny %s %s (rule: %s) in\n%s",
				      i, op, attempts[i].cat, what, rule, r.err);
			if (pass)
				ck_assert_msg(
				    one_deny_event(&r, what, rule, NULL),
				    "attempt %d (%s): want one deny event for %s (rule %s)\n%s", i,
				    op, what, rule, r.audit);
		}
		/* the stricter format: every decision line on stderr reads the same way */
		for (const char *l = r.err; l && *l;
		     l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, "podrun: deny ", 13) || !strncmp(l, "podrun: warn ", 13))
				ck_assert_msg(strstr(l, " (rule: ") && strchr(l, '\n') &&
						  strstr(l, " (rule: ") < strchr(l, '\n'),
					      "%s", l);
		t_run_free(&r);
	}
}
END_TEST

/* More ways around a protected path, each refused with its errno: a write
 * through /proc/self/root and /proc/self/cwd, renameat2(RENAME_EXCHANGE) of an
 * ancestor in both directions, a descriptor reopened for writing through
 * /proc/self/fd, a bind mount, openat2 (its RESOLVE flags never reach the
 * kernel); the file changes are told naming the real path and the rule. */
START_TEST(test_more_ways_around_a_protected_path_are_refused)
{
	char flags[1024], args[4096], hooks[300], hook[320], git[300], line[512];
	const char *d = hostile_dir();
	struct run r;
	ROOT();
	snprintf(hooks, sizeof hooks, "%s/P/.git/hooks", d);
	snprintf(hook, sizeof hook, "%s/pre-commit", hooks);
	snprintf(git, sizeof git, "%s/P/.git", d);
	snprintf(flags, sizeof flags,
		 "--allow-read=%s/P --allow-write=%s/P --deny-write=%s --audit @AUDIT", d, d,
		 hooks);
	snprintf(args, sizeof args,
		 "try write=/proc/self/root%s write=/proc/self/cwd/../..%s exchange=%s,%s/P/other "
		 "exchange=%s/P/other,%s opath=%s bind=%s/P/other,%s openat2=%s",
		 hook, hook, git, d, d, git, hook, d, hooks, hook);
	hostile(&r, flags, args);
	EXPECT(r.status == 0, &r);
	snprintf(line, sizeof line, "write=/proc/self/root%s errno 30\n", hook);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "write=/proc/self/cwd/../..%s errno 30\n", hook);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "exchange=%s,%s/P/other errno 16\n", git, d);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "exchange=%s/P/other,%s errno 16\n", d, git);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "opath=%s errno 30\n", hook);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "bind=%s/P/other,%s errno 1\n", d, hooks);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "openat2=%s errno 38\n", hook);
	EXPECT(strstr(r.out, line), &r);
	/* the writes name the file, the exchanges the protected ancestor */
	EXPECT(one_line(&r, "deny", "fs.write", hook, hooks), &r);
	EXPECT(one_line(&r, "deny", "fs.write", git, hooks), &r);
	EXPECT(t_audit_count(&r, "\"action\":\"deny\"", "\"syscall\":\"renameat2\"", "\"ret\":-16",
			     NULL) == 2,
	       &r);
	snprintf(line, sizeof line, "\"arg_path\":\"/proc/self/root%s\"", hook);
	EXPECT(t_audit_count(&r, "\"action\":\"deny\"", line, NULL) == 1, &r);
	/* the host's tree is unchanged */
	EXPECT(access(hook, F_OK) == 0 && access(git, F_OK) == 0, &r);
	t_run_free(&r);
}
END_TEST

/* A warned file changed by a call other than open (truncate) is told as a warn;
 * a warned file is a mount point, so its unlink is refused (EBUSY) and told
 * naming the warn rule that pinned it. */
START_TEST(test_warned_file_changes_are_told)
{
	char flags[1024], args[1024], plain[300], two[300], line[400];
	const char *d = hostile_dir();
	struct run r;
	ROOT();
	snprintf(plain, sizeof plain, "%s/P/plain", d);
	snprintf(two, sizeof two, "%s/P/plain2", d);
	snprintf(flags, sizeof flags,
		 "--allow-write=%s/P --warn-write=%s --warn-write=%s --audit @AUDIT", d, plain,
		 two);
	snprintf(args, sizeof args, "try truncate=%s unlink=%s", plain, two);
	hostile(&r, flags, args);
	EXPECT(r.status == 0, &r);
	snprintf(line, sizeof line, "truncate=%s ok\n", plain);
	EXPECT(strstr(r.out, line), &r);
	snprintf(line, sizeof line, "unlink=%s errno 16\n", two);
	EXPECT(strstr(r.out, line), &r);
	EXPECT(one_line(&r, "warn", "fs.write", plain, plain), &r);
	EXPECT(one_line(&r, "deny", "fs.write", two, two), &r);
	EXPECT(t_audit_count(&r, "\"action\":\"warn\"", "\"syscall\":\"truncate\"", plain, NULL) ==
		   1,
	       &r);
	EXPECT(one_deny_event(&r, two, two, "\"ret\":-16"), &r);
	t_run_free(&r);
}
END_TEST

/* An FFI deny the loader would defeat is refused at start, saying why. */
START_TEST(test_unenforceable_ffi_deny_is_refused_at_start)
{
	struct run r;
	BOTH();
	/* a native worker whose DT_NEEDED names the denied library */
	t_runs(&r, NULL, 30,
	       "run --deny-ffi=/usr/lib/x86_64-linux-gnu/libz.so.1 /usr/bin/curl --version");
	EXPECT(r.status == 2 &&
		   strstr(r.err, "--deny-ffi=/usr/lib/x86_64-linux-gnu/libz.so.1: the worker "
				 "/usr/bin/curl links") &&
		   strstr(r.err, "(DT_NEEDED)"),
	       &r);
	t_run_free(&r);
	/* python3.11 links libz itself; the trusted _ssl extension links libcrypto */
	hostile(&r, "--deny-ffi=/usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
		"read /pod/app/secret.txt");
	EXPECT(r.status == 2 && strstr(r.err, "cannot be enforced for a Python worker"), &r);
	t_run_free(&r);
	hostile(&r, "--deny-ffi=/usr/lib/x86_64-linux-gnu/libcrypto.so.3",
		"read /pod/app/secret.txt");
	EXPECT(r.status == 2 && strstr(r.err, "cannot be enforced for a Python worker") &&
		   strstr(r.err, "libcrypto"),
	       &r);
	t_run_free(&r);
	/* a library nothing of the runtime links stays a per-request decision */
	hostile(&r, "--deny-ffi=/usr/lib/x86_64-linux-gnu/libcjson.so.1",
		"read /pod/app/secret.txt");
	EXPECT(r.status == 0 && strstr(r.out, "ok read 10 bytes"), &r);
	t_run_free(&r);
}
END_TEST

/* ======================================================================== */
/* rootless: podrun run by an ordinary user                                   */
/* ======================================================================== */

#define ROOTLESS_UID 4322

static int rootless_out_fd = -1; /* run_rootless(): the pod's stdout, when >= 0 */
/* run_rootless(): v1 cgroup directories (their "tasks") the runner is moved
 * into before it drops root, as a delegation would place it */
static char rootless_join[2][600];

/* Run podrun with @args (space separated) as uid/gid ROOTLESS_UID with no
 * supplementary group and a minimal environment; stderr into @err. */
static int run_rootless(const char *args, char *err, size_t cap)
{
	int p[2], st;
	size_t n = 0;
	ssize_t k;
	pid_t c;

	ck_assert_int_eq(pipe(p), 0);
	c = fork();
	if (c == 0) {
		char *copy = strdup(args), *save = NULL, *tok;
		const char *argv[64];
		char *const envp[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
		int i = 0, fd = open("/dev/null", O_RDWR);

		argv[i++] = t_podrun();
		for (tok = strtok_r(copy, " ", &save); tok && i < 63;
		     tok = strtok_r(NULL, " ", &save))
			argv[i++] = tok;
		argv[i] = NULL;
		dup2(fd, 0);
		dup2(rootless_out_fd >= 0 ? rootless_out_fd : fd, 1);
		dup2(p[1], 2);
		for (int j = 0; j < 2; j++) {
			char tasks[1300];
			int t;

			if (!rootless_join[j][0])
				continue;
			snprintf(tasks, sizeof tasks, "%s/tasks", rootless_join[j]);
			t = open(tasks, O_WRONLY | O_CLOEXEC);
			if (t < 0 || write(t, "0", 1) != 1)
				_exit(125);
			close(t);
		}
		if (chdir("/tmp"))
			_exit(126);
		/* root becomes the ordinary user; an ordinary user already is one */
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) || setresgid(ROOTLESS_UID, ROOTLESS_UID, ROOTLESS_UID) ||
		     setresuid(ROOTLESS_UID, ROOTLESS_UID, ROOTLESS_UID)))
			_exit(126);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (n + 1 < cap && (k = read(p[0], err + n, cap - 1 - n)) > 0)
		n += (size_t)k;
	err[n] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(c, &st, 0), c);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(test_rootless_run_works_and_says_what_it_lacks)
{
	char audit[128], err[8192], *a, *start, rd[64];
	struct stat st;
	struct dirent *e;
	DIR *d;
	int n = 0;
	FILE *f;

	ROOT_ONLY(
	    "the test switches to an ordinary uid itself"); /* to become an ordinary user for the run */
	snprintf(audit, sizeof audit, "/tmp/podrun-test-%d-rootless.audit", (int)getpid());
	unlink(audit);
	snprintf(cmd, sizeof cmd, "run --audit %s --audit-best-effort %s exit 3", audit,
		 W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 3);
	for (const char *s = err; (s = strstr(s, "podrun: rootless: ")); s++)
		n++;
	ck_assert_msg(n == 5, "%d lines: %s", n, err); /* with "memfd": Run is not allowed */
	ck_assert_ptr_nonnull(strstr(err, "rootless: limits: no cgroup"));
	ck_assert_ptr_nonnull(strstr(err, "rootless: ebpf: no eBPF syscall audit"));
	/* the sweep works: its records are in the user's own run directory, mode
	 * 0700, and the run removed its own */
	ck_assert_msg(!strstr(err, "rootless: sweep"), "%s", err);
	snprintf(rd, sizeof rd, "/tmp/podrun-%d", ROOTLESS_UID);
	ck_assert_int_eq(stat(rd, &st), 0);
	ck_assert(S_ISDIR(st.st_mode) && st.st_uid == ROOTLESS_UID && (st.st_mode & 0777) == 0700);
	d = opendir(rd);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		ck_assert_msg(!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."),
			      "%s/%s left after the run", rd, e->d_name);
	closedir(d);
	/* a run directory open to others is not used (anybody may have made it
	 * in /tmp): no records then, and the start says so */
	ck_assert_int_eq(chmod(rd, 0755), 0);
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 3);
	ck_assert_int_eq(chmod(rd, 0700), 0);
	ck_assert_msg(strstr(err, "podrun: rootless: sweep: no run directory of the user's own"),
		      "%s", err);
	f = fopen(audit, "r");
	ck_assert_ptr_nonnull(f);
	a = calloc(1, 1 << 20);
	ck_assert(fread(a, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	start = strstr(a, "\"what\":\"start\"");
	ck_assert_ptr_nonnull(start);
	ck_assert_ptr_nonnull(strstr(start, "\"rootless\":true,\"degraded\":[\"identity: "));
	ck_assert_ptr_nonnull(strstr(start, "\"limits: no cgroup"));
	ck_assert_ptr_nonnull(strstr(start, "\"userns\":true,\"host_uid\":4322,\"host_gid\":4322"));
	ck_assert_ptr_nonnull(strstr(start, "\"cgroups\":[]"));
	ck_assert_ptr_nonnull(strstr(a, "\"what\":\"exit\""));
	ck_assert_msg(t_audit_wellformed(a, why, sizeof why), "%s", why);
	free(a);
	unlink(audit);
}
END_TEST

START_TEST(test_rootless_pids_limit_is_an_rlimit_of_the_pod)
{
	char err[8192];

	BOTH(); /* as root it runs podrun as an ordinary uid */
	/* --pids becomes RLIMIT_NPROC, counted in the pod's own user namespace:
	 * the fork loop stops (worker exit 3), whatever else the uid runs */
	snprintf(cmd, sizeof cmd, "run --pids 10 %s fork 50", W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 3);
	ck_assert_msg(strstr(err, "pids -> RLIMIT_NPROC"), "%s", err);
	/* control: without the limit the same loop completes */
	snprintf(cmd, sizeof cmd, "run %s fork 50", W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 0);
	/* a memory limit cannot be enforced: said on a line of its own */
	snprintf(cmd, sizeof cmd, "run --memory 512m %s exit 0", W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 0);
	ck_assert_msg(strstr(err, "podrun: rootless: memory: the limit of 536870912 bytes is NOT "
				  "enforced"),
		      "%s", err);
}
END_TEST

START_TEST(test_rootless_refuses_what_it_cannot_enforce)
{
	char err[8192];

	BOTH(); /* as root it runs podrun as an ordinary uid */
	/* eBPF audit without --audit-best-effort: an error, nothing runs */
	snprintf(cmd, sizeof cmd, "run --audit /dev/null %s exit 0", W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 125);
	ck_assert_msg(strstr(err, "eBPF audit cannot start") && strstr(err, "--audit-best-effort"),
		      "%s", err);
}
END_TEST

/* A v1 hierarchy's cgroup of this process, "" when there is none. */
static void v1_own(const char *ctrl, char *out, size_t cap)
{
	char line[512], want[40];
	FILE *f = fopen("/proc/self/cgroup", "r");

	out[0] = '\0';
	snprintf(want, sizeof want, ":%s:", ctrl);
	while (f && fgets(line, sizeof line, f)) {
		char *m = strstr(line, want);
		if (m) {
			line[strcspn(line, "\n")] = '\0';
			m += strlen(want);
			snprintf(out, cap, "/sys/fs/cgroup/%s%s", ctrl, strcmp(m, "/") ? m : "");
		}
	}
	if (f)
		fclose(f);
}

/* Limits rootless in a delegated cgroup: root gives the ordinary user a v1
 * memory and pids cgroup of its own (as an administrator would: mkdir,
 * chown) and starts it there; podrun then makes the pod's cgroups under it
 * and the limits hold: a memory hog is killed, a fork loop stops at pids.max
 * (not RLIMIT_NPROC), the start event lists the cgroups, and nothing of the
 * pod's cgroups is left afterwards. */
START_TEST(test_rootless_limits_in_a_delegated_cgroup)
{
	static const char *const ctrl[2] = { "memory", "pids" };
	char err[8192], audit[128], own[400], needle[700], *a;
	FILE *f;

	ROOT_ONLY("the test delegates a cgroup to an ordinary user itself");
	for (int j = 0; j < 2; j++) {
		v1_own(ctrl[j], own, sizeof own);
		POD_REQUIRE(own[0] && access(own, W_OK) == 0,
			    "no v1 memory and pids hierarchies here");
		snprintf(rootless_join[j], sizeof rootless_join[j], "%s/podrun-deleg-%d", own,
			 (int)getpid());
		rmdir(rootless_join[j]);
		ck_assert_int_eq(mkdir(rootless_join[j], 0755), 0);
		snprintf(cmd, sizeof cmd, "chown -R %d:%d %s", ROOTLESS_UID, ROOTLESS_UID,
			 rootless_join[j]);
		ck_assert_int_eq(system(cmd), 0);
	}
	/* memory: the hog is killed by the cgroup (no "memory" line: enforced) */
	snprintf(cmd, sizeof cmd, "run --memory 32m %s hog 256", W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 128 + 9);
	ck_assert_msg(
	    !strstr(err, "rootless: memory:") &&
		strstr(err, "rootless: limits: a delegated cgroup, but no cpu controller in it: "
			    "CPU not limited\n"),
	    "%s", err);
	/* control: a small allocation under the same limit completes */
	snprintf(cmd, sizeof cmd, "run --memory 128m %s hog 16", W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 0);
	/* pids: the cgroup's pids.max stops the fork loop */
	snprintf(audit, sizeof audit, "/tmp/podrun-test-%d-deleg.audit", (int)getpid());
	unlink(audit);
	snprintf(cmd, sizeof cmd, "run --audit %s --audit-best-effort --pids 10 %s fork 50", audit,
		 W("plain_worker"));
	ck_assert_int_eq(run_rootless(cmd, err, sizeof err), 3);
	a = calloc(1, 1 << 20);
	f = fopen(audit, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert(fread(a, 1, (1 << 20) - 1, f) > 0);
	fclose(f);
	snprintf(needle, sizeof needle, "\"cgroups\":[\"%s/sbx-", rootless_join[0]);
	ck_assert_msg(strstr(a, needle), "%s", a);
	free(a);
	unlink(audit);
	/* the pod's cgroups are gone: the delegated ones are empty again */
	for (int j = 0; j < 2; j++) {
		ck_assert_msg(rmdir(rootless_join[j]) == 0, "%s: %s", rootless_join[j],
			      strerror(errno));
		rootless_join[j][0] = '\0';
	}
}
END_TEST

#ifdef PODRUN_HAVE_PROXY
/* run_rootless() with the pod's stdout in @out. */
static int run_rootless_out(const char *args, char *out, size_t ocap, char *err, size_t ecap)
{
	char path[128];
	ssize_t n;
	int rc;

	snprintf(path, sizeof path, "/tmp/podrun-test-%d-rootless.out", (int)getpid());
	rootless_out_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(rootless_out_fd, 0);
	rc = run_rootless(args, err, ecap);
	n = pread(rootless_out_fd, out, ocap - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(rootless_out_fd);
	rootless_out_fd = -1;
	unlink(path);
	return rc;
}

/* Rootless network: the proxy's listeners are made inside the pod's own
 * network namespace, the proxy connects out from the host's. Real clients
 * (curl, Python's urllib) reach a loopback server of the host that the policy
 * names; a host it does not name, and the host's address by number, are
 * refused by the proxy; a direct connection has nowhere to go. */
START_TEST(test_rootless_net_through_the_proxy)
{
	static const char py[] =
	    "import os, sys, urllib.request\n"
	    "os.environ.pop('no_proxy', None); os.environ.pop('NO_PROXY', None)\n"
	    "for u in [a for a in sys.argv[1:] if a.startswith('http')]:\n"
	    "    try:\n"
	    "        print('PY', u, urllib.request.urlopen(u, "
	    "timeout=20).read().decode().strip())\n"
	    "    except Exception as e:\n"
	    "        print('PY', u, 'ERR', e)\n";
	char out[8192], err[16384], audit[128];
	const char *script;
	int port = 0;
	pid_t srv;

	BOTH(); /* as root it runs podrun as an ordinary uid */
	srv = t_http_server(&port);
	ck_assert_int_gt(srv, 0);
	script = t_write_tmp("rootless_fetch.py", py);
	ck_assert_int_eq(chmod(script, 0644), 0);
	snprintf(audit, sizeof audit, "/tmp/podrun-test-%d-rootless-net.audit", (int)getpid());
	unlink(audit);
	/* curl through the explicit proxy its http_proxy names (the runner address;
	 * --noproxy replaces NO_PROXY, which lists localhost) */
	snprintf(cmd, sizeof cmd,
		 "run --audit %s --audit-best-effort --allow-net=localhost:%d "
		 "/usr/bin/curl -sS -m 20 --noproxy none.invalid http://localhost:%d/",
		 audit, port, port);
	ck_assert_int_eq(run_rootless_out(cmd, out, sizeof out, err, sizeof err), 0);
	ck_assert_msg(!strcmp(out, "hello\n"), "out: %s\nerr: %s", out, err);
	ck_assert_msg(strstr(err, "rootless: net: no veth") && strstr(err, "inside the pod's own "
									   "network namespace"),
		      "%s", err);
	{
		char *a = calloc(1, 1 << 20);
		FILE *f = fopen(audit, "r");
		ck_assert_ptr_nonnull(f);
		ck_assert(fread(a, 1, (1 << 20) - 1, f) > 0);
		fclose(f);
		ck_assert_msg(strstr(a, "\"net\":\"netns\""), "%s", a);
		ck_assert_msg(strstr(a, "\"src\":\"proxy\",\"cat\":\"net\",\"action\":\"allow\","
					"\"what\":\"localhost:"),
			      "%s", a);
		ck_assert_msg(t_audit_wellformed(a, why, sizeof why), "%s", why);
		free(a);
		unlink(audit);
	}
	/* Python's urllib with the pod's HTTP_PROXY: the named host is served;
	 * another name, and the host's loopback by number, are refused (403) */
	snprintf(cmd, sizeof cmd,
		 "run --allow-net=localhost:%d %s http://localhost:%d/ "
		 "http://denied.invalid:%d/ http://127.0.0.1:%d/",
		 port, script, port, port, port);
	ck_assert_int_eq(run_rootless_out(cmd, out, sizeof out, err, sizeof err), 0);
	ck_assert_msg(strstr(out, "PY http://localhost:") && strstr(out, "/ hello\n"),
		      "out: %s\nerr: %s", out, err);
	ck_assert_msg(strstr(out, "PY http://denied.invalid:") && strstr(out, "HTTP Error 403"),
		      "out: %s\nerr: %s", out, err);
	ck_assert_msg(strstr(out, "PY http://127.0.0.1:") &&
			  !strstr(strstr(out, "PY http://127.0.0.1:"), "hello"),
		      "out: %s\nerr: %s", out, err);
	/* a direct connection, past the proxy: the pod's netns has no route out,
	 * and its own filter resets anything but the listeners */
	snprintf(cmd, sizeof cmd,
		 "run --allow-net=localhost:%d /usr/bin/curl -sS -m 20 --noproxy * "
		 "http://10.255.255.1:%d/",
		 port, port);
	ck_assert_int_eq(run_rootless_out(cmd, out, sizeof out, err, sizeof err), 7);
	snprintf(cmd, sizeof cmd,
		 "run --allow-net=localhost:%d /usr/bin/curl -sS -m 20 --noproxy * "
		 "http://169.254.1.1:%d/",
		 port, port);
	ck_assert_int_eq(run_rootless_out(cmd, out, sizeof out, err, sizeof err), 7);
	ck_assert_msg(!strstr(out, "hello"), "%s", out);
	/* DNS: the pod's resolver is the runner's, allowed names answer with the
	 * runner address, other names do not resolve */
	snprintf(cmd, sizeof cmd, "run --allow-net=localhost:%d /usr/bin/getent ahostsv4 localhost",
		 port);
	ck_assert_int_eq(run_rootless_out(cmd, out, sizeof out, err, sizeof err), 0);
	ck_assert_msg(strstr(out, "169.254.1.1"), "out: %s\nerr: %s", out, err);
	snprintf(cmd, sizeof cmd,
		 "run --allow-net=localhost:%d /usr/bin/getent ahostsv4 denied.invalid", port);
	ck_assert_int_eq(run_rootless_out(cmd, out, sizeof out, err, sizeof err), 2);
	kill(srv, SIGKILL);
	waitpid(srv, NULL, 0);
}
END_TEST
#endif

static Suite *podrun_suite(void)
{
	Suite *s = suite_create("podrun");
	TCase *tc;

	tc = tcase_create("cli");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_usage_error_without_program_exits_2);
	tcase_add_test(tc, test_unknown_option_exits_2_and_starts_nothing);
	tcase_add_test(tc, test_policy_error_names_file_line_and_column);
	tcase_add_test(tc, test_missing_program_exits_2);
	tcase_add_test(tc, test_allow_all_says_so_on_stderr);
	tcase_add_test(tc, test_setup_failure_exits_125_and_leaves_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("exit");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_worker_exit_status_is_passed_through);
	tcase_add_test(tc, test_worker_killed_by_signal_gives_128_plus_n);
	tcase_add_test(tc, test_worker_crash_gives_139);
	tcase_add_test(tc, test_timeout_stops_the_pod_with_124);
	tcase_add_test(tc, test_stdio_is_relayed_both_ways);
	tcase_add_test(tc, test_policy_file_limits_apply_and_flags_override);
	tcase_add_test(tc, test_quiet_and_verbose_logs);
	tcase_add_test(tc, test_pod_ignoring_its_stdin_does_not_hurt_the_runner);
	suite_add_tcase(s, tc);

	tc = tcase_create("native");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_native_fs_read_allow_deny_warn);
	tcase_add_test(tc, test_native_fs_write_allow_deny_warn);
	tcase_add_test(tc, test_fs_denials_and_warnings_are_visible_by_default);
	tcase_add_test(tc, test_native_run_allow_deny_warn);
	tcase_add_test(tc, test_native_env_allow_deny_warn);
	suite_add_tcase(s, tc);

	tc = tcase_create("fsrun");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_worker_directory_obeys_deny_read);
	tcase_add_test(tc, test_read_rules_over_runtime_files);
	tcase_add_test(tc, test_worker_directory_obeys_run_rules);
	tcase_add_test(tc, test_deny_write_survives_rename_link_and_symlink);
	tcase_add_test(tc, test_setuid_bit_cannot_be_planted);
	tcase_add_test(tc, test_memfd_exec_is_refused_unless_run_allows_all);
	tcase_add_test(tc, test_valid_policies_with_symlinked_files_start);
	tcase_add_test(tc, test_every_exec_is_decided_and_each_denial_seen_once);
	tcase_add_test(tc, test_exec_of_a_hidden_program_is_a_seen_denial);
	tcase_add_test(tc, test_warned_exec_runs_and_is_seen_without_audit);
	tcase_add_test(tc, test_exec_decides_the_interpreter_of_a_script_and_memfds);
	tcase_add_test(tc, test_runtime_programs_run_again_are_decided);
	tcase_add_test(tc, test_denied_fs_and_run_attempts_each_seen_once);
	tcase_add_test(tc, test_more_ways_around_a_protected_path_are_refused);
	tcase_add_test(tc, test_warned_file_changes_are_told);
	tcase_add_test(tc, test_unenforceable_ffi_deny_is_refused_at_start);
	suite_add_tcase(s, tc);
	tc = tcase_create("kinds");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_kind_fs_read, 0, NKINDS);
	tcase_add_loop_test(tc, test_kind_fs_write, 0, NKINDS);
	tcase_add_loop_test(tc, test_kind_run, 0, NKINDS);
	tcase_add_loop_test(tc, test_kind_env, 0, NKINDS);
	tcase_add_loop_test(tc, test_kind_ffi, 0, NKINDS);
#ifdef PODRUN_HAVE_PROXY /* without 05-proxy, pods have loopback only */
	tcase_add_loop_test(tc, test_kind_net, 0, NKINDS);
	tcase_add_test(tc, test_pod_starts_next_to_host_services_on_standard_ports);
#endif
	tcase_add_test(tc, test_pod_without_net_rules_has_loopback_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_audit_lines_follow_the_schema_and_end_with_life);
	tcase_add_test(tc, test_audit_to_stderr_with_dash);
	tcase_add_test(tc, test_audit_matches_the_documented_schema);
	tcase_add_test(tc, test_audit_fails_without_ebpf_unless_best_effort);
	suite_add_tcase(s, tc);

	tc = tcase_create("serve");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_native_serve_echoes_each_line);
	tcase_add_test(tc, test_native_sdk_message_reaches_stdout);
	tcase_add_test(tc, test_serve_backpressure_keeps_every_line_in_order);
	tcase_add_test(tc, test_clib_serve_echoes_each_line);
	tcase_add_loop_test(tc, test_sdk_serve_echoes_each_line, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("identity");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_each_pod_runs_as_a_host_uid_of_its_own);
	tcase_add_test(tc, test_files_a_pod_writes_belong_to_the_directory_owner);
	tcase_add_test(tc, test_rootless_run_works_and_says_what_it_lacks);
	tcase_add_test(tc, test_rootless_refuses_what_it_cannot_enforce);
	tcase_add_test(tc, test_rootless_pids_limit_is_an_rlimit_of_the_pod);
	tcase_add_test(tc, test_rootless_limits_in_a_delegated_cgroup);
#ifdef PODRUN_HAVE_PROXY
	tcase_add_test(tc, test_rootless_net_through_the_proxy);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_create("query");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_query_socket_decides_and_rejects_malformed_requests);
	tcase_add_test(tc, test_query_socket_refuses_a_process_outside_the_pod);
	suite_add_tcase(s, tc);

#ifdef PODRUN_HAVE_DBGUI
	tc = tcase_create("debugui");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_debug_ui_streams_events_and_stats);
	suite_add_tcase(s, tc);
#endif

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_memory_limit_kills_a_hog);
	tcase_add_test(tc, test_pids_limit_stops_a_fork_loop);
	suite_add_tcase(s, tc);

	tc = tcase_create("cleanup");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_cleanup_after_success);
	tcase_add_test(tc, test_cleanup_after_success_with_network);
	tcase_add_test(tc, test_cleanup_after_worker_crash);
	tcase_add_test(tc, test_cleanup_after_worker_sigkill);
	tcase_add_test(tc, test_cleanup_after_runner_sigterm);
	tcase_add_test(tc, test_runner_sigkill_takes_the_pod_down_and_next_run_is_fine);
	tcase_add_test(tc, test_runner_killed_during_spawn_leaves_no_cgroup);
	tcase_add_test(tc, test_runner_killed_making_its_socket_dir_leaves_nothing);
#ifdef PODRUN_HAVE_PROXY
	tcase_add_test(tc, test_runner_killed_making_its_resolv_file_leaves_nothing);
#endif
	tcase_add_test(tc, test_runner_sleeps_while_the_pod_has_closed_its_stdin);
	tcase_add_test(tc, test_sweep_removes_only_what_a_record_may_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_many_sequential_pods_leave_nothing);
	tcase_add_test(tc, test_concurrent_pods_leave_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("library");
	tcase_add_checked_fixture(tc, t_tmp_cleanup_at_exit, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_library_round_trip_events_and_stop);
	tcase_add_test(tc, test_library_reports_policy_errors_as_usage);
	tcase_add_test(tc, test_library_free_stops_a_running_pod);
	tcase_add_test(tc, test_library_refuses_a_pod_id_in_use);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(podrun_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
