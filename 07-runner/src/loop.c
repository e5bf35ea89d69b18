/*
 * loop.c — the runner's one event loop, and the message calls of the API.
 *
 *   epoll (inner) ── signalfd        SIGINT/SIGTERM/SIGHUP: STOP, grace, SIGKILL
 *                 ├─ pidfd           the pod ended: finish (lifecycle.c)
 *                 ├─ ipc fd          HELLO, doorbells, QUERY/VERDICT, EVENT (02)
 *                 ├─ timerfds        timeout, grace, stats tick, serve drain
 *                 ├─ stdio           runner stdin -> pod, pod stdout/err -> runner
 *                 ├─ proxy fd        HTTP/CONNECT/TLS/DNS of the pod (05)
 *                 ├─ BPF ringbuf     syscall events of the pod (06)
 *                 └─ debug UI fd     page + event stream clients
 *   podrun_fd() = outer epoll: the inner one + an eventfd "something to read"
 *
 * Layer 07 (runner). Builds on 02-ipc, 04-policy, 06-ebpf and the rest of
 * src/. Used by podrun_dispatch()/podrun_wait(), hence by the CLI and the Bun
 * module.
 */
#include "internal.h"
#include "runtime.h"

#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <limits.h>
#include <time.h>

/* ---- FFI (and other) queries from the pod: decide, answer, audit ---------- */

static void handle_query(struct podrun *p, const struct ipc_event *ev)
{
	struct pol_decision d = { 0 };
	enum pol_cat cat;
	char path[4096];
	const char *what = ev->u.query.request;
	int action, ret;

	memset(&d, 0, sizeof d);
	ret = policy_cat_parse(ev->u.query.category, &cat);
	if (ret < 0) {
		ipc_runner_verdict(p->ipc.runner, ev->conn, ev->u.query.request_id, IPC_ACT_DENY,
				   "malformed", "unknown category");
		PR_AUDIT(p, .src = "loader", .cat = PR_IPC, .act = PR_DENY,
			 .what = ev->u.query.category, .rule = "malformed",
			 .pid = pr_pod_pid(ev->peer.pid),
			 .reason = "query with an unknown category");
		return;
	}
	if (cat == POL_FFI || cat == POL_FS_READ || cat == POL_FS_WRITE || cat == POL_RUN) {
		if (rt_path_normalize(what, path, sizeof path) < 0) {
			ipc_runner_verdict(p->ipc.runner, ev->conn, ev->u.query.request_id,
					   IPC_ACT_DENY, "malformed", "not an absolute path");
			PR_AUDIT(p, .src = "loader", .cat = pr_pol_index(cat), .act = PR_DENY,
				 .what = what, .rule = "malformed", .pid = pr_pod_pid(ev->peer.pid),
				 .reason = "request is not an absolute path");
			return;
		}
		what = path;
	}
	ret = policy_decide(p->life.pol, cat, what, &d);
	if (ret < 0) {
		d.action = POL_DENY;
		d.rule = "malformed";
		snprintf(d.reason, sizeof d.reason, "malformed request");
	}
	action = d.action == POL_DENY   ? IPC_ACT_DENY
		 : d.action == POL_WARN ? IPC_ACT_WARN
					: IPC_ACT_ALLOW;
	ipc_runner_verdict(p->ipc.runner, ev->conn, ev->u.query.request_id, action, d.rule,
			   d.reason);
	pr_audit_decision(p, "loader", cat, what, &d, pr_pod_pid(ev->peer.pid));
}

/* An EVENT from a pod-side component: audit it as reported by the pod. */
static void handle_pod_event(struct podrun *p, const struct ipc_event *ev)
{
	enum pol_cat c;
	int cat = PR_IPC;

	if (policy_cat_parse(ev->u.event.category, &c) == 0)
		cat = pr_pol_index(c);
	else if (!strcmp(ev->u.event.category, "life"))
		cat = PR_LIFE;
	/* a claim of the pod, not a decision of the runner: never counted */
	PR_AUDIT(p, .kind = PR_EV_REPORT, .src = "loader", .cat = cat,
		 .act = pr_act_index(ipc_action_name(ev->u.event.action)), .what = ev->u.event.what,
		 .rule = "pod-report", .pid = pr_pod_pid(ev->peer.pid),
		 .u.detail = ev->u.event.detail);
}

void pr_ipc_event(struct podrun *p, const struct ipc_event *ev)
{
	char what[64];

	switch (ev->type) {
	case IPC_EV_READY:
		p->ipc.ready = 1;
		pr_trace(p, "hello");
		snprintf(what, sizeof what, "hello lang=%u", ev->u.hello.lang);
		PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_INFO, .what = what,
			 .pid = (int)ev->u.hello.pid);
		pr_serve_resume(p);
		break;
	case IPC_EV_DATA:
		if (!pr_deliver_messages(p, 0))
			p->ipc.proto_spurious++; /* a doorbell that brought nothing */
		break;
	case IPC_EV_WRITABLE:
		pr_serve_resume(p);
		break;
	case IPC_EV_QUERY:
		handle_query(p, ev);
		break;
	case IPC_EV_EVENT:
		handle_pod_event(p, ev);
		break;
	case IPC_EV_REJECTED:
		PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_DENY, .what = "connection",
			 .rule = "credentials", .pid = pr_pod_pid(ev->peer.pid),
			 .reason = ev->reason[0] ? ev->reason : "connection refused");
		break;
	case IPC_EV_STOP_EXPIRED:
		pr_grace_expired(p);
		break;
	case IPC_EV_CLOSED:
		if (ev->err == 0 || (ev->err == -ETIMEDOUT && !p->ipc.ready)) {
			PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_INFO,
				 .what = "session closed",
				 .reason = ev->reason[0] ? ev->reason : NULL);
		} else if (ev->err == -EREMOTEIO) {
			PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_INFO,
				 .what = "worker error", .reason = ev->u.error.text);
			if (p->cfg.verbosity >= PODRUN_NORMAL) {
				char safe[256];
				pr_say(p, "podrun: worker reported an error: %s\n",
				       pr_terminal_safe(ev->u.error.text, safe, sizeof safe));
			}
		} else if (ev->err != -ECONNRESET) {
			/* a protocol violation or a corrupt ring ends the pod */
			PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_DENY,
				 .what = "protocol", .rule = "protocol",
				 .reason = ev->reason[0] ? ev->reason : "protocol error");
			if (p->life.state == PODRUN_RUNNING || p->life.state == PODRUN_STARTING)
				podrun_stop(p, 0);
		}
		break;
	default:
		break;
	}
}

/* ---- eBPF events (06): classify against the policy, audit -------------- */

/* Paths that the runner itself provides (not the policy): runtime, sockets.
 * With @p probe, also the directories holding runtime files: the dynamic
 * loader and interpreters probe there for files that do not exist. */
static int provided(const struct podrun *p, const char *path, int probe)
{
	static const char *const fixed[] = { "/proc",
					     "/dev",
					     "/pod",
					     "/tmp",
					     "/etc/resolv.conf",
					     "/etc/ld.so.cache",
					     "/etc/ld.so.preload",
					     NULL };
	char dir[SYSAUDIT_PATH_MAX];

	for (int i = 0; fixed[i]; i++)
		if (rt_path_under(path, fixed[i]))
			return 1;
	for (size_t i = 0; i < p->box.n_rt_paths; i++) {
		const char *slash;
		if (rt_path_under(path, p->box.rt_paths[i]))
			return 1;
		slash = strrchr(p->box.rt_paths[i], '/');
		if (!probe || !slash || slash == p->box.rt_paths[i] ||
		    (size_t)(slash - p->box.rt_paths[i]) >= sizeof dir)
			continue;
		memcpy(dir, p->box.rt_paths[i], (size_t)(slash - p->box.rt_paths[i]));
		dir[slash - p->box.rt_paths[i]] = '\0';
		if (rt_path_under(path, dir))
			return 1;
	}
	if (p->ipc.runner && rt_path_under(path, ipc_runner_dir(p->ipc.runner)))
		return 1;
	return 0;
}

int pr_provided(const struct podrun *p, const char *path)
{
	return provided(p, path, 0);
}

/* A path the pod did not find: does the file exist outside, and is it not in
 * the pod under another name (a loader probing /lib/... for a library the plan
 * put at /usr/lib/...)? Only looked at (realpath follows links), never opened. */
static int exists_unprovided(struct podrun *p, const char *path)
{
	char real[PATH_MAX];

	if (access(path, F_OK) != 0 || !realpath(path, real))
		return 0;
	return !provided(p, real, 0);
}

void pr_bpf_classify(void *ctx, const struct sysaudit_event *ev, struct sysaudit_verdict *v)
{
	struct podrun *p = ctx;
	struct pol_decision d;
	enum pol_cat c;
	char path[SYSAUDIT_PATH_MAX];

	memset(&d, 0, sizeof d);
	/* a file access or change the sandbox refused: which rule (fsreport.c) */
	if ((ev->kind == SYSAUDIT_EV_OPEN || ev->kind == SYSAUDIT_EV_FSCHANGE) &&
	    pr_fs_refused(p, ev, v))
		return;
	switch (ev->kind) {
	case SYSAUDIT_EV_OPEN:
		c = (ev->eflags & SYSAUDIT_F_WRITE) ? POL_FS_WRITE : POL_FS_READ;
		break;
	case SYSAUDIT_EV_EXEC:
		c = POL_RUN;
		break;
	case SYSAUDIT_EV_MMAP_EXEC:
	case SYSAUDIT_EV_MPROTECT_EXEC:
		if (ev->eflags & SYSAUDIT_F_FILE_BASENAME)
			return;
		c = POL_FFI;
		break;
	default:
		return; /* connect: the proxy decides; fork/exit: facts */
	}
	if (ev->path[0] != '/' || (ev->eflags & SYSAUDIT_F_PATH_TRUNC) ||
	    rt_path_normalize(ev->path, path, sizeof path) < 0)
		return;
	if (policy_decide(p->life.pol, c, path, &d) < 0)
		return;
	/* An open of a library an explicit FFI rule names is an FFI fact: a
	 * denied library is not in the pod, so the loader's open fails and the
	 * LD_AUDIT gate is never asked; this event is the evidence. */
	if (ev->kind == SYSAUDIT_EV_OPEN && d.rule && !strcmp(d.rule, "default")) {
		struct pol_decision f;
		memset(&f, 0, sizeof f);
		if (policy_decide(p->life.pol, POL_FFI, path, &f) == 0 && f.rule &&
		    strcmp(f.rule, "default") && f.action == POL_DENY && ev->ret < 0) {
			v->action = SYSAUDIT_DENY;
			snprintf(v->rule, sizeof v->rule, "ffi:%s", f.rule);
			return;
		}
	}
	/* runtime files are not the policy's business, unless a rule names them */
	if ((!d.rule || !strcmp(d.rule, "default")) && provided(p, path, ev->ret == -ENOENT))
		return;
	switch (d.action) {
	case POL_WARN:
		v->action = SYSAUDIT_WARN;
		break;
	case POL_ALLOW:
		v->action = SYSAUDIT_ALLOW;
		break;
	default:
		/* Denied by policy. ret >= 0: the file came in through the runtime
		 * plan. -ENOENT under the default rule: the path is simply not in
		 * the pod, and runtimes probe for many such files: a fact, not a
		 * decision. A deny is a named rule, or the kernel refusing. */
		if (ev->ret >= 0 && ev->kind != SYSAUDIT_EV_EXEC)
			return;
		/* ... unless the file exists outside and is not in the pod under
		 * another name: then the pod asked for a file it was not given, a
		 * denial worth telling (the runner only looks, never opens) */
		if (ev->ret == -ENOENT && (!d.rule || !strcmp(d.rule, "default")) &&
		    (ev->kind != SYSAUDIT_EV_OPEN || !exists_unprovided(p, path)))
			return;
		v->action = SYSAUDIT_DENY;
		break;
	}
	snprintf(v->rule, sizeof v->rule, "%s", d.rule ? d.rule : "default");
}

/*
 * The eBPF -> audit mapping: one syscall event of 06 becomes one typed event
 * (PR_EV_EBPF). 06 classifies it (pr_bpf_classify); an FFI finding there
 * ("ffi:RULE") is an event of category ffi with rule RULE.
 */
/* One stderr line per denied or warned file access, once per path, in the
 * one format of decisions: "podrun: deny fs.read /etc/hostname (rule: default)". */
static void fs_report_line(struct podrun *p, const struct sysaudit_event *ev,
			   const struct sysaudit_verdict *v, const char *what)
{
	uint64_t h = 1469598103934665603ULL;
	int write = (ev->eflags & SYSAUDIT_F_WRITE) || ev->kind == SYSAUDIT_EV_FSCHANGE;

	if (p->cfg.verbosity < PODRUN_NORMAL)
		return;
	for (const char *c = what; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	h = (h ^ (uint64_t)(v->action * 2 + write)) * 1099511628211ULL;
	for (unsigned i = 0; i < p->au.fsrep_n; i++)
		if (p->au.fsrep_seen[i] == h)
			return;
	/* through the stderr sink: never blocks the loop when nobody reads stderr */
	if (!pr_say_decision(p, v->action == SYSAUDIT_DENY ? "deny" : "warn",
			     write ? "fs.write" : "fs.read", what,
			     v->rule[0] ? v->rule : "default"))
		return;
	if (p->au.fsrep_n < sizeof p->au.fsrep_seen / sizeof p->au.fsrep_seen[0])
		p->au.fsrep_seen[p->au.fsrep_n++] = h;
}

int pr_bpf_event(void *ctx, const struct sysaudit_event *ev)
{
	struct podrun *p = ctx;
	struct sysaudit_verdict v = { SYSAUDIT_INFO, "" };
	char what[SYSAUDIT_PATH_MAX + 64];
	static const int act[] = { PR_INFO, PR_ALLOW, PR_WARN, PR_DENY };
	const char *rule;
	int cat;

	/* pid 1 is the pod's init: the runner's own code building the root
	 * (a loss notice has no pid and is always kept) */
	if (ev->pid == 1 && ev->kind != SYSAUDIT_EV_LOST)
		return 0;
	if (ev->kind == SYSAUDIT_EV_EXEC && p->box.exec_fd >= 0)
		return 0; /* execgate.c decided and reported it */
	sysaudit_classify(p->au.sa, ev, &v);
	/* Plain facts (runtime files, fork/exit) only reach the audit at -v;
	 * every exec and connect is evidence and always kept. */
	if (v.action == SYSAUDIT_INFO && p->cfg.verbosity < PODRUN_VERBOSE &&
	    ev->kind != SYSAUDIT_EV_EXEC && ev->kind != SYSAUDIT_EV_CONNECT &&
	    ev->kind != SYSAUDIT_EV_LOST)
		return 0;
	sysaudit_event_what(ev, what, sizeof what);
	cat = pr_cat_index(sysaudit_event_cat(ev));
	rule = v.rule[0] ? v.rule : "default";
	if (!strncmp(v.rule, "ffi:", 4)) {
		cat = PR_FFI;
		rule = v.rule + 4;
	}
	/* denied and warned file access: one stderr line per path (below, the
	 * generic human line is kept for run findings only) */
	if (cat == PR_FS && (v.action == SYSAUDIT_DENY || v.action == SYSAUDIT_WARN)) {
		pr_fs_what(p, ev, what, sizeof what); /* links followed in the pod */
		fs_report_line(p, ev, &v, what);
	}
	/* the human log shows eBPF's run findings; FFI and net decisions
	 * are logged by the loader and the proxy that made them */
	PR_AUDIT(p, .kind = PR_EV_EBPF, .src = "ebpf", .cat = cat < 0 ? PR_LIFE : cat,
		 .act = act[v.action & 3], .what = what, .rule = rule, .pid = (int)ev->pid,
		 .quiet = cat != PR_RUN, .u.ebpf = { ev, &v });
	return 0;
}

/* ---- the loop's descriptors, timers and pending flag ---------------------- */

int pr_epoll_add(struct podrun *p, int fd, uint32_t tag, uint32_t events)
{
	struct epoll_event ev = { .events = events,
				  .data.u64 = ((uint64_t)tag << 32) | (uint32_t)fd };

	if (epoll_ctl(p->loop.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void pr_epoll_del(struct podrun *p, int fd)
{
	if (p->loop.ep >= 0 && fd >= 0)
		epoll_ctl(p->loop.ep, EPOLL_CTL_DEL, fd, NULL);
}

/* Arm @p tfd to fire after @p us (0: at once) and then every @p interval_us
 * (0: once). Both 0 disarms. */
int pr_arm_timer_us(int tfd, uint64_t us, uint64_t interval_us)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(us / 1000000);
	its.it_value.tv_nsec = (long)(us % 1000000) * 1000L;
	if (us == 0 && interval_us != 0)
		its.it_value.tv_nsec = 1; /* "at once" (0 would disarm) */
	its.it_interval.tv_sec = (time_t)(interval_us / 1000000);
	its.it_interval.tv_nsec = (long)(interval_us % 1000000) * 1000L;
	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

/* The same in milliseconds. */
int pr_arm_timer(int tfd, uint64_t ms, uint64_t interval_ms)
{
	return pr_arm_timer_us(tfd, ms * 1000, interval_ms * 1000);
}

/* The pending eventfd is readable exactly while the embedder has something to
 * take: a queued event, or (when messages are for the API) a frame. */
void pr_pending_update(struct podrun *p)
{
	int want = p->au.evq.count > 0;
	uint64_t v = 1;

	if (!want && !p->cfg.msg_to_stdout && p->ipc.runner) {
		int64_t used =
		    ring_used(ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_RUNNER));
		want = used != 0;
	}
	if (p->loop.pending_fd < 0 || want == p->loop.pending_set)
		return;
	if (want) {
		if (write(p->loop.pending_fd, &v, sizeof v) != sizeof v)
			return;
	} else if (read(p->loop.pending_fd, &v, sizeof v) != sizeof v) {
		return;
	}
	p->loop.pending_set = want;
}

/* ---- the loop ------------------------------------------------------------- */

static void on_signal(struct podrun *p)
{
	struct signalfd_siginfo si;
	char what[32];

	while (read(p->loop.sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		snprintf(what, sizeof what, "signal %u", si.ssi_signo);
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = what);
		if (++p->life.signals_seen == 1)
			podrun_stop(p, p->cfg.grace_ms);
		else
			podrun_stop(p, 0); /* a second signal: no more grace */
	}
}

static void drain_timer(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof n) < 0)
		return;
}

static void on_tick(struct podrun *p)
{
#ifdef PODRUN_HAVE_DBGUI
	struct strbuf x = { 0 };
	char ts[32];
	static const char *const states[] = { "starting", "starting", "running",
					      "stopping", "exited",   "exited" };

	if (!p->au.ui)
		return;
	pr_timestamp(ts, 0);
	pr_sb_printf(
	    &x,
	    "{\"ts\":\"%s\",\"pod\":\"%s\",\"src\":\"runner\",\"cat\":\"life\","
	    "\"action\":\"info\",\"what\":\"stats\",\"rule\":\"default\",\"pid\":0,"
	    "\"state\":\"%s\",\"rings\":{\"to_pod_frames\":%llu,\"to_runner_frames\":%llu,"
	    "\"to_pod_bytes\":%llu,\"to_runner_bytes\":%llu},\"syscalls\":{",
	    ts, p->life.id, states[p->life.state], (unsigned long long)p->ipc.frames_to_pod,
	    (unsigned long long)p->ipc.frames_to_runner, (unsigned long long)p->ipc.bytes_to_pod,
	    (unsigned long long)p->ipc.bytes_to_runner);
	if (p->au.sa) {
		struct sysaudit_count c[64];
		int n = sysaudit_counts(p->au.sa, c, 64);
		for (int i = 0; i < n && i < 64; i++) {
			pr_sb_puts(&x, i ? "," : "");
			pr_sb_json_str(&x, c[i].name);
			pr_sb_printf(&x, ":%llu", (unsigned long long)c[i].count);
		}
	}
	pr_sb_puts(&x, "}}");
	if (!x.oom)
		dbgui_publish(p->au.ui, x.buf);
	pr_sb_free(&x);
#else
	(void)p;
#endif
}

/* Serve mode: all input lines were sent; STOP once the pod has read them. */
static void on_drain(struct podrun *p)
{
	ring_t *r;

	if (!p->ipc.runner || p->life.state != PODRUN_RUNNING) {
		pr_arm_timer(p->io.t_drain, 0, 0);
		return;
	}
	r = ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_POD);
	if (ring_used(r) == 0 && !p->io.line_in.len) {
		pr_arm_timer(p->io.t_drain, 0, 0);
		pr_trace(p, "input drained: stop");
		podrun_stop(p, p->cfg.grace_ms);
	}
}

/* ---- fairness: budgets, the protocol rate, the window --------------------- */

/* Control messages of the pod so far: session and query sockets, refused
 * connections and doorbells that brought no frame. */
static uint64_t proto_count(const struct podrun *p)
{
	struct ipc_stats st;

	if (!p->ipc.runner)
		return 0;
	ipc_runner_stats(p->ipc.runner, &st);
	return st.messages_received - st.doorbells_received + st.query_messages_received +
	       st.rejected + p->ipc.proto_spurious;
}

static void ipc_interest(struct podrun *p, int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	if (!p->ipc.runner)
		return;
	ev.data.u64 = ((uint64_t)PR_SRC_IPC << 32) | (uint32_t)ipc_runner_fd(p->ipc.runner);
	epoll_ctl(p->loop.ep, EPOLL_CTL_MOD, ipc_runner_fd(p->ipc.runner), &ev);
}

/* Over PR_PROTO_RATE in this window: the control sockets are not read until
 * the next one (the pod's writes block there). */
static int proto_over(struct podrun *p)
{
	char why[192];

	uint32_t rate = p->cfg.proto_rate ? p->cfg.proto_rate : PR_PROTO_RATE;

	if (p->ipc.paused || proto_count(p) - p->ipc.proto_seen <= rate)
		return p->ipc.paused;
	p->ipc.paused = 1;
	p->loop.more &= ~PR_MORE_IPC;
	ipc_interest(p, 0);
	snprintf(why, sizeof why,
		 "more than %u control messages per second: not read until the next "
		 "second; %d such seconds in a row stop the pod",
		 rate, PR_FLOOD_WINDOWS);
	PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_WARN, .what = "protocol rate",
		 .rule = "limits", .reason = why);
	return 1;
}

/* Every second: the audit's folded lines, the protocol rate's window. */
static void on_window(struct podrun *p)
{
	int was_paused = p->ipc.paused;
	char why[160];

	pr_audit_window(p);
	p->ipc.flood_windows = was_paused ? p->ipc.flood_windows + 1 : 0;
	p->ipc.proto_seen = proto_count(p);
	if (was_paused) {
		p->ipc.paused = 0;
		ipc_interest(p, 1);
		p->loop.more |= PR_MORE_IPC;
	}
	if (p->ipc.flood_windows >= PR_FLOOD_WINDOWS &&
	    (p->life.state == PODRUN_RUNNING || p->life.state == PODRUN_STARTING)) {
		snprintf(why, sizeof why,
			 "more than %u control messages per second for %d seconds: "
			 "the pod is stopped",
			 p->cfg.proto_rate ? p->cfg.proto_rate : PR_PROTO_RATE, PR_FLOOD_WINDOWS);
		PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_DENY,
			 .what = "protocol flood", .rule = "limits", .reason = why);
		podrun_stop(p, 0);
	}
}

/* At most PR_IPC_BUDGET control events per turn; more: PR_MORE_IPC. */
static void serve_ipc(struct podrun *p)
{
	struct ipc_event ev;
	int i;

	if (p->ipc.paused)
		return;
	for (i = 0; i < PR_IPC_BUDGET && p->ipc.runner && p->life.state != PODRUN_EXITED; i++) {
		if (ipc_runner_dispatch(p->ipc.runner, &ev) != 1)
			return;
		pr_ipc_event(p, &ev);
		if ((i & 15) == 15 && proto_over(p))
			return;
	}
	if (p->ipc.runner && !proto_over(p))
		p->loop.more |= PR_MORE_IPC;
}

static int is_control(uint32_t tag)
{
	return tag == PR_SRC_SIGNAL || tag == PR_SRC_PIDFD || tag == PR_SRC_TIMEOUT ||
	       tag == PR_SRC_GRACE || tag == PR_SRC_WINDOW;
}

static int handle(struct podrun *p, uint32_t tag, int fd, uint32_t events)
{
	switch (tag) {
	case PR_SRC_SIGNAL:
		on_signal(p);
		break;
	case PR_SRC_PIDFD:
		pr_finish(p);
		break;
	case PR_SRC_IPC:
		serve_ipc(p);
		break;
	case PR_SRC_TIMEOUT:
		drain_timer(fd);
		if (p->life.state == PODRUN_RUNNING || p->life.state == PODRUN_STARTING ||
		    p->life.state == PODRUN_STOPPING) {
			p->life.timed_out = 1;
			PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_WARN,
				 .what = "timeout", .rule = "limits",
				 .reason = "the pod ran past its --timeout");
			podrun_stop(p, p->cfg.grace_ms);
		}
		break;
	case PR_SRC_GRACE:
		drain_timer(fd);
		pr_grace_expired(p);
		break;
	case PR_SRC_WINDOW:
		drain_timer(fd);
		on_window(p);
		break;
	case PR_SRC_TICK:
		drain_timer(fd);
		on_tick(p);
		break;
	case PR_SRC_DRAIN:
		drain_timer(fd);
		on_drain(p);
		break;
	case PR_SRC_STDIN:
		pr_relay_stdin(p);
		break;
	case PR_SRC_OUT:
		pr_relay_pod_output(p, fd, p->cfg.serve ? PR_SINK_ERR : PR_SINK_OUT, 0);
		break;
	case PR_SRC_ERR:
		pr_relay_pod_output(p, fd, PR_SINK_ERR, 0);
		break;
	case PR_SRC_PODIN:
		(void)events;
		pr_relay_flush_pod_in(p);
		break;
	case PR_SRC_SINK:
		pr_sink_ready(p, fd);
		break;
	case PR_SRC_PROXY:
		if (p->net.proxy)
			proxy_dispatch(p->net.proxy);
		break;
	case PR_SRC_BPF:
		if (p->au.sa)
			sysaudit_consume(p->au.sa, pr_bpf_event, p);
		break;
	case PR_SRC_EXEC:
		pr_execgate_dispatch(p, events);
		break;
	case PR_SRC_DBGUI:
#ifdef PODRUN_HAVE_DBGUI
		if (p->au.ui)
			dbgui_dispatch(p->au.ui);
#endif
		break;
	default:
		break;
	}
	return 0;
}

/* Sources that stopped at their budget with work left. */
static void serve_more(struct podrun *p)
{
	unsigned more = p->loop.more;

	p->loop.more = 0;
	if ((more & PR_MORE_IPC) && p->life.state != PODRUN_EXITED)
		serve_ipc(p);
	if ((more & PR_MORE_RX) && p->life.state != PODRUN_EXITED && !p->ipc.rx_paused)
		pr_deliver_messages(p, 0);
}

/*
 * One turn: wait (not at all when a source has work left), then serve the
 * control sources first (signals, the pod's exit, timers), then each ready
 * source once within its budget. No source can keep the loop: a turn is
 * bounded, and the timers are looked at in every turn.
 */
int pr_loop_once(struct podrun *p, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, i, pass;

	if ((p->io.stdin_regular && !p->io.stdin_eof && !p->io.stdin_paused) || p->loop.more)
		timeout_ms = 0; /* a regular file is always readable: poll it */
	n = epoll_wait(p->loop.ep, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n && p->life.state != PODRUN_EXITED; i++) {
			uint32_t tag = (uint32_t)(evs[i].data.u64 >> 32);
			if (is_control(tag) != (pass == 0))
				continue;
			handle(p, tag, (int)(uint32_t)evs[i].data.u64, evs[i].events);
		}
	if (p->life.state != PODRUN_EXITED)
		serve_more(p);
	if (p->io.stdin_regular && !p->io.stdin_eof && !p->io.stdin_paused &&
	    p->life.state != PODRUN_EXITED) {
		pr_relay_stdin(p);
		n++;
	}
	return n;
}

/* ---- API: dispatch, wait, messages ------------------------------------------ */

int podrun_dispatch(podrun_t *p, int timeout_ms)
{
	int n;

	if (!p)
		return -EINVAL;
	if (p->life.state == PODRUN_EXITED)
		return 0;
	if (p->life.state == PODRUN_CONFIGURING || p->life.state == PODRUN_FAILED || p->loop.ep < 0)
		return -EBADFD;
	n = pr_loop_once(p, timeout_ms);
	pr_pending_update(p);
	return n;
}

int podrun_wait(podrun_t *p)
{
	int ret;

	if (!p)
		return -EINVAL;
	while (p->life.state != PODRUN_EXITED) {
		ret = podrun_dispatch(p, -1);
		if (ret < 0)
			return ret;
	}
	return p->life.exit_code;
}

int podrun_send(podrun_t *p, const void *buf, uint32_t len)
{
	int ret;

	if (!p || (!buf && len))
		return -EINVAL;
	if (p->life.state == PODRUN_CONFIGURING || p->life.state == PODRUN_FAILED)
		return -EBADFD;
	if (p->life.state == PODRUN_EXITED || !p->ipc.runner)
		return -EPIPE;
	ret = ipc_runner_send(p->ipc.runner, buf, len);
	if (ret == -ENOTCONN) {
		/* before HELLO the ring is already mapped: queue into it directly */
		ring_t *r = ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_POD);
		if (ipc_runner_state(p->ipc.runner) == IPC_RS_LISTENING)
			ret = ring_write(r, buf, len);
		else
			ret = -EPIPE;
	}
	if (ret == 0) {
		p->ipc.frames_to_pod++;
		p->ipc.bytes_to_pod += len;
	}
	return ret;
}

int podrun_recv(podrun_t *p, void *buf, uint32_t cap)
{
	int n;

	if (!p || !buf)
		return -EINVAL;
	if (p->life.state == PODRUN_CONFIGURING || p->life.state == PODRUN_FAILED)
		return -EBADFD;
	if (!p->ipc.runner)
		return pr_left_recv(p, buf, cap);
	n = ipc_runner_recv(p->ipc.runner, buf, cap);
	if (n == -ENOTCONN) {
		ring_t *r = ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_RUNNER);
		n = ring_read(r, buf, cap);
	}
	if (n >= 0) {
		p->ipc.frames_to_runner++;
		p->ipc.bytes_to_runner += (uint64_t)n;
	}
	pr_pending_update(p);
	return n;
}

int podrun_peek(podrun_t *p, const void **payload)
{
	ring_t *r;
	int n;

	if (!p || !payload)
		return -EINVAL;
	if (!p->ipc.runner)
		return p->life.state == PODRUN_EXITED ? -EAGAIN : -EBADFD;
	r = ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_RUNNER);
	n = ring_peek(r, payload);
	if (n == -EAGAIN) {
		/* announce "about to sleep" so the pod rings the doorbell (02 protocol) */
		if (ring_prepare_wait(r) == 0)
			n = ring_peek(r, payload);
	}
	if (n >= 0)
		p->ipc.peeked = 1;
	return n;
}

int podrun_release(podrun_t *p)
{
	if (!p)
		return -EINVAL;
	if (!p->ipc.runner || !p->ipc.peeked)
		return -EBADFD;
	ring_release(ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_RUNNER));
	p->ipc.peeked = 0;
	p->ipc.frames_to_runner++;
	pr_pending_update(p);
	return 0;
}
