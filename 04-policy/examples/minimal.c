/*
 * minimal.c — the smallest complete use of 04-policy: load, finalize, decide.
 *
 * A policy from a JSON text plus one Deno-style flag, then four requests. Every
 * decision names the rule that won (the most specific one) and a reason.
 * Build and run: make -C 04-policy try
 */
#include <stdio.h>
#include <string.h>

#include "policy.h"

static const char json[] =
    "{ \"version\": 1,\n"
    "  \"fs\": { \"read\": { \"allow\": [\"/data\"], \"deny\": [\"/data/secret\"] } },\n"
    "  \"net\": { \"allow\": [\"*.example.com:443\"] } }\n";

static void ask(const policy_t *p, enum pol_cat cat, const char *request)
{
	struct pol_decision d;
	int ret = policy_decide(p, cat, request, &d);

	if (ret < 0)
		printf("%-8s %-28s error %d\n", policy_cat_name(cat), request, ret);
	else
		printf("%-8s %-28s %-5s (rule %s)\n", policy_cat_name(cat), request,
		       policy_action_name(d.action), d.rule);
}

int main(void)
{
	struct pol_error err;
	policy_t *p;

	if (policy_new(&p) < 0)
		return 1;
	if (policy_load_json(p, json, strlen(json), "inline.json", &err) < 0 ||
	    policy_apply_flag(p, "--warn-env=HOME", &err) < 0 || policy_finalize(p, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		policy_free(p);
		return 2;
	}
	ask(p, POL_FS_READ, "/data/report.csv");
	ask(p, POL_FS_READ, "/data/secret/../secret/key"); /* normalized first */
	ask(p, POL_NET, "api.example.com:443");
	ask(p, POL_ENV, "HOME");
	policy_free(p);
	return 0;
}
