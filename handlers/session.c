/* session.c - the session state machine: start, pace (next, back, skip, pause, resume),
 * status, who, end. Only the facilitator (or an admin) paces. */
#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_answers.h"
#include "bot/store_actions.h"
#include "handlers/flow.h"
#include "handlers/handler.h"
#include "handlers/pacing.h"
#include "handlers/text.h"

/* Opens question index in the session: records it and posts it. */
static int open_question(struct ctx *c, long index)
{
	struct msg m;
	int result;

	c->session.prompt_index = index;
	result = store_session_update(c->w->store, &c->session);
	if (!result)
		result = store_prompt_set_state(c->w->store, c->session.id, index, "open", c->now);
	if (result)
		return result;
	msg_init(&m);
	flow_question_msg(c->tpl, index, &m);
	result = post_to_session(c, &c->session, index, &m);
	return result ? result : pacing_reschedule(c);
}

/* Closes the open question as state ("closed" or "skipped") and marks its post so. */
static int close_question(struct ctx *c, const char *state)
{
	long index = c->session.prompt_index;
	struct msg m;
	int result = store_prompt_set_state(c->w->store, c->session.id, index, state, c->now);

	if (result || !c->tpl)
		return result;
	msg_init(&m);
	flow_closed_msg(c->tpl, index, state, &m);
	return update_question(c, &c->session, index, &m);
}

static int post_welcome(struct ctx *c)
{
	const struct template *t = c->tpl;
	struct msg m;

	msg_init(&m);
	msg_bold(&m, "%s", t->title);
	msg_text(&m, "\nSession #%lld, facilitated by ", (long long)c->session.id);
	msg_user(&m, c->author);
	msg_text(&m, ".\n%s", t->description);
	if (t->presenters)
		msg_text(&m, "\nPresented by: %s", t->presenters);
	msg_text(&m, "\nHow it works: I post one question at a time; reply to answer it (a new "
		     "answer replaces your earlier one). ");
	if (c->session.pace == PACE_TIMED) {
		char dur[32];
		pacing_format_duration(c->session.pace_seconds, dur, sizeof dur);
		msg_text(&m, "Each question stays open for %s, then I move on by myself%s; the "
			     "facilitator can still move on with ", dur,
			 c->session.pace_seconds > PACING_WARN_MIN_S ? " (with a one-minute warning)"
								      : "");
	} else {
		msg_text(&m, "The facilitator moves on with ");
	}
	msg_code(&m, "!ws next");
	msg_text(&m, ". ");
	msg_code(&m, "!ws help");
	msg_text(&m, " lists every command.");
	return post_to_session(c, &c->session, -1, &m);
}

#define START_USAGE "Usage: !ws start [template] [live|timed <duration>], e.g. !ws start timed 10m"

int cmd_start(struct ctx *c, const char *args)
{
	char id[64], err[BOT_ERRMSG_MAX];
	const char *want, *spec = text_skip_space(args);
	struct session_rec *s = &c->session;
	enum session_pace pace = PACE_LIVE;
	long pace_seconds = 0;
	int result;

	if (c->direct)
		return private_text(c, "A workshop runs in a channel: start it there. Here, in our "
				       "direct messages, you can use done, snooze, due, actions and dm.");
	id[0] = '\0';
	if (*spec && !text_word_is(spec, "live") && !text_word_is(spec, "timed")) {
		size_t n = 0;
		while (spec[n] && spec[n] != ' ' && spec[n] != '\t')
			n++;
		snprintf(id, sizeof id, "%.*s", (int)n, spec);
		spec = text_skip_space(spec + n);
	}
	want = id[0] ? id : c->w->cfg->default_template;
	if (c->has_session)
		return private_text(c, "Session #%lld is already running here (question %zu). "
				     "Its facilitator can end it with !ws end first.",
				  (long long)s->id, c->tpl ? flow_number(c->tpl, s->prompt_index) : 0);
	c->tpl = template_set_find(c->w->templates, want);
	if (!c->tpl) {
		struct msg m;
		msg_init(&m);
		msg_text(&m, "There is no workshop template '");
		text_user_clipped(&m, want, 40);
		msg_text(&m, "'. Installed:");
		for (size_t i = 0; i < c->w->templates->n; i++)
			msg_text(&m, " %s", c->w->templates->items[i]->id);
		msg_text(&m, ". " START_USAGE);
		return reply_private(c, &m);
	}
	if (*spec && pacing_parse(spec, &pace, &pace_seconds, err, sizeof err) != 0)
		return private_text(c, "%s. " START_USAGE, err);
	memset(s, 0, sizeof *s);
	snprintf(s->transport, sizeof s->transport, "%s", c->ev->transport);
	snprintf(s->channel, sizeof s->channel, "%s", c->ev->channel);
	snprintf(s->template_id, sizeof s->template_id, "%s", c->tpl->id);
	snprintf(s->facilitator, sizeof s->facilitator, "%s", c->ev->user);
	snprintf(s->timezone, sizeof s->timezone, "%s", c->w->cfg->timezone);
	s->state = SESSION_ACTIVE;
	s->prompt_index = flow_step(c->tpl, -1, 1);
	s->started_at = c->now;
	s->pace = pace;
	s->pace_seconds = pace_seconds;
	result = store_session_insert(c->w->store, s);
	if (!result)
		result = store_member_touch(c->w->store, s->id, c->ev->user, c->ev->user_name, c->now);
	if (!result)
		result = post_welcome(c);
	if (!result)
		result = open_question(c, s->prompt_index);
	c->has_session = !result;
	return result;
}

/* Checks shared by the pacing commands: a session, the facilitator, not paused. */
static bool may_pace(struct ctx *c, const char *what)
{
	if (!require_session(c) || !require_facilitator(c, what))
		return false;
	if (c->session.state == SESSION_PAUSED) {
		private_text(c, "The session is paused; !ws resume continues it.");
		return false;
	}
	return true;
}

int session_advance(struct ctx *c, const char *state)
{
	long next = flow_step(c->tpl, c->session.prompt_index, 1);
	int result;

	if (next < 0)
		return private_text(c, "That was the last question. !ws end closes the session; "
				     "!ws report shows the summary.");
	result = close_question(c, state);
	return result ? result : open_question(c, next);
}

int cmd_next(struct ctx *c, const char *args)
{
	(void)args;
	return may_pace(c, "move on in") ? session_advance(c, "closed") : 0;
}

int cmd_skip(struct ctx *c, const char *args)
{
	(void)args;
	return may_pace(c, "skip questions in") ? session_advance(c, "skipped") : 0;
}

int cmd_back(struct ctx *c, const char *args)
{
	long prev;
	int result;

	(void)args;
	if (!may_pace(c, "go back in"))
		return 0;
	prev = flow_step(c->tpl, c->session.prompt_index, -1);
	if (prev < 0)
		return private_text(c, "This is the first question; there is nothing before it.");
	result = close_question(c, "closed");
	return result ? result : open_question(c, prev);
}

int cmd_pause(struct ctx *c, const char *args)
{
	int result;

	(void)args;
	if (!require_session(c) || !require_facilitator(c, "pause"))
		return 0;
	if (c->session.state == SESSION_PAUSED)
		return private_text(c, "The session is already paused; !ws resume continues it.");
	c->session.state = SESSION_PAUSED;
	result = store_session_update(c->w->store, &c->session);
	if (!result)
		result = pacing_cancel(c, c->session.id);
	if (result)
		return result;
	return reply_text(c, "Session paused. Answers to the open question are still recorded; "
			     "!ws resume continues.");
}

int cmd_resume(struct ctx *c, const char *args)
{
	int result;

	(void)args;
	if (!require_session(c) || !require_facilitator(c, "resume"))
		return 0;
	if (c->session.state != SESSION_PAUSED)
		return private_text(c, "The session is not paused.");
	c->session.state = SESSION_ACTIVE;
	result = store_session_update(c->w->store, &c->session);
	if (!result)
		result = reply_text(c, "Session resumed.");
	return result ? result : open_question(c, c->session.prompt_index);
}

/* The people who have answered the open question, as ids. */
struct answered {
	struct ctx *c;
	char ids[64][128];
	size_t n;
	size_t total;          /* may exceed the 64 names kept */
};

static int collect_answered(void *ud, const struct answer_rec *a)
{
	struct answered *an = ud;

	if (an->n < sizeof an->ids / sizeof an->ids[0])
		snprintf(an->ids[an->n++], sizeof an->ids[0], "%s", a->user_id);
	an->total++;
	return 0;
}

static int collect_action_owners(void *ud, const struct action_rec *a)
{
	struct answered *an = ud;

	for (size_t i = 0; i < an->n; i++)
		if (strcmp(an->ids[i], a->created_by) == 0)
			return 0;
	if (an->n < sizeof an->ids / sizeof an->ids[0])
		snprintf(an->ids[an->n++], sizeof an->ids[0], "%s", a->created_by);
	an->total++;
	return 0;
}

/* Fills an with who answered the open question; for an action-items question, who has
 * added an action item to the session. */
static int find_answered(struct ctx *c, struct answered *an)
{
	const struct prompt *p = &c->tpl->prompts[c->session.prompt_index];

	memset(an, 0, sizeof *an);
	an->c = c;
	if (p->kind == PROMPT_ACTION_ITEMS)
		return store_action_each_of(c->w->store, c->session.id, collect_action_owners, an);
	return store_answer_each(c->w->store, c->session.id, p->id, collect_answered, an);
}

static bool has_answered(const struct answered *an, const char *user_id)
{
	for (size_t i = 0; i < an->n; i++)
		if (strcmp(an->ids[i], user_id) == 0)
			return true;
	return false;
}

struct member_list {
	struct ctx *c;
	const struct answered *an;
	struct msg *m;
	size_t members;
	size_t listed;
	bool want_answered;
};

static int list_member(void *ud, const char *user_id, const char *display_name)
{
	struct member_list *ml = ud;

	ml->members++;
	if (has_answered(ml->an, user_id) != ml->want_answered)
		return 0;
	msg_text(ml->m, ml->listed++ ? ", " : " ");
	msg_user(ml->m, display_name);
	return 0;
}

/* Appends to m the members who have (want_answered) or have not answered the open
 * question, and counts them in *ml. Frees m on error. */
static int list_members(struct ctx *c, struct msg *m, bool want_answered,
			struct member_list *ml)
{
	struct answered an;
	int result = find_answered(c, &an);

	if (!result) {
		*ml = (struct member_list){ c, &an, m, 0, 0, want_answered };
		result = store_member_each(c->w->store, c->session.id, list_member, ml);
		ml->an = NULL;
	}
	if (result)
		msg_free(m);
	return result;
}

int cmd_status(struct ctx *c, const char *args)
{
	struct msg m;
	struct member_list ml;
	const struct prompt *p;
	char facilitator[128];
	int result;

	(void)args;
	if (!require_session(c))
		return 0;
	p = &c->tpl->prompts[c->session.prompt_index];
	member_name(c, c->session.id, c->session.facilitator, facilitator, sizeof facilitator);
	msg_init(&m);
	msg_bold(&m, "Session #%lld", (long long)c->session.id);
	msg_text(&m, " (%s, %s", c->tpl->id, session_state_name(c->session.state));
	msg_text(&m, ", facilitated by ");
	msg_user(&m, facilitator);
	msg_text(&m, "): question %zu of %zu: ", flow_number(c->tpl, c->session.prompt_index),
		 flow_count(c->tpl));
	msg_text(&m, "%s", p->title ? p->title : p->text);
	msg_text(&m, "\nAnswered by");
	result = list_members(c, &m, true, &ml);
	if (result)
		return result;
	msg_text(&m, "%s (%zu of %zu).", ml.listed ? "" : " nobody yet", ml.listed, ml.members);
	result = pacing_describe(c, &m);
	if (result) {
		msg_free(&m);
		return result;
	}
	return reply_private(c, &m);
}

int cmd_who(struct ctx *c, const char *args)
{
	struct msg m;
	struct member_list ml;
	int result;

	(void)args;
	if (!require_session(c))
		return 0;
	msg_init(&m);
	msg_text(&m, "Not answered question %zu yet:", flow_number(c->tpl, c->session.prompt_index));
	result = list_members(c, &m, false, &ml);
	if (result)
		return result;
	if (!ml.listed) {
		msg_free(&m);
		return private_text(c, "Everyone here has answered question %zu.",
				  flow_number(c->tpl, c->session.prompt_index));
	}
	msg_text(&m, ".");
	return reply_private(c, &m);
}

struct counts {
	size_t answers;
	size_t actions;
};

static int count_answer(void *ud, const struct answer_rec *a)
{
	(void)a;
	((struct counts *)ud)->answers++;
	return 0;
}

static int count_action(void *ud, const struct action_rec *a)
{
	(void)a;
	((struct counts *)ud)->actions++;
	return 0;
}

int cmd_end(struct ctx *c, const char *args)
{
	struct counts n = { 0, 0 };
	struct msg m;
	int result;

	(void)args;
	if (!c->has_session)
		return private_text(c, "No workshop is running here.");
	/* A session whose template is gone can still be ended. */
	if (!require_facilitator(c, "end"))
		return 0;
	result = close_question(c, "closed");
	if (!result)
		result = pacing_cancel(c, c->session.id);
	c->session.state = SESSION_ENDED;
	c->session.ended_at = c->now;
	if (!result)
		result = store_session_update(c->w->store, &c->session);
	if (!result)
		result = store_answer_each(c->w->store, c->session.id, NULL, count_answer, &n);
	if (!result)
		result = store_action_each_of(c->w->store, c->session.id, count_action, &n);
	if (result)
		return result;
	msg_init(&m);
	msg_bold(&m, "Session #%lld has ended.", (long long)c->session.id);
	msg_text(&m, " %zu answer%s and %zu action item%s are saved. ", n.answers,
		 n.answers == 1 ? "" : "s", n.actions, n.actions == 1 ? "" : "s");
	msg_code(&m, "!ws report");
	msg_text(&m, " shows the summary and ");
	msg_code(&m, "!ws actions");
	msg_text(&m, " the open action items. Thank you all!");
	return post_to_session(c, &c->session, -1, &m);
}

int cmd_templates(struct ctx *c, const char *args)
{
	struct msg m;

	(void)args;
	msg_init(&m);
	msg_text(&m, "Installed workshops:");
	for (size_t i = 0; i < c->w->templates->n; i++) {
		const struct template *t = c->w->templates->items[i];
		msg_text(&m, "\n  ");
		msg_code(&m, "%s", t->id);
		msg_text(&m, " — %s (%zu questions)", t->title, flow_count(t));
	}
	msg_text(&m, "\nStart one with !ws start <name>.");
	return reply_private(c, &m);
}
