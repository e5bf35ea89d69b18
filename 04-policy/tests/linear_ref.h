/*
 * linear_ref.h — a deliberately simple reference decision: a linear scan.
 *
 * Layer 04 (policy), tests and bench only. Builds on the public API alone
 * (policy_rules / policy_default): it re-reads the normalized patterns and
 * applies docs/policy.md rule by rule, with no tries or hash tables. The
 * randomized test compares it with the fast path; the benchmark measures it as
 * the peer ("vs=linear").
 */
#ifndef POD_POLICY_LINEAR_REF_H
#define POD_POLICY_LINEAR_REF_H

#include "policy.h"

/** Snapshot of one category's rules (pointers into the policy). */
struct linref {
	const policy_t *p;
	enum pol_cat cat;
	const struct pol_rule *rules;
	size_t n;
};

/** Take the rules of @p cat (policy must be finalized). @return 0 or negative errno. */
int linref_init(struct linref *l, const policy_t *p, enum pol_cat cat);

/**
 * Decide a normalized request by scanning every rule. For net, @p req is a host
 * name or IP literal without port and @p port is 0 (unknown) or 1-65535; for
 * the other categories @p req is a normalized path or an env name.
 * @return the action; @p rule gets the winning pattern or "default".
 */
enum pol_action linref_decide(const struct linref *l, const char *req, int port, const char **rule);

#endif
