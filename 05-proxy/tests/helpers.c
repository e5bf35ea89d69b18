/*
 * helpers.c — fixtures shared by the 05-proxy Check suite (see helpers.h).
 *
 * Layer 05 (proxy), tests only. Every process started here gets
 * PR_SET_PDEATHSIG=SIGKILL, so a failing test (Check runs each in a forked
 * child) never leaves an upstream server or a namespace holder behind; the
 * runner side of the privileged tests lives in a private netns that dies with
 * the test process, taking its veths with it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- events ---- */

void evlog_cb(const struct proxy_event *e, void *user)
{
	struct evlog *l = user;
	struct ev_rec *r;
	if (e->kind != PROXY_EV_DECISION) {
		if (l->nend >= (int)(sizeof(l->end) / sizeof(l->end[0])))
			return;
		r = &l->end[l->nend++];
	} else {
		if (l->n >= (int)(sizeof(l->ev) / sizeof(l->ev[0])))
			return;
		r = &l->ev[l->n++];
	}
	memset(r, 0, sizeof(*r));
	r->src = e->src;
	r->action = e->action;
	snprintf(r->rule, sizeof(r->rule), "%s", e->rule);
	snprintf(r->reason, sizeof(r->reason), "%s", e->reason);
	snprintf(r->method, sizeof(r->method), "%s", e->method);
	snprintf(r->url, sizeof(r->url), "%s", e->url);
	snprintf(r->host, sizeof(r->host), "%s", e->host);
	snprintf(r->what, sizeof(r->what), "%s", e->what);
	snprintf(r->peer, sizeof(r->peer), "%s", e->peer);
	r->port = e->port;
	r->status = e->status;
	r->up = e->bytes_up;
	r->down = e->bytes_down;
	r->dur_us = e->duration_us;
	r->kind = (int)e->kind;
	r->count = e->count;
}

const struct ev_rec *evlog_find_end(const struct evlog *l, int kind, const char *needle)
{
	for (int i = l->nend - 1; i >= 0; i--)
		if (l->end[i].kind == kind && (!needle || strstr(l->end[i].what, needle)))
			return &l->end[i];
	return NULL;
}

int evlog_count_end(const struct evlog *l, int kind)
{
	int n = 0;
	for (int i = 0; i < l->nend; i++)
		n += l->end[i].kind == kind;
	return n;
}

const struct ev_rec *evlog_find(const struct evlog *l, enum proxy_src src, const char *needle)
{
	for (int i = l->n - 1; i >= 0; i--) {
		const struct ev_rec *r = &l->ev[i];
		if (r->src != src)
			continue;
		if (!needle || strstr(r->url, needle) || strstr(r->host, needle))
			return r;
	}
	return NULL;
}

const struct ev_rec *evlog_wait(proxy_t *px, const struct evlog *l, enum proxy_src src,
				const char *needle, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	const struct ev_rec *r;
	while (!(r = evlog_find(l, src, needle)) && now_ms() < end)
		proxy_run(px, 5, NULL);
	return r;
}

int evlog_count(const struct evlog *l, enum proxy_src src, enum pol_action a)
{
	int n = 0;
	for (int i = 0; i < l->n; i++)
		n += l->ev[i].src == src && l->ev[i].action == a;
	return n;
}

/* ---- policy ---- */

policy_t *mk_policy(const char *fmt, ...)
{
	char json[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(json, sizeof(json), fmt, ap);
	va_end(ap);
	policy_t *p = NULL;
	struct pol_error err;
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(policy_new(&p), 0);
	int r = policy_load_json(p, json, strlen(json), "<test>", &err);
	ck_assert_msg(r == 0, "policy: %s at %s (%s)", err.msg, err.path, json);
	ck_assert_int_eq(policy_finalize(p, &err), 0);
	return p;
}

/* ---- processes ---- */

static const char *tests_dir(void)
{
	static char dir[512];
	if (!dir[0]) {
		/* tests/ next to the binary's source tree: the Makefile runs us from 05-proxy/ */
		snprintf(dir, sizeof(dir), "%s",
			 access("tests/upstream.py", R_OK) == 0 ? "tests" : "../05-proxy/tests");
	}
	return dir;
}

static void child_setup(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

int make_cert_dir(char *dir, size_t cap)
{
	char cmd[512];
	snprintf(dir, cap, "/tmp/pxcert.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout %s/key.pem -out %s/cert.pem -days 2 -subj /CN=sni.test "
		 "-addext subjectAltName=DNS:sni.test,DNS:up.test,DNS:other.test "
		 ">/dev/null 2>&1",
		 dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

const char *test_cert_dir(void)
{
	static char dir[64];
	if (dir[0])
		return dir;
	const char *shared = getenv("PXT_CERT_DIR"); /* made once by main() */
	if (shared) {
		snprintf(dir, sizeof(dir), "%s", shared);
		return dir;
	}
	ck_assert_msg(make_cert_dir(dir, sizeof(dir)) == 0, "openssl could not make a certificate");
	return dir;
}

void upstream_start(struct upstream *u, const char *mode, const char *name)
{
	int p[2];
	char script[600], cert[128], key[128];
	int ws = !strcmp(mode, "ws");
	snprintf(script, sizeof(script), "%s/%s", tests_dir(), ws ? "ws.py" : "upstream.py");
	int tls = !strcmp(mode, "tls");
	if (tls) {
		snprintf(cert, sizeof(cert), "%s/cert.pem", test_cert_dir());
		snprintf(key, sizeof(key), "%s/key.pem", test_cert_dir());
	}
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_setup();
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (ws)
			execl("/usr/bin/python3", "python3", script, "server", (char *)NULL);
		else if (tls)
			execl("/usr/bin/python3", "python3", script, mode, name, cert, key,
			      (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", script, mode, name, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	char line[64] = "";
	size_t n = 0;
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	uint64_t end = now_ms() + 10000;
	while (n < sizeof(line) - 1 && !strchr(line, '\n') && now_ms() < end) {
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		ssize_t r = read(p[0], line + n, sizeof(line) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
	}
	close(p[0]);
	unsigned port = 0;
	ck_assert_msg(sscanf(line, "PORT %u", &port) == 1, "upstream did not start: '%s'", line);
	u->pid = pid;
	u->port = (uint16_t)port;
}

void upstream_stop(struct upstream *u)
{
	if (u->pid > 0) {
		kill(u->pid, SIGKILL);
		waitpid(u->pid, NULL, 0);
		u->pid = 0;
	}
}

struct proxy_host host_v4(const char *name, uint16_t match_port, const char *ip, uint16_t port)
{
	struct proxy_host h;
	memset(&h, 0, sizeof(h));
	h.name = name;
	h.port = match_port;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h.addr;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s4->sin_addr);
	return h;
}

/* ---- namespaces ---- */

void runner_netns_private(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(podnet_lo_up(fd), 0);
	close(fd);
}

void podns_create(struct podns *ns)
{
	int p[2];
	memset(ns, 0, sizeof(*ns));
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_setup();
		close(p[0]);
		char ok = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	char ok = 0;
	ck_assert_int_eq(read(p[0], &ok, 1), 1);
	close(p[0]);
	ck_assert_msg(ok == 'y', "pod netns holder could not unshare");
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	ns->holder = pid;
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(ns->fd, 0);
}

void podns_destroy(struct podns *ns)
{
	if (ns->fd >= 0 && ns->holder) {
		close(ns->fd);
		ns->fd = -1;
	}
	if (ns->holder > 0) {
		kill(ns->holder, SIGKILL);
		waitpid(ns->holder, NULL, 0);
		ns->holder = 0;
	}
	ns->resolv[0] = '\0';
}

void podns_set_resolv(struct podns *ns, const char *text)
{
	ck_assert_uint_lt(strlen(text), sizeof(ns->resolv));
	snprintf(ns->resolv, sizeof(ns->resolv), "%s", text);
}

/* In the pod child, in its own mount namespace: the file behind /etc/resolv.conf
 * lives only as long as the mount (created, bound, unlinked). */
static int mount_resolv(const char *text)
{
	char path[] = "/tmp/pxresolv.XXXXXX";
	int fd = mkstemp(path), ok;
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
	     mount(path, "/etc/resolv.conf", NULL, MS_BIND, NULL) == 0;
	unlink(path);
	close(fd);
	return ok ? 0 : -1;
}

int pod_run(proxy_t *px, const struct podns *ns, const char *const *env, const char *const *argv,
	    int timeout_ms, char *out, size_t cap)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_setup();
		dup2(p[1], 1);
		dup2(p[1], 2);
		if (setns(ns->fd, CLONE_NEWNET) < 0)
			_exit(120);
		if (ns->resolv[0]) {
			if (unshare(CLONE_NEWNS) < 0 ||
			    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
			    mount_resolv(ns->resolv) < 0)
				_exit(121);
		}
		execve(argv[0], (char *const *)argv, (char *const *)env);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	size_t n = 0;
	int status = -1, done = 0;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	while (!done) {
		if (px)
			proxy_run(px, 10, NULL);
		else
			usleep(10000);
		ssize_t r;
		while (cap && (r = read(p[0], out + n, cap - 1 - n)) > 0)
			n += (size_t)r;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			done = 1;
		} else if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			status = -1;
			done = 1;
		}
	}
	ssize_t r;
	while (cap && (r = read(p[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	if (cap)
		out[n] = '\0';
	close(p[0]);
	return status;
}

int pod_sh(proxy_t *px, const struct podns *ns, const char *const *env, int timeout_ms, char *out,
	   size_t cap, const char *fmt, ...)
{
	char script[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(script, sizeof(script), fmt, ap);
	va_end(ap);
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	int r = pod_run(px, ns, env, argv, timeout_ms, out, cap);
	if (getenv("PXT_SHOW")) /* debugging: what the pod ran and saw */
		fprintf(stderr, "--- pod$ %s\n%s--- exit %d\n", script, out, r);
	return r;
}

/* ---- raw sockets ---- */

int raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

void spin(proxy_t *px, int ms)
{
	proxy_run(px, ms, NULL);
}

void raw_send(proxy_t *px, int fd, const void *buf, size_t len)
{
	size_t off = 0;
	uint64_t end = now_ms() + 5000;
	while (off < len && now_ms() < end) {
		ssize_t w = send(fd, (const char *)buf + off, len - off, MSG_NOSIGNAL);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			break;
		proxy_run(px, 1, NULL);
	}
}

size_t raw_recv(proxy_t *px, int fd, char *buf, size_t cap, const char *needle, int timeout_ms,
		int *eof)
{
	size_t n = 0;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	*eof = 0;
	buf[0] = '\0';
	while (now_ms() < end && n < cap - 1) {
		ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);
		if (r > 0) {
			n += (size_t)r;
			buf[n] = '\0';
			if (needle && strstr(buf, needle))
				break;
			continue;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN)) {
			*eof = 1;
			break;
		}
		proxy_run(px, 2, NULL);
	}
	buf[n] = '\0';
	return n;
}
