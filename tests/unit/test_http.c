/* test_http.c - bot/http.c (libcurl multi on libuv) against a tiny HTTP/1.1 server that
 * runs on the same loop (tests/unit/http_test_server.h).
 *
 * Requests, bodies and headers, the bearer token (sent, never in error_text or the log),
 * timeouts, the response ceiling, Retry-After, connection refused and dropped, chunked
 * replies, cancelling, concurrency, keep-alive reuse (bounded, across bursts, idle
 * connections not holding the loop), a request queued for a connection timing out, and
 * freeing with requests in flight or from a done callback. Every wait runs the loop under
 * a 5 s watchdog timer, and every case ends by closing the loop: uv_loop_close() must
 * return 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "bot/err.h"
#include "bot/http.h"
#include "bot/log.h"
#include "tests/unit/http_test_server.h"
#include "tests/unit/support.h"

#define TOKEN "xoxb-test-secret-7f3a9c"
#define WATCHDOG_MS 5000
#define MAX_GOT 64

struct fx;

/* What one done callback saw. */
struct got {
	struct fx *fx;
	struct http_call *call;
	int calls;
	long status;
	char *body;
	size_t body_len;
	bool body_terminated;
	long retry_after_s;
	int error;
	bool has_error_text;
	char error_text[BOT_ERRMSG_MAX];
	uint64_t done_at;                       /* uv_hrtime() */
	void (*then)(struct got *g);            /* runs inside the done callback */
	int index;
};

struct fx {
	uv_loop_t loop;
	uv_timer_t watchdog;
	uv_timer_t pause;
	bool timed_out;
	bool paused;
	bool loop_closed;
	struct ts_server srv;
	struct http *h;
	char base[64];                          /* "http://127.0.0.1:PORT" */
	int done_calls;
	int chain_left;                         /* keep-alive chain */
	const char *retry_after;                /* /retry answers with this header value */
	struct got got[MAX_GOT];
};

/* ---- the server's routes ------------------------------------------------------------- */

static void route_ok(struct ts_conn *c, const struct ts_request *req)
{
	char auth[256], ctype[256], expect[64], out[1024];
	const char *a = "none";
	unsigned long sum = 0;
	bool has_expect;

	if (ts_header(req, "Authorization", auth, sizeof auth))
		a = strcmp(auth, "Bearer " TOKEN) == 0 ? "ok" : "bad";
	ts_header(req, "Content-Type", ctype, sizeof ctype);
	has_expect = ts_header(req, "Expect", expect, sizeof expect);
	for (size_t i = 0; i < req->body_len; i++)
		sum = (sum * 31 + (unsigned char)req->body[i]) % 1000000007UL;
	snprintf(out, sizeof out,
		 "{\"method\":\"%s\",\"auth\":\"%s\",\"content_type\":\"%s\",\"body_len\":%zu,"
		 "\"body_sum\":%lu,\"expect\":%s}",
		 req->method, a, ctype, req->body_len, sum, has_expect ? "true" : "false");
	ts_reply_ex(c, 200, "Content-Type: application/json\r\n", out, strlen(out),
		    ts_query_long(req, "close", 0) != 0);
}

/* n bytes of 'x', with Content-Length or (chunked=1) in 16 KiB chunks. */
static void route_big(struct ts_conn *c, const struct ts_request *req)
{
	size_t n = (size_t)ts_query_long(req, "n", 100000);
	bool chunked = ts_query_long(req, "chunked", 0) != 0;
	char *body = malloc(n + 1);

	if (!body) {
		ts_drop(c);
		return;
	}
	memset(body, 'x', n);
	if (!chunked) {
		ts_reply_ex(c, 200, NULL, body, n, false);
	} else {
		size_t cap = n + n / 1024 + 256, len = 0;
		char *raw = malloc(cap);

		if (!raw) {
			free(body);
			ts_drop(c);
			return;
		}
		len += (size_t)snprintf(raw, cap, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (size_t off = 0; off < n; off += 16384) {
			size_t k = n - off < 16384 ? n - off : 16384;
			len += (size_t)snprintf(raw + len, cap - len, "%zx\r\n", k);
			memcpy(raw + len, body + off, k);
			len += k;
			memcpy(raw + len, "\r\n", 2);
			len += 2;
		}
		len += (size_t)snprintf(raw + len, cap - len, "0\r\n\r\n");
		ts_reply_raw(c, raw, len);
		free(raw);
	}
	free(body);
}

static void route(void *ud, struct ts_conn *c, const struct ts_request *req)
{
	static const char chunked[] =
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
		"5\r\nhello\r\n7\r\n, world\r\n1\r\n!\r\n0\r\n\r\n";
	struct fx *f = ud;
	char extra[256];

	if (strcmp(req->path, "/ok") == 0) {
		route_ok(c, req);
	} else if (strcmp(req->path, "/slow") == 0) {
		ts_reply_later(c, (uint64_t)ts_query_long(req, "ms", 2000), 200, NULL, "slow");
	} else if (strcmp(req->path, "/big") == 0) {
		route_big(c, req);
	} else if (strcmp(req->path, "/429") == 0) {
		ts_reply(c, 429, "Retry-After: 3\r\n", "{\"ok\":false,\"error\":\"ratelimited\"}");
	} else if (strcmp(req->path, "/retry") == 0) {
		snprintf(extra, sizeof extra, "Retry-After:%s\r\n", f->retry_after);
		ts_reply(c, 503, f->retry_after ? extra : NULL, "later");
	} else if (strcmp(req->path, "/close") == 0) {
		ts_drop(c);
	} else if (strcmp(req->path, "/chunked") == 0) {
		ts_reply_raw(c, chunked, sizeof chunked - 1);
	} else if (strcmp(req->path, "/status") == 0) {
		ts_reply(c, (int)ts_query_long(req, "code", 500), NULL, "oops");
	} else if (strcmp(req->path, "/redirect") == 0) {
		ts_reply(c, 302, "Location: /ok\r\n", "");
	} else {
		ts_reply(c, 404, NULL, "not found");
	}
}

/* ---- loop helpers --------------------------------------------------------------------- */

static void watchdog_fired(uv_timer_t *t)
{
	struct fx *f = t->data;

	f->timed_out = true;
	uv_stop(&f->loop);
}

static void pause_fired(uv_timer_t *t)
{
	struct fx *f = t->data;

	f->paused = false;
	uv_stop(&f->loop);
}

/* Runs the loop until expr holds; fails the test if the watchdog fires first. Callbacks
 * that change what expr looks at from a timer (done, the pause) call uv_stop(), so that
 * UV_RUN_ONCE does not go on to wait for I/O. */
#define RUN_UNTIL(f, expr)                                                               \
	do {                                                                             \
		(f)->timed_out = false;                                                  \
		uv_timer_start(&(f)->watchdog, watchdog_fired, WATCHDOG_MS, 0);          \
		while (!(expr) && !(f)->timed_out)                                       \
			uv_run(&(f)->loop, UV_RUN_ONCE);                                 \
		uv_timer_stop(&(f)->watchdog);                                           \
		if (!(expr))                                                             \
			fail_msg("watchdog: \"%s\" not reached in %d ms", #expr, WATCHDOG_MS); \
	} while (0)

/* Runs the loop for ms milliseconds. */
static void run_for(struct fx *f, uint64_t ms)
{
	f->paused = true;
	uv_timer_start(&f->pause, pause_fired, ms, 0);
	RUN_UNTIL(f, !f->paused);
}

static void walk_print(uv_handle_t *handle, void *arg)
{
	(void)arg;
	fprintf(stderr, "  open handle: %s%s\n", uv_handle_type_name(handle->type),
		uv_is_closing(handle) ? " (closing)" : "");
}

/* Frees h, closes the server and the timers, runs the loop until every handle has closed
 * (bounded) and closes it. Returns uv_loop_close()'s result. */
static int close_loop(struct fx *f)
{
	uint64_t until = uv_hrtime() + (uint64_t)WATCHDOG_MS * 1000000;
	int rc;

	if (f->loop_closed)
		return 0;
	if (f->h) {
		http_free(f->h);
		f->h = NULL;
	}
	ts_server_close(&f->srv);
	uv_close((uv_handle_t *)&f->watchdog, NULL);
	uv_close((uv_handle_t *)&f->pause, NULL);
	while (uv_run(&f->loop, UV_RUN_NOWAIT) != 0 && uv_hrtime() < until)
		uv_sleep(1);
	rc = uv_loop_close(&f->loop);
	if (rc != 0) {
		fprintf(stderr, "uv_loop_close: %s\n", uv_strerror(rc));
		uv_walk(&f->loop, walk_print, NULL);
		return rc;
	}
	f->loop_closed = true;
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	if (uv_loop_init(&f->loop) != 0)
		return -1;
	uv_timer_init(&f->loop, &f->watchdog);
	uv_timer_init(&f->loop, &f->pause);
	f->watchdog.data = f;
	f->pause.data = f;
	if (ts_server_start(&f->srv, &f->loop, route, f) != 0)
		return -1;
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->srv.port);
	f->h = http_new(&f->loop);
	if (!f->h)
		return -1;
	for (int i = 0; i < MAX_GOT; i++) {
		f->got[i].fx = f;
		f->got[i].index = i;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = close_loop(f);

	for (int i = 0; i < MAX_GOT; i++)
		free(f->got[i].body);
	free(f);
	return rc == 0 ? 0 : -1;
}

/* Sends stderr (where the log goes) to a temporary file until capture_end(). */
struct capture {
	char path[64];
	int fd;
	int saved;
};

static void capture_begin(struct capture *c)
{
	snprintf(c->path, sizeof c->path, "/tmp/test_http_log.XXXXXX");
	c->fd = mkstemp(c->path);
	if (c->fd < 0)
		fail_msg("mkstemp failed");
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	if (c->saved < 0 || dup2(c->fd, STDERR_FILENO) < 0)
		fail_msg("cannot redirect stderr");
}

/* Restores stderr and returns what was logged (caller frees). */
static char *capture_end(struct capture *c)
{
	size_t len;
	char *text;

	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->fd);
	text = file_read(c->path, &len);
	unlink(c->path);
	if (!text)
		fail_msg("cannot read %s", c->path);
	return text;
}

/* ---- requests ------------------------------------------------------------------------- */

static void on_done(void *ud, const struct http_response *res)
{
	struct got *g = ud;

	g->calls++;
	g->fx->done_calls++;
	uv_stop(&g->fx->loop);
	g->status = res->status;
	g->retry_after_s = res->retry_after_s;
	g->error = res->error;
	g->done_at = uv_hrtime();
	g->body_terminated = res->body && res->body[res->body_len] == '\0';
	free(g->body);
	g->body = malloc(res->body_len + 1);
	if (g->body) {
		if (res->body_len)
			memcpy(g->body, res->body, res->body_len);
		g->body[res->body_len] = '\0';
	}
	g->body_len = res->body_len;
	g->has_error_text = res->error_text != NULL;
	snprintf(g->error_text, sizeof g->error_text, "%s", res->error_text ? res->error_text : "");
	if (g->then)
		g->then(g);
}

/* Starts method base+path into f->got[i]; fails the test if it does not start. */
static struct http_call *start_req(struct fx *f, int i, const char *method, const char *path,
				   const struct http_request *tmpl)
{
	struct http_request req;
	char url[256];

	if (tmpl)
		req = *tmpl;
	else
		memset(&req, 0, sizeof req);
	snprintf(url, sizeof url, "%s%s", f->base, path);
	req.method = method;
	req.url = url;
	f->got[i].call = http_start(f->h, &req, on_done, &f->got[i]);
	if (!f->got[i].call)
		fail_msg("http_start %s %s returned NULL", method, path);
	return f->got[i].call;
}

static void test_get(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];

	start_req(f, 0, "GET", "/ok", NULL);
	RUN_UNTIL(f, g->calls == 1);
	assert_int_equal(g->error, 0);
	assert_false(g->has_error_text);
	assert_int_equal(g->status, 200);
	assert_int_equal(g->retry_after_s, -1);
	assert_true(g->body_terminated);
	assert_int_equal(g->body_len, strlen(g->body));
	assert_contains(g->body, "\"method\":\"GET\"");
	assert_contains(g->body, "\"auth\":\"none\"");
	assert_contains(g->body, "\"content_type\":\"\"");
	assert_contains(g->body, "\"body_len\":0,");
	assert_int_equal(f->done_calls, 1);
}

static unsigned long body_sum(const char *s, size_t n)
{
	unsigned long sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (sum * 31 + (unsigned char)s[i]) % 1000000007UL;
	return sum;
}

/* A 5000-byte body with NULs, copied at http_start (the caller's copy is freed at once),
 * the bearer header and Content-Type; no "Expect: 100-continue" round trip. */
static void test_post_body_bearer(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];
	struct http_request req = { .bearer = TOKEN,
				    .content_type = "application/json; charset=utf-8" };
	size_t n = 5000;
	char *body = malloc(n), want[128];

	assert_non_null(body);
	for (size_t i = 0; i < n; i++)
		body[i] = (char)(i % 7 == 0 ? 0 : 'a' + i % 26);
	snprintf(want, sizeof want, "\"body_len\":5000,\"body_sum\":%lu,", body_sum(body, n));
	req.body = body;
	req.body_len = n;
	start_req(f, 0, "POST", "/ok", &req);
	memset(body, 'Z', n);
	free(body);
	RUN_UNTIL(f, g->calls == 1);
	assert_int_equal(g->error, 0);
	assert_int_equal(g->status, 200);
	assert_contains(g->body, "\"method\":\"POST\"");
	assert_contains(g->body, "\"auth\":\"ok\"");
	assert_contains(g->body, "\"content_type\":\"application/json; charset=utf-8\"");
	assert_contains(g->body, want);
	assert_contains(g->body, "\"expect\":false");
}

/* PUT with a body, POST with none, DELETE; a 500 and a redirect are answers, not errors
 * (and redirects are not followed). */
static void test_methods_and_statuses(void **state)
{
	struct fx *f = *state;
	struct http_request put = { .body = "{\"a\":1}", .body_len = 7,
				    .content_type = "application/json" };

	start_req(f, 0, "PUT", "/ok", &put);
	start_req(f, 1, "POST", "/ok", NULL);
	start_req(f, 2, "DELETE", "/ok", NULL);
	start_req(f, 3, "GET", "/status?code=500", NULL);
	start_req(f, 4, "GET", "/redirect", NULL);
	start_req(f, 5, "GET", "/nowhere", NULL);
	RUN_UNTIL(f, f->done_calls == 6);
	assert_contains(f->got[0].body, "\"method\":\"PUT\"");
	assert_contains(f->got[0].body, "\"body_len\":7,");
	assert_contains(f->got[1].body, "\"method\":\"POST\"");
	assert_contains(f->got[1].body, "\"body_len\":0,");
	assert_contains(f->got[2].body, "\"method\":\"DELETE\"");
	assert_int_equal(f->got[3].status, 500);
	assert_int_equal(f->got[3].error, 0);
	assert_string_equal(f->got[3].body, "oops");
	assert_int_equal(f->got[4].status, 302);
	assert_int_equal(f->got[4].error, 0);
	assert_int_equal(f->got[5].status, 404);
	assert_int_equal(f->srv.requests, 6);  /* the redirect was not followed */
}

static void test_chunked(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];

	start_req(f, 0, "GET", "/chunked", NULL);
	RUN_UNTIL(f, g->calls == 1);
	assert_int_equal(g->error, 0);
	assert_int_equal(g->status, 200);
	assert_string_equal(g->body, "hello, world!");
	assert_int_equal(g->body_len, 13);
}

static void test_429_retry_after(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];

	start_req(f, 0, "POST", "/429", NULL);
	RUN_UNTIL(f, g->calls == 1);
	assert_int_equal(g->error, 0);
	assert_int_equal(g->status, 429);
	assert_int_equal(g->retry_after_s, 3);
	assert_contains(g->body, "ratelimited");
}

/* Retry-After: digits only; anything else (an HTTP date, junk, overflow) is -1. */
static void test_retry_after_forms(void **state)
{
	static const struct {
		const char *description;
		const char *header;             /* value after "Retry-After:", NULL: absent */
		long want;
	} cases[] = {
		{ "absent", NULL, -1 },
		{ "plain", " 120", 120 },
		{ "zero", " 0", 0 },
		{ "no space, trailing blanks", "7  ", 7 },
		{ "tab", "\t42", 42 },
		{ "http date", " Fri, 31 Dec 1999 23:59:59 GMT", -1 },
		{ "digits then junk", " 12abc", -1 },
		{ "negative", " -5", -1 },
		{ "empty", "", -1 },
		{ "overflow", " 99999999999999999999999", -1 },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct got *g = &f->got[i];

		f->retry_after = cases[i].header;
		start_req(f, (int)i, "GET", "/retry", NULL);
		RUN_UNTIL(f, g->calls == 1);
		assert_int_equal(g->status, 503);
		if (g->retry_after_s != cases[i].want)
			fail_msg("%s: retry_after_s %ld, want %ld", cases[i].description,
				 g->retry_after_s, cases[i].want);
	}
}

/* /slow answers after 2 s; timeout_ms 200 ends the request with an error well before. */
static void test_timeout(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];
	struct http_request req = { .timeout_ms = 200, .bearer = TOKEN };
	uint64_t t0 = uv_hrtime(), ms;

	start_req(f, 0, "GET", "/slow?ms=2000", &req);
	RUN_UNTIL(f, g->calls == 1);
	ms = (g->done_at - t0) / 1000000;
	assert_int_equal(g->error, BOT_ERR_IO);
	assert_int_equal(g->status, 0);
	assert_true(g->has_error_text);
	assert_contains(g->error_text, "Timeout");
	assert_not_contains(g->error_text, TOKEN);
	assert_null(strchr(g->error_text, '\n'));
	assert_string_equal(g->body, "");
	if (ms < 150 || ms > 1500)
		fail_msg("timed out after %llu ms, want about 200", (unsigned long long)ms);
	/* A slow answer within the timeout is fine. */
	req.timeout_ms = 2000;
	start_req(f, 1, "GET", "/slow?ms=100", &req);
	req.timeout_ms = 0;
	start_req(f, 2, "GET", "/slow?ms=300", &req);
	RUN_UNTIL(f, f->done_calls == 3);
	assert_int_equal(f->got[1].error, 0);
	assert_string_equal(f->got[1].body, "slow");
	assert_int_equal(f->got[2].error, 0);
}

/* Bodies over max_response fail with one line naming the ceiling, with Content-Length
 * (refused before reading) and chunked (cut while reading); exactly the ceiling is fine. */
static void test_max_response(void **state)
{
	struct fx *f = *state;
	struct http_request req = { .max_response = 10000 };

	start_req(f, 0, "GET", "/big?n=100000", &req);
	start_req(f, 1, "GET", "/big?n=100000&chunked=1", &req);
	start_req(f, 2, "GET", "/big?n=10000", &req);
	start_req(f, 3, "GET", "/big?n=10000&chunked=1", &req);
	start_req(f, 4, "GET", "/big?n=10001&chunked=1", &req);
	RUN_UNTIL(f, f->done_calls == 5);
	for (int i = 0; i < 5; i++) {
		struct got *g = &f->got[i];
		bool fits = i == 2 || i == 3;

		if (fits) {
			assert_int_equal(g->error, 0);
			assert_int_equal(g->body_len, 10000);
			assert_int_equal(strspn(g->body, "x"), 10000);
		} else {
			assert_int_equal(g->error, BOT_ERR_IO);
			assert_string_equal(g->error_text, "response larger than 10000 bytes");
			assert_int_equal(g->body_len, 0);
		}
	}
}

/* The default ceiling is 4 MiB. */
static void test_max_response_default(void **state)
{
	struct fx *f = *state;

	start_req(f, 0, "GET", "/big?n=4194305&chunked=1", NULL);
	start_req(f, 1, "GET", "/big?n=4194304", NULL);
	RUN_UNTIL(f, f->done_calls == 2);
	assert_int_equal(f->got[0].error, BOT_ERR_IO);
	assert_string_equal(f->got[0].error_text, "response larger than 4194304 bytes");
	assert_int_equal(f->got[1].error, 0);
	assert_int_equal(f->got[1].body_len, 4194304);
}

/* A port nobody listens on: an error, status 0, no token in the text. */
static void test_connection_refused(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];
	struct http_request req = { .method = "POST", .bearer = TOKEN, .body = "{}",
				    .body_len = 2 };
	struct sockaddr_in addr;
	struct sockaddr_storage name;
	int namelen = sizeof name, port;
	uv_tcp_t tmp;
	char url[128];

	/* A free port: bind, read it back, close. */
	uv_tcp_init(&f->loop, &tmp);
	uv_ip4_addr("127.0.0.1", 0, &addr);
	assert_int_equal(uv_tcp_bind(&tmp, (const struct sockaddr *)&addr, 0), 0);
	assert_int_equal(uv_tcp_getsockname(&tmp, (struct sockaddr *)&name, &namelen), 0);
	port = ntohs(((struct sockaddr_in *)&name)->sin_port);
	uv_close((uv_handle_t *)&tmp, NULL);
	run_for(f, 1);

	snprintf(url, sizeof url, "http://127.0.0.1:%d/ok", port);
	req.url = url;
	g->call = http_start(f->h, &req, on_done, g);
	assert_non_null(g->call);
	RUN_UNTIL(f, g->calls == 1);
	assert_int_equal(g->error, BOT_ERR_IO);
	assert_int_equal(g->status, 0);
	assert_int_equal(g->retry_after_s, -1);
	assert_contains(g->error_text, "connect");
	assert_not_contains(g->error_text, TOKEN);
	assert_not_contains(g->error_text, "Bearer");
	assert_string_equal(g->body, "");
}

/* The server closes the connection without answering. */
static void test_dropped_connection(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];
	struct http_request req = { .bearer = TOKEN };

	start_req(f, 0, "GET", "/close", &req);
	RUN_UNTIL(f, g->calls == 1);
	assert_int_equal(g->error, BOT_ERR_IO);
	assert_int_equal(g->status, 0);
	assert_true(g->error_text[0] != '\0');
	assert_not_contains(g->error_text, TOKEN);
}

/* Errors that show only when the transfer runs still come through done, never from
 * http_start itself. */
static void test_bad_url_fails_in_done(void **state)
{
	struct fx *f = *state;
	struct http_request req = { .method = "GET" };

	req.url = "ftp://127.0.0.1/file";
	f->got[0].call = http_start(f->h, &req, on_done, &f->got[0]);
	req.url = "http://[::1";
	f->got[1].call = http_start(f->h, &req, on_done, &f->got[1]);
	assert_non_null(f->got[0].call);
	assert_non_null(f->got[1].call);
	assert_int_equal(f->done_calls, 0);
	RUN_UNTIL(f, f->done_calls == 2);
	assert_int_equal(f->got[0].error, BOT_ERR_IO);
	assert_int_equal(f->got[0].status, 0);
	assert_int_equal(f->got[1].error, BOT_ERR_IO);
}

/* Requests that cannot be made return NULL; done is not called. */
static void test_invalid_requests(void **state)
{
	static const struct {
		const char *description;
		struct http_request req;
	} cases[] = {
		{ "no url", { .method = "GET" } },
		{ "empty url", { .method = "GET", .url = "" } },
		{ "no method", { .url = "http://127.0.0.1:1/" } },
		{ "lower-case method", { .method = "get", .url = "http://127.0.0.1:1/" } },
		{ "method with CRLF", { .method = "GET\r\n", .url = "http://127.0.0.1:1/" } },
		{ "url with CRLF", { .method = "GET", .url = "http://127.0.0.1:1/\r\nX: y" } },
		{ "bearer with LF", { .method = "GET", .url = "http://127.0.0.1:1/",
				      .bearer = "abc\nX-Evil: 1" } },
		{ "content type with CR", { .method = "POST", .url = "http://127.0.0.1:1/",
					    .content_type = "text/plain\rX: y" } },
		{ "length without body", { .method = "POST", .url = "http://127.0.0.1:1/",
					   .body_len = 5 } },
	};
	struct fx *f = *state;
	struct http_request ok = { .method = "GET", .url = "http://127.0.0.1:1/" };
	struct capture cap;
	struct http_call *call[ARRAY_LEN(cases) + 3];
	char *log;

	capture_begin(&cap);
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		call[i] = http_start(f->h, &cases[i].req, on_done, &f->got[0]);
	call[ARRAY_LEN(cases)] = http_start(NULL, &ok, on_done, NULL);
	call[ARRAY_LEN(cases) + 1] = http_start(f->h, NULL, on_done, NULL);
	call[ARRAY_LEN(cases) + 2] = http_start(f->h, &ok, NULL, NULL);
	log = capture_end(&cap);
	for (size_t i = 0; i < ARRAY_LEN(call); i++) {
		if (call[i] != NULL)
			fail_msg("case %zu (%s): http_start did not refuse", i,
				 i < ARRAY_LEN(cases) ? cases[i].description : "NULL argument");
	}
	assert_contains(log, "invalid request");
	assert_not_contains(log, "X-Evil");
	free(log);
	run_for(f, 20);
	assert_int_equal(f->done_calls, 0);
	http_cancel(f->h, NULL);  /* harmless */
}

/* The token and query strings never reach the log, not even at debug level. */
static void test_token_not_logged(void **state)
{
	struct fx *f = *state;
	struct http_request req = { .bearer = TOKEN, .timeout_ms = 100 };
	struct capture cap;
	char *log;

	capture_begin(&cap);
	log_set_level(LOG_DEBUG);
	start_req(f, 0, "GET", "/ok?q=query-text", &req);
	start_req(f, 1, "GET", "/close", &req);
	start_req(f, 2, "GET", "/slow?ms=1000", &req);
	RUN_UNTIL(f, f->done_calls == 3);
	log_set_level(LOG_ERR);
	log = capture_end(&cap);
	assert_contains(f->got[0].body, "\"auth\":\"ok\"");
	assert_contains(log, "GET http://127.0.0.1:");
	assert_not_contains(log, TOKEN);
	assert_not_contains(log, "query-text");
	assert_not_contains(f->got[1].error_text, TOKEN);
	assert_not_contains(f->got[2].error_text, TOKEN);
	free(log);
}

/* A cancelled request never calls done; its connection is closed; nothing leaks (the
 * sanitizers and valgrind check that). */
static void test_cancel(void **state)
{
	struct fx *f = *state;

	/* Cancelled before the loop ran at all. */
	start_req(f, 0, "GET", "/ok", NULL);
	http_cancel(f->h, f->got[0].call);
	/* Cancelled while the server holds the request. */
	start_req(f, 1, "GET", "/slow?ms=300", NULL);
	/* A neighbour that completes. */
	start_req(f, 2, "GET", "/slow?ms=100", NULL);
	RUN_UNTIL(f, f->srv.requests >= 2 && f->srv.open == 2);
	http_cancel(f->h, f->got[1].call);
	run_for(f, 500);
	assert_int_equal(f->got[0].calls, 0);
	assert_int_equal(f->got[1].calls, 0);
	assert_int_equal(f->got[2].calls, 1);
	assert_int_equal(f->got[2].status, 200);
	/* The cancelled transfer's connection was closed, not returned to the cache. */
	assert_int_equal(f->srv.open, 1);
}

/* 20 requests at once all complete, in parallel (each takes 100 ms on the server). */
static void test_concurrent(void **state)
{
	struct fx *f = *state;
	uint64_t t0 = uv_hrtime(), ms;

	for (int i = 0; i < 20; i++)
		start_req(f, i, "GET", "/slow?ms=100", NULL);
	RUN_UNTIL(f, f->done_calls == 20);
	ms = (uv_hrtime() - t0) / 1000000;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(f->got[i].calls, 1);
		assert_int_equal(f->got[i].error, 0);
		assert_int_equal(f->got[i].status, 200);
	}
	assert_int_equal(f->srv.requests, 20);
	assert_true(f->srv.max_open > 1);
	if (ms > 1900)
		fail_msg("20 concurrent 100 ms requests took %llu ms", (unsigned long long)ms);
}

/* Counts the poll handles that keep the loop running. */
static void count_holding_polls(uv_handle_t *handle, void *arg)
{
	if (handle->type == UV_POLL && uv_is_active(handle) && uv_has_ref(handle))
		(*(int *)arg)++;
}

/* Each done starts the next request: 50 sequential POSTs over kept-alive connections. */
static void chain_next(struct got *g)
{
	struct fx *f = g->fx;
	struct http_request req = { .body = "{\"n\":1}", .body_len = 7, .bearer = TOKEN,
				    .content_type = "application/json" };
	char url[128];

	if (--f->chain_left <= 0)
		return;
	snprintf(url, sizeof url, "%s/ok", f->base);
	req.method = "POST";
	req.url = url;
	g->call = http_start(f->h, &req, on_done, g);
}

static void test_keepalive_reuse(void **state)
{
	struct fx *f = *state;
	struct got *g = &f->got[0];
	struct http_request req = { .body = "{\"n\":1}", .body_len = 7, .bearer = TOKEN,
				    .content_type = "application/json" };
	int holding = 0;

	f->chain_left = 50;
	g->then = chain_next;
	start_req(f, 0, "POST", "/ok", &req);
	RUN_UNTIL(f, f->done_calls == 50);
	assert_int_equal(f->srv.requests, 50);
	assert_int_equal(g->status, 200);
	assert_contains(g->body, "\"auth\":\"ok\"");
	print_message("keep-alive: 50 sequential requests used %d TCP connection(s)\n",
		      f->srv.accepted);
	assert_true(f->srv.accepted <= 3);
	/* The idle kept-alive connection does not keep the loop running. */
	run_for(f, 20);
	uv_walk(&f->loop, count_holding_polls, &holding);
	assert_int_equal(holding, 0);
}

/* HTTP_MAX_HOST_CONNECTIONS in bot/http.c. */
#define HOST_CONNECTIONS 32

/* Bursts of requests to one host share kept-alive connections: at most HOST_CONNECTIONS,
 * and they outlive the burst (curl's default cache keeps 4 per transfer in progress, so
 * it closed most of them as the burst ended). */
static void test_bursts_share_connections(void **state)
{
	struct fx *f = *state;

	for (int burst = 1; burst <= 3; burst++) {
		for (int i = 0; i < 40; i++)
			start_req(f, i, "GET", "/ok", NULL);
		RUN_UNTIL(f, f->done_calls == 40 * burst);
	}
	for (int i = 0; i < 40; i++)
		assert_int_equal(f->got[i].status, 200);
	print_message("3 bursts of 40 requests used %d TCP connection(s)\n", f->srv.accepted);
	assert_true(f->srv.max_open <= HOST_CONNECTIONS);
	assert_true(f->srv.accepted <= HOST_CONNECTIONS);
}

/* A request waiting for a free connection still times out on time (curl 7.88 alone would
 * end it only once a connection is free), and the queue moves on. */
static void test_queued_request_times_out(void **state)
{
	struct fx *f = *state;
	struct http_request req = { .timeout_ms = 300 };
	struct got *g = &f->got[HOST_CONNECTIONS];
	uint64_t t0, ms;

	for (int i = 0; i < HOST_CONNECTIONS; i++)
		start_req(f, i, "GET", "/slow?ms=800", NULL);
	t0 = uv_hrtime();
	start_req(f, HOST_CONNECTIONS, "GET", "/ok", &req);
	RUN_UNTIL(f, g->calls == 1);
	ms = (g->done_at - t0) / 1000000;
	assert_int_equal(g->error, BOT_ERR_IO);
	assert_int_equal(g->status, 0);
	assert_contains(g->error_text, "Timeout");
	if (ms < 250 || ms > 700)
		fail_msg("queued request timed out after %llu ms, want about 300",
			 (unsigned long long)ms);
	RUN_UNTIL(f, f->done_calls == HOST_CONNECTIONS + 1);
	for (int i = 0; i < HOST_CONNECTIONS; i++)
		assert_int_equal(f->got[i].status, 200);
	assert_true(f->srv.max_open <= HOST_CONNECTIONS);
}

/* The server closes idle kept-alive connections, or says "Connection: close": the next
 * request still works (on a new connection). */
static void test_reuse_after_server_close(void **state)
{
	struct fx *f = *state;

	start_req(f, 0, "GET", "/ok", NULL);
	RUN_UNTIL(f, f->done_calls == 1);
	ts_server_drop_idle(&f->srv);
	RUN_UNTIL(f, f->srv.open == 0);
	run_for(f, 20);
	start_req(f, 1, "GET", "/ok?close=1", NULL);
	RUN_UNTIL(f, f->done_calls == 2);
	RUN_UNTIL(f, f->srv.open == 0);
	start_req(f, 2, "GET", "/ok", NULL);
	RUN_UNTIL(f, f->done_calls == 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->got[i].error, 0);
		assert_int_equal(f->got[i].status, 200);
	}
	assert_int_equal(f->srv.accepted, 3);
}

/* http_free with requests in flight: no done call, every handle closes. */
static void test_free_in_flight(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++)
		start_req(f, i, "POST", "/slow?ms=2000", NULL);
	start_req(f, 5, "GET", "/ok", NULL);
	RUN_UNTIL(f, f->done_calls == 1 && f->srv.requests == 6);
	http_free(f->h);
	f->h = NULL;
	RUN_UNTIL(f, f->srv.open == 0);  /* curl closed its connections */
	assert_int_equal(close_loop(f), 0);
	assert_int_equal(f->done_calls, 1);
}

/* A done callback may cancel another request and start a new one. */
static void cancel_other_start_new(struct got *g)
{
	struct fx *f = g->fx;
	struct http_request req = { .method = "GET" };
	char url[128];

	http_cancel(f->h, f->got[1].call);
	http_cancel(f->h, g->call);             /* its own call: ignored */
	snprintf(url, sizeof url, "%s/chunked", f->base);
	req.url = url;
	f->got[2].call = http_start(f->h, &req, on_done, &f->got[2]);
}

static void test_done_cancels_and_starts(void **state)
{
	struct fx *f = *state;

	f->got[0].then = cancel_other_start_new;
	start_req(f, 0, "GET", "/ok", NULL);
	start_req(f, 1, "GET", "/slow?ms=300", NULL);
	RUN_UNTIL(f, f->got[2].calls == 1);
	run_for(f, 400);
	assert_int_equal(f->got[0].calls, 1);
	assert_int_equal(f->got[1].calls, 0);
	assert_string_equal(f->got[2].body, "hello, world!");
	assert_int_equal(f->done_calls, 2);
}

/* Many requests finish in the same curl_multi_socket_action() (bad URLs all fail on the
 * first timer action; timeouts started together expire together); the first done cancels
 * all the others. Whatever curl had already queued for them must not be delivered. */
static void cancel_all_others(struct got *g)
{
	struct fx *f = g->fx;

	for (int i = 0; i < 10; i++) {
		if (i != g->index && f->got[i].calls == 0 && f->got[i].call) {
			http_cancel(f->h, f->got[i].call);
			f->got[i].call = NULL;
		}
	}
}

static void test_done_cancels_queued(void **state)
{
	struct fx *f = *state;
	struct http_request bad = { .method = "GET", .url = "http://[::1" };
	struct http_request slow = { .timeout_ms = 100 };

	for (int i = 0; i < 10; i++) {
		f->got[i].then = cancel_all_others;
		f->got[i].call = http_start(f->h, &bad, on_done, &f->got[i]);
		assert_non_null(f->got[i].call);
	}
	RUN_UNTIL(f, f->done_calls >= 1);
	run_for(f, 50);
	assert_int_equal(f->done_calls, 1);

	f->done_calls = 0;
	for (int i = 0; i < 10; i++) {
		free(f->got[i].body);
		memset(&f->got[i], 0, sizeof f->got[i]);
		f->got[i].fx = f;
		f->got[i].index = i;
		f->got[i].then = cancel_all_others;
		start_req(f, i, "GET", "/slow?ms=2000", &slow);
	}
	RUN_UNTIL(f, f->done_calls >= 1);
	run_for(f, 300);
	assert_int_equal(f->done_calls, 1);
}

/* A done callback may free h: the other requests are abandoned without done. */
static void free_from_done(struct got *g)
{
	struct fx *f = g->fx;

	http_free(f->h);
	f->h = NULL;
}

static void test_free_from_done(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++) {
		f->got[i].then = free_from_done;
		start_req(f, i, "GET", "/slow?ms=50", NULL);
	}
	RUN_UNTIL(f, f->done_calls >= 1);
	run_for(f, 200);
	assert_int_equal(f->done_calls, 1);
	assert_null(f->h);
	assert_int_equal(close_loop(f), 0);
}

/* The same when several transfers finished in one action: the first done frees h, the
 * others (already queued by curl) are not delivered. */
static void test_free_from_done_queued(void **state)
{
	struct fx *f = *state;
	struct http_request bad = { .method = "GET", .url = "http://[::1" };

	for (int i = 0; i < 5; i++) {
		f->got[i].then = free_from_done;
		f->got[i].call = http_start(f->h, &bad, on_done, &f->got[i]);
		assert_non_null(f->got[i].call);
	}
	RUN_UNTIL(f, f->done_calls >= 1);
	run_for(f, 50);
	assert_int_equal(f->done_calls, 1);
	assert_null(f->h);
	assert_int_equal(close_loop(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		CASE(test_get),
		CASE(test_post_body_bearer),
		CASE(test_methods_and_statuses),
		CASE(test_chunked),
		CASE(test_429_retry_after),
		CASE(test_retry_after_forms),
		CASE(test_timeout),
		CASE(test_max_response),
		CASE(test_max_response_default),
		CASE(test_connection_refused),
		CASE(test_dropped_connection),
		CASE(test_bad_url_fails_in_done),
		CASE(test_invalid_requests),
		CASE(test_token_not_logged),
		CASE(test_cancel),
		CASE(test_concurrent),
		CASE(test_keepalive_reuse),
		CASE(test_bursts_share_connections),
		CASE(test_queued_request_times_out),
		CASE(test_reuse_after_server_close),
		CASE(test_free_in_flight),
		CASE(test_done_cancels_and_starts),
		CASE(test_done_cancels_queued),
		CASE(test_free_from_done),
		CASE(test_free_from_done_queued),
#undef CASE
	};
	int failed;

	/* The test server writes to sockets the client may have closed. */
	signal(SIGPIPE, SIG_IGN);
	/* Requests go to 127.0.0.1 directly, whatever the environment says. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	log_set_level(LOG_ERR);
	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	failed = cmocka_run_group_tests_name("http", tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
