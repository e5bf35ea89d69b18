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
#include <dirent.h>
#include <inttypes.h>
#include <linux/sock_diag.h>
#include <signal.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
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
	struct upstream http, tls, ws, hostsvc[2];
	int sink_fd; /* listens on 127.0.0.1, never accepts, never reads */
	uint16_t sink_port;
	const char *env[16];
	char runner[INET_ADDRSTRLEN], runner6[INET6_ADDRSTRLEN];
	char cert[160];
};
static struct pod_world P;

/* Extras of the next pod_world_start(), reset by it: a WebSocket upstream
 * ("ws.test"), and host services on 0.0.0.0 with HOST_ADDR on the runner's lo
 * (a TEST-NET address: no special range of 04-policy holds it). */
static int want_ws, want_host, want_sink;
#define HOST_ADDR "192.0.2.10"
#define HOST_ADDR6 "2001:db8::10"

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
	if (want_ws)
		upstream_start(&P.ws, "ws", "W1");
	if (want_host) {
		ck_assert_int_eq(system("ip addr add " HOST_ADDR "/32 dev lo && "
					"ip -6 addr add " HOST_ADDR6 "/128 dev lo nodad"),
				 0);
		upstream_start(&P.hostsvc[0], "http-any", "HOST0");
		upstream_start(&P.hostsvc[1], "http-any", "HOST1");
	}
	P.sink_fd = -1;
	if (want_sink) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof(sa);
		int small = 4096;
		P.sink_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(P.sink_fd, 0);
		setsockopt(P.sink_fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
		ck_assert_int_eq(bind(P.sink_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(listen(P.sink_fd, 1024), 0);
		ck_assert_int_eq(getsockname(P.sink_fd, (struct sockaddr *)&sa, &sl), 0);
		P.sink_port = ntohs(sa.sin_port);
	}
	want_ws = want_host = want_sink = 0;
	snprintf(P.cert, sizeof(P.cert), "%s/cert.pem", test_cert_dir());
	/* 2. the policy */
	if (!net_json) {
		char wsrule[64] = "";
		if (P.ws.port)
			snprintf(wsrule, sizeof(wsrule), ",\"127.0.0.1:%u\"", P.ws.port);
		if (P.sink_port)
			snprintf(wsrule + strlen(wsrule), sizeof(wsrule) - strlen(wsrule),
				 ",\"sink.test\",\"127.0.0.1:%u\"", P.sink_port);
		snprintf(
		    pol, sizeof(pol),
		    "{\"default\":\"deny\",\"allow\":[\"up.test\",\"sni.test:443\",\"ws.test\","
		    "\"127.0.0.1:%u\",\"127.0.0.1:%u\"%s],\"warn\":[\"warn.test\"],"
		    "\"deny\":[\"bad.test\"]}",
		    P.http.port, P.tls.port, wsrule);
		net_json = pol;
	}
	P.pol = mk_policy("{\"version\":1,\"net\":%s}", net_json);
	/* 3. plumbing plan, then the proxy on the runner end (before the veth exists) */
	struct podnet_config ncfg = { .index = test_index(), .ifname_prefix = "px" };
	ck_assert_int_eq(podnet_new(&ncfg, &P.pn), 0);
	inet_ntop(AF_INET, &(struct in_addr){ podnet_runner_addr(P.pn).s_addr }, P.runner,
		  sizeof(P.runner));
	struct in6_addr r6 = podnet_runner_addr6(P.pn);
	inet_ntop(AF_INET6, &r6, P.runner6, sizeof(P.runner6));
	struct proxy_host hosts[] = {
		host_v4("up.test", 0, "127.0.0.1", P.http.port),
		host_v4("warn.test", 0, "127.0.0.1", P.http.port),
		host_v4("sni.test", 0, "127.0.0.1", P.tls.port),
		host_v4("other.test", 0, "127.0.0.1", P.tls.port),
		host_v4("evil.test", 0, "10.0.0.5", 80),
		host_v4("ws.test", 0, "127.0.0.1", P.ws.port ? P.ws.port : 9),
		host_v4("host.test", 0, HOST_ADDR, 0),
		host_v4("sink.test", 0, "127.0.0.1", P.sink_port ? P.sink_port : 9),
	};
	struct proxy_config pcfg = {
		.policy = P.pol,
		.listen_addr = podnet_runner_addr(P.pn),
		.listen_addr6 = podnet_runner_addr6(P.pn),
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
						  proxy_port(P.px, 2), proxy_port(P.px, 3)),
				 0);
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
	upstream_stop(&P.ws);
	if (P.sink_fd >= 0)
		close(P.sink_fd);
	upstream_stop(&P.hostsvc[0]);
	upstream_stop(&P.hostsvc[1]);
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
	ck_assert_msg(strstr(out, "table inet podnet") && strstr(out, "reject with tcp reset"),
		      "%s", out);
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
	ck_assert_int_eq(SH(out,
			    "head -c 100000 /dev/zero | curl -sS -H 'Transfer-Encoding: chunked'"
			    " --data-binary @- http://up.test/up"),
			 0);
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
	int r = SH(
	    out, "/usr/bin/python3 -c \"import urllib.request, urllib.error\n"
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
	int r = SH(out,
		   "curl -sS --noproxy '*' --cacert %s --resolve other.test:443:%s "
		   "https://other.test/",
		   P.cert, P.runner);
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
	int r = SH(
	    out,
	    "/usr/bin/python3 -c \"import socket, time\n"
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
		       "ip link add d0 type veth peer name d1 && ip link set d1 up && ip addr add "
		       "169.254.250.1/30 dev d0 && "
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

/* ---- the host itself, host services, WebSockets, HTTP/2, accounting ------ */

START_TEST(test_host_addresses_denied_unless_named_by_address)
{
	POD_REQUIRE_ROOT();
	char out[8192];
	want_host = 1;
	/* a rule that names the host's address opens it (any port) */
	pod_world_start("{\"default\":\"deny\",\"allow\":[\"" HOST_ADDR "\"]}", 1);
	uint16_t p0 = P.hostsvc[0].port, p1 = P.hostsvc[1].port;
	ck_assert_int_eq(SH(out, "curl -sS http://" HOST_ADDR ":%u/a", p0), 0);
	ck_assert_msg(strstr(out, "HOST0 path=/a"), "%s", out);
	(void)p1;
	pod_world_stop();

	/* a wider rule does not: every name allowed, and all of 192.0.2.0/24 */

	want_host = 1;
	pod_world_start("{\"default\":\"allow\",\"allow\":[\"192.0.2.0/24\"]}", 1);
	p0 = P.hostsvc[0].port, p1 = P.hostsvc[1].port;
	/* the host's address as a literal and through a name, the runner end */
	SH(out, "curl -sS -w ' code=%%{http_code}' http://" HOST_ADDR ":%u/a", p0);
	ck_assert_msg(strstr(out, "code=403") && strstr(out, "address of the runner's host"), "%s",
		      out);
	SH(out, "curl -sS -w ' code=%%{http_code}' http://host.test:%u/b", p1);
	ck_assert_msg(strstr(out, "code=403") && !strstr(out, "HOST1"), "%s", out);
	SH(out, "curl -sS -w ' code=%%{http_code}' http://%s:%u/c", P.runner, p0);
	ck_assert_msg(strstr(out, "code=403") && !strstr(out, "HOST0"), "%s", out);
	/* a CONNECT tunnel is decided the same way */
	SH(out, "curl -sS -p -w ' code=%%{http_code}' http://" HOST_ADDR ":%u/d", p0);
	ck_assert_msg(!strstr(out, "HOST0"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "host.test", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->peer, "");
	ck_assert_msg(strstr(e->reason, HOST_ADDR " is an address of the runner's host"), "%s",
		      e->reason);
	ck_assert_int_eq(evlog_count(&P.log, PROXY_SRC_PROXY, POL_ALLOW), 0);
	pod_world_stop();
}
END_TEST

/* The runner-side guard: a pod that flushed its own netfilter table (as if it
 * had regained CAP_NET_ADMIN) still reaches nothing of the runner's host but
 * the proxy's and the DNS's listening ports. */
START_TEST(test_flushed_pod_table_still_reaches_only_the_proxy)
{
	POD_REQUIRE_ROOT();
	char out[8192], cmd[256];
	want_host = 1;
	pod_world_start(NULL, 1);
	uint16_t svc = P.hostsvc[0].port, real = proxy_port(P.px, 0);
	ck_assert_int_eq(SH(out, "nft list tables"), 0);
	ck_assert_msg(strstr(out, "table inet podnet"), "%s", out);
	/* from outside, as root: into the pod's netns, flush everything */
	snprintf(cmd, sizeof(cmd), "nsenter --net=/proc/%d/ns/net nft flush ruleset",
		 (int)P.ns.holder);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(SH(out, "nft list ruleset | wc -l"), 0);
	ck_assert_msg(atoi(out) == 0, "the pod's rules are still there: %s", out);
	/* the runner's own table is there, owned and out of the pod's reach */
	FILE *f = popen("nft list tables", "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	ck_assert_msg(strstr(out, "table inet podh_"), "%s", out);
	/* the socket that owns it is not inherited by what the runner starts later */
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		int fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd != dirfd(d) && fstat(fd, &st) == 0 &&
		    S_ISSOCK(st.st_mode)) {
			int dom = 0, proto = 0;
			socklen_t l = sizeof(int);
			getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l);
			getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l);
			ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC,
				      "socket fd %d (domain %d protocol %d) is inherited", fd, dom,
				      proto);
		}
	}
	closedir(d);
	int r = SH(out,
		   "/usr/bin/python3 -c \"import socket\n"
		   "for host, port in (('%s', %u), ('" HOST_ADDR "', %u), ('%s', 22),"
		   " ('%s', 3128), ('%s', 80)):\n"
		   "  try:\n    socket.create_connection((host, port), timeout=2); print('OPEN', "
		   "host, port)\n"
		   "  except OSError as e:\n    print('closed', host, port)\n"
		   "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)\n"
		   "u.sendto(b'x', ('%s', %u))\n"
		   "s = socket.create_connection(('%s', %u), timeout=5)\n"
		   "s.sendall(b'GET http://up.test/flushed HTTP/1.0\\\\r\\\\n\\\\r\\\\n')\n"
		   "print(s.recv(4096).decode().split()[1], 'via the proxy')\"",
		   P.runner, svc, svc, P.runner, P.runner, P.runner, P.runner, svc, P.runner, real);
	ck_assert_msg(r == 0, "%s", out);
	ck_assert_msg(!strstr(out, "OPEN"), "the pod reached a host port: %s", out);
	ck_assert_msg(strstr(out, "200 via the proxy"), "%s", out);
	char ifname[IFNAMSIZ];
	snprintf(ifname, sizeof(ifname), "%s", podnet_ifname(P.pn));
	pod_world_stop();
	/* the table went with the pod */
	snprintf(cmd, sizeof(cmd), "nft list tables | grep -q 'podh_%s'", ifname);
	ck_assert_int_ne(system(cmd), 0);
}
END_TEST

START_TEST(test_websocket_explicit_transparent_python_and_bun)
{
	POD_REQUIRE_ROOT();
	char out[8192], ws[600];
	const char *bun = getenv("PODPROXY_BUN");
	if (!bun)
		bun = "../.deps/bun/node_modules/.bin/bun";
	want_ws = 1;
	pod_world_start(NULL, 1);
	char *script = realpath("tests/ws.py", NULL);
	ck_assert_ptr_nonnull(script);
	snprintf(ws, sizeof(ws), "/usr/bin/python3 %s client", script);
	free(script);
	/* explicit proxy: absolute-form GET with Upgrade */
	int r =
	    SH(out, "%s ws://ws.test/chat --proxy %s:3128 --count 20 --size 3000", ws, P.runner);
	ck_assert_msg(r == 0 && strstr(out, "WS OK 20 path=/chat"), "%s", out);
	/* transparent: the pod DNS sends ws.test to the runner end, port 80 */
	r = SH(out, "%s ws://ws.test/plain", ws);
	ck_assert_msg(r == 0 && strstr(out, "WS OK 3 path=/plain"), "%s", out);
	/* a denied host gets the 403, never a tunnel */
	SH(out, "%s ws://bad.test/x --proxy %s:3128", ws, P.runner);
	ck_assert_msg(strstr(out, "WS STATUS 403"), "%s", out);
	/* Bun's WebSocket, as the pod's programs use it */
	if (access(bun, X_OK) == 0) {
		r = SH(out,
		       "%s -e \"const w = new WebSocket('ws://ws.test/bun'); "
		       "w.onopen = () => w.send('hello'); "
		       "w.onmessage = (m) => { console.log('BUN', m.data); w.close(); }; "
		       "w.onerror = (e) => { console.log('BUN ERROR'); process.exit(3); }\"",
		       bun);
		ck_assert_msg(r == 0 && strstr(out, "BUN hello"), "%s", out);
	}
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "/chat", 3000);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_ALLOW);
	ck_assert_str_eq(e->method, "GET");
	ck_assert_int_eq(e->status, 101);
	ck_assert_uint_gt(e->up, 20 * 3000);
	ck_assert_uint_gt(e->down, 20 * 3000);
	ck_assert_msg(strstr(e->peer, "127.0.0.1:"), "%s", e->peer);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "bad.test", 3000);
	ck_assert_int_eq(e->action, POL_DENY);
	pod_world_stop();
}
END_TEST

START_TEST(test_http2_prior_knowledge_refused_with_a_reason)
{
	POD_REQUIRE_ROOT();
	char out[8192];
	pod_world_start(NULL, 1);
	/* refused with HTTP_1_1_REQUIRED; curl names it and retries in HTTP/1.1 */
	int r = SH(out, "curl -sSv --http2-prior-knowledge --noproxy '*' http://up.test/h2 2>&1");
	ck_assert_msg(r == 0 && strstr(out, "HTTP_1_1_REQUIRED") && strstr(out, "U1 path=/h2"),
		      "curl %d: %s", r, out);
	const struct ev_rec *e = NULL;
	for (int i = 0; i < P.log.n; i++)
		if (!strcmp(P.log.ev[i].method, "PRI"))
			e = &P.log.ev[i];
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->action, POL_DENY);
	ck_assert_str_eq(e->rule, "malformed");
	ck_assert_msg(strstr(e->reason, "HTTP/2"), "%s", e->reason);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "/h2", 3000);
	ck_assert_int_eq(e->action, POL_ALLOW);
	/* h2 inside TLS is a tunnel like any other */
	r = SH(out, "curl -sS --http2 --cacert %s https://sni.test/t2", P.cert);
	ck_assert_msg(r == 0 && strstr(out, "T1 path=/t2"), "%s", out);
	pod_world_stop();
}
END_TEST

START_TEST(test_connection_end_and_host_totals)
{
	POD_REQUIRE_ROOT();
	char out[8192];
	pod_world_start(NULL, 1);
	/* one connection, three requests (two hosts), then a second connection */
	ck_assert_int_eq(
	    SH(out, "curl -sS http://up.test/k1 http://up.test/k2 http://warn.test/k3"), 0);
	ck_assert_int_eq(SH(out, "curl -sS --cacert %s https://sni.test/c", P.cert), 0);
	spin(P.px, 300);
	ck_assert_int_eq(evlog_count_end(&P.log, PROXY_EV_CONN_END), 2);
	const struct ev_rec *end = &P.log.end[0];
	ck_assert_int_eq(end->kind, PROXY_EV_CONN_END);
	ck_assert_uint_eq(end->count, 3);
	ck_assert_str_eq(end->what, "warn.test:80");
	ck_assert_int_eq(end->action, POL_WARN);
	ck_assert_str_eq(end->rule, "warn.test");
	/* its bytes are the sum of its requests' */
	uint64_t up = 0, down = 0;
	for (int i = 0; i < P.log.n; i++)
		if (P.log.ev[i].src == PROXY_SRC_PROXY && strstr(P.log.ev[i].url, "/k")) {
			up += P.log.ev[i].up;
			down += P.log.ev[i].down;
		}
	ck_assert_uint_eq(end->up, up);
	ck_assert_uint_eq(end->down, down);
	ck_assert_uint_gt(end->dur_us, 0);
	const struct ev_rec *tun = evlog_find_end(&P.log, PROXY_EV_CONN_END, "sni.test");
	ck_assert_ptr_nonnull(tun);
	ck_assert_uint_eq(tun->count, 1);
	ck_assert_uint_gt(tun->down, 100);
	/* the pod's totals per host come when the proxy goes */
	proxy_destroy(P.px);
	P.px = NULL;
	const struct ev_rec *t = evlog_find_end(&P.log, PROXY_EV_HOST_TOTAL, "up.test:80");
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, 2);
	ck_assert_ptr_nonnull(evlog_find_end(&P.log, PROXY_EV_HOST_TOTAL, "warn.test:80"));
	ck_assert_ptr_nonnull(evlog_find_end(&P.log, PROXY_EV_HOST_TOTAL, "sni.test:443"));
	ck_assert_int_eq(evlog_count_end(&P.log, PROXY_EV_HOST_TOTAL), 3);
	pod_world_stop();
}
END_TEST

/* Memory the runner's side holds for the pod, from the proxy process itself:
 * socket memory of every socket (SO_MEMINFO: receive queue, send queue,
 * forward allocation, backlog) and the capacity of every pipe (an upper bound
 * of what its pages can hold). */
static void runner_side_memory(uint64_t *sock, uint64_t *pipes, int *nsock)
{
	*sock = *pipes = 0;
	*nsock = 0;
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		struct stat st;
		if (de->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) < 0)
			continue;
		if (S_ISSOCK(st.st_mode)) {
			uint32_t mi[SK_MEMINFO_VARS] = { 0 };
			socklen_t l = sizeof(mi);
			if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &l) == 0) {
				*sock += (uint64_t)mi[SK_MEMINFO_RMEM_ALLOC] +
					 mi[SK_MEMINFO_WMEM_QUEUED] + mi[SK_MEMINFO_FWD_ALLOC] +
					 mi[SK_MEMINFO_BACKLOG];
				(*nsock)++;
			}
		} else if (S_ISFIFO(st.st_mode) && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
			int cap = fcntl(fd, F_GETPIPE_SZ); /* each pipe once, by its write end */
			if (cap > 0)
				*pipes += (uint64_t)cap;
		}
	}
	closedir(d);
}

static uint64_t rss_bytes(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %" SCNu64, &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/*
 * The stalled-tunnel test's client script and output are
 * /tmp/pxt-stall-<suite pid>-<test pid>.{py,out}. Check's own process (the
 * suite's) removes them, and ends the client (it sleeps 60 s), once the
 * test case is over: also when the test's process died on an assertion or
 * was killed at its timeout, as in make try's mutation runs.
 */
static void stall_name(char *buf, size_t cap, const char *ext)
{
	snprintf(buf, cap, "/tmp/pxt-stall-%d-%d.%s", (int)getppid(), (int)getpid(), ext);
}

static void stall_cleanup(void)
{
	char c[128];
	glob_t g;

	/* (the pattern's [p] keeps pkill from matching its own shell) */
	snprintf(c, sizeof(c), "pkill -KILL -f '/tmp/[p]xt-stall-%d-'", (int)getpid());
	if (system(c) < 0)
		fprintf(stderr, "could not run: %s\n", c);
	snprintf(c, sizeof(c), "/tmp/pxt-stall-%d-*", (int)getpid());
	if (glob(c, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
}

/* 250 CONNECT tunnels to an allowed upstream that never reads, the pod writing
 * into each until it blocks: what the runner's side holds stays within the
 * documented per-connection budget (proxy_conn_budget()). */
START_TEST(test_stalled_tunnels_stay_within_the_memory_budget)
{
	POD_REQUIRE_ROOT();
	enum { N = 250 };
	char out[8192], file[64], script[64];
	struct rlimit rl = { 8192, 8192 }; /* room for 256 connections */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	want_sink = 1;
	pod_world_start(NULL, 1);
	stall_name(file, sizeof(file), "out");
	stall_name(script, sizeof(script), "py");
	uint64_t rss0 = rss_bytes();
	int r =
	    SH(out,
	       "cat > %s <<'EOF'\n"
	       "import socket, select, time, sys, os\n"
	       "socks = []\n"
	       "for i in range(%d):\n"
	       "    s = socket.create_connection(('%s', 3128), timeout=10)\n"
	       "    s.sendall(b'CONNECT sink.test:%u HTTP/1.1\\r\\nHost: sink.test\\r\\n\\r\\n')\n"
	       "    assert b' 200 ' in s.recv(100)\n"
	       "    s.setblocking(False)\n"
	       "    socks.append(s)\n"
	       "chunk, total, last = b'x' * 65536, 0, time.monotonic()\n"
	       "while time.monotonic() - last < 2:\n"
	       "    _, w, _ = select.select([], socks, [], 0.2)\n"
	       "    for s in w:\n"
	       "        try:\n"
	       "            total += s.send(chunk); last = time.monotonic()\n"
	       "        except BlockingIOError:\n"
	       "            pass\n"
	       "print('STALLED', len(socks), total, os.getpid(), flush=True)\n"
	       "time.sleep(60)\n"
	       "EOF\n"
	       "setsid /usr/bin/python3 %s > %s 2>&1 < /dev/null &",
	       script, N, P.runner, P.sink_port, script, file);
	ck_assert_msg(r == 0, "%s", out);
	/* the proxy's loop turns while the pod fills every tunnel */
	char st[256] = "";
	for (int i = 0; i < 600 && !strstr(st, "STALLED"); i++) {
		spin(P.px, 100);
		FILE *f = fopen(file, "r");
		if (f) {
			size_t n = fread(st, 1, sizeof(st) - 1, f);
			st[n] = '\0';
			fclose(f);
		}
	}
	ck_assert_msg(strstr(st, "STALLED 250"), "%s", st);
	spin(P.px, 500);
	struct proxy_stats ps;
	proxy_get_stats(P.px, &ps);
	ck_assert_uint_eq(ps.conns_open, N);
	unsigned long long sent = 0;
	int cpid = 0;
	sscanf(strstr(st, "STALLED"), "STALLED %*d %llu %d", &sent, &cpid);
	uint64_t sock, pipes;
	int nsock;
	runner_side_memory(&sock, &pipes, &nsock);
	uint64_t rss = rss_bytes(), drss = rss > rss0 ? rss - rss0 : 0;
	struct proxy_limits lim = { 0 };
	uint64_t budget = proxy_conn_budget(&lim);
	uint64_t total = sock + pipes + drss;
	fprintf(stderr,
		"stalled tunnels: %d, pod sent %llu bytes; runner side: sockets %d holding %" PRIu64
		" KiB, pipes %" PRIu64 " KiB, RSS +%" PRIu64 " KiB, total %" PRIu64
		" KiB; budget %" PRIu64 " KiB per connection, %" PRIu64 " KiB for %d\n",
		N, sent, nsock, sock >> 10, pipes >> 10, drss >> 10, total >> 10, budget >> 10,
		(budget * N) >> 10, N);
	/* the tunnels really are full: more went in than the pipes alone can hold */
	ck_assert_uint_gt(sent, (unsigned long long)N * 65536);
	ck_assert_msg(total <= budget * N,
		      "runner side holds %" PRIu64 " KiB > budget %" PRIu64 " KiB", total >> 10,
		      (budget * N) >> 10);
	if (cpid > 0)
		kill(cpid, SIGKILL);
	unlink(script);
	unlink(file);
	pod_world_stop();
}
END_TEST

/* IPv6 inside the pod: its own ULA /64 on eth0 and no route beyond it; AAAA
 * answers name the runner end; the proxy listens there too and decides IPv6
 * upstream addresses with the same special ranges (and the host's own). */
START_TEST(test_pod_ipv6_reaches_the_proxy_and_nothing_else)
{
	POD_REQUIRE_ROOT();
	POD_REQUIRE(access("/proc/sys/net/ipv6", F_OK) == 0, "a kernel with IPv6");
	char out[8192], pod6[INET6_ADDRSTRLEN];
	want_host = 1;
	pod_world_start("{\"default\":\"allow\",\"allow\":[\"127.0.0.1\"],\"deny\":[\"bad.test\"]}",
			1);
	struct in6_addr a6 = podnet_pod_addr6(P.pn);
	inet_ntop(AF_INET6, &a6, pod6, sizeof(pod6));
	ck_assert_int_eq(SH(out, "ip -6 addr show dev eth0"), 0);
	ck_assert_msg(strstr(out, pod6) && strstr(out, "/64"), "%s", out);
	ck_assert_int_eq(SH(out, "ip -6 route show table all"), 0);
	ck_assert_msg(!strstr(out, "default") && strstr(out, "/64 dev eth0"),
		      "an IPv6 route beyond the veth: %s", out);
	/* curl over IPv6: transparent (AAAA from the pod DNS) and explicit */
	int r = SH(out, "curl -6 -sS --noproxy '*' http://up.test/t6");
	ck_assert_msg(r == 0 && strstr(out, "U1 path=/t6"), "%s", out);
	r = SH(out, "curl -sS -x http://[%s]:3128 http://up.test/x6", P.runner6);
	ck_assert_msg(r == 0 && strstr(out, "U1 path=/x6"), "%s", out);
	const struct ev_rec *e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, "/x6", 3000);
	ck_assert_int_eq(e->action, POL_ALLOW);
	/* Python: AAAA, then urllib through the proxy's IPv6 address */
	r = SH(
	    out,
	    "/usr/bin/python3 -c \"import socket, urllib.request\n"
	    "print('aaaa', socket.getaddrinfo('up.test', 80, socket.AF_INET6)[0][4][0])\n"
	    "try:\n  socket.getaddrinfo('bad.test', 80, socket.AF_INET6); print('resolved bad')\n"
	    "except socket.gaierror:\n  print('nx bad')\n"
	    "o = urllib.request.build_opener(urllib.request.ProxyHandler("
	    "{'http': 'http://[%s]:3128'}))\n"
	    "print(o.open('http://up.test/py6', timeout=10).read().decode())\"",
	    P.runner6);
	char want[128];
	snprintf(want, sizeof(want), "aaaa %s", P.runner6);
	ck_assert_msg(r == 0 && strstr(out, want) && strstr(out, "nx bad") &&
			  strstr(out, "U1 path=/py6"),
		      "%s", out);
	/* IPv6 upstream addresses: special ranges and the host's own are denied
	 * even under default allow; another address is allowed (and unreachable) */
	SH(out,
	   "for u in 'http://[fd00::1]/' 'http://[::ffff:127.0.0.2]:%u/' "
	   "'http://[::ffff:10.1.2.3]/' "
	   "'http://[fe80::1]/' 'http://[" HOST_ADDR6 "]:%u/'; do "
	   "curl -sS -o /dev/null -w \"$u %%{http_code}\\n\" -x http://[%s]:3128 \"$u\"; done",
	   P.http.port, P.hostsvc[0].port, P.runner6);
	ck_assert_msg(!strstr(out, " 200") && !strstr(out, " 502") && !strstr(out, " 000"), "%s",
		      out);
	int n403 = 0;
	for (const char *p = out; (p = strstr(p, " 403")); p++)
		n403++;
	ck_assert_msg(n403 == 5, "%s", out);
	e = evlog_wait(P.px, &P.log, PROXY_SRC_PROXY, HOST_ADDR6, 3000);
	ck_assert_msg(e && strstr(e->reason, "address of the runner's host"), "%s",
		      e ? e->reason : "no event");
	SH(out,
	   "curl -sS -o /dev/null -w '%%{http_code}' -x http://[%s]:3128 http://[2001:db8::99]/",
	   P.runner6);
	ck_assert_msg(strstr(out, "502"), "%s", out);
	/* nothing else answers over IPv6: no route, and other ports of the runner end refused */
	r = SH(
	    out,
	    "/usr/bin/python3 -c \"import socket, time\n"
	    "for host, port in (('2001:db8::99', 80), ('%s', 22), ('" HOST_ADDR6 "', %u)):\n"
	    "  t = time.monotonic()\n"
	    "  try:\n    socket.create_connection((host, port), timeout=5); print('OPEN', host)\n"
	    "  except OSError as e:\n"
	    "    print('refused' if time.monotonic() - t < 1 else 'SLOW', host, e.errno)\"",
	    P.runner6, P.hostsvc[0].port);
	ck_assert_msg(r == 0 && !strstr(out, "OPEN") && !strstr(out, "SLOW"), "%s", out);
	pod_world_stop();
}
END_TEST

/*
 * The IPv6 listeners take the ports the IPv4 ones got, which the kernel chose
 * free for IPv4 only. In a network namespace of its own whose ephemeral range
 * is 40000-40019, the ports the kernel hands out first (the odd ones) are held
 * on [::] (IPv6 only) but one: the proxy must pick again until both families
 * fit, not fail to start.
 */
static int v6_clash_child(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	struct evlog log = { 0 };
	struct proxy_config cfg = { .proxy_port = PROXY_PORT_EPHEMERAL,
				    .disable = PROXY_NO_HTTP | PROXY_NO_TLS | PROXY_NO_DNS,
				    .on_event = evlog_cb,
				    .user = &log };
	int one = 1, fd, ok = 0;
	FILE *f;
	proxy_t *px;

	if (unshare(CLONE_NEWNET) < 0)
		return 10;
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");
	if (!f || fprintf(f, "40000 40019\n") < 0 || fclose(f) != 0)
		return 11;
	for (int i = 1; i < 16; i += 2) {
		fd = socket(AF_INET6, SOCK_STREAM, 0);
		sa.sin6_port = htons((uint16_t)(40000 + i));
		if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
			return 12;
	}
	cfg.policy = mk_policy("{\"version\":1,\"net\":{\"default\":\"deny\"}}");
	cfg.listen_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfg.listen_addr6 = in6addr_loopback;
	/* a few creations, each likely to meet a held port first */
	for (int i = 0; i < 5; i++) {
		int r = proxy_create(&cfg, &px);
		if (r != 0) {
			fprintf(stderr, "proxy_create: %s\n", strerror(-r));
			return 13;
		}
		ok += proxy_port(px, 0) % 2 == 0 || proxy_port(px, 0) >= 40016;
		proxy_destroy(px);
	}
	return ok == 5 ? 0 : 14;
}

START_TEST(test_ipv6_port_held_on_the_host_is_picked_again)
{
	pid_t pid;
	int st;

	POD_REQUIRE_ROOT();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(v6_clash_child());
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
}
END_TEST

TCase *tcase_netns(void)
{
	TCase *tc = tcase_create("netns");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, NULL, stall_cleanup);
	tcase_add_test(tc, test_pod_gets_veth_address_route_and_rules);
	tcase_add_test(tc, test_ipv6_port_held_on_the_host_is_picked_again);
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
	tcase_add_test(tc, test_host_addresses_denied_unless_named_by_address);
	tcase_add_test(tc, test_flushed_pod_table_still_reaches_only_the_proxy);
	tcase_add_test(tc, test_websocket_explicit_transparent_python_and_bun);
	tcase_add_test(tc, test_http2_prior_knowledge_refused_with_a_reason);
	tcase_add_test(tc, test_connection_end_and_host_totals);
	tcase_add_test(tc, test_stalled_tunnels_stay_within_the_memory_budget);
	tcase_add_test(tc, test_pod_ipv6_reaches_the_proxy_and_nothing_else);
	return tc;
}
