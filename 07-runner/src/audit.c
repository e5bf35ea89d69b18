/*
 * audit.c — the runner's event stream: one JSON line per decision or life
 * event (docs/audit-events.md), fanned out to the audit file, the embedder's event
 * queue, the debug UI and the human log on stderr; plus the per-category
 * allow/warn/deny counters behind the final `life` summary.
 *
 * Layer 07 (runner). Builds on util.c (JSON escaping, timestamps). Used by
 * every source of decisions in the runner: policy at spawn (env, fs, run),
 * the FFI socket (loader), the proxy and DNS (05), eBPF events (06), and the
 * lifecycle itself.
 */
#include "internal.h"

static const char *const cat_names[PR_NCAT] = { "net", "fs", "run", "env", "ffi", "ipc", "life" };
static const char *const act_names[PR_NACT] = { "allow", "warn", "deny", "info" };

int pr_cat_index(const char *cat)
{
	for (int i = 0; i < PR_NCAT; i++)
		if (cat && strcmp(cat, cat_names[i]) == 0)
			return i;
	return -1;
}

int pr_act_index(const char *action)
{
	for (int i = 0; i < PR_NACT; i++)
		if (action && strcmp(action, act_names[i]) == 0)
			return i;
	return -1;
}

const char *pr_cat_name(int i)
{
	return (i >= 0 && i < PR_NCAT) ? cat_names[i] : "life";
}

const char *pr_act_name(int i)
{
	return (i >= 0 && i < PR_NACT) ? act_names[i] : "info";
}

/* Map a 04-policy category onto the audit `cat` (fs.read and fs.write are "fs"). */
const char *pr_pol_cat(enum pol_cat c)
{
	switch (c) {
	case POL_NET: return "net";
	case POL_FS_READ:
	case POL_FS_WRITE: return "fs";
	case POL_RUN: return "run";
	case POL_ENV: return "env";
	case POL_FFI: return "ffi";
	default: return "life";
	}
}

/* ---- the embedder's queue ------------------------------------------------ */

static void pr_evq_push(struct podrun *p, const char *line, size_t len)
{
	struct evq *q = &p->evq;
	char *copy = malloc(len + 1);

	if (!copy) {
		q->dropped++;
		return;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	if (q->count == PR_EVQ_CAP) { /* full: drop the oldest, count it */
		free(q->items[q->head]);
		q->head = (q->head + 1) % PR_EVQ_CAP;
		q->count--;
		q->dropped++;
	}
	q->items[(q->head + q->count) % PR_EVQ_CAP] = copy;
	q->count++;
	pr_pending_update(p);
}

void pr_evq_clear(struct evq *q)
{
	while (q->count) {
		free(q->items[q->head]);
		q->head = (q->head + 1) % PR_EVQ_CAP;
		q->count--;
	}
}

int podrun_next_event(podrun_t *p, char *buf, uint32_t cap)
{
	struct evq *q;
	size_t len;

	if (!p || !buf)
		return -EINVAL;
	q = &p->evq;
	if (!q->count)
		return -EAGAIN;
	len = strlen(q->items[q->head]);
	if (len + 1 > cap)
		return -EMSGSIZE;
	memcpy(buf, q->items[q->head], len + 1);
	free(q->items[q->head]);
	q->head = (q->head + 1) % PR_EVQ_CAP;
	q->count--;
	pr_pending_update(p);
	return (int)len;
}

int podrun_next_event_len(const podrun_t *p)
{
	if (!p)
		return -EINVAL;
	if (!p->evq.count)
		return -EAGAIN;
	return (int)strlen(p->evq.items[p->evq.head]);
}

/* ---- sinks ---------------------------------------------------------------- */


/* Human log: one line per warn/deny; allow and info only when verbose. */
/* Copy @p in for a terminal: control bytes (pod-chosen text) become '?'. */
const char *pr_terminal_safe(const char *in, char *out, size_t cap)
{
	size_t j = 0;

	for (size_t i = 0; in && in[i] && j + 1 < cap; i++) {
		unsigned char c = (unsigned char)in[i];
		out[j++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[j] = '\0';
	return out;
}

static void human_line(struct podrun *p, int cat, int act, const char *what, const char *rule,
		       const char *reason)
{
	char safe[256], why[256];

	if (!what || cat < 0 || cat >= PR_NCAT || act < 0 || act >= PR_NACT)
		return; /* the caller asked for no human line */
	if (act == PR_ALLOW || act == PR_INFO) {
		/* -v: allows and facts; lifecycle/ipc facts have their own -v lines */
		if (p->verbosity < PODRUN_VERBOSE ||
		    (act == PR_INFO && (cat == PR_LIFE || cat == PR_IPC) && p->verbosity < PODRUN_VERBOSE + 1))
			return;
	} else if (p->verbosity < PODRUN_NORMAL) {
		return;
	}
	dprintf(2, "podrun: %s %s %s (rule: %s)\n", act_names[act], cat_names[cat],
		pr_terminal_safe(what, safe, sizeof safe), rule && *rule ? rule : "default");
	if (reason && *reason && p->verbosity >= PODRUN_VERBOSE + 1)
		dprintf(2, "podrun:   %s\n", pr_terminal_safe(reason, why, sizeof why));
}

/* Deliver one finished JSON line (no newline) to every sink and count it. */
void pr_emit_line(struct podrun *p, const char *line, int cat, int act, const char *what,
		  const char *rule, const char *reason)
{
	size_t len = strlen(line);

	/* counts are the runner's decisions and facts; what the pod claims about
	 * itself (EVENT messages) is written, but not counted */
	if (cat >= 0 && cat < PR_NCAT && act >= 0 && act < PR_NACT && !p->uncounted)
		p->counts[cat][act]++;
	if (p->audit_fd >= 0) {
		struct iovec iov[2] = { { (void *)line, len }, { (void *)"\n", 1 } };
		ssize_t w = writev(p->audit_fd, iov, 2);
		size_t done = w > 0 ? (size_t)w : 0;
		/* a short write (or a signal before any byte) finishes the line, so
		 * the file stays one object per line; other errors give up */
		if (done < len + 1 && (w >= 0 || errno == EINTR)) {
			if (done < len)
				pr_write_all(p->audit_fd, line + done, len - done);
			pr_write_all(p->audit_fd, "\n", 1);
		}
	}
	if (p->events_on)
		pr_evq_push(p, line, len);
#ifdef PODRUN_HAVE_DBGUI
	if (p->ui)
		dbgui_publish(p->ui, line);
#endif
	human_line(p, cat, act, what, rule, reason);
}

/*
 * Build and deliver one event. @p extra is a JSON fragment of additional
 * fields starting with a comma (",\"exit\":0"), or NULL.
 */
void pr_emit(struct podrun *p, const char *src, const char *cat, const char *action,
	     const char *what, const char *rule, int pid, const char *extra, const char *reason)
{
	struct strbuf sb = { 0 };
	char ts[32];

	pr_timestamp(ts, 0);
	pr_sb_printf(&sb, "{\"ts\":\"%s\",\"pod\":\"%s\",\"src\":\"%s\",\"cat\":\"%s\",\"action\":\"%s\",\"what\":",
		  ts, p->id, src, cat, action);
	pr_sb_json_str(&sb, what);
	pr_sb_puts(&sb, ",\"rule\":");
	pr_sb_json_str(&sb, rule && *rule ? rule : "default");
	pr_sb_printf(&sb, ",\"pid\":%d", pid);
	if (reason && *reason) {
		pr_sb_puts(&sb, ",\"reason\":");
		pr_sb_json_str(&sb, reason);
	}
	if (extra)
		pr_sb_puts(&sb, extra);
	pr_sb_puts(&sb, "}");
	if (!sb.oom)
		pr_emit_line(p, sb.buf, pr_cat_index(cat), pr_act_index(action), what, rule, reason);
	pr_sb_free(&sb);
}

/* A decision from 04-policy, as an event. */
void pr_emit_decision(struct podrun *p, const char *src, enum pol_cat c, const char *what,
		      const struct pol_decision *d, int pid, const char *extra)
{
	struct strbuf sb = { 0 };

	pr_sb_puts(&sb, ",\"scope\":");
	pr_sb_json_str(&sb, policy_cat_name(c));
	if (extra)
		pr_sb_puts(&sb, extra);
	pr_emit(p, src, pr_pol_cat(c), policy_action_name(d->action), what, d->rule, pid,
		sb.oom ? extra : sb.buf, d->reason);
	pr_sb_free(&sb);
}

/* Append `"counts":{"net":{"allow":N,"warn":N,"deny":N},...}` to @p sb. */
void pr_counts_json(const struct podrun *p, struct strbuf *sb)
{
	pr_sb_puts(sb, "\"counts\":{");
	for (int c = 0; c < PR_NCAT; c++) {
		pr_sb_printf(sb, "%s\"%s\":{", c ? "," : "", cat_names[c]);
		for (int a = 0; a < PR_NACT; a++)
			pr_sb_printf(sb, "%s\"%s\":%llu", a ? "," : "", act_names[a],
				  (unsigned long long)p->counts[c][a]);
		pr_sb_puts(sb, "}");
	}
	pr_sb_puts(sb, "}");
}

int64_t podrun_count(const podrun_t *p, const char *cat, const char *action)
{
	int c = pr_cat_index(cat), a = pr_act_index(action);

	if (!p || c < 0 || a < 0)
		return -EINVAL;
	return (int64_t)p->counts[c][a];
}

/* Open the audit sink: "-" is stderr, anything else a file (0600). */
int pr_audit_open(struct podrun *p)
{
	if (!p->audit_path)
		return 0;
	if (strcmp(p->audit_path, "-") == 0) {
		p->audit_fd = dup(2);
	} else {
		p->audit_fd = open(p->audit_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND,
				   0600);
	}
	if (p->audit_fd < 0) {
		int e = -errno;
		pr_seterr(p, e, "cannot open audit file %s", p->audit_path);
		return e;
	}
	return 0;
}
