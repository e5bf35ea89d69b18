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
 * Without an idmap, SANDBOX_NS_USER keeps its original meaning: pod root ->
 * the runner's euid/egid, the worker ids -> themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

int sandbox_cfg_set_idmap(sandbox_cfg_t *cfg, uid_t host_uid_base, gid_t host_gid_base)
{
	if (!cfg || host_uid_base == 0 || host_gid_base == 0 ||
	    host_uid_base == (uid_t)-1 || host_gid_base == (gid_t)-1 ||
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
	if (inner == 0 || inner == outer)
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
