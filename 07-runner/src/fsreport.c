/*
 * fsreport.c — which rule made the sandbox refuse a file access or change.
 *
 * A denied path inside a writable tree is protected by the mount plan, not
 * by a check of each call: the path and every ancestor up to the writable
 * bind are mount points, so the kernel answers a rename or rmdir of them with
 * EBUSY, a hard link to them with EXDEV, a write through a pod-made symlink
 * with EROFS; seccomp answers a set-user-ID or set-group-ID mode with EPERM.
 * These answers come from the kernel, so the runner learns of them from the
 * eBPF audit (06: the refused call, its errno, its paths) and names here the
 * rule behind each one:
 *   - EPERM for a mode with S_ISUID/S_ISGID (chmod family, creation modes):
 *     rule "setid" (no pod may set them, whatever the policy);
 *   - a path the pod named that is, or lies above, a path a deny rule names:
 *     that rule (the denied path, or an ancestor the plan pinned for it);
 *   - else the policy's decision for the path, when it is a deny.
 * Anything else (a rename across two writable mounts, a permission of the
 * host's file modes) is not a decision of the policy and is left alone.
 *
 * Paths are followed as the pod sees them: links inside the pod's mount
 * tree (/proc/PID/root, RESOLVE_IN_ROOT) of the calling process or, when it
 * is gone, of the pod's init; when both are gone, of the host for a path the
 * pod sees at its host path. The runner only looks (O_PATH), never opens.
 *
 * Layer 07 (runner). Builds on 04-policy and 06-ebpf's events. Used by
 * loop.c (pr_bpf_classify, pr_bpf_event).
 */
#include "internal.h"
#include "runtime.h"

#include <limits.h>
#include <sys/stat.h>

static int named(const struct sysaudit_event *ev, const char *const *names)
{
	for (; *names; names++)
		if (ev->syscall && !strcmp(ev->syscall, *names))
			return 1;
	return 0;
}

static const char *const chmods[] = { "chmod", "fchmod",  "fchmodat", "fchmodat2",
				      "mknod", "mknodat", NULL };
static const char *const symlinks[] = { "symlink", "symlinkat", NULL };
static const char *const nofollow[] = { "rename", "renameat", "renameat2", "link",    "linkat",
					"unlink", "unlinkat", "rmdir",     "symlink", "symlinkat",
					"mknod",  "mknodat",  "mkdir",     "mkdirat", NULL };

/* Path number @p which (0, 1) of @p ev, absolute and lexically clean. */
static int event_path(const struct sysaudit_event *ev, int which, char *out, size_t cap)
{
	const char *raw = which ? ev->raw2 : ev->raw;
	char joined[SYSAUDIT_PATH_MAX * 2 + 2];

	if (ev->kind == SYSAUDIT_EV_FSCHANGE && named(ev, symlinks)) {
		if (which)
			return -EINVAL; /* path is the link made; raw is its text, not a path */
		if (ev->path[0] != '/')
			which = 1, raw = ev->raw2;
	}
	if (!which && ev->path[0] == '/')
		return rt_path_normalize(ev->path, out, cap);
	if (which && ev->path2[0] == '/') /* joined to its own dirfd by 06 */
		return rt_path_normalize(ev->path2, out, cap);
	if (raw[0] == '/')
		return rt_path_normalize(raw, out, cap);
	if (!raw[0] || ev->cwd[0] != '/' || (ev->eflags & SYSAUDIT_F_CWD_TRUNC))
		return -EINVAL;
	snprintf(joined, sizeof joined, "%s/%s", ev->cwd, raw);
	return rt_path_normalize(joined, out, cap);
}

/* Does the pod see @p path at its host path? Inside a tree a named rule bound
 * (the policy's binds keep their host paths), and not the runtime's own. */
static int host_view(struct podrun *p, const char *path)
{
	static const enum pol_cat cats[] = { POL_FS_WRITE, POL_FS_READ };
	struct pol_decision d;

	if (!strncmp(path, RT_POD_APP, strlen(RT_POD_APP)))
		return 0;
	for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
		memset(&d, 0, sizeof d);
		if (policy_decide(p->life.pol, cats[c], path, &d) == 0 && d.rule &&
		    strcmp(d.rule, "default"))
			return 1;
	}
	return !pr_provided(p, path);
}

/* @p in with its links followed in the pod of process @p pid, or on the
 * host (@p pid 0): 0, or -errno (-ESRCH: this view cannot tell). */
static int resolve_in(struct podrun *p, pid_t pid, const char *in, int follow, char *out,
		      size_t cap)
{
	char dir[PATH_MAX], got[PATH_MAX];
	const char *base;
	int fd, ret;

	if (!pid && !host_view(p, in))
		return -ESRCH; /* the pod's own tree (/tmp, /pod, ...): not the host's */
	if (follow && pid) {
		fd = pr_pod_open(pid, in, 1);
		if (fd == -ESRCH)
			return fd;
		if (fd >= 0) {
			ret = pr_fd_path(fd, out, cap);
			close(fd);
			return ret;
		}
	} else if (follow && realpath(in, got)) {
		return snprintf(out, cap, "%s", got) < (int)cap ? 0 : -ENAMETOOLONG;
	}
	/* a file that does not exist (yet), or a link not to follow: its directory */
	base = strrchr(in, '/');
	if (!base || base == in || (size_t)(base - in) >= sizeof dir)
		return -ENOENT;
	memcpy(dir, in, (size_t)(base - in));
	dir[base - in] = '\0';
	if (pid) {
		fd = pr_pod_open(pid, dir, 1);
		if (fd < 0)
			return fd;
		ret = pr_fd_path(fd, got, sizeof got);
		close(fd);
		if (ret < 0)
			return ret;
	} else if (!realpath(dir, got)) {
		return -errno;
	}
	return snprintf(out, cap, "%s%s", strcmp(got, "/") ? got : "", base) < (int)cap
		   ? 0
		   : -ENAMETOOLONG;
}

/* The pod path @p in with its links followed: the caller's view, the init's,
 * the host's; @p in itself when none can tell. */
/* /proc/self/fd/N (thread-self, the caller's own pid): the caller's descriptor
 * N, through the runner's /proc. 1: @p out holds its pod path; -1: the
 * descriptor is gone; 0: not such a path. */
static int own_fd(const struct sysaudit_event *ev, const char *in, char *out, size_t cap)
{
	char self[32], link[64];
	const char *rest = NULL, *n;
	int fd, ret;

	snprintf(self, sizeof self, "/proc/%u/fd/", ev->pid);
	if (!strncmp(in, "/proc/self/fd/", 14))
		rest = in + 14;
	else if (!strncmp(in, "/proc/thread-self/fd/", 21))
		rest = in + 21;
	else if (!strncmp(in, self, strlen(self)))
		rest = in + strlen(self);
	if (!rest || !*rest)
		return 0;
	for (n = rest; *n; n++)
		if (*n < '0' || *n > '9')
			return 0;
	snprintf(link, sizeof link, "/proc/%u/fd/%s", ev->host_pid, rest);
	fd = open(link, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = pr_fd_path(fd, out, cap);
	close(fd);
	return ret < 0 ? -1 : 1;
}

static void resolve(struct podrun *p, const struct sysaudit_event *ev, const char *in, int follow,
		    char *out, size_t cap)
{
	pid_t pids[] = { (pid_t)ev->host_pid, p->box.pid, 0 };
	int own = own_fd(ev, in, out, cap);

	if (own) {
		if (own < 0)
			snprintf(out, cap, "%s", in);
		return;
	}

	for (size_t i = 0; i < sizeof pids / sizeof pids[0]; i++) {
		if ((i < 2 && pids[i] <= 0) || (i == 1 && pids[1] == pids[0]))
			continue;
		int ret = resolve_in(p, pids[i], in, follow, out, cap);
		if (ret != -ESRCH) {
			if (ret < 0)
				break;
			return;
		}
	}
	snprintf(out, cap, "%s", in);
}

/* The host path the policy speaks of (/pod/app is the worker's directory). */
static void host_path(const struct podrun *p, const char *pod, char *host, size_t cap)
{
	size_t la = strlen(RT_POD_APP);

	if (p->box.app_host[0] && !strncmp(pod, RT_POD_APP, la) && (pod[la] == '/' || !pod[la])) {
		if (snprintf(host, cap, "%s%s", p->box.app_host, pod + la) >= (int)cap)
			snprintf(host, cap, "%s", pod); /* too long to map: the pod's name */
	} else {
		snprintf(host, cap, "%s", pod);
	}
}

/*
 * A deny rule behind a refusal of @p host: one naming the path itself or a
 * directory above it (best: the closest), or, for a change (rename, rmdir),
 * one naming a path below it (an ancestor the plan pinned as a mount point).
 */
static const char *related_rule(struct podrun *p, const char *host, int change, int pinned)
{
	static const enum pol_cat cats[] = { POL_FS_WRITE, POL_FS_READ };
	const char *best = NULL, *below = NULL;
	const struct pol_rule *r;
	size_t n;

	for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++) {
		if (policy_rules(p->life.pol, cats[c], &r, &n) < 0 || !r)
			continue;
		for (size_t i = 0; i < n; i++) {
			/* a warned path is a mount point too (pinned: EBUSY, EXDEV) */
			if ((r[i].action != POL_DENY && !(pinned && r[i].action == POL_WARN)) ||
			    !r[i].pattern || r[i].pattern[0] != '/')
				continue;
			if (rt_path_under(host, r[i].pattern)) {
				if (!best || strlen(r[i].pattern) > strlen(best))
					best = r[i].pattern;
			} else if (change && rt_path_under(r[i].pattern, host) && !below) {
				below = r[i].pattern;
			}
		}
	}
	return best ? best : below;
}

static int deny(struct sysaudit_verdict *v, const char *rule)
{
	v->action = SYSAUDIT_DENY;
	snprintf(v->rule, sizeof v->rule, "%s", rule && *rule ? rule : "default");
	return 1;
}

/* A file change that went through: a warn rule on one of its paths is told. */
static int warned_change(struct podrun *p, const struct sysaudit_event *ev,
			 struct sysaudit_verdict *v)
{
	char pod[PATH_MAX], res[PATH_MAX], host[PATH_MAX];
	const struct pol_rule *r;
	struct pol_decision d;
	size_t n, warns = 0;

	/* most policies warn about no write: nothing to look up */
	if (policy_rules(p->life.pol, POL_FS_WRITE, &r, &n) < 0)
		return 0;
	for (size_t i = 0; r && i < n; i++)
		warns += r[i].action == POL_WARN;
	warns += policy_default(p->life.pol, POL_FS_WRITE) == POL_WARN;
	if (!warns)
		return 0;
	for (int which = 0; which < 2; which++) {
		if (event_path(ev, which, pod, sizeof pod) < 0)
			continue;
		resolve(p, ev, pod, !named(ev, nofollow), res, sizeof res);
		host_path(p, res, host, sizeof host);
		memset(&d, 0, sizeof d);
		if (policy_decide(p->life.pol, POL_FS_WRITE, host, &d) == 0 &&
		    d.action == POL_WARN) {
			v->action = SYSAUDIT_WARN;
			snprintf(v->rule, sizeof v->rule, "%s", d.rule ? d.rule : "default");
			return 1;
		}
	}
	return 0;
}

int pr_fs_refused(struct podrun *p, const struct sysaudit_event *ev, struct sysaudit_verdict *v)
{
	int err = ev->ret < 0 ? (int)-ev->ret : 0, change = ev->kind == SYSAUDIT_EV_FSCHANGE;
	int write = change || (ev->eflags & SYSAUDIT_F_WRITE);
	char pod[PATH_MAX], res[PATH_MAX], host[PATH_MAX];
	struct pol_decision d;

	if (change && ev->ret >= 0)
		return warned_change(p, ev, v);
	if (err != EACCES && err != EPERM && err != EROFS &&
	    !(change && (err == EBUSY || err == EXDEV)))
		return 0;
	/* 1. set-user-ID and set-group-ID modes: seccomp refuses them to any pod */
	if (err == EPERM && (ev->mode & (S_ISUID | S_ISGID)) &&
	    (change ? named(ev, chmods) : (ev->flags & O_CREAT) != 0))
		return deny(v, "setid");
	/* 2. a path a deny rule names, or pinned for one */
	for (int which = 0; which < 2; which++) {
		const char *rule;
		if (event_path(ev, which, pod, sizeof pod) < 0)
			continue;
		resolve(p, ev, pod, !(change && named(ev, nofollow)), res, sizeof res);
		host_path(p, res, host, sizeof host);
		if ((rule = related_rule(p, host, change, err == EBUSY || err == EXDEV)))
			return deny(v, rule);
		if (which == 0 && err != EBUSY && err != EXDEV) {
			/* 3. the policy's own deny of the path (a read-only bind) */
			memset(&d, 0, sizeof d);
			if (policy_decide(p->life.pol, write ? POL_FS_WRITE : POL_FS_READ, host,
					  &d) < 0 ||
			    d.action != POL_DENY)
				return 0;
			if ((!d.rule || !strcmp(d.rule, "default")) && pr_provided(p, res) &&
			    !(own_fd(ev, res, host, sizeof host) && err == EROFS))
				return 0; /* the runtime's files: not the policy's business */
			return deny(v, d.rule);
		}
	}
	return 0;
}

void pr_fs_what(struct podrun *p, const struct sysaudit_event *ev, char *what, size_t cap)
{
	char pod[PATH_MAX], res[PATH_MAX], host[PATH_MAX];
	int change = ev->kind == SYSAUDIT_EV_FSCHANGE;

	if (ev->eflags & SYSAUDIT_F_RESOLVED)
		return; /* the kernel's own answer */
	if (ev->kind != SYSAUDIT_EV_OPEN && !change)
		return;
	/* the path a rule protects: the second one of a rename or link onto it */
	for (int which = 0; which < 1 + change; which++) {
		if (event_path(ev, which, pod, sizeof pod) < 0)
			continue;
		resolve(p, ev, pod, !(change && named(ev, nofollow)), res, sizeof res);
		host_path(p, res, host, sizeof host);
		if (which == 0)
			snprintf(what, cap, "%s", res);
		if (related_rule(p, host, change, 1)) {
			snprintf(what, cap, "%s", res);
			return;
		}
	}
}
