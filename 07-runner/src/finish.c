/*
 * finish.c — the end of a pod: reap and drain (pr_finish), the final `life`
 * event, teardown in every exit path (pr_teardown), and stopping (STOP, grace
 * period, SIGKILL).
 *
 * Layer 07 (runner). Builds on 03-sandbox (sandbox_wait/kill/destroy), 02-ipc
 * (ipc_runner_stop, the last frames), 05-proxy and 06-ebpf (their destroy
 * calls), sweep.c (the registry record). Used by the loop (pidfd readable,
 * timers, signals), podrun_stop() and podrun_free().
 */
#include "internal.h"

#include <sys/epoll.h>

/* ---- the end of a pod -------------------------------------------------- */

/* Library mode: copy the frames still in the to-runner ring out, so that
 * podrun_recv() keeps working after the rings are gone. Bounded by the ring. */
static void save_leftover_messages(struct podrun *p)
{
	uint32_t cap = 1u << 20;
	char *buf;
	int n;

	if (!p->ipc.runner || p->cfg.msg_to_stdout)
		return;
	buf = malloc(cap);
	if (!buf)
		return;
	for (;;) {
		char **nm;
		uint32_t *nl;
		n = ipc_runner_recv(p->ipc.runner, buf, cap);
		if (n < 0)
			break;
		nm = realloc(p->ipc.left.msg, (p->ipc.left.n + 1) * sizeof *nm);
		if (!nm)
			break;
		p->ipc.left.msg = nm;
		nl = realloc(p->ipc.left.len, (p->ipc.left.n + 1) * sizeof *nl);
		if (!nl)
			break;
		p->ipc.left.len = nl;
		nm[p->ipc.left.n] = malloc((size_t)n ? (size_t)n : 1);
		if (!nm[p->ipc.left.n])
			break;
		memcpy(nm[p->ipc.left.n], buf, (size_t)n);
		nl[p->ipc.left.n++] = (uint32_t)n;
	}
	free(buf);
}

static void left_free(struct podrun *p)
{
	for (size_t i = 0; i < p->ipc.left.n; i++)
		free(p->ipc.left.msg[i]);
	free(p->ipc.left.msg);
	free(p->ipc.left.len);
	memset(&p->ipc.left, 0, sizeof p->ipc.left);
}

int pr_left_recv(struct podrun *p, void *buf, uint32_t cap)
{
	uint32_t len;

	if (p->ipc.left.head >= p->ipc.left.n)
		return -EAGAIN;
	len = p->ipc.left.len[p->ipc.left.head];
	if (len > cap)
		return -EMSGSIZE;
	memcpy(buf, p->ipc.left.msg[p->ipc.left.head], len);
	free(p->ipc.left.msg[p->ipc.left.head]);
	p->ipc.left.msg[p->ipc.left.head++] = NULL;
	return (int)len;
}

/* The final `life` event: exit status, exact counts per category, syscalls,
 * what the audit folded or dropped. */
static void emit_exit(struct podrun *p)
{
	char sig[32] = "";

	if (p->life.exit_code > 128 && p->life.exit_code < 128 + 65)
		snprintf(sig, sizeof sig, "signal %d", p->life.exit_code - 128);
	PR_AUDIT(p, .kind = PR_EV_EXIT, .src = "runner", .cat = PR_LIFE, .act = PR_INFO,
		 .what = "exit", .pid = 1, .reason = sig[0] ? sig : NULL);
	if (p->cfg.verbosity >= PODRUN_VERBOSE)
		pr_say(p, "podrun: pod %s exited with status %d\n", p->life.id, p->life.exit_code);
}

/*
 * The pod's init has exited (its pidfd became readable): reap it, drain what
 * it left in pipes, rings and the BPF ring buffer, write the summary, free
 * everything but what the embedder may still read.
 */
void pr_finish(struct podrun *p)
{
	int status = 0;
	struct ipc_event ev;

	if (p->life.state == PODRUN_EXITED)
		return;
	/* 1. Reap through the pidfd (03 turns the status into 0..255 / 128+N). */
	if (sandbox_wait(p->box.sb, &status, SANDBOX_WAIT_NOHANG) < 0)
		return; /* spurious readiness: not exited yet */
	p->box.reaped = 1;
	p->life.exit_code = p->life.timed_out ? PODRUN_EXIT_TIMEOUT : status;

	/* 2. Drain: the pod's last output and messages, pending control events. */
	if (p->io.pod_out_r >= 0)
		while (pr_relay_pod_output(p, p->io.pod_out_r,
					   p->cfg.serve ? PR_SINK_ERR : PR_SINK_OUT, 1) > 0)
			;
	if (p->io.pod_err_r >= 0)
		while (pr_relay_pod_output(p, p->io.pod_err_r, PR_SINK_ERR, 1) > 0)
			;
	if (p->ipc.runner) {
		/* the pod is gone: what it left is finite */
		pr_deliver_messages(p, 1);
		while (ipc_runner_dispatch(p->ipc.runner, &ev) == 1)
			pr_ipc_event(p, &ev);
		pr_deliver_messages(p, 1);
		save_leftover_messages(p);
	}
	if (p->au.sa) {
		sysaudit_consume(p->au.sa, pr_bpf_event, p);
		sysaudit_flush_lost(p->au.sa, pr_bpf_event, p); /* no loss goes untold */
	}
	/* 3. Close the proxy first: it reports the connections still open. */
	proxy_destroy(p->net.proxy);
	p->net.proxy = NULL;

	/* 4. One `life` event with the exit status and the counts; then what is
	 *    queued for stdout, stderr and the audit, while readers take it. */
	emit_exit(p);
	pr_trace(p, "exit event");
	pr_sinks_final_flush(p, 200);

	/* 5. Remove everything (the pod is gone already). */
	pr_trace(p, "pod exited, drained");
	pr_teardown(p, 0);
	pr_trace(p, "teardown done");
	p->life.state = PODRUN_EXITED;
	pr_pending_update(p);
}

/*
 * Free every resource of a pod, in reverse order of creation. With
 * @p kill_pod the pod is SIGKILLed first if it still runs. Safe to call in
 * any state and more than once. Keeps: the event queue, leftover messages,
 * the counters, the error text, the pending eventfd and the outer epoll (the
 * embedder's descriptor stays valid until podrun_free).
 */
void pr_teardown(struct podrun *p, int kill_pod)
{
	int keep_record = 0;

	if (p->box.sb && !p->box.reaped && kill_pod)
		sandbox_kill(p->box.sb, SIGKILL);
	proxy_destroy(p->net.proxy);
	p->net.proxy = NULL;
	podnet_destroy(p->net.podnet);
	p->net.podnet = NULL;
	pr_trace(p, "teardown: proxy and network closed");
	sysaudit_destroy(p->au.sa);
	p->au.sa = NULL;
	pr_trace(p, "teardown: eBPF detached");
	sandbox_destroy(p->box.sb); /* kills if needed, reaps, removes cgroups */
	p->box.sb = NULL;
	pr_trace(p, "teardown: sandbox destroyed");
	pr_idmap_release(p); /* the pod is reaped: its id range is free */
	/* Tasks killed with the pod may still hold a cgroup for a moment: make
	 * sure each is gone; keep the sweep record if one cannot be removed. */
	for (int i = 0; i < 4; i++) {
		if (p->box.cgroups[i][0] && pr_remove_cgroup(p->box.cgroups[i], 2000) < 0)
			keep_record = 1;
		else
			p->box.cgroups[i][0] = '\0';
	}
	pr_trace(p, "teardown: cgroups removed");
	ipc_runner_destroy(p->ipc.runner); /* sockets, directory, ring mapping */
	p->ipc.runner = NULL;
#ifdef PODRUN_HAVE_DBGUI
	dbgui_free(p->au.ui);
	p->au.ui = NULL;
#endif
	if (p->net.resolv_path[0]) {
		unlink(p->net.resolv_path);
		p->net.resolv_path[0] = '\0';
	}
	if (p->box.mask_file[0]) {
		unlink(p->box.mask_file);
		p->box.mask_file[0] = '\0';
	}
	if (p->box.mask_dir[0]) {
		rmdir(p->box.mask_dir);
		p->box.mask_dir[0] = '\0';
	}
	if (!keep_record)
		pr_registry_remove(p);
	pr_close_fd(&p->io.pod_in_w);
	pr_close_fd(&p->io.pod_out_r);
	pr_close_fd(&p->io.pod_err_r);
	free(p->ipc.msgbuf);
	p->ipc.msgbuf = NULL;
	free(p->io.to_pod_in.buf);
	free(p->io.line_in.buf);
	memset(&p->io.to_pod_in, 0, sizeof p->io.to_pod_in);
	memset(&p->io.line_in, 0, sizeof p->io.line_in);
	pr_close_fd(&p->life.t_timeout);
	pr_close_fd(&p->life.t_grace);
	pr_close_fd(&p->loop.t_tick);
	pr_close_fd(&p->io.t_drain);
	pr_close_fd(&p->loop.sig_fd);
	pr_close_fd(&p->loop.ep);
	if (p->loop.sig_blocked) {
		sigprocmask(SIG_SETMASK, &p->loop.sig_old, NULL);
		p->loop.sig_blocked = 0;
	}
	pr_close_fd(&p->loop.t_window);
	if (p->au.audit_fd >= 0 && p->life.state != PODRUN_CONFIGURING) {
		pr_sinks_final_flush(p, 200);
		pr_audit_close(p);
		p->io.sink[PR_SINK_AUDIT].fd = -1;
		pr_close_fd(&p->au.audit_fd);
	}
	policy_free(p->life.pol);
	p->life.pol = NULL;
	free(p->life.prog_abs);
	p->life.prog_abs = NULL;
	pr_strv_free(p->box.rt_paths, p->box.n_rt_paths);
	p->box.rt_paths = NULL;
	p->box.n_rt_paths = 0;
	pr_strv_free(p->box.exec_rt, p->box.n_exec_rt);
	p->box.exec_rt = NULL;
	p->box.n_exec_rt = 0;
	p->box.exec_fd = -1; /* owned by the sandbox handle */
}

/* ---- stop ---------------------------------------------------------------- */

static void kill_now(struct podrun *p)
{
	if (p->box.sb && !p->box.reaped && !p->life.killed) {
		p->life.killed = 1;
		sandbox_kill(p->box.sb, SIGKILL);
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "sigkill",
			 .pid = 1);
	}
}

int podrun_stop(podrun_t *p, int grace_ms)
{
	if (!p)
		return -EINVAL;
	if (p->life.state == PODRUN_CONFIGURING || p->life.state == PODRUN_FAILED)
		return -EBADFD;
	if (p->life.state == PODRUN_EXITED)
		return 0;
	if (grace_ms < 0)
		grace_ms = p->cfg.grace_ms;
	if (grace_ms == 0) {
		p->life.state = PODRUN_STOPPING;
		kill_now(p);
		return 0;
	}
	if (p->life.state == PODRUN_STOPPING)
		return 0;
	p->life.state = PODRUN_STOPPING;
	p->life.stop_sent = 1;
	/* An SDK worker in session gets STOP (its handler runs); anything else
	 * gets SIGTERM, forwarded by the pod's init. SIGKILL after the grace. */
	if (p->ipc.runner && ipc_runner_state(p->ipc.runner) == IPC_RS_ESTABLISHED &&
	    ipc_runner_stop(p->ipc.runner, (uint32_t)grace_ms) == 0) {
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "stop",
			 .pid = 1);
	} else {
		sandbox_kill(p->box.sb, SIGTERM);
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "sigterm",
			 .pid = 1);
	}
	pr_arm_timer(p->life.t_grace, (uint64_t)grace_ms, 0);
	return 0;
}

void pr_grace_expired(struct podrun *p)
{
	kill_now(p);
}

int podrun_fd(const podrun_t *p)
{
	if (!p || p->loop.outer_ep < 0)
		return -EBADFD;
	return p->loop.outer_ep;
}

int podrun_pid(const podrun_t *p)
{
	if (!p || !p->box.sb || p->box.reaped)
		return -ESRCH;
	return (int)p->box.pid;
}

/* podrun_free's part for a pod still running: STOP, grace, SIGKILL, reap. */
void pr_stop_and_wait(struct podrun *p)
{
	uint64_t until;

	if (p->life.state != PODRUN_RUNNING && p->life.state != PODRUN_STARTING &&
	    p->life.state != PODRUN_STOPPING)
		return;
	podrun_stop(p, p->cfg.grace_ms);
	until = pr_now_ms() + (uint64_t)p->cfg.grace_ms + 2000;
	while (p->life.state != PODRUN_EXITED && pr_now_ms() < until)
		if (podrun_dispatch(p, 100) < 0 && errno != EINTR)
			break;
	if (p->life.state != PODRUN_EXITED)
		kill_now(p);
}

void pr_final_close(struct podrun *p)
{
	pr_sinks_final_flush(p, 200);
	pr_audit_close(p);
	pr_sinks_close(p);
	pr_close_fd(&p->loop.pending_fd);
	pr_close_fd(&p->loop.outer_ep);
	pr_close_fd(&p->au.audit_fd);
	left_free(p);
}
