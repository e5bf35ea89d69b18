/*
 * triv_clib.c — the trivial C-lib worker of 07-runner's start-up benchmark:
 * answers each message with the same bytes (podlib.h ABI).
 *
 * Layer 07 (runner), bench. Builds on include/podlib.h.
 */
#include "podlib.h"

static int echo(void *state, const void *msg, size_t len, podlib_reply_fn reply, void *ctx)
{
	(void)state;
	return reply(ctx, msg, len);
}

PODLIB_SERVICE("triv", NULL, echo, NULL);
