/* pacing_async.c - async sessions (pacing_async.h): opening a section, scheduling the
 * next opening and the nudge, running them, and who has not answered the open section. */
#include "handlers/pacing_async.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/store_direct.h"
#include "handlers/flow.h"
#include "handlers/handler.h"
#include "handlers/reminders.h"
#include "handlers/schedule_time.h"
#include "handlers/text.h"

#define ASYNC_USAGE "An async pace is async daily <HH:MM>, e.g. async daily 09:00"

bool pacing_async_is_job(const char *kind)
{
	return kind && (strcmp(kind, ASYNC_KIND_OPEN) == 0 || strcmp(kind, ASYNC_KIND_NUDGE) == 0);
}

int pacing_async_parse(const char *spec, struct pace_spec *out, char *err, size_t errlen)
{
	const char *p = text_skip_space(spec), *end;
	long minute;

	if (!text_word_is(p, "daily"))
		return bot_fail(err, errlen, BOT_ERR_INVALID, ASYNC_USAGE);
	p = text_skip_space(p + 5);
	if (!*p)
		return bot_fail(err, errlen, BOT_ERR_INVALID, ASYNC_USAGE);
	end = p;
	while (*end && *end != ' ' && *end != '\t')
		end++;
	if (!clock_parse_time_of_day(p, end, &minute) || !text_blank(end))
		return bot_fail(err, errlen, BOT_ERR_INVALID, "'%.*s' is not a time of day such as "
				"09:00", 16, p);
	out->pace = PACE_ASYNC;
	snprintf(out->time, sizeof out->time, "%02ld:%02ld", minute / 60, minute % 60);
	return 0;
}

/* ---- sections ---- */

/* The prompts [*first, *end) of the section of prompt index. */
static void section_of(const struct template *t, long index, long *first, long *end)
{
	flow_section_prompts(t, t->prompts[index].section, first, end);
}

/* Each question of the open section with who has answered it. */
struct section_answers {
	struct {
		long index;
		struct answered an;
	} *q;
	size_t n;
};

static int answers_load(struct ctx *c, struct section_answers *sa)
{
	long first, end;
	int rc = 0;

	section_of(c->tpl, c->session.prompt_index, &first, &end);
	sa->n = 0;
	sa->q = calloc((size_t)(end - first), sizeof *sa->q);
	if (!sa->q)
		return BOT_ERR_NOMEM;
	for (long i = first; !rc && i < end; i++) {
		if (!flow_is_question(&c->tpl->prompts[i]))
			continue;
		sa->q[sa->n].index = i;
		rc = answered_load(c, i, &sa->q[sa->n++].an);
	}
	return rc;
}

/* Whether user is asked by direct message: they chose `dm on`, on a chat where a direct
 * message can be answered (the console has no direct channel to answer in). */
static int asked_by_direct(const struct ctx *c, const char *user, bool *on)
{
	*on = false;
	if (strcmp(c->session.transport, "console") == 0)
		return 0;
	return store_direct_pref(c->w->store, c->session.transport, user, on);
}

/* How many questions of the open section user has not answered. */
static size_t unanswered(const struct section_answers *sa, const char *user)
{
	size_t n = 0;

	for (size_t k = 0; k < sa->n; k++)
		n += !answered_has(&sa->q[k].an, user);
	return n;
}

/* Appends the numbers of those questions ("1, 3"). */
static void put_unanswered(const struct ctx *c, const struct section_answers *sa,
			   const char *user, struct msg *m)
{
	size_t listed = 0;

	for (size_t k = 0; k < sa->n; k++)
		if (!answered_has(&sa->q[k].an, user))
			msg_text(m, "%s%zu", listed++ ? ", " : "", flow_number(c->tpl, sa->q[k].index));
}

/* Names the session in a direct message, where its channel is not in sight. */
static void put_session(const struct ctx *c, struct msg *m)
{
	msg_text(m, "(session #%lld in %s)", (long long)c->session.id, c->session.channel);
}

struct missing {
	struct ctx *c;
	const struct section_answers *sa;
	struct msg *m;
	size_t listed;
	bool split;            /* the nudge: members asked by direct message get theirs there */
	bool delayed;
};

/* The nudge of one member asked by direct message. */
static int nudge_direct(struct missing *mi, const char *user)
{
	const struct template *t = mi->c->tpl;
	size_t sec = t->prompts[mi->c->session.prompt_index].section;
	struct msg m;

	msg_init(&m);
	msg_text(&m, "A nudge for section %zu (%s) ", sec + 1, t->sections[sec].title);
	put_session(mi->c, &m);
	msg_text(&m, ": not answered yet: ");
	put_unanswered(mi->c, mi->sa, user, &m);
	msg_text(&m, ". %s%s", PACING_ASYNC_DIRECT_HOW, mi->delayed ? REMINDERS_DELAY_NOTE : "");
	return post_direct(mi->c, user, &m);
}

static int put_missing(void *ud, const char *user_id, const char *display_name)
{
	struct missing *mi = ud;
	bool direct = false;
	int rc;

	if (!unanswered(mi->sa, user_id))
		return 0;
	rc = mi->split ? asked_by_direct(mi->c, user_id, &direct) : 0;
	if (rc || direct)
		return rc ? rc : nudge_direct(mi, user_id);
	msg_text(mi->m, mi->listed++ ? ", " : " ");
	/* The nudge mentions them, so the chat notifies them; status and who only name. */
	if (mi->split)
		msg_mention(mi->m, user_id, display_name);
	else
		msg_user(mi->m, display_name);
	msg_text(mi->m, " (");
	put_unanswered(mi->c, mi->sa, user_id, mi->m);
	msg_text(mi->m, ")");
	return 0;
}

/* Lists the members who have not answered the open section into m (see missing). */
static int missing_each(struct missing *mi)
{
	struct section_answers sa;
	int rc = answers_load(mi->c, &sa);

	mi->sa = &sa;
	if (!rc)
		rc = store_member_each(mi->c->w->store, mi->c->session.id, put_missing, mi);
	free(sa.q);
	return rc;
}

int pacing_async_missing(struct ctx *c, struct msg *m, size_t *listed)
{
	struct missing mi = { .c = c, .m = m };
	int rc = missing_each(&mi);

	*listed = mi.listed;
	return rc;
}

int pacing_async_answer_index(struct ctx *c, long *index)
{
	struct section_answers sa;
	int rc = answers_load(c, &sa);

	*index = -1;
	for (size_t k = 0; !rc && k < sa.n && *index < 0; k++) {
		if (!answered_has(&sa.q[k].an, c->ev->user))
			*index = sa.q[k].index;
	}
	/* Every question answered: more lines are more action items, where the section asks
	 * for them (each line is one). */
	for (size_t k = 0; !rc && k < sa.n && *index < 0; k++) {
		if (c->tpl->prompts[sa.q[k].index].kind == PROMPT_ACTION_ITEMS)
			*index = sa.q[k].index;
	}
	free(sa.q);
	return rc;
}

/* ---- scheduling ---- */

/* A job that cannot be placed (no allowed day within a year, a zone that is not known)
 * is left out with a warning; only database errors fail. */
static int soft(const struct ctx *c, int rc, const char *kind)
{
	if (rc == BOT_ERR_NOT_FOUND || rc == BOT_ERR_INVALID) {
		log_warn("pacing", "session %lld: no %s job: %s", (long long)c->session.id, kind,
			 rc == BOT_ERR_NOT_FOUND ? "the [followup] rules allow no day within a year"
						 : "its time zone is not known");
		return 0;
	}
	return rc;
}

/* The session's pace_time on the first working day after today that is not a closure.
 * Quiet hours do not move it: the facilitator chose that time. */
static int next_open_at(const struct ctx *c, const struct schedule_rules *r, time_t *out)
{
	const struct session_rec *s = &c->session;
	struct schedule_rules chosen = *r;
	struct civil_date today;
	time_t midnight;
	long minute;
	int rc;

	chosen.quiet_start_min = chosen.quiet_end_min = 0;
	if (!clock_parse_time_of_day(s->pace_time, s->pace_time + strlen(s->pace_time), &minute) ||
	    dates_today((time_t)c->now, s->timezone, &today) != 0)
		return BOT_ERR_INVALID;
	rc = schedule_local_at(s->timezone, dates_from_days(dates_to_days(&today) + 1), 0,
			       &midnight);
	return rc ? rc : schedule_next_daily(s->timezone, midnight - 1, (int)minute, &chosen, out);
}

int pacing_async_schedule(struct ctx *c)
{
	long nudge = c->w->cfg->followup_nudge_at;
	struct schedule_rules r;
	time_t open_at = 0, nudge_at;
	int rc = schedule_rules_from_config(c->w->cfg, &r);

	if (rc)
		return rc;
	rc = next_open_at(c, &r, &open_at);
	if (rc)
		rc = soft(c, rc, ASYNC_KIND_OPEN);
	else
		rc = pacing_add_job(c, ASYNC_KIND_OPEN, open_at);
	if (!rc && nudge >= 0) {
		rc = schedule_next_daily(c->session.timezone, (time_t)c->now, (int)nudge, &r,
					 &nudge_at);
		/* Only on the section's own day(s): never after the next one opened. */
		if (!rc && (!open_at || nudge_at < open_at))
			rc = pacing_add_job(c, ASYNC_KIND_NUDGE, nudge_at);
		else if (rc)
			rc = soft(c, rc, ASYNC_KIND_NUDGE);
	}
	schedule_rules_free(&r);
	return rc;
}

/* ---- opening and closing sections ---- */

/* Appends the heading of a section opened at question q (its prompts end at end). */
static int put_heading(struct ctx *c, long q, long end, bool delayed, struct msg *m)
{
	const struct template *t = c->tpl;
	const struct section *sec = &t->sections[t->prompts[q].section];
	size_t from = flow_number(t, q), to = flow_number(t, flow_step(t, end, -1));
	int64_t next = 0;
	char local[48];
	int rc = pacing_next_due(c, ASYNC_KIND_OPEN, &next);

	if (rc)
		return rc;
	msg_bold(m, "Section %zu of %zu · %s", t->prompts[q].section + 1, t->n_sections,
		 sec->title);
	if (from == to)
		msg_text(m, "\nQuestion %zu is open", from);
	else
		msg_text(m, "\nQuestions %zu to %zu are open", from, to);
	if (flow_step(t, end - 1, 1) < 0) {
		msg_text(m, "; this is the last section.");
	} else if (next) {
		reminders_format_local(c->session.timezone, (time_t)next, local, sizeof local);
		msg_text(m, "; the next section opens %s.", local);
	} else {
		msg_text(m, ".");
	}
	if (delayed)
		msg_text(m, "%s", REMINDERS_DELAY_NOTE);
	return 0;
}

/* The post that heads a section opened at question q. */
static int post_heading(struct ctx *c, long q, long end, bool delayed)
{
	struct msg m;
	int rc;

	msg_init(&m);
	rc = put_heading(c, q, end, delayed, &m);
	if (rc) {
		msg_free(&m);
		return rc;
	}
	return post_to_session(c, &c->session, -1, &m);
}

/* The open section by direct message to user: its heading, each question in full, and
 * how to answer there. */
static int ask_direct(struct ctx *c, const char *user, bool delayed)
{
	const struct template *t = c->tpl;
	long first, end;
	struct msg m;
	int rc;

	section_of(t, c->session.prompt_index, &first, &end);
	msg_init(&m);
	rc = put_heading(c, c->session.prompt_index, end, delayed, &m);
	if (rc) {
		msg_free(&m);
		return rc;
	}
	msg_text(&m, " ");
	put_session(c, &m);
	for (long i = first; i < end; i++) {
		if (!flow_is_question(&t->prompts[i]))
			continue;
		msg_text(&m, "\n\n");
		flow_prompt_msg(t, i, &m);
	}
	msg_text(&m, "\n\n%s", PACING_ASYNC_DIRECT_HOW);
	return post_direct(c, user, &m);
}

struct asking {
	struct ctx *c;
	bool delayed;
};

static int ask_member(void *ud, const char *user_id, const char *display_name)
{
	struct asking *a = ud;
	bool direct;
	int rc = asked_by_direct(a->c, user_id, &direct);

	(void)display_name;
	return rc || !direct ? rc : ask_direct(a->c, user_id, a->delayed);
}

int pacing_async_ask(struct ctx *c, const char *user)
{
	bool direct;
	int rc;

	if (c->session.pace != PACE_ASYNC || c->session.state != SESSION_ACTIVE || !c->tpl)
		return 0;
	rc = asked_by_direct(c, user, &direct);
	return rc || !direct ? rc : ask_direct(c, user, false);
}

/* Opens the section of the first question at or after prompt from: the session moves to
 * that question, its jobs are rescheduled, and the heading and every prompt from `from`
 * to the section's end that is not open yet are posted (a question as its own question
 * post; an info prompt as a plain post, as nobody answers it). */
static int open_from(struct ctx *c, long from, bool delayed)
{
	const struct template *t = c->tpl;
	long q = flow_step(t, from - 1, 1), first, end;
	char state[16];
	struct msg m;
	int rc;

	section_of(t, q, &first, &end);
	c->session.prompt_index = q;
	rc = store_session_update(c->w->store, &c->session);
	if (!rc)
		rc = pacing_reschedule(c);
	if (!rc)
		rc = post_heading(c, q, end, delayed);
	for (long i = from; !rc && i < end; i++) {
		rc = store_prompt_state(c->w->store, c->session.id, i, state, sizeof state);
		if (rc || strcmp(state, "open") == 0)
			continue;
		rc = store_prompt_set_state(c->w->store, c->session.id, i, "open", c->now);
		if (rc)
			break;
		msg_init(&m);
		flow_prompt_msg(t, i, &m);
		rc = post_to_session(c, &c->session, flow_is_question(&t->prompts[i]) ? i : -1, &m);
	}
	if (!rc)
		rc = store_member_each(c->w->store, c->session.id, ask_member,
				       &(struct asking){ c, delayed });
	return rc;
}

int pacing_async_open(struct ctx *c, long index, bool delayed)
{
	long first, end;

	section_of(c->tpl, index, &first, &end);
	return open_from(c, first, delayed);
}

int pacing_async_close(struct ctx *c, const char *state)
{
	long first, end;
	char now_state[16];
	int rc = 0;

	section_of(c->tpl, c->session.prompt_index, &first, &end);
	for (long i = first; !rc && i < end; i++) {
		rc = store_prompt_state(c->w->store, c->session.id, i, now_state, sizeof now_state);
		if (!rc && strcmp(now_state, "open") == 0)
			rc = session_close_prompt(c, i, state);
	}
	return rc;
}

int pacing_async_step(struct ctx *c, int dir, const char *state)
{
	long first, end, q, from;
	int rc;

	section_of(c->tpl, c->session.prompt_index, &first, &end);
	from = end;
	q = dir > 0 ? flow_step(c->tpl, end - 1, 1) : flow_step(c->tpl, first, -1);
	if (q < 0 && dir > 0)
		return private_text(c, "This is the last section. !ws end closes the session; "
				       "!ws report shows the summary.");
	if (q < 0)
		return private_text(c, "This is the first section; there is nothing before it.");
	rc = pacing_async_close(c, state);
	if (rc)
		return rc;
	if (dir < 0)
		section_of(c->tpl, q, &from, &end);
	return open_from(c, from, false);
}

int pacing_async_describe(struct ctx *c, struct msg *m)
{
	const struct session_rec *s = &c->session;
	long first, end;
	int64_t due = 0;
	char local[48];
	int rc;

	msg_text(m, "\nPace: async daily %s %s", s->pace_time, s->timezone);
	if (s->state == SESSION_PAUSED) {
		msg_text(m, " (paused: !ws resume schedules the next section).");
		return 0;
	}
	rc = pacing_next_due(c, ASYNC_KIND_OPEN, &due);
	if (rc)
		return rc;
	section_of(c->tpl, s->prompt_index, &first, &end);
	if (flow_step(c->tpl, end - 1, 1) < 0) {
		msg_text(m, "; the last section is open.");
	} else if (due) {
		reminders_format_local(s->timezone, (time_t)due, local, sizeof local);
		msg_text(m, "; next section %s.", local);
	} else {
		msg_text(m, ".");
	}
	return 0;
}

/* ---- running a job ---- */

static int run_open(struct ctx *c, bool delayed)
{
	long first, end;
	struct msg m;
	int rc;

	section_of(c->tpl, c->session.prompt_index, &first, &end);
	if (flow_step(c->tpl, end - 1, 1) >= 0) {
		rc = pacing_async_close(c, "closed");
		return rc ? rc : open_from(c, end, delayed);
	}
	msg_init(&m);
	msg_text(&m, "Every section is open now. The facilitator can close the session with ");
	msg_code(&m, "!ws end");
	msg_text(&m, "; ");
	msg_code(&m, "!ws report");
	msg_text(&m, " shows the summary.%s", delayed ? REMINDERS_DELAY_NOTE : "");
	return post_to_session(c, &c->session, -1, &m);
}

static int run_nudge(struct ctx *c, bool delayed)
{
	const struct template *t = c->tpl;
	size_t sec = t->prompts[c->session.prompt_index].section;
	struct missing mi = { .c = c, .split = true, .delayed = delayed };
	int64_t due = 0;
	struct msg m;
	int rc = pacing_next_due(c, ASYNC_KIND_OPEN, &due);

	/* So late that the next section is due as well (the bot was offline): it opens
	 * instead. */
	if (rc || (due && due <= c->now))
		return rc;
	msg_init(&m);
	msg_text(&m, "A nudge for section %zu (%s): not answered yet:", sec + 1,
		 t->sections[sec].title);
	mi.m = &m;
	rc = missing_each(&mi);
	if (rc || !mi.listed) {
		msg_free(&m);
		return rc;
	}
	msg_text(&m, ". Reply in a question's thread (in the console: one line per answer, in "
		     "order).%s", delayed ? REMINDERS_DELAY_NOTE : "");
	return post_to_session(c, &c->session, -1, &m);
}

int pacing_async_run(struct workshop *w, const struct store_job *job, int64_t now)
{
	struct event ev;
	struct ctx c;
	bool delayed = now - job->due_at > REMINDERS_DELAY_NOTE_S;
	int rc = pacing_job_load(w, job, now, pacing_async_is_job(job->kind), PACE_ASYNC, &c, &ev);

	if (rc || !c.has_session)
		return rc;
	if (strcmp(job->kind, ASYNC_KIND_NUDGE) == 0)
		return run_nudge(&c, delayed);
	return run_open(&c, delayed);
}
