/*
 * proxy_int.h — private structures of layer 05-proxy (not installed).
 *
 * Layer 05. Shared by the files in src/:
 *   proxy.c    life cycle, listeners, the epoll dispatch, timers, events
 *   http.c     the HTTP/1.1 connection state machine (explicit + transparent)
 *   tunnel.c   CONNECT / transparent-TLS byte relay (splice or read/write)
 *   resolve.c  upstream name resolution (hosts map, IP literals, resolver thread)
 *   dns.c      the pod DNS server (UDP + TCP)
 *   http_parse.c, sni.c, dns_parse.c   the hostile-input parsers
 *   podnet.c   veth / addresses / routes / nftables (independent of the rest)
 *
 * Ownership: struct proxy owns every struct conn (a doubly linked list); a conn
 * owns its two sockets, its buffers, its pipes and (while resolving) a pointer
 * to a resolver job, which the resolver thread may still hold (see resolve.c).
 * Everything but the resolver thread runs on the thread that calls
 * proxy_dispatch(); there is no locking outside resolve.c.
 */
#ifndef POD_PROXY_INT_H
#define POD_PROXY_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proxy.h"

#define PX_DNS_MAX_MSG 4096  /* largest DNS message accepted (TCP); UDP is 512..4096 */
#define PX_DNS_TTL 5         /* seconds; short, the mapping is per pod */
#define PX_DNS_BACKLOG 65536 /* TCP DNS: answers queued before we stop reading */
#define PX_MAX_ADDRS 8       /* resolved addresses kept per request */
#define PX_BUF_MIN (32u << 10)
#define PX_TICK_MS 100    /* timer resolution for timeouts */
#define PX_FDS_PER_CONN 6 /* pod socket + upstream socket + two splice pipes */
#define PX_FD_RESERVE 256 /* fds of RLIMIT_NOFILE left to the rest of the runner */
#define PX_NLST 8         /* TCP listeners: 4 services x (IPv4, IPv6) */

int px_token_eq(const char *a, size_t alen, const char *lit);
/**
 * The head-end scan of proxy_parse_head, resumable: *from is where the last
 * call stopped (0 at first), so a head that arrives in many small reads is
 * scanned once, not once per read. Same results as proxy_parse_head's own scan.
 * @return head length, 0 (need more; *from advanced), -EBADMSG or -E2BIG.
 */
int px_head_scan(const char *buf, size_t len, uint32_t *from, uint32_t max_line);
/** Build a DNS answer into out. rcode 0/2/3/4/5; a = A record or NULL. @return length or 0. */
size_t px_dns_answer(const uint8_t *query, const struct proxy_dns_query *q, int rcode,
		     const struct in_addr *a, uint8_t *out, size_t cap);
/** The same with one AAAA record (rcode 0). @return length or 0. */
size_t px_dns_answer6(const uint8_t *query, const struct proxy_dns_query *q,
		      const struct in6_addr *a6, uint8_t *out, size_t cap);

/* ---- byte buffer: data lives in [start, end) of data[0..cap) ---- */
struct pxbuf {
	char *data;
	uint32_t start, end, cap;
};
static inline uint32_t pxbuf_len(const struct pxbuf *b)
{
	return b->end - b->start;
}
static inline char *pxbuf_ptr(const struct pxbuf *b)
{
	return b->data + b->start;
}
int pxbuf_reserve(struct pxbuf *b, uint32_t cap);
/** Make room at the end (compacts); @return free bytes at the end. */
uint32_t pxbuf_space(struct pxbuf *b);
void pxbuf_consume(struct pxbuf *b, uint32_t n);
int pxbuf_append(struct pxbuf *b, const void *p, size_t n);
void pxbuf_free(struct pxbuf *b);

/* ---- what an epoll event points at ---- */
enum fdkind {
	FK_LISTEN_EXPLICIT = 0,
	FK_LISTEN_HTTP,
	FK_LISTEN_TLS,
	FK_LISTEN_DNS_TCP,
	FK_DNS_UDP,
	FK_TIMER,
	FK_RESOLVER,
	FK_AGAIN,
	FK_CLIENT,
	FK_UPSTREAM,
};

struct conn;
struct pxfd {
	int fd;          /* -1 when closed */
	uint8_t kind;    /* enum fdkind */
	uint32_t events; /* interest currently registered (0 = not registered) */
	struct conn *c;  /* FK_CLIENT / FK_UPSTREAM */
};

enum cmode { CM_EXPLICIT = 0, CM_HTTP, CM_TLS, CM_DNS };
enum cstate {
	CS_HEAD = 0, /* reading a request head (or ClientHello, or DNS message) */
	CS_RESOLVE,  /* waiting for the resolver thread */
	CS_CONNECT,  /* non-blocking connect to the upstream in flight */
	CS_EXCHANGE, /* HTTP request body up / response down */
	CS_TUNNEL,   /* CONNECT or transparent TLS relay */
	CS_LOCAL,    /* flushing a locally generated response, then close */
};

/* Response body framing. */
enum rframe { RF_NONE = 0, RF_LENGTH, RF_CHUNKED, RF_CLOSE };

struct rjob; /* resolve.c */

/* One relay direction of a tunnel. */
struct pxdir {
	int pipe[2];   /* splice pipe, -1 when read/write is used */
	size_t inpipe; /* bytes sitting in the pipe */
	size_t cap;    /* the pipe's capacity (F_GETPIPE_SZ) */
	int eof;       /* source said EOF */
	int shut;      /* SHUT_WR sent to the destination */
	int bulk;      /* the pipe was grown to pipe_bulk (counted in proxy.n_bulk) */
};

struct conn {
	struct proxy *px;
	struct conn *prev, *next;
	enum cmode mode;
	enum cstate state;
	int dead;  /* closed; freed after the current dispatch batch */
	int again; /* on px->again: has work left without a new event */
	struct conn *again_next;
	struct pxfd cli, up;
	struct sockaddr_storage cli_addr;
	pid_t pid;
	uint64_t deadline_ms; /* monotonic; 0 = none */
	uint64_t t_start_us;  /* request (or connection, for tunnels) start */
	uint32_t nreq;        /* requests seen on this connection */
	uint32_t head_scan;   /* CS_HEAD: cin scanned up to this line start (px_head_scan) */

	/* buffers: raw bytes read from each side, plus rewritten heads to send */
	struct pxbuf cin, uin;   /* from client, from upstream */
	struct pxbuf cout, uout; /* heads / local responses pending to client, to upstream */
	int cli_eof, up_eof;
	int shut_wr; /* CS_LOCAL: our response is out, SHUT_WR sent, draining */

	/* the current request */
	struct proxy_head head; /* parsed request head (offsets into cin) */
	char method[24];
	char host[256];      /* bare host (IPv6 without brackets) */
	char authority[300]; /* host[:port] as it goes into Host: */
	uint16_t port;
	char *url; /* malloc'd, for the event */
	enum pol_action action;
	const char *rule;
	char reason[192];
	int status; /* HTTP status sent to the client (0 = none yet) */
	uint64_t bytes_up, bytes_down;
	int event_done; /* the event of this request was emitted */

	/* request body framing (client -> upstream) */
	int req_done;
	int req_chunked;
	int64_t req_left; /* Content-Length bytes still to scan */
	struct proxy_chunked req_ck;
	uint32_t req_fwd; /* bytes at the front of cin validated for forwarding */
	int client_close; /* client asked for close (or HTTP/1.0) */
	int ws_req;       /* a WebSocket upgrade request (Upgrade: websocket) */
	int is_head_req;

	/* response (upstream -> client) */
	int resp_head_done, resp_done;
	enum rframe resp_frame;
	int64_t resp_left;
	struct proxy_chunked resp_ck;
	uint32_t resp_fwd; /* bytes at the front of uin validated for forwarding */
	int resp_close;    /* close the client after this response */

	/* upstream */
	struct sockaddr_storage addrs[PX_MAX_ADDRS];
	int naddr, ai;     /* checked addresses, index being tried */
	char peer[64];     /* address of the current request's upstream ("" before one) */
	char up_peer[64];  /* address of the open upstream connection */
	char up_host[256]; /* what the open upstream connection is for */
	uint16_t up_port;
	struct sockaddr_storage up_sa;             /* address of the open upstream connection */
	enum pol_action addr_action[PX_MAX_ADDRS]; /* policy_decide_addr per address */
	const char *addr_rule[PX_MAX_ADDRS];
	int up_idle;  /* upstream open and idle (keep-alive reuse) */
	int up_event; /* the upstream fd reported events in this dispatch */
	struct rjob *job;

	/* tunnel */
	struct pxdir c2u, u2c;

	/* the connection's traffic (PROXY_EV_CONN_END): its allowed requests */
	uint64_t t_up, t_down, t_open_us; /* t_open_us: accept time */
	uint32_t t_n;
	enum pol_action t_action;
	const char *t_rule;
	char t_host[256], t_what[300], t_peer[64];
	uint16_t t_port;
};

/* Traffic of one upstream host:port over the pod's life (PROXY_EV_HOST_TOTAL). */
struct pxtotal {
	char what[300];
	uint64_t up, down;
	uint32_t n;
};

struct proxy {
	struct proxy_config cfg;
	struct proxy_limits lim;
	struct proxy_host *hosts;
	char (*host_names)[256];
	int epfd, timerfd, timer_armed;
	struct pxfd lst[PX_NLST]; /* explicit, http, tls, dns tcp; then the same on IPv6 */
	int accept_paused;        /* listeners out of epoll after EMFILE & co., until a tick */
	struct pxfd udp, udp6;    /* dns udp (IPv4, IPv6) */
	int v6;                   /* listening on cfg.listen_addr6 too */
	struct pxfd tfd;          /* timer */
	uint16_t ports[4];        /* bound ports: explicit, http, tls, dns */
	struct conn *conns;       /* open connections */
	struct conn *dead;        /* closed, to free after the batch */
	struct proxy_stats st;
	int use_splice;
	uint32_t n_bulk;      /* tunnel directions with a bulk pipe (at most lim.bulk_pipes) */
	struct resolver *res; /* resolve.c; NULL until first needed */
	struct pxfd resfd;
	/* Tunnels are edge-triggered; one that stops on its budget (not on EAGAIN)
	 * is queued here and an eventfd makes proxy_fd() readable again. */
	struct conn *again;
	struct pxfd againfd;
	struct pxtotal *totals; /* PROXY_HOST_TOTALS + 1 ("(other)"), allocated on first use */
	int n_totals;
	/* the host's own interface addresses (hostaddr.c), 16-byte form */
	uint8_t (*hostips)[16];
	int n_hostips;
	uint64_t hostips_ms; /* when they were read */
};

/* proxy.c */
uint64_t px_now_ms(void);
uint64_t px_now_us(void);
void px_emit(struct conn *c, enum proxy_src src, enum pol_action action, const char *rule,
	     const char *reason);
void px_emit_dns(struct proxy *px, const struct proxy_dns_query *q, enum pol_action a,
		 const char *rule, const char *reason, size_t bytes_up, size_t bytes_down,
		 const struct sockaddr *client);
int px_update(struct conn *c);   /* sync epoll interest with the conn's state */
void px_advance(struct conn *c); /* run the conn's state machine, then px_update */
void px_again(struct conn *c);   /* queue c to be advanced again without an event */
void px_close(struct conn *c);
void px_abort(struct conn *c);    /* close with RST */
void px_close_up(struct conn *c); /* close only the upstream socket */
void px_set_deadline(struct conn *c, uint32_t ms);
int px_connect_next(struct conn *c); /* start connecting to addrs[ai] */
const char *px_what(const struct conn *c, char *buf, size_t cap);
void px_sock_bufs(const struct proxy *px, int fd);

/* http.c */
void http_advance(struct conn *c);
void http_on_resolved(struct conn *c, int err);
void http_on_connected(struct conn *c);
void http_local(struct conn *c, int status, const char *text, const char *body);
void http_timeout(struct conn *c);
int http_flush_out(struct pxfd *fd, struct pxbuf *b, int *err);

/* tunnel.c */
int tunnel_start(struct conn *c);
/** The upstream answered a WebSocket upgrade with 101 (already in cout for
 *  the pod): relay both ways as a tunnel from now on. @return 0 or -errno. */
int tunnel_upgrade(struct conn *c);
void tunnel_advance(struct conn *c);
uint32_t tunnel_interest(const struct conn *c, int client_side);

/* resolve.c */
/** Resolve c->host:c->port into c->addrs (checked later). @return 0 done
 *  (c->naddr set, maybe 0), 1 queued (http_on_resolved later), -errno. */
int resolve_start(struct conn *c);
void resolve_cancel(struct conn *c);
void resolve_on_event(struct proxy *px);
void resolve_stop(struct proxy *px);

/* hostaddr.c */
int hostaddr_refresh(struct proxy *px);
void hostaddr_free(struct proxy *px);
/** An allowed decision for @p sa turns into a deny when @p sa is an address
 *  of the runner's host and d->rule does not name it. @return 1 if turned. */
int hostaddr_check(struct proxy *px, const struct sockaddr *sa, struct pol_decision *d);

/* dns.c */
void dns_on_udp(struct proxy *px, struct pxfd *u);
void dns_tcp_advance(struct conn *c);
int dns_decide_name(const struct proxy *px, const char *name, struct pol_decision *d);

#endif
