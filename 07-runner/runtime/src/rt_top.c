/*
 * rt_top.c — where the project's files are, found from the running binary.
 *
 * The root is the nearest ancestor directory of the object that holds this
 * code (podrun, libpodrun.so loaded by Bun, podrt, a test program) that has
 * both 02-ipc/ and 07-runner/ in it. A build tree and an installed tree
 * (`make install`: PREFIX/lib/podrun) have the same shape, so a moved or
 * installed copy always uses its own SDKs, libring.so, pod host and LD_AUDIT
 * library, never the ones of the tree it was built in. No path is compiled in.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rt_internal.h"

#define RT_TOP_MAX_UP 8 /* build/san/tests/x is the deepest a binary sits */

static int is_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	if (rt_path_join(dir, name, path, sizeof(path)) < 0)
		return 0;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Absolute path of the executable or shared object holding this function. */
static int self_path(char *out)
{
	Dl_info info;
	struct link_map *lm = NULL;
	const char *src = "/proc/self/exe";
	if (dladdr1((void *)self_path, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm && lm->l_name &&
	    lm->l_name[0])
		src = lm->l_name; /* a shared object; the main program's name is "" */
	return realpath(src, out) ? 0 : -errno;
}

int rt_top(char *out, size_t cap)
{
	char dir[PATH_MAX];
	int ret = self_path(dir);
	if (ret < 0)
		return ret;
	for (int up = 0; up <= RT_TOP_MAX_UP; up++) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash = '\0';
		const char *d = dir[0] ? dir : "/";
		if (is_dir(d, "02-ipc") && is_dir(d, "07-runner")) {
			if ((size_t)snprintf(out, cap, "%s", d) >= cap)
				return -ENAMETOOLONG;
			return 0;
		}
		if (!dir[0])
			break;
	}
	return -ENOENT;
}

int rt_top_path(const char *rel, char *out, size_t cap)
{
	char top[PATH_MAX];
	int ret = rt_top(top, sizeof(top));
	if (ret < 0)
		return ret;
	return rt_path_join(top, rel, out, cap);
}
