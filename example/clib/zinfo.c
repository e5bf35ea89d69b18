/*
 * zinfo.c — example C-lib worker that links a system library (example/, see README.md).
 *
 * Replies to each message with the zlib version and the message's CRC-32:
 * "zlib 1.2.13 crc32=0x...". It needs libz.so.1 (DT_NEEDED), which the pod
 * host's dlopen() pulls in after start-up: the LD_AUDIT FFI gate asks the
 * runner about it, so the FFI policy decides whether this worker can start
 * (`--deny-ffi=/usr/lib/x86_64-linux-gnu/libz.so.1` makes it fail with
 * "pod: ffi denied: ... (rule ...)").
 */
#include <stdio.h>
#include <zlib.h>

#include "podlib.h"

static int zinfo_handle(void *state, const void *msg, size_t len, podlib_reply_fn reply, void *ctx)
{
	char out[128];
	(void)state;
	unsigned long crc =
	    crc32(0L, (const Bytef *)msg, (uInt)(len > 0xffffffffu ? 0xffffffffu : len));
	int n = snprintf(out, sizeof(out), "zlib %s crc32=0x%08lx", zlibVersion(), crc);
	return reply(ctx, out, (size_t)n);
}

PODLIB_SERVICE("zinfo", NULL, zinfo_handle, NULL)
