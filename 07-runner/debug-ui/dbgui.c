/*
 * dbgui.c — the debug UI server: GET / serves the embedded page, GET /events
 * streams Server-Sent Events (one `data:` event per published JSON line).
 *
 * Layer 07 (runner), debug-only. Builds on sockets + epoll only; the page
 * bytes come from dbgui_assets.c (embedded at build time). Used by podrun's
 * event loop through dbgui.h.
 *
 * Shape: one epoll set holds the listener and every client; dbgui_fd() is that
 * epoll descriptor, so the runner's own epoll loop sees one fd. A client moves
 * through three states:
 *
 *   READING --(GET /)-------> PAGE  (write page, then close)
 *           --(GET /events)-> SSE   (history, then every published line)
 *           --(anything else)-> error response, then close
 *
 * Bounds: a request head is at most DBGUI_REQ_MAX bytes; a client's queued
 * output is at most DBGUI_CLIENT_BUF bytes — past that it is dropped, so a slow
 * or stalled browser can never make the runner wait or grow without limit.
 */
#include "dbgui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define DBGUI_REQ_MAX 4096
#define LISTENER_TAG UINT64_MAX

/* The embedded page (dbgui_assets.c). */
extern const char dbgui_page[];
extern const unsigned long dbgui_page_len;

enum client_state { CL_READING, CL_PAGE, CL_SSE };

struct client {
	int fd;
	enum client_state state;
	char req[DBGUI_REQ_MAX + 1]; /* request head; NUL-terminated */
	size_t req_len;
	char *out; /* queued output: out[off..len) is unsent */
	size_t off, len, cap;
	int close_when_flushed;
	int want_out; /* EPOLLOUT currently requested */
};

struct dbgui {
	int lfd;
	int epfd;
	uint16_t port;
	char url[96];
	char host_ok[3][80]; /* Host header values we accept (anti DNS rebinding) */
	struct client *cl[DBGUI_MAX_CLIENTS];
	char *hist[DBGUI_HISTORY]; /* ring of the newest lines; hist_next is the oldest slot */
	size_t hist_next, hist_count;
};

/* ---- small helpers ---------------------------------------------------- */

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, rb - s - 1);
		host[rb - s - 1] = '\0';
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || (size_t)(colon - s) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, colon - s);
		host[colon - s] = '\0';
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port > 65535)
		return -EINVAL;

	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

static int ep_set(struct dbgui *ui, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	return epoll_ctl(ui->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

static void client_close(struct dbgui *ui, size_t slot)
{
	struct client *c = ui->cl[slot];

	if (!c)
		return;
	epoll_ctl(ui->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	free(c);
	ui->cl[slot] = NULL;
}

/* Write what is queued; arm or disarm EPOLLOUT. Returns -1 when the client is gone. */
static int client_flush(struct dbgui *ui, size_t slot)
{
	struct client *c = ui->cl[slot];

	while (c->off < c->len) {
		ssize_t n =
		    send(c->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->want_out) {
				c->want_out = 1;
				ep_set(ui, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP,
				       slot);
			}
			return 0;
		}
		client_close(ui, slot);
		return -1;
	}
	c->off = c->len = 0;
	if (c->close_when_flushed) {
		client_close(ui, slot);
		return -1;
	}
	if (c->want_out) {
		c->want_out = 0;
		ep_set(ui, EPOLL_CTL_MOD, c->fd, EPOLLIN | EPOLLRDHUP, slot);
	}
	return 0;
}

/* Queue bytes for a client; drops the client when its backlog passes the bound. */
static int client_queue(struct dbgui *ui, size_t slot, const char *p, size_t n)
{
	struct client *c = ui->cl[slot];

	if (c->len - c->off + n > DBGUI_CLIENT_BUF) {
		client_close(ui, slot);
		return -1;
	}
	if (c->off > 0 && c->len + n > c->cap) { /* compact before growing */
		memmove(c->out, c->out + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		while (cap < c->len + n)
			cap *= 2;
		char *q = realloc(c->out, cap);
		if (!q) {
			client_close(ui, slot);
			return -1;
		}
		c->out = q;
		c->cap = cap;
	}
	memcpy(c->out + c->len, p, n);
	c->len += n;
	return 0;
}

static int queue_event(struct dbgui *ui, size_t slot, const char *line)
{
	if (client_queue(ui, slot, "data: ", 6) < 0)
		return -1;
	if (client_queue(ui, slot, line, strlen(line)) < 0)
		return -1;
	return client_queue(ui, slot, "\n\n", 2);
}

/* ---- requests --------------------------------------------------------- */

static void respond_error(struct dbgui *ui, size_t slot, int code, const char *text)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s\n",
			 code, text, strlen(text) + 1, text);
	ui->cl[slot]->close_when_flushed = 1;
	if (client_queue(ui, slot, head, (size_t)n) == 0)
		client_flush(ui, slot);
}

/* The value of header @p name in a NUL-terminated head, copied into @p out. */
static int header_value(const char *head, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *line = strstr(head, "\r\n");

	while (line && line[2] != '\r' && line[2] != '\0') {
		line += 2;
		const char *eol = strstr(line, "\r\n");
		if (!eol)
			break;
		if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 &&
		    line[nl] == ':') {
			const char *v = line + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t vl = (size_t)(eol - v);
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (vl >= outsz)
				return -EMSGSIZE;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return 0;
		}
		line = eol;
	}
	return -ENOENT;
}

static int host_allowed(const struct dbgui *ui, const char *host)
{
	for (size_t i = 0; i < 3; i++)
		if (ui->host_ok[i][0] && strcmp(host, ui->host_ok[i]) == 0)
			return 1;
	return 0;
}

static void serve_page(struct dbgui *ui, size_t slot)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Length: %lu\r\nCache-Control: no-store\r\n"
			 "Content-Security-Policy: default-src 'self'; script-src 'unsafe-inline'; "
			 "style-src 'unsafe-inline'; img-src 'self' data:\r\n"
			 "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
			 dbgui_page_len);
	struct client *c = ui->cl[slot];
	c->state = CL_PAGE;
	c->close_when_flushed = 1;
	if (client_queue(ui, slot, head, (size_t)n) < 0)
		return;
	if (client_queue(ui, slot, dbgui_page, dbgui_page_len) < 0)
		return;
	client_flush(ui, slot);
}

static void serve_events(struct dbgui *ui, size_t slot)
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				   "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
				   "Connection: keep-alive\r\n\r\nretry: 1000\n\n";
	ui->cl[slot]->state = CL_SSE;
	if (client_queue(ui, slot, head, sizeof(head) - 1) < 0)
		return;
	/* History, oldest first. */
	size_t first = (ui->hist_next + DBGUI_HISTORY - ui->hist_count) % DBGUI_HISTORY;
	for (size_t i = 0; i < ui->hist_count; i++)
		if (queue_event(ui, slot, ui->hist[(first + i) % DBGUI_HISTORY]) < 0)
			return;
	client_flush(ui, slot);
}

/* A complete head is in c->req: route it. */
static void handle_request(struct dbgui *ui, size_t slot)
{
	struct client *c = ui->cl[slot];
	char method[8], target[256], version[16], host[128];

	if (sscanf(c->req, "%7[A-Z] %255[^ \r\n] %15[^\r\n]", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0)
		respond_error(ui, slot, 400, "Bad Request");
	else if (header_value(c->req, "Host", host, sizeof(host)) < 0 || !host_allowed(ui, host))
		respond_error(ui, slot, 421, "Misdirected Request");
	else if (strcmp(method, "GET") != 0)
		respond_error(ui, slot, 405, "Method Not Allowed");
	else if (strcmp(target, "/") == 0 || strcmp(target, "/index.html") == 0)
		serve_page(ui, slot);
	else if (strcmp(target, "/events") == 0)
		serve_events(ui, slot);
	else
		respond_error(ui, slot, 404, "Not Found");
}

static void client_readable(struct dbgui *ui, size_t slot)
{
	struct client *c = ui->cl[slot];

	if (c->state != CL_READING) {
		/* Page/SSE clients have nothing more to say; drain, notice EOF. */
		char sink[512];
		ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_close(ui, slot);
		return;
	}
	ssize_t n = recv(c->fd, c->req + c->req_len, DBGUI_REQ_MAX - c->req_len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(ui, slot);
		return;
	}
	if (n < 0)
		return;
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (memchr(c->req, '\0', c->req_len))
		respond_error(ui, slot, 400, "Bad Request");
	else if (strstr(c->req, "\r\n\r\n"))
		handle_request(ui, slot);
	else if (c->req_len == DBGUI_REQ_MAX)
		respond_error(ui, slot, 431, "Request Header Fields Too Large");
}

static void accept_clients(struct dbgui *ui)
{
	for (;;) {
		int fd = accept4(ui->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or a transient error: try again on the next event */
		size_t slot = 0;
		while (slot < DBGUI_MAX_CLIENTS && ui->cl[slot])
			slot++;
		struct client *c = slot < DBGUI_MAX_CLIENTS ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		ui->cl[slot] = c;
		if (ep_set(ui, EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLRDHUP, slot) < 0)
			client_close(ui, slot);
	}
}

/* ---- public API ------------------------------------------------------- */

int dbgui_start(const char *addr_port, dbgui_t **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct dbgui *ui = NULL;
	int one = 1, ret;
	char addr[64];

	*out = NULL;
	ret = parse_addr(addr_port ? addr_port : "127.0.0.1:0", &ss, &sl);
	if (ret < 0)
		return ret;
	ui = calloc(1, sizeof(*ui));
	if (!ui)
		return -ENOMEM;
	ui->lfd = ui->epfd = -1;

	ui->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ui->lfd < 0)
		goto fail;
	setsockopt(ui->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ui->lfd, (struct sockaddr *)&ss, sl) < 0 || listen(ui->lfd, 16) < 0)
		goto fail;
	sl = sizeof(ss);
	if (getsockname(ui->lfd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	ui->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ui->epfd < 0)
		goto fail;
	if ((ret = ep_set(ui, EPOLL_CTL_ADD, ui->lfd, EPOLLIN, LISTENER_TAG)) < 0) {
		errno = -ret;
		goto fail;
	}

	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
		ui->port = ntohs(in4->sin_port);
		inet_ntop(AF_INET, &in4->sin_addr, addr, sizeof(addr));
		snprintf(ui->host_ok[0], sizeof(ui->host_ok[0]), "%s:%u", addr, ui->port);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		char a6[INET6_ADDRSTRLEN];
		ui->port = ntohs(in6->sin6_port);
		inet_ntop(AF_INET6, &in6->sin6_addr, a6, sizeof(a6));
		snprintf(addr, sizeof(addr), "[%s]", a6);
		snprintf(ui->host_ok[0], sizeof(ui->host_ok[0]), "%s:%u", addr, ui->port);
	}
	snprintf(ui->host_ok[1], sizeof(ui->host_ok[1]), "localhost:%u", ui->port);
	snprintf(ui->url, sizeof(ui->url), "http://%s:%u/", addr, ui->port);
	*out = ui;
	return 0;
fail:
	ret = -errno;
	dbgui_free(ui);
	return ret;
}

const char *dbgui_url(const dbgui_t *ui)
{
	return ui->url;
}

int dbgui_fd(const dbgui_t *ui)
{
	return ui->epfd;
}

int dbgui_clients(const dbgui_t *ui)
{
	int n = 0;
	for (size_t i = 0; i < DBGUI_MAX_CLIENTS; i++)
		n += ui->cl[i] != NULL;
	return n;
}

int dbgui_dispatch(dbgui_t *ui)
{
	struct epoll_event evs[DBGUI_MAX_CLIENTS + 1];
	int n = epoll_wait(ui->epfd, evs, DBGUI_MAX_CLIENTS + 1, 0);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		if (tag == LISTENER_TAG) {
			accept_clients(ui);
			continue;
		}
		if (tag >= DBGUI_MAX_CLIENTS || !ui->cl[tag])
			continue;
		if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
			client_close(ui, tag);
			continue;
		}
		if (evs[i].events & EPOLLOUT && client_flush(ui, tag) < 0)
			continue;
		if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
			client_readable(ui, tag);
	}
	return 0;
}

void dbgui_publish(dbgui_t *ui, const char *json_line)
{
	size_t len;
	char *copy;

	if (!ui || !json_line)
		return;
	len = strlen(json_line);
	if (len && json_line[len - 1] == '\n')
		len--;
	if (memchr(json_line, '\n', len) || memchr(json_line, '\r', len))
		return; /* one SSE event per line: inner newlines would split it */
	copy = strndup(json_line, len);
	if (!copy)
		return;
	free(ui->hist[ui->hist_next]);
	ui->hist[ui->hist_next] = copy;
	ui->hist_next = (ui->hist_next + 1) % DBGUI_HISTORY;
	if (ui->hist_count < DBGUI_HISTORY)
		ui->hist_count++;

	for (size_t i = 0; i < DBGUI_MAX_CLIENTS; i++)
		if (ui->cl[i] && ui->cl[i]->state == CL_SSE && queue_event(ui, i, copy) == 0)
			client_flush(ui, i);
}

void dbgui_free(dbgui_t *ui)
{
	if (!ui)
		return;
	for (size_t i = 0; i < DBGUI_MAX_CLIENTS; i++)
		client_close(ui, i);
	for (size_t i = 0; i < DBGUI_HISTORY; i++)
		free(ui->hist[i]);
	if (ui->epfd >= 0)
		close(ui->epfd);
	if (ui->lfd >= 0)
		close(ui->lfd);
	free(ui);
}
