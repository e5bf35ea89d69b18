/*
 * check_worker.c — TCase "worker": the C worker SDK against a runner that
 * misbehaves (a scripted fake runner in a child process), and argv handling.
 *
 * Layer 02-ipc, tests. The worker must fail with a clear error in bounded
 * time when the runner is silent, refuses, sends garbage, lies about the ring
 * or speaks out of order — never hang.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_worker.h"
#include "testutil.h"

enum script { SILENT, REFUSE, GARBAGE, BAD_GEOMETRY, OUT_OF_ORDER_AFTER_READY, CLOSE_AFTER_HELLO };

struct fake {
	char dir[64], path[108];
	int lfd;
	ring_shm_t *shm;
	pid_t pid;
};

static void fake_send(int fd, struct ipc_msg *m, uint32_t seq)
{
	uint8_t b[IPC_MAX_MSG];
	m->seq = seq;
	int n = ipc_encode(m, b, sizeof b);
	if (n < 0 || send(fd, b, (size_t)n, MSG_NOSIGNAL) != n)
		_exit(1);
}

/* The fake runner: accept one connection, read HELLO, then act out @s. */
static void fake_run(struct fake *f, enum script s)
{
	uint8_t b[IPC_MAX_MSG];
	int fd = accept(f->lfd, NULL, NULL);
	if (fd < 0 || recv(fd, b, sizeof b, 0) <= 0) /* the HELLO */
		_exit(1);
	struct ipc_msg m = { .type = IPC_READY };
	m.u.ready.ring_capacity = ring_shm_capacity(f->shm);
	m.u.ready.max_frame = ring_max_frame(ring_shm_ring(f->shm, RING_DIR_TO_POD));
	switch (s) {
	case SILENT:
		pause();
		break;
	case REFUSE: {
		struct ipc_msg e = { .type = IPC_ERROR };
		e.u.error.code = IPC_ERR_CREDENTIALS;
		e.u.error.text = (struct ipc_str){ "not you", 7 };
		fake_send(fd, &e, 1);
		break;
	}
	case GARBAGE:
		fake_send(fd, &m, 1);
		if (send(fd, "\x01\x02garbage!!!!!!!!!!!!", 20, MSG_NOSIGNAL) < 0)
			_exit(1);
		pause();
		break;
	case BAD_GEOMETRY:
		m.u.ready.ring_capacity *= 2;
		fake_send(fd, &m, 1);
		pause();
		break;
	case OUT_OF_ORDER_AFTER_READY: {
		fake_send(fd, &m, 1);
		struct ipc_msg h = { .type = IPC_HELLO, .u.hello = { 1, IPC_LANG_C, 1 } };
		fake_send(fd, &h, 2);
		pause();
		break;
	}
	case CLOSE_AFTER_HELLO:
		break;
	}
	_exit(0);
}

static void fake_start(struct fake *f, enum script s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(f->dir, "/tmp/ipc-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/ctl.sock", f->dir);
	strcpy(sa.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(f->lfd, 4), 0);
	ck_assert_int_eq(ring_shm_create_sealed(1u << 16, &f->shm), 0);
	f->pid = fork();
	if (f->pid == 0)
		fake_run(f, s);
}

static void fake_stop(struct fake *f)
{
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
	ring_shm_destroy(f->shm);
}

/* Connect a worker to the fake; returns ipc_worker_connect()'s result. */
static int try_connect(struct fake *f, ipc_worker_t **w, unsigned timeout_ms)
{
	struct ipc_worker_opts o = { .socket_path = f->path,
				     .shm_fd = dup(ring_shm_fd(f->shm)),
				     .handshake_timeout_ms = timeout_ms };
	return ipc_worker_connect(&o, w);
}

START_TEST(test_worker_times_out_when_the_runner_never_answers_hello)
{
	struct fake f;
	ipc_worker_t *w = NULL;
	fake_start(&f, SILENT);
	uint64_t t0 = rt_ms();
	ck_assert_int_eq(try_connect(&f, &w, 300), -ETIMEDOUT);
	ck_assert_uint_lt(rt_ms() - t0, 1500);
	fake_stop(&f);
}
END_TEST

START_TEST(test_worker_reports_a_refusal_from_the_runner)
{
	struct fake f;
	ipc_worker_t *w = NULL;
	fake_start(&f, REFUSE);
	ck_assert_int_eq(try_connect(&f, &w, 2000), -EREMOTEIO);
	fake_stop(&f);
}
END_TEST

START_TEST(test_worker_rejects_a_ready_that_does_not_match_its_ring)
{
	struct fake f;
	ipc_worker_t *w = NULL;
	fake_start(&f, BAD_GEOMETRY);
	ck_assert_int_eq(try_connect(&f, &w, 2000), -EPROTO);
	fake_stop(&f);
}
END_TEST

START_TEST(test_worker_fails_cleanly_when_the_runner_closes_during_the_handshake)
{
	struct fake f;
	ipc_worker_t *w = NULL;
	fake_start(&f, CLOSE_AFTER_HELLO);
	ck_assert_int_eq(try_connect(&f, &w, 2000), -ECONNRESET);
	fake_stop(&f);
}
END_TEST

START_TEST(test_worker_rejects_garbage_from_the_runner)
{
	struct fake f;
	ipc_worker_t *w = NULL;
	char b[16];
	fake_start(&f, GARBAGE);
	ck_assert_int_eq(try_connect(&f, &w, 2000), 0);
	uint64_t t0 = rt_ms();
	ck_assert_int_eq(ipc_worker_recv(w, b, sizeof b, 5000), -EBADMSG);
	ck_assert_uint_lt(rt_ms() - t0, 2000);
	ck_assert_ptr_nonnull(strstr(ipc_worker_error(w), "malformed"));
	ipc_worker_close(w);
	fake_stop(&f);
}
END_TEST

START_TEST(test_worker_rejects_messages_out_of_order_from_the_runner)
{
	struct fake f;
	ipc_worker_t *w = NULL;
	char b[16];
	fake_start(&f, OUT_OF_ORDER_AFTER_READY);
	ck_assert_int_eq(try_connect(&f, &w, 2000), 0);
	ck_assert_int_eq(ipc_worker_recv(w, b, sizeof b, 5000), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(ipc_worker_error(w), "HELLO"));
	ipc_worker_close(w);
	fake_stop(&f);
}
END_TEST

START_TEST(test_worker_without_a_runner_fails_at_once)
{
	struct ipc_worker_opts o = { .socket_path = "/tmp/ipc-no-such-dir/ctl.sock", .shm_fd = -1 };
	ipc_worker_t *w = NULL;
	ck_assert_int_eq(ipc_worker_connect(&o, &w), -EBADF);
	ring_shm_t *shm;
	ck_assert_int_eq(ring_shm_create_sealed(1u << 16, &shm), 0);
	o.shm_fd = dup(ring_shm_fd(shm));
	ck_assert_int_eq(ipc_worker_connect(&o, &w), -ENOENT);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_worker_recv_times_out_on_a_quiet_but_healthy_runner)
{
	ipc_runner_t *r = rt_runner(0, 2000);
	rt_expect_pid(r, getpid());
	struct ipc_worker_opts o = { .socket_path = ipc_runner_socket_path(r),
				     .shm_fd = dup(ipc_runner_shm_fd(r)),
				     .handshake_timeout_ms = 2000 };
	ipc_worker_t *w = NULL;
	struct ipc_event ev;
	pid_t helper = fork(); /* the runner's loop, so that the handshake completes */
	if (helper == 0) {
		for (;;)
			rt_next_event(r, &ev, 1000);
	}
	ck_assert_int_eq(ipc_worker_connect(&o, &w), 0);
	char b[8];
	uint64_t t0 = rt_ms();
	ck_assert_int_eq(ipc_worker_recv(w, b, sizeof b, 150), -ETIMEDOUT);
	ck_assert_uint_ge(rt_ms() - t0, 140);
	ck_assert_int_eq(ipc_worker_recv(w, b, sizeof b, 0), -ETIMEDOUT);
	ck_assert_int_eq(ipc_worker_poll(w), 0);
	ck_assert_int_eq(ipc_worker_send(w, b, ipc_worker_max_frame(w) + 1), -EMSGSIZE);
	kill(helper, SIGKILL);
	waitpid(helper, NULL, 0);
	ipc_worker_close(w);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_pod_arguments_are_parsed_and_removed_from_argv)
{
	char a0[] = "prog", a1[] = "--pod-socket=/run/pod/x/ctl.sock", a2[] = "-v",
	     a3[] = "--pod-shm-fd=3", a4[] = "--", a5[] = "--pod-shm-fd=9";
	char *argv[] = { a0, a1, a2, a3, a4, a5, NULL };
	int argc = 6;
	struct ipc_worker_opts o;
	ck_assert_int_eq(ipc_worker_parse_args(&argc, argv, &o), 0);
	ck_assert_str_eq(o.socket_path, "/run/pod/x/ctl.sock");
	ck_assert_int_eq(o.shm_fd, 3);
	ck_assert_int_eq(argc, 4);
	ck_assert_str_eq(argv[1], "-v");
	ck_assert_str_eq(argv[2], "--");
	ck_assert_str_eq(argv[3], "--pod-shm-fd=9"); /* after "--": the program's own */
	ck_assert_ptr_null(argv[4]);

	char b1[] = "--pod-shm-fd=x3";
	char *bad[] = { a0, b1, NULL };
	argc = 2;
	ck_assert_int_eq(ipc_worker_parse_args(&argc, bad, &o), -EINVAL);
	char *none[] = { a0, NULL };
	argc = 1;
	ck_assert_int_eq(ipc_worker_parse_args(&argc, none, &o), -ENOENT);
}
END_TEST

TCase *tcase_worker(void)
{
	TCase *tc = tcase_create("worker");
	tcase_add_test(tc, test_worker_times_out_when_the_runner_never_answers_hello);
	tcase_add_test(tc, test_worker_reports_a_refusal_from_the_runner);
	tcase_add_test(tc, test_worker_rejects_a_ready_that_does_not_match_its_ring);
	tcase_add_test(tc, test_worker_fails_cleanly_when_the_runner_closes_during_the_handshake);
	tcase_add_test(tc, test_worker_rejects_garbage_from_the_runner);
	tcase_add_test(tc, test_worker_rejects_messages_out_of_order_from_the_runner);
	tcase_add_test(tc, test_worker_without_a_runner_fails_at_once);
	tcase_add_test(tc, test_worker_recv_times_out_on_a_quiet_but_healthy_runner);
	tcase_add_test(tc, test_pod_arguments_are_parsed_and_removed_from_argv);
	tcase_set_timeout(tc, 20);
	return tc;
}
