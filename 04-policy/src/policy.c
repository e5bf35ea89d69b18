/*
 * policy.c — life cycle of a policy, Deno-style flags, staging and getters.
 *
 * Layer 04 (policy). Builds on norm.c (patterns), load.c (JSON) and lookup.c
 * (finalize + decisions). Used by 05-proxy and 07-runner through policy.h.
 *
 * Every change to a policy goes through a `struct stage`: a JSON load or one flag
 * is parsed completely into a stage, and only when all of it is valid is the
 * stage committed (stage_commit). An error therefore never leaves a policy
 * half-loaded.
 *
 * How flags meet file rules (documented in the chapter):
 *   --allow-net=a,b   adds allow rules a and b (same as appending to net.allow)
 *   --deny-read=/x    adds a deny rule; --warn-env=HOME adds a warn rule
 *   --allow-net       (bare) sets the net default to allow; file deny rules still apply
 *   --deny-net        (bare) sets the net default to deny
 *   --allow-all       sets every category's default to allow
 * Since a flag only adds rules, the usual decision applies: a flag rule with the
 * same pattern as a file rule ties with it, and deny beats warn beats allow.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const char *const cat_names[POL_CAT_COUNT] = { "net", "fs.read", "fs.write",
						      "run", "env",     "ffi" };
static const char *const action_names[] = { "allow", "warn", "deny" };

void err_set(struct pol_error *e, const char *file, int line, int col, const char *jpath,
	     const char *hint, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	e->line = line;
	e->column = col;
	snprintf(e->path, sizeof(e->path), "%s", jpath ? jpath : "");
	snprintf(e->hint, sizeof(e->hint), "%s", hint ? hint : "");
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------- life cycle */

int policy_new(policy_t **out)
{
	struct policy *p;

	if (!out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (int c = 0; c < POL_CAT_COUNT; c++)
		p->cat[c].def = POL_DENY;
	p->search_path = strdup(POL_DEFAULT_PATH);
	if (!p->search_path || hmap_init(&p->seen, 64) < 0) {
		policy_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void rule_free(struct rule *r)
{
	free(r->pattern);
	free(r->key);
	free(r->orig);
	free(r->at.jpath);
	memset(r, 0, sizeof(*r));
}

void policy_free(policy_t *p)
{
	if (!p)
		return;
	lookup_free(p);
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		free(p->pub[c]);
		for (size_t i = 0; i < p->cat[c].n; i++)
			rule_free(&p->cat[c].v[i]);
		free(p->cat[c].v);
	}
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	hmap_free(&p->seen);
	free(p->search_path);
	free(p);
}

int policy_set_search_path(policy_t *p, const char *path_list)
{
	char *s;

	if (!p || !path_list)
		return -EINVAL;
	if (p->finalized)
		return -EBUSY;
	s = strdup(path_list);
	if (!s)
		return -ENOMEM;
	free(p->search_path);
	p->search_path = s;
	return 0;
}

/* ---------------------------------------------------------------- staging */

void stage_free(struct stage *st)
{
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		for (size_t i = 0; i < st->cat[c].n; i++)
			rule_free(&st->cat[c].v[i]);
		free(st->cat[c].v);
		st->cat[c].v = NULL;
		st->cat[c].n = st->cat[c].cap = 0;
	}
}

static int vec_push(struct cat_rules *cr, const struct rule *r)
{
	if (cr->n == cr->cap) {
		size_t cap = cr->cap ? cr->cap * 2 : 16;
		struct rule *v = realloc(cr->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		cr->v = v;
		cr->cap = cap;
	}
	cr->v[cr->n++] = *r;
	return 0;
}

int stage_add(struct stage *st, enum pol_cat c, const struct rule *r)
{
	return vec_push(&st->cat[c], r);
}

static uint32_t seen_key(enum pol_cat c, enum pol_action a)
{
	return (uint32_t)c * 3u + (uint32_t)a;
}

/* Duplicate file rules are an error; anything involving a flag is merged silently. */
static int stage_check_dups(struct policy *p, struct stage *st, struct pol_error *err)
{
	struct hmap tmp;
	int ret = 0;

	if (hmap_init(&tmp, 64) < 0)
		return -ENOMEM;
	for (int c = 0; c < POL_CAT_COUNT && ret == 0; c++) {
		for (size_t i = 0; i < st->cat[c].n; i++) {
			struct rule *r = &st->cat[c].v[i];
			uint32_t k = seen_key((enum pol_cat)c, r->action),
				 len = (uint32_t)strlen(r->pattern);
			uint32_t old = hmap_get(&p->seen, k, r->pattern, len);
			struct rule *o = old != UINT32_MAX ? &p->cat[c].v[old] : NULL;
			if (!o) {
				uint32_t j = hmap_put(&tmp, k, r->pattern, len, (uint32_t)i);
				if (j == UINT32_MAX) {
					ret = -ENOMEM;
					break;
				}
				o = j != i ? &st->cat[c].v[j] : NULL;
			}
			if (o && !o->at.from_flag && !r->at.from_flag) {
				char hint[200];
				snprintf(hint, sizeof(hint),
					 "`%s` was already given at line %d, column %d (%s)",
					 r->pattern, o->at.line, o->at.col, o->at.jpath);
				err_set(err, r->at.file, r->at.line, r->at.col, r->at.jpath, hint,
					"duplicate %s rule `%s` in %s", action_names[r->action],
					r->pattern, cat_names[c]);
				ret = -EINVAL;
				break;
			}
		}
	}
	hmap_free(&tmp);
	return ret;
}

int stage_commit(struct policy *p, struct stage *st, struct pol_error *err)
{
	int ret = stage_check_dups(p, st, err);

	if (ret < 0)
		return ret;
	/* Reserve first so that the moves below cannot fail half-way. */
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		struct cat_rules *cr = &p->cat[c];
		size_t need = cr->n + st->cat[c].n;
		if (need > cr->cap) {
			struct rule *v = realloc(cr->v, need * sizeof(*v));
			if (!v)
				return -ENOMEM;
			cr->v = v;
			cr->cap = need;
		}
	}
	{
		size_t total = p->seen.n;
		for (int c = 0; c < POL_CAT_COUNT; c++)
			total += st->cat[c].n;
		if (hmap_reserve(&p->seen, total) < 0) /* so that no put below can fail */
			return -ENOMEM;
	}
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		struct cat_rules *cr = &p->cat[c];
		for (size_t i = 0; i < st->cat[c].n; i++) {
			struct rule *r = &st->cat[c].v[i];
			uint32_t k = seen_key((enum pol_cat)c, r->action);
			if (hmap_get(&p->seen, k, r->pattern, (uint32_t)strlen(r->pattern)) !=
			    UINT32_MAX) {
				rule_free(r); /* same rule from a flag: merged */
				continue;
			}
			cr->v[cr->n] = *r;
			hmap_put(&p->seen, k, cr->v[cr->n].pattern, (uint32_t)strlen(r->pattern),
				 (uint32_t)cr->n);
			cr->n++;
		}
		st->cat[c].n = 0;
		/* a bare flag's default stays on top of a file loaded after it; among
		 * bare flags the stricter wins whatever the order (deny > warn > allow,
		 * as Deno's --deny-X beats its --allow-X) */
		if (st->def_set[c] && st->from_flag && p->def_by_flag[c])
			cr->def = st->cat[c].def > cr->def ? st->cat[c].def : cr->def;
		else if (st->def_set[c] && (st->from_flag || !p->def_by_flag[c]))
			cr->def = st->cat[c].def;
		if (st->def_set[c] && st->from_flag)
			p->def_by_flag[c] = 1;
	}
	if (st->limits_set) {
		if (st->limits.timeout_s)
			p->limits.timeout_s = st->limits.timeout_s;
		if (st->limits.memory_bytes)
			p->limits.memory_bytes = st->limits.memory_bytes;
		if (st->limits.pids)
			p->limits.pids = st->limits.pids;
		if (st->limits.cpu_percent)
			p->limits.cpu_percent = st->limits.cpu_percent;
		if (st->limits.nofile)
			p->limits.nofile = st->limits.nofile;
		if (st->limits.fsize_bytes)
			p->limits.fsize_bytes = st->limits.fsize_bytes;
		if (st->limits.audit_max_bytes)
			p->limits.audit_max_bytes = st->limits.audit_max_bytes;
	}
	stage_free(st);
	return 0;
}

/* ---------------------------------------------------------------- flags */

static const char *const flag_words[] = { "net", "read", "write", "run", "env", "ffi", NULL };
static const enum pol_cat flag_cats[] = { POL_NET, POL_FS_READ, POL_FS_WRITE,
					  POL_RUN, POL_ENV,     POL_FFI };
static const char *const flag_names[] = { "allow-net",  "allow-read", "allow-write", "allow-run",
					  "allow-env",  "allow-ffi",  "deny-net",    "deny-read",
					  "deny-write", "deny-run",   "deny-env",    "deny-ffi",
					  "warn-net",   "warn-read",  "warn-write",  "warn-run",
					  "warn-env",   "warn-ffi",   "allow-all",   NULL };

/*
 * A relative path in a flag (`--allow-read=.`, `--allow-run=./tool`) means
 * what it means to the shell that typed it, as in Deno: it is resolved
 * against the working directory. @return 1 when @p s is one (@p out holds the
 * absolute text, or "" when it cannot be made), 0 otherwise.
 */
static int relative_path(enum pol_cat c, const char *s, size_t len, char *out, size_t cap)
{
	char cwd[POL_MAX_PATTERN];
	int path = c == POL_FS_READ || c == POL_FS_WRITE || c == POL_FFI ||
		   (c == POL_RUN && memchr(s, '/', len));

	if (!path || len == 0 || s[0] == '/' || s[0] == '~')
		return 0;
	out[0] = '\0';
	if (!getcwd(cwd, sizeof cwd) ||
	    snprintf(out, cap, "%s/%.*s", strcmp(cwd, "/") ? cwd : "", (int)len, s) >= (int)cap)
		out[0] = '\0';
	return 1;
}

/* Parse the comma-separated LIST of one flag into @p st. */
static int flag_list(struct stage *st, const char *flag, const char *list, size_t fnlen,
		     enum pol_cat c, enum pol_action a, struct pol_error *err)
{
	const char *s = list;
	int idx = 0;

	for (;;) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		struct rule r = { .action = a };
		char msg[400], hint[256], jp[64], abs[POL_MAX_PATTERN];
		int col = (int)(s - flag) + 1;
		const char *in = s;
		size_t inlen = len;

		snprintf(jp, sizeof(jp), "%.*s[%d]", (int)(fnlen > 40 ? 40 : fnlen), flag, idx);
		if (relative_path(c, s, len, abs, sizeof(abs))) {
			if (!abs[0]) {
				err_set(err, "<flags>", 0, col, jp, "write the absolute path",
					"relative path `%.*s` cannot be resolved against the "
					"working directory",
					(int)(len > 200 ? 200 : len), s);
				return -EINVAL;
			}
			in = abs;
			inlen = strlen(abs);
		}
		if (norm_pattern(c, in, inlen, &r, msg, sizeof(msg), hint, sizeof(hint)) < 0) {
			rule_free(&r);
			err_set(err, "<flags>", 0, col, jp, hint, "%s", msg);
			return -EINVAL;
		}
		r.at = (struct origin){ .file = "<flags>",
					.line = 0,
					.col = col,
					.jpath = strdup(jp),
					.from_flag = 1 };
		if (!r.pattern || !r.at.jpath || stage_add(st, c, &r) < 0) {
			rule_free(&r);
			return -ENOMEM;
		}
		if (!e)
			return 0;
		s = e + 1;
		idx++;
	}
}

static int flag_parse(struct stage *st, const char *flag, struct pol_error *err)
{
	const char *name = flag + 2, *eq = strchr(name, '=');
	size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
	static const char *const acts[] = { "allow-", "warn-", "deny-" };
	char word[32];
	int a = -1, w = -1;

	if (nlen == 9 && strncmp(name, "allow-all", 9) == 0) {
		if (eq) {
			err_set(err, "<flags>", 0, (int)(eq - flag) + 1, "--allow-all",
				"--allow-all takes no value", "unexpected value after --allow-all");
			return -EINVAL;
		}
		for (int c = 0; c < POL_CAT_COUNT; c++) {
			st->cat[c].def = POL_ALLOW;
			st->def_set[c] = 2;
		}
		return 0;
	}
	for (int i = 0; i < 3; i++)
		if (strncmp(name, acts[i], strlen(acts[i])) == 0)
			a = i;
	if (a < 0)
		return -ENOENT;
	snprintf(word, sizeof(word), "%.*s", (int)(nlen > 30 ? 30 : nlen), name);
	for (int i = 0; flag_words[i]; i++)
		if (strcmp(word + strlen(acts[a]), flag_words[i]) == 0)
			w = i;
	if (w < 0) {
		const char *s = suggest(word, flag_names);
		char hint[80] = "";
		if (s)
			snprintf(hint, sizeof(hint), "did you mean `--%s`?", s);
		char jp[40];
		snprintf(jp, sizeof(jp), "--%s", word);
		err_set(err, "<flags>", 0, 1, jp, hint,
			"unknown permission flag `--%s` (Pod/Runner knows net, read, write, run, "
			"env, ffi)",
			word);
		return -EINVAL;
	}
	if (!eq) {
		st->cat[flag_cats[w]].def = (enum pol_action)a;
		st->def_set[flag_cats[w]] = 2;
		return 0;
	}
	return flag_list(st, flag, eq + 1, (size_t)(eq - flag), flag_cats[w], (enum pol_action)a,
			 err);
}

int policy_apply_flag(policy_t *p, const char *flag, struct pol_error *err)
{
	struct stage st = { .from_flag = 1 };
	int ret;

	if (!p || !flag)
		return -EINVAL;
	if (strncmp(flag, "--", 2) != 0)
		return -ENOENT;
	if (err)
		memset(err, 0, sizeof(*err));
	ret = flag_parse(&st, flag, err);
	if (ret == 0 && p->finalized) {
		err_set(err, "<flags>", 0, 0, flag, "apply flags before policy_finalize",
			"policy is already finalized");
		ret = -EBUSY;
	}
	if (ret == 0)
		ret = stage_commit(p, &st, err);
	stage_free(&st);
	return ret;
}

/* ---------------------------------------------------------------- finalize */

/*
 * Another copy of a denied or warned program further down the search path:
 * a rule of its own (same action, same origin), so the name is decided
 * wherever it is found.
 */
static int add_copy(struct cat_rules *cr, size_t i, const char *path)
{
	struct rule n = { 0 };

	if (cr->n == cr->cap) {
		size_t cap = cr->cap ? cr->cap * 2 : 8;
		struct rule *v = realloc(cr->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		cr->v = v;
		cr->cap = cap;
	}
	n.action = cr->v[i].action;
	n.kind = RK_PATH;
	n.pattern = strdup(path);
	n.key = strdup(path);
	n.at = cr->v[i].at;
	n.at.jpath = cr->v[i].at.jpath ? strdup(cr->v[i].at.jpath) : NULL;
	if (!n.pattern || !n.key || (cr->v[i].at.jpath && !n.at.jpath)) {
		rule_free(&n);
		return -ENOMEM;
	}
	for (size_t k = 0; k < cr->n; k++)
		if (cr->v[k].kind == RK_PATH && !strcmp(cr->v[k].pattern, path) &&
		    cr->v[k].action == n.action) {
			rule_free(&n); /* already a rule of its own */
			return 0;
		}
	cr->v[cr->n++] = n;
	return 0;
}

/* Resolve bare program names of run rules against the search path: an allow
 * names the first hit (the one that runs), a deny or warn every hit. */
static int resolve_programs(struct policy *p, struct pol_error *err)
{
	struct cat_rules *cr = &p->cat[POL_RUN];
	size_t n0 = cr->n;

	for (size_t i = 0; i < n0; i++) {
		struct rule *r = &cr->v[i];
		const char *d = p->search_path;
		char cand[POL_MAX_PATTERN], norm[POL_MAX_PATTERN], more[POL_MAX_PATTERN];
		int found = 0;

		if (r->kind != RK_PROG)
			continue;
		while (*d) {
			size_t dl = strcspn(d, ":");
			struct stat sb;
			if (dl > 0 && d[0] == '/' &&
			    snprintf(cand, sizeof(cand), "%.*s/%s", (int)dl, d, r->key) <
				(int)sizeof(cand) &&
			    stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) &&
			    access(cand, X_OK) == 0 &&
			    norm_path(cand, strlen(cand), found ? more : norm) > 0) {
				if (found && r->action != POL_ALLOW && strcmp(more, norm)) {
					int ret = add_copy(cr, i, more);
					if (ret < 0)
						return ret;
					r = &cr->v[i]; /* the array may have moved */
				}
				found = 1;
				if (r->action == POL_ALLOW)
					break;
			}
			d += dl + (d[dl] == ':');
		}
		if (!found) {
			err_set(err, r->at.file, r->at.line, r->at.col, r->at.jpath,
				"give an absolute path, or set the search path the runner uses",
				"program `%s` was not found in the search path %s", r->key,
				p->search_path);
			return -ENOENT;
		}
		char *pat = strdup(norm), *key = strdup(norm);
		if (!pat || !key) {
			free(pat);
			free(key);
			return -ENOMEM;
		}
		/* p->seen points at the old pattern: keep it alive as `orig` */
		r->orig = r->pattern;
		free(r->key);
		r->pattern = pat;
		r->key = key;
		r->kind = RK_PATH;
	}
	return 0;
}

static int build_public(struct policy *p)
{
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		struct cat_rules *cr = &p->cat[c];
		free(p->pub[c]);
		p->pub[c] = calloc(cr->n ? cr->n : 1, sizeof(struct pol_rule));
		if (!p->pub[c])
			return -ENOMEM;
		for (size_t i = 0; i < cr->n; i++)
			p->pub[c][i] =
			    (struct pol_rule){ (enum pol_cat)c, cr->v[i].action, cr->v[i].pattern };
	}
	return 0;
}

int policy_finalize(policy_t *p, struct pol_error *err)
{
	int ret;

	if (!p)
		return -EINVAL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (p->finalized)
		return 0;
	/* 1. bare program names -> absolute paths */
	ret = resolve_programs(p, err);
	/* 2. the arrays policy_rules() hands out */
	if (ret == 0)
		ret = build_public(p);
	/* 3. tries, hash tables and prefix tables */
	if (ret == 0)
		ret = lookup_build(p, err);
	if (ret < 0) {
		lookup_free(p);
		if (ret == -ENOMEM && err && !err->msg[0])
			err_set(err, "", 0, 0, "", "", "out of memory");
		return ret;
	}
	p->finalized = 1;
	return 0;
}

/* ---------------------------------------------------------------- getters */

enum pol_action policy_default(const policy_t *p, enum pol_cat cat)
{
	if (!p || (unsigned)cat >= POL_CAT_COUNT)
		return POL_DENY;
	return p->cat[cat].def;
}

int policy_rules(const policy_t *p, enum pol_cat cat, const struct pol_rule **rules, size_t *n)
{
	if (!p || (unsigned)cat >= POL_CAT_COUNT || !rules || !n)
		return -EINVAL;
	if (!p->finalized)
		return -EAGAIN;
	*rules = p->pub[cat];
	*n = p->cat[cat].n;
	return 0;
}

const struct pol_limits *policy_limits(const policy_t *p)
{
	static const struct pol_limits none;
	return p ? &p->limits : &none;
}

int policy_net_possible(const policy_t *p)
{
	if (!p)
		return 0;
	if (p->cat[POL_NET].def != POL_DENY)
		return 1;
	for (size_t i = 0; i < p->cat[POL_NET].n; i++)
		if (p->cat[POL_NET].v[i].action != POL_DENY)
			return 1;
	return 0;
}

const char *policy_cat_name(enum pol_cat cat)
{
	return (unsigned)cat < POL_CAT_COUNT ? cat_names[cat] : "?";
}

const char *policy_action_name(enum pol_action a)
{
	return (unsigned)a <= POL_DENY ? action_names[a] : "?";
}

int policy_cat_parse(const char *name, enum pol_cat *out)
{
	static const struct {
		const char *n;
		enum pol_cat c;
	} tab[] = {
		{ "net", POL_NET },           { "fs.read", POL_FS_READ }, { "read", POL_FS_READ },
		{ "fs.write", POL_FS_WRITE }, { "write", POL_FS_WRITE },  { "run", POL_RUN },
		{ "env", POL_ENV },           { "ffi", POL_FFI },
	};

	if (!name || !out)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(name, tab[i].n) == 0) {
			*out = tab[i].c;
			return 0;
		}
	}
	return -EINVAL;
}
