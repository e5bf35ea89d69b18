/*
 * peer_spsc.h — C view of the benchmark's peer queue (Boost.Lockfree
 * spsc_queue in a shared mapping, peer_spsc.cpp).
 *
 * Layer 01-ring, bench. Message sizes 16, 64, 1024 and 65536 bytes.
 */
#ifndef PEER_SPSC_H
#define PEER_SPSC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A queue of 1 MiB of @p size-byte messages in a MAP_SHARED mapping (inherited by fork); NULL: unsupported size. */
void *spsc_create(uint32_t size);
void spsc_destroy(void *q, uint32_t size);
/* Up to @p count messages from @p src (packed); returns how many went. */
unsigned spsc_push(void *q, uint32_t size, const void *src, unsigned count);
/* Up to @p count messages into @p dst (packed); returns how many came. */
unsigned spsc_pop(void *q, uint32_t size, void *dst, unsigned count);

#ifdef __cplusplus
}
#endif

#endif
