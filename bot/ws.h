/* ws.h - websocket client connections with libwebsockets on the daemon's libuv loop.
 *
 * One ws_context (an lws context on the foreign libuv loop) holds any number of
 * connections, so a transport can open a new connection before closing the old one.
 * Host names are resolved with uv_getaddrinfo before connecting, because Debian's lws
 * resolves synchronously. Messages are reassembled from fragments into a capped buffer. */
#ifndef WORKSHOPBOT_WS_H
#define WORKSHOPBOT_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct ws_context;
struct ws_conn;

struct ws_callbacks {
	/* The handshake completed. */
	void (*on_open)(void *ud, struct ws_conn *c);
	/* One whole text message (NUL-terminated, borrowed for the call). */
	void (*on_message)(void *ud, struct ws_conn *c, const char *data, size_t len);
	/* The connection is gone (failed to connect, closed by either side, or timed out).
	 * reason is one line for the log. Called exactly once per connection; c is freed
	 * right after it returns. */
	void (*on_close)(void *ud, struct ws_conn *c, const char *reason);
};

struct ws_options {
	size_t max_message;         /* bytes; 0 means 1 MiB; a bigger message closes the
	                               connection with 1009 */
	int ping_interval_s;        /* ping when idle this long; 0 means 10 s */
	int dead_after_s;           /* no pong or data this long: close; 0 means 30 s */
	const char *ca_file;        /* extra CA file for wss (tests), or NULL */
};

/* Returns NULL on failure (logged). */
struct ws_context *ws_context_new(uv_loop_t *loop);

/* Destroying takes two steps (lws on a foreign loop closes its handles asynchronously):
 * ws_context_stop() closes every connection and starts lws's teardown while the loop
 * still runs; ws_context_free() finishes it after uv_run() has returned. */
void ws_context_stop(struct ws_context *ctx);
void ws_context_free(struct ws_context *ctx);

/* Connects to a ws:// or wss:// URL. Returns the connection (on_close will be called for
 * it, also when the connection fails) or NULL when the URL is invalid (logged). */
struct ws_conn *ws_connect(struct ws_context *ctx, const char *url,
			   const struct ws_options *opt, const struct ws_callbacks *cb, void *ud);

/* Queues a text message. Returns 0, or -1 when the connection is not open. */
int ws_send_text(struct ws_conn *c, const char *data, size_t len);

/* Starts a clean close (close frame with code 1000) after the queued messages. */
void ws_close(struct ws_conn *c);

#endif
