/*
 * fuzz_decide.c — libFuzzer target for decisions on hostile requests.
 *
 * Layer 04 (policy), fuzzing only (make fuzz). Requests come from the pod (HTTP
 * Host headers, TLS SNI, DNS names, paths, variable names): this target feeds
 * arbitrary bytes as requests of every category, and as socket addresses, to a
 * fixed policy with rules of every kind. It checks that a decision either fails
 * cleanly (negative return) or yields an action in range, a rule string and a
 * NUL-terminated reason; the sanitizers watch every access.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static const char POLICY[] =
    "{\"net\": {\"allow\": [\"example.com\", \"*.example.com:443\", \"localhost\", \"10.0.0.0/8\","
    " \"[2001:db8::1]:443\", \"fd00::/8\"], \"deny\": [\"*.evil.example.com\", "
    "\"169.254.169.254\"]},"
    " \"fs\": {\"read\": {\"allow\": [\"/\", \"/data\"], \"deny\": [\"/data/secret\"]},"
    "        \"write\": {\"warn\": [\"/tmp\"]}},"
    " \"run\": {\"allow\": [\"/usr/bin\", \"sh\"]}, \"env\": {\"allow\": [\"LANG\", \"LC_*\"], "
    "\"deny\": [\"AWS_*\"]},"
    " \"ffi\": {\"allow\": [\"/usr/lib\"]}}";

static policy_t *pol;

static void check(const struct pol_decision *d)
{
	if ((unsigned)d->action > POL_DENY || !d->rule ||
	    !memchr(d->reason, '\0', sizeof(d->reason)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_decision d;
	char req[600];
	size_t n;

	if (!pol) {
		if (policy_new(&pol) < 0 || policy_set_search_path(pol, "/bin") < 0 ||
		    policy_load_json(pol, POLICY, strlen(POLICY), "fuzz", NULL) < 0 ||
		    policy_finalize(pol, NULL) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	/* 1. the rest of the input as a request of the category the first byte picks */
	n = size - 1 < sizeof(req) - 1 ? size - 1 : sizeof(req) - 1;
	memcpy(req, data + 1, n);
	req[n] = '\0';
	if (policy_decide(pol, (enum pol_cat)(data[0] % POL_CAT_COUNT), req, &d) == 0)
		check(&d);
	if (policy_decide_net(pol, req, (uint16_t)(data[0] * 257), &d) == 0)
		check(&d);
	/* 2. the first bytes as an address, the request as the host */
	if (size >= 1 + 16) {
		struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
					   .sin6_port = (uint16_t)data[0] };
		struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = (uint16_t)data[0] };
		memcpy(&s6.sin6_addr, data + 1, 16);
		memcpy(&s4.sin_addr, data + 1, 4);
		if (policy_decide_addr(pol, data[0] & 1 ? req : NULL, (struct sockaddr *)&s6, &d) ==
		    0)
			check(&d);
		if (policy_decide_addr(pol, data[0] & 2 ? req : "localhost", (struct sockaddr *)&s4,
				       &d) == 0)
			check(&d);
	}
	return 0;
}
