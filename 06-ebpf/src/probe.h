/*
 * probe.h — records shared by the kernel side (probe.bpf.c) and the user side
 * (probe.c) of layer 06-ebpf. Part of the CO-RE trio probe.bpf.c / probe.h /
 * probe.c (docs/conventions.md, "eBPF").
 *
 * Builds on nothing but the __u32/__u64 types (vmlinux.h in the BPF build,
 * <linux/types.h> in user space). Private to 06-ebpf: the public, decoded form
 * of an event is struct sysaudit_event in include/sysaudit.h.
 *
 * Wire rules: the kernel writes these records into the BPF ring buffer; the
 * user side checks the record size against the kind before reading anything
 * and never trusts a string to be NUL-terminated (it forces the last byte).
 * Strings come from pod memory, read with bpf_probe_read_user_str.
 */
#ifndef POD_SYSAUDIT_PROBE_H
#define POD_SYSAUDIT_PROBE_H

#define PROBE_PATH_MAX 256 /* == SYSAUDIT_PATH_MAX */
#define PROBE_ARGV_MAX 8   /* == SYSAUDIT_ARGV_MAX */
#define PROBE_ARG_LEN 128  /* == SYSAUDIT_ARG_LEN */
#define PROBE_SA_MAX 112   /* bytes of a sockaddr copied (sockaddr_un is 110) */
#define PROBE_COMM_LEN 16

/* Count slots: 0..1021 native syscall numbers, then these two (sysaudit.h). */
#define PROBE_NR_SLOTS 1024
#define PROBE_SLOT_OTHER 1022
#define PROBE_SLOT_COMPAT 1023

/* Lost-event counter slots (a per-CPU array of two __u64). */
#define PROBE_LOST_RINGBUF 0 /* bpf_ringbuf_output failed: ring full */
#define PROBE_LOST_PENDING 1 /* no pending slot, or a record whose exit never came */

/* Load-time modes (const volatile rodata `mode`), equal to enum sysaudit_mode. */
#define PROBE_MODE_COUNTERS 0
#define PROBE_MODE_DETAILED 1
#define PROBE_MODE_ALL 2

enum probe_kind {
	PROBE_EXEC = 1,
	PROBE_OPEN,
	PROBE_CONNECT,
	PROBE_MMAP,
	PROBE_MPROTECT,
	PROBE_FORK,
	PROBE_EXIT,
	PROBE_SYSCALL,
};

/* Event flags, equal to SYSAUDIT_F_* in sysaudit.h. */
#define PROBE_F_PATH_TRUNC 0x1
#define PROBE_F_ARGV_TRUNC 0x2
#define PROBE_F_COMPAT 0x4
#define PROBE_F_BASENAME 0x10
/* Kernel-internal: the user string could not be read at entry (its page was
 * not resident); sys_exit reads it again, after the kernel faulted it in. */
#define PROBE_F_RETRY 0x100
/* Exec: path and argv were re-read from the new image (bprm->filename and the
 * argument area the kernel copied), not from the caller's memory. */
#define PROBE_F_FROM_KERNEL 0x200

/* Common head of every record. Written at syscall entry, completed (ret, ts)
 * at syscall exit, then copied whole into the ring buffer. */
struct probe_hdr {
	__u32 kind;     /* enum probe_kind */
	__u32 eflags;   /* PROBE_F_* */
	__u64 ts;       /* bpf_ktime_get_ns() at exit (CLOCK_MONOTONIC) */
	__u32 pid;      /* tgid, pod view */
	__u32 tid;      /* pid, pod view */
	__u32 host_pid; /* tgid, runner view */
	__s32 nr;       /* syscall number (i386 numbering when PROBE_F_COMPAT), -1 fork/exit */
	__s64 ret;      /* syscall return value */
	__u64 args[6];  /* raw arguments */
	char comm[PROBE_COMM_LEN];
};

/* PROBE_SYSCALL (only the head). */
struct probe_sys {
	struct probe_hdr h;
};

/* PROBE_OPEN, PROBE_MMAP, PROBE_MPROTECT. */
struct probe_path {
	struct probe_hdr h;
	__s64 flags; /* open flags / mmap flags */
	__u32 mode;  /* open mode */
	__u32 prot;  /* mmap/mprotect prot */
	char path[PROBE_PATH_MAX];
};

/* PROBE_CONNECT: the raw sockaddr, decoded in user space. */
struct probe_connect {
	struct probe_hdr h;
	__u32 sa_len; /* bytes valid in sa (<= PROBE_SA_MAX) */
	__u32 pad;
	__u8 sa[PROBE_SA_MAX];
};

/* PROBE_EXEC. */
struct probe_exec {
	struct probe_hdr h;
	__u32 argc; /* entries captured in argv */
	__u32 pad;
	char path[PROBE_PATH_MAX];
	char argv[PROBE_ARGV_MAX][PROBE_ARG_LEN];
};

/* PROBE_FORK, PROBE_EXIT (emitted directly, no enter/exit pairing). */
struct probe_task {
	struct probe_hdr h;
	__u32 child_pid;   /* fork: new process, pod view */
	__s32 exit_status; /* exit: task->exit_code */
};

#endif
