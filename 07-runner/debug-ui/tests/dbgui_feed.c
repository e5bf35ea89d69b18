/*
 * dbgui_feed.c — a feeder for the debug UI page test (07-runner/debug-ui).
 *
 * Starts the real dbgui server on the address given and publishes a fixed
 * sequence of audit-shaped lines (allow, warn, deny, proxy, traffic, stats) for a few
 * seconds, so the page's rendering can be checked in a real browser without a
 * pod. The end-to-end test with a real pod is 07-runner's (test_debug_ui.sh
 * with podrun); this one checks only the page.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dbgui.h"

int main(int argc, char **argv)
{
	dbgui_t *ui = NULL;
	char line[512];
	int secs = argc > 2 ? atoi(argv[2]) : 10;

	if (argc < 2 || dbgui_start(argv[1], &ui) < 0) {
		fprintf(stderr, "usage: dbgui_feed ADDR:PORT [SECONDS]\n");
		return 2;
	}
	printf("%s\n", dbgui_url(ui));
	fflush(stdout);
	for (int tick = 0; tick < secs * 10; tick++) {
		struct pollfd p = { .fd = dbgui_fd(ui), .events = POLLIN };
		poll(&p, 1, 100);
		dbgui_dispatch(ui);
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		char when[96];
		snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			 tm.tm_sec, ts.tv_nsec / 1000);
		if (tick % 5 == 0) {
			snprintf(
			    line, sizeof(line),
			    "{\"ts\":\"%s\",\"pod\":\"feed\",\"src\":\"runner\",\"cat\":\"life\","
			    "\"action\":\"info\","
			    "\"what\":\"stats\",\"state\":\"running\",\"rings\":{\"to_pod_frames\":"
			    "%d,"
			    "\"to_runner_frames\":%d,\"to_pod_bytes\":%d,\"to_runner_bytes\":%d},"
			    "\"syscalls\":{\"read\":%d,\"write\":%d,\"openat\":%d,\"futex\":7}}",
			    when, tick * 1000, tick * 900, tick * 64000, tick * 57600, tick * 31,
			    tick * 17, tick);
			dbgui_publish(ui, line);
		}
		if (tick == 3) {
			snprintf(
			    line, sizeof(line),
			    "{\"ts\":\"%s\",\"pod\":\"feed\",\"src\":\"proxy\",\"cat\":\"net\","
			    "\"action\":\"allow\","
			    "\"what\":\"localhost:8080\",\"rule\":\"localhost:8080\",\"pid\":2,"
			    "\"method\":\"GET\","
			    "\"url\":\"http://localhost:8080/"
			    "hello\",\"bytes_up\":120,\"bytes_down\":5120,\"duration_us\":3120}",
			    when);
			dbgui_publish(ui, line);
		}
		if (tick == 4) { /* the connection of that request ends; then the pod's total */
			snprintf(line, sizeof(line),
				 "{\"ts\":\"%s\",\"pod\":\"feed\",\"src\":\"proxy\",\"cat\":"
				 "\"net\",\"action\":\"info\","
				 "\"what\":\"localhost:8080\",\"rule\":\"localhost:8080\",\"pid\":"
				 "0,\"event\":\"conn_end\","
				 "\"requests\":1,\"decision\":\"allow\",\"peer\":\"127.0.0.1:"
				 "8080\",\"bytes_up\":120,"
				 "\"bytes_down\":5120,\"duration_us\":4100}",
				 when);
			dbgui_publish(ui, line);
		}
		if (tick == 7) {
			snprintf(line, sizeof(line),
				 "{\"ts\":\"%s\",\"pod\":\"feed\",\"src\":\"proxy\",\"cat\":"
				 "\"net\",\"action\":\"info\","
				 "\"what\":\"localhost:8080\",\"rule\":\"default\",\"pid\":0,"
				 "\"event\":\"host_total\","
				 "\"requests\":1,\"bytes_up\":120,\"bytes_down\":5120}",
				 when);
			dbgui_publish(ui, line);
		}
		if (tick == 6) {
			snprintf(line, sizeof(line),
				 "{\"ts\":\"%s\",\"pod\":\"feed\",\"src\":\"runner\",\"cat\":"
				 "\"env\",\"action\":\"warn\","
				 "\"what\":\"HOME\",\"rule\":\"HOME\"}",
				 when);
			dbgui_publish(ui, line);
		}
		if (tick == 9) {
			snprintf(line, sizeof(line),
				 "{\"ts\":\"%s\",\"pod\":\"feed\",\"src\":\"proxy\",\"cat\":"
				 "\"net\",\"action\":\"deny\","
				 "\"what\":\"169.254.169.254:80\",\"rule\":\"default\",\"pid\":2,"
				 "\"method\":\"GET\","
				 "\"url\":\"http://169.254.169.254/<img src=x "
				 "onerror=alert(1)>\",\"bytes_up\":0,"
				 "\"bytes_down\":0,\"duration_us\":410}",
				 when);
			dbgui_publish(ui, line);
		}
	}
	dbgui_free(ui);
	return 0;
}
