/* http.c - libcurl's multi socket API on the daemon's libuv loop (curl's multi-uv pattern).
 *
 * curl tells us which sockets to watch (socket_cb) and when to call it back (timer_fn);
 * each watched socket is one uv_poll handle (one per fd, libuv's rule), the timeout is one
 * uv_timer. Every uv callback calls curl_multi_socket_action() and then drains finished
 * transfers with curl_multi_info_read(), calling each request's done callback outside of
 * any curl callback. So a done callback may:
 *   - http_start() new requests;
 *   - http_cancel() other calls (a message curl already queued for them is dropped with
 *     the handle); cancelling its own call is ignored, it is freed when done returns;
 *   - http_free(h): it takes effect when done returns, and the remaining calls are
 *     abandoned without their done.
 * done is never called from inside http_start(), http_cancel() or http_free().
 *
 * Corrections to the upstream example (see LIBNOTES.md): a 0 ms timeout is a 0 ms
 * uv_timer; a uv_poll error is CURL_CSELECT_ERR; the uv_timer is closed only after
 * curl_multi_cleanup().
 *
 * Per-request cost: requests to one host share at most HTTP_MAX_HOST_CONNECTIONS kept-alive
 * connections (more wait in curl's queue), instead of a burst opening a connection each
 * that curl's default cache (4 per transfer in progress) then closes. A connection's
 * uv_poll handle lives as long as its socket (curl opens and closes it through
 * open_socket() and close_socket()), so the next request on it costs no epoll_ctl. */
#include "http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "err.h"
#include "log.h"

#define HTTP_DEFAULT_TIMEOUT_MS   30000L
#define HTTP_CONNECT_TIMEOUT_MS   10000L
#define HTTP_DEFAULT_MAX_RESPONSE ((size_t)4 << 20)
#define HTTP_METHOD_MAX           16
/* Retry-After values beyond this (about 31 years) are treated as absent. */
#define HTTP_RETRY_AFTER_MAX      999999999L
/* Connections per host (the Slack API or the homeserver: one per http), and in curl's
 * cache. curl 7.88's queue for a connection is costly (it sets each queued transfer up
 * again whenever one ends: +7% instructions for the Matrix load with 8), so this is a
 * ceiling that bursts rarely reach, not a pacing tool (the pacer is). */
#define HTTP_MAX_HOST_CONNECTIONS 32L

/* One socket curl asked us to watch, with its uv_poll handle. A connection (conn: opened
 * by open_socket()) keeps it until close_socket(); any other socket (the resolver's) is
 * closed on CURL_POLL_REMOVE. In h's socket list until then; freed in the close callback. */
struct http_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct http *h;
	int events;                /* what the last uv_poll_start() asked for */
	bool conn;
	bool idle;                 /* curl removed it but the handle still polls (socket_cb) */
	struct http_sock *prev, *next;
};

struct http_call {
	CURL *easy;
	struct curl_slist *headers;
	struct buf body;
	size_t max_response;
	long retry_after_s;
	uint64_t deadline;         /* loop time at which the request times out */
	bool too_big;              /* the body passed max_response */
	bool nomem;                /* the body could not grow */
	http_done_fn done;
	void *ud;
	struct http_call *prev, *next;
	char errbuf[CURL_ERROR_SIZE];
};

struct http {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	struct http_call *calls;
	struct http_sock *socks;
	uint64_t next_deadline;     /* no call times out before this (loop time) */
	struct http_call *current;  /* the call whose done callback is running */
	bool dispatching;           /* inside drain(): done callbacks may run */
	bool free_pending;          /* http_free() was called from a done callback */
	bool freed;
};

static bool curl_ready;

/* ---- lists ----------------------------------------------------------------------------- */

static void call_link(struct http *h, struct http_call *c)
{
	c->prev = NULL;
	c->next = h->calls;
	if (h->calls)
		h->calls->prev = c;
	h->calls = c;
}

static void call_unlink(struct http *h, struct http_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		h->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void call_free(struct http_call *c)
{
	if (!c)
		return;
	if (c->easy)
		curl_easy_cleanup(c->easy);
	curl_slist_free_all(c->headers);
	buf_free(&c->body);
	free(c);
}

/* ---- sockets and the timer ------------------------------------------------------------- */

static void sock_close_cb(uv_handle_t *handle)
{
	/* Only the socket itself: h may already be gone (libuv runs close callbacks newest
	 * first, and http_free closes the timer, which frees h, after the sockets). */
	free(handle->data);
}

/* Returns NULL on failure (logged). */
static struct http_sock *sock_new(struct http *h, curl_socket_t fd, bool conn)
{
	struct http_sock *s = calloc(1, sizeof *s);
	int rc;

	if (!s) {
		log_err("http", "out of memory watching a socket");
		return NULL;
	}
	rc = uv_poll_init_socket(h->loop, &s->poll, fd);
	if (rc < 0) {
		log_err("http", "uv_poll_init_socket: %s", uv_strerror(rc));
		free(s);
		return NULL;
	}
	s->fd = fd;
	s->h = h;
	s->conn = conn;
	s->poll.data = s;
	s->next = h->socks;
	if (h->socks)
		h->socks->prev = s;
	h->socks = s;
	return s;
}

static struct http_sock *sock_find(struct http *h, curl_socket_t fd)
{
	struct http_sock *s = h->socks;

	while (s && s->fd != fd)
		s = s->next;
	return s;
}

/* uv_close() stops the handle too. */
static void sock_close(struct http *h, struct http_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->prev = s->next = NULL;
	uv_close((uv_handle_t *)&s->poll, sock_close_cb);
}

static void drain(struct http *h);
static void free_now(struct http *h);

static void socket_action(struct http *h, curl_socket_t fd, int flags)
{
	int running = 0;
	CURLMcode mc = curl_multi_socket_action(h->multi, fd, flags, &running);

	if (mc != CURLM_OK)
		log_warn("http", "curl_multi_socket_action: %s", curl_multi_strerror(mc));
	drain(h);
}

static void poll_cb(uv_poll_t *poll, int status, int events)
{
	struct http_sock *s = poll->data;
	int flags = 0;

	if (s->idle) {
		/* No transfer uses the connection (the server closed it, say): stop watching;
		 * curl checks a cached connection itself before it reuses it. */
		uv_poll_stop(poll);
		return;
	}
	if (status < 0) {
		flags = CURL_CSELECT_ERR;
	} else {
		if (events & UV_READABLE)
			flags |= CURL_CSELECT_IN;
		if (events & UV_WRITABLE)
			flags |= CURL_CSELECT_OUT;
	}
	/* s may be closed during the action (CURL_POLL_REMOVE); it is freed only in its
	 * close callback, but do not touch it afterwards anyway. */
	socket_action(s->h, s->fd, flags);
}

static void timer_cb(uv_timer_t *timer)
{
	socket_action(timer->data, CURL_SOCKET_TIMEOUT, 0);
}

/* CURLMOPT_SOCKETFUNCTION. Every uv_poll_start() costs two epoll_ctl calls (libuv stops
 * the fd first), so a handle that already polls for the right events is left alone. */
static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct http_sock *s = socketp ? socketp : sock_find(h, fd);
	uv_handle_t *handle;
	int events = 0, rc;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (!s)
			return 0;
		handle = (uv_handle_t *)&s->poll;
		if (!s->conn) {
			sock_close(h, s);
		} else if (s->events == UV_READABLE && uv_is_active(handle)) {
			/* A kept-alive connection: the next request on it polls for the same, so
			 * keep polling (not holding the loop open) until then. */
			s->idle = true;
			uv_unref(handle);
		} else {
			uv_poll_stop(&s->poll);
		}
		return 0;
	}
	if (!s) {
		s = sock_new(h, fd, false);
		if (!s)
			return -1;
	}
	if (!socketp)
		curl_multi_assign(h->multi, fd, s);
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= UV_WRITABLE;
	handle = (uv_handle_t *)&s->poll;
	s->idle = false;
	uv_ref(handle);
	if (events == s->events && uv_is_active(handle))
		return 0;
	rc = uv_poll_start(&s->poll, events, poll_cb);
	if (rc < 0) {
		log_err("http", "uv_poll_start: %s", uv_strerror(rc));
		return -1;
	}
	s->events = events;
	return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: a connection's socket, watched until close_socket(). */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	curl_socket_t fd;

	(void)purpose;
	fd = socket(a->family, a->socktype, a->protocol);
	if (fd != CURL_SOCKET_BAD && !sock_new(clientp, fd, true)) {
		close(fd);
		return CURL_SOCKET_BAD;
	}
	return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: the handle goes before the fd (which may be reused). */
static int close_socket(void *clientp, curl_socket_t fd)
{
	struct http_sock *s = sock_find(clientp, fd);

	if (s)
		sock_close(clientp, s);
	return close(fd);
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer; 0 runs it on the next loop turn (never
 * socket_action from inside this callback). */
static int timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	if (timeout_ms < 0) {
		uv_timer_stop(&h->timer);
		return 0;
	}
	uv_timer_start(&h->timer, timer_cb, (uint64_t)timeout_ms, 0);
	return 0;
}

/* ---- per transfer callbacks ------------------------------------------------------------ */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct http_call *c = userp;
	size_t n = size * nmemb;

	if (n > c->max_response - c->body.len) {
		c->too_big = true;
		return 0;  /* != n: curl aborts with CURLE_WRITE_ERROR */
	}
	buf_put(&c->body, ptr, n);
	if (c->body.failed) {
		c->nomem = true;
		return 0;
	}
	return n;
}

/* Parses "Retry-After: <digits>" (the delay-seconds form). Returns -1 for anything else,
 * including the HTTP-date form. p..end is the value after the colon. */
static long parse_retry_after(const char *p, const char *end)
{
	long v = 0;
	int digits = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (HTTP_RETRY_AFTER_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
		digits++;
		p++;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (!digits || p != end)
		return -1;
	return v;
}

static size_t header_cb(char *ptr, size_t size, size_t nitems, void *userp)
{
	static const char name[] = "retry-after:";
	struct http_call *c = userp;
	size_t n = size * nitems;

	/* A status line starts a new response (after a 100 Continue, say). */
	if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
		c->retry_after_s = -1;
	else if (n >= sizeof name - 1 && strncasecmp(ptr, name, sizeof name - 1) == 0)
		c->retry_after_s = parse_retry_after(ptr + sizeof name - 1, ptr + n);
	return n;
}

/* ---- completion ------------------------------------------------------------------------ */

/* One line: control characters become spaces. */
static void one_line(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

static void finish(struct http *h, struct http_call *c, CURLcode result)
{
	struct http_response res;
	char errtext[BOT_ERRMSG_MAX];
	long status = 0;

	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	memset(&res, 0, sizeof res);
	res.status = status;
	res.retry_after_s = c->retry_after_s;
	res.body = "";
	if (result == CURLE_OK) {
		res.body = c->body.data ? c->body.data : "";
		res.body_len = c->body.len;
	} else {
		if (c->too_big || result == CURLE_FILESIZE_EXCEEDED) {
			res.error = BOT_ERR_IO;
			snprintf(errtext, sizeof errtext, "response larger than %zu bytes",
				 c->max_response);
		} else if (c->nomem || result == CURLE_OUT_OF_MEMORY) {
			res.error = BOT_ERR_NOMEM;
			snprintf(errtext, sizeof errtext, "out of memory");
		} else {
			res.error = BOT_ERR_IO;
			c->errbuf[sizeof c->errbuf - 1] = '\0';
			if (c->errbuf[0])
				snprintf(errtext, sizeof errtext, "%s: %s",
					 curl_easy_strerror(result), c->errbuf);
			else
				snprintf(errtext, sizeof errtext, "%s", curl_easy_strerror(result));
		}
		one_line(errtext);
		res.error_text = errtext;
	}
	h->current = c;
	c->done(c->ud, &res);
	h->current = NULL;
}

/* The next finished call, its easy handle removed from the multi: one curl reports done,
 * or else one waiting in curl's queue for a connection past its deadline (curl 7.88 times
 * out a queued transfer only once it gets a connection; its timer still fires then, so
 * this runs). Returns NULL when there is none. */
static struct http_call *next_done(struct http *h, CURLcode *result)
{
	uint64_t now = uv_now(h->loop);
	struct http_call *c;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left))) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		*result = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		/* Removing the handle also drops its message; msg is not used after this. */
		curl_multi_remove_handle(h->multi, msg->easy_handle);
		if (priv)
			return (struct http_call *)(void *)priv;
	}
	if (now < h->next_deadline)
		return NULL;
	h->next_deadline = UINT64_MAX;
	for (c = h->calls; c && c->deadline > now; c = c->next) {
		if (c->deadline < h->next_deadline)
			h->next_deadline = c->deadline;
	}
	if (!c)
		return NULL;
	*result = CURLE_OPERATION_TIMEDOUT;
	h->next_deadline = now;  /* look again for the others */
	curl_multi_remove_handle(h->multi, c->easy);
	return c;
}

/* Calls done for every finished transfer. Runs only from uv callbacks, after
 * curl_multi_socket_action() has returned, so done may use the API freely. */
static void drain(struct http *h)
{
	h->dispatching = true;
	/* After http_free() from a done callback the rest are abandoned. */
	while (!h->free_pending) {
		CURLcode result;
		struct http_call *c = next_done(h, &result);

		if (!c)
			break;
		call_unlink(h, c);
		finish(h, c, result);
		call_free(c);
	}
	h->dispatching = false;
	if (h->free_pending)
		free_now(h);
}

/* ---- the API --------------------------------------------------------------------------- */

static void timer_close_cb(uv_handle_t *handle)
{
	free(handle->data);
}

struct http *http_new(uv_loop_t *loop)
{
	struct http *h;
	CURLcode cc;
	int rc;

	if (!curl_ready) {
		cc = curl_global_init(CURL_GLOBAL_DEFAULT);
		if (cc != CURLE_OK) {
			log_err("http", "curl_global_init: %s", curl_easy_strerror(cc));
			return NULL;
		}
		curl_ready = true;
	}
	h = calloc(1, sizeof *h);
	if (!h) {
		log_err("http", "out of memory");
		return NULL;
	}
	h->loop = loop;
	h->multi = curl_multi_init();
	if (!h->multi) {
		log_err("http", "curl_multi_init failed");
		free(h);
		return NULL;
	}
	rc = uv_timer_init(loop, &h->timer);
	if (rc < 0) {
		log_err("http", "uv_timer_init: %s", uv_strerror(rc));
		curl_multi_cleanup(h->multi);
		free(h);
		return NULL;
	}
	h->timer.data = h;
	h->next_deadline = UINT64_MAX;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, HTTP_MAX_HOST_CONNECTIONS);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, HTTP_MAX_HOST_CONNECTIONS);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_fn);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

/* A method is 1-16 upper-case letters (it goes into the request line). */
static bool method_ok(const char *m)
{
	size_t n;

	if (!m)
		return false;
	for (n = 0; m[n]; n++) {
		if (n >= HTTP_METHOD_MAX || m[n] < 'A' || m[n] > 'Z')
			return false;
	}
	return n > 0;
}

/* Header values must not break the header block. */
static bool header_value_ok(const char *v)
{
	for (; *v; v++) {
		if (*v == '\r' || *v == '\n')
			return false;
	}
	return true;
}

/* Appends "<name>: <prefix><value>" to list. The line is built in memory of our own that
 * is wiped before it is freed (it may hold the token); curl keeps its own copy. */
static int add_header(struct curl_slist **list, const char *name, const char *prefix,
		      const char *value)
{
	size_t len = strlen(name) + 2 + strlen(prefix) + strlen(value) + 1;
	struct curl_slist *l;
	volatile char *v;
	char *line;

	line = malloc(len);
	if (!line)
		return BOT_ERR_NOMEM;
	snprintf(line, len, "%s:%s%s%s", name, prefix[0] || value[0] ? " " : "", prefix, value);
	l = curl_slist_append(*list, line);
	for (v = line; *v; v++)
		*v = '\0';
	free(line);
	if (!l)
		return BOT_ERR_NOMEM;
	*list = l;
	return 0;
}

static int build_headers(struct http_call *c, const struct http_request *req)
{
	int result = 0;

	if (req->bearer)
		result = add_header(&c->headers, "Authorization", "Bearer ", req->bearer);
	if (!result && req->content_type)
		result = add_header(&c->headers, "Content-Type", "", req->content_type);
	/* No "Expect: 100-continue" round trip for bodies over 1 KiB. */
	if (!result)
		result = add_header(&c->headers, "Expect", "", "");
	return result;
}

/* Sets the options of one transfer. Returns 0 or a BOT_ERR_* code. */
static int setup_easy(struct http *h, struct http_call *c, const struct http_request *req,
		      long timeout)
{
	CURL *e = c->easy;
	bool is_get = strcmp(req->method, "GET") == 0;
	bool is_head = strcmp(req->method, "HEAD") == 0;
	bool is_post = strcmp(req->method, "POST") == 0;
	char *capath = NULL;
	CURLcode cc = CURLE_OK;

#define SET(opt, val) do { if (cc == CURLE_OK) cc = curl_easy_setopt(e, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_PRIVATE, (void *)c);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, (void *)c);
	SET(CURLOPT_HEADERFUNCTION, header_cb);
	SET(CURLOPT_HEADERDATA, (void *)c);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, (void *)h);
	SET(CURLOPT_CLOSESOCKETFUNCTION, close_socket);
	SET(CURLOPT_CLOSESOCKETDATA, (void *)h);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, HTTP_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_USERAGENT, "workshopbot");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response);
	SET(CURLOPT_HTTPHEADER, c->headers);
	/* The system CAs through libcurl's CA directory (Debian: /etc/ssl/certs), from which
	 * OpenSSL reads only the certificates a chain needs. With its default bundle file set
	 * as well, Debian's libcurl parses the whole bundle (~30 ms of CPU) for every new TLS
	 * connection, the first of them on the start-up path. */
	if (curl_easy_getinfo(e, CURLINFO_CAPATH, &capath) == CURLE_OK && capath)
		SET(CURLOPT_CAINFO, NULL);
	if (is_head) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (is_get && !req->body) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (req->body || is_post || strcmp(req->method, "PUT") == 0 ||
		   strcmp(req->method, "PATCH") == 0) {
		/* Size first, so COPYPOSTFIELDS copies exactly body_len bytes (NULs too). */
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
		SET(CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
	}
	if (!is_get && !is_head && !is_post)
		SET(CURLOPT_CUSTOMREQUEST, req->method);
	else if (is_get && req->body)
		SET(CURLOPT_CUSTOMREQUEST, "GET");
#undef SET
	if (cc == CURLE_OUT_OF_MEMORY)
		return BOT_ERR_NOMEM;
	if (cc != CURLE_OK) {
		log_err("http", "curl_easy_setopt: %s", curl_easy_strerror(cc));
		return BOT_ERR_INVALID;
	}
	return 0;
}

struct http_call *http_start(struct http *h, const struct http_request *req, http_done_fn done,
			     void *ud)
{
	struct http_call *c = NULL;
	const char *query;
	CURLMcode mc;
	long timeout;
	int result;

	if (!h || h->free_pending || h->freed || !req || !done || !req->url || !req->url[0] ||
	    !method_ok(req->method) || !header_value_ok(req->url) ||
	    (req->bearer && !header_value_ok(req->bearer)) ||
	    (req->content_type && !header_value_ok(req->content_type)) ||
	    (!req->body && req->body_len)) {
		log_err("http", "invalid request");
		return NULL;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		result = BOT_ERR_NOMEM;
		goto out;
	}
	c->done = done;
	c->ud = ud;
	c->retry_after_s = -1;
	c->max_response = req->max_response ? req->max_response : HTTP_DEFAULT_MAX_RESPONSE;
	buf_init(&c->body, c->max_response);
	c->easy = curl_easy_init();
	if (!c->easy) {
		result = BOT_ERR_NOMEM;
		goto out;
	}
	result = build_headers(c, req);
	if (result)
		goto out;
	timeout = req->timeout_ms > 0 ? req->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	result = setup_easy(h, c, req, timeout);
	if (result)
		goto out;
	mc = curl_multi_add_handle(h->multi, c->easy);
	if (mc != CURLM_OK) {
		log_err("http", "curl_multi_add_handle: %s", curl_multi_strerror(mc));
		result = BOT_ERR_IO;
		goto out;
	}
	call_link(h, c);
	c->deadline = uv_now(h->loop) + (uint64_t)timeout;
	if (c->deadline < h->next_deadline)
		h->next_deadline = c->deadline;
	/* Method and URL up to the query only: never headers, never the token. */
	query = strchr(req->url, '?');
	log_debug("http", "%s %.*s", req->method,
		  (int)(query ? (size_t)(query - req->url) : strlen(req->url)), req->url);
	return c;
out:
	log_err("http", "cannot start %s request: %s", req->method, bot_strerror(result));
	call_free(c);
	return NULL;
}

void http_cancel(struct http *h, struct http_call *call)
{
	if (!h || !call || call == h->current)
		return;  /* the call being finished is freed when its done returns */
	curl_multi_remove_handle(h->multi, call->easy);
	call_unlink(h, call);
	call_free(call);
}

static void free_now(struct http *h)
{
	h->free_pending = false;
	h->freed = true;
	while (h->calls)
		http_cancel(h, h->calls);
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	/* curl_multi_cleanup() closes cached connections; any socket it did not report with
	 * CURL_POLL_REMOVE is closed here. */
	while (h->socks)
		sock_close(h, h->socks);
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, timer_close_cb);
}

void http_free(struct http *h)
{
	if (!h || h->freed || h->free_pending)
		return;
	if (h->dispatching) {
		/* Called from a done callback: finish after it returns (see drain()). */
		h->free_pending = true;
		return;
	}
	free_now(h);
}
