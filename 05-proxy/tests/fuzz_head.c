/*
 * fuzz_head.c — libFuzzer target: the HTTP/1.x head parser (requests and responses).
 *
 * Layer 05 (proxy), fuzzing only. Builds on src/http_parse.c. Run by
 * `make fuzz`. Checks, beyond "no crash": a complete head's offsets and
 * lengths stay inside the input, and the head length never exceeds it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "proxy_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_head h;
	if (size == 0)
		return 0;
	/* first byte picks request/response and the limits */
	int is_resp = data[0] & 1;
	uint32_t max_headers = 1 + (data[0] >> 1) % 128;
	char *buf = malloc(size - 1 + 1); /* exact copy: ASan sees any overread */
	memcpy(buf, data + 1, size - 1);
	int r = proxy_parse_head(buf, size - 1, is_resp, max_headers, 256 + data[0] * 8, &h);
	if (r > 0) {
		if ((size_t)r > size - 1 || h.head_len != (uint32_t)r || h.n_headers > max_headers)
			abort();
		for (uint32_t i = 0; i < h.n_headers; i++)
			if (h.headers[i].value_off + h.headers[i].value_len > (uint32_t)r ||
			    h.headers[i].name_off + h.headers[i].name_len > (uint32_t)r)
				abort();
		if (h.chunked && h.content_length >= 0)
			abort(); /* ambiguity must never be accepted */
	}
	/* the resumable scan, split at a point the input picks, agrees with one pass */
	uint32_t from = 0, zero = 0;
	size_t split = (size - 1) ? (size_t)data[0] * 7 % (size - 1) : 0;
	int once = px_head_scan(buf, size - 1, &zero, 256 + data[0] * 8);
	int s1 = px_head_scan(buf, split, &from, 256 + data[0] * 8);
	if (from > split)
		abort();
	int s2 = s1 ? s1 : px_head_scan(buf, size - 1, &from, 256 + data[0] * 8);
	if (s2 != once)
		abort();
	if (r > 0 && once != r)
		abort();
	free(buf);
	return 0;
}
