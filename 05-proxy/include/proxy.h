/**
 * @file
 * proxy.h — public API of layer 05-proxy: the pod's network plumbing, the
 * egress proxy and the pod DNS server.
 *
 * Layer 05. Builds on 04-policy (policy_decide_net / policy_decide_addr),
 * libnl-3 (veth, addresses, routes), libnftables (rules inside the pod's netns)
 * and plain sockets + epoll. Used by 07-runner, which drives everything from its
 * single epoll loop.
 *
 * Two modules, two prefixes:
 *
 *   podnet_*  plumbing. Picks a link-local /30 for the pod, creates a veth pair
 *             whose peer is born inside the pod's network namespace, addresses
 *             and routes both ends, installs netfilter rules in the pod's netns,
 *             and tells the runner what to put in the pod's environment and
 *             /etc/resolv.conf. Teardown deletes the runner-side veth (which
 *             removes the pair).
 *
 *   proxy_*   the runner-side servers on the runner end of the veth: the
 *             explicit HTTP proxy (HTTP/1.1 absolute-form + CONNECT), the
 *             transparent HTTP (Host header) and TLS (SNI) listeners, and the pod
 *             DNS server (UDP + TCP). One internal epoll fd; the runner adds it to
 *             its own loop and calls proxy_dispatch() when it is readable.
 *
 *     runner netns                         pod netns
 *   +-------------------------------+    +--------------------------------+
 *   | proxy  169.254.B.1:3128 (expl)|    | eth0 169.254.B.2/30            |
 *   |        169.254.B.1:80   (Host)|<-->| default via 169.254.B.1         |
 *   |        169.254.B.1:443  (SNI) |veth| nft: tcp -> .1:{3128,80,443} ok|
 *   | dns    169.254.B.1:53 udp/tcp |    |      udp/tcp -> .1:53 ok       |
 *   |   |  forwarding off on veth   |    |      anything else: reset/unreach|
 *   |   v  policy_decide_net/addr   |    +--------------------------------+
 *   | upstream connect (checked IP) |
 *   +-------------------------------+
 *
 * How 07-runner calls this layer (order matters):
 *   1. podnet_new()      before spawning: picks a free /30 (no kernel objects yet)
 *   2. proxy_create()    before spawning: listeners bound to podnet_runner_addr()
 *                        (IP_FREEBIND, so the address need not exist yet);
 *                        with PROXY_PORT_EPHEMERAL ports, then podnet_set_ports()
 *   3. podnet_env(), podnet_resolv_conf(): into the pod's environment and mount plan
 *   4. spawn the pod (it waits for the runner), then podnet_attach(netns of the pod)
 *   5. release the pod; add proxy_fd() to the epoll loop, call proxy_dispatch()
 *      whenever it is readable; events arrive through the callback
 *   6. after the pod is gone: proxy_destroy(), podnet_destroy()
 * A pod whose policy allows no network at all (policy_net_possible() == 0) gets
 * only podnet_lo_up() and no proxy.
 *
 * Errors: 0 (or a count) on success, a negative errno on failure.
 * The pod is hostile: every byte read from a pod socket is untrusted input.
 */
#ifndef POD_PROXY_H
#define POD_PROXY_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/*  podnet: veth, addresses, routes, netfilter                               */
/* ======================================================================== */

/** A pod's network plumbing. Opaque. */
typedef struct podnet podnet_t;

/** Default port of the explicit proxy on the runner end. */
#define PODNET_PROXY_PORT 3128
/** Default port of the transparent HTTP listener (routes by Host header). */
#define PODNET_HTTP_PORT 80
/** Default port of the transparent TLS listener (routes by SNI). */
#define PODNET_TLS_PORT 443
/** Port of the pod DNS server (UDP and TCP). */
#define PODNET_DNS_PORT 53

/** Number of usable /30 blocks (169.254.1.0 .. 169.254.254.255, minus the one
 *  that holds 169.254.169.254). An index is taken modulo this. */
#define PODNET_BLOCKS 16255u

/** What podnet_new() needs. Zeroed fields take the defaults given. */
struct podnet_config {
	/** Preferred /30 block index (taken modulo PODNET_BLOCKS). When the block
	 *  or the interface name is in use on the host, the next indices are tried
	 *  (up to 256). A runner with several pods gives each its own index. */
	uint32_t index;
	/** Runner-side interface name prefix, at most 8 characters; the name is
	 *  prefix + index in decimal. Default "podr". Tests use their own prefix. */
	char ifname_prefix[9];
	/* The ports the runner end really LISTENS on. The pod always uses the
	 * standard ones (3128, 80, 443, 53: its env and resolv.conf say so); where
	 * a listening port differs, podnet_attach() adds a DNAT rule inside the
	 * pod's netns. So the runner may use ephemeral ports (no clash with a host
	 * service on :53 or :80) — see podnet_set_ports(). */
	uint16_t proxy_port; /**< explicit proxy; default PODNET_PROXY_PORT */
	uint16_t http_port;  /**< transparent HTTP; default PODNET_HTTP_PORT */
	uint16_t tls_port;   /**< transparent TLS; default PODNET_TLS_PORT */
	uint16_t dns_port;   /**< pod DNS (udp + tcp); default PODNET_DNS_PORT */
};

/**
 * Pick a free /30 for a pod and fill in its addresses. Creates no kernel object.
 * A block collides when any address on the host lies inside it or the
 * runner-side interface name exists.
 * @param cfg  configuration (NULL: all defaults, index 0)
 * @param out  receives the handle
 * @return 0; -EADDRINUSE when no free block was found within 256 tries;
 *         -EINVAL for a bad prefix; -errno from netlink
 */
int podnet_new(const struct podnet_config *cfg, podnet_t **out);

/**
 * Set the ports the runner end listens on (e.g. proxy_port() of a proxy
 * created with PROXY_PORT_EPHEMERAL), before podnet_attach(). 0 keeps the
 * current value. The pod keeps seeing the standard ports.
 * @param pn     handle (not yet attached)
 * @param proxy  explicit proxy port
 * @param http   transparent HTTP port
 * @param tls    transparent TLS port
 * @param dns    DNS port (udp and tcp)
 * @return 0; -EALREADY when already attached; -EINVAL for NULL
 */
int podnet_set_ports(podnet_t *pn, uint16_t proxy, uint16_t http, uint16_t tls, uint16_t dns);

/**
 * Build the pod's side: create the veth pair with its peer ("eth0") created
 * directly inside @p netns_fd, address both ends (/30), set both up, bring the
 * pod's lo up, add the pod's default route via the runner end, turn forwarding
 * off on the runner end, and install the pod's netfilter table (inet family):
 * tcp only to the runner end's proxy ports, udp/tcp 53 only to the pod DNS,
 * loopback free, everything else rejected at once (tcp reset, icmp
 * admin-prohibited); plus DNAT from the standard ports to the listening
 * ports where they differ (podnet_set_ports()).
 * Call after the pod's netns exists and before the pod runs untrusted code.
 * On failure nothing is left behind.
 * @param pn        handle from podnet_new()
 * @param netns_fd  an fd of the pod's network namespace (e.g. open("/proc/PID/ns/net"))
 * @return 0; -EADDRINUSE when the name/addresses were taken meanwhile;
 *         -EALREADY when already attached; -errno otherwise
 */
int podnet_attach(podnet_t *pn, int netns_fd);

/**
 * Same as podnet_attach() for a process id: opens /proc/@p pid/ns/net.
 * @param pn   handle
 * @param pid  a process inside the pod's network namespace
 * @return as podnet_attach()
 */
int podnet_attach_pid(podnet_t *pn, pid_t pid);

/**
 * Bring lo up inside a network namespace (for pods with no network access:
 * loopback only, no veth).
 * @param netns_fd  fd of the namespace
 * @return 0 or -errno
 */
int podnet_lo_up(int netns_fd);

/**
 * The runner end's address (where the proxy and DNS listen).
 * @param pn  handle
 * @return the address in network byte order
 */
struct in_addr podnet_runner_addr(const podnet_t *pn);

/**
 * The pod end's address.
 * @param pn  handle
 * @return the address in network byte order
 */
struct in_addr podnet_pod_addr(const podnet_t *pn);

/**
 * The runner end's IPv6 address, fd70:6f64:7275:B::1 (B = the block index):
 * a unique-local /64 that exists only on this pod's veth. It is configured
 * when the kernel has IPv6; the pod then has fd70:6f64:7275:B::2/64 and no
 * IPv6 route beyond that /64.
 * @param pn  handle
 * @return the address
 */
struct in6_addr podnet_runner_addr6(const podnet_t *pn);

/**
 * The pod end's IPv6 address (see podnet_runner_addr6()).
 * @param pn  handle
 * @return the address
 */
struct in6_addr podnet_pod_addr6(const podnet_t *pn);

/**
 * The runner-side interface name (e.g. "podr7").
 * @param pn  handle
 * @return a string owned by @p pn
 */
const char *podnet_ifname(const podnet_t *pn);

/**
 * The /30 block index actually chosen.
 * @param pn  handle
 * @return the index in [0, PODNET_BLOCKS)
 */
uint32_t podnet_index(const podnet_t *pn);

/**
 * The environment entries the pod gets, "NAME=value" strings:
 * HTTP_PROXY, HTTPS_PROXY, http_proxy, https_proxy (all
 * http://RUNNER:PROXY_PORT), NO_PROXY and no_proxy ("localhost,127.0.0.1,::1":
 * the pod's own loopback stays local). NULL-terminated, owned by @p pn.
 * @param pn  handle
 * @return the array
 */
const char *const *podnet_env(const podnet_t *pn);

/**
 * The text of the pod's /etc/resolv.conf ("nameserver RUNNER" plus options).
 * 07-runner writes it to a file and bind-mounts it read-only at /etc/resolv.conf.
 * @param pn  handle
 * @return a NUL-terminated string owned by @p pn
 */
const char *podnet_resolv_conf(const podnet_t *pn);

/**
 * Remove what podnet_attach() created: deletes the runner-side veth, which
 * removes the pair (the pod's nft table dies with the pod's netns). Safe when
 * the pod's netns is already gone. Idempotent.
 * @param pn  handle (NULL ok)
 * @return 0 or -errno (ENODEV is not an error)
 */
int podnet_detach(podnet_t *pn);

/**
 * Detach (if attached) and free. NULL ok.
 * @param pn  handle
 */
void podnet_destroy(podnet_t *pn);

/* ------------------------------------------------------------------------ */
/*  podnet, rootless: the pod's own network namespace, no veth               */
/* ------------------------------------------------------------------------ */

/** Sockets podnet_attach_userns() makes inside the pod's netns: four TCP
 *  (explicit proxy, transparent HTTP, transparent TLS, DNS over TCP) and one
 *  UDP (DNS), all AF_INET. */
#define PODNET_USERNS_SOCKS 5

/**
 * Rootless plumbing: a handle for a pod whose network namespace belongs to a
 * user namespace the (unprivileged) caller created, e.g. with
 * clone3(CLONE_NEWUSER | CLONE_NEWNET). No veth and no host change: the
 * runner address 169.254.1.1 lives on the pod's own lo, where the proxy's
 * listeners are bound (standard ports, no DNAT). podnet_env() and
 * podnet_resolv_conf() work as with podnet_new(); podnet_ifname() is "".
 * Creates no kernel object.
 * @param out  receives the handle
 * @return 0; -ENOMEM; -EINVAL for NULL
 */
int podnet_new_userns(podnet_t **out);

/**
 * Set up the pod's netns from inside it: a helper child joins @p userns_fd and
 * then @p netns_fd (the caller must own that user namespace: same euid, its
 * parent namespace), brings lo up with the runner address on it, installs the
 * pod's filter (table inet podnet: loopback and the listening ports only) and
 * makes PODNET_USERNS_SOCKS unbound sockets there, which it passes back.
 * Take them with podnet_userns_socket() (e.g. as proxy_config.socket_fn).
 * Call before the pod runs untrusted code. The helper is reaped before this
 * returns. podnet_detach() closes sockets not taken; nothing else is left
 * on the host.
 * @param pn         handle from podnet_new_userns()
 * @param userns_fd  descriptor of the pod's user namespace
 * @param netns_fd   descriptor of the pod's network namespace
 * @return 0; -EALREADY; -EINVAL; -errno (podnet_last_error() says more)
 */
int podnet_attach_userns(podnet_t *pn, int userns_fd, int netns_fd);

/**
 * Hand out one socket made by podnet_attach_userns() (a proxy_socket_fn).
 * @param domain  AF_INET only
 * @param type    SOCK_STREAM or SOCK_DGRAM (SOCK_NONBLOCK/SOCK_CLOEXEC ignored:
 *                the sockets have both)
 * @param user    the podnet_t handle
 * @return a descriptor the caller now owns; -EMFILE when none of that type
 *         is left; -EAFNOSUPPORT for another domain or handle
 */
int podnet_userns_socket(int domain, int type, void *user);

/**
 * Whether @p pn was made by podnet_new_userns().
 * @param pn  handle (NULL: 0)
 * @return 1 or 0
 */
int podnet_is_userns(const podnet_t *pn);

/**
 * Text of the last failure of podnet_attach() or podnet_attach_userns() (an
 * nftables message, or which step failed), "" if none.
 * @param pn  handle
 * @return a string owned by @p pn
 */
const char *podnet_last_error(const podnet_t *pn);

/* ======================================================================== */
/*  proxy: explicit + transparent HTTP/TLS proxy and pod DNS                 */
/* ======================================================================== */

/** The proxy and DNS server of one pod. Opaque. */
typedef struct proxy proxy_t;

/** Where an event comes from (the audit `src` field). */
enum proxy_src {
	PROXY_SRC_PROXY = 0, /**< "proxy": HTTP request, CONNECT tunnel, transparent TLS */
	PROXY_SRC_DNS = 1,   /**< "dns": one pod DNS question */
};

/** What a proxy event reports. */
enum proxy_ev_kind {
	/** A decision (the default): one per request, tunnel or DNS question. */
	PROXY_EV_DECISION = 0,
	/** A pod connection that carried at least one allowed or warned request
	 *  or tunnel has ended: bytes_up/bytes_down are the totals of those
	 *  requests, duration_us the connection's life, count the number of
	 *  them; action, rule, host, port, what and peer are those of the last
	 *  one. Exactly one per such connection. */
	PROXY_EV_CONN_END = 1,
	/** From proxy_destroy(), after every connection ended: one per upstream
	 *  "host:port" the pod reached (allowed or warned), in first-use order,
	 *  with count = requests and tunnels, bytes_up/bytes_down their totals.
	 *  At most PROXY_HOST_TOTALS distinct ones; the rest are added into one
	 *  last event whose what is "(other)". */
	PROXY_EV_HOST_TOTAL = 2,
};

/** Distinct hosts kept for the PROXY_EV_HOST_TOTAL events of one pod. */
#define PROXY_HOST_TOTALS 256

/**
 * One audit event. Every decision produces exactly one: a deny when it is made;
 * an allow/warn when the request (HTTP), tunnel (CONNECT / transparent TLS) or
 * question (DNS) ends, with its byte counts and duration. Malformed input that
 * never reached a decision (400, bad ClientHello, FORMERR) is reported as a
 * deny with rule "malformed". All pointers are valid only during the callback.
 * 07-runner renders it as the audit line of docs/audit-events.md with cat "net".
 */
struct proxy_event {
	enum proxy_src src;     /**< proxy or dns */
	enum pol_action action; /**< allow, warn or deny */
	const char *rule;       /**< matching rule, "default", or "malformed"/"limit" */
	const char *reason;     /**< one human sentence (never NULL, may be "") */
	const char *method; /**< "GET", "CONNECT", "TLS" (transparent SNI), "A"/"AAAA"/... (dns) */
	const char *url;   /**< request URL (absolute), "host:port" for tunnels, the name for dns */
	const char *host;  /**< host name or IP literal as requested ("" if unknown) */
	uint16_t port;     /**< requested port (0 for dns) */
	const char *what;  /**< "host:port" (audit `what`); the name for dns */
	const char *peer;  /**< upstream address actually connected, "IP:port", or "" */
	int status;        /**< HTTP status sent to the pod (0 for tunnels/dns rcode) */
	uint64_t bytes_up; /**< bytes pod -> upstream (request body / tunnel payload) */
	uint64_t bytes_down;     /**< bytes upstream -> pod */
	uint64_t duration_us;    /**< from accept/request start to the end */
	pid_t pid;               /**< pod-side pid from proxy_config.pid_of, 0 if unknown */
	enum proxy_ev_kind kind; /**< decision (default), connection end or host total */
	uint32_t count;          /**< conn end / host total: requests and tunnels counted */
};

/**
 * Event callback. Called from proxy_dispatch() (and from proxy_destroy() for
 * connections still open). Must not call proxy_destroy().
 * @param ev    the event
 * @param user  proxy_config.user
 */
typedef void (*proxy_event_fn)(const struct proxy_event *ev, void *user);

/**
 * Optional: map a pod client's address to a pod-side pid (e.g. from eBPF
 * connect events). Return 0 when unknown.
 * @param client  the pod-side socket address of the connection
 * @param user    proxy_config.user
 * @return pid or 0
 */
typedef pid_t (*proxy_pid_fn)(const struct sockaddr *client, void *user);

/**
 * Optional: create a listener's socket (proxy_config.socket_fn). The proxy
 * binds and listens on it itself; it must be non-blocking and close-on-exec.
 * @param domain  AF_INET or AF_INET6
 * @param type    SOCK_STREAM or SOCK_DGRAM, with SOCK_NONBLOCK | SOCK_CLOEXEC
 * @param user    proxy_config.socket_user
 * @return a descriptor, or -errno
 */
typedef int (*proxy_socket_fn)(int domain, int type, void *user);

/** One static upstream name mapping (the "hosts map" resolver). */
struct proxy_host {
	const char *name; /**< lower-case host name, no trailing dot */
	uint16_t port;    /**< match only this requested port; 0 = any port */
	/** Upstream address (AF_INET/AF_INET6). Its port, if non-zero, replaces the
	 *  requested port (tests route "sni.test:443" to 127.0.0.1:EPHEMERAL). The
	 *  address, port included, is what policy_decide_addr() checks. */
	struct sockaddr_storage addr;
};

/** How upstream names are resolved. IP literals never need resolving. */
enum proxy_resolver {
	/** The hosts map first, then getaddrinfo() on one background resolver
	 *  thread (results come back to the loop through an eventfd). */
	PROXY_RESOLVE_SYSTEM = 0,
	/** The hosts map only; other names fail (502 / NXDOMAIN-like). */
	PROXY_RESOLVE_HOSTS = 1,
};

/** Limits against a hostile pod. Zero fields take the defaults given. */
struct proxy_limits {
	/** concurrent pod connections (256); lowered so that 6 fds per connection
	 *  fit in RLIMIT_NOFILE minus 256 kept for the rest of the runner */
	uint32_t max_conns;
	uint32_t max_head_bytes;     /**< request/response head incl. CRLFCRLF (16384) */
	uint32_t max_headers;        /**< header fields per head (100) */
	uint32_t max_line;           /**< request line / header line (8192) */
	uint32_t max_requests;       /**< requests per client connection (1000) */
	uint32_t head_timeout_ms;    /**< whole request head must arrive within (10000) */
	uint32_t idle_timeout_ms;    /**< keep-alive idle / body stall (30000) */
	uint32_t tunnel_idle_ms;     /**< tunnel with no bytes either way (300000) */
	uint32_t connect_timeout_ms; /**< upstream connect (10000) */
	/** SO_RCVBUF and SO_SNDBUF asked for on both sockets of every connection
	 *  (65536, also the minimum; the kernel doubles it for its bookkeeping and
	 *  turns autotuning off), so a pod's connections cannot grow the runner's
	 *  socket memory to the system-wide tcp_rmem/tcp_wmem maximum */
	uint32_t sock_buf;
	/** capacity of each of a tunnel's two splice pipes (65536) */
	uint32_t pipe_buf;
	/** capacity of a bulk pipe (1 MiB): a tunnel direction that has carried
	 *  bulk_after bytes gets one, for at most bulk_pipes directions of the
	 *  proxy at once, so bulk transfers run at near the big pipe's speed
	 *  while the worst case grows by a fixed bulk_pipes x pipe_bulk;
	 *  equal to pipe_buf: no bulk pipes */
	uint32_t pipe_bulk;
	/** payload bytes a direction carries before it gets a bulk pipe (1 MiB) */
	uint32_t bulk_after;
	/** bulk pipes of the proxy at once (16) */
	uint32_t bulk_pipes;
};

/**
 * The most kernel and proxy memory one pod connection can hold on the
 * runner's side with limits @p l: two sockets with their receive and send
 * buffers (twice sock_buf each, as the kernel counts them), two pipes, and the
 * two read buffers of the proxy. Times max_conns it is the pod's network
 * budget (see the README's "Memory a pod can cost the runner").
 * @param l  limits as in effect (zero fields: the defaults)
 * @return bytes
 */
uint64_t proxy_conn_budget(const struct proxy_limits *l);

/**
 * The most a pod's network can hold on the runner's side with limits @p l:
 * max_conns times proxy_conn_budget(), plus the bulk pipes (bulk_pipes times
 * what pipe_bulk adds to pipe_buf).
 * @param l  limits as in effect (zero fields: the defaults)
 * @return bytes
 */
uint64_t proxy_budget(const struct proxy_limits *l);

/** What proxy_create() needs. */
struct proxy_config {
	const policy_t *policy;     /**< finalized policy (required, not owned) */
	struct in_addr listen_addr; /**< runner end (podnet_runner_addr()); network order */
	/** Also listen on this IPv6 address (podnet_runner_addr6()), with the same
	 *  ports as the IPv4 listeners, and answer AAAA questions with it. The
	 *  unspecified address (all zero, the default) means IPv4 only. */
	struct in6_addr listen_addr6;
	uint16_t proxy_port; /**< explicit proxy; 0 = PODNET_PROXY_PORT */
	uint16_t http_port;  /**< transparent HTTP; 0 = PODNET_HTTP_PORT */
	uint16_t tls_port;   /**< transparent TLS;  0 = PODNET_TLS_PORT */
	uint16_t dns_port;   /**< pod DNS (udp+tcp); 0 = PODNET_DNS_PORT */
	/** Bit mask of services NOT to start (PROXY_NO_*); default: all start. */
	unsigned disable;
	enum proxy_resolver resolver;   /**< how upstream names are resolved */
	const struct proxy_host *hosts; /**< hosts map (copied), may be NULL */
	size_t n_hosts;                 /**< entries in @p hosts */
	struct proxy_limits limits;     /**< zero fields: defaults */
	proxy_event_fn on_event;        /**< required */
	proxy_pid_fn pid_of;            /**< optional */
	void *user;                     /**< passed to the callbacks */
	/** Optional: make the listeners' sockets (instead of socket(2)), e.g.
	 *  podnet_userns_socket() for a rootless pod's own netns. */
	proxy_socket_fn socket_fn;
	void *socket_user; /**< passed to @p socket_fn */
};

/** proxy_config.disable bits. */
#define PROXY_NO_HTTP 0x1u /**< no transparent HTTP listener */
#define PROXY_NO_TLS 0x2u  /**< no transparent TLS listener */
#define PROXY_NO_DNS 0x4u  /**< no pod DNS */

/**
 * Create the listeners (explicit proxy, transparent HTTP and TLS, DNS UDP+TCP)
 * on @p cfg->listen_addr, with IP_FREEBIND so this can precede podnet_attach().
 * Sets SIGPIPE to ignored if it is at its default (the proxy never wants it).
 * @param cfg  configuration (copied)
 * @param out  receives the handle
 * @return 0; -EINVAL for a bad config; -errno from socket/bind/listen
 */
int proxy_create(const struct proxy_config *cfg, proxy_t **out);

/**
 * The proxy's epoll fd (level-triggered readable when work is pending,
 * including its own timers). Add it to the runner's loop with EPOLLIN.
 * @param p  handle
 * @return the fd (owned by @p p)
 */
int proxy_fd(const proxy_t *p);

/**
 * Do all pending work without blocking: accept, read, write, resolve, connect,
 * expire timeouts, emit events. Never fails because of pod input.
 * @param p  handle
 * @return number of I/O events handled (>= 0), or -errno for an internal
 *         failure of the proxy's own fds
 */
int proxy_dispatch(proxy_t *p);

/**
 * Run proxy_dispatch() until @p timeout_ms passed or *@p stop becomes non-zero
 * (tests, benchmarks and simple embedders; the runner uses its own loop).
 * @param p           handle
 * @param timeout_ms  <0 = until stop
 * @param stop        may be NULL; read between dispatch rounds
 * @return 0 or -errno
 */
int proxy_run(proxy_t *p, int timeout_ms, volatile int *stop);

/** Counters, for tests and the runner's summary. */
struct proxy_stats {
	uint64_t conns_accepted; /**< pod connections accepted on any TCP listener */
	uint64_t conns_refused;  /**< closed at once over max_conns */
	uint64_t conns_open;     /**< currently open pod connections */
	uint64_t requests;       /**< HTTP requests and tunnels decided */
	uint64_t allowed;        /**< allow events (proxy + dns) */
	uint64_t warned;         /**< warn events */
	uint64_t denied;         /**< deny events */
	uint64_t malformed;      /**< 400s, bad ClientHellos, FORMERR */
	uint64_t dns_queries;    /**< DNS questions answered */
	uint64_t bytes_up;       /**< pod -> upstream payload bytes */
	uint64_t bytes_down;     /**< upstream -> pod payload bytes */
	uint64_t bulk_pipes;     /**< tunnel directions now relaying through a bulk pipe */
};

/**
 * Read the counters.
 * @param p    handle
 * @param out  filled
 */
void proxy_get_stats(const proxy_t *p, struct proxy_stats *out);

/**
 * The port a listener actually bound (useful when a test passes port 0 via a
 * config port set to PROXY_PORT_EPHEMERAL).
 * @param p     handle
 * @param which 0 explicit proxy, 1 transparent HTTP, 2 transparent TLS, 3 DNS
 * @return the port (host order), or 0 when that service is off
 */
uint16_t proxy_port(const proxy_t *p, int which);

/** Use as a config port to let the kernel pick one (tests on loopback). */
#define PROXY_PORT_EPHEMERAL 0xffffu

/**
 * Close every connection (emitting the events of those still open) and every
 * listener, stop the resolver thread, free. NULL ok. With PROXY_RESOLVE_SYSTEM
 * this may wait for a getaddrinfo() already in flight (bounded by the system
 * resolver's own timeout).
 * @param p  handle
 */
void proxy_destroy(proxy_t *p);

/* ======================================================================== */
/*  Parsers (exposed for unit tests and libFuzzer targets)                   */
/* ======================================================================== */

/** Maximum header fields a parsed head keeps (hard cap of max_headers). */
#define PROXY_MAX_HEADERS 128

/** A header field inside a parsed head: offsets into the caller's buffer. */
struct proxy_hdr {
	uint32_t name_off;  /**< offset of the field name */
	uint32_t name_len;  /**< length of the field name */
	uint32_t value_off; /**< offset of the value (surrounding spaces trimmed) */
	uint32_t value_len; /**< length of the value */
};

/** A parsed HTTP/1.x request or response head. Offsets refer to the input. */
struct proxy_head {
	int is_response;                             /**< 1 for a status line */
	uint32_t method_off;                         /**< request: method offset */
	uint32_t method_len;                         /**< request: method length */
	uint32_t target_off;                         /**< request: target offset */
	uint32_t target_len;                         /**< request: target length */
	int version_minor;                           /**< 0 or 1 (HTTP/1.x only) */
	int status;                                  /**< response: status code */
	uint32_t n_headers;                          /**< fields in @p headers */
	struct proxy_hdr headers[PROXY_MAX_HEADERS]; /**< the fields, in order */
	uint32_t head_len;                           /**< bytes up to and including CRLFCRLF */
	/* framing, derived: */
	int chunked;            /**< Transfer-Encoding ends in chunked */
	int64_t content_length; /**< -1 when absent */
	int conn_close;         /**< Connection: close (or 1.0 without keep-alive) */
	int expect_continue;    /**< Expect: 100-continue */
};

/**
 * Parse one HTTP/1.x head strictly (CRLF line ends, token method, no obs-fold,
 * no whitespace before the colon, Content-Length digits only, CL + TE or
 * conflicting/duplicate CL rejected, TE other than "chunked" last rejected).
 * @param buf          input
 * @param len          bytes available
 * @param is_response  parse a status line instead of a request line
 * @param max_headers  header count limit (<= PROXY_MAX_HEADERS)
 * @param max_line     line length limit
 * @param out          filled on success
 * @return head length (> 0) when complete; 0 when more bytes are needed;
 *         -EBADMSG malformed; -E2BIG over a limit; -EPROTO ambiguous framing
 */
int proxy_parse_head(const char *buf, size_t len, int is_response, uint32_t max_headers,
		     uint32_t max_line, struct proxy_head *out);

/** State of the chunked-body decoder (zero-initialise to start). */
struct proxy_chunked {
	int state;          /**< internal */
	uint64_t remaining; /**< bytes left in the current chunk */
	uint32_t line_len;  /**< bytes of the current size/trailer line seen */
	int done;           /**< 1 once the final CRLF after trailers was seen */
};

/**
 * Advance the chunked decoder over @p len bytes of framing+data (the bytes are
 * forwarded verbatim by the proxy; this only finds where the body ends).
 * @param c         decoder state
 * @param buf       input
 * @param len       bytes available
 * @param max_line  limit for size and trailer lines
 * @return bytes consumed (stops right after the body's end when c->done), or
 *         -EBADMSG for bad framing, -E2BIG for an over-long line or size
 */
long proxy_chunked_feed(struct proxy_chunked *c, const char *buf, size_t len, uint32_t max_line);

/**
 * Find the SNI host name in the first bytes of a TLS connection (a ClientHello,
 * possibly spread over several handshake records).
 * @param buf   input
 * @param len   bytes available
 * @param host  receives the lower-cased name, NUL-terminated
 * @param cap   capacity of @p host (>= 256)
 * @return name length (> 0); 0 when more bytes are needed; -ENOENT when the
 *         hello has no SNI; -EBADMSG when it is not a well-formed ClientHello
 */
int proxy_parse_sni(const uint8_t *buf, size_t len, char *host, size_t cap);

/** One parsed DNS question. */
struct proxy_dns_query {
	uint16_t id;           /**< transaction id */
	uint16_t flags;        /**< header flags as received */
	uint16_t qtype;        /**< question type (1 A, 28 AAAA, ...) */
	uint16_t qclass;       /**< question class (1 IN) */
	char name[256];        /**< lower-case, dotted, no trailing dot ("" = root) */
	uint32_t question_len; /**< bytes of header + question (what the answer echoes) */
	int has_opt;           /**< an EDNS OPT record followed */
};

/**
 * Parse a DNS query strictly: QR=0, opcode QUERY, exactly one question, no
 * answer/authority records, at most one additional (EDNS OPT), no compression,
 * labels of [A-Za-z0-9_-] up to 63 bytes, name up to 253 characters, nothing
 * after the records.
 * @param buf  the message (UDP payload, or TCP message without the length)
 * @param len  its length
 * @param out  filled on success (id is filled whenever len >= 2)
 * @return 0; -EBADMSG malformed (answer FORMERR if id is known); -ENOTSUP a
 *         well-formed query we do not serve (answer NOTIMP)
 */
int proxy_parse_dns(const uint8_t *buf, size_t len, struct proxy_dns_query *out);

#ifdef __cplusplus
}
#endif
#endif /* POD_PROXY_H */
