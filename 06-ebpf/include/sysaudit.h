/**
 * @file
 * sysaudit.h — public API of layer 06-ebpf: syscall auditing of one pod with CO-RE eBPF.
 *
 * Layer 06. Builds on libbpf (loader, ring buffer) and the kernel's BTF; no other
 * Pod/Runner layer. Used by 07-runner, which owns one sysaudit_t per pod and
 * drives it from its single epoll loop.
 *
 * What it does: BPF programs on the raw syscall tracepoints (tp_btf/sys_enter,
 * tp_btf/sys_exit; no tracefs needed) and on sched_process_fork/exit see every
 * syscall on the machine, keep only those made by tasks inside the pod's pid
 * namespace (checked in the kernel through task->thread_pid, CO-RE), and either
 * count them per syscall number (SYSAUDIT_COUNTERS) or send structured events
 * through a BPF ring buffer (SYSAUDIT_DETAILED, SYSAUDIT_ALL).
 *
 * Life of an auditor (each step returns 0 or a negative errno):
 *
 *     sysaudit_t *a = NULL;
 *     sysaudit_new(&a);
 *     struct sysaudit_opts o = { .mode = SYSAUDIT_DETAILED, .target_pid = pod_init_host_pid };
 *     if (sysaudit_open(a, &o) < 0 || sysaudit_attach(a) < 0)
 *             fprintf(stderr, "audit: %s\n", sysaudit_last_error(a));
 *     epoll_ctl(ep, EPOLL_CTL_ADD, sysaudit_epoll_fd(a), ...);
 *     ... on EPOLLIN: sysaudit_consume(a, on_event, ctx);
 *     ... at pod end: sysaudit_consume() once more, sysaudit_counts(), sysaudit_lost()
 *     sysaudit_destroy(a);              detaches every link, frees every map
 *
 * Wake-ups are batched: the kernel side wakes the epoll fd at once for a
 * record that follows a quiet spell (>= 5 ms), for every process exit, and
 * whenever a quarter of the ring is full; records in the middle of a burst
 * wait for the next wake-up. So also call sysaudit_consume() on a periodic
 * tick (every 100-250 ms, e.g. from the loop's timerfd or epoll timeout) and
 * once more after the pod has exited; that bounds the latency of a burst's tail.
 *
 * Linking: $(TOP)/06-ebpf/build/libsysaudit.a -lbpf -lelf -lz
 * (build/san/libsysaudit.a under SAN=1; `make -C ../06-ebpf SAN=$(SAN)` builds it).
 *
 * Threading: one thread drives one sysaudit_t. Different handles are independent.
 * Events and strings in events come from the pod (paths, argv): they are bounded
 * and NUL-terminated here, but remain attacker-chosen text (see sysaudit_format_line).
 */
#ifndef POD_SYSAUDIT_H
#define POD_SYSAUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque auditor handle: BPF object, links, ring buffer, last error. */
typedef struct sysaudit sysaudit_t;

/** What the kernel side collects. */
enum sysaudit_mode {
	SYSAUDIT_COUNTERS = 0, /**< per-syscall counts in a map; no per-event traffic */
	SYSAUDIT_DETAILED =
	    1, /**< counts + events for exec, open, connect, PROT_EXEC maps, fork, exit */
	SYSAUDIT_ALL = 2, /**< DETAILED + one SYSAUDIT_EV_SYSCALL event for every other syscall */
	/**
	 * counts + only the file accesses worth telling by default: opens and
	 * file changes refused by the kernel (EACCES, EPERM, EROFS, ENOENT) and
	 * those of watched files (sysaudit_watch()); cheap enough to stay on
	 */
	SYSAUDIT_FSREPORT = 3,
};

/** Load-time settings for sysaudit_open(). Zero-initialise, then set what you need. */
struct sysaudit_opts {
	enum sysaudit_mode mode; /**< what to collect */
	/**
	 * Host pid of any process inside the pod's pid namespace (normally the pod's
	 * init, pid 1 inside). Its pid namespace (/proc/PID/ns/pid) is the target:
	 * every task in it and in namespaces nested below it is audited; nothing else.
	 * Its depth is read from the NSpid line of /proc/PID/status, so the caller's
	 * /proc must belong to the initial pid namespace (true for podrun on a host).
	 * A target in the initial pid namespace is refused (SYSAUDIT_E_TARGET).
	 */
	pid_t target_pid;
	/** Ring buffer size in bytes; 0 = 1 MiB. Rounded up to a power of two >= page size. */
	uint32_t ringbuf_bytes;
	/** Kernel BTF to use; NULL = /sys/kernel/btf/vmlinux. Tests point it at a missing file. */
	const char *btf_path;
	/** Tests only: also load a program the verifier must reject (exercises that error path). */
	int selftest_verifier_reject;
	/**
	 * 1: relocate against the kernel's whole BTF even when the cut-down copy the
	 * build made matches the running kernel (see sysaudit_core_btf()); tests
	 * compare the two.
	 */
	int core_btf_kernel;
};

/** Why the last call failed (sysaudit_last_error_kind()). */
enum sysaudit_errkind {
	SYSAUDIT_OK = 0,
	SYSAUDIT_E_NOT_ROOT, /**< effective uid is not 0 */
	SYSAUDIT_E_NO_CAP,   /**< root, but CAP_BPF/CAP_PERFMON (or CAP_SYS_ADMIN) missing */
	SYSAUDIT_E_NO_BTF,   /**< kernel BTF (/sys/kernel/btf/vmlinux) missing or unreadable */
	SYSAUDIT_E_VERIFIER, /**< the BPF verifier rejected a program (log kept in the message) */
	SYSAUDIT_E_TARGET,   /**< target pid missing or its pid namespace unreadable */
	SYSAUDIT_E_ATTACH,   /**< attaching to a tracepoint failed */
	SYSAUDIT_E_STATE,    /**< call out of order (attach before open, open twice, ...) */
	SYSAUDIT_E_OTHER,    /**< anything else (ENOMEM, a libbpf error); see the message */
};

/** Kinds of events delivered by sysaudit_consume(). */
enum sysaudit_kind {
	SYSAUDIT_EV_EXEC = 1, /**< execve/execveat: path, argv (first args), ret */
	SYSAUDIT_EV_OPEN, /**< openat/openat2/open/creat: path, flags, mode, ret (fd or -errno) */
	SYSAUDIT_EV_CONNECT, /**< connect: family, address, port (or unix path), ret */
	SYSAUDIT_EV_MMAP_EXEC, /**< mmap with PROT_EXEC: file (path inside its filesystem, "" if anonymous), prot, flags, ret */
	SYSAUDIT_EV_MPROTECT_EXEC, /**< mprotect with PROT_EXEC: file of the mapping (as for mmap), ret */
	SYSAUDIT_EV_FORK,          /**< a new process (not thread) in the pod: child_pid */
	SYSAUDIT_EV_EXIT,          /**< a process (thread group leader) ended: exit_status */
	SYSAUDIT_EV_SYSCALL, /**< a 32-bit call, a sensitive or refused (EPERM/ENOSYS) call; SYSAUDIT_ALL: every other call */
	SYSAUDIT_EV_NET, /**< sendto/sendmsg/sendmmsg with an address, bind, listen, accept: address as for connect */
	SYSAUDIT_EV_FSCHANGE, /**< unlink, rmdir, mkdir, rename, link, symlink, chmod, chown, truncate (and the *at, f* forms) */
	SYSAUDIT_EV_LOST, /**< not a syscall: records were lost since the last notice (lost[]); at most one a second */
};

/** Bounds of the strings carried by events (bytes, including the NUL): a path. */
/** a path: 255 bytes from the kernel, joined with cwd or dirfd */
#define SYSAUDIT_PATH_MAX 512
#define SYSAUDIT_ARGV_MAX 64 /**< exec: at most this many argv entries are delivered */
/** exec: argument bytes captured in all (a cut argument is marked) */
#define SYSAUDIT_ARGS_BYTES 4096
/** exec that failed: each of its first 16 arguments, cut to this */
#define SYSAUDIT_ARG_LEN 256
#define SYSAUDIT_COMM_LEN 16 /**< the task's comm (the kernel's TASK_COMM_LEN) */
/** A buffer this large always holds one formatted line (every string escaped 6x). */
#define SYSAUDIT_LINE_MAX 65536

/** Event flags (sysaudit_event.eflags). */
#define SYSAUDIT_F_PATH_TRUNC 0x1 /**< path was longer than SYSAUDIT_PATH_MAX - 1 */
#define SYSAUDIT_F_ARGV_TRUNC 0x2 /**< more args than captured, or an arg was truncated */
/** a 32-bit (int 0x80 / compat) syscall: nr is i386 numbering */
#define SYSAUDIT_F_COMPAT 0x4
/** open: flags ask for write access (O_WRONLY/O_RDWR/O_CREAT/O_TRUNC) */
#define SYSAUDIT_F_WRITE 0x8
/** mmap/mprotect: the path walk failed; path holds only the file's name */
#define SYSAUDIT_F_FILE_BASENAME 0x10
/** a string/sockaddr argument could not be read from pod memory */
#define SYSAUDIT_F_UNREADABLE 0x100
/** exec: path and argv are what the kernel used (new image) */
#define SYSAUDIT_F_FROM_KERNEL 0x200
/** path is the file the kernel resolved (new fd, fd, mapping, exec'd file) */
#define SYSAUDIT_F_RESOLVED 0x400
/** path is raw joined to the dirfd's or the cwd's path, lexically normalised */
#define SYSAUDIT_F_JOINED 0x800
#define SYSAUDIT_F_MEMFD 0x1000 /**< exec/mmap: the file is a memfd */
/** exec/mmap: the file has no name in any directory (memfd, deleted) */
#define SYSAUDIT_F_ANON 0x2000
#define SYSAUDIT_F_IMAGE32 0x4000     /**< exec: the new image is a 32-bit program */
#define SYSAUDIT_F_INTERRUPTED 0x8000 /**< the call was ended by a signal (ret is -EINTR) */
/** the file (or a directory above it) is watched: watch_tag says which */
#define SYSAUDIT_F_WATCHED 0x10000
#define SYSAUDIT_F_CWD_TRUNC 0x20000 /**< cwd could not be walked completely */
/** the file is outside the task's root (path is relative to a mount) */
#define SYSAUDIT_F_OUTSIDE_ROOT 0x40000
/** a rename moved a directory while the kernel side walked the path: the walk was dropped */
#define SYSAUDIT_F_RACED 0x80000

/** Kinds of loss (sysaudit_event.lost[], sysaudit_lost_kinds()). */
enum sysaudit_lost_kind {
	SYSAUDIT_LOST_STORAGE = 0, /**< no per-task state could be allocated */
	SYSAUDIT_LOST_EXEC,        /**< ring buffer full: an exec record */
	SYSAUDIT_LOST_OPEN,        /**< ... an open */
	SYSAUDIT_LOST_CONNECT,     /**< ... a connect */
	SYSAUDIT_LOST_MMAP,        /**< ... an executable mmap */
	SYSAUDIT_LOST_MPROTECT,    /**< ... an mprotect */
	SYSAUDIT_LOST_FORK,        /**< ... a fork */
	SYSAUDIT_LOST_EXIT,        /**< ... a process exit */
	SYSAUDIT_LOST_SYSCALL,     /**< ... a generic syscall record */
	SYSAUDIT_LOST_NET,         /**< ... a send/bind/listen/accept */
	SYSAUDIT_LOST_FSCHANGE,    /**< ... a file change */
	SYSAUDIT_LOST_MALFORMED,   /**< a record the decoder refused */
	SYSAUDIT_LOST_KINDS,
};

/**
 * One decoded event. All strings are NUL-terminated and bounded; pointers stay
 * valid only during the callback. Fields that do not apply to a kind are zero.
 */
struct sysaudit_event {
	enum sysaudit_kind kind; /**< what happened */
	uint32_t eflags;         /**< SYSAUDIT_F_* */
	uint64_t ts_ns;          /**< CLOCK_REALTIME nanoseconds (kernel monotonic time + offset) */
	uint32_t pid;            /**< process id as seen inside the pod */
	uint32_t tid;            /**< thread id as seen inside the pod */
	uint32_t host_pid;       /**< process id in the runner's view */
	char comm[SYSAUDIT_COMM_LEN]; /**< task command name (pod-controlled) */
	int nr; /**< syscall number (x86-64; i386 with SYSAUDIT_F_COMPAT), -1 for fork/exit */
	const char *syscall; /**< syscall name ("openat"), or "fork"/"exit"; never NULL */
	int64_t ret;         /**< syscall result: value or -errno */
	uint64_t args[6];    /**< raw syscall arguments */
	uint64_t
	    exec_id; /**< the process image (new on fork and exec), unique in the pod, from 1 */
	uint64_t
	    parent_exec_id; /**< the image it came from: the forking process's, or the one exec replaced */
	uint32_t uid;  /**< real uid (initial user namespace) */
	uint32_t euid; /**< effective uid */
	uint32_t
	    restarts; /**< times the call was interrupted and restarted (folded into this event) */
	uint32_t watch_tag;          /**< SYSAUDIT_F_WATCHED: the tag given to sysaudit_watch() */
	char cwd[SYSAUDIT_PATH_MAX]; /**< the task's working directory, as the task sees it */
	/**
	 * exec: the file executed (the interpreter for a #! script); open and
	 * file changes: the file the kernel resolved (SYSAUDIT_F_RESOLVED) or raw
	 * joined to the dirfd's or cwd's path (SYSAUDIT_F_JOINED); symlink,
	 * symlinkat: the link created (joined like a second path); unix socket
	 * path; mapped file (as the pod sees it); "" if none
	 */
	char path[SYSAUDIT_PATH_MAX];
	char raw
	    [SYSAUDIT_PATH_MAX]; /**< the path argument as passed (exec: the name asked for; symlink: the target) */
	char raw2[SYSAUDIT_PATH_MAX]; /**< rename/link/symlink: the second path as passed */
	/**
	 * rename, renameat, renameat2, link, linkat: the second path joined to
	 * its own dirfd's directory (walked by the kernel side) or to the cwd,
	 * and normalised lexically; "" when it could not be named (the dirfd or
	 * cwd could not be walked, or the result is too long)
	 */
	char path2[SYSAUDIT_PATH_MAX];
	int64_t flags; /**< open flags / mmap flags */
	uint32_t mode; /**< open mode */
	uint32_t prot; /**< mmap/mprotect prot */
	int argc;      /**< exec: captured argv entries (<= SYSAUDIT_ARGV_MAX) */
	const char *argv[SYSAUDIT_ARGV_MAX]; /**< exec: captured argv entries */
	uint64_t argv_cut;                   /**< exec: bit i = argv[i] was cut (bound reached) */
	uint32_t argc_total;    /**< exec: arguments the program really got (may exceed argc) */
	int family;             /**< connect: AF_INET, AF_INET6, AF_UNIX, or other value */
	uint16_t port;          /**< connect: port (host order) for AF_INET/AF_INET6 */
	char addr[48];          /**< connect: numeric address text ("127.0.0.1", "::1") */
	uint32_t child_pid;     /**< fork: the new process, pod view */
	int exit_status;        /**< exit: raw wait status (exit code << 8 | signal) */
	uint64_t child_exec_id; /**< fork: the new process's exec_id */
	uint64_t lost
	    [SYSAUDIT_LOST_KINDS]; /**< SYSAUDIT_EV_LOST: records lost by kind since the last notice */
};

/** Decisions a classifier can give an event (docs/audit-events.md `action`). */
enum sysaudit_action {
	SYSAUDIT_INFO = 0, /**< observed, no policy applies (the default) */
	SYSAUDIT_ALLOW,
	SYSAUDIT_WARN,
	SYSAUDIT_DENY,
};

/** A classifier's answer for one event. */
struct sysaudit_verdict {
	enum sysaudit_action action; /**< allow/warn/deny/info */
	char rule[160];              /**< matching rule text; "" is printed as "default" */
};

/**
 * Classification hook. Called by sysaudit_classify() (and so by the formatters'
 * callers) with @p v pre-filled as { SYSAUDIT_INFO, "" }; change it as the policy says.
 * @param ctx the pointer given to sysaudit_set_classifier()
 * @param ev the event (read-only)
 * @param v the verdict to fill
 */
typedef void (*sysaudit_classify_fn)(void *ctx, const struct sysaudit_event *ev,
				     struct sysaudit_verdict *v);

/**
 * Event callback of sysaudit_consume()/sysaudit_poll().
 * @param ctx the caller's pointer
 * @param ev the event, valid only during the call
 * @return 0 to continue; a non-zero value stops this consume call, which returns it
 */
typedef int (*sysaudit_event_fn)(void *ctx, const struct sysaudit_event *ev);

/**
 * Allocate an auditor. No kernel resources are taken yet.
 * @param out receives the handle
 * @return 0, or -ENOMEM
 */
int sysaudit_new(sysaudit_t **out);

/**
 * Check privileges and BTF, resolve the target pid namespace, open and load
 * the BPF programs (the verifier runs here). Nothing is attached yet.
 * @param a the auditor (from sysaudit_new)
 * @param opts settings (copied)
 * @return 0; -EPERM (not root, or a capability missing), -ENOENT (no BTF or no
 *         such target), -EINVAL (target 0 or in the initial pid namespace),
 *         -EACCES/-EINVAL (verifier rejection), -EALREADY (opened twice), other
 *         negative errno. sysaudit_last_error_kind() tells them apart and
 *         sysaudit_last_error() names the cause. On failure nothing stays loaded:
 *         the handle may be opened again or destroyed.
 */
int sysaudit_open(sysaudit_t *a, const struct sysaudit_opts *opts);

/**
 * Attach the loaded programs to their tracepoints. From here on the pod's
 * syscalls are counted (and events produced in the detailed modes).
 * @param a an opened auditor
 * @return 0, or a negative errno (SYSAUDIT_E_ATTACH / SYSAUDIT_E_STATE)
 */
int sysaudit_attach(sysaudit_t *a);

/**
 * The ring buffer's epoll fd, for the caller's epoll set (EPOLLIN = events
 * waiting). Valid after sysaudit_open(), in every mode (in SYSAUDIT_COUNTERS it
 * simply never becomes readable). Owned by the auditor: do not close it.
 * Level-triggered use is fine: sysaudit_consume() drains what is there.
 * Wake-ups are batched (see the file comment): consume on a periodic tick too.
 * @param a an opened auditor
 * @return the fd, or -EBADFD when not opened
 */
int sysaudit_epoll_fd(const sysaudit_t *a);

/**
 * Deliver the events waiting in the ring buffer, without blocking.
 * Each event is decoded and validated before @p cb sees it. When records were
 * lost since the last notice and that notice is a second old, the call ends
 * with one SYSAUDIT_EV_LOST event (counted in the return value). One call takes at
 * most one full ring's worth of records, so a pod that writes as fast as the
 * caller reads cannot keep it here; once the pod is gone one call drains all.
 * While more wait, the epoll fd stays readable.
 * @param a an opened auditor
 * @param cb called once per event (may be NULL: events are drained and dropped)
 * @param ctx passed to @p cb
 * @return number of events delivered, the callback's non-zero value, or a negative errno
 */
int sysaudit_consume(sysaudit_t *a, sysaudit_event_fn cb, void *ctx);

/**
 * Wait up to @p timeout_ms for events, then deliver them like sysaudit_consume().
 * For callers without their own epoll loop (tests, tools).
 * @param a an opened auditor
 * @param timeout_ms milliseconds to wait; 0 = do not wait; -1 = forever
 * @param cb called once per event (may be NULL)
 * @param ctx passed to @p cb
 * @return number of events delivered (0 on timeout), or a negative errno (-EINTR)
 */
int sysaudit_poll(sysaudit_t *a, int timeout_ms, sysaudit_event_fn cb, void *ctx);

/**
 * Name of a kind of loss, as written in a loss notice's "counts" object.
 * @param k the kind
 * @return a static string ("ringbuf_open", "storage", ...)
 */
const char *sysaudit_lost_kind_name(enum sysaudit_lost_kind k);

/**
 * Records lost so far, by kind (the same numbers sysaudit_lost() sums).
 * @param a an opened auditor
 * @param out array of SYSAUDIT_LOST_KINDS counters to fill
 * @return 0, or a negative errno
 */
int sysaudit_lost_kinds(const sysaudit_t *a, uint64_t out[SYSAUDIT_LOST_KINDS]);

/**
 * Watch a file or directory: every successful open (and in SYSAUDIT_FSREPORT
 * every file change) of it, or of anything below it in its filesystem, is
 * reported with SYSAUDIT_F_WATCHED and @p tag, whatever name the pod used
 * (relative, via a symlink, a dirfd or /proc/self/root): the match is on the
 * (device, inode) the kernel resolved. @p path is a path in the caller's view.
 * At most 256 entries; may be called before or after sysaudit_attach().
 * @param a an opened auditor
 * @param path the file or directory
 * @param tag a number given back in sysaudit_event.watch_tag
 * @return 0, -ENOENT (no such file), -ENOSPC (full), or a negative errno
 */
int sysaudit_watch(sysaudit_t *a, const char *path, uint32_t tag);

/** One syscall's count (sysaudit_counts()). */
struct sysaudit_count {
	int nr; /**< syscall number; SYSAUDIT_NR_COMPAT for all 32-bit syscalls together */
	const char *name; /**< its name, "compat32" or "nr_<N>" if unknown */
	uint64_t count;   /**< times the pod entered it */
};

/** Count slot used for every 32-bit (compat) syscall, whatever its number. */
#define SYSAUDIT_NR_COMPAT 1023
/** Count slot used for syscall numbers outside 0..1021 (e.g. x32). */
#define SYSAUDIT_NR_OTHER 1022

/**
 * Read the per-syscall counters (kept in every mode): every non-zero counter,
 * highest count first.
 * @param a an opened auditor
 * @param out array to fill (may be NULL when @p max is 0)
 * @param max capacity of @p out
 * @return the number of non-zero counters (may exceed @p max: only @p max are
 *         written), or a negative errno
 */
int sysaudit_counts(const sysaudit_t *a, struct sysaudit_count *out, size_t max);

/**
 * Read one syscall's counter.
 * @param a an opened auditor
 * @param nr syscall number (0..1023)
 * @param out receives the count
 * @return 0, -EINVAL for a bad nr, or a negative errno
 */
int sysaudit_count_of(const sysaudit_t *a, int nr, uint64_t *out);

/**
 * Events the kernel side could not deliver (ring buffer full, no enter/exit
 * slot for the task, or an entry record whose syscall exit never came), plus
 * records the decoder refused. Never silently dropped: report this number
 * with the summary.
 * @param a an opened auditor
 * @param out receives the count since sysaudit_open()
 * @return 0, or a negative errno
 */
int sysaudit_lost(const sysaudit_t *a, uint64_t *out);

/**
 * Deliver a SYSAUDIT_EV_LOST notice now if anything was lost since the last
 * one (sysaudit_consume()/sysaudit_poll() do so on their own, at most once a
 * second). Call it once after the last consume, so that no loss goes untold.
 * @param a an opened auditor
 * @param cb called with the notice (may be NULL)
 * @param ctx passed to @p cb
 * @return 1 if a notice was delivered, 0 if nothing was lost, the callback's
 *         non-zero value, or a negative errno
 */
int sysaudit_flush_lost(sysaudit_t *a, sysaudit_event_fn cb, void *ctx);

/**
 * Kernel ids of the BPF links this auditor holds (for diagnostics:
 * `bpftool link show id N`; the tests use them to prove destroy detaches).
 * @param a an attached auditor
 * @param ids array to fill
 * @param max its capacity
 * @return the number of links (may exceed @p max: only @p max are written), or a negative errno
 */
int sysaudit_link_ids(const sysaudit_t *a, uint32_t *ids, size_t max);

/**
 * Set (or clear, with NULL) the classification hook used by sysaudit_classify().
 * @param a the auditor
 * @param fn the hook; NULL = every event is SYSAUDIT_INFO
 * @param ctx passed to @p fn
 */
void sysaudit_set_classifier(sysaudit_t *a, sysaudit_classify_fn fn, void *ctx);

/**
 * Classify one event with the hook (or the default INFO verdict).
 * @param a the auditor
 * @param ev the event
 * @param out receives the verdict
 */
void sysaudit_classify(const sysaudit_t *a, const struct sysaudit_event *ev,
		       struct sysaudit_verdict *out);

/**
 * The audit category of an event (docs/audit-events.md `cat`): "run" for exec,
 * "fs" for open, "net" for connect, "ffi" for PROT_EXEC maps, "life" for
 * fork, exit and generic syscalls.
 * @param ev the event
 * @return a static string
 */
const char *sysaudit_event_cat(const struct sysaudit_event *ev);

/**
 * The audit `what` of an event: the path (exec, open, mapped file; "anonymous"
 * for executable memory without a file), "addr:port"
 * ("[addr]:port" for IPv6) or "unix:PATH" (connect), "fork", "process_exit"
 * (never "exit", which marks the runner's end-of-pod event), the syscall name
 * otherwise.
 * @param ev the event
 * @param buf output buffer
 * @param len its size
 * @return the length written (truncated to fit, always NUL-terminated), or -EINVAL
 */
int sysaudit_event_what(const struct sysaudit_event *ev, char *buf, size_t len);

/**
 * Format an event as the inside of a JSON object, without braces, `ts` and
 * `pod`: `"src":"ebpf","cat":...,"action":...,"what":...,"rule":...,"pid":...,
 * "syscall":...,"ret":...` plus kind-specific fields (flags, argv, port, ...).
 * All pod-controlled strings are JSON-escaped (control bytes and bytes >= 0x80
 * as \\u00XX), so the output is always valid JSON text.
 * @param ev the event
 * @param v its verdict (NULL = INFO, "default")
 * @param buf output buffer
 * @param len its size
 * @return length written (excluding NUL), -ENOSPC if it does not fit, -EINVAL
 */
int sysaudit_format_fields(const struct sysaudit_event *ev, const struct sysaudit_verdict *v,
			   char *buf, size_t len);

/**
 * Format a whole audit line (docs/audit-events.md): `{"ts":"<RFC 3339 from ev->ts_ns>",
 * "pod":"<pod_id>",<sysaudit_format_fields>}` followed by '\n'.
 * @param ev the event
 * @param v its verdict (NULL = INFO, "default")
 * @param pod_id the pod's id (escaped like the rest)
 * @param buf output buffer
 * @param len its size
 * @return length written (excluding NUL), -ENOSPC if it does not fit, -EINVAL
 */
int sysaudit_format_line(const struct sysaudit_event *ev, const struct sysaudit_verdict *v,
			 const char *pod_id, char *buf, size_t len);

/**
 * Name of an x86-64 syscall number, from the table generated at build time
 * from <asm/unistd_64.h>.
 * @param nr syscall number
 * @return the name ("getppid"), or NULL when unknown
 */
const char *sysaudit_syscall_name(int nr);

/**
 * Number of a syscall by name (reverse of sysaudit_syscall_name()).
 * @param name syscall name
 * @return the number, or -ENOENT
 */
int sysaudit_syscall_nr(const char *name);

/**
 * Why the last failing call on @p a failed, as a category.
 * @param a the auditor (NULL gives SYSAUDIT_E_STATE)
 * @return the kind of the last error, SYSAUDIT_OK when the last call succeeded
 */
enum sysaudit_errkind sysaudit_last_error_kind(const sysaudit_t *a);

/**
 * Which BTF the last sysaudit_open() relocated the programs against:
 * "cut-down" (the copy the build cut from the kernel's BTF down to the types
 * the programs read, used on that kernel: same build id, same BTF size),
 * "kernel" (the kernel's whole BTF: another kernel, a btf_path, or
 * core_btf_kernel), or "" before an open got that far.
 * @param a the auditor (NULL allowed)
 * @return a static string
 */
const char *sysaudit_core_btf(const sysaudit_t *a);

/**
 * Human sentence naming the cause of the last failure, e.g. "not root: loading
 * BPF programs needs uid 0 with CAP_BPF and CAP_PERFMON". For a verifier
 * rejection it ends with the last lines of the verifier log.
 * @param a the auditor (NULL allowed)
 * @return a string owned by @p a (valid until the next call), "" when no error
 */
const char *sysaudit_last_error(const sysaudit_t *a);

/**
 * Detach every link, free the ring buffer, maps and programs, free @p a.
 * @param a the auditor, or NULL
 */
void sysaudit_destroy(sysaudit_t *a);

#ifdef __cplusplus
}
#endif

#endif
