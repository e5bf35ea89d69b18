/*
 * format.c — render a sysaudit_event as a docs/audit-events.md audit line (src=ebpf).
 *
 * Layer 06-ebpf, user side. Builds on include/sysaudit.h only (no libbpf), so
 * the fuzz target links it alone. Used by 07-runner to write --audit lines.
 *
 * Hostile input: paths, argv, comm and unix socket names were chosen by the
 * pod. Every string goes through json_str(), which escapes '"', '\\', control
 * bytes and every byte >= 0x80 (as \u00XX of the byte value), so the output
 * is plain-ASCII valid JSON whatever the pod wrote, and a line never contains
 * a raw newline. The writer never passes its buffer's end: on overflow it
 * stops writing and the call returns -ENOSPC.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "sysaudit.h"

/* A bounded output buffer. Invariant: pos < len, buf[pos] == '\0'. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
	int overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->len - o->pos) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->overflow = 1;
		return;
	}
	put(o, tmp, (size_t)n);
}

/* A JSON string literal of @s (at most @max bytes of it). */
static void json_str(struct out *o, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";

	put(o, "\"", 1);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		if (c == '"' || c == '\\') {
			char two[2] = { '\\', (char)c };
			put(o, two, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			put(o, esc, 6);
		} else {
			put(o, (const char *)&c, 1);
		}
	}
	put(o, "\"", 1);
}

static void kv_str(struct out *o, const char *key, const char *val, size_t max)
{
	putf(o, ",\"%s\":", key);
	json_str(o, val, max);
}

static const char *const lost_names[SYSAUDIT_LOST_KINDS] = {
	[SYSAUDIT_LOST_STORAGE] = "storage",
	[SYSAUDIT_LOST_EXEC] = "ringbuf_exec",
	[SYSAUDIT_LOST_OPEN] = "ringbuf_open",
	[SYSAUDIT_LOST_CONNECT] = "ringbuf_connect",
	[SYSAUDIT_LOST_MMAP] = "ringbuf_mmap",
	[SYSAUDIT_LOST_MPROTECT] = "ringbuf_mprotect",
	[SYSAUDIT_LOST_FORK] = "ringbuf_fork",
	[SYSAUDIT_LOST_EXIT] = "ringbuf_exit",
	[SYSAUDIT_LOST_SYSCALL] = "ringbuf_syscall",
	[SYSAUDIT_LOST_NET] = "ringbuf_net",
	[SYSAUDIT_LOST_FSCHANGE] = "ringbuf_fschange",
	[SYSAUDIT_LOST_MALFORMED] = "malformed",
};

const char *sysaudit_lost_kind_name(enum sysaudit_lost_kind k)
{
	return (unsigned)k < SYSAUDIT_LOST_KINDS ? lost_names[k] : "unknown";
}

const char *sysaudit_event_cat(const struct sysaudit_event *ev)
{
	if (!ev)
		return "life";
	switch (ev->kind) {
	case SYSAUDIT_EV_EXEC:
		return "run";
	case SYSAUDIT_EV_OPEN:
		return "fs";
	case SYSAUDIT_EV_FSCHANGE:
		return "fs";
	case SYSAUDIT_EV_CONNECT:
	case SYSAUDIT_EV_NET:
		return "net";
	case SYSAUDIT_EV_LOST:
		return "audit";
	case SYSAUDIT_EV_MMAP_EXEC:
	case SYSAUDIT_EV_MPROTECT_EXEC:
		return "ffi";
	default:
		return "life";
	}
}

static const char *action_name(enum sysaudit_action a)
{
	switch (a) {
	case SYSAUDIT_ALLOW:
		return "allow";
	case SYSAUDIT_WARN:
		return "warn";
	case SYSAUDIT_DENY:
		return "deny";
	default:
		return "info";
	}
}

int sysaudit_event_what(const struct sysaudit_event *ev, char *buf, size_t len)
{
	int n;

	if (!ev || !buf || len == 0)
		return -EINVAL;
	switch (ev->kind) {
	case SYSAUDIT_EV_MMAP_EXEC:
	case SYSAUDIT_EV_MPROTECT_EXEC:
		if (!ev->path[0]) { /* executable memory with no file behind it */
			n = snprintf(buf, len, "anonymous");
			break;
		}
		/* fall through */
	case SYSAUDIT_EV_EXEC:
	case SYSAUDIT_EV_OPEN:
	case SYSAUDIT_EV_FSCHANGE:
		/* the resolved path; the raw argument when nothing better is known */
		n = snprintf(buf, len, "%.*s", (int)sizeof(ev->path),
			     ev->path[0] ? ev->path : ev->raw);
		break;
	case SYSAUDIT_EV_LOST:
		n = snprintf(buf, len, "lost");
		break;
	case SYSAUDIT_EV_NET:
		if (ev->family != AF_INET && ev->family != AF_INET6 && ev->family != AF_UNIX) {
			n = snprintf(buf, len, "%s", ev->syscall ? ev->syscall : "unknown");
			break;
		}
		/* fall through */
	case SYSAUDIT_EV_CONNECT:
		if (ev->family == AF_INET)
			n = snprintf(buf, len, "%.*s:%u", (int)sizeof(ev->addr), ev->addr,
				     ev->port);
		else if (ev->family == AF_INET6)
			n = snprintf(buf, len, "[%.*s]:%u", (int)sizeof(ev->addr), ev->addr,
				     ev->port);
		else if (ev->family == AF_UNIX)
			n = snprintf(buf, len, "unix:%.*s", (int)sizeof(ev->path), ev->path);
		else
			n = snprintf(buf, len, "family:%d", ev->family);
		break;
	case SYSAUDIT_EV_EXIT: /* not "exit": that `what` marks the runner's end-of-pod event */
		n = snprintf(buf, len, "process_exit");
		break;
	default:
		n = snprintf(buf, len, "%s", ev->syscall ? ev->syscall : "unknown");
		break;
	}
	if (n < 0)
		return -EINVAL;
	return (size_t)n >= len ? (int)len - 1 : n;
}

static void fields_exec(struct out *o, const struct sysaudit_event *ev)
{
	int argc = ev->argc < 0 ? 0 : ev->argc > SYSAUDIT_ARGV_MAX ? SYSAUDIT_ARGV_MAX : ev->argc;
	int first = 1;

	if (ev->raw[0])
		kv_str(o, "filename", ev->raw, sizeof(ev->raw));
	puts_(o, ",\"argv\":[");
	for (int i = 0; i < argc; i++) {
		if (i)
			put(o, ",", 1);
		json_str(o, ev->argv[i] ? ev->argv[i] : "", SYSAUDIT_ARGS_BYTES + SYSAUDIT_ARG_LEN);
	}
	put(o, "]", 1);
	putf(o, ",\"argc\":%u", ev->argc_total > (uint32_t)argc ? ev->argc_total : (uint32_t)argc);
	if (ev->eflags & SYSAUDIT_F_ARGV_TRUNC)
		puts_(o, ",\"argv_truncated\":true");
	if (ev->argv_cut) {
		puts_(o, ",\"argv_cut\":[");
		for (int i = 0; i < 64; i++) {
			if (!(ev->argv_cut & (1ull << i)))
				continue;
			putf(o, first ? "%d" : ",%d", i);
			first = 0;
		}
		put(o, "]", 1);
	}
	if (ev->eflags & SYSAUDIT_F_MEMFD)
		puts_(o, ",\"memfd\":true");
	if (ev->eflags & SYSAUDIT_F_ANON)
		puts_(o, ",\"anonymous_file\":true");
	if (ev->eflags & SYSAUDIT_F_IMAGE32)
		puts_(o, ",\"image32\":true");
}

static void fields_addr(struct out *o, const struct sysaudit_event *ev)
{
	putf(o, ",\"family\":%d", ev->family);
	if (ev->family == AF_INET || ev->family == AF_INET6) {
		kv_str(o, "addr", ev->addr, sizeof(ev->addr));
		putf(o, ",\"port\":%u", ev->port);
	}
}

static void fields_lost(struct out *o, const struct sysaudit_event *ev)
{
	int first = 1;

	puts_(o, ",\"counts\":{");
	for (int i = 0; i < SYSAUDIT_LOST_KINDS; i++) {
		if (!ev->lost[i])
			continue;
		putf(o, "%s\"%s\":%" PRIu64, first ? "" : ",",
		     sysaudit_lost_kind_name((enum sysaudit_lost_kind)i), ev->lost[i]);
		first = 0;
	}
	put(o, "}", 1);
}

static void fields_kind(struct out *o, const struct sysaudit_event *ev)
{
	switch (ev->kind) {
	case SYSAUDIT_EV_EXEC:
		fields_exec(o, ev);
		break;
	case SYSAUDIT_EV_OPEN:
	case SYSAUDIT_EV_FSCHANGE:
		putf(o, ",\"flags\":%" PRId64 ",\"mode\":%u,\"access\":\"%s\"", ev->flags, ev->mode,
		     (ev->eflags & SYSAUDIT_F_WRITE) ? "write" : "read");
		if (ev->raw[0] && strcmp(ev->raw, ev->path))
			kv_str(o, "arg_path", ev->raw, sizeof(ev->raw));
		if (ev->raw2[0])
			kv_str(o, "arg_path2", ev->raw2, sizeof(ev->raw2));
		if (ev->path2[0])
			kv_str(o, "path2", ev->path2, sizeof(ev->path2));
		puts_(o, (ev->eflags & SYSAUDIT_F_RESOLVED) ? ",\"resolved\":\"kernel\""
			 : (ev->eflags & SYSAUDIT_F_JOINED) ? ",\"resolved\":\"joined\""
							    : ",\"resolved\":\"none\"");
		if (ev->eflags & SYSAUDIT_F_WATCHED)
			putf(o, ",\"watch\":%u", ev->watch_tag);
		break;
	case SYSAUDIT_EV_CONNECT:
	case SYSAUDIT_EV_NET:
		fields_addr(o, ev);
		break;
	case SYSAUDIT_EV_LOST: /* written by fields() */
		break;
	case SYSAUDIT_EV_MMAP_EXEC:
	case SYSAUDIT_EV_MPROTECT_EXEC:
		putf(o, ",\"prot\":%u,\"map_flags\":%" PRId64, ev->prot, ev->flags);
		kv_str(o, "file", ev->path, sizeof(ev->path));
		if (ev->eflags & SYSAUDIT_F_FILE_BASENAME)
			puts_(o, ",\"file_is_basename\":true");
		if (ev->eflags & SYSAUDIT_F_MEMFD)
			puts_(o, ",\"memfd\":true");
		break;
	case SYSAUDIT_EV_FORK:
		putf(o, ",\"child_pid\":%u,\"child_exec_id\":%" PRIu64, ev->child_pid,
		     ev->child_exec_id);
		break;
	case SYSAUDIT_EV_EXIT:
		if (WIFSIGNALED(ev->exit_status))
			putf(o, ",\"exit\":%d,\"signal\":%d", 128 + WTERMSIG(ev->exit_status),
			     WTERMSIG(ev->exit_status));
		else
			putf(o, ",\"exit\":%d", WEXITSTATUS(ev->exit_status));
		break;
	case SYSAUDIT_EV_SYSCALL:
		putf(o,
		     ",\"nr\":%d,\"args\":[\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",\"0x%" PRIx64
		     "\",\"0x%" PRIx64 "\",\"0x%" PRIx64 "\",\"0x%" PRIx64 "\"]",
		     ev->nr, ev->args[0], ev->args[1], ev->args[2], ev->args[3], ev->args[4],
		     ev->args[5]);
		break;
	}
}

static void fields(struct out *o, const struct sysaudit_event *ev, const struct sysaudit_verdict *v)
{
	char what[SYSAUDIT_PATH_MAX + 64];
	const char *rule = v && v->rule[0] ? v->rule : "default";

	sysaudit_event_what(ev, what, sizeof(what));
	putf(o, "\"src\":\"ebpf\",\"cat\":\"%s\",\"action\":\"%s\"", sysaudit_event_cat(ev),
	     action_name(v ? v->action : SYSAUDIT_INFO));
	kv_str(o, "what", what, sizeof(what));
	kv_str(o, "rule", rule, sizeof(v->rule));
	if (ev->kind == SYSAUDIT_EV_LOST) { /* a notice about the stream, not a syscall */
		fields_lost(o, ev);
		return;
	}
	putf(o, ",\"pid\":%u,\"tid\":%u,\"host_pid\":%u", ev->pid, ev->tid, ev->host_pid);
	putf(o, ",\"exec_id\":%" PRIu64 ",\"parent_exec_id\":%" PRIu64 ",\"uid\":%u,\"euid\":%u",
	     ev->exec_id, ev->parent_exec_id, ev->uid, ev->euid);
	kv_str(o, "comm", ev->comm, sizeof(ev->comm));
	if (ev->cwd[0])
		kv_str(o, "cwd", ev->cwd, sizeof(ev->cwd));
	kv_str(o, "syscall", ev->syscall ? ev->syscall : "unknown", 64);
	if (ev->kind != SYSAUDIT_EV_FORK && ev->kind != SYSAUDIT_EV_EXIT) {
		putf(o, ",\"ret\":%" PRId64, ev->ret);
		if (ev->ret < 0 && ev->ret > -4096 && strerrorname_np((int)-ev->ret))
			putf(o, ",\"errno\":\"%s\"", strerrorname_np((int)-ev->ret));
	}
	if (ev->restarts)
		putf(o, ",\"restarts\":%u", ev->restarts);
	if (ev->eflags & SYSAUDIT_F_INTERRUPTED)
		puts_(o, ",\"interrupted\":true");
	if (ev->eflags & SYSAUDIT_F_CWD_TRUNC)
		puts_(o, ",\"cwd_truncated\":true");
	if (ev->eflags & SYSAUDIT_F_OUTSIDE_ROOT)
		puts_(o, ",\"outside_root\":true");
	if (ev->eflags & SYSAUDIT_F_RACED)
		puts_(o, ",\"path_raced\":true");
	if (ev->eflags & SYSAUDIT_F_PATH_TRUNC)
		puts_(o, ",\"path_truncated\":true");
	if (ev->eflags & SYSAUDIT_F_UNREADABLE)
		puts_(o, ",\"unreadable\":true");
	if (ev->eflags & SYSAUDIT_F_COMPAT)
		puts_(o, ",\"compat32\":true");
	fields_kind(o, ev);
}

int sysaudit_format_fields(const struct sysaudit_event *ev, const struct sysaudit_verdict *v,
			   char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };

	if (!ev || !buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	fields(&o, ev, v);
	return o.overflow ? -ENOSPC : (int)o.pos;
}

int sysaudit_format_line(const struct sysaudit_event *ev, const struct sysaudit_verdict *v,
			 const char *pod_id, char *buf, size_t len)
{
	struct out o = { buf, len, 0, 0 };
	time_t sec;
	struct tm tm;
	char ts[32];

	if (!ev || !pod_id || !buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	sec = (time_t)(ev->ts_ns / 1000000000ULL);
	if (!gmtime_r(&sec, &tm) || !strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm))
		return -EINVAL;
	putf(&o, "{\"ts\":\"%s.%06uZ\"", ts, (unsigned)(ev->ts_ns % 1000000000ULL / 1000));
	kv_str(&o, "pod", pod_id, 256);
	put(&o, ",", 1);
	fields(&o, ev, v);
	put(&o, "}\n", 2);
	return o.overflow ? -ENOSPC : (int)o.pos;
}
