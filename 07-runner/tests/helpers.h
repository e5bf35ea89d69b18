/*
 * helpers.h — test helpers of 07-runner's end-to-end suite: run the real
 * podrun binary with a stdin, capture stdout/stderr/audit, search audit lines,
 * snapshot what a pod could leave behind on the host.
 *
 * Layer 07 (runner), tests only. Builds on libc. Used by check_podrun.c.
 */
#ifndef PODRUN_TEST_HELPERS_H
#define PODRUN_TEST_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

/** Result of one podrun run. Strings are malloc'd and NUL-terminated. */
struct run {
	int status;      /* podrun's exit status, or 128+N when it died by signal N */
	char *out, *err; /* its stdout and stderr */
	char *audit;     /* the audit file's content ("" when none) */
	char audit_path[128];
	pid_t pid; /* podrun's pid */
	double ms; /* wall time */
};

/** Paths from the environment the Makefile sets. */
const char *t_podrun(void);
const char *t_workers(void); /* built workers */
const char *t_tests(void);   /* tests/ (scripts, policies) */
int t_san(void);

/**
 * Run podrun with @p argv (argv[0] is ignored and replaced by the binary;
 * NULL-terminated). "@AUDIT" in argv is replaced by a fresh audit file path.
 * @p in is written to podrun's stdin (NULL: /dev/null). Kills podrun after
 * @p timeout_s seconds.
 */
void t_run(struct run *r, const char *in, int timeout_s, const char *const argv[]);
/** Same, with argv given as a string split at spaces (no quoting). */
void t_runs(struct run *r, const char *in, int timeout_s, const char *cmdline);
void t_run_free(struct run *r);

/** Start podrun in the background (stdout/stderr to files); returns its pid. */
pid_t t_spawn(const char *cmdline, const char *audit_path);

/** Number of audit lines that contain every one of the NULL-terminated needles. */
int t_audit_count(const struct run *r, ...);
/** Find the first audit line with every needle; copies it into @p buf. */
int t_audit_line(const char *audit, char *buf, size_t cap, ...);
/** A JSON string field of a line: "key":"value" -> value, or "" . */
void t_json_str(const char *line, const char *key, char *out, size_t cap);
/** Every audit line is a JSON object with the common fields. */
int t_audit_wellformed(const char *audit, char *why, size_t cap);

/** What a pod could leave on the host, for before/after comparisons. */
struct leftovers {
	int run_pod;    /* entries in /run/pod (02's socket dirs) */
	int run_podrun; /* entries in /run/podrun (registry records) */
	int shm;        /* /dev/shm entries named pod-ring* */
	int mounts;     /* lines of /proc/self/mountinfo */
	int veths;      /* links named podr* */
	int bpf_links;  /* bpftool link list entries */
	int bpf_progs;  /* bpftool prog list entries */
	int netns;      /* network namespaces with a process in them (lsns) */
	int cgroups;    /* sbx-* cgroup directories of dead runners (any runner's) */
};
void t_leftovers(struct leftovers *l);
/* podrun's socket base (/run/pod; rootless $XDG_RUNTIME_DIR or /tmp) and run
 * directory (/run/podrun; rootless podrun-<uid> under the socket base). */
const char *t_sock_base(void);
const char *t_run_dir(void);

/* The directory of this process's own cgroup in the first hierarchy found of
 * @p want ("" = cgroup v2; else a v1 controller) mounted at @p mnt, in @p out;
 * @return 1 when it exists. */
int t_own_cgroup_dir(const char *want, const char *mnt, char *out, size_t cap);
/** Poll until no leftover of a dead pod exists (up to @p ms); diff in @p why. */
int t_no_leftovers(const struct leftovers *before, int ms, char *why, size_t cap);
/** Check one pod's own objects (from its start event) are gone. */
int t_pod_objects_gone(const char *audit, char *why, size_t cap);
/**
 * Hermetic leak check of one podrun process: polls (up to @p ms) until the
 * objects named in its audit's start event (t_pod_objects_gone) and every
 * object named after its pid @p runner (shm "pod-ring-PID-*", cgroups
 * "sbx-PID-*", /run/podrun records of "runner PID", /run/podrun/ID.*) are
 * gone. Objects of other runners on the machine are never looked at.
 */
int t_runner_left_nothing(const char *audit, pid_t runner, int ms, char *why, size_t cap);
/** The same for a runner without a start event (setup failed): only what is
 *  named after its pid. */
int t_runner_pid_left_nothing(pid_t runner, int ms, char *why, size_t cap);

/**
 * A Check fixture: when this test's process ends (also on a failed assertion),
 * remove every /tmp/podrun-test-PID-* it made (PID: the test's own process).
 */
void t_tmp_cleanup_at_exit(void);

/** Write a file (for policies and inputs); returns its path (static buffer per call slot). */
const char *t_write_tmp(const char *name, const char *content);

/** A tiny HTTP/1.0 server on 127.0.0.1 in a child: answers 200 "hello". */
pid_t t_http_server(int *port);

double t_now_ms(void);

#endif
