/*
 * ring_layout.h — private: the bytes of a ring_shm object and the private
 * handles that sit in front of it.
 *
 * Layer 01-ring. Builds on nothing but C11 atomics (GCC __atomic builtins).
 * Used by src/shm.c (create/attach/validate) and src/ring.c (the data path);
 * tests include it to corrupt the shared header on purpose. Nothing outside
 * 01-ring may depend on it: the wire format is described in README.md.
 *
 * The object, offsets from its start (every number little-endian, native):
 *
 *   0      struct ring_hdr   (RING_HDR_SIZE = 4096 bytes, one page)
 *            line 0     magic, version, capacity, data_offset      (immutable)
 *            ring[0]    prod | cons | waiting, 128 bytes apart      (RING_DIR_TO_POD)
 *            ring[1]    prod | cons | waiting                       (RING_DIR_TO_RUNNER)
 *   4096   data area of ring 0   (capacity bytes)
 *   4096+capacity  data area of ring 1   (capacity bytes)
 *
 * Frame inside a data area (at offset pos & (capacity - 1), always 8-aligned):
 *
 *   [u32 length][payload: length bytes][0..7 bytes padding to the next 8]
 *
 * Wrap-around (the documented choice): a frame is never split. When the frame
 * does not fit between its offset and the end of the data area, the producer
 * writes the wrap marker RING_WRAP (0xffffffff) as the length word there and
 * the frame starts at offset 0; the marker's "frame" covers the rest of the
 * area. Payloads are therefore always contiguous (zero-copy reserve/peek).
 */
#ifndef POD_RING_LAYOUT_H
#define POD_RING_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "ring.h"

#define RING_MAGIC 0x31474e4952444f50ull /* "PODRING1" read as little-endian bytes */
#define RING_VERSION 1u
#define RING_HDR_SIZE 4096u
/* Length word meaning "skip to offset 0 of the data area". */
#define RING_WRAP 0xffffffffu
/* Bytes of the length word in front of every payload. */
#define RING_LEN_BYTES 4u
/*
 * Distance between fields written by different sides. Cache lines are 64
 * bytes, but x86 cores also prefetch the adjacent line of a pair, so a field
 * that shares a 128-byte pair with the peer's field still ping-pongs. 128
 * bytes keeps each counter alone in its pair.
 */
#define RING_LINE 128

/*
 * The shared part of one ring. Everything here may be written by a hostile
 * peer at any time: a reader loads each field exactly once (an __atomic load)
 * and validates the value before using it.
 */
struct ring_ctl {
	/*
	 * Bytes ever produced (free-running, never masked). Written only by the
	 * producer, with a release store after the frames it covers are fully
	 * written; read by the consumer with an acquire load, so the frame
	 * bytes are visible once the counter is. Always a multiple of 8.
	 */
	_Alignas(RING_LINE) uint64_t prod;
	/*
	 * Bytes ever consumed. Written only by the consumer, with a release
	 * store after it finished reading the frames it covers (so the producer
	 * cannot overwrite bytes still being copied out); read by the producer
	 * with an acquire load. Invariant: 0 <= prod - cons <= capacity.
	 */
	_Alignas(RING_LINE) uint64_t cons;
	/*
	 * "The consumer is about to sleep on the doorbell" (0 or 1). Set by the
	 * consumer in ring_prepare_wait(), cleared by whichever side acts on it.
	 * Alone on its line: the producer reads it after every publish, and
	 * that must not pull the consumer's counter line across.
	 * See ring.c for the seq_cst fence argument (no lost wake-up).
	 */
	_Alignas(RING_LINE) uint32_t waiting;
};

/* The header page. Line 0 is written once by the creator before anyone attaches. */
struct ring_hdr {
	uint64_t magic;       /* RING_MAGIC */
	uint32_t version;     /* RING_VERSION */
	uint32_t capacity;    /* data bytes per ring, power of two */
	uint32_t data_offset; /* RING_HDR_SIZE: where ring 0's data starts */
	struct ring_ctl ring[2];
};

/* The wire format: these offsets are what another implementation must use. */
_Static_assert(sizeof(struct ring_hdr) <= RING_HDR_SIZE, "header must fit its page");
_Static_assert(offsetof(struct ring_hdr, capacity) == 12, "capacity at 12");
_Static_assert(offsetof(struct ring_hdr, ring[0].prod) == 128, "TO_POD prod at 128");
_Static_assert(offsetof(struct ring_hdr, ring[0].cons) == 256, "TO_POD cons at 256");
_Static_assert(offsetof(struct ring_hdr, ring[0].waiting) == 384, "TO_POD waiting at 384");
_Static_assert(offsetof(struct ring_hdr, ring[1].prod) == 512, "TO_RUNNER prod at 512");
_Static_assert(offsetof(struct ring_hdr, ring[1].cons) == 640, "TO_RUNNER cons at 640");
_Static_assert(offsetof(struct ring_hdr, ring[1].waiting) == 768, "TO_RUNNER waiting at 768");

/*
 * One direction as seen from this process (private memory, never shared).
 * The producer half and the consumer half sit on separate lines so that two
 * threads of one process (the TSan test) can drive both ends without false
 * sharing. Each half is touched only by the side that owns it, except the
 * `used_as_*` flags and the private `prod`/`cons`, which ring_used()/ring_free()
 * may read from the other side's thread (relaxed atomic loads; the owner stores
 * them with relaxed atomic stores).
 */
struct ring {
	struct ring_ctl *ctl; /* shared counters of this direction */
	uint8_t *data;        /* shared data area: [data, data + cap) */
	uint32_t cap;         /* trusted copy, validated at create/attach */
	uint32_t mask;        /* cap - 1 */
	uint32_t max_frame;   /* min(cap / 4, RING_MAX_FRAME_LIMIT) */

	/* Producer half. `prod` is the truth; the shared ctl->prod is only a copy. */
	_Alignas(RING_LINE) uint64_t prod;
	uint64_t cons_cache; /* last validated ctl->cons: prod - cons_cache <= cap */
	uint64_t res_pos;    /* open reservation: where its length word goes */
	uint64_t res_start;  /* prod before the reservation (abort goes back here) */
	uint32_t res_len;    /* the reserved payload length */
	uint8_t res_open;
	uint8_t used_as_producer;

	/* Consumer half. `cons` is the truth; the shared ctl->cons is only a copy. */
	_Alignas(RING_LINE) uint64_t cons;
	uint64_t prod_cache; /* last validated ctl->prod: prod_cache - cons <= cap */
	uint64_t peek_next;  /* cons after the frame returned by ring_peek() */
	uint8_t peek_open;
	uint8_t used_as_consumer;
};

/* Set up the private handle of ring @p dir of a mapped, validated object. */
int ringpriv_init(struct ring *r, struct ring_hdr *hdr, uint32_t cap, enum ring_dir dir);

#endif /* POD_RING_LAYOUT_H */
