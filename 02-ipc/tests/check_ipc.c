/*
 * check_ipc.c — the 02-ipc Check suite: main() and the vector loader.
 *
 * Layer 02-ipc, tests. One Suite ("ipc"); the TCases live in check_codec.c,
 * check_session.c, check_hostile.c and check_worker.c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int vec_parse(const char *path, struct vec *v)
{
	FILE *f = fopen(path, "r");
	char line[8192 * 2 + 64];
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = 0;
		const char *k = line, *val = eq + 1;
		if (!strcmp(k, "hex")) {
			size_t n = strlen(val) / 2;
			for (size_t i = 0; i < n && i < sizeof v->bytes; i++)
				v->bytes[i] = (uint8_t)(hexval(val[2 * i]) << 4 | hexval(val[2 * i + 1]));
			v->len = n;
		} else if (!strcmp(k, "error")) {
			copy_bounded(v->error, sizeof v->error, val);
		} else if (v->nkv < 16) {
			copy_bounded(v->keys[v->nkv], sizeof v->keys[0], k);
			copy_bounded(v->vals[v->nkv], sizeof v->vals[0], val);
			v->nkv++;
		}
	}
	fclose(f);
	return 0;
}

int vec_load_all(struct vec **out)
{
	const char *dir = getenv("IPC_VECTORS") ? getenv("IPC_VECTORS") : "tests/vectors";
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	*out = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".vec"))
			continue;
		*out = realloc(*out, sizeof(struct vec) * (n + 1));
		struct vec *v = &(*out)[n];
		memset(v, 0, sizeof *v);
		snprintf(v->name, sizeof v->name, "%s", e->d_name);
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (vec_parse(path, v) == 0)
			n++;
	}
	closedir(d);
	return n;
}

const char *vec_get(const struct vec *v, const char *key)
{
	for (int i = 0; i < v->nkv; i++)
		if (!strcmp(v->keys[i], key))
			return v->vals[i];
	return NULL;
}

int main(void)
{
	Suite *s = suite_create("ipc");
	suite_add_tcase(s, tcase_codec());
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
