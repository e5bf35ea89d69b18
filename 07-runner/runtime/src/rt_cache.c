/*
 * rt_cache.c — a small on-disk cache of what trusted system programs said about
 * themselves (layer 07-runner, runtime discovery).
 *
 * Asking the loader (`ld.so --help`) or Python (`python3 -I -S -c ...`) costs a
 * process start per pod. Their answers only change when the program file does,
 * so each answer is kept in RT_CACHE_DIR/<name>, whose first line is a key made
 * from the program's path and stat (device, inode, size, mtime and ctime, in
 * nanoseconds): an upgrade replaces or rewrites the file, which changes the key,
 * and the caller asks again. A cache file is used only when it is safe:
 *
 *   - the directory is a real directory (not a symlink) owned by this euid and
 *     not writable by group or others;
 *   - the file is opened with O_NOFOLLOW, is regular, owned by this euid, not
 *     writable by group or others, has one link, and is smaller than the cap;
 *   - its key line equals the key computed now; the body is then validated by
 *     the caller like a fresh answer (any failure = ask the program again).
 *
 * Writing is best-effort: a temporary file (O_EXCL) renamed over the old one, so
 * a reader sees the whole old or the whole new answer.
 *
 * Builds on libc and rt_elf.c. Used by rt_elf.c (loader directories), rt_util.c
 * (Python) and rt_plan.c (the library closure of Python's extension modules).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

/* Where answers are kept; tests point it elsewhere. NULL disables the cache. */
const char *rt_cache_dir = RT_CACHE_DIR;

int rt_cache_key(const char *program, char *key, size_t cap)
{
	struct stat st;
	if (stat(program, &st) < 0)
		return -errno;
	int n = snprintf(key, cap, "podrt-cache 1 %s %llu %llu %lld %lld.%09ld %lld.%09ld", program,
			 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
			 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
			 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	if (n < 0 || (size_t)n >= cap || strchr(key, '\n'))
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Owned by us or by root, not group/other-writable. An ordinary user's
 * runner (rootless) thus reads the answers a root runner wrote to the
 * machine's cache (it cannot write there): they are the same for every user
 * (the loader's directories; Python asked with -I -S, without user site or
 * environment). It never believes another ordinary user's files.
 */
static int safe_owner_mode(const struct stat *st)
{
	return (st->st_uid == geteuid() || st->st_uid == 0) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Open the cache directory if it is safe; create it (0755) when @p create. */
static int open_dir(int create)
{
	struct stat st;
	if (!rt_cache_dir)
		return -ENOENT;
	if (create && mkdir(rt_cache_dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	int fd = open(rt_cache_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || !safe_owner_mode(&st)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int rt_cache_get(const char *name, const char *key, char *buf, size_t cap)
{
	struct stat st;
	int ret = 0, fd = -1, dfd = open_dir(0);
	size_t klen = strlen(key), used = 0;
	if (dfd < 0)
		return dfd;
	/* 1. the file must be safe to believe */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !safe_owner_mode(&st) ||
	    st.st_nlink != 1 || (size_t)st.st_size >= cap) {
		ret = -EPERM;
		goto cleanup;
	}
	/* 2. read it whole (bounded) */
	while (used + 1 < cap) {
		ssize_t n = read(fd, buf + used, cap - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto cleanup;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	/* 3. the key line must match; the body moves to the start of buf */
	if (used != strlen(buf) || used <= klen || memcmp(buf, key, klen) != 0 ||
	    buf[klen] != '\n') {
		ret = -ESTALE;
		goto cleanup;
	}
	memmove(buf, buf + klen + 1, used - klen);
cleanup:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return ret;
}

int rt_cache_put(const char *name, const char *key, const char *body)
{
	char tmp[NAME_MAX + 1];
	int ret = 0, fd = -1, dfd = open_dir(1);
	if (dfd < 0)
		return dfd;
	if (snprintf(tmp, sizeof(tmp), ".%.200s.%ld", name, (long)getpid()) >= (int)sizeof(tmp)) {
		ret = -ENAMETOOLONG;
		goto cleanup;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (dprintf(fd, "%s\n%s", key, body) < 0 || fchmod(fd, 0644) < 0 || close(fd) < 0) {
		fd = -1;
		ret = -EIO;
		unlinkat(dfd, tmp, 0);
		goto cleanup;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0) {
		ret = -errno;
		unlinkat(dfd, tmp, 0);
	}
cleanup:
	if (fd >= 0) {
		close(fd);
		unlinkat(dfd, tmp, 0);
	}
	close(dfd);
	return ret;
}

void rt_cache_name(const char *prefix, const char *program, char *out, size_t cap)
{
	/* a readable file name; a collision only costs a re-ask (the key has the path) */
	size_t i = (size_t)snprintf(out, cap, "%s", prefix);
	for (const char *c = program; *c && i + 1 < cap; c++)
		out[i++] = (*c == '/' || *c == '.') ? '_' : *c;
	if (i < cap)
		out[i] = '\0';
}

/* ---- the library closure of an extension-module directory ------------------ */

/*
 * A Python start plans the closure of every extension module of the stdlib
 * (~70 files in lib-dynload): ELF headers, DT_NEEDED searches, readlinks. The
 * answer is a list of (found, real) library pairs that only changes when a
 * file involved does, so it is kept under "dynload-<dir>" with
 *
 *   key   the directory's stat and /etc/ld.so.cache's (a module added, removed
 *         or renamed, or ldconfig run, gives another key);
 *   s ..  "s DEV INO SIZE MTIME CTIME PATH": the lstat of every module, every
 *         found and real library and every directory a library was found in,
 *         checked again on each use (a library replaced in place or a link
 *         pointed elsewhere makes the answer stale);
 *   p ..  "p FOUND<TAB>REAL": the pairs, deduplicated, in discovery order;
 *   x ..  "x INTERP": ELF interpreters the modules name (usually none).
 *
 * Paths with a tab or a newline are never cached (the closure is computed).
 */

#define DYN_CAP (256 * 1024)

struct dyn_acc {
	char *body;
	size_t len, cap;
	int oom;
	void (*cb)(const char *found, const char *real, void *arg);
	void *arg;
};

static void acc_printf(struct dyn_acc *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void acc_printf(struct dyn_acc *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(a->body + a->len, a->cap - a->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= a->cap - a->len)
		a->oom = 1;
	else
		a->len += (size_t)n;
}

static int sig_line(struct dyn_acc *a, const char *path)
{
	struct stat st;
	char line[PATH_MAX + 128];

	if (strpbrk(path, "\t\n") || lstat(path, &st) < 0) {
		a->oom = 1; /* not cacheable: the answer is computed every time */
		return -1;
	}
	snprintf(line, sizeof(line), "s %llu %llu %lld %lld.%09ld %lld.%09ld %s\n",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec, path);
	if (!strstr(a->body, line) && !a->oom)
		acc_printf(a, "%s", line);
	return 0;
}

static void dyn_cb(const char *found, const char *real, void *arg)
{
	struct dyn_acc *a = arg;
	char pair[2 * PATH_MAX + 8], dir[PATH_MAX];

	a->cb(found, real, a->arg);
	if (a->oom)
		return;
	if (strpbrk(found, "\t\n") || strpbrk(real, "\t\n")) {
		a->oom = 1;
		return;
	}
	snprintf(pair, sizeof(pair), "p %s\t%s\n", found, real);
	if (strstr(a->body, pair))
		return;
	acc_printf(a, "%s", pair);
	sig_line(a, found);
	sig_line(a, real);
	if (rt_path_dirname(found, dir, sizeof(dir)) == 0)
		sig_line(a, dir);
}

static int dyn_key(const char *dir, char *key, size_t cap)
{
	char k1[PATH_MAX + 128], k2[PATH_MAX + 128];
	int n;

	if (rt_cache_key(dir, k1, sizeof(k1)) < 0 ||
	    rt_cache_key("/etc/ld.so.cache", k2, sizeof(k2)) < 0)
		return -ENOENT;
	n = snprintf(key, cap, "%s | %s", k1, k2);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Every "s" line still true? */
static int dyn_still_true(const char *body)
{
	for (const char *l = body; *l;) {
		const char *end = strchr(l, '\n');
		if (!end)
			return 0;
		if (l[0] == 's') {
			unsigned long long dev, ino;
			long long size, ms, cs;
			long mn, cn;
			int off = 0;
			char path[PATH_MAX];
			struct stat st;
			size_t plen;

			if (sscanf(l, "s %llu %llu %lld %lld.%ld %lld.%ld %n", &dev, &ino, &size,
				   &ms, &mn, &cs, &cn, &off) != 7 ||
			    off <= 0 || l + off > end)
				return 0;
			plen = (size_t)(end - (l + off));
			if (plen == 0 || plen >= sizeof(path))
				return 0;
			memcpy(path, l + off, plen);
			path[plen] = '\0';
			if (lstat(path, &st) < 0 || st.st_dev != dev || st.st_ino != ino ||
			    st.st_size != size || st.st_mtim.tv_sec != ms ||
			    st.st_mtim.tv_nsec != mn || st.st_ctim.tv_sec != cs ||
			    st.st_ctim.tv_nsec != cn)
				return 0;
		} else if (l[0] != 'p' && l[0] != 'x') {
			return 0;
		}
		l = end + 1;
	}
	return 1;
}

/* Replay a cached answer: pairs to @p cb, interpreters to @p interp_cb. */
static int dyn_replay(char *body, void (*cb)(const char *, const char *, void *),
		      void (*interp_cb)(const char *, void *), void *arg)
{
	for (char *l = body; *l;) {
		char *end = strchr(l, '\n');
		if (!end)
			return -ESTALE;
		*end = '\0';
		if (l[0] == 'p' && l[1] == ' ') {
			char *tab = strchr(l + 2, '\t');
			if (!tab)
				return -ESTALE;
			*tab = '\0';
			cb(l + 2, tab + 1, arg);
		} else if (l[0] == 'x' && l[1] == ' ') {
			interp_cb(l + 2, arg);
		}
		l = end + 1;
	}
	return 0;
}

int rt_dynload_closure(const char *dir, void (*cb)(const char *found, const char *real, void *arg),
		       void (*interp_cb)(const char *interp, void *arg), void *arg,
		       struct rt_error *err)
{
	char key[2 * PATH_MAX + 256], name[NAME_MAX + 1];
	struct dyn_acc a = { .cap = DYN_CAP, .cb = cb, .arg = arg };
	int have_key, ret = 0;
	DIR *d;
	struct dirent *de;

	a.body = calloc(1, DYN_CAP);
	if (!a.body)
		return -ENOMEM;
	have_key = dyn_key(dir, key, sizeof(key)) == 0;
	rt_cache_name("dynload-", dir, name, sizeof(name));
	if (have_key && rt_cache_get(name, key, a.body, DYN_CAP) == 0 && dyn_still_true(a.body) &&
	    dyn_replay(a.body, cb, interp_cb, arg) == 0) {
		free(a.body);
		return 0;
	}
	/* computed: every module's closure, recorded as it is reported */
	a.body[0] = '\0';
	d = opendir(dir);
	if (!d) {
		ret = rt_fail(err, -errno, "%s: %s", dir, strerror(errno));
		free(a.body);
		return ret;
	}
	while (ret == 0 && (de = readdir(d))) {
		char so[PATH_MAX];
		struct rt_elf e;
		size_t l = strlen(de->d_name);

		if (l < 4 || strcmp(de->d_name + l - 3, ".so") != 0 ||
		    rt_path_join(dir, de->d_name, so, sizeof(so)) < 0)
			continue;
		sig_line(&a, so);
		ret = rt_elf_closure(so, dyn_cb, &a, err);
		if (ret < 0)
			break;
		ret = 0;
		if (rt_elf_read(so, &e) == 0) {
			if (e.interp[0]) {
				interp_cb(e.interp, arg);
				if (strpbrk(e.interp, "\t\n"))
					a.oom = 1;
				acc_printf(&a, "x %s\n", e.interp);
			}
			rt_elf_clear(&e);
		}
	}
	closedir(d);
	if (ret == 0 && have_key && !a.oom)
		rt_cache_put(name, key, a.body); /* best effort */
	free(a.body);
	return ret;
}
