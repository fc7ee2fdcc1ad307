/* report_cmd.c - `report [session id]`: the summary posted in the channel. */
#include <string.h>

#include "bot/err.h"
#include "handlers/handler.h"
#include "handlers/report.h"
#include "handlers/text.h"

int cmd_report(struct ctx *c, const char *args)
{
	struct session_rec s;
	const struct template *t;
	struct msg m;
	long long id;
	int result;

	if (!text_blank(args)) {
		if (text_parse_id(args, &id) != 0)
			return private_text(c, "Usage: !ws report [session id]");
		result = store_session_get(c->w->store, id, &s);
		if (!result && (strcmp(s.transport, c->ev->transport) != 0 ||
				strcmp(s.channel, c->ev->channel) != 0))
			result = BOT_ERR_NOT_FOUND;
	} else {
		result = store_session_latest_in(c->w->store, c->ev->transport, c->ev->channel, &s);
	}
	if (result == BOT_ERR_NOT_FOUND)
		return private_text(c, "No such session here. Start one with !ws start.");
	if (result)
		return result;
	t = template_set_find(c->w->templates, s.template_id);
	if (!t)
		return private_text(c, "Session #%lld uses the template '%s', which is not installed.",
				  (long long)s.id, s.template_id);
	msg_init(&m);
	result = report_build(c->w->store, t, &s, &m);
	if (result) {
		msg_free(&m);
		return result;
	}
	return reply(c, &m);
}
