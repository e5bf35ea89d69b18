/*
 * test_parsers.c — the hostile-input parsers of 05-proxy, one behaviour per test.
 *
 * Layer 05 (proxy), tests only. Drives proxy_parse_head, proxy_chunked_feed,
 * proxy_parse_sni and proxy_parse_dns directly (no sockets), with well-formed,
 * split, truncated and hostile inputs.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "proxy.h"

#define LIM_H 100
#define LIM_L 8192

static int head(const char *s, struct proxy_head *h)
{
	return proxy_parse_head(s, strlen(s), 0, LIM_H, LIM_L, h);
}

START_TEST(test_head_parses_absolute_form_request)
{
	struct proxy_head h;
	const char *s = "GET http://up.test:8080/a?b=1 HTTP/1.1\r\nHost: up.test:8080\r\n"
			"Accept:  */*  \r\n\r\nBODY";
	int r = head(s, &h);
	ck_assert_int_eq(r, (int)(strstr(s, "BODY") - s));
	ck_assert_int_eq(h.method_len, 3);
	ck_assert(strncmp(s + h.target_off, "http://up.test:8080/a?b=1", h.target_len) == 0);
	ck_assert_int_eq(h.version_minor, 1);
	ck_assert_int_eq(h.n_headers, 2);
	ck_assert(strncmp(s + h.headers[1].value_off, "*/*", h.headers[1].value_len) == 0);
	ck_assert_int_eq(h.content_length, -1);
	ck_assert_int_eq(h.chunked, 0);
	ck_assert_int_eq(h.conn_close, 0);
}
END_TEST

START_TEST(test_head_needs_more_bytes_until_crlfcrlf)
{
	struct proxy_head h;
	const char *full = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	for (size_t n = 0; n < strlen(full); n++)
		ck_assert_int_eq(proxy_parse_head(full, n, 0, LIM_H, LIM_L, &h), 0);
	ck_assert_int_eq(head(full, &h), (int)strlen(full));
}
END_TEST

START_TEST(test_head_rejects_bare_lf_and_bare_cr)
{
	struct proxy_head h;
	ck_assert_int_eq(head("GET / HTTP/1.1\nHost: a\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET / HTTP/1.1\r\nHost: a\rX\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("\r\nGET / HTTP/1.1\r\n\r\n", &h), -EBADMSG);
}
END_TEST

START_TEST(test_head_rejects_obs_fold_and_space_before_colon)
{
	struct proxy_head h;
	ck_assert_int_eq(head("GET / HTTP/1.1\r\nX-A: 1\r\n continued\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET / HTTP/1.1\r\nHost : a\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET / HTTP/1.1\r\nNoColon\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", &h), -EBADMSG);
}
END_TEST

START_TEST(test_head_rejects_bad_request_lines)
{
	struct proxy_head h;
	ck_assert_int_eq(head("GET  / HTTP/1.1\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET / HTTP/2.0\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("G(T / HTTP/1.1\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET /\x7f HTTP/1.1\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("GET / HTTP/1.1 \r\n\r\n", &h), -EBADMSG);
}
END_TEST

START_TEST(test_head_rejects_content_length_with_transfer_encoding)
{
	struct proxy_head h;
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nContent-Length: 3\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n",
			      &h),
			 -EPROTO);
}
END_TEST

START_TEST(test_head_rejects_duplicate_content_length)
{
	struct proxy_head h;
	ck_assert_int_eq(
	    head("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", &h), -EPROTO);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nContent-Length: +3\r\n\r\n", &h), -EBADMSG);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", &h),
			 -EBADMSG);
}
END_TEST

START_TEST(test_head_requires_chunked_as_last_transfer_coding)
{
	struct proxy_head h;
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", &h), -EPROTO);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", &h),
			 -EPROTO);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n",
			      &h),
			 -EPROTO);
	ck_assert_int_gt(head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n", &h),
			 0);
	ck_assert_int_eq(h.chunked, 1);
	ck_assert_int_eq(head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", &h),
			 -EPROTO);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", &h),
			 -EPROTO);
	ck_assert_int_eq(head("POST / HTTP/1.1\r\nTransfer-Encoding: \r\n\r\n", &h), -EPROTO);
}
END_TEST

START_TEST(test_head_rejects_two_host_fields)
{
	struct proxy_head h;
	ck_assert_int_eq(head("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &h), -EBADMSG);
}
END_TEST

START_TEST(test_head_enforces_line_and_count_limits)
{
	struct proxy_head h;
	char big[400];
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	char req[600];
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nX: %s\r\n\r\n", big);
	ck_assert_int_eq(proxy_parse_head(req, strlen(req), 0, LIM_H, 128, &h), -E2BIG);
	/* an over-long line is refused before its end arrives */
	ck_assert_int_eq(proxy_parse_head(req, 200, 0, LIM_H, 128, &h), -E2BIG);
	/* a line of exactly the limit is fine, however the bytes were split */
	char edge[400];
	int pre = snprintf(edge, sizeof(edge), "GET / HTTP/1.1\r\nX: ");
	memset(edge + pre, 'b', 128 - 3);
	strcpy(edge + pre + 128 - 3, "\r\n\r\n");
	size_t cr = strlen(edge) - 4;
	for (size_t n = cr - 1; n <= cr + 3; n++)
		ck_assert_int_eq(proxy_parse_head(edge, n, 0, LIM_H, 128, &h), 0);
	ck_assert_int_eq(proxy_parse_head(edge, strlen(edge), 0, LIM_H, 128, &h),
			 (int)strlen(edge));
	edge[cr] = 'b'; /* one more byte on that line is too long, however split */
	ck_assert_int_eq(proxy_parse_head(edge, cr + 1, 0, LIM_H, 128, &h), -E2BIG);
	ck_assert_int_eq(proxy_parse_head(edge, strlen(edge), 0, LIM_H, 128, &h), -E2BIG);
	char many[2000] = "GET / HTTP/1.1\r\n";
	for (int i = 0; i < 20; i++)
		strcat(many, "A: b\r\n");
	strcat(many, "\r\n");
	ck_assert_int_eq(proxy_parse_head(many, strlen(many), 0, 10, LIM_L, &h), -E2BIG);
	ck_assert_int_gt(proxy_parse_head(many, strlen(many), 0, 20, LIM_L, &h), 0);
}
END_TEST

START_TEST(test_head_connection_close_and_http10_defaults)
{
	struct proxy_head h;
	ck_assert_int_gt(head("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", &h), 0);
	ck_assert_int_eq(h.conn_close, 1);
	ck_assert_int_gt(head("GET / HTTP/1.0\r\n\r\n", &h), 0);
	ck_assert_int_eq(h.conn_close, 1);
	ck_assert_int_gt(head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &h), 0);
	ck_assert_int_eq(h.conn_close, 0);
}
END_TEST

START_TEST(test_head_parses_status_lines)
{
	struct proxy_head h;
	const char *s = "HTTP/1.1 204 No Content\r\nX: y\r\n\r\n";
	ck_assert_int_eq(proxy_parse_head(s, strlen(s), 1, LIM_H, LIM_L, &h), (int)strlen(s));
	ck_assert_int_eq(h.status, 204);
	s = "HTTP/1.1 200\r\nContent-Length: 5\r\n\r\n";
	ck_assert_int_gt(proxy_parse_head(s, strlen(s), 1, LIM_H, LIM_L, &h), 0);
	ck_assert_int_eq(h.content_length, 5);
	s = "HTTP/1.1 2x0 OK\r\n\r\n";
	ck_assert_int_eq(proxy_parse_head(s, strlen(s), 1, LIM_H, LIM_L, &h), -EBADMSG);
	s = "HTTP/1.1 099 Low\r\n\r\n";
	ck_assert_int_eq(proxy_parse_head(s, strlen(s), 1, LIM_H, LIM_L, &h), -EBADMSG);
}
END_TEST

/* ---- chunked ---- */

static long feed_all(struct proxy_chunked *c, const char *s, size_t n, int bytewise)
{
	long total = 0;
	if (!bytewise)
		return proxy_chunked_feed(c, s, n, 256);
	for (size_t i = 0; i < n && !c->done; i++) {
		long r = proxy_chunked_feed(c, s + i, 1, 256);
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}

START_TEST(test_chunked_finds_the_end_in_one_piece_or_byte_by_byte)
{
	const char *body = "5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\nTrailer: x\r\n\r\nNEXT";
	size_t end = (size_t)(strstr(body, "NEXT") - body);
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct proxy_chunked c = { 0 };
		long r = feed_all(&c, body, strlen(body), bytewise);
		ck_assert_int_eq(r, (long)end);
		ck_assert_int_eq(c.done, 1);
	}
}
END_TEST

START_TEST(test_chunked_handles_big_chunks_in_pieces)
{
	struct proxy_chunked c = { 0 };
	ck_assert_int_eq(proxy_chunked_feed(&c, "10000\r\n", 7, 256), 7);
	static char data[0x10000];
	ck_assert_int_eq(proxy_chunked_feed(&c, data, 0x8000, 256), 0x8000);
	ck_assert_int_eq(proxy_chunked_feed(&c, data, 0x8000, 256), 0x8000);
	ck_assert_int_eq(c.done, 0);
	ck_assert_int_eq(proxy_chunked_feed(&c, "\r\n0\r\n\r\n", 7, 256), 7);
	ck_assert_int_eq(c.done, 1);
}
END_TEST

START_TEST(test_chunked_rejects_bad_framing)
{
	const char *bad[] = {
		"x\r\n",                /* no hex digits */
		"5\r\nhelloXX",         /* data not followed by CRLF */
		"5\nhello\r\n",         /* bare LF after the size */
		"-1\r\n",               /* sign */
		" 5\r\n",               /* leading space */
		"0\r\nNoColon\r\n\r\n", /* a trailer line that is not a field */
		"0\r\nX : y\r\n\r\n",   /* space before a trailer's colon */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct proxy_chunked c = { 0 };
		ck_assert_msg(proxy_chunked_feed(&c, bad[i], strlen(bad[i]), 256) < 0, "case %zu",
			      i);
	}
	struct proxy_chunked c = { 0 };
	ck_assert_int_eq(proxy_chunked_feed(&c, "1234567890abcdef1\r\n", 19, 256), -E2BIG);
	struct proxy_chunked c2 = { 0 };
	char longext[300] = "5;";
	memset(longext + 2, 'a', 290);
	longext[292] = '\0';
	ck_assert_int_eq(proxy_chunked_feed(&c2, longext, strlen(longext), 256), -E2BIG);
}
END_TEST

/* ---- SNI ---- */

/* Build a minimal ClientHello with the given SNI (NULL: none). */
static size_t make_hello(uint8_t *out, const char *sni, int split_at)
{
	uint8_t body[600];
	size_t n = 0;
	body[n++] = 3, body[n++] = 3;
	memset(body + n, 0x11, 32), n += 32;
	body[n++] = 0;                                                    /* session id */
	body[n++] = 0, body[n++] = 2, body[n++] = 0x13, body[n++] = 0x01; /* suites */
	body[n++] = 1, body[n++] = 0;                                     /* compression */
	size_t ext_len_at = n;
	n += 2;
	/* a dummy extension first (supported_versions) */
	body[n++] = 0, body[n++] = 43, body[n++] = 0, body[n++] = 3, body[n++] = 2, body[n++] = 3,
	body[n++] = 4;
	if (sni) {
		size_t l = strlen(sni);
		body[n++] = 0, body[n++] = 0;
		body[n++] = (uint8_t)((l + 5) >> 8), body[n++] = (uint8_t)(l + 5);
		body[n++] = (uint8_t)((l + 3) >> 8), body[n++] = (uint8_t)(l + 3);
		body[n++] = 0;
		body[n++] = (uint8_t)(l >> 8), body[n++] = (uint8_t)l;
		memcpy(body + n, sni, l), n += l;
	}
	size_t el = n - ext_len_at - 2;
	body[ext_len_at] = (uint8_t)(el >> 8), body[ext_len_at + 1] = (uint8_t)el;
	/* handshake header */
	uint8_t hs[700];
	hs[0] = 1, hs[1] = 0, hs[2] = (uint8_t)(n >> 8), hs[3] = (uint8_t)n;
	memcpy(hs + 4, body, n);
	size_t hl = n + 4, o = 0;
	size_t cut = split_at > 0 && (size_t)split_at < hl ? (size_t)split_at : hl;
	size_t parts[2] = { cut, hl - cut };
	size_t off = 0;
	for (int i = 0; i < 2; i++) {
		if (!parts[i])
			continue;
		out[o++] = 22, out[o++] = 3, out[o++] = 1;
		out[o++] = (uint8_t)(parts[i] >> 8), out[o++] = (uint8_t)parts[i];
		memcpy(out + o, hs + off, parts[i]);
		o += parts[i], off += parts[i];
	}
	return o;
}

START_TEST(test_sni_found_in_client_hello)
{
	uint8_t buf[1400];
	char host[256];
	size_t n = make_hello(buf, "Sni.Test", 0);
	ck_assert_int_eq(proxy_parse_sni(buf, n, host, sizeof(host)), 8);
	ck_assert_str_eq(host, "sni.test");
	/* every prefix is "need more", never an error */
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(proxy_parse_sni(buf, k, host, sizeof(host)), 0);
}
END_TEST

START_TEST(test_sni_found_across_two_records)
{
	uint8_t buf[1400];
	char host[256];
	size_t n = make_hello(buf, "a.example", 20);
	ck_assert_int_eq(proxy_parse_sni(buf, n, host, sizeof(host)), 9);
	ck_assert_str_eq(host, "a.example");
}
END_TEST

START_TEST(test_sni_missing_or_hostile_is_refused)
{
	uint8_t buf[1400];
	char host[256];
	size_t n = make_hello(buf, NULL, 0);
	ck_assert_int_eq(proxy_parse_sni(buf, n, host, sizeof(host)), -ENOENT);
	n = make_hello(buf, "bad name", 0);
	ck_assert_int_eq(proxy_parse_sni(buf, n, host, sizeof(host)), -EBADMSG);
	n = make_hello(buf, "a..b", 0);
	ck_assert_int_eq(proxy_parse_sni(buf, n, host, sizeof(host)), -EBADMSG);
	const uint8_t http[] = "GET / HTTP/1.1\r\n\r\n";
	ck_assert_int_eq(proxy_parse_sni(http, sizeof(http) - 1, host, sizeof(host)), -EBADMSG);
	/* extensions length that overruns the hello */
	n = make_hello(buf, "x.test", 0);
	buf[5 + 4 + 2 + 32 + 1 + 4 + 2] ^= 0x40;
	ck_assert_int_eq(proxy_parse_sni(buf, n, host, sizeof(host)), -EBADMSG);
}
END_TEST

/* ---- DNS ---- */

static size_t make_query(uint8_t *q, uint16_t id, const char *name, uint16_t qtype)
{
	size_t n = 0;
	q[n++] = (uint8_t)(id >> 8), q[n++] = (uint8_t)id;
	q[n++] = 0x01, q[n++] = 0x00; /* RD */
	q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0,
	q[n++] = 0;
	const char *p = name;
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0;
	q[n++] = (uint8_t)(qtype >> 8), q[n++] = (uint8_t)qtype;
	q[n++] = 0, q[n++] = 1;
	return n;
}

START_TEST(test_dns_parses_a_query)
{
	uint8_t q[300];
	struct proxy_dns_query d;
	size_t n = make_query(q, 0x1234, "Up.Test", 1);
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), 0);
	ck_assert_int_eq(d.id, 0x1234);
	ck_assert_str_eq(d.name, "up.test");
	ck_assert_int_eq(d.qtype, 1);
	ck_assert_int_eq(d.question_len, n);
}
END_TEST

START_TEST(test_dns_accepts_one_edns_opt_record)
{
	uint8_t q[300];
	struct proxy_dns_query d;
	size_t n = make_query(q, 1, "a.b", 28);
	q[11] = 1; /* ARCOUNT */
	const uint8_t opt[] = { 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(q + n, opt, sizeof(opt));
	ck_assert_int_eq(proxy_parse_dns(q, n + sizeof(opt), &d), 0);
	ck_assert_int_eq(d.has_opt, 1);
	ck_assert_int_eq(d.qtype, 28);
}
END_TEST

START_TEST(test_dns_rejects_hostile_queries)
{
	uint8_t q[300];
	struct proxy_dns_query d;
	size_t n = make_query(q, 1, "a.test", 1);
	/* trailing byte */
	ck_assert_int_eq(proxy_parse_dns(q, n + 1, &d), -EBADMSG);
	/* a response */
	q[2] |= 0x80;
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -EBADMSG);
	q[2] &= 0x7f;
	/* two questions */
	q[5] = 2;
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -EBADMSG);
	q[5] = 1;
	/* compression pointer in the name */
	q[12] = 0xc0;
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -EBADMSG);
	/* label running past the end */
	n = make_query(q, 1, "a.test", 1);
	q[12] = 60;
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -EBADMSG);
	/* bad characters */
	n = make_query(q, 1, "a\x01.test", 1);
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -EBADMSG);
	/* short */
	ck_assert_int_eq(proxy_parse_dns(q, 5, &d), -EBADMSG);
	/* other opcode: well-formed but unsupported */
	n = make_query(q, 1, "a.test", 1);
	q[2] |= 0x10; /* opcode 2 */
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -ENOTSUP);
}
END_TEST

START_TEST(test_dns_rejects_names_over_253_characters)
{
	uint8_t q[600];
	struct proxy_dns_query d;
	char name[300] = "";
	for (int i = 0; i < 5; i++) {
		char label[64];
		memset(label, 'a' + i, 50);
		label[50] = '\0';
		strcat(name, label);
		strcat(name, ".");
	}
	strcat(name, "x");
	size_t n = make_query(q, 1, name, 1);
	ck_assert_int_eq(proxy_parse_dns(q, n, &d), -EBADMSG);
}
END_TEST

TCase *tcase_parsers(void)
{
	TCase *tc = tcase_create("parsers");
	tcase_add_test(tc, test_head_parses_absolute_form_request);
	tcase_add_test(tc, test_head_needs_more_bytes_until_crlfcrlf);
	tcase_add_test(tc, test_head_rejects_bare_lf_and_bare_cr);
	tcase_add_test(tc, test_head_rejects_obs_fold_and_space_before_colon);
	tcase_add_test(tc, test_head_rejects_bad_request_lines);
	tcase_add_test(tc, test_head_rejects_content_length_with_transfer_encoding);
	tcase_add_test(tc, test_head_rejects_duplicate_content_length);
	tcase_add_test(tc, test_head_requires_chunked_as_last_transfer_coding);
	tcase_add_test(tc, test_head_rejects_two_host_fields);
	tcase_add_test(tc, test_head_enforces_line_and_count_limits);
	tcase_add_test(tc, test_head_connection_close_and_http10_defaults);
	tcase_add_test(tc, test_head_parses_status_lines);
	tcase_add_test(tc, test_chunked_finds_the_end_in_one_piece_or_byte_by_byte);
	tcase_add_test(tc, test_chunked_handles_big_chunks_in_pieces);
	tcase_add_test(tc, test_chunked_rejects_bad_framing);
	tcase_add_test(tc, test_sni_found_in_client_hello);
	tcase_add_test(tc, test_sni_found_across_two_records);
	tcase_add_test(tc, test_sni_missing_or_hostile_is_refused);
	tcase_add_test(tc, test_dns_parses_a_query);
	tcase_add_test(tc, test_dns_accepts_one_edns_opt_record);
	tcase_add_test(tc, test_dns_rejects_hostile_queries);
	tcase_add_test(tc, test_dns_rejects_names_over_253_characters);
	return tc;
}
