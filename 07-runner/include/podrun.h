/**
 * @file
 * podrun.h — public API of layer 07-runner: the supervisor as a library.
 *
 * Layer 07 (the top of Pod/Runner). Builds on every layer below: 01-ring (the
 * shared-memory rings), 02-ipc (control socket), 03-sandbox (spawn, mount plan,
 * limits), 04-policy (decisions), 05-proxy (egress proxy, pod DNS, veth) and
 * 06-ebpf (syscall audit). Used by the `podrun` command (a thin client of this
 * API: one code path, not two) and by embedders such as the Bun supervisor
 * module (bun:ffi), so every call takes and returns plain C types.
 *
 * Life of a pod:
 *
 *     podrun_t *pod = NULL;
 *     podrun_new(&pod);
 *     podrun_set_program(pod, "worker.py");          // kind from the extension
 *     podrun_add_arg(pod, "--verbose");              // worker arguments
 *     podrun_set_policy_file(pod, "policy.json");    // and/or podrun_add_policy_flag()
 *     if (podrun_start(pod) < 0)                     // policy, rings, mounts, net, audit, spawn
 *             fprintf(stderr, "%s\n", podrun_error(pod));
 *     podrun_send(pod, "hi", 2);                     // one message to the pod
 *     while (podrun_state(pod) != PODRUN_EXITED) {
 *             podrun_dispatch(pod, -1);              // or poll podrun_fd() in your own loop
 *             while ((n = podrun_recv(pod, buf, sizeof buf)) >= 0) ...;   // pod's messages
 *             while ((n = podrun_next_event(pod, line, sizeof line)) >= 0) ...; // JSON lines
 *     }
 *     int status = podrun_exit_code(pod);            // exit status, docs/contracts.md
 *     podrun_free(pod);                              // stops the pod if needed, cleans up
 *
 * Threading: one thread drives one podrun_t. Different pods are independent.
 * Errors: functions return 0 (or a count/length) on success and a negative errno
 * on failure; podrun_error() holds a human sentence about the last failure.
 * Stability: this header is a contract for bindings (bun:ffi). Calls are only
 * ever added; existing signatures and constants do not change.
 */
#ifndef POD_PODRUN_H
#define POD_PODRUN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One pod and everything the runner holds for it. Opaque. */
typedef struct podrun podrun_t;

/** Where a pod is in its life (podrun_state()). Values are stable. */
enum podrun_state {
	PODRUN_CONFIGURING = 0, /**< created, not started: setters allowed */
	PODRUN_STARTING =
	    1,              /**< podrun_start() in progress, or the worker has not said HELLO yet */
	PODRUN_RUNNING = 2, /**< the worker runs */
	PODRUN_STOPPING = 3, /**< STOP sent (or a signal forwarded); waiting for the grace period */
	PODRUN_EXITED = 4,   /**< the pod is gone and cleaned up; podrun_exit_code() is final */
	PODRUN_FAILED =
	    5, /**< podrun_start() failed; nothing is running; podrun_error() says why */
};

/** Exit status of a pod stopped by its timeout (docs/contracts.md, "Command line"). */
#define PODRUN_EXIT_TIMEOUT 124
/** Exit status when the runner itself failed (spawn, setup). */
#define PODRUN_EXIT_RUNNER 125
/** Exit status for a usage or policy error (nothing was started). */
#define PODRUN_EXIT_USAGE 2

/** Verbosity levels for podrun_set_verbosity(). */
#define PODRUN_QUIET (-1) /**< errors only */
#define PODRUN_NORMAL 0   /**< one line per warn or deny (the default) */
#define PODRUN_VERBOSE 1  /**< also allows and lifecycle steps */

/** Default grace period between STOP and SIGKILL, in milliseconds. */
#define PODRUN_GRACE_MS_DEFAULT 2000

/** Default memory limit of a pod's cgroup (1 GiB), unless set or "unlimited". */
#define PODRUN_MEMORY_DEFAULT (1ull << 30)
/** Default task limit of a pod's cgroup, unless set or "unlimited". */
#define PODRUN_PIDS_DEFAULT 512
/** Default CPU quota of a pod, in percent of one CPU (two CPUs). */
#define PODRUN_CPU_PERCENT_DEFAULT 200
/** Default RLIMIT_NOFILE of the worker. */
#define PODRUN_NOFILE_DEFAULT 1024
/** Default RLIMIT_FSIZE of the worker: no file it writes grows past 256 MiB. */
#define PODRUN_FSIZE_DEFAULT (256ull << 20)
/** Default size cap of the audit stream (64 MiB); past it only counts are kept. */
#define PODRUN_AUDIT_MAX_DEFAULT (64ull << 20)

/* ---- configuration (before podrun_start) ------------------------------ */

/**
 * Allocate a pod description with defaults: no program, every category denied,
 * the default limits (PODRUN_MEMORY_DEFAULT, PODRUN_PIDS_DEFAULT,
 * PODRUN_CPU_PERCENT_DEFAULT, PODRUN_NOFILE_DEFAULT, PODRUN_FSIZE_DEFAULT; no
 * timeout), no audit file, stdio to /dev/null (stdin) and the runner's
 * stdout/stderr, normal verbosity, no event queue.
 * @param out receives the handle
 * @return 0, or -ENOMEM
 */
int podrun_new(podrun_t **out);

/**
 * Set the program to run. Its name picks the worker kind: `*.py` Python,
 * `*.js`/`*.ts`/`*.mjs` Bun, `*.so` C-lib (service mode implied), anything
 * else a native executable. A name without '/' is looked up in PATH.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param program path of the script, library or executable
 * @return 0, -EINVAL (empty), -EBUSY (already started), -ENOMEM
 */
int podrun_set_program(podrun_t *p, const char *program);

/**
 * Append one argument for the worker (after the program).
 * @param p the pod (PODRUN_CONFIGURING)
 * @param arg the argument (copied)
 * @return 0, -EBUSY, -ENOMEM, -E2BIG (more than 4096 arguments)
 */
int podrun_add_arg(podrun_t *p, const char *arg);

/**
 * Use a JSON policy file (docs/policy.md). Loaded by podrun_start(); flags
 * from podrun_add_policy_flag() are applied on top of it.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param path the file
 * @return 0, -EBUSY, -ENOMEM
 */
int podrun_set_policy_file(podrun_t *p, const char *path);

/**
 * Use a JSON policy given as text instead of a file (for embedders).
 * @param p the pod (PODRUN_CONFIGURING)
 * @param json the policy document (copied)
 * @return 0, -EBUSY, -ENOMEM
 */
int podrun_set_policy_json(podrun_t *p, const char *json);

/**
 * Add one Deno-style policy flag, e.g. "--allow-net=example.com:443",
 * "--warn-env=HOME", "--allow-all". The flag's syntax is checked now.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param flag the flag text
 * @return 0; -ENOENT when @p flag is not a policy flag; -EINVAL for a bad
 *         value (podrun_error() explains); -EBUSY; -ENOMEM
 */
int podrun_add_policy_flag(podrun_t *p, const char *flag);

/**
 * Set resource limits; each overrides the policy file's `limits` entry when
 * non-zero. Unset (0 here and in the policy file), memory and pids take their
 * defaults (PODRUN_MEMORY_DEFAULT, PODRUN_PIDS_DEFAULT); podrun_set_option()
 * "memory"/"pids" "unlimited" turns them off.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param timeout_s wall-clock seconds before the pod is stopped (exit 124); 0 = unset
 * @param memory_bytes memory limit of the pod's cgroup; 0 = unset; UINT64_MAX = unlimited
 * @param pids maximum number of tasks in the pod; 0 = unset; UINT32_MAX = unlimited
 * @return 0, -EBUSY
 */
int podrun_set_limits(podrun_t *p, uint32_t timeout_s, uint64_t memory_bytes, uint32_t pids);

/**
 * Write audit events as JSON lines (docs/audit-events.md) and run the eBPF syscall
 * audit (06). Without this call no audit file is written and eBPF is not used.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param path a file (created or truncated, mode 0600), or "-" for stderr
 * @return 0, -EBUSY, -ENOMEM
 */
int podrun_set_audit(podrun_t *p, const char *path);

/**
 * Service mode: each line read from the stdin descriptor is one message to the
 * pod, each message from the pod is written as one line to the stdout
 * descriptor (and the worker's own stdout goes to the stderr descriptor).
 * Implied for `*.so` programs unless set to 0 explicitly.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param on 1 = on, 0 = off, -1 = automatic (the default)
 * @return 0, -EBUSY
 */
int podrun_set_serve(podrun_t *p, int on);

/**
 * Descriptors the stdio relay uses on the runner side. The pod never gets
 * them: its stdin/stdout/stderr are pipes the runner relays. The runner does
 * not close them.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param in_fd read and forwarded to the pod's stdin (-1 = the pod gets EOF)
 * @param out_fd receives the pod's stdout (-1 = discarded)
 * @param err_fd receives the pod's stderr (-1 = discarded)
 * @return 0, -EBUSY
 */
int podrun_set_stdio(podrun_t *p, int in_fd, int out_fd, int err_fd);

/**
 * Human log on the runner's stderr: PODRUN_QUIET, PODRUN_NORMAL or PODRUN_VERBOSE
 * (values above 1 are more verbose still).
 * @param p the pod
 * @param level the level
 * @return 0
 */
int podrun_set_verbosity(podrun_t *p, int level);

/**
 * Keep every event (the audit JSON lines, with or without an audit file) in a
 * queue read by podrun_next_event(). Off by default. When the queue is full
 * (4096 lines) the oldest line is dropped and counted.
 * @param p the pod (PODRUN_CONFIGURING)
 * @param on 1 = queue events, 0 = do not
 * @return 0, -EBUSY
 */
int podrun_set_events(podrun_t *p, int on);

/**
 * Set a less common option by name. Known names and values:
 *  - "audit-best-effort" "1": run without eBPF when it cannot start (a warning
 *    event says so) instead of failing podrun_start()
 *  - "audit-level" "counters" | "detailed" | "all": what eBPF records with an
 *    audit file (default "detailed"; see docs/contracts.md)
 *  - "debug-ui" "ADDR:PORT" or "": serve the debug page (loopback by default)
 *  - "grace-ms" "N": STOP grace period for signals, timeout and podrun_free()
 *  - "pod-id" "ID": the pod id used in events (default: random, 12 hex digits)
 *  - "allow-all-ack" "1": suppress the --allow-all warning on stderr
 *  - "signals" "1": block SIGINT/SIGTERM/SIGHUP in the calling thread and handle
 *    them in the loop (first: STOP + grace, second: SIGKILL); what the CLI does
 *  - "audit-btf" "PATH": kernel BTF for the eBPF audit (tests point it at a
 *    missing file to exercise the failure path)
 *  - "messages" "stdout" or "api": where the pod's messages go: written as lines
 *    to the stdout descriptor (the CLI), or kept for podrun_recv() (the default)
 *  - "rootfs" "DIR": run the pod in its own root file system (an OCI bundle's
 *    rootfs) instead of the host's files: DIR's top-level directories are bound
 *    read-only and executable, the program is looked up inside it, and the
 *    policy's fs, run and ffi categories must allow by default with no path
 *    rules (podrun_start() refuses otherwise). Only with "rootfs": "rootfs-env"
 *    "NAME=VALUE" (one variable of the pod's whole environment, repeatable),
 *    "rootfs-cwd" "/PATH", "rootfs-user" "UID:GID", "rootfs-hostname" "NAME",
 *    "rootfs-bind" "ro|rw<TAB>HOST<TAB>POD" (repeatable), "cpu-percent" "N",
 *    "rlimit-nofile" "N", "rlimit-nproc" "N", "rlimit-fsize" "N"
 *  - "cpu" "N" or "N%" or "unlimited": CPU quota of the pod, N CPUs (may be a
 *    fraction, "1.5") or N percent of one CPU (default PODRUN_CPU_PERCENT_DEFAULT)
 *  - "memory" "unlimited", "pids" "unlimited": no cgroup memory / task limit
 *    (instead of PODRUN_MEMORY_DEFAULT / PODRUN_PIDS_DEFAULT)
 *  - "nofile" "N": RLIMIT_NOFILE of the worker (default PODRUN_NOFILE_DEFAULT)
 *  - "fsize" "BYTES[k|m|g]" or "unlimited": RLIMIT_FSIZE of the worker, the
 *    largest file it can write (default PODRUN_FSIZE_DEFAULT)
 *  - "ipc-rate" "N": control messages per second the pod may send (EVENT,
 *    QUERY, PING, refused connections, doorbells that bring no frame; default
 *    10000); past it its control sockets are not read until the next second,
 *    and 5 such seconds in a row stop the pod
 *  - "audit-max" "BYTES[k|m|g]" or "unlimited": size cap of the audit stream
 *    (default PODRUN_AUDIT_MAX_DEFAULT); past it only counts are kept and the
 *    exit event's totals stay exact
 *  - "learn" "1": learn mode: every request the policy (the base) would deny
 *    is allowed and reported as a warn; the eBPF audit runs (it sees every
 *    open); podrun_learned_policy() then gives the policy the run needed
 *  - "learn-group-at" "N": in learn mode, N or more paths directly under one
 *    directory are learned as that directory (default 8, at least 2)
 *  - "shadow-policy" "FILE": decide every request against FILE too; each
 *    difference is an audit event (`"shadow": "deny"` or `"allow"`) and the
 *    exit event counts them (`"shadow"`)
 * @param p the pod (PODRUN_CONFIGURING)
 * @param name option name
 * @param value option value
 * @return 0, -ENOENT (unknown name), -EINVAL (bad value), -EBUSY
 */
int podrun_set_option(podrun_t *p, const char *name, const char *value);

/* ---- life ------------------------------------------------------------- */

/**
 * Start the pod: load and normalize the policy, create rings and the control
 * socket, build the mount plan, start the network (when the policy can allow
 * any) and the eBPF audit (with an audit file), spawn the sandboxed worker.
 * Returns once the worker has been released (it may not have said HELLO yet).
 * On failure everything created so far is removed again.
 * @param p the pod (PODRUN_CONFIGURING)
 * @return 0; -EINVAL for a usage or policy error (podrun_exit_code() is then 2,
 *         podrun_error() names file:line:col); another negative errno when setup
 *         failed (exit code 125); -EBUSY when already started
 */
int podrun_start(podrun_t *p);

/**
 * One descriptor for a host event loop: it is readable whenever
 * podrun_dispatch() has work or messages/events are waiting. Level-triggered
 * (an epoll descriptor). Owned by the pod; do not close it.
 * @param p a started pod
 * @return the descriptor, or -EBADFD before podrun_start()
 */
int podrun_fd(const podrun_t *p);

/**
 * Run the runner's event loop once: wait up to @p timeout_ms for activity
 * (signals of the pod, control socket, doorbells, proxy, audit ring buffer,
 * stdio, FFI queries, timers) and handle everything that is ready.
 * @param p a started pod
 * @param timeout_ms 0 = do not wait, -1 = wait until something happened
 * @return number of sources handled (0 on timeout), or a negative errno
 *         (-EBADFD when not started). After the pod ended, the state is
 *         PODRUN_EXITED and further calls return 0 at once.
 */
int podrun_dispatch(podrun_t *p, int timeout_ms);

/**
 * Run the event loop until the pod has exited (what `podrun` does).
 * @param p a started pod
 * @return the exit status (podrun_exit_code()), or a negative errno
 */
int podrun_wait(podrun_t *p);

/**
 * Send one message (one ring frame) to the pod, ringing the doorbell when the
 * pod sleeps.
 * @param p a started pod
 * @param buf the bytes
 * @param len their number (at most the ring's frame limit)
 * @return 0; -EAGAIN when the ring is full (dispatch, then retry); -EMSGSIZE;
 *         -EPIPE when the pod has ended; -EBADFD when not started
 */
int podrun_send(podrun_t *p, const void *buf, uint32_t len);

/**
 * Receive the next message from the pod (copied out of the ring; the pod's
 * bytes are untrusted data). Messages written before the pod exited can still
 * be read after PODRUN_EXITED until podrun_free().
 * @param p a started pod
 * @param buf where to copy it
 * @param cap size of @p buf
 * @return the message length; -EAGAIN when none waits; -EMSGSIZE when @p cap is
 *         too small (the message stays); -EPROTO when the pod corrupted the ring
 *         (the pod is stopped); -EBADFD when not started
 */
int podrun_recv(podrun_t *p, void *buf, uint32_t cap);

/**
 * Zero-copy look at the next message in the shared mapping. The pod can still
 * write that memory: copy before parsing. Follow with podrun_release().
 * @param p a started pod
 * @param payload receives a pointer into the ring
 * @return the length, -EAGAIN, -EPROTO, -EBADFD
 */
int podrun_peek(podrun_t *p, const void **payload);

/**
 * Consume the message returned by the last podrun_peek().
 * @param p a started pod
 * @return 0, -EBADFD
 */
int podrun_release(podrun_t *p);

/**
 * Take the next queued event (needs podrun_set_events(p, 1)): one JSON object
 * per docs/audit-events.md, NUL-terminated, without newline.
 * @param p the pod
 * @param buf where to copy it
 * @param cap size of @p buf
 * @return the line length (excluding the NUL); -EAGAIN when the queue is empty;
 *         -EMSGSIZE when @p cap is too small (the event stays)
 */
int podrun_next_event(podrun_t *p, char *buf, uint32_t cap);

/**
 * Length of the next queued event, to size the buffer of podrun_next_event().
 * @param p the pod
 * @return the line length (excluding the NUL), or -EAGAIN when the queue is empty
 */
int podrun_next_event_len(const podrun_t *p);

/**
 * Ask the pod to stop: send STOP with a deadline, forward SIGTERM to the
 * worker, and SIGKILL the pod after @p grace_ms. Does not block; keep calling
 * podrun_dispatch() (or podrun_wait()) until PODRUN_EXITED.
 * @param p a started pod
 * @param grace_ms grace period; 0 = SIGKILL at once; negative = the default
 * @return 0; -EBADFD when not started; 0 when already stopping or exited
 */
int podrun_stop(podrun_t *p, int grace_ms);

/**
 * Current state (enum podrun_state).
 * @param p the pod
 * @return the state
 */
int podrun_state(const podrun_t *p);

/**
 * Exit status per docs/contracts.md, "Command line": the worker's status, 128+N for signal N,
 * 124 after --timeout, 125 when the runner failed, 2 for a usage/policy error.
 * @param p the pod
 * @return the status once PODRUN_EXITED or PODRUN_FAILED, else -EBUSY
 */
int podrun_exit_code(const podrun_t *p);

/**
 * The pod's id, as used in events and object names.
 * @param p the pod
 * @return a string owned by @p p
 */
const char *podrun_id(const podrun_t *p);

/**
 * Host pid of the pod's init (pid 1 inside), for diagnostics.
 * @param p the pod
 * @return the pid, or -ESRCH when not running
 */
int podrun_pid(const podrun_t *p);

/**
 * A human sentence about the last failure (policy errors carry file:line:col).
 * @param p the pod (NULL allowed)
 * @return a string owned by @p p, "" when there was no error
 */
const char *podrun_error(const podrun_t *p);

/**
 * URL of the debug page, when the "debug-ui" option was given.
 * @param p the pod
 * @return a string owned by @p p, or NULL
 */
const char *podrun_debug_ui_url(const podrun_t *p);

/**
 * Count of decisions so far in one category and action.
 * @param p the pod
 * @param cat "net", "fs", "run", "env", "ffi", "ipc" or "life"
 * @param action "allow", "warn", "deny" or "info"
 * @return the count, or -EINVAL for an unknown name
 */
int64_t podrun_count(const podrun_t *p, const char *cat, const char *action);

/**
 * The policy a learn-mode pod ("learn" option) needed: the base policy (or
 * @p merge_json) plus an allow rule for each request the base would deny,
 * as normalized JSON (the text of `podpolicy fmt`) with a "_learned" object
 * saying which run needed each rule. Call it after the pod has exited.
 * @param p the pod
 * @param merge_json a learned policy to add this run to, or NULL
 * @param buf where to copy the text (NUL-terminated), or NULL to ask the length
 * @param cap size of @p buf
 * @return the text's length (copied only when @p cap is larger); -ENOENT when
 *         not in learn mode; -EINVAL for an invalid @p merge_json (podrun_error()
 *         says why); -E2BIG when the pod made more distinct requests than kept
 */
int64_t podrun_learned_policy(podrun_t *p, const char *merge_json, char *buf, uint32_t cap);

/**
 * Free the pod. A pod still running is stopped first (STOP, grace, SIGKILL;
 * this call then blocks up to the grace period) and every resource is removed.
 * @param p the pod, or NULL
 */
void podrun_free(podrun_t *p);

/* ---- warm pools ------------------------------------------------------ */

/**
 * A pool of pods started ahead of time for one policy and worker kind. Opaque.
 *
 *     podrun_pool_t *pool = NULL;
 *     podrun_pool_new(&pool);
 *     podrun_t *t = podrun_pool_template(pool);       // configure like a pod:
 *     podrun_set_program(t, "jobs/any.py");           // kind + directory (/pod/app)
 *     podrun_add_policy_flag(t, "--allow-read=/data");
 *     podrun_pool_start(pool, 4);                     // 4 warm pods, refilled
 *     podrun_t *pod = NULL;
 *     podrun_pool_take(pool, "jobs/report.py", args, -1, &pod);  // decided, launched
 *     ... podrun_dispatch(pod, ...), podrun_recv(), podrun_wait() ...
 *     podrun_free(pod);                               // a pool pod runs once
 *     podrun_pool_free(pool);
 *
 * Each pool pod is started by podrun_start() with the template's configuration
 * (its own id, rings, sockets, cgroups, network, mounts) and its runtime loaded
 * (Python: the interpreter and the SDK; C library: the pod host, connected),
 * waiting for the program. A take decides the program as a fresh start would
 * and refuses what the pods' plan cannot cover (another kind, another
 * directory, another library for a C-library pool, a read rule denying the
 * program), then hands the pod over: the caller owns it like a pod of its own
 * and frees it with podrun_free(); it is never reused. The timeout counts from
 * the take. A thread of the pool starts pods in the background and keeps the
 * warm ones (a warm pod that dies is freed and replaced).
 */
typedef struct podrun_pool podrun_pool_t;

/**
 * Allocate a pool, with a template pod in PODRUN_CONFIGURING.
 * @param out receives the handle
 * @return 0, -EINVAL, -ENOMEM
 */
int podrun_pool_new(podrun_pool_t **out);

/**
 * The template: configure it with the podrun_set_*() calls before
 * podrun_pool_start(). Its program (a `*.py` script or a `*.so` library) names
 * the kind and the directory whose programs the pool runs (a C-library pool
 * runs that library only). Not allowed on a template (podrun_pool_start()
 * refuses them): "rootfs", "debug-ui", "signals", "pod-id", an audit file
 * other than "-" (stderr), a stdin descriptor (podrun_set_stdio() in_fd other
 * than -1; the default is -1), worker arguments (they come with each take).
 * Never start or free the template itself.
 * @param pool the pool (not started)
 * @return the template, or NULL once started
 */
podrun_t *podrun_pool_template(podrun_pool_t *pool);

/**
 * Start the pool: the first pod is started in the calling thread (a policy or
 * setup error is returned now), the others by the pool's thread, which keeps
 * @p size pods warm from then on. A pool whose pods fail to start 3 times in a
 * row stops refilling (podrun_pool_take() then fails with podrun_pool_error()).
 * @param pool the pool
 * @param size warm pods to keep, 1 to 64
 * @return 0; -EINVAL for a usage or policy error (podrun_pool_error() says
 *         which); another negative errno when the first pod could not start;
 *         -EBUSY when already started
 */
int podrun_pool_start(podrun_pool_t *pool, unsigned size);

/**
 * Take a warm pod and run @p program in it. The program is decided as a fresh
 * start would decide it; then the pod's bootstrap runs it with @p args, the
 * timeout is armed, and the pod is the caller's (state PODRUN_RUNNING; drive
 * it with podrun_dispatch() etc., free it with podrun_free()).
 * @param pool a started pool
 * @param program script or library: of the pool's kind, in the template's
 *        directory (a C-library pool: the template's library itself)
 * @param args NULL-terminated worker arguments, or NULL
 * @param timeout_ms how long to wait for a warm pod: -1 forever, 0 not at all
 * @param out receives the pod
 * @return 0; -EINVAL the program is refused (podrun_pool_error() says why);
 *         -EAGAIN / -ETIMEDOUT no warm pod in time; -EIO the pool stopped
 *         refilling; -E2BIG arguments too long; -EBADFD not started
 */
int podrun_pool_take(podrun_pool_t *pool, const char *program, const char *const *args,
		     int timeout_ms, podrun_t **out);

/**
 * Warm pods ready to be taken now.
 * @param pool the pool
 * @return the count, or -EINVAL
 */
int podrun_pool_ready(const podrun_pool_t *pool);

/**
 * Counters of the pool's life.
 * @param pool the pool
 * @param what "started" (pods started), "taken", "lost" (warm pods that died
 *        and were replaced) or "failed" (pod starts that failed)
 * @return the count, or -EINVAL for an unknown name
 */
int64_t podrun_pool_count(const podrun_pool_t *pool, const char *what);

/**
 * A human sentence about the pool's last failure (template, start, take).
 * @param pool the pool (NULL allowed)
 * @return a string owned by @p pool, "" when there was none
 */
const char *podrun_pool_error(const podrun_pool_t *pool);

/**
 * Stop the pool's thread and free every warm pod (their launch sockets close,
 * their bootstraps exit, everything is removed as by podrun_free()). The
 * pods' init processes are children of the pool's thread: pods taken from
 * the pool that still run are killed with it; free the pool after them.
 * @param pool the pool, or NULL
 */
void podrun_pool_free(podrun_pool_t *pool);

#ifdef __cplusplus
}
#endif
#endif /* POD_PODRUN_H */
