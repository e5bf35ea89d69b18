/*
 * ring.c — the data path of one single-producer/single-consumer byte ring:
 * frames in (write, reserve/commit, batch), frames out (read, peek/release,
 * batch), sizes, and the consumer-is-waiting protocol for 02-ipc's doorbell.
 *
 * Layer 01-ring. Builds on the mapping made by src/shm.c and the layout in
 * src/ring_layout.h. Used by 02-ipc (C, and Python/Bun through libring.so) and
 * 07-runner.
 *
 * Trust model. Each side keeps its own counter privately (r->prod for the
 * producer, r->cons for the consumer) and only *copies* it into shared memory
 * to publish it; it never reads its own counter back. The peer's counter and
 * every length word are read exactly once with an __atomic load (so the
 * compiler cannot re-read a value after it was checked) and checked:
 *
 *   consumer:  prod - cons <= cap, prod % 8 == 0, length <= max_frame,
 *              frame within the published bytes, frame not crossing the end
 *   producer:  prod - cons <= cap, cons % 8 == 0
 *
 * (unsigned 64-bit subtraction, so "prod behind cons" shows up as a huge
 * difference and fails the same test). Any failure is -EPROTO. All pointers
 * into the data area are computed from masked, bounded offsets, so no input
 * can move an access outside [data, data + cap).
 *
 * Speed. Each side caches the last validated value of the peer's counter
 * (r->cons_cache, r->prod_cache) and touches the peer's cache line only when
 * the cached value says "full" or "empty": in steady streaming the two cores
 * exchange counter lines once per many frames instead of once per frame.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ring.h"
#include "ring_layout.h"

/* Bytes a frame of @p len payload bytes takes in the data area (8-aligned). */
static inline uint32_t frame_bytes(uint32_t len)
{
	return (RING_LEN_BYTES + len + 7u) & ~7u; /* len <= 16 MiB: no overflow */
}

/*
 * Copy a payload into or out of the ring. A frame's payload starts 4 bytes
 * after its length word, so its address modulo 4 KiB moves from frame to
 * frame. When the destination lies 1 to 31 bytes past the source modulo
 * 4 KiB, a forward copy keeps loading from addresses whose low 12 bits match
 * stores it has just issued ("4K aliasing"): the CPU cannot tell them apart
 * in time and stalls each load. glibc's memcpy (rep movsb at these sizes)
 * fell from about 40 GB/s to under 3 GB/s for a 64 KiB copy at distances
 * 4 to 12 on the machine of the benchmark, i.e. on one frame of 15 in a
 * stream of 64 KiB frames. Copied backwards, in 64-byte blocks, the loads
 * move away from the recent stores instead of into them: about 24 GB/s at
 * every distance. Small copies are too short to stall.
 */
#define ALIAS_COPY_MIN 1024u
static void copy_payload(void *dst, const void *src, size_t len)
{
	uintptr_t dist = ((uintptr_t)dst - (uintptr_t)src) & 4095u;
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (len < ALIAS_COPY_MIN || dist == 0 || dist >= 32) {
		memcpy(dst, src, len);
		return;
	}
	while (len >= 64) {
		uint8_t block[64];

		len -= 64;
		memcpy(block, s + len, 64);
		memcpy(d + len, block, 64);
	}
	memcpy(d, s, len);
}

/*
 * Remember that this handle has been used as producer (or consumer):
 * ring_used() then trusts that side's private counter instead of the shared
 * copy. Relaxed atomics: the other side's thread may read the flag.
 */
static inline void mark(uint8_t *flag)
{
	if (!__atomic_load_n(flag, __ATOMIC_RELAXED))
		__atomic_store_n(flag, 1, __ATOMIC_RELAXED);
}

int ringpriv_init(struct ring *r, struct ring_hdr *hdr, uint32_t cap, enum ring_dir dir)
{
	struct ring_ctl *ctl = &hdr->ring[dir];
	/* Start from the shared counters as they are now (0 for a new object). */
	uint64_t prod = __atomic_load_n(&ctl->prod, __ATOMIC_ACQUIRE);
	uint64_t cons = __atomic_load_n(&ctl->cons, __ATOMIC_ACQUIRE);

	memset(r, 0, sizeof(*r));
	if (prod - cons > cap || (prod & 7) || (cons & 7))
		return -EPROTO;
	r->ctl = ctl;
	r->data = (uint8_t *)hdr + RING_HDR_SIZE + (size_t)dir * cap;
	r->cap = cap;
	r->mask = cap - 1;
	r->max_frame = cap / 4 < RING_MAX_FRAME_LIMIT ? cap / 4 : RING_MAX_FRAME_LIMIT;
	r->prod = r->prod_cache = prod;
	r->cons = r->cons_cache = cons;
	return 0;
}

uint32_t ring_max_frame(const ring_t *r)
{
	return r ? r->max_frame : 0;
}

/* ---- producer side --------------------------------------------------- */

/*
 * Move the producer's private counter. Only the producer thread writes it (and
 * may read it plainly), but ring_used() on the consumer's thread of the same
 * handle reads it: a relaxed atomic store makes that read race-free (a plain
 * mov on x86). The value it sees is never behind a prod the consumer acquired.
 */
static inline void prod_set(struct ring *r, uint64_t prod)
{
	__atomic_store_n(&r->prod, prod, __ATOMIC_RELAXED);
}

/*
 * Make sure @p need bytes are free after r->prod. Looks at the shared consumer
 * counter only when the cached one is not enough.
 * @return 0, -EAGAIN (not enough room now), -EPROTO (counter out of range).
 */
static int prod_room(struct ring *r, uint64_t need)
{
	if (r->cap - (r->prod - r->cons_cache) >= need)
		return 0;
	/*
	 * Acquire: pairs with the consumer's release store of cons. Everything
	 * the consumer did before (copying frames out) happened before we
	 * overwrite those bytes.
	 */
	uint64_t cons = __atomic_load_n(&r->ctl->cons, __ATOMIC_ACQUIRE);
	if (r->prod - cons > r->cap || (cons & 7))
		return -EPROTO;
	r->cons_cache = cons;
	return r->cap - (r->prod - cons) >= need ? 0 : -EAGAIN;
}

/*
 * Find room for a frame of @p len bytes at r->prod, writing the wrap marker
 * when it must start over at offset 0. Does not move r->prod.
 * @return 0 with *@p pos = counter value of the frame's length word, or
 *         -EMSGSIZE, -EAGAIN, -EPROTO.
 */
static int prod_place(struct ring *r, uint32_t len, uint64_t *pos)
{
	if (len > r->max_frame)
		return -EMSGSIZE;
	uint32_t off = (uint32_t)(r->prod & r->mask);
	uint32_t tail = r->cap - off; /* >= 8: off is 8-aligned and < cap */
	uint32_t bytes = frame_bytes(len);
	uint64_t skip = bytes <= tail ? 0 : tail;
	int ret = prod_room(r, skip + bytes);
	if (ret < 0)
		return ret;
	/* Unpublished bytes: the consumer will not look before our release store. */
	if (skip)
		memcpy(r->data + off, &(uint32_t){ RING_WRAP }, RING_LEN_BYTES);
	*pos = r->prod + skip;
	return 0;
}

/* Write a frame's length word and payload at counter @p pos; return the end. */
static uint64_t put_frame(struct ring *r, uint64_t pos, const void *buf, uint32_t len)
{
	uint8_t *p = r->data + (pos & r->mask);
	memcpy(p, &len, RING_LEN_BYTES);
	if (len)
		copy_payload(p + RING_LEN_BYTES, buf, len);
	return pos + frame_bytes(len);
}

/*
 * Make everything up to r->prod visible to the consumer. Release: the length
 * words and payloads written before are visible to a consumer that reads this
 * value with an acquire load.
 */
static inline void prod_publish(struct ring *r)
{
	__atomic_store_n(&r->ctl->prod, r->prod, __ATOMIC_RELEASE);
}

int ring_write(ring_t *r, const void *buf, uint32_t len)
{
	uint64_t pos;
	int ret;

	if (!r || (len && !buf))
		return -EINVAL;
	if (r->res_open)
		return -EBUSY;
	mark(&r->used_as_producer);
	if ((ret = prod_place(r, len, &pos)) < 0)
		return ret;
	prod_set(r, put_frame(r, pos, buf, len));
	prod_publish(r);
	return 0;
}

int ring_write_batch(ring_t *r, const struct iovec *frames, unsigned n)
{
	unsigned i;
	int ret = 0;

	if (!r || (n && !frames))
		return -EINVAL;
	if (r->res_open)
		return -EBUSY;
	mark(&r->used_as_producer);
	for (i = 0; i < n; i++) {
		uint64_t pos;
		if (frames[i].iov_len > UINT32_MAX) {
			ret = -EMSGSIZE;
			break;
		}
		if (frames[i].iov_len && !frames[i].iov_base) {
			ret = -EINVAL;
			break;
		}
		if ((ret = prod_place(r, (uint32_t)frames[i].iov_len, &pos)) < 0)
			break;
		prod_set(r, put_frame(r, pos, frames[i].iov_base, (uint32_t)frames[i].iov_len));
	}
	if (i == 0)
		return ret == -EAGAIN ? 0 : ret;
	prod_publish(r); /* one release store for the whole batch */
	return (int)i;
}

int ring_reserve(ring_t *r, uint32_t len, void **payload)
{
	uint64_t pos;
	int ret;

	if (!r || !payload)
		return -EINVAL;
	if (r->res_open)
		return -EBUSY;
	mark(&r->used_as_producer);
	if ((ret = prod_place(r, len, &pos)) < 0)
		return ret;
	r->res_pos = pos;
	r->res_len = len;
	r->res_open = 1;
	*payload = r->data + (pos & r->mask) + RING_LEN_BYTES;
	return 0;
}

int ring_commit(ring_t *r, uint32_t len)
{
	if (!r || !r->res_open)
		return -EINVAL;
	if (len > r->res_len)
		return -EMSGSIZE;
	uint8_t *p = r->data + (r->res_pos & r->mask);
	memcpy(p, &len, RING_LEN_BYTES);
	prod_set(r, r->res_pos + frame_bytes(len));
	r->res_open = 0;
	prod_publish(r);
	return 0;
}

void ring_abort(ring_t *r)
{
	/* r->prod never moved: the reserved bytes (and a wrap marker) stay unpublished. */
	if (r)
		r->res_open = 0;
}

/* ---- consumer side --------------------------------------------------- */

/*
 * Load the shared producer counter (acquire: pairs with the producer's
 * release store, so the frames it covers are fully visible) and validate it
 * against our own position r->cons and the read position @p pos (>= r->cons).
 */
static int cons_refresh(struct ring *r, uint64_t pos)
{
	uint64_t prod = __atomic_load_n(&r->ctl->prod, __ATOMIC_ACQUIRE);
	if (prod - r->cons > r->cap || (prod & 7) || pos - r->cons > prod - r->cons)
		return -EPROTO;
	r->prod_cache = prod;
	return 0;
}

/*
 * Locate the frame starting at counter @p pos (r->cons <= pos <= prod_cache).
 * Reads the length word once and checks it; skips a wrap marker.
 * @return the payload length with *@p at = counter of its length word, or
 *         -EAGAIN (nothing published), -EPROTO (corrupt).
 */
static int cons_locate(struct ring *r, uint64_t pos, uint64_t *at)
{
	int ret;
	uint64_t avail = r->prod_cache - pos;
	if (avail == 0) {
		if ((ret = cons_refresh(r, pos)) < 0)
			return ret;
		if ((avail = r->prod_cache - pos) == 0)
			return -EAGAIN;
	}
	uint32_t off = (uint32_t)(pos & r->mask);
	uint32_t len = __atomic_load_n((uint32_t *)(r->data + off), __ATOMIC_RELAXED);
	if (len == RING_WRAP) {
		/*
		 * The rest of the area is skipped. A marker at offset 0 makes no
		 * sense (a frame that fits nowhere) and a marker must be followed
		 * by a published frame (the producer publishes both together).
		 */
		uint32_t skip = r->cap - off;
		if (off == 0 || skip >= avail)
			return -EPROTO;
		pos += skip;
		avail -= skip;
		off = 0;
		len = __atomic_load_n((uint32_t *)r->data, __ATOMIC_RELAXED);
	}
	/* RING_WRAP again (or any huge value) fails here. */
	if (len > r->max_frame || frame_bytes(len) > avail || frame_bytes(len) > r->cap - off)
		return -EPROTO;
	*at = pos;
	return (int)len;
}

/*
 * Hand the bytes up to @p next back to the producer. Release: our copies out
 * of those bytes happen before the producer, after its acquire load of cons,
 * may overwrite them.
 */
static inline void cons_publish(struct ring *r, uint64_t next)
{
	/* private counter: relaxed atomic for ring_used() on the producer's thread (see prod_set) */
	__atomic_store_n(&r->cons, next, __ATOMIC_RELAXED);
	__atomic_store_n(&r->ctl->cons, next, __ATOMIC_RELEASE);
}

static inline const uint8_t *payload_at(const struct ring *r, uint64_t at)
{
	return r->data + (at & r->mask) + RING_LEN_BYTES;
}

int ring_read(ring_t *r, void *buf, uint32_t cap)
{
	uint64_t at;
	int len;

	if (!r || (cap && !buf))
		return -EINVAL;
	mark(&r->used_as_consumer);
	r->peek_open = 0;
	if ((len = cons_locate(r, r->cons, &at)) < 0)
		return len;
	if ((uint32_t)len > cap)
		return -EMSGSIZE;
	if (len)
		copy_payload(buf, payload_at(r, at), (size_t)len);
	cons_publish(r, at + frame_bytes((uint32_t)len));
	return len;
}

int ring_read_batch(ring_t *r, void *buf, size_t cap, uint32_t *lens, unsigned n)
{
	uint8_t *out = buf;
	size_t used = 0;
	uint64_t pos, at;
	unsigned i;
	int len = 0;

	if (!r || (cap && !buf) || (n && !lens))
		return -EINVAL;
	mark(&r->used_as_consumer);
	r->peek_open = 0;
	for (i = 0, pos = r->cons; i < n; i++) {
		if ((len = cons_locate(r, pos, &at)) < 0)
			break;
		if ((size_t)len > cap - used) {
			len = -EMSGSIZE;
			break;
		}
		if (len)
			copy_payload(out + used, payload_at(r, at), (size_t)len);
		used += (size_t)len;
		lens[i] = (uint32_t)len;
		pos = at + frame_bytes((uint32_t)len);
	}
	if (i == 0)
		return len == -EAGAIN ? 0 : len;
	cons_publish(r, pos); /* one release store for the whole batch */
	return (int)i;
}

int ring_peek(ring_t *r, const void **payload)
{
	uint64_t at;
	int len;

	if (!r || !payload)
		return -EINVAL;
	mark(&r->used_as_consumer);
	r->peek_open = 0;
	if ((len = cons_locate(r, r->cons, &at)) < 0)
		return len;
	*payload = payload_at(r, at);
	r->peek_next = at + frame_bytes((uint32_t)len);
	r->peek_open = 1;
	return len;
}

void ring_release(ring_t *r)
{
	if (!r || !r->peek_open)
		return;
	r->peek_open = 0;
	cons_publish(r, r->peek_next);
}

/* ---- sizes ------------------------------------------------------------ */

/*
 * The bytes between the two counters. A side trusts its own private counter
 * when this handle has been used for that side, and reads the shared copy
 * (once, validated) otherwise.
 */
int64_t ring_used(ring_t *r)
{
	if (!r)
		return -EINVAL;
	uint64_t prod = __atomic_load_n(&r->used_as_producer, __ATOMIC_RELAXED)
			    ? __atomic_load_n(&r->prod, __ATOMIC_RELAXED)
			    : __atomic_load_n(&r->ctl->prod, __ATOMIC_ACQUIRE);
	uint64_t cons = __atomic_load_n(&r->used_as_consumer, __ATOMIC_RELAXED)
			    ? __atomic_load_n(&r->cons, __ATOMIC_RELAXED)
			    : __atomic_load_n(&r->ctl->cons, __ATOMIC_ACQUIRE);
	if (prod - cons > r->cap || (prod & 7) || (cons & 7))
		return -EPROTO;
	return (int64_t)(prod - cons);
}

int64_t ring_free(ring_t *r)
{
	int64_t used = ring_used(r);
	return used < 0 ? used : (int64_t)r->cap - used;
}

/* ---- the waiting word: sleeping without lost wake-ups ------------------
 *
 * The consumer wants to block until the producer sends a doorbell (02-ipc);
 * the producer wants to send a doorbell only when someone sleeps. The classic
 * lost wake-up: the consumer sees "empty", the producer then publishes and
 * sees "nobody waiting", the consumer sleeps forever. The cure is a Dekker
 * pattern, each side storing its own flag and then loading the other's, with
 * a full (seq_cst) fence between the store and the load:
 *
 *   consumer (ring_prepare_wait)        producer (ring_write + ring_need_wakeup)
 *     waiting = 1                         prod = P            (release store)
 *     fence(seq_cst)                      fence(seq_cst)
 *     read prod: empty? -> sleep          read waiting: 1? -> doorbell
 *
 * Seq_cst fences are totally ordered. If the consumer's fence comes first, the
 * producer's load after its own fence must see waiting == 1 (the store before
 * the first fence is visible to a load after the second); otherwise the
 * producer's fence comes first and the consumer's load sees prod == P. So at
 * least one side sees the other: the consumer does not sleep, or the producer
 * rings. A release/acquire pair is not enough here: on x86 a store may sit in
 * the store buffer while the following load of another address completes
 * (store->load reordering), which is precisely the interleaving above; the
 * fence (MFENCE or a locked instruction) drains the store buffer.
 *
 * A hostile peer can only hurt itself with this word: a consumer that never
 * sets it gets no doorbells; one that always sets it costs the producer extra
 * doorbells, which 02-ipc rate-limits by design (one per sleep).
 */

int ring_prepare_wait(ring_t *r)
{
	int ret;

	if (!r)
		return -EINVAL;
	mark(&r->used_as_consumer);
	__atomic_store_n(&r->ctl->waiting, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* store waiting before load prod */
	if ((ret = cons_refresh(r, r->cons)) < 0) {
		__atomic_store_n(&r->ctl->waiting, 0, __ATOMIC_RELAXED);
		return ret;
	}
	if (r->prod_cache != r->cons) {
		__atomic_store_n(&r->ctl->waiting, 0, __ATOMIC_RELAXED);
		return 0;
	}
	return 1;
}

void ring_cancel_wait(ring_t *r)
{
	if (r)
		__atomic_store_n(&r->ctl->waiting, 0, __ATOMIC_RELAXED);
}

int ring_need_wakeup(ring_t *r)
{
	if (!r)
		return 0;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* store prod (published) before load waiting */
	if (__atomic_load_n(&r->ctl->waiting, __ATOMIC_RELAXED) == 0)
		return 0;
	/* Exchange: of two racing producers' calls only one would ring (SPSC: one caller). */
	return __atomic_exchange_n(&r->ctl->waiting, 0, __ATOMIC_RELAXED) != 0;
}
