/* matrix_api.c - client-server API calls over the shared http client, and what their
 * errors mean. The access token goes only into the Authorization header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/log.h"
#include "bot/matrix_internal.h"

#define API_MAX_RESPONSE (8 * 1024 * 1024)  /* a first sync of a busy account is large */

struct matrix_call {
	struct matrix *m;
	struct http_call *http;
	char what[64];
	matrix_done_fn done;
	void *ud;
	struct matrix_call *next;
};

static void unlink_call(struct matrix *m, struct matrix_call *call)
{
	for (struct matrix_call **p = &m->calls; *p; p = &(*p)->next) {
		if (*p == call) {
			*p = call->next;
			return;
		}
	}
}

static void on_http_done(void *ud, const struct http_response *res)
{
	struct matrix_call *call = ud;
	struct matrix *m = call->m;
	json_error_t jerr;
	struct matrix_result r = { .status = res->status, .raw = res->body,
				   .raw_len = res->body_len, .retry_after_ms = -1 };

	unlink_call(m, call);
	if (m->sync_call == call)
		m->sync_call = NULL;
	if (res->retry_after_s >= 0)
		r.retry_after_ms = res->retry_after_s * 1000;
	if (res->error) {
		r.error = res->error_text ? res->error_text : "network error";
	} else {
		r.body = json_loadb(res->body, res->body_len, 0, &jerr);
		r.errcode = json_string_value(json_object_get(r.body, "errcode"));
		r.ok = res->status >= 200 && res->status < 300 && json_is_object(r.body);
		if (json_is_integer(json_object_get(r.body, "retry_after_ms")) && r.retry_after_ms < 0)
			r.retry_after_ms = (long)json_integer_value(json_object_get(r.body,
										    "retry_after_ms"));
		if (!r.ok) {
			r.error = json_string_value(json_object_get(r.body, "error"));
			if (!r.error)
				r.error = r.body ? "an error without a message" : "an answer that is not JSON";
		}
	}
	if (!r.ok)
		log_debug("matrix", "%s: HTTP %ld %s: %s", call->what, r.status,
			  r.errcode ? r.errcode : "", r.error);
	call->done(m, call->ud, &r);
	json_decref(r.body);
	free(call);
}

struct matrix_call *matrix_api_call(struct matrix *m, const char *method, const char *path,
				    json_t *body, bool authorised, long timeout_ms,
				    matrix_done_fn done, void *ud)
{
	struct matrix_call *call = calloc(1, sizeof *call);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	const char *base = m->cfg->matrix_homeserver;
	size_t base_len = strlen(base);
	char url[2048];
	struct http_request req = {
		.method = method,
		.url = url,
		.bearer = authorised ? m->token : NULL,
		.content_type = text ? "application/json" : NULL,
		.body = text,
		.body_len = text ? strlen(text) : 0,
		.timeout_ms = timeout_ms,
		.max_response = API_MAX_RESPONSE,
	};
	struct matrix_result failed = { .error = "could not start the request",
					.retry_after_ms = -1 };

	json_decref(body);
	while (base_len > 0 && base[base_len - 1] == '/')
		base_len--;
	snprintf(url, sizeof url, "%.*s/_matrix/client/v3%s", (int)base_len, base, path);
	if (!call || (body && !text)) {
		free(call);
		free(text);
		done(m, ud, &failed);
		return NULL;
	}
	/* The path names the call in logs; a query string may hold nothing secret either. */
	snprintf(call->what, sizeof call->what, "%s %.*s", method, (int)strcspn(path, "?"), path);
	call->m = m;
	call->done = done;
	call->ud = ud;
	call->http = http_start(m->http, &req, on_http_done, call);
	free(text);
	if (!call->http) {
		free(call);
		done(m, ud, &failed);
		return NULL;
	}
	call->next = m->calls;
	m->calls = call;
	return call;
}

void matrix_api_cancel(struct matrix *m, struct matrix_call *call)
{
	unlink_call(m, call);
	if (m->sync_call == call)
		m->sync_call = NULL;
	http_cancel(m->http, call->http);
	free(call);
}

void matrix_api_cancel_all(struct matrix *m)
{
	while (m->calls)
		matrix_api_cancel(m, m->calls);
}

bool matrix_api_busy(const struct matrix *m)
{
	return m->calls != NULL;
}

enum matrix_error_class matrix_classify(const struct matrix_result *r)
{
	if (r->ok)
		return MATRIX_ERR_NONE;
	if (r->status == 429 || (r->errcode && strcmp(r->errcode, "M_LIMIT_EXCEEDED") == 0))
		return MATRIX_ERR_RATE;
	if (r->errcode && (strcmp(r->errcode, "M_UNKNOWN_TOKEN") == 0 ||
			   strcmp(r->errcode, "M_MISSING_TOKEN") == 0))
		return MATRIX_ERR_TOKEN;
	if (r->errcode && strcmp(r->errcode, "M_FORBIDDEN") == 0)
		return MATRIX_ERR_FORBIDDEN;
	/* No answer, a server error, a body that is not JSON, or a 2xx answer that is not
	 * a JSON object (it may have been cut or mangled on the way): try again. */
	if (r->status == 0 || r->status >= 500 || !r->body || (r->status >= 200 && r->status < 300))
		return MATRIX_ERR_TEMPORARY;
	return MATRIX_ERR_PERMANENT;
}

void matrix_escape(const char *id, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t used = 0;

	for (const unsigned char *p = (const unsigned char *)id; *p && used + 4 < len; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf[used++] = (char)*p;
		} else {
			buf[used++] = '%';
			buf[used++] = hex[*p >> 4];
			buf[used++] = hex[*p & 15];
		}
	}
	if (len)
		buf[used] = '\0';
}
