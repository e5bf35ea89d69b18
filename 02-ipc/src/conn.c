/*
 * conn.c — one control-socket connection of layer 02-ipc: seq-checked message
 * framing over a non-blocking SOCK_STREAM socket, with bounded buffers.
 *
 * Layer 02. Builds on codec.c. Used by runner.c (runner side, epoll-driven)
 * and worker.c (pod side, poll-driven). See conn.h for the invariants.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

int conn_init(struct ipc_conn *c, int fd)
{
	c->tx_seq = c->rx_seq = 0;
	c->in_off = c->in_len = c->out_len = 0;
	c->eof = 0;
	c->out = malloc(CONN_OUT_MAX);
	c->fd = fd;
	return c->out ? 0 : -ENOMEM;
}

void conn_close(struct ipc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
}

int conn_flush(struct ipc_conn *c)
{
	while (c->out_len) {
		ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 1;
			return -errno;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	return 0;
}

int conn_send(struct ipc_conn *c, struct ipc_msg *m)
{
	uint8_t buf[IPC_MAX_MSG];
	if (c->fd < 0 || !c->out)
		return -ENOTCONN;
	m->seq = c->tx_seq + 1;
	int len = ipc_encode(m, buf, sizeof buf);
	if (len < 0)
		return len;
	if ((size_t)len > CONN_OUT_MAX - c->out_len)
		return -ENOBUFS;
	c->tx_seq++;
	memcpy(c->out + c->out_len, buf, (size_t)len);
	c->out_len += (size_t)len;
	int ret = conn_flush(c);
	return ret < 0 ? ret : 0;
}

int conn_fill(struct ipc_conn *c)
{
	/* 1. compact: messages handed out before this call are no longer used */
	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (c->in_len == sizeof c->in)
		return -ENOBUFS; /* cannot happen: a full buffer always holds a message */
	/* 2. one read */
	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			c->eof = 1;
		c->in_len += (size_t)n;
		return (int)n;
	}
}

int conn_next(struct ipc_conn *c, struct ipc_msg *m)
{
	int n = ipc_decode(c->in + c->in_off, c->in_len - c->in_off, m);
	if (n <= 0)
		return n;
	if (m->seq != c->rx_seq + 1)
		return -EBADMSG;
	c->rx_seq = m->seq;
	c->in_off += (size_t)n;
	return 1;
}

size_t conn_partial(const struct ipc_conn *c)
{
	return c->in_len - c->in_off;
}

void conn_strcpy(char *dst, size_t cap, struct ipc_str s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;
	if (n)
		memcpy(dst, s.ptr, n);
	dst[n] = 0;
}

uint64_t conn_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
