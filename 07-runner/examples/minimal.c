/*
 * minimal.c — the smallest complete embedding of 07-runner (podrun.h).
 *
 * Starts the example C-lib worker (example/build/echo.so) in a pod under a
 * deny-by-default policy, sends three messages through the rings, prints the
 * replies and the pod's lifecycle events, then stops it. As root:
 *   make -C 07-runner try        (or: build/examples/minimal PATH/TO/echo.so)
 */
#include <stdio.h>
#include <string.h>

#include "podrun.h"

/* The pod's lifecycle events (one JSON line each), collected: they can arrive
 * before or after the replies. */
static void collect_events(podrun_t *pod, char *life, size_t cap)
{
	char line[8192], *what;
	while (podrun_next_event(pod, line, sizeof line) >= 0)
		/* life events, not the sandbox's notes (they carry "level") */
		if (strstr(line, "\"cat\":\"life\"") && !strstr(line, "\"level\":") &&
		    (what = strstr(line, "\"what\":\"")))
			snprintf(life + strlen(life), cap - strlen(life), " %.*s",
				 (int)strcspn(what + 8, "\""), what + 8);
}

int main(int argc, char **argv)
{
	const char *msgs[] = { "one", "two", "three" };
	char buf[256], life[256] = "";
	podrun_t *pod = NULL;
	int n, got = 0;

	if (argc != 2 || podrun_new(&pod) < 0)
		return 2;
	podrun_set_program(pod, argv[1]); /* *.so: loaded by the pod host */
	podrun_set_events(pod, 1);        /* audit lines for podrun_next_event() */
	if (podrun_start(pod) < 0) {      /* policy, rings, mounts, spawn */
		fprintf(stderr, "podrun: %s\n", podrun_error(pod));
		podrun_free(pod);
		return 125;
	}
	for (int i = 0; i < 3; i++)
		podrun_send(pod, msgs[i], (uint32_t)strlen(msgs[i]));
	while (podrun_state(pod) != PODRUN_EXITED) {
		podrun_dispatch(pod, 1000); /* runs the runner's loop once */
		while ((n = podrun_recv(pod, buf, sizeof buf - 1)) >= 0) {
			buf[n] = '\0';
			printf("reply: %s\n", buf);
			if (++got == 3)
				podrun_stop(pod, 1000); /* STOP, then SIGKILL after 1 s */
		}
		collect_events(pod, life, sizeof life);
	}
	collect_events(pod, life, sizeof life);
	printf("life events:%s\nexit status %d\n", life, podrun_exit_code(pod));
	podrun_free(pod); /* everything the pod had is gone */
	return got == 3 ? 0 : 1;
}
