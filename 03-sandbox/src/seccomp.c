/*
 * seccomp.c — the seccomp deny list, as data, compiled once per process.
 *
 * Layer 03-sandbox, runner side. Builds on libseccomp. spawn.c asks for the
 * compiled classic-BPF program before clone3; child.c installs it with the
 * seccomp(2) system call, so the pod-side code neither allocates nor calls
 * into libseccomp.
 *
 * Policy: allow by default, deny kernel attack surface with EPERM. The table
 * below is the whole list; each entry carries the reason it is there (the
 * README chapter prints the same table). Foreign ABIs (i386 via int 0x80,
 * x32) do not match the filter's architecture and kill the process (SIGSYS).
 */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* How an entry matches its system call. */
enum match {
	M_ALL,      /* every call */
	M_ARG_BIT,  /* (arg & value) == value: a flag bit is set */
	M_ARG_EQ32, /* low 32 bits of arg == value (ioctl request numbers are int) */
	M_ARG_EQ,   /* arg == value */
	M_ARG_GT,   /* arg > value */
};

struct deny {
	const char *name; /* syscall name as libseccomp knows it */
	int nr;           /* x86_64 number, used if libseccomp is older than the call */
	int match;        /* enum match */
	unsigned arg;     /* argument index for M_ARG_* */
	uint64_t value;
	int err; /* errno returned */
	const char *why;
};

#define ALL(n, nr, why)                                                                            \
	{                                                                                          \
		n, nr, M_ALL, 0, 0, EPERM, why                                                     \
	}
#define NSFLAG(f)                                                                                  \
	{                                                                                          \
		"clone", 56, M_ARG_BIT, 0, f, EPERM,                                               \
		    "clone with " #f ": new namespaces reopen the boundary"                        \
	}
#define MODEBIT(n, nr, a, bit)                                                                     \
	{                                                                                          \
		n, nr, M_ARG_BIT, a, bit, EPERM,                                                   \
		    n ": mode with " #bit " plants a privileged file on the host"                  \
	}
#define SUIDMODE(n, nr, a) MODEBIT(n, nr, a, S_ISUID), MODEBIT(n, nr, a, S_ISGID)
#define FAMILY(af)                                                                                 \
	{                                                                                          \
		"socket", 41, M_ARG_EQ, 0, af, EPERM,                                              \
		    "socket family " #af ": only AF_UNIX, AF_INET, AF_INET6 are allowed"           \
	}

/* The deny list (x86_64 numbers in the second column are only a fallback). */
static const struct deny deny_table[] = {
	/* mount family: the pod must not change its own mount tree */
	ALL("mount", 165, "mount: could cover or reveal parts of the tree"),
	ALL("umount2", 166, "umount2: could uncover masked paths"),
	ALL("pivot_root", 155, "pivot_root: changes the root of the mount namespace"),
	ALL("chroot", 161, "chroot: classic escape building block"),
	ALL("open_tree", 428, "open_tree: new mount API, clones mounts"),
	ALL("move_mount", 429, "move_mount: new mount API, attaches mounts"),
	ALL("fsopen", 430, "fsopen: new mount API, creates file systems"),
	ALL("fsconfig", 431, "fsconfig: new mount API"),
	ALL("fsmount", 432, "fsmount: new mount API"),
	ALL("fspick", 433, "fspick: new mount API, reconfigures mounts"),
	ALL("mount_setattr", 442, "mount_setattr: could clear read-only/noexec"),
	ALL("open_tree_attr", 467, "open_tree_attr: new mount API (6.15)"),
	/* namespaces */
	ALL("unshare", 272, "unshare: new namespaces (user ns = new capabilities)"),
	ALL("setns", 308, "setns: join another namespace"),
	NSFLAG(CLONE_NEWNS),
	NSFLAG(CLONE_NEWUTS),
	NSFLAG(CLONE_NEWIPC),
	NSFLAG(CLONE_NEWUSER),
	NSFLAG(CLONE_NEWPID),
	NSFLAG(CLONE_NEWNET),
	NSFLAG(CLONE_NEWCGROUP),
	NSFLAG(CLONE_NEWTIME),
	{ "clone3", 435, M_ALL, 0, 0, ENOSYS,
	  "clone3: flags live in memory seccomp cannot read; ENOSYS makes libc fall back to "
	  "clone" },
	/* other processes */
	ALL("ptrace", 101, "ptrace: control of other processes"),
	ALL("process_vm_readv", 310, "process_vm_readv: read another process's memory"),
	ALL("process_vm_writev", 311, "process_vm_writev: write another process's memory"),
	ALL("kcmp", 312, "kcmp: probes other processes' kernel objects"),
	ALL("pidfd_getfd", 438, "pidfd_getfd: steals descriptors of other processes"),
	/* kernel attack surface */
	ALL("bpf", 321, "bpf: verifier and maps are large attack surface"),
	ALL("perf_event_open", 298, "perf_event_open: large attack surface, side channels"),
	ALL("userfaultfd", 323, "userfaultfd: widens kernel race windows for exploits"),
	ALL("io_uring_setup", 425, "io_uring: large attack surface, bypasses seccomp per op"),
	ALL("io_uring_enter", 426, "io_uring: see io_uring_setup"),
	ALL("io_uring_register", 427, "io_uring: see io_uring_setup"),
	ALL("add_key", 248, "keyctl family: kernel keyrings are not namespaced"),
	ALL("request_key", 249, "keyctl family: kernel keyrings are not namespaced"),
	ALL("keyctl", 250, "keyctl family: kernel keyrings are not namespaced"),
	ALL("open_by_handle_at", 304,
	    "open_by_handle_at: opens files outside the mount tree (shocker)"),
	ALL("name_to_handle_at", 303, "name_to_handle_at: the other half of open_by_handle_at"),
	/* machine administration */
	ALL("kexec_load", 246, "kexec: replaces the kernel"),
	ALL("kexec_file_load", 320, "kexec: replaces the kernel"),
	ALL("init_module", 175, "module loading: code into the kernel"),
	ALL("finit_module", 313, "module loading: code into the kernel"),
	ALL("delete_module", 176, "module unloading"),
	ALL("syslog", 103, "syslog: kernel log leaks addresses"),
	ALL("acct", 163, "acct: process accounting is host-wide"),
	ALL("swapon", 167, "swapon: host-wide"),
	ALL("swapoff", 168, "swapoff: host-wide"),
	ALL("reboot", 169, "reboot"),
	ALL("clock_settime", 227, "clock setting: the clock is host-wide"),
	ALL("clock_adjtime", 305, "clock setting: the clock is host-wide"),
	ALL("settimeofday", 164, "clock setting: the clock is host-wide"),
	ALL("adjtimex", 159, "clock setting: the clock is host-wide"),
	ALL("iopl", 172, "raw port I/O"),
	ALL("ioperm", 173, "raw port I/O"),
	ALL("quotactl", 179, "quota administration"),
	/* set-user-ID and set-group-ID files: a writable bind is a host directory,
	 * and nosuid on the pod's mount does not follow the file to the host */
	SUIDMODE("chmod", 90, 1),
	SUIDMODE("fchmod", 91, 1),
	SUIDMODE("fchmodat", 268, 2),
	SUIDMODE("fchmodat2", 452, 2),
	SUIDMODE("open", 2, 2),
	SUIDMODE("openat", 257, 3),
	SUIDMODE("creat", 85, 1),
	SUIDMODE("mknod", 133, 1),
	SUIDMODE("mknodat", 259, 2),
	{ "openat2", 437, M_ALL, 0, 0, ENOSYS,
	  "openat2: its mode lives in memory seccomp cannot read; ENOSYS makes callers fall back "
	  "to openat" },
	/* terminals */
	{ "ioctl", 16, M_ARG_EQ32, 1, TIOCSTI, EPERM,
	  "TIOCSTI: push input into a shared terminal" },
	{ "ioctl", 16, M_ARG_EQ32, 1, TIOCLINUX, EPERM,
	  "TIOCLINUX: console selection can inject input" },
	/* sockets: only AF_UNIX (1), AF_INET (2), AF_INET6 (10) */
	FAMILY(AF_UNSPEC),
	FAMILY(AF_AX25),
	FAMILY(AF_IPX),
	FAMILY(AF_APPLETALK),
	FAMILY(AF_NETROM),
	FAMILY(AF_BRIDGE),
	FAMILY(AF_ATMPVC),
	FAMILY(AF_X25),
	{ "socket", 41, M_ARG_GT, 0, AF_INET6, EPERM,
	  "socket families above AF_INET6 (netlink, packet, vsock, ...)" },
};

/* Number of entries, for the tests and the README. */
size_t sbx_seccomp_table_size(void)
{
	return sizeof(deny_table) / sizeof(deny_table[0]);
}

static int add_rule(scmp_filter_ctx ctx, const struct deny *d)
{
	int nr = seccomp_syscall_resolve_name(d->name);
	struct scmp_arg_cmp cmp;

	if (nr == __NR_SCMP_ERROR)
		nr = d->nr;
	switch (d->match) {
	case M_ALL:
		return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(d->err), nr, 0);
	case M_ARG_BIT:
		cmp = (struct scmp_arg_cmp){ d->arg, SCMP_CMP_MASKED_EQ, d->value, d->value };
		break;
	case M_ARG_EQ32:
		cmp = (struct scmp_arg_cmp){ d->arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, d->value };
		break;
	case M_ARG_EQ:
		cmp = (struct scmp_arg_cmp){ d->arg, SCMP_CMP_EQ, d->value, 0 };
		break;
	default:
		cmp = (struct scmp_arg_cmp){ d->arg, SCMP_CMP_GT, d->value, 0 };
		break;
	}
	return seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(d->err), nr, 1, &cmp);
}

/* Export a libseccomp filter as a classic-BPF program (malloc'd) into @p out. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_fprog *out)
{
	struct stat st;
	void *buf = NULL;
	int fd, ret;

	fd = memfd_create("sbx-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = seccomp_export_bpf(ctx, fd);
	if (ret < 0)
		goto cleanup;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0) {
		ret = -EIO;
		goto cleanup;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		ret = -ENOMEM;
		goto cleanup;
	}
	if (pread(fd, buf, st.st_size, 0) != st.st_size) {
		ret = -EIO;
		goto cleanup;
	}
	out->filter = buf;
	out->len = st.st_size / sizeof(struct sock_filter);
	buf = NULL;
cleanup:
	free(buf);
	close(fd);
	return ret < 0 ? ret : 0;
}

/* Compile the table into a classic-BPF program kept for the process lifetime. */
static struct sock_fprog g_prog;
static int g_prog_err;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void compile(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret = 0;

	if (!ctx) {
		g_prog_err = -ENOMEM;
		return;
	}
	/* 1. foreign architectures (i386, x32) are not in the filter: kill */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (ret < 0)
		goto cleanup;
	/* 2. we set NO_NEW_PRIVS ourselves, in its place in the child's steps */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (ret < 0)
		goto cleanup;
	/* 3. the table */
	for (size_t i = 0; i < sbx_seccomp_table_size(); i++) {
		ret = add_rule(ctx, &deny_table[i]);
		if (ret < 0)
			goto cleanup;
	}
	/* 4. export the BPF into memory */
	ret = export_bpf(ctx, &g_prog);
cleanup:
	seccomp_release(ctx);
	g_prog_err = ret < 0 ? ret : 0;
}

int sbx_seccomp_program(const struct sock_fprog **out)
{
	pthread_once(&g_once, compile);
	if (g_prog_err < 0)
		return g_prog_err;
	*out = &g_prog;
	return 0;
}

/*
 * The exec filter: execve and execveat go to the runner (SECCOMP_RET_USER_NOTIF),
 * everything else is allowed (the deny list above is a filter of its own, and
 * its errors take precedence over a notification).
 */
static struct sock_fprog g_exec_prog;
static int g_exec_err;
static pthread_once_t g_exec_once = PTHREAD_ONCE_INIT;

static void compile_exec(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int ret = 0;

	if (!ctx) {
		g_exec_err = -ENOMEM;
		return;
	}
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (ret == 0)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (ret == 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0);
	if (ret == 0)
		ret = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0);
	if (ret == 0)
		ret = export_bpf(ctx, &g_exec_prog);
	seccomp_release(ctx);
	g_exec_err = ret < 0 ? ret : 0;
}

int sbx_seccomp_exec_program(const struct sock_fprog **out)
{
	pthread_once(&g_exec_once, compile_exec);
	if (g_exec_err < 0)
		return g_exec_err;
	*out = &g_exec_prog;
	return 0;
}

/* For the tests: entry i's system call name, and its reason in *why. */
const char *sbx_seccomp_entry(size_t i, const char **why)
{
	if (i >= sbx_seccomp_table_size())
		return NULL;
	*why = deny_table[i].why;
	return deny_table[i].name;
}
