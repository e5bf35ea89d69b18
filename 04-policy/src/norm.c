/*
 * norm.c — normalization of policy patterns and requests.
 *
 * Layer 04 (policy). Builds on libc only (inet_pton/inet_ntop). Used by load.c
 * and policy.c (every pattern from a file or a flag goes through norm_pattern)
 * and by lookup.c (requests are normalized the same way before a lookup, so a
 * rule and a request meet in one canonical spelling).
 *
 * Canonical forms:
 *   paths   "/a/b"   absolute, no ".", "..", "//" or trailing "/" (lexical only:
 *                    symlinks are the mount plan's business, not ours)
 *   hosts   "api.example.com"  lower case, no trailing dot, ASCII only,
 *           "*.example.com" only as a leading wildcard, ":443" port 1-65535
 *   IPs     "10.0.0.1", "[2001:db8::1]:443", "10.0.0.0/8", "fd00::/8"
 *           (IPv4-mapped IPv6 is printed as IPv4; CIDR host bits must be zero)
 *   env     "LANG", "AWS_*" (a trailing "*" is a prefix glob)
 *   run     "/usr/bin/git" or a bare "git" (resolved at finalize)
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sandbox_path.h"

#define MSG(...) snprintf(msg, msgsz, __VA_ARGS__)
#define HINT(...) snprintf(hint, hintsz, __VA_ARGS__)

int edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[64];

	if (la > 60 || lb > 60)
		return 9;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost =
			    tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			int v = diag + cost;
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
		}
	}
	return row[lb] > 9 ? 9 : row[lb];
}

const char *suggest(const char *s, const char *const *words)
{
	const char *best = NULL;
	int bd = 3;

	for (; *words; words++) {
		int d = edit_distance(s, *words);
		if (d < bd && (size_t)d < strlen(*words)) {
			bd = d;
			best = *words;
		}
	}
	return best;
}

/* ---------------------------------------------------------------- paths */

int norm_path(const char *in, size_t len, char *out)
{
	if (len >= POL_MAX_PATTERN)
		return -EINVAL;
	return sb_path_normalize(in, len, out, POL_MAX_PATTERN, 0);
}

static int has_ctl(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static int norm_path_rule(const char *in, size_t len, struct rule *r, char *msg, size_t msgsz,
			  char *hint, size_t hintsz)
{
	char buf[POL_MAX_PATTERN];

	if (in[0] == '~') {
		MSG("path `%.*s` is not absolute", (int)len, in);
		HINT("`~` is not expanded here; write the full path, e.g. `/home/user/...`");
		return -EINVAL;
	}
	if (in[0] != '/') {
		MSG("path `%.*s` is not absolute", (int)(len > 200 ? 200 : len), in);
		HINT(
		    "paths in a policy file are absolute (flags resolve relative paths against the "
		    "working directory)");
		return -EINVAL;
	}
	if (memchr(in, '*', len)) {
		MSG("wildcards are not supported in paths (`%.*s`)", (int)(len > 200 ? 200 : len),
		    in);
		HINT("a path rule covers everything below it: name the directory, e.g. `/usr/bin`");
		return -EINVAL;
	}
	if (norm_path(in, len, buf) < 0) {
		MSG("path is not valid");
		return -EINVAL;
	}
	r->kind = RK_PATH;
	r->pattern = strdup(buf);
	r->key = strdup(buf);
	return r->pattern && r->key ? 0 : -ENOMEM;
}

static int norm_run_rule(const char *in, size_t len, struct rule *r, char *msg, size_t msgsz,
			 char *hint, size_t hintsz)
{
	if (memchr(in, '/', len) || in[0] == '~')
		return norm_path_rule(in, len, r, msg, msgsz, hint, hintsz);
	if ((len == 1 && in[0] == '.') || (len == 2 && in[0] == '.' && in[1] == '.')) {
		MSG("`%.*s` is not a program", (int)len, in);
		HINT("give an absolute path or a bare program name such as `git`");
		return -EINVAL;
	}
	if (memchr(in, '*', len)) {
		MSG("wildcards are not supported in paths (`%.*s`)", (int)(len > 200 ? 200 : len),
		    in);
		HINT("a path rule covers everything below it: name the directory, e.g. `/usr/bin`");
		return -EINVAL;
	}
	r->kind = RK_PROG;
	r->pattern = strndup(in, len);
	r->key = strndup(in, len);
	return r->pattern && r->key ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------- IPs */

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int norm_ip(const char *s, size_t len, uint8_t ip[16])
{
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, ip + 12) == 1) {
		memcpy(ip, v4mapped_prefix, 12);
		return 4;
	}
	if (inet_pton(AF_INET6, buf, ip) == 1)
		return memcmp(ip, v4mapped_prefix, 12) == 0 ? 4 : 6;
	return 0;
}

void fmt_ip(const uint8_t ip[16], char *out, size_t outsz)
{
	if (memcmp(ip, v4mapped_prefix, 12) == 0)
		inet_ntop(AF_INET, ip + 12, out, (socklen_t)outsz);
	else
		inet_ntop(AF_INET6, ip, out, (socklen_t)outsz);
}

static int parse_port(const char *s, size_t len, uint16_t *port, char *msg, size_t msgsz,
		      char *hint, size_t hintsz)
{
	unsigned long v = 0;

	if (len == 0) {
		MSG("empty port after `:`");
		HINT("write host:PORT with PORT in 1-65535, or leave the port out for any port");
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i])) {
			MSG("port `%.*s` is not a number", (int)(len > 40 ? 40 : len), s);
			HINT("ports are decimal numbers in 1-65535");
			return -EINVAL;
		}
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v < 1 || v > 65535) {
		MSG("port `%.*s` is out of range", (int)(len > 40 ? 40 : len), s);
		HINT("ports are 1-65535; leave the port out to mean any port");
		return -EINVAL;
	}
	*port = (uint16_t)v;
	return 0;
}

static void mask_ip(uint8_t ip[16], unsigned plen)
{
	for (unsigned b = 0; b < 16; b++) {
		unsigned keep = plen >= (b + 1) * 8 ? 8 : (plen > b * 8 ? plen - b * 8 : 0);
		ip[b] &= (uint8_t)(0xff00u >> keep);
	}
}

static int set_ip_pattern(struct rule *r, const char *sfx)
{
	char a[64], buf[96];
	int v4 = memcmp(r->ip, v4mapped_prefix, 12) == 0;

	fmt_ip(r->ip, a, sizeof(a));
	if (r->kind == RK_CIDR)
		snprintf(buf, sizeof(buf), "%s/%u%s", a, v4 ? r->plen - 96u : r->plen, sfx);
	else if (r->port && !v4)
		snprintf(buf, sizeof(buf), "[%s]:%u", a, r->port);
	else if (r->port)
		snprintf(buf, sizeof(buf), "%s:%u", a, r->port);
	else
		snprintf(buf, sizeof(buf), "%s", a);
	r->pattern = strdup(buf);
	r->key = strdup(a);
	return r->pattern && r->key ? 0 : -ENOMEM;
}

static int norm_cidr(const char *in, size_t len, const char *slash, struct rule *r, char *msg,
		     size_t msgsz, char *hint, size_t hintsz)
{
	size_t alen = (size_t)(slash - in), llen = len - alen - 1;
	const char *l = slash + 1;
	unsigned v = 0;
	int fam = norm_ip(in, alen, r->ip) ? (memchr(in, ':', alen) ? 6 : 4) : 0;
	uint8_t masked[16];

	if (!fam) {
		MSG("`%.*s` is neither a host nor a CIDR block", (int)(len > 80 ? 80 : len), in);
		HINT("net rules name hosts (`example.com:443`), IPs or CIDR blocks (`10.0.0.0/8`), "
		     "not URLs or paths");
		return -EINVAL;
	}
	if (llen == 0 || llen > 3) {
		MSG("bad prefix length in `%.*s`", (int)len, in);
		HINT("CIDR blocks look like `10.0.0.0/8` or `fd00::/8`; they apply to every port");
		return -EINVAL;
	}
	for (size_t i = 0; i < llen; i++) {
		if (!isdigit((unsigned char)l[i])) {
			MSG("bad prefix length in `%.*s`", (int)len, in);
			HINT("CIDR blocks look like `10.0.0.0/8` or `fd00::/8`; they apply to "
			     "every port");
			return -EINVAL;
		}
		v = v * 10 + (unsigned)(l[i] - '0');
	}
	if (v > (fam == 4 ? 32u : 128u)) {
		MSG("prefix length /%u is too long for an IPv%d address", v, fam);
		HINT("IPv4 prefixes are /0-/32, IPv6 prefixes /0-/128");
		return -EINVAL;
	}
	r->kind = RK_CIDR;
	r->plen = (uint8_t)(fam == 4 ? v + 96 : v);
	memcpy(masked, r->ip, 16);
	mask_ip(masked, r->plen);
	if (memcmp(masked, r->ip, 16) != 0) {
		char a[64];
		fmt_ip(masked, a, sizeof(a));
		MSG("`%.*s` has bits set beyond the /%u prefix", (int)alen, in, v);
		HINT("did you mean `%s/%u`?", a, v);
		return -EINVAL;
	}
	return set_ip_pattern(r, "");
}

/* ---------------------------------------------------------------- hosts */

/* Host name characters, lower-cased; 0 = not allowed ('.' is handled apart). */
static const char host_chars[256] = {
	['-'] = '-', ['_'] = '_', ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
	['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
#define L(c) [c] = c, [c - 32] = c
	L('a'),      L('b'),      L('c'),      L('d'),      L('e'),      L('f'),      L('g'),
	L('h'),      L('i'),      L('j'),      L('k'),      L('l'),      L('m'),      L('n'),
	L('o'),      L('p'),      L('q'),      L('r'),      L('s'),      L('t'),      L('u'),
	L('v'),      L('w'),      L('x'),      L('y'),      L('z'),
#undef L
};

/*
 * A label inet_aton reads as a number: decimal digits, or 0x/0X and hex
 * digits (octal is digits already). Such a last label makes the whole name an
 * IPv4 address in disguise.
 */
static int label_numeric(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 0;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!isxdigit((unsigned char)s[i]))
				return 0;
		return 1;
	}
	for (; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

int norm_host(const char *in, size_t len, char *out, size_t outsz)
{
	size_t lab = 0;

	if (len > 0 && in[len - 1] == '.')
		len--; /* "example.com." is the fully-qualified spelling of example.com */
	if (len == 0 || len > 253 || len >= outsz)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		char m = host_chars[c];
		if (c == '.') {
			if (lab == 0)
				return -EINVAL;
			lab = 0;
			m = '.';
		} else if (!m || ++lab > 63) {
			return -EINVAL;
		}
		out[i] = m;
	}
	if (lab == 0)
		return -EINVAL;
	/* A numeric last label is an IPv4 address in disguise ("2130706433",
	 * "0x7f000001", "127.0.0.0x1", "1.2.3" all reach 127.x or similar through
	 * inet_aton): not a name. */
	{
		size_t i = len;
		while (i > 0 && out[i - 1] != '.')
			i--;
		if (label_numeric(out + i, len - i))
			return -EINVAL;
	}
	out[len] = '\0';
	return (int)len;
}

/* Explain why norm_host rejected @p h. */
static int host_error(const char *h, size_t len, char *msg, size_t msgsz, char *hint, size_t hintsz)
{
	int shown = (int)(len > 80 ? 80 : len);

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)h[i] >= 0x80) {
			MSG("host name `%.*s` contains non-ASCII characters", shown, h);
			HINT("write internationalized names in punycode (`xn--...`), as DNS sees "
			     "them");
			return -EINVAL;
		}
	}
	if (memchr(h, '*', len)) {
		MSG("wildcard in `%.*s` is not at the start", shown, h);
		HINT("only a leading `*.` is supported, e.g. `*.example.com`");
		return -EINVAL;
	}
	if (memchr(h, ' ', len) || memchr(h, '\t', len)) {
		MSG("host name `%.*s` contains white space", shown, h);
		HINT("separate patterns as separate strings (or with commas in flags)");
		return -EINVAL;
	}
	if (strstr(h, "..") || h[0] == '.') {
		MSG("host name `%.*s` has an empty label", shown, h);
		HINT("labels between dots must not be empty");
		return -EINVAL;
	}
	if (len > 254) {
		MSG("host name is longer than 253 characters");
		HINT("DNS names are at most 253 characters, 63 per label");
		return -EINVAL;
	}
	MSG("`%.*s` is not a valid host name", shown, h);
	HINT("host names use letters, digits, `-` and `_`, labels of at most 63 characters");
	return -EINVAL;
}

static int last_label_numeric(const char *h, size_t len)
{
	size_t i;

	if (len > 0 && h[len - 1] == '.')
		len--;
	if (len == 0 || h[len - 1] == '.')
		return 0; /* an empty label: host_error says so */
	i = len;
	while (i > 0 && h[i - 1] != '.')
		i--;
	return label_numeric(h + i, len - i);
}

static int norm_hostport(const char *h, size_t hlen, uint16_t port, struct rule *r, char *msg,
			 size_t msgsz, char *hint, size_t hintsz)
{
	char buf[300], pat[320];
	int wild = 0, n;

	if (hlen >= 2 && h[0] == '*' && h[1] == '.') {
		wild = 1;
		h += 2;
		hlen -= 2;
	} else if (hlen == 1 && h[0] == '*') {
		MSG("`*` alone is not a host pattern");
		HINT(
		    "to allow every host, set \"default\": \"allow\" (or pass a bare --allow-net)");
		return -EINVAL;
	}
	if (!wild && norm_ip(h, hlen, r->ip)) {
		r->kind = RK_IP;
		r->plen = 128;
		r->port = port;
		return set_ip_pattern(r, "");
	}
	if (last_label_numeric(h, hlen)) {
		MSG("`%.*s` is not a valid IPv4 address or host name: its last label is a number",
		    (int)(hlen > 80 ? 80 : hlen), h);
		HINT("IPv4 addresses are four decimal numbers 0-255 without leading zeros "
		     "(no hex, octal or shortened forms)");
		return -EINVAL;
	}
	n = norm_host(h, hlen, buf, sizeof(buf));
	if (n < 0)
		return host_error(h, hlen, msg, msgsz, hint, hintsz);
	r->kind = wild ? RK_WILD : RK_HOST;
	r->port = port;
	if (port)
		snprintf(pat, sizeof(pat), "%s%s:%u", wild ? "*." : "", buf, port);
	else
		snprintf(pat, sizeof(pat), "%s%s", wild ? "*." : "", buf);
	r->pattern = strdup(pat);
	r->key = strdup(buf);
	return r->pattern && r->key ? 0 : -ENOMEM;
}

/* "[IPv6]" or "[IPv6]:port" */
static int norm_bracketed(const char *in, size_t len, struct rule *r, char *msg, size_t msgsz,
			  char *hint, size_t hintsz)
{
	const char *close = memchr(in, ']', len);
	uint16_t port = 0;
	size_t rest;

	if (!close) {
		MSG("missing `]` in `%.*s`", (int)len, in);
		HINT("IPv6 addresses with a port are written `[2001:db8::1]:443`");
		return -EINVAL;
	}
	if (!memchr(in, ':', (size_t)(close - in)) ||
	    !norm_ip(in + 1, (size_t)(close - in - 1), r->ip)) {
		MSG("`%.*s` is not an IPv6 address", (int)(close - in - 1), in + 1);
		HINT("brackets are for IPv6 addresses only, e.g. `[::1]:8080`");
		return -EINVAL;
	}
	rest = len - (size_t)(close - in) - 1;
	if (rest > 0 && close[1] != ':') {
		MSG("unexpected `%.*s` after `]`", (int)rest, close + 1);
		HINT("write `[ADDRESS]:PORT`; CIDR blocks are written without brackets "
		     "(`fd00::/8`)");
		return -EINVAL;
	}
	if (rest > 0 && parse_port(close + 2, rest - 1, &port, msg, msgsz, hint, hintsz) < 0)
		return -EINVAL;
	r->kind = RK_IP;
	r->plen = 128;
	r->port = port;
	return set_ip_pattern(r, "");
}

/* 1 when @p in reads as HOST:PORT:PORT: before the first colon a dot or a
 * letter that is not a hex digit (so not an IPv6 address). */
static int two_ports(const char *in, size_t len)
{
	const char *c = memchr(in, ':', len);

	if (!c || c == in)
		return 0;
	for (const char *s = in; s < c; s++)
		if (*s == '.' || !isxdigit((unsigned char)*s))
			return 1;
	return 0;
}

static int norm_net_rule(const char *in, size_t len, struct rule *r, char *msg, size_t msgsz,
			 char *hint, size_t hintsz)
{
	const char *colon, *slash;
	size_t ncolon = 0;
	uint16_t port = 0;

	if (len >= 3 && memmem(in, len, "://", 3)) {
		MSG("`%.*s` is a URL, not a host", (int)(len > 80 ? 80 : len), in);
		HINT("write the host (and port) only, e.g. `example.com:443`");
		return -EINVAL;
	}
	if (in[0] == '[')
		return norm_bracketed(in, len, r, msg, msgsz, hint, hintsz);
	slash = memchr(in, '/', len);
	if (slash)
		return norm_cidr(in, len, slash, r, msg, msgsz, hint, hintsz);
	for (size_t i = 0; i < len; i++)
		ncolon += in[i] == ':';
	if (in[0] == ':' && ncolon == 1) {
		MSG("`%.*s` names a port without a host", (int)(len > 80 ? 80 : len), in);
		HINT("net rules name hosts: write `HOST%.*s` for each host, or a bare --allow-net "
		     "for every host",
		     (int)(len > 8 ? 8 : len), in);
		return -EINVAL;
	}
	if (ncolon >= 2 && two_ports(in, len)) {
		MSG("`%.*s` has two ports", (int)(len > 80 ? 80 : len), in);
		HINT("one port per rule: e.g. `example.com:80,example.com:443`");
		return -EINVAL;
	}
	if (ncolon >= 2) {
		if (norm_ip(in, len, r->ip) == 0) {
			MSG("`%.*s` is not a valid IPv6 address", (int)(len > 80 ? 80 : len), in);
			HINT("with a port, write IPv6 in brackets: `[2001:db8::1]:443`");
			return -EINVAL;
		}
		r->kind = RK_IP;
		r->plen = 128;
		return set_ip_pattern(r, "");
	}
	colon = ncolon ? memchr(in, ':', len) : NULL;
	if (colon && parse_port(colon + 1, len - (size_t)(colon - in) - 1, &port, msg, msgsz, hint,
				hintsz) < 0)
		return -EINVAL;
	return norm_hostport(in, colon ? (size_t)(colon - in) : len, port, r, msg, msgsz, hint,
			     hintsz);
}

/* ---------------------------------------------------------------- env */

static int norm_env_rule(const char *in, size_t len, struct rule *r, char *msg, size_t msgsz,
			 char *hint, size_t hintsz)
{
	int glob = in[len - 1] == '*';
	size_t n = glob ? len - 1 : len;

	if (glob && n == 0) {
		MSG("`*` alone is not an env pattern");
		HINT("to allow every variable, set \"default\": \"allow\" (or pass a bare "
		     "--allow-env)");
		return -EINVAL;
	}
	if (n > POL_MAX_ENV) {
		MSG("env name is longer than %d characters", POL_MAX_ENV);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '*') {
			MSG("`*` in `%.*s` is not at the end", (int)len, in);
			HINT("env globs are prefixes such as `AWS_*`");
			return -EINVAL;
		}
		if (!(isalnum(c) || c == '_') || (i == 0 && isdigit(c))) {
			MSG("`%.*s` is not a valid environment variable name", (int)len, in);
			HINT("names use letters, digits and `_`, and do not start with a digit "
			     "(glob: `PREFIX*`)");
			return -EINVAL;
		}
	}
	r->kind = glob ? RK_ENVGLOB : RK_ENV;
	r->pattern = strndup(in, len);
	r->key = strndup(in, n);
	return r->pattern && r->key ? 0 : -ENOMEM;
}

/* ---------------------------------------------------------------- entry points */

int norm_pattern(enum pol_cat c, const char *in, size_t len, struct rule *r, char *msg,
		 size_t msgsz, char *hint, size_t hintsz)
{
	msg[0] = hint[0] = '\0';
	if (len == 0) {
		MSG("empty pattern");
		HINT("remove the empty string, or write a pattern");
		return -EINVAL;
	}
	if (len >= POL_MAX_PATTERN) {
		MSG("pattern is longer than %d bytes", POL_MAX_PATTERN - 1);
		return -EINVAL;
	}
	if (memchr(in, '\0', len) || has_ctl(in, len)) {
		MSG("pattern contains a control character");
		return -EINVAL;
	}
	switch (c) {
	case POL_NET:
		return norm_net_rule(in, len, r, msg, msgsz, hint, hintsz);
	case POL_FS_READ:
	case POL_FS_WRITE:
	case POL_FFI:
		return norm_path_rule(in, len, r, msg, msgsz, hint, hintsz);
	case POL_RUN:
		return norm_run_rule(in, len, r, msg, msgsz, hint, hintsz);
	case POL_ENV:
		return norm_env_rule(in, len, r, msg, msgsz, hint, hintsz);
	default:
		return -EINVAL;
	}
}

int norm_size(const char *s, uint64_t *out)
{
	uint64_t v = 0, mul = 1;
	size_t i = 0;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	for (; isdigit((unsigned char)s[i]); i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	switch (tolower((unsigned char)s[i])) {
	case '\0':
		break;
	case 'k':
		mul = 1ull << 10;
		i++;
		break;
	case 'm':
		mul = 1ull << 20;
		i++;
		break;
	case 'g':
		mul = 1ull << 30;
		i++;
		break;
	default:
		return -EINVAL;
	}
	if (s[i] != '\0' || (v && v > UINT64_MAX / mul))
		return -EINVAL;
	*out = v * mul;
	return 0;
}
