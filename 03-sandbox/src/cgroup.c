/*
 * cgroup.c — the pod's cgroups: limits for memory, pids and CPU, and a v2
 * cgroup that identifies the pod.
 *
 * Layer 03-sandbox, runner side. Builds on the cgroup file systems. Called by
 * spawn.c before the child runs and by sandbox_wait()/sandbox_destroy() after.
 *
 * Which hierarchy enforces limits:
 *   1. cgroup v2, if the runner's own v2 cgroup delegates the needed
 *      controllers (they are in its cgroup.subtree_control, or can be put there);
 *   2. otherwise cgroup v1: the memory, pids and cpu controllers, each in its
 *      own hierarchy, with the pod's cgroup created under the runner's cgroup.
 * Independently, when a cgroup2 mount exists (even one without controllers, as
 * /sys/fs/cgroup/unified on hybrid systems) the pod gets a v2 cgroup too: clone3
 * puts the init into it atomically (CLONE_INTO_CGROUP), and its inode number is
 * the id eBPF programs see from bpf_get_current_cgroup_id().
 *
 * Names: sbx-<runner pid>-<sequence>, unique among concurrent runners; names a
 * dead runner with the same pid left behind are skipped (pick_name). A
 * supervisor may give its own name instead (sandbox_cfg_set_cgroup_name()) and
 * learn the directories before the spawn (sandbox_cgroup_paths()): a
 * supervisor killed in the middle of a spawn can then have recorded what it
 * was about to create.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* One hierarchy as the runner sees it: mount point + the runner's own cgroup. */
struct hier {
	char mnt[128];
	char self[256];
	bool ok;
};

static struct hier h_v2, h_mem, h_pids, h_cpu;
static pthread_once_t h_once = PTHREAD_ONCE_INIT;
static atomic_uint cg_seq;

static bool has_opt(const char *opts, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = opts; p && *p;) {
		if (strncmp(p, want, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* Learn the mount points (first one wins) and the runner's cgroup paths. */
static void discover(void)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	char line[512];

	while (f && (m = getmntent(f))) {
		struct hier *h = NULL;

		if (strcmp(m->mnt_type, "cgroup2") == 0)
			h = &h_v2;
		else if (strcmp(m->mnt_type, "cgroup") == 0 && has_opt(m->mnt_opts, "memory"))
			h = &h_mem;
		else if (strcmp(m->mnt_type, "cgroup") == 0 && has_opt(m->mnt_opts, "pids"))
			h = &h_pids;
		else if (strcmp(m->mnt_type, "cgroup") == 0 && has_opt(m->mnt_opts, "cpu"))
			h = &h_cpu;
		if (h && !h->mnt[0] && strlen(m->mnt_dir) < sizeof(h->mnt))
			snprintf(h->mnt, sizeof(h->mnt), "%s", m->mnt_dir);
	}
	if (f)
		endmntent(f);
	/* /proc/self/cgroup lines: "ID:controllers:path"; v2 is "0::path" */
	f = fopen("/proc/self/cgroup", "re");
	while (f && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		struct hier *h = NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		if (c1[1] == '\0')
			h = &h_v2;
		else if (has_opt(c1 + 1, "memory"))
			h = &h_mem;
		else if (has_opt(c1 + 1, "pids"))
			h = &h_pids;
		else if (has_opt(c1 + 1, "cpu"))
			h = &h_cpu;
		if (h && strlen(c2 + 1) < sizeof(h->self))
			snprintf(h->self, sizeof(h->self), "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
	}
	if (f)
		fclose(f);
	h_v2.ok = h_v2.mnt[0] != '\0';
	h_mem.ok = h_mem.mnt[0] != '\0';
	h_pids.ok = h_pids.mnt[0] != '\0';
	h_cpu.ok = h_cpu.mnt[0] != '\0';
}

static int write_file(const char *dir, const char *name, const char *val)
{
	char path[512];
	int fd, ret = 0;
	size_t n = strlen(val);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, n) != (ssize_t)n)
		ret = -errno;
	close(fd);
	return ret;
}

static int read_file(const char *dir, const char *name, char *buf, size_t len)
{
	char path[512];
	int fd;
	ssize_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* Create <mnt><self>/<name> into @out. */
static int make_dir(const struct hier *h, const char *name, char *out, size_t len)
{
	if ((size_t)snprintf(out, len, "%s%s/%s", h->mnt, h->self, name) >= len)
		return -ENAMETOOLONG;
	if (mkdir(out, 0755) < 0) {
		int e = -errno;

		out[0] = '\0';
		return e;
	}
	return 0;
}

/* Does the runner's v2 cgroup delegate every controller we need? */
static bool v2_can_limit(const struct sandbox_limits *l)
{
	char dir[512], ctl[256];
	const char *need[3];
	int n = 0;

	if (l->memory_bytes)
		need[n++] = "memory";
	if (l->pids_max)
		need[n++] = "pids";
	if (l->cpu_percent)
		need[n++] = "cpu";
	if ((size_t)snprintf(dir, sizeof(dir), "%s%s", h_v2.mnt, h_v2.self) >= sizeof(dir))
		return false;
	for (int i = 0; i < n; i++) {
		char add[16];

		if (read_file(dir, "cgroup.subtree_control", ctl, sizeof(ctl)) < 0)
			return false;
		for (char *p = ctl; *p; p++)
			if (*p == ' ' || *p == '\n')
				*p = ',';
		if (has_opt(ctl, need[i]))
			continue;
		snprintf(add, sizeof(add), "+%s", need[i]);
		if (write_file(dir, "cgroup.subtree_control", add) < 0)
			return false;
	}
	return true;
}

static int v2_limits(const char *dir, const struct sandbox_limits *l)
{
	char v[64];
	int ret = 0;

	if (l->memory_bytes) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_bytes);
		ret = write_file(dir, "memory.max", v);
		if (ret == 0)
			(void)write_file(dir, "memory.swap.max",
					 "0"); /* absent without swap accounting */
	}
	if (ret == 0 && l->pids_max) {
		snprintf(v, sizeof(v), "%u", l->pids_max);
		ret = write_file(dir, "pids.max", v);
	}
	if (ret == 0 && l->cpu_percent) {
		snprintf(v, sizeof(v), "%u 100000", l->cpu_percent * 1000);
		ret = write_file(dir, "cpu.max", v);
	}
	return ret;
}

static int v1_limits(sandbox_t *sb, const char *name, const struct sandbox_limits *l,
		     struct sandbox_error *err)
{
	struct sandbox_info *in = &sb->info;
	char v[64];
	int ret;

	if (l->memory_bytes) {
		if (!h_mem.ok)
			goto nocontroller;
		ret = make_dir(&h_mem, name, in->cgroup_v1_memory, sizeof(in->cgroup_v1_memory));
		if (ret < 0)
			goto fail;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)l->memory_bytes);
		ret = write_file(in->cgroup_v1_memory, "memory.limit_in_bytes", v);
		if (ret < 0)
			goto fail;
		/* memory+swap: only present with swap accounting */
		ret = write_file(in->cgroup_v1_memory, "memory.memsw.limit_in_bytes", v);
		if (ret < 0 && ret != -ENOENT)
			goto fail;
	}
	if (l->pids_max) {
		if (!h_pids.ok)
			goto nocontroller;
		ret = make_dir(&h_pids, name, in->cgroup_v1_pids, sizeof(in->cgroup_v1_pids));
		if (ret < 0)
			goto fail;
		snprintf(v, sizeof(v), "%u", l->pids_max);
		ret = write_file(in->cgroup_v1_pids, "pids.max", v);
		if (ret < 0)
			goto fail;
	}
	if (l->cpu_percent) {
		if (!h_cpu.ok)
			goto nocontroller;
		ret = make_dir(&h_cpu, name, in->cgroup_v1_cpu, sizeof(in->cgroup_v1_cpu));
		if (ret < 0)
			goto fail;
		snprintf(v, sizeof(v), "%u", l->cpu_percent * 1000);
		ret = write_file(in->cgroup_v1_cpu, "cpu.cfs_period_us", "100000");
		if (ret == 0)
			ret = write_file(in->cgroup_v1_cpu, "cpu.cfs_quota_us", v);
		if (ret < 0)
			goto fail;
	}
	in->cgroup_mode = SANDBOX_CGROUP_V1;
	return 0;
nocontroller:
	sbx_err(err, "cgroup: no v2 delegation and no v1 controller for a requested limit");
	return -EOPNOTSUPP;
fail:
	sbx_err(err, "cgroup v1 (%s): %s", name, strerror(-ret));
	return ret;
}

/* Is <mnt><self>/<name> already taken in hierarchy @h? */
static bool name_taken(const struct hier *h, const char *name)
{
	char path[512];

	if (!h->ok)
		return false;
	snprintf(path, sizeof(path), "%s%s/%s", h->mnt, h->self, name);
	return access(path, F_OK) == 0;
}

/*
 * A name no hierarchy holds yet. The pid makes it unique among live runners,
 * the sequence among one runner's pods; but a runner that was SIGKILLed left
 * its cgroups behind, and a later runner may get the same pid: skip those
 * names instead of failing every spawn with EEXIST.
 */
static void pick_name(char *name, size_t len)
{
	for (int tries = 0; tries < 1000; tries++) {
		snprintf(name, len, "sbx-%d-%u", (int)getpid(), atomic_fetch_add(&cg_seq, 1));
		if (!name_taken(&h_v2, name) && !name_taken(&h_mem, name) &&
		    !name_taken(&h_pids, name) && !name_taken(&h_cpu, name))
			return;
	}
}

int sbx_cgroup_create(sandbox_t *sb, const struct sandbox_limits *l, int *v2_fd,
		      struct sandbox_error *err)
{
	struct sandbox_info *in = &sb->info;
	bool want = l->memory_bytes || l->pids_max || l->cpu_percent;
	char name[64];
	struct stat st;
	int ret;

	pthread_once(&h_once, discover);
	*v2_fd = -1;
	if (sb->cfg && sb->cfg->cgroup_name[0]) {
		snprintf(name, sizeof(name), "%s", sb->cfg->cgroup_name);
		if (name_taken(&h_v2, name) || name_taken(&h_mem, name) ||
		    name_taken(&h_pids, name) || name_taken(&h_cpu, name)) {
			sbx_err(err, "cgroup %s: a cgroup of that name exists", name);
			return -EEXIST;
		}
	} else {
		pick_name(name, sizeof(name));
	}
	/* 1. the v2 cgroup: identity for eBPF, and limits when delegated */
	if (h_v2.ok && make_dir(&h_v2, name, in->cgroup_v2, sizeof(in->cgroup_v2)) == 0) {
		*v2_fd = open(in->cgroup_v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*v2_fd >= 0 && fstat(*v2_fd, &st) == 0)
			in->cgroup_id = st.st_ino;
		if (want && v2_can_limit(l)) {
			ret = v2_limits(in->cgroup_v2, l);
			if (ret < 0) {
				sbx_err(err, "cgroup v2 limits in %s: %s", in->cgroup_v2,
					strerror(-ret));
				return ret;
			}
			in->cgroup_mode = SANDBOX_CGROUP_V2;
			return 0;
		}
	}
	/* 2. limits through v1 controllers */
	if (!want)
		return 0;
	return v1_limits(sb, name, l, err);
}

/*
 * Pod side: the init moves itself into its v1 cgroups. Writing "0" to the
 * "tasks" file of a hierarchy moves only the calling thread, and the kernel
 * then skips the global threadgroup lock, whose write side waits for an RCU
 * grace period: a runner writing the pid into cgroup.procs costs about a
 * millisecond per hierarchy, this costs microseconds. (v2 needs neither:
 * clone3 placed us with CLONE_INTO_CGROUP.) No malloc: runs in the child.
 */
int sbx_cgroup_join_self(const struct sandbox_info *info)
{
	const char *dirs[] = { info->cgroup_v1_memory, info->cgroup_v1_pids, info->cgroup_v1_cpu };
	char path[300];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		int fd, ret = 0;

		if (!dirs[i][0])
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/tasks", dirs[i]) >= sizeof(path))
			return -ENAMETOOLONG;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (write(fd, "0", 1) != 1)
			ret = -errno;
		close(fd);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* SIGKILL every task still in the pod's cgroup @p dir (it is the pod's own:
 * nothing else was put there). */
static void kill_members(const char *dir)
{
	char path[PATH_MAX], line[32];
	FILE *f;

	if (snprintf(path, sizeof path, "%s/cgroup.procs", dir) >= (int)sizeof path)
		return;
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		pid_t pid = (pid_t)atoi(line);
		if (pid > 1 && pid != getpid())
			kill(pid, SIGKILL);
	}
	fclose(f);
}

/*
 * rmdir, retrying every 0.5 ms for up to @p wait_ms while the last tasks are
 * leaving. A task still there after the pod's init was reaped (one that left
 * the pod's pid namespace's reach, or is still being torn down) is killed,
 * every 10 ms: a cgroup that stays busy would outlive the pod.
 */
int sandbox_cgroup_remove(const char *dir, int wait_ms)
{
	struct timespec ts = { 0, 500 * 1000 };

	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i >= 2 * wait_ms)
			return -errno;
		if (i % 20 == 0)
			kill_members(dir);
		nanosleep(&ts, NULL);
	}
}

static void remove_dir(char *dir)
{
	if (dir[0])
		sandbox_cgroup_remove(dir, 1000);
	dir[0] = '\0';
}

void sbx_cgroup_remove(sandbox_t *sb)
{
	remove_dir(sb->info.cgroup_v1_memory);
	remove_dir(sb->info.cgroup_v1_pids);
	remove_dir(sb->info.cgroup_v1_cpu);
	remove_dir(sb->info.cgroup_v2);
}

int sandbox_cgroup_paths(const char *name, char out[4][256])
{
	const struct hier *hs[4] = { &h_v2, &h_mem, &h_pids, &h_cpu };

	if (!name || !out || !sbx_cgroup_name_ok(name))
		return -EINVAL;
	pthread_once(&h_once, discover);
	for (int i = 0; i < 4; i++) {
		out[i][0] = '\0';
		if (hs[i]->ok &&
		    (size_t)snprintf(out[i], 256, "%s%s/%s", hs[i]->mnt, hs[i]->self, name) >= 256)
			return -ENAMETOOLONG;
	}
	return 0;
}
