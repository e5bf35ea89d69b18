/*
 * dns_parse.c — strict DNS query parser and answer builder for the pod DNS.
 *
 * Layer 05 (proxy). Builds on libc only. Used by dns.c (the UDP/TCP server on
 * the runner end of the veth), the unit tests and the libFuzzer target.
 *
 * A query from the pod is hostile input. We accept only what a stub resolver
 * sends (RFC 1035 §4.1): a 12-byte header with QR=0, opcode QUERY, QDCOUNT=1,
 * ANCOUNT=NSCOUNT=0, ARCOUNT<=1 (an EDNS OPT record, RFC 6891), one question
 * whose name uses no compression, and nothing after the records.
 *
 *   header:  id(2) flags(2) qd(2) an(2) ns(2) ar(2)
 *   question: labels{len(1) bytes}* 0  qtype(2) qclass(2)
 *   OPT:     name(1)=0 type(2)=41 class(2) ttl(4) rdlen(2) rdata
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "proxy.h"
#include "proxy_int.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Read the question name at *pos into out (dotted, lower-case). */
static int parse_qname(const uint8_t *b, size_t len, size_t *pos, char *out)
{
	size_t p = *pos, o = 0;
	while (1) {
		if (p >= len)
			return -EBADMSG;
		uint8_t l = b[p++];
		if (l == 0)
			break;
		if (l > 63)
			return -EBADMSG; /* compression pointer or reserved label type */
		if (p + l > len || o + l + 1 > 254)
			return -EBADMSG;
		if (o)
			out[o++] = '.';
		for (uint8_t i = 0; i < l; i++) {
			int ch = b[p + i];
			if (!(isalnum(ch) || ch == '-' || ch == '_'))
				return -EBADMSG;
			out[o++] = (char)tolower(ch);
		}
		p += l;
	}
	if (o > 253)
		return -EBADMSG;
	out[o] = '\0';
	*pos = p;
	return 0;
}

/* An EDNS OPT pseudo-record at *pos (root name, type 41). */
static int parse_opt(const uint8_t *b, size_t len, size_t *pos)
{
	size_t p = *pos;
	if (len - p < 11 || b[p] != 0 || get16(b + p + 1) != 41)
		return -EBADMSG;
	size_t rdlen = get16(b + p + 9);
	if (len - p - 11 < rdlen)
		return -EBADMSG;
	*pos = p + 11 + rdlen;
	return 0;
}

int proxy_parse_dns(const uint8_t *buf, size_t len, struct proxy_dns_query *out)
{
	if (!buf || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < 2)
		return -EBADMSG;
	out->id = get16(buf);
	if (len < 12 || len > PX_DNS_MAX_MSG)
		return -EBADMSG;
	out->flags = get16(buf + 2);
	if (out->flags & 0x8000)
		return -EBADMSG; /* a response, not a query */
	if (get16(buf + 4) != 1 || get16(buf + 6) != 0 || get16(buf + 8) != 0 ||
	    get16(buf + 10) > 1)
		return -EBADMSG;
	size_t pos = 12;
	if (parse_qname(buf, len, &pos, out->name) < 0)
		return -EBADMSG;
	if (len - pos < 4)
		return -EBADMSG;
	out->qtype = get16(buf + pos);
	out->qclass = get16(buf + pos + 2);
	pos += 4;
	out->question_len = (uint32_t)pos;
	if (get16(buf + 10) == 1) {
		if (parse_opt(buf, len, &pos) < 0)
			return -EBADMSG;
		out->has_opt = 1;
	}
	if (pos != len)
		return -EBADMSG; /* trailing bytes */
	if (((out->flags >> 11) & 0xf) != 0)
		return -ENOTSUP; /* opcode other than QUERY */
	if (out->qclass != 1 && out->qclass != 255)
		return -ENOTSUP;
	return 0;
}

size_t px_dns_answer(const uint8_t *query, const struct proxy_dns_query *q, int rcode,
		     const struct in_addr *a, uint8_t *out, size_t cap)
{
	/* header + question echoed from the validated query */
	size_t qlen = q->question_len ? q->question_len : 12;
	if (cap < qlen + 16 || qlen < 12)
		return 0;
	memcpy(out, query, qlen);
	uint16_t flags = 0x8000 | 0x0400 | (q->flags & 0x0100) | 0x0080 | (rcode & 0xf);
	flags |= q->flags & 0x7800; /* echo opcode */
	put16(out + 2, flags);
	put16(out + 4, q->question_len ? 1 : 0);
	put16(out + 6, a ? 1 : 0);
	put16(out + 8, 0);
	put16(out + 10, 0);
	size_t n = qlen;
	if (a) {
		put16(out + n, 0xc00c); /* pointer to the question name */
		put16(out + n + 2, 1);  /* A */
		put16(out + n + 4, 1);  /* IN */
		out[n + 6] = 0, out[n + 7] = 0, out[n + 8] = 0, out[n + 9] = PX_DNS_TTL;
		put16(out + n + 10, 4);
		memcpy(out + n + 12, &a->s_addr, 4);
		n += 16;
	}
	return n;
}

size_t px_dns_answer6(const uint8_t *query, const struct proxy_dns_query *q,
		      const struct in6_addr *a6, uint8_t *out, size_t cap)
{
	size_t n = px_dns_answer(query, q, 0, NULL, out, cap);
	if (n == 0 || cap < n + 28)
		return 0;
	put16(out + 6, 1);
	put16(out + n, 0xc00c); /* pointer to the question name */
	put16(out + n + 2, 28); /* AAAA */
	put16(out + n + 4, 1);  /* IN */
	out[n + 6] = 0, out[n + 7] = 0, out[n + 8] = 0, out[n + 9] = PX_DNS_TTL;
	put16(out + n + 10, 16);
	memcpy(out + n + 12, a6->s6_addr, 16);
	return n + 28;
}
