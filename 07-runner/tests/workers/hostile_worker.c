/*
 * hostile_worker.c — a pod that tries to take the runner's control away: it
 * floods one source of the runner's loop as fast as it can, forever (until
 * it is stopped). Built with 02-ipc's C worker SDK, so it gets the session
 * socket and the rings; the raw floods write encoded control messages on the
 * session socket itself.
 *
 * Layer 07 (runner), tests. Used by check_hostile.c.
 *
 *   zero       zero-length frames on the ring
 *   maxframe   frames of the ring's largest size
 *   doorbell   DATA (frames) messages that bring no frame
 *   ping       PING messages, never reading the PONGs
 *   event N    EVENT messages on N query-socket connections (N processes)
 *   query N    QUERY messages on N query-socket connections, answers never read
 *   stdout     bytes on stdout          stderr   bytes on stderr
 *   netdeny H  HTTP requests for the denied host H through the proxy
 *   dns        DNS queries for denied names to the pod's resolver
 *   open       open() of a denied path (eBPF events)
 *   calm       a well-behaved pod: one message per 10 ms (the benchmark's peer)
 *   proc1      print what the pod sees of its pid 1: cmdline, environ, comm
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc.h"
#include "ipc_worker.h"

static uint32_t seq = 1; /* HELLO was message 1 of the SDK */

static void raw(int fd, struct ipc_msg *m)
{
	uint8_t buf[IPC_MAX_MSG];
	int len;

	m->seq = ++seq;
	len = ipc_encode(m, buf, sizeof buf);
	if (len <= 0) {
		fprintf(stderr, "error: encode %d\n", len);
		_exit(2);
	}
	for (int off = 0; off < len;) {
		ssize_t n = write(fd, buf + off, (size_t)(len - off));
		if (n < 0 && errno == EAGAIN) {
			/* full: take what the runner sent (PONGs), wait for room */
			struct pollfd pf = { fd, POLLIN | POLLOUT, 0 };
			char sink[4096];
			poll(&pf, 1, 100);
			while (read(fd, sink, sizeof sink) > 0)
				;
			continue;
		}
		if (n <= 0)
			_exit(3); /* the runner closed the session: stopped */
		off += (int)n;
	}
}

static int flood_frames(ipc_worker_t *w, uint32_t len)
{
	static char buf[1 << 20];

	if (len > sizeof buf)
		len = sizeof buf;
	for (;;)
		if (ipc_worker_send(w, buf, len) < 0)
			return 3;
}

static int flood_session(ipc_worker_t *w, int type)
{
	struct ipc_msg m = { .type = (uint8_t)type };
	int fd = ipc_worker_fd(w);

	if (type == IPC_DATA)
		m.u.data.flags = IPC_DATA_FRAMES;
	for (uint64_t i = 0;; i++) {
		if (type == IPC_PING)
			m.u.ping.token = i;
		raw(fd, &m);
		if ((i & 63) == 63) { /* take the PONGs, or 02 ends the session */
			char sink[65536];
			while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
				;
		}
	}
	return 0;
}

/* One raw query-socket connection: HELLO, then @p type messages forever. */
static void query_conn(const char *path, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct ipc_msg m = { .type = IPC_HELLO };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		_exit(1);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	seq = 0;
	m.u.hello.version = IPC_VERSION;
	m.u.hello.lang = IPC_LANG_C;
	m.u.hello.pid = (uint32_t)getpid();
	raw(fd, &m);
	memset(&m, 0, sizeof m);
	m.type = (uint8_t)type;
	for (uint32_t i = 0;; i++) {
		if (type == IPC_QUERY) {
			m.u.query.request_id = i;
			m.u.query.category = (struct ipc_str){ "ffi", 3 };
			m.u.query.request = (struct ipc_str){ "/lib/flood.so", 13 };
		} else {
			m.u.event.action = IPC_ACT_INFO;
			m.u.event.category = (struct ipc_str){ "ffi", 3 };
			m.u.event.what = (struct ipc_str){ "flood", 5 };
			m.u.event.detail = (struct ipc_str){ "x", 1 };
		}
		raw(fd, &m);
	}
}

/* N processes, each with its own query connection, each flooding. */
static int flood_query(int conns, int type)
{
	const char *path = getenv("POD_FFI_SOCKET");

	if (!path) {
		fprintf(stderr, "error: no POD_FFI_SOCKET\n");
		return 1;
	}
	for (int i = 0; i < conns; i++)
		if (fork() == 0)
			query_conn(path, type);
	while (wait(NULL) > 0) { /* a connection the runner ended: another one */
		usleep(1000);
		if (fork() == 0)
			query_conn(path, type);
	}
	return 0;
}

static int flood_fd(int fd)
{
	static char buf[65536];

	memset(buf, 'x', sizeof buf);
	for (;;)
		if (write(fd, buf, sizeof buf) < 0 && errno != EINTR)
			return 3;
}

/* The proxy's address: the host of HTTP_PROXY=http://A:P (05's variables). */
static int proxy_addr(struct sockaddr_in *a)
{
	const char *v = getenv("HTTP_PROXY");
	char host[64];
	int port;

	if (!v)
		v = getenv("http_proxy");
	if (!v || sscanf(v, "http://%63[^:]:%d", host, &port) != 2)
		return -1;
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static int flood_netdeny(const char *host)
{
	struct sockaddr_in a;
	char req[256], buf[4096];
	int n =
	    snprintf(req, sizeof req, "GET http://%s/ HTTP/1.1\r\nHost: %s\r\n\r\n", host, host);

	if (proxy_addr(&a) < 0) {
		fprintf(stderr, "error: no HTTP_PROXY\n");
		return 1;
	}
	for (;;) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
			if (s >= 0)
				close(s);
			continue;
		}
		if (write(s, req, (size_t)n) == n)
			while (read(s, buf, sizeof buf) > 0)
				;
		close(s);
	}
}

/* A DNS query for "fN.denied.invalid" to the first nameserver of resolv.conf. */
static int flood_dns(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	char line[256], ns[64] = "";
	FILE *f = fopen("/etc/resolv.conf", "r");
	int s;

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "nameserver %63s", ns) == 1)
			break;
	if (f)
		fclose(f);
	if (!ns[0] || inet_pton(AF_INET, ns, &a.sin_addr) != 1) {
		fprintf(stderr, "error: no nameserver\n");
		return 1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	for (uint16_t id = 0;; id++) {
		/* header: id, RD, 1 question; name denied.invalid, A, IN */
		unsigned char q[64] = { (unsigned char)(id >> 8),
					(unsigned char)id,
					1,
					0,
					0,
					1,
					0,
					0,
					0,
					0,
					0,
					0,
					6,
					'd',
					'e',
					'n',
					'i',
					'e',
					'd',
					7,
					'i',
					'n',
					'v',
					'a',
					'l',
					'i',
					'd',
					0,
					0,
					1,
					0,
					1 };
		char buf[512];
		sendto(s, q, 32, 0, (struct sockaddr *)&a, sizeof a);
		while (recv(s, buf, sizeof buf, 0) > 0)
			;
	}
	return 0;
}

static int flood_open(void)
{
	for (;;)
		close(open("/etc/shadow", O_RDONLY));
	return 0;
}

static int calm(ipc_worker_t *w)
{
	for (;;) {
		if (ipc_worker_send(w, "calm", 4) < 0)
			return 3;
		usleep(10000);
	}
}

/* NUL bytes as spaces, so the test can search the text. */
static void show(const char *name)
{
	char path[64], buf[65536];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/1/%s", name);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	printf("%s=%.*s\n", name, n > 0 ? (int)n : 0, buf);
}

int main(int argc, char **argv)
{
	ipc_worker_t *w = NULL;
	const char *mode;

	if (ipc_worker_connect_argv(&argc, argv, &w) < 0) {
		fprintf(stderr, "error: no session\n");
		return 1;
	}
	mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "zero"))
		return flood_frames(w, 0);
	if (!strcmp(mode, "maxframe"))
		return flood_frames(w, ipc_worker_max_frame(w));
	if (!strcmp(mode, "doorbell"))
		return flood_session(w, IPC_DATA);
	if (!strcmp(mode, "ping"))
		return flood_session(w, IPC_PING);
	if (!strcmp(mode, "event") || !strcmp(mode, "query"))
		return flood_query(argc > 2 ? atoi(argv[2]) : 4,
				   mode[0] == 'q' ? IPC_QUERY : IPC_EVENT);
	if (!strcmp(mode, "stdout"))
		return flood_fd(1);
	if (!strcmp(mode, "stderr"))
		return flood_fd(2);
	if (!strcmp(mode, "netdeny"))
		return flood_netdeny(argc > 2 ? argv[2] : "denied.invalid");
	if (!strcmp(mode, "dns"))
		return flood_dns();
	if (!strcmp(mode, "open"))
		return flood_open();
	if (!strcmp(mode, "calm"))
		return calm(w);
	if (!strcmp(mode, "proc1")) {
		show("cmdline");
		show("environ");
		show("comm");
		return 0;
	}
	fprintf(stderr, "error: unknown mode %s\n", mode);
	return 2;
}
