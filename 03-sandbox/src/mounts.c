/*
 * mounts.c — building the pod's root file system from the mount plan.
 *
 * Layer 03-sandbox, pod side (runs in the clone3 child, as root of the new
 * mount namespace, before any privilege is dropped). Builds on the mount API
 * of Linux >= 5.12: open_tree, move_mount, fsopen/fsconfig/fsmount,
 * mount_setattr, and openat2 for path resolution. Called by child.c.
 *
 *   host tree (private copy)             new root (tmpfs, staged on /tmp)
 *   /usr  --open_tree(CLONE)--> fd  --move_mount--> <root>/usr  (ro,nosuid,nodev)
 *   /data --open_tree(CLONE)--> fd  --move_mount--> <root>/data (rw,nosuid,nodev,noexec)
 *                      fsopen("proc") --------> <root>/proc + masks
 *   then: root made read-only, pivot_root(".", "."), old root detached.
 *
 * Every bind source is cloned into a descriptor BEFORE the new root is mounted,
 * so a source under /tmp is not hidden by the staging mount. Every destination
 * is reached with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) from the new
 * root: a symlink on the way (say, inside a bound tree) is an error, never a
 * way out. Mounts are attached through descriptors, never by path, so nothing
 * is resolved twice. No malloc here (see internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif
#define STAGE "/tmp"

/* ---- thin system call wrappers (glibc 2.36 lacks usable declarations) ---- */

static int sys_open_tree(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_move_mount(int from, int to)
{
	return (int)syscall(SYS_move_mount, from, "", to, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int sys_setattr(int fd, unsigned flags, uint64_t set)
{
	struct mount_attr a = { .attr_set = set };

	return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | flags, &a, sizeof(a));
}

static int sys_openat2(int dfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
}

/* A fresh file system as a detached mount descriptor (fsopen -> fsmount). */
static int new_fs(const char *type, const char *opts[][2], unsigned attrs)
{
	int fs, mfd, ret;

	fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -errno;
	/* a recognizable source name ("sbx-tmpfs", "sbx-proc") in mountinfo */
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source",
		    type[0] == 'p' ? "sbx-proc" : "sbx-tmpfs", 0) < 0) {
		ret = -errno;
		close(fs);
		return ret;
	}
	for (int i = 0; opts && opts[i][0]; i++) {
		if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, opts[i][0], opts[i][1], 0) < 0) {
			ret = -errno;
			close(fs);
			return ret;
		}
	}
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		ret = -errno;
		close(fs);
		return ret;
	}
	mfd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
	ret = mfd < 0 ? -errno : mfd;
	close(fs);
	return ret;
}

static int tmpfs_fd(uint64_t size, unsigned mode, unsigned attrs)
{
	char sz[32], md[16];
	const char *opts[][2] = { { "size", sz }, { "mode", md }, { NULL, NULL } };

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	snprintf(md, sizeof(md), "%o", mode);
	return new_fs("tmpfs", opts, attrs);
}

/* ---- destinations: created and opened beneath the root, no symlinks ---- */

/*
 * Open (creating as needed) the directory holding @path's last component,
 * relative to @root. @path is absolute and normalized. On success returns the
 * parent directory descriptor and points *last at the final component.
 */
static int open_parent(int root, const char *path, char *buf, const char **last)
{
	char *p, *slash;
	int fd, nfd;

	if (strlen(path) >= PATH_MAX)
		return -ENAMETOOLONG;
	strcpy(buf, path + 1);
	fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (p = buf; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (mkdirat(fd, p, 0755) < 0 && errno != EEXIST)
			goto fail;
		nfd = sys_openat2(fd, p, O_PATH | O_DIRECTORY);
		if (nfd < 0)
			goto fail;
		close(fd);
		fd = nfd;
	}
	*last = p;
	return fd;
fail:
	nfd = -errno;
	close(fd);
	return nfd;
}

/* Create @path as a directory (or an empty file when !dir) and open it O_PATH. */
static int make_dst(int root, const char *path, bool dir, unsigned mode)
{
	char buf[PATH_MAX];
	const char *last;
	int pfd, fd;

	pfd = open_parent(root, path, buf, &last);
	if (pfd < 0)
		return pfd;
	if (dir) {
		if (mkdirat(pfd, last, mode) < 0 && errno != EEXIST)
			goto fail;
		fd = sys_openat2(pfd, last, O_PATH | O_DIRECTORY);
	} else {
		/* O_EXCL: an existing file is never opened for writing (a program
		 * another process runs would fail it with ETXTBSY); EACCES: a host
		 * directory the pod's mapped root may not write into */
		fd = openat(pfd, last, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0444);
		if (fd < 0 && (errno == EEXIST || errno == EROFS || errno == EISDIR ||
			       errno == ETXTBSY || errno == EACCES))
			fd = sys_openat2(pfd, last, O_PATH);
		else if (fd >= 0) {
			close(fd);
			fd = sys_openat2(pfd, last, O_PATH);
		}
	}
	if (fd < 0)
		goto fail;
	close(pfd);
	return fd;
fail:
	fd = -errno;
	close(pfd);
	return fd;
}

/* Attach the detached mount @mfd onto @dst (created as dir or file). Closes @mfd. */
static int attach(int root, int mfd, const char *dst, bool dir, unsigned mode)
{
	int d = make_dst(root, dst, dir, mode), ret = 0;

	if (d < 0) {
		close(mfd);
		return d;
	}
	if (sys_move_mount(mfd, d) < 0)
		ret = -errno;
	close(d);
	close(mfd);
	return ret;
}

/* ---- the entry kinds ---- */

static int do_bind(int root, const struct plan_entry *e, int tree)
{
	uint64_t set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	struct stat st;

	if (e->kind == PLAN_RO)
		set |=
		    MOUNT_ATTR_RDONLY | ((e->flags & SANDBOX_MNT_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
	else
		set |= MOUNT_ATTR_NOEXEC;
	/* mount_setattr only ADDS flags: flags locked by a user namespace stay */
	if (sys_setattr(tree, AT_RECURSIVE, set) < 0 || fstat(tree, &st) < 0) {
		int ret = -errno;

		close(tree);
		return ret;
	}
	return attach(root, tree, e->dst, S_ISDIR(st.st_mode), 0755);
}

/* Hide @rel beneath directory @dirfd: dirs get an empty ro tmpfs, files /dev/null. */
static int mask_at(int dirfd, const char *rel)
{
	struct stat st;
	int d, m, ret = 0;

	d = sys_openat2(dirfd, rel, O_PATH);
	if (d < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(d, &st) < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode))
		m = tmpfs_fd(4096, 0555,
			     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				 MOUNT_ATTR_NOEXEC);
	else {
		m = sys_open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (m >= 0 &&
		    sys_setattr(m, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC) <
			0) {
			ret = -errno;
			close(m);
			goto cleanup;
		}
	}
	if (m < 0) {
		ret = m == -1 ? -errno : m;
		goto cleanup;
	}
	if (sys_move_mount(m, d) < 0)
		ret = -errno;
	close(m);
cleanup:
	close(d);
	return ret;
}

/* Bind @rel beneath @dirfd onto itself, read-only. Missing paths are skipped. */
static int readonly_at(int dirfd, const char *rel)
{
	int d, t, ret = 0;

	d = sys_openat2(dirfd, rel, O_PATH);
	if (d < 0)
		return errno == ENOENT ? 0 : -errno;
	t = sys_open_tree(d, "",
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (t < 0 ||
	    sys_setattr(t, AT_RECURSIVE,
			MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			    MOUNT_ATTR_NOEXEC) < 0 ||
	    sys_move_mount(t, d) < 0)
		ret = -errno;
	if (t >= 0)
		close(t);
	close(d);
	return ret;
}

/* runc's masked and read-only paths, relative to the proc mount. */
static const char *const proc_masked[] = {
	"acpi",        "asound", "kcore",    "keys", "latency_stats", "timer_list", "timer_stats",
	"sched_debug", "scsi",   "kallsyms", NULL,
};
static const char *const proc_readonly[] = {
	"bus", "fs", "irq", "sys", "sysrq-trigger", NULL,
};

static int do_proc(int root, const struct plan_entry *e)
{
	int m, d, ret = 0;

	m = new_fs("proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		return m;
	ret = attach(root, m, e->dst, true, 0555);
	if (ret < 0)
		return ret;
	d = sys_openat2(root, e->dst + 1, O_PATH | O_DIRECTORY);
	if (d < 0)
		return -errno;
	for (int i = 0; ret == 0 && proc_masked[i]; i++)
		ret = mask_at(d, proc_masked[i]);
	for (int i = 0; ret == 0 && proc_readonly[i]; i++)
		ret = readonly_at(d, proc_readonly[i]);
	close(d);
	return ret;
}

/* /dev step 1: bind the host's device nodes (no mknod: works in a user ns too). */
static int dev_nodes(int d)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", NULL };
	char host[32];
	int ret = 0;

	for (int i = 0; ret == 0 && nodes[i]; i++) {
		int t, f;

		snprintf(host, sizeof(host), "/dev/%s", nodes[i]);
		t = sys_open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (t < 0)
			return -errno;
		if (sys_setattr(t, 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC) < 0) {
			ret = -errno;
			close(t);
			break;
		}
		f = openat(d, nodes[i], O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (f >= 0) {
			close(f);
			f = sys_openat2(d, nodes[i], O_PATH);
		}
		if (f < 0 || sys_move_mount(t, f) < 0)
			ret = -errno;
		if (f >= 0)
			close(f);
		close(t);
	}
	return ret;
}

/* /dev step 3: a private tmpfs for POSIX shared memory. */
static int dev_shm(int d)
{
	int m, s, ret = 0;

	m = tmpfs_fd(64ull << 20, 01777, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		return m;
	if (mkdirat(d, "shm", 01777) < 0) {
		ret = -errno;
		close(m);
		return ret;
	}
	s = sys_openat2(d, "shm", O_PATH | O_DIRECTORY);
	if (s < 0 || sys_move_mount(m, s) < 0)
		ret = -errno;
	if (s >= 0)
		close(s);
	close(m);
	return ret;
}

static int do_dev(int root, const struct plan_entry *e)
{
	static const char *const links[][2] = {
		{ "fd", "/proc/self/fd" },
		{ "stdin", "/proc/self/fd/0" },
		{ "stdout", "/proc/self/fd/1" },
		{ "stderr", "/proc/self/fd/2" },
	};
	int m, d, ret;

	m = tmpfs_fd(64 << 10, 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (m < 0)
		return m;
	ret = attach(root, m, e->dst, true, 0755);
	if (ret < 0)
		return ret;
	d = sys_openat2(root, e->dst + 1, O_PATH | O_DIRECTORY);
	if (d < 0)
		return -errno;
	/* 1. device nodes */
	ret = dev_nodes(d);
	/* 2. the conventional symlinks */
	for (size_t i = 0; ret == 0 && i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][1], d, links[i][0]) < 0)
			ret = -errno;
	/* 3. a private /dev/shm */
	if (ret == 0)
		ret = dev_shm(d);
	/* 4. the /dev tmpfs itself read-only (nodes and shm are their own mounts) */
	if (ret == 0 && sys_setattr(d, 0, MOUNT_ATTR_RDONLY) < 0)
		ret = -errno;
	close(d);
	return ret;
}

static int do_symlink(int root, const struct plan_entry *e)
{
	char buf[PATH_MAX];
	const char *last;
	int pfd, ret = 0;

	pfd = open_parent(root, e->dst, buf, &last);
	if (pfd < 0)
		return pfd;
	if (symlinkat(e->src, pfd, last) < 0)
		ret = -errno;
	close(pfd);
	return ret;
}

static int do_entry(int root, const struct plan_entry *e, int tree)
{
	int fd;

	switch (e->kind) {
	case PLAN_RO:
	case PLAN_RW:
		return do_bind(root, e, tree);
	case PLAN_TMPFS:
		fd = tmpfs_fd(e->size, e->mode,
			      MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		return fd < 0 ? fd : attach(root, fd, e->dst, true, 0755);
	case PLAN_PROC:
		return do_proc(root, e);
	case PLAN_DEV:
		return do_dev(root, e);
	case PLAN_MASK:
		return mask_at(root, e->dst + 1);
	case PLAN_SYMLINK:
		return do_symlink(root, e);
	case PLAN_DIR:
		fd = make_dst(root, e->dst, true, e->mode);
		if (fd >= 0)
			close(fd);
		return fd < 0 ? fd : 0;
	}
	return -EINVAL;
}

/* Step 2: clone every bind source into a detached mount descriptor. */
static int clone_sources(const struct child_args *a, int *trees, int *index)
{
	for (size_t i = 0; i < a->cfg->nplan; i++) {
		const struct plan_entry *e = &a->cfg->plan[i];

		if ((e->kind != PLAN_RO && e->kind != PLAN_RW) || a->skip[i])
			continue;
		if (a->pre_trees && a->pre_trees[i] >= 0) { /* id-mapped by the runner */
			trees[i] = a->pre_trees[i];
			continue;
		}
		trees[i] = sys_open_tree(AT_FDCWD, e->src,
					 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (trees[i] < 0) {
			*index = (int)i;
			return -errno;
		}
	}
	return 0;
}

/* Steps 5-6: seal the root, then make it "/" and drop the host's tree. */
static int enter_root(int root, int *step)
{
	*step = STEP_ROOT_RO;
	if (sys_setattr(root, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) < 0)
		return -errno;
	/* new and old root on the same point; the old one is on top: detach it */
	*step = STEP_PIVOT;
	if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    syscall(SYS_umount2, ".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -errno;
	return 0;
}

/*
 * Build the new root and enter it. Steps (each reported on failure):
 *   1. propagation private   2. clone every bind source   3. staging tmpfs
 *   4. the plan, in order    5. root read-only           6. pivot_root + detach
 */
int sbx_build_root(const struct child_args *a, int *step, int *index)
{
	size_t n = a->cfg->nplan;
	int trees[SBX_MAX_PLAN];
	int root = -1, ret = 0;

	*index = -1;
	*step = STEP_PLAN;
	if (n > SBX_MAX_PLAN)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		trees[i] = -1;
	/* 1. nothing we mount propagates back to the host, and vice versa */
	*step = STEP_PRIVATE;
	if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* 2. the bind sources, while the host tree is still fully visible */
	*step = STEP_PLAN;
	ret = clone_sources(a, trees, index);
	if (ret < 0)
		goto cleanup;
	/* 2b. with a pod id range: from here on as the namespace's root (userns.c) */
	*step = STEP_IDS;
	if ((ret = sbx_userns_become_root(a)) < 0)
		goto cleanup;
	/* 3. the new root: a small tmpfs staged over /tmp (in our namespace only) */
	*step = STEP_STAGE;
	if (syscall(SYS_mount, "sbx-root", STAGE, "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=0755,size=1m,nr_inodes=4096") < 0 ||
	    (root = open(STAGE, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ret = -errno;
		goto cleanup;
	}
	/* 4. the plan, in order (do_bind consumes the source descriptor) */
	*step = STEP_PLAN;
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (a->skip[i])
			continue;
		ret = do_entry(root, &a->cfg->plan[i], trees[i]);
		trees[i] = -1;
		if (ret < 0)
			*index = (int)i;
	}
	/* 5-6. */
	if (ret == 0)
		ret = enter_root(root, step);
cleanup:
	for (size_t i = 0; i < n; i++)
		if (trees[i] >= 0)
			close(trees[i]);
	if (root >= 0)
		close(root);
	return ret;
}
