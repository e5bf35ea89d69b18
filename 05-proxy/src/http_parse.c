/*
 * http_parse.c — strict HTTP/1.x head parser and chunked-body decoder.
 *
 * Layer 05 (proxy). Builds on nothing but libc. Used by proxy.c / http.c (every
 * request the pod sends and every response an upstream returns passes here
 * first), by the unit tests and by the libFuzzer targets in tests/fuzz_*.c.
 *
 * Both parsers read hostile bytes. Rules they follow:
 *   - never read past @len, never write outside the output struct;
 *   - every length is bounded (line length, header count, chunk-size digits);
 *   - anything ambiguous is an error, not a guess: bare LF or CR, obs-fold,
 *     whitespace before a colon, Content-Length together with
 *     Transfer-Encoding, two Content-Length fields, a Transfer-Encoding whose
 *     last coding is not "chunked". A proxy that guesses differently from the
 *     upstream is how request smuggling happens.
 * The head parser returns offsets into the caller's buffer, so nothing is copied.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"
#include "proxy_int.h"

/* RFC 9110 tchar: the characters of a token (method, field name). */
static int is_tchar(unsigned char ch)
{
	if (isalnum(ch))
		return 1;
	return ch && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* Field-value octets: visible ASCII, SP, HTAB and obs-text (>= 0x80). */
static int is_vchar_or_ws(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

int px_token_eq(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	return alen == n && strncasecmp(a, lit, n) == 0;
}

/*
 * Find the end of the head: the first CRLFCRLF, scanning from @p from (0, or
 * the start of a line an earlier call could not finish). Checks line endings
 * and line length on the way. @return head length, 0 if incomplete (then
 * *resume is the start of the unfinished line), or -errno.
 */
static int scan_head(const char *b, size_t len, size_t from, uint32_t max_line, size_t *resume)
{
	size_t line_start = from, end = len;
	for (size_t i = from; i < len; i++) {
		char ch = b[i];
		if (ch == '\n')
			return -EBADMSG; /* LF not preceded by CR (CR handled below) */
		if (ch != '\r') {
			if (i - line_start >= max_line)
				return -E2BIG;
			continue;
		}
		if (i + 1 >= len) {
			end = i; /* need the LF; the CR is not part of the line */
			break;
		}
		if (b[i + 1] != '\n')
			return -EBADMSG; /* bare CR */
		if (i == line_start)     /* empty line: end of head */
			return line_start == 0 ? -EBADMSG : (int)(i + 2);
		line_start = i + 2;
		i++;
	}
	/* the unfinished line: over the limit only once it is longer than a
	 * finished line may be, so how TCP split the bytes never changes the answer */
	if (end - line_start > max_line)
		return -E2BIG;
	*resume = line_start;
	return 0;
}

static int find_head_end(const char *b, size_t len, uint32_t max_line)
{
	size_t resume;
	return scan_head(b, len, 0, max_line, &resume);
}

int px_head_scan(const char *buf, size_t len, uint32_t *from, uint32_t max_line)
{
	size_t resume = *from <= len ? *from : 0;
	if (max_line < 16)
		max_line = 16; /* as proxy_parse_head */
	if (len > (1u << 30))
		len = 1u << 30;
	int r = scan_head(buf, len, resume, max_line, &resume);
	if (r == 0)
		*from = (uint32_t)resume;
	return r;
}

/* "HTTP/1.0" or "HTTP/1.1" at p (8 bytes). @return minor version or -1. */
static int parse_version(const char *p, size_t n)
{
	if (n != 8 || memcmp(p, "HTTP/1.", 7) != 0)
		return -1;
	if (p[7] == '0' || p[7] == '1')
		return p[7] - '0';
	return -1;
}

static int parse_request_line(const char *b, size_t n, struct proxy_head *h)
{
	size_t i = 0;
	while (i < n && is_tchar((unsigned char)b[i]))
		i++;
	if (i == 0 || i >= n || b[i] != ' ')
		return -EBADMSG;
	h->method_off = 0;
	h->method_len = (uint32_t)i;
	size_t t = ++i;
	while (i < n && (unsigned char)b[i] > 0x20 && (unsigned char)b[i] < 0x7f)
		i++;
	if (i == t || i >= n || b[i] != ' ')
		return -EBADMSG;
	h->target_off = (uint32_t)t;
	h->target_len = (uint32_t)(i - t);
	i++;
	h->version_minor = parse_version(b + i, n - i);
	return h->version_minor < 0 ? -EBADMSG : 0;
}

static int parse_status_line(const char *b, size_t n, struct proxy_head *h)
{
	if (n < 12 || b[8] != ' ')
		return -EBADMSG;
	h->version_minor = parse_version(b, 8);
	if (h->version_minor < 0)
		return -EBADMSG;
	if (!isdigit((unsigned char)b[9]) || !isdigit((unsigned char)b[10]) ||
	    !isdigit((unsigned char)b[11]))
		return -EBADMSG;
	h->status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
	if (h->status < 100)
		return -EBADMSG;
	if (n > 12) { /* SP reason-phrase */
		if (b[12] != ' ')
			return -EBADMSG;
		for (size_t i = 13; i < n; i++)
			if (!is_vchar_or_ws((unsigned char)b[i]))
				return -EBADMSG;
	}
	return 0;
}

/* One "name: value" line [b, b+n) at absolute offset off. */
static int parse_field(const char *base, uint32_t off, size_t n, struct proxy_hdr *f)
{
	const char *b = base + off;
	size_t i = 0;
	if (n == 0 || b[0] == ' ' || b[0] == '\t')
		return -EBADMSG; /* obs-fold or empty */
	while (i < n && is_tchar((unsigned char)b[i]))
		i++;
	if (i == 0 || i >= n || b[i] != ':')
		return -EBADMSG; /* no colon, or whitespace/garbage before it */
	f->name_off = off;
	f->name_len = (uint32_t)i;
	i++;
	while (i < n && (b[i] == ' ' || b[i] == '\t'))
		i++;
	size_t end = n;
	while (end > i && (b[end - 1] == ' ' || b[end - 1] == '\t'))
		end--;
	for (size_t k = i; k < end; k++)
		if (!is_vchar_or_ws((unsigned char)b[k]))
			return -EBADMSG;
	f->value_off = off + (uint32_t)i;
	f->value_len = (uint32_t)(end - i);
	return 0;
}

/* Content-Length: 1*DIGIT, at most 18 digits (fits int64). */
static int parse_content_length(const char *v, size_t n, int64_t *out)
{
	if (n == 0 || n > 18)
		return -EBADMSG;
	int64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return -EBADMSG;
		x = x * 10 + (v[i] - '0');
	}
	*out = x;
	return 0;
}

/*
 * Walk a comma-separated token list; call fn(token, len, arg) for each
 * non-empty element. @return -EBADMSG if an element is not a token.
 */
typedef int (*tok_fn)(const char *t, size_t n, void *arg);
static int each_token(const char *v, size_t n, tok_fn fn, void *arg)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t' && v[i] != ';')
			i++;
		if (i > s) {
			for (size_t k = s; k < i; k++)
				if (!is_tchar((unsigned char)v[k]))
					return -EBADMSG;
			int r = fn(v + s, i - s, arg);
			if (r < 0)
				return r;
		}
		/* transfer-coding parameters (";q=..") are skipped up to the next comma */
		while (i < n && v[i] != ',')
			i++;
	}
	return 0;
}

struct te_state {
	int count;      /* codings seen */
	int chunked_at; /* index of "chunked", -1 */
};

static int te_tok(const char *t, size_t n, void *arg)
{
	struct te_state *s = arg;
	if (px_token_eq(t, n, "chunked")) {
		if (s->chunked_at >= 0)
			return -EPROTO; /* chunked twice */
		s->chunked_at = s->count;
	}
	s->count++;
	return 0;
}

static int conn_tok(const char *t, size_t n, void *arg)
{
	int *flags = arg;
	if (px_token_eq(t, n, "close"))
		*flags |= 1;
	else if (px_token_eq(t, n, "keep-alive"))
		*flags |= 2;
	return 0;
}

/* Derive framing and connection flags from the fields. */
static int derive_framing(const char *b, struct proxy_head *h)
{
	struct te_state te = { 0, -1 };
	int cl_seen = 0, conn = 0, hosts = 0, te_seen = 0;
	h->content_length = -1;
	for (uint32_t i = 0; i < h->n_headers; i++) {
		const struct proxy_hdr *f = &h->headers[i];
		const char *name = b + f->name_off, *val = b + f->value_off;
		if (px_token_eq(name, f->name_len, "content-length")) {
			if (cl_seen++)
				return -EPROTO; /* duplicate Content-Length */
			if (parse_content_length(val, f->value_len, &h->content_length) < 0)
				return -EBADMSG;
		} else if (px_token_eq(name, f->name_len, "transfer-encoding")) {
			te_seen = 1;
			/* no coding with parameters: "chunked;x=1" is not chunked to
			 * every upstream, and the bytes are forwarded as they came */
			if (memchr(val, ';', f->value_len))
				return -EPROTO;
			int r = each_token(val, f->value_len, te_tok, &te);
			if (r < 0)
				return r;
		} else if (px_token_eq(name, f->name_len, "connection")) {
			if (each_token(val, f->value_len, conn_tok, &conn) < 0)
				return -EBADMSG;
		} else if (px_token_eq(name, f->name_len, "host")) {
			hosts++;
		} else if (px_token_eq(name, f->name_len, "expect")) {
			if (px_token_eq(val, f->value_len, "100-continue"))
				h->expect_continue = 1;
		}
	}
	if (!h->is_response && hosts > 1)
		return -EBADMSG;
	if (te_seen) {
		if (cl_seen)
			return -EPROTO; /* CL + TE: ambiguous */
		if (te.count == 0 || te.chunked_at != te.count - 1)
			return -EPROTO; /* last coding must be chunked */
		if (!h->is_response && h->version_minor == 0)
			return -EPROTO; /* TE in HTTP/1.0 request */
		h->chunked = 1;
	}
	h->conn_close = (conn & 1) || (h->version_minor == 0 && !(conn & 2));
	return 0;
}

int proxy_parse_head(const char *buf, size_t len, int is_response, uint32_t max_headers,
		     uint32_t max_line, struct proxy_head *out)
{
	if (!buf || !out)
		return -EINVAL;
	if (max_headers > PROXY_MAX_HEADERS)
		max_headers = PROXY_MAX_HEADERS;
	if (max_line < 16)
		max_line = 16;
	/* the head length must fit the offsets' int return */
	if (len > (1u << 30))
		len = 1u << 30;
	int end = find_head_end(buf, len, max_line);
	if (end <= 0)
		return end;

	memset(out, 0, sizeof(*out));
	out->is_response = is_response;
	out->head_len = (uint32_t)end;
	/* 1. start line */
	const char *eol = memchr(buf, '\r', (size_t)end);
	size_t n = (size_t)(eol - buf);
	int r = is_response ? parse_status_line(buf, n, out) : parse_request_line(buf, n, out);
	if (r < 0)
		return r;
	/* 2. fields, one per line until the empty line */
	size_t pos = n + 2;
	while (pos < (size_t)end - 2) {
		const char *e = memchr(buf + pos, '\r', (size_t)end - pos);
		size_t ln = (size_t)(e - (buf + pos));
		if (out->n_headers >= max_headers)
			return -E2BIG;
		r = parse_field(buf, (uint32_t)pos, ln, &out->headers[out->n_headers]);
		if (r < 0)
			return r;
		out->n_headers++;
		pos += ln + 2;
	}
	/* 3. framing */
	r = derive_framing(buf, out);
	return r < 0 ? r : end;
}

/* ---- chunked decoder ---------------------------------------------------- */

enum {
	CK_SIZE = 0,     /* hex digits of the chunk size */
	CK_EXT,          /* ";ext" up to CR */
	CK_SIZE_LF,      /* LF after the size line */
	CK_DATA,         /* chunk data */
	CK_DATA_CR,      /* CR after data */
	CK_DATA_LF,      /* LF after data */
	CK_TRAILER,      /* start of a trailer line (or the final CRLF) */
	CK_TRAILER_LN,   /* inside a trailer line */
	CK_TRAILER_LF,   /* LF after a trailer line */
	CK_FINAL_LF,     /* LF of the final empty line */
	CK_TRAILER_NAME, /* field name of a trailer line, up to its colon */
};

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (unsigned char)tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* One framing byte (not chunk data). @return 0 or -errno. */
static int chunk_step(struct proxy_chunked *c, unsigned char ch, uint32_t max_line)
{
	if (++c->line_len > max_line)
		return -E2BIG;
	switch (c->state) {
	case CK_SIZE: {
		int v = hexval(ch);
		if (v >= 0) {
			if (c->line_len > 15)
				return -E2BIG; /* > 2^56: nobody sends that */
			c->remaining = c->remaining * 16 + (uint64_t)v;
			return 0;
		}
		if (c->line_len == 1)
			return -EBADMSG; /* no digits */
		if (ch == ';') {
			c->state = CK_EXT;
			return 0;
		}
		if (ch == '\r') {
			c->state = CK_SIZE_LF;
			return 0;
		}
		return -EBADMSG;
	}
	case CK_EXT:
		if (ch == '\r')
			c->state = CK_SIZE_LF;
		else if (!is_vchar_or_ws(ch))
			return -EBADMSG;
		return 0;
	case CK_SIZE_LF:
		if (ch != '\n')
			return -EBADMSG;
		c->line_len = 0;
		c->state = c->remaining ? CK_DATA : CK_TRAILER;
		return 0;
	case CK_DATA_CR:
		if (ch != '\r')
			return -EBADMSG;
		c->state = CK_DATA_LF;
		return 0;
	case CK_DATA_LF:
		if (ch != '\n')
			return -EBADMSG;
		c->state = CK_SIZE;
		c->line_len = 0;
		c->remaining = 0;
		return 0;
	case CK_TRAILER:
		if (ch == '\r') {
			c->state = CK_FINAL_LF;
			return 0;
		}
		if (!is_tchar(ch))
			return -EBADMSG;
		c->state = CK_TRAILER_NAME;
		return 0;
	case CK_TRAILER_NAME: /* "name:" like a header field, no space before the colon */
		if (ch == ':')
			c->state = CK_TRAILER_LN;
		else if (!is_tchar(ch))
			return -EBADMSG;
		return 0;
	case CK_TRAILER_LN:
		if (ch == '\r')
			c->state = CK_TRAILER_LF;
		else if (!is_vchar_or_ws(ch))
			return -EBADMSG;
		return 0;
	case CK_TRAILER_LF:
		if (ch != '\n')
			return -EBADMSG;
		c->line_len = 0;
		c->state = CK_TRAILER;
		return 0;
	case CK_FINAL_LF:
		if (ch != '\n')
			return -EBADMSG;
		c->done = 1;
		return 0;
	}
	return -EBADMSG;
}

long proxy_chunked_feed(struct proxy_chunked *c, const char *buf, size_t len, uint32_t max_line)
{
	size_t i = 0;
	if (!c || (!buf && len))
		return -EINVAL;
	while (i < len && !c->done) {
		if (c->state == CK_DATA) {
			uint64_t take = len - i;
			if (take > c->remaining)
				take = c->remaining;
			i += (size_t)take;
			c->remaining -= take;
			if (c->remaining == 0) {
				c->state = CK_DATA_CR;
				c->line_len = 0;
			}
			continue;
		}
		int r = chunk_step(c, (unsigned char)buf[i], max_line);
		if (r < 0)
			return r;
		i++;
	}
	return (long)i;
}
