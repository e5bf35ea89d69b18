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

#include "internal.h"

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
		return sizeof(struct probe_path);
	case PROBE_CONNECT:
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
	ev->eflags = h->eflags;
	ev->ts_ns = h->ts + (uint64_t)off;
	ev->pid = h->pid;
	ev->tid = h->tid;
	ev->host_pid = h->host_pid;
	copy_str(ev->comm, sizeof(ev->comm), h->comm, sizeof(h->comm));
	ev->nr = h->nr;
	ev->syscall = syscall_name(h);
	ev->ret = h->ret;
	memcpy(ev->args, h->args, sizeof(ev->args));
}

static void decode_exec(const struct probe_exec *r, struct sysaudit_event *ev,
			char argv_store[][PROBE_ARG_LEN])
{
	__u32 argc = r->argc <= PROBE_ARGV_MAX ? r->argc : PROBE_ARGV_MAX;

	copy_str(ev->path, sizeof(ev->path), r->path, sizeof(r->path));
	for (__u32 i = 0; i < argc; i++) {
		copy_str(argv_store[i], PROBE_ARG_LEN, r->argv[i], sizeof(r->argv[i]));
		ev->argv[i] = argv_store[i];
	}
	ev->argc = (int)argc;
}

static void decode_path(const struct probe_path *r, struct sysaudit_event *ev)
{
	copy_str(ev->path, sizeof(ev->path), r->path, sizeof(r->path));
	ev->flags = r->flags;
	ev->mode = r->mode;
	ev->prot = r->prot;
	if (ev->kind == SYSAUDIT_EV_OPEN &&
	    ((r->flags & O_ACCMODE) != O_RDONLY || (r->flags & (O_CREAT | O_TRUNC))))
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
		    struct sysaudit_event *ev, char argv_store[][PROBE_ARG_LEN])
{
	struct probe_hdr h;

	/* 1. size must match the kind before any field is trusted */
	if (size < sizeof(h))
		return -EBADMSG;
	memcpy(&h, data, sizeof(h));
	if (record_size(h.kind) == 0 || size != record_size(h.kind))
		return -EBADMSG;
	/* 2. common head, then the kind's own fields */
	memset(ev, 0, sizeof(*ev));
	decode_hdr(&h, mono_to_real_ns, ev);
	switch (h.kind) {
	case PROBE_EXEC:
		decode_exec(data, ev, argv_store);
		break;
	case PROBE_OPEN:
	case PROBE_MMAP:
	case PROBE_MPROTECT:
		decode_path(data, ev);
		break;
	case PROBE_CONNECT:
		decode_connect(data, ev);
		break;
	case PROBE_FORK:
	case PROBE_EXIT: {
		const struct probe_task *t = data;

		ev->child_pid = t->child_pid;
		ev->exit_status = t->exit_status;
		break;
	}
	}
	return 0;
}

/* The decoded kinds and flags are the raw ones: keep the two headers in step. */
_Static_assert((int)PROBE_EXEC == (int)SYSAUDIT_EV_EXEC && (int)PROBE_OPEN == (int)SYSAUDIT_EV_OPEN &&
		       (int)PROBE_CONNECT == (int)SYSAUDIT_EV_CONNECT && (int)PROBE_MMAP == (int)SYSAUDIT_EV_MMAP_EXEC &&
		       (int)PROBE_MPROTECT == (int)SYSAUDIT_EV_MPROTECT_EXEC && (int)PROBE_FORK == (int)SYSAUDIT_EV_FORK &&
		       (int)PROBE_EXIT == (int)SYSAUDIT_EV_EXIT && (int)PROBE_SYSCALL == (int)SYSAUDIT_EV_SYSCALL,
	       "probe_kind and sysaudit_kind differ");
_Static_assert(PROBE_F_PATH_TRUNC == SYSAUDIT_F_PATH_TRUNC &&
		       PROBE_F_ARGV_TRUNC == SYSAUDIT_F_ARGV_TRUNC &&
		       PROBE_F_COMPAT == SYSAUDIT_F_COMPAT && PROBE_F_BASENAME == SYSAUDIT_F_FILE_BASENAME &&
		       PROBE_F_RETRY == SYSAUDIT_F_UNREADABLE && PROBE_F_FROM_KERNEL == SYSAUDIT_F_FROM_KERNEL,
	       "probe and sysaudit flags differ");
_Static_assert(PROBE_PATH_MAX == SYSAUDIT_PATH_MAX && PROBE_ARGV_MAX == SYSAUDIT_ARGV_MAX &&
		       PROBE_ARG_LEN == SYSAUDIT_ARG_LEN && PROBE_COMM_LEN == SYSAUDIT_COMM_LEN,
	       "probe and sysaudit bounds differ");
_Static_assert(PROBE_SLOT_COMPAT == SYSAUDIT_NR_COMPAT && PROBE_SLOT_OTHER == SYSAUDIT_NR_OTHER,
	       "count slots differ");
