/*
 * check_sandbox.c — the Check suite of layer 03-sandbox.
 *
 * Layer 03-sandbox, tests. Builds on include/sandbox.h, tests/podrun_min.h
 * (the standard pod) and tests/probe.c (the escape attempts, run inside).
 *
 * TCases:
 *   config   validation of the description (no root needed)
 *   spawn    the life cycle: identity, env, fds, status, signals, errors, pidfd
 *   escape   one test per escape attempt, each asserting the exact errno/signal
 *   limits   pids and memory cgroups, rlimits
 *   cleanup  200 spawn/exit cycles leave nothing behind in the runner
 */
#include <check.h>
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "internal.h" /* the seccomp table, for the data test */
#include "podrun_min.h"
#include "podtest.h"
#include "sandbox_path.h"

static struct fixture fx;

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	ck_assert_int_eq(fixture_make(&fx), 0); /* rootless escape tests use it too */
}

static void teardown(void)
{
	fixture_remove(&fx);
}

/* Run the probe with @args in the standard pod; return its stdout line. */
static void run_probe(const char *const args[], struct pod_result *r)
{
	sandbox_cfg_t *c = std_cfg(&fx);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cfg_probe(c, args), 0);
	pod_run(c, r, NULL);
	ck_assert_msg(r->rc == 0, "spawn/release failed: %d %s", r->rc, r->err);
}

/* Assert the probe printed exactly @line and the pod exited 0. */
static void expect(const char *const args[], const char *line)
{
	struct pod_result r;
	char want[128];

	run_probe(args, &r);
	snprintf(want, sizeof(want), "%s\n", line);
	ck_assert_str_eq(r.out, want);
	ck_assert_int_eq(r.status, 0);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The standard pod running "probe exit 0". */
static sandbox_cfg_t *cfg_probe_exit0(const struct fixture *f)
{
	sandbox_cfg_t *c = std_cfg(f);

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cfg_probe(c, ARGS("exit", "0")), 0);
	return c;
}

/* One escape test: the probe command and the exact answer. It runs as root
 * and, rootless, as an ordinary user (std_cfg() then asks for a user
 * namespace, as 07 does). */
#define ESCAPE(name, want, ...)                                                                    \
	START_TEST(name)                                                                           \
	{                                                                                          \
		expect(ARGS(__VA_ARGS__), want);                                                   \
	}                                                                                          \
	END_TEST

/* An escape test that has no rootless form: skipped for an ordinary user
 * with @why (never when root). */
#define ROOT_ONLY(why) POD_REQUIRE(pod_is_root(), "rootless: " why)
#define ESCAPE_ROOT(name, why, want, ...)                                                          \
	START_TEST(name)                                                                           \
	{                                                                                          \
		ROOT_ONLY(why);                                                                    \
		expect(ARGS(__VA_ARGS__), want);                                                   \
	}                                                                                          \
	END_TEST

/* ------------------------------------------------------------------ config */

/* The one normalizer every layer uses: each spelling of a path gives one
 * answer, and what cannot be normalized is an error, never a guess. */
START_TEST(test_path_normalizer_gives_one_spelling)
{
	static const struct {
		const char *in, *want; /* want NULL: the error in err */
		unsigned flags;
		int err;
	} c[] = {
		{ "/", "/", 0, 0 },
		{ "//", "/", 0, 0 },
		{ "/a//b/./c/", "/a/b/c", 0, 0 },
		{ "/a/b/../c", "/a/c", 0, 0 },
		{ "/../../etc", "/etc", 0, 0 },
		{ "/a/..", "/", 0, 0 },
		{ "/a/.../b", "/a/.../b", 0, 0 },
		{ "/a/..b/c..", "/a/..b/c..", 0, 0 },
		{ "/a/../b", NULL, SB_PATH_NO_DOTDOT, -EINVAL },
		{ "a/b", NULL, 0, -EINVAL },
		{ "", NULL, 0, -EINVAL },
	};
	char out[16], big[64];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r = sb_path_normalize(c[i].in, strlen(c[i].in), out, sizeof(out), c[i].flags);

		if (c[i].want) {
			ck_assert_msg(r == (int)strlen(c[i].want), "%s: %d", c[i].in, r);
			ck_assert_str_eq(out, c[i].want);
		} else {
			ck_assert_int_eq(r, c[i].err);
		}
	}
	/* a NUL byte inside the given length is refused, not cut short */
	ck_assert_int_eq(sb_path_normalize("/etc\0/shadow", 12, out, sizeof(out), 0), -EINVAL);
	/* only @len bytes are read */
	ck_assert_int_eq(sb_path_normalize("/etc/shadow", 4, out, sizeof(out), 0), 4);
	ck_assert_str_eq(out, "/etc");
	/* too long for the buffer (with its NUL): an error, never a cut path */
	ck_assert_int_eq(sb_path_normalize("/0123456789/abcd", 16, out, sizeof(out), 0),
			 -ENAMETOOLONG);
	ck_assert_int_eq(sb_path_normalize("/0123456789/abc", 15, out, sizeof(out), 0), 15);
	/* in place */
	strcpy(big, "//x/./y/../z//");
	ck_assert_int_eq(sb_path_normalize(big, strlen(big), big, sizeof(big), 0), 4);
	ck_assert_str_eq(big, "/x/z");
}
END_TEST

START_TEST(test_plan_rejects_relative_and_dotdot_paths)
{
	sandbox_cfg_t *c;

	ck_assert_int_eq(sandbox_cfg_new(&c), 0);
	ck_assert_int_eq(sandbox_plan_ro(c, "usr", "/usr", 0), -EINVAL);
	ck_assert_int_eq(sandbox_plan_ro(c, "/usr", "/a/../etc", 0), -EINVAL);
	ck_assert_int_eq(sandbox_plan_rw(c, "/tmp", "/", 0), -EINVAL);
	ck_assert_int_eq(sandbox_plan_ro(c, "/usr", "/usr", 0x80), -EINVAL);
	ck_assert_int_eq(sandbox_plan_rw(c, "/tmp", "/x", SANDBOX_MNT_NOEXEC), -EINVAL);
	ck_assert_int_eq(sandbox_plan_ro(c, "//usr/./lib//", NULL, 0), 0);
	ck_assert_int_eq(sandbox_plan_tmpfs(c, "/tmp", 0, 010000), -EINVAL);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_cfg_rejects_bad_program_env_and_fds)
{
	sandbox_cfg_t *c;
	char *const rel[] = { "bin/true", NULL };
	char *const empty[] = { NULL };
	char *const badenv[] = { "NOEQUALS", NULL };

	ck_assert_int_eq(sandbox_cfg_new(&c), 0);
	ck_assert_int_eq(sandbox_cfg_set_exec(c, NULL, rel), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_exec(c, NULL, empty), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_env(c, badenv), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_add_fd(c, 0, 5), 0);
	ck_assert_int_eq(sandbox_cfg_add_fd(c, 0, 5), -EEXIST);
	ck_assert_int_eq(sandbox_cfg_add_fd(c, 0, 4096), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_add_fd(c, 9999, 6), -EBADF);
	ck_assert_int_eq(sandbox_cfg_set_namespaces(c, 1u << 20), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_hostname(c, ""), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_landlock(c, 7), -EINVAL);
	sandbox_cfg_free(c);
	sandbox_cfg_free(NULL);
	sandbox_destroy(NULL);
}
END_TEST

START_TEST(test_spawn_without_program_is_einval)
{
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	struct sandbox_error e;

	ck_assert_int_eq(sandbox_cfg_new(&c), 0);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), -EINVAL);
	ck_assert_ptr_null(sb);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_landlock_abi_is_detected)
{
	/* this kernel is built with Landlock (CONFIG_LSM lists it) */
	POD_REQUIRE(sandbox_landlock_abi() > 0, "kernel without Landlock");
	ck_assert_int_ge(sandbox_landlock_abi(), 1);
}
END_TEST

START_TEST(test_seccomp_table_gives_reasons_and_covers_the_required_calls)
{
	static const char *const required[] = {
		"mount",
		"umount2",
		"pivot_root",
		"chroot",
		"unshare",
		"setns",
		"clone",
		"clone3",
		"ptrace",
		"process_vm_readv",
		"process_vm_writev",
		"bpf",
		"perf_event_open",
		"kexec_load",
		"kexec_file_load",
		"init_module",
		"finit_module",
		"delete_module",
		"add_key",
		"request_key",
		"keyctl",
		"userfaultfd",
		"io_uring_setup",
		"open_by_handle_at",
		"syslog",
		"acct",
		"swapon",
		"swapoff",
		"reboot",
		"clock_settime",
		"settimeofday",
		"ioctl",
		"socket",
		NULL,
	};
	const struct sock_fprog *prog = NULL;
	size_t n = sbx_seccomp_table_size();

	ck_assert_uint_gt(n, 40);
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL, *name = sbx_seccomp_entry(i, &why);

		ck_assert_ptr_nonnull(name);
		ck_assert_msg(why && strlen(why) > 5, "entry %zu (%s) has no reason", i, name);
	}
	ck_assert_ptr_null(sbx_seccomp_entry(n, &(const char *){ NULL }));
	for (int k = 0; required[k]; k++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++) {
			const char *why;

			found = strcmp(sbx_seccomp_entry(i, &why), required[k]) == 0;
		}
		ck_assert_msg(found, "%s missing from the deny list", required[k]);
	}
	/* it compiles, once, into a classic BPF program */
	ck_assert_int_eq(sbx_seccomp_program(&prog), 0);
	ck_assert_uint_gt(prog->len, n);
}
END_TEST

/* ------------------------------------------------------------------- spawn */

START_TEST(test_worker_runs_as_nobody_in_its_own_pid_namespace)
{
	POD_REQUIRE_ROOT();
	/* uid gid #groups pid: the worker is pid 2 (the init is 1) */
	expect(ARGS("ids"), "ok 65534 65534 0 2");
}
END_TEST

START_TEST(test_configured_ids_cwd_and_hostname_apply)
{
	struct pod_result r;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_cfg_set_ids(c, 1234, 4321);
	sandbox_cfg_set_cwd(c, "/tmp");
	sandbox_cfg_set_hostname(c, "podx");
	cfg_probe(c, ARGS("ids"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 1234 4321 0 2\n");
	c = std_cfg(&fx);
	sandbox_cfg_set_cwd(c, "/tmp");
	cfg_probe(c, ARGS("cwd"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok /tmp\n");
	c = std_cfg(&fx);
	sandbox_cfg_set_hostname(c, "podx");
	cfg_probe(c, ARGS("hostname"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok podx\n");
}
END_TEST

START_TEST(test_environment_is_exactly_the_given_one)
{
	char *const env[] = { "A=1", "LANG=C", NULL };
	struct pod_result r;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	setenv("SBX_SECRET", "leak", 1);
	c = std_cfg(&fx);
	sandbox_cfg_set_env(c, env);
	cfg_probe(c, ARGS("env"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok A=1;LANG=C\n");
	expect(ARGS("env"), "ok"); /* the default is empty */
}
END_TEST

START_TEST(test_only_handed_over_descriptors_are_open)
{
	struct pod_result r;
	sandbox_cfg_t *c;
	int leak = open("/dev/null", O_RDONLY); /* not CLOEXEC: must not leak anyway */
	int extra = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_cfg_add_fd(c, extra, 7);
	cfg_probe(c, ARGS("fds"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 0,1,2,7\n");
	close(leak);
	close(extra);
}
END_TEST

START_TEST(test_exit_code_and_signal_become_status)
{
	struct pod_result r;

	POD_REQUIRE_ROOT();
	run_probe(ARGS("exit", "3"), &r);
	ck_assert_int_eq(r.status, 3);
	run_probe(ARGS("crash"), &r);
	ck_assert_int_eq(r.status, 128 + SIGSEGV);
}
END_TEST

START_TEST(test_worker_is_in_the_inits_new_session)
{
	POD_REQUIRE_ROOT();
	expect(ARGS("sid"), "ok 1");
}
END_TEST

START_TEST(test_init_reaps_orphaned_zombies)
{
	POD_REQUIRE_ROOT();
	expect(ARGS("orphans"), "ok 0");
}
END_TEST

/* Start "trapterm" and wait until it says ready. Returns the read end. */
static sandbox_t *start_trapterm(int *rd)
{
	struct sandbox_error e;
	sandbox_cfg_t *c = std_cfg(&fx);
	sandbox_t *sb = NULL;
	char buf[16] = "";
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	sandbox_cfg_add_fd(c, p[1], 1);
	close(p[1]);
	cfg_probe(c, ARGS("trapterm"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	ck_assert_int_eq(sandbox_release(sb, &e), 0);
	sandbox_cfg_free(c);
	ck_assert_int_eq(read(p[0], buf, 6), 6);
	ck_assert_str_eq(buf, "ready\n");
	*rd = p[0];
	return sb;
}

START_TEST(test_runner_signal_state_does_not_leak_into_the_worker)
{
	sigset_t set;

	POD_REQUIRE_ROOT();
	/* a runner with a signalfd blocks signals and usually ignores SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	expect(ARGS("status", "SigIgn"), "ok 0000000000000000");
	expect(ARGS("status", "SigBlk"), "ok 0000000000000000");
}
END_TEST

START_TEST(test_sigterm_is_forwarded_to_the_worker)
{
	sandbox_t *sb;
	int rd, st = -1;

	POD_REQUIRE_ROOT();
	sb = start_trapterm(&rd);
	ck_assert_int_eq(sandbox_kill(sb, SIGTERM), 0);
	ck_assert_int_eq(sandbox_wait(sb, &st, 0), 0);
	ck_assert_int_eq(st, 42); /* the worker's handler ran */
	ck_assert_int_eq(sandbox_kill(sb, SIGTERM), -ESRCH);
	sandbox_destroy(sb);
	close(rd);
}
END_TEST

START_TEST(test_pidfd_wakes_epoll_and_nohang_wait_is_eagain)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	sandbox_t *sb;
	int rd, st = -1, ep;

	POD_REQUIRE_ROOT();
	sb = start_trapterm(&rd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, sandbox_pidfd(sb), &ev), 0);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 0), 0);
	ck_assert_int_eq(sandbox_wait(sb, &st, SANDBOX_WAIT_NOHANG), -EAGAIN);
	ck_assert_int_eq(sandbox_kill(sb, SIGKILL), 0);
	ck_assert_int_eq(epoll_wait(ep, &out, 1, 5000), 1);
	ck_assert_int_eq(sandbox_wait(sb, &st, SANDBOX_WAIT_NOHANG), 0);
	ck_assert_int_eq(st, 128 + SIGKILL);
	close(ep);
	close(rd);
	sandbox_destroy(sb);
}
END_TEST

START_TEST(test_missing_source_fails_naming_the_path)
{
	struct sandbox_error e;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("ids"));
	sandbox_plan_ro(c, "/nonexistent/sbx-src", "/x", 0);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), -ENOENT);
	ck_assert_ptr_null(sb);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/sbx-src"));
	sandbox_cfg_free(c);
}
END_TEST

static int log_count;
static void count_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (level == SANDBOX_LOG_INFO && strstr(msg, "/nonexistent/sbx-opt"))
		log_count++;
}

START_TEST(test_missing_optional_source_is_skipped_and_logged)
{
	struct pod_result r;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_cfg_set_log(c, count_log, NULL);
	sandbox_plan_ro(c, "/nonexistent/sbx-opt", "/opt/x", SANDBOX_MNT_OPTIONAL);
	cfg_probe(c, ARGS("read", "/opt/x"));
	pod_run(c, &r, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "err 2\n");
	ck_assert_int_eq(log_count, 1);
}
END_TEST

START_TEST(test_exec_failure_is_reported_by_release)
{
	struct pod_result r;
	sandbox_cfg_t *c;
	char *const argv[] = { "/no/such/program", NULL };

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_cfg_set_exec(c, NULL, argv);
	pod_run(c, &r, NULL);
	ck_assert_int_eq(r.rc, -ENOENT);
	ck_assert_ptr_nonnull(strstr(r.err, "/no/such/program"));
	ck_assert_int_eq(r.status, 125);
}
END_TEST

START_TEST(test_symlink_on_destination_path_is_refused)
{
	struct pod_result r;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	/* /lib is a planned symlink to usr/lib: a mount below it must not follow it */
	c = std_cfg(&fx);
	sandbox_plan_tmpfs(c, "/lib/evil", 0, 0755);
	cfg_probe(c, ARGS("ids"));
	pod_run(c, &r, NULL);
	ck_assert_int_eq(r.rc, -ELOOP);
	ck_assert_ptr_nonnull(strstr(r.err, "/lib/evil"));
	ck_assert_int_eq(r.status, 125);
}
END_TEST

START_TEST(test_release_twice_is_ealready)
{
	struct sandbox_error e;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	int st;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	ck_assert_int_eq(sandbox_release(sb, &e), 0);
	ck_assert_int_eq(sandbox_release(sb, &e), -EALREADY);
	ck_assert_int_eq(sandbox_wait(sb, &st, 0), 0);
	ck_assert_int_eq(st, 0);
	ck_assert_int_eq(sandbox_wait(sb, &st, 0), 0); /* idempotent */
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_release_of_a_dead_pod_is_epipe_not_sigpipe)
{
	struct sandbox_error e;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	int st = -1;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	ck_assert_int_eq(sandbox_kill(sb, SIGKILL), 0);
	ck_assert_int_eq(sandbox_wait(sb, &st, 0), 0);
	ck_assert_int_eq(st, 128 + SIGKILL);
	/* the runner (this process) must survive: no SIGPIPE */
	ck_assert_int_eq(sandbox_release(sb, &e), -EPIPE);
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_destroy_before_release_kills_the_waiting_child)
{
	struct sandbox_error e;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	char dir[256];

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	/* the cgroup holding the pids limit, whichever hierarchy it is in */
	snprintf(dir, sizeof(dir), "%s",
		 sandbox_get_info(sb)->cgroup_mode == SANDBOX_CGROUP_V2
		     ? sandbox_get_info(sb)->cgroup_v2
		     : sandbox_get_info(sb)->cgroup_v1_pids);
	ck_assert_int_eq(access(dir, F_OK), 0);
	sandbox_destroy(sb);
	ck_assert_int_eq(access(dir, F_OK), -1);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_netns_fd_is_a_different_namespace_with_only_lo)
{
	struct sandbox_error e;
	struct stat a, b;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	ck_assert_int_ge(sandbox_netns_fd(sb), 0);
	ck_assert_int_eq(fstat(sandbox_netns_fd(sb), &a), 0);
	ck_assert_int_eq(stat("/proc/self/ns/net", &b), 0);
	ck_assert_int_ne(a.st_ino, b.st_ino);
	ck_assert_int_gt(sandbox_pid(sb), 1);
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
	expect(ARGS("ifaces"), "ok lo");
}
END_TEST

START_TEST(test_cgroups_used_are_reported)
{
	struct sandbox_error e;
	const struct sandbox_info *in;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	struct stat st;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	in = sandbox_get_info(sb);
	/* this machine: v1 controllers; a controller-less v2 mount for identity */
	ck_assert(in->cgroup_mode == SANDBOX_CGROUP_V1 || in->cgroup_mode == SANDBOX_CGROUP_V2);
	if (in->cgroup_v2[0]) {
		ck_assert_int_eq(stat(in->cgroup_v2, &st), 0);
		ck_assert_uint_eq(in->cgroup_id, st.st_ino);
	}
	if (in->cgroup_mode == SANDBOX_CGROUP_V1) {
		ck_assert(in->cgroup_v1_memory[0] && in->cgroup_v1_pids[0]);
		ck_assert(in->cgroup_v1_cpu[0] == '\0'); /* no CPU limit asked */
	}
	ck_assert_int_eq(in->landlock_abi, sandbox_landlock_abi());
	ck_assert(in->seccomp);
	ck_assert_uint_eq(in->namespaces, SANDBOX_NS_DEFAULT);
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_cgroups_left_by_a_dead_runner_with_our_pid_are_skipped)
{
	struct pod_result r;
	sandbox_t *sb = NULL;
	char parents[4][256], stale[4][2][300], want[32];
	const struct sandbox_info *in;

	POD_REQUIRE_ROOT();
	/* 1. a first pod (sequence 0) shows which hierarchies are used */
	pod_run(cfg_probe_exit0(&fx), &r, &sb);
	ck_assert_int_eq(r.rc, 0);
	in = sandbox_get_info(sb);
	const char *dirs[4] = { in->cgroup_v2, in->cgroup_v1_memory, in->cgroup_v1_pids,
				in->cgroup_v1_cpu };
	for (int k = 0; k < 4; k++) {
		char *slash;

		snprintf(parents[k], sizeof(parents[k]), "%s", dirs[k]);
		slash = strrchr(parents[k], '/');
		if (slash)
			*slash = '\0';
	}
	sandbox_destroy(sb);
	/* 2. what a SIGKILLed runner with our pid would have left: sequence 1 in
	 *    every hierarchy, sequence 2 in one of them */
	for (int k = 0; k < 4; k++)
		for (int s = 0; s < 2; s++) {
			stale[k][s][0] = '\0';
			if (!parents[k][0] || (s == 1 && k != 0 && k != 2))
				continue;
			snprintf(stale[k][s], sizeof(stale[k][s]), "%.255s/sbx-%d-%d", parents[k],
				 (int)getpid(), s + 1);
			ck_assert_int_eq(mkdir(stale[k][s], 0755), 0);
		}
	/* 3. the next pod still starts, under the first free name */
	pod_run(cfg_probe_exit0(&fx), &r, &sb);
	for (int k = 0; k < 4; k++)
		for (int s = 0; s < 2; s++)
			if (stale[k][s][0])
				rmdir(stale[k][s]);
	ck_assert_msg(r.rc == 0, "spawn next to stale cgroups: %d %s", r.rc, r.err);
	ck_assert_int_eq(r.status, 0);
	snprintf(want, sizeof(want), "/sbx-%d-3", (int)getpid());
	in = sandbox_get_info(sb);
	ck_assert_msg(strstr(in->cgroup_v1_memory[0] ? in->cgroup_v1_memory : in->cgroup_v2, want),
		      "name %s, want %s", in->cgroup_v1_memory, want);
	sandbox_destroy(sb);
}
END_TEST

/* A supervisor's own cgroup name: the paths are known before the spawn, the
 * spawn creates exactly those, a taken name is refused, bad names too. */
START_TEST(test_named_cgroups_are_known_before_the_spawn)
{
	struct sandbox_error e;
	char planned[4][256], name[64];
	const struct sandbox_info *in;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL, *sb2 = NULL;
	int used = 0;

	POD_REQUIRE_ROOT();
	ck_assert_int_eq(sandbox_cgroup_paths("../x", planned), -EINVAL);
	ck_assert_int_eq(sandbox_cgroup_paths(".hidden", planned), -EINVAL);
	ck_assert_int_eq(sandbox_cgroup_paths("a/b", planned), -EINVAL);
	ck_assert_int_eq(sandbox_cgroup_paths("", planned), -EINVAL);
	snprintf(name, sizeof(name), "sbxtest-%d-named", (int)getpid());
	ck_assert_int_eq(sandbox_cgroup_paths(name, planned), 0);
	c = std_cfg(&fx);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_cfg_set_cgroup_name(c, "a b"), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_cgroup_name(c, name), 0);
	for (int k = 0; k < 4; k++) /* nothing exists before the spawn */
		ck_assert(!planned[k][0] || access(planned[k], F_OK) < 0);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	in = sandbox_get_info(sb);
	{
		const char *made[4] = { in->cgroup_v2, in->cgroup_v1_memory, in->cgroup_v1_pids,
					in->cgroup_v1_cpu };

		for (int k = 0; k < 4; k++)
			if (made[k][0]) { /* every directory made was announced */
				ck_assert_str_eq(made[k], planned[k]);
				ck_assert_int_eq(access(made[k], F_OK), 0);
				used++;
			}
	}
	ck_assert_int_gt(used, 0);
	/* the same name again, while the first pod holds it: refused */
	ck_assert_int_eq(sandbox_spawn(c, &sb2, &e), -EEXIST);
	ck_assert_ptr_null(sb2);
	sandbox_destroy(sb);
	for (int k = 0; k < 4; k++) /* and gone with the pod */
		ck_assert(!planned[k][0] || access(planned[k], F_OK) < 0);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0); /* free again */
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_pod_init_is_inside_its_cgroups_before_the_worker_runs)
{
	const struct sandbox_info *in;
	sandbox_t *sb;
	char path[512], buf[64] = "";
	int fd, rd;

	POD_REQUIRE_ROOT();
	sb = start_trapterm(&rd); /* the worker has exec'd and is waiting */
	in = sandbox_get_info(sb);
	const char *dirs[] = { in->cgroup_v2, in->cgroup_v1_memory, in->cgroup_v1_pids };
	for (int i = 0; i < 3; i++) {
		if (!dirs[i][0])
			continue;
		snprintf(path, sizeof(path), "%s/cgroup.procs", dirs[i]);
		fd = open(path, O_RDONLY);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_gt(read(fd, buf, sizeof(buf) - 1), 0);
		close(fd);
		/* exactly two members: the init (joined before forking) and the worker */
		int n = 0, found = 0;
		for (char *tok = strtok(buf, "\n"); tok; tok = strtok(NULL, "\n"), n++)
			found += atoi(tok) == sandbox_pid(sb);
		ck_assert_int_eq(n, 2);
		ck_assert_int_eq(found, 1);
	}
	sandbox_destroy(sb);
	close(rd);
}
END_TEST

/* A task in the pod's cgroup that the pod's pid namespace does not take down
 * (here: a process of the test moved into it) would keep the cgroup busy
 * for good; destroy kills it and the cgroups go. */
START_TEST(test_destroy_kills_a_stray_task_in_the_pods_cgroup)
{
	const struct sandbox_info *in;
	sandbox_t *sb;
	char path[512], pid_s[32], dirs[4][256];
	int rd, fd, st;
	pid_t stray;

	POD_REQUIRE_ROOT();
	sb = start_trapterm(&rd);
	in = sandbox_get_info(sb);
	snprintf(dirs[0], sizeof dirs[0], "%s", in->cgroup_v2);
	snprintf(dirs[1], sizeof dirs[1], "%s", in->cgroup_v1_memory);
	snprintf(dirs[2], sizeof dirs[2], "%s", in->cgroup_v1_pids);
	snprintf(dirs[3], sizeof dirs[3], "%s", in->cgroup_v1_cpu);
	stray = fork();
	ck_assert_int_ge(stray, 0);
	if (stray == 0) {
		pause();
		_exit(0);
	}
	snprintf(pid_s, sizeof pid_s, "%d", (int)stray);
	snprintf(path, sizeof path, "%s/cgroup.procs",
		 dirs[1][0]   ? dirs[1]
		 : dirs[2][0] ? dirs[2]
			      : dirs[0]);
	fd = open(path, O_WRONLY);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, pid_s, strlen(pid_s)), (ssize_t)strlen(pid_s));
	close(fd);
	sandbox_destroy(sb);
	close(rd);
	for (int i = 0; i < 300 && waitpid(stray, &st, WNOHANG) == 0; i++)
		usleep(10000);
	if (kill(stray, 0) == 0 && waitpid(stray, &st, WNOHANG) == 0) {
		kill(stray, SIGKILL);
		waitpid(stray, &st, 0);
		ck_abort_msg("a task in the pod's cgroup outlived sandbox_destroy()");
	}
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "stray status %#x", st);
	for (int i = 0; i < 4; i++)
		ck_assert_msg(!dirs[i][0] || access(dirs[i], F_OK) < 0, "cgroup %s left", dirs[i]);
}
END_TEST

START_TEST(test_socket_in_read_only_bound_directory_is_reachable)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pod_result r;
	sandbox_cfg_t *c;
	char dir[64];
	int s;

	POD_REQUIRE_ROOT();
	snprintf(dir, sizeof(dir), "/tmp/sbx-sock-%d-XXXXXX", (int)getpid());
	ck_assert_ptr_nonnull(mkdtemp(dir));
	chmod(dir, 0755);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl", dir);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	chmod(sa.sun_path, 0666);
	ck_assert_int_eq(listen(s, 4), 0);
	c = std_cfg(&fx);
	sandbox_plan_ro(c, dir, "/run/pod", SANDBOX_MNT_NOEXEC);
	cfg_probe(c, ARGS("connectunix", "/run/pod/ctl"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 0\n");
	close(s);
	unlink(sa.sun_path);
	rmdir(dir);
}
END_TEST

START_TEST(test_single_file_bind_and_mask)
{
	struct pod_result r;
	sandbox_cfg_t *c;
	char src[128];

	POD_REQUIRE_ROOT();
	snprintf(src, sizeof(src), "%s/f", fx.ro);
	c = std_cfg(&fx);
	sandbox_plan_ro(c, src, "/etc/resolv.conf", SANDBOX_MNT_NOEXEC);
	cfg_probe(c, ARGS("read", "/etc/resolv.conf"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 6\n");
	c = std_cfg(&fx);
	sandbox_plan_mask(c, "/ro/f");
	cfg_probe(c, ARGS("read", "/ro/f"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 0\n"); /* /dev/null now */
	c = std_cfg(&fx);
	sandbox_plan_mask(c, "/usr/share");
	cfg_probe(c, ARGS("listdir", "/usr/share"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 0\n"); /* an empty tmpfs */
}
END_TEST

START_TEST(test_user_namespace_option_runs_the_worker_unprivileged)
{
	struct pod_result r;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_cfg_set_namespaces(c, SANDBOX_NS_DEFAULT | SANDBOX_NS_USER);
	cfg_probe(c, ARGS("status", "CapEff"));
	pod_run(c, &r, NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "ok 0000000000000000\n");
	c = std_cfg(&fx);
	sandbox_cfg_set_namespaces(c, SANDBOX_NS_DEFAULT | SANDBOX_NS_USER);
	cfg_probe(c, ARGS("ids"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 65534 65534 0 2\n");
}
END_TEST

START_TEST(test_turning_landlock_and_seccomp_off_shows_what_they_deny)
{
	struct pod_result r;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	/* with Landlock, writing our own /proc/self/comm is EACCES (escape suite);
	 * without it the write succeeds: Landlock is what denies it */
	c = std_cfg(&fx);
	sandbox_cfg_set_landlock(c, SANDBOX_LANDLOCK_OFF);
	cfg_probe(c, ARGS("write", "/proc/self/comm", "x"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 1\n");
	c = std_cfg(&fx);
	sandbox_cfg_set_seccomp(c, false);
	cfg_probe(c, ARGS("status", "Seccomp"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 0\n");
	/* without seccomp clone3 exists again (it is ENOSYS only by the filter) */
	c = std_cfg(&fx);
	sandbox_cfg_set_seccomp(c, false);
	cfg_probe(c, ARGS("clone3"));
	pod_run(c, &r, NULL);
	ck_assert_str_ne(r.out, "err 38\n");
}
END_TEST

static volatile int churn_stop;

static void *churn(void *arg)
{
	(void)arg;
	while (!churn_stop) {
		void *p = malloc(64 + (rand() & 4095));

		free(p);
	}
	return NULL;
}

START_TEST(test_spawn_from_a_threaded_runner_while_another_thread_allocates)
{
	pthread_t t;

	POD_REQUIRE_ROOT();
	/* the pod is a copy of this process taken at any instant, possibly while the
	 * other thread holds a malloc lock: the pod side must never need one */
	churn_stop = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, churn, NULL), 0);
	for (int i = 0; i < 30; i++) {
		struct pod_result r;

		run_probe(ARGS("exit", "7"), &r);
		ck_assert_int_eq(r.status, 7);
	}
	churn_stop = 1;
	pthread_join(t, NULL);
}
END_TEST

START_TEST(test_pod_dies_with_its_runner)
{
	int p[2], st;
	pid_t runner, pod = 0;
	char cg[3][256];

	POD_REQUIRE_ROOT();
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(p), 0);
	runner = fork();
	if (runner == 0) {
		/* a runner that spawns a long pod and dies without cleaning up */
		struct sandbox_error e;
		sandbox_cfg_t *c = std_cfg(&fx);
		sandbox_t *sb = NULL;
		const struct sandbox_info *in;

		cfg_probe(c, ARGS("sleep", "30"));
		if (sandbox_spawn(c, &sb, &e) < 0 || sandbox_release(sb, &e) < 0)
			_exit(1);
		in = sandbox_get_info(sb);
		pod = sandbox_pid(sb);
		if (write(p[1], &pod, sizeof(pod)) < 0 || write(p[1], in->cgroup_v2, 256) < 0 ||
		    write(p[1], in->cgroup_v1_memory, 256) < 0 ||
		    write(p[1], in->cgroup_v1_pids, 256) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &pod, sizeof(pod)), sizeof(pod));
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(read(p[0], cg[i], 256), 256);
	close(p[0]);
	ck_assert_int_eq(waitpid(runner, &st, 0), runner);
	/* the orphaned init was re-parented to us (subreaper): it must die of SIGKILL */
	ck_assert_int_eq(waitpid(pod, &st, __WALL), pod);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(WTERMSIG(st), SIGKILL);
	for (int i = 0; i < 3; i++)
		if (cg[i][0])
			for (int k = 0; k < 1000 && rmdir(cg[i]) < 0 && errno == EBUSY; k++)
				usleep(1000);
}
END_TEST

/* ------------------------------------------------------------- exec notify */

/*
 * A pod whose worker execs `/probe euid` once more: the runner side (this
 * test) receives that exec on the listener and answers @p answer (0: let it
 * continue, else that errno). Returns the system call number it saw.
 */
static int exec_notify_run(const char *const args[], int answer, struct pod_result *r)
{
	struct sandbox_error e = { "" };
	sandbox_cfg_t *c = std_cfg(&fx);
	sandbox_t *sb = NULL;
	struct seccomp_notif nt;
	struct seccomp_notif_resp rsp;
	struct pollfd pf;
	size_t len = 0;
	ssize_t n;
	int p[2], fd;

	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(cfg_probe(c, args), 0);
	ck_assert_int_eq(sandbox_cfg_set_exec_notify(c, true), 0);
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	sandbox_cfg_add_fd(c, p[1], 1);
	close(p[1]);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	ck_assert_msg(sandbox_release(sb, &e) == 0, "%s", e.msg); /* the first exec went through */
	sandbox_cfg_free(c);
	fd = sandbox_exec_notify_fd(sb);
	ck_assert_int_ge(fd, 0);
	pf = (struct pollfd){ .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&pf, 1, 10000), 1);
	memset(&nt, 0, sizeof(nt));
	ck_assert_int_eq(ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &nt), 0);
	memset(&rsp, 0, sizeof(rsp));
	rsp.id = nt.id;
	if (answer == 0)
		rsp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	else
		rsp.error = -answer;
	ck_assert_int_eq(ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &rsp), 0);
	while ((n = read(p[0], r->out + len, sizeof(r->out) - 1 - len)) > 0)
		len += (size_t)n;
	r->out[len] = '\0';
	close(p[0]);
	sandbox_wait(sb, &r->status, 0);
	sandbox_destroy(sb);
	return (int)nt.data.nr;
}

START_TEST(test_exec_notify_runner_lets_an_exec_continue)
{
	struct pod_result r;

	/* root and rootless */
	ck_assert_int_eq(exec_notify_run(ARGS("exec", "/probe", "euid"), 0, &r), __NR_execve);
	ck_assert_str_eq(r.out, "ok 65534\n");
}
END_TEST

START_TEST(test_exec_notify_runner_denies_an_exec_with_eacces)
{
	struct pod_result r;

	/* root and rootless */
	ck_assert_int_eq(exec_notify_run(ARGS("exec", "/probe", "euid"), EACCES, &r), __NR_execve);
	ck_assert_str_eq(r.out, "err 13\n");
}
END_TEST

START_TEST(test_exec_notify_sees_execveat_of_a_memfd_too)
{
	struct pod_result r;

	ROOT_ONLY("memory files stay executable (vm.memfd_noexec is host root's)");
	/* decided before the kernel's own EACCES: the runner sees the attempt */
	ck_assert_int_eq(exec_notify_run(ARGS("memfdexec", "fd", "/probe"), 0, &r), __NR_execveat);
	ck_assert_str_eq(r.out, "err 13\n");
}
END_TEST

START_TEST(test_exec_notify_listener_is_not_in_the_pod)
{
	struct pod_result r;
	sandbox_cfg_t *c;

	/* root and rootless */
	c = std_cfg(&fx);
	sandbox_cfg_set_exec_notify(c, true);
	cfg_probe(c, ARGS("fds"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 0,1,2\n");
}
END_TEST

/* ------------------------------------------------------------------ escape */

/* the host's files are simply not there */
ESCAPE(test_escape_read_host_shadow_is_enoent, "err 2", "read", "/etc/shadow")
ESCAPE(test_escape_list_host_root_home_is_enoent, "err 2", "listdir", "/root")
/* read-only really means read-only */
ESCAPE(test_escape_write_read_only_bind_is_erofs, "err 30", "write", "/ro/f")
ESCAPE(test_escape_create_file_outside_plan_is_erofs, "err 30", "write", "/newfile")
ESCAPE(test_escape_mkdir_in_read_only_usr_is_erofs, "err 30", "mkdir", "/usr/sbx")
/* writable mounts are noexec */
ESCAPE(test_escape_exec_from_tmpfs_is_eacces, "err 13", "copyexec", "/probe", "/tmp/p")
ESCAPE(test_escape_exec_from_rw_bind_is_eacces, "err 13", "copyexec", "/probe", "/data/p")
/* processes */
ESCAPE(test_escape_only_pod_processes_are_visible, "ok 2", "pids")
ESCAPE(test_escape_ptrace_pid1_is_eperm, "err 1", "ptrace", "1")
ESCAPE(test_escape_read_init_memory_is_eacces, "err 13", "read", "/proc/1/mem")
ESCAPE(test_escape_kill_init_from_inside_has_no_effect, "ok 0", "killinit")
/* mount and namespace escapes */
ESCAPE(test_escape_mount_is_eperm, "err 1", "mount")
ESCAPE(test_escape_umount_proc_is_eperm, "err 1", "umount", "/proc")
ESCAPE(test_escape_pivot_root_is_eperm, "err 1", "pivot")
ESCAPE(test_escape_chroot_is_eperm, "err 1", "chroot")
ESCAPE(test_escape_unshare_user_ns_is_eperm, "err 1", "unshare")
ESCAPE(test_escape_setns_is_eperm, "err 1", "setns")
ESCAPE(test_escape_clone_with_new_user_ns_is_eperm, "err 1", "clonens")
ESCAPE(test_escape_clone3_is_enosys, "err 38", "clone3")
ESCAPE(test_escape_plain_fork_still_works, "ok 7", "fork")
/* kernel attack surface */
ESCAPE(test_escape_bpf_is_eperm, "err 1", "bpf")
ESCAPE(test_escape_perf_event_open_is_eperm, "err 1", "perf")
ESCAPE(test_escape_keyctl_add_key_is_eperm, "err 1", "keyctl")
ESCAPE(test_escape_io_uring_setup_is_eperm, "err 1", "iouring")
ESCAPE(test_escape_open_by_handle_at_is_eperm, "err 1", "handle")
ESCAPE(test_escape_userfaultfd_is_eperm, "err 1", "userfaultfd")
ESCAPE(test_escape_kexec_load_is_eperm, "err 1", "kexec")
ESCAPE(test_escape_init_module_is_eperm, "err 1", "initmod")
ESCAPE(test_escape_syslog_is_eperm, "err 1", "syslog")
ESCAPE(test_escape_reboot_is_eperm, "err 1", "reboot")
ESCAPE(test_escape_clock_settime_is_eperm, "err 1", "clock")
/* privileges */
ESCAPE(test_escape_raise_rlimit_is_eperm, "err 1", "rlimit")
ESCAPE(test_escape_ambient_capability_raise_is_eperm, "err 1", "prctl_caps")
ESCAPE(test_escape_sethostname_is_eperm, "err 1", "sethostname")
ESCAPE(test_escape_hostname_is_pod, "ok pod", "hostname")
/* set-id files would outlive the pod on the host (nosuid is the pod's mount only) */
ESCAPE(test_escape_chmod_setuid_is_eperm, "err 1", "chmod", "/data/s", "4755")
ESCAPE(test_escape_chmod_setgid_is_eperm, "err 1", "chmod", "/data/s", "2755")
ESCAPE(test_escape_fchmod_setuid_is_eperm, "err 1", "fchmod", "/data/s", "4755")
ESCAPE(test_escape_create_setuid_file_is_eperm, "err 1", "creatmode", "/data/s", "4755")
ESCAPE(test_escape_create_setgid_file_is_eperm, "err 1", "creatmode", "/data/s", "2755")
ESCAPE(test_escape_plain_chmod_still_works, "ok 0", "chmod", "/data/s", "0700")
/* memory files are not executable (vm.memfd_noexec = 2 in the pod's pid ns) */
ESCAPE_ROOT(test_escape_memfd_execveat_is_eacces,
	    "memory files stay executable (vm.memfd_noexec is host root's)", "err 13", "memfdexec",
	    "fd", "/probe")
ESCAPE_ROOT(test_escape_memfd_proc_fd_exec_is_eacces,
	    "memory files stay executable (vm.memfd_noexec is host root's)", "err 13", "memfdexec",
	    "proc", "/probe")
ESCAPE_ROOT(test_escape_memfd_create_mfd_exec_is_eacces,
	    "memory files stay executable (vm.memfd_noexec is host root's)", "err 13", "memfdexec",
	    "flag", "/probe")
ESCAPE(test_escape_mknod_is_eacces_by_landlock, "err 13", "mknod", "/tmp/null")
ESCAPE(test_escape_no_effective_capabilities, "ok 0000000000000000", "status", "CapEff")
ESCAPE(test_escape_no_permitted_capabilities, "ok 0000000000000000", "status", "CapPrm")
ESCAPE(test_escape_empty_bounding_set, "ok 0000000000000000", "status", "CapBnd")
ESCAPE(test_escape_no_inheritable_capabilities, "ok 0000000000000000", "status", "CapInh")
ESCAPE(test_escape_no_ambient_capabilities, "ok 0000000000000000", "status", "CapAmb")
ESCAPE(test_escape_no_new_privs_is_set, "ok 1", "status", "NoNewPrivs")
ESCAPE(test_escape_seccomp_filter_is_active, "ok 2", "status", "Seccomp")
/* /proc */
ESCAPE(test_escape_write_proc_sys_is_erofs, "err 30", "write", "/proc/sys/kernel/hostname")
/* masked entries are /dev/null (1:3): reading them as nobody would often give
 * nothing or EACCES anyway, so the test asserts the mask itself */
ESCAPE(test_escape_proc_keys_is_masked_by_dev_null, "ok 1:3", "rdev", "/proc/keys")
ESCAPE(test_escape_proc_kallsyms_is_masked_by_dev_null, "ok 1:3", "rdev", "/proc/kallsyms")
ESCAPE(test_escape_proc_timer_list_is_masked_empty, "ok 0", "read", "/proc/timer_list")
ESCAPE(test_escape_write_own_proc_comm_is_eacces_by_landlock, "err 13", "write", "/proc/self/comm")
/* terminal and network */
ESCAPE(test_escape_tiocsti_is_eperm, "err 1", "tiocsti")
ESCAPE(test_escape_connect_anywhere_is_enetunreach, "err 101", "connect", "169.254.3.1", "80")
ESCAPE(test_escape_netlink_socket_is_eperm, "err 1", "socket", "16", "3")
ESCAPE(test_escape_packet_socket_is_eperm, "err 1", "socket", "17", "3")
ESCAPE(test_escape_vsock_socket_is_eperm, "err 1", "socket", "40", "1")
/* /dev */
ESCAPE(test_escape_dev_holds_only_the_minimal_set, "ok 10", "listdir", "/dev")
ESCAPE(test_escape_dev_null_is_writable, "ok 1", "write", "/dev/null")

/* Allowed, a memfd runs; the host's own setting never changes either way. */
START_TEST(test_memfd_exec_allowed_runs_and_host_setting_is_untouched)
{
	char before[16] = "", after[16] = "";
	struct pod_result r;
	sandbox_cfg_t *c;
	FILE *f;

	ROOT_ONLY("memory files stay executable (vm.memfd_noexec is host root's)");
	if (access("/proc/sys/vm/memfd_noexec", F_OK) != 0) {
		printf("SKIP: kernel without vm.memfd_noexec\n");
		return;
	}
	f = fopen("/proc/sys/vm/memfd_noexec", "r");
	ck_assert_ptr_nonnull(fgets(before, sizeof(before), f));
	fclose(f);
	run_probe(ARGS("memfdexec", "fd", "/probe"), &r);
	ck_assert_str_eq(r.out, "err 13\n");
	c = std_cfg(&fx);
	ck_assert_int_eq(sandbox_cfg_set_memfd_exec(c, true), 0);
	ck_assert_int_eq(cfg_probe(c, ARGS("memfdexec", "fd", "/probe")), 0);
	pod_run(c, &r, NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "ok 65534\n");
	f = fopen("/proc/sys/vm/memfd_noexec", "r");
	ck_assert_ptr_nonnull(fgets(after, sizeof(after), f));
	fclose(f);
	ck_assert_str_eq(before, after);
}
END_TEST

START_TEST(test_escape_write_sysrq_trigger_fails)
{
	/* root and rootless */
	if (access("/proc/sysrq-trigger", F_OK) == 0)
		expect(ARGS("write", "/proc/sysrq-trigger", "h"),
		       "err 13"); /* 0200 root + ro bind */
	else
		expect(ARGS("write", "/proc/sysrq-trigger", "h"), "err 2"); /* no MAGIC_SYSRQ */
}
END_TEST

START_TEST(test_escape_proc_kcore_is_masked_by_dev_null)
{
	/* root and rootless */
	if (access("/proc/kcore", F_OK) == 0)
		expect(ARGS("rdev", "/proc/kcore"), "ok 1:3");
	else
		expect(ARGS("rdev", "/proc/kcore"), "err 2"); /* kernel without PROC_KCORE */
}
END_TEST

START_TEST(test_escape_pod_mount_table_holds_only_the_plan)
{
	static const char *const planned[] = {
		"/", "/usr", "/probe", "/data", "/ro", "/tmp", NULL
	};
	struct pod_result r;
	int lines = 0;

	/* root and rootless */
	run_probe(ARGS("cat", "/proc/self/mountinfo"), &r);
	for (char *save = NULL, *l = strtok_r(r.out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char mp[256] = "", opts[256] = "";
		bool ok = false;

		ck_assert_int_eq(sscanf(l, "%*d %*d %*s %*s %255s %255s", mp, opts), 2);
		for (int i = 0; planned[i] && !ok; i++)
			ok = strcmp(mp, planned[i]) == 0;
		ok = ok || !strncmp(mp, "/proc", 5) || !strncmp(mp, "/dev", 4);
		ck_assert_msg(ok, "unplanned mount in the pod: %s", l);
		if (!strcmp(mp, "/") || !strcmp(mp, "/usr") || !strcmp(mp, "/ro") ||
		    !strcmp(mp, "/dev"))
			ck_assert_msg(!strncmp(opts, "ro,", 3), "%s is not read-only: %s", mp,
				      opts);
		if (!strcmp(mp, "/data") || !strcmp(mp, "/tmp") || !strcmp(mp, "/dev/shm"))
			ck_assert_msg(strstr(opts, "nosuid,nodev,noexec"), "%s: %s", mp, opts);
		lines++;
	}
	ck_assert_int_ge(lines, 10);
}
END_TEST

/* The runner's pid as the pod would have to name it. */
static void expect_with_runner_pid(const char *cmd, const char *want)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	expect(ARGS(cmd, pid), want);
}

START_TEST(test_escape_signal_host_process_is_esrch)
{
	/* root and rootless */
	expect_with_runner_pid("kill", "err 3");
}
END_TEST

START_TEST(test_escape_ptrace_runner_is_eperm)
{
	/* root and rootless */
	expect_with_runner_pid("ptrace", "err 1");
}
END_TEST

START_TEST(test_escape_read_runner_memory_is_eperm)
{
	/* root and rootless */
	expect_with_runner_pid("vmread", "err 1");
}
END_TEST

START_TEST(test_escape_runner_proc_entry_is_absent)
{
	char path[64];

	/* root and rootless */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)getpid());
	expect(ARGS("read", path), "err 2");
}
END_TEST

START_TEST(test_escape_write_into_submount_of_read_only_bind_is_erofs)
{
	char sub[128];

	ROOT_ONLY("the test mounts a tmpfs in its own mount namespace");
	/* a writable tmpfs mounted inside the ro source (in this test's own mount
	 * namespace): the recursive read-only flag must cover it too */
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(sub, sizeof(sub), "%s/sub", fx.ro);
	ck_assert_int_eq(mkdir(sub, 0777), 0);
	ck_assert_int_eq(mount("tmpfs", sub, "tmpfs", 0, "mode=0777"), 0);
	expect(ARGS("write", "/ro/sub/x"), "err 30");
	umount2(sub, MNT_DETACH);
}
END_TEST

START_TEST(test_escape_setuid_binary_does_not_grant_root)
{
	char suid[128], cmd[1024];
	struct pod_result r;

	ROOT_ONLY("a setuid-root file takes root to make");
	snprintf(suid, sizeof(suid), "%s/suid", fx.ro);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chown 0:0 '%s' && chmod 4755 '%s'",
		 probe_path(), suid, suid, suid);
	ck_assert_int_eq(system(cmd), 0);
	run_probe(ARGS("exec", "/ro/suid", "euid"), &r);
	ck_assert_str_eq(r.out, "ok 65534\n");
}
END_TEST

START_TEST(test_escape_i386_syscall_abi_is_killed_by_sigsys)
{
	struct pod_result r;

	/* root and rootless */
	run_probe(ARGS("int80"), &r);
	ck_assert_int_eq(r.status, 128 + SIGSYS);
	ck_assert_str_eq(r.out, "");
}
END_TEST

START_TEST(test_escape_x32_syscall_abi_is_killed_by_sigsys)
{
	struct pod_result r;

	/* root and rootless */
	run_probe(ARGS("x32"), &r);
	ck_assert_int_eq(r.status, 128 + SIGSYS);
}
END_TEST

/* ------------------------------------------------------------------ limits */

/* Read one "key value" field from a cgroup file. */
static long cg_field(const char *dir, const char *file, const char *key)
{
	char path[512], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(key);

		if (!strncmp(line, key, n) && line[n] == ' ')
			v = atol(line + n + 1);
	}
	fclose(f);
	return v;
}

START_TEST(test_fork_bomb_is_stopped_by_the_pids_limit)
{
	struct pod_result r;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	struct sandbox_limits l;
	int err = 0, forks = 0;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_limits_default(&l);
	l.pids_max = 32;
	l.nproc = 1 << 20; /* so that only the cgroup can stop it */
	sandbox_cfg_set_limits(c, &l);
	cfg_probe(c, ARGS("forkbomb"));
	pod_run(c, &r, &sb);
	ck_assert_int_eq(sscanf(r.out, "err %d %d", &err, &forks), 2);
	ck_assert_int_eq(err, EAGAIN);
	ck_assert_int_eq(forks, 32 - 2); /* init + worker + 30 children */
	if (sandbox_get_info(sb)->cgroup_mode == SANDBOX_CGROUP_V1)
		ck_assert_int_gt(
		    cg_field(sandbox_get_info(sb)->cgroup_v1_pids, "pids.events", "max"), 0);
	sandbox_destroy(sb);
}
END_TEST

START_TEST(test_memory_hog_is_killed_by_the_memory_limit)
{
	struct pod_result r;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	struct sandbox_limits l;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_limits_default(&l);
	l.memory_bytes = 32 << 20;
	sandbox_cfg_set_limits(c, &l);
	cfg_probe(c, ARGS("memhog", "512"));
	pod_run(c, &r, &sb);
	ck_assert_int_eq(r.status, 128 + SIGKILL);
	ck_assert_str_eq(r.out, "");
	if (sandbox_get_info(sb)->cgroup_mode == SANDBOX_CGROUP_V1)
		ck_assert_int_gt(cg_field(sandbox_get_info(sb)->cgroup_v1_memory,
					  "memory.oom_control", "oom_kill"),
				 0);
	sandbox_destroy(sb);
}
END_TEST

START_TEST(test_rlimits_are_applied_and_core_is_zero)
{
	struct pod_result r;
	sandbox_cfg_t *c;
	struct sandbox_limits l;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_limits_default(&l);
	l.nofile = 256;
	l.nproc = 512;
	l.fsize_bytes = 1 << 20;
	sandbox_cfg_set_limits(c, &l);
	cfg_probe(c, ARGS("rlimits"));
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 256 512 0 1048576\n");
}
END_TEST

START_TEST(test_cpu_limit_writes_the_quota)
{
	struct sandbox_error e;
	struct sandbox_limits l;
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	char path[512], buf[32] = "";
	int fd;

	POD_REQUIRE_ROOT();
	c = std_cfg(&fx);
	sandbox_limits_default(&l);
	l.cpu_percent = 50;
	sandbox_cfg_set_limits(c, &l);
	cfg_probe(c, ARGS("exit", "0"));
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
	/* v1: cpu.cfs_quota_us "50000" (period 100000); v2: cpu.max "50000 100000" */
	if (sandbox_get_info(sb)->cgroup_mode == SANDBOX_CGROUP_V1)
		snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us",
			 sandbox_get_info(sb)->cgroup_v1_cpu);
	else
		snprintf(path, sizeof(path), "%s/cpu.max", sandbox_get_info(sb)->cgroup_v2);
	ck_assert_int_ne(sandbox_get_info(sb)->cgroup_mode, SANDBOX_CGROUP_NONE);
	fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(read(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	ck_assert_int_eq(atoi(buf), 50000);
	sandbox_destroy(sb);
	sandbox_cfg_free(c);
}
END_TEST

/* ----------------------------------------------------------------- cleanup */

/*
 * Mounts of the runner's namespace, ignoring namespace bind mounts under
 * /run/netns (other layers' tests create those concurrently); *ours counts
 * mounts whose source is one of this layer's names ("sbx-..."), which must
 * never appear outside a pod.
 */
static int count_mounts(int *ours)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[1024];
	int n = 0;

	*ours = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, " /run/netns") || strstr(line, " /var/run/netns") ||
		    strstr(line, " - nsfs "))
			continue;
		n++;
		*ours += strstr(line, " sbx-") != NULL;
	}
	fclose(f);
	return n;
}

static int count_dir(const char *path, const char *prefix)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!prefix || !strncmp(e->d_name, prefix, strlen(prefix))))
			n++;
	closedir(d);
	return n;
}

/* Our sbx-<pid>-* cgroups in the parent directories the pods used. */
static int count_our_cgroups(char parents[4][256])
{
	char prefix[32];
	int n = 0;

	snprintf(prefix, sizeof(prefix), "sbx-%d-", (int)getpid());
	for (int i = 0; i < 4; i++)
		if (parents[i][0])
			n += count_dir(parents[i], prefix);
	return n;
}

START_TEST(test_200_cycles_leave_nothing_behind)
{
	char parents[4][256] = { "", "", "", "" };
	int fds0, mounts0, ours;
	siginfo_t si;

	POD_REQUIRE_ROOT();
	/* this runner gets a private copy of the host's mount table: mounts the
	 * library leaked would land in it, mounts other programs make on the
	 * shared machine meanwhile do not (they made the count flaky) */
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	fds0 = count_dir("/proc/self/fd", NULL);
	mounts0 = count_mounts(&ours);
	ck_assert_int_eq(ours, 0);
	for (int i = 0; i < 200; i++) {
		struct sandbox_error e;
		sandbox_cfg_t *c = std_cfg(&fx);
		sandbox_t *sb = NULL;
		int st = -1, kind = i % 3;

		if (kind == 0)
			cfg_probe(c, ARGS("exit", "0"));
		else if (kind == 1)
			cfg_probe(c, ARGS("crash"));
		else
			cfg_probe(c, ARGS("sleep", "30"));
		ck_assert_int_eq(sandbox_spawn(c, &sb, &e), 0);
		ck_assert_int_eq(sandbox_release(sb, &e), 0);
		sandbox_cfg_free(c);
		if (i == 0) {
			const struct sandbox_info *in = sandbox_get_info(sb);
			const char *dirs[4] = { in->cgroup_v2, in->cgroup_v1_memory,
						in->cgroup_v1_pids, in->cgroup_v1_cpu };

			for (int k = 0; k < 4; k++) {
				char *slash;

				snprintf(parents[k], sizeof(parents[k]), "%s", dirs[k]);
				slash = strrchr(parents[k], '/');
				if (slash)
					*slash = '\0';
			}
			ck_assert_int_gt(count_our_cgroups(parents), 0);
		}
		if (kind == 2)
			ck_assert_int_eq(sandbox_kill(sb, SIGKILL), 0);
		ck_assert_int_eq(sandbox_wait(sb, &st, 0), 0);
		ck_assert_int_eq(st, kind == 0 ? 0 : kind == 1 ? 128 + SIGSEGV : 128 + SIGKILL);
		sandbox_destroy(sb);
	}
	ck_assert_int_eq(count_dir("/proc/self/fd", NULL), fds0);
	ck_assert_int_eq(count_mounts(&ours), mounts0);
	ck_assert_int_eq(ours, 0);
	ck_assert_int_eq(count_our_cgroups(parents), 0);
	/* no child process (hence no pod namespace) is left */
	memset(&si, 0, sizeof(si));
	ck_assert_int_eq(waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

/* ------------------------------------------------------------------- suite */

static TCase *tcase(const char *name, int timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	return tc;
}

static Suite *sandbox_suite(void)
{
	Suite *s = suite_create("03-sandbox");
	TCase *tc;

	tc = tcase("config", 10);
	tcase_add_test(tc, test_path_normalizer_gives_one_spelling);
	tcase_add_test(tc, test_plan_rejects_relative_and_dotdot_paths);
	tcase_add_test(tc, test_cfg_rejects_bad_program_env_and_fds);
	tcase_add_test(tc, test_spawn_without_program_is_einval);
	tcase_add_test(tc, test_landlock_abi_is_detected);
	tcase_add_test(tc, test_seccomp_table_gives_reasons_and_covers_the_required_calls);
	suite_add_tcase(s, tc);

	tc = tcase("spawn", 30);
	tcase_add_test(tc, test_worker_runs_as_nobody_in_its_own_pid_namespace);
	tcase_add_test(tc, test_configured_ids_cwd_and_hostname_apply);
	tcase_add_test(tc, test_environment_is_exactly_the_given_one);
	tcase_add_test(tc, test_only_handed_over_descriptors_are_open);
	tcase_add_test(tc, test_exit_code_and_signal_become_status);
	tcase_add_test(tc, test_worker_is_in_the_inits_new_session);
	tcase_add_test(tc, test_init_reaps_orphaned_zombies);
	tcase_add_test(tc, test_runner_signal_state_does_not_leak_into_the_worker);
	tcase_add_test(tc, test_sigterm_is_forwarded_to_the_worker);
	tcase_add_test(tc, test_pidfd_wakes_epoll_and_nohang_wait_is_eagain);
	tcase_add_test(tc, test_missing_source_fails_naming_the_path);
	tcase_add_test(tc, test_missing_optional_source_is_skipped_and_logged);
	tcase_add_test(tc, test_exec_failure_is_reported_by_release);
	tcase_add_test(tc, test_symlink_on_destination_path_is_refused);
	tcase_add_test(tc, test_release_twice_is_ealready);
	tcase_add_test(tc, test_destroy_before_release_kills_the_waiting_child);
	tcase_add_test(tc, test_release_of_a_dead_pod_is_epipe_not_sigpipe);
	tcase_add_test(tc, test_netns_fd_is_a_different_namespace_with_only_lo);
	tcase_add_test(tc, test_cgroups_used_are_reported);
	tcase_add_test(tc, test_cgroups_left_by_a_dead_runner_with_our_pid_are_skipped);
	tcase_add_test(tc, test_named_cgroups_are_known_before_the_spawn);
	tcase_add_test(tc, test_pod_init_is_inside_its_cgroups_before_the_worker_runs);
	tcase_add_test(tc, test_destroy_kills_a_stray_task_in_the_pods_cgroup);
	tcase_add_test(tc, test_socket_in_read_only_bound_directory_is_reachable);
	tcase_add_test(tc, test_single_file_bind_and_mask);
	tcase_add_test(tc, test_user_namespace_option_runs_the_worker_unprivileged);
	tcase_add_test(tc, test_turning_landlock_and_seccomp_off_shows_what_they_deny);
	tcase_add_test(tc, test_spawn_from_a_threaded_runner_while_another_thread_allocates);
	tcase_add_test(tc, test_pod_dies_with_its_runner);
	suite_add_tcase(s, tc);

	tc = tcase("escape", 30);
	tcase_add_test(tc, test_escape_read_host_shadow_is_enoent);
	tcase_add_test(tc, test_escape_list_host_root_home_is_enoent);
	tcase_add_test(tc, test_escape_write_read_only_bind_is_erofs);
	tcase_add_test(tc, test_escape_create_file_outside_plan_is_erofs);
	tcase_add_test(tc, test_escape_mkdir_in_read_only_usr_is_erofs);
	tcase_add_test(tc, test_escape_exec_from_tmpfs_is_eacces);
	tcase_add_test(tc, test_escape_exec_from_rw_bind_is_eacces);
	tcase_add_test(tc, test_escape_only_pod_processes_are_visible);
	tcase_add_test(tc, test_escape_signal_host_process_is_esrch);
	tcase_add_test(tc, test_escape_ptrace_pid1_is_eperm);
	tcase_add_test(tc, test_escape_ptrace_runner_is_eperm);
	tcase_add_test(tc, test_escape_read_runner_memory_is_eperm);
	tcase_add_test(tc, test_escape_runner_proc_entry_is_absent);
	tcase_add_test(tc, test_escape_read_init_memory_is_eacces);
	tcase_add_test(tc, test_escape_kill_init_from_inside_has_no_effect);
	tcase_add_test(tc, test_escape_mount_is_eperm);
	tcase_add_test(tc, test_escape_umount_proc_is_eperm);
	tcase_add_test(tc, test_escape_pivot_root_is_eperm);
	tcase_add_test(tc, test_escape_chroot_is_eperm);
	tcase_add_test(tc, test_escape_unshare_user_ns_is_eperm);
	tcase_add_test(tc, test_escape_setns_is_eperm);
	tcase_add_test(tc, test_escape_clone_with_new_user_ns_is_eperm);
	tcase_add_test(tc, test_escape_clone3_is_enosys);
	tcase_add_test(tc, test_escape_plain_fork_still_works);
	tcase_add_test(tc, test_escape_bpf_is_eperm);
	tcase_add_test(tc, test_escape_perf_event_open_is_eperm);
	tcase_add_test(tc, test_escape_keyctl_add_key_is_eperm);
	tcase_add_test(tc, test_escape_io_uring_setup_is_eperm);
	tcase_add_test(tc, test_escape_open_by_handle_at_is_eperm);
	tcase_add_test(tc, test_escape_userfaultfd_is_eperm);
	tcase_add_test(tc, test_escape_kexec_load_is_eperm);
	tcase_add_test(tc, test_escape_init_module_is_eperm);
	tcase_add_test(tc, test_escape_syslog_is_eperm);
	tcase_add_test(tc, test_escape_reboot_is_eperm);
	tcase_add_test(tc, test_escape_clock_settime_is_eperm);
	tcase_add_test(tc, test_escape_raise_rlimit_is_eperm);
	tcase_add_test(tc, test_escape_ambient_capability_raise_is_eperm);
	tcase_add_test(tc, test_escape_write_into_submount_of_read_only_bind_is_erofs);
	tcase_add_test(tc, test_escape_setuid_binary_does_not_grant_root);
	tcase_add_test(tc, test_escape_sethostname_is_eperm);
	tcase_add_test(tc, test_escape_hostname_is_pod);
	tcase_add_test(tc, test_escape_mknod_is_eacces_by_landlock);
	tcase_add_test(tc, test_exec_notify_runner_lets_an_exec_continue);
	tcase_add_test(tc, test_exec_notify_runner_denies_an_exec_with_eacces);
	tcase_add_test(tc, test_exec_notify_sees_execveat_of_a_memfd_too);
	tcase_add_test(tc, test_exec_notify_listener_is_not_in_the_pod);
	tcase_add_test(tc, test_escape_chmod_setuid_is_eperm);
	tcase_add_test(tc, test_escape_chmod_setgid_is_eperm);
	tcase_add_test(tc, test_escape_fchmod_setuid_is_eperm);
	tcase_add_test(tc, test_escape_create_setuid_file_is_eperm);
	tcase_add_test(tc, test_escape_create_setgid_file_is_eperm);
	tcase_add_test(tc, test_escape_plain_chmod_still_works);
	tcase_add_test(tc, test_escape_memfd_execveat_is_eacces);
	tcase_add_test(tc, test_escape_memfd_proc_fd_exec_is_eacces);
	tcase_add_test(tc, test_escape_memfd_create_mfd_exec_is_eacces);
	tcase_add_test(tc, test_memfd_exec_allowed_runs_and_host_setting_is_untouched);
	tcase_add_test(tc, test_escape_no_effective_capabilities);
	tcase_add_test(tc, test_escape_no_permitted_capabilities);
	tcase_add_test(tc, test_escape_empty_bounding_set);
	tcase_add_test(tc, test_escape_no_inheritable_capabilities);
	tcase_add_test(tc, test_escape_no_ambient_capabilities);
	tcase_add_test(tc, test_escape_no_new_privs_is_set);
	tcase_add_test(tc, test_escape_seccomp_filter_is_active);
	tcase_add_test(tc, test_escape_write_proc_sys_is_erofs);
	tcase_add_test(tc, test_escape_write_sysrq_trigger_fails);
	tcase_add_test(tc, test_escape_proc_keys_is_masked_by_dev_null);
	tcase_add_test(tc, test_escape_proc_kcore_is_masked_by_dev_null);
	tcase_add_test(tc, test_escape_proc_kallsyms_is_masked_by_dev_null);
	tcase_add_test(tc, test_escape_proc_timer_list_is_masked_empty);
	tcase_add_test(tc, test_escape_write_own_proc_comm_is_eacces_by_landlock);
	tcase_add_test(tc, test_escape_tiocsti_is_eperm);
	tcase_add_test(tc, test_escape_connect_anywhere_is_enetunreach);
	tcase_add_test(tc, test_escape_netlink_socket_is_eperm);
	tcase_add_test(tc, test_escape_packet_socket_is_eperm);
	tcase_add_test(tc, test_escape_vsock_socket_is_eperm);
	tcase_add_test(tc, test_escape_dev_holds_only_the_minimal_set);
	tcase_add_test(tc, test_escape_pod_mount_table_holds_only_the_plan);
	tcase_add_test(tc, test_escape_dev_null_is_writable);
	tcase_add_test(tc, test_escape_i386_syscall_abi_is_killed_by_sigsys);
	tcase_add_test(tc, test_escape_x32_syscall_abi_is_killed_by_sigsys);
	suite_add_tcase(s, tc);

	tc = tcase("limits", 60);
	tcase_add_test(tc, test_fork_bomb_is_stopped_by_the_pids_limit);
	tcase_add_test(tc, test_memory_hog_is_killed_by_the_memory_limit);
	tcase_add_test(tc, test_rlimits_are_applied_and_core_is_zero);
	tcase_add_test(tc, test_cpu_limit_writes_the_quota);
	suite_add_tcase(s, tc);

	tc = tcase("cleanup", 180);
	tcase_add_test(tc, test_200_cycles_leave_nothing_behind);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sandbox_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
