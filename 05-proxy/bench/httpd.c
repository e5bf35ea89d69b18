/*
 * httpd.c — a small, fast HTTP/1.1 keep-alive server for the 05-proxy benchmark.
 *
 * Layer 05 (proxy), benchmark only. Builds on epoll. Used by bench_proxy.c as
 * the upstream both proxies (ours and tinyproxy) forward to, so that the
 * upstream is never the bottleneck being measured.
 *
 *   httpd [PORT]     listen on 127.0.0.1:PORT (0 = ephemeral), print "PORT n"
 *
 * Every request (a head without a body; the benchmark sends GETs) gets the
 * same 13-byte response; pipelined requests are answered in order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF 16384

struct client {
	int fd;
	size_t len;
	char buf[BUF];
};

static const char RESP[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			   "Content-Length: 13\r\n\r\nhello, world\n";

/* Answer every complete head in the buffer. @return -1 to close. */
static int serve(struct client *c)
{
	char out[64 * (sizeof(RESP) - 1)];
	size_t n = 0, pos = 0;
	for (;;) {
		char *end = memmem(c->buf + pos, c->len - pos, "\r\n\r\n", 4);
		if (!end)
			break;
		pos = (size_t)(end - c->buf) + 4;
		if (n + sizeof(RESP) - 1 > sizeof(out))
			break;
		memcpy(out + n, RESP, sizeof(RESP) - 1);
		n += sizeof(RESP) - 1;
	}
	memmove(c->buf, c->buf + pos, c->len - pos);
	c->len -= pos;
	if (c->len == BUF)
		return -1; /* a head larger than the buffer: not a benchmark client */
	size_t off = 0;
	while (off < n) {
		ssize_t w = send(c->fd, out + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN)
			continue; /* tiny responses: spin rather than buffer */
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int port = argc > 1 ? atoi(argv[1]) : 0, one = 1;
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 512) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("httpd");
		return 1;
	}
	printf("PORT %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		struct epoll_event evs[64];
		int n = epoll_wait(ep, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					struct epoll_event cev = { .events = EPOLLIN,
								   .data.ptr = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			ssize_t r = recv(c->fd, c->buf + c->len, BUF - c->len, 0);
			if (r > 0) {
				c->len += (size_t)r;
				if (serve(c) == 0)
					continue;
			} else if (r < 0 && errno == EAGAIN) {
				continue;
			}
			close(c->fd);
			free(c);
		}
	}
}
