/*
 * check_podhost.c — Check suite of the pod host (07-runner/podhost).
 *
 * The test plays the runner with 02-ipc's runner side: it creates the control
 * socket and rings, starts the real pod host binary on a test service library
 * (--pod-socket=PATH --pod-shm-fd=3, the ring inherited as fd 3), exchanges
 * messages through the rings, sends STOP, and checks what came back and how the
 * pod host ended.
 *
 * TCases:  serve  (messages, replies, arguments, STOP)
 *          refuse (libraries the host must not run, failures inside handle())
 *
 * Environment from the Makefile: PH_HOST (the pod host), PH_FIX (test libraries).
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

static const char *g_host, *g_fix;

/* One run of the pod host and what it produced. */
struct run {
	const char *msgs[8];   /* messages to send after READY */
	int stop;              /* send STOP once all replies are in (or at once when 0 msgs) */
	int want_replies;      /* replies to wait for before STOP */
	char replies[16][256]; /* what the pod sent */
	int nreplies;
	int ready;                         /* the handshake completed */
	int closed_err;                    /* IPC_EV_CLOSED's err */
	char error_text[IPC_TEXT_MAX + 1]; /* the pod's ERROR text, if any */
	char err[8192];                    /* the pod host's stderr */
	int status;                        /* its exit status (or 128+signal) */
};

static void read_replies(ipc_runner_t *r, struct run *x)
{
	char buf[4096];
	int n;
	while ((n = ipc_runner_recv(r, buf, sizeof(buf) - 1)) >= 0) {
		if (x->nreplies < 16) {
			buf[n] = '\0';
			snprintf(x->replies[x->nreplies], sizeof(x->replies[0]), "%s", buf);
		}
		x->nreplies++;
	}
}

static void on_event(ipc_runner_t *r, struct run *x, const struct ipc_event *ev, int *closed)
{
	switch (ev->type) {
	case IPC_EV_READY:
		x->ready = 1;
		for (int i = 0; i < 8 && x->msgs[i]; i++) {
			/* a pod that refuses its library may already be gone */
			int ret = ipc_runner_send(r, x->msgs[i], strlen(x->msgs[i]));
			ck_assert_msg(ret == 0 || ret == -ENOTCONN, "send: %d", ret);
		}
		if (x->stop && x->want_replies == 0)
			ipc_runner_stop(r, 2000);
		break;
	case IPC_EV_DATA:
		read_replies(r, x);
		if (x->stop && x->nreplies >= x->want_replies &&
		    ipc_runner_state(r) == IPC_RS_ESTABLISHED)
			ipc_runner_stop(r, 2000);
		break;
	case IPC_EV_CLOSED:
		x->closed_err = ev->err;
		if (ev->err == -EREMOTEIO)
			snprintf(x->error_text, sizeof(x->error_text), "%s", ev->u.error.text);
		*closed = 1;
		break;
	default:
		break;
	}
}

static void run_host(const char *lib, char *const args[], struct run *x)
{
	ipc_runner_t *r = NULL;
	struct ipc_runner_opts o;
	char sock[PATH_MAX + 32], libpath[PATH_MAX];
	int errp[2], closed = 0, exited = 0, err_open = 1;

	snprintf(libpath, sizeof(libpath), "%s/%s", g_fix, lib);
	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	ck_assert_int_eq(ipc_runner_create(&o, &r), 0);
	snprintf(sock, sizeof(sock), "--pod-socket=%s", ipc_runner_socket_path(r));
	ck_assert_int_eq(pipe2(errp, O_CLOEXEC), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *argv[16] = { (char *)g_host, libpath, sock, "--pod-shm-fd=3" };
		int n = 4;
		for (char *const *a = args; a && *a && n < 15; a++)
			argv[n++] = *a;
		argv[n] = NULL;
		dup2(errp[1], 2);
		dup2(ipc_runner_shm_fd(r), 3); /* dup2 clears close-on-exec */
		execv(g_host, argv);
		_exit(127);
	}
	close(errp[1]);
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PID, .pid = pid, .uid = (uid_t)-1 };
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), 0);
	x->err[0] = '\0';
	time_t start = time(NULL);
	while ((!closed || !exited || err_open) && time(NULL) - start < 20) {
		struct pollfd p[2] = { { ipc_runner_fd(r), POLLIN, 0 },
				       { err_open ? errp[0] : -1, POLLIN, 0 } };
		poll(p, 2, 20);
		struct ipc_event ev;
		while (!closed && ipc_runner_dispatch(r, &ev) == 1)
			on_event(r, x, &ev, &closed);
		if (p[1].revents) {
			size_t used = strlen(x->err);
			ssize_t n = read(errp[0], x->err + used, sizeof(x->err) - 1 - used);
			if (n <= 0)
				err_open = 0;
			else
				x->err[used + (size_t)n] = '\0';
		}
		if (!exited && waitpid(pid, &x->status, WNOHANG) == pid)
			exited = 1;
	}
	if (!exited) {
		kill(pid, SIGKILL);
		waitpid(pid, &x->status, 0);
	}
	x->status = WIFEXITED(x->status) ? WEXITSTATUS(x->status) : 128 + WTERMSIG(x->status);
	close(errp[0]);
	ipc_runner_destroy(r);
	ck_assert_msg(exited, "pod host did not exit; stderr: %s", x->err);
}

/* ---- serve ------------------------------------------------------------------ */

START_TEST(test_echo_service_answers_each_message_then_stops_cleanly)
{
	static struct run x;
	memset(&x, 0, sizeof(x));
	x.msgs[0] = "hello";
	x.msgs[1] = "world";
	x.msgs[2] = "twice";
	x.stop = 1;
	x.want_replies = 4;
	run_host("libsvc_echo.so", NULL, &x);
	ck_assert(x.ready);
	ck_assert_int_eq(x.nreplies, 4);
	ck_assert_str_eq(x.replies[0], "hello");
	ck_assert_str_eq(x.replies[1], "world");
	ck_assert_str_eq(x.replies[2], "twice");
	ck_assert_str_eq(x.replies[3], "twice");
	ck_assert_int_eq(x.closed_err, 0);
	ck_assert_msg(x.status == 0, "status %d, stderr: %s", x.status, x.err);
}
END_TEST

START_TEST(test_worker_arguments_reach_init_without_the_pod_flags)
{
	static struct run x;
	char *args[] = { "pre:", "b", NULL };
	memset(&x, 0, sizeof(x));
	x.msgs[0] = "args";
	x.msgs[1] = "x";
	x.stop = 1;
	x.want_replies = 2;
	run_host("libsvc_echo.so", args, &x);
	ck_assert_int_eq(x.nreplies, 2);
	/* argv[0] is the library; --pod-socket / --pod-shm-fd were removed */
	ck_assert_str_eq(x.replies[0], "libsvc_echo.so pre: b");
	ck_assert_str_eq(x.replies[1], "pre:x");
	ck_assert_int_eq(x.status, 0);
}
END_TEST

START_TEST(test_init_sees_library_and_arguments)
{
	static struct run x;
	char *args[] = { "", "second", NULL };
	memset(&x, 0, sizeof(x));
	x.msgs[0] = "args";
	x.stop = 1;
	x.want_replies = 1;
	run_host("libsvc_echo.so", args, &x);
	ck_assert_int_eq(x.nreplies, 1);
	ck_assert_str_eq(x.replies[0], "libsvc_echo.so  second");
}
END_TEST

/* ---- refuse ----------------------------------------------------------------- */

START_TEST(test_handle_failure_is_reported_as_error_and_ends_the_pod)
{
	static struct run x;
	memset(&x, 0, sizeof(x));
	x.msgs[0] = "ok";
	x.msgs[1] = "fail";
	run_host("libsvc_echo.so", NULL, &x);
	ck_assert_int_eq(x.nreplies, 1);
	ck_assert_int_eq(x.closed_err, -EREMOTEIO);
	ck_assert_msg(strstr(x.error_text, "handle() failed"), "error: %s", x.error_text);
	ck_assert_int_eq(x.status, 1);
}
END_TEST

static void expect_refused(const char *lib, const char *why)
{
	static struct run x;
	memset(&x, 0, sizeof(x));
	x.msgs[0] = "never answered";
	run_host(lib, NULL, &x);
	ck_assert_int_eq(x.status, 1);
	ck_assert_int_eq(x.nreplies, 0);
	ck_assert_int_eq(x.closed_err, -EREMOTEIO);
	ck_assert_msg(strstr(x.error_text, why), "%s: ERROR text '%s'", lib, x.error_text);
	ck_assert_msg(strstr(x.err, why), "%s: stderr '%s'", lib, x.err);
}

START_TEST(test_library_without_entry_point_is_refused)
{
	expect_refused("libsvc_noentry.so", "no podlib_service_v1 symbol");
}
END_TEST

START_TEST(test_library_with_another_abi_version_is_refused)
{
	expect_refused("libsvc_badabi.so", "unsupported podlib ABI");
}
END_TEST

START_TEST(test_library_whose_init_refuses_is_not_served)
{
	expect_refused("libsvc_refuse.so", "init() refused");
}
END_TEST

START_TEST(test_missing_library_is_refused_with_the_loader_message)
{
	expect_refused("libsvc_missing.so", "cannot load");
}
END_TEST

static Suite *podhost_suite(void)
{
	Suite *s = suite_create("07-runner/podhost");
	TCase *tc = tcase_create("serve");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_echo_service_answers_each_message_then_stops_cleanly);
	tcase_add_test(tc, test_worker_arguments_reach_init_without_the_pod_flags);
	tcase_add_test(tc, test_init_sees_library_and_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("refuse");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_handle_failure_is_reported_as_error_and_ends_the_pod);
	tcase_add_test(tc, test_library_without_entry_point_is_refused);
	tcase_add_test(tc, test_library_with_another_abi_version_is_refused);
	tcase_add_test(tc, test_library_whose_init_refuses_is_not_served);
	tcase_add_test(tc, test_missing_library_is_refused_with_the_loader_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	g_host = getenv("PH_HOST");
	g_fix = getenv("PH_FIX");
	if (!g_host || !g_fix) {
		fprintf(stderr, "run through make test (PH_HOST, PH_FIX)\n");
		return 2;
	}
	SRunner *sr = srunner_create(podhost_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
