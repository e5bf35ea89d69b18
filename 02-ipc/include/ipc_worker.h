/**
 * @file
 * ipc_worker.h — public API of layer 02-ipc, pod side: the C worker SDK and the
 * small query client for pod-side components.
 *
 * Layer 02. Builds on 01-ring (the rings) and ipc.h (the wire codec). Used by
 * native C workers, by 07-runner's C-lib pod host (which loads a *.so worker and
 * drives it through this SDK) and by pod-side helpers such as the LD_AUDIT
 * loader library (ipc_client_*). The Python (python/pod) and Bun (bun/pod.ts)
 * SDKs implement the same behaviour.
 *
 * A worker is started with two extra arguments that the SDK consumes and
 * removes from argv before the program sees them:
 *
 *     --pod-socket=PATH   the runner's session socket (SOCK_STREAM)
 *     --pod-shm-fd=N      inherited descriptor of the ring shared memory
 *
 * Typical echo worker:
 *
 *     ipc_worker_t *w;
 *     if (ipc_worker_connect_argv(&argc, argv, &w) < 0) return 1;  // HELLO/READY done
 *     char buf[65536];
 *     for (;;) {
 *             int n = ipc_worker_recv(w, buf, sizeof buf, -1);      // sleeps via doorbell
 *             if (n == -ESHUTDOWN) break;                           // STOP arrived
 *             if (n < 0) { fprintf(stderr, "%s\n", ipc_worker_error(w)); return 1; }
 *             if (ipc_worker_send(w, buf, n) < 0) return 1;
 *     }
 *     ipc_worker_close(w);
 *
 * The SDK never blocks forever on a dead runner: a closed or reset socket ends
 * every wait with -ECONNRESET, a protocol violation with -EBADMSG/-EPROTO, and
 * ipc_worker_error() gives the sentence. One thread per handle.
 */
#ifndef POD_IPC_WORKER_H
#define POD_IPC_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "ipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The pod's end of the session. Opaque. */
typedef struct ipc_worker ipc_worker_t;

/** Connection parameters (normally read from argv by ipc_worker_parse_args()). */
struct ipc_worker_opts {
	const char *socket_path;       /**< --pod-socket=PATH */
	int shm_fd;                    /**< --pod-shm-fd=N (-1: none given) */
	uint8_t lang;                  /**< enum ipc_lang sent in HELLO (0: IPC_LANG_C) */
	uint32_t handshake_timeout_ms; /**< connect + READY; 0: 5000 */
	int32_t spin_us;               /**< before sleeping on an empty ring, poll it this
	                                    long (lower latency, burns CPU); 0: take
	                                    $POD_SPIN_US, else no spin; < 0: never spin */
};

/**
 * Find --pod-socket=PATH and --pod-shm-fd=N in argv, fill @p o and remove the
 * arguments from argv (argc shrinks, argv stays NULL-terminated). Arguments
 * after a "--" are left alone. The path points into argv.
 * @param argc in/out argument count
 * @param argv the arguments (modified in place)
 * @param o    receives the values (other fields set to defaults)
 * @return 0; -ENOENT when --pod-socket is missing; -EINVAL for a malformed value
 */
int ipc_worker_parse_args(int *argc, char **argv, struct ipc_worker_opts *o);

/**
 * Connect, map the inherited ring, send HELLO and wait for READY (bounded by
 * the handshake timeout). On failure nothing is left open.
 * @param o   parameters
 * @param out receives the handle
 * @return 0; -ETIMEDOUT; -ECONNREFUSED/-ENOENT no runner; -EREMOTEIO the runner
 *         answered ERROR; -EBADMSG/-EPROTONOSUPPORT bad answer; -EPROTO the ring
 *         does not match READY; -errno
 */
int ipc_worker_connect(const struct ipc_worker_opts *o, ipc_worker_t **out);

/**
 * ipc_worker_parse_args() then ipc_worker_connect().
 * @param argc in/out argument count
 * @param argv the arguments (the --pod-* ones are removed)
 * @param out receives the handle
 * @return as the two calls
 */
int ipc_worker_connect_argv(int *argc, char **argv, ipc_worker_t **out);

/**
 * Send one frame to the runner. Blocks while the ring is full (asking the
 * runner for room with DATA WANT_SPACE), ringing the doorbell only when the
 * runner sleeps.
 * @param w   the worker
 * @param buf payload
 * @param len its length (<= ipc_worker_max_frame())
 * @return 0; -EMSGSIZE; -ESHUTDOWN STOP arrived while waiting for room (no
 *         handler set); -ECONNRESET runner gone; -EBADMSG/-EPROTO misbehaving runner
 */
int ipc_worker_send(ipc_worker_t *w, const void *buf, uint32_t len);

/**
 * Send @p n frames (all of them, blocking as ipc_worker_send() when full).
 * @param w the worker
 * @param frames the frames
 * @param n how many
 * @return n, or a negative errno as ipc_worker_send() (frames before the
 *         failing one were sent)
 */
int ipc_worker_send_batch(ipc_worker_t *w, const struct iovec *frames, unsigned n);

/**
 * Receive one frame, sleeping on the doorbell when the ring is empty.
 * @param w the worker
 * @param buf destination
 * @param cap its size
 * @param timeout_ms -1 forever, 0 poll, > 0 milliseconds
 * @return frame length; -ETIMEDOUT; -EMSGSIZE @p cap too small (frame kept);
 *         -ESHUTDOWN STOP arrived (after the handler, if any, returned without
 *         exiting); -ECONNRESET runner gone; -EBADMSG/-EPROTO misbehaving runner
 */
int ipc_worker_recv(ipc_worker_t *w, void *buf, uint32_t cap, int timeout_ms);

/**
 * Receive up to @p n frames (at least one), packed one after the other.
 * @param w the worker
 * @param buf destination
 * @param cap its size
 * @param lens receives each frame's length
 * @param n at most this many
 * @param timeout_ms as ipc_worker_recv()
 * @return frames received (> 0), or a negative errno as ipc_worker_recv()
 */
int ipc_worker_recv_batch(ipc_worker_t *w, void *buf, size_t cap, uint32_t *lens, unsigned n,
			  int timeout_ms);

/**
 * STOP handler: runs once when STOP arrives inside any SDK call.
 * @param w the worker
 * @param deadline_ms the grace period the runner gave
 * @param arg the pointer given to ipc_worker_on_stop()
 * @return the process exit status: the SDK closes the session and calls exit()
 *         with it; return a negative value to continue instead (the pending
 *         call then fails with -ESHUTDOWN)
 */
typedef int (*ipc_stop_fn)(ipc_worker_t *w, uint32_t deadline_ms, void *arg);

/**
 * Install the STOP handler (replaces any previous one; NULL removes it).
 * @param w the worker
 * @param fn the handler
 * @param arg passed to it
 */
void ipc_worker_on_stop(ipc_worker_t *w, ipc_stop_fn fn, void *arg);

/**
 * Whether STOP was received.
 * @param w the worker
 * @return 1 yes, 0 no
 */
int ipc_worker_stopping(const ipc_worker_t *w);

/**
 * Process waiting control messages without blocking (answers PING, notes
 * STOP, doorbells). Useful for a worker busy computing.
 * @param w the worker
 * @return 0; -ESHUTDOWN STOP received; other errors as ipc_worker_recv()
 */
int ipc_worker_poll(ipc_worker_t *w);

/**
 * Report a fatal application error to the runner (ERROR message).
 * @param w the worker
 * @param code IPC_ERR_USER or above, or an enum ipc_errcode
 * @param text human text (truncated to IPC_TEXT_MAX)
 * @return 0 or a negative errno
 */
int ipc_worker_send_error(ipc_worker_t *w, int32_t code, const char *text);

/**
 * The control socket descriptor (readable when a control message waits).
 * @param w the worker
 * @return the descriptor (owned by the handle)
 */
int ipc_worker_fd(const ipc_worker_t *w);

/**
 * Largest frame payload the rings accept.
 * @param w the worker
 * @return bytes
 */
uint32_t ipc_worker_max_frame(const ipc_worker_t *w);

/**
 * Sentence describing the last failure ("" when none).
 * @param w the worker
 * @return a string owned by the handle
 */
const char *ipc_worker_error(const ipc_worker_t *w);

/**
 * Close the session (the runner sees a clean close) and unmap the rings. NULL ok.
 * @param w the worker
 */
void ipc_worker_close(ipc_worker_t *w);

/* ---- query client (pod-side components, e.g. an LD_AUDIT library) ----- */

/** A connection to the runner's query socket. Opaque. */
typedef struct ipc_client ipc_client_t;

/** A decision received for a QUERY. */
struct ipc_verdict {
	int action;                    /**< IPC_ACT_ALLOW, IPC_ACT_WARN or IPC_ACT_DENY */
	char rule[IPC_RULE_MAX + 1];   /**< the matching rule */
	char reason[IPC_TEXT_MAX + 1]; /**< human text */
};

/**
 * Connect to the query socket (its path is given to the pod in the
 * environment variable POD_QUERY_SOCKET by 07-runner) and handshake
 * (HELLO with IPC_LANG_LOADER, READY).
 * @param path the socket path
 * @param timeout_ms handshake bound (0: 5000)
 * @param out receives the handle
 * @return 0 or a negative errno as ipc_worker_connect()
 */
int ipc_client_connect(const char *path, uint32_t timeout_ms, ipc_client_t **out);

/**
 * Ask for a decision and wait for the VERDICT.
 * @param c the client
 * @param category e.g. "ffi"
 * @param request e.g. the library path
 * @param out receives the verdict
 * @param timeout_ms -1 forever, else milliseconds
 * @return 0; -ETIMEDOUT; -ECONNRESET; -EBADMSG; -EINVAL strings too long
 */
int ipc_client_query(ipc_client_t *c, const char *category, const char *request,
		     struct ipc_verdict *out, int timeout_ms);

/**
 * Report an audit event (fire and forget).
 * @param c the client
 * @param action enum ipc_action
 * @param category e.g. "ffi"
 * @param what the subject
 * @param detail free text (NULL = "")
 * @return 0 or a negative errno
 */
int ipc_client_event(ipc_client_t *c, int action, const char *category, const char *what,
		     const char *detail);

/**
 * Close the connection. NULL ok.
 * @param c the client
 */
void ipc_client_close(ipc_client_t *c);

#ifdef __cplusplus
}
#endif
#endif /* POD_IPC_WORKER_H */
