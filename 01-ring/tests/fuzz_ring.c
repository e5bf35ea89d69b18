/*
 * fuzz_ring.c — libFuzzer target of layer 01-ring: the runner's side of a
 * ring whose shared bytes are whatever the fuzzer (playing the pod) wrote.
 *
 * Layer 01-ring. Builds on libring's sources (compiled in with ASan, UBSan
 * and -fsanitize=fuzzer) and the private layout in src/ring_layout.h.
 * Run by `make -C 01-ring fuzz` for $(FUZZ_SECONDS) seconds.
 *
 * Input: [u64 prod][u64 cons][u32 capacity][u32 version][data...]. The
 * values go into the TO_RUNNER counters, the header and the data area (laid
 * out from the consumer's offset on) of a real object; the runner then attaches (validation of header and counters)
 * and calls every consumer entry point until the ring reports empty or
 * corrupt, and writes into TO_POD whose consumer counter is also hostile. Any
 * access outside the mapping faults on the guard pages or trips ASan; a
 * returned length or pointer outside the rules traps.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"
#include "ring_layout.h"

#define CAP 4096u

static ring_shm_t *object;

static void check(int cond)
{
	if (!cond)
		__builtin_trap();
}

/* Drain the runner's incoming ring with every consumer call in turn. */
static void drain(ring_t *r, unsigned seed)
{
	static uint8_t buf[CAP];
	uint32_t lens[8];
	const void *p;
	for (unsigned i = 0; i < 64; i++) {
		int ret;
		switch ((seed + i) % 3) {
		case 0:
			ret = ring_read(r, buf, sizeof(buf));
			break;
		case 1:
			ret = ring_peek(r, &p);
			if (ret >= 0) {
				check((const uint8_t *)p >= r->data &&
				      (const uint8_t *)p + ret <= r->data + CAP);
				memcpy(buf, p, (size_t)ret);
				ring_release(r);
			}
			break;
		default:
			ret = ring_read_batch(r, buf, sizeof(buf), lens, 8);
			ret = ret == 0 ? -EAGAIN : ret;
			break;
		}
		check(ret == -EAGAIN || ret == -EPROTO ||
		      (ret >= 0 && (uint32_t)ret <= ring_max_frame(r)));
		if (ret < 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct {
		uint64_t prod, cons;
		uint32_t capacity, version;
	} h;
	ring_shm_t *view = NULL;

	if (!object && ring_shm_create(CAP, &object) < 0)
		abort();
	ring_shm_unlink(object);
	if (size < sizeof(h))
		return 0;
	memcpy(&h, in, sizeof(h));

	/* 1. the pod writes the header, both counters of TO_RUNNER and its data */
	struct ring_hdr *hdr =
	    (struct ring_hdr *)(ring_shm_ring(object, RING_DIR_TO_POD)->data - RING_HDR_SIZE);
	uint8_t *data = ring_shm_ring(object, RING_DIR_TO_RUNNER)->data;
	memset(&hdr->ring, 0, sizeof(hdr->ring));
	uint64_t cons = h.cons & 0xfff8;
	/* mostly near the consumer (the interesting range), sometimes anything */
	hdr->ring[RING_DIR_TO_RUNNER].prod = h.prod >> 63 ? h.prod : cons + (h.prod & 0x1fff);
	hdr->ring[RING_DIR_TO_RUNNER].cons = cons;
	hdr->capacity = (h.capacity & 0xff) == 0 ? h.capacity : CAP;
	hdr->version = (h.version & 0xff) == 0 ? h.version : RING_VERSION;
	/* the data, laid out from where the runner starts reading */
	memset(data, 0, CAP);
	for (size_t i = 0; i < size - sizeof(h) && i < CAP; i++)
		data[(cons + i) & (CAP - 1)] = in[sizeof(h) + i];

	/* 2. the runner attaches (validation) and reads everything it can */
	if (ring_shm_attach_fd(ring_shm_fd(object), &view) == 0) {
		ring_t *rx = ring_shm_ring(view, RING_DIR_TO_RUNNER),
		       *tx = ring_shm_ring(view, RING_DIR_TO_POD);
		int64_t used = ring_used(rx);
		check(used == -EPROTO || (used >= 0 && used <= CAP));
		check(ring_prepare_wait(rx) >= -EPROTO);
		drain(rx, (unsigned)h.version);
		/* 3. and writes until full or corrupt: the consumer counter is the pod's */
		hdr->ring[RING_DIR_TO_POD].cons = h.cons >> 16;
		for (unsigned i = 0; i < 64; i++) {
			int ret = ring_write(tx, data, (uint32_t)(i * 37) % ring_max_frame(tx));
			check(ret == 0 || ret == -EAGAIN || ret == -EPROTO);
			if (ret)
				break;
		}
		ring_shm_destroy(view);
	}
	/* restore a valid header for the next input */
	hdr->capacity = CAP;
	hdr->version = RING_VERSION;
	return 0;
}
