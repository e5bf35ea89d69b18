/*
 * check_ring.c — the Check suite of layer 01-ring.
 *
 * Layer 01-ring. Builds on libring (include/ring.h) and, to play the hostile
 * peer, on the private layout in src/ring_layout.h: tests map the object a
 * second time and write into the header and data area like a pod could.
 * Run by `make -C 01-ring test`; the "threads" case is also built with TSan.
 *
 * TCases: shm (create/attach/unlink), frames (exact outcomes of every call),
 * wrap (every offset of the data area), doorbell (waiting word), hostile
 * (each validation rule, then a scribbling process), stress (two processes,
 * 10 million frames), threads (two threads, checked by TSan).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "podtest.h"
#include "ring.h"
#include "ring_layout.h"

#ifndef RING_STRESS_FRAMES
#define RING_STRESS_FRAMES 10000000
#endif

#define CAP 4096u
#define MAXF (CAP / 4) /* max frame of a CAP ring */

/* ---- helpers ----------------------------------------------------------- */

static ring_shm_t *make_named_shm(uint32_t cap)
{
	ring_shm_t *shm = NULL;
	ck_assert_int_eq(ring_shm_create(cap, &shm), 0);
	ck_assert_ptr_nonnull(shm);
	return shm;
}

/* Unlinked at once, as the runner does: a failing test leaves nothing in /dev/shm. */
static ring_shm_t *make_shm(uint32_t cap)
{
	ring_shm_t *shm = make_named_shm(cap);
	ck_assert_int_eq(ring_shm_unlink(shm), 0);
	return shm;
}

/* A second mapping of the object: what the peer sees (and may scribble on). */
static struct ring_hdr *peer_map(ring_shm_t *shm)
{
	size_t size = RING_HDR_SIZE + 2 * (size_t)ring_shm_capacity(shm);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ring_shm_fd(shm), 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

static void peer_unmap(ring_shm_t *shm, struct ring_hdr *h)
{
	munmap(h, RING_HDR_SIZE + 2 * (size_t)ring_shm_capacity(shm));
}

static uint8_t *peer_data(struct ring_hdr *h, enum ring_dir d, uint32_t cap)
{
	return (uint8_t *)h + RING_HDR_SIZE + (size_t)d * cap;
}

static uint32_t fbytes(uint32_t len)
{
	return (4 + len + 7) & ~7u;
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void fill(uint8_t *p, uint32_t len, uint64_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)splitmix(seed + i / 8) >> (i % 8);
}

/* A forked peer dies with the test process: never an orphan spinning forever. */
static void die_with_parent(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(40);
}

/* Has child @p pid exited? (not reaped: the test's waitpid still gets its status) */
static int peer_gone(pid_t pid)
{
	siginfo_t si = { 0 };
	return pid > 0 && waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == pid;
}

/* Move an empty ring's position (both counters) to data offset @p off. */
static void move_to_offset(ring_t *r, uint32_t cap, uint32_t off)
{
	uint8_t buf[MAXF];
	for (;;) {
		int64_t used = ring_used(r);
		ck_assert_int_eq(used, 0);
		/* the producer's counter is ours: derive the offset from a probe frame */
		void *p;
		ck_assert_int_eq(ring_reserve(r, 0, &p), 0);
		uint32_t cur = (uint32_t)(((uint8_t *)p - 4 - r->data));
		ring_abort(r);
		if (cur == off)
			return;
		uint32_t need = (off - cur) & (cap - 1);
		uint32_t tail = cap - cur;
		uint32_t bytes = need < tail ? need : tail;
		uint32_t most = ring_max_frame(r) < sizeof(buf) ? ring_max_frame(r) : sizeof(buf);
		if (bytes > ((most + 4) & ~7u))
			bytes = (most + 4) & ~7u;
		ck_assert_int_eq(ring_write(r, buf, bytes - 4), 0);
		ck_assert_int_eq(ring_read(r, buf, sizeof(buf)), (int)(bytes - 4));
	}
}

/* ---- shm: create, attach, unlink --------------------------------------- */

START_TEST(test_create_makes_private_named_object)
{
	ring_shm_t *shm = make_named_shm(CAP);
	const char *name = ring_shm_name(shm);
	char path[128];
	struct stat st;

	ck_assert_ptr_nonnull(name);
	ck_assert_int_eq(strncmp(name, "/pod-ring-", 10), 0);
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_uint_eq(st.st_size, RING_HDR_SIZE + 2 * CAP);
	ck_assert_uint_eq(ring_shm_capacity(shm), CAP);
	ck_assert_uint_eq(ring_max_frame(ring_shm_ring(shm, RING_DIR_TO_POD)), MAXF);
	ck_assert_ptr_null(ring_shm_ring(shm, (enum ring_dir)2));
	ring_shm_destroy(shm);
	ck_assert_int_eq(stat(path, &st), -1); /* the creator's destroy removed the name */
	ck_assert_int_eq(errno, ENOENT);
	ring_shm_destroy(NULL);
}
END_TEST

START_TEST(test_create_rejects_bad_capacity)
{
	ring_shm_t *shm = NULL;
	ck_assert_int_eq(ring_shm_create(0, &shm), -EINVAL);
	ck_assert_int_eq(ring_shm_create(2048, &shm), -EINVAL);
	ck_assert_int_eq(ring_shm_create(4096 + 8, &shm), -EINVAL);
	ck_assert_int_eq(ring_shm_create(RING_MAX_CAPACITY * 2u, &shm), -EINVAL);
	ck_assert_int_eq(ring_shm_create(CAP, NULL), -EINVAL);
	ck_assert_ptr_null(shm);
}
END_TEST

START_TEST(test_max_frame_is_quarter_capacity_up_to_limit)
{
	ring_shm_t *a = make_shm(1u << 16), *b = make_shm(1u << 27);
	ck_assert_uint_eq(ring_max_frame(ring_shm_ring(a, RING_DIR_TO_POD)), 1u << 14);
	ck_assert_uint_eq(ring_max_frame(ring_shm_ring(b, RING_DIR_TO_POD)), RING_MAX_FRAME_LIMIT);
	ring_shm_destroy(a);
	ring_shm_destroy(b);
}
END_TEST

START_TEST(test_attach_by_name_and_fd_share_the_rings)
{
	ring_shm_t *runner = make_named_shm(CAP), *byname = NULL, *byfd = NULL;
	char buf[16];

	ck_assert_int_eq(ring_shm_attach_name(ring_shm_name(runner), &byname), 0);
	ck_assert_int_eq(ring_shm_attach_fd(ring_shm_fd(runner), &byfd), 0);
	ck_assert_str_eq(ring_shm_name(byname), ring_shm_name(runner));
	ck_assert_ptr_null(ring_shm_name(byfd));
	ck_assert_int_ne(ring_shm_fd(byfd), ring_shm_fd(runner)); /* duplicated */

	ck_assert_int_eq(ring_write(ring_shm_ring(runner, RING_DIR_TO_POD), "hello", 5), 0);
	ck_assert_int_eq(ring_read(ring_shm_ring(byname, RING_DIR_TO_POD), buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	ck_assert_int_eq(ring_write(ring_shm_ring(byfd, RING_DIR_TO_RUNNER), "pod", 3), 0);
	ck_assert_int_eq(ring_read(ring_shm_ring(runner, RING_DIR_TO_RUNNER), buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "pod", 3), 0);
	ring_shm_destroy(byfd);
	ring_shm_destroy(byname);
	ring_shm_destroy(runner);
}
END_TEST

START_TEST(test_unlink_removes_name_but_keeps_mapping)
{
	ring_shm_t *shm = make_named_shm(CAP), *other = NULL;
	char name[64], buf[8];
	struct stat st;
	char path[128];

	snprintf(name, sizeof(name), "%s", ring_shm_name(shm));
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	ck_assert_int_eq(ring_shm_unlink(shm), 0);
	ck_assert_ptr_null(ring_shm_name(shm));
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(ring_shm_unlink(shm), 0); /* idempotent */
	ck_assert_int_eq(ring_shm_attach_name(name, &other), -ENOENT);
	ck_assert_int_eq(ring_write(ring_shm_ring(shm, RING_DIR_TO_POD), "still", 5), 0);
	ck_assert_int_eq(ring_read(ring_shm_ring(shm, RING_DIR_TO_POD), buf, sizeof(buf)), 5);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_unlink_by_attacher_is_enough_for_both)
{
	ring_shm_t *shm = make_named_shm(CAP), *pod = NULL;
	ck_assert_int_eq(ring_shm_attach_name(ring_shm_name(shm), &pod), 0);
	ck_assert_int_eq(ring_shm_unlink(pod), 0);
	ck_assert_int_eq(ring_shm_unlink(shm), 0); /* ENOENT from the kernel is success */
	ck_assert_ptr_null(ring_shm_name(shm));
	ring_shm_destroy(pod);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_sealed_object_cannot_be_resized_by_peer)
{
	ring_shm_t *shm = NULL, *pod = NULL;
	char buf[8];
	ck_assert_int_eq(ring_shm_create_sealed(CAP, &shm), 0);
	ck_assert_ptr_null(ring_shm_name(shm)); /* nothing in /dev/shm */
	ck_assert_int_eq(ring_shm_unlink(shm), 0);
	ck_assert_int_eq(ring_shm_attach_fd(ring_shm_fd(shm), &pod), 0);
	/* the hostile pod tries to pull the pages from under the runner */
	ck_assert_int_eq(ftruncate(ring_shm_fd(pod), 0), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(ring_shm_fd(pod), RING_HDR_SIZE + 4 * CAP), -1);
	ck_assert_int_eq(ring_write(ring_shm_ring(pod, RING_DIR_TO_RUNNER), "ok", 2), 0);
	ck_assert_int_eq(ring_read(ring_shm_ring(shm, RING_DIR_TO_RUNNER), buf, sizeof(buf)), 2);
	ck_assert_int_eq(ring_shm_create_sealed(3000, &pod), -EINVAL);
	ring_shm_destroy(pod);
	ring_shm_destroy(shm);
}
END_TEST

/* Corrupt one header field, attach, expect -EPROTO, restore. */
static void expect_attach_fails(ring_shm_t *shm, void *field, size_t size, uint64_t value)
{
	ring_shm_t *pod = NULL;
	uint64_t saved = 0;
	memcpy(&saved, field, size);
	memcpy(field, &value, size);
	ck_assert_int_eq(ring_shm_attach_fd(ring_shm_fd(shm), &pod), -EPROTO);
	ck_assert_ptr_null(pod);
	memcpy(field, &saved, size);
	ck_assert_int_eq(ring_shm_attach_fd(ring_shm_fd(shm), &pod), 0);
	ring_shm_destroy(pod);
}

START_TEST(test_attach_rejects_header_not_matching_object)
{
	ring_shm_t *shm = make_shm(CAP);
	struct ring_hdr *h = peer_map(shm);

	expect_attach_fails(shm, &h->magic, 8, 0x1234);
	expect_attach_fails(shm, &h->version, 4, RING_VERSION + 1);
	expect_attach_fails(shm, &h->capacity, 4, CAP * 2); /* bigger than the object */
	expect_attach_fails(shm, &h->capacity, 4, CAP / 2); /* smaller than the object */
	expect_attach_fails(shm, &h->capacity, 4, CAP + 8); /* not a power of two */
	expect_attach_fails(shm, &h->data_offset, 4, 0);
	expect_attach_fails(shm, &h->ring[0].prod, 8, CAP + 8); /* counters out of range */
	expect_attach_fails(shm, &h->ring[1].cons, 8, 4);       /* misaligned */
	peer_unmap(shm, h);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_attach_rejects_wrong_sized_object)
{
	ring_shm_t *shm = make_shm(CAP), *pod = NULL;
	char name[64];
	snprintf(name, sizeof(name), "/pod-ring-test-%d", (int)getpid());
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	shm_unlink(name);
	ck_assert_int_eq(ring_shm_attach_fd(fd, &pod), -EPROTO); /* empty */
	ck_assert_int_eq(ftruncate(fd, 100), 0);
	ck_assert_int_eq(ring_shm_attach_fd(fd, &pod), -EPROTO); /* smaller than a header */
	close(fd);
	/* the real object grown by one page: header says CAP, size disagrees */
	ck_assert_int_eq(ftruncate(ring_shm_fd(shm), RING_HDR_SIZE + 2 * CAP + 4096), 0);
	ck_assert_int_eq(ring_shm_attach_fd(ring_shm_fd(shm), &pod), -EPROTO);
	ck_assert_int_eq(ring_shm_attach_fd(-1, &pod), -EINVAL);
	ck_assert_ptr_null(pod);
	ring_shm_destroy(shm);
}
END_TEST

/* ---- frames: exact outcomes ------------------------------------------- */

START_TEST(test_empty_ring_reads_eagain)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_RUNNER);
	const void *p;
	uint32_t lens[4];
	char buf[8];
	ck_assert_int_eq(ring_read(r, buf, sizeof(buf)), -EAGAIN);
	ck_assert_int_eq(ring_peek(r, &p), -EAGAIN);
	ck_assert_int_eq(ring_read_batch(r, buf, sizeof(buf), lens, 4), 0);
	ck_assert_int_eq(ring_used(r), 0);
	ck_assert_int_eq(ring_free(r), CAP);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_full_ring_writes_eagain_until_one_frame_is_read)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	uint8_t frame[60], out[60];
	void *p;
	/* 60-byte payload + 4-byte length = 64 bytes: exactly CAP/64 frames fit */
	for (unsigned i = 0; i < CAP / 64; i++) {
		memset(frame, (int)i, sizeof(frame));
		ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), 0);
	}
	ck_assert_int_eq(ring_used(r), CAP);
	ck_assert_int_eq(ring_free(r), 0);
	ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), -EAGAIN);
	ck_assert_int_eq(ring_write(r, frame, 0), -EAGAIN); /* even 8 bytes do not fit */
	ck_assert_int_eq(ring_reserve(r, 1, &p), -EAGAIN);
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), 60);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_int_eq(ring_free(r), 64);
	memset(frame, 0xaa, sizeof(frame));
	ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), 0);
	ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), -EAGAIN);
	for (unsigned i = 1; i < CAP / 64; i++) {
		ck_assert_int_eq(ring_read(r, out, sizeof(out)), 60);
		ck_assert_uint_eq(out[59], i); /* FIFO order */
	}
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), 60);
	ck_assert_uint_eq(out[0], 0xaa);
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), -EAGAIN);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_zero_length_frame_round_trips)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	const void *p;
	void *w;
	ck_assert_int_eq(ring_write(r, NULL, 0), 0);
	ck_assert_int_eq(ring_used(r), 8);
	ck_assert_int_eq(ring_reserve(r, 0, &w), 0);
	ck_assert_int_eq(ring_commit(r, 0), 0);
	ck_assert_int_eq(ring_read(r, NULL, 0), 0);
	ck_assert_int_eq(ring_peek(r, &p), 0);
	ring_release(r);
	ck_assert_int_eq(ring_used(r), 0);
	ck_assert_int_eq(ring_read(r, NULL, 0), -EAGAIN);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_max_frame_fits_and_oversize_is_rejected)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	static uint8_t big[MAXF + 1], out[MAXF + 1];
	struct iovec iov = { big, MAXF + 1 };
	void *p;
	fill(big, sizeof(big), 7);
	ck_assert_int_eq(ring_write(r, big, MAXF + 1), -EMSGSIZE);
	ck_assert_int_eq(ring_reserve(r, MAXF + 1, &p), -EMSGSIZE);
	ck_assert_int_eq(ring_write_batch(r, &iov, 1), -EMSGSIZE);
	ck_assert_int_eq(ring_write(r, big, UINT32_MAX), -EMSGSIZE);
	ck_assert_int_eq(ring_used(r), 0);
	ck_assert_int_eq(ring_write(r, big, MAXF), 0);
	ck_assert_int_eq(ring_used(r), fbytes(MAXF));
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), MAXF);
	ck_assert_int_eq(memcmp(out, big, MAXF), 0);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_read_into_small_buffer_keeps_frame)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	char out[16];
	uint32_t lens[2];
	ck_assert_int_eq(ring_write(r, "0123456789", 10), 0);
	ck_assert_int_eq(ring_read(r, out, 9), -EMSGSIZE);
	ck_assert_int_eq(ring_read_batch(r, out, 9, lens, 2), -EMSGSIZE);
	ck_assert_int_eq(ring_used(r), 16);
	ck_assert_int_eq(ring_read(r, out, 10), 10);
	ck_assert_int_eq(memcmp(out, "0123456789", 10), 0);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_reserve_then_abort_publishes_nothing)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	void *p, *q;
	char out[128];
	ck_assert_int_eq(ring_reserve(r, 100, &p), 0);
	memset(p, 'x', 100);
	ck_assert_int_eq(ring_reserve(r, 8, &q), -EBUSY);
	ck_assert_int_eq(ring_write(r, "a", 1), -EBUSY);
	ring_abort(r);
	ck_assert_int_eq(ring_used(r), 0);
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), -EAGAIN);
	ck_assert_int_eq(ring_commit(r, 0), -EINVAL); /* nothing open any more */
	ck_assert_int_eq(ring_write(r, "abc", 3), 0);
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), 3);
	ck_assert_int_eq(memcmp(out, "abc", 3), 0);
	ring_abort(NULL);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_reserve_commit_shorter_frame_is_zero_copy)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	void *p;
	const void *q;
	ck_assert_int_eq(ring_reserve(r, 200, &p), 0);
	memcpy(p, "zero-copy", 9);
	ck_assert_int_eq(ring_commit(r, 201), -EMSGSIZE);
	ck_assert_int_eq(ring_commit(r, 9), 0);
	ck_assert_int_eq(ring_used(r), fbytes(9));
	ck_assert_int_eq(ring_peek(r, &q), 9);
	ck_assert_ptr_eq(q, p); /* the consumer sees the very bytes the producer wrote */
	ck_assert_int_eq(memcmp(q, "zero-copy", 9), 0);
	ck_assert_int_eq(ring_peek(r, &q), 9); /* peek again: same frame */
	ring_release(r);
	ring_release(r); /* second release without a peek: nothing */
	ck_assert_int_eq(ring_used(r), 0);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_batches_stop_at_first_frame_that_does_not_fit)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	static uint8_t payload[1000], out[4096];
	struct iovec iov[6];
	uint32_t lens[6];
	for (int i = 0; i < 6; i++)
		iov[i] = (struct iovec){ payload, 1000 }; /* 1008 bytes each: 4 fit */
	fill(payload, sizeof(payload), 3);
	ck_assert_int_eq(ring_write_batch(r, iov, 6), 4);
	ck_assert_int_eq(ring_write_batch(r, iov, 6), 0); /* full: 0, not -EAGAIN */
	ck_assert_int_eq(ring_used(r), 4 * 1008);
	ck_assert_int_eq(ring_read_batch(r, out, 2500, lens, 6), 2); /* buffer room for two */
	ck_assert_uint_eq(lens[0], 1000);
	ck_assert_uint_eq(lens[1], 1000);
	ck_assert_int_eq(memcmp(out + 1000, payload, 1000), 0);
	ck_assert_int_eq(ring_read_batch(r, out, sizeof(out), lens, 1), 1); /* n bounds it */
	ck_assert_int_eq(ring_read_batch(r, out, sizeof(out), lens, 6), 1);
	ck_assert_int_eq(ring_read_batch(r, out, sizeof(out), lens, 6), 0);
	ck_assert_int_eq(ring_write_batch(r, iov, 0), 0);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_directions_are_independent)
{
	ring_shm_t *shm = make_shm(CAP);
	char out[8];
	ck_assert_int_eq(ring_write(ring_shm_ring(shm, RING_DIR_TO_POD), "a", 1), 0);
	ck_assert_int_eq(ring_read(ring_shm_ring(shm, RING_DIR_TO_RUNNER), out, 8), -EAGAIN);
	ck_assert_int_eq(ring_read(ring_shm_ring(shm, RING_DIR_TO_POD), out, 8), 1);
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_null_handles_are_rejected)
{
	const void *p;
	void *w;
	ck_assert_int_eq(ring_write(NULL, "a", 1), -EINVAL);
	ck_assert_int_eq(ring_read(NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(ring_peek(NULL, &p), -EINVAL);
	ck_assert_int_eq(ring_reserve(NULL, 1, &w), -EINVAL);
	ck_assert_int_eq(ring_commit(NULL, 1), -EINVAL);
	ck_assert_int_eq(ring_used(NULL), -EINVAL);
	ck_assert_int_eq(ring_shm_unlink(NULL), -EINVAL);
	ck_assert_ptr_null(ring_shm_ring(NULL, RING_DIR_TO_POD));
	ring_release(NULL);
	ring_cancel_wait(NULL);
}
END_TEST

/* ---- wrap: every offset ----------------------------------------------- */

START_TEST(test_frame_round_trips_at_every_offset)
{
	static const uint32_t lens[] = { 0, 1, 3, 4, 5, 12, 59, 100, 507, MAXF - 1, MAXF };
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	static uint8_t in[MAXF], out[MAXF];
	const void *q;

	for (uint32_t off = 0; off < CAP; off += 8) {
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			uint32_t len = lens[k], tail = CAP - off;
			uint32_t expect_used =
			    fbytes(len) <= tail ? fbytes(len) : tail + fbytes(len);
			move_to_offset(r, CAP, off);
			fill(in, len, off * 31 + k);
			ck_assert_int_eq(ring_write(r, in, len), 0);
			ck_assert_int_eq(ring_used(r), expect_used); /* wrap marker counted */
			if (k & 1) {
				ck_assert_int_eq(ring_peek(r, &q), (int)len);
				ck_assert_int_eq(memcmp(q, in, len), 0);
				/* contiguous and inside the data area, whatever the offset */
				ck_assert((const uint8_t *)q + len <= r->data + CAP);
				ring_release(r);
			} else {
				ck_assert_int_eq(ring_read(r, out, sizeof(out)), (int)len);
				ck_assert_int_eq(memcmp(out, in, len), 0);
			}
			ck_assert_int_eq(ring_used(r), 0);
		}
	}
	ring_shm_destroy(shm);
}
END_TEST

/* Payloads long enough for the ring's 4K-aliasing copy (backwards, in 64-byte
 * blocks) arrive intact: every ring offset against every source and
 * destination shift of 0-40 bytes from a page boundary, i.e. every distance
 * that takes that path and the ones next to it, in both directions. */
START_TEST(test_large_payload_round_trips_at_every_alignment)
{
	static const uint32_t lens[] = { 1024, 1031, 1087, 4 * MAXF };
	static uint8_t inb[3 * 4096] __attribute__((aligned(4096)));
	static uint8_t outb[3 * 4096] __attribute__((aligned(4096)));
	ring_shm_t *shm = make_shm(4 * CAP); /* frames up to 4 KiB */
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);

	for (uint32_t off = 0; off < 4 * CAP; off += 8)
		for (uint32_t shift = 0; shift <= 40; shift += 4)
			for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
				uint32_t len = lens[k];
				uint8_t *in = inb + (k & 1 ? shift : 0);
				uint8_t *out = outb + (k & 1 ? 0 : shift);

				move_to_offset(r, 4 * CAP, off);
				fill(in, len, off * 131 + shift * 7 + k);
				memset(out, 0xEE, len + 64);
				ck_assert_int_eq(ring_write(r, in, len), 0);
				ck_assert_int_eq(ring_read(r, out, len), (int)len);
				ck_assert_int_eq(memcmp(out, in, len), 0);
				ck_assert_int_eq(out[len], 0xEE); /* nothing past the frame */
			}
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_batch_crosses_the_end_in_order)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	uint8_t a[300], out[2000];
	struct iovec iov[5];
	uint32_t lens[5];
	for (uint32_t off = CAP - 1024; off < CAP; off += 40) {
		move_to_offset(r, CAP, off & ~7u);
		for (int i = 0; i < 5; i++) {
			memset(a, 0, sizeof(a));
			iov[i] = (struct iovec){ a, (size_t)(i * 70) };
		}
		fill(a, sizeof(a), off);
		ck_assert_int_eq(ring_write_batch(r, iov, 5), 5);
		ck_assert_int_eq(ring_read_batch(r, out, sizeof(out), lens, 5), 5);
		size_t at = 0;
		for (int i = 0; i < 5; i++) {
			ck_assert_uint_eq(lens[i], (uint32_t)(i * 70));
			ck_assert_int_eq(memcmp(out + at, a, lens[i]), 0);
			at += lens[i];
		}
		ck_assert_int_eq(ring_used(r), 0);
	}
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_reserve_across_end_then_abort_leaves_ring_usable)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	void *p;
	char out[64];
	move_to_offset(r, CAP, CAP - 16);
	ck_assert_int_eq(ring_reserve(r, 500, &p), 0); /* does not fit in 16: wraps */
	ck_assert_ptr_eq(p, r->data + 4);
	ring_abort(r);
	ck_assert_int_eq(ring_write(r, "tail", 4), 0); /* fits in the 16 bytes left */
	ck_assert_int_eq(ring_used(r), 8);
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), 4);
	ck_assert_int_eq(memcmp(out, "tail", 4), 0);
	ring_shm_destroy(shm);
}
END_TEST

/* ---- doorbell: the waiting word ---------------------------------------- */

START_TEST(test_prepare_wait_on_empty_ring_announces_sleep)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	ck_assert_int_eq(ring_need_wakeup(r), 0);
	ck_assert_int_eq(ring_prepare_wait(r), 1);
	ck_assert_uint_eq(r->ctl->waiting, 1);
	ck_assert_int_eq(ring_write(r, "x", 1), 0);
	ck_assert_int_eq(ring_need_wakeup(r), 1); /* the consumer sleeps: ring */
	ck_assert_uint_eq(r->ctl->waiting, 0);
	ck_assert_int_eq(ring_need_wakeup(r), 0); /* once per sleep */
	ring_shm_destroy(shm);
}
END_TEST

START_TEST(test_prepare_wait_with_frames_queued_refuses_sleep)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	char out[4];
	ck_assert_int_eq(ring_write(r, "x", 1), 0);
	ck_assert_int_eq(ring_prepare_wait(r), 0);
	ck_assert_uint_eq(r->ctl->waiting, 0);
	ck_assert_int_eq(ring_need_wakeup(r), 0);
	ck_assert_int_eq(ring_read(r, out, sizeof(out)), 1);
	ck_assert_int_eq(ring_prepare_wait(r), 1);
	ring_cancel_wait(r);
	ck_assert_uint_eq(r->ctl->waiting, 0);
	ck_assert_int_eq(ring_need_wakeup(r), 0);
	ring_shm_destroy(shm);
}
END_TEST

/* Consumer in a child process that always sleeps on an eventfd when the ring
 * is empty; a lost wake-up shows up as a 20 s poll timeout (exit 3; long
 * enough that a loaded CI machine descheduling the producer is not one). */
static int doorbell_consumer_ring(ring_t *r, int efd, unsigned frames)
{
	uint64_t seq;
	for (unsigned i = 0; i < frames;) {
		int n = ring_read(r, &seq, sizeof(seq));
		if (n == sizeof(seq)) {
			if (seq != i++)
				return 2;
			continue;
		}
		if (n != -EAGAIN)
			return 1;
		if (ring_prepare_wait(r) != 1)
			continue;
		struct pollfd pfd = { efd, POLLIN, 0 };
		if (poll(&pfd, 1, 20000) != 1)
			return 3;
		uint64_t v;
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			return 4;
		ring_cancel_wait(r);
	}
	return 0;
}

START_TEST(test_doorbell_protocol_loses_no_wakeup_across_processes)
{
	const unsigned frames = 200000;
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD);
	int efd = eventfd(0, 0), status = 0;
	unsigned rings = 0;
	ck_assert_int_ge(efd, 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		die_with_parent();
		_exit(doorbell_consumer_ring(r, efd, frames));
	}
	for (uint64_t seq = 0; seq < frames;) {
		int ret = ring_write(r, &seq, sizeof(seq));
		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		ck_assert_int_eq(ret, 0);
		seq++;
		if (ring_need_wakeup(r)) {
			uint64_t one = 1;
			rings++;
			ck_assert_int_eq(write(efd, &one, sizeof(one)), sizeof(one));
		}
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "consumer status %d", status);
	ck_assert_uint_gt(rings, 0); /* the consumer did sleep, and was woken */
	close(efd);
	ring_shm_destroy(shm);
}
END_TEST

/* ---- hostile: every validation rule ------------------------------------ */

/* A runner-side consumer (TO_RUNNER) and the pod's view of the same object. */
struct hostile {
	ring_shm_t *shm;
	ring_t *r;
	struct ring_hdr *pod;
	struct ring_ctl *ctl;
	uint8_t *data;
};

static struct hostile hostile_setup(void)
{
	struct hostile h;
	h.shm = make_shm(CAP);
	h.r = ring_shm_ring(h.shm, RING_DIR_TO_RUNNER);
	h.pod = peer_map(h.shm);
	h.ctl = &h.pod->ring[RING_DIR_TO_RUNNER];
	h.data = peer_data(h.pod, RING_DIR_TO_RUNNER, CAP);
	return h;
}

static void hostile_teardown(struct hostile *h)
{
	peer_unmap(h->shm, h->pod);
	ring_shm_destroy(h->shm);
}

/* Every consumer entry point must report @p err for the current state. */
static void expect_reader_error(struct hostile *h, int err)
{
	static uint8_t buf[CAP];
	const void *p;
	uint32_t lens[4];
	ck_assert_int_eq(ring_read(h->r, buf, sizeof(buf)), err);
	ck_assert_int_eq(ring_peek(h->r, &p), err);
	ck_assert_int_eq(ring_read_batch(h->r, buf, sizeof(buf), lens, 4), err);
}

static void pod_writes_frame(struct hostile *h, uint64_t pos, uint32_t len_word, uint64_t prod)
{
	memcpy(h->data + (pos & (CAP - 1)), &len_word, 4);
	h->ctl->prod = prod;
}

START_TEST(test_reader_rejects_producer_ahead_by_more_than_capacity)
{
	struct hostile h = hostile_setup();
	h.ctl->prod = CAP + 8;
	expect_reader_error(&h, -EPROTO);
	ck_assert_int_eq(ring_used(h.r), -EPROTO);
	ck_assert_int_eq(ring_prepare_wait(h.r), -EPROTO);
	ck_assert_uint_eq(h.ctl->waiting, 0);
	h.ctl->prod = UINT64_MAX - 7;
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_rejects_producer_behind_consumer)
{
	struct hostile h = hostile_setup();
	char out[8];
	pod_writes_frame(&h, 0, 1, 8);
	ck_assert_int_eq(ring_read(h.r, out, sizeof(out)), 1); /* runner's cons is now 8 */
	h.ctl->prod = 0;                                       /* "unpublish" it */
	expect_reader_error(&h, -EPROTO);
	h.ctl->cons = 0; /* the pod rewriting the runner's copy changes nothing */
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_rejects_misaligned_producer)
{
	struct hostile h = hostile_setup();
	pod_writes_frame(&h, 0, 0, 12);
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_rejects_length_over_max_frame)
{
	struct hostile h = hostile_setup();
	pod_writes_frame(&h, 0, MAXF + 1, CAP); /* the ring claims to be full */
	expect_reader_error(&h, -EPROTO);
	pod_writes_frame(&h, 0, 0xfffffff0u, CAP); /* near overflow of 4 + len + 7 */
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_rejects_length_past_published_bytes)
{
	struct hostile h = hostile_setup();
	pod_writes_frame(&h, 0, 100, 16); /* 104 bytes of frame, 16 published */
	expect_reader_error(&h, -EPROTO);
	pod_writes_frame(&h, 0, 12, 16); /* 16 bytes exactly: fine */
	ck_assert_int_eq(ring_used(h.r), 16);
	uint8_t out[16];
	ck_assert_int_eq(ring_read(h.r, out, sizeof(out)), 12);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_rejects_frame_crossing_end_of_area)
{
	struct hostile h = hostile_setup();
	move_to_offset(h.r, CAP, CAP - 16);
	uint64_t cons = h.r->cons;
	pod_writes_frame(&h, cons, 100, cons + 512); /* 104 bytes at 16 before the end */
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

/* A fresh runner whose next read is 16 bytes before the end of the area. */
static struct hostile hostile_near_end(uint64_t *cons)
{
	struct hostile h = hostile_setup();
	move_to_offset(h.r, CAP, CAP - 16);
	*cons = h.r->cons;
	return h;
}

START_TEST(test_reader_rejects_misplaced_wrap_markers)
{
	struct hostile h = hostile_setup();
	uint64_t cons;
	uint8_t out[64];

	pod_writes_frame(&h, 0, RING_WRAP, 64); /* a marker at offset 0 */
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);

	h = hostile_near_end(&cons);
	pod_writes_frame(&h, cons, RING_WRAP, cons + 16); /* marker, then nothing */
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);

	h = hostile_near_end(&cons);
	pod_writes_frame(&h, cons + 16, RING_WRAP, cons + 64); /* marker, marker */
	pod_writes_frame(&h, cons, RING_WRAP, cons + 64);
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);

	h = hostile_near_end(&cons);
	pod_writes_frame(&h, cons + 16, 40, cons + 64); /* marker, then a 48-byte frame */
	pod_writes_frame(&h, cons, RING_WRAP, cons + 64);
	ck_assert_int_eq(ring_read(h.r, out, sizeof(out)), 40); /* the valid case passes */
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_batch_returns_good_frames_before_corruption)
{
	struct hostile h = hostile_setup();
	uint8_t out[256];
	uint32_t lens[4];
	pod_writes_frame(&h, 0, 4, 8);
	pod_writes_frame(&h, 8, 4, 16);
	pod_writes_frame(&h, 16, 200, 24); /* third frame: too long for what is published */
	ck_assert_int_eq(ring_read_batch(h.r, out, sizeof(out), lens, 4), 2);
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_reader_batch_rejects_producer_moved_back_below_read_position)
{
	struct hostile h = hostile_setup();
	uint8_t out[64];
	uint32_t lens[4];
	pod_writes_frame(&h, 0, 4, 8);
	pod_writes_frame(&h, 8, 4, 16);
	ck_assert_int_eq(ring_read(h.r, out, sizeof(out)),
			 4); /* runner caches prod = 16, cons = 8 */
	h.ctl->prod = 8;     /* back below the batch's read position once it passed the cache */
	/* the cached frame is fine; the refresh at 16 sees prod 8 < 16: stop there */
	ck_assert_int_eq(ring_read_batch(h.r, out, sizeof(out), lens, 4), 1);
	ck_assert_uint_eq(lens[0], 4);
	expect_reader_error(&h, -EPROTO);
	hostile_teardown(&h);
}
END_TEST

START_TEST(test_writer_rejects_consumer_ahead_of_producer)
{
	ring_shm_t *shm = make_shm(CAP);
	ring_t *r = ring_shm_ring(shm, RING_DIR_TO_POD); /* runner produces, pod consumes */
	struct ring_hdr *pod = peer_map(shm);
	uint8_t frame[60];
	void *p;
	memset(frame, 0, sizeof(frame));
	for (unsigned i = 0; i < CAP / 64; i++)
		ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), 0);
	pod->ring[RING_DIR_TO_POD].cons = CAP + 64; /* consumed more than was produced */
	ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), -EPROTO);
	ck_assert_int_eq(ring_reserve(r, 8, &p), -EPROTO);
	struct iovec iov = { frame, 8 };
	ck_assert_int_eq(ring_write_batch(r, &iov, 1), -EPROTO);
	ck_assert_int_eq(ring_used(r), -EPROTO);
	ck_assert_int_eq(ring_free(r), -EPROTO);
	pod->ring[RING_DIR_TO_POD].cons = 4; /* misaligned */
	ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), -EPROTO);
	pod->ring[RING_DIR_TO_POD].cons = 64; /* a valid value: room for one frame */
	ck_assert_int_eq(ring_write(r, frame, sizeof(frame)), 0);
	/* the pod rewriting the runner's published prod does not move the runner */
	pod->ring[RING_DIR_TO_POD].prod = 0;
	ck_assert_int_eq(ring_used(r), CAP - 64 + 64);
	peer_unmap(shm, pod);
	ring_shm_destroy(shm);
}
END_TEST

/*
 * The scribbler: a child process that writes random and near-valid values
 * into both rings' counters, waiting words, length words and payloads, as
 * fast as it can, for the duration given. It works in phases of 4096 writes:
 *   0  anything anywhere (counters get wild values)
 *   1  counters reset to a consistent state, then only data and lengths
 *   2  counters reset, then near-valid counters and well-formed frames
 * so that the runner sees every kind of state: hopeless, subtly wrong, valid.
 */
static void scribble_one(struct ring_hdr *h, uint64_t v, int phase)
{
	static const int pick[3][4] = { { 0, 1, 4, 8 }, { 4, 5, 6, 8 }, { 2, 3, 7, 5 } };
	int d = (int)(v & 1);
	struct ring_ctl *c = &h->ring[d];
	uint32_t *words = (uint32_t *)peer_data(h, (enum ring_dir)d, CAP);
	uint64_t near = __atomic_load_n(d ? &c->cons : &c->prod, __ATOMIC_RELAXED);
	uint32_t w = (uint32_t)(v >> 32);
	int what = (v >> 1) % 16 < 4 ? (int)((v >> 1) % 9) : pick[phase][(v >> 5) % 4];
	switch (what) {
	case 0:
		__atomic_store_n(&c->prod, v, __ATOMIC_RELAXED);
		break;
	case 1:
		__atomic_store_n(&c->cons, v, __ATOMIC_RELAXED);
		break;
	case 2:
		__atomic_store_n(d ? &c->prod : &c->cons, near - CAP + (w % (2 * CAP / 8)) * 8,
				 __ATOMIC_RELAXED);
		break;
	case 3:
		__atomic_store_n(d ? &c->prod : &c->cons, near + (w % 64) * 8, __ATOMIC_RELAXED);
		break;
	case 4:
		__atomic_store_n(&words[w % (CAP / 4)], w % (2 * MAXF), __ATOMIC_RELAXED);
		break;
	case 5:
		__atomic_store_n(&words[(w % (CAP / 8)) * 2], (v >> 20) & 1 ? RING_WRAP : w % 64,
				 __ATOMIC_RELAXED);
		break;
	case 6:
		__atomic_store_n(&words[w % (CAP / 4)], w, __ATOMIC_RELAXED);
		break;
	case 7: /* a well-formed frame right where the runner reads next */
		near = __atomic_load_n(&c->cons, __ATOMIC_RELAXED);
		__atomic_store_n(&words[(near % CAP) / 4], w % 64, __ATOMIC_RELAXED);
		__atomic_store_n(&c->prod, near + 72, __ATOMIC_RELAXED);
		break;
	default:
		__atomic_store_n(&c->waiting, w, __ATOMIC_RELAXED);
		break;
	}
}

static void scribble(ring_shm_t *shm, double seconds)
{
	struct ring_hdr *h = peer_map(shm);
	uint64_t x = (uint64_t)getpid();
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long i = 0;; i++) {
		int phase = (int)((i / 4096) % 3);
		if (i % 4096 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) +
				(double)(t.tv_nsec - t0.tv_nsec) / 1e9 >
			    seconds)
				break;
			for (int d = 0; phase && d < 2; d++) {
				uint64_t base = (splitmix(x++) % 4096) * 8;
				__atomic_store_n(&h->ring[d].prod, base, __ATOMIC_RELAXED);
				__atomic_store_n(&h->ring[d].cons, base, __ATOMIC_RELAXED);
			}
			usleep(50); /* a still moment: the runner may attach to a sane state */
		}
		scribble_one(h, splitmix(x++), phase);
	}
	_exit(0);
}

/* The runner side under attack: consume TO_RUNNER and produce TO_POD. */
struct attack_counts {
	unsigned long frames, eagain, eproto, writes, attaches;
};

/* Steps of attack_step(): 0-4 and 6 use the incoming ring, the others write. */
#define ATTACK_STEPS 10
#define ATTACK_IS_READ(i) ((i) % ATTACK_STEPS < 3)
#define ATTACK_IS_WRITE(i)                                                                         \
	((i) % ATTACK_STEPS == 5 || (i) % ATTACK_STEPS == 7 || (i) % ATTACK_STEPS == 8)

/* The producer side: a reservation stays inside the data area; commit or abort it. */
static int attack_reserve(ring_t *out, unsigned long i)
{
	void *w;
	uint32_t len = (uint32_t)(i % MAXF);
	int ret = ring_reserve(out, len, &w);
	if (ret < 0)
		return ret;
	ck_assert((uint8_t *)w >= out->data && (uint8_t *)w + len <= out->data + CAP);
	memset(w, 0x5a, len);
	if (i & 1) {
		ring_abort(out);
		return 0;
	}
	return ring_commit(out, len / 2);
}

static int attack_write_batch(ring_t *out, const uint8_t *buf, unsigned long i)
{
	struct iovec iov[4];
	for (int k = 0; k < 4; k++)
		iov[k] = (struct iovec){ (void *)buf, (i * 13 + (unsigned long)k * 101) % MAXF };
	int ret = ring_write_batch(out, iov, 4);
	ck_assert(ret == -EPROTO || (ret >= 0 && ret <= 4));
	return ret > 0 ? 0 : ret == 0 ? -EAGAIN : ret;
}

/* One call of a runner-side entry point; returns its result. */
static int attack_step(ring_t *in, ring_t *out, unsigned long i)
{
	static uint8_t buf[MAXF];
	uint32_t lens[8];
	const void *p;
	int64_t size;
	int ret;
	switch (i % ATTACK_STEPS) {
	case 0:
		return ring_read(in, buf, sizeof(buf));
	case 1:
		return ring_read_batch(in, buf, sizeof(buf), lens, 8);
	case 2:
		ret = ring_peek(in, &p);
		if (ret >= 0) {
			/* the payload is inside this ring's data area */
			ck_assert((const uint8_t *)p >= in->data &&
				  (const uint8_t *)p + ret <= in->data + CAP);
			memcpy(buf, p, (size_t)ret);
			ring_release(in);
		}
		return ret;
	case 3:
	case 6:
		size = i % ATTACK_STEPS == 3 ? ring_used(in) : ring_free(in);
		ck_assert(size == -EPROTO || (size >= 0 && size <= CAP));
		return (int)size;
	case 4:
		ret = ring_prepare_wait(in);
		ck_assert(ret == 0 || ret == 1 || ret == -EPROTO);
		if (ret == 1)
			ring_cancel_wait(in);
		return ret;
	case 5:
		return ring_write(out, buf, (uint32_t)(i % MAXF));
	case 7:
		return attack_reserve(out, i);
	case 8:
		return attack_write_batch(out, buf, i);
	default:
		/* the pod owns the waiting word of TO_POD: any value is only 0 or 1 here */
		ret = ring_need_wakeup(out);
		ck_assert(ret == 0 || ret == 1);
		return ret;
	}
}

/*
 * The runner keeps calling every entry point until the scribbler exits. Its
 * view is re-attached now and then, so that it starts over from whatever
 * state the scribbler left (a runner would end the pod at the first -EPROTO;
 * here we want as many different states as possible).
 */
static void runner_under_attack(ring_shm_t *shm, pid_t scribbler, struct attack_counts *n)
{
	ring_shm_t *view = NULL;
	int status, ret;
	for (unsigned long i = 0; waitpid(scribbler, &status, WNOHANG) == 0; i++) {
		if (!view || i % 256 == 0) {
			ring_shm_destroy(view);
			view = NULL;
			ret = ring_shm_attach_fd(ring_shm_fd(shm), &view);
			ck_assert(ret == 0 || ret == -EPROTO); /* counters may be corrupt already */
			n->attaches += ret == 0;
		}
		if (!view) {
			n->eproto++;
			continue;
		}
		ret = attack_step(ring_shm_ring(view, RING_DIR_TO_RUNNER),
				  ring_shm_ring(view, RING_DIR_TO_POD), i);
		ck_assert(ret == -EPROTO || ret == -EAGAIN || (ret >= 0 && ret <= (int)CAP));
		n->frames += ret > 0 && ATTACK_IS_READ(i);
		n->writes += ret == 0 && ATTACK_IS_WRITE(i);
		n->eagain += ret == -EAGAIN;
		n->eproto += ret == -EPROTO;
	}
	ring_shm_destroy(view);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

START_TEST(test_reader_survives_scribbling_peer)
{
	ring_shm_t *shm = make_shm(CAP);
	struct attack_counts n = { 0 };
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		die_with_parent();
		scribble(shm, 2.0);
	}
	runner_under_attack(shm, pid, &n);
	printf("hostile: %lu attaches, %lu frames accepted, %lu writes, %lu -EAGAIN, %lu -EPROTO\n",
	       n.attaches, n.frames, n.writes, n.eagain, n.eproto);
	fflush(stdout);
	/* the attack did reach the checks, and some states were valid enough to pass */
	ck_assert_uint_gt(n.eproto, 1000);
	ck_assert_uint_gt(n.frames, 0);
	ck_assert_uint_gt(n.writes, 0);
	ring_shm_destroy(shm);
}
END_TEST

/* ---- stress: two processes, millions of frames ------------------------- */

/*
 * Frame i: [u64 seq][u32 checksum][u32 len][payload...], len from a PRNG
 * seeded by i (mostly 16..271 bytes, 1 in 256 up to the max frame), payload
 * bytes from a shared random pool. The consumer checks seq == i (nothing
 * lost, duplicated or reordered), the length, and the checksum over the bytes
 * actually received.
 */
#define STRESS_CAP (1u << 16)
#define POOL (1u << 16)
struct stress_hdr {
	uint64_t seq;
	uint32_t sum;
	uint32_t len;
};

static uint8_t pool[POOL + STRESS_CAP];

static uint32_t stress_len(uint64_t seq)
{
	uint64_t v = splitmix(seq ^ 0xabcdef);
	uint32_t max = STRESS_CAP / 4;
	if ((v & 255) == 0)
		return (uint32_t)sizeof(struct stress_hdr) +
		       (uint32_t)((v >> 8) % (max - sizeof(struct stress_hdr) + 1));
	return (uint32_t)sizeof(struct stress_hdr) + (uint32_t)((v >> 8) % 256);
}

static uint32_t checksum(const uint8_t *p, uint32_t n)
{
	uint64_t h = 0x84222325cbf29ce4ull, w;
	uint32_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return (uint32_t)(h ^ (h >> 32));
}

static void stress_frame(uint64_t seq, uint8_t *dst, uint32_t len)
{
	struct stress_hdr hd = { seq, 0, len };
	uint32_t body = len - (uint32_t)sizeof(hd);
	memcpy(dst + sizeof(hd), pool + (seq * 64) % POOL, body);
	hd.sum = checksum(dst + sizeof(hd), body);
	memcpy(dst, &hd, sizeof(hd));
}

static unsigned long stress_frames(void)
{
	const char *e = getenv("RING_STRESS_FRAMES");
	return e ? strtoul(e, NULL, 10) : RING_STRESS_FRAMES;
}

static void backoff(unsigned *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
}

/*
 * Producer: one frame per call of write, reserve/commit or an 8-frame batch.
 * While the ring is full it checks now and then that the consumer process
 * @p peer (0: a thread) still runs: a consumer that failed returns at once
 * instead of leaving the producer spinning into the Check timeout.
 */
static int stress_produce(ring_t *r, unsigned long total, pid_t peer)
{
	static uint8_t buf[8][STRESS_CAP / 4];
	struct iovec iov[8];
	unsigned spins = 0;
	for (uint64_t seq = 0; seq < total;) {
		int ret;
		unsigned kind = (unsigned)(seq % 5);
		if (kind == 0 || kind == 1) {
			uint32_t len = stress_len(seq);
			stress_frame(seq, buf[0], len);
			ret = ring_write(r, buf[0], len);
			ret = ret == 0 ? 1 : ret;
		} else if (kind == 2) {
			void *p;
			uint32_t len = stress_len(seq);
			uint32_t want = len + (uint32_t)(seq % 16); /* reserve a bit more */
			if (want > ring_max_frame(r))
				want = len;
			ret = ring_reserve(r, want, &p);
			if (ret == 0) {
				stress_frame(seq, p, len);
				ret = ring_commit(r, len) == 0 ? 1 : -EIO;
			}
		} else {
			unsigned n = (unsigned)((total - seq) < 8 ? total - seq : 8);
			for (unsigned i = 0; i < n; i++) {
				uint32_t len = stress_len(seq + i);
				stress_frame(seq + i, buf[i], len);
				iov[i] = (struct iovec){ buf[i], len };
			}
			ret = ring_write_batch(r, iov, n);
			ret = ret == 0 ? -EAGAIN : ret;
		}
		if (ret == -EAGAIN) {
			int64_t room = ring_free(r);
			if (room < 0 || room > STRESS_CAP)
				return 12;
			backoff(&spins);
			if (spins % 4096 == 0 && peer_gone(peer))
				return 13;
			continue;
		}
		if (ret < 0)
			return 10;
		seq += (uint64_t)ret;
	}
	return 0;
}

static int stress_check(const uint8_t *p, int len, uint64_t seq)
{
	struct stress_hdr hd;
	if (len < (int)sizeof(hd))
		return 20;
	memcpy(&hd, p, sizeof(hd));
	if (hd.seq != seq)
		return 21; /* lost, duplicated or reordered */
	if (hd.len != (uint32_t)len || (uint32_t)len != stress_len(seq))
		return 22;
	if (hd.sum != checksum(p + sizeof(hd), (uint32_t)len - (uint32_t)sizeof(hd)))
		return 23;
	return 0;
}

/* Consumer: read, peek/release and batches in turn. */
static int stress_consume(ring_t *r, unsigned long total)
{
	static uint8_t buf[8 * (STRESS_CAP / 4)];
	uint32_t lens[8];
	unsigned spins = 0, turn = 0;
	for (uint64_t seq = 0; seq < total; turn++) {
		int ret, bad = 0;
		const void *p;
		switch (turn % 3) {
		case 0:
			ret = ring_read(r, buf, sizeof(buf));
			if (ret >= 0 && !(bad = stress_check(buf, ret, seq)))
				seq++;
			break;
		case 1:
			ret = ring_peek(r, &p);
			if (ret >= 0 && !(bad = stress_check(p, ret, seq))) {
				ring_release(r);
				seq++;
			}
			break;
		default:
			ret = ring_read_batch(r, buf, sizeof(buf), lens, 8);
			for (int i = 0, at = 0; i < ret && !bad; at += (int)lens[i], i++)
				if (!(bad = stress_check(buf + at, (int)lens[i], seq)))
					seq++;
			if (ret == 0)
				ret = -EAGAIN;
			break;
		}
		if (bad)
			return bad;
		if (ret == -EAGAIN) {
			int64_t used = ring_used(r);
			if (used < 0 || used > STRESS_CAP)
				return 25;
			backoff(&spins);
		} else if (ret < 0)
			return 11;
	}
	const void *p;
	return ring_peek(r, &p) == -EAGAIN ? 0 : 24; /* and nothing extra */
}

START_TEST(test_two_processes_exchange_millions_of_frames_intact)
{
	unsigned long total = stress_frames();
	ring_shm_t *shm = make_shm(STRESS_CAP);
	int status;
	fill(pool, sizeof(pool), 99);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the pod: attaches through the descriptor it inherited */
		ring_shm_t *pod = NULL;
		die_with_parent();
		if (ring_shm_attach_fd(ring_shm_fd(shm), &pod) < 0)
			_exit(30);
		_exit(stress_consume(ring_shm_ring(pod, RING_DIR_TO_POD), total));
	}
	int produced = stress_produce(ring_shm_ring(shm, RING_DIR_TO_POD), total, pid);
	if (produced != 0)
		kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "consumer status 0x%x",
		      status);
	ck_assert_int_eq(produced, 0);
	printf("stress: %lu frames exchanged intact between two processes\n", total);
	ring_shm_destroy(shm);
}
END_TEST

/* ---- threads: the same exchange inside one process (TSan) --------------- */

struct thread_arg {
	ring_t *r;
	unsigned long total;
	int result;
};

static void *consumer_thread(void *p)
{
	struct thread_arg *a = p;
	a->result = stress_consume(a->r, a->total);
	return NULL;
}

START_TEST(test_two_threads_exchange_frames_without_data_race)
{
	ring_shm_t *shm = make_shm(STRESS_CAP);
	struct thread_arg a;
	pthread_t t;
	a.r = ring_shm_ring(shm, RING_DIR_TO_RUNNER);
	a.total = 300000;
	a.result = -1;
	fill(pool, sizeof(pool), 5);
	ck_assert_int_eq(pthread_create(&t, NULL, consumer_thread, &a), 0);
	ck_assert_int_eq(stress_produce(a.r, a.total, 0), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(a.result, 0);
	ring_shm_destroy(shm);
}
END_TEST

struct bell_arg {
	ring_t *r;
	int efd;
	unsigned frames;
	int result;
};

static void *bell_consumer_thread(void *p)
{
	struct bell_arg *a = p;
	a->result = doorbell_consumer_ring(a->r, a->efd, a->frames);
	return NULL;
}

START_TEST(test_two_threads_doorbell_loses_no_wakeup)
{
	ring_shm_t *shm = make_shm(CAP);
	struct bell_arg a = { ring_shm_ring(shm, RING_DIR_TO_POD), eventfd(0, 0), 100000, -1 };
	pthread_t t;
	ck_assert_int_ge(a.efd, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, bell_consumer_thread, &a), 0);
	for (uint64_t seq = 0; seq < a.frames;) {
		int ret = ring_write(a.r, &seq, sizeof(seq));
		if (ret == -EAGAIN) {
			sched_yield();
			continue;
		}
		ck_assert_int_eq(ret, 0);
		seq++;
		if (ring_need_wakeup(a.r)) {
			uint64_t one = 1;
			ck_assert_int_eq(write(a.efd, &one, sizeof(one)), sizeof(one));
		}
	}
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(a.result, 0);
	close(a.efd);
	ring_shm_destroy(shm);
}
END_TEST

/* ---- suite --------------------------------------------------------------- */

static Suite *ring_suite(void)
{
	Suite *s = suite_create("01-ring");
	TCase *tc;

	tc = tcase_create("shm");
	tcase_add_test(tc, test_create_makes_private_named_object);
	tcase_add_test(tc, test_create_rejects_bad_capacity);
	tcase_add_test(tc, test_max_frame_is_quarter_capacity_up_to_limit);
	tcase_add_test(tc, test_attach_by_name_and_fd_share_the_rings);
	tcase_add_test(tc, test_unlink_removes_name_but_keeps_mapping);
	tcase_add_test(tc, test_unlink_by_attacher_is_enough_for_both);
	tcase_add_test(tc, test_sealed_object_cannot_be_resized_by_peer);
	tcase_add_test(tc, test_attach_rejects_header_not_matching_object);
	tcase_add_test(tc, test_attach_rejects_wrong_sized_object);
	suite_add_tcase(s, tc);

	tc = tcase_create("frames");
	tcase_add_test(tc, test_empty_ring_reads_eagain);
	tcase_add_test(tc, test_full_ring_writes_eagain_until_one_frame_is_read);
	tcase_add_test(tc, test_zero_length_frame_round_trips);
	tcase_add_test(tc, test_max_frame_fits_and_oversize_is_rejected);
	tcase_add_test(tc, test_read_into_small_buffer_keeps_frame);
	tcase_add_test(tc, test_reserve_then_abort_publishes_nothing);
	tcase_add_test(tc, test_reserve_commit_shorter_frame_is_zero_copy);
	tcase_add_test(tc, test_batches_stop_at_first_frame_that_does_not_fit);
	tcase_add_test(tc, test_directions_are_independent);
	tcase_add_test(tc, test_null_handles_are_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("wrap");
	tcase_add_test(tc, test_frame_round_trips_at_every_offset);
	tcase_add_test(tc, test_large_payload_round_trips_at_every_alignment);
	tcase_add_test(tc, test_batch_crosses_the_end_in_order);
	tcase_add_test(tc, test_reserve_across_end_then_abort_leaves_ring_usable);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("doorbell");
	tcase_add_test(tc, test_prepare_wait_on_empty_ring_announces_sleep);
	tcase_add_test(tc, test_prepare_wait_with_frames_queued_refuses_sleep);
	tcase_add_test(tc, test_doorbell_protocol_loses_no_wakeup_across_processes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_reader_rejects_producer_ahead_by_more_than_capacity);
	tcase_add_test(tc, test_reader_rejects_producer_behind_consumer);
	tcase_add_test(tc, test_reader_rejects_misaligned_producer);
	tcase_add_test(tc, test_reader_rejects_length_over_max_frame);
	tcase_add_test(tc, test_reader_rejects_length_past_published_bytes);
	tcase_add_test(tc, test_reader_rejects_frame_crossing_end_of_area);
	tcase_add_test(tc, test_reader_rejects_misplaced_wrap_markers);
	tcase_add_test(tc, test_reader_batch_returns_good_frames_before_corruption);
	tcase_add_test(tc, test_reader_batch_rejects_producer_moved_back_below_read_position);
	tcase_add_test(tc, test_writer_rejects_consumer_ahead_of_producer);
	tcase_add_test(tc, test_reader_survives_scribbling_peer);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("stress");
	tcase_add_test(tc, test_two_processes_exchange_millions_of_frames_intact);
	tcase_set_timeout(tc, 180);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_add_test(tc, test_two_threads_exchange_frames_without_data_race);
	tcase_add_test(tc, test_two_threads_doorbell_loses_no_wakeup);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
