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
 * Builds on libc. Used by rt_elf.c (loader directories) and rt_util.c (Python).
 */
#include <errno.h>
#include <fcntl.h>
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

/* Owned by us, not group/other-writable. */
static int safe_owner_mode(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
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
