/*
 * userns.c — the pod's user namespace: which host ids it gets, the maps the
 * runner writes, and the init's change to its mapped root during setup.
 *
 * Layer 03-sandbox, both sides. Builds on /proc/PID/{uid,gid}_map and raw
 * set*id system calls. spawn.c calls the runner side, mounts.c the pod side.
 *
 * With sandbox_cfg_set_idmap(base_u, base_g) and worker ids (W, G):
 *
 *   uid_map   0 base_u 1          the init while it builds the root
 *             W base_u+W 1        the worker (and the init after setup)
 *   gid_map   0 base_g 1
 *             G base_g+G 1
 *
 * Only these ids exist in the pod: any other inside id is unmapped and cannot
 * be taken, and no id of the host (root included) appears inside. The init is
 * cloned with the runner's host credentials (kuid 0) and full capabilities in
 * the new namespace only. It keeps kuid 0 while it joins its v1 cgroups and
 * clones the bind sources (so host directories a root runner may traverse
 * stay reachable), then becomes inside 0 (sbx_userns_become_root) because a
 * file system created in the namespace (the root tmpfs, /dev) accepts only
 * creators whose id is mapped there. drop_privileges() (child.c) later takes
 * the worker ids and drops every capability, as without a user namespace.
 *
 * Writable binds (PLAN_RW) of a directory or file whose owner and group are
 * not root are id-mapped: the runner clones the source into a detached mount
 * and sets MOUNT_ATTR_IDMAP with a user namespace mapping the source's owner
 * O (and group G) to the worker's host ids. Through that mount the pod sees O's
 * files as its own and everything it creates is owned by O:G on disk, so the
 * files belong to the directory's owner, not to the pod's range (a slot is
 * reused by later pods). The init (child.c) keeps the descriptors and
 * sbx_build_root attaches them. A root-owned source is not mapped (the pod
 * would make root-owned files, setuid bits included), nor one whose file
 * system refuses id-mapped mounts: its new files belong to the pod's host uid,
 * and the log says so.
 *
 * Without an idmap, SANDBOX_NS_USER keeps its original meaning: pod root ->
 * the runner's euid/egid, the worker ids -> themselves. An unprivileged runner
 * (euid != 0) may write one line per map, its own id, and must deny setgroups
 * first: the worker's uid/gid -> the runner's euid/egid. The pod then keeps the
 * runner's supplementary groups (setgroups is refused in the namespace; the
 * groups show as 65534 inside and grant what they grant the runner).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

int sandbox_cfg_set_idmap(sandbox_cfg_t *cfg, uid_t host_uid_base, gid_t host_gid_base)
{
	if (!cfg || host_uid_base == 0 || host_gid_base == 0 || host_uid_base == (uid_t)-1 ||
	    host_gid_base == (gid_t)-1 ||
	    (uint64_t)host_uid_base + SANDBOX_IDMAP_SPAN > 0xffffffffull ||
	    (uint64_t)host_gid_base + SANDBOX_IDMAP_SPAN > 0xffffffffull)
		return -EINVAL;
	cfg->idmap = true;
	cfg->host_uid = host_uid_base;
	cfg->host_gid = host_gid_base;
	cfg->ns |= SANDBOX_NS_USER;
	return 0;
}

/* Before clone3: the map can be written, and what the host will see. */
int sbx_userns_check(const struct sandbox_cfg *c, struct sandbox_info *info,
		     struct sandbox_error *err)
{
	info->host_uid = c->uid;
	info->host_gid = c->gid;
	if (!(c->ns & SANDBOX_NS_USER)) {
		if (c->idmap) {
			sbx_err(err, "user namespace: an id map needs SANDBOX_NS_USER");
			return -EINVAL;
		}
		return 0;
	}
	if (!c->idmap && geteuid() != 0) { /* unprivileged: the one id we may map */
		info->host_uid = geteuid();
		info->host_gid = getegid();
		return 0;
	}
	if (!c->idmap) {
		if (c->uid == 0 || c->uid == geteuid())
			info->host_uid = geteuid();
		if (c->gid == 0 || c->gid == getegid())
			info->host_gid = getegid();
		return 0;
	}
	if (c->uid >= SANDBOX_IDMAP_SPAN || c->gid >= SANDBOX_IDMAP_SPAN) {
		sbx_err(err, "user namespace: worker ids %u/%u are outside the pod's range of %u",
			(unsigned)c->uid, (unsigned)c->gid, SANDBOX_IDMAP_SPAN);
		return -ERANGE;
	}
	info->host_uid = c->host_uid + c->uid;
	info->host_gid = c->host_gid + c->gid;
	return 0;
}

static int write_text(pid_t pid, const char *file, const char *text)
{
	char path[64];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Pod side: setgroups failed with @err; fine where the runner had to deny it. */
bool sbx_userns_groups_locked(const struct sandbox_cfg *c, int err)
{
	return err == EPERM && (c->ns & SANDBOX_NS_USER) && !c->idmap;
}

/* One map file's text: "inside outside 1" lines. */
static int map_text(const struct sandbox_cfg *c, int gid, char *buf, size_t cap)
{
	unsigned inner = gid ? c->gid : c->uid;
	unsigned outer = gid ? getegid() : geteuid();
	unsigned base = gid ? c->host_gid : c->host_uid;

	if (c->idmap) {
		if (inner == 0)
			return snprintf(buf, cap, "0 %u 1\n", base);
		return snprintf(buf, cap, "0 %u 1\n%u %u 1\n", base, inner, base + inner);
	}
	if (inner == 0 || inner == outer || geteuid() != 0)
		return snprintf(buf, cap, "%u %u 1\n", inner, outer);
	return snprintf(buf, cap, "0 %u 1\n%u %u 1\n", outer, inner, inner);
}

int sbx_userns_write_maps(sandbox_t *sb, struct sandbox_error *err)
{
	static const char *const files[] = { "uid_map", "gid_map" };

	for (int i = 0; i < 2; i++) {
		char path[64], map[96];
		int fd, n, ret = 0;

		n = map_text(sb->cfg, i, map, sizeof(map));
		/* unprivileged: gid_map is refused until setgroups is denied */
		if (i == 1 && !sb->cfg->idmap && geteuid() != 0 &&
		    (ret = write_text(sb->pid, "setgroups", "deny")) < 0) {
			sbx_err(err, "user namespace: /proc/%d/setgroups: %s", (int)sb->pid,
				strerror(-ret));
			return ret;
		}
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)sb->pid, files[i]);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, map, (size_t)n) != n)
			ret = -errno;
		if (fd >= 0)
			close(fd);
		if (ret < 0) {
			sbx_err(err, "user namespace: %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Pod side. Raw system calls: see internal.h. A credential change clears the
 * parent-death signal: arm it again and make sure the runner still holds its
 * end of the go channel (it does until the worker has exec'd). */
int sbx_userns_become_root(const struct child_args *a)
{
	struct pollfd p = { .fd = a->go_fd, .events = POLLIN };

	if (!a->cfg->idmap)
		return 0; /* the init's id is already mapped (to pod root) */
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 || syscall(SYS_setresuid, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || poll(&p, 1, 0) < 0)
		return -errno;
	return (p.revents & (POLLHUP | POLLERR)) ? -ESRCH : 0;
}

#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void note(const struct sandbox_cfg *c, int level, const char *msg)
{
	if (c->log)
		c->log(c->log_ctx, level, msg);
}

/* Write "@in @out 1" to /proc/@pid/@file. */
static int write_map(pid_t pid, const char *file, unsigned in, unsigned out)
{
	char path[64], map[48];
	int fd, n, ret = 0;

	n = snprintf(map, sizeof(map), "%u %u 1\n", in, out);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, map, (size_t)n) != n)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * A user namespace mapping on-disk owner @o/@g to the pod's host ids: made by
 * a short-lived child (clone3 straight into the new namespace, no SIGCHLD),
 * kept as a descriptor, the child killed and reaped.
 */
static int mapping_userns(uid_t o, gid_t g, uid_t pu, gid_t pg)
{
	struct clone_args ca;
	char path[64];
	int pidfd = -1, fd = -1, ret;
	pid_t pid;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER | CLONE_PIDFD | CLONE_CLEAR_SIGHAND;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = 0;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		for (;;)
			pause();
	}
	if (pid < 0)
		return -errno;
	ret = write_map(pid, "uid_map", o, pu);
	if (ret == 0)
		ret = write_map(pid, "gid_map", g, pg);
	if (ret == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			ret = -errno;
	}
	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	{
		siginfo_t si;

		while (syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED | __WALL, NULL) < 0 &&
		       errno == EINTR)
			;
	}
	close(pidfd);
	return ret < 0 ? ret : fd;
}

/* One writable source as an id-mapped detached mount (nosuid, nodev, noexec). */
static int idmapped_tree(const char *src, int userns)
{
	struct mount_attr at = {
		.attr_set =
		    MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
		.userns_fd = (uint64_t)userns,
	};
	int t, ret;

	t = (int)syscall(SYS_open_tree, AT_FDCWD, src,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (t < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, t, "", AT_EMPTY_PATH | AT_RECURSIVE, &at, sizeof(at)) < 0) {
		ret = -errno;
		close(t);
		return ret;
	}
	return t;
}

int sbx_userns_idmap_binds(const struct sandbox_cfg *c, sandbox_t *sb, struct sandbox_error *err)
{
	uid_t pu = sb->info.host_uid;
	gid_t pg = sb->info.host_gid;
	uid_t mo = 0;
	gid_t mg = 0;
	int userns = -1, ret = 0;
	char msg[512];

	if (!c->idmap || !c->nplan)
		return 0;
	sb->pre_trees = malloc(c->nplan * sizeof(int));
	if (!sb->pre_trees) {
		sbx_err(err, "spawn: out of memory");
		return -ENOMEM;
	}
	sb->npre = c->nplan;
	for (size_t i = 0; i < c->nplan; i++)
		sb->pre_trees[i] = -1;
	for (size_t i = 0; i < c->nplan && ret == 0; i++) {
		const struct plan_entry *e = &c->plan[i];
		struct stat st;
		int t;

		if (e->kind != PLAN_RW || sb->skip[i] || stat(e->src, &st) < 0)
			continue;
		if (st.st_uid == 0 || st.st_gid == 0) {
			snprintf(msg, sizeof(msg),
				 "id map: %s is owned by root; files the pod makes "
				 "there belong to host uid %u",
				 e->src, (unsigned)pu);
			note(c, SANDBOX_LOG_INFO, msg);
			continue;
		}
		if (userns >= 0 && (st.st_uid != mo || st.st_gid != mg)) {
			close(userns);
			userns = -1;
		}
		if (userns < 0) {
			userns = mapping_userns(st.st_uid, st.st_gid, pu, pg);
			if (userns < 0) {
				ret = userns;
				sbx_err(err, "id map for %s: %s", e->src, strerror(-ret));
				break;
			}
			mo = st.st_uid;
			mg = st.st_gid;
		}
		t = idmapped_tree(e->src, userns);
		if (t < 0) {
			snprintf(msg, sizeof(msg),
				 "id map: %s cannot be id-mapped (%s); files the pod "
				 "makes there belong to host uid %u",
				 e->src, strerror(-t), (unsigned)pu);
			note(c, SANDBOX_LOG_NOTICE, msg);
			continue;
		}
		sb->pre_trees[i] = t;
	}
	if (userns >= 0)
		close(userns);
	return ret;
}

void sbx_userns_close_trees(sandbox_t *sb)
{
	if (!sb->pre_trees)
		return;
	for (size_t i = 0; i < sb->npre; i++)
		if (sb->pre_trees[i] >= 0)
			close(sb->pre_trees[i]);
	free(sb->pre_trees);
	sb->pre_trees = NULL;
}
