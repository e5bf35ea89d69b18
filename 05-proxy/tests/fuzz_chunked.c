/*
 * fuzz_chunked.c — libFuzzer target: the chunked-body decoder.
 *
 * Layer 05 (proxy), fuzzing only. Builds on src/http_parse.c. Feeds the input
 * in one piece and then split at a fuzzer-chosen point, and checks both ways
 * agree on where the body ends (a decoder that depends on how TCP split the
 * bytes would let a pod smuggle a request).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t split = data[0] % (size - 1);
	const char *in = (const char *)data + 1;
	size_t n = size - 1;
	struct proxy_chunked a = { 0 }, b = { 0 };
	long ra = proxy_chunked_feed(&a, in, n, 64);
	long rb = proxy_chunked_feed(&b, in, split, 64);
	if (rb >= 0 && !b.done) {
		long r2 = proxy_chunked_feed(&b, in + rb, n - (size_t)rb, 64);
		rb = r2 < 0 ? r2 : rb + r2;
	}
	if (ra > (long)n || rb > (long)n)
		abort();
	if ((ra < 0) != (rb < 0))
		abort();
	if (ra >= 0 && (a.done != b.done || (a.done && ra != rb)))
		abort();
	return 0;
}
