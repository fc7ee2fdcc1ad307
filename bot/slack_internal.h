/* slack_internal.h - what slack.c (the connection), slack_api.c (Web API calls) and
 * slack_send.c (the paced outbound queue) share. Internal to the Slack transport. */
#ifndef WORKSHOPBOT_SLACK_INTERNAL_H
#define WORKSHOPBOT_SLACK_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bot/config.h"
#include "bot/http.h"
#include "bot/pacer.h"
#include "bot/slack_parse.h"
#include "bot/transport.h"
#include "bot/ws.h"

struct slack_api_call;
struct slack_users;

enum slack_state {
	SLACK_IDLE,         /* not started */
	SLACK_AUTHENTICATING,
	SLACK_CONNECTING,   /* apps.connections.open, then the websocket, then hello */
	SLACK_READY,
	SLACK_WAITING,      /* backing off before the next connection attempt */
	SLACK_STOPPING,     /* draining sends after bot_stop() */
	SLACK_STOPPED,      /* for good: stopped, or a fatal error */
};

struct slack {
	struct transport base;
	const struct config *cfg;
	enum slack_state state;
	struct http *http;
	struct ws_context *ws;
	struct ws_conn *current;          /* the connection envelopes arrive on */
	struct ws_conn *pending;          /* a new connection not yet at hello */
	bool refreshing;                  /* pending replaces current (make before break) */
	char *user_id;                    /* from auth.test */
	char *bot_id;
	struct slack_identity me;
	int failures;                     /* connection attempts failed in a row */
	uv_timer_t retry_timer;           /* the next connection attempt */
	uv_timer_t drain_timer;           /* bounds the drain at stop */
	bool timers_open;
	struct slack_api_call *calls;     /* Web API calls in flight */
	struct pacer *pacer;              /* outbound messages, per channel */
	struct slack_users *users;        /* display names, from users.info (slack_users.c) */
	struct slack_ack *acks;           /* envelopes handled this turn, acked once committed */
	size_t n_acks, cap_acks;
};

struct slack_ack {
	struct ws_conn *conn;             /* the connection it came on; NULL once closed */
	char *envelope_id;
};

/* ---- slack_api.c ---- */

struct slack_result {
	long status;                /* HTTP status; 0 when no response arrived */
	bool ok;                    /* the body's "ok" */
	const char *error;          /* the body's "error", or a transport error; never NULL
	                               when !ok */
	json_t *body;               /* the parsed body (borrowed for the callback), or NULL */
	long retry_after_s;         /* Retry-After, or -1 */
};

enum slack_error_class {
	SLACK_ERR_NONE,
	SLACK_ERR_AUTH,             /* a token or scope problem: stop, never retry */
	SLACK_ERR_RATE,             /* 429: wait Retry-After, then retry */
	SLACK_ERR_TEMPORARY,        /* network, 5xx, service_unavailable: back off, retry */
	SLACK_ERR_MAYBE_DONE,       /* internal_error, fatal_error: may have happened */
	SLACK_ERR_CHANNEL,          /* not_in_channel, channel_not_found, is_archived */
	SLACK_ERR_PERMANENT,        /* anything else: the request itself is wrong */
};

typedef void (*slack_done_fn)(struct slack *s, void *ud, const struct slack_result *r);

/* Calls a Web API method with a JSON body (args, stolen; may be NULL), authorised by
 * the app token (app_token) or the bot token. done is called once, unless the call is
 * cancelled by slack_api_cancel_all(). Returns 0, or -1 when it could not start (done is
 * then called with an error). */
int slack_api_call(struct slack *s, const char *method, json_t *args, bool app_token,
		   slack_done_fn done, void *ud);
void slack_api_cancel_all(struct slack *s);
bool slack_api_busy(const struct slack *s);
enum slack_error_class slack_classify(const struct slack_result *r);
/* Logs a fatal token error naming the token and the scope, and stops the transport. */
void slack_fatal(struct slack *s, const char *what, const struct slack_result *r);

/* ---- slack_send.c ---- */

int slack_send(struct transport *t, const struct outbox_rec *rec, const struct msg *m);
bool slack_holds(const struct transport *t, int64_t outbox_id);
extern const struct pacer_ops slack_pacer_ops;

/* ---- slack_users.c ---- */

/* The cached display name of a user, or NULL; a miss starts a users.info lookup whose
 * answer renames the user in the store. Borrowed: valid until the next call. The cache
 * keeps the SLACK_USERS_MAX users seen most recently. */
#ifndef SLACK_USERS_MAX
#define SLACK_USERS_MAX 10000   /* -D for a test of the eviction */
#endif
const char *slack_user_name(struct slack *s, const char *user_id);
void slack_users_free(struct slack *s);

/* ---- slack.c ---- */

/* Called when the transport has nothing left in flight during a stop. */
void slack_stop_if_drained(struct slack *s);

#endif
