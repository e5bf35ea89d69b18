/*
 * internal.h — private declarations of 07-runner: the struct behind the
 * opaque podrun_t and the helpers the runner's files share.
 *
 * Layer 07 (runner). Builds on every layer's public header. Used only by the
 * files in src/ (never installed; embedders see include/podrun.h).
 */
#ifndef POD_RUNNER_INTERNAL_H
#define POD_RUNNER_INTERNAL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "podrun.h"
#include "ring.h"
#include "ipc.h"
#include "policy.h"
#include "sandbox.h"
#include "proxy.h"
#include "sysaudit.h"
#ifdef PODRUN_HAVE_DBGUI
#include "dbgui.h"
#endif

/* Audit categories and actions, as indexes of the counters. */
enum { PR_NET, PR_FS, PR_RUN, PR_ENV, PR_FFI, PR_IPC, PR_LIFE, PR_NCAT };
enum { PR_ALLOW, PR_WARN, PR_DENY, PR_INFO, PR_NACT };

/* Worker kinds, picked by the program's name (docs/contracts.md, "Command line"). */
enum pr_kind { PR_KIND_NATIVE = 0, PR_KIND_PYTHON, PR_KIND_BUN, PR_KIND_CLIB };

/* Epoll tags: which source a ready descriptor belongs to. */
enum pr_src {
	PR_SRC_SIGNAL = 1,
	PR_SRC_PIDFD,
	PR_SRC_IPC,
	PR_SRC_TIMEOUT,
	PR_SRC_GRACE,
	PR_SRC_TICK,
	PR_SRC_STDIN,
	PR_SRC_OUT,
	PR_SRC_ERR,
	PR_SRC_PODIN,
	PR_SRC_PROXY,
	PR_SRC_BPF,
	PR_SRC_DBGUI,
	PR_SRC_DRAIN,
	PR_SRC_EXEC,
	PR_SRC_WINDOW,
	PR_SRC_SINK,
};

/* The embedder's event queue (podrun_next_event). Ring of malloc'd lines. */
#define PR_EVQ_CAP 4096
struct evq {
	char *items[PR_EVQ_CAP];
	unsigned head, count;
	uint64_t dropped;
};

/* A growable NUL-terminated string; `oom` sticks once an allocation failed. */
struct strbuf {
	char *buf;
	size_t len, cap;
	int oom;
};

/* ---- typed audit events (audit.c serializes every kind, in one place) ---- */

/* What an event is; each kind has its own fields (struct pr_event's union). */
enum pr_ev_kind {
	PR_EV_FACT = 0, /* the common fields only */
	PR_EV_DECISION, /* a decision of 04-policy: + scope */
	PR_EV_REPORT,   /* what the pod says about itself (EVENT): + detail; never counted */
	PR_EV_NET,      /* one proxy or DNS request (05): struct pr_ev_net */
	PR_EV_SANDBOX,  /* a log line of 03-sandbox: + level */
	PR_EV_MOUNT,    /* the policy's part of the mount plan: struct pr_ev_mount */
	PR_EV_START,    /* the pod runs: its kernel objects and limits */
	PR_EV_EXIT,     /* the last event: exit status and exact totals */
	PR_EV_EBPF,     /* a syscall seen by 06-ebpf: struct pr_ev_ebpf */
	PR_EV_NOTICE,   /* the audit's own notice: lines folded, dropped, capped */
	PR_EV_TRAFFIC,  /* traffic of a proxy connection or host (05): struct pr_ev_traffic */
	PR_EV_EXEC,     /* a Run decision of the exec gate: struct pr_ev_exec */
	PR_EV_SHADOW,   /* a shadow policy decides otherwise (shadow.c): struct pr_ev_shadow */
};

/* A difference of the shadow policy (PR_EV_SHADOW). */
struct pr_ev_shadow {
	const char *shadow;   /* "deny" or "allow": what the shadow policy would do */
	const char *scope;    /* 04's category, e.g. "fs.read" */
	const char *enforced; /* the action of the enforcing policy */
};

/* One execve/execveat decided by the exec gate (PR_EV_EXEC). */
struct pr_ev_exec {
	const char *scope;   /* 04's category: "run" */
	const char *syscall; /* "execve" or "execveat" */
	const char *asked;   /* the pod path asked for, before links (learn.c), or NULL */
};

/* Traffic accounting of the proxy (PR_EV_TRAFFIC): a connection's end, or a
 * host's totals. */
struct pr_ev_traffic {
	int end; /* 1: "conn_end", 0: "host_total" */
	unsigned requests;
	const char *decision; /* conn_end: the decision it followed */
	const char *peer;     /* conn_end: the address connected to */
	uint64_t bytes_up, bytes_down, duration_us;
};

/* A proxy or DNS request (PR_EV_NET). */
struct pr_ev_net {
	const char *method, *url, *peer;
	int status;
	uint64_t bytes_up, bytes_down, duration_us;
};

/* A bind of the mount plan (PR_EV_MOUNT). */
struct pr_ev_mount {
	const char *how; /* "ro+exec", "ro", "rw", "hidden" */
	int dependency;
};

/* A syscall event of 06 with its verdict (PR_EV_EBPF); the event's own fields
 * come from 06's formatter, `cat` and `rule` from struct pr_event. */
struct pr_ev_ebpf {
	const struct sysaudit_event *ev;
	const struct sysaudit_verdict *v;
};

/* The audit's own notice (PR_EV_NOTICE) about category `cat`. */
struct pr_ev_notice {
	uint64_t folded, dropped;
};

/*
 * One audit event. The common fields are those of every line; `u` holds the
 * fields of the kind. Strings are borrowed for the duration of pr_audit().
 * Build one with PR_AUDIT(p, .src = "runner", .cat = PR_LIFE, ...).
 */
struct pr_event {
	enum pr_ev_kind kind;
	const char *src; /* runner, policy, loader, proxy, dns, ebpf */
	int cat, act;    /* PR_NET.., PR_ALLOW.. */
	const char *what;
	const char *rule;   /* NULL or "": "default" */
	const char *reason; /* NULL: none */
	int pid;            /* pid inside the pod (0: the runner) */
	int quiet;          /* no human line on stderr */
	union {
		const char *scope;     /* DECISION: 04's category, e.g. "fs.read" */
		const char *detail;    /* REPORT */
		const char *level;     /* SANDBOX: "info" or "notice" */
		const char *kind_name; /* START: the worker kind */
		struct pr_ev_net net;
		struct pr_ev_mount mount;
		struct pr_ev_ebpf ebpf;
		struct pr_ev_notice notice;
		struct pr_ev_traffic traffic;
		struct pr_ev_exec exec;
		struct pr_ev_shadow shadow;
	} u;
};

/** Emit one event: designated fields of struct pr_event. */
#define PR_AUDIT(p, ...) pr_audit((p), &(const struct pr_event){ __VA_ARGS__ })

/* Audit stream limits (docs/contracts.md): per category, at most
 * PR_AUDIT_BURST lines at once and PR_AUDIT_RATE lines per second on
 * average; more are folded into one line per distinct event ("repeat"),
 * at most PR_FOLD_SLOTS distinct ones per second, the rest counted as
 * dropped. The human log on stderr: PR_HUMAN_BURST / PR_HUMAN_RATE. */
#define PR_AUDIT_RATE 500
#define PR_AUDIT_BURST 2000
#define PR_HUMAN_RATE 20
#define PR_HUMAN_BURST 100
#define PR_FOLD_SLOTS 64
/* Room kept below the audit cap for the notices and the final exit event. */
#define PR_AUDIT_RESERVE (64u << 10)

struct pr_fold {
	uint64_t hash;
	void *first; /* cJSON object of the first folded event */
	uint64_t n;
	int cat, counted;
	char last[32];
};

/* The audit plane (audit.c): the stream, its limits, and its sources. */
struct pr_audit {
	double tokens[PR_NCAT], human_tokens;
	uint64_t refill_us;
	struct pr_fold fold[PR_FOLD_SLOTS];
	unsigned nfold;
	uint64_t w_folded[PR_NCAT], w_dropped[PR_NCAT]; /* this window */
	uint64_t human_suppressed;                      /* this window */
	uint64_t lines, bytes, folded, dropped, human_dropped, reported;
	uint64_t max_bytes; /* cap of the stream; 0 = none */
	int capped;
	int to_err; /* --audit -: the lines share the stderr sink */
	int open;   /* a stream is wanted: audit file, event queue or debug UI */
	uint64_t counts[PR_NCAT][PR_NACT]; /* decisions, for the exit event */
	struct evq evq;                    /* events queued for podrun_next_event() */
	int audit_fd;
	sysaudit_t *sa; /* 06's auditor of the pod's syscalls, or NULL */
	int bpf_on;
	/* denied/warned file access on stderr: once per path (hashes seen); the
	 * lines share the human log's rate limit (pr_say_decision) */
	uint64_t fsrep_seen[512];
	unsigned fsrep_n;
#ifdef PODRUN_HAVE_DBGUI
	dbgui_t *ui;
#endif
};

/* ---- output sinks: stdout, stderr, audit (relay.c) ------------------------ */

/* A descriptor the runner writes to without ever blocking its loop: regular
 * files are written directly; pipes, terminals and sockets get a private
 * non-blocking descriptor and a bounded queue. */
#define PR_SINK_CAP (1u << 20)
enum { PR_SINK_OUT, PR_SINK_ERR, PR_SINK_AUDIT, PR_NSINK };
struct pr_sink {
	int fd;    /* -1: discarded */
	int own;   /* fd is a reopened descriptor of ours */
	int sock;  /* send(MSG_DONTWAIT) */
	int queue; /* writes may be queued (not a regular file) */
	char *buf;
	size_t len;
	int armed;        /* EPOLLOUT registered */
	uint64_t dropped; /* bytes dropped because the reader stalled */
};

/* A byte queue between a non-blocking reader and writer (stdio relays). */
#define PR_RELAY_CAP (256u << 10)
struct relay {
	char *buf;
	size_t len;
	int eof;
};

/*
 * A pod's runner state, grouped by plane. Each part names the file that owns
 * it (sets it up, tears it down, and is its main user); other files reach a
 * member through its part's name (p->net.proxy, p->io.sink), so every use says
 * which plane it touches.
 */

/* Configuration (config.c): set before podrun_start(), read-only afterwards. */
struct pr_config {
	char *program; /* as given */
	char **args;   /* worker arguments (NULL-terminated) */
	size_t nargs;
	char *policy_file, *policy_json;
	char **flags; /* policy flags, applied after the file */
	size_t nflags;
	uint32_t timeout_s, pids;
	uint64_t memory;
	uint32_t cpu_percent; /* cgroup CPU quota, percent of one CPU */
	uint32_t nofile;      /* RLIMIT_NOFILE of the worker */
	uint64_t fsize;       /* RLIMIT_FSIZE of the worker (UINT64_MAX: none) */
	char *audit_path;
	int serve; /* -1 auto, 0, 1 */
	int in_fd, out_fd, err_fd;
	int verbosity;
	int events_on, audit_best_effort, allow_all, allow_all_ack;
	int handle_signals, msg_to_stdout;
	int debug_ui;
	char *debug_ui_addr;
	int grace_ms;
	char *audit_btf;          /* tests: another BTF file for 06 (makes eBPF fail) */
	struct pr_rootfs *rootfs; /* the pod's own root file system (rootfs.c), or NULL */
	int audit_level;          /* enum sysaudit_mode for --audit (default SYSAUDIT_DETAILED) */
	uint64_t audit_max;       /* cap of the audit stream (0 = the default) */
	uint32_t proto_rate;      /* control messages per second (0 = PR_PROTO_RATE) */
	int learn_on;             /* learn mode (learn.c) */
	int learn_group_at;       /* paths under one directory that make it a rule (0: default) */
	char *shadow_file;        /* --shadow-policy (shadow.c), or NULL */
};

/* The pod's life (lifecycle.c starts it, finish.c ends it). */
struct pr_life {
	enum podrun_state state;
	char id[24];
	char err[1024];
	int refused;   /* the policy cannot be enforced as written: exit 2 */
	int exit_code; /* final status once EXITED/FAILED */
	int timed_out; /* the timeout fired: exit 124 */
	int killed;    /* SIGKILL was sent by the runner */
	int stop_sent;
	int signals_seen;
	uint64_t t_start_ms, t_start_us;
	policy_t *pol;
	struct pr_learn *lrn;  /* learn mode: base policy, learned requests (learn.c) */
	struct pr_shadow *shd; /* the shadow policy and its differences (shadow.c) */
	enum pr_kind kind;
	char *prog_abs;         /* absolute, resolved program path */
	int t_timeout, t_grace; /* timerfds: the deadline, the grace after STOP */
	char registry[256];     /* <run dir>/<id>.owner, for the stale sweep */
	int registry_ours;      /* that record was made by this runner (link(): unique) */
};

/* The event loop (loop.c): descriptors every source is waited on with. */
struct pr_loop {
	int ep;         /* inner epoll: every source; dispatch waits here */
	int outer_ep;   /* podrun_fd(): inner epoll + pending eventfd */
	int pending_fd; /* eventfd: readable while messages/events wait */
	int pending_set;
	int sig_fd;
	sigset_t sig_old;
	int sig_blocked;
	int t_tick;    /* 500 ms: the audit's periodic read */
	int t_window;  /* 1 s: rate windows, audit folding */
	unsigned more; /* PR_MORE_*: sources with work left after their budget */
};

/* The sandbox plane (plan.c builds it; execgate.c, idmap.c, rootless.c). */
struct pr_box {
	sandbox_t *sb;
	pid_t pid; /* host pid of the pod's init */
	int reaped;
	char **rt_paths; /* host paths the runtime plan mounted */
	size_t n_rt_paths;
	char **exec_rt; /* the runtime's own programs (pod paths), execgate.c */
	size_t n_exec_rt;
	char app_host[4096];                /* host directory shown at /pod/app ("" if none) */
	int exec_fd;                        /* seccomp listener of the pod's execs, or -1 */
	char mask_file[128], mask_dir[128]; /* stand-ins bound over denied paths */
	char cgroups[4][256];               /* the pod's cgroup directories (03) */
	int idmap_fd;                       /* flock held on the pod's id range slot (idmap.c) */
	uid_t idmap_base;                   /* first host uid/gid of the pod's range; 0: none */
	char degraded[8][192];              /* rootless.c: what this mode cannot have */
	int ndegraded;
	dev_t pidns_dev; /* rootless.c: the pod's pid namespace */
	ino_t pidns_ino;
};

/* The message plane (loop.c): control socket and rings. */
struct pr_ipc {
	ipc_runner_t *runner;
	char planned_dir[128]; /* the socket directory, recorded before it is made */
	int ready;             /* HELLO received */
	int sdk_worker;        /* the worker is expected to speak the protocol */
	int peeked;            /* podrun_peek() handed out a frame */
	char *msgbuf;          /* serve/CLI: one frame on its way to stdout */
	/* frames the pod wrote before it ended, copied out before the rings are
	 * unmapped (library mode): podrun_recv() serves them after PODRUN_EXITED */
	struct {
		char **msg;
		uint32_t *len;
		size_t n, head;
	} left;
	uint64_t frames_to_pod, frames_to_runner, bytes_to_pod, bytes_to_runner;
	uint64_t proto_seen;     /* control messages counted at the window's start */
	uint64_t proto_spurious; /* doorbells that brought no frame */
	unsigned flood_windows;  /* consecutive windows over the rate */
	int paused;              /* control traffic over its rate: not read until the next window */
	int rx_paused;           /* ring not read: stdout is full (messages as lines) */
};

/* The network plane (lifecycle.c sets it up; 05's podnet and proxy). */
struct pr_net {
	podnet_t *podnet;
	proxy_t *proxy;
	char resolv_path[256]; /* runner-written resolv.conf, removed at teardown */
};

/* The stdio plane (relay.c): pipes to and from the pod, and our own output. */
struct pr_io {
	int pod_in_w, pod_out_r, pod_err_r; /* pod-side pipe ends we write to / read from */
	struct relay to_pod_in;             /* runner stdin -> pod stdin (raw mode) */
	struct relay line_in;               /* serve mode: partial stdin line */
	int stdin_paused;                   /* serve mode: ring full, stdin not read */
	int stdin_eof;
	int stdin_regular; /* stdin is a file epoll refuses: polled */
	struct pr_sink sink[PR_NSINK];
	int out_paused, err_paused; /* pod stdout/stderr not read: the sink is full */
	int t_drain;                /* serve mode: waiting for the pod to read its input */
};

struct podrun {
	struct pr_config cfg;
	struct pr_life life;
	struct pr_loop loop;
	struct pr_box box;
	struct pr_ipc ipc;
	struct pr_net net;
	struct pr_audit au; /* the audit plane (audit.c) */
	struct pr_io io;
	/* warm pools (pool.c) */
	struct {
		int pod_fd; /* the pod's end of its launch socket (PR_POD_POOL_FD inside), or -1 */
		int warm;   /* started for a pool: no timeout until taken, no handshake deadline */
	} pool;
};

/* Pod-side descriptor number of a pool pod's launch socket (pool.c). */
#define PR_POD_POOL_FD 4

/* Sources with work left after their per-turn budget (struct podrun.more). */
#define PR_MORE_IPC 1u
#define PR_MORE_RX 2u
/* Per-turn budgets: control events, frames (and their bytes) per loop turn. */
#define PR_IPC_BUDGET 64
#define PR_RX_BUDGET 256
#define PR_RX_BYTES (4u << 20)
/* Control messages per second (EVENT, QUERY, PING, refused connections and
 * doorbells that bring no frame) before the pod's control sockets are paused
 * for the rest of the second; PR_FLOOD_WINDOWS such seconds in a row stop it. */
#define PR_PROTO_RATE 10000
#define PR_FLOOD_WINDOWS 5

/* util.c */
void pr_seterr(struct podrun *p, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int pr_sb_reserve(struct strbuf *sb, size_t more);
void pr_sb_add(struct strbuf *sb, const char *s, size_t n);
void pr_sb_puts(struct strbuf *sb, const char *s);
void pr_sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pr_sb_json_str(struct strbuf *sb, const char *s);
void pr_sb_free(struct strbuf *sb);
void pr_timestamp(char out[32], uint64_t ns);
/* Write all of @p s, retrying on EINTR; a failing sink is given up silently (best effort). */
void pr_write_all(int fd, const char *s, size_t n);
uint64_t pr_now_ms(void);
uint64_t pr_now_us(void);
void pr_trace(const struct podrun *p, const char *step);
void pr_random_id(char *out, size_t hexlen);
int pr_pod_pid(pid_t host_pid);
int pr_strv_add(char ***v, size_t *n, const char *s);
void pr_strv_free(char **v, size_t n);

/* audit.c */
int pr_cat_index(const char *cat);
int pr_act_index(const char *action);
const char *pr_cat_name(int i);
const char *pr_act_name(int i);
const char *pr_pol_cat(enum pol_cat c);
int pr_pol_index(enum pol_cat c);
void pr_evq_clear(struct evq *q);
void pr_audit(struct podrun *p, const struct pr_event *ev);
void pr_audit_decision(struct podrun *p, const char *src, enum pol_cat c, const char *what,
		       const struct pol_decision *d, int pid);
void pr_audit_window(struct podrun *p);
void pr_audit_close(struct podrun *p);
void pr_say(struct podrun *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pr_audit_open(struct podrun *p);
const char *pr_terminal_safe(const char *in, char *out, size_t cap);
int pr_say_decision(struct podrun *p, const char *action, const char *category, const char *what,
		    const char *rule);

/* lifecycle.c (start) and finish.c (the end) */
void pr_fds_init(struct podrun *p);
void pr_close_fd(int *fd);
void pr_teardown(struct podrun *p, int kill_pod);
void pr_finish(struct podrun *p);

void pr_ipc_event(struct podrun *p, const struct ipc_event *ev);
int pr_bpf_event(void *ctx, const struct sysaudit_event *ev);
void pr_bpf_classify(void *ctx, const struct sysaudit_event *ev, struct sysaudit_verdict *v);
int pr_left_recv(struct podrun *p, void *buf, uint32_t cap);
void pr_grace_expired(struct podrun *p);
void pr_stop_and_wait(struct podrun *p);
void pr_final_close(struct podrun *p);

/* plan.c: policy -> sandbox configuration */
/* execgate.c: every execve/execveat of the pod decided against the Run rules */
int pr_execgate_start(struct podrun *p);
void pr_execgate_dispatch(struct podrun *p, uint32_t events);
int pr_pod_open(pid_t pid, const char *abs, int follow);
int pr_fd_path(int fd, char *out, size_t cap);

int pr_provided(const struct podrun *p, const char *path); /* loop.c */

/* fsreport.c */
int pr_fs_refused(struct podrun *p, const struct sysaudit_event *ev, struct sysaudit_verdict *v);
void pr_fs_what(struct podrun *p, const struct sysaudit_event *ev, char *what, size_t cap);

struct rt_plan;
int pr_build_sandbox(struct podrun *p, sandbox_cfg_t *cfg, const struct rt_plan *plan);

/* rootfs.c: a pod in its own root file system ("rootfs" options) */
struct pr_rootfs;
int pr_rootfs_option(struct podrun *p, const char *name, const char *value);
int pr_rootfs_program(struct podrun *p);
int pr_rootfs_sandbox(struct podrun *p, sandbox_cfg_t *cfg);
void pr_rootfs_free(struct podrun *p);

/* loop.c */
int pr_loop_once(struct podrun *p, int timeout_ms);
void pr_pending_update(struct podrun *p);
int pr_epoll_add(struct podrun *p, int fd, uint32_t tag, uint32_t events);
void pr_epoll_del(struct podrun *p, int fd);
int pr_arm_timer(int tfd, uint64_t ms, uint64_t interval_ms);
int pr_arm_timer_us(int tfd, uint64_t us, uint64_t interval_us);

/* relay.c */
int pr_relay_setup(struct podrun *p, sandbox_cfg_t *cfg);
void pr_relay_stdin(struct podrun *p);
void pr_serve_resume(struct podrun *p);
int pr_relay_pod_output(struct podrun *p, int fd, int which, int final);
void pr_relay_flush_pod_in(struct podrun *p);
int pr_deliver_messages(struct podrun *p, int final);
void pr_stdin_interest(struct podrun *p, int on);
void pr_sinks_open(struct podrun *p);
void pr_sink_attach(struct podrun *p, int which, int fd);
size_t pr_sink_write(struct podrun *p, int which, const void *buf, size_t n);
size_t pr_sink_room(const struct podrun *p, int which);
void pr_sink_ready(struct podrun *p, int fd);
void pr_sinks_final_flush(struct podrun *p, int ms);
void pr_sinks_close(struct podrun *p);

/* sweep.c: remove what dead runners left behind */
void pr_sweep_stale(struct podrun *p);
/* idmap.c: the pod's host id range (a slot of a locked block, see there) */
#define PR_POD_UID 65534          /* worker uid/gid inside the pod */
#define PR_IDMAP_BASE 0x70000000u /* first host id of the block */
#define PR_IDMAP_SLOTS 1024u      /* ranges of SANDBOX_IDMAP_SPAN ids */
int pr_idmap_acquire(struct podrun *p);
void pr_idmap_release(struct podrun *p);
uid_t pr_pod_host_uid(const struct podrun *p);

/* rootless.c: podrun run by an ordinary user (see there) */
#define PR_MAX_DEGRADED 8
int pr_rootless(void);
int pr_rootless_check(struct podrun *p);
#define PR_DELEG_MEM 1u  /* pr_rootless_delegated(): a cgroup we may use for memory */
#define PR_DELEG_PIDS 2u /* ... for pids */
#define PR_DELEG_CPU 4u  /* ... for CPU */
unsigned pr_rootless_delegated(void);
const char *pr_rootless_ipc_base(void);
void pr_rootless_limits(const struct podrun *p, struct sandbox_limits *l);
int pr_rootless_peer_rule(struct podrun *p, struct ipc_peer_rule *rule);
int pr_rootless_net_prepare(struct podrun *p);
int pr_rootless_net_attach(struct podrun *p, proxy_event_fn on_event);

int pr_run_dir(char *out, size_t cap);
int pr_run_file(const struct podrun *p, const char *kind, char *out, size_t cap);
int pr_registry_write(struct podrun *p);
void pr_registry_remove(struct podrun *p);
int pr_remove_cgroup(const char *dir, int wait_ms);

/* learn.c: learn mode */
int pr_learn_prepare(struct podrun *p);
void pr_learn_note(struct podrun *p, const struct pr_event *ev);
void pr_learn_free(struct podrun *p);

/* shadow.c: the shadow policy */
int pr_shadow_prepare(struct podrun *p);
void pr_shadow_note(struct podrun *p, const struct pr_event *ev);
void pr_shadow_counts(const struct podrun *p, uint64_t *deny, uint64_t *allow);
void pr_shadow_free(struct podrun *p);

#endif
