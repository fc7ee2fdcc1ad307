/* slack_send.c - the outbound side of the Slack transport: outbox messages become Web API
 * calls, paced by the shared pacer so each channel gets its messages in order and about
 * one a second; a 429 holds the channel for Retry-After. */
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/slack_blocks.h"
#include "bot/slack_internal.h"
#include "bot/slack_text.h"

#define BACKOFF_BASE_MS 1000       /* a temporary failure: 1 s, 2 s, 4 s ... */
#define RATE_DEFAULT_S 30          /* a 429 without Retry-After */
#define RETRY_MAX 8                /* temporary failures before giving up */

/* One outbox message: one or more API calls (a long post is split in parts). */
struct slack_out {
	struct slack *s;
	char method[32];
	json_t **parts;            /* request bodies, sent in order */
	size_t n_parts, next_part;
	char *first_ts;            /* the ts of the first part: the message's id */
	char *open_user;           /* a direct message to a person with no IM channel yet:
	                              conversations.open comes first */
};

static void out_free(struct slack_out *o)
{
	for (size_t i = 0; i < o->n_parts; i++)
		json_decref(o->parts[i]);
	free(o->parts);
	free(o->first_ts);
	free(o->open_user);
	free(o);
}

/* The Web API needs no websocket: sends go on from start to stop. */
static bool can_send(const struct slack *s)
{
	return s->state != SLACK_IDLE && s->state != SLACK_STOPPING && s->state != SLACK_STOPPED;
}

/* The message is done with: delivered (ref may be NULL) or given up (error). */
static void finish(struct slack *s, struct pacer_item *item, const char *ref, const char *error)
{
	int64_t id = item->id;

	if (error)
		bot_failed(s->base.bot, id, error);
	else
		bot_sent(s->base.bot, id, ref);
	pacer_done(s->pacer, item);
}

/* A call of the message failed (r->ok is false): retry, wait or give up by its class. */
static void call_failed(struct slack *s, struct pacer_item *item, const char *method,
			const struct slack_result *r)
{
	char error[160];
	long wait_s;

	switch (slack_classify(r)) {
	case SLACK_ERR_NONE:
		break;
	case SLACK_ERR_RATE:
		wait_s = r->retry_after_s > 0 ? r->retry_after_s : RATE_DEFAULT_S;
		log_info("slack", "%s rate-limited: waiting %ld s", method, wait_s);
		pacer_retry(s->pacer, item, 1000 * (uint64_t)wait_s);
		break;
	case SLACK_ERR_TEMPORARY:
		if (item->failures >= RETRY_MAX) {
			snprintf(error, sizeof error, "%s: %s (gave up)", method, r->error);
			finish(s, item, NULL, error);
			break;
		}
		wait_s = 1L << (item->failures < 6 ? item->failures : 6);
		log_warn("slack", "%s failed (HTTP %ld, %s): trying again in %ld s", method,
			 r->status, r->error, wait_s);
		pacer_retry(s->pacer, item, (uint64_t)BACKOFF_BASE_MS * (uint64_t)wait_s);
		break;
	case SLACK_ERR_AUTH:
		slack_fatal(s, method, r);
		return;
	case SLACK_ERR_CHANNEL:
		log_warn("slack", "cannot post in a channel: %s; invite the bot to it "
			 "(/invite @workshopbot)", r->error);
		/* fall through */
	case SLACK_ERR_MAYBE_DONE:
	case SLACK_ERR_PERMANENT:
		/* internal_error may have posted it: never blindly post again. */
		snprintf(error, sizeof error, "%s: %s", method, r->error);
		finish(s, item, NULL, strcmp(r->error, "already_reacted") == 0 ? NULL : error);
		break;
	}
	if (can_send(s))
		bot_flush(s->base.bot, &s->base);
}

static void on_sent(struct slack *s, void *ud, const struct slack_result *r)
{
	struct pacer_item *item = ud;
	struct slack_out *o = item->data;
	const char *ts = json_string_value(json_object_get(r->body, "ts"));

	if (!r->ok) {
		call_failed(s, item, o->method, r);
		return;
	}
	if (!ts)
		ts = json_string_value(json_object_get(r->body, "message_ts"));
	if (ts && !o->first_ts)
		o->first_ts = strdup(ts);
	if (++o->next_part < o->n_parts)
		pacer_again(s->pacer, item);
	else
		finish(s, item, o->first_ts, NULL);
	if (can_send(s))
		bot_flush(s->base.bot, &s->base);
}

static void start_send(void *ud, struct pacer_item *item);

/* conversations.open answered: the IM channel is remembered and the message goes there. */
static void on_opened(struct slack *s, void *ud, const struct slack_result *r)
{
	struct pacer_item *item = ud;
	struct slack_out *o = item->data;
	const char *channel = json_string_value(json_object_get(json_object_get(r->body, "channel"),
								"id"));
	struct slack_result bad = { .status = r->status, .error = "answer without channel.id",
				    .body = r->body };

	if (!r->ok || !channel) {
		call_failed(s, item, "conversations.open", r->ok ? &bad : r);
		return;
	}
	bot_direct_opened(s->base.bot, &s->base, o->open_user, channel);
	for (size_t i = 0; i < o->n_parts; i++)
		json_object_set_new(o->parts[i], "channel", json_string(channel));
	free(o->open_user);
	o->open_user = NULL;
	start_send(NULL, item);
}

static void start_send(void *ud, struct pacer_item *item)
{
	struct slack_out *o = item->data;

	(void)ud;
	if (o->open_user)
		slack_api_call(o->s, "conversations.open", slack_open_im_body(o->open_user),
			       false, on_opened, item);
	else
		slack_api_call(o->s, o->method, json_incref(o->parts[o->next_part]), false, on_sent,
			       item);
}

static void drop_send(void *ud, struct pacer_item *item)
{
	(void)ud;
	out_free(item->data);
}

const struct pacer_ops slack_pacer_ops = { start_send, drop_send };

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
	case OUTBOX_DIRECT:
		/* Posted in the IM channel; until it is known the parts name the person (a
		 * channel Slack also accepts) and conversations.open replaces it. */
		snprintf(o->method, sizeof o->method, "chat.postMessage");
		if (!rec->target_ref && !(o->open_user = strdup(rec->channel)))
			result = BOT_ERR_NOMEM;
		else
			result = add_post_parts(o, &(struct outbox_rec){ .channel = rec->target_ref
					? rec->target_ref : rec->channel, .prompt_index = -1 }, text);
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

bool slack_holds(const struct transport *t, int64_t outbox_id)
{
	const struct slack *s = (const struct slack *)t;

	return s->pacer && pacer_has(s->pacer, outbox_id);
}

int slack_send(struct transport *t, const struct outbox_rec *rec, const struct msg *m)
{
	struct slack *s = (struct slack *)t;
	struct outbox_rec r = *rec;
	struct slack_out *o;
	char err[BOT_ERRMSG_MAX] = "";
	int result;

	if (!s->pacer || !can_send(s))
		return BOT_ERR_STATE;
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
	o->s = s;
	result = prepare(o, &r, m, err, sizeof err);
	if (result == BOT_ERR_INVALID) {
		out_free(o);
		bot_failed(t->bot, rec->id, err);
		return 0;
	}
	/* Forms and reactions are not paced: a modal must open within 3 s of its trigger. */
	if (!result)
		result = pacer_add(s->pacer, rec->id, rec->channel,
				   r.kind == OUTBOX_FORM || r.kind == OUTBOX_CONFIRM, o);
	if (result)
		out_free(o);
	return result;
}
