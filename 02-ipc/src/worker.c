/*
 * worker.c — the pod side of layer 02-ipc in C: the worker SDK (connect from
 * argv, handshake, send/recv with doorbells, batches, STOP) and the query
 * client used by pod-side components (LD_AUDIT library).
 *
 * Layer 02. Builds on 01-ring (ring_shm_attach_fd, ring_*), conn.c and
 * codec.c. Used by native C workers and 07-runner's C-lib pod host.
 *
 * Waiting: the SDK sleeps only in poll() on the control socket, and only after
 * announcing it (ring_prepare_wait) and re-checking the ring. Every wait ends
 * on a message, on the runner closing the socket, or on a timeout, so a dead
 * runner is always noticed. While frames flow, the socket is looked at once per
 * quarter ring of consumed data (to answer PING, see STOP and WANT_SPACE).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "ipc_worker.h"

struct ipc_worker {
	struct ipc_conn c;
	ring_shm_t *shm;
	ring_t *rx; /* RING_DIR_TO_POD: the worker consumes */
	ring_t *tx; /* RING_DIR_TO_RUNNER: the worker produces */
	uint32_t cap, max_frame;

	/* doorbell state, as in runner.c:
	 *   peer_wants_space  the runner asked (WANT_SPACE) for room in rx
	 *   want_space_sent   we asked for room in tx and wait for SPACE */
	int peer_wants_space, want_space_sent;
	uint32_t deferred; /* DATA flags not sent yet because the socket was full */
	uint64_t consumed; /* bytes consumed since the socket was last looked at */
	uint64_t spin_ns;  /* poll an empty ring this long before sleeping */

	int stopping, stop_handled;
	uint32_t stop_deadline_ms;
	ipc_stop_fn stop_fn;
	void *stop_arg;

	int err; /* sticky: once the session failed every call returns it */
	char errbuf[256];
};

struct ipc_client {
	struct ipc_conn c;
	uint32_t next_id;
};

/* ---- errors ---------------------------------------------------------- */

static int fail(ipc_worker_t *w, int err, const char *fmt, ...)
{
	if (w->err)
		return w->err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->errbuf, sizeof w->errbuf, fmt, ap);
	va_end(ap);
	w->err = err;
	return err;
}

static int deadline_left(uint64_t deadline_ns)
{
	if (!deadline_ns)
		return -1;
	uint64_t now = conn_now_ns();
	if (now >= deadline_ns)
		return 0;
	return (int)((deadline_ns - now + 999999) / 1000000);
}

/* ---- connecting (shared by worker and client) ------------------------ */

static int connect_unix(const char *path, uint64_t deadline_ns, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int err = -errno;
		if (err == -EAGAIN || err == -EINPROGRESS) { /* backlog full: wait a little */
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			int n = poll(&p, 1, deadline_left(deadline_ns));
			socklen_t l = sizeof err;
			if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0)
				err = -err;
			else
				err = -ETIMEDOUT;
		}
		if (err) {
			close(fd);
			return err;
		}
	}
	*out = fd;
	return 0;
}

/* Wait for the next message on @c until @deadline_ns (0 = forever). */
static int wait_msg(struct ipc_conn *c, uint64_t deadline_ns, struct ipc_msg *m)
{
	for (;;) {
		int n = conn_next(c, m);
		if (n != 0)
			return n;
		if (c->eof)
			return conn_partial(c) ? -EBADMSG : -ECONNRESET;
		n = conn_fill(c);
		if (n >= 0)
			continue;
		if (n != -EAGAIN)
			return n == -EPIPE ? -ECONNRESET : n;
		struct pollfd p = { .fd = c->fd, .events = POLLIN | (c->out_len ? POLLOUT : 0) };
		int left = deadline_left(deadline_ns);
		if (left == 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, left) < 0 && errno != EINTR)
			return -errno;
		if ((p.revents & POLLOUT) && conn_flush(c) < 0)
			return -ECONNRESET;
	}
}

/* HELLO, then READY (or ERROR) within the deadline. */
static int handshake(struct ipc_conn *c, uint8_t lang, uint64_t deadline_ns, struct ipc_msg *ready,
		     char *why, size_t whylen)
{
	struct ipc_msg h = { .type = IPC_HELLO };
	h.u.hello.version = IPC_VERSION;
	h.u.hello.lang = lang;
	h.u.hello.pid = (uint32_t)getpid();
	int ret = conn_send(c, &h);
	if (ret < 0)
		return ret == -EPIPE ? -ECONNRESET : ret;
	ret = wait_msg(c, deadline_ns, ready);
	if (ret == 1 && ready->type == IPC_READY)
		return 0;
	if (ret == 1 && ready->type == IPC_ERROR) {
		snprintf(why, whylen, "runner refused the session (code %d): %.*s",
			 ready->u.error.code, ready->u.error.text.len, ready->u.error.text.ptr);
		return -EREMOTEIO;
	}
	snprintf(why, whylen, "handshake failed: %s",
		 ret == 1 ? "unexpected message instead of READY" : strerror(-ret));
	return ret == 1 ? -EBADMSG : ret;
}

/* ---- worker: setup --------------------------------------------------- */

int ipc_worker_parse_args(int *argc, char **argv, struct ipc_worker_opts *o)
{
	int out = 1, done = 0;
	memset(o, 0, sizeof *o);
	o->shm_fd = -1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (!done && !strcmp(a, "--")) {
			done = 1;
		} else if (!done && !strncmp(a, "--pod-socket=", 13)) {
			o->socket_path = a + 13;
			continue;
		} else if (!done && !strncmp(a, "--pod-shm-fd=", 13)) {
			char *end;
			long v = strtol(a + 13, &end, 10);
			if (*end || end == a + 13 || v < 0 || v > 1 << 20)
				return -EINVAL;
			o->shm_fd = (int)v;
			continue;
		}
		argv[out++] = argv[i];
	}
	argv[out] = NULL;
	*argc = out;
	return o->socket_path && *o->socket_path ? 0 : -ENOENT;
}

int ipc_worker_connect(const struct ipc_worker_opts *o, ipc_worker_t **out)
{
	int ret, fd = -1;
	struct ipc_msg rd;
	char why[256] = "";
	uint64_t deadline =
	    conn_now_ns() +
	    (uint64_t)(o->handshake_timeout_ms ? o->handshake_timeout_ms : 5000) * 1000000ull;
	ipc_worker_t *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->c.fd = -1;
	/* 1. the rings, from the inherited descriptor (closed: children must not get it) */
	if (o->shm_fd < 0) {
		ret = -EBADF;
		goto cleanup;
	}
	ret = ring_shm_attach_fd(o->shm_fd, &w->shm);
	if (ret < 0)
		goto cleanup;
	close(o->shm_fd);
	w->rx = ring_shm_ring(w->shm, RING_DIR_TO_POD);
	w->tx = ring_shm_ring(w->shm, RING_DIR_TO_RUNNER);
	w->cap = ring_shm_capacity(w->shm);
	w->max_frame = ring_max_frame(w->tx);
	int32_t spin = o->spin_us;
	if (spin == 0 && getenv("POD_SPIN_US"))
		spin = atoi(getenv("POD_SPIN_US"));
	w->spin_ns = spin > 0 ? (uint64_t)spin * 1000u : 0;
	/* 2. the control socket and the handshake */
	if ((ret = connect_unix(o->socket_path, deadline, &fd)) < 0)
		goto cleanup;
	if ((ret = conn_init(&w->c, fd)) < 0) {
		close(fd);
		goto cleanup;
	}
	ret = handshake(&w->c, o->lang ? o->lang : IPC_LANG_C, deadline, &rd, why, sizeof why);
	if (ret < 0)
		goto cleanup;
	/* 3. the runner's view of the rings must match our mapping */
	if (rd.u.ready.ring_capacity != w->cap || rd.u.ready.max_frame != ring_max_frame(w->rx)) {
		ret = -EPROTO;
		goto cleanup;
	}
	*out = w;
	return 0;
cleanup:
	ipc_worker_close(w);
	return ret;
}

int ipc_worker_connect_argv(int *argc, char **argv, ipc_worker_t **out)
{
	struct ipc_worker_opts o;
	int ret = ipc_worker_parse_args(argc, argv, &o);
	return ret < 0 ? ret : ipc_worker_connect(&o, out);
}

void ipc_worker_close(ipc_worker_t *w)
{
	if (!w)
		return;
	if (w->c.out) /* best effort: pending doorbells still go out */
		conn_flush(&w->c);
	conn_close(&w->c);
	ring_shm_destroy(w->shm);
	free(w);
}

/* ---- worker: control messages ---------------------------------------- */

static int ctl_send(ipc_worker_t *w, struct ipc_msg *m)
{
	int ret = conn_send(&w->c, m);
	if (ret == -ENOBUFS)
		return fail(w, -EBADMSG, "the runner does not read its control socket");
	if (ret < 0)
		return fail(w, -ECONNRESET, "the runner closed the control socket (%s)",
			    strerror(-ret));
	return 0;
}

/*
 * Ring the runner's doorbell. Doorbells are idempotent, so while the socket
 * cannot take more bytes they are merged into one (w->deferred) and sent when
 * it drains: a runner that is slow to read its socket never sees a flood.
 */
static int doorbell(ipc_worker_t *w, uint32_t flags)
{
	w->deferred |= flags;
	if (!w->deferred)
		return 0;
	if (w->c.out_len) {
		int f = conn_flush(&w->c);
		if (f < 0)
			return fail(w, -ECONNRESET, "the runner closed the control socket (%s)",
				    strerror(-f));
		if (f == 1)
			return 0; /* still full: stays deferred */
	}
	struct ipc_msg m = { .type = IPC_DATA, .u.data.flags = w->deferred };
	w->deferred = 0;
	return ctl_send(w, &m);
}

static int maybe_send_space(ipc_worker_t *w)
{
	if (w->peer_wants_space && ring_free(w->rx) >= (int64_t)(w->cap / 2)) {
		w->peer_wants_space = 0;
		return doorbell(w, IPC_DATA_SPACE);
	}
	return 0;
}

static int on_msg(ipc_worker_t *w, const struct ipc_msg *m)
{
	switch (m->type) {
	case IPC_DATA:
		if (m->u.data.flags & IPC_DATA_SPACE)
			w->want_space_sent = 0;
		if (m->u.data.flags & IPC_DATA_WANT_SPACE) {
			w->peer_wants_space = 1;
			return maybe_send_space(w);
		}
		return 0; /* FRAMES: the caller re-reads the ring */
	case IPC_STOP:
		if (!w->stopping) {
			w->stopping = 1;
			w->stop_deadline_ms = m->u.stop.deadline_ms;
		}
		return 0;
	case IPC_PING: {
		struct ipc_msg p = { .type = IPC_PONG, .u.ping.token = m->u.ping.token };
		return ctl_send(w, &p);
	}
	case IPC_ERROR:
		return fail(w, -EREMOTEIO, "the runner reported error %d: %.*s", m->u.error.code,
			    m->u.error.text.len, m->u.error.text.ptr);
	default:
		return fail(w, -EBADMSG, "the runner sent %s out of order", ipc_type_name(m->type));
	}
}

/* Handle everything buffered and readable now; wait up to @timeout_ms for the first. */
static int ctl_pump(ipc_worker_t *w, int timeout_ms)
{
	struct ipc_msg m;
	int waited = 0;
	for (;;) {
		int n = conn_next(&w->c, &m);
		if (n == 1) {
			if ((n = on_msg(w, &m)) < 0)
				return n;
			waited = 1; /* something happened: do not sleep any more */
			continue;
		}
		if (n < 0)
			return fail(w, n, "the runner sent a malformed control message (%s)",
				    strerror(-n));
		if (w->c.eof)
			return fail(w, -ECONNRESET,
				    conn_partial(&w->c)
					? "the runner closed the control socket mid-message"
					: "the runner closed the control socket");
		n = conn_fill(&w->c);
		if (n > 0 || (n == 0 && w->c.eof))
			continue;
		if (n != -EAGAIN)
			return fail(w, -ECONNRESET, "the runner closed the control socket (%s)",
				    strerror(-n));
		if (waited || timeout_ms == 0)
			return 0;
		struct pollfd p = { .fd = w->c.fd,
				    .events = POLLIN | (w->c.out_len ? POLLOUT : 0) };
		n = poll(&p, 1, timeout_ms);
		if (n < 0 && errno != EINTR)
			return fail(w, -errno, "poll failed");
		if ((p.revents & POLLOUT) && (n = doorbell(w, 0)) < 0)
			return n;
		if (n == 0)
			return 0;
		waited = 1;
	}
}

/* STOP seen: run the handler once (it may exit the process). */
static int stopped(ipc_worker_t *w)
{
	if (!w->stop_handled) {
		w->stop_handled = 1;
		if (w->stop_fn) {
			int st = w->stop_fn(w, w->stop_deadline_ms, w->stop_arg);
			if (st >= 0) {
				ipc_worker_close(w);
				exit(st);
			}
		}
	}
	return -ESHUTDOWN;
}

/* Frames consumed: answer WANT_SPACE, and look at the socket once per quarter ring. */
static int consumed(ipc_worker_t *w, uint64_t bytes)
{
	int ret = w->deferred ? doorbell(w, 0) : 0;
	if (ret == 0)
		ret = maybe_send_space(w);
	w->consumed += bytes;
	if (ret == 0 && w->consumed >= w->cap / 4) {
		w->consumed = 0;
		ret = ctl_pump(w, 0);
	}
	return ret;
}

int ipc_worker_poll(ipc_worker_t *w)
{
	if (w->err)
		return w->err;
	int ret = ctl_pump(w, 0);
	if (ret < 0)
		return ret;
	return w->stopping ? stopped(w) : 0;
}

/* ---- worker: data ---------------------------------------------------- */

/*
 * Sleep until the runner rings, a control message arrives, or the deadline.
 * 1 = woke (re-read the ring), 0 = ring not empty after all, negative = error.
 */
/* Poll the empty ring for up to spin_ns without announcing sleep; 1 = frames came. */
static int spin_on_rx(ipc_worker_t *w)
{
	uint64_t end = conn_now_ns() + w->spin_ns;
	do {
		for (int i = 0; i < 64; i++) {
			if (ring_used(w->rx) != 0)
				return 1; /* frames, or -EPROTO which the next read reports */
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
	} while (conn_now_ns() < end);
	return 0;
}

static int sleep_on_rx(ipc_worker_t *w, uint64_t deadline_ns)
{
	if (w->spin_ns && spin_on_rx(w))
		return 0;
	int ret = maybe_send_space(w); /* the ring is empty: all of it is free */
	if (ret < 0)
		return ret;
	int a = ring_prepare_wait(w->rx); /* announce, then re-check (see README) */
	if (a < 0)
		return fail(w, -EPROTO, "the to-pod ring is corrupt");
	if (a == 0)
		return 0;
	int left = deadline_left(deadline_ns);
	ret = left == 0 ? -ETIMEDOUT : ctl_pump(w, left);
	ring_cancel_wait(w->rx);
	if (ret < 0)
		return ret;
	return deadline_ns && conn_now_ns() >= deadline_ns ? -ETIMEDOUT : 1;
}

static uint64_t deadline_of(int timeout_ms)
{
	if (timeout_ms < 0)
		return 0;
	return conn_now_ns() + (uint64_t)timeout_ms * 1000000ull + (timeout_ms == 0);
}

/*
 * Receiving: frames already in the ring are delivered even after the session
 * failed (a socket error found while consuming stays in w->err); the error is
 * reported once the ring is empty. STOP, in contrast, takes effect at once.
 */
int ipc_worker_recv(ipc_worker_t *w, void *buf, uint32_t cap, int timeout_ms)
{
	uint64_t deadline = deadline_of(timeout_ms);
	for (;;) {
		if (w->stopping)
			return stopped(w);
		int n = ring_read(w->rx, buf, cap);
		if (n >= 0) {
			if (!w->err)
				consumed(w, (uint64_t)n + 8); /* errors stay in w->err */
			return n;
		}
		if (w->err)
			return w->err;
		if (n == -EPROTO)
			return fail(w, -EPROTO, "the to-pod ring is corrupt");
		if (n != -EAGAIN)
			return n; /* -EMSGSIZE: the frame stays */
		int s = sleep_on_rx(w, deadline);
		if (s == -ETIMEDOUT && !w->err) {
			if (w->stopping)
				return stopped(w);
			/* last look: a frame may have come with the deadline */
			n = ring_read(w->rx, buf, cap);
			return n >= 0 ? n : -ETIMEDOUT;
		}
		if (s < 0)
			return s;
	}
}

int ipc_worker_recv_batch(ipc_worker_t *w, void *buf, size_t cap, uint32_t *lens, unsigned n,
			  int timeout_ms)
{
	uint64_t deadline = deadline_of(timeout_ms);
	for (;;) {
		if (w->stopping)
			return stopped(w);
		int got = ring_read_batch(w->rx, buf, cap, lens, n);
		if (got > 0) {
			uint64_t bytes = 0;
			for (int i = 0; i < got; i++)
				bytes += lens[i] + 8;
			if (!w->err)
				consumed(w, bytes); /* errors stay in w->err */
			return got;
		}
		if (w->err)
			return w->err;
		if (got == -EPROTO)
			return fail(w, -EPROTO, "the to-pod ring is corrupt");
		if (got < 0)
			return got;
		int s = sleep_on_rx(w, deadline);
		if (s == -ETIMEDOUT && !w->err) {
			if (w->stopping)
				return stopped(w);
			got = ring_read_batch(w->rx, buf, cap, lens, n);
			return got > 0 ? got : -ETIMEDOUT;
		}
		if (s < 0)
			return s;
	}
}

/* The to-runner ring is full: ask for room once, then sleep until SPACE. */
static int wait_for_space(ipc_worker_t *w)
{
	if (!w->want_space_sent) {
		w->want_space_sent = 1;
		return doorbell(w, IPC_DATA_WANT_SPACE); /* and retry the write once */
	}
	int ret = ctl_pump(w, -1);
	if (ret < 0)
		return ret;
	if (w->stopping && !w->stop_handled)
		return stopped(w);
	return 0;
}

/* After publishing: ring only when the runner said it sleeps. */
static int tx_published(ipc_worker_t *w)
{
	int need = ring_need_wakeup(w->tx); /* clears the word when set */
	return need || w->deferred ? doorbell(w, need ? IPC_DATA_FRAMES : 0) : 0;
}

int ipc_worker_send(ipc_worker_t *w, const void *buf, uint32_t len)
{
	for (;;) {
		if (w->err)
			return w->err;
		int ret = ring_write(w->tx, buf, len);
		if (ret == 0)
			return tx_published(w);
		if (ret == -EPROTO)
			return fail(w, -EPROTO, "the to-runner ring is corrupt");
		if (ret != -EAGAIN)
			return ret;
		if ((ret = wait_for_space(w)) < 0)
			return ret;
	}
}

int ipc_worker_send_batch(ipc_worker_t *w, const struct iovec *frames, unsigned n)
{
	unsigned done = 0;
	while (done < n) {
		if (w->err)
			return w->err;
		int k = ring_write_batch(w->tx, frames + done, n - done);
		if (k == -EPROTO)
			return fail(w, -EPROTO, "the to-runner ring is corrupt");
		if (k < 0)
			return k;
		if (k > 0) {
			done += (unsigned)k;
			int ret = tx_published(w);
			if (ret < 0)
				return ret;
			continue;
		}
		int ret = wait_for_space(w);
		if (ret < 0)
			return ret;
	}
	return (int)n;
}

/* ---- worker: misc ---------------------------------------------------- */

void ipc_worker_on_stop(ipc_worker_t *w, ipc_stop_fn fn, void *arg)
{
	w->stop_fn = fn;
	w->stop_arg = arg;
}

int ipc_worker_stopping(const ipc_worker_t *w)
{
	return w->stopping;
}

int ipc_worker_send_error(ipc_worker_t *w, int32_t code, const char *text)
{
	if (w->err)
		return w->err;
	text = text ? text : "";
	struct ipc_msg m = { .type = IPC_ERROR };
	m.u.error.code = code;
	m.u.error.text = (struct ipc_str){ text, (uint16_t)strnlen(text, IPC_TEXT_MAX) };
	return ctl_send(w, &m);
}

int ipc_worker_fd(const ipc_worker_t *w)
{
	return w->c.fd;
}

uint32_t ipc_worker_max_frame(const ipc_worker_t *w)
{
	return w->max_frame;
}

const char *ipc_worker_error(const ipc_worker_t *w)
{
	return w->errbuf;
}

/* ---- query client ---------------------------------------------------- */

int ipc_client_connect(const char *path, uint32_t timeout_ms, ipc_client_t **out)
{
	int ret, fd = -1;
	struct ipc_msg rd;
	char why[256];
	uint64_t deadline = conn_now_ns() + (uint64_t)(timeout_ms ? timeout_ms : 5000) * 1000000ull;
	ipc_client_t *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->c.fd = -1;
	if ((ret = connect_unix(path, deadline, &fd)) < 0)
		goto cleanup;
	if ((ret = conn_init(&c->c, fd)) < 0) {
		close(fd);
		goto cleanup;
	}
	if ((ret = handshake(&c->c, IPC_LANG_LOADER, deadline, &rd, why, sizeof why)) < 0)
		goto cleanup;
	*out = c;
	return 0;
cleanup:
	ipc_client_close(c);
	return ret;
}

static struct ipc_str cstr(const char *s, size_t max, int *bad)
{
	size_t n = s ? strlen(s) : 0;
	if (n > max)
		*bad = 1;
	return (struct ipc_str){ s, (uint16_t)(n > max ? 0 : n) };
}

int ipc_client_query(ipc_client_t *c, const char *category, const char *request,
		     struct ipc_verdict *out, int timeout_ms)
{
	int bad = 0;
	struct ipc_msg q = { .type = IPC_QUERY }, m;
	q.u.query.request_id = ++c->next_id;
	q.u.query.category = cstr(category, IPC_CATEGORY_MAX, &bad);
	q.u.query.request = cstr(request, IPC_REQUEST_MAX, &bad);
	if (bad)
		return -EINVAL;
	int ret = conn_send(&c->c, &q);
	if (ret < 0)
		return ret == -EPIPE ? -ECONNRESET : ret;
	uint64_t deadline = deadline_of(timeout_ms);
	for (;;) {
		ret = wait_msg(&c->c, deadline, &m);
		if (ret < 0)
			return ret;
		if (m.type == IPC_PING) {
			struct ipc_msg p = { .type = IPC_PONG, .u.ping.token = m.u.ping.token };
			conn_send(&c->c, &p);
			continue;
		}
		if (m.type == IPC_ERROR)
			return -EREMOTEIO;
		if (m.type != IPC_VERDICT || m.u.verdict.request_id != q.u.query.request_id)
			return -EBADMSG;
		out->action = m.u.verdict.action;
		conn_strcpy(out->rule, sizeof out->rule, m.u.verdict.rule);
		conn_strcpy(out->reason, sizeof out->reason, m.u.verdict.reason);
		return 0;
	}
}

int ipc_client_event(ipc_client_t *c, int action, const char *category, const char *what,
		     const char *detail)
{
	int bad = action < IPC_ACT_ALLOW || action > IPC_ACT_INFO;
	struct ipc_msg e = { .type = IPC_EVENT };
	e.u.event.action = (uint8_t)action;
	e.u.event.category = cstr(category, IPC_CATEGORY_MAX, &bad);
	e.u.event.what = cstr(what, IPC_TEXT_MAX, &bad);
	e.u.event.detail = cstr(detail, IPC_TEXT_MAX, &bad);
	if (bad)
		return -EINVAL;
	int ret = conn_send(&c->c, &e);
	return ret == -EPIPE ? -ECONNRESET : ret;
}

void ipc_client_close(ipc_client_t *c)
{
	if (!c)
		return;
	if (c->c.out)
		conn_flush(&c->c);
	conn_close(&c->c);
	free(c);
}
