/*
 * rootfs.c — a pod that runs in a root file system of its own (an OCI
 * bundle's rootfs) instead of the host's files.
 *
 * Layer 07 (runner). Set with podrun_set_option(p, "rootfs", DIR) and the
 * other "rootfs-*" options; used by the OCI runtime front end (oci/). The
 * rest of the runner is unchanged: policy, rings, control socket, proxy and
 * pod DNS, seccomp, Landlock, cgroups and the audit apply as for any pod.
 *
 * What the pod sees: every top-level directory of the image bound read-only
 * and executable at the same name (its symlinks recreated), the runner's
 * /proc and /dev, a tmpfs at /tmp and at /run (the runner's control socket
 * directory is below it), the binds the engine asked for, the control
 * socket directory and, with a network, the runner's resolv.conf. The image
 * itself is never writable (what is writable is not executable, memory files
 * included: 03-sandbox's default, kept although Run allows by default). Because the
 * whole image is visible, the policy's fs, run and ffi categories must allow
 * by default and carry no path rules; a policy that says otherwise is refused
 * rather than half enforced. The environment is exactly the one given with
 * "rootfs-env" plus the runner's own variables (proxy, POD_ID): nothing of
 * the runner's environment reaches the pod.
 */
#include <dirent.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "internal.h"
#include "runtime.h"

#define RFS_MAX_BINDS 128
#define RFS_MAX_ENV 4096

struct rfs_bind {
	char *src, *dst;
	int rw;
};

struct pr_rootfs {
	char *dir;  /* host path of the image's root */
	char **env; /* the pod's environment, NAME=VALUE */
	size_t nenv;
	char *cwd, *hostname;
	int have_ids;
	uid_t uid;
	gid_t gid;
	uint32_t cpu_percent;
	uint64_t nofile, nproc, fsize;
	struct rfs_bind binds[RFS_MAX_BINDS];
	size_t nbinds;
};

static int rfs_get(struct podrun *p, struct pr_rootfs **out)
{
	if (!p->cfg.rootfs) {
		p->cfg.rootfs = calloc(1, sizeof *p->cfg.rootfs);
		if (!p->cfg.rootfs)
			return -ENOMEM;
	}
	*out = p->cfg.rootfs;
	return 0;
}

static int rfs_num(const char *v, uint64_t max, uint64_t *out)
{
	char *end = NULL;
	unsigned long long n;

	if (!v || !*v || *v == '-')
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* An absolute, normalized pod path of sane length. */
static int rfs_path_ok(const char *path)
{
	char norm[PATH_MAX];

	return path && path[0] == '/' && strlen(path) < 1024 &&
	       rt_path_normalize(path, norm, sizeof norm) == 0 && !strcmp(norm, path);
}

static int rfs_set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

/* "ro\tSRC\tDST" or "rw\tSRC\tDST" */
static int rfs_add_bind(struct pr_rootfs *r, const char *v)
{
	const char *t1, *t2;
	struct rfs_bind *b;

	if (r->nbinds >= RFS_MAX_BINDS)
		return -E2BIG;
	if (!v || (strncmp(v, "ro\t", 3) && strncmp(v, "rw\t", 3)))
		return -EINVAL;
	t1 = v + 3;
	t2 = strchr(t1, '\t');
	if (!t2 || strchr(t2 + 1, '\t'))
		return -EINVAL;
	b = &r->binds[r->nbinds];
	b->src = strndup(t1, (size_t)(t2 - t1));
	b->dst = strdup(t2 + 1);
	if (!b->src || !b->dst) {
		free(b->src);
		free(b->dst);
		return -ENOMEM;
	}
	if (b->src[0] != '/' || !rfs_path_ok(b->dst) || !strcmp(b->dst, "/")) {
		free(b->src);
		free(b->dst);
		return -EINVAL;
	}
	b->rw = v[1] == 'w';
	r->nbinds++;
	return 0;
}

int pr_rootfs_option(struct podrun *p, const char *name, const char *value)
{
	static const char *const names[] = {
		"rootfs",       "rootfs-env",   "rootfs-cwd",  "rootfs-hostname",
		"rootfs-user",  "rootfs-bind",  "cpu-percent", "rlimit-nofile",
		"rlimit-nproc", "rlimit-fsize", NULL
	};
	struct pr_rootfs *r;
	uint64_t n;
	int ret, known = 0;

	for (int i = 0; names[i] && !known; i++)
		known = !strcmp(name, names[i]);
	if (!known)
		return -ENOENT;
	if ((ret = rfs_get(p, &r)) < 0)
		return ret;
	if (!value)
		return -EINVAL;
	if (!strcmp(name, "rootfs")) {
		struct stat st;
		if (value[0] != '/' || stat(value, &st) < 0 || !S_ISDIR(st.st_mode))
			return -EINVAL;
		return rfs_set_str(&r->dir, value);
	}
	if (!strcmp(name, "rootfs-env")) {
		const char *eq = strchr(value, '=');
		if (!eq || eq == value)
			return -EINVAL;
		if (r->nenv >= RFS_MAX_ENV)
			return -E2BIG;
		return pr_strv_add(&r->env, &r->nenv, value) < 0 ? -ENOMEM : 0;
	}
	if (!strcmp(name, "rootfs-cwd"))
		return rfs_path_ok(value) ? rfs_set_str(&r->cwd, value) : -EINVAL;
	if (!strcmp(name, "rootfs-hostname")) {
		size_t len = strlen(value);
		if (len == 0 || len > 63 || strpbrk(value, "/ \t\n"))
			return -EINVAL;
		return rfs_set_str(&r->hostname, value);
	}
	if (!strcmp(name, "rootfs-user")) {
		unsigned long uid, gid;
		char *end = NULL;
		errno = 0;
		uid = strtoul(value, &end, 10);
		if (errno || end == value || *end != ':' || uid >= 65535 * 65536UL)
			return -EINVAL;
		value = end + 1;
		gid = strtoul(value, &end, 10);
		if (errno || end == value || *end || gid >= 65535 * 65536UL)
			return -EINVAL;
		r->uid = (uid_t)uid;
		r->gid = (gid_t)gid;
		r->have_ids = 1;
		return 0;
	}
	if (!strcmp(name, "rootfs-bind"))
		return rfs_add_bind(r, value);
	if (!strcmp(name, "cpu-percent")) {
		if ((ret = rfs_num(value, 100000, &n)) < 0)
			return ret;
		r->cpu_percent = (uint32_t)n;
		return 0;
	}
	if (!strcmp(name, "rlimit-nofile"))
		return rfs_num(value, 1u << 30, &r->nofile);
	if (!strcmp(name, "rlimit-nproc"))
		return rfs_num(value, 1u << 30, &r->nproc);
	if (!strcmp(name, "rlimit-fsize"))
		return rfs_num(value, UINT64_MAX, &r->fsize);
	return -ENOENT;
}

void pr_rootfs_free(struct podrun *p)
{
	struct pr_rootfs *r = p->cfg.rootfs;

	if (!r)
		return;
	free(r->dir);
	pr_strv_free(r->env, r->nenv);
	free(r->cwd);
	free(r->hostname);
	for (size_t i = 0; i < r->nbinds; i++) {
		free(r->binds[i].src);
		free(r->binds[i].dst);
	}
	free(r);
	p->cfg.rootfs = NULL;
}

/* ---- start: policy check and program ------------------------------------- */

static int rfs_refuse_cat(struct podrun *p, enum pol_cat c, const char *name)
{
	const struct pol_rule *r = NULL;
	size_t n = 0;

	if (policy_default(p->life.pol, c) != POL_ALLOW) {
		pr_seterr(p, 0,
			  "policy: %s must default to \"allow\" in a pod with its own root file "
			  "system (the whole image is its file view)",
			  name);
		return -EINVAL;
	}
	if (policy_rules(p->life.pol, c, &r, &n) == 0 && r && n) {
		pr_seterr(p, 0,
			  "policy: %s rule \"%s\" is not supported in a pod with its own root "
			  "file system",
			  name, r[0].pattern);
		return -EINVAL;
	}
	return 0;
}

/* Open @path inside the image, symlinks resolved as if the image were "/". */
static int rfs_open_in(const struct pr_rootfs *r, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT };
	int root = open(r->dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (root < 0)
		return -errno;
	fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
	if (fd < 0)
		fd = -errno;
	close(root);
	return fd;
}

static int rfs_executable(const struct pr_rootfs *r, const char *path)
{
	struct stat st;
	int fd = rfs_open_in(r, path, O_PATH), ok;

	if (fd < 0)
		return 0;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	close(fd);
	return ok;
}

static const char *rfs_env_get(const struct pr_rootfs *r, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < r->nenv; i++)
		if (!strncmp(r->env[i], name, len) && r->env[i][len] == '=')
			return r->env[i] + len + 1;
	return NULL;
}

/* After the policy is loaded: check it fits a rootfs pod, find the program in
 * the image (PATH of the pod's environment for a bare name). */
int pr_rootfs_program(struct podrun *p)
{
	struct pr_rootfs *r = p->cfg.rootfs;
	char path[PATH_MAX];
	int ret;

	if (!r->dir) {
		pr_seterr(p, 0, "rootfs options given without \"rootfs\"");
		return -EINVAL;
	}
	if (!p->cfg.program || !*p->cfg.program) {
		pr_seterr(p, 0, "no program given");
		return -EINVAL;
	}
	if ((ret = rfs_refuse_cat(p, POL_FS_READ, "fs.read")) < 0 ||
	    (ret = rfs_refuse_cat(p, POL_FS_WRITE, "fs.write")) < 0 ||
	    (ret = rfs_refuse_cat(p, POL_RUN, "run")) < 0 ||
	    (ret = rfs_refuse_cat(p, POL_FFI, "ffi")) < 0)
		return ret;
	{
		const struct pol_rule *er = NULL;
		size_t en = 0;
		if (policy_rules(p->life.pol, POL_ENV, &er, &en) == 0 && er && en) {
			pr_seterr(p, 0,
				  "policy: env rule \"%s\" is not supported in a pod with its own "
				  "root file system (its environment is the bundle's)",
				  er[0].pattern);
			return -EINVAL;
		}
	}
	p->life.kind = PR_KIND_NATIVE;
	p->cfg.serve = 0;
	p->ipc.sdk_worker = 0;
	path[0] = '\0';
	if (strchr(p->cfg.program, '/')) {
		if (p->cfg.program[0] == '/')
			snprintf(path, sizeof path, "%s", p->cfg.program);
		else
			snprintf(path, sizeof path, "%s/%s", r->cwd ? r->cwd : "", p->cfg.program);
		if (!rfs_executable(r, path))
			path[0] = '\0';
	} else {
		const char *dirs = rfs_env_get(r, "PATH");
		char *copy = strdup(
		    dirs ? dirs : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
		char *save = NULL;
		if (!copy)
			return -ENOMEM;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			if (d[0] != '/')
				continue;
			snprintf(path, sizeof path, "%s/%s", d, p->cfg.program);
			if (rfs_executable(r, path))
				break;
			path[0] = '\0';
		}
		free(copy);
	}
	if (!path[0]) {
		pr_seterr(p, 0,
			  "program %s: no executable file of that name in the root file system %s",
			  p->cfg.program, r->dir);
		return -EINVAL;
	}
	p->life.prog_abs = strdup(path);
	return p->life.prog_abs ? 0 : -ENOMEM;
}

/* ---- the sandbox configuration ------------------------------------------- */

static int rfs_cmp_bind(const void *a, const void *b)
{
	const struct rfs_bind *x = a, *y = b;

	return strcmp(x->dst, y->dst);
}

/* The image's top level: directories bound ro+exec, symlinks recreated. The
 * kernel's file systems and /tmp come from the runner instead. */
static int rfs_top_level(struct podrun *p, sandbox_cfg_t *cfg)
{
	struct pr_rootfs *r = p->cfg.rootfs;
	struct dirent **ents = NULL;
	char src[PATH_MAX], dst[PATH_MAX], target[PATH_MAX];
	int n, ret = 0;

	n = scandir(r->dir, &ents, NULL, alphasort);
	if (n < 0) {
		pr_seterr(p, errno, "root file system %s", r->dir);
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		struct stat st;
		ssize_t len;

		if (ret < 0 || !strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, "proc") ||
		    !strcmp(nm, "dev") || !strcmp(nm, "sys") || !strcmp(nm, "tmp") ||
		    !strcmp(nm, "run"))
			goto next;
		snprintf(src, sizeof src, "%s/%s", r->dir, nm);
		snprintf(dst, sizeof dst, "/%s", nm);
		if (lstat(src, &st) < 0)
			goto next;
		if (S_ISLNK(st.st_mode)) {
			len = readlink(src, target, sizeof target - 1);
			if (len <= 0)
				goto next;
			target[len] = '\0';
			ret = sandbox_plan_symlink(cfg, target, dst);
		} else if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
			ret = sandbox_plan_ro(cfg, src, dst, 0);
		}
		if (ret < 0)
			pr_seterr(p, ret, "mount plan: %s", dst);
	next:
		free(ents[i]);
	}
	free(ents);
	return ret;
}

static int rfs_env(struct podrun *p, char ***out, size_t *nout)
{
	struct pr_rootfs *r = p->cfg.rootfs;
	char **env = NULL, **infra = NULL, buf[512];
	size_t n = 0, ni = 0;
	int ret = 0;

	if (p->net.podnet)
		for (const char *const *e = podnet_env(p->net.podnet); e && *e; e++)
			ret |= pr_strv_add(&infra, &ni, *e);
	snprintf(buf, sizeof buf, "POD_ID=%s", p->life.id);
	ret |= pr_strv_add(&infra, &ni, buf);
	for (size_t i = 0; ret >= 0 && i < r->nenv; i++) {
		size_t len = (size_t)(strchr(r->env[i], '=') - r->env[i]);
		int reserved = 0;
		for (size_t j = 0; j < ni && !reserved; j++)
			reserved = !strncmp(infra[j], r->env[i], len) && infra[j][len] == '=';
		if (!reserved)
			ret |= pr_strv_add(&env, &n, r->env[i]);
	}
	for (size_t i = 0; ret >= 0 && i < ni; i++)
		ret |= pr_strv_add(&env, &n, infra[i]);
	pr_strv_free(infra, ni);
	if (ret < 0) {
		pr_strv_free(env, n);
		return -ENOMEM;
	}
	if (!env && pr_strv_add(&env, &n, buf) < 0)
		return -ENOMEM;
	*out = env;
	*nout = n;
	return 0;
}

int pr_rootfs_sandbox(struct podrun *p, sandbox_cfg_t *cfg)
{
	struct pr_rootfs *r = p->cfg.rootfs;
	struct sandbox_limits lim;
	char **argv = NULL, **env = NULL;
	size_t nargv = 0, nenv = 0;
	int ret;

	/* 1. The image, the kernel's file systems, scratch space. */
	ret = rfs_top_level(p, cfg);
	if (ret >= 0)
		ret = sandbox_plan_proc(cfg, "/proc");
	if (ret >= 0)
		ret = sandbox_plan_dev(cfg, "/dev");
	if (ret >= 0)
		ret = sandbox_plan_tmpfs(cfg, "/tmp", 64u << 20, 01777);
	if (ret >= 0)
		ret = sandbox_plan_tmpfs(cfg, "/run", 16u << 20, 0755);
	/* 2. The engine's binds, parents first; then the runner's own files. */
	qsort(r->binds, r->nbinds, sizeof *r->binds, rfs_cmp_bind);
	for (size_t i = 0; ret >= 0 && i < r->nbinds; i++) {
		const struct rfs_bind *b = &r->binds[i];
		if (p->net.podnet && !strcmp(b->dst, "/etc/resolv.conf"))
			continue; /* the pod's resolver is the runner's (below) */
		ret = b->rw ? sandbox_plan_rw(cfg, b->src, b->dst, 0)
			    : sandbox_plan_ro(cfg, b->src, b->dst, SANDBOX_MNT_NOEXEC);
		if (ret >= 0)
			PR_AUDIT(p, .kind = PR_EV_MOUNT, .src = "policy", .cat = PR_FS,
				 .act = PR_INFO, .what = b->dst, .rule = "bundle",
				 .u.mount = { b->rw ? "rw" : "ro", 0 });
		else
			pr_seterr(p, ret, "mount plan: %s", b->dst);
	}
	if (ret >= 0)
		ret = sandbox_plan_ro(cfg, ipc_runner_dir(p->ipc.runner),
				      ipc_runner_dir(p->ipc.runner), SANDBOX_MNT_NOEXEC);
	if (ret >= 0 && p->net.podnet && p->net.resolv_path[0])
		ret = sandbox_plan_ro(cfg, p->net.resolv_path, "/etc/resolv.conf",
				      SANDBOX_MNT_NOEXEC);
	if (ret < 0) {
		if (!p->life.err[0])
			pr_seterr(p, ret, "mount plan");
		return ret;
	}

	/* 3. Program, working directory, environment, identity. */
	ret = pr_strv_add(&argv, &nargv, p->cfg.program);
	for (size_t i = 0; ret >= 0 && i < p->cfg.nargs; i++)
		ret = pr_strv_add(&argv, &nargv, p->cfg.args[i]);
	if (ret >= 0)
		ret = sandbox_cfg_set_exec(cfg, p->life.prog_abs, argv);
	if (ret >= 0)
		ret = sandbox_cfg_set_cwd(cfg, r->cwd ? r->cwd : "/");
	if (ret >= 0)
		ret = rfs_env(p, &env, &nenv);
	if (ret >= 0)
		ret = sandbox_cfg_set_env(cfg, env);
	if (ret >= 0 && r->have_ids)
		ret = sandbox_cfg_set_ids(cfg, r->uid, r->gid);
	if (ret >= 0 && r->hostname)
		ret = sandbox_cfg_set_hostname(cfg, r->hostname);
	pr_strv_free(argv, nargv);
	pr_strv_free(env, nenv);
	if (ret < 0) {
		pr_seterr(p, ret, "sandbox: program/environment");
		return ret;
	}

	/* 4. Limits, Landlock mirroring the plan, seccomp. */
	sandbox_limits_default(&lim);
	lim.memory_bytes = p->cfg.memory;
	lim.pids_max = p->cfg.pids;
	lim.cpu_percent = r->cpu_percent;
	if (r->nofile)
		lim.nofile = r->nofile;
	if (r->nproc)
		lim.nproc = r->nproc;
	if (r->fsize)
		lim.fsize_bytes = r->fsize;
	ret = sandbox_cfg_set_limits(cfg, &lim);
	if (ret >= 0)
		ret = sandbox_cfg_set_landlock(cfg, SANDBOX_LANDLOCK_BEST_EFFORT);
	if (ret >= 0)
		ret = sandbox_cfg_set_seccomp(cfg, true);
	if (ret < 0)
		pr_seterr(p, ret, "sandbox: limits");
	return ret;
}
