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

#include <sys/epoll.h>
#include <sys/signalfd.h>

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
		ipc_runner_verdict(p->ipc, ev->conn, ev->u.query.request_id, IPC_ACT_DENY,
				   "malformed", "unknown category");
		pr_emit(p, "loader", "ipc", "deny", ev->u.query.category, "malformed", pr_pod_pid(ev->peer.pid),
			NULL, "query with an unknown category");
		return;
	}
	if (cat == POL_FFI || cat == POL_FS_READ || cat == POL_FS_WRITE || cat == POL_RUN) {
		if (pr_normalize_path(what, path, sizeof path) < 0) {
			ipc_runner_verdict(p->ipc, ev->conn, ev->u.query.request_id, IPC_ACT_DENY,
					   "malformed", "not an absolute path");
			pr_emit(p, "loader", pr_pol_cat(cat), "deny", what, "malformed", pr_pod_pid(ev->peer.pid),
				NULL, "request is not an absolute path");
			return;
		}
		what = path;
	}
	ret = policy_decide(p->pol, cat, what, &d);
	if (ret < 0) {
		d.action = POL_DENY;
		d.rule = "malformed";
		snprintf(d.reason, sizeof d.reason, "malformed request");
	}
	action = d.action == POL_DENY ? IPC_ACT_DENY : d.action == POL_WARN ? IPC_ACT_WARN : IPC_ACT_ALLOW;
	ipc_runner_verdict(p->ipc, ev->conn, ev->u.query.request_id, action, d.rule, d.reason);
	pr_emit_decision(p, "loader", cat, what, &d, pr_pod_pid(ev->peer.pid), NULL);
}

/* An EVENT from a pod-side component: audit it as reported by the pod. */
static void handle_pod_event(struct podrun *p, const struct ipc_event *ev)
{
	struct strbuf x = { 0 };
	enum pol_cat c;
	const char *cat = "ipc";

	if (policy_cat_parse(ev->u.event.category, &c) == 0)
		cat = pr_pol_cat(c);
	else if (!strcmp(ev->u.event.category, "life"))
		cat = "life";
	pr_sb_puts(&x, ",\"reported_by\":\"pod\",\"detail\":");
	pr_sb_json_str(&x, ev->u.event.detail);
	p->uncounted = 1; /* a claim of the pod, not a decision of the runner */
	pr_emit(p, "loader", cat, ipc_action_name(ev->u.event.action), ev->u.event.what, "pod-report",
		pr_pod_pid(ev->peer.pid), x.oom ? NULL : x.buf, NULL);
	p->uncounted = 0;
	pr_sb_free(&x);
}

void pr_ipc_event(struct podrun *p, const struct ipc_event *ev)
{
	char what[64];

	switch (ev->type) {
	case IPC_EV_READY:
		p->ipc_ready = 1;
		pr_trace(p, "hello");
		snprintf(what, sizeof what, "hello lang=%u", ev->u.hello.lang);
		pr_emit(p, "runner", "ipc", "info", what, "default", (int)ev->u.hello.pid, NULL, NULL);
		pr_serve_resume(p);
		break;
	case IPC_EV_DATA:
		pr_deliver_messages(p);
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
		pr_emit(p, "runner", "ipc", "deny", "connection", "credentials", pr_pod_pid(ev->peer.pid), NULL,
			ev->reason[0] ? ev->reason : "connection refused");
		break;
	case IPC_EV_STOP_EXPIRED:
		pr_grace_expired(p);
		break;
	case IPC_EV_CLOSED:
		if (ev->err == 0 || (ev->err == -ETIMEDOUT && !p->ipc_ready)) {
			pr_emit(p, "runner", "ipc", "info", "session closed", "default", 0, NULL,
				ev->reason[0] ? ev->reason : NULL);
		} else if (ev->err == -EREMOTEIO) {
			pr_emit(p, "runner", "ipc", "info", "worker error", "default", 0, NULL,
				ev->u.error.text);
			if (p->verbosity >= PODRUN_NORMAL) {
				char safe[256];
				dprintf(2, "podrun: worker reported an error: %s\n",
					pr_terminal_safe(ev->u.error.text, safe, sizeof safe));
			}
		} else if (ev->err != -ECONNRESET) {
			/* a protocol violation or a corrupt ring ends the pod */
			pr_emit(p, "runner", "ipc", "deny", "protocol", "protocol", 0, NULL,
				ev->reason[0] ? ev->reason : "protocol error");
			if (p->state == PODRUN_RUNNING || p->state == PODRUN_STARTING)
				podrun_stop(p, 0);
		}
		break;
	default:
		break;
	}
}

/* ---- eBPF events (06): classify against the policy, audit -------------- */

static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Paths that the runner itself provides (not the policy): runtime, sockets.
 * With @p probe, also the directories holding runtime files: the dynamic
 * loader and interpreters probe there for files that do not exist. */
static int provided(const struct podrun *p, const char *path, int probe)
{
	static const char *const fixed[] = { "/proc", "/dev", "/pod", "/tmp", "/etc/resolv.conf",
					     "/etc/ld.so.cache", "/etc/ld.so.preload", NULL };
	char dir[SYSAUDIT_PATH_MAX];

	for (int i = 0; fixed[i]; i++)
		if (under(path, fixed[i]))
			return 1;
	for (size_t i = 0; i < p->n_rt_paths; i++) {
		const char *slash;
		if (under(path, p->rt_paths[i]))
			return 1;
		slash = strrchr(p->rt_paths[i], '/');
		if (!probe || !slash || slash == p->rt_paths[i] ||
		    (size_t)(slash - p->rt_paths[i]) >= sizeof dir)
			continue;
		memcpy(dir, p->rt_paths[i], (size_t)(slash - p->rt_paths[i]));
		dir[slash - p->rt_paths[i]] = '\0';
		if (under(path, dir))
			return 1;
	}
	if (p->ipc && under(path, ipc_runner_dir(p->ipc)))
		return 1;
	return 0;
}

void pr_bpf_classify(void *ctx, const struct sysaudit_event *ev, struct sysaudit_verdict *v)
{
	struct podrun *p = ctx;
	struct pol_decision d;
	enum pol_cat c;
	char path[SYSAUDIT_PATH_MAX];

	memset(&d, 0, sizeof d);
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
	    pr_normalize_path(ev->path, path, sizeof path) < 0)
		return;
	if (policy_decide(p->pol, c, path, &d) < 0)
		return;
	/* An open of a library an explicit FFI rule names is an FFI fact: a
	 * denied library is not in the pod, so the loader's open fails and the
	 * LD_AUDIT gate is never asked; this event is the evidence. */
	if (ev->kind == SYSAUDIT_EV_OPEN && d.rule && !strcmp(d.rule, "default")) {
		struct pol_decision f;
		memset(&f, 0, sizeof f);
		if (policy_decide(p->pol, POL_FFI, path, &f) == 0 && f.rule && strcmp(f.rule, "default") &&
		    f.action == POL_DENY && ev->ret < 0) {
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
		if (ev->ret == -ENOENT && (!d.rule || !strcmp(d.rule, "default")))
			return;
		v->action = SYSAUDIT_DENY;
		break;
	}
	snprintf(v->rule, sizeof v->rule, "%s", d.rule ? d.rule : "default");
}

int pr_bpf_event(void *ctx, const struct sysaudit_event *ev)
{
	struct podrun *p = ctx;
	struct sysaudit_verdict v = { SYSAUDIT_INFO, "" };
	char line[4096], what[SYSAUDIT_PATH_MAX + 64];
	static const int act[] = { PR_INFO, PR_ALLOW, PR_WARN, PR_DENY };
	int n, cat, human;

	/* pid 1 is the pod's init: the runner's own code building the root */
	if (ev->pid == 1)
		return 0;
	if (ev->kind == SYSAUDIT_EV_EXEC && p->exec_fd >= 0)
		return 0; /* execgate.c decided and reported it */
	sysaudit_classify(p->sa, ev, &v);
	/* Plain facts (runtime files, fork/exit) only reach the audit at -v;
	 * every exec and connect is evidence and always kept. */
	if (v.action == SYSAUDIT_INFO && p->verbosity < PODRUN_VERBOSE &&
	    ev->kind != SYSAUDIT_EV_EXEC && ev->kind != SYSAUDIT_EV_CONNECT)
		return 0;
	n = sysaudit_format_line(ev, &v, p->id, line, sizeof line);
	if (n <= 0)
		return 0;
	if (line[n - 1] == '\n')
		line[n - 1] = '\0';
	sysaudit_event_what(ev, what, sizeof what);
	cat = pr_cat_index(sysaudit_event_cat(ev));
	human = cat == PR_FS || cat == PR_RUN;
	if (!strncmp(v.rule, "ffi:", 4)) {
		/* an FFI finding (see pr_bpf_classify): retag the line's category */
		char *c = strstr(line, "\"cat\":\"fs\"");
		char *r = strstr(line, "\"rule\":\"ffi:");
		if (c && (size_t)n + 2 < sizeof line) {
			memmove(c + 11, c + 10, strlen(c + 10) + 1);
			memcpy(c, "\"cat\":\"ffi\"", 11);
			r = strstr(line, "\"rule\":\"ffi:");
			if (r)
				memmove(r + 8, r + 12, strlen(r + 12) + 1);
			cat = PR_FFI;
			memmove(v.rule, v.rule + 4, strlen(v.rule + 4) + 1);
		}
	}
	/* the human log shows eBPF's fs and run findings; FFI and net decisions
	 * are logged by the loader and the proxy that made them */
	pr_emit_line(p, line, cat < 0 ? PR_LIFE : cat, act[v.action & 3],
		     human ? what : NULL, v.rule[0] ? v.rule : "default", NULL);
	return 0;
}

/* ---- the loop ------------------------------------------------------------- */

static void on_signal(struct podrun *p)
{
	struct signalfd_siginfo si;
	char what[32];

	while (read(p->sig_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		snprintf(what, sizeof what, "signal %u", si.ssi_signo);
		pr_emit(p, "runner", "life", "info", what, "default", 0, NULL, NULL);
		if (++p->signals_seen == 1)
			podrun_stop(p, p->grace_ms);
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
	static const char *const states[] = { "starting", "starting", "running", "stopping",
					      "exited", "exited" };

	if (!p->ui)
		return;
	pr_timestamp(ts, 0);
	pr_sb_printf(&x, "{\"ts\":\"%s\",\"pod\":\"%s\",\"src\":\"runner\",\"cat\":\"life\","
		      "\"action\":\"info\",\"what\":\"stats\",\"rule\":\"default\",\"pid\":0,"
		      "\"state\":\"%s\",\"rings\":{\"to_pod_frames\":%llu,\"to_runner_frames\":%llu,"
		      "\"to_pod_bytes\":%llu,\"to_runner_bytes\":%llu},\"syscalls\":{",
		  ts, p->id, states[p->state], (unsigned long long)p->frames_to_pod,
		  (unsigned long long)p->frames_to_runner, (unsigned long long)p->bytes_to_pod,
		  (unsigned long long)p->bytes_to_runner);
	if (p->sa) {
		struct sysaudit_count c[64];
		int n = sysaudit_counts(p->sa, c, 64);
		for (int i = 0; i < n && i < 64; i++) {
			pr_sb_puts(&x, i ? "," : "");
			pr_sb_json_str(&x, c[i].name);
			pr_sb_printf(&x, ":%llu", (unsigned long long)c[i].count);
		}
	}
	pr_sb_puts(&x, "}}");
	if (!x.oom)
		dbgui_publish(p->ui, x.buf);
	pr_sb_free(&x);
#else
	(void)p;
#endif
}

/* Serve mode: all input lines were sent; STOP once the pod has read them. */
static void on_drain(struct podrun *p)
{
	ring_t *r;

	if (!p->ipc || p->state != PODRUN_RUNNING) {
		pr_arm_timer(p->t_drain, 0, 0);
		return;
	}
	r = ring_shm_ring(ipc_runner_shm(p->ipc), RING_DIR_TO_POD);
	if (ring_used(r) == 0 && !p->line_in.len) {
		pr_arm_timer(p->t_drain, 0, 0);
		pr_trace(p, "input drained: stop");
		podrun_stop(p, p->grace_ms);
	}
}

static int handle(struct podrun *p, uint32_t tag, int fd, uint32_t events)
{
	struct ipc_event ev;

	switch (tag) {
	case PR_SRC_SIGNAL:
		on_signal(p);
		break;
	case PR_SRC_PIDFD:
		pr_finish(p);
		break;
	case PR_SRC_IPC:
		while (p->ipc && ipc_runner_dispatch(p->ipc, &ev) == 1)
			pr_ipc_event(p, &ev);
		break;
	case PR_SRC_TIMEOUT:
		drain_timer(fd);
		if (p->state == PODRUN_RUNNING || p->state == PODRUN_STARTING ||
		    p->state == PODRUN_STOPPING) {
			p->timed_out = 1;
			pr_emit(p, "runner", "life", "warn", "timeout", "limits", 0, NULL,
				"the pod ran past its --timeout");
			podrun_stop(p, p->grace_ms);
		}
		break;
	case PR_SRC_GRACE:
		drain_timer(fd);
		pr_grace_expired(p);
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
		pr_relay_pod_output(p, fd, p->serve ? p->err_fd : p->out_fd);
		break;
	case PR_SRC_ERR:
		pr_relay_pod_output(p, fd, p->err_fd);
		break;
	case PR_SRC_PODIN:
		(void)events;
		pr_relay_flush_pod_in(p);
		break;
	case PR_SRC_PROXY:
		if (p->proxy)
			proxy_dispatch(p->proxy);
		break;
	case PR_SRC_BPF:
		if (p->sa)
			sysaudit_consume(p->sa, pr_bpf_event, p);
		break;
	case PR_SRC_EXEC:
		pr_execgate_dispatch(p, events);
		break;
	case PR_SRC_DBGUI:
#ifdef PODRUN_HAVE_DBGUI
		if (p->ui)
			dbgui_dispatch(p->ui);
#endif
		break;
	default:
		break;
	}
	return 0;
}

int pr_loop_once(struct podrun *p, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, i;

	if (p->stdin_regular && !p->stdin_eof && !p->stdin_paused)
		timeout_ms = 0; /* a regular file is always readable: poll it */
	n = epoll_wait(p->ep, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n && p->state != PODRUN_EXITED; i++)
		handle(p, (uint32_t)(evs[i].data.u64 >> 32), (int)(uint32_t)evs[i].data.u64,
		       evs[i].events);
	if (p->stdin_regular && !p->stdin_eof && !p->stdin_paused && p->state != PODRUN_EXITED) {
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
	if (p->state == PODRUN_EXITED)
		return 0;
	if (p->state == PODRUN_CONFIGURING || p->state == PODRUN_FAILED || p->ep < 0)
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
	while (p->state != PODRUN_EXITED) {
		ret = podrun_dispatch(p, -1);
		if (ret < 0)
			return ret;
	}
	return p->exit_code;
}

int podrun_send(podrun_t *p, const void *buf, uint32_t len)
{
	int ret;

	if (!p || (!buf && len))
		return -EINVAL;
	if (p->state == PODRUN_CONFIGURING || p->state == PODRUN_FAILED)
		return -EBADFD;
	if (p->state == PODRUN_EXITED || !p->ipc)
		return -EPIPE;
	ret = ipc_runner_send(p->ipc, buf, len);
	if (ret == -ENOTCONN) {
		/* before HELLO the ring is already mapped: queue into it directly */
		ring_t *r = ring_shm_ring(ipc_runner_shm(p->ipc), RING_DIR_TO_POD);
		if (ipc_runner_state(p->ipc) == IPC_RS_LISTENING)
			ret = ring_write(r, buf, len);
		else
			ret = -EPIPE;
	}
	if (ret == 0) {
		p->frames_to_pod++;
		p->bytes_to_pod += len;
	}
	return ret;
}

int podrun_recv(podrun_t *p, void *buf, uint32_t cap)
{
	int n;

	if (!p || !buf)
		return -EINVAL;
	if (p->state == PODRUN_CONFIGURING || p->state == PODRUN_FAILED)
		return -EBADFD;
	if (!p->ipc)
		return pr_left_recv(p, buf, cap);
	n = ipc_runner_recv(p->ipc, buf, cap);
	if (n == -ENOTCONN) {
		ring_t *r = ring_shm_ring(ipc_runner_shm(p->ipc), RING_DIR_TO_RUNNER);
		n = ring_read(r, buf, cap);
	}
	if (n >= 0) {
		p->frames_to_runner++;
		p->bytes_to_runner += (uint64_t)n;
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
	if (!p->ipc)
		return p->state == PODRUN_EXITED ? -EAGAIN : -EBADFD;
	r = ring_shm_ring(ipc_runner_shm(p->ipc), RING_DIR_TO_RUNNER);
	n = ring_peek(r, payload);
	if (n == -EAGAIN) {
		/* announce "about to sleep" so the pod rings the doorbell (02 protocol) */
		if (ring_prepare_wait(r) == 0)
			n = ring_peek(r, payload);
	}
	if (n >= 0)
		p->peeked = 1;
	return n;
}

int podrun_release(podrun_t *p)
{
	if (!p)
		return -EINVAL;
	if (!p->ipc || !p->peeked)
		return -EBADFD;
	ring_release(ring_shm_ring(ipc_runner_shm(p->ipc), RING_DIR_TO_RUNNER));
	p->peeked = 0;
	p->frames_to_runner++;
	pr_pending_update(p);
	return 0;
}
