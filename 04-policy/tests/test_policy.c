/*
 * test_policy.c — the Check suite of layer 04-policy.
 *
 * Layer 04 (policy), tests only. Builds on libpolicy.a, the tables in cases.c
 * and the linear-scan reference in linear_ref.c. One Suite, TCases per aspect:
 *   decisions      every row of dcases[] (paths, hosts, IPs, addresses, env, run, ffi,
 *                  defaults, flag/file merging)
 *   loader         every row of ecases[] (error class, line, column, JSON path, hint),
 *                  nothing half-loaded, files on disk
 *   flags          every row of fcases[], and that a bad list adds nothing
 *   normalization  every row of ncases[]
 *   api            life cycle, getters, limits, round trip through policy_to_json
 *   crosscheck     randomized policies: fast lookups == linear scan
 *   tool           podpolicy exit codes and output
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unistd.h>

#include "cases.h"
#include "linear_ref.h"
#include "podtest.h"
#include "policy.h"

/* ---------------------------------------------------------------- helpers */

/* Build a finalized policy from JSON (may be NULL) and space-separated flags. */
static policy_t *mk_policy(const char *json, const char *flags)
{
	struct pol_error err;
	policy_t *p = NULL;
	int ret;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_set_search_path(p, "/bin"), 0);
	if (json) {
		ret = policy_load_json(p, json, strlen(json), "t.json", &err);
		ck_assert_msg(ret == 0, "load: %s:%d:%d %s", err.file, err.line, err.column,
			      err.msg);
	}
	if (flags) {
		char buf[4096], *save = NULL;
		snprintf(buf, sizeof(buf), "%s", flags);
		for (char *f = strtok_r(buf, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
			ret = policy_apply_flag(p, f, &err);
			ck_assert_msg(ret == 0, "flag %s: %s", f, err.msg);
		}
	}
	ret = policy_finalize(p, &err);
	ck_assert_msg(ret == 0, "finalize: %s", err.msg);
	return p;
}

/* "HOST@ADDR:PORT", "@[V6]:PORT" -> policy_decide_addr */
static int decide_addr_str(const policy_t *p, const char *req, struct pol_decision *d)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	char host[256], addr[80];
	const char *at = strchr(req, '@'), *a = at + 1, *pc;
	int port;

	snprintf(host, sizeof(host), "%.*s", (int)(at - req), req);
	if (a[0] == '[') {
		pc = strchr(a, ']');
		snprintf(addr, sizeof(addr), "%.*s", (int)(pc - a - 1), a + 1);
		port = atoi(pc + 2);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
	} else {
		pc = strchr(a, ':');
		snprintf(addr, sizeof(addr), "%.*s", (int)(pc - a), a);
		port = atoi(pc + 1);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &s4->sin_addr), 1);
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
	}
	return policy_decide_addr(p, host[0] ? host : NULL, (struct sockaddr *)&ss, d);
}

/* ---------------------------------------------------------------- decisions */

START_TEST(test_decision_table_row)
{
	const struct dcase *c = &dcases[_i];
	policy_t *p = mk_policy(c->json, c->flags);
	struct pol_decision d;
	int ret = c->cat == CAT_ADDR ? decide_addr_str(p, c->req, &d)
				     : policy_decide(p, (enum pol_cat)c->cat, c->req, &d);

	if (c->expect == X_ERR) {
		ck_assert_msg(ret < 0, "row %d (%s): expected an error, got %s", _i, c->req,
			      policy_action_name(d.action));
	} else {
		ck_assert_msg(ret == 0, "row %d (%s): ret %d", _i, c->req, ret);
		ck_assert_msg((int)d.action == c->expect && strcmp(d.rule, c->rule) == 0,
			      "row %d (%s): got %s by `%s` (%s), want %s by `%s`", _i, c->req,
			      policy_action_name(d.action), d.rule, d.reason,
			      policy_action_name((enum pol_action)c->expect), c->rule);
		ck_assert(strlen(d.reason) > 0);
	}
	policy_free(p);
}
END_TEST

START_TEST(test_reason_names_request_and_rule)
{
	policy_t *p = mk_policy("{\"fs\": {\"read\": {\"deny\": [\"/data/secret\"]}}}", NULL);
	struct pol_decision d;

	ck_assert_int_eq(policy_decide(p, POL_FS_READ, "/data/secret/k", &d), 0);
	ck_assert_str_eq(d.reason, "/data/secret/k matches deny rule `/data/secret`");
	ck_assert_int_eq(policy_decide(p, POL_FS_READ, "/x", &d), 0);
	ck_assert_str_eq(d.reason, "/x: no fs.read rule matches; the default is deny");
	policy_free(p);
}
END_TEST

START_TEST(test_reason_is_truncated_not_overflowed)
{
	policy_t *p = mk_policy("{\"fs\": {\"read\": {\"allow\": [\"/a\"]}}}", NULL);
	struct pol_decision d;
	char path[3000] = "/a/";

	memset(path + 3, 'x', sizeof(path) - 4);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(policy_decide(p, POL_FS_READ, path, &d), 0);
	ck_assert_int_eq(d.action, POL_ALLOW);
	ck_assert_uint_lt(strlen(d.reason), sizeof(d.reason));
	{
		char *huge = malloc(5000);
		memset(huge, 'a', 4999);
		huge[0] = '/';
		huge[4999] = '\0';
		ck_assert_int_eq(policy_decide(p, POL_FS_READ, huge, &d), -EINVAL);
		ck_assert_int_eq(policy_decide(p, POL_NET, huge + 1, &d), -EINVAL);
		ck_assert_int_eq(policy_decide(p, POL_ENV, huge + 1, &d), -EINVAL);
		free(huge);
	}
	policy_free(p);
}
END_TEST

/* ---------------------------------------------------------------- loader errors */

START_TEST(test_loader_error_table_row)
{
	const struct ecase *c = &ecases[_i];
	struct pol_error err;
	policy_t *p = NULL;
	const struct pol_rule *rules;
	size_t n;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_json(p, c->json, strlen(c->json), "bad.json", &err), -EINVAL);
	ck_assert_str_eq(err.file, "bad.json");
	ck_assert_msg(err.line == c->line && err.column == c->col,
		      "row %d: at %d:%d, want %d:%d (%s)", _i, err.line, err.column, c->line,
		      c->col, err.msg);
	ck_assert_msg(strcmp(err.path, c->path) == 0, "row %d: path %s, want %s", _i, err.path,
		      c->path);
	ck_assert_msg(strstr(err.msg, c->msg), "row %d: msg `%s` lacks `%s`", _i, err.msg, c->msg);
	if (c->hint)
		ck_assert_msg(strstr(err.hint, c->hint), "row %d: hint `%s` lacks `%s`", _i,
			      err.hint, c->hint);
	/* nothing half-loaded: the policy is still empty and usable */
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	for (int cat = 0; cat < POL_CAT_COUNT; cat++) {
		ck_assert_int_eq(policy_rules(p, (enum pol_cat)cat, &rules, &n), 0);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(policy_default(p, (enum pol_cat)cat), POL_DENY);
	}
	ck_assert_uint_eq(policy_limits(p)->pids, 0);
	policy_free(p);
}
END_TEST

START_TEST(test_loader_rejects_nul_byte)
{
	static const char text[] = "{\n \"net\": {}\0}";
	struct pol_error err;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_json(p, text, sizeof(text) - 1, "nul.json", &err), -EINVAL);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 11);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
	policy_free(p);
}
END_TEST

START_TEST(test_loader_accepts_utf8_bom_and_keeps_positions)
{
	static const char text[] = "\xef\xbb\xbf{\"net\": {\"allow\": [\"a.com\", \"a b\"]}}";
	struct pol_error err;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_json(p, text, strlen(text), "bom.json", &err), -EINVAL);
	ck_assert_str_eq(err.path, "$.net.allow[1]");
	ck_assert_int_eq(err.column, 30);
	policy_free(p);
	p = mk_policy("\xef\xbb\xbf{\"net\": {\"allow\": [\"a.com\"]}}", NULL);
	policy_free(p);
}
END_TEST

START_TEST(test_failed_load_keeps_earlier_flags_and_allows_retry)
{
	static const char bad[] =
	    "{\"net\": {\"allow\": [\"x.org\"]}, \"env\": {\"allow\": [\"1X\"]}}";
	static const char good[] = "{\"net\": {\"allow\": [\"y.org\"]}}";
	struct pol_error err;
	struct pol_decision d;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-env=HOME", &err), 0);
	ck_assert_int_eq(policy_load_json(p, bad, strlen(bad), "bad.json", &err), -EINVAL);
	ck_assert_int_eq(policy_load_json(p, good, strlen(good), "good.json", &err), 0);
	ck_assert_int_eq(policy_load_json(p, good, strlen(good), "again.json", &err), -EBUSY);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(policy_decide(p, POL_NET, "x.org", &d), 0);
	ck_assert_int_eq(d.action, POL_DENY); /* the bad file's rule never landed */
	ck_assert_int_eq(policy_decide(p, POL_NET, "y.org", &d), 0);
	ck_assert_int_eq(d.action, POL_ALLOW);
	ck_assert_int_eq(policy_decide(p, POL_ENV, "HOME", &d), 0);
	ck_assert_int_eq(d.action, POL_ALLOW);
	policy_free(p);
}
END_TEST

START_TEST(test_loader_positions_survive_odd_white_space)
{
	/* cJSON skips every byte <= 32 (form feed, vertical tab...): so must the scanner */
	static const char text[] = "{\f\"net\":\v{\"allow\": [\x01\"a.com\",\x1f \"a b\"]}}";
	struct pol_error err;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_json(p, text, strlen(text), "ws.json", &err), -EINVAL);
	ck_assert_str_eq(err.path, "$.net.allow[1]");
	ck_assert_int_eq(err.column, 32);
	policy_free(p);
}
END_TEST

START_TEST(test_load_file_reports_path_line_and_missing_file)
{
	char path[] = "/tmp/pol04-XXXXXX";
	int fd = mkstemp(path);
	static const char text[] =
	    "{\n  \"fs\": {\n    \"read\": {\"allow\": [\"/ok\", \"rel\"]}\n  }\n}\n";
	struct pol_error err;
	policy_t *p = NULL;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_file(p, path, &err), -EINVAL);
	ck_assert_str_eq(err.file, path);
	ck_assert_int_eq(err.line, 3);
	ck_assert_int_eq(err.column, 31);
	ck_assert_str_eq(err.path, "$.fs.read.allow[1]");
	unlink(path);
	ck_assert_int_eq(policy_load_file(p, path, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot open"));
	ck_assert_int_eq(policy_load_file(p, "/tmp", &err), -EINVAL);
	policy_free(p);
}
END_TEST

START_TEST(test_unresolvable_program_is_reported_at_its_rule)
{
	static const char text[] = "{\"run\": {\n  \"allow\": [\"sh\", \"no-such-program-04\"]}}";
	struct pol_error err;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_json(p, text, strlen(text), "run.json", &err), 0);
	ck_assert_int_eq(policy_finalize(p, &err), -ENOENT);
	ck_assert_int_eq(err.line, 2);
	ck_assert_int_eq(err.column, 19);
	ck_assert_str_eq(err.path, "$.run.allow[1]");
	ck_assert_ptr_nonnull(strstr(err.msg, "not found in the search path"));
	policy_free(p);
}
END_TEST

START_TEST(test_failed_finalize_then_more_flags_is_safe)
{
	/* x86_64-linux-gnu-gcc (package gcc, from build-essential) resolves; the other
	 * does not. The resolved rule's old text must stay valid for later flags. */
	struct pol_error err;
	struct pol_decision d;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_set_search_path(p, "/usr/bin"), 0);
	ck_assert_int_eq(
	    policy_apply_flag(p, "--allow-run=x86_64-linux-gnu-gcc,no-such-program-04-long", &err),
	    0);
	ck_assert_int_eq(policy_finalize(p, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "no-such-program-04-long"));
	ck_assert_int_eq(policy_apply_flag(p, "--allow-run=x86_64-linux-gnu-gcc", &err), 0);
	ck_assert_int_eq(policy_set_search_path(p, "/usr/bin:/"), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--deny-run=no-such-program-04-long", &err), 0);
	ck_assert_int_eq(policy_finalize(p, &err), -ENOENT);
	policy_free(p);

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_set_search_path(p, "/usr/bin"), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-run=x86_64-linux-gnu-gcc", &err), 0);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(policy_decide(p, POL_RUN, "/usr/bin/x86_64-linux-gnu-gcc", &d), 0);
	ck_assert_int_eq(d.action, POL_ALLOW);
	policy_free(p);
}
END_TEST

START_TEST(test_large_single_line_policy_loads)
{
	/* 20,000 rules on one line: positions must not cost O(n^2) */
	size_t cap = 20000 * 24 + 64, o = 0;
	char *s = malloc(cap);
	struct pol_error err;
	struct pol_decision d;
	policy_t *p = NULL;

	o += (size_t)sprintf(s + o, "{\"fs\": {\"read\": {\"allow\": [");
	for (int i = 0; i < 20000; i++)
		o += (size_t)sprintf(s + o, "%s\"/d/%d\"", i ? "," : "", i);
	o += (size_t)sprintf(s + o, "]}}}");
	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_load_json(p, s, o, "big.json", &err), 0);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(policy_decide(p, POL_FS_READ, "/d/19999/x", &d), 0);
	ck_assert_str_eq(d.rule, "/d/19999");
	free(s);
	policy_free(p);
}
END_TEST

/* ---------------------------------------------------------------- flags */

START_TEST(test_flag_error_table_row)
{
	const struct fcase *c = &fcases[_i];
	struct pol_error err;
	policy_t *p = NULL;
	int ret;

	ck_assert_int_eq(policy_new(&p), 0);
	ret = policy_apply_flag(p, c->flag, &err);
	ck_assert_msg(ret == c->ret, "row %d (%s): ret %d want %d", _i, c->flag, ret, c->ret);
	if (c->ret == -EINVAL) {
		ck_assert_str_eq(err.file, "<flags>");
		if (c->col >= 0)
			ck_assert_msg(err.column == c->col, "row %d: column %d want %d", _i,
				      err.column, c->col);
		ck_assert_msg(strcmp(err.path, c->path) == 0, "row %d: path %s", _i, err.path);
		ck_assert_msg(strstr(err.msg, c->msg), "row %d: msg %s", _i, err.msg);
		if (c->hint)
			ck_assert_msg(strstr(err.hint, c->hint), "row %d: hint `%s`", _i, err.hint);
		else
			ck_assert_msg(err.hint[0] == '\0' || c->col != 1,
				      "row %d: unexpected hint %s", _i, err.hint);
	}
	policy_free(p);
}
END_TEST

START_TEST(test_bad_flag_list_adds_nothing)
{
	struct pol_error err;
	struct pol_decision d;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-net=a.com,b..com", &err), -EINVAL);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(policy_decide(p, POL_NET, "a.com", &d), 0);
	ck_assert_int_eq(d.action, POL_DENY);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-net=c.com", &err), -EBUSY);
	policy_free(p);
}
END_TEST

START_TEST(test_flags_before_file_merge_with_file_rules)
{
	static const char text[] = "{\"net\": {\"allow\": [\"a.com\"], \"deny\": [\"b.com\"]}}";
	struct pol_error err;
	struct pol_decision d;
	const struct pol_rule *r;
	size_t n;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-net=a.com,b.com", &err), 0);
	ck_assert_int_eq(policy_load_json(p, text, strlen(text), "f.json", &err), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-net=a.com", &err), 0);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(policy_rules(p, POL_NET, &r, &n), 0);
	ck_assert_uint_eq(n, 3); /* a.com (once), b.com allow, b.com deny */
	ck_assert_int_eq(policy_decide(p, POL_NET, "b.com", &d), 0);
	ck_assert_int_eq(d.action, POL_DENY);
	policy_free(p);
}
END_TEST

START_TEST(test_bare_flag_before_file_stays_on_top_of_file_default)
{
	static const char text[] = "{\"net\": {\"default\": \"deny\", \"deny\": [\"b.com\"]},"
				   " \"fs\": {\"default\": \"warn\"}}";
	struct pol_error err;
	struct pol_decision d;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--allow-net", &err), 0);
	ck_assert_int_eq(policy_apply_flag(p, "--deny-write", &err), 0);
	ck_assert_int_eq(policy_load_json(p, text, strlen(text), "f.json", &err), 0);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(policy_default(p, POL_NET), POL_ALLOW);     /* the flag, not the file */
	ck_assert_int_eq(policy_default(p, POL_FS_WRITE), POL_DENY); /* the flag, not fs.default */
	ck_assert_int_eq(policy_default(p, POL_FS_READ),
			 POL_WARN); /* the file where no flag spoke */
	ck_assert_int_eq(policy_decide(p, POL_NET, "a.com:443", &d), 0);
	ck_assert_int_eq(d.action, POL_ALLOW);
	ck_assert_int_eq(policy_decide(p, POL_NET, "b.com:443", &d), 0);
	ck_assert_int_eq(d.action, POL_DENY); /* file deny rules still apply */
	policy_free(p);
}
END_TEST

/* ---------------------------------------------------------------- normalization */

START_TEST(test_normalization_table_row)
{
	static const char *const word[] = { "net", "read", "write", "run", "env", "ffi" };
	const struct ncase *c = &ncases[_i];
	struct pol_error err;
	const struct pol_rule *r;
	size_t n;
	char flag[300];
	policy_t *p = NULL;
	int ret;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_set_search_path(p, "/nonexistent:/bin"), 0);
	snprintf(flag, sizeof(flag), "--allow-%s=%s", word[c->cat], c->in);
	ret = policy_apply_flag(p, flag, &err);
	if (!c->out) {
		ck_assert_msg(ret == -EINVAL, "row %d: `%s` accepted", _i, c->in);
		ck_assert(err.msg[0]);
	} else {
		ck_assert_msg(ret == 0, "row %d: `%s` rejected: %s", _i, c->in, err.msg);
		ck_assert_int_eq(policy_finalize(p, &err), 0);
		ck_assert_int_eq(policy_rules(p, (enum pol_cat)c->cat, &r, &n), 0);
		ck_assert_uint_eq(n, 1);
		ck_assert_msg(strcmp(r[0].pattern, c->out) == 0, "row %d: `%s` -> `%s`, want `%s`",
			      _i, c->in, r[0].pattern, c->out);
		ck_assert_int_eq(r[0].cat, c->cat);
		ck_assert_int_eq(r[0].action, POL_ALLOW);
	}
	policy_free(p);
}
END_TEST

/* ---------------------------------------------------------------- api */

START_TEST(test_decide_requires_finalize_and_valid_arguments)
{
	struct pol_decision d;
	struct sockaddr_un_like {
		sa_family_t f;
		char x[20];
	} su = { AF_UNIX, "" };
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	ck_assert_int_eq(policy_decide(p, POL_NET, "a.com", &d), -EINVAL);
	ck_assert_int_eq(policy_decide_net(p, "a.com", 1, &d), -EINVAL);
	ck_assert_int_eq(policy_finalize(p, NULL), 0);
	ck_assert_int_eq(policy_finalize(p, NULL), 0);
	ck_assert_int_eq(policy_decide(p, POL_CAT_COUNT, "a", &d), -EINVAL);
	ck_assert_int_eq(policy_decide(p, POL_NET, NULL, &d), -EINVAL);
	ck_assert_int_eq(policy_decide(NULL, POL_NET, "a.com", &d), -EINVAL);
	ck_assert_int_eq(policy_decide_addr(p, "a.com", (struct sockaddr *)&su, &d), -EINVAL);
	ck_assert_int_eq(policy_decide_addr(p, "a.com", NULL, &d), -EINVAL);
	ck_assert_int_eq(policy_decide_net(p, "bad host", 1, &d), -EINVAL);
	ck_assert_int_eq(policy_set_search_path(p, "/x"), -EBUSY);
	policy_free(p);
	policy_free(NULL);
	ck_assert_int_eq(policy_new(NULL), -EINVAL);
}
END_TEST

START_TEST(test_decide_net_matches_decide_with_port)
{
	policy_t *p =
	    mk_policy("{\"net\": {\"allow\": [\"*.a.com:443\"], \"deny\": [\"x.a.com\"]}}", NULL);
	struct pol_decision d;

	ck_assert_int_eq(policy_decide_net(p, "y.A.com.", 443, &d), 0);
	ck_assert_int_eq(d.action, POL_ALLOW);
	ck_assert_int_eq(policy_decide_net(p, "y.a.com", 80, &d), 0);
	ck_assert_int_eq(d.action, POL_DENY);
	ck_assert_int_eq(policy_decide_net(p, "x.a.com", 443, &d), 0);
	ck_assert_str_eq(d.rule, "x.a.com");
	ck_assert_int_eq(policy_decide_net(p, "[::1]", 443, &d), 0);
	ck_assert_str_eq(d.rule, "default");
	policy_free(p);
}
END_TEST

START_TEST(test_names_and_category_parsing)
{
	enum pol_cat c;

	ck_assert_str_eq(policy_cat_name(POL_FS_WRITE), "fs.write");
	ck_assert_str_eq(policy_action_name(POL_WARN), "warn");
	ck_assert_int_eq(policy_cat_parse("read", &c), 0);
	ck_assert_int_eq(c, POL_FS_READ);
	ck_assert_int_eq(policy_cat_parse("fs.write", &c), 0);
	ck_assert_int_eq(c, POL_FS_WRITE);
	ck_assert_int_eq(policy_cat_parse("ffi", &c), 0);
	ck_assert_int_eq(c, POL_FFI);
	ck_assert_int_eq(policy_cat_parse("fs", &c), -EINVAL);
	ck_assert_int_eq(policy_cat_parse(NULL, &c), -EINVAL);
}
END_TEST

START_TEST(test_limits_are_passed_through)
{
	policy_t *p = mk_policy(
	    "{\"limits\": {\"timeout_s\": 30, \"memory\": \"256m\", \"pids\": 64}}", NULL);

	ck_assert_uint_eq(policy_limits(p)->timeout_s, 30);
	ck_assert_uint_eq(policy_limits(p)->memory_bytes, 256ull << 20);
	ck_assert_uint_eq(policy_limits(p)->pids, 64);
	policy_free(p);
	p = mk_policy("{\"limits\": {\"memory\": \"2G\"}}", NULL);
	ck_assert_uint_eq(policy_limits(p)->memory_bytes, 2ull << 30);
	ck_assert_uint_eq(policy_limits(p)->timeout_s, 0);
	policy_free(p);
	p = mk_policy("{\"limits\": {\"memory\": 4096}}", NULL);
	ck_assert_uint_eq(policy_limits(p)->memory_bytes, 4096);
	policy_free(p);
	p = mk_policy("{\"limits\": {\"cpu\": 1.5, \"nofile\": 64, \"fsize\": \"8m\", "
		      "\"audit_max\": 65536}}",
		      NULL);
	ck_assert_uint_eq(policy_limits(p)->cpu_percent, 150);
	ck_assert_uint_eq(policy_limits(p)->nofile, 64);
	ck_assert_uint_eq(policy_limits(p)->fsize_bytes, 8ull << 20);
	ck_assert_uint_eq(policy_limits(p)->audit_max_bytes, 65536);
	policy_free(p);
}
END_TEST

START_TEST(test_net_possible_tracks_non_deny_rules_and_default)
{
	policy_t *p = mk_policy("{\"net\": {\"deny\": [\"a.com\"]}}", NULL);
	ck_assert_int_eq(policy_net_possible(p), 0);
	policy_free(p);
	p = mk_policy("{\"net\": {\"warn\": [\"a.com\"]}}", NULL);
	ck_assert_int_eq(policy_net_possible(p), 1);
	policy_free(p);
	p = mk_policy(NULL, "--allow-net");
	ck_assert_int_eq(policy_net_possible(p), 1);
	policy_free(p);
}
END_TEST

/* Load @p json, print it, load the print: same rules and defaults. */
static void check_round_trip(const char *json, const char *name)
{
	policy_t *a = mk_policy(json, NULL), *b;
	char *out = NULL, *out2 = NULL;

	ck_assert_int_eq(policy_to_json(a, &out), 0);
	b = mk_policy(out, NULL);
	ck_assert_int_eq(policy_to_json(b, &out2), 0);
	ck_assert_msg(strcmp(out, out2) == 0, "%s: fmt is not stable", name);
	for (int c = 0; c < POL_CAT_COUNT; c++) {
		const struct pol_rule *ra, *rb;
		size_t na, nb;
		ck_assert_int_eq(policy_rules(a, (enum pol_cat)c, &ra, &na), 0);
		ck_assert_int_eq(policy_rules(b, (enum pol_cat)c, &rb, &nb), 0);
		ck_assert_uint_eq(na, nb);
		ck_assert_int_eq(policy_default(a, (enum pol_cat)c),
				 policy_default(b, (enum pol_cat)c));
	}
	ck_assert_mem_eq(policy_limits(a), policy_limits(b), sizeof(struct pol_limits));
	free(out);
	free(out2);
	policy_free(a);
	policy_free(b);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return s;
}

START_TEST(test_examples_load_and_round_trip_through_fmt)
{
	glob_t g;

	ck_assert_int_eq(glob("examples/*.json", 0, NULL, &g), 0);
	ck_assert_uint_ge(g.gl_pathc, 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *s = slurp(g.gl_pathv[i]);
		check_round_trip(s, g.gl_pathv[i]);
		free(s);
	}
	globfree(&g);
	check_round_trip("{\"fs\": {\"read\": {\"default\": \"allow\"}}, \"net\": {\"allow\": "
			 "[\"[::1]:80\", \"fd00::/8\"]}}",
			 "split fs defaults");
}
END_TEST

/* Many threads deciding on one policy must agree with one thread. */
struct thr {
	const policy_t *p;
	int mismatches;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	struct pol_decision d;
	char host[64];

	for (int i = 0; i < 20000; i++) {
		snprintf(host, sizeof(host), "h%d.example.com", i % 100);
		if (policy_decide_net(t->p, host, 443, &d) != 0 ||
		    d.action != (i % 100 < 50 ? POL_ALLOW : POL_WARN))
			t->mismatches++;
	}
	return NULL;
}

START_TEST(test_concurrent_decisions_agree)
{
	char flags[2048] = "--warn-net=*.example.com --allow-net=";
	struct thr t[4];
	pthread_t th[4];
	policy_t *p;

	for (int i = 0; i < 50; i++)
		snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%sh%d.example.com",
			 i ? "," : "", i);
	p = mk_policy(NULL, flags);
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ p, 0 };
		ck_assert_int_eq(pthread_create(&th[i], NULL, thr_main, &t[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		ck_assert_int_eq(t[i].mismatches, 0);
	}
	policy_free(p);
}
END_TEST

/* ---------------------------------------------------------------- crosscheck */

static const char *pick(const char *const *v, int n)
{
	return v[rand() % n];
}

static void rand_path(char *out, size_t sz)
{
	static const char *const comp[] = { "a", "b", "c", "ab", "data", "x.y", "..", "." };
	int depth = 1 + rand() % 5;
	size_t o = 0;

	for (int i = 0; i < depth && o + 8 < sz; i++)
		o += (size_t)snprintf(out + o, sz - o, "/%s", pick(comp, 6 + (i > 0) * 2));
}

static void rand_host(char *out, size_t sz, int allow_wild)
{
	static const char *const lab[] = { "a", "b", "ex", "com", "org", "api" };
	int depth = 1 + rand() % 4;
	size_t o = 0;

	if (allow_wild && rand() % 3 == 0)
		o += (size_t)snprintf(out, sz, "*.");
	for (int i = 0; i < depth; i++)
		o += (size_t)snprintf(out + o, sz - o, "%s%s", i ? "." : "", pick(lab, 6));
}

static void rand_ip(char *out, size_t sz, int rule)
{
	static const int lens4[] = { 8, 16, 24, 30, 32, 32 };
	static const int lens6[] = { 16, 64, 120, 128, 128 };
	if (rand() % 4) {
		unsigned a = 10, b = (unsigned)rand() % 3, c = (unsigned)rand() % 3,
			 d = (unsigned)rand() % 5;
		int L = lens4[rand() % 6];
		uint32_t v = a << 24 | b << 16 | c << 8 | d;
		if (rule && L < 32)
			v &= ~((1u << (32 - L)) - 1);
		if (rule && L < 32)
			snprintf(out, sz, "%u.%u.%u.%u/%d", v >> 24, v >> 16 & 255, v >> 8 & 255,
				 v & 255, L);
		else
			snprintf(out, sz, "%u.%u.%u.%u", v >> 24, v >> 16 & 255, v >> 8 & 255,
				 v & 255);
	} else {
		int L = lens6[rand() % 5];
		unsigned x = (unsigned)rand() % 3, y = (unsigned)rand() % 4;
		if (!rule || L == 128)
			snprintf(out, sz, "fd00:%x::%x", x, y);
		else if (L >= 64)
			snprintf(out, sz, "fd00:%x::/%d", x, L == 120 ? 64 : L);
		else
			snprintf(out, sz, "fd00::/%d", L);
	}
}

static const char *const acts[] = { "allow", "warn", "deny" };
static const int ports[] = { 0, 0, 80, 443, 8080 };

static void crosscheck(enum pol_cat cat, int nrules, int nreq, unsigned seed)
{
	static const char *const word[] = { "net", "read", "write", "run", "env", "ffi" };
	static const char *const envs[] = { "A", "B", "AB", "A_B", "ABA", "B_", "AAA" };
	struct pol_error err;
	struct linref ref;
	policy_t *p = NULL;
	char pat[128], flag[200], req[128];
	int mism = 0;

	srand(seed);
	ck_assert_int_eq(policy_new(&p), 0);
	if (rand() % 2)
		ck_assert_int_eq(
		    policy_apply_flag(p, cat == POL_NET ? "--warn-net" : "--allow-read", &err), 0);
	for (int i = 0; i < nrules; i++) {
		int port = ports[rand() % 5];
		if (cat == POL_NET && rand() % 3 == 0) {
			rand_ip(pat, sizeof(pat), 1);
			if (port && !strchr(pat, '/') && !strchr(pat, ':'))
				snprintf(pat + strlen(pat), sizeof(pat) - strlen(pat), ":%d", port);
		} else if (cat == POL_NET) {
			rand_host(pat, sizeof(pat), 1);
			if (port)
				snprintf(pat + strlen(pat), sizeof(pat) - strlen(pat), ":%d", port);
		} else if (cat == POL_ENV) {
			snprintf(pat, sizeof(pat), "%s%s", pick(envs, 7), rand() % 2 ? "*" : "");
		} else {
			rand_path(pat, sizeof(pat));
		}
		snprintf(flag, sizeof(flag), "--%s-%s=%s", pick(acts, 3), word[cat], pat);
		ck_assert_msg(policy_apply_flag(p, flag, &err) == 0, "%s: %s", flag, err.msg);
	}
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	ck_assert_int_eq(linref_init(&ref, p, cat), 0);
	for (int i = 0; i < nreq; i++) {
		struct pol_decision d;
		const char *rrule;
		enum pol_action ra;
		int port = 0;
		if (cat == POL_NET) {
			port = ports[rand() % 5];
			if (rand() % 3 == 0)
				rand_ip(req, sizeof(req), 0);
			else
				rand_host(req, sizeof(req), 0);
			ck_assert_int_eq(policy_decide_net(p, req, (uint16_t)port, &d), 0);
		} else if (cat == POL_ENV) {
			snprintf(req, sizeof(req), "%s%s", pick(envs, 7), rand() % 2 ? "_Z" : "");
			ck_assert_int_eq(policy_decide(p, cat, req, &d), 0);
		} else {
			char raw[128];
			rand_path(raw, sizeof(raw));
			ck_assert_int_eq(policy_decide(p, cat, raw, &d), 0);
			/* the reference takes the normalized request: the reason starts with it */
			snprintf(req, sizeof(req), "%.*s", (int)strcspn(d.reason, ": "), d.reason);
		}
		if (cat == POL_NET &&
		    strchr(req, ':')) { /* normalize v6 text the way the policy prints it */
			struct in6_addr a6;
			inet_pton(AF_INET6, req, &a6);
			inet_ntop(AF_INET6, &a6, req, sizeof(req));
		}
		ra = linref_decide(&ref, req, port, &rrule);
		/* the rule too, except for net with an unknown port (two rules may give the
		 * same most permissive answer there) */
		if (ra != d.action ||
		    ((cat != POL_NET || port != 0) && strcmp(rrule, d.rule) != 0)) {
			if (mism++ < 5)
				fprintf(stderr,
					"crosscheck %s seed %u: %s port %d: fast %s `%s`, linear "
					"%s `%s`\n",
					word[cat], seed, req, port, policy_action_name(d.action),
					d.rule, policy_action_name(ra), rrule);
		}
	}
	ck_assert_int_eq(mism, 0);
	policy_free(p);
}

START_TEST(test_fast_path_equals_linear_scan_fs)
{
	for (unsigned s = 1; s <= 20; s++)
		crosscheck(POL_FS_READ, 5 + (int)s * 10, 2000, s);
}
END_TEST

START_TEST(test_fast_path_equals_linear_scan_net)
{
	for (unsigned s = 1; s <= 20; s++)
		crosscheck(POL_NET, 5 + (int)s * 10, 2000, 100 + s);
}
END_TEST

START_TEST(test_fast_path_equals_linear_scan_env)
{
	for (unsigned s = 1; s <= 20; s++)
		crosscheck(POL_ENV, 3 + (int)s, 500, 200 + s);
}
END_TEST

/* ---------------------------------------------------------------- tool */

static int run_tool(const char *args, char *out, size_t outsz)
{
	const char *tool = getenv("PODPOLICY");
	char cmd[1024];
	FILE *f;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool ? tool : "build/podpolicy", args);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, outsz - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(test_podpolicy_exit_codes_and_output)
{
	char out[8192];

	ck_assert_int_eq(run_tool("check examples/contract.json fs.read /data/x", out, sizeof(out)),
			 0);
	ck_assert_ptr_nonnull(strstr(out, "allow\nrule: /data\nreason: "));
	ck_assert_int_eq(
	    run_tool("check examples/contract.json read /data/secret/k", out, sizeof(out)), 1);
	ck_assert_ptr_nonnull(strstr(out, "rule: /data/secret"));
	ck_assert_int_eq(run_tool("check examples/contract.json env HOME", out, sizeof(out)), 3);
	ck_assert_int_eq(
	    run_tool("check examples/contract.json addr 169.254.169.254:80", out, sizeof(out)), 1);
	ck_assert_int_eq(
	    run_tool("check --allow-net=[::1]:8080 none addr [::1]:8080", out, sizeof(out)), 0);
	ck_assert_int_eq(run_tool("check examples/contract.json net 'bad host'", out, sizeof(out)),
			 2);
	ck_assert_int_eq(run_tool("check examples/contract.json nope x", out, sizeof(out)), 2);
	ck_assert_int_eq(run_tool("check /nonexistent.json net a.com", out, sizeof(out)), 2);
	ck_assert_int_eq(run_tool("check --allow-nett none net a.com", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "did you mean `--allow-net`?"));
	ck_assert_int_eq(run_tool("frobnicate", out, sizeof(out)), 2);
	ck_assert_int_eq(run_tool("fmt examples/contract.json", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"memory\":\t268435456"));
	ck_assert_int_eq(run_tool("fmt tests/data/bad_unknown_key.json", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(
	    strstr(out, "tests/data/bad_unknown_key.json:4:5: error: unknown key `alow`"));
	ck_assert_ptr_nonnull(strstr(out, "hint: did you mean `allow`?"));
	ck_assert_int_eq(run_tool("fmt - < examples/contract.json", out, sizeof(out)), 0);
}
END_TEST

START_TEST(test_podpolicy_diff_and_explain)
{
	char out[8192];
	FILE *f;

	f = fopen("build/diff_a.json", "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"version\":1,\"fs\":{\"read\":{\"allow\":[\"/etc\",\"/data\"],\"deny\":[\"/etc/"
	      "shadow\"]}},"
	      "\"net\":{\"allow\":[\"localhost:8080\"]},\"_learned\":{\"runs\":[]}}",
	      f);
	fclose(f);
	f = fopen("build/diff_b.json", "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"version\":1,\"fs\":{\"read\":{\"allow\":[\"/etc\"],\"deny\":[\"/etc/shadow\"]}},"
	      "\"net\":{\"default\":\"warn\",\"allow\":[\"localhost:8081\"]}}",
	      f);
	fclose(f);
	ck_assert_int_eq(run_tool("diff build/diff_a.json build/diff_b.json", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "~ net default deny -> warn\n- net allow localhost:8080\n"
			      "+ net allow localhost:8081\n- fs.read allow /data\n");
	ck_assert_int_eq(run_tool("diff build/diff_a.json build/diff_a.json", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(run_tool("diff build/diff_a.json /nonexistent.json", out, sizeof(out)), 2);
	ck_assert_int_eq(run_tool("explain build/diff_a.json read /etc/shadow", out, sizeof(out)),
			 1);
	ck_assert_ptr_nonnull(strstr(out, "rule: /etc/shadow\n"));
	ck_assert_ptr_nonnull(strstr(out, "  allow /etc   (less specific)\n"));
	ck_assert_ptr_nonnull(strstr(out, "  deny /etc/shadow   <- decides"));
	ck_assert_ptr_null(strstr(out, "/data"));
	ck_assert_int_eq(run_tool("explain build/diff_a.json net example.com:80", out, sizeof(out)),
			 1);
	ck_assert_ptr_nonnull(strstr(out, "none: the net default (deny) decides"));
	/* _learned must be an object */
	f = fopen("build/bad_learned.json", "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"version\":1,\"_learned\":[1]}", f);
	fclose(f);
	ck_assert_int_eq(run_tool("fmt build/bad_learned.json", out, sizeof(out)), 2);
	ck_assert_ptr_nonnull(strstr(out, "_learned must be an object"));
}
END_TEST

/* ---------------------------------------------------------------- suite */

/* ---------------------------------------------------------------- Deno-compatible flags */

static policy_t *flags_policy(const char *const flags[], const char *search)
{
	struct pol_error err;
	policy_t *p = NULL;

	ck_assert_int_eq(policy_new(&p), 0);
	if (search)
		ck_assert_int_eq(policy_set_search_path(p, search), 0);
	for (int i = 0; flags[i]; i++)
		ck_assert_msg(policy_apply_flag(p, flags[i], &err) == 0, "%s: %s", flags[i],
			      err.msg);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	return p;
}

START_TEST(test_bare_deny_beats_bare_allow_whatever_the_order)
{
	static const char *const orders[][3] = {
		{ "--deny-read", "--allow-read", NULL },
		{ "--allow-read", "--deny-read", NULL },
		{ "--allow-all", "--deny-read", NULL },
		{ "--deny-read", "--allow-all", NULL },
	};
	struct pol_decision d;

	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		policy_t *p = flags_policy(orders[i], NULL);
		ck_assert_int_eq(policy_decide(p, POL_FS_READ, "/etc/hostname", &d), 0);
		ck_assert_msg(d.action == POL_DENY, "order %zu: %s", i,
			      policy_action_name(d.action));
		policy_free(p);
	}
	/* warn is stricter than allow, looser than deny */
	{
		static const char *const f[] = { "--warn-net", "--allow-net", NULL };
		policy_t *p = flags_policy(f, NULL);
		ck_assert_int_eq(policy_decide(p, POL_NET, "example.com:443", &d), 0);
		ck_assert_int_eq(d.action, POL_WARN);
		policy_free(p);
	}
}
END_TEST

START_TEST(test_relative_flag_paths_resolve_against_cwd)
{
	static const char *const f[] = { "--allow-read=.", "--allow-run=./tool",
					 "--deny-write=sub/../x", NULL };
	const struct pol_rule *r;
	struct pol_decision d;
	policy_t *p;
	size_t n;

	ck_assert_int_eq(chdir("/usr/share"), 0);
	p = flags_policy(f, NULL);
	ck_assert_int_eq(policy_rules(p, POL_FS_READ, &r, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(r[0].pattern, "/usr/share");
	ck_assert_int_eq(policy_rules(p, POL_RUN, &r, &n), 0);
	ck_assert_str_eq(r[0].pattern, "/usr/share/tool");
	ck_assert_int_eq(policy_rules(p, POL_FS_WRITE, &r, &n), 0);
	ck_assert_str_eq(r[0].pattern, "/usr/share/x");
	ck_assert_int_eq(policy_decide(p, POL_FS_READ, "/etc/passwd", &d), 0);
	ck_assert_int_eq(d.action, POL_DENY); /* `.` is not `/` */
	policy_free(p);
	ck_assert_int_eq(chdir("/"), 0);
	{
		static const char *const g[] = { "--allow-read=.", NULL };
		p = flags_policy(g, NULL);
		ck_assert_int_eq(policy_rules(p, POL_FS_READ, &r, &n), 0);
		ck_assert_str_eq(r[0].pattern, "/");
		policy_free(p);
	}
}
END_TEST

START_TEST(test_deny_run_name_denies_every_copy_on_the_search_path)
{
	char dir[] = "/tmp/pol-run-XXXXXX", copy[64];
	static const char *f[] = { "--deny-run=true", NULL };
	struct pol_decision d;
	policy_t *p;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(copy, sizeof copy, "%s/true", dir);
	fp = fopen(copy, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(chmod(copy, 0755), 0);
	{
		char sp[128];
		snprintf(sp, sizeof sp, "/usr/bin:%s", dir);
		p = flags_policy(f, sp);
	}
	ck_assert_int_eq(policy_decide(p, POL_RUN, "/usr/bin/true", &d), 0);
	ck_assert_int_eq(d.action, POL_DENY);
	ck_assert_int_eq(policy_decide(p, POL_RUN, copy, &d), 0);
	ck_assert_int_eq(d.action, POL_DENY);
	ck_assert_str_eq(d.rule, copy);
	policy_free(p);
	/* an allow names the copy that runs: the first */
	{
		static const char *const g[] = { "--allow-run=true", NULL };
		char sp[128];
		snprintf(sp, sizeof sp, "/usr/bin:%s", dir);
		p = flags_policy(g, sp);
		ck_assert_int_eq(policy_decide(p, POL_RUN, copy, &d), 0);
		ck_assert_int_eq(d.action, POL_DENY);
		policy_free(p);
	}
	unlink(copy);
	rmdir(dir);
}
END_TEST

START_TEST(test_malformed_request_says_what_was_expected)
{
	static const char *const f[] = { "--allow-net", NULL };
	struct pol_decision d;
	policy_t *p = flags_policy(f, NULL);

	memset(&d, 0, sizeof d);
	ck_assert_int_eq(policy_decide(p, POL_NET, "exa mple.com", &d), -EINVAL);
	ck_assert_int_eq(d.action, POL_DENY);
	ck_assert_msg(strstr(d.reason, "malformed net request `exa mple.com`: expected a host"),
		      "%s", d.reason);
	ck_assert_int_eq(policy_decide(p, POL_FS_READ, "etc/x", &d), -EINVAL);
	ck_assert_msg(
	    strstr(d.reason, "malformed fs.read request `etc/x`: expected an absolute path"), "%s",
	    d.reason);
	policy_free(p);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("04-policy");
	TCase *tc;

	tc = tcase_create("decisions");
	tcase_add_loop_test(tc, test_decision_table_row, 0, n_dcases);
	tcase_add_test(tc, test_reason_names_request_and_rule);
	tcase_add_test(tc, test_reason_is_truncated_not_overflowed);
	suite_add_tcase(s, tc);

	tc = tcase_create("loader");
	tcase_add_loop_test(tc, test_loader_error_table_row, 0, n_ecases);
	tcase_add_test(tc, test_loader_rejects_nul_byte);
	tcase_add_test(tc, test_loader_accepts_utf8_bom_and_keeps_positions);
	tcase_add_test(tc, test_failed_load_keeps_earlier_flags_and_allows_retry);
	tcase_add_test(tc, test_loader_positions_survive_odd_white_space);
	tcase_add_test(tc, test_load_file_reports_path_line_and_missing_file);
	tcase_add_test(tc, test_unresolvable_program_is_reported_at_its_rule);
	tcase_add_test(tc, test_failed_finalize_then_more_flags_is_safe);
	tcase_add_test(tc, test_large_single_line_policy_loads);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("flags");
	tcase_add_loop_test(tc, test_flag_error_table_row, 0, n_fcases);
	tcase_add_test(tc, test_bad_flag_list_adds_nothing);
	tcase_add_test(tc, test_flags_before_file_merge_with_file_rules);
	tcase_add_test(tc, test_bare_flag_before_file_stays_on_top_of_file_default);
	tcase_add_test(tc, test_bare_deny_beats_bare_allow_whatever_the_order);
	tcase_add_test(tc, test_relative_flag_paths_resolve_against_cwd);
	tcase_add_test(tc, test_deny_run_name_denies_every_copy_on_the_search_path);
	tcase_add_test(tc, test_malformed_request_says_what_was_expected);
	suite_add_tcase(s, tc);

	tc = tcase_create("normalization");
	tcase_add_loop_test(tc, test_normalization_table_row, 0, n_ncases);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, test_decide_requires_finalize_and_valid_arguments);
	tcase_add_test(tc, test_decide_net_matches_decide_with_port);
	tcase_add_test(tc, test_names_and_category_parsing);
	tcase_add_test(tc, test_limits_are_passed_through);
	tcase_add_test(tc, test_net_possible_tracks_non_deny_rules_and_default);
	tcase_add_test(tc, test_examples_load_and_round_trip_through_fmt);
	tcase_add_test(tc, test_concurrent_decisions_agree);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("crosscheck");
	tcase_add_test(tc, test_fast_path_equals_linear_scan_fs);
	tcase_add_test(tc, test_fast_path_equals_linear_scan_net);
	tcase_add_test(tc, test_fast_path_equals_linear_scan_env);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("tool");
	tcase_add_test(tc, test_podpolicy_exit_codes_and_output);
	tcase_add_test(tc, test_podpolicy_diff_and_explain);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
