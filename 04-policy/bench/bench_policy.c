/*
 * bench_policy.c — decisions per second: the lookup structures vs a linear scan.
 *
 * Layer 04 (policy), benchmark only (make bench). Builds on libpolicy.a and the
 * public API. For net (host names with ports, exact and "*." rules) and fs.read
 * (paths) with 10, 1,000 and 100,000 rules it measures, in the same run:
 *   policy   policy_decide_net / policy_decide (tries + hash tables)
 *   linear   a linear scan over the same normalized rules, pre-parsed once
 *            (string compares only: the fairest simple peer)
 * and checks that both give the same answer for every request. Prints a table,
 * then one line per figure:
 *   BENCH 04-policy decide_net_100k <v> decisions/s vs=linear ratio=<r>
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"

#define NREQ 4096
#define ROUNDS 5

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* ---------------------------------------------------------------- linear peer */

struct lrule {
	const char *pat, *key;
	size_t klen;
	int wild, port;
	enum pol_action a;
};
struct lin {
	struct lrule *r;
	size_t n;
	enum pol_action def;
};

static void lin_init(struct lin *l, const policy_t *p, enum pol_cat cat)
{
	const struct pol_rule *rules;
	size_t n;

	policy_rules(p, cat, &rules, &n);
	l->r = calloc(n ? n : 1, sizeof(*l->r));
	l->n = n;
	l->def = policy_default(p, cat);
	for (size_t i = 0; i < n; i++) {
		const char *pat = rules[i].pattern, *colon = strchr(pat, ':');
		struct lrule *r = &l->r[i];
		r->pat = pat;
		r->a = rules[i].action;
		r->wild = strncmp(pat, "*.", 2) == 0 && cat == POL_NET;
		r->key = pat + (r->wild ? 2 : 0);
		r->klen = cat == POL_NET && colon ? (size_t)(colon - r->key) : strlen(r->key);
		r->port = cat == POL_NET && colon ? atoi(colon + 1) : 0;
	}
}

/* Specificity: exact host 1000 / wildcard suffix length, then explicit port; tie: max action. */
static enum pol_action lin_net(const struct lin *l, const char *host, size_t hl, int port,
			       const char **rule)
{
	long bs = -1;
	int bp = 0;
	enum pol_action ba = l->def;

	*rule = "default";
	for (size_t i = 0; i < l->n; i++) {
		const struct lrule *r = &l->r[i];
		long s;
		if (r->port && r->port != port)
			continue;
		if (!r->wild && r->klen == hl && memcmp(r->key, host, hl) == 0)
			s = 1000;
		else if (r->wild && hl > r->klen + 1 && host[hl - r->klen - 1] == '.' &&
			 memcmp(host + hl - r->klen, r->key, r->klen) == 0)
			s = (long)r->klen;
		else
			continue;
		int sp = r->port != 0;
		if (s > bs || (s == bs && sp > bp) || (s == bs && sp == bp && r->a > ba)) {
			bs = s;
			bp = sp;
			ba = r->a;
			*rule = r->pat;
		}
	}
	return ba;
}

static enum pol_action lin_fs(const struct lin *l, const char *path, const char **rule)
{
	long bs = -1;
	enum pol_action ba = l->def;

	*rule = "default";
	for (size_t i = 0; i < l->n; i++) {
		const struct lrule *r = &l->r[i];
		if (strncmp(path, r->key, r->klen) != 0 || (path[r->klen] && path[r->klen] != '/'))
			continue;
		if ((long)r->klen > bs || ((long)r->klen == bs && r->a > ba)) {
			bs = (long)r->klen;
			ba = r->a;
			*rule = r->pat;
		}
	}
	return ba;
}

/* ---------------------------------------------------------------- workloads */

struct req {
	char s[96];
	int port;
};

/* Build a policy JSON with @p n net rules; fill @p reqs (hits, wildcard hits, misses). */
static char *gen_net(int n, struct req *reqs)
{
	size_t cap = (size_t)n * 64 + 256, o = 0;
	char *s = malloc(cap);
	const char *sep[3] = { "", "", "" };
	char *lists[3];

	for (int a = 0; a < 3; a++) {
		lists[a] = malloc((size_t)n * 48 + 16);
		lists[a][0] = '\0';
	}
	size_t lo[3] = { 0, 0, 0 };
	for (int i = 0; i < n; i++) {
		int a = rnd(10) < 7 ? 0 : (rnd(2) ? 1 : 2);
		int dom = i / 8;
		char pat[80];
		if (i % 8 == 0)
			snprintf(pat, sizeof(pat), "*.d%d.example.com", dom);
		else if (i % 8 == 1)
			snprintf(pat, sizeof(pat), "*.d%d.example.com:443", dom);
		else if (i % 2)
			snprintf(pat, sizeof(pat), "h%d.d%d.example.com:443", i, dom);
		else
			snprintf(pat, sizeof(pat), "h%d.d%d.example.com", i, dom);
		lo[a] += (size_t)sprintf(lists[a] + lo[a], "%s\"%s\"", sep[a], pat);
		sep[a] = ",";
	}
	o += (size_t)snprintf(s + o, cap - o,
			      "{\"net\": {\"allow\": [%s],\n\"warn\": [%s],\n\"deny\": [%s]}}",
			      lists[0], lists[1], lists[2]);
	for (int a = 0; a < 3; a++)
		free(lists[a]);
	for (int i = 0; i < NREQ; i++) {
		int k = (int)rnd((unsigned)n), dom = k / 8, kind = (int)rnd(4);
		reqs[i].port = rnd(2) ? 443 : 80;
		if (kind < 2)
			snprintf(reqs[i].s, sizeof(reqs[i].s), "h%d.d%d.example.com", k, dom);
		else if (kind == 2)
			snprintf(reqs[i].s, sizeof(reqs[i].s), "api.v2.d%d.example.com", dom);
		else
			snprintf(reqs[i].s, sizeof(reqs[i].s), "www.other%d.org", k);
	}
	return s;
}

static char *gen_fs(int n, struct req *reqs)
{
	size_t cap = (size_t)n * 48 + 256, o = 0;
	char *s = malloc(cap);
	const char *sep[3] = { "", "", "" };
	char *lists[3];
	size_t lo[3] = { 0, 0, 0 };

	for (int a = 0; a < 3; a++) {
		lists[a] = malloc((size_t)n * 40 + 16);
		lists[a][0] = '\0';
	}
	for (int i = 0; i < n; i++) {
		int a = rnd(10) < 7 ? 0 : (rnd(2) ? 1 : 2);
		char pat[80];
		if (i % 4 == 0)
			snprintf(pat, sizeof(pat), "/srv/p%d", i / 4);
		else
			snprintf(pat, sizeof(pat), "/srv/p%d/d%d/sub%d", i / 4, i % 4, i);
		lo[a] += (size_t)sprintf(lists[a] + lo[a], "%s\"%s\"", sep[a], pat);
		sep[a] = ",";
	}
	o += (size_t)snprintf(
	    s + o, cap - o,
	    "{\"fs\": {\"read\": {\"allow\": [%s],\n\"warn\": [%s],\n\"deny\": [%s]}}}", lists[0],
	    lists[1], lists[2]);
	for (int a = 0; a < 3; a++)
		free(lists[a]);
	for (int i = 0; i < NREQ; i++) {
		int k = (int)rnd((unsigned)n), kind = (int)rnd(4);
		reqs[i].port = 0;
		if (kind < 2)
			snprintf(reqs[i].s, sizeof(reqs[i].s), "/srv/p%d/d%d/sub%d/file%d.txt",
				 k / 4, k % 4, k, i);
		else if (kind == 2)
			snprintf(reqs[i].s, sizeof(reqs[i].s), "/srv/p%d/other/x/y", k / 4);
		else
			snprintf(reqs[i].s, sizeof(reqs[i].s), "/home/user%d/notes", k);
	}
	return s;
}

/* ---------------------------------------------------------------- measurement */

struct result {
	double fast, linear, load_ms;
	int mismatches;
};

static struct result run(enum pol_cat cat, int n)
{
	struct req *reqs = calloc(NREQ, sizeof(*reqs));
	char *json = cat == POL_NET ? gen_net(n, reqs) : gen_fs(n, reqs);
	struct pol_error err;
	struct result res = { 0 };
	struct pol_decision d;
	struct lin lin;
	policy_t *p = NULL;
	double t0, t;
	long ops = 0;
	volatile int sink = 0;

	t0 = now();
	if (policy_new(&p) < 0 || policy_load_json(p, json, strlen(json), "bench", &err) < 0 ||
	    policy_finalize(p, &err) < 0) {
		fprintf(stderr, "bench: %s:%d:%d %s\n", err.file, err.line, err.column, err.msg);
		exit(1);
	}
	res.load_ms = (now() - t0) * 1e3;
	lin_init(&lin, p, cat);
	/* agreement first: the same answer for every request (the peer must be right) */
	for (int i = 0; i < NREQ; i += n >= 100000 ? 41 : 1) {
		const char *rule;
		enum pol_action a;
		if (cat == POL_NET) {
			policy_decide_net(p, reqs[i].s, (uint16_t)reqs[i].port, &d);
			a = lin_net(&lin, reqs[i].s, strlen(reqs[i].s), reqs[i].port, &rule);
		} else {
			policy_decide(p, cat, reqs[i].s, &d);
			a = lin_fs(&lin, reqs[i].s, &rule);
		}
		res.mismatches += a != d.action || strcmp(rule, d.rule) != 0;
	}
	/* The machine is shared and noisy: each side gets ROUNDS rounds of ~0.15 s
	 * and keeps its best round (the same treatment for both). */
	for (int round = 0; round < ROUNDS; round++) {
		/* policy */
		ops = 0;
		t0 = now();
		do {
			for (int i = 0; i < 1024; i++, ops++) {
				const struct req *r = &reqs[ops % NREQ];
				if (cat == POL_NET)
					policy_decide_net(p, r->s, (uint16_t)r->port, &d);
				else
					policy_decide(p, cat, r->s, &d);
				sink += d.action;
			}
			t = now() - t0;
		} while (t < 0.15);
		if ((double)ops / t > res.fast)
			res.fast = (double)ops / t;
		/* linear: at least 20 decisions */
		ops = 0;
		t0 = now();
		do {
			const struct req *r = &reqs[ops % NREQ];
			const char *rule;
			if (cat == POL_NET)
				sink += lin_net(&lin, r->s, strlen(r->s), r->port, &rule);
			else
				sink += lin_fs(&lin, r->s, &rule);
			if (++ops % 16 == 0 || ops < 64)
				t = now() - t0;
		} while (t < 0.15 || ops < 20);
		if ((double)ops / t > res.linear)
			res.linear = (double)ops / t;
	}
	(void)sink;
	free(lin.r);
	free(json);
	free(reqs);
	policy_free(p);
	return res;
}

int main(int argc, char **argv)
{
	static const int sizes[] = { 10, 1000, 100000 };
	static const char *const names[] = { "10", "1k", "100k" };
	static const enum pol_cat cats[] = { POL_NET, POL_FS_READ };
	static const char *const cnames[] = { "net", "fs" };
	char lines[6][160];
	int nl = 0, bad = 0;

	printf("04-policy: decisions/s, lookup structures vs linear scan (same rules, same "
	       "requests)\n");
	printf("%-5s %8s %14s %14s %9s %10s %6s\n", "cat", "rules", "policy/s", "linear/s", "ratio",
	       "load ms", "diff");
	if (argc == 3) { /* one configuration, for profiling: bench_policy net|fs RULES */
		struct result r =
		    run(strcmp(argv[1], "net") == 0 ? POL_NET : POL_FS_READ, atoi(argv[2]));
		printf("%.0f decisions/s, linear %.0f/s, %d differ\n", r.fast, r.linear,
		       r.mismatches);
		return 0;
	}
	for (int c = 0; c < 2; c++) {
		for (int s = 0; s < 3; s++) {
			struct result r = run(cats[c], sizes[s]);
			printf("%-5s %8d %14.0f %14.0f %9.1f %10.1f %6d\n", cnames[c], sizes[s],
			       r.fast, r.linear, r.fast / r.linear, r.load_ms, r.mismatches);
			snprintf(
			    lines[nl++], sizeof(lines[0]),
			    "BENCH 04-policy decide_%s_%s %.0f decisions/s vs=linear ratio=%.1f",
			    cnames[c], names[s], r.fast, r.fast / r.linear);
			bad += r.mismatches;
		}
	}
	for (int i = 0; i < nl; i++)
		printf("%s\n", lines[i]);
	if (bad)
		fprintf(stderr, "bench: %d decisions differ between policy and linear scan\n", bad);
	return bad ? 1 : 0;
}
