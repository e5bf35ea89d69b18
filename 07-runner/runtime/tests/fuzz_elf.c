/*
 * fuzz_elf.c — libFuzzer target for the runtime module's ELF parser (07-runner/runtime).
 *
 * The native worker and the C-lib .so are hostile files; rt_elf_read_fd() must
 * reject every malformed one with an error, never read out of bounds or crash.
 * Each input becomes the content of one memfd that the parser reads.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	struct rt_elf e;
	if (fd < 0 && (fd = memfd_create("fuzz-elf", MFD_CLOEXEC)) < 0)
		return 0;
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		return 0;
	if (rt_elf_read_fd(fd, &e) == 0) {
		/* what a successful parse returns must be well-formed */
		for (size_t i = 0; i < e.needed.n; i++)
			if (!e.needed.v[i][0])
				__builtin_trap();
		if (e.interp[0] && e.interp[0] != '/')
			__builtin_trap();
		rt_elf_clear(&e);
	}
	return 0;
}
