/*
 * decode.c — turn one BPF ring-buffer record into a struct sysaudit_event.
 *
 * Layer 06-ebpf, user side. Builds on the record layouts of probe.h. Used by
 * probe.c's ring-buffer callback before the caller's event callback runs.
 *
 * The records are written by our own BPF programs, but everything inside them
 * that is not a number we computed (paths, argv, comm, sockaddr bytes) was
 * copied from pod memory: each string is copied with its last byte forced to
 * NUL, and each record's size is checked against its kind before any field is
 * read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <asm/unistd_64.h>

#include "internal.h"
#include "sandbox_path.h"

/* Copy a fixed-size, possibly unterminated string. */
static void copy_str(char *dst, size_t dst_len, const char *src, size_t src_len)
{
	size_t n = src_len < dst_len ? src_len : dst_len;

	memcpy(dst, src, n);
	dst[n - 1] = '\0';
}

static size_t record_size(__u32 kind)
{
	switch (kind) {
	case PROBE_EXEC:
		return sizeof(struct probe_exec);
	case PROBE_OPEN:
	case PROBE_MMAP:
	case PROBE_MPROTECT:
	case PROBE_FSCHANGE:
		return sizeof(struct probe_path);
	case PROBE_CONNECT:
	case PROBE_NET:
		return sizeof(struct probe_connect);
	case PROBE_FORK:
	case PROBE_EXIT:
		return sizeof(struct probe_task);
	case PROBE_SYSCALL:
		return sizeof(struct probe_sys);
	}
	return 0;
}

static const char *syscall_name(const struct probe_hdr *h)
{
	const char *n;

	if (h->kind == PROBE_FORK)
		return "fork";
	if (h->kind == PROBE_EXIT)
		return "exit";
	n = (h->eflags & PROBE_F_COMPAT) ? sysaudit_syscall_name32(h->nr)
					 : sysaudit_syscall_name(h->nr);
	return n ? n : "unknown";
}

static void decode_hdr(const struct probe_hdr *h, int64_t off, struct sysaudit_event *ev)
{
	ev->kind = (enum sysaudit_kind)h->kind;
	ev->eflags = h->eflags & ~(uint32_t)PROBE_F_DIRBASE;
	ev->ts_ns = h->ts + (uint64_t)off;
	ev->pid = h->pid;
	ev->tid = h->tid;
	ev->host_pid = h->host_pid;
	copy_str(ev->comm, sizeof(ev->comm), h->comm, sizeof(h->comm));
	ev->nr = h->nr;
	ev->syscall = syscall_name(h);
	ev->ret = h->ret;
	memcpy(ev->args, h->args, sizeof(ev->args));
	ev->exec_id = h->exec_id;
	ev->parent_exec_id = h->parent_exec_id;
	ev->uid = h->uid;
	ev->euid = h->euid;
	ev->restarts = h->restarts;
	ev->watch_tag = h->watch_tag;
	copy_str(ev->cwd, sizeof(ev->cwd), h->cwd, sizeof(h->cwd));
}

/* /proc/self/root, /proc/thread-self/root and /proc/N/root name the task's own
 * root inside the pod: drop the prefix (at most a few times: it may repeat). */
static void strip_proc_root(char *p)
{
	for (int round = 0; round < 8; round++) {
		const char *q = NULL;

		if (!strncmp(p, "/proc/self/root", 15))
			q = p + 15;
		else if (!strncmp(p, "/proc/thread-self/root", 22))
			q = p + 22;
		else if (!strncmp(p, "/proc/", 6) && p[6] >= '0' && p[6] <= '9') {
			q = p + 6;
			while (*q >= '0' && *q <= '9')
				q++;
			q = strncmp(q, "/root", 5) ? NULL : q + 5;
		}
		if (!q || (*q && *q != '/'))
			return;
		memmove(p, *q ? q : "/", strlen(*q ? q : "/") + 1);
	}
}

int sysaudit_normalize(const char *base, const char *rel, char *out, size_t len)
{
	char tmp[SYSAUDIT_PATH_MAX * 2 + 2];
	size_t n;
	int ret;

	if (!rel || !out || len < 2)
		return -EINVAL;
	if (rel[0] == '/' || !base || !base[0])
		n = (size_t)snprintf(tmp, sizeof(tmp), "/%s", rel);
	else
		n = (size_t)snprintf(tmp, sizeof(tmp), "%s/%s", base, rel);
	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	ret = sb_path_normalize(tmp, n, out, len, 0);
	if (ret < 0)
		return ret;
	strip_proc_root(out);
	return (int)strlen(out);
}

/* The path an event names: resolved by the kernel, or joined and normalised. */
static void event_path(struct sysaudit_event *ev, const char *kpath, const char *raw, __u32 fl,
		       int join)
{
	char base[SYSAUDIT_PATH_MAX];

	if ((fl & PROBE_F_RESOLVED) && !(fl & PROBE_F_UNREADABLE) && kpath[0]) {
		snprintf(ev->path, sizeof(ev->path), "%s", kpath);
		return;
	}
	ev->eflags &= ~(uint32_t)PROBE_F_RESOLVED;
	if (!join || !raw[0])
		return;
	if (raw[0] == '/')
		base[0] = '\0';
	else if (fl & PROBE_F_DIRBASE)
		snprintf(base, sizeof(base), "%s", kpath);
	else if (!(fl & PROBE_F_CWD_TRUNC))
		snprintf(base, sizeof(base), "%s", ev->cwd);
	else
		return; /* relative to a cwd we could not name */
	if (raw[0] != '/' && !base[0])
		return;
	if (sysaudit_normalize(base, raw, ev->path, sizeof(ev->path)) >= 0)
		ev->eflags |= SYSAUDIT_F_JOINED;
	else
		ev->path[0] = '\0';
}

static void decode_exec(const struct probe_exec *r, size_t size, struct sysaudit_event *ev,
			char *store)
{
	/* the argument bytes the record says it has, but never past its end */
	size_t len = r->args_len <= size - PROBE_EXEC_ARGS ? r->args_len : size - PROBE_EXEC_ARGS;
	size_t pos = 0;
	int n = 0;

	copy_str(ev->raw, sizeof(ev->raw), r->filename, sizeof(r->filename));
	/* a failed execveat names its file relative to a dirfd we did not walk */
	event_path(ev, r->path, ev->raw, r->h.eflags,
		   ev->nr == __NR_execve || (int)ev->args[0] == AT_FDCWD);
	memcpy(store, r->args, len);
	store[len] = '\0';
	if (!(r->h.eflags & PROBE_F_FROM_KERNEL)) { /* a failed exec: one slot per argument */
		for (; (size_t)(n + 1) * PROBE_SLOT <= len && n < PROBE_SLOTS; n++) {
			store[(size_t)(n + 1) * PROBE_SLOT - 1] = '\0';
			ev->argv[n] = store + (size_t)n * PROBE_SLOT;
			if (r->cut & (1u << n))
				ev->argv_cut |= 1ull << n;
		}
		pos = len;
	}
	while (pos < len && n < SYSAUDIT_ARGV_MAX) {
		size_t l = strnlen(store + pos, len - pos);

		ev->argv[n] = store + pos;
		if (pos + l >= len && (r->h.eflags & PROBE_F_FROM_KERNEL) &&
		    (r->h.eflags & PROBE_F_ARGV_TRUNC))
			ev->argv_cut |= 1ull << n; /* the capture ended inside it */
		n++;
		pos += l + 1;
	}
	if (pos < len || (uint32_t)n < r->argc)
		ev->eflags |= SYSAUDIT_F_ARGV_TRUNC;
	if (ev->argv_cut)
		ev->eflags |= SYSAUDIT_F_ARGV_TRUNC;
	ev->argc = n;
	ev->argc_total = r->argc > (uint32_t)n ? r->argc : (uint32_t)n;
}

/*
 * The second path of a rename/link/symlink into @out: joined to the walked
 * dirfd (fl2 has PROBE_F_DIRBASE) or to the cwd, like a failed open's path.
 * "" when its base could not be named; a base walk that did not fit marks the
 * event path_truncated.
 */
static void second_path(const struct probe_path *r, struct sysaudit_event *ev, char *out,
			size_t len)
{
	char base[SYSAUDIT_PATH_MAX];
	const char *raw2 = ev->raw2;

	out[0] = '\0';
	if (!raw2[0])
		return;
	if (raw2[0] == '/') {
		base[0] = '\0';
	} else if (r->fl2 & PROBE_F_DIRBASE) {
		ev->eflags |= r->fl2 & PROBE_F_RACED;
		if (r->fl2 & (PROBE_F_UNREADABLE | PROBE_F_OUTSIDE_ROOT | PROBE_F_ANON) ||
		    !r->base2[0])
			return;
		if (r->fl2 & PROBE_F_PATH_TRUNC)
			ev->eflags |= SYSAUDIT_F_PATH_TRUNC;
		copy_str(base, sizeof(base), r->base2, sizeof(r->base2));
	} else if (!(r->h.eflags & PROBE_F_CWD_TRUNC) && ev->cwd[0]) {
		snprintf(base, sizeof(base), "%s", ev->cwd);
	} else {
		return; /* relative to a directory we could not name */
	}
	if (sysaudit_normalize(base, raw2, out, len) < 0)
		out[0] = '\0';
}

static int is_symlink_call(int nr)
{
	return nr == __NR_symlink || nr == __NR_symlinkat;
}

static void decode_path(const struct probe_path *r, size_t size, struct sysaudit_event *ev)
{
	/* the short form ends inside raw: read no byte past the record */
	copy_str(ev->raw, sizeof(ev->raw), r->raw,
		 size < PROBE_PATH_SHORT ? size - PROBE_PATH_RAW : sizeof(r->raw));
	if (size == sizeof(*r)) /* the short form ends before raw2 */
		copy_str(ev->raw2, sizeof(ev->raw2), r->raw2, sizeof(r->raw2));
	if (ev->kind == SYSAUDIT_EV_FSCHANGE && !(ev->eflags & PROBE_F_COMPAT) &&
	    is_symlink_call(ev->nr)) {
		/* a symlink's target is text stored in the link, not a path the
		 * call resolves: the file the call made is the link */
		second_path(r, ev, ev->path, sizeof(ev->path));
		if (ev->path[0])
			ev->eflags |= SYSAUDIT_F_JOINED;
	} else {
		event_path(ev, r->path, ev->raw, r->h.eflags,
			   ev->kind == SYSAUDIT_EV_OPEN || ev->kind == SYSAUDIT_EV_FSCHANGE);
		if (ev->kind == SYSAUDIT_EV_FSCHANGE && size == sizeof(*r))
			second_path(r, ev, ev->path2, sizeof(ev->path2));
	}
	ev->flags = r->flags;
	ev->mode = r->mode;
	ev->prot = r->prot;
	if (ev->kind == SYSAUDIT_EV_FSCHANGE ||
	    (ev->kind == SYSAUDIT_EV_OPEN &&
	     ((r->flags & O_ACCMODE) != O_RDONLY || (r->flags & (O_CREAT | O_TRUNC)))))
		ev->eflags |= SYSAUDIT_F_WRITE;
}

static void decode_unix(const __u8 *sa, size_t len, struct sysaudit_event *ev)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n = len > off ? len - off : 0;
	size_t start = 0;

	if (n > 0 && sa[off] == '\0') { /* abstract socket: shown as @name */
		ev->path[0] = '@';
		start = 1;
		off++;
		n--;
	}
	if (n > sizeof(ev->path) - start - 1)
		n = sizeof(ev->path) - start - 1;
	memcpy(ev->path + start, sa + off, n);
	ev->path[start + n] = '\0';
}

static void decode_connect(const struct probe_connect *r, struct sysaudit_event *ev)
{
	size_t len = r->sa_len <= PROBE_SA_MAX ? r->sa_len : PROBE_SA_MAX;
	sa_family_t fam;

	if (len < sizeof(sa_family_t)) {
		ev->family = -1;
		return;
	}
	memcpy(&fam, r->sa, sizeof(fam));
	ev->family = fam;
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;

		memcpy(&in, r->sa, sizeof(in));
		ev->port = ntohs(in.sin_port);
		inet_ntop(AF_INET, &in.sin_addr, ev->addr, sizeof(ev->addr));
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;

		memcpy(&in6, r->sa, sizeof(in6));
		ev->port = ntohs(in6.sin6_port);
		inet_ntop(AF_INET6, &in6.sin6_addr, ev->addr, sizeof(ev->addr));
	} else if (fam == AF_UNIX) {
		decode_unix(r->sa, len, ev);
	}
}

int sysaudit_decode(const void *data, size_t size, int64_t mono_to_real_ns,
		    struct sysaudit_event *ev, char *store)
{
	struct probe_hdr h;

	/* 1. size must match the kind before any field is trusted */
	if (size < sizeof(h))
		return -EBADMSG;
	memcpy(&h, data, sizeof(h));
	if (record_size(h.kind) == 0 ||
	    (size != record_size(h.kind) &&
	     !(size > PROBE_PATH_RAW && size <= PROBE_PATH_SHORT &&
	       (h.kind == PROBE_OPEN || h.kind == PROBE_MMAP || h.kind == PROBE_MPROTECT)) &&
	     !(size >= PROBE_EXEC_ARGS && size < sizeof(struct probe_exec) &&
	       h.kind == PROBE_EXEC)))
		return -EBADMSG;
	/* 2. common head, then the kind's own fields */
	memset(ev, 0, sizeof(*ev));
	decode_hdr(&h, mono_to_real_ns, ev);
	switch (h.kind) {
	case PROBE_EXEC:
		decode_exec(data, size, ev, store);
		break;
	case PROBE_OPEN:
	case PROBE_MMAP:
	case PROBE_MPROTECT:
	case PROBE_FSCHANGE:
		decode_path(data, size, ev);
		break;
	case PROBE_CONNECT:
	case PROBE_NET:
		decode_connect(data, ev);
		break;
	case PROBE_FORK:
	case PROBE_EXIT: {
		const struct probe_task *t = data;

		ev->child_pid = t->child_pid;
		ev->exit_status = t->exit_status;
		ev->child_exec_id = t->child_exec_id;
		break;
	}
	}
	return 0;
}

/* The decoded kinds and flags are the raw ones: keep the two headers in step. */
_Static_assert((int)PROBE_EXEC == (int)SYSAUDIT_EV_EXEC &&
		   (int)PROBE_OPEN == (int)SYSAUDIT_EV_OPEN &&
		   (int)PROBE_CONNECT == (int)SYSAUDIT_EV_CONNECT &&
		   (int)PROBE_MMAP == (int)SYSAUDIT_EV_MMAP_EXEC &&
		   (int)PROBE_MPROTECT == (int)SYSAUDIT_EV_MPROTECT_EXEC &&
		   (int)PROBE_FORK == (int)SYSAUDIT_EV_FORK &&
		   (int)PROBE_EXIT == (int)SYSAUDIT_EV_EXIT &&
		   (int)PROBE_SYSCALL == (int)SYSAUDIT_EV_SYSCALL &&
		   (int)PROBE_NET == (int)SYSAUDIT_EV_NET &&
		   (int)PROBE_FSCHANGE == (int)SYSAUDIT_EV_FSCHANGE &&
		   (int)PROBE_KIND_MAX == (int)SYSAUDIT_EV_LOST,
	       "probe_kind and sysaudit_kind differ");
_Static_assert(
    PROBE_F_PATH_TRUNC == SYSAUDIT_F_PATH_TRUNC && PROBE_F_ARGV_TRUNC == SYSAUDIT_F_ARGV_TRUNC &&
	PROBE_F_COMPAT == SYSAUDIT_F_COMPAT && PROBE_F_BASENAME == SYSAUDIT_F_FILE_BASENAME &&
	PROBE_F_UNREADABLE == SYSAUDIT_F_UNREADABLE &&
	PROBE_F_FROM_KERNEL == SYSAUDIT_F_FROM_KERNEL && PROBE_F_RESOLVED == SYSAUDIT_F_RESOLVED &&
	PROBE_F_MEMFD == SYSAUDIT_F_MEMFD && PROBE_F_ANON == SYSAUDIT_F_ANON &&
	PROBE_F_IMAGE32 == SYSAUDIT_F_IMAGE32 && PROBE_F_INTERRUPTED == SYSAUDIT_F_INTERRUPTED &&
	PROBE_F_WATCHED == SYSAUDIT_F_WATCHED && PROBE_F_CWD_TRUNC == SYSAUDIT_F_CWD_TRUNC &&
	PROBE_F_OUTSIDE_ROOT == SYSAUDIT_F_OUTSIDE_ROOT && PROBE_F_RACED == SYSAUDIT_F_RACED,
    "probe and sysaudit flags differ");
_Static_assert(PROBE_PATH_MAX <= SYSAUDIT_PATH_MAX && PROBE_ARGS_BYTES == SYSAUDIT_ARGS_BYTES &&
		   PROBE_SLOT == SYSAUDIT_ARG_LEN && PROBE_COMM_LEN == SYSAUDIT_COMM_LEN &&
		   PROBE_LOST_SLOTS >= (int)SYSAUDIT_LOST_KINDS - 1,
	       "probe and sysaudit bounds differ");
_Static_assert(PROBE_SLOT_COMPAT == SYSAUDIT_NR_COMPAT && PROBE_SLOT_OTHER == SYSAUDIT_NR_OTHER,
	       "count slots differ");
