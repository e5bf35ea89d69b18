/*
 * conn.h — private to layer 02-ipc: one control-socket connection with its
 * input and output buffers, shared by the runner side (runner.c) and the pod
 * side (worker.c).
 *
 * Layer 02. Builds on the codec (ipc_encode/ipc_decode). The socket is always
 * non-blocking; callers wait with epoll (runner) or poll (worker).
 *
 * Invariants:
 *   - in[in_off .. in_len) holds received bytes not yet decoded; a message
 *     returned by conn_next() points into `in` and stays valid until the next
 *     conn_fill() (which compacts the buffer).
 *   - out[0 .. out_len) holds encoded bytes the kernel did not take yet;
 *     bounded by CONN_OUT_MAX (a peer that does not read is an error).
 *   - tx_seq / rx_seq: the seq of the last message sent / received; the next
 *     one must be exactly +1 (the peer's first message has seq 1).
 */
#ifndef IPC_CONN_H
#define IPC_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

/** Pending output allowed before the peer counts as not reading. */
#define CONN_OUT_MAX (64u * 1024u)

struct ipc_conn {
	int fd;
	uint32_t tx_seq, rx_seq;
	size_t in_off, in_len;
	uint8_t in[2 * IPC_MAX_MSG];
	size_t out_len;
	uint8_t *out; /* CONN_OUT_MAX bytes, allocated by conn_init() */
	int eof;      /* the peer closed its sending side */
};

/** Initialise around a connected non-blocking socket. @return 0 or -ENOMEM. */
int conn_init(struct ipc_conn *c, int fd);

/** Close the socket and free the buffers (idempotent). */
void conn_close(struct ipc_conn *c);

/**
 * Encode @m with the next seq and send it, or buffer what the kernel does
 * not take. @return 0; -ENOBUFS output buffer full; -EPIPE/-ECONNRESET;
 * -EINVAL bad message.
 */
int conn_send(struct ipc_conn *c, struct ipc_msg *m);

/** Push buffered output. @return 0 all sent, 1 some left, negative errno. */
int conn_flush(struct ipc_conn *c);

/**
 * Read what the socket has (one recv). @return bytes read (> 0); 0 on EOF
 * (c->eof set); -EAGAIN nothing there; negative errno.
 */
int conn_fill(struct ipc_conn *c);

/**
 * Decode the next buffered message and check its seq.
 * @return 1 message in @m; 0 need more bytes; -EBADMSG (also for a seq gap),
 *         -EPROTONOSUPPORT, -EMSGSIZE.
 */
int conn_next(struct ipc_conn *c, struct ipc_msg *m);

/** Bytes of an incomplete message waiting in the input buffer. */
size_t conn_partial(const struct ipc_conn *c);

/** Copy an ipc_str into a NUL-terminated fixed buffer of @cap bytes. */
void conn_strcpy(char *dst, size_t cap, struct ipc_str s);

/** CLOCK_MONOTONIC in nanoseconds. */
uint64_t conn_now_ns(void);

#endif
