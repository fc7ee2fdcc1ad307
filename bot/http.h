/* http.h - HTTP requests with libcurl's multi interface on the daemon's libuv loop.
 *
 * Nothing blocks: curl's sockets are uv_poll handles and its timeout one uv_timer
 * (curl's multi-uv pattern). Connections are reused. Bearer tokens are sent in the
 * Authorization header and never logged. */
#ifndef WORKSHOPBOT_HTTP_H
#define WORKSHOPBOT_HTTP_H

#include <stddef.h>
#include <uv.h>

struct http;          /* one per loop */
struct http_call;     /* one request in flight */

struct http_request {
	const char *method;         /* "GET", "POST", "PUT" */
	const char *url;
	const char *bearer;         /* token for "Authorization: Bearer", or NULL */
	const char *content_type;   /* e.g. "application/json; charset=utf-8", or NULL */
	const char *body;           /* copied; NULL for none */
	size_t body_len;
	long timeout_ms;            /* whole request; 0 means 30 s */
	size_t max_response;        /* bytes of body kept; 0 means 4 MiB; more fails */
};

struct http_response {
	long status;                /* HTTP status, 0 when no response arrived */
	const char *body;           /* NUL-terminated; borrowed for the callback */
	size_t body_len;
	long retry_after_s;         /* the Retry-After header in seconds, or -1 */
	int error;                  /* 0, or a BOT_ERR_* code for a transport failure */
	const char *error_text;     /* one line on failure (never contains the token) */
};

/* Called once per request, on the loop, unless the call was cancelled. */
typedef void (*http_done_fn)(void *ud, const struct http_response *res);

/* Returns NULL on failure (logged). */
struct http *http_new(uv_loop_t *loop);

/* Starts a request. Returns the call (valid until done or cancelled) or NULL when it
 * could not start (done is then not called). */
struct http_call *http_start(struct http *h, const struct http_request *req, http_done_fn done,
			     void *ud);

/* Abandons a request; its done callback is never called. */
void http_cancel(struct http *h, struct http_call *call);

/* Cancels every request and frees h; its uv handles close asynchronously, so let the
 * loop run afterwards (bot_close() does). */
void http_free(struct http *h);

#endif
