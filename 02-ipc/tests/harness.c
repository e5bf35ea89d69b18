/*
 * harness.c — a small runner for SDK conformance tests and benchmarks.
 *
 * Layer 02-ipc, tests and bench. Builds on the runner side (ipc.h). Plays the
 * runner for a worker written in any language (the Python and Bun test suites
 * and `make bench` start it), without a sandbox: plain fork/exec, the ring's
 * descriptor inherited as fd 3, `--pod-socket=PATH --pod-shm-fd=3` inserted
 * into the worker's argv after its first K words (-k K; K=2 for
 * "python3 w.py", K=3 for "bun run w.ts").
 *
 *   harness [-q] [-k K] [-t TIMEOUT_MS] MODE [ARG...] -- PROGRAM [ARGS...]
 *
 * -q (benchmarks): frames carry a checked sequence number and a constant
 * pattern instead of a per-frame checksum, so that the runner's own work does
 * not hide the transport's cost (the same for the ring and the socketpair).
 *
 * MODE:
 *   handshake             READY, then STOP; prints lang and pid
 *   echo N LEN            N frames of LEN bytes, seq + checksum checked, then STOP
 *   bursty CYCLES         >= CYCLES bursts of 1..8 frames, each fully echoed
 *                         before the next (both sides sleep in between)
 *   stop DEADLINE EXIT    STOP; worker must close within DEADLINE ms with exit
 *                         status EXIT, its handler's last frame "bye" must arrive
 *   ping                  PING answered while the worker waits in recv
 *   stop-late             STOP, then 50 ms later a PING (a message the worker
 *                         never reads): the worker must still be draining its
 *                         socket, and the session must close cleanly, no reset
 *   kill-runner N         the runner (a child) streams frames and is SIGKILLed
 *                         after N echoes; the worker must exit non-zero in 3 s
 *   fake SCRIPT           a fake runner (silent|refuse|garbage|geometry|order|
 *                         close); the worker must exit non-zero in 3 s
 *   pingpong M LEN        M round trips, mean ns (bench)
 *   sp-echo N LEN         the same echo over a SOCK_SEQPACKET socketpair (fd 4,
 *                         worker args get "--sp-fd=4"), no IPC (bench peer)
 *   sp-pingpong M LEN     round trips over the socketpair (bench peer)
 *
 * Prints one line "RESULT ok key=value..." or "RESULT fail why" and exits 0/1.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"

#define BATCH 256
#define MAXLEN 4096

static int opt_k = 1, opt_timeout = 5000;
/* -q: benchmark frames: the seq word is written and checked, the rest of the
 * frame is a constant pattern (no per-frame checksum work in the runner). */
static int opt_quick;
static char **prog;
static int nprog;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

static pid_t worker_pid = -1, runner_child = -1, owner = -1;
static ipc_runner_t *g_runner; /* removed on any exit path (die) */
static char g_fake_dir[64], g_fake_sock[128];

static void die(const char *fmt, ...)
{
	va_list ap;
	printf("RESULT fail ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (worker_pid > 0)
		kill(worker_pid, SIGKILL);
	if (runner_child > 0)
		kill(runner_child, SIGKILL);
	if (getpid() == owner) { /* never from a forked copy */
		ipc_runner_destroy(g_runner);
		if (g_fake_sock[0])
			unlink(g_fake_sock);
		if (g_fake_dir[0])
			rmdir(g_fake_dir);
	}
	exit(1);
}

/* ---- frames (same scheme as the Check suite and the SDK tests) -------- */

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void frame(uint8_t *buf, uint32_t len, uint32_t seq)
{
	if (opt_quick) {
		memcpy(buf, &seq, 4);
		return;
	}
	uint32_t x = seq * 2654435761u + 1;
	memcpy(buf, &seq, 4);
	for (uint32_t i = 4; i + 4 < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	uint32_t h = fnv(buf, len - 4);
	memcpy(buf + len - 4, &h, 4);
}

static int frame_ok(const uint8_t *buf, uint32_t len, uint32_t seq)
{
	uint32_t s, h;
	if (len < 8)
		return 0;
	if (opt_quick) {
		memcpy(&s, buf, 4);
		return s == seq;
	}
	memcpy(&s, buf, 4);
	memcpy(&h, buf + len - 4, 4);
	return s == seq && h == fnv(buf, len - 4);
}

/* ---- spawning -------------------------------------------------------- */

/* fork/exec the worker with @extra inserted after the first opt_k words. */
static pid_t spawn(int fd3, int fd4, char **extra, int nextra)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0)
		return pid;
	char *argv[256];
	int n = 0;
	for (int i = 0; i < nprog && n < 250; i++) {
		if (i == opt_k)
			for (int j = 0; j < nextra; j++)
				argv[n++] = extra[j];
		argv[n++] = prog[i];
	}
	if (nprog <= opt_k)
		for (int j = 0; j < nextra; j++)
			argv[n++] = extra[j];
	argv[n] = NULL;
	/* dup2() clears FD_CLOEXEC, except when the descriptor already has the number */
	if (fd3 >= 0 && (fd3 == 3 ? fcntl(3, F_SETFD, 0) : dup2(fd3, 3)) < 0)
		_exit(126);
	if (fd4 >= 0 && (fd4 == 4 ? fcntl(4, F_SETFD, 0) : dup2(fd4, 4)) < 0)
		_exit(126);
	execvp(argv[0], argv);
	fprintf(stderr, "harness: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Exit status of the worker within @ms, or -1 (then it is killed). */
static int reap(pid_t pid, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	int st;
	while (now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			worker_pid = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(2000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	worker_pid = -1;
	return -1;
}

static ipc_runner_t *runner_start(void)
{
	struct ipc_runner_opts o;
	ipc_runner_t *r;
	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	o.handshake_timeout_ms = (uint32_t)opt_timeout;
	int ret = ipc_runner_create(&o, &r);
	if (ret < 0)
		die("ipc_runner_create: %s", strerror(-ret));
	g_runner = r;
	char sock[160], *extra[2] = { sock, "--pod-shm-fd=3" };
	snprintf(sock, sizeof sock, "--pod-socket=%s", ipc_runner_socket_path(r));
	worker_pid = spawn(ipc_runner_shm_fd(r), -1, extra, 2);
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PID, .pid = worker_pid, .uid = (uid_t)-1 };
	ipc_runner_expect_peer(r, &rule);
	return r;
}

/* Next event within @ms; 0 on timeout. */
static int next_event(ipc_runner_t *r, struct ipc_event *ev, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	for (;;) {
		int n = ipc_runner_dispatch(r, ev);
		if (n < 0)
			die("dispatch: %s", strerror(-n));
		if (n == 1)
			return 1;
		uint64_t t = now_ms();
		if (t >= end)
			return 0;
		struct pollfd p = { .fd = ipc_runner_fd(r), .events = POLLIN };
		poll(&p, 1, (int)(end - t));
	}
}

static void expect_ready(ipc_runner_t *r, struct ipc_event *ev)
{
	if (!next_event(r, ev, opt_timeout))
		die("no READY within %d ms", opt_timeout);
	if (ev->type != IPC_EV_READY)
		die("expected READY, got event %d err %d (%s)", ev->type, ev->err, ev->reason);
}

/* STOP, wait for CLOSED (skipping doorbells), reap; returns worker exit status. */
static int stop_and_reap(ipc_runner_t *r, uint32_t deadline_ms, uint64_t *close_ms)
{
	struct ipc_event ev;
	uint64_t t0 = now_ms();
	int ret = ipc_runner_stop(r, deadline_ms);
	if (ret < 0 && ret != -EALREADY)
		die("stop: %s", strerror(-ret));
	do
		if (!next_event(r, &ev, (int)deadline_ms + 2000))
			die("no CLOSED after STOP");
	while (ev.type == IPC_EV_DATA || ev.type == IPC_EV_WRITABLE);
	if (ev.type != IPC_EV_CLOSED)
		die("expected CLOSED after STOP, got %d (%s)", ev.type, ev.reason);
	if (ev.err != 0)
		die("session closed with error %d (%s)", ev.err, ev.reason);
	if (close_ms)
		*close_ms = now_ms() - t0;
	return reap(worker_pid, (int)deadline_ms + 2000);
}

/* ---- echo through the rings ------------------------------------------ */

struct echo_stats {
	uint32_t bursts;
	double secs;
};

static void echo_run(ipc_runner_t *r, uint32_t total, uint32_t len, uint32_t burst,
		     struct echo_stats *es)
{
	static uint8_t out[BATCH][MAXLEN], in[BATCH * MAXLEN];
	struct iovec iov[BATCH];
	uint32_t lens[BATCH], sent = 0, got = 0, limit;
	unsigned seed = 11;
	uint64_t t0 = now_ns(), stall = now_ms();
	es->bursts = 0;
	/* prebuild one batch; the seq word is patched per frame */
	for (unsigned k = 0; k < BATCH; k++)
		iov[k] = (struct iovec){ out[k], len };
	while (got < total) {
		int progress = 0;
		limit = burst ? (got == sent ? sent + 1 + (uint32_t)rand_r(&seed) % burst : sent)
			      : total;
		if (burst &&
		    got == sent) { /* a new burst: often after a pause, so the worker sleeps */
			es->bursts++;
			if (rand_r(&seed) % 4 != 0)
				usleep((useconds_t)(rand_r(&seed) % 100));
		}
		if (limit > total)
			limit = total;
		while (sent < limit) {
			unsigned k = 0;
			for (; k < BATCH && sent + k < limit; k++)
				frame(out[k], len, sent + k);
			int n = ipc_runner_send_batch(r, iov, k);
			if (n < 0)
				die("send: %s", strerror(-n));
			sent += (uint32_t)n;
			progress |= n > 0;
			if ((unsigned)n < k)
				break;
		}
		for (;;) {
			int n = ipc_runner_recv_batch(r, in, sizeof in, lens, BATCH);
			if (n == -EAGAIN)
				break;
			if (n < 0)
				die("recv: %s", strerror(-n));
			size_t off = 0;
			for (int i = 0; i < n; i++, got++) {
				if (lens[i] != len || !frame_ok(in + off, lens[i], got))
					die("echo %u corrupt or out of order", got);
				off += lens[i];
			}
			progress = 1;
		}
		if (progress) {
			stall = now_ms();
			continue;
		}
		if (now_ms() - stall > 5000)
			die("no progress for 5 s at %u/%u (lost wake-up?)", got, sent);
		struct ipc_event ev;
		if (next_event(r, &ev, 100) && ev.type != IPC_EV_DATA && ev.type != IPC_EV_WRITABLE)
			die("unexpected event %d err %d (%s)", ev.type, ev.err, ev.reason);
	}
	es->secs = (double)(now_ns() - t0) / 1e9;
}

/*
 * Round trips: send one frame, then spin up to ~50 us looking at the ring
 * (without announcing sleep, so the worker need not ring), then sleep on the
 * doorbell. The socketpair peer blocks in recv() instead; both are the
 * natural way to wait for each transport.
 */
static double pingpong_run(ipc_runner_t *r, uint32_t rounds, uint32_t len)
{
	uint8_t out[MAXLEN], in[MAXLEN];
	ring_t *rx = ring_shm_ring(ipc_runner_shm(r), RING_DIR_TO_RUNNER);
	uint64_t t0 = 0;
	for (uint32_t i = 0; i < rounds + 100; i++) {
		if (i == 100)
			t0 = now_ns(); /* 100 warm-up rounds */
		frame(out, len, i);
		if (ipc_runner_send(r, out, len) < 0)
			die("send failed");
		uint64_t spin_end = now_ns() + 50000;
		while (ring_used(rx) == 0 && now_ns() < spin_end)
			__builtin_ia32_pause();
		for (;;) {
			int n = ipc_runner_recv(r, in, sizeof in);
			if (n >= 0) {
				if ((uint32_t)n != len || !frame_ok(in, (uint32_t)n, i))
					die("pingpong echo %u corrupt", i);
				break;
			}
			if (n != -EAGAIN)
				die("recv: %s", strerror(-n));
			struct ipc_event ev;
			if (!next_event(r, &ev, 5000))
				die("pingpong stalled at %u", i);
			if (ev.type == IPC_EV_CLOSED)
				die("closed: %s", ev.reason);
		}
	}
	return (double)(now_ns() - t0) / rounds;
}

/* ---- socketpair peers ------------------------------------------------ */

static int sp_start(int *mine)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		die("socketpair: %s", strerror(errno));
	char *extra[1] = { "--sp-fd=4" };
	worker_pid = spawn(-1, sv[1], extra, 1);
	close(sv[1]);
	*mine = sv[0];
	return 0;
}

static double sp_echo(int fd, uint32_t total, uint32_t len)
{
	static uint8_t out[MAXLEN], in[MAXLEN];
	uint32_t sent = 0, got = 0;
	uint64_t t0 = now_ns();
	while (got < total) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };
		if (poll(&p, 1, 5000) <= 0)
			die("socketpair echo stalled at %u", got);
		while (sent < total && sent - got < 4096) {
			frame(out, len, sent);
			if (send(fd, out, len, MSG_DONTWAIT) != (ssize_t)len)
				break;
			sent++;
		}
		for (;;) {
			ssize_t n = recv(fd, in, sizeof in, MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN)
				break;
			if (n <= 0)
				die("socketpair worker closed");
			if ((uint32_t)n != len || !frame_ok(in, (uint32_t)n, got))
				die("socketpair echo %u corrupt", got);
			got++;
		}
	}
	return (double)(now_ns() - t0) / 1e9;
}

static double sp_pingpong(int fd, uint32_t rounds, uint32_t len)
{
	uint8_t out[MAXLEN], in[MAXLEN];
	uint64_t t0 = 0;
	for (uint32_t i = 0; i < rounds + 100; i++) {
		if (i == 100)
			t0 = now_ns();
		frame(out, len, i);
		if (send(fd, out, len, 0) != (ssize_t)len)
			die("socketpair send");
		ssize_t n = recv(fd, in, sizeof in, 0);
		if (n != (ssize_t)len || !frame_ok(in, len, i))
			die("socketpair pingpong %u corrupt", i);
	}
	return (double)(now_ns() - t0) / rounds;
}

/* ---- fake runner (misbehaving) --------------------------------------- */

static void fake_send(int fd, struct ipc_msg *m, uint32_t seq)
{
	uint8_t b[IPC_MAX_MSG];
	m->seq = seq;
	int n = ipc_encode(m, b, sizeof b);
	if (n < 0 || send(fd, b, (size_t)n, MSG_NOSIGNAL) != n)
		die("fake send");
}

static int fake_mode(const char *script)
{
	char dir[] = "/tmp/ipc-harness-XXXXXX", path[128], sock[160];
	ring_shm_t *shm;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(path, sizeof path, "%s/ctl.sock", dir);
	strcpy(sa.sun_path, path);
	strcpy(g_fake_dir, dir);
	strcpy(g_fake_sock, path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 4) < 0)
		die("bind");
	if (ring_shm_create_sealed(1u << 16, &shm) < 0)
		die("ring_shm_create_sealed");
	snprintf(sock, sizeof sock, "--pod-socket=%s", path);
	char *extra[2] = { sock, "--pod-shm-fd=3" };
	worker_pid = spawn(ring_shm_fd(shm), -1, extra, 2);
	uint64_t t0 = now_ms();
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	if (poll(&p, 1, opt_timeout) != 1)
		die("worker did not connect");
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	uint8_t b[IPC_MAX_MSG];
	if (recv(fd, b, sizeof b, 0) <= 0)
		die("no HELLO");
	struct ipc_msg m = { .type = IPC_READY };
	m.u.ready.ring_capacity = ring_shm_capacity(shm);
	m.u.ready.max_frame = ring_max_frame(ring_shm_ring(shm, RING_DIR_TO_POD));
	if (!strcmp(script, "refuse")) {
		struct ipc_msg e = { .type = IPC_ERROR };
		e.u.error.code = IPC_ERR_CREDENTIALS;
		e.u.error.text = (struct ipc_str){ "not you", 7 };
		fake_send(fd, &e, 1);
	} else if (!strcmp(script, "garbage")) {
		fake_send(fd, &m, 1);
		usleep(100000);
		if (send(fd, "\x01\x02garbage!!!!!!!!!!!!", 20, MSG_NOSIGNAL) < 0)
			die("send");
	} else if (!strcmp(script, "geometry")) {
		m.u.ready.ring_capacity *= 2;
		fake_send(fd, &m, 1);
	} else if (!strcmp(script, "order")) {
		fake_send(fd, &m, 1);
		usleep(100000);
		struct ipc_msg h = { .type = IPC_HELLO, .u.hello = { 1, IPC_LANG_C, 1 } };
		fake_send(fd, &h, 2);
	} else if (!strcmp(script, "close")) {
		close(fd);
		fd = -1;
	} else if (strcmp(script, "silent") != 0) {
		die("unknown script %s", script);
	}
	int st = reap(worker_pid, 8000); /* the SDK handshake timeout is 5 s */
	uint64_t ms = now_ms() - t0;
	if (fd >= 0)
		close(fd);
	close(lfd);
	unlink(path);
	rmdir(dir);
	ring_shm_destroy(shm);
	g_fake_dir[0] = g_fake_sock[0] = 0;
	if (st <= 0)
		die("worker exit status %d after %llu ms (want non-zero, bounded)", st,
		    (unsigned long long)ms);
	printf("RESULT ok worker_exit=%d ms=%llu\n", st, (unsigned long long)ms);
	return 0;
}

/* ---- kill-runner ----------------------------------------------------- */

static int kill_runner_mode(uint32_t n_echo)
{
	ipc_runner_t *r = runner_start();
	int pfd[2];
	if (pipe(pfd) < 0)
		die("pipe");
	pid_t rp = fork(); /* the runner process that will be killed */
	if (rp > 0)
		runner_child = rp;
	if (rp == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the harness */
		struct ipc_event ev;
		static uint8_t in[BATCH * 64];
		uint8_t out[64];
		uint32_t lens[BATCH], seq = 0, got = 0;
		worker_pid = -1;
		expect_ready(r, &ev);
		for (unsigned it = 0;; it++) {
			if (it % 64 == 0) /* a real loop dispatches whenever the fd is readable */
				while (ipc_runner_dispatch(r, &ev) > 0)
					;
			frame(out, 64, seq);
			int sent = ipc_runner_send(r, out, 64);
			seq += sent == 0;
			int n = ipc_runner_recv_batch(r, in, sizeof in, lens, BATCH);
			if (n > 0 && (got += (uint32_t)n) >= n_echo && write(pfd[1], "k", 1) == 1)
				n_echo = UINT32_MAX;
			if (sent < 0 && n < 0)
				next_event(r, &ev, 10);
		}
	}
	char c;
	struct pollfd p = { .fd = pfd[0], .events = POLLIN };
	if (poll(&p, 1, 30000) != 1 || read(pfd[0], &c, 1) != 1)
		die("runner child did not get %u echoes", n_echo);
	kill(rp, SIGKILL);
	waitpid(rp, NULL, 0);
	runner_child = -1;
	uint64_t t0 = now_ms();
	int st = reap(worker_pid, 3000);
	uint64_t ms = now_ms() - t0;
	ipc_runner_destroy(r);
	g_runner = NULL;
	if (st <= 0)
		die("worker exit status %d after the runner died (want non-zero within 3 s)", st);
	printf("RESULT ok worker_exit=%d ms=%llu\n", st, (unsigned long long)ms);
	return 0;
}

/* ---- main ------------------------------------------------------------ */

static uint32_t arg_u32(char **a, int i, int n)
{
	if (i >= n)
		die("missing argument");
	return (uint32_t)strtoul(a[i], NULL, 10);
}

int main(int argc, char **argv)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i += 2) {
		if (!strcmp(argv[i], "-q")) {
			opt_quick = 1;
			i--;
			continue;
		}
		if (i + 1 >= argc)
			die("usage");
		if (!strcmp(argv[i], "-k"))
			opt_k = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "-t"))
			opt_timeout = atoi(argv[i + 1]);
		else
			die("unknown option %s", argv[i]);
	}
	int m0 = i, sep = i;
	while (sep < argc && strcmp(argv[sep], "--"))
		sep++;
	if (m0 >= sep || sep + 1 >= argc)
		die("usage: harness [-k K] [-t MS] MODE [ARG...] -- PROGRAM [ARGS...]");
	prog = argv + sep + 1;
	nprog = argc - sep - 1;
	const char *mode = argv[m0];
	char **a = argv + m0;
	int na = sep - m0;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	owner = getpid();

	if (!strcmp(mode, "fake"))
		return fake_mode(na > 1 ? a[1] : "");
	if (!strcmp(mode, "kill-runner"))
		return kill_runner_mode(arg_u32(a, 1, na));
	if (!strcmp(mode, "sp-echo") || !strcmp(mode, "sp-pingpong")) {
		int fd;
		sp_start(&fd);
		uint32_t n = arg_u32(a, 1, na), len = arg_u32(a, 2, na);
		double v = mode[3] == 'e' ? sp_echo(fd, n, len) : sp_pingpong(fd, n, len);
		close(fd);
		int st = reap(worker_pid, 3000);
		if (st != 0)
			die("socketpair worker exit %d", st);
		if (mode[3] == 'e')
			printf("RESULT ok frames=%u secs=%.4f rate=%.0f\n", n, v, n / v);
		else
			printf("RESULT ok rounds=%u ns=%.0f\n", n, v);
		return 0;
	}

	struct ipc_event ev;
	ipc_runner_t *r = runner_start();
	expect_ready(r, &ev);
	int lang = ev.u.hello.lang;
	uint32_t hpid = ev.u.hello.pid;
	struct ipc_stats st;
	if (!strcmp(mode, "handshake")) {
		int code = stop_and_reap(r, 2000, NULL);
		if (code != 0)
			die("worker exit %d", code);
		printf("RESULT ok lang=%d pid=%u peer=%d\n", lang, hpid, (int)ev.peer.pid);
	} else if (!strcmp(mode, "echo") || !strcmp(mode, "bursty")) {
		struct echo_stats es;
		int bursty = mode[0] == 'b';
		uint32_t n = arg_u32(a, 1, na), len = bursty ? 64 : arg_u32(a, 2, na);
		echo_run(r, bursty ? n * 6 : n, len, bursty ? 8 : 0, &es);
		if (bursty && es.bursts < n)
			die("only %u bursts", es.bursts);
		ipc_runner_stats(r, &st);
		int code = stop_and_reap(r, 2000, NULL);
		if (code != 0)
			die("worker exit %d", code);
		uint32_t frames = bursty ? n * 6 : n;
		printf("RESULT ok frames=%u bursts=%u secs=%.4f rate=%.0f doorbells_sent=%llu "
		       "doorbells_received=%llu\n",
		       frames, es.bursts, es.secs, frames / es.secs,
		       (unsigned long long)st.doorbells_sent,
		       (unsigned long long)st.doorbells_received);
	} else if (!strcmp(mode, "stop")) {
		uint32_t deadline = arg_u32(a, 1, na), want = arg_u32(a, 2, na);
		uint64_t ms;
		char buf[16];
		usleep(50000); /* let the worker settle into recv */
		int code = stop_and_reap(r, deadline, &ms);
		int n = ipc_runner_recv(r, buf, sizeof buf);
		if ((uint32_t)code != want)
			die("worker exit %d, want %u", code, want);
		if (ms > deadline)
			die("closed after %llu ms, deadline %u", (unsigned long long)ms, deadline);
		if (n != 3 || memcmp(buf, "bye", 3))
			die("the STOP handler's frame did not arrive (%d)", n);
		printf("RESULT ok close_ms=%llu exit=%d\n", (unsigned long long)ms, code);
	} else if (!strcmp(mode, "ping")) {
		usleep(50000);
		if (ipc_runner_ping(r, 2000) < 0)
			die("ping");
		do
			if (!next_event(r, &ev, 3000))
				die("no PONG");
		while (ev.type == IPC_EV_DATA);
		if (ev.type != IPC_EV_PONG)
			die("expected PONG, got %d (%s)", ev.type, ev.reason);
		if (stop_and_reap(r, 2000, NULL) != 0)
			die("worker exit");
		printf("RESULT ok pong=1\n");
	} else if (!strcmp(mode, "stop-late")) {
		if (ipc_runner_stop(r, 2000) < 0)
			die("stop");
		usleep(50000);
		if (ipc_runner_ping(r, 2000) < 0)
			die("PING after STOP: the worker closed without draining its socket");
		if (stop_and_reap(r, 2000, NULL) != 0)
			die("worker exit");
		printf("RESULT ok closed=clean\n");
	} else if (!strcmp(mode, "pingpong")) {
		uint32_t n = arg_u32(a, 1, na), len = arg_u32(a, 2, na);
		double ns = pingpong_run(r, n, len);
		if (stop_and_reap(r, 2000, NULL) != 0)
			die("worker exit");
		printf("RESULT ok rounds=%u ns=%.0f\n", n, ns);
	} else {
		die("unknown mode %s", mode);
	}
	ipc_runner_destroy(r);
	g_runner = NULL;
	return 0;
}
