/* slack_send.c - the outbound side of the Slack transport: outbox messages become Web API
 * calls, queued per channel so each channel gets its messages in order and about one a
 * second; a 429 holds the channel for Retry-After. Forms and reactions skip the queue
 * (a modal must open within 3 s of its trigger). */
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/slack_blocks.h"
#include "bot/slack_internal.h"
#include "bot/slack_text.h"

#define PACE_MS 1000               /* between messages in one channel */
#define RATE_DEFAULT_S 30          /* a 429 without Retry-After */
#define RETRY_MAX 8                /* temporary failures before giving up */
#define RETRY_CAP_MS 60000

/* One outbox message: one or more API calls (a long post is split in parts). */
struct slack_out {
	int64_t id;
	char method[32];
	json_t **parts;            /* request bodies, sent in order */
	size_t n_parts, next_part;
	char *first_ts;            /* the ts of the first part: the message's id */
	int failures;
	bool in_flight;
	struct slack_channel *channel;   /* NULL in the unpaced lane */
	struct slack_out *next;
};

struct slack_channel {
	char *id;
	struct slack_out *head, *tail;
	uint64_t not_before_ms;    /* loop time before which nothing is sent here */
	struct slack_channel *next;
};

static void out_free(struct slack_out *o)
{
	for (size_t i = 0; i < o->n_parts; i++)
		json_decref(o->parts[i]);
	free(o->parts);
	free(o->first_ts);
	free(o);
}

static bool known(const struct slack *s, int64_t id)
{
	for (const struct slack_out *o = s->lane; o; o = o->next)
		if (o->id == id)
			return true;
	for (const struct slack_channel *c = s->channels; c; c = c->next)
		for (const struct slack_out *o = c->head; o; o = o->next)
			if (o->id == id)
				return true;
	return false;
}

static struct slack_channel *channel_get(struct slack *s, const char *id)
{
	struct slack_channel *c;

	for (c = s->channels; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	c = calloc(1, sizeof *c);
	if (!c || !(c->id = strdup(id))) {
		free(c);
		return NULL;
	}
	c->next = s->channels;
	s->channels = c;
	return c;
}

static void channel_pop(struct slack_channel *c)
{
	struct slack_out *o = c->head;

	c->head = o->next;
	if (!c->head)
		c->tail = NULL;
	out_free(o);
}

static void lane_remove(struct slack *s, struct slack_out *o)
{
	for (struct slack_out **p = &s->lane; *p; p = &(*p)->next) {
		if (*p == o) {
			*p = o->next;
			out_free(o);
			return;
		}
	}
}

/* The Web API needs no websocket: sends go on from start to stop. */
static bool can_send(const struct slack *s)
{
	return s->state != SLACK_IDLE && s->state != SLACK_STOPPING && s->state != SLACK_STOPPED;
}

static uint64_t now_ms(struct slack *s)
{
	return uv_now(&s->base.bot->loop);
}

static void pump(struct slack *s);

static void on_pump_timer(uv_timer_t *t)
{
	pump(t->data);
}

/* Arms the pump timer for the earliest channel that waits. */
static void schedule_pump(struct slack *s)
{
	uint64_t now = now_ms(s), next = UINT64_MAX;

	for (struct slack_channel *c = s->channels; c; c = c->next)
		if (c->head && !c->head->in_flight && c->not_before_ms < next)
			next = c->not_before_ms;
	if (next == UINT64_MAX)
		return;
	uv_timer_start(&s->pump_timer, on_pump_timer, next > now ? next - now : 0, 0);
}

/* The message is done with: delivered (ref may be NULL) or given up (error). */
static void finish(struct slack *s, struct slack_out *o, const char *ref, const char *error)
{
	int64_t id = o->id;
	struct slack_channel *c = o->channel;

	/* Record first: ref may be o->first_ts, which freeing o frees. */
	if (error)
		bot_failed(s->base.bot, id, error);
	else
		bot_sent(s->base.bot, id, ref);
	if (c)
		channel_pop(c);
	else
		lane_remove(s, o);
}

static void on_sent(struct slack *s, void *ud, const struct slack_result *r)
{
	struct slack_out *o = ud;
	struct slack_channel *c = o->channel;
	uint64_t now = now_ms(s);
	const char *ts = json_string_value(json_object_get(r->body, "ts"));
	char error[160];

	o->in_flight = false;
	if (!ts)
		ts = json_string_value(json_object_get(r->body, "message_ts"));
	switch (slack_classify(r)) {
	case SLACK_ERR_NONE:
		if (ts && !o->first_ts)
			o->first_ts = strdup(ts);
		if (c)
			c->not_before_ms = now + PACE_MS;
		if (++o->next_part < o->n_parts)
			break;
		finish(s, o, o->first_ts, NULL);
		break;
	case SLACK_ERR_RATE:
		if (c)
			c->not_before_ms = now + 1000 * (uint64_t)(r->retry_after_s > 0
					      ? r->retry_after_s : RATE_DEFAULT_S);
		log_info("slack", "%s rate-limited: waiting %ld s", o->method,
			 r->retry_after_s > 0 ? r->retry_after_s : RATE_DEFAULT_S);
		if (!c)
			finish(s, o, NULL, "rate-limited");
		break;
	case SLACK_ERR_TEMPORARY:
		if (++o->failures > RETRY_MAX || !c) {
			snprintf(error, sizeof error, "%s: %s (gave up)", o->method, r->error);
			finish(s, o, NULL, error);
			break;
		}
		c->not_before_ms = now + ((uint64_t)PACE_MS << (o->failures < 6 ? o->failures : 6));
		if (c->not_before_ms > now + RETRY_CAP_MS)
			c->not_before_ms = now + RETRY_CAP_MS;
		break;
	case SLACK_ERR_AUTH:
		slack_fatal(s, o->method, r);
		return;
	case SLACK_ERR_CHANNEL:
		log_warn("slack", "cannot post in %s: %s; invite the bot to the channel "
			 "(/invite @workshopbot)", c ? c->id : "a channel", r->error);
		/* fall through */
	case SLACK_ERR_MAYBE_DONE:
	case SLACK_ERR_PERMANENT:
		/* internal_error may have posted it: never blindly post again. */
		snprintf(error, sizeof error, "%s: %s", o->method, r->error);
		if (strcmp(r->error, "already_reacted") == 0)
			finish(s, o, NULL, NULL);
		else
			finish(s, o, NULL, error);
		break;
	}
	if (!can_send(s))
		return;
	pump(s);
	bot_flush(s->base.bot, &s->base);
}

static void start(struct slack *s, struct slack_out *o)
{
	o->in_flight = true;
	slack_api_call(s, o->method, json_incref(o->parts[o->next_part]), false, on_sent, o);
}

/* Starts the head of every channel whose time has come. */
static void pump(struct slack *s)
{
	uint64_t now = now_ms(s);

	if (!can_send(s))
		return;
	for (struct slack_channel *c = s->channels; c; c = c->next)
		if (c->head && !c->head->in_flight && c->not_before_ms <= now)
			start(s, c->head);
	schedule_pump(s);
}

/* Splits mrkdwn into parts of at most SLACK_TEXT_MAX bytes, at line breaks. */
static size_t next_cut(const char *text)
{
	size_t len = strlen(text), cut;

	if (len <= SLACK_TEXT_MAX)
		return len;
	cut = SLACK_TEXT_MAX;
	while (cut > SLACK_TEXT_MAX / 2 && text[cut] != '\n')
		cut--;
	if (text[cut] != '\n')
		cut = SLACK_TEXT_MAX;
	while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
		cut--;
	return cut;
}

static int add_part(struct slack_out *o, json_t *body)
{
	json_t **parts = realloc(o->parts, (o->n_parts + 1) * sizeof *parts);

	if (!body || !parts) {
		json_decref(body);
		if (parts)
			o->parts = parts;
		return BOT_ERR_NOMEM;
	}
	o->parts = parts;
	o->parts[o->n_parts++] = body;
	return 0;
}

static int add_post_parts(struct slack_out *o, const struct outbox_rec *rec, const char *text)
{
	bool question = rec->session_id > 0 && rec->prompt_index >= 0;
	int result = 0;

	while (!result && *text) {
		size_t n = next_cut(text);
		char *part = strndup(text, n);
		if (!part)
			return BOT_ERR_NOMEM;
		text += n;
		while (*text == '\n')
			text++;
		/* The buttons go with the last part, under the whole question. */
		result = add_part(o, slack_post_body(rec, part, question && !*text));
		free(part);
	}
	return result;
}

/* Fills o with the calls for rec. Returns 0, or BOT_ERR_* (then o is not sent). */
static int prepare(struct slack_out *o, const struct outbox_rec *rec, const struct msg *m,
		   char *err, size_t errlen)
{
	char *text = m ? slack_render_mrkdwn(m) : NULL;
	int result = 0;

	if (m && !text)
		return BOT_ERR_NOMEM;
	switch (rec->kind) {
	case OUTBOX_POST:
		snprintf(o->method, sizeof o->method, "chat.postMessage");
		result = add_post_parts(o, rec, text);
		break;
	case OUTBOX_PRIVATE:
		snprintf(o->method, sizeof o->method, "chat.postEphemeral");
		result = add_part(o, slack_ephemeral_body(rec, text));
		break;
	case OUTBOX_CONFIRM:
		snprintf(o->method, sizeof o->method, "reactions.add");
		result = add_part(o, json_pack("{s:s, s:s, s:s}", "channel", rec->channel,
					       "timestamp", rec->target_ref, "name",
					       "white_check_mark"));
		break;
	case OUTBOX_UPDATE:
		snprintf(o->method, sizeof o->method, "chat.update");
		result = add_part(o, slack_update_body(rec, text));
		break;
	case OUTBOX_FORM:
		snprintf(o->method, sizeof o->method, "views.open");
		result = add_part(o, slack_modal_body(rec, err, errlen));
		if (result)
			result = BOT_ERR_INVALID;
		break;
	}
	free(text);
	if (!result && o->n_parts == 0)
		result = bot_fail(err, errlen, BOT_ERR_INVALID, "empty message");
	return result;
}

int slack_send(struct transport *t, const struct outbox_rec *rec, const struct msg *m)
{
	struct slack *s = (struct slack *)t;
	struct outbox_rec r = *rec;
	struct slack_out *o;
	char err[BOT_ERRMSG_MAX] = "";
	int result;

	if (!can_send(s))
		return BOT_ERR_STATE;
	if (known(s, rec->id))
		return 0;
	/* A confirmation without a message to react to (a form's answer) is said privately;
	 * an update of a post that never got an id has nothing to update. */
	if (r.kind == OUTBOX_CONFIRM && !r.target_ref)
		r.kind = OUTBOX_PRIVATE;
	if (r.kind == OUTBOX_UPDATE && !r.target_ref) {
		bot_sent(t->bot, rec->id, NULL);
		return 0;
	}
	o = calloc(1, sizeof *o);
	if (!o)
		return BOT_ERR_NOMEM;
	o->id = rec->id;
	result = prepare(o, &r, m, err, sizeof err);
	if (result == BOT_ERR_INVALID) {
		out_free(o);
		bot_failed(t->bot, rec->id, err);
		return 0;
	}
	if (result) {
		out_free(o);
		return result;
	}
	if (r.kind == OUTBOX_FORM || r.kind == OUTBOX_CONFIRM) {
		o->next = s->lane;
		s->lane = o;
		start(s, o);
		return 0;
	}
	o->channel = channel_get(s, rec->channel);
	if (!o->channel) {
		out_free(o);
		return BOT_ERR_NOMEM;
	}
	if (o->channel->tail)
		o->channel->tail->next = o;
	else
		o->channel->head = o;
	o->channel->tail = o;
	pump(s);
	return 0;
}

void slack_send_clear(struct slack *s)
{
	while (s->lane) {
		struct slack_out *o = s->lane;
		s->lane = o->next;
		out_free(o);
	}
	while (s->channels) {
		struct slack_channel *c = s->channels;
		s->channels = c->next;
		while (c->head)
			channel_pop(c);
		free(c->id);
		free(c);
	}
}

bool slack_send_busy(const struct slack *s)
{
	if (s->lane)
		return true;
	for (const struct slack_channel *c = s->channels; c; c = c->next)
		if (c->head && c->head->in_flight)
			return true;
	return false;
}
