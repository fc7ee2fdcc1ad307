/* actions.c - action items: add (what, @owner, by date), list, done, reopen, assign, due,
 * snooze. Every change reschedules the item's reminders (reminders.c).
 * Items belong to a session; commands reach the items of every session in the channel. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot/err.h"
#include "bot/store_actions.h"
#include "handlers/dates.h"
#include "handlers/handler.h"
#include "handlers/text.h"

#define OWNER_MAX 128

int channel_session(struct ctx *c, struct session_rec *out)
{
	if (c->has_session) {
		*out = c->session;
		return 0;
	}
	return store_session_latest_in(c->w->store, c->ev->transport, c->ev->channel, out);
}

/* The user id an "@name" word (n bytes) names: the name without its "@" (a console name,
 * a Slack id from <@U123>), but a Matrix id keeps it (@bob:example.org). Static buffer,
 * valid until the next call. */
static const char *owner_id(const char *word, size_t n)
{
	static char id[OWNER_MAX];
	bool matrix = memchr(word, ':', n) != NULL;

	snprintf(id, sizeof id, "%.*s", (int)(matrix ? n : n - 1), matrix ? word : word + 1);
	return id;
}

/* Finds "@name" words in spec: copies the last one's name to owner and removes every
 * such word from spec. Returns the number found. */
static int take_owner(char *spec, char *owner, size_t len)
{
	char *p = spec;
	int found = 0;

	owner[0] = '\0';
	while (*p) {
		char *word = p;
		size_t n;
		while (*p && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - word);
		if (n > 1 && word[0] == '@' && (word == spec || isspace((unsigned char)word[-1]))) {
			snprintf(owner, len, "%s", owner_id(word, n));
			memmove(word, p, strlen(p) + 1);
			p = word;
			found++;
		}
		while (*p && isspace((unsigned char)*p))
			p++;
	}
	return found;
}

static size_t count_words(const char *s)
{
	size_t n = 0;
	bool in_word = false;

	for (; *s; s++) {
		bool space = isspace((unsigned char)*s);
		if (!space && !in_word)
			n++;
		in_word = !space;
	}
	return n;
}

/* True if words (what follows "by") that are not a date still look like an attempt at
 * one: a single word (a misspelt "fridya", an ambiguous "12/15"), or up to three words
 * that start with "next" or "in" or hold a digit. "the window" does not. */
static bool looks_like_date(const char *words)
{
	const char *p = text_skip_space(words);
	size_t n = count_words(p);

	if (n == 1)
		return true;
	return n > 1 && n <= 3 &&
	       (text_word_is(p, "next") || text_word_is(p, "in") || strpbrk(p, "0123456789"));
}

/* Splits the last "by <date>" off spec. Returns 0 (due set, or empty when there is no
 * date), or BOT_ERR_INVALID with the date error in err. A "by ..." that is not a date
 * and does not look like one stays part of the text ("sit by the window"). */
static int take_due(char *spec, const struct session_rec *s, int64_t now, char *due,
		    size_t duelen, char *err, size_t errlen)
{
	char *by = (char *)text_last_word(spec, "by");
	struct civil_date d;

	due[0] = '\0';
	if (!by)
		return 0;
	if (dates_parse(by + 2, (time_t)now, s->timezone, &d, err, errlen) == 0) {
		dates_format(&d, due, duelen);
		*by = '\0';
		return 0;
	}
	return looks_like_date(by + 2) ? BOT_ERR_INVALID : 0;
}

static void describe_item(struct msg *m, const struct action_rec *a)
{
	msg_bold(m, "#%lld", (long long)a->id);
	msg_text(m, " ");
	msg_user(m, a->text);
	msg_text(m, " — ");
	if (a->owner) {
		msg_text(m, a->owner[0] == '@' ? "owner " : "owner @");
		msg_user(m, a->owner);
	} else {
		msg_text(m, "no owner");
	}
	msg_text(m, ", %s%s, %s", a->due_date ? "due " : "no due date", a->due_date ? a->due_date : "",
		 action_status_name(a->status));
}

int action_insert(struct ctx *c, const struct session_rec *s, const char *text,
		  const char *owner, const char *due)
{
	struct action_rec a = { .session_id = s->id, .text = (char *)text, .owner = (char *)owner,
				.due_date = (char *)due, .created_by = (char *)c->ev->user };
	struct msg m;
	int result = store_action_insert(c->w->store, &a, c->now);

	if (!result)
		result = reminders_reschedule(c, &a);
	if (result)
		return result;
	msg_init(&m);
	msg_text(&m, "Added action item ");
	describe_item(&m, &a);
	msg_text(&m, ".");
	return reply(c, &m);
}

int action_add(struct ctx *c, const struct session_rec *s, const char *spec)
{
	char owner[OWNER_MAX], due[16], err[BOT_ERRMSG_MAX];
	char *text = strdup(spec);
	int result = 0;

	if (!text)
		return BOT_ERR_NOMEM;
	if (text_char_count(text) > TEXT_MAX_CHARS) {
		result = private_text(c, "That action item is too long (the limit is %d characters).",
				    TEXT_MAX_CHARS);
		goto out;
	}
	if (take_owner(text, owner, sizeof owner) > 1) {
		result = private_text(c, "An action item has one owner; name one @person "
				       "(usage: !ws action <what> [@owner] [by <date>]).");
		goto out;
	}
	if (take_due(text, s, c->now, due, sizeof due, err, sizeof err) != 0) {
		result = private_text(c, "%s. Usage: !ws action <what> [@owner] [by <date>]", err);
		goto out;
	}
	text_copy_trimmed(text, strlen(text) + 1, text);
	if (!text[0]) {
		result = private_text(c, "What is the action? Usage: !ws action <what> [@owner] "
				       "[by <date>]");
		goto out;
	}
	result = action_insert(c, s, text, owner[0] ? owner : NULL, due[0] ? due : NULL);
out:
	free(text);
	return result;
}

int cmd_action(struct ctx *c, const char *args)
{
	struct session_rec s;
	int result = c->direct ? BOT_ERR_NOT_FOUND : channel_session(c, &s);

	if (result == BOT_ERR_NOT_FOUND)
		return private_text(c, "No workshop has run here yet, and action items belong to one. "
				     "Start one with !ws start.");
	return result ? result : action_add(c, &s, args);
}

struct item_list {
	struct msg *m;
	size_t n;
};

static int list_item(void *ud, const struct action_rec *a)
{
	struct item_list *l = ud;

	msg_text(l->m, "\n  ");
	describe_item(l->m, a);
	l->n++;
	return 0;
}

int cmd_actions(struct ctx *c, const char *args)
{
	enum action_filter filter = ACTIONS_OPEN;
	const char *owner = NULL;
	struct msg m;
	struct item_list l = { &m, 0 };
	int result;

	/* In a direct message: the person's own items, of every session. */
	if (text_word_is(args, "mine") || c->direct)
		owner = c->ev->user;
	if (text_word_is(args, "all"))
		filter = ACTIONS_ALL;
	else if (!text_blank(args) && !text_word_is(args, "mine"))
		return private_text(c, "Usage: !ws actions [mine|all]");
	msg_init(&m);
	msg_bold(&m, "%s action items here:", owner ? (filter == ACTIONS_ALL ? "Your" : "Your open")
						       : filter == ACTIONS_ALL ? "All" : "Open");
	result = store_action_each_in(c->w->store, c->ev->transport, c->direct ? NULL : c->ev->channel,
				      filter, owner, list_item, &l);
	if (result) {
		msg_free(&m);
		return result;
	}
	if (!l.n)
		msg_text(&m, " none. Add one with !ws action <what> [@owner] [by <date>].");
	return reply_private(c, &m);
}

/* Loads item id_text if it belongs to a session of this channel; otherwise replies with
 * why not. Returns 0 with *found telling whether a is loaded (free with
 * action_rec_clear()). */
static int load_item(struct ctx *c, const char *id_text, const char *usage,
		     struct action_rec *a, bool *found)
{
	long long id;
	struct session_rec s;
	int result;

	*found = false;
	if (text_parse_id(id_text, &id) != 0)
		return private_text(c, "Which action item? Give its number, e.g. 3. Usage: !ws %s", usage);
	result = store_action_get(c->w->store, id, a);
	if (result == BOT_ERR_NOT_FOUND)
		return private_text(c, "There is no action item #%lld here (see !ws actions all).", id);
	if (result)
		return result;
	/* Here: an item of a session in this channel or, in a direct message, one of the
	 * author's own (owned or added) on this transport. */
	result = store_session_get(c->w->store, a->session_id, &s);
	if (result || strcmp(s.transport, c->ev->transport) != 0 ||
	    (c->direct ? strcmp(a->owner && a->owner[0] ? a->owner : a->created_by, c->ev->user) != 0
		       : strcmp(s.channel, c->ev->channel) != 0)) {
		action_rec_clear(a);
		return result ? result
			      : private_text(c, "There is no action item #%lld here (see !ws actions all).",
					   id);
	}
	*found = true;
	return 0;
}

/* Saves a changed item, replaces its pending reminders with ones for its new state, and
 * confirms with what changed. Clears a. */
static int save_item(struct ctx *c, struct action_rec *a, const char *what)
{
	struct msg m;
	int result = store_action_update(c->w->store, a, c->now);

	if (!result)
		result = reminders_reschedule(c, a);
	if (!result) {
		msg_init(&m);
		msg_text(&m, "%s: ", what);
		describe_item(&m, a);
		msg_text(&m, ".");
		result = reply(c, &m);
	}
	action_rec_clear(a);
	return result;
}

static int set_status(struct ctx *c, const char *args, enum action_status status,
		      const char *usage, const char *what)
{
	struct action_rec a;
	bool found;
	int result = load_item(c, args, usage, &a, &found);

	if (result || !found)
		return result;
	if (a.status == status) {
		long long id = (long long)a.id;
		action_rec_clear(&a);
		return private_text(c, "Action item #%lld is already %s.", id, action_status_name(status));
	}
	a.status = status;
	return save_item(c, &a, what);
}

int cmd_done(struct ctx *c, const char *args)
{
	return set_status(c, args, ACTION_DONE, "done <id>", "Marked done");
}

int cmd_reopen(struct ctx *c, const char *args)
{
	return set_status(c, args, ACTION_OPEN, "reopen <id>", "Reopened");
}

/* Splits "<id> <rest>" into a bounded id word and the rest. */
static const char *split_id(const char *args, char *id, size_t len)
{
	size_t n = strcspn(args, " \t");

	snprintf(id, len, "%.*s", (int)(n < len - 1 ? n : len - 1), args);
	return text_skip_space(args + n);
}

int cmd_assign(struct ctx *c, const char *args)
{
	char id[32], owner[OWNER_MAX];
	const char *rest = split_id(args, id, sizeof id);
	struct action_rec a;
	bool found;
	int result;

	text_copy_trimmed(owner, sizeof owner, rest);
	if (owner[0] != '@' || !owner[1] || strpbrk(owner, " \t"))
		return private_text(c, "Whom to? Usage: !ws assign <id> @owner");
	result = load_item(c, id, "assign <id> @owner", &a, &found);
	if (result || !found)
		return result;
	free(a.owner);
	a.owner = strdup(owner_id(owner, strlen(owner)));
	if (!a.owner) {
		action_rec_clear(&a);
		return BOT_ERR_NOMEM;
	}
	return save_item(c, &a, "Assigned");
}

int cmd_due(struct ctx *c, const char *args)
{
	char id[32], err[BOT_ERRMSG_MAX], due[16];
	const char *rest = split_id(args, id, sizeof id);
	struct action_rec a;
	struct session_rec s;
	struct civil_date d;
	bool found;
	int result;

	if (text_blank(rest))
		return private_text(c, "When? Usage: !ws due <id> <date> (or none)");
	result = load_item(c, id, "due <id> <date>", &a, &found);
	if (result || !found)
		return result;
	result = store_session_get(c->w->store, a.session_id, &s);
	if (result) {
		action_rec_clear(&a);
		return result;
	}
	due[0] = '\0';
	if (!text_word_is(rest, "none") &&
	    dates_parse(rest, (time_t)c->now, s.timezone, &d, err, sizeof err) != 0) {
		action_rec_clear(&a);
		return private_text(c, "%s. Usage: !ws due <id> <date>", err);
	}
	if (!text_word_is(rest, "none"))
		dates_format(&d, due, sizeof due);
	free(a.due_date);
	a.due_date = due[0] ? strdup(due) : NULL;
	if (due[0] && !a.due_date) {
		action_rec_clear(&a);
		return BOT_ERR_NOMEM;
	}
	return save_item(c, &a, "Due date set");
}

int cmd_snooze(struct ctx *c, const char *args)
{
	char id[32];
	const char *rest = split_id(args, id, sizeof id);
	struct action_rec a;
	bool found;
	int result;

	if (text_blank(rest))
		return private_text(c, "Until when? Usage: !ws snooze <id> <duration|date>, e.g. "
				       "!ws snooze 3 2d");
	result = load_item(c, id, "snooze <id> <duration|date>", &a, &found);
	if (result || !found)
		return result;
	result = reminders_snooze(c, &a, rest);
	action_rec_clear(&a);
	return result;
}
