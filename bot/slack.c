/* slack.c - the Slack transport's connection: auth.test, apps.connections.open, the
 * Socket Mode websocket, envelopes in and acks out, refresh without loss, reconnects with
 * capped exponential backoff and jitter, and a clean stop. */
#include "bot/slack.h"

#include <stdlib.h>
#include <string.h>

#include "bot/backoff.h"
#include "bot/bot.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/slack_internal.h"

#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 60000
#define DRAIN_MS 3000              /* at stop, how long sends in flight may finish */
#define PACE_MS 1000               /* between messages in one channel */
#define WS_MAX_MESSAGE (1024 * 1024)

static void connect_socket(struct slack *s);

/* The delay before the next attempt, by attempts failed so far (backoff.h). */
static uint64_t backoff_ms(int failures)
{
	return backoff_delay_ms(failures, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

static void on_retry_timer(uv_timer_t *t)
{
	connect_socket(t->data);
}

static void retry_later(struct slack *s, uint64_t ms, const char *why)
{
	if (s->state == SLACK_STOPPING || s->state == SLACK_STOPPED)
		return;
	s->state = SLACK_WAITING;
	log_info("slack", "%s; connecting again in %.1f s", why, (double)ms / 1000);
	uv_timer_start(&s->retry_timer, on_retry_timer, ms, 0);
}

static void retry_with_backoff(struct slack *s, const char *why)
{
	retry_later(s, backoff_ms(s->failures++), why);
}

/* Acknowledges an envelope on the connection it came on, else the current one. */
static void ack(struct slack *s, struct ws_conn *conn, const char *envelope_id)
{
	json_t *frame = json_pack("{s:s}", "envelope_id", envelope_id);
	char *text = frame ? json_dumps(frame, JSON_COMPACT) : NULL;

	json_decref(frame);
	if (!text)
		return;
	if (ws_send_text(conn, text, strlen(text)) != 0 &&
	    (!s->current || ws_send_text(s->current, text, strlen(text)) != 0))
		log_warn("slack", "could not ack envelope %s; Slack will deliver it again",
			 envelope_id);
	free(text);
}

static bool acks_room(struct slack *s)
{
	size_t cap = s->cap_acks ? 2 * s->cap_acks : 16;
	struct slack_ack *grown;

	if (s->n_acks < s->cap_acks)
		return true;
	grown = realloc(s->acks, cap * sizeof *grown);
	if (!grown)
		return false;
	s->acks = grown;
	s->cap_acks = cap;
	return true;
}

/* Holds the ack back until the turn's writes are committed (slack_committed). */
static void ack_when_committed(struct slack *s, struct ws_conn *conn, const char *envelope_id)
{
	char *id = acks_room(s) ? strdup(envelope_id) : NULL;

	if (!id) {
		log_warn("slack", "out of memory: envelope %s not acked; Slack will deliver it "
			 "again", envelope_id);
		return;
	}
	s->acks[s->n_acks++] = (struct slack_ack){ conn, id };
	/* An envelope that wrote nothing opened no turn: asking for the turn's flush makes
	 * it end, and with it come the acks. */
	bot_flush(s->base.bot, &s->base);
}

static void slack_committed(struct transport *t, bool ok)
{
	struct slack *s = (struct slack *)t;

	for (size_t i = 0; i < s->n_acks; i++) {
		if (ok)
			ack(s, s->acks[i].conn, s->acks[i].envelope_id);
		else
			log_warn("slack", "envelope %s not acked (it was not stored); Slack will "
				 "deliver it again", s->acks[i].envelope_id);
		free(s->acks[i].envelope_id);
	}
	s->n_acks = 0;
}

static void handle_envelope(struct slack *s, struct ws_conn *conn, struct slack_frame *f)
{
	int result = 0;

	if (f->has_event) {
		if (!f->ev.user_name && f->ev.user)
			f->ev.user_name = slack_user_name(s, f->ev.user);
		result = bot_event(s->base.bot, &s->base, &f->ev);
	} else if (f->malformed) {
		log_warn("slack", "envelope %s skipped: %s", f->envelope_id, f->ignored);
	} else {
		log_debug("slack", "envelope %s ignored: %s", f->envelope_id, f->ignored);
	}
	/* Only what is committed is acked: otherwise Slack delivers it again. */
	if (result == 0)
		ack_when_committed(s, conn, f->envelope_id);
	else
		log_warn("slack", "envelope %s not acked (%s); Slack will deliver it again",
			 f->envelope_id, bot_strerror(result));
}

static void handle_hello(struct slack *s, struct ws_conn *conn, const struct slack_frame *f)
{
	struct ws_conn *old = s->current;

	if (conn != s->pending)
		return;
	s->current = conn;
	s->pending = NULL;
	s->state = SLACK_READY;
	s->failures = 0;
	log_info("slack", "ready: %ld connection%s, refresh expected in about %ld s",
		 f->num_connections, f->num_connections == 1 ? "" : "s", f->connection_time_s);
	/* Make before break: the old connection closes only now that the new one is up. */
	if (old && old != conn)
		ws_close(old);
}

static void handle_disconnect(struct slack *s, struct ws_conn *conn, const char *reason)
{
	if (!reason)
		reason = "(no reason)";
	if (strcmp(reason, "link_disabled") == 0) {
		log_err("slack", "Slack disabled Socket Mode for this app (link_disabled): turn it "
			"on again in the app's settings (Socket Mode), then restart workshopbot");
		s->state = SLACK_STOPPED;
		bot_transport_failed(s->base.bot, &s->base);
		return;
	}
	if (strcmp(reason, "too_many_websockets") == 0) {
		log_warn("slack", "too many websockets open for this app; closing this one");
		ws_close(conn);
		return;  /* its on_close backs off and reconnects */
	}
	/* warning, refresh_requested: open the next connection before this one goes. */
	log_info("slack", "disconnect (%s): opening a new connection first", reason);
	if (!s->pending && s->state == SLACK_READY) {
		s->refreshing = true;
		connect_socket(s);
	}
}

static void on_ws_message(void *ud, struct ws_conn *conn, const char *data, size_t len)
{
	struct slack *s = ud;
	struct slack_frame f;
	char err[BOT_ERRMSG_MAX];

	if (slack_parse_frame(data, len, &s->me, &f, err, sizeof err) != 0) {
		log_warn("slack", "a frame was skipped: %s", err);
	} else if (f.type == SLACK_HELLO) {
		handle_hello(s, conn, &f);
	} else if (f.type == SLACK_DISCONNECT) {
		handle_disconnect(s, conn, f.reason);
	} else {
		handle_envelope(s, conn, &f);
	}
	slack_frame_free(&f);
}

static void on_ws_open(void *ud, struct ws_conn *conn)
{
	(void)ud;
	(void)conn;
	log_debug("slack", "websocket open; waiting for hello");
}

static void on_ws_close(void *ud, struct ws_conn *conn, const char *reason)
{
	struct slack *s = ud;

	for (size_t i = 0; i < s->n_acks; i++) {
		if (s->acks[i].conn == conn)
			s->acks[i].conn = NULL;
	}

	if (conn == s->pending) {
		s->pending = NULL;
		if (s->refreshing && s->current) {
			s->refreshing = false;
			log_warn("slack", "the new connection failed (%s); keeping the old one", reason);
			return;
		}
		retry_with_backoff(s, reason);
	} else if (conn == s->current) {
		s->current = NULL;
		if (!s->pending)
			retry_with_backoff(s, reason);
	}
	if (s->state == SLACK_STOPPING)
		slack_stop_if_drained(s);
}

static void on_connections_open(struct slack *s, void *ud, const struct slack_result *r)
{
	static const struct ws_callbacks callbacks = { on_ws_open, on_ws_message, on_ws_close };
	/* Ping every third of ping_timeout; no pong or data for ping_timeout: dead. */
	struct ws_options opt = {
		.max_message = WS_MAX_MESSAGE,
		.ping_interval_s = (int)(s->cfg->slack_ping_timeout / 3 > 0 ?
					 s->cfg->slack_ping_timeout / 3 : 1),
		.dead_after_s = (int)s->cfg->slack_ping_timeout,
	};
	const char *url = json_string_value(json_object_get(r->body, "url"));

	(void)ud;
	if (s->state == SLACK_STOPPING || s->state == SLACK_STOPPED)
		return;
	switch (slack_classify(r)) {
	case SLACK_ERR_NONE:
		break;
	case SLACK_ERR_AUTH:
		slack_fatal(s, "apps.connections.open", r);
		return;
	case SLACK_ERR_RATE:
		retry_later(s, 1000 * (uint64_t)(r->retry_after_s > 0 ? r->retry_after_s : 30),
			    "apps.connections.open is rate-limited");
		return;
	default:
		retry_with_backoff(s, r->error);
		return;
	}
	if (!url) {
		retry_with_backoff(s, "apps.connections.open gave no url");
		return;
	}
	s->pending = ws_connect(s->ws, url, &opt, &callbacks, s);
	if (!s->pending)
		retry_with_backoff(s, "apps.connections.open gave an unusable url");
}

/* A new websocket URL every time: Slack's URLs are single-use. */
static void connect_socket(struct slack *s)
{
	if (s->state != SLACK_READY)
		s->state = SLACK_CONNECTING;
	slack_api_call(s, "apps.connections.open", NULL, true, on_connections_open, NULL);
}

static void on_auth_test(struct slack *s, void *ud, const struct slack_result *r)
{
	const char *user = json_string_value(json_object_get(r->body, "user_id"));
	const char *bot = json_string_value(json_object_get(r->body, "bot_id"));

	(void)ud;
	if (s->state == SLACK_STOPPING || s->state == SLACK_STOPPED)
		return;
	switch (slack_classify(r)) {
	case SLACK_ERR_NONE:
		break;
	case SLACK_ERR_AUTH:
		slack_fatal(s, "auth.test", r);
		return;
	default:
		s->state = SLACK_WAITING;
		log_warn("slack", "auth.test failed (%s); trying again", r->error);
		uv_timer_start(&s->retry_timer, on_retry_timer, backoff_ms(s->failures++), 0);
		return;
	}
	free(s->user_id);
	free(s->bot_id);
	s->user_id = user ? strdup(user) : NULL;
	s->bot_id = bot ? strdup(bot) : NULL;
	s->me.user_id = s->user_id;
	s->me.bot_id = s->bot_id;
	log_info("slack", "signed in as %s in team %s", user ? user : "?",
		 json_string_value(json_object_get(r->body, "team_id")) ? json_string_value(
			 json_object_get(r->body, "team_id")) : "?");
	connect_socket(s);
}

static void authenticate(struct slack *s)
{
	s->state = SLACK_AUTHENTICATING;
	slack_api_call(s, "auth.test", NULL, false, on_auth_test, NULL);
}

static int slack_start(struct transport *t)
{
	struct slack *s = (struct slack *)t;
	uv_loop_t *loop = &t->bot->loop;

	s->http = http_new(loop);
	s->ws = s->http ? ws_context_new(loop) : NULL;
	s->pacer = s->ws ? pacer_new(loop, &slack_pacer_ops, s, PACE_MS) : NULL;
	if (!s->pacer) {
		log_err("slack", "cannot start the http and websocket clients");
		return BOT_ERR_IO;
	}
	uv_timer_init(loop, &s->retry_timer);
	uv_timer_init(loop, &s->drain_timer);
	s->retry_timer.data = s->drain_timer.data = s;
	s->timers_open = true;
	authenticate(s);
	return 0;
}

/* Stops for good: no connection, no call, every handle closing. */
static void finish_stop(struct slack *s)
{
	if (!s->timers_open)
		return;
	s->state = SLACK_STOPPED;
	slack_api_cancel_all(s);
	/* Unsent messages stay pending in the outbox for the next start. */
	pacer_free(s->pacer);
	s->pacer = NULL;
	s->pending = s->current = NULL;
	if (s->ws)
		ws_context_stop(s->ws);
	if (s->http)
		http_free(s->http);
	s->http = NULL;
	s->timers_open = false;
	uv_close((uv_handle_t *)&s->retry_timer, NULL);
	uv_close((uv_handle_t *)&s->drain_timer, NULL);
}

static void on_drain_timer(uv_timer_t *t)
{
	struct slack *s = t->data;

	if (slack_api_busy(s))
		log_warn("slack", "stopping with Web API calls still in flight");
	finish_stop(s);
}

/* Finishing runs from a timer, never inside the http or websocket callback that found
 * the transport drained (those must not free their own client). */
void slack_stop_if_drained(struct slack *s)
{
	if (s->timers_open && !slack_api_busy(s) && !s->current && !s->pending)
		uv_timer_start(&s->drain_timer, on_drain_timer, 0, 0);
}

/* Stops receiving at once; sends already in flight get DRAIN_MS to finish, so a posted
 * message is marked sent rather than posted again at the next start. */
static void slack_stop(struct transport *t)
{
	struct slack *s = (struct slack *)t;

	if (!s->timers_open)
		return;
	uv_timer_stop(&s->retry_timer);
	pacer_pause(s->pacer, true);
	if (s->state == SLACK_STOPPED) {
		uv_timer_start(&s->drain_timer, on_drain_timer, 0, 0);
		return;
	}
	s->state = SLACK_STOPPING;
	if (s->pending)
		ws_close(s->pending);
	if (s->current)
		ws_close(s->current);
	uv_timer_start(&s->drain_timer, on_drain_timer, DRAIN_MS, 0);
	slack_stop_if_drained(s);
}

static void slack_free(struct transport *t)
{
	struct slack *s = (struct slack *)t;

	if (s->ws)
		ws_context_free(s->ws);
	slack_users_free(s);
	slack_committed(t, false);
	free(s->acks);
	free(s->user_id);
	free(s->bot_id);
	free(s);
}

static const struct transport_ops slack_ops = {
	.name = "slack",
	.start = slack_start,
	.stop = slack_stop,
	.send = slack_send,
	.holds = slack_holds,
	.committed = slack_committed,
	.free = slack_free,
};

struct transport *slack_new(const struct config *cfg)
{
	struct slack *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->base.ops = &slack_ops;
	s->cfg = cfg;
	return &s->base;
}
