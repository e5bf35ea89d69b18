/**
 * @file
 * ipc.h — public API of layer 02-ipc: the control plane between the runner and
 * one pod (wire codec + runner side).
 *
 * Layer 02. Builds on 01-ring (ring.h: the shared-memory rings that carry the
 * data; this layer adds the Unix-socket control channel that starts a session,
 * rings doorbells and stops it). Used by 07-runner (runner side, driven from its
 * single epoll loop) and by every pod-side component: the worker SDKs in C
 * (ipc_worker.h), Python (python/pod/) and Bun (bun/pod.ts), and pod-side helpers
 * such as the loader's LD_AUDIT library (ipc_client_* in ipc_worker.h).
 *
 * Three parts:
 *   1. The wire format and a pure codec (no I/O): ipc_encode() / ipc_decode().
 *      The fuzzer, the C tests and the Python and Bun SDK tests all run the same
 *      vectors (tests/vectors/) through it.
 *   2. The runner side (ipc_runner_*): a private 0700 directory holding the
 *      session socket (and optionally a query socket), credential checks, a
 *      non-blocking handshake, doorbells, STOP, QUERY/VERDICT/EVENT. Everything
 *      is exposed through ONE pollable descriptor (an internal epoll set with a
 *      timerfd for the timeouts): add ipc_runner_fd() to your epoll with EPOLLIN
 *      and call ipc_runner_dispatch() until it returns 0 whenever it is readable.
 *   3. The ring shared memory: created by ipc_runner_create(), unlinked from
 *      /dev/shm at once, and handed to the worker by INHERITANCE (the runner
 *      dup2()s ipc_runner_shm_fd() to a fixed number in the child and passes
 *      --pod-shm-fd=N). See README.md, "Why SOCK_STREAM and an inherited fd".
 *
 * Wire format (all integers little-endian; version 1). Every message is a
 * 16-byte header followed by `length` payload bytes, on a SOCK_STREAM socket:
 *
 *     off size field
 *       0    4 magic    'P' 'O' 'D' 'I'   (0x49444F50 read as a LE u32)
 *       4    1 version  1
 *       5    1 type     enum ipc_type (1..10); anything else is an error
 *       6    2 flags    0 (reserved; non-zero is an error)
 *       8    4 length   payload bytes, 0..IPC_MAX_PAYLOAD
 *      12    4 seq      sender's message counter: 1 for the first message on a
 *                       connection, +1 for each next one (gaps are an error)
 *
 * A "str" in a payload is a u16 length followed by that many bytes (no NUL
 * bytes allowed; each field has its own maximum). Payloads (exact lengths;
 * trailing bytes are an error):
 *
 *     HELLO   pod->runner  u16 version, u8 lang (enum ipc_lang), u8 0, u32 pid
 *     READY   runner->pod  u32 ring_capacity, u32 max_frame
 *     DATA    both         u32 flags (IPC_DATA_*; non-zero, no unknown bits)
 *     STOP    runner->pod  u32 deadline_ms (grace period, relative)
 *     ERROR   both         i32 code (enum ipc_errcode), str text (<= IPC_TEXT_MAX)
 *     PING    both         u64 token
 *     PONG    both         u64 token (the PING's)
 *     QUERY   pod->runner  u32 request_id, str category (<= IPC_CATEGORY_MAX),
 *                          str request (<= IPC_REQUEST_MAX)
 *     VERDICT runner->pod  u32 request_id, u8 action (allow/warn/deny), u8 0,
 *                          str rule (<= IPC_RULE_MAX), str reason (<= IPC_TEXT_MAX)
 *     EVENT   pod->runner  u8 action (allow/warn/deny/info), u8 0,
 *                          str category, str what (<= IPC_TEXT_MAX),
 *                          str detail (<= IPC_TEXT_MAX)
 *
 * Session: the pod connects and sends HELLO; the runner answers READY (or ERROR
 * and closes). After READY: DATA, PING/PONG, QUERY/VERDICT, EVENT, ERROR in any
 * order; STOP from the runner; the pod ends the session by closing.
 *
 * Errors: functions return 0 (or a count/length) on success and a negative errno
 * on failure (docs/conventions.md, "Errors").
 */
#ifndef POD_IPC_H
#define POD_IPC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ====================================================================== */
/* 1. Wire format and codec                                               */
/* ====================================================================== */

/** Magic at offset 0 of every message: the bytes 'P','O','D','I'. */
#define IPC_MAGIC 0x49444F50u
/** The protocol version this library speaks (header byte 4 and HELLO.version). */
#define IPC_VERSION 1
/** Size of the fixed message header in bytes. */
#define IPC_HDR_SIZE 16
/** Largest payload of one message. */
#define IPC_MAX_PAYLOAD 4080
/** Largest message (header + payload). */
#define IPC_MAX_MSG (IPC_HDR_SIZE + IPC_MAX_PAYLOAD)

/** Longest ERROR text, VERDICT reason, EVENT what / detail (bytes). */
#define IPC_TEXT_MAX 1024
/** Longest QUERY / EVENT category (bytes), e.g. "ffi", "net". */
#define IPC_CATEGORY_MAX 32
/** Longest QUERY request (bytes), e.g. a library path. */
#define IPC_REQUEST_MAX 2048
/** Longest VERDICT rule (bytes). */
#define IPC_RULE_MAX 256

/** Message types (header byte 5). Values are part of the wire format. */
enum ipc_type {
	IPC_HELLO = 1,   /**< pod -> runner: first message of a connection */
	IPC_READY = 2,   /**< runner -> pod: handshake accepted */
	IPC_DATA = 3,    /**< both: doorbell (see IPC_DATA_* flags) */
	IPC_STOP = 4,    /**< runner -> pod: finish within deadline_ms, then exit */
	IPC_ERROR = 5,   /**< both: fatal error, the sender closes afterwards */
	IPC_PING = 6,    /**< both: liveness check */
	IPC_PONG = 7,    /**< both: answer to PING with the same token */
	IPC_QUERY = 8,   /**< pod -> runner: ask for a policy decision */
	IPC_VERDICT = 9, /**< runner -> pod: the decision for a QUERY */
	IPC_EVENT = 10,  /**< pod -> runner: something to put in the audit log */
};
/** Lowest and highest valid type value. */
#define IPC_TYPE_MIN IPC_HELLO
/** Highest valid type value. */
#define IPC_TYPE_MAX IPC_EVENT

/** DATA flags: why the doorbell rang. At least one bit is set. */
enum ipc_data_flags {
	/** Frames were published into the ring the receiver consumes, and the
	 *  receiver had announced it sleeps (ring_need_wakeup() said so). */
	IPC_DATA_FRAMES = 1u << 0,
	/** Room was made in the ring the receiver produces into, as it asked. */
	IPC_DATA_SPACE = 1u << 1,
	/** The sender is blocked on a full ring that the receiver consumes: answer
	 *  with IPC_DATA_SPACE once at least half the ring is free. */
	IPC_DATA_WANT_SPACE = 1u << 2,
};
/** All defined DATA flag bits. */
#define IPC_DATA_ALL (IPC_DATA_FRAMES | IPC_DATA_SPACE | IPC_DATA_WANT_SPACE)

/** Worker / client language in HELLO (byte). Values are part of the wire format. */
enum ipc_lang {
	IPC_LANG_C = 1,      /**< the C worker SDK (ipc_worker_*) */
	IPC_LANG_PYTHON = 2, /**< python/pod */
	IPC_LANG_BUN = 3,    /**< bun/pod.ts */
	IPC_LANG_LOADER = 4, /**< a pod-side component (LD_AUDIT library, ipc_client_*) */
};
/** Highest valid language value. */
#define IPC_LANG_MAX IPC_LANG_LOADER

/** Policy actions in VERDICT (allow/warn/deny) and EVENT (also info). */
enum ipc_action {
	IPC_ACT_ALLOW = 0, /**< allowed */
	IPC_ACT_WARN = 1,  /**< allowed and reported */
	IPC_ACT_DENY = 2,  /**< refused */
	IPC_ACT_INFO = 3,  /**< EVENT only: a fact, not a decision */
};

/** ERROR codes (i32 on the wire). Pod programs may use IPC_ERR_USER and above. */
enum ipc_errcode {
	IPC_ERR_PROTOCOL = 1,    /**< malformed or out-of-order message */
	IPC_ERR_VERSION = 2,     /**< unsupported protocol version */
	IPC_ERR_CREDENTIALS = 3, /**< the peer is not the expected process */
	IPC_ERR_TIMEOUT = 4,     /**< handshake or PING deadline passed */
	IPC_ERR_RING = 5,        /**< the shared ring is corrupt or does not match READY */
	IPC_ERR_BUSY = 6,        /**< a session already exists / too many connections */
	IPC_ERR_INTERNAL = 7,    /**< the sender failed for its own reasons */
	IPC_ERR_USER = 1000,     /**< first code free for application errors */
};

/** A string inside a decoded message: points into the decoded buffer, not NUL-terminated. */
struct ipc_str {
	const char *ptr; /**< first byte (NULL allowed when len == 0 for encoding) */
	uint16_t len;    /**< byte count */
};

/**
 * One control message, decoded or to be encoded. Strings of a decoded message
 * point into the buffer given to ipc_decode(): keep it alive while using them.
 */
struct ipc_msg {
	uint8_t type; /**< enum ipc_type */
	uint32_t seq; /**< header seq (ipc_encode writes what is here) */
	/** Per-type payload; only the member named after @ref type is meaningful. */
	union {
		/** HELLO payload. */
		struct {
			uint16_t version; /**< protocol version spoken (IPC_VERSION) */
			uint8_t lang;     /**< enum ipc_lang */
			uint32_t pid;     /**< getpid() of the sender, in its own pid namespace */
		} hello;
		/** READY payload. */
		struct {
			uint32_t
			    ring_capacity;  /**< data bytes per ring; the pod checks its mapping */
			uint32_t max_frame; /**< largest frame payload */
		} ready;
		/** DATA payload. */
		struct {
			uint32_t flags; /**< IPC_DATA_* bits */
		} data;
		/** STOP payload. */
		struct {
			uint32_t deadline_ms; /**< grace period before the runner kills the pod */
		} stop;
		/** ERROR payload. */
		struct {
			int32_t code;        /**< enum ipc_errcode or application code */
			struct ipc_str text; /**< human explanation */
		} error;
		/** PING and PONG payload. */
		struct {
			uint64_t token; /**< opaque; PONG repeats the PING's */
		} ping;
		/** QUERY payload. */
		struct {
			uint32_t request_id;     /**< chosen by the asker; echoed in VERDICT */
			struct ipc_str category; /**< "ffi", "net", "fs", "run", "env", ... */
			struct ipc_str request;  /**< what is asked for, e.g. a library path */
		} query;
		/** VERDICT payload. */
		struct {
			uint32_t request_id;   /**< the QUERY's */
			uint8_t action;        /**< IPC_ACT_ALLOW, _WARN or _DENY */
			struct ipc_str rule;   /**< the matching rule or "default" */
			struct ipc_str reason; /**< human explanation */
		} verdict;
		/** EVENT payload. */
		struct {
			uint8_t action;          /**< enum ipc_action */
			struct ipc_str category; /**< as in QUERY */
			struct ipc_str what;     /**< the subject: path, host, variable, ... */
			struct ipc_str detail;   /**< free text */
		} event;
	} u;
};

/**
 * Encode one message (header + payload) into @p buf. Pure: no I/O, no allocation.
 * @param m   the message; m->type selects the payload, m->seq goes in the header
 * @param buf output buffer
 * @param cap its size (IPC_MAX_MSG is always enough)
 * @return bytes written (>= IPC_HDR_SIZE); -EINVAL for an unknown type, a bad
 *         action/lang/flags value, a string over its limit or containing NUL;
 *         -ENOSPC when @p cap is too small
 */
int ipc_encode(const struct ipc_msg *m, void *buf, size_t cap);

/**
 * Decode the first message in @p buf. Pure: no I/O, no allocation; every field
 * is bounds-checked, strings are checked for length limits and NUL bytes.
 * @param buf bytes received (attacker-controlled)
 * @param len how many
 * @param m   receives the message; its strings point into @p buf
 * @return bytes consumed (> 0); 0 when @p buf holds only a valid prefix of a
 *         message (read more); -EBADMSG for a bad magic, unknown type, non-zero
 *         reserved field or malformed payload; -EPROTONOSUPPORT for another
 *         version; -EMSGSIZE when the declared length exceeds IPC_MAX_PAYLOAD
 */
int ipc_decode(const void *buf, size_t len, struct ipc_msg *m);

/**
 * Name of a message type for logs ("HELLO", ...), or "?" for an unknown value.
 * @param type an enum ipc_type value
 * @return a static string
 */
const char *ipc_type_name(int type);

/**
 * Name of an action ("allow", "warn", "deny", "info"), or "?" for an unknown value.
 * @param action an enum ipc_action value
 * @return a static string
 */
const char *ipc_action_name(int action);

/* ====================================================================== */
/* 2. Runner side                                                         */
/* ====================================================================== */

/** The runner's end of one pod's control plane. Opaque. */
typedef struct ipc_runner ipc_runner_t;

/** Credentials of a connecting process, as seen from the runner (SO_PEERCRED). */
struct ipc_peer {
	pid_t pid; /**< in the runner's pid namespace */
	uid_t uid; /**< in the runner's user namespace */
	gid_t gid; /**< in the runner's user namespace */
};

/**
 * Custom credential check.
 * @param peer the connecting process
 * @param arg  the pointer given in struct ipc_peer_rule
 * @return 0 to accept, a negative errno to refuse
 */
typedef int (*ipc_peer_check_fn)(const struct ipc_peer *peer, void *arg);

/** How a connecting process is recognised as part of the pod. */
enum ipc_peer_kind {
	IPC_PEER_PID = 1,        /**< exactly pid (a plain fork/exec worker) */
	IPC_PEER_DESCENDANT = 2, /**< pid itself or any descendant of it (PPid chain in /proc) */
	IPC_PEER_PIDNS = 3,      /**< any process in the pid namespace that pid is in:
	                              pass the pod init's pid (pid 1 inside the pod) to accept
	                              "any process inside this pod" */
	IPC_PEER_CALLBACK = 4,   /**< ask fn(peer, arg) */
};

/** The credential rule for every connection (session and query sockets). */
struct ipc_peer_rule {
	enum ipc_peer_kind kind; /**< which check */
	pid_t pid;               /**< for PID / DESCENDANT / PIDNS (runner's pid namespace) */
	uid_t uid;               /**< required uid too, or (uid_t)-1 for any */
	ipc_peer_check_fn fn;    /**< for CALLBACK */
	void *arg;               /**< for CALLBACK */
};

/** Options of ipc_runner_create(); start from ipc_runner_opts_init(). */
struct ipc_runner_opts {
	const char *base_dir;          /**< NULL: /run/pod (made 0711 if missing), else /tmp */
	const char *dir_name;          /**< NULL: a new random "ipc-XXXXXX"; else this name,
	                                    made with mkdir (EEXIST if it exists): for a
	                                    supervisor that records it before it exists. Only
	                                    where no one else may create names (/run/pod) */
	uint32_t ring_capacity;        /**< bytes per ring, power of two; 0: 1 MiB */
	uid_t owner_uid;               /**< chown the directory and sockets to the pod's user
	                                    (host uid), or (uid_t)-1 to keep the runner's */
	gid_t owner_gid;               /**< likewise for the group, or (gid_t)-1 */
	uint32_t handshake_timeout_ms; /**< from ipc_runner_expect_peer() to HELLO; 0: 5000 */
	int query_socket;              /**< non-zero: also listen on "query.sock" */
	unsigned max_query_conns;      /**< open query connections at once; 0: 16 */
};

/**
 * Fill @p o with the defaults (every field as documented for 0 / NULL, uid and
 * gid (uid_t)-1, no query socket).
 * @param o the options to initialise
 */
void ipc_runner_opts_init(struct ipc_runner_opts *o);

/** Session states (ipc_runner_state()). */
enum ipc_runner_state {
	IPC_RS_LISTENING = 1,   /**< waiting for ipc_runner_expect_peer() / a connection / HELLO */
	IPC_RS_ESTABLISHED = 2, /**< READY sent: data flows */
	IPC_RS_STOPPING = 3,    /**< STOP sent */
	IPC_RS_CLOSED = 4,      /**< session over (IPC_EV_CLOSED was delivered) */
};

/** What ipc_runner_dispatch() reports. */
enum ipc_event_type {
	IPC_EV_READY = 1,         /**< handshake done: ev.peer, ev.u.hello; data may flow */
	IPC_EV_DATA = 2,          /**< frames may wait in the to-runner ring: call
	                          ipc_runner_recv() until it returns -EAGAIN */
	IPC_EV_WRITABLE = 3,      /**< room again in the to-pod ring after -EAGAIN from a send */
	IPC_EV_PONG = 4,          /**< the pod answered ipc_runner_ping(): ev.u.token */
	IPC_EV_QUERY = 5,         /**< ev.conn asks ev.u.query; answer with ipc_runner_verdict() */
	IPC_EV_EVENT = 6,         /**< ev.conn reports ev.u.event (for the audit log) */
	IPC_EV_REJECTED = 7,      /**< a connection was refused and closed: ev.err says why
	                          (-EACCES credentials, -EBUSY second session, -EBADMSG ...),
	                          ev.peer who; the session itself is unaffected */
	IPC_EV_STOP_EXPIRED = 8,  /**< the STOP deadline passed and the pod is still connected */
	IPC_EV_CLOSED = 9,        /**< the session is over: ev.err is 0 for a clean close after
	                          STOP or by the pod, else why (-ETIMEDOUT handshake/PING,
	                          -ECONNRESET peer vanished, -EBADMSG / -EPROTONOSUPPORT
	                          protocol, -EPROTO corrupt ring, -EREMOTEIO the pod sent
	                          ERROR: ev.u.error); delivered once, last */
	IPC_EV_QUERY_CLOSED = 10, /**< query connection ev.conn ended (ev.err as above) */
};

/** Copied strings in events are NUL-terminated; sizes include the NUL. */
struct ipc_event {
	enum ipc_event_type type; /**< what happened */
	int err;                  /**< 0 or a negative errno (REJECTED, CLOSED, QUERY_CLOSED) */
	uint32_t conn;            /**< 0 = the session; > 0 = a query connection id */
	struct ipc_peer peer;     /**< credentials of the connection concerned */
	/** Per-type details. */
	union {
		/** READY: what the pod said in HELLO. */
		struct {
			uint16_t version; /**< protocol version */
			uint8_t lang;     /**< enum ipc_lang */
			uint32_t pid;     /**< pid inside the pod's namespace */
		} hello;
		uint64_t token; /**< PONG */
		/** CLOSED with -EREMOTEIO: the pod's ERROR. */
		struct {
			int32_t code;                /**< its code */
			char text[IPC_TEXT_MAX + 1]; /**< its text */
		} error;
		/** QUERY. */
		struct {
			uint32_t request_id;                 /**< echo in the verdict */
			char category[IPC_CATEGORY_MAX + 1]; /**< e.g. "ffi" */
			char request[IPC_REQUEST_MAX + 1];   /**< e.g. "/usr/lib/libz.so.1" */
		} query;
		/** EVENT. */
		struct {
			uint8_t action;                      /**< enum ipc_action */
			char category[IPC_CATEGORY_MAX + 1]; /**< e.g. "ffi" */
			char what[IPC_TEXT_MAX + 1];         /**< subject */
			char detail[IPC_TEXT_MAX + 1];       /**< free text */
		} event;
	} u;
	char reason[128]; /**< human sentence for REJECTED / CLOSED, else "" */
};

/**
 * Prepare one pod's control plane: create a 0700 directory with a random name
 * under the base directory, listen on "<dir>/ctl.sock" (and "<dir>/query.sock"),
 * create the ring shared memory and unlink its name at once (the worker gets
 * it by descriptor). Nothing is accepted until ipc_runner_expect_peer().
 * @param o   options (NULL for defaults)
 * @param out receives the handle
 * @return 0; -EINVAL bad option; -ENAMETOOLONG socket path over 107 bytes;
 *         -errno from mkdir/socket/bind/ring_shm_create
 */
int ipc_runner_create(const struct ipc_runner_opts *o, ipc_runner_t **out);

/**
 * Say who may connect (call once, after spawning the pod) and start the
 * handshake timer. Connections that fail the rule get ERROR(CREDENTIALS), are
 * closed and reported as IPC_EV_REJECTED; the runner keeps waiting for the
 * right peer until the handshake timeout.
 * @param r    the runner
 * @param rule the rule (copied)
 * @return 0, -EINVAL, -EALREADY
 */
int ipc_runner_expect_peer(ipc_runner_t *r, const struct ipc_peer_rule *rule);

/**
 * The one descriptor to watch (stable for the handle's life): add it to your
 * epoll set with EPOLLIN (level-triggered) and call ipc_runner_dispatch()
 * whenever it is readable. It covers sockets, timeouts and pending output.
 * @param r the runner
 * @return the descriptor (owned by the handle)
 */
int ipc_runner_fd(const ipc_runner_t *r);

/**
 * Do the work that is ready without blocking, and report at most one event.
 * Call repeatedly until it returns 0, then go back to waiting on ipc_runner_fd().
 * @param r  the runner
 * @param ev receives the event when 1 is returned
 * @return 1 event filled; 0 nothing more to do now; negative errno for a
 *         failure of the runner itself (not of the pod: those are events)
 */
int ipc_runner_dispatch(ipc_runner_t *r, struct ipc_event *ev);

/**
 * Current session state.
 * @param r the runner
 * @return an enum ipc_runner_state value
 */
int ipc_runner_state(const ipc_runner_t *r);

/**
 * Path of the session socket (what the worker gets as --pod-socket=PATH; the
 * directory must be visible at the same path inside the pod, e.g. bind-mounted).
 * @param r the runner
 * @return the path (owned by the handle)
 */
const char *ipc_runner_socket_path(const ipc_runner_t *r);

/**
 * Path of the query socket, or NULL when opts.query_socket was 0.
 * @param r the runner
 * @return the path (owned by the handle) or NULL
 */
const char *ipc_runner_query_path(const ipc_runner_t *r);

/**
 * The private directory holding the sockets (bind-mount it into the pod).
 * @param r the runner
 * @return the path (owned by the handle)
 */
const char *ipc_runner_dir(const ipc_runner_t *r);

/**
 * Descriptor of the ring shared memory, to hand to the worker: in the child,
 * dup2() it to the number passed as --pod-shm-fd=N (dup2 clears FD_CLOEXEC).
 * The handle owns it (it is O_CLOEXEC in the runner).
 * @param r the runner
 * @return the descriptor
 */
int ipc_runner_shm_fd(const ipc_runner_t *r);

/**
 * The ring object (for direct zero-copy use with ring.h; the runner side uses
 * RING_DIR_TO_POD as producer and RING_DIR_TO_RUNNER as consumer).
 * @param r the runner
 * @return the shared object (owned by the handle)
 */
ring_shm_t *ipc_runner_shm(ipc_runner_t *r);

/**
 * Write one frame to the pod and ring the doorbell if the pod sleeps.
 * @param r   the runner (IPC_RS_ESTABLISHED or IPC_RS_STOPPING)
 * @param buf payload
 * @param len its length (<= ring_max_frame())
 * @return 0; -EAGAIN ring full (IPC_EV_WRITABLE follows once the pod makes
 *         room); -EMSGSIZE; -ENOTCONN no session; -EPROTO corrupt ring
 */
int ipc_runner_send(ipc_runner_t *r, const void *buf, uint32_t len);

/**
 * Write up to @p n frames, then one doorbell check.
 * @param r the runner
 * @param frames the frames
 * @param n how many
 * @return frames written (0..n; fewer when the ring filled up: IPC_EV_WRITABLE
 *         follows), or a negative errno as ipc_runner_send()
 */
int ipc_runner_send_batch(ipc_runner_t *r, const struct iovec *frames, unsigned n);

/**
 * Copy the next frame from the pod out (the copy is the runner's: safe to parse).
 * When the ring is empty, the runner first announces it sleeps and re-checks,
 * so that after -EAGAIN an IPC_EV_DATA is guaranteed once a frame arrives.
 * @param r   the runner
 * @param buf destination
 * @param cap its size
 * @return frame length; -EAGAIN empty; -EMSGSIZE @p cap too small (frame kept);
 *         -ENOTCONN; -EPROTO corrupt ring (the session is then closed:
 *         IPC_EV_CLOSED follows)
 */
int ipc_runner_recv(ipc_runner_t *r, void *buf, uint32_t cap);

/**
 * Copy up to @p n frames out, packed one after the other in @p buf.
 * @param r the runner
 * @param buf destination
 * @param cap its size
 * @param lens receives each frame's length
 * @param n at most this many frames
 * @return frames read (> 0); -EAGAIN empty (as ipc_runner_recv()); other errors
 *         as ipc_runner_recv()
 */
int ipc_runner_recv_batch(ipc_runner_t *r, void *buf, size_t cap, uint32_t *lens, unsigned n);

/**
 * Ask the pod to finish: send STOP. IPC_EV_STOP_EXPIRED is reported if it is
 * still connected @p deadline_ms later (then kill it; the runner side never
 * signals processes itself).
 * @param r the runner
 * @param deadline_ms grace period
 * @return 0; -ENOTCONN no session; -EALREADY STOP already sent
 */
int ipc_runner_stop(ipc_runner_t *r, uint32_t deadline_ms);

/**
 * Send PING; IPC_EV_PONG follows, or IPC_EV_CLOSED with -ETIMEDOUT when no
 * PONG comes within @p timeout_ms. (The worker SDKs answer PING whenever the
 * program is inside an SDK call.)
 * @param r the runner
 * @param timeout_ms how long to wait
 * @return 0; -ENOTCONN; -EBUSY a PING is outstanding
 */
int ipc_runner_ping(ipc_runner_t *r, uint32_t timeout_ms);

/**
 * Answer a QUERY with a VERDICT.
 * @param r the runner
 * @param conn the event's conn (0 = session, > 0 query connection)
 * @param request_id the QUERY's request id
 * @param action IPC_ACT_ALLOW, IPC_ACT_WARN or IPC_ACT_DENY
 * @param rule the matching rule (NULL = "default"; truncated to IPC_RULE_MAX)
 * @param reason human text (NULL = ""; truncated to IPC_TEXT_MAX)
 * @return 0; -ENOENT no such connection (it may have closed meanwhile); -EINVAL
 */
int ipc_runner_verdict(ipc_runner_t *r, uint32_t conn, uint32_t request_id, int action,
		       const char *rule, const char *reason);

/**
 * Send ERROR to the session and close it (IPC_EV_CLOSED follows, err -ECONNABORTED).
 * @param r the runner
 * @param code wire code (enum ipc_errcode)
 * @param text human text (truncated to IPC_TEXT_MAX)
 * @return 0; -ENOTCONN
 */
int ipc_runner_fail(ipc_runner_t *r, int32_t code, const char *text);

/** Counters of one runner (for tests, benchmarks and the debug UI). */
struct ipc_stats {
	uint64_t frames_sent;             /**< frames written to the to-pod ring */
	uint64_t frames_received;         /**< frames read from the to-runner ring */
	uint64_t doorbells_sent;          /**< DATA messages sent (any flag) */
	uint64_t doorbells_received;      /**< DATA messages received (any flag) */
	uint64_t messages_sent;           /**< control messages sent on the session */
	uint64_t messages_received;       /**< control messages received on the session */
	uint64_t rejected;                /**< connections refused */
	uint64_t query_messages_received; /**< control messages received on query connections */
};

/**
 * Read the counters.
 * @param r the runner
 * @param out receives them
 */
void ipc_runner_stats(const ipc_runner_t *r, struct ipc_stats *out);

/**
 * Close everything, remove the sockets and the directory, unmap the ring. NULL ok.
 * @param r the runner
 */
void ipc_runner_destroy(ipc_runner_t *r);

/**
 * Credential helper: whether @p pid is in the same pid namespace as @p ref
 * (compares /proc/PID/ns/pid device and inode).
 * @param pid the process to test
 * @param ref a process known to be in the pod (e.g. its init)
 * @return 1 yes, 0 no, negative errno when /proc could not tell
 */
int ipc_pid_in_pidns_of(pid_t pid, pid_t ref);

/**
 * Credential helper: whether @p pid is @p ancestor or one of its descendants
 * (walks PPid in /proc/PID/status, at most 4096 steps).
 * @param pid the process to test
 * @param ancestor the root of the tree
 * @return 1 yes, 0 no, negative errno when /proc could not tell
 */
int ipc_pid_is_descendant(pid_t pid, pid_t ancestor);

#ifdef __cplusplus
}
#endif
#endif /* POD_IPC_H */
