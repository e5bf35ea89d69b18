/*
 * bench_proxy.c — the 05-proxy benchmark: CONNECT tunnel throughput and HTTP
 * keep-alive requests per second, each against a real peer measured in the
 * same run.
 *
 * Layer 05 (proxy), benchmark only. Builds on libproxy.a and 04-policy; runs
 * bench/httpd (upstream), wrk (load generator) and tinyproxy (the peer).
 * Everything runs on the loopback of the current namespace; no root needed.
 *
 *   connect_bulk  client --CONNECT--> proxy ==tunnel==> sink   vs   client --> sink
 *                 (GB/s of payload; best of 3 runs of 1 GiB each)
 *   connect_bulk_pipe*  the same with other splice pipe (F_SETPIPE_SZ) and
 *                 socket buffer sizes than the defaults, vs direct TCP in the
 *                 same rounds
 *   http_rps      wrk (absolute-form URLs via a Lua script) --> proxy --> httpd
 *                 vs the same through tinyproxy with the same allowlist
 *                 (req/s; best of 2 runs)
 *
 * Prints a human table, then the BENCH lines (docs/contracts.md, "Benchmark lines").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "proxy.h"

#define BULK_BYTES (1ull << 30)
#define CHUNK (256u << 10)

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

/* Tunnel buffers of the proxies started next (0: the defaults, proxy.h). */
static uint32_t g_pipe_buf, g_sock_buf;

static void proxy_start(struct proxy_thread *t, uint16_t allow_port)
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
		.limits = { .max_requests = 100000000, .pipe_buf = g_pipe_buf, .sock_buf = g_sock_buf },
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

/* Send BULK_BYTES through fd, half-close, wait for the sink's byte. @return GB/s. */
static double pump(int fd)
{
	static char buf[CHUNK];
	memset(buf, 'x', sizeof(buf));
	double t0 = now_s();
	uint64_t sent = 0;
	while (sent < BULK_BYTES) {
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

/* One 1 GiB transfer. @return GB/s; *cpu = proxy thread CPU seconds (0 direct). */
static double bulk_once(int via_proxy, int splice, double *cpu)
{
	struct sink s;
	uint16_t sport;
	pthread_t th;
	struct proxy_thread pt;
	s.lfd = listen_lo(&sport);
	pthread_create(&th, NULL, sink_main, &s);
	int fd;
	if (via_proxy) {
		if (splice)
			unsetenv("PODPROXY_NO_SPLICE");
		else
			setenv("PODPROXY_NO_SPLICE", "1", 1);
		proxy_start(&pt, sport);
		fd = connect_lo(proxy_port(pt.px, 0));
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
	if (via_proxy) {
		proxy_stop(&pt);
		*cpu = pt.cpu_s;
	}
	unsetenv("PODPROXY_NO_SPLICE");
	if (s.got != BULK_BYTES) {
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
	fprintf(f, "wrk.path = \"http://127.0.0.1:%u/\"\nwrk.headers[\"Host\"] = \"127.0.0.1:%u\"\n",
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
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/ws.py client ws://127.0.0.1:%u/b "
					   "--proxy 127.0.0.1:%u --count 2000 --rtt", port, proxy);
	else
		snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/ws.py client ws://127.0.0.1:%u/b "
					   "--count 2000 --rtt", port);
	FILE *f = popen(cmd, "r");
	if (!f)
		die("popen ws.py client");
	while (fgets(line, sizeof(line), f))
		sscanf(line, "RTT_US %lf", &us);
	if (pclose(f) != 0 || us <= 0)
		die("ws.py client");
	return us;
}

int main(void)
{
	char dir[] = "/tmp/pxbench.XXXXXX";
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		die("mkdtemp");
	printf("05-proxy benchmark (loopback; 2 vCPU VM shared with other work: numbers are noisy)\n\n");

	/* 1. CONNECT tunnel bulk throughput */
	/* rounds interleave the three so that load from elsewhere hits them alike */
	double direct = 0, spliced = 0, copied = 0, cpu, cpu_splice = 1e9, cpu_copy = 1e9;
	for (int i = 0; i < 3; i++) {
		direct = maxd(direct, bulk_once(0, 0, &cpu));
		spliced = maxd(spliced, bulk_once(1, 1, &cpu));
		cpu_splice = mind(cpu_splice, cpu);
		copied = maxd(copied, bulk_once(1, 0, &cpu));
		cpu_copy = mind(cpu_copy, cpu);
	}
	printf("%-44s %10s %16s\n", "connect_bulk (1 GiB, best of 3)", "GB/s", "proxy CPU s/GiB");
	printf("%-44s %10.2f %16s\n", "  direct loopback TCP", direct, "-");
	printf("%-44s %10.2f %16.2f\n", "  through the proxy, splice (default)", spliced, cpu_splice);
	printf("%-44s %10.2f %16.2f\n", "  through the proxy, recv/send", copied, cpu_copy);

	/* 1b. the tunnel's buffers: splice pipes (F_SETPIPE_SZ) and socket buffers
	 * larger than the defaults (64 KiB each), against direct TCP, same rounds */
	static const struct {
		uint32_t pipe, sock;
		const char *name;
	} var[] = {
		{ 65536, 65536, "pipe64k" },
		{ 262144, 65536, "pipe256k" },
		{ 1u << 20, 65536, "pipe1m" },
		{ 1u << 20, 262144, "pipe1m_sock256k" },
	};
	enum { NVAR = sizeof(var) / sizeof(var[0]) };
	double vbest[NVAR] = { 0 }, vdirect = 0;
	for (int i = 0; i < 3; i++) {
		vdirect = maxd(vdirect, bulk_once(0, 0, &cpu));
		for (int v = 0; v < NVAR; v++) {
			g_pipe_buf = var[v].pipe;
			g_sock_buf = var[v].sock;
			vbest[v] = maxd(vbest[v], bulk_once(1, 1, &cpu));
		}
		g_pipe_buf = g_sock_buf = 0;
	}
	printf("\n%-44s %10s %10s\n", "connect_bulk by tunnel buffers (splice)", "GB/s", "vs direct");
	printf("%-44s %10.2f %10s\n", "  direct loopback TCP", vdirect, "-");
	for (int v = 0; v < NVAR; v++)
		printf("  pipe %4u KiB, socket buffers %4u KiB %13.2f %10.2f\n", var[v].pipe >> 10,
		       var[v].sock >> 10, vbest[v], vbest[v] / vdirect);

	if (getenv("PXB_ONLY_BULK")) { /* quick experiments */
		for (int v = 0; v < NVAR; v++)
			printf("BENCH 05-proxy connect_bulk_%s %.2f GB/s vs=direct ratio=%.2f\n", var[v].name,
			       vbest[v], vbest[v] / vdirect);
		rmdir(dir);
		return 0;
	}
	/* 2. HTTP keep-alive requests per second, ours vs tinyproxy */
	pid_t httpd;
	uint16_t up = start_httpd(&httpd);
	struct proxy_thread pt;
	proxy_start(&pt, up);
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
	proxy_start(&pt, wsport);
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
	printf("\nBENCH 05-proxy connect_bulk %.2f GB/s vs=direct ratio=%.2f\n", spliced,
	       direct > 0 ? spliced / direct : 0);
	for (int v = 0; v < NVAR; v++)
		printf("BENCH 05-proxy connect_bulk_%s %.2f GB/s vs=direct ratio=%.2f\n", var[v].name,
		       vbest[v], vbest[v] / vdirect);
	printf("BENCH 05-proxy http_rps %.0f req/s vs=tinyproxy ratio=%.2f\n", ours,
	       theirs > 0 ? ours / theirs : 0);
	printf("BENCH 05-proxy websocket_echo_rtt %.1f us vs=direct ratio=%.2f\n", ws_proxy,
	       ws_proxy / ws_direct);
	return 0;
}
