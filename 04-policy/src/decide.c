/*
 * decide.c — the decisions: policy_decide, policy_decide_net, policy_decide_addr.
 *
 * Layer 04 (policy). Builds on lookup.c (the structures) and norm.c (requests
 * are normalized exactly like rules). Used by 05-proxy (every connection and
 * every resolved address) and 07-runner (spawn time, queries from the pod).
 *
 * Requests are hostile (they carry what the pod chose): bounded, normalized into
 * stack buffers, never allocating; reasons are built by a bounded appender.
 * Everything here only reads the policy: any number of threads may decide at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* ---------------------------------------------------------------- path lookup */

/* @p path is normalized. The deepest node on the way that carries a rule wins. */
static struct best ptrie_find(const struct ptrie *t, const char *path)
{
	struct best b = t->node[0];
	uint32_t node = 0;
	const char *s = path;

	while (*s) {
		const char *c = s + 1, *e = strchrnul(c, '/');
		uint32_t len = (uint32_t)(e - c);
		if (len == 0)
			break;
		uint32_t v = hmap_get(&t->edges, node, c, len);
		if (v == UINT32_MAX)
			break;
		node = EDGE_NODE(v);
		if (v & EDGE_FLAG)
			b = t->node[node];
		s = e;
	}
	return b;
}

/* ---------------------------------------------------------------- reasons */

/* A bounded string builder: the decision fast path must not pay for snprintf. */
struct rs {
	char *b;
	size_t n, cap;
};

static void rs_put(struct rs *r, const char *s)
{
	size_t l = strlen(s);

	if (l > r->cap - 1 - r->n)
		l = r->cap - 1 - r->n;
	memcpy(r->b + r->n, s, l);
	r->n += l;
	r->b[r->n] = '\0';
}

static void rs_num(struct rs *r, unsigned v)
{
	char t[12];
	int i = 11;

	t[i] = '\0';
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	rs_put(r, t + i);
}

static void decide_fill(struct pol_decision *out, const struct policy *p, enum pol_cat c,
			struct best b, const char *what, int port)
{
	struct rs r = { out->reason, 0, sizeof(out->reason) };

	out->reason[0] = '\0';
	rs_put(&r, what);
	if (port > 0) {
		rs_put(&r, ":");
		rs_num(&r, (unsigned)port);
	}
	if (b.rule) {
		out->action = (enum pol_action)b.action;
		out->rule = b.rule;
		rs_put(&r, " matches ");
		rs_put(&r, policy_action_name(out->action));
		rs_put(&r, " rule `");
		rs_put(&r, b.rule);
		rs_put(&r, "`");
	} else {
		out->action = p->cat[c].def;
		out->rule = "default";
		rs_put(&r, ": no ");
		rs_put(&r, policy_cat_name(c));
		rs_put(&r, " rule matches; the default is ");
		rs_put(&r, policy_action_name(out->action));
	}
}

/* ---------------------------------------------------------------- net matching */

/* Sets that match a request, most specific first; n of them. sp[i] is the port
 * array of the table that owns s[i] (the host trie or the IP table). */
struct setlist {
	const struct nset *s[132];
	const struct nport *sp[132];
	int n;
};

/* The rule of one set for @p port: explicit port first, then any-port. port < 0: unnamed port. */
static struct best set_match(const struct nset *s, const struct nport *ports, int port)
{
	if (port > 0 && s->port_n) {
		size_t lo = s->port_off, hi = (size_t)s->port_off + s->port_n;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (ports[mid].port == port)
				return ports[mid].b;
			if (ports[mid].port < port)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return s->any;
}

static struct best list_eval(const struct setlist *l, int port)
{
	struct best none = { 0 };

	for (int i = 0; i < l->n; i++) {
		struct best b = set_match(l->s[i], l->sp[i], port);
		if (b.rule)
			return b;
	}
	return none;
}

/*
 * Port 0 means "unknown" (a DNS answer, a name without a port): the answer is the
 * most permissive one over every port, i.e. "could this name be used at all?".
 * The proxy decides again with the real port when the connection comes.
 */
static struct best list_decide(const struct setlist *l, int port, enum pol_action def, int *pport)
{
	struct best b, cand;

	*pport = port;
	if (port > 0)
		return list_eval(l, port);
	b = list_eval(l, -1);
	for (int i = 0; i < l->n; i++) {
		const struct nset *s = l->s[i];
		for (uint32_t j = 0; j < s->port_n; j++) {
			int pt = l->sp[i][s->port_off + j].port;
			cand = list_eval(l, pt);
			enum pol_action ca = cand.rule ? (enum pol_action)cand.action : def;
			enum pol_action ba = b.rule ? (enum pol_action)b.action : def;
			if (ca < ba) {
				b = cand;
				*pport = pt;
			}
		}
	}
	return b;
}

/* Collect the host sets matching normalized @p host: exact first, then wildcards deepest first. */
static void ntrie_collect(const struct ntrie *t, const char *host, size_t hlen, struct setlist *l)
{
	const struct nset *wild[130];
	const char *end = host + hlen;
	uint32_t node = 0;
	int nw = 0;

	l->n = 0;
	if (!t->nnode)
		return;
	while (end > host) {
		const char *b = end;
		while (b > host && b[-1] != '.')
			b--;
		uint32_t v = hmap_get(&t->edges, node, b, (uint32_t)(end - b));
		if (v == UINT32_MAX)
			break;
		node = EDGE_NODE(v);
		if (b == host) { /* all labels consumed: exact rules apply */
			l->sp[l->n] = t->ports;
			l->s[l->n++] = &t->node[node].exact;
			break;
		}
		if ((v & EDGE_FLAG) && nw < 130)
			wild[nw++] = &t->node[node].wild; /* "*.suffix" matches: labels remain */
		end = b - 1;
	}
	while (nw > 0 && l->n < 132) {
		l->sp[l->n] = t->ports;
		l->s[l->n++] = wild[--nw];
	}
}

/* Collect IP/CIDR entries containing @p ip, longest prefix first (minimum length @p minlen). */
static void iptab_collect(const struct iptab *t, const uint8_t ip[16], int minlen,
			  struct setlist *l, int plens[])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t k[16];

	l->n = 0;
	if (!t->nent)
		return;
	if (memcmp(ip, mapped, 12) == 0 && minlen < 96)
		minlen = 96; /* IPv4: only IPv4 rules (an IPv6 ::/0 is not meant for IPv4) */
	for (int L = 128; L >= minlen; L--) {
		if (!(t->lens[L / 64] >> (L % 64) & 1))
			continue;
		mask16(k, ip, (unsigned)L);
		uint32_t e = hmap_get(&t->map, (uint32_t)L, (const char *)k, 16);
		if (e != UINT32_MAX && l->n < 132) {
			plens[l->n] = L;
			l->sp[l->n] = t->ports;
			l->s[l->n++] = &t->ent[e];
		}
	}
}

/* ---------------------------------------------------------------- public decisions */

static int ready(const struct policy *p, const void *a, const void *b)
{
	return p && p->finalized && a && b;
}

/* Name decision on a normalized host (IP literals go to the prefix table). */
static void net_by_name(const struct policy *p, const char *host, size_t hlen, const uint8_t *ip,
			int port, struct pol_decision *out, int *exact)
{
	struct setlist l;
	int plens[132], pport;
	struct best b;

	if (ip)
		iptab_collect(&p->ip, ip, 0, &l, plens);
	else
		ntrie_collect(&p->net, host, hlen, &l);
	b = list_decide(&l, port, p->cat[POL_NET].def, &pport);
	if (exact) /* the winner is an exact host rule (not "*.", not an IP rule) */
		*exact = b.rule && !ip && strncmp(b.rule, "*.", 2) != 0;
	if (ip && pport > 0 && memchr(host, ':', hlen)) { /* "[v6]:port" in the reason */
		char br[80];
		snprintf(br, sizeof(br), "[%.*s]", (int)(hlen < 70 ? hlen : 70), host);
		decide_fill(out, p, POL_NET, b, br, pport);
		return;
	}
	decide_fill(out, p, POL_NET, b, host, pport);
}

/* Cheap pre-check before inet_pton: IPv6 has a ':', IPv4 ends in a digit. */
static int maybe_ip(const char *h, size_t len)
{
	return len > 0 && (memchr(h, ':', len) || (h[len - 1] >= '0' && h[len - 1] <= '9'));
}

/* Normalize a host (maybe an IP literal, maybe "[v6]") into @p buf; IP into @p ip. */
static int host_prepare(const char *host, size_t len, char *buf, size_t bufsz, uint8_t ip[16],
			int *is_ip)
{
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		if (!memchr(host, ':', len) || !norm_ip(host + 1, len - 2, ip))
			return -EINVAL;
		*is_ip = 1;
		fmt_ip(ip, buf, bufsz);
		return 0;
	}
	if (maybe_ip(host, len) && norm_ip(host, len, ip)) {
		*is_ip = 1;
		fmt_ip(ip, buf, bufsz);
		return 0;
	}
	*is_ip = 0;
	return norm_host(host, len, buf, bufsz) < 0 ? -EINVAL : 0;
}

int policy_decide_net(const policy_t *p, const char *host, uint16_t port, struct pol_decision *out)
{
	char buf[300];
	uint8_t ip[16];
	int is_ip;

	if (!ready(p, host, out))
		return -EINVAL;
	if (host_prepare(host, strlen(host), buf, sizeof(buf), ip, &is_ip) < 0)
		return -EINVAL;
	net_by_name(p, buf, strlen(buf), is_ip ? ip : NULL, port, out, NULL);
	return 0;
}

/* "host", "host:port", "v6", "[v6]", "[v6]:port" */
static int decide_net_request(const policy_t *p, const char *req, struct pol_decision *out)
{
	size_t len = strlen(req), ncolon = 0, hlen = len;
	const char *colon = NULL;
	unsigned long port = 0;

	for (size_t i = 0; i < len; i++)
		if (req[i] == ':') {
			ncolon++;
			colon = req + i;
		}
	if (len > 0 && req[0] == '[') {
		const char *close = memchr(req, ']', len);
		if (!close)
			return -EINVAL;
		hlen = (size_t)(close - req) + 1;
		colon = hlen < len ? close + 1 : NULL;
		if (colon && *colon != ':')
			return -EINVAL;
	} else if (ncolon >= 2) {
		colon = NULL; /* bare IPv6, no port */
	} else if (colon) {
		hlen = (size_t)(colon - req);
	}
	if (colon) {
		const char *s = colon + 1;
		if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
			return -EINVAL;
		port = strtoul(s, NULL, 10);
		if (port < 1 || port > 65535)
			return -EINVAL;
	}
	char host[300];
	uint8_t ip[16];
	int is_ip;
	if (hlen >= sizeof(host) || host_prepare(req, hlen, host, sizeof(host), ip, &is_ip) < 0)
		return -EINVAL;
	net_by_name(p, host, strlen(host), is_ip ? ip : NULL, (int)port, out, NULL);
	return 0;
}

/* A bare program name in a run request: the first executable file on the search path. */
static int resolve_request(const struct policy *p, const char *name, char *out)
{
	const char *d = p->search_path;
	char cand[POL_MAX_PATTERN];
	struct stat sb;

	if (!*name || strlen(name) > 255 || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return -EINVAL; /* relative paths are not program names */
	while (*d) {
		size_t dl = strcspn(d, ":");
		if (dl > 0 && d[0] == '/' &&
		    snprintf(cand, sizeof(cand), "%.*s/%s", (int)dl, d, name) < (int)sizeof(cand) &&
		    stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
			return norm_path(cand, strlen(cand), out) < 0 ? -EINVAL : 0;
		d += dl + (d[dl] == ':');
	}
	return -ENOENT;
}

static int decide_env(const struct policy *p, const char *name, struct pol_decision *out)
{
	const struct envtab *t = &p->env;
	size_t len = strlen(name);
	struct best b = { 0 };
	uint32_t e;

	if (len == 0 || len >= POL_MAX_PATTERN || strchr(name, '='))
		return -EINVAL;
	e = len <= POL_MAX_ENV && t->nent ? hmap_get(&t->exact, 0, name, (uint32_t)len)
					  : UINT32_MAX;
	if (e != UINT32_MAX) {
		b = t->ent[e];
	} else if (t->nent) {
		/* globs: the longest prefix in use first */
		for (int L = (int)(len < POL_MAX_ENV ? len : POL_MAX_ENV); L > 0; L--) {
			if (!(t->glens[L / 64] >> (L % 64) & 1))
				continue;
			e = hmap_get(&t->glob, 0, name, (uint32_t)L);
			if (e != UINT32_MAX) {
				b = t->ent[e];
				break;
			}
		}
	}
	decide_fill(out, p, POL_ENV, b, name, 0);
	return 0;
}

/* A malformed request is refused with a reason that says what was expected. */
static int malformed(enum pol_cat cat, const char *request, struct pol_decision *out, int ret)
{
	static const char *const want[POL_CAT_COUNT] = {
		[POL_NET] = "a host, host:port, [IPv6]:port or IP address",
		[POL_FS_READ] = "an absolute path",
		[POL_FS_WRITE] = "an absolute path",
		[POL_RUN] = "an absolute path or a program name",
		[POL_ENV] = "a variable name",
		[POL_FFI] = "an absolute path",
	};

	if (ret != -EINVAL)
		return ret;
	out->action = POL_DENY;
	out->rule = "default";
	snprintf(out->reason, sizeof(out->reason), "malformed %s request `%.60s`: expected %s",
		 policy_cat_name(cat), request, want[cat] ? want[cat] : "a pattern");
	return ret;
}

static int decide_one(const policy_t *p, enum pol_cat cat, const char *request,
		      struct pol_decision *out);

int policy_decide(const policy_t *p, enum pol_cat cat, const char *request,
		  struct pol_decision *out)
{
	if (!ready(p, request, out) || (unsigned)cat >= POL_CAT_COUNT)
		return -EINVAL;
	return malformed(cat, request, out, decide_one(p, cat, request, out));
}

static int decide_one(const policy_t *p, enum pol_cat cat, const char *request,
		      struct pol_decision *out)
{
	char path[POL_MAX_PATTERN];
	int ret;

	switch (cat) {
	case POL_NET:
		return decide_net_request(p, request, out);
	case POL_ENV:
		return decide_env(p, request, out);
	case POL_RUN:
		if (request[0] != '/') {
			ret = resolve_request(p, request, path);
			if (ret < 0)
				return ret;
			break;
		}
		/* fall through */
	default:
		if (norm_path(request, strlen(request), path) < 0)
			return -EINVAL;
		break;
	}
	decide_fill(out, p, cat, ptrie_find(&p->path[cat], path), path, 0);
	return 0;
}

/* ---------------------------------------------------------------- addresses */

struct special {
	uint8_t ip[16];
	uint8_t plen; /* over the 128-bit form */
	const char *what;
};

#define V4(a, b, c, d, len, w)                                                                     \
	{                                                                                          \
		{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d }, 96 + len, w              \
	}
static const struct special specials[] = {
	V4(255, 255, 255, 255, 32, "broadcast"),
	V4(169, 254, 169, 254, 32, "link-local (cloud metadata)"),
	V4(0, 0, 0, 0, 8, "unspecified"),
	V4(127, 0, 0, 0, 8, "loopback"),
	V4(169, 254, 0, 0, 16, "link-local"),
	V4(10, 0, 0, 0, 8, "private"),
	V4(172, 16, 0, 0, 12, "private"),
	V4(192, 168, 0, 0, 16, "private"),
	V4(100, 64, 0, 0, 10, "CGNAT (shared address space)"),
	V4(224, 0, 0, 0, 4, "multicast"),
	V4(240, 0, 0, 0, 4, "reserved"),
	{ { 0 }, 128, "unspecified" },
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, 128, "loopback" },
	{ { 0xfe, 0x80 }, 10, "link-local" },
	{ { 0xfe, 0xc0 }, 10, "site-local" },
	{ { 0xfc, 0x00 }, 7, "unique-local (private)" },
	{ { 0xff, 0x00 }, 8, "multicast" },
};

/*
 * Which special range holds @p ip? IPv4 hidden in IPv6 (mapped ::ffff:a.b.c.d,
 * compatible ::a.b.c.d, NAT64 64:ff9b::a.b.c.d) is checked as the IPv4 address.
 * @return the range or NULL.
 */
static const struct special *special_of(const uint8_t ip[16])
{
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t zero[12] = { 0 };
	uint8_t v[16], m[16];

	memcpy(v, ip, 16);
	if ((memcmp(ip, zero, 12) == 0 && (ip[12] | ip[13] | ip[14] | (ip[15] > 1))) ||
	    memcmp(ip, nat64, 12) == 0) {
		memset(v, 0, 10);
		v[10] = v[11] = 0xff;
	}
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
		mask16(m, v, specials[i].plen);
		if (memcmp(m, specials[i].ip, 16) == 0)
			return &specials[i];
	}
	return NULL;
}

static int sockaddr_ip(const struct sockaddr *sa, uint8_t ip[16], int *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &s4->sin_addr, 4);
		*port = ntohs(s4->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		memcpy(ip, &s6->sin6_addr, 16);
		*port = ntohs(s6->sin6_port);
		return 0;
	}
	return -EINVAL;
}

static void special_deny(struct pol_decision *out, const char *addr, const struct special *sp)
{
	struct rs r = { out->reason, 0, sizeof(out->reason) };

	out->action = POL_DENY;
	out->rule = "default";
	out->reason[0] = '\0';
	rs_put(&r, addr);
	rs_put(&r, " is a ");
	rs_put(&r, sp->what);
	rs_put(&r, " address: denied unless an IP/CIDR rule allows it");
}

/* Step 1 of an address decision: IP/CIDR rules, inside a special range only the
 * rules at least as narrow as the range (so 0.0.0.0/0 does not open 169.254.169.254). */
static struct best addr_rules(const struct policy *p, const uint8_t ip[16],
			      const struct special *sp, int port, int *pport)
{
	struct setlist l;
	int plens[132], n = 0;

	iptab_collect(&p->ip, ip, 0, &l, plens);
	while (n < l.n && (!sp || plens[n] >= sp->plen))
		n++;
	l.n = n;
	return list_decide(&l, port, POL_DENY, pport);
}

/* Step 2 for loopback: an exact "localhost" rule that decides @p host wins. @return 1 if so. */
static int addr_localhost(const struct policy *p, const char *host, int port,
			  struct pol_decision *out)
{
	char hb[300];
	uint8_t hip[16];
	int is_ip, exact = 0;

	if (!host || host_prepare(host, strlen(host), hb, sizeof(hb), hip, &is_ip) < 0 || is_ip ||
	    strcmp(hb, "localhost") != 0)
		return 0;
	net_by_name(p, hb, strlen(hb), NULL, port, out, &exact);
	return exact;
}

int policy_decide_addr(const policy_t *p, const char *host, const struct sockaddr *addr,
		       struct pol_decision *out)
{
	const struct special *sp;
	uint8_t ip[16];
	int port, pport;
	char astr[64], shown[80];
	struct best b;

	if (!ready(p, addr, out) || sockaddr_ip(addr, ip, &port) < 0)
		return -EINVAL;
	sp = special_of(ip);
	fmt_ip(ip, astr, sizeof(astr));
	/* 1. IP/CIDR rules */
	b = addr_rules(p, ip, sp, port, &pport);
	if (b.rule) {
		int v6 = strchr(astr, ':') && pport > 0;
		snprintf(shown, sizeof(shown), v6 ? "[%s]" : "%s", astr);
		decide_fill(out, p, POL_NET, b, shown, pport);
		return 0;
	}
	/* 2. special ranges: denied, except loopback reached through an exact localhost rule */
	if (sp) {
		if (strcmp(sp->what, "loopback") == 0 && addr_localhost(p, host, port, out))
			return 0;
		special_deny(out, astr, sp);
		return 0;
	}
	/* 3. any other address follows the name decision (the default without a name) */
	if (host)
		return policy_decide_net(p, host, (uint16_t)port, out);
	decide_fill(out, p, POL_NET, b, astr, 0);
	return 0;
}
