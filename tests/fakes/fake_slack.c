/* fake_slack.c - a local fake Slack for the integration tests: the Web API (POST /api/M),
 * Socket Mode (a websocket on /link/) and a control API (/_control/...) on one port of
 * 127.0.0.1. See tests/fakes/README.md for the options and the control API.
 *
 * The payload shapes follow ../shared/fixtures/slack/ (hello, envelopes, disconnect,
 * Web API answers); tokens, ids and timestamps are fixed test values. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "tests/fakes/lib/fake_codec.h"
#include "tests/fakes/lib/fake_garbage.h"
#include "tests/fakes/lib/fake_http.h"
#include "tests/fakes/lib/fake_log.h"
#include "tests/fakes/lib/fake_main.h"
#include "tests/fakes/lib/fake_ws.h"

#define MAX_RULES        64
#define MAX_STORED       100000   /* messages, acks, envelopes, reactions, views each */
#define MAX_TICKETS      100000
#define MAX_WS           64
#define LOG_TEXT_MAX     (1024 * 1024)   /* client text kept in one log event */
#define LOG_SENT_MAX     (64 * 1024)     /* server text kept in one ws_send event */
#define HUGE_FRAME       (1024 * 1024)
#define TS_BASE          1700000000L
#define TEAM_ID          "T111"
#define APP_ID           "A111"
#define BOT_USER         "UBOT"
#define BOT_ID           "BBOT"
#define WS_HOST          "applink-fake-1"

#define API_JSON_FLAGS   (JSON_COMPACT | JSON_ESCAPE_SLASH)

struct app;

struct sconn {
	struct app *app;
	struct fake_ws_conn *ws;
	unsigned long id;
	long ticket;
	uint64_t opened_ms;
	unsigned long pings_sent, pongs, received, acks;
	const char *end;            /* how it ended, for the log */
	struct sconn *prev, *next;  /* oldest first */
};

enum rule_kind { RULE_RATELIMIT, RULE_FAIL, RULE_STALL };

struct rule {
	enum rule_kind kind;
	char method[64];
	long count;                 /* calls left; < 0 = until removed */
	long retry_after;           /* ratelimit */
	char error[64];             /* fail */
	int status;                 /* fail */
	bool commit, drop;          /* fail */
	char garbage[16];           /* fail: this body instead (fake_garbage.h kinds) */
	bool cut;                   /* fail: the connection ends halfway through the body */
	long ms;                    /* stall */
};

enum delayed_what { DELAYED_RESPOND, DELAYED_CLOSE };

struct delayed {
	uv_timer_t timer;
	struct app *app;
	struct delayed *prev, *next;
	enum delayed_what what;
	struct fake_http_req *req;  /* DELAYED_RESPOND */
	int status;
	char retry_after[24];       /* "" = no header */
	char *body;
	unsigned long conn_id;      /* DELAYED_CLOSE */
};

struct opts {
	struct fake_main_opts m;
	const char *bot_token, *app_token;
	long ping_interval;
	size_t max_message;
	bool any_ticket;
};

struct app {
	uv_loop_t *loop;
	struct opts o;
	struct fake_http_server *http;
	struct fake_log *log;
	int port;
	struct fake_main m;
	uv_timer_t ping_timer;
	bool pings_on, echo;
	bool silent;                /* stalled: no hello, ping or pong on any connection */
	long ping_interval_ms;
	struct sconn *head, *tail;
	unsigned n_open;
	unsigned long ws_total, ping_counter;
	struct rule rules[MAX_RULES];
	size_t n_rules;
	struct delayed *delayed;
	unsigned char *tickets;     /* [ticket - 1]: 1 issued, 2 used */
	size_t n_tickets;
	unsigned long ts_counter, view_counter, event_counter, garbage_counter;
	json_t *messages, *acks, *envelopes, *reactions, *views, *users, *ims, *api_counts;
	json_t *reacted;            /* ["channel","ts","name"] of every reaction: a set */
	unsigned long api_calls, ws_received, pings_sent, pongs;
	uint64_t rng;
};

/* ---- small helpers ---- */

static uint64_t rng_next(struct app *app)
{
	uint64_t x = app->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	app->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void new_uuid(struct app *app, char out[37])
{
	uint64_t a = rng_next(app), b = rng_next(app);

	snprintf(out, 37, "%08lx-%04lx-4%03lx-%04lx-%012lx", (unsigned long)(a >> 32),
		 (unsigned long)((a >> 16) & 0xffff), (unsigned long)(a & 0xfff),
		 (unsigned long)(0x8000 | ((b >> 48) & 0x3fff)),
		 (unsigned long)(b & 0xffffffffffffULL));
}

static void next_ts(struct app *app, char out[32])
{
	unsigned long n = ++app->ts_counter * 100;

	snprintf(out, 32, "%ld.%06lu", TS_BASE + (long)(n / 1000000), n % 1000000);
}

/* Strict decimal parse of s into [min, max]. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || strlen(s) > 18)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && *s ? s : NULL;
}

/* Appends v (stolen) to arr if arr holds fewer than MAX_STORED items. */
static void store_append(json_t *arr, json_t *v)
{
	if (!v)
		return;
	if (json_array_size(arr) >= MAX_STORED) {
		json_decref(v);
		return;
	}
	json_array_append_new(arr, v);
}

static int reply(struct fake_http_req *req, int status, json_t *body, size_t flags)
{
	char *text;
	int rc;

	if (!body)
		return fake_http_respond_json(req, 500, "{\"ok\":false,\"error\":\"fake_out_of_memory\"}");
	text = json_dumps(body, flags);
	json_decref(body);
	if (!text)
		return fake_http_respond_json(req, 500, "{\"ok\":false,\"error\":\"fake_out_of_memory\"}");
	rc = fake_http_respond_json(req, status, text);
	free(text);
	return rc;
}

static int reply_error(struct fake_http_req *req, int status, const char *error, const char *detail)
{
	return reply(req, status,
		     json_pack("{s:b, s:s, s:s?}", "ok", 0, "error", error, "detail", detail),
		     JSON_COMPACT);
}

static uint64_t log_event(struct app *app, const char *kind, json_t *fields)
{
	return fake_log_add(app->log, kind, fields);
}

/* ---- websocket connections ---- */

static struct sconn *conn_by_id(struct app *app, unsigned long id)
{
	struct sconn *sc;

	for (sc = app->head; sc; sc = sc->next)
		if (sc->id == id)
			return sc;
	return NULL;
}

/* Fills targets from the conn parameter: newest (default), oldest, all, or an id.
 * Only open connections count. Returns the number found, or -1 for a bad value. */
static long select_targets(struct app *app, struct fake_http_req *req, struct sconn **t,
			   size_t max)
{
	struct sconn *sc;
	char *v = NULL;
	long n = 0, id;

	if (fake_http_req_query_get(req, "conn", &v) < 0)
		return -1;
	if (!v || strcmp(v, "newest") == 0) {
		for (sc = app->tail; sc && n == 0; sc = sc->prev)
			if (fake_ws_is_open(sc->ws))
				t[n++] = sc;
	} else if (strcmp(v, "oldest") == 0) {
		for (sc = app->head; sc && n == 0; sc = sc->next)
			if (fake_ws_is_open(sc->ws))
				t[n++] = sc;
	} else if (strcmp(v, "all") == 0) {
		for (sc = app->head; sc && (size_t)n < max; sc = sc->next)
			if (fake_ws_is_open(sc->ws))
				t[n++] = sc;
	} else if (parse_long(v, 1, 1L << 30, &id) == 0) {
		sc = conn_by_id(app, (unsigned long)id);
		if (sc && fake_ws_is_open(sc->ws))
			t[n++] = sc;
	} else {
		n = -1;
	}
	free(v);
	return n;
}

struct send_opts {
	long fragment;      /* 0 = one frame */
	bool ping_between;
	bool binary;
};

/* Sends text to sc and records a ws_send event. Returns 0 or -1. */
static int conn_send(struct app *app, struct sconn *sc, const char *what, const char *text,
		     size_t len, const struct send_opts *so, const char *envelope_id)
{
	enum fake_ws_opcode op = so && so->binary ? FAKE_WS_BINARY : FAKE_WS_TEXT;
	long frames = 1;

	if (so && so->fragment > 0)
		frames = fake_ws_send_fragmented(sc->ws, op, text, len, (size_t)so->fragment,
						 so->ping_between);
	else if (fake_ws_send(sc->ws, op, text, len) < 0)
		frames = -1;
	if (frames < 0)
		return -1;
	log_event(app, "ws_send",
		  json_pack("{s:I, s:s, s:I, s:I, s:s*, s:o*}", "conn", (json_int_t)sc->id, "what",
			    what, "bytes", (json_int_t)len, "frames", (json_int_t)frames,
			    "envelope_id", envelope_id, "text",
			    op == FAKE_WS_TEXT ? fake_log_text(text, len, LOG_SENT_MAX) : NULL));
	return 0;
}

static long send_to_targets(struct app *app, struct sconn **t, long n, const char *what,
			    const char *text, size_t len, const struct send_opts *so,
			    const char *envelope_id)
{
	long i, sent = 0;

	for (i = 0; i < n; i++)
		if (conn_send(app, t[i], what, text, len, so, envelope_id) == 0)
			sent++;
	return sent;
}

static json_t *find_envelope(struct app *app, const char *id)
{
	size_t i;

	for (i = json_array_size(app->envelopes); i-- > 0;) {
		json_t *e = json_array_get(app->envelopes, i);

		if (strcmp(json_string_value(json_object_get(e, "envelope_id")), id) == 0)
			return e;
	}
	return NULL;
}

static bool default_accepts(const char *type, const json_t *payload)
{
	const char *ptype;

	if (strcmp(type, "slash_commands") == 0)
		return true;
	if (strcmp(type, "interactive") != 0)
		return false;
	ptype = jstr(payload, "type");
	return ptype && (strcmp(ptype, "view_submission") == 0 ||
			 strcmp(ptype, "block_suggestion") == 0);
}

/* Wraps payload (borrowed) in an envelope, sends it to the targets and records it.
 * attempt < 0 means a first delivery (events_api gets retry_attempt 0). Writes the
 * envelope id to id_out. Returns the number of connections it went to, or -1 (OOM). */
static long send_envelope(struct app *app, struct sconn **t, long n, const char *type,
			  json_t *payload, int accepts, long attempt, const char *reason,
			  const char *retry_of, const char *forced_id, const struct send_opts *so,
			  char id_out[64])
{
	json_t *env, *rec;
	char *text;
	long sent;
	bool acc = accepts < 0 ? default_accepts(type, payload) : accepts > 0;

	if (forced_id)
		snprintf(id_out, 64, "%s", forced_id);
	else
		new_uuid(app, id_out);
	env = json_pack("{s:s, s:O, s:s, s:b}", "envelope_id", id_out, "payload", payload, "type",
			type, "accepts_response_payload", acc);
	if (!env)
		return -1;
	if (strcmp(type, "events_api") == 0 &&
	    (json_object_set_new(env, "retry_attempt", json_integer(attempt < 0 ? 0 : attempt)) ||
	     json_object_set_new(env, "retry_reason", json_string(attempt > 0 ? reason : "")))) {
		json_decref(env);
		return -1;
	}
	text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	if (!text)
		return -1;
	sent = send_to_targets(app, t, n, "envelope", text, strlen(text), so, id_out);
	free(text);
	if (sent > 0) {
		rec = json_pack("{s:s, s:s, s:I, s:s?, s:s?, s:I, s:I, s:b, s:i, s:O}", "envelope_id",
				id_out, "type", type, "retry_attempt",
				(json_int_t)(attempt < 0 ? 0 : attempt), "retry_of", retry_of,
				"event_id", jstr(payload, "event_id"), "conn", (json_int_t)t[0]->id,
				"sent_to", (json_int_t)sent, "acked", 0, "ack_count", 0, "payload",
				payload);
		store_append(app->envelopes, rec);
	}
	return sent;
}

static void on_ws_message(void *ud, struct fake_ws_conn *c, bool binary, const char *data,
			  size_t len, unsigned frames)
{
	struct sconn *sc = ud;
	struct app *app = sc->app;
	json_t *j = NULL, *fields;
	const char *eid = NULL;
	uint64_t seq;

	(void)c;
	app->ws_received++;
	sc->received++;
	if (binary) {
		log_event(app, "ws_binary",
			  json_pack("{s:I, s:I, s:I}", "conn", (json_int_t)sc->id, "bytes",
				    (json_int_t)len, "frames", (json_int_t)frames));
		return;
	}
	j = json_loadb(data, len, 0, NULL);
	fields = json_pack("{s:I, s:I, s:I, s:o?}", "conn", (json_int_t)sc->id, "bytes",
			   (json_int_t)len, "frames", (json_int_t)frames, "text",
			   fake_log_text(data, len, LOG_TEXT_MAX));
	if (fields && j)
		json_object_set(fields, "json", j);
	else if (fields)
		json_object_set_new(fields, "invalid_json", json_true());
	seq = log_event(app, "ws_text", fields);
	if (json_is_object(j))
		eid = jstr(j, "envelope_id");
	if (eid) {
		json_t *env = find_envelope(app, eid), *payload = json_object_get(j, "payload");

		sc->acks++;
		if (env) {
			json_object_set_new(env, "acked", json_true());
			json_object_set_new(env, "ack_count",
					    json_integer(json_integer_value(
						    json_object_get(env, "ack_count")) + 1));
		}
		store_append(app->acks,
			     json_pack("{s:I, s:I, s:s, s:b, s:s?, s:O*}", "seq", (json_int_t)seq,
				       "conn", (json_int_t)sc->id, "envelope_id", eid, "known",
				       env != NULL, "type",
				       env ? jstr(env, "type") : NULL, "payload", payload));
	}
	json_decref(j);
}

static void on_ws_ping(void *ud, struct fake_ws_conn *c, const char *data, size_t len)
{
	struct sconn *sc = ud;

	(void)c;
	log_event(sc->app, "ws_ping",
		  json_pack("{s:I, s:o?}", "conn", (json_int_t)sc->id, "payload",
			    fake_log_text(data, len, 125)));
}

static void on_ws_pong(void *ud, struct fake_ws_conn *c, const char *data, size_t len)
{
	struct sconn *sc = ud;

	(void)c;
	sc->pongs++;
	sc->app->pongs++;
	log_event(sc->app, "ws_pong",
		  json_pack("{s:I, s:o?}", "conn", (json_int_t)sc->id, "payload",
			    fake_log_text(data, len, 125)));
}

static void on_ws_close_frame(void *ud, struct fake_ws_conn *c, int code, const char *reason)
{
	struct sconn *sc = ud;

	(void)c;
	if (!sc->end)
		sc->end = "client_close";
	log_event(sc->app, "ws_close_frame",
		  json_pack("{s:I, s:i, s:o?}", "conn", (json_int_t)sc->id, "code", code, "reason",
			    fake_log_text(reason, strlen(reason), 125)));
}

static void on_ws_protocol_error(void *ud, struct fake_ws_conn *c, int code, const char *what)
{
	struct sconn *sc = ud;

	(void)c;
	sc->end = "protocol_error";
	log_event(sc->app, "ws_protocol_error",
		  json_pack("{s:I, s:i, s:s}", "conn", (json_int_t)sc->id, "code", code, "what",
			    what));
}

static void on_ws_gone(void *ud, struct fake_ws_conn *c)
{
	struct sconn *sc = ud;
	struct app *app = sc->app;

	(void)c;
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		app->head = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	else
		app->tail = sc->prev;
	app->n_open--;
	log_event(app, "ws_disconnect",
		  json_pack("{s:I, s:s, s:i}", "conn", (json_int_t)sc->id, "how",
			    sc->end ? sc->end : (app->m.stopping ? "shutdown" : "eof"), "open",
			    (int)app->n_open));
	free(sc);
}

static const struct fake_ws_callbacks ws_callbacks = {
	.on_message = on_ws_message,
	.on_ping = on_ws_ping,
	.on_pong = on_ws_pong,
	.on_close_frame = on_ws_close_frame,
	.on_protocol_error = on_ws_protocol_error,
	.on_gone = on_ws_gone,
};

static void handle_link(struct app *app, struct fake_http_req *req)
{
	struct sconn *sc;
	json_t *hello;
	char *v = NULL, *text;
	long ticket = -1;
	const char *why = NULL;

	if (!fake_ws_is_upgrade(req)) {
		reply_error(req, 400, "websocket_required", "GET /link/ is a websocket endpoint");
		return;
	}
	if (fake_http_req_query_get(req, "ticket", &v) < 0 ||
	    (v && parse_long(v, 1, MAX_TICKETS, &ticket) < 0))
		ticket = -1;
	free(v);
	if (!app->o.any_ticket) {
		if (ticket < 1 || (size_t)ticket > app->n_tickets)
			why = "unknown ticket";
		else if (app->tickets[ticket - 1] != 1)
			why = "ticket already used";
	}
	if (!why && app->n_open >= MAX_WS)
		why = "too many connections";
	if (why) {
		log_event(app, "ws_rejected",
			  json_pack("{s:I, s:s}", "ticket", (json_int_t)ticket, "reason", why));
		reply_error(req, strcmp(why, "too many connections") == 0 ? 503 : 401,
			    "invalid_ticket", why);
		return;
	}
	sc = calloc(1, sizeof *sc);
	if (!sc) {
		reply_error(req, 500, "fake_out_of_memory", NULL);
		return;
	}
	sc->app = app;
	sc->ticket = ticket;
	sc->opened_ms = uv_now(app->loop);
	sc->ws = fake_ws_accept(req, app->o.max_message, &ws_callbacks, sc);
	if (!sc->ws) {
		free(sc);
		log_event(app, "ws_rejected",
			  json_pack("{s:I, s:s}", "ticket", (json_int_t)ticket, "reason",
				    "bad websocket handshake"));
		return;
	}
	sc->id = fake_ws_id(sc->ws);
	if (ticket >= 1 && (size_t)ticket <= app->n_tickets)
		app->tickets[ticket - 1] = 2;
	sc->prev = app->tail;
	if (app->tail)
		app->tail->next = sc;
	else
		app->head = sc;
	app->tail = sc;
	app->n_open++;
	app->ws_total++;
	log_event(app, "ws_connect",
		  json_pack("{s:I, s:I, s:i}", "conn", (json_int_t)sc->id, "ticket",
			    (json_int_t)ticket, "num_connections", (int)app->n_open));
	if (app->silent) {
		fake_ws_set_silent(sc->ws, true);
		return;
	}
	hello = json_pack("{s:s, s:i, s:{s:s, s:i, s:i}, s:{s:s}}", "type", "hello",
			  "num_connections", (int)app->n_open, "debug_info", "host", WS_HOST,
			  "build_number", 10, "approximate_connection_time", 18060,
			  "connection_info", "app_id", APP_ID);
	text = hello ? json_dumps(hello, JSON_COMPACT) : NULL;
	json_decref(hello);
	if (text)
		conn_send(app, sc, "hello", text, strlen(text), NULL, NULL);
	free(text);
}

/* ---- fault rules ---- */

static struct rule *find_rule(struct app *app, enum rule_kind kind, const char *method)
{
	size_t i;

	for (i = 0; i < app->n_rules; i++)
		if (app->rules[i].kind == kind && (strcmp(app->rules[i].method, method) == 0 ||
						   strcmp(app->rules[i].method, "*") == 0))
			return &app->rules[i];
	return NULL;
}

static void remove_rule(struct app *app, struct rule *r)
{
	size_t i = (size_t)(r - app->rules);

	memmove(&app->rules[i], &app->rules[i + 1], (app->n_rules - i - 1) * sizeof *r);
	app->n_rules--;
}

/* Takes one use of r (copied to out); removes r when used up. */
static void use_rule(struct app *app, struct rule *r, struct rule *out)
{
	*out = *r;
	if (r->count > 0 && --r->count == 0)
		remove_rule(app, r);
}

/* ---- delayed actions ---- */

static void delayed_closed(uv_handle_t *h)
{
	struct delayed *d = h->data;

	free(d->body);
	free(d);
}

static void delayed_finish(struct delayed *d)
{
	struct app *app = d->app;

	if (d->prev)
		d->prev->next = d->next;
	else
		app->delayed = d->next;
	if (d->next)
		d->next->prev = d->prev;
	uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void on_delayed(uv_timer_t *t)
{
	struct delayed *d = t->data;
	struct app *app = d->app;

	if (d->what == DELAYED_RESPOND) {
		struct fake_http_header h[2] = {
			{"Content-Type", "application/json; charset=utf-8"},
			{"Retry-After", d->retry_after},
		};

		fake_http_respond(d->req, d->status, h, d->retry_after[0] ? 2 : 1, d->body,
				  strlen(d->body));
		d->req = NULL;
	} else {
		struct sconn *sc = conn_by_id(app, d->conn_id);

		if (sc && fake_ws_close(sc->ws, 1000, "") == 0)
			sc->end = "server_close";
	}
	delayed_finish(d);
}

static struct delayed *delayed_new(struct app *app, enum delayed_what what, long ms)
{
	struct delayed *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->app = app;
	d->what = what;
	uv_timer_init(app->loop, &d->timer);
	d->timer.data = d;
	d->next = app->delayed;
	if (app->delayed)
		app->delayed->prev = d;
	app->delayed = d;
	uv_timer_start(&d->timer, on_delayed, (uint64_t)ms, 0);
	return d;
}

/* ---- Web API ---- */

enum token_need { NEED_NONE, NEED_BOT, NEED_APP, NEED_ANY };

struct call {
	struct app *app;
	json_t *params;          /* borrowed */
	const char *echo_channel; /* chat.postMessage with echo on: what to send back */
	json_t *echo_message;
};

typedef json_t *(*api_fn)(struct call *call);

static json_t *api_error(const char *error)
{
	return json_pack("{s:b, s:s}", "ok", 0, "error", error);
}

static json_t *api_test(struct call *call)
{
	return json_pack("{s:b, s:O}", "ok", 1, "args", call->params);
}

static json_t *auth_test(struct call *call)
{
	(void)call;
	return json_pack("{s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "ok", 1, "url",
			 "https://fake.slack.com/", "team", "Fake", "user", "workshopbot",
			 "team_id", TEAM_ID, "user_id", BOT_USER, "bot_id", BOT_ID,
			 "is_enterprise_install", 0);
}

static json_t *connections_open(struct call *call)
{
	struct app *app = call->app;
	unsigned char *t;
	char url[128];

	if (app->n_tickets >= MAX_TICKETS)
		return api_error("fake_too_many_tickets");
	t = realloc(app->tickets, app->n_tickets + 1);
	if (!t)
		return NULL;
	app->tickets = t;
	app->tickets[app->n_tickets++] = 1;
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/link/?ticket=%zu", app->port, app->n_tickets);
	return json_pack("{s:b, s:s}", "ok", 1, "url", url);
}

/* blocks may come as an array (JSON body) or a JSON string (form body). Returns a new
 * reference, json_null() when absent, or NULL when invalid. */
static json_t *param_json(json_t *params, const char *key, bool want_array)
{
	json_t *v = json_object_get(params, key), *parsed;

	if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v)))
		return json_null();
	if (json_is_string(v)) {
		parsed = json_loads(json_string_value(v), 0, NULL);
		if (!parsed || (want_array ? !json_is_array(parsed) : !json_is_object(parsed))) {
			json_decref(parsed);
			return NULL;
		}
		return parsed;
	}
	if (want_array ? json_is_array(v) : json_is_object(v))
		return json_incref(v);
	return NULL;
}

static bool message_exists(struct app *app, const char *channel, const char *ts)
{
	size_t i;

	for (i = 0; i < json_array_size(app->messages); i++) {
		json_t *m = json_array_get(app->messages, i);

		if (strcmp(json_string_value(json_object_get(m, "method")), "chat.postMessage") == 0 &&
		    strcmp(jstr(m, "channel"), channel) == 0 && strcmp(jstr(m, "ts"), ts) == 0)
			return true;
	}
	return false;
}

static void echo_message(struct app *app, const char *channel, json_t *message)
{
	struct sconn *t[1];
	json_t *event, *payload;
	char id[64], eid[32];
	long n = 0;
	struct sconn *sc;

	for (sc = app->tail; sc && n == 0; sc = sc->prev)
		if (fake_ws_is_open(sc->ws))
			t[n++] = sc;
	if (n == 0)
		return;
	event = json_deep_copy(message);
	if (!event)
		return;
	json_object_set_new(event, "channel", json_string(channel));
	json_object_set(event, "event_ts", json_object_get(message, "ts"));
	json_object_set_new(event, "channel_type", json_string("channel"));
	snprintf(eid, sizeof eid, "EvFAKE%06lu", ++app->event_counter);
	payload = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:[{s:n, s:s, s:s, s:b, s:b}], "
			    "s:b}",
			    "token", "verification-token", "team_id", TEAM_ID, "api_app_id", APP_ID,
			    "event", event, "type", "event_callback", "event_id", eid, "event_time",
			    (json_int_t)(TS_BASE + (long)(app->ts_counter / 10000)),
			    "authorizations", "enterprise_id", "team_id", TEAM_ID, "user_id",
			    BOT_USER, "is_bot", 1, "is_enterprise_install", 0,
			    "is_ext_shared_channel", 0);
	if (payload)
		send_envelope(app, t, n, "events_api", payload, -1, -1, NULL, NULL, NULL, NULL, id);
	json_decref(payload);
}

/* chat.postMessage, chat.update and chat.postEphemeral share this. */
static json_t *post_like(struct call *call, const char *method)
{
	struct app *app = call->app;
	const char *channel = jstr(call->params, "channel"), *text = jstr(call->params, "text");
	const char *thread_ts = jstr(call->params, "thread_ts"), *user = jstr(call->params, "user");
	const char *ts_param = jstr(call->params, "ts");
	json_t *blocks, *attachments, *message, *rec, *resp = NULL;
	bool update = strcmp(method, "chat.update") == 0;
	bool ephemeral = strcmp(method, "chat.postEphemeral") == 0;
	char ts[32];

	if (!channel)
		return api_error("channel_not_found");
	if (update && (!ts_param || !message_exists(app, channel, ts_param)))
		return api_error("message_not_found");
	if (ephemeral && !user)
		return api_error("user_not_in_channel");
	blocks = param_json(call->params, "blocks", true);
	if (!blocks)
		return api_error("invalid_blocks");
	attachments = param_json(call->params, "attachments", true);
	if (!attachments) {
		json_decref(blocks);
		return api_error("invalid_attachments");
	}
	if (!text && json_is_null(blocks) && json_is_null(attachments)) {
		json_decref(blocks);
		json_decref(attachments);
		return api_error("no_text");
	}
	if (json_array_size(app->messages) >= MAX_STORED) {
		json_decref(blocks);
		json_decref(attachments);
		return api_error("fake_storage_full");
	}
	if (update)
		snprintf(ts, sizeof ts, "%s", ts_param);
	else
		next_ts(app, ts);
	message = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s*, s:{s:s, s:s, s:s, s:s}}",
			    "type", "message", "text", text ? text : "", "user", BOT_USER, "bot_id",
			    BOT_ID, "app_id", APP_ID, "team", TEAM_ID, "ts", ts, "thread_ts",
			    thread_ts, "bot_profile", "id", BOT_ID, "name", "workshopbot", "app_id",
			    APP_ID, "team_id", TEAM_ID);
	rec = json_pack("{s:I, s:s, s:s, s:s, s:s?, s:s?, s:O, s:O, s:s?}", "seq",
			(json_int_t)fake_log_last_seq(app->log) + 1, "method", method, "channel",
			channel, "ts", ts, "thread_ts", thread_ts, "text", text, "blocks", blocks,
			"attachments", attachments, "user", user);
	if (!message || !rec)
		goto out;
	if (json_is_array(blocks))
		json_object_set(message, "blocks", blocks);
	if (json_is_array(attachments))
		json_object_set(message, "attachments", attachments);
	json_array_append(app->messages, rec);
	if (ephemeral)
		resp = json_pack("{s:b, s:s}", "ok", 1, "message_ts", ts);
	else if (update)
		resp = json_pack("{s:b, s:s, s:s, s:s, s:O}", "ok", 1, "channel", channel, "ts", ts,
				 "text", text ? text : "", "message", message);
	else
		resp = json_pack("{s:b, s:s, s:s, s:O}", "ok", 1, "channel", channel, "ts", ts,
				 "message", message);
	if (resp && app->echo && !ephemeral && !update) {
		/* Sent by handle_api after the api event is logged. */
		call->echo_channel = channel;
		call->echo_message = json_incref(message);
	}
out:
	json_decref(message);
	json_decref(rec);
	json_decref(blocks);
	json_decref(attachments);
	return resp;
}

static json_t *chat_post(struct call *call)
{
	return post_like(call, "chat.postMessage");
}

static json_t *chat_update(struct call *call)
{
	return post_like(call, "chat.update");
}

static json_t *chat_ephemeral(struct call *call)
{
	return post_like(call, "chat.postEphemeral");
}

static json_t *reactions_add(struct call *call)
{
	struct app *app = call->app;
	const char *channel = jstr(call->params, "channel"), *ts = jstr(call->params, "timestamp");
	const char *name = jstr(call->params, "name");
	json_t *triple;
	char *key;
	bool known;

	if (!channel || !ts)
		return api_error("no_item_specified");
	if (!name)
		return api_error("invalid_name");
	/* a set of the reactions made (keyed by the JSON text of the triple), so that a load
	 * of many is not quadratic */
	triple = json_pack("[s, s, s]", channel, ts, name);
	key = triple ? json_dumps(triple, JSON_COMPACT) : NULL;
	json_decref(triple);
	if (!key)
		return NULL;
	known = json_object_get(app->reacted, key) != NULL;
	if (known || json_array_size(app->reactions) >= MAX_STORED) {
		free(key);
		return api_error(known ? "already_reacted" : "too_many_reactions");
	}
	if (json_object_set_new(app->reacted, key, json_true()) ||
	    json_array_append_new(app->reactions,
				  json_pack("{s:I, s:s, s:s, s:s}", "seq",
					    (json_int_t)fake_log_last_seq(app->log) + 1, "channel",
					    channel, "timestamp", ts, "name", name))) {
		free(key);
		return NULL;
	}
	free(key);
	return json_pack("{s:b}", "ok", 1);
}

static bool view_known(struct app *app, const char *id)
{
	size_t i;

	for (i = 0; i < json_array_size(app->views); i++)
		if (strcmp(jstr(json_array_get(app->views, i), "view_id"), id) == 0)
			return true;
	return false;
}

static json_t *views_common(struct call *call, const char *method)
{
	struct app *app = call->app;
	const char *trigger = jstr(call->params, "trigger_id");
	const char *view_id = jstr(call->params, "view_id");
	json_t *view, *full, *rec;
	char id[32], hash[48];
	bool open = strcmp(method, "views.update") != 0;

	if (open && !trigger)
		return json_pack("{s:b, s:s, s:{s:[s]}}", "ok", 0, "error", "invalid_arguments",
				 "response_metadata", "messages",
				 "[ERROR] missing required field: trigger_id");
	if (!open && !view_id && !jstr(call->params, "external_id"))
		return json_pack("{s:b, s:s, s:{s:[s]}}", "ok", 0, "error", "invalid_arguments",
				 "response_metadata", "messages",
				 "[ERROR] missing required field: view_id");
	if (!open && view_id && !view_known(app, view_id))
		return api_error("not_found");
	view = param_json(call->params, "view", false);
	if (!view || json_is_null(view)) {
		json_decref(view);
		return json_pack("{s:b, s:s, s:{s:[s]}}", "ok", 0, "error", "invalid_arguments",
				 "response_metadata", "messages",
				 "[ERROR] missing required field: view");
	}
	if (json_array_size(app->views) >= MAX_STORED) {
		json_decref(view);
		return api_error("fake_storage_full");
	}
	if (open || !view_id)
		snprintf(id, sizeof id, "VFAKE%05lu", ++app->view_counter);
	else
		snprintf(id, sizeof id, "%s", view_id);
	snprintf(hash, sizeof hash, "%ld.fakehash%lu", TS_BASE, ++app->event_counter);
	full = json_deep_copy(view);
	json_decref(view);
	if (!full)
		return NULL;
	if (json_object_update_new(full, json_pack("{s:s, s:s, s:{s:{}}, s:s, s:s, s:s, s:s, s:s}", "id",
					       id, "team_id", TEAM_ID, "state", "values", "hash",
					       hash, "root_view_id", id, "app_id", APP_ID,
					       "app_installed_team_id", TEAM_ID, "bot_id", BOT_ID)) ||
	    (!json_object_get(full, "private_metadata") &&
	     json_object_set_new(full, "private_metadata", json_string(""))) ||
	    (!json_object_get(full, "callback_id") &&
	     json_object_set_new(full, "callback_id", json_string("")))) {
		json_decref(full);
		return NULL;
	}
	rec = json_pack("{s:I, s:s, s:s, s:s?, s:O}", "seq",
			(json_int_t)fake_log_last_seq(app->log) + 1, "method", method, "view_id", id,
			"trigger_id", trigger, "view", full);
	if (!rec || json_array_append_new(app->views, rec)) {
		json_decref(full);
		return NULL;
	}
	return json_pack("{s:b, s:o}", "ok", 1, "view", full);
}

static json_t *views_open(struct call *call)
{
	return views_common(call, "views.open");
}

static json_t *views_push(struct call *call)
{
	return views_common(call, "views.push");
}

static json_t *views_update(struct call *call)
{
	return views_common(call, "views.update");
}

/* An id such as U123ABC: a capital prefix from allowed, then capitals and digits. */
static bool id_like(const char *s, const char *allowed)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 2 || n > 32 || !strchr(allowed, s[0]))
		return false;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static json_t *users_info(struct call *call)
{
	struct app *app = call->app;
	const char *id = jstr(call->params, "user"), *display, *real;
	json_t *over;
	char dn[48], rn[48], name[48];
	bool bot;
	size_t i;

	if (!id_like(id, "UWB"))
		return api_error("user_not_found");
	over = json_object_get(app->users, id);
	if (json_is_true(json_object_get(over, "missing")))
		return api_error("user_not_found");
	bot = strcmp(id, BOT_USER) == 0;
	snprintf(dn, sizeof dn, "%s%s", bot ? "" : "user-", bot ? "workshopbot" : id);
	snprintf(rn, sizeof rn, "%s%s", bot ? "" : "User ", bot ? "Workshop Bot" : id);
	snprintf(name, sizeof name, "%s", dn);
	for (i = 0; name[i]; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	display = jstr(over, "display_name") ? jstr(over, "display_name") : dn;
	real = jstr(over, "real_name") ? jstr(over, "real_name") : rn;
	return json_pack("{s:b, s:{s:s, s:s, s:s, s:b, s:s, s:s, s:i, s:b, s:b, s:s*, "
			 "s:{s:s, s:s, s:s, s:s, s:s}}}",
			 "ok", 1, "user", "id", id, "team_id", TEAM_ID, "name", name, "deleted", 0,
			 "real_name", real, "tz", "Etc/UTC", "tz_offset", 0, "is_bot", bot,
			 "is_admin", 0, "bot_id", bot ? BOT_ID : NULL, "profile", "display_name",
			 display, "display_name_normalized", display, "real_name", real,
			 "real_name_normalized", real, "team", TEAM_ID);
}

static json_t *conversations_info(struct call *call)
{
	const char *id = jstr(call->params, "channel");
	char name[48];
	size_t i;

	if (!id_like(id, "CGD"))
		return api_error("channel_not_found");
	snprintf(name, sizeof name, "channel-%s", id);
	for (i = 0; name[i]; i++)
		if (name[i] >= 'A' && name[i] <= 'Z')
			name[i] = (char)(name[i] - 'A' + 'a');
	return json_pack("{s:b, s:{s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:I, s:s}}", "ok", 1,
			 "channel", "id", id, "name", name, "is_channel", id[0] == 'C', "is_group",
			 id[0] == 'G', "is_im", id[0] == 'D', "is_private", id[0] != 'C',
			 "is_archived", 0, "is_member", 1, "created", (json_int_t)TS_BASE,
			 "creator", "U000");
}

/* A 1:1 direct message: the IM channel of a user is "D" + the id (U222 -> DU222); the
 * first call opens it, later ones answer no_op/already_open like Slack. */
static json_t *conversations_open(struct call *call)
{
	struct app *app = call->app;
	const char *users = jstr(call->params, "users");
	char id[40];
	bool open;

	if (!users || !users[0])
		return api_error("users_list_not_supplied");
	if (strchr(users, ','))
		return api_error("method_not_supported_for_channel_type");
	if (!id_like(users, "UW"))
		return api_error("user_not_found");
	snprintf(id, sizeof id, "D%s", users);
	open = json_object_get(app->ims, id) != NULL;
	if (!open && json_object_set_new(app->ims, id, json_string(users)))
		return api_error("internal_error");
	return json_pack("{s:b, s:b, s:b, s:{s:s}}", "ok", 1, "no_op", open, "already_open", open,
			 "channel", "id", id);
}

static const struct method {
	const char *name;
	enum token_need need;
	api_fn fn;
} methods[] = {
	{"api.test", NEED_NONE, api_test},
	{"auth.test", NEED_ANY, auth_test},
	{"apps.connections.open", NEED_APP, connections_open},
	{"chat.postMessage", NEED_BOT, chat_post},
	{"chat.update", NEED_BOT, chat_update},
	{"chat.postEphemeral", NEED_BOT, chat_ephemeral},
	{"reactions.add", NEED_BOT, reactions_add},
	{"views.open", NEED_BOT, views_open},
	{"views.push", NEED_BOT, views_push},
	{"views.update", NEED_BOT, views_update},
	{"users.info", NEED_BOT, users_info},
	{"conversations.info", NEED_BOT, conversations_info},
	{"conversations.open", NEED_BOT, conversations_open},
};

static const struct method *find_method(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		if (strcmp(methods[i].name, name) == 0)
			return &methods[i];
	return NULL;
}

static int form_to_params(void *ud, const char *name, const char *value)
{
	json_t *params = ud;

	return json_object_set_new(params, name, json_string(value)) ? -1 : 0;
}

/* The call's parameters: the query string, then the body (form or JSON object).
 * Returns NULL and sets *error when the body is malformed or memory ran out. */
static json_t *collect_params(struct fake_http_req *req, const char **error, bool *json_body,
			      bool *missing_charset)
{
	const char *q = fake_http_req_query(req), *ct = fake_http_req_header(req, "Content-Type");
	size_t len;
	const char *body = fake_http_req_body(req, &len);
	json_t *params = json_object();

	*json_body = false;
	*missing_charset = false;
	*error = "fake_out_of_memory";
	if (!params || fake_codec_form_each(q, strlen(q), form_to_params, params))
		goto fail;
	if (len == 0)
		return params;
	if (ct && strncasecmp(ct, "application/json", 16) == 0) {
		json_t *j = json_loadb(body, len, 0, NULL);

		*json_body = true;
		*missing_charset = !strstr(ct, "charset=");
		if (!json_is_object(j)) {
			json_decref(j);
			*error = "invalid_json";
			goto fail;
		}
		json_object_update(params, j);
		json_decref(j);
	} else if (ct && strncasecmp(ct, "multipart/", 10) == 0) {
		*error = "invalid_form_data";
		goto fail;
	} else if (fake_codec_form_each(body, len, form_to_params, params)) {
		goto fail;
	}
	return params;
fail:
	json_decref(params);
	return NULL;
}

static const char *token_kind(struct app *app, struct fake_http_req *req, json_t *params,
			      const char **source)
{
	const char *h = fake_http_req_header(req, "Authorization"), *token = NULL;

	*source = "none";
	if (h) {
		*source = "header";
		if (strncasecmp(h, "Bearer ", 7) != 0)
			return "bad";
		token = h + 7;
		while (*token == ' ')
			token++;
	} else if (jstr(params, "token")) {
		*source = "param";
		token = jstr(params, "token");
	}
	if (!token || !*token)
		return *source[0] == 'n' ? "none" : "bad";
	if (strcmp(token, app->o.bot_token) == 0)
		return "xoxb";
	if (strcmp(token, app->o.app_token) == 0)
		return "xapp";
	return "bad";
}


/* Answers a Web API call with a garbage body (garbage: a fake_garbage.h kind) or, when
 * garbage is "", with resp; cut: the connection ends halfway through the body. Takes resp. */
static void answer_faulty(struct fake_http_req *req, int status, const char *garbage, bool cut,
			  json_t *resp)
{
	const char *ctype = "application/json; charset=utf-8", *text;
	char *dumped = NULL;
	size_t len = 0;

	if (garbage[0]) {
		text = fake_garbage_body(garbage, &len, &ctype);
	} else {
		text = dumped = resp ? json_dumps(resp, API_JSON_FLAGS) : NULL;
		len = dumped ? strlen(dumped) : 0;
	}
	json_decref(resp);
	if (!text) {
		fake_http_respond_json(req, 500, "{\"ok\":false,\"error\":\"fake_out_of_memory\"}");
		return;
	}
	struct fake_http_header h[1] = {{"Content-Type", ctype}};
	(cut ? fake_http_respond_cut : fake_http_respond)(req, status, h, 1, text, len);
	free(dumped);
}

static void handle_api(struct app *app, struct fake_http_req *req, const char *name)
{
	const struct method *m = find_method(name);
	const char *error = NULL, *auth = "none", *source = "none";
	const char *ct = fake_http_req_header(req, "Content-Type");
	bool json_body = false, missing_charset = false;
	json_t *params, *resp = NULL, *fields, *cnt;
	struct rule r = {.status = 200};
	struct rule *found;
	size_t body_len;
	const char *body = fake_http_req_body(req, &body_len);
	int status = 200;
	long stall_ms = 0;
	char retry_after[24] = "";
	bool drop = false;
	struct call call = {.app = app};

	app->api_calls++;
	cnt = json_object_get(app->api_counts, name);
	if (m)
		json_object_set_new(app->api_counts, name,
				    json_integer(json_integer_value(cnt) + 1));
	params = collect_params(req, &error, &json_body, &missing_charset);
	call.params = params;
	if (params)
		auth = token_kind(app, req, params, &source);
	if (!m) {
		resp = api_error("unknown_method");
	} else if (!params) {
		resp = api_error(error);
	} else if (m->need != NEED_NONE && strcmp(auth, "none") == 0) {
		resp = api_error("not_authed");
	} else if (m->need != NEED_NONE && strcmp(auth, "bad") == 0) {
		resp = api_error("invalid_auth");
	} else if ((m->need == NEED_BOT && strcmp(auth, "xoxb") != 0) ||
		   (m->need == NEED_APP && strcmp(auth, "xapp") != 0)) {
		resp = api_error("not_allowed_token_type");
	} else if ((found = find_rule(app, RULE_RATELIMIT, name))) {
		use_rule(app, found, &r);
		status = 429;
		snprintf(retry_after, sizeof retry_after, "%ld", r.retry_after);
		resp = api_error("ratelimited");
	} else if ((found = find_rule(app, RULE_FAIL, name))) {
		use_rule(app, found, &r);
		if (r.commit)
			json_decref(m->fn(&call));
		status = r.status;
		drop = r.drop;
		resp = api_error(r.error);
	} else {
		resp = m->fn(&call);
	}
	if (resp && missing_charset && json_is_true(json_object_get(resp, "ok")))
		json_object_update_new(resp, json_pack("{s:s, s:{s:[s]}}", "warning", "missing_charset",
						   "response_metadata", "warnings",
						   "missing_charset"));
	if (!resp)
		status = 500;
	if (m && (found = find_rule(app, RULE_STALL, name))) {
		struct rule s;

		use_rule(app, found, &s);
		stall_ms = s.ms;
	}
	fields = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:I, s:o?, s:O?, s:i, s:O?, s:I, s:b, s:I}",
			   "method", name, "http_method", fake_http_req_method(req), "path",
			   fake_http_req_path(req), "auth", auth, "auth_source", source,
			   "content_type", ct, "bytes", (json_int_t)body_len, "body",
			   fake_log_text(body, body_len, LOG_TEXT_MAX), "params", params, "status",
			   status, "response", resp, "stall_ms", (json_int_t)stall_ms, "dropped",
			   drop, "conn", (json_int_t)fake_http_req_conn_id(req));
	if (fields && resp) {
		json_t *ok = json_object_get(resp, "ok");

		json_object_set(fields, "ok", ok ? ok : json_false());
		if (json_object_get(resp, "error"))
			json_object_set(fields, "error", json_object_get(resp, "error"));
	}
	if (fields && r.garbage[0])
		json_object_set_new(fields, "garbage", json_string(r.garbage));
	if (fields && r.cut)
		json_object_set_new(fields, "cut", json_true());
	log_event(app, "api", fields);
	if (call.echo_message) {
		echo_message(app, call.echo_channel, call.echo_message);
		json_decref(call.echo_message);
	}
	json_decref(params);
	if (r.garbage[0] || r.cut) {
		answer_faulty(req, status, r.garbage, r.cut, resp);
		return;
	}
	if (drop) {
		json_decref(resp);
		fake_http_req_drop(req, false);
		return;
	}
	if (stall_ms > 0 && resp) {
		char *text = json_dumps(resp, API_JSON_FLAGS);
		struct delayed *d = text ? delayed_new(app, DELAYED_RESPOND, stall_ms) : NULL;

		json_decref(resp);
		if (!d) {
			free(text);
			fake_http_respond_json(req, 500, "{\"ok\":false,\"error\":\"fake_out_of_memory\"}");
			return;
		}
		d->req = req;
		d->status = status;
		d->body = text;
		snprintf(d->retry_after, sizeof d->retry_after, "%s", retry_after);
		return;
	}
	if (retry_after[0] && resp) {
		char *text = json_dumps(resp, API_JSON_FLAGS);
		struct fake_http_header h[2] = {
			{"Content-Type", "application/json; charset=utf-8"},
			{"Retry-After", retry_after},
		};

		json_decref(resp);
		if (text)
			fake_http_respond(req, status, h, 2, text, strlen(text));
		else
			fake_http_respond_json(req, 500, "{\"ok\":false,\"error\":\"fake_out_of_memory\"}");
		free(text);
		return;
	}
	reply(req, status, resp, API_JSON_FLAGS);
}

/* ---- control API ---- */

/* Reads an optional numeric query parameter. Returns 0 (out = def when absent) or -1
 * after answering 400. */
static int qlong(struct fake_http_req **req, const char *name, long min, long max, long def,
		 long *out)
{
	char *v = NULL, detail[128];
	int rc = fake_http_req_query_get(*req, name, &v);

	*out = def;
	if (rc == 0)
		return 0;
	if (rc > 0 && parse_long(v, min, max, out) == 0) {
		free(v);
		return 0;
	}
	free(v);
	snprintf(detail, sizeof detail, "%s must be an integer from %ld to %ld", name, min, max);
	reply_error(*req, 400, "bad_param", detail);
	*req = NULL;
	return -1;
}

/* An optional string parameter (caller frees *out). Returns 0, or -1 after answering 500. */
static int qstr(struct fake_http_req **req, const char *name, char **out)
{
	if (fake_http_req_query_get(*req, name, out) >= 0)
		return 0;
	reply_error(*req, 500, "fake_out_of_memory", NULL);
	*req = NULL;
	return -1;
}

static int read_send_opts(struct fake_http_req **req, struct send_opts *so)
{
	long pb = 0, bin = 0;

	if (qlong(req, "fragment", 0, FAKE_HTTP_MAX_BODY, 0, &so->fragment) ||
	    qlong(req, "ping_between", 0, 1, 0, &pb) || qlong(req, "binary", 0, 1, 0, &bin))
		return -1;
	so->ping_between = pb == 1;
	so->binary = bin == 1;
	return 0;
}

static void reply_sent(struct fake_http_req *req, long sent, const char *envelope_id)
{
	if (sent < 0) {
		reply_error(req, 500, "send_failed", NULL);
		return;
	}
	if (sent == 0) {
		reply(req, 409,
		      json_pack("{s:b, s:s, s:i, s:s}", "ok", 0, "error", "no_connection", "sent_to",
				0, "detail", "no open websocket connection matches conn"),
		      JSON_COMPACT);
		return;
	}
	reply(req, 200,
	      json_pack("{s:b, s:I, s:s*}", "ok", 1, "sent_to", (json_int_t)sent, "envelope_id",
			envelope_id),
	      JSON_COMPACT);
}

static void ctl_push(struct app *app, struct fake_http_req *req)
{
	struct sconn *t[MAX_WS];
	struct send_opts so = {0};
	size_t len;
	const char *body = fake_http_req_body(req, &len);
	long n;

	if (read_send_opts(&req, &so))
		return;
	n = select_targets(app, req, t, MAX_WS);
	if (n < 0) {
		reply_error(req, 400, "bad_param", "conn must be newest, oldest, all or an id");
		return;
	}
	reply_sent(req, send_to_targets(app, t, n, "push", body, len, &so, NULL), NULL);
}

static void ctl_envelope(struct app *app, struct fake_http_req *req)
{
	struct sconn *t[MAX_WS];
	struct send_opts so = {0};
	char *type = NULL, *retry_of = NULL, *reason = NULL, id[64];
	json_t *payload = NULL, *orig = NULL;
	long n, attempt = -1, accepts = -1, same_id = 0, sent;
	size_t len;
	const char *body = fake_http_req_body(req, &len);

	if (read_send_opts(&req, &so) || qstr(&req, "type", &type) ||
	    qstr(&req, "retry_of", &retry_of) || qstr(&req, "reason", &reason) ||
	    qlong(&req, "attempt", 1, 1000, 1, &attempt) ||
	    qlong(&req, "accepts", 0, 1, -1, &accepts) || qlong(&req, "same_id", 0, 1, 0, &same_id))
		goto out;
	if (retry_of) {
		orig = find_envelope(app, retry_of);
		if (!orig) {
			reply_error(req, 404, "unknown_envelope", "retry_of names no envelope sent");
			goto out;
		}
		if (!type) {
			type = strdup(jstr(orig, "type"));
			if (!type) {
				reply_error(req, 500, "fake_out_of_memory", NULL);
				goto out;
			}
		}
	} else {
		attempt = -1;
	}
	if (!type || (strcmp(type, "events_api") != 0 && strcmp(type, "slash_commands") != 0 &&
		      strcmp(type, "interactive") != 0)) {
		reply_error(req, 400, "bad_param",
			    "type must be events_api, slash_commands or interactive");
		goto out;
	}
	if (len > 0) {
		payload = json_loadb(body, len, 0, NULL);
		if (!json_is_object(payload)) {
			reply_error(req, 400, "invalid_json", "the body must be a JSON object (the payload)");
			goto out;
		}
	} else if (orig) {
		payload = json_incref(json_object_get(orig, "payload"));
	} else {
		reply_error(req, 400, "payload_required", "the body is the envelope's payload");
		goto out;
	}
	n = select_targets(app, req, t, MAX_WS);
	if (n < 0) {
		reply_error(req, 400, "bad_param", "conn must be newest, oldest, all or an id");
		goto out;
	}
	sent = send_envelope(app, t, n, type, payload, (int)accepts, attempt,
			     reason ? reason : "timeout", retry_of,
			     same_id && retry_of ? retry_of : NULL, &so, id);
	reply_sent(req, sent, sent > 0 ? id : NULL);
out:
	json_decref(payload);
	free(type);
	free(retry_of);
	free(reason);
}

static void ctl_disconnect(struct app *app, struct fake_http_req *req)
{
	static const char *reasons[] = {"warning", "refresh_requested", "link_disabled",
					"too_many_websockets"};
	struct sconn *t[MAX_WS];
	char *reason = NULL, *text = NULL;
	long n, close_ms, sent = 0, i;
	json_t *frame;
	bool known = false;

	if (qstr(&req, "reason", &reason) || qlong(&req, "close_ms", 0, 600000, -1, &close_ms))
		goto out;
	for (i = 0; reason && i < 4; i++)
		known |= strcmp(reason, reasons[i]) == 0;
	if (!known) {
		reply_error(req, 400, "bad_param",
			    "reason must be warning, refresh_requested, link_disabled or "
			    "too_many_websockets");
		goto out;
	}
	n = select_targets(app, req, t, MAX_WS);
	if (n < 0) {
		reply_error(req, 400, "bad_param", "conn must be newest, oldest, all or an id");
		goto out;
	}
	frame = json_pack("{s:s, s:s, s:{s:s}}", "type", "disconnect", "reason", reason,
			  "debug_info", "host", WS_HOST);
	text = frame ? json_dumps(frame, JSON_COMPACT) : NULL;
	json_decref(frame);
	if (!text) {
		reply_error(req, 500, "fake_out_of_memory", NULL);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (conn_send(app, t[i], "disconnect", text, strlen(text), NULL, NULL) < 0)
			continue;
		sent++;
		if (close_ms >= 0) {
			struct delayed *d = delayed_new(app, DELAYED_CLOSE, close_ms);

			if (d)
				d->conn_id = t[i]->id;
		}
	}
	reply_sent(req, sent, NULL);
out:
	free(reason);
	free(text);
}

static void ctl_drop(struct app *app, struct fake_http_req *req)
{
	struct sconn *t[MAX_WS];
	long n, i, midframe, reset;

	if (qlong(&req, "midframe", 0, 1, 0, &midframe) || qlong(&req, "reset", 0, 1, 0, &reset))
		return;
	n = select_targets(app, req, t, MAX_WS);
	if (n < 0) {
		reply_error(req, 400, "bad_param", "conn must be newest, oldest, all or an id");
		return;
	}
	for (i = 0; i < n; i++) {
		t[i]->end = midframe ? "server_drop_midframe" : reset ? "server_reset" : "server_drop";
		fake_ws_drop(t[i]->ws, midframe ? FAKE_WS_DROP_MIDFRAME
					: reset ? FAKE_WS_DROP_RESET : FAKE_WS_DROP_FIN);
	}
	if (n == 0)
		reply_sent(req, 0, NULL);
	else
		reply(req, 200, json_pack("{s:b, s:I}", "ok", 1, "dropped", (json_int_t)n),
		      JSON_COMPACT);
}

static void ctl_close(struct app *app, struct fake_http_req *req)
{
	struct sconn *t[MAX_WS];
	char *reason = NULL;
	long n, i, code, sent = 0;

	if (qlong(&req, "code", 1000, 4999, 1000, &code) || qstr(&req, "reason", &reason))
		return;
	n = select_targets(app, req, t, MAX_WS);
	if (n < 0) {
		free(reason);
		reply_error(req, 400, "bad_param", "conn must be newest, oldest, all or an id");
		return;
	}
	for (i = 0; i < n; i++) {
		if (fake_ws_close(t[i]->ws, (int)code, reason ? reason : "") == 0) {
			t[i]->end = "server_close";
			sent++;
		}
	}
	free(reason);
	reply_sent(req, sent, NULL);
}

static void ctl_garbage(struct app *app, struct fake_http_req *req)
{
	struct sconn *t[MAX_WS];
	struct send_opts so = {0};
	char *kind = NULL, *text = NULL, id[64];
	long n, sent = -1;
	size_t len;

	if (read_send_opts(&req, &so) || qstr(&req, "kind", &kind))
		goto out;
	n = select_targets(app, req, t, MAX_WS);
	if (n < 0) {
		reply_error(req, 400, "bad_param", "conn must be newest, oldest, all or an id");
		goto out;
	}
	if (!kind || strcmp(kind, "text") == 0) {
		char g[64];

		snprintf(g, sizeof g, "this is not JSON {\"envelope_id\": %lu", ++app->garbage_counter);
		sent = send_to_targets(app, t, n, "garbage", g, strlen(g), &so, NULL);
	} else if (strcmp(kind, "binary") == 0) {
		unsigned char b[256];
		int i;

		for (i = 0; i < 256; i++)
			b[i] = (unsigned char)i;
		so.binary = true;
		sent = send_to_targets(app, t, n, "garbage_binary", (const char *)b, sizeof b, &so,
				       NULL);
	} else if (strcmp(kind, "huge") == 0) {
		len = HUGE_FRAME;
		text = malloc(len);
		if (!text) {
			reply_error(req, 500, "fake_out_of_memory", NULL);
			goto out;
		}
		memset(text, 'x', len);
		memcpy(text, "HUGE:", 5);
		sent = send_to_targets(app, t, n, "garbage_huge", text, len, &so, NULL);
	} else if (strcmp(kind, "shape") == 0) {
		json_t *env;

		new_uuid(app, id);
		env = json_pack("{s:s, s:s, s:s, s:b}", "envelope_id", id, "type", "events_api",
				"payload", "this payload is not an object",
				"accepts_response_payload", 0);
		text = env ? json_dumps(env, JSON_COMPACT) : NULL;
		json_decref(env);
		if (!text) {
			reply_error(req, 500, "fake_out_of_memory", NULL);
			goto out;
		}
		sent = send_to_targets(app, t, n, "garbage_shape", text, strlen(text), &so, id);
		if (sent > 0)
			store_append(app->envelopes,
				     json_pack("{s:s, s:s, s:i, s:I, s:I, s:b, s:i, s:s}",
					       "envelope_id", id, "type", "events_api",
					       "retry_attempt", 0, "conn", (json_int_t)t[0]->id,
					       "sent_to", (json_int_t)sent, "acked", 0, "ack_count",
					       0, "payload", "this payload is not an object"));
		reply_sent(req, sent, sent > 0 ? id : NULL);
		goto out;
	} else {
		reply_error(req, 400, "bad_param", "kind must be text, binary, huge or shape");
		goto out;
	}
	reply_sent(req, sent, NULL);
out:
	free(kind);
	free(text);
}

static void on_ping_timer(uv_timer_t *t)
{
	struct app *app = t->data;
	struct sconn *sc;
	char payload[32];

	if (!app->pings_on || app->silent)
		return;
	for (sc = app->head; sc; sc = sc->next) {
		if (!fake_ws_is_open(sc->ws))
			continue;
		snprintf(payload, sizeof payload, "fake-ping-%lu", ++app->ping_counter);
		if (fake_ws_send(sc->ws, FAKE_WS_PING, payload, strlen(payload)) == 0) {
			sc->pings_sent++;
			app->pings_sent++;
		}
	}
}

static void ctl_pings(struct app *app, struct fake_http_req *req)
{
	long on, interval;

	if (qlong(&req, "on", 0, 1, -1, &on) ||
	    qlong(&req, "interval", 1, 3600, app->ping_interval_ms ? app->ping_interval_ms / 1000 : 5,
		  &interval))
		return;
	if (on < 0) {
		reply_error(req, 400, "bad_param", "on must be 0 or 1");
		return;
	}
	app->pings_on = on == 1;
	if (app->pings_on && interval * 1000 != app->ping_interval_ms) {
		app->ping_interval_ms = interval * 1000;
		uv_timer_start(&app->ping_timer, on_ping_timer, (uint64_t)app->ping_interval_ms,
			       (uint64_t)app->ping_interval_ms);
	}
	reply(req, 200,
	      json_pack("{s:b, s:b, s:I}", "ok", 1, "pings", app->pings_on, "interval_s",
			(json_int_t)(app->ping_interval_ms / 1000)),
	      JSON_COMPACT);
}

/* /silence?on=1: the server stalls but keeps its connections: no hello on new
 * websockets, no pings, no pongs to the client's pings. on=0 answers pings again. */
static void ctl_silence(struct app *app, struct fake_http_req *req)
{
	long on;

	if (qlong(&req, "on", 0, 1, -1, &on))
		return;
	if (on < 0) {
		reply_error(req, 400, "bad_param", "on must be 0 or 1");
		return;
	}
	app->silent = on == 1;
	for (struct sconn *sc = app->head; sc; sc = sc->next)
		fake_ws_set_silent(sc->ws, app->silent);
	reply(req, 200, json_pack("{s:b, s:b}", "ok", 1, "silent", app->silent), JSON_COMPACT);
}

/* A method parameter for fault rules: a Web API method we implement, or "*". */
static int rule_method(struct fake_http_req **req, char out[64])
{
	char *m = NULL;

	if (qstr(req, "method", &m))
		return -1;
	if (!m || strlen(m) >= 64 || (strcmp(m, "*") != 0 && !find_method(m))) {
		free(m);
		reply_error(*req, 400, "bad_param", "method must name a Web API method of the fake, or *");
		*req = NULL;
		return -1;
	}
	snprintf(out, 64, "%s", m);
	free(m);
	return 0;
}

static void set_rule(struct app *app, struct fake_http_req *req, const struct rule *r)
{
	struct rule *old = NULL;
	size_t i;

	for (i = 0; i < app->n_rules; i++)
		if (app->rules[i].kind == r->kind && strcmp(app->rules[i].method, r->method) == 0)
			old = &app->rules[i];
	if (r->count == 0) {
		if (old)
			remove_rule(app, old);
	} else if (old) {
		*old = *r;
	} else if (app->n_rules < MAX_RULES) {
		app->rules[app->n_rules++] = *r;
	} else {
		reply_error(req, 409, "too_many_rules", "POST /_control/reset first");
		return;
	}
	reply(req, 200, json_pack("{s:b, s:i}", "ok", 1, "rules", (int)app->n_rules), JSON_COMPACT);
}

static void ctl_ratelimit(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_RATELIMIT};

	if (rule_method(&req, r.method) || qlong(&req, "count", 0, 1000000, 1, &r.count) ||
	    qlong(&req, "retry_after", 0, 3600, 1, &r.retry_after))
		return;
	set_rule(app, req, &r);
}

static void ctl_fail(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_FAIL};
	char *e = NULL;
	char *g = NULL;
	long status, commit, drop, cut;
	size_t i;

	if (rule_method(&req, r.method) || qlong(&req, "count", 0, 1000000, 1, &r.count) ||
	    qlong(&req, "status", 200, 599, 200, &status) || qlong(&req, "commit", 0, 1, 0, &commit) ||
	    qlong(&req, "drop", 0, 1, 0, &drop) || qlong(&req, "cut", 0, 1, 0, &cut) ||
	    qstr(&req, "garbage", &g))
		return;
	if (g && !fake_garbage_kind_ok(g)) {
		free(g);
		reply_error(req, 400, "bad_param", "garbage must be " FAKE_GARBAGE_KINDS);
		return;
	}
	snprintf(r.garbage, sizeof r.garbage, "%s", g ? g : "");
	free(g);
	r.cut = cut == 1;
	if (qstr(&req, "error", &e))
		return;
	snprintf(r.error, sizeof r.error, "%s", e ? e : "internal_error");
	for (i = 0; r.error[i]; i++) {
		if (!((r.error[i] >= 'a' && r.error[i] <= 'z') || r.error[i] == '_' ||
		      (r.error[i] >= '0' && r.error[i] <= '9'))) {
			free(e);
			reply_error(req, 400, "bad_param", "error must be a code like not_in_channel");
			return;
		}
	}
	free(e);
	r.status = (int)status;
	r.commit = commit == 1;
	r.drop = drop == 1;
	set_rule(app, req, &r);
}

static void ctl_stall(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_STALL};

	if (rule_method(&req, r.method) || qlong(&req, "ms", 0, 600000, -1, &r.ms) ||
	    qlong(&req, "count", 1, 1000000, -1, &r.count))
		return;
	if (r.ms < 0) {
		reply_error(req, 400, "bad_param", "ms is required (0 removes the stall)");
		return;
	}
	if (r.ms == 0)
		r.count = 0;
	set_rule(app, req, &r);
}

static void ctl_reset(struct app *app, struct fake_http_req *req)
{
	size_t n = app->n_rules;

	app->n_rules = 0;
	reply(req, 200, json_pack("{s:b, s:I}", "ok", 1, "cleared", (json_int_t)n), JSON_COMPACT);
}

static void ctl_echo(struct app *app, struct fake_http_req *req)
{
	long on;

	if (qlong(&req, "on", 0, 1, -1, &on))
		return;
	if (on < 0) {
		reply_error(req, 400, "bad_param", "on must be 0 or 1");
		return;
	}
	app->echo = on == 1;
	reply(req, 200, json_pack("{s:b, s:b}", "ok", 1, "echo", app->echo), JSON_COMPACT);
}

static void ctl_user(struct app *app, struct fake_http_req *req)
{
	char *id = NULL, *dn = NULL, *rn = NULL;
	long missing;
	json_t *u;

	if (qstr(&req, "id", &id) || qstr(&req, "display_name", &dn) ||
	    qstr(&req, "real_name", &rn) || qlong(&req, "missing", 0, 1, 0, &missing))
		goto out;
	if (!id_like(id, "UWB")) {
		reply_error(req, 400, "bad_param", "id must look like U123");
		goto out;
	}
	u = json_pack("{s:s?, s:s?, s:b}", "display_name", dn, "real_name", rn, "missing",
		      missing == 1);
	if (!u || json_object_set_new(app->users, id, u)) {
		reply_error(req, 500, "fake_out_of_memory", NULL);
		goto out;
	}
	reply(req, 200, json_pack("{s:b}", "ok", 1), JSON_COMPACT);
out:
	free(id);
	free(dn);
	free(rn);
}

static void ctl_log(struct app *app, struct fake_http_req *req)
{
	char *kind = NULL;
	long since;

	if (qlong(&req, "since", 0, 1L << 50, 0, &since) || qstr(&req, "kind", &kind))
		return;
	reply(req, 200, fake_log_since(app->log, (uint64_t)since, kind), JSON_COMPACT);
	free(kind);
}

/* arr filtered by channel (when given); payloads left out of envelopes unless asked. */
static void ctl_list(struct app *app, struct fake_http_req *req, json_t *arr)
{
	char *channel = NULL;
	long with_payload = 0;
	json_t *out;
	size_t i;

	if (qstr(&req, "channel", &channel) || qlong(&req, "payload", 0, 1, 0, &with_payload))
		return;
	out = json_array();
	for (i = 0; out && i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		const char *c = jstr(v, "channel");

		if (channel && (!c || strcmp(c, channel) != 0))
			continue;
		if (arr == app->envelopes && !with_payload) {
			v = json_copy(v);
			if (v)
				json_object_del(v, "payload");
			json_array_append_new(out, v);
		} else {
			json_array_append(out, v);
		}
	}
	free(channel);
	reply(req, 200, out, JSON_COMPACT);
}

static json_t *rules_json(struct app *app)
{
	static const char *kinds[] = {"ratelimit", "fail", "stall"};
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < app->n_rules; i++) {
		const struct rule *r = &app->rules[i];

		json_array_append_new(arr,
				      json_pack("{s:s, s:s, s:I, s:I, s:s, s:i, s:b, s:b, s:I}", "kind",
						kinds[r->kind], "method", r->method, "count",
						(json_int_t)r->count, "retry_after",
						(json_int_t)r->retry_after, "error", r->error, "status",
						r->status, "commit", r->commit, "drop", r->drop, "ms",
						(json_int_t)r->ms));
		if (r->garbage[0] || r->cut)
			json_object_update_new(json_array_get(arr, json_array_size(arr) - 1),
					       json_pack("{s:s, s:b}", "garbage", r->garbage, "cut",
							 r->cut));
	}
	return arr;
}

static void ctl_state(struct app *app, struct fake_http_req *req)
{
	json_t *conns = json_array(), *st;
	struct sconn *sc;
	uint64_t now = uv_now(app->loop);

	for (sc = app->head; conns && sc; sc = sc->next)
		json_array_append_new(
			conns, json_pack("{s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:I}", "id",
					 (json_int_t)sc->id, "ticket", (json_int_t)sc->ticket, "open",
					 fake_ws_is_open(sc->ws), "age_ms",
					 (json_int_t)(now - sc->opened_ms), "pings_sent",
					 (json_int_t)sc->pings_sent, "pongs", (json_int_t)sc->pongs,
					 "received", (json_int_t)sc->received, "acks",
					 (json_int_t)sc->acks));
	st = json_pack("{s:b, s:i, s:i, s:o?, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		       "s:I, s:I}, s:O, s:{s:b, s:I}, s:b, s:o?, s:I, s:I}",
		       "ok", 1, "port", app->port, "open", (int)app->n_open, "connections", conns,
		       "totals", "ws_connections", (json_int_t)app->ws_total, "http_connections",
		       (json_int_t)fake_http_server_total_conns(app->http), "api_calls",
		       (json_int_t)app->api_calls, "ws_received", (json_int_t)app->ws_received,
		       "acks", (json_int_t)json_array_size(app->acks), "envelopes",
		       (json_int_t)json_array_size(app->envelopes), "messages",
		       (json_int_t)json_array_size(app->messages), "reactions",
		       (json_int_t)json_array_size(app->reactions), "views",
		       (json_int_t)json_array_size(app->views), "pings_sent",
		       (json_int_t)app->pings_sent, "pongs", (json_int_t)app->pongs,
		       "tickets_issued", (json_int_t)app->n_tickets, "api_counts", app->api_counts,
		       "pings", "on", app->pings_on, "interval_s",
		       (json_int_t)(app->ping_interval_ms / 1000), "echo", app->echo, "rules",
		       rules_json(app), "log_seq", (json_int_t)fake_log_last_seq(app->log),
		       "log_dropped", (json_int_t)fake_log_dropped(app->log));
	reply(req, 200, st, JSON_COMPACT);
}

static const struct control {
	const char *name;
	bool post;
	void (*fn)(struct app *app, struct fake_http_req *req);
} controls[] = {
	{"push", true, ctl_push},
	{"envelope", true, ctl_envelope},
	{"disconnect", true, ctl_disconnect},
	{"drop", true, ctl_drop},
	{"close", true, ctl_close},
	{"garbage", true, ctl_garbage},
	{"pings", true, ctl_pings},
	{"silence", true, ctl_silence},
	{"ratelimit", true, ctl_ratelimit},
	{"fail", true, ctl_fail},
	{"stall", true, ctl_stall},
	{"reset", true, ctl_reset},
	{"echo", true, ctl_echo},
	{"user", true, ctl_user},
	{"log", false, ctl_log},
	{"messages", false, NULL},
	{"acks", false, NULL},
	{"envelopes", false, NULL},
	{"reactions", false, NULL},
	{"views", false, NULL},
	{"state", false, ctl_state},
};

static void handle_control(struct app *app, struct fake_http_req *req, const char *name)
{
	const char *method = fake_http_req_method(req);
	size_t i;

	for (i = 0; i < sizeof controls / sizeof controls[0]; i++) {
		const struct control *c = &controls[i];

		if (strcmp(c->name, name) != 0)
			continue;
		if (strcmp(method, c->post ? "POST" : "GET") != 0) {
			reply_error(req, 405, "method_not_allowed", c->post ? "use POST" : "use GET");
			return;
		}
		if (c->post)
			log_event(app, "control",
				  json_pack("{s:s, s:s}", "path", name, "query",
					    fake_http_req_query(req)));
		if (c->fn)
			c->fn(app, req);
		else if (strcmp(name, "messages") == 0)
			ctl_list(app, req, app->messages);
		else if (strcmp(name, "acks") == 0)
			ctl_list(app, req, app->acks);
		else if (strcmp(name, "envelopes") == 0)
			ctl_list(app, req, app->envelopes);
		else if (strcmp(name, "reactions") == 0)
			ctl_list(app, req, app->reactions);
		else
			ctl_list(app, req, app->views);
		return;
	}
	reply_error(req, 404, "unknown_control", "see tests/fakes/README.md");
}

static void on_request(void *ud, struct fake_http_req *req)
{
	struct app *app = ud;
	const char *path = fake_http_req_path(req);

	if (app->m.stopping) {
		reply_error(req, 503, "shutting_down", NULL);
	} else if (strncmp(path, "/api/", 5) == 0) {
		handle_api(app, req, path + 5);
	} else if (strncmp(path, "/_control/", 10) == 0) {
		handle_control(app, req, path + 10);
	} else if (strcmp(path, "/link/") == 0 || strcmp(path, "/link") == 0) {
		handle_link(app, req);
	} else {
		reply_error(req, 404, "not_found", "paths: /api/METHOD, /link/, /_control/...");
	}
}

/* ---- start and stop ---- */

static void on_stop(struct fake_main *m, const char *why)
{
	struct app *app = m->data;
	struct delayed *d;

	(void)why;
	uv_close((uv_handle_t *)&app->ping_timer, NULL);
	while ((d = app->delayed) != NULL) {
		uv_timer_stop(&d->timer);
		delayed_finish(d); /* a held request is freed by fake_http_server_free */
	}
}

static void on_start(struct fake_main *m)
{
	struct app *app = m->data;

	app->loop = m->loop;
	app->http = m->http;
	app->log = m->log;
	app->port = m->port;
	uv_timer_init(m->loop, &app->ping_timer);
	app->ping_timer.data = app;
	app->ping_interval_ms = app->o.ping_interval * 1000;
	app->pings_on = app->ping_interval_ms > 0;
	if (app->pings_on)
		uv_timer_start(&app->ping_timer, on_ping_timer, (uint64_t)app->ping_interval_ms,
			       (uint64_t)app->ping_interval_ms);
	log_event(app, "start", json_pack("{s:i}", "port", m->port));
	fprintf(stderr, "fake_slack: listening on 127.0.0.1:%d\n", m->port);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fake_slack [options]\n"
		"  --port N             listen on 127.0.0.1:N (0 = ephemeral, the default)\n"
		"  --port-file FILE     write the bound port to FILE once listening\n"
		"  --log FILE           append every event to FILE as JSON lines\n"
		"  --max-seconds N      exit after N seconds (default 300)\n"
		"  --bot-token T        the valid bot token (default xoxb-test-bot)\n"
		"  --app-token T        the valid app token (default xapp-test-app)\n"
		"  --ping-interval S    websocket ping every S seconds, 0 = off (default 5)\n"
		"  --max-message BYTES  cap for a reassembled client message (default 8 MiB)\n"
		"  --any-ticket         accept websocket connections without a valid ticket\n"
		"  --verbose            also print every event to stderr\n"
		"  --check-codecs       run the SHA-1/base64/UTF-8 self-test and exit\n"
		"Control API: see tests/fakes/README.md\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){.bot_token = "xoxb-test-bot", .app_token = "xapp-test-app",
			   .ping_interval = 5};
	fake_main_opts_init(&o->m);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		long n;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--check-codecs") == 0) {
			int rc = fake_codec_selftest();

			printf("codecs %s\n", rc == 0 ? "ok" : "FAILED");
			exit(rc == 0 ? 0 : 1);
		} else if (strcmp(a, "--any-ticket") == 0) {
			o->any_ticket = true;
			continue;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->m.verbose = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "fake_slack: %s needs a value (or is unknown)\n", a);
			return -1;
		}
		i++;
		if (fake_main_opt(&o->m, a, v, parse_long)) {
			continue;
		} else if (strcmp(a, "--ping-interval") == 0 && parse_long(v, 0, 3600, &n) == 0) {
			o->ping_interval = n;
		} else if (strcmp(a, "--max-message") == 0 &&
			   parse_long(v, 1024, 64L * 1024 * 1024, &n) == 0) {
			o->max_message = (size_t)n;
		} else if (strcmp(a, "--bot-token") == 0 && *v) {
			o->bot_token = v;
		} else if (strcmp(a, "--app-token") == 0 && *v) {
			o->app_token = v;
		} else {
			fprintf(stderr, "fake_slack: bad option %s %s\n", a, v);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct app app;
	int rc = 1;

	if (parse_opts(argc, argv, &app.o)) {
		usage(stderr);
		return 2;
	}
	app.rng = fake_main_seed();
	app.messages = json_array();
	app.acks = json_array();
	app.envelopes = json_array();
	app.reactions = json_array();
	app.reacted = json_object();
	app.views = json_array();
	app.users = json_object();
	app.ims = json_object();
	app.api_counts = json_object();
	if (!app.messages || !app.acks || !app.envelopes || !app.reactions || !app.reacted || !app.views ||
	    !app.users || !app.ims || !app.api_counts) {
		fprintf(stderr, "fake_slack: out of memory\n");
		goto out_json;
	}
	app.m = (struct fake_main){.name = "fake_slack", .o = &app.o.m, .on_request = on_request,
				   .on_start = on_start, .on_stop = on_stop, .data = &app};
	rc = fake_main_run(&app.m);
out_json:
	json_decref(app.messages);
	json_decref(app.acks);
	json_decref(app.envelopes);
	json_decref(app.reactions);
	json_decref(app.reacted);
	json_decref(app.views);
	json_decref(app.users);
	json_decref(app.ims);
	json_decref(app.api_counts);
	free(app.tickets);
	return rc;
}
