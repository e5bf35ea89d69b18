/*
 * test_dbgui.c — Check suite for the debug UI server (07-runner/debug-ui).
 *
 * Real sockets on 127.0.0.1: a test plays the browser, the server is pumped
 * with dbgui_dispatch() from the same thread. Proves routing, the event
 * stream with history, the anti-rebinding Host check, and the bounds (request
 * size, slow clients, client count).
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dbgui.h"

static dbgui_t *ui;
static unsigned port;

static void setup(void)
{
	ck_assert_int_eq(dbgui_start(NULL, &ui), 0);
	ck_assert(sscanf(dbgui_url(ui), "http://127.0.0.1:%u/", &port) == 1);
	ck_assert_uint_gt(port, 0);
}

static void teardown(void)
{
	dbgui_free(ui);
	ui = NULL;
}

static void pump(int ms)
{
	struct pollfd p = { .fd = dbgui_fd(ui), .events = POLLIN };
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		poll(&p, 1, 5);
		ck_assert_int_eq(dbgui_dispatch(ui), 0);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			return;
	}
}

static int connect_ui(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Read what has arrived (pumping the server meanwhile) into buf. */
static size_t collect(int fd, char *buf, size_t cap, int ms)
{
	size_t len = 0;
	for (int i = 0; i < ms / 10; i++) {
		pump(10);
		ssize_t n = recv(fd, buf + len, cap - 1 - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0)
			break;
	}
	buf[len] = '\0';
	return len;
}

static void send_str(int fd, const char *s)
{
	ck_assert_int_eq(send(fd, s, strlen(s), 0), (ssize_t)strlen(s));
}

static char *request(const char *req)
{
	static char buf[1 << 17];
	int fd = connect_ui();
	send_str(fd, req);
	collect(fd, buf, sizeof(buf), 200);
	close(fd);
	return buf;
}

static char host_hdr[64];
static const char *get(const char *path)
{
	static char req[512];
	snprintf(host_hdr, sizeof(host_hdr), "127.0.0.1:%u", port);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, host_hdr);
	return req;
}

START_TEST(test_root_serves_the_embedded_page)
{
	char *r = request(get("/"));
	ck_assert_msg(strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %.60s", r);
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/html"));
	ck_assert_ptr_nonnull(strstr(r, "<title>podrun debug</title>"));
	ck_assert_ptr_nonnull(strstr(r, "</html>"));
}
END_TEST

START_TEST(test_unknown_path_is_404)
{
	ck_assert_ptr_nonnull(strstr(request(get("/etc/passwd")), "HTTP/1.1 404"));
}
END_TEST

START_TEST(test_post_is_405)
{
	char req[256];
	snprintf(req, sizeof(req), "POST / HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n\r\n", port);
	ck_assert_ptr_nonnull(strstr(request(req), "HTTP/1.1 405"));
}
END_TEST

START_TEST(test_foreign_host_header_is_refused)
{
	char req[256];
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: evil.example:%u\r\n\r\n", port);
	ck_assert_ptr_nonnull(strstr(request(req), "HTTP/1.1 421"));
	ck_assert_ptr_nonnull(strstr(request("GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 421"));
}
END_TEST

START_TEST(test_localhost_host_header_is_accepted)
{
	char req[256];
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: localhost:%u\r\n\r\n", port);
	ck_assert_ptr_nonnull(strstr(request(req), "HTTP/1.1 200"));
}
END_TEST

START_TEST(test_garbage_request_is_400)
{
	ck_assert_ptr_nonnull(strstr(request("\x01\x02 garbage\r\n\r\n"), "HTTP/1.1 400"));
}
END_TEST

START_TEST(test_oversize_head_is_431_and_closed)
{
	char big[6000];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	big[sizeof(big) - 1] = '\0';
	ck_assert_ptr_nonnull(strstr(request(big), "HTTP/1.1 431"));
	ck_assert_int_eq(dbgui_clients(ui), 0);
}
END_TEST

START_TEST(test_event_stream_replays_history_then_follows)
{
	static char buf[1 << 16];
	dbgui_publish(ui, "{\"n\":1}");
	dbgui_publish(ui, "{\"n\":2}\n");
	int fd = connect_ui();
	send_str(fd, get("/events"));
	collect(fd, buf, sizeof(buf), 200);
	ck_assert_ptr_nonnull(strstr(buf, "Content-Type: text/event-stream"));
	char *one = strstr(buf, "data: {\"n\":1}\n\n");
	char *two = strstr(buf, "data: {\"n\":2}\n\n");
	ck_assert_ptr_nonnull(one);
	ck_assert_ptr_nonnull(two);
	ck_assert(one < two);
	dbgui_publish(ui, "{\"n\":3,\"action\":\"deny\"}");
	collect(fd, buf, sizeof(buf), 100);
	ck_assert_str_eq(buf, "data: {\"n\":3,\"action\":\"deny\"}\n\n");
	close(fd);
	pump(50);
	ck_assert_int_eq(dbgui_clients(ui), 0);
}
END_TEST

START_TEST(test_line_with_inner_newline_is_not_published)
{
	static char buf[1 << 14];
	int fd = connect_ui();
	send_str(fd, get("/events"));
	collect(fd, buf, sizeof(buf), 100);
	dbgui_publish(ui, "{\"a\":1}\ndata: {\"forged\":true}");
	dbgui_publish(ui, "{\"ok\":1}");
	collect(fd, buf, sizeof(buf), 100);
	ck_assert_str_eq(buf, "data: {\"ok\":1}\n\n");
	close(fd);
}
END_TEST

START_TEST(test_history_keeps_only_the_newest_lines)
{
	static char buf[1 << 17];
	char line[32];
	for (int i = 0; i < DBGUI_HISTORY + 10; i++) {
		snprintf(line, sizeof(line), "{\"i\":%d}", i);
		dbgui_publish(ui, line);
	}
	int fd = connect_ui();
	send_str(fd, get("/events"));
	collect(fd, buf, sizeof(buf), 300);
	ck_assert_ptr_null(strstr(buf, "{\"i\":9}\n"));
	ck_assert_ptr_nonnull(strstr(buf, "{\"i\":10}\n"));
	snprintf(line, sizeof(line), "{\"i\":%d}\n", DBGUI_HISTORY + 9);
	ck_assert_ptr_nonnull(strstr(buf, line));
	close(fd);
}
END_TEST

START_TEST(test_slow_client_is_dropped_not_waited_for)
{
	int fd = connect_ui();
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	send_str(fd, get("/events"));
	pump(50);
	ck_assert_int_eq(dbgui_clients(ui), 1);
	static char line[8192];
	memset(line, 'x', sizeof(line) - 1);
	line[0] = '"';
	line[sizeof(line) - 2] = '"';
	/* Never read: the backlog passes DBGUI_CLIENT_BUF and the client goes. */
	/* Kernel socket buffers absorb several MiB first; 64 MiB is far past both. */
	for (int i = 0; i < (64 << 20) / (int)sizeof(line) && dbgui_clients(ui); i++) {
		dbgui_publish(ui, line);
		ck_assert_int_eq(dbgui_dispatch(ui), 0);
	}
	ck_assert_int_eq(dbgui_clients(ui), 0);
	close(fd);
}
END_TEST

START_TEST(test_clients_past_the_limit_are_closed)
{
	int fds[DBGUI_MAX_CLIENTS + 1];
	for (int i = 0; i <= DBGUI_MAX_CLIENTS; i++)
		fds[i] = connect_ui();
	pump(100);
	ck_assert_int_eq(dbgui_clients(ui), DBGUI_MAX_CLIENTS);
	char c;
	int closed = 0;
	for (int i = 0; i <= DBGUI_MAX_CLIENTS; i++)
		closed += recv(fds[i], &c, 1, MSG_DONTWAIT) == 0;
	ck_assert_int_eq(closed, 1);
	for (int i = 0; i <= DBGUI_MAX_CLIENTS; i++)
		close(fds[i]);
}
END_TEST

START_TEST(test_bad_addresses_are_rejected)
{
	dbgui_t *u = NULL;
	ck_assert_int_eq(dbgui_start("127.0.0.1", &u), -EINVAL);
	ck_assert_int_eq(dbgui_start("localhost:80", &u), -EINVAL);
	ck_assert_int_eq(dbgui_start("127.0.0.1:70000", &u), -EINVAL);
	ck_assert_int_eq(dbgui_start("[::1:0", &u), -EINVAL);
	ck_assert_ptr_null(u);
	dbgui_free(NULL);
	dbgui_publish(NULL, "{}");
}
END_TEST

static Suite *dbgui_suite(void)
{
	Suite *s = suite_create("debug-ui");
	TCase *http = tcase_create("http");
	tcase_add_checked_fixture(http, setup, teardown);
	tcase_add_test(http, test_root_serves_the_embedded_page);
	tcase_add_test(http, test_unknown_path_is_404);
	tcase_add_test(http, test_post_is_405);
	tcase_add_test(http, test_foreign_host_header_is_refused);
	tcase_add_test(http, test_localhost_host_header_is_accepted);
	tcase_add_test(http, test_garbage_request_is_400);
	tcase_add_test(http, test_oversize_head_is_431_and_closed);
	tcase_add_test(http, test_bad_addresses_are_rejected);
	suite_add_tcase(s, http);

	TCase *sse = tcase_create("events");
	tcase_add_checked_fixture(sse, setup, teardown);
	tcase_set_timeout(sse, 20);
	tcase_add_test(sse, test_event_stream_replays_history_then_follows);
	tcase_add_test(sse, test_line_with_inner_newline_is_not_published);
	tcase_add_test(sse, test_history_keeps_only_the_newest_lines);
	tcase_add_test(sse, test_slow_client_is_dropped_not_waited_for);
	tcase_add_test(sse, test_clients_past_the_limit_are_closed);
	suite_add_tcase(s, sse);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dbgui_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
