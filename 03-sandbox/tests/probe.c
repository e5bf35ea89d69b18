/*
 * probe.c — the escape attempts, run INSIDE a pod by the 03-sandbox tests.
 *
 * Layer 03-sandbox, tests. Static, no sanitizers, depends on nothing but libc
 * (the pod sees no host libraries but /usr). check_sandbox.c runs
 * `probe <command> [args]` as the worker and reads one line from its stdout:
 *     "ok <detail>"    the operation succeeded (for an escape: a failure of the sandbox)
 *     "err <errno>"    the operation failed with this errno
 * Commands that the sandbox must kill (foreign ABI, memory hog) report through
 * the pod's exit status instead (128 + signal).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int res(long r)
{
	if (r < 0)
		printf("err %d\n", errno);
	else
		printf("ok %ld\n", r);
	return 0;
}

static int cmd_read(const char *p)
{
	char buf[4096];
	ssize_t n, total = 0;
	int fd = open(p, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return res(-1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		return res(-1);
	return res(total);
}

static int cmd_write(const char *p, const char *data)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return res(-1);
	return res(write(fd, data, strlen(data)));
}

static int cmd_listdir(const char *p)
{
	DIR *d = opendir(p);
	struct dirent *e;
	int n = 0;

	if (!d)
		return res(-1);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return res(n);
}

/* copy file src to dst (mode 0755) and try to run it */
static int cmd_copyexec(const char *src, const char *dst)
{
	char buf[65536];
	ssize_t n;
	int in = open(src, O_RDONLY), out;
	char *argv[] = { (char *)dst, "euid", NULL };

	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (in < 0 || out < 0)
		return res(-1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return res(-1);
	close(in);
	close(out);
	execve(dst, argv, environ);
	return res(-1);
}

/* Create @p p (0644), then chmod it to octal @p mode; "ok 0" or "err N". */
static int cmd_chmod(const char *p, const char *mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return res(-1);
	close(fd);
	return res(chmod(p, (mode_t)strtoul(mode, NULL, 8)));
}

/* fchmod and fchmodat2 forms of the same attempt. */
static int cmd_fchmod(const char *p, const char *mode)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return res(-1);
	return res(fchmod(fd, (mode_t)strtoul(mode, NULL, 8)));
}

/* Create a file with a set-id mode directly. */
static int cmd_creatmode(const char *p, const char *mode)
{
	long fd = syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			  (mode_t)strtoul(mode, NULL, 8));

	return res(fd < 0 ? -1 : 0);
}

/*
 * Copy @p src into a memfd and run it as `src euid`, three ways:
 * "fd" execveat(fd, "", AT_EMPTY_PATH), "proc" /proc/self/fd/N, "flag" a
 * memfd asked for with MFD_EXEC.
 */
static int cmd_memfdexec(const char *how, const char *src)
{
	char buf[65536], path[64];
	char *argv[] = { (char *)src, "euid", NULL };
	unsigned flags = !strcmp(how, "flag") ? 0x10u /* MFD_EXEC */ : 0;
	int in = open(src, O_RDONLY | O_CLOEXEC), fd;
	ssize_t n;

	fd = (int)syscall(SYS_memfd_create, "x", flags);
	if (in < 0 || fd < 0)
		return res(-1);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, n) != n)
			return res(-1);
	close(in);
	fflush(stdout);
	if (!strcmp(how, "proc")) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		execve(path, argv, environ);
	} else {
		syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	}
	return res(-1);
}

static int cmd_exec(const char *p, const char *arg)
{
	char *argv[] = { (char *)p, (char *)arg, NULL };

	fflush(stdout);
	execve(p, argv, environ);
	return res(-1);
}

/* value of one field of /proc/self/status */
static int cmd_status(const char *field)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(field);

	if (!f)
		return res(-1);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, n) == 0 && line[n] == ':') {
			char *v = line + n + 1;

			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			printf("ok %s\n", v);
			return 0;
		}
	}
	printf("err %d\n", ENOENT);
	return 0;
}

static int cmd_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char out[512] = "";
	int fds[64], n = 0;

	if (!d)
		return res(-1);
	while ((e = readdir(d)) && n < 64)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			fds[n++] = atoi(e->d_name);
	closedir(d);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j];

			fds[j] = fds[j - 1];
			fds[j - 1] = t;
		}
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%d", i ? "," : "",
			 fds[i]);
	printf("ok %s\n", out);
	return 0;
}

static int cmd_env(void)
{
	printf("ok");
	for (char **e = environ; *e; e++)
		printf("%s%s", e == environ ? " " : ";", *e);
	printf("\n");
	return 0;
}

/* count pids visible in /proc */
static int cmd_pids(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (!d)
		return res(-1);
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	return res(n);
}

/* interfaces in /proc/net/dev (2 header lines) */
static int cmd_ifaces(void)
{
	char line[256], names[256] = "";
	FILE *f = fopen("/proc/net/dev", "r");
	int n = 0;

	if (!f)
		return res(-1);
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *s = line;

		if (!c)
			continue;
		*c = '\0';
		s += strspn(s, " ");
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", n ? "," : "",
			 s);
		n++;
	}
	fclose(f);
	printf("ok %s\n", names);
	return 0;
}

static int cmd_connect(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		return res(-1);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	return res(connect(s, (struct sockaddr *)&sa, sizeof(sa)));
}

static int cmd_connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	if (s < 0)
		return res(-1);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	return res(connect(s, (struct sockaddr *)&sa, sizeof(sa)));
}

static int cmd_forkbomb(void)
{
	int n = 0;

	for (;;) {
		pid_t p = fork();

		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p < 0) {
			printf("err %d %d\n", errno, n);
			return 0;
		}
		n++;
		if (n > 100000) {
			printf("ok %d\n", n);
			return 0;
		}
	}
}

static int cmd_memhog(long mb)
{
	for (long i = 0; i < mb; i++) {
		char *p =
		    mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return res(-1);
		memset(p, 0x5a, 1 << 20);
	}
	return res(mb);
}

/* Processes other than pid 1 and ourselves (alive or zombie). */
static int other_processes(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		int pid = atoi(e->d_name);

		if (pid > 1 && pid != getpid())
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* orphans: children whose parent exits must be reaped by the init. Waits (up
 * to 10 s) until no other process is left; prints how many remain (0 = all
 * reaped; unreaped zombies would stay forever). */
static int cmd_orphans(void)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 5; i++) {
		pid_t p = fork();

		if (p == 0) {
			if (fork() == 0) {
				nanosleep(&tick, NULL);
				_exit(0);
			}
			_exit(0);
		}
		waitpid(p, NULL, 0);
	}
	for (int i = 0; i < 500 && other_processes() > 0; i++)
		nanosleep(&tick, NULL);
	return res(other_processes());
}

static void on_term(int sig)
{
	(void)sig;
	_exit(42);
}

static int run(int argc, char **argv)
{
	const char *c = argv[1], *a = argc > 2 ? argv[2] : "", *b = argc > 3 ? argv[3] : "";
	long n = atol(a);

	if (!strcmp(c, "read"))
		return cmd_read(a);
	if (!strcmp(c, "cat")) {
		char buf[4096];
		ssize_t k;
		int fd = open(a, O_RDONLY);

		if (fd < 0)
			return res(-1);
		while ((k = read(fd, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)k, stdout);
		return 0;
	}
	if (!strcmp(c, "write"))
		return cmd_write(a, argc > 3 ? b : "x");
	if (!strcmp(c, "listdir"))
		return cmd_listdir(a);
	if (!strcmp(c, "mkdir"))
		return res(mkdir(a, 0755));
	if (!strcmp(c, "copyexec"))
		return cmd_copyexec(a, b);
	if (!strcmp(c, "exec"))
		return cmd_exec(a, b);
	if (!strcmp(c, "chmod"))
		return cmd_chmod(a, b);
	if (!strcmp(c, "fchmod"))
		return cmd_fchmod(a, b);
	if (!strcmp(c, "creatmode"))
		return cmd_creatmode(a, b);
	if (!strcmp(c, "memfdexec"))
		return cmd_memfdexec(a, b);
	if (!strcmp(c, "euid"))
		return res(geteuid());
	if (!strcmp(c, "ids")) {
		printf("ok %d %d %d %d\n", (int)getuid(), (int)getgid(), getgroups(0, NULL),
		       (int)getpid());
		return 0;
	}
	if (!strcmp(c, "cwd")) {
		char buf[256];

		if (!getcwd(buf, sizeof(buf)))
			return res(-1);
		printf("ok %s\n", buf);
		return 0;
	}
	if (!strcmp(c, "status"))
		return cmd_status(a);
	if (!strcmp(c, "fds"))
		return cmd_fds();
	if (!strcmp(c, "env"))
		return cmd_env();
	if (!strcmp(c, "pids"))
		return cmd_pids();
	if (!strcmp(c, "ifaces"))
		return cmd_ifaces();
	if (!strcmp(c, "kill"))
		return res(kill((pid_t)n, 0));
	if (!strcmp(c, "killinit"))
		return res(kill(1, SIGKILL));
	if (!strcmp(c, "ptrace"))
		return res(ptrace(PTRACE_ATTACH, (pid_t)n, NULL, NULL));
	if (!strcmp(c, "vmread")) {
		char buf[8];
		struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x400000, sizeof(buf) };

		return res(process_vm_readv((pid_t)n, &l, 1, &r, 1, 0));
	}
	if (!strcmp(c, "mount"))
		return res(mount("none", "/tmp", "tmpfs", 0, NULL));
	if (!strcmp(c, "umount"))
		return res(umount2(a, MNT_DETACH));
	if (!strcmp(c, "pivot"))
		return res(syscall(SYS_pivot_root, "/tmp", "/tmp"));
	if (!strcmp(c, "chroot"))
		return res(chroot("/tmp"));
	if (!strcmp(c, "unshare"))
		return res(unshare(CLONE_NEWUSER));
	if (!strcmp(c, "setns")) {
		int fd = open("/proc/self/ns/net", O_RDONLY);

		if (fd < 0)
			return res(-1);
		return res(setns(fd, CLONE_NEWNET));
	}
	if (!strcmp(c, "clonens")) {
		long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

		if (r == 0)
			_exit(0);
		return res(r);
	}
	if (!strcmp(c, "clone3")) {
		uint64_t args[11] = { 0 };

		args[4] = SIGCHLD; /* exit_signal */
		long r = syscall(SYS_clone3, args, 88);

		if (r == 0)
			_exit(0);
		return res(r);
	}
	if (!strcmp(c, "fork")) {
		pid_t p = fork();

		if (p == 0)
			_exit(7);
		if (p < 0)
			return res(-1);
		int st;

		waitpid(p, &st, 0);
		return res(WEXITSTATUS(st));
	}
	if (!strcmp(c, "bpf")) {
		union bpf_attr at;

		memset(&at, 0, sizeof(at));
		at.map_type = BPF_MAP_TYPE_ARRAY;
		at.key_size = 4;
		at.value_size = 4;
		at.max_entries = 1;
		return res(syscall(SYS_bpf, BPF_MAP_CREATE, &at, sizeof(at)));
	}
	if (!strcmp(c, "perf")) {
		struct perf_event_attr at;

		memset(&at, 0, sizeof(at));
		at.size = sizeof(at);
		at.type = PERF_TYPE_SOFTWARE;
		at.config = PERF_COUNT_SW_CPU_CLOCK;
		at.exclude_kernel = 1;
		return res(syscall(SYS_perf_event_open, &at, 0, -1, -1, 0));
	}
	if (!strcmp(c, "keyctl"))
		return res(syscall(SYS_add_key, "user", "sbx", "x", 1, -2 /* process keyring */));
	if (!strcmp(c, "iouring")) {
		char params[120];

		memset(params, 0, sizeof(params));
		return res(syscall(SYS_io_uring_setup, 4, params));
	}
	if (!strcmp(c, "handle")) {
		struct {
			unsigned int bytes;
			int type;
			unsigned char h[8];
		} fh = { 8, 1, { 0 } };

		return res(syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY));
	}
	if (!strcmp(c, "userfaultfd"))
		return res(syscall(SYS_userfaultfd, 0));
	if (!strcmp(c, "kexec"))
		return res(syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL));
	if (!strcmp(c, "initmod"))
		return res(syscall(SYS_init_module, NULL, 0, ""));
	if (!strcmp(c, "syslog")) {
		char buf[64];

		return res(syscall(SYS_syslog, 3, buf, sizeof(buf)));
	}
	if (!strcmp(c, "reboot"))
		return res(
		    syscall(SYS_reboot, 0, 0, 0, NULL)); /* bad magic: EINVAL even for root */
	if (!strcmp(c, "clock")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		return res(clock_settime(CLOCK_REALTIME, &ts));
	}
	if (!strcmp(c, "rlimit")) {
		struct rlimit r;

		getrlimit(RLIMIT_NOFILE, &r);
		r.rlim_max += 1;
		r.rlim_cur = r.rlim_max;
		return res(setrlimit(RLIMIT_NOFILE, &r));
	}
	if (!strcmp(c, "rlimits")) {
		struct rlimit f, p, co, fs;

		getrlimit(RLIMIT_NOFILE, &f);
		getrlimit(RLIMIT_NPROC, &p);
		getrlimit(RLIMIT_CORE, &co);
		getrlimit(RLIMIT_FSIZE, &fs);
		printf("ok %llu %llu %llu %lld\n", (unsigned long long)f.rlim_max,
		       (unsigned long long)p.rlim_max, (unsigned long long)co.rlim_max,
		       fs.rlim_max == RLIM_INFINITY ? -1LL : (long long)fs.rlim_max);
		return 0;
	}
	if (!strcmp(c, "rdev")) { /* what a path is: "ok M:m" for a device node */
		struct stat st;

		if (stat(a, &st) < 0)
			return res(-1);
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			return res(-(errno = ENODEV));
		printf("ok %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
		return 0;
	}
	if (!strcmp(c, "mknod"))
		return res(mknod(a, S_IFCHR | 0666, makedev(1, 3)));
	if (!strcmp(c, "tiocsti")) {
		char ch = 'x';

		return res(ioctl(0, TIOCSTI, &ch));
	}
	if (!strcmp(c, "connect"))
		return cmd_connect(a, atoi(b));
	if (!strcmp(c, "connectunix"))
		return cmd_connect_unix(a);
	if (!strcmp(c, "socket"))
		return res(socket(atoi(a), atoi(b), 0));
	if (!strcmp(c, "forkbomb"))
		return cmd_forkbomb();
	if (!strcmp(c, "forkhold")) { /* fork until refused, say so, keep them all */
		cmd_forkbomb();
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(c, "memhog"))
		return cmd_memhog(n);
	if (!strcmp(c, "sethostname"))
		return res(sethostname("evil", 4));
	if (!strcmp(c, "hostname")) {
		struct utsname u;

		uname(&u);
		printf("ok %s\n", u.nodename);
		return 0;
	}
	if (!strcmp(c, "int80")) {
		long r;

		fflush(stdout);
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory"); /* i386 getpid */
		return res(r);
	}
	if (!strcmp(c, "x32")) {
		fflush(stdout);
		return res(syscall(0x40000000L | SYS_getpid));
	}
	if (!strcmp(c, "orphans"))
		return cmd_orphans();
	if (!strcmp(c, "sleep")) {
		sleep((unsigned)n);
		return res(0);
	}
	if (!strcmp(c, "trapterm")) {
		signal(SIGTERM, on_term);
		printf("ready\n");
		fflush(stdout);
		pause();
		return res(0);
	}
	if (!strcmp(c, "exit"))
		exit((int)n);
	if (!strcmp(c, "crash")) {
		fflush(stdout);
		raise(SIGSEGV);
		return res(0);
	}
	if (!strcmp(c, "sid"))
		return res(getsid(0));
	if (!strcmp(c, "prctl_caps")) {
		/* try to regain a capability in every way a process can ask */
		long r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 21 /* SYS_ADMIN */, 0, 0);

		return res(r);
	}
	printf("err %d\n", EINVAL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: probe COMMAND [ARGS]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(argc, argv);
	fflush(stdout);
	return 0;
}
