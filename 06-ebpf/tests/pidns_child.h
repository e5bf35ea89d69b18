/*
 * pidns_child.h — test helper of layer 06-ebpf: a child process alone in a new
 * pid namespace (a stand-in for a pod), held at a gate until the auditor is
 * attached.
 *
 * Builds on clone(2) only (no other layer: 03-sandbox is not needed to prove
 * what the BPF side sees). Used by tests/check_sysaudit.c and
 * bench/bench_sysaudit.c.
 */
#ifndef POD_SYSAUDIT_PIDNS_CHILD_H
#define POD_SYSAUDIT_PIDNS_CHILD_H

#include <sys/types.h>

/** A gated child: pid 1 of its own pid namespace. */
struct ns_child {
	pid_t pid;   /**< host pid, -1 when not started */
	int gate_fd; /**< write end of the gate pipe, -1 when opened */
};

/** Workload run by the child once the gate opens; its return is the exit code. */
typedef int (*ns_child_fn)(void *arg);

/**
 * Start the child with clone(CLONE_NEWPID | @p extra_flags). It blocks in
 * read() on the gate, then runs @p fn(@p arg) and calls _exit with the result.
 * @return 0 or negative errno
 */
int ns_child_start(struct ns_child *c, int extra_flags, ns_child_fn fn, void *arg);

/** Open the gate: the workload starts. @return 0 or negative errno */
int ns_child_go(struct ns_child *c);

/** Wait for the child; @p status receives the wait status. @return 0 or negative errno */
int ns_child_wait(struct ns_child *c, int *status);

/** Kill (SIGKILL) and reap the child if still there. */
void ns_child_kill(struct ns_child *c);

#endif
