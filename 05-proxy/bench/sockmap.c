/*
 * sockmap.c — a kernel-level tunnel relay: loader and pair bookkeeping.
 *
 * Layer 05 (proxy), benchmark only: measured against the proxy's splice relay
 * (README, "Benchmark"), not used by the proxy. Builds on libbpf and the
 * skeleton of bench/relay.bpf.c.
 *
 * Pair p owns slots 2p and 2p+1 of relay_socks. Pairing writes both sockets'
 * relay_peers entries (keyed by SO_COOKIE) before the sockets enter the
 * sockmap, so the verdict program never sees a socket it cannot place. A
 * socket's stream verdict only runs when data arrives; bytes that were queued
 * before the socket entered the map are pushed through it by re-arming the
 * receive low-water mark (SO_RCVLOWAT makes TCP call the socket's data-ready
 * callback, now the verdict's, at once).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/types.h>

#include "relay.h"
#include "relay.skel.h"
#include "sockmap.h"

struct pxsm {
	struct relay *skel;
	uint32_t pairs;
	int attached;
	uint64_t *cookies; /* 2 per pair; 0 = slot free */
};

static int quiet_print(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	(void)l;
	(void)fmt;
	(void)ap;
	return 0;
}

int pxsm_open(struct pxsm **out, uint32_t pairs)
{
	struct pxsm *sm = calloc(1, sizeof(*sm));
	int r = -ENOMEM;
	*out = NULL;
	if (!sm || !pairs)
		goto fail;
	sm->pairs = pairs;
	sm->cookies = calloc(2 * (size_t)pairs, sizeof(uint64_t));
	if (!sm->cookies)
		goto fail;
	libbpf_print_fn_t old = libbpf_set_print(quiet_print);
	sm->skel = relay__open();
	r = sm->skel ? 0 : -errno;
	if (!r)
		r = bpf_map__set_max_entries(sm->skel->maps.relay_socks, 2 * pairs);
	if (!r)
		r = bpf_map__set_max_entries(sm->skel->maps.relay_peers, 2 * pairs);
	if (!r)
		r = relay__load(sm->skel);
	libbpf_set_print(old);
	if (r)
		goto fail;
	if (bpf_prog_attach(bpf_program__fd(sm->skel->progs.relay_verdict),
			    bpf_map__fd(sm->skel->maps.relay_socks), BPF_SK_SKB_STREAM_VERDICT,
			    0)) {
		r = -errno;
		goto fail;
	}
	sm->attached = 1;
	*out = sm;
	return 0;
fail:
	pxsm_close(sm);
	return r < 0 ? r : -EINVAL;
}

void pxsm_close(struct pxsm *sm)
{
	if (!sm)
		return;
	if (sm->skel) {
		if (sm->attached)
			bpf_prog_detach2(bpf_program__fd(sm->skel->progs.relay_verdict),
					 bpf_map__fd(sm->skel->maps.relay_socks),
					 BPF_SK_SKB_STREAM_VERDICT);
		relay__destroy(sm->skel);
	}
	free(sm->cookies);
	free(sm);
}

static int cookie_of(int fd, uint64_t *c)
{
	socklen_t l = sizeof(*c);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, c, &l) < 0)
		return -errno;
	return *c ? 0 : -EINVAL;
}

/* Push bytes already queued on @p fd through the (new) verdict program. */
static void kick(int fd)
{
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
}

int pxsm_pair(struct pxsm *sm, int a, int b)
{
	int socks = bpf_map__fd(sm->skel->maps.relay_socks);
	int peers = bpf_map__fd(sm->skel->maps.relay_peers);
	uint32_t p;
	for (p = 0; p < sm->pairs && sm->cookies[2 * p]; p++)
		;
	if (p == sm->pairs)
		return -ENOSPC;
	uint64_t ca, cb;
	int r = cookie_of(a, &ca);
	if (!r)
		r = cookie_of(b, &cb);
	if (r)
		return r;
	struct relay_peer pa = { .peer_slot = 2 * p + 1 }, pb = { .peer_slot = 2 * p };
	uint32_t ka = 2 * p, kb = 2 * p + 1;
	uint64_t fa = (uint64_t)a, fb = (uint64_t)b;
	if (bpf_map_update_elem(peers, &ca, &pa, BPF_NOEXIST) ||
	    bpf_map_update_elem(peers, &cb, &pb, BPF_NOEXIST)) {
		r = -errno;
		bpf_map_delete_elem(peers, &ca);
		return r;
	}
	sm->cookies[2 * p] = ca;
	sm->cookies[2 * p + 1] = cb;
	if (bpf_map_update_elem(socks, &ka, &fa, BPF_ANY) ||
	    bpf_map_update_elem(socks, &kb, &fb, BPF_ANY)) {
		r = -errno;
		pxsm_unpair(sm, (int)p);
		return r;
	}
	kick(a);
	kick(b);
	return (int)p;
}

int pxsm_bytes(struct pxsm *sm, int pair, uint64_t *a2b, uint64_t *b2a)
{
	int peers = bpf_map__fd(sm->skel->maps.relay_peers);
	struct relay_peer v;
	if (pair < 0 || (uint32_t)pair >= sm->pairs || !sm->cookies[2 * pair])
		return -EINVAL;
	if (bpf_map_lookup_elem(peers, &sm->cookies[2 * pair], &v))
		return -errno;
	*a2b = v.bytes;
	if (bpf_map_lookup_elem(peers, &sm->cookies[2 * pair + 1], &v))
		return -errno;
	*b2a = v.bytes;
	return 0;
}

void pxsm_unpair(struct pxsm *sm, int pair)
{
	int socks = bpf_map__fd(sm->skel->maps.relay_socks);
	int peers = bpf_map__fd(sm->skel->maps.relay_peers);
	if (pair < 0 || (uint32_t)pair >= sm->pairs || !sm->cookies[2 * pair])
		return;
	for (uint32_t i = 0; i < 2; i++) {
		uint32_t k = 2 * (uint32_t)pair + i;
		bpf_map_delete_elem(socks, &k); /* ENOENT when the socket was closed */
		bpf_map_delete_elem(peers, &sm->cookies[k]);
		sm->cookies[k] = 0;
	}
}

void pxsm_ids(const struct pxsm *sm, uint32_t *prog, uint32_t *socks, uint32_t *peers)
{
	struct bpf_prog_info pi;
	struct bpf_map_info mi;
	uint32_t l;
	memset(&pi, 0, sizeof(pi));
	l = sizeof(pi);
	*prog = bpf_obj_get_info_by_fd(bpf_program__fd(sm->skel->progs.relay_verdict), &pi, &l)
		    ? 0
		    : pi.id;
	memset(&mi, 0, sizeof(mi));
	l = sizeof(mi);
	*socks =
	    bpf_obj_get_info_by_fd(bpf_map__fd(sm->skel->maps.relay_socks), &mi, &l) ? 0 : mi.id;
	memset(&mi, 0, sizeof(mi));
	l = sizeof(mi);
	*peers =
	    bpf_obj_get_info_by_fd(bpf_map__fd(sm->skel->maps.relay_peers), &mi, &l) ? 0 : mi.id;
}

int pxsm_gone(uint32_t prog, uint32_t socks, uint32_t peers)
{
	int fd, left = 0;
	if (prog && (fd = bpf_prog_get_fd_by_id(prog)) >= 0) {
		close(fd);
		left++;
	}
	if (socks && (fd = bpf_map_get_fd_by_id(socks)) >= 0) {
		close(fd);
		left++;
	}
	if (peers && (fd = bpf_map_get_fd_by_id(peers)) >= 0) {
		close(fd);
		left++;
	}
	return !left;
}
