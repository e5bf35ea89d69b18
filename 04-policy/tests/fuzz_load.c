/*
 * fuzz_load.c — libFuzzer target for the 04-policy loader.
 *
 * Layer 04 (policy), fuzzing only (make fuzz). Builds on the layer's sources,
 * compiled by clang with -fsanitize=fuzzer,address,undefined. Feeds arbitrary
 * bytes to policy_load_json and checks the loader's promises:
 *   - it never crashes, leaks or reads out of bounds (the sanitizers watch);
 *   - an error always has a message, and a position inside the text;
 *   - a policy that loads also finalizes (or fails with a message), answers
 *     decisions, and its normalized JSON (policy_to_json) loads again to the
 *     same rule counts and defaults (the round trip fmt relies on).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void decide_some(const policy_t *p)
{
	static const char *const reqs[][2] = {
		{ "0", "example.com:443" }, { "0", "[::1]:80" }, { "1", "/data/x" },
		{ "2", "/tmp/out" },        { "3", "/bin/sh" },  { "4", "AWS_KEY" },
		{ "5", "/lib/x.so" },
	};
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct pol_decision d;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		policy_decide(p, (enum pol_cat)(reqs[i][0][0] - '0'), reqs[i][1], &d);
	s4.sin_addr.s_addr = htonl(0x7f000001);
	policy_decide_addr(p, "localhost", (struct sockaddr *)&s4, &d);
	s4.sin_addr.s_addr = htonl(0x0a000001);
	policy_decide_addr(p, NULL, (struct sockaddr *)&s4, &d);
}

static void round_trip(const policy_t *p)
{
	struct pol_error err;
	policy_t *q = NULL;
	char *json = NULL;

	if (policy_to_json(p, &json) < 0)
		return;
	if (policy_new(&q) < 0)
		abort();
	policy_set_search_path(q, "/bin");
	if (policy_load_json(q, json, strlen(json), "<fmt>", &err) < 0 ||
	    policy_finalize(q, &err) < 0) {
		fprintf(stderr, "fmt output does not load: %s at %d:%d %s\n%s\n", err.msg, err.line,
			err.column, err.path, json);
		abort();
	}
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		const struct pol_rule *ra, *rb;
		size_t na, nb;
		policy_rules(p, (enum pol_cat)c, &ra, &na);
		policy_rules(q, (enum pol_cat)c, &rb, &nb);
		if (na != nb ||
		    policy_default(p, (enum pol_cat)c) != policy_default(q, (enum pol_cat)c))
			abort();
	}
	free(json);
	policy_free(q);
}

/*
 * A semantic error (JSON path deeper than "$") must point at the start of a key or
 * a value: walk to line:column (columns count UTF-8 characters) and look.
 */
static void check_position(const uint8_t *data, size_t size, const struct pol_error *err)
{
	size_t i = 0;
	int line = 1, col = 1;

	if (strcmp(err->path, "$") == 0 || err->line == 0)
		return;
	if (size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3, col = 2; /* the byte-order mark counts as one character */
	for (; i < size && (line < err->line || col < err->column); i++) {
		if (data[i] == '\n') {
			line++;
			col = 1;
		} else if ((data[i] & 0xc0) != 0x80) {
			col++;
		}
	}
	while (i < size && (data[i] & 0xc0) == 0x80)
		i++;
	if (i >= size || !strchr("\"{[-0123456789tfn", data[i])) {
		fprintf(stderr, "error at %d:%d (%s: %s) is not at a key or value\n", err->line,
			err->column, err->path, err->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_error err;
	policy_t *p = NULL;

	if (policy_new(&p) < 0)
		return 0;
	policy_set_search_path(p, "/bin");
	if (policy_load_json(p, (const char *)data, size, "fuzz.json", &err) < 0) {
		if (!err.msg[0] || err.line < 0 || err.column < 0)
			abort();
		check_position(data, size, &err);
	} else if (policy_finalize(p, &err) == 0) {
		decide_some(p);
		round_trip(p);
	} else if (!err.msg[0]) {
		abort();
	}
	policy_free(p);
	return 0;
}
