/* matrix_internal.h - what matrix.c (login, the sync loop, rooms), matrix_api.c
 * (client-server calls) and matrix_send.c (paced, idempotent sends) share. */
#ifndef WORKSHOPBOT_MATRIX_INTERNAL_H
#define WORKSHOPBOT_MATRIX_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bot/config.h"
#include "bot/http.h"
#include "bot/matrix_parse.h"
#include "bot/pacer.h"
#include "bot/transport.h"

struct matrix_call;

enum matrix_state {
	MATRIX_IDLE,
	MATRIX_SIGNING_IN,
	MATRIX_SYNCING,
	MATRIX_WAITING,       /* backing off before the next sync */
	MATRIX_STOPPING,
	MATRIX_STOPPED,
};

struct matrix {
	struct transport base;
	const struct config *cfg;
	enum matrix_state state;
	struct http *http;
	struct pacer *pacer;
	char *token;              /* the access token in use (secret) */
	char *user_id;
	char *device_id;
	char *filter_id;
	struct matrix_identity me;
	char since[256];          /* the committed next_batch, "" before the first sync */
	int failures;             /* syncs failed in a row */
	bool ready;               /* a sync answer was committed in this run */
	uv_timer_t retry_timer;
	bool timer_open;
	struct matrix_call *calls;
	struct matrix_call *sync_call;
	struct matrix_pending *pending;  /* a sync answer waiting for gaps to be filled */
	struct matrix_join *joins;       /* rooms being joined, with their backoff */
};

/* ---- matrix_api.c ---- */

struct matrix_result {
	long status;               /* HTTP status; 0 when no response arrived */
	json_t *body;              /* parsed JSON body, or NULL */
	const char *raw;           /* the body as received (borrowed) */
	size_t raw_len;
	const char *errcode;       /* "M_LIMIT_EXCEEDED", ..., or NULL on success */
	const char *error;         /* one line; never NULL when !ok */
	long retry_after_ms;       /* from Retry-After or retry_after_ms, or -1 */
	bool ok;                   /* 2xx with a JSON body */
};

enum matrix_error_class {
	MATRIX_ERR_NONE,
	MATRIX_ERR_RATE,           /* M_LIMIT_EXCEEDED: wait, retry */
	MATRIX_ERR_TEMPORARY,      /* network, 5xx, garbage: back off, retry */
	MATRIX_ERR_TOKEN,          /* M_UNKNOWN_TOKEN / M_MISSING_TOKEN */
	MATRIX_ERR_FORBIDDEN,      /* M_FORBIDDEN */
	MATRIX_ERR_PERMANENT,
};

typedef void (*matrix_done_fn)(struct matrix *m, void *ud, const struct matrix_result *r);

/* Calls the client-server API: path below /_matrix/client/v3 (segments already
 * escaped), body stolen (NULL for none), authorised with the access token when
 * authorised is set. Returns the call (cancel with matrix_api_cancel) or NULL when it
 * could not start (done is then called with an error). */
struct matrix_call *matrix_api_call(struct matrix *m, const char *method, const char *path,
				    json_t *body, bool authorised, long timeout_ms,
				    matrix_done_fn done, void *ud);
void matrix_api_cancel(struct matrix *m, struct matrix_call *call);
void matrix_api_cancel_all(struct matrix *m);
bool matrix_api_busy(const struct matrix *m);
enum matrix_error_class matrix_classify(const struct matrix_result *r);
/* Percent-encodes an id for a path segment into buf. */
void matrix_escape(const char *id, char *buf, size_t len);

/* ---- matrix_send.c ---- */

int matrix_send(struct transport *t, const struct outbox_rec *rec, const struct msg *msg);
bool matrix_holds(const struct transport *t, int64_t outbox_id);
extern const struct pacer_ops matrix_pacer_ops;

/* ---- matrix.c ---- */

/* A token was refused: sign in again (soft logout with a password) or stop. */
void matrix_token_refused(struct matrix *m, const struct matrix_result *r);

#endif
