/*
 * clib_worker.c — the C-lib test worker of 07-runner's end-to-end suite: a
 * *.so loaded by the pod host (podlib.h ABI). Each message is a command,
 * each reply one line: "ok ..." when the action worked, "error: ..." when the
 * sandbox refused it.
 *
 *   echo TEXT | read PATH | write PATH | env NAME | run PROG | ffi LIB | exit N
 *
 * Layer 07 (runner), tests. Builds on include/podlib.h only.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podlib.h"

static int say(podlib_reply_fn reply, void *ctx, const char *fmt, const char *a, const char *b)
{
	char line[1024];
	int n = snprintf(line, sizeof line, fmt, a, b);
	return reply(ctx, line, n < 0 ? 0 : (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static int net_get(char *arg, podlib_reply_fn reply, void *ctx)
{
	const char *proxy = getenv("HTTP_PROXY");
	char host[256], port[16], phost[64], pport[16], req[600], resp[256];
	struct sockaddr_in a = { .sin_family = AF_INET };
	ssize_t n;
	int fd;

	if (sscanf(arg, "%255s %15s", host, port) != 2)
		return say(reply, ctx, "error: net %s: %s", arg, "usage: net HOST PORT");
	if (!proxy || sscanf(proxy, "http://%63[0-9.]:%15[0-9]", phost, pport) != 2)
		return say(reply, ctx, "error: net %s: %s", arg, "no proxy in the pod");
	a.sin_port = htons((uint16_t)atoi(pport));
	inet_pton(AF_INET, phost, &a.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
		return say(reply, ctx, "error: net %s: %s", arg, strerror(errno));
	snprintf(req, sizeof req, "GET http://%s:%s/ HTTP/1.0\r\nHost: %s:%s\r\n\r\n", host, port,
		 host, port);
	if (write(fd, req, strlen(req)) < 0 || (n = read(fd, resp, sizeof resp - 1)) <= 0) {
		close(fd);
		return say(reply, ctx, "error: net %s: %s", arg, strerror(errno));
	}
	close(fd);
	resp[n] = '\0';
	resp[strcspn(resp, "\r\n")] = '\0';
	return say(reply, ctx, strstr(resp, " 200") ? "ok net %s%s" : "error: net %s", resp, "");
}

static int handle(void *state, const void *msg, size_t len, podlib_reply_fn reply, void *ctx)
{
	char cmd[1024], *arg;
	int fd;

	(void)state;
	if (len >= sizeof cmd)
		return say(reply, ctx, "error: message too long%s%s", "", "");
	memcpy(cmd, msg, len);
	cmd[len] = '\0';
	arg = strchr(cmd, ' ');
	if (arg)
		*arg++ = '\0';
	else
		arg = cmd + len;
	if (!strcmp(cmd, "echo"))
		return reply(ctx, arg, strlen(arg));
	if (!strcmp(cmd, "read")) {
		char buf[4096];
		ssize_t n, total = 0;
		fd = open(arg, O_RDONLY);
		if (fd < 0)
			return say(reply, ctx, "error: read %s: %s", arg, strerror(errno));
		while ((n = read(fd, buf, sizeof buf)) > 0)
			total += n;
		close(fd);
		snprintf(buf, sizeof buf, "%zd", total);
		return say(reply, ctx, "ok read %s bytes%s", buf, "");
	}
	if (!strcmp(cmd, "write")) {
		fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, "written by pod\n", 15) != 15)
			return say(reply, ctx, "error: write %s: %s", arg, strerror(errno));
		close(fd);
		return say(reply, ctx, "ok wrote %s%s", arg, "");
	}
	if (!strcmp(cmd, "env")) {
		const char *v = getenv(arg);
		return say(reply, ctx, v ? "ok %s=%s" : "unset %s%s", arg, v ? v : "");
	}
	if (!strcmp(cmd, "run")) {
		pid_t pid = fork();
		int st = 0;
		if (pid == 0) {
			char *argv[] = { arg, NULL };
			execv(arg, argv);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0)
			return say(reply, ctx, "error: run %s: %s", arg, strerror(errno));
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			return say(reply, ctx, "error: run %s: %s", arg, "cannot execute");
		return say(reply, ctx, "ok ran %s%s", arg, "");
	}
	if (!strcmp(cmd, "ffi")) {
		void *h = dlopen(arg, RTLD_NOW);
		if (!h)
			return say(reply, ctx, "error: ffi %s: %s", arg, dlerror());
		dlclose(h);
		return say(reply, ctx, "ok loaded %s%s", arg, "");
	}
	if (!strcmp(cmd, "net")) /* "net HOST PORT": GET through the pod's proxy */
		return net_get(arg, reply, ctx);
	if (!strcmp(cmd, "exit"))
		exit(atoi(arg));
	return say(reply, ctx, "error: unknown command %s%s", cmd, "");
}

PODLIB_SERVICE("testworker", NULL, handle, NULL);
