/* fake_http.c - see fake_http.h. */
#include "tests/fakes/lib/fake_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/fakes/lib/fake_buf.h"
#include "tests/fakes/lib/fake_codec.h"

#define TICK_MS 100
#define LINGER_MS 2000
#define READ_CHUNK (64 * 1024)

struct fake_http_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	uv_timer_t tick;
	bool listener_init, tick_init, stopped;
	fake_http_handler fn;
	void *ud;
	struct fake_http_conn *conns;
	struct fake_http_req *reqs;
	unsigned n_open;
	unsigned long total, next_id;
};

struct fake_http_conn {
	uv_tcp_t tcp;
	struct fake_http_server *srv;
	struct fake_http_conn *prev, *next;
	unsigned long id;
	struct fake_buf in;
	struct fake_http_req *held;  /* the request being answered */
	size_t need;                 /* bytes the current request needs in `in`; 0 = unknown */
	bool continue_sent;
	bool in_process;
	bool closing;                /* uv_close was called */
	bool close_after_write;      /* FLUSH requested */
	bool read_eof;
	bool lingering;              /* answered an error: discard input until EOF */
	bool shutdown_after_write;
	uv_shutdown_t shutdown_req;
	bool raw;
	const struct fake_http_raw_ops *raw_ops;
	void *raw_ud;
	size_t pending_writes;
	uint64_t deadline;           /* uv_now() ms, 0 = none */
	char rbuf[READ_CHUNK];
};

struct fake_http_req {
	struct fake_http_server *srv;
	struct fake_http_conn *conn; /* NULL once the client is gone */
	struct fake_http_req *prev, *next;
	char *storage;               /* the request head, split in place */
	char *body;
	size_t body_len;
	const char *method, *path, *query, *version;
	struct fake_http_header headers[FAKE_HTTP_MAX_HEADERS];
	size_t n_headers;
	bool keep_alive, expect_continue;
	void (*gone_fn)(void *ud, struct fake_http_req *req);
	void *gone_ud;
};

struct wreq {
	uv_write_t req;
	struct fake_http_conn *c;
	char *data;
};

static void conn_process(struct fake_http_conn *c);
static void conn_close(struct fake_http_conn *c, enum fake_http_close how);
static void start_shutdown(struct fake_http_conn *c);

/* ---- small helpers ---- */

static bool is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

bool fake_http_has_token(const char *list, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = list;

	while (p && *p) {
		const char *end;
		size_t n;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		end = p;
		while (*end && *end != ',')
			end++;
		n = (size_t)(end - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == tlen && strncasecmp(p, token, n) == 0)
			return true;
		p = end;
	}
	return false;
}

static const char *reason_phrase(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

/* ---- writing and closing ---- */

static void on_write(uv_write_t *w, int status)
{
	struct wreq *wr = (struct wreq *)w;
	struct fake_http_conn *c = wr->c;

	free(wr->data);
	free(wr);
	c->pending_writes--;
	if (c->closing)
		return;
	if (status < 0)
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
	else if (c->close_after_write && c->pending_writes == 0)
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
	else if (c->shutdown_after_write && c->pending_writes == 0)
		start_shutdown(c);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct fake_http_conn *c = req->data;

	if (status < 0 && !c->closing)
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
}

static void start_shutdown(struct fake_http_conn *c)
{
	c->shutdown_after_write = false;
	c->shutdown_req.data = c;
	if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) < 0)
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
}

/* Takes ownership of data (freed in every case). */
static int conn_write_owned(struct fake_http_conn *c, char *data, size_t len)
{
	struct wreq *wr;
	uv_buf_t b;

	if (c->closing || c->close_after_write || c->lingering || len > FAKE_HTTP_MAX_WRITE_QUEUE) {
		free(data);
		return -1;
	}
	if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > FAKE_HTTP_MAX_WRITE_QUEUE) {
		fprintf(stderr, "fake_http: connection %lu does not read; closing it\n", c->id);
		free(data);
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
		return -1;
	}
	wr = malloc(sizeof *wr);
	if (!wr) {
		free(data);
		return -1;
	}
	wr->c = c;
	wr->data = data;
	b = uv_buf_init(data, (unsigned)len);
	if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) < 0) {
		free(data);
		free(wr);
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
		return -1;
	}
	c->pending_writes++;
	return 0;
}

int fake_http_conn_write(struct fake_http_conn *c, const void *data, size_t len)
{
	char *copy;

	if (c->closing || c->close_after_write || c->lingering)
		return -1;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, data, len);
	return conn_write_owned(c, copy, len);
}

static void req_free(struct fake_http_req *req)
{
	struct fake_http_server *srv = req->srv;

	if (req->prev)
		req->prev->next = req->next;
	else if (srv->reqs == req)
		srv->reqs = req->next;
	if (req->next)
		req->next->prev = req->prev;
	if (req->conn && req->conn->held == req)
		req->conn->held = NULL;
	free(req->storage);
	free(req->body);
	free(req);
}

static void on_conn_closed(uv_handle_t *h)
{
	struct fake_http_conn *c = h->data;
	struct fake_http_server *srv = c->srv;
	struct fake_http_req *held = c->held;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->n_open--;
	if (held) {
		held->conn = NULL;
		c->held = NULL;
		if (held->gone_fn)
			held->gone_fn(held->gone_ud, held);
	}
	if (c->raw && c->raw_ops && c->raw_ops->on_close)
		c->raw_ops->on_close(c->raw_ud, c);
	fake_buf_free(&c->in);
	free(c);
}

static void conn_close(struct fake_http_conn *c, enum fake_http_close how)
{
	if (c->closing)
		return;
	if (how == FAKE_HTTP_CLOSE_FLUSH && c->pending_writes > 0) {
		c->close_after_write = true;
		uv_read_stop((uv_stream_t *)&c->tcp);
		return;
	}
	c->closing = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if (how == FAKE_HTTP_CLOSE_RESET && uv_tcp_close_reset(&c->tcp, on_conn_closed) == 0)
		return;
	uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

void fake_http_conn_close(struct fake_http_conn *c, enum fake_http_close how)
{
	conn_close(c, how);
}

void fake_http_conn_set_deadline(struct fake_http_conn *c, uint64_t ms)
{
	c->deadline = ms ? uv_now(c->srv->loop) + ms : 0;
}

bool fake_http_conn_is_closing(const struct fake_http_conn *c)
{
	return c->closing || c->close_after_write || c->lingering;
}

unsigned long fake_http_conn_id(const struct fake_http_conn *c)
{
	return c->id;
}

/* An error answer for a request we could not parse. The connection then lingers: our
 * side is shut down after the answer and the client's remaining bytes are read and
 * discarded until it closes (at most LINGER_MS), so that closing with unread input
 * does not reset the connection before the client has read the answer. */
static void conn_fail(struct fake_http_conn *c, int status)
{
	struct fake_buf b;
	char msg[96];

	snprintf(msg, sizeof msg, "%d %s\n", status, reason_phrase(status));
	fake_buf_init(&b, 4096);
	if (fake_buf_appendf(&b,
			     "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n%s",
			     status, reason_phrase(status), strlen(msg), msg) == 0) {
		conn_write_owned(c, b.data, b.len);
		b.data = NULL;
	}
	fake_buf_free(&b);
	fake_buf_reset(&c->in);
	if (c->closing)
		return;
	if (c->read_eof) {
		conn_close(c, FAKE_HTTP_CLOSE_FLUSH);
		return;
	}
	c->lingering = true;
	fake_http_conn_set_deadline(c, LINGER_MS);
	if (c->pending_writes)
		c->shutdown_after_write = true;
	else
		start_shutdown(c);
}

/* ---- parsing ---- */

/* Returns the length of the head including the blank line, or 0 when incomplete. */
static size_t find_head_end(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i + 3 < n; i++)
		if (s[i] == '\r' && s[i + 1] == '\n' && s[i + 2] == '\r' && s[i + 3] == '\n')
			return i + 4;
	return 0;
}

/* Checks a request line of len bytes (without CRLF). Returns 0 or an HTTP status.
 * On success, the offsets of the target and version are stored. */
static int check_request_line(const char *s, size_t len, size_t *t_off, size_t *t_len,
			      size_t *v_off)
{
	size_t i = 0, t;

	while (i < len && i < 32 && is_tchar((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= len || s[i] != ' ')
		return 400;
	t = ++i;
	while (i < len && s[i] != ' ') {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch == 0x7f)
			return 400;
		i++;
	}
	if (i == t || i >= len || s[t] != '/')
		return 400;
	*t_off = t;
	*t_len = i - t;
	i++;
	*v_off = i;
	if (len - i == 8 && (memcmp(s + i, "HTTP/1.1", 8) == 0 || memcmp(s + i, "HTTP/1.0", 8) == 0))
		return 0;
	if (len - i >= 5 && memcmp(s + i, "HTTP/", 5) == 0)
		return 505;
	return 400;
}

/* Parses the head (head_len bytes at the start of c->in). Returns 0 and a new request
 * (not linked, no body yet, body_len = the declared length), or an HTTP status. */
static int parse_request(struct fake_http_conn *c, size_t head_len, struct fake_http_req **out)
{
	struct fake_http_req *req;
	const char *conn_hdr = NULL, *cl = NULL;
	char *p, *end, *eol, *s;
	size_t i, t_off, t_len, v_off;
	int status;

	*out = NULL;
	/* Control characters other than CRLF and tab are refused anywhere in the head. */
	for (i = 0; i < head_len; i++) {
		unsigned char ch = (unsigned char)c->in.data[i];

		if (ch == '\r') {
			if (i + 1 >= head_len || c->in.data[i + 1] != '\n')
				return 400;
		} else if (ch == '\n') {
			if (i == 0 || c->in.data[i - 1] != '\r')
				return 400;
		} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			return 400;
		}
	}
	req = calloc(1, sizeof *req);
	if (!req)
		return 500;
	req->storage = malloc(head_len + 1);
	if (!req->storage) {
		free(req);
		return 500;
	}
	memcpy(req->storage, c->in.data, head_len);
	req->storage[head_len] = '\0';
	req->srv = c->srv;
	s = req->storage;
	end = s + head_len - 2; /* the final CRLF */

	eol = strstr(s, "\r\n");
	status = check_request_line(s, (size_t)(eol - s), &t_off, &t_len, &v_off);
	if (status)
		goto fail;
	*eol = '\0';
	s[t_off - 1] = '\0';
	s[t_off + t_len] = '\0';
	req->method = s;
	req->path = s + t_off;
	req->version = s + v_off;
	p = strchr(s + t_off, '?');
	if (p) {
		*p = '\0';
		req->query = p + 1;
	} else {
		req->query = "";
	}

	for (p = eol + 2; p < end; p = eol + 2) {
		char *colon, *v, *vend;

		eol = strstr(p, "\r\n");
		*eol = '\0';
		if (*p == ' ' || *p == '\t') {
			status = 400; /* obsolete line folding */
			goto fail;
		}
		colon = p;
		while (is_tchar((unsigned char)*colon))
			colon++;
		if (colon == p || *colon != ':') {
			status = 400;
			goto fail;
		}
		if (req->n_headers == FAKE_HTTP_MAX_HEADERS) {
			status = 431;
			goto fail;
		}
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		vend = v + strlen(v);
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			*--vend = '\0';
		req->headers[req->n_headers].name = p;
		req->headers[req->n_headers].value = v;
		req->n_headers++;
		if (strcasecmp(p, "Content-Length") == 0) {
			if (cl && strcmp(cl, v) != 0) {
				status = 400;
				goto fail;
			}
			cl = v;
		} else if (strcasecmp(p, "Transfer-Encoding") == 0) {
			status = 501;
			goto fail;
		} else if (strcasecmp(p, "Connection") == 0) {
			conn_hdr = v;
		} else if (strcasecmp(p, "Expect") == 0) {
			if (strcasecmp(v, "100-continue") != 0) {
				status = 400; /* 417 in the RFC; keep it simple */
				goto fail;
			}
			req->expect_continue = true;
		}
	}
	if (strcmp(req->version, "HTTP/1.1") == 0 && !fake_http_req_header(req, "Host")) {
		status = 400;
		goto fail;
	}
	if (cl) {
		size_t n = 0, k;

		for (k = 0; cl[k]; k++) {
			if (cl[k] < '0' || cl[k] > '9' || k >= 10) {
				status = cl[k] >= '0' && cl[k] <= '9' ? 413 : 400;
				goto fail;
			}
			n = n * 10 + (size_t)(cl[k] - '0');
		}
		if (k == 0) {
			status = 400;
			goto fail;
		}
		if (n > FAKE_HTTP_MAX_BODY) {
			status = 413;
			goto fail;
		}
		req->body_len = n;
	}
	if (strcmp(req->version, "HTTP/1.1") == 0)
		req->keep_alive = !(conn_hdr && fake_http_has_token(conn_hdr, "close"));
	else
		req->keep_alive = conn_hdr && fake_http_has_token(conn_hdr, "keep-alive");
	*out = req;
	return 0;
fail:
	free(req->storage);
	free(req);
	return status;
}

static void deliver_raw_leftover(struct fake_http_conn *c)
{
	char *data;
	size_t len;

	if (!c->raw || c->closing || c->in.len == 0)
		return;
	data = c->in.data;
	len = c->in.len;
	fake_buf_init(&c->in, c->in.max);
	c->raw_ops->on_data(c->raw_ud, c, data, len);
	free(data);
}

static void conn_process(struct fake_http_conn *c)
{
	struct fake_http_server *srv = c->srv;

	if (c->in_process)
		return;
	c->in_process = true;
	while (!c->closing && !c->close_after_write && !c->lingering && !c->raw && !c->held) {
		struct fake_http_req *req;
		size_t skip = 0, head_len, total;
		int status;

		while (c->need == 0 && skip < c->in.len &&
		       (c->in.data[skip] == '\r' || c->in.data[skip] == '\n'))
			skip++;
		if (skip)
			fake_buf_consume(&c->in, skip);
		if (c->in.len == 0 || (c->need && c->in.len < c->need))
			break;
		head_len = find_head_end(c->in.data,
					 c->in.len < FAKE_HTTP_MAX_HEAD ? c->in.len : FAKE_HTTP_MAX_HEAD);
		if (head_len == 0) {
			size_t t_off, t_len, v_off, i;

			if (c->in.len >= FAKE_HTTP_MAX_HEAD) {
				conn_fail(c, 431);
				break;
			}
			/* Refuse a bad request line without waiting for the rest. */
			for (i = 0; i + 1 < c->in.len; i++)
				if (c->in.data[i] == '\r' && c->in.data[i + 1] == '\n')
					break;
			if (i + 1 < c->in.len) {
				status = check_request_line(c->in.data, i, &t_off, &t_len, &v_off);
				if (status) {
					conn_fail(c, status);
					break;
				}
			}
			break;
		}
		status = parse_request(c, head_len, &req);
		if (status) {
			conn_fail(c, status);
			break;
		}
		total = head_len + req->body_len;
		if (c->in.len < total) {
			c->need = total;
			if (req->expect_continue && !c->continue_sent) {
				static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

				c->continue_sent = true;
				fake_http_conn_write(c, cont, sizeof cont - 1);
			}
			free(req->storage);
			free(req);
			break;
		}
		req->body = malloc(req->body_len + 1);
		if (!req->body) {
			free(req->storage);
			free(req);
			conn_fail(c, 500);
			break;
		}
		memcpy(req->body, c->in.data + head_len, req->body_len);
		req->body[req->body_len] = '\0';
		fake_buf_consume(&c->in, total);
		c->need = 0;
		c->continue_sent = false;
		req->conn = c;
		req->next = srv->reqs;
		if (srv->reqs)
			srv->reqs->prev = req;
		srv->reqs = req;
		c->held = req;
		srv->fn(srv->ud, req);
	}
	deliver_raw_leftover(c);
	c->in_process = false;
	if (c->read_eof && !c->closing && !c->raw && !c->lingering) {
		/* The client half-closed: answer what is complete, then go. */
		if (c->held)
			conn_close(c, FAKE_HTTP_CLOSE_NOW);
		else
			conn_close(c, FAKE_HTTP_CLOSE_FLUSH);
	}
}

/* ---- reading and accepting ---- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct fake_http_conn *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct fake_http_conn *c = s->data;

	if (nread == 0 || c->closing)
		return;
	if (c->lingering) {
		if (nread < 0)
			conn_close(c, FAKE_HTTP_CLOSE_NOW);
		return;
	}
	if (nread < 0) {
		if (nread != UV_EOF || c->raw) {
			conn_close(c, FAKE_HTTP_CLOSE_NOW);
			return;
		}
		c->read_eof = true;
		uv_read_stop(s);
		conn_process(c);
		return;
	}
	if (c->close_after_write)
		return;
	if (c->raw) {
		c->raw_ops->on_data(c->raw_ud, c, buf->base, (size_t)nread);
		return;
	}
	if (fake_buf_append(&c->in, buf->base, (size_t)nread)) {
		if (c->held)
			conn_close(c, FAKE_HTTP_CLOSE_NOW);
		else
			conn_fail(c, c->in.len < FAKE_HTTP_MAX_HEAD ? 500 : 413);
		return;
	}
	conn_process(c);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct fake_http_server *srv = server->data;
	struct fake_http_conn *c;

	if (status < 0 || srv->stopped)
		return;
	c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->srv = srv;
	c->id = ++srv->next_id;
	fake_buf_init(&c->in, FAKE_HTTP_MAX_HEAD + FAKE_HTTP_MAX_BODY + 4096);
	uv_tcp_init(srv->loop, &c->tcp);
	c->tcp.data = c;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	srv->n_open++;
	srv->total++;
	if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
		return;
	}
	if (srv->n_open > FAKE_HTTP_MAX_CONNS) {
		fprintf(stderr, "fake_http: more than %d connections; closing the new one\n",
			FAKE_HTTP_MAX_CONNS);
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0)
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
}

static void on_tick(uv_timer_t *t)
{
	struct fake_http_server *srv = t->data;
	struct fake_http_conn *c, *next;
	uint64_t now = uv_now(srv->loop);

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->deadline && now >= c->deadline && !c->closing) {
			c->deadline = 0;
			conn_close(c, FAKE_HTTP_CLOSE_NOW);
		}
	}
}

/* ---- server ---- */

struct fake_http_server *fake_http_server_new(uv_loop_t *loop, fake_http_handler fn, void *ud)
{
	struct fake_http_server *srv = calloc(1, sizeof *srv);

	if (!srv)
		return NULL;
	srv->loop = loop;
	srv->fn = fn;
	srv->ud = ud;
	return srv;
}

int fake_http_server_listen(struct fake_http_server *srv, int port)
{
	struct sockaddr_in addr;
	struct sockaddr_storage bound;
	int rc, len = sizeof bound;

	if (srv->listener_init || port < 0 || port > 65535)
		return UV_EINVAL;
	rc = uv_ip4_addr("127.0.0.1", port, &addr);
	if (rc < 0)
		return rc;
	uv_tcp_init(srv->loop, &srv->listener);
	srv->listener.data = srv;
	srv->listener_init = true;
	rc = uv_tcp_bind(&srv->listener, (const struct sockaddr *)&addr, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->listener, 128, on_connection);
	if (rc == 0)
		rc = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&bound, &len);
	if (rc < 0)
		return rc;
	uv_timer_init(srv->loop, &srv->tick);
	srv->tick.data = srv;
	srv->tick_init = true;
	uv_timer_start(&srv->tick, on_tick, TICK_MS, TICK_MS);
	return ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

void fake_http_server_stop(struct fake_http_server *srv)
{
	struct fake_http_conn *c, *next;

	if (srv->stopped)
		return;
	srv->stopped = true;
	if (srv->listener_init)
		uv_close((uv_handle_t *)&srv->listener, NULL);
	if (srv->tick_init)
		uv_close((uv_handle_t *)&srv->tick, NULL);
	for (c = srv->conns; c; c = next) {
		next = c->next;
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
	}
}

void fake_http_server_free(struct fake_http_server *srv)
{
	if (!srv)
		return;
	while (srv->reqs) {
		srv->reqs->conn = NULL;
		req_free(srv->reqs);
	}
	if (srv->conns)
		fprintf(stderr, "fake_http: freed with connections still open (run the loop first)\n");
	free(srv);
}

unsigned long fake_http_server_total_conns(const struct fake_http_server *srv)
{
	return srv->total;
}

unsigned fake_http_server_open_conns(const struct fake_http_server *srv)
{
	return srv->n_open;
}

/* ---- requests ---- */

const char *fake_http_req_method(const struct fake_http_req *req)
{
	return req->method;
}

const char *fake_http_req_path(const struct fake_http_req *req)
{
	return req->path;
}

const char *fake_http_req_query(const struct fake_http_req *req)
{
	return req->query;
}

const char *fake_http_req_version(const struct fake_http_req *req)
{
	return req->version;
}

const char *fake_http_req_header(const struct fake_http_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

const struct fake_http_header *fake_http_req_headers(const struct fake_http_req *req, size_t *n)
{
	*n = req->n_headers;
	return req->headers;
}

const char *fake_http_req_body(const struct fake_http_req *req, size_t *len)
{
	if (len)
		*len = req->body_len;
	return req->body ? req->body : "";
}

int fake_http_req_query_get(const struct fake_http_req *req, const char *name, char **out)
{
	return fake_codec_form_get(req->query, strlen(req->query), name, out);
}

unsigned long fake_http_req_conn_id(const struct fake_http_req *req)
{
	return req->conn ? req->conn->id : 0;
}

bool fake_http_req_is_gone(const struct fake_http_req *req)
{
	return req->conn == NULL || req->conn->closing;
}

void fake_http_req_on_gone(struct fake_http_req *req,
			   void (*fn)(void *ud, struct fake_http_req *req), void *ud)
{
	req->gone_fn = fn;
	req->gone_ud = ud;
}

/* Answers req; cut: only the first half of the body is written, then FIN. */
static int respond(struct fake_http_req *req, int status, const struct fake_http_header *headers,
		   size_t n_headers, const char *body, size_t body_len, bool cut)
{
	struct fake_http_conn *c = req->conn;
	struct fake_buf b;
	bool keep, head_only;
	size_t i;
	int rc = -1;

	if (!c || c->closing || c->close_after_write || c->lingering) {
		req_free(req);
		return -1;
	}
	if (status < 200 || status > 999)
		status = 500;
	keep = req->keep_alive && !c->read_eof && !cut;
	head_only = strcmp(req->method, "HEAD") == 0;
	fake_buf_init(&b, body_len + FAKE_HTTP_MAX_HEAD);
	if (fake_buf_appendf(&b, "HTTP/1.1 %d %s\r\n", status, reason_phrase(status)))
		goto out;
	for (i = 0; i < n_headers; i++) {
		const char *n = headers[i].name, *v = headers[i].value;

		if (!n || !v || !*n || strpbrk(n, "\r\n:") || strpbrk(v, "\r\n"))
			continue;
		if (fake_buf_appendf(&b, "%s: %s\r\n", n, v))
			goto out;
	}
	if (fake_buf_appendf(&b, "Content-Length: %zu\r\nConnection: %s\r\n\r\n", body_len,
			     keep ? "keep-alive" : "close"))
		goto out;
	if (!head_only && fake_buf_append(&b, body, cut ? body_len / 2 : body_len))
		goto out;
	rc = conn_write_owned(c, b.data, b.len);
	b.data = NULL;
out:
	fake_buf_free(&b);
	req_free(req);
	if (rc < 0 || !keep)
		conn_close(c, rc < 0 ? FAKE_HTTP_CLOSE_NOW : FAKE_HTTP_CLOSE_FLUSH);
	else if (!c->in_process)
		conn_process(c);
	return rc;
}

int fake_http_respond(struct fake_http_req *req, int status,
		      const struct fake_http_header *headers, size_t n_headers,
		      const char *body, size_t body_len)
{
	return respond(req, status, headers, n_headers, body, body_len, false);
}

int fake_http_respond_cut(struct fake_http_req *req, int status,
			  const struct fake_http_header *headers, size_t n_headers,
			  const char *body, size_t body_len)
{
	return respond(req, status, headers, n_headers, body, body_len, true);
}

int fake_http_respond_json(struct fake_http_req *req, int status, const char *json)
{
	static const struct fake_http_header h[] = {
		{"Content-Type", "application/json; charset=utf-8"},
	};

	return fake_http_respond(req, status, h, 1, json, strlen(json));
}

void fake_http_req_drop(struct fake_http_req *req, bool reset)
{
	struct fake_http_conn *c = req->conn;

	req_free(req);
	if (c)
		conn_close(c, reset ? FAKE_HTTP_CLOSE_RESET : FAKE_HTTP_CLOSE_NOW);
}

struct fake_http_conn *fake_http_upgrade(struct fake_http_req *req, const char *head,
					 size_t head_len, const struct fake_http_raw_ops *ops,
					 void *ud)
{
	struct fake_http_conn *c = req->conn;

	req_free(req);
	if (!c || c->closing || c->close_after_write || c->lingering)
		return NULL;
	if (fake_http_conn_write(c, head, head_len) < 0) {
		conn_close(c, FAKE_HTTP_CLOSE_NOW);
		return NULL;
	}
	c->raw = true;
	c->raw_ops = ops;
	c->raw_ud = ud;
	c->need = 0;
	if (!c->in_process)
		deliver_raw_leftover(c);
	return c;
}
