/*
 * http.c — the HTTP/1.1 connection state machine of the proxy.
 *
 * Layer 05 (proxy). Builds on http_parse.c (strict heads, chunked decoder),
 * resolve.c (names -> addresses), 04-policy (policy_decide_net/addr) and
 * tunnel.c (CONNECT and transparent TLS after the decision). Driven by
 * proxy.c's dispatch for connections on the explicit (3128) and transparent
 * HTTP (80) and TLS (443) listeners.
 *
 * One request's path:
 *
 *   CS_HEAD --parse--> decide name --deny--> 403 (CS_LOCAL) --> close
 *      |                   |allow/warn
 *      |                resolve (CS_RESOLVE) --> decide every address
 *      |                   |                      --all denied--> 403
 *      |                connect to a checked address (CS_CONNECT)
 *      |                   |
 *      |      CONNECT / TLS: tunnel.c       HTTP: CS_EXCHANGE
 *      |                                    request head rewritten (origin-form,
 *      |                                    hop-by-hop fields dropped), body
 *      |                                    streamed with its framing checked;
 *      |                                    response head rewritten, body
 *      +<---------- keep-alive -------------streamed; event; next request
 *
 * Bodies are never re-encoded: the bytes of a Content-Length or chunked body
 * are forwarded verbatim, and the decoders only find where the body ends, so
 * the proxy and the upstream always agree on message boundaries.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_int.h"

#define LINGER_MS 2000 /* how long a closing connection drains the client's input */

/* ---- socket I/O helpers ---------------------------------------------------- */

/* Read what is available into b. @return bytes read (0 if none); *eof on EOF;
 * -1 on a fatal socket error. */
static long read_into(struct pxfd *f, struct pxbuf *b, int *eof)
{
	long total = 0;
	while (!*eof) {
		uint32_t space = pxbuf_space(b);
		if (space == 0)
			break;
		ssize_t n = recv(f->fd, b->data + b->end, space, MSG_DONTWAIT);
		if (n > 0) {
			b->end += (uint32_t)n;
			total += n;
			if ((uint32_t)n < space)
				break;
			continue;
		}
		if (n == 0) {
			*eof = 1;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			break;
		return -1;
	}
	return total;
}

/* Send up to n bytes. @return bytes sent (0 if the socket is full), -1 fatal. */
static long send_some(int fd, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w >= 0)
		return w;
	return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
}

/*
 * Send a rewritten head (@p head, may be empty) and then the first @p *fwd
 * validated body bytes of @p body, in one sendmsg; consume what went out.
 * Head bytes were counted when the head was built; body bytes add to @p count.
 * @return 1 if anything was sent, 0 if the socket is full, -1 fatal.
 */
static int flush_pair(int fd, struct pxbuf *head, struct pxbuf *body, uint32_t *fwd,
		      uint64_t *count)
{
	struct iovec iov[2];
	int n = 0;
	uint32_t hl = pxbuf_len(head);
	if (hl)
		iov[n++] = (struct iovec){ pxbuf_ptr(head), hl };
	if (*fwd)
		iov[n++] = (struct iovec){ pxbuf_ptr(body), *fwd };
	if (n == 0)
		return 0;
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
	ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	uint32_t from_head = (size_t)w < hl ? (uint32_t)w : hl;
	uint32_t from_body = (uint32_t)w - from_head;
	pxbuf_consume(head, from_head);
	if (from_body) {
		pxbuf_consume(body, from_body);
		*fwd -= from_body;
		*count += from_body;
	}
	return w > 0;
}

int http_flush_out(struct pxfd *fd, struct pxbuf *b, int *err)
{
	long w = send_some(fd->fd, pxbuf_ptr(b), pxbuf_len(b));
	if (w < 0) {
		*err = 1;
		return 0;
	}
	pxbuf_consume(b, (uint32_t)w);
	return (int)w;
}

/* ---- request bookkeeping --------------------------------------------------- */

static void reset_request(struct conn *c)
{
	free(c->url);
	c->url = NULL;
	c->method[0] = c->host[0] = c->authority[0] = c->reason[0] = '\0';
	c->port = 0;
	c->action = POL_ALLOW;
	c->rule = NULL;
	c->status = 0;
	c->bytes_up = c->bytes_down = 0;
	c->event_done = 0;
	c->req_done = c->req_chunked = 0;
	c->req_left = 0;
	memset(&c->req_ck, 0, sizeof(c->req_ck));
	c->req_fwd = 0;
	c->client_close = c->is_head_req = c->ws_req = 0;
	c->resp_head_done = c->resp_done = 0;
	c->resp_frame = RF_NONE;
	c->resp_left = 0;
	memset(&c->resp_ck, 0, sizeof(c->resp_ck));
	c->resp_fwd = 0;
	c->resp_close = 0;
	c->naddr = c->ai = 0;
	c->peer[0] = '\0'; /* a deny of the next request names no upstream */
	c->head_scan = 0;
	c->t_start_us = px_now_us();
}

static void set_reason(struct conn *c, const char *r)
{
	snprintf(c->reason, sizeof(c->reason), "%s", r ? r : "");
}

/* Enter CS_LOCAL with a short text response; the connection closes after it. */
void http_local(struct conn *c, int status, const char *text, const char *body)
{
	char head[256];
	size_t blen = strlen(body);
	int n =
	    snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
		     status, text, blen);
	c->status = status;
	c->state = CS_LOCAL;
	c->up_idle = 0;
	px_close_up(c);
	pxbuf_free(&c->uout);
	if (pxbuf_append(&c->cout, head, (size_t)n) < 0 || pxbuf_append(&c->cout, body, blen) < 0) {
		px_abort(c);
		return;
	}
	c->bytes_down += (uint64_t)n + blen;
	px_set_deadline(c, c->px->lim.idle_timeout_ms);
}

/* Deny the current request: 403 naming the rule (HTTP, CONNECT) or a reset (TLS). */
static void deny(struct conn *c, const char *rule, const char *reason)
{
	char body[700], what[300];
	c->action = POL_DENY;
	c->rule = rule ? rule : "default";
	set_reason(c, reason);
	if (c->mode == CM_TLS) {
		px_emit(c, PROXY_SRC_PROXY, POL_DENY, c->rule, c->reason);
		px_abort(c);
		return;
	}
	snprintf(body, sizeof(body), "403 Forbidden: pod policy denies %s (rule: %s)\n%s%s",
		 px_what(c, what, sizeof(what)), c->rule, c->reason, c->reason[0] ? "\n" : "");
	http_local(c, 403, "Forbidden", body);
	px_emit(c, PROXY_SRC_PROXY, POL_DENY, c->rule, c->reason);
}

/* Input that never reached a decision: 400/431 (or a reset for TLS). */
static void malformed(struct conn *c, int status, const char *reason)
{
	c->px->st.malformed++;
	c->action = POL_DENY;
	c->rule = "malformed";
	set_reason(c, reason);
	if (c->mode == CM_TLS) {
		px_emit(c, PROXY_SRC_PROXY, POL_DENY, "malformed", reason);
		px_abort(c);
		return;
	}
	char body[256];
	snprintf(body, sizeof(body), "%d %s: %s\n", status,
		 status == 431 ? "Request Header Fields Too Large" : "Bad Request", reason);
	http_local(c, status, status == 431 ? "Request Header Fields Too Large" : "Bad Request",
		   body);
	px_emit(c, PROXY_SRC_PROXY, POL_DENY, "malformed", reason);
}

/* A decided request that failed upstream: 502/504, reported with its decision. */
static void upstream_failed(struct conn *c, int status, const char *reason)
{
	set_reason(c, reason);
	if (c->state == CS_HEAD || c->state == CS_RESOLVE || c->state == CS_CONNECT || c->up.fd < 0)
		c->peer[0] = '\0'; /* nothing was connected: no peer */
	if (c->mode == CM_TLS || c->status) {
		px_emit(c, PROXY_SRC_PROXY, c->action, c->rule, c->reason);
		px_abort(c);
		return;
	}
	char body[256];
	snprintf(body, sizeof(body), "%d: %s\n", status, reason);
	http_local(c, status, status == 504 ? "Gateway Timeout" : "Bad Gateway", body);
	px_emit(c, PROXY_SRC_PROXY, c->action, c->rule, c->reason);
}

/* ---- target parsing ------------------------------------------------------- */

/*
 * A host whose last label is a number ("2130706433", "0x7f000001", "127.1",
 * "0177.0.0.1") is an IPv4 address to some tools (inet_aton, getaddrinfo,
 * URL parsers) and a name to others (inet_pton, 04-policy). Only the canonical
 * dotted quad is accepted, so the host the policy decides and the event names
 * is the address that is used. @return 1 for such a non-canonical form.
 */
static int noncanonical_ipv4(const char *host)
{
	const char *last = strrchr(host, '.');
	struct in_addr a;
	last = last ? last + 1 : host;
	size_t n = strlen(last);
	int numeric = n > 0 && strspn(last, "0123456789") == n;
	if (!numeric && n >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
		numeric = strspn(last + 2, "0123456789abcdefABCDEF") == n - 2;
	return numeric && inet_pton(AF_INET, host, &a) != 1;
}

/* Validate a host name or IP literal (no brackets); copy lower-cased. */
static int valid_host(const char *s, size_t n, char *out)
{
	if (n > 0 && s[n - 1] == '.')
		n--; /* one trailing dot is the same name */
	if (n == 0 || n > 253)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];
		if (!(isalnum(ch) || ch == '-' || ch == '_' || ch == '.'))
			return -EINVAL;
		if (ch == '.' && (i == 0 || s[i - 1] == '.'))
			return -EINVAL;
		out[i] = (char)tolower(ch);
	}
	out[n] = '\0';
	return noncanonical_ipv4(out) ? -EINVAL : 0;
}

/* "host[:port]" or "[v6][:port]" -> host, port, authority. */
static int parse_authority(struct conn *c, const char *s, size_t n, int need_port, uint16_t defport)
{
	const char *port_s = NULL;
	size_t port_n = 0;
	if (n == 0 || n >= sizeof(c->authority))
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = memchr(s, ']', n);
		char tmp[64];
		struct in6_addr a6;
		size_t hl = rb ? (size_t)(rb - s - 1) : 0;
		if (!rb || hl == 0 || hl >= sizeof(tmp))
			return -EINVAL;
		memcpy(tmp, s + 1, hl);
		tmp[hl] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return -EINVAL;
		inet_ntop(AF_INET6, &a6, c->host, sizeof(c->host)); /* canonical form */
		size_t rest = n - (size_t)(rb - s) - 1;
		if (rest) {
			if (rb[1] != ':')
				return -EINVAL;
			port_s = rb + 2;
			port_n = rest - 1;
		}
	} else {
		const char *colon = memchr(s, ':', n);
		size_t hl = colon ? (size_t)(colon - s) : n;
		if (colon) {
			port_s = colon + 1;
			port_n = n - hl - 1;
			if (memchr(port_s, ':', port_n))
				return -EINVAL;
		}
		if (valid_host(s, hl, c->host) < 0)
			return -EINVAL;
	}
	if (port_s) {
		unsigned long v = 0;
		if (port_n == 0 || port_n > 5)
			return -EINVAL;
		for (size_t i = 0; i < port_n; i++) {
			if (!isdigit((unsigned char)port_s[i]))
				return -EINVAL;
			v = v * 10 + (unsigned long)(port_s[i] - '0');
		}
		if (v == 0 || v > 65535)
			return -EINVAL;
		c->port = (uint16_t)v;
	} else {
		if (need_port)
			return -EINVAL;
		c->port = defport;
	}
	memcpy(c->authority, s, n);
	c->authority[n] = '\0';
	return 0;
}

/* "http://authority/path?query" -> host, port, authority; *path_off set. */
static int parse_absolute(struct conn *c, const char *t, size_t n, size_t *path_off)
{
	if (n < 8 || strncasecmp(t, "http://", 7) != 0)
		return -EINVAL;
	if (memchr(t, '#', n))
		return -EINVAL;
	size_t a = 7, e = 7;
	while (e < n && t[e] != '/' && t[e] != '?')
		e++;
	if (memchr(t + a, '@', e - a))
		return -EINVAL; /* userinfo: refuse, it only serves to confuse */
	if (parse_authority(c, t + a, e - a, 0, 80) < 0)
		return -EINVAL;
	*path_off = e;
	return 0;
}

static const struct proxy_hdr *find_header(const struct conn *c, const char *buf,
					   const struct proxy_head *h, const char *name)
{
	(void)c;
	for (uint32_t i = 0; i < h->n_headers; i++)
		if (px_token_eq(buf + h->headers[i].name_off, h->headers[i].name_len, name))
			return &h->headers[i];
	return NULL;
}

/* ---- the decision ------------------------------------------------------------ */

static void on_addresses(struct conn *c);

static void decide(struct conn *c)
{
	struct pol_decision d;
	int r = policy_decide_net(c->px->cfg.policy, c->host, c->port, &d);
	if (r < 0) {
		malformed(c, 400, "the policy cannot parse this host");
		return;
	}
	if (d.action == POL_DENY) {
		deny(c, d.rule, d.reason);
		return;
	}
	c->action = d.action;
	c->rule = d.rule;
	set_reason(c, d.reason);
	r = resolve_start(c);
	if (r == 1) {
		c->state = CS_RESOLVE;
		px_set_deadline(c, c->px->lim.connect_timeout_ms);
		return;
	}
	http_on_resolved(c, r);
}

void http_on_resolved(struct conn *c, int err)
{
	if (c->dead)
		return;
	if (err < 0 || c->naddr == 0) {
		upstream_failed(c, 502, "the upstream name does not resolve");
		return;
	}
	on_addresses(c);
}

/* Same address (family, IP, port)? */
static int same_sa(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static void begin_exchange(struct conn *c);

/*
 * Check every resolved address with policy_decide_addr and keep only the
 * allowed ones, in order; the proxy will connect to one of exactly these.
 */
static void on_addresses(struct conn *c)
{
	struct pol_decision d;
	const char *deny_rule = NULL;
	char deny_reason[192] = "";
	int kept = 0;
	for (int i = 0; i < c->naddr; i++) {
		if (policy_decide_addr(c->px->cfg.policy, c->host, (struct sockaddr *)&c->addrs[i],
				       &d) < 0) {
			d.action = POL_DENY; /* an address the policy cannot judge is not used */
			d.rule = "default";
			snprintf(d.reason, sizeof(d.reason),
				 "address not understood by the policy");
		}
		hostaddr_check(c->px, (struct sockaddr *)&c->addrs[i], &d);
		if (d.action == POL_DENY) {
			if (!deny_rule) {
				deny_rule = d.rule;
				snprintf(deny_reason, sizeof(deny_reason), "%s", d.reason);
			}
			continue;
		}
		c->addrs[kept] = c->addrs[i];
		c->addr_action[kept] = d.action;
		c->addr_rule[kept] = d.rule;
		kept++;
	}
	c->naddr = kept;
	c->ai = 0;
	if (kept == 0) {
		deny(c, deny_rule, deny_reason[0] ? deny_reason : "every address is denied");
		return;
	}
	/* keep-alive: reuse the open upstream when it is one of the checked addresses */
	if (c->up.fd >= 0 && c->up_idle && c->up_port == c->port && !strcmp(c->up_host, c->host)) {
		for (int i = 0; i < kept; i++)
			if (same_sa(&c->addrs[i], &c->up_sa)) {
				c->ai = i;
				c->up_idle = 0;
				memcpy(c->peer, c->up_peer, sizeof(c->peer));
				if (c->addr_action[i] > c->action) {
					c->action = c->addr_action[i];
					c->rule = c->addr_rule[i];
				}
				begin_exchange(c);
				return;
			}
	}
	c->up_idle = 0;
	pxbuf_free(&c->uin);
	c->up_eof = 0;
	if (px_connect_next(c) < 0)
		http_on_connected(c);
}

void http_on_connected(struct conn *c)
{
	if (c->dead)
		return;
	if (c->up.fd < 0) {
		upstream_failed(c, 502, "the upstream refused the connection");
		return;
	}
	/* the address connected to may add a warn of its own */
	if (c->addr_action[c->ai] > c->action) {
		c->action = c->addr_action[c->ai];
		c->rule = c->addr_rule[c->ai];
	}
	c->up_sa = c->addrs[c->ai];
	memcpy(c->up_peer, c->peer, sizeof(c->up_peer));
	snprintf(c->up_host, sizeof(c->up_host), "%s", c->host);
	c->up_port = c->port;
	c->up_eof = 0;
	if (c->mode == CM_TLS || !strcmp(c->method, "CONNECT")) {
		if (tunnel_start(c) < 0)
			px_abort(c);
		return;
	}
	begin_exchange(c);
}

/* ---- request start ------------------------------------------------------------ */

static int field_has(const char *buf, const struct proxy_head *h, const char *name,
		     const char *token);

static void start_request(struct conn *c)
{
	const char *buf = pxbuf_ptr(&c->cin);
	const struct proxy_head *h = &c->head;
	const char *target = buf + h->target_off;
	size_t tlen = h->target_len, path_off = 0;
	c->nreq++;
	c->px->st.requests++;
	if (h->method_len >= sizeof(c->method)) {
		malformed(c, 400, "method too long");
		return;
	}
	memcpy(c->method, buf + h->method_off, h->method_len);
	c->method[h->method_len] = '\0';
	c->url = malloc(tlen + 320);
	if (!c->url) {
		px_abort(c);
		return;
	}
	c->url[0] = '\0';
	/* 1. where does the request go? */
	if (!strcmp(c->method, "CONNECT")) {
		if (c->mode != CM_EXPLICIT || parse_authority(c, target, tlen, 1, 0) < 0) {
			malformed(c, 400, "CONNECT needs host:port on the proxy port");
			return;
		}
		snprintf(c->url, tlen + 320, "%s", c->authority);
	} else if (tlen >= 7 && strncasecmp(target, "http://", 7) == 0) {
		if (parse_absolute(c, target, tlen, &path_off) < 0) {
			malformed(c, 400, "bad absolute-form URL");
			return;
		}
		memcpy(c->url, target, tlen);
		c->url[tlen] = '\0';
	} else if (c->mode == CM_HTTP && target[0] == '/') {
		const struct proxy_hdr *hh = find_header(c, buf, h, "host");
		if (!hh || parse_authority(c, buf + hh->value_off, hh->value_len, 0, 80) < 0) {
			malformed(c, 400, "transparent request without a valid Host");
			return;
		}
		snprintf(c->url, tlen + 320, "http://%s%.*s", c->authority, (int)tlen, target);
	} else {
		malformed(c, 400,
			  c->mode == CM_EXPLICIT
			      ? "the proxy needs absolute-form http:// URLs or CONNECT"
			      : "unsupported request target");
		return;
	}
	/* a WebSocket upgrade: a GET without a body asking for exactly that */
	c->ws_req = !strcmp(c->method, "GET") && !h->chunked && h->content_length <= 0 &&
		    field_has(buf, h, "upgrade", "websocket") &&
		    field_has(buf, h, "connection", "upgrade");
	/* 2. decide, resolve, connect (continues asynchronously) */
	decide(c);
}

/* The hop-by-hop fields of a WebSocket upgrade, sent on by the proxy itself
 * (RFC 6455 section 4: the upgrade is decided like the request, then the
 * connection becomes a tunnel). */
#define WS_FIELDS "Connection: Upgrade\r\nUpgrade: websocket\r\n"

/* Does a comma-separated field value hold @p token (case-insensitive)? */
static int has_token(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token), p = 0;
	while (p < n) {
		while (p < n && (v[p] == ',' || v[p] == ' ' || v[p] == '\t'))
			p++;
		size_t s = p;
		while (p < n && v[p] != ',' && v[p] != ' ' && v[p] != '\t')
			p++;
		if (p - s == tl && strncasecmp(v + s, token, tl) == 0)
			return 1;
	}
	return 0;
}

/* Every field @p name of the head holds @p token in one of them? */
static int field_has(const char *buf, const struct proxy_head *h, const char *name,
		     const char *token)
{
	for (uint32_t i = 0; i < h->n_headers; i++) {
		const struct proxy_hdr *f = &h->headers[i];
		if (px_token_eq(buf + f->name_off, f->name_len, name) &&
		    has_token(buf + f->value_off, f->value_len, token))
			return 1;
	}
	return 0;
}

static int is_hop_by_hop(const char *name, size_t n)
{
	static const char *const hop[] = {
		"connection",         "keep-alive", "proxy-connection", "proxy-authorization",
		"proxy-authenticate", "te",         "upgrade",          "host"
	};
	for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++)
		if (px_token_eq(name, n, hop[i]))
			return 1;
	return 0;
}

/* Is the field named in a Connection header (so hop-by-hop too)? */
static int named_in_connection(const char *buf, const struct proxy_head *h, const char *name,
			       size_t n)
{
	for (uint32_t i = 0; i < h->n_headers; i++) {
		const struct proxy_hdr *f = &h->headers[i];
		if (!px_token_eq(buf + f->name_off, f->name_len, "connection"))
			continue;
		const char *v = buf + f->value_off;
		size_t p = 0;
		while (p < f->value_len) {
			while (p < f->value_len && (v[p] == ',' || v[p] == ' ' || v[p] == '\t'))
				p++;
			size_t s = p;
			while (p < f->value_len && v[p] != ',' && v[p] != ' ' && v[p] != '\t')
				p++;
			if (p > s && p - s == n && strncasecmp(v + s, name, n) == 0)
				return 1;
		}
	}
	return 0;
}

/* The fields that frame the message. The proxy frames the body by them, so
 * they always travel with it: a Connection header naming one of them cannot
 * strip it (the upstream would see a body without framing, and read it as the
 * next request: request smuggling). */
static int is_framing(const char *name, size_t n)
{
	return px_token_eq(name, n, "content-length") || px_token_eq(name, n, "transfer-encoding");
}

/* Copy the end-to-end fields of a head into out. */
static int copy_fields(struct pxbuf *out, const char *buf, const struct proxy_head *h)
{
	for (uint32_t i = 0; i < h->n_headers; i++) {
		const struct proxy_hdr *f = &h->headers[i];
		const char *name = buf + f->name_off;
		if (is_hop_by_hop(name, f->name_len) ||
		    (!is_framing(name, f->name_len) &&
		     named_in_connection(buf, h, name, f->name_len)))
			continue;
		if (pxbuf_append(out, name, f->name_len) < 0 || pxbuf_append(out, ": ", 2) < 0 ||
		    pxbuf_append(out, buf + f->value_off, f->value_len) < 0 ||
		    pxbuf_append(out, "\r\n", 2) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Request head for the upstream: origin-form, our Host, no hop-by-hop fields. */
static int build_upstream_head(struct conn *c)
{
	const char *buf = pxbuf_ptr(&c->cin);
	const struct proxy_head *h = &c->head;
	const char *target = buf + h->target_off;
	size_t tlen = h->target_len, off = 0;
	char line[64];
	if (tlen >= 7 && strncasecmp(target, "http://", 7) == 0) {
		off = 7;
		while (off < tlen && target[off] != '/' && target[off] != '?')
			off++;
	}
	const char *path = target + off;
	size_t plen = tlen - off;
	int r = pxbuf_append(&c->uout, c->method, strlen(c->method));
	r = r ?: pxbuf_append(&c->uout, " ", 1);
	if (plen == 0 || path[0] == '?')
		r = r ?: pxbuf_append(&c->uout, "/", 1);
	r = r ?: pxbuf_append(&c->uout, path, plen);
	snprintf(line, sizeof(line), " HTTP/1.%d\r\nHost: ", h->version_minor);
	r = r ?: pxbuf_append(&c->uout, line, strlen(line));
	r = r ?: pxbuf_append(&c->uout, c->authority, strlen(c->authority));
	r = r ?: pxbuf_append(&c->uout, "\r\n", 2);
	r = r ?: copy_fields(&c->uout, buf, h);
	if (c->ws_req)
		r = r ?: pxbuf_append(&c->uout, WS_FIELDS, sizeof(WS_FIELDS) - 1);
	r = r ?: pxbuf_append(&c->uout, "\r\n", 2);
	return r;
}

static void exchange_step(struct conn *c);

static void begin_exchange(struct conn *c)
{
	const struct proxy_head *h = &c->head;
	if (build_upstream_head(c) < 0) {
		px_abort(c);
		return;
	}
	c->bytes_up += pxbuf_len(&c->uout);
	pxbuf_consume(&c->cin, h->head_len);
	c->req_chunked = h->chunked;
	c->req_left = h->content_length > 0 ? h->content_length : 0;
	c->req_done = !h->chunked && c->req_left == 0;
	c->req_fwd = 0;
	c->client_close = h->conn_close;
	c->is_head_req = !strcmp(c->method, "HEAD");
	if (pxbuf_reserve(&c->uin, c->cin.cap) < 0) {
		px_abort(c);
		return;
	}
	c->state = CS_EXCHANGE;
	px_set_deadline(c, c->px->lim.idle_timeout_ms);
	exchange_step(c);
}

/* ---- the exchange: body up, response down ------------------------------------- */

/* Find how much of the unscanned input belongs to the body. @return -1 bad framing. */
static int scan_body(struct pxbuf *b, uint32_t *fwd, int chunked, int64_t *left,
		     struct proxy_chunked *ck, int *done, uint32_t max_line)
{
	uint32_t avail = pxbuf_len(b) - *fwd;
	if (*done || avail == 0)
		return 0;
	if (chunked) {
		long r = proxy_chunked_feed(ck, pxbuf_ptr(b) + *fwd, avail, max_line);
		if (r < 0)
			return -1;
		*fwd += (uint32_t)r;
		*done = ck->done;
	} else {
		uint64_t take = avail < (uint64_t)*left ? avail : (uint64_t)*left;
		*fwd += (uint32_t)take;
		*left -= (int64_t)take;
		*done = *left == 0;
	}
	return 0;
}

/*
 * 101 Switching Protocols: only as the answer to a WebSocket upgrade the pod
 * asked for (the decision was made on the request), and only to "websocket".
 * The rewritten head goes to the pod; from here on the connection is a tunnel
 * (tunnel.c), which ends the request's event with its byte counts.
 * @return -1: the exchange is over (tunnel, or failure).
 */
static int switch_protocols(struct conn *c, const char *buf, const struct proxy_head *rh)
{
	if (!c->ws_req || !field_has(buf, rh, "upgrade", "websocket") || c->req_fwd ||
	    pxbuf_len(&c->uout)) {
		upstream_failed(c, 502,
				"the upstream switched protocols without a WebSocket upgrade");
		return -1;
	}
	const char *eol = memchr(buf, '\r', rh->head_len);
	size_t before = pxbuf_len(&c->cout);
	int e = pxbuf_append(&c->cout, buf, (size_t)(eol - buf) + 2);
	e = e ?: copy_fields(&c->cout, buf, rh);
	e = e ?: pxbuf_append(&c->cout, WS_FIELDS "\r\n", sizeof(WS_FIELDS) + 1);
	if (e < 0) {
		px_abort(c);
		return -1;
	}
	c->bytes_down += pxbuf_len(&c->cout) - before;
	pxbuf_consume(&c->uin, rh->head_len);
	c->status = 101;
	c->resp_head_done = 1;
	c->up_idle = 0;
	if (tunnel_upgrade(c) < 0)
		px_abort(c);
	return -1;
}

/* Response head from the upstream -> rewritten head for the client. */
static int handle_response_head(struct conn *c)
{
	struct proxy_head rh;
	const struct proxy_limits *l = &c->px->lim;
	int r = proxy_parse_head(pxbuf_ptr(&c->uin), pxbuf_len(&c->uin), 1, l->max_headers,
				 l->max_line, &rh);
	if (r == 0) {
		if (pxbuf_len(&c->uin) >= l->max_head_bytes || c->up_eof) {
			upstream_failed(c, 502, "the upstream sent no valid response head");
			return -1;
		}
		return 0;
	}
	const char *buf = pxbuf_ptr(&c->uin);
	if (r > 0 && rh.status == 101)
		return switch_protocols(c, buf, &rh);
	if (r < 0) {
		upstream_failed(c, 502, "the upstream sent a malformed response head");
		return -1;
	}
	int interim = rh.status < 200;
	if (!interim) {
		c->status = rh.status;
		if (c->is_head_req || rh.status == 204 || rh.status == 304)
			c->resp_frame = RF_NONE;
		else if (rh.chunked)
			c->resp_frame = RF_CHUNKED;
		else if (rh.content_length >= 0)
			c->resp_frame = rh.content_length ? RF_LENGTH : RF_NONE;
		else
			c->resp_frame = RF_CLOSE;
		c->resp_left = rh.content_length > 0 ? rh.content_length : 0;
		c->resp_close = c->client_close || c->resp_frame == RF_CLOSE ||
				c->nreq >= l->max_requests || rh.conn_close;
		/* the upstream says it closes: the client connection may stay */
		if (rh.conn_close && !c->client_close && c->resp_frame != RF_CLOSE &&
		    c->nreq < l->max_requests)
			c->resp_close = 0;
		c->up_idle = !rh.conn_close && c->resp_frame != RF_CLOSE; /* reusable later */
	}
	/* status line verbatim, end-to-end fields, our Connection field */
	const char *eol = memchr(buf, '\r', rh.head_len);
	size_t before = pxbuf_len(&c->cout);
	int e = pxbuf_append(&c->cout, buf, (size_t)(eol - buf) + 2);
	e = e ?: copy_fields(&c->cout, buf, &rh);
	if (!interim && c->resp_close)
		e = e ?: pxbuf_append(&c->cout, "Connection: close\r\n", 19);
	else if (!interim && c->head.version_minor == 0)
		e = e ?: pxbuf_append(&c->cout, "Connection: keep-alive\r\n", 24);
	e = e ?: pxbuf_append(&c->cout, "\r\n", 2);
	if (e < 0) {
		px_abort(c);
		return -1;
	}
	c->bytes_down += pxbuf_len(&c->cout) - before;
	pxbuf_consume(&c->uin, rh.head_len);
	if (!interim) {
		c->resp_head_done = 1;
		c->resp_done = c->resp_frame == RF_NONE;
	}
	return 1;
}

/* The request/response pair is over: report, then keep-alive or close. */
static void finish_request(struct conn *c)
{
	int clean = c->req_done && c->req_fwd == 0 && pxbuf_len(&c->uout) == 0;
	int leftovers = pxbuf_len(&c->uin) > 0; /* upstream sent more than its framing said */
	px_emit(c, PROXY_SRC_PROXY, c->action, c->rule, c->reason);
	if (leftovers || !clean || c->up_eof)
		c->up_idle = 0;
	if (!c->up_idle)
		px_close_up(c);
	if (c->resp_close || !clean || c->cli_eof) {
		c->state = CS_LOCAL; /* nothing left to send: drain and close */
		px_set_deadline(c, LINGER_MS);
		return;
	}
	reset_request(c);
	c->state = CS_HEAD;
	px_set_deadline(c, pxbuf_len(&c->cin) ? c->px->lim.head_timeout_ms
					      : c->px->lim.idle_timeout_ms);
}

/* Move bytes both ways until nothing moves. @return 1 if anything happened. */
static int exchange_io(struct conn *c)
{
	int moved = 0, err = 0;
	const struct proxy_limits *l = &c->px->lim;
	/* client -> upstream: body bytes */
	if (!c->req_done && !c->cli_eof) {
		long n = read_into(&c->cli, &c->cin, &c->cli_eof);
		if (n < 0) {
			set_reason(c, "the pod reset the connection");
			px_abort(c);
			return -1;
		}
		moved |= n > 0;
	}
	if (scan_body(&c->cin, &c->req_fwd, c->req_chunked, &c->req_left, &c->req_ck, &c->req_done,
		      l->max_line) < 0) {
		if (c->status || pxbuf_len(&c->cout)) { /* a response is already under way */
			set_reason(c, "bad chunked request body");
			px_emit(c, PROXY_SRC_PROXY, c->action, c->rule, c->reason);
			px_abort(c);
		} else {
			malformed(c, 400, "bad chunked request body");
		}
		return -1;
	}
	int w = flush_pair(c->up.fd, &c->uout, &c->cin, &c->req_fwd, &c->bytes_up);
	if (w < 0)
		err = 1;
	moved |= w > 0;
	/* upstream -> client */
	if (!c->up_eof) {
		long n = read_into(&c->up, &c->uin, &c->up_eof);
		if (n < 0)
			c->up_eof = 1; /* reset by the upstream: treated as an early EOF */
		moved |= n != 0;
	}
	if (err && !c->resp_head_done) {
		upstream_failed(c, 502, "the upstream closed while receiving the request");
		return -1;
	}
	return moved;
}

/* Parse the response head(s) and find the body bytes that may go to the client.
 * @return 1 if anything was parsed, 0 if not, -1 if the connection ended. */
static int response_step(struct conn *c)
{
	int moved = 0, backlog = 0;
	/* 1. the head (and any interim 1xx before it); a new head is parsed only
	 * once the earlier ones reached the pod, so an upstream sending endless 1xx
	 * to a pod that does not read costs at most one head of memory */
	while (!c->resp_head_done && pxbuf_len(&c->uin)) {
		if (pxbuf_len(&c->cout) >= c->px->lim.max_head_bytes) {
			backlog = 1;
			break;
		}
		int r = handle_response_head(c);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		moved = 1;
	}
	if (!c->resp_head_done && c->up_eof && !backlog) {
		upstream_failed(c, 502, "the upstream closed without a response");
		return -1;
	}
	if (!c->resp_head_done || c->resp_done)
		return moved;
	/* 2. the body: how much of uin is this response's */
	if (c->resp_frame == RF_CLOSE) {
		c->resp_fwd = pxbuf_len(&c->uin);
		c->resp_done = c->up_eof;
	} else if (scan_body(&c->uin, &c->resp_fwd, c->resp_frame == RF_CHUNKED, &c->resp_left,
			     &c->resp_ck, &c->resp_done, c->px->lim.max_line) < 0) {
		set_reason(c, "the upstream sent a bad chunked body");
		px_emit(c, PROXY_SRC_PROXY, c->action, c->rule, c->reason);
		px_abort(c);
		return -1;
	}
	if (!c->resp_done && c->up_eof && c->resp_fwd == pxbuf_len(&c->uin)) {
		/* report now; what we have is flushed, then the close shows the truncation */
		set_reason(c, "the upstream closed in the middle of the body");
		px_emit(c, PROXY_SRC_PROXY, c->action, c->rule, c->reason);
	}
	return moved;
}

static void exchange_step(struct conn *c)
{
	for (int guard = 0; guard < 64 && !c->dead && c->state == CS_EXCHANGE; guard++) {
		/* 1. move bytes: request body up, response bytes in */
		int moved = exchange_io(c);
		if (moved < 0 || c->dead)
			return;
		/* 2. make sense of the response */
		int r = response_step(c);
		if (r < 0)
			return;
		moved |= r;
		/* 3. flush to the client: rewritten head first, then body bytes */
		int w = flush_pair(c->cli.fd, &c->cout, &c->uin, &c->resp_fwd, &c->bytes_down);
		moved |= w > 0;
		if (w < 0) {
			set_reason(c, "the pod closed the connection");
			px_close(c);
			return;
		}
		/* 4. the end: truncated, complete, or abandoned by the pod */
		if (c->event_done && !c->resp_done && c->up_eof && !c->resp_fwd &&
		    !pxbuf_len(&c->cout)) {
			px_abort(c); /* the truncated body has been relayed */
			return;
		}
		if (c->resp_done && !c->resp_fwd && !pxbuf_len(&c->cout)) {
			finish_request(c);
			return;
		}
		if (c->cli_eof && !c->req_done) {
			set_reason(c, "the pod closed before the request body ended");
			px_abort(c);
			return;
		}
		if (!moved)
			return;
		px_set_deadline(c, c->px->lim.idle_timeout_ms);
	}
}

/* ---- TLS: the ClientHello decides --------------------------------------------- */

/*
 * A lower bound of the bytes the ClientHello needs, read from the first record
 * (type 22, at least the 4-byte handshake header in it): until that many bytes
 * are here, parsing cannot succeed, so a hello dribbled in is parsed about
 * once, not once per read. 0 when the first bytes do not allow the estimate.
 */
static size_t hello_need(const uint8_t *b, size_t n)
{
	if (n < 9 || b[0] != 22 || ((size_t)b[3] << 8 | b[4]) < 4 || b[5] != 1)
		return 0;
	size_t hs = (size_t)b[6] << 16 | (size_t)b[7] << 8 | b[8];
	return hs <= 16384 ? 9 + hs : 0; /* over sni.c's 16 KiB: the parser refuses it now */
}

static void tls_head(struct conn *c)
{
	char name[256];
	int r = 0;
	size_t need = hello_need((const uint8_t *)pxbuf_ptr(&c->cin), pxbuf_len(&c->cin));
	if (!need || pxbuf_len(&c->cin) >= need)
		r = proxy_parse_sni((const uint8_t *)pxbuf_ptr(&c->cin), pxbuf_len(&c->cin), name,
				    sizeof(name));
	if (r == 0) {
		if (pxbuf_len(&c->cin) >= c->cin.cap)
			malformed(c, 0, "ClientHello too large");
		else if (c->cli_eof)
			px_close(c);
		return;
	}
	c->nreq++;
	c->px->st.requests++;
	snprintf(c->method, sizeof(c->method), "TLS");
	if (r < 0) {
		malformed(c, 0,
			  r == -ENOENT ? "TLS ClientHello without SNI" : "not a TLS ClientHello");
		return;
	}
	if (noncanonical_ipv4(name)) {
		malformed(c, 0, "SNI is a non-canonical IPv4 address form");
		return;
	}
	snprintf(c->host, sizeof(c->host), "%s", name);
	c->port = 443;
	snprintf(c->authority, sizeof(c->authority), "%s", name);
	c->url = malloc(300);
	if (!c->url) {
		px_abort(c);
		return;
	}
	snprintf(c->url, 300, "%s:443", name);
	decide(c);
}

/* ---- the driver ------------------------------------------------------------------ */

/*
 * HTTP/2 with prior knowledge (cleartext "h2c" without an upgrade) is refused
 * in its own language: a SETTINGS frame, then RST_STREAM of the client's first
 * stream (always 1) with HTTP_1_1_REQUIRED (RFC 9113 section 7), and close.
 * Clients name the code ("HTTP/2 stream 1 was not closed cleanly:
 * HTTP_1_1_REQUIRED"), and those that know it (curl) retry in HTTP/1.1, which
 * is then decided like any request. h2 inside TLS (CONNECT or the transparent
 * 443 listener) is relayed like any TLS.
 * @return 1 when the input was (or may yet be) that preface.
 */
static int h2_preface(struct conn *c)
{
	static const char pri[] = "PRI * HTTP/2.0\r\n";
	static const uint8_t frames[] = {
		0, 0, 0, 4, 0, 0, 0, 0, 0,               /* SETTINGS, empty */
		0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0xd, /* RST_STREAM 1 HTTP_1_1_REQUIRED */
	};
	size_t n = pxbuf_len(&c->cin), k = n < sizeof(pri) - 1 ? n : sizeof(pri) - 1;
	if (memcmp(pxbuf_ptr(&c->cin), pri, k) != 0)
		return 0;
	if (k < sizeof(pri) - 1)
		return 1; /* maybe; wait for more (the head timeout still runs) */
	c->nreq++;
	c->px->st.requests++;
	c->px->st.malformed++;
	snprintf(c->method, sizeof(c->method), "PRI");
	c->action = POL_DENY;
	c->rule = "malformed";
	set_reason(c, "HTTP/2 with prior knowledge is not relayed (answered HTTP_1_1_REQUIRED)");
	c->state = CS_LOCAL;
	if (pxbuf_append(&c->cout, frames, sizeof(frames)) < 0) {
		px_abort(c);
		return 1;
	}
	c->bytes_down += sizeof(frames);
	px_set_deadline(c, c->px->lim.idle_timeout_ms);
	px_emit(c, PROXY_SRC_PROXY, POL_DENY, "malformed", c->reason);
	return 1;
}

static void head_step(struct conn *c)
{
	const struct proxy_limits *l = &c->px->lim;
	int was_empty = pxbuf_len(&c->cin) == 0;
	if (!c->cli_eof && read_into(&c->cli, &c->cin, &c->cli_eof) < 0) {
		px_close(c);
		return;
	}
	if (was_empty && pxbuf_len(&c->cin))
		px_set_deadline(c, l->head_timeout_ms); /* the head's clock starts */
	/* an idle kept-alive upstream that speaks or closes is dropped (looked at
	 * only when its fd reported something: no syscall per request) */
	if (c->up_idle && c->up.fd >= 0 && c->up_event) {
		char tmp[256];
		ssize_t n = recv(c->up.fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR)) {
			px_close_up(c);
			c->up_idle = 0;
		}
	}
	if (pxbuf_len(&c->cin) == 0) {
		if (c->cli_eof)
			px_close(c);
		return;
	}
	if (c->mode == CM_TLS) {
		tls_head(c);
		return;
	}
	if (h2_preface(c))
		return;
	/* 1. cheap, resumable: is the head complete (or broken) yet? A head sent a
	 * few bytes per read is scanned once, not once per read */
	int r = px_head_scan(pxbuf_ptr(&c->cin), pxbuf_len(&c->cin), &c->head_scan, l->max_line);
	/* 2. the full parse, once */
	if (r != 0)
		r = proxy_parse_head(pxbuf_ptr(&c->cin), pxbuf_len(&c->cin), 0, l->max_headers,
				     l->max_line, &c->head);
	if (r == 0) {
		if (pxbuf_len(&c->cin) >= l->max_head_bytes)
			malformed(c, 431, "request head too large");
		else if (c->cli_eof)
			px_close(c);
		return;
	}
	if (r < 0) {
		if (r == -E2BIG)
			malformed(c, 431, "request head over a limit");
		else
			malformed(c, 400,
				  r == -EPROTO ? "ambiguous message framing"
					       : "malformed request head");
		return;
	}
	if ((uint32_t)r > l->max_head_bytes) {
		malformed(c, 431, "request head too large");
		return;
	}
	start_request(c);
}

/* CS_LOCAL: flush our response, half-close, drain the client, close. */
static void local_step(struct conn *c)
{
	int err = 0;
	char sink[4096];
	for (int i = 0; i < 16 && !c->cli_eof; i++) {
		ssize_t n = recv(c->cli.fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0)
			c->cli_eof = 1;
		if (n <= 0)
			break;
	}
	if (pxbuf_len(&c->cout))
		http_flush_out(&c->cli, &c->cout, &err);
	if (err) {
		px_close(c);
		return;
	}
	if (pxbuf_len(&c->cout))
		return;
	if (!c->shut_wr) {
		/* HTTP/2 refused: no FIN after RST_STREAM (a client that sees the
		 * end of the connection with it may report an empty reply instead
		 * of retrying); the client closes, or the linger time ends it */
		if (!strcmp(c->method, "PRI")) {
			c->shut_wr = 1;
			px_set_deadline(c, LINGER_MS);
			return;
		}
		shutdown(c->cli.fd, SHUT_WR);
		c->shut_wr = 1;
		px_set_deadline(c, LINGER_MS);
	}
	if (c->cli_eof)
		px_close(c);
}

void http_advance(struct conn *c)
{
	for (int guard = 0; guard < 16 && !c->dead; guard++) {
		enum cstate before = c->state;
		uint32_t nreq = c->nreq;
		switch (c->state) {
		case CS_HEAD:
			head_step(c);
			break;
		case CS_RESOLVE:
		case CS_CONNECT:
			/* keep buffering the client's body; notice it leaving */
			if (read_into(&c->cli, &c->cin, &c->cli_eof) < 0 ||
			    (c->cli_eof && !pxbuf_len(&c->cin))) {
				set_reason(c, "the pod closed before the upstream answered");
				px_close(c);
			}
			break;
		case CS_EXCHANGE:
			exchange_step(c);
			break;
		case CS_LOCAL:
			local_step(c);
			break;
		case CS_TUNNEL:
			tunnel_advance(c);
			break;
		}
		/* again while the state moves (a finished request may leave the
		 * next, pipelined one in cin) */
		if (c->dead || (c->state == before && c->nreq == nreq))
			break;
	}
}

void http_timeout(struct conn *c)
{
	switch (c->state) {
	case CS_HEAD:
		if (pxbuf_len(&c->cin) == 0) {
			px_close(c); /* idle keep-alive connection */
			return;
		}
		if (c->mode == CM_TLS) {
			malformed(c, 0, "ClientHello timeout");
			return;
		}
		c->px->st.malformed++;
		c->action = POL_DENY;
		c->rule = "limit";
		set_reason(c, "request head timeout");
		http_local(c, 408, "Request Timeout", "408 Request Timeout\n");
		px_emit(c, PROXY_SRC_PROXY, POL_DENY, "limit", c->reason);
		return;
	case CS_RESOLVE:
	case CS_CONNECT:
		resolve_cancel(c);
		upstream_failed(c, 504, "the upstream did not answer in time");
		return;
	case CS_EXCHANGE:
		if (!c->resp_head_done && !pxbuf_len(&c->cout))
			upstream_failed(c, 504, "the upstream did not answer in time");
		else {
			set_reason(c, "idle timeout");
			px_abort(c);
		}
		return;
	default:
		px_close(c);
	}
}
