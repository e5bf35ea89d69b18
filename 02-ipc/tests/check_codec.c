/*
 * check_codec.c — TCase "codec": the wire format against the shared vectors.
 *
 * Layer 02-ipc, tests. Every tests/vectors/NAME.vec is decoded with ipc_decode();
 * valid ones must give the listed fields and re-encode byte for byte, invalid
 * ones must fail with the listed error. The Python and Bun suites run the same
 * files through their own codecs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc.h"
#include "testutil.h"

static const char *const type_names[] = { "",     "HELLO", "READY", "DATA",    "STOP", "ERROR",
					  "PING", "PONG",  "QUERY", "VERDICT", "EVENT" };

static uint64_t num(const struct vec *v, const char *k)
{
	const char *s = vec_get(v, k);
	ck_assert_msg(s != NULL, "%s: missing %s", v->name, k);
	return s[0] == '-' ? (uint64_t)strtoll(s, NULL, 0) : strtoull(s, NULL, 0);
}

static struct ipc_str str(const struct vec *v, const char *k)
{
	const char *s = vec_get(v, k);
	ck_assert_msg(s != NULL, "%s: missing %s", v->name, k);
	return (struct ipc_str){ s, (uint16_t)strlen(s) };
}

/* Build the message a valid vector describes (strings point into the vector). */
static void vec_to_msg(const struct vec *v, struct ipc_msg *m)
{
	memset(m, 0, sizeof *m);
	const char *t = vec_get(v, "type");
	for (int i = 1; i <= IPC_TYPE_MAX; i++)
		if (!strcmp(t, type_names[i]))
			m->type = (uint8_t)i;
	ck_assert_msg(m->type, "%s: unknown type %s", v->name, t);
	m->seq = (uint32_t)num(v, "seq");
	switch (m->type) {
	case IPC_HELLO:
		m->u.hello.version = (uint16_t)num(v, "version");
		m->u.hello.lang = (uint8_t)num(v, "lang");
		m->u.hello.pid = (uint32_t)num(v, "pid");
		break;
	case IPC_READY:
		m->u.ready.ring_capacity = (uint32_t)num(v, "ring_capacity");
		m->u.ready.max_frame = (uint32_t)num(v, "max_frame");
		break;
	case IPC_DATA:
		m->u.data.flags = (uint32_t)num(v, "flags");
		break;
	case IPC_STOP:
		m->u.stop.deadline_ms = (uint32_t)num(v, "deadline_ms");
		break;
	case IPC_ERROR:
		m->u.error.code = (int32_t)num(v, "code");
		m->u.error.text = str(v, "text");
		break;
	case IPC_PING:
	case IPC_PONG:
		m->u.ping.token = num(v, "token");
		break;
	case IPC_QUERY:
		m->u.query.request_id = (uint32_t)num(v, "request_id");
		m->u.query.category = str(v, "category");
		m->u.query.request = str(v, "request");
		break;
	case IPC_VERDICT:
		m->u.verdict.request_id = (uint32_t)num(v, "request_id");
		m->u.verdict.action = (uint8_t)num(v, "action");
		m->u.verdict.rule = str(v, "rule");
		m->u.verdict.reason = str(v, "reason");
		break;
	case IPC_EVENT:
		m->u.event.action = (uint8_t)num(v, "action");
		m->u.event.category = str(v, "category");
		m->u.event.what = str(v, "what");
		m->u.event.detail = str(v, "detail");
		break;
	}
}

static void assert_str_eq(const char *name, struct ipc_str a, struct ipc_str b)
{
	ck_assert_msg(a.len == b.len && (a.len == 0 || !memcmp(a.ptr, b.ptr, a.len)),
		      "%s: string mismatch", name);
}

static void assert_msg_eq(const char *name, const struct ipc_msg *a, const struct ipc_msg *b)
{
	ck_assert_msg(a->type == b->type && a->seq == b->seq, "%s: type/seq", name);
	switch (a->type) {
	case IPC_ERROR:
		ck_assert_int_eq(a->u.error.code, b->u.error.code);
		assert_str_eq(name, a->u.error.text, b->u.error.text);
		break;
	case IPC_QUERY:
		ck_assert_uint_eq(a->u.query.request_id, b->u.query.request_id);
		assert_str_eq(name, a->u.query.category, b->u.query.category);
		assert_str_eq(name, a->u.query.request, b->u.query.request);
		break;
	case IPC_VERDICT:
		ck_assert_uint_eq(a->u.verdict.request_id, b->u.verdict.request_id);
		ck_assert_uint_eq(a->u.verdict.action, b->u.verdict.action);
		assert_str_eq(name, a->u.verdict.rule, b->u.verdict.rule);
		assert_str_eq(name, a->u.verdict.reason, b->u.verdict.reason);
		break;
	case IPC_EVENT:
		ck_assert_uint_eq(a->u.event.action, b->u.event.action);
		assert_str_eq(name, a->u.event.category, b->u.event.category);
		assert_str_eq(name, a->u.event.what, b->u.event.what);
		assert_str_eq(name, a->u.event.detail, b->u.event.detail);
		break;
	default: /* fixed-size payloads: compare the union bytes that matter */
		ck_assert_msg(!memcmp(&a->u, &b->u, sizeof a->u.ping), "%s: payload", name);
	}
}

static int errname(const char *s)
{
	if (!strcmp(s, "EBADMSG"))
		return -EBADMSG;
	if (!strcmp(s, "EPROTONOSUPPORT"))
		return -EPROTONOSUPPORT;
	if (!strcmp(s, "EMSGSIZE"))
		return -EMSGSIZE;
	if (!strcmp(s, "INCOMPLETE"))
		return 0;
	ck_abort_msg("unknown error name %s", s);
	return 1;
}

START_TEST(test_valid_vectors_decode_to_listed_fields_and_reencode_exactly)
{
	struct vec *vs;
	int n = vec_load_all(&vs), valid = 0;
	ck_assert_int_gt(n, 20);
	for (int i = 0; i < n; i++) {
		if (vs[i].error[0])
			continue;
		struct ipc_msg want, got;
		uint8_t out[IPC_MAX_MSG];
		vec_to_msg(&vs[i], &want);
		memset(&got, 0xA5, sizeof got);
		ck_assert_int_eq(ipc_decode(vs[i].bytes, vs[i].len, &got), (int)vs[i].len);
		assert_msg_eq(vs[i].name, &got, &want);
		ck_assert_int_eq(ipc_encode(&want, out, sizeof out), (int)vs[i].len);
		ck_assert_msg(!memcmp(out, vs[i].bytes, vs[i].len), "%s: encoding differs",
			      vs[i].name);
		valid++;
	}
	ck_assert_int_gt(valid, 15);
	free(vs);
}
END_TEST

START_TEST(test_invalid_vectors_fail_with_the_listed_error)
{
	struct vec *vs;
	int n = vec_load_all(&vs), bad = 0;
	for (int i = 0; i < n; i++) {
		if (!vs[i].error[0])
			continue;
		struct ipc_msg m;
		int ret = ipc_decode(vs[i].bytes, vs[i].len, &m);
		ck_assert_msg(ret == errname(vs[i].error), "%s: got %d want %s", vs[i].name, ret,
			      vs[i].error);
		bad++;
	}
	ck_assert_int_gt(bad, 20);
	free(vs);
}
END_TEST

START_TEST(test_every_prefix_of_a_valid_message_is_incomplete)
{
	struct vec *vs;
	int n = vec_load_all(&vs);
	for (int i = 0; i < n; i++) {
		if (vs[i].error[0])
			continue;
		for (size_t l = 0; l < vs[i].len; l++) {
			struct ipc_msg m;
			uint8_t *copy = malloc(l + 1); /* exact size: ASan sees any overread */
			memcpy(copy, vs[i].bytes, l);
			ck_assert_msg(ipc_decode(copy, l, &m) == 0, "%s prefix %zu", vs[i].name, l);
			free(copy);
		}
	}
	free(vs);
}
END_TEST

START_TEST(test_decoder_consumes_only_the_first_of_two_messages)
{
	struct ipc_msg a = { .type = IPC_PING, .seq = 1, .u.ping.token = 5 }, m;
	uint8_t buf[64];
	int l1 = ipc_encode(&a, buf, sizeof buf);
	a.seq = 2;
	int l2 = ipc_encode(&a, buf + l1, sizeof buf - (size_t)l1);
	ck_assert_int_eq(l1, 24);
	ck_assert_int_eq(l2, 24);
	ck_assert_int_eq(ipc_decode(buf, (size_t)(l1 + l2), &m), l1);
	ck_assert_uint_eq(m.seq, 1);
	ck_assert_int_eq(ipc_decode(buf + l1, (size_t)l2, &m), l2);
	ck_assert_uint_eq(m.seq, 2);
}
END_TEST

START_TEST(test_encoder_rejects_bad_values_and_small_buffers)
{
	uint8_t buf[IPC_MAX_MSG];
	char big[IPC_TEXT_MAX + 2];
	memset(big, 'x', sizeof big);
	struct ipc_msg m = { .type = IPC_ERROR, .u.error = { 1, { big, IPC_TEXT_MAX + 1 } } };
	ck_assert_int_eq(ipc_encode(&m, buf, sizeof buf), -EINVAL);
	m.u.error.text.len = IPC_TEXT_MAX;
	ck_assert_int_eq(ipc_encode(&m, buf, sizeof buf), IPC_HDR_SIZE + 6 + IPC_TEXT_MAX);
	ck_assert_int_eq(ipc_encode(&m, buf, 100), -ENOSPC);
	m.u.error.text = (struct ipc_str){ "a\0b", 3 };
	ck_assert_int_eq(ipc_encode(&m, buf, sizeof buf), -EINVAL);
	struct ipc_msg d = { .type = IPC_DATA, .u.data.flags = 0 };
	ck_assert_int_eq(ipc_encode(&d, buf, sizeof buf), -EINVAL);
	d.u.data.flags = 8;
	ck_assert_int_eq(ipc_encode(&d, buf, sizeof buf), -EINVAL);
	struct ipc_msg t = { .type = 11 };
	ck_assert_int_eq(ipc_encode(&t, buf, sizeof buf), -EINVAL);
	struct ipc_msg v = { .type = IPC_VERDICT, .u.verdict.action = IPC_ACT_INFO };
	ck_assert_int_eq(ipc_encode(&v, buf, sizeof buf), -EINVAL);
}
END_TEST

START_TEST(test_decoder_survives_random_mutations_of_valid_messages)
{
	struct vec *vs;
	int n = vec_load_all(&vs);
	unsigned seed = 12345;
	for (int round = 0; round < 20000; round++) {
		const struct vec *v = &vs[rand_r(&seed) % (unsigned)n];
		uint8_t buf[8192];
		size_t len = v->len;
		memcpy(buf, v->bytes, len);
		for (int k = 0; k < 3 && len; k++)
			buf[rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		size_t cut = len ? (size_t)rand_r(&seed) % (len + 1) : 0;
		uint8_t *exact = malloc(cut + 1);
		memcpy(exact, buf, cut);
		struct ipc_msg m;
		int ret = ipc_decode(exact, cut, &m);
		ck_assert(ret <= (int)cut);
		if (ret > 0) { /* whatever decodes must re-encode to the same bytes */
			uint8_t out[IPC_MAX_MSG];
			ck_assert_int_eq(ipc_encode(&m, out, sizeof out), ret);
			ck_assert(!memcmp(out, exact, (size_t)ret));
		}
		free(exact);
	}
	free(vs);
}
END_TEST

TCase *tcase_codec(void)
{
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_valid_vectors_decode_to_listed_fields_and_reencode_exactly);
	tcase_add_test(tc, test_invalid_vectors_fail_with_the_listed_error);
	tcase_add_test(tc, test_every_prefix_of_a_valid_message_is_incomplete);
	tcase_add_test(tc, test_decoder_consumes_only_the_first_of_two_messages);
	tcase_add_test(tc, test_encoder_rejects_bad_values_and_small_buffers);
	tcase_add_test(tc, test_decoder_survives_random_mutations_of_valid_messages);
	tcase_set_timeout(tc, 30);
	return tc;
}
