/*
 * test_netns.c — the pod's network, end to end, with real namespaces and clients.
 *
 * Layer 05 (proxy), tests only; needs root. Each test moves its (forked)
 * process into a private network namespace that plays the runner's (so its
 * veths, addresses and listeners vanish with it), starts upstream servers on
 * that namespace's loopback, creates a pod namespace (a sleeping child that
 * unshared CLONE_NEWNET), attaches the veth + nftables with podnet_attach(),
 * and runs curl, Python urllib and Bun fetch inside the pod — with the pod's
 * environment from podnet_env() and its /etc/resolv.conf bind-mounted from
 * podnet_resolv_conf(), as 07-runner does — while the proxy's loop turns.
 * One test works in the host's own namespace to prove teardown leaves no veth.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "podtest.h"
#include "proxy.h"

struct pod_world {
	struct evlog log;
	policy_t *pol;
	proxy_t *px;
	podnet_t *pn;
	struct podns ns;
	struct upstream http, tls;
	const char *env[16];
	char runner[INET_ADDRSTRLEN];
	char cert[160];
};
static struct pod_world P;

static uint32_t test_index(void)
{
	return (uint32_t)(getpid() % 4000) * 4;
}

/* ephemeral: the proxy listens on kernel-chosen ports and the pod reaches them
 * through the DNAT rules podnet_attach() adds (the pod still uses 3128/80/443/53) */
static void pod_world_start(const char *net_json, int ephemeral)
{
	char pol[2048];
	memset(&P, 0, sizeof(P));
	/* 1. a private "runner" namespace, with upstreams on its loopback */
	runner_netns_private();
	upstream_start(&P.http, "http", "U1");
	upstream_start(&P.tls, "tls", "T1");
	snprintf(P.cert, sizeof(P.cert), "%s/cert.pem", test_cert_dir());
	/* 2. the policy */
	if (!net_json) {
		snprintf(pol, sizeof(pol),
			 "{\"default\":\"deny\",\"allow\":[\"up.test\",\"sni.test:443\","
			 "\"127.0.0.1:%u\",\"127.0.0.1:%u\"],\"warn\":[\"warn.test\"],"
			 "\"deny\":[\"bad.test\"]}",
			 P.http.port, P.tls.port);
		net_json = pol;
	}
	P.pol = mk_policy("{\"version\":1,\"net\":%s}", net_json);
	/* 3. plumbing plan, then the proxy on the runner end (before the veth exists) */
	struct podnet_config ncfg = { .index = test_index(), .ifname_prefix = "px" };
	ck_assert_int_eq(podnet_new(&ncfg, &P.pn), 0);
	inet_ntop(AF_INET, &(struct in_addr){ podnet_runner_addr(P.pn).s_addr }, P.runner,
		  sizeof(P.runner));
	struct proxy_host hosts[] = {
		host_v4("up.test", 0, "127.0.0.1", P.http.port),
		host_v4("warn.test", 0, "127.0.0.1", P.http.port),
		host_v4("sni.test", 0, "127.0.0.1", P.tls.port),
		host_v4("other.test", 0, "127.0.0.1", P.tls.port),
		host_v4("evil.test", 0, "10.0.0.5", 80),
	};
	struct proxy_config pcfg = {
		.policy = P.pol,
		.listen_addr = podnet_runner_addr(P.pn),
		.resolver = PROXY_RESOLVE_HOSTS,
		.hosts = hosts,
		.n_hosts = sizeof(hosts) / sizeof(hosts[0]),
		.on_event = evlog_cb,
		.user = &P.log,
	};
	if (ephemeral)
		pcfg.proxy_port = pcfg.http_port = pcfg.tls_port = pcfg.dns_port =
			PROXY_PORT_EPHEMERAL;
	ck_assert_int_eq(proxy_create(&pcfg, &P.px), 0);
	if (ephemeral)
		ck_assert_int_eq(podnet_set_ports(P.pn, proxy_port(P.px, 0), proxy_port(P.px, 1),
						  proxy_port(P.px, 2), proxy_port(P.px, 3)), 0);
	/* 4. the pod's netns, then attach the veth + rules to it */
	podns_create(&P.ns);
	int r = podnet_attach(P.pn, P.ns.fd);
	ck_assert_msg(r == 0, "podnet_attach: %s", strerror(-r));
	/* 5. what the pod is told: env and resolv.conf */
	podns_set_resolv(&P.ns, podnet_resolv_conf(P.pn));
	int n = 0;
	P.env[n++] = "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	P.env[n++] = "HOME=/tmp";
	for (const char *const *e = podnet_env(P.pn); *e; e++)
		P.env[n++] = *e;
	P.env[n] = NULL;
}

static void pod_world_stop(void)
{
	proxy_destroy(P.px);
	podnet_destroy(P.pn);
	podns_destroy(&P.ns);
	upstream_stop(&P.http);
	upstream_stop(&P.tls);
	policy_free(P.pol);
}

#define SH(out, ...) pod_sh(P.px, &P.ns, P.env, 15000, out, sizeof(out), __VA_ARGS__)

START_TEST(test_pod_gets_veth_address_route_and_rules)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 0);
	char out[8192], want[128];
	ck_assert_int_eq(SH(out, "ip -o -4 addr show dev eth0; ip -4 route; ip -o link"), 0);
	char pod[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &(struct in_addr){ podnet_pod_addr(P.pn).s_addr }, pod, sizeof(pod));
	snprintf(want, sizeof(want), "inet %s/30", pod);
	ck_assert_msg(strstr(out, want), "%s", out);
	snprintf(want, sizeof(want), "default via %s dev eth0", P.runner);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(strstr(out, "1: lo:") && strstr(out, "eth0@") && !strstr(out, "3: "), "%s",
		      out);
	ck_assert_int_eq(SH(out, "nft list ruleset"), 0);
	ck_assert_msg(strstr(out, "table inet podnet") && strstr(out, "reject with tcp reset"), "%s",
		      out);
	ck_assert_msg(!strstr(out, "podnat"), "standard ports need no DNAT: %s", out);
	/* the runner end: addressed, no forwarding */
	char path[128], val[8] = "";
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/forwarding", podnet_ifname(P.pn));
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_gt(read(fd, val, sizeof(val) - 1), 0);
	close(fd);
	ck_assert_int_eq(atoi(val), 0);
	/* 169.254.0.0/16, a /30, never the metadata address */
	uint32_t r = ntohl(podnet_runner_addr(P.pn).s_addr);
	ck_assert_int_eq(r >> 16, (169u << 8) | 254u);
	ck_assert_int_eq(r & 3u, 1u);
	ck_assert_int_ne(r & ~3u, ntohl(inet_addr("169.254.169.252")));
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_curl_explicit_proxy_allow_deny_warn)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 0);
	char out[8192];
	ck_assert_int_eq(SH(out, "curl -sS http://up.test/a"), 0);
	ck_assert_msg(strstr(out, "U1 path=/a sni=-"), "%s", out);
	SH(out, "curl -sS -w ' code=%%{http_code}' http://bad.test/x");
	ck_assert_msg(strstr(out, "code=403") && strstr(out, "rule: bad.test"), "%s", out);
	ck_assert_int_eq(SH(out, "curl -sS http://warn.test/w"), 0);
	ck_assert_msg(strstr(out, "U1 path=/w"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "up.test", 3000);
	ck_assert_int_eq(e->action, POL_ALLOW);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "bad.test", 3000);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_int_eq(e->status, 403);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "warn.test", 3000);
	ck_assert_int_eq(e->action, POL_WARN);
	/* keep-alive: two URLs, one connection */
	struct proxy_stats before, after;
	proxy_get_stats(P.px, &before);
	ck_assert_int_eq(SH(out, "curl -sS http://up.test/k1 http://up.test/k2"), 0);
	ck_assert_msg(strstr(out, "path=/k1") && strstr(out, "path=/k2"), "%s", out);
	proxy_get_stats(P.px, &after);
	ck_assert_int_eq(after.conns_accepted - before.conns_accepted, 1);
	/* a chunked upload */
	ck_assert_int_eq(SH(out, "head -c 100000 /dev/zero | curl -sS -H 'Transfer-Encoding: chunked'"
				 " --data-binary @- http://up.test/up"), 0);
	ck_assert_msg(strstr(out, "U1 got=100000"), "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_curl_transparent_http_through_pod_dns)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 0);
	char out[8192];
	ck_assert_int_eq(SH(out, "curl -sS --noproxy '*' http://up.test/t"), 0);
	ck_assert_msg(strstr(out, "U1 path=/t"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "up.test", 3000);
	ck_assert_str_eq(e->url, "http://up.test/t");
	e = evlog_wait(P.px, &P.log, PROXY_SRC_DNS, "up.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_ALLOW);
	/* a denied name does not even resolve */
	ck_assert_int_ne(SH(out, "curl -sS --noproxy '*' http://bad.test/"), 0);
	ck_assert_msg(strstr(out, "resolve"), "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_python_urllib_through_the_proxy)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 1);
	char out[8192];
	int r = SH(out,
		   "/usr/bin/python3 -c \"import urllib.request, urllib.error\n"
		   "print(urllib.request.urlopen('http://up.test/py', timeout=10).read().decode())\n"
		   "try:\n  urllib.request.urlopen('http://bad.test/', timeout=10)\n"
		   "except urllib.error.HTTPError as e:\n  print('denied', e.code)\"");
	ck_assert_msg(r == 0, "%s", out);
	ck_assert_msg(strstr(out, "U1 path=/py") && strstr(out, "denied 403"), "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_bun_fetch_through_the_proxy)
{
	POD_REQUIRE_ROOT();
	const char *bun = getenv("PODPROXY_BUN");
	if (!bun)
		bun = "../.deps/bun/node_modules/.bin/bun"; /* run from 05-proxy/ */
	POD_REQUIRE(bun && access(bun, X_OK) == 0, "bun (make deps installs it)");
	pod_world_start(NULL, 1);
	char out[8192];
	int r = SH(out,
		   "%s -e \"const a = await fetch('http://up.test/bun'); console.log(a.status, "
		   "await a.text()); const b = await fetch('http://bad.test/'); "
		   "console.log('denied', b.status)\"",
		   bun);
	ck_assert_msg(r == 0, "%s", out);
	ck_assert_msg(strstr(out, "200 U1 path=/bun") && strstr(out, "denied 403"), "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_connect_tunnel_allowed_and_denied)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 1);
	char out[8192];
	ck_assert_int_eq(SH(out, "curl -sS --cacert %s https://sni.test/c", P.cert), 0);
	ck_assert_msg(strstr(out, "T1 path=/c sni=sni.test"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "sni.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->method, "CONNECT");
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_int_gt(e->up, 100);
	ck_assert_int_gt(e->down, 100);
	/* other.test is routed to the same TLS server but the policy denies it */
	ck_assert_int_ne(SH(out, "curl -sS --cacert %s https://other.test/", P.cert), 0);
	ck_assert_msg(strstr(out, "403"), "%s", out);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "other.test", 3000);
	ck_assert_str_eq(e->method, "CONNECT");
	ck_assert_int_eq(e->action, POL_DENY);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_transparent_tls_is_routed_by_sni)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 1);
	char out[8192];
	ck_assert_int_eq(SH(out, "curl -sS --noproxy '*' --cacert %s https://sni.test/s", P.cert),
			 0);
	ck_assert_msg(strstr(out, "T1 path=/s sni=sni.test"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "sni.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->method, "TLS");
	ck_assert_int_eq(e->action, POL_ALLOW);
	/* a denied SNI (reaching port 443 without DNS) is reset */
	int r = SH(out, "curl -sS --noproxy '*' --cacert %s --resolve other.test:443:%s "
			"https://other.test/", P.cert, P.runner);
	ck_assert_msg(r == 35 || r == 56, "curl exit %d: %s", r, out);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "other.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_dns_answers_allowed_names_only)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 1);
	char out[8192];
	int r = SH(out, "/usr/bin/python3 -c \"import socket\n"
			"print('up', socket.gethostbyname('up.test'))\n"
			"for n in ('bad.test', 'nowhere.test'):\n"
			"  try:\n    socket.gethostbyname(n); print('resolved', n)\n"
			"  except socket.gaierror as e:\n    print('nx', n)\"");
	ck_assert_msg(r == 0, "%s", out);
	char want[64];
	snprintf(want, sizeof(want), "up %s", P.runner);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert_msg(strstr(out, "nx bad.test") && strstr(out, "nx nowhere.test"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_DNS, "bad.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->rule, "bad.test");
	/* this test's proxy listens on ephemeral ports: the pod got there through DNAT */
	ck_assert_int_ne(proxy_port(P.px, 3), 53);
	ck_assert_int_eq(SH(out, "nft list table ip podnat"), 0);
	ck_assert_msg(strstr(out, "udp dport 53 dnat to"), "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_raw_tcp_elsewhere_is_refused_at_once)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 0);
	char out[8192];
	/* another port of the runner end, the metadata address, a private address:
	 * refused by the pod's own netfilter rules, never a hang */
	int r = SH(out, "/usr/bin/python3 -c \"import socket, time\n"
			"for host, port in (('%s', 8080), ('169.254.169.254', 80), ('10.1.2.3', 80),"
			" ('%s', 22)):\n"
			"  t = time.monotonic()\n"
			"  try:\n    socket.create_connection((host, port), timeout=5); print('OPEN', host)\n"
			"  except OSError as e:\n"
			"    print('refused' if time.monotonic() - t < 1 else 'SLOW', host, e.errno)\"",
		   P.runner, P.runner);
	ck_assert_msg(r == 0, "%s", out);
	ck_assert_msg(!strstr(out, "OPEN") && !strstr(out, "SLOW"), "%s", out);
	ck_assert_msg(strstr(out, "refused 169.254.169.254") && strstr(out, "refused 10.1.2.3"),
		      "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_pod_private_and_metadata_addresses_denied_by_the_proxy)
{
	POD_REQUIRE_ROOT();
	/* even a policy that allows every name keeps special addresses out */
	pod_world_start("{\"default\":\"allow\"}", 0);
	char out[8192];
	SH(out, "curl -sS -w ' code=%%{http_code}' http://10.1.2.3/");
	ck_assert_msg(strstr(out, "code=403"), "%s", out);
	SH(out, "curl -sS -w ' code=%%{http_code}' http://169.254.169.254/latest/meta-data/");
	ck_assert_msg(strstr(out, "code=403"), "%s", out);
	SH(out, "curl -sS -w ' code=%%{http_code}' http://evil.test/");
	ck_assert_msg(strstr(out, "code=403"), "%s", out);
	ck_assert_int_eq(evlog_count(&P.log, PROXY_SRC_PROXY, POL_DENY), 3);
	pod_world_stop();
}
END_TEST

START_TEST(test_teardown_leaves_no_veth_or_netns)
{
	POD_REQUIRE_ROOT();
	pod_world_start(NULL, 0);
	char ifname[IFNAMSIZ], nspath[64];
	snprintf(ifname, sizeof(ifname), "%s", podnet_ifname(P.pn));
	ck_assert_int_ne(if_nametoindex(ifname), 0);
	pid_t holder = P.ns.holder;
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)holder);
	pod_world_stop();
	ck_assert_int_eq(if_nametoindex(ifname), 0);
	ck_assert_int_ne(access(nspath, F_OK), 0);
}
END_TEST

START_TEST(test_teardown_in_the_host_netns_leaves_no_veth)
{
	POD_REQUIRE_ROOT();
	/* no private runner netns here: the veth is created in the host's namespace */
	struct podns ns;
	podnet_t *pn = NULL;
	struct podnet_config cfg = { .index = test_index() + 2, .ifname_prefix = "pxh" };
	ck_assert_int_eq(podnet_new(&cfg, &pn), 0);
	podns_create(&ns);
	ck_assert_int_eq(podnet_attach(pn, ns.fd), 0);
	char ifname[IFNAMSIZ];
	snprintf(ifname, sizeof(ifname), "%s", podnet_ifname(pn));
	ck_assert_int_ne(if_nametoindex(ifname), 0);
	ck_assert_int_eq(podnet_attach(pn, ns.fd), -EALREADY);
	podnet_destroy(pn);
	ck_assert_int_eq(if_nametoindex(ifname), 0);
	podns_destroy(&ns);
}
END_TEST

START_TEST(test_failed_attach_leaves_no_veth_behind)
{
	POD_REQUIRE_ROOT();
	runner_netns_private();
	/* the pod already has a default route: podnet_attach() gets as far as
	 * the route (veth made, both ends addressed), fails, and must undo it all */
	struct podns ns;
	podns_create(&ns);
	const char *env[] = { "PATH=/usr/bin:/bin:/usr/sbin:/sbin", NULL };
	char out[4096];
	int r = pod_sh(NULL, &ns, env, 10000, out, sizeof(out),
		       "ip link add d0 type veth peer name d1 && ip link set d1 up && ip addr add 169.254.250.1/30 dev d0 && "
		       "ip link set d0 up && ip route add default dev d0");
	ck_assert_msg(r == 0, "%s", out);
	podnet_t *pn = NULL;
	struct podnet_config cfg = { .index = test_index(), .ifname_prefix = "px" };
	ck_assert_int_eq(podnet_new(&cfg, &pn), 0);
	char ifname[IFNAMSIZ];
	snprintf(ifname, sizeof(ifname), "%s", podnet_ifname(pn));
	ck_assert_int_lt(podnet_attach(pn, ns.fd), 0);
	ck_assert_int_eq(if_nametoindex(ifname), 0);
	r = pod_sh(NULL, &ns, env, 10000, out, sizeof(out), "ip -o link");
	ck_assert_msg(r == 0 && !strstr(out, "eth0") && strstr(out, "d0"), "%s", out);
	/* nothing half-done remains: the same handle attaches to a clean pod */
	struct podns ok;
	podns_create(&ok);
	ck_assert_int_eq(podnet_attach(pn, ok.fd), 0);
	ck_assert_int_ne(if_nametoindex(ifname), 0);
	podnet_destroy(pn);
	ck_assert_int_eq(if_nametoindex(ifname), 0);
	podns_destroy(&ok);
	podns_destroy(&ns);
}
END_TEST

START_TEST(test_podnet_skips_the_metadata_block_and_busy_blocks)
{
	POD_REQUIRE_ROOT();
	runner_netns_private();
	podnet_t *a = NULL, *b = NULL, *c = NULL;
	/* the block holding 169.254.169.254 is never handed out */
	for (uint32_t i = 10810; i < 10820; i++) {
		struct podnet_config cfg = { .index = i, .ifname_prefix = "px" };
		ck_assert_int_eq(podnet_new(&cfg, &a), 0);
		uint32_t r = ntohl(podnet_runner_addr(a).s_addr);
		ck_assert_int_ne(r & ~3u, ntohl(inet_addr("169.254.169.252")));
		podnet_destroy(a);
	}
	/* a busy block (its veth exists) makes the next one be chosen, by name or by address */
	struct podns ns;
	podns_create(&ns);
	struct podnet_config cfg = { .index = 77, .ifname_prefix = "px" };
	ck_assert_int_eq(podnet_new(&cfg, &a), 0);
	ck_assert_int_eq(podnet_index(a), 77);
	ck_assert_int_eq(podnet_attach(a, ns.fd), 0);
	ck_assert_int_eq(podnet_new(&cfg, &b), 0);
	ck_assert_int_eq(podnet_index(b), 78);
	struct podnet_config other = { .index = 77, .ifname_prefix = "py" };
	ck_assert_int_eq(podnet_new(&other, &c), 0);
	ck_assert_int_eq(podnet_index(c), 78); /* "py77" is free, but its block is not */
	podnet_destroy(c);
	podnet_destroy(b);
	podnet_destroy(a);
	podns_destroy(&ns);
}
END_TEST

START_TEST(test_loopback_only_pod_reaches_nothing)
{
	POD_REQUIRE_ROOT();
	runner_netns_private();
	struct podns ns;
	podns_create(&ns);
	ck_assert_int_eq(podnet_lo_up(ns.fd), 0);
	const char *env[] = { "PATH=/usr/bin:/bin:/usr/sbin:/sbin", NULL };
	char out[4096];
	int r = pod_sh(NULL, &ns, env, 10000, out, sizeof(out),
		       "ip -o link; ip -4 route; /usr/bin/python3 -c \"import socket\n"
		       "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
		       "c = socket.create_connection(s.getsockname()); print('lo ok')\n"
		       "try:\n  socket.create_connection(('169.254.1.1', 80), timeout=3)\n"
		       "except OSError as e:\n  print('unreachable', e.errno)\"");
	ck_assert_msg(r == 0, "%s", out);
	ck_assert_msg(strstr(out, "lo: <LOOPBACK,UP") && !strstr(out, "2: "), "%s", out);
	ck_assert_msg(strstr(out, "lo ok") && strstr(out, "unreachable"), "%s", out);
	podns_destroy(&ns);
}
END_TEST

START_TEST(test_twenty_pods_get_distinct_blocks_and_leave_nothing)
{
	POD_REQUIRE_ROOT();
	runner_netns_private();
	enum { N = 20 };
	struct podns ns[N];
	podnet_t *pn[N];
	char names[N][IFNAMSIZ];
	for (int i = 0; i < N; i++) {
		struct podnet_config cfg = { .index = (uint32_t)i, .ifname_prefix = "px" };
		ck_assert_int_eq(podnet_new(&cfg, &pn[i]), 0);
		podns_create(&ns[i]);
		ck_assert_int_eq(podnet_attach(pn[i], ns[i].fd), 0);
		snprintf(names[i], sizeof(names[i]), "%s", podnet_ifname(pn[i]));
		for (int j = 0; j < i; j++)
			ck_assert_int_ne(podnet_runner_addr(pn[i]).s_addr,
					 podnet_runner_addr(pn[j]).s_addr);
	}
	/* half the pods die first (their netns takes the pair along), then all detach */
	for (int i = 0; i < N; i += 2)
		podns_destroy(&ns[i]);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(podnet_detach(pn[i]), 0);
		podnet_destroy(pn[i]);
		ck_assert_int_eq(if_nametoindex(names[i]), 0);
	}
	for (int i = 1; i < N; i += 2)
		podns_destroy(&ns[i]);
}
END_TEST

TCase *tcase_netns(void)
{
	TCase *tc = tcase_create("netns");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pod_gets_veth_address_route_and_rules);
	tcase_add_test(tc, test_pod_curl_explicit_proxy_allow_deny_warn);
	tcase_add_test(tc, test_pod_curl_transparent_http_through_pod_dns);
	tcase_add_test(tc, test_pod_python_urllib_through_the_proxy);
	tcase_add_test(tc, test_pod_bun_fetch_through_the_proxy);
	tcase_add_test(tc, test_pod_connect_tunnel_allowed_and_denied);
	tcase_add_test(tc, test_pod_transparent_tls_is_routed_by_sni);
	tcase_add_test(tc, test_pod_dns_answers_allowed_names_only);
	tcase_add_test(tc, test_pod_raw_tcp_elsewhere_is_refused_at_once);
	tcase_add_test(tc, test_pod_private_and_metadata_addresses_denied_by_the_proxy);
	tcase_add_test(tc, test_teardown_leaves_no_veth_or_netns);
	tcase_add_test(tc, test_teardown_in_the_host_netns_leaves_no_veth);
	tcase_add_test(tc, test_failed_attach_leaves_no_veth_behind);
	tcase_add_test(tc, test_podnet_skips_the_metadata_block_and_busy_blocks);
	tcase_add_test(tc, test_loopback_only_pod_reaches_nothing);
	tcase_add_test(tc, test_twenty_pods_get_distinct_blocks_and_leave_nothing);
	return tc;
}
