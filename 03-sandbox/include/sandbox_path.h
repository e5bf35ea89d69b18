/**
 * @file
 * sandbox_path.h — the one lexical path normalizer of the project.
 *
 * Layer 03 (sandbox), header only: no library to link, so every layer above
 * that compares paths uses this same function (03's mount plan, 04's rules and
 * requests, 06's joined event paths, 07's runtime plan and LD_AUDIT library).
 * Two spellings of one path must never reach two different decisions, which is
 * why there is a single copy.
 *
 * Lexical means no file is looked at: "." and empty names are dropped, "//"
 * collapses, and ".." removes the name before it (at the root it stays at the
 * root, as the kernel does). Symbolic links are not followed; where they
 * matter, the caller resolves them (realpath, or the kernel's own walk).
 */
#ifndef POD_SANDBOX_PATH_H
#define POD_SANDBOX_PATH_H

#include <errno.h>
#include <stddef.h>
#include <string.h>

/** sb_path_normalize() flag: a ".." name is an error (-EINVAL), not a step up. */
#define SB_PATH_NO_DOTDOT 1u

/**
 * Normalize an absolute path lexically into @p out.
 * @param in the path (untrusted; need not be NUL-terminated)
 * @param len bytes of @p in to read
 * @param out receives the normalized path, NUL-terminated; may be @p in itself
 * @param cap size of @p out
 * @param flags 0 or SB_PATH_NO_DOTDOT
 * @return the length of @p out (at least 1: "/"); -EINVAL when @p in is not
 *         absolute, holds a NUL byte, or (with SB_PATH_NO_DOTDOT) a ".." name;
 *         -ENAMETOOLONG when the result does not fit @p cap
 */
static inline int sb_path_normalize(const char *in, size_t len, char *out, size_t cap,
				    unsigned flags)
{
	size_t i = 0, o = 0;

	if (!in || !out || len == 0 || in[0] != '/' || cap < 2 || memchr(in, '\0', len))
		return -EINVAL;
	while (i < len) {
		size_t s, n;

		while (i < len && in[i] == '/')
			i++;
		s = i;
		while (i < len && in[i] != '/')
			i++;
		n = i - s;
		if (n == 0 || (n == 1 && in[s] == '.'))
			continue;
		if (n == 2 && in[s] == '.' && in[s + 1] == '.') {
			if (flags & SB_PATH_NO_DOTDOT)
				return -EINVAL;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the slash before the dropped name */
			continue;
		}
		if (o + 1 + n + 1 > cap)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memmove(out + o, in + s, n); /* out may be in: it never runs ahead */
		o += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return (int)o;
}

#endif /* POD_SANDBOX_PATH_H */
