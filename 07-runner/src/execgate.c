/*
 * execgate.c — the per-exec decision point: every execve() and execveat() of
 * the pod is decided by the runner against the Run rules before it runs.
 *
 * 03 installs a seccomp filter in the pod whose execve/execveat are user
 * notifications on a listener only the runner holds (sandbox_exec_notify_fd).
 * For each one the runner:
 *   1. reads the path the pod passed (/proc/PID/mem) and opens the file the
 *      kernel would run, as the pod sees it: absolute paths beneath the pod's
 *      root (openat2 RESOLVE_IN_ROOT on /proc/PID/root), relative ones from the
 *      pod's cwd or dirfd, AT_EMPTY_PATH as the descriptor itself;
 *   2. names it: the open file's path in the pod (readlink of our descriptor),
 *      mapped to the host path the policy speaks of (/pod/app -> the worker's
 *      directory; every other bind keeps the host path); a memory file is
 *      "memfd:NAME";
 *   3. decides the file and, for a `#!` script, its interpreter (the stricter
 *      wins), with policy_decide(POL_RUN);
 *   4. answers: allow and warn continue the call, deny fails it with EACCES;
 *      warn and deny are reported on stderr and in the audit always (allow
 *      only in the audit), naming the rule.
 * The worker's own start is the planned exec: sandbox_release() lets that
 * first exec through before the runner's loop runs (the runner chose the
 * program, not the pod). Every later exec is the pod's choice and is decided
 * here like any other, the runtime's own programs included: a pod that runs
 * its interpreter again (`os.execv(sys.executable, ...)`), the pod host, or
 * the loader by hand needs a Run rule for them. The loader run by hand
 * (`ld.so [OPTIONS] PROGRAM`) is decided for itself and for PROGRAM: it would
 * otherwise run any readable file without an exec of it.
 *
 * Why this is a decision point and not the boundary: when a call continues,
 * the kernel resolves the path again, so a pod thread could change the path
 * between the decision and the exec (seccomp's notification TOCTOU). What can
 * run at all is still bounded by the mount plan (only planned files exist, and
 * only run binds are executable) and Landlock underneath; the notification
 * makes every attempt a decision the user sees, and refuses what the plan
 * shows but the rules deny (the worker's neighbours, ld.so as a launcher).
 *
 * Layer 07 (runner). Builds on 03-sandbox (the listener) and 04-policy. Used
 * by lifecycle.c (start) and loop.c (dispatch).
 */
#include "internal.h"
#include "runtime.h"

#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

/* Up to @p len bytes of the pod's memory at @p addr. @return bytes read, or
 * -errno (opening /proc/PID/mem) / -EFAULT (nothing readable there). */
static ssize_t read_pod_mem(pid_t pid, uint64_t addr, void *out, size_t len)
{
	char mem[64];
	ssize_t n;
	int fd;

	snprintf(mem, sizeof mem, "/proc/%d/mem", (int)pid);
	fd = open(mem, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, out, len, (off_t)addr);
	close(fd);
	return n <= 0 ? -EFAULT : n;
}

/* A NUL-terminated string of the pod at @p addr. */
static int read_pod_string(pid_t pid, uint64_t addr, char *out, size_t cap)
{
	ssize_t n = read_pod_mem(pid, addr, out, cap - 1);

	if (n < 0)
		return (int)n;
	out[n] = '\0';
	return strlen(out) < (size_t)n ? 0 : -ENAMETOOLONG;
}

/* The path of one of our descriptors as the pod sees it (its mount tree). */
int pr_fd_path(int fd, char *out, size_t cap)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, out, cap - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	return 0;
}

/*
 * Open (O_PATH) @p abs as the pod process @p pid sees it: beneath its root,
 * links followed inside it (the last one only with @p follow). -ESRCH: the
 * process (its root) is gone.
 */
int pr_pod_open(pid_t pid, const char *abs, int follow)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW),
				.resolve = RESOLVE_IN_ROOT };
	char root[64];
	int r, fd;

	snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
	r = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r < 0)
		return -ESRCH;
	fd = (int)syscall(SYS_openat2, r, abs, &how, sizeof how);
	if (fd < 0)
		fd = -errno;
	close(r);
	return fd;
}

static int open_in_root(pid_t pid, const char *abs)
{
	int fd = pr_pod_open(pid, abs, 1);

	return fd == -ESRCH ? -ENOENT : fd;
}

/*
 * Open (O_PATH) the file execve/execveat of @p n would run. @p abs receives
 * the absolute pod path asked for (lexical, before any link is followed), or
 * "" when the request names a descriptor.
 */
static int open_target(const struct seccomp_notif *n, char *req, size_t cap, char *abs,
		       size_t abs_cap)
{
	pid_t pid = (pid_t)n->pid;
	int at = n->data.nr == __NR_execveat;
	int dirfd = at ? (int)n->data.args[0] : AT_FDCWD, flags = at ? (int)n->data.args[4] : 0;
	char base[PATH_MAX], link[64];
	int ret, d;

	abs[0] = '\0';
	ret = read_pod_string(pid, at ? n->data.args[1] : n->data.args[0], req, cap);
	if (ret < 0)
		return ret;
	if (at && !req[0] && (flags & AT_EMPTY_PATH)) {
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, dirfd);
		ret = open(link, O_PATH | O_CLOEXEC);
		return ret < 0 ? -errno : ret;
	}
	/* /proc/self/fd/N and /proc/thread-self/fd/N name the caller's descriptor */
	if (!strncmp(req, "/proc/self/fd/", 14) || !strncmp(req, "/proc/thread-self/fd/", 21)) {
		snprintf(link, sizeof link, "/proc/%d/fd/%s", (int)pid, strrchr(req, '/') + 1);
		ret = open(link, O_PATH | O_CLOEXEC);
		return ret < 0 ? -errno : ret;
	}
	if (req[0] == '/') {
		snprintf(abs, abs_cap, "%s", req);
		return open_in_root(pid, req);
	}
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof link, "/proc/%d/cwd", (int)pid);
	else
		snprintf(link, sizeof link, "/proc/%d/fd/%d", (int)pid, dirfd);
	d = open(link, O_PATH | O_CLOEXEC);
	if (d < 0)
		return -errno;
	ret = pr_fd_path(d, base, sizeof base);
	close(d);
	if (ret < 0)
		return ret;
	if (snprintf(abs, abs_cap, "%s/%s", strcmp(base, "/") ? base : "", req) >= (int)abs_cap) {
		abs[0] = '\0';
		return -ENAMETOOLONG;
	}
	return open_in_root(pid, abs);
}

/* `#!/interp` of the file behind @p fd, or "" when it is not a script. */
static void shebang(int fd, char *interp, size_t cap)
{
	char link[64], line[256];
	ssize_t n;
	int r;

	interp[0] = '\0';
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	r = open(link, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (r < 0)
		return;
	n = read(r, line, sizeof line - 1);
	close(r);
	if (n < 3 || line[0] != '#' || line[1] != '!')
		return;
	line[n] = '\0';
	char *s = line + 2;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t len = strcspn(s, " \t\n");
	if (len && len < cap) {
		memcpy(interp, s, len);
		interp[len] = '\0';
	}
}

/* The host path the policy speaks of, for a pod path. 1: a runtime program. */
static int host_of(struct podrun *p, const char *pod, char *host, size_t cap)
{
	size_t la = strlen(RT_POD_APP);

	for (size_t i = 0; i < p->box.n_exec_rt; i++)
		if (!strcmp(pod, p->box.exec_rt[i]))
			return snprintf(host, cap, "%s", pod), 1;
	if (p->box.app_host[0] && !strncmp(pod, RT_POD_APP, la) && (pod[la] == '/' || !pod[la]))
		snprintf(host, cap, "%s%s", p->box.app_host, pod + la);
	else
		snprintf(host, cap, "%s", pod);
	return 0;
}

struct verdict {
	struct pol_decision d;
	char what[PATH_MAX];
	int runtime;
	const char *asked; /* the pod path asked for (learn mode learns it), or NULL */
};

/*
 * An explicit deny or warn rule that names @p host through a link
 * (`--deny-run=python3` is /usr/bin/python3 -> python3.11): the stricter one.
 */
static int named_by_rule(struct podrun *p, const char *host, struct pol_decision *d)
{
	const struct pol_rule *r;
	char real[PATH_MAX], rr[PATH_MAX];
	int found = 0;
	size_t n;

	if (!realpath(host, real) || policy_rules(p->life.pol, POL_RUN, &r, &n) < 0 || !r)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (r[i].action == POL_ALLOW || r[i].pattern[0] != '/' ||
		    !realpath(r[i].pattern, rr) || strcmp(rr, real))
			continue;
		if (!found || r[i].action > d->action) {
			d->action = r[i].action;
			d->rule = r[i].pattern;
			snprintf(d->reason, sizeof d->reason, "%.80s runs %.80s (%s rule)",
				 r[i].pattern, real, policy_action_name(r[i].action));
		}
		found = 1;
	}
	return found;
}

/* Decide one file (by pod path): fills @p v. */
static void decide_file(struct podrun *p, const char *pod, struct verdict *v)
{
	struct pol_decision named;

	memset(&v->d, 0, sizeof v->d);
	if (pod[0] != '/') {
		/* a memory file or an anonymous one: runs only when running anything does */
		snprintf(v->what, sizeof v->what, "%s", pod);
		v->d.action =
		    policy_default(p->life.pol, POL_RUN) == POL_ALLOW ? POL_ALLOW : POL_DENY;
		v->d.rule = "default";
		snprintf(v->d.reason, sizeof v->d.reason, "%s is not a file of the mount plan",
			 pod);
		return;
	}
	/* the runtime's own programs are decided like any other: the worker's
	 * start was the planned exec (sandbox_release), every later one is the
	 * pod's own choice */
	v->runtime = host_of(p, pod, v->what, sizeof v->what);
	if (policy_decide(p->life.pol, POL_RUN, v->what, &v->d) < 0) {
		v->d.action = POL_DENY;
		v->d.rule = "default";
	}
	/* a rule that names the file through a link (--deny-run=/usr/bin/python3) */
	memset(&named, 0, sizeof named);
	if (named_by_rule(p, v->what, &named) &&
	    (named.action > v->d.action ||
	     (named.action == v->d.action && (!v->d.rule || !strcmp(v->d.rule, "default")))))
		v->d = named;
}

/* Pod memory: the pointer at @p addr. */
static int read_pod_ptr(pid_t pid, uint64_t addr, uint64_t *out)
{
	ssize_t n = read_pod_mem(pid, addr, out, sizeof *out);

	if (n < 0)
		return (int)n;
	return n == (ssize_t)sizeof *out ? 0 : -EFAULT;
}

/* Is the file behind @p pod the dynamic loader (ld.so), which runs the
 * program named by its arguments? By its name, or as the same file as an
 * ELF interpreter of the plan. */
static int is_loader(struct podrun *p, pid_t pid, const char *pod, int fd)
{
	const char *b = strrchr(pod, '/');
	struct stat a, o;

	b = b ? b + 1 : pod;
	if ((!strncmp(b, "ld-", 3) && strstr(b, ".so")) || !strncmp(b, "ld.so", 5) ||
	    !strncmp(b, "ld64.so", 7))
		return 1; /* ld-linux-x86-64.so.2, ld-musl-x86_64.so.1, ld.so.1 */
	if (fstat(fd, &a) < 0)
		return 0;
	for (size_t i = 0; i < p->box.n_exec_rt; i++) {
		const char *e = strrchr(p->box.exec_rt[i], '/');
		int efd;
		if (!e || strncmp(e + 1, "ld-", 3))
			continue;
		efd = pr_pod_open(pid, p->box.exec_rt[i], 1);
		if (efd < 0)
			continue;
		if (fstat(efd, &o) == 0 && o.st_dev == a.st_dev && o.st_ino == a.st_ino) {
			close(efd);
			return 1;
		}
		close(efd);
	}
	return 0;
}

/*
 * `ld.so [OPTIONS] PROGRAM [ARGS]`: the program the loader would run, from
 * the pod's argv, read as the loader reads it: its options (with their
 * argument) are skipped, the first other word is the program, even when it
 * starts with "--". 1: @p prog holds it; 0: the loader runs nothing (--help,
 * --version, ...); -1: the runner cannot tell (unreadable argv).
 */
static int loader_program(const struct seccomp_notif *n, char *prog, size_t cap)
{
	static const char *const with_arg[] = { "--library-path",
						"--preload",
						"--audit",
						"--argv0",
						"--inhibit-rpath",
						"--glibc-hwcaps-prepend",
						"--glibc-hwcaps-mask",
						NULL };
	static const char *const alone[] = { "--list", "--verify", "--inhibit-cache", NULL };
	static const char *const no_run[] = { "--help", "--version", "--list-tunables",
					      "--list-diagnostics", NULL };
	pid_t pid = (pid_t)n->pid;
	uint64_t argv = n->data.nr == __NR_execveat ? n->data.args[2] : n->data.args[1], a;
	char arg[PATH_MAX];
	int skip = 0, kind;

	for (int i = 1; i < 64; i++) {
		if (read_pod_ptr(pid, argv + 8 * (uint64_t)i, &a) < 0)
			return -1;
		if (!a)
			return 0;
		if (read_pod_string(pid, a, arg, sizeof arg) < 0)
			return -1;
		if (skip) {
			skip = 0;
			continue;
		}
		kind = 0;
		for (int k = 0; with_arg[k]; k++)
			kind |= !strcmp(arg, with_arg[k]) ? 1 : 0;
		for (int k = 0; alone[k]; k++)
			kind |= !strcmp(arg, alone[k]) ? 2 : 0;
		for (int k = 0; no_run[k]; k++)
			if (!strcmp(arg, no_run[k]))
				return 0;
		if (!kind) {
			snprintf(prog, cap, "%s", arg);
			return 1;
		}
		skip = kind == 1;
	}
	return -1;
}

/*
 * The loader run by hand (`ld.so PROGRAM`) bypasses the exec of PROGRAM: the
 * program is decided here as if it were exec'd. A name without a slash is
 * searched by the loader on the library path: refused (name it by a path).
 */
static void decide_loader_program(struct podrun *p, const struct seccomp_notif *n,
				  struct verdict *v)
{
	char prog[PATH_MAX], abs[PATH_MAX], base[PATH_MAX], link[64];
	int r, fd;

	memset(v, 0, sizeof *v);
	r = loader_program(n, prog, sizeof prog);
	if (r == 0)
		return;
	v->d.action = POL_DENY;
	v->d.rule = "default";
	if (r < 0 || !strchr(prog, '/')) {
		snprintf(v->what, sizeof v->what, "%.200s", r < 0 ? "ld.so" : prog);
		snprintf(v->d.reason, sizeof v->d.reason, "%s",
			 r < 0
			     ? "the runner cannot tell which program the loader runs"
			     : "the loader searches its library path for a program named without a "
			       "slash: name it by its path");
		return;
	}
	if (prog[0] == '/') {
		snprintf(abs, sizeof abs, "%s", prog);
	} else {
		snprintf(link, sizeof link, "/proc/%d/cwd", (int)n->pid);
		fd = open(link, O_PATH | O_CLOEXEC);
		r = fd < 0 ? -errno : pr_fd_path(fd, base, sizeof base);
		if (fd >= 0)
			close(fd);
		if (r < 0 || snprintf(abs, sizeof abs, "%s/%s", strcmp(base, "/") ? base : "",
				      prog) >= (int)sizeof abs) {
			snprintf(v->what, sizeof v->what, "%.200s", prog);
			return;
		}
	}
	if (!strncmp(abs, "/proc/self/fd/", 14) || !strncmp(abs, "/proc/thread-self/fd/", 21)) {
		snprintf(link, sizeof link, "/proc/%d/fd/%s", (int)n->pid, strrchr(abs, '/') + 1);
		fd = open(link, O_PATH | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
	} else {
		fd = open_in_root((pid_t)n->pid, abs);
	}
	if (fd < 0) {
		/* nothing there: the loader fails too; a hidden file is still a denial */
		snprintf(v->what, sizeof v->what, "%s", abs);
		host_of(p, abs, v->what, sizeof v->what);
		if (policy_decide(p->life.pol, POL_RUN, v->what, &v->d) < 0 ||
		    v->d.action != POL_DENY) {
			v->d.action = POL_ALLOW;
			v->what[0] = '\0';
		}
		return;
	}
	if (pr_fd_path(fd, abs, sizeof abs) < 0)
		snprintf(v->what, sizeof v->what, "%.200s", prog);
	else {
		if (!strncmp(abs, "/memfd:", 7))
			memmove(abs, abs + 1, strlen(abs));
		decide_file(p, abs, v);
	}
	close(fd);
}

static void answer(int fd, uint64_t id, int err)
{
	struct seccomp_notif_resp r;

	memset(&r, 0, sizeof r);
	r.id = id;
	if (err)
		r.error = -err;
	else
		r.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &r); /* ENOENT: the caller is gone */
}

static void report(struct podrun *p, const struct verdict *v, const struct seccomp_notif *n)
{
	PR_AUDIT(p, .kind = PR_EV_EXEC, .src = "runner", .cat = PR_RUN,
		 .act = pr_act_index(policy_action_name(v->d.action)), .what = v->what,
		 .rule = v->d.rule, .reason = v->d.reason, .pid = pr_pod_pid((pid_t)n->pid),
		 .u.exec = { policy_cat_name(POL_RUN),
			     n->data.nr == __NR_execveat ? "execveat" : "execve", v->asked });
}

/* One waiting exec: decide, answer, report. */
static void gate_one(struct podrun *p, const struct seccomp_notif *n)
{
	char req[PATH_MAX], pod[PATH_MAX], interp[PATH_MAX], asked[PATH_MAX];
	struct verdict file, in;
	int fd, err = 0;

	fd = open_target(n, req, sizeof req, pod, sizeof pod);
	memset(&file, 0, sizeof file);
	snprintf(asked, sizeof asked, "%s", pod);
	file.asked = asked;
	if (fd == -ENOENT || fd == -ENOTDIR || fd == -EFAULT || fd == -ENAMETOOLONG) {
		/*
		 * Nothing to run at that path in the pod: the kernel fails the exec
		 * the same way. A path the Run policy denies is still refused and
		 * reported when a deny rule names it, or when the host has the file
		 * (the mount plan hid it): the denial is visible, not a silent
		 * ENOENT. A path absent from the host too stays a plain ENOENT (a
		 * PATH search tries many such paths).
		 */
		if (fd == -ENOENT && pod[0] == '/') {
			decide_file(p, pod, &file);
			if (file.d.action == POL_DENY && !file.runtime &&
			    (strcmp(file.d.rule, "default") || access(file.what, F_OK) == 0)) {
				answer(p->box.exec_fd, n->id, EACCES);
				report(p, &file, n);
				return;
			}
		}
		answer(p->box.exec_fd, n->id, 0);
		return;
	}
	if (fd < 0 || pr_fd_path(fd, pod, sizeof pod) < 0) {
		/* a path the runner cannot follow (a magic link of another process) */
		snprintf(file.what, sizeof file.what, "%.200s", req);
		file.d.action = POL_DENY;
		file.d.rule = "default";
		snprintf(file.d.reason, sizeof file.d.reason,
			 "the runner cannot tell which file this runs");
	} else {
		if (!strncmp(pod, "/memfd:", 7))
			memmove(pod, pod + 1, strlen(pod));
		decide_file(p, pod, &file);
	}
	if (file.d.action != POL_DENY && fd >= 0) {
		shebang(fd, interp, sizeof interp);
		if (interp[0] == '/') {
			int ifd = open_in_root((pid_t)n->pid, interp);
			memset(&in, 0, sizeof in);
			in.asked = interp;
			if (ifd >= 0 && pr_fd_path(ifd, pod, sizeof pod) == 0)
				decide_file(p, pod, &in);
			else
				in.d.action = POL_ALLOW; /* missing: the kernel fails the exec */
			if (ifd >= 0)
				close(ifd);
			if (in.what[0])
				report(p, &in, n);
			if (in.d.action == POL_DENY)
				err = EACCES;
		} else if (is_loader(p, (pid_t)n->pid, file.what, fd)) {
			/* ld.so PROGRAM: PROGRAM is decided as if exec'd */
			decide_loader_program(p, n, &in);
			if (in.what[0])
				report(p, &in, n);
			if (in.d.action == POL_DENY)
				err = EACCES;
		}
	}
	if (fd >= 0)
		close(fd);
	if (file.d.action == POL_DENY)
		err = EACCES;
	answer(p->box.exec_fd, n->id, err);
	report(p, &file, n);
}

int pr_execgate_start(struct podrun *p)
{
	int fd = sandbox_exec_notify_fd(p->box.sb);

	if (fd < 0)
		return 0;
	p->box.exec_fd = fd;
	return pr_epoll_add(p, fd, PR_SRC_EXEC, EPOLLIN);
}

void pr_execgate_dispatch(struct podrun *p, uint32_t events)
{
	struct seccomp_notif n;

	if (p->box.exec_fd < 0)
		return;
	if (!(events & EPOLLIN)) {
		/* every process of the pod is gone: nothing more to decide */
		epoll_ctl(p->loop.ep, EPOLL_CTL_DEL, p->box.exec_fd, NULL);
		return;
	}
	memset(&n, 0, sizeof n);
	if (ioctl(p->box.exec_fd, SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
		return; /* ENOENT: the caller died meanwhile */
	gate_one(p, &n);
}
