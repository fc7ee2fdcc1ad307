/* dispatch.c - one event, one transaction: find the channel's session, route the event
 * to a command or an answer, commit. */
#include <string.h>

#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "handlers/commands.h"
#include "handlers/handler.h"
#include "handlers/text.h"

static int load_session(struct ctx *c)
{
	const struct event *ev = c->ev;
	int result = store_session_open_in(c->w->store, ev->transport, ev->channel, &c->session);

	if (result == BOT_ERR_NOT_FOUND)
		return 0;
	if (result)
		return result;
	c->has_session = true;
	c->tpl = template_set_find(c->w->templates, c->session.template_id);
	return store_member_touch(c->w->store, c->session.id, ev->user, ev->user_name, c->now);
}

static int route(struct ctx *c)
{
	const struct event *ev = c->ev;
	const char *command = ev->addressed ? ev->text : commands_strip_prefix(ev->text);

	if (command)
		return commands_run(c, command);
	if (!ev->answers_open || text_blank(ev->text))
		return 0;
	if (!c->has_session)
		return reply_text(c, "No workshop is running here, so that was not recorded. "
				     "Start one with !ws start, or see !ws help.");
	return answer_current(c, ev->text);
}

int workshop_dispatch(struct workshop *w, const struct event *ev)
{
	struct ctx c = { .w = w, .ev = ev, .now = (int64_t)clock_now() };
	int result = store_begin(w->store);

	if (!result)
		result = load_session(&c);
	if (!result)
		result = route(&c);
	if (!result)
		result = store_commit(w->store);
	if (result) {
		store_rollback(w->store);
		log_err("workshop", "a message from %s in %s:%s was not stored: %s",
			ev->user, ev->transport, ev->channel, bot_strerror(result));
	}
	return result;
}
