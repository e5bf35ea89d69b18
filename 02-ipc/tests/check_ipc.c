/*
 * check_ipc.c — the 02-ipc Check suite: main() and the vector loader.
 *
 * Layer 02-ipc, tests. One Suite ("ipc"); the TCases live in check_codec.c,
 * check_session.c, check_hostile.c and check_worker.c.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "ipc.h"
#include "testutil.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int vec_parse(const char *path, struct vec *v)
{
	FILE *f = fopen(path, "r");
	char line[8192 * 2 + 64];
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		char *eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = 0;
		const char *k = line, *val = eq + 1;
		if (!strcmp(k, "hex")) {
			size_t n = strlen(val) / 2;
			for (size_t i = 0; i < n && i < sizeof v->bytes; i++)
				v->bytes[i] =
				    (uint8_t)(hexval(val[2 * i]) << 4 | hexval(val[2 * i + 1]));
			v->len = n;
		} else if (!strcmp(k, "error")) {
			copy_bounded(v->error, sizeof v->error, val);
		} else if (v->nkv < 16) {
			copy_bounded(v->keys[v->nkv], sizeof v->keys[0], k);
			copy_bounded(v->vals[v->nkv], sizeof v->vals[0], val);
			v->nkv++;
		}
	}
	fclose(f);
	return 0;
}

int vec_load_all(struct vec **out)
{
	const char *dir = getenv("IPC_VECTORS") ? getenv("IPC_VECTORS") : "tests/vectors";
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	*out = NULL;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".vec"))
			continue;
		*out = realloc(*out, sizeof(struct vec) * (n + 1));
		struct vec *v = &(*out)[n];
		memset(v, 0, sizeof *v);
		snprintf(v->name, sizeof v->name, "%s", e->d_name);
		char path[512];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (vec_parse(path, v) == 0)
			n++;
	}
	closedir(d);
	return n;
}

const char *vec_get(const struct vec *v, const char *key)
{
	for (int i = 0; i < v->nkv; i++)
		if (!strcmp(v->keys[i], key))
			return v->vals[i];
	return NULL;
}

uint64_t rt_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int rt_next_event(struct ipc_runner *r, struct ipc_event *ev, int ms)
{
	uint64_t end = rt_ms() + (uint64_t)ms;
	for (;;) {
		int n = ipc_runner_dispatch(r, ev);
		ck_assert_int_ge(n, 0);
		if (n == 1)
			return 1;
		uint64_t now = rt_ms();
		if (now >= end)
			return 0;
		struct pollfd p = { .fd = ipc_runner_fd(r), .events = POLLIN };
		poll(&p, 1, (int)(end - now));
	}
}

void rt_expect(struct ipc_runner *r, struct ipc_event *ev, int type, int ms)
{
	ck_assert_msg(rt_next_event(r, ev, ms) == 1, "no event within %d ms (wanted %d)", ms, type);
	ck_assert_msg((int)ev->type == type, "event %d (err %d: %s), wanted %d", ev->type, ev->err,
		      ev->reason, type);
}

struct ipc_runner *rt_runner(int query, unsigned timeout_ms)
{
	struct ipc_runner_opts o;
	ipc_runner_t *r = NULL;
	ipc_runner_opts_init(&o);
	o.base_dir = "/tmp";
	o.query_socket = query;
	o.handshake_timeout_ms = timeout_ms;
	o.ring_capacity = 1u << 16;
	ck_assert_int_eq(ipc_runner_create(&o, &r), 0);
	return r;
}

void rt_expect_pid(struct ipc_runner *r, int pid)
{
	struct ipc_peer_rule rule = { .kind = IPC_PEER_PID, .pid = pid, .uid = (uid_t)-1 };
	ck_assert_int_eq(ipc_runner_expect_peer(r, &rule), 0);
}

static uint32_t fnv(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

void rt_frame(uint8_t *buf, uint32_t len, uint32_t seq)
{
	uint32_t x = seq * 2654435761u + 1;
	memcpy(buf, &seq, 4);
	for (uint32_t i = 4; i + 4 < len; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	uint32_t h = fnv(buf, len - 4);
	memcpy(buf + len - 4, &h, 4);
}

int rt_frame_ok(const uint8_t *buf, uint32_t len, uint32_t seq)
{
	uint32_t s, h;
	if (len < 8)
		return 0;
	memcpy(&s, buf, 4);
	memcpy(&h, buf + len - 4, 4);
	return s == seq && h == fnv(buf, len - 4);
}

int main(void)
{
	Suite *s = suite_create("ipc");
	suite_add_tcase(s, tcase_codec());
	suite_add_tcase(s, tcase_session());
	suite_add_tcase(s, tcase_hostile());
	suite_add_tcase(s, tcase_worker());
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
