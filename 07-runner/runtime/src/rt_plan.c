/*
 * rt_plan.c — the per-kind plans of the runtime discovery module (07-runner).
 *
 * rt_plan_new() turns "PROGRAM ARGS" into an argv for inside the pod, the
 * environment additions, the read-only mounts, the exec-allowed paths and the
 * FFI-trusted list. It reads the machine (ELF headers via rt_elf.c, the system
 * Python via rt_util.c) rather than a list of this machine's paths; see
 * runtime.h for the in-pod layout.
 *
 * Builds on rt_elf.c and rt_util.c. Used by 07-runner's spawn step, the podrt
 * tool and the tests.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h" /* POL_DEFAULT_PATH only */
#include "rt_internal.h"

#define MAX_SHEBANG_DEPTH 4

struct rt_plan {
	enum rt_kind kind;
	char program[PATH_MAX];  /* host realpath of PROGRAM */
	char app_host[PATH_MAX]; /* host directory shown at /pod/app */
	int app_is_dir;          /* 1: the whole directory is mounted at /pod/app */
	struct strv argv, env, exec, trusted;
	struct rt_mount *mounts; /* host/pod strings are malloc'd, owned here */
	size_t nmounts, capmounts;
	/* configuration, defaults resolved */
	char top[PATH_MAX];
	const struct rt_config *cfg;
};

/* ---- mounts ---------------------------------------------------------------- */

static int add_mount(rt_plan_t *p, const char *host, const char *pod, int is_dir)
{
	for (size_t i = 0; i < p->nmounts; i++)
		if (strcmp(p->mounts[i].pod, pod) == 0)
			return strcmp(p->mounts[i].host, host) == 0 ? 0 : -EEXIST;
	if (p->nmounts == p->capmounts) {
		size_t cap = p->capmounts ? p->capmounts * 2 : 32;
		struct rt_mount *m = realloc(p->mounts, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		p->mounts = m;
		p->capmounts = cap;
	}
	char *h = strdup(host), *d = strdup(pod);
	if (!h || !d) {
		free(h);
		free(d);
		return -ENOMEM;
	}
	p->mounts[p->nmounts++] = (struct rt_mount){ .host = h, .pod = d, .is_dir = is_dir };
	return 0;
}

/* Mount an existing host path (file or directory) at @p pod; symlinks resolved. */
static int mount_path(rt_plan_t *p, const char *host, const char *pod, struct rt_error *err)
{
	char real[PATH_MAX];
	struct stat st;
	if (!realpath(host, real) || stat(real, &st) < 0)
		return rt_fail(err, -errno, "%s: %s", host, strerror(errno));
	int ret = add_mount(p, real, pod, S_ISDIR(st.st_mode));
	if (ret == -EEXIST)
		return rt_fail(err, ret, "%s: two different files for pod path %s", host, pod);
	return ret;
}

static int cmp_mount(const void *a, const void *b)
{
	return strcmp(((const struct rt_mount *)a)->pod, ((const struct rt_mount *)b)->pod);
}

/* Sort (parents first) and drop files that a same-path directory mount shows anyway. */
static void finish_mounts(rt_plan_t *p)
{
	qsort(p->mounts, p->nmounts, sizeof(*p->mounts), cmp_mount);
	size_t out = 0;
	for (size_t i = 0; i < p->nmounts; i++) {
		int covered = 0;
		for (size_t j = 0; j < out && !covered; j++) {
			const struct rt_mount *d = &p->mounts[j];
			covered = d->is_dir && strcmp(d->host, d->pod) == 0 &&
				  strcmp(d->pod, p->mounts[i].pod) != 0 &&
				  rt_path_under(p->mounts[i].pod, d->pod) &&
				  strcmp(p->mounts[i].pod, p->mounts[i].host) == 0;
		}
		if (covered) {
			free((char *)p->mounts[i].host);
			free((char *)p->mounts[i].pod);
		} else {
			p->mounts[out++] = p->mounts[i];
		}
	}
	p->nmounts = out;
}

/* ---- library closures ------------------------------------------------------- */

struct closure_ctx {
	rt_plan_t *p;
	int trusted;          /* add every library to the FFI-trusted list */
	int ret;              /* first error */
	struct strv *interps; /* ELF interpreters seen (for exec paths), or NULL */
};

/* Pod path of a host file: under the worker's directory -> /pod/app/..., else itself. */
static int pod_path_of(const rt_plan_t *p, const char *found, char *out, size_t cap, int *in_app)
{
	*in_app = 0;
	if (p->app_host[0] && rt_path_under(found, p->app_host)) {
		*in_app = 1;
		int n = snprintf(out, cap, "%s%s", RT_POD_APP, found + strlen(p->app_host));
		return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
	}
	int n = snprintf(out, cap, "%s", found);
	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

static void closure_cb(const char *found, const char *real, void *arg)
{
	struct closure_ctx *c = arg;
	char pod[PATH_MAX];
	int in_app = 0;
	if (c->ret < 0)
		return;
	c->ret = pod_path_of(c->p, found, pod, sizeof(pod), &in_app);
	if (c->ret == 0 && !(in_app && c->p->app_is_dir))
		c->ret = add_mount(c->p, real, pod, 0);
	if (c->ret == 0 && c->trusted && !strv_contains(&c->p->trusted, pod))
		c->ret = strv_push(&c->p->trusted, pod);
}

/* An ELF interpreter a module names: it may be exec'd. */
static void closure_interp(const char *interp, void *arg)
{
	struct closure_ctx *c = arg;
	if (c->ret == 0 && !strv_contains(&c->p->exec, interp))
		c->ret = strv_push(&c->p->exec, interp);
}

/* Mount everything the ELF file @p host needs; record its interpreter for exec. */
static int mount_closure(rt_plan_t *p, const char *host, int trusted, struct rt_error *err)
{
	struct closure_ctx c = { .p = p, .trusted = trusted };
	struct rt_elf e;
	int ret = rt_elf_closure(host, closure_cb, &c, err);
	if (ret < 0)
		return ret;
	if (c.ret < 0)
		return rt_fail(err, c.ret, "%s: planning its libraries: %s", host,
			       strerror(-c.ret));
	if (rt_elf_read(host, &e) == 0) {
		if (e.interp[0] && !strv_contains(&p->exec, e.interp))
			ret = strv_push(&p->exec, e.interp);
		rt_elf_clear(&e);
	}
	return ret < 0 ? ret : 0;
}

/* ---- the program ------------------------------------------------------------ */

static int find_in_path(const char *name, const char *path_list, char *out, size_t cap)
{
	char *copy = strdup(path_list), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int ret = -ENOENT;
	for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];
		if (d[0] != '/' || rt_path_join(d, name, cand, sizeof(cand)) < 0)
			continue;
		if (access(cand, X_OK) == 0) {
			snprintf(out, cap, "%s", cand);
			ret = 0;
			break;
		}
	}
	free(copy);
	return ret;
}

/* 1. Find PROGRAM on the host and decide which host directory is /pod/app. */
static int locate_program(rt_plan_t *p, const char *program, struct rt_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	const char *search = p->cfg->search_path ? p->cfg->search_path : POL_DEFAULT_PATH;
	if (!program || !*program)
		return rt_fail(err, -ENOENT, "no program given");
	if (!strchr(program, '/') && (p->kind == RT_KIND_NATIVE || access(program, F_OK) != 0)) {
		if (find_in_path(program, search, path, sizeof(path)) < 0)
			return rt_fail(err, -ENOENT, "%s: not found in %s", program, search);
	} else {
		snprintf(path, sizeof(path), "%s", program);
	}
	if (!realpath(path, p->program) || stat(p->program, &st) < 0)
		return rt_fail(err, -errno, "%s: %s", program, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rt_fail(err, -ENOENT, "%s: not a regular file", program);
	if (p->kind == RT_KIND_NATIVE && access(p->program, X_OK) != 0)
		return rt_fail(err, -EACCES, "%s: not executable", program);
	rt_path_dirname(p->program, p->app_host, sizeof(p->app_host));
	p->app_is_dir = p->kind != RT_KIND_NATIVE;
	if (p->app_is_dir)
		return mount_path(p, p->app_host, RT_POD_APP, err);
	return 0;
}

/* Pod path of the program itself. */
static void program_pod_path(const rt_plan_t *p, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", RT_POD_APP, strrchr(p->program, '/') + 1);
}

/* Append the worker_args and the user's args. */
static int push_args(rt_plan_t *p, char *const args[])
{
	int ret = 0;
	for (char *const *a = p->cfg->worker_args; a && *a && ret == 0; a++)
		ret = strv_push(&p->argv, *a);
	for (char *const *a = args; a && *a && ret == 0; a++)
		ret = strv_push(&p->argv, *a);
	return ret;
}

/* A project file the pod needs: must exist; mounted at @p pod. */
static int project_file(rt_plan_t *p, const char *cfg_path, const char *rel, const char *pod,
			const char *what, struct rt_error *err)
{
	char path[PATH_MAX];
	if (cfg_path)
		snprintf(path, sizeof(path), "%s", cfg_path);
	else if (rt_path_join(p->top, rel, path, sizeof(path)) < 0)
		return rt_fail(err, -ENAMETOOLONG, "%s: path too long", what);
	if (access(path, F_OK) != 0)
		return rt_fail(err, -ENOENT, "%s not found at %s (is it built?)", what, path);
	return mount_path(p, path, pod, err);
}

/* An SDK folder of 02-ipc: mounted when present. A worker that does not use the
 * SDK runs without it; one that does fails at its import, naming the module. An
 * explicitly configured folder must exist. */
static int sdk_dir(rt_plan_t *p, const char *cfg_path, const char *rel, const char *pod,
		   const char *what, struct rt_error *err)
{
	char path[PATH_MAX];
	if (cfg_path)
		return project_file(p, cfg_path, rel, pod, what, err);
	if (rt_path_join(p->top, rel, path, sizeof(path)) < 0 || access(path, F_OK) != 0)
		return 0;
	return mount_path(p, path, pod, err);
}

/* The FFI gate: LD_AUDIT library, socket, trusted list (all kinds). */
static int plan_ffi(rt_plan_t *p, struct rt_error *err)
{
	const char *lib = p->cfg->audit_lib;
	int ret;
	if (lib && !*lib)
		return 0; /* gates off */
	if ((ret = project_file(p, lib, "07-runner/ldaudit/build/libpodaudit.so", RT_POD_AUDIT_LIB,
				"LD_AUDIT library", err)) < 0)
		return ret;
	/* the audit namespace loads its own libc: make sure it is visible */
	for (size_t i = 0; i < p->nmounts; i++)
		if (strcmp(p->mounts[i].pod, RT_POD_AUDIT_LIB) == 0) {
			char host[PATH_MAX];
			snprintf(host, sizeof(host), "%s", p->mounts[i].host);
			if ((ret = mount_closure(p, host, 0, err)) < 0)
				return ret;
			break;
		}
	if ((ret = strv_pushf(&p->env, "LD_AUDIT=%s", RT_POD_AUDIT_LIB)) < 0 ||
	    (ret = strv_push(&p->env, "POD_FFI_GATE=1")) < 0)
		return ret;
	if (p->cfg->ffi_socket &&
	    (ret = strv_pushf(&p->env, "POD_FFI_SOCKET=%s", p->cfg->ffi_socket)) < 0)
		return ret;
	/* POD_FFI_TRUSTED=a:b:dir/ */
	size_t len = 0;
	for (size_t i = 0; i < p->trusted.n; i++)
		len += strlen(p->trusted.v[i]) + 1;
	char *joined = calloc(1, len + 1);
	if (!joined)
		return -ENOMEM;
	for (size_t i = 0; i < p->trusted.n; i++) {
		if (i)
			strcat(joined, ":");
		strcat(joined, p->trusted.v[i]);
	}
	ret = strv_pushf(&p->env, "POD_FFI_TRUSTED=%s", joined);
	free(joined);
	return ret;
}

static int ring_lib(rt_plan_t *p, struct rt_error *err)
{
	int ret = 0;
	const char *rel = "01-ring/build/libring.so";
	char path[PATH_MAX];
	/* a SAN build keeps its (uninstrumented) libring.so under build/san */
	if (!p->cfg->ring_lib && rt_path_join(p->top, rel, path, sizeof(path)) == 0 &&
	    access(path, F_OK) != 0)
		rel = "01-ring/build/san/libring.so";
	if ((ret = project_file(p, p->cfg->ring_lib, rel, RT_POD_RING_LIB, "libring.so", err)) < 0)
		return ret;
	if ((ret = strv_push(&p->trusted, RT_POD_RING_LIB)) < 0)
		return ret;
	return strv_pushf(&p->env, "POD_RING_LIB=%s", RT_POD_RING_LIB);
}

/* ---- per kind ----------------------------------------------------------------- */

static int plan_python(rt_plan_t *p, char *const args[], struct rt_error *err)
{
	struct rt_pyinfo py;
	const char *python = p->cfg->python ? p->cfg->python : "/usr/bin/python3";
	char app[PATH_MAX];
	int ret;

	/* 1. the interpreter describes itself (trusted system binary) */
	if ((ret = rt_python_describe(python, &py)) < 0)
		return rt_fail(err, ret, "%s: could not ask it for its paths (%s)", python,
			       strerror(-ret));
	/* 2. interpreter + its libraries, the stdlib and site directories */
	if ((ret = mount_path(p, py.executable, py.executable, err)) < 0 ||
	    (ret = mount_closure(p, py.executable, 1, err)) < 0)
		goto cleanup;
	for (size_t i = 0; i < py.dirs.n && ret == 0; i++)
		ret = mount_path(p, py.dirs.v[i], py.dirs.v[i], err);
	/* 3. extension modules of the stdlib: their libraries, all FFI-trusted */
	for (size_t i = 0; i < py.dynload.n && ret == 0; i++) {
		struct closure_ctx c = { .p = p, .trusted = 1 };
		if ((ret = mount_path(p, py.dynload.v[i], py.dynload.v[i], err)) < 0 ||
		    (ret = strv_pushf(&p->trusted, "%s/", py.dynload.v[i])) < 0)
			break;
		/* the same as mount_closure() on each module, cached (rt_cache.c) */
		ret = rt_dynload_closure(py.dynload.v[i], closure_cb, closure_interp, &c, err);
		if (ret == 0 && c.ret < 0)
			ret = rt_fail(err, c.ret, "%s: planning its libraries: %s", py.dynload.v[i],
				      strerror(-c.ret));
	}
	if (ret < 0)
		goto cleanup;
	/* 4. the project's files: SDK, FFI bootstrap, libring.so */
	if ((ret = sdk_dir(p, p->cfg->python_sdk, "02-ipc/python", RT_POD_SDK_PYTHON, "Python SDK",
			   err)) < 0 ||
	    (ret = project_file(p, NULL, "07-runner/ldaudit/boot", RT_POD_BOOT, "FFI bootstrap",
				err)) < 0 ||
	    (ret = ring_lib(p, err)) < 0)
		goto cleanup;
	/* 5. argv: python -I BOOT SCRIPT worker-args args */
	program_pod_path(p, app, sizeof(app));
	if ((ret = strv_push(&p->argv, py.executable)) < 0 ||
	    (ret = strv_push(&p->argv, "-I")) < 0 ||
	    (ret = strv_pushf(&p->argv, "%s/podboot.py", RT_POD_BOOT)) < 0 ||
	    (ret = strv_push(&p->argv, app)) < 0 || (ret = push_args(p, args)) < 0)
		goto cleanup;
	/* 6. environment and exec */
	if ((ret = strv_pushf(&p->env, "PYTHONPATH=%s", RT_POD_SDK_PYTHON)) < 0 ||
	    (ret = strv_push(&p->env, "PYTHONDONTWRITEBYTECODE=1")) < 0 ||
	    (ret = strv_push(&p->exec, py.executable)) < 0)
		goto cleanup;
cleanup:
	rt_pyinfo_clear(&py);
	return ret;
}

static int plan_bun(rt_plan_t *p, char *const args[], struct rt_error *err)
{
	char bun[PATH_MAX], app[PATH_MAX];
	int ret;

	/* 1. Bun's real binary (the .bin entry is a symlink into the npm package) */
	if (p->cfg->bun)
		snprintf(bun, sizeof(bun), "%s", p->cfg->bun);
	else if (rt_path_join(p->top, ".deps/bun/node_modules/.bin/bun", bun, sizeof(bun)) < 0)
		return -ENAMETOOLONG;
	else if (access(bun, X_OK) != 0)
		find_in_path("bun", p->cfg->search_path ? p->cfg->search_path : POL_DEFAULT_PATH,
			     bun, sizeof(bun));
	char real[PATH_MAX];
	if (!realpath(bun, real))
		return rt_fail(err, -ENOENT, "Bun not found at %s (run make deps)", bun);
	if ((ret = mount_path(p, real, RT_POD_BUN, err)) < 0 ||
	    (ret = mount_closure(p, real, 1, err)) < 0)
		return ret;
	/* 2. the project's files */
	if ((ret = sdk_dir(p, p->cfg->bun_sdk, "02-ipc/bun", RT_POD_SDK_BUN, "Bun SDK", err)) < 0 ||
	    (ret = project_file(p, NULL, "07-runner/ldaudit/boot", RT_POD_BOOT, "FFI bootstrap",
				err)) < 0 ||
	    (ret = ring_lib(p, err)) < 0)
		return ret;
	/* 3. argv: bun --no-install --preload BOOT SCRIPT worker-args args; the
	 *    preload makes `import "pod"` the SDK and, with POD_FFI_GATE=1, gates
	 *    bun:ffi; --no-install: never fetch a missing package from a registry */
	program_pod_path(p, app, sizeof(app));
	if ((ret = strv_push(&p->argv, RT_POD_BUN)) < 0 ||
	    (ret = strv_push(&p->argv, "--no-install")) < 0 ||
	    (ret = strv_push(&p->argv, "--preload")) < 0 ||
	    (ret = strv_pushf(&p->argv, "%s/podpreload.ts", RT_POD_BOOT)) < 0 ||
	    (ret = strv_push(&p->argv, app)) < 0 || (ret = push_args(p, args)) < 0)
		return ret;
	/* 4. where the SDK is; no transpiler cache (the pod has no writable home), no telemetry */
	if ((ret = strv_pushf(&p->env, "POD_SDK_BUN=%s", RT_POD_SDK_BUN)) < 0 ||
	    (ret = strv_push(&p->env, "BUN_RUNTIME_TRANSPILER_CACHE_PATH=0")) < 0 ||
	    (ret = strv_push(&p->env, "DO_NOT_TRACK=1")) < 0)
		return ret;
	return strv_push(&p->exec, RT_POD_BUN);
}

static int plan_clib(rt_plan_t *p, char *const args[], struct rt_error *err)
{
	char host[PATH_MAX], app[PATH_MAX];
	struct rt_elf e;
	int ret;

	/* 1. the pod host and its libraries */
	if (p->cfg->podhost)
		snprintf(host, sizeof(host), "%s", p->cfg->podhost);
	else if (rt_path_join(p->top, "07-runner/podhost/build/podhost", host, sizeof(host)) < 0)
		return -ENAMETOOLONG;
	if (access(host, X_OK) != 0)
		return rt_fail(err, -ENOENT, "pod host not found at %s (is it built?)", host);
	if ((ret = mount_path(p, host, RT_POD_PODHOST, err)) < 0 ||
	    (ret = mount_closure(p, host, 1, err)) < 0)
		return ret;
	/* 2. the library must be a shared object of this machine; its own
	 *    dependencies are mounted but not trusted: FFI policy decides them */
	if ((ret = rt_elf_read(p->program, &e)) < 0)
		return rt_fail(err, ret, "%s: not an ELF shared library of this machine",
			       p->program);
	int type = e.type;
	rt_elf_clear(&e);
	if (type != ET_DYN)
		return rt_fail(err, -ENOEXEC, "%s: not a shared library", p->program);
	if ((ret = mount_closure(p, p->program, 0, err)) < 0)
		return ret;
	program_pod_path(p, app, sizeof(app));
	if ((ret = strv_push(&p->trusted, app)) < 0)
		return ret;
	/* 3. argv: podhost LIB worker-args args */
	if ((ret = strv_push(&p->argv, RT_POD_PODHOST)) < 0 ||
	    (ret = strv_push(&p->argv, app)) < 0 || (ret = push_args(p, args)) < 0)
		return ret;
	return strv_push(&p->exec, RT_POD_PODHOST);
}

/* Read "#!interp [arg]" from a script; -ENOEXEC when it is not one. */
static int read_shebang(const char *path, char *interp, size_t cap)
{
	char line[256];
	/* the worker names these files: regular files only (rt_open_regular) */
	int fd = rt_open_regular(path);
	if (fd < 0)
		return fd;
	ssize_t n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return -ENOEXEC;
	line[n] = '\0';
	char *s = line + 2;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strcspn(s, " \t\n");
	if (len == 0 || s[0] != '/' || len >= cap || s[len] == '\0')
		return -ENOEXEC;
	memcpy(interp, s, len);
	interp[len] = '\0';
	return 0;
}

static int plan_native(rt_plan_t *p, char *const args[], struct rt_error *err)
{
	char app[PATH_MAX], cur[PATH_MAX], interp[PATH_MAX];
	struct rt_elf e;
	int ret;

	/* 1. the program itself, alone, at /pod/app/NAME */
	program_pod_path(p, app, sizeof(app));
	if ((ret = add_mount(p, p->program, app, 0)) < 0 || (ret = strv_push(&p->exec, app)) < 0)
		return ret;
	/* 2. follow #! lines to an ELF interpreter, mounting each at its own path */
	snprintf(cur, sizeof(cur), "%s", p->program);
	for (int depth = 0;; depth++) {
		if (rt_elf_read(cur, &e) == 0) {
			rt_elf_clear(&e);
			break;
		}
		if (depth == MAX_SHEBANG_DEPTH)
			return rt_fail(err, -ELOOP, "%s: #! chain too deep", p->program);
		if (read_shebang(cur, interp, sizeof(interp)) < 0)
			return rt_fail(err, -ENOEXEC,
				       "%s: neither an ELF of this machine nor a #! script", cur);
		if ((ret = mount_path(p, interp, interp, err)) < 0 ||
		    (ret = strv_push(&p->exec, interp)) < 0)
			return ret;
		if (!realpath(interp, cur))
			return rt_fail(err, -errno, "%s: %s", interp, strerror(errno));
	}
	/* 3. the ELF at the end of the chain and its libraries */
	if ((ret = mount_closure(p, cur, 0, err)) < 0)
		return ret;
	/* 4. argv: the program, worker-args, args */
	if ((ret = strv_push(&p->argv, app)) < 0)
		return ret;
	return push_args(p, args);
}

/* ---- public ------------------------------------------------------------------- */

void rt_config_init(struct rt_config *c)
{
	memset(c, 0, sizeof(*c));
}

static int has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a > b && strcmp(s + a - b, suf) == 0;
}

enum rt_kind rt_kind_of(const char *program)
{
	if (!program)
		return RT_KIND_NATIVE;
	if (has_suffix(program, ".py"))
		return RT_KIND_PYTHON;
	if (has_suffix(program, ".js") || has_suffix(program, ".ts") || has_suffix(program, ".mjs"))
		return RT_KIND_BUN;
	if (has_suffix(program, ".so"))
		return RT_KIND_CLIB;
	return RT_KIND_NATIVE;
}

const char *rt_kind_name(enum rt_kind kind)
{
	static const char *const names[] = { "native", "python", "bun", "clib" };
	return (unsigned)kind < 4 ? names[kind] : "?";
}

int rt_plan_new(const struct rt_config *cfg, const char *program, char *const args[],
		rt_plan_t **out, struct rt_error *err)
{
	static const struct rt_config defaults;
	int ret = 0;
	rt_plan_t *p = calloc(1, sizeof(*p));

	if (err)
		err->msg[0] = '\0';
	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->cfg = cfg ? cfg : &defaults;
	if (p->cfg->top)
		snprintf(p->top, sizeof(p->top), "%s", p->cfg->top);
	else if ((ret = rt_top(p->top, sizeof(p->top))) < 0) {
		rt_fail(err, ret,
			"the project's files (02-ipc/, 07-runner/) are not above this program");
		goto cleanup;
	}
	p->kind = rt_kind_of(program);
	/* 1. where the program is, and /pod/app */
	if ((ret = locate_program(p, program, err)) < 0)
		goto cleanup;
	/* 2. the runtime of its kind */
	switch (p->kind) {
	case RT_KIND_PYTHON:
		ret = plan_python(p, args, err);
		break;
	case RT_KIND_BUN:
		ret = plan_bun(p, args, err);
		break;
	case RT_KIND_CLIB:
		ret = plan_clib(p, args, err);
		break;
	default:
		ret = plan_native(p, args, err);
		break;
	}
	if (ret < 0)
		goto cleanup;
	/* 3. the FFI gate (needs the trusted list complete) */
	if ((ret = plan_ffi(p, err)) < 0)
		goto cleanup;
	finish_mounts(p);
	p->cfg = NULL; /* not kept: the caller's config may go away */
	*out = p;
	p = NULL;
cleanup:
	if (ret < 0 && err && !err->msg[0])
		rt_fail(err, ret, "%s: %s", program ? program : "(null)", strerror(-ret));
	rt_plan_free(p);
	return ret;
}

enum rt_kind rt_plan_kind(const rt_plan_t *p)
{
	return p->kind;
}

char *const *rt_plan_argv(const rt_plan_t *p)
{
	return strv_view(&p->argv);
}

char *const *rt_plan_env(const rt_plan_t *p)
{
	return strv_view(&p->env);
}

size_t rt_plan_mounts(const rt_plan_t *p, const struct rt_mount **out)
{
	*out = p->mounts;
	return p->nmounts;
}

char *const *rt_plan_exec_paths(const rt_plan_t *p)
{
	return strv_view(&p->exec);
}

char *const *rt_plan_ffi_trusted(const rt_plan_t *p)
{
	return strv_view(&p->trusted);
}

const char *rt_plan_cwd(const rt_plan_t *p)
{
	(void)p;
	return RT_POD_APP;
}

const char *rt_plan_program(const rt_plan_t *p)
{
	return p->program;
}

int rt_plan_host_path(const rt_plan_t *p, const char *pod_path, char *out, size_t cap)
{
	char norm[PATH_MAX], host[PATH_MAX];
	const struct rt_mount *best = NULL;
	if (!pod_path || pod_path[0] != '/' || strstr(pod_path, "/../") ||
	    has_suffix(pod_path, "/.."))
		return -EINVAL;
	if (rt_path_normalize(pod_path, norm, sizeof(norm)) < 0)
		return -ENAMETOOLONG;
	/* 1. the longest mount that contains the path */
	for (size_t i = 0; i < p->nmounts; i++) {
		const struct rt_mount *m = &p->mounts[i];
		if (!rt_path_under(norm, m->pod) || (!m->is_dir && strcmp(norm, m->pod) != 0))
			continue;
		if (!best || strlen(m->pod) > strlen(best->pod))
			best = m;
	}
	if (!best)
		return -ENOENT;
	/* 2. the same place on the host, symlinks resolved there */
	int n = snprintf(host, sizeof(host), "%s%s", best->host, norm + strlen(best->pod));
	if (n < 0 || (size_t)n >= sizeof(host))
		return -ENAMETOOLONG;
	if (!realpath(host, norm))
		return -errno;
	if (strlen(norm) >= cap)
		return -ENAMETOOLONG;
	strcpy(out, norm);
	return 0;
}

void rt_plan_free(rt_plan_t *p)
{
	if (!p)
		return;
	strv_free(&p->argv);
	strv_free(&p->env);
	strv_free(&p->exec);
	strv_free(&p->trusted);
	for (size_t i = 0; i < p->nmounts; i++) {
		free((char *)p->mounts[i].host);
		free((char *)p->mounts[i].pod);
	}
	free(p->mounts);
	free(p);
}
