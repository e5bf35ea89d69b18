/*
 * worker.c — example native worker for Pod/Runner (example/, see README.md).
 *
 *     podrun run ... example/build/native_worker act CAT=TARGET ...
 *
 * A plain C program (no SDK needed for this mode) that tries each action and
 * prints "RESULT <cat> <target> ok|failed <detail>" per action, like the Python
 * and Bun examples: read (a file), write (a file), env (a variable), ffi (a
 * library through dlopen(); "LIB#symbol" also calls `const char *symbol(void)`).
 * Its dlopen() goes through the dynamic loader, where the LD_AUDIT gate asks
 * the runner; a denied library fails to load and the loader's message names it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int act_read(const char *path, char *detail, size_t cap)
{
	char buf[4096];
	FILE *f = fopen(path, "rb");
	if (!f)
		return snprintf(detail, cap, "%s", strerror(errno)), 0;
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	snprintf(detail, cap, "%zu bytes", n);
	return 1;
}

static int act_write(const char *path, char *detail, size_t cap)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return snprintf(detail, cap, "%s", strerror(errno)), 0;
	fputs("written by a pod\n", f);
	int ok = fclose(f) == 0;
	snprintf(detail, cap, "%s", ok ? "written" : strerror(errno));
	return ok;
}

static int act_env(const char *name, char *detail, size_t cap)
{
	int ok = getenv(name) != NULL;
	snprintf(detail, cap, "%s", ok ? "set" : "not in the environment");
	return ok;
}

static int act_ffi(const char *spec, char *detail, size_t cap)
{
	char lib[4096];
	snprintf(lib, sizeof(lib), "%s", spec);
	char *sym = strchr(lib, '#');
	if (sym)
		*sym++ = '\0';
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return snprintf(detail, cap, "%s", dlerror()), 0;
	if (!sym)
		return snprintf(detail, cap, "loaded"), 1;
	const char *(*fn)(void);
	*(void **)&fn = dlsym(h, sym);
	if (!fn)
		return snprintf(detail, cap, "no symbol %s", sym), 0;
	snprintf(detail, cap, "%s() = %s", sym, fn());
	return 1;
}

int main(int argc, char **argv)
{
	/* the runner may put its SDK arguments (--pod-socket=..., --pod-shm-fd=...)
	 * right after the program: skip them wherever they are */
	int first = 1;
	while (first < argc && strncmp(argv[first], "--pod-", 6) == 0)
		first++;
	if (first >= argc || strcmp(argv[first], "act") != 0) {
		fprintf(stderr, "usage: native_worker act CAT=TARGET ...\n");
		return 2;
	}
	for (int i = first + 1; i < argc; i++) {
		char cat[16] = "", detail[512] = "unknown action";
		const char *eq = strchr(argv[i], '=');
		int ok = 0;
		if (strncmp(argv[i], "--pod-", 6) == 0)
			continue; /* the runner's SDK arguments: unused here */
		if (eq && (size_t)(eq - argv[i]) < sizeof(cat))
			memcpy(cat, argv[i], (size_t)(eq - argv[i]));
		const char *t = eq ? eq + 1 : "";
		if (!strcmp(cat, "read"))
			ok = act_read(t, detail, sizeof(detail));
		else if (!strcmp(cat, "write"))
			ok = act_write(t, detail, sizeof(detail));
		else if (!strcmp(cat, "env"))
			ok = act_env(t, detail, sizeof(detail));
		else if (!strcmp(cat, "ffi"))
			ok = act_ffi(t, detail, sizeof(detail));
		printf("RESULT %s %s %s %s\n", cat[0] ? cat : "?", t, ok ? "ok" : "failed", detail);
		fflush(stdout);
	}
	return 0;
}
