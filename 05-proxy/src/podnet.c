/*
 * podnet.c — the pod's network plumbing: veth, link-local /30, routes, nftables.
 *
 * Layer 05 (proxy). Builds on libnl-3 (route: links, addresses, routes) and
 * libnftables. Used by 07-runner (and by this layer's tests, which create
 * their own network namespaces). Independent of the proxy code: it only knows
 * the ports the proxy and DNS listen on, to let exactly those through.
 *
 *   runner netns                                  pod netns
 *   PREFIXn 169.254.B.1/30  <===== veth =====>  eth0 169.254.B.2/30
 *           fd70:6f64:7275:B::1/64                    fd70:6f64:7275:B::2/64
 *   forwarding 0 (v4, v6), no RA                 default via 169.254.B.1 (IPv4 only;
 *   table inet podh_PREFIXn (owner):               no IPv6 route beyond the /64)
 *     from the veth: proxy/DNS ports only        lo up
 *                                                table inet podnet:
 *                                                  out: lo ok; tcp -> B.1:{proxy,80,443,53} ok;
 *                                                       udp -> B.1:53 ok; tcp: reset; other: icmp reject
 *                                                  in:  lo ok; established/related ok; drop
 *                                                table ip podnat (only if the runner listens
 *                                                  on other ports): B.1:53 -> B.1:real, ...
 *
 * The peer is created directly inside the pod's netns (IFLA_NET_NS_FD on the
 * peer), so it never exists in the runner's namespace. Configuring the pod
 * side needs a netlink socket *inside* that namespace: a short-lived thread
 * calls setns(CLONE_NEWNET) (which changes only that thread), opens its
 * sockets there, does the work and exits; the runner's own threads never
 * change namespace.
 *
 * Blocks: the /30 for index i is 169.254.1.0 + 4*b, b = i, skipping the block
 * 169.254.169.252/30 that holds 169.254.169.254 (the cloud metadata address).
 * 169.254.0.0/24 and 169.254.255.0/24 are reserved (RFC 3927) and unused.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <nftables/libnftables.h>

#include "proxy.h"
#include "proxy_int.h"

#define METADATA_BLOCK 10815u /* (169-1)*64 + 252/4: the /30 holding .169.254 */
#define POD_IFNAME "eth0"

struct podnet {
	struct podnet_config cfg;
	uint32_t index;
	char ifname[IFNAMSIZ];
	struct in_addr runner, pod;    /* network byte order */
	struct in6_addr runner6, pod6; /* PODNET_ULA_PREFIX:<block>::1 and ::2 */
	int attached;
	int v6; /* IPv6 on the veth (the kernel has it) */
	char envbuf[6][96];
	const char *env[7];
	char resolv[256];
	char err[256];                 /* last nftables error text, for debugging */
	struct nft_ctx *host_nft;      /* owns the runner-side table (flags owner) */
	int userns;                    /* rootless: no veth, listeners in the pod's netns */
	int pool[PODNET_USERNS_SOCKS]; /* rootless: sockets made there, not yet taken */
};

/* libnl error -> negative errno. */
static int nlerr(int e)
{
	switch (e < 0 ? -e : e) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return -ENODEV;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

static uint32_t block_base(uint32_t index)
{
	uint32_t b = index % PODNET_BLOCKS;
	if (b >= METADATA_BLOCK)
		b++;
	return (169u << 24) | (254u << 16) | (256u + 4u * b);
}

/* fd70:6f64:7275:<block>::<host>/64: the pod's own unique-local /64 */
static void ula(struct in6_addr *a, uint32_t idx, uint8_t host)
{
	static const uint8_t pre[6] = { 0xfd, 0x70, 0x6f, 0x64, 0x72, 0x75 };
	memset(a, 0, sizeof(*a));
	memcpy(a->s6_addr, pre, 6);
	a->s6_addr[6] = (uint8_t)(idx >> 8);
	a->s6_addr[7] = (uint8_t)idx;
	a->s6_addr[15] = host;
}

static struct nl_sock *nl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/* Does any IPv4 address of this netns fall in (or cover, from a /24 or
 * narrower network) the block [base, base+3]? */
static int block_in_use(struct nl_cache *addrs, uint32_t base)
{
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		if (rtnl_addr_get_family(a) != AF_INET || !local || nl_addr_get_len(local) != 4)
			continue;
		uint32_t ip;
		memcpy(&ip, nl_addr_get_binary_addr(local), 4);
		ip = ntohl(ip);
		int plen = rtnl_addr_get_prefixlen(a);
		if ((ip & ~3u) == base)
			return 1;
		if (plen >= 24 && plen <= 32) {
			uint32_t mask = plen == 32 ? ~0u : ~((1u << (32 - plen)) - 1);
			uint32_t wide = plen < 30 ? mask : ~3u;
			if ((ip & wide) == (base & wide))
				return 1;
		}
	}
	return 0;
}

static void fill_text(struct podnet *pn)
{
	char r[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &pn->runner, r, sizeof(r));
	static const char *const names[] = { "HTTP_PROXY",  "HTTPS_PROXY", "http_proxy",
					     "https_proxy", "NO_PROXY",    "no_proxy" };
	for (int i = 0; i < 6; i++) {
		if (i < 4)
			snprintf(pn->envbuf[i], sizeof(pn->envbuf[i]), "%s=http://%s:%u", names[i],
				 r, PODNET_PROXY_PORT);
		else
			snprintf(pn->envbuf[i], sizeof(pn->envbuf[i]), "%s=localhost,127.0.0.1,::1",
				 names[i]);
		pn->env[i] = pn->envbuf[i];
	}
	pn->env[6] = NULL;
	snprintf(pn->resolv, sizeof(pn->resolv),
		 "# pod DNS on the runner end of the veth (Pod/Runner 05-proxy)\n"
		 "nameserver %s\noptions attempts:2 timeout:2\n",
		 r);
}

static int valid_prefix(const char *p)
{
	size_t n = strnlen(p, sizeof(((struct podnet_config *)0)->ifname_prefix));
	if (n == 0 || n > 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return 0;
	return 1;
}

int podnet_new(const struct podnet_config *cfg, podnet_t **out)
{
	struct podnet *pn = NULL;
	struct nl_sock *sk = NULL;
	struct nl_cache *addrs = NULL;
	int ret;
	if (!out)
		return -EINVAL;
	*out = NULL;
	pn = calloc(1, sizeof(*pn));
	if (!pn)
		return -ENOMEM;
	/* 1. config with defaults */
	if (cfg)
		pn->cfg = *cfg;
	if (!pn->cfg.ifname_prefix[0])
		snprintf(pn->cfg.ifname_prefix, sizeof(pn->cfg.ifname_prefix), "podr");
	ret = -EINVAL;
	if (!valid_prefix(pn->cfg.ifname_prefix))
		goto cleanup;
	pn->cfg.proxy_port = pn->cfg.proxy_port ? pn->cfg.proxy_port : PODNET_PROXY_PORT;
	pn->cfg.http_port = pn->cfg.http_port ? pn->cfg.http_port : PODNET_HTTP_PORT;
	pn->cfg.tls_port = pn->cfg.tls_port ? pn->cfg.tls_port : PODNET_TLS_PORT;
	pn->cfg.dns_port = pn->cfg.dns_port ? pn->cfg.dns_port : PODNET_DNS_PORT;
	/* 2. the first free block from the preferred index on */
	sk = nl_open();
	ret = -ENOMEM;
	if (!sk)
		goto cleanup;
	ret = nlerr(rtnl_addr_alloc_cache(sk, &addrs));
	if (ret < 0)
		goto cleanup;
	ret = -EADDRINUSE;
	for (uint32_t k = 0; k < 256; k++) {
		uint32_t idx = (pn->cfg.index + k) % PODNET_BLOCKS;
		struct rtnl_link *l = NULL;
		snprintf(pn->ifname, sizeof(pn->ifname), "%s%u", pn->cfg.ifname_prefix, idx);
		if (rtnl_link_get_kernel(sk, 0, pn->ifname, &l) == 0) {
			rtnl_link_put(l);
			continue; /* the name is taken */
		}
		uint32_t base = block_base(idx);
		if (block_in_use(addrs, base))
			continue;
		pn->index = idx;
		pn->runner.s_addr = htonl(base + 1);
		pn->pod.s_addr = htonl(base + 2);
		ula(&pn->runner6, idx, 1);
		ula(&pn->pod6, idx, 2);
		ret = 0;
		break;
	}
	if (ret < 0)
		goto cleanup;
	/* 3. what the pod will be told */
	fill_text(pn);
	*out = pn;
	pn = NULL;
cleanup:
	if (addrs)
		nl_cache_free(addrs);
	if (sk)
		nl_socket_free(sk);
	free(pn);
	return ret;
}

/* ---- helpers used on both sides ------------------------------------------------- */

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int link_up(struct nl_sock *sk, const char *name, int *ifindex)
{
	struct rtnl_link *l = NULL, *chg = NULL;
	int ret = nlerr(rtnl_link_get_kernel(sk, 0, name, &l));
	if (ret < 0)
		return ret;
	if (ifindex)
		*ifindex = rtnl_link_get_ifindex(l);
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(l);
		return -ENOMEM;
	}
	rtnl_link_set_flags(chg, IFF_UP);
	ret = nlerr(rtnl_link_change(sk, l, chg, 0));
	rtnl_link_put(chg);
	rtnl_link_put(l);
	return ret;
}

static int ifindex_of(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *l = NULL;
	int ret = nlerr(rtnl_link_get_kernel(sk, 0, name, &l));
	if (ret < 0)
		return ret;
	ret = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return ret;
}

/* An address of @p family (@p len bytes at @p bytes) with prefix @p plen on
 * ifindex, with IFA_* @p flags. */
static int add_addr_any(struct nl_sock *sk, int ifindex, int family, const void *bytes, int len,
			int plen, unsigned flags)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(family, bytes, (size_t)len);
	int ret = -ENOMEM;
	if (ra && local) {
		nl_addr_set_prefixlen(local, plen);
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_family(ra, family);
		if (flags)
			rtnl_addr_set_flags(ra, flags);
		ret = nlerr(rtnl_addr_set_local(ra, local));
		if (ret == 0)
			ret = nlerr(rtnl_addr_add(sk, ra, 0));
	}
	if (local)
		nl_addr_put(local);
	if (ra)
		rtnl_addr_put(ra);
	return ret;
}

static int add_addr_len(struct nl_sock *sk, int ifindex, struct in_addr a, int plen)
{
	return add_addr_any(sk, ifindex, AF_INET, &a, 4, plen, 0);
}

static int add_addr(struct nl_sock *sk, int ifindex, struct in_addr a)
{
	return add_addr_len(sk, ifindex, a, 30);
}

/* An IPv6 address /64 on ifindex, without duplicate address detection (the
 * link has two ends, both ours: no wait before the address can be used). */
static int add_addr6(struct nl_sock *sk, int ifindex, const struct in6_addr *a)
{
	return add_addr_any(sk, ifindex, AF_INET6, a, 16, 64, IFA_F_NODAD);
}

/* IPv6 on one side's veth end: on, no router advertisements, no autoconf,
 * no forwarding. The only addresses are the link-local one and the ULA. */
static int v6_on(const char *ifname)
{
	static const char *const knobs[][2] = {
		{ "accept_ra", "0" },
		{ "autoconf", "0" },
		{ "forwarding", "0" },
		{ "disable_ipv6", "0" },
	};
	char path[128];
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", ifname, knobs[i][0]);
		int r = write_sysctl(path, knobs[i][1]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_default_route(struct nl_sock *sk, int ifindex, struct in_addr gw)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = NULL, *via = nl_addr_build(AF_INET, &gw, 4);
	int ret = -ENOMEM;
	if (!r || !nh || !via || nl_addr_parse("0.0.0.0/0", AF_INET, &dst) < 0)
		goto cleanup;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_set_dst(r, dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(r, nh);
	nh = NULL; /* owned by the route now */
	ret = nlerr(rtnl_route_add(sk, r, NLM_F_CREATE | NLM_F_EXCL));
cleanup:
	if (nh)
		rtnl_route_nh_free(nh);
	if (dst)
		nl_addr_put(dst);
	if (via)
		nl_addr_put(via);
	if (r)
		rtnl_route_put(r);
	return ret;
}

/* ---- work inside the pod's netns (on a short-lived thread) -------------------- */

struct nsjob {
	int netns_fd;
	struct podnet *pn; /* NULL: only bring lo up */
	int ret;
};

/* Append ", port" to a set text unless it is there already. */
static void set_add(char *set, size_t cap, uint16_t port)
{
	char item[8];
	snprintf(item, sizeof(item), "%u", port);
	for (const char *p = set; (p = strstr(p, item)); p++) {
		size_t n = strlen(item);
		if ((p == set || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
			return;
	}
	size_t len = strlen(set);
	snprintf(set + len, cap - len, "%s%s", len ? ", " : "", item);
}

/* The DNAT rules from the standard ports to the listening ports, if any differ. */
static void nat_rules(const struct podnet *pn, const char *r, char *out, size_t cap)
{
	const struct podnet_config *c = &pn->cfg;
	const struct {
		const char *proto;
		uint16_t std, real;
	} map[] = {
		{ "tcp", PODNET_PROXY_PORT, c->proxy_port },
		{ "tcp", PODNET_HTTP_PORT, c->http_port },
		{ "tcp", PODNET_TLS_PORT, c->tls_port },
		{ "tcp", PODNET_DNS_PORT, c->dns_port },
		{ "udp", PODNET_DNS_PORT, c->dns_port },
	};
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].std == map[i].real)
			continue;
		if (n == 0)
			n += (size_t)snprintf(
			    out + n, cap - n,
			    "table ip podnat {\n  chain output {\n"
			    "    type nat hook output priority -100; policy accept;\n");
		n += (size_t)snprintf(out + n, cap - n,
				      "    ip daddr %s %s dport %u dnat to %s:%u\n", r,
				      map[i].proto, map[i].std, r, map[i].real);
		if (n >= cap)
			return;
	}
	if (n)
		n += (size_t)snprintf(out + n, cap - n, "  }\n}\n");
	if (!pn->v6 || n >= cap)
		return;
	char r6[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, &pn->runner6, r6, sizeof(r6));
	size_t n6 = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]) && n < cap; i++) {
		if (map[i].std == map[i].real)
			continue;
		if (n6++ == 0)
			n += (size_t)snprintf(
			    out + n, cap - n,
			    "table ip6 podnat6 {\n  chain output {\n"
			    "    type nat hook output priority -100; policy accept;\n");
		if (n < cap)
			n += (size_t)snprintf(out + n, cap - n,
					      "    ip6 daddr %s %s dport %u dnat to [%s]:%u\n", r6,
					      map[i].proto, map[i].std, r6, map[i].real);
	}
	if (n6 && n < cap)
		snprintf(out + n, cap - n, "  }\n}\n");
}

/* Load @p rules with a fresh libnftables context (its own netlink socket);
 * on failure the library's message goes to pn->err. */
static int run_nft(struct podnet *pn, const char *rules)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return -ENOMEM;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	int ret = nft_run_cmd_from_buffer(nft, rules) == 0 ? 0 : -EIO;
	if (ret < 0)
		snprintf(pn->err, sizeof(pn->err), "%s", nft_ctx_get_error_buffer(nft));
	nft_ctx_free(nft);
	return ret;
}

static int pod_nft(struct podnet *pn)
{
	char rules[4000], nat[2000], tcp[96] = "", udp[32] = "", r[INET_ADDRSTRLEN];
	char v6out[600] = "", v6in[200] = "", r6[INET6_ADDRSTRLEN];
	const struct podnet_config *c = &pn->cfg;
	inet_ntop(AF_INET, &pn->runner, r, sizeof(r));
	/* the filter sees packets after DNAT: allow the standard and the real ports */
	const uint16_t tcp_ports[] = { PODNET_PROXY_PORT, PODNET_HTTP_PORT, PODNET_TLS_PORT,
				       PODNET_DNS_PORT,   c->proxy_port,    c->http_port,
				       c->tls_port,       c->dns_port };
	for (size_t i = 0; i < sizeof(tcp_ports) / sizeof(tcp_ports[0]); i++)
		set_add(tcp, sizeof(tcp), tcp_ports[i]);
	set_add(udp, sizeof(udp), PODNET_DNS_PORT);
	set_add(udp, sizeof(udp), c->dns_port);
	nat_rules(pn, r, nat, sizeof(nat));
	if (pn->v6) {
		/* the same ports at the runner end's ULA; neighbour discovery both ways */
		inet_ntop(AF_INET6, &pn->runner6, r6, sizeof(r6));
		snprintf(
		    v6out, sizeof(v6out),
		    "    ip6 daddr %s tcp dport { %s } accept\n"
		    "    ip6 daddr %s udp dport { %s } accept\n"
		    "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit }"
		    " accept\n",
		    r6, tcp, r6, udp);
		snprintf(v6in, sizeof(v6in),
			 "    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n");
	}
	snprintf(rules, sizeof(rules),
		 "table inet podnet {\n"
		 "  chain output {\n"
		 "    type filter hook output priority 0; policy drop;\n"
		 "    oifname \"lo\" accept\n"
		 "    ip daddr %s tcp dport { %s } accept\n"
		 "    ip daddr %s udp dport { %s } accept\n"
		 "%s"
		 "    meta l4proto tcp reject with tcp reset\n"
		 "    reject with icmpx admin-prohibited\n"
		 "  }\n"
		 "  chain input {\n"
		 "    type filter hook input priority 0; policy drop;\n"
		 "    iifname \"lo\" accept\n"
		 "    ct state established,related accept\n"
		 "%s"
		 "  }\n"
		 "}\n%s",
		 r, tcp, r, udp, v6out, v6in, nat);
	return run_nft(pn, rules);
}

/* libnftables opens its netlink socket without FD_CLOEXEC and does not show
 * it. The guard table lives as long as that socket: a copy inherited by a
 * process the runner starts later would keep the table (and a netfilter
 * socket of the runner's namespace) alive in that process. So the fds that
 * the context opened are marked close-on-exec. */
#define FDSET_WORDS 64 /* fds below 4096 */

static void open_fds(uint64_t set[FDSET_WORDS])
{
	memset(set, 0, FDSET_WORDS * sizeof(uint64_t));
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	for (struct dirent *de; (de = readdir(d));) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd != dirfd(d) && fd >= 0 && fd < FDSET_WORDS * 64)
			set[fd / 64] |= 1ull << (fd % 64);
	}
	closedir(d);
}

static void cloexec_new_fds(const uint64_t before[FDSET_WORDS])
{
	uint64_t after[FDSET_WORDS];
	open_fds(after);
	for (int w = 0; w < FDSET_WORDS; w++)
		for (uint64_t m = after[w] & ~before[w]; m; m &= m - 1) {
			int fd = w * 64 + __builtin_ctzll(m);
			int fl = fcntl(fd, F_GETFD);
			if (fl >= 0)
				fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
		}
}

/*
 * The runner-side guard: a table in the runner's own namespace that lets the
 * pod's packets reach exactly the listening ports of the runner end and drops
 * the rest, so a pod that flushed its own table (it regained CAP_NET_ADMIN in
 * its netns) still reaches nothing but the proxy and the DNS. The table has
 * the "owner" flag: it belongs to the netlink socket of pn->host_nft, nobody
 * else may change it, and the kernel deletes it when that socket closes
 * (podnet_detach(), or the runner's death: nothing is left behind).
 */
static int host_nft(struct podnet *pn)
{
	char rules[2400], tcp[64] = "", udp[16] = "", r[INET_ADDRSTRLEN], v6[600] = "";
	char r6[INET6_ADDRSTRLEN];
	const struct podnet_config *c = &pn->cfg;
	inet_ntop(AF_INET, &pn->runner, r, sizeof(r));
	inet_ntop(AF_INET6, &pn->runner6, r6, sizeof(r6));
	set_add(tcp, sizeof(tcp), c->proxy_port);
	set_add(tcp, sizeof(tcp), c->http_port);
	set_add(tcp, sizeof(tcp), c->tls_port);
	set_add(tcp, sizeof(tcp), c->dns_port);
	set_add(udp, sizeof(udp), c->dns_port);
	if (pn->v6)
		snprintf(v6, sizeof(v6),
			 "    iifname \"%s\" ip6 daddr %s tcp dport { %s } accept\n"
			 "    iifname \"%s\" ip6 daddr %s udp dport { %s } accept\n"
			 "    iifname \"%s\" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert,"
			 " nd-router-solicit } accept\n",
			 pn->ifname, r6, tcp, pn->ifname, r6, udp, pn->ifname);
	snprintf(rules, sizeof(rules),
		 "table inet podh_%s {\n"
		 "  flags owner\n"
		 "  chain input {\n"
		 "    type filter hook input priority -150; policy accept;\n"
		 "    iifname \"%s\" ip daddr %s tcp dport { %s } accept\n"
		 "    iifname \"%s\" ip daddr %s udp dport { %s } accept\n"
		 "%s"
		 "    iifname \"%s\" meta l4proto tcp reject with tcp reset\n"
		 "    iifname \"%s\" drop\n"
		 "  }\n"
		 "  chain forward {\n"
		 "    type filter hook forward priority -150; policy accept;\n"
		 "    iifname \"%s\" drop\n"
		 "    oifname \"%s\" drop\n"
		 "  }\n"
		 "}\n",
		 pn->ifname, pn->ifname, r, tcp, pn->ifname, r, udp, v6, pn->ifname, pn->ifname,
		 pn->ifname, pn->ifname);
	uint64_t before[FDSET_WORDS];
	open_fds(before);
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return -ENOMEM;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	int rc = nft_run_cmd_from_buffer(nft, rules);
	cloexec_new_fds(before);
	if (rc != 0) {
		snprintf(pn->err, sizeof(pn->err), "%s", nft_ctx_get_error_buffer(nft));
		nft_ctx_free(nft);
		return -EIO;
	}
	pn->host_nft = nft;
	return 0;
}

static void host_nft_free(struct podnet *pn)
{
	if (pn->host_nft) {
		nft_ctx_free(pn->host_nft); /* closes its socket: the kernel drops the table */
		pn->host_nft = NULL;
	}
}

static int pod_side(struct podnet *pn, struct nl_sock *sk)
{
	int ifindex;
	/* 1. IPv6 on eth0 with the pod's ULA: the runner end is on-link, and
	 * there is no IPv6 route anywhere else (best effort: a kernel without
	 * IPv6 leaves the pod IPv4 only) */
	int v6 = pn->v6 && v6_on(POD_IFNAME) == 0;
	/* 2. address, up, default route via the runner end */
	ifindex = ifindex_of(sk, POD_IFNAME);
	if (ifindex < 0)
		return ifindex;
	int ret = add_addr(sk, ifindex, pn->pod);
	if (ret == 0 && v6)
		ret = add_addr6(sk, ifindex, &pn->pod6);
	if (ret == 0)
		ret = link_up(sk, POD_IFNAME, NULL);
	if (ret == 0)
		ret = add_default_route(sk, ifindex, pn->runner);
	/* 3. netfilter */
	if (ret == 0)
		ret = pod_nft(pn);
	return ret;
}

static void *ns_thread(void *arg)
{
	struct nsjob *j = arg;
	struct nl_sock *sk = NULL;
	if (setns(j->netns_fd, CLONE_NEWNET) < 0) {
		j->ret = -errno;
		return NULL;
	}
	sk = nl_open(); /* opened after setns: it talks to the pod's netns */
	if (!sk) {
		j->ret = -ENOMEM;
		return NULL;
	}
	j->ret = link_up(sk, "lo", NULL);
	if (j->ret == 0 && j->pn)
		j->ret = pod_side(j->pn, sk);
	nl_socket_free(sk);
	return NULL;
}

static int in_netns(int netns_fd, struct podnet *pn)
{
	struct nsjob j = { .netns_fd = netns_fd, .pn = pn, .ret = -EIO };
	pthread_t th;
	int e = pthread_create(&th, NULL, ns_thread, &j);
	if (e)
		return -e;
	pthread_join(th, NULL);
	return j.ret;
}

int podnet_lo_up(int netns_fd)
{
	if (netns_fd < 0)
		return -EBADF;
	return in_netns(netns_fd, NULL);
}

/* ---- attach / detach ------------------------------------------------------------ */

static int create_veth(struct nl_sock *sk, struct podnet *pn, int netns_fd)
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	struct rtnl_link *peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, pn->ifname);
	rtnl_link_set_name(peer, POD_IFNAME);
	rtnl_link_set_ns_fd(peer, netns_fd); /* born inside the pod's netns */
	rtnl_link_put(peer);
	int ret = nlerr(rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(link);
	return ret == -EEXIST ? -EADDRINUSE : ret;
}

static int runner_side(struct nl_sock *sk, struct podnet *pn)
{
	char path[128];
	int ifindex, ret;
	/* forwarding off: the pod reaches the runner's sockets, never beyond */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", pn->ifname);
	ret = write_sysctl(path, "0");
	if (ret < 0)
		return ret;
	/* IPv6 where the kernel has it; without, the pod stays IPv4 only */
	pn->v6 = v6_on(pn->ifname) == 0;
	if (!pn->v6) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", pn->ifname);
		write_sysctl(path, "1");
	}
	ifindex = ifindex_of(sk, pn->ifname);
	if (ifindex < 0)
		return ifindex;
	ret = add_addr(sk, ifindex, pn->runner);
	if (ret == 0 && pn->v6)
		ret = add_addr6(sk, ifindex, &pn->runner6);
	if (ret == -EEXIST)
		return -EADDRINUSE;
	return ret ? ret : link_up(sk, pn->ifname, NULL);
}

/* ---- rootless: the pod's own network namespace, no veth --------------------------
 *
 * A runner without root cannot create a veth or touch the host's netfilter.
 * It does not need to: the pod's network namespace belongs to the pod's user
 * namespace, which the runner created and owns, so the runner holds every
 * capability there. Only a process *inside* those namespaces can open netlink
 * and socket descriptors of that netns, so a short-lived helper child (fork)
 * joins the pod's user namespace, then its netns (setns needs CAP_SYS_ADMIN in
 * the namespace's owner, which the helper now has), and there:
 *
 *   - brings lo up and puts the runner address R = 169.254.1.1/32 on it;
 *   - installs the pod's filter (table inet podnet): loopback addresses and
 *     established traffic pass; tcp to R:{3128,80,443,53} and udp to R:53
 *     pass; everything else gets a reset or admin-prohibited;
 *   - creates the listeners' sockets (unbound: the proxy binds them itself,
 *     with the runner's capabilities over the pod's netns, so the standard
 *     ports need no DNAT) and sends them back over a socketpair (SCM_RIGHTS).
 *
 * The namespace has no interface but lo and no route beyond it: the only way
 * out is a socket the runner holds. The proxy keeps running in the runner, on
 * the host network; it accepts connections made inside the pod's netns and
 * connects upstream from the host's, as the invoking user.
 */
struct userns_reply {
	int ret;
	char err[256];
};

static int userns_nft(struct podnet *pn)
{
	char rules[1200], r[INET_ADDRSTRLEN];
	const struct podnet_config *c = &pn->cfg;
	inet_ntop(AF_INET, &pn->runner, r, sizeof(r));
	snprintf(rules, sizeof(rules),
		 "table inet podnet {\n"
		 "  chain output {\n"
		 "    type filter hook output priority 0; policy drop;\n"
		 "    ct state established,related accept\n"
		 "    ip daddr 127.0.0.0/8 accept\n"
		 "    ip6 daddr ::1 accept\n"
		 "    ip daddr %s tcp dport { %u, %u, %u, %u } accept\n"
		 "    ip daddr %s udp dport %u accept\n"
		 "    meta l4proto tcp reject with tcp reset\n"
		 "    reject with icmpx admin-prohibited\n"
		 "  }\n"
		 "}\n",
		 r, c->proxy_port, c->http_port, c->tls_port, c->dns_port, r, c->dns_port);
	return run_nft(pn, rules);
}

/* The helper child, inside the pod's user and network namespaces. */
static int userns_inside(struct podnet *pn, int userns_fd, int netns_fd, int fds[])
{
	static const int types[PODNET_USERNS_SOCKS] = { SOCK_STREAM, SOCK_STREAM, SOCK_STREAM,
							SOCK_STREAM, SOCK_DGRAM };
	struct nl_sock *sk;
	int lo = -1, ret;

	if (setns(userns_fd, CLONE_NEWUSER) < 0 || setns(netns_fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		snprintf(pn->err, sizeof(pn->err), "join the pod's namespaces: %s", strerror(-ret));
		return ret;
	}
	sk = nl_open(); /* opened after setns: it talks to the pod's netns */
	if (!sk)
		return -ENOMEM;
	ret = link_up(sk, "lo", &lo);
	if (ret == 0)
		ret = add_addr_len(sk, lo, pn->runner, 32);
	nl_socket_free(sk);
	if (ret < 0) {
		snprintf(pn->err, sizeof(pn->err), "lo in the pod's netns: %s", strerror(-ret));
		return ret;
	}
	ret = userns_nft(pn);
	for (int i = 0; ret == 0 && i < PODNET_USERNS_SOCKS; i++) {
		fds[i] = socket(AF_INET, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[i] < 0)
			ret = -errno;
	}
	return ret;
}

static void userns_helper(struct podnet *pn, int userns_fd, int netns_fd, int sock)
{
	int fds[PODNET_USERNS_SOCKS];
	struct userns_reply rep = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pn->err[0] = '\0';
	rep.ret = userns_inside(pn, userns_fd, netns_fd, fds);
	snprintf(rep.err, sizeof(rep.err), "%s", pn->err);
	if (rep.ret == 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	}
	_exit(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(rep) ? 0 : 1);
}

/* The helper's answer: its status, and the sockets into pn->pool. */
static int userns_receive(struct podnet *pn, int sock)
{
	struct userns_reply rep = { .ret = -EIO };
	int fds[PODNET_USERNS_SOCKS];
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &rep, .iov_len = sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	int nfds = 0;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		nfds = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
	if (nfds > 0)
		memcpy(fds, CMSG_DATA(cm), (size_t)nfds * sizeof(int));
	if (n != (ssize_t)sizeof(rep) || rep.ret > 0 ||
	    (rep.ret == 0 && nfds != PODNET_USERNS_SOCKS) || (mh.msg_flags & MSG_CTRUNC)) {
		for (int i = 0; i < nfds && i < PODNET_USERNS_SOCKS; i++)
			close(fds[i]);
		snprintf(pn->err, sizeof(pn->err), "the namespace helper gave no answer");
		return rep.ret < 0 ? rep.ret : -EIO;
	}
	rep.err[sizeof(rep.err) - 1] = '\0';
	snprintf(pn->err, sizeof(pn->err), "%s", rep.err);
	if (rep.ret < 0) {
		for (int i = 0; i < nfds && i < PODNET_USERNS_SOCKS; i++)
			close(fds[i]);
		return rep.ret;
	}
	memcpy(pn->pool, fds, sizeof(fds));
	return 0;
}

int podnet_new_userns(podnet_t **out)
{
	struct podnet *pn;

	if (!out)
		return -EINVAL;
	*out = NULL;
	pn = calloc(1, sizeof(*pn));
	if (!pn)
		return -ENOMEM;
	pn->userns = 1;
	pn->cfg.proxy_port = PODNET_PROXY_PORT;
	pn->cfg.http_port = PODNET_HTTP_PORT;
	pn->cfg.tls_port = PODNET_TLS_PORT;
	pn->cfg.dns_port = PODNET_DNS_PORT;
	/* the pod's netns is private: block 0's runner address, never a clash */
	pn->runner.s_addr = htonl(block_base(0) + 1);
	pn->pod = pn->runner;
	for (int i = 0; i < PODNET_USERNS_SOCKS; i++)
		pn->pool[i] = -1;
	fill_text(pn);
	*out = pn;
	return 0;
}

int podnet_attach_userns(podnet_t *pn, int userns_fd, int netns_fd)
{
	int sv[2], ret, st;
	pid_t c;

	if (!pn || !pn->userns || userns_fd < 0 || netns_fd < 0)
		return -EINVAL;
	if (pn->attached)
		return -EALREADY;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	c = fork();
	if (c < 0) {
		ret = -errno;
		close(sv[0]);
		close(sv[1]);
		return ret;
	}
	if (c == 0) {
		close(sv[0]);
		userns_helper(pn, userns_fd, netns_fd, sv[1]);
	}
	close(sv[1]);
	ret = userns_receive(pn, sv[0]);
	close(sv[0]);
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	if (ret == 0)
		pn->attached = 1;
	return ret;
}

int podnet_userns_socket(int domain, int type, void *user)
{
	struct podnet *pn = user;
	int want = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (!pn || !pn->userns || domain != AF_INET)
		return -EAFNOSUPPORT;
	for (int i = 0; i < PODNET_USERNS_SOCKS; i++) {
		int t = 0;
		socklen_t tl = sizeof(t);
		if (pn->pool[i] < 0 || getsockopt(pn->pool[i], SOL_SOCKET, SO_TYPE, &t, &tl) < 0 ||
		    t != want)
			continue;
		int fd = pn->pool[i];
		pn->pool[i] = -1;
		return fd;
	}
	return -EMFILE;
}

int podnet_is_userns(const podnet_t *pn)
{
	return pn && pn->userns;
}

const char *podnet_last_error(const podnet_t *pn)
{
	return pn ? pn->err : "";
}

static int userns_detach(struct podnet *pn)
{
	for (int i = 0; i < PODNET_USERNS_SOCKS; i++)
		if (pn->pool[i] >= 0) {
			close(pn->pool[i]);
			pn->pool[i] = -1;
		}
	pn->attached = 0; /* nothing on the host: the rest dies with the pod's netns */
	return 0;
}

int podnet_set_ports(podnet_t *pn, uint16_t proxy, uint16_t http, uint16_t tls, uint16_t dns)
{
	if (!pn)
		return -EINVAL;
	if (pn->attached)
		return -EALREADY;
	pn->cfg.proxy_port = proxy ? proxy : pn->cfg.proxy_port;
	pn->cfg.http_port = http ? http : pn->cfg.http_port;
	pn->cfg.tls_port = tls ? tls : pn->cfg.tls_port;
	pn->cfg.dns_port = dns ? dns : pn->cfg.dns_port;
	return 0;
}

int podnet_attach(podnet_t *pn, int netns_fd)
{
	struct nl_sock *sk = NULL;
	int ret, created = 0;
	if (!pn || netns_fd < 0)
		return -EINVAL;
	if (pn->attached)
		return -EALREADY;
	sk = nl_open();
	if (!sk)
		return -ENOMEM;
	/* 1. the pair, peer inside the pod */
	ret = create_veth(sk, pn, netns_fd);
	if (ret < 0)
		goto cleanup;
	created = 1;
	/* 2. runner end: no forwarding, addresses, up; the guard table (the pod
	 * runs nothing before podnet_attach() returns) */
	ret = runner_side(sk, pn);
	if (ret == 0)
		ret = host_nft(pn);
	if (ret < 0)
		goto cleanup;
	/* 3. pod end: lo, address, up, route, nftables (inside its netns) */
	ret = in_netns(netns_fd, pn);
	if (ret < 0)
		goto cleanup;
	pn->attached = 1;
cleanup:
	if (ret < 0)
		host_nft_free(pn);
	if (ret < 0 && created) {
		struct rtnl_link *l = rtnl_link_alloc();
		if (l) {
			rtnl_link_set_name(l, pn->ifname);
			rtnl_link_delete(sk, l);
			rtnl_link_put(l);
		}
	}
	nl_socket_free(sk);
	return ret;
}

int podnet_attach_pid(podnet_t *pn, pid_t pid)
{
	char path[64];
	if (!pn || pid <= 0)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int ret = podnet_attach(pn, fd);
	close(fd);
	return ret;
}

int podnet_detach(podnet_t *pn)
{
	if (pn && pn->userns)
		return userns_detach(pn);
	if (!pn || !pn->attached)
		return 0;
	struct nl_sock *sk = nl_open();
	if (!sk)
		return -ENOMEM;
	struct rtnl_link *l = rtnl_link_alloc();
	int ret = -ENOMEM;
	if (l) {
		rtnl_link_set_name(l, pn->ifname);
		ret = nlerr(rtnl_link_delete(sk, l));
		rtnl_link_put(l);
		if (ret == -ENODEV)
			ret = 0; /* the pod's netns died and took the pair with it */
	}
	nl_socket_free(sk);
	if (ret == 0) {
		host_nft_free(pn);
		pn->attached = 0;
	}
	return ret;
}

void podnet_destroy(podnet_t *pn)
{
	if (!pn)
		return;
	podnet_detach(pn);
	free(pn);
}

struct in_addr podnet_runner_addr(const podnet_t *pn)
{
	return pn->runner;
}

struct in_addr podnet_pod_addr(const podnet_t *pn)
{
	return pn->pod;
}

struct in6_addr podnet_runner_addr6(const podnet_t *pn)
{
	return pn->runner6;
}

struct in6_addr podnet_pod_addr6(const podnet_t *pn)
{
	return pn->pod6;
}

const char *podnet_ifname(const podnet_t *pn)
{
	return pn->ifname;
}

uint32_t podnet_index(const podnet_t *pn)
{
	return pn->index;
}

const char *const *podnet_env(const podnet_t *pn)
{
	return pn->env;
}

const char *podnet_resolv_conf(const podnet_t *pn)
{
	return pn->resolv;
}
