/*
 * cfg.c — the pod description: mount plan, program, identity, limits.
 *
 * Layer 03-sandbox, runner side. Builds on libc only. 07-runner fills a
 * sandbox_cfg_t from the normalized policy; spawn.c reads it. Every path is
 * validated and normalized here, once, so the pod-side code can trust it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "sandbox_path.h"

#define DEFAULT_TMPFS_SIZE (64ull << 20)
#define MAX_CHILD_FD 1023

void sbx_err(struct sandbox_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

const char *sbx_step_name(int step)
{
	static const char *const names[] = {
		[STEP_FDS] = "descriptors",
		[STEP_SETSID] = "setsid",
		[STEP_HOSTNAME] = "sethostname",
		[STEP_LOOPBACK] = "loopback up",
		[STEP_CGROUP_JOIN] = "join cgroups",
		[STEP_CGROUPNS] = "cgroup namespace",
		[STEP_PRIVATE] = "mount propagation",
		[STEP_STAGE] = "root tmpfs",
		[STEP_PLAN] = "mount plan",
		[STEP_ROOT_RO] = "root read-only",
		[STEP_PIVOT] = "pivot_root",
		[STEP_RLIMIT] = "rlimits",
		[STEP_CAPS] = "capabilities",
		[STEP_IDS] = "uid/gid",
		[STEP_CWD] = "working directory",
		[STEP_NNP] = "no_new_privs",
		[STEP_LANDLOCK] = "landlock",
		[STEP_SECCOMP] = "seccomp",
		[STEP_FORK] = "fork worker",
		[STEP_MEMFD] = "vm.memfd_noexec",
		[STEP_EXEC] = "execve",
	};
	if (step <= 0 || step >= (int)(sizeof(names) / sizeof(names[0])) || !names[step])
		return "setup";
	return names[step];
}

/* Normalize an absolute path lexically into a fresh string: collapse "//",
 * drop ".", reject ".." (a plan never needs it and it invites confusion). */
static int norm_path(const char *in, char **out)
{
	size_t n;
	char *p;
	int ret;

	if (!in)
		return -EINVAL;
	n = strlen(in);
	if (n >= PATH_MAX)
		return -ENAMETOOLONG;
	p = malloc(n + 2);
	if (!p)
		return -ENOMEM;
	ret = sb_path_normalize(in, n, p, n + 2, SB_PATH_NO_DOTDOT);
	if (ret < 0) {
		free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void sandbox_limits_default(struct sandbox_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->nofile = 1024;
	l->nproc = 4096;
	l->fsize_bytes = UINT64_MAX;
}

int sandbox_cfg_new(sandbox_cfg_t **out)
{
	sandbox_cfg_t *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->cwd = strdup("/");
	c->hostname = strdup("pod");
	c->envp = calloc(1, sizeof(char *));
	if (!c->cwd || !c->hostname || !c->envp) {
		sandbox_cfg_free(c);
		return -ENOMEM;
	}
	c->uid = 65534;
	c->gid = 65534;
	c->ns = SANDBOX_NS_DEFAULT;
	c->seccomp = true;
	c->landlock = SANDBOX_LANDLOCK_BEST_EFFORT;
	sandbox_limits_default(&c->limits);
	*out = c;
	return 0;
}

static void free_vec(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void sandbox_cfg_free(sandbox_cfg_t *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->nplan; i++) {
		free(cfg->plan[i].src);
		free(cfg->plan[i].dst);
	}
	free(cfg->plan);
	for (size_t i = 0; i < cfg->nfds; i++)
		close(cfg->fds[i].parent_fd);
	free(cfg->fds);
	free(cfg->path);
	free_vec(cfg->argv);
	free_vec(cfg->envp);
	free(cfg->cwd);
	free(cfg->hostname);
	free(cfg);
}

/* Append one entry; takes ownership of src/dst on success. */
static int plan_push(sandbox_cfg_t *cfg, struct plan_entry *e)
{
	if (cfg->nplan >= SBX_MAX_PLAN)
		return -E2BIG;
	if (cfg->nplan == cfg->capplan) {
		size_t cap = cfg->capplan ? cfg->capplan * 2 : 16;
		struct plan_entry *p = realloc(cfg->plan, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		cfg->plan = p;
		cfg->capplan = cap;
	}
	cfg->plan[cfg->nplan++] = *e;
	return 0;
}

/* Common constructor: normalize paths, reject "/" as a destination. */
static int plan_add(sandbox_cfg_t *cfg, int kind, const char *src, bool src_is_path,
		    const char *dst, unsigned flags, uint64_t size, unsigned mode)
{
	struct plan_entry e = { .kind = kind, .flags = flags, .size = size, .mode = mode };
	int ret;

	if (!cfg || !dst)
		return -EINVAL;
	ret = norm_path(dst, &e.dst);
	if (ret < 0)
		return ret;
	if (strcmp(e.dst, "/") == 0) {
		ret = -EINVAL;
		goto cleanup;
	}
	if (src && src_is_path) {
		ret = norm_path(src, &e.src);
		if (ret < 0)
			goto cleanup;
	} else if (src) {
		e.src = strdup(src);
		if (!e.src) {
			ret = -ENOMEM;
			goto cleanup;
		}
	}
	ret = plan_push(cfg, &e);
	if (ret == 0)
		return 0;
cleanup:
	free(e.src);
	free(e.dst);
	return ret;
}

int sandbox_plan_ro(sandbox_cfg_t *cfg, const char *src, const char *dst, unsigned flags)
{
	if (!src || (flags & ~(SANDBOX_MNT_OPTIONAL | SANDBOX_MNT_NOEXEC)))
		return -EINVAL;
	return plan_add(cfg, PLAN_RO, src, true, dst ? dst : src, flags, 0, 0);
}

int sandbox_plan_rw(sandbox_cfg_t *cfg, const char *src, const char *dst, unsigned flags)
{
	if (!src || (flags & ~SANDBOX_MNT_OPTIONAL))
		return -EINVAL;
	return plan_add(cfg, PLAN_RW, src, true, dst ? dst : src, flags, 0, 0);
}

int sandbox_plan_tmpfs(sandbox_cfg_t *cfg, const char *dst, uint64_t size_bytes, unsigned mode)
{
	if (mode & ~07777u)
		return -EINVAL;
	return plan_add(cfg, PLAN_TMPFS, NULL, false, dst, 0,
			size_bytes ? size_bytes : DEFAULT_TMPFS_SIZE, mode);
}

int sandbox_plan_proc(sandbox_cfg_t *cfg, const char *dst)
{
	return plan_add(cfg, PLAN_PROC, NULL, false, dst, 0, 0, 0);
}

int sandbox_plan_dev(sandbox_cfg_t *cfg, const char *dst)
{
	return plan_add(cfg, PLAN_DEV, NULL, false, dst, 0, 0, 0);
}

int sandbox_plan_mask(sandbox_cfg_t *cfg, const char *dst)
{
	return plan_add(cfg, PLAN_MASK, NULL, false, dst, 0, 0, 0);
}

int sandbox_plan_symlink(sandbox_cfg_t *cfg, const char *target, const char *dst)
{
	if (!target || !*target || strlen(target) >= PATH_MAX)
		return -EINVAL;
	return plan_add(cfg, PLAN_SYMLINK, target, false, dst, 0, 0, 0);
}

int sandbox_plan_dir(sandbox_cfg_t *cfg, const char *dst, unsigned mode)
{
	if (mode & ~07777u)
		return -EINVAL;
	return plan_add(cfg, PLAN_DIR, NULL, false, dst, 0, 0, mode);
}

/* Copy a NULL-terminated vector; @check_env demands NAME=value entries. */
static int copy_vec(char *const in[], bool check_env, char ***out)
{
	size_t n = 0;
	char **v;

	while (in && in[n])
		n++;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (check_env && (!strchr(in[i], '=') || in[i][0] == '=')) {
			free_vec(v);
			return -EINVAL;
		}
		v[i] = strdup(in[i]);
		if (!v[i]) {
			free_vec(v);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

int sandbox_cfg_set_exec(sandbox_cfg_t *cfg, const char *path, char *const argv[])
{
	char **v = NULL, *p = NULL;
	int ret;

	if (!cfg || !argv || !argv[0])
		return -EINVAL;
	if (!path)
		path = argv[0];
	if (path[0] != '/')
		return -EINVAL;
	ret = norm_path(path, &p);
	if (ret < 0)
		return ret;
	ret = copy_vec(argv, false, &v);
	if (ret < 0) {
		free(p);
		return ret;
	}
	free(cfg->path);
	free_vec(cfg->argv);
	cfg->path = p;
	cfg->argv = v;
	return 0;
}

int sandbox_cfg_set_env(sandbox_cfg_t *cfg, char *const envp[])
{
	char **v;
	int ret;

	if (!cfg)
		return -EINVAL;
	ret = copy_vec(envp, true, &v);
	if (ret < 0)
		return ret;
	free_vec(cfg->envp);
	cfg->envp = v;
	return 0;
}

int sandbox_cfg_set_cwd(sandbox_cfg_t *cfg, const char *cwd)
{
	char *p;
	int ret;

	if (!cfg)
		return -EINVAL;
	ret = norm_path(cwd, &p);
	if (ret < 0)
		return ret;
	free(cfg->cwd);
	cfg->cwd = p;
	return 0;
}

int sandbox_cfg_set_ids(sandbox_cfg_t *cfg, uid_t uid, gid_t gid)
{
	if (!cfg || uid == (uid_t)-1 || gid == (gid_t)-1)
		return -EINVAL;
	cfg->uid = uid;
	cfg->gid = gid;
	return 0;
}

int sandbox_cfg_set_hostname(sandbox_cfg_t *cfg, const char *name)
{
	char *p;
	size_t n = name ? strlen(name) : 0;

	if (!cfg || n == 0 || n > 63)
		return -EINVAL;
	p = strdup(name);
	if (!p)
		return -ENOMEM;
	free(cfg->hostname);
	cfg->hostname = p;
	return 0;
}

int sandbox_cfg_add_fd(sandbox_cfg_t *cfg, int parent_fd, int child_fd)
{
	int fd;

	if (!cfg || parent_fd < 0 || child_fd < 0 || child_fd > MAX_CHILD_FD)
		return -EINVAL;
	for (size_t i = 0; i < cfg->nfds; i++)
		if (cfg->fds[i].child_fd == child_fd)
			return -EEXIST;
	if (cfg->nfds == cfg->capfds) {
		size_t cap = cfg->capfds ? cfg->capfds * 2 : 8;
		struct fd_map *p = realloc(cfg->fds, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		cfg->fds = p;
		cfg->capfds = cap;
	}
	fd = fcntl(parent_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	cfg->fds[cfg->nfds].parent_fd = fd;
	cfg->fds[cfg->nfds].child_fd = child_fd;
	cfg->nfds++;
	return 0;
}

int sandbox_cfg_set_namespaces(sandbox_cfg_t *cfg, unsigned ns)
{
	const unsigned all = SANDBOX_NS_DEFAULT | SANDBOX_NS_USER;

	if (!cfg || (ns & ~all))
		return -EINVAL;
	cfg->ns = ns | SANDBOX_NS_MOUNT | SANDBOX_NS_PID;
	return 0;
}

int sandbox_cfg_set_seccomp(sandbox_cfg_t *cfg, bool on)
{
	if (!cfg)
		return -EINVAL;
	cfg->seccomp = on;
	return 0;
}

int sandbox_cfg_set_memfd_exec(sandbox_cfg_t *cfg, bool allow)
{
	if (!cfg)
		return -EINVAL;
	cfg->memfd_exec = allow;
	return 0;
}

int sandbox_cfg_set_exec_notify(sandbox_cfg_t *cfg, bool on)
{
	if (!cfg)
		return -EINVAL;
	cfg->exec_notify = on;
	return 0;
}

int sandbox_cfg_set_landlock(sandbox_cfg_t *cfg, int mode)
{
	if (!cfg || mode < SANDBOX_LANDLOCK_OFF || mode > SANDBOX_LANDLOCK_REQUIRED)
		return -EINVAL;
	cfg->landlock = mode;
	return 0;
}

/* A cgroup name: 1-63 of [A-Za-z0-9_.-], not starting with '.' (no "..", no
 * hidden or special names, nothing a path could be made of). */
bool sbx_cgroup_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.'))
			return false;
	}
	return true;
}

int sandbox_cfg_set_cgroup_name(sandbox_cfg_t *cfg, const char *name)
{
	if (!cfg || !name || !sbx_cgroup_name_ok(name))
		return -EINVAL;
	snprintf(cfg->cgroup_name, sizeof(cfg->cgroup_name), "%s", name);
	return 0;
}

int sandbox_cfg_set_limits(sandbox_cfg_t *cfg, const struct sandbox_limits *l)
{
	struct rlimit cur;

	if (!cfg || !l || l->nofile == 0 || l->nproc == 0 || l->fsize_bytes == 0)
		return -EINVAL;
	if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
	    l->nofile > cur.rlim_max)
		return -EINVAL;
	cfg->limits = *l;
	return 0;
}

void sandbox_cfg_set_log(sandbox_cfg_t *cfg, sandbox_log_fn fn, void *ctx)
{
	if (!cfg)
		return;
	cfg->log = fn;
	cfg->log_ctx = ctx;
}
