/*
 * shadow.c — a shadow policy: the pod is enforced by its policy, and every
 * decision is also made against a second policy (`--shadow-policy FILE`).
 * Where the two differ the audit gets one event per distinct request and
 * direction, and the exit event counts them:
 *
 *   pr_audit(ev) ── pr_shadow_note(): a decision of net, fs, run, env, ffi
 *        ── decide(shadow, cat, request) ── same side (allowed / denied)? nothing
 *        └─ differs: {"action":"info","shadow":"deny"|"allow","enforced":ACTION,...}
 *
 * "shadow": "deny" is a request the policy allowed (or warned) that the shadow
 * would deny; "shadow": "allow" the reverse. Net requests are decided by name
 * and port (policy_decide), as the proxy's first decision.
 *
 * Layer 07 (runner). Builds on 04-policy. Used by lifecycle.c (load),
 * audit.c (the hook and the exit counts) and config.c (the option).
 */
#include "internal.h"

/* One difference already told (category, request, direction). */
struct shadow_seen {
	uint64_t hash;
};

struct pr_shadow {
	policy_t *pol;
	uint64_t n[2]; /* [0] shadow denies, [1] shadow allows */
	struct shadow_seen seen[8192];
	unsigned nseen;
	uint64_t untold; /* differences beyond the table: counted, no event */
	unsigned said;   /* stderr lines */
};

int pr_shadow_prepare(struct podrun *p)
{
	struct pol_error e;
	int ret;

	if (!p->cfg.shadow_file)
		return 0;
	p->life.shd = calloc(1, sizeof *p->life.shd);
	if (!p->life.shd)
		return -ENOMEM;
	memset(&e, 0, sizeof e);
	ret = policy_new(&p->life.shd->pol);
	if (ret == 0)
		ret = policy_load_file(p->life.shd->pol, p->cfg.shadow_file, &e);
	if (ret == 0)
		ret = policy_finalize(p->life.shd->pol, &e);
	if (ret < 0) {
		if (e.line)
			pr_seterr(p, 0, "--shadow-policy: %s:%d:%d: %s", e.file, e.line, e.column,
				  e.msg);
		else
			pr_seterr(p, ret, "--shadow-policy %s: %s", p->cfg.shadow_file,
				  e.msg[0] ? e.msg : "cannot load");
		return -EINVAL;
	}
	return 0;
}

/* Which 04 category an audit event decided, or -1 when it is no decision. */
static int decided_cat(const struct pr_event *ev, enum pol_cat *c)
{
	if (ev->act != PR_ALLOW && ev->act != PR_WARN && ev->act != PR_DENY)
		return -1;
	switch (ev->kind) {
	case PR_EV_DECISION:
		return ev->u.scope && policy_cat_parse(ev->u.scope, c) == 0 ? 0 : -1;
	case PR_EV_EXEC:
		*c = POL_RUN;
		return 0;
	case PR_EV_NET:
		*c = POL_NET;
		return ev->src && !strcmp(ev->src, "proxy") ? 0 : -1;
	case PR_EV_EBPF:
		if (ev->cat != PR_FS || !ev->u.ebpf.ev || ev->u.ebpf.ev->kind != SYSAUDIT_EV_OPEN)
			return -1;
		*c = (ev->u.ebpf.ev->eflags & SYSAUDIT_F_WRITE) ? POL_FS_WRITE : POL_FS_READ;
		return 0;
	default:
		return -1;
	}
}

static int first_time(struct pr_shadow *s, enum pol_cat c, const char *what, int allow)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *q = what; *q; q++)
		h = (h ^ (unsigned char)*q) * 1099511628211ULL;
	h = (h ^ (uint64_t)(c * 2 + allow)) * 1099511628211ULL;
	for (unsigned i = 0; i < s->nseen; i++)
		if (s->seen[i].hash == h)
			return 0;
	if (s->nseen < sizeof s->seen / sizeof s->seen[0]) {
		s->seen[s->nseen++].hash = h;
		return 1;
	}
	s->untold++;
	return 0;
}

void pr_shadow_note(struct podrun *p, const struct pr_event *ev)
{
	struct pr_shadow *s = p->life.shd;
	struct pol_decision d;
	char safe[256], reason[256];
	enum pol_cat c;
	int allowed, shadow_allowed;

	if (!s || ev->kind == PR_EV_SHADOW || !ev->what || decided_cat(ev, &c) < 0)
		return;
	memset(&d, 0, sizeof d);
	if (policy_decide(s->pol, c, ev->what, &d) < 0)
		return;
	allowed = ev->act != PR_DENY;
	shadow_allowed = d.action != POL_DENY;
	if (allowed == shadow_allowed || !first_time(s, c, ev->what, shadow_allowed))
		return;
	s->n[shadow_allowed]++;
	snprintf(reason, sizeof reason, "the shadow policy would %s: %s",
		 shadow_allowed ? "allow" : "deny", d.reason);
	PR_AUDIT(p, .kind = PR_EV_SHADOW, .src = "runner", .cat = ev->cat, .act = PR_INFO,
		 .what = ev->what, .rule = d.rule, .reason = reason, .pid = ev->pid, .quiet = 1,
		 .u.shadow = { shadow_allowed ? "allow" : "deny", policy_cat_name(c),
			       pr_act_name(ev->act) });
	if (p->cfg.verbosity >= PODRUN_NORMAL && s->said++ < 20)
		pr_say(p, "podrun: shadow %s %s %s (enforced: %s; shadow rule: %s)\n",
		       shadow_allowed ? "allow" : "deny", policy_cat_name(c),
		       pr_terminal_safe(ev->what, safe, sizeof safe), pr_act_name(ev->act),
		       d.rule ? d.rule : "default");
}

void pr_shadow_counts(const struct podrun *p, uint64_t *deny, uint64_t *allow)
{
	*deny = p->life.shd ? p->life.shd->n[0] : 0;
	*allow = p->life.shd ? p->life.shd->n[1] : 0;
}

void pr_shadow_free(struct podrun *p)
{
	if (!p->life.shd)
		return;
	policy_free(p->life.shd->pol);
	free(p->life.shd);
	p->life.shd = NULL;
}
