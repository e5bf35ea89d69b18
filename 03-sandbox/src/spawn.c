/*
 * spawn.c — creating, releasing, waiting for and tearing down a pod.
 *
 * Layer 03-sandbox, runner side. Builds on clone3 (CLONE_PIDFD,
 * CLONE_INTO_CGROUP), pidfds, cgroup.c, seccomp.c, landlock.c; the child runs
 * child.c. Used by 07-runner through include/sandbox.h.
 *
 *   runner                                   pod (init, pid 1)
 *   sandbox_spawn:
 *     1. check sources, compile seccomp,
 *        decide Landlock rules
 *     2. cgroups (+ limits)
 *     3. go socket, status pipe
 *     4. clone3 (into the v2 cgroup) ------> fds laid out, pdeathsig,
 *     5. netns fd                             blocks reading "go"
 *   (runner: veth, ...)
 *   sandbox_release:
 *     6. [user ns maps, userns.c]
 *        write "go" ---------------------> setup steps (child.c), the
 *                                            first: join the v1 cgroups
 *     7. read status until EOF <------------ error report, or EOF at the
 *                                            worker's execve (CLOEXEC)
 *   epoll(pidfd) -> sandbox_wait: waitid(P_PIDFD)
 *   sandbox_destroy: SIGKILL, reap, rmdir cgroups, close
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void log_msg(const struct sandbox_cfg *c, int level, const char *msg)
{
	if (c->log)
		c->log(c->log_ctx, level, msg);
}

/* Step 1a: every bind source must exist (or be optional and is then skipped). */
static int check_sources(const struct sandbox_cfg *c, unsigned char *skip,
			 struct sandbox_error *err)
{
	for (size_t i = 0; i < c->nplan; i++) {
		const struct plan_entry *e = &c->plan[i];
		struct stat st;
		char msg[320];

		if (e->kind != PLAN_RO && e->kind != PLAN_RW)
			continue;
		if (stat(e->src, &st) == 0)
			continue;
		if (errno == ENOENT && (e->flags & SANDBOX_MNT_OPTIONAL)) {
			skip[i] = 1;
			snprintf(msg, sizeof(msg),
				 "mount plan: optional source %s is missing, skipped", e->src);
			log_msg(c, SANDBOX_LOG_INFO, msg);
			continue;
		}
		sbx_err(err, "mount plan: source %s: %s", e->src, strerror(errno));
		return -errno;
	}
	return 0;
}

static int clone_flags(unsigned ns)
{
	int f = CLONE_NEWNS | CLONE_NEWPID;

	if (ns & SANDBOX_NS_NET)
		f |= CLONE_NEWNET;
	if (ns & SANDBOX_NS_UTS)
		f |= CLONE_NEWUTS;
	if (ns & SANDBOX_NS_IPC)
		f |= CLONE_NEWIPC;
	if (ns & SANDBOX_NS_USER)
		f |= CLONE_NEWUSER;
	/* CLONE_NEWCGROUP: the child unshares it after joining its cgroups */
	return f;
}

/* Step 4: clone3; retried without CLONE_INTO_CGROUP if the kernel refuses it. */
static pid_t do_clone(sandbox_t *sb, unsigned ns, int cg_fd, const struct child_args *a,
		      bool *into_cg)
{
	struct clone_args ca;
	pid_t pid;

	memset(&ca, 0, sizeof(ca));
	/* CLONE_CLEAR_SIGHAND: no runner signal handler can ever run in the pod */
	ca.flags = CLONE_PIDFD | CLONE_CLEAR_SIGHAND | (uint64_t)clone_flags(ns);
	ca.pidfd = (uint64_t)(uintptr_t)&sb->pidfd;
	ca.exit_signal = 0; /* no SIGCHLD: the runner's own waitpid(-1) cannot steal it */
	if (cg_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cg_fd;
	}
	*into_cg = cg_fd >= 0;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid < 0 && cg_fd >= 0 && errno != ENOMEM && errno != EAGAIN) {
		ca.flags &= ~CLONE_INTO_CGROUP;
		ca.cgroup = 0;
		*into_cg = false;
		pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	}
	if (pid == 0)
		sbx_child_main(a); /* never returns */
	return pid < 0 ? -errno : pid;
}

static int landlock_plan(const struct sandbox_cfg *c, sandbox_t *sb, int *abi,
			 struct sandbox_error *err)
{
	size_t n = 0;

	*abi = c->landlock == SANDBOX_LANDLOCK_OFF ? 0 : sandbox_landlock_abi();
	if (c->landlock == SANDBOX_LANDLOCK_REQUIRED && *abi == 0) {
		sbx_err(err, "landlock: required but the kernel does not provide it");
		return -EOPNOTSUPP;
	}
	if (c->landlock == SANDBOX_LANDLOCK_BEST_EFFORT && *abi == 0)
		log_msg(c, SANDBOX_LOG_NOTICE,
			"landlock: not available in this kernel; the mount plan alone limits file "
			"access");
	if (*abi == 0)
		return 0;
	sb->info.landlock_abi = *abi;
	return sbx_landlock_rules(c, sb->skip, *abi, &sb->ll_rules, &n) < 0 ? -ENOMEM : (int)n;
}

/* Step 1: everything the child will use, decided in the runner. */
static int prepare(const struct sandbox_cfg *c, sandbox_t *sb, struct child_args *a,
		   struct sandbox_error *err)
{
	const struct sock_fprog *prog = NULL;
	int ret;

	ret = sbx_userns_check(c, &sb->info, err);
	if (ret < 0)
		return ret;
	ret = check_sources(c, sb->skip, err);
	if (ret < 0)
		return ret;
	if (c->seccomp && (ret = sbx_seccomp_program(&prog)) < 0) {
		sbx_err(err, "seccomp: cannot compile the filter: %s", strerror(-ret));
		return ret;
	}
	sb->info.seccomp = prog != NULL;
	if (c->exec_notify && (ret = sbx_seccomp_exec_program(&a->exec_notify)) < 0) {
		sbx_err(err, "seccomp: cannot compile the exec filter: %s", strerror(-ret));
		return ret;
	}
	ret = landlock_plan(c, sb, &a->landlock_abi, err);
	if (ret < 0)
		return ret;
	a->nll = (size_t)ret;
	ret = sbx_userns_idmap_binds(c, sb, err);
	if (ret < 0)
		return ret;
	a->pre_trees = sb->pre_trees;
	a->ll_rules = sb->ll_rules;
	a->skip = sb->skip;
	a->seccomp = prog;
	a->info = &sb->info;
	return 0;
}

/* Step 5: what the runner needs after clone3: the v2 cgroup by hand if clone3
 * refused CLONE_INTO_CGROUP (the v1 ones the init joins itself, see
 * sbx_cgroup_join_self), and a handle on the network namespace. */
static int after_clone(const struct sandbox_cfg *c, sandbox_t *sb, bool into_cg,
		       struct sandbox_error *err)
{
	char path[320], pid[16];
	int fd, ret = 0;

	snprintf(pid, sizeof(pid), "%d", (int)sb->pid);
	if (!into_cg && sb->info.cgroup_v2[0]) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", sb->info.cgroup_v2);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
			ret = -errno;
		if (fd >= 0)
			close(fd);
		if (ret < 0) {
			sbx_err(err, "cgroup attach %s: %s", sb->info.cgroup_v2, strerror(-ret));
			return ret;
		}
	}
	if (c->ns & SANDBOX_NS_NET) {
		snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
		sb->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (sb->netns_fd < 0) {
			ret = -errno;
			sbx_err(err, "spawn: %s: %s", path, strerror(-ret));
		}
	}
	return ret;
}

int sandbox_spawn(const sandbox_cfg_t *c, sandbox_t **out, struct sandbox_error *err)
{
	struct child_args a = { .cfg = c, .go_fd = -1, .status_fd = -1, .devnull_fd = -1 };
	int go[2] = { -1, -1 }, st[2] = { -1, -1 }, cg_fd = -1, ret;
	sandbox_t *sb = NULL;
	bool into_cg = false;
	struct timespec t0, t1;

	if (err)
		err->msg[0] = '\0';
	if (!c || !out || !c->path) {
		sbx_err(err, "spawn: no program set");
		return -EINVAL;
	}
	sb = calloc(1, sizeof(*sb));
	if (!sb) {
		ret = -ENOMEM;
		goto cleanup;
	}
	/* before anything can fail: sandbox_destroy() closes every fd >= 0 */
	sb->pidfd = sb->netns_fd = sb->go_fd = sb->status_fd = sb->notify_fd = -1;
	sb->skip = calloc(c->nplan + 1, 1);
	if (!sb->skip) {
		ret = -ENOMEM;
		goto cleanup;
	}
	sb->cfg = c;
	sb->info.namespaces = c->ns;
	/* 1. sources, seccomp program, Landlock rules: decided here, used in the child */
	ret = prepare(c, sb, &a, err);
	if (ret < 0)
		goto cleanup;
	/* 2. cgroups, limits written before anything runs in them */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = sbx_cgroup_create(sb, &c->limits, &cg_fd, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sb->info.cgroup_us = (uint64_t)((int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
					(t1.tv_nsec - t0.tv_nsec) / 1000);
	if (ret < 0)
		goto cleanup;
	if (sb->info.cgroup_mode == SANDBOX_CGROUP_V1)
		log_msg(c, SANDBOX_LOG_NOTICE,
			"cgroup: no delegated v2 controllers; limits use the v1 memory/pids/cpu "
			"hierarchies");
	/* 3. go channel (runner -> pod; a socket so that a dead child means EPIPE,
	 *    never SIGPIPE in the runner) and status pipe (pod -> runner) */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) < 0 ||
	    pipe2(st, O_CLOEXEC) < 0 ||
	    (a.devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		ret = -errno;
		sbx_err(err, "spawn: pipes: %s", strerror(-ret));
		goto cleanup;
	}
	a.go_fd = go[0];
	a.status_fd = st[1];
	/* 4. the child (sbx_child_main runs there and never returns) */
	ret = do_clone(sb, c->ns, cg_fd, &a, &into_cg);
	if (ret < 0) {
		sbx_err(err, "spawn: clone3: %s", strerror(-ret));
		goto cleanup;
	}
	sb->pid = ret;
	sb->go_fd = go[1];
	sb->status_fd = st[0];
	go[1] = st[0] = -1;
	/* 5. v2 cgroup fallback, netns handle */
	ret = after_clone(c, sb, into_cg, err);
	if (ret < 0)
		goto cleanup;
	*out = sb;
	sb = NULL;
cleanup:
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (st[i] >= 0)
			close(st[i]);
	}
	if (a.devnull_fd >= 0)
		close(a.devnull_fd);
	if (cg_fd >= 0)
		close(cg_fd);
	sandbox_destroy(sb); /* on failure only: kills and reaps a cloned child */
	return ret < 0 ? ret : 0;
}

/* Receive the exec listener the init sends over the go socket (-1: none came). */
static int recv_listener(int sock)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	char b;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fd = -1;

	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&m);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * With the exec filter, the worker's own execve waits for an answer: take the
 * listener from the init, let exactly that first exec continue (it is the
 * planned program, nothing of the pod has run yet), and return once the
 * status pipe is readable (EOF: exec'd, or a setup report).
 */
static int wait_first_exec(sandbox_t *sb, struct sandbox_error *err)
{
	bool first_done = false;

	for (;;) {
		struct pollfd pf[3] = {
			{ .fd = sb->status_fd, .events = POLLIN },
			{ .fd = sb->notify_fd < 0 ? sb->go_fd : -1, .events = POLLIN },
			{ .fd = first_done ? -1 : sb->notify_fd, .events = POLLIN },
		};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			sbx_err(err, "release: poll: %s", strerror(errno));
			return -errno;
		}
		if (pf[1].revents) {
			sb->notify_fd = recv_listener(sb->go_fd);
			if (sb->notify_fd < 0)
				pf[0].revents |= POLLIN; /* the init failed: its report follows */
		}
		if (pf[2].revents & POLLIN) {
			struct seccomp_notif n;
			struct seccomp_notif_resp rsp;

			memset(&n, 0, sizeof(n));
			if (ioctl(sb->notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &n) == 0) {
				memset(&rsp, 0, sizeof(rsp));
				rsp.id = n.id;
				rsp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				ioctl(sb->notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &rsp);
				first_done = true;
			}
		}
		if (pf[0].revents)
			return 0;
	}
}

int sandbox_exec_notify_fd(const sandbox_t *sb)
{
	return sb ? sb->notify_fd : -1;
}

int sandbox_release(sandbox_t *sb, struct sandbox_error *err)
{
	struct child_report r;
	ssize_t n;
	int ret = 0;

	if (err)
		err->msg[0] = '\0';
	if (!sb)
		return -EINVAL;
	if (sb->go_fd < 0)
		return -EALREADY;
	/* 6. maps, then the go byte */
	if ((sb->cfg->ns & SANDBOX_NS_USER) && (ret = sbx_userns_write_maps(sb, err)) < 0)
		goto cleanup;
	if (send(sb->go_fd, "g", 1, MSG_NOSIGNAL) != 1) {
		ret = -errno;
		sbx_err(err, "release: %s", strerror(-ret));
		goto cleanup;
	}
	/* 7. EOF means the worker exec'd; a report means a step failed */
	if (sb->cfg->exec_notify && (ret = wait_first_exec(sb, err)) < 0)
		goto cleanup;
	do
		n = read(sb->status_fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(r)) {
		const struct plan_entry *e = NULL;

		if (r.index >= 0 && (size_t)r.index < sb->cfg->nplan)
			e = &sb->cfg->plan[r.index];
		ret = r.err > 0 ? -r.err : -EIO;
		if (e && (e->kind == PLAN_RO || e->kind == PLAN_RW))
			sbx_err(err, "mount plan: source %s -> %s: %s", e->src, e->dst,
				strerror(-ret));
		else if (e)
			sbx_err(err, "mount plan: %s: %s", e->dst, strerror(-ret));
		else if (r.step == STEP_EXEC)
			sbx_err(err, "execve %s: %s", sb->cfg->path, strerror(-ret));
		else
			sbx_err(err, "pod setup: %s: %s", sbx_step_name(r.step), strerror(-ret));
	} else if (n < 0) {
		ret = -errno;
		sbx_err(err, "release: status pipe: %s", strerror(-ret));
	} else if (n > 0) { /* reports are one atomic write: a torn one is not success */
		ret = -EIO;
		sbx_err(err, "release: short setup report (%zd of %zu bytes)", n, sizeof(r));
	}
cleanup:
	sbx_userns_close_trees(sb); /* the init has its copies */
	close(sb->go_fd);
	close(sb->status_fd);
	sb->go_fd = sb->status_fd = -1;
	return ret;
}

int sandbox_pidfd(const sandbox_t *sb)
{
	return sb ? sb->pidfd : -1;
}

pid_t sandbox_pid(const sandbox_t *sb)
{
	return sb ? sb->pid : -1;
}

int sandbox_netns_fd(const sandbox_t *sb)
{
	return sb ? sb->netns_fd : -1;
}

const struct sandbox_info *sandbox_get_info(const sandbox_t *sb)
{
	return sb ? &sb->info : NULL;
}

int sandbox_wait(sandbox_t *sb, int *status, int flags)
{
	siginfo_t si;
	int opts = WEXITED | __WALL | ((flags & SANDBOX_WAIT_NOHANG) ? WNOHANG : 0);

	if (!sb || sb->pidfd < 0)
		return -EINVAL;
	if (!sb->reaped) {
		memset(&si, 0, sizeof(si));
		if (syscall(SYS_waitid, P_PIDFD, sb->pidfd, &si, opts, NULL) < 0)
			return -errno;
		if (si.si_pid == 0)
			return -EAGAIN;
		sb->reaped = true;
		sb->status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
	}
	if (status)
		*status = sb->status;
	return 0;
}

int sandbox_kill(sandbox_t *sb, int sig)
{
	if (!sb || sb->pidfd < 0)
		return -EINVAL;
	if (sb->reaped)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, sb->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

void sandbox_destroy(sandbox_t *sb)
{
	if (!sb)
		return;
	if (sb->pidfd >= 0 && !sb->reaped) {
		sandbox_kill(sb, SIGKILL);
		sandbox_wait(sb, NULL, 0);
	}
	sbx_cgroup_remove(sb);
	sbx_userns_close_trees(sb);
	if (sb->go_fd >= 0)
		close(sb->go_fd);
	if (sb->status_fd >= 0)
		close(sb->status_fd);
	if (sb->netns_fd >= 0)
		close(sb->netns_fd);
	if (sb->notify_fd >= 0)
		close(sb->notify_fd);
	if (sb->pidfd >= 0)
		close(sb->pidfd);
	free(sb->ll_rules);
	free(sb->skip);
	free(sb);
}
