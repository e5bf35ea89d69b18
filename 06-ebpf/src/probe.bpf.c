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
#define WALK_STEPS 40 /* path components plus mount crossings */
#define WATCH_DEPTH 16
#define MASK (PROBE_PATH_MAX - 1)

/* Load-time settings (rodata, frozen before the verifier runs: it prunes the
 * branches of the modes not in use). Written only by probe.c before load. */
const volatile __u32 target_ns_ino = 0; /* inode of the pod's pid namespace */
const volatile __u32 target_level = 0;  /* its depth (0 = initial namespace) */
const volatile __u32 mode = PROBE_MODE_COUNTERS;
const volatile __u64 wake_bytes = 1 << 18;      /* wake the reader at this much data */
const volatile __u64 wake_interval_ns = 5000000; /* ... or when it was not woken for this long */

/* When the reader was last woken (any CPU; a racy update only costs an extra
 * or a missing wake-up, never a lost record). */
__u64 last_wake_ns = 0;
/* Next exec id of this pod (each pod has its own object, so ids are per pod). */
__u64 next_exec_id = 0;
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
	__u64 exec_id;        /* the process image this task runs */
	__u64 parent_exec_id;
	__u64 cwd_dentry;     /* cwd cache: valid while fs->pwd is this pair */
	__u64 cwd_mnt;
	__u32 cwd_flags;
	__u32 exec_seen;      /* sched_process_exec filled rec.e: sys_exit sends it */
	__s32 exec_nr;        /* the syscall that exec'd (execve or execveat) */
	__u32 held;           /* rec holds a call that exited with -ERESTART* */
	__u32 restarts;       /* how many times it did */
	__u32 pad;
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
}

/*
 * Is task @t in the pod? If so, *nr = its id as the pod sees it.
 * Hot path: runs for every syscall on the machine. @t is a BTF pointer, so the
 * field reads below are plain loads the verifier guards (no helper calls).
 */
static __always_inline bool pod_view(struct task_struct *t, __u32 *nr)
{
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
	struct task_state *s = bpf_task_storage_get(&tstate, t, NULL,
						    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

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

/* ---- resolving paths -------------------------------------------------------- */

/* State of one path walk, shared with its bpf_loop() step (one copy of the
 * step is verified, however many places walk). */
struct walk_ctx {
	struct task_state *s;
	struct dentry *d, *root_d;
	struct vfsmount *vm, *root_m;
	struct mount *m;
	__u64 mnt_off;
	__u32 off, fl;
	const unsigned char *anon; /* a pseudo file's own name */
};

static long walk_step(__u64 i, void *data)
{
	struct walk_ctx *c = data;
	struct dentry *parent, *mroot, *d = c->d;
	struct vfsmount *vm = c->vm;
	struct mount *m = c->m, *pm;
	const unsigned char *name;
	__u32 len, off = c->off;

	if (d == c->root_d && vm == c->root_m)
		return 1;
	mroot = BPF_CORE_READ(vm, mnt_root);
	if (d == mroot) { /* top of this mount: continue on the one below */
		pm = BPF_CORE_READ(m, mnt_parent);
		if (!pm || pm == m) {
			c->fl |= PROBE_F_OUTSIDE_ROOT;
			return 1;
		}
		c->d = BPF_CORE_READ(m, mnt_mountpoint);
		c->m = pm;
		c->vm = (struct vfsmount *)((char *)pm + c->mnt_off);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
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
	if (bpf_probe_read_kernel(c->s->wbuf + off, len & MASK, name)) {
		c->fl |= PROBE_F_UNREADABLE;
		return 1;
	}
	off -= 1;
	off &= MASK;
	c->s->wbuf[off] = '/';
	c->off = off;
	c->d = parent;
	if (i == WALK_STEPS - 1)
		c->fl |= PROBE_F_PATH_TRUNC; /* too deep */
	return 0;
}

/*
 * The path of (@d, @vm) as task @t sees it, into @dst: walk d_parent up to the
 * top of each mount, cross to the mount it sits on (mnt_mountpoint,
 * mnt_parent), stop at the task's root. This is what d_path() does; BPF may
 * not call bpf_d_path() from a tracepoint. Names are written right to left into
 * s->wbuf (twice a path long, so the verifier can prove every write in bounds).
 * Returns PROBE_F_* flags: PATH_TRUNC (too long or too deep; @dst holds the
 * tail), OUTSIDE_ROOT (the file is not under the task's root), ANON (a
 * pseudo file: @dst holds its name, e.g. "memfd:x").
 */
static __noinline __u32 walk_path(struct task_state *s, struct task_struct *t, struct dentry *d,
				  struct vfsmount *vm, char *dst)
{
	struct walk_ctx c = {};

	dst[0] = '\0';
	if (!d || !vm)
		return PROBE_F_UNREADABLE;
	c.s = s;
	c.d = d;
	c.vm = vm;
	c.mnt_off = bpf_core_field_offset(struct mount, mnt);
	c.m = (struct mount *)((char *)vm - c.mnt_off);
	c.root_d = BPF_CORE_READ(t, fs, root.dentry);
	c.root_m = BPF_CORE_READ(t, fs, root.mnt);
	c.off = MASK;
	s->wbuf[MASK] = '\0';
	bpf_loop(WALK_STEPS, walk_step, &c, 0);
	if (c.anon) {
		bpf_probe_read_kernel_str(dst, PROBE_PATH_MAX, c.anon);
		return PROBE_F_ANON;
	}
	if (c.fl & PROBE_F_UNREADABLE)
		return c.fl;
	if (c.off == MASK) { /* the root itself */
		c.off--;
		s->wbuf[c.off & MASK] = '/';
	}
	bpf_probe_read_kernel_str(dst, PROBE_PATH_MAX, s->wbuf + (c.off & MASK));
	return c.fl;
}

static __always_inline __u32 walk_file(struct task_state *s, struct task_struct *t,
				       struct file *f, char *dst)
{
	if (!f) {
		dst[0] = '\0';
		return PROBE_F_UNREADABLE;
	}
	return walk_path(s, t, BPF_CORE_READ(f, f_path.dentry), BPF_CORE_READ(f, f_path.mnt), dst);
}

/* The file behind fd @fd of task @t, or NULL. */
static __always_inline struct file *fd_file(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
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
	__u32 *v;

	struct dentry *d = c->d;

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

static __noinline __u32 watched(struct file *f, __u32 *tag)
{
	struct watch_ctx c = {};

	if (!watch_count || !f)
		return 0;
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);

	if (!d)
		return 0;
	c.d = d;
	c.k.dev = BPF_CORE_READ(d, d_sb, s_dev);
	bpf_loop(WATCH_DEPTH, watch_step, &c, 0);
	if (!c.hit)
		return 0;
	*tag = c.tag;
	return PROBE_F_WATCHED;
}

/* The task's cwd into h->cwd, walked only when fs->pwd changed. */
static __always_inline void fill_cwd(struct task_state *s, struct task_struct *t,
				     struct probe_hdr *h)
{
	struct dentry *d = BPF_CORE_READ(t, fs, pwd.dentry);
	struct vfsmount *vm = BPF_CORE_READ(t, fs, pwd.mnt);

	if ((__u64)d != s->cwd_dentry || (__u64)vm != s->cwd_mnt) {
		s->cwd_flags = walk_path(s, t, d, vm, s->cwd);
		s->cwd_dentry = (__u64)d;
		s->cwd_mnt = (__u64)vm;
	}
	__builtin_memcpy(h->cwd, s->cwd, PROBE_PATH_MAX);
	if (s->cwd_flags & (PROBE_F_PATH_TRUNC | PROBE_F_UNREADABLE | PROBE_F_OUTSIDE_ROOT))
		h->eflags |= PROBE_F_CWD_TRUNC;
}

/* Fill the common head for task @t (pod-view thread id @tid). */
#define NR_TID(nr, tid) (((__u64)(tid) << 32) | (__u32)(nr))

static __noinline void fill_hdr(struct probe_hdr *h, struct task_state *s,
				struct task_struct *t, __u32 kind, __u64 nr_tid)
{
	long nr = (int)(__u32)nr_tid;
	__u32 tid = nr_tid >> 32;
	struct task_struct *leader = t->group_leader;
	__u32 pid = 0;

	h->kind = kind;
	h->eflags = 0;
	h->nr = nr;
	h->ret = 0;
	h->ts = 0;
	h->tid = tid;
	if (!leader || !pod_view(leader, &pid))
		pid = 0;
	h->pid = pid;
	h->host_pid = t->tgid;
	h->uid = BPF_CORE_READ(t, cred, uid.val);
	h->euid = BPF_CORE_READ(t, cred, euid.val);
	h->restarts = 0;
	h->watch_tag = 0;
	ensure_exec_id(s);
	h->exec_id = s->exec_id;
	h->parent_exec_id = s->parent_exec_id;
	/* comm is a 16-byte array in task_struct: two plain loads, no helper */
	__builtin_memcpy(h->comm, t->comm, PROBE_COMM_LEN);
	fill_cwd(s, t, h);
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
static __always_inline void read_str(struct probe_hdr *h, char *dst, __u64 src)
{
	long n;

	dst[0] = '\0';
	if (!src)
		return;
	n = bpf_probe_read_user_str(dst, PROBE_PATH_MAX, (const char *)src);
	if (n < 0) {
		dst[0] = '\0';
		h->eflags |= PROBE_F_UNREADABLE;
	} else if (n == PROBE_PATH_MAX) {
		h->eflags |= PROBE_F_PATH_TRUNC;
	}
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

static __always_inline void emit(union probe_any *e, long ret)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 flags = wake_flag(now);
	__u32 kind = e->h.kind;
	long rc;

	e->h.ret = ret;
	e->h.ts = now;
	switch (kind) {
	case PROBE_EXEC:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_exec), flags);
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
	case PROBE_MPROTECT: /* one path argument: raw2 is not sent */
		rc = bpf_ringbuf_output(&rb, e, PROBE_PATH_SHORT, flags);
		break;
	default:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_path), flags);
		break;
	}
	if (rc)
		count_lost(kind < PROBE_LOST_SLOTS ? kind : PROBE_LOST_SLOTS - 1);
}

/* ---- records, built at syscall exit --------------------------------------- */

/* What every record builder needs (BPF functions take at most five arguments). */
struct ectx {
	struct task_state *s;
	struct task_struct *t;
	struct pt_regs *regs;
	long id;
	long ret;
	__u32 tid;
};

#define ECTX_VARS                                  \
	struct task_state *s = x->s;               \
	struct task_struct *t = x->t;              \
	struct pt_regs *regs = x->regs;            \
	long id = x->id, ret = x->ret;             \
	__u32 tid = x->tid;                        \
	(void)regs;                                \
	(void)ret;

static __noinline void rec_sys(struct ectx *x, bool compat)
{
	ECTX_VARS
	struct probe_hdr *h = &s->rec.h;

	fill_hdr(h, s, t, PROBE_SYSCALL, NR_TID(id, tid));
	if (compat)
		h->eflags |= PROBE_F_COMPAT;
	read_args(regs, h->args, compat);
}

static __noinline void rec_open(struct ectx *x)
{
	ECTX_VARS
	struct probe_path *o = &s->rec.p;
	__u64 how[2] = {}; /* struct open_how: flags, mode, resolve */
	__u64 path, dfd = (__u64)(long)AT_FDCWD_VAL;
	struct file *f;

	fill_hdr(&o->h, s, t, PROBE_OPEN, NR_TID(id, tid));
	read_args(regs, o->h.args, false);
	o->prot = 0;
	o->raw2[0] = '\0';
	switch (id) {
	case __NR_open: /* open(path, flags, mode) */
		path = o->h.args[0];
		o->flags = (__s64)(int)o->h.args[1];
		o->mode = o->h.args[2];
		break;
	case __NR_creat: /* creat(path, mode) */
		path = o->h.args[0];
		o->flags = CREAT_FLAGS;
		o->mode = o->h.args[1];
		break;
	case __NR_openat2: /* openat2(dirfd, path, how, size) */
		dfd = o->h.args[0];
		path = o->h.args[1];
		bpf_probe_read_user(how, sizeof(how), (const void *)o->h.args[2]);
		o->flags = how[0];
		o->mode = how[1];
		break;
	default: /* openat(dirfd, path, flags, mode) */
		dfd = o->h.args[0];
		path = o->h.args[1];
		o->flags = (__s64)(int)o->h.args[2];
		o->mode = o->h.args[3];
		break;
	}
	read_str(&o->h, o->raw, path);
	o->path[0] = '\0';
	if (ret >= 0) { /* the file the kernel opened: the new descriptor */
		f = fd_file(t, ret);
		o->h.eflags |= PROBE_F_RESOLVED | walk_file(s, t, f, o->path) | watched(f, &o->h.watch_tag);
	} else if (o->raw[0] != '/' && (int)dfd != AT_FDCWD_VAL) {
		o->h.eflags |= PROBE_F_DIRBASE | walk_file(s, t, fd_file(t, (__u32)dfd), o->path);
	}
}

/* Where the path arguments of a file-changing call are (-1: none). */
struct fs_args {
	int dfd, path, fd, path2, flags, mode;
};

static __always_inline bool fs_change_args(long id, struct fs_args *a)
{
	*a = (struct fs_args){ -1, -1, -1, -1, -1, -1 };
	switch (id) {
	case __NR_unlink:
	case __NR_rmdir:
		a->path = 0;
		return true;
	case __NR_mkdir:
	case __NR_chmod:
		a->path = 0;
		a->mode = 1;
		return true;
	case __NR_chown:
	case __NR_lchown:
	case __NR_truncate:
		a->path = 0;
		return true;
	case __NR_unlinkat:
		a->dfd = 0;
		a->path = 1;
		a->flags = 2;
		return true;
	case __NR_mkdirat:
	case __NR_fchmodat:
		a->dfd = 0;
		a->path = 1;
		a->mode = 2;
		return true;
	case __NR_fchownat:
		a->dfd = 0;
		a->path = 1;
		a->flags = 4;
		return true;
	case __NR_rename:
	case __NR_link:
	case __NR_symlink: /* symlink(target, linkpath): the new name is path2 */
		a->path = 0;
		a->path2 = 1;
		return true;
	case __NR_renameat:
	case __NR_renameat2:
	case __NR_linkat:
		a->dfd = 0;
		a->path = 1;
		a->path2 = 3;
		a->flags = 4;
		return true;
	case __NR_symlinkat: /* symlinkat(target, newdirfd, linkpath) */
		a->path = 0;
		a->path2 = 2;
		return true;
	case __NR_fchmod:
		a->fd = 0;
		a->mode = 1;
		return true;
	case __NR_fchown:
	case __NR_ftruncate:
		a->fd = 0;
		return true;
	}
	return false;
}

static __noinline void rec_fs_change(struct ectx *x, const struct fs_args *a)
{
	ECTX_VARS
	struct probe_path *o = &s->rec.p;
	__u64 *g = o->h.args;

	fill_hdr(&o->h, s, t, PROBE_FSCHANGE, NR_TID(id, tid));
	read_args(regs, g, false);
	o->prot = 0;
	o->flags = a->flags >= 0 && a->flags < 6 ? (__s64)g[a->flags & 7] : 0;
	o->mode = a->mode >= 0 && a->mode < 6 ? (__u32)g[a->mode & 7] : 0;
	o->path[0] = '\0';
	o->raw[0] = '\0';
	o->raw2[0] = '\0';
	if (a->path >= 0 && a->path < 6)
		read_str(&o->h, o->raw, g[a->path & 7]);
	if (a->path2 >= 0 && a->path2 < 6)
		read_str(&o->h, o->raw2, g[a->path2 & 7]);
	if (a->fd >= 0 && a->fd < 6) {
		o->h.eflags |= PROBE_F_RESOLVED | walk_file(s, t, fd_file(t, (__u32)g[a->fd & 7]), o->path);
	} else if (a->dfd >= 0 && a->dfd < 6 && o->raw[0] != '/' &&
		   (int)g[a->dfd & 7] != AT_FDCWD_VAL) {
		o->h.eflags |= PROBE_F_DIRBASE |
			       walk_file(s, t, fd_file(t, (__u32)g[a->dfd & 7]), o->path);
	}
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

/* connect, sendto/sendmsg/sendmmsg with an address, bind, listen, accept. */
static __noinline bool rec_net(struct ectx *x)
{
	ECTX_VARS
	struct probe_connect *c = &s->rec.c;
	__u64 a[6], hdr[2] = {};
	__u32 len = 0;

	read_args(regs, a, false);
	switch (id) {
	case __NR_sendto: /* sendto(fd, buf, len, flags, addr, addrlen) */
		if (!a[4])
			return false; /* a connected socket: connect reported it */
		break;
	case __NR_sendmsg:  /* sendmsg(fd, msg, flags): msg_name, msg_namelen */
	case __NR_sendmmsg: /* the first message's header */
		if (bpf_probe_read_user(hdr, sizeof(hdr), (const void *)a[1]) || !hdr[0])
			return false;
		break;
	}
	fill_hdr(&c->h, s, t, id == __NR_connect ? PROBE_CONNECT : PROBE_NET, NR_TID(id, tid));
	__builtin_memcpy(c->h.args, a, sizeof(a));
	c->sa_len = 0;
	switch (id) {
	case __NR_connect:
	case __NR_bind:
		read_sockaddr(c, a[1], (__u32)a[2]);
		break;
	case __NR_sendto:
		read_sockaddr(c, a[4], (__u32)a[5]);
		break;
	case __NR_sendmsg:
	case __NR_sendmmsg:
		read_sockaddr(c, hdr[0], (__u32)hdr[1]);
		break;
	case __NR_accept:
	case __NR_accept4: /* the peer address the kernel wrote, if asked for */
		if (ret >= 0 && a[1] && a[2] && !bpf_probe_read_user(&len, sizeof(len), (const void *)a[2]))
			read_sockaddr(c, a[1], len);
		break;
	}
	return true;
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

static __noinline void rec_map(struct ectx *x)
{
	ECTX_VARS
	struct probe_path *m = &s->rec.p;
	struct vma_ctx vc = {};
	const unsigned char *name;
	struct file *file;
	__u32 fl;

	fill_hdr(&m->h, s, t, id == __NR_mmap ? PROBE_MMAP : PROBE_MPROTECT, NR_TID(id, tid));
	read_args(regs, m->h.args, false);
	m->mode = 0;
	m->path[0] = '\0';
	m->raw[0] = '\0';
	m->raw2[0] = '\0';
	m->prot = m->h.args[2];
	m->flags = id == __NR_mmap ? m->h.args[3] : 0;
	/* mmap: the mapping made (at the result); mprotect: the one changed */
	if (id == __NR_mmap ? ret >= 0 && (ret & 0xfff) == 0 : ret == 0)
		bpf_find_vma(t, id == __NR_mmap ? (__u64)ret : m->h.args[0], vma_file_cb, &vc, 0);
	file = vc.file;
	if (!file)
		return;
	fl = walk_file(s, t, file, m->path);
	m->h.eflags |= PROBE_F_RESOLVED | fl | file_kind(file);
	if (fl & PROBE_F_UNREADABLE) {
		name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
		if (name && bpf_probe_read_kernel_str(m->path, PROBE_PATH_MAX, name) > 0)
			m->h.eflags |= PROBE_F_BASENAME;
	}
}

/*
 * A failed exec, from the caller's registers (a successful one is reported by
 * task_exec from the new image). Each argument is read on its own, at most
 * PROBE_ARG_MAX - 1 bytes (cut: bit i of `cut`), up to PROBE_ARGS_BYTES in all.
 */
struct argv_ctx {
	struct probe_exec *e;
	const char *const *argv;
	__u32 off;
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
	if (c->off >= PROBE_ARGS_BYTES) {
		e->h.eflags |= PROBE_F_ARGV_TRUNC;
		return 0;
	}
	n = bpf_probe_read_user_str(e->args + (c->off & (PROBE_ARGS_BYTES - 1)), PROBE_ARG_MAX, arg);
	if (n <= 0) {
		e->h.eflags |= PROBE_F_UNREADABLE;
		return 1;
	}
	if (n == PROBE_ARG_MAX && i < 32)
		e->cut |= 1u << i;
	c->off += n;
	return 0;
}

static __noinline void rec_exec_failed(struct ectx *x)
{
	ECTX_VARS
	struct probe_exec *e = &s->rec.e;
	struct argv_ctx c = {};

	fill_hdr(&e->h, s, t, PROBE_EXEC, NR_TID(id, tid));
	read_args(regs, e->h.args, false);
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
	e->args_len = c.off < PROBE_ARGS_BYTES + PROBE_ARG_MAX ? c.off : PROBE_ARGS_BYTES + PROBE_ARG_MAX;
}

/* Calls always worth a record in the detailed modes, whatever their result. */
static __always_inline bool is_sensitive(long id)
{
	switch (id) {
	case __NR_io_uring_setup:
	case __NR_io_uring_enter:
	case __NR_io_uring_register:
	case __NR_bpf:
	case __NR_unshare:
	case __NR_setns:
	case __NR_mount:
	case __NR_umount2:
	case __NR_pivot_root:
	case __NR_chroot:
	case __NR_ptrace:
	case __NR_process_vm_readv:
	case __NR_process_vm_writev:
	case __NR_perf_event_open:
	case __NR_init_module:
	case __NR_finit_module:
	case __NR_kexec_load:
	case __NR_kexec_file_load:
	case __NR_userfaultfd:
	case __NR_keyctl:
	case __NR_add_key:
	case __NR_request_key:
	case __NR_open_by_handle_at:
	case __NR_memfd_create:
	case __NR_seccomp:
	case __NR_setuid:
	case __NR_setgid:
	case __NR_setresuid:
	case __NR_setresgid:
	case __NR_capset:
		return true;
	}
	return false;
}

static __always_inline bool is_restart(long ret)
{
	return ret == -ERESTARTSYS_ || ret == -ERESTARTNOINTR_ || ret == -ERESTARTNOHAND_ ||
	       ret == -ERESTART_RESTARTBLOCK_;
}

/* Could this exit give a record? (Without reading anything: cheap.) */
static __always_inline bool may_build(long id, long ret, bool compat)
{
	struct fs_args fa;

	if (compat || mode == PROBE_MODE_ALL || is_sensitive(id) || ret == -EPERM_ || ret == -ENOSYS_)
		return true;
	switch (id) {
	case __NR_execve:
	case __NR_execveat:
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
	case __NR_connect:
	case __NR_sendto:
	case __NR_sendmsg:
	case __NR_sendmmsg:
	case __NR_bind:
	case __NR_listen:
	case __NR_accept:
	case __NR_accept4:
	case __NR_mmap:
	case __NR_mprotect:
		return true;
	}
	return fs_change_args(id, &fa);
}

/* Build the record of a syscall that is worth one. False: nothing to send. */
static __always_inline bool build(struct ectx *x, bool compat)
{
	struct pt_regs *regs = x->regs;
	long id = x->id, ret = x->ret;
	struct fs_args fa;

	if (compat) { /* a 32-bit call is always reported: a known way to hide calls */
		rec_sys(x, true);
		return true;
	}
	switch (id) {
	case __NR_execve:
	case __NR_execveat:
		rec_exec_failed(x); /* success is task_exec's */
		return true;
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
		rec_open(x);
		return true;
	case __NR_connect:
	case __NR_sendto:
	case __NR_sendmsg:
	case __NR_sendmmsg:
	case __NR_bind:
	case __NR_listen:
	case __NR_accept:
	case __NR_accept4:
		return rec_net(x);
	case __NR_mmap:
	case __NR_mprotect:
		if (!(regs->dx & PROT_EXEC_BIT))
			break;
		rec_map(x);
		return true;
	}
	if (fs_change_args(id, &fa)) {
		rec_fs_change(x, &fa);
		return true;
	}
	if (mode == PROBE_MODE_ALL || is_sensitive(id) || ret == -EPERM_ || ret == -ENOSYS_) {
		rec_sys(x, false);
		return true;
	}
	return false;
}

/* FS report mode, before any work: a refused open or file change, or a
 * successful one while files are watched. */
static __always_inline bool fs_report_candidate(long id, long ret)
{
	struct fs_args fa;

	switch (id) {
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
		break;
	default:
		if (!fs_change_args(id, &fa))
			return false;
	}
	if (ret >= 0)
		return watch_count != 0;
	return ret == -EACCES_ || ret == -EPERM_ || ret == -EROFS_ || ret == -ENOENT_;
}

/* FS report mode: only refused file access and watched files go out. */
static __always_inline bool fsreport_keep(const union probe_any *r, long ret)
{
	if (r->h.kind != PROBE_OPEN && r->h.kind != PROBE_FSCHANGE)
		return false;
	if (r->h.eflags & PROBE_F_WATCHED)
		return true;
	return ret == -EACCES_ || ret == -EPERM_ || ret == -EROFS_ || ret == -ENOENT_;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	long id = regs->orig_ax;
	struct task_state *s = NULL;
	struct ectx x;
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
		emit(&s->rec, ret);
		return 0;
	}
	/* 2. count */
	count_syscall(id, compat);
	if (mode == PROBE_MODE_COUNTERS)
		return 0;
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
		} else if (id == __NR_rt_sigreturn || !may_build(id, ret, compat)) {
			/* the handler's own calls (and its sigreturn) come before the
			 * restart: keep holding */
			return 0;
		} else { /* another recorded call: the interrupted one ended (EINTR) */
			s->held = 0;
			s->rec.h.eflags |= PROBE_F_INTERRUPTED;
			s->rec.h.restarts = s->restarts;
			s->restarts = 0;
			emit(&s->rec, -4);
		}
	}
	x.s = s;
	x.t = t;
	x.regs = regs;
	x.id = id;
	x.ret = ret;
	x.tid = tid;
	if (!build(&x, compat)) {
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
	emit(&s->rec, ret);
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
	fill_hdr(&x->h, s, p, PROBE_EXEC, NR_TID(s->exec_nr, tid));
	__builtin_memset(x->h.args, 0, sizeof(x->h.args));
	x->h.eflags |= PROBE_F_FROM_KERNEL;
	f = BPF_CORE_READ(bprm, file);
	x->h.eflags |= PROBE_F_RESOLVED | walk_file(s, p, f, x->path) | file_kind(f);
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
		struct task_struct *leader = parent->group_leader;
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
		emit(&s->rec, -4);
	}
	/* Report the process once, when its last thread goes (signal->live is
	 * decremented in do_exit before this tracepoint fires). */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	s = state_of(p, true);
	if (!s)
		return 0;
	fill_hdr(&s->rec.h, s, p, PROBE_EXIT, NR_TID(-1, tid));
	__builtin_memset(s->rec.h.args, 0, sizeof(s->rec.h.args));
	s->rec.k.child_pid = 0;
	s->rec.k.child_exec_id = 0;
	s->rec.k.exit_status = BPF_CORE_READ(p, exit_code);
	last_wake_ns = 0; /* the end of a process: tell at once */
	emit(&s->rec, 0);
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
