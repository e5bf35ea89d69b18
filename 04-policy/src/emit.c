/*
 * emit.c — the normalized policy as JSON (what `podpolicy fmt` prints).
 *
 * Layer 04 (policy). Builds on cJSON. Used by policy_to_json, i.e. the podpolicy
 * tool and 07-runner (to show the effective policy). The output is itself a
 * valid policy file: loading it again gives the same decisions (the fuzz target
 * and the tests check this round trip).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const list_names[] = { "allow", "warn", "deny" };

/* Add "allow"/"warn"/"deny" arrays (non-empty ones only) for category @p c. */
static int add_lists(cJSON *obj, const struct policy *p, enum pol_cat c)
{
	for (int a = 0; a < 3; a++) {
		cJSON *arr = NULL;
		for (size_t i = 0; i < p->cat[c].n; i++) {
			const struct rule *r = &p->cat[c].v[i];
			if ((int)r->action != a)
				continue;
			if (!arr && !(arr = cJSON_AddArrayToObject(obj, list_names[a])))
				return -ENOMEM;
			cJSON *s = cJSON_CreateString(r->pattern);
			if (!s)
				return -ENOMEM;
			cJSON_AddItemToArray(arr, s);
		}
	}
	return 0;
}

static cJSON *add_cat(cJSON *parent, const char *name, const struct policy *p, enum pol_cat c,
		      int with_default)
{
	cJSON *o = cJSON_AddObjectToObject(parent, name);

	if (!o)
		return NULL;
	if (with_default &&
	    !cJSON_AddStringToObject(o, "default", policy_action_name(p->cat[c].def)))
		return NULL;
	return add_lists(o, p, c) < 0 ? NULL : o;
}

static int add_limits(cJSON *root, const struct pol_limits *lim)
{
	cJSON *o;

	if (!lim->timeout_s && !lim->memory_bytes && !lim->pids && !lim->cpu_percent &&
	    !lim->nofile && !lim->fsize_bytes && !lim->audit_max_bytes)
		return 0;
	o = cJSON_AddObjectToObject(root, "limits");
	if (!o)
		return -ENOMEM;
	if (lim->timeout_s && !cJSON_AddNumberToObject(o, "timeout_s", lim->timeout_s))
		return -ENOMEM;
	if (lim->memory_bytes && !cJSON_AddNumberToObject(o, "memory", (double)lim->memory_bytes))
		return -ENOMEM;
	if (lim->pids && !cJSON_AddNumberToObject(o, "pids", lim->pids))
		return -ENOMEM;
	if (lim->cpu_percent && !cJSON_AddNumberToObject(o, "cpu", lim->cpu_percent / 100.0))
		return -ENOMEM;
	if (lim->nofile && !cJSON_AddNumberToObject(o, "nofile", lim->nofile))
		return -ENOMEM;
	if (lim->fsize_bytes && !cJSON_AddNumberToObject(o, "fsize", (double)lim->fsize_bytes))
		return -ENOMEM;
	if (lim->audit_max_bytes &&
	    !cJSON_AddNumberToObject(o, "audit_max", (double)lim->audit_max_bytes))
		return -ENOMEM;
	return 0;
}

static int build(cJSON *root, const struct policy *p)
{
	int same = p->cat[POL_FS_READ].def == p->cat[POL_FS_WRITE].def;
	cJSON *fs;

	if (!cJSON_AddNumberToObject(root, "version", 1) || !add_cat(root, "net", p, POL_NET, 1))
		return -ENOMEM;
	fs = cJSON_AddObjectToObject(root, "fs");
	if (!fs || (same && !cJSON_AddStringToObject(fs, "default",
						     policy_action_name(p->cat[POL_FS_READ].def))))
		return -ENOMEM;
	if (!add_cat(fs, "read", p, POL_FS_READ, !same) ||
	    !add_cat(fs, "write", p, POL_FS_WRITE, !same) || !add_cat(root, "run", p, POL_RUN, 1) ||
	    !add_cat(root, "env", p, POL_ENV, 1) || !add_cat(root, "ffi", p, POL_FFI, 1))
		return -ENOMEM;
	return add_limits(root, &p->limits);
}

int policy_to_json(const policy_t *p, char **out)
{
	cJSON *root;
	char *s = NULL;

	if (!p || !out)
		return -EINVAL;
	root = cJSON_CreateObject();
	if (root && build(root, p) == 0)
		s = cJSON_Print(root);
	cJSON_Delete(root);
	if (!s)
		return -ENOMEM;
	/* cJSON's buffer comes from its allocator (malloc by default): copy for plain free() */
	*out = strdup(s);
	cJSON_free(s);
	return *out ? 0 : -ENOMEM;
}
