/*
 * probe.c — user side of layer 06-ebpf: load, attach, read and tear down the
 * BPF programs of probe.bpf.c for one pod.
 *
 * Part of the CO-RE trio probe.bpf.c / probe.h / probe.c (docs/conventions.md, "eBPF").
 * Builds on libbpf and the skeleton `bpftool gen skeleton` generated into
 * $(BUILD)/probe.skel.h; decode.c turns ring-buffer records into events.
 * Implements the lifecycle half of include/sysaudit.h; used by 07-runner.
 *
 *   sysaudit_open:   1. state   2. root?   3. capabilities?   4. BTF?
 *                    5. target pid namespace (inode, level)
 *                    5b. the kernel's type ids; the BTF to relocate against
 *                    6. open skeleton, write rodata, size maps, pick programs
 *                    7. load (the verifier runs)   8. ring buffer   9. clock offset
 *   sysaudit_attach: attach every loaded program (links kept in the skeleton)
 *   sysaudit_destroy: ring buffer, links, programs, maps; in that order
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "core_btf.h"
#include "probe.skel.h"

#define LOG_CAP 4096
#define DEFAULT_RINGBUF (1u << 20)

enum state { ST_NEW = 0, ST_OPEN, ST_ATTACHED };

struct sysaudit {
	struct probe *skel;     /* BPF object, programs, maps, links */
	struct ring_buffer *rb; /* libbpf ring-buffer reader (owns the epoll fd) */
	enum state state;
	enum sysaudit_mode mode;
	int ncpus;            /* possible CPUs: width of per-CPU map values */
	int64_t mono_to_real; /* CLOCK_REALTIME - CLOCK_MONOTONIC at open, ns */
	/* consume state: valid during one sysaudit_consume/poll call */
	sysaudit_event_fn cb;
	void *cb_ctx;
	int cb_stop; /* the callback's non-zero return, 0 otherwise */
	int delivered;
	uint32_t budget;      /* records one consume call takes at most: one full ring */
	uint32_t budget_left; /* of this call; 0 ends it (a flooding pod cannot hold it) */
	uint64_t malformed;   /* records dropped by sysaudit_decode (never expected) */
	uint64_t announced[SYSAUDIT_LOST_KINDS]; /* losses already told in a notice */
	int64_t last_notice_ns;                  /* CLOCK_MONOTONIC of the last loss notice */
	uint64_t lost_seen;                      /* the kernel's lost_total at the last full read */
	uint64_t malformed_seen;                 /* malformed at the last full read */
	sysaudit_classify_fn classify;
	void *classify_ctx;
	struct sysaudit_event ev;         /* decode target */
	char store[SYSAUDIT_STORE_BYTES]; /* ev.argv points here */
	enum sysaudit_errkind ekind;
	char emsg[1536];
	char log[LOG_CAP]; /* tail of libbpf's messages during open */
	size_t log_len;
	__u32 kid[4];           /* kernel BTF ids: task_struct, dentry, vfsmount, mount */
	const char *core_btf;   /* what the relocations used: "cut-down" or "kernel" */
	int core_btf_fd;        /* memfd holding the cut-down BTF during the load, or -1 */
	char core_btf_path[32]; /* /proc/self/fd/N of it */
};

/* ---- errors ------------------------------------------------------------- */

static int set_err(struct sysaudit *a, enum sysaudit_errkind kind, int err, const char *fmt, ...)
{
	va_list ap;

	a->ekind = kind;
	va_start(ap, fmt);
	vsnprintf(a->emsg, sizeof(a->emsg), fmt, ap);
	va_end(ap);
	return err;
}

static void clear_err(struct sysaudit *a)
{
	a->ekind = SYSAUDIT_OK;
	a->emsg[0] = '\0';
}

/* ---- libbpf message capture ---------------------------------------------
 * libbpf's print hook is process-global; while one thread opens an auditor,
 * its messages (verifier log included) go to that auditor's log buffer, and
 * other threads' messages go to the previous hook. */
static __thread struct sysaudit *capturing;
static libbpf_print_fn_t prev_print;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct sysaudit *a = capturing;
	char msg[LOG_CAP]; /* a verifier log arrives as one message: keep its tail */
	const char *src = msg;
	size_t n;
	int r;

	if (!a)
		return prev_print ? prev_print(level, fmt, ap) : 0;
	if (level == LIBBPF_DEBUG)
		return 0;
	r = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (r <= 0)
		return 0;
	n = (size_t)r < sizeof(msg) ? (size_t)r : sizeof(msg) - 1;
	if (n > LOG_CAP / 2) {
		src += n - LOG_CAP / 2;
		n = LOG_CAP / 2;
	}
	if (a->log_len + n + 1 > LOG_CAP) { /* drop the older half */
		memmove(a->log, a->log + LOG_CAP / 2, a->log_len - LOG_CAP / 2);
		a->log_len -= LOG_CAP / 2;
	}
	memcpy(a->log + a->log_len, src, n);
	a->log_len += n;
	a->log[a->log_len] = '\0';
	return 0;
}

/* Copy the line of @log that ends just before @end (skipping blank lines). */
static void line_before(const char *log, const char *end, char *out, size_t len)
{
	const char *b;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	b = end;
	while (b > log && b[-1] != '\n')
		b--;
	snprintf(out, len, "%.*s", (int)(end - b), b);
}

/*
 * Summarise the captured libbpf log: the failing program's name and the
 * verifier's last words (the line before its "processed N insns" summary),
 * or else libbpf's last line.
 */
static void log_summary(const struct sysaudit *a, char *out, size_t len)
{
	const char *prog = NULL, *p = a->log, *proc = NULL;
	char reason[512] = "", name[64] = "?";

	while ((p = strstr(p, "prog '"))) /* last "prog 'NAME'" wins */
		prog = p += 6;
	if (prog)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(prog, "'"), prog);
	for (p = a->log; (p = strstr(p, "\nprocessed ")); p++)
		proc = p;
	if (proc)
		line_before(a->log, proc, reason, sizeof(reason));
	else
		line_before(a->log, a->log + a->log_len, reason, sizeof(reason));
	snprintf(out, len, "program '%s': %s", name, reason);
}

/* ---- checks before loading ---------------------------------------------- */

static int has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static int check_privileges(struct sysaudit *a)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (geteuid() != 0)
		return set_err(a, SYSAUDIT_E_NOT_ROOT, -EPERM,
			       "not root (euid %u): loading BPF programs needs uid 0 with CAP_BPF "
			       "and CAP_PERFMON (or CAP_SYS_ADMIN)",
			       (unsigned)geteuid());
	if (syscall(SYS_capget, &hdr, d) != 0)
		return set_err(a, SYSAUDIT_E_NO_CAP, -errno, "capget failed: %s", strerror(errno));
	if (has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON)))
		return 0;
	return set_err(a, SYSAUDIT_E_NO_CAP, -EPERM,
		       "no CAP_BPF: running as root but without %s%s%s in the effective set "
		       "(and no CAP_SYS_ADMIN); BPF tracing programs cannot be loaded",
		       has_cap(d, CAP_BPF) ? "" : "CAP_BPF",
		       !has_cap(d, CAP_BPF) && !has_cap(d, CAP_PERFMON) ? " and " : "",
		       has_cap(d, CAP_PERFMON) ? "" : "CAP_PERFMON");
}

static int check_btf(struct sysaudit *a, const char *path)
{
	if (access(path, R_OK) == 0)
		return 0;
	return set_err(a, SYSAUDIT_E_NO_BTF, -ENOENT,
		       "no BTF: kernel type information %s is missing or unreadable (%s); "
		       "CO-RE programs need a kernel built with CONFIG_DEBUG_INFO_BTF=y",
		       path, strerror(errno));
}

/* Depth of @pid's pid namespace: entries of its NSpid line minus one. */
static int read_pidns_level(pid_t pid)
{
	char path[64], line[512];
	int level = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (char *tok = strtok(line + 6, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
			level++;
		break;
	}
	fclose(f);
	return level >= 0 ? level : -ENOENT;
}

static int resolve_target(struct sysaudit *a, pid_t pid, __u32 *ino, __u32 *level)
{
	char path[64];
	struct stat st;
	int lv;

	if (pid <= 0)
		return set_err(a, SYSAUDIT_E_TARGET, -EINVAL,
			       "no target: sysaudit_opts.target_pid must be a pid in the pod");
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	if (stat(path, &st) != 0)
		return set_err(a, SYSAUDIT_E_TARGET, -errno,
			       "target pid %d: cannot read its pid namespace %s: %s", (int)pid,
			       path, strerror(errno));
	lv = read_pidns_level(pid);
	if (lv < 0)
		return set_err(a, SYSAUDIT_E_TARGET, lv,
			       "target pid %d: no NSpid in /proc/%d/status", (int)pid, (int)pid);
	if (lv == 0) /* the filter would match every task on the machine */
		return set_err(a, SYSAUDIT_E_TARGET, -EINVAL,
			       "target pid %d is in the initial pid namespace: a pod has its own "
			       "(auditing the whole machine is refused)",
			       (int)pid);
	*ino = (__u32)st.st_ino;
	*level = (__u32)lv;
	return 0;
}

/* ---- open ---------------------------------------------------------------- */

static uint32_t ringbuf_size(uint32_t want)
{
	uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE), sz = page;

	if (want == 0)
		want = DEFAULT_RINGBUF;
	while (sz < want && sz < (1u << 30))
		sz <<= 1;
	return sz;
}

/* Step 6: rodata, map sizes and which programs load, per mode. */
static int configure(struct sysaudit *a, const struct sysaudit_opts *o, __u32 ino, __u32 level)
{
	struct probe *s = a->skel;
	int counters = o->mode == SYSAUDIT_COUNTERS, fsreport = o->mode == SYSAUDIT_FSREPORT;
	uint32_t rb;
	int err = 0;

	s->rodata->target_ns_ino = ino;
	s->rodata->target_level = level;
	s->rodata->kid_task_struct = a->kid[0];
	s->rodata->kid_dentry = a->kid[1];
	s->rodata->kid_vfsmount = a->kid[2];
	s->rodata->kid_mount = a->kid[3];
	s->rodata->mode = (__u32)o->mode;
	rb = counters ? ringbuf_size(1) : ringbuf_size(o->ringbuf_bytes);
	s->rodata->wake_bytes = rb / 4;
	s->rodata->wake_interval_ns = 5000000;
	err = err ?: bpf_map__set_max_entries(s->maps.rb, rb);
	/* counters: sys_exit counts, task_exit counts exit/exit_group (they never
	 * return); the report mode needs no process events either */
	err = err ?: bpf_program__set_autoload(s->progs.task_fork, !counters && !fsreport);
	err = err ?: bpf_program__set_autoload(s->progs.task_exec, !counters && !fsreport);
	err = err
		  ?: bpf_program__set_autoload(s->progs.selftest_reject,
					       o->selftest_verifier_reject != 0);
	return err;
}

/* Step 7 failed: say why, by what the kernel answered and what libbpf logged. */
static int load_error(struct sysaudit *a, int err)
{
	char tail[1024];

	log_summary(a, tail, sizeof(tail));
	if (strstr(a->log, "failed to find valid kernel BTF") || strstr(a->log, "vmlinux BTF"))
		return set_err(a, SYSAUDIT_E_NO_BTF, err,
			       "no BTF: libbpf could not load kernel BTF: %s", tail);
	if (err == -EPERM)
		return set_err(
		    a, SYSAUDIT_E_NO_CAP, err,
		    "no CAP_BPF: the kernel refused BPF (EPERM); capabilities missing in the "
		    "initial user namespace? %s",
		    tail);
	if (strstr(a->log, "PROG LOAD LOG") || strstr(a->log, "program load failed"))
		return set_err(a, SYSAUDIT_E_VERIFIER, err,
			       "verifier rejection: the BPF verifier refused %s (%s)", tail,
			       strerror(-err));
	return set_err(a, SYSAUDIT_E_OTHER, err, "loading BPF programs failed: %s: %s",
		       strerror(-err), tail);
}

static int on_record(void *ctx, void *data, size_t size);

/* The running kernel's GNU build id (/sys/kernel/notes), as hex; "" if none. */
static void kernel_build_id(char *out, size_t cap)
{
	unsigned char d[1024];
	ssize_t n;
	size_t i = 0;
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, d, sizeof(d));
	close(fd);
	while (n > 0 && i + 12 <= (size_t)n) {
		__u32 h[3];
		size_t name, desc;

		memcpy(h, d + i, sizeof(h));
		name = i + 12;
		desc = name + ((h[0] + 3) & ~3u);
		i = desc + ((h[1] + 3) & ~3u);
		if (i > (size_t)n)
			break;
		if (h[2] == 3 && h[0] == 4 && !memcmp(d + name, "GNU", 4) && h[1] * 2 < cap) {
			for (__u32 k = 0; k < h[1]; k++)
				snprintf(out + 2 * k, cap - 2 * k, "%02x", d[desc + k]);
			return;
		}
	}
}

/*
 * Step 5b: the kernel's BTF ids of the types the programs cast to (kid_*), and
 * the BTF libbpf relocates against. libbpf finds each of the 19 kernel types
 * the programs read by scanning every type of the BTF it is given, some
 * 126,000 in the kernel's: about half of the load. The build cut a copy down to
 * the types and fields the programs use (core_btf.h, from `bpftool gen
 * min_core_btf`) and noted the ids; on the kernel it was cut from (same build
 * id, same BTF size) both are used, and each scan covers a few dozen types. On
 * any other kernel, with a test's BTF file or core_btf_kernel, the ids are
 * looked up in the kernel's BTF and libbpf relocates against all of it.
 */
static int core_btf_choose(struct sysaudit *a, const struct sysaudit_opts *o, const char **custom)
{
	static const char *const names[4] = { "task_struct", "dentry", "vfsmount", "mount" };
	static const __u32 built[4] = { CORE_BTF_KID_TASK_STRUCT, CORE_BTF_KID_DENTRY,
					CORE_BTF_KID_VFSMOUNT, CORE_BTF_KID_MOUNT };
	char bid[2 * 64 + 1];
	struct btf *kb;
	struct stat st;
	int fd;

	*custom = o->btf_path;
	a->core_btf = "kernel";
	if (!o->btf_path && !o->core_btf_kernel && CORE_BTF_LEN > 0 &&
	    stat("/sys/kernel/btf/vmlinux", &st) == 0 && st.st_size == CORE_BTF_KERNEL_SIZE &&
	    (kernel_build_id(bid, sizeof(bid)), !strcmp(bid, CORE_BTF_BUILD_ID))) {
		fd = memfd_create("sysaudit-core-btf", MFD_CLOEXEC);
		if (fd >= 0 && write(fd, core_btf, CORE_BTF_LEN) == (ssize_t)CORE_BTF_LEN) {
			a->core_btf_fd = fd;
			snprintf(a->core_btf_path, sizeof(a->core_btf_path), "/proc/self/fd/%d",
				 fd);
			*custom = a->core_btf_path;
			a->core_btf = "cut-down";
			memcpy(a->kid, built, sizeof(a->kid));
			return 0;
		}
		if (fd >= 0)
			close(fd);
	}
	kb = btf__load_vmlinux_btf();
	if (!kb)
		return set_err(a, SYSAUDIT_E_NO_BTF, -errno,
			       "no BTF: the kernel's BTF cannot be read: %s", strerror(errno));
	for (int i = 0; i < 4; i++) {
		int id = btf__find_by_name_kind(kb, names[i], BTF_KIND_STRUCT);

		if (id <= 0) {
			btf__free(kb);
			return set_err(a, SYSAUDIT_E_NO_BTF, -ENOENT,
				       "no BTF: the kernel's BTF has no struct %s", names[i]);
		}
		a->kid[i] = (__u32)id;
	}
	btf__free(kb);
	return 0;
}

static void core_btf_release(struct sysaudit *a)
{
	if (a->core_btf_fd >= 0)
		close(a->core_btf_fd);
	a->core_btf_fd = -1;
}

static int open_steps(struct sysaudit *a, const struct sysaudit_opts *o)
{
	const char *btf = o->btf_path ? o->btf_path : "/sys/kernel/btf/vmlinux", *custom = NULL;
	struct timespec rt, mono;
	__u32 ino = 0, level = 0;
	int err;

	/* 2-4. privileges and BTF, checked first so the message names the cause */
	if ((err = check_privileges(a)) || (err = check_btf(a, btf)))
		return err;
	/* 5. which pid namespace */
	if ((err = resolve_target(a, o->target_pid, &ino, &level)))
		return err;
	/* 5b. the kernel's type ids; the BTF the relocations use */
	if ((err = core_btf_choose(a, o, &custom)))
		return err;
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = custom);
	/* 6. open the skeleton and configure it */
	a->skel = probe__open_opts(&oo);
	if (!a->skel)
		return load_error(a, -errno);
	if ((err = configure(a, o, ino, level)))
		return set_err(a, SYSAUDIT_E_OTHER, err, "configuring the BPF object failed: %s",
			       strerror(-err));
	/* 7. load: the verifier checks every program here */
	err = probe__load(a->skel);
	core_btf_release(a);
	if (err)
		return load_error(a, err);
	/* 8. ring buffer reader */
	a->rb = ring_buffer__new(bpf_map__fd(a->skel->maps.rb), on_record, a, NULL);
	if (!a->rb)
		return set_err(a, SYSAUDIT_E_OTHER, -errno, "ring buffer setup failed: %s",
			       strerror(errno));
	/* 9. kernel timestamps are CLOCK_MONOTONIC */
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	a->mono_to_real =
	    (int64_t)(rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
	/* the most records a full ring can hold: the smallest record plus its header */
	a->budget = bpf_map__max_entries(a->skel->maps.rb) /
			((sizeof(struct probe_sys) + 7) / 8 * 8 + BPF_RINGBUF_HDR_SZ) +
		    1;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	a->last_notice_ns = 0;
	a->ncpus = libbpf_num_possible_cpus();
	if (a->ncpus <= 0)
		return set_err(a, SYSAUDIT_E_OTHER, a->ncpus ? a->ncpus : -EINVAL,
			       "cannot count possible CPUs");
	return 0;
}

int sysaudit_new(sysaudit_t **out)
{
	struct sysaudit *a;

	if (!out)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->core_btf_fd = -1;
	a->core_btf = "";
	*out = a;
	return 0;
}

int sysaudit_open(sysaudit_t *a, const struct sysaudit_opts *opts)
{
	libbpf_print_fn_t old;
	int err;

	if (!a || !opts)
		return -EINVAL;
	clear_err(a);
	/* 1. state */
	if (a->state != ST_NEW)
		return set_err(a, SYSAUDIT_E_STATE, -EALREADY, "sysaudit_open called twice");
	if (opts->mode < SYSAUDIT_COUNTERS || opts->mode > SYSAUDIT_FSREPORT)
		return set_err(a, SYSAUDIT_E_OTHER, -EINVAL, "unknown mode %d", (int)opts->mode);
	a->mode = opts->mode;
	a->log_len = 0;
	a->log[0] = '\0';
	capturing = a;
	/* another thread's open may have our hook installed right now: never
	 * record it as the previous one (capture_print would call itself) */
	old = libbpf_set_print(capture_print);
	if (old != capture_print)
		prev_print = old;
	err = open_steps(a, opts);
	if (old != capture_print)
		libbpf_set_print(old);
	capturing = NULL;
	if (err) { /* nothing half-open: the handle may be destroyed or opened again */
		core_btf_release(a);
		ring_buffer__free(a->rb);
		a->rb = NULL;
		probe__destroy(a->skel);
		a->skel = NULL;
		return err;
	}
	a->state = ST_OPEN;
	return 0;
}

int sysaudit_attach(sysaudit_t *a)
{
	int err;

	if (!a)
		return -EINVAL;
	clear_err(a);
	if (a->state != ST_OPEN)
		return set_err(a, SYSAUDIT_E_STATE, -EBADFD,
			       a->state == ST_NEW ? "sysaudit_attach before sysaudit_open"
						  : "sysaudit_attach called twice");
	err = probe__attach(a->skel);
	if (err)
		return set_err(a, SYSAUDIT_E_ATTACH, err,
			       "attaching to the syscall tracepoints failed: %s", strerror(-err));
	a->state = ST_ATTACHED;
	return 0;
}

int sysaudit_epoll_fd(const sysaudit_t *a)
{
	if (!a || !a->rb)
		return -EBADFD;
	return ring_buffer__epoll_fd(a->rb);
}

/* ---- events -------------------------------------------------------------- */

/* libbpf ring-buffer callback: decode, then hand to the caller's callback. */
static int on_record(void *ctx, void *data, size_t size)
{
	struct sysaudit *a = ctx;
	int rc = 0;

	if (sysaudit_decode(data, size, a->mono_to_real, &a->ev, a->store) != 0) {
		a->malformed++;
	} else {
		a->delivered++;
		rc = a->cb ? a->cb(a->cb_ctx, &a->ev) : 0;
	}
	if (rc != 0) {
		a->cb_stop = rc;
		return -ECANCELED; /* libbpf stops this pass (the record counts as read) */
	}
	/* libbpf keeps reading while the producer keeps writing: stop after one
	 * ring's worth, the epoll fd stays readable for the rest */
	if (--a->budget_left == 0)
		return -EAGAIN;
	return 0;
}

/*
 * Tell losses in the stream: when the lost counters grew since the last
 * notice, and the last one is at least a second old (or @force), deliver one
 * SYSAUDIT_EV_LOST event with the growth by kind.
 */
static void lost_notice(sysaudit_t *a, int force)
{
	uint64_t cur[SYSAUDIT_LOST_KINDS];
	struct timespec now;
	int64_t ns;
	int any = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec;
	if (!force && a->last_notice_ns && ns - a->last_notice_ns < 1000000000LL)
		return;
	/* nothing lost since the last read: one load from the mapped bss
	 * instead of a system call per counter slot */
	if (!force && a->skel->bss->lost_total == a->lost_seen && a->malformed == a->malformed_seen)
		return;
	a->lost_seen = a->skel->bss->lost_total;
	a->malformed_seen = a->malformed;
	if (sysaudit_lost_kinds(a, cur) != 0)
		return;
	memset(&a->ev, 0, sizeof(a->ev));
	for (int i = 0; i < SYSAUDIT_LOST_KINDS; i++) {
		a->ev.lost[i] = cur[i] - a->announced[i];
		any |= a->ev.lost[i] != 0;
	}
	if (!any)
		return;
	memcpy(a->announced, cur, sizeof(cur));
	a->last_notice_ns = ns;
	a->ev.kind = SYSAUDIT_EV_LOST;
	a->ev.nr = -1;
	a->ev.syscall = "lost";
	a->ev.ts_ns = (uint64_t)(ns + a->mono_to_real);
	a->delivered++;
	if (a->cb) {
		int rc = a->cb(a->cb_ctx, &a->ev);

		if (rc)
			a->cb_stop = rc;
	}
}

int sysaudit_flush_lost(sysaudit_t *a, sysaudit_event_fn cb, void *ctx)
{
	if (!a || !a->rb)
		return -EBADFD;
	a->cb = cb;
	a->cb_ctx = ctx;
	a->cb_stop = 0;
	a->delivered = 0;
	lost_notice(a, 1);
	a->cb = NULL;
	return a->cb_stop ? a->cb_stop : a->delivered;
}

static int drain(sysaudit_t *a, int timeout_ms, sysaudit_event_fn cb, void *ctx, int wait)
{
	int rc;

	if (!a || !a->rb)
		return -EBADFD;
	a->cb = cb;
	a->cb_ctx = ctx;
	a->cb_stop = 0;
	a->delivered = 0;
	a->budget_left = a->budget;
	rc = wait ? ring_buffer__poll(a->rb, timeout_ms) : ring_buffer__consume(a->rb);
	if (rc == -EAGAIN && a->budget_left == 0)
		rc = 0; /* the budget ended the pass, not an error */
	/* under a flood most passes end on the budget: losses are told then too */
	if (!a->cb_stop && rc >= 0)
		lost_notice(a, 0);
	a->cb = NULL;
	if (a->cb_stop)
		return a->cb_stop;
	return rc < 0 ? rc : a->delivered;
}

int sysaudit_consume(sysaudit_t *a, sysaudit_event_fn cb, void *ctx)
{
	return drain(a, 0, cb, ctx, 0);
}

int sysaudit_poll(sysaudit_t *a, int timeout_ms, sysaudit_event_fn cb, void *ctx)
{
	return drain(a, timeout_ms, cb, ctx, 1);
}

/* ---- counters ------------------------------------------------------------ */

/* Sum a per-CPU __u64 slot. */
static int percpu_sum(const sysaudit_t *a, const struct bpf_map *map, __u32 key, uint64_t *out)
{
	uint64_t vals[a->ncpus > 0 ? a->ncpus : 1];
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, vals) != 0)
		return -errno;
	for (int i = 0; i < a->ncpus; i++)
		sum += vals[i];
	*out = sum;
	return 0;
}

int sysaudit_count_of(const sysaudit_t *a, int nr, uint64_t *out)
{
	if (!a || !out || nr < 0 || nr >= PROBE_NR_SLOTS)
		return -EINVAL;
	if (!a->skel || a->state == ST_NEW)
		return -EBADFD;
	return percpu_sum(a, a->skel->maps.counts, (__u32)nr, out);
}

static int by_count_desc(const void *x, const void *y)
{
	const struct sysaudit_count *p = x, *q = y;

	if (p->count != q->count)
		return p->count < q->count ? 1 : -1;
	return p->nr - q->nr;
}

static const char *slot_name(int nr)
{
	const char *n;

	if (nr == SYSAUDIT_NR_COMPAT)
		return "compat32";
	if (nr == SYSAUDIT_NR_OTHER)
		return "other";
	n = sysaudit_syscall_name(nr);
	return n ? n : "unknown";
}

int sysaudit_counts(const sysaudit_t *a, struct sysaudit_count *out, size_t max)
{
	struct sysaudit_count all[PROBE_NR_SLOTS];
	size_t n = 0;
	uint64_t c;
	int err;

	if (!a || (!out && max))
		return -EINVAL;
	for (int nr = 0; nr < PROBE_NR_SLOTS; nr++) {
		if ((err = sysaudit_count_of(a, nr, &c)))
			return err;
		if (c)
			all[n++] =
			    (struct sysaudit_count){ .nr = nr, .name = slot_name(nr), .count = c };
	}
	qsort(all, n, sizeof(all[0]), by_count_desc);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = all[i];
	return (int)n;
}

int sysaudit_lost_kinds(const sysaudit_t *a, uint64_t out[SYSAUDIT_LOST_KINDS])
{
	uint64_t v;
	int err;

	if (!a || !out)
		return -EINVAL;
	if (!a->skel || a->state == ST_NEW)
		return -EBADFD;
	memset(out, 0, SYSAUDIT_LOST_KINDS * sizeof(out[0]));
	/* kernel slots: 0 = storage, k = ring full for a record of kind k;
	 * slots past the last kind (never written) land in "syscall" */
	for (__u32 slot = 0; slot < PROBE_LOST_SLOTS; slot++) {
		if ((err = percpu_sum(a, a->skel->maps.lost, slot, &v)))
			return err;
		out[slot < SYSAUDIT_LOST_MALFORMED ? slot : SYSAUDIT_LOST_SYSCALL] += v;
	}
	out[SYSAUDIT_LOST_MALFORMED] = a->malformed;
	return 0;
}

int sysaudit_lost(const sysaudit_t *a, uint64_t *out)
{
	uint64_t k[SYSAUDIT_LOST_KINDS], sum = 0;
	int err;

	if (!a || !out)
		return -EINVAL;
	if ((err = sysaudit_lost_kinds(a, k)))
		return err;
	for (int i = 0; i < SYSAUDIT_LOST_KINDS; i++)
		sum += k[i];
	*out = sum;
	return 0;
}

int sysaudit_watch(sysaudit_t *a, const char *path, uint32_t tag)
{
	struct probe_watch_key k;
	struct stat st;
	int err;

	if (!a || !path)
		return -EINVAL;
	if (!a->skel || a->state == ST_NEW)
		return -EBADFD;
	if (stat(path, &st) != 0)
		return -errno;
	/* the kernel's dev_t (MKDEV: major << 20 | minor), not stat's encoding */
	k.dev = ((uint64_t)major(st.st_dev) << 20) | minor(st.st_dev);
	k.ino = st.st_ino;
	err = bpf_map_update_elem(bpf_map__fd(a->skel->maps.watch), &k, &tag, BPF_ANY);
	if (err)
		return errno == E2BIG ? -ENOSPC : -errno;
	a->skel->bss->watch_count++;
	return 0;
}

int sysaudit_link_ids(const sysaudit_t *a, uint32_t *ids, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	if (!a || (!ids && max))
		return -EINVAL;
	if (a->state != ST_ATTACHED)
		return -EBADFD;
	bpf_object__for_each_program(prog, a->skel->obj)
	{
		struct bpf_link *const *slot = NULL;
		struct bpf_link_info info;
		__u32 len = sizeof(info);

		/* the skeleton keeps one link pointer per program, in program order */
		if (prog == a->skel->progs.sys_exit)
			slot = &a->skel->links.sys_exit;
		else if (prog == a->skel->progs.task_fork)
			slot = &a->skel->links.task_fork;
		else if (prog == a->skel->progs.task_exec)
			slot = &a->skel->links.task_exec;
		else if (prog == a->skel->progs.task_exit)
			slot = &a->skel->links.task_exit;
		if (!slot || !*slot)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_link__fd(*slot), &info, &len) != 0)
			return -errno;
		if (n < max)
			ids[n] = info.id;
		n++;
	}
	return (int)n;
}

/* ---- classification and errors ------------------------------------------ */

void sysaudit_set_classifier(sysaudit_t *a, sysaudit_classify_fn fn, void *ctx)
{
	if (!a)
		return;
	a->classify = fn;
	a->classify_ctx = ctx;
}

void sysaudit_classify(const sysaudit_t *a, const struct sysaudit_event *ev,
		       struct sysaudit_verdict *out)
{
	if (!out)
		return;
	out->action = SYSAUDIT_INFO;
	out->rule[0] = '\0';
	if (a && a->classify && ev) {
		a->classify(a->classify_ctx, ev, out);
		out->rule[sizeof(out->rule) - 1] = '\0';
	}
}

enum sysaudit_errkind sysaudit_last_error_kind(const sysaudit_t *a)
{
	return a ? a->ekind : SYSAUDIT_E_STATE;
}

const char *sysaudit_last_error(const sysaudit_t *a)
{
	return a ? a->emsg : "no auditor (NULL handle)";
}

const char *sysaudit_core_btf(const sysaudit_t *a)
{
	return a ? a->core_btf : "";
}

void sysaudit_destroy(sysaudit_t *a)
{
	if (!a)
		return;
	core_btf_release(a);
	ring_buffer__free(a->rb);
	probe__destroy(a->skel); /* detaches every link, closes programs and maps */
	free(a);
}
