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

TCase *tcase_codec(void);
TCase *tcase_session(void);
TCase *tcase_hostile(void);
TCase *tcase_worker(void);

#endif
