/*
 * probe.bpf.c — kernel side of layer 06-ebpf: count and record the syscalls of
 * one pod.
 *
 * Part of the CO-RE trio probe.bpf.c / probe.h / probe.c (docs/conventions.md, "eBPF"). Builds on vmlinux.h
 * (generated at build time from the running kernel's BTF) and libbpf's
 * bpf_helpers/bpf_tracing/bpf_core_read. Loaded and attached by probe.c
 * through the skeleton that `bpftool gen skeleton` makes from this object.
 *
 * One hook per syscall, at its exit (all BTF-typed raw tracepoints: no
 * tracefs/debugfs mount is needed):
 *
 *   tp_btf/sys_exit            every syscall on the machine:
 *                                1. is the caller in the pod?   (pod_view)
 *                                2. count it                    (counts[nr]++)
 *                                3. detailed modes: the arguments are still
 *                                   in the registers and the strings they
 *                                   point to are resident (the kernel just
 *                                   read them): build the record, resolve the
 *                                   file the kernel used (new fd, mapping,
 *                                   dirfd, cwd), send it
 *                              A call a seccomp filter refused never reaches
 *                              sys_enter's programs' successors, but it does
 *                              come back through sys_exit: it is counted and
 *                              reported with its errno.
 *   tp_btf/sched_process_exec  a successful exec, from inside the new image:
 *                              the file loaded, the name asked for, the
 *                              arguments the kernel copied, the new comm;
 *                              sys_exit sends it with the result
 *   tp_btf/sched_process_fork  a new process or thread: exec ids
 *   tp_btf/sched_process_exit  a pod process ended; exit/exit_group counted
 *
 * The pod filter: a task belongs to the pod when its pid (task->thread_pid) has
 * a number in the target pid namespace, i.e. when
 * thread_pid->numbers[target_level].ns has inode target_ns_ino. That holds for
 * every task created in the pod and in any namespace nested below it, and for
 * nothing else. The pod cannot leave its pid namespace (setns to an ancestor is
 * impossible), so the filter cannot be escaped from inside.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm/unistd_64.h>
#include "probe.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define PROT_EXEC_BIT 0x4
#define CREAT_FLAGS 01101    /* O_CREAT | O_WRONLY | O_TRUNC */
#define TS_COMPAT_BIT 0x0002 /* x86 thread_info.status: in a 32-bit syscall */
#define PF_SIGNALED_BIT 0x00000400
#define AT_FDCWD_VAL -100
#define I386_EXIT 1
#define I386_EXECVE 11
#define I386_EXIT_GROUP 252
#define ERESTARTSYS_ 512
#define ERESTARTNOINTR_ 513
#define ERESTARTNOHAND_ 514
#define ERESTART_RESTARTBLOCK_ 516
#define EPERM_ 1
#define ENOENT_ 2
#define EACCES_ 13
#define ENOSYS_ 38
#define EROFS_ 30
#define EBUSY_ 16
#define EXDEV_ 18
#define WALK_STEPS 40 /* path components plus mount crossings */
#define WATCH_DEPTH 16
#define MASK (PROBE_PATH_MAX - 1)

/* A kernel address as a typed pointer whose fields can be loaded directly
 * (the verifier turns each load into one exception-handled move, not a
 * helper call; a bad address reads as 0). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;

/* Load-time settings (rodata, frozen before the verifier runs: it prunes the
 * branches of the modes not in use). Written only by probe.c before load. */
const volatile __u32 target_ns_ino = 0; /* inode of the pod's pid namespace */
/* The kernel's BTF ids of the types the programs cast to (bpf_rdonly_cast()).
 * Not bpf_core_type_id_kernel(): with a cut-down BTF for the relocations
 * (probe.c, core_btf_choose()) that would be an id of the cut-down copy. */
const volatile __u32 kid_task_struct = 0, kid_dentry = 0, kid_vfsmount = 0, kid_mount = 0;
const volatile __u32 target_level = 0; /* its depth (0 = initial namespace) */
const volatile __u32 mode = PROBE_MODE_COUNTERS;
const volatile __u64 wake_bytes = 1 << 18;       /* wake the reader at this much data */
const volatile __u64 wake_interval_ns = 5000000; /* ... or when it was not woken for this long */

/* When the reader was last woken (any CPU; a racy update only costs an extra
 * or a missing wake-up, never a lost record). */
__u64 last_wake_ns = 0;
/* Bumped by every successful rename, mount change or chroot in the pod: the
 * cached cwd strings were walked before it and may name an old place. */
__u64 path_gen = 0;
/* Next exec id of this pod (each pod has its own object, so ids are per pod). */
__u64 next_exec_id = 0;
/* Every record lost, all kinds (user space reads it through the mapped bss:
 * no system call to learn that nothing was lost). */
__u64 lost_total = 0;
/* Entries in `watch` (written by user space through the skeleton's bss). */
__u32 watch_count = 0;

/* Per-syscall counts, per CPU (an uncontended atomic add: syscall
 * tracepoints may be preempted). User space sums the copies. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_NR_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Records that could not be delivered, per CPU, by PROBE_LOST_* / kind. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_LOST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Kernel -> user records. Size set by probe.c before load (power of two). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

/* Watched files and directories (device, inode) -> tag, set by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct probe_watch_key);
	__type(value, __u32);
} watch SEC(".maps");

union probe_any {
	struct probe_hdr h;
	struct probe_sys s;
	struct probe_path p;
	struct probe_connect c;
	struct probe_exec e;
	struct probe_task k;
};

/*
 * Per-task state (task-local storage: freed by the kernel with the task, only
 * the task itself writes its own record, so no lock). The record is built here
 * rather than on the 512-byte BPF stack.
 */
struct task_state {
	__u64 exec_id; /* the process image this task runs */
	__u64 parent_exec_id;
	__u64 cwd_dentry; /* cwd cache: valid while fs->pwd is this pair, */
	__u64 cwd_mnt;
	__u64 cwd_root; /* fs->root.dentry is this one */
	__u64 cwd_gen;  /* and path_gen has not moved */
	__u32 cwd_flags;
	__u32 exec_seen; /* sched_process_exec filled rec.e: sys_exit sends it */
	__s32 exec_nr;   /* the syscall that exec'd (execve or execveat) */
	__u32 held;      /* rec holds a call that exited with -ERESTART* */
	__u32 restarts;  /* how many times it did */
	__u32 raw_len;   /* open/mapping records: bytes of rec.p.raw sent, NUL included */
	char cwd[PROBE_PATH_MAX];
	char wbuf[PROBE_PATH_MAX * 2]; /* path walks assemble names right to left here */
	union probe_any rec;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
} tstate SEC(".maps");

static __always_inline void count_lost(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&lost, &slot);

	if (c)
		__sync_fetch_and_add(c, 1);
	__sync_fetch_and_add(&lost_total, 1);
}

/*
 * The same task, as a pointer the verifier does not trust. Every load through
 * a trusted pointer (the current task, a tracepoint's arguments) makes the
 * verifier look up "<type>__safe_trusted", "__safe_rcu" and their "_or_null"
 * forms by name in the kernel's BTF, a linear search of some 100,000 types,
 * once per load on every path it explores: that was most of the auditor's
 * load time (tens of milliseconds per pod start). Through an untrusted
 * pointer the loads are the same guarded loads, without the search; the cast
 * itself is inlined to a register move. Helpers that need a trusted task
 * (task storage, pt_regs) get the original pointer.
 */
static __always_inline struct task_struct *plain_task(const struct task_struct *t)
{
	return bpf_rdonly_cast(t, kid_task_struct);
}

/*
 * Is task @t in the pod? If so, *nr = its id as the pod sees it.
 * Hot path: runs for every syscall on the machine. @t is a BTF pointer, so the
 * field reads below are plain loads the verifier guards (no helper calls).
 */
static __always_inline bool pod_view(struct task_struct *task, __u32 *nr)
{
	struct task_struct *t = plain_task(task);
	struct pid *p = t->thread_pid;
	struct pid_namespace *ns;

	if (!p || p->level < target_level)
		return false;
	ns = p->numbers[target_level].ns;
	if (!ns || ns->ns.inum != target_ns_ino)
		return false;
	*nr = p->numbers[target_level].nr;
	return true;
}

static __always_inline bool is_compat(struct task_struct *t)
{
	if (!bpf_core_field_exists(t->thread_info.status))
		return false;
	return t->thread_info.status & TS_COMPAT_BIT;
}

static __always_inline void count_syscall(long id, bool compat)
{
	__u32 slot = compat ? PROBE_SLOT_COMPAT
			    : (id >= 0 && id < PROBE_SLOT_OTHER ? (__u32)id : PROBE_SLOT_OTHER);
	__u64 *c = bpf_map_lookup_elem(&counts, &slot);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline struct task_state *state_of(struct task_struct *t, bool create)
{
	struct task_state *s =
	    bpf_task_storage_get(&tstate, t, NULL, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	if (!s && create)
		count_lost(PROBE_LOST_STORAGE);
	return s;
}

/* A task that ran before the auditor was attached gets its id on first use. */
static __always_inline void ensure_exec_id(struct task_state *s)
{
	if (!s->exec_id)
		s->exec_id = __sync_fetch_and_add(&next_exec_id, 1) + 1;
}

/* ---- the syscalls worth a record: one table, no branches ------------------ */

/*
 * sysdesc[nr]: the class of an x86-64 syscall and where its arguments are
 * (argument index 0-5, NA = none), packed in 32 bits. A lookup in this frozen
 * table replaces a switch of dozens of cases, which the verifier would have to
 * explore on every path.
 */
#define NA 0xf
#define SC_NONE 0
#define SC_OPEN 1
#define SC_EXEC 2
#define SC_NET 3
#define SC_MAP 4
#define SC_FS 5
#define SC_SENS 6
#define D2(cls, dfd, path, fd, path2, flags, mode, dfd2)                                           \
	((cls) | (dfd) << 4 | (path) << 8 | (fd) << 12 | (path2) << 16 | (flags) << 20 |           \
	 (mode) << 24 | (__u32)(dfd2) << 28)
#define D(cls, dfd, path, fd, path2, flags, mode) D2(cls, dfd, path, fd, path2, flags, mode, NA)
#define D_CLASS(d) ((d)&0xf)
#define D_DFD(d) (((d) >> 4) & 0xf)
#define D_PATH(d) (((d) >> 8) & 0xf)
#define D_FD(d) (((d) >> 12) & 0xf)
#define D_PATH2(d) (((d) >> 16) & 0xf)
#define D_FLAGS(d) (((d) >> 20) & 0xf)
#define D_MODE(d) (((d) >> 24) & 0xf)
#define D_DFD2(d) (((d) >> 28) & 0xf) /* the second path's dirfd */
#define SYSDESC_N 512
#define SENS D(SC_SENS, NA, NA, NA, NA, NA, NA)

const volatile __u32 sysdesc[SYSDESC_N] = {
	[__NR_open] = D(SC_OPEN, NA, 0, NA, NA, 1, 2),
	[__NR_creat] = D(SC_OPEN, NA, 0, NA, NA, NA, 1),
	[__NR_openat] = D(SC_OPEN, 0, 1, NA, NA, 2, 3),
	[__NR_openat2] = D(SC_OPEN, 0, 1, NA, NA, NA, NA),
	[__NR_execve] = D(SC_EXEC, NA, 0, NA, NA, NA, NA),
	[__NR_execveat] = D(SC_EXEC, 0, 1, NA, NA, 4, NA),
	[__NR_connect] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_sendto] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_sendmsg] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_sendmmsg] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_bind] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_listen] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_accept] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_accept4] = D(SC_NET, NA, NA, NA, NA, NA, NA),
	[__NR_mmap] = D(SC_MAP, NA, NA, NA, NA, NA, NA),
	[__NR_mprotect] = D(SC_MAP, NA, NA, NA, NA, NA, NA),
	/* mprotect with a protection key: the same change of a mapping */
	[__NR_pkey_mprotect] = D(SC_MAP, NA, NA, NA, NA, NA, NA),
	[__NR_unlink] = D(SC_FS, NA, 0, NA, NA, NA, NA),
	[__NR_rmdir] = D(SC_FS, NA, 0, NA, NA, NA, NA),
	[__NR_mkdir] = D(SC_FS, NA, 0, NA, NA, NA, 1),
	[__NR_chmod] = D(SC_FS, NA, 0, NA, NA, NA, 1),
	[__NR_chown] = D(SC_FS, NA, 0, NA, NA, NA, NA),
	[__NR_lchown] = D(SC_FS, NA, 0, NA, NA, NA, NA),
	[__NR_truncate] = D(SC_FS, NA, 0, NA, NA, NA, NA),
	[__NR_unlinkat] = D(SC_FS, 0, 1, NA, NA, 2, NA),
	[__NR_mkdirat] = D(SC_FS, 0, 1, NA, NA, NA, 2),
	[__NR_fchmodat] = D(SC_FS, 0, 1, NA, NA, NA, 2),
	[__NR_fchownat] = D(SC_FS, 0, 1, NA, NA, 4, NA),
	[__NR_rename] = D(SC_FS, NA, 0, NA, 1, NA, NA),
	[__NR_link] = D(SC_FS, NA, 0, NA, 1, NA, NA),
	[__NR_symlink] = D(SC_FS, NA, 0, NA, 1, NA, NA),
	[__NR_renameat] = D2(SC_FS, 0, 1, NA, 3, NA, NA, 2),
	[__NR_renameat2] = D2(SC_FS, 0, 1, NA, 3, 4, NA, 2),
	[__NR_linkat] = D2(SC_FS, 0, 1, NA, 3, 4, NA, 2),
	[__NR_symlinkat] = D2(SC_FS, NA, 0, NA, 2, NA, NA, 1),
	[__NR_fchmod] = D(SC_FS, NA, NA, 0, NA, NA, 1),
	[__NR_mknod] = D(SC_FS, NA, 0, NA, NA, NA, 1),
	[__NR_mknodat] = D(SC_FS, 0, 1, NA, NA, NA, 2),
	[__NR_utimes] = D(SC_FS, NA, 0, NA, NA, NA, NA),
	[__NR_utimensat] = D(SC_FS, 0, 1, NA, NA, 3, NA),
	[452] = D(SC_FS, 0, 1, NA, NA, 3, 2), /* fchmodat2 */
	[__NR_fchown] = D(SC_FS, NA, NA, 0, NA, NA, NA),
	[__NR_ftruncate] = D(SC_FS, NA, NA, 0, NA, NA, NA),
	[__NR_io_uring_setup] = SENS,
	[__NR_io_uring_enter] = SENS,
	[__NR_io_uring_register] = SENS,
	[__NR_bpf] = SENS,
	[__NR_unshare] = SENS,
	[__NR_setns] = SENS,
	[__NR_mount] = SENS,
	[__NR_umount2] = SENS,
	[__NR_pivot_root] = SENS,
	[__NR_chroot] = SENS,
	[__NR_ptrace] = SENS,
	[__NR_process_vm_readv] = SENS,
	[__NR_process_vm_writev] = SENS,
	[__NR_perf_event_open] = SENS,
	[__NR_init_module] = SENS,
	[__NR_finit_module] = SENS,
	[__NR_kexec_load] = SENS,
	[__NR_kexec_file_load] = SENS,
	[__NR_userfaultfd] = SENS,
	/* System V shared memory attached with SHM_EXEC is executable memory
	 * that neither mmap nor mprotect made */
	[__NR_shmat] = SENS,
	[__NR_keyctl] = SENS,
	[__NR_add_key] = SENS,
	[__NR_request_key] = SENS,
	[__NR_open_by_handle_at] = SENS,
	[__NR_memfd_create] = SENS,
	[__NR_seccomp] = SENS,
	[__NR_setuid] = SENS,
	[__NR_setgid] = SENS,
	[__NR_setresuid] = SENS,
	[__NR_setresgid] = SENS,
	[__NR_capset] = SENS,
};

static __always_inline __u32 desc_of(long id)
{
	return id >= 0 && id < SYSDESC_N ? sysdesc[id & (SYSDESC_N - 1)] : 0;
}

static __always_inline bool refused(long ret)
{
	return ret == -EPERM_ || ret == -ENOSYS_;
}

/* ---- resolving paths -------------------------------------------------------- */

/* State of one path walk, shared with its bpf_loop() step (one copy of the
 * step is verified, however many places walk). */
struct walk_ctx {
	char *buf;
	struct dentry *d, *root_d;
	struct vfsmount *vm, *root_m;
	struct mount *m;
	__u32 off, fl;
	const unsigned char *anon; /* a pseudo file's own name */
};

static long walk_step(__u64 i, void *data)
{
	struct walk_ctx *c = data;
	struct dentry *parent, *d = c->d;
	struct vfsmount *vm = c->vm;
	struct mount *m = c->m, *pm;
	const unsigned char *name;
	__u32 len, seq, off = c->off;
	char *buf = c->buf;

	if (d == c->root_d && vm == c->root_m)
		return 1;
	if (d == vm->mnt_root) { /* top of this mount: continue on the one below */
		pm = m->mnt_parent;
		if (!pm || pm == m) {
			c->fl |= PROBE_F_OUTSIDE_ROOT;
			return 1;
		}
		c->d = m->mnt_mountpoint;
		c->m = pm;
		c->vm = &pm->mnt;
		return 0;
	}
	/* a rename moves a dentry inside a d_seq write section: an odd or
	 * changed count around the reads means the name or parent may be torn */
	seq = *(volatile __u32 *)&d->d_seq.seqcount.sequence;
	parent = d->d_parent;
	len = d->d_name.len;
	name = d->d_name.name;
	if (!parent || parent == d) { /* a pseudo file (memfd, pipe) or a detached tree */
		if (off == MASK)
			c->anon = name;
		else
			c->fl |= PROBE_F_OUTSIDE_ROOT;
		return 1;
	}
	if (len == 0 || len + 1 > off) {
		c->fl |= PROBE_F_PATH_TRUNC;
		return 1;
	}
	off -= len;
	off &= MASK;
	if (bpf_probe_read_kernel(buf + off, len & MASK, name)) {
		c->fl |= PROBE_F_UNREADABLE;
		return 1;
	}
	if ((seq & 1) || *(volatile __u32 *)&d->d_seq.seqcount.sequence != seq) {
		c->fl |= PROBE_F_UNREADABLE | PROBE_F_RACED;
		return 1;
	}
	off -= 1;
	off &= MASK;
	buf[off] = '/';
	c->off = off;
	c->d = parent;
	if (i == WALK_STEPS - 1)
		c->fl |= PROBE_F_PATH_TRUNC; /* too deep */
	return 0;
}

/* Where walk_path() writes its result in struct task_state. */
enum walk_dst { W_CWD, W_PATH, W_EXEC, W_BASE2 };

/*
 * The path of (@dentry, @mnt) as the current task sees it: walk d_parent up
 * to the top of each mount, cross to the mount it sits on (mnt_mountpoint,
 * mnt_parent), stop at the task's root. This is what d_path() does; BPF may
 * not call bpf_d_path() from a tracepoint. Names are written right to left
 * into s->wbuf (twice a path long, so the verifier can prove every write in
 * bounds), the result into the buffer @dst names. Returns PROBE_F_* flags:
 * PATH_TRUNC (too long or too deep; the tail is kept), OUTSIDE_ROOT (not
 * under the task's root), ANON (a pseudo file: its own name, "memfd:x").
 * A global function: verified once, whatever the number of callers.
 */
__noinline int walk_path(struct task_state *s, __u64 dentry, __u64 mnt, int dst)
{
	struct task_struct *t = plain_task(bpf_get_current_task_btf());
	struct walk_ctx c = {};
	char *out;

	if (!s)
		return 0;
	out = dst == W_CWD     ? s->cwd
	      : dst == W_EXEC  ? s->rec.e.path
	      : dst == W_BASE2 ? s->rec.p.base2
			       : s->rec.p.path;
	out[0] = '\0';
	if (!dentry || !mnt)
		return PROBE_F_UNREADABLE;
	c.buf = s->wbuf;
	c.d = bpf_rdonly_cast((void *)dentry, kid_dentry);
	c.vm = bpf_rdonly_cast((void *)mnt, kid_vfsmount);
	c.m = bpf_rdonly_cast((void *)(mnt - bpf_core_field_offset(struct mount, mnt)), kid_mount);
	c.root_d = t->fs->root.dentry;
	c.root_m = t->fs->root.mnt;
	c.off = MASK;
	s->wbuf[MASK] = '\0';
	bpf_loop(WALK_STEPS, walk_step, &c, 0);
	if (c.anon) {
		bpf_probe_read_kernel_str(out, PROBE_PATH_MAX, c.anon);
		return PROBE_F_ANON;
	}
	if (c.fl & PROBE_F_UNREADABLE)
		return c.fl;
	if (c.off == MASK) { /* the root itself */
		c.off--;
		s->wbuf[c.off & MASK] = '/';
	} else if (c.fl & PROBE_F_PATH_TRUNC) {
		c.off++; /* a cut path keeps its tail without the leading '/':
			  * it can never be taken for a whole absolute path */
	}
	bpf_probe_read_kernel_str(out, PROBE_PATH_MAX, s->wbuf + (c.off & MASK));
	return c.fl;
}

static __always_inline __u32 walk_file(struct task_state *s, struct file *f, int dst)
{
	struct {
		__u64 mnt, dentry;
	} fp; /* struct path, as plain numbers */

	if (!f || bpf_probe_read_kernel(&fp, sizeof(fp), &f->f_path))
		return walk_path(s, 0, 0, dst);
	return walk_path(s, fp.dentry, fp.mnt, dst);
}

/* The file behind fd @fd of the current task, or NULL. */
static __always_inline struct file *fd_file(__u64 fd)
{
	struct task_struct *t = plain_task(bpf_get_current_task_btf());
	struct fdtable *fdt = t->files->fdt;
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]))
		return NULL;
	return f;
}

/* memfd or unlinked: what the file is, beyond its path. */
static __always_inline __u32 file_kind(struct file *f)
{
	char pre[8] = {};
	const unsigned char *name;
	__u32 fl = 0;

	if (!f)
		return 0;
	if (BPF_CORE_READ(f, f_inode, __i_nlink) == 0)
		fl |= PROBE_F_ANON;
	name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	if (name && bpf_probe_read_kernel(pre, 6, name) == 0 && pre[0] == 'm' && pre[1] == 'e' &&
	    pre[2] == 'm' && pre[3] == 'f' && pre[4] == 'd' && pre[5] == ':')
		fl |= PROBE_F_MEMFD | PROBE_F_ANON;
	return fl;
}

/* Is the file (or a directory above it, in its filesystem) watched? */
struct watch_ctx {
	struct probe_watch_key k;
	struct dentry *d;
	__u32 tag, hit;
};

static long watch_step(__u64 i, void *data)
{
	struct watch_ctx *c = data;
	struct dentry *parent;
	struct dentry *d = c->d;
	__u32 *v;

	c->k.ino = BPF_CORE_READ(d, d_inode, i_ino);
	v = bpf_map_lookup_elem(&watch, &c->k);
	if (v) {
		c->tag = *v;
		c->hit = 1;
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (!parent || parent == d)
		return 1;
	c->d = parent;
	return 0;
}

/* PROBE_F_WATCHED and the tag into the record's head, when the file is watched. */
__noinline int watched(struct task_state *s, __u64 file)
{
	struct file *f = (struct file *)file;
	struct watch_ctx c = {};
	struct dentry *d;

	if (!s || !watch_count || !f)
		return 0;
	d = BPF_CORE_READ(f, f_path.dentry);
	if (!d)
		return 0;
	c.d = d;
	c.k.dev = BPF_CORE_READ(d, d_sb, s_dev);
	bpf_loop(WATCH_DEPTH, watch_step, &c, 0);
	if (!c.hit)
		return 0;
	s->rec.h.watch_tag = c.tag;
	s->rec.h.eflags |= PROBE_F_WATCHED;
	return 1;
}

/* ---- the common head ------------------------------------------------------ */

#define NR_TID(nr, tid) (((__u64)(tid) << 32) | (__u32)(nr))

/*
 * Fill s->rec.h for the current task (pod-view thread id and syscall number
 * packed in @nr_tid): identity, exec ids, uid, comm, cwd (walked only when
 * fs->pwd changed). The arguments are left as they are.
 */
__noinline int fill_hdr(struct task_state *s, __u32 kind, __u64 nr_tid)
{
	struct task_struct *t = plain_task(bpf_get_current_task_btf());
	struct task_struct *leader;
	struct probe_hdr *h;
	struct {
		__u64 mnt, dentry;
	} pwd;
	__u64 gen, root;
	__u32 pid = 0;

	if (!s)
		return 0;
	h = &s->rec.h;
	h->kind = kind;
	h->eflags = 0;
	h->nr = (int)(__u32)nr_tid;
	h->ret = 0;
	h->ts = 0;
	h->tid = nr_tid >> 32;
	leader = t->group_leader;
	if (!leader || !pod_view(leader, &pid))
		pid = 0;
	h->pid = pid;
	h->host_pid = t->tgid;
	h->uid = t->cred->uid.val;
	h->euid = t->cred->euid.val;
	h->restarts = 0;
	h->watch_tag = 0;
	if (!s->exec_id)
		s->exec_id = __sync_fetch_and_add(&next_exec_id, 1) + 1;
	h->exec_id = s->exec_id;
	h->parent_exec_id = s->parent_exec_id;
	__builtin_memcpy(h->comm, t->comm, PROBE_COMM_LEN);
	/* struct path as plain numbers (a global function takes no kernel pointer) */
	if (bpf_probe_read_kernel(&pwd, sizeof(pwd), &t->fs->pwd))
		pwd.mnt = pwd.dentry = 0;
	gen = path_gen;
	root = (__u64)t->fs->root.dentry;
	if (pwd.dentry != s->cwd_dentry || pwd.mnt != s->cwd_mnt || gen != s->cwd_gen ||
	    root != s->cwd_root) {
		s->cwd_flags = walk_path(s, pwd.dentry, pwd.mnt, W_CWD);
		s->cwd_dentry = pwd.dentry;
		s->cwd_mnt = pwd.mnt;
		s->cwd_gen = gen;
		s->cwd_root = root;
	}
	__builtin_memcpy(h->cwd, s->cwd, PROBE_PATH_MAX);
	if (s->cwd_flags & (PROBE_F_PATH_TRUNC | PROBE_F_UNREADABLE | PROBE_F_OUTSIDE_ROOT))
		h->eflags |= PROBE_F_CWD_TRUNC;
	return 0;
}

static __always_inline void read_args(struct pt_regs *regs, __u64 *a, bool compat)
{
	if (compat) { /* i386 syscall ABI */
		a[0] = (__u32)regs->bx;
		a[1] = (__u32)regs->cx;
		a[2] = (__u32)regs->dx;
		a[3] = (__u32)regs->si;
		a[4] = (__u32)regs->di;
		a[5] = (__u32)regs->bp;
		return;
	}
	a[0] = regs->di;
	a[1] = regs->si;
	a[2] = regs->dx;
	a[3] = regs->r10;
	a[4] = regs->r8;
	a[5] = regs->r9;
}

/* A user string; at syscall exit the kernel has read it, so it is resident. */
/* Returns the bytes used in @dst, its NUL included (1 for ""). */
static __always_inline __u32 read_str(struct probe_hdr *h, char *dst, __u64 src)
{
	long n;

	dst[0] = '\0';
	if (!src)
		return 1;
	n = bpf_probe_read_user_str(dst, PROBE_PATH_MAX, (const char *)src);
	if (n <= 0) {
		dst[0] = '\0';
		h->eflags |= PROBE_F_UNREADABLE;
		return 1;
	}
	if (n == PROBE_PATH_MAX)
		h->eflags |= PROBE_F_PATH_TRUNC;
	return n;
}

/* Argument @i (0-5) of the record's arguments. No branch: an index of NA
 * (never used) reads a later field of the head, still inside the record. */
static __always_inline __u64 arg_at(const __u64 *a, __u32 i)
{
	return a[i & 7];
}

/* ---- emitting ------------------------------------------------------------- */

/*
 * Wake-up batching. Waking the reader is an interrupt plus a scheduler wake-up
 * on another CPU: done for every record it costs more than the record itself.
 * Wake it when it was not woken for wake_interval_ns (so an isolated record is
 * seen at once) or when wake_bytes wait (so a burst cannot fill the ring);
 * otherwise leave the record for the next wake-up. The tail of a burst waits
 * for the reader's periodic sysaudit_consume() (see sysaudit.h).
 */
static __always_inline __u64 wake_flag(__u64 now)
{
	if (now - last_wake_ns >= wake_interval_ns ||
	    bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wake_bytes) {
		last_wake_ns = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/* Send s->rec with result @ret; a full ring is counted by kind. */
__noinline int emit(struct task_state *s, long ret)
{
	__u64 now = bpf_ktime_get_ns(), flags;
	union probe_any *e;
	__u32 kind, len;
	long rc;

	if (!s)
		return 0;
	e = &s->rec;
	flags = wake_flag(now);
	kind = e->h.kind;
	e->h.ret = ret;
	e->h.ts = now;
	switch (kind) {
	case PROBE_EXEC: /* up to the end of the argument bytes captured */
		len = e->e.args_len;
		if (len > PROBE_ARGS_BYTES + PROBE_ARG_MAX)
			len = PROBE_ARGS_BYTES + PROBE_ARG_MAX;
		rc = bpf_ringbuf_output(&rb, e, PROBE_EXEC_ARGS + len, flags);
		break;
	case PROBE_CONNECT:
	case PROBE_NET:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_connect), flags);
		break;
	case PROBE_SYSCALL:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_sys), flags);
		break;
	case PROBE_FORK:
	case PROBE_EXIT:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_task), flags);
		break;
	case PROBE_OPEN:
	case PROBE_MMAP:
	case PROBE_MPROTECT: /* one path argument, sent up to its NUL: raw2 is not sent */
		len = s->raw_len;
		if (len < 1 || len > PROBE_PATH_MAX)
			len = PROBE_PATH_MAX;
		rc = bpf_ringbuf_output(&rb, e, PROBE_PATH_RAW + len, flags);
		break;
	default:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_path), flags);
		break;
	}
	if (rc)
		count_lost(kind < PROBE_LOST_SLOTS ? kind : PROBE_LOST_SLOTS - 1);
	return 0;
}

/* ---- records, built at syscall exit (s->rec.h.args already set) ----------- */

/* open, openat, openat2, creat: the file from the new descriptor. */
__noinline int rec_open(struct task_state *s, long id, long ret, __u32 tid, __u32 desc)
{
	__u64 how[2] = {}; /* struct open_how: flags, mode, resolve */
	struct probe_path *o;
	__u64 *a, dfd;
	struct file *f;

	if (!s)
		return 0;
	o = &s->rec.p;
	fill_hdr(s, PROBE_OPEN, NR_TID(id, tid));
	a = o->h.args;
	o->prot = 0;
	o->raw2[0] = '\0';
	o->flags = D_FLAGS(desc) != NA ? (__s64)(int)arg_at(a, D_FLAGS(desc)) : CREAT_FLAGS;
	o->mode = D_MODE(desc) != NA ? (__u32)arg_at(a, D_MODE(desc)) : 0;
	if (id == __NR_openat2 && !bpf_probe_read_user(how, sizeof(how), (const void *)a[2])) {
		o->flags = how[0];
		o->mode = how[1];
	}
	dfd = D_DFD(desc) != NA ? arg_at(a, D_DFD(desc)) : (__u64)(long)AT_FDCWD_VAL;
	s->raw_len = read_str(&o->h, o->raw, arg_at(a, D_PATH(desc)));
	o->path[0] = '\0';
	if (ret >= 0) { /* the file the kernel opened: the new descriptor */
		f = fd_file(ret);
		o->h.eflags |= PROBE_F_RESOLVED | walk_file(s, f, W_PATH);
		watched(s, (__u64)f);
	} else if (o->raw[0] != '/' && (int)dfd != AT_FDCWD_VAL) {
		o->h.eflags |= PROBE_F_DIRBASE | walk_file(s, fd_file((__u32)dfd), W_PATH);
	}
	return 0;
}

/* unlink, rename, chmod, truncate, ...: paths as passed, the descriptor or the
 * dirfd resolved. */
__noinline int rec_fs_change(struct task_state *s, long id, __u32 tid, __u32 desc)
{
	struct probe_path *o;
	__u64 *g;

	if (!s)
		return 0;
	o = &s->rec.p;
	fill_hdr(s, PROBE_FSCHANGE, NR_TID(id, tid));
	g = o->h.args;
	o->prot = 0;
	o->flags = D_FLAGS(desc) != NA ? (__s64)arg_at(g, D_FLAGS(desc)) : 0;
	o->mode = D_MODE(desc) != NA ? (__u32)arg_at(g, D_MODE(desc)) : 0;
	o->path[0] = '\0';
	o->raw[0] = '\0';
	o->raw2[0] = '\0';
	if (D_PATH(desc) != NA)
		read_str(&o->h, o->raw, arg_at(g, D_PATH(desc)));
	o->fl2 = 0;
	o->base2[0] = '\0';
	if (D_PATH2(desc) != NA)
		read_str(&o->h, o->raw2, arg_at(g, D_PATH2(desc)));
	/* the second path (rename's new name, link's new link, symlink's link):
	 * a relative one is relative to its own dirfd, walked like the first's */
	if (D_DFD2(desc) != NA && o->raw2[0] && o->raw2[0] != '/' &&
	    (int)arg_at(g, D_DFD2(desc)) != AT_FDCWD_VAL)
		o->fl2 = PROBE_F_DIRBASE |
			 walk_file(s, fd_file((__u32)arg_at(g, D_DFD2(desc))), W_BASE2);
	if (D_FD(desc) != NA) {
		o->h.eflags |=
		    PROBE_F_RESOLVED | walk_file(s, fd_file((__u32)arg_at(g, D_FD(desc))), W_PATH);
	} else if (D_DFD(desc) != NA && o->raw[0] != '/' &&
		   (int)arg_at(g, D_DFD(desc)) != AT_FDCWD_VAL) {
		o->h.eflags |=
		    PROBE_F_DIRBASE | walk_file(s, fd_file((__u32)arg_at(g, D_DFD(desc))), W_PATH);
	}
	return 0;
}

/* A sockaddr from pod memory (@len bytes at @src) into c->sa. */
static __always_inline void read_sockaddr(struct probe_connect *c, __u64 src, __u32 len)
{
	if (len > PROBE_SA_MAX)
		len = PROBE_SA_MAX;
	c->sa_len = 0;
	if (!src || !len)
		return;
	if (bpf_probe_read_user(c->sa, len & (PROBE_SA_MAX * 2 - 1), (const void *)src)) {
		c->h.eflags |= PROBE_F_UNREADABLE;
		return;
	}
	c->sa_len = len;
}

/* connect, sendto/sendmsg/sendmmsg with an address, bind, listen, accept.
 * Returns 0 when there is nothing to report (a send without an address). */
__noinline int rec_net(struct task_state *s, long id, long ret, __u32 tid)
{
	struct probe_connect *c;
	__u64 a[6], hdr[2] = {};
	__u32 len = 0;

	if (!s)
		return 0;
	c = &s->rec.c;
	__builtin_memcpy(a, c->h.args, sizeof(a));
	if (id == __NR_sendto && !a[4])
		return 0; /* a connected socket: connect reported it */
	if ((id == __NR_sendmsg || id == __NR_sendmmsg) &&
	    (bpf_probe_read_user(hdr, sizeof(hdr), (const void *)a[1]) || !hdr[0]))
		return 0;
	fill_hdr(s, id == __NR_connect ? PROBE_CONNECT : PROBE_NET, NR_TID(id, tid));
	c->sa_len = 0;
	if (id == __NR_connect || id == __NR_bind)
		read_sockaddr(c, a[1], (__u32)a[2]);
	else if (id == __NR_sendto)
		read_sockaddr(c, a[4], (__u32)a[5]);
	else if (id == __NR_sendmsg || id == __NR_sendmmsg)
		read_sockaddr(c, hdr[0], (__u32)hdr[1]);
	else if ((id == __NR_accept || id == __NR_accept4) && ret >= 0 && a[1] && a[2] &&
		 !bpf_probe_read_user(&len, sizeof(len), (const void *)a[2]))
		read_sockaddr(c, a[1], len); /* the peer the kernel wrote */
	return 1;
}

/* Executable mappings: the file from the VMA, named as the pod sees it. */
struct vma_ctx {
	struct file *file;
};

static long vma_file_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *ctx = data;

	ctx->file = BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* mmap, mprotect or pkey_mprotect with PROT_EXEC (the protection is the
 * third argument of all three). Returns 0 when the call asked for no PROT_EXEC. */
__noinline int rec_map(struct task_state *s, long id, long ret, __u32 tid)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct vma_ctx vc = {};
	const unsigned char *name;
	struct probe_path *m;
	struct file *file;
	__u32 fl;

	if (!s)
		return 0;
	m = &s->rec.p;
	if (!(m->h.args[2] & PROT_EXEC_BIT))
		return 0;
	fill_hdr(s, id == __NR_mmap ? PROBE_MMAP : PROBE_MPROTECT, NR_TID(id, tid));
	m->mode = 0;
	m->path[0] = '\0';
	m->raw[0] = '\0';
	s->raw_len = 1;
	m->raw2[0] = '\0';
	m->prot = m->h.args[2];
	m->flags = id == __NR_mmap ? m->h.args[3] : 0;
	/* mmap: the mapping made (at the result); mprotect: the one changed */
	if (id == __NR_mmap ? ret >= 0 && (ret & 0xfff) == 0 : ret == 0)
		bpf_find_vma(t, id == __NR_mmap ? (__u64)ret : m->h.args[0], vma_file_cb, &vc, 0);
	file = vc.file;
	if (!file)
		return 1;
	fl = walk_file(s, file, W_PATH);
	m->h.eflags |= PROBE_F_RESOLVED | fl | file_kind(file);
	if (fl & PROBE_F_UNREADABLE) {
		name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
		if (name && bpf_probe_read_kernel_str(m->path, PROBE_PATH_MAX, name) > 0)
			m->h.eflags |= PROBE_F_BASENAME;
	}
	return 1;
}

/*
 * A failed exec, from the caller's registers (a successful one is reported by
 * task_exec from the new image). Argument i is read into its own slot of
 * PROBE_SLOT bytes (cut: bit i of `cut`), for the first PROBE_SLOTS of them
 * (4 KiB in all); the pointers are followed up to PROBE_ARGV_SCAN to count
 * them. Fixed slots keep the verifier's work small: no running offset.
 */
struct argv_ctx {
	struct probe_exec *e;
	const char *const *argv;
};

static long argv_step(__u64 i, void *data)
{
	struct argv_ctx *c = data;
	struct probe_exec *e = c->e;
	const char *arg = NULL;
	long n;

	if (bpf_probe_read_user(&arg, sizeof(arg), &c->argv[i])) {
		e->h.eflags |= PROBE_F_UNREADABLE;
		return 1;
	}
	if (!arg)
		return 1;
	e->argc = i + 1;
	if (i >= PROBE_SLOTS) {
		e->h.eflags |= PROBE_F_ARGV_TRUNC;
		return 0;
	}
	n = bpf_probe_read_user_str(e->args + (i & (PROBE_SLOTS - 1)) * PROBE_SLOT, PROBE_SLOT,
				    arg);
	if (n <= 0) {
		e->h.eflags |= PROBE_F_UNREADABLE;
		return 1;
	}
	if (n == PROBE_SLOT)
		e->cut |= 1u << (i & (PROBE_SLOTS - 1));
	return 0;
}

__noinline int rec_exec_failed(struct task_state *s, long id, __u32 tid)
{
	struct argv_ctx c = {};
	struct probe_exec *e;

	if (!s)
		return 0;
	e = &s->rec.e;
	fill_hdr(s, PROBE_EXEC, NR_TID(id, tid));
	e->path[0] = '\0';
	e->cut = 0;
	e->argc = 0;
	e->args_len = 0;
	/* execve(path, argv, envp); execveat(dirfd, path, argv, envp, flags) */
	read_str(&e->h, e->filename, e->h.args[id == __NR_execve ? 0 : 1]);
	c.e = e;
	c.argv = (const char *const *)e->h.args[id == __NR_execve ? 1 : 2];
	if (c.argv)
		bpf_loop(PROBE_ARGV_SCAN, argv_step, &c, 0);
	e->args_len = (e->argc < PROBE_SLOTS ? e->argc : PROBE_SLOTS) * PROBE_SLOT;
	return 0;
}

/* Could this exit give a record? From the number and result alone: cheap. */
static __always_inline bool may_build(long id, long ret, bool compat)
{
	return compat || mode == PROBE_MODE_ALL || D_CLASS(desc_of(id)) != SC_NONE || refused(ret);
}

/* FS report mode, before any work: a refused open or file change, or a
 * successful one while files are watched. */
static __always_inline bool fs_report_candidate(long id, long ret)
{
	__u32 cls = D_CLASS(desc_of(id));

	if (cls != SC_OPEN && cls != SC_FS)
		return false;
	if (ret >= 0)
		return watch_count != 0;
	/* EBUSY, EXDEV: a file change the mount plan refused (a protected mount point) */
	return ret == -EACCES_ || ret == -EPERM_ || ret == -EROFS_ || ret == -ENOENT_ ||
	       (cls == SC_FS && (ret == -EBUSY_ || ret == -EXDEV_));
}

/* Build the record of a syscall that is worth one. 0: nothing to send. */
__noinline int build(struct task_state *s, long id, long ret, __u32 tid, int compat)
{
	__u32 desc = compat ? 0 : desc_of(id);

	if (!s)
		return 0;
	switch (compat ? SC_SENS + 1 : D_CLASS(desc)) {
	case SC_EXEC:
		return rec_exec_failed(s, id, tid) == 0; /* success is task_exec's */
	case SC_OPEN:
		return rec_open(s, id, ret, tid, desc) == 0;
	case SC_NET:
		return rec_net(s, id, ret, tid);
	case SC_MAP:
		if (rec_map(s, id, ret, tid))
			return 1;
		break;
	case SC_FS:
		return rec_fs_change(s, id, tid, desc) == 0;
	}
	if (compat || mode == PROBE_MODE_ALL || D_CLASS(desc) == SC_SENS || refused(ret)) {
		/* a 32-bit call is always reported: a known way to hide calls */
		fill_hdr(s, PROBE_SYSCALL, NR_TID(id, tid));
		if (compat)
			s->rec.h.eflags |= PROBE_F_COMPAT;
		return 1;
	}
	return 0;
}

/* FS report mode: only refused file access and watched files go out. */
static __always_inline bool fsreport_keep(const union probe_any *r, long ret)
{
	if (r->h.kind != PROBE_OPEN && r->h.kind != PROBE_FSCHANGE)
		return false;
	if (r->h.eflags & PROBE_F_WATCHED)
		return true;
	return ret == -EACCES_ || ret == -EPERM_ || ret == -EROFS_ || ret == -ENOENT_ ||
	       (r->h.kind == PROBE_FSCHANGE && (ret == -EBUSY_ || ret == -EXDEV_));
}

/* Calls after which a cached path may name an old place. */
static __always_inline bool moves_paths(long id)
{
	return id == __NR_rename || id == __NR_renameat || id == __NR_renameat2 ||
	       id == __NR_mount || id == __NR_umount2 || id == __NR_pivot_root ||
	       id == __NR_chroot || id == __NR_move_mount;
}

static __always_inline bool is_restart(long ret)
{
	return ret == -ERESTARTSYS_ || ret == -ERESTARTNOINTR_ || ret == -ERESTARTNOHAND_ ||
	       ret == -ERESTART_RESTARTBLOCK_;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	long id = regs->orig_ax;
	struct task_state *s = NULL;
	bool compat;
	__u32 tid;

	/* 1. only the pod */
	if (!pod_view(t, &tid))
		return 0;
	compat = is_compat(t);
	/* a successful exec comes back as execve (or the i386 execve) whatever
	 * the call was: count and send what task_exec recorded */
	if (ret == 0 && (id == __NR_execve || (compat && id == I386_EXECVE)) &&
	    (s = state_of(t, false)) && s->exec_seen) {
		count_syscall(s->exec_nr, false);
		s->exec_seen = 0;
		if (compat)
			s->rec.h.eflags |= PROBE_F_IMAGE32;
		emit(s, ret);
		return 0;
	}
	/* 2. count */
	count_syscall(id, compat);
	if (mode == PROBE_MODE_COUNTERS)
		return 0;
	if (ret == 0 && !compat && moves_paths(id))
		__sync_fetch_and_add(&path_gen, 1);
	/* 3. detailed: build the record now that the call is done. Most calls
	 * give none: decide that before touching the task's storage. */
	if (mode == PROBE_MODE_FSREPORT) {
		if (compat || !fs_report_candidate(id, ret))
			return 0;
	} else if (!may_build(id, ret, compat)) {
		return 0;
	}
	if (!s)
		s = state_of(t, true);
	if (!s)
		return 0;
	if (s->held) { /* the call before was interrupted: restarted now, or not */
		if (s->rec.h.nr == id || id == __NR_restart_syscall) {
			s->held = 0;
			s->restarts++;
		} else if (id == __NR_rt_sigreturn) {
			/* the handler's sigreturn comes before the restart: keep holding */
			return 0;
		} else { /* another recorded call: the interrupted one ended (EINTR) */
			s->held = 0;
			s->rec.h.eflags |= PROBE_F_INTERRUPTED;
			s->rec.h.restarts = s->restarts;
			s->restarts = 0;
			emit(s, -4);
		}
	}
	read_args(regs, s->rec.h.args, compat);
	if (!build(s, id, ret, tid, compat)) {
		s->restarts = 0;
		return 0;
	}
	if (is_restart(ret)) { /* it will be restarted (or end as EINTR): hold it */
		s->held = 1;
		return 0;
	}
	if (mode == PROBE_MODE_FSREPORT && !fsreport_keep(&s->rec, ret)) {
		s->restarts = 0;
		return 0;
	}
	s->rec.h.restarts = s->restarts;
	s->restarts = 0;
	emit(s, ret);
	return 0;
}

/*
 * A successful exec, seen from inside the new image: the file the kernel
 * loaded (bprm->file, resolved as the pod sees it; for a #! script, the
 * interpreter), the name asked for (bprm->filename: "/dev/fd/N" when a
 * descriptor named it), the argument strings the kernel copied to the new
 * stack (no pod thread can change those any more) and the new comm. The
 * record waits in the task's state; sys_exit sends it with the result.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(task_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct task_state *s;
	struct probe_exec *x;
	struct file *f;
	unsigned long start, end, len;
	const char *fdpath;
	__u32 tid;

	if (mode == PROBE_MODE_COUNTERS || mode == PROBE_MODE_FSREPORT || !pod_view(p, &tid))
		return 0;
	s = state_of(p, true);
	if (!s)
		return 0;
	/* a new image: a new exec id, whose parent is the image it replaces */
	ensure_exec_id(s);
	s->parent_exec_id = s->exec_id;
	s->exec_id = __sync_fetch_and_add(&next_exec_id, 1) + 1;
	fdpath = BPF_CORE_READ(bprm, fdpath);
	s->exec_nr = fdpath ? __NR_execveat : __NR_execve;
	x = &s->rec.e;
	fill_hdr(s, PROBE_EXEC, NR_TID(s->exec_nr, tid));
	__builtin_memset(x->h.args, 0, sizeof(x->h.args));
	x->h.eflags |= PROBE_F_FROM_KERNEL;
	f = BPF_CORE_READ(bprm, file);
	x->h.eflags |= PROBE_F_RESOLVED | walk_file(s, f, W_EXEC) | file_kind(f);
	if (bpf_probe_read_kernel_str(x->filename, PROBE_PATH_MAX, BPF_CORE_READ(bprm, filename)) ==
	    PROBE_PATH_MAX)
		x->h.eflags |= PROBE_F_PATH_TRUNC;
	x->argc = BPF_CORE_READ(bprm, argc);
	x->cut = 0;
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > PROBE_ARGS_BYTES) {
		len = PROBE_ARGS_BYTES;
		x->h.eflags |= PROBE_F_ARGV_TRUNC;
	}
	x->args_len = 0;
	if (len && bpf_probe_read_user(x->args, len & (PROBE_ARGS_BYTES * 2 - 1) & 0x1fff,
				       (const void *)start) == 0)
		x->args_len = len;
	else if (len)
		x->h.eflags |= PROBE_F_UNREADABLE;
	s->exec_seen = 1;
	s->held = 0;
	s->restarts = 0;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(task_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_state *ps, *cs;
	struct probe_task *r;
	__u32 cpid, ptid = 0;

	if (!pod_view(child, &cpid))
		return 0;
	cs = state_of(child, true);
	ps = pod_view(parent, &ptid) ? state_of(parent, true) : NULL;
	if (!cs)
		return 0;
	if (ps)
		ensure_exec_id(ps);
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid)) {
		/* a thread: the same process image */
		cs->exec_id = ps ? ps->exec_id : 0;
		cs->parent_exec_id = ps ? ps->parent_exec_id : 0;
		return 0;
	}
	cs->exec_id = __sync_fetch_and_add(&next_exec_id, 1) + 1;
	cs->parent_exec_id = ps ? ps->exec_id : 0;
	if (!ps)
		ptid = 0; /* the runner created the pod's first process */
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_lost(PROBE_FORK);
		return 0;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->h.kind = PROBE_FORK;
	r->h.nr = -1;
	r->h.tid = ptid;
	if (ps) {
		struct task_struct *leader = plain_task(parent)->group_leader;
		__u32 pid = 0;

		if (leader && pod_view(leader, &pid))
			r->h.pid = pid;
		r->h.exec_id = ps->exec_id;
		r->h.parent_exec_id = ps->parent_exec_id;
		__builtin_memcpy(r->h.cwd, ps->cwd, PROBE_PATH_MAX);
	}
	r->h.host_pid = parent->tgid;
	r->h.uid = BPF_CORE_READ(parent, cred, uid.val);
	r->h.euid = BPF_CORE_READ(parent, cred, euid.val);
	__builtin_memcpy(r->h.comm, parent->comm, PROBE_COMM_LEN);
	r->h.ret = cpid;
	r->h.ts = bpf_ktime_get_ns();
	r->child_pid = cpid;
	r->child_exec_id = cs->exec_id;
	bpf_ringbuf_submit(r, wake_flag(r->h.ts));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(task_exit, struct task_struct *p)
{
	struct task_state *s;
	struct pt_regs *regs;
	long nr;
	__u32 tid;

	if (!pod_view(p, &tid))
		return 0;
	/* exit and exit_group never return through sys_exit: count them here,
	 * for the thread that called one (not for one killed by a signal or by
	 * another thread's exit_group: PF_SIGNALED) */
	if (!(p->flags & PF_SIGNALED_BIT)) {
		regs = (struct pt_regs *)bpf_task_pt_regs(p);
		nr = regs ? BPF_CORE_READ(regs, orig_ax) : -1;
		if (is_compat(p) ? nr == I386_EXIT || nr == I386_EXIT_GROUP
				 : nr == __NR_exit || nr == __NR_exit_group)
			count_syscall(nr, is_compat(p));
	}
	if (mode == PROBE_MODE_COUNTERS || mode == PROBE_MODE_FSREPORT)
		return 0;
	s = state_of(p, false);
	if (s && s->held) { /* interrupted, and the thread died before a restart */
		s->held = 0;
		s->rec.h.eflags |= PROBE_F_INTERRUPTED;
		s->rec.h.restarts = s->restarts;
		emit(s, -4);
	}
	/* Report the process once, when its last thread goes (signal->live is
	 * decremented in do_exit before this tracepoint fires). */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	s = state_of(p, true);
	if (!s)
		return 0;
	fill_hdr(s, PROBE_EXIT, NR_TID(-1, tid));
	__builtin_memset(s->rec.h.args, 0, sizeof(s->rec.h.args));
	s->rec.k.child_pid = 0;
	s->rec.k.child_exec_id = 0;
	s->rec.k.exit_status = BPF_CORE_READ(p, exit_code);
	last_wake_ns = 0; /* the end of a process: tell at once */
	emit(s, 0);
	return 0;
}

/* Test hook (autoload off unless sysaudit_opts.selftest_verifier_reject): a
 * program the verifier must refuse — it reads 8 bytes past the end of an
 * 8-byte map value. Lets the tests prove the verifier error path. */
SEC("tp_btf/sys_exit")
int BPF_PROG(selftest_reject, struct pt_regs *regs, long ret)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&lost, &zero);

	return c ? (int)c[1] : 0;
}
