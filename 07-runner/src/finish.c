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

	if (!p->ipc || p->msg_to_stdout)
		return;
	buf = malloc(cap);
	if (!buf)
		return;
	for (;;) {
		char **nm;
		uint32_t *nl;
		n = ipc_runner_recv(p->ipc, buf, cap);
		if (n < 0)
			break;
		nm = realloc(p->left.msg, (p->left.n + 1) * sizeof *nm);
		if (!nm)
			break;
		p->left.msg = nm;
		nl = realloc(p->left.len, (p->left.n + 1) * sizeof *nl);
		if (!nl)
			break;
		p->left.len = nl;
		nm[p->left.n] = malloc((size_t)n ? (size_t)n : 1);
		if (!nm[p->left.n])
			break;
		memcpy(nm[p->left.n], buf, (size_t)n);
		nl[p->left.n++] = (uint32_t)n;
	}
	free(buf);
}

static void left_free(struct podrun *p)
{
	for (size_t i = 0; i < p->left.n; i++)
		free(p->left.msg[i]);
	free(p->left.msg);
	free(p->left.len);
	memset(&p->left, 0, sizeof p->left);
}

int pr_left_recv(struct podrun *p, void *buf, uint32_t cap)
{
	uint32_t len;

	if (p->left.head >= p->left.n)
		return -EAGAIN;
	len = p->left.len[p->left.head];
	if (len > cap)
		return -EMSGSIZE;
	memcpy(buf, p->left.msg[p->left.head], len);
	free(p->left.msg[p->left.head]);
	p->left.msg[p->left.head++] = NULL;
	return (int)len;
}

/* The final `life` event: exit status, exact counts per category, syscalls,
 * what the audit folded or dropped. */
static void emit_exit(struct podrun *p)
{
	char sig[32] = "";

	if (p->exit_code > 128 && p->exit_code < 128 + 65)
		snprintf(sig, sizeof sig, "signal %d", p->exit_code - 128);
	PR_AUDIT(p, .kind = PR_EV_EXIT, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "exit",
		 .pid = 1, .reason = sig[0] ? sig : NULL);
	if (p->verbosity >= PODRUN_VERBOSE)
		pr_say(p, "podrun: pod %s exited with status %d\n", p->id, p->exit_code);
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

	if (p->state == PODRUN_EXITED)
		return;
	/* 1. Reap through the pidfd (03 turns the status into 0..255 / 128+N). */
	if (sandbox_wait(p->sb, &status, SANDBOX_WAIT_NOHANG) < 0)
		return; /* spurious readiness: not exited yet */
	p->reaped = 1;
	p->exit_code = p->timed_out ? PODRUN_EXIT_TIMEOUT : status;

	/* 2. Drain: the pod's last output and messages, pending control events. */
	if (p->pod_out_r >= 0)
		while (pr_relay_pod_output(p, p->pod_out_r, p->serve ? PR_SINK_ERR : PR_SINK_OUT, 1) > 0)
			;
	if (p->pod_err_r >= 0)
		while (pr_relay_pod_output(p, p->pod_err_r, PR_SINK_ERR, 1) > 0)
			;
	if (p->ipc) {
		/* the pod is gone: what it left is finite */
		pr_deliver_messages(p, 1);
		while (ipc_runner_dispatch(p->ipc, &ev) == 1)
			pr_ipc_event(p, &ev);
		pr_deliver_messages(p, 1);
		save_leftover_messages(p);
	}
	if (p->sa) {
		sysaudit_consume(p->sa, pr_bpf_event, p);
		sysaudit_flush_lost(p->sa, pr_bpf_event, p); /* no loss goes untold */
	}
	/* 3. Close the proxy first: it reports the connections still open. */
	proxy_destroy(p->proxy);
	p->proxy = NULL;

	/* 4. One `life` event with the exit status and the counts; then what is
	 *    queued for stdout, stderr and the audit, while readers take it. */
	emit_exit(p);
	pr_sinks_final_flush(p, 200);

	/* 5. Remove everything (the pod is gone already). */
	pr_trace(p, "pod exited, drained");
	pr_teardown(p, 0);
	pr_trace(p, "teardown done");
	p->state = PODRUN_EXITED;
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

	if (p->sb && !p->reaped && kill_pod)
		sandbox_kill(p->sb, SIGKILL);
	proxy_destroy(p->proxy);
	p->proxy = NULL;
	podnet_destroy(p->net);
	p->net = NULL;
	sysaudit_destroy(p->sa);
	p->sa = NULL;
	sandbox_destroy(p->sb); /* kills if needed, reaps, removes cgroups */
	p->sb = NULL;
	pr_idmap_release(p); /* the pod is reaped: its id range is free */
	/* Tasks killed with the pod may still hold a cgroup for a moment: make
	 * sure each is gone; keep the sweep record if one cannot be removed. */
	for (int i = 0; i < 4; i++) {
		if (p->cgroups[i][0] && pr_remove_cgroup(p->cgroups[i], 2000) < 0)
			keep_record = 1;
		else
			p->cgroups[i][0] = '\0';
	}
	ipc_runner_destroy(p->ipc); /* sockets, directory, ring mapping */
	p->ipc = NULL;
#ifdef PODRUN_HAVE_DBGUI
	dbgui_free(p->ui);
	p->ui = NULL;
#endif
	if (p->resolv_path[0]) {
		unlink(p->resolv_path);
		p->resolv_path[0] = '\0';
	}
	if (p->mask_file[0]) {
		unlink(p->mask_file);
		p->mask_file[0] = '\0';
	}
	if (p->mask_dir[0]) {
		rmdir(p->mask_dir);
		p->mask_dir[0] = '\0';
	}
	if (!keep_record)
		pr_registry_remove(p);
	pr_close_fd(&p->pod_in_w);
	pr_close_fd(&p->pod_out_r);
	pr_close_fd(&p->pod_err_r);
	free(p->msgbuf);
	p->msgbuf = NULL;
	free(p->to_pod_in.buf);
	free(p->line_in.buf);
	memset(&p->to_pod_in, 0, sizeof p->to_pod_in);
	memset(&p->line_in, 0, sizeof p->line_in);
	pr_close_fd(&p->t_timeout);
	pr_close_fd(&p->t_grace);
	pr_close_fd(&p->t_tick);
	pr_close_fd(&p->t_drain);
	pr_close_fd(&p->sig_fd);
	pr_close_fd(&p->ep);
	if (p->sig_blocked) {
		sigprocmask(SIG_SETMASK, &p->sig_old, NULL);
		p->sig_blocked = 0;
	}
	pr_close_fd(&p->t_window);
	if (p->audit_fd >= 0 && p->state != PODRUN_CONFIGURING) {
		pr_sinks_final_flush(p, 200);
		pr_audit_close(p);
		p->sink[PR_SINK_AUDIT].fd = -1;
		pr_close_fd(&p->audit_fd);
	}
	policy_free(p->pol);
	p->pol = NULL;
	free(p->prog_abs);
	p->prog_abs = NULL;
	pr_strv_free(p->rt_paths, p->n_rt_paths);
	p->rt_paths = NULL;
	p->n_rt_paths = 0;
	pr_strv_free(p->exec_rt, p->n_exec_rt);
	p->exec_rt = NULL;
	p->n_exec_rt = 0;
	p->exec_fd = -1; /* owned by the sandbox handle */
}

/* ---- stop ---------------------------------------------------------------- */

static void kill_now(struct podrun *p)
{
	if (p->sb && !p->reaped && !p->killed) {
		p->killed = 1;
		sandbox_kill(p->sb, SIGKILL);
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "sigkill", .pid = 1);
	}
}

int podrun_stop(podrun_t *p, int grace_ms)
{
	if (!p)
		return -EINVAL;
	if (p->state == PODRUN_CONFIGURING || p->state == PODRUN_FAILED)
		return -EBADFD;
	if (p->state == PODRUN_EXITED)
		return 0;
	if (grace_ms < 0)
		grace_ms = p->grace_ms;
	if (grace_ms == 0) {
		p->state = PODRUN_STOPPING;
		kill_now(p);
		return 0;
	}
	if (p->state == PODRUN_STOPPING)
		return 0;
	p->state = PODRUN_STOPPING;
	p->stop_sent = 1;
	/* An SDK worker in session gets STOP (its handler runs); anything else
	 * gets SIGTERM, forwarded by the pod's init. SIGKILL after the grace. */
	if (p->ipc && ipc_runner_state(p->ipc) == IPC_RS_ESTABLISHED &&
	    ipc_runner_stop(p->ipc, (uint32_t)grace_ms) == 0) {
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "stop", .pid = 1);
	} else {
		sandbox_kill(p->sb, SIGTERM);
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_INFO, .what = "sigterm", .pid = 1);
	}
	pr_arm_timer(p->t_grace, (uint64_t)grace_ms, 0);
	return 0;
}

void pr_grace_expired(struct podrun *p)
{
	kill_now(p);
}

int podrun_fd(const podrun_t *p)
{
	if (!p || p->outer_ep < 0)
		return -EBADFD;
	return p->outer_ep;
}

int podrun_pid(const podrun_t *p)
{
	if (!p || !p->sb || p->reaped)
		return -ESRCH;
	return (int)p->pid;
}

/* podrun_free's part for a pod still running: STOP, grace, SIGKILL, reap. */
void pr_stop_and_wait(struct podrun *p)
{
	uint64_t until;

	if (p->state != PODRUN_RUNNING && p->state != PODRUN_STARTING &&
	    p->state != PODRUN_STOPPING)
		return;
	podrun_stop(p, p->grace_ms);
	until = pr_now_ms() + (uint64_t)p->grace_ms + 2000;
	while (p->state != PODRUN_EXITED && pr_now_ms() < until)
		if (podrun_dispatch(p, 100) < 0 && errno != EINTR)
			break;
	if (p->state != PODRUN_EXITED)
		kill_now(p);
}

void pr_final_close(struct podrun *p)
{
	pr_sinks_final_flush(p, 200);
	pr_audit_close(p);
	pr_sinks_close(p);
	pr_close_fd(&p->pending_fd);
	pr_close_fd(&p->outer_ep);
	pr_close_fd(&p->audit_fd);
	left_free(p);
}
