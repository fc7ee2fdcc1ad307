/* tz_cmd.c - `!ws tz [zone]`: the channel's time zone, which its new sessions take
 * (unless `start … tz <zone>` names another). Anyone may set it while no session is
 * open; during a session only its facilitator (or an admin), and the open session moves
 * to the zone too: its async jobs are rescheduled in it. Action-item reminders already
 * scheduled keep their instants (rescheduling them would restart their overdue count);
 * the next one of each chain is placed in the new zone. */
#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/tz.h"
#include "handlers/handler.h"
#include "handlers/text.h"

#define TZ_USAGE "Usage: !ws tz [zone], e.g. !ws tz Europe/Berlin"

static int show_zone(struct ctx *c)
{
	char zone[sizeof c->session.timezone];
	int result = store_channel_timezone(c->w->store, c->ev->transport, c->ev->channel, zone,
					    sizeof zone);
	struct msg m;

	if (result)
		return result;
	msg_init(&m);
	if (zone[0])
		msg_text(&m, "This channel's time zone is %s.", zone);
	else
		msg_text(&m, "This channel has no time zone of its own; new sessions use %s.",
			 c->w->cfg->timezone);
	if (c->has_session)
		msg_text(&m, " Session #%lld runs in %s.", (long long)c->session.id,
			 c->session.timezone);
	msg_text(&m, " " TZ_USAGE);
	return reply_private(c, &m);
}

int cmd_tz(struct ctx *c, const char *args)
{
	char zone[sizeof c->session.timezone];
	size_t n = 0;
	struct msg m;
	int result;

	if (text_blank(args))
		return show_zone(c);
	while (args[n] && args[n] != ' ' && args[n] != '\t')
		n++;
	snprintf(zone, sizeof zone, "%.*s", (int)n, args);
	if (!text_blank(args + n) || n >= sizeof zone || !tz_valid(zone)) {
		msg_init(&m);
		msg_text(&m, "'");
		text_user_clipped(&m, args, 64);
		msg_text(&m, "' is not a time zone I know (e.g. Europe/Berlin, America/New_York, "
			     "UTC). " TZ_USAGE);
		return reply_private(c, &m);
	}
	if (c->has_session && !require_facilitator(c, "change the time zone of"))
		return 0;
	result = store_channel_set_timezone(c->w->store, c->ev->transport, c->ev->channel, zone);
	if (result || !c->has_session)
		return result ? result : reply_text(c, "This channel's time zone is now %s.", zone);
	snprintf(c->session.timezone, sizeof c->session.timezone, "%s", zone);
	result = store_session_update(c->w->store, &c->session);
	if (!result && c->session.pace == PACE_ASYNC)
		result = pacing_reschedule(c);
	if (result)
		return result;
	return reply_text(c, "This channel's time zone is now %s; session #%lld follows it.", zone,
			  (long long)c->session.id);
}
