/*
 * rt_util.c — helpers of the runtime discovery module (layer 07-runner):
 * string vectors, lexical path handling, and asking the trusted system Python
 * interpreter where its standard library lives.
 *
 * Builds on libc only. Used by rt_elf.c and rt_plan.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rt_internal.h"
#include "sandbox_path.h"

/* ---- string vectors ------------------------------------------------------ */

int strv_push(struct strv *s, const char *str)
{
	if (s->n + 1 >= s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->v, (cap + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	char *dup = strdup(str);
	if (!dup)
		return -ENOMEM;
	s->v[s->n++] = dup;
	s->v[s->n] = NULL;
	return 0;
}

int strv_pushf(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *str = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&str, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int ret = strv_push(s, str);
	free(str);
	return ret;
}

int strv_contains(const struct strv *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

char *const *strv_view(const struct strv *s)
{
	static char *const empty[1] = { NULL };
	return s->v ? s->v : empty;
}

int rt_fail(struct rt_error *err, int ret, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- lexical paths ------------------------------------------------------- */

int rt_path_normalize(const char *in, char *out, size_t cap)
{
	int ret = in ? sb_path_normalize(in, strlen(in), out, cap, 0) : -EINVAL;

	return ret < 0 ? ret : 0;
}

int rt_path_dirname(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return -EINVAL;
	size_t len = slash == path ? 1 : (size_t)(slash - path);
	if (len >= cap)
		return -ENAMETOOLONG;
	memcpy(out, path, len);
	out[len] = '\0';
	return 0;
}

int rt_path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int rt_path_join(const char *dir, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s%s%s", dir,
			 (dir[0] && dir[strlen(dir) - 1] == '/') ? "" : "/", name);
	return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

int rt_open_regular(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOEXEC;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOEXEC;
	}
	return fd;
}

/* ---- the trusted Python interpreter ------------------------------------- */

/*
 * The program Python runs. It prints one "key<TAB>path" line per fact. -I
 * (isolated: no PYTHON* variables, no user site, no cwd on sys.path) and -S
 * (no site import) make the answer independent of whoever calls podrun.
 * Candidates that do not exist are printed as "miss" lines, so that a cached
 * answer can be checked against the file system (see pyinfo_still_true()).
 */
static const char py_code[] =
    "import os, sys, sysconfig\n"
    "print('exe\\t' + os.path.realpath(sys.executable))\n"
    "seen = []\n"
    "def add(k, p):\n"
    "    if p and p not in seen:\n"
    "        seen.append(p)\n"
    "        if os.path.isdir(p): print(k + '\\t' + os.path.realpath(p))\n"
    "        else: print('miss\\t' + os.path.abspath(p))\n"
    "paths = sysconfig.get_paths()\n"
    "for k in ('stdlib', 'platstdlib', 'purelib', 'platlib'):\n"
    "    add('dir', paths.get(k))\n"
    "for p in sys.path:\n"
    "    if os.path.basename(p) == 'lib-dynload':\n"
    "        add('dynload', p)\n"
    "    else:\n"
    "        add('dir', p)\n"
    "import site\n"
    "for p in site.getsitepackages():\n"
    "    add('dir', p)\n";

/* Read all of a child's stdout into buf (bounded), with an overall deadline. */
static int read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t used = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = timeout_ms -
			    ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ETIMEDOUT;
		if (used + 1 >= cap)
			return -EFBIG;
		ssize_t n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	return (int)used;
}

static int parse_pyinfo(char *text, struct rt_pyinfo *info)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t');
		if (!tab || tab[1] != '/')
			return -EIO;
		*tab = '\0';
		const char *val = tab + 1;
		int ret = 0;
		if (strcmp(line, "exe") == 0) {
			if (strlen(val) >= sizeof(info->executable))
				return -EIO;
			strcpy(info->executable, val);
		} else if (strcmp(line, "dir") == 0) {
			ret = strv_contains(&info->dirs, val) ? 0 : strv_push(&info->dirs, val);
		} else if (strcmp(line, "dynload") == 0) {
			ret =
			    strv_contains(&info->dynload, val) ? 0 : strv_push(&info->dynload, val);
		} else if (strcmp(line, "miss") != 0) {
			return -EIO;
		}
		if (ret < 0)
			return ret;
	}
	return info->executable[0] ? 0 : -EIO;
}

/* Run the interpreter; its whole answer (NUL-terminated) into @p buf. */
static int python_run(const char *python, char *buf, size_t cap)
{
	int ret = 0, pipefd[2] = { -1, -1 };
	pid_t pid = -1;
	posix_spawn_file_actions_t fa;
	int fa_ok = 0;
	char *const argv[] = { (char *)python, "-I", "-S", "-c", (char *)py_code, NULL };
	char *const envp[] = { "LC_ALL=C.UTF-8", NULL };

	/* 1. a pipe for its stdout; stdin and stderr go to /dev/null */
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (posix_spawn_file_actions_init(&fa) != 0) {
		ret = -ENOMEM;
		goto cleanup;
	}
	fa_ok = 1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* 2. run it */
	ret = -posix_spawn(&pid, python, &fa, NULL, argv, envp);
	if (ret < 0) {
		pid = -1;
		goto cleanup;
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	/* 3. read its answer */
	ret = read_all(pipefd[0], buf, cap, 10000);
	if (ret > 0)
		ret = 0;
cleanup:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (pid > 0) {
		int status = 0;
		if (ret < 0)
			kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (ret == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			ret = -EIO;
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	return ret < 0 ? ret : 0;
}

/*
 * Whether a cached answer still describes the file system: every directory is
 * still a directory at its real path, and every candidate that was missing is
 * still missing (a site directory created since then must be mounted).
 */
static int pyinfo_still_true(const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int ok = copy != NULL;
	for (char *line = copy ? strtok_r(copy, "\n", &save) : NULL; line && ok;
	     line = strtok_r(NULL, "\n", &save)) {
		char *tab = strchr(line, '\t'), real[PATH_MAX];
		struct stat st;
		if (!tab)
			break; /* the parser refuses it */
		*tab = '\0';
		if (strcmp(line, "miss") == 0)
			ok = lstat(tab + 1, &st) < 0 && errno == ENOENT;
		else if (strcmp(line, "dir") == 0 || strcmp(line, "dynload") == 0)
			ok = realpath(tab + 1, real) && strcmp(real, tab + 1) == 0 &&
			     stat(real, &st) == 0 && S_ISDIR(st.st_mode);
	}
	free(copy);
	return ok;
}

/* Parse a copy of @p text (the parser cuts it up). */
static int parse_copy(const char *text, struct rt_pyinfo *info)
{
	char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	int ret = parse_pyinfo(copy, info);
	free(copy);
	if (ret < 0)
		rt_pyinfo_clear(info);
	return ret;
}

int rt_python_describe(const char *python, struct rt_pyinfo *info)
{
	enum { CAP = 65536 };
	char key[PATH_MAX + 160], name[200];
	int ret, have_key;
	char *buf = malloc(CAP);

	memset(info, 0, sizeof(*info));
	if (!buf)
		return -ENOMEM;
	/* 1. a cached answer for this very interpreter file, still true: use it */
	have_key = rt_cache_key(python, key, sizeof(key)) == 0;
	rt_cache_name("python-", python, name, sizeof(name));
	if (have_key && rt_cache_get(name, key, buf, CAP) == 0 && pyinfo_still_true(buf) &&
	    parse_copy(buf, info) == 0) {
		ret = 0;
		goto cleanup;
	}
	/* 2. otherwise ask it, and keep a good answer for the next plan */
	if ((ret = python_run(python, buf, CAP)) < 0 || (ret = parse_copy(buf, info)) < 0)
		goto cleanup;
	if (have_key)
		rt_cache_put(name, key, buf);
cleanup:
	free(buf);
	return ret;
}

void rt_pyinfo_clear(struct rt_pyinfo *info)
{
	strv_free(&info->dirs);
	strv_free(&info->dynload);
	info->executable[0] = '\0';
}
