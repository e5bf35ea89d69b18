/*
 * util.c — small helpers of 07-runner: JSON string escaping, RFC 3339
 * timestamps, a growable string buffer, random ids, error text.
 *
 * Layer 07 (runner). Builds on libc only. Used by every other file of the
 * runner (audit lines, events, the CLI).
 */
#include "internal.h"

#include <stdarg.h>
#include <sys/random.h>
#include <time.h>

void pr_seterr(struct podrun *p, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->life.err, sizeof p->life.err, fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof p->life.err)
		snprintf(p->life.err + n, sizeof p->life.err - n, ": %s",
			 strerror(err < 0 ? -err : err));
}

/* ---- string buffer ------------------------------------------------------ */

int pr_sb_reserve(struct strbuf *sb, size_t more)
{
	size_t want = sb->len + more + 1;
	char *n;

	if (sb->oom)
		return -ENOMEM;
	if (want <= sb->cap)
		return 0;
	if (want < 256)
		want = 256;
	if (want < sb->cap * 2)
		want = sb->cap * 2;
	n = realloc(sb->buf, want);
	if (!n) {
		sb->oom = 1;
		return -ENOMEM;
	}
	sb->buf = n;
	sb->cap = want;
	return 0;
}

void pr_sb_add(struct strbuf *sb, const char *s, size_t n)
{
	if (pr_sb_reserve(sb, n) < 0)
		return;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void pr_sb_puts(struct strbuf *sb, const char *s)
{
	pr_sb_add(sb, s, strlen(s));
}

void pr_sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || pr_sb_reserve(sb, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/*
 * Append @p s as a JSON string literal (with quotes). Pod-controlled text may
 * hold any byte: control bytes and bytes >= 0x80 become \u00XX (the same rule
 * as 06-ebpf's formatter), so the line is always valid JSON and one line.
 */
void pr_sb_json_str(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	char esc[8];

	pr_sb_add(sb, "\"", 1);
	for (; *u; u++) {
		if (*u == '"' || *u == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*u;
			pr_sb_add(sb, esc, 2);
		} else if (*u < 0x20 || *u >= 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[*u >> 4];
			esc[5] = hex[*u & 15];
			pr_sb_add(sb, esc, 6);
		} else {
			pr_sb_add(sb, (const char *)u, 1);
		}
	}
	pr_sb_add(sb, "\"", 1);
}

void pr_sb_free(struct strbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof *sb);
}

/* ---- time and ids --------------------------------------------------------- */

/* RFC 3339 UTC with microseconds: 2026-11-28T07:50:00.123456Z (27 chars). */
void pr_timestamp(char out[32], uint64_t ns)
{
	struct timespec ts;
	struct tm tm;
	time_t secs;

	if (!ns) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	}
	secs = (time_t)(ns / 1000000000ull);
	gmtime_r(&secs, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(out + n, 32 - n, ".%06uZ", (unsigned)((ns % 1000000000ull) / 1000) % 1000000u);
}

/* The runner's one clock: CLOCK_MONOTONIC in microseconds. */
uint64_t pr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t pr_now_ms(void)
{
	return pr_now_us() / 1000;
}

void pr_random_id(char *out, size_t hexlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[32];
	size_t i;

	if (hexlen > 2 * sizeof b)
		hexlen = 2 * sizeof b;
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
		uint64_t x = pr_now_ms() ^ ((uint64_t)getpid() << 32);
		memcpy(b, &x, sizeof x);
		memcpy(b + 8, &x, sizeof x);
	}
	for (i = 0; i < hexlen; i++)
		out[i] = hex[(b[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
	out[hexlen] = '\0';
}

char *pr_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Append @p s to a NULL-terminated string vector. */
int pr_strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof *nv);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	nv[*n] = NULL;
	return 0;
}

void pr_strv_free(char **v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The pid of a process as seen inside its innermost pid namespace (the last
 * NSpid field of /proc/PID/status), or 0 when it cannot be read. */
int pr_pod_pid(pid_t host_pid)
{
	char path[64], line[256];
	int pid = 0;
	FILE *f;

	if (host_pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/status", (int)host_pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		char *s = line + 6, *end;
		if (strncmp(line, "NSpid:", 6))
			continue;
		for (;;) {
			long v = strtol(s, &end, 10);
			if (end == s)
				break;
			pid = (int)v;
			s = end;
		}
		break;
	}
	fclose(f);
	return pid;
}

/* ---- output ----------------------------------------------------------------- */

void pr_write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a failing sink (audit file, stdout) must not stop the runner */
		s += w;
		n -= (size_t)w;
	}
}
