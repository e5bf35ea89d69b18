/*
 * check_sysaudit.c — Check suite of layer 06-ebpf.
 *
 * Builds on libsysaudit.a, libbpf and tests/pidns_child.c. Privileged tests
 * load real BPF programs, run known workloads in a child that is pid 1 of its
 * own pid namespace (a pod without the rest of the sandbox), and assert the
 * exact events and counts the kernel side produced.
 *
 * TCases: names (syscall table), format (JSON rendering, hostile strings),
 * errors (each failure cause has its own message), counters, events
 * (exec/open/connect/mmap/fork/exit), isolation (nothing from outside the pod),
 * loss (lost-event accounting), lifecycle (destroy detaches every link).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <linux/openat2.h>
#include <linux/io_uring.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "podtest.h"
#include "pidns_child.h"
#include "sysaudit.h"
#include "internal.h" /* sysaudit_decode and the record layouts, for the decoder test */

#define BTF_PATH "/sys/kernel/btf/vmlinux"

static int bpf_possible(void)
{
	return pod_is_root() && access(BTF_PATH, R_OK) == 0;
}

#define REQUIRE_BPF() POD_REQUIRE(bpf_possible(), "needs root and kernel BTF for real BPF programs")

/* ---- collected events ---------------------------------------------------- */

#define MAX_EVENTS 2048

struct copy {
	struct sysaudit_event ev;
	char args[SYSAUDIT_ARGS_BYTES + SYSAUDIT_ARG_LEN + 1]; /* ev.argv point here */
	char syscall[32];
};

struct sink {
	struct copy *ev;
	int n;
	long total; /* every event seen, also past MAX_EVENTS */
};

static int collect(void *ctx, const struct sysaudit_event *ev)
{
	struct sink *s = ctx;
	struct copy *c;

	s->total++;
	if (s->n >= MAX_EVENTS)
		return 0;
	c = &s->ev[s->n++];
	c->ev = *ev;
	for (int i = 0, off = 0; i < ev->argc && i < SYSAUDIT_ARGV_MAX; i++) {
		size_t l = strlen(ev->argv[i]);

		if (off + l + 1 > sizeof(c->args))
			l = sizeof(c->args) - off - 1;
		memcpy(c->args + off, ev->argv[i], l);
		c->args[off + l] = '\0';
		c->ev.argv[i] = c->args + off;
		off += (int)l + 1;
	}
	snprintf(c->syscall, sizeof(c->syscall), "%s", ev->syscall);
	c->ev.syscall = c->syscall;
	return 0;
}

static void sink_init(struct sink *s)
{
	s->ev = calloc(MAX_EVENTS, sizeof(*s->ev));
	ck_assert_ptr_nonnull(s->ev);
	s->n = 0;
	s->total = 0;
}

static int count_kind(const struct sink *s, enum sysaudit_kind kind)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += s->ev[i].ev.kind == kind;
	return n;
}

static const struct sysaudit_event *find(const struct sink *s, enum sysaudit_kind kind,
					 const char *path)
{
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].ev.kind == kind && (!path || strcmp(s->ev[i].ev.path, path) == 0))
			return &s->ev[i].ev;
	return NULL;
}

/* ---- a pod run: start gated child, open + attach, release, drain -------- */

struct run {
	sysaudit_t *a;
	struct ns_child child;
	int status;
};

static int kernel_btf; /* run_start(): opts.core_btf_kernel */

static void run_start(struct run *r, enum sysaudit_mode mode, uint32_t rb_bytes, ns_child_fn fn,
		      void *arg)
{
	struct sysaudit_opts o = { .mode = mode,
				   .ringbuf_bytes = rb_bytes,
				   .core_btf_kernel = kernel_btf };

	ck_assert_int_eq(ns_child_start(&r->child, 0, fn, arg), 0);
	o.target_pid = r->child.pid;
	ck_assert_int_eq(sysaudit_new(&r->a), 0);
	ck_assert_msg(sysaudit_open(r->a, &o) == 0, "open: %s", sysaudit_last_error(r->a));
	ck_assert_msg(sysaudit_attach(r->a) == 0, "attach: %s", sysaudit_last_error(r->a));
}

/* Release the child, wait for it, then deliver everything into @s (may be NULL). */
static void run_finish(struct run *r, struct sink *s)
{
	int rc;

	ck_assert_int_eq(ns_child_go(&r->child), 0);
	ck_assert_int_eq(ns_child_wait(&r->child, &r->status), 0);
	do
		rc = sysaudit_consume(r->a, s ? collect : NULL, s);
	while (rc > 0);
	ck_assert_int_ge(rc, 0);
}

static void run_end(struct run *r)
{
	ns_child_kill(&r->child);
	sysaudit_destroy(r->a);
	r->a = NULL;
}

/* ---- workloads (run as pid 1 of the child's pid namespace) -------------- */

static int wl_exec_echo(void *arg)
{
	char *const argv[] = { "echo", "hello", "sysaudit world", NULL };
	int fd = open("/dev/null", O_WRONLY);

	(void)arg;
	dup2(fd, 1);
	execv("/bin/echo", argv);
	return 127;
}

static int wl_open_missing(void *arg)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, (const char *)arg, O_RDONLY | O_CLOEXEC);

	return fd < 0 && errno == ENOENT ? 0 : 1;
}

static int wl_connect(void *arg)
{
	struct sockaddr_in *sin = arg;
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int rc = connect(s, (struct sockaddr *)sin, sizeof(*sin));

	close(s);
	return rc == 0 ? 0 : 1;
}

static int wl_openat2_missing(void *arg)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
				.mode = 0,
				.resolve = RESOLVE_NO_SYMLINKS };
	long fd = syscall(SYS_openat2, AT_FDCWD, (const char *)arg, &how, sizeof(how));

	return fd < 0 && errno == ENOENT ? 0 : 1;
}

static int wl_connect_unix(void *arg)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	int rc;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", (const char *)arg);
	rc = connect(s, (struct sockaddr *)&sun, sizeof(sun));
	close(s);
	return rc < 0 && errno == ENOENT ? 0 : 1;
}

static long n_getppid;

static int wl_getppid(void *arg)
{
	(void)arg;
	for (long i = 0; i < n_getppid; i++)
		syscall(SYS_getppid);
	return 0;
}

static int wl_fork_child(void *arg)
{
	pid_t p = fork();
	int st;

	(void)arg;
	if (p == 0)
		_exit(7);
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 3 : 1;
}

static int wl_mmap_exec(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return 1;
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	return p == MAP_FAILED ? 1 : 0;
}

static int wl_compat_getpid(void *arg)
{
	long ret = 20; /* i386 __NR_getpid, through the 32-bit entry */

	(void)arg;
	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
	return ret == 1 ? 0 : 1; /* pid 1 of its namespace */
}

static int wl_create_file(void *arg)
{
	int fd = open((const char *)arg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	if (fd < 0)
		return 1;
	close(fd);
	return 0;
}

/* Open once, then stay alive until the parent closes the pipe (arg = int[2]). */
static int wl_open_then_wait(void *arg)
{
	int *fds = arg;
	char b;

	close(fds[1]);
	syscall(SYS_openat, AT_FDCWD, "/nonexistent/sysaudit-wake", O_RDONLY);
	return read(fds[0], &b, 1) < 0;
}

/* ---- workloads with known truth for exec, refused calls, paths, restarts --- */

extern char **environ;

/* execveat(memfd, "", AT_EMPTY_PATH) of a copy of /bin/true. */
static int wl_exec_memfd(void *arg)
{
	char *const argv[] = { "memtrue", "x", NULL };
	char buf[65536];
	int in = open("/bin/true", O_RDONLY | O_CLOEXEC),
	    fd = (int)syscall(SYS_memfd_create, "sa-memfd", 0);
	ssize_t n;

	(void)arg;
	if (in < 0 || fd < 0)
		return 1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 1;
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return 127;
}

/* fexecve on an fd of /bin/true. */
static int wl_fexecve(void *arg)
{
	char *const argv[] = { "ftrue", NULL };
	int fd = open("/bin/true", O_RDONLY);

	(void)arg;
	fexecve(fd, argv, environ);
	return 127;
}

/* execveat(dirfd of /bin, "true", 0). */
static int wl_execveat_dirfd(void *arg)
{
	char *const argv[] = { "dtrue", NULL };
	int dfd = open("/bin", O_RDONLY | O_DIRECTORY);

	(void)arg;
	syscall(SYS_execveat, dfd, "true", argv, environ, 0);
	return 127;
}

/* exec of a 32-bit program (exits 32). */
static int wl_exec32(void *arg)
{
	char *const argv[] = { "exit32", NULL };

	execve((const char *)arg, argv, environ);
	return 127;
}

/* A second thread (not the leader) execs /bin/true. */
static void *exec_thread(void *arg)
{
	char *const argv[] = { "ttrue", NULL };

	(void)arg;
	execve("/bin/true", argv, environ);
	return NULL;
}

static int wl_thread_exec(void *arg)
{
	pthread_t th;

	(void)arg;
	if (pthread_create(&th, NULL, exec_thread, NULL))
		return 1;
	pthread_join(th, NULL);
	return 127;
}

/* fork, then an exec that fails in the child. */
static int wl_fork_exec_fails(void *arg)
{
	pid_t p = fork();
	int st;

	(void)arg;
	if (p == 0) {
		char *const argv[] = { "sa-prog", "arg1", NULL };

		execv("/nonexistent/sa-prog", argv);
		_exit(errno == ENOENT ? 5 : 6);
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 5 ? 0 : 1;
}

/* exec /bin/true with the argument vector in @arg. */
static int wl_exec_argv(void *arg)
{
	execve("/bin/true", (char *const *)arg, environ);
	return 127;
}

/* A seccomp filter refusing io_uring_setup, bpf and every 32-bit call with
 * EPERM, then each of them once. */
static int wl_refused(void *arg)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_io_uring_setup, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	char params[120] = { 0 };
	long r1, r2, r3 = 20; /* i386 getpid */

	(void)arg;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return 1;
	r1 = syscall(SYS_io_uring_setup, 4, params);
	r2 = syscall(SYS_bpf, 0, NULL, 0);
	__asm__ volatile("int $0x80" : "+a"(r3) : : "memory");
	return r1 == -1 && r2 == -1 && r3 == -EPERM ? 0 : 1;
}

/* Six opens of one file under six names (arg = the file's directory). */
static int wl_open_six_ways(void *arg)
{
	const char *dir = arg;
	char p[512], link[512], longp[1600];
	int fds[6], dfd, ok = 1, n;

	snprintf(p, sizeof(p), "%.400s/file.txt", dir);
	snprintf(link, sizeof(link), "%.400s.link", dir);
	fds[0] = open(p, O_RDONLY);    /* 1. direct */
	fds[1] = open(link, O_RDONLY); /* 2. a symlink elsewhere */
	if (chdir(dir))
		return 1;
	fds[2] = open("file.txt", O_RDONLY); /* 3. relative to the cwd */
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	fds[3] = openat(dfd, "file.txt", O_RDONLY); /* 4. a dirfd */
	snprintf(longp, sizeof(longp), "/proc/self/root%.500s", p);
	fds[4] = open(longp, O_RDONLY); /* 5. /proc/self/root */
	n = 0;                          /* 6. over-long: 300 "/." */
	for (int i = 0; i < 300; i++)
		n += snprintf(longp + n, sizeof(longp) - n, "/.");
	snprintf(longp + n, sizeof(longp) - n, "%.500s", p);
	fds[5] = open(longp, O_RDONLY);
	for (int i = 0; i < 6; i++)
		ok &= fds[i] >= 0;
	return ok ? 0 : 1;
}

/*
 * Renames, links and symlinks with known second paths, inside a pod view made
 * here: a private mount namespace, the host directory D/host bind-mounted on
 * D/root/mnt, the root changed to D/root (arg = D). As the pod sees it:
 * /mnt/sub/{a,x,c2}, /mnt/sub2, and /lnk -> /mnt/sub2 (a symlink).
 */
static int wl_second_paths(void *arg)
{
	const char *d = arg;
	char from[512], to[512];
	int sub, sub2, ok = 1;

	snprintf(from, sizeof(from), "%.400s/host", d);
	snprintf(to, sizeof(to), "%.400s/root/mnt", d);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(from, to, NULL, MS_BIND, NULL))
		return 2;
	snprintf(to, sizeof(to), "%.400s/root", d);
	if (chroot(to) || chdir("/mnt/sub"))
		return 3;
	sub = open("/mnt/sub", O_RDONLY | O_DIRECTORY);
	sub2 = open("/lnk", O_RDONLY | O_DIRECTORY); /* through the symlink */
	if (sub < 0 || sub2 < 0)
		return 4;
	ok &= rename("a", "b") == 0;                        /* cwd-relative */
	ok &= renameat(sub, "b", sub2, "c") == 0;           /* two dirfds */
	ok &= linkat(sub, "x", sub2, "y", 0) == 0;          /* link into the other */
	ok &= symlinkat("../target-text", sub2, "sl") == 0; /* a link made at a dirfd */
	ok &= symlink("anything", "sl3") == 0;              /* ... at the cwd */
	ok &= syscall(SYS_renameat2, AT_FDCWD, "/mnt/sub/c2", AT_FDCWD, "../sub2/./d", 0) == 0;
	ok &= link("/mnt/sub2/y", "/absent/z") == -1 && errno == ENOENT;
	return ok ? 0 : 1;
}

/* An open of each path in a NULL-ended list (arg); the result does not matter. */
static int wl_open_list(void *arg)
{
	char *const *paths = arg;

	for (int i = 0; paths[i]; i++) {
		int fd = open(paths[i], O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* A second thread renames dir A <-> B while this one opens A/f or B/f
 * (arg = the parent directory), 3,000 times. */
struct flip {
	const char *dir;
	volatile int stop;
};

static void *flipper(void *arg)
{
	struct flip *f = arg;
	char a[256], b[256];

	snprintf(a, sizeof(a), "%.200s/A", f->dir);
	snprintf(b, sizeof(b), "%.200s/B", f->dir);
	while (!f->stop)
		if (rename(a, b) == 0)
			rename(b, a);
	return NULL;
}

static int wl_open_while_renaming(void *arg)
{
	struct flip f = { .dir = arg };
	char a[256], b[256];
	pthread_t t;
	int opened = 0;

	snprintf(a, sizeof(a), "%.200s/A/f", f.dir);
	snprintf(b, sizeof(b), "%.200s/B/f", f.dir);
	if (pthread_create(&t, NULL, flipper, &f))
		return 2;
	for (int i = 0; i < 3000; i++) {
		int fd = open(i % 2 ? a : b, O_RDONLY);

		if (fd >= 0) {
			opened++;
			close(fd);
		}
	}
	f.stop = 1;
	pthread_join(t, NULL);
	return opened > 0 ? 0 : 1;
}

/* chdir into dir/A/sub, rename dir/A to dir/C, open "f" there (arg = dir). */
static int wl_cwd_renamed(void *arg)
{
	char a[256], c[256];
	int fd;

	snprintf(a, sizeof(a), "%.200s/A", (const char *)arg);
	snprintf(c, sizeof(c), "%.200s/C", (const char *)arg);
	if (chdir(a) || chdir("sub"))
		return 2;
	fd = open("f", O_RDONLY); /* cwd walked and cached: .../A/sub */
	close(fd);
	if (rename(a, c))
		return 3;
	fd = open("f", O_RDONLY); /* the same dentry, now .../C/sub */
	return fd >= 0 ? 0 : 1;
}

/* execve("/proc/self/fd/N") of an fd open on /bin/true. */
static int wl_exec_proc_fd(void *arg)
{
	char p[64];
	char *const argv[] = { "true-by-fd", NULL };
	int fd = open("/bin/true", O_RDONLY);

	(void)arg;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	execv(p, argv);
	return 127;
}

/* One IORING_OP_OPENAT of arg through a ring made with raw system calls. */
static int wl_uring_open(void *arg)
{
	struct io_uring_params p = { 0 };
	struct io_uring_sqe *sqes, *e;
	struct io_uring_cqe *cqes;
	unsigned *tail, *mask, *array, t, idx;
	size_t sq_sz, cq_sz;
	char *sq, *cq;
	int fd = (int)syscall(SYS_io_uring_setup, 4, &p);

	if (fd < 0)
		return 2;
	sq_sz = p.sq_off.array + p.sq_entries * sizeof(__u32);
	cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
	sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	cq = (p.features & IORING_FEAT_SINGLE_MMAP)
		 ? sq
		 : mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
			IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		return 3;
	tail = (unsigned *)(sq + p.sq_off.tail);
	mask = (unsigned *)(sq + p.sq_off.ring_mask);
	array = (unsigned *)(sq + p.sq_off.array);
	t = *tail;
	idx = t & *mask;
	e = &sqes[idx];
	memset(e, 0, sizeof(*e));
	e->opcode = IORING_OP_OPENAT;
	e->fd = AT_FDCWD;
	e->addr = (unsigned long)arg;
	e->open_flags = O_RDONLY;
	array[idx] = idx;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1)
		return 4;
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return cqes[*(unsigned *)(cq + p.cq_off.head) & *(unsigned *)(cq + p.cq_off.ring_mask)]
			   .res >= 0
		   ? 0
		   : 5;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* A blocking open of a FIFO, interrupted by SIGALRM (SA_RESTART) several
 * times, then completed by a writer (arg = the FIFO's path). */
static int wl_interrupted_open(void *arg)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	struct itimerval it = { { 0, 30000 }, { 0, 30000 } };
	pid_t w;
	int fd, st;

	sigaction(SIGALRM, &sa, NULL);
	w = fork();
	if (w == 0) {
		usleep(200000);
		_exit(open((const char *)arg, O_WRONLY) < 0);
	}
	setitimer(ITIMER_REAL, &it, NULL);
	fd = open((const char *)arg, O_RDONLY);
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	waitpid(w, &st, 0);
	return fd >= 0 ? 0 : 1;
}

/* UDP: one sendto and one sendmsg with an address (arg = sockaddr_in). */
static int wl_udp(void *arg)
{
	struct sockaddr_in *sin = arg;
	struct iovec iov = { .iov_base = "pong", .iov_len = 4 };
	struct msghdr mh = {
		.msg_name = sin, .msg_namelen = sizeof(*sin), .msg_iov = &iov, .msg_iovlen = 1
	};
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	ssize_t a = sendto(s, "ping!", 5, 0, (struct sockaddr *)sin, sizeof(*sin));
	ssize_t b = sendmsg(s, &mh, 0);

	close(s);
	return a == 5 && b == 4 ? 0 : 1;
}

/* ---- TCase names ---------------------------------------------------------- */

START_TEST(test_syscall_table_is_generated_from_kernel_headers)
{
	ck_assert_str_eq(sysaudit_syscall_name(SYS_getppid), "getppid");
	ck_assert_str_eq(sysaudit_syscall_name(SYS_openat), "openat");
	ck_assert_str_eq(sysaudit_syscall_name(0), "read");
	ck_assert_int_eq(sysaudit_syscall_nr("execve"), SYS_execve);
	ck_assert_int_eq(sysaudit_syscall_nr("connect"), SYS_connect);
	ck_assert_ptr_null(sysaudit_syscall_name(-1));
	ck_assert_ptr_null(sysaudit_syscall_name(100000));
	ck_assert_int_eq(sysaudit_syscall_nr("no_such_call"), -ENOENT);
}
END_TEST

/* ---- TCase format --------------------------------------------------------- */

static struct sysaudit_event sample_open(void)
{
	struct sysaudit_event ev = { 0 };

	ev.kind = SYSAUDIT_EV_OPEN;
	ev.ts_ns = 1700000000123456789ULL;
	ev.pid = 1;
	ev.tid = 1;
	ev.host_pid = 4242;
	snprintf(ev.comm, sizeof(ev.comm), "worker");
	ev.nr = SYS_openat;
	ev.syscall = "openat";
	ev.ret = -ENOENT;
	snprintf(ev.path, sizeof(ev.path), "/etc/x");
	snprintf(ev.raw, sizeof(ev.raw), "../etc/x");
	snprintf(ev.cwd, sizeof(ev.cwd), "/srv");
	ev.eflags = SYSAUDIT_F_JOINED;
	ev.exec_id = 3;
	ev.parent_exec_id = 2;
	ev.flags = O_RDONLY;
	return ev;
}

START_TEST(test_format_line_is_the_audit_contract)
{
	struct sysaudit_event ev = sample_open();
	char buf[2048];
	int n = sysaudit_format_line(&ev, NULL, "pod-7", buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq((int)strlen(buf), n);
	ck_assert_str_eq(
	    buf, "{\"ts\":\"2023-11-14T22:13:20.123456Z\",\"pod\":\"pod-7\",\"src\":\"ebpf\","
		 "\"cat\":\"fs\",\"action\":\"info\",\"what\":\"/etc/x\",\"rule\":\"default\","
		 "\"pid\":1,\"tid\":1,\"host_pid\":4242,\"exec_id\":3,\"parent_exec_id\":2,"
		 "\"uid\":0,\"euid\":0,\"comm\":\"worker\",\"cwd\":\"/srv\",\"syscall\":\"openat\","
		 "\"ret\":-2,\"errno\":\"ENOENT\",\"flags\":0,\"mode\":0,\"access\":\"read\","
		 "\"arg_path\":\"../etc/x\",\"resolved\":\"joined\"}\n");
}
END_TEST

START_TEST(test_format_escapes_hostile_path_bytes)
{
	struct sysaudit_event ev = sample_open();
	char buf[1024];

	snprintf(ev.path, sizeof(ev.path), "/a\"b\\c\nd\x01\xff");
	ck_assert_int_gt(sysaudit_format_fields(&ev, NULL, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"what\":\"/a\\\"b\\\\c\\u000ad\\u0001\\u00ff\""));
	ck_assert_ptr_null(strchr(buf, '\n'));
}
END_TEST

START_TEST(test_format_reports_enospc_and_stays_terminated)
{
	struct sysaudit_event ev = sample_open();
	char buf[40];

	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(sysaudit_format_line(&ev, NULL, "pod", buf, sizeof(buf)), -ENOSPC);
	ck_assert_ptr_nonnull(memchr(buf, '\0', sizeof(buf)));
	ck_assert_int_eq(sysaudit_format_fields(NULL, NULL, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(test_format_process_events)
{
	struct sysaudit_event ev = sample_open();
	char buf[1024];

	ev.kind = SYSAUDIT_EV_EXIT;
	ev.syscall = "exit";
	ev.exit_status = 7 << 8;
	ck_assert_int_gt(sysaudit_format_fields(&ev, NULL, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(
	    strstr(buf, "\"cat\":\"life\",\"action\":\"info\",\"what\":\"process_exit\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"exit\":7"));
	ck_assert_ptr_null(strstr(buf, "\"ret\""));
	ev.exit_status = SIGKILL;
	ck_assert_int_gt(sysaudit_format_fields(&ev, NULL, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"exit\":137,\"signal\":9"));
	ev.kind = SYSAUDIT_EV_FORK;
	ev.syscall = "fork";
	ev.child_pid = 5;
	ck_assert_int_gt(sysaudit_format_fields(&ev, NULL, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, "\"what\":\"fork\""));
	ck_assert_ptr_nonnull(strstr(buf, "\"child_pid\":5"));
}
END_TEST

START_TEST(test_format_connect_what_is_addr_port)
{
	struct sysaudit_event ev = { 0 };
	char what[64];

	ev.kind = SYSAUDIT_EV_CONNECT;
	ev.family = AF_INET6;
	ev.port = 443;
	snprintf(ev.addr, sizeof(ev.addr), "::1");
	ck_assert_int_gt(sysaudit_event_what(&ev, what, sizeof(what)), 0);
	ck_assert_str_eq(what, "[::1]:443");
	ck_assert_str_eq(sysaudit_event_cat(&ev), "net");
	ev.family = AF_INET;
	snprintf(ev.addr, sizeof(ev.addr), "127.0.0.1");
	sysaudit_event_what(&ev, what, sizeof(what));
	ck_assert_str_eq(what, "127.0.0.1:443");
}
END_TEST

static void warn_etc(void *ctx, const struct sysaudit_event *ev, struct sysaudit_verdict *v)
{
	(void)ctx;
	if (ev->kind == SYSAUDIT_EV_OPEN && strncmp(ev->path, "/etc/", 5) == 0) {
		v->action = SYSAUDIT_WARN;
		snprintf(v->rule, sizeof(v->rule), "/etc");
	}
}

START_TEST(test_classifier_hook_turns_open_into_warn)
{
	struct sysaudit_event ev = sample_open();
	struct sysaudit_verdict v;
	sysaudit_t *a = NULL;
	char buf[1024];

	ck_assert_int_eq(sysaudit_new(&a), 0);
	sysaudit_classify(a, &ev, &v);
	ck_assert_int_eq(v.action, SYSAUDIT_INFO);
	sysaudit_set_classifier(a, warn_etc, NULL);
	sysaudit_classify(a, &ev, &v);
	ck_assert_int_eq(v.action, SYSAUDIT_WARN);
	ck_assert_int_gt(sysaudit_format_fields(&ev, &v, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(
	    strstr(buf, "\"action\":\"warn\",\"what\":\"/etc/x\",\"rule\":\"/etc\""));
	sysaudit_destroy(a);
	sysaudit_destroy(NULL);
}
END_TEST

START_TEST(test_decoder_rejects_bad_sizes_and_bounds_strings)
{
	static union {
		struct probe_exec x;
		char more[sizeof(struct probe_exec) + 64];
	} u;
	struct probe_exec *const xp = &u.x; /* strings copied from pod memory: fill every byte */
	static char store[SYSAUDIT_STORE_BYTES];
	struct sysaudit_event ev;

	memset(&u, 'A', sizeof(u));
	xp->h.kind = PROBE_EXEC;
	xp->h.nr = SYS_execve;
	xp->argc = 1000000; /* more than the record holds */
	/* 1. the size must be the kind's (an exec may end after its argument
	 * bytes, never before them); an unknown kind is refused */
	ck_assert_int_eq(sysaudit_decode(xp, sizeof(xp->h) - 1, 0, &ev, store), -EBADMSG);
	ck_assert_int_eq(sysaudit_decode(xp, PROBE_EXEC_ARGS - 1, 0, &ev, store), -EBADMSG);
	ck_assert_int_eq(sysaudit_decode(xp, sizeof(*xp) + 64, 0, &ev, store), -EBADMSG);
	xp->h.kind = PROBE_OPEN;
	ck_assert_int_eq(sysaudit_decode(xp, sizeof(*xp), 0, &ev, store), -EBADMSG);
	xp->h.kind = PROBE_EXEC;
	/* an exec record cut after 10 argument bytes that claims 4 KiB of them:
	 * nothing past its end is read */
	xp->args_len = PROBE_ARGS_BYTES;
	xp->h.eflags = PROBE_F_FROM_KERNEL;
	ck_assert_int_eq(sysaudit_decode(xp, PROBE_EXEC_ARGS + 10, 0, &ev, store), 0);
	ck_assert_int_eq(ev.argc, 1);
	ck_assert_uint_eq(strlen(ev.argv[0]), 10);
	memset(&xp->h.eflags, 'A', sizeof(xp->h.eflags)); /* as the fill left them */
	memset(&xp->args_len, 'A', sizeof(xp->args_len));
	xp->h.kind = 99;
	ck_assert_int_eq(sysaudit_decode(xp, sizeof(*xp), 0, &ev, store), -EBADMSG);
	/* 2. unterminated strings end inside their buffers; argc is clamped */
	xp->h.kind = PROBE_EXEC;
	ck_assert_int_eq(sysaudit_decode(xp, sizeof(*xp), 0, &ev, store), 0);
	/* a failed exec's slots: every one bounded */
	ck_assert_int_eq(ev.argc, PROBE_SLOTS);
	for (int i = 0; i < ev.argc; i++)
		ck_assert_uint_eq(strlen(ev.argv[i]), PROBE_SLOT - 1);
	ck_assert(ev.eflags & SYSAUDIT_F_ARGV_TRUNC);
	/* the kernel's copy: one unterminated argument filling the whole area */
	xp->h.eflags |= PROBE_F_FROM_KERNEL;
	ck_assert_int_eq(sysaudit_decode(xp, sizeof(*xp), 0, &ev, store), 0);
	ck_assert_int_eq(ev.argc, 1);
	ck_assert_uint_eq(strlen(ev.argv[0]), PROBE_ARGS_BYTES + PROBE_ARG_MAX);
	ck_assert(ev.eflags & SYSAUDIT_F_ARGV_TRUNC);
	ck_assert_uint_eq(ev.argc_total, 1000000);
	ck_assert_uint_eq(strlen(ev.raw), PROBE_PATH_MAX - 1);
	ck_assert_uint_eq(strlen(ev.cwd), PROBE_PATH_MAX - 1);
	ck_assert_uint_lt(strlen(ev.path), sizeof(ev.path));
	ck_assert_uint_eq(strlen(ev.comm), sizeof(ev.comm) - 1);
	ck_assert_str_eq(ev.syscall, "execve");
	/* 3. an open record ends right after its raw path: at least one byte of
	 * it, never past the short form; no byte after the record is read */
	{
		struct probe_path *op = (struct probe_path *)xp;

		memset(&u, 'A', sizeof(u));
		op->h.kind = PROBE_OPEN;
		op->h.nr = SYS_openat;
		op->h.eflags = 0;
		ck_assert_int_eq(sysaudit_decode(op, PROBE_PATH_RAW, 0, &ev, store), -EBADMSG);
		ck_assert_int_eq(sysaudit_decode(op, PROBE_PATH_SHORT + 1, 0, &ev, store),
				 -EBADMSG);
		ck_assert_int_eq(sysaudit_decode(op, PROBE_PATH_RAW + 5, 0, &ev, store), 0);
		ck_assert_str_eq(ev.raw, "AAAA"); /* five bytes, the last forced to NUL */
		ck_assert_int_eq(sysaudit_decode(op, PROBE_PATH_SHORT, 0, &ev, store), 0);
		ck_assert_uint_eq(strlen(ev.raw), PROBE_PATH_MAX - 1);
	}
}
END_TEST

/* ---- TCase errors ------------------------------------------------------- */

/* Run open() in a forked child after @prep; the child exits with the error kind
 * and writes the message to @msg through a pipe. */
static int open_in_child(void (*prep)(void), const struct sysaudit_opts *o, char *msg, size_t len)
{
	int p[2], st = 0;
	pid_t pid;
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		sysaudit_t *a = NULL;
		int rc;

		close(p[0]);
		if (prep)
			prep();
		if (sysaudit_new(&a))
			_exit(100);
		rc = sysaudit_open(a, o);
		if (write(p[1], sysaudit_last_error(a), strlen(sysaudit_last_error(a))) < 0)
			_exit(101);
		_exit(rc == 0 ? 0 : (int)sysaudit_last_error_kind(a));
	}
	close(p[1]);
	n = read(p[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void drop_to_nobody(void)
{
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		_exit(102);
}

static void drop_bpf_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		_exit(103);
	d[CAP_BPF / 32].effective &= ~(1u << (CAP_BPF % 32));
	d[CAP_PERFMON / 32].effective &= ~(1u << (CAP_PERFMON % 32));
	d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &h, d))
		_exit(104);
}

START_TEST(test_not_root_is_named)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_COUNTERS, .target_pid = getpid() };
	char msg[2048];

	POD_REQUIRE_ROOT();
	ck_assert_int_eq(open_in_child(drop_to_nobody, &o, msg, sizeof(msg)), SYSAUDIT_E_NOT_ROOT);
	ck_assert_msg(strncmp(msg, "not root", 8) == 0, "message: %s", msg);
}
END_TEST

START_TEST(test_missing_cap_bpf_is_named)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_COUNTERS, .target_pid = getpid() };
	char msg[2048];

	POD_REQUIRE_ROOT();
	ck_assert_int_eq(open_in_child(drop_bpf_caps, &o, msg, sizeof(msg)), SYSAUDIT_E_NO_CAP);
	ck_assert_msg(strstr(msg, "no CAP_BPF") && strstr(msg, "CAP_PERFMON"), "message: %s", msg);
}
END_TEST

START_TEST(test_missing_btf_is_named)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_COUNTERS,
				   .target_pid = getpid(),
				   .btf_path = "/nonexistent/sysaudit/vmlinux" };
	char msg[2048];

	POD_REQUIRE_ROOT();
	ck_assert_int_eq(open_in_child(NULL, &o, msg, sizeof(msg)), SYSAUDIT_E_NO_BTF);
	ck_assert_msg(strstr(msg, "no BTF") && strstr(msg, "/nonexistent/sysaudit/vmlinux"),
		      "message: %s", msg);
}
END_TEST

START_TEST(test_verifier_rejection_is_named_with_its_log)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_DETAILED, .selftest_verifier_reject = 1 };
	struct ns_child c;
	sysaudit_t *a = NULL;

	REQUIRE_BPF();
	n_getppid = 0;
	ck_assert_int_eq(ns_child_start(&c, 0, wl_getppid, NULL), 0);
	o.target_pid = c.pid;
	ck_assert_int_eq(sysaudit_new(&a), 0);
	ck_assert_int_lt(sysaudit_open(a, &o), 0);
	ck_assert_int_eq(sysaudit_last_error_kind(a), SYSAUDIT_E_VERIFIER);
	ck_assert_msg(strstr(sysaudit_last_error(a), "verifier rejection") &&
			  strstr(sysaudit_last_error(a), "selftest_reject"),
		      "message: %s", sysaudit_last_error(a));
	/* nothing half-open: a second open without the broken program works */
	o.selftest_verifier_reject = 0;
	ck_assert_msg(sysaudit_open(a, &o) == 0, "reopen: %s", sysaudit_last_error(a));
	sysaudit_destroy(a);
	ns_child_kill(&c);
}
END_TEST

START_TEST(test_bad_target_and_order_are_named)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_COUNTERS, .target_pid = 0 };
	sysaudit_t *a = NULL;
	pid_t dead = fork();

	POD_REQUIRE_ROOT();
	ck_assert_int_ge(dead, 0);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);
	ck_assert_int_eq(sysaudit_new(&a), 0);
	ck_assert_int_eq(sysaudit_attach(a), -EBADFD);
	ck_assert_int_eq(sysaudit_last_error_kind(a), SYSAUDIT_E_STATE);
	ck_assert_int_eq(sysaudit_epoll_fd(a), -EBADFD);
	ck_assert_int_eq(sysaudit_open(a, &o), -EINVAL);
	ck_assert_int_eq(sysaudit_last_error_kind(a), SYSAUDIT_E_TARGET);
	o.target_pid = dead;
	ck_assert_int_eq(sysaudit_open(a, &o), -ENOENT);
	ck_assert_int_eq(sysaudit_last_error_kind(a), SYSAUDIT_E_TARGET);
	ck_assert_msg(strstr(sysaudit_last_error(a), "target pid"), "%s", sysaudit_last_error(a));
	o.target_pid = getpid(); /* the initial namespace: would mean the whole machine */
	ck_assert_int_eq(sysaudit_open(a, &o), -EINVAL);
	ck_assert_int_eq(sysaudit_last_error_kind(a), SYSAUDIT_E_TARGET);
	ck_assert_msg(strstr(sysaudit_last_error(a), "initial pid namespace"), "%s",
		      sysaudit_last_error(a));
	sysaudit_destroy(a);
}
END_TEST

/* ---- TCase counters --------------------------------------------------------- */

START_TEST(test_counters_match_a_known_getppid_loop)
{
	struct run r = { 0 };
	uint64_t c = 0, lost = 1;
	struct sysaudit_count top[4];

	REQUIRE_BPF();
	n_getppid = 123457;
	run_start(&r, SYSAUDIT_COUNTERS, 0, wl_getppid, NULL);
	ck_assert_int_ge(sysaudit_epoll_fd(r.a), 0);
	run_finish(&r, NULL);
	ck_assert_int_eq(sysaudit_count_of(r.a, SYS_getppid, &c), 0);
	ck_assert_uint_eq(c, 123457);
	ck_assert_int_ge(sysaudit_counts(r.a, top, 4), 2);
	ck_assert_int_eq(top[0].nr, SYS_getppid);
	ck_assert_str_eq(top[0].name, "getppid");
	ck_assert_uint_eq(top[0].count, 123457);
	ck_assert_int_eq(sysaudit_count_of(r.a, SYS_exit_group, &c), 0);
	ck_assert_uint_eq(c, 1);
	ck_assert_int_eq(sysaudit_lost(r.a, &lost), 0);
	ck_assert_uint_eq(lost, 0);
	run_end(&r);
}
END_TEST

/* ---- TCase events -------------------------------------------------------- */

START_TEST(test_exec_event_has_binary_and_arguments)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	char line[SYSAUDIT_LINE_MAX], real[PATH_MAX], want[PATH_MAX + 64];

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(realpath("/bin/echo", real));
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_exec_echo, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	/* the file the kernel executed, resolved; the name asked for beside it */
	e = find(&s, SYSAUDIT_EV_EXEC, real);
	ck_assert_msg(e != NULL, "no exec event among %d", s.n);
	ck_assert_int_eq(e->ret, 0);
	ck_assert_uint_eq(e->pid, 1);
	ck_assert_uint_eq(e->tid, 1);
	ck_assert_str_eq(e->syscall, "execve");
	ck_assert(e->eflags & SYSAUDIT_F_FROM_KERNEL); /* re-read from the new image */
	ck_assert(e->eflags & SYSAUDIT_F_RESOLVED);
	ck_assert_str_eq(e->raw, "/bin/echo");
	ck_assert_str_eq(e->comm, "echo"); /* the new image's comm */
	ck_assert_uint_ge(e->exec_id, 2);
	ck_assert_uint_ne(e->parent_exec_id, 0);
	ck_assert_uint_ne(e->parent_exec_id, e->exec_id);
	ck_assert_int_eq(e->argc, 3);
	ck_assert_str_eq(e->argv[0], "echo");
	ck_assert_str_eq(e->argv[1], "hello");
	ck_assert_str_eq(e->argv[2], "sysaudit world");
	ck_assert_int_gt(sysaudit_format_line(e, NULL, "p1", line, sizeof(line)), 0);
	snprintf(want, sizeof(want), "\"cat\":\"run\",\"action\":\"info\",\"what\":\"%s\"", real);
	ck_assert_ptr_nonnull(strstr(line, want));
	ck_assert_ptr_nonnull(strstr(line, "\"filename\":\"/bin/echo\""));
	ck_assert_ptr_nonnull(strstr(line, "\"argv\":[\"echo\",\"hello\",\"sysaudit world\"]"));
	/* the exit event of the same process closes the story */
	e = find(&s, SYSAUDIT_EV_EXIT, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->pid, 1);
	ck_assert_int_eq(e->exit_status, 0);
	free(s.ev);
	run_end(&r);
}
END_TEST

/* Paths through several mounts (/dev, /proc, the root), a cwd and an exec. */
static int wl_walks(void *arg)
{
	char *const argv[] = { "echo", "walked", NULL };
	int fd;

	(void)arg;
	if (chdir("/tmp") < 0)
		return 126;
	fd = open("/dev/null", O_WRONLY);
	close(open("/proc/self/status", O_RDONLY));
	dup2(fd, 1);
	execv("/bin/echo", argv);
	return 127;
}

/*
 * The cut-down BTF the build made (sysaudit_core_btf()) is what an open on
 * this kernel relocates against, and the programs read through it exactly
 * what they read through the kernel's whole BTF: paths walked across
 * mounts, the cwd, the exec's file, comm and arguments.
 */
START_TEST(test_cut_down_btf_reads_what_the_kernel_btf_reads)
{
	char real[PATH_MAX], seen[2][4][PATH_MAX + 64];
	const char *want[2] = { "cut-down", "kernel" };

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(realpath("/bin/echo", real));
	for (int k = 0; k < 2; k++) {
		struct run r = { 0 };
		struct sink s;
		const struct sysaudit_event *e;

		kernel_btf = k;
		sink_init(&s);
		run_start(&r, SYSAUDIT_DETAILED, 0, wl_walks, NULL);
		kernel_btf = 0;
		ck_assert_str_eq(sysaudit_core_btf(r.a), want[k]);
		run_finish(&r, &s);
		ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		e = find(&s, SYSAUDIT_EV_OPEN, "/dev/null");
		ck_assert_msg(e != NULL, "%s BTF: no open of /dev/null among %d", want[k], s.n);
		snprintf(seen[k][0], sizeof seen[k][0], "%s %s", e->path, e->cwd);
		e = find(&s, SYSAUDIT_EV_OPEN, "/proc/self/status");
		if (!e) /* the kernel's resolution names the pid */
			for (int i = 0; i < s.n && !e; i++)
				if (s.ev[i].ev.kind == SYSAUDIT_EV_OPEN &&
				    !strcmp(s.ev[i].ev.raw, "/proc/self/status"))
					e = &s.ev[i].ev;
		ck_assert_msg(e != NULL, "%s BTF: no open of /proc/self/status", want[k]);
		/* (the resolved name holds the task's pid, which differs by run) */
		snprintf(seen[k][1], sizeof seen[k][1], "%s %s",
			 strncmp(e->path, "/proc/", 6) ? e->path : "/proc/", e->cwd);
		e = find(&s, SYSAUDIT_EV_EXEC, real);
		ck_assert_msg(e != NULL, "%s BTF: no exec of %s among %d", want[k], real, s.n);
		ck_assert_int_eq(e->argc, 2);
		snprintf(seen[k][2], sizeof seen[k][2], "%s %s %s %s %s", e->path, e->raw, e->comm,
			 e->argv[0], e->argv[1]);
		snprintf(seen[k][3], sizeof seen[k][3], "%s %u", e->cwd, e->pid);
		free(s.ev);
		run_end(&r);
	}
	ck_assert_str_eq(seen[0][0], "/dev/null /tmp");
	ck_assert_str_eq(seen[0][3], "/tmp 1");
	for (int i = 0; i < 4; i++)
		ck_assert_str_eq(seen[0][i], seen[1][i]);
}
END_TEST

START_TEST(test_openat_event_has_path_flags_and_enoent)
{
	struct run r = { 0 };
	struct sink s;
	char path[128];
	const struct sysaudit_event *e;

	REQUIRE_BPF();
	snprintf(path, sizeof(path), "/nonexistent/sysaudit-%d/file", (int)getpid());
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_open_missing, path);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	e = find(&s, SYSAUDIT_EV_OPEN, path);
	ck_assert_msg(e != NULL, "no open event among %d", s.n);
	ck_assert_int_eq(e->ret, -ENOENT);
	ck_assert_int_eq(e->flags, O_RDONLY | O_CLOEXEC);
	ck_assert_str_eq(e->syscall, "openat");
	ck_assert_str_eq(e->comm, "check_sysaudit");
	ck_assert_int_eq((int)e->args[0], AT_FDCWD);
	ck_assert_uint_eq(e->pid, 1);
	ck_assert(!(e->eflags & SYSAUDIT_F_WRITE));
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_connect_event_has_address_and_port)
{
	struct run r = { 0 };
	struct sink s;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	const struct sysaudit_event *e = NULL;
	int l;

	REQUIRE_BPF();
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &sl), 0);
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_connect, &sin);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n && !e; i++)
		if (s.ev[i].ev.kind == SYSAUDIT_EV_CONNECT)
			e = &s.ev[i].ev;
	ck_assert_msg(e != NULL, "no connect event among %d", s.n);
	ck_assert_int_eq(e->family, AF_INET);
	ck_assert_str_eq(e->addr, "127.0.0.1");
	ck_assert_uint_eq(e->port, ntohs(sin.sin_port));
	ck_assert_int_eq(e->ret, 0);
	ck_assert_str_eq(sysaudit_event_cat(e), "net");
	close(l);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_openat2_flags_come_from_open_how)
{
	struct run r = { 0 };
	struct sink s;
	char path[128];
	const struct sysaudit_event *e;

	REQUIRE_BPF();
	snprintf(path, sizeof(path), "/nonexistent/sysaudit2-%d", (int)getpid());
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_openat2_missing, path);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	e = find(&s, SYSAUDIT_EV_OPEN, path);
	ck_assert_msg(e != NULL, "no openat2 event among %d", s.n);
	ck_assert_str_eq(e->syscall, "openat2");
	ck_assert_int_eq(e->flags, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(e->ret, -ENOENT);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_connect_unix_reports_the_socket_path)
{
	struct run r = { 0 };
	struct sink s;
	char path[96], what[160];
	const struct sysaudit_event *e = NULL;

	REQUIRE_BPF();
	snprintf(path, sizeof(path), "/nonexistent/sysaudit-%d.sock", (int)getpid());
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_connect_unix, path);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n && !e; i++)
		if (s.ev[i].ev.kind == SYSAUDIT_EV_CONNECT)
			e = &s.ev[i].ev;
	ck_assert_msg(e != NULL, "no connect event among %d", s.n);
	ck_assert_int_eq(e->family, AF_UNIX);
	ck_assert_str_eq(e->path, path);
	ck_assert_int_eq(e->ret, -ENOENT);
	sysaudit_event_what(e, what, sizeof(what));
	ck_assert_str_eq(what + 5, path);
	ck_assert(strncmp(what, "unix:", 5) == 0);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_fork_and_exit_events_carry_pod_pids_and_status)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *f;
	int exits = 0, seen7 = 0, seen3 = 0;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_fork_child, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3);
	f = find(&s, SYSAUDIT_EV_FORK, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->pid, 1);
	ck_assert_uint_eq(f->child_pid, 2);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		if (e->kind != SYSAUDIT_EV_EXIT)
			continue;
		exits++;
		seen7 |= e->pid == 2 && WEXITSTATUS(e->exit_status) == 7;
		seen3 |= e->pid == 1 && WEXITSTATUS(e->exit_status) == 3;
	}
	ck_assert_int_eq(exits, 2);
	ck_assert(seen7 && seen3);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_mmap_prot_exec_names_the_file)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e = NULL;
	const char *lib = "/bin/true";
	char real[PATH_MAX];
	struct stat root, file;

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(realpath(lib, real));
	ck_assert_int_eq(stat("/", &root), 0);
	ck_assert_int_eq(stat(real, &file), 0);
	POD_REQUIRE(root.st_dev == file.st_dev, "the test binary must live on the root filesystem");
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_mmap_exec, (void *)lib);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n && !e; i++)
		if (s.ev[i].ev.kind == SYSAUDIT_EV_MMAP_EXEC)
			e = &s.ev[i].ev;
	ck_assert_msg(e != NULL, "no mmap event among %d", s.n);
	/* the kernel-side dentry walk gives the path within the root filesystem */
	ck_assert_str_eq(e->path, real);
	ck_assert(!(e->eflags & SYSAUDIT_F_FILE_BASENAME));
	ck_assert(e->prot & PROT_EXEC);
	ck_assert_int_gt(e->ret, 0);
	ck_assert_str_eq(sysaudit_event_cat(e), "ffi");
	free(s.ev);
	run_end(&r);
}
END_TEST

static int wl_mprotect_exec(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return 1;
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 1;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 ? 0 : 1;
}

START_TEST(test_mprotect_exec_names_the_mapped_file)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e = NULL;
	char real[PATH_MAX];

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(realpath("/bin/true", real));
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_mprotect_exec, (void *)"/bin/true");
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n && !e; i++)
		if (s.ev[i].ev.kind == SYSAUDIT_EV_MPROTECT_EXEC)
			e = &s.ev[i].ev;
	ck_assert_msg(e != NULL, "no mprotect event among %d", s.n);
	ck_assert_str_eq(e->path, real);
	ck_assert_int_eq(e->ret, 0);
	ck_assert_str_eq(e->syscall, "mprotect");
	free(s.ev);
	run_end(&r);
}
END_TEST

/* Executable memory made without mmap or mprotect: pkey_mprotect (key -1
 * behaves as mprotect on any CPU) and System V shared memory attached with
 * SHM_EXEC. */
static int wl_exec_memory_other_ways(void *arg)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *q;
	int id, ok = 1;

	(void)arg;
	if (p == MAP_FAILED)
		return 1;
	if (syscall(SYS_pkey_mprotect, p, 4096, PROT_READ | PROT_EXEC, -1) != 0)
		ok = 0;
	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0)
		return 1;
	q = shmat(id, NULL, SHM_EXEC);
	shmctl(id, IPC_RMID, NULL);
	if (q == (void *)-1)
		ok = 0;
	else
		shmdt(q);
	return ok ? 0 : 1;
}

START_TEST(test_exec_memory_by_pkey_mprotect_and_shmat_is_reported)
{
	struct run r = { 0 };
	struct sink s;
	int pkey = 0, shm = 0;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_exec_memory_other_ways, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		if (e->kind == SYSAUDIT_EV_MPROTECT_EXEC && !strcmp(e->syscall, "pkey_mprotect")) {
			pkey++;
			ck_assert_int_eq(e->ret, 0);
			ck_assert(e->prot & PROT_EXEC);
			ck_assert_str_eq(e->path, ""); /* anonymous: no file behind it */
			ck_assert_str_eq(sysaudit_event_cat(e), "ffi");
		}
		if (e->kind == SYSAUDIT_EV_SYSCALL && !strcmp(e->syscall, "shmat")) {
			shm++;
			ck_assert(e->args[2] & SHM_EXEC);
			ck_assert_int_gt(e->ret, 0);
		}
	}
	ck_assert_int_eq(pkey, 1);
	ck_assert_int_eq(shm, 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_all_mode_reports_every_syscall_with_result)
{
	struct run r = { 0 };
	struct sink s;
	int getppids = 0;
	char line[1024];

	REQUIRE_BPF();
	sink_init(&s);
	n_getppid = 5;
	run_start(&r, SYSAUDIT_ALL, 0, wl_getppid, NULL);
	run_finish(&r, &s);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		if (e->kind != SYSAUDIT_EV_SYSCALL || e->nr != SYS_getppid)
			continue;
		getppids++;
		ck_assert_str_eq(e->syscall, "getppid");
		ck_assert_int_eq(e->ret, 0); /* the parent is outside the namespace */
		ck_assert_uint_eq(e->pid, 1);
		ck_assert_int_gt(sysaudit_format_fields(e, NULL, line, sizeof(line)), 0);
		ck_assert_ptr_nonnull(
		    strstr(line, "\"cat\":\"life\",\"action\":\"info\",\"what\":\"getppid\""));
		ck_assert_ptr_nonnull(strstr(line, "\"nr\":110,\"args\":[\"0x"));
	}
	ck_assert_int_eq(getppids, 5);
	ck_assert_ptr_nonnull(find(&s, SYSAUDIT_EV_EXIT, NULL));
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_32bit_syscalls_are_counted_and_reported)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e = NULL;
	uint64_t c = 0;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_compat_getpid, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_eq(sysaudit_count_of(r.a, SYSAUDIT_NR_COMPAT, &c), 0);
	ck_assert_uint_eq(c, 1);
	for (int i = 0; i < s.n && !e; i++)
		if (s.ev[i].ev.eflags & SYSAUDIT_F_COMPAT)
			e = &s.ev[i].ev;
	ck_assert_msg(e != NULL, "no compat event among %d", s.n);
	ck_assert_int_eq(e->kind, SYSAUDIT_EV_SYSCALL);
	ck_assert_int_eq(e->nr, 20);
	ck_assert_str_eq(e->syscall, "getpid");
	ck_assert_int_eq(e->ret, 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_open_for_writing_is_flagged_write)
{
	struct run r = { 0 };
	struct sink s;
	char path[64];
	const struct sysaudit_event *e;
	char line[1024];

	REQUIRE_BPF();
	snprintf(path, sizeof(path), "/tmp/sysaudit-w-%d", (int)getpid());
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_create_file, path);
	run_finish(&r, &s);
	unlink(path);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	e = find(&s, SYSAUDIT_EV_OPEN, path);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_ge(e->ret, 0);
	ck_assert_int_eq(e->flags, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	ck_assert_uint_eq(e->mode, 0640);
	ck_assert(e->eflags & SYSAUDIT_F_WRITE);
	ck_assert_int_gt(sysaudit_format_fields(e, NULL, line, sizeof(line)), 0);
	ck_assert_ptr_nonnull(strstr(line, "\"access\":\"write\""));
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_epoll_fd_wakes_for_an_isolated_event)
{
	struct sysaudit_opts o = { .mode = SYSAUDIT_DETAILED };
	struct ns_child c;
	sysaudit_t *a = NULL;
	struct sink s;
	struct pollfd pfd;
	int hold[2];

	REQUIRE_BPF();
	sink_init(&s);
	ck_assert_int_eq(pipe(hold), 0);
	ck_assert_int_eq(ns_child_start(&c, 0, wl_open_then_wait, hold), 0);
	o.target_pid = c.pid;
	ck_assert_int_eq(sysaudit_new(&a), 0);
	ck_assert_msg(sysaudit_open(a, &o) == 0, "%s", sysaudit_last_error(a));
	ck_assert_int_eq(sysaudit_attach(a), 0);
	usleep(20000); /* longer than the wake-up interval: the next record wakes */
	ck_assert_int_eq(ns_child_go(&c), 0);
	/* the child is still alive: only the kernel's wake-up can make this return */
	pfd.fd = sysaudit_epoll_fd(a);
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1); /* generous: a loaded 2-CPU CI box */
	ck_assert_int_ge(sysaudit_consume(a, collect, &s), 1);
	ck_assert_msg(find(&s, SYSAUDIT_EV_OPEN, "/nonexistent/sysaudit-wake") != NULL,
		      "n=%d kind=%d path=%s", s.n, s.ev[0].ev.kind, s.ev[0].ev.path);
	close(hold[1]);
	ck_assert_int_eq(ns_child_wait(&c, NULL), 0);
	close(hold[0]);
	ns_child_kill(&c);
	sysaudit_destroy(a);
	free(s.ev);
}
END_TEST

/* ---- TCase isolation ------------------------------------------------------ */

/* Busy forever (until killed) with the same calls as the pod: "another pod". */
static int wl_busy(void *arg)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed assertion must not leave it spinning */
	for (;;) {
		syscall(SYS_openat, AT_FDCWD, (const char *)arg, O_RDONLY);
		syscall(SYS_getppid);
	}
	return 0;
}

START_TEST(test_busy_process_outside_the_pod_is_not_reported)
{
	struct run r = { 0 };
	struct ns_child other;
	struct sink s;
	char pod_path[128];
	pid_t outside, pod;
	int pod_opens = 0;

	REQUIRE_BPF();
	snprintf(pod_path, sizeof(pod_path), "/nonexistent/sysaudit-pod-%d", (int)getpid());
	/* another pod: its own pid namespace at the same depth as the audited one */
	ck_assert_int_eq(ns_child_start(&other, 0, wl_busy, pod_path), 0);
	ck_assert_int_eq(ns_child_go(&other), 0);
	outside = fork();
	ck_assert_int_ge(outside, 0);
	if (outside == 0) { /* busy, same binary, same paths, but not in the pod */
		prctl(PR_SET_PDEATHSIG,
		      SIGKILL); /* a failed assertion must not leave it spinning */
		if (getppid() == 1)
			_exit(0);
		for (;;) {
			syscall(SYS_openat, AT_FDCWD, pod_path, O_RDONLY);
			syscall(SYS_getppid);
		}
	}
	sink_init(&s);
	n_getppid = 1000;
	run_start(&r, SYSAUDIT_ALL, 0, wl_open_missing, pod_path);
	pod = r.child.pid;
	usleep(100000); /* the outside process runs while the auditor is attached */
	run_finish(&r, &s);
	kill(outside, SIGKILL);
	waitpid(outside, NULL, 0);
	ck_assert_int_gt(s.n, 0);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		ck_assert_msg(e->host_pid == (uint32_t)pod, "event from host pid %u", e->host_pid);
		ck_assert_uint_ne(e->host_pid, (uint32_t)outside);
		ck_assert_uint_ne(e->host_pid, (uint32_t)other.pid);
		ck_assert_uint_eq(e->pid, 1);
		pod_opens += e->kind == SYSAUDIT_EV_OPEN && strcmp(e->path, pod_path) == 0;
	}
	ck_assert_int_eq(pod_opens, 1);
	ns_child_kill(&other);
	free(s.ev);
	run_end(&r);
}
END_TEST

/* ---- TCase truth: workloads whose events are known exactly --------------- */

static int count_exec(const struct sink *s, int ok)
{
	int n = 0;

	for (int i = 0; i < s->n; i++)
		n += s->ev[i].ev.kind == SYSAUDIT_EV_EXEC &&
		     (ok ? s->ev[i].ev.ret == 0 : s->ev[i].ev.ret < 0);
	return n;
}

static const struct sysaudit_event *first_exec(const struct sink *s)
{
	return find(s, SYSAUDIT_EV_EXEC, NULL);
}

START_TEST(test_execveat_of_a_memfd_is_reported_as_memfd)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	uint64_t c = 0;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_exec_memfd, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_eq(count_exec(&s, 1), 1);
	e = first_exec(&s);
	ck_assert_int_eq(e->ret, 0);
	ck_assert_str_eq(e->syscall, "execveat");
	ck_assert(e->eflags & SYSAUDIT_F_MEMFD);
	ck_assert(e->eflags & SYSAUDIT_F_ANON);
	ck_assert_msg(!strncmp(e->path, "memfd:sa-memfd", 14), "path %s", e->path);
	ck_assert_msg(!strncmp(e->raw, "/dev/fd/", 8), "filename %s", e->raw);
	ck_assert_int_eq(e->argc, 2);
	ck_assert_str_eq(e->argv[0], "memtrue");
	ck_assert_str_eq(e->argv[1], "x");
	ck_assert_int_eq(sysaudit_count_of(r.a, SYS_execveat, &c), 0);
	ck_assert_uint_eq(c, 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_fexecve_and_execveat_with_a_dirfd_are_reported)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	char real[PATH_MAX];

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(realpath("/bin/true", real));
	for (int k = 0; k < 2; k++) {
		sink_init(&s);
		memset(&r, 0, sizeof(r));
		run_start(&r, SYSAUDIT_DETAILED, 0, k ? wl_execveat_dirfd : wl_fexecve, NULL);
		run_finish(&r, &s);
		ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		ck_assert_int_eq(count_exec(&s, 1), 1);
		e = first_exec(&s);
		ck_assert_str_eq(e->syscall, "execveat");
		ck_assert_str_eq(e->path, real);
		ck_assert(!(e->eflags & SYSAUDIT_F_MEMFD));
		ck_assert_str_eq(e->argv[0], k ? "dtrue" : "ftrue");
		ck_assert_str_eq(e->comm, "true");
		free(s.ev);
		run_end(&r);
	}
}
END_TEST

/* The 32-bit helper sits next to this test binary (no build path compiled in). */
static const char *exit32_path(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
	char *slash;

	if (n <= 0)
		return "exit32";
	path[n] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "exit32");
	return path;
}

START_TEST(test_exec_of_a_32bit_program_is_reported)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	uint64_t c = 0;

	REQUIRE_BPF();
	const char *exit32 = exit32_path();

	POD_REQUIRE(access(exit32, X_OK) == 0, "the 32-bit helper was not built");
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_exec32, (void *)exit32);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 32);
	ck_assert_int_eq(count_exec(&s, 1), 1);
	e = first_exec(&s);
	ck_assert_str_eq(e->path, exit32);
	ck_assert(e->eflags & SYSAUDIT_F_IMAGE32);
	ck_assert_str_eq(e->argv[0], "exit32");
	/* the image's one syscall, i386 exit, is counted in the compat slot */
	ck_assert_int_eq(sysaudit_count_of(r.a, SYSAUDIT_NR_COMPAT, &c), 0);
	ck_assert_uint_eq(c, 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_exec_from_a_non_leader_thread_is_reported)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_thread_exec, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_eq(count_exec(&s, 1), 1);
	e = first_exec(&s);
	ck_assert_uint_eq(e->pid, 1); /* the thread took over the process */
	ck_assert_uint_eq(e->tid, 1);
	ck_assert_str_eq(e->argv[0], "ttrue");
	ck_assert_str_eq(e->syscall, "execve");
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_failed_exec_after_fork_names_the_file)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e, *f;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_fork_exec_fails, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_eq(count_exec(&s, 0), 1);
	e = first_exec(&s);
	ck_assert_int_eq(e->ret, -ENOENT);
	ck_assert_uint_eq(e->pid, 2);
	ck_assert_str_eq(e->raw, "/nonexistent/sa-prog");
	ck_assert_str_eq(e->path, "/nonexistent/sa-prog");
	/* argv the kernel never read may be in pages the child never touched */
	ck_assert(e->argc == 2 || (e->eflags & SYSAUDIT_F_UNREADABLE));
	if (e->argc == 2) {
		ck_assert_str_eq(e->argv[0], "sa-prog");
		ck_assert_str_eq(e->argv[1], "arg1");
	}
	/* ancestry: the child's image came from the parent's by fork */
	f = find(&s, SYSAUDIT_EV_FORK, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->child_exec_id, e->exec_id);
	ck_assert_uint_eq(e->parent_exec_id, f->exec_id);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_long_and_hostile_argv_are_kept_or_marked)
{
	static char big[12][200], ctl[10][121], many[30][201];
	char *v1[14], *v2[12], *v3[32];
	char *line = malloc(SYSAUDIT_LINE_MAX);
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	int n;

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(line);
	/* 1. twelve arguments of 199 bytes: all kept */
	v1[0] = "true";
	for (int i = 0; i < 12; i++) {
		memset(big[i], 'a' + i, 199);
		v1[i + 1] = big[i];
	}
	v1[13] = NULL;
	/* 2. ten arguments of 120 control bytes: kept, escaped, one line */
	v2[0] = "true";
	for (int i = 0; i < 10; i++) {
		for (int j = 0; j < 120; j++)
			ctl[i][j] = (char)(1 + (j % 31));
		v2[i + 1] = ctl[i];
	}
	v2[11] = NULL;
	/* 3. thirty arguments of 200 bytes: 4 KiB kept, the rest marked */
	v3[0] = "true";
	for (int i = 0; i < 30; i++) {
		memset(many[i], 'A' + (i % 26), 200);
		v3[i + 1] = many[i];
	}
	v3[31] = NULL;
	for (int k = 0; k < 3; k++) {
		sink_init(&s);
		memset(&r, 0, sizeof(r));
		run_start(&r, SYSAUDIT_DETAILED, 0, wl_exec_argv,
			  k == 0   ? (void *)v1
			  : k == 1 ? (void *)v2
				   : (void *)v3);
		run_finish(&r, &s);
		ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
		ck_assert_int_eq(count_exec(&s, 1), 1);
		e = first_exec(&s);
		n = sysaudit_format_line(e, NULL, "p", line, SYSAUDIT_LINE_MAX);
		ck_assert_int_gt(n, 0);
		ck_assert_ptr_null(strchr(line, '\n') == line + n - 1 ? NULL : line);
		if (k == 0) {
			ck_assert_int_eq(e->argc, 13);
			ck_assert_uint_eq(e->argc_total, 13);
			for (int i = 0; i < 12; i++)
				ck_assert_mem_eq(e->argv[i + 1], big[i], 200);
			ck_assert(!(e->eflags & SYSAUDIT_F_ARGV_TRUNC));
		} else if (k == 1) {
			ck_assert_int_eq(e->argc, 11);
			for (int i = 0; i < 10; i++)
				ck_assert_mem_eq(e->argv[i + 1], ctl[i], 121);
			ck_assert_ptr_nonnull(strstr(line, "\\u0001\\u0002"));
		} else {
			ck_assert_uint_eq(e->argc_total, 31);
			ck_assert_int_lt(e->argc, 31);
			ck_assert(e->eflags & SYSAUDIT_F_ARGV_TRUNC);
			ck_assert(e->argv_cut &
				  (1ull << (e->argc - 1))); /* the last one kept is cut */
			ck_assert_ptr_nonnull(strstr(line, "\"argc\":31"));
			ck_assert_ptr_nonnull(strstr(line, "\"argv_truncated\":true"));
		}
		free(s.ev);
		run_end(&r);
	}
	free(line);
}
END_TEST

START_TEST(test_refused_calls_are_counted_and_reported)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	uint64_t c = 0;
	int io = 0, bpf = 0, c32 = 0;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_refused, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n; i++) {
		e = &s.ev[i].ev;
		if (e->kind != SYSAUDIT_EV_SYSCALL)
			continue;
		if (!strcmp(e->syscall, "io_uring_setup") && e->ret == -EPERM)
			io++;
		if (!strcmp(e->syscall, "bpf") && e->ret == -EPERM)
			bpf++;
		if ((e->eflags & SYSAUDIT_F_COMPAT) && !strcmp(e->syscall, "getpid") &&
		    e->ret == -EPERM)
			c32++;
	}
	ck_assert_int_eq(io, 1);
	ck_assert_int_eq(bpf, 1);
	ck_assert_int_eq(c32, 1);
	ck_assert_int_eq(sysaudit_count_of(r.a, SYS_io_uring_setup, &c), 0);
	ck_assert_uint_eq(c, 1);
	ck_assert_int_eq(sysaudit_count_of(r.a, SYS_bpf, &c), 0);
	ck_assert_uint_eq(c, 1);
	ck_assert_int_eq(sysaudit_count_of(r.a, SYSAUDIT_NR_COMPAT, &c), 0);
	ck_assert_uint_eq(c, 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_a_watched_file_is_seen_under_every_name)
{
	struct run r = { 0 };
	struct sink s;
	char dir[256], file[512], link[512], real[PATH_MAX];
	struct sysaudit_opts o = { .mode = SYSAUDIT_DETAILED };
	int n = 0, raw_abs = 0, fd;

	REQUIRE_BPF();
	snprintf(dir, sizeof(dir), "/tmp/sysaudit-watch-%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/file.txt", dir);
	snprintf(link, sizeof(link), "%s.link", dir);
	mkdir(dir, 0755);
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	unlink(link);
	ck_assert_int_eq(symlink(file, link), 0);
	ck_assert_ptr_nonnull(realpath(file, real));
	sink_init(&s);
	ck_assert_int_eq(ns_child_start(&r.child, 0, wl_open_six_ways, dir), 0);
	o.target_pid = r.child.pid;
	ck_assert_int_eq(sysaudit_new(&r.a), 0);
	ck_assert_msg(sysaudit_open(r.a, &o) == 0, "open: %s", sysaudit_last_error(r.a));
	ck_assert_int_eq(sysaudit_watch(r.a, dir, 77), 0);
	ck_assert_int_eq(sysaudit_watch(r.a, "/nonexistent/sysaudit", 1), -ENOENT);
	ck_assert_int_eq(sysaudit_attach(r.a), 0);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		if (e->kind != SYSAUDIT_EV_OPEN || !(e->eflags & SYSAUDIT_F_WATCHED) ||
		    strcmp(e->path, real))
			continue;
		n++;
		raw_abs += !strcmp(e->raw, file);
		ck_assert_uint_eq(e->watch_tag, 77);
		ck_assert(e->eflags & SYSAUDIT_F_RESOLVED);
	}
	/* direct, symlink, cwd-relative, dirfd, /proc/self/root, over-long:
	 * six opens, one path, and only one of them passed that path */
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(raw_abs, 1);
	unlink(link);
	unlink(file);
	rmdir(dir);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_fsreport_mode_sends_only_refused_and_watched)
{
	struct run r = { 0 };
	struct sink s;
	char path[128];
	uint64_t c = 0;

	REQUIRE_BPF();
	snprintf(path, sizeof(path), "/nonexistent/sysaudit-fsr-%d", (int)getpid());
	sink_init(&s);
	run_start(&r, SYSAUDIT_FSREPORT, 0, wl_exec_echo, NULL);
	run_finish(&r, &s);
	/* echo's loader opens libraries (success: not sent); no exec, no fork */
	ck_assert_int_eq(count_kind(&s, SYSAUDIT_EV_EXEC), 0);
	for (int i = 0; i < s.n; i++)
		ck_assert(s.ev[i].ev.kind == SYSAUDIT_EV_LOST ||
			  (s.ev[i].ev.kind == SYSAUDIT_EV_OPEN && s.ev[i].ev.ret < 0));
	ck_assert_int_eq(sysaudit_count_of(r.a, SYS_execve, &c), 0);
	ck_assert_uint_eq(c, 1);
	run_end(&r);
	/* a refused open is sent, with its path */
	s.n = 0;
	memset(&r, 0, sizeof(r));
	run_start(&r, SYSAUDIT_FSREPORT, 0, wl_open_missing, path);
	run_finish(&r, &s);
	ck_assert_ptr_nonnull(find(&s, SYSAUDIT_EV_OPEN, path));
	free(s.ev);
	run_end(&r);
}
END_TEST

/* The event of the file change named @syscall, or NULL. */
static const struct sysaudit_event *find_change(const struct sink *s, const char *syscall)
{
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].ev.kind == SYSAUDIT_EV_FSCHANGE &&
		    !strcmp(s->ev[i].ev.syscall, syscall))
			return &s->ev[i].ev;
	return NULL;
}

static void check_change(const struct sink *s, const char *syscall, long ret, const char *path,
			 const char *path2)
{
	const struct sysaudit_event *e = find_change(s, syscall);

	ck_assert_msg(e != NULL, "no %s event", syscall);
	ck_assert_int_eq(e->ret, ret);
	ck_assert_str_eq(e->path, path);
	ck_assert_str_eq(e->path2, path2);
}

START_TEST(test_second_paths_are_resolved_from_their_dirfd_or_cwd)
{
	struct run r = { 0 };
	struct sink s;
	char d[128], p[256], line[8192];
	const char *made[] = { "host/sub/a", "host/sub/x", "host/sub/c2" };
	const char *dirs[] = { "", "/host", "/host/sub", "/host/sub2", "/root", "/root/mnt" };
	const struct sysaudit_event *e;

	REQUIRE_BPF();
	snprintf(d, sizeof(d), "/tmp/sysaudit-2nd-%d", (int)getpid());
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", d, dirs[i]);
		ck_assert_int_eq(mkdir(p, 0755), 0);
	}
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", d, made[i]);
		close(open(p, O_WRONLY | O_CREAT, 0644));
	}
	snprintf(p, sizeof(p), "%s/root/lnk", d);
	ck_assert_int_eq(symlink("/mnt/sub2", p), 0);
	sink_init(&s);
	ck_assert_int_eq(ns_child_start(&r.child, CLONE_NEWNS, wl_second_paths, d), 0);
	{
		struct sysaudit_opts o = { .mode = SYSAUDIT_DETAILED, .target_pid = r.child.pid };

		ck_assert_int_eq(sysaudit_new(&r.a), 0);
		ck_assert_msg(sysaudit_open(r.a, &o) == 0, "open: %s", sysaudit_last_error(r.a));
		ck_assert_int_eq(sysaudit_attach(r.a), 0);
	}
	run_finish(&r, &s);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "workload status %d",
		      r.status);
	/* as the pod sees them: across the bind mount, up to the changed root */
	check_change(&s, "rename", 0, "/mnt/sub/a", "/mnt/sub/b");
	check_change(&s, "renameat", 0, "/mnt/sub/b", "/mnt/sub2/c");
	check_change(&s, "linkat", 0, "/mnt/sub/x", "/mnt/sub2/y");
	check_change(&s, "renameat2", 0, "/mnt/sub/c2", "/mnt/sub2/d");
	check_change(&s, "link", -ENOENT, "/mnt/sub2/y", "/absent/z");
	/* a symlink's event names the link made; the target is text */
	check_change(&s, "symlinkat", 0, "/mnt/sub2/sl", "");
	check_change(&s, "symlink", 0, "/mnt/sub/sl3", "");
	e = find_change(&s, "symlinkat");
	ck_assert_str_eq(e->raw, "../target-text");
	ck_assert(e->eflags & SYSAUDIT_F_JOINED);
	/* the audit line carries both */
	e = find_change(&s, "renameat");
	ck_assert_int_gt(sysaudit_format_line(e, NULL, "p1", line, sizeof(line)), 0);
	ck_assert_ptr_nonnull(strstr(line, "\"what\":\"/mnt/sub/b\""));
	ck_assert_ptr_nonnull(strstr(line, "\"path2\":\"/mnt/sub2/c\""));
	ck_assert_ptr_nonnull(strstr(line, "\"arg_path2\":\"c\""));
	free(s.ev);
	run_end(&r);
	snprintf(p, sizeof(p), "rm -rf '%s'", d);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

/* mkdir -p for a test tree (the parents of @path). */
static void mkdirs(const char *path)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s", path);
	for (char *q = p + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			mkdir(p, 0755);
			*q = '/';
		}
}

static void rm_tree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Is @tail a proper tail of @whole that starts right after one of its '/'? */
static int is_cut_tail(const char *whole, const char *tail)
{
	size_t w = strlen(whole), t = strlen(tail);

	return t > 0 && t < w && whole[w - t - 1] == '/' && !strcmp(whole + w - t, tail);
}

START_TEST(test_paths_past_the_walk_bounds_are_cut_and_marked)
{
	struct run r = { 0 };
	struct sink s;
	char dir[128], deep[4096], longp[1024], name[201];
	char *paths[3] = { deep, longp, NULL };
	int n = 0, cut = 0;

	REQUIRE_BPF();
	snprintf(dir, sizeof(dir), "/tmp/sysaudit-deep-%d", (int)getpid());
	/* 60 directories deep (the walk takes 40 steps), and 3 names of 200
	 * bytes (the path buffer holds 255) */
	n = snprintf(deep, sizeof(deep), "%s/deep", dir);
	for (int i = 0; i < 60; i++)
		n += snprintf(deep + n, sizeof(deep) - n, "/d%d", i);
	snprintf(deep + n, sizeof(deep) - n, "/f");
	memset(name, 'n', 200);
	name[200] = '\0';
	snprintf(longp, sizeof(longp), "%s/%s/%s/%s", dir, name, name, name);
	name[0] = 'm';
	memcpy(longp + strlen(longp) - 200, name, 200); /* the last one differs */
	mkdirs(deep);
	mkdirs(longp);
	close(open(deep, O_WRONLY | O_CREAT, 0644));
	close(open(longp, O_WRONLY | O_CREAT, 0644));
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_open_list, paths);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	n = 0;
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		const char *whole;

		/* the raw argument is cut at 255 bytes too */
		if (e->kind != SYSAUDIT_EV_OPEN || e->ret < 0)
			continue;
		if (!strncmp(e->raw, deep, SYSAUDIT_ARG_LEN - 1))
			whole = deep;
		else if (!strncmp(e->raw, longp, SYSAUDIT_ARG_LEN - 1))
			whole = longp;
		else
			continue;
		n++;
		/* cut, marked, and never mistaken for a whole absolute path:
		 * what is kept is the true tail without its leading '/' */
		ck_assert(e->eflags & SYSAUDIT_F_RESOLVED);
		ck_assert(e->eflags & SYSAUDIT_F_PATH_TRUNC);
		ck_assert_msg(e->path[0] != '/', "cut path looks absolute: %s", e->path);
		ck_assert_msg(is_cut_tail(whole, e->path), "not a tail of %s: %s", whole, e->path);
		cut++;
	}
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(cut, 2);
	free(s.ev);
	run_end(&r);
	rm_tree(dir);
}
END_TEST

/* Open events under dir/A or dir/B while they are renamed into each other. */
struct race_count {
	char a[256], b[256];
	long opens, right, raced, wrong;
	char bad[SYSAUDIT_PATH_MAX + 32];
};

static int race_check(void *ctx, const struct sysaudit_event *ev)
{
	struct race_count *c = ctx;

	if (ev->kind != SYSAUDIT_EV_OPEN || ev->ret < 0 || !strstr(ev->raw, "/f") ||
	    (strncmp(ev->raw, c->a, strlen(c->a) - 2) != 0))
		return 0;
	c->opens++;
	if ((ev->eflags & SYSAUDIT_F_RESOLVED) &&
	    (!strcmp(ev->path, c->a) || !strcmp(ev->path, c->b)))
		c->right++;
	else if ((ev->eflags & SYSAUDIT_F_RACED) && !(ev->eflags & SYSAUDIT_F_RESOLVED))
		c->raced++;
	else if (c->wrong++ == 0)
		snprintf(c->bad, sizeof(c->bad), "%.500s (flags %#x)", ev->path, ev->eflags);
	return 0;
}

START_TEST(test_renames_racing_with_the_walk_never_give_a_wrong_path)
{
	struct run r = { 0 };
	struct race_count c = { 0 };
	char dir[128], p[256];
	int rc;

	REQUIRE_BPF();
	snprintf(dir, sizeof(dir), "/tmp/sysaudit-race-%d", (int)getpid());
	snprintf(p, sizeof(p), "%s/A/f", dir);
	mkdirs(p);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	snprintf(c.a, sizeof(c.a), "%s/A/f", dir);
	snprintf(c.b, sizeof(c.b), "%s/B/f", dir);
	run_start(&r, SYSAUDIT_DETAILED, 1 << 22, wl_open_while_renaming, dir);
	ck_assert_int_eq(ns_child_go(&r.child), 0);
	ck_assert_int_eq(ns_child_wait(&r.child, &r.status), 0);
	do
		rc = sysaudit_consume(r.a, race_check, &c);
	while (rc > 0);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_gt(c.opens, 0);
	/* each open names A/f or B/f exactly, or says its walk raced a rename */
	ck_assert_msg(c.wrong == 0, "%ld of %ld opens named a wrong path, first: %s", c.wrong,
		      c.opens, c.bad);
	ck_assert_int_eq(c.right + c.raced, c.opens);
	run_end(&r);
	rm_tree(dir);
}
END_TEST

START_TEST(test_cwd_follows_a_rename_of_its_directory)
{
	struct run r = { 0 };
	struct sink s;
	char dir[128], p[512], before[256], after[256];
	int n = 0;

	REQUIRE_BPF();
	snprintf(dir, sizeof(dir), "/tmp/sysaudit-cwdmv-%d", (int)getpid());
	snprintf(p, sizeof(p), "%s/A/sub/f", dir);
	mkdirs(p);
	close(open(p, O_WRONLY | O_CREAT, 0644));
	snprintf(before, sizeof(before), "%s/A/sub", dir);
	snprintf(after, sizeof(after), "%s/C/sub", dir);
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_cwd_renamed, dir);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		if (e->kind != SYSAUDIT_EV_OPEN || strcmp(e->raw, "f"))
			continue;
		/* the first open sees A, the second (same cwd dentry) sees C */
		ck_assert_str_eq(e->cwd, n == 0 ? before : after);
		snprintf(p, sizeof(p), "%s/f", n == 0 ? before : after);
		ck_assert_str_eq(e->path, p);
		n++;
	}
	ck_assert_int_eq(n, 2);
	free(s.ev);
	run_end(&r);
	rm_tree(dir);
}
END_TEST

START_TEST(test_exec_through_proc_self_fd_names_the_file)
{
	struct run r = { 0 };
	struct sink s;
	const struct sysaudit_event *e;
	char real[PATH_MAX];

	REQUIRE_BPF();
	ck_assert_ptr_nonnull(realpath("/bin/true", real));
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_exec_proc_fd, NULL);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	ck_assert_int_eq(count_kind(&s, SYSAUDIT_EV_EXEC), 1);
	e = find(&s, SYSAUDIT_EV_EXEC, NULL);
	ck_assert_int_eq(e->ret, 0);
	ck_assert_str_eq(e->path, real); /* the file the kernel executed */
	ck_assert_msg(!strncmp(e->raw, "/proc/self/fd/", 14), "raw %s", e->raw); /* as asked */
	ck_assert_str_eq(e->argv[0], "true-by-fd");
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_io_uring_open_is_told_as_io_uring_use)
{
	struct run r = { 0 };
	struct sink s;
	int setup = 0, enter = 0, opens = 0;

	REQUIRE_BPF();
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_uring_open, "/etc/hostname");
	run_finish(&r, &s);
	ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "status %d", r.status);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		setup += e->kind == SYSAUDIT_EV_SYSCALL && !strcmp(e->syscall, "io_uring_setup") &&
			 e->ret >= 0;
		enter += e->kind == SYSAUDIT_EV_SYSCALL && !strcmp(e->syscall, "io_uring_enter") &&
			 e->ret == 1;
		opens += e->kind == SYSAUDIT_EV_OPEN && strstr(e->path, "hostname") != NULL;
	}
	/* the ring's use is told (a sensitive call, each once); the open it
	 * carried is no system call, so no open event claims to describe it */
	ck_assert_int_eq(setup, 1);
	ck_assert_int_eq(enter, 1);
	ck_assert_int_eq(opens, 0);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_hostile_file_names_stay_inside_one_json_line)
{
	struct run r = { 0 };
	struct sink s;
	char dir[128], file[256], line[8192];
	char *paths[2] = { file, NULL };
	const struct sysaudit_event *e;
	int n;

	REQUIRE_BPF();
	snprintf(dir, sizeof(dir), "/tmp/sysaudit-nl-%d", (int)getpid());
	mkdir(dir, 0755);
	snprintf(file, sizeof(file), "%s/a\nb\"c\\d\xff\xfe\x01", dir);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_open_list, paths);
	run_finish(&r, &s);
	e = find(&s, SYSAUDIT_EV_OPEN, file);
	ck_assert_ptr_nonnull(e);
	ck_assert(e->eflags & SYSAUDIT_F_RESOLVED);
	n = sysaudit_format_line(e, NULL, "p1", line, sizeof(line));
	ck_assert_int_gt(n, 0);
	/* one line of printable ASCII: the newline, quote, backslash, control
	 * and invalid UTF-8 bytes the pod put in the name are escaped */
	ck_assert_int_eq(line[n - 1], '\n');
	for (int i = 0; i < n - 1; i++)
		ck_assert_msg(line[i] >= 0x20 && line[i] < 0x7f, "byte %d is %#x", i,
			      (unsigned char)line[i]);
	ck_assert_ptr_nonnull(strstr(line, "/a\\u000ab\\\"c\\\\d\\u00ff\\u00fe\\u0001\""));
	free(s.ev);
	run_end(&r);
	rm_tree(dir);
}
END_TEST

START_TEST(test_interrupted_open_is_one_event_with_its_restarts)
{
	struct run r = { 0 };
	struct sink s;
	char fifo[128];
	int n = 0;
	const struct sysaudit_event *e = NULL;

	REQUIRE_BPF();
	snprintf(fifo, sizeof(fifo), "/tmp/sysaudit-fifo-%d", (int)getpid());
	unlink(fifo);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_interrupted_open, fifo);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n; i++)
		if (s.ev[i].ev.kind == SYSAUDIT_EV_OPEN && !strcmp(s.ev[i].ev.path, fifo) &&
		    (s.ev[i].ev.flags & O_ACCMODE) == O_RDONLY) {
			n++;
			e = &s.ev[i].ev;
		}
	ck_assert_int_eq(n, 1);
	ck_assert_int_ge(e->ret, 0);
	ck_assert_uint_ge(e->restarts, 2);
	for (int i = 0; i < s.n; i++)
		ck_assert_int_ne(s.ev[i].ev.ret, -512);
	unlink(fifo);
	free(s.ev);
	run_end(&r);
}
END_TEST

START_TEST(test_udp_sendto_and_sendmsg_are_net_events)
{
	struct run r = { 0 };
	struct sink s;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int to = 0, msg = 0;

	REQUIRE_BPF();
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sink_init(&s);
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_udp, &sin);
	run_finish(&r, &s);
	ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;
		char what[64];

		if (e->kind != SYSAUDIT_EV_NET)
			continue;
		sysaudit_event_what(e, what, sizeof(what));
		ck_assert_str_eq(what, "127.0.0.1:9");
		ck_assert_str_eq(sysaudit_event_cat(e), "net");
		to += !strcmp(e->syscall, "sendto") && e->ret == 5;
		msg += !strcmp(e->syscall, "sendmsg") && e->ret == 4;
	}
	ck_assert_int_eq(to, 1);
	ck_assert_int_eq(msg, 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

/* A flood for about two seconds into a one-page ring, read slowly every 50 ms. */
/* getppid as fast as possible until the test sets the shared word @p arg. */
static int wl_flood_until_told(void *arg)
{
	volatile int *stop = arg;

	while (!__atomic_load_n(stop, __ATOMIC_RELAXED))
		for (int i = 0; i < 1000; i++)
			syscall(SYS_getppid);
	return 0;
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

START_TEST(test_loss_is_announced_in_stream_every_second)
{
	struct run r = { 0 };
	struct sink s;
	struct sysaudit_count cnt[64];
	uint64_t told = 0, issued = 0, lost = 0, last_ts = 0;
	int n, notices = 0, st;

	int *stop;
	double t0;

	REQUIRE_BPF();
	sink_init(&s);
	/* the flood lasts as long as the reader has read for 2.5 s of its own
	 * clock, so a busy machine cannot shorten the time the loss spans */
	stop = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(stop, MAP_FAILED);
	*stop = 0;
	run_start(&r, SYSAUDIT_ALL, 4096, wl_flood_until_told, stop);
	ck_assert_int_eq(ns_child_go(&r.child), 0);
	t0 = mono_s();
	while (waitpid(r.child.pid, &st, WNOHANG) == 0) {
		usleep(50000);
		ck_assert_int_ge(sysaudit_consume(r.a, collect, &s), 0);
		if (mono_s() - t0 >= 2.5)
			__atomic_store_n(stop, 1, __ATOMIC_RELAXED);
	}
	r.child.pid = -1;
	while (sysaudit_consume(r.a, collect, &s) > 0)
		;
	ck_assert_int_ge(sysaudit_flush_lost(r.a, collect, &s), 0);
	ck_assert_int_eq(sysaudit_lost(r.a, &lost), 0);
	n = sysaudit_counts(r.a, cnt, 64);
	for (int i = 0; i < n && i < 64; i++)
		if (cnt[i].nr != SYS_exit_group)
			issued += cnt[i].count;
	for (int i = 0; i < s.n; i++) {
		const struct sysaudit_event *e = &s.ev[i].ev;

		if (e->kind != SYSAUDIT_EV_LOST)
			continue;
		notices++;
		for (int k = 0; k < SYSAUDIT_LOST_KINDS; k++)
			told += e->lost[k];
		if (last_ts && i != s.n - 1) /* the final flush may come sooner */
			ck_assert_uint_ge(e->ts_ns - last_ts, 990000000ULL);
		last_ts = e->ts_ns;
	}
	ck_assert_uint_gt(lost, 1000);
	/* every loss told in the stream, and the books balance: one record per
	 * syscall, plus the process exit record */
	ck_assert_uint_eq(told, lost);
	ck_assert_uint_eq((uint64_t)(s.total - notices) + lost, issued + 1);
	/* at least one notice per second of loss (2.5 s of flood) */
	ck_assert_int_ge(notices, 2);
	munmap(stop, 4096);
	free(s.ev);
	run_end(&r);
}
END_TEST

/* ---- TCase loss ------------------------------------------------------------- */

START_TEST(test_lost_events_are_counted_under_a_flood)
{
	struct run r = { 0 };
	struct sink s;
	struct sysaudit_count cnt[64];
	uint64_t lost = 0, syscalls = 0, exits = 0;
	int n;

	REQUIRE_BPF();
	sink_init(&s);
	n_getppid = 20000;
	/* one page of ring buffer, nobody reading during the flood */
	run_start(&r, SYSAUDIT_ALL, 4096, wl_getppid, NULL);
	run_finish(&r, &s);
	ck_assert_int_eq(sysaudit_lost(r.a, &lost), 0);
	n = sysaudit_counts(r.a, cnt, 64);
	ck_assert_int_gt(n, 0);
	ck_assert_int_le(n, 64);
	for (int i = 0; i < n; i++) {
		if (cnt[i].nr == SYS_exit_group || cnt[i].nr == SYS_exit)
			exits += cnt[i].count;
		else
			syscalls += cnt[i].count;
	}
	ck_assert_uint_ge(syscalls, 20000);
	ck_assert_uint_gt(lost, 10000);
	ck_assert_uint_gt(s.total, 0);
	/* every syscall gives one record, exit_group none, the process exit one:
	 * delivered + lost must account for each of them exactly */
	ck_assert_uint_eq(exits, 1);
	ck_assert_uint_eq((uint64_t)(s.total - count_kind(&s, SYSAUDIT_EV_LOST)) + lost,
			  syscalls + 1);
	free(s.ev);
	run_end(&r);
}
END_TEST

static int slow_collect(void *ctx, const struct sysaudit_event *ev)
{
	usleep(50); /* a reader slower than the pod's writer */
	return collect(ctx, ev);
}

START_TEST(test_consume_returns_during_an_endless_flood)
{
	const size_t budget = 4096 / ((sizeof(struct probe_sys) + 7) / 8 * 8 + 8) + 1;
	struct run r = { 0 };
	struct sink s;
	char path[64];
	int rc;

	REQUIRE_BPF();
	sink_init(&s);
	snprintf(path, sizeof(path), "/nonexistent/sysaudit-flood-%d", (int)getpid());
	/* the pod opens forever into a one-page ring */
	run_start(&r, SYSAUDIT_DETAILED, 4096, wl_busy, path);
	ck_assert_int_eq(ns_child_go(&r.child), 0);
	usleep(50000);
	for (int i = 0; i < 20; i++) {
		rc = sysaudit_consume(r.a, slow_collect, &s);
		ck_assert_int_ge(rc, 0);
		/* one ring's worth of records, plus at most one loss notice */
		ck_assert_uint_le((size_t)rc, budget + 1);
	}
	ck_assert_uint_gt(s.total, 0);
	ns_child_kill(&r.child);
	free(s.ev);
	run_end(&r);
}
END_TEST

/* ---- TCase lifecycle ------------------------------------------------------ */

START_TEST(test_destroy_detaches_every_link)
{
	struct run r = { 0 };
	uint32_t ids[16];
	int n;

	REQUIRE_BPF();
	n_getppid = 10;
	run_start(&r, SYSAUDIT_DETAILED, 0, wl_getppid, NULL);
	n = sysaudit_link_ids(r.a, ids, 16);
	ck_assert_int_eq(n, 4); /* sys_exit, fork, exec, exit */
	for (int i = 0; i < n; i++) {
		int fd = bpf_link_get_fd_by_id(ids[i]);

		ck_assert_msg(fd >= 0, "link %u not found while attached", ids[i]);
		close(fd);
	}
	run_finish(&r, NULL);
	run_end(&r);
	for (int i = 0; i < n; i++) {
		int fd = -1;

		for (int t = 0; t < 500; t++) { /* freed after an RCU grace period (up to 5 s) */
			fd = bpf_link_get_fd_by_id(ids[i]);
			if (fd < 0)
				break;
			close(fd);
			usleep(10000);
		}
		ck_assert_msg(fd < 0, "link %u still exists after destroy", ids[i]);
	}
}
END_TEST

START_TEST(test_counters_mode_attaches_only_the_exit_hooks)
{
	struct run r = { 0 };
	uint32_t ids[16];

	REQUIRE_BPF();
	n_getppid = 1;
	run_start(&r, SYSAUDIT_COUNTERS, 0, wl_getppid, NULL);
	/* sys_exit counts; sched_process_exit counts exit/exit_group (no return) */
	ck_assert_int_eq(sysaudit_link_ids(r.a, ids, 16), 2);
	run_finish(&r, NULL);
	run_end(&r);
}
END_TEST

static Suite *sysaudit_suite(void)
{
	Suite *s = suite_create("06-ebpf sysaudit");
	TCase *tc;

	tc = tcase_create("truth");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_execveat_of_a_memfd_is_reported_as_memfd);
	tcase_add_test(tc, test_fexecve_and_execveat_with_a_dirfd_are_reported);
	tcase_add_test(tc, test_exec_of_a_32bit_program_is_reported);
	tcase_add_test(tc, test_exec_from_a_non_leader_thread_is_reported);
	tcase_add_test(tc, test_failed_exec_after_fork_names_the_file);
	tcase_add_test(tc, test_long_and_hostile_argv_are_kept_or_marked);
	tcase_add_test(tc, test_refused_calls_are_counted_and_reported);
	tcase_add_test(tc, test_a_watched_file_is_seen_under_every_name);
	tcase_add_test(tc, test_fsreport_mode_sends_only_refused_and_watched);
	tcase_add_test(tc, test_interrupted_open_is_one_event_with_its_restarts);
	tcase_add_test(tc, test_second_paths_are_resolved_from_their_dirfd_or_cwd);
	tcase_add_test(tc, test_paths_past_the_walk_bounds_are_cut_and_marked);
	tcase_add_test(tc, test_renames_racing_with_the_walk_never_give_a_wrong_path);
	tcase_add_test(tc, test_cwd_follows_a_rename_of_its_directory);
	tcase_add_test(tc, test_exec_through_proc_self_fd_names_the_file);
	tcase_add_test(tc, test_io_uring_open_is_told_as_io_uring_use);
	tcase_add_test(tc, test_hostile_file_names_stay_inside_one_json_line);
	tcase_add_test(tc, test_udp_sendto_and_sendmsg_are_net_events);
	tcase_add_test(tc, test_loss_is_announced_in_stream_every_second);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, test_syscall_table_is_generated_from_kernel_headers);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_format_line_is_the_audit_contract);
	tcase_add_test(tc, test_format_escapes_hostile_path_bytes);
	tcase_add_test(tc, test_format_reports_enospc_and_stays_terminated);
	tcase_add_test(tc, test_format_connect_what_is_addr_port);
	tcase_add_test(tc, test_format_process_events);
	tcase_add_test(tc, test_classifier_hook_turns_open_into_warn);
	tcase_add_test(tc, test_decoder_rejects_bad_sizes_and_bounds_strings);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_not_root_is_named);
	tcase_add_test(tc, test_missing_cap_bpf_is_named);
	tcase_add_test(tc, test_missing_btf_is_named);
	tcase_add_test(tc, test_verifier_rejection_is_named_with_its_log);
	tcase_add_test(tc, test_bad_target_and_order_are_named);
	suite_add_tcase(s, tc);

	tc = tcase_create("counters");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_counters_match_a_known_getppid_loop);
	suite_add_tcase(s, tc);

	tc = tcase_create("events");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exec_event_has_binary_and_arguments);
	tcase_add_test(tc, test_openat_event_has_path_flags_and_enoent);
	tcase_add_test(tc, test_cut_down_btf_reads_what_the_kernel_btf_reads);
	tcase_add_test(tc, test_connect_event_has_address_and_port);
	tcase_add_test(tc, test_openat2_flags_come_from_open_how);
	tcase_add_test(tc, test_connect_unix_reports_the_socket_path);
	tcase_add_test(tc, test_fork_and_exit_events_carry_pod_pids_and_status);
	tcase_add_test(tc, test_mmap_prot_exec_names_the_file);
	tcase_add_test(tc, test_mprotect_exec_names_the_mapped_file);
	tcase_add_test(tc, test_exec_memory_by_pkey_mprotect_and_shmat_is_reported);
	tcase_add_test(tc, test_all_mode_reports_every_syscall_with_result);
	tcase_add_test(tc, test_32bit_syscalls_are_counted_and_reported);
	tcase_add_test(tc, test_open_for_writing_is_flagged_write);
	tcase_add_test(tc, test_epoll_fd_wakes_for_an_isolated_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("isolation");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_busy_process_outside_the_pod_is_not_reported);
	suite_add_tcase(s, tc);

	tc = tcase_create("loss");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lost_events_are_counted_under_a_flood);
	tcase_add_test(tc, test_consume_returns_during_an_endless_flood);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifecycle");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_destroy_detaches_every_link);
	tcase_add_test(tc, test_counters_mode_attaches_only_the_exit_hooks);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sysaudit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
