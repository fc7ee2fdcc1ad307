/* reply.c - replies and the checks every handler shares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_outbox.h"
#include "handlers/handler.h"

static int queue(struct ctx *c, const char *channel, const char *thread, int64_t session_id,
		 long prompt_index, struct msg *m)
{
	char *body = msg_to_json(m);
	int result;

	msg_free(m);
	if (!body)
		return BOT_ERR_NOMEM;
	result = store_outbox_put(c->w->store, c->ev->transport, channel, thread, body,
				  session_id, prompt_index, c->now);
	free(body);
	return result;
}

int reply(struct ctx *c, struct msg *m)
{
	return queue(c, c->ev->channel, c->ev->thread, 0, -1, m);
}

int reply_text(struct ctx *c, const char *fmt, ...)
{
	char line[1024];
	struct msg m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	msg_init(&m);
	msg_text(&m, "%s", line);
	return reply(c, &m);
}

int post_to_session(struct ctx *c, const struct session_rec *s, long prompt_index,
		    struct msg *m)
{
	return queue(c, s->channel, NULL, s->id, prompt_index, m);
}

struct name_lookup {
	const char *user_id;
	char *buf;
	size_t len;
};

static int match_member(void *ud, const char *user_id, const char *display_name)
{
	struct name_lookup *q = ud;

	if (strcmp(user_id, q->user_id) != 0)
		return 0;
	snprintf(q->buf, q->len, "%s", display_name);
	return 1;
}

void member_name(struct ctx *c, int64_t session_id, const char *user_id, char *buf,
		 size_t len)
{
	struct name_lookup q = { user_id, buf, len };

	snprintf(buf, len, "%s", user_id);
	store_member_each(c->w->store, session_id, match_member, &q);
}

bool require_session(struct ctx *c)
{
	if (!c->has_session) {
		reply_text(c, "No workshop is running here. Start one with !ws start.");
		return false;
	}
	if (!c->tpl) {
		reply_text(c, "Session #%lld uses the template '%s', which is not installed. "
			      "Install it again, or close the session with !ws end.",
			   (long long)c->session.id, c->session.template_id);
		return false;
	}
	return true;
}

bool require_facilitator(struct ctx *c, const char *what)
{
	char name[128];
	struct msg m;

	if (strcmp(c->ev->user, c->session.facilitator) == 0 ||
	    config_is_admin(c->w->cfg, c->ev->user))
		return true;
	member_name(c, c->session.id, c->session.facilitator, name, sizeof name);
	msg_init(&m);
	msg_text(&m, "Sorry ");
	msg_user(&m, c->ev->user_name);
	msg_text(&m, ", only the facilitator (");
	msg_user(&m, name);
	msg_text(&m, ") can %s this session.", what);
	reply(c, &m);
	return false;
}
