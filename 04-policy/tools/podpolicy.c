/*
 * podpolicy.c — command-line front end of layer 04-policy.
 *
 * Layer 04 (policy). Builds on libpolicy.a (policy.h). Used by people writing
 * policies, by the layer's tests and by scripts:
 *
 *   podpolicy check [FLAGS...] POLICY.json CATEGORY REQUEST
 *       prints the decision, the rule and the reason;
 *       exit 0 allow, 1 deny, 3 warn, 2 error
 *   podpolicy fmt [FLAGS...] POLICY.json
 *       prints the normalized policy as JSON (exit 0, or 2 on error)
 *   podpolicy explain [FLAGS...] POLICY.json CATEGORY REQUEST
 *       as check, and every rule that matches the request, with why the
 *       deciding one wins (exit codes as check)
 *   podpolicy diff A.json B.json
 *       the rules and defaults that differ, one line each: "- CAT ACTION RULE"
 *       only in A, "+ CAT ACTION RULE" only in B, "~ CAT default A -> B";
 *       exit 0 same, 1 different, 2 error
 *
 * FLAGS are the Deno-style permission flags of docs/contracts.md, "Command line" (applied on top of
 * the file) and --search-path=DIRS (for bare program names in run rules).
 * POLICY.json may be "-" (standard input) or "none" (flags only).
 * CATEGORY is net, fs.read (read), fs.write (write), run, env, ffi, or addr:
 * then REQUEST is an address, "ADDR:PORT", "[V6]:PORT", optionally "HOST@ADDR..."
 * (the address check the proxy makes for each resolved IP).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: podpolicy check [FLAGS...] POLICY.json CATEGORY REQUEST\n"
		"       podpolicy fmt [FLAGS...] POLICY.json\n"
		"       podpolicy explain [FLAGS...] POLICY.json CATEGORY REQUEST\n"
		"       podpolicy diff A.json B.json\n"
		"  POLICY.json: a file, - (stdin) or none\n"
		"  CATEGORY: net fs.read fs.write run env ffi addr\n"
		"  FLAGS: --allow-net[=LIST] --deny-read=LIST ... --allow-all --search-path=DIRS\n"
		"  exit: 0 allow, 1 deny, 3 warn, 2 error\n");
}

static void print_error(const struct pol_error *e, int ret)
{
	if (e->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s", e->file, e->line, e->column, e->msg);
	else if (e->column > 0)
		fprintf(stderr, "%s: column %d: error: %s", e->file, e->column, e->msg);
	else
		fprintf(stderr, "%s: error: %s", e->file[0] ? e->file : "podpolicy",
			e->msg[0] ? e->msg : strerror(-ret));
	if (e->path[0])
		fprintf(stderr, " (at %s)", e->path);
	fputc('\n', stderr);
	if (e->hint[0])
		fprintf(stderr, "  hint: %s\n", e->hint);
}

static int load_stdin(policy_t *p, struct pol_error *err)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int ret;

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, stdin);
		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	if (!buf)
		return -ENOMEM;
	ret = policy_load_json(p, buf, n, "<stdin>", err);
	free(buf);
	return ret;
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT", "V6" -> sockaddr */
static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char buf[80];
	const char *colon = strrchr(s, ':');
	unsigned long port = 0;

	memset(ss, 0, sizeof(*ss));
	snprintf(buf, sizeof(buf), "%s", s);
	if (s[0] == '[') {
		char *close = strchr(buf, ']');
		if (!close)
			return -EINVAL;
		*close = '\0';
		if (close[1] == ':')
			port = strtoul(close + 2, NULL, 10);
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	} else if (colon && strchr(s, ':') == colon) {
		buf[colon - s] = '\0';
		port = strtoul(colon + 1, NULL, 10);
	}
	if (port > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -EINVAL;
}

static int decide(policy_t *p, const char *cat, const char *req, struct pol_decision *d)
{
	enum pol_cat c;

	if (strcmp(cat, "addr") == 0) {
		struct sockaddr_storage ss;
		char host[300] = "";
		const char *at = strchr(req, '@');
		if (at) {
			snprintf(host, sizeof(host), "%.*s", (int)(at - req), req);
			req = at + 1;
		}
		if (parse_addr(req, &ss) < 0)
			return -EINVAL;
		return policy_decide_addr(p, at ? host : NULL, (struct sockaddr *)&ss, d);
	}
	if (policy_cat_parse(cat, &c) < 0) {
		fprintf(stderr, "podpolicy: unknown category `%s`\n", cat);
		return -EINVAL;
	}
	return policy_decide(p, c, req, d);
}

/* Load and finalize one policy file ("none": every default deny). */
static int load_one(const char *path, policy_t **out)
{
	struct pol_error err = { 0 };
	policy_t *p = NULL;
	int ret = policy_new(&p);

	if (ret == 0 && strcmp(path, "none"))
		ret = policy_load_file(p, path, &err);
	if (ret == 0)
		ret = policy_finalize(p, &err);
	if (ret < 0) {
		print_error(&err, ret);
		policy_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

/* Is rule @p r (of category @p c) in @p rules with the same action? */
static int has_rule(const struct pol_rule *rules, size_t n, const struct pol_rule *r)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].action == r->action && !strcmp(rules[i].pattern, r->pattern))
			return 1;
	return 0;
}

/* podpolicy diff A B: rules only in A ("-"), only in B ("+"), defaults ("~"). */
static int cmd_diff(int argc, char **argv)
{
	policy_t *a = NULL, *b = NULL;
	int differ = 0, status = 2;

	if (argc != 4) {
		usage();
		return 2;
	}
	if (load_one(argv[2], &a) < 0 || load_one(argv[3], &b) < 0)
		goto out;
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		const struct pol_rule *ra = NULL, *rb = NULL;
		size_t na = 0, nb = 0;
		enum pol_action da = policy_default(a, c), db = policy_default(b, c);

		if (da != db) {
			printf("~ %s default %s -> %s\n", policy_cat_name(c),
			       policy_action_name(da), policy_action_name(db));
			differ = 1;
		}
		if (policy_rules(a, c, &ra, &na) < 0 || policy_rules(b, c, &rb, &nb) < 0)
			goto out;
		for (size_t i = 0; i < na; i++)
			if (!has_rule(rb, nb, &ra[i])) {
				printf("- %s %s %s\n", policy_cat_name(c),
				       policy_action_name(ra[i].action), ra[i].pattern);
				differ = 1;
			}
		for (size_t i = 0; i < nb; i++)
			if (!has_rule(ra, na, &rb[i])) {
				printf("+ %s %s %s\n", policy_cat_name(c),
				       policy_action_name(rb[i].action), rb[i].pattern);
				differ = 1;
			}
	}
	status = differ;
out:
	policy_free(a);
	policy_free(b);
	return status;
}

/*
 * Does rule @p r match @p req? Decided by a policy holding only that rule
 * (the opposite action as its default), so the answer is the engine's own
 * matching, not a second implementation of it.
 */
static int rule_matches(enum pol_cat c, const struct pol_rule *r, const char *req,
			const char *search)
{
	static const char *const verbs[] = { "allow", "warn", "deny" };
	static const char *const names[] = { "net", "read", "write", "run", "env", "ffi" };
	struct pol_decision d = { .reason = "" };
	char flag[4200];
	policy_t *p = NULL;
	int m = 0;

	if (policy_new(&p) < 0)
		return 0;
	if (search)
		policy_set_search_path(p, search);
	snprintf(flag, sizeof flag, "--%s-%s=%s", verbs[r->action], names[c], r->pattern);
	if (!strchr(r->pattern, ',') && policy_apply_flag(p, flag, NULL) == 0 &&
	    policy_finalize(p, NULL) == 0 && policy_decide(p, c, req, &d) == 0)
		m = d.rule && strcmp(d.rule, "default") != 0;
	policy_free(p);
	return m;
}

/* After check's lines: every matching rule, and why the deciding one wins. */
static void explain(const policy_t *p, enum pol_cat c, const char *req,
		    const struct pol_decision *d, const char *search)
{
	const struct pol_rule *r = NULL;
	size_t n = 0, hits = 0;

	if (policy_rules(p, c, &r, &n) < 0)
		return;
	printf("matching rules:\n");
	for (size_t i = 0; i < n; i++) {
		if (!rule_matches(c, &r[i], req, search))
			continue;
		hits++;
		printf("  %s %s%s\n", policy_action_name(r[i].action), r[i].pattern,
		       !strcmp(r[i].pattern, d->rule) && r[i].action == d->action
			   ? "   <- decides: the most specific match (deny > warn > allow on a tie)"
		       : !strcmp(r[i].pattern, d->rule)
			   ? "   (same rule, loses the tie: deny > warn > allow)"
			   : "   (less specific)");
	}
	if (!hits)
		printf("  none: the %s default (%s) decides\n", policy_cat_name(c),
		       policy_action_name(policy_default(p, c)));
}

int main(int argc, char **argv)
{
	struct pol_error err = { 0 };
	policy_t *p = NULL;
	const char *pos[4];
	const char *search = NULL;
	int npos = 0, ret, status = 2, check, expl;

	if (argc >= 2 && !strcmp(argv[1], "diff"))
		return cmd_diff(argc, argv);
	if (argc < 2 ||
	    (strcmp(argv[1], "check") && strcmp(argv[1], "fmt") && strcmp(argv[1], "explain"))) {
		usage();
		return 2;
	}
	expl = strcmp(argv[1], "explain") == 0;
	check = expl || strcmp(argv[1], "check") == 0;
	/* 1. a policy and the flags */
	if (policy_new(&p) < 0)
		return 2;
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "--search-path=", 14) == 0) {
			search = argv[i] + 14;
			policy_set_search_path(p, search);
		} else if (strncmp(argv[i], "--", 2) == 0 && argv[i][2]) {
			ret = policy_apply_flag(p, argv[i], &err);
			if (ret == -ENOENT) {
				fprintf(stderr, "podpolicy: unknown option %s\n", argv[i]);
				goto cleanup;
			}
			if (ret < 0) {
				print_error(&err, ret);
				goto cleanup;
			}
		} else if (npos < 4) {
			pos[npos++] = argv[i];
		} else {
			usage();
			goto cleanup;
		}
	}
	if (npos != (check ? 3 : 1)) {
		usage();
		goto cleanup;
	}
	/* 2. the file */
	if (strcmp(pos[0], "none") == 0)
		ret = 0;
	else if (strcmp(pos[0], "-") == 0)
		ret = load_stdin(p, &err);
	else
		ret = policy_load_file(p, pos[0], &err);
	if (ret == 0)
		ret = policy_finalize(p, &err);
	if (ret < 0) {
		print_error(&err, ret);
		goto cleanup;
	}
	/* 3. the command */
	if (check) {
		struct pol_decision d = { .reason = "" };
		ret = decide(p, pos[1], pos[2], &d);
		if (ret < 0) {
			if (ret == -EINVAL && d.reason[0])
				fprintf(stderr, "podpolicy: %s\n", d.reason);
			else
				fprintf(stderr, "podpolicy: bad %s request `%s`: %s\n", pos[1],
					pos[2], strerror(-ret));
			goto cleanup;
		}
		printf("%s\nrule: %s\nreason: %s\n", policy_action_name(d.action), d.rule,
		       d.reason);
		if (expl && strcmp(pos[1], "addr") &&
		    policy_cat_parse(pos[1], &(enum pol_cat){ 0 }) == 0) {
			enum pol_cat c;
			policy_cat_parse(pos[1], &c);
			explain(p, c, pos[2], &d, search);
		}
		status = d.action == POL_ALLOW ? 0 : d.action == POL_DENY ? 1 : 3;
	} else {
		char *json = NULL;
		if (policy_to_json(p, &json) < 0)
			goto cleanup;
		printf("%s\n", json);
		free(json);
		status = 0;
	}
cleanup:
	policy_free(p);
	return status;
}
