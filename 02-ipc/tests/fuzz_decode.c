/*
 * fuzz_decode.c — libFuzzer target for the 02-ipc control-message decoder.
 *
 * Layer 02-ipc, tests (`make fuzz`). Feeds arbitrary bytes to ipc_decode()
 * as a stream (message after message, as the runner does) and checks that
 * whatever decodes re-encodes to the very same bytes. Built with
 * -fsanitize=fuzzer,address,undefined, so any overread is a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		struct ipc_msg m;
		int n = ipc_decode(data + off, size - off, &m);
		if (n <= 0)
			break;
		if ((size_t)n > size - off)
			abort();
		uint8_t out[IPC_MAX_MSG];
		int e = ipc_encode(&m, out, sizeof out);
		if (e != n || memcmp(out, data + off, (size_t)n) != 0)
			abort();
		off += (size_t)n;
	}
	return 0;
}
