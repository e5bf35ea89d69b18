/*
 * check_hostile.c — TCase "hostile": the runner side against a pod that lies.
 *
 * Layer 02-ipc, tests. A raw socket plays the pod and sends wrong versions,
 * garbage, truncated and oversize messages, messages out of order, a second
 * connection, wrong credentials, silence and a corrupt ring. Each must end with
 * an ERROR to the offender, a closed connection and an event for the runner,
 * never a crash or a hang. Also the credential rules (descendant, pid namespace).
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_worker.h"
#include "podtest.h"
#include "testutil.h"

/* ---- a raw pod ------------------------------------------------------- */

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void raw_send(int fd, const void *buf, size_t len)
{
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void raw_msg(int fd, struct ipc_msg *m)
{
	uint8_t buf[IPC_MAX_MSG];
	int n = ipc_encode(m, buf, sizeof buf);
	ck_assert_int_gt(n, 0);
	raw_send(fd, buf, (size_t)n);
}

static void raw_hello(int fd, uint16_t version)
{
	struct ipc_msg m = { .type = IPC_HELLO, .seq = 1 };
	m.u.hello.version = version;
	m.u.hello.lang = IPC_LANG_C;
	m.u.hello.pid = (uint32_t)getpid();
	raw_msg(fd, &m);
}

/*
 * Read until EOF (at most @ms) and return the ERROR code the runner sent last,
 * 0 when it closed without ERROR, -1 when the connection stayed open.
 */
static int raw_read_until_close(int fd, int ms, int *saw_ready)
{
	uint8_t buf[4 * IPC_MAX_MSG];
	size_t len = 0;
	int code = 0;
	uint64_t end = rt_ms() + (uint64_t)ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = rt_ms();
		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			return -1;
		ssize_t n = recv(fd, buf + len, sizeof buf - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		struct ipc_msg m;
		int k;
		size_t off = 0;
		while ((k = ipc_decode(buf + off, len - off, &m)) > 0) {
			if (m.type == IPC_ERROR)
				code = m.u.error.code;
			if (m.type == IPC_READY && saw_ready)
				*saw_ready = 1;
			off += (size_t)k;
		}
		memmove(buf, buf + off, len - off);
		len -= off;
	}
	close(fd);
	return code;
}

/* A runner expecting this process, and a raw connection to it. */
static ipc_runner_t *setup(int *fd, unsigned timeout_ms)
{
	ipc_runner_t *r = rt_runner(1, timeout_ms);
	rt_expect_pid(r, getpid());
	*fd = raw_connect(ipc_runner_socket_path(r));
	return r;
}

/* Dispatch until CLOSED and check its err; the raw side must see ERROR @code. */
static void expect_closed(ipc_runner_t *r, int fd, int err, int code)
{
	struct ipc_event ev;
	do
		ck_assert_msg(rt_next_event(r, &ev, 3000), "no CLOSED event");
	while (ev.type == IPC_EV_READY || ev.type == IPC_EV_DATA);
	ck_assert_msg(ev.type == IPC_EV_CLOSED, "event %d", ev.type);
	ck_assert_int_eq(ev.err, err);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_CLOSED);
	if (fd >= 0)
		ck_assert_int_eq(raw_read_until_close(fd, 2000, NULL), code);
	/* no second session, ever: the listening socket is gone */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, ipc_runner_socket_path(r));
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(s, (struct sockaddr *)&sa, sizeof sa), -1);
	close(s);
}

/* ---- tests: malformed input ------------------------------------------ */

START_TEST(test_wrong_version_hello_gets_error_and_close)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, 2);
	expect_closed(r, fd, -EPROTONOSUPPORT, IPC_ERR_VERSION);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_wrong_header_version_byte_gets_error_and_close)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 2000);
	uint8_t b[IPC_MAX_MSG];
	struct ipc_msg m = { .type = IPC_HELLO, .seq = 1, .u.hello = { 1, IPC_LANG_C, 1 } };
	int n = ipc_encode(&m, b, sizeof b);
	b[4] = 9;
	raw_send(fd, b, (size_t)n);
	expect_closed(r, fd, -EPROTONOSUPPORT, IPC_ERR_VERSION);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_garbage_bytes_get_error_and_close)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_send(fd, "GET / HTTP/1.1\r\n\r\n", 18);
	expect_closed(r, fd, -EBADMSG, IPC_ERR_PROTOCOL);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_truncated_message_then_close_is_a_protocol_error)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 2000);
	uint8_t b[IPC_MAX_MSG];
	struct ipc_msg m = { .type = IPC_HELLO, .seq = 1, .u.hello = { 1, IPC_LANG_C, 1 } };
	int n = ipc_encode(&m, b, sizeof b);
	raw_send(fd, b, (size_t)n - 3);
	shutdown(fd, SHUT_WR);
	expect_closed(r, fd, -EBADMSG, 0);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_oversize_length_is_refused_before_the_payload_arrives)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 2000);
	uint8_t h[IPC_HDR_SIZE] = { 'P', 'O',  'D',  'I',  1,    IPC_QUERY, 0,
				    0,   0xff, 0xff, 0xff, 0x7f, 1 };
	raw_send(fd, h, sizeof h); /* claims 2 GiB; nothing follows */
	expect_closed(r, fd, -EMSGSIZE, IPC_ERR_PROTOCOL);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_message_before_hello_is_out_of_order)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 2000);
	struct ipc_msg m = { .type = IPC_DATA, .seq = 1, .u.data.flags = IPC_DATA_FRAMES };
	raw_msg(fd, &m);
	expect_closed(r, fd, -EBADMSG, IPC_ERR_PROTOCOL);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_runner_only_messages_from_the_pod_are_out_of_order)
{
	static const uint8_t types[] = { IPC_READY, IPC_STOP, IPC_VERDICT, IPC_HELLO };
	for (unsigned i = 0; i < sizeof types; i++) {
		int fd, ready = 0;
		struct ipc_event ev;
		ipc_runner_t *r = setup(&fd, 2000);
		raw_hello(fd, IPC_VERSION);
		rt_expect(r, &ev, IPC_EV_READY, 2000);
		struct ipc_msg m = { .type = types[i], .seq = 2 };
		m.u.hello.version = 1;
		m.u.hello.lang = IPC_LANG_C;
		raw_msg(fd, &m);
		expect_closed(r, -1, -EBADMSG, 0);
		ck_assert_int_eq(raw_read_until_close(fd, 2000, &ready), IPC_ERR_PROTOCOL);
		ck_assert_int_eq(ready, 1);
		ipc_runner_destroy(r);
	}
}
END_TEST

START_TEST(test_sequence_gap_is_a_protocol_error)
{
	int fd;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	struct ipc_msg m = { .type = IPC_PING, .seq = 3 }; /* 2 is missing */
	raw_msg(fd, &m);
	expect_closed(r, -1, -EBADMSG, 0);
	ipc_runner_destroy(r);
	close(fd);
}
END_TEST

START_TEST(test_unanswered_pong_token_is_a_protocol_error)
{
	int fd;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	struct ipc_msg m = { .type = IPC_PONG, .seq = 2, .u.ping.token = 77 };
	raw_msg(fd, &m);
	expect_closed(r, fd, -EBADMSG, IPC_ERR_PROTOCOL);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_pod_error_message_closes_the_session_with_its_text)
{
	int fd;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	struct ipc_msg m = { .type = IPC_ERROR, .seq = 2 };
	m.u.error.code = IPC_ERR_USER + 1;
	m.u.error.text = (struct ipc_str){ "disk full", 9 };
	raw_msg(fd, &m);
	rt_expect(r, &ev, IPC_EV_CLOSED, 2000);
	ck_assert_int_eq(ev.err, -EREMOTEIO);
	ck_assert_int_eq(ev.u.error.code, IPC_ERR_USER + 1);
	ck_assert_str_eq(ev.u.error.text, "disk full");
	ipc_runner_destroy(r);
	close(fd);
}
END_TEST

START_TEST(test_pod_that_floods_pings_without_reading_is_closed)
{
	int fd;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	/* PINGs as fast as the socket takes them, never reading a PONG; the
	 * runner is dispatched in between (it runs in this same thread) */
	uint8_t burst[64 * 24];
	size_t len = 0, off = 0;
	uint32_t seq = 2;
	int closed = 0;
	for (uint64_t end = rt_ms() + 10000; !closed && rt_ms() < end;) {
		if (off == len) { /* next burst */
			for (len = off = 0; len < sizeof burst;) {
				struct ipc_msg m = { .type = IPC_PING,
						     .seq = seq++,
						     .u.ping.token = 1 };
				len += (size_t)ipc_encode(&m, burst + len, sizeof burst - len);
			}
		}
		ssize_t n = send(fd, burst + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		while (ipc_runner_dispatch(r, &ev) == 1) {
			ck_assert_int_eq(ev.type, IPC_EV_CLOSED);
			ck_assert_int_eq(ev.err, -ENOBUFS);
			closed = 1;
		}
	}
	ck_assert(closed);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_CLOSED);
	ipc_runner_destroy(r);
	close(fd);
}
END_TEST

/* ---- tests: who connects --------------------------------------------- */

START_TEST(test_second_connection_is_refused_while_the_session_lives)
{
	int fd, ready = 0;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	int fd2 = raw_connect(ipc_runner_socket_path(r));
	raw_hello(fd2, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_REJECTED, 2000);
	ck_assert_int_eq(ev.err, -EBUSY);
	ck_assert_int_eq(raw_read_until_close(fd2, 2000, &ready), IPC_ERR_BUSY);
	ck_assert_int_eq(ready, 0);
	/* the first session is untouched */
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_ESTABLISHED);
	ck_assert_int_eq(ipc_runner_ping(r, 1000), 0);
	ipc_runner_destroy(r);
	close(fd);
}
END_TEST

START_TEST(test_peer_with_the_wrong_pid_is_refused_and_the_right_one_still_accepted)
{
	struct ipc_event ev;
	int go[2];
	ck_assert_int_eq(pipe(go), 0);
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t other = fork();
	if (other == 0) { /* the real worker, once told to start */
		char c;
		struct ipc_worker_opts o = { .socket_path = ipc_runner_socket_path(r),
					     .shm_fd = dup(ipc_runner_shm_fd(r)) };
		ipc_worker_t *w;
		if (read(go[0], &c, 1) != 1 || ipc_worker_connect(&o, &w) < 0)
			_exit(1);
		_exit(ipc_worker_recv(w, &c, 1, 3000) == -ESHUTDOWN ? 0 : 2);
	}
	rt_expect_pid(r, other); /* we are not `other` */
	int fd = raw_connect(ipc_runner_socket_path(r));
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_REJECTED, 2000);
	ck_assert_int_eq(ev.err, -EACCES);
	ck_assert_int_eq(ev.peer.pid, getpid());
	ck_assert_int_eq(raw_read_until_close(fd, 2000, NULL), IPC_ERR_CREDENTIALS);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_LISTENING);
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	rt_expect(r, &ev, IPC_EV_READY, 3000);
	ck_assert_int_eq(ev.peer.pid, other);
	ck_assert_int_eq(ipc_runner_stop(r, 1000), 0);
	int st;
	waitpid(other, &st, 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ipc_runner_destroy(r);
}
END_TEST

static int deny_all(const struct ipc_peer *peer, void *arg)
{
	(void)peer;
	++*(int *)arg;
	return -EPERM;
}

START_TEST(test_peer_with_the_wrong_uid_or_refused_by_callback_is_refused)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 3000);
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PID, .pid = getpid(), .uid = getuid() + 1 };
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), 0);
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), -EALREADY);
	int fd = raw_connect(ipc_runner_socket_path(r));
	rt_expect(r, &ev, IPC_EV_REJECTED, 2000);
	ck_assert_int_eq(ev.err, -EACCES);
	close(fd);
	ipc_runner_destroy(r);

	int calls = 0;
	r = rt_runner(0, 3000);
	struct ipc_peer_rule cb = {
		.kind = IPC_PEER_CALLBACK, .uid = (uid_t)-1, .fn = deny_all, .arg = &calls
	};
	ck_assert_int_eq(ipc_runner_expect_peer(r, &cb), 0);
	fd = raw_connect(ipc_runner_socket_path(r));
	rt_expect(r, &ev, IPC_EV_REJECTED, 2000);
	ck_assert_int_eq(calls, 1);
	close(fd);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_silent_peer_is_closed_at_the_handshake_timeout)
{
	int fd;
	ipc_runner_t *r = setup(&fd, 300);
	uint64_t t0 = rt_ms();
	expect_closed(r, fd, -ETIMEDOUT, IPC_ERR_TIMEOUT);
	ck_assert_uint_ge(rt_ms() - t0, 250);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_no_connection_at_all_ends_at_the_handshake_timeout)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 300);
	rt_expect_pid(r, getpid());
	rt_expect(r, &ev, IPC_EV_CLOSED, 2000);
	ck_assert_int_eq(ev.err, -ETIMEDOUT);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_nothing_is_accepted_before_the_peer_rule_is_known)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 300);
	int fd = raw_connect(ipc_runner_socket_path(r)); /* sits in the backlog */
	raw_hello(fd, IPC_VERSION);
	ck_assert_int_eq(rt_next_event(r, &ev, 200), 0);
	rt_expect_pid(r, getpid());
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	close(fd);
	ipc_runner_destroy(r);
}
END_TEST

static void grandchild_connects(const char *path, int shm_fd)
{
	pid_t p = fork();
	if (p == 0) {
		struct ipc_worker_opts o = { .socket_path = path, .shm_fd = shm_fd };
		ipc_worker_t *w;
		char b[8];
		if (ipc_worker_connect(&o, &w) < 0)
			_exit(1);
		_exit(ipc_worker_recv(w, b, sizeof b, 3000) == -ESHUTDOWN ? 0 : 2);
	}
	int st;
	waitpid(p, &st, 0);
	_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
}

START_TEST(test_descendant_rule_accepts_a_grandchild)
{
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 3000);
	pid_t child = fork();
	if (child == 0)
		grandchild_connects(ipc_runner_socket_path(r), dup(ipc_runner_shm_fd(r)));
	struct ipc_peer_rule rule = { .kind = IPC_PEER_DESCENDANT, .pid = child, .uid = (uid_t)-1 };
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), 0);
	rt_expect(r, &ev, IPC_EV_READY, 3000);
	ck_assert_int_ne(ev.peer.pid, child);
	ck_assert_int_eq(ipc_pid_is_descendant(ev.peer.pid, child), 1);
	ck_assert_int_eq(ipc_pid_is_descendant(getpid(), child), 0);
	ck_assert_int_eq(ipc_runner_stop(r, 1000), 0);
	int st;
	waitpid(child, &st, 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_pidns_rule_accepts_any_process_in_the_pod_and_refuses_outsiders)
{
	POD_REQUIRE_ROOT();
	struct ipc_event ev;
	ipc_runner_t *r = rt_runner(0, 3000);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t child = fork();
	if (child == 0) { /* becomes "podinit": pid 1 of a new pid namespace */
		if (unshare(CLONE_NEWPID) < 0)
			_exit(10);
		pid_t init = fork();
		if (init == 0) {
			char go;
			if (read(pfd[0], &go, 1) != 1) /* wait until the rule is set */
				_exit(11);
			grandchild_connects(ipc_runner_socket_path(r), dup(ipc_runner_shm_fd(r)));
		}
		int st;
		waitpid(init, &st, 0);
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 12);
	}
	/* find the init: the only child of `child` */
	pid_t init = -1;
	for (int i = 0; i < 200 && init < 0; i++) {
		char path[64], buf[64] = "";
		snprintf(path, sizeof path, "/proc/%d/task/%d/children", child, child);
		FILE *f = fopen(path, "r");
		if (f) {
			if (fgets(buf, sizeof buf, f))
				init = atoi(buf);
			fclose(f);
		}
		if (init <= 0) {
			init = -1;
			usleep(5000);
		}
	}
	ck_assert_int_gt(init, 0);
	ck_assert_int_eq(ipc_pid_in_pidns_of(init, getpid()), 0);
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PIDNS, .pid = init, .uid = (uid_t)-1 };
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), 0);
	/* an outsider (this process) is refused ... */
	int fd = raw_connect(ipc_runner_socket_path(r));
	rt_expect(r, &ev, IPC_EV_REJECTED, 2000);
	ck_assert_int_eq(ev.err, -EACCES);
	close(fd);
	/* ... the worker forked by the pod's init is accepted */
	ck_assert_int_eq(write(pfd[1], "g", 1), 1);
	rt_expect(r, &ev, IPC_EV_READY, 3000);
	ck_assert_int_eq(ipc_pid_in_pidns_of(ev.peer.pid, init), 1);
	ck_assert_int_eq(ev.u.hello.pid, 2); /* pid inside the pod: init is 1 */
	ck_assert_int_eq(ipc_runner_stop(r, 1000), 0);
	int st;
	waitpid(child, &st, 0);
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	ipc_runner_destroy(r);
}
END_TEST

/* Child: become @uid and try to connect as a worker; exit 0 on READY. */
static void connect_as(ipc_runner_t *r, uid_t uid)
{
	struct ipc_worker_opts o = { .socket_path = ipc_runner_socket_path(r),
				     .shm_fd = dup(ipc_runner_shm_fd(r)),
				     .handshake_timeout_ms = 2000 };
	ipc_worker_t *w;
	if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
		_exit(10);
	int ret = ipc_worker_connect(&o, &w);
	_exit(ret == 0 ? 0 : ret == -EACCES ? 13 : 11);
}

START_TEST(test_only_the_pod_user_can_reach_the_private_socket_directory)
{
	POD_REQUIRE_ROOT();
	struct ipc_runner_opts o;
	struct ipc_event ev;
	ipc_runner_t *r;
	struct stat st;
	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	o.owner_uid = 65534;
	o.owner_gid = 65534;
	ck_assert_int_eq(ipc_runner_create(&o, &r), 0);
	ck_assert_int_eq(stat(ipc_runner_dir(r), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_int_eq(stat(ipc_runner_socket_path(r), &st), 0);
	ck_assert_uint_eq(st.st_uid, 65534);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* another unprivileged user cannot even reach the socket */
	pid_t other = fork();
	if (other == 0)
		connect_as(r, 12345);
	int status;
	waitpid(other, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 13);
	/* the pod's user can */
	pid_t pod = fork();
	if (pod == 0)
		connect_as(r, 65534);
	rt_expect_pid(r, pod);
	rt_expect(r, &ev, IPC_EV_READY, 3000);
	ck_assert_uint_eq(ev.peer.uid, 65534);
	waitpid(pod, &status, 0);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ipc_runner_destroy(r);
}
END_TEST

/* ---- tests: the ring and the query socket ---------------------------- */

START_TEST(test_corrupt_ring_closes_the_session_with_eproto)
{
	int fd;
	struct ipc_event ev;
	char buf[64];
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	/* the pod scribbles over the shared counters (everything after the
	 * first 128 bytes of the header page) */
	uint8_t *map =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ipc_runner_shm_fd(r), 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	memset(map + 128, 0xA7, 4096 - 128);
	munmap(map, 4096);
	ck_assert_int_eq(ipc_runner_recv(r, buf, sizeof buf), -EPROTO);
	rt_expect(r, &ev, IPC_EV_CLOSED, 2000);
	ck_assert_int_eq(ev.err, -EPROTO);
	ck_assert_int_eq(raw_read_until_close(fd, 2000, NULL), IPC_ERR_RING);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_pod_cannot_resize_the_ring_under_the_runner)
{
	int fd;
	struct ipc_event ev;
	char buf[64];
	struct stat st0, st1;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	/* The pod holds a read-write descriptor of the ring: shrinking it would
	 * turn the runner's next read of the mapping into SIGBUS. */
	int shm = ipc_runner_shm_fd(r);
	ck_assert_int_eq(fstat(shm, &st0), 0);
	ck_assert_int_eq(ftruncate(shm, 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(shm, st0.st_size * 2), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(fstat(shm, &st1), 0);
	ck_assert_int_eq(st1.st_size, st0.st_size);
	/* and the runner still reads its (empty) ring normally */
	ck_assert_int_eq(ipc_runner_recv(r, buf, sizeof buf), -EAGAIN);
	close(fd);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_too_many_query_connections_are_refused)
{
	struct ipc_event ev;
	struct ipc_runner_opts o;
	ipc_runner_t *r;
	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	o.query_socket = 1;
	o.max_query_conns = 2;
	ck_assert_int_eq(ipc_runner_create(&o, &r), 0);
	rt_expect_pid(r, getpid());
	int a = raw_connect(ipc_runner_query_path(r));
	int b = raw_connect(ipc_runner_query_path(r));
	int c = raw_connect(ipc_runner_query_path(r));
	rt_expect(r, &ev, IPC_EV_REJECTED, 2000);
	ck_assert_int_eq(ev.err, -EBUSY);
	ck_assert_int_eq(raw_read_until_close(c, 2000, NULL), IPC_ERR_BUSY);
	close(a);
	close(b);
	ipc_runner_destroy(r);
}
END_TEST

START_TEST(test_garbage_on_a_query_connection_closes_only_that_connection)
{
	int fd;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 2000);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	int q = raw_connect(ipc_runner_query_path(r));
	raw_hello(q, IPC_VERSION);
	raw_send(q, "\xff\xfe garbage", 10);
	rt_expect(r, &ev, IPC_EV_QUERY_CLOSED, 2000);
	ck_assert_int_eq(ev.err, -EBADMSG);
	ck_assert_int_eq(raw_read_until_close(q, 2000, NULL), IPC_ERR_PROTOCOL);
	ck_assert_int_eq(ipc_runner_state(r), IPC_RS_ESTABLISHED);
	ipc_runner_destroy(r);
	close(fd);
}
END_TEST

START_TEST(test_silent_query_connection_times_out)
{
	int fd;
	struct ipc_event ev;
	ipc_runner_t *r = setup(&fd, 300);
	raw_hello(fd, IPC_VERSION);
	rt_expect(r, &ev, IPC_EV_READY, 2000);
	int q = raw_connect(ipc_runner_query_path(r));
	rt_expect(r, &ev, IPC_EV_QUERY_CLOSED, 2000);
	ck_assert_int_eq(ev.err, -ETIMEDOUT);
	ck_assert_int_eq(raw_read_until_close(q, 2000, NULL), IPC_ERR_TIMEOUT);
	ipc_runner_destroy(r);
	close(fd);
}
END_TEST

TCase *tcase_hostile(void)
{
	TCase *tc = tcase_create("hostile");
	tcase_add_test(tc, test_wrong_version_hello_gets_error_and_close);
	tcase_add_test(tc, test_wrong_header_version_byte_gets_error_and_close);
	tcase_add_test(tc, test_garbage_bytes_get_error_and_close);
	tcase_add_test(tc, test_truncated_message_then_close_is_a_protocol_error);
	tcase_add_test(tc, test_oversize_length_is_refused_before_the_payload_arrives);
	tcase_add_test(tc, test_message_before_hello_is_out_of_order);
	tcase_add_test(tc, test_runner_only_messages_from_the_pod_are_out_of_order);
	tcase_add_test(tc, test_sequence_gap_is_a_protocol_error);
	tcase_add_test(tc, test_unanswered_pong_token_is_a_protocol_error);
	tcase_add_test(tc, test_pod_error_message_closes_the_session_with_its_text);
	tcase_add_test(tc, test_pod_that_floods_pings_without_reading_is_closed);
	tcase_add_test(tc, test_second_connection_is_refused_while_the_session_lives);
	tcase_add_test(tc,
		       test_peer_with_the_wrong_pid_is_refused_and_the_right_one_still_accepted);
	tcase_add_test(tc, test_peer_with_the_wrong_uid_or_refused_by_callback_is_refused);
	tcase_add_test(tc, test_silent_peer_is_closed_at_the_handshake_timeout);
	tcase_add_test(tc, test_no_connection_at_all_ends_at_the_handshake_timeout);
	tcase_add_test(tc, test_nothing_is_accepted_before_the_peer_rule_is_known);
	tcase_add_test(tc, test_descendant_rule_accepts_a_grandchild);
	tcase_add_test(tc, test_pidns_rule_accepts_any_process_in_the_pod_and_refuses_outsiders);
	tcase_add_test(tc, test_only_the_pod_user_can_reach_the_private_socket_directory);
	tcase_add_test(tc, test_corrupt_ring_closes_the_session_with_eproto);
	tcase_add_test(tc, test_pod_cannot_resize_the_ring_under_the_runner);
	tcase_add_test(tc, test_too_many_query_connections_are_refused);
	tcase_add_test(tc, test_garbage_on_a_query_connection_closes_only_that_connection);
	tcase_add_test(tc, test_silent_query_connection_times_out);
	tcase_set_timeout(tc, 20);
	return tc;
}
