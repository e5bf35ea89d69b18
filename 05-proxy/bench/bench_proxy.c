/*
 * bench_proxy.c — the 05-proxy benchmark: CONNECT tunnel throughput and HTTP
 * keep-alive requests per second, each against a real peer measured in the
 * same run.
 *
 * Layer 05 (proxy), benchmark only. Builds on libproxy.a and 04-policy; runs
 * bench/httpd (upstream), wrk (load generator) and tinyproxy (the peer).
 * Everything runs on the loopback of the current namespace; no root needed
 * (the sockmap relay, bench/sockmap.c, is measured only where it loads).
 *
 *   connect_bulk  client --CONNECT--> proxy ==tunnel==> sink   vs   client --> sink
 *                 (GB/s of payload; best of 3 runs of 1 GiB each)
 *   connect_bulk_pipe64k, _pipe256k, _pipe1m, _pipe1m_sock256k   the same with
 *                 splice pipes (F_SETPIPE_SZ) and socket buffers of other sizes
 *   connect_bulk_sockmap, _autobuf   the same through a kernel-level relay: a
 *                 sockmap whose verdict program redirects each skb to the other
 *                 socket (with the proxy's socket buffers; with autotuned ones)
 *                 PXB_ROUNDS=n, PXB_ONLY=name,name and PXB_ONLY_BULK=1 narrow it
 *   http_rps      wrk (absolute-form URLs via a Lua script) --> proxy --> httpd
 *                 vs the same through tinyproxy with the same allowlist
 *                 (req/s; best of 2 runs)
 *
 * Prints a human table, then the BENCH lines (docs/contracts.md, "Benchmark lines").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "proxy.h"
#include "sockmap.h"

#define BULK_BYTES (1ull << 30)
#define SLOW_BULK_BYTES (128ull << 20) /* for a relay known to crawl */
#define CHUNK (256u << 10)

static uint64_t bulk_bytes = BULK_BYTES; /* of the transfer being measured */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listen_lo(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
		die("listen");
	*port = ntohs(sa.sin_port);
	return fd;
}

static int connect_lo(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	return fd;
}

/* ---- the proxy on its own thread ---------------------------------------------- */

struct proxy_thread {
	proxy_t *px;
	policy_t *pol;
	pthread_t th;
	volatile int stop;
	double cpu_s; /* user+sys CPU time the proxy thread used */
};

static void quiet_event(const struct proxy_event *e, void *u)
{
	(void)e;
	(void)u;
}

static void *proxy_main(void *arg)
{
	struct proxy_thread *t = arg;
	struct rusage ru;
	proxy_run(t->px, -1, &t->stop);
	getrusage(RUSAGE_THREAD, &ru);
	t->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return NULL;
}

static void proxy_start(struct proxy_thread *t, uint16_t allow_port, uint32_t pipe_buf,
			uint32_t sock_buf)
{
	char json[256];
	struct pol_error err;
	snprintf(json, sizeof(json), "{\"version\":1,\"net\":{\"allow\":[\"127.0.0.1:%u\"]}}",
		 allow_port);
	if (policy_new(&t->pol) || policy_load_json(t->pol, json, strlen(json), "bench", &err) ||
	    policy_finalize(t->pol, &err))
		die("policy");
	struct proxy_config cfg = {
		.policy = t->pol,
		.proxy_port = PROXY_PORT_EPHEMERAL,
		.disable = PROXY_NO_HTTP | PROXY_NO_TLS | PROXY_NO_DNS,
		.resolver = PROXY_RESOLVE_HOSTS,
		.on_event = quiet_event,
		/* an explicit pipe size is fixed (no bulk pipe); 0: the defaults,
		 * 64 KiB grown to 1 MiB once a direction carries bulk */
		.limits = { .max_requests = 100000000,
			    .pipe_buf = pipe_buf,
			    .pipe_bulk = pipe_buf,
			    .sock_buf = sock_buf },
	};
	cfg.listen_addr.s_addr = htonl(INADDR_LOOPBACK);
	int r = proxy_create(&cfg, &t->px);
	if (r < 0) {
		errno = -r;
		die("proxy_create");
	}
	t->stop = 0;
	pthread_create(&t->th, NULL, proxy_main, t);
}

static void proxy_stop(struct proxy_thread *t)
{
	t->stop = 1;
	pthread_join(t->th, NULL);
	proxy_destroy(t->px);
	policy_free(t->pol);
}

/* ---- connect_bulk ------------------------------------------------------------------ */

struct sink {
	int lfd;
	uint64_t got;
};

/* Accept one connection, read to EOF, answer one byte. */
static void *sink_main(void *arg)
{
	struct sink *s = arg;
	static char buf[CHUNK];
	int fd = accept(s->lfd, NULL, NULL);
	ssize_t n;
	s->got = 0;
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		s->got += (uint64_t)n;
	if (send(fd, "k", 1, MSG_NOSIGNAL) != 1)
		s->got = 0;
	close(fd);
	return NULL;
}

/* Send bulk_bytes through fd, half-close, wait for the sink's byte. @return GB/s. */
static double pump(int fd)
{
	static char buf[CHUNK];
	memset(buf, 'x', sizeof(buf));
	double t0 = now_s();
	uint64_t sent = 0;
	while (sent < bulk_bytes) {
		ssize_t w = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (w <= 0)
			die("bulk send");
		sent += (uint64_t)w;
	}
	shutdown(fd, SHUT_WR);
	char k;
	if (recv(fd, &k, 1, 0) != 1)
		die("bulk ack");
	return (double)sent / (now_s() - t0) / 1e9;
}

/* ---- the kernel-level relay (bench/sockmap.c), as the proxy would run it ----------- */

/* After the decision (here: read the CONNECT head, connect) both sockets go
 * into the sockmap, then the 200 is sent; user space only waits for each side's EOF and
 * passes the half-close on once the kernel delivered every relayed byte. */
struct kernel_relay {
	struct pxsm *sm;
	int lfd, sock_buf;
	uint16_t up;
	uint64_t a2b, b2a;
	double cpu_s;
};

/* Bytes the kernel took into @p fd's send queue since it was opened. */
static uint64_t sent_total(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	int outq = 0;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
		die("tcp_info");
	return ti.tcpi_bytes_acked + (uint64_t)outq;
}

static void relay_half(struct kernel_relay *r, int pair, int src, int dst, int dir, uint64_t base)
{
	struct pollfd p = { .fd = src, .events = POLLRDHUP };
	while (!(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
		if (poll(&p, 1, -1) < 0)
			die("poll");
	for (int i = 0;; i++) { /* no event says the kernel has sent them all */
		uint64_t a, b;
		if (pxsm_bytes(r->sm, pair, &a, &b))
			die("relay bytes");
		if (sent_total(dst) - base >= (dir ? b : a))
			break;
		if (i == 1000000) {
			errno = ETIMEDOUT;
			die("relay drain");
		}
		usleep(100);
	}
	shutdown(dst, SHUT_WR);
}

static void *relay_main(void *arg)
{
	struct kernel_relay *r = arg;
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	char head[512];
	int c = accept(r->lfd, NULL, NULL); /* buffers inherited from the listener */
	ssize_t n = recv(c, head, sizeof(head), 0);
	if (n <= 0 || !memmem(head, (size_t)n, "\r\n\r\n", 4))
		die("relay head");
	int u = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(r->up) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (r->sock_buf > 0) {
		setsockopt(u, SOL_SOCKET, SO_RCVBUF, &r->sock_buf, sizeof(r->sock_buf));
		setsockopt(u, SOL_SOCKET, SO_SNDBUF, &r->sock_buf, sizeof(r->sock_buf));
	}
	if (connect(u, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("relay connect");
	/* Pair while both sides are quiet: the client waits for the 200, the sink
	 * for data. A socket that receives while its peer is not yet in the map
	 * has its bytes dropped (the redirect finds no socket). */
	uint64_t base_u = sent_total(u);
	int pair = pxsm_pair(r->sm, c, u);
	if (pair < 0) {
		errno = -pair;
		die("pxsm_pair");
	}
	if (send(c, ok, sizeof(ok) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(ok) - 1)
		die("relay 200");
	uint64_t base_c = sent_total(c); /* the sink has sent nothing yet */
	relay_half(r, pair, c, u, 0, base_u);
	relay_half(r, pair, u, c, 1, base_c);
	if (pxsm_bytes(r->sm, pair, &r->a2b, &r->b2a))
		die("relay bytes");
	pxsm_unpair(r->sm, pair);
	close(c);
	close(u);
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	r->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return NULL;
}

enum bulk_mode { BULK_DIRECT, BULK_SPLICE, BULK_COPY, BULK_SOCKMAP };

static struct pxsm *bench_sm; /* NULL: no sockmap relay here (not root, old kernel) */

/* One transfer of bulk_bytes. @return GB/s; *cpu = CPU seconds of the relaying thread
 * (0 direct; for the sockmap, only its waiting thread: the kernel does the rest). */
static double bulk_once(enum bulk_mode mode, uint32_t pipe_buf, uint32_t sock_buf, double *cpu)
{
	struct sink s;
	uint16_t sport;
	pthread_t th, rth;
	struct proxy_thread pt;
	/* sock_buf for the kernel relay: 0 = as the proxy (65536), UINT32_MAX = autotuned */
	struct kernel_relay kr = { .sm = bench_sm,
				   .sock_buf = sock_buf == UINT32_MAX ? 0
					       : sock_buf             ? (int)sock_buf
								      : 65536 };
	s.lfd = listen_lo(&sport);
	pthread_create(&th, NULL, sink_main, &s);
	int fd;
	if (mode != BULK_DIRECT) {
		uint16_t port;
		if (mode == BULK_SOCKMAP) {
			kr.lfd = listen_lo(&port);
			if (kr.sock_buf > 0) { /* before the SYN, as the proxy does */
				setsockopt(kr.lfd, SOL_SOCKET, SO_RCVBUF, &kr.sock_buf,
					   sizeof(kr.sock_buf));
				setsockopt(kr.lfd, SOL_SOCKET, SO_SNDBUF, &kr.sock_buf,
					   sizeof(kr.sock_buf));
			}
			kr.up = sport;
			pthread_create(&rth, NULL, relay_main, &kr);
		} else {
			if (mode == BULK_SPLICE)
				unsetenv("PODPROXY_NO_SPLICE");
			else
				setenv("PODPROXY_NO_SPLICE", "1", 1);
			proxy_start(&pt, sport, pipe_buf, sock_buf);
			port = proxy_port(pt.px, 0);
		}
		fd = connect_lo(port);
		char req[128], resp[256];
		int n = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%u HTTP/1.1\r\n\r\n", sport);
		if (send(fd, req, (size_t)n, 0) != n)
			die("CONNECT");
		ssize_t r = recv(fd, resp, sizeof(resp) - 1, 0);
		if (r <= 0 || !memmem(resp, (size_t)r, " 200 ", 5))
			die("CONNECT answer");
	} else {
		fd = connect_lo(sport);
	}
	double gbps = pump(fd);
	close(fd);
	pthread_join(th, NULL);
	close(s.lfd);
	*cpu = 0;
	if (mode == BULK_SOCKMAP) {
		pthread_join(rth, NULL);
		close(kr.lfd);
		*cpu = kr.cpu_s;
		if (kr.a2b != bulk_bytes || kr.b2a != 1) {
			fprintf(stderr, "bench: sockmap counted %llu and %llu bytes\n",
				(unsigned long long)kr.a2b, (unsigned long long)kr.b2a);
			exit(1);
		}
	} else if (mode != BULK_DIRECT) {
		proxy_stop(&pt);
		*cpu = pt.cpu_s;
	}
	unsetenv("PODPROXY_NO_SPLICE");
	if (s.got != bulk_bytes) {
		fprintf(stderr, "bench: sink got %llu bytes\n", (unsigned long long)s.got);
		exit(1);
	}
	return gbps;
}

static double maxd(double a, double b)
{
	return a > b ? a : b;
}

static double mind(double a, double b)
{
	return a < b ? a : b;
}

/* ---- http_rps --------------------------------------------------------------------- */

static pid_t spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (out_fd >= 0)
			dup2(out_fd, 1);
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static uint16_t start_httpd(pid_t *pid)
{
	const char *bin = getenv("PODPROXY_HTTPD");
	int p[2];
	char line[64] = "";
	if (!bin || pipe(p) < 0)
		die("PODPROXY_HTTPD");
	char *argv[] = { (char *)bin, "0", NULL };
	*pid = spawn(argv, p[1]);
	close(p[1]);
	ssize_t n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	unsigned port = 0;
	if (n <= 0 || sscanf(line, "PORT %u", &port) != 1)
		die("httpd start");
	return (uint16_t)port;
}

/* Run wrk through the proxy on proxy_port. @return requests per second. */
static double wrk_rps(const char *dir, uint16_t proxy_port, uint16_t up_port)
{
	char script[256], url[64], out_path[256];
	snprintf(script, sizeof(script), "%s/absolute.lua", dir);
	FILE *f = fopen(script, "w");
	if (!f)
		die("lua script");
	/* wrk sends wrk.path as the request target: make it absolute-form */
	fprintf(f,
		"wrk.path = \"http://127.0.0.1:%u/\"\nwrk.headers[\"Host\"] = \"127.0.0.1:%u\"\n",
		up_port, up_port);
	fclose(f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", proxy_port);
	snprintf(out_path, sizeof(out_path), "%s/wrk.out", dir);
	int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *argv[] = { "wrk", "-t1", "-c32", "-d4s", "-s", script, url, NULL };
	pid_t pid = spawn(argv, fd);
	close(fd);
	int st;
	waitpid(pid, &st, 0);
	f = fopen(out_path, "r");
	char line[256];
	double rps = 0;
	int non2xx = 0;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Requests/sec: %lf", &rps);
		/* "Socket errors: read N" only means the proxy closed the connection
		 * after a response (tinyproxy does that every time); a non-2xx
		 * answer means the request was not really served */
		if (strstr(line, "Non-2xx"))
			non2xx = 1;
	}
	if (f)
		fclose(f);
	if (non2xx) {
		fprintf(stderr, "bench: non-2xx answers through port %u\n", proxy_port);
		return 0;
	}
	return rps;
}

static uint16_t free_port(void)
{
	uint16_t p;
	close(listen_lo(&p));
	return p;
}

static pid_t start_tinyproxy(const char *dir, uint16_t *port)
{
	char conf[256], filter[256];
	snprintf(filter, sizeof(filter), "%s/filter", dir);
	snprintf(conf, sizeof(conf), "%s/tinyproxy.conf", dir);
	FILE *f = fopen(filter, "w");
	if (!f)
		die("tinyproxy filter");
	fprintf(f, "^127\\.0\\.0\\.1$\n"); /* the same allowlist as our policy */
	fclose(f);
	*port = free_port();
	f = fopen(conf, "w");
	if (!f)
		die("tinyproxy conf");
	fprintf(f,
		"Port %u\nListen 127.0.0.1\nTimeout 60\nMaxClients 256\nAllow 127.0.0.1\n"
		"LogLevel Critical\nFilter \"%s\"\nFilterDefaultDeny Yes\nFilterExtended Yes\n"
		"DisableViaHeader Yes\n",
		*port, filter);
	fclose(f);
	char *argv[] = { "tinyproxy", "-d", "-c", conf, NULL };
	pid_t pid = spawn(argv, -1);
	for (int i = 0; i < 100; i++) { /* wait until it listens */
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(*port) };
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (ok)
			return pid;
		usleep(20000);
	}
	fprintf(stderr, "bench: tinyproxy did not start\n");
	exit(1);
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* ---- websocket_echo_rtt ------------------------------------------------------------ */

/* tests/ws.py server on the loopback; @return its port. */
static uint16_t start_ws(pid_t *pid)
{
	int p[2];
	char line[64] = "";
	if (pipe(p) < 0)
		die("pipe");
	char *argv[] = { "/usr/bin/python3", "tests/ws.py", "server", NULL };
	*pid = spawn(argv, p[1]);
	close(p[1]);
	ssize_t n = read(p[0], line, sizeof(line) - 1);
	close(p[0]);
	unsigned port = 0;
	if (n <= 0 || sscanf(line, "PORT %u", &port) != 1)
		die("ws.py server");
	return (uint16_t)port;
}

/* Mean round trip of 2000 32-byte messages, one in flight (tests/ws.py client). */
static double ws_rtt_us(uint16_t port, uint16_t proxy)
{
	char cmd[256], line[128];
	double us = 0;
	if (proxy)
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/python3 tests/ws.py client ws://127.0.0.1:%u/b "
			 "--proxy 127.0.0.1:%u --count 2000 --rtt",
			 port, proxy);
	else
		snprintf(cmd, sizeof(cmd),
			 "/usr/bin/python3 tests/ws.py client ws://127.0.0.1:%u/b "
			 "--count 2000 --rtt",
			 port);
	FILE *f = popen(cmd, "r");
	if (!f)
		die("popen ws.py client");
	while (fgets(line, sizeof(line), f))
		sscanf(line, "RTT_US %lf", &us);
	if (pclose(f) != 0 || us <= 0)
		die("ws.py client");
	return us;
}

/* PXB_ONLY=name,name: measure only these connect_bulk figures (and direct TCP). */
static int wanted(const char *bench, int mode)
{
	const char *only = getenv("PXB_ONLY");
	char key[64];
	if (!only || mode == BULK_DIRECT)
		return 1;
	if (!bench)
		return 0;
	snprintf(key, sizeof(key), ",%s,", bench);
	char list[256];
	snprintf(list, sizeof(list), ",%s,", only);
	return strstr(list, key) != NULL;
}

int main(void)
{
	char dir[] = "/tmp/pxbench.XXXXXX";
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		die("mkdtemp");
	printf("05-proxy benchmark (loopback; 2 vCPU VM shared with other work: numbers are "
	       "noisy)\n\n");

	/* 1. CONNECT tunnel bulk throughput: direct TCP, the relays the proxy can
	 * use, and the kernel-level relay; rounds interleave them so that load from
	 * elsewhere hits them alike */
	struct variant {
		const char *label, *bench; /* bench: name of its BENCH line, or NULL */
		enum bulk_mode mode;
		uint32_t pipe_buf, sock_buf;
		double best, cpu;
		uint64_t bytes; /* 0: BULK_BYTES */
	} v[] = {
		{ "  direct loopback TCP", NULL, BULK_DIRECT, 0, 0, 0, 0, 0 },
		{ "  splice, default (64 KiB, 1 MiB once bulk)", "connect_bulk", BULK_SPLICE, 0, 0,
		  0, 1e9, 0 },
		{ "  splice, pipes 64 KiB, sock_buf 64 KiB", "connect_bulk_pipe64k", BULK_SPLICE,
		  64u << 10, 64u << 10, 0, 1e9, 0 },
		{ "  splice, pipes 256 KiB", "connect_bulk_pipe256k", BULK_SPLICE, 256u << 10, 0, 0,
		  1e9, 0 },
		{ "  splice, pipes 1 MiB", "connect_bulk_pipe1m", BULK_SPLICE, 1u << 20, 0, 0, 1e9,
		  0 },
		{ "  splice, pipes 1 MiB, sock_buf 256 KiB", "connect_bulk_pipe1m_sock256k",
		  BULK_SPLICE, 1u << 20, 256u << 10, 0, 1e9, 0 },
		{ "  recv/send (PODPROXY_NO_SPLICE)", NULL, BULK_COPY, 0, 0, 0, 1e9, 0 },
		{ "  sockmap relay, sock_buf 64 KiB (*)", "connect_bulk_sockmap", BULK_SOCKMAP, 0,
		  0, 0, 1e9, SLOW_BULK_BYTES },
		{ "  sockmap relay, autotuned buffers", "connect_bulk_sockmap_autobuf",
		  BULK_SOCKMAP, 0, UINT32_MAX, 0, 1e9, 0 },
	};
	int nv = (int)(sizeof(v) / sizeof(v[0])), rounds = 3;
	if (getenv("PXB_ROUNDS"))
		rounds = atoi(getenv("PXB_ROUNDS")) > 0 ? atoi(getenv("PXB_ROUNDS")) : 1;
	int r = pxsm_open(&bench_sm, 4);
	if (r < 0)
		printf("(no sockmap relay here: %s)\n", strerror(-r));
	for (int i = 0; i < rounds; i++)
		for (int k = 0; k < nv; k++) {
			double cpu;
			if (v[k].mode == BULK_SOCKMAP && !bench_sm)
				continue;
			if (!wanted(v[k].bench, v[k].mode))
				continue;
			bulk_bytes = v[k].bytes ? v[k].bytes : BULK_BYTES;
			v[k].best = maxd(v[k].best,
					 bulk_once(v[k].mode, v[k].pipe_buf, v[k].sock_buf, &cpu));
			v[k].cpu = mind(v[k].cpu, cpu);
		}
	int have_sm = bench_sm != NULL;
	uint32_t ids[3] = { 0, 0, 0 };
	if (have_sm)
		pxsm_ids(bench_sm, &ids[0], &ids[1], &ids[2]);
	pxsm_close(bench_sm);
	bench_sm = NULL;
	/* the kernel frees them after the last reference, a little later */
	for (int i = 0; have_sm && !pxsm_gone(ids[0], ids[1], ids[2]); i++) {
		if (i == 500) {
			fprintf(stderr, "bench: the sockmap relay's program or maps outlived it\n");
			exit(1);
		}
		usleep(10000);
	}
	printf("connect_bulk (1 GiB, best of %d)%*s %10s %16s\n", rounds, rounds > 9 ? 11 : 12, "",
	       "GB/s", "relay CPU s/GiB");
	for (int k = 0; k < nv; k++) {
		if ((v[k].mode == BULK_SOCKMAP && !have_sm) || !wanted(v[k].bench, v[k].mode))
			continue;
		if (v[k].mode == BULK_DIRECT || v[k].mode == BULK_SOCKMAP)
			printf("%-44s %10.2f %16s\n", v[k].label, v[k].best, "-");
		else
			printf("%-44s %10.2f %16.2f\n", v[k].label, v[k].best, v[k].cpu);
	}
	if (have_sm)
		printf(
		    "  (*) 128 MiB transfers: with bounded buffers this relay crawls (README)\n");
	double direct = v[0].best;

	if (getenv("PXB_ONLY_BULK")) { /* quick experiments */
		for (int k = 0; k < nv; k++)
			if (v[k].bench && v[k].best > 0)
				printf("BENCH 05-proxy %s %.2f GB/s vs=direct ratio=%.2f\n",
				       v[k].bench, v[k].best, direct > 0 ? v[k].best / direct : 0);
		rmdir(dir);
		return 0;
	}
	/* 2. HTTP keep-alive requests per second, ours vs tinyproxy */
	pid_t httpd;
	uint16_t up = start_httpd(&httpd);
	struct proxy_thread pt;
	proxy_start(&pt, up, 0, 0);
	uint16_t tport;
	pid_t tiny = start_tinyproxy(dir, &tport);
	double ours = 0, theirs = 0;
	for (int i = 0; i < 2; i++) {
		double a = wrk_rps(dir, proxy_port(pt.px, 0), up);
		double b = wrk_rps(dir, tport, up);
		ours = a > ours ? a : ours;
		theirs = b > theirs ? b : theirs;
	}
	double bare = wrk_rps(dir, up, up); /* httpd directly, for scale */
	stop_child(tiny);
	proxy_stop(&pt);
	stop_child(httpd);
	printf("\n%-44s %10s\n", "http_rps (wrk -t1 -c32 -d4s, best of 2)", "req/s");
	printf("%-44s %10.0f\n", "  upstream httpd directly (scale)", bare);
	printf("%-44s %10.0f\n", "  through the proxy", ours);
	printf("%-44s %10.0f\n", "  through tinyproxy 1.11 (same allowlist)", theirs);
	printf("  (tinyproxy closes every client connection after one response)\n");

	/* 3. WebSocket echo round trip, through the proxy (upgrade decided, then a
	 * tunnel) and directly; the same Python client, best of 3 interleaved */
	pid_t wsd;
	uint16_t wsport = start_ws(&wsd);
	proxy_start(&pt, wsport, 0, 0);
	double ws_direct = 1e9, ws_proxy = 1e9;
	for (int i = 0; i < 3; i++) {
		ws_direct = mind(ws_direct, ws_rtt_us(wsport, 0));
		ws_proxy = mind(ws_proxy, ws_rtt_us(wsport, proxy_port(pt.px, 0)));
	}
	proxy_stop(&pt);
	stop_child(wsd);
	printf("\n%-44s %10s\n", "websocket_echo_rtt (2000 x 32 B, best of 3)", "us");
	printf("%-44s %10.1f\n", "  direct to the echo server", ws_direct);
	printf("%-44s %10.1f\n", "  through the proxy (explicit, upgraded)", ws_proxy);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", dir);
	printf("\n");
	for (int k = 0; k < nv; k++)
		if (v[k].bench && v[k].best > 0)
			printf("BENCH 05-proxy %s %.2f GB/s vs=direct ratio=%.2f\n", v[k].bench,
			       v[k].best, direct > 0 ? v[k].best / direct : 0);
	printf("BENCH 05-proxy http_rps %.0f req/s vs=tinyproxy ratio=%.2f\n", ours,
	       theirs > 0 ? ours / theirs : 0);
	printf("BENCH 05-proxy websocket_echo_rtt %.1f us vs=direct ratio=%.2f\n", ws_proxy,
	       ws_proxy / ws_direct);
	return 0;
}
