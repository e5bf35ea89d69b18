/*
 * bench_ring.c — the benchmark of layer 01-ring: the ring against a Unix
 * socketpair(SOCK_SEQPACKET), a pipe and memcpy, measured in the same run.
 *
 * Layer 01-ring. Builds on libring (include/ring.h) and, for the peer queue,
 * Boost.Lockfree's spsc_queue (peer_spsc.cpp). Run by
 * `make -C 01-ring bench`; prints a table, then BENCH lines (docs/contracts.md, "Benchmark lines").
 *
 * Every figure is cross-process: the parent is the producer (or the ping
 * side), a forked child the consumer (or the pong side). With two or more
 * CPUs the parent is pinned to CPU 0 and the child to CPU 1, so the ring's
 * busy-polling sides never fight for one core. Work per transport is the same:
 * N messages of S bytes go from a buffer in one process to a buffer in the
 * other (the ring copies in with ring_write and out with ring_read).
 *
 * Two references bound the 64 KiB figure from above: the cross-core floor
 * (two threads on two cores handing 64 KiB buffers over through one plain
 * shared buffer and one flag: the copy in, the copy out and the cache lines
 * crossing between the cores, nothing else) and a well-known lock-free queue
 * (Boost.Lockfree spsc_queue of fixed-size elements, in a shared mapping,
 * used cross-process like the ring).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"
#include "peer_spsc.h"

#define RING_CAP (1u << 20)
#define MAX_MSG (64u * 1024)

enum kind { K_RING, K_SOCK, K_PIPE, K_SPSC, K_COUNT };

/* The two ends of one transport, both directions (ping-pong needs the second). */
struct chan {
	enum kind kind;
	ring_shm_t *shm;
	int fd[2][2];  /* [direction][0 = read end, 1 = write end] */
	void *q[2];    /* K_SPSC: one queue per direction */
	uint32_t size; /* K_SPSC: its element size */
};

static int ncpu;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;
	if (ncpu < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_ring: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static void chan_open(struct chan *c, enum kind kind, uint32_t size)
{
	int ret;
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->size = size;
	for (int d = 0; d < 2; d++) {
		switch (kind) {
		case K_RING:
			break;
		case K_SPSC:
			if (!(c->q[d] = spsc_create(size)))
				die("spsc_create", ENOMEM);
			break;
		case K_SOCK:
			if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->fd[d]) < 0)
				die("socketpair", errno);
			/* buffer as much as the ring holds (FORCE needs root; else capped) */
			for (int i = 0; i < 2; i++) {
				int sz = RING_CAP;
				if (setsockopt(c->fd[d][i], SOL_SOCKET, SO_SNDBUFFORCE, &sz,
					       sizeof(sz)) < 0)
					setsockopt(c->fd[d][i], SOL_SOCKET, SO_SNDBUF, &sz,
						   sizeof(sz));
				if (setsockopt(c->fd[d][i], SOL_SOCKET, SO_RCVBUFFORCE, &sz,
					       sizeof(sz)) < 0)
					setsockopt(c->fd[d][i], SOL_SOCKET, SO_RCVBUF, &sz,
						   sizeof(sz));
			}
			break;
		case K_PIPE:
			if (pipe(c->fd[d]) < 0)
				die("pipe", errno);
			fcntl(c->fd[d][1], F_SETPIPE_SZ,
			      (int)RING_CAP); /* same buffering as the ring */
			break;
		default:
			break;
		}
	}
	if (kind == K_RING) {
		if ((ret = ring_shm_create(RING_CAP, &c->shm)) < 0)
			die("ring_shm_create", ret);
		ring_shm_unlink(c->shm); /* both sides share it through fork */
	}
}

static void chan_close(struct chan *c)
{
	ring_shm_destroy(c->shm);
	if (c->kind == K_SPSC) {
		for (int d = 0; d < 2; d++)
			spsc_destroy(c->q[d], c->size);
		return;
	}
	if (c->kind != K_RING)
		for (int d = 0; d < 2; d++)
			for (int i = 0; i < 2; i++)
				close(c->fd[d][i]);
}

static inline void relax(unsigned *spins)
{
	__builtin_ia32_pause();
	if (ncpu < 2 && ++*spins % 64 == 0)
		sched_yield(); /* one CPU: let the peer run */
}

/* Send one message on direction @p d. */
static void chan_send(struct chan *c, int d, const void *buf, uint32_t len)
{
	unsigned spins = 0;
	if (c->kind == K_RING) {
		ring_t *r = ring_shm_ring(c->shm, (enum ring_dir)d);
		int ret;
		while ((ret = ring_write(r, buf, len)) == -EAGAIN)
			relax(&spins);
		if (ret < 0)
			die("ring_write", ret);
		return;
	}
	if (c->kind == K_SPSC) {
		while (!spsc_push(c->q[d], len, buf, 1))
			relax(&spins);
		return;
	}
	if (c->kind == K_SOCK) {
		if (send(c->fd[d][1], buf, len, 0) != (ssize_t)len)
			die("send", errno);
		return;
	}
	for (uint32_t done = 0; done < len;) {
		ssize_t n = write(c->fd[d][1], (const char *)buf + done, len - done);
		if (n <= 0)
			die("write", errno);
		done += (uint32_t)n;
	}
}

/* Receive one message of @p len bytes on direction @p d. */
static void chan_recv(struct chan *c, int d, void *buf, uint32_t len)
{
	unsigned spins = 0;
	if (c->kind == K_RING) {
		ring_t *r = ring_shm_ring(c->shm, (enum ring_dir)d);
		int ret;
		while ((ret = ring_read(r, buf, MAX_MSG)) == -EAGAIN)
			relax(&spins);
		if (ret != (int)len)
			die("ring_read", ret < 0 ? ret : EPROTO);
		return;
	}
	if (c->kind == K_SPSC) {
		while (!spsc_pop(c->q[d], len, buf, 1))
			relax(&spins);
		return;
	}
	if (c->kind == K_SOCK) {
		if (recv(c->fd[d][0], buf, MAX_MSG, 0) != (ssize_t)len)
			die("recv", errno);
		return;
	}
	for (uint32_t done = 0; done < len;) {
		ssize_t n = read(c->fd[d][0], (char *)buf + done, len - done);
		if (n <= 0)
			die("read", errno);
		done += (uint32_t)n;
	}
}

/*
 * Run @p child_fn in a forked child pinned to CPU 1 and @p parent_fn here on
 * CPU 0; return the parent's wall time from "child ready" to "child done".
 */
static double run_pair(struct chan *c, uint32_t size, unsigned long n,
		       void (*parent_fn)(struct chan *, uint32_t, unsigned long),
		       void (*child_fn)(struct chan *, uint32_t, unsigned long))
{
	int ready[2], done[2], status;
	char b = 0;
	if (pipe(ready) < 0 || pipe(done) < 0)
		die("pipe", errno);
	pid_t pid = fork();
	if (pid < 0)
		die("fork", errno);
	if (pid == 0) {
		pin(1);
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		child_fn(c, size, n);
		_exit(write(done[1], &b, 1) == 1 ? 0 : 1);
	}
	pin(0);
	if (read(ready[0], &b, 1) != 1)
		die("ready", errno);
	double t0 = now();
	parent_fn(c, size, n);
	if (read(done[0], &b, 1) != 1)
		die("done", errno);
	double t = now() - t0;
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("child failed", EIO);
	close(ready[0]), close(ready[1]), close(done[0]), close(done[1]);
	return t;
}

#define MAX_BATCH 32
static uint8_t sbuf[MAX_BATCH * MAX_MSG], rbuf[MAX_BATCH * MAX_MSG];
static unsigned batch = 1; /* messages per call in the stream figures */

/*
 * Send up to @p count messages of @p size bytes in one call (ring_write_batch,
 * sendmmsg, or one write() of count * size bytes for the pipe, which has no
 * message boundaries). Returns how many went (>= 1).
 */
static unsigned chan_send_many(struct chan *c, int d, uint32_t size, unsigned count)
{
	struct iovec iov[MAX_BATCH];
	struct mmsghdr mm[MAX_BATCH];
	unsigned spins = 0;
	int k;
	for (unsigned i = 0; i < count; i++) {
		iov[i] = (struct iovec){ sbuf + (size_t)i * size, size };
		mm[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	switch (c->kind) {
	case K_RING:
		while ((k = ring_write_batch(ring_shm_ring(c->shm, (enum ring_dir)d), iov,
					     count)) == 0)
			relax(&spins);
		if (k < 0)
			die("ring_write_batch", k);
		return (unsigned)k;
	case K_SPSC:
		while ((k = (int)spsc_push(c->q[d], size, sbuf, count)) == 0)
			relax(&spins);
		return (unsigned)k;
	case K_SOCK:
		if ((k = sendmmsg(c->fd[d][1], mm, count, 0)) <= 0)
			die("sendmmsg", errno);
		return (unsigned)k;
	default:
		chan_send(c, d, sbuf, size * count);
		return count;
	}
}

/* Receive what is there, up to @p count messages (>= 1; blocks/spins for one). */
static unsigned chan_recv_many(struct chan *c, int d, uint32_t size, unsigned count,
			       uint64_t *pipe_bytes)
{
	struct iovec iov[MAX_BATCH];
	struct mmsghdr mm[MAX_BATCH];
	uint32_t lens[MAX_BATCH];
	unsigned spins = 0;
	int k;
	switch (c->kind) {
	case K_RING:
		while ((k = ring_read_batch(ring_shm_ring(c->shm, (enum ring_dir)d), rbuf,
					    (size_t)count * size, lens, count)) == 0)
			relax(&spins);
		if (k < 0)
			die("ring_read_batch", k);
		return (unsigned)k;
	case K_SPSC:
		while ((k = (int)spsc_pop(c->q[d], size, rbuf, count)) == 0)
			relax(&spins);
		return (unsigned)k;
	case K_SOCK:
		for (unsigned i = 0; i < count; i++) {
			iov[i] = (struct iovec){ rbuf + (size_t)i * size, size };
			mm[i] =
			    (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		if ((k = recvmmsg(c->fd[d][0], mm, count, MSG_WAITFORONE, NULL)) <= 0)
			die("recvmmsg", errno);
		return (unsigned)k;
	default: {
		/* a byte stream: count whole messages, carry the rest over */
		ssize_t n = read(c->fd[d][0], rbuf, (size_t)count * size);
		if (n <= 0)
			die("read", errno);
		uint64_t before = *pipe_bytes / size;
		*pipe_bytes += (uint64_t)n;
		return (unsigned)(*pipe_bytes / size - before);
	}
	}
}

static void stream_produce(struct chan *c, uint32_t size, unsigned long n)
{
	for (unsigned long i = 0; i < n;) {
		if (batch == 1) {
			sbuf[0] = (uint8_t)i;
			chan_send(c, 0, sbuf, size);
			i++;
		} else {
			unsigned want = n - i < batch ? (unsigned)(n - i) : batch;
			i += chan_send_many(c, 0, size, want);
		}
	}
}

static void stream_consume(struct chan *c, uint32_t size, unsigned long n)
{
	uint64_t pipe_bytes = 0;
	for (unsigned long i = 0; i < n;) {
		if (batch == 1) {
			chan_recv(c, 0, rbuf, size);
			if (rbuf[0] != (uint8_t)i)
				die("stream order", EPROTO);
			i++;
		} else {
			unsigned want = n - i < batch ? (unsigned)(n - i) : batch;
			i += chan_recv_many(c, 0, size, want, &pipe_bytes);
		}
	}
}

static void ping(struct chan *c, uint32_t size, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		chan_send(c, 0, sbuf, size);
		chan_recv(c, 1, rbuf, size);
	}
}

static void pong(struct chan *c, uint32_t size, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		chan_recv(c, 0, rbuf, size);
		chan_send(c, 1, rbuf, size);
	}
}

/* Zero-copy 64 KiB stream: reserve + fill in place, peek + read in place. */
static void zc_produce(struct chan *c, uint32_t size, unsigned long n)
{
	ring_t *r = ring_shm_ring(c->shm, RING_DIR_TO_POD);
	unsigned spins = 0;
	void *p;
	int ret;
	for (unsigned long i = 0; i < n; i++) {
		while ((ret = ring_reserve(r, size, &p)) == -EAGAIN)
			relax(&spins);
		if (ret < 0)
			die("ring_reserve", ret);
		memcpy(p, sbuf, size); /* the one copy: from the producer's buffer into the ring */
		ring_commit(r, size);
	}
}

static volatile uint64_t zc_sink;

static void zc_consume(struct chan *c, uint32_t size, unsigned long n)
{
	ring_t *r = ring_shm_ring(c->shm, RING_DIR_TO_POD);
	unsigned spins = 0;
	const void *p;
	int len;
	for (unsigned long i = 0; i < n; i++) {
		while ((len = ring_peek(r, &p)) == -EAGAIN)
			relax(&spins);
		if (len != (int)size)
			die("ring_peek", len < 0 ? len : EPROTO);
		/* use it where it lies: touch every cache line, which moves all of it to this core */
		uint64_t sum = 0, w;
		for (int j = 0; j < len; j += 64) {
			memcpy(&w, (const uint8_t *)p + j, 8);
			sum ^= w;
		}
		zc_sink = sum;
		ring_release(r);
	}
}

/*
 * The machine is shared and noisy: every figure (ring and peers alike) is the
 * best of RUNS short runs, i.e. the run least disturbed by other processes.
 */
#define RUNS 7

/* Messages per second of streaming @p size-byte messages over @p kind. */
static double stream_rate(enum kind kind, uint32_t size, unsigned long n, int zero_copy)
{
	double best = 0;
	for (int run = 0; run < RUNS; run++) {
		struct chan c;
		chan_open(&c, kind, size);
		double t = zero_copy ? run_pair(&c, size, n, zc_produce, zc_consume)
				     : run_pair(&c, size, n, stream_produce, stream_consume);
		chan_close(&c);
		if ((double)n / t > best)
			best = (double)n / t;
	}
	return best;
}

/* Mean round trip in nanoseconds of a @p size-byte message. */
static double pingpong_ns(enum kind kind, uint32_t size, unsigned long n)
{
	double best = 1e30;
	for (int run = 0; run < RUNS; run++) {
		struct chan c;
		chan_open(&c, kind, size);
		double t = run_pair(&c, size, n, ping, pong);
		chan_close(&c);
		if (t * 1e9 / (double)n < best)
			best = t * 1e9 / (double)n;
	}
	return best;
}

/* Single-core memcpy of @p size-byte blocks (hot in cache), in GB/s. */
static double memcpy_gbs(uint32_t size, unsigned long n)
{
	double best = 0;
	pin(0);
	for (int run = 0; run < RUNS; run++) {
		double t0 = now();
		for (unsigned long i = 0; i < n; i++) {
			memcpy(rbuf, sbuf, size);
			__asm__ volatile("" ::: "memory"); /* keep every copy */
		}
		double gbs = (double)size * (double)n / (now() - t0) / 1e9;
		best = gbs > best ? gbs : best;
	}
	return best;
}

/*
 * The cross-core floor: a producer thread on CPU 0 and a consumer thread on
 * CPU 1 hand 64 KiB buffers over through one plain shared buffer and one
 * flag. Producer: wait for the flag to be 0, memcpy into the buffer, flag = 1
 * (release). Consumer: wait for 1 (acquire), memcpy out, flag = 0 (release).
 * No headers, no indexes, no capacity checks: the copies and the cache lines
 * crossing between the cores. GB/s.
 */
static struct {
	_Alignas(64) volatile uint32_t flag;
	_Alignas(64) uint8_t buf[64 * 1024];
} xfloor;

struct floor_arg {
	uint32_t size;
	unsigned long n;
};

static void *floor_consumer(void *arg)
{
	const struct floor_arg *a = arg;
	unsigned spins = 0;
	pin(1);
	for (unsigned long i = 0; i < a->n; i++) {
		while (__atomic_load_n(&xfloor.flag, __ATOMIC_ACQUIRE) != 1)
			relax(&spins);
		memcpy(rbuf, xfloor.buf, a->size);
		if (rbuf[0] != (uint8_t)i)
			die("floor order", EPROTO);
		__atomic_store_n(&xfloor.flag, 0, __ATOMIC_RELEASE);
	}
	return NULL;
}

static double floor_gbs(uint32_t size, unsigned long n)
{
	double best = 0;
	struct floor_arg a = { size, n };
	for (int run = 0; run < RUNS; run++) {
		pthread_t t;
		unsigned spins = 0;
		xfloor.flag = 0;
		pin(0);
		if (pthread_create(&t, NULL, floor_consumer, &a) != 0)
			die("pthread_create", EAGAIN);
		double t0 = now();
		for (unsigned long i = 0; i < n; i++) {
			while (__atomic_load_n(&xfloor.flag, __ATOMIC_ACQUIRE) != 0)
				relax(&spins);
			sbuf[0] = (uint8_t)i;
			memcpy(xfloor.buf, sbuf, size);
			__atomic_store_n(&xfloor.flag, 1, __ATOMIC_RELEASE);
		}
		pthread_join(t, NULL);
		double gbs = (double)size * (double)n / (now() - t0) / 1e9;
		best = gbs > best ? gbs : best;
	}
	return best;
}

/* Counts chosen so that each run takes about 0.05-0.5 s here (the whole bench < 1 min quiet). */
struct size_case {
	const char *name;
	uint32_t size;
	unsigned long n_ring, n_sys;
	unsigned batch; /* messages per call in batch mode; 1: no batch row */
};

static const struct size_case cases[] = {
	{ "16B", 16, 2000000, 50000, 32 },
	{ "64B", 64, 2000000, 50000, 32 },
	{ "1KiB", 1024, 500000, 50000, 32 },
	/* a 64 KiB frame already amortizes its one release store: no batching */
	{ "64KiB", 64 * 1024, 20000, 5000, 1 },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))
enum mode { M_SINGLE, M_BATCH, M_COUNT };

static double loadavg(void)
{
	double la = -1;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &la) != 1)
			la = -1;
		fclose(f);
	}
	return la;
}

/*
 * The two copies of a 64 KiB message, on one core: one thread writes a frame
 * and reads it back, @p n times. The frame's place moves through the ring
 * (64 KiB + 8 bytes a frame), so every alignment of the payload comes up in
 * turn. The message and the reader's buffer are page-aligned, as a buffer
 * from mmap() or a large allocation is. The peer is the same two copies with
 * memcpy through a page-aligned buffer. No second core, no spinning: the figure is stable where the
 * cross-core ones are not, and shows what the copies alone cost.
 */
static void inout_gbs(unsigned long n, double *ring_gbs, double *pair_gbs)
{
	static uint8_t mid[64 * 1024] __attribute__((aligned(4096)));
	static uint8_t src[64 * 1024] __attribute__((aligned(4096)));
	static uint8_t dst[64 * 1024] __attribute__((aligned(4096)));
	const uint32_t size = 64 * 1024;
	double best_ring = 0, best_pair = 0;

	pin(0);
	for (int run = 0; run < RUNS; run++) {
		ring_shm_t *shm = NULL;
		ring_t *r;
		double t0, gbs;
		int ret;

		if ((ret = ring_shm_create(RING_CAP, &shm)) < 0)
			die("ring_shm_create", -ret);
		r = ring_shm_ring(shm, RING_DIR_TO_POD);
		t0 = now();
		for (unsigned long i = 0; i < n; i++) {
			src[0] = (uint8_t)i;
			if ((ret = ring_write(r, src, size)) < 0)
				die("ring_write", -ret);
			if ((ret = ring_read(r, dst, size)) != (int)size || dst[0] != (uint8_t)i)
				die("ring_read", ret < 0 ? -ret : EPROTO);
		}
		gbs = 2.0 * size * (double)n / (now() - t0) / 1e9;
		best_ring = gbs > best_ring ? gbs : best_ring;
		ring_shm_destroy(shm);
		t0 = now();
		for (unsigned long i = 0; i < n; i++) {
			memcpy(mid, src, size);
			memcpy(dst, mid, size);
			__asm__ volatile("" ::: "memory"); /* keep every copy */
		}
		gbs = 2.0 * size * (double)n / (now() - t0) / 1e9;
		best_pair = gbs > best_pair ? gbs : best_pair;
	}
	*ring_gbs = best_ring;
	*pair_gbs = best_pair;
}

struct results {
	double rate[NCASES][M_COUNT][K_COUNT]; /* messages per second */
	double rtt[K_COUNT];                   /* ns */
	double mcpy, zc;                       /* GB/s; zc in messages per second */
	double xfloor;                         /* GB/s, the cross-core floor */
	double inout, inout_pair;              /* GB/s, one core: ring in+out, two memcpy */
};

static void measure(struct results *res)
{
	/* 1. streaming, one message per call and batched */
	for (size_t i = 0; i < NCASES; i++)
		for (int m = 0; m < M_COUNT; m++)
			for (int k = 0; k < K_COUNT; k++) {
				batch = m == M_SINGLE ? 1 : cases[i].batch;
				if (m == M_BATCH && batch == 1) {
					res->rate[i][m][k] = res->rate[i][M_SINGLE][k];
					continue;
				}
				res->rate[i][m][k] = stream_rate(
				    (enum kind)k, cases[i].size,
				    k == K_RING || k == K_SPSC ? cases[i].n_ring : cases[i].n_sys,
				    0);
			}
	res->zc = stream_rate(K_RING, 64 * 1024, 20000, 1);
	/* 2. ping-pong latency */
	for (int k = 0; k < K_COUNT; k++)
		res->rtt[k] =
		    pingpong_ns((enum kind)k, 64, k == K_RING || k == K_SPSC ? 200000 : 5000);
	/* 3. the copy a 64 KiB message cannot avoid */
	res->mcpy = memcpy_gbs(64 * 1024, 20000);
	/* 4. the cross-core floor of a 64 KiB hand-over */
	res->xfloor = floor_gbs(64 * 1024, 20000);
	/* 5. the two copies alone, on one core, at every payload alignment */
	inout_gbs(30000, &res->inout, &res->inout_pair);
}

static void print_table(const struct results *res)
{
	printf("%-26s %14s %14s %14s %14s %9s %9s %9s\n", "figure", "ring", "socketpair", "pipe",
	       "boost spsc", "x sock", "x pipe", "x spsc");
	for (size_t i = 0; i < NCASES; i++)
		for (int m = 0; m < M_COUNT; m++) {
			char label[48];
			const double *r = res->rate[i][m];
			if (m == M_BATCH && cases[i].batch == 1)
				continue;
			snprintf(label, sizeof(label), "stream %s %s msgs/s", cases[i].name,
				 m == M_SINGLE ? "1/call" : "batch32");
			printf("%-26s %14.0f %14.0f %14.0f %14.0f %9.1f %9.1f %9.2f\n", label,
			       r[K_RING], r[K_SOCK], r[K_PIPE], r[K_SPSC], r[K_RING] / r[K_SOCK],
			       r[K_RING] / r[K_PIPE], r[K_RING] / r[K_SPSC]);
		}
	const double *r = res->rate[NCASES - 1][M_SINGLE];
	printf("%-26s %14.2f %14.2f %14.2f %14.2f\n", "stream 64KiB GB/s", r[K_RING] * 65536 / 1e9,
	       r[K_SOCK] * 65536 / 1e9, r[K_PIPE] * 65536 / 1e9, r[K_SPSC] * 65536 / 1e9);
	printf("%-26s %14.2f   (one buffer, one flag, two cores; memcpy 64 KiB on one core: %.2f "
	       "GB/s)\n",
	       "cross-core floor GB/s", res->xfloor, res->mcpy);
	printf("%-26s %14.2f   (reserve+memcpy in, peek+touch every line)\n",
	       "stream 64KiB 0-copy GB/s", res->zc * 65536 / 1e9);
	printf("%-26s %14.0f %14.0f %14.0f %14.0f %9.4f %9.4f %9.2f\n", "ping-pong 64B RTT ns",
	       res->rtt[K_RING], res->rtt[K_SOCK], res->rtt[K_PIPE], res->rtt[K_SPSC],
	       res->rtt[K_RING] / res->rtt[K_SOCK], res->rtt[K_RING] / res->rtt[K_PIPE],
	       res->rtt[K_RING] / res->rtt[K_SPSC]);
	printf("batch32 = ring_write_batch/ring_read_batch, sendmmsg/recvmmsg, one write()/read() "
	       "of the\n"
	       "whole batch on the pipe, bulk push/pop on the spsc_queue. Ring and spsc_queue "
	       "ping-pong\n"
	       "busy-poll; socketpair and pipe block in the kernel.\n"
	       "Every figure is the best of %d runs.\n\n",
	       RUNS);
}

static void print_bench_lines(const struct results *res)
{
	for (size_t i = 0; i < NCASES; i++) {
		const double *one = res->rate[i][M_SINGLE], *many = res->rate[i][M_BATCH];
		/* stream_64KiB is the GB/s-vs-memcpy line below: one name, one figure.
		 * The headline compares the same work: batched ring against batched
		 * socketpair (sendmmsg/recvmmsg) where the case batches. */
		printf("BENCH 01-ring stream_%s%s %.0f msgs/s vs=socketpair ratio=%.2f\n",
		       cases[i].name, i == NCASES - 1 ? "_vs_socketpair" : "", many[K_RING],
		       many[K_RING] / many[K_SOCK]);
		if (cases[i].batch > 1) {
			/* one message per call on both sides */
			printf(
			    "BENCH 01-ring stream_%s_1call %.0f msgs/s vs=socketpair ratio=%.2f\n",
			    cases[i].name, one[K_RING], one[K_RING] / one[K_SOCK]);
			/* what the batched ring gains over a plain one-per-call socket user */
			printf("BENCH 01-ring stream_%s_vs_socketpair_1call %.0f msgs/s "
			       "vs=socketpair_1call ratio=%.2f\n",
			       cases[i].name, many[K_RING], many[K_RING] / one[K_SOCK]);
		}
		printf("BENCH 01-ring stream_%s_vs_pipe %.0f msgs/s vs=pipe ratio=%.2f\n",
		       cases[i].name, many[K_RING], many[K_RING] / many[K_PIPE]);
	}
	double gbs = res->rate[NCASES - 1][M_SINGLE][K_RING] * 65536 / 1e9,
	       zc = res->zc * 65536 / 1e9;
	printf("BENCH 01-ring stream_64KiB %.2f GB/s vs=memcpy ratio=%.2f\n", gbs, gbs / res->mcpy);
	printf("BENCH 01-ring stream_64KiB_zerocopy %.2f GB/s vs=memcpy ratio=%.2f\n", zc,
	       zc / res->mcpy);
	/* the right references for a cross-core stream */
	printf("BENCH 01-ring copy_64KiB_in_out %.2f GB/s vs=memcpy_pair ratio=%.2f\n", res->inout,
	       res->inout / res->inout_pair);
	printf("BENCH 01-ring stream_64KiB_vs_crosscore %.2f GB/s vs=crosscore_floor ratio=%.2f\n",
	       gbs, gbs / res->xfloor);
	printf("BENCH 01-ring stream_64KiB_vs_boost_spsc %.2f GB/s vs=boost_spsc ratio=%.2f\n", gbs,
	       gbs / (res->rate[NCASES - 1][M_SINGLE][K_SPSC] * 65536 / 1e9));
	for (size_t i = 0; i + 1 < NCASES; i++) {
		const double *one = res->rate[i][M_SINGLE], *many = res->rate[i][M_BATCH];
		printf(
		    "BENCH 01-ring stream_%s_vs_boost_spsc %.0f msgs/s vs=boost_spsc ratio=%.2f\n",
		    cases[i].name, many[K_RING], many[K_RING] / many[K_SPSC]);
		printf("BENCH 01-ring stream_%s_1call_vs_boost_spsc %.0f msgs/s "
		       "vs=boost_spsc_1call ratio=%.2f\n",
		       cases[i].name, one[K_RING], one[K_RING] / one[K_SPSC]);
	}
	printf("BENCH 01-ring pingpong_64B_vs_boost_spsc %.0f ns vs=boost_spsc ratio=%.4f\n",
	       res->rtt[K_RING], res->rtt[K_RING] / res->rtt[K_SPSC]);
	printf("BENCH 01-ring pingpong_64B %.0f ns vs=socketpair ratio=%.4f\n", res->rtt[K_RING],
	       res->rtt[K_RING] / res->rtt[K_SOCK]);
	printf("BENCH 01-ring pingpong_64B_vs_pipe %.0f ns vs=pipe ratio=%.4f\n", res->rtt[K_RING],
	       res->rtt[K_RING] / res->rtt[K_PIPE]);
}

int main(void)
{
	static struct results res;
	double la0 = loadavg();
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	signal(SIGPIPE, SIG_IGN);
	memset(sbuf, 0x5a, sizeof(sbuf));
	measure(&res);
	printf("01-ring benchmark: %d CPUs%s, ring capacity %u KiB, loadavg %.2f before / %.2f "
	       "after\n",
	       ncpu, ncpu >= 2 ? " (producer pinned to CPU 0, consumer to CPU 1)" : "",
	       RING_CAP / 1024, la0, loadavg());
	print_table(&res);
	print_bench_lines(&res);
	return 0;
}
