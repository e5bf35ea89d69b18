/*
 * rt_internal.h — private declarations of the runtime discovery module (07-runner).
 *
 * Shared by rt_elf.c (ELF parsing, ld.so.cache, library search), rt_util.c
 * (string vectors, paths, running the trusted Python interpreter) and
 * rt_plan.c (per-kind plans), rt_cache.c (the on-disk cache of the loader's
 * and Python's answers). Nothing here is public API; see runtime.h.
 */
#ifndef POD_RT_INTERNAL_H
#define POD_RT_INTERNAL_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>

#include "runtime.h"

/** A growable NULL-terminated vector of malloc'd strings. */
struct strv {
	char **v;   /**< v[n] == NULL whenever v != NULL */
	size_t n;   /**< entries in use */
	size_t cap; /**< allocated entries (excluding the terminator) */
};

int strv_push(struct strv *s, const char *str);
int strv_pushf(struct strv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int strv_contains(const struct strv *s, const char *str);
void strv_free(struct strv *s);
/** A vector that is never NULL when read (empty vector -> static { NULL }). */
char *const *strv_view(const struct strv *s);

/** Fill err with a formatted message (err may be NULL). Returns @p ret. */
int rt_fail(struct rt_error *err, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Directory part of @p path into @p out ("/" for "/x"). */
int rt_path_dirname(const char *path, char *out, size_t cap);
/** Join a directory and a name into @p out. */
int rt_path_join(const char *dir, const char *name, char *out, size_t cap);
/**
 * Open a file whose name a hostile worker may choose (DT_NEEDED, PT_INTERP,
 * a #! line): only a regular file is ever opened. Opening a FIFO would block
 * the runner forever, opening a device can act (a watchdog arms); O_NONBLOCK
 * and O_NOCTTY cover a swap between the stat() and the open(), and the file
 * that really opened is checked with fstat() again.
 * @return a read-only descriptor, -ENOEXEC for anything but a regular file, or -errno
 */
int rt_open_regular(const char *path);

/* ---- ELF ---------------------------------------------------------------- */

/** What rt_elf_read() extracts from one ELF file. */
struct rt_elf {
	char interp[PATH_MAX]; /**< PT_INTERP, or "" */
	struct strv needed;    /**< DT_NEEDED names, in order */
	char *rpath;           /**< DT_RPATH string or NULL */
	char *runpath;         /**< DT_RUNPATH string or NULL */
	int type;              /**< e_type (ET_EXEC, ET_DYN) */
};

/**
 * Parse one ELF file with bounds checks (untrusted input). Only ELF files of
 * this machine (class, byte order, e_machine) are accepted.
 * @return 0; -ENOEXEC not an ELF of this machine or malformed; -errno of open
 */
int rt_elf_read(const char *path, struct rt_elf *e);
/** The same on an open regular file (the fuzz target feeds a memfd). */
int rt_elf_read_fd(int fd, struct rt_elf *e);
void rt_elf_clear(struct rt_elf *e);

/* ---- trusted Python interpreter ------------------------------------------ */

/** What the system Python reports about itself. */
struct rt_pyinfo {
	char executable[PATH_MAX]; /**< realpath of the interpreter */
	struct strv dirs;    /**< stdlib, platstdlib, purelib, platlib, site dirs (existing) */
	struct strv dynload; /**< lib-dynload directories (extension modules of the stdlib) */
};

/**
 * Run `python -I -S -c CODE` once (clean environment, no stdin) and parse what
 * it prints. The interpreter is the trusted system one, never the worker's.
 * @return 0; -EIO it failed or printed nonsense; -errno
 */
int rt_python_describe(const char *python, struct rt_pyinfo *info);
void rt_pyinfo_clear(struct rt_pyinfo *info);

/* ---- cache of trusted programs' self-descriptions (rt_cache.c) ----------- */

#ifndef RT_CACHE_DIR
#define RT_CACHE_DIR "/var/cache/podrun"
#endif
/** Cache directory (default RT_CACHE_DIR); NULL disables the cache. Tests change it. */
extern const char *rt_cache_dir;
/** Key for @p program: its path and stat (dev, ino, size, mtime, ctime). */
int rt_cache_key(const char *program, char *key, size_t cap);
/** File name for @p program's answer: @p prefix + the path with '/' and '.' as '_'. */
void rt_cache_name(const char *prefix, const char *program, char *out, size_t cap);
/**
 * The body cached under @p name for @p key, into @p buf (NUL-terminated).
 * @return 0; -ESTALE other key or corrupt; -EPERM unsafe owner/mode/type; -errno
 */
int rt_cache_get(const char *name, const char *key, char *buf, size_t cap);
/** Store @p body under @p name for @p key (atomic rename). @return 0 or -errno */
int rt_cache_put(const char *name, const char *key, const char *body);
/**
 * The library closure of every "*.so" in @p dir, as rt_elf_closure() reports
 * it for each module in turn (@p cb per library, the modules themselves not
 * reported; @p interp_cb per ELF interpreter a module names), from the cache
 * while every file involved is unchanged, else computed and stored.
 * @return 0; -errno (@p err set)
 */
int rt_dynload_closure(const char *dir, void (*cb)(const char *found, const char *real, void *arg),
		       void (*interp_cb)(const char *interp, void *arg), void *arg,
		       struct rt_error *err);

#endif
