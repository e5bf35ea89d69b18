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

/*
 * Decode one ring-buffer record into @ev. @argv_store (PROBE_ARGV_MAX x
 * PROBE_ARG_LEN bytes) receives copies of the argv strings ev->argv points to.
 * @mono_to_real_ns is added to kernel monotonic timestamps.
 * Returns 0, or -EBADMSG when the record's size does not match its kind.
 */
int sysaudit_decode(const void *data, size_t size, int64_t mono_to_real_ns,
		    struct sysaudit_event *ev, char argv_store[][PROBE_ARG_LEN]);

/* Name of an i386 (compat) syscall number, or NULL. */
const char *sysaudit_syscall_name32(int nr);

#endif
