/*
 * tunnel.c — the byte relay behind CONNECT and transparent TLS.
 *
 * Layer 05 (proxy). Builds on splice(2) and pipes. Used by http.c once a
 * CONNECT request or a ClientHello has been decided and the upstream connect
 * finished.
 *
 * Each direction has a pipe; bytes go socket -> pipe -> socket with splice,
 * never through user memory:
 *
 *     pod socket --splice--> [pipe c2u] --splice--> upstream socket
 *     pod socket <--splice-- [pipe u2c] <--splice-- upstream socket
 *
 * Bytes already read before the tunnel began (the peeked ClientHello, data
 * after the CONNECT head, our "200 Connection established") are sent from the
 * connection's buffers first. A direction reads from its source only when
 * nothing is pending for its destination, so a pipe never holds more than one
 * read's worth, and back-pressure is the kernel's socket buffers. EOF on one
 * side becomes SHUT_WR on the other (half-close is relayed); the tunnel ends
 * when both directions are shut. With PODPROXY_NO_SPLICE set (or no pipes
 * available) the same loop uses recv/send through the connection buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy.h"
#include "proxy_int.h"

/* Each pipe starts at proxy_limits.pipe_buf (64 KiB, the kernel's default):
 * part of the pod's memory budget, for every connection. Bigger pipes for
 * every tunnel would let 256 stalled tunnels hold hundreds of MiB; only
 * directions that carry bulk get one (maybe_bulk). A sockmap relay (no user
 * space at all) was slower within the same socket buffers. All of them are
 * measured by the benchmark (README, "Tunnel relays"). */
static int make_pipe(struct pxdir *d, uint32_t size)
{
	if (pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
		d->pipe[0] = d->pipe[1] = -1;
		return -errno;
	}
	fcntl(d->pipe[1], F_SETPIPE_SZ, (int)size); /* best effort */
	int cap = fcntl(d->pipe[1], F_GETPIPE_SZ);
	d->cap = cap > 0 ? (size_t)cap : 65536;
	return 0;
}

int tunnel_start(struct conn *c)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	if (c->mode != CM_TLS) {
		pxbuf_consume(&c->cin, c->head.head_len);
		if (pxbuf_append(&c->cout, ok, sizeof(ok) - 1) < 0)
			return -ENOMEM;
		c->status = 200;
	}
	return tunnel_upgrade(c);
}

int tunnel_upgrade(struct conn *c)
{
	if (c->px->use_splice) {
		if (make_pipe(&c->c2u, c->px->lim.pipe_buf) < 0 ||
		    make_pipe(&c->u2c, c->px->lim.pipe_buf) < 0) {
			for (int i = 0; i < 2; i++) {
				if (c->c2u.pipe[i] >= 0)
					close(c->c2u.pipe[i]);
				if (c->u2c.pipe[i] >= 0)
					close(c->u2c.pipe[i]);
			}
			c->c2u.pipe[0] = c->c2u.pipe[1] = c->u2c.pipe[0] = c->u2c.pipe[1] = -1;
		}
	}
	if (pxbuf_reserve(&c->uin, c->cin.cap) < 0)
		return -ENOMEM;
	c->state = CS_TUNNEL;
	c->t_start_us = px_now_us();
	px_set_deadline(c, c->px->lim.tunnel_idle_ms);
	tunnel_advance(c);
	return 0;
}

/* Bytes waiting for the destination of a direction. */
static int pending(const struct pxbuf *pre, const struct pxbuf *buf, const struct pxdir *d)
{
	return (pre && pxbuf_len(pre)) || pxbuf_len(buf) || d->inpipe;
}

static int send_buf(int fd, struct pxbuf *b)
{
	ssize_t w = send(fd, pxbuf_ptr(b), pxbuf_len(b), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w > 0) {
		pxbuf_consume(b, (uint32_t)w);
		return 1;
	}
	return (w < 0 && errno != EAGAIN && errno != EINTR) ? -1 : 0;
}

/* Pass the half-close on once the source finished and everything is delivered. */
static int pass_eof(struct pxfd *dst, struct pxbuf *pre, struct pxbuf *buf, struct pxdir *d)
{
	if (d->eof && !pending(pre, buf, d) && !d->shut) {
		shutdown(dst->fd, SHUT_WR);
		d->shut = 1;
		return 1;
	}
	return 0;
}

/* Send what was buffered before the tunnel (or by recv mode). @return 1 sent all,
 * 0 blocked, -1 fatal. Bytes of @p buf are payload and add to @p count. */
static int drain_buffers(struct pxfd *dst, struct pxbuf *pre, struct pxbuf *buf, uint64_t *count)
{
	while (pre && pxbuf_len(pre)) {
		int r = send_buf(dst->fd, pre);
		if (r <= 0)
			return r;
	}
	while (pxbuf_len(buf)) {
		uint32_t before = pxbuf_len(buf);
		int r = send_buf(dst->fd, buf);
		if (r <= 0)
			return r;
		*count += before - pxbuf_len(buf);
	}
	return 1;
}

/*
 * Splice mode, one direction, until it blocks. The pipe keeps filling from
 * the source while it drains into the destination, so a destination that is
 * full for a moment does not stall the source. (An EAGAIN from the source
 * splice may also mean "pipe full"; the loop retries after every drain, so
 * that case never waits for an edge that will not come.)
 * @return 1 progress, 0 none, 2 budget used up (not blocked), -1 fatal.
 * @p count adds the payload bytes delivered (our own "200" is not payload).
 */
static int pipe_step(struct pxfd *src, struct pxfd *dst, struct pxbuf *pre, struct pxbuf *buf,
		     struct pxdir *d, uint64_t *count)
{
	int progress = 0, budget;
	for (budget = 0; budget < 16; budget++) {
		int moved = 0, r = drain_buffers(dst, pre, buf, count);
		if (r < 0)
			return -1;
		if (r == 0)
			break; /* earlier bytes must go first; wait for the destination */
		if (d->inpipe) {
			ssize_t n = splice(d->pipe[0], NULL, dst->fd, NULL, d->inpipe,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->inpipe -= (size_t)n;
				*count += (uint64_t)n;
				moved = 1;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -1;
			}
		}
		if (!d->eof && d->inpipe < d->cap) {
			ssize_t n = splice(src->fd, NULL, d->pipe[1], NULL, d->cap - d->inpipe,
					   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0)
				d->inpipe += (size_t)n;
			else if (n == 0)
				d->eof = 1;
			else if (errno != EAGAIN && errno != EINTR)
				return -1;
			moved |= n >= 0;
		}
		if (!moved)
			break;
		progress = 1;
	}
	if (budget == 16)
		return 2;
	return pass_eof(dst, pre, buf, d) || progress;
}

/*
 * recv/send mode, one direction: read into @p buf only when it is empty,
 * send it all, repeat. Same return values as pipe_step.
 */
static int copy_step(struct pxfd *src, struct pxfd *dst, struct pxbuf *pre, struct pxbuf *buf,
		     struct pxdir *d, uint64_t *count)
{
	int progress = 0, budget;
	for (budget = 0; budget < 16; budget++) {
		int r = drain_buffers(dst, pre, buf, count);
		if (r < 0)
			return -1;
		if (r == 0 || d->eof)
			break;
		ssize_t n = recv(src->fd, buf->data + buf->end, pxbuf_space(buf), MSG_DONTWAIT);
		if (n > 0)
			buf->end += (uint32_t)n;
		else if (n == 0)
			d->eof = 1;
		else if (errno == EAGAIN || errno == EINTR)
			break;
		else
			return -1;
		progress = 1;
	}
	if (budget == 16)
		return 2;
	return pass_eof(dst, pre, buf, d) || progress;
}

static int dir_step(struct pxfd *src, struct pxfd *dst, struct pxbuf *pre, struct pxbuf *buf,
		    struct pxdir *d, uint64_t *count)
{
	if (d->pipe[0] >= 0)
		return pipe_step(src, dst, pre, buf, d, count);
	return copy_step(src, dst, pre, buf, d, count);
}

/*
 * A direction that has carried bulk_after bytes gets a pipe of pipe_bulk
 * bytes, while fewer than bulk_pipes directions of the proxy have one. With
 * 64 KiB every splice moves at most 16 pages and the relay spends its time in
 * system calls and wake-ups; with 1 MiB a CONNECT bulk transfer ran at 0.75x
 * direct TCP against 0.50x (05's benchmark, connect_bulk_pipe1m). Only the
 * few directions that really carry bulk pay for it, so the pod's worst case
 * grows by a fixed bulk_pipes x pipe_bulk, not by max_conns x pipe_bulk. The
 * pipe keeps what it holds (F_SETPIPE_SZ never shrinks below its content).
 */
static void maybe_bulk(struct conn *c, struct pxdir *d, uint64_t moved)
{
	struct proxy *px = c->px;
	int cap;

	if (d->bulk || d->pipe[1] < 0 || moved < px->lim.bulk_after ||
	    px->n_bulk >= px->lim.bulk_pipes)
		return;
	if (fcntl(d->pipe[1], F_SETPIPE_SZ, (int)px->lim.pipe_bulk) < 0)
		return; /* a pipe size over the system's limit: stays as it was */
	cap = fcntl(d->pipe[1], F_GETPIPE_SZ);
	if (cap > 0)
		d->cap = (size_t)cap;
	d->bulk = 1;
	px->n_bulk++;
}

void tunnel_advance(struct conn *c)
{
	int any = 0, more = 0;
	for (int round = 0; round < 4 && !c->dead; round++) {
		/* The pod's first bytes sit in cin; ours to the pod in cout. */
		int a = dir_step(&c->cli, &c->up, NULL, &c->cin, &c->c2u, &c->bytes_up);
		int b = a < 0
			    ? 0
			    : dir_step(&c->up, &c->cli, &c->cout, &c->uin, &c->u2c, &c->bytes_down);
		if (a < 0 || b < 0) {
			snprintf(c->reason, sizeof(c->reason), "%s", "tunnel reset");
			px_abort(c);
			return;
		}
		if (!a && !b)
			break;
		any = 1;
		more = a == 2 || b == 2;
		if (!more)
			break; /* both directions blocked: wait for the next edge */
	}
	if (c->dead)
		return;
	maybe_bulk(c, &c->c2u, c->bytes_up);
	maybe_bulk(c, &c->u2c, c->bytes_down);
	if (c->c2u.shut && c->u2c.shut) {
		px_close(c); /* reports the tunnel with its byte counts */
		return;
	}
	if (any)
		px_set_deadline(c, c->px->lim.tunnel_idle_ms);
	if (more)
		px_again(c); /* stopped on the budget, not on EAGAIN */
}

/*
 * Tunnels are edge-triggered with a fixed interest: each direction runs until
 * EAGAIN (or its budget, see px_again), so no epoll_ctl is needed as the
 * pipes fill and drain — at bulk rates that is most of the syscalls saved.
 */
uint32_t tunnel_interest(const struct conn *c, int client_side)
{
	(void)c;
	(void)client_side;
	return EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
}
