/*
 * plan.c — from policy to kernel boundary: builds the 03-sandbox
 * configuration of a pod (mount plan, program, scrubbed environment, limits).
 *
 *   runtime plan (rt)    ro+exec binds of the interpreter, libraries, SDKs, /pod/app
 *   fs.read  allow/warn  ro, noexec bind of the path          (deny inside: mask)
 *   fs.write allow/warn  rw bind (03 makes it noexec,nosuid)  (deny inside: ro or mask)
 *   run      allow/warn  ro+exec bind of the program and its ELF closure (deny: mask)
 *   ffi      allow/warn  ro+exec bind of the library and its ELF closure
 *   env      allow/warn  the variable is copied from the runner's environment
 *   always               /proc, minimal /dev, private /tmp, the socket directory,
 *                        /etc/resolv.conf (when the pod has a network)
 * Landlock mirrors the mount plan (03). Binds keep the host path inside the
 * pod, so a policy path means the same file on both sides.
 *
 * Layer 07 (runner). Builds on 03-sandbox (sandbox_plan_*), 04-policy
 * (policy_rules, policy_decide), 05-proxy (podnet_env) and the runtime
 * module (rt_plan_*, rt_elf_closure). Used by podrun_start().
 */
#include "internal.h"
#include "runtime.h"

#include <limits.h>
#include <sys/stat.h>

extern char **environ;

enum bind_kind { B_RO_EXEC, B_RO, B_RW, B_MASK };

struct bind {
	char *src, *dst;
	enum bind_kind kind;
	unsigned flags;
	int from_runtime;
	int dependency; /* a library an allowed program or library links */
	int skip;       /* shown by another bind already (resolve_links) */
};

struct plan {
	struct bind *b;
	size_t n, cap;
	int oom;
};

static struct bind *find_dst(struct plan *pl, const char *dst)
{
	for (size_t i = 0; i < pl->n; i++)
		if (!strcmp(pl->b[i].dst, dst))
			return &pl->b[i];
	return NULL;
}

/* Is @p path visible through a bind already planned (optionally: executable)? */
static const struct bind *covering(const struct plan *pl, const char *path, int need_exec)
{
	const struct bind *best = NULL;

	for (size_t i = 0; i < pl->n; i++) {
		const struct bind *b = &pl->b[i];
		if (b->kind == B_MASK || !rt_path_under(path, b->dst))
			continue;
		if (!best || strlen(b->dst) > strlen(best->dst))
			best = b;
	}
	if (best && need_exec && best->kind != B_RO_EXEC)
		return NULL;
	return best;
}

static struct bind *add(struct plan *pl, const char *src, const char *dst, enum bind_kind kind,
			unsigned flags, int from_runtime)
{
	struct bind *b = find_dst(pl, dst);

	if (b) {
		/* the same destination twice: the runtime's executable bind wins,
		 * then read-write over read-only */
		if (b->from_runtime || kind == B_MASK)
			return NULL;
		if (kind == B_RW || (kind == B_RO_EXEC && b->kind == B_RO)) {
			b->kind = kind;
			b->flags = flags;
		}
		return NULL;
	}
	if (pl->n == pl->cap) {
		size_t nc = pl->cap ? pl->cap * 2 : 64;
		struct bind *nb = realloc(pl->b, nc * sizeof *nb);
		if (!nb) {
			pl->oom = 1;
			return NULL;
		}
		pl->b = nb;
		pl->cap = nc;
	}
	b = &pl->b[pl->n];
	b->src = strdup(src ? src : dst);
	b->dst = strdup(dst);
	if (!b->src || !b->dst) {
		free(b->src);
		free(b->dst);
		pl->oom = 1;
		return NULL;
	}
	b->kind = kind;
	b->flags = flags;
	b->from_runtime = from_runtime;
	b->dependency = 0;
	b->skip = 0;
	pl->n++;
	return b;
}

static int cmp_bind(const void *a, const void *b)
{
	return strcmp(((const struct bind *)a)->dst, ((const struct bind *)b)->dst);
}

static void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		free(pl->b[i].src);
		free(pl->b[i].dst);
	}
	free(pl->b);
}

/* ---- policy -> binds ------------------------------------------------------ */

static void closure_cb(const char *found, const char *real, void *arg)
{
	struct plan *pl = arg;

	struct bind *b = NULL;

	if (!covering(pl, found, 1))
		b = add(pl, real, found, B_RO_EXEC, SANDBOX_MNT_OPTIONAL, 0);
	if (b)
		b->dependency = 1;
}

/* An executable file the policy allows (run or ffi): it, and what it links. */
static void add_exec_file(struct plan *pl, const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		if (!covering(pl, path, 1))
			add(pl, path, path, B_RO_EXEC, SANDBOX_MNT_OPTIONAL, 0);
		return;
	}
	if (!covering(pl, path, 1))
		add(pl, path, path, B_RO_EXEC, SANDBOX_MNT_OPTIONAL, 0);
	rt_elf_closure(path, closure_cb, pl, NULL); /* not ELF (a script): nothing more */
}

/*
 * @p path with the links of its directories resolved, its last component
 * kept: where a bind onto @p path would land, since the mount follows the
 * pod's links (/lib -> usr/lib) up to a file the runtime binds under its own
 * name (libz.so.1, itself a link on the host). As given when the directory
 * does not resolve.
 */
static void resolve_dirs(const char *path, char *out, size_t cap)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash = strrchr(path, '/');

	snprintf(out, cap, "%s", path);
	if (!slash || slash == path || (size_t)(slash - path) >= sizeof dir)
		return;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (realpath(dir, real)) {
		size_t rl = strcmp(real, "/") ? strlen(real) : 0, sl = strlen(slash);

		if (rl + sl < cap) {
			memcpy(out, real, rl);
			memcpy(out + rl, slash, sl + 1);
		}
	}
}

/*
 * The runtime's own files (the interpreter, its libraries and modules) are
 * provided by the runner and are not the worker's to decide: a --deny-read of
 * one of them or of a directory above them leaves them readable, and an
 * --allow-write leaves them read-only and executable, or the interpreter
 * could not start. Said once per rule at start, with the first such file,
 * so that a rule is never silently other than written. @p path is the rule's
 * path with its links resolved (where the runtime's binds are); @p stays what
 * the files keep. (A denial *inside* a runtime directory is masked as written.)
 */
static void runtime_stays(struct podrun *p, const struct plan *pl, const char *flag,
			  const char *rule, const char *path, const char *stays)
{
	const char *first = NULL;
	char tail[32] = "";
	size_t more = 0;

	for (size_t i = 0; i < pl->n; i++)
		if (pl->b[i].from_runtime && pl->b[i].kind != B_MASK &&
		    rt_path_under(pl->b[i].dst, path) && strncmp(pl->b[i].dst, "/pod/", 5)) {
			if (!first)
				first = pl->b[i].dst;
			else
				more++;
		}
	if (!first)
		return;
	PR_AUDIT(p, .kind = PR_EV_SANDBOX, .src = "runner", .cat = PR_LIFE, .act = PR_INFO,
		 .what = "a rule covers runtime files", .u.level = "notice");
	if (more)
		snprintf(tail, sizeof tail, " and %zu more", more);
	pr_say(p,
	       "podrun: %s=%s covers %s%s, which the %s runtime provides: they stay %s "
	       "(the interpreter needs them)\n",
	       flag, rule, first, tail, rt_kind_name((enum rt_kind)p->life.kind), stays);
}

/* Every top-level directory of the host but the kernel's and the volatile ones. */
static void add_top_level(struct plan *pl, enum bind_kind kind)
{
	static const char *const dirs[] = { "bin",   "etc",    "home", "lib",  "lib32",
					    "lib64", "libx32", "opt",  "root", "sbin",
					    "srv",   "usr",    "var",  "work", NULL };
	char path[64];
	struct stat st;

	for (int i = 0; dirs[i]; i++) {
		snprintf(path, sizeof path, "/%s", dirs[i]);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISLNK(st.st_mode)) /* merged /usr: /lib -> usr/lib */
			continue;
		if (S_ISDIR(st.st_mode) && !find_dst(pl, path))
			add(pl, path, path, kind, SANDBOX_MNT_OPTIONAL, 0);
	}
}

/* The normalized rules of a category (none when the policy cannot list them). */
static int rules_of(struct podrun *p, enum pol_cat c, const struct pol_rule **r, size_t *n)
{
	if (policy_rules(p->life.pol, c, r, n) < 0 || !*r) {
		*n = 0;
		return 0;
	}
	return 1;
}

static void policy_binds(struct podrun *p, struct plan *pl)
{
	const struct pol_rule *r;
	size_t n;

	/* run: programs (and their libraries), ffi: libraries */
	if (policy_default(p->life.pol, POL_RUN) != POL_DENY)
		add_top_level(pl, B_RO_EXEC);
	if (rules_of(p, POL_RUN, &r, &n))
		for (size_t i = 0; i < n; i++)
			if (r[i].action != POL_DENY && r[i].pattern[0] == '/')
				add_exec_file(pl, r[i].pattern);
	if (rules_of(p, POL_FFI, &r, &n))
		for (size_t i = 0; i < n; i++)
			if (r[i].action != POL_DENY && r[i].pattern[0] == '/')
				add_exec_file(pl, r[i].pattern);
	if (policy_default(p->life.pol, POL_FFI) != POL_DENY) {
		static const char *const libdirs[] = { "/usr/lib", "/usr/local/lib", NULL };
		for (int i = 0; libdirs[i]; i++)
			if (access(libdirs[i], F_OK) == 0 && !covering(pl, libdirs[i], 1))
				add(pl, libdirs[i], libdirs[i], B_RO_EXEC, SANDBOX_MNT_OPTIONAL, 0);
	}
	/* fs.write: read-write binds */
	if (rules_of(p, POL_FS_WRITE, &r, &n))
		for (size_t i = 0; i < n; i++) {
			const char *path = r[i].pattern;
			char real[PATH_MAX];

			if (r[i].action == POL_DENY || path[0] != '/' || !strcmp(path, "/"))
				continue;
			resolve_dirs(path, real, sizeof real);
			runtime_stays(p, pl, "--allow-write", path, real,
				      "read-only and executable");
			/* through a link (/lib -> usr/lib) to a runtime file: bound
			 * here, the mount would follow the link and lay a noexec
			 * copy over the runtime's */
			if (strcmp(real, path) && covering(pl, real, 0) &&
			    covering(pl, real, 0)->from_runtime)
				continue;
			add(pl, path, path, B_RW, SANDBOX_MNT_OPTIONAL, 0);
		}
	if (policy_default(p->life.pol, POL_FS_WRITE) != POL_DENY)
		add(pl, "/tmp", "/tmp", B_RW, 0, 0);
	/* fs.read: read-only binds (noexec: reading is not running) */
	if (policy_default(p->life.pol, POL_FS_READ) != POL_DENY)
		add_top_level(pl, B_RO);
	if (rules_of(p, POL_FS_READ, &r, &n))
		for (size_t i = 0; i < n; i++) {
			const char *path = r[i].pattern;
			char real[PATH_MAX];

			if (r[i].action == POL_DENY || path[0] != '/')
				continue;
			if (!strcmp(path, "/")) {
				add_top_level(pl, B_RO);
				continue;
			}
			if (covering(pl, path, 0) && find_dst(pl, path) == NULL &&
			    covering(pl, path, 0)->kind != B_RO)
				continue; /* already readable through a runtime/exec/rw bind */
			/* a path through a link (/lib -> usr/lib) to a file an exec or
			 * runtime bind shows: bound here, the mount would go through the
			 * link and lay a noexec copy over the runtime's (python3 then
			 * cannot map libm.so.6); it is readable already */
			resolve_dirs(path, real, sizeof real);
			if (strcmp(real, path) && covering(pl, real, 0) &&
			    covering(pl, real, 0)->kind != B_RO)
				continue;
			add(pl, path, path, B_RO, SANDBOX_MNT_OPTIONAL, 0);
		}
}

/*
 * A denial inside a writable tree is a mount point (a read-only bind or a
 * mask). A mount point itself cannot be renamed or removed (EBUSY), but the
 * directories above it can, and the mount would follow them: after
 * `mv P/.git P/x; mkdir -p P/.git/hooks` the host path P/.git/hooks would be a
 * fresh, writable directory. Each directory between the writable bind and the
 * denial is therefore bound onto itself read-write: a mount point too, so it
 * stays where it is (rename and rmdir fail with EBUSY), and nothing else about
 * it changes. Hard links cannot cross mounts (EXDEV), so the denied file cannot
 * be reached by a new name either; a symlink resolves to the same mount.
 */
static void pin_ancestors(struct plan *pl, const char *denied)
{
	const struct bind *c = NULL;
	char dir[PATH_MAX];
	size_t base;

	for (size_t i = 0; i < pl->n; i++) {
		const struct bind *o = &pl->b[i];
		if (o->kind != B_MASK && strcmp(o->dst, denied) && rt_path_under(denied, o->dst) &&
		    (!c || strlen(o->dst) > strlen(c->dst)))
			c = o;
	}

	if (!c || c->kind != B_RW || strlen(denied) >= sizeof dir)
		return;
	base = strlen(c->dst);
	strcpy(dir, denied);
	for (char *s = dir + base + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		if (!find_dst(pl, dir))
			add(pl, dir, dir, B_RW, 0, 0);
		*s = '/';
	}
}

/* A visible link to a program that an exec bind shows (python3 -> python3.11). */
static int runs_through_link(const struct plan *pl, const char *path)
{
	char real[PATH_MAX];

	return covering(pl, path, 0) && realpath(path, real) && strcmp(real, path) &&
	       covering(pl, real, 1);
}

/* Denials inside something visible: mask them (or make them read-only). */
static int policy_masks(struct podrun *p, struct plan *pl)
{
	const struct pol_rule *r;
	size_t n;
	struct pol_decision d;

	if (rules_of(p, POL_FS_READ, &r, &n))
		for (size_t i = 0; i < n; i++) {
			if (r[i].action != POL_DENY || r[i].pattern[0] != '/')
				continue;
			runtime_stays(p, pl, "--deny-read", r[i].pattern, r[i].pattern, "readable");
			if (covering(pl, r[i].pattern, 0))
				add(pl, NULL, r[i].pattern, B_MASK, 0, 0);
		}
	if (rules_of(p, POL_FS_WRITE, &r, &n))
		for (size_t i = 0; i < n; i++) {
			const struct bind *c;
			struct stat st;
			if (r[i].action != POL_DENY || r[i].pattern[0] != '/')
				continue;
			c = covering(pl, r[i].pattern, 0);
			if (!c || c->kind != B_RW)
				continue;
			if (lstat(r[i].pattern, &st) < 0) {
				/* nothing to cover: the pod could create it in the writable tree */
				p->life.refused = 1;
				pr_seterr(p, -ENOENT,
					  "--deny-write=%s: the path does not exist inside the "
					  "writable %s, "
					  "so the pod could create it; create it before the run, "
					  "or drop the rule",
					  r[i].pattern, c->dst);
				return -ENOENT;
			}
			memset(&d, 0, sizeof d);
			if (policy_decide(p->life.pol, POL_FS_READ, r[i].pattern, &d) == 0 &&
			    d.action != POL_DENY)
				add(pl, r[i].pattern, r[i].pattern, B_RO, 0, 0);
			else
				add(pl, NULL, r[i].pattern, B_MASK, 0, 0);
		}
	/* every denial inside a writable tree: pin the directories above it */
	for (size_t i = 0, n0 = pl->n; i < n0; i++)
		if (pl->b[i].kind == B_MASK || pl->b[i].kind == B_RO)
			pin_ancestors(pl, pl->b[i].dst);
	if (rules_of(p, POL_RUN, &r, &n))
		for (size_t i = 0; i < n; i++)
			if (r[i].action == POL_DENY && r[i].pattern[0] == '/' &&
			    (covering(pl, r[i].pattern, 1) || runs_through_link(pl, r[i].pattern)))
				add(pl, NULL, r[i].pattern, B_MASK, 0, 0);
	return 0;
}

/*
 * The worker's directory: a Python or Bun worker sees its whole directory at
 * /pod/app (its modules and data). The policy holds there as anywhere: a
 * denied read or run inside it is masked at its /pod/app path; the directory
 * runs nothing unless the Run policy allows its path; a policy that denies
 * reading the worker's own program is refused (the pod could not start).
 */
static int app_rules(struct podrun *p, struct plan *pl, const rt_plan_t *plan)
{
	static const enum pol_cat cats[] = { POL_FS_READ, POL_RUN };
	struct bind *ab = find_dst(pl, RT_POD_APP);
	const char *prog = rt_plan_program(plan);
	char app[PATH_MAX], dst[PATH_MAX];
	const struct pol_rule *r;
	struct pol_decision d;
	size_t n;

	if (!ab || !ab->from_runtime || !prog || strlen(prog) >= sizeof app)
		return 0; /* a native worker: only its program file is bound */
	strcpy(app, prog);
	*strrchr(app, '/') = '\0';
	if (!app[0])
		strcpy(app, "/");
	for (size_t k = 0; k < 2; k++) {
		if (!rules_of(p, cats[k], &r, &n))
			continue;
		for (size_t i = 0; i < n; i++) {
			const char *pat = r[i].pattern;
			if (r[i].action != POL_DENY || pat[0] != '/')
				continue;
			if (cats[k] == POL_FS_READ && rt_path_under(prog, pat)) {
				p->life.refused = 1;
				pr_seterr(p, -EACCES,
					  "--deny-read=%s covers the worker %s: the pod could not "
					  "read its own "
					  "program; move the worker out of %s or narrow the rule",
					  pat, prog, pat);
				return -EACCES;
			}
			if (!rt_path_under(pat, app) || !strcmp(pat, app) || !strcmp(pat, prog))
				continue;
			if (snprintf(dst, sizeof dst, "%s%s", RT_POD_APP, pat + strlen(app)) >=
			    (int)sizeof dst)
				continue;
			add(pl, pat, dst, B_MASK, 0, 0);
		}
	}
	memset(&d, 0, sizeof d);
	/* a script is read, not run: its directory runs nothing the Run policy
	 * denies (a C-library worker maps its own library and its neighbours) */
	if (rt_plan_kind(plan) != RT_KIND_CLIB &&
	    policy_decide(p->life.pol, POL_RUN, app, &d) == 0 && d.action == POL_DENY)
		ab->kind = B_RO;
	return 0;
}

/*
 * Hide a denied path inside a visible tree. Instead of 03's empty mask (which
 * reads as an empty file), an inaccessible stand-in (mode 0, owned by root) is
 * bound over it: the worker gets a clear EACCES "Permission denied".
 */
static int plan_mask(struct podrun *p, sandbox_cfg_t *cfg, const char *host, const char *dst)
{
	struct stat st;
	char *stand_in;
	int fd;

	if (stat(host, &st) < 0)
		return 1; /* nothing to hide */
	stand_in = S_ISDIR(st.st_mode) ? p->box.mask_dir : p->box.mask_file;
	if (!stand_in[0]) {
		/* in the run directory (rootless: the user's own, a new name, O_EXCL:
		 * owned by the user, whose uid is the pod's, mode 0 still refuses it) */
		if (pr_run_file(p, S_ISDIR(st.st_mode) ? "maskd" : "maskf", stand_in,
				sizeof p->box.mask_dir) < 0)
			goto fallback;
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(stand_in, 0) < 0 && (errno != EEXIST || pr_rootless()))
				goto fallback;
		} else {
			fd = open(stand_in,
				  O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
				      (pr_rootless() ? O_EXCL : 0),
				  0);
			if (fd < 0)
				goto fallback;
			close(fd);
		}
		chmod(stand_in, 0);
		pr_registry_write(p);
	}
	return sandbox_plan_ro(cfg, stand_in, dst, SANDBOX_MNT_NOEXEC);
fallback:
	stand_in[0] = '\0';
	return sandbox_plan_mask(cfg, dst);
}

/* The policy's part of the mount plan, as spawn-time facts in the audit
 * (src=policy, action info): which paths the pod sees, and how. */
static void emit_mount(struct podrun *p, const struct bind *b)
{
	static const char *const how[] = { "ro+exec", "ro", "rw", "hidden" };
	struct pol_decision d;
	int cat = PR_FS;

	memset(&d, 0, sizeof d);
	if (b->kind == B_RO_EXEC) {
		/* a program (run rule), or a library (ffi rule, or a dependency) */
		cat = PR_RUN;
		if (policy_decide(p->life.pol, POL_RUN, b->dst, &d) < 0 || !d.rule ||
		    !strcmp(d.rule, "default")) {
			cat = PR_FFI;
			policy_decide(p->life.pol, POL_FFI, b->dst, &d);
		}
	} else if (b->kind == B_MASK) {
		/* a mask hides a read or a run denial (src: the host path) */
		policy_decide(p->life.pol, POL_FS_READ, b->src, &d);
		if (d.action != POL_DENY || !d.rule || !strcmp(d.rule, "default")) {
			cat = PR_RUN;
			policy_decide(p->life.pol, POL_RUN, b->src, &d);
		}
	} else {
		policy_decide(p->life.pol, b->kind == B_RW ? POL_FS_WRITE : POL_FS_READ, b->src,
			      &d);
	}
	PR_AUDIT(p, .kind = PR_EV_MOUNT, .src = "policy", .cat = cat, .act = PR_INFO,
		 .what = b->dst, .rule = d.rule, .u.mount = { how[b->kind], b->dependency });
	if (p->cfg.verbosity >= PODRUN_VERBOSE + 1)
		dprintf(2, "podrun: mount %s %s\n", how[b->kind], b->dst);
}

/*
 * A file bind that a directory bind already shows: the same file at the same
 * path, at least as usable (exec needs an exec bind). Skipped: its
 * destination may be a symlink inside the directory bind (a library's
 * soname link, /usr/bin/python3), which cannot be a mount point (ELOOP).
 */
static int redundant(const struct plan *pl, const struct bind *b)
{
	const struct bind *best = NULL;
	char dst[PATH_MAX], src[PATH_MAX];
	struct stat st;

	if (b->kind == B_MASK || b->kind == B_RW || stat(b->src, &st) < 0 || S_ISDIR(st.st_mode))
		return 0;
	for (size_t i = 0; i < pl->n; i++) {
		const struct bind *o = &pl->b[i];
		if (o == b || !strcmp(o->dst, b->dst) || !rt_path_under(b->dst, o->dst))
			continue;
		if (!best || strlen(o->dst) > strlen(best->dst))
			best = o;
	}
	if (!best || best->kind == B_MASK || strcmp(best->src, best->dst))
		return 0;
	if (b->kind == B_RO_EXEC && best->kind != B_RO_EXEC)
		return 0;
	if (!realpath(b->dst, dst) || !realpath(b->src, src) || strcmp(dst, src))
		return 0;
	return covering(pl, dst, b->kind == B_RO_EXEC) != NULL;
}

/*
 * A destination that is a symlink inside a directory bind (a soname link,
 * /usr/bin/python3 -> python3.11) cannot be a mount point (ELOOP): the bind or
 * the mask goes to the file the link names, which the link then shows. A mask
 * that would hide a file the worker's own runtime needs is left out: the exec
 * decision refuses the pod's runs of it (execgate.c).
 */
static int resolve_links(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		struct bind *b = &pl->b[i], *o = NULL, *other;
		char real[PATH_MAX];
		struct stat st;

		if (lstat(b->dst, &st) < 0 || !S_ISLNK(st.st_mode))
			continue;
		for (size_t j = 0; j < pl->n; j++) {
			struct bind *c = &pl->b[j];
			if (c != b && strcmp(c->dst, b->dst) && rt_path_under(b->dst, c->dst) &&
			    (!o || strlen(c->dst) > strlen(o->dst)))
				o = c;
		}
		if (!o || o->kind == B_MASK || strcmp(o->src, o->dst) || !realpath(b->dst, real))
			continue; /* the link is not visible in the pod: the bind makes a file */
		other = find_dst(pl, real);
		if (b->kind == B_MASK && other && other->from_runtime) {
			/* a link to the worker's own interpreter: hiding the file would
			 * stop the worker; the exec decision (execgate.c) refuses the
			 * pod's runs of it by the rule instead */
			b->skip = 1;
			continue;
		}
		if (other) {
			if (b->kind == B_MASK && other->kind != B_MASK)
				other->kind = B_MASK;
			b->skip = 1;
			continue;
		}
		char *d = strdup(real), *s2 = b->kind == B_MASK ? strdup(real) : NULL;
		if (!d || (b->kind == B_MASK && !s2)) {
			free(d);
			free(s2);
			return -ENOMEM;
		}
		free(b->dst);
		b->dst = d;
		if (s2) {
			free(b->src);
			b->src = s2;
		}
	}
	return 0;
}

static int apply_plan(struct podrun *p, sandbox_cfg_t *cfg, struct plan *pl)
{
	int ret = 0;

	if ((ret = resolve_links(pl)) < 0)
		return ret;
	qsort(pl->b, pl->n, sizeof *pl->b, cmp_bind);
	for (size_t i = 0; i < pl->n && ret >= 0; i++) {
		const struct bind *b = &pl->b[i];
		if (b->skip || redundant(pl, b))
			continue;
		switch (b->kind) {
		case B_RO_EXEC:
			ret = sandbox_plan_ro(cfg, b->src, b->dst, b->flags);
			break;
		case B_RO:
			ret = sandbox_plan_ro(cfg, b->src, b->dst, b->flags | SANDBOX_MNT_NOEXEC);
			break;
		case B_RW:
			ret = sandbox_plan_rw(cfg, b->src, b->dst, b->flags);
			break;
		case B_MASK:
			ret = plan_mask(p, cfg, b->src, b->dst);
			break;
		}
		if (ret < 0)
			pr_seterr(p, ret, "mount plan: %s", b->dst);
		else if (!b->from_runtime && ret == 0 &&
			 !((b->flags & SANDBOX_MNT_OPTIONAL) && access(b->src, F_OK) < 0))
			emit_mount(p, b); /* (a missing optional source is skipped by 03) */
	}
	return ret < 0 ? ret : 0;
}

/* ---- environment ----------------------------------------------------------- */

static int env_has(char **v, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i], name, len) && v[i][len] == '=')
			return 1;
	return 0;
}

/* The scrubbed environment: allowed and warned variables of the runner, then
 * the infrastructure (runtime, network, sockets), which wins over the user's. */
static int build_env(struct podrun *p, const rt_plan_t *plan, char ***out, size_t *nout)
{
	char **env = NULL, **infra = NULL, name[256], buf[512];
	size_t n = 0, ni = 0, withheld = 0;
	char *const *rtenv = rt_plan_env(plan);
	struct pol_decision d;
	int ret = 0;

	/* infrastructure first (names to reserve) */
	for (size_t i = 0; rtenv && rtenv[i]; i++)
		ret |= pr_strv_add(&infra, &ni, rtenv[i]);
	if (p->net.podnet)
		for (const char *const *e = podnet_env(p->net.podnet); e && *e; e++)
			ret |= pr_strv_add(&infra, &ni, *e);
	snprintf(buf, sizeof buf, "POD_QUERY_SOCKET=%s", ipc_runner_query_path(p->ipc.runner));
	ret |= pr_strv_add(&infra, &ni, buf);
	if (!env_has(infra, ni, "POD_FFI_SOCKET", 14)) {
		snprintf(buf, sizeof buf, "POD_FFI_SOCKET=%s",
			 ipc_runner_query_path(p->ipc.runner));
		ret |= pr_strv_add(&infra, &ni, buf);
	}
	snprintf(buf, sizeof buf, "POD_ID=%s", p->life.id);
	ret |= pr_strv_add(&infra, &ni, buf);
	if (p->pool.pod_fd >= 0) { /* the bootstrap's launch socket (pool.c) */
		snprintf(buf, sizeof buf, "POD_POOL_FD=%d", PR_POD_POOL_FD);
		ret |= pr_strv_add(&infra, &ni, buf);
	}
	if (ret < 0)
		goto cleanup;

	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : 0;
		if (!eq || len == 0 || len >= sizeof name)
			continue;
		memcpy(name, *e, len);
		name[len] = '\0';
		memset(&d, 0, sizeof d);
		if (policy_decide(p->life.pol, POL_ENV, name, &d) < 0)
			continue;
		if (d.action == POL_DENY) {
			if (d.rule && strcmp(d.rule, "default"))
				pr_audit_decision(p, "policy", POL_ENV, name, &d, 0);
			else
				withheld++;
			continue;
		}
		if (env_has(infra, ni, name, len))
			continue; /* the runner's own variable wins */
		pr_audit_decision(p, "policy", POL_ENV, name, &d, 0);
		if ((ret = pr_strv_add(&env, &n, *e)) < 0)
			goto cleanup;
	}
	if (withheld) {
		snprintf(buf, sizeof buf, "%zu variables withheld by default", withheld);
		PR_AUDIT(p, .src = "policy", .cat = PR_ENV, .act = PR_INFO, .what = buf);
	}
	for (size_t i = 0; i < ni; i++)
		if ((ret = pr_strv_add(&env, &n, infra[i])) < 0)
			goto cleanup;
	*out = env;
	*nout = n;
	env = NULL;
	n = 0;
cleanup:
	pr_strv_free(env, n);
	pr_strv_free(infra, ni);
	return ret < 0 ? -ENOMEM : 0;
}

/* The host directory a runtime mount shows at @p pod. */
static int find_dst_host(const rt_plan_t *plan, const char *pod, char *out, size_t cap)
{
	const struct rt_mount *m;
	size_t n = rt_plan_mounts(plan, &m);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(m[i].pod, pod) && m[i].is_dir) {
			snprintf(out, cap, "%s", m[i].host);
			return 0;
		}
	return -ENOENT;
}

/* ---- FFI denials that the kernel's loader would defeat ------------------------ */

/* An explicit FFI deny rule (not the default) for a library, by either of its names. */
static const char *ffi_denied(struct podrun *p, const char *found, const char *real)
{
	struct pol_decision d;
	const char *names[2] = { found, real };
	char rp[PATH_MAX], rr[PATH_MAX];
	const struct pol_rule *r;
	size_t n;

	for (int i = 0; i < 2; i++) {
		memset(&d, 0, sizeof d);
		if (names[i] && names[i][0] == '/' &&
		    policy_decide(p->life.pol, POL_FFI, names[i], &d) == 0 &&
		    d.action == POL_DENY && d.rule && strcmp(d.rule, "default"))
			return d.rule;
	}
	/* a rule may name the library by another of its names (a soname link) */
	if (real && realpath(real, rp) && rules_of(p, POL_FFI, &r, &n))
		for (size_t i = 0; i < n; i++)
			if (r[i].action == POL_DENY && r[i].pattern[0] == '/' &&
			    realpath(r[i].pattern, rr) && rt_path_under(rp, rr))
				return r[i].pattern;
	return NULL;
}

struct needed_ctx {
	struct podrun *p;
	const char *rule, *lib;
	char lib_buf[PATH_MAX];
};

static void needed_cb(const char *found, const char *real, void *arg)
{
	struct needed_ctx *c = arg;
	const char *rule;

	if (c->rule || !(rule = ffi_denied(c->p, found, real)))
		return;
	c->rule = rule;
	snprintf(c->lib_buf, sizeof c->lib_buf, "%s", found);
	c->lib = c->lib_buf;
}

/*
 * An FFI deny is enforced for every worker kind, or the start is refused
 * saying why: the loader maps a library named in DT_NEEDED before any gate
 * runs, and a library the runtime itself links (python3.11 links libz, the
 * trusted _ssl extension links libcrypto) is in the process whatever the
 * worker asks for: CDLL(None), dlsym on the extension's handle reach it.
 */
static int ffi_enforceable(struct podrun *p, const rt_plan_t *plan)
{
	static const char *const kinds[] = { "native", "Python", "Bun", "C-library" };
	const char *kind = kinds[rt_plan_kind(plan) < 4 ? rt_plan_kind(plan) : 0];
	struct needed_ctx c = { .p = p };
	char host[PATH_MAX];

	for (char *const *t = rt_plan_ffi_trusted(plan); t && *t; t++) {
		size_t l = strlen(*t);
		const char *rule;
		if (!l || (*t)[l - 1] == '/')
			continue;
		if (rt_plan_host_path(plan, *t, host, sizeof host) < 0)
			snprintf(host, sizeof host, "%s", *t);
		if ((rule = ffi_denied(p, *t, host))) {
			p->life.refused = 1;
			pr_seterr(
			    p, -EPERM,
			    "--deny-ffi=%s cannot be enforced for a %s worker: its runtime links "
			    "%s "
			    "itself, so the library is in the process before the worker runs (a "
			    "handle of the process or of a trusted module reaches it); drop the "
			    "rule, "
			    "or run the code as a worker kind whose runtime does not link it",
			    rule, kind, *t);
			return -EPERM;
		}
	}
	if (rt_plan_kind(plan) != RT_KIND_NATIVE)
		return 0;
	rt_elf_closure(rt_plan_program(plan), needed_cb, &c, NULL);
	if (c.rule) {
		p->life.refused = 1;
		pr_seterr(
		    p, -EPERM,
		    "--deny-ffi=%s: the worker %s links %s (DT_NEEDED), which the loader maps "
		    "before any gate runs; build the worker without it, or drop the rule",
		    c.rule, rt_plan_program(plan), c.lib);
		return -EPERM;
	}
	return 0;
}

/* ---- the whole configuration ------------------------------------------------ */

int pr_build_sandbox(struct podrun *p, sandbox_cfg_t *cfg, const struct rt_plan *plan)
{
	const struct rt_mount *m;
	struct sandbox_limits lim;
	struct plan pl = { 0 };
	char **env = NULL;
	size_t nenv = 0, nm;
	char *const *argv;
	int ret;

	if (p->cfg.rootfs)
		return pr_rootfs_sandbox(p, cfg);
	argv = rt_plan_argv(plan);
	/* 1. Runtime files: what the worker kind needs to run at all (runtime/). */
	nm = rt_plan_mounts(plan, &m);
	for (size_t i = 0; i < nm; i++) {
		add(&pl, m[i].host, m[i].pod, B_RO_EXEC, 0, 1);
		pr_strv_add(&p->box.rt_paths, &p->box.n_rt_paths, m[i].pod);
	}
	/* 2. The control socket directory, same path inside (02). */
	add(&pl, ipc_runner_dir(p->ipc.runner), ipc_runner_dir(p->ipc.runner), B_RO, 0, 1);
	/* 3. The pod's resolver when it has a network (05). */
	if (p->net.podnet && p->net.resolv_path[0])
		add(&pl, p->net.resolv_path, "/etc/resolv.conf", B_RO, 0, 1);
	/* 4. Policy: run/ffi/fs binds, then the masks inside them. */
	policy_binds(p, &pl);
	ret = ffi_enforceable(p, plan);
	if (ret >= 0)
		ret = policy_masks(p, &pl);
	if (ret >= 0)
		ret = app_rules(p, &pl, plan);
	if (ret < 0)
		goto cleanup;
	if (pl.oom) {
		ret = -ENOMEM;
		goto cleanup;
	}

	/* 5. Kernel file systems and scratch space, then the binds in path order. */
	ret = sandbox_plan_proc(cfg, "/proc");
	if (ret >= 0)
		ret = sandbox_plan_dev(cfg, "/dev");
	if (ret >= 0 && !find_dst(&pl, "/tmp"))
		ret = sandbox_plan_tmpfs(cfg, "/tmp", 64u << 20, 01777);
	if (ret >= 0)
		ret = apply_plan(p, cfg, &pl);
	if (ret < 0)
		goto cleanup;

	/* 6. Program, working directory, scrubbed environment. */
	ret = sandbox_cfg_set_exec(cfg, argv[0], argv);
	if (ret >= 0)
		ret = sandbox_cfg_set_cwd(cfg, rt_plan_cwd(plan));
	if (ret >= 0)
		ret = build_env(p, plan, &env, &nenv);
	if (ret >= 0)
		ret = sandbox_cfg_set_env(cfg, env);
	if (ret < 0) {
		pr_seterr(p, ret, "sandbox: program/environment");
		goto cleanup;
	}

	/* 7. Limits (cgroup memory/pids), Landlock mirrors the plan, seccomp on. */
	sandbox_limits_default(&lim);
	lim.memory_bytes = p->cfg.memory;
	lim.pids_max = p->cfg.pids;
	lim.cpu_percent = p->cfg.cpu_percent;
	lim.nofile = p->cfg.nofile;
	lim.fsize_bytes = p->cfg.fsize;
	if (pr_rootless()) /* a delegated cgroup, else rlimits, said at start (rootless.c) */
		pr_rootless_limits(p, &lim);
	ret = sandbox_cfg_set_limits(cfg, &lim);
	if (ret >= 0)
		ret = sandbox_cfg_set_landlock(cfg, SANDBOX_LANDLOCK_BEST_EFFORT);
	if (ret >= 0)
		ret = sandbox_cfg_set_seccomp(cfg, true);
	/* every exec is decided (execgate.c): the runtime's own programs and the
	 * worker's directory are named for it */
	if (ret >= 0)
		ret = sandbox_cfg_set_exec_notify(cfg, true);
	for (char *const *e = rt_plan_exec_paths(plan); ret >= 0 && e && *e; e++)
		ret = pr_strv_add(&p->box.exec_rt, &p->box.n_exec_rt, *e);
	if (ret >= 0 &&
	    find_dst_host(plan, RT_POD_APP, p->box.app_host, sizeof p->box.app_host) < 0)
		p->box.app_host[0] = '\0';
	/* memory files run only when the Run policy allows running anything */
	if (ret >= 0)
		ret = sandbox_cfg_set_memfd_exec(cfg,
						 policy_default(p->life.pol, POL_RUN) == POL_ALLOW);
	if (ret < 0)
		pr_seterr(p, ret, "sandbox: limits");
cleanup:
	pr_strv_free(env, nenv);
	plan_free(&pl);
	return ret;
}
