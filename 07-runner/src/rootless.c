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
 *   limits    no cgroup: a pids limit becomes RLIMIT_NPROC (counted in the
 *             pod's own user namespace: the pod's processes only, a real limit
 *             for the pod); memory and CPU are not limited, and a memory limit
 *             asked for gets a line of its own ("memory") saying it is not
 *             enforced (no rlimit stands for a pod's total memory: RLIMIT_DATA
 *             and RLIMIT_AS count address space, which a JIT runtime reserves
 *             by gigabytes); nofile, fsize, core 0 as with root
 *   ebpf      no eBPF syscall audit (needs CAP_BPF and CAP_PERFMON): --audit
 *             writes the runner's own events; --audit without
 *             --audit-best-effort is an error
 *   net       no veth, no nftables: a policy that can allow network is refused
 *             (the pod gets loopback only otherwise)
 *   sweep     no /run/podrun records: a runner killed with SIGKILL leaves its
 *             socket directory for its user to remove
 *   memfd     vm.memfd_noexec can be written by host root only: memory files
 *             stay executable in the pod (said only when Run is not allowed
 *             anyway)
 *
 * The socket directory lives in $XDG_RUNTIME_DIR when it is a directory of
 * ours, else in /tmp (02 makes it 0700, random name). Connections are
 * accepted from processes in the pod's pid namespace, as with root; the
 * namespace is recorded before the init drops privileges (an unprivileged
 * runner may not look at a non-dumpable init's /proc entry afterwards).
 *
 * Layer 07 (runner). Builds on libc and 04's policy_net_possible(). Used by
 * podrun_start().
 */
#include "internal.h"

#include <sys/stat.h>

int pr_rootless(void)
{
	return geteuid() != 0;
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
	p->box.ndegraded = 0;
	if (!pr_rootless())
		return 0;
	if (policy_net_possible(p->life.pol)) {
		pr_seterr(p, 0, "rootless: the policy can allow network, and without root there is "
				"no veth to the proxy; run as root, or without --allow-net rules");
		return -EPERM;
	}
	degraded(p, "identity", "no host id range of its own (needs root); the pod runs as "
				"your uid in a user namespace of its own");
	degraded(p, "limits", "no cgroup (needs root): pids -> RLIMIT_NPROC of the pod's user "
			      "namespace; memory and CPU not limited");
	if (p->cfg.memory) {
		char why[128];

		snprintf(why, sizeof why, "the limit of %llu bytes is NOT enforced (needs a cgroup)",
			 (unsigned long long)p->cfg.memory);
		degraded(p, "memory", why);
	}
	degraded(p, "ebpf", "no eBPF syscall audit (needs CAP_BPF and CAP_PERFMON)");
	degraded(p, "net", "no veth (needs CAP_NET_ADMIN on the host): loopback only");
	degraded(p, "sweep", "no /run/podrun records (needs root): a runner killed with SIGKILL "
			     "leaves its socket directory behind");
	if (policy_default(p->life.pol, POL_RUN) != POL_ALLOW)
		degraded(p, "memfd", "memory files stay executable (vm.memfd_noexec is root's): "
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

/* The cgroup limits asked for, as rlimits (see "limits" above). */
void pr_rootless_limits(const struct podrun *p, struct sandbox_limits *l)
{
	if (l->pids_max)
		l->nproc = l->pids_max;
	l->pids_max = 0;
	l->memory_bytes = 0;
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
