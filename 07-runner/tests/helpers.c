/*
 * helpers.c — see helpers.h: run podrun, capture, parse audit lines, count
 * leftovers on the host.
 *
 * Layer 07 (runner), tests only. Builds on libc.
 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

const char *t_podrun(void)
{
	return env_or("PODRUN_BIN", "build/podrun");
}
const char *t_workers(void)
{
	return env_or("PODRUN_WORKERS", "build/workers");
}
const char *t_tests(void)
{
	return env_or("PODRUN_TESTS", "tests");
}
int t_san(void)
{
	return !strcmp(env_or("PODRUN_SAN", "0"), "1");
}

double t_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf ? buf : strdup("");
}

static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *s;

	if (fd < 0)
		return strdup("");
	s = slurp_fd(fd);
	close(fd);
	return s;
}

static int audit_seq;

void t_run(struct run *r, const char *in, int timeout_s, const char *const argv[])
{
	int inp[2], outp[2], errp[2], st = 0, n = 0;
	const char *args[256];
	char outf[128], errf[128];
	double t0 = t_now_ms();
	pid_t pid;

	memset(r, 0, sizeof *r);
	snprintf(r->audit_path, sizeof r->audit_path, "/tmp/podrun-test-%d-%d.audit", (int)getpid(),
		 audit_seq++);
	unlink(r->audit_path);
	args[n++] = t_podrun();
	for (int i = 1; argv[i] && n < 253; i++) {
		args[n++] = strcmp(argv[i], "@AUDIT") ? argv[i] : r->audit_path;
		/* rootless (an ordinary user runs the suite): no eBPF audit, and
		 * the runner's own events are what --audit-best-effort writes */
		if (i == 1 && !strcmp(argv[1], "run") && geteuid() != 0)
			args[n++] = "--audit-best-effort";
	}
	args[n] = NULL;
	snprintf(outf, sizeof outf, "/tmp/podrun-test-%d.out", (int)getpid());
	snprintf(errf, sizeof errf, "/tmp/podrun-test-%d.err", (int)getpid());
	if (pipe(inp) < 0)
		abort();
	outp[1] = open(outf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	errp[1] = open(errf, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid = fork();
	if (pid == 0) {
		dup2(inp[0], 0);
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		close(inp[1]);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	r->pid = pid;
	close(inp[0]);
	if (in) {
		signal(SIGPIPE, SIG_IGN);
		if (write(inp[1], in, strlen(in)) < 0) {
			/* podrun may not read stdin */
		}
	}
	close(inp[1]);
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		if (t_now_ms() - t0 > timeout_s * 1000.0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		usleep(2000);
	}
	r->ms = t_now_ms() - t0;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	close(outp[1]);
	close(errp[1]);
	(void)outp;
	(void)errp;
	r->out = slurp(outf);
	r->err = slurp(errf);
	r->audit = slurp(r->audit_path);
	unlink(outf);
	unlink(errf);
}

void t_runs(struct run *r, const char *in, int timeout_s, const char *cmdline)
{
	char *copy = strdup(cmdline), *save = NULL, *tok;
	const char *argv[256];
	int n = 0;

	argv[n++] = "podrun";
	for (tok = strtok_r(copy, " ", &save); tok && n < 255; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	t_run(r, in, timeout_s, argv);
	free(copy);
}

void t_run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	free(r->audit);
	if (r->audit_path[0])
		unlink(r->audit_path);
	memset(r, 0, sizeof *r);
}

pid_t t_spawn(const char *cmdline, const char *audit_path)
{
	char *copy = strdup(cmdline), *save = NULL, *tok;
	const char *argv[256];
	int n = 0;
	pid_t pid;

	argv[n++] = t_podrun();
	for (tok = strtok_r(copy, " ", &save); tok && n < 254; tok = strtok_r(NULL, " ", &save)) {
		argv[n++] = strcmp(tok, "@AUDIT") ? tok : audit_path;
		if (n == 2 && !strcmp(tok, "run") && geteuid() != 0)
			argv[n++] = "--audit-best-effort"; /* rootless: as in t_run() */
	}
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	free(copy);
	return pid;
}

/* ---- audit lines ----------------------------------------------------------- */

static int line_has_all(const char *line, size_t len, va_list ap)
{
	const char *needle;
	va_list cp;
	int ok = 1;

	va_copy(cp, ap);
	while ((needle = va_arg(cp, const char *))) {
		size_t nl = strlen(needle);
		if (!memmem(line, len, needle, nl)) {
			ok = 0;
			break;
		}
	}
	va_end(cp);
	return ok;
}

int t_audit_count(const struct run *r, ...)
{
	const char *s = r->audit, *e;
	va_list ap;
	int count = 0;

	va_start(ap, r);
	for (; s && *s; s = e + 1) {
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		if (line_has_all(s, (size_t)(e - s), ap))
			count++;
		if (!*e)
			break;
	}
	va_end(ap);
	return count;
}

int t_audit_line(const char *audit, char *buf, size_t cap, ...)
{
	const char *s = audit, *e;
	va_list ap;

	va_start(ap, cap);
	for (; s && *s; s = e + 1) {
		e = strchr(s, '\n');
		if (!e)
			e = s + strlen(s);
		if (line_has_all(s, (size_t)(e - s), ap)) {
			size_t n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
			memcpy(buf, s, n);
			buf[n] = '\0';
			va_end(ap);
			return 1;
		}
		if (!*e)
			break;
	}
	va_end(ap);
	buf[0] = '\0';
	return 0;
}

void t_json_str(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *s, *e;
	size_t n;

	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	out[0] = '\0';
	s = strstr(line, pat);
	if (!s)
		return;
	s += strlen(pat);
	e = strchr(s, '"');
	if (!e)
		return;
	n = (size_t)(e - s) < cap - 1 ? (size_t)(e - s) : cap - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Each line: an object with ts (RFC 3339 UTC, microseconds), pod, src, cat,
 * action, what, rule, pid. A cheap structural check, not a JSON parser. */
int t_audit_wellformed(const char *audit, char *why, size_t cap)
{
	static const char *const keys[] = { "\"ts\":\"",  "\"pod\":\"",    "\"src\":\"",
					    "\"cat\":\"", "\"action\":\"", "\"what\":",
					    "\"rule\":",  "\"pid\":",      NULL };
	const char *s = audit, *e;
	int lines = 0;

	for (; s && *s; s = e + 1) {
		char ts[64];
		e = strchr(s, '\n');
		if (!e) {
			snprintf(why, cap, "last line without newline");
			return 0;
		}
		if (*s != '{' || e[-1] != '}') {
			snprintf(why, cap, "line %d is not an object", lines + 1);
			return 0;
		}
		for (int k = 0; keys[k]; k++) {
			if (!memmem(s, (size_t)(e - s), keys[k], strlen(keys[k]))) {
				snprintf(why, cap, "line %d lacks %s", lines + 1, keys[k]);
				return 0;
			}
		}
		memcpy(ts, s + 7, 27);
		ts[27] = '\0';
		if (strncmp(s, "{\"ts\":\"", 7) || ts[4] != '-' || ts[10] != 'T' || ts[19] != '.' ||
		    ts[26] != 'Z') {
			snprintf(why, cap, "line %d: bad ts %s", lines + 1, ts);
			return 0;
		}
		for (const char *c = s; c < e; c++)
			if ((unsigned char)*c < 0x20) {
				snprintf(why, cap, "line %d: raw control byte", lines + 1);
				return 0;
			}
		lines++;
	}
	return lines;
}

/* ---- leftovers ------------------------------------------------------------------ */

static int count_dir(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!prefix || !strncmp(e->d_name, prefix, strlen(prefix))))
			n++;
	closedir(d);
	return n;
}

static int count_lines_cmd(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		n++;
	pclose(f);
	return n;
}

/* The directory of this process's own cgroup in the first hierarchy found
 * of @p want ("" = cgroup v2; else a v1 controller), under @p mnt. */
int t_own_cgroup_dir(const char *want, const char *mnt, char *out, size_t cap)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		line[strcspn(line, "\n")] = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (!want[0] ? c1[1] == '\0' : strstr(c1 + 1, want) != NULL) {
			snprintf(out, cap, "%s%s", mnt, strcmp(c2 + 1, "/") ? c2 + 1 : "");
			found = access(out, F_OK) == 0;
		}
	}
	fclose(f);
	return found;
}

/*
 * Where the pods' cgroups are looked for: in each hierarchy, the cgroup of
 * this process (03 makes a pod's under its runner's own, and podrun is this
 * process's child), which may lie below the hierarchy's top (a memory cgroup
 * of a service manager), and the top itself. NULL-terminated.
 */
static const char *const *cg_roots_list(void)
{
	static const char *const hier[][2] = { { "memory", "/sys/fs/cgroup/memory" },
					       { "pids", "/sys/fs/cgroup/pids" },
					       { "cpu", "/sys/fs/cgroup/cpu" },
					       { "", "/sys/fs/cgroup/unified" },
					       { "", "/sys/fs/cgroup" } };
	static char dirs[10][512];
	static const char *list[11];
	int n = 0;

	if (list[0])
		return list;
	for (size_t i = 0; i < sizeof hier / sizeof hier[0]; i++) {
		if (t_own_cgroup_dir(hier[i][0], hier[i][1], dirs[n], sizeof dirs[n]) &&
		    strcmp(dirs[n], hier[i][1]))
			list[n] = dirs[n], n++;
		snprintf(dirs[n], sizeof dirs[n], "%s", hier[i][1]);
		list[n] = dirs[n], n++;
	}
	list[n] = NULL;
	return list;
}
#define cg_roots (cg_roots_list())

/* Where podrun keeps a pod's socket directory: /run/pod with root; rootless
 * $XDG_RUNTIME_DIR when it is a directory of this user's, else /tmp. */
const char *t_sock_base(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (!geteuid())
		return "/run/pod";
	if (x && x[0] == '/' && strlen(x) < 64 && stat(x, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && access(x, W_OK | X_OK) == 0)
		return x;
	return "/tmp";
}

/* podrun's run directory (registry records, resolv.conf, mask files):
 * /run/podrun with root; rootless podrun-<uid> under the socket base. */
const char *t_run_dir(void)
{
	static char dir[128];

	if (!geteuid())
		return "/run/podrun";
	snprintf(dir, sizeof dir, "%s/podrun-%u", t_sock_base(), (unsigned)geteuid());
	return dir;
}

/* Is the runner with this pid gone? */
static int pid_gone(int pid)
{
	return pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH);
}

/*
 * Is the cgroup directory @name a pod's whose runner is gone? podrun names a
 * pod's cgroups sbx-<pod id> and records them with its pid in
 * <run dir>/<pod id>.owner before creating them; 03's own names (its
 * tests, other embedders) are sbx-<runner pid>-<n>. A podrun name with no
 * record is a leftover.
 */
static int cgroup_of_dead_runner(const char *name)
{
	char rec[320];
	FILE *f;
	int pid = 0;
	unsigned n;

	if (strncmp(name, "sbx-", 4))
		return 0;
	snprintf(rec, sizeof rec, "%s/%s.owner", t_run_dir(), name + 4);
	f = fopen(rec, "re");
	if (f) {
		int ok = fscanf(f, "runner %d", &pid) == 1;

		fclose(f);
		return !ok || pid_gone(pid);
	}
	if (sscanf(name, "sbx-%d-%u", &pid, &n) == 2)
		return pid_gone(pid);
	return 1;
}

/* cgroups of pods whose runner no longer exists. */
static int dead_cgroups(void)
{
	int n = 0;

	for (int i = 0; cg_roots[i]; i++) {
		DIR *d = opendir(cg_roots[i]);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d)))
			n += cgroup_of_dead_runner(e->d_name);
		closedir(d);
	}
	return n;
}

void t_leftovers(struct leftovers *l)
{
	char ids[160];

	snprintf(ids, sizeof ids, "%s/ids", t_run_dir());
	l->run_pod = count_dir(t_sock_base(), "ipc-");
	/* (the id range locks' directory, /run/podrun/ids, stays by design) */
	l->run_podrun = count_dir(t_run_dir(), NULL) - (access(ids, F_OK) == 0);
	l->shm = count_dir("/dev/shm", "pod-ring");
	l->mounts = count_lines_cmd("cat /proc/self/mountinfo");
	l->veths = count_lines_cmd("ip -o link show 2>/dev/null | grep -E '^[0-9]+: podr[0-9]'");
	l->bpf_links = count_lines_cmd("bpftool link list 2>/dev/null | grep -E '^[0-9]+:'");
	l->bpf_progs = count_lines_cmd("bpftool prog list 2>/dev/null | grep -E '^[0-9]+:'");
	/* (BPF links and programs: counted for the report; other programs'
	 * eBPF tests load them on the machine too, so a pod's own links are judged
	 * by id, from its start event, in t_pod_objects_gone()) */
	/* (network namespaces are anonymous: a pod's dies with its last process,
	 * which the veth check and the dead-runner cgroups cover; lsns counts
	 * every namespace of the machine, so it is only
	 * reported, not judged) */
	l->netns = count_lines_cmd("lsns -t net -n 2>/dev/null");
	l->cgroups = dead_cgroups();
}

int t_no_leftovers(const struct leftovers *b, int ms, char *why, size_t cap)
{
	struct leftovers a;
	double t0 = t_now_ms();

	for (;;) {
		t_leftovers(&a);
		/* other programs run on the machine too: only growth counts */
		if (a.run_pod <= b->run_pod && a.run_podrun <= b->run_podrun && a.shm <= b->shm &&
		    a.mounts <= b->mounts && a.veths <= b->veths && a.cgroups <= b->cgroups)
			return 1;
		if (t_now_ms() - t0 > ms)
			break;
		usleep(50000);
	}
	snprintf(why, cap,
		 "before/after: /run/pod %d/%d, /run/podrun %d/%d, shm %d/%d, "
		 "mounts %d/%d, "
		 "veths %d/%d, bpf links %d/%d, bpf progs %d/%d, netns %d/%d, "
		 "dead-runner cgroups %d/%d",
		 b->run_pod, a.run_pod, b->run_podrun, a.run_podrun, b->shm, a.shm, b->mounts,
		 a.mounts, b->veths, a.veths, b->bpf_links, a.bpf_links, b->bpf_progs, a.bpf_progs,
		 b->netns, a.netns, b->cgroups, a.cgroups);
	return 0;
}

/* The start event names the pod's own objects; each must be gone. */
int t_pod_objects_gone(const char *audit, char *why, size_t cap)
{
	char line[8192], dir[256], veth[32], pod[32], path[512];
	struct stat st;

	if (!t_audit_line(audit, line, sizeof line, "\"what\":\"start\"", NULL)) {
		snprintf(why, cap, "no start event");
		return 0;
	}
	t_json_str(line, "ipc_dir", dir, sizeof dir);
	t_json_str(line, "veth", veth, sizeof veth);
	t_json_str(line, "pod", pod, sizeof pod);
	if (dir[0] && stat(dir, &st) == 0) {
		snprintf(why, cap, "socket directory %s left", dir);
		return 0;
	}
	snprintf(path, sizeof path, "%s/%s.owner", t_run_dir(), pod);
	if (stat(path, &st) == 0) {
		snprintf(why, cap, "registry record %s left", path);
		return 0;
	}
	if (veth[0]) {
		snprintf(path, sizeof path, "/sys/class/net/%s", veth);
		if (stat(path, &st) == 0) {
			snprintf(why, cap, "veth %s left", veth);
			return 0;
		}
	}
	/* BPF links: "bpf_links":[id,...]; bpftool fails for an id that is gone */
	{
		const char *c = strstr(line, "\"bpf_links\":[");
		if (c) {
			c += 13;
			while (*c >= '0' && *c <= '9') {
				char show[96];
				unsigned id = (unsigned)strtoul(c, (char **)&c, 10);
				int gone = 0;
				for (int i = 0; i < 60 && !gone; i++) {
					snprintf(show, sizeof show,
						 "bpftool link show id %u "
						 ">/dev/null 2>&1",
						 id);
					gone = system(show) != 0;
					if (!gone)
						usleep(50000);
				}
				if (!gone) {
					snprintf(why, cap, "BPF link %u left", id);
					return 0;
				}
				if (*c == ',')
					c++;
			}
		}
	}
	/* cgroups: "cgroups":["/sys/fs/cgroup/..",..] */
	{
		const char *c = strstr(line, "\"cgroups\":[");
		if (c) {
			c += 11;
			while (*c == '"') {
				const char *e = strchr(c + 1, '"');
				size_t n;
				if (!e)
					break;
				n = (size_t)(e - c - 1) < sizeof path - 1 ? (size_t)(e - c - 1)
									  : sizeof path - 1;
				memcpy(path, c + 1, n);
				path[n] = '\0';
				if (stat(path, &st) == 0) {
					snprintf(why, cap, "cgroup %s left", path);
					return 0;
				}
				c = e + 1;
				if (*c == ',')
					c++;
			}
		}
	}
	return 1;
}

/* Entries of @p dir whose name starts with @p prefix; the first in @p hit. */
static int find_prefix(const char *dir, const char *prefix, char *hit, size_t cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && n++ == 0)
			snprintf(hit, cap, "%s/%s", dir, e->d_name);
	closedir(d);
	return n;
}

/* A <run dir>/<pod>.owner record whose runner is @p runner. */
static int runner_record(pid_t runner, char *hit, size_t cap)
{
	DIR *d = opendir(t_run_dir());
	struct dirent *e;
	char path[512], line[64];
	int n = 0, pid;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		FILE *f;
		if (!strstr(e->d_name, ".owner"))
			continue;
		snprintf(path, sizeof path, "%s/%s", t_run_dir(), e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(line, sizeof line, f) && sscanf(line, "runner %d", &pid) == 1 &&
		    pid == (int)runner && n++ == 0)
			snprintf(hit, cap, "%s", path);
		fclose(f);
	}
	closedir(d);
	return n;
}

/* A cgroup whose name begins with @p prefix, in any hierarchy: said in @p why. */
static int cgroup_named(const char *prefix, char *why, size_t cap)
{
	char hit[512];

	for (int i = 0; cg_roots[i]; i++)
		if (find_prefix(cg_roots[i], prefix, hit, sizeof hit)) {
			snprintf(why, cap, "cgroup %s left", hit);
			return 1;
		}
	return 0;
}

/* What one runner still holds, by its pid and pod id; 1 when nothing. */
static int runner_named_gone(pid_t runner, const char *pod, char *why, size_t cap)
{
	char prefix[64], hit[512];

	snprintf(prefix, sizeof prefix, "pod-ring-%d-", (int)runner);
	if (find_prefix("/dev/shm", prefix, hit, sizeof hit)) {
		snprintf(why, cap, "shm %s left", hit);
		return 0;
	}
	/* podrun names a pod's cgroups sbx-<pod id> (03's own sbx-<pid>-<n> is
	 * not looked for by pid: pids are reused within a run of the suite, and a
	 * dead process's leftover is the dead-cgroup count's) */
	if (pod[0]) {
		snprintf(prefix, sizeof prefix, "sbx-%s", pod);
		if (cgroup_named(prefix, why, cap))
			return 0;
	}
	if (runner_record(runner, hit, sizeof hit)) {
		snprintf(why, cap, "registry record %s left", hit);
		return 0;
	}
	snprintf(prefix, sizeof prefix, "%s.", pod);
	if (pod[0] && find_prefix(t_run_dir(), prefix, hit, sizeof hit)) {
		snprintf(why, cap, "%s left", hit);
		return 0;
	}
	return 1;
}

int t_runner_left_nothing(const char *audit, pid_t runner, int ms, char *why, size_t cap)
{
	char line[8192], pod[32];
	double t0 = t_now_ms();

	if (!t_audit_line(audit, line, sizeof line, "\"what\":\"start\"", NULL)) {
		snprintf(why, cap, "runner %d: no start event", (int)runner);
		return 0;
	}
	t_json_str(line, "pod", pod, sizeof pod);
	for (;;) {
		if (t_pod_objects_gone(audit, why, cap) && runner_named_gone(runner, pod, why, cap))
			return 1;
		if (t_now_ms() - t0 > ms)
			return 0;
		usleep(50000);
	}
}

int t_runner_pid_left_nothing(pid_t runner, int ms, char *why, size_t cap)
{
	double t0 = t_now_ms();

	while (!runner_named_gone(runner, "", why, cap)) {
		if (t_now_ms() - t0 > ms)
			return 0;
		usleep(50000);
	}
	return 1;
}

static pid_t tmp_owner;

static void tmp_cleanup(void)
{
	char c[128];

	if (getpid() != tmp_owner) /* a forked helper of the test: not its files */
		return;
	snprintf(c, sizeof c, "rm -rf /tmp/podrun-test-%d-*", (int)tmp_owner);
	if (system(c) != 0)
		fprintf(stderr, "could not remove /tmp/podrun-test-%d-*\n", (int)tmp_owner);
}

void t_tmp_cleanup_at_exit(void)
{
	if (tmp_owner == getpid())
		return;
	tmp_owner = getpid();
	atexit(tmp_cleanup);
}

const char *t_write_tmp(const char *name, const char *content)
{
	static char paths[8][256];
	static int slot;
	char *p = paths[slot++ & 7];
	int fd;

	snprintf(p, 256, "/tmp/podrun-test-%d-%s", (int)getpid(), name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, content, strlen(content)) < 0) {
			/* reported by the caller's assertions */
		}
		close(fd);
	}
	return p;
}

pid_t t_http_server(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0)
		return -1;
	getsockname(s, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid == 0) {
		static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: "
					   "6\r\nConnection: close\r\n\r\nhello\n";
		alarm(600);
		for (;;) {
			char buf[4096];
			int c = accept(s, NULL, NULL);
			if (c < 0)
				continue;
			struct pollfd pf = { c, POLLIN, 0 };
			if (poll(&pf, 1, 2000) > 0 && read(c, buf, sizeof buf) > 0 &&
			    write(c, resp, sizeof resp - 1) < 0) {
				/* client gone */
			}
			close(c);
		}
	}
	close(s);
	return pid;
}
