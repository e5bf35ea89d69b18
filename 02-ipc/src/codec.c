/*
 * codec.c — the control-message wire format of layer 02-ipc: a pure encoder
 * and decoder (no I/O, no allocation).
 *
 * Layer 02. Builds on nothing but the definitions in ipc.h. Used by the runner
 * side (runner.c), the C worker SDK and query client (worker.c), the libFuzzer
 * target (tests/fuzz_decode.c) and the conformance vectors; python/pod and
 * bun/pod.ts carry their own implementation of the same rules.
 *
 * Everything decoded is attacker input: every read is preceded by a bounds
 * check against the declared payload length, which itself is checked against
 * IPC_MAX_PAYLOAD before anything else is trusted.
 */
#include <errno.h>
#include <string.h>

#include "ipc.h"

/* ---- little-endian helpers ------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

/* ---- encoder --------------------------------------------------------- */

/* A cursor over the output payload; `bad` latches the first error. */
struct wr {
	uint8_t *p;
	size_t len, cap;
	int bad;
};

static uint8_t *wr_take(struct wr *w, size_t n)
{
	if (w->bad)
		return NULL;
	if (n > w->cap - w->len) {
		w->bad = -ENOSPC;
		return NULL;
	}
	uint8_t *at = w->p + w->len;
	w->len += n;
	return at;
}

static void wr_u8(struct wr *w, uint8_t v)
{
	uint8_t *p = wr_take(w, 1);
	if (p)
		*p = v;
}

static void wr_u16(struct wr *w, uint16_t v)
{
	uint8_t *p = wr_take(w, 2);
	if (p)
		put_u16(p, v);
}

static void wr_u32(struct wr *w, uint32_t v)
{
	uint8_t *p = wr_take(w, 4);
	if (p)
		put_u32(p, v);
}

static void wr_u64(struct wr *w, uint64_t v)
{
	uint8_t *p = wr_take(w, 8);
	if (p)
		put_u64(p, v);
}

/* A string: u16 length + bytes; over @max or containing NUL is -EINVAL. */
static void wr_str(struct wr *w, struct ipc_str s, size_t max)
{
	if (w->bad)
		return;
	if (s.len > max || (s.len && !s.ptr) || (s.len && memchr(s.ptr, 0, s.len))) {
		w->bad = -EINVAL;
		return;
	}
	wr_u16(w, s.len);
	uint8_t *p = wr_take(w, s.len);
	if (p && s.len)
		memcpy(p, s.ptr, s.len);
}

static void wr_check(struct wr *w, int ok)
{
	if (!ok && !w->bad)
		w->bad = -EINVAL;
}

/* Payload of @m into @w; value checks mirror the decoder's. */
static void encode_payload(const struct ipc_msg *m, struct wr *w)
{
	switch (m->type) {
	case IPC_HELLO:
		wr_check(w, m->u.hello.lang >= 1 && m->u.hello.lang <= IPC_LANG_MAX);
		wr_u16(w, m->u.hello.version);
		wr_u8(w, m->u.hello.lang);
		wr_u8(w, 0);
		wr_u32(w, m->u.hello.pid);
		break;
	case IPC_READY:
		wr_u32(w, m->u.ready.ring_capacity);
		wr_u32(w, m->u.ready.max_frame);
		break;
	case IPC_DATA:
		wr_check(w, m->u.data.flags && !(m->u.data.flags & ~IPC_DATA_ALL));
		wr_u32(w, m->u.data.flags);
		break;
	case IPC_STOP:
		wr_u32(w, m->u.stop.deadline_ms);
		break;
	case IPC_ERROR:
		wr_u32(w, (uint32_t)m->u.error.code);
		wr_str(w, m->u.error.text, IPC_TEXT_MAX);
		break;
	case IPC_PING:
	case IPC_PONG:
		wr_u64(w, m->u.ping.token);
		break;
	case IPC_QUERY:
		wr_u32(w, m->u.query.request_id);
		wr_str(w, m->u.query.category, IPC_CATEGORY_MAX);
		wr_str(w, m->u.query.request, IPC_REQUEST_MAX);
		break;
	case IPC_VERDICT:
		wr_check(w, m->u.verdict.action <= IPC_ACT_DENY);
		wr_u32(w, m->u.verdict.request_id);
		wr_u8(w, m->u.verdict.action);
		wr_u8(w, 0);
		wr_str(w, m->u.verdict.rule, IPC_RULE_MAX);
		wr_str(w, m->u.verdict.reason, IPC_TEXT_MAX);
		break;
	case IPC_EVENT:
		wr_check(w, m->u.event.action <= IPC_ACT_INFO);
		wr_u8(w, m->u.event.action);
		wr_u8(w, 0);
		wr_str(w, m->u.event.category, IPC_CATEGORY_MAX);
		wr_str(w, m->u.event.what, IPC_TEXT_MAX);
		wr_str(w, m->u.event.detail, IPC_TEXT_MAX);
		break;
	default:
		w->bad = -EINVAL;
	}
}

int ipc_encode(const struct ipc_msg *m, void *buf, size_t cap)
{
	if (!m || !buf)
		return -EINVAL;
	if (m->type < IPC_TYPE_MIN || m->type > IPC_TYPE_MAX)
		return -EINVAL;
	if (cap < IPC_HDR_SIZE)
		return -ENOSPC;
	/* 1. payload first, after the header's room */
	struct wr w = { .p = (uint8_t *)buf + IPC_HDR_SIZE, .len = 0, .cap = cap - IPC_HDR_SIZE };
	if (w.cap > IPC_MAX_PAYLOAD)
		w.cap = IPC_MAX_PAYLOAD;
	encode_payload(m, &w);
	if (w.bad)
		return w.bad;
	/* 2. then the header, which needs the payload length */
	uint8_t *h = buf;
	put_u32(h, IPC_MAGIC);
	h[4] = IPC_VERSION;
	h[5] = m->type;
	put_u16(h + 6, 0);
	put_u32(h + 8, (uint32_t)w.len);
	put_u32(h + 12, m->seq);
	return (int)(IPC_HDR_SIZE + w.len);
}

/* ---- decoder --------------------------------------------------------- */

/* A cursor over an untrusted payload; `bad` latches on any overrun. */
struct rd {
	const uint8_t *p;
	size_t len, off;
	int bad;
};

static const uint8_t *rd_take(struct rd *r, size_t n)
{
	if (r->bad || n > r->len - r->off) {
		r->bad = 1;
		return NULL;
	}
	const uint8_t *at = r->p + r->off;
	r->off += n;
	return at;
}

static uint8_t rd_u8(struct rd *r)
{
	const uint8_t *p = rd_take(r, 1);
	return p ? *p : 0;
}

static uint16_t rd_u16(struct rd *r)
{
	const uint8_t *p = rd_take(r, 2);
	return p ? get_u16(p) : 0;
}

static uint32_t rd_u32(struct rd *r)
{
	const uint8_t *p = rd_take(r, 4);
	return p ? get_u32(p) : 0;
}

static uint64_t rd_u64(struct rd *r)
{
	const uint8_t *p = rd_take(r, 8);
	return p ? get_u64(p) : 0;
}

static struct ipc_str rd_str(struct rd *r, size_t max)
{
	struct ipc_str s = { NULL, 0 };
	uint16_t n = rd_u16(r);
	const uint8_t *p = r->bad ? NULL : rd_take(r, n);
	if (!p)
		return s;
	if (n > max || memchr(p, 0, n)) {
		r->bad = 1;
		return s;
	}
	s.ptr = (const char *)p;
	s.len = n;
	return s;
}

static void rd_zero(struct rd *r)
{
	if (rd_u8(r) != 0)
		r->bad = 1;
}

static void rd_check(struct rd *r, int ok)
{
	if (!ok)
		r->bad = 1;
}

/* Fill m->u from the payload in @r; sets r->bad on any violation. */
static void decode_payload(struct rd *r, struct ipc_msg *m)
{
	switch (m->type) {
	case IPC_HELLO:
		m->u.hello.version = rd_u16(r);
		m->u.hello.lang = rd_u8(r);
		rd_zero(r);
		m->u.hello.pid = rd_u32(r);
		rd_check(r, m->u.hello.lang >= 1 && m->u.hello.lang <= IPC_LANG_MAX);
		break;
	case IPC_READY:
		m->u.ready.ring_capacity = rd_u32(r);
		m->u.ready.max_frame = rd_u32(r);
		break;
	case IPC_DATA:
		m->u.data.flags = rd_u32(r);
		rd_check(r, m->u.data.flags && !(m->u.data.flags & ~IPC_DATA_ALL));
		break;
	case IPC_STOP:
		m->u.stop.deadline_ms = rd_u32(r);
		break;
	case IPC_ERROR:
		m->u.error.code = (int32_t)rd_u32(r);
		m->u.error.text = rd_str(r, IPC_TEXT_MAX);
		break;
	case IPC_PING:
	case IPC_PONG:
		m->u.ping.token = rd_u64(r);
		break;
	case IPC_QUERY:
		m->u.query.request_id = rd_u32(r);
		m->u.query.category = rd_str(r, IPC_CATEGORY_MAX);
		m->u.query.request = rd_str(r, IPC_REQUEST_MAX);
		break;
	case IPC_VERDICT:
		m->u.verdict.request_id = rd_u32(r);
		m->u.verdict.action = rd_u8(r);
		rd_zero(r);
		m->u.verdict.rule = rd_str(r, IPC_RULE_MAX);
		m->u.verdict.reason = rd_str(r, IPC_TEXT_MAX);
		rd_check(r, m->u.verdict.action <= IPC_ACT_DENY);
		break;
	case IPC_EVENT:
		m->u.event.action = rd_u8(r);
		rd_zero(r);
		m->u.event.category = rd_str(r, IPC_CATEGORY_MAX);
		m->u.event.what = rd_str(r, IPC_TEXT_MAX);
		m->u.event.detail = rd_str(r, IPC_TEXT_MAX);
		rd_check(r, m->u.event.action <= IPC_ACT_INFO);
		break;
	default:
		r->bad = 1;
	}
	/* the payload must be consumed exactly */
	if (!r->bad && r->off != r->len)
		r->bad = 1;
}

/* Check the header bytes that are present (a prefix may be enough to reject). */
static int check_header_prefix(const uint8_t *h, size_t len)
{
	static const uint8_t magic[4] = { 'P', 'O', 'D', 'I' };
	size_t n = len < 4 ? len : 4;
	if (memcmp(h, magic, n) != 0)
		return -EBADMSG;
	if (len > 4 && h[4] != IPC_VERSION)
		return -EPROTONOSUPPORT;
	if (len > 5 && (h[5] < IPC_TYPE_MIN || h[5] > IPC_TYPE_MAX))
		return -EBADMSG;
	if (len > 7 && get_u16(h + 6) != 0)
		return -EBADMSG;
	if (len > 11 && get_u32(h + 8) > IPC_MAX_PAYLOAD)
		return -EMSGSIZE;
	return 0;
}

int ipc_decode(const void *buf, size_t len, struct ipc_msg *m)
{
	const uint8_t *h = buf;
	if (!m || (!buf && len))
		return -EINVAL;
	/* 1. reject as early as the bytes allow */
	int ret = check_header_prefix(h, len < IPC_HDR_SIZE ? len : IPC_HDR_SIZE);
	if (ret < 0)
		return ret;
	if (len < IPC_HDR_SIZE)
		return 0;
	/* 2. wait for the whole payload (length already bounded) */
	uint32_t plen = get_u32(h + 8);
	if (len - IPC_HDR_SIZE < plen)
		return 0;
	/* 3. decode it */
	memset(m, 0, sizeof(*m));
	m->type = h[5];
	m->seq = get_u32(h + 12);
	struct rd r = { .p = h + IPC_HDR_SIZE, .len = plen, .off = 0, .bad = 0 };
	decode_payload(&r, m);
	if (r.bad)
		return -EBADMSG;
	return (int)(IPC_HDR_SIZE + plen);
}

const char *ipc_type_name(int type)
{
	static const char *const names[] = { "?",    "HELLO", "READY", "DATA",    "STOP", "ERROR",
					     "PING", "PONG",  "QUERY", "VERDICT", "EVENT" };
	if (type < IPC_TYPE_MIN || type > IPC_TYPE_MAX)
		return "?";
	return names[type];
}

const char *ipc_action_name(int action)
{
	static const char *const names[] = { "allow", "warn", "deny", "info" };
	if (action < 0 || action > IPC_ACT_INFO)
		return "?";
	return names[action];
}
