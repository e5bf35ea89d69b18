/*
 * child.c — the pod side: the init's setup steps, the worker's exec, and the
 * init's supervision loop.
 *
 * Layer 03-sandbox, pod side. Runs in the process clone3 created (pid 1 of
 * the new pid namespace). Builds on mounts.c and landlock.c; spawn.c starts it.
 * Only system calls here: every string, path, rule and the seccomp program were
 * prepared by the runner before clone3 (see internal.h).
 *
 * Steps, and why in this order:
 *   0. pdeathsig, descriptors  before waiting: the pod dies with the runner, and
 *                              holds no runner descriptor while it waits
 *   1. wait for the go byte    the runner configures us from outside meanwhile
 *   2. setsid                  no controlling terminal (TIOCSTI is moot);
 *      vm.memfd_noexec = 2     memfds are never executable in the pod
 *   3. hostname, lo up         need CAP_SYS_ADMIN / CAP_NET_ADMIN
 *   4. join v1 cgroups, then   limits hold before anything else runs; the
 *      cgroup namespace        namespace root is then the pod's own cgroup
 *   5. mount tree + pivot      needs CAP_SYS_ADMIN; sources resolved on the host
 *   6. rlimits                 lowering needs nothing, but do it while we could
 *   7. bounding set, securebits, groups, gid, uid, remaining capability sets
 *                              the bounding set needs CAP_SETPCAP: first;
 *                              then re-arm pdeathsig (a uid change clears it)
 *   8. cwd                     as the worker, so its permissions apply
 *   9. NO_NEW_PRIVS            required by Landlock and seccomp as non-root
 *  10. Landlock                rules are paths of the new root: after pivot
 *  11. seccomp                 last: the steps before used calls it denies
 *  12. fork the worker, which execs; the init keeps nothing and supervises.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Signals the init passes on to the worker. */
static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

static void report(int fd, int step, int err, int index)
{
	struct child_report r = { step, err, index };
	ssize_t n;

	do
		n = write(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
}

static _Noreturn void fail(const struct child_args *a, int step, int err, int index)
{
	report(a->status_fd, step, err < 0 ? -err : err, index);
	_exit(125);
}

/* Close every descriptor in [lo, hi] (inclusive) when the range is non-empty. */
static void close_between(long lo, long hi)
{
	if (lo <= hi)
		syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0);
}

/*
 * Step 0: lay out the descriptors. Handed-over descriptors and our two pipes
 * are first moved above every target number, then dup2'd to their targets;
 * everything else is closed. The status pipe stays CLOEXEC so the runner sees
 * EOF when the worker execs.
 */
static int setup_fds(struct child_args *a)
{
	const struct sandbox_cfg *c = a->cfg;
	int base = 3, keep[1024 + 2 + SBX_MAX_PLAN], nkeep = 0, moved[1024];
	bool target[3] = { false, false, false };

	for (size_t i = 0; i < c->nfds; i++)
		if (c->fds[i].child_fd + 1 > base)
			base = c->fds[i].child_fd + 1;
	/* 1. move our own descriptors and the sources out of the way */
	a->go_fd = fcntl(a->go_fd, F_DUPFD_CLOEXEC, base);
	a->status_fd = fcntl(a->status_fd, F_DUPFD_CLOEXEC, base);
	a->devnull_fd = fcntl(a->devnull_fd, F_DUPFD_CLOEXEC, base);
	if (a->go_fd < 0 || a->status_fd < 0 || a->devnull_fd < 0)
		return -errno;
	for (size_t i = 0; i < c->nfds; i++) {
		moved[i] = fcntl(c->fds[i].parent_fd, F_DUPFD_CLOEXEC, base);
		if (moved[i] < 0)
			return -errno;
	}
	/* the runner's id-mapped mounts (userns.c) stay for sbx_build_root */
	for (size_t i = 0; a->pre_trees && i < c->nplan && i < SBX_MAX_PLAN; i++) {
		if (a->pre_trees[i] < 0)
			continue;
		a->pre_trees[i] = fcntl(a->pre_trees[i], F_DUPFD_CLOEXEC, base);
		if (a->pre_trees[i] < 0)
			return -errno;
		keep[nkeep++] = a->pre_trees[i];
	}
	/* 2. place them (dup2 clears CLOEXEC on the target) */
	for (size_t i = 0; i < c->nfds; i++) {
		if (dup2(moved[i], c->fds[i].child_fd) < 0)
			return -errno;
		if (c->fds[i].child_fd < 3)
			target[c->fds[i].child_fd] = true;
		keep[nkeep++] = c->fds[i].child_fd;
	}
	for (int i = 0; i < 3; i++) {
		if (target[i])
			continue;
		if (dup2(a->devnull_fd, i) < 0)
			return -errno;
		keep[nkeep++] = i;
	}
	keep[nkeep++] = a->go_fd;
	keep[nkeep++] = a->status_fd;
	/* 3. close the rest: sort the keep list, close the gaps */
	for (int i = 1; i < nkeep; i++)
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0, lo = 0; i <= nkeep; i++) {
		long hi = i < nkeep ? (long)keep[i] - 1 : (long)~0u;

		close_between(lo, hi);
		if (i < nkeep)
			lo = keep[i] + 1;
	}
	a->devnull_fd = -1;
	return 0;
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		ret = -errno;
	else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			ret = -errno;
	}
	close(s);
	return ret;
}

/* soft = hard = @want, but never above the runner's own hard limit: raising
 * needs CAP_SYS_RESOURCE, which a runner may not have (lowering never fails). */
static int set_one_rlimit(int res, uint64_t want)
{
	struct rlimit r;

	if (getrlimit(res, &r) < 0)
		return -errno;
	if (want == UINT64_MAX)
		want = RLIM_INFINITY;
	if (r.rlim_max != RLIM_INFINITY && (want == RLIM_INFINITY || want > r.rlim_max))
		want = r.rlim_max;
	r.rlim_cur = r.rlim_max = want;
	return setrlimit(res, &r) < 0 ? -errno : 0;
}

static int set_rlimits(const struct sandbox_limits *l)
{
	int ret = set_one_rlimit(RLIMIT_NOFILE, l->nofile);

	if (ret == 0)
		ret = set_one_rlimit(RLIMIT_NPROC, l->nproc);
	if (ret == 0)
		ret = set_one_rlimit(RLIMIT_CORE, 0);
	if (ret == 0)
		ret = set_one_rlimit(RLIMIT_FSIZE, l->fsize_bytes);
	return ret;
}

/*
 * Changing credentials clears the parent-death signal: arm it again, then make
 * sure the runner did not die in between (its end of the go pipe would be
 * closed; the runner holds it open until the worker has exec'd).
 */
static int rearm_pdeathsig(int go_fd)
{
	struct pollfd p = { .fd = go_fd, .events = POLLIN };

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	if (poll(&p, 1, 0) < 0)
		return -errno;
	return (p.revents & (POLLHUP | POLLERR)) ? -ESRCH : 0;
}

/* Step 7: from here on no capability can be held or regained. */
static int drop_privileges(const struct sandbox_cfg *c, int *step)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	*step = STEP_CAPS;
	/* 1. the bounding set (needs CAP_SETPCAP, so first) */
	for (int cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0)
			continue;
		if (errno == EINVAL && cap > CAP_LAST_CAP / 2)
			break; /* past the kernel's last capability */
		return -errno;
	}
	/* 2. ambient set, and securebits: root is not special, locked that way */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECUREBITS,
		  SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
		      SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
		      SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED,
		  0, 0, 0) < 0)
		return -errno;
	/* 3. identity: groups, gid, uid (all of real, effective, saved) */
	*step = STEP_IDS;
	/* raw system calls: libc's wrappers broadcast the change to every thread
	 * it believes exists, and its thread list is a copy of the runner's */
	if ((syscall(SYS_setgroups, 0, NULL) < 0 && !sbx_userns_groups_locked(c, errno)) ||
	    syscall(SYS_setresgid, c->gid, c->gid, c->gid) < 0 ||
	    syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0)
		return -errno;
	/* 4. permitted, effective, inheritable: empty (already, unless uid is 0) */
	*step = STEP_CAPS;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	/* 5. the init is not dumpable: the worker cannot read its memory via /proc */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* Worker: default signal state, then exec. Reports the exec error itself. */
static _Noreturn void worker(const struct child_args *a)
{
	const struct sandbox_cfg *c = a->cfg;
	sigset_t none;

	/* every disposition to default: the runner may ignore SIGPIPE, and an
	 * ignored signal would stay ignored across execve */
	for (int sig = 1; sig < NSIG; sig++) {
		/* raw call: libc refuses its reserved real-time signals (32, 33) */
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			uint64_t mask;
		} k = { SIG_DFL, 0, NULL, 0 };

		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof(k.mask));
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(c->path, c->argv, c->envp);
	fail(a, STEP_EXEC, errno, -1);
}

static void on_signal(int sig)
{
	(void)sig; /* a handler makes the signal deliverable to a pid-namespace init */
}

/* The init: forward signals, reap everything, exit like the worker. */
static _Noreturn void supervise(pid_t worker_pid, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si), st;
		pid_t p;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(worker_pid, sig);
			continue;
		}
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != worker_pid)
				continue;
			if (WIFEXITED(st))
				_exit(WEXITSTATUS(st));
			_exit(128 + WTERMSIG(st));
		}
	}
}

/*
 * Step 2b: memory files are not executable in this pid namespace (the value
 * is per pid namespace and only grows; the host keeps its own). Written
 * through the host's procfs, still mounted here: the kernel applies it to the
 * writer's pid namespace. A kernel without the setting has no MFD_EXEC either.
 */
static int memfd_noexec(void)
{
	int fd = open("/proc/sys/vm/memfd_noexec", O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (write(fd, "2", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Step 11b: the exec filter. Its listener goes to the runner over the go
 * socket (SCM_RIGHTS) and is closed here at once: no process of the pod ever
 * holds it, so none can answer its own exec.
 */
static int exec_listener(const struct child_args *a)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = "n", .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fd, ret = 0;

	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
			  a->exec_notify);
	if (fd < 0)
		return -errno;
	memset(u.buf, 0, sizeof(u.buf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(a->go_fd, &m, MSG_NOSIGNAL) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* Steps 2-11, in the order the file header explains. */
static void setup(const struct child_args *a)
{
	const struct sandbox_cfg *c = a->cfg;
	int step = 0, index = -1, ret;

	if (setsid() < 0)
		fail(a, STEP_SETSID, errno, -1);
	if (!c->memfd_exec && (ret = memfd_noexec()) < 0)
		fail(a, STEP_MEMFD, ret, -1);
	if ((c->ns & SANDBOX_NS_UTS) && sethostname(c->hostname, strlen(c->hostname)) < 0)
		fail(a, STEP_HOSTNAME, errno, -1);
	if ((c->ns & SANDBOX_NS_NET) && (ret = loopback_up()) < 0)
		fail(a, STEP_LOOPBACK, ret, -1);
	if ((ret = sbx_cgroup_join_self(a->info)) < 0)
		fail(a, STEP_CGROUP_JOIN, ret, -1);
	if ((c->ns & SANDBOX_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		fail(a, STEP_CGROUPNS, errno, -1);
	ret = sbx_build_root(a, &step, &index);
	if (ret < 0)
		fail(a, step, ret, index);
	if ((ret = set_rlimits(&c->limits)) < 0)
		fail(a, STEP_RLIMIT, ret, -1);
	if ((ret = drop_privileges(c, &step)) < 0)
		fail(a, step, ret, -1);
	if ((ret = rearm_pdeathsig(a->go_fd)) < 0)
		_exit(125); /* the runner is gone: nobody to report to */
	if (chdir(c->cwd) < 0)
		fail(a, STEP_CWD, errno, -1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail(a, STEP_NNP, errno, -1);
	if (a->landlock_abi > 0 && (ret = sbx_landlock_apply(a)) < 0)
		fail(a, STEP_LANDLOCK, ret, -1);
	if (a->seccomp && syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, a->seccomp) < 0)
		fail(a, STEP_SECCOMP, errno, -1);
	if (a->exec_notify && (ret = exec_listener(a)) < 0)
		fail(a, STEP_SECCOMP, ret, -1);
}

/*
 * The pod's pid 1 starts as a copy of the runner: its name, its command line
 * (flags, host paths) and its environment would be readable in the pod's
 * /proc/1. Overwrite this copy's argument and environment areas (their
 * bounds are fields 48-51 of /proc/self/stat) and rename it.
 */
static void hide_runner(void)
{
	static const char name[] = "pod-init";
	unsigned long v[4] = { 0 };
	char buf[2048], *s;
	ssize_t n;
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC), field = 2;

	prctl(PR_SET_NAME, name, 0, 0, 0);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	s = strrchr(buf, ')'); /* comm may hold spaces and parens */
	for (; s && *s && field < 48; s++)
		if (*s == ' ')
			field++;
	if (!s || sscanf(s, "%lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return;
	if (v[1] > v[0] && v[1] - v[0] < (64u << 20)) {
		memset((void *)v[0], 0, v[1] - v[0]);
		if (v[1] - v[0] >= sizeof name)
			memcpy((void *)v[0], name, sizeof name);
	}
	if (v[3] > v[2] && v[3] - v[2] < (64u << 20))
		memset((void *)v[2], 0, v[3] - v[2]);
}

_Noreturn void sbx_child_main(const struct child_args *ca)
{
	struct child_args a = *ca;
	struct sigaction sa;
	sigset_t set;
	pid_t pid;
	char go;
	ssize_t n;
	int ret;

	/* 0. die with the runner; own only the descriptors we need; show
	 *    nothing of the runner in /proc/1 */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	hide_runner();
	ret = setup_fds(&a);
	if (ret < 0) {
		report(ca->status_fd, STEP_FDS, -ret, -1);
		_exit(125);
	}
	/* 1. wait for the runner (EOF: it gave up or died) */
	do
		n = read(a.go_fd, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125);
	/* 2-11 */
	setup(&a);
	close(a.go_fd);
	/* 12. signals for the init: handled (so they reach pid 1), blocked, waited for */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		sigaddset(&set, forwarded[i]);
		sigaction(forwarded[i], &sa, NULL);
	}
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* _Fork, not fork: no atfork handlers, no malloc locks (which another
	 * runner thread may have held at the moment of clone3) */
	pid = _Fork();
	if (pid < 0)
		fail(&a, STEP_FORK, errno, -1);
	if (pid == 0)
		worker(&a);
	/* the init keeps no descriptor: the worker's exec (CLOEXEC) ends the report */
	syscall(SYS_close_range, 0, ~0u, 0);
	supervise(pid, &set);
}
