/*
 * dns.c — the pod DNS server (UDP and TCP) on the runner end of the veth.
 *
 * Layer 05 (proxy). Builds on dns_parse.c (strict query parser, answer
 * builder) and 04-policy. Driven by proxy.c's dispatch.
 *
 * The pod's /etc/resolv.conf names only this server, and the pod's netfilter
 * rules allow port 53 only to it. Every question is decided by name:
 *   - a name the policy could allow (on some port)  -> A = the runner end's
 *     address, so a tool that ignores HTTP_PROXY still lands on the proxy's
 *     transparent listeners (80 by Host, 443 by SNI); AAAA is the runner
 *     end's IPv6 address when the proxy listens on one (else an empty
 *     NOERROR); other types get an empty NOERROR answer;
 *   - a denied name -> NXDOMAIN and a deny event;
 *   - malformed -> FORMERR (or dropped when not even the header is there).
 * The pod never learns a real upstream address: the proxy resolves names
 * itself, on the runner's side, and checks every address it connects to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/socket.h>

#include "proxy.h"
#include "proxy_int.h"

#define DNS_MAX_PER_CONN 256 /* questions on one TCP connection */

/* Port of a normalized net pattern ("h:p", "[v6]:p", "*.d:p"), 0 if none. */
static uint16_t pattern_port(const char *pat)
{
	const char *colon;
	if (pat[0] == '[') {
		const char *rb = strchr(pat, ']');
		if (!rb || rb[1] != ':')
			return 0;
		colon = rb + 1;
	} else {
		colon = strchr(pat, ':');
		if (!colon || strchr(colon + 1, ':'))
			return 0; /* none, or a bare IPv6 address */
	}
	char *end;
	unsigned long v = strtoul(colon + 1, &end, 10);
	return (*end == '\0' && v > 0 && v < 65536) ? (uint16_t)v : 0;
}

/*
 * A name resolves when the policy would allow it on some port: first the
 * port-less decision, then each port that a non-deny rule names.
 */
int dns_decide_name(const struct proxy *px, const char *name, struct pol_decision *d)
{
	const struct pol_rule *rules;
	size_t n = 0;
	struct pol_decision first;
	int r = policy_decide_net(px->cfg.policy, name, 0, &first);
	if (r < 0)
		return r;
	*d = first;
	if (first.action != POL_DENY)
		return 0;
	if (policy_rules(px->cfg.policy, POL_NET, &rules, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint16_t port;
		if (rules[i].action == POL_DENY || !(port = pattern_port(rules[i].pattern)))
			continue;
		if (policy_decide_net(px->cfg.policy, name, port, d) == 0 && d->action != POL_DENY)
			return 0;
	}
	*d = first;
	return 0;
}

/* Answer one message. @return answer length, 0 to drop. */
static size_t dns_handle(struct proxy *px, const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
			 const struct sockaddr *client)
{
	struct proxy_dns_query q;
	struct pol_decision d;
	size_t n;
	int r = proxy_parse_dns(msg, len, &q);
	if (r < 0) {
		px->st.malformed++;
		if (len < 12)
			return 0; /* no header to answer with */
		n = px_dns_answer(msg, &q, r == -ENOTSUP ? 4 : 1, NULL, out, cap);
		px_emit_dns(px, &q, POL_DENY, "malformed",
			    r == -ENOTSUP ? "unsupported DNS query" : "malformed DNS query", len, n,
			    client);
		return n;
	}
	px->st.dns_queries++;
	if (q.name[0] == '\0' || dns_decide_name(px, q.name, &d) < 0) {
		n = px_dns_answer(msg, &q, 5, NULL, out, cap); /* REFUSED */
		px_emit_dns(px, &q, POL_DENY, "malformed", "name the policy cannot parse", len, n,
			    client);
		return n;
	}
	if (d.action == POL_DENY) {
		n = px_dns_answer(msg, &q, 3, NULL, out, cap); /* NXDOMAIN */
		px_emit_dns(px, &q, POL_DENY, d.rule, d.reason, len, n, client);
		return n;
	}
	if (q.qtype == 28 && px->v6)
		n = px_dns_answer6(msg, &q, &px->cfg.listen_addr6, out, cap);
	else
		n = px_dns_answer(msg, &q, 0, q.qtype == 1 ? &px->cfg.listen_addr : NULL, out, cap);
	px_emit_dns(px, &q, d.action, d.rule, d.reason, len, n, client);
	return n;
}

void dns_on_udp(struct proxy *px, struct pxfd *u)
{
	uint8_t in[PX_DNS_MAX_MSG + 1], out[PX_DNS_MAX_MSG + 64];
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		ssize_t n =
		    recvfrom(u->fd, in, sizeof(in), MSG_DONTWAIT, (struct sockaddr *)&sa, &sl);
		if (n < 0)
			return;
		size_t an = dns_handle(px, in, (size_t)n, out, sizeof(out), (struct sockaddr *)&sa);
		if (an)
			sendto(u->fd, out, an, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa,
			       sl);
	}
}

/* A TCP connection that broke the framing or the limit: one deny event, reset. */
static void dns_tcp_refuse(struct conn *c, const char *rule, const char *reason)
{
	struct proxy_dns_query q;
	memset(&q, 0, sizeof(q));
	if (!strcmp(rule, "malformed"))
		c->px->st.malformed++;
	px_emit_dns(c->px, &q, POL_DENY, rule, reason, pxbuf_len(&c->cin), 0,
		    (struct sockaddr *)&c->cli_addr);
	px_abort(c);
}

/* TCP: [u16 length][message] frames, answered in order. */
void dns_tcp_advance(struct conn *c)
{
	struct proxy *px = c->px;
	uint8_t out[PX_DNS_MAX_MSG + 64];
	int err = 0;
	/* 1. read while the output backlog is small */
	while (!c->cli_eof && pxbuf_len(&c->cout) < PX_DNS_BACKLOG) {
		uint32_t space = pxbuf_space(&c->cin);
		if (!space)
			break;
		ssize_t n = recv(c->cli.fd, c->cin.data + c->cin.end, space, MSG_DONTWAIT);
		if (n > 0) {
			c->cin.end += (uint32_t)n;
		} else if (n == 0) {
			c->cli_eof = 1;
		} else {
			if (errno != EAGAIN && errno != EINTR) {
				px_close(c);
				return;
			}
			break;
		}
	}
	/* 2. answer every complete message */
	while (pxbuf_len(&c->cin) >= 2 && pxbuf_len(&c->cout) < PX_DNS_BACKLOG) {
		const uint8_t *p = (const uint8_t *)pxbuf_ptr(&c->cin);
		size_t mlen = (size_t)p[0] << 8 | p[1];
		if (mlen < 12 || mlen > PX_DNS_MAX_MSG) {
			dns_tcp_refuse(c, "malformed", "bad DNS-over-TCP message length");
			return;
		}
		if (pxbuf_len(&c->cin) < mlen + 2)
			break; /* the rest of this message has not arrived yet */
		if (++c->nreq > DNS_MAX_PER_CONN) {
			dns_tcp_refuse(c, "limit", "too many DNS questions on one connection");
			return;
		}
		size_t an =
		    dns_handle(px, p + 2, mlen, out, sizeof(out), (struct sockaddr *)&c->cli_addr);
		pxbuf_consume(&c->cin, (uint32_t)mlen + 2);
		if (an) {
			uint8_t l[2] = { (uint8_t)(an >> 8), (uint8_t)an };
			if (pxbuf_append(&c->cout, l, 2) < 0 ||
			    pxbuf_append(&c->cout, out, an) < 0) {
				px_abort(c);
				return;
			}
		}
	}
	/* 3. write answers; close when the pod is done and everything is out */
	if (pxbuf_len(&c->cout))
		http_flush_out(&c->cli, &c->cout, &err);
	if (err || (c->cli_eof && !pxbuf_len(&c->cout))) {
		px_close(c);
		return;
	}
	px_set_deadline(c, px->lim.idle_timeout_ms);
}
