/*
 * internal.h — private data structures of layer 03-sandbox.
 *
 * Layer 03. Shared by the runner-side code (cfg.c, spawn.c, cgroup.c,
 * seccomp.c) and the pod-side code (child.c, mounts.c, landlock.c). Not
 * installed; 07-runner sees only include/sandbox.h.
 *
 * Rule for everything the pod-side code reads: it is computed by the runner
 * BEFORE clone3 (paths normalized, seccomp program compiled, Landlock rights
 * decided), so the child only makes system calls. The child is a copy of a
 * runner that may have other threads, taken at any instant: it never calls
 * malloc or anything that takes a libc lock (fork -> _Fork) or that believes
 * in the copied thread list (setresuid & co. -> raw system calls).
 */
#ifndef POD_SANDBOX_INTERNAL_H
#define POD_SANDBOX_INTERNAL_H

#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* Most entries a plan may hold (the child keeps one descriptor per entry on its stack). */
#define SBX_MAX_PLAN 256

/* Kinds of mount plan entries, in the words of the public API. */
enum plan_kind {
	PLAN_RO,      /* read-only bind of src */
	PLAN_RW,      /* read-write bind of src (nosuid,nodev,noexec) */
	PLAN_TMPFS,   /* fresh tmpfs */
	PLAN_PROC,    /* fresh procfs + masks */
	PLAN_DEV,     /* minimal /dev */
	PLAN_MASK,    /* hide dst */
	PLAN_SYMLINK, /* symlink dst -> src (src holds the target text) */
	PLAN_DIR,     /* empty directory */
};

/* One mount plan entry. Paths are normalized (absolute, no ".", "..", "//"). */
struct plan_entry {
	int kind;
	unsigned flags; /* SANDBOX_MNT_* */
	char *src;      /* host path (binds) or link target (symlink); else NULL */
	char *dst;      /* path inside the pod */
	uint64_t size;  /* tmpfs size in bytes */
	unsigned mode;  /* tmpfs / dir mode */
};

/* A descriptor handed to the worker. parent_fd is our own dup (CLOEXEC). */
struct fd_map {
	int parent_fd;
	int child_fd;
};

struct sandbox_cfg {
	struct plan_entry *plan; /* owned array */
	size_t nplan, capplan;
	char *path;          /* program path inside the pod */
	char **argv, **envp; /* owned NULL-terminated vectors */
	char *cwd;
	char *hostname;
	uid_t uid;
	gid_t gid;
	struct fd_map *fds; /* owned array */
	size_t nfds, capfds;
	unsigned ns; /* enum sandbox_ns bits */
	bool seccomp;
	bool memfd_exec;  /* false: vm.memfd_noexec = 2 in the pod's pid namespace */
	bool exec_notify; /* execve/execveat are decided by the runner */
	int landlock;     /* enum sandbox_landlock */
	struct sandbox_limits limits;
	char cgroup_name[64]; /* sandbox_cfg_set_cgroup_name(); "" = picked at spawn */
	bool idmap;           /* host_uid/host_gid set (userns.c) */
	uid_t host_uid;       /* first host uid of the pod's range */
	gid_t host_gid;       /* first host gid of the pod's range */
	sandbox_log_fn log;
	void *log_ctx;
};

/* Landlock rule decided by the runner: grant @access beneath @path. */
struct ll_rule {
	const char *path; /* points into the cfg's plan (lifetime: the spawn) */
	uint64_t access;  /* rights for a directory; the child masks them for files */
};

/* Pod-side error report, written to the status pipe (one atomic write). */
struct child_report {
	int32_t step;  /* enum child_step */
	int32_t err;   /* positive errno */
	int32_t index; /* plan entry index or -1 */
};

enum child_step {
	STEP_FDS = 1,
	STEP_SETSID,
	STEP_HOSTNAME,
	STEP_LOOPBACK,
	STEP_CGROUP_JOIN,
	STEP_CGROUPNS,
	STEP_PRIVATE,
	STEP_STAGE,
	STEP_PLAN,
	STEP_ROOT_RO,
	STEP_PIVOT,
	STEP_RLIMIT,
	STEP_CAPS,
	STEP_IDS,
	STEP_CWD,
	STEP_NNP,
	STEP_LANDLOCK,
	STEP_SECCOMP,
	STEP_FORK,
	STEP_EXEC,
	STEP_MEMFD,
};

/* Everything the child needs; lives in the runner's handle, copied by clone3. */
struct child_args {
	const struct sandbox_cfg *cfg;
	const unsigned char *skip;            /* per plan entry: 1 = optional source missing */
	int go_fd;                            /* read end: the runner's go byte */
	int status_fd;                        /* write end, CLOEXEC: reports / EOF on exec */
	int devnull_fd;                       /* host /dev/null, for stdio not handed over */
	const struct sock_fprog *seccomp;     /* NULL: no filter */
	const struct sock_fprog *exec_notify; /* NULL: no exec notification filter */
	const struct ll_rule *ll_rules;
	size_t nll;
	int landlock_abi;                /* 0: skip Landlock */
	const struct sandbox_info *info; /* v1 cgroup directories to join */
	int *pre_trees;                  /* per plan entry: a detached mount the runner
				     * made (id-mapped rw bind, userns.c) or -1 */
};

struct sandbox {
	pid_t pid;
	int pidfd;
	int netns_fd;
	int go_fd;     /* write end until released, then -1 */
	int status_fd; /* read end until released, then -1 */
	bool reaped;
	int status; /* valid when reaped */
	unsigned char *skip;
	struct ll_rule *ll_rules;
	struct sandbox_info info;
	const struct sandbox_cfg *cfg; /* for sandbox_release() user-ns maps */
	int notify_fd;                 /* seccomp listener of execve/execveat, or -1 */
	int *pre_trees;                /* child_args.pre_trees, closed after release */
	size_t npre;                   /* entries in pre_trees */
};

/* cfg.c */
const char *sbx_step_name(int step);

/* child.c: runs in the clone3 child, never returns. */
_Noreturn void sbx_child_main(const struct child_args *a);

/* mounts.c (pod side): build the new root and pivot into it.
 * Returns 0 or -errno; *step and *index tell where it failed. */
int sbx_build_root(const struct child_args *a, int *step, int *index);

/* landlock.c */
int sbx_landlock_apply(const struct child_args *a);
uint64_t sbx_landlock_handled(int abi);
int sbx_landlock_rules(const struct sandbox_cfg *cfg, const unsigned char *skip, int abi,
		       struct ll_rule **out, size_t *n);

/* seccomp.c: the compiled deny list (built once per process), and the table
 * itself for tests and documentation: entry i's syscall name and reason. */
int sbx_seccomp_program(const struct sock_fprog **out);
int sbx_seccomp_exec_program(const struct sock_fprog **out);
size_t sbx_seccomp_table_size(void);
const char *sbx_seccomp_entry(size_t i, const char **why);

/* userns.c: the pod's user namespace. check: before clone3; maps: by the
 * runner before the go byte; become_root (pod side, in sbx_build_root once the
 * host tree is cloned): the init takes inside uid/gid 0 so that the files it
 * creates in its new root have an owner mapped in its namespace. */
int sbx_userns_check(const struct sandbox_cfg *c, struct sandbox_info *info,
		     struct sandbox_error *err);
int sbx_userns_write_maps(sandbox_t *sb, struct sandbox_error *err);
int sbx_userns_become_root(const struct child_args *a);
int sbx_userns_idmap_binds(const struct sandbox_cfg *c, sandbox_t *sb, struct sandbox_error *err);
void sbx_userns_close_trees(sandbox_t *sb);
bool sbx_userns_groups_locked(const struct sandbox_cfg *c, int err);

/* cgroup.c */
int sbx_cgroup_create(sandbox_t *sb, const struct sandbox_limits *l, int *v2_fd,
		      struct sandbox_error *err);
int sbx_cgroup_join_self(const struct sandbox_info *info);
void sbx_cgroup_remove(sandbox_t *sb);
/* Is @name acceptable as a cgroup name (cfg.c)? */
bool sbx_cgroup_name_ok(const char *name);

/* error formatting */
void sbx_err(struct sandbox_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
