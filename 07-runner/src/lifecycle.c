/*
 * lifecycle.c — podrun_start(): the first half of the lifecycle of
 * docs/architecture.md as numbered steps, plus the loop's descriptor helpers.
 *
 *   1 policy  ->  2 event loop  ->  3 rings + control socket  ->  4 runtime plan
 *   ->  5 network  ->  6 sandbox config  ->  7 spawn (blocked)  ->  8 veth
 *   ->  9 eBPF  ->  10 release  ->  monitor (loop.c)  ->  finish (finish.c)
 *
 * Layer 07 (runner). Builds on 02-ipc (ipc_runner_*), 03-sandbox (sandbox_*),
 * 04-policy, 05-proxy (podnet_*, proxy_*), 06-ebpf (sysaudit_*) and the
 * runtime discovery (rt_*). Used by the API (include/podrun.h) and so by the
 * podrun CLI and the Bun module.
 */
#include "internal.h"
#include "runtime.h"

#include <limits.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

/* Pod-side descriptor number of the ring shared memory (02-ipc: --pod-shm-fd). */
#define PR_POD_SHM_FD 3

/* PODRUN_TRACE=1 in the environment: milliseconds since start per step. */
static void trace(const struct podrun *p, const char *step)
{
	static int on = -1;

	if (on < 0)
		on = getenv("PODRUN_TRACE") != NULL;
	if (on)
		dprintf(2, "podrun: trace %6.2f ms %s\n",
			(double)(pr_now_us() - p->life.t_start_us) / 1000.0, step);
}

void pr_trace(const struct podrun *p, const char *step)
{
	trace(p, step);
}

/* The start by cost: where podrun_start() spends its time, one bucket per
 * step (policy, rings, plan, net, cgroups, spawn, ebpf, mounts). The time from
 * the release to the worker's HELLO (the handshake) follows in the trace. */
enum { ST_POLICY, ST_RINGS, ST_PLAN, ST_NET, ST_CGROUPS, ST_SPAWN, ST_EBPF, ST_MOUNTS, ST_N };

struct step_clock {
	uint64_t last_us;
	uint64_t us[ST_N];
};

static void step_done(struct step_clock *c, int step)
{
	uint64_t now = pr_now_us();

	c->us[step] += now - c->last_us;
	c->last_us = now;
}

/* PODRUN_TRACE=1: one line "podrun: steps NAME=MS ..." once the worker runs. */
static void trace_steps(const struct podrun *p, struct step_clock *c)
{
	static const char *const names[ST_N] = { "policy",  "rings", "plan", "net",
						 "cgroups", "spawn", "ebpf", "mounts" };
	uint64_t cg = p->box.sb ? sandbox_get_info(p->box.sb)->cgroup_us : 0;
	char line[512];
	int n = 0;

	if (!getenv("PODRUN_TRACE"))
		return;
	/* sandbox_spawn() creates the cgroups: their share moves to their bucket */
	cg = cg < c->us[ST_SPAWN] ? cg : c->us[ST_SPAWN];
	c->us[ST_SPAWN] -= cg;
	c->us[ST_CGROUPS] += cg;
	for (int i = 0; i < ST_N && n >= 0 && (size_t)n < sizeof line; i++)
		n += snprintf(line + n, sizeof line - (size_t)n, " %s=%.3f", names[i],
			      (double)c->us[i] / 1000.0);
	dprintf(2, "podrun: steps%s\n", line);
}

void pr_fds_init(struct podrun *p)
{
	p->loop.ep = p->loop.outer_ep = p->loop.pending_fd = p->loop.sig_fd = p->box.exec_fd = -1;
	p->life.t_timeout = p->life.t_grace = p->loop.t_tick = p->io.t_drain = p->loop.t_window =
	    -1;
	for (int i = 0; i < PR_NSINK; i++)
		p->io.sink[i].fd = -1;
	p->io.pod_in_w = p->io.pod_out_r = p->io.pod_err_r = -1;
	p->au.audit_fd = -1;
	p->box.idmap_fd = -1;
	p->pool.pod_fd = -1;
}

void pr_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void sandbox_log(void *ctx, int level, const char *msg)
{
	struct podrun *p = ctx;

	PR_AUDIT(p, .kind = PR_EV_SANDBOX, .src = "runner", .cat = PR_LIFE, .act = PR_INFO,
		 .what = msg, .u.level = level == SANDBOX_LOG_NOTICE ? "notice" : "info");
	if (level == SANDBOX_LOG_NOTICE && p->cfg.verbosity >= PODRUN_NORMAL + 1)
		pr_say(p, "podrun: sandbox: %s\n", msg);
}

/* ---- 1. policy --------------------------------------------------------- */

static int load_policy(struct podrun *p)
{
	struct pol_error e;
	const struct pol_limits *lim;
	int ret;

	memset(&e, 0, sizeof e);
	ret = policy_new(&p->life.pol);
	if (ret < 0)
		return ret;
	if (p->cfg.policy_file)
		ret = policy_load_file(p->life.pol, p->cfg.policy_file, &e);
	else if (p->cfg.policy_json)
		ret = policy_load_json(p->life.pol, p->cfg.policy_json, strlen(p->cfg.policy_json),
				       "<api>", &e);
	for (size_t i = 0; ret >= 0 && i < p->cfg.nflags; i++)
		ret = policy_apply_flag(p->life.pol, p->cfg.flags[i], &e);
	if (ret >= 0)
		ret = policy_finalize(p->life.pol, &e);
	if (ret < 0) {
		if (e.line)
			pr_seterr(p, 0, "%s:%d:%d: %s%s%s%s", e.file, e.line, e.column, e.msg,
				  e.hint[0] ? " (" : "", e.hint, e.hint[0] ? ")" : "");
		else if (e.msg[0])
			pr_seterr(p, 0, "%s: %s%s%s%s", e.file[0] ? e.file : "policy", e.msg,
				  e.hint[0] ? " (" : "", e.hint, e.hint[0] ? ")" : "");
		else
			pr_seterr(p, ret, "policy %s",
				  p->cfg.policy_file ? p->cfg.policy_file : "");
		return -EINVAL;
	}
	/* CLI limits override the file's. */
	lim = policy_limits(p->life.pol);
	if (!p->cfg.timeout_s)
		p->cfg.timeout_s = lim->timeout_s;
	if (!p->cfg.memory)
		p->cfg.memory = lim->memory_bytes;
	if (!p->cfg.pids)
		p->cfg.pids = lim->pids;
	if (!p->cfg.cpu_percent)
		p->cfg.cpu_percent =
		    lim->cpu_percent ? lim->cpu_percent : PODRUN_CPU_PERCENT_DEFAULT;
	if (!p->cfg.nofile)
		p->cfg.nofile = lim->nofile ? lim->nofile : PODRUN_NOFILE_DEFAULT;
	if (!p->cfg.fsize)
		p->cfg.fsize = lim->fsize_bytes ? lim->fsize_bytes : PODRUN_FSIZE_DEFAULT;
	if (!p->cfg.audit_max)
		p->cfg.audit_max = lim->audit_max_bytes;
	/* limits by default; "unlimited" (the maximum value) turns one off.
	 * Without root and without a delegated memory cgroup: no default memory
	 * limit that could not be enforced (rootless.c says what is not) */
	if (!p->cfg.memory && (pr_rootless_delegated() & PR_DELEG_MEM))
		p->cfg.memory = PODRUN_MEMORY_DEFAULT;
	if (!p->cfg.pids)
		p->cfg.pids = PODRUN_PIDS_DEFAULT;
	if (p->cfg.memory == UINT64_MAX)
		p->cfg.memory = 0;
	if (p->cfg.pids == UINT32_MAX)
		p->cfg.pids = 0;
	if (p->cfg.cpu_percent == UINT32_MAX)
		p->cfg.cpu_percent = 0;
	if (p->cfg.allow_all && !p->cfg.allow_all_ack)
		dprintf(2, "podrun: WARNING: --allow-all: every category is allowed; use for tests "
			   "and debugging only\n");
	return 0;
}

/* ---- 2. event loop descriptors ----------------------------------------- */

static int make_loop(struct podrun *p)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	p->loop.ep = epoll_create1(EPOLL_CLOEXEC);
	p->loop.outer_ep = epoll_create1(EPOLL_CLOEXEC);
	p->loop.pending_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->life.t_timeout = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	p->life.t_grace = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	p->loop.t_tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	p->io.t_drain = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	p->loop.t_window = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	pr_sinks_open(p);
	if (p->io.t_drain < 0 || p->loop.t_window < 0 || p->loop.ep < 0 || p->loop.outer_ep < 0 ||
	    p->loop.pending_fd < 0 || p->life.t_timeout < 0 || p->life.t_grace < 0 ||
	    p->loop.t_tick < 0)
		return -errno;
	ev.data.u32 = 1;
	if (epoll_ctl(p->loop.outer_ep, EPOLL_CTL_ADD, p->loop.ep, &ev) < 0)
		return -errno;
	ev.data.u32 = 2;
	if (epoll_ctl(p->loop.outer_ep, EPOLL_CTL_ADD, p->loop.pending_fd, &ev) < 0)
		return -errno;
	if (pr_epoll_add(p, p->life.t_timeout, PR_SRC_TIMEOUT, EPOLLIN) < 0 ||
	    pr_epoll_add(p, p->life.t_grace, PR_SRC_GRACE, EPOLLIN) < 0 ||
	    pr_epoll_add(p, p->loop.t_tick, PR_SRC_TICK, EPOLLIN) < 0 ||
	    pr_epoll_add(p, p->io.t_drain, PR_SRC_DRAIN, EPOLLIN) < 0 ||
	    pr_epoll_add(p, p->loop.t_window, PR_SRC_WINDOW, EPOLLIN) < 0 ||
	    pr_arm_timer(p->loop.t_window, 1000, 1000) < 0)
		return -errno;
	/* A pod that closes its stdin must not kill the runner (or its
	 * embedder) with SIGPIPE: ignore it unless the process chose otherwise. */
	{
		struct sigaction old;
		if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			signal(SIGPIPE, SIG_IGN);
	}
	if (!p->cfg.handle_signals)
		return 0;
	/* The CLI: SIGINT/SIGTERM/SIGHUP arrive through a signalfd in the loop. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, &p->loop.sig_old) < 0)
		return -errno;
	p->loop.sig_blocked = 1;
	p->loop.sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (p->loop.sig_fd < 0)
		return -errno;
	return pr_epoll_add(p, p->loop.sig_fd, PR_SRC_SIGNAL, EPOLLIN);
}

/* ---- 3. rings and control socket --------------------------------------- */

static int make_ipc(struct podrun *p)
{
	struct ipc_runner_opts o;
	char name[64];
	int ret;

	ipc_runner_opts_init(&o);
	o.owner_uid = pr_pod_host_uid(p);
	o.owner_gid = pr_pod_host_uid(p);
	if (pr_rootless()) /* /run/pod is root's */
		o.base_dir = pr_rootless_ipc_base();
	o.query_socket = 1;
	/* A worker that does not use the SDK never says HELLO: give it all the time
	 * it wants (its session stays optional); SDK workers get 15 s under load. */
	o.handshake_timeout_ms = p->ipc.sdk_worker && !p->pool.warm ? 15000 : 0x7fffffff;
	/* The directory is ipc-<pod id> under the base (/run/pod; rootless the
	 * user's), in the registry record before it exists (as the cgroups): a
	 * runner killed in between leaves nothing unnamed. A name that exists
	 * already is another's: EEXIST, never removed. */
	snprintf(name, sizeof name, "ipc-%s", p->life.id);
	o.dir_name = name;
	snprintf(p->ipc.planned_dir, sizeof p->ipc.planned_dir, "%s/%s",
		 pr_rootless() ? pr_rootless_ipc_base() : "/run/pod", name);
	if (pr_registry_write(p) == -EEXIST) { /* nothing of that pod is ours */
		p->ipc.planned_dir[0] = '\0';
		pr_seterr(p, 0, "pod id %s is in use by another runner's pod", p->life.id);
		return -EEXIST;
	}
	ret = ipc_runner_create(&o, &p->ipc.runner);
	if (ret == -EEXIST && p->ipc.planned_dir[0]) { /* not ours: never to be removed */
		p->ipc.planned_dir[0] = '\0';
		pr_registry_write(p);
	}
	if (ret < 0)
		pr_seterr(p, ret, "control plane (rings + socket)");
	return ret;
}

/* Whether a native executable links the C worker SDK (it then understands
 * --pod-socket/--pod-shm-fd); other programs get no extra arguments. */
static int links_sdk(const char *path)
{
	static const char marker[] = "--pod-socket";
	char buf[65536 + sizeof marker];
	size_t keep = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return 0;
	while (!found && (n = read(fd, buf + keep, sizeof buf - keep)) > 0) {
		size_t len = keep + (size_t)n;
		found = memmem(buf, len, marker, sizeof marker - 1) != NULL;
		keep = len < sizeof marker ? len : sizeof marker - 1;
		memmove(buf, buf + len - keep, keep);
	}
	close(fd);
	return found;
}

/* ---- 4. runtime plan (runtime discovery, runtime/) ---------------------- */

static int make_runtime(struct podrun *p, rt_plan_t **plan)
{
	struct rt_config c;
	struct rt_error e = { { 0 } };
	char sock_arg[160], shm_arg[32], lib[PATH_MAX];
	char *wargs[3] = { sock_arg, shm_arg, NULL };
	int ret;

	if (p->cfg.rootfs)
		return 0; /* no host runtime: the image brings its own */
	rt_config_init(&c);
	snprintf(sock_arg, sizeof sock_arg, "--pod-socket=%s",
		 ipc_runner_socket_path(p->ipc.runner));
	snprintf(shm_arg, sizeof shm_arg, "--pod-shm-fd=%d", PR_POD_SHM_FD);
	c.ffi_socket = ipc_runner_query_path(p->ipc.runner);
	c.worker_args = p->ipc.sdk_worker ? wargs : NULL;
	c.search_path = POL_DEFAULT_PATH;
	if (rt_top_path("07-runner/ldaudit/build/libpodaudit.so", lib, sizeof lib) < 0 ||
	    access(lib, R_OK) < 0) {
		/* the LD_AUDIT library is not built: FFI loads are not gated */
		c.audit_lib = "";
		PR_AUDIT(p, .src = "runner", .cat = PR_FFI, .act = PR_WARN, .what = "ld_audit",
			 .rule = "build",
			 .reason = "the LD_AUDIT library is not built: dlopen() is not gated");
	}
	ret = rt_plan_new(&c, p->life.prog_abs ? p->life.prog_abs : p->cfg.program, p->cfg.args,
			  plan, &e);
	if (ret < 0)
		pr_seterr(p, 0, "runtime for %s: %s", p->cfg.program,
			  e.msg[0] ? e.msg : strerror(-ret));
	return ret;
}

/* ---- 5. network -------------------------------------------------------- */

static void on_proxy_event(const struct proxy_event *ev, void *user)
{
	struct podrun *p = user;
	int act = ev->action == POL_DENY ? PR_DENY : ev->action == POL_WARN ? PR_WARN : PR_ALLOW;

	if (ev->kind != PROXY_EV_DECISION) {
		/* traffic accounting: a fact (info), with the decision it followed */
		int end = ev->kind == PROXY_EV_CONN_END;
		PR_AUDIT(p, .kind = PR_EV_TRAFFIC, .src = "proxy", .cat = PR_NET, .act = PR_INFO,
			 .what = ev->what, .rule = end ? ev->rule : NULL, .pid = ev->pid,
			 .u.traffic = { .end = end,
					.requests = ev->count,
					.decision = pr_act_name(act),
					.peer = ev->peer ? ev->peer : "",
					.bytes_up = ev->bytes_up,
					.bytes_down = ev->bytes_down,
					.duration_us = ev->duration_us });
		return;
	}
	PR_AUDIT(p, .kind = PR_EV_NET, .src = ev->src == PROXY_SRC_DNS ? "dns" : "proxy",
		 .cat = PR_NET, .act = act, .what = ev->what, .rule = ev->rule, .pid = ev->pid,
		 .reason = ev->reason,
		 .u.net = { .method = ev->method ? ev->method : "",
			    .url = ev->url ? ev->url : "",
			    .peer = ev->peer,
			    .status = ev->status,
			    .bytes_up = ev->bytes_up,
			    .bytes_down = ev->bytes_down,
			    .duration_us = ev->duration_us });
}

static int make_net(struct podrun *p)
{
	struct podnet_config nc = { 0 };
	struct proxy_config pc = { 0 };
	int ret;

#ifdef PODRUN_NO_PROXY
	return 0;
#endif
	if (!policy_net_possible(p->life.pol))
		return 0;  /* loopback only: the sandbox's netns has just lo */
	if (pr_rootless()) /* no veth: listeners in the pod's own netns (rootless.c) */
		return pr_rootless_net_prepare(p);
	nc.index = (uint32_t)getpid() * 131u + (uint32_t)(pr_now_ms() & 0xffff);
	snprintf(nc.ifname_prefix, sizeof nc.ifname_prefix, "podr");
	ret = podnet_new(&nc, &p->net.podnet);
	if (ret < 0) {
		pr_seterr(p, ret, "network: no free link-local block");
		return ret;
	}
	pc.policy = p->life.pol;
	pc.listen_addr = podnet_runner_addr(p->net.podnet);
	if (access("/proc/sys/net/ipv6", F_OK) == 0)
		pc.listen_addr6 =
		    podnet_runner_addr6(p->net.podnet); /* the pod's IPv6, same ports */
	pc.on_event = on_proxy_event;
	pc.user = p;
	/* kernel-chosen ports: a host service on :53, :80, :443 or :3128 never
	 * clashes; the pod keeps the standard ports through DNAT in its netns */
	pc.proxy_port = pc.http_port = pc.tls_port = pc.dns_port = PROXY_PORT_EPHEMERAL;
	ret = proxy_create(&pc, &p->net.proxy);
	if (ret == 0)
		ret = podnet_set_ports(p->net.podnet, proxy_port(p->net.proxy, 0),
				       proxy_port(p->net.proxy, 1), proxy_port(p->net.proxy, 2),
				       proxy_port(p->net.proxy, 3));
	if (ret < 0) {
		pr_seterr(p, ret, "network: proxy listeners");
		return ret;
	}
	snprintf(p->net.resolv_path, sizeof p->net.resolv_path, "/run/podrun/%s.resolv",
		 p->life.id);
	{
		const char *txt = podnet_resolv_conf(p->net.podnet);
		int fd = open(p->net.resolv_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, txt, strlen(txt)) != (ssize_t)strlen(txt)) {
			ret = -errno;
			if (fd >= 0)
				close(fd);
			pr_seterr(p, ret, "network: write %s", p->net.resolv_path);
			p->net.resolv_path[0] = '\0';
			return ret ? ret : -EIO;
		}
		close(fd);
	}
	pr_registry_write(p); /* now with the resolv.conf file */
	return pr_epoll_add(p, proxy_fd(p->net.proxy), PR_SRC_PROXY, EPOLLIN);
}

/* ---- 9. eBPF audit ----------------------------------------------------- */

/* Files under a warn rule are watched by inode: every open of them is
 * reported, whatever name the pod uses. A rule naming nothing that exists
 * cannot be opened either; it is skipped. */
static void watch_warned(struct podrun *p)
{
	static const enum pol_cat cats[] = { POL_FS_READ, POL_FS_WRITE };
	const struct pol_rule *r;
	size_t n;

	for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
		if (policy_rules(p->life.pol, cats[c], &r, &n) < 0)
			continue;
		for (size_t i = 0; i < n; i++)
			if (r[i].action == POL_WARN && r[i].pattern && r[i].pattern[0] == '/')
				sysaudit_watch(p->au.sa, r[i].pattern, (uint32_t)cats[c]);
	}
}

/* Without --audit, a cheap report mode still tells denied and warned file
 * access on stderr; when eBPF cannot run here, the pod runs without it. */
static int make_fs_report(struct podrun *p)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_FSREPORT, .target_pid = p->box.pid };

	o.btf_path = p->cfg.audit_btf;
	if (sysaudit_new(&p->au.sa) < 0)
		return 0;
	if (sysaudit_open(p->au.sa, &o) < 0 || (watch_warned(p), sysaudit_attach(p->au.sa) < 0) ||
	    pr_epoll_add(p, sysaudit_epoll_fd(p->au.sa), PR_SRC_BPF, EPOLLIN) < 0) {
		if (p->cfg.verbosity > PODRUN_NORMAL)
			dprintf(2, "podrun: file access reports off: %s\n",
				sysaudit_last_error(p->au.sa));
		sysaudit_destroy(p->au.sa);
		p->au.sa = NULL;
		return 0;
	}
	sysaudit_set_classifier(p->au.sa, pr_bpf_classify, p);
	return 0;
}

static int make_bpf(struct podrun *p)
{
	struct sysaudit_opts o = { 0 };
	int ret;

	if (!p->cfg.audit_path && !p->life.lrn &&
	    !p->life.shd) /* learn and shadow need every open */
		return make_fs_report(p);
	ret = sysaudit_new(&p->au.sa);
	if (ret < 0)
		return ret;
	o.mode = (enum sysaudit_mode)p->cfg.audit_level;
	o.target_pid = p->box.pid;
	o.btf_path = p->cfg.audit_btf; /* NULL: the kernel's own BTF */
	ret = sysaudit_open(p->au.sa, &o);
	if (ret >= 0) {
		watch_warned(p);
		ret = sysaudit_attach(p->au.sa);
	}
	if (ret >= 0)
		ret = pr_epoll_add(p, sysaudit_epoll_fd(p->au.sa), PR_SRC_BPF, EPOLLIN);
	if (ret < 0) {
		char why[512];
		snprintf(why, sizeof why, "eBPF audit cannot start: %s",
			 sysaudit_last_error(p->au.sa));
		sysaudit_destroy(p->au.sa);
		p->au.sa = NULL;
		if (!p->cfg.audit_best_effort) {
			pr_seterr(p, 0, "%s (use --audit-best-effort to run without it)", why);
			return ret;
		}
		PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, .act = PR_WARN, .what = "ebpf",
			 .rule = "audit-best-effort", .reason = why);
		return 0;
	}
	sysaudit_set_classifier(p->au.sa, pr_bpf_classify, p);
	p->au.bpf_on = 1;
	return 0;
}

/* ---- the debug UI (debug-ui/), when asked for --------------------------- */

static int start_debug_ui(struct podrun *p)
{
#ifdef PODRUN_HAVE_DBGUI
	int ret;

	if (!p->cfg.debug_ui)
		return 0;
	ret = dbgui_start(
	    p->cfg.debug_ui_addr && *p->cfg.debug_ui_addr ? p->cfg.debug_ui_addr : NULL, &p->au.ui);
	if (ret < 0) {
		pr_seterr(p, ret, "debug UI on %s",
			  *p->cfg.debug_ui_addr ? p->cfg.debug_ui_addr : "127.0.0.1:0");
		return ret;
	}
	dprintf(2, "podrun: debug UI at %s\n", dbgui_url(p->au.ui));
	ret = pr_epoll_add(p, dbgui_fd(p->au.ui), PR_SRC_DBGUI, EPOLLIN);
	if (ret >= 0)
		ret = pr_arm_timer(p->loop.t_tick, 500, 500);
	return ret;
#else
	(void)p;
	return 0;
#endif
}

/* ---- start ------------------------------------------------------------- */

static int resolve_program(struct podrun *p)
{
	char path[4096];
	struct stat st;

	if (p->cfg.rootfs)
		return pr_rootfs_program(p); /* the program is in the pod's own image */
	if (!p->cfg.program) {
		pr_seterr(p, 0, "no program given");
		return -EINVAL;
	}
	p->life.kind = (enum pr_kind)rt_kind_of(p->cfg.program);
	if (p->cfg.serve < 0)
		p->cfg.serve = p->life.kind == PR_KIND_CLIB;
	if (!strchr(p->cfg.program, '/')) {
		/* a bare name: the first match in PATH, as the runtime module does */
		const char *dirs[] = { "/usr/local/bin", "/usr/bin", "/bin", NULL };
		for (int i = 0; dirs[i]; i++) {
			snprintf(path, sizeof path, "%s/%s", dirs[i], p->cfg.program);
			if (access(path, X_OK) == 0)
				break;
			path[0] = '\0';
		}
		if (!path[0]) {
			pr_seterr(p, 0, "program %s: not found in " POL_DEFAULT_PATH,
				  p->cfg.program);
			return -EINVAL;
		}
	} else {
		if (!realpath(p->cfg.program, path) || stat(path, &st) < 0) {
			pr_seterr(p, errno, "program %s", p->cfg.program);
			return -EINVAL;
		}
	}
	p->life.prog_abs = strdup(path);
	if (!p->life.prog_abs)
		return -ENOMEM;
	if (p->life.kind == PR_KIND_NATIVE)
		p->ipc.sdk_worker = links_sdk(p->life.prog_abs ? p->life.prog_abs : p->cfg.program);
	else
		p->ipc.sdk_worker = 1;
	return 0;
}

static void emit_start(struct podrun *p)
{
	PR_AUDIT(p, .kind = PR_EV_START, .src = "runner", .cat = PR_LIFE, .act = PR_INFO,
		 .what = "start", .pid = 1,
		 .u.kind_name = rt_kind_name((enum rt_kind)p->life.kind));
	if (p->cfg.verbosity >= PODRUN_VERBOSE)
		pr_say(p, "podrun: pod %s started: %s (%s), host pid %d\n", p->life.id,
		       p->cfg.program, rt_kind_name((enum rt_kind)p->life.kind), (int)p->box.pid);
}

static int fail_start(struct podrun *p, int ret, int usage)
{
	if (!p->life.err[0])
		pr_seterr(p, ret, "setup failed");
	pr_teardown(p, 1);
	p->life.state = PODRUN_FAILED;
	p->life.exit_code = usage ? PODRUN_EXIT_USAGE : PODRUN_EXIT_RUNNER;
	return usage ? -EINVAL : (ret == -EINVAL ? -EIO : ret);
}

/* 6. The sandbox configuration: mount plan from runtime and policy, scrubbed
 *    environment, stdio pipes, the shm descriptor, limits. */
static int configure_sandbox(struct podrun *p, const rt_plan_t *plan, sandbox_cfg_t **cfg)
{
	int ret = sandbox_cfg_new(cfg);

	if (ret < 0)
		return ret;
	sandbox_cfg_set_log(*cfg, sandbox_log, p);
	ret = pr_build_sandbox(p, *cfg, plan);
	if (ret >= 0 && p->box.idmap_base) /* a user namespace and a host id range of its own */
		ret = sandbox_cfg_set_idmap(*cfg, p->box.idmap_base, p->box.idmap_base);
	if (ret >= 0 && pr_rootless()) /* the user namespace makes the others possible */
		ret = sandbox_cfg_set_namespaces(*cfg, SANDBOX_NS_DEFAULT | SANDBOX_NS_USER);
	if (ret >= 0 && pr_rootless()) /* vm.memfd_noexec is root's (said: "memfd") */
		ret = sandbox_cfg_set_memfd_exec(*cfg, true);
	if (ret >= 0)
		ret = pr_relay_setup(p, *cfg);
	if (ret >= 0)
		ret = sandbox_cfg_add_fd(*cfg, ipc_runner_shm_fd(p->ipc.runner), PR_POD_SHM_FD);
	if (ret >= 0 && p->pool.pod_fd >= 0) /* a pool pod waits for its program (pool.c) */
		ret = sandbox_cfg_add_fd(*cfg, p->pool.pod_fd, PR_POD_POOL_FD);
	return ret;
}

/*
 * The pod's cgroups are named after the pod (sbx-ID), and their directories
 * are in the registry record before sandbox_spawn() creates them: a runner
 * killed in the middle of the spawn leaves nothing a sweep cannot name.
 */
static int name_cgroups(struct podrun *p, sandbox_cfg_t *cfg)
{
	char name[64];
	int ret;

	snprintf(name, sizeof name, "sbx-%s", p->life.id);
	ret = sandbox_cfg_set_cgroup_name(cfg, name);
	if (ret >= 0)
		ret = sandbox_cgroup_paths(name, p->box.cgroups);
	if (ret < 0) {
		pr_seterr(p, 0, "cgroup name %s: %s", name, strerror(-ret));
		return ret;
	}
	pr_registry_write(p);
	return 0;
}

/* 7. Spawn: clone3 into new namespaces; the pod's init waits for us (03). */
static int spawn_pod(struct podrun *p, sandbox_cfg_t *cfg)
{
	struct sandbox_error se = { { 0 } };
	int ret = name_cgroups(p, cfg);

	if (ret < 0)
		return ret;
	ret = sandbox_spawn(cfg, &p->box.sb, &se);
	if (ret == -EEXIST) { /* another pod's cgroups: never ours to remove */
		memset(p->box.cgroups, 0, sizeof p->box.cgroups);
		pr_registry_write(p);
	}
	if (ret < 0) {
		pr_seterr(p, 0, "spawn: %s", se.msg[0] ? se.msg : strerror(-ret));
		return ret;
	}
	p->box.pid = sandbox_pid(p->box.sb);
	pr_registry_write(p); /* now with the cgroups */
	return 0;
}

/* 8. The veth into the pod's netns before anything runs in it (05). */
static int plumb_network(struct podrun *p)
{
	int ret;

	if (!p->net.podnet)
		return 0;
	if (pr_rootless())
		return pr_rootless_net_attach(p, on_proxy_event);
	ret = podnet_attach(p->net.podnet, sandbox_netns_fd(p->box.sb));
	if (ret < 0)
		pr_seterr(p, ret, "network: veth into the pod");
	/* (no record: the pair dies with the pod's netns whatever happens) */
	return ret;
}

/* 10. Only processes of this pod may connect; then let the worker run. */
static int release_pod(struct podrun *p)
{
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PIDNS, .pid = p->box.pid, .uid = (uid_t)-1 };
	struct sandbox_error se = { { 0 } };
	int ret;

	ret = pr_rootless() ? pr_rootless_peer_rule(p, &rule) : 0; /* (see rootless.c) */
	if (ret >= 0)
		ret = ipc_runner_expect_peer(p->ipc.runner, &rule);
	if (ret >= 0)
		ret = pr_epoll_add(p, ipc_runner_fd(p->ipc.runner), PR_SRC_IPC, EPOLLIN);
	if (ret >= 0)
		ret = pr_epoll_add(p, sandbox_pidfd(p->box.sb), PR_SRC_PIDFD, EPOLLIN);
	if (ret < 0) {
		pr_seterr(p, ret, "control plane");
		return ret;
	}
	ret = sandbox_release(p->box.sb, &se);
	if (ret < 0)
		pr_seterr(p, 0, "pod setup: %s", se.msg[0] ? se.msg : strerror(-ret));
	else if ((ret = pr_execgate_start(p)) < 0)
		pr_seterr(p, ret, "exec decisions");
	return ret;
}

int podrun_start(podrun_t *p)
{
	sandbox_cfg_t *cfg = NULL;
	rt_plan_t *plan = NULL;
	struct step_clock clk = { 0 };
	int ret;

	if (!p)
		return -EINVAL;
	if (p->life.state != PODRUN_CONFIGURING)
		return -EBUSY;
	p->life.state = PODRUN_STARTING;
	p->life.t_start_ms = pr_now_ms();
	p->life.t_start_us = pr_now_us();
	clk.last_us = p->life.t_start_us;
#ifndef PODRUN_HAVE_DBGUI
	if (p->cfg.debug_ui) {
		pr_seterr(p, 0, "--debug-ui: debug UI not built");
		return fail_start(p, -ENOTSUP, 1);
	}
#endif

	/* 1. Load and normalize the policy (04); pick the worker kind. A bad
	 *    policy or program is a usage error: nothing was created. */
	ret = load_policy(p);
	if (ret >= 0)
		ret = pr_learn_prepare(p); /* learn mode: the base's denials become warnings */
	if (ret >= 0)
		ret = pr_shadow_prepare(p); /* --shadow-policy */
	if (ret >= 0)
		ret = resolve_program(p);
	if (ret >= 0 && (ret = pr_rootless_check(p)) < 0)
		ret = -EINVAL; /* refused before anything was created: a usage error */
	if (ret < 0)
		return fail_start(p, ret, ret == -EINVAL);
	trace(p, "policy");
	step_done(&clk, ST_POLICY);

	/* 2. The loop's descriptors, the audit sink, the stale sweep. */
	pr_sweep_stale(p);
	ret = pr_idmap_acquire(p);
	if (ret >= 0)
		ret = make_loop(p);
	if (ret >= 0)
		ret = pr_audit_open(p);
	if (ret >= 0)
		ret = start_debug_ui(p);
	if (ret < 0)
		goto cleanup;
	trace(p, "loop+sweep");

	/* 3. Rings + control socket (01, 02); from here on the record names them. */
	if ((ret = make_ipc(p)) < 0)
		goto cleanup;
	pr_registry_write(p);
	trace(p, "ipc");
	step_done(&clk, ST_RINGS);
	/* 4. What the worker kind needs: argv, env, runtime mounts (runtime/). */
	if ((ret = make_runtime(p, &plan)) < 0)
		goto cleanup;
	trace(p, "runtime plan");
	step_done(&clk, ST_PLAN);
	/* 5. Proxy + DNS listeners (05), only when the policy can allow net. */
	if ((ret = make_net(p)) < 0)
		goto cleanup;
	trace(p, "net");
	step_done(&clk, ST_NET);
	/* 6. Mount plan, environment, pipes, shm fd, limits. */
	if ((ret = configure_sandbox(p, plan, &cfg)) < 0)
		goto cleanup;
	trace(p, "sandbox config");
	step_done(&clk, ST_PLAN);
	/* 7. Spawn; the pod waits. */
	if ((ret = spawn_pod(p, cfg)) < 0)
		goto cleanup;
	trace(p, "spawn");
	step_done(&clk, ST_SPAWN);
	/* 8. veth into the pod's netns. */
	if ((ret = plumb_network(p)) < 0)
		goto cleanup;
	trace(p, "veth");
	step_done(&clk, ST_NET);
	/* 9. eBPF syscall audit of the pod's pid namespace (06), with --audit. */
	if ((ret = make_bpf(p)) < 0)
		goto cleanup;
	trace(p, "ebpf");
	step_done(&clk, ST_EBPF);
	/* 10. Peer rule, loop sources, release: the worker runs. */
	if ((ret = release_pod(p)) < 0)
		goto cleanup;
	trace(p, "release (worker exec'd)");
	step_done(&clk, ST_MOUNTS);
	trace_steps(p, &clk);

	/* 11. The timeout timer; we are running. */
	if (p->cfg.timeout_s && !p->pool.warm) /* a pool pod's runs from its take */
		pr_arm_timer(p->life.t_timeout, (uint64_t)p->cfg.timeout_s * 1000, 0);
	p->life.state = PODRUN_RUNNING;
	emit_start(p);

cleanup:
	/* on failure everything created so far goes again (exit status 125; 2 when
	 * the policy cannot be enforced as written: no pod was started) */
	if (ret < 0)
		ret = fail_start(p, ret, p->life.refused);
	sandbox_cfg_free(cfg);
	rt_plan_free(plan);
	return ret;
}
