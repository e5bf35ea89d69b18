/*
 * podrun-oci — Pod/Runner as an OCI runtime: the runc/crun command line
 * (create, start, state, kill, delete) on top of libpodrun.
 *
 * Layer 07 (runner), a thin client of include/podrun.h (and 04-policy's
 * header, to check an annotation's policy at create time). Used by container
 * engines: podman (through conmon), containerd, CRI-O.
 *
 * Processes: `create` forks the runner supervisor and returns once it is
 * ready. The supervisor is the container's process for the engine: its pid
 * goes to --pid-file and to `state`, the engine (conmon, as a subreaper) waits
 * for it, and it exits with the pod's status (the worker's code, 128+N for a
 * signal). It holds the container's stdio, and starts the pod (policy, rings,
 * proxy, sandbox, audit: podrun_start) when `start` asks over its control
 * socket ROOT/ID/ctl. `kill` is forwarded the same way; `delete` waits until
 * the supervisor has cleaned up and removes ROOT/ID. State lives in
 * ROOT/ID/state.json (ROOT: --root, default /run/podrun-oci).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "podrun.h"
#include "policy.h"

#define OCI_VERSION "1.0.2"
#define DEFAULT_ROOT "/run/podrun-oci"
#define MAX_CONFIG (4u << 20)
#define MAX_ID 128

/* The policy of a bundle without an org.podrun.policy annotation: no network,
 * the image as the file view (see docs/oci.md). */
#define DEFAULT_POLICY                                                                             \
	"{\"version\":1,\"net\":{\"default\":\"deny\"},\"fs\":{\"default\":\"allow\"},"            \
	"\"run\":{\"default\":\"allow\"},\"ffi\":{\"default\":\"allow\"}}"

static const char *g_root = DEFAULT_ROOT;
static const char *g_log;
static int g_log_json;

/* ---- errors ----------------------------------------------------------------- */

static void log_line(const char *level, const char *msg)
{
	char ts[64];
	struct timespec now;
	struct tm tm;
	FILE *f;

	if (!g_log || !*g_log)
		return;
	f = fopen(g_log, "ae");
	if (!f)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (g_log_json) {
		cJSON *o = cJSON_CreateObject();
		char *s;
		cJSON_AddStringToObject(o, "level", level);
		cJSON_AddStringToObject(o, "msg", msg);
		cJSON_AddStringToObject(o, "time", ts);
		s = cJSON_PrintUnformatted(o);
		if (s)
			fprintf(f, "%s\n", s);
		free(s);
		cJSON_Delete(o);
	} else {
		fprintf(f, "%s %s podrun-oci: %s\n", ts, level, msg);
	}
	fclose(f);
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "podrun-oci: %s\n", msg);
	log_line("error", msg);
	return 1;
}

/* ---- small helpers ---------------------------------------------------------- */

static int valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > MAX_ID || id[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("_.+-", id[i]))
			return 0;
	return 1;
}

static void path_of(char *out, size_t cap, const char *id, const char *leaf)
{
	snprintf(out, cap, "%s/%s%s%s", g_root, id, leaf ? "/" : "", leaf ? leaf : "");
}

static char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	while (buf && n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = n;
	}
	return buf;
}

/* Line and column (1-based) of @at in @text. */
static void position(const char *text, const char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const char *s = text; s < at && *s; s++) {
		if (*s == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	int fd, ok;

	snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

/* ---- the state file ----------------------------------------------------------- */

struct state {
	cJSON *doc; /* the OCI state object plus our private keys */
};

static int state_load(const char *id, struct state *st)
{
	char path[PATH_MAX], *text;

	path_of(path, sizeof path, id, "state.json");
	text = read_file(path, 1u << 20, NULL);
	if (!text)
		return -errno ? -errno : -ENOENT;
	st->doc = cJSON_Parse(text);
	free(text);
	return st->doc ? 0 : -EINVAL;
}

static int state_save(const char *id, struct state *st)
{
	char path[PATH_MAX], *text = cJSON_Print(st->doc);
	int ret;

	if (!text)
		return -ENOMEM;
	path_of(path, sizeof path, id, "state.json");
	ret = write_atomic(path, text);
	free(text);
	return ret;
}

/* Set @key of @o to @v (replaced or added). */
static void jset(cJSON *o, const char *key, cJSON *v)
{
	if (cJSON_HasObjectItem(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
	else
		cJSON_AddItemToObject(o, key, v);
}

static void state_set(struct state *st, const char *status, int pid)
{
	jset(st->doc, "status", cJSON_CreateString(status));
	jset(st->doc, "pid", cJSON_CreateNumber(pid));
}

static const char *state_status(const struct state *st)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(st->doc, "status");

	return cJSON_IsString(s) ? s->valuestring : "stopped";
}

/* ---- the control socket ------------------------------------------------------ */

static int ctl_addr(const char *id, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if ((size_t)snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s/ctl", g_root, id) >=
	    sizeof sa->sun_path)
		return -ENAMETOOLONG;
	return 0;
}

/* Send one request line to the supervisor and read its one-line answer.
 * Returns 0 with the answer, -ECONNREFUSED/-ENOENT when no supervisor runs. */
static int ctl_call(const char *id, const char *req, char *ans, size_t cap, int timeout_s)
{
	struct sockaddr_un sa;
	struct timeval tv = { .tv_sec = timeout_s };
	char line[160];
	size_t n = 0;
	ssize_t r;
	int fd, ret;

	if ((ret = ctl_addr(id, &sa)) < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	snprintf(line, sizeof line, "%s\n", req);
	if (write(fd, line, strlen(line)) < 0) { /* one write: the answer may close at once */
		close(fd);
		return -EPIPE;
	}
	while (n + 1 < cap && (r = read(fd, ans + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	ans[n] = '\0';
	if (n && ans[n - 1] == '\n')
		ans[n - 1] = '\0';
	return n ? 0 : -EPIPE;
}

static int supervisor_alive(const char *id)
{
	char ans[256];

	return ctl_call(id, "ping", ans, sizeof ans, 5) == 0;
}

/* ---- the bundle ------------------------------------------------------------- */

/* What the pod gets from config.json. */
struct bundle {
	cJSON *cfg;
	char rootfs[PATH_MAX];
	int terminal;
	char *policy; /* JSON text handed to podrun */
	const char *audit;
};

static const cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int check_namespaces(const cJSON *linux_)
{
	static const char *const ok[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
	const cJSON *ns = item(linux_, "namespaces"), *n;

	if (ns && !cJSON_IsArray(ns))
		return fail("config.json: linux.namespaces must be an array");
	cJSON_ArrayForEach(n, ns)
	{
		const cJSON *t = item(n, "type"), *path = item(n, "path");
		int known = 0;
		if (!cJSON_IsString(t))
			return fail("config.json: linux.namespaces: an entry without a \"type\"");
		for (int i = 0; ok[i]; i++)
			known |= !strcmp(ok[i], t->valuestring);
		if (!strcmp(t->valuestring, "user"))
			return fail(
			    "config.json: namespace \"user\" is not supported (the pod runs with "
			    "no capabilities in its own pid, mount, network, ipc, uts and cgroup "
			    "namespaces)");
		if (!known)
			return fail("config.json: unknown namespace type \"%s\"", t->valuestring);
		if (cJSON_IsString(path) && *path->valuestring)
			return fail(
			    "config.json: namespace \"%s\" with a path (%s): joining an existing "
			    "namespace is not supported, the pod always gets its own (with podman: "
			    "--network none)",
			    t->valuestring, path->valuestring);
	}
	return 0;
}

/* linux.maskedPaths and readonlyPaths: the pod's /proc always has runc's
 * masked and read-only entries (03-sandbox) and the pod has no /sys; a path
 * beyond those is refused. */
static int check_proc_paths(const cJSON *linux_)
{
	static const char *const masked[] = {
		"acpi",          "asound",     "kcore",       "keys",
		"latency_stats", "timer_list", "timer_stats", "sched_debug",
		"scsi",          "kallsyms",   NULL
	};
	static const char *const readonly[] = { "bus", "fs", "irq", "sys", "sysrq-trigger", NULL };
	const char *const keys[] = { "maskedPaths", "readonlyPaths" };
	const cJSON *x;

	for (int k = 0; k < 2; k++)
		cJSON_ArrayForEach(x, item(linux_, keys[k]))
		{
			const char *path = cJSON_IsString(x) ? x->valuestring : "";
			int ok = !strcmp(path, "/sys") || !strncmp(path, "/sys/", 5);
			for (int i = 0; !ok && masked[i]; i++)
				ok = !strncmp(path, "/proc/", 6) && !strcmp(path + 6, masked[i]);
			for (int i = 0; !ok && k == 1 && readonly[i]; i++)
				ok = !strncmp(path, "/proc/", 6) && !strcmp(path + 6, readonly[i]);
			if (!ok)
				return fail("config.json: linux.%s entry \"%s\" is not supported "
					    "(the pod's "
					    "/proc masks runc's list, and it has no /sys)",
					    keys[k], path);
		}
	return 0;
}

static int opt_has(const cJSON *opts, const char *o)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, opts) if (cJSON_IsString(x) && !strcmp(x->valuestring, o)) return 1;
	return 0;
}

/* Create a missing mount point in the image, as runc does (symlinks resolved
 * inside the image, never outside). */
static int make_mountpoint(const char *rootfs, const char *dst, int dir)
{
	char buf[PATH_MAX], *s, *slash;
	int fd, nfd;

	if (strlen(dst) >= sizeof buf)
		return -ENAMETOOLONG;
	strcpy(buf, dst[0] == '/' ? dst + 1 : dst);
	fd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (s = buf; s && *s; s = slash ? slash + 1 : NULL) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		slash = strchr(s, '/');
		if (slash)
			*slash = '\0';
		if (slash || dir)
			mkdirat(fd, s, 0755);
		else {
			int f = openat(fd, s, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (f >= 0)
				close(f);
		}
		nfd = (int)syscall(SYS_openat2, fd, s, &how, sizeof how);
		close(fd);
		if (nfd < 0)
			return -errno;
		fd = nfd;
	}
	close(fd);
	return 0;
}

/* Kernel file systems the engine asks for that the pod gets in Pod/Runner's
 * own form (/proc, /dev) or not at all (sysfs, cgroupfs): see docs/oci.md. */
static int runner_provided(const char *type, const char *dst)
{
	static const struct {
		const char *type, *dst;
	} known[] = { { "proc", "/proc" },
		      { "tmpfs", "/dev" },
		      { "devpts", "/dev/pts" },
		      { "mqueue", "/dev/mqueue" },
		      { "sysfs", "/sys" },
		      { "cgroup", "/sys/fs/cgroup" },
		      { "cgroup2", "/sys/fs/cgroup" },
		      { "tmpfs", "/dev/shm" },
		      { NULL, NULL } };

	for (int i = 0; known[i].type; i++)
		if (!strcmp(type, known[i].type) && !strcmp(dst, known[i].dst))
			return 1;
	return 0;
}

/* Mounts: the engine's binds are honoured; its kernel file systems are the
 * runner's; anything else is refused. Applied to @p (NULL: check only). */
static int bundle_mounts(const struct bundle *b, podrun_t *p)
{
	const cJSON *ms = item(b->cfg, "mounts"), *m;
	char v[3 * PATH_MAX];

	if (ms && !cJSON_IsArray(ms))
		return fail("config.json: mounts must be an array");
	cJSON_ArrayForEach(m, ms)
	{
		const cJSON *dst = item(m, "destination"), *src = item(m, "source"),
			    *type = item(m, "type"), *opts = item(m, "options");
		const char *t = cJSON_IsString(type) ? type->valuestring : "";
		int bind = !strcmp(t, "bind") || opt_has(opts, "bind") || opt_has(opts, "rbind");
		struct stat st;

		if (!cJSON_IsString(dst) || dst->valuestring[0] != '/')
			return fail("config.json: a mount without an absolute \"destination\"");
		if (!bind && runner_provided(t, dst->valuestring))
			continue;
		if (!bind)
			return fail(
			    "config.json: mount %s of type \"%s\" is not supported (binds only; "
			    "/proc and /dev are the runner's)",
			    dst->valuestring, t);
		if (!cJSON_IsString(src) || src->valuestring[0] != '/' ||
		    stat(src->valuestring, &st) < 0)
			return fail("config.json: bind mount %s: source %s: %s", dst->valuestring,
				    cJSON_IsString(src) ? src->valuestring : "(none)",
				    strerror(errno ? errno : EINVAL));
		if (strchr(src->valuestring, '\t') || strchr(dst->valuestring, '\t'))
			return fail("config.json: bind mount %s: a tab in a path",
				    dst->valuestring);
		if (!p)
			continue;
		if (strncmp(dst->valuestring, "/dev/", 5) &&
		    strncmp(dst->valuestring, "/proc/", 6) &&
		    strncmp(dst->valuestring, "/tmp/", 5) &&
		    strncmp(dst->valuestring, "/run/", 5) &&
		    make_mountpoint(b->rootfs, dst->valuestring, S_ISDIR(st.st_mode)) < 0)
			return fail("mount point %s in %s: %s", dst->valuestring, b->rootfs,
				    strerror(errno));
		snprintf(v, sizeof v, "%s\t%s\t%s", opt_has(opts, "ro") ? "ro" : "rw",
			 src->valuestring, dst->valuestring);
		if (podrun_set_option(p, "rootfs-bind", v) < 0)
			return fail("config.json: bind mount %s: refused", dst->valuestring);
	}
	return 0;
}

static int rlimit_of(const char *name, int *res)
{
	if (!strcmp(name, "RLIMIT_NOFILE"))
		*res = RLIMIT_NOFILE;
	else if (!strcmp(name, "RLIMIT_NPROC"))
		*res = RLIMIT_NPROC;
	else if (!strcmp(name, "RLIMIT_FSIZE"))
		*res = RLIMIT_FSIZE;
	else if (!strcmp(name, "RLIMIT_CORE"))
		*res = RLIMIT_CORE;
	else
		return -1;
	return 0;
}

static int bundle_rlimits(const struct bundle *b, podrun_t *p)
{
	const cJSON *rl = item(item(b->cfg, "process"), "rlimits"), *r;
	char v[32];

	cJSON_ArrayForEach(r, rl)
	{
		const cJSON *t = item(r, "type"), *soft = item(r, "soft"), *hard = item(r, "hard");
		struct rlimit mine;
		int res;
		if (!cJSON_IsString(t) || !cJSON_IsNumber(soft) || !cJSON_IsNumber(hard) ||
		    soft->valuedouble < 0 || hard->valuedouble < soft->valuedouble)
			return fail("config.json: process.rlimits: a bad entry");
		if (rlimit_of(t->valuestring, &res) < 0)
			return fail("config.json: rlimit %s is not supported", t->valuestring);
		if (res == RLIMIT_CORE) {
			if (hard->valuedouble != 0)
				return fail("config.json: RLIMIT_CORE must be 0 (the pod never "
					    "dumps core)");
			continue;
		}
		if (res == RLIMIT_NOFILE && getrlimit(RLIMIT_NOFILE, &mine) == 0 &&
		    hard->valuedouble > (double)mine.rlim_max)
			return fail(
			    "config.json: RLIMIT_NOFILE %.0f is above the runtime's own hard limit "
			    "%llu",
			    hard->valuedouble, (unsigned long long)mine.rlim_max);
		snprintf(v, sizeof v, "%.0f", soft->valuedouble);
		if (p && podrun_set_option(p,
					   res == RLIMIT_NOFILE  ? "rlimit-nofile"
					   : res == RLIMIT_NPROC ? "rlimit-nproc"
								 : "rlimit-fsize",
					   v) < 0)
			return fail("config.json: rlimit %s %s: refused", t->valuestring, v);
	}
	return 0;
}

/* linux.resources: memory, pids, cpu; the devices list may only deny. */
static int bundle_resources(const struct bundle *b, podrun_t *p)
{
	const cJSON *res = item(item(b->cfg, "linux"), "resources"), *x;
	uint64_t mem = 0;
	uint32_t pids = 0;

	cJSON_ArrayForEach(x, res)
	{
		const char *k = x->string;
		if (!strcmp(k, "devices")) {
			const cJSON *d;
			cJSON_ArrayForEach(d, x) if (cJSON_IsTrue(item(d, "allow"))) return fail(
			    "config.json: linux.resources.devices: allowing a device "
			    "is not supported (the pod's /dev is the runner's)");
		} else if (!strcmp(k, "memory")) {
			const cJSON *l = item(x, "limit"), *y;
			cJSON_ArrayForEach(
			    y,
			    x) if ((strcmp(y->string, "limit") && strcmp(y->string, "swap") &&
				    strcmp(y->string, "disableOOMKiller")) ||
				   (!strcmp(y->string, "disableOOMKiller") &&
				    cJSON_IsTrue(
					y))) return fail("config.json: linux.resources.memory.%s "
							 "is not supported",
							 y->string);
			/* (swap: memory+swap is held at the memory limit itself) */
			if (cJSON_IsNumber(l) && l->valuedouble > 0)
				mem = (uint64_t)l->valuedouble;
		} else if (!strcmp(k, "pids")) {
			const cJSON *l = item(x, "limit");
			if (cJSON_IsNumber(l) && l->valuedouble > 0 && l->valuedouble < 4e9)
				pids = (uint32_t)l->valuedouble;
		} else if (!strcmp(k, "cpu")) {
			const cJSON *q = item(x, "quota"), *per = item(x, "period"), *y;
			cJSON_ArrayForEach(
			    y, x) if ((strcmp(y->string, "quota") && strcmp(y->string, "period") &&
				       strcmp(y->string, "shares")) ||
				      (!strcmp(y->string, "shares") && cJSON_IsNumber(y) &&
				       y->valuedouble != 0 &&
				       y->valuedouble !=
					   1024)) return fail("config.json: linux.resources.cpu.%s "
							      "is not supported",
							      y->string);
			if (cJSON_IsNumber(q) && q->valuedouble > 0) {
				double period = cJSON_IsNumber(per) && per->valuedouble > 0
						    ? per->valuedouble
						    : 100000;
				char v[32];
				snprintf(v, sizeof v, "%.0f",
					 q->valuedouble * 100 / period < 1
					     ? 1
					     : q->valuedouble * 100 / period);
				if (p && podrun_set_option(p, "cpu-percent", v) < 0)
					return fail(
					    "config.json: linux.resources.cpu: quota out of range");
			}
		} else {
			return fail("config.json: linux.resources.%s is not supported", k);
		}
	}
	if (p && (mem || pids))
		podrun_set_limits(p, 0, mem, pids);
	return 0;
}

/* The whole image is the pod's file view: fs, run and ffi allow by default
 * and list no paths, and env lists nothing (the environment is the bundle's).
 * libpodrun refuses such a policy too; here it fails create, not start. */
static int policy_fits_image(const policy_t *pol, const char *src)
{
	static const struct {
		enum pol_cat c;
		const char *name;
		int need_allow;
	} cats[] = { { POL_FS_READ, "fs.read", 1 },
		     { POL_FS_WRITE, "fs.write", 1 },
		     { POL_RUN, "run", 1 },
		     { POL_FFI, "ffi", 1 },
		     { POL_ENV, "env", 0 } };
	const struct pol_rule *r;
	size_t n;

	for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++) {
		if (cats[i].need_allow && policy_default(pol, cats[i].c) != POL_ALLOW)
			return fail(
			    "%s: %s must default to \"allow\" in a container (the whole image is "
			    "its file view)",
			    src, cats[i].name);
		r = NULL;
		n = 0;
		if (policy_rules(pol, cats[i].c, &r, &n) == 0 && r && n)
			return fail("%s: %s rule \"%s\" is not supported in a container", src,
				    cats[i].name, r[0].pattern);
	}
	return 0;
}

/* The Pod/Runner policy from the annotations (or the default), with the
 * categories a rootfs pod needs filled in when absent. */
static int bundle_policy(struct bundle *b)
{
	const cJSON *ann = item(b->cfg, "annotations");
	const cJSON *pj = item(ann, "org.podrun.policy"), *pf = item(ann, "org.podrun.policy-file");
	const cJSON *au = item(ann, "org.podrun.audit");
	const char *src = "default", *end = NULL;
	char *text = NULL;
	cJSON *doc;
	policy_t *pol = NULL;
	struct pol_error e;
	int ret;

	if (cJSON_IsString(au) && au->valuestring[0] == '/')
		b->audit = au->valuestring;
	else if (au)
		return fail("annotation org.podrun.audit: an absolute path is expected");
	if (pj && pf)
		return fail("annotations: org.podrun.policy and org.podrun.policy-file both given");
	if (pj) {
		if (!cJSON_IsString(pj))
			return fail("annotation org.podrun.policy: a JSON text is expected");
		text = strdup(pj->valuestring);
		src = "annotation org.podrun.policy";
	} else if (pf) {
		if (!cJSON_IsString(pf) || pf->valuestring[0] != '/')
			return fail(
			    "annotation org.podrun.policy-file: an absolute path is expected");
		text = read_file(pf->valuestring, 1u << 20, NULL);
		if (!text)
			return fail("policy file %s: %s", pf->valuestring, strerror(errno));
		src = pf->valuestring;
	} else {
		text = strdup(DEFAULT_POLICY);
	}
	if (!text)
		return fail("out of memory");
	doc = cJSON_ParseWithOpts(text, &end, 0);
	if (!doc || !cJSON_IsObject(doc)) {
		int line, col;
		position(text, end ? end : text, &line, &col);
		free(text);
		cJSON_Delete(doc);
		return fail("%s:%d:%d: not a JSON object", src, line, col);
	}
	/* the whole image is the pod's file view: fs, run, ffi allow unless said */
	if (!item(doc, "fs"))
		cJSON_AddItemToObject(doc, "fs", cJSON_Parse("{\"default\":\"allow\"}"));
	if (!item(doc, "run"))
		cJSON_AddItemToObject(doc, "run", cJSON_Parse("{\"default\":\"allow\"}"));
	if (!item(doc, "ffi"))
		cJSON_AddItemToObject(doc, "ffi", cJSON_Parse("{\"default\":\"allow\"}"));
	b->policy = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	/* check it now, so that create fails (not start), with the user's positions */
	memset(&e, 0, sizeof e);
	ret = policy_new(&pol);
	if (ret >= 0)
		ret = policy_load_json(pol, text, strlen(text), src, &e);
	if (ret >= 0)
		ret = policy_finalize(pol, &e);
	if (ret < 0) {
		policy_free(pol);
		free(text);
		return e.line ? fail("%s:%d:%d: %s", src, e.line, e.column, e.msg)
			      : fail("%s: %s", src, e.msg[0] ? e.msg : strerror(-ret));
	}
	policy_free(pol);
	free(text);
	if (!b->policy)
		return fail("out of memory");
	/* the policy as the pod gets it (with the categories filled in) */
	pol = NULL;
	ret = policy_new(&pol);
	if (ret >= 0)
		ret = policy_load_json(pol, b->policy, strlen(b->policy), src, &e);
	if (ret >= 0)
		ret = policy_finalize(pol, &e);
	ret = ret < 0 ? fail("%s: %s", src, e.msg[0] ? e.msg : strerror(-ret))
		      : policy_fits_image(pol, src);
	policy_free(pol);
	return ret;
}

static int bundle_load(const char *dir, struct bundle *b)
{
	char path[PATH_MAX], *text;
	const char *end = NULL;
	const cJSON *proc, *root, *args, *hooks, *x;
	struct stat st;
	size_t len = 0;

	memset(b, 0, sizeof *b);
	if (strlen(dir) + 13 > sizeof path)
		return fail("bundle %s: path too long", dir);
	snprintf(path, sizeof path, "%s/config.json", dir);
	text = read_file(path, MAX_CONFIG, &len);
	if (!text)
		return fail("bundle %s: config.json: %s", dir, strerror(errno));
	b->cfg = cJSON_ParseWithOpts(text, &end, 1);
	if (!b->cfg) {
		int line, col;
		position(text, end ? end : text, &line, &col);
		free(text);
		return fail("%s:%d:%d: bad JSON", path, line, col);
	}
	free(text);
	if (!cJSON_IsObject(b->cfg))
		return fail("%s: not a JSON object", path);
	if (!cJSON_IsString(item(b->cfg, "ociVersion")))
		return fail("%s: ociVersion is missing", path);
	hooks = item(b->cfg, "hooks");
	cJSON_ArrayForEach(x, hooks) if (cJSON_GetArraySize(x) > 0) return fail(
	    "config.json: hooks (%s) are not supported: nothing runs outside the "
	    "sandbox on the pod's behalf",
	    x->string);
	proc = item(b->cfg, "process");
	args = item(proc, "args");
	if (!cJSON_IsObject(proc) || !cJSON_IsArray(args) || cJSON_GetArraySize(args) < 1 ||
	    !cJSON_IsString(cJSON_GetArrayItem(args, 0)))
		return fail("config.json: process.args is missing or empty");
	cJSON_ArrayForEach(x, args) if (!cJSON_IsString(x)) return fail(
	    "config.json: process.args: strings expected");
	b->terminal = cJSON_IsTrue(item(proc, "terminal"));
	root = item(b->cfg, "root");
	x = item(root, "path");
	if (!cJSON_IsString(x) || !*x->valuestring)
		return fail("config.json: root.path is missing");
	if (strlen(dir) + strlen(x->valuestring) + 2 > sizeof b->rootfs)
		return fail("config.json: root.path too long");
	if (x->valuestring[0] == '/')
		snprintf(b->rootfs, sizeof b->rootfs, "%s", x->valuestring);
	else
		snprintf(b->rootfs, sizeof b->rootfs, "%.2048s/%.2040s", dir, x->valuestring);
	if (!realpath(b->rootfs, path) || stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail("config.json: root.path %s: not a directory", b->rootfs);
	snprintf(b->rootfs, sizeof b->rootfs, "%s", path);
	if (check_namespaces(item(b->cfg, "linux")) || check_proc_paths(item(b->cfg, "linux")) ||
	    bundle_mounts(b, NULL) || bundle_rlimits(b, NULL) || bundle_resources(b, NULL) ||
	    bundle_policy(b))
		return 1;
	return 0;
}

static void bundle_free(struct bundle *b)
{
	cJSON_Delete(b->cfg);
	free(b->policy);
}

/* The podrun configuration from the bundle (in the supervisor). */
static int bundle_apply(struct bundle *b, podrun_t *p)
{
	const cJSON *proc = item(b->cfg, "process"), *x, *u = item(proc, "user");
	const cJSON *args = item(proc, "args");
	char v[64];
	int first = 1;

	podrun_set_option(p, "rootfs", b->rootfs);
	cJSON_ArrayForEach(x, args)
	{
		if (first)
			podrun_set_program(p, x->valuestring);
		else if (podrun_add_arg(p, x->valuestring) < 0)
			return fail("process.args: too many");
		first = 0;
	}
	cJSON_ArrayForEach(
	    x, item(proc, "env")) if (cJSON_IsString(x) &&
				      strchr(x->valuestring, '=') != x->valuestring &&
				      podrun_set_option(p, "rootfs-env", x->valuestring) <
					  0) return fail("process.env: bad entry \"%.40s\"",
							 x->valuestring);
	x = item(proc, "cwd");
	if (cJSON_IsString(x) && podrun_set_option(p, "rootfs-cwd", x->valuestring) < 0)
		return fail("process.cwd %s: an absolute normalized path is expected",
			    x->valuestring);
	if (u) {
		const cJSON *uid = item(u, "uid"), *gid = item(u, "gid"), *um = item(u, "umask");
		cJSON_ArrayForEach(x, item(u, "additionalGids")) if (
		    !cJSON_IsNumber(x) || !cJSON_IsNumber(gid) ||
		    x->valuedouble !=
			gid->valuedouble) return fail("process.user.additionalGids is not "
						      "supported (the pod has no "
						      "supplementary groups)");
		if (um && (!cJSON_IsNumber(um) || um->valuedouble != 022))
			return fail("process.user.umask: only 0022 is supported");
		umask(022); /* inherited by the pod */
		snprintf(v, sizeof v, "%.0f:%.0f", cJSON_IsNumber(uid) ? uid->valuedouble : 0,
			 cJSON_IsNumber(gid) ? gid->valuedouble : 0);
		if (podrun_set_option(p, "rootfs-user", v) < 0)
			return fail("process.user %s: out of range", v);
	}
	x = item(proc, "oomScoreAdj");
	if (x) {
		/* the supervisor's, inherited by the pod */
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		char num[16];
		snprintf(num, sizeof num, "%d", cJSON_IsNumber(x) ? (int)x->valuedouble : 0);
		if (!cJSON_IsNumber(x) || x->valuedouble < -1000 || x->valuedouble > 1000 ||
		    fd < 0 || write(fd, num, strlen(num)) < 0) {
			if (fd >= 0)
				close(fd);
			return fail("process.oomScoreAdj: out of range or not settable");
		}
		close(fd);
	}
	x = item(b->cfg, "hostname");
	if (cJSON_IsString(x) && *x->valuestring &&
	    podrun_set_option(p, "rootfs-hostname", x->valuestring) < 0)
		return fail("hostname %s: refused", x->valuestring);
	if (bundle_mounts(b, p) || bundle_rlimits(b, p) || bundle_resources(b, p))
		return 1;
	/* where the runner's resolv.conf goes when the policy allows a network (a
	 * read-only image without one fails at start, naming the mount) */
	make_mountpoint(b->rootfs, "/etc/resolv.conf", 0);
	podrun_set_policy_json(p, b->policy);
	if (b->audit) {
		podrun_set_audit(p, b->audit);
		podrun_set_option(p, "audit-best-effort", "1");
	}
	return 0;
}

/* ---- the supervisor ------------------------------------------------------------ */

struct sup {
	const char *id;
	podrun_t *pod;
	struct state st;
	int ctl;
	int started;
};

static void sup_finish(struct sup *s, int code)
{
	char path[PATH_MAX];

	podrun_free(s->pod); /* everything of the pod is gone after this */
	s->pod = NULL;
	state_set(&s->st, "stopped", 0);
	jset(s->st.doc, "org.podrun.exit_code", cJSON_CreateNumber(code));
	state_save(s->id, &s->st);
	path_of(path, sizeof path, s->id, "ctl");
	unlink(path);
	close(s->ctl);
	_exit(code & 0xff);
}

static int signal_number(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} names[] = { { "HUP", SIGHUP },     { "INT", SIGINT },   { "QUIT", SIGQUIT },
		      { "KILL", SIGKILL },   { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
		      { "TERM", SIGTERM },   { "CONT", SIGCONT }, { "STOP", SIGSTOP },
		      { "WINCH", SIGWINCH }, { "ALRM", SIGALRM }, { NULL, 0 } };
	char *end = NULL;
	long n;

	if (!s || !*s)
		return SIGTERM;
	if (isdigit((unsigned char)*s)) {
		n = strtol(s, &end, 10);
		return *end || n < 1 || n > 64 ? -1 : (int)n;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 0; names[i].name; i++)
		if (!strcasecmp(s, names[i].name))
			return names[i].sig;
	return -1;
}

static void reply(int c, const char *ans)
{
	(void)!write(c, ans, strlen(ans));
	close(c);
}

/* One request of podrun-oci's own commands (the directory is root's, 0700). */
static void sup_request(struct sup *s)
{
	char req[128], ans[1200];
	ssize_t n;
	struct timeval tv = { .tv_sec = 2 };
	int c = accept4(s->ctl, NULL, NULL, SOCK_CLOEXEC), sig;

	if (c < 0)
		return;
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	n = read(c, req, sizeof req - 1);
	if (n <= 0) {
		close(c);
		return;
	}
	req[n] = '\0';
	req[strcspn(req, "\n")] = '\0';
	if (!strcmp(req, "ping")) {
		snprintf(ans, sizeof ans, "ok %s %d\n", s->started ? "running" : "created",
			 s->started ? podrun_pid(s->pod) : 0);
	} else if (!strcmp(req, "start")) {
		if (s->started) {
			snprintf(ans, sizeof ans, "err the container was already started\n");
		} else if (podrun_start(s->pod) < 0) {
			int code = podrun_exit_code(s->pod);
			snprintf(ans, sizeof ans, "err %.1000s\n", podrun_error(s->pod));
			reply(c, ans);
			log_line("error", podrun_error(s->pod));
			sup_finish(s, code > 0 ? code : PODRUN_EXIT_RUNNER);
		} else {
			s->started = 1;
			state_set(&s->st, "running", (int)getpid());
			jset(s->st.doc, "org.podrun.pod_pid",
			     cJSON_CreateNumber(podrun_pid(s->pod)));
			jset(s->st.doc, "org.podrun.pod_id", cJSON_CreateString(podrun_id(s->pod)));
			state_save(s->id, &s->st);
			snprintf(ans, sizeof ans, "ok\n");
		}
	} else if (!strncmp(req, "kill ", 5) && (sig = signal_number(req + 5)) > 0) {
		if (!s->started) {
			/* the pod never ran: the container ends as if killed */
			reply(c, "ok\n");
			sup_finish(s, 128 + sig);
		} else if (podrun_state(s->pod) >= PODRUN_EXITED || podrun_pid(s->pod) <= 0) {
			snprintf(ans, sizeof ans, "err the container is not running\n");
		} else if (kill(podrun_pid(s->pod), sig) < 0) {
			/* (the pod's init forwards TERM/INT/HUP/QUIT/USR1/USR2 to the
			 * worker; KILL ends the whole pod) */
			snprintf(ans, sizeof ans, "err kill: %s\n", strerror(errno));
		} else {
			snprintf(ans, sizeof ans, "ok\n");
		}
	} else {
		snprintf(ans, sizeof ans, "err bad request\n");
	}
	reply(c, ans);
}

static void supervisor(struct sup *s)
{
	for (;;) {
		struct pollfd fds[2] = { { .fd = s->ctl, .events = POLLIN },
					 { .fd = s->started ? podrun_fd(s->pod) : -1,
					   .events = POLLIN } };
		if (poll(fds, 2, s->started ? 1000 : -1) < 0 && errno != EINTR)
			sup_finish(s, PODRUN_EXIT_RUNNER);
		if (s->started) {
			podrun_dispatch(s->pod, 0);
			if (podrun_state(s->pod) == PODRUN_EXITED)
				sup_finish(s, podrun_exit_code(s->pod));
		}
		if (fds[0].revents & POLLIN)
			sup_request(s);
	}
}

/* process.terminal: a pseudo-terminal for the engine. Its master goes to the
 * engine over --console-socket (SCM_RIGHTS, the slave's name as payload, as
 * runc sends it); the supervisor relays the pod's stdio to and from the slave.
 * The pod itself never gets a terminal (it has no controlling terminal by
 * design: 03-sandbox), so it sees pipes. Returns 0 with three descriptors of
 * the slave (separate open files: the relay sets O_NONBLOCK on some). */
static int console_open(const char *sock, const cJSON *size, int fds[3])
{
	char name[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct iovec iov;
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	int m, c, ret = -1;

	fds[0] = fds[1] = fds[2] = -1;
	if (strlen(sock) >= sizeof sa.sun_path)
		return fail("--console-socket %s: path too long", sock);
	strcpy(sa.sun_path, sock);
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0) {
		if (m >= 0)
			close(m);
		return fail("pseudo-terminal: %s", strerror(errno));
	}
	for (int i = 0; i < 3; i++)
		fds[i] = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (cJSON_IsNumber(item(size, "height")) && cJSON_IsNumber(item(size, "width"))) {
		struct winsize ws = { .ws_row = (unsigned short)item(size, "height")->valuedouble,
				      .ws_col = (unsigned short)item(size, "width")->valuedouble };
		ioctl(m, TIOCSWINSZ, &ws);
	}
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fds[0] >= 0 && fds[1] >= 0 && fds[2] >= 0 && c >= 0 &&
	    connect(c, (struct sockaddr *)&sa, sizeof sa) == 0) {
		iov.iov_base = name;
		iov.iov_len = strlen(name);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof cbuf;
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &m, sizeof(int));
		ret = sendmsg(c, &mh, 0) < 0 ? -1 : 0;
	}
	if (ret < 0) {
		fail("console socket %s: %s", sock, strerror(errno));
		for (int i = 0; i < 3; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	if (c >= 0)
		close(c);
	close(m);
	return ret < 0 ? 1 : 0;
}

/* An engine's hexadecimal container id gives the pod id (its first 12 digits,
 * podman's short id), so audit events name the container; any other id keeps
 * the pod's random one. */
static void pod_id_from(const char *id, podrun_t *p)
{
	char short_id[13];
	size_t n = strspn(id, "0123456789abcdef");

	if (n < 12 || id[n])
		return;
	memcpy(short_id, id, 12);
	short_id[12] = '\0';
	podrun_set_option(p, "pod-id", short_id);
}

/* ---- commands --------------------------------------------------------------- */

static int cmd_create(const char *id, const char *bundle_dir, const char *pid_file, int preserve,
		      const char *console)
{
	char dir[PATH_MAX], bundle_abs[PATH_MAX], path[PATH_MAX];
	struct bundle b;
	struct sup s = { .id = id, .ctl = -1 };
	struct sockaddr_un sa;
	int ready[2], ret;
	pid_t pid;
	char msg[1200];
	ssize_t n;

	if (preserve > 0)
		return fail("--preserve-fds is not supported");
	if (!realpath(bundle_dir, bundle_abs))
		return fail("bundle %s: %s", bundle_dir, strerror(errno));
	if (bundle_load(bundle_abs, &b)) {
		bundle_free(&b);
		return 1;
	}
	if (b.terminal != (console != NULL)) {
		bundle_free(&b);
		return fail(b.terminal ? "process.terminal needs --console-socket"
				       : "--console-socket without process.terminal");
	}
	if (mkdir(g_root, 0700) < 0 && errno != EEXIST) {
		bundle_free(&b);
		return fail("state directory %s: %s", g_root, strerror(errno));
	}
	path_of(dir, sizeof dir, id, NULL);
	if (mkdir(dir, 0700) < 0) {
		bundle_free(&b);
		return fail(errno == EEXIST ? "container %s already exists" : "container %s: %s",
			    id, strerror(errno));
	}
	/* the state, "creating" until this command has finished */
	s.st.doc = cJSON_CreateObject();
	cJSON_AddStringToObject(s.st.doc, "ociVersion", OCI_VERSION);
	cJSON_AddStringToObject(s.st.doc, "id", id);
	cJSON_AddStringToObject(s.st.doc, "status", "creating");
	cJSON_AddNumberToObject(s.st.doc, "pid", 0);
	cJSON_AddStringToObject(s.st.doc, "bundle", bundle_abs);
	{
		/* (runc's extra fields, which containerd's runc shim reads) */
		char ts[64];
		struct timespec now;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, 32, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof ts - strlen(ts), ".%09ldZ", now.tv_nsec);
		cJSON_AddStringToObject(s.st.doc, "rootfs", b.rootfs);
		cJSON_AddStringToObject(s.st.doc, "created", ts);
		cJSON_AddStringToObject(s.st.doc, "owner", "");
	}
	cJSON_AddItemToObject(s.st.doc, "annotations",
			      item(b.cfg, "annotations")
				  ? cJSON_Duplicate(item(b.cfg, "annotations"), 1)
				  : cJSON_CreateObject());
	state_save(id, &s.st);

	if ((ret = ctl_addr(id, &sa)) < 0 ||
	    (s.ctl = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s.ctl, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s.ctl, 16) < 0) {
		ret = fail("control socket of %s: %s", id, strerror(ret < 0 ? -ret : errno));
		goto undo;
	}
	if (pipe2(ready, O_CLOEXEC) < 0) {
		ret = fail("pipe: %s", strerror(errno));
		goto undo;
	}
	pid = fork();
	if (pid < 0) {
		ret = fail("fork: %s", strerror(errno));
		goto undo;
	}
	if (pid == 0) {
		/* the supervisor: keep the container's stdio for the pod, log elsewhere */
		int in = fcntl(0, F_DUPFD_CLOEXEC, 3), out = fcntl(1, F_DUPFD_CLOEXEC, 3),
		    err = fcntl(2, F_DUPFD_CLOEXEC, 3), nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int logfd = g_log && *g_log && !g_log_json
				? open(g_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)
				: -1;
		close(ready[0]);
		setsid();
		if (chdir("/") < 0)
			_exit(PODRUN_EXIT_RUNNER);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(logfd >= 0 ? logfd : nul, 2);
		if (podrun_new(&s.pod) < 0)
			_exit(PODRUN_EXIT_RUNNER);
		if (console) {
			int tty[3];
			dup2(ready[1], 2); /* errors to the creating command */
			if (console_open(console, item(item(b.cfg, "process"), "consoleSize"), tty))
				_exit(1);
			close(in);
			close(out);
			close(err);
			in = tty[0];
			out = tty[1];
			err = tty[2];
		}
		podrun_set_stdio(s.pod, in, out, err);
		podrun_set_verbosity(s.pod, logfd >= 0 ? PODRUN_NORMAL : PODRUN_QUIET);
		podrun_set_option(s.pod, "signals", "1");
		pod_id_from(id, s.pod);
		/* errors go to the creating command through the pipe */
		dup2(ready[1], 2);
		if (bundle_apply(&b, s.pod)) {
			_exit(1);
		}
		dup2(logfd >= 0 ? logfd : nul, 2);
		bundle_free(&b);
		(void)!write(ready[1], "", 1);
		close(ready[1]);
		supervisor(&s);
		_exit(PODRUN_EXIT_RUNNER);
	}
	close(ready[1]);
	close(s.ctl);
	s.ctl = -1;
	n = read(ready[0], msg, sizeof msg - 1);
	close(ready[0]);
	if (n != 1 || msg[0] != '\0') {
		int status;
		waitpid(pid, &status, 0);
		if (n > 0) {
			msg[n] = '\0';
			fprintf(stderr, "%s", msg);
			log_line("error", msg);
		} else {
			fail("the runner supervisor of %s did not start", id);
		}
		ret = 1;
		goto undo;
	}
	if (pid_file) {
		char num[32];
		struct stat pst;
		snprintf(num, sizeof num, "%d", (int)pid);
		if ((lstat(pid_file, &pst) == 0 && !S_ISREG(pst.st_mode)) ||
		    write_atomic(pid_file, num) < 0) {
			/* a FIFO or another special file: written in place (a FIFO
			 * blocks until read: the container is "creating" until then) */
			int fd = open(pid_file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd < 0 || write(fd, num, strlen(num)) < 0) {
				kill(pid, SIGKILL);
				ret = fail("pid file %s: %s", pid_file, strerror(errno));
				if (fd >= 0)
					close(fd);
				goto undo;
			}
			close(fd);
		}
	}
	state_set(&s.st, "created", (int)pid);
	state_save(id, &s.st);
	cJSON_Delete(s.st.doc);
	bundle_free(&b);
	return 0;
undo:
	if (s.ctl >= 0)
		close(s.ctl);
	path_of(path, sizeof path, id, "ctl");
	unlink(path);
	path_of(path, sizeof path, id, "state.json");
	unlink(path);
	rmdir(dir);
	cJSON_Delete(s.st.doc);
	bundle_free(&b);
	return ret ? ret : 1;
}

static int simple_call(const char *id, const char *req, int timeout_s)
{
	char ans[1200];
	int ret = ctl_call(id, req, ans, sizeof ans, timeout_s);

	if (ret < 0)
		return fail("container %s is not running (%s)", id, strerror(-ret));
	if (strncmp(ans, "ok", 2))
		return fail("%s: %s", id, !strncmp(ans, "err ", 4) ? ans + 4 : ans);
	return 0;
}

static int need_container(const char *id, struct state *st)
{
	if (!valid_id(id))
		return fail("bad container id \"%.80s\"", id);
	if (state_load(id, st) < 0)
		return fail("container %s does not exist", id);
	return 0;
}

static int cmd_start(const char *id)
{
	struct state st = { 0 };
	int ret;

	if (need_container(id, &st))
		return 1;
	if (strcmp(state_status(&st), "created")) {
		ret = fail("container %s is %s, not created", id, state_status(&st));
		cJSON_Delete(st.doc);
		return ret;
	}
	cJSON_Delete(st.doc);
	return simple_call(id, "start", 60);
}

static int cmd_state(const char *id)
{
	struct state st = { 0 };
	char *text;

	if (need_container(id, &st))
		return 1;
	if (strcmp(state_status(&st), "stopped") && strcmp(state_status(&st), "creating") &&
	    !supervisor_alive(id))
		state_set(&st, "stopped", 0); /* the supervisor died without saying so */
	text = cJSON_Print(st.doc);
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(st.doc);
	return 0;
}

static int cmd_kill(const char *id, const char *sig)
{
	struct state st = { 0 };
	char req[64];

	if (need_container(id, &st))
		return 1;
	cJSON_Delete(st.doc);
	if (signal_number(sig) < 0)
		return fail("unknown signal %s", sig);
	snprintf(req, sizeof req, "kill %d", signal_number(sig));
	return simple_call(id, req, 10);
}

static int cmd_delete(const char *id, int force)
{
	struct state st = { 0 };
	char path[PATH_MAX];
	int alive;

	if (!valid_id(id))
		return fail("bad container id \"%.80s\"", id);
	if (state_load(id, &st) < 0)
		return force ? 0 : fail("container %s does not exist", id);
	alive = supervisor_alive(id);
	if (alive && !force && !strcmp(state_status(&st), "running")) {
		cJSON_Delete(st.doc);
		return fail("container %s is running: stop it first, or use --force", id);
	}
	cJSON_Delete(st.doc);
	if (alive) {
		char ans[256];
		ctl_call(id, "kill 9", ans, sizeof ans, 10);
		/* the supervisor removes the pod, then closes its socket */
		for (int i = 0; i < 3000 && supervisor_alive(id); i++)
			usleep(10000);
		if (supervisor_alive(id))
			return fail("container %s: the runner did not stop", id);
	}
	path_of(path, sizeof path, id, "ctl");
	unlink(path);
	path_of(path, sizeof path, id, "state.json");
	unlink(path);
	path_of(path, sizeof path, id, NULL);
	if (rmdir(path) < 0 && errno != ENOENT)
		return fail("%s: %s", path, strerror(errno));
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: podrun-oci [--root DIR] [--log FILE] [--log-format text|json] COMMAND ...\n"
		"  create [--bundle DIR] [--pid-file FILE] [--console-socket SOCK] ID\n"
		"  start ID\n  state ID\n  kill [--all] ID [SIGNAL]\n  delete [--force] ID\n"
		"  --version\n");
	return 2;
}

/* "--name=value" or "--name value" */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);

	if (!strncmp(argv[*i], name, len) && argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (!strcmp(argv[*i], name) && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

int main(int argc, char **argv)
{
	const char *v, *cmd, *bundle = ".", *pid_file = NULL, *id = NULL, *sig = NULL,
			     *console = NULL;
	int i = 1, force = 0, preserve = 0;

	signal(SIGPIPE, SIG_IGN);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((v = opt_value(argc, argv, &i, "--root")))
			g_root = v;
		else if ((v = opt_value(argc, argv, &i, "--log")))
			g_log = v;
		else if ((v = opt_value(argc, argv, &i, "--log-format"))) {
			if (strcmp(v, "json") && strcmp(v, "text"))
				return fail("--log-format: text or json"), 2;
			g_log_json = !strcmp(v, "json");
		} else if (!strcmp(argv[i], "--debug") || !strcmp(argv[i], "--systemd-cgroup"))
			; /* (the pod's cgroups are the runner's own) */
		else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-v")) {
			printf("podrun-oci version 1.0\nspec: %s\n", OCI_VERSION);
			return 0;
		} else
			return fail("unknown option %s", argv[i]), 2;
	}
	if (i >= argc)
		return usage();
	if (g_root[0] != '/' || strlen(g_root) > 64)
		return fail("--root: an absolute path of at most 64 characters"), 2;
	cmd = argv[i++];
	{
		static const char *const unsupported[] = {
			"exec",    "pause", "resume",   "update", "ps",   "events", "checkpoint",
			"restore", "run",   "features", "spec",   "list", NULL
		};
		for (int k = 0; unsupported[k]; k++)
			if (!strcmp(cmd, unsupported[k]))
				return fail("%s is not supported: podrun-oci has create, start, "
					    "state, kill "
					    "and delete",
					    cmd);
	}
	for (; i < argc; i++) {
		if (argv[i][0] != '-' || !argv[i][1]) {
			if (!id)
				id = argv[i];
			else if (!sig)
				sig = argv[i];
			else
				return usage();
		} else if ((v = opt_value(argc, argv, &i, "--bundle")) ||
			   (v = opt_value(argc, argv, &i, "-b")))
			bundle = v;
		else if ((v = opt_value(argc, argv, &i, "--pid-file")))
			pid_file = v;
		else if ((v = opt_value(argc, argv, &i, "--console-socket")))
			console = v;
		else if ((v = opt_value(argc, argv, &i, "--preserve-fds")))
			preserve = atoi(v);
		else if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = 1;
		else if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a") ||
			 !strcmp(argv[i], "--no-pivot") || !strcmp(argv[i], "--no-new-keyring"))
			; /* --all: KILL ends every process of the pod; the rest do not apply */
		else
			return fail("%s: unknown option %s", cmd, argv[i]), 2;
	}
	if (!id)
		return usage();
	if (!valid_id(id))
		return fail("bad container id \"%.80s\"", id);
	if (!strcmp(cmd, "create"))
		return cmd_create(id, bundle, pid_file, preserve, console);
	if (sig && strcmp(cmd, "kill"))
		return usage();
	if (!strcmp(cmd, "start"))
		return cmd_start(id);
	if (!strcmp(cmd, "state"))
		return cmd_state(id);
	if (!strcmp(cmd, "kill"))
		return cmd_kill(id, sig);
	if (!strcmp(cmd, "delete"))
		return cmd_delete(id, force);
	return fail("unknown command %s", cmd), 2;
}
