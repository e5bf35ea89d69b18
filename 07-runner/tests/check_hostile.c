/*
 * check_hostile.c — the runner keeps control of a hostile pod. Each flood of
 * tests/workers/hostile_worker.c (frames, doorbells, PING, EVENT and QUERY on
 * many connections, stdout, stderr, denied requests, DNS, eBPF events) runs
 * in a real pod while nobody reads podrun's stdout and stderr, and:
 *
 *   - with --timeout 2 --grace 500 the runner exits 124 within 1.5 s of the
 *     deadline;
 *   - SIGTERM to the runner ends everything within the grace period;
 *   - the audit stays under its cap, and its totals are exact: every counted
 *     event is in a line (once, or folded with "repeat") or in the exit
 *     event's "dropped";
 *   - nothing of the pod is left behind.
 *
 * Layer 07 (runner), tests. Builds on helpers.c and cJSON. Run as root, and as an
 * ordinary user (podrun rootless: the eBPF floods are skipped, saying why).
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "podtest.h"
#include "helpers.h"

/* The audit cap of the timeout runs: small enough that the floods reach it. */
#define CAP_BYTES (1u << 20)

struct flood {
	pid_t pid;
	int out, err; /* read ends of podrun's stdout and stderr, never read */
	char audit[128];
	double t0;
	double end_real_ms; /* wall clock when podrun had exited */
};

static double real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wall-clock time of the start event (when the timeout was armed), or -1. */
static double start_event_ms(const char *audit)
{
	char line[8192];
	struct tm tm = { 0 };
	int us = 0;

	if (!t_audit_line(audit, line, sizeof line, "\"what\":\"start\"", "\"src\":\"runner\"",
			  NULL) ||
	    sscanf(line, "{\"ts\":\"%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (double)timegm(&tm) * 1e3 + us / 1e3;
}

static char why[1024];

/* podrun run OPTS hostile_worker MODE..., stdout and stderr to pipes nobody reads. */
static void flood_start(struct flood *f, const char *opts, const char *mode)
{
	static int seq;
	char cmd[1024], *argv[64], *save = NULL;
	int out[2], err[2], n = 0;

	snprintf(f->audit, sizeof f->audit, "/tmp/podrun-hostile-%d-%d.audit", (int)getpid(),
		 seq++);
	unlink(f->audit);
	/* rootless (an ordinary user runs the suite): no eBPF, said in the audit */
	snprintf(cmd, sizeof cmd, "%s run --audit %s%s %s %s/hostile_worker %s", t_podrun(),
		 f->audit, geteuid() ? " --audit-best-effort" : "", opts, t_workers(), mode);
	for (char *tok = strtok_r(cmd, " ", &save); tok && n < 63; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	f->t0 = t_now_ms();
	f->pid = fork();
	if (f->pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	f->out = out[0];
	f->err = err[0];
}

/* Wait up to @p ms for podrun; @return its status (-1: still running, killed). */
static int flood_wait(struct flood *f, double ms, double *took)
{
	int st;

	for (;;) {
		if (waitpid(f->pid, &st, WNOHANG) == f->pid)
			break;
		if (t_now_ms() - f->t0 > ms) {
			kill(f->pid, SIGKILL);
			waitpid(f->pid, &st, 0);
			*took = t_now_ms() - f->t0;
			return -1;
		}
		usleep(5000);
	}
	*took = t_now_ms() - f->t0;
	f->end_real_ms = real_ms();
	close(f->out);
	close(f->err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf;
	long n;

	*len = 0;
	if (!fp)
		return strdup("");
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static int is_notice(const cJSON *o)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(o, "what");
	return cJSON_IsString(w) && cJSON_GetObjectItemCaseSensitive(o, "folded") &&
	       (!strcmp(w->valuestring, "audit rate limit") ||
		!strcmp(w->valuestring, "audit capped"));
}

/*
 * The audit's totals are exact: the events in lines (weighted by "repeat")
 * plus the exit event's "dropped" are the counts of the exit event. Every
 * line is JSON and the exit event is the last one. @return 1, or 0 with why.
 */
static int audit_exact(const char *audit, size_t len, uint64_t cap, int *capped)
{
	const char *s = audit, *e;
	double written = 0, counted = 0, dropped = -1;
	int lines = 0, last_is_exit = 0;

	if (len > cap) {
		snprintf(why, sizeof why, "audit %zu bytes over its cap %llu", len,
			 (unsigned long long)cap);
		return 0;
	}
	for (; *s; s = e + 1) {
		cJSON *o, *c, *a;
		e = strchr(s, '\n');
		if (!e) {
			snprintf(why, sizeof why, "line %d not terminated", lines + 1);
			return 0;
		}
		o = cJSON_ParseWithLength(s, (size_t)(e - s));
		if (!o) {
			snprintf(why, sizeof why, "line %d is not JSON: %.200s", lines + 1, s);
			return 0;
		}
		lines++;
		last_is_exit = 0;
		if (!cJSON_GetObjectItemCaseSensitive(o, "reported_by") && !is_notice(o)) {
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "repeat");
			written += cJSON_IsNumber(r) ? r->valuedouble : 1;
		}
		c = cJSON_GetObjectItemCaseSensitive(o, "counts");
		a = cJSON_GetObjectItemCaseSensitive(o, "audit");
		if (c && a) {
			const cJSON *cat, *act;
			last_is_exit = 1;
			counted = 0;
			cJSON_ArrayForEach(cat, c) cJSON_ArrayForEach(act, cat) counted +=
			    act->valuedouble;
			dropped = cJSON_GetObjectItemCaseSensitive(a, "dropped")->valuedouble;
			*capped = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "capped"));
		}
		cJSON_Delete(o);
	}
	if (!last_is_exit) {
		snprintf(why, sizeof why, "the exit event is not the last of %d lines", lines);
		return 0;
	}
	if (written + dropped != counted) {
		snprintf(why, sizeof why, "totals: %.0f in lines + %.0f dropped != %.0f counted",
			 written, dropped, counted);
		return 0;
	}
	return 1;
}

static void check_audit_and_leftovers(struct flood *f, uint64_t cap, int *capped)
{
	size_t len;
	char *audit = slurp(f->audit, &len);
	int ok = audit_exact(audit, len, cap, capped);

	if (!ok)
		fprintf(stderr, "audit of %s: %.3000s\n", f->audit, audit);
	ck_assert_msg(ok, "%s", why);
	ck_assert_msg(t_runner_left_nothing(audit, f->pid, 5000, why, sizeof why), "%s", why);
	free(audit);
	unlink(f->audit);
}

/* --timeout 2: exit 124 within the grace (0.5 s) plus 1 s after the deadline,
 * stdout and stderr never read. */
static void timeout_case(const char *opts, const char *mode, int want_cap)
{
	struct flood f;
	char all[512], *audit;
	double took, start, late;
	size_t len;
	int st, capped = 0;

	snprintf(all, sizeof all, "--timeout 2 --grace 500 --audit-max %u %s", CAP_BYTES, opts);
	flood_start(&f, all, mode);
	st = flood_wait(&f, 20000, &took);
	ck_assert_msg(st == 124, "%s: status %d after %.0f ms", mode, st, took);
	audit = slurp(f.audit, &len);
	start = start_event_ms(audit);
	free(audit);
	ck_assert_msg(start > 0, "%s: no start event", mode);
	late = f.end_real_ms - (start + 2000);
	ck_assert_msg(late < 1500 + (t_san() ? 1000 : 0),
		      "%s: exit %.0f ms after the deadline (grace 0.5 s)", mode, late);
	check_audit_and_leftovers(&f, CAP_BYTES, &capped);
	if (want_cap)
		ck_assert_msg(capped, "%s: the flood did not reach the audit cap", mode);
}

/* SIGTERM after a second of flood: everything ends within the grace period. */
static void sigterm_case(const char *opts, const char *mode)
{
	struct flood f;
	char all[512];
	double took, t_term;
	int st, capped = 0;

	snprintf(all, sizeof all, "--grace 1000 %s", opts);
	flood_start(&f, all, mode);
	usleep(1000000);
	t_term = t_now_ms();
	kill(f.pid, SIGTERM);
	st = flood_wait(&f, 20000, &took);
	ck_assert_msg(st >= 0, "%s: podrun still ran 20 s after SIGTERM", mode);
	ck_assert_msg(f.t0 + took - t_term < 1000 + 1000,
		      "%s: %.0f ms from SIGTERM to exit (grace 1 s)", mode, f.t0 + took - t_term);
	check_audit_and_leftovers(&f, UINT64_MAX, &capped);
}

/* Every test runs as root and, rootless, as an ordinary user (podrun then
 * runs rootless); one that has no rootless form says why it is skipped. */
#define ROOT_ONLY(why) POD_REQUIRE(pod_is_root(), "rootless: " why)
#define BOTH_MODES()                                                                               \
	do {                                                                                       \
	} while (0)

#define FLOOD_TEST(name, opts, mode, cap)                                                          \
	START_TEST(test_##name##_flood_cannot_take_control)                                        \
	{                                                                                          \
		if (!strcmp(mode, "open"))                                                         \
			ROOT_ONLY("no eBPF events without root");                                  \
		timeout_case(opts, mode, cap);                                                     \
		sigterm_case(opts, mode);                                                          \
	}                                                                                          \
	END_TEST

#define NET "--allow-net=allowed.invalid:80"

FLOOD_TEST(zero_frames, "", "zero", 0)
FLOOD_TEST(max_frames, "", "maxframe", 0)
FLOOD_TEST(doorbell, "", "doorbell", 0)
FLOOD_TEST(ping, "", "ping", 0)
FLOOD_TEST(event, "", "event 4", 0)
FLOOD_TEST(event_quiet, "-q", "event 4", 0)
FLOOD_TEST(query, "", "query 4", 0)
FLOOD_TEST(stdout, "", "stdout", 0)
FLOOD_TEST(stderr, "", "stderr", 0)
FLOOD_TEST(denied_request, NET, "netdeny denied.invalid", 0)
FLOOD_TEST(dns, NET, "dns", 0)
FLOOD_TEST(ebpf_open, "", "open", 0)

/* A flood of distinct events reaches a small cap: past it only counts are
 * kept, the file stays under the cap and the totals stay exact. */
START_TEST(test_audit_cap_keeps_exact_totals)
{
	struct flood f;
	double took;
	int st, capped = 0;
	ROOT_ONLY("the flood that fills the audit is one of eBPF events");
	flood_start(&f, "--timeout 2 --grace 500 --audit-max 64k -v", "open");
	st = flood_wait(&f, 20000, &took);
	ck_assert_int_eq(st, 124);
	check_audit_and_leftovers(&f, 64 << 10, &capped);
	ck_assert(capped);
}
END_TEST

/* The protocol rate: past PR_FLOOD_WINDOWS seconds over it the pod is stopped
 * with a reason in the audit, long before its timeout. */
START_TEST(test_protocol_flood_is_stopped_with_a_reason)
{
	struct flood f;
	double took;
	size_t len;
	char *audit, line[4096];
	int st, capped = 0;
	BOTH_MODES();
	/* a rate any runner reaches, even a slow (sanitizer) build */
	flood_start(&f, "--timeout 30 --grace 500 --ipc-rate 500", "event 4");
	st = flood_wait(&f, 25000, &took);
	ck_assert_msg(st >= 0 && st != 124, "status %d after %.0f ms", st, took);
	audit = slurp(f.audit, &len);
	ck_assert_msg(t_audit_line(audit, line, sizeof line, "\"what\":\"protocol flood\"",
				   "\"action\":\"deny\"", NULL),
		      "no protocol flood event");
	ck_assert(t_audit_line(audit, line, sizeof line, "\"what\":\"protocol rate\"", NULL));
	free(audit);
	check_audit_and_leftovers(&f, UINT64_MAX, &capped);
}
END_TEST

/* The pod's pid 1 shows nothing of the runner: no flags, no host paths, no
 * environment of the runner. */
START_TEST(test_pid1_shows_nothing_of_the_runner)
{
	struct run r;
	char cmd[1024];
	BOTH_MODES();
	setenv("PODRUN_SECRET_PROBE", "s3cr3t-value", 1);
	snprintf(cmd, sizeof cmd,
		 "run --timeout 20 --grace 700 --audit @AUDIT%s %s/hostile_worker proc1",
		 geteuid() ? " --audit-best-effort" : "", t_workers());
	t_runs(&r, NULL, 30, cmd);
	unsetenv("PODRUN_SECRET_PROBE");
	ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.out, "cmdline=") && strstr(r.out, "comm="), "%s", r.out);
	ck_assert_msg(!strstr(r.out, "podrun") && !strstr(r.out, "--timeout") &&
			  !strstr(r.out, "--grace") && !strstr(r.out, t_workers()) &&
			  !strstr(r.out, r.audit_path) && !strstr(r.out, "s3cr3t-value"),
		      "the pod sees the runner in /proc/1: %s", r.out);
	t_run_free(&r);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tcase_create("floods");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_zero_frames_flood_cannot_take_control);
	tcase_add_test(tc, test_max_frames_flood_cannot_take_control);
	tcase_add_test(tc, test_doorbell_flood_cannot_take_control);
	tcase_add_test(tc, test_ping_flood_cannot_take_control);
	tcase_add_test(tc, test_event_flood_cannot_take_control);
	tcase_add_test(tc, test_event_quiet_flood_cannot_take_control);
	tcase_add_test(tc, test_query_flood_cannot_take_control);
	tcase_add_test(tc, test_stdout_flood_cannot_take_control);
	tcase_add_test(tc, test_stderr_flood_cannot_take_control);
#ifdef PODRUN_HAVE_PROXY
	tcase_add_test(tc, test_denied_request_flood_cannot_take_control);
	tcase_add_test(tc, test_dns_flood_cannot_take_control);
#endif
	tcase_add_test(tc, test_ebpf_open_flood_cannot_take_control);
	tcase_add_test(tc, test_audit_cap_keeps_exact_totals);
	tcase_add_test(tc, test_protocol_flood_is_stopped_with_a_reason);
	tcase_add_test(tc, test_pid1_shows_nothing_of_the_runner);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hostile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
