/*
 * check_ldaudit.c — Check suite of the FFI gates (07-runner/ldaudit).
 *
 * The test process plays the runner: 02-ipc's runner side with a query socket,
 * answering QUERY(ffi) by the library's file name (libffi_denied* -> deny with
 * rule "/rules/deny-test", libffi_warned* -> warn, else allow) — or not at all, to test the
 * timeout. The pod side is a real process started with the gate:
 *
 *   ldaudit  ffi_probe (C, dlopen) with LD_AUDIT=libpodaudit.so
 *   python   python3 -I boot/podboot.py tests/ffi_probe.py (ctypes audit hook)
 *   bun      bun --preload boot/podpreload.ts tests/ffi_probe.ts (bun:ffi wrapper)
 *
 * Environment from the Makefile: LDA_FIX (fixtures), LDA_LIB (libpodaudit.so),
 * LDA_TOP (repository root).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "podtest.h"

static const char *g_fix, *g_lib, *g_top;
static char g_py_trusted[65536];  /* POD_FFI_TRUSTED=... the runtime module computes for Python */
static char g_bun_trusted[65536]; /* ... and for Bun */

/* What the fake runner saw and how it answers. */
struct harness {
	int silent; /* 1: never answer (timeout test) */
	int nqueries;
	char queries[32][IPC_REQUEST_MAX + 1];
	char out[16384]; /* the child's stdout */
	char err[16384]; /* the child's stderr */
	int status;      /* the child's exit status */
};

static void answer(ipc_runner_t *r, struct harness *h, const struct ipc_event *ev)
{
	const char *req = ev->u.query.request;
	if (h->nqueries < 32)
		snprintf(h->queries[h->nqueries++], IPC_REQUEST_MAX + 1, "%s", req);
	ck_assert_str_eq(ev->u.query.category, "ffi");
	if (h->silent)
		return;
	const char *base = strrchr(req, '/') ? strrchr(req, '/') + 1 : req;
	if (strncmp(base, "libffi_denied", 13) == 0)
		ipc_runner_verdict(r, ev->conn, ev->u.query.request_id, IPC_ACT_DENY,
				   "/rules/deny-test", "test policy denies it");
	else if (strncmp(base, "libffi_warned", 13) == 0)
		ipc_runner_verdict(r, ev->conn, ev->u.query.request_id, IPC_ACT_WARN, "/rules/warn",
				   "reported");
	else
		ipc_runner_verdict(r, ev->conn, ev->u.query.request_id, IPC_ACT_ALLOW,
				   "/rules/allow", "allowed");
}

static void drain(int fd, char *buf, size_t cap, int *open_)
{
	size_t used = strlen(buf);
	ssize_t n = read(fd, buf + used, cap - 1 - used);
	if (n <= 0) {
		*open_ = 0;
		return;
	}
	buf[used + (size_t)n] = '\0';
}

/* Run argv with the gate's environment plus @p env, answering its queries. */
static void run_gated(char *const argv[], char *const env[], struct harness *h)
{
	ipc_runner_t *r = NULL;
	struct ipc_runner_opts o;
	int outp[2], errp[2];
	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	o.query_socket = 1;
	o.handshake_timeout_ms = 60000;
	ck_assert_int_eq(ipc_runner_create(&o, &r), 0);
	ck_assert_int_eq(pipe2(outp, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char sock[PATH_MAX + 32];
		dup2(outp[1], 1);
		dup2(errp[1], 2);
		clearenv();
		for (char *const *e = env; e && *e; e++)
			putenv(*e);
		snprintf(sock, sizeof(sock), "POD_FFI_SOCKET=%s", ipc_runner_query_path(r));
		putenv(sock);
		execv(argv[0], argv);
		_exit(127);
	}
	close(outp[1]);
	close(errp[1]);
	struct ipc_peer_rule rule = { .kind = IPC_PEER_DESCENDANT, .pid = pid, .uid = (uid_t)-1 };
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), 0);
	h->out[0] = h->err[0] = '\0';
	int out_open = 1, err_open = 1, exited = 0;
	time_t start = time(NULL);
	while ((out_open || err_open || !exited) && time(NULL) - start < 30) {
		struct pollfd p[3] = { { ipc_runner_fd(r), POLLIN, 0 },
				       { out_open ? outp[0] : -1, POLLIN, 0 },
				       { err_open ? errp[0] : -1, POLLIN, 0 } };
		poll(p, 3, 20);
		struct ipc_event ev;
		while (ipc_runner_dispatch(r, &ev) == 1)
			if (ev.type == IPC_EV_QUERY)
				answer(r, h, &ev);
		if (p[1].revents)
			drain(outp[0], h->out, sizeof(h->out), &out_open);
		if (p[2].revents)
			drain(errp[0], h->err, sizeof(h->err), &err_open);
		if (!exited && waitpid(pid, &h->status, WNOHANG) == pid)
			exited = 1;
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &h->status, 0);
	}
	close(outp[0]);
	close(errp[0]);
	ipc_runner_destroy(r);
	ck_assert_msg(exited, "child did not finish; stdout: %s stderr: %s", h->out, h->err);
}

static int queried(const struct harness *h, const char *suffix)
{
	int n = 0;
	for (int i = 0; i < h->nqueries; i++) {
		size_t a = strlen(h->queries[i]), b = strlen(suffix);
		n += a >= b && strcmp(h->queries[i] + a - b, suffix) == 0;
	}
	return n;
}

static void fix(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", g_fix, name);
}

/* Run the C probe with LD_AUDIT on the given libraries. */
static void probe(struct harness *h, char *const extra_env[], const char *a, const char *b,
		  const char *c)
{
	char prog[PATH_MAX], audit[PATH_MAX + 16];
	fix(prog, "ffi_probe");
	snprintf(audit, sizeof(audit), "LD_AUDIT=%s", g_lib);
	char *argv[] = { prog, (char *)a, (char *)b, (char *)c, NULL };
	char *env[16] = { audit, NULL };
	int n = 1;
	for (char *const *e = extra_env; e && *e && n < 15; e++)
		env[n++] = *e;
	env[n] = NULL;
	run_gated(argv, env, h);
}

/* The probe's last line "fds BEFORE AFTER": the gate left no descriptor open. */
static void assert_no_fd_left(const struct harness *h)
{
	const char *l = strstr(h->out, "fds ");
	int before = -1, after = -2;
	ck_assert_msg(l && sscanf(l, "fds %d %d", &before, &after) == 2, "out: %s", h->out);
	ck_assert_msg(before == after, "descriptors before %d, after %d", before, after);
}

/* ---- ldaudit ----------------------------------------------------------------- */

START_TEST(test_allowed_and_warned_libraries_load_after_one_query_each)
{
	static struct harness h;
	char a[PATH_MAX], w[PATH_MAX];
	memset(&h, 0, sizeof(h));
	fix(a, "libffi_allowed.so");
	fix(w, "libffi_warned.so");
	probe(&h, NULL, a, w, a);
	ck_assert_msg(strstr(h.out, "ok allowed\nok warned\nok allowed\n"), "out: %s err: %s",
		      h.out, h.err);
	ck_assert_int_eq(queried(&h, "/libffi_allowed.so"), 1); /* loaded once: asked once */
	ck_assert_int_eq(queried(&h, "/libffi_warned.so"), 1);
	ck_assert_ptr_null(strstr(h.err, "denied"));
	/* the probe's own startup libraries (libc) were never asked about */
	ck_assert_int_eq(h.nqueries, 2);
}
END_TEST

START_TEST(test_denied_library_is_refused_with_the_rule_on_stderr)
{
	static struct harness h;
	char d[PATH_MAX], a[PATH_MAX], want[PATH_MAX + 64];
	memset(&h, 0, sizeof(h));
	fix(d, "libffi_denied.so");
	fix(a, "libffi_allowed.so");
	probe(&h, NULL, d, a, NULL);
	ck_assert_msg(strstr(h.out, "fail "), "out: %s", h.out);
	ck_assert_ptr_nonnull(strstr(h.out, "ok allowed"));
	snprintf(want, sizeof(want), "pod: ffi denied: %s (rule /rules/deny-test)", d);
	ck_assert_msg(strstr(h.err, want), "stderr: %s", h.err);
	/* refused before any of its code ran; the allowed one did run */
	ck_assert_msg(!strstr(h.err, "ffi-ctor: denied"), "stderr: %s", h.err);
	ck_assert_msg(strstr(h.err, "ffi-ctor: allowed"), "stderr: %s", h.err);
	assert_no_fd_left(&h);
}
END_TEST

START_TEST(test_bare_names_are_decided_on_the_path_the_loader_found)
{
	static struct harness h;
	char libpath[PATH_MAX + 32];
	memset(&h, 0, sizeof(h));
	snprintf(libpath, sizeof(libpath), "LD_LIBRARY_PATH=%s", g_fix);
	char *env[] = { libpath, NULL };
	probe(&h, env, "libffi_allowed.so", "libffi_denied.so", NULL);
	ck_assert_ptr_nonnull(strstr(h.out, "ok allowed\nfail libffi_denied.so\n"));
	ck_assert_int_eq(queried(&h, "/libffi_allowed.so"), 1);
	ck_assert_int_ge(queried(&h, "/libffi_denied.so"), 1);
	for (int i = 0; i < h.nqueries; i++)
		ck_assert_msg(h.queries[i][0] == '/', "request not absolute: %s", h.queries[i]);
}
END_TEST

START_TEST(test_a_denied_dependency_refuses_the_library_that_needs_it)
{
	static struct harness h;
	char n[PATH_MAX];
	memset(&h, 0, sizeof(h));
	fix(n, "libffi_needs_denied.so");
	probe(&h, NULL, n, NULL, NULL);
	ck_assert_msg(strstr(h.out, "fail "), "out: %s", h.out);
	ck_assert_int_eq(queried(&h, "/libffi_needs_denied.so"), 1);
	ck_assert_msg(queried(&h, "/libffi_denied.so") >= 1, "queries %d: %s %s; out %s err %s",
		      h.nqueries, h.queries[0], h.queries[1], h.out, h.err);
	ck_assert_ptr_nonnull(strstr(h.err, "pod: ffi denied: "));
	ck_assert_msg(!strstr(h.err, "ffi-ctor:"), "a constructor ran: %s", h.err);
}
END_TEST

START_TEST(test_missing_files_are_left_to_the_loader_without_a_query)
{
	static struct harness h;
	char a[PATH_MAX];
	memset(&h, 0, sizeof(h));
	fix(a, "libffi_allowed.so");
	probe(&h, NULL, "/nonexistent/libffi_denied.so", "libffi_nowhere.so", a);
	ck_assert_msg(
	    strstr(h.out,
		   "fail /nonexistent/libffi_denied.so\nfail libffi_nowhere.so\nok allowed\n"),
	    "out: %s", h.out);
	ck_assert_int_eq(h.nqueries, 1); /* only the library that exists */
	ck_assert_ptr_null(strstr(h.err, "pod: ffi denied"));
}
END_TEST

START_TEST(test_trusted_libraries_are_not_asked_about)
{
	static struct harness h;
	char t[PATH_MAX], trusted[PATH_MAX + 32];
	memset(&h, 0, sizeof(h));
	fix(t, "libffi_trusted.so");
	snprintf(trusted, sizeof(trusted), "POD_FFI_TRUSTED=/nonexistent/:%s", t);
	char *env[] = { trusted, NULL };
	probe(&h, env, t, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(h.out, "ok trusted"));
	ck_assert_int_eq(h.nqueries, 0);
}
END_TEST

START_TEST(test_no_answer_within_the_timeout_means_deny)
{
	static struct harness h;
	char a[PATH_MAX];
	memset(&h, 0, sizeof(h));
	h.silent = 1;
	fix(a, "libffi_allowed.so");
	char *env[] = { "POD_FFI_TIMEOUT_MS=300", NULL };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	probe(&h, env, a, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(strstr(h.out, "fail "), "out: %s", h.out);
	ck_assert_ptr_nonnull(strstr(h.err, "(rule no-answer"));
	ck_assert_msg(!strstr(h.err, "ffi-ctor:"), "a constructor ran: %s", h.err);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 10);
	assert_no_fd_left(&h);
}
END_TEST

/* Threads calling dlopen() at once: the loader's lock serializes the gate's
 * callbacks; each library still gets its own decision, each file one question,
 * and no descriptor is left behind. */
START_TEST(test_concurrent_dlopen_threads_each_get_their_decision)
{
	static struct harness h;
	char prog[PATH_MAX], audit[PATH_MAX + 16], a[PATH_MAX], d[PATH_MAX], w[PATH_MAX],
	    nd[PATH_MAX], want[PATH_MAX + 64];
	memset(&h, 0, sizeof(h));
	fix(prog, "ffi_probe");
	fix(a, "libffi_allowed.so");
	fix(d, "libffi_denied.so");
	fix(w, "libffi_warned.so");
	fix(nd, "libffi_needs_denied.so");
	snprintf(audit, sizeof(audit), "LD_AUDIT=%s", g_lib);
	char *argv[] = { prog, "-t", a, d, w, nd, a, d, NULL };
	char *env[] = { audit, NULL };
	run_gated(argv, env, &h);
	snprintf(want, sizeof(want),
		 "ok allowed\nfail %s\nok warned\nfail %s\nok allowed\nfail %s\n", d, nd, d);
	ck_assert_msg(strstr(h.out, want), "out: %s err: %s", h.out, h.err);
	ck_assert_int_eq(queried(&h, "/libffi_allowed.so"), 1);
	ck_assert_int_eq(queried(&h, "/libffi_warned.so"), 1);
	ck_assert_int_eq(queried(&h, "/libffi_denied.so"), 1); /* then decided from the cache */
	snprintf(want, sizeof(want), "pod: ffi denied: %s (rule /rules/deny-test)", d);
	ck_assert_msg(strstr(h.err, want), "stderr: %s", h.err);
	ck_assert_msg(!strstr(h.err, "ffi-ctor: denied") &&
			  !strstr(h.err, "ffi-ctor: needs_denied"),
		      "stderr: %s", h.err);
	assert_no_fd_left(&h);
}
END_TEST

START_TEST(test_without_a_runner_every_late_load_is_denied)
{
	char prog[PATH_MAX], a[PATH_MAX], audit[PATH_MAX + 16], cmd[4 * PATH_MAX];
	fix(prog, "ffi_probe");
	fix(a, "libffi_allowed.so");
	snprintf(audit, sizeof(audit), "%s", g_lib);
	/* no POD_FFI_SOCKET at all */
	snprintf(cmd, sizeof(cmd), "env -i LD_AUDIT=%s %s %s 2>&1", audit, prog, a);
	FILE *f = popen(cmd, "r");
	char out[4096] = "";
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(strstr(out, "pod: ffi denied: ") && strstr(out, "rule no-runner"), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "fail "));
	/* a socket path where nobody listens: also denied */
	snprintf(cmd, sizeof(cmd),
		 "env -i LD_AUDIT=%s POD_FFI_SOCKET=/nonexistent/q.sock %s %s 2>&1", audit, prog,
		 a);
	f = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	ck_assert_msg(strstr(out, "rule no-answer") && strstr(out, "fail "), "%s", out);
}
END_TEST

/* ---- python ------------------------------------------------------------------ */

/* Run python3 -I podboot.py tests/ffi_probe.py with the gate (and LD_AUDIT when asked). */
static void probe_python(struct harness *h, int with_ld_audit, char *const extra_env[],
			 const char *a, const char *b)
{
	char boot[PATH_MAX], script[PATH_MAX], audit[PATH_MAX + 16];
	snprintf(boot, sizeof(boot), "%s/07-runner/ldaudit/boot/podboot.py", g_top);
	snprintf(script, sizeof(script), "%s/07-runner/ldaudit/tests/ffi_probe.py", g_top);
	snprintf(audit, sizeof(audit), "LD_AUDIT=%s", g_lib);
	char *argv[] = { "/usr/bin/python3", "-I", boot, script, (char *)a, (char *)b, NULL };
	char *env[16] = { "POD_FFI_GATE=1", g_py_trusted };
	int n = 2;
	if (with_ld_audit)
		env[n++] = audit;
	for (char *const *e = extra_env; e && *e && n < 15; e++)
		env[n++] = *e;
	env[n] = NULL;
	run_gated(argv, env, h);
}

START_TEST(test_python_ctypes_denial_is_a_permission_error_naming_library_and_rule)
{
	static struct harness h;
	char d[PATH_MAX], a[PATH_MAX], want[PATH_MAX + 64];
	memset(&h, 0, sizeof(h));
	fix(d, "libffi_denied.so");
	fix(a, "libffi_allowed.so");
	/* the hook alone (no LD_AUDIT): it must be the one that refuses */
	probe_python(&h, 0, NULL, d, a);
	snprintf(want, sizeof(want), "denied pod: ffi denied: %s (rule /rules/deny-test)\n", d);
	ck_assert_msg(strstr(h.out, want), "out: %s err: %s", h.out, h.err);
	ck_assert_msg(strstr(h.out, "ok allowed\n"), "out: %s err: %s", h.out, h.err);
	ck_assert_int_eq(queried(&h, "/libffi_denied.so"), 1);
	ck_assert_int_eq(queried(&h, "/libffi_allowed.so"), 1);
	ck_assert_int_eq(h.status, 0);
}
END_TEST

START_TEST(test_python_with_ld_audit_too_loads_allowed_and_warned)
{
	static struct harness h;
	char w[PATH_MAX], a[PATH_MAX];
	memset(&h, 0, sizeof(h));
	fix(w, "libffi_warned.so");
	fix(a, "libffi_allowed.so");
	probe_python(&h, 1, NULL, w, a);
	ck_assert_msg(strstr(h.out, "ok warned\nok allowed\n"), "out: %s err: %s", h.out, h.err);
	/* Python's own startup and stdlib extension modules never reach the runner */
	for (int i = 0; i < h.nqueries; i++)
		ck_assert_msg(strstr(h.queries[i], "/libffi_"), "unexpected query %s",
			      h.queries[i]);
}
END_TEST

/* The interpreter's own libraries (libz, libcrypto, ... in POD_FFI_TRUSTED, so
 * that `import zlib` stays silent at the loader) are still FFI when a worker
 * names them in ctypes: the runner is asked. Only the SDK's libring.so
 * (POD_RING_LIB) is not. */
START_TEST(test_python_ctypes_asks_about_the_interpreters_own_libraries)
{
	static struct harness h;
	char t[PATH_MAX], ring[PATH_MAX + 16], lib[PATH_MAX], *entry = NULL, *save = NULL;
	static char copy[sizeof(g_py_trusted)];
	memset(&h, 0, sizeof(h));
	/* 1. a single library of the trusted list that ctypes can load by path */
	snprintf(copy, sizeof(copy), "%s", g_py_trusted + strlen("POD_FFI_TRUSTED="));
	lib[0] = '\0';
	for (entry = strtok_r(copy, ":", &save); entry; entry = strtok_r(NULL, ":", &save))
		if (strstr(entry, "/libz.so") || (!lib[0] && strstr(entry, "/libm.so")))
			snprintf(lib, sizeof(lib), "%s", entry);
	ck_assert_msg(lib[0], "no libz or libm in the Python trusted list: %s", g_py_trusted);
	/* 2. the SDK's own library, named by POD_RING_LIB */
	fix(t, "libffi_trusted.so");
	snprintf(ring, sizeof(ring), "POD_RING_LIB=%s", t);
	char *env[] = { ring, NULL };
	probe_python(&h, 0, env, lib, t); /* the hook alone */
	ck_assert_msg(strstr(h.out, "ok loaded ") && strstr(h.out, "ok trusted\n"),
		      "out: %s err: %s", h.out, h.err);
	const char *base = strrchr(lib, '/');
	ck_assert_msg(queried(&h, base) == 1, "%s asked %d times", lib, queried(&h, base));
	ck_assert_int_eq(queried(&h, "/libffi_trusted.so"), 0);
	ck_assert_int_eq(h.nqueries, 1);
}
END_TEST

START_TEST(test_python_bare_names_are_resolved_before_asking)
{
	static struct harness h;
	char libpath[PATH_MAX + 32];
	memset(&h, 0, sizeof(h));
	snprintf(libpath, sizeof(libpath), "LD_LIBRARY_PATH=%s", g_fix);
	char *env[] = { libpath, NULL };
	probe_python(&h, 0, env, "libffi_denied.so", "libffi_allowed.so");
	ck_assert_msg(strstr(h.out, "denied pod: ffi denied: /") && strstr(h.out, "ok allowed"),
		      "out: %s err: %s", h.out, h.err);
	ck_assert_int_eq(queried(&h, "/libffi_denied.so"), 1);
}
END_TEST

START_TEST(test_python_without_a_runner_denies)
{
	char cmd[4 * PATH_MAX], a[PATH_MAX], out[4096] = "";
	fix(a, "libffi_allowed.so");
	snprintf(cmd, sizeof(cmd),
		 "env -i POD_FFI_GATE=1 POD_FFI_QUIET=1 /usr/bin/python3 -I "
		 "%s/07-runner/ldaudit/boot/podboot.py "
		 "%s/07-runner/ldaudit/tests/ffi_probe.py %s 2>&1",
		 g_top, g_top, a);
	FILE *f = popen(cmd, "r");
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(strstr(out, "denied pod: ffi denied: ") && strstr(out, "(rule no-runner"),
		      "%s", out);
}
END_TEST

START_TEST(test_python_boot_codec_matches_the_ipc_vectors)
{
	char cmd[4 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 -I %s/07-runner/ldaudit/tests/test_boot_codec.py "
		 "%s/07-runner/ldaudit/boot "
		 "%s/02-ipc/tests/vectors",
		 g_top, g_top, g_top);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- bun --------------------------------------------------------------------- */

/* Run bun --preload podpreload.ts tests/ffi_probe.ts with the gate (and LD_AUDIT when asked). */
static void probe_bun(struct harness *h, int with_ld_audit, const char *a, const char *b)
{
	char bun[PATH_MAX], pre[PATH_MAX], script[PATH_MAX], audit[PATH_MAX + 16];
	snprintf(bun, sizeof(bun), "%s/.deps/bun/node_modules/.bin/bun", g_top);
	snprintf(pre, sizeof(pre), "%s/07-runner/ldaudit/boot/podpreload.ts", g_top);
	snprintf(script, sizeof(script), "%s/07-runner/ldaudit/tests/ffi_probe.ts", g_top);
	snprintf(audit, sizeof(audit), "LD_AUDIT=%s", g_lib);
	char *argv[] = {
		bun, "--no-install", "--preload", pre, script, (char *)a, (char *)b, NULL
	};
	char *env[8] = { g_bun_trusted, "BUN_RUNTIME_TRANSPILER_CACHE_PATH=0", "POD_FFI_GATE=1",
			 NULL, NULL };
	if (with_ld_audit)
		env[3] = audit;
	run_gated(argv, env, h);
}

START_TEST(test_bun_ffi_denial_is_an_error_naming_library_and_rule)
{
	static struct harness h;
	char d[PATH_MAX], a[PATH_MAX], want[PATH_MAX + 64];
	memset(&h, 0, sizeof(h));
	fix(d, "libffi_denied.so");
	fix(a, "libffi_allowed.so");
	probe_bun(&h, 0, d, a); /* the preload alone must refuse */
	snprintf(want, sizeof(want), "denied pod: ffi denied: %s (rule /rules/deny-test)\n", d);
	ck_assert_msg(strstr(h.out, want), "out: %s err: %s", h.out, h.err);
	ck_assert_msg(strstr(h.out, "ok allowed\n"), "out: %s err: %s", h.out, h.err);
	ck_assert_int_eq(queried(&h, "/libffi_denied.so"), 1);
	ck_assert_int_eq(h.status, 0);
}
END_TEST

/* Bun.FFI.dlopen is the native call bun:ffi is built on: gated the same way. */
START_TEST(test_bun_native_ffi_dlopen_is_gated_too)
{
	static struct harness h;
	char d[PATH_MAX + 8], want[PATH_MAX + 64];
	memset(&h, 0, sizeof(h));
	snprintf(d, sizeof(d), "native:%s/libffi_denied.so", g_fix);
	probe_bun(&h, 0, d, NULL); /* the preload alone must refuse */
	snprintf(want, sizeof(want), "denied pod: ffi denied: %s (rule /rules/deny-test)\n", d + 7);
	ck_assert_msg(strstr(h.out, want), "out: %s err: %s", h.out, h.err);
	ck_assert_int_eq(queried(&h, "/libffi_denied.so"), 1);
	ck_assert_msg(!strstr(h.err, "ffi-ctor:"), "a constructor ran: %s", h.err);
}
END_TEST

START_TEST(test_bun_with_ld_audit_too_loads_allowed_and_warned)
{
	static struct harness h;
	char w[PATH_MAX], a[PATH_MAX];
	memset(&h, 0, sizeof(h));
	fix(w, "libffi_warned.so");
	fix(a, "libffi_allowed.so");
	probe_bun(&h, 1, w, a);
	ck_assert_msg(strstr(h.out, "ok warned\nok allowed\n"), "out: %s err: %s", h.out, h.err);
	/* Bun's own startup (and the preload's use of libc) never reach the runner */
	for (int i = 0; i < h.nqueries; i++)
		ck_assert_msg(strstr(h.queries[i], "/libffi_"), "unexpected query %s",
			      h.queries[i]);
}
END_TEST

START_TEST(test_bun_preload_codec_matches_the_ipc_vectors)
{
	char cmd[4 * PATH_MAX];
	snprintf(cmd, sizeof(cmd),
		 "POD_FFI_QUIET=1 %s/.deps/bun/node_modules/.bin/bun "
		 "%s/07-runner/ldaudit/tests/test_preload_codec.ts "
		 "%s/07-runner/ldaudit/boot/podpreload.ts %s/02-ipc/tests/vectors",
		 g_top, g_top, g_top, g_top);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *ldaudit_suite(void)
{
	Suite *s = suite_create("07-runner/ldaudit");
	TCase *tc = tcase_create("ldaudit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_allowed_and_warned_libraries_load_after_one_query_each);
	tcase_add_test(tc, test_denied_library_is_refused_with_the_rule_on_stderr);
	tcase_add_test(tc, test_bare_names_are_decided_on_the_path_the_loader_found);
	tcase_add_test(tc, test_a_denied_dependency_refuses_the_library_that_needs_it);
	tcase_add_test(tc, test_missing_files_are_left_to_the_loader_without_a_query);
	tcase_add_test(tc, test_trusted_libraries_are_not_asked_about);
	tcase_add_test(tc, test_no_answer_within_the_timeout_means_deny);
	tcase_add_test(tc, test_concurrent_dlopen_threads_each_get_their_decision);
	tcase_add_test(tc, test_without_a_runner_every_late_load_is_denied);
	suite_add_tcase(s, tc);

	tc = tcase_create("python");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_python_ctypes_denial_is_a_permission_error_naming_library_and_rule);
	tcase_add_test(tc, test_python_with_ld_audit_too_loads_allowed_and_warned);
	tcase_add_test(tc, test_python_ctypes_asks_about_the_interpreters_own_libraries);
	tcase_add_test(tc, test_python_bare_names_are_resolved_before_asking);
	tcase_add_test(tc, test_python_without_a_runner_denies);
	tcase_add_test(tc, test_python_boot_codec_matches_the_ipc_vectors);
	suite_add_tcase(s, tc);

	tc = tcase_create("bun");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_bun_ffi_denial_is_an_error_naming_library_and_rule);
	tcase_add_test(tc, test_bun_native_ffi_dlopen_is_gated_too);
	tcase_add_test(tc, test_bun_with_ld_audit_too_loads_allowed_and_warned);
	tcase_add_test(tc, test_bun_preload_codec_matches_the_ipc_vectors);
	suite_add_tcase(s, tc);
	return s;
}

/* POD_FFI_TRUSTED=... of the runtime plan for tests/NAME (podrt prints it). */
static int trusted_for(const char *name, char *out, size_t cap)
{
	char cmd[PATH_MAX * 2];
	static char line[65536];
	snprintf(cmd, sizeof(cmd),
		 "%s/07-runner/runtime/build/podrt --sdk-dir /tmp %s/07-runner/ldaudit/tests/%s",
		 g_top, g_top, name);
	out[0] = '\0';
	FILE *f = popen(cmd, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "env POD_FFI_TRUSTED=", 20) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(out, cap, "%s", line + 4);
		}
	if (f)
		pclose(f);
	if (!out[0])
		fprintf(stderr, "podrt did not give POD_FFI_TRUSTED (%s)\n", cmd);
	return out[0] ? 0 : -1;
}

int main(void)
{
	g_fix = getenv("LDA_FIX");
	g_lib = getenv("LDA_LIB");
	g_top = getenv("LDA_TOP");
	if (!g_fix || !g_lib || !g_top) {
		fprintf(stderr, "run through make test (LDA_FIX, LDA_LIB, LDA_TOP)\n");
		return 2;
	}
	/* what the runtime module would give a Python / Bun worker as trusted */
	if (trusted_for("ffi_probe.py", g_py_trusted, sizeof(g_py_trusted)) < 0 ||
	    trusted_for("ffi_probe.ts", g_bun_trusted, sizeof(g_bun_trusted)) < 0)
		return 2;
	SRunner *sr = srunner_create(ldaudit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
