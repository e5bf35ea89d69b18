/*
 * test_loopback.c — the proxy and pod DNS on the loopback, driven by raw sockets.
 *
 * Layer 05 (proxy), tests only. No namespaces, no root: the proxy listens on
 * 127.0.0.1 (ephemeral ports), an upstream server (tests/upstream.py) runs on
 * the loopback too, and each test writes exact bytes — well-formed or hostile —
 * and checks the exact answer, the events and the counters. Every test runs
 * in its own forked process (Check's default), so it gets a fresh proxy.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "podtest.h"
#include "proxy.h"

static int listen_on_loopback(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

struct world {
	struct evlog log;
	int slow_fd; /* listens, never accepts: an upstream that never answers */
	uint16_t slow_port, closed_port;
	enum proxy_resolver resolver;
	policy_t *pol;
	proxy_t *px;
	struct upstream up;
	uint16_t port[4];
};
static struct world W;

static void world_start(const struct proxy_limits *lim, const char *net_json)
{
	char pol[2048];
	enum proxy_resolver resolver = W.resolver;
	memset(&W, 0, sizeof(W));
	W.resolver = resolver;
	upstream_start(&W.up, "http", "U1");
	W.slow_fd = listen_on_loopback(&W.slow_port);
	close(listen_on_loopback(&W.closed_port)); /* a port nobody listens on */
	if (!net_json) {
		snprintf(pol, sizeof(pol),
			 "{\"default\":\"deny\",\"allow\":[\"up.test\",\"127.0.0.1:%u\","
			 "\"closed.test\",\"127.0.0.1:%u\",\"slow.test\",\"127.0.0.1:%u\","
			 "\"localhost:%u\"],"
			 "\"warn\":[\"warn.test\"],\"deny\":[\"bad.test\",\"up.test:9\"]}",
			 W.up.port, W.closed_port, W.slow_port, W.up.port);
		net_json = pol;
	}
	W.pol = mk_policy("{\"version\":1,\"net\":%s}", net_json);
	struct proxy_host hosts[] = {
		host_v4("up.test", 0, "127.0.0.1", W.up.port),
		host_v4("warn.test", 0, "127.0.0.1", W.up.port),
		host_v4("evil.test", 0, "10.0.0.5", 80),
		host_v4("meta.test", 0, "169.254.169.254", 80),
		host_v4("closed.test", 0, "127.0.0.1", W.closed_port),
		host_v4("slow.test", 0, "127.0.0.1", W.slow_port),
	};
	struct proxy_config cfg = {
		.policy = W.pol,
		.proxy_port = PROXY_PORT_EPHEMERAL,
		.http_port = PROXY_PORT_EPHEMERAL,
		.tls_port = PROXY_PORT_EPHEMERAL,
		.dns_port = PROXY_PORT_EPHEMERAL,
		.resolver = W.resolver,
		.hosts = hosts,
		.n_hosts = sizeof(hosts) / sizeof(hosts[0]),
		.on_event = evlog_cb,
		.user = &W.log,
	};
	cfg.listen_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lim)
		cfg.limits = *lim;
	ck_assert_int_eq(proxy_create(&cfg, &W.px), 0);
	for (int i = 0; i < 4; i++) {
		W.port[i] = proxy_port(W.px, i);
		ck_assert_int_ne(W.port[i], 0);
	}
}

static void world_stop(void)
{
	close(W.slow_fd);
	proxy_destroy(W.px);
	W.px = NULL;
	policy_free(W.pol);
	upstream_stop(&W.up);
}

static void setup(void)
{
	W.resolver = PROXY_RESOLVE_HOSTS;
	world_start(NULL, NULL);
}

static void teardown(void)
{
	world_stop();
}

/* One request on a fresh connection; the response (until EOF or needle). */
static size_t ask(uint16_t port, const char *req, char *resp, size_t cap, const char *needle)
{
	int eof;
	int fd = raw_connect(port);
	raw_send(W.px, fd, req, strlen(req));
	size_t n = raw_recv(W.px, fd, resp, cap, needle, 4000, &eof);
	close(fd);
	spin(W.px, 20);
	return n;
}

START_TEST(test_http_allowed_request_reaches_upstream)
{
	char resp[4096];
	char req[256];
	snprintf(req, sizeof(req), "GET http://up.test/hello HTTP/1.1\r\nHost: up.test\r\n\r\n");
	ask(W.port[0], req, resp, sizeof(resp), "sni=");
	ck_assert_msg(strstr(resp, "HTTP/1.1 200"), "%s", resp);
	ck_assert_msg(strstr(resp, "U1 path=/hello sni=-"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "up.test");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_str_eq(e->rule, "up.test");
	ck_assert_str_eq(e->method, "GET");
	ck_assert_int_eq(e->status, 200);
	ck_assert_int_gt(e->down, 0);
	ck_assert_str_eq(e->what, "up.test:80");
}
END_TEST

START_TEST(test_http_denied_request_gets_403_naming_the_rule)
{
	char resp[4096];
	ask(W.port[0], "GET http://bad.test/x HTTP/1.1\r\nHost: bad.test\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "HTTP/1.1 403 Forbidden"), "%s", resp);
	ck_assert_msg(strstr(resp, "rule: bad.test"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "bad.test");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->rule, "bad.test");
	ck_assert_int_eq(e->status, 403);
	/* a name no rule matches falls to the default */
	ask(W.port[0], "GET http://nobody.test/ HTTP/1.1\r\nHost: nobody.test\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403") && strstr(resp, "rule: default"), "%s", resp);
	ck_assert_int_eq(W.log.n, 2); /* one event per decision, never two */
}
END_TEST

START_TEST(test_http_port_specific_deny_beats_host_allow)
{
	char resp[4096];
	ask(W.port[0], "GET http://up.test:9/ HTTP/1.1\r\nHost: up.test:9\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403") && strstr(resp, "rule: up.test:9"), "%s", resp);
}
END_TEST

START_TEST(test_http_warn_is_allowed_and_reported)
{
	char resp[4096];
	ask(W.port[0], "GET http://warn.test/w HTTP/1.1\r\nHost: warn.test\r\n\r\n", resp,
	    sizeof(resp), "sni=");
	ck_assert_msg(strstr(resp, "200") && strstr(resp, "U1 path=/w"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "warn.test");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_WARN);
	ck_assert_str_eq(e->rule, "warn.test");
	ck_assert_int_eq(W.log.n, 1);
}
END_TEST

START_TEST(test_http_addresses_are_checked_after_resolution)
{
	char resp[4096];
	/* allowed by name (default allow), but the addresses are special ranges */
	world_stop();
	/* as root, in a private netns: were the check broken, no packet for
	 * 10.x or 169.254.169.254 could leave the machine */
	if (geteuid() == 0)
		runner_netns_private();
	world_start(NULL, "{\"default\":\"allow\"}");
	ask(W.port[0], "GET http://evil.test/ HTTP/1.1\r\nHost: evil.test\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403"), "private address via a name: %s", resp);
	ask(W.port[0], "GET http://10.1.2.3/ HTTP/1.1\r\nHost: 10.1.2.3\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403"), "private literal: %s", resp);
	ask(W.port[0],
	    "GET http://169.254.169.254/latest HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403"), "metadata literal: %s", resp);
	ask(W.port[0], "GET http://meta.test/ HTTP/1.1\r\nHost: meta.test\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403"), "metadata via a name: %s", resp);
	ask(W.port[0], "GET http://up.test/ HTTP/1.1\r\nHost: up.test\r\n\r\n", resp, sizeof(resp),
	    NULL);
	ck_assert_msg(strstr(resp, "403"), "loopback via a name: %s", resp);
	/* IPv4 hidden in IPv6 literals: mapped (both spellings), compatible, NAT64 */
	const char *v6[] = { "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]",
			     "[::ffff:10.1.2.3]",        "[::ffff:127.0.0.1]",
			     "[64:ff9b::a9fe:a9fe]",     "[::1]" };
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		char req[160];
		snprintf(req, sizeof(req), "GET http://%s/ HTTP/1.1\r\n\r\n", v6[i]);
		ask(W.port[0], req, resp, sizeof(resp), NULL);
		ck_assert_msg(strstr(resp, "HTTP/1.1 403"), "%s: %s", v6[i], resp);
	}
	ck_assert_int_eq(evlog_count(&W.log, PROXY_SRC_PROXY, POL_DENY), 5 + 6);
	ck_assert_int_eq(evlog_count(&W.log, PROXY_SRC_PROXY, POL_ALLOW), 0);
}
END_TEST

START_TEST(test_http_keep_alive_serves_several_requests_on_one_connection)
{
	char resp[8192];
	int eof, fd = raw_connect(W.port[0]);
	for (int i = 0; i < 3; i++) {
		char req[128], want[64];
		snprintf(req, sizeof(req),
			 "GET http://up.test/k%d HTTP/1.1\r\nHost: up.test\r\n\r\n", i);
		snprintf(want, sizeof(want), "path=/k%d sni=-\n", i);
		raw_send(W.px, fd, req, strlen(req));
		raw_recv(W.px, fd, resp, sizeof(resp), want, 4000, &eof);
		ck_assert_msg(strstr(resp, want) && !eof, "request %d: %s", i, resp);
	}
	close(fd);
	spin(W.px, 20);
	struct proxy_stats st;
	proxy_get_stats(W.px, &st);
	ck_assert_int_eq(st.conns_accepted, 1);
	ck_assert_int_eq(evlog_count(&W.log, PROXY_SRC_PROXY, POL_ALLOW), 3);
}
END_TEST

START_TEST(test_http_pipelined_requests_are_answered_in_order)
{
	char resp[8192];
	const char *req = "GET http://up.test/p1 HTTP/1.1\r\nHost: up.test\r\n\r\n"
			  "GET http://up.test/p2 HTTP/1.1\r\nHost: up.test\r\n\r\n";
	ask(W.port[0], req, resp, sizeof(resp), "path=/p2");
	char *a = strstr(resp, "path=/p1"), *b = strstr(resp, "path=/p2");
	ck_assert_msg(a && b && a < b, "%s", resp);
}
END_TEST

START_TEST(test_http_chunked_request_body_is_forwarded)
{
	char resp[4096];
	const char *req = "POST http://up.test/post HTTP/1.1\r\nHost: up.test\r\n"
			  "Transfer-Encoding: chunked\r\n\r\n"
			  "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
	ask(W.port[0], req, resp, sizeof(resp), "got=");
	ck_assert_msg(strstr(resp, "U1 got=12"), "%s", resp);
	const char *req2 = "POST http://up.test/post HTTP/1.1\r\nHost: up.test\r\n"
			   "Content-Length: 4\r\n\r\nabcd";
	ask(W.port[0], req2, resp, sizeof(resp), "got=");
	ck_assert_msg(strstr(resp, "U1 got=4"), "%s", resp);
}
END_TEST

START_TEST(test_http_chunked_and_close_delimited_responses_are_relayed)
{
	char resp[4096];
	ask(W.port[0], "GET http://up.test/chunked HTTP/1.1\r\nHost: up.test\r\n\r\n", resp,
	    sizeof(resp), "0\r\n\r\n");
	ck_assert_msg(strstr(resp, "Transfer-Encoding: chunked") && strstr(resp, "0\r\n\r\n"), "%s",
		      resp);
	int eof;
	int fd = raw_connect(W.port[0]);
	const char *req = "GET http://up.test/close HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
	close(fd);
	ck_assert_msg(eof && strstr(resp, "path=/close") && strstr(resp, "Connection: close"), "%s",
		      resp);
}
END_TEST

START_TEST(test_http_head_response_has_no_body)
{
	char resp[4096];
	int eof, fd = raw_connect(W.port[0]);
	const char *req = "HEAD http://up.test/h HTTP/1.1\r\nHost: up.test\r\n\r\n"
			  "GET http://up.test/after HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	raw_recv(W.px, fd, resp, sizeof(resp), "path=/after", 4000, &eof);
	close(fd);
	ck_assert_msg(strstr(resp, "Content-Length: 123") && strstr(resp, "path=/after"), "%s",
		      resp);
}
END_TEST

START_TEST(test_http_hop_by_hop_fields_are_not_forwarded)
{
	/* the upstream echoes the fields it received */
	char resp[4096];
	ask(W.port[0],
	    "GET http://up.test/headers HTTP/1.1\r\nHost: wrong.test\r\nConnection: X-Drop\r\n"
	    "X-Drop: 1\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nKeep-Alive: 5\r\n"
	    "Proxy-Connection: keep-alive\r\nX-Keep: yes\r\n\r\n",
	    resp, sizeof(resp), "x-keep=yes");
	ck_assert_msg(strstr(resp, "200") && strstr(resp, "headers="), "%s", resp);
	ck_assert_msg(strstr(resp, "host=up.test") && strstr(resp, "x-keep=yes"), "%s", resp);
	ck_assert_msg(!strstr(resp, "x-drop") && !strstr(resp, "proxy-") &&
			  !strstr(resp, "keep-alive=") && !strstr(resp, "connection="),
		      "%s", resp);
}
END_TEST

START_TEST(test_connection_header_cannot_strip_the_framing_fields)
{
	/* "Connection: content-length" must not make the upstream see a body
	 * without framing: it would read the body as a second, unchecked request */
	char resp[4096], req[512];
	const char *smuggled = "GET /smuggled HTTP/1.1\r\nHost: up.test\r\n\r\n";
	snprintf(req, sizeof(req),
		 "POST http://up.test/post HTTP/1.1\r\nHost: up.test\r\n"
		 "Connection: content-length\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(smuggled), smuggled);
	ask(W.port[0], req, resp, sizeof(resp), "got=");
	spin(W.px, 100);
	char want[32];
	snprintf(want, sizeof(want), "U1 got=%zu\n", strlen(smuggled));
	ck_assert_msg(strstr(resp, want) && !strstr(resp, "smuggled"), "%s", resp);
	snprintf(req, sizeof(req),
		 "POST http://up.test/post HTTP/1.1\r\nHost: up.test\r\n"
		 "Connection: Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n"
		 "%zx\r\n%s\r\n0\r\n\r\n",
		 strlen(smuggled), smuggled);
	ask(W.port[0], req, resp, sizeof(resp), "got=");
	ck_assert_msg(strstr(resp, want) && !strstr(resp, "smuggled"), "%s", resp);
	ck_assert_int_eq(evlog_count(&W.log, PROXY_SRC_PROXY, POL_ALLOW), 2);
}
END_TEST

START_TEST(test_non_canonical_ipv4_host_forms_get_400)
{
	/* 2130706433, 0x7f000001, 127.1 ... are 127.0.0.1 to inet_aton and
	 * getaddrinfo but a name to the policy: refused, whatever the listener */
	const char *forms[] = { "2130706433", "0x7f000001",  "127.1",    "0177.0.0.1",
				"0x7f.0.0.1", "127.0.0.0x1", "up.test.1" };
	char resp[4096], req[256];
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(req, sizeof(req), "GET http://%s:%u/ HTTP/1.1\r\nHost: x\r\n\r\n",
			 forms[i], W.up.port);
		ask(W.port[0], req, resp, sizeof(resp), NULL);
		ck_assert_msg(strstr(resp, "HTTP/1.1 400"), "absolute %s: %s", forms[i], resp);
		snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s:%u\r\n\r\n", forms[i],
			 W.up.port);
		ask(W.port[1], req, resp, sizeof(resp), NULL);
		ck_assert_msg(strstr(resp, "HTTP/1.1 400"), "Host %s: %s", forms[i], resp);
		snprintf(req, sizeof(req), "CONNECT %s:%u HTTP/1.1\r\n\r\n", forms[i], W.up.port);
		ask(W.port[0], req, resp, sizeof(resp), NULL);
		ck_assert_msg(strstr(resp, "HTTP/1.1 400"), "CONNECT %s: %s", forms[i], resp);
	}
	/* the canonical literal is decided by the IP rule and served */
	snprintf(req, sizeof(req), "GET http://127.0.0.1:%u/ok HTTP/1.1\r\nHost: x\r\n\r\n",
		 W.up.port);
	ask(W.port[0], req, resp, sizeof(resp), "sni=");
	ck_assert_msg(strstr(resp, "U1 path=/ok"), "%s", resp);
	struct proxy_stats st;
	proxy_get_stats(W.px, &st);
	ck_assert_int_eq(st.malformed, 3 * sizeof(forms) / sizeof(forms[0]));
}
END_TEST

START_TEST(test_interim_100_continue_is_relayed_before_the_body)
{
	char resp[4096];
	int eof, fd = raw_connect(W.port[0]);
	const char *head = "POST http://up.test/post HTTP/1.1\r\nHost: up.test\r\n"
			   "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n";
	raw_send(W.px, fd, head, strlen(head));
	raw_recv(W.px, fd, resp, sizeof(resp), "\r\n\r\n", 4000, &eof);
	ck_assert_msg(strncmp(resp, "HTTP/1.1 100 Continue\r\n", 23) == 0 && !strstr(resp, "got="),
		      "%s", resp);
	raw_send(W.px, fd, "abcd", 4);
	raw_recv(W.px, fd, resp, sizeof(resp), "got=", 4000, &eof);
	close(fd);
	ck_assert_msg(strstr(resp, "HTTP/1.1 200") && strstr(resp, "U1 got=4"), "%s", resp);
}
END_TEST

START_TEST(test_head_sent_byte_by_byte_is_parsed_once_complete)
{
	/* the head scan resumes where the last read stopped; two requests on one
	 * connection, each one byte per read, bare LF in the third refused */
	char resp[8192];
	int eof, fd = raw_connect(W.port[0]);
	for (int k = 0; k < 3; k++) {
		char req[128];
		snprintf(req, sizeof(req),
			 "GET http://up.test/b%d HTTP/1.1\r\nHost: up.test\r\n%s\r\n", k,
			 k == 2 ? "X: y\n" : "X-Long: 0123456789abcdef\r\n");
		for (size_t i = 0; i < strlen(req); i++) {
			ck_assert_int_eq(send(fd, req + i, 1, MSG_NOSIGNAL), 1);
			spin(W.px, 1);
		}
		raw_recv(W.px, fd, resp, sizeof(resp), k == 2 ? NULL : "sni=", 4000, &eof);
		if (k < 2)
			ck_assert_msg(strstr(resp, "path=/b") && !eof, "request %d: %s", k, resp);
		else
			ck_assert_msg(strstr(resp, "HTTP/1.1 400"), "bare LF: %s", resp);
	}
	close(fd);
	ck_assert_int_eq(evlog_count(&W.log, PROXY_SRC_PROXY, POL_ALLOW), 2);
}
END_TEST

START_TEST(test_malformed_requests_get_400)
{
	const char *bad[] = {
		"GET http://up.test/ HTTP/1.1\r\nHost: up.test\r\nContent-Length: 1\r\n"
		"Transfer-Encoding: chunked\r\n\r\n",
		"POST http://up.test/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"GET http://up.test/ HTTP/1.1\nHost: a\n\n",
		"GET /origin-form-on-the-proxy-port HTTP/1.1\r\nHost: up.test\r\n\r\n",
		"GET http://user@up.test/ HTTP/1.1\r\n\r\n",
		"GET http://up.test:99999/ HTTP/1.1\r\n\r\n",
		"GET http://up..test/ HTTP/1.1\r\n\r\n",
		"GET https://up.test/ HTTP/1.1\r\n\r\n",
		"CONNECT up.test HTTP/1.1\r\n\r\n",
		"\x16\x03\x01\x02\x05hello\r\n\r\n",
	};
	char resp[4096];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ask(W.port[0], bad[i], resp, sizeof(resp), NULL);
		ck_assert_msg(strstr(resp, "HTTP/1.1 400 Bad Request"), "case %zu: %s", i, resp);
	}
	struct proxy_stats st;
	proxy_get_stats(W.px, &st);
	ck_assert_int_eq(st.malformed, sizeof(bad) / sizeof(bad[0]));
	ck_assert_int_eq(W.log.n, (int)(sizeof(bad) / sizeof(bad[0])));
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, NULL);
	ck_assert_str_eq(e->rule, "malformed");
	ck_assert_int_eq(e->action, POL_DENY);
}
END_TEST

START_TEST(test_oversized_heads_get_431)
{
	char resp[4096];
	static char req[20000];
	strcpy(req, "GET http://up.test/ HTTP/1.1\r\nX-Big: ");
	memset(req + strlen(req), 'a', 17000);
	strcat(req, "\r\n\r\n");
	ask(W.port[0], req, resp, sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "431"), "%s", resp);
	char many[8000] = "GET http://up.test/ HTTP/1.1\r\n";
	for (int i = 0; i < 120; i++)
		strcat(many, "A: b\r\n");
	strcat(many, "\r\n");
	ask(W.port[0], many, resp, sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "431"), "%s", resp);
}
END_TEST

START_TEST(test_slowloris_head_times_out_with_408)
{
	struct proxy_limits lim = { .head_timeout_ms = 300, .idle_timeout_ms = 400 };
	world_stop();
	world_start(&lim, NULL);
	char resp[1024] = "";
	int eof, fd = raw_connect(W.port[0]);
	raw_send(W.px, fd, "GET http://up.test/ HTTP/1.1\r\nX-A: ", 35);
	size_t n = 0;
	/* a byte every 100 ms keeps the socket busy (the 400 ms idle timer would
	 * never fire) but the head never ends: its own 300 ms deadline must */
	for (int i = 0; i < 30 && !strstr(resp, "408"); i++) {
		send(fd, "a", 1, MSG_NOSIGNAL);
		n = raw_recv(W.px, fd, resp, sizeof(resp), "408", 100, &eof);
	}
	ck_assert_msg(n > 0 && strstr(resp, "408"), "%s", resp);
	close(fd);
	/* an idle connection (no bytes at all) is simply closed */
	fd = raw_connect(W.port[0]);
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 1500, &eof);
	ck_assert_int_eq(eof, 1);
	close(fd);
}
END_TEST

START_TEST(test_connection_limit_resets_the_extra_connection)
{
	struct proxy_limits lim = { .max_conns = 2 };
	world_stop();
	world_start(&lim, NULL);
	int a = raw_connect(W.port[0]), b = raw_connect(W.port[0]);
	spin(W.px, 30);
	int c = raw_connect(W.port[0]);
	char resp[64];
	int eof;
	raw_recv(W.px, c, resp, sizeof(resp), NULL, 1000, &eof);
	ck_assert_int_eq(eof, 1);
	struct proxy_stats st;
	proxy_get_stats(W.px, &st);
	ck_assert_int_eq(st.conns_refused, 1);
	ck_assert_int_eq(st.conns_open, 2);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, NULL);
	ck_assert_str_eq(e->rule, "limit");
	close(a);
	close(b);
	close(c);
}
END_TEST

START_TEST(test_fd_exhaustion_pauses_accepting_instead_of_spinning)
{
	/* pending connections the proxy cannot accept (EMFILE) must not keep
	 * proxy_fd() readable: the runner's loop would spin at 100% CPU */
	struct rlimit old, low;
	int cli[3];
	for (int i = 0; i < 3; i++)
		cli[i] = raw_connect(W.port[0]); /* queued by the kernel, not yet accepted */
	int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC); /* the lowest free fd */
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)lowest; /* no fd can be opened now */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	struct pollfd pfd = { .fd = proxy_fd(W.px), .events = POLLIN };
	int readable = 0;
	uint64_t t0 = 0;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 - t0 > 500)
			break;
		if (poll(&pfd, 1, 20) > 0) {
			readable++;
			proxy_dispatch(W.px);
		}
	}
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* about one wake-up per 100 ms timer tick, not thousands */
	ck_assert_msg(readable < 40, "proxy_fd readable %d times in 500 ms", readable);
	/* with fds back, the queued connections are served */
	char resp[4096];
	int eof;
	const char *req = "GET http://up.test/late HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, cli[0], req, strlen(req));
	raw_recv(W.px, cli[0], resp, sizeof(resp), "sni=", 4000, &eof);
	ck_assert_msg(strstr(resp, "U1 path=/late"), "%s", resp);
	for (int i = 0; i < 3; i++)
		close(cli[i]);
}
END_TEST

START_TEST(test_many_interim_responses_are_relayed_in_order)
{
	/* 300 interim heads (about 8 KiB) against a 1 KiB head limit: the proxy
	 * parses a new head only once the earlier ones left for the pod, and the
	 * final answer still arrives whole */
	struct proxy_limits lim = { .max_head_bytes = 1024 };
	world_stop();
	world_start(&lim, NULL);
	static char resp[16384];
	int eof, fd = raw_connect(W.port[0]);
	const char *req = "GET http://up.test/many1xx HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	spin(W.px, 200); /* the pod does not read for a while */
	raw_recv(W.px, fd, resp, sizeof(resp), "path=/many1xx", 4000, &eof);
	close(fd);
	int n = 0;
	for (const char *p = resp; (p = strstr(p, "HTTP/1.1 102 Processing\r\n\r\n")); p++)
		n++;
	ck_assert_int_eq(n, 300);
	const char *ok = strstr(resp, "HTTP/1.1 200");
	ck_assert_msg(ok && ok > strstr(resp, "102") && strstr(ok, "U1 path=/many1xx"), "%s", resp);
	const struct ev_rec *e = evlog_wait(W.px, &W.log, PROXY_SRC_PROXY, "up.test", 2000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->status, 200);
}
END_TEST

START_TEST(test_connection_limit_fits_the_fd_limit)
{
	/* 6 fds per connection must fit RLIMIT_NOFILE minus 256: with 274 fds
	 * allowed, the default limit of 256 connections becomes 3 */
	struct rlimit old, low;
	world_stop();
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256 + 6 * 3;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	world_start(NULL, NULL);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	int fds[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = raw_connect(W.port[0]);
		spin(W.px, 20);
	}
	struct proxy_stats st;
	proxy_get_stats(W.px, &st);
	ck_assert_int_eq(st.conns_open, 3);
	ck_assert_int_eq(st.conns_refused, 1);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
}
END_TEST

START_TEST(test_requests_per_connection_are_limited)
{
	struct proxy_limits lim = { .max_requests = 2 };
	world_stop();
	world_start(&lim, NULL);
	char resp[8192];
	int eof, fd = raw_connect(W.port[0]);
	const char *req = "GET http://up.test/a HTTP/1.1\r\nHost: up.test\r\n\r\n"
			  "GET http://up.test/b HTTP/1.1\r\nHost: up.test\r\n\r\n"
			  "GET http://up.test/c HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
	close(fd);
	ck_assert_msg(eof == 1, "no EOF after %s", resp);
	ck_assert_msg(strstr(resp, "path=/a") && strstr(resp, "path=/b") &&
			  !strstr(resp, "path=/c"),
		      "%s", resp);
	ck_assert_msg(strstr(resp, "Connection: close"), "%s", resp);
}
END_TEST

START_TEST(test_connect_denied_gets_403_and_allowed_tunnels)
{
	char resp[4096];
	ask(W.port[0], "CONNECT bad.test:443 HTTP/1.1\r\nHost: bad.test:443\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403") && strstr(resp, "rule: bad.test"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "bad.test");
	ck_assert_str_eq(e->method, "CONNECT");
	ck_assert_int_eq(e->action, POL_DENY);
	/* allowed: a tunnel to the plain HTTP upstream; speak HTTP through it */
	int eof, fd = raw_connect(W.port[0]);
	const char *req = "CONNECT up.test:80 HTTP/1.1\r\nHost: up.test:80\r\n\r\n"
			  "GET /through HTTP/1.1\r\nHost: up.test\r\nConnection: close\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
	close(fd);
	spin(W.px, 50);
	ck_assert_msg(strstr(resp, "200 Connection established") && strstr(resp, "path=/through"),
		      "%s", resp);
	e = evlog_wait(W.px, &W.log, PROXY_SRC_PROXY, "up.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_int_gt(e->up, 30);
	ck_assert_int_gt(e->down, 30);
	spin(W.px, 50);
	ck_assert_int_eq(W.log.n, 2); /* the deny, then the tunnel at its close */
}
END_TEST

/* A tunnel direction that carries bulk (here 3 MiB up) is relayed through a
 * bulk pipe; the other direction is not; the count returns to 0 at the end. */
START_TEST(test_bulk_tunnel_direction_gets_a_bulk_pipe)
{
	static char body[3 << 20];
	char head[512], resp[4096];
	struct proxy_stats st;
	int eof, fd = raw_connect(W.port[0]);
	const char *conn = "CONNECT up.test:80 HTTP/1.1\r\nHost: up.test:80\r\n\r\n";

	raw_send(W.px, fd, conn, strlen(conn));
	raw_recv(W.px, fd, resp, sizeof(resp), "\r\n\r\n", 4000, &eof);
	ck_assert_msg(strstr(resp, "200 Connection established"), "%s", resp);
	proxy_get_stats(W.px, &st);
	ck_assert_uint_eq(st.bulk_pipes, 0);
	snprintf(head, sizeof head,
		 "POST /bulk HTTP/1.1\r\nHost: up.test\r\nContent-Length: %zu\r\n\r\n",
		 sizeof body);
	memset(body, 'b', sizeof body);
	raw_send(W.px, fd, head, strlen(head));
	raw_send(W.px, fd, body, sizeof body);
	raw_recv(W.px, fd, resp, sizeof(resp), "got=", 10000, &eof);
	ck_assert_msg(strstr(resp, "got=3145728"), "%s", resp);
	proxy_get_stats(W.px, &st);
	ck_assert_uint_eq(st.bulk_pipes, 1); /* up only: the answer is small */
	close(fd);
	for (int i = 0; i < 100 && st.bulk_pipes; i++) {
		spin(W.px, 20);
		proxy_get_stats(W.px, &st);
	}
	ck_assert_uint_eq(st.bulk_pipes, 0);
}
END_TEST

START_TEST(test_transparent_http_routes_by_host_header)
{
	char resp[4096];
	ask(W.port[1], "GET /t HTTP/1.1\r\nHost: up.test\r\n\r\n", resp, sizeof(resp), "sni=");
	ck_assert_msg(strstr(resp, "200") && strstr(resp, "U1 path=/t"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "up.test");
	ck_assert_str_eq(e->url, "http://up.test/t");
	ask(W.port[1], "GET /t HTTP/1.1\r\nHost: bad.test\r\n\r\n", resp, sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403"), "%s", resp);
	ask(W.port[1], "GET /t HTTP/1.1\r\n\r\n", resp, sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "400"), "no Host: %s", resp);
}
END_TEST

START_TEST(test_client_hello_sent_byte_by_byte_is_routed_by_sni)
{
	/* a ClientHello for up.test, one byte per read, to the transparent TLS
	 * listener: decided (allow) once complete, then relayed to the upstream */
	uint8_t hello[200];
	const char *sni = "up.test";
	size_t l = strlen(sni), n = 0;
	uint8_t body[160];
	size_t b = 0;
	body[b++] = 3, body[b++] = 3;
	memset(body + b, 0x22, 32), b += 32;
	body[b++] = 0;                                                 /* session id */
	body[b++] = 0, body[b++] = 2, body[b++] = 0x13, body[b++] = 1; /* suites */
	body[b++] = 1, body[b++] = 0;                                  /* compression */
	body[b++] = 0, body[b++] = (uint8_t)(l + 9);                   /* extensions */
	body[b++] = 0, body[b++] = 0, body[b++] = 0, body[b++] = (uint8_t)(l + 5);
	body[b++] = 0, body[b++] = (uint8_t)(l + 3), body[b++] = 0, body[b++] = 0,
	body[b++] = (uint8_t)l;
	memcpy(body + b, sni, l), b += l;
	hello[n++] = 22, hello[n++] = 3, hello[n++] = 1, hello[n++] = 0,
	hello[n++] = (uint8_t)(b + 4);
	hello[n++] = 1, hello[n++] = 0, hello[n++] = 0, hello[n++] = (uint8_t)b;
	memcpy(hello + n, body, b), n += b;
	int fd = raw_connect(W.port[2]);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(send(fd, hello + i, 1, MSG_NOSIGNAL), 1);
		spin(W.px, 1);
	}
	const struct ev_rec *e = NULL;
	for (int i = 0; i < 100 && !e; i++) {
		spin(W.px, 10);
		struct proxy_stats st;
		proxy_get_stats(W.px, &st);
		if (st.requests == 1)
			break;
	}
	close(fd);
	e = evlog_wait(W.px, &W.log, PROXY_SRC_PROXY, "up.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->method, "TLS");
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_int_eq(e->up, n); /* the hello itself went to the upstream */
	ck_assert_int_eq(W.log.n, 1);
}
END_TEST

START_TEST(test_transparent_tls_garbage_is_reset)
{
	char resp[256];
	int eof, fd = raw_connect(W.port[2]);
	raw_send(W.px, fd, "GET / HTTP/1.1\r\n\r\n", 18);
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 2000, &eof);
	ck_assert_int_eq(eof, 1);
	close(fd);
	spin(W.px, 20);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->rule, "malformed");
	ck_assert_int_eq(W.log.n, 1);
}
END_TEST

/* ---- DNS on the loopback ---- */

static size_t dns_query(uint8_t *q, uint16_t id, const char *name, uint16_t qtype)
{
	size_t n = 0;
	q[n++] = (uint8_t)(id >> 8), q[n++] = (uint8_t)id, q[n++] = 1, q[n++] = 0;
	q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0, q[n++] = 0,
	q[n++] = 0;
	for (const char *p = name; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	q[n++] = 0, q[n++] = (uint8_t)(qtype >> 8), q[n++] = (uint8_t)qtype, q[n++] = 0, q[n++] = 1;
	return n;
}

static int udp_ask(const uint8_t *q, size_t n, uint8_t *a, size_t cap)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(W.port[3]) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sendto(fd, q, n, 0, (struct sockaddr *)&sa, sizeof(sa));
	int got = -1;
	for (int i = 0; i < 200 && got < 0; i++) {
		spin(W.px, 5);
		got = (int)recv(fd, a, cap, 0);
	}
	close(fd);
	return got;
}

START_TEST(test_dns_answers_allowed_names_with_the_proxy_address)
{
	uint8_t q[300], a[600];
	size_t n = dns_query(q, 7, "up.test", 1);
	int got = udp_ask(q, n, a, sizeof(a));
	ck_assert_int_eq(got, (int)n + 16);
	ck_assert_int_eq(a[0] << 8 | a[1], 7);
	ck_assert_int_eq(a[3] & 0xf, 0);   /* NOERROR */
	ck_assert_int_eq(a[7], 1);         /* one answer */
	ck_assert_int_eq(a[got - 4], 127); /* the listen address */
	ck_assert_int_eq(a[got - 1], 1);
	/* AAAA: the proxy has no IPv6 address, so an empty answer */
	n = dns_query(q, 8, "up.test", 28);
	got = udp_ask(q, n, a, sizeof(a));
	ck_assert_int_eq(got, (int)n);
	ck_assert_int_eq(a[3] & 0xf, 0);
	ck_assert_int_eq(a[7], 0);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_DNS, "up.test");
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_str_eq(e->method, "AAAA");
}
END_TEST

START_TEST(test_dns_denied_names_get_nxdomain_and_an_event)
{
	uint8_t q[300], a[600];
	size_t n = dns_query(q, 9, "bad.test", 1);
	int got = udp_ask(q, n, a, sizeof(a));
	ck_assert_int_eq(got, (int)n);
	ck_assert_int_eq(a[3] & 0xf, 3); /* NXDOMAIN */
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_DNS, "bad.test");
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->rule, "bad.test");
	n = dns_query(q, 10, "unknown.test", 1);
	got = udp_ask(q, n, a, sizeof(a));
	ck_assert_int_eq(a[3] & 0xf, 3);
}
END_TEST

START_TEST(test_dns_malformed_query_gets_formerr)
{
	uint8_t q[300], a[600];
	size_t n = dns_query(q, 11, "up.test", 1);
	q[12] = 0xc0; /* compression pointer */
	int got = udp_ask(q, n, a, sizeof(a));
	ck_assert_int_eq(got, 12);
	ck_assert_int_eq(a[3] & 0xf, 1); /* FORMERR */
	/* too short to answer: dropped, the server stays up */
	ck_assert_int_eq(udp_ask(q, 5, a, sizeof(a)), -1);
	n = dns_query(q, 12, "up.test", 1);
	ck_assert_int_gt(udp_ask(q, n, a, sizeof(a)), 0);
}
END_TEST

START_TEST(test_dns_over_tcp_answers_each_framed_query)
{
	uint8_t q[300], buf[700];
	size_t n = dns_query(q + 2, 21, "up.test", 1);
	q[0] = (uint8_t)(n >> 8), q[1] = (uint8_t)n;
	size_t m = dns_query(q + 4 + n, 22, "bad.test", 1);
	q[2 + n] = (uint8_t)(m >> 8), q[3 + n] = (uint8_t)m;
	int eof, fd = raw_connect(W.port[3]);
	raw_send(W.px, fd, q, 4 + n + m);
	size_t got = 0;
	for (int i = 0; i < 400 && got < (2 + n + 16) + (2 + m); i++) {
		spin(W.px, 5);
		ssize_t r = recv(fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (r > 0)
			got += (size_t)r;
	}
	(void)eof;
	close(fd);
	ck_assert_int_eq(got, (2 + n + 16) + (2 + m));
	ck_assert_int_eq(buf[3], 21);
	ck_assert_int_eq(buf[5] & 0xf, 0);
	ck_assert_int_eq(buf[2 + n + 16 + 3], 22);
	ck_assert_int_eq(buf[2 + n + 16 + 5] & 0xf, 3);
}
END_TEST

START_TEST(test_dns_over_tcp_bad_length_is_reset_with_an_event)
{
	const uint8_t bad[] = { 0, 5, 1, 2, 3, 4, 5 }; /* a 5-byte "message" */
	char buf[64];
	int eof, fd = raw_connect(W.port[3]);
	raw_send(W.px, fd, bad, sizeof(bad));
	raw_recv(W.px, fd, buf, sizeof(buf), NULL, 2000, &eof);
	close(fd);
	ck_assert_int_eq(eof, 1);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_DNS, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->rule, "malformed");
	ck_assert_int_eq(W.log.n, 1);
}
END_TEST

START_TEST(test_dns_over_tcp_query_arriving_byte_by_byte_is_answered)
{
	/* a 460-byte question (long name + padded EDNS OPT) one byte per read:
	 * partial reads are not questions and do not count against the limit */
	uint8_t q[600], buf[700];
	char name[256] = "";
	for (int i = 0; i < 3; i++) {
		char label[64];
		memset(label, 'a' + i, 60);
		label[60] = '\0';
		strcat(name, label);
		strcat(name, ".");
	}
	strcat(name, "up.test");
	size_t n = dns_query(q + 2, 33, name, 1);
	q[2 + 11] = 1; /* ARCOUNT: one OPT record, 200 bytes of padding */
	uint8_t *o = q + 2 + n;
	memset(o, 0, 11 + 200);
	o[2] = 41, o[3] = 0x10, o[9] = 0, o[10] = 200;
	n += 11 + 200;
	q[0] = (uint8_t)(n >> 8), q[1] = (uint8_t)n;
	int eof, fd = raw_connect(W.port[3]);
	for (size_t i = 0; i < n + 2; i++) {
		ck_assert_int_eq(send(fd, q + i, 1, MSG_NOSIGNAL), 1);
		spin(W.px, 2);
	}
	size_t got = 0;
	for (int i = 0; i < 400 && got < 2 + 12; i++) {
		spin(W.px, 5);
		ssize_t r = recv(fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (r > 0)
			got += (size_t)r;
		if (r == 0)
			break;
	}
	(void)eof;
	close(fd);
	ck_assert_uint_ge(got, 2 + 12);
	ck_assert_int_eq(buf[2] << 8 | buf[3], 33);
	ck_assert_int_eq(buf[5] & 0xf, 3); /* answered: NXDOMAIN (only up.test itself is allowed) */
}
END_TEST

START_TEST(test_destroy_reports_open_tunnels)
{
	int eof, fd = raw_connect(W.port[0]);
	char resp[256];
	const char *req = "CONNECT up.test:80 HTTP/1.1\r\nHost: up.test:80\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	raw_recv(W.px, fd, resp, sizeof(resp), "\r\n\r\n", 4000, &eof);
	ck_assert_msg(strstr(resp, "200"), "%s", resp);
	int before = W.log.n;
	proxy_destroy(W.px);
	W.px = NULL;
	ck_assert_int_eq(W.log.n, before + 1);
	ck_assert_str_eq(W.log.ev[before].method, "CONNECT");
	close(fd);
}
END_TEST

START_TEST(test_upstream_refusing_the_connection_gets_502)
{
	char resp[4096];
	ask(W.port[0], "GET http://closed.test/ HTTP/1.1\r\nHost: closed.test\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "HTTP/1.1 502 Bad Gateway"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "closed.test");
	ck_assert_int_eq(e->action, POL_ALLOW); /* the decision was allow; the upstream failed */
	ck_assert_int_eq(e->status, 502);
	ck_assert_int_eq(W.log.n, 1);
}
END_TEST

START_TEST(test_upstream_that_never_answers_gets_504)
{
	struct proxy_limits lim = { .idle_timeout_ms = 300 };
	world_stop();
	world_start(&lim, NULL);
	char resp[4096];
	ask(W.port[0], "GET http://slow.test/ HTTP/1.1\r\nHost: slow.test\r\n\r\n", resp,
	    sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "HTTP/1.1 504 Gateway Timeout"), "%s", resp);
	ck_assert_int_eq(W.log.n, 1);
}
END_TEST

START_TEST(test_system_resolver_runs_off_the_loop)
{
	world_stop();
	W.resolver = PROXY_RESOLVE_SYSTEM;
	world_start(NULL, NULL);
	char resp[4096], req[256];
	/* "localhost" comes from getaddrinfo (maybe ::1 first: refused, then 127.0.0.1);
	 * loopback is allowed because an exact "localhost" rule matched */
	snprintf(req, sizeof(req), "GET http://localhost:%u/sys HTTP/1.1\r\nHost: x\r\n\r\n",
		 W.up.port);
	ask(W.port[0], req, resp, sizeof(resp), "sni=");
	ck_assert_msg(strstr(resp, "U1 path=/sys"), "%s", resp);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "localhost");
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_msg(strstr(e->peer, "127.0.0.1:"), "%s", e->peer);
	/* names are decided before any lookup: a denied name is never resolved
	 * (no query leaves the runner for it) */
	ask(W.port[0], "GET http://nowhere.example/ HTTP/1.1\r\n\r\n", resp, sizeof(resp), NULL);
	ck_assert_msg(strstr(resp, "403"), "%s", resp);
}
END_TEST

START_TEST(test_random_garbage_never_hurts_the_proxy)
{
	/* hostile bytes on every listener, connections dropped at random points;
	 * afterwards the proxy still serves and holds no connection */
	static const char *seeds[] = {
		"GET http://up.test/ HTTP/1.1\r\nHost: up.test\r\n\r\n",
		"POST http://up.test/p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
		"CONNECT up.test:80 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n",
		"\x16\x03\x01\x00\xff\x01\x00\x00\xfb\x03\x03",
	};
	srand(1234);
	for (int i = 0; i < 150; i++) {
		int port = W.port[i % 3];
		int fd = raw_connect((uint16_t)port);
		char buf[600];
		const char *seed = seeds[rand() % 4];
		size_t n = strlen(seed);
		memcpy(buf, seed, n);
		for (int k = 0; k < 1 + rand() % 8; k++) /* flip a few bytes */
			buf[rand() % n] = (char)rand();
		size_t cut = (size_t)rand() % (n + 1);
		raw_send(W.px, fd, buf, cut);
		spin(W.px, 1);
		if (rand() % 2) {
			struct linger lg = { 1, 0 };
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(fd);
	}
	char resp[4096];
	ask(W.port[0], "GET http://up.test/alive HTTP/1.1\r\nHost: up.test\r\n\r\n", resp,
	    sizeof(resp), "sni=");
	ck_assert_msg(strstr(resp, "U1 path=/alive"), "%s", resp);
	struct proxy_stats st;
	for (int i = 0; i < 200; i++) {
		spin(W.px, 10);
		proxy_get_stats(W.px, &st);
		if (st.conns_open == 0)
			break;
	}
	ck_assert_int_eq(st.conns_open, 0);
}
END_TEST

START_TEST(test_truncated_upstream_body_closes_the_client_connection)
{
	char resp[4096];
	int eof, fd = raw_connect(W.port[0]);
	const char *req = "GET http://up.test/short HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, fd, req, strlen(req));
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
	close(fd);
	/* the 10 bytes that came are relayed, then the close shows the truncation */
	ck_assert_msg(eof && strstr(resp, "Content-Length: 100") && strstr(resp, "0123456789"),
		      "%s", resp);
	const struct ev_rec *e = evlog_wait(W.px, &W.log, PROXY_SRC_PROXY, "up.test", 2000);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e->reason, "middle of the body"), "%s", e->reason);
}
END_TEST

START_TEST(test_deny_after_keep_alive_names_no_stale_peer)
{
	char resp[8192];
	int eof, fd = raw_connect(W.port[0]);
	const char *a = "GET http://up.test/first HTTP/1.1\r\nHost: up.test\r\n\r\n";
	raw_send(W.px, fd, a, strlen(a));
	raw_recv(W.px, fd, resp, sizeof(resp), "path=/first", 4000, &eof);
	ck_assert_msg(strstr(resp, "path=/first"), "%s", resp);
	/* same connection: a denied host, then an address the policy refuses */
	const char *b = "GET http://bad.test/second HTTP/1.1\r\nHost: bad.test\r\n\r\n";
	raw_send(W.px, fd, b, strlen(b));
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
	ck_assert_msg(strstr(resp, "403"), "%s", resp);
	close(fd);
	fd = raw_connect(W.port[0]);
	raw_send(W.px, fd, a, strlen(a));
	raw_recv(W.px, fd, resp, sizeof(resp), "path=/first", 4000, &eof);
	const char *c = "GET http://evil.test/third HTTP/1.1\r\nHost: evil.test\r\n\r\n";
	raw_send(W.px, fd, c, strlen(c));
	raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
	close(fd);
	spin(W.px, 50);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "/first");
	ck_assert_msg(strstr(e->peer, "127.0.0.1:"), "%s", e->peer);
	e = evlog_find(&W.log, PROXY_SRC_PROXY, "bad.test");
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->peer, "");
	e = evlog_find(&W.log, PROXY_SRC_PROXY, "evil.test");
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->peer, "");
	/* each connection ends with one event counting only its allowed request */
	ck_assert_int_eq(evlog_count_end(&W.log, PROXY_EV_CONN_END), 2);
	ck_assert_uint_eq(W.log.end[0].count, 1);
	ck_assert_str_eq(W.log.end[0].what, "up.test:80");
}
END_TEST

START_TEST(test_http2_prior_knowledge_gets_http_1_1_required)
{
	static const char pre[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const uint8_t want[] = { 0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0xd };
	char resp[256];
	for (int l = 0; l < 2; l++) { /* the explicit and the transparent listener */
		int eof, fd = raw_connect(W.port[l]);
		raw_send(W.px, fd, pre, sizeof(pre) - 1);
		size_t n = raw_recv(W.px, fd, resp, sizeof(resp), NULL, 4000, &eof);
		close(fd);
		ck_assert_int_eq(n, 9 + sizeof(want));
		ck_assert_int_eq(resp[3], 4); /* SETTINGS first */
		ck_assert_int_eq(memcmp(resp + 9, want, sizeof(want)), 0);
		ck_assert(eof);
	}
	spin(W.px, 20);
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, NULL);
	ck_assert_str_eq(e->method, "PRI");
	ck_assert_str_eq(e->rule, "malformed");
	ck_assert_int_eq(evlog_count(&W.log, PROXY_SRC_PROXY, POL_DENY), 2);
}
END_TEST

/* Teardown never waits for a name lookup in flight: the resolver thread is
 * left to finish it alone. The lookup is made slow by a name server on the
 * test's own loopback that never answers (a private netns and mount ns). */
START_TEST(test_destroy_does_not_wait_for_a_lookup_in_flight)
{
	POD_REQUIRE_ROOT();
	world_stop();
	ck_assert_int_eq(unshare(CLONE_NEWNET | CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_int_eq(system("ip link set lo up"), 0);
	char dir[] = "/tmp/pxt-resolv-XXXXXX", path[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("nameserver 127.0.0.1\noptions timeout:5 attempts:2\n", f);
	fclose(f);
	ck_assert_int_eq(mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL), 0);
	unlink(path);
	rmdir(dir);
	int mute = socket(AF_INET, SOCK_DGRAM, 0); /* takes the queries, never answers */
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(53),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(mute, (struct sockaddr *)&sa, sizeof(sa)), 0);
	W.resolver = PROXY_RESOLVE_SYSTEM;
	world_start(NULL, "{\"default\":\"allow\"}");
	char req[] = "GET http://slow-name.example/ HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = raw_connect(W.port[0]);
	raw_send(W.px, fd, req, sizeof(req) - 1);
	char buf[64];
	for (int i = 0; i < 100 && recv(mute, buf, sizeof(buf), MSG_DONTWAIT) < 0; i++)
		spin(W.px, 20); /* until the lookup is really in flight */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	proxy_destroy(W.px);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	W.px = NULL;
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_msg(ms < 500, "proxy_destroy took %ld ms", ms);
	/* the connection was reported, as every open one is */
	const struct ev_rec *e = evlog_find(&W.log, PROXY_SRC_PROXY, "slow-name");
	ck_assert_ptr_nonnull(e);
	close(fd);
	close(mute);
}
END_TEST

TCase *tcase_loopback(void)
{
	TCase *tc = tcase_create("loopback");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_http_allowed_request_reaches_upstream);
	tcase_add_test(tc, test_http_denied_request_gets_403_naming_the_rule);
	tcase_add_test(tc, test_http_port_specific_deny_beats_host_allow);
	tcase_add_test(tc, test_http_warn_is_allowed_and_reported);
	tcase_add_test(tc, test_http_addresses_are_checked_after_resolution);
	tcase_add_test(tc, test_http_keep_alive_serves_several_requests_on_one_connection);
	tcase_add_test(tc, test_http_pipelined_requests_are_answered_in_order);
	tcase_add_test(tc, test_http_chunked_request_body_is_forwarded);
	tcase_add_test(tc, test_http_chunked_and_close_delimited_responses_are_relayed);
	tcase_add_test(tc, test_http_head_response_has_no_body);
	tcase_add_test(tc, test_http_hop_by_hop_fields_are_not_forwarded);
	tcase_add_test(tc, test_connection_header_cannot_strip_the_framing_fields);
	tcase_add_test(tc, test_non_canonical_ipv4_host_forms_get_400);
	tcase_add_test(tc, test_interim_100_continue_is_relayed_before_the_body);
	tcase_add_test(tc, test_head_sent_byte_by_byte_is_parsed_once_complete);
	tcase_add_test(tc, test_malformed_requests_get_400);
	tcase_add_test(tc, test_oversized_heads_get_431);
	tcase_add_test(tc, test_slowloris_head_times_out_with_408);
	tcase_add_test(tc, test_connection_limit_resets_the_extra_connection);
	tcase_add_test(tc, test_fd_exhaustion_pauses_accepting_instead_of_spinning);
	tcase_add_test(tc, test_connection_limit_fits_the_fd_limit);
	tcase_add_test(tc, test_many_interim_responses_are_relayed_in_order);
	tcase_add_test(tc, test_requests_per_connection_are_limited);
	tcase_add_test(tc, test_connect_denied_gets_403_and_allowed_tunnels);
	tcase_add_test(tc, test_bulk_tunnel_direction_gets_a_bulk_pipe);
	tcase_add_test(tc, test_transparent_http_routes_by_host_header);
	tcase_add_test(tc, test_transparent_tls_garbage_is_reset);
	tcase_add_test(tc, test_client_hello_sent_byte_by_byte_is_routed_by_sni);
	tcase_add_test(tc, test_dns_answers_allowed_names_with_the_proxy_address);
	tcase_add_test(tc, test_dns_denied_names_get_nxdomain_and_an_event);
	tcase_add_test(tc, test_dns_malformed_query_gets_formerr);
	tcase_add_test(tc, test_dns_over_tcp_answers_each_framed_query);
	tcase_add_test(tc, test_dns_over_tcp_bad_length_is_reset_with_an_event);
	tcase_add_test(tc, test_dns_over_tcp_query_arriving_byte_by_byte_is_answered);
	tcase_add_test(tc, test_destroy_reports_open_tunnels);
	tcase_add_test(tc, test_upstream_refusing_the_connection_gets_502);
	tcase_add_test(tc, test_upstream_that_never_answers_gets_504);
	tcase_add_test(tc, test_system_resolver_runs_off_the_loop);
	tcase_add_test(tc, test_random_garbage_never_hurts_the_proxy);
	tcase_add_test(tc, test_truncated_upstream_body_closes_the_client_connection);
	tcase_add_test(tc, test_deny_after_keep_alive_names_no_stale_peer);
	tcase_add_test(tc, test_http2_prior_knowledge_gets_http_1_1_required);
	tcase_add_test(tc, test_destroy_does_not_wait_for_a_lookup_in_flight);
	return tc;
}
