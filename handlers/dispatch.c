/* dispatch.c - one event, one transaction: drop a redelivery, find the channel's
 * session, route the event to a command, an answer, a button or a form, commit. */
#include <stdio.h>
#include <string.h>

#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/store_direct.h"
#include "bot/store_seen.h"
#include "handlers/commands.h"
#include "handlers/handler.h"
#include "handlers/text.h"

static int load_session(struct ctx *c)
{
	const struct event *ev = c->ev;
	char owner[128];
	int result = store_direct_user(c->w->store, ev->transport, ev->channel, owner, sizeof owner);

	snprintf(c->author, sizeof c->author, "%s", ev->user_name ? ev->user_name : ev->user);
	/* The bot's direct channel with someone is never a session's channel. */
	c->direct = !result && owner[0];
	if (!result && !c->direct && ev->direct) {
		/* The person opened the direct message before the bot did: it is theirs from
		 * now on, for the bot's direct messages and for commands and answers there. */
		result = store_direct_channel_set(c->w->store, ev->transport, ev->user, ev->channel);
		c->direct = !result;
	}
	if (result || c->direct)
		return result;
	result = store_session_open_in(c->w->store, ev->transport, ev->channel, &c->session);
	if (result == BOT_ERR_NOT_FOUND)
		return 0;
	if (result)
		return result;
	c->has_session = true;
	c->tpl = template_set_find(c->w->templates, c->session.template_id);
	result = store_member_touch(c->w->store, c->session.id, ev->user, ev->user_name, c->now);
	if (!result && !ev->user_name)
		member_name(c, c->session.id, ev->user, c->author, sizeof c->author);
	return result;
}

/* A message in the thread of one of the open session's questions answers it; one in the
 * thread of a report-back prompt is a report entry. */
static int thread_answer(struct ctx *c)
{
	long index;
	int result = BOT_ERR_NOT_FOUND;

	if (!c->ev->thread)
		return 0;
	if (c->has_session && c->tpl)
		result = store_prompt_by_ref(c->w->store, c->session.id, c->ev->thread, &index);
	if (result == BOT_ERR_NOT_FOUND)
		return reportback_thread(c);
	return result ? result : answer_prompt(c, index, c->ev->text);
}

/* A plain line in the console: an answer to the open question, else a report entry. */
static int plain_answer(struct ctx *c)
{
	bool handled = true;
	int result = 0;

	if (c->has_session)
		return answer_current(c, c->ev->text);
	result = reportback_plain(c, &handled);
	if (result || handled)
		return result;
	return private_text(c, "No workshop is running here, so that was not recorded. "
			       "Start one with !ws start, or see !ws help.");
}

/* Commands and buttons count against their author's bucket ([workshopbot]
 * command_limit); the console has none: one local person types for everyone there.
 * Sets *drop when the event is to be dropped; the first drop of a window gets a notice. */
static int rate_check(struct ctx *c, bool *drop)
{
	const struct event *ev = c->ev;
	const struct config *cfg = c->w->cfg;
	enum ratelimit_verdict v = RATELIMIT_PASS;

	if (strcmp(ev->transport, "console") != 0)
		v = ratelimit_take(&c->w->commands, ev->transport, ev->user, cfg->command_limit,
				   cfg->command_window, c->now);
	*drop = v != RATELIMIT_PASS;
	if (v == RATELIMIT_DROP) {
		log_debug("workshop", "%s user %s over the command limit; dropped", ev->transport,
			  ev->user);
		return 0;
	}
	if (v != RATELIMIT_DROP_NOTICE)
		return 0;
	log_warn("workshop", "%s user %s sent more than %ld commands in %ld s; dropping their "
		 "commands for now", ev->transport, ev->user, cfg->command_limit,
		 cfg->command_window);
	return private_text(c, "You are sending commands faster than I take them (%ld in %ld "
			       "seconds); I skipped that one. Please wait a moment.",
			    cfg->command_limit, cfg->command_window);
}

static int route_message(struct ctx *c)
{
	const struct event *ev = c->ev;
	/* The prefix is optional where the message is for the bot anyway (a slash command, a
	 * mention, the bot's direct channel), and may still be typed there: `!ws done 3` in
	 * a direct message, as the reminder there suggests. */
	const char *command = commands_strip_prefix(ev->text);
	bool drop;
	int result;

	/* In the direct channel a line that is no command answers an async session. */
	if (!command && c->direct && !text_blank(ev->text) && !commands_known(ev->text))
		return direct_answer(c, ev->text);
	if (!command && (ev->addressed || c->direct))
		command = ev->text;
	if (command) {
		result = rate_check(c, &drop);
		return result || drop ? result : commands_run(c, command);
	}
	if (text_blank(ev->text))
		return 0;
	if (!ev->answers_open)
		return thread_answer(c);
	return plain_answer(c);
}

static int route(struct ctx *c)
{
	bool handled;
	int result;

	switch (c->ev->kind) {
	case EVENT_MESSAGE:
		return route_message(c);
	case EVENT_EDIT:
		if (c->direct)
			return direct_changed(c);
		result = answer_edited(c);
		return result ? result : reportback_edited(c);
	case EVENT_DELETE:
		if (c->direct)
			return direct_changed(c);
		result = answer_deleted(c);
		return result ? result : reportback_deleted(c);
	case EVENT_BUTTON:
		result = rate_check(c, &handled);
		return result || handled ? result : button_pressed(c);
	case EVENT_FORM:
		return strcmp(c->ev->action, "action_item") == 0 ? action_form(c) : answer_form(c);
	case EVENT_REACTION:
		result = direct_reaction(c, &handled);
		return result || handled ? result : answer_reaction(c);
	}
	return 0;
}

/* Records the event's dedup key; *again tells whether it was handled before. */
static int check_redelivery(struct ctx *c, bool *again)
{
	*again = false;
	if (!c->ev->dedup_key)
		return 0;
	return store_seen_add(c->w->store, c->ev->transport, c->ev->dedup_key, c->now, again);
}

int workshop_handle(struct workshop *w, const struct event *ev)
{
	struct ctx c = { .w = w, .ev = ev, .now = (int64_t)clock_now() };
	bool again = false;
	int result = check_redelivery(&c, &again);

	if (!result && again)
		log_debug("workshop", "%s event %s seen before; skipped", ev->transport, ev->dedup_key);
	if (!result && !again)
		result = load_session(&c);
	if (!result && !again)
		result = route(&c);
	return result;
}

int workshop_dispatch(struct workshop *w, const struct event *ev)
{
	int result = store_begin(w->store);

	if (!result)
		result = workshop_handle(w, ev);
	if (!result)
		result = store_commit(w->store);
	if (result)
		store_rollback(w->store);
	/* A disk that refuses writes is reported once, by the caller, which stops. */
	if (result && result != BOT_ERR_DB_READONLY) {
		log_err("workshop", "an event from %s in %s:%s was not stored: %s",
			ev->user, ev->transport, ev->channel, bot_strerror(result));
	}
	return result;
}
