/* direct.c - direct messages: the member's choice (`dm on|off`), answers to an async
 * session given there, and the ✅ reaction on a reminder, which closes the action item
 * it names. */
#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_direct.h"
#include "bot/store_outbox.h"
#include "handlers/handler.h"
#include "handlers/text.h"

/* A reminder lists at most this many items we name in a hint. */
#define HINT_MAX 16

int reminders_by_direct(struct workshop *w, const char *transport, const char *user,
			bool *direct)
{
	*direct = w->cfg->followup_remind_direct;
	return *direct ? 0 : store_direct_pref(w->store, transport, user, direct);
}

/* In the author's direct channel: the session their answers there go to, into c (as
 * if the event were in its channel). Returns 0, BOT_ERR_NOT_FOUND when there is none, or
 * a BOT_ERR_DB* code. */
static int direct_session(struct ctx *c)
{
	int result = store_session_async_of(c->w->store, c->ev->transport, c->ev->user,
					    &c->session);

	if (result)
		return result;
	c->has_session = true;
	c->tpl = template_set_find(c->w->templates, c->session.template_id);
	if (!c->ev->user_name)
		member_name(c, c->session.id, c->ev->user, c->author, sizeof c->author);
	return 0;
}

int direct_answer(struct ctx *c, const char *text)
{
	int result = direct_session(c);

	if (result == BOT_ERR_NOT_FOUND)
		return private_text(c, "No workshop is asking you questions here, so that was not "
				       "recorded. Commands work here: actions, done 3, dm off; help "
				       "lists them.");
	return result ? result : answer_current(c, text);
}

int direct_changed(struct ctx *c)
{
	int result = direct_session(c);

	if (result)
		return result == BOT_ERR_NOT_FOUND ? 0 : result;
	return c->ev->kind == EVENT_EDIT ? answer_edited(c) : answer_deleted(c);
}

/* dm on in the middle of an async section: that section comes by direct message now. */
static int ask_now(struct ctx *c)
{
	int result = c->direct ? direct_session(c) : 0;

	if (result)
		return result == BOT_ERR_NOT_FOUND ? 0 : result;
	return c->has_session ? pacing_async_ask(c, c->ev->user) : 0;
}

int cmd_dm(struct ctx *c, const char *args)
{
	bool on = text_word_is(args, "on"), was_on = false;
	int result;

	if (on || text_word_is(args, "off")) {
		result = store_direct_pref(c->w->store, c->ev->transport, c->ev->user, &was_on);
		if (!result)
			result = store_direct_pref_set(c->w->store, c->ev->transport, c->ev->user, on);
		if (!result && on && !was_on)
			result = ask_now(c);
		if (result)
			return result;
	} else if (!text_blank(args)) {
		return private_text(c, "Usage: !ws dm [on|off]");
	} else {
		result = store_direct_pref(c->w->store, c->ev->transport, c->ev->user, &on);
		if (result)
			return result;
	}
	if (c->w->cfg->followup_remind_direct)
		return private_text(c, "This bot sends every reminder by direct message "
				       "(remind_by = direct), so you will get yours that way.");
	return private_text(c, on ? "You will get reminders by direct message (!ws dm off to "
				    "get them in the session's channel)."
				  : "You will get reminders as a mention in the session's channel "
				    "(!ws dm on to get them by direct message).");
}

/* The check marks Slack (by name) and Matrix (the emoji, with or without the variation
 * selector) use. */
static bool is_check(const char *key)
{
	static const char *const keys[] = { "white_check_mark", "heavy_check_mark",
					    "\xe2\x9c\x85", "\xe2\x9c\x94\xef\xb8\x8f",
					    "\xe2\x9c\x94" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

int direct_reaction(struct ctx *c, bool *handled)
{
	int64_t ids[HINT_MAX];
	char id[24];
	struct msg m;
	size_t n;
	int result;

	*handled = false;
	if (!c->ev->target_ref || !c->ev->text || !is_check(c->ev->text))
		return 0;
	result = store_outbox_actions_of(c->w->store, c->ev->transport, c->ev->channel,
					 c->ev->target_ref, ids, HINT_MAX, &n);
	if (result || n == 0)
		return result;
	*handled = true;
	if (n == 1) {
		snprintf(id, sizeof id, "%lld", (long long)ids[0]);
		return cmd_done(c, id);
	}
	/* A coalesced reminder: which item was meant is not known, so none is closed. */
	msg_init(&m);
	msg_text(&m, "That reminder lists %zu action items; mark the ones that are done:", n);
	for (size_t i = 0; i < n && i < HINT_MAX; i++) {
		msg_text(&m, "\n  ");
		msg_code(&m, "!ws done %lld", (long long)ids[i]);
	}
	return reply_private(c, &m);
}
