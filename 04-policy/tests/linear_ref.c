/*
 * linear_ref.c — reference decisions by a linear scan over the normalized rules.
 *
 * Layer 04 (policy), tests and bench only; see linear_ref.h. Written to be
 * obviously right, not fast: every decision reparses every pattern.
 * Specificity is a pair (s1, s2): s1 is the host/path/prefix specificity, s2 is
 * 1 for an explicit port. Larger pairs win; equal pairs: deny > warn > allow.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "linear_ref.h"

struct cand {
	int found;
	long s1;
	int s2;
	enum pol_action a;
	const char *rule;
};

static void consider(struct cand *c, long s1, int s2, enum pol_action a, const char *rule)
{
	if (!c->found || s1 > c->s1 || (s1 == c->s1 && s2 > c->s2) ||
	    (s1 == c->s1 && s2 == c->s2 && a > c->a)) {
		*c = (struct cand){ 1, s1, s2, a, rule };
	}
}

int linref_init(struct linref *l, const policy_t *p, enum pol_cat cat)
{
	l->p = p;
	l->cat = cat;
	return policy_rules(p, cat, &l->rules, &l->n);
}

/* IP text (v4 or v6) -> 16 bytes, v4 mapped. @return 4, 6 or 0. */
static int ip16(const char *s, size_t len, unsigned char out[16])
{
	char b[64];

	if (len >= sizeof(b))
		return 0;
	memcpy(b, s, len);
	b[len] = 0;
	memset(out, 0, 16);
	if (inet_pton(AF_INET, b, out + 12) == 1) {
		out[10] = out[11] = 0xff;
		return 4;
	}
	if (inet_pton(AF_INET6, b, out) == 1) {
		static const unsigned char m[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		return memcmp(out, m, 12) == 0 ? 4 : 6;
	}
	return 0;
}

static int prefix_eq(const unsigned char *a, const unsigned char *b, int plen)
{
	for (int i = 0; i < plen; i++) {
		int bit = 7 - i % 8;
		if (((a[i / 8] >> bit) & 1) != ((b[i / 8] >> bit) & 1))
			return 0;
	}
	return 1;
}

/* Split a net pattern: host/IP text, port, CIDR prefix (-1 none), wildcard. */
struct netpat {
	const char *h;
	size_t hlen;
	int port, plen, wild;
};

static void net_parse(const char *pat, struct netpat *np)
{
	const char *slash = strchr(pat, '/'), *c1 = strchr(pat, ':'), *c2 = strrchr(pat, ':');

	*np = (struct netpat){ pat, strlen(pat), 0, -1, 0 };
	if (pat[0] == '[') {
		const char *close = strchr(pat, ']');
		np->h = pat + 1;
		np->hlen = (size_t)(close - pat - 1);
		if (close[1] == ':')
			np->port = atoi(close + 2);
	} else if (slash) {
		np->hlen = (size_t)(slash - pat);
		np->plen = atoi(slash + 1);
	} else if (c1 && c1 == c2) {
		np->hlen = (size_t)(c1 - pat);
		np->port = atoi(c1 + 1);
	}
	if (np->hlen > 2 && np->h[0] == '*' && np->h[1] == '.') {
		np->wild = 1;
		np->h += 2;
		np->hlen -= 2;
	}
}

static void net_one(const struct pol_rule *r, const char *req, int port, int reqfam,
		    const unsigned char *rip, struct cand *c)
{
	struct netpat np;
	unsigned char ip[16];
	int fam;

	net_parse(r->pattern, &np);
	if (np.port && np.port != port)
		return;
	fam = np.wild ? 0 : ip16(np.h, np.hlen, ip);
	if (reqfam) {
		int plen;
		if (!fam)
			return;
		plen = np.plen < 0 ? 128 : (fam == 4 ? np.plen + 96 : np.plen);
		if (reqfam == 4 && plen < 96)
			return;
		if (prefix_eq(ip, rip, plen))
			consider(c, plen, np.port != 0, r->action, r->pattern);
		return;
	}
	if (fam)
		return;
	size_t rl = strlen(req);
	if (!np.wild && rl == np.hlen && memcmp(req, np.h, rl) == 0)
		consider(c, 1000, np.port != 0, r->action, r->pattern);
	else if (np.wild && rl > np.hlen + 1 && memcmp(req + rl - np.hlen, np.h, np.hlen) == 0 &&
		 req[rl - np.hlen - 1] == '.')
		consider(c, (long)np.hlen, np.port != 0, r->action, r->pattern);
}

static struct cand decide_port(const struct linref *l, const char *req, int port)
{
	struct cand c = { 0 };
	unsigned char rip[16];
	int reqfam = l->cat == POL_NET ? ip16(req, strlen(req), rip) : 0;

	for (size_t i = 0; i < l->n; i++) {
		const struct pol_rule *r = &l->rules[i];
		const char *pat = r->pattern;
		size_t pl = strlen(pat);
		switch (l->cat) {
		case POL_NET:
			net_one(r, req, port, reqfam, rip, &c);
			break;
		case POL_ENV:
			if (pat[pl - 1] == '*') {
				if (strncmp(req, pat, pl - 1) == 0)
					consider(&c, (long)pl - 1, 0, r->action, pat);
			} else if (strcmp(req, pat) == 0) {
				consider(&c, 100000, 0, r->action, pat);
			}
			break;
		default:
			if (strcmp(pat, "/") == 0)
				consider(&c, 0, 0, r->action, pat);
			else if (strncmp(req, pat, pl) == 0 && (req[pl] == '\0' || req[pl] == '/'))
				consider(&c, (long)pl, 0, r->action, pat);
			break;
		}
	}
	return c;
}

enum pol_action linref_decide(const struct linref *l, const char *req, int port, const char **rule)
{
	enum pol_action def = policy_default(l->p, l->cat);
	struct cand best = decide_port(l, req, port ? port : -1);

	if (l->cat == POL_NET && port == 0) {
		/* unknown port: the most permissive answer over every port a rule names */
		for (size_t i = 0; i < l->n; i++) {
			struct netpat np;
			net_parse(l->rules[i].pattern, &np);
			if (!np.port)
				continue;
			struct cand c = decide_port(l, req, np.port);
			enum pol_action ca = c.found ? c.a : def, ba = best.found ? best.a : def;
			if (ca < ba)
				best = c;
		}
	}
	*rule = best.found ? best.rule : "default";
	return best.found ? best.a : def;
}
