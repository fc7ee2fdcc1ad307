/* matrix_parse.c - /sync and /messages answers into events (see matrix_parse.h). */
#include "bot/matrix_parse.h"

#include <stdlib.h>
#include <string.h>

#include "bot/err.h"

/* The string at key, or NULL; also NULL for a string with a NUL character in it (the
 * JSON is loaded with JSON_ALLOW_NUL so one such string does not cost the whole frame):
 * no C string downstream could hold all of it. */
static const char *str_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	return s && strlen(s) == json_string_length(v) ? s : NULL;
}

/* Keeps s (malloc'd) alive as long as the sync; returns it, or NULL (s freed) on OOM. */
static char *own(struct matrix_sync *s, char *str)
{
	char **owned;

	if (!str)
		return NULL;
	owned = realloc(s->owned, (s->n_owned + 1) * sizeof *owned);
	if (!owned) {
		free(str);
		return NULL;
	}
	s->owned = owned;
	s->owned[s->n_owned++] = str;
	return str;
}

char *matrix_strip_reply_fallback(const char *body)
{
	const char *p = body;

	if (strncmp(p, "> ", 2) != 0)
		return strdup(body);
	while (strncmp(p, "> ", 2) == 0 || strncmp(p, ">\n", 2) == 0) {
		const char *nl = strchr(p, '\n');
		if (!nl)
			return strdup("");
		p = nl + 1;
	}
	if (*p == '\n')
		p++;
	return strdup(p);
}

long matrix_power_level(json_t *power_levels, const char *user)
{
	json_t *level = json_object_get(json_object_get(power_levels, "users"), user);

	if (json_is_integer(level))
		return (long)json_integer_value(level);
	level = json_object_get(power_levels, "users_default");
	return json_is_integer(level) ? (long)json_integer_value(level) : 0;
}

/* If body starts with the bot's id or display name (then ':' , ',' or a space), returns
 * what follows; else NULL. */
static const char *after_mention(const char *body, const struct matrix_identity *me)
{
	const char *names[2] = { me->user_id, me->display_name };

	for (size_t i = 0; i < 2; i++) {
		size_t n = names[i] ? strlen(names[i]) : 0;
		if (n && strncmp(body, names[i], n) == 0 &&
		    (body[n] == ':' || body[n] == ',' || body[n] == ' ' || body[n] == '\0')) {
			body += n + (body[n] != '\0');
			while (*body == ' ')
				body++;
			return body;
		}
	}
	return NULL;
}

static bool mentions_bot(json_t *content, const struct matrix_identity *me)
{
	json_t *ids = json_object_get(json_object_get(content, "m.mentions"), "user_ids");
	size_t i;
	json_t *id;

	json_array_foreach(ids, i, id)
		if (json_string_value(id) && strcmp(json_string_value(id), me->user_id) == 0)
			return true;
	return false;
}

/* Fills ev from an m.room.message; returns false when it is to be ignored. */
static bool message_event(struct matrix_sync *s, json_t *e, const struct matrix_identity *me,
			  struct event *ev)
{
	json_t *content = json_object_get(e, "content");
	json_t *rel = json_object_get(content, "m.relates_to");
	const char *rel_type = str_at(rel, "rel_type");
	const char *msgtype = str_at(content, "msgtype");
	const char *body = str_at(content, "body");
	const char *command;
	char *text;

	/* Notices must never be answered (they are how bots talk). */
	if (!msgtype || strcmp(msgtype, "m.notice") == 0 || !body)
		return false;
	if (rel_type && strcmp(rel_type, "m.replace") == 0) {
		json_t *fresh = json_object_get(content, "m.new_content");
		if (!str_at(fresh, "body") || !str_at(rel, "event_id"))
			return false;
		ev->kind = EVENT_EDIT;
		ev->target_ref = str_at(rel, "event_id");
		body = str_at(fresh, "body");
	} else if (rel_type && strcmp(rel_type, "m.thread") == 0) {
		ev->thread = str_at(rel, "event_id");
	} else if (str_at(json_object_get(rel, "m.in_reply_to"), "event_id")) {
		/* A rich reply to a question answers it, like a reply in its thread. */
		ev->thread = str_at(json_object_get(rel, "m.in_reply_to"), "event_id");
	}
	text = own(s, matrix_strip_reply_fallback(body));
	if (!text)
		return false;
	command = after_mention(text, me);
	if (command || mentions_bot(content, me)) {
		ev->addressed = command != NULL;
		ev->text = command ? command : text;
	} else {
		ev->text = text;
	}
	return true;
}

/* Normalises one timeline event into ev; false when ignored. */
static bool normalise(struct matrix_sync *s, json_t *e, const char *room_id,
		      const struct matrix_identity *me, struct event *ev)
{
	const char *type = str_at(e, "type");
	const char *sender = str_at(e, "sender");
	const char *event_id = str_at(e, "event_id");

	memset(ev, 0, sizeof *ev);
	ev->transport = "matrix";
	ev->prompt_index = -1;
	if (!type || !sender || !event_id || strcmp(sender, me->user_id) == 0)
		return false;
	if (json_object_get(json_object_get(e, "unsigned"), "redacted_because"))
		return false;
	ev->channel = room_id;
	ev->user = sender;
	ev->ref = event_id;
	ev->dedup_key = event_id;
	if (strcmp(type, "m.room.redaction") == 0) {
		/* Rooms v1-10 carry the target at the top level, v11 in the content. */
		ev->target_ref = str_at(e, "redacts");
		if (!ev->target_ref)
			ev->target_ref = str_at(json_object_get(e, "content"), "redacts");
		ev->kind = EVENT_DELETE;
		ev->text = "";
		return ev->target_ref != NULL;
	}
	if (strcmp(type, "m.room.message") == 0) {
		ev->kind = EVENT_MESSAGE;
		return message_event(s, e, me, ev);
	}
	if (strcmp(type, "m.reaction") == 0) {
		json_t *rel = json_object_get(json_object_get(e, "content"), "m.relates_to");
		const char *rel_type = str_at(rel, "rel_type");
		ev->kind = EVENT_REACTION;
		ev->target_ref = str_at(rel, "event_id");
		ev->text = str_at(rel, "key");
		return rel_type && strcmp(rel_type, "m.annotation") == 0 && ev->target_ref && ev->text;
	}
	return false;
}

/* Looks at state-like events (state section or timeline) for encryption and power. */
static void note_state(struct matrix_room *room, json_t *e)
{
	const char *type = str_at(e, "type");

	if (!type || !json_is_string(json_object_get(e, "state_key")))
		return;
	if (strcmp(type, "m.room.encryption") == 0)
		room->encrypted = true;
	else if (strcmp(type, "m.room.power_levels") == 0)
		room->power_levels = json_object_get(e, "content");
}

static bool is_own_join(json_t *e, const struct matrix_identity *me)
{
	const char *type = str_at(e, "type"), *key = str_at(e, "state_key");
	const char *membership = str_at(json_object_get(e, "content"), "membership");

	return type && key && membership && strcmp(type, "m.room.member") == 0 &&
	       strcmp(key, me->user_id) == 0 && strcmp(membership, "join") == 0;
}

/* Normalises an array of timeline events into room->events. */
static int add_events(struct matrix_sync *s, struct matrix_room *room, json_t *events,
		      const struct matrix_identity *me)
{
	size_t i, n = json_array_size(events);
	json_t *e;

	room->events = calloc(n ? n : 1, sizeof *room->events);
	if (!room->events)
		return BOT_ERR_NOMEM;
	json_array_foreach(events, i, e) {
		note_state(room, e);
		if (is_own_join(e, me)) {
			/* A room just joined comes with history from before the bot was there:
			 * a "!ws start" typed then is not acted on. */
			s->skipped += room->n_events;
			room->n_events = 0;
		} else if (normalise(s, e, room->room_id, me, &room->events[room->n_events])) {
			room->n_events++;
		} else {
			s->skipped++;
		}
	}
	return 0;
}

static int parse_joined(struct matrix_sync *s, json_t *join, const struct matrix_identity *me)
{
	size_t n = json_object_size(join), i = 0;
	const char *room_id;
	json_t *r;

	s->rooms = calloc(n ? n : 1, sizeof *s->rooms);
	if (!s->rooms)
		return BOT_ERR_NOMEM;
	json_object_foreach(join, room_id, r) {
		struct matrix_room *room = &s->rooms[i++];
		json_t *timeline = json_object_get(r, "timeline");
		size_t k;
		json_t *e;
		int result;

		room->room_id = room_id;
		room->limited = json_is_true(json_object_get(timeline, "limited"));
		room->prev_batch = str_at(timeline, "prev_batch");
		json_array_foreach(json_object_get(json_object_get(r, "state"), "events"), k, e)
			note_state(room, e);
		result = add_events(s, room, json_object_get(timeline, "events"), me);
		s->n_rooms++;
		if (result)
			return result;
	}
	return 0;
}

static int parse_invites(struct matrix_sync *s, json_t *invite, const struct matrix_identity *me)
{
	size_t n = json_object_size(invite);
	const char *room_id;
	json_t *r;

	s->invites = calloc(n ? n : 1, sizeof *s->invites);
	if (!s->invites)
		return BOT_ERR_NOMEM;
	json_object_foreach(invite, room_id, r) {
		json_t *events = json_object_get(json_object_get(r, "invite_state"), "events");
		size_t k;
		json_t *e;
		const char *inviter = NULL;
		bool direct = false;

		/* The bot's own m.room.member invite names the inviter (sender) and, in its
		 * content, whether this is a direct chat (spec: m.room.member is_direct). */
		json_array_foreach(events, k, e) {
			const char *key = str_at(e, "state_key");
			if (str_at(e, "type") && strcmp(str_at(e, "type"), "m.room.member") == 0 &&
			    key && strcmp(key, me->user_id) == 0) {
				inviter = str_at(e, "sender");
				direct = json_is_true(json_object_get(json_object_get(e, "content"),
								      "is_direct"));
			}
		}
		s->invites[s->n_invites].room_id = room_id;
		s->invites[s->n_invites].inviter = inviter;
		s->invites[s->n_invites].direct = direct && inviter;
		s->n_invites++;
	}
	return 0;
}

int matrix_parse_sync(const char *body, size_t len, const struct matrix_identity *me,
		      struct matrix_sync *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);

	if (!root) {
		memset(out, 0, sizeof *out);
		return bot_fail(err, errlen, BOT_ERR_INVALID, "sync answer is not a JSON object: %s",
				jerr.text);
	}
	return matrix_parse_sync_json(root, me, out, err, errlen);
}

int matrix_parse_sync_json(json_t *root, const struct matrix_identity *me,
			   struct matrix_sync *out, char *err, size_t errlen)
{
	json_t *rooms;
	int result;

	memset(out, 0, sizeof *out);
	out->root = root;
	if (!json_is_object(out->root))
		return bot_fail(err, errlen, BOT_ERR_INVALID,
				"sync answer is not a JSON object: another JSON value");
	out->next_batch = str_at(out->root, "next_batch");
	if (!out->next_batch)
		return bot_fail(err, errlen, BOT_ERR_INVALID, "sync answer has no next_batch");
	rooms = json_object_get(out->root, "rooms");
	result = parse_invites(out, json_object_get(rooms, "invite"), me);
	if (!result)
		result = parse_joined(out, json_object_get(rooms, "join"), me);
	if (result)
		return bot_fail(err, errlen, result, "out of memory");
	return 0;
}

int matrix_parse_messages(const char *body, size_t len, const struct matrix_identity *me,
			  const char *room_id, struct matrix_sync *owner,
			  struct matrix_room *room, const char **end_token, char *err,
			  size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_ALLOW_NUL, &jerr);
	json_t *chunk = json_object_get(root, "chunk");
	json_t *ordered, **pages;
	size_t n, i;
	int result;

	memset(room, 0, sizeof *room);
	room->room_id = room_id;
	*end_token = NULL;
	if (!json_is_array(chunk)) {
		json_decref(root);
		return bot_fail(err, errlen, BOT_ERR_INVALID, "messages answer has no chunk");
	}
	/* The events' strings point into root: the sync keeps it. */
	pages = realloc(owner->pages, (owner->n_pages + 1) * sizeof *pages);
	if (!pages) {
		json_decref(root);
		return bot_fail(err, errlen, BOT_ERR_NOMEM, "out of memory");
	}
	owner->pages = pages;
	owner->pages[owner->n_pages++] = root;
	/* A backwards page comes newest first: turn it into timeline order. */
	n = json_array_size(chunk);
	ordered = json_array();
	for (i = n; i > 0; i--)
		json_array_append(ordered, json_array_get(chunk, i - 1));
	*end_token = str_at(root, "end");
	result = add_events(owner, room, ordered, me);
	json_decref(ordered);
	return result ? bot_fail(err, errlen, result, "out of memory") : 0;
}

void matrix_sync_free(struct matrix_sync *s)
{
	for (size_t i = 0; i < s->n_rooms; i++)
		free(s->rooms[i].events);
	free(s->rooms);
	free(s->invites);
	for (size_t i = 0; i < s->n_owned; i++)
		free(s->owned[i]);
	free(s->owned);
	for (size_t i = 0; i < s->n_pages; i++)
		json_decref(s->pages[i]);
	free(s->pages);
	json_decref(s->root);
	memset(s, 0, sizeof *s);
}
