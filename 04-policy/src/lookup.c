/*
 * lookup.c — the decision structures and the decisions themselves.
 *
 * Layer 04 (policy). Builds on norm.c (requests are normalized like rules).
 * Used through policy_decide / policy_decide_net / policy_decide_addr by 05-proxy
 * (every connection and every resolved address) and 07-runner (spawn time).
 *
 * No decision scans the rule list. policy_finalize builds:
 *
 *   paths  (fs.read, fs.write, run, ffi)   a trie of path components
 *            "/" ── usr ── bin ── git          one hash probe per component;
 *                  └─ data ── secret           the deepest node with a rule wins
 *   hosts  (net)   a trie of reversed labels
 *            root ── com ── example ── api     exact rules sit on the last node,
 *                                               "*." rules on the node of the suffix
 *   IPs    (net)   a prefix table: one hash probe per prefix length in use,
 *                  longest first (IPv4 is stored as ::ffff:a.b.c.d, /8 -> /104)
 *   env            a hash of exact names + a hash of glob prefixes, probed
 *                  longest prefix first for the lengths in use
 *
 * Every trie edge and table entry lives in one kind of open-addressing hash map
 * keyed by (parent id, bytes), so a lookup costs one probe per component, label,
 * prefix length or glob length, whatever the number of rules.
 *
 * Everything here is read-only after policy_finalize: decisions may run on any
 * number of threads at once.
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

/* ---------------------------------------------------------------- hash map */

static uint32_t hash_key(uint32_t parent, const char *k, uint32_t len)
{
	const uint64_t m = 0x9E3779B97F4A7C15ull;
	uint64_t h = ((uint64_t)parent + 0x51ED27ull) * m ^ len, w;

	while (len >= 8) {
		memcpy(&w, k, 8);
		h = (h ^ w) * m;
		h ^= h >> 29;
		k += 8;
		len -= 8;
	}
	w = 0;
	memcpy(&w, k, len);
	h = (h ^ w ^ ((uint64_t)len << 59)) * m;
	h ^= h >> 32;
	return (uint32_t)h ? (uint32_t)h : 1;
}

int hmap_init(struct hmap *m, size_t expect)
{
	size_t cap = 16;

	while (cap < expect * 2)
		cap *= 2;
	m->s = calloc(cap, sizeof(*m->s));
	if (!m->s)
		return -ENOMEM;
	m->mask = cap - 1;
	m->n = 0;
	return 0;
}

void hmap_free(struct hmap *m)
{
	free(m->s);
	m->s = NULL;
	m->mask = m->n = 0;
}

static void slot_place(struct hslot *s, size_t mask, const struct hslot *e)
{
	size_t i = e->hash & mask;

	while (s[i].hash)
		i = (i + 1) & mask;
	s[i] = *e;
}

int hmap_reserve(struct hmap *m, size_t n)
{
	size_t cap = m->mask + 1;
	struct hslot *s;

	if (m->s && n * 2 <= cap)
		return 0;
	while (cap < n * 2)
		cap *= 2;
	s = calloc(cap, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; m->s && i <= m->mask; i++)
		if (m->s[i].hash)
			slot_place(s, cap - 1, &m->s[i]);
	free(m->s);
	m->s = s;
	m->mask = cap - 1;
	return 0;
}

uint32_t hmap_get(const struct hmap *m, uint32_t parent, const char *key, uint32_t len)
{
	uint32_t h = hash_key(parent, key, len);
	size_t i = h & m->mask;

	for (;; i = (i + 1) & m->mask) {
		const struct hslot *s = &m->s[i];
		if (!s->hash)
			return UINT32_MAX;
		if (s->hash == h && s->parent == parent && s->len == len &&
		    memcmp(len <= HSLOT_INLINE ? s->k.inl : s->k.ptr, key, len) == 0)
			return s->value;
	}
}

uint32_t hmap_put(struct hmap *m, uint32_t parent, const char *key, uint32_t len, uint32_t value)
{
	uint32_t old = hmap_get(m, parent, key, len);
	struct hslot e = { hash_key(parent, key, len), parent, value, len, { { 0 } } };

	if (old != UINT32_MAX)
		return old;
	if (len <= HSLOT_INLINE)
		memcpy(e.k.inl, key, len);
	else
		e.k.ptr = key;
	if (hmap_reserve(m, m->n + 1) < 0)
		return UINT32_MAX;
	slot_place(m->s, m->mask, &e);
	m->n++;
	return value;
}

/* ---------------------------------------------------------------- small helpers */

static void best_merge(struct best *b, enum pol_action a, const char *rule)
{
	/* Same specificity: deny beats warn beats allow (the enum order). */
	if (!b->rule || (uint8_t)a > b->action) {
		b->rule = rule;
		b->action = (uint8_t)a;
	}
}

static int grow(void **v, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	n = realloc(*v, c * elem);
	if (!n)
		return -ENOMEM;
	memset((char *)n + *cap * elem, 0, (c - *cap) * elem);
	*v = n;
	*cap = c;
	return 0;
}

/** Port-qualified rule before sorting: which set it belongs to and its port. */
struct pend {
	uint32_t set; /* index of the owning nset, see set_of() */
	uint16_t port;
	uint8_t action;
	const char *rule;
};
struct pendv {
	struct pend *v;
	size_t n, cap;
};

static int pend_cmp(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	if (x->set != y->set)
		return x->set < y->set ? -1 : 1;
	return (x->port > y->port) - (x->port < y->port);
}

/* Sort pending port rules and attach them to their sets; duplicates merge. */
static int ports_attach(struct pendv *pv, struct nset *(*set_of)(void *, uint32_t), void *ctx,
			struct nport **out, size_t *nout)
{
	struct nport *ports = calloc(pv->n ? pv->n : 1, sizeof(*ports));
	size_t n = 0;

	if (!ports)
		return -ENOMEM;
	if (pv->n)
		qsort(pv->v, pv->n, sizeof(*pv->v), pend_cmp);
	for (size_t i = 0; i < pv->n; i++) {
		struct pend *e = &pv->v[i];
		struct nset *s = set_of(ctx, e->set);
		if (i > 0 && pv->v[i - 1].set == e->set && pv->v[i - 1].port == e->port) {
			best_merge(&ports[n - 1].b, e->action, e->rule);
			continue;
		}
		if (s->port_n == 0)
			s->port_off = (uint32_t)n;
		s->port_n++;
		ports[n].port = e->port;
		ports[n].b = (struct best){ 0 };
		best_merge(&ports[n].b, e->action, e->rule);
		n++;
	}
	*out = ports;
	*nout = n;
	return 0;
}

static int pend_add(struct pendv *pv, uint32_t set, const struct rule *r)
{
	if (grow((void **)&pv->v, &pv->cap, pv->n + 1, sizeof(*pv->v)) < 0)
		return -ENOMEM;
	pv->v[pv->n++] = (struct pend){ set, r->port, (uint8_t)r->action, r->pattern };
	return 0;
}

/*
 * Edge flags. Once a trie is built, the value of each edge (the child's node id)
 * gets EDGE_FLAG when the child carries something a lookup passing through needs
 * (a path rule; a "*." rule set). A lookup then reads the node array only for
 * flagged nodes: the slot it just probed is in cache, the node usually is not.
 * Node ids stay below 2^31; UINT32_MAX still means "no edge".
 */
#define EDGE_FLAG 0x80000000u
#define EDGE_NODE(v) ((v) & ~EDGE_FLAG)

static void edges_flag(struct hmap *m, int (*has)(const void *ctx, uint32_t node), const void *ctx)
{
	for (size_t i = 0; i <= m->mask; i++)
		if (m->s[i].hash && has(ctx, m->s[i].value))
			m->s[i].value |= EDGE_FLAG;
}

/* ---------------------------------------------------------------- path trie */

static int ptrie_node(struct ptrie *t)
{
	if (grow((void **)&t->node, &t->cap, t->nnode + 1, sizeof(*t->node)) < 0)
		return -ENOMEM;
	return (int)t->nnode++;
}

static int ptrie_insert(struct ptrie *t, const struct rule *r)
{
	const char *s = r->key;
	uint32_t node = 0;

	while (*s) {
		const char *c = s + 1, *e = strchrnul(c, '/');
		uint32_t len = (uint32_t)(e - c), child;
		if (len == 0)
			break; /* the root "/" */
		child = hmap_get(&t->edges, node, c, len);
		if (child == UINT32_MAX) {
			int id = ptrie_node(t);
			if (id < 0 || hmap_put(&t->edges, node, c, len, (uint32_t)id) == UINT32_MAX)
				return -ENOMEM;
			child = (uint32_t)id;
		}
		node = child;
		s = e;
	}
	best_merge(&t->node[node], r->action, r->pattern);
	return 0;
}

static int ptrie_has_rule(const void *ctx, uint32_t node)
{
	return ((const struct ptrie *)ctx)->node[node].rule != NULL;
}

static int ptrie_build(struct ptrie *t, const struct cat_rules *cr)
{
	if (hmap_init(&t->edges, cr->n * 2) < 0 || ptrie_node(t) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < cr->n; i++)
		if (ptrie_insert(t, &cr->v[i]) < 0)
			return -ENOMEM;
	edges_flag(&t->edges, ptrie_has_rule, t);
	return 0;
}

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

/* ---------------------------------------------------------------- host trie */

static int ntrie_node(struct ntrie *t)
{
	if (grow((void **)&t->node, &t->cap, t->nnode + 1, sizeof(*t->node)) < 0)
		return -ENOMEM;
	return (int)t->nnode++;
}

/* Walk (creating) the reversed labels of @p host; @return the node id or -ENOMEM. */
static int ntrie_path(struct ntrie *t, const char *host)
{
	const char *end = host + strlen(host);
	uint32_t node = 0;

	while (end > host) {
		const char *b = end;
		while (b > host && b[-1] != '.')
			b--;
		uint32_t len = (uint32_t)(end - b), child = hmap_get(&t->edges, node, b, len);
		if (child == UINT32_MAX) {
			int id = ntrie_node(t);
			if (id < 0 || hmap_put(&t->edges, node, b, len, (uint32_t)id) == UINT32_MAX)
				return -ENOMEM;
			child = (uint32_t)id;
		}
		node = child;
		end = b > host ? b - 1 : b;
	}
	return (int)node;
}

static struct nset *ntrie_set_of(void *ctx, uint32_t set)
{
	struct ntrie *t = ctx;
	return set & 1 ? &t->node[set >> 1].wild : &t->node[set >> 1].exact;
}

static int ntrie_has_wild(const void *ctx, uint32_t node)
{
	const struct ntrie *t = ctx;
	return t->node[node].wild.any.rule || t->node[node].wild.port_n;
}

static int ntrie_build(struct ntrie *t, const struct cat_rules *cr)
{
	struct pendv pv = { 0 };
	int ret = 0;

	if (hmap_init(&t->edges, cr->n * 2) < 0 || ntrie_node(t) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < cr->n && ret == 0; i++) {
		const struct rule *r = &cr->v[i];
		int wild = r->kind == RK_WILD, node;
		if (r->kind != RK_HOST && !wild)
			continue;
		node = ntrie_path(t, r->key);
		if (node < 0) {
			ret = -ENOMEM;
		} else if (r->port) {
			ret = pend_add(&pv, (uint32_t)node << 1 | (uint32_t)wild, r);
		} else {
			struct nset *s = wild ? &t->node[node].wild : &t->node[node].exact;
			best_merge(&s->any, r->action, r->pattern);
		}
	}
	if (ret == 0)
		ret = ports_attach(&pv, ntrie_set_of, t, &t->ports, &t->nports);
	if (ret == 0)
		edges_flag(&t->edges, ntrie_has_wild, t);
	free(pv.v);
	return ret;
}

/* ---------------------------------------------------------------- IP prefix table */

static void mask16(uint8_t out[16], const uint8_t in[16], unsigned plen)
{
	for (unsigned b = 0; b < 16; b++) {
		unsigned keep = plen >= (b + 1) * 8 ? 8 : (plen > b * 8 ? plen - b * 8 : 0);
		out[b] = in[b] & (uint8_t)(0xff00u >> keep);
	}
}

static struct nset *iptab_set_of(void *ctx, uint32_t set)
{
	return &((struct iptab *)ctx)->ent[set];
}

static int iptab_build(struct iptab *t, const struct cat_rules *cr)
{
	struct pendv pv = { 0 };
	size_t nip = 0;
	int ret = 0;

	for (size_t i = 0; i < cr->n; i++)
		nip += cr->v[i].kind == RK_IP || cr->v[i].kind == RK_CIDR;
	/* keys[] is sized once: the hash map points into it */
	t->keys = calloc(nip ? nip : 1, 16);
	t->ent = calloc(nip ? nip : 1, sizeof(*t->ent));
	if (!t->keys || !t->ent || hmap_init(&t->map, nip) < 0)
		return -ENOMEM;
	t->cap = nip;
	for (size_t i = 0; i < cr->n && ret == 0; i++) {
		const struct rule *r = &cr->v[i];
		uint8_t *k = t->keys + 16 * t->nent;
		uint32_t e;
		if (r->kind != RK_IP && r->kind != RK_CIDR)
			continue;
		mask16(k, r->ip, r->plen);
		e = hmap_put(&t->map, r->plen, (const char *)k, 16, (uint32_t)t->nent);
		if (e == UINT32_MAX) {
			ret = -ENOMEM;
			break;
		}
		if (e == t->nent)
			t->nent++;
		t->lens[r->plen / 64] |= 1ull << (r->plen % 64);
		if (r->port)
			ret = pend_add(&pv, e, r);
		else
			best_merge(&t->ent[e].any, r->action, r->pattern);
	}
	if (ret == 0)
		ret = ports_attach(&pv, iptab_set_of, t, &t->ports, &t->nports);
	free(pv.v);
	return ret;
}

/* ---------------------------------------------------------------- env tables */

static int env_build(struct envtab *t, const struct cat_rules *cr)
{
	t->ent = calloc(cr->n ? cr->n : 1, sizeof(*t->ent));
	if (!t->ent || hmap_init(&t->exact, cr->n) < 0 || hmap_init(&t->glob, cr->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < cr->n; i++) {
		const struct rule *r = &cr->v[i];
		int glob = r->kind == RK_ENVGLOB;
		uint32_t len = (uint32_t)strlen(r->key);
		uint32_t e = hmap_put(glob ? &t->glob : &t->exact, 0, r->key, len, (uint32_t)t->nent);
		if (e == UINT32_MAX)
			return -ENOMEM;
		if (e == t->nent)
			t->nent++;
		best_merge(&t->ent[e], r->action, r->pattern);
		if (glob)
			t->glens[len / 64] |= 1ull << (len % 64);
	}
	return 0;
}

/* ---------------------------------------------------------------- build / free */

int lookup_build(struct policy *p, struct pol_error *err)
{
	static const enum pol_cat pcats[] = { POL_FS_READ, POL_FS_WRITE, POL_RUN, POL_FFI };

	(void)err;
	lookup_free(p);
	for (size_t i = 0; i < 4; i++)
		if (ptrie_build(&p->path[pcats[i]], &p->cat[pcats[i]]) < 0)
			return -ENOMEM;
	if (ntrie_build(&p->net, &p->cat[POL_NET]) < 0 || iptab_build(&p->ip, &p->cat[POL_NET]) < 0 ||
	    env_build(&p->env, &p->cat[POL_ENV]) < 0)
		return -ENOMEM;
	return 0;
}

void lookup_free(struct policy *p)
{
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		hmap_free(&p->path[c].edges);
		free(p->path[c].node);
		memset(&p->path[c], 0, sizeof(p->path[c]));
	}
	hmap_free(&p->net.edges);
	free(p->net.node);
	free(p->net.ports);
	memset(&p->net, 0, sizeof(p->net));
	hmap_free(&p->ip.map);
	free(p->ip.ent);
	free(p->ip.ports);
	free(p->ip.keys);
	memset(&p->ip, 0, sizeof(p->ip));
	hmap_free(&p->env.exact);
	hmap_free(&p->env.glob);
	free(p->env.ent);
	memset(&p->env, 0, sizeof(p->env));
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

/* Sets that match a request, most specific first; @p n of them. */
struct setlist {
	const struct nset *s[132];
	const struct nport *ports; /* the owning table's port array */
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

	if (!*name || strlen(name) > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
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
	e = len <= POL_MAX_ENV && t->nent ? hmap_get(&t->exact, 0, name, (uint32_t)len) : UINT32_MAX;
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

int policy_decide(const policy_t *p, enum pol_cat cat, const char *request, struct pol_decision *out)
{
	char path[POL_MAX_PATTERN];
	int ret;

	if (!ready(p, request, out) || (unsigned)cat >= POL_CAT_COUNT)
		return -EINVAL;
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

#define V4(a, b, c, d, len, w) { { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d }, 96 + len, w }
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
static struct best addr_rules(const struct policy *p, const uint8_t ip[16], const struct special *sp,
			      int port, int *pport)
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
static int addr_localhost(const struct policy *p, const char *host, int port, struct pol_decision *out)
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

