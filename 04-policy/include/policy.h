/*
 * policy.h — public API of layer 04-policy: the policy model and decisions.
 *
 * Layer 04. Builds on cJSON only (no other Pod/Runner layer). Used by 05-proxy
 * (net decisions per connection and per resolved address) and 07-runner (load
 * the file and CLI flags, build the mount plan / environment / FFI answers).
 *
 * Life of a policy:  policy_new -> policy_load_file / policy_load_json (at most
 * once) -> policy_apply_flag (any number, on top of the file) -> policy_finalize
 * -> policy_decide* (read-only, thread-safe) -> policy_free.
 *
 * Semantics are CONTRACTS.md §2: among the matching rules the most specific wins;
 * on equal specificity deny beats warn beats allow; no match -> category default.
 *
 * Errors: 0 on success, negative errno on failure; loaders also fill a
 * struct pol_error (file, line, column, JSON path, message, hint).
 */
#ifndef POD_POLICY_H
#define POD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct policy policy_t;

/** Decision categories. fs is split into read and write. */
enum pol_cat {
	POL_NET = 0,
	POL_FS_READ,
	POL_FS_WRITE,
	POL_RUN,
	POL_ENV,
	POL_FFI,
	POL_CAT_COUNT
};

/** Actions. Numeric order is the tie-break order: deny beats warn beats allow. */
enum pol_action {
	POL_ALLOW = 0,
	POL_WARN = 1, /**< allowed, and reported */
	POL_DENY = 2,
};

/** A rich error from loading or flag parsing. line/column are 1-based, 0 when unknown. */
struct pol_error {
	char file[256];  /**< policy file name, or "<flags>" / "<string>" */
	int line;        /**< 1-based line of the error, 0 when unknown */
	int column;      /**< 1-based column of the error, 0 when unknown */
	char path[256];  /**< JSON path of the offending value, e.g. "$.net.allow[2]" */
	char msg[512];   /**< what is wrong */
	char hint[256];  /**< how to fix it, or "" (e.g. "did you mean `allow`?") */
};

/** One normalized rule, as stored in the policy. */
struct pol_rule {
	enum pol_cat cat;       /**< the category the rule belongs to */
	enum pol_action action; /**< what the rule decides */
	const char *pattern; /**< normalized text (what `podpolicy fmt` prints) */
};

/** The outcome of one decision. */
struct pol_decision {
	enum pol_action action; /**< the decision */
	const char *rule;  /**< the matching rule's normalized pattern, or "default"; owned by the policy */
	char reason[192];  /**< one human sentence */
};

/** The limits section, passed through to the runner. A zero field means "not set". */
struct pol_limits {
	uint32_t timeout_s;    /**< wall-clock limit in seconds */
	uint64_t memory_bytes; /**< memory limit in bytes */
	uint32_t pids;         /**< maximum number of processes/threads */
};

/** Allocate an empty policy (every category default deny). */
int policy_new(policy_t **out);

/** Load a JSON policy file (CONTRACTS.md §2). Nothing is half-loaded on error. */
int policy_load_file(policy_t *p, const char *path, struct pol_error *err);

/** Load a JSON policy from memory; @p name is used in errors. */
int policy_load_json(policy_t *p, const char *json, size_t len, const char *name,
		     struct pol_error *err);

/**
 * Apply one Deno-style flag on top of what is loaded: "--allow-net",
 * "--deny-read=/a,/b", "--warn-env=HOME", "--allow-all", ...
 * @return 0; -ENOENT when @p flag is not a policy flag (the caller may try
 *         others); -EINVAL with @p err filled for a bad value.
 */
int policy_apply_flag(policy_t *p, const char *flag, struct pol_error *err);

/** PATH used to resolve bare program names in run rules (default "/usr/local/bin:/usr/bin:/bin"). */
int policy_set_search_path(policy_t *p, const char *path_list);

/** Normalize and build the lookup structures. Required before any decision. */
int policy_finalize(policy_t *p, struct pol_error *err);

/**
 * Decide a request of any category. @p request is a host or host:port (net),
 * an absolute path (fs, run, ffi) or a variable name (env).
 * @return 0 with @p out filled; -EINVAL for a malformed request.
 */
int policy_decide(const policy_t *p, enum pol_cat cat, const char *request,
		  struct pol_decision *out);

/** Decide a network request by name: @p host (no port), @p port (0 = unknown). */
int policy_decide_net(const policy_t *p, const char *host, uint16_t port,
		      struct pol_decision *out);

/**
 * Decide one resolved address for a request to @p host (may be NULL): IP/CIDR
 * rules first; special ranges (loopback, link-local incl. 169.254.169.254,
 * private, CGNAT, multicast, unspecified, and their IPv4-mapped IPv6 forms) are
 * denied unless an IP/CIDR rule allows them, or, for loopback, an exact
 * "localhost" rule matched @p host. Other addresses follow the name decision.
 */
int policy_decide_addr(const policy_t *p, const char *host, const struct sockaddr *addr,
		       struct pol_decision *out);

/** Category default action. */
enum pol_action policy_default(const policy_t *p, enum pol_cat cat);

/** The normalized rules of one category (valid until policy_free). */
int policy_rules(const policy_t *p, enum pol_cat cat, const struct pol_rule **rules, size_t *n);

/** The limits section (zeros where unset). */
const struct pol_limits *policy_limits(const policy_t *p);

/** Whether the policy can allow any network request at all (a non-deny net rule or default). */
int policy_net_possible(const policy_t *p);

/** The normalized policy as JSON text (malloc'd; caller frees). */
int policy_to_json(const policy_t *p, char **out);

/** Names for printing: "net", "fs.read", ..., and "allow"/"warn"/"deny". */
const char *policy_cat_name(enum pol_cat cat);
const char *policy_action_name(enum pol_action a);
/** Parse a category name ("net", "fs.read", "read", "write", "run", "env", "ffi"). -EINVAL if unknown. */
int policy_cat_parse(const char *name, enum pol_cat *out);

/** Free; NULL ok. */
void policy_free(policy_t *p);

#ifdef __cplusplus
}
#endif
#endif /* POD_POLICY_H */
