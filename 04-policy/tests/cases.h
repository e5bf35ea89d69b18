/*
 * cases.h — the tables of the 04-policy test suite.
 *
 * Layer 04 (policy), tests only. cases.c holds the data; test_policy.c runs it.
 * Each table row is one behaviour: a policy (JSON and/or flags), a request and
 * the expected action and rule, or a bad input and the expected error position.
 */
#ifndef POD_POLICY_CASES_H
#define POD_POLICY_CASES_H

#include "policy.h"

#define CAT_ADDR (-1) /* request "HOST@ADDR:PORT" or "@ADDR:PORT" for policy_decide_addr */
#define X_ERR 9       /* expected: the request is rejected (negative return) */

struct dcase {
	const char *json;  /* policy text, NULL for none */
	const char *flags; /* flags separated by spaces, NULL for none */
	int cat;           /* enum pol_cat or CAT_ADDR */
	const char *req;
	int expect;       /* POL_ALLOW / POL_WARN / POL_DENY / X_ERR */
	const char *rule; /* expected rule pattern or "default"; NULL: not checked */
};

struct ecase { /* a policy file that must be rejected */
	const char *json;
	int line, col;
	const char *path; /* expected JSON path */
	const char *msg;  /* substring of the message */
	const char *hint; /* substring of the hint, or NULL */
};

struct fcase { /* a flag that must be rejected (or is not ours) */
	const char *flag;
	int ret; /* expected return (negative errno) */
	int col; /* expected column, -1 not checked */
	const char *path;
	const char *msg;
	const char *hint;
};

struct ncase { /* normalization of one pattern */
	int cat;
	const char *in;
	const char *out; /* normalized, or NULL when it must be rejected */
};

extern const struct dcase dcases[];
extern const struct ecase ecases[];
extern const struct fcase fcases[];
extern const struct ncase ncases[];
extern const int n_dcases, n_ecases, n_fcases, n_ncases;

#endif
