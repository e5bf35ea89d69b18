/*
 * internal.h — private data structures of layer 04-policy.
 *
 * Layer 04 (policy). Shared by the files in src/: policy.c (life cycle, flags,
 * getters), load.c (strict JSON loading with positions), norm.c (pattern
 * normalization), hmap.c (the hash map), lookup.c (building tries and tables),
 * decide.c (the decisions) and emit.c (the normalized policy as JSON).
 * Nothing here is visible to 05/07.
 *
 * Data flow:
 *
 *   JSON text --load.c--> staged rules --commit--> p->cat[c].v  (struct rule)
 *   "--allow-x=a,b" --policy.c--> staged rules --commit--^
 *   policy_finalize --lookup.c--> tries / hash tables / prefix tables (read-only)
 */
#ifndef POD_POLICY_INTERNAL_H
#define POD_POLICY_INTERNAL_H

#include <stdint.h>
#include <stddef.h>

#include "policy.h"

#define POL_MAX_PATTERN 4096     /* longest pattern or request accepted (bytes) */
#define POL_MAX_ENV 255          /* longest env name or glob prefix */
#define POL_MAX_FILE (64u << 20) /* largest policy file accepted */

/** What a normalized pattern is; decides which lookup structure holds it. */
enum rkind {
	RK_PATH,    /* absolute path: fs.read, fs.write, run, ffi */
	RK_PROG,    /* bare program name (run): resolved against the search path at finalize */
	RK_HOST,    /* exact host name, optional port */
	RK_WILD,    /* "*.suffix", optional port: matches names strictly below suffix */
	RK_IP,      /* one address (stored as a /128; IPv4 as ::ffff:a.b.c.d), optional port */
	RK_CIDR,    /* address block, any port */
	RK_ENV,     /* exact variable name */
	RK_ENVGLOB, /* "PREFIX*" */
};

/** Where a rule came from, for error messages (file/line/column/JSON path). */
struct origin {
	const char *file; /* owned by the policy (p->names) */
	int line, col;
	char *jpath; /* "$.net.allow[2]" or "--allow-net[1]"; malloc'd */
	int from_flag;
};

/**
 * One rule. Owned by p->cat[c].v; `pattern` and `key` are separate heap strings
 * so pointers to them stay valid when the vector grows (the lookup tables and
 * struct pol_decision.rule point at them).
 */
struct rule {
	enum pol_action action;
	enum rkind kind;
	char *pattern;  /* normalized text, e.g. "*.example.com:443" */
	char *key;      /* lookup key: path, host (no "*.", no port), env name/prefix, program */
	char *orig;     /* run: the bare name before resolution (p->seen points at it), else NULL */
	uint16_t port;  /* 0 = any port */
	uint8_t plen;   /* IP/CIDR prefix length over the 128-bit form */
	uint8_t ip[16]; /* IP/CIDR address, IPv4 as IPv4-mapped IPv6 */
	struct origin at;
};

struct cat_rules {
	struct rule *v;
	size_t n, cap;
	enum pol_action def;
};

/* ---- hash map: (parent id, byte string) -> value; used for every trie edge and name table ---- */
#define HSLOT_INLINE 16
struct hslot {         /* 32 bytes: two per cache line */
	uint32_t hash; /* 0 = empty slot */
	uint32_t parent;
	uint32_t value;
	uint32_t len;
	union { /* keys up to 16 bytes are copied in: a probe touches one line */
		char inl[HSLOT_INLINE];
		const char *ptr; /* longer keys: points into a rule's key; not owned */
	} k;
};
struct hmap {
	struct hslot *s;
	size_t mask, n; /* capacity = mask+1, a power of two; n <= capacity/2 */
};
int hmap_init(struct hmap *m, size_t expect);
void hmap_free(struct hmap *m);
/** Grow so that @p n entries fit without another allocation. */
int hmap_reserve(struct hmap *m, size_t n);
/** Insert if absent. @return the value stored (existing or @p value); UINT32_MAX on ENOMEM. */
uint32_t hmap_put(struct hmap *m, uint32_t parent, const char *key, uint32_t len, uint32_t value);
/** @return the value or UINT32_MAX when absent. */
uint32_t hmap_get(const struct hmap *m, uint32_t parent, const char *key, uint32_t len);

/* ---- lookup structures (built by policy_finalize, read-only afterwards) ---- */

/** The best rule of one specificity class: action + pattern (NULL pattern = none). */
struct best {
	const char *rule;
	uint8_t action;
};
/** Port-qualified entries of one set, sorted by port. */
struct nport {
	uint16_t port;
	struct best b;
};
/** A set of rules at one specificity level: any-port best plus explicit ports. */
struct nset {
	struct best any;
	uint32_t port_off, port_n; /* slice of the owning table's ports[] */
};

struct ptrie { /* path components -> node; node 0 = "/" */
	struct hmap edges;
	struct best *node;
	size_t nnode, cap;
};
struct ntrie { /* reversed host labels -> node; node 0 = root (no label) */
	struct hmap edges;
	struct {
		struct nset exact, wild;
	} * node;
	size_t nnode, cap;
	struct nport *ports;
	size_t nports;
};
struct iptab { /* (prefix length, masked address) -> entry */
	struct hmap map;
	struct nset *ent;
	size_t nent, cap;
	struct nport *ports;
	size_t nports;
	uint8_t *keys;    /* 16 bytes per entry (the hmap keys point here) */
	uint64_t lens[3]; /* bit L set when some entry has prefix length L (0..128) */
};
struct envtab {
	struct hmap exact, glob;
	struct best *ent;
	size_t nent, cap;
	uint64_t glens[4]; /* bit L set when some glob has a prefix of length L (0..255) */
};

struct policy {
	struct cat_rules cat[POL_CAT_COUNT];
	struct pol_limits limits;
	char *search_path;
	char **names;
	size_t nnames;    /* file names referenced by origins */
	struct hmap seen; /* (cat*3+action, pattern) -> rule index: duplicates */
	int loaded, finalized;
	uint8_t def_by_flag
	    [POL_CAT_COUNT]; /* the default was set by a bare flag: a file does not override it */

	/* built by policy_finalize */
	struct pol_rule *pub[POL_CAT_COUNT];
	struct ptrie path[POL_CAT_COUNT]; /* used for fs.read, fs.write, run, ffi */
	struct ntrie net;
	struct iptab ip;
	struct envtab env;
};

/* ---- staging: what a load or a flag adds, committed only when all of it is valid ---- */
struct stage {
	struct cat_rules cat[POL_CAT_COUNT];
	int def_set[POL_CAT_COUNT]; /* 0 unset, 1 from fs.default, 2 specific */
	struct pol_limits limits;
	int limits_set;
	int from_flag; /* staged by policy_apply_flag (not by a file) */
};
void stage_free(struct stage *st);
int stage_add(struct stage *st, enum pol_cat c, const struct rule *r);
/** Move the staged rules into @p p; duplicates: error (file rules) or skipped (flags). */
int stage_commit(struct policy *p, struct stage *st, struct pol_error *err);
void rule_free(struct rule *r);

/* ---- normalization (norm.c) ---- */
/**
 * Normalize one pattern of category @p c into @p r (pattern, key, kind, port,
 * ip). On error fill @p msg / @p hint and return -EINVAL.
 */
int norm_pattern(enum pol_cat c, const char *in, size_t len, struct rule *r, char *msg,
		 size_t msgsz, char *hint, size_t hintsz);
/** Lexically normalize an absolute path into @p out (size POL_MAX_PATTERN). @return length or -EINVAL. */
int norm_path(const char *in, size_t len, char *out);
/** Parse "a.b.c.d" or an IPv6 literal into 16 bytes (IPv4 mapped). @return 4 or 6, 0 if not an IP. */
int norm_ip(const char *s, size_t len, uint8_t ip[16]);
/** Lower-case and check a host name (no port); @return length or -EINVAL. */
int norm_host(const char *in, size_t len, char *out, size_t outsz);
/** Write an address (IPv4-mapped shown as IPv4) into @p out. */
void fmt_ip(const uint8_t ip[16], char *out, size_t outsz);
/** Parse memory sizes "256m", "1g", "1024". @return 0 or -EINVAL. */
int norm_size(const char *s, uint64_t *out);
/** Levenshtein distance, capped at 9. */
int edit_distance(const char *a, const char *b);
/** Best suggestion among @p words (NULL-terminated) for @p s, or NULL. */
const char *suggest(const char *s, const char *const *words);

/*
 * Edge flags. Once a trie is built, the value of each edge (the child's node id)
 * gets EDGE_FLAG when the child carries something a lookup passing through needs
 * (a path rule; a "*." rule set). A lookup then reads the node array only for
 * flagged nodes. Node ids stay below 2^31; UINT32_MAX still means "no edge".
 */
#define EDGE_FLAG 0x80000000u
#define EDGE_NODE(v) ((v) & ~EDGE_FLAG)

/** Keep the first @p plen bits of a 16-byte address. */
static inline void mask16(uint8_t out[16], const uint8_t in[16], unsigned plen)
{
	for (unsigned b = 0; b < 16; b++) {
		unsigned keep = plen >= (b + 1) * 8 ? 8 : (plen > b * 8 ? plen - b * 8 : 0);
		out[b] = in[b] & (uint8_t)(0xff00u >> keep);
	}
}

/* ---- lookup.c (decide.c reads what it builds) ---- */
int lookup_build(struct policy *p, struct pol_error *err);
void lookup_free(struct policy *p);

/* ---- error helper (policy.c) ---- */
void err_set(struct pol_error *e, const char *file, int line, int col, const char *jpath,
	     const char *hint, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

#endif
