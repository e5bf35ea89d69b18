/*
 * fuzz_text.c — libFuzzer target of 07-runner for the two places where pod
 * text meets the runner's own formats: path normalization (FFI queries, eBPF
 * paths, policy requests: 03's sb_path_normalize()) and JSON string escaping
 * (every audit line).
 *
 * Layer 07 (runner), fuzzing. Builds on src/util.c and sandbox_path.h.
 * Invariants checked: a normalized path is absolute, has no "//", "/./",
 * "/../" and no trailing "/", and normalizing it again changes nothing; an
 * escaped string has no raw control or non-ASCII byte and its quotes balance.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sandbox_path.h"

static void check_path(const uint8_t *in, size_t len)
{
	char out[4096], again[4096];
	int n = sb_path_normalize((const char *)in, len, out, sizeof out, 0);

	if (n < 0)
		return;
	if ((size_t)n != strlen(out) || out[0] != '/' || strstr(out, "//") || strstr(out, "/./") ||
	    strstr(out, "/../"))
		abort();
	if (n > 1 && out[n - 1] == '/')
		abort();
	if ((n >= 2 && !strcmp(out + n - 2, "/.")) || (n >= 3 && !strcmp(out + n - 3, "/..")))
		abort();
	if (sb_path_normalize(out, (size_t)n, again, sizeof again, 0) != n || strcmp(out, again))
		abort();
}

static void check_json(const char *in)
{
	struct strbuf sb = { 0 };
	size_t quotes = 0;

	pr_sb_json_str(&sb, in);
	if (sb.oom)
		return;
	for (size_t i = 0; i < sb.len; i++) {
		unsigned char c = (unsigned char)sb.buf[i];
		if (c < 0x20 || c >= 0x7f)
			abort();
		if (c == '\\')
			i++; /* the escaped character */
		else if (c == '"')
			quotes++;
	}
	if (quotes != 2 || sb.buf[0] != '"' || sb.buf[sb.len - 1] != '"')
		abort();
	pr_sb_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_path(data, size);
	check_json(s);
	free(s);
	return 0;
}
