/*
 * runner.c — the runner side of layer 02-ipc: private socket directory,
 * credential checks, the non-blocking handshake, doorbells, STOP, PING and the
 * query connections, all behind one pollable descriptor.
 *
 * Layer 02. Builds on 01-ring (ring_shm_*, the doorbell words) and conn.c /
 * codec.c. Used by 07-runner from its single epoll loop.
 *
 * Inside, an epoll set (r->epfd, the descriptor the caller watches) holds:
 *   TAG_LISTEN  the session listening socket (after ipc_runner_expect_peer)
 *   TAG_QLISTEN the query listening socket (idem)
 *   TAG_TIMER   a timerfd armed at the earliest deadline (handshake, PING,
 *               STOP, query handshakes)
 *   TAG_WAKE    an eventfd written when an event was queued outside dispatch
 *               (e.g. a corrupt ring found by ipc_runner_recv)
 *   TAG_SESSION the session connection
 *   TAG_QCONN+i query connection slot i
 * ipc_runner_dispatch() takes one step at a time and returns as soon as an
 * event is queued, so the caller sees events in order and nothing blocks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "conn.h"
#include "ipc.h"

enum { TAG_LISTEN = 1, TAG_QLISTEN, TAG_TIMER, TAG_WAKE, TAG_SESSION, TAG_QCONN = 100 };

/* Session sub-states while IPC_RS_LISTENING. */
enum { SS_NONE = 0, SS_HELLO_WAIT, SS_UP };

/* Dispatch takes new work only while fewer than EVQ_BUDGET events wait (each
 * step adds at most two); the queue itself grows, because API calls made
 * between dispatches (send, recv, verdict) may add an event each too. */
#define EVQ_BUDGET 8
/* Messages one call takes from one connection. A pod that writes as fast as
 * the runner reads (PING, DATA) cannot keep a call here: the rest stays
 * buffered and the wake eventfd keeps the descriptor readable. */
#define INPUT_BUDGET 64

struct qconn {
	struct ipc_conn c; /* c.fd < 0: slot free */
	uint32_t id;
	int up;               /* HELLO received, READY sent */
	uint64_t deadline_ns; /* HELLO deadline while !up */
	struct ipc_peer peer;
};

struct ipc_runner {
	struct ipc_runner_opts o;
	char dir[108], sock[108], qsock[108];
	int epfd, tfd, wfd, lfd, qfd;

	ring_shm_t *shm;
	ring_t *tx; /* RING_DIR_TO_POD: the runner produces */
	ring_t *rx; /* RING_DIR_TO_RUNNER: the runner consumes */

	struct ipc_peer_rule rule;
	int have_rule;

	/* the session; only touched by dispatch and the API calls (one thread) */
	int state;         /* enum ipc_runner_state */
	int ss;            /* SS_* while connected */
	struct ipc_conn s; /* s.fd < 0 when no session connection */
	struct ipc_peer s_peer;
	uint64_t hs_deadline_ns, ping_deadline_ns, stop_deadline_ns;
	uint64_t ping_token;
	int ping_out, stop_sent, stop_expired_sent;

	/* doorbell state (see README "Doorbells"):
	 *   rx_armed          we set rx's waiting word (ring_prepare_wait() == 1)
	 *   peer_wants_space  the pod sent WANT_SPACE for rx; answer SPACE when half free
	 *   want_space_sent   we sent WANT_SPACE for tx; WRITABLE when SPACE comes */
	int rx_armed, peer_wants_space, want_space_sent;
	uint32_t deferred; /* DATA flags merged while the socket is full (as in worker.c) */

	struct qconn *q;
	unsigned nq;
	uint32_t next_id;

	struct ipc_event *evq; /* ring of evq_cap events, evq_len of them from evq_head */
	unsigned evq_cap, evq_head, evq_len;
	struct ipc_stats st;
};

/* ---- small helpers --------------------------------------------------- */

static struct ipc_event *ev_push(ipc_runner_t *r, enum ipc_event_type t)
{
	static struct ipc_event dropped; /* only when memory ran out */
	if (r->evq_len == r->evq_cap) {
		unsigned cap = r->evq_cap * 2;
		struct ipc_event *q = malloc(cap * sizeof *q);
		if (!q)
			return &dropped;
		for (unsigned i = 0; i < r->evq_len; i++)
			q[i] = r->evq[(r->evq_head + i) % r->evq_cap];
		free(r->evq);
		r->evq = q;
		r->evq_cap = cap;
		r->evq_head = 0;
	}
	struct ipc_event *ev = &r->evq[(r->evq_head + r->evq_len++) % r->evq_cap];
	memset(ev, 0, offsetof(struct ipc_event, u));
	ev->type = t;
	ev->reason[0] = 0;
	return ev;
}

/* Tell the caller's epoll that events wait (used outside dispatch). */
static void wake(ipc_runner_t *r)
{
	uint64_t one = 1;
	if (write(r->wfd, &one, sizeof one) < 0) {
		/* the counter cannot overflow in practice; nothing else to do */
	}
}

static int ep_ctl(ipc_runner_t *r, int op, int fd, uint32_t tag, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.u32 = tag };
	return epoll_ctl(r->epfd, op, fd, &e) < 0 ? -errno : 0;
}

static void rearm_timer(ipc_runner_t *r)
{
	uint64_t t = 0;
	uint64_t cands[3] = { r->hs_deadline_ns, r->ping_deadline_ns,
			      r->stop_expired_sent ? 0 : r->stop_deadline_ns };
	for (int i = 0; i < 3; i++)
		if (cands[i] && (!t || cands[i] < t))
			t = cands[i];
	for (unsigned i = 0; i < r->nq; i++)
		if (r->q[i].c.fd >= 0 && !r->q[i].up && (!t || r->q[i].deadline_ns < t))
			t = r->q[i].deadline_ns;
	struct itimerspec its = { 0 };
	if (t) {
		its.it_value.tv_sec = (time_t)(t / 1000000000ull);
		its.it_value.tv_nsec = (long)(t % 1000000000ull);
	}
	timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static uint64_t ms_from_now(uint32_t ms)
{
	return conn_now_ns() + (uint64_t)ms * 1000000ull;
}

/* Best effort: tell a connection why it is closed, then close it. */
static void send_error_close(struct ipc_conn *c, int32_t code, const char *text)
{
	struct ipc_msg m = { .type = IPC_ERROR };
	m.u.error.code = code;
	m.u.error.text = (struct ipc_str){ text, (uint16_t)strnlen(text, IPC_TEXT_MAX) };
	if (c->out)
		conn_send(c, &m);
	conn_close(c);
}

static int errno_to_code(int err)
{
	switch (err) {
	case -EPROTONOSUPPORT:
		return IPC_ERR_VERSION;
	case -EACCES:
		return IPC_ERR_CREDENTIALS;
	case -ETIMEDOUT:
		return IPC_ERR_TIMEOUT;
	case -EPROTO:
		return IPC_ERR_RING;
	case -EBUSY:
		return IPC_ERR_BUSY;
	default:
		return IPC_ERR_PROTOCOL;
	}
}

/* End the session: ERROR to the pod when @code != 0, close, queue CLOSED
 * (returned, NULL when the session had already ended). */
static struct ipc_event *session_end(ipc_runner_t *r, int err, int32_t code, const char *why)
{
	if (r->state == IPC_RS_CLOSED)
		return NULL;
	if (r->s.fd >= 0) {
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->s.fd, NULL);
		if (code)
			send_error_close(&r->s, code, why);
		else
			conn_close(&r->s);
	}
	if (r->lfd >= 0) { /* no second session, ever */
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, r->lfd, NULL);
		close(r->lfd);
		r->lfd = -1;
		unlink(r->sock);
	}
	r->state = IPC_RS_CLOSED;
	r->ss = SS_NONE;
	r->hs_deadline_ns = r->ping_deadline_ns = r->stop_deadline_ns = 0;
	rearm_timer(r);
	struct ipc_event *ev = ev_push(r, IPC_EV_CLOSED);
	ev->err = err;
	ev->peer = r->s_peer;
	snprintf(ev->reason, sizeof ev->reason, "%s", why);
	wake(r);
	return ev;
}

/* ---- credentials ----------------------------------------------------- */

int ipc_pid_in_pidns_of(pid_t pid, pid_t ref)
{
	char a[64], b[64];
	struct stat sa, sb;
	snprintf(a, sizeof a, "/proc/%d/ns/pid", (int)pid);
	snprintf(b, sizeof b, "/proc/%d/ns/pid", (int)ref);
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return -errno;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	pid_t pp = -1;
	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "PPid: %d", &pp) == 1)
			break;
	fclose(f);
	return pp < 0 ? -ESRCH : pp;
}

int ipc_pid_is_descendant(pid_t pid, pid_t ancestor)
{
	for (int i = 0; i < 4096 && pid > 0; i++) {
		if (pid == ancestor)
			return 1;
		pid = parent_of(pid);
	}
	return pid < 0 ? pid : 0;
}

static int check_peer(const ipc_runner_t *r, int fd, struct ipc_peer *peer)
{
	struct ucred uc;
	socklen_t len = sizeof uc;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) < 0)
		return -errno;
	*peer = (struct ipc_peer){ uc.pid, uc.uid, uc.gid };
	if (r->rule.uid != (uid_t)-1 && uc.uid != r->rule.uid)
		return -EACCES;
	int ok;
	switch (r->rule.kind) {
	case IPC_PEER_PID:
		ok = uc.pid == r->rule.pid;
		break;
	case IPC_PEER_DESCENDANT:
		ok = ipc_pid_is_descendant(uc.pid, r->rule.pid) == 1;
		break;
	case IPC_PEER_PIDNS:
		ok = ipc_pid_in_pidns_of(uc.pid, r->rule.pid) == 1;
		break;
	case IPC_PEER_CALLBACK:
		ok = r->rule.fn(peer, r->rule.arg) == 0;
		break;
	default:
		ok = 0;
	}
	return ok ? 0 : -EACCES;
}

/* ---- creation -------------------------------------------------------- */

void ipc_runner_opts_init(struct ipc_runner_opts *o)
{
	memset(o, 0, sizeof *o);
	o->owner_uid = (uid_t)-1;
	o->owner_gid = (gid_t)-1;
}

static int make_dir(ipc_runner_t *r)
{
	const char *base = r->o.base_dir;
	char tmpl[108];
	if (!base) {
		base = "/run/pod";
		if (mkdir(base, 0711) < 0 && errno != EEXIST)
			base = "/tmp";
	}
	if (r->o.dir_name) { /* the caller's name: one path component, no dot name */
		const char *n = r->o.dir_name;

		if (!n[0] || n[0] == '.' || strchr(n, '/') || strlen(n) > 40)
			return -EINVAL;
		/* room for "/NAME/query.sock" */
		if (snprintf(tmpl, sizeof tmpl, "%s/%s", base, n) >= (int)sizeof tmpl - 12)
			return -ENAMETOOLONG;
		if (mkdir(tmpl, 0700) < 0) /* mode 0700; fails if the name exists */
			return -errno;
	} else {
		/* room for "/ipc-XXXXXX/query.sock" */
		if (snprintf(tmpl, sizeof tmpl, "%s/ipc-XXXXXX", base) >= (int)sizeof tmpl - 12)
			return -ENAMETOOLONG;
		if (!mkdtemp(tmpl)) /* mode 0700, random name, O_EXCL semantics */
			return -errno;
	}
	memcpy(r->dir, tmpl, sizeof tmpl);
	if ((r->o.owner_uid != (uid_t)-1 || r->o.owner_gid != (gid_t)-1) &&
	    chown(r->dir, r->o.owner_uid, r->o.owner_gid) < 0)
		return -errno;
	return 0;
}

static int make_listener(ipc_runner_t *r, char *path, const char *name, int *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char full[sizeof r->dir + 32];
	int len = snprintf(full, sizeof full, "%s/%s", r->dir, name);
	if (len < 0 || (size_t)len >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(path, full, (size_t)len + 1);
	memcpy(sa.sun_path, full, (size_t)len + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0600) < 0 ||
	    ((r->o.owner_uid != (uid_t)-1 || r->o.owner_gid != (gid_t)-1) &&
	     chown(path, r->o.owner_uid, r->o.owner_gid) < 0) ||
	    listen(fd, 8) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

int ipc_runner_create(const struct ipc_runner_opts *o, ipc_runner_t **out)
{
	int ret;
	ipc_runner_t *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->epfd = r->tfd = r->wfd = r->lfd = r->qfd = r->s.fd = -1;
	if (o)
		r->o = *o;
	else
		ipc_runner_opts_init(&r->o);
	if (!r->o.ring_capacity)
		r->o.ring_capacity = 1u << 20;
	if (!r->o.handshake_timeout_ms)
		r->o.handshake_timeout_ms = 5000;
	if (!r->o.max_query_conns)
		r->o.max_query_conns = 16;
	r->state = IPC_RS_LISTENING;
	r->next_id = 1;

	/* 1. the private directory and the listening sockets */
	if ((ret = make_dir(r)) < 0)
		goto cleanup;
	if ((ret = make_listener(r, r->sock, "ctl.sock", &r->lfd)) < 0)
		goto cleanup;
	if (r->o.query_socket && (ret = make_listener(r, r->qsock, "query.sock", &r->qfd)) < 0)
		goto cleanup;
	/* 2. the rings: an anonymous memfd sealed against resizing. The pod gets
	 * it by descriptor, so it has no name to leave behind; and a pod that
	 * ftruncate()s a plain shm object could make the runner's next access to
	 * the mapping die with SIGBUS, which the seals make the kernel refuse. */
	if ((ret = ring_shm_create_sealed(r->o.ring_capacity, &r->shm)) < 0)
		goto cleanup;
	r->tx = ring_shm_ring(r->shm, RING_DIR_TO_POD);
	r->rx = ring_shm_ring(r->shm, RING_DIR_TO_RUNNER);
	/* 3. the one descriptor the caller watches, and what it covers */
	r->q = calloc(r->o.max_query_conns, sizeof *r->q);
	r->evq_cap = 2 * EVQ_BUDGET;
	r->evq = calloc(r->evq_cap, sizeof *r->evq);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	r->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!r->q || !r->evq || r->epfd < 0 || r->tfd < 0 || r->wfd < 0) {
		ret = r->q && r->evq ? -errno : -ENOMEM;
		goto cleanup;
	}
	for (unsigned i = 0; i < r->o.max_query_conns; i++)
		r->q[i].c.fd = -1;
	r->nq = r->o.max_query_conns;
	if ((ret = ep_ctl(r, EPOLL_CTL_ADD, r->tfd, TAG_TIMER, EPOLLIN)) < 0 ||
	    (ret = ep_ctl(r, EPOLL_CTL_ADD, r->wfd, TAG_WAKE, EPOLLIN)) < 0)
		goto cleanup;
	*out = r;
	return 0;
cleanup:
	ipc_runner_destroy(r);
	return ret;
}

int ipc_runner_expect_peer(ipc_runner_t *r, const struct ipc_peer_rule *rule)
{
	int ret;
	if (!rule || rule->kind < IPC_PEER_PID || rule->kind > IPC_PEER_CALLBACK ||
	    (rule->kind == IPC_PEER_CALLBACK && !rule->fn) ||
	    (rule->kind != IPC_PEER_CALLBACK && rule->pid <= 0))
		return -EINVAL;
	if (r->have_rule)
		return -EALREADY;
	r->rule = *rule;
	r->have_rule = 1;
	if (r->lfd >= 0 && (ret = ep_ctl(r, EPOLL_CTL_ADD, r->lfd, TAG_LISTEN, EPOLLIN)) < 0)
		return ret;
	if (r->qfd >= 0 && (ret = ep_ctl(r, EPOLL_CTL_ADD, r->qfd, TAG_QLISTEN, EPOLLIN)) < 0)
		return ret;
	r->hs_deadline_ns = ms_from_now(r->o.handshake_timeout_ms);
	rearm_timer(r);
	return 0;
}

void ipc_runner_destroy(ipc_runner_t *r)
{
	if (!r)
		return;
	conn_close(&r->s);
	for (unsigned i = 0; r->q && i < r->nq; i++)
		if (r->q[i].c.fd >= 0)
			conn_close(&r->q[i].c);
	free(r->q);
	free(r->evq);
	int fds[] = { r->lfd, r->qfd, r->epfd, r->tfd, r->wfd };
	for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r->sock[0])
		unlink(r->sock);
	if (r->qsock[0])
		unlink(r->qsock);
	if (r->dir[0])
		rmdir(r->dir);
	ring_shm_destroy(r->shm);
	free(r);
}

/* ---- accessors ------------------------------------------------------- */

int ipc_runner_fd(const ipc_runner_t *r)
{
	return r->epfd;
}

int ipc_runner_state(const ipc_runner_t *r)
{
	return r->state;
}

const char *ipc_runner_socket_path(const ipc_runner_t *r)
{
	return r->sock;
}

const char *ipc_runner_query_path(const ipc_runner_t *r)
{
	return r->qsock[0] ? r->qsock : NULL;
}

const char *ipc_runner_dir(const ipc_runner_t *r)
{
	return r->dir;
}

int ipc_runner_shm_fd(const ipc_runner_t *r)
{
	return ring_shm_fd(r->shm);
}

ring_shm_t *ipc_runner_shm(ipc_runner_t *r)
{
	return r->shm;
}

/* ---- session messages ------------------------------------------------ */

/* The pod closed its end while messages it sent before are still to be
 * read: drop what we would send; its EOF ends the session (cleanly, or with
 * its ERROR) once those are read. */
static int peer_gone(ipc_runner_t *r, int err)
{
	if (err != -EPIPE && err != -ECONNRESET)
		return 0;
	r->s.out_len = 0;
	wake(r);
	return 1;
}

static int session_send(ipc_runner_t *r, struct ipc_msg *m)
{
	int ret = conn_send(&r->s, m);
	r->st.messages_sent += ret == 0;
	r->st.doorbells_sent += ret == 0 && m->type == IPC_DATA;
	if (ret < 0 && peer_gone(r, ret))
		return 0;
	if (ret < 0) {
		session_end(r, ret == -ENOBUFS ? -ENOBUFS : -ECONNRESET, 0,
			    ret == -ENOBUFS ? "pod does not read its control socket"
					    : "control socket failed");
		return ret;
	}
	if (r->s.out_len) /* kernel buffer full: finish when writable */
		ep_ctl(r, EPOLL_CTL_MOD, r->s.fd, TAG_SESSION, EPOLLIN | EPOLLOUT);
	return 0;
}

/* Doorbells are idempotent: while output is pending they merge into one. */
static void send_doorbell(ipc_runner_t *r, uint32_t flags)
{
	r->deferred |= flags;
	if (!r->deferred || r->s.fd < 0 || r->s.out_len)
		return; /* sent when the socket drains (EPOLLOUT in handle_ready) */
	struct ipc_msg m = { .type = IPC_DATA, .u.data.flags = r->deferred };
	r->deferred = 0;
	session_send(r, &m);
}

/* SPACE for the pod once half of the ring it fills is free again. */
static void maybe_send_space(ipc_runner_t *r)
{
	int64_t f = ring_free(r->rx);
	if (r->peer_wants_space && f >= (int64_t)(r->o.ring_capacity / 2)) {
		r->peer_wants_space = 0;
		send_doorbell(r, IPC_DATA_SPACE);
	}
}

static void on_hello(ipc_runner_t *r, const struct ipc_msg *m)
{
	if (m->u.hello.version != IPC_VERSION) {
		session_end(r, -EPROTONOSUPPORT, IPC_ERR_VERSION, "unsupported protocol version");
		return;
	}
	/* 1. arm our doorbell before READY: the pod may publish right after it */
	int armed = ring_prepare_wait(r->rx);
	r->rx_armed = armed == 1;
	/* 2. READY carries the ring geometry the pod checks against its mapping */
	struct ipc_msg rd = { .type = IPC_READY };
	rd.u.ready.ring_capacity = ring_shm_capacity(r->shm);
	rd.u.ready.max_frame = ring_max_frame(r->tx);
	if (session_send(r, &rd) < 0)
		return;
	r->ss = SS_UP;
	r->state = IPC_RS_ESTABLISHED;
	r->hs_deadline_ns = 0;
	rearm_timer(r);
	struct ipc_event *ev = ev_push(r, IPC_EV_READY);
	ev->peer = r->s_peer;
	ev->u.hello.version = m->u.hello.version;
	ev->u.hello.lang = m->u.hello.lang;
	ev->u.hello.pid = m->u.hello.pid;
	if (armed == 0)
		ev_push(r, IPC_EV_DATA);
}

static void on_data(ipc_runner_t *r, uint32_t flags)
{
	if (flags & IPC_DATA_WANT_SPACE) {
		r->peer_wants_space = 1;
		maybe_send_space(r);
	}
	if (flags & (IPC_DATA_FRAMES | IPC_DATA_WANT_SPACE)) {
		r->rx_armed = 0; /* the pod cleared our word (or the ring is full) */
		ev_push(r, IPC_EV_DATA);
	}
	if ((flags & IPC_DATA_SPACE) && r->want_space_sent) {
		r->want_space_sent = 0;
		ev_push(r, IPC_EV_WRITABLE);
	}
}

/* A QUERY or EVENT from the pod becomes the same event whichever socket
 * carried it; @p conn is 0 for the session, else the query connection's id. */
static void push_pod_report(ipc_runner_t *r, const struct ipc_msg *m, uint32_t conn,
			    const struct ipc_peer *peer)
{
	struct ipc_event *ev = ev_push(r, m->type == IPC_QUERY ? IPC_EV_QUERY : IPC_EV_EVENT);
	ev->conn = conn;
	ev->peer = *peer;
	if (m->type == IPC_QUERY) {
		ev->u.query.request_id = m->u.query.request_id;
		conn_strcpy(ev->u.query.category, sizeof ev->u.query.category, m->u.query.category);
		conn_strcpy(ev->u.query.request, sizeof ev->u.query.request, m->u.query.request);
		return;
	}
	ev->u.event.action = m->u.event.action;
	conn_strcpy(ev->u.event.category, sizeof ev->u.event.category, m->u.event.category);
	conn_strcpy(ev->u.event.what, sizeof ev->u.event.what, m->u.event.what);
	conn_strcpy(ev->u.event.detail, sizeof ev->u.event.detail, m->u.event.detail);
}

/* One decoded message on the established session. */
static void on_session_msg(ipc_runner_t *r, const struct ipc_msg *m)
{
	struct ipc_event *ev;
	r->st.messages_received++;
	r->st.doorbells_received += m->type == IPC_DATA;
	if (r->ss == SS_HELLO_WAIT) {
		if (m->type == IPC_HELLO)
			on_hello(r, m);
		else
			session_end(r, -EBADMSG, IPC_ERR_PROTOCOL, "expected HELLO");
		return;
	}
	switch (m->type) {
	case IPC_DATA:
		on_data(r, m->u.data.flags);
		break;
	case IPC_PING: {
		struct ipc_msg p = { .type = IPC_PONG, .u.ping.token = m->u.ping.token };
		session_send(r, &p);
		break;
	}
	case IPC_PONG:
		if (!r->ping_out || m->u.ping.token != r->ping_token) {
			session_end(r, -EBADMSG, IPC_ERR_PROTOCOL, "unexpected PONG");
			break;
		}
		r->ping_out = 0;
		r->ping_deadline_ns = 0;
		rearm_timer(r);
		ev = ev_push(r, IPC_EV_PONG);
		ev->u.token = m->u.ping.token;
		break;
	case IPC_ERROR:
		ev = session_end(r, -EREMOTEIO, 0, "the pod reported an error");
		if (ev) {
			ev->u.error.code = m->u.error.code;
			conn_strcpy(ev->u.error.text, sizeof ev->u.error.text, m->u.error.text);
		}
		break;
	case IPC_QUERY:
	case IPC_EVENT:
		push_pod_report(r, m, 0, &r->s_peer);
		break;
	default: /* HELLO again, READY, STOP, VERDICT: not the pod's to send */
		session_end(r, -EBADMSG, IPC_ERR_PROTOCOL, "message out of order");
	}
}

/* Read and handle what the session socket holds; stop early when events wait. */
static void session_input(ipc_runner_t *r)
{
	struct ipc_msg m;
	int budget = INPUT_BUDGET;
	while (r->s.fd >= 0 && r->evq_len <= EVQ_BUDGET - 2) {
		if (budget-- == 0) {
			wake(r);
			return;
		}
		int n = conn_next(&r->s, &m);
		if (n == 1) {
			on_session_msg(r, &m);
			continue;
		}
		if (n < 0) {
			session_end(r, n, errno_to_code(n),
				    n == -EPROTONOSUPPORT ? "unsupported protocol version"
				    : n == -EMSGSIZE      ? "oversize control message"
							  : "malformed control message");
			return;
		}
		if (r->s.eof) {
			if (conn_partial(&r->s))
				session_end(r, -EBADMSG, 0, "truncated control message");
			else if (r->ss == SS_UP)
				session_end(r, 0, 0, "the pod closed the session");
			else
				session_end(r, -ECONNRESET, 0, "the pod closed before HELLO");
			return;
		}
		n = conn_fill(&r->s);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			session_end(r, -ECONNRESET, 0, "control socket reset");
			return;
		}
	}
}

/* ---- query connections ----------------------------------------------- */

static struct qconn *qconn_by_id(ipc_runner_t *r, uint32_t id)
{
	for (unsigned i = 0; i < r->nq; i++)
		if (r->q[i].c.fd >= 0 && r->q[i].id == id)
			return &r->q[i];
	return NULL;
}

static void qconn_end(ipc_runner_t *r, struct qconn *q, int err, const char *why)
{
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, q->c.fd, NULL);
	if (err && err != -ECONNRESET)
		send_error_close(&q->c, errno_to_code(err), why);
	else
		conn_close(&q->c);
	struct ipc_event *ev = ev_push(r, IPC_EV_QUERY_CLOSED);
	ev->err = err;
	ev->conn = q->id;
	ev->peer = q->peer;
	snprintf(ev->reason, sizeof ev->reason, "%s", why);
	rearm_timer(r);
}

static void on_query_msg(ipc_runner_t *r, struct qconn *q, const struct ipc_msg *m)
{
	if (!q->up) {
		if (m->type != IPC_HELLO || m->u.hello.version != IPC_VERSION) {
			qconn_end(r, q, m->type == IPC_HELLO ? -EPROTONOSUPPORT : -EBADMSG,
				  "expected HELLO version 1");
			return;
		}
		struct ipc_msg rd = { .type = IPC_READY };
		if (conn_send(&q->c, &rd) < 0) {
			qconn_end(r, q, -ECONNRESET, "query socket failed");
			return;
		}
		q->up = 1;
		rearm_timer(r);
		return;
	}
	switch (m->type) {
	case IPC_QUERY:
	case IPC_EVENT:
		push_pod_report(r, m, q->id, &q->peer);
		break;
	case IPC_PING: {
		struct ipc_msg p = { .type = IPC_PONG, .u.ping.token = m->u.ping.token };
		if (conn_send(&q->c, &p) < 0)
			qconn_end(r, q, -ECONNRESET, "query socket failed");
		break;
	}
	default:
		qconn_end(r, q, -EBADMSG, "message out of order on a query connection");
	}
}

static void qconn_input(ipc_runner_t *r, struct qconn *q)
{
	struct ipc_msg m;
	int budget = INPUT_BUDGET;
	while (q->c.fd >= 0 && r->evq_len <= EVQ_BUDGET - 2) {
		if (budget-- == 0) {
			wake(r);
			return;
		}
		int n = conn_next(&q->c, &m);
		if (n == 1) {
			r->st.query_messages_received++;
			on_query_msg(r, q, &m);
			continue;
		}
		if (n < 0) {
			qconn_end(r, q, n, "malformed control message");
			return;
		}
		if (q->c.eof) {
			qconn_end(r, q, conn_partial(&q->c) ? -EBADMSG : 0,
				  conn_partial(&q->c) ? "truncated control message" : "closed");
			return;
		}
		n = conn_fill(&q->c);
		if (n == -EAGAIN)
			return;
		if (n < 0) {
			qconn_end(r, q, -ECONNRESET, "query socket reset");
			return;
		}
	}
}

/* ---- accepting ------------------------------------------------------- */

static void reject(ipc_runner_t *r, int fd, int err, const struct ipc_peer *peer, const char *why)
{
	struct ipc_conn c;
	if (conn_init(&c, fd) == 0)
		send_error_close(&c, errno_to_code(err), why);
	else
		conn_close(&c);
	struct ipc_event *ev = ev_push(r, IPC_EV_REJECTED);
	r->st.rejected++;
	ev->err = err;
	ev->peer = *peer;
	snprintf(ev->reason, sizeof ev->reason, "%s", why);
}

static void accept_session(ipc_runner_t *r)
{
	while (r->lfd >= 0 && r->evq_len <= EVQ_BUDGET - 2) {
		struct ipc_peer peer = { 0 };
		int fd = accept4(r->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a transient failure: try on the next readiness */
		int ok = check_peer(r, fd, &peer);
		if (ok < 0) {
			reject(r, fd, -EACCES, &peer, "credentials do not match the pod");
			continue;
		}
		if (r->s.fd >= 0 || r->state != IPC_RS_LISTENING) {
			reject(r, fd, -EBUSY, &peer, "a session already exists");
			continue;
		}
		if (conn_init(&r->s, fd) < 0 ||
		    ep_ctl(r, EPOLL_CTL_ADD, fd, TAG_SESSION, EPOLLIN) < 0) {
			conn_close(&r->s);
			continue;
		}
		r->s_peer = peer;
		r->ss = SS_HELLO_WAIT;
	}
}

static void accept_query(ipc_runner_t *r)
{
	while (r->qfd >= 0 && r->evq_len <= EVQ_BUDGET - 2) {
		struct ipc_peer peer = { 0 };
		int fd = accept4(r->qfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (check_peer(r, fd, &peer) < 0) {
			reject(r, fd, -EACCES, &peer, "credentials do not match the pod");
			continue;
		}
		struct qconn *q = NULL;
		for (unsigned i = 0; i < r->nq && !q; i++)
			if (r->q[i].c.fd < 0)
				q = &r->q[i];
		if (!q) {
			reject(r, fd, -EBUSY, &peer, "too many query connections");
			continue;
		}
		unsigned idx = (unsigned)(q - r->q);
		if (conn_init(&q->c, fd) < 0 ||
		    ep_ctl(r, EPOLL_CTL_ADD, fd, TAG_QCONN + idx, EPOLLIN) < 0) {
			conn_close(&q->c);
			continue;
		}
		q->id = r->next_id++;
		q->up = 0;
		q->peer = peer;
		q->deadline_ns = ms_from_now(r->o.handshake_timeout_ms);
		rearm_timer(r);
	}
}

/* ---- timers ---------------------------------------------------------- */

static void on_timer(ipc_runner_t *r)
{
	uint64_t now = conn_now_ns(), ticks;
	if (read(r->tfd, &ticks, sizeof ticks) < 0) {
		/* EAGAIN: spurious; the deadlines below are checked anyway */
	}
	if (r->hs_deadline_ns && now >= r->hs_deadline_ns)
		session_end(r, -ETIMEDOUT, r->s.fd >= 0 ? IPC_ERR_TIMEOUT : 0,
			    r->s.fd >= 0 ? "no HELLO before the handshake timeout"
					 : "the pod did not connect before the handshake timeout");
	else if (r->ping_deadline_ns && now >= r->ping_deadline_ns)
		session_end(r, -ETIMEDOUT, IPC_ERR_TIMEOUT, "no PONG before the PING timeout");
	if (r->stop_deadline_ns && !r->stop_expired_sent && now >= r->stop_deadline_ns &&
	    r->state == IPC_RS_STOPPING) {
		r->stop_expired_sent = 1;
		ev_push(r, IPC_EV_STOP_EXPIRED);
	}
	for (unsigned i = 0; i < r->nq && r->evq_len < EVQ_BUDGET; i++)
		if (r->q[i].c.fd >= 0 && !r->q[i].up && now >= r->q[i].deadline_ns)
			qconn_end(r, &r->q[i], -ETIMEDOUT, "no HELLO before the handshake timeout");
	rearm_timer(r);
}

/* ---- dispatch -------------------------------------------------------- */

static void handle_ready(ipc_runner_t *r, const struct epoll_event *e)
{
	uint32_t tag = e->data.u32;
	uint64_t v;
	switch (tag) {
	case TAG_LISTEN:
		accept_session(r);
		break;
	case TAG_QLISTEN:
		accept_query(r);
		break;
	case TAG_TIMER:
		on_timer(r);
		break;
	case TAG_WAKE:
		if (read(r->wfd, &v, sizeof v) < 0) {
			/* EAGAIN: already drained */
		}
		break;
	case TAG_SESSION:
		if ((e->events & EPOLLOUT) && r->s.fd >= 0) {
			int f = conn_flush(&r->s);
			if (f == 0)
				ep_ctl(r, EPOLL_CTL_MOD, r->s.fd, TAG_SESSION, EPOLLIN);
			if (f == 0 && r->deferred)
				send_doorbell(r, 0);
			else if (f < 0 && !peer_gone(r, f))
				session_end(r, -ECONNRESET, 0, "control socket failed");
			else if (f < 0)
				ep_ctl(r, EPOLL_CTL_MOD, r->s.fd, TAG_SESSION, EPOLLIN);
		}
		if (r->s.fd >= 0 && (e->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			session_input(r);
		break;
	default:
		if (tag >= TAG_QCONN && tag - TAG_QCONN < r->nq &&
		    r->q[tag - TAG_QCONN].c.fd >= 0) {
			struct qconn *q = &r->q[tag - TAG_QCONN];
			if ((e->events & EPOLLOUT) && conn_flush(&q->c) == 0)
				ep_ctl(r, EPOLL_CTL_MOD, q->c.fd, tag, EPOLLIN);
			qconn_input(r, q);
		}
	}
}

/* Messages already buffered (a step stopped early because events queued up). */
static void buffered_input(ipc_runner_t *r)
{
	if (r->s.fd >= 0 && conn_partial(&r->s))
		session_input(r);
	for (unsigned i = 0; i < r->nq && r->evq_len <= EVQ_BUDGET - 2; i++)
		if (r->q[i].c.fd >= 0 && conn_partial(&r->q[i].c))
			qconn_input(r, &r->q[i]);
}

int ipc_runner_dispatch(ipc_runner_t *r, struct ipc_event *ev)
{
	for (int round = 0; round < 64; round++) {
		/* 1. hand out queued events first, in order */
		if (r->evq_len) {
			*ev = r->evq[r->evq_head];
			r->evq_head = (r->evq_head + 1) % r->evq_cap;
			r->evq_len--;
			return 1;
		}
		buffered_input(r);
		if (r->evq_len)
			continue;
		/* 2. find ready sources without blocking and take one step on each */
		struct epoll_event es[16];
		int n = epoll_wait(r->epfd, es, 16, 0);
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		if (n == 0)
			return 0;
		for (int i = 0; i < n && r->evq_len <= EVQ_BUDGET - 2; i++)
			handle_ready(r, &es[i]);
	}
	return 0; /* more work may be pending: the descriptor stays readable */
}

/* ---- data path ------------------------------------------------------- */

static int data_ok(const ipc_runner_t *r)
{
	return r->state == IPC_RS_ESTABLISHED || r->state == IPC_RS_STOPPING;
}

/* After publishing frames: one load of the pod's waiting word; DATA only if it sleeps. */
static void tx_doorbell(ipc_runner_t *r)
{
	if (ring_need_wakeup(r->tx))
		send_doorbell(r, IPC_DATA_FRAMES);
}

static int tx_full(ipc_runner_t *r)
{
	if (!r->want_space_sent) {
		r->want_space_sent = 1;
		send_doorbell(r, IPC_DATA_WANT_SPACE);
	}
	return -EAGAIN;
}

static int ring_broken(ipc_runner_t *r)
{
	session_end(r, -EPROTO, IPC_ERR_RING, "the shared ring is corrupt");
	return -EPROTO;
}

int ipc_runner_send(ipc_runner_t *r, const void *buf, uint32_t len)
{
	if (!data_ok(r))
		return -ENOTCONN;
	int ret = ring_write(r->tx, buf, len);
	if (ret == 0) {
		r->st.frames_sent++;
		tx_doorbell(r);
		return 0;
	}
	if (ret == -EAGAIN)
		return tx_full(r);
	return ret == -EPROTO ? ring_broken(r) : ret;
}

int ipc_runner_send_batch(ipc_runner_t *r, const struct iovec *frames, unsigned n)
{
	if (!data_ok(r))
		return -ENOTCONN;
	if (n == 0)
		return 0;
	int ret = ring_write_batch(r->tx, frames, n);
	if (ret > 0) {
		r->st.frames_sent += (unsigned)ret;
		tx_doorbell(r);
	}
	if (ret == -EPROTO)
		return ring_broken(r);
	if (ret >= 0 && (unsigned)ret < n)
		tx_full(r);
	return ret;
}

/* Empty ring: announce we sleep, re-check. 1 = really empty (armed), 0 = retry. */
static int rx_arm(ipc_runner_t *r)
{
	if (r->rx_armed)
		return 1;
	int p = ring_prepare_wait(r->rx);
	if (p < 0)
		return ring_broken(r);
	r->rx_armed = p;
	return p;
}

static void rx_consumed(ipc_runner_t *r)
{
	if (r->rx_armed) { /* awake again: the pod need not ring */
		ring_cancel_wait(r->rx);
		r->rx_armed = 0;
	}
	if (r->peer_wants_space)
		maybe_send_space(r);
}

int ipc_runner_recv(ipc_runner_t *r, void *buf, uint32_t cap)
{
	if (!data_ok(r) && r->state != IPC_RS_CLOSED)
		return -ENOTCONN;
	for (;;) {
		int n = ring_read(r->rx, buf, cap);
		if (n >= 0) {
			r->st.frames_received++;
			rx_consumed(r);
			return n;
		}
		if (n == -EPROTO)
			return ring_broken(r);
		if (n != -EAGAIN)
			return n;
		if (r->state == IPC_RS_CLOSED)
			return -EAGAIN; /* draining after the pod left: no doorbell to arm */
		int a = rx_arm(r);
		if (a != 0)
			return a > 0 ? -EAGAIN : a;
	}
}

int ipc_runner_recv_batch(ipc_runner_t *r, void *buf, size_t cap, uint32_t *lens, unsigned n)
{
	if (!data_ok(r) && r->state != IPC_RS_CLOSED)
		return -ENOTCONN;
	for (;;) {
		int got = ring_read_batch(r->rx, buf, cap, lens, n);
		if (got > 0) {
			r->st.frames_received += (unsigned)got;
			rx_consumed(r);
			return got;
		}
		if (got == -EPROTO)
			return ring_broken(r);
		if (got < 0)
			return got;
		if (r->state == IPC_RS_CLOSED)
			return -EAGAIN;
		int a = rx_arm(r);
		if (a != 0)
			return a > 0 ? -EAGAIN : a;
	}
}

/* ---- control calls --------------------------------------------------- */

int ipc_runner_stop(ipc_runner_t *r, uint32_t deadline_ms)
{
	if (r->state == IPC_RS_STOPPING)
		return -EALREADY;
	if (r->state != IPC_RS_ESTABLISHED)
		return -ENOTCONN;
	struct ipc_msg m = { .type = IPC_STOP, .u.stop.deadline_ms = deadline_ms };
	int ret = session_send(r, &m);
	if (ret < 0)
		return ret;
	r->state = IPC_RS_STOPPING;
	r->stop_deadline_ns = ms_from_now(deadline_ms);
	rearm_timer(r);
	return 0;
}

int ipc_runner_ping(ipc_runner_t *r, uint32_t timeout_ms)
{
	if (!data_ok(r))
		return -ENOTCONN;
	if (r->ping_out)
		return -EBUSY;
	struct ipc_msg m = { .type = IPC_PING, .u.ping.token = conn_now_ns() };
	int ret = session_send(r, &m);
	if (ret < 0)
		return ret;
	r->ping_out = 1;
	r->ping_token = m.u.ping.token;
	r->ping_deadline_ns = ms_from_now(timeout_ms);
	rearm_timer(r);
	return 0;
}

int ipc_runner_verdict(ipc_runner_t *r, uint32_t conn, uint32_t request_id, int action,
		       const char *rule, const char *reason)
{
	if (action < IPC_ACT_ALLOW || action > IPC_ACT_DENY)
		return -EINVAL;
	rule = rule ? rule : "default";
	reason = reason ? reason : "";
	struct ipc_msg m = { .type = IPC_VERDICT };
	m.u.verdict.request_id = request_id;
	m.u.verdict.action = (uint8_t)action;
	m.u.verdict.rule = (struct ipc_str){ rule, (uint16_t)strnlen(rule, IPC_RULE_MAX) };
	m.u.verdict.reason = (struct ipc_str){ reason, (uint16_t)strnlen(reason, IPC_TEXT_MAX) };
	if (conn == 0)
		return data_ok(r) ? session_send(r, &m) : -ENOENT;
	struct qconn *q = qconn_by_id(r, conn);
	if (!q || !q->up)
		return -ENOENT;
	int ret = conn_send(&q->c, &m);
	if (ret < 0) {
		qconn_end(r, q, -ECONNRESET, "query socket failed");
		wake(r);
		return -ENOENT;
	}
	if (q->c.out_len)
		ep_ctl(r, EPOLL_CTL_MOD, q->c.fd, TAG_QCONN + (uint32_t)(q - r->q),
		       EPOLLIN | EPOLLOUT);
	return 0;
}

int ipc_runner_fail(ipc_runner_t *r, int32_t code, const char *text)
{
	if (r->state == IPC_RS_CLOSED)
		return -ENOTCONN;
	session_end(r, -ECONNABORTED, code ? code : IPC_ERR_INTERNAL, text ? text : "");
	return 0;
}

void ipc_runner_stats(const ipc_runner_t *r, struct ipc_stats *out)
{
	*out = r->st;
}
