/*
 * syscalls.c — syscall number <-> name tables of layer 06-ebpf.
 *
 * The tables are generated at build time by tools/gen_syscalls.sh from the
 * kernel UAPI headers <asm/unistd_64.h> and <asm/unistd_32.h> (no name is
 * typed by hand). Used by decode.c and format.c, and by 07-runner through
 * sysaudit_syscall_name() for the end-of-pod summary.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *const names64[] = {
#include "syscall_names.inc"
};

static const char *const names32[] = {
#include "syscall_names32.inc"
};

const char *sysaudit_syscall_name(int nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(names64) / sizeof(names64[0]))
		return NULL;
	return names64[nr];
}

const char *sysaudit_syscall_name32(int nr)
{
	if (nr < 0 || (size_t)nr >= sizeof(names32) / sizeof(names32[0]))
		return NULL;
	return names32[nr];
}

int sysaudit_syscall_nr(const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < sizeof(names64) / sizeof(names64[0]); i++)
		if (names64[i] && strcmp(names64[i], name) == 0)
			return (int)i;
	return -ENOENT;
}
