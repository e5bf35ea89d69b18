/*
 * lookup.c — building the decision structures (policy_finalize).
 *
 * Layer 04 (policy). Builds on hmap.c. Used by policy_finalize; decide.c walks
 * what is built here. No decision scans the rule list. policy_finalize builds:
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
 * Every trie edge and table entry lives in one kind of hash map keyed by
 * (parent id, bytes), so a lookup costs one probe per component, label, prefix
 * length or glob length, whatever the number of rules. Rules of equal
 * specificity merge into one `struct best` (deny beats warn beats allow).
 * Everything is read-only after policy_finalize.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

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

/* Set EDGE_FLAG (internal.h) on every edge whose child @p has something. */
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
		uint32_t e =
		    hmap_put(glob ? &t->glob : &t->exact, 0, r->key, len, (uint32_t)t->nent);
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
	if (ntrie_build(&p->net, &p->cat[POL_NET]) < 0 ||
	    iptab_build(&p->ip, &p->cat[POL_NET]) < 0 || env_build(&p->env, &p->cat[POL_ENV]) < 0)
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
