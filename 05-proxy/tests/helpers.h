/*
 * helpers.h — fixtures shared by the 05-proxy Check suite.
 *
 * Layer 05 (proxy), tests only. Builds on proxy.h, policy.h and Check.
 * Provides: an event recorder, policies from JSON text, upstream servers
 * (tests/upstream.py) on the runner's loopback, a TLS certificate made for the
 * run, private network namespaces (one for the "runner" side of a test, one
 * for its pod), running a real client inside the pod while the proxy's loop
 * turns, and raw sockets for hostile-input tests.
 */
#ifndef PX_TEST_HELPERS_H
#define PX_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"
#include "proxy.h"

/* ---- events ---- */
struct ev_rec {
	enum proxy_src src;
	enum pol_action action;
	char rule[128], reason[192], method[24], url[512], host[256], what[300], peer[64];
	uint16_t port;
	int status;
	uint64_t up, down, dur_us;
	int kind;
	uint32_t count;
};
struct evlog {
	struct ev_rec ev[512]; /* decisions */
	int n;
	struct ev_rec end[256]; /* connection ends and host totals */
	int nend;
};
/** Last PROXY_EV_CONN_END / HOST_TOTAL event (@p kind) whose what contains @p needle. */
const struct ev_rec *evlog_find_end(const struct evlog *l, int kind, const char *needle);
int evlog_count_end(const struct evlog *l, int kind);
void evlog_cb(const struct proxy_event *e, void *user);
/** Last event of @p src whose url or host contains @p needle (NULL = any). */
const struct ev_rec *evlog_find(const struct evlog *l, enum proxy_src src, const char *needle);
/** evlog_find, driving the proxy until the event shows up (tunnel events come at close). */
const struct ev_rec *evlog_wait(proxy_t *px, const struct evlog *l, enum proxy_src src,
				const char *needle, int timeout_ms);
int evlog_count(const struct evlog *l, enum proxy_src src, enum pol_action a);

/* ---- policy ---- */
policy_t *mk_policy(const char *json_fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- upstream servers (python) ---- */
struct upstream {
	pid_t pid;
	uint16_t port;
};
/** mode "http" or "tls"; for tls, the run's certificate is used. */
void upstream_start(struct upstream *u, const char *mode, const char *name);
void upstream_stop(struct upstream *u);
/** Make a fresh directory with cert.pem / key.pem (CN/SAN sni.test, up.test,
 *  other.test). @return 0 or -1. */
int make_cert_dir(char *dir, size_t cap);
/** Directory with cert.pem / key.pem ($PXT_CERT_DIR, or made for this process). */
const char *test_cert_dir(void);

/* ---- host map entries ---- */
struct proxy_host host_v4(const char *name, uint16_t match_port, const char *ip, uint16_t port);

/* ---- namespaces ---- */
/** Move the calling (forked) test process into a fresh netns with lo up. */
void runner_netns_private(void);
struct podns {
	pid_t holder;     /* a sleeping child that owns the pod's netns */
	int fd;           /* its /proc/PID/ns/net */
	char resolv[512]; /* text of the pod's /etc/resolv.conf, or "" */
};
/** The pod's /etc/resolv.conf text; pod_run's child writes it to a file it
 *  bind-mounts and unlinks at once, so nothing is left in /tmp. */
void podns_set_resolv(struct podns *ns, const char *text);
void podns_create(struct podns *ns);
void podns_destroy(struct podns *ns);

/**
 * Run argv inside the pod's netns (its own mount namespace with @p ns->resolv
 * as /etc/resolv.conf when set), environment @p env, while driving the
 * proxy. stdout+stderr go to @p out. @return exit status, 128+signal, or -1 on
 * timeout (the child is killed).
 */
int pod_run(proxy_t *px, const struct podns *ns, const char *const *env, const char *const *argv,
	    int timeout_ms, char *out, size_t cap);
/** Shell convenience: /bin/sh -c @p script inside the pod. */
int pod_sh(proxy_t *px, const struct podns *ns, const char *const *env, int timeout_ms, char *out,
	   size_t cap, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* ---- raw sockets against the proxy on loopback ---- */
int raw_connect(uint16_t port);
void raw_send(proxy_t *px, int fd, const void *buf, size_t len);
/** Read until @p needle appears (NULL: until EOF), EOF, or the timeout.
 *  @return bytes read; *eof says whether the proxy closed. */
size_t raw_recv(proxy_t *px, int fd, char *buf, size_t cap, const char *needle, int timeout_ms,
		int *eof);
/** Drive the proxy for @p ms. */
void spin(proxy_t *px, int ms);

#endif
