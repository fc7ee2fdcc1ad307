/* http_test_server.h - a tiny HTTP/1.1 server on a libuv loop, for unit tests of HTTP
 * clients that run on the same loop. Header-only (static inline), like support.h.
 *
 * It listens on 127.0.0.1 with a port the kernel picks, parses requests minimally
 * (request line, headers, a Content-Length body; no chunked requests), keeps connections
 * alive and hands each request to a route function, which answers with ts_reply(),
 * ts_reply_later(), ts_reply_raw() or drops the connection with ts_drop(). A connection
 * handles one request at a time; further bytes wait in its buffer.
 *
 * Counters (accepted, open, max_open, requests) let tests check connection reuse and
 * concurrency. ts_server_close() closes the listener and every connection; run the loop
 * afterwards so the handles finish closing (connections are freed in their close
 * callbacks; the ts_server itself belongs to the caller and must outlive that). */
#ifndef WORKSHOPBOT_HTTP_TEST_SERVER_H
#define WORKSHOPBOT_HTTP_TEST_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>
#include <arpa/inet.h>

#define TS_MAX_REQUEST (256 * 1024)

struct ts_conn;

struct ts_request {
	char method[16];
	char path[512];         /* the target up to '?' */
	const char *query;      /* after '?', or "" */
	const char *headers;    /* the header lines, "Name: value\r\n" each */
	const char *body;       /* borrowed for the route call */
	size_t body_len;
};

typedef void (*ts_route_fn)(void *ud, struct ts_conn *conn, const struct ts_request *req);

struct ts_server {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	int port;
	int accepted;           /* connections accepted so far */
	int open;               /* connections open now */
	int max_open;           /* most connections open at once */
	int requests;           /* requests parsed so far */
	ts_route_fn route;
	void *ud;
	struct ts_conn *conns;
	bool closed;
};

struct ts_conn {
	struct ts_server *srv;
	uv_tcp_t tcp;
	uv_timer_t timer;       /* ts_reply_later() */
	uv_shutdown_t shutdown;
	int handles;            /* open handles; freed when it reaches 0 */
	bool closing;
	bool busy;              /* a request is being answered */
	bool close_after;       /* shut down after the pending reply */
	char *pending;          /* the delayed reply */
	size_t pending_len;
	struct ts_conn *prev, *next;
	size_t len;
	char in[TS_MAX_REQUEST];
};

struct ts_write {
	uv_write_t req;
	char *data;
};

static inline void ts__handle_closed(uv_handle_t *handle)
{
	struct ts_conn *c = handle->data;

	if (--c->handles == 0) {
		free(c->pending);
		free(c);
	}
}

/* Closes a connection without answering (the peer sees EOF). */
static inline void ts_drop(struct ts_conn *c)
{
	struct ts_server *srv = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->open--;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, ts__handle_closed);
	uv_close((uv_handle_t *)&c->tcp, ts__handle_closed);
}

static inline void ts__write_done(uv_write_t *req, int status)
{
	struct ts_write *w = (struct ts_write *)req;

	(void)status;
	free(w->data);
	free(w);
}

static inline void ts__shutdown_done(uv_shutdown_t *req, int status)
{
	(void)status;
	ts_drop(req->data);
}

/* Queues len bytes (copied). */
static inline void ts__write(struct ts_conn *c, const char *data, size_t len)
{
	struct ts_write *w;
	uv_buf_t b;

	if (c->closing || !len)
		return;
	w = calloc(1, sizeof *w);
	if (!w)
		return;
	w->data = malloc(len);
	if (!w->data) {
		free(w);
		return;
	}
	memcpy(w->data, data, len);
	b = uv_buf_init(w->data, (unsigned int)len);
	if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, ts__write_done) < 0) {
		free(w->data);
		free(w);
	}
}

/* Ends the current request; with close_after the connection is shut down once the
 * queued writes are out, and no further request on it is answered. */
static inline void ts__end_reply(struct ts_conn *c)
{
	if (c->closing)
		return;
	if (c->close_after) {
		c->shutdown.data = c;
		if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, ts__shutdown_done) < 0)
			ts_drop(c);
		return;  /* stays busy */
	}
	c->busy = false;
}

/* Formats a whole response into a malloc'd buffer. extra is header lines ending in
 * "\r\n", or NULL. */
static inline char *ts__format(int status, const char *extra, const char *body, size_t len,
			       bool close_after, size_t *out_len)
{
	char head[2048];
	int n;
	char *out;

	n = snprintf(head, sizeof head,
		     "HTTP/1.1 %d Test\r\nContent-Length: %zu\r\n%s%s\r\n", status, len,
		     close_after ? "Connection: close\r\n" : "", extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof head)
		return NULL;
	out = malloc((size_t)n + len + 1);
	if (!out)
		return NULL;
	memcpy(out, head, (size_t)n);
	if (len)
		memcpy(out + n, body, len);
	*out_len = (size_t)n + len;
	return out;
}

static inline void ts__process(struct ts_conn *c);

/* Answers the current request now: status, extra header lines ("Name: v\r\n" each, or
 * NULL) and a body of len bytes, with Content-Length. close_after adds "Connection: close"
 * and closes the connection after the reply. */
static inline void ts_reply_ex(struct ts_conn *c, int status, const char *extra,
			       const char *body, size_t len, bool close_after)
{
	size_t n = 0;
	char *out = ts__format(status, extra, body, len, close_after, &n);

	if (!out) {
		ts_drop(c);
		return;
	}
	ts__write(c, out, n);
	free(out);
	c->close_after = close_after;
	ts__end_reply(c);
}

static inline void ts_reply(struct ts_conn *c, int status, const char *extra, const char *body)
{
	ts_reply_ex(c, status, extra, body, body ? strlen(body) : 0, false);
}

/* Writes raw bytes as the whole answer (e.g. a chunked response) and ends the request. */
static inline void ts_reply_raw(struct ts_conn *c, const char *data, size_t len)
{
	ts__write(c, data, len);
	ts__end_reply(c);
}

static inline void ts__timer_fired(uv_timer_t *t)
{
	struct ts_conn *c = t->data;

	ts__write(c, c->pending, c->pending_len);
	free(c->pending);
	c->pending = NULL;
	c->pending_len = 0;
	ts__end_reply(c);
	ts__process(c);  /* requests that arrived meanwhile */
}

/* Answers the current request after delay_ms (unless the connection goes first). */
static inline void ts_reply_later(struct ts_conn *c, uint64_t delay_ms, int status,
				  const char *extra, const char *body)
{
	c->pending = ts__format(status, extra, body, body ? strlen(body) : 0, false,
				&c->pending_len);
	if (!c->pending) {
		ts_drop(c);
		return;
	}
	uv_timer_start(&c->timer, ts__timer_fired, delay_ms, 0);
}

/* Copies the value of header name (case-insensitive) into out, trimmed. Returns false
 * when the request has no such header. */
static inline bool ts_header(const struct ts_request *req, const char *name, char *out,
			     size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = req->headers;

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		const char *v, *e;

		if (!eol)
			break;
		if ((size_t)(eol - p) > nlen && strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			e = eol;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			snprintf(out, outlen, "%.*s", (int)(e - v), v);
			return true;
		}
		p = eol + 2;
	}
	if (outlen)
		out[0] = '\0';
	return false;
}

/* The decimal value of key in the query ("a=1&b=2"), or def. */
static inline long ts_query_long(const struct ts_request *req, const char *key, long def)
{
	size_t klen = strlen(key);
	const char *p = req->query;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			long v = 0;
			for (p += klen + 1; *p >= '0' && *p <= '9' && v < 100000000; p++)
				v = v * 10 + (*p - '0');
			return v;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return def;
}

static inline const char *ts__find(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	}
	return NULL;
}

/* Parses and routes complete requests in the buffer while the connection is free. */
static inline void ts__process(struct ts_conn *c)
{
	while (!c->closing && !c->busy) {
		struct ts_request req;
		const char *end = ts__find(c->in, c->len, "\r\n\r\n");
		const char *eol, *sp1, *sp2, *q;
		char *headers, cl[32];
		size_t head_len, total, body_len = 0;

		if (!end) {
			if (c->len >= sizeof c->in)
				ts_drop(c);
			return;
		}
		head_len = (size_t)(end - c->in) + 4;
		eol = ts__find(c->in, head_len, "\r\n");
		sp1 = memchr(c->in, ' ', (size_t)(eol - c->in));
		sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
		if (!sp1 || !sp2 || (size_t)(sp1 - c->in) >= sizeof req.method ||
		    (size_t)(sp2 - sp1 - 1) >= sizeof req.path) {
			ts_drop(c);
			return;
		}
		memset(&req, 0, sizeof req);
		memcpy(req.method, c->in, (size_t)(sp1 - c->in));
		memcpy(req.path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		q = strchr(req.path, '?');
		req.query = "";
		if (q) {
			req.path[q - req.path] = '\0';
			req.query = q + 1;  /* still inside req.path's array, after the NUL */
		}
		headers = malloc(head_len);
		if (!headers) {
			ts_drop(c);
			return;
		}
		/* From the line after the request line up to and including the last "\r\n". */
		memcpy(headers, eol + 2, head_len - 2 - (size_t)(eol + 2 - c->in));
		headers[head_len - 2 - (size_t)(eol + 2 - c->in)] = '\0';
		req.headers = headers;
		if (ts_header(&req, "Content-Length", cl, sizeof cl))
			body_len = (size_t)strtoul(cl, NULL, 10);
		total = head_len + body_len;
		if (total > sizeof c->in) {
			free(headers);
			ts_drop(c);
			return;
		}
		if (total > c->len) {
			free(headers);
			return;  /* wait for the rest of the body */
		}
		req.body = c->in + head_len;
		req.body_len = body_len;
		c->srv->requests++;
		c->busy = true;
		c->srv->route(c->srv->ud, c, &req);
		free(headers);
		if (c->closing)
			return;
		memmove(c->in, c->in + total, c->len - total);
		c->len -= total;
	}
}

static inline void ts__alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *b)
{
	struct ts_conn *c = handle->data;

	(void)suggested;
	*b = uv_buf_init(c->in + c->len, (unsigned int)(sizeof c->in - c->len));
}

static inline void ts__read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *b)
{
	struct ts_conn *c = stream->data;

	(void)b;
	if (nread < 0) {
		ts_drop(c);
		return;
	}
	c->len += (size_t)nread;
	ts__process(c);
}

static inline void ts__accept(uv_stream_t *listener, int status)
{
	struct ts_server *srv = listener->data;
	struct ts_conn *c;

	if (status < 0)
		return;
	c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->srv = srv;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->handles = 2;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->open++;
	if (srv->open > srv->max_open)
		srv->max_open = srv->open;
	if (uv_accept(listener, (uv_stream_t *)&c->tcp) < 0) {
		ts_drop(c);
		return;
	}
	srv->accepted++;
	uv_read_start((uv_stream_t *)&c->tcp, ts__alloc, ts__read);
}

/* Starts listening on 127.0.0.1 with a free port (srv->port). Returns 0 or a uv error. */
static inline int ts_server_start(struct ts_server *srv, uv_loop_t *loop, ts_route_fn route,
				  void *ud)
{
	struct sockaddr_in addr;
	struct sockaddr_storage name;
	int namelen = sizeof name;
	int rc;

	memset(srv, 0, sizeof *srv);
	srv->loop = loop;
	srv->route = route;
	srv->ud = ud;
	rc = uv_tcp_init(loop, &srv->tcp);
	if (rc < 0)
		return rc;
	srv->tcp.data = srv;
	rc = uv_ip4_addr("127.0.0.1", 0, &addr);
	if (rc == 0)
		rc = uv_tcp_bind(&srv->tcp, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->tcp, 128, ts__accept);
	if (rc == 0)
		rc = uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&name, &namelen);
	if (rc < 0) {
		srv->closed = true;
		uv_close((uv_handle_t *)&srv->tcp, NULL);
		return rc;
	}
	srv->port = ntohs(((struct sockaddr_in *)&name)->sin_port);
	return 0;
}

/* Closes every connection that is not answering a request (idle keep-alive ones). */
static inline void ts_server_drop_idle(struct ts_server *srv)
{
	struct ts_conn *c = srv->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (!c->busy)
			ts_drop(c);
	}
}

/* Closes the listener and every connection. Run the loop afterwards. */
static inline void ts_server_close(struct ts_server *srv)
{
	if (srv->closed)
		return;
	srv->closed = true;
	while (srv->conns)
		ts_drop(srv->conns);
	uv_close((uv_handle_t *)&srv->tcp, NULL);
}

#endif
