/* slack_parse.c - Socket Mode frames into struct event (see slack_parse.h). */
#include "bot/slack_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/slack_text.h"

/* The string at key, or NULL; also NULL for a string with a NUL character in it (the
 * JSON is loaded with JSON_ALLOW_NUL so one such string does not cost the whole frame):
 * no C string downstream could hold all of it. */
static const char *str_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* The string at a path of object keys, or NULL. */
static const char *str_path(json_t *obj, const char *a, const char *b)
{
	return str_at(json_object_get(obj, a), b);
}

void slack_question_value(long long session_id, long prompt_index, const char *channel,
			  char *buf, size_t len)
{
	snprintf(buf, len, "%lld:%ld%s%s", session_id, prompt_index, channel ? ":" : "",
		 channel ? channel : "");
}

/* Reads "SESSION:PROMPT[:CHANNEL]"; the channel part (if any) is returned. */
static const char *parse_question_value(const char *v, struct event *ev)
{
	char *end;
	long long session;
	long prompt;

	ev->session_id = 0;
	ev->prompt_index = -1;
	if (!v)
		return NULL;
	session = strtoll(v, &end, 10);
	if (end == v || *end != ':' || session <= 0)
		return NULL;
	v = end + 1;
	prompt = strtol(v, &end, 10);
	if (end == v || (*end != ':' && *end != '\0') || prompt < -1)
		return NULL;
	ev->session_id = session;
	ev->prompt_index = prompt;
	return *end == ':' ? end + 1 : NULL;
}

/* An event the bot has no use for (its own messages, unfurls, other event types). */
static int ignore(struct slack_frame *f, const char *why)
{
	f->has_event = false;
	f->ignored = why;
	return 0;
}

/* An envelope whose shape is not what Slack documents: acked, and worth a warning. */
static int malformed(struct slack_frame *f, const char *why)
{
	f->malformed = true;
	return ignore(f, why);
}

/* Sets the event's text from Slack's wire text; a mention of the bot makes it a command. */
static int set_text(struct slack_frame *f, const char *wire, const struct slack_identity *me)
{
	bool mentioned = false;

	f->text = slack_text_from_wire(wire ? wire : "", me->user_id, &mentioned);
	if (!f->text)
		return BOT_ERR_NOMEM;
	f->ev.text = f->text;
	if (mentioned)
		f->ev.addressed = true;
	return 0;
}

/* The bot's own messages and every other bot's (bot_id set, or the bot's user id). */
static bool from_a_bot(json_t *msg, const struct slack_identity *me)
{
	const char *user = str_at(msg, "user");

	return str_at(msg, "bot_id") || (user && me->user_id && strcmp(user, me->user_id) == 0);
}

/* A message event in a direct message with the bot. */
static bool is_im(json_t *e)
{
	const char *type = str_at(e, "channel_type");

	return type && strcmp(type, "im") == 0;
}

/* A key shared by the app_mention and message events of one message. */
static int message_key(struct slack_frame *f, const char *channel, const char *ts)
{
	size_t n = strlen(channel) + strlen(ts) + 6;

	f->dedup = malloc(n);
	if (!f->dedup)
		return BOT_ERR_NOMEM;
	snprintf(f->dedup, n, "msg:%s:%s", channel, ts);
	f->ev.dedup_key = f->dedup;
	return 0;
}

static int parse_plain_message(struct slack_frame *f, json_t *e, const struct slack_identity *me,
			       bool mention)
{
	const char *channel = str_at(e, "channel");
	const char *ts = str_at(e, "ts");
	const char *thread = str_at(e, "thread_ts");
	int result;

	if (!channel || !ts || !str_at(e, "user"))
		return malformed(f, "message without channel, ts or user");
	if (json_is_string(json_object_get(e, "text")) && !str_at(e, "text"))
		return malformed(f, "message text with a NUL character");
	if (from_a_bot(e, me))
		return ignore(f, "a bot's message");
	f->ev.kind = EVENT_MESSAGE;
	f->ev.channel = channel;
	f->ev.user = str_at(e, "user");
	f->ev.ref = ts;
	f->ev.thread = thread && strcmp(thread, ts) != 0 ? thread : NULL;
	result = set_text(f, str_at(e, "text"), me);
	if (!result && mention)
		f->ev.addressed = true;
	f->ev.direct = is_im(e);
	if (!result && !f->ev.addressed && f->ev.thread == NULL && f->ev.direct)
		f->ev.addressed = true;  /* in a direct message everything is for the bot */
	if (!result)
		result = message_key(f, channel, ts);
	f->has_event = !result;
	return result;
}

static int parse_changed(struct slack_frame *f, json_t *e, const struct slack_identity *me)
{
	json_t *msg = json_object_get(e, "message");
	const char *thread = str_at(msg, "thread_ts");
	const char *ts = str_at(msg, "ts");
	int result;

	if (!json_is_object(json_object_get(msg, "edited")))
		return ignore(f, "a change that is not an edit (an unfurl)");
	if (!str_at(e, "channel") || !ts || !str_at(msg, "user"))
		return malformed(f, "edit without channel, ts or user");
	if (from_a_bot(msg, me))
		return ignore(f, "a bot's edit");
	f->ev.kind = EVENT_EDIT;
	f->ev.channel = str_at(e, "channel");
	f->ev.direct = is_im(e);
	f->ev.user = str_at(msg, "user");
	f->ev.target_ref = ts;
	f->ev.thread = thread && strcmp(thread, ts) != 0 ? thread : NULL;
	result = set_text(f, str_at(msg, "text"), me);
	f->has_event = !result;
	return result;
}

static int parse_deleted(struct slack_frame *f, json_t *e, const struct slack_identity *me)
{
	json_t *prev = json_object_get(e, "previous_message");

	if (!str_at(e, "channel") || !str_at(e, "deleted_ts") || !str_at(prev, "user"))
		return malformed(f, "deletion without channel, ts or author");
	if (from_a_bot(prev, me))
		return ignore(f, "a bot's message deleted");
	f->ev.kind = EVENT_DELETE;
	f->ev.channel = str_at(e, "channel");
	f->ev.direct = is_im(e);
	f->ev.user = str_at(prev, "user");
	f->ev.target_ref = str_at(e, "deleted_ts");
	f->ev.text = "";
	f->has_event = true;
	return 0;
}

/* reaction_added on a message: text is the emoji's name, target_ref the message's ts. */
static int parse_reaction(struct slack_frame *f, json_t *e, const struct slack_identity *me)
{
	json_t *item = json_object_get(e, "item");
	const char *type = str_at(item, "type");

	if (!type || strcmp(type, "message") != 0)
		return ignore(f, "a reaction on something that is not a message");
	if (!str_at(e, "user") || !str_at(e, "reaction") || !str_at(item, "channel") ||
	    !str_at(item, "ts"))
		return malformed(f, "reaction without user, name, channel or ts");
	if (me->user_id && strcmp(str_at(e, "user"), me->user_id) == 0)
		return ignore(f, "the bot's own reaction");
	f->ev.kind = EVENT_REACTION;
	f->ev.channel = str_at(item, "channel");
	f->ev.user = str_at(e, "user");
	f->ev.text = str_at(e, "reaction");
	f->ev.target_ref = str_at(item, "ts");
	f->has_event = true;
	return 0;
}

static int parse_events_api(struct slack_frame *f, json_t *payload,
			    const struct slack_identity *me)
{
	json_t *e = json_object_get(payload, "event");
	const char *type = str_at(e, "type");
	const char *subtype = str_at(e, "subtype");
	int result = 0;

	if (!type)
		return malformed(f, "events_api envelope without an event type");
	if (strcmp(type, "app_mention") == 0)
		return parse_plain_message(f, e, me, true);
	if (strcmp(type, "reaction_added") == 0) {
		result = parse_reaction(f, e, me);
		if (!result && f->has_event)
			f->ev.dedup_key = str_at(payload, "event_id");
		return result;
	}
	if (strcmp(type, "message") != 0)
		return ignore(f, "an event type the bot does not use");
	if (!subtype || strcmp(subtype, "thread_broadcast") == 0 ||
	    strcmp(subtype, "file_share") == 0)
		result = parse_plain_message(f, e, me, false);
	else if (strcmp(subtype, "message_changed") == 0)
		result = parse_changed(f, e, me);
	else if (strcmp(subtype, "message_deleted") == 0)
		result = parse_deleted(f, e, me);
	else
		return ignore(f, "a message subtype the bot does not use");
	/* Edits and deletions keep their event_id as the key (messages have theirs). */
	if (!result && f->has_event && !f->ev.dedup_key)
		f->ev.dedup_key = str_at(payload, "event_id");
	return result;
}

static int parse_slash(struct slack_frame *f, json_t *p, const struct slack_identity *me)
{
	int result;

	if (!str_at(p, "channel_id") || !str_at(p, "user_id"))
		return malformed(f, "slash command without channel or user");
	f->ev.kind = EVENT_MESSAGE;
	f->ev.channel = str_at(p, "channel_id");
	f->ev.user = str_at(p, "user_id");
	f->ev.user_name = str_at(p, "user_name");
	f->ev.addressed = true;
	f->ev.trigger = str_at(p, "trigger_id");
	f->ev.dedup_key = f->ev.trigger;
	result = set_text(f, str_at(p, "text"), me);
	f->has_event = !result;
	return result;
}

static int parse_block_action(struct slack_frame *f, json_t *p)
{
	json_t *action = json_array_get(json_object_get(p, "actions"), 0);
	const char *id = str_at(action, "action_id");
	static const struct { const char *action_id, *action; } buttons[] = {
		{ "ws_answer", "answer" }, { "ws_next", "next" }, { "ws_skip", "skip" },
	};

	f->ev.action = NULL;
	for (size_t i = 0; id && i < sizeof buttons / sizeof buttons[0]; i++)
		if (strcmp(id, buttons[i].action_id) == 0)
			f->ev.action = buttons[i].action;
	if (!f->ev.action)
		return ignore(f, "a button the bot does not know");
	f->ev.kind = EVENT_BUTTON;
	f->ev.channel = str_path(p, "channel", "id");
	if (!f->ev.channel)
		f->ev.channel = str_path(p, "container", "channel_id");
	f->ev.user = str_path(p, "user", "id");
	f->ev.user_name = str_path(p, "user", "name");
	f->ev.trigger = str_at(p, "trigger_id");
	f->ev.dedup_key = f->ev.trigger;
	parse_question_value(str_at(action, "value"), &f->ev);
	if (!f->ev.channel || !f->ev.user || !f->ev.trigger)
		return malformed(f, "button without channel, user or trigger");
	f->has_event = true;
	return 0;
}

/* The value of input block_id/action_id in a submitted view's state. */
static json_t *view_input(json_t *view, const char *block_id, const char *action_id)
{
	return json_object_get(json_object_get(json_object_get(json_object_get(view, "state"),
							       "values"), block_id), action_id);
}

/* The answer inputs of a submitted view: any block's "text" input is the text, and
 * every block's "choices" checkboxes add to the choices (a long checklist is split over
 * several blocks, ten options each). */
static void collect_inputs(struct slack_frame *f, json_t *values)
{
	const char *block_id;
	json_t *block;

	json_object_foreach(values, block_id, block) {
		json_t *picked = json_object_get(json_object_get(block, "choices"),
						 "selected_options");
		size_t i;
		json_t *opt;

		if (strncmp(block_id, "answer", 6) != 0)
			continue;
		if (str_at(json_object_get(block, "text"), "value"))
			f->ev.text = str_at(json_object_get(block, "text"), "value");
		json_array_foreach(picked, i, opt) {
			if (f->ev.n_choices < TEMPLATE_MAX_OPTIONS && str_at(opt, "value"))
				f->choices[f->ev.n_choices++] = str_at(opt, "value");
		}
	}
}

static int parse_view_submission(struct slack_frame *f, json_t *p)
{
	json_t *view = json_object_get(p, "view");
	const char *callback = str_at(view, "callback_id");

	if (!callback || (strcmp(callback, "ws_answer") != 0 &&
			  strcmp(callback, "ws_action_item") != 0))
		return ignore(f, "a form the bot does not know");
	f->ev.kind = EVENT_FORM;
	f->ev.action = strcmp(callback, "ws_answer") == 0 ? "answer" : "action_item";
	f->ev.channel = parse_question_value(str_at(view, "private_metadata"), &f->ev);
	f->ev.user = str_path(p, "user", "id");
	f->ev.dedup_key = str_at(view, "id");
	if (!f->ev.channel || !f->ev.user)
		return malformed(f, "form without its channel or user");
	collect_inputs(f, json_object_get(json_object_get(view, "state"), "values"));
	f->ev.choices = f->choices;
	if (strcmp(f->ev.action, "action_item") == 0) {
		f->ev.text = str_at(view_input(view, "what", "text"), "value");
		f->ev.owner = str_at(view_input(view, "owner", "user"), "selected_user");
		f->ev.due = str_at(view_input(view, "due", "date"), "selected_date");
	}
	f->has_event = true;
	return 0;
}

static int parse_interactive(struct slack_frame *f, json_t *p)
{
	const char *type = str_at(p, "type");

	if (type && strcmp(type, "block_actions") == 0)
		return parse_block_action(f, p);
	if (type && strcmp(type, "view_submission") == 0)
		return parse_view_submission(f, p);
	return ignore(f, "an interaction the bot does not use");
}

static enum slack_frame_type frame_type(const char *type)
{
	static const struct { const char *name; enum slack_frame_type type; } types[] = {
		{ "hello", SLACK_HELLO }, { "disconnect", SLACK_DISCONNECT },
		{ "events_api", SLACK_EVENTS_API }, { "slash_commands", SLACK_SLASH_COMMAND },
		{ "interactive", SLACK_INTERACTIVE },
	};

	for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
		if (strcmp(type, types[i].name) == 0)
			return types[i].type;
	return SLACK_OTHER;
}

int slack_parse_frame(const char *data, size_t len, const struct slack_identity *me,
		      struct slack_frame *f, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *payload;
	int result = 0;

	memset(f, 0, sizeof *f);
	f->connection_time_s = -1;
	f->root = json_loadb(data, len, JSON_ALLOW_NUL, &jerr);
	if (!json_is_object(f->root))
		return bot_fail(err, errlen, BOT_ERR_INVALID, "frame is not a JSON object: %s",
				f->root ? "another JSON value" : jerr.text);
	f->type = frame_type(str_at(f->root, "type"));
	f->envelope_id = str_at(f->root, "envelope_id");
	f->accepts_response_payload = json_is_true(json_object_get(f->root,
								   "accepts_response_payload"));
	f->retry_attempt = (int)json_integer_value(json_object_get(f->root, "retry_attempt"));
	payload = json_object_get(f->root, "payload");
	f->ev.transport = "slack";
	f->ev.prompt_index = -1;

	switch (f->type) {
	case SLACK_HELLO:
		f->num_connections = (long)json_integer_value(json_object_get(f->root,
									      "num_connections"));
		if (json_is_integer(json_object_get(json_object_get(f->root, "debug_info"),
						    "approximate_connection_time")))
			f->connection_time_s = (long)json_integer_value(json_object_get(
				json_object_get(f->root, "debug_info"), "approximate_connection_time"));
		return 0;
	case SLACK_DISCONNECT:
		f->reason = str_at(f->root, "reason");
		return 0;
	case SLACK_OTHER:
		return ignore(f, "an envelope type the bot does not use");
	case SLACK_EVENTS_API:
	case SLACK_SLASH_COMMAND:
	case SLACK_INTERACTIVE:
		break;
	}
	if (!f->envelope_id)
		return bot_fail(err, errlen, BOT_ERR_INVALID, "envelope without an envelope_id");
	if (!json_is_object(payload))
		return malformed(f, "envelope without a payload object");
	if (f->type == SLACK_EVENTS_API)
		result = parse_events_api(f, payload, me);
	else if (f->type == SLACK_SLASH_COMMAND)
		result = parse_slash(f, payload, me);
	else
		result = parse_interactive(f, payload);
	if (result)
		return bot_fail(err, errlen, result, "out of memory");
	return 0;
}

void slack_frame_free(struct slack_frame *f)
{
	json_decref(f->root);
	free(f->text);
	free(f->dedup);
	memset(f, 0, sizeof *f);
}
