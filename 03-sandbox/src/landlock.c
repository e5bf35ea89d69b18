/*
 * landlock.c — a Landlock ruleset that mirrors the mount plan.
 *
 * Layer 03-sandbox. Runner side: detect the ABI and decide which rights each
 * plan entry gets (sbx_landlock_rules). Pod side: open each destination in the
 * new root and restrict the init, whose domain the worker inherits
 * (sbx_landlock_apply). Builds on the landlock_* system calls (Linux >= 5.13).
 *
 * Why both mounts and Landlock: the mount tree decides what exists, Landlock
 * decides what may be done with it, enforced at a different layer of the
 * kernel (LSM hooks). A mistake in one is caught by the other; e.g. a masked
 * path un-masked by a kernel bug is still not readable beyond the rules.
 *
 *   entry       rights beneath the destination
 *   (root "/")  read dir: listing shows only what the plan put there
 *   ro          read file, read dir (+ execute unless NOEXEC)
 *   rw, tmpfs   read, write, truncate, create/remove files, dirs, fifos,
 *               sockets, symlinks, refer (no execute, no device nodes)
 *   proc        read file, read dir
 *   dev         read, write, ioctl on devices; /dev/shm as tmpfs
 * Rights the ABI knows are all "handled", so anything not granted is denied,
 * including device creation everywhere. ABI >= 6 also scopes abstract Unix
 * sockets and signals to the pod.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* Our own copy of the attribute struct (ABI 6 layout; older kernels accept
 * it as long as the fields they do not know are zero). */
struct ll_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define LL_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define LL_WRITE                                                                                   \
	(LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |                           \
	 LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR |                            \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |                              \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER |   \
	 LANDLOCK_ACCESS_FS_TRUNCATE)
#define LL_FILE_ONLY                                                                               \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

int sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

uint64_t sbx_landlock_handled(int abi)
{
	uint64_t h;

	if (abi < 1)
		return 0;
	h = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
	if (abi >= 2)
		h |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		h |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		h |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return h;
}

static uint64_t rights_of(const struct plan_entry *e)
{
	switch (e->kind) {
	case PLAN_RO:
		return LL_READ | ((e->flags & SANDBOX_MNT_NOEXEC) ? 0 : LANDLOCK_ACCESS_FS_EXECUTE);
	case PLAN_RW:
	case PLAN_TMPFS:
		return LL_READ | LL_WRITE;
	case PLAN_PROC:
		return LL_READ;
	case PLAN_DEV:
		return LL_READ | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_IOCTL_DEV;
	default:
		return 0;
	}
}

int sbx_landlock_rules(const struct sandbox_cfg *cfg, const unsigned char *skip, int abi,
		       struct ll_rule **out, size_t *n)
{
	uint64_t handled = sbx_landlock_handled(abi);
	struct ll_rule *r;
	size_t k = 0;

	/* one rule per entry, plus /dev/shm for a dev entry */
	r = calloc(cfg->nplan * 2 + 2, sizeof(*r));
	if (!r)
		return -ENOMEM;
	/* listing directories reveals nothing the plan does not already show */
	r[k++] = (struct ll_rule){ "/", LANDLOCK_ACCESS_FS_READ_DIR };
	for (size_t i = 0; i < cfg->nplan; i++) {
		const struct plan_entry *e = &cfg->plan[i];
		uint64_t acc = rights_of(e) & handled;

		if (skip[i] || !acc)
			continue;
		r[k++] = (struct ll_rule){ e->dst, acc };
		if (e->kind == PLAN_DEV)
			r[k++] =
			    (struct ll_rule){ e->dst, 0 }; /* placeholder: <dst>/shm, see apply */
	}
	*out = r;
	*n = k;
	return 0;
}

static int add_rule(int ruleset, int dirfd, const char *path, uint64_t access)
{
	struct landlock_path_beneath_attr pb = { .allowed_access = access };
	struct stat st;
	int ret = 0;

	pb.parent_fd = openat(dirfd, path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (pb.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(pb.parent_fd, &st) < 0)
		ret = -errno;
	else {
		if (!S_ISDIR(st.st_mode))
			pb.allowed_access &= LL_FILE_ONLY;
		if (pb.allowed_access &&
		    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
			ret = -errno;
	}
	close(pb.parent_fd);
	return ret;
}

/* Pod side: runs after pivot_root and NO_NEW_PRIVS. */
int sbx_landlock_apply(const struct child_args *a)
{
	struct ll_attr attr = { .handled_access_fs = sbx_landlock_handled(a->landlock_abi) };
	uint64_t rw = (LL_READ | LL_WRITE) & attr.handled_access_fs;
	int rs, ret = 0;

	if (a->landlock_abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0)
		return -errno;
	for (size_t i = 0; ret == 0 && i < a->nll; i++) {
		const struct ll_rule *r = &a->ll_rules[i];

		if (r->access)
			ret = add_rule(rs, AT_FDCWD, r->path, r->access);
		else {
			/* the /dev/shm companion of a dev entry */
			int d = open(r->path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

			if (d < 0)
				ret = -errno;
			else {
				ret = add_rule(rs, d, "shm", rw);
				close(d);
			}
		}
	}
	if (ret == 0 && syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		ret = -errno;
	close(rs);
	return ret;
}
