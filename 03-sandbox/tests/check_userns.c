/*
 * check_userns.c — the Check suite of the pod identity in layer 03-sandbox:
 * a user namespace per pod whose ids come from a host range of its own
 * (sandbox_cfg_set_idmap()).
 *
 * Layer 03-sandbox, tests. Builds on include/sandbox.h, tests/podrun_min.h and
 * tests/probe.c. The attacks are made from the host, where the attacker can
 * name the pod's processes (a pod cannot even see another pod's pids): a host
 * process with another uid, and a process with exactly another pod's identity
 * (its user namespace and worker uid, no capability). A control with the
 * pod's own identity shows that the same attempt works when the kernel's uid
 * check allows it, so the refusals are the identity's doing.
 *
 * TCases:
 *   identity  the maps, the host uid of every pod process, file ownership
 *   attacks   environ, ptrace, signals from the host and from another pod
 *   nproc     a fork bomb in one pod leaves another pod able to fork
 */
#include <check.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "podrun_min.h"
#include "podtest.h"

static struct fixture fx;

/* Two test ranges of their own, away from 07-runner's block (0x70000000...). */
static uid_t range(int k)
{
	return 0x7e000000u + (((unsigned)getpid() % 128u) * 2u + (unsigned)k) * SANDBOX_IDMAP_SPAN;
}

static void setup(void)
{
	memset(&fx, 0, sizeof(fx));
	if (pod_is_root())
		ck_assert_int_eq(fixture_make(&fx), 0);
}

static void teardown(void)
{
	fixture_remove(&fx);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* A released pod whose stdout we read line by line; the caller destroys it. */
static sandbox_t *start(sandbox_cfg_t *c, int *out_rd)
{
	struct sandbox_error e = { "" };
	sandbox_t *sb = NULL;
	int p[2], ret;

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	sandbox_cfg_add_fd(c, p[1], 1);
	close(p[1]);
	ret = sandbox_spawn(c, &sb, &e);
	if (ret == 0)
		ret = sandbox_release(sb, &e);
	ck_assert_msg(ret == 0, "spawn/release: %d %s", ret, e.msg);
	sandbox_cfg_free(c);
	*out_rd = p[0];
	return sb;
}

static void read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap && read(fd, buf + n, 1) == 1 && buf[n] != '\n')
		n++;
	buf[n] = '\0';
}

/* The worker's host pid: the init's only child. */
static pid_t worker_of(const sandbox_t *sb)
{
	char path[96];
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)sandbox_pid(sb),
		 (int)sandbox_pid(sb));
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	return pid;
}

/* "Uid:\tr\te\ts\tfs" of /proc/PID/status, as four numbers. */
static void status_ids(pid_t pid, const char *key, unsigned ids[4])
{
	char path[64], line[256];
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	memset(ids, 0xff, 4 * sizeof(unsigned));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n))
			sscanf(line + n, "%u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]);
	fclose(f);
}

static sandbox_cfg_t *pod_cfg(uid_t base, const char *const args[])
{
	sandbox_cfg_t *c = std_cfg(&fx);
	char *const env[] = { "POD_SECRET=s3cr3t-value", NULL };

	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(cfg_probe(c, args), 0);
	ck_assert_int_eq(sandbox_cfg_set_env(c, env), 0);
	if (base)
		ck_assert_int_eq(sandbox_cfg_set_idmap(c, base, base), 0);
	return c;
}

/* ---------------------------------------------------------------- identity */

START_TEST(test_idmap_rejects_bad_ranges)
{
	sandbox_cfg_t *c;
	sandbox_t *sb = NULL;
	struct sandbox_error e;

	ck_assert_int_eq(sandbox_cfg_new(&c), 0);
	ck_assert_int_eq(sandbox_cfg_set_idmap(c, 0, 100000), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_idmap(c, 100000, 0), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_idmap(c, 0xffff0001u, 100000), -EINVAL);
	ck_assert_int_eq(sandbox_cfg_set_idmap(NULL, 100000, 100000), -EINVAL);
	/* a worker uid outside the range is refused at spawn, before clone3 */
	ck_assert_int_eq(sandbox_cfg_set_idmap(c, 0x7e000000u, 0x7e000000u), 0);
	ck_assert_int_eq(sandbox_cfg_set_ids(c, SANDBOX_IDMAP_SPAN, 1), 0);
	ck_assert_int_eq(cfg_probe(c, ARGS("exit", "0")), 0);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), -ERANGE);
	ck_assert_ptr_null(sb);
	ck_assert_ptr_nonnull(strstr(e.msg, "outside the pod's range"));
	/* an id map without a user namespace is refused, not ignored */
	ck_assert_int_eq(sandbox_cfg_set_ids(c, 65534, 65534), 0);
	ck_assert_int_eq(sandbox_cfg_set_namespaces(c, SANDBOX_NS_DEFAULT), 0);
	ck_assert_int_eq(sandbox_spawn(c, &sb, &e), -EINVAL);
	ck_assert_ptr_null(sb);
	sandbox_cfg_free(c);
}
END_TEST

START_TEST(test_every_pod_process_has_the_pods_host_uid)
{
	uid_t base = range(0);
	unsigned u[4], g[4], want = base + 65534;
	char line[256], path[64], map[128];
	sandbox_t *sb;
	int rd;
	FILE *f;
	size_t n;

	POD_REQUIRE_ROOT();
	sb = start(pod_cfg(base, ARGS("sleep", "30")), &rd);
	ck_assert_uint_eq(sandbox_get_info(sb)->host_uid, want);
	ck_assert_uint_eq(sandbox_get_info(sb)->host_gid, want);
	ck_assert(sandbox_get_info(sb)->namespaces & SANDBOX_NS_USER);
	/* the init and the worker: real, effective, saved and fs ids */
	for (int k = 0; k < 2; k++) {
		pid_t pid = k ? worker_of(sb) : sandbox_pid(sb);

		status_ids(pid, "Uid:", u);
		status_ids(pid, "Gid:", g);
		for (int i = 0; i < 4; i++) {
			ck_assert_uint_eq(u[i], want);
			ck_assert_uint_eq(g[i], want);
		}
	}
	/* exactly two ids are mapped: 0 (setup) and the worker's */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)sandbox_pid(sb));
	f = fopen(path, "re");
	ck_assert_ptr_nonnull(f);
	n = fread(map, 1, sizeof(map) - 1, f);
	map[n] = '\0';
	fclose(f);
	snprintf(line, sizeof(line), "%10u %10u %10u\n%10u %10u %10u\n", 0u, (unsigned)base, 1u,
		 65534u, want, 1u);
	ck_assert_str_eq(map, line);
	sandbox_destroy(sb);
	close(rd);
}
END_TEST

START_TEST(test_inside_the_pod_ids_are_unchanged_and_root_is_powerless)
{
	struct pod_result r;

	POD_REQUIRE_ROOT();
	pod_run(pod_cfg(range(0), ARGS("ids")), &r, NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "ok 65534 65534 0 2\n");
	pod_run(pod_cfg(range(0), ARGS("status", "CapEff")), &r, NULL);
	ck_assert_str_eq(r.out, "ok 0000000000000000\n");
	pod_run(pod_cfg(range(0), ARGS("status", "CapBnd")), &r, NULL);
	ck_assert_str_eq(r.out, "ok 0000000000000000\n");
	/* the pod's map has its two ids and nothing else (host root is not in it) */
	pod_run(pod_cfg(range(0), ARGS("cat", "/proc/self/uid_map")), &r, NULL);
	{
		unsigned in[2], out[2], len[2];

		ck_assert_int_eq(sscanf(r.out, "%u %u %u %u %u %u", &in[0], &out[0], &len[0],
					&in[1], &out[1], &len[1]),
				 6);
		ck_assert_uint_eq(in[0], 0);
		ck_assert_uint_eq(out[0], range(0));
		ck_assert_uint_eq(in[1], 65534);
		ck_assert_uint_eq(out[1], range(0) + 65534);
		ck_assert_uint_eq(len[0] + len[1], 2);
	}
}
END_TEST

START_TEST(test_file_created_in_a_root_owned_writable_bind_has_the_pods_host_uid)
{
	struct pod_result r;
	char path[128];
	struct stat st;

	POD_REQUIRE_ROOT();
	pod_run(pod_cfg(range(1), ARGS("write", "/data/made-by-pod", "x")), &r, NULL);
	ck_assert_msg(r.rc == 0 && r.status == 0, "%s %s", r.err, r.out);
	snprintf(path, sizeof(path), "%s/made-by-pod", fx.rw);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, range(1) + 65534);
	ck_assert_uint_eq(st.st_gid, range(1) + 65534);
}
END_TEST

START_TEST(test_writable_dir_of_a_user_is_id_mapped_to_its_owner)
{
	struct pod_result r;
	char dir[128], path[160];
	struct stat st;
	sandbox_cfg_t *c;

	POD_REQUIRE_ROOT();
	/* a user's private directory: only its owner (4321) may write there */
	snprintf(dir, sizeof(dir), "%s/user", fx.ro);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(chown(dir, 4321, 4321), 0);
	/* control: a pod that is not mapped to the owner is refused */
	c = pod_cfg(0, ARGS("write", "/home/u/f", "x"));
	ck_assert_int_eq(sandbox_plan_rw(c, dir, "/home/u", 0), 0);
	pod_run(c, &r, NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "err 13\n");
	/* with its id range the pod is the directory's owner through the mount */
	c = pod_cfg(range(0), ARGS("write", "/home/u/f", "x"));
	ck_assert_int_eq(sandbox_plan_rw(c, dir, "/home/u", 0), 0);
	pod_run(c, &r, NULL);
	ck_assert_msg(r.rc == 0 && r.status == 0, "%s %s", r.err, r.out);
	snprintf(path, sizeof(path), "%s/f", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, 4321); /* the owner, not the pod's range */
	ck_assert_uint_eq(st.st_gid, 4321);
	/* the private directory is the pod's own: it lists it (owner r-x only) */
	c = pod_cfg(range(0), ARGS("listdir", "/home/u"));
	ck_assert_int_eq(sandbox_plan_rw(c, dir, "/home/u", 0), 0);
	pod_run(c, &r, NULL);
	ck_assert_str_eq(r.out, "ok 1\n");
}
END_TEST

/* ----------------------------------------------------------------- attacks */

/* What an attacker got: errno of each attempt (0: it worked) and environ. */
struct attempt {
	int environ_err, ptrace_err, kill_err;
	char environ[256];
};

/*
 * In a child: take the identity (enter @userns_of's user namespace when > 0,
 * then uid/gid @id there, no capability), then try to read @target's environ,
 * ptrace it and send it SIGTERM (unless @no_kill).
 */
static void attack(pid_t target, pid_t userns_of, unsigned id, int no_kill, struct attempt *a)
{
	int p[2], st;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
		struct __user_cap_data_struct d[2];
		struct attempt r;
		char path[64];
		int fd;
		ssize_t n;

		memset(&r, 0, sizeof(r));
		memset(d, 0, sizeof(d));
		close(p[0]);
		if (userns_of > 0) {
			snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)userns_of);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0)
				_exit(90);
			close(fd);
		}
		if (setgroups(0, NULL) < 0 || setresgid(id, id, id) < 0 ||
		    setresuid(id, id, id) < 0 || syscall(SYS_capset, &h, d) < 0)
			_exit(91);
		snprintf(path, sizeof(path), "/proc/%d/environ", (int)target);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			r.environ_err = errno;
		} else {
			n = read(fd, r.environ, sizeof(r.environ) - 1);
			r.environ_err = n < 0 ? errno : 0;
			for (ssize_t i = 0; i < n; i++)
				if (!r.environ[i])
					r.environ[i] = ';';
			close(fd);
		}
		r.ptrace_err = ptrace(PTRACE_SEIZE, target, NULL, NULL) < 0 ? errno : 0;
		if (!no_kill)
			r.kill_err = kill(target, SIGTERM) < 0 ? errno : 0;
		if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(92);
		_exit(0);
	}
	close(p[1]);
	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(read(p[0], a, sizeof(*a)), (ssize_t)sizeof(*a));
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "attacker setup failed: %#x", st);
}

static void assert_refused(const struct attempt *a, const char *who)
{
	ck_assert_msg(a->environ_err == EACCES, "%s read environ: errno %d (%s)", who,
		      a->environ_err, a->environ);
	ck_assert_msg(a->ptrace_err == EPERM, "%s ptrace: errno %d", who, a->ptrace_err);
	ck_assert_msg(a->kill_err == EPERM, "%s kill: errno %d", who, a->kill_err);
}

START_TEST(test_host_process_with_another_uid_cannot_touch_the_pod)
{
	struct attempt a;
	sandbox_t *sb;
	pid_t w;
	int rd;

	POD_REQUIRE_ROOT();
	sb = start(pod_cfg(range(0), ARGS("sleep", "30")), &rd);
	w = worker_of(sb);
	/* 65534, the uid every pod had before, and an arbitrary host uid */
	attack(w, 0, 65534, 0, &a);
	assert_refused(&a, "host uid 65534");
	attack(w, 0, 4242, 0, &a);
	assert_refused(&a, "host uid 4242");
	/* control: the pod's own identity reads the secret */
	attack(w, sandbox_pid(sb), 65534, 1, &a);
	ck_assert_int_eq(a.environ_err, 0);
	ck_assert_ptr_nonnull(strstr(a.environ, "POD_SECRET=s3cr3t-value"));
	ck_assert_int_eq(sandbox_wait(sb, NULL, SANDBOX_WAIT_NOHANG), -EAGAIN); /* still alive */
	sandbox_destroy(sb);
	close(rd);
}
END_TEST

START_TEST(test_another_pod_cannot_touch_the_pod)
{
	struct attempt a;
	sandbox_t *sa, *sb;
	int ra, rb;

	POD_REQUIRE_ROOT();
	sa = start(pod_cfg(range(0), ARGS("sleep", "30")), &ra);
	sb = start(pod_cfg(range(1), ARGS("sleep", "30")), &rb);
	/* B's identity against A's worker and A's init, and the other way round */
	attack(worker_of(sa), sandbox_pid(sb), 65534, 0, &a);
	assert_refused(&a, "pod B -> worker A");
	attack(sandbox_pid(sa), sandbox_pid(sb), 65534, 0, &a);
	ck_assert_int_eq(a.environ_err, EACCES);
	ck_assert_int_eq(a.ptrace_err, EPERM);
	ck_assert_int_eq(a.kill_err, EPERM);
	attack(worker_of(sb), sandbox_pid(sa), 65534, 0, &a);
	assert_refused(&a, "pod A -> worker B");
	ck_assert_int_eq(sandbox_wait(sa, NULL, SANDBOX_WAIT_NOHANG), -EAGAIN);
	ck_assert_int_eq(sandbox_wait(sb, NULL, SANDBOX_WAIT_NOHANG), -EAGAIN);
	sandbox_destroy(sa);
	sandbox_destroy(sb);
	close(ra);
	close(rb);
}
END_TEST

/* ------------------------------------------------------------------- nproc */

START_TEST(test_fork_bomb_in_one_pod_leaves_another_pod_able_to_fork)
{
	struct sandbox_limits l;
	struct pod_result r;
	sandbox_cfg_t *c;
	sandbox_t *sa;
	char line[128];
	int rd, err = 0, forks = 0;

	POD_REQUIRE_ROOT();
	sandbox_limits_default(&l);
	l.nproc = 16;
	l.pids_max = 128; /* only RLIMIT_NPROC stops it */
	c = pod_cfg(range(0), ARGS("forkhold"));
	ck_assert_int_eq(sandbox_cfg_set_limits(c, &l), 0);
	sa = start(c, &rd);
	read_line(rd, line, sizeof(line));
	ck_assert_int_eq(sscanf(line, "err %d %d", &err, &forks), 2);
	ck_assert_int_eq(err, EAGAIN);
	/* the count is the pod's alone: init + worker + 14 children, whatever
	 * else runs on the host as any uid */
	ck_assert_int_eq(forks, 16 - 2);
	/* while A holds all of them, B (same limit, its own uid) forks */
	c = pod_cfg(range(1), ARGS("fork"));
	ck_assert_int_eq(sandbox_cfg_set_limits(c, &l), 0);
	pod_run(c, &r, NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "ok 7\n");
	ck_assert_int_eq(sandbox_wait(sa, NULL, SANDBOX_WAIT_NOHANG), -EAGAIN);
	sandbox_destroy(sa);
	close(rd);
}
END_TEST

static TCase *tcase(const char *name, int timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, timeout);
	return tc;
}

int main(void)
{
	Suite *s = suite_create("03-sandbox-userns");
	SRunner *sr;
	TCase *tc;
	int failed;

	tc = tcase("identity", 30);
	tcase_add_test(tc, test_idmap_rejects_bad_ranges);
	tcase_add_test(tc, test_every_pod_process_has_the_pods_host_uid);
	tcase_add_test(tc, test_inside_the_pod_ids_are_unchanged_and_root_is_powerless);
	tcase_add_test(tc, test_file_created_in_a_root_owned_writable_bind_has_the_pods_host_uid);
	tcase_add_test(tc, test_writable_dir_of_a_user_is_id_mapped_to_its_owner);
	suite_add_tcase(s, tc);
	tc = tcase("attacks", 30);
	tcase_add_test(tc, test_host_process_with_another_uid_cannot_touch_the_pod);
	tcase_add_test(tc, test_another_pod_cannot_touch_the_pod);
	suite_add_tcase(s, tc);
	tc = tcase("nproc", 30);
	tcase_add_test(tc, test_fork_bomb_in_one_pod_leaves_another_pod_able_to_fork);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
