/* matrix_send.c - the outbound side of the Matrix transport: outbox messages become
 * PUT /rooms/{room}/send/{type}/{txnId} with txnId "wb<outbox id>", so a retry (also
 * after a restart) is the same transaction and never posts twice. Paced per room;
 * M_LIMIT_EXCEEDED holds the room for its retry_after_ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/matrix_internal.h"
#include "bot/matrix_text.h"
#include "bot/store_sessions.h"

#define RETRY_MAX 8
#define RATE_DEFAULT_MS 5000
#define SEND_TIMEOUT_MS 30000

struct matrix_request {
	struct matrix *m;
	char path[1400];
	json_t *content;
	int64_t id;                /* the outbox id: the txnId is "wb<id>" */
	const char *type;          /* the event type (a literal) */
	char *open_user;           /* a direct message to a person with no direct room yet:
	                              POST /createRoom comes first */
};

/* The send path of req in room (an id, escaped here). */
static void set_path(struct matrix_request *req, const char *room_id)
{
	char room[600];

	matrix_escape(room_id, room, sizeof room);
	snprintf(req->path, sizeof req->path, "/rooms/%s/send/%s/wb%lld", room, req->type,
		 (long long)req->id);
}

/* The relation that puts a reply in a question's thread (with the reply fallback for
 * clients without threads). */
static json_t *thread_relation(const char *root)
{
	return json_pack("{s:s, s:s, s:b, s:{s:s}}", "rel_type", "m.thread", "event_id", root,
			 "is_falling_back", 1, "m.in_reply_to", "event_id", root);
}

static json_t *build_content(const struct outbox_rec *rec, const struct msg *msg,
			     const char **type)
{
	json_t *content;

	*type = "m.room.message";
	if (rec->kind == OUTBOX_CONFIRM) {
		*type = "m.reaction";
		return json_pack("{s:{s:s, s:s, s:s}}", "m.relates_to", "rel_type", "m.annotation",
				 "event_id", rec->target_ref, "key", "\xe2\x9c\x85");
	}
	content = matrix_notice_content(msg);
	if (!content)
		return NULL;
	if (rec->kind == OUTBOX_UPDATE) {
		/* An edit: the new content, and a "* " fallback body for old clients. */
		json_t *edit = json_pack("{s:s, s:s, s:O, s:{s:s, s:s}}", "msgtype", "m.notice",
					 "body", "* (updated)", "m.new_content", content,
					 "m.relates_to", "rel_type", "m.replace", "event_id",
					 rec->target_ref);
		json_decref(content);
		return edit;
	}
	if (rec->thread)
		json_object_set_new(content, "m.relates_to", thread_relation(rec->thread));
	return content;
}

/* How many options the checklist a question post asks has (0 for other posts): a
 * numbered reaction on that post checks one (see answer_reaction()). */
static size_t checklist_size(struct bot *b, const struct outbox_rec *rec)
{
	struct session_rec s;
	const struct template *t;

	if (rec->kind != OUTBOX_POST || rec->session_id <= 0 || rec->prompt_index < 0 ||
	    store_session_get(b->store, rec->session_id, &s) != 0)
		return 0;
	t = template_set_find(b->templates, s.template_id);
	if (!t || (size_t)rec->prompt_index >= t->n_prompts ||
	    t->prompts[rec->prompt_index].kind != PROMPT_CHECKLIST)
		return 0;
	return t->prompts[rec->prompt_index].n_options;
}

/* Adds "React with 1️⃣ … to check options" to a checklist's post (body and HTML). */
static void offer_reactions(json_t *content, size_t n)
{
	static const char *const keys[] = { "1\xef\xb8\x8f\xe2\x83\xa3", "2\xef\xb8\x8f\xe2\x83\xa3",
		"3\xef\xb8\x8f\xe2\x83\xa3", "4\xef\xb8\x8f\xe2\x83\xa3", "5\xef\xb8\x8f\xe2\x83\xa3",
		"6\xef\xb8\x8f\xe2\x83\xa3", "7\xef\xb8\x8f\xe2\x83\xa3", "8\xef\xb8\x8f\xe2\x83\xa3",
		"9\xef\xb8\x8f\xe2\x83\xa3", "\xf0\x9f\x94\x9f" };
	const char *fields[] = { "body", "formatted_body" };
	char line[256];
	size_t used;

	if (n == 0)
		return;
	used = (size_t)snprintf(line, sizeof line, "Or react with ");
	for (size_t i = 0; i < n && i < 10; i++)
		used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? " " : "",
					 keys[i]);
	snprintf(line + used, sizeof line - used, " to check options%s.",
		 n > 10 ? " 1 to 10 (the others by number)" : "");
	for (size_t f = 0; f < 2; f++) {
		const char *old = json_string_value(json_object_get(content, fields[f]));
		char *joined;
		if (!old)
			continue;
		joined = malloc(strlen(old) + strlen(line) + 8);
		if (!joined)
			continue;
		sprintf(joined, "%s%s%s", old, f ? "<br>" : "\n", line);
		json_object_set_new(content, fields[f], json_string(joined));
		free(joined);
	}
}

bool matrix_holds(const struct transport *t, int64_t outbox_id)
{
	const struct matrix *m = (const struct matrix *)t;

	return m->pacer && pacer_has(m->pacer, outbox_id);
}

int matrix_send(struct transport *t, const struct outbox_rec *rec, const struct msg *msg)
{
	struct matrix *m = (struct matrix *)t;
	struct outbox_rec r = *rec;
	struct matrix_request *req;

	if (!m->pacer || m->state == MATRIX_STOPPING || m->state == MATRIX_STOPPED)
		return BOT_ERR_STATE;
	/* Not signed in (yet, or again after a soft logout): it stays queued, and the flush
	 * after the next sync sends it. Sent now, it would go without a token, and the
	 * M_MISSING_TOKEN answer would stop the bot as if it had been logged out. */
	if (!m->token || m->state == MATRIX_SIGNING_IN)
		return BOT_ERR_STATE;
	/* Matrix has no forms, and nothing to edit when the post never got an id. */
	if (r.kind == OUTBOX_FORM || (r.kind == OUTBOX_UPDATE && !r.target_ref)) {
		bot_sent(t->bot, rec->id, NULL);
		return 0;
	}
	/* No reaction without a message; no private replies in Matrix: said in the room. */
	if (r.kind == OUTBOX_CONFIRM && !r.target_ref)
		r.kind = OUTBOX_PRIVATE;
	req = calloc(1, sizeof *req);
	if (!req)
		return BOT_ERR_NOMEM;
	req->m = m;
	req->id = rec->id;
	req->content = build_content(&r, msg, &req->type);
	/* A direct message goes to the person's direct room, created on the first one. */
	if (r.kind == OUTBOX_DIRECT && !r.target_ref)
		req->open_user = strdup(r.channel);
	if (!req->content || (r.kind == OUTBOX_DIRECT && !r.target_ref && !req->open_user)) {
		json_decref(req->content);
		free(req);
		return BOT_ERR_NOMEM;
	}
	offer_reactions(req->content, checklist_size(t->bot, &r));
	set_path(req, r.kind == OUTBOX_DIRECT && r.target_ref ? r.target_ref : r.channel);
	if (pacer_add(m->pacer, rec->id, rec->channel, r.kind == OUTBOX_CONFIRM, req) != 0) {
		free(req->open_user);
		json_decref(req->content);
		free(req);
		return BOT_ERR_NOMEM;
	}
	return 0;
}

static void give_up(struct matrix *m, struct pacer_item *item, const struct matrix_result *r)
{
	char error[200];

	snprintf(error, sizeof error, "send: %s%s%s", r->errcode ? r->errcode : "",
		 r->errcode ? ": " : "", r->error);
	bot_failed(m->base.bot, item->id, error);
	pacer_done(m->pacer, item);
}

/* A call of the message failed (r is not ok): retry, wait or give up by its class. */
static void call_failed(struct matrix *m, struct pacer_item *item, const struct matrix_result *r)
{
	switch (matrix_classify(r)) {
	case MATRIX_ERR_NONE:
		break;
	case MATRIX_ERR_RATE:
		log_info("matrix", "rate-limited: waiting %ld ms", r->retry_after_ms > 0
			 ? r->retry_after_ms : RATE_DEFAULT_MS);
		pacer_retry(m->pacer, item, (uint64_t)(r->retry_after_ms > 0 ? r->retry_after_ms
								       : RATE_DEFAULT_MS));
		break;
	case MATRIX_ERR_TEMPORARY: {
		/* The same txnId again: if the first attempt did arrive, nothing is doubled. */
		uint64_t ms = 1000ull << (item->failures < 6 ? item->failures : 6);
		if (item->failures >= RETRY_MAX) {
			give_up(m, item, r);
			break;
		}
		log_warn("matrix", "a send failed (HTTP %ld: %s%s%s); trying again in %.1f s",
			 r->status, r->errcode ? r->errcode : "", r->errcode ? ": " : "", r->error,
			 (double)ms / 1000);
		pacer_retry(m->pacer, item, ms);
		break;
	}
	case MATRIX_ERR_TOKEN:
		pacer_retry(m->pacer, item, 2000);
		matrix_token_refused(m, r);
		break;
	case MATRIX_ERR_FORBIDDEN:
		log_warn("matrix", "may not post in a room (%s): check the bot's membership and "
			 "power level there", r->error);
		give_up(m, item, r);
		break;
	case MATRIX_ERR_PERMANENT:
		give_up(m, item, r);
		break;
	}
}

static void flush_more(struct matrix *m)
{
	if (m->state != MATRIX_STOPPING && m->state != MATRIX_STOPPED)
		bot_flush(m->base.bot, &m->base);
}

static void on_sent(struct matrix *m, void *ud, const struct matrix_result *r)
{
	struct pacer_item *item = ud;
	const char *event_id = json_string_value(json_object_get(r->body, "event_id"));
	/* A 2xx answer without an event id (fields of the wrong types, a body that is not
	 * the send's) says nothing about the event: sent again with the same txnId. */
	struct matrix_result bad = { .status = r->status, .retry_after_ms = -1,
				     .error = "an answer without an event_id" };

	if (matrix_classify(r) == MATRIX_ERR_NONE && event_id) {
		bot_sent(m->base.bot, item->id, event_id);
		pacer_done(m->pacer, item);
	} else {
		call_failed(m, item, matrix_classify(r) == MATRIX_ERR_NONE ? &bad : r);
	}
	flush_more(m);
}

static void start_send(void *ud, struct pacer_item *item);

/* The direct room was created: it is remembered at once (before the message is sent, so
 * a retry of the message reuses it) and the message goes there. */
static void on_created(struct matrix *m, void *ud, const struct matrix_result *r)
{
	struct pacer_item *item = ud;
	struct matrix_request *req = item->data;
	const char *room_id = json_string_value(json_object_get(r->body, "room_id"));
	struct matrix_result bad = *r;

	if (matrix_classify(r) != MATRIX_ERR_NONE || !room_id) {
		if (matrix_classify(r) == MATRIX_ERR_NONE)
			bad = (struct matrix_result){ .status = r->status, .body = r->body,
						      .error = "createRoom answer without room_id" };
		call_failed(m, item, &bad);
		flush_more(m);
		return;
	}
	bot_direct_opened(m->base.bot, &m->base, req->open_user, room_id);
	set_path(req, room_id);
	free(req->open_user);
	req->open_user = NULL;
	start_send(NULL, item);
}

static void start_send(void *ud, struct pacer_item *item)
{
	struct matrix_request *req = item->data;

	(void)ud;
	if (req->open_user)
		matrix_api_call(req->m, "POST", "/createRoom",
				matrix_direct_room_body(req->open_user),
				true, SEND_TIMEOUT_MS, on_created, item);
	else
		matrix_api_call(req->m, "PUT", req->path, json_incref(req->content), true,
				SEND_TIMEOUT_MS, on_sent, item);
}

static void drop_send(void *ud, struct pacer_item *item)
{
	struct matrix_request *req = item->data;

	(void)ud;
	free(req->open_user);
	json_decref(req->content);
	free(req);
}

const struct pacer_ops matrix_pacer_ops = { start_send, drop_send };
