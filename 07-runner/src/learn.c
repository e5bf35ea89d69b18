/*
 * learn.c — learn mode: run a program with every request the base policy
 * would deny allowed and reported, and write the smallest policy that lets the
 * same run pass (`podrun learn`, podrun_learned_policy()).
 *
 *   base policy ──learn_policy()──> effective policy: every deny (default or
 *        │                          rule) becomes warn; loopback reachable
 *        │                          (warn), so nothing is refused silently
 *        └──────────── kept: "would the base deny this?" ──┐
 *   pr_audit(ev) ── pr_learn_note(): a warn event the base would deny ──> items
 *   podrun_learned_policy(): items ── drop what the plan brings anyway (the ELF
 *        closure of learned programs and libraries) ── group many paths under
 *        one directory ── base (or the policy merged into) + allow rules ──
 *        normalized by 04 (podpolicy fmt's text) + "_learned" provenance
 *
 * Layer 07 (runner). Builds on 04-policy (load, decide, to_json), cJSON and
 * the runtime's ELF closure. Used by lifecycle.c (the effective policy),
 * audit.c (the hook), main.c (`podrun learn`) and the Bun module.
 */
#include "internal.h"
#include "runtime.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <sys/stat.h>

/* A learned request: category and request text (a path, host:port, name). */
struct learn_item {
	enum pol_cat cat;
	char *what;
};

struct pr_learn {
	policy_t *base; /* the policy as given: what the base would deny */
	struct learn_item *v;
	size_t n, cap;
	uint32_t *slot;   /* open addressing: index + 1 into v, 0 = empty */
	size_t bytes;     /* text kept, bounded by PR_LEARN_BYTES */
	uint64_t dropped; /* requests beyond PR_LEARN_MAX / PR_LEARN_BYTES */
	char *prog;       /* the program's host path (kept past the teardown) */
	uint64_t lost;    /* eBPF records lost (at the exit event) */
};

/* At most this many distinct requests, and this much of their text, are kept
 * (a hostile pod cannot grow the runner without bound); more are counted and
 * make the run incomplete. The set is a hash table of twice the size. */
#define PR_LEARN_MAX 65536
#define PR_LEARN_BYTES (16u << 20)
#define PR_LEARN_SLOTS (2 * PR_LEARN_MAX)

/* Default: this many paths directly under one directory become the directory. */
#define PR_LEARN_GROUP_AT 8

/* ---- the effective policy of a learn run ---------------------------------- */

static const char *const list_names[] = { "allow", "warn", "deny" };

static cJSON *cat_obj(cJSON *root, enum pol_cat c)
{
	static const char *const top[] = { "net", NULL, NULL, "run", "env", "ffi" };
	cJSON *fs, *o;

	if (c == POL_FS_READ || c == POL_FS_WRITE) {
		fs = cJSON_GetObjectItemCaseSensitive(root, "fs");
		if (!fs)
			fs = cJSON_AddObjectToObject(root, "fs");
		o = fs ? cJSON_GetObjectItemCaseSensitive(fs, c == POL_FS_READ ? "read" : "write")
		       : NULL;
		if (fs && !o)
			o = cJSON_AddObjectToObject(fs, c == POL_FS_READ ? "read" : "write");
		return o;
	}
	o = cJSON_GetObjectItemCaseSensitive(root, top[c]);
	return o ? o : cJSON_AddObjectToObject(root, top[c]);
}

static int in_array(const cJSON *a, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, a) if (cJSON_IsString(it) && !strcmp(it->valuestring, s)) return 1;
	return 0;
}

static cJSON *list(cJSON *o, const char *name)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(o, name);

	return a ? a : cJSON_AddArrayToObject(o, name);
}

static void add_unique(cJSON *o, const char *name, const char *s)
{
	cJSON *a = list(o, name);

	if (a && !in_array(a, s))
		cJSON_AddItemToArray(a, cJSON_CreateString(s));
}

/* Explicit per-category defaults (fs.default is split into read and write). */
static void set_defaults(cJSON *root, const policy_t *base, int learn)
{
	cJSON *fs = cJSON_GetObjectItemCaseSensitive(root, "fs");

	if (fs)
		cJSON_DeleteItemFromObjectCaseSensitive(fs, "default");
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		enum pol_action a = policy_default(base, (enum pol_cat)c);
		cJSON *o = cat_obj(root, (enum pol_cat)c);
		if (!o)
			continue;
		/* writes: a warn default would bind the host's /tmp; a warn rule
		 * for "/" reports every write and binds nothing (base_text) */
		if (learn && a == POL_DENY && c != POL_FS_WRITE)
			a = POL_WARN;
		cJSON_DeleteItemFromObjectCaseSensitive(o, "default");
		cJSON_AddStringToObject(o, "default", policy_action_name(a));
	}
}

/* The base policy's text, every deny made a warn (learn) or as it is. */
static char *base_text(const policy_t *base, int learn)
{
	char *json = NULL, *out = NULL;
	cJSON *root;

	if (policy_to_json(base, &json) < 0)
		return NULL;
	root = cJSON_Parse(json);
	free(json);
	if (!root)
		return NULL;
	set_defaults(root, base, learn);
	for (int c = 0; learn && c < POL_CAT_COUNT; c++) {
		cJSON *o = cat_obj(root, (enum pol_cat)c), *deny, *it;
		if (!o || !(deny = cJSON_DetachItemFromObjectCaseSensitive(o, "deny")))
			continue;
		cJSON_ArrayForEach(it, deny) if (cJSON_IsString(it))
		    add_unique(o, "warn", it->valuestring);
		cJSON_Delete(deny);
	}
	if (learn && policy_default(base, POL_FS_WRITE) == POL_DENY) {
		cJSON *w = cat_obj(root, POL_FS_WRITE);
		if (w)
			add_unique(w, "warn", "/");
	}
	if (learn) {
		/* loopback is a special range the net default does not open:
		 * a learn run reaches it with a warn, and learns the host:port */
		cJSON *net = cat_obj(root, POL_NET);
		if (net) {
			add_unique(net, "warn", "127.0.0.0/8");
			add_unique(net, "warn", "::1");
		}
	}
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

static int load_text(const char *text, const char *name, policy_t **out, struct pol_error *e)
{
	policy_t *p = NULL;
	int ret = policy_new(&p);

	if (ret == 0)
		ret = policy_load_json(p, text, strlen(text), name, e);
	if (ret == 0)
		ret = policy_finalize(p, e);
	if (ret < 0) {
		policy_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

int pr_learn_prepare(struct podrun *p)
{
	struct pol_error e;
	policy_t *eff = NULL;
	char *text;
	int ret;

	if (!p->cfg.learn_on)
		return 0;
	p->life.lrn = calloc(1, sizeof *p->life.lrn);
	if (!p->life.lrn)
		return -ENOMEM;
	text = base_text(p->life.pol, 1);
	if (!text)
		return -ENOMEM;
	memset(&e, 0, sizeof e);
	ret = load_text(text, "<learn>", &eff, &e);
	free(text);
	if (ret < 0) {
		pr_seterr(p, ret, "learn mode: the effective policy does not load: %s", e.msg);
		return -EINVAL;
	}
	p->life.lrn->base = p->life.pol; /* the base decides what is learned */
	p->life.pol = eff;
	/* loud: the sinks do not exist yet, this goes to fd 2 as --allow-all's warning */
	if (p->cfg.verbosity >= PODRUN_QUIET)
		dprintf(2,
			"podrun: LEARN MODE: every request the base policy would deny is allowed "
			"and reported; the pod runs with more rights than its policy\n");
	return 0;
}

/* ---- collecting --------------------------------------------------------- */

static void parent_of(const char *path, char *out, size_t cap);

static void note(struct pr_learn *l, enum pol_cat c, const char *what)
{
	struct pol_decision d;

	uint64_t h = 1469598103934665603ULL;
	size_t i, len;

	memset(&d, 0, sizeof d);
	if (!what || !*what)
		return;
	/* only what the base would have denied is learned */
	if (policy_decide(l->base, c, what, &d) < 0 || d.action != POL_DENY)
		return;
	if (!l->slot && !(l->slot = calloc(PR_LEARN_SLOTS, sizeof *l->slot))) {
		l->dropped++;
		return;
	}
	for (const char *q = what; *q; q++)
		h = (h ^ (unsigned char)*q) * 1099511628211ULL;
	h = (h ^ (uint64_t)c) * 1099511628211ULL;
	for (i = h % PR_LEARN_SLOTS; l->slot[i]; i = (i + 1) % PR_LEARN_SLOTS) {
		const struct learn_item *it = &l->v[l->slot[i] - 1];
		if (it->cat == c && !strcmp(it->what, what))
			return;
	}
	len = strlen(what) + 1;
	if (l->n >= PR_LEARN_MAX || l->bytes + len > PR_LEARN_BYTES) {
		l->dropped++;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct learn_item *v = realloc(l->v, cap * sizeof *v);
		if (!v) {
			l->dropped++;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].cat = c;
	l->v[l->n].what = strdup(what);
	if (!l->v[l->n].what) {
		l->dropped++;
		return;
	}
	l->slot[i] = (uint32_t)++l->n;
	l->bytes += len;
}

/*
 * Paths every pod has whatever its policy (the runner provides them, and its
 * root directory): not learned. A write directly in /tmp of a file the host does not have went to
 * the pod's own /tmp; a write below a directory of the host's /tmp did not.
 */
static int pod_own(const char *path, enum pol_cat c)
{
	static const char *const fixed[] = { "/proc", "/dev", "/pod", "/etc/resolv.conf", NULL };
	char dir[PATH_MAX];

	/* "/" is every pod's own root (runtimes open it to resolve paths): a rule
	 * for it would be the whole host */
	if (!strcmp(path, "/"))
		return 1;
	for (int i = 0; fixed[i]; i++) {
		size_t n = strlen(fixed[i]);
		if (!strncmp(path, fixed[i], n) && (path[n] == '\0' || path[n] == '/'))
			return 1;
	}
	if (c == POL_FS_WRITE && !strncmp(path, "/tmp", 4) && (path[4] == '\0' || path[4] == '/')) {
		parent_of(path, dir, sizeof dir);
		return !strcmp(path, "/tmp") || (!strcmp(dir, "/tmp") && access(path, F_OK) != 0) ||
		       access(dir, F_OK) != 0;
	}
	return 0;
}

/*
 * An fs event of eBPF: which side, and which path to learn (NULL: none). The
 * pod opens files by the name it passes; when that name differs from the
 * file the kernel resolved (a link: /usr/share/locale/locale.alias is
 * /etc/locale.alias), the enforcing pod must see the name: it is learned.
 */
static const char *fs_side(const struct pr_event *ev, enum pol_cat *c, char *buf, size_t cap)
{
	const struct sysaudit_event *se = ev->u.ebpf.ev;

	if (!se || se->kind != SYSAUDIT_EV_OPEN)
		return NULL;
	*c = (se->eflags & SYSAUDIT_F_WRITE) ? POL_FS_WRITE : POL_FS_READ;
	/* a file absent from the host too: the enforcing run gets ENOENT as well */
	if (se->ret == -ENOENT && access(ev->what, F_OK) != 0 && *c == POL_FS_READ)
		return NULL;
	if (se->raw[0] == '/' && rt_path_normalize(se->raw, buf, cap) == 0 && strcmp(buf, ev->what))
		return pod_own(buf, *c) ? NULL : buf;
	return pod_own(ev->what, *c) ? NULL : ev->what;
}

void pr_learn_note(struct podrun *p, const struct pr_event *ev)
{
	char path[SYSAUDIT_PATH_MAX];
	const char *what;
	enum pol_cat c;

	if (!p->life.lrn)
		return;
	if (ev->kind == PR_EV_START && !p->life.lrn->prog && p->life.prog_abs)
		p->life.lrn->prog = strdup(p->life.prog_abs);
	if (ev->kind == PR_EV_EXIT && p->au.sa)
		sysaudit_lost(p->au.sa, &p->life.lrn->lost);
	if (ev->act != PR_WARN || !ev->what)
		return;
	switch (ev->kind) {
	case PR_EV_DECISION: /* env at spawn; loader queries (ffi) */
		if (ev->u.scope && policy_cat_parse(ev->u.scope, &c) == 0)
			note(p->life.lrn, c, ev->what);
		break;
	case PR_EV_EXEC: /* the exec gate: the name the pod asked for (a link the
			  * enforcing pod must see), unless it is the worker's directory */
		what = ev->u.exec.asked;
		if (!what || what[0] != '/' || !strncmp(what, "/pod/", 5) ||
		    rt_path_normalize(what, path, sizeof path) < 0 || access(path, X_OK) != 0)
			note(p->life.lrn, POL_RUN, ev->what);
		else
			note(p->life.lrn, POL_RUN, path);
		break;
	case PR_EV_NET: /* the proxy (host:port); DNS names carry no port */
		if (ev->src && !strcmp(ev->src, "proxy"))
			note(p->life.lrn, POL_NET, ev->what);
		break;
	case PR_EV_EBPF: /* file opens; mapped code comes with a run or ffi rule */
		if (ev->cat == PR_FS && (what = fs_side(ev, &c, path, sizeof path)))
			note(p->life.lrn, c, what);
		break;
	default:
		break;
	}
}

void pr_learn_free(struct podrun *p)
{
	if (!p->life.lrn)
		return;
	for (size_t i = 0; i < p->life.lrn->n; i++)
		free(p->life.lrn->v[i].what);
	free(p->life.lrn->v);
	free(p->life.lrn->slot);
	free(p->life.lrn->prog);
	policy_free(p->life.lrn->base);
	free(p->life.lrn);
	p->life.lrn = NULL;
}

/* ---- the learned policy ----------------------------------------------------- */

/* Host files the plan brings with an allowed program or library. */
struct files {
	char **v;
	size_t n;
};

static void files_add(struct files *f, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		snprintf(real, sizeof real, "%s", path);
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i], real))
			return;
	pr_strv_add(&f->v, &f->n, real);
}

static void closure_cb(const char *found, const char *real, void *arg)
{
	files_add(arg, found);
	files_add(arg, real);
}

static int files_has(const struct files *f, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		snprintf(real, sizeof real, "%s", path);
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->v[i], real))
			return 1;
	return 0;
}

/* A shared library (ELF ET_DYN) is code: it comes with a run or ffi rule, or
 * with the runtime, never as a read (a read rule would bind it noexec). */
static int shared_object(const char *path)
{
	unsigned char h[18];
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(h, 1, sizeof h, f) : 0;

	if (f)
		fclose(f);
	return n == sizeof h &&
	       !memcmp(h,
		       "\x7f"
		       "ELF",
		       4) &&
	       h[16] == 3 /* ET_DYN */;
}

/* Order by category, then parent directory (for grouping). */
static int cmp_parent(const void *a, const void *b)
{
	const struct learn_item *x = a, *y = b;
	char px[PATH_MAX], py[PATH_MAX];
	int r;

	if (x->cat != y->cat)
		return (int)x->cat - (int)y->cat;
	parent_of(x->what, px, sizeof px);
	parent_of(y->what, py, sizeof py);
	r = strcmp(px, py);
	return r ? r : strcmp(x->what, y->what);
}

/* The end of a path first, then '/', then every other byte. */
static int tree_rank(unsigned char c)
{
	return c == '\0' ? 0 : c == '/' ? 1 : c + 1;
}

/* Order by category, then path with '/' before every other byte (a
 * directory's subtree follows it without a gap); empty entries first. */
static int cmp_tree(const void *a, const void *b)
{
	const struct learn_item *x = a, *y = b;
	const unsigned char *s, *t;

	if (x->cat != y->cat)
		return (int)x->cat - (int)y->cat;
	s = (const unsigned char *)(x->what ? x->what : "");
	t = (const unsigned char *)(y->what ? y->what : "");
	for (; *s && *s == *t; s++, t++)
		;
	return tree_rank(*s) - tree_rank(*t);
}

static int cmp_item(const void *a, const void *b)
{
	const struct learn_item *x = a, *y = b;

	if (x->cat != y->cat)
		return (int)x->cat - (int)y->cat;
	return strcmp(x->what, y->what);
}

/* @p path strictly under directory @p dir (whole components)? */
static int under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[1] != '\0';
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static void parent_of(const char *path, char *out, size_t cap)
{
	const char *s = strrchr(path, '/');
	size_t n = s ? (size_t)(s - path) : 0;

	if (n == 0 || n >= cap)
		n = 1; /* "/" */
	memcpy(out, path, n);
	out[n] = '\0';
}

/*
 * The rules of this run: fs writes of files that do not exist become their
 * directory (creating a file needs the directory); reads of files that the
 * plan brings with a learned program or library (its ELF closure) are
 * dropped; then, per side, paths directly under one directory become that
 * directory when there are at least @p group_at of them.
 */
static int make_rules(const struct podrun *p, int group_at, struct learn_item **out, size_t *nout)
{
	const struct pr_learn *l = p->life.lrn;
	struct learn_item *v = calloc(l->n ? l->n : 1, sizeof *v);
	struct files brought = { 0 };
	size_t n = 0;
	char dir[PATH_MAX];
	struct stat st;

	if (!v)
		return -ENOMEM;
	if (p->life.kind == PR_KIND_NATIVE && l->prog)
		rt_elf_closure(l->prog, closure_cb, &brought, NULL);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].cat == POL_RUN || l->v[i].cat == POL_FFI) {
			files_add(&brought, l->v[i].what);
			rt_elf_closure(l->v[i].what, closure_cb, &brought, NULL);
		}
	for (size_t i = 0; i < l->n; i++) {
		const struct learn_item *it = &l->v[i];
		const char *what = it->what;
		if (it->cat == POL_FS_READ && (files_has(&brought, what) || shared_object(what)))
			continue;
		if (it->cat == POL_FS_WRITE && lstat(what, &st) < 0) {
			parent_of(what, dir, sizeof dir);
			what = dir;
		}
		v[n].cat = it->cat;
		v[n].what = strdup(what);
		if (!v[n].what)
			break;
		n++;
	}
	pr_strv_free(brought.v, brought.n);
	/* group: per side, >= group_at paths directly under one directory (never
	 * "/") become it; sorted by (category, parent) the candidates are runs */
	qsort(v, n, sizeof *v, cmp_parent);
	for (size_t i = 0, j; i < n; i = j) {
		char d2[PATH_MAX];
		parent_of(v[i].what, dir, sizeof dir);
		for (j = i + 1; j < n && v[j].cat == v[i].cat; j++) {
			parent_of(v[j].what, d2, sizeof d2);
			if (strcmp(d2, dir))
				break;
		}
		if ((v[i].cat != POL_FS_READ && v[i].cat != POL_FS_WRITE) || !strcmp(dir, "/") ||
		    j - i < (size_t)group_at)
			continue;
		for (size_t k = i + 1; k < j; k++)
			v[k].what[0] = '\0'; /* covered by the directory */
		free(v[i].what);
		v[i].what = strdup(dir);
	}
	/* drop the emptied ones, duplicates and paths under a learned directory:
	 * sorted with '/' first, a directory's paths follow it directly, so the
	 * last path kept is the only one that can cover the next */
	qsort(v, n, sizeof *v, cmp_tree);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const struct learn_item *last = m ? &v[m - 1] : NULL;
		if (!v[i].what || !v[i].what[0] ||
		    (last && last->cat == v[i].cat &&
		     (!strcmp(last->what, v[i].what) ||
		      ((v[i].cat == POL_FS_READ || v[i].cat == POL_FS_WRITE) &&
		       under_dir(v[i].what, last->what))))) {
			free(v[i].what);
			continue;
		}
		v[m++] = v[i];
	}
	qsort(v, m, sizeof *v, cmp_item);
	*out = v;
	*nout = m;
	return 0;
}

static void items_free(struct learn_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].what);
	free(v);
}

/* "_learned": runs, rules -> runs, group_at; from @p prev (a merged policy) or new. */
static cJSON *provenance(cJSON *prev, int *run_no)
{
	cJSON *lr = prev ? cJSON_DetachItemFromObjectCaseSensitive(prev, "_learned") : NULL;
	cJSON *runs;

	if (!lr || !cJSON_IsObject(lr)) {
		cJSON_Delete(lr);
		lr = cJSON_CreateObject();
	}
	runs = cJSON_GetObjectItemCaseSensitive(lr, "runs");
	if (!cJSON_IsArray(runs)) {
		cJSON_DeleteItemFromObjectCaseSensitive(lr, "runs");
		runs = cJSON_AddArrayToObject(lr, "runs");
	}
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(lr, "rules"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(lr, "rules");
		cJSON_AddObjectToObject(lr, "rules");
	}
	*run_no = cJSON_GetArraySize(runs) + 1;
	return lr;
}

static void credit(cJSON *lr, enum pol_cat c, const char *rule, int run_no)
{
	cJSON *rules = cJSON_GetObjectItemCaseSensitive(lr, "rules"), *a, *it;
	char key[PATH_MAX + 16];

	snprintf(key, sizeof key, "%s %s", policy_cat_name(c), rule);
	a = cJSON_GetObjectItemCaseSensitive(rules, key);
	if (!cJSON_IsArray(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(rules, key);
		a = cJSON_AddArrayToObject(rules, key);
	}
	cJSON_ArrayForEach(it, a) if (cJSON_IsNumber(it) && it->valueint == run_no) return;
	cJSON_AddItemToArray(a, cJSON_CreateNumber(run_no));
}

static void add_run(const struct podrun *p, cJSON *lr, int run_no, int group_at)
{
	cJSON *runs = cJSON_GetObjectItemCaseSensitive(lr, "runs"), *r, *a;
	char ts[32];

	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "run", run_no);
	cJSON_AddStringToObject(r, "pod", p->life.id);
	cJSON_AddStringToObject(r, "program",
				p->life.lrn->prog ? p->life.lrn->prog
				: p->cfg.program  ? p->cfg.program
						  : "");
	a = cJSON_AddArrayToObject(r, "args");
	for (size_t i = 0; i < p->cfg.nargs; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(p->cfg.args[i]));
	pr_timestamp(ts, 0);
	cJSON_AddStringToObject(r, "time", ts);
	if (p->life.state == PODRUN_EXITED)
		cJSON_AddNumberToObject(r, "exit", p->life.exit_code);
	cJSON_AddNumberToObject(r, "ebpf_lost", (double)p->life.lrn->lost);
	cJSON_AddItemToArray(runs, r);
	cJSON_DeleteItemFromObjectCaseSensitive(lr, "group_at");
	cJSON_AddNumberToObject(lr, "group_at", group_at);
}

/*
 * The learned policy: the policy merged into (or the base), plus an allow rule
 * for every learned request it does not already allow. A learned rule equal
 * to a deny or warn rule of the base replaces it (the run needed it).
 */
static int build(struct podrun *p, const char *merge_json, int group_at, char **out)
{
	struct learn_item *rules = NULL;
	size_t nrules = 0;
	policy_t *cur = NULL, *fin = NULL;
	cJSON *root = NULL, *lr = NULL, *norm = NULL;
	struct pol_error e;
	char *text = NULL, *s = NULL;
	int run_no = 1, ret;

	memset(&e, 0, sizeof e);
	ret = make_rules(p, group_at, &rules, &nrules);
	if (ret < 0)
		return ret;
	if (merge_json && *merge_json) {
		root = cJSON_Parse(merge_json);
		ret = root ? load_text(merge_json, "<merge>", &cur, &e) : -EINVAL;
		if (ret < 0) {
			pr_seterr(p, 0, "--merge: the policy to merge into is not valid: %s",
				  e.msg[0] ? e.msg : "not JSON");
			goto out;
		}
	} else {
		text = base_text(p->life.lrn->base, 0);
		root = text ? cJSON_Parse(text) : NULL;
		ret = root ? load_text(text, "<base>", &cur, &e) : -ENOMEM;
		if (ret < 0)
			goto out;
	}
	lr = provenance(root, &run_no);
	for (size_t i = 0; i < nrules; i++) {
		struct pol_decision d;
		cJSON *o = cat_obj(root, rules[i].cat);
		memset(&d, 0, sizeof d);
		if (!o)
			continue;
		/* already allowed by the policy merged into: credit its rule */
		if (policy_decide(cur, rules[i].cat, rules[i].what, &d) == 0 &&
		    d.action != POL_DENY && d.rule && strcmp(d.rule, "default")) {
			credit(lr, rules[i].cat, d.rule, run_no);
			continue;
		}
		for (int a = 1; a < 3; a++) {
			cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, list_names[a]), *it, *next;
			for (it = arr ? arr->child : NULL; it; it = next) {
				next = it->next;
				if (cJSON_IsString(it) && !strcmp(it->valuestring, rules[i].what))
					cJSON_Delete(cJSON_DetachItemViaPointer(arr, it));
			}
		}
		add_unique(o, "allow", rules[i].what);
		credit(lr, rules[i].cat, rules[i].what, run_no);
	}
	add_run(p, lr, run_no, group_at);
	/* normalize through 04 (the text `podpolicy fmt` prints), then provenance */
	free(text);
	text = cJSON_PrintUnformatted(root);
	ret = text ? load_text(text, "<learned>", &fin, &e) : -ENOMEM;
	if (ret < 0) {
		pr_seterr(p, ret, "learn: the learned policy does not load: %s", e.msg);
		goto out;
	}
	free(text);
	text = NULL;
	ret = policy_to_json(fin, &text);
	norm = ret == 0 ? cJSON_Parse(text) : NULL;
	if (!norm) {
		ret = -ENOMEM;
		goto out;
	}
	cJSON_AddItemToObject(norm, "_learned", lr);
	lr = NULL;
	s = cJSON_Print(norm);
	ret = s ? 0 : -ENOMEM;
	if (s) {
		*out = strdup(s);
		cJSON_free(s);
		ret = *out ? 0 : -ENOMEM;
	}
out:
	items_free(rules, nrules);
	cJSON_Delete(root);
	cJSON_Delete(lr);
	cJSON_Delete(norm);
	policy_free(cur);
	policy_free(fin);
	free(text);
	return ret;
}

int64_t podrun_learned_policy(podrun_t *p, const char *merge_json, char *buf, uint32_t cap)
{
	char *json = NULL;
	size_t len;
	int ret;

	if (!p)
		return -EINVAL;
	if (!p->life.lrn)
		return -ENOENT;
	if (p->life.lrn->dropped) {
		pr_seterr(p, 0,
			  "learn: %llu requests beyond the %d kept; the policy would be incomplete",
			  (unsigned long long)p->life.lrn->dropped, PR_LEARN_MAX);
		return -E2BIG;
	}
	ret = build(p, merge_json,
		    p->cfg.learn_group_at > 0 ? p->cfg.learn_group_at : PR_LEARN_GROUP_AT, &json);
	if (ret < 0)
		return ret;
	len = strlen(json);
	if (buf && cap > len)
		memcpy(buf, json, len + 1);
	free(json);
	return (int64_t)len;
}
