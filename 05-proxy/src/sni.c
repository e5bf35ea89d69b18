/*
 * sni.c — find the server name (SNI) in a TLS ClientHello, without TLS.
 *
 * Layer 05 (proxy). Builds on libc only. Used by the transparent TLS listener
 * (proxy.c): a pod that ignores the proxy variables and connects to port 443
 * of the runner end is routed by the name in its ClientHello; the bytes are
 * then relayed untouched to the upstream (no TLS termination).
 *
 * Layout read here (RFC 8446 §4.1.2, RFC 6066 §3), all lengths big-endian:
 *
 *   record:     type(1)=22 version(2)=3.x length(2) fragment...   (repeated)
 *   handshake:  type(1)=1 length(3) body...   (may span several records)
 *   body:       version(2) random(32) sid_len(1) sid  suites_len(2) suites
 *               comp_len(1) comp  ext_len(2) { type(2) len(2) data }*
 *   SNI (0):    list_len(2) { name_type(1)=0 name_len(2) name }
 *
 * Every length is checked against what contains it; the extensions must fill
 * their block exactly. Input is hostile.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "proxy.h"
#include "proxy_int.h"

#define SNI_MAX_HELLO 16384u /* largest ClientHello body we assemble */

/* A bounds-checked reader over a byte range. */
struct rd {
	const uint8_t *p;
	size_t n;
};

static int rd_u8(struct rd *r, uint32_t *v)
{
	if (r->n < 1)
		return -1;
	*v = r->p[0];
	r->p++, r->n--;
	return 0;
}

static int rd_u16(struct rd *r, uint32_t *v)
{
	if (r->n < 2)
		return -1;
	*v = (uint32_t)r->p[0] << 8 | r->p[1];
	r->p += 2, r->n -= 2;
	return 0;
}

/* Take a sub-range of n bytes. */
static int rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->n < n)
		return -1;
	sub->p = r->p;
	sub->n = n;
	r->p += n, r->n -= n;
	return 0;
}

/*
 * Concatenate the handshake bytes of consecutive handshake records into hs.
 * @return bytes of handshake data gathered (>= 4 and complete), 0 if more
 * input is needed, -EBADMSG if the records are not a TLS handshake.
 */
static long gather_handshake(const uint8_t *buf, size_t len, uint8_t *hs, size_t cap)
{
	size_t pos = 0, got = 0, need = 0;
	while (1) {
		if (len - pos < 5)
			return 0;
		const uint8_t *h = buf + pos;
		size_t rlen = (size_t)h[3] << 8 | h[4];
		if (h[0] != 22 || h[1] != 3 || rlen == 0 || rlen > 16384 + 2048)
			return -EBADMSG;
		if (len - pos - 5 < rlen)
			return 0;
		size_t take = rlen;
		if (got + take > cap)
			take = cap - got;
		memcpy(hs + got, h + 5, take);
		got += take;
		pos += 5 + rlen;
		if (need == 0 && got >= 4) {
			if (hs[0] != 1)
				return -EBADMSG; /* not a ClientHello */
			need = 4 + ((size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3]);
			if (need > cap)
				return -EBADMSG;
		}
		if (need && got >= need)
			return (long)need;
	}
}

/* Validate and copy a host name: letters, digits, '-', '_', '.'; lower-case. */
static int copy_name(const uint8_t *p, size_t n, char *host, size_t cap)
{
	if (n == 0 || n > 253 || n + 1 > cap)
		return -EBADMSG;
	if (p[0] == '.' || p[n - 1] == '.')
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		int ch = p[i];
		if (!(isalnum(ch) || ch == '-' || ch == '_' || ch == '.'))
			return -EBADMSG;
		if (ch == '.' && p[i + 1] == '.')
			return -EBADMSG;
		host[i] = (char)tolower(ch);
	}
	host[n] = '\0';
	return (int)n;
}

static int parse_sni_ext(struct rd ext, char *host, size_t cap)
{
	uint32_t list_len, type, nlen;
	struct rd list, name;
	if (rd_u16(&ext, &list_len) || list_len != ext.n || rd_sub(&ext, list_len, &list))
		return -EBADMSG;
	if (rd_u8(&list, &type) || type != 0 || rd_u16(&list, &nlen) || rd_sub(&list, nlen, &name))
		return -EBADMSG;
	if (list.n != 0)
		return -EBADMSG; /* more than one name: ambiguous, refuse */
	return copy_name(name.p, name.n, host, cap);
}

/* Parse the ClientHello body (after the 4-byte handshake header). */
static int parse_hello(struct rd b, char *host, size_t cap)
{
	uint32_t v, n;
	struct rd skip, exts;
	if (rd_u16(&b, &v) || (v >> 8) != 3)
		return -EBADMSG;
	if (rd_sub(&b, 32, &skip))
		return -EBADMSG;
	if (rd_u8(&b, &n) || n > 32 || rd_sub(&b, n, &skip))
		return -EBADMSG;
	if (rd_u16(&b, &n) || n < 2 || (n & 1) || rd_sub(&b, n, &skip))
		return -EBADMSG;
	if (rd_u8(&b, &n) || n < 1 || rd_sub(&b, n, &skip))
		return -EBADMSG;
	if (b.n == 0)
		return -ENOENT; /* no extensions at all */
	if (rd_u16(&b, &n) || n != b.n || rd_sub(&b, n, &exts))
		return -EBADMSG;
	int found = -ENOENT;
	while (exts.n) {
		uint32_t type, elen;
		struct rd e;
		if (rd_u16(&exts, &type) || rd_u16(&exts, &elen) || rd_sub(&exts, elen, &e))
			return -EBADMSG;
		if (type != 0)
			continue;
		if (found != -ENOENT)
			return -EBADMSG; /* two SNI extensions */
		found = parse_sni_ext(e, host, cap);
		if (found < 0)
			return found;
	}
	return found;
}

int proxy_parse_sni(const uint8_t *buf, size_t len, char *host, size_t cap)
{
	uint8_t hs[SNI_MAX_HELLO + 4];
	if (!buf || !host || cap < 256)
		return -EINVAL;
	host[0] = '\0';
	long n = gather_handshake(buf, len, hs, sizeof(hs));
	if (n <= 0)
		return (int)n;
	struct rd body = { hs + 4, (size_t)n - 4 };
	return parse_hello(body, host, cap);
}
