/**
 * @file
 * dbgui.h — the debug UI server of 07-runner: one page and a Server-Sent
 * Events stream that show a running pod live.
 *
 * Layer 07 (runner), debug-only tooling. Builds on nothing but sockets and
 * epoll; the page (index.html) is embedded in the binary at build time.
 * Used by podrun when `--debug-ui[=ADDR:PORT]` is given; nothing is served
 * otherwise.
 *
 * The runner owns the loop: it polls dbgui_fd() in its epoll set, calls
 * dbgui_dispatch() when it is readable, and calls dbgui_publish() with every
 * audit event line (and periodic stats lines). No threads; no call blocks.
 * A browser is not trusted either: requests are parsed with hard bounds, and a
 * client that does not keep up is dropped rather than slowing the runner.
 */
#ifndef POD_DBGUI_H
#define POD_DBGUI_H

#ifdef __cplusplus
extern "C" {
#endif

/** The debug UI server. Opaque. */
typedef struct dbgui dbgui_t;

/** Lines kept for clients that connect late (the newest are kept). */
#define DBGUI_HISTORY 500
/** Bytes queued for one client before it is dropped as too slow. */
#define DBGUI_CLIENT_BUF (1u << 20)
/** Clients served at once; further connections are closed at once. */
#define DBGUI_MAX_CLIENTS 16

/**
 * Start listening.
 * @param addr_port "ADDR:PORT" (IPv4 literal, or "[v6]:PORT"); NULL means
 *                  "127.0.0.1:0" (loopback, a free port). Port 0 picks a free port.
 * @param out       receives the server
 * @return 0, -EINVAL for a malformed address, or -errno from socket/bind/listen.
 */
int dbgui_start(const char *addr_port, dbgui_t **out);

/**
 * The page's address, e.g. "http://127.0.0.1:41234/".
 * @param ui the server
 * @return a string owned by @p ui
 */
const char *dbgui_url(const dbgui_t *ui);

/**
 * One descriptor that becomes readable when the server has work (a new
 * connection, a request, or room to write to a client).
 * @param ui the server
 * @return an epoll descriptor owned by @p ui
 */
int dbgui_fd(const dbgui_t *ui);

/**
 * Do all work that is ready, without blocking.
 * @param ui the server
 * @return 0, or -errno when the server itself failed (clients' errors only drop them)
 */
int dbgui_dispatch(dbgui_t *ui);

/**
 * Send one JSON line to every event-stream client and keep it in the history.
 * @param ui        the server (NULL is ignored)
 * @param json_line one JSON object, without newline (a trailing newline is dropped;
 *                  inner newlines are not allowed and the line is ignored)
 */
void dbgui_publish(dbgui_t *ui, const char *json_line);

/**
 * Number of clients currently connected (page and event streams).
 * @param ui the server
 * @return the count
 */
int dbgui_clients(const dbgui_t *ui);

/**
 * Close every connection and the listener, and free the server.
 * @param ui the server, or NULL
 */
void dbgui_free(dbgui_t *ui);

#ifdef __cplusplus
}
#endif
#endif /* POD_DBGUI_H */
