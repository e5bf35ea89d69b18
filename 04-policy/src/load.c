/*
 * load.c — strict loading of JSON policy files (docs/policy.md).
 *
 * Layer 04 (policy). Builds on cJSON (parsing) and norm.c (patterns). Used by
 * policy_load_file / policy_load_json, i.e. by 07-runner (--policy FILE) and by
 * the podpolicy tool.
 *
 * cJSON gives us a tree but no source positions. We recover them ourselves:
 *
 *   text ──cJSON_ParseWithOpts──> tree           (syntax errors: the parse end
 *     │                                           pointer gives the offset)
 *     └──scan_positions──> value offsets in text order
 *
 * A JSON tree visited in pre-order meets its values in exactly the order they
 * start in the text, and cJSON keeps object members (duplicates included) in
 * text order. So the k-th node of a pre-order walk of the tree is the k-th value
 * the scanner found; a sorted (node pointer -> k) table turns any node into its
 * byte offset, and a forward-moving cursor turns offsets into line:column.
 *
 * Validation is strict: unknown keys, duplicate keys, wrong types, bad values,
 * empty and invalid patterns are errors naming file, line, column and JSON path,
 * with a hint. Everything lands in a struct stage first; the policy changes only
 * when the whole file is valid.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

struct vpos {
	uint32_t voff; /* where the value starts */
	int32_t koff;  /* where its key starts (object members), else -1 */
};
struct nodeidx {
	const cJSON *node;
	uint32_t idx;
};

struct ld {
	const char *text;
	size_t len;
	const char *file;
	struct vpos *pos;
	size_t npos, cap;
	struct nodeidx *map; /* sorted by node pointer */
	size_t nmap;
	struct {
		size_t off;
		int line, col;
	} cur; /* line/column cursor */
	struct pol_error *err;
	struct stage *st;
};

/* ---------------------------------------------------------------- positions */

static int pos_push(struct ld *l, size_t voff, long koff)
{
	if (l->npos == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct vpos *v = realloc(l->pos, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->pos = v;
		l->cap = cap;
	}
	l->pos[l->npos++] = (struct vpos){ (uint32_t)voff, (int32_t)koff };
	return 0;
}

static size_t skip_string(const char *t, size_t i, size_t len)
{
	for (i++; i < len && t[i] != '"'; i++)
		if (t[i] == '\\')
			i++;
	return i + 1;
}

/* Record the start of every value, in text order. Runs on text cJSON accepted. */
static int scan_positions(struct ld *l)
{
	const char *t = l->text;
	char stack[1100];
	int depth = 0, expect_key = 0;
	long key = -1;

	size_t i = 0;

	if (l->len >= 3 && memcmp(t, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* cJSON skips a UTF-8 byte-order mark too */
	while (i < l->len) {
		char c = t[i];
		if ((unsigned char)c <= 32) { /* cJSON skips every byte <= 32 as white space */
			i++;
		} else if (c == '{' || c == '[') {
			if (pos_push(l, i, key) < 0 || depth >= (int)sizeof(stack))
				return -ENOMEM;
			key = -1;
			stack[depth++] = c;
			expect_key = c == '{';
			i++;
		} else if (c == '}' || c == ']') {
			depth -= depth > 0;
			expect_key = 0;
			i++;
		} else if (c == ',') {
			expect_key = depth > 0 && stack[depth - 1] == '{';
			i++;
		} else if (c == ':') {
			expect_key = 0;
			i++;
		} else if (c == '"' && expect_key) {
			key = (long)i;
			i = skip_string(t, i, l->len);
		} else {
			if (pos_push(l, i, key) < 0)
				return -ENOMEM;
			key = -1;
			if (c == '"')
				i = skip_string(t, i, l->len);
			else
				while (i < l->len && (unsigned char)t[i] > 32 &&
				       !strchr(",]}:", t[i]))
					i++;
		}
	}
	return 0;
}

/*
 * cJSON decodes the escape \u0000 into a NUL byte and so silently cuts the
 * string short ("/data\u0000/x" would load as "/data"). Find the first such
 * escape inside a string of text cJSON accepted. @return its offset, or -1.
 */
static long find_nul_escape(const char *t, size_t len)
{
	int in_str = 0;

	for (size_t i = 0; i < len; i++) {
		if (t[i] == '"') {
			in_str = !in_str;
		} else if (in_str && t[i] == '\\' && i + 1 < len) {
			if (t[i + 1] == 'u' && i + 5 < len && memcmp(t + i + 2, "0000", 4) == 0)
				return (long)i;
			i++; /* skip the escaped character (an escaped quote included) */
		}
	}
	return -1;
}

static int map_cmp(const void *a, const void *b)
{
	const cJSON *x = ((const struct nodeidx *)a)->node, *y = ((const struct nodeidx *)b)->node;
	return x < y ? -1 : x > y;
}

static int map_fill(struct ld *l, const cJSON *n, size_t cap)
{
	for (; n; n = n->next) {
		if (l->nmap >= cap)
			return -EINVAL;
		l->map[l->nmap] = (struct nodeidx){ n, (uint32_t)l->nmap };
		l->nmap++;
		if (n->child && map_fill(l, n->child, cap) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Build the node -> pre-order index table. */
static int map_build(struct ld *l, const cJSON *root)
{
	l->map = calloc(l->npos ? l->npos : 1, sizeof(*l->map));
	if (!l->map)
		return -ENOMEM;
	l->map[0] = (struct nodeidx){ root, 0 };
	l->nmap = 1;
	if (root->child && map_fill(l, root->child, l->npos) < 0)
		l->nmap = 0; /* scanner and tree disagree: positions become unknown */
	qsort(l->map, l->nmap, sizeof(*l->map), map_cmp);
	return 0;
}

static long node_offset(const struct ld *l, const cJSON *n, int want_key)
{
	size_t lo = 0, hi = l->nmap;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (l->map[mid].node == n) {
			const struct vpos *v = &l->pos[l->map[mid].idx];
			return want_key && v->koff >= 0 ? v->koff : (long)v->voff;
		}
		if ((const void *)l->map[mid].node < (const void *)n)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Offset -> 1-based line and column (columns count UTF-8 characters). */
static void linecol(struct ld *l, long off, int *line, int *col)
{
	if (off < 0) {
		*line = *col = 0;
		return;
	}
	if ((size_t)off < l->cur.off || l->cur.line == 0)
		l->cur.off = 0, l->cur.line = 1, l->cur.col = 1;
	for (size_t i = l->cur.off; i < (size_t)off && i < l->len; i++) {
		if (l->text[i] == '\n') {
			l->cur.line++;
			l->cur.col = 1;
		} else if (((unsigned char)l->text[i] & 0xc0) != 0x80) {
			l->cur.col++;
		}
	}
	l->cur.off = (size_t)off;
	*line = l->cur.line;
	*col = l->cur.col;
}

__attribute__((format(printf, 6, 7))) static int fail(struct ld *l, const cJSON *n, int at_key,
						      const char *jpath, const char *hint,
						      const char *fmt, ...)
{
	char msg[512];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	linecol(l, n ? node_offset(l, n, at_key) : -1, &line, &col);
	err_set(l->err, l->file, line, col, jpath, hint, "%s", msg);
	return -EINVAL;
}

/* ---------------------------------------------------------------- validation */

static const char *type_name(const cJSON *n)
{
	if (cJSON_IsString(n))
		return "a string";
	if (cJSON_IsNumber(n))
		return "a number";
	if (cJSON_IsBool(n))
		return "a boolean";
	if (cJSON_IsNull(n))
		return "null";
	if (cJSON_IsArray(n))
		return "an array";
	if (cJSON_IsObject(n))
		return "an object";
	return "something else";
}

typedef int (*member_fn)(struct ld *l, int key, const cJSON *v, const char *jpath, void *ctx);

/* Check that @p obj is an object with known, unique keys, and visit each member. */
static int walk_object(struct ld *l, const cJSON *obj, const char *jpath, const char *const *keys,
		       member_fn fn, void *ctx)
{
	const cJSON *first[16] = { 0 };
	char sub[256], hint[256];

	if (!cJSON_IsObject(obj))
		return fail(l, obj, 0, jpath, "write it as { ... }", "%s must be an object, not %s",
			    jpath, type_name(obj));
	for (const cJSON *m = obj->child; m; m = m->next) {
		int k = -1, ret;
		for (int i = 0; keys[i]; i++)
			if (strcmp(m->string, keys[i]) == 0)
				k = i;
		snprintf(sub, sizeof(sub), "%s.%s", jpath, m->string);
		if (k < 0) {
			const char *s = suggest(m->string, keys);
			size_t o = 0;
			if (s) {
				snprintf(hint, sizeof(hint), "did you mean `%s`?", s);
			} else {
				o = (size_t)snprintf(hint, sizeof(hint), "known keys here:");
				for (int i = 0; keys[i] && o < sizeof(hint); i++)
					o += (size_t)snprintf(hint + o, sizeof(hint) - o, " %s",
							      keys[i]);
			}
			return fail(l, m, 1, sub, hint, "unknown key `%.100s` in %s", m->string,
				    jpath);
		}
		if (first[k]) {
			int line, col;
			linecol(l, node_offset(l, first[k], 1), &line, &col);
			snprintf(hint, sizeof(hint),
				 "`%s` was first given at line %d, column %d; keep one", keys[k],
				 line, col);
			return fail(l, m, 1, sub, hint, "duplicate key `%s` in %s", keys[k], jpath);
		}
		first[k] = m;
		ret = fn(l, k, m, sub, ctx);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int parse_action(struct ld *l, const cJSON *v, const char *jpath, enum pol_action *out)
{
	static const char *const acts[] = { "allow", "warn", "deny", NULL };
	char hint[128] = "a default is one of \"allow\", \"warn\", \"deny\"";

	if (!cJSON_IsString(v))
		return fail(l, v, 0, jpath, hint, "%s must be a string, not %s", jpath,
			    type_name(v));
	for (int i = 0; acts[i]; i++) {
		if (strcmp(v->valuestring, acts[i]) == 0) {
			*out = (enum pol_action)i;
			return 0;
		}
	}
	const char *s = suggest(v->valuestring, acts);
	if (s)
		snprintf(hint, sizeof(hint), "did you mean `%s`?", s);
	return fail(l, v, 0, jpath, hint, "`%.100s` is not an action", v->valuestring);
}

static int parse_list(struct ld *l, const cJSON *arr, const char *jpath, enum pol_cat c,
		      enum pol_action a)
{
	char sub[256], msg[400], hint[256];
	int i = 0;

	if (!cJSON_IsArray(arr)) {
		if (cJSON_IsString(arr))
			snprintf(hint, sizeof(hint), "write a list: [\"%.100s\"]",
				 arr->valuestring);
		else
			snprintf(hint, sizeof(hint), "write a list of strings: [\"...\", \"...\"]");
		return fail(l, arr, 0, jpath, hint, "%s must be an array of strings, not %s", jpath,
			    type_name(arr));
	}
	for (const cJSON *e = arr->child; e; e = e->next, i++) {
		struct rule r = { .action = a };
		int line, col;
		snprintf(sub, sizeof(sub), "%s[%d]", jpath, i);
		if (!cJSON_IsString(e))
			return fail(l, e, 0, sub, "patterns are strings",
				    "%s must be a string, not %s", sub, type_name(e));
		if (norm_pattern(c, e->valuestring, strlen(e->valuestring), &r, msg, sizeof(msg),
				 hint, sizeof(hint)) < 0) {
			rule_free(&r);
			return fail(l, e, 0, sub, hint, "%s", msg);
		}
		linecol(l, node_offset(l, e, 0), &line, &col);
		r.at = (struct origin){
			.file = l->file, .line = line, .col = col, .jpath = strdup(sub)
		};
		if (!r.pattern || !r.at.jpath || stage_add(l->st, c, &r) < 0) {
			rule_free(&r);
			return -ENOMEM;
		}
	}
	return 0;
}

static void set_default(struct stage *st, enum pol_cat c, enum pol_action a, int level)
{
	if (level >= st->def_set[c]) {
		st->cat[c].def = a;
		st->def_set[c] = level;
	}
}

static const char *const cat_keys[] = { "default", "allow", "warn", "deny", NULL };
static const enum pol_action list_action[] = { 0, POL_ALLOW, POL_WARN, POL_DENY };

/* Members of net/run/env/ffi and fs.read/fs.write. ctx points at the category. */
static int cat_member(struct ld *l, int key, const cJSON *v, const char *jpath, void *ctx)
{
	enum pol_cat c = *(enum pol_cat *)ctx;
	enum pol_action a;

	if (key == 0) {
		if (parse_action(l, v, jpath, &a) < 0)
			return -EINVAL;
		set_default(l->st, c, a, 2);
		return 0;
	}
	return parse_list(l, v, jpath, c, list_action[key]);
}

static int fs_member(struct ld *l, int key, const cJSON *v, const char *jpath, void *ctx)
{
	enum pol_cat c = key == 1 ? POL_FS_READ : POL_FS_WRITE;
	enum pol_action a;

	(void)ctx;
	if (key == 0) {
		if (parse_action(l, v, jpath, &a) < 0)
			return -EINVAL;
		set_default(l->st, POL_FS_READ, a, 1);
		set_default(l->st, POL_FS_WRITE, a, 1);
		return 0;
	}
	return walk_object(l, v, jpath, cat_keys, cat_member, &c);
}

static int int_value(struct ld *l, const cJSON *v, const char *jpath, double lo, double hi,
		     const char *hint, uint64_t *out)
{
	if (!cJSON_IsNumber(v))
		return fail(l, v, 0, jpath, hint, "%s must be a number, not %s", jpath,
			    type_name(v));
	if (v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo || v->valuedouble > hi)
		return fail(l, v, 0, jpath, hint, "%s must be a whole number in %.0f-%.0f", jpath,
			    lo, hi);
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int limits_member(struct ld *l, int key, const cJSON *v, const char *jpath, void *ctx)
{
	uint64_t x;

	(void)ctx;
	l->st->limits_set = 1;
	switch (key) {
	case 0:
		if (int_value(l, v, jpath, 1, 31536000, "seconds, e.g. 30", &x) < 0)
			return -EINVAL;
		l->st->limits.timeout_s = (uint32_t)x;
		return 0;
	case 1:
		if (cJSON_IsString(v)) {
			/* same range as the number form (2^53: what a JSON number holds exactly) */
			if (norm_size(v->valuestring, &x) < 0 || x == 0 || x > (1ull << 53))
				return fail(
				    l, v, 0, jpath,
				    "write bytes with an optional k, m or g suffix, e.g. \"256m\"",
				    "`%.60s` is not a memory size", v->valuestring);
		} else if (int_value(l, v, jpath, 1, 9007199254740992.0,
				     "a byte count, or a string such as \"256m\"", &x) < 0) {
			return -EINVAL;
		}
		l->st->limits.memory_bytes = x;
		return 0;
	case 2:
		if (int_value(l, v, jpath, 1, 4194304, "a process count, e.g. 64", &x) < 0)
			return -EINVAL;
		l->st->limits.pids = (uint32_t)x;
		return 0;
	case 3: /* cpu: CPUs, a fraction allowed */
		if (!cJSON_IsNumber(v) || v->valuedouble < 0.01 || v->valuedouble > 1024)
			return fail(l, v, 0, jpath, "CPUs, e.g. 1.5",
				    "%s must be a number of CPUs in 0.01-1024", jpath);
		l->st->limits.cpu_percent = (uint32_t)(v->valuedouble * 100.0 + 0.5);
		return 0;
	case 4:
		if (int_value(l, v, jpath, 1, 1048576, "a count of open files, e.g. 1024", &x) < 0)
			return -EINVAL;
		l->st->limits.nofile = (uint32_t)x;
		return 0;
	default: /* fsize, audit_max: sizes like memory */
		if (cJSON_IsString(v)) {
			if (norm_size(v->valuestring, &x) < 0 || x == 0 || x > (1ull << 53))
				return fail(
				    l, v, 0, jpath,
				    "write bytes with an optional k, m or g suffix, e.g. \"64m\"",
				    "`%.60s` is not a size", v->valuestring);
		} else if (int_value(l, v, jpath, 1, 9007199254740992.0,
				     "a byte count, or a string such as \"64m\"", &x) < 0) {
			return -EINVAL;
		}
		if (key == 5)
			l->st->limits.fsize_bytes = x;
		else
			l->st->limits.audit_max_bytes = x;
		return 0;
	}
}

static int top_member(struct ld *l, int key, const cJSON *v, const char *jpath, void *ctx)
{
	static const char *const fs_keys[] = { "default", "read", "write", NULL };
	static const char *const lim_keys[] = { "timeout_s", "memory", "pids",      "cpu",
						"nofile",    "fsize",  "audit_max", NULL };
	static const enum pol_cat cats[] = { 0, POL_NET, 0, POL_RUN, POL_ENV, POL_FFI };
	enum pol_cat c;

	(void)ctx;
	switch (key) {
	case 0: /* version */
		if (!cJSON_IsNumber(v))
			return fail(l, v, 0, jpath, "write \"version\": 1",
				    "version must be a number, not %s", type_name(v));
		if (v->valuedouble != 1)
			return fail(l, v, 0, jpath, "this Pod/Runner reads policy version 1",
				    "unsupported policy version %g", v->valuedouble);
		return 0;
	case 2:
		return walk_object(l, v, jpath, fs_keys, fs_member, NULL);
	case 6:
		return walk_object(l, v, jpath, lim_keys, limits_member, NULL);
	case 7: /* _learned: where learned rules came from; no rule, never decided on */
		if (!cJSON_IsObject(v))
			return fail(l, v, 0, jpath, "`_learned` is written by `podrun learn`",
				    "_learned must be an object, not %s", type_name(v));
		return 0;
	default:
		c = cats[key];
		return walk_object(l, v, jpath, cat_keys, cat_member, &c);
	}
}

/* ---------------------------------------------------------------- syntax errors */

static int syntax_error(struct ld *l, const char *end)
{
	size_t off = end && end >= l->text && end <= l->text + l->len ? (size_t)(end - l->text) : 0;
	const char *hint = "check for a missing comma, quote or bracket near here";
	char near[24];
	int line, col;
	size_t back = off;

	/* cJSON reports the offset just after an unexpected punctuation character
	 * (a single quote, a slash...): step back onto it. */
	if (off > 0 && off <= l->len && !strchr(" \t\r\n{}[],:\"", l->text[off - 1]) &&
	    ispunct((unsigned char)l->text[off - 1]) && l->text[off - 1] != '-' &&
	    l->text[off - 1] != '.')
		off--;
	back = off;
	while (back > 0 && strchr(" \t\r\n", l->text[back - 1]))
		back--;
	if (off < l->len && (l->text[off] == '}' || l->text[off] == ']') && back > 0 &&
	    l->text[back - 1] == ',')
		hint = "JSON does not allow a trailing comma before `}` or `]`";
	else if (off < l->len && l->text[off] == '\'')
		hint = "JSON strings use double quotes";
	else if (off + 1 < l->len && l->text[off] == '/' &&
		 (l->text[off + 1] == '/' || l->text[off + 1] == '*'))
		hint = "JSON has no comments";
	else if (off >= l->len)
		hint = "the text ends early: a `}`, `]` or `\"` is missing";
	snprintf(near, sizeof(near), "%.*s", (int)(l->len - off < 16 ? l->len - off : 16),
		 l->text + off);
	for (char *q = near; *q; q++)
		if ((unsigned char)*q < 0x20)
			*q = ' ';
	linecol(l, (long)off, &line, &col);
	err_set(l->err, l->file, line, col, "$", hint, "JSON syntax error near `%s`", near);
	return -EINVAL;
}

/* ---------------------------------------------------------------- entry points */

static int load_text(struct policy *p, const char *json, size_t len, const char *file,
		     struct pol_error *err)
{
	static const char *const top_keys[] = { "version", "net",    "fs",       "run", "env",
						"ffi",     "limits", "_learned", NULL };
	struct stage st = { 0 };
	struct ld l = { .text = json, .len = len, .file = file, .err = err, .st = &st };
	const char *end = NULL, *nul = memchr(json, '\0', len);
	char *buf = NULL;
	cJSON *root = NULL;
	int ret;

	/* 1. cheap checks cJSON cannot do for us */
	if (nul) {
		linecol(&l, nul - json, &err->line, &err->column);
		err_set(err, file, err->line, err->column, "$", "policy files are UTF-8 text",
			"NUL byte in policy text");
		return -EINVAL;
	}
	size_t ws = 0;
	while (ws < len && strchr(" \t\r\n", json[ws]))
		ws++;
	if (ws == len) {
		err_set(err, file, 1, 1, "$", "write {} for a policy that denies everything",
			"policy text is empty");
		return -EINVAL;
	}
	/* 2. parse (cJSON wants a NUL-terminated buffer to reject trailing garbage) */
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, json, len);
	buf[len] = '\0';
	l.text = buf;
	root = cJSON_ParseWithOpts(buf, &end, 1);
	if (!root) {
		ret = end ? syntax_error(&l, end) : -ENOMEM;
		goto cleanup;
	}
	/* 3. no NUL hidden in a string as \u0000; positions of every value */
	long nul_esc = find_nul_escape(buf, len);
	if (nul_esc >= 0) {
		int line, col;
		linecol(&l, nul_esc, &line, &col);
		err_set(err, file, line, col, "$",
			"remove the escape; policy strings cannot hold a NUL",
			"string contains \\u0000 (a NUL character)");
		ret = -EINVAL;
		goto cleanup;
	}
	ret = scan_positions(&l);
	if (ret == 0)
		ret = map_build(&l, root);
	if (ret < 0)
		goto cleanup;
	/* 4. validate into the stage, then commit */
	if (!cJSON_IsObject(root)) {
		ret = fail(&l, root, 0, "$", "a policy is an object: {\"version\": 1, ...}",
			   "policy must be a JSON object, not %s", type_name(root));
		goto cleanup;
	}
	ret = walk_object(&l, root, "$", top_keys, top_member, NULL);
	if (ret == 0)
		ret = stage_commit(p, &st, err);
cleanup:
	if (ret == -ENOMEM && err && !err->msg[0])
		err_set(err, file, 0, 0, "", "", "out of memory");
	stage_free(&st);
	cJSON_Delete(root);
	free(l.pos);
	free(l.map);
	free(buf);
	return ret;
}

static const char *keep_name(struct policy *p, const char *name)
{
	char **v = realloc(p->names, (p->nnames + 1) * sizeof(*v));

	if (!v)
		return NULL;
	p->names = v;
	v[p->nnames] = strdup(name);
	return v[p->nnames] ? v[p->nnames++] : NULL;
}

int policy_load_json(policy_t *p, const char *json, size_t len, const char *name,
		     struct pol_error *err)
{
	struct pol_error dummy;
	const char *file;
	int ret;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!p || (!json && len))
		return -EINVAL;
	if (!name)
		name = "<string>";
	if (p->finalized || p->loaded) {
		err_set(err, name, 0, 0, "", "load one policy file, then apply flags on top",
			"a policy was already loaded or finalized");
		return -EBUSY;
	}
	if (len > POL_MAX_FILE) {
		err_set(err, name, 0, 0, "", "", "policy is larger than %u bytes", POL_MAX_FILE);
		return -EFBIG;
	}
	file = keep_name(p, name);
	if (!file)
		return -ENOMEM;
	ret = load_text(p, json ? json : "", len, file, err);
	if (ret == 0)
		p->loaded = 1;
	return ret;
}

int policy_load_file(policy_t *p, const char *path, struct pol_error *err)
{
	struct pol_error dummy;
	struct stat sb;
	char *text = NULL;
	size_t got = 0;
	int fd = -1, ret;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	if (!p || !path)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		ret = -errno;
		err_set(err, path, 0, 0, "", "", "cannot open policy file: %s", strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > POL_MAX_FILE) {
		ret = S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
		err_set(err, path, 0, 0, "", "",
			S_ISREG(sb.st_mode) ? "policy file is too large"
					    : "policy is not a regular file");
		goto cleanup;
	}
	text = malloc((size_t)sb.st_size + 1);
	if (!text) {
		ret = -ENOMEM;
		goto cleanup;
	}
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, text + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			err_set(err, path, 0, 0, "", "", "cannot read policy file: %s",
				strerror(-ret));
			goto cleanup;
		}
		got += (size_t)n;
	}
	ret = policy_load_json(p, text, got, path, err);
cleanup:
	free(text);
	if (fd >= 0)
		close(fd);
	return ret;
}
