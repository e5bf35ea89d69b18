/*
 * internal.h — private declarations shared by the user-side files of layer
 * 06-ebpf (probe.c, decode.c, format.c, syscalls.c).
 *
 * Builds on include/sysaudit.h and src/probe.h. Not installed, not used by
 * other layers.
 */
#ifndef POD_SYSAUDIT_INTERNAL_H
#define POD_SYSAUDIT_INTERNAL_H

#include <linux/types.h>
#include "sysaudit.h"
#include "probe.h"

/* Bytes of the argument store sysaudit_decode() needs. */
#define SYSAUDIT_STORE_BYTES (PROBE_ARGS_BYTES + PROBE_ARG_MAX + 1)

/*
 * Decode one ring-buffer record into @ev. @store (SYSAUDIT_STORE_BYTES)
 * receives a copy of the argument strings ev->argv points to.
 * @mono_to_real_ns is added to kernel monotonic timestamps.
 * Returns 0, or -EBADMSG when the record's size does not match its kind.
 */
int sysaudit_decode(const void *data, size_t size, int64_t mono_to_real_ns,
		    struct sysaudit_event *ev, char *store);

/* Join @rel to @base (unless absolute) and normalise lexically ("//", ".",
 * "..", a leading /proc/self/root) into @out. Returns the length or -errno. */
int sysaudit_normalize(const char *base, const char *rel, char *out, size_t len);

/* Name of an i386 (compat) syscall number, or NULL. */
const char *sysaudit_syscall_name32(int nr);

#endif
