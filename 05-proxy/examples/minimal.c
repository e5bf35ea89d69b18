/*
 * minimal.c — 05-proxy's smallest use: an upstream on 127.0.0.1 (a child saying "hi"), a
 * proxy whose policy allows only that port, and curl asking through it for that port (200)
 * and another one (403). No root needed: make -C 05-proxy try
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "proxy.h"

static char events[512]; /* printed after each request, to keep the output in order */

static void on_event(const struct proxy_event *ev, void *user)
{
	size_t n = strlen(events);
	(void)user;
	if (ev->kind != PROXY_EV_DECISION) /* traffic totals: not shown here */
		return;
	snprintf(events + n, sizeof events - n, "event: %s %s status %d\n",
		 policy_action_name(ev->action), ev->method, ev->status);
}

static void curl(uint16_t proxy, uint16_t port) /* one request, its status on stdout */
{
	char px[64], url[64];
	snprintf(px, sizeof px, "http://127.0.0.1:%u", proxy);
	snprintf(url, sizeof url, "http://localhost:%u/", port);
	execlp("curl", "curl", "-s", "-o", "/dev/null", "-w", "curl: %{http_code}\n", "-x", px, url,
	       (char *)NULL);
	_exit(127);
}

int main(void)
{
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n";
	struct sockaddr_in up = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	struct proxy_config c = { .listen_addr = up.sin_addr,
				  .on_event = on_event,
				  .proxy_port = PROXY_PORT_EPHEMERAL,
				  .disable = PROXY_NO_HTTP | PROXY_NO_TLS | PROXY_NO_DNS };
	socklen_t len = sizeof up;
	struct pol_error err;
	char flag[64];
	policy_t *pol;
	proxy_t *px;
	int s = socket(AF_INET, SOCK_STREAM, 0), st;

	if (s < 0 || bind(s, (void *)&up, len) < 0 || listen(s, 8) < 0 ||
	    getsockname(s, (void *)&up, &len) < 0)
		return 1;
	pid_t server = fork();
	for (int fd; server == 0 && (fd = accept(s, NULL, NULL)) >= 0; close(fd))
		if (write(fd, reply, sizeof reply - 1) < 0) /* then close: one response */
			_exit(1);
	snprintf(flag, sizeof flag, "--allow-net=localhost:%u", ntohs(up.sin_port));
	if (policy_new(&pol) < 0 || policy_apply_flag(pol, flag, &err) < 0 ||
	    policy_finalize(pol, &err) < 0)
		return 2;
	c.policy = pol;
	if (proxy_create(&c, &px) < 0)
		return 1;
	uint16_t ports[2] = { ntohs(up.sin_port), ntohs(up.sin_port) ^ 1 }; /* allowed, another */
	for (int i = 0; i < 2; i++) {
		pid_t client = fork();
		if (client == 0)
			curl(proxy_port(px, 0), ports[i]);
		while (waitpid(client, &st, WNOHANG) == 0)
			proxy_run(px, 20, NULL); /* the proxy works while curl waits */
		proxy_run(px, 100, NULL);        /* the request's end: its event */
		fputs(events, stdout);
		fflush(stdout);
		events[0] = '\0';
	}
	proxy_destroy(px);
	policy_free(pol);
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	return 0;
}
