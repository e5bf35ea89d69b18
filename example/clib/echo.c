/*
 * echo.c — example C-lib worker for Pod/Runner (example/, see README.md).
 *
 * A shared library implementing the service ABI of 07-runner/include/podlib.h:
 * the pod host loads it inside the sandbox and calls echo_handle() for every
 * message; the reply is "echo: " + the message. An optional first argument
 * replaces the prefix:   podrun run build/echo.so -- "hi: "
 * In service mode (implied for *.so) each stdin line is one message and each
 * reply one stdout line:
 *
 *     printf 'hello\nworld\n' | podrun run example/build/echo.so
 *     echo: hello
 *     echo: world
 */
#include <stdlib.h>
#include <string.h>

#include "podlib.h"

struct echo {
	char prefix[64];
	unsigned long count; /* messages handled, reported at shutdown */
};

static int echo_init(int argc, char **argv, void **state)
{
	struct echo *e = calloc(1, sizeof(*e));
	if (!e)
		return 1;
	strcpy(e->prefix, "echo: ");
	if (argc > 1 && strlen(argv[1]) < sizeof(e->prefix))
		strcpy(e->prefix, argv[1]);
	*state = e;
	return 0;
}

static int echo_handle(void *state, const void *msg, size_t len, podlib_reply_fn reply, void *ctx)
{
	struct echo *e = state;
	char out[4096];
	size_t p = strlen(e->prefix);
	/* the message is untrusted input: bound it before copying */
	if (len > sizeof(out) - p)
		len = sizeof(out) - p;
	memcpy(out, e->prefix, p);
	memcpy(out + p, msg, len);
	e->count++;
	return reply(ctx, out, p + len);
}

static void echo_shutdown(void *state)
{
	free(state);
}

PODLIB_SERVICE("echo", echo_init, echo_handle, echo_shutdown)
