/*
 * fixture_svc.c — C-lib services for the pod host tests (07-runner/podhost).
 *
 * Built four times:
 *   SVC_ECHO     replies with an optional prefix (the first worker argument);
 *                "twice" is answered two times, "fail" makes handle() fail,
 *                "args" answers with the arguments init() received
 *   SVC_NOENTRY  exports no entry point
 *   SVC_BADABI   describes itself with an unknown ABI version
 *   SVC_REFUSE   init() refuses to start
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "podlib.h"

struct echo {
	char prefix[64];
	char args[256];
};

__attribute__((unused)) static int echo_init(int argc, char **argv, void **state)
{
	struct echo *e = calloc(1, sizeof(*e));
	if (!e)
		return 1;
	if (argc > 1)
		strncpy(e->prefix, argv[1], sizeof(e->prefix) - 1);
	for (int i = 0; i < argc; i++) {
		strncat(e->args, i ? " " : "", sizeof(e->args) - strlen(e->args) - 1);
		const char *base = strrchr(argv[i], '/');
		strncat(e->args, i == 0 && base ? base + 1 : argv[i],
			sizeof(e->args) - strlen(e->args) - 1);
	}
	*state = e;
	return 0;
}

__attribute__((unused)) static int echo_handle(void *state, const void *msg, size_t len,
					       podlib_reply_fn reply, void *ctx)
{
	struct echo *e = state;
	char out[4096];
	if (len == 4 && memcmp(msg, "fail", 4) == 0)
		return -EIO;
	if (len == 4 && memcmp(msg, "args", 4) == 0)
		return reply(ctx, e->args, strlen(e->args));
	size_t p = strlen(e->prefix);
	if (p + len > sizeof(out))
		return -EMSGSIZE;
	memcpy(out, e->prefix, p);
	memcpy(out + p, msg, len);
	int ret = reply(ctx, out, p + len);
	if (ret == 0 && len == 5 && memcmp(msg, "twice", 5) == 0)
		ret = reply(ctx, out, p + len);
	return ret;
}

__attribute__((unused)) static void echo_shutdown(void *state)
{
	free(state);
}

#if defined(SVC_ECHO)
PODLIB_SERVICE("echo-test", echo_init, echo_handle, echo_shutdown)
#elif defined(SVC_BADABI)
const struct podlib_service *podlib_service_v1(void);
const struct podlib_service *podlib_service_v1(void)
{
	static const struct podlib_service svc = { .abi_version = 99,
						   .struct_size = sizeof(struct podlib_service),
						   .name = "bad",
						   .handle = echo_handle };
	return &svc;
}
#elif defined(SVC_REFUSE)
static int refuse_init(int argc, char **argv, void **state)
{
	(void)argc;
	(void)argv;
	(void)state;
	return 1;
}
PODLIB_SERVICE("refuse", refuse_init, echo_handle, echo_shutdown)
#else /* SVC_NOENTRY */
int not_a_service(void);
int not_a_service(void)
{
	return 0;
}
#endif
