/*
 * fuzz_dns.c — libFuzzer target: the DNS query parser and the answer builder.
 *
 * Layer 05 (proxy), fuzzing only. Builds on src/dns_parse.c. Every accepted
 * query is answered (A record and NXDOMAIN) into a buffer of exactly the
 * promised size, so an overflow in the builder shows up under ASan.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "proxy_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_dns_query q;
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	int r = proxy_parse_dns(buf, size, &q);
	if (r == 0 || r == -ENOTSUP || (r == -EBADMSG && size >= 12)) {
		if (r == 0 && (q.question_len > size || strlen(q.name) > 253))
			abort();
		struct in_addr a = { htonl(0xa9fe0101) };
		size_t cap = (q.question_len ? q.question_len : 12) + 16;
		uint8_t *out = malloc(cap);
		size_t n = px_dns_answer(buf, &q, r == 0 ? 0 : 1, r == 0 ? &a : NULL, out, cap);
		if (n == 0 || n > cap)
			abort();
		free(out);
	}
	free(buf);
	return 0;
}
