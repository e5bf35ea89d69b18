/*
 * relay.c — stdio between the runner and the pod, and service mode.
 *
 *   raw mode:    runner stdin --pipe--> pod stdin      pod stdout/err --pipe--> runner
 *   serve mode:  runner stdin lines  --ring frames-->  pod     (one line = one message)
 *                pod ring frames     --lines-->        runner stdout
 *                pod stdout (prints) --pipe-->         runner stderr
 *
 * The pod never gets the runner's own descriptors: it gets pipes, and the
 * runner copies. Pod output is untrusted bytes; it is copied, never parsed.
 *
 * Nothing here blocks the loop. The runner's stdout, stderr and audit are
 * sinks (struct pr_sink): a regular file is written directly; a pipe, a
 * terminal or a socket gets a private non-blocking descriptor and a queue of
 * PR_SINK_CAP bytes. When a reader stalls, the pod is back-pressured (its
 * pipes and its ring are not read until the queue has room again); the
 * runner's own lines are dropped and counted instead.
 *
 * Layer 07 (runner). Builds on 02-ipc (ipc_runner_send/recv) and the loop
 * (loop.c). Used by podrun_start() (pipes) and the loop.
 */
#include "internal.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	return 0;
}

/* ---- sinks: the runner's stdout, stderr and audit ------------------------- */

/* Attach @p fd to sink @p which: a private non-blocking descriptor for a
 * pipe or terminal (a fresh open of /proc/self/fd/N, so the caller's own
 * descriptor keeps its flags), send(MSG_DONTWAIT) for a socket, plain
 * writes for a regular file. */
void pr_sink_attach(struct podrun *p, int which, int fd)
{
	struct pr_sink *s = &p->io.sink[which];
	char path[64];
	struct stat st;
	int nfd;

	memset(s, 0, sizeof *s);
	s->fd = fd;
	if (fd < 0 || fstat(fd, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return;
	s->queue = 1;
	if (S_ISSOCK(st.st_mode)) {
		s->sock = 1;
		return;
	}
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd < 0) {
		s->queue = 0; /* cannot be made non-blocking: plain writes */
		return;
	}
	s->fd = nfd;
	s->own = 1;
}

void pr_sinks_open(struct podrun *p)
{
	pr_sink_attach(p, PR_SINK_OUT, p->cfg.out_fd);
	pr_sink_attach(p, PR_SINK_ERR, p->cfg.err_fd);
	pr_sink_attach(p, PR_SINK_AUDIT, -1);
}

size_t pr_sink_room(const struct podrun *p, int which)
{
	const struct pr_sink *s = &p->io.sink[which];

	if (s->fd < 0 || !s->queue)
		return SIZE_MAX;
	return s->len < PR_SINK_CAP ? PR_SINK_CAP - s->len : 0;
}

static ssize_t sink_put(struct pr_sink *s, const void *buf, size_t n)
{
	ssize_t w;

	do {
		w = s->sock ? send(s->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL)
			    : write(s->fd, buf, n);
	} while (w < 0 && errno == EINTR);
	return w;
}

static void sink_interest(struct podrun *p, struct pr_sink *s, int on)
{
	struct epoll_event ev = { .events = EPOLLOUT };

	if (s->armed == on || p->loop.ep < 0)
		return;
	ev.data.u64 = ((uint64_t)PR_SRC_SINK << 32) | (uint32_t)s->fd;
	if (on && epoll_ctl(p->loop.ep, EPOLL_CTL_ADD, s->fd, &ev) < 0 && errno != EEXIST)
		return;
	if (!on)
		epoll_ctl(p->loop.ep, EPOLL_CTL_DEL, s->fd, NULL);
	s->armed = on;
}

/* Write what is queued; @return 1 when the queue is empty. */
static int sink_flush(struct podrun *p, struct pr_sink *s)
{
	while (s->len) {
		ssize_t w = sink_put(s, s->buf, s->len);
		if (w < 0 && errno == EAGAIN) {
			sink_interest(p, s, 1);
			return 0;
		}
		if (w <= 0) { /* the reader is gone: nothing more will arrive */
			s->dropped += s->len;
			s->len = 0;
			break;
		}
		memmove(s->buf, s->buf + w, s->len - (size_t)w);
		s->len -= (size_t)w;
	}
	sink_interest(p, s, 0);
	return 1;
}

/*
 * Write @p n bytes to sink @p which, or queue them; what does not fit in the
 * queue is dropped and counted. Callers that must not lose bytes (the pod's
 * output) check pr_sink_room() first. @return bytes accepted.
 */
size_t pr_sink_write(struct podrun *p, int which, const void *buf, size_t n)
{
	struct pr_sink *s = &p->io.sink[which];
	size_t done = 0;

	if (s->fd < 0 || !n)
		return n;
	if (!s->queue) {
		pr_write_all(s->fd, buf, n);
		return n;
	}
	if (!s->len) {
		ssize_t w = sink_put(s, buf, n);
		if (w < 0 && errno != EAGAIN) {
			s->dropped += n;
			return n; /* the reader is gone */
		}
		done = w > 0 ? (size_t)w : 0;
	}
	if (done < n) {
		size_t want = n - done, room = PR_SINK_CAP - s->len;
		if (!s->buf && !(s->buf = malloc(PR_SINK_CAP)))
			room = 0;
		if (want > room) {
			s->dropped += want - room;
			want = room;
		}
		memcpy(s->buf + s->len, (const char *)buf + done, want);
		s->len += want;
		done += want;
		sink_interest(p, s, 1);
	}
	return done;
}

static void pod_out_interest(struct podrun *p, int fd, int src, int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	if (fd < 0)
		return;
	ev.data.u64 = ((uint64_t)src << 32) | (uint32_t)fd;
	epoll_ctl(p->loop.ep, EPOLL_CTL_MOD, fd, &ev);
}

static int out_sink(const struct podrun *p)
{
	return p->cfg.serve ? PR_SINK_ERR : PR_SINK_OUT;
}

/* A sink became writable: flush it and let the pod write again. */
void pr_sink_ready(struct podrun *p, int fd)
{
	for (int i = 0; i < PR_NSINK; i++) {
		struct pr_sink *s = &p->io.sink[i];
		if (s->fd != fd || !s->armed)
			continue;
		sink_flush(p, s);
		if (s->len > PR_SINK_CAP / 2)
			continue;
		if (p->io.out_paused && i == out_sink(p)) {
			p->io.out_paused = 0;
			pod_out_interest(p, p->io.pod_out_r, PR_SRC_OUT, 1);
		}
		if (p->io.err_paused && i == PR_SINK_ERR) {
			p->io.err_paused = 0;
			pod_out_interest(p, p->io.pod_err_r, PR_SRC_ERR, 1);
		}
		if (p->ipc.rx_paused && i == PR_SINK_OUT) {
			p->ipc.rx_paused = 0;
			p->loop.more |= PR_MORE_RX;
		}
	}
}

/* The end: flush every sink while its reader makes progress; a reader that
 * takes nothing for @p ms loses the rest (counted). */
void pr_sinks_final_flush(struct podrun *p, int ms)
{
	for (int i = 0; i < PR_NSINK; i++) {
		struct pr_sink *s = &p->io.sink[i];
		while (s->len && s->fd >= 0) {
			struct pollfd pf = { s->fd, POLLOUT, 0 };
			size_t before = s->len;
			if (poll(&pf, 1, ms) <= 0)
				break;
			sink_flush(p, s);
			if (s->len == before)
				break;
		}
		if (s->len) {
			s->dropped += s->len;
			s->len = 0;
		}
		sink_interest(p, s, 0);
	}
}

void pr_sinks_close(struct podrun *p)
{
	for (int i = 0; i < PR_NSINK; i++) {
		struct pr_sink *s = &p->io.sink[i];
		sink_interest(p, s, 0);
		if (s->own && s->fd >= 0)
			close(s->fd);
		free(s->buf);
		s->buf = NULL;
		s->len = 0;
		s->fd = -1;
		s->own = 0;
	}
}

/* Create the pod's stdio pipes and hand their pod ends to the sandbox. */
int pr_relay_setup(struct podrun *p, sandbox_cfg_t *cfg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int ret = 0;

	if ((p->cfg.out_fd >= 0 || p->cfg.serve) && (ret = make_pipe(out)) < 0)
		goto cleanup;
	if (p->cfg.err_fd >= 0 && (ret = make_pipe(err)) < 0)
		goto cleanup;
	if (p->cfg.in_fd >= 0 && !p->cfg.serve && (ret = make_pipe(in)) < 0)
		goto cleanup;
	if (in[0] >= 0 && (ret = sandbox_cfg_add_fd(cfg, in[0], 0)) < 0)
		goto cleanup;
	if (out[1] >= 0 && (ret = sandbox_cfg_add_fd(cfg, out[1], 1)) < 0)
		goto cleanup;
	if (err[1] >= 0 && (ret = sandbox_cfg_add_fd(cfg, err[1], 2)) < 0)
		goto cleanup;
	/* runner ends: non-blocking, in the loop */
	if (out[0] >= 0) {
		set_nonblock(out[0]);
		p->io.pod_out_r = out[0];
		out[0] = -1;
		if ((ret = pr_epoll_add(p, p->io.pod_out_r, PR_SRC_OUT, EPOLLIN)) < 0)
			goto cleanup;
	}
	if (err[0] >= 0) {
		set_nonblock(err[0]);
		p->io.pod_err_r = err[0];
		err[0] = -1;
		if ((ret = pr_epoll_add(p, p->io.pod_err_r, PR_SRC_ERR, EPOLLIN)) < 0)
			goto cleanup;
	}
	if (in[1] >= 0) {
		set_nonblock(in[1]);
		p->io.pod_in_w = in[1];
		in[1] = -1;
		/* in the epoll set only while bytes wait (see flush and podin_interest) */
	}
	if (p->cfg.in_fd >= 0) {
		ret = pr_epoll_add(p, p->cfg.in_fd, PR_SRC_STDIN, EPOLLIN);
		if (ret == -EPERM) { /* a regular file or /dev/null: always readable */
			p->io.stdin_regular = 1;
			ret = 0;
		}
		if (ret < 0)
			goto cleanup;
		/* serve mode reads stdin once the worker said HELLO */
		if (p->cfg.serve && !p->io.stdin_regular)
			pr_stdin_interest(p, 0);
		if (p->cfg.serve)
			p->io.stdin_paused = 1;
	}
	ret = 0;
cleanup:
	/* the sandbox duplicated what it needs; pod ends are closed here */
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return ret;
}

/* Paused stdin leaves the epoll set: EPOLLHUP and EPOLLERR are reported
 * whatever the interest mask says, so a closed pipe that stayed registered
 * with no events would wake the loop over and over until the pod said HELLO. */
void pr_stdin_interest(struct podrun *p, int on)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (p->cfg.in_fd < 0 || p->io.stdin_regular || p->io.stdin_eof)
		return;
	ev.data.u64 = ((uint64_t)PR_SRC_STDIN << 32) | (uint32_t)p->cfg.in_fd;
	if (!on)
		epoll_ctl(p->loop.ep, EPOLL_CTL_DEL, p->cfg.in_fd, NULL);
	else if (epoll_ctl(p->loop.ep, EPOLL_CTL_MOD, p->cfg.in_fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(p->loop.ep, EPOLL_CTL_ADD, p->cfg.in_fd, &ev);
}

/* Like stdin: out of the epoll set when there is nothing to write, or the
 * EPOLLERR of a pod that closed its stdin would wake the loop for nothing. */
static void podin_interest(struct podrun *p, int on)
{
	struct epoll_event ev = { .events = EPOLLOUT };

	if (p->io.pod_in_w < 0)
		return;
	ev.data.u64 = ((uint64_t)PR_SRC_PODIN << 32) | (uint32_t)p->io.pod_in_w;
	if (!on)
		epoll_ctl(p->loop.ep, EPOLL_CTL_DEL, p->io.pod_in_w, NULL);
	else if (epoll_ctl(p->loop.ep, EPOLL_CTL_MOD, p->io.pod_in_w, &ev) < 0 && errno == ENOENT)
		epoll_ctl(p->loop.ep, EPOLL_CTL_ADD, p->io.pod_in_w, &ev);
}

static void stdin_done(struct podrun *p)
{
	p->io.stdin_eof = 1;
	if (!p->io.stdin_regular)
		pr_epoll_del(p, p->cfg.in_fd);
	if (p->cfg.serve) {
		/* STOP once the pod has read every message (loop.c on_drain):
		 * checked at once, then every 200 microseconds */
		pr_arm_timer_us(p->io.t_drain, 0, 200);
	} else if (!p->io.to_pod_in.len && p->io.pod_in_w >= 0) {
		pr_epoll_del(p, p->io.pod_in_w);
		close(p->io.pod_in_w);
		p->io.pod_in_w = -1;
	}
}

/* Raw mode: write what is queued for the pod's stdin. */
void pr_relay_flush_pod_in(struct podrun *p)
{
	struct relay *r = &p->io.to_pod_in;

	while (r->len && p->io.pod_in_w >= 0) {
		ssize_t w = write(p->io.pod_in_w, r->buf, r->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			podin_interest(p, 1);
			pr_stdin_interest(p, 0);
			p->io.stdin_paused = 1;
			return;
		}
		if (w < 0) { /* the pod closed its stdin: drop the rest */
			r->len = 0;
			break;
		}
		memmove(r->buf, r->buf + w, r->len - (size_t)w);
		r->len -= (size_t)w;
	}
	podin_interest(p, 0);
	if (p->io.stdin_paused && !p->cfg.serve) {
		p->io.stdin_paused = 0;
		pr_stdin_interest(p, 1);
	}
	if (p->io.stdin_eof && p->io.pod_in_w >= 0) {
		pr_epoll_del(p, p->io.pod_in_w);
		close(p->io.pod_in_w);
		p->io.pod_in_w = -1;
	}
}

/* Serve mode: turn complete lines in line_in into messages. */
static void send_lines(struct podrun *p)
{
	struct relay *r = &p->io.line_in;
	size_t off = 0;

	if (!r->buf)
		return;
	while (off < r->len) {
		char *nl = memchr(r->buf + off, '\n', r->len - off);
		size_t n;
		int ret;
		if (!nl && !p->io.stdin_eof && r->len - off < PR_RELAY_CAP)
			break; /* incomplete line: wait for the rest */
		n = nl ? (size_t)(nl - (r->buf + off)) : r->len - off;
		ret = podrun_send(p, r->buf + off, (uint32_t)n);
		if (ret == -EAGAIN) {
			p->io.stdin_paused = 1; /* IPC_EV_WRITABLE resumes */
			break;
		}
		if (ret < 0 && ret != -EMSGSIZE) {
			r->len = 0;
			return;
		}
		if (ret == -EMSGSIZE)
			PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_DENY,
				 .what = "stdin line", .rule = "limits",
				 .reason = "line longer than the ring's frame limit");
		off += n + (nl ? 1 : 0);
	}
	memmove(r->buf, r->buf + off, r->len - off);
	r->len -= off;
}

/*
 * Serve mode: (re)start reading stdin once the worker said HELLO, or when 02
 * reports room in the ring again: first send the lines already read, then
 * ask epoll for stdin again. Never reads stdin itself (no readiness known).
 */
void pr_serve_resume(struct podrun *p)
{
	if (!p->cfg.serve || p->cfg.in_fd < 0 || !p->ipc.ready || !p->io.stdin_paused)
		return;
	p->io.stdin_paused = 0;
	send_lines(p);
	if (p->io.stdin_paused)
		return; /* still full: the next IPC_EV_WRITABLE comes back here */
	if (p->io.stdin_eof) {
		stdin_done(p);
		return;
	}
	pr_stdin_interest(p, 1);
}

/* stdin is readable (or a regular file): read once, pass it on. */
void pr_relay_stdin(struct podrun *p)
{
	struct relay *r = p->cfg.serve ? &p->io.line_in : &p->io.to_pod_in;
	ssize_t n;

	if (p->cfg.in_fd < 0 || p->io.stdin_eof || p->io.stdin_paused)
		return;
	if (p->cfg.serve && !p->ipc.ready)
		return;
	if (!r->buf && !(r->buf = malloc(PR_RELAY_CAP)))
		return;
	if (r->len >= PR_RELAY_CAP) { /* a line longer than the buffer: send it as is */
		if (p->cfg.serve)
			send_lines(p);
		return;
	}
	n = read(p->cfg.in_fd, r->buf + r->len, PR_RELAY_CAP - r->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (p->cfg.serve) {
			p->io.stdin_eof = 1;
			send_lines(p);
		}
		stdin_done(p);
		return;
	}
	r->len += (size_t)n;
	if (p->cfg.serve) {
		send_lines(p);
		if (p->io.stdin_paused)
			pr_stdin_interest(p, 0); /* ring full: wait for IPC_EV_WRITABLE */
	} else {
		pr_relay_flush_pod_in(p);
	}
}

/*
 * Copy one chunk of pod output to sink @p which. When the sink has no room
 * for a chunk, the pipe is not read (the pod blocks in its write) until
 * pr_sink_ready(); @p final (the pod is gone) drops what does not fit.
 * @return bytes, 0 at EOF/empty/paused.
 */
int pr_relay_pod_output(struct podrun *p, int fd, int which, int final)
{
	char buf[65536];
	ssize_t n;

	if (!final && pr_sink_room(p, which) < sizeof buf) {
		if (fd == p->io.pod_out_r)
			p->io.out_paused = 1;
		else
			p->io.err_paused = 1;
		pod_out_interest(p, fd, fd == p->io.pod_out_r ? PR_SRC_OUT : PR_SRC_ERR, 0);
		return 0;
	}
	n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		pr_epoll_del(p, fd);
		close(fd);
		if (fd == p->io.pod_out_r)
			p->io.pod_out_r = -1;
		if (fd == p->io.pod_err_r)
			p->io.pod_err_r = -1;
		return 0;
	}
	pr_sink_write(p, which, buf, (size_t)n);
	return (int)n;
}

/*
 * Messages from the pod: lines on stdout (CLI), or a wake-up for the API.
 * At most PR_RX_BUDGET frames (PR_RX_BYTES bytes) per call; with more left
 * the loop comes back at once (PR_MORE_RX). When stdout has no room for a
 * frame the ring is not read: it fills and the pod waits (back-pressure).
 * @p final (the pod is gone): everything, what does not fit is dropped.
 * @return 0 when the doorbell brought nothing (no frame was waiting).
 */
int pr_deliver_messages(struct podrun *p, int final)
{
	uint32_t cap;
	uint64_t bytes = 0;
	char *buf;
	int n = 0, frames = 0;

	if (!p->ipc.runner)
		return 0;
	if (!p->cfg.msg_to_stdout) {
		pr_pending_update(p);
		return 1;
	}
	/* one frame plus the newline; the ring bounds a frame */
	cap = ring_max_frame(ring_shm_ring(ipc_runner_shm(p->ipc.runner), RING_DIR_TO_RUNNER)) + 1;
	if (!p->ipc.msgbuf && !(p->ipc.msgbuf = malloc(cap)))
		return 0;
	buf = p->ipc.msgbuf;
	for (;;) {
		if (!final && (frames >= PR_RX_BUDGET || bytes >= PR_RX_BYTES)) {
			p->loop.more |= PR_MORE_RX;
			break;
		}
		if (!final && pr_sink_room(p, PR_SINK_OUT) < cap) {
			p->ipc.rx_paused = 1; /* pr_sink_ready() resumes */
			break;
		}
		n = ipc_runner_recv(p->ipc.runner, buf, cap - 1);
		if (n < 0)
			break;
		frames++;
		bytes += (uint64_t)n + 1;
		p->ipc.frames_to_runner++;
		p->ipc.bytes_to_runner += (uint64_t)n;
		buf[n] = '\n';
		pr_sink_write(p, PR_SINK_OUT, buf, (size_t)n + 1);
	}
	if (n == -EPROTO) {
		PR_AUDIT(p, .src = "runner", .cat = PR_IPC, .act = PR_DENY, .what = "ring",
			 .rule = "protocol", .reason = "the pod corrupted the ring");
		podrun_stop(p, 0);
	}
	return frames || p->ipc.rx_paused || (p->loop.more & PR_MORE_RX);
}
