/*
 * native_worker.c — the native test worker of 07-runner's end-to-end suite.
 *
 * Layer 07 (runner), tests. Built twice: with -DWITH_SDK it links 02-ipc's C
 * worker SDK (so podrun hands it --pod-socket/--pod-shm-fd and it can talk
 * over the rings); without, it is "any program" (plain_worker). Each run does
 * one thing named by argv[1] and reports the outcome on stdout ("ok ...") or
 * stderr ("error: ...", exit 1), so the tests can assert both the allowed
 * and the denied case:
 *
 *   exit N | read PATH | write PATH | env NAME | run PROG [ARGS] | ffi LIB
 *   net HOST PORT | sleep SECONDS | crash | kill SIG | fork N | hog MB
 *   echo (SDK: echo messages until STOP) | send TEXT (SDK: one message, exit)
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef WITH_SDK
#include "ipc_worker.h"
#endif

static int fail(const char *what, const char *arg)
{
	fprintf(stderr, "error: %s %s: %s\n", what, arg, strerror(errno));
	return 1;
}

static int do_read(const char *path)
{
	char buf[4096];
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return fail("read", path);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += n;
	close(fd);
	printf("ok read %zd bytes\n", total);
	return 0;
}

static int do_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		return fail("write", path);
	if (write(fd, "written by pod\n", 15) != 15) {
		close(fd);
		return fail("write", path);
	}
	close(fd);
	printf("ok wrote %s\n", path);
	return 0;
}

static int do_run(char **argv)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return fail("fork", argv[0]);
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "error: run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return fail("wait", argv[0]);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return 1;
	printf("ok ran %s status %d\n", argv[0],
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int do_ffi(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW);

	if (!h) {
		fprintf(stderr, "error: ffi %s: %s\n", lib, dlerror());
		return 1;
	}
	printf("ok loaded %s\n", lib);
	dlclose(h);
	return 0;
}

/* An HTTP GET to http://HOST:PORT/ through the pod's proxy (HTTP_PROXY). */
static int do_net(const char *host, const char *port)
{
	const char *proxy = getenv("HTTP_PROXY");
	char phost[256] = "", pport[16] = "", req[512], resp[512];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	ssize_t n;
	int fd;

	/* through the runner's proxy explicitly (NO_PROXY keeps localhost in the pod) */
	if (!proxy || sscanf(proxy, "http://%255[^:]:%15[0-9]", phost, pport) != 2) {
		/* no proxy: connect directly (only loopback exists) */
		snprintf(phost, sizeof phost, "%s", host);
		snprintf(pport, sizeof pport, "%s", port);
	}
	if (getaddrinfo(phost, pport, &hints, &ai) != 0) {
		fprintf(stderr, "error: net %s:%s: cannot resolve %s\n", host, port, phost);
		return 1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		freeaddrinfo(ai);
		return fail("net", host);
	}
	freeaddrinfo(ai);
	snprintf(req, sizeof req, "GET http://%s:%s/ HTTP/1.0\r\nHost: %s:%s\r\n\r\n", host, port,
		 host, port);
	if (write(fd, req, strlen(req)) < 0)
		return fail("net", host);
	n = read(fd, resp, sizeof resp - 1);
	close(fd);
	if (n <= 0)
		return fail("net read", host);
	resp[n] = '\0';
	resp[strcspn(resp, "\r\n")] = '\0';
	if (strstr(resp, " 200")) {
		printf("ok net %s\n", resp);
		return 0;
	}
	fprintf(stderr, "error: net %s:%s: %s\n", host, port, resp);
	return 1;
}

int main(int argc, char **argv)
{
#ifdef WITH_SDK
	/* The runner passes --pod-socket/--pod-shm-fd; the SDK removes them. */
	struct ipc_worker_opts o;
	ipc_worker_t *w = NULL;
	char buf[65536];
	int n, session = ipc_worker_parse_args(&argc, argv, &o) == 0;

	if (argc > 1 && (!strcmp(argv[1], "echo") || (!strcmp(argv[1], "send") && argc > 2))) {
		if (!session) {
			fprintf(stderr, "error: no --pod-socket: not started by podrun\n");
			return 1;
		}
		if (ipc_worker_connect(&o, &w) < 0) {
			fprintf(stderr, "error: connect: cannot reach the runner\n");
			return 1;
		}
		if (!strcmp(argv[1], "send")) {
			n = ipc_worker_send(w, argv[2], (uint32_t)strlen(argv[2]));
			ipc_worker_close(w);
			return n < 0;
		}
		while ((n = ipc_worker_recv(w, buf, sizeof buf, -1)) >= 0)
			if (ipc_worker_send(w, buf, (uint32_t)n) < 0)
				break;
		ipc_worker_close(w);
		return n == -ESHUTDOWN ? 0 : 1;
	}
	/* query CAT REQUEST: ask the runner like the FFI gate does */
	if (argc > 3 && !strcmp(argv[1], "query")) {
		struct ipc_verdict v;
		ipc_client_t *c = NULL;
		const char *qs = getenv("POD_QUERY_SOCKET");
		if (!qs || ipc_client_connect(qs, 5000, &c) < 0) {
			fprintf(stderr, "error: query: cannot reach the runner\n");
			return 1;
		}
		n = ipc_client_query(c, argv[2], argv[3], &v, 5000);
		if (n == 0)
			printf("verdict %s rule=%s\n", ipc_action_name(v.action), v.rule);
		if (argc > 4 && !strcmp(argv[4], "event"))
			ipc_client_event(c, IPC_ACT_INFO, argv[2], argv[3],
					 "reported by the test worker");
		ipc_client_close(c);
		return n < 0;
	}
	if (0) {
		while ((n = ipc_worker_recv(w, buf, sizeof buf, -1)) >= 0)
			if (ipc_worker_send(w, buf, (uint32_t)n) < 0)
				break;
		ipc_worker_close(w);
		return n == -ESHUTDOWN ? 0 : 1;
	}
#endif
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: %s CMD [ARGS]\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(argv[1], "read") && argc > 2)
		return do_read(argv[2]);
	if (!strcmp(argv[1], "write") && argc > 2)
		return do_write(argv[2]);
	if (!strcmp(argv[1], "env") && argc > 2) {
		const char *v = getenv(argv[2]);
		printf("%s %s=%s\n", v ? "ok" : "unset", argv[2], v ? v : "");
		return v ? 0 : 1;
	}
	if (!strcmp(argv[1], "run") && argc > 2)
		return do_run(argv + 2);
	if (!strcmp(argv[1], "ffi") && argc > 2)
		return do_ffi(argv[2]);
	if (!strcmp(argv[1], "net") && argc > 3)
		return do_net(argv[2], argv[3]);
	if (!strcmp(argv[1], "sleep") && argc > 2) {
		printf("ok sleeping\n");
		sleep((unsigned)atoi(argv[2]));
		return 0;
	}
	if (!strcmp(argv[1], "crash")) {
		volatile int *null = NULL;
		return *null;
	}
	if (!strcmp(argv[1], "kill") && argc > 2)
		return kill(getpid(), atoi(argv[2]));
	if (!strcmp(argv[1], "fork") && argc > 2) {
		int want = atoi(argv[2]), made = 0;
		for (; made < want; made++) {
			pid_t pid = fork();
			if (pid < 0)
				break;
			if (pid == 0) {
				pause();
				_exit(0);
			}
		}
		printf("%s forked %d of %d\n", made == want ? "ok" : "limited", made, want);
		return made == want ? 0 : 3;
	}
	if (!strcmp(argv[1], "hog") && argc > 2) {
		size_t mb = (size_t)atoi(argv[2]);
		for (size_t i = 0; i < mb; i++) {
			char *p = malloc(1 << 20);
			if (!p)
				return 3;
			memset(p, 1, 1 << 20);
		}
		printf("ok allocated %zu MiB\n", mb);
		return 0;
	}
	if (!strcmp(argv[1], "stdin")) { /* copy stdin to stdout */
		char b[4096];
		ssize_t n2;
		while ((n2 = read(0, b, sizeof b)) > 0)
			if (write(1, b, (size_t)n2) != n2)
				return 1;
		return 0;
	}
	fprintf(stderr, "error: unknown command %s\n", argv[1]);
	return 2;
}
