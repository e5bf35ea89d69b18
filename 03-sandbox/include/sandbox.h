/**
 * @file
 * sandbox.h — public API of layer 03-sandbox: the kernel boundary around a pod.
 *
 * Layer 03. Builds on the Linux kernel only (clone3, namespaces, the mount API,
 * capabilities, libseccomp, Landlock, cgroups). Used by 07-runner, which builds a
 * configuration from the normalized policy (04-policy), spawns the pod, plumbs
 * the network into the pod's netns (05-proxy) and supervises it from its epoll loop.
 *
 * Life of a sandbox:
 *
 *     sandbox_cfg_new()                 describe the pod: mount plan, program,
 *     sandbox_plan_*() / sandbox_cfg_*()  environment, ids, fds, namespaces, limits
 *     sandbox_spawn()                   clone3 into new namespaces; the child is
 *                                       BLOCKED, waiting for the runner
 *       ... runner configures from outside: veth into sandbox_netns_fd(), etc.
 *     sandbox_release()                 child builds its root, drops privileges,
 *                                       starts the worker; returns once the worker
 *                                       has exec'd (or with the setup error)
 *     epoll on sandbox_pidfd()          readable when the pod has exited
 *     sandbox_wait(..., SANDBOX_WAIT_NOHANG)   exit status (code or 128+signal)
 *     sandbox_destroy()                 kill if still running, reap, remove cgroups
 *
 * Inside the pod, pid 1 is a tiny init (this library's code): it reaps zombies,
 * forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to the worker and exits
 * with the worker's status. When the init exits the kernel kills everything else
 * in the pod's pid namespace.
 *
 * Threading: the library is not thread-safe per handle. PR_SET_PDEATHSIG fires
 * when the *thread* that called sandbox_spawn() exits: call it from a thread that
 * lives as long as the pod (normally the runner's main thread).
 *
 * The child is created with exit_signal 0: it sends no SIGCHLD and a runner's
 * waitpid(-1, ...) without __WALL never reaps it; only sandbox_wait() does.
 *
 * Minimal use (07-runner does this with the plan derived from the policy):
 *
 *     sandbox_cfg_t *c; sandbox_t *sb; struct sandbox_error e; int st;
 *     sandbox_cfg_new(&c);
 *     sandbox_plan_ro(c, "/usr", NULL, 0);
 *     sandbox_plan_symlink(c, "usr/lib", "/lib");   (and lib64, bin, sbin)
 *     sandbox_plan_proc(c, "/proc"); sandbox_plan_dev(c, "/dev");
 *     sandbox_plan_tmpfs(c, "/tmp", 64 << 20, 01777);
 *     sandbox_cfg_set_exec(c, NULL, (char *[]){ "/usr/bin/python3", "w.py", NULL });
 *     sandbox_cfg_add_fd(c, stdout_pipe_w, 1);
 *     if (sandbox_spawn(c, &sb, &e) < 0) ... e.msg
 *     ... veth into sandbox_netns_fd(sb) ...
 *     if (sandbox_release(sb, &e) < 0) ... e.msg
 *     sandbox_cfg_free(c);
 *     epoll: sandbox_pidfd(sb) readable -> sandbox_wait(sb, &st, SANDBOX_WAIT_NOHANG)
 *     sandbox_destroy(sb);
 *
 * Errors: functions return 0 on success and a negative errno on failure
 * (docs/conventions.md, "Errors"). sandbox_spawn() and sandbox_release() also fill a
 * caller-provided struct sandbox_error with a message naming what failed
 * (e.g. "mount plan: source /data/x: No such file or directory").
 */
#ifndef POD_SANDBOX_H
#define POD_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A pod description (mount plan, program, identity, limits). Opaque; reusable for many spawns. */
typedef struct sandbox_cfg sandbox_cfg_t;
/** One spawned pod. Opaque. */
typedef struct sandbox sandbox_t;

/** Human-readable error text filled by sandbox_spawn() and sandbox_release(). */
struct sandbox_error {
	char msg[256]; /**< NUL-terminated message, "" when no error */
};

/* ------------------------------------------------------------------------ */
/* Configuration                                                            */
/* ------------------------------------------------------------------------ */

/**
 * Create a configuration with the defaults: all namespaces except user
 * (SANDBOX_NS_DEFAULT), uid/gid 65534, hostname "pod", cwd "/", empty
 * environment, seccomp on, Landlock best effort, limits from
 * sandbox_limits_default(), an empty mount plan and no program.
 * @param out  receives the configuration
 * @return 0 or -ENOMEM
 */
int sandbox_cfg_new(sandbox_cfg_t **out);

/**
 * Free a configuration (and the descriptors it duplicated in sandbox_cfg_add_fd()).
 * @param cfg  the configuration, or NULL (no-op)
 */
void sandbox_cfg_free(sandbox_cfg_t *cfg);

/* --- Mount plan. Entries are applied in the order they are added, inside a
 *     new root that starts as an empty tmpfs. Destination paths are absolute
 *     paths inside the pod; components are created without following symlinks
 *     (a symlink on the way is an error, -ELOOP). Sources are host paths. --- */

/** Mount plan flag: a missing source is skipped (reported to the log callback) instead of failing. */
#define SANDBOX_MNT_OPTIONAL (1u << 0)
/** Mount plan flag for sandbox_plan_ro(): mount noexec and grant no Landlock EXECUTE. */
#define SANDBOX_MNT_NOEXEC (1u << 1)

/**
 * Plan a read-only bind mount (recursive; really read-only, also nosuid and
 * nodev; executable unless SANDBOX_MNT_NOEXEC). The source may be a directory
 * or a single file (e.g. a runner-made resolv.conf). Landlock grants read (and
 * execute unless NOEXEC) beneath @p dst. A directory holding a Unix socket may be
 * bound read-only: connect() works on a read-only mount.
 * @param cfg    configuration
 * @param src    absolute host path; missing -> spawn fails naming it, unless OPTIONAL
 * @param dst    absolute path inside the pod (NULL: same as @p src)
 * @param flags  SANDBOX_MNT_OPTIONAL | SANDBOX_MNT_NOEXEC
 * @return 0, -EINVAL (relative path, "..", @p dst "/", bad flags), -E2BIG (more
 *         than 256 plan entries), -ENOMEM
 */
int sandbox_plan_ro(sandbox_cfg_t *cfg, const char *src, const char *dst, unsigned flags);

/**
 * Plan a read-write bind mount, always nosuid, nodev, noexec. Landlock grants
 * read and write (no execute) beneath @p dst.
 * @param cfg    configuration
 * @param src    absolute host path (directory or file)
 * @param dst    absolute path inside the pod (NULL: same as @p src)
 * @param flags  SANDBOX_MNT_OPTIONAL
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_rw(sandbox_cfg_t *cfg, const char *src, const char *dst, unsigned flags);

/**
 * Plan a fresh tmpfs (nosuid, nodev, noexec; read-write in Landlock).
 * @param cfg         configuration
 * @param dst         absolute path inside the pod
 * @param size_bytes  size limit; 0 means the library default (64 MiB)
 * @param mode        permissions of its root directory (e.g. 01777 for /tmp)
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_tmpfs(sandbox_cfg_t *cfg, const char *dst, uint64_t size_bytes, unsigned mode);

/**
 * Plan a fresh procfs of the pod's pid namespace (nosuid, nodev, noexec) with
 * the runc-style masks: /proc/kcore, keys, timer_list, sched_debug,
 * latency_stats, acpi, scsi ... hidden; /proc/sys, sysrq-trigger, bus, fs, irq
 * read-only. Landlock grants read only.
 * @param cfg  configuration
 * @param dst  normally "/proc"
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_proc(sandbox_cfg_t *cfg, const char *dst);

/**
 * Plan a minimal /dev: a tmpfs holding null, zero, full, random, urandom
 * (bind mounts of the host devices), the usual /dev/fd, stdin, stdout, stderr
 * symlinks, and a private tmpfs /dev/shm (nosuid, nodev, noexec).
 * @param cfg  configuration
 * @param dst  normally "/dev"
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_dev(sandbox_cfg_t *cfg, const char *dst);

/**
 * Plan a mask: hide @p dst (which an earlier entry made visible). A directory
 * is covered by an empty read-only tmpfs, a file by /dev/null. A destination that
 * does not exist inside the pod is skipped (there is nothing to hide).
 * @param cfg  configuration
 * @param dst  absolute path inside the pod
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_mask(sandbox_cfg_t *cfg, const char *dst);

/**
 * Plan a symlink inside the pod (e.g. target "usr/lib", dst "/lib" on a
 * merged-/usr system). Created in the pod's root, never in a bind mount.
 * @param cfg     configuration
 * @param target  link contents (not resolved)
 * @param dst     absolute path of the link inside the pod
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_symlink(sandbox_cfg_t *cfg, const char *target, const char *dst);

/**
 * Plan an empty directory inside the pod's (read-only) root, e.g. a mount
 * point or a working directory placeholder.
 * @param cfg   configuration
 * @param dst   absolute path inside the pod
 * @param mode  permissions
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_plan_dir(sandbox_cfg_t *cfg, const char *dst, unsigned mode);

/* --- Program and identity --- */

/**
 * Set the program of the worker. No PATH search is done.
 * @param cfg   configuration
 * @param path  absolute path of the executable inside the pod (NULL: argv[0])
 * @param argv  NULL-terminated argument vector, copied; argv[0] required
 * @return 0, -EINVAL (no argv[0], relative path), -ENOMEM
 */
int sandbox_cfg_set_exec(sandbox_cfg_t *cfg, const char *path, char *const argv[]);

/**
 * Set the worker's environment, exactly (nothing is added or inherited).
 * @param cfg   configuration
 * @param envp  NULL-terminated "NAME=value" list, copied; NULL means empty
 * @return 0, -EINVAL (an entry without '='), -ENOMEM
 */
int sandbox_cfg_set_env(sandbox_cfg_t *cfg, char *const envp[]);

/**
 * Set the worker's working directory (inside the pod; default "/").
 * @param cfg  configuration
 * @param cwd  absolute path
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_cfg_set_cwd(sandbox_cfg_t *cfg, const char *cwd);

/**
 * Set the worker's uid and gid (default 65534/65534). Supplementary groups are
 * always cleared.
 * @param cfg  configuration
 * @param uid  user id inside the pod
 * @param gid  group id inside the pod
 * @return 0
 */
int sandbox_cfg_set_ids(sandbox_cfg_t *cfg, uid_t uid, gid_t gid);

/** Host ids reserved for one pod by sandbox_cfg_set_idmap(): inside id i is host id base + i. */
#define SANDBOX_IDMAP_SPAN 65536u

/**
 * Give the pod a user namespace of its own whose ids come from a host range
 * reserved for this pod alone (the caller allocates it; 07-runner takes one
 * slot of a locked block). Two inside ids are mapped, nothing else: 0 (the
 * init, during setup only) to @p host_uid_base, and the worker's uid (see
 * sandbox_cfg_set_ids(), default 65534) to @p host_uid_base + uid; the same
 * for gids. Every process of the pod then runs as host uid base + uid, which
 * no other pod and no host account has: the kernel's own uid checks keep
 * other pods and host processes from ptracing it, reading its
 * /proc/PID/environ or signalling it, and its RLIMIT_NPROC counts only its
 * own processes. Turns SANDBOX_NS_USER on.
 * @param cfg            configuration
 * @param host_uid_base  first host uid of the pod's range (> 0, base + SPAN
 *                       must not wrap)
 * @param host_gid_base  first host gid of the pod's range (same rules)
 * @return 0, -EINVAL (0, (uid_t)-1 or a range that wraps)
 */
int sandbox_cfg_set_idmap(sandbox_cfg_t *cfg, uid_t host_uid_base, gid_t host_gid_base);

/**
 * Set the hostname of the pod's UTS namespace (default "pod"; ignored
 * without SANDBOX_NS_UTS).
 * @param cfg   configuration
 * @param name  1..63 characters
 * @return 0, -EINVAL, -ENOMEM
 */
int sandbox_cfg_set_hostname(sandbox_cfg_t *cfg, const char *name);

/**
 * Hand a descriptor to the worker as @p child_fd. The descriptor is duplicated
 * now (the caller may close its own). Every other descriptor is closed in the
 * pod. Descriptors 0, 1, 2 that are not handed over are /dev/null.
 * @param cfg        configuration
 * @param parent_fd  descriptor in the runner
 * @param child_fd   number it gets in the worker (0..1023), each at most once
 * @return 0, -EINVAL, -EEXIST (child_fd already used), -EBADF, -ENOMEM
 */
int sandbox_cfg_add_fd(sandbox_cfg_t *cfg, int parent_fd, int child_fd);

/** Namespace choice for sandbox_cfg_set_namespaces(). */
enum sandbox_ns {
	SANDBOX_NS_MOUNT = 1u << 0,  /**< mount (always on: the mount plan needs it) */
	SANDBOX_NS_PID = 1u << 1,    /**< pid (always on: the init is pid 1) */
	SANDBOX_NS_NET = 1u << 2,    /**< network: only lo, brought up */
	SANDBOX_NS_UTS = 1u << 3,    /**< hostname */
	SANDBOX_NS_IPC = 1u << 4,    /**< System V IPC, POSIX message queues */
	SANDBOX_NS_CGROUP = 1u << 5, /**< cgroup view */
	SANDBOX_NS_USER = 1u << 6,   /**< user namespace (optional; see sandbox_release()) */
};
/** The default: every namespace except user. */
#define SANDBOX_NS_DEFAULT                                                                         \
	(SANDBOX_NS_MOUNT | SANDBOX_NS_PID | SANDBOX_NS_NET | SANDBOX_NS_UTS | SANDBOX_NS_IPC |    \
	 SANDBOX_NS_CGROUP)

/**
 * Choose namespaces. MOUNT and PID are always added.
 * @param cfg  configuration
 * @param ns   bitwise OR of enum sandbox_ns
 * @return 0, -EINVAL (unknown bits)
 */
int sandbox_cfg_set_namespaces(sandbox_cfg_t *cfg, unsigned ns);

/**
 * Turn the seccomp deny list on (default) or off.
 * @param cfg  configuration
 * @param on   true to install the filter
 * @return 0
 */
int sandbox_cfg_set_seccomp(sandbox_cfg_t *cfg, bool on);

/**
 * Allow or refuse executing memory files (default: refused). Refused, the
 * init sets vm.memfd_noexec to 2 in the pod's own pid namespace before
 * anything of the pod runs: memfd_create() without flags makes a
 * non-executable, sealed file, with MFD_EXEC it fails with EACCES, so
 * execveat(fd, "", AT_EMPTY_PATH), fexecve() and /proc/self/fd/N of a memfd
 * fail with EACCES. Every other writable place of the pod is a noexec mount,
 * so a pod runs only files of the mount plan. The host's setting is not
 * touched (the value belongs to the pid namespace). On a kernel without the
 * setting (before 6.3) the step is skipped and memfds stay executable.
 * @param cfg    configuration
 * @param allow  true to leave memfds executable
 * @return 0, -EINVAL
 */
int sandbox_cfg_set_memfd_exec(sandbox_cfg_t *cfg, bool allow);

/**
 * Let the runner decide every execve() and execveat() of the pod (default off).
 * On, the init installs a second seccomp filter whose execve and execveat
 * become seccomp user notifications on a listener that only the runner holds
 * (sandbox_exec_notify_fd()). sandbox_release() lets the worker's own first
 * exec through (the planned program); every later exec of any process of the
 * pod waits until the runner answers: SECCOMP_USER_NOTIF_FLAG_CONTINUE to let
 * it run, or an error such as -EACCES. The deny list's errors take precedence
 * over a notification. The answer is a decision and a point of visibility,
 * not the boundary: the kernel reads the path again when the call continues,
 * so what can run at all is still what the mount plan and Landlock allow.
 * @param cfg  configuration
 * @param on   true to install the exec filter
 * @return 0, -EINVAL
 */
int sandbox_cfg_set_exec_notify(sandbox_cfg_t *cfg, bool on);

/** Landlock modes for sandbox_cfg_set_landlock(). */
enum sandbox_landlock {
	SANDBOX_LANDLOCK_OFF = 0, /**< do not use Landlock */
	SANDBOX_LANDLOCK_BEST_EFFORT =
	    1, /**< use it when the kernel has it (default); notice otherwise */
	SANDBOX_LANDLOCK_REQUIRED = 2, /**< spawn fails with -EOPNOTSUPP without it */
};

/**
 * Choose how Landlock is used. The ruleset mirrors the mount plan.
 * @param cfg   configuration
 * @param mode  enum sandbox_landlock
 * @return 0, -EINVAL
 */
int sandbox_cfg_set_landlock(sandbox_cfg_t *cfg, int mode);

/** Resource limits. rlimits apply to the worker (soft = hard); cgroup limits to the whole pod. */
struct sandbox_limits {
	uint64_t memory_bytes; /**< cgroup memory limit (and memory+swap in v1); 0 = none */
	uint32_t pids_max;     /**< cgroup pids limit for the whole pod; 0 = none */
	uint32_t
	    cpu_percent; /**< cgroup CPU quota, percent of one CPU (200 = two CPUs); 0 = none */
	uint64_t nofile; /**< RLIMIT_NOFILE */
	uint64_t nproc;  /**< RLIMIT_NPROC (counts every process of the worker uid on the host) */
	uint64_t fsize_bytes; /**< RLIMIT_FSIZE; UINT64_MAX = unlimited */
			      /* RLIMIT_CORE is always 0. */
};

/**
 * Fill @p l with the defaults: no cgroup limits, nofile 1024, nproc 4096,
 * fsize unlimited.
 * @param l  limits to fill
 */
void sandbox_limits_default(struct sandbox_limits *l);

/**
 * Set the limits (copied).
 * @param cfg  configuration
 * @param l    limits
 * @return 0, -EINVAL (nofile 0 or above the runner's hard limit)
 */
int sandbox_cfg_set_limits(sandbox_cfg_t *cfg, const struct sandbox_limits *l);

/**
 * Name the pod's cgroups (default: "sbx-PID-N", the runner's pid and a
 * sequence number, picked at spawn). A supervisor that records what it creates before creating it (so
 * that a later sweep can remove what a supervisor killed in mid-spawn left)
 * gives its own unique name and gets the directories from
 * sandbox_cgroup_paths(). sandbox_spawn() then fails with -EEXIST when a
 * cgroup of that name exists in any hierarchy.
 * @param cfg   configuration
 * @param name  1-63 bytes of [A-Za-z0-9_.-], not starting with '.'
 * @return 0, -EINVAL (bad name)
 */
int sandbox_cfg_set_cgroup_name(sandbox_cfg_t *cfg, const char *name);

/**
 * The directories a spawn may create for cgroups named @p name, before it
 * does: one per hierarchy present here ("" where absent). Which of them a
 * spawn creates depends on the limits and on delegation; the others do not
 * exist, and removing them finds nothing.
 * @param name  as for sandbox_cfg_set_cgroup_name()
 * @param out   [0] v2, [1] v1 memory, [2] v1 pids, [3] v1 cpu
 * @return 0, -EINVAL (bad name), -ENAMETOOLONG
 */
int sandbox_cgroup_paths(const char *name, char out[4][256]);

/**
 * Remove one pod cgroup directory (sandbox_destroy() does this for its own):
 * rmdir, retried while it is busy, killing (SIGKILL) the tasks still in it.
 * For a supervisor's sweep of cgroups a dead supervisor left.
 * @param dir      the cgroup's directory
 * @param wait_ms  how long to retry while it stays busy
 * @return 0 when it is gone (or was), -EBUSY after @p wait_ms, other -errno
 */
int sandbox_cgroup_remove(const char *dir, int wait_ms);

/** Severity passed to the log callback. */
enum sandbox_log_level {
	SANDBOX_LOG_NOTICE = 0, /**< degraded protection or fallback, e.g. no Landlock, cgroup v1 */
	SANDBOX_LOG_INFO = 1,   /**< informative, e.g. an optional mount skipped */
};

/** Log callback: called in the runner (never in the pod) during sandbox_spawn(). */
typedef void (*sandbox_log_fn)(void *ctx, int level, const char *msg);

/**
 * Set the log callback (default: none, notices are dropped).
 * @param cfg  configuration
 * @param fn   callback or NULL
 * @param ctx  passed to @p fn
 */
void sandbox_cfg_set_log(sandbox_cfg_t *cfg, sandbox_log_fn fn, void *ctx);

/* ------------------------------------------------------------------------ */
/* Spawn and supervise                                                      */
/* ------------------------------------------------------------------------ */

/**
 * Create the pod: check every mount source (missing -> error naming it, unless
 * OPTIONAL), create its cgroups and apply the limits, and clone3 the init into
 * the new namespaces with CLONE_PIDFD. The init blocks until sandbox_release();
 * meanwhile the runner may configure the namespaces from outside. If the
 * runner dies, the pod dies (PR_SET_PDEATHSIG).
 * @param cfg  configuration (not modified; may be reused for other pods). It
 *             must stay valid until sandbox_release() has returned (the
 *             release reads the ids, namespaces and plan for maps and errors).
 * @param out  receives the handle
 * @param err  optional; filled with a message on failure
 * @return 0, -EINVAL (no program), -ENOENT (a mount source), -EOPNOTSUPP
 *         (Landlock REQUIRED but absent), -errno of clone3/cgroup setup
 */
int sandbox_spawn(const sandbox_cfg_t *cfg, sandbox_t **out, struct sandbox_error *err);

/**
 * Let the init run: it joins its v1 cgroups (limits hold from here), builds
 * the root (mount plan, pivot_root), sets hostname and rlimits, drops every
 * privilege, applies Landlock and seccomp, forks the worker and execs the
 * program. Returns when the worker's execve() succeeded or a step failed
 * (blocks for about a millisecond; no pod code has run before it returns
 * unless it returns 0). With SANDBOX_NS_USER, writes the uid/gid maps first:
 * with sandbox_cfg_set_idmap() 0 -> base and the worker id -> base + id;
 * without it pod root -> runner's euid/egid and the worker uid/gid ->
 * themselves (needs a privileged runner for the second line).
 * @param sb   pod from sandbox_spawn()
 * @param err  optional; filled with a message naming the failed step
 * @return 0, -EALREADY (released twice), -EPIPE (the pod already died), or the
 *         negative errno of the failed step (the pod then exits with status 125)
 */
int sandbox_release(sandbox_t *sb, struct sandbox_error *err);

/**
 * The pidfd of the init (owned by the handle). Becomes readable (EPOLLIN) when
 * the pod has exited; add it to the runner's epoll set.
 * @param sb  pod
 * @return descriptor
 */
int sandbox_pidfd(const sandbox_t *sb);

/**
 * The host pid of the init (stable while the handle exists, the pod is reaped
 * only by sandbox_wait()/sandbox_destroy()).
 * @param sb  pod
 * @return pid
 */
pid_t sandbox_pid(const sandbox_t *sb);

/**
 * A descriptor of the pod's network namespace (owned by the handle; -1 without
 * SANDBOX_NS_NET). Use with setns(fd, CLONE_NEWNET) or libnl's netns-fd
 * attributes. The path form is /proc/<sandbox_pid()>/ns/net.
 * @param sb  pod
 * @return descriptor or -1
 */
int sandbox_netns_fd(const sandbox_t *sb);

/**
 * The seccomp listener of the pod's execve()/execveat() (owned by the handle;
 * -1 unless sandbox_cfg_set_exec_notify() was on and sandbox_release()
 * succeeded). Readable when an exec waits for an answer: receive it with
 * SECCOMP_IOCTL_NOTIF_RECV, answer with SECCOMP_IOCTL_NOTIF_SEND. Nothing of
 * the pod holds it.
 * @param sb  pod
 * @return descriptor or -1
 */
int sandbox_exec_notify_fd(const sandbox_t *sb);

/** Which cgroup hierarchy enforces the limits. */
enum sandbox_cgroup_mode {
	SANDBOX_CGROUP_NONE = 0, /**< no cgroup limits were requested */
	SANDBOX_CGROUP_V2 = 2,   /**< a writable v2 hierarchy with the controllers */
	SANDBOX_CGROUP_V1 = 1,   /**< v1 memory / pids / cpu controllers */
};

/** Facts about a spawned pod (valid for the handle's lifetime). */
struct sandbox_info {
	int cgroup_mode;     /**< enum sandbox_cgroup_mode */
	char cgroup_v2[256]; /**< v2 cgroup directory holding the pod ("" if none) */
	uint64_t cgroup_id;  /**< id of that v2 cgroup (bpf_get_current_cgroup_id()); 0 if none */
	/* The v1 directories exist and hold the limits after sandbox_spawn(); the
	 * init moves itself into them first thing after sandbox_release(). */
	char cgroup_v1_memory[256]; /**< v1 memory cgroup directory ("" if unused) */
	char cgroup_v1_pids[256];   /**< v1 pids cgroup directory ("" if unused) */
	char cgroup_v1_cpu[256];    /**< v1 cpu cgroup directory ("" if unused) */
	int landlock_abi;           /**< Landlock ABI applied in the pod; 0 = not applied */
	bool seccomp;               /**< the seccomp filter is installed */
	unsigned namespaces;        /**< enum sandbox_ns bits in effect */
	uint64_t
	    cgroup_us; /**< time sandbox_spawn() spent creating the cgroups and writing their limits (microseconds) */
	uid_t host_uid; /**< the worker's uid as the host sees it */
	gid_t host_gid; /**< the worker's gid as the host sees it */
};

/**
 * Facts about the pod: cgroups used, cgroup id, Landlock ABI.
 * @param sb  pod
 * @return pointer into the handle
 */
const struct sandbox_info *sandbox_get_info(const sandbox_t *sb);

/** Flag for sandbox_wait(): do not block. */
#define SANDBOX_WAIT_NOHANG 1

/**
 * Reap the pod through its pidfd and return its status the way a shell shows
 * it: the worker's exit code, or 128+N when it (or the init) died by signal N;
 * 125 when the setup in the pod failed. Idempotent once reaped.
 * @param sb      pod
 * @param status  receives the status
 * @param flags   0 (block) or SANDBOX_WAIT_NOHANG
 * @return 0 when reaped, -EAGAIN (NOHANG, still running), -errno
 */
int sandbox_wait(sandbox_t *sb, int *status, int flags);

/**
 * Send a signal to the init through the pidfd. SIGTERM, SIGINT, SIGHUP,
 * SIGQUIT, SIGUSR1, SIGUSR2 are forwarded to the worker; SIGKILL kills the
 * whole pod at once.
 * @param sb   pod
 * @param sig  signal number
 * @return 0, -ESRCH (already reaped), -errno
 */
int sandbox_kill(sandbox_t *sb, int sig);

/**
 * Tear the pod down: SIGKILL if it still runs, reap it, remove its cgroups,
 * close its descriptors, free the handle. Nothing is left behind.
 * @param sb  pod, or NULL (no-op)
 */
void sandbox_destroy(sandbox_t *sb);

/**
 * Landlock ABI version of the running kernel.
 * @return the version (>= 1), or 0 when Landlock is unavailable
 */
int sandbox_landlock_abi(void);

#ifdef __cplusplus
}
#endif

#endif
