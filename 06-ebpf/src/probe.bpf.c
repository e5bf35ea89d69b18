/*
 * probe.bpf.c — kernel side of layer 06-ebpf: count and record the syscalls of
 * one pod.
 *
 * Part of the CO-RE trio probe.bpf.c / probe.h / probe.c (docs/conventions.md, "eBPF").
 * Builds on vmlinux.h (generated at build time from the running kernel's BTF)
 * and libbpf's bpf_helpers/bpf_tracing/bpf_core_read. Loaded and attached by
 * probe.c through the skeleton that `bpftool gen skeleton` makes from this
 * object.
 *
 * Hooks (all BTF-typed raw tracepoints: no tracefs/debugfs mount is needed):
 *
 *   tp_btf/sys_enter          every syscall on the machine:
 *                               1. is the caller in the pod?   (pod_view)
 *                               2. count it                    (counts[nr]++)
 *                               3. detailed modes: copy the arguments and the
 *                                  strings they point to into the task's
 *                                  `pending` record (task-local storage)
 *   tp_btf/sys_exit           detailed modes: if the task has a pending record
 *                             for this syscall, add the return value and copy
 *                             the record to the ring buffer
 *   tp_btf/sched_process_fork detailed modes: a new process in the pod
 *   tp_btf/sched_process_exit detailed modes: a pod process ended
 *
 * The pod filter: a task belongs to the pod when its pid (task->thread_pid) has
 * a number in the target pid namespace, i.e. when
 * thread_pid->numbers[target_level].ns has inode target_ns_ino. That holds for
 * every task created in the pod and in any namespace nested below it, and for
 * nothing else. The pod cannot leave its pid namespace (setns to an ancestor is
 * impossible), so the filter cannot be escaped from inside.
 *
 * Strings (paths, argv) are read from pod memory at syscall entry: a second
 * thread in the pod may change them after we read and before the kernel does
 * (the usual tracing TOCTOU). The chapter says so; this is evidence, the
 * sandbox boundary (03-sandbox) is the enforcement.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <asm/unistd_64.h>
#include "probe.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define PROT_EXEC_BIT 0x4
#define MAP_ANONYMOUS_BIT 0x20
#define TS_COMPAT_BIT 0x0002 /* x86 thread_info.status: in a 32-bit syscall */
#define CREAT_FLAGS 01101    /* O_CREAT | O_WRONLY | O_TRUNC */

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

/* Per-syscall counts. Per-CPU: each CPU adds to its own copy, so the cache line
 * never bounces; user space sums the copies. The add is still atomic: syscall
 * tracepoints may be preempted (they are faultable since 6.14, and the
 * kernel may run with full preemption), and another task on the same CPU
 * must not overwrite an increment half done. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROBE_NR_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Records that could not be delivered (PROBE_LOST_* slots), per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Kernel -> user records. Size set by probe.c before load (power of two). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

/* A mapping record plus the buffer in which dentry_path() assembles the file's
 * path: twice the path size, so that "offset <= 255 plus length <= 255" is
 * provably in bounds for the verifier. Kernel-only; what is sent is `p`. */
struct probe_map {
	struct probe_path p;
	char dpath[PROBE_PATH_MAX * 2];
};

union probe_any {
	struct probe_hdr h;
	struct probe_sys s;
	struct probe_path p;
	struct probe_connect c;
	struct probe_exec e;
	struct probe_map m;
};

/*
 * The record of the syscall a pod task is in, between sys_enter and sys_exit.
 * Task-local storage: created on the task's first recorded syscall, freed by
 * the kernel with the task, so nothing leaks when a task dies mid-syscall.
 * Only the task itself touches its entry (from its own syscall path): no lock.
 * h.kind != 0 means a record is pending; h.nr says for which syscall.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, union probe_any);
} pending SEC(".maps");

static __always_inline void count_lost(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&lost, &slot);

	if (c)
		__sync_fetch_and_add(c, 1);
}

/*
 * Is task @t in the pod? If so, *nr = its id as the pod sees it.
 * Hot path: runs for every syscall on the machine. @t is a BTF pointer, so the
 * field reads below are plain loads the verifier guards (no helper calls);
 * target_level is a frozen rodata constant, so numbers[target_level] is a
 * fixed offset into struct pid.
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

/* Fill the common head for task @t (pod-view thread id @tid). */
static __always_inline void fill_hdr(struct probe_hdr *h, struct task_struct *t, __u32 kind,
				     long nr, __u32 tid)
{
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
	/* comm is a 16-byte array in task_struct: two plain loads, no helper */
	__builtin_memcpy(h->comm, t->comm, PROBE_COMM_LEN);
}

static __always_inline void read_args(struct pt_regs *regs, __u64 *a, bool compat)
{
	if (compat) { /* i386 syscall ABI */
		a[0] = regs->bx;
		a[1] = regs->cx;
		a[2] = regs->dx;
		a[3] = regs->si;
		a[4] = regs->di;
		a[5] = regs->bp;
		return;
	}
	a[0] = regs->di;
	a[1] = regs->si;
	a[2] = regs->dx;
	a[3] = regs->r10;
	a[4] = regs->r8;
	a[5] = regs->r9;
}

/* The task's pending-record slot (created on first use), or NULL (counted lost). */
static __always_inline union probe_any *slot_get(struct task_struct *t)
{
	union probe_any *s = bpf_task_storage_get(&pending, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (!s)
		count_lost(PROBE_LOST_PENDING);
	return s;
}

/*
 * Copy a path from pod memory. BPF reads cannot fault pages in: a string in a
 * page the process never touched (a literal in .rodata, say) is unreadable
 * at syscall entry. Then PROBE_F_RETRY asks sys_exit to read it again, when
 * the kernel's own copy has faulted the page in.
 */
static __always_inline void read_path(struct probe_hdr *h, char *dst, const char *src)
{
	long n = bpf_probe_read_user_str(dst, PROBE_PATH_MAX, src);

	if (n < 0) {
		dst[0] = '\0';
		h->eflags |= PROBE_F_RETRY;
	} else {
		h->eflags &= ~PROBE_F_RETRY;
		if (n == PROBE_PATH_MAX)
			h->eflags |= PROBE_F_PATH_TRUNC;
	}
}

static __always_inline void stash_sys(struct pt_regs *regs, struct task_struct *t, long id,
				      __u32 tid, bool compat)
{
	union probe_any *s = slot_get(t);

	if (!s)
		return;
	fill_hdr(&s->h, t, PROBE_SYSCALL, id, tid);
	if (compat)
		s->h.eflags |= PROBE_F_COMPAT;
	read_args(regs, s->h.args, compat);
}

static __always_inline void stash_exec(struct pt_regs *regs, struct task_struct *t, long id,
				       __u32 tid)
{
	union probe_any *s = slot_get(t);
	struct probe_exec *e;
	const char *const *argv;
	const char *arg;
	long n;

	if (!s)
		return;
	e = &s->e;
	fill_hdr(&e->h, t, PROBE_EXEC, id, tid);
	read_args(regs, e->h.args, false);
	/* execve(path, argv, envp); execveat(dirfd, path, argv, envp, flags) */
	read_path(&e->h, e->path, (const char *)e->h.args[id == __NR_execve ? 0 : 1]);
	argv = (const char *const *)e->h.args[id == __NR_execve ? 1 : 2];
	e->argc = 0;
	for (int i = 0; i < PROBE_ARGV_MAX; i++) {
		arg = NULL;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			goto done;
		n = bpf_probe_read_user_str(e->argv[i], PROBE_ARG_LEN, arg);
		if (n < 0)
			goto done;
		if (n == PROBE_ARG_LEN)
			e->h.eflags |= PROBE_F_ARGV_TRUNC;
		e->argc = i + 1;
	}
	arg = NULL;
	if (!bpf_probe_read_user(&arg, sizeof(arg), &argv[PROBE_ARGV_MAX]) && arg)
		e->h.eflags |= PROBE_F_ARGV_TRUNC;
done:
	return;
}

/* Where the path argument of an open-family syscall is. */
static __always_inline __u64 open_path_arg(const struct probe_hdr *h)
{
	return h->nr == __NR_open || h->nr == __NR_creat ? h->args[0] : h->args[1];
}

static __always_inline void stash_open(struct pt_regs *regs, struct task_struct *t, long id,
				       __u32 tid)
{
	union probe_any *s = slot_get(t);
	struct probe_path *o;
	__u64 how[2] = {}; /* struct open_how: flags, mode, resolve */
	const char *path;

	if (!s)
		return;
	o = &s->p;
	fill_hdr(&o->h, t, PROBE_OPEN, id, tid);
	read_args(regs, o->h.args, false);
	o->prot = 0;
	switch (id) {
	case __NR_open: /* open(path, flags, mode) */
		path = (const char *)o->h.args[0];
		o->flags = (__s64)(int)o->h.args[1];
		o->mode = o->h.args[2];
		break;
	case __NR_creat: /* creat(path, mode) */
		path = (const char *)o->h.args[0];
		o->flags = CREAT_FLAGS;
		o->mode = o->h.args[1];
		break;
	case __NR_openat2: /* openat2(dirfd, path, how, size) */
		path = (const char *)o->h.args[1];
		bpf_probe_read_user(how, sizeof(how), (const void *)o->h.args[2]);
		o->flags = how[0];
		o->mode = how[1];
		break;
	default: /* openat(dirfd, path, flags, mode) */
		path = (const char *)o->h.args[1];
		o->flags = (__s64)(int)o->h.args[2];
		o->mode = o->h.args[3];
		break;
	}
	read_path(&o->h, o->path, path);
}

/* connect(fd, addr, addrlen): copy the sockaddr (retried at exit like paths). */
static __always_inline void read_sockaddr(struct probe_connect *c)
{
	__u32 len = (__u32)c->h.args[2];

	if (len > PROBE_SA_MAX)
		len = PROBE_SA_MAX;
	if (bpf_probe_read_user(c->sa, len & (PROBE_SA_MAX * 2 - 1), (const void *)c->h.args[1])) {
		len = 0;
		c->h.eflags |= PROBE_F_RETRY;
	} else {
		c->h.eflags &= ~PROBE_F_RETRY;
	}
	c->sa_len = len;
}

static __always_inline void stash_connect(struct pt_regs *regs, struct task_struct *t, long id,
					  __u32 tid)
{
	union probe_any *s = slot_get(t);
	struct probe_connect *c;

	if (!s)
		return;
	c = &s->c;
	fill_hdr(&c->h, t, PROBE_CONNECT, id, tid);
	read_args(regs, c->h.args, false);
	read_sockaddr(c);
}

#define DPATH_DEPTH 16

/*
 * The path of dentry @d inside its filesystem, into m->p.path: walk d_parent
 * up to the filesystem root, writing names right to left into m->dpath (in
 * the task's own storage: a per-CPU buffer could be shared with a task that
 * preempts this one). bpf_d_path() would
 * give the path as the process sees it, but tracepoints may not call it.
 * For files on the root filesystem this is the host path; the walk does not
 * cross mount points. Returns false when the walk did not reach the root
 * (deeper than DPATH_DEPTH, longer than the buffer, unreadable).
 */
static __always_inline bool dentry_path(struct probe_map *m, struct dentry *d)
{
	__u32 off = PROBE_PATH_MAX - 1, len;
	char *buf = m->dpath;
	struct dentry *parent;
	const unsigned char *name;

	if (!d)
		return false;
	buf[PROBE_PATH_MAX - 1] = '\0';
	for (int i = 0; i < DPATH_DEPTH; i++) {
		parent = BPF_CORE_READ(d, d_parent);
		if (!parent || parent == d) { /* the filesystem's root */
			if (off == PROBE_PATH_MAX - 1) /* the root itself */
				buf[--off] = '/';
			bpf_probe_read_kernel_str(m->p.path, PROBE_PATH_MAX,
						  buf + (off & (PROBE_PATH_MAX - 1)));
			return true;
		}
		len = BPF_CORE_READ(d, d_name.len);
		name = BPF_CORE_READ(d, d_name.name);
		if (len == 0 || len + 1 > off)
			return false;
		off -= len;
		off &= PROBE_PATH_MAX - 1;
		if (bpf_probe_read_kernel(buf + off, len & (PROBE_PATH_MAX - 1), name))
			return false;
		off -= 1;
		off &= PROBE_PATH_MAX - 1;
		buf[off] = '/';
		d = parent;
	}
	return false;
}

/* bpf_find_vma callback: remember the file mapped at the address. */
struct vma_ctx {
	struct file *file;
};

static long vma_file_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_ctx *ctx = data;

	ctx->file = BPF_CORE_READ(vma, vm_file);
	return 0;
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

static __always_inline void stash_map(struct pt_regs *regs, struct task_struct *t, long id,
				      __u32 tid)
{
	union probe_any *s = slot_get(t);
	struct vma_ctx vc = {};
	struct probe_path *m;
	const unsigned char *name;
	struct file *file;

	if (!s)
		return;
	m = &s->p;
	fill_hdr(&m->h, t, id == __NR_mmap ? PROBE_MMAP : PROBE_MPROTECT, id, tid);
	read_args(regs, m->h.args, false);
	m->mode = 0;
	m->path[0] = '\0';
	if (id == __NR_mmap) { /* mmap(addr, len, prot, flags, fd, off) */
		m->prot = m->h.args[2];
		m->flags = m->h.args[3];
		if (!(m->flags & MAP_ANONYMOUS_BIT))
			vc.file = fd_file(t, m->h.args[4]);
	} else { /* mprotect(addr, len, prot) */
		m->prot = m->h.args[2];
		m->flags = 0;
		bpf_find_vma(t, m->h.args[0], vma_file_cb, &vc, 0);
	}
	file = vc.file;
	if (file && !dentry_path(&s->m, BPF_CORE_READ(file, f_path.dentry))) {
		/* too deep or unreadable: at least the file's own name */
		name = BPF_CORE_READ(file, f_path.dentry, d_name.name);
		if (name && bpf_probe_read_kernel_str(m->path, PROBE_PATH_MAX, name) > 0)
			m->h.eflags |= PROBE_F_BASENAME;
	}
}

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	bool compat;
	__u32 tid;

	/* 1. only the pod */
	if (!pod_view(t, &tid))
		return 0;
	/* 2. count */
	compat = is_compat(t);
	count_syscall(id, compat);
	if (mode == PROBE_MODE_COUNTERS)
		return 0;
	/* 3. detailed: stash the entry for sys_exit. A 32-bit syscall is always
	 * reported (generic record, flagged): it is a known way to hide calls. */
	if (compat) {
		stash_sys(regs, t, id, tid, true);
		return 0;
	}
	switch (id) {
	case __NR_execve:
	case __NR_execveat:
		stash_exec(regs, t, id, tid);
		return 0;
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
		stash_open(regs, t, id, tid);
		return 0;
	case __NR_connect:
		stash_connect(regs, t, id, tid);
		return 0;
	case __NR_mmap:
	case __NR_mprotect:
		if (BPF_CORE_READ(regs, dx) & PROT_EXEC_BIT) {
			stash_map(regs, t, id, tid);
			return 0;
		}
		break;
	case __NR_exit:
	case __NR_exit_group:
		return 0; /* never return: the process exit record reports them */
	}
	if (mode == PROBE_MODE_ALL)
		stash_sys(regs, t, id, tid, false);
	return 0;
}

static __always_inline bool is_typed(long id)
{
	switch (id) {
	case __NR_execve:
	case __NR_execveat:
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
	case __NR_connect:
	case __NR_mmap:
	case __NR_mprotect:
		return true;
	}
	return false;
}

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
	long rc;

	e->h.ret = ret;
	e->h.ts = now;
	switch (e->h.kind) {
	case PROBE_EXEC:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_exec), flags);
		break;
	case PROBE_CONNECT:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_connect), flags);
		break;
	case PROBE_SYSCALL:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_sys), flags);
		break;
	default:
		rc = bpf_ringbuf_output(&rb, e, sizeof(struct probe_path), flags);
		break;
	}
	if (rc)
		count_lost(PROBE_LOST_RINGBUF);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	long id = regs->orig_ax;
	union probe_any *e;

	/* Cheap tests first: most syscalls on the machine stop here. */
	if (mode != PROBE_MODE_ALL && !is_typed(id) && !is_compat(t))
		return 0;
	e = bpf_task_storage_get(&pending, t, NULL, 0);
	if (!e || !e->h.kind)
		return 0;
	if (e->h.nr == id) { /* a record left by a syscall whose exit we missed: lost (below) */
		if ((e->h.eflags & PROBE_F_RETRY) && e->h.kind == PROBE_OPEN)
			read_path(&e->h, e->p.path, (const char *)open_path_arg(&e->h));
		if ((e->h.eflags & PROBE_F_RETRY) && e->h.kind == PROBE_CONNECT)
			read_sockaddr(&e->c);
		emit(e, ret);
	} else {
		count_lost(PROBE_LOST_PENDING); /* never silently: it is a lost event */
	}
	e->h.kind = 0;
	return 0;
}

/*
 * A successful exec, seen from inside the new image. Replace the entry-time
 * path and argv (read from caller memory, which another pod thread could have
 * changed in between) with what the kernel actually used: bprm->filename and
 * the argument strings it copied to the top of the new stack.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(task_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	union probe_any *e = bpf_task_storage_get(&pending, p, NULL, 0);
	struct probe_exec *x;
	unsigned long pos, end;
	long n;

	if (!e || e->h.kind != PROBE_EXEC)
		return 0;
	x = &e->e;
	n = bpf_probe_read_kernel_str(x->path, PROBE_PATH_MAX, BPF_CORE_READ(bprm, filename));
	if (n < 0)
		return 0;
	x->h.eflags &= ~(PROBE_F_PATH_TRUNC | PROBE_F_ARGV_TRUNC | PROBE_F_RETRY);
	if (n == PROBE_PATH_MAX)
		x->h.eflags |= PROBE_F_PATH_TRUNC;
	x->h.eflags |= PROBE_F_FROM_KERNEL;
	pos = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	x->argc = 0;
	for (int i = 0; i < PROBE_ARGV_MAX && pos < end; i++) {
		n = bpf_probe_read_user_str(x->argv[i], PROBE_ARG_LEN, (const void *)pos);
		if (n <= 0)
			break;
		x->argc = i + 1;
		if (n == PROBE_ARG_LEN) { /* cut (or exactly full): stop, flag it */
			x->h.eflags |= PROBE_F_ARGV_TRUNC;
			break;
		}
		pos += n;
	}
	if (pos < end && x->argc == PROBE_ARGV_MAX)
		x->h.eflags |= PROBE_F_ARGV_TRUNC;
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(task_fork, struct task_struct *parent, struct task_struct *child)
{
	struct probe_task *r;
	__u32 cpid, ptid = 0;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a thread, not a process */
	if (!pod_view(child, &cpid))
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_lost(PROBE_LOST_RINGBUF);
		return 0;
	}
	if (!pod_view(parent, &ptid))
		ptid = 0; /* the runner created the pod's first process */
	fill_hdr(&r->h, parent, PROBE_FORK, -1, ptid);
	__builtin_memset(r->h.args, 0, sizeof(r->h.args));
	r->h.ret = cpid;
	r->h.ts = bpf_ktime_get_ns();
	r->child_pid = cpid;
	r->exit_status = 0;
	bpf_ringbuf_submit(r, wake_flag(r->h.ts));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(task_exit, struct task_struct *p)
{
	struct probe_task *r;
	__u32 tid;

	if (!pod_view(p, &tid))
		return 0;
	/* Report the process once, when its last thread goes (signal->live is
	 * decremented in do_exit before this tracepoint fires). */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) {
		count_lost(PROBE_LOST_RINGBUF);
		return 0;
	}
	fill_hdr(&r->h, p, PROBE_EXIT, -1, tid);
	__builtin_memset(r->h.args, 0, sizeof(r->h.args));
	r->h.ret = 0;
	r->h.ts = bpf_ktime_get_ns();
	r->child_pid = 0;
	r->exit_status = BPF_CORE_READ(p, exit_code);
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP); /* the end of a process: tell at once */
	return 0;
}

/* Test hook (autoload off unless sysaudit_opts.selftest_verifier_reject): a
 * program the verifier must refuse — it reads 8 bytes past the end of an
 * 8-byte map value. Lets the tests prove the verifier error path. */
SEC("tp_btf/sys_enter")
int BPF_PROG(selftest_reject, struct pt_regs *regs, long id)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&lost, &zero);

	return c ? (int)c[1] : 0;
}
