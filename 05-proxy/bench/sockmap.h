/*
 * sockmap.h — a kernel-level tunnel relay (05-proxy's benchmark).
 *
 * Layer 05 (proxy), benchmark only. A pair of established TCP sockets is put into a BPF
 * sockmap whose stream verdict program (bench/relay.bpf.c) redirects every
 * received skb to the other socket's egress, counting the bytes per socket.
 */
#ifndef POD_PROXY_SOCKMAP_H
#define POD_PROXY_SOCKMAP_H

#include <stdint.h>

struct pxsm;

/* Load the program and maps for up to @p pairs relayed pairs. @return 0 or -errno
 * (-EPERM without CAP_BPF/CAP_NET_ADMIN, -EOPNOTSUPP if the kernel lacks sockmap). */
int pxsm_open(struct pxsm **out, uint32_t pairs);
/* Detach and free everything (sockets still paired are released by the kernel). */
void pxsm_close(struct pxsm *sm);
/* Relay established TCP sockets @p a and @p b to each other from now on.
 * Bytes already queued on either socket are relayed too. @return pair id >= 0 or -errno. */
int pxsm_pair(struct pxsm *sm, int a, int b);
/* Bytes relayed so far a -> b and b -> a. @return 0 or -errno. */
int pxsm_bytes(struct pxsm *sm, int pair, uint64_t *a2b, uint64_t *b2a);
/* Stop relaying (the sockets stay open, with their normal receive path). */
void pxsm_unpair(struct pxsm *sm, int pair);
/* Ids of the program and the two maps (tests check they are gone after close). */
void pxsm_ids(const struct pxsm *sm, uint32_t *prog, uint32_t *socks, uint32_t *peers);
/* 1 when none of these ids names a live program or map any more. */
int pxsm_gone(uint32_t prog, uint32_t socks, uint32_t peers);

#endif
