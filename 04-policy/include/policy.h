/**
 * @file
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
 * Semantics are docs/policy.md: among the matching rules the most specific wins;
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

/** A policy: loaded, then finalized, then decided on. Opaque. */
typedef struct policy policy_t;

/** Decision categories. fs is split into read and write. */
enum pol_cat { POL_NET = 0, POL_FS_READ, POL_FS_WRITE, POL_RUN, POL_ENV, POL_FFI, POL_CAT_COUNT };

/** Actions. Numeric order is the tie-break order: deny beats warn beats allow. */
enum pol_action {
	POL_ALLOW = 0,
	POL_WARN = 1, /**< allowed, and reported */
	POL_DENY = 2,
};

/** A rich error from loading or flag parsing. line/column are 1-based, 0 when unknown. */
struct pol_error {
	char file[256]; /**< policy file name, or "<flags>" / "<string>" */
	int line;       /**< 1-based line of the error, 0 when unknown */
	int column;     /**< 1-based column of the error, 0 when unknown */
	char path[256]; /**< JSON path of the offending value, e.g. "$.net.allow[2]" */
	char msg[512];  /**< what is wrong */
	char hint[256]; /**< how to fix it, or "" (e.g. "did you mean `allow`?") */
};

/** One normalized rule, as stored in the policy. */
struct pol_rule {
	enum pol_cat cat;       /**< the category the rule belongs to */
	enum pol_action action; /**< what the rule decides */
	const char *pattern;    /**< normalized text (what `podpolicy fmt` prints) */
};

/** The outcome of one decision. */
struct pol_decision {
	enum pol_action action; /**< the decision */
	const char
	    *rule; /**< the matching rule's normalized pattern, or "default"; owned by the policy */
	char reason[192]; /**< one human sentence */
};

/** The limits section, passed through to the runner. A zero field means "not set". */
struct pol_limits {
	uint32_t timeout_s;       /**< wall-clock limit in seconds */
	uint64_t memory_bytes;    /**< memory limit in bytes */
	uint32_t pids;            /**< maximum number of processes/threads */
	uint32_t cpu_percent;     /**< CPU quota in percent of one CPU ("cpu": 1.5 is 150) */
	uint32_t nofile;          /**< open files of the worker (RLIMIT_NOFILE) */
	uint64_t fsize_bytes;     /**< largest file the worker writes (RLIMIT_FSIZE) */
	uint64_t audit_max_bytes; /**< size cap of the audit stream */
};

/**
 * Allocate an empty policy (every category default deny).
 * @param out set to the new policy
 * @return 0, -EINVAL or -ENOMEM.
 */
int policy_new(policy_t **out);

/**
 * Load a JSON policy file (docs/policy.md). Nothing is half-loaded on error.
 * @param p the policy
 * @param path file to read (at most 64 MiB)
 * @param err filled on failure with file, line, column, JSON path, message, hint (may be NULL)
 * @return 0; -EINVAL for an invalid policy; -errno when the file cannot be read;
 *         -EBUSY when a policy was already loaded or the policy is finalized.
 */
int policy_load_file(policy_t *p, const char *path, struct pol_error *err);

/**
 * Load a JSON policy from memory; @p name is used in errors.
 * @param p the policy
 * @param json the text (need not be NUL-terminated; a NUL inside is an error)
 * @param len its length in bytes
 * @param name shown in errors (NULL: "<string>")
 * @param err filled on failure (may be NULL)
 * @return as policy_load_file.
 */
int policy_load_json(policy_t *p, const char *json, size_t len, const char *name,
		     struct pol_error *err);

/**
 * Apply one Deno-style flag on top of what is loaded: "--allow-net",
 * "--deny-read=/a,/b", "--warn-env=HOME", "--allow-all", ...
 *
 * A flag with a LIST adds one rule per item (as if appended to the file's list
 * of that action); a bare flag sets the category default (--allow-net: default
 * allow, file deny rules still apply); --allow-all sets every default to allow
 * (the caller says so on stderr). A flag rule equal to a file rule merges with it;
 * at equal specificity deny still beats warn beats allow. Flags may be applied
 * before or after the file, never after policy_finalize (-EBUSY).
 * A bad list adds nothing. err->file is "<flags>", err->column the 1-based
 * position of the bad item in @p flag, err->path e.g. "--allow-net[2]".
 *
 * @param p the policy (not finalized)
 * @param flag one command-line argument
 * @param err filled on -EINVAL (may be NULL)
 * @return 0; -ENOENT when @p flag is not a policy flag (the caller may try
 *         others); -EINVAL with @p err filled for a bad value, or for an
 *         unknown --allow-X/--deny-X/--warn-X (with a "did you mean" hint);
 *         -EBUSY after policy_finalize.
 */
int policy_apply_flag(policy_t *p, const char *flag, struct pol_error *err);

/**
 * The PATH a bare program name is looked up on, unless set otherwise: the one
 * default of the project (policies, the runner's program lookup, the runtime).
 */
#define POL_DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"

/**
 * PATH used to resolve bare program names in run rules (default POL_DEFAULT_PATH).
 * A bare name becomes the first executable regular file found on it, at
 * policy_finalize; a name found nowhere is an error there (-ENOENT, with the
 * rule's position). Bare names in run requests are resolved the same way.
 * @param p the policy (not finalized)
 * @param path_list colon-separated directories; relative entries are ignored
 * @return 0, -ENOMEM, or -EBUSY after policy_finalize.
 */
int policy_set_search_path(policy_t *p, const char *path_list);

/**
 * Normalize and build the lookup structures. Required before any decision.
 * Calling it again is a no-op.
 * @param p the policy
 * @param err filled on failure (may be NULL)
 * @return 0; -ENOENT when a bare run program is not on the search path; -ENOMEM.
 */
int policy_finalize(policy_t *p, struct pol_error *err);

/**
 * Decide a request of any category. @p request is a host or host:port (net;
 * IPv6 as "[::1]:443" or bare "::1"), an absolute path (fs, run, ffi; normalized
 * lexically first), a bare program name (run; resolved on the search path) or a
 * variable name (env). A net request without a port means "port unknown": see
 * policy_decide_net.
 * @param p a finalized policy
 * @param cat the category
 * @param request the request text
 * @param out the decision (rule and reason strings stay valid until policy_free)
 * @return 0 with @p out filled; -EINVAL for a malformed request or a policy that
 *         is not finalized; -ENOENT for a bare run name not on the search path.
 */
int policy_decide(const policy_t *p, enum pol_cat cat, const char *request,
		  struct pol_decision *out);

/**
 * Decide a network request by name: @p host (no port), @p port (0 = unknown).
 * The host is lower-cased and a trailing dot removed; an IP literal (IPv6 with or
 * without brackets) is decided by the IP/CIDR rules. With port 0 the answer is
 * the most permissive over every port ("could this name be used at all?", e.g.
 * for DNS answers); decide again with the real port when connecting.
 * @param p a finalized policy
 * @param host host name or IP literal
 * @param port 1-65535, or 0 for unknown
 * @param out the decision
 * @return 0; -EINVAL for a malformed host or a policy that is not finalized.
 */
int policy_decide_net(const policy_t *p, const char *host, uint16_t port, struct pol_decision *out);

/**
 * Decide one resolved address for a request to @p host (may be NULL): IP/CIDR
 * rules first; special ranges (loopback, link-local incl. 169.254.169.254,
 * private, CGNAT, multicast, unspecified, and their IPv4-mapped IPv6 forms) are
 * denied unless an IP/CIDR rule allows them, or, for loopback, an exact
 * "localhost" rule matched @p host. Other addresses follow the name decision.
 *
 * Details: the port comes from @p addr (0 = unknown). Inside a special range only
 * IP/CIDR rules at least as narrow as the range count, so "0.0.0.0/0" does not
 * open 169.254.169.254 or 127.0.0.1. IPv4-mapped (::ffff:a.b.c.d), -compatible
 * (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms are checked as their IPv4
 * address. A special address denied this way reports rule "default". When an
 * IP/CIDR rule matches, its action is the answer for the address; the caller
 * (05-proxy) also needs the name decision (policy_decide_net) to allow.
 * @param p a finalized policy
 * @param host the name that resolved to @p addr, or NULL
 * @param addr an AF_INET or AF_INET6 socket address
 * @param out the decision
 * @return 0; -EINVAL for another address family, a malformed host, or a policy
 *         that is not finalized.
 */
int policy_decide_addr(const policy_t *p, const char *host, const struct sockaddr *addr,
		       struct pol_decision *out);

/**
 * Category default action.
 * @param p the policy (POL_DENY for NULL)
 * @param cat the category
 * @return the default: the file's, or the last bare flag's; POL_DENY when unset.
 */
enum pol_action policy_default(const policy_t *p, enum pol_cat cat);

/**
 * The normalized rules of one category (valid until policy_free), in load order,
 * run programs resolved to absolute paths.
 * @param p a finalized policy
 * @param cat the category
 * @param rules set to the array
 * @param n set to its length
 * @return 0; -EAGAIN before policy_finalize; -EINVAL for bad arguments.
 */
int policy_rules(const policy_t *p, enum pol_cat cat, const struct pol_rule **rules, size_t *n);

/**
 * The limits section (zeros where unset).
 * @param p the policy (a static all-zero struct for NULL)
 * @return the limits; memory is in bytes ("256m" = 268435456).
 */
const struct pol_limits *policy_limits(const policy_t *p);

/**
 * Whether the policy can allow any network request at all (a non-deny net rule or default).
 * @param p the policy
 * @return 1 or 0.
 */
int policy_net_possible(const policy_t *p);

/**
 * The normalized policy as JSON text (malloc'd; caller frees). The text is a
 * valid policy file that loads to the same rules (what `podpolicy fmt` prints).
 * @param p the policy
 * @param out set to the text
 * @return 0, -EINVAL or -ENOMEM.
 */
int policy_to_json(const policy_t *p, char **out);

/**
 * Name of a category for printing.
 * @param cat the category
 * @return "net", "fs.read", "fs.write", "run", "env", "ffi" ("?" if out of range).
 */
const char *policy_cat_name(enum pol_cat cat);
/**
 * Name of an action for printing.
 * @param a the action
 * @return "allow", "warn" or "deny" ("?" if out of range).
 */
const char *policy_action_name(enum pol_action a);
/**
 * Parse a category name ("net", "fs.read", "read", "fs.write", "write", "run", "env", "ffi").
 * @param name the text
 * @param out set to the category
 * @return 0, or -EINVAL if unknown.
 */
int policy_cat_parse(const char *name, enum pol_cat *out);

/**
 * Free a policy and everything it owns (rule and reason strings included).
 * @param p the policy; NULL is fine
 */
void policy_free(policy_t *p);

#ifdef __cplusplus
}
#endif
#endif /* POD_POLICY_H */
