/*
 * audit.c — the runner's event stream (docs/audit-events.md): typed events
 * (struct pr_event, one kind per struct) become one JSON line each, built
 * with cJSON in one place (event_json), and go to the audit file, the
 * embedder's event queue, the debug UI and the human log on stderr.
 *
 *   pr_audit(ev) ── count (exact, always) ── rate limit per category ──┬── line ── cap ── sinks
 *                                                                     └── fold: one line per
 *                                                                         distinct event per second
 *                                                                         with "repeat", "first",
 *                                                                         "last"; beyond the slots:
 *                                                                         dropped, said in a notice
 *
 * The counters behind the final `life` summary are updated before any limit,
 * so the totals of the exit event are exact whatever was folded, dropped or
 * cut by the size cap.
 *
 * Layer 07 (runner). Builds on cJSON, util.c (timestamps), relay.c (the
 * non-blocking sinks), 06-ebpf's line formatter. Used by every source of
 * events in the runner: policy at spawn (env, fs, run), the FFI socket
 * (loader), the proxy and DNS (05), eBPF events (06), and the lifecycle.
 */
#include "internal.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>

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

/* Map a 04-policy category onto the audit category index. */
int pr_pol_index(enum pol_cat c)
{
	switch (c) {
	case POL_NET:
		return PR_NET;
	case POL_FS_READ:
	case POL_FS_WRITE:
		return PR_FS;
	case POL_RUN:
		return PR_RUN;
	case POL_ENV:
		return PR_ENV;
	case POL_FFI:
		return PR_FFI;
	default:
		return PR_LIFE;
	}
}

/* Map a 04-policy category onto the audit `cat` (fs.read and fs.write are "fs"). */
const char *pr_pol_cat(enum pol_cat c)
{
	switch (c) {
	case POL_NET:
		return "net";
	case POL_FS_READ:
	case POL_FS_WRITE:
		return "fs";
	case POL_RUN:
		return "run";
	case POL_ENV:
		return "env";
	case POL_FFI:
		return "ffi";
	default:
		return "life";
	}
}

/* ---- the embedder's queue ------------------------------------------------ */

static void pr_evq_push(struct podrun *p, const char *line, size_t len)
{
	struct evq *q = &p->au.evq;
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
	q = &p->au.evq;
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
	if (!p->au.evq.count)
		return -EAGAIN;
	return (int)strlen(p->au.evq.items[p->au.evq.head]);
}

/* ---- the human log ---------------------------------------------------------- */

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

/* One line on the runner's stderr, never blocking: dropped (and counted by
 * the sink) when the reader stalls. */
void pr_say(struct podrun *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof line)
		n = sizeof line - 1;
	pr_sink_write(p, PR_SINK_ERR, line, (size_t)n);
}

static int human_wanted(const struct podrun *p, const struct pr_event *ev)
{
	if (ev->quiet || !ev->what || ev->cat < 0 || ev->cat >= PR_NCAT || ev->act < 0 ||
	    ev->act >= PR_NACT)
		return 0;
	if (ev->act == PR_ALLOW || ev->act == PR_INFO)
		/* -v: allows and facts; lifecycle/ipc facts have their own -v lines */
		return p->cfg.verbosity >= PODRUN_VERBOSE &&
		       !(ev->act == PR_INFO && (ev->cat == PR_LIFE || ev->cat == PR_IPC) &&
			 p->cfg.verbosity < PODRUN_VERBOSE + 1);
	return p->cfg.verbosity >= PODRUN_NORMAL;
}

static void refill(struct pr_audit *au);

/*
 * The one stderr format of a decision (docs/contracts.md, "Decisions on
 * stderr"): "podrun: ACTION CATEGORY WHAT (rule: RULE)". Every producer (the
 * audit's human log, the file access reports) goes through here and through
 * one rate limit; 0 when the limit took the line (counted, told once a second).
 */
int pr_say_decision(struct podrun *p, const char *action, const char *category, const char *what,
		    const char *rule)
{
	char safe[256], srule[256];

	refill(&p->au);
	if (p->au.human_tokens < 1) { /* rate limit: said once per second (audit_window) */
		p->au.human_suppressed++;
		p->au.human_dropped++;
		return 0;
	}
	p->au.human_tokens -= 1;
	pr_say(p, "podrun: %s %s %s (rule: %s)\n", action, category,
	       pr_terminal_safe(what, safe, sizeof safe),
	       pr_terminal_safe(rule && *rule ? rule : "default", srule, sizeof srule));
	return 1;
}

static void human_line(struct podrun *p, const struct pr_event *ev)
{
	char why[256];
	const char *cat = cat_names[ev->cat];

	if (!human_wanted(p, ev))
		return;
	/* a file decision names its policy category (fs.read, fs.write) */
	if (ev->kind == PR_EV_DECISION && ev->cat == PR_FS && ev->u.scope)
		cat = ev->u.scope;
	if (!pr_say_decision(p, act_names[ev->act], cat, ev->what, ev->rule))
		return;
	if (ev->reason && *ev->reason && p->cfg.verbosity >= PODRUN_VERBOSE + 1)
		pr_say(p, "podrun:   %s\n", pr_terminal_safe(ev->reason, why, sizeof why));
}

/* ---- one place that turns an event into JSON ------------------------------- */

/* A JSON string from pod-chosen bytes: each byte >= 0x7f stands for the code
 * point U+00XX (the rule of 06-ebpf's formatter), so any input is valid. */
static void add_str(cJSON *o, const char *key, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)u), j = 0;
	char stack[512], *buf = n * 2 + 1 <= sizeof stack ? stack : malloc(n * 2 + 1);

	if (!buf)
		return;
	for (; *u; u++) {
		if (*u >= 0x7f) {
			buf[j++] = (char)(0xc0 | (*u >> 6));
			buf[j++] = (char)(0x80 | (*u & 0x3f));
		} else {
			buf[j++] = (char)*u;
		}
	}
	buf[j] = '\0';
	cJSON_AddStringToObject(o, key, buf);
	if (buf != stack)
		free(buf);
}

static void add_num(cJSON *o, const char *key, double v)
{
	cJSON_AddNumberToObject(o, key, v);
}

static void counts_json(const struct podrun *p, cJSON *o)
{
	cJSON *c = cJSON_AddObjectToObject(o, "counts");

	for (int i = 0; c && i < PR_NCAT; i++) {
		cJSON *a = cJSON_AddObjectToObject(c, cat_names[i]);
		for (int j = 0; a && j < PR_NACT; j++)
			add_num(a, act_names[j], (double)p->au.counts[i][j]);
	}
}

static void start_json(const struct podrun *p, const struct pr_event *ev, cJSON *o)
{
	const struct sandbox_info *si = sandbox_get_info(p->box.sb);
	cJSON *a;

	add_str(o, "program", p->cfg.program);
	add_str(o, "kind", ev->u.kind_name);
	add_str(o, "net", p->net.podnet ? (pr_rootless() ? "netns" : "veth") : "loopback");
	cJSON_AddBoolToObject(o, "ebpf", p->au.bpf_on);
	if (p->net.podnet && !pr_rootless()) /* rootless: no veth (rootless.c) */
		add_str(o, "veth", podnet_ifname(p->net.podnet));
	/* the pod's kernel objects, so that anyone can check they are gone later */
	add_num(o, "host_pid", (double)p->box.pid);
	add_str(o, "ipc_dir", ipc_runner_dir(p->ipc.runner));
	a = cJSON_AddArrayToObject(o, "cgroups");
	if (si && a) {
		const char *cg[4] = { si->cgroup_v2, si->cgroup_v1_memory, si->cgroup_v1_pids,
				      si->cgroup_v1_cpu };
		for (int i = 0; i < 4; i++)
			if (cg[i][0])
				cJSON_AddItemToArray(a, cJSON_CreateString(cg[i]));
	}
	a = cJSON_AddArrayToObject(o, "bpf_links");
	if (p->au.sa && a) {
		uint32_t ids[16];
		int n = sysaudit_link_ids(p->au.sa, ids, 16);
		for (int i = 0; i < n && i < 16; i++)
			cJSON_AddItemToArray(a, cJSON_CreateNumber(ids[i]));
	}
	add_num(o, "landlock_abi", si ? si->landlock_abi : 0);
	cJSON_AddBoolToObject(o, "seccomp", si && si->seccomp);
	cJSON_AddBoolToObject(o, "userns", si && (si->namespaces & SANDBOX_NS_USER));
	add_num(o, "host_uid", si ? (double)si->host_uid : 0);
	add_num(o, "host_gid", si ? (double)si->host_gid : 0);
	cJSON_AddBoolToObject(o, "rootless", pr_rootless());
	a = cJSON_AddArrayToObject(o, "degraded");
	for (int i = 0; a && i < p->box.ndegraded; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(p->box.degraded[i]));
	if (p->life.lrn)
		cJSON_AddBoolToObject(o, "learn", 1);
	if (p->life.shd)
		add_str(o, "shadow_policy", p->cfg.shadow_file);
	a = cJSON_AddObjectToObject(o, "limits");
	if (a) {
		add_num(a, "timeout_s", p->cfg.timeout_s);
		add_num(a, "memory_bytes", (double)p->cfg.memory);
		add_num(a, "pids", p->cfg.pids);
		add_num(a, "cpu_percent", p->cfg.cpu_percent);
		add_num(a, "nofile", p->cfg.nofile);
		add_num(a, "fsize_bytes", (double)p->cfg.fsize);
		add_num(a, "audit_max_bytes", (double)p->au.max_bytes);
	}
}

static void exit_json(const struct podrun *p, cJSON *o)
{
	cJSON *a;

	add_num(o, "exit", p->life.exit_code);
	add_num(o, "duration_ms", (double)(pr_now_ms() - p->life.t_start_ms));
	cJSON_AddBoolToObject(o, "timeout", p->life.timed_out);
	counts_json(p, o);
	if (p->au.sa) {
		struct sysaudit_count c[512];
		uint64_t lost = 0;
		int n = sysaudit_counts(p->au.sa, c, 512);
		a = cJSON_AddObjectToObject(o, "syscalls");
		for (int i = 0; a && i < n && i < 512; i++)
			add_num(a, c[i].name, (double)c[i].count);
		sysaudit_lost(p->au.sa, &lost);
		add_num(o, "ebpf_lost", (double)lost);
	}
	if (p->au.evq.dropped)
		add_num(o, "events_dropped", (double)p->au.evq.dropped);
	if (p->life.shd) {
		uint64_t deny, allow;
		pr_shadow_counts(p, &deny, &allow);
		a = cJSON_AddObjectToObject(o, "shadow");
		add_num(a, "deny", (double)deny);
		add_num(a, "allow", (double)allow);
	}
	a = cJSON_AddObjectToObject(o, "audit");
	if (a) {
		add_num(a, "lines", (double)p->au.lines + 1); /* with this one */
		add_num(a, "bytes", (double)p->au.bytes);
		add_num(a, "folded", (double)p->au.folded);
		add_num(a, "dropped", (double)p->au.dropped);
		add_num(a, "reported", (double)p->au.reported);
		add_num(a, "human_dropped", (double)p->au.human_dropped);
		add_num(
		    a, "output_dropped_bytes",
		    (double)(p->io.sink[PR_SINK_OUT].dropped + p->io.sink[PR_SINK_ERR].dropped));
		cJSON_AddBoolToObject(a, "capped", p->au.capped);
	}
}

/* The syscall event as 06 formats it, with `cat` and `rule` of the mapping. */
static cJSON *ebpf_json(const struct podrun *p, const struct pr_event *ev)
{
	/* one line always fits SYSAUDIT_LINE_MAX, whatever the pod's strings */
	char *line = malloc(SYSAUDIT_LINE_MAX);
	int n = line ? sysaudit_format_line(ev->u.ebpf.ev, ev->u.ebpf.v, p->life.id, line,
					    SYSAUDIT_LINE_MAX)
		     : -ENOMEM;
	cJSON *in = NULL, *o, *it;

	if (n > 0)
		in = cJSON_Parse(line);
	free(line);
	if (!in)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_ArrayForEach(it, in)
	{
		if (!it->string)
			continue;
		if (!strcmp(it->string, "cat")) /* a loss notice keeps its own ("audit") */
			add_str(o, "cat",
				cJSON_IsString(it) && !strcmp(it->valuestring, "audit")
				    ? "audit"
				    : cat_names[ev->cat]);
		else if (!strcmp(it->string, "rule"))
			add_str(o, "rule", ev->rule && *ev->rule ? ev->rule : "default");
		else if (!strcmp(it->string, "what") && ev->what) /* links followed (fsreport.c) */
			add_str(o, "what", ev->what);
		else
			cJSON_AddItemToObject(o, it->string, cJSON_Duplicate(it, 1));
	}
	cJSON_Delete(in);
	return o;
}

static cJSON *event_json(const struct podrun *p, const struct pr_event *ev)
{
	cJSON *o;
	char ts[32];

	if (ev->kind == PR_EV_EBPF)
		return ebpf_json(p, ev);
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	pr_timestamp(ts, 0);
	add_str(o, "ts", ts);
	add_str(o, "pod", p->life.id);
	add_str(o, "src", ev->src ? ev->src : "runner");
	add_str(o, "cat", pr_cat_name(ev->cat));
	add_str(o, "action", pr_act_name(ev->act));
	add_str(o, "what", ev->what);
	add_str(o, "rule", ev->rule && *ev->rule ? ev->rule : "default");
	add_num(o, "pid", ev->pid);
	if (ev->reason && *ev->reason)
		add_str(o, "reason", ev->reason);
	switch (ev->kind) {
	case PR_EV_DECISION:
		add_str(o, "scope", ev->u.scope);
		break;
	case PR_EV_REPORT:
		add_str(o, "reported_by", "pod");
		add_str(o, "detail", ev->u.detail);
		break;
	case PR_EV_NET:
		add_str(o, "method", ev->u.net.method);
		add_str(o, "url", ev->u.net.url);
		if (ev->u.net.peer && *ev->u.net.peer)
			add_str(o, "peer", ev->u.net.peer);
		add_num(o, "status", ev->u.net.status);
		add_num(o, "bytes_up", (double)ev->u.net.bytes_up);
		add_num(o, "bytes_down", (double)ev->u.net.bytes_down);
		add_num(o, "duration_us", (double)ev->u.net.duration_us);
		break;
	case PR_EV_SANDBOX:
		add_str(o, "level", ev->u.level);
		break;
	case PR_EV_MOUNT:
		add_str(o, "mount", ev->u.mount.how);
		add_str(o, "stage", "spawn");
		if (ev->u.mount.dependency)
			cJSON_AddBoolToObject(o, "dependency", 1);
		break;
	case PR_EV_START:
		start_json(p, ev, o);
		break;
	case PR_EV_EXIT:
		exit_json(p, o);
		break;
	case PR_EV_TRAFFIC:
		add_str(o, "event", ev->u.traffic.end ? "conn_end" : "host_total");
		add_num(o, "requests", ev->u.traffic.requests);
		if (ev->u.traffic.end) {
			add_str(o, "decision", ev->u.traffic.decision);
			add_str(o, "peer", ev->u.traffic.peer);
		}
		add_num(o, "bytes_up", (double)ev->u.traffic.bytes_up);
		add_num(o, "bytes_down", (double)ev->u.traffic.bytes_down);
		if (ev->u.traffic.end)
			add_num(o, "duration_us", (double)ev->u.traffic.duration_us);
		break;
	case PR_EV_EXEC:
		add_str(o, "scope", ev->u.exec.scope);
		add_str(o, "syscall", ev->u.exec.syscall);
		add_str(o, "stage", "exec");
		break;
	case PR_EV_SHADOW:
		add_str(o, "shadow", ev->u.shadow.shadow);
		add_str(o, "scope", ev->u.shadow.scope);
		add_str(o, "enforced", ev->u.shadow.enforced);
		break;
	case PR_EV_NOTICE:
		add_num(o, "folded", (double)ev->u.notice.folded);
		add_num(o, "dropped", (double)ev->u.notice.dropped);
		break;
	default:
		break;
	}
	return o;
}

/* ---- the stream: cap, sinks ------------------------------------------------ */

static void deliver(struct podrun *p, const char *line, size_t len)
{
	if (p->cfg.audit_path)
		pr_sink_write(p, p->au.to_err ? PR_SINK_ERR : PR_SINK_AUDIT, line, len + 1);
	if (p->cfg.events_on)
		pr_evq_push(p, line, len);
#ifdef PODRUN_HAVE_DBGUI
	if (p->au.ui) {
		char *nl = (char *)line + len;
		*nl = '\0';
		dbgui_publish(p->au.ui, line);
		*nl = '\n';
	}
#endif
}

static void write_notice(struct podrun *p, int cat, const char *what, uint64_t folded,
			 uint64_t dropped, const char *reason);

/* Serialize and write one object (consumed). The size cap keeps room for
 * the notices and the exit event; past it only those are written. */
static void write_obj(struct podrun *p, cJSON *o, enum pr_ev_kind kind, uint64_t weight)
{
	char *s;
	size_t len;

	if (!o)
		return;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!s) {
		p->au.dropped += weight;
		return;
	}
	len = strlen(s);
	/* the start and exit events name the pod's objects and its totals:
	 * always written (the reserve below the cap is kept for them) */
	if (p->au.max_bytes && kind != PR_EV_EXIT && kind != PR_EV_START) {
		uint64_t room =
		    p->au.max_bytes > PR_AUDIT_RESERVE ? p->au.max_bytes - PR_AUDIT_RESERVE : 0;
		if (kind == PR_EV_NOTICE)
			room = p->au.max_bytes - 1024; /* the exit event's own room */
		if (p->au.capped || p->au.bytes + len + 1 > room) {
			free(s);
			p->au.dropped += weight;
			if (!p->au.capped) {
				p->au.capped = 1;
				write_notice(p, PR_LIFE, "audit capped", 0, 0,
					     "the audit reached its size cap: from now on only "
					     "counts are kept");
			}
			return;
		}
	}
	/* deliver() appends the newline in place of the NUL */
	{
		char *line = realloc(s, len + 2);
		if (!line) {
			free(s);
			p->au.dropped += weight;
			return;
		}
		line[len] = '\n';
		line[len + 1] = '\0';
		deliver(p, line, len);
		free(line);
	}
	p->au.lines++;
	p->au.bytes += len + 1;
}

static void write_notice(struct podrun *p, int cat, const char *what, uint64_t folded,
			 uint64_t dropped, const char *reason)
{
	struct pr_event ev = { .kind = PR_EV_NOTICE,
			       .src = "runner",
			       .cat = cat,
			       .act = PR_INFO,
			       .what = what,
			       .rule = "limits",
			       .reason = reason,
			       .u.notice = { folded, dropped } };
	int capped = p->au.capped;

	if (!p->au.open)
		return;
	if (capped && strcmp(what, "audit capped"))
		return; /* after the cap only the totals of the exit event count */
	write_obj(p, event_json(p, &ev), PR_EV_NOTICE, 0);
}

/* ---- rate limits and folding ---------------------------------------------- */

static void refill(struct pr_audit *au)
{
	uint64_t now = pr_now_us();
	double dt = au->refill_us ? (double)(now - au->refill_us) / 1e6 : 1e9;

	au->refill_us = now;
	for (int i = 0; i < PR_NCAT; i++)
		au->tokens[i] = fmin(PR_AUDIT_BURST, au->tokens[i] + dt * PR_AUDIT_RATE);
	au->human_tokens = fmin(PR_HUMAN_BURST, au->human_tokens + dt * PR_HUMAN_RATE);
}

static uint64_t fnv(uint64_t h, const char *s)
{
	for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++)
		h = (h ^ *u) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;
}

static uint64_t event_key(const struct pr_event *ev)
{
	uint64_t h = 1469598103934665603ull;

	h = (h ^ (uint64_t)(ev->kind * 64 + ev->cat * 8 + ev->act)) * 1099511628211ull;
	h = fnv(h, ev->src);
	h = fnv(h, ev->what);
	return fnv(h, ev->rule);
}

/* Over the rate: count the event in its fold slot (one line per distinct
 * event per window), or as dropped when every slot is taken. */
static void fold(struct podrun *p, const struct pr_event *ev)
{
	struct pr_audit *au = &p->au;
	uint64_t key = event_key(ev);
	struct pr_fold *f = NULL;

	for (unsigned i = 0; i < au->nfold; i++)
		if (au->fold[i].hash == key) {
			f = &au->fold[i];
			break;
		}
	if (!f && au->nfold < PR_FOLD_SLOTS && !au->capped) {
		cJSON *o = event_json(p, ev);
		if (o) {
			f = &au->fold[au->nfold++];
			f->hash = key;
			f->first = o;
			f->n = 0;
			f->cat = ev->cat;
			f->counted = ev->kind != PR_EV_REPORT;
		}
	}
	if (!f) {
		au->w_dropped[ev->cat]++;
		au->dropped += ev->kind != PR_EV_REPORT;
		return;
	}
	f->n++;
	au->w_folded[ev->cat]++;
	pr_timestamp(f->last, 0);
}

/* Write what the window folded and say what it dropped. */
static void flush_folds(struct podrun *p)
{
	struct pr_audit *au = &p->au;
	char why[160];

	for (unsigned i = 0; i < au->nfold; i++) {
		struct pr_fold *f = &au->fold[i];
		cJSON *o = f->first, *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
		if (f->n > 1) {
			add_num(o, "repeat", (double)f->n);
			if (cJSON_IsString(ts))
				add_str(o, "first", ts->valuestring);
			add_str(o, "last", f->last);
			au->folded += f->n - 1;
		}
		write_obj(p, o, PR_EV_FACT, f->counted ? f->n : 0);
		f->first = NULL;
	}
	au->nfold = 0;
	for (int c = 0; c < PR_NCAT; c++) {
		if (!au->w_folded[c] && !au->w_dropped[c])
			continue;
		snprintf(why, sizeof why,
			 "more than %d %s events per second: repeats folded, %llu not written",
			 PR_AUDIT_RATE, cat_names[c], (unsigned long long)au->w_dropped[c]);
		write_notice(p, c, "audit rate limit", au->w_folded[c], au->w_dropped[c], why);
		au->w_folded[c] = au->w_dropped[c] = 0;
	}
}

/* Once per second (and before the exit event): folded lines, notices. */
void pr_audit_window(struct podrun *p)
{
	flush_folds(p);
	if (p->au.human_suppressed) {
		pr_say(p,
		       "podrun: %llu more log lines not shown (rate limit; the audit has them)\n",
		       (unsigned long long)p->au.human_suppressed);
		p->au.human_suppressed = 0;
	}
}

/* ---- the entry point ------------------------------------------------------- */

void pr_audit(struct podrun *p, const struct pr_event *ev)
{
	int exempt = ev->kind == PR_EV_START || ev->kind == PR_EV_EXIT || ev->kind == PR_EV_NOTICE;
	struct pr_event e = *ev;

	if (e.cat < 0 || e.cat >= PR_NCAT)
		e.cat = PR_LIFE;
	if (e.act < 0 || e.act >= PR_NACT)
		e.act = PR_INFO;
	/* counts are the runner's decisions and facts; what the pod claims about
	 * itself (EVENT messages) is written, but not counted */
	pr_learn_note(p, &e);  /* learn mode: what the base would deny */
	pr_shadow_note(p, &e); /* a shadow policy: where it would decide otherwise */
	if (e.kind == PR_EV_REPORT)
		p->au.reported++;
	else if (e.kind != PR_EV_NOTICE)
		p->au.counts[e.cat][e.act]++;
	refill(&p->au);
	if (e.kind == PR_EV_EXIT)
		flush_folds(p);
	if (p->au.open) {
		if (!exempt && p->au.tokens[e.cat] < 1)
			fold(p, &e);
		else {
			if (!exempt)
				p->au.tokens[e.cat] -= 1;
			write_obj(p, event_json(p, &e), e.kind, e.kind != PR_EV_REPORT);
		}
	}
	human_line(p, &e);
}

/* A decision from 04-policy, as an event. */
void pr_audit_decision(struct podrun *p, const char *src, enum pol_cat c, const char *what,
		       const struct pol_decision *d, int pid)
{
	PR_AUDIT(p, .kind = PR_EV_DECISION, .src = src, .cat = pr_pol_index(c),
		 .act = pr_act_index(policy_action_name(d->action)), .what = what, .rule = d->rule,
		 .reason = d->reason, .pid = pid, .u.scope = policy_cat_name(c));
}

int64_t podrun_count(const podrun_t *p, const char *cat, const char *action)
{
	int c = pr_cat_index(cat), a = pr_act_index(action);

	if (!p || c < 0 || a < 0)
		return -EINVAL;
	return (int64_t)p->au.counts[c][a];
}

/* Open the audit sink: "-" is the stderr sink, anything else a file (0600). */
int pr_audit_open(struct podrun *p)
{
	p->au.max_bytes = p->cfg.audit_max ? p->cfg.audit_max : PODRUN_AUDIT_MAX_DEFAULT;
	if (p->cfg.audit_max == UINT64_MAX)
		p->au.max_bytes = 0; /* unlimited */
	p->au.tokens[0] = -1;        /* refill() fills every bucket on first use */
	p->au.refill_us = 0;
#ifdef PODRUN_HAVE_DBGUI
	p->au.open = p->cfg.events_on || p->cfg.audit_path || p->cfg.debug_ui;
#else
	p->au.open = p->cfg.events_on || p->cfg.audit_path;
#endif
	if (!p->cfg.audit_path)
		return 0;
	if (strcmp(p->cfg.audit_path, "-") == 0) {
		p->au.to_err = 1;
		return 0;
	}
	p->au.audit_fd =
	    open(p->cfg.audit_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0600);
	if (p->au.audit_fd < 0) {
		int e = -errno;
		pr_seterr(p, e, "cannot open audit file %s", p->cfg.audit_path);
		return e;
	}
	p->io.sink[PR_SINK_AUDIT].fd = p->au.audit_fd;
	return 0;
}

/* The end of the stream: folds still waiting are dropped with the handle. */
void pr_audit_close(struct podrun *p)
{
	for (unsigned i = 0; i < p->au.nfold; i++)
		cJSON_Delete(p->au.fold[i].first);
	p->au.nfold = 0;
}
