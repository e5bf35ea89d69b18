/*
 * fuzz_sni.c — libFuzzer target: the ClientHello SNI parser.
 *
 * Layer 05 (proxy), fuzzing only. Builds on src/sni.c. A found name must be
 * NUL-terminated, as long as reported, and made of host-name characters only.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[256];
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	int r = proxy_parse_sni(buf, size, host, sizeof(host));
	if (r > 0) {
		if (strlen(host) != (size_t)r || r > 253)
			abort();
		for (int i = 0; i < r; i++)
			if (!(islower((unsigned char)host[i]) || isdigit((unsigned char)host[i]) ||
			      strchr("-_.", host[i])))
				abort();
	}
	free(buf);
	return 0;
}
