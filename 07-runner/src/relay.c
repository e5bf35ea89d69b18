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
 * Layer 07 (runner). Builds on 02-ipc (ipc_runner_send/recv) and the loop
 * (loop.c). Used by podrun_start() (pipes) and the loop.
 */
#include "internal.h"

#include <sys/epoll.h>
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

/* Create the pod's stdio pipes and hand their pod ends to the sandbox. */
int pr_relay_setup(struct podrun *p, sandbox_cfg_t *cfg)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int ret = 0;

	if ((p->out_fd >= 0 || p->serve) && (ret = make_pipe(out)) < 0)
		goto cleanup;
	if (p->err_fd >= 0 && (ret = make_pipe(err)) < 0)
		goto cleanup;
	if (p->in_fd >= 0 && !p->serve && (ret = make_pipe(in)) < 0)
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
		p->pod_out_r = out[0];
		out[0] = -1;
		if ((ret = pr_epoll_add(p, p->pod_out_r, PR_SRC_OUT, EPOLLIN)) < 0)
			goto cleanup;
	}
	if (err[0] >= 0) {
		set_nonblock(err[0]);
		p->pod_err_r = err[0];
		err[0] = -1;
		if ((ret = pr_epoll_add(p, p->pod_err_r, PR_SRC_ERR, EPOLLIN)) < 0)
			goto cleanup;
	}
	if (in[1] >= 0) {
		set_nonblock(in[1]);
		p->pod_in_w = in[1];
		in[1] = -1;
		/* in the epoll set only while bytes wait (see flush and podin_interest) */
	}
	if (p->in_fd >= 0) {
		ret = pr_epoll_add(p, p->in_fd, PR_SRC_STDIN, EPOLLIN);
		if (ret == -EPERM) { /* a regular file or /dev/null: always readable */
			p->stdin_regular = 1;
			ret = 0;
		}
		if (ret < 0)
			goto cleanup;
		/* serve mode reads stdin once the worker said HELLO */
		if (p->serve && !p->stdin_regular)
			pr_stdin_interest(p, 0);
		if (p->serve)
			p->stdin_paused = 1;
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

	if (p->in_fd < 0 || p->stdin_regular || p->stdin_eof)
		return;
	ev.data.u64 = ((uint64_t)PR_SRC_STDIN << 32) | (uint32_t)p->in_fd;
	if (!on)
		epoll_ctl(p->ep, EPOLL_CTL_DEL, p->in_fd, NULL);
	else if (epoll_ctl(p->ep, EPOLL_CTL_MOD, p->in_fd, &ev) < 0 && errno == ENOENT)
		epoll_ctl(p->ep, EPOLL_CTL_ADD, p->in_fd, &ev);
}

/* Like stdin: out of the epoll set when there is nothing to write, or the
 * EPOLLERR of a pod that closed its stdin would wake the loop for nothing. */
static void podin_interest(struct podrun *p, int on)
{
	struct epoll_event ev = { .events = EPOLLOUT };

	if (p->pod_in_w < 0)
		return;
	ev.data.u64 = ((uint64_t)PR_SRC_PODIN << 32) | (uint32_t)p->pod_in_w;
	if (!on)
		epoll_ctl(p->ep, EPOLL_CTL_DEL, p->pod_in_w, NULL);
	else if (epoll_ctl(p->ep, EPOLL_CTL_MOD, p->pod_in_w, &ev) < 0 && errno == ENOENT)
		epoll_ctl(p->ep, EPOLL_CTL_ADD, p->pod_in_w, &ev);
}

static void stdin_done(struct podrun *p)
{
	p->stdin_eof = 1;
	if (!p->stdin_regular)
		pr_epoll_del(p, p->in_fd);
	if (p->serve) {
		/* STOP once the pod has read every message (loop.c on_drain):
		 * checked at once, then every 200 microseconds */
		pr_arm_timer_us(p->t_drain, 0, 200);
	} else if (!p->to_pod_in.len && p->pod_in_w >= 0) {
		pr_epoll_del(p, p->pod_in_w);
		close(p->pod_in_w);
		p->pod_in_w = -1;
	}
}

/* Raw mode: write what is queued for the pod's stdin. */
void pr_relay_flush_pod_in(struct podrun *p)
{
	struct relay *r = &p->to_pod_in;

	while (r->len && p->pod_in_w >= 0) {
		ssize_t w = write(p->pod_in_w, r->buf, r->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			podin_interest(p, 1);
			pr_stdin_interest(p, 0);
			p->stdin_paused = 1;
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
	if (p->stdin_paused && !p->serve) {
		p->stdin_paused = 0;
		pr_stdin_interest(p, 1);
	}
	if (p->stdin_eof && p->pod_in_w >= 0) {
		pr_epoll_del(p, p->pod_in_w);
		close(p->pod_in_w);
		p->pod_in_w = -1;
	}
}

/* Serve mode: turn complete lines in line_in into messages. */
static void send_lines(struct podrun *p)
{
	struct relay *r = &p->line_in;
	size_t off = 0;

	if (!r->buf)
		return;
	while (off < r->len) {
		char *nl = memchr(r->buf + off, '\n', r->len - off);
		size_t n;
		int ret;
		if (!nl && !p->stdin_eof && r->len - off < PR_RELAY_CAP)
			break; /* incomplete line: wait for the rest */
		n = nl ? (size_t)(nl - (r->buf + off)) : r->len - off;
		ret = podrun_send(p, r->buf + off, (uint32_t)n);
		if (ret == -EAGAIN) {
			p->stdin_paused = 1; /* IPC_EV_WRITABLE resumes */
			break;
		}
		if (ret < 0 && ret != -EMSGSIZE) {
			r->len = 0;
			return;
		}
		if (ret == -EMSGSIZE)
			pr_emit(p, "runner", "ipc", "deny", "stdin line", "limits", 0, NULL,
				"line longer than the ring's frame limit");
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
	if (!p->serve || p->in_fd < 0 || !p->ipc_ready || !p->stdin_paused)
		return;
	p->stdin_paused = 0;
	send_lines(p);
	if (p->stdin_paused)
		return; /* still full: the next IPC_EV_WRITABLE comes back here */
	if (p->stdin_eof) {
		stdin_done(p);
		return;
	}
	pr_stdin_interest(p, 1);
}

/* stdin is readable (or a regular file): read once, pass it on. */
void pr_relay_stdin(struct podrun *p)
{
	struct relay *r = p->serve ? &p->line_in : &p->to_pod_in;
	ssize_t n;

	if (p->in_fd < 0 || p->stdin_eof || p->stdin_paused)
		return;
	if (p->serve && !p->ipc_ready)
		return;
	if (!r->buf && !(r->buf = malloc(PR_RELAY_CAP)))
		return;
	if (r->len >= PR_RELAY_CAP) { /* a line longer than the buffer: send it as is */
		if (p->serve)
			send_lines(p);
		return;
	}
	n = read(p->in_fd, r->buf + r->len, PR_RELAY_CAP - r->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (p->serve) {
			p->stdin_eof = 1;
			send_lines(p);
		}
		stdin_done(p);
		return;
	}
	r->len += (size_t)n;
	if (p->serve) {
		send_lines(p);
		if (p->stdin_paused)
			pr_stdin_interest(p, 0); /* ring full: wait for IPC_EV_WRITABLE */
	} else {
		pr_relay_flush_pod_in(p);
	}
}


/* Copy one chunk of pod output to @p dst. @return bytes, 0 at EOF/empty. */
int pr_relay_pod_output(struct podrun *p, int fd, int dst)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		pr_epoll_del(p, fd);
		close(fd);
		if (fd == p->pod_out_r)
			p->pod_out_r = -1;
		if (fd == p->pod_err_r)
			p->pod_err_r = -1;
		return 0;
	}
	if (dst >= 0)
		pr_write_all(dst, buf, (size_t)n);
	return (int)n;
}

/* Messages from the pod: lines on stdout (CLI), or a wake-up for the API. */
void pr_deliver_messages(struct podrun *p)
{
	uint32_t cap;
	char *buf;
	int n;

	if (!p->ipc)
		return;
	if (!p->msg_to_stdout) {
		pr_pending_update(p);
		return;
	}
	/* one frame plus the newline; the ring bounds a frame */
	cap = ring_max_frame(ring_shm_ring(ipc_runner_shm(p->ipc), RING_DIR_TO_RUNNER)) + 1;
	if (!p->msgbuf && !(p->msgbuf = malloc(cap)))
		return;
	buf = p->msgbuf;
	while ((n = ipc_runner_recv(p->ipc, buf, cap - 1)) >= 0) {
		p->frames_to_runner++;
		p->bytes_to_runner += (uint64_t)n;
		buf[n] = '\n';
		if (p->out_fd >= 0)
			pr_write_all(p->out_fd, buf, (size_t)n + 1);
	}
	if (n == -EPROTO) {
		pr_emit(p, "runner", "ipc", "deny", "ring", "protocol", 0, NULL,
			"the pod corrupted the ring");
		podrun_stop(p, 0);
	}
}
