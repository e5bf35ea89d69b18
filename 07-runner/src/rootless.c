/*
 * rootless.c — podrun started by an ordinary user: what changes, and saying
 * aloud what it cannot have.
 *
 * Without root the runner still builds a user, mount, pid, ipc, uts and
 * network namespace for the pod (the user namespace first, so that the others
 * belong to it; 03 writes the one map line an unprivileged process may: the
 * worker's uid/gid -> the runner's own). What it cannot have, each printed on
 * stderr as one line "podrun: rootless: ..." and listed in the start event's
 * "degraded" array:
 *
 *   identity  no host id range of its own: the pod runs as the invoking user's
 *             uid (in its own user namespace: RLIMIT_NPROC still counts the
 *             pod's processes only)
 *   limits    (only for what no delegated cgroup gives, see pr_rootless_delegated())
 *             no cgroup: a pids limit becomes RLIMIT_NPROC (counted in the
 *             pod's own user namespace: the pod's processes only, a real limit
 *             for the pod); memory and CPU are not limited, and a memory limit
 *             asked for gets a line of its own ("memory") saying it is not
 *             enforced (no rlimit stands for a pod's total memory: RLIMIT_DATA
 *             and RLIMIT_AS count address space, which a JIT runtime reserves
 *             by gigabytes); nofile, fsize, core 0 as with root
 *   ebpf      no eBPF syscall audit (needs CAP_BPF and CAP_PERFMON): --audit
 *             writes the runner's own events; --audit without
 *             --audit-best-effort is an error
 *   net       no veth (needs CAP_NET_ADMIN on the host): the pod's network
 *             namespace, owned by its user namespace and so by the runner,
 *             gets the runner address on its lo and the proxy's listeners
 *             inside it (05's podnet_attach_userns(): a helper joins the
 *             pod's namespaces, installs the pod's filter, makes the sockets
 *             and passes them back); the proxy serves them from the host
 *             side and connects upstream as the invoking user. IPv4 only
 *             (no IPv6 listener), said on this line
 *   sweep     only when the user has no run directory of its own (podrun-UID
 *             under the socket base, made 0700 by the first run; refused when
 *             it is another user's, a link, or open to others): then a runner
 *             killed with SIGKILL leaves its socket directory behind. With
 *             one, the records and the sweep work as with root (sweep.c)
 *   memfd     vm.memfd_noexec can be written by host root only: memory files
 *             stay executable in the pod (said only when Run is not allowed
 *             anyway)
 *
 * The socket directory lives in $XDG_RUNTIME_DIR when it is a directory of
 * ours, else in /tmp (02 makes it 0700, ipc-<pod id>, recorded before it is
 * made in the run directory podrun-<uid> next to it, see sweep.c). Connections are
 * accepted from processes in the pod's pid namespace, as with root; the
 * namespace is recorded before the init drops privileges (an unprivileged
 * runner may not look at a non-dumpable init's /proc entry afterwards).
 *
 * Layer 07 (runner). Builds on libc and 04's policy_net_possible(). Used by
 * podrun_start().
 */
#include "internal.h"

#include <sys/epoll.h>
#include <sys/stat.h>

int pr_rootless(void)
{
	return geteuid() != 0;
}

/*
 * Delegated cgroups. An ordinary user may create cgroups, write their limits
 * and move its own processes into them where the cgroup it runs in is a
 * directory it may write: a v1 hierarchy's cgroup that root created and gave
 * to the user (chown), or a v2 cgroup delegated to it (systemd's Delegate=,
 * or chown) whose cgroup.subtree_control already enables the controller. 03
 * then makes the pod's cgroups under the runner's own, as with root. Which
 * controllers this runner can use, as PR_DELEG_* bits.
 */
static int own_cgroup(const char *ctrl, char *path, size_t cap)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	snprintf(want, sizeof want, ",%s,", ctrl);
	while (f && !found && fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, list[128];

		if (!c2)
			continue;
		*c2 = '\0';
		c2[strcspn(c2 + 1, "\n") + 1] = '\0';
		snprintf(list, sizeof list, ",%s,", c1 + 1);
		if ((ctrl[0] && strstr(list, want)) || (!ctrl[0] && !c1[1]))
			found = snprintf(path, cap, "%s", c2 + 1) < (int)cap;
	}
	if (f)
		fclose(f);
	return found;
}

static int writable_cgroup(const char *dir, const char *procs)
{
	char f[640];

	snprintf(f, sizeof f, "%s/%s", dir, procs);
	return access(dir, W_OK | X_OK) == 0 && access(f, W_OK) == 0;
}

static int has_word(const char *dir, const char *file, const char *word)
{
	char path[640], buf[512];
	FILE *f;
	int yes = 0;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "re");
	if (f && fgets(buf, sizeof buf, f))
		for (char *save = NULL, *t = strtok_r(buf, " \n", &save); t && !yes;
		     t = strtok_r(NULL, " \n", &save))
			yes = !strcmp(t, word);
	if (f)
		fclose(f);
	return yes;
}

unsigned pr_rootless_delegated(void)
{
	static const struct {
		const char *name, *v1;
		unsigned bit;
	} c[] = {
		{ "memory", "/sys/fs/cgroup/memory", PR_DELEG_MEM },
		{ "pids", "/sys/fs/cgroup/pids", PR_DELEG_PIDS },
		{ "cpu", "/sys/fs/cgroup/cpu", PR_DELEG_CPU },
	};
	char self[256], dir[512];
	unsigned bits = 0;
	struct stat st;

	if (!pr_rootless())
		return PR_DELEG_MEM | PR_DELEG_PIDS | PR_DELEG_CPU;
	/* v2: the unified mount (pure v2, or hybrid's "unified") */
	if (own_cgroup("", self, sizeof self)) {
		static const char *const mnts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

		for (int m = 0; m < 2; m++) {
			snprintf(dir, sizeof dir, "%s%s", mnts[m], strcmp(self, "/") ? self : "");
			if (!writable_cgroup(dir, "cgroup.procs"))
				continue;
			for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
				if (has_word(dir, "cgroup.subtree_control", c[i].name))
					bits |= c[i].bit;
		}
	}
	/* v1: each controller's own hierarchy */
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		if (bits & c[i].bit || !own_cgroup(c[i].name, self, sizeof self))
			continue;
		snprintf(dir, sizeof dir, "%s%s", c[i].v1, strcmp(self, "/") ? self : "");
		if (stat(c[i].v1, &st) == 0 && writable_cgroup(dir, "tasks"))
			bits |= c[i].bit;
	}
	return bits;
}

static void degraded(struct podrun *p, const char *key, const char *why)
{
	if (p->box.ndegraded >= PR_MAX_DEGRADED)
		return;
	snprintf(p->box.degraded[p->box.ndegraded], sizeof p->box.degraded[0], "%s: %s", key, why);
	if (p->cfg.verbosity >= PODRUN_NORMAL)
		dprintf(2, "podrun: rootless: %s\n", p->box.degraded[p->box.ndegraded]);
	p->box.ndegraded++;
}

int pr_rootless_check(struct podrun *p)
{
	char dir[200];
	unsigned deleg;

	p->box.ndegraded = 0;
	if (!pr_rootless())
		return 0;
	degraded(p, "identity",
		 "no host id range of its own (needs root); the pod runs as "
		 "your uid in a user namespace of its own");
	deleg = pr_rootless_delegated();
	if ((deleg & (PR_DELEG_MEM | PR_DELEG_PIDS | PR_DELEG_CPU)) == 0)
		degraded(p, "limits",
			 "no cgroup (needs root): pids -> RLIMIT_NPROC of the pod's user "
			 "namespace; memory and CPU not limited");
	else if ((deleg & (PR_DELEG_MEM | PR_DELEG_PIDS | PR_DELEG_CPU)) !=
		 (PR_DELEG_MEM | PR_DELEG_PIDS | PR_DELEG_CPU)) {
		char why[160];

		snprintf(
		    why, sizeof why, "a delegated cgroup, but no%s%s%s controller in it:%s%s%s",
		    deleg & PR_DELEG_MEM ? "" : " memory", deleg & PR_DELEG_PIDS ? "" : " pids",
		    deleg & PR_DELEG_CPU ? "" : " cpu",
		    deleg & PR_DELEG_PIDS ? ""
					  : " pids -> RLIMIT_NPROC of the pod's user namespace;",
		    deleg & PR_DELEG_MEM ? "" : " memory not limited;",
		    deleg & PR_DELEG_CPU ? "" : " CPU not limited");
		degraded(p, "limits", why);
	}
	if (p->cfg.memory && !(deleg & PR_DELEG_MEM)) {
		char why[128];

		snprintf(why, sizeof why,
			 "the limit of %llu bytes is NOT enforced (needs a cgroup)",
			 (unsigned long long)p->cfg.memory);
		degraded(p, "memory", why);
	}
	degraded(p, "ebpf", "no eBPF syscall audit (needs CAP_BPF and CAP_PERFMON)");
	if (policy_net_possible(p->life.pol))
		degraded(p, "net",
			 "no veth (needs CAP_NET_ADMIN on the host): the proxy and DNS "
			 "listen inside the pod's own network namespace; IPv4 only");
	else
		degraded(p, "net", "no veth (needs CAP_NET_ADMIN on the host): loopback only");
	if (pr_run_dir(dir, sizeof dir) < 0)
		degraded(p, "sweep",
			 "no run directory of the user's own (podrun-UID is another user's or "
			 "open to others): a runner killed with SIGKILL leaves its socket "
			 "directory behind");
	if (policy_default(p->life.pol, POL_RUN) != POL_ALLOW)
		degraded(p, "memfd",
			 "memory files stay executable (vm.memfd_noexec is root's): "
			 "code the pod writes into a memfd can run");
	return 0;
}

const char *pr_rootless_ipc_base(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (x && x[0] == '/' && strlen(x) < 64 && stat(x, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && access(x, W_OK | X_OK) == 0)
		return x;
	return "/tmp";
}

/* The cgroup limits asked for: in a delegated cgroup where one is ours,
 * else as rlimits (see "limits" above). */
void pr_rootless_limits(const struct podrun *p, struct sandbox_limits *l)
{
	unsigned deleg = pr_rootless_delegated();

	if (!(deleg & PR_DELEG_PIDS)) {
		if (l->pids_max)
			l->nproc = l->pids_max;
		l->pids_max = 0;
	}
	if (!(deleg & PR_DELEG_MEM))
		l->memory_bytes = 0;
	if (!(deleg & PR_DELEG_CPU))
		l->cpu_percent = 0;
	(void)p;
}

/* A connecting process is the pod's when its pid namespace is the pod's. */
static int peer_in_pod(const struct ipc_peer *peer, void *arg)
{
	const struct podrun *p = arg;
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)peer->pid);
	if (stat(path, &st) < 0)
		return -EACCES;
	return st.st_dev == p->box.pidns_dev && st.st_ino == p->box.pidns_ino ? 0 : -EACCES;
}

int pr_rootless_peer_rule(struct podrun *p, struct ipc_peer_rule *rule)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)p->box.pid);
	if (stat(path, &st) < 0)
		return -errno;
	p->box.pidns_dev = st.st_dev;
	p->box.pidns_ino = st.st_ino;
	rule->kind = IPC_PEER_CALLBACK;
	rule->fn = peer_in_pod;
	rule->arg = p;
	return 0;
}

#ifndef PODRUN_NO_PROXY
/* Before the spawn: the pod's environment and resolv.conf name the runner
 * address on the pod's own lo (no host object is made). */
int pr_rootless_net_prepare(struct podrun *p)
{
	const char *txt;
	int ret = podnet_new_userns(&p->net.podnet), fd;

	if (ret < 0) {
		pr_seterr(p, ret, "network");
		return ret;
	}
	pr_run_file(p, "resolv", p->net.resolv_path, sizeof p->net.resolv_path);
	txt = podnet_resolv_conf(p->net.podnet);
	fd = open(p->net.resolv_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, txt, strlen(txt)) != (ssize_t)strlen(txt)) {
		ret = fd < 0 ? -errno : -EIO;
		pr_seterr(p, ret, "network: write %s", p->net.resolv_path);
		if (fd >= 0)
			unlink(p->net.resolv_path);
		p->net.resolv_path[0] = '\0';
		if (fd >= 0)
			close(fd);
		return ret;
	}
	close(fd);
	return 0;
}

/* After the spawn, before the release: lo, filter and sockets inside the
 * pod's netns (05), then the proxy on those sockets, served from here. */
int pr_rootless_net_attach(struct podrun *p, proxy_event_fn on_event)
{
	struct proxy_config pc = { 0 };
	char path[64];
	int ret, userns;

	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)p->box.pid);
	userns = open(path, O_RDONLY | O_CLOEXEC);
	if (userns < 0) {
		ret = -errno;
		pr_seterr(p, ret, "network: %s", path);
		return ret;
	}
	ret = podnet_attach_userns(p->net.podnet, userns, sandbox_netns_fd(p->box.sb));
	close(userns);
	if (ret < 0) {
		pr_seterr(p, ret, "network: the pod's netns: %s", podnet_last_error(p->net.podnet));
		return ret;
	}
	pc.policy = p->life.pol;
	pc.listen_addr = podnet_runner_addr(p->net.podnet);
	pc.on_event = on_event;
	pc.user = p;
	pc.socket_fn = podnet_userns_socket; /* standard ports, bound in the pod's netns */
	pc.socket_user = p->net.podnet;
	ret = proxy_create(&pc, &p->net.proxy);
	if (ret < 0) {
		pr_seterr(p, ret, "network: proxy listeners in the pod's netns");
		return ret;
	}
	podnet_detach(p->net.podnet); /* closes what the proxy did not take */
	return pr_epoll_add(p, proxy_fd(p->net.proxy), PR_SRC_PROXY, EPOLLIN);
}
#else /* no 05-proxy in this tree: loopback only (noproxy.c) */
int pr_rootless_net_prepare(struct podrun *p)
{
	(void)p;
	return 0;
}

int pr_rootless_net_attach(struct podrun *p, proxy_event_fn on_event)
{
	(void)p;
	(void)on_event;
	return 0;
}
#endif
