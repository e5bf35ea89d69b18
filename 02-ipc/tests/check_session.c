/*
 * check_session.c — TCase "session": the C runner side against the C worker
 * SDK in a forked child (plain fork, no sandbox).
 *
 * Layer 02-ipc, tests. Proves the handshake, a 1,000,000-frame echo with
 * sequence numbers and checksums (fewer under SAN=1, see the Makefile),
 * doorbell sleep/wake without a lost wake-up over 10,000 bursty cycles, STOP
 * within the deadline, a worker noticing its runner died, PING/PONG, and the
 * query socket.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_worker.h"
#include "testutil.h"

#define BATCH 256

/* ---- worker children ------------------------------------------------- */

static ipc_worker_t *child_connect(ipc_runner_t *r)
{
	struct ipc_worker_opts o = { .socket_path = ipc_runner_socket_path(r),
				     .shm_fd = dup(ipc_runner_shm_fd(r)),
				     .lang = IPC_LANG_C,
				     .spin_us = -1 /* the sleep/wake tests need real sleeps */ };
	ipc_worker_t *w = NULL;
	if (ipc_worker_connect(&o, &w) < 0)
		_exit(90);
	return w;
}

/* Echo everything back in batches until STOP; exit 0 on STOP, 91.. on errors. */
static void child_echo(ipc_runner_t *r)
{
	static uint8_t buf[1 << 16];
	uint32_t lens[BATCH];
	struct iovec iov[BATCH];
	ipc_worker_t *w = child_connect(r);
	for (;;) {
		int n = ipc_worker_recv_batch(w, buf, sizeof buf, lens, BATCH, -1);
		if (n == -ESHUTDOWN)
			_exit(0);
		if (n < 0)
			_exit(91);
		size_t off = 0;
		for (int i = 0; i < n; i++) {
			iov[i] = (struct iovec){ buf + off, lens[i] };
			off += lens[i];
		}
		if (ipc_worker_send_batch(w, iov, (unsigned)n) != n)
			_exit(92);
	}
}

static pid_t spawn(ipc_runner_t *r, void (*fn)(ipc_runner_t *))
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		fn(r);
		_exit(99);
	}
	rt_expect_pid(r, pid);
	return pid;
}

static int wait_exit(pid_t pid, int ms)
{
	uint64_t end = rt_ms() + (uint64_t)ms;
	int st;
	while (rt_ms() < end) {
		pid_t p = waitpid(pid, &st, WNOHANG);
		if (p == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/* ---- echo driver (runner side) --------------------------------------- */

/*
 * Send @total frames of @len bytes and check every echo, in order. Returns
 * when done; fails the test if no progress is made for 5 s (a lost wake-up).
 * @burst > 0: send at most @burst frames, then wait for all echoes (sleep/wake cycles).
 */
static uint32_t echo_drive(ipc_runner_t *r, uint32_t total, uint32_t len, uint32_t burst)
{
	uint32_t bursts = 0;
	static uint8_t out[BATCH][256], in[BATCH * 256];
	struct iovec iov[BATCH];
	uint32_t lens[BATCH], sent = 0, got = 0, limit;
	uint64_t stall = rt_ms();
	unsigned seed = 7;
	while (got < total) {
		int progress = 0;
		/* 1. send what fits (all at once, or one burst at a time) */
		limit = burst ? (got == sent ? sent + 1 + (uint32_t)rand_r(&seed) % burst : sent)
			      : total;
		bursts += burst && got == sent;
		if (limit > total)
			limit = total;
		while (sent < limit) {
			unsigned k = 0;
			for (; k < BATCH && sent + k < limit; k++) {
				rt_frame(out[k], len, sent + k);
				iov[k] = (struct iovec){ out[k], len };
			}
			int n = ipc_runner_send_batch(r, iov, k);
			ck_assert_int_ge(n, 0);
			sent += (uint32_t)n;
			progress |= n > 0;
			if ((unsigned)n < k)
				break; /* full: IPC_EV_WRITABLE will come */
		}
		/* 2. take every echo there is */
		for (;;) {
			int n = ipc_runner_recv_batch(r, in, sizeof in, lens, BATCH);
			if (n == -EAGAIN)
				break;
			ck_assert_int_gt(n, 0);
			size_t off = 0;
			for (int i = 0; i < n; i++, got++) {
				ck_assert_msg(lens[i] == len && rt_frame_ok(in + off, lens[i], got),
					      "echo %u corrupt or out of order", got);
				off += lens[i];
			}
			progress = 1;
		}
		/* 3. nothing moved: sleep on the runner's descriptor (doorbells) */
		if (progress) {
			stall = rt_ms();
			continue;
		}
		struct ipc_event ev;
		ck_assert_msg(rt_ms() - stall < 5000, "no progress for 5 s at %u/%u: lost wake-up",
			      got, sent);
		if (rt_next_event(r, &ev, 100))
			ck_assert_msg(ev.type == IPC_EV_DATA || ev.type == IPC_EV_WRITABLE,
				      "unexpected event %d (%s)", ev.type, ev.reason);
	}
	return bursts;
}

static void handshake(ipc_runner_t *r, pid_t pid, int lang)
{
	struct ipc_event ev;
	rt_expect(r, &ev, IPC_EV_READY, 3000);
	ck_assert_int_eq(ev.peer.pid, pid);
	ck_assert_int_eq(ev.u.hello.pid, pid); /* same pid namespace here */
	ck_assert_int_eq(ev.u.hello.lang, lang);
	ck_assert_int_eq(ev.u.hello.version, IPC_VERSION);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_ESTABLISHED);
}

static void stop_and_reap(ipc_runner_t *r, pid_t pid)
{
	struct ipc_event ev;
	ck_assert_int_eq(ipc_runner_stop(r, 2000), 0);
	while (rt_next_event(r, &ev, 3000) &&
	       (ev.type == IPC_EV_DATA || ev.type == IPC_EV_WRITABLE))
		; /* doorbells still in flight */
	ck_assert_int_eq(ev.type, IPC_EV_CLOSED);
	ck_assert_int_eq(ev.err, 0);
	ck_assert_int_eq(wait_exit(pid, 3000), 0);
}

/* ---- tests ----------------------------------------------------------- */

/* A directory name chosen by the caller: made as given, mode 0700; a name
 * that exists is EEXIST (never shared); a path or a dot name is EINVAL. */
START_TEST(test_caller_named_socket_directory)
{
	struct ipc_runner_opts o;
	ipc_runner_t *r = NULL, *r2 = NULL;
	char name[64], want[128];
	struct stat st;

	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	snprintf(name, sizeof name, "ipc-test-%d", (int)getpid());
	snprintf(want, sizeof want, "/tmp/%s", name);
	o.dir_name = name;
	ck_assert_int_eq(ipc_runner_create(&o, &r), 0);
	ck_assert_str_eq(ipc_runner_dir(r), want);
	ck_assert_int_eq(stat(want, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(ipc_runner_create(&o, &r2), -EEXIST);
	ck_assert_ptr_null(r2);
	ipc_runner_destroy(r);
	ck_assert_int_ne(access(want, F_OK), 0);
	o.dir_name = "a/b";
	ck_assert_int_eq(ipc_runner_create(&o, &r2), -EINVAL);
	o.dir_name = "..";
	ck_assert_int_eq(ipc_runner_create(&o, &r2), -EINVAL);
	o.dir_name = "";
	ck_assert_int_eq(ipc_runner_create(&o, &r2), -EINVAL);
}
END_TEST

START_TEST(test_handshake_reports_ready_with_pid_language_and_credentials)
{
	ipc_runner_t *r = rt_runner(0, 3000);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_LISTENING);
	pid_t pid = spawn(r, child_echo);
	handshake(r, pid, IPC_LANG_C);
	ck_assert_int_eq(ipc_runner_send(r, "x", 1), 0);
	stop_and_reap(r, pid);
	char dir[108];
	strcpy(dir, ipc_runner_dir(r));
	ck_assert_int_eq(access(dir, F_OK), 0);
	ipc_runner_destroy(r);
	ck_assert_int_eq(access(dir, F_OK), -1); /* directory and sockets are gone */
}
END_TEST

START_TEST(test_echo_of_many_frames_keeps_order_and_content_with_few_doorbells)
{
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_echo);
	handshake(r, pid, IPC_LANG_C);
	echo_drive(r, IPC_ECHO_FRAMES, 64, 0);
	struct ipc_stats st;
	ipc_runner_stats(r, &st);
	ck_assert_uint_eq(st.frames_sent, IPC_ECHO_FRAMES);
	ck_assert_uint_eq(st.frames_received, IPC_ECHO_FRAMES);
	/* no syscall per frame: doorbells are a small fraction of the frames */
	ck_assert_msg(st.doorbells_sent + st.doorbells_received < IPC_ECHO_FRAMES / 10,
		      "%llu doorbells for %u frames",
		      (unsigned long long)(st.doorbells_sent + st.doorbells_received),
		      IPC_ECHO_FRAMES);
	stop_and_reap(r, pid);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_no_lost_wakeup_in_10000_bursty_sleep_wake_cycles)
{
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_echo);
	handshake(r, pid, IPC_LANG_C);
	/* bursts of 1..8 frames, each answered before the next: both sides sleep in between */
	ck_assert_uint_ge(echo_drive(r, 60000, 64, 8), 10000);
	struct ipc_stats st;
	ipc_runner_stats(r, &st);
	ck_assert_msg(st.doorbells_sent >= 5000 && st.doorbells_received >= 5000,
		      "the sides did not really sleep: %llu/%llu doorbells",
		      (unsigned long long)st.doorbells_sent,
		      (unsigned long long)st.doorbells_received);
	stop_and_reap(r, pid);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_large_frames_fill_the_ring_and_flow_with_space_doorbells)
{
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_echo);
	handshake(r, pid, IPC_LANG_C);
	echo_drive(r, 20000, 256, 0); /* 64 KiB rings: full many times over */
	stop_and_reap(r, pid);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_worker_survives_a_runner_that_is_slow_to_read_its_socket)
{
	uint8_t f[64], in[64];
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_echo);
	handshake(r, pid, IPC_LANG_C);
	/* 50,000 round trips polling the ring, never dispatching: each round the
	 * runner announces sleep and the worker rings; the unread DATA messages
	 * fill the socket and must merge into one, not fail the worker */
	for (uint32_t i = 0; i < 50000; i++) {
		rt_frame(f, 64, i);
		ck_assert_int_eq(ipc_runner_send(r, f, 64), 0);
		int n;
		uint64_t end = rt_ms() + 5000;
		while ((n = ipc_runner_recv(r, in, sizeof in)) == -EAGAIN)
			ck_assert_msg(rt_ms() < end, "no echo for %u", i);
		ck_assert(n == 64 && rt_frame_ok(in, 64, i));
	}
	stop_and_reap(r, pid); /* the backlog is dispatched, the session ends cleanly */
	struct ipc_stats st;
	ipc_runner_stats(r, &st);
	ck_assert_msg(st.doorbells_received < 40000, "%llu doorbells: not merged",
		      (unsigned long long)st.doorbells_received);
	ipc_runner_destroy(r);
}
END_TEST

/* STOP handler: record that it ran, then exit 42 (the SDK exits with it). */
static int on_stop(ipc_worker_t *w, uint32_t deadline_ms, void *arg)
{
	(void)arg;
	ipc_worker_send(w, deadline_ms == 1500 ? "bye" : "bad", 3);
	return 42;
}

static void child_stop_handler(ipc_runner_t *r)
{
	char buf[64];
	ipc_worker_t *w = child_connect(r);
	ipc_worker_on_stop(w, on_stop, NULL);
	for (;;)
		if (ipc_worker_recv(w, buf, sizeof buf, -1) < 0)
			_exit(93); /* the handler exits first */
}

START_TEST(test_stop_runs_the_handler_and_the_worker_exits_within_the_deadline)
{
	struct ipc_event ev;
	char buf[8];
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_stop_handler);
	handshake(r, pid, IPC_LANG_C);
	uint64_t t0 = rt_ms();
	ck_assert_int_eq(ipc_runner_stop(r, 1500), 0);
	ck_assert_int_eq(ipc_runner_stop(r, 1500), -EALREADY);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_STOPPING);
	while (rt_next_event(r, &ev, 2000) && ev.type == IPC_EV_DATA)
		;
	ck_assert_int_eq(ev.type, IPC_EV_CLOSED);
	ck_assert_int_eq(ev.err, 0);
	ck_assert_uint_lt(rt_ms() - t0, 1500);
	ck_assert_int_eq(wait_exit(pid, 1500), 42);
	/* the handler's last frame is still readable after the close */
	ck_assert_int_eq(ipc_runner_recv(r, buf, sizeof buf), 3);
	ck_assert(!memcmp(buf, "bye", 3));
	ipc_runner_destroy(r);
}
END_TEST

static void child_ignores_stop(ipc_runner_t *r)
{
	ipc_worker_t *w = child_connect(r);
	(void)w;
	pause(); /* never looks at the socket */
	_exit(0);
}

START_TEST(test_stop_deadline_expiry_is_reported_when_the_worker_lingers)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_ignores_stop);
	handshake(r, pid, IPC_LANG_C);
	uint64_t t0 = rt_ms();
	ck_assert_int_eq(ipc_runner_stop(r, 200), 0);
	rt_expect(r, &ev, IPC_EV_STOP_EXPIRED, 2000);
	ck_assert_uint_ge(rt_ms() - t0, 190);
	kill(pid, SIGKILL); /* a reset or a close, depending on timing */
	rt_expect(r, &ev, IPC_EV_CLOSED, 2000);
	ck_assert(ev.err == -ECONNRESET || ev.err == 0);
	wait_exit(pid, 1000);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_worker_reports_runner_death_mid_stream_with_a_clear_error)
{
	static uint8_t buf[1 << 16];
	uint32_t lens[BATCH];
	ipc_runner_t *r = rt_runner(0, 3000);
	rt_expect_pid(r, getpid()); /* this process is the worker; a child is the runner */
	pid_t runner = fork();
	ck_assert_int_ge(runner, 0);
	if (runner == 0) { /* runner: stream frames forever */
		struct ipc_event ev;
		uint8_t f[64];
		uint32_t seq = 0;
		if (!rt_next_event(r, &ev, 3000) || ev.type != IPC_EV_READY)
			_exit(1);
		for (;;) {
			rt_frame(f, 64, seq);
			if (ipc_runner_send(r, f, 64) == 0)
				seq++;
			else
				rt_next_event(r, &ev, 10);
			while (ipc_runner_recv(r, buf, sizeof buf) >= 0)
				;
		}
	}
	struct ipc_worker_opts o = { .socket_path = ipc_runner_socket_path(r),
				     .shm_fd = dup(ipc_runner_shm_fd(r)) };
	ipc_worker_t *w = NULL;
	ck_assert_int_eq(ipc_worker_connect(&o, &w), 0);
	uint32_t got = 0;
	while (got < 100000) {
		int n = ipc_worker_recv_batch(w, buf, sizeof buf, lens, BATCH, 2000);
		ck_assert_int_gt(n, 0);
		for (int i = 0; i < n; i++, got++)
			ck_assert(rt_frame_ok(buf + (size_t)i * 64, lens[i], got));
	}
	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	uint64_t t0 = rt_ms();
	int n;
	do /* frames already in the ring may still come; then the error */
		n = ipc_worker_recv_batch(w, buf, sizeof buf, lens, BATCH, 5000);
	while (n > 0);
	ck_assert_int_eq(n, -ECONNRESET);
	ck_assert_uint_lt(rt_ms() - t0, 3000);
	ck_assert_ptr_nonnull(strstr(ipc_worker_error(w), "runner closed"));
	ck_assert_int_eq(ipc_worker_send(w, "x", 1), -ECONNRESET); /* sticky */
	ipc_worker_close(w);
	ipc_runner_destroy(r);
}
END_TEST

static void child_sleeper(ipc_runner_t *r)
{
	char buf[16];
	ipc_worker_t *w = child_connect(r);
	int n = ipc_worker_recv(w, buf, sizeof buf, 5000); /* answers PING while waiting */
	_exit(n == -ESHUTDOWN ? 0 : 94);
}

START_TEST(test_ping_is_answered_by_a_waiting_worker)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_sleeper);
	handshake(r, pid, IPC_LANG_C);
	ck_assert_int_eq(ipc_runner_ping(r, 1000), 0);
	ck_assert_int_eq(ipc_runner_ping(r, 1000), -EBUSY);
	rt_expect(r, &ev, IPC_EV_PONG, 2000);
	stop_and_reap(r, pid);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_ping_without_pong_closes_the_session_with_timeout)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t pid = spawn(r, child_ignores_stop);
	handshake(r, pid, IPC_LANG_C);
	ck_assert_int_eq(ipc_runner_ping(r, 200), 0);
	rt_expect(r, &ev, IPC_EV_CLOSED, 2000);
	ck_assert_int_eq(ev.err, -ETIMEDOUT);
	ck_assert_int_eq(ipc_runner_send(r, "x", 1), -ENOTCONN);
	kill(pid, SIGKILL);
	wait_exit(pid, 1000);
	ipc_runner_destroy(r);
}
END_TEST

static void child_queries(ipc_runner_t *r)
{
	ipc_client_t *c = NULL;
	struct ipc_verdict v;
	if (ipc_client_connect(ipc_runner_query_path(r), 2000, &c) < 0)
		_exit(95);
	if (ipc_client_event(c, IPC_ACT_INFO, "ffi", "/lib/libz.so.1", "about to dlopen") < 0)
		_exit(96);
	if (ipc_client_query(c, "ffi", "/lib/libz.so.1", &v, 2000) < 0 ||
	    v.action != IPC_ACT_DENY || strcmp(v.rule, "ffi.default") ||
	    strcmp(v.reason, "not allowed"))
		_exit(97);
	if (ipc_client_query(c, "ffi", "/lib/libm.so.6", &v, 2000) < 0 || v.action != IPC_ACT_ALLOW)
		_exit(98);
	ipc_client_close(c);
	_exit(0);
}

START_TEST(test_query_connection_gets_verdicts_and_reports_events)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(1, 3000);
	ck_assert_ptr_nonnull(ipc_runner_query_path(r));
	pid_t pid = spawn(r, child_queries);
	rt_expect(r, &ev, IPC_EV_EVENT, 3000);
	ck_assert_uint_gt(ev.conn, 0);
	ck_assert_int_eq(ev.peer.pid, pid);
	ck_assert_str_eq(ev.u.event.category, "ffi");
	ck_assert_str_eq(ev.u.event.what, "/lib/libz.so.1");
	ck_assert_str_eq(ev.u.event.detail, "about to dlopen");
	ck_assert_int_eq(ev.u.event.action, IPC_ACT_INFO);
	rt_expect(r, &ev, IPC_EV_QUERY, 3000);
	ck_assert_str_eq(ev.u.query.request, "/lib/libz.so.1");
	ck_assert_int_eq(ipc_runner_verdict(r, ev.conn, ev.u.query.request_id, IPC_ACT_DENY,
					    "ffi.default", "not allowed"),
			 0);
	rt_expect(r, &ev, IPC_EV_QUERY, 3000);
	ck_assert_str_eq(ev.u.query.request, "/lib/libm.so.6");
	ck_assert_int_eq(
	    ipc_runner_verdict(r, ev.conn, ev.u.query.request_id, IPC_ACT_ALLOW, NULL, NULL), 0);
	ck_assert_int_eq(ipc_runner_verdict(r, 999, 1, IPC_ACT_ALLOW, NULL, NULL), -ENOENT);
	rt_expect(r, &ev, IPC_EV_QUERY_CLOSED, 3000);
	ck_assert_int_eq(ev.err, 0);
	ck_assert_int_eq(wait_exit(pid, 2000), 0);
	ipc_runner_destroy(r);
}
END_TEST

TCase *tcase_session(void)
{
	TCase *tc = tcase_create("session");
	tcase_add_test(tc, test_caller_named_socket_directory);
	tcase_add_test(tc, test_handshake_reports_ready_with_pid_language_and_credentials);
	tcase_add_test(tc, test_echo_of_many_frames_keeps_order_and_content_with_few_doorbells);
	tcase_add_test(tc, test_no_lost_wakeup_in_10000_bursty_sleep_wake_cycles);
	tcase_add_test(tc, test_large_frames_fill_the_ring_and_flow_with_space_doorbells);
	tcase_add_test(tc, test_worker_survives_a_runner_that_is_slow_to_read_its_socket);
	tcase_add_test(tc, test_stop_runs_the_handler_and_the_worker_exits_within_the_deadline);
	tcase_add_test(tc, test_stop_deadline_expiry_is_reported_when_the_worker_lingers);
	tcase_add_test(tc, test_worker_reports_runner_death_mid_stream_with_a_clear_error);
	tcase_add_test(tc, test_ping_is_answered_by_a_waiting_worker);
	tcase_add_test(tc, test_ping_without_pong_closes_the_session_with_timeout);
	tcase_add_test(tc, test_query_connection_gets_verdicts_and_reports_events);
	tcase_set_timeout(tc, 60);
	return tc;
}
