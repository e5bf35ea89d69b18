/*
 * peer_spsc.cpp — the peer queue of 01-ring's benchmark: Boost.Lockfree's
 * spsc_queue (Debian's libboost-dev), placed in a shared mapping so that a
 * forked consumer uses it exactly as the ring is used (cross-process).
 *
 * Layer 01-ring, bench. Builds on Boost.Lockfree (header-only). Used by
 * bench_ring.c through the C functions below. Elements are fixed-size
 * messages of the case's size; capacity is 1 MiB of elements, like the ring.
 */
#include <boost/lockfree/spsc_queue.hpp>

#include <cstdint>
#include <cstring>
#include <new>
#include <sys/mman.h>

#include "peer_spsc.h"

namespace
{

constexpr size_t kBytes = 1u << 20;

template <uint32_t S> struct Msg {
	uint8_t b[S];
};

template <uint32_t S>
using Queue = boost::lockfree::spsc_queue<Msg<S>, boost::lockfree::capacity<kBytes / S>>;

template <uint32_t S> void *create()
{
	void *m = mmap(nullptr, sizeof(Queue<S>), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return nullptr;
	auto *q = new (m) Queue<S>();
	if (!q->is_lock_free()) { /* its indexes must be plain atomics to work across processes */
		q->~Queue<S>();
		munmap(m, sizeof(Queue<S>));
		return nullptr;
	}
	return q;
}

template <uint32_t S> void destroy(void *q)
{
	static_cast<Queue<S> *>(q)->~Queue<S>();
	munmap(q, sizeof(Queue<S>));
}

template <uint32_t S> unsigned push(void *q, const void *src, unsigned count)
{
	auto *qq = static_cast<Queue<S> *>(q);
	auto *m = static_cast<const Msg<S> *>(src);
	if (count == 1)
		return qq->push(*m) ? 1 : 0;
	return (unsigned)qq->push(m, count);
}

template <uint32_t S> unsigned pop(void *q, void *dst, unsigned count)
{
	auto *qq = static_cast<Queue<S> *>(q);
	auto *m = static_cast<Msg<S> *>(dst);
	if (count == 1)
		return qq->pop(*m) ? 1 : 0;
	return (unsigned)qq->pop(m, count);
}

} // namespace

/* One instantiation per message size of the benchmark. */
#define SIZES(X) X(16) X(64) X(1024) X(65536)

extern "C" void *spsc_create(uint32_t size)
{
#define X(S)                                                                                       \
	if (size == S)                                                                             \
		return create<S>();
	SIZES(X)
#undef X
	return nullptr;
}

extern "C" void spsc_destroy(void *q, uint32_t size)
{
	if (!q)
		return;
#define X(S)                                                                                       \
	if (size == S)                                                                             \
		destroy<S>(q);
	SIZES(X)
#undef X
}

extern "C" unsigned spsc_push(void *q, uint32_t size, const void *src, unsigned count)
{
#define X(S)                                                                                       \
	if (size == S)                                                                             \
		return push<S>(q, src, count);
	SIZES(X)
#undef X
	return 0;
}

extern "C" unsigned spsc_pop(void *q, uint32_t size, void *dst, unsigned count)
{
#define X(S)                                                                                       \
	if (size == S)                                                                             \
		return pop<S>(q, dst, count);
	SIZES(X)
#undef X
	return 0;
}
