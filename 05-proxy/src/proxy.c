/*
 * proxy.c — the proxy's life cycle, listeners, epoll dispatch, timers, events.
 *
 * Layer 05 (proxy). Builds on 04-policy (decisions are made in http.c /
 * tunnel.c / dns.c through it) and on epoll + timerfd. Used by 07-runner,
 * which adds proxy_fd() to its own loop and calls proxy_dispatch().
 *
 * The shape of the loop:
 *
 *     runner epoll --(proxy_fd readable)--> proxy_dispatch()
 *                                              |  epoll_wait(timeout 0)
 *            +---------------+-----------+-----+------+-------------+
 *            v               v           v            v             v
 *        listeners       DNS udp      timerfd     resolver      client/upstream
 *        accept4()       dns.c        expire      eventfd       sockets: http.c
 *                                     deadlines   resolve.c     or tunnel.c
 *
 * Closing a connection during a batch only marks it dead and moves it to a
 * "dead" list: later events of the same batch may still point at it; the
 * list is freed when the batch ends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_int.h"

/* ---- small helpers --------------------------------------------------------- */

uint64_t px_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t px_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int pxbuf_reserve(struct pxbuf *b, uint32_t cap)
{
	if (b->data)
		return 0;
	b->data = malloc(cap);
	if (!b->data)
		return -ENOMEM;
	b->cap = cap;
	b->start = b->end = 0;
	return 0;
}

uint32_t pxbuf_space(struct pxbuf *b)
{
	if (b->start == b->end)
		b->start = b->end = 0;
	if (b->start > 0 && b->cap - b->end < b->cap / 2) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	return b->cap - b->end;
}

void pxbuf_consume(struct pxbuf *b, uint32_t n)
{
	b->start += n;
	if (b->start >= b->end)
		b->start = b->end = 0;
}

int pxbuf_append(struct pxbuf *b, const void *p, size_t n)
{
	if (!b->data && pxbuf_reserve(b, n > 4096 ? (uint32_t)n : 4096) < 0)
		return -ENOMEM;
	pxbuf_space(b);
	if (b->cap - b->end < n) {
		size_t ncap = (size_t)b->end + n;
		if (ncap > (64u << 20))
			return -E2BIG;
		char *d = realloc(b->data, ncap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = (uint32_t)ncap;
	}
	memcpy(b->data + b->end, p, n);
	b->end += (uint32_t)n;
	return 0;
}

void pxbuf_free(struct pxbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void set_limits(struct proxy_limits *l)
{
	if (!l->max_conns)
		l->max_conns = 256;
	if (!l->max_head_bytes)
		l->max_head_bytes = 16384;
	if (l->max_head_bytes > (1u << 20))
		l->max_head_bytes = 1u << 20;
	if (!l->max_headers || l->max_headers > PROXY_MAX_HEADERS)
		l->max_headers = l->max_headers ? PROXY_MAX_HEADERS : 100;
	if (!l->max_line)
		l->max_line = 8192;
	if (!l->max_requests)
		l->max_requests = 1000;
	if (!l->head_timeout_ms)
		l->head_timeout_ms = 10000;
	if (!l->idle_timeout_ms)
		l->idle_timeout_ms = 30000;
	if (!l->tunnel_idle_ms)
		l->tunnel_idle_ms = 300000;
	if (!l->connect_timeout_ms)
		l->connect_timeout_ms = 10000;
	if (!l->sock_buf)
		l->sock_buf = 65536;
	if (l->sock_buf < 65536)
		l->sock_buf = 65536; /* 32 KiB stalled bulk tunnels (see the README) */
	if (!l->pipe_buf)
		l->pipe_buf = 65536;
	if (!l->pipe_bulk)
		l->pipe_bulk = 1u << 20;
	if (l->pipe_bulk < l->pipe_buf)
		l->pipe_bulk = l->pipe_buf;
	if (!l->bulk_after)
		l->bulk_after = 1u << 20;
	if (!l->bulk_pipes)
		l->bulk_pipes = 16;
	/* a connection holds up to PX_FDS_PER_CONN fds (pod socket, upstream
	 * socket, two splice pipes): the pod must not be able to use up the
	 * runner's fd table, so the limit fits the table, minus a reserve */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		rlim_t fit = rl.rlim_cur > PX_FD_RESERVE
				 ? (rl.rlim_cur - PX_FD_RESERVE) / PX_FDS_PER_CONN
				 : 1;
		if (fit < 1)
			fit = 1;
		if (l->max_conns > fit)
			l->max_conns = (uint32_t)fit;
	}
}

static uint32_t conn_buf_cap(const struct proxy_limits *l)
{
	return l->max_head_bytes + 1 > PX_BUF_MIN ? l->max_head_bytes + 1 : PX_BUF_MIN;
}

uint64_t proxy_conn_budget(const struct proxy_limits *in)
{
	struct proxy_limits l = in ? *in : (struct proxy_limits){ 0 };
	set_limits(&l);
	long page = sysconf(_SC_PAGESIZE);
	uint64_t pipe =
	    ((uint64_t)l.pipe_buf + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
	return 2 * (2 * 2 * (uint64_t)l.sock_buf) + 2 * pipe + 2 * (uint64_t)conn_buf_cap(&l);
}

uint64_t proxy_budget(const struct proxy_limits *in)
{
	struct proxy_limits l = in ? *in : (struct proxy_limits){ 0 };

	set_limits(&l);
	return (uint64_t)l.max_conns * proxy_conn_budget(&l) +
	       (uint64_t)l.bulk_pipes * (l.pipe_bulk - l.pipe_buf);
}

/* Bound the kernel buffers of a connection's socket (see proxy_limits.sock_buf). */
void px_sock_bufs(const struct proxy *px, int fd)
{
	int v = (int)px->lim.sock_buf;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

const char *px_what(const struct conn *c, char *buf, size_t cap)
{
	if (strchr(c->host, ':'))
		snprintf(buf, cap, "[%s]:%u", c->host, c->port);
	else
		snprintf(buf, cap, "%s:%u", c->host, c->port);
	return buf;
}

/* ---- events ------------------------------------------------------------------ */

static void count_action(struct proxy *px, enum pol_action a)
{
	if (a == POL_DENY)
		px->st.denied++;
	else if (a == POL_WARN)
		px->st.warned++;
	else
		px->st.allowed++;
}

/* Add an allowed request's bytes to its host's total. */
static void add_total(struct proxy *px, const char *what, uint64_t up, uint64_t down)
{
	if (!px->totals) {
		px->totals = calloc(PROXY_HOST_TOTALS + 1, sizeof(*px->totals));
		if (!px->totals)
			return;
	}
	int i;
	for (i = 0; i < px->n_totals; i++)
		if (!strcmp(px->totals[i].what, what))
			break;
	if (i == px->n_totals) {
		if (i == PROXY_HOST_TOTALS) {
			i = PROXY_HOST_TOTALS; /* the "(other)" slot */
			snprintf(px->totals[i].what, sizeof(px->totals[i].what), "(other)");
		} else {
			snprintf(px->totals[i].what, sizeof(px->totals[i].what), "%s", what);
			px->n_totals++;
		}
	}
	px->totals[i].up += up;
	px->totals[i].down += down;
	px->totals[i].n++;
}

static void emit_total(struct proxy *px, const struct pxtotal *t)
{
	struct proxy_event ev = {
		.src = PROXY_SRC_PROXY,
		.action = POL_ALLOW,
		.rule = "default",
		.reason = "",
		.method = "",
		.url = "",
		.host = "",
		.what = t->what,
		.peer = "",
		.bytes_up = t->up,
		.bytes_down = t->down,
		.kind = PROXY_EV_HOST_TOTAL,
		.count = t->n,
	};
	px->cfg.on_event(&ev, px->cfg.user);
}

static void emit_totals(struct proxy *px)
{
	if (!px->totals)
		return;
	for (int i = 0; i < px->n_totals; i++)
		emit_total(px, &px->totals[i]);
	if (px->totals[PROXY_HOST_TOTALS].n)
		emit_total(px, &px->totals[PROXY_HOST_TOTALS]);
}

/* The pod connection ends: one event with the totals of its allowed requests. */
static void emit_conn_end(struct conn *c)
{
	struct proxy *px = c->px;
	if (!c->t_n)
		return;
	struct proxy_event ev = {
		.src = PROXY_SRC_PROXY,
		.action = c->t_action,
		.rule = c->t_rule ? c->t_rule : "default",
		.reason = "connection closed",
		.method = "",
		.url = "",
		.host = c->t_host,
		.port = c->t_port,
		.what = c->t_what,
		.peer = c->t_peer,
		.bytes_up = c->t_up,
		.bytes_down = c->t_down,
		.duration_us = px_now_us() - c->t_open_us,
		.pid = c->pid,
		.kind = PROXY_EV_CONN_END,
		.count = c->t_n,
	};
	px->cfg.on_event(&ev, px->cfg.user);
}

void px_emit(struct conn *c, enum proxy_src src, enum pol_action action, const char *rule,
	     const char *reason)
{
	struct proxy *px = c->px;
	char what[300];
	if (c->event_done)
		return;
	c->event_done = 1;
	count_action(px, action);
	struct proxy_event ev = {
		.src = src,
		.action = action,
		.rule = rule ? rule : "default",
		.reason = reason ? reason : "",
		.method = c->method,
		.url = c->url ? c->url : "",
		.host = c->host,
		.port = c->port,
		.what = c->host[0] ? px_what(c, what, sizeof(what)) : "",
		.peer = c->peer,
		.status = c->status,
		.bytes_up = c->bytes_up,
		.bytes_down = c->bytes_down,
		.duration_us = c->t_start_us ? px_now_us() - c->t_start_us : 0,
		.pid = c->pid,
	};
	px->cfg.on_event(&ev, px->cfg.user);
	if (src == PROXY_SRC_PROXY && action != POL_DENY && c->host[0]) {
		c->t_up += c->bytes_up;
		c->t_down += c->bytes_down;
		c->t_n++;
		if (!c->t_rule || action >= c->t_action) {
			c->t_action = action;
			c->t_rule = ev.rule;
		}
		snprintf(c->t_host, sizeof(c->t_host), "%s", c->host);
		snprintf(c->t_what, sizeof(c->t_what), "%s", ev.what);
		snprintf(c->t_peer, sizeof(c->t_peer), "%s", c->peer);
		c->t_port = c->port;
		add_total(px, ev.what, c->bytes_up, c->bytes_down);
	}
}

void px_emit_dns(struct proxy *px, const struct proxy_dns_query *q, enum pol_action a,
		 const char *rule, const char *reason, size_t bytes_up, size_t bytes_down,
		 const struct sockaddr *client)
{
	static const struct {
		uint16_t t;
		const char *n;
	} names[] = {
		{ 1, "A" },    { 2, "NS" },    { 5, "CNAME" },  { 6, "SOA" },
		{ 12, "PTR" }, { 15, "MX" },   { 16, "TXT" },   { 28, "AAAA" },
		{ 33, "SRV" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 255, "ANY" },
	};
	char tname[16];
	tname[0] = '\0'; /* qtype 0: the question was never read (a malformed message) */
	if (q->qtype)
		snprintf(tname, sizeof(tname), "TYPE%u", q->qtype);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == q->qtype)
			snprintf(tname, sizeof(tname), "%s", names[i].n);
	count_action(px, a);
	struct proxy_event ev = {
		.src = PROXY_SRC_DNS,
		.action = a,
		.rule = rule ? rule : "default",
		.reason = reason ? reason : "",
		.method = tname,
		.url = q->name,
		.host = q->name,
		.what = q->name,
		.peer = "",
		.bytes_up = bytes_up,
		.bytes_down = bytes_down,
		.pid = px->cfg.pid_of && client ? px->cfg.pid_of(client, px->cfg.user) : 0,
	};
	px->cfg.on_event(&ev, px->cfg.user);
}

/* ---- epoll bookkeeping ---------------------------------------------------- */

static int ep_set(struct proxy *px, struct pxfd *f, uint32_t events)
{
	if (f->fd < 0 || f->events == events)
		return 0;
	struct epoll_event ev = { .events = events, .data.ptr = f };
	int op = f->events ? (events ? EPOLL_CTL_MOD : EPOLL_CTL_DEL) : EPOLL_CTL_ADD;
	if (op == EPOLL_CTL_ADD && !events)
		return 0;
	if (epoll_ctl(px->epfd, op, f->fd, &ev) < 0)
		return -errno;
	f->events = events;
	return 0;
}

static void arm_timer(struct proxy *px, int on)
{
	if (px->timer_armed == on)
		return;
	struct itimerspec its = { 0 };
	if (on) {
		its.it_interval.tv_nsec = PX_TICK_MS * 1000000L;
		its.it_value = its.it_interval;
	}
	timerfd_settime(px->timerfd, 0, &its, NULL);
	px->timer_armed = on;
}

/* Interest of a client/upstream socket given the conn's state. */
static uint32_t interest(const struct conn *c, int client_side)
{
	const struct pxfd *f = client_side ? &c->cli : &c->up;
	uint32_t ev = 0;
	if (f->fd < 0)
		return 0;
	if (c->state == CS_TUNNEL)
		return tunnel_interest(c, client_side);
	if (c->mode == CM_DNS) { /* read only while the answers backlog is small */
		if (pxbuf_len(&c->cout))
			ev |= EPOLLOUT;
		if (!c->cli_eof && pxbuf_len(&c->cout) < PX_DNS_BACKLOG &&
		    c->cin.end - c->cin.start < c->cin.cap)
			ev |= EPOLLIN;
		return ev;
	}
	if (client_side) {
		int have_out = pxbuf_len(&c->cout) || (c->resp_head_done && c->resp_fwd);
		if (have_out)
			ev |= EPOLLOUT;
		if (!c->cli_eof && c->cin.data && c->cin.end - c->cin.start < c->cin.cap &&
		    c->state != CS_LOCAL) {
			/* in EXCHANGE read only while the request body is still coming */
			if (c->state != CS_EXCHANGE || !c->req_done || c->mode == CM_DNS)
				ev |= EPOLLIN;
		}
		if (c->state == CS_LOCAL && !c->cli_eof)
			ev |= EPOLLIN; /* to notice the client going away; input is discarded */
	} else {
		if (c->state == CS_CONNECT)
			return EPOLLOUT;
		if (pxbuf_len(&c->uout) || c->req_fwd)
			ev |= EPOLLOUT;
		if (!c->up_eof && c->uin.data && c->uin.end - c->uin.start < c->uin.cap)
			ev |= EPOLLIN;
	}
	return ev;
}

int px_update(struct conn *c)
{
	if (c->dead)
		return 0;
	int r = ep_set(c->px, &c->cli, interest(c, 1));
	if (r == 0)
		r = ep_set(c->px, &c->up, interest(c, 0));
	return r;
}

void px_set_deadline(struct conn *c, uint32_t ms)
{
	c->deadline_ms = ms ? px_now_ms() + ms : 0;
}

/* ---- connection life ------------------------------------------------------ */

static void again_remove(struct conn *c);

static void close_fd(struct proxy *px, struct pxfd *f)
{
	if (f->fd < 0)
		return;
	if (f->events)
		epoll_ctl(px->epfd, EPOLL_CTL_DEL, f->fd, NULL);
	close(f->fd);
	f->fd = -1;
	f->events = 0;
}

static void close_pipe(struct proxy *px, struct pxdir *d)
{
	if (d->bulk) {
		px->n_bulk--;
		d->bulk = 0;
	}
	for (int i = 0; i < 2; i++)
		if (d->pipe[i] >= 0) {
			close(d->pipe[i]);
			d->pipe[i] = -1;
		}
}

void px_close(struct conn *c)
{
	struct proxy *px = c->px;
	if (c->dead)
		return;
	/* a request that was decided but not yet reported is reported now */
	if (!c->event_done && c->host[0] && c->action != POL_DENY && c->rule)
		px_emit(c, c->mode == CM_DNS ? PROXY_SRC_DNS : PROXY_SRC_PROXY, c->action, c->rule,
			c->reason[0] ? c->reason : "connection closed");
	emit_conn_end(c);
	resolve_cancel(c);
	if (c->again)
		again_remove(c);
	close_fd(px, &c->cli);
	close_fd(px, &c->up);
	close_pipe(px, &c->c2u);
	close_pipe(px, &c->u2c);
	c->dead = 1;
	/* unlink from the open list, push on the dead list */
	if (c->prev)
		c->prev->next = c->next;
	else
		px->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->next = px->dead;
	c->prev = NULL;
	px->dead = c;
	px->st.conns_open--;
}

void px_again(struct conn *c)
{
	struct proxy *px = c->px;
	if (c->again || c->dead)
		return;
	c->again = 1;
	c->again_next = px->again;
	px->again = c;
	uint64_t one = 1;
	if (write(px->againfd.fd, &one, sizeof(one)) < 0) {
		/* the counter is far from overflow; nothing else can fail here */
	}
}

static void again_remove(struct conn *c)
{
	struct conn **pp = &c->px->again;
	while (*pp && *pp != c)
		pp = &(*pp)->again_next;
	if (*pp)
		*pp = c->again_next;
	c->again = 0;
}

static void on_again(struct proxy *px)
{
	uint64_t v;
	if (read(px->againfd.fd, &v, sizeof(v)) < 0)
		return;
	struct conn *list = px->again;
	px->again = NULL;
	while (list) {
		struct conn *c = list;
		list = c->again_next;
		c->again = 0;
		px_advance(c);
	}
}

void px_close_up(struct conn *c)
{
	close_fd(c->px, &c->up);
}

void px_abort(struct conn *c)
{
	struct linger lg = { 1, 0 };
	if (c->cli.fd >= 0)
		setsockopt(c->cli.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (c->up.fd >= 0)
		setsockopt(c->up.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	px_close(c);
}

static void conn_free(struct conn *c)
{
	pxbuf_free(&c->cin);
	pxbuf_free(&c->uin);
	pxbuf_free(&c->cout);
	pxbuf_free(&c->uout);
	free(c->url);
	free(c);
}

static void free_dead(struct proxy *px)
{
	while (px->dead) {
		struct conn *c = px->dead;
		px->dead = c->next;
		conn_free(c);
	}
	if (!px->conns && !px->accept_paused)
		arm_timer(px, 0);
}

/* Start a non-blocking connect to c->addrs[c->ai]. */
int px_connect_next(struct conn *c)
{
	struct proxy *px = c->px;
	while (c->ai < c->naddr) {
		struct sockaddr_storage *sa = &c->addrs[c->ai];
		socklen_t sl = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : sizeof(struct sockaddr_in);
		close_fd(px, &c->up);
		int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		px_sock_bufs(px, fd); /* before connect: the window scale follows */
		c->up.fd = fd;
		c->up.events = 0;
		/* the text of the address we connect to, for the event */
		char ip[INET6_ADDRSTRLEN] = "";
		uint16_t port;
		if (sa->ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
			port = ntohs(s6->sin6_port);
			snprintf(c->peer, sizeof(c->peer), "[%s]:%u", ip, port);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
			inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
			port = ntohs(s4->sin_port);
			snprintf(c->peer, sizeof(c->peer), "%s:%u", ip, port);
		}
		if (connect(fd, (struct sockaddr *)sa, sl) == 0 || errno == EINPROGRESS) {
			c->state = CS_CONNECT;
			px_set_deadline(c, px->lim.connect_timeout_ms);
			return 0;
		}
		c->ai++;
	}
	close_fd(px, &c->up);
	return -ECONNREFUSED;
}

static struct conn *conn_new(struct proxy *px, int fd, enum cmode mode)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (pxbuf_reserve(&c->cin, conn_buf_cap(&px->lim)) < 0) {
		free(c);
		return NULL;
	}
	c->px = px;
	c->mode = mode;
	c->state = CS_HEAD;
	c->cli = (struct pxfd){ .fd = fd, .kind = FK_CLIENT, .c = c };
	c->up = (struct pxfd){ .fd = -1, .kind = FK_UPSTREAM, .c = c };
	c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
	c->t_start_us = c->t_open_us = px_now_us();
	c->next = px->conns;
	if (px->conns)
		px->conns->prev = c;
	px->conns = c;
	px->st.conns_open++;
	return c;
}

/*
 * accept4() failed for want of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM):
 * the pending connection stays queued and the level-triggered listener would
 * report it again at once, turning the runner's loop into a busy spin. Take
 * the listeners out of the epoll set until the next timer tick.
 */
static void pause_accept(struct proxy *px)
{
	for (int i = 0; i < PX_NLST; i++)
		ep_set(px, &px->lst[i], 0);
	px->accept_paused = 1;
	arm_timer(px, 1);
}

static void resume_accept(struct proxy *px)
{
	if (!px->accept_paused)
		return;
	for (int i = 0; i < PX_NLST; i++)
		ep_set(px, &px->lst[i], EPOLLIN);
	px->accept_paused = 0;
}

static void on_accept(struct proxy *px, struct pxfd *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage sa;
		socklen_t sl = sizeof(sa);
		int fd = accept4(l->fd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				pause_accept(px);
			return; /* EAGAIN, or a transient error: try again on the next event */
		}
		px->st.conns_accepted++;
		if (px->st.conns_open >= px->lim.max_conns) {
			/* over the limit: reset at once; one deny event names the limit */
			struct linger lg = { 1, 0 };
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
			px->st.conns_refused++;
			struct proxy_event ev = {
				.src = PROXY_SRC_PROXY,
				.action = POL_DENY,
				.rule = "limit",
				.reason = "too many connections from the pod",
				.method = "",
				.url = "",
				.host = "",
				.what = "",
				.peer = "",
			};
			count_action(px, POL_DENY);
			px->cfg.on_event(&ev, px->cfg.user);
			continue;
		}
		enum cmode mode = l->kind == FK_LISTEN_HTTP      ? CM_HTTP
				  : l->kind == FK_LISTEN_TLS     ? CM_TLS
				  : l->kind == FK_LISTEN_DNS_TCP ? CM_DNS
								 : CM_EXPLICIT;
		struct conn *c = conn_new(px, fd, mode);
		if (!c) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		px_sock_bufs(px, fd); /* inherited from the listener already; made sure */
		memcpy(&c->cli_addr, &sa, sizeof(sa));
		if (px->cfg.pid_of)
			c->pid = px->cfg.pid_of((struct sockaddr *)&sa, px->cfg.user);
		px_set_deadline(c,
				mode == CM_DNS ? px->lim.idle_timeout_ms : px->lim.head_timeout_ms);
		arm_timer(px, 1);
		if (px_update(c) < 0)
			px_close(c);
	}
}

/* Advance a connection after I/O: the per-mode state machine. */
void px_advance(struct conn *c)
{
	if (c->dead)
		return;
	if (c->mode == CM_DNS)
		dns_tcp_advance(c);
	else if (c->state == CS_TUNNEL)
		tunnel_advance(c);
	else
		http_advance(c);
	if (!c->dead && px_update(c) < 0)
		px_abort(c);
}

static void on_conn_event(struct pxfd *f, uint32_t events)
{
	struct conn *c = f->c;
	if (c->dead)
		return;
	if (f->kind == FK_UPSTREAM && c->state == CS_CONNECT) {
		int err = 0;
		socklen_t sl = sizeof(err);
		getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &sl);
		if (err == 0 && !(events & (EPOLLERR | EPOLLHUP))) {
			http_on_connected(c);
		} else {
			c->ai++;
			if (px_connect_next(c) < 0)
				http_on_connected(c); /* with c->up.fd < 0: reports the failure */
		}
	}
	/* run the state machine: a transition may have left buffered input to handle */
	c->up_event = f->kind == FK_UPSTREAM;
	px_advance(c);
	c->up_event = 0;
}

static void on_timer(struct proxy *px)
{
	uint64_t ticks;
	if (read(px->timerfd, &ticks, sizeof(ticks)) < 0)
		return;
	resume_accept(px);
	uint64_t now = px_now_ms();
	for (struct conn *c = px->conns, *next; c; c = next) {
		next = c->next;
		if (!c->deadline_ms || now < c->deadline_ms)
			continue;
		c->deadline_ms = 0;
		if (c->mode == CM_DNS || c->state == CS_TUNNEL || c->state == CS_LOCAL)
			px_close(c);
		else
			http_timeout(c);
		px_advance(c);
	}
}

/* Wait up to @p timeout_ms for the first batch, then handle up to 4 batches. */
static int dispatch_wait(proxy_t *p, int timeout_ms)
{
	struct epoll_event evs[64];
	int handled = 0;
	for (int round = 0; round < 4; round++) {
		int n = epoll_wait(p->epfd, evs, 64, round ? 0 : timeout_ms);
		if (n < 0)
			return errno == EINTR ? handled : -errno;
		for (int i = 0; i < n; i++) {
			struct pxfd *f = evs[i].data.ptr;
			switch (f->kind) {
			case FK_LISTEN_EXPLICIT:
			case FK_LISTEN_HTTP:
			case FK_LISTEN_TLS:
			case FK_LISTEN_DNS_TCP:
				on_accept(p, f);
				break;
			case FK_DNS_UDP:
				dns_on_udp(p, f);
				break;
			case FK_TIMER:
				on_timer(p);
				break;
			case FK_RESOLVER:
				resolve_on_event(p);
				break;
			case FK_AGAIN:
				on_again(p);
				break;
			default:
				on_conn_event(f, evs[i].events);
				break;
			}
		}
		free_dead(p);
		handled += n;
		if (n < 64)
			break;
	}
	return handled;
}

int proxy_dispatch(proxy_t *p)
{
	if (!p)
		return -EINVAL;
	return dispatch_wait(p, 0);
}

int proxy_run(proxy_t *p, int timeout_ms, volatile int *stop)
{
	if (!p)
		return -EINVAL;
	uint64_t end = timeout_ms >= 0 ? px_now_ms() + (uint64_t)timeout_ms : 0;
	while (!stop || !*stop) {
		int wait = 100;
		if (timeout_ms >= 0) {
			uint64_t now = px_now_ms();
			if (now >= end)
				break;
			if (end - now < (uint64_t)wait)
				wait = (int)(end - now);
		}
		int r = dispatch_wait(p, wait);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- creation and teardown -------------------------------------------------- */

/* A listener's socket: socket(2), or the embedder's (proxy_config.socket_fn). */
static int px_socket(struct proxy *px, int domain, int type)
{
	int fd;
	type |= SOCK_NONBLOCK | SOCK_CLOEXEC;
	if (px->cfg.socket_fn)
		return px->cfg.socket_fn(domain, type, px->cfg.socket_user);
	fd = socket(domain, type, 0);
	return fd < 0 ? -errno : fd;
}

static int make_listener(struct proxy *px, int idx, int type, uint16_t port, enum fdkind kind,
			 struct pxfd *f)
{
	int fd = px_socket(px, AF_INET, type);
	int one = 1, ret;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = px->cfg.listen_addr };
	socklen_t sl = sizeof(sa);
	if (fd < 0)
		return fd;
	sa.sin_port = htons(port == PROXY_PORT_EPHEMERAL ? 0 : port);
	/* IP_FREEBIND: bind before podnet_attach() puts the address on the veth */
	if (type == SOCK_STREAM)
		px_sock_bufs(px, fd); /* accepted sockets inherit them, SYN included */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*f = (struct pxfd){ .fd = fd, .kind = (uint8_t)kind };
	if (idx >= 0)
		px->ports[idx] = ntohs(sa.sin_port);
	return ep_set(px, f, EPOLLIN);
}

/* The same service on the IPv6 address, on the port the IPv4 one got. */
static int make_listener6(struct proxy *px, int type, uint16_t port, enum fdkind kind,
			  struct pxfd *f)
{
	int fd = px_socket(px, AF_INET6, type);
	int one = 1, ret;
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_addr = px->cfg.listen_addr6,
				   .sin6_port = htons(port) };
	if (fd < 0)
		return fd;
	if (type == SOCK_STREAM)
		px_sock_bufs(px, fd);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*f = (struct pxfd){ .fd = fd, .kind = (uint8_t)kind };
	return ep_set(px, f, EPOLLIN);
}

static int open_listeners6(struct proxy *px)
{
	static const enum fdkind kinds[4] = { FK_LISTEN_EXPLICIT, FK_LISTEN_HTTP, FK_LISTEN_TLS,
					      FK_LISTEN_DNS_TCP };
	int r = 0;
	for (int i = 0; i < 4 && r == 0; i++)
		if (px->lst[i].fd >= 0)
			r = make_listener6(px, SOCK_STREAM, px->ports[i], kinds[i],
					   &px->lst[4 + i]);
	if (r == 0 && px->udp.fd >= 0)
		r = make_listener6(px, SOCK_DGRAM, px->ports[3], FK_DNS_UDP, &px->udp6);
	return r;
}

static int copy_hosts(struct proxy *px, const struct proxy_config *cfg)
{
	if (!cfg->n_hosts)
		return 0;
	if (!cfg->hosts || cfg->n_hosts > 4096)
		return -EINVAL;
	px->hosts = calloc(cfg->n_hosts, sizeof(*px->hosts));
	px->host_names = calloc(cfg->n_hosts, sizeof(*px->host_names));
	if (!px->hosts || !px->host_names)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_hosts; i++) {
		if (!cfg->hosts[i].name || strlen(cfg->hosts[i].name) >= 256)
			return -EINVAL;
		px->hosts[i] = cfg->hosts[i];
		snprintf(px->host_names[i], 256, "%s", cfg->hosts[i].name);
		px->hosts[i].name = px->host_names[i];
	}
	px->cfg.hosts = px->hosts;
	return 0;
}

static int open_listeners(struct proxy *px)
{
	const struct proxy_config *c = &px->cfg;
	int r = make_listener(px, 0, SOCK_STREAM, c->proxy_port, FK_LISTEN_EXPLICIT, &px->lst[0]);
	if (r == 0 && !(c->disable & PROXY_NO_HTTP))
		r = make_listener(px, 1, SOCK_STREAM, c->http_port, FK_LISTEN_HTTP, &px->lst[1]);
	if (r == 0 && !(c->disable & PROXY_NO_TLS))
		r = make_listener(px, 2, SOCK_STREAM, c->tls_port, FK_LISTEN_TLS, &px->lst[2]);
	if (r == 0 && !(c->disable & PROXY_NO_DNS)) {
		/* UDP and TCP on one port; an ephemeral UDP port may be taken for
		 * TCP by someone else, so pick again a few times */
		for (int tries = 0; tries < 16; tries++) {
			r = make_listener(px, 3, SOCK_DGRAM, c->dns_port, FK_DNS_UDP, &px->udp);
			if (r == 0)
				r = make_listener(px, -1, SOCK_STREAM, px->ports[3],
						  FK_LISTEN_DNS_TCP, &px->lst[3]);
			if (r != -EADDRINUSE || c->dns_port != PROXY_PORT_EPHEMERAL)
				break;
			close_fd(px, &px->udp);
		}
	}
	return r;
}

/* Take @p f out of the proxy but keep its socket open in @p held. */
static void hold_fd(struct proxy *px, struct pxfd *f, int *held, int *nheld)
{
	if (f->fd < 0)
		return;
	if (f->events)
		epoll_ctl(px->epfd, EPOLL_CTL_DEL, f->fd, NULL);
	held[(*nheld)++] = f->fd;
	f->fd = -1;
	f->events = 0;
}

/*
 * Every listener, IPv4 then IPv6. The IPv6 ones take the ports the IPv4 ones
 * got, which the kernel chose free for IPv4 only: a port held on the IPv6 side
 * alone (say a host service on [::] with IPV6_V6ONLY) refuses the second bind.
 * With ephemeral ports the attempt is made again; the failed attempt's IPv4
 * sockets stay open until the end, so the kernel cannot hand out their ports
 * a second time.
 */
#define PX_LISTEN_TRIES 32
static int open_all_listeners(struct proxy *px)
{
	const struct proxy_config *c = &px->cfg;
	int eph = c->proxy_port == PROXY_PORT_EPHEMERAL || c->http_port == PROXY_PORT_EPHEMERAL ||
		  c->tls_port == PROXY_PORT_EPHEMERAL || c->dns_port == PROXY_PORT_EPHEMERAL;
	int held[PX_LISTEN_TRIES * 5], nheld = 0, r = 0;

	for (int tries = 0; tries < PX_LISTEN_TRIES; tries++) {
		r = open_listeners(px);
		if (r == 0 && px->v6)
			r = open_listeners6(px);
		if (r != -EADDRINUSE || !eph)
			break;
		for (int i = 0; i < PX_NLST; i++) {
			if (i < 4)
				hold_fd(px, &px->lst[i], held, &nheld);
			else
				close_fd(px, &px->lst[i]);
		}
		hold_fd(px, &px->udp, held, &nheld);
		close_fd(px, &px->udp6);
	}
	while (nheld > 0)
		close(held[--nheld]);
	return r;
}

int proxy_create(const struct proxy_config *cfg, proxy_t **out)
{
	struct proxy *px = NULL;
	int ret;
	if (!cfg || !out || !cfg->policy || !cfg->on_event)
		return -EINVAL;
	*out = NULL;
	px = calloc(1, sizeof(*px));
	if (!px)
		return -ENOMEM;
	/* 1. copy the config, fill defaults */
	px->cfg = *cfg;
	px->cfg.hosts = NULL;
	px->lim = cfg->limits;
	set_limits(&px->lim);
	px->cfg.proxy_port = cfg->proxy_port ? cfg->proxy_port : PODNET_PROXY_PORT;
	px->cfg.http_port = cfg->http_port ? cfg->http_port : PODNET_HTTP_PORT;
	px->cfg.tls_port = cfg->tls_port ? cfg->tls_port : PODNET_TLS_PORT;
	px->cfg.dns_port = cfg->dns_port ? cfg->dns_port : PODNET_DNS_PORT;
	px->use_splice = getenv("PODPROXY_NO_SPLICE") == NULL;
	px->epfd = px->timerfd = -1;
	for (int i = 0; i < PX_NLST; i++)
		px->lst[i].fd = -1;
	px->udp.fd = px->udp6.fd = px->tfd.fd = px->resfd.fd = px->againfd.fd = -1;
	px->v6 = !IN6_IS_ADDR_UNSPECIFIED(&cfg->listen_addr6);
	ret = copy_hosts(px, cfg);
	if (ret < 0)
		goto cleanup;
	/* 2. the epoll set and its timer */
	px->epfd = epoll_create1(EPOLL_CLOEXEC);
	px->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (px->epfd < 0 || px->timerfd < 0) {
		ret = -errno;
		goto cleanup;
	}
	px->tfd = (struct pxfd){ .fd = px->timerfd, .kind = FK_TIMER };
	ret = ep_set(px, &px->tfd, EPOLLIN);
	if (ret < 0)
		goto cleanup;
	px->againfd = (struct pxfd){ .kind = FK_AGAIN };
	px->againfd.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (px->againfd.fd < 0) {
		ret = -errno;
		goto cleanup;
	}
	ret = ep_set(px, &px->againfd, EPOLLIN);
	if (ret < 0)
		goto cleanup;
	/* 3. the host's own addresses (never an upstream unless named), the listeners */
	ret = hostaddr_refresh(px);
	if (ret == 0)
		ret = open_all_listeners(px);
	if (ret < 0)
		goto cleanup;
	/* 4. a pod closing its end must never kill the runner */
	struct sigaction sa;
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	*out = px;
	return 0;
cleanup:
	proxy_destroy(px);
	return ret;
}

int proxy_fd(const proxy_t *p)
{
	return p ? p->epfd : -1;
}

void proxy_get_stats(const proxy_t *p, struct proxy_stats *out)
{
	if (p && out) {
		*out = p->st;
		out->bulk_pipes = p->n_bulk;
	}
}

uint16_t proxy_port(const proxy_t *p, int which)
{
	if (!p || which < 0 || which > 3)
		return 0;
	return p->ports[which];
}

void proxy_destroy(proxy_t *p)
{
	if (!p)
		return;
	while (p->conns)
		px_close(p->conns);
	free_dead(p);
	emit_totals(p);
	free(p->totals);
	resolve_stop(p);
	for (int i = 0; i < PX_NLST; i++)
		close_fd(p, &p->lst[i]);
	close_fd(p, &p->udp);
	close_fd(p, &p->udp6);
	close_fd(p, &p->againfd);
	if (p->tfd.fd >= 0)
		close_fd(p, &p->tfd);
	else if (p->timerfd >= 0)
		close(p->timerfd);
	if (p->epfd >= 0)
		close(p->epfd);
	free(p->hosts);
	free(p->host_names);
	hostaddr_free(p);
	free(p);
}
