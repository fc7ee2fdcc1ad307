/* session.c - the session state machine: start, pace (next, back, skip, pause, resume),
 * status, who, end. Only the facilitator (or an admin) paces. */
#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_answers.h"
#include "bot/store_actions.h"
#include "bot/tz.h"
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

int session_close_prompt(struct ctx *c, long index, const char *state)
{
	struct msg m;
	int result = store_prompt_set_state(c->w->store, c->session.id, index, state, c->now);

	if (result || !c->tpl || !flow_is_question(&c->tpl->prompts[index]))
		return result;
	msg_init(&m);
	flow_closed_msg(c->tpl, index, state, &m);
	return update_question(c, &c->session, index, &m);
}

/* Closes what is open: the open question, or in an async session its whole section. */
static int close_question(struct ctx *c, const char *state)
{
	if (c->session.pace == PACE_ASYNC && c->tpl)
		return pacing_async_close(c, state);
	return session_close_prompt(c, c->session.prompt_index, state);
}

/* How the session moves on, for the welcome (up to "... with "). */
static void put_how(struct ctx *c, struct msg *m)
{
	const struct session_rec *s = &c->session;
	char dur[32];

	if (s->pace == PACE_ASYNC) {
		msg_text(m, "\nHow it works: I open one section a day, at %s (%s) on working days, "
			    "and post each of its questions; reply in a question's thread to answer it "
			    "(in the console: one line per answer, in the order asked). A new answer "
			    "replaces your earlier one. The facilitator can open the next section "
			    "early with ", s->pace_time, s->timezone);
		return;
	}
	msg_text(m, "\nHow it works: I post one question at a time; reply to answer it (a new "
		    "answer replaces your earlier one). ");
	if (s->pace != PACE_TIMED) {
		msg_text(m, "The facilitator moves on with ");
		return;
	}
	pacing_format_duration(s->pace_seconds, dur, sizeof dur);
	msg_text(m, "Each question stays open for %s, then I move on by myself%s; the facilitator "
		    "can still move on with ", dur,
		 s->pace_seconds > PACING_WARN_MIN_S ? " (with a one-minute warning)" : "");
}

static int post_welcome(struct ctx *c)
{
	const struct template *t = c->tpl;
	struct msg m;

	msg_init(&m);
	msg_bold(&m, "%s", t->title);
	msg_text(&m, "\nSession #%lld, facilitated by ", (long long)c->session.id);
	/* A mention: Slack shows the name even before users.info has told the bot. */
	msg_mention(&m, c->ev->user, c->author);
	msg_text(&m, ".\n%s", t->description);
	if (t->presenters)
		msg_text(&m, "\nPresented by: %s", t->presenters);
	put_how(c, &m);
	msg_code(&m, "!ws next");
	msg_text(&m, ". ");
	msg_code(&m, "!ws help");
	msg_text(&m, " lists every command.");
	return post_to_session(c, &c->session, -1, &m);
}

#define START_USAGE "Usage: !ws start [template] [live|timed <duration>|async daily <HH:MM>] " \
	"[tz <zone>], e.g. !ws start timed 10m or !ws start async daily 09:00 tz Europe/Berlin"

/* Splits the options after the template, in any order: a pace (into pace) and
 * "tz <zone>" (into zone, "" when not given). Returns 0, or BOT_ERR_INVALID with the
 * reason in err. */
static int start_options(const char *spec, char *pace, size_t pace_len, char *zone,
			 size_t zone_len, char *err, size_t errlen)
{
	const char *tz = text_last_word(spec, "tz");
	const char *name, *rest;

	zone[0] = '\0';
	if (!tz) {
		snprintf(pace, pace_len, "%s", spec);
		return 0;
	}
	name = text_skip_space(tz + 2);
	rest = name;
	while (*rest && *rest != ' ' && *rest != '\t')
		rest++;
	snprintf(zone, zone_len, "%.*s", (int)(rest - name), name);
	if (!tz_valid(zone))
		return bot_fail(err, errlen, BOT_ERR_INVALID, "'%.*s' is not a time zone I know "
				"(e.g. Europe/Berlin, America/New_York, UTC)", 64, zone);
	snprintf(pace, pace_len, "%.*s%s", (int)(tz - spec), spec, rest);
	return 0;
}

/* A new session's zone: the tz option, else the channel's (!ws tz), else the config's. */
static int start_zone(struct ctx *c, const char *option, char *zone, size_t len)
{
	int result = 0;

	snprintf(zone, len, "%s", option);
	if (!zone[0])
		result = store_channel_timezone(c->w->store, c->ev->transport, c->ev->channel, zone,
						len);
	if (!result && !zone[0])
		snprintf(zone, len, "%s", c->w->cfg->timezone);
	return result;
}

static bool is_start_option(const char *word)
{
	return text_word_is(word, "live") || text_word_is(word, "timed") ||
	       text_word_is(word, "async") || text_word_is(word, "tz");
}

int cmd_start(struct ctx *c, const char *args)
{
	char id[64], err[BOT_ERRMSG_MAX], pace[256], zone[sizeof c->session.timezone];
	const char *want, *spec = text_skip_space(args);
	struct session_rec *s = &c->session;
	struct pace_spec ps = { .pace = PACE_LIVE };
	int result;

	if (c->direct)
		return private_text(c, "A workshop runs in a channel: start it there. Here, in our "
				       "direct messages, you can use done, snooze, due, actions and dm.");
	id[0] = '\0';
	if (*spec && !is_start_option(spec)) {
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
	if (start_options(spec, pace, sizeof pace, zone, sizeof zone, err, sizeof err) != 0 ||
	    (!text_blank(pace) && pacing_parse(pace, &ps, err, sizeof err) != 0))
		return private_text(c, "%s. " START_USAGE, err);
	memset(s, 0, sizeof *s);
	result = start_zone(c, zone, s->timezone, sizeof s->timezone);
	if (result)
		return result;
	snprintf(s->transport, sizeof s->transport, "%s", c->ev->transport);
	snprintf(s->channel, sizeof s->channel, "%s", c->ev->channel);
	snprintf(s->template_id, sizeof s->template_id, "%s", c->tpl->id);
	snprintf(s->facilitator, sizeof s->facilitator, "%s", c->ev->user);
	s->state = SESSION_ACTIVE;
	s->prompt_index = flow_step(c->tpl, -1, 1);
	s->started_at = c->now;
	s->pace = ps.pace;
	s->pace_seconds = ps.seconds;
	snprintf(s->pace_time, sizeof s->pace_time, "%s", ps.time);
	result = store_session_insert(c->w->store, s);
	if (!result)
		result = store_member_touch(c->w->store, s->id, c->ev->user, c->ev->user_name, c->now);
	if (!result)
		result = post_welcome(c);
	if (!result)
		result = s->pace == PACE_ASYNC ? pacing_async_open(c, s->prompt_index, false)
					       : open_question(c, s->prompt_index);
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

/* next and skip: to the next question, or in an async session the next section. */
static int forward(struct ctx *c, const char *state)
{
	if (c->session.pace == PACE_ASYNC)
		return pacing_async_step(c, 1, state);
	return session_advance(c, state);
}

int cmd_next(struct ctx *c, const char *args)
{
	(void)args;
	return may_pace(c, "move on in") ? forward(c, "closed") : 0;
}

int cmd_skip(struct ctx *c, const char *args)
{
	(void)args;
	return may_pace(c, "skip questions in") ? forward(c, "skipped") : 0;
}

int cmd_back(struct ctx *c, const char *args)
{
	long prev;
	int result;

	(void)args;
	if (!may_pace(c, "go back in"))
		return 0;
	if (c->session.pace == PACE_ASYNC)
		return pacing_async_step(c, -1, "closed");
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
	if (result)
		return result;
	/* Async: the section's heading again, with its next opening, and any of its prompts
	 * not posted yet (a session that turned async while paused). */
	if (c->session.pace == PACE_ASYNC)
		return pacing_async_open(c, c->session.prompt_index, false);
	return open_question(c, c->session.prompt_index);
}

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

int answered_load(struct ctx *c, long index, struct answered *an)
{
	const struct prompt *p = &c->tpl->prompts[index];

	memset(an, 0, sizeof *an);
	if (p->kind == PROMPT_ACTION_ITEMS)
		return store_action_each_of(c->w->store, c->session.id, collect_action_owners, an);
	return store_answer_each(c->w->store, c->session.id, p->id, collect_answered, an);
}

bool answered_has(const struct answered *an, const char *user_id)
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
	if (answered_has(ml->an, user_id) != ml->want_answered)
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
	int result = answered_load(c, c->session.prompt_index, &an);

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
	if (c->session.pace == PACE_ASYNC) {
		msg_text(&m, "\nNot answered every question of this section yet:");
		result = pacing_async_missing(c, &m, &ml.listed);
		msg_text(&m, "%s", ml.listed ? "." : " nobody.");
	} else {
		msg_text(&m, "\nAnswered by");
		result = list_members(c, &m, true, &ml);
		if (result)
			return result;
		msg_text(&m, "%s (%zu of %zu).", ml.listed ? "" : " nobody yet", ml.listed,
			 ml.members);
	}
	if (!result)
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
	if (c->session.pace == PACE_ASYNC) {
		msg_text(&m, "Not answered every question of this section yet:");
		result = pacing_async_missing(c, &m, &ml.listed);
		if (result)
			msg_free(&m);
	} else {
		msg_text(&m, "Not answered question %zu yet:",
			 flow_number(c->tpl, c->session.prompt_index));
		result = list_members(c, &m, false, &ml);
	}
	if (result)
		return result;
	if (!ml.listed) {
		msg_free(&m);
		if (c->session.pace == PACE_ASYNC)
			return private_text(c, "Everyone here has answered every question of this "
					       "section.");
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
		result = reportback_schedule(c, &c->session);
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
