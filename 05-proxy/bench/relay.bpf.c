// SPDX-License-Identifier: GPL-2.0
/*
 * relay.bpf.c — the kernel side of the benchmark's sockmap relay (sockmap.c).
 *
 * Layer 05 (proxy), benchmark only. Both sockets of a tunnel sit in relay_socks; each one's
 * socket cookie maps, in relay_peers, to the slot of the other socket and to
 * the bytes relayed so far. The stream verdict program runs for every skb the
 * kernel receives on a relayed socket and redirects it to the peer socket's
 * egress: the payload never reaches user space.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "relay.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2); /* set by the loader: 2 per pair */
	__type(key, __u32);
	__type(value, __u64);
} relay_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2); /* set by the loader */
	__type(key, __u64);     /* socket cookie of the receiving socket */
	__type(value, struct relay_peer);
} relay_peers SEC(".maps");

SEC("sk_skb/stream_verdict")
int relay_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct relay_peer *p = bpf_map_lookup_elem(&relay_peers, &cookie);
	if (!p)
		return SK_DROP;
	__u32 len = skb->len;
	if (!len)
		return SK_DROP; /* a bare FIN: user space relays the half-close */
	long r = bpf_sk_redirect_map(skb, &relay_socks, p->peer_slot, 0);
	if (r == SK_PASS)
		__sync_fetch_and_add(&p->bytes, len);
	else
		__sync_fetch_and_add(&p->dropped, len);
	return r;
}

char LICENSE[] SEC("license") = "GPL";
