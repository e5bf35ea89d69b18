/*
 * relay.h — records shared by relay.bpf.c (kernel) and sockmap.c (loader).
 *
 * Layer 05 (proxy), benchmark only.
 */
#ifndef PX_RELAY_H
#define PX_RELAY_H

/* One relayed socket (value of relay_peers, keyed by its socket cookie). */
struct relay_peer {
	__u32 peer_slot; /* index of the other socket in relay_socks */
	__u32 pad;
	__u64 bytes;   /* payload redirected to the peer's egress */
	__u64 dropped; /* payload the redirect refused (peer gone) */
};

#endif
