/*
 * probe.h — records shared by the kernel side (probe.bpf.c) and the user side
 * (probe.c, decode.c) of layer 06-ebpf. Part of the CO-RE trio probe.bpf.c /
 * probe.h / probe.c (docs/conventions.md, "eBPF").
 *
 * Builds on nothing but the __u32/__u64 types (vmlinux.h in the BPF build,
 * <linux/types.h> in user space). Private to 06-ebpf: the public, decoded form
 * of an event is struct sysaudit_event in include/sysaudit.h.
 *
 * Wire rules: the kernel writes these records into the BPF ring buffer; the
 * user side checks the record size against the kind before reading anything
 * and never trusts a string to be NUL-terminated (it forces the last byte).
 * Strings come from pod memory (bpf_probe_read_user_str) or from the kernel's
 * own dentries (names the pod chose when it created the files).
 */
#ifndef POD_SYSAUDIT_PROBE_H
#define POD_SYSAUDIT_PROBE_H

#define PROBE_PATH_MAX 256    /* one path buffer, kernel side */
#define PROBE_ARGS_BYTES 4096 /* exec: argument bytes captured in all */
#define PROBE_ARG_MAX 512     /* slack after the argument bytes (the kernel's copy) */
#define PROBE_SLOT 256        /* exec (failed, read from the caller): one argument's slot */
#define PROBE_SLOTS 16        /* ... and how many slots (PROBE_SLOTS * PROBE_SLOT = 4 KiB) */
#define PROBE_ARGV_SCAN 32    /* exec (failed): argument pointers followed */
#define PROBE_SA_MAX 112      /* bytes of a sockaddr copied (sockaddr_un is 110) */
#define PROBE_COMM_LEN 16

/* Count slots: 0..1021 native syscall numbers, then these two (sysaudit.h). */
#define PROBE_NR_SLOTS 1024
#define PROBE_SLOT_OTHER 1022
#define PROBE_SLOT_COMPAT 1023

/* Lost-record counter slots (a per-CPU array): slot 0 = no task storage,
 * slot = enum probe_kind = the ring buffer was full for a record of that kind. */
#define PROBE_LOST_STORAGE 0
#define PROBE_LOST_SLOTS 16

/* Load-time modes (const volatile rodata `mode`), equal to enum sysaudit_mode. */
#define PROBE_MODE_COUNTERS 0
#define PROBE_MODE_DETAILED 1
#define PROBE_MODE_ALL 2
#define PROBE_MODE_FSREPORT 3

enum probe_kind {
	PROBE_EXEC = 1,
	PROBE_OPEN,
	PROBE_CONNECT,
	PROBE_MMAP,
	PROBE_MPROTECT,
	PROBE_FORK,
	PROBE_EXIT,
	PROBE_SYSCALL,
	PROBE_NET,
	PROBE_FSCHANGE,
	PROBE_KIND_MAX,
};

/* Event flags, equal to SYSAUDIT_F_* in sysaudit.h. */
#define PROBE_F_PATH_TRUNC 0x1
#define PROBE_F_ARGV_TRUNC 0x2
#define PROBE_F_COMPAT 0x4
#define PROBE_F_BASENAME 0x10
#define PROBE_F_UNREADABLE 0x100
#define PROBE_F_FROM_KERNEL 0x200
#define PROBE_F_RESOLVED 0x400     /* path is the file the kernel resolved (fd/VMA/bprm) */
#define PROBE_F_DIRBASE 0x800      /* path is the dirfd's directory; raw is relative to it */
#define PROBE_F_MEMFD 0x1000       /* exec/mmap: the file is a memfd */
#define PROBE_F_ANON 0x2000        /* exec/mmap: the file has no name in any directory */
#define PROBE_F_IMAGE32 0x4000     /* exec: the new image is a 32-bit program */
#define PROBE_F_INTERRUPTED 0x8000 /* the call ended by a signal (-ERESTART* then not restarted) */
#define PROBE_F_WATCHED 0x10000    /* the resolved file (or a directory above it) is watched */
#define PROBE_F_CWD_TRUNC 0x20000  /* cwd did not fit or could not be walked */
/* the walk left the task's root: path is relative to a mount */
#define PROBE_F_OUTSIDE_ROOT 0x40000
#define PROBE_F_RACED 0x80000 /* a rename moved a directory during the path walk */

/* Common head of every record, written at syscall exit. */
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
	__u64 exec_id;  /* this process image, unique in the pod (1, 2, ...) */
	__u64 parent_exec_id; /* the image it came from (forking process / replaced image) */
	__u32 uid;            /* real uid, initial user namespace */
	__u32 euid;           /* effective uid */
	__u32 restarts;       /* -ERESTART* exits folded into this record */
	__u32 watch_tag;      /* PROBE_F_WATCHED: the tag of the watch entry that matched */
	char comm[PROBE_COMM_LEN];
	char cwd[PROBE_PATH_MAX]; /* the task's working directory, as the task sees it */
};

/* PROBE_SYSCALL (only the head). */
struct probe_sys {
	struct probe_hdr h;
};

/* PROBE_OPEN, PROBE_MMAP, PROBE_MPROTECT, PROBE_FSCHANGE. */
struct probe_path {
	struct probe_hdr h;
	__s64 flags;               /* open flags / mmap flags / unlinkat, renameat2 flags */
	__u32 mode;                /* open / mkdir / chmod mode */
	__u32 prot;                /* mmap/mprotect prot */
	char path[PROBE_PATH_MAX]; /* PROBE_F_RESOLVED: the file; PROBE_F_DIRBASE: dirfd's dir */
	char raw[PROBE_PATH_MAX];  /* the path argument as the pod passed it */
	char raw2[PROBE_PATH_MAX]; /* rename/link/symlink: the second path */
	__u32 fl2; /* PROBE_F_DIRBASE: base2 is the second path's dirfd; walk flags */
	__u32 pad2;
	char base2[PROBE_PATH_MAX]; /* the second path's dirfd's directory */
};

/* Open and mapping records end inside raw, right after its NUL (they have one
 * path argument): between PROBE_PATH_RAW + 1 and PROBE_PATH_SHORT bytes. File
 * changes are sent whole. */
#define PROBE_PATH_RAW __builtin_offsetof(struct probe_path, raw)
#define PROBE_PATH_SHORT __builtin_offsetof(struct probe_path, raw2)

/* PROBE_CONNECT, PROBE_NET: the raw sockaddr, decoded in user space. */
struct probe_connect {
	struct probe_hdr h;
	__u32 sa_len; /* bytes valid in sa (<= PROBE_SA_MAX) */
	__u32 pad;
	__u8 sa[PROBE_SA_MAX];
};

/* PROBE_EXEC. */
struct probe_exec {
	struct probe_hdr h;
	__u32 argc;     /* arguments the program got (bprm->argc), or pointers seen */
	__u32 args_len; /* bytes valid in args: NUL-separated strings (PROBE_F_FROM_KERNEL),
			 * else slots of PROBE_SLOT bytes, one per argument */
	__u32 cut;      /* failed exec: bit i = argument i was cut at PROBE_SLOT - 1 */
	__u32 pad;
	char path[PROBE_PATH_MAX];     /* the file executed, resolved (PROBE_F_RESOLVED) */
	char filename[PROBE_PATH_MAX]; /* the name asked for (bprm->filename or the argument) */
	char args[PROBE_ARGS_BYTES + PROBE_ARG_MAX];
};

/* Exec records end after their args_len argument bytes. */
#define PROBE_EXEC_ARGS __builtin_offsetof(struct probe_exec, args)

/* PROBE_FORK, PROBE_EXIT (emitted directly, no enter/exit pairing). */
struct probe_task {
	struct probe_hdr h;
	__u32 child_pid;     /* fork: new process, pod view */
	__s32 exit_status;   /* exit: task->exit_code */
	__u64 child_exec_id; /* fork: the new process's exec_id */
};

/* Watched files (fs reporting): key = the file's device and inode. */
struct probe_watch_key {
	__u64 dev;
	__u64 ino;
};

#endif
