/*
 * testutil.h — shared declarations of the 02-ipc Check suite.
 *
 * Layer 02-ipc, tests. Each tests/check_*.c file contributes TCases to the one
 * Suite "ipc" assembled in check_ipc.c; this header lists the factories and
 * the small helpers they share (vector loading).
 */
#ifndef IPC_TESTUTIL_H
#define IPC_TESTUTIL_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#ifndef IPC_ECHO_FRAMES
#define IPC_ECHO_FRAMES 1000000
#endif

/** One conformance vector (tests/vectors/NAME.vec). */
struct vec {
	char name[128];
	char keys[16][32];
	char vals[16][2200];
	int nkv;
	uint8_t bytes[8192];
	size_t len;
	char error[32]; /* "" for a valid vector */
};

/** Load every *.vec in $IPC_VECTORS (default tests/vectors); returns the count. */
int vec_load_all(struct vec **out);
/** Value of @key in @v or NULL. */
const char *vec_get(const struct vec *v, const char *key);

struct ipc_runner;
struct ipc_event;

/** Dispatch @r until an event comes (1) or @ms pass (0). */
int rt_next_event(struct ipc_runner *r, struct ipc_event *ev, int ms);
/** Like rt_next_event() but fails the test unless the event has type @type. */
void rt_expect(struct ipc_runner *r, struct ipc_event *ev, int type, int ms);
/** A runner in a fresh directory under /tmp with @timeout_ms handshake timeout. */
struct ipc_runner *rt_runner(int query, unsigned timeout_ms);
/** Expect exactly @pid. */
void rt_expect_pid(struct ipc_runner *r, int pid);
/** Build echo frame @seq (64 bytes: seq, pattern, checksum) into @buf. */
void rt_frame(uint8_t *buf, uint32_t len, uint32_t seq);
/** Check an echoed frame; returns 1 when it is frame @seq intact. */
int rt_frame_ok(const uint8_t *buf, uint32_t len, uint32_t seq);
/** Monotonic milliseconds. */
uint64_t rt_ms(void);

TCase *tcase_codec(void);
TCase *tcase_session(void);
TCase *tcase_hostile(void);
TCase *tcase_worker(void);

#endif
