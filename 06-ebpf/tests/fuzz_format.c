/*
 * fuzz_format.c — libFuzzer target of layer 06-ebpf: the JSON formatter
 * against hostile event contents.
 *
 * Builds on src/format.c and src/syscalls.c only. The input fills an event's
 * strings (path, comm, argv, address, pod id) and numbers; the formatted line
 * must fit or fail with -ENOSPC, never overrun, never contain a raw control
 * byte or a byte >= 0x80, and must balance its quotes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sysaudit.h"

static size_t take(const uint8_t **d, size_t *n, void *dst, size_t want)
{
	size_t k = *n < want ? *n : want;

	memcpy(dst, *d, k);
	*d += k;
	*n -= k;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char argv[SYSAUDIT_ARGV_MAX][SYSAUDIT_ARG_LEN];
	struct sysaudit_event ev;
	struct sysaudit_verdict v = { 0 };
	char pod[64] = { 0 }, out[8192];
	uint8_t sel = 0;
	size_t outlen;
	int n, quotes = 0;

	memset(&ev, 0, sizeof(ev));
	take(&data, &size, &sel, 1);
	take(&data, &size, &ev.kind, sizeof(ev.kind));
	take(&data, &size, &ev.eflags, sizeof(ev.eflags));
	take(&data, &size, &ev.ret, sizeof(ev.ret));
	take(&data, &size, &ev.family, sizeof(ev.family));
	take(&data, &size, &ev.exit_status, sizeof(ev.exit_status));
	take(&data, &size, &ev.argc, sizeof(ev.argc));
	take(&data, &size, ev.path, sizeof(ev.path) - 1);
	take(&data, &size, ev.comm, sizeof(ev.comm) - 1);
	take(&data, &size, ev.addr, sizeof(ev.addr) - 1);
	take(&data, &size, v.rule, sizeof(v.rule) - 1);
	take(&data, &size, pod, sizeof(pod) - 1);
	for (int i = 0; i < SYSAUDIT_ARGV_MAX; i++) {
		memset(argv[i], 0, sizeof(argv[i]));
		take(&data, &size, argv[i], sizeof(argv[i]) - 1);
		ev.argv[i] = argv[i];
	}
	ev.syscall = sysaudit_syscall_name((int)(ev.ret & 511)) ?: "unknown";
	v.action = (enum sysaudit_action)(sel & 3);
	outlen = 64 + (size_t)sel * 16;
	n = sysaudit_format_line(&ev, &v, pod, out, outlen);
	if (n == -ENOSPC || n == -EINVAL)
		return 0;
	if (n < 0 || (size_t)n >= outlen || strlen(out) != (size_t)n || out[n - 1] != '\n')
		abort();
	for (int i = 0; i < n - 1; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c >= 0x7f)
			abort();
		if (c == '"')
			quotes++;
		if (c == '\\')
			i++; /* skip the escaped byte */
	}
	if (quotes % 2)
		abort();
	return 0;
}
#ifdef FUZZ_DEBUG
#include <stdio.h>
int main(int argc, char **argv)
{
	static uint8_t buf[8192];
	FILE *f = fopen(argv[1], "rb");
	size_t n = fread(buf, 1, sizeof(buf), f);
	(void)argc;
	return LLVMFuzzerTestOneInput(buf, n);
}
#endif
