/**
 * @file
 * podlib.h — the C-lib worker ABI of Pod/Runner (layer 07-runner).
 *
 * A C-lib worker is a shared library (`podrun run libecho.so`). It does no I/O
 * of its own to the runner: the pod host (07-runner/podhost, a small program
 * inside the sandbox) dlopen()s it — through the dynamic loader, so the FFI
 * gate (LD_AUDIT) sees every library it pulls in — connects to the runner with
 * the 02-ipc C worker SDK and calls the library for each message. Builds on
 * nothing; the library needs only this header and links nothing of Pod/Runner.
 *
 * The library exports ONE symbol, a function named PODLIB_ENTRY_SYMBOL, that
 * returns a static description of the service:
 *
 *     #include "podlib.h"
 *     static int echo(void *state, const void *msg, size_t len,
 *                     podlib_reply_fn reply, void *reply_ctx)
 *     {
 *             return reply(reply_ctx, msg, len);      // answer with the same bytes
 *     }
 *     PODLIB_SERVICE("echo", NULL, echo, NULL);
 *
 * Life of a service, all on the pod host's one thread:
 *
 *     podlib_service_v1()        the host checks abi_version and struct_size
 *     init(argc, argv, &state)   once, with the worker's own arguments (the
 *                                --pod-* ones are already removed); non-zero = fail
 *     handle(state, msg, len, reply, ctx)   once per message from the runner;
 *                                `msg` is valid only during the call; reply()
 *                                may be called 0..n times, only during the call
 *     shutdown(state)            once, when the runner sends STOP (or the
 *                                session ends); then the host exits 0
 *
 * A negative return from handle() is reported to the runner as an ERROR and ends
 * the pod (exit status 1); 0 means "handled". Messages are opaque bytes; in
 * service mode (`podrun --serve`, implied for *.so) each stdin line is one message
 * and each reply one stdout line.
 *
 * Versioning: PODLIB_ABI_VERSION changes only when a field changes meaning.
 * Fields are only ever added at the end; struct_size tells the host which ones
 * the library knows. A host refuses a library with another abi_version.
 */
#ifndef POD_PODLIB_H
#define POD_PODLIB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this ABI. */
#define PODLIB_ABI_VERSION 1

/** Name of the symbol the host looks up with dlsym(). */
#define PODLIB_ENTRY_SYMBOL "podlib_service_v1"

/**
 * Send one reply message to the runner. Valid only during handle().
 * @param reply_ctx the context handle() received
 * @param buf the bytes (copied before the call returns)
 * @param len their number (at most the ring's frame limit)
 * @return 0, or a negative errno (-EMSGSIZE too large, -ECONNRESET runner gone)
 */
typedef int (*podlib_reply_fn)(void *reply_ctx, const void *buf, size_t len);

/** What a C-lib worker library provides. */
struct podlib_service {
	uint32_t abi_version; /**< PODLIB_ABI_VERSION */
	uint32_t struct_size; /**< sizeof(struct podlib_service) as compiled into the library */
	const char *name;     /**< short service name for logs, e.g. "echo" */

	/**
	 * Prepare the service (optional: NULL means nothing to do).
	 * @param argc number of worker arguments (argv[0] is the library's pod path)
	 * @param argv the arguments
	 * @param state receives the service's private pointer (starts NULL)
	 * @return 0, or non-zero to refuse to start (the host exits 1)
	 */
	int (*init)(int argc, char **argv, void **state);

	/**
	 * Handle one message (required).
	 * @param state what init() stored
	 * @param msg the message bytes (untrusted input; valid during the call only)
	 * @param len their number
	 * @param reply call to answer (any number of times during this call)
	 * @param reply_ctx pass to @p reply
	 * @return 0 handled; negative errno: fatal (reported as ERROR, the pod ends)
	 */
	int (*handle)(void *state, const void *msg, size_t len, podlib_reply_fn reply,
		      void *reply_ctx);

	/**
	 * Release everything (optional).
	 * @param state what init() stored
	 */
	void (*shutdown)(void *state);
};

/** Type of the entry point: returns the library's static description. */
typedef const struct podlib_service *(*podlib_entry_fn)(void);

/**
 * Define the entry point of a C-lib worker in one line.
 * @param NAME service name (string)
 * @param INIT init function or NULL
 * @param HANDLE handle function
 * @param SHUTDOWN shutdown function or NULL
 */
#define PODLIB_SERVICE(NAME, INIT, HANDLE, SHUTDOWN)                                               \
	const struct podlib_service *podlib_service_v1(void);                                      \
	__attribute__((visibility("default"))) const struct podlib_service *podlib_service_v1(     \
	    void)                                                                                  \
	{                                                                                          \
		static const struct podlib_service svc = {                                         \
			.abi_version = PODLIB_ABI_VERSION,                                         \
			.struct_size = sizeof(struct podlib_service),                              \
			.name = (NAME),                                                            \
			.init = (INIT),                                                            \
			.handle = (HANDLE),                                                        \
			.shutdown = (SHUTDOWN),                                                    \
		};                                                                                 \
		return &svc;                                                                       \
	}

#ifdef __cplusplus
}
#endif
#endif /* POD_PODLIB_H */
