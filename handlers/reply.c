/* reply.c - replies and the checks every handler shares. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_outbox.h"
#include "handlers/handler.h"

/* Queues rec (its body given as msg m, which is freed). */
static int queue_msg(struct ctx *c, struct outbox_rec *rec, struct msg *m)
{
	char *body = msg_to_json(m);
	int result;

	msg_free(m);
	if (!body)
		return BOT_ERR_NOMEM;
	rec->transport = c->ev->transport;
	rec->body = body;
	result = store_outbox_put(c->w->store, rec, c->now);
	free(body);
	return result;
}

/* A reply of kind in the event's channel and thread. */
static struct outbox_rec reply_rec(struct ctx *c, enum outbox_kind kind)
{
	return (struct outbox_rec){ .kind = kind, .channel = c->ev->channel,
				    .thread = c->ev->thread, .visible_to = c->ev->user,
				    .prompt_index = -1 };
}

int reply(struct ctx *c, struct msg *m)
{
	struct outbox_rec rec = reply_rec(c, OUTBOX_POST);

	rec.visible_to = NULL;
	return queue_msg(c, &rec, m);
}

int reply_private(struct ctx *c, struct msg *m)
{
	struct outbox_rec rec = reply_rec(c, OUTBOX_PRIVATE);

	return queue_msg(c, &rec, m);
}

int confirm(struct ctx *c, struct msg *m)
{
	struct outbox_rec rec = reply_rec(c, OUTBOX_CONFIRM);

	rec.target_ref = c->ev->ref;
	return queue_msg(c, &rec, m);
}

__attribute__((format(printf, 3, 0)))
static int queue_text(struct ctx *c, int (*send)(struct ctx *, struct msg *), const char *fmt,
		      va_list ap)
{
	char line[1024];
	struct msg m;

	vsnprintf(line, sizeof line, fmt, ap);
	msg_init(&m);
	msg_text(&m, "%s", line);
	return send(c, &m);
}

int reply_text(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int result;

	va_start(ap, fmt);
	result = queue_text(c, reply, fmt, ap);
	va_end(ap);
	return result;
}

int private_text(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	int result;

	va_start(ap, fmt);
	result = queue_text(c, reply_private, fmt, ap);
	va_end(ap);
	return result;
}

int open_form(struct ctx *c, const char *spec)
{
	struct outbox_rec rec = reply_rec(c, OUTBOX_FORM);

	rec.transport = c->ev->transport;
	rec.body = spec;
	rec.target_ref = c->ev->trigger;
	return store_outbox_put(c->w->store, &rec, c->now);
}

int post_to_session(struct ctx *c, const struct session_rec *s, long prompt_index,
		    struct msg *m)
{
	struct outbox_rec rec = { .kind = OUTBOX_POST, .channel = s->channel,
				  .session_id = s->id, .prompt_index = prompt_index };

	return queue_msg(c, &rec, m);
}

int post_direct(struct ctx *c, const char *user, struct msg *m)
{
	struct outbox_rec rec = { .kind = OUTBOX_DIRECT, .channel = user, .prompt_index = -1 };

	return queue_msg(c, &rec, m);
}

int update_question(struct ctx *c, const struct session_rec *s, long prompt_index,
		    struct msg *m)
{
	struct outbox_rec rec = { .kind = OUTBOX_UPDATE, .channel = s->channel,
				  .session_id = s->id, .prompt_index = prompt_index };

	return queue_msg(c, &rec, m);
}

void member_name(struct ctx *c, int64_t session_id, const char *user_id, char *buf,
		 size_t len)
{
	/* The user id stands for a name not known (or not stored) yet. */
	if (store_member_name(c->w->store, session_id, user_id, buf, len) != 0 || !buf[0])
		snprintf(buf, len, "%s", user_id);
}

bool require_session(struct ctx *c)
{
	if (!c->has_session) {
		private_text(c, "No workshop is running here. Start one with !ws start.");
		return false;
	}
	if (!c->tpl) {
		private_text(c, "Session #%lld uses the template '%s', which is not installed. "
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

	if (strcmp(c->ev->user, c->session.facilitator) == 0 || c->ev->moderator ||
	    config_is_admin(c->w->cfg, c->ev->user))
		return true;
	member_name(c, c->session.id, c->session.facilitator, name, sizeof name);
	msg_init(&m);
	msg_text(&m, "Sorry ");
	msg_user(&m, c->author);
	msg_text(&m, ", only the facilitator (");
	msg_user(&m, name);
	msg_text(&m, ") can %s this session.", what);
	reply_private(c, &m);
	return false;
}
