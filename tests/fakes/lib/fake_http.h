/* fake_http.h - a small HTTP/1.1 server on libuv for the fake servers of the tests.
 *
 * Listens on 127.0.0.1 only. Parses the request line, headers (at most
 * FAKE_HTTP_MAX_HEAD bytes and FAKE_HTTP_MAX_HEADERS lines) and Content-Length bodies (at
 * most FAKE_HTTP_MAX_BODY bytes); answers "Expect: 100-continue"; keeps connections
 * alive (HTTP/1.1 default, "Connection: close" honoured); pipelined requests are taken
 * one at a time. A malformed request gets a 4xx/5xx answer and the connection is closed;
 * chunked request bodies are refused with 501.
 *
 * Every complete request goes to one handler. The handler answers with
 * fake_http_respond() at once or LATER: a request that is not answered when the handler
 * returns is held (for long polls or delayed answers), and the connection reads no
 * further request until it is answered. A request may also end its connection without
 * an answer (fake_http_req_drop) or take the connection over (fake_http_upgrade, used by
 * fake_ws.h).
 *
 * Lifetime: a struct fake_http_req belongs to the server and stays valid until it is
 * answered, dropped or upgraded (or until fake_http_server_free), even if its client
 * goes away first (see fake_http_req_is_gone / fake_http_req_on_gone). All strings it
 * hands out are borrowed and live as long as the request. */
#ifndef FAKE_HTTP_H
#define FAKE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define FAKE_HTTP_MAX_HEAD    (64 * 1024)
#define FAKE_HTTP_MAX_BODY    (8 * 1024 * 1024)
#define FAKE_HTTP_MAX_HEADERS 100
#define FAKE_HTTP_MAX_CONNS   256
/* A connection whose unsent output passes this is closed (a client that never reads). */
#define FAKE_HTTP_MAX_WRITE_QUEUE (64u * 1024 * 1024)

struct fake_http_server;
struct fake_http_conn;
struct fake_http_req;

struct fake_http_header {
	const char *name;
	const char *value;
};

/* Called once per complete request; see the file comment for who answers it. */
typedef void (*fake_http_handler)(void *ud, struct fake_http_req *req);

/* True when the comma-separated header value list contains token (case-insensitive),
 * e.g. fake_http_has_token("keep-alive, Upgrade", "upgrade"). */
bool fake_http_has_token(const char *list, const char *token);

/* Returns NULL when memory ran out. Nothing listens until fake_http_server_listen(). */
struct fake_http_server *fake_http_server_new(uv_loop_t *loop, fake_http_handler fn, void *ud);

/* Listens on 127.0.0.1:port (0 = an ephemeral port). Returns the bound port, or a
 * negative libuv error code. */
int fake_http_server_listen(struct fake_http_server *srv, int port);

/* Stops listening and closes every connection (asynchronously: let uv_run() drain). */
void fake_http_server_stop(struct fake_http_server *srv);

/* Frees the server and every request still held. Call after fake_http_server_stop()
 * and after uv_run() has returned. */
void fake_http_server_free(struct fake_http_server *srv);

/* Connections accepted since start, and open now. */
unsigned long fake_http_server_total_conns(const struct fake_http_server *srv);
unsigned fake_http_server_open_conns(const struct fake_http_server *srv);

/* ---- requests ---- */

const char *fake_http_req_method(const struct fake_http_req *req);
/* The request target before '?', undecoded (always starts with '/'). */
const char *fake_http_req_path(const struct fake_http_req *req);
/* The part after '?', undecoded; "" when there is none. */
const char *fake_http_req_query(const struct fake_http_req *req);
/* "HTTP/1.1" or "HTTP/1.0". */
const char *fake_http_req_version(const struct fake_http_req *req);
/* The first header called name (case-insensitive), or NULL. */
const char *fake_http_req_header(const struct fake_http_req *req, const char *name);
/* All headers in arrival order; *n gets the count. */
const struct fake_http_header *fake_http_req_headers(const struct fake_http_req *req, size_t *n);
/* The body (NUL-terminated; "" when there is none); *len gets its length if len != NULL. */
const char *fake_http_req_body(const struct fake_http_req *req, size_t *len);
/* The decoded value of query parameter name: 1 and *out (caller frees), 0 when absent,
 * -1 when memory ran out. */
int fake_http_req_query_get(const struct fake_http_req *req, const char *name, char **out);
/* The id of the connection the request came on (counts from 1). */
unsigned long fake_http_req_conn_id(const struct fake_http_req *req);

/* True once the client's connection is gone; an answer is then discarded. */
bool fake_http_req_is_gone(const struct fake_http_req *req);
/* fn is called (once) if the client goes away while the request is held. The request
 * stays valid: fn (or anyone later) still answers or drops it to free it. */
void fake_http_req_on_gone(struct fake_http_req *req,
			   void (*fn)(void *ud, struct fake_http_req *req), void *ud);

/* Answers and frees req. The server adds Content-Length and Connection; headers must
 * not contain CR or LF (such headers are skipped). Returns 0, or -1 when the client was
 * gone or memory ran out (req is freed in every case). */
int fake_http_respond(struct fake_http_req *req, int status,
		      const struct fake_http_header *headers, size_t n_headers,
		      const char *body, size_t body_len);

/* The same, but the connection ends (FIN) after the head and the first half of the
 * body: an answer cut off mid-response (Content-Length still announces the whole body). */
int fake_http_respond_cut(struct fake_http_req *req, int status,
			  const struct fake_http_header *headers, size_t n_headers,
			  const char *body, size_t body_len);

/* Convenience: a JSON body with Content-Type application/json; charset=utf-8. */
int fake_http_respond_json(struct fake_http_req *req, int status, const char *json);

/* Ends the connection without an answer (reset: TCP RST instead of FIN) and frees req. */
void fake_http_req_drop(struct fake_http_req *req, bool reset);

/* ---- taking a connection over (websocket) ---- */

struct fake_http_raw_ops {
	/* Bytes from the client (borrowed for the call). */
	void (*on_data)(void *ud, struct fake_http_conn *c, const char *data, size_t len);
	/* The connection is closed, by either side; called once; c is invalid afterwards. */
	void (*on_close)(void *ud, struct fake_http_conn *c);
};

/* Writes head (e.g. a "101 Switching Protocols" response) and hands every later byte
 * to ops; req is freed. Bytes the client sent after the request are delivered through
 * ops->on_data once the handler returns (at once when called outside the handler, so
 * on_data may run before this returns: it gets the conn pointer). Returns the connection, or NULL (req freed,
 * connection closed) when the client was gone or memory ran out. */
struct fake_http_conn *fake_http_upgrade(struct fake_http_req *req, const char *head,
					 size_t head_len, const struct fake_http_raw_ops *ops,
					 void *ud);

/* Queues bytes. Returns 0, or -1 when the connection is closing or memory ran out. */
int fake_http_conn_write(struct fake_http_conn *c, const void *data, size_t len);

enum fake_http_close {
	FAKE_HTTP_CLOSE_FLUSH, /* after the queued bytes are written, then FIN */
	FAKE_HTTP_CLOSE_NOW,   /* now; queued bytes are discarded; FIN */
	FAKE_HTTP_CLOSE_RESET, /* now, with a TCP RST */
};
void fake_http_conn_close(struct fake_http_conn *c, enum fake_http_close how);

/* Closes the connection (NOW) if it is still open ms milliseconds from now; 0 clears. */
void fake_http_conn_set_deadline(struct fake_http_conn *c, uint64_t ms);

bool fake_http_conn_is_closing(const struct fake_http_conn *c);
unsigned long fake_http_conn_id(const struct fake_http_conn *c);

#endif
