/* reminders.c - the reminder chain of each open action item (reminders.h): scheduling it
 * on every change of the item, running its due jobs, and snooze. */
#include "handlers/reminders.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/log.h"
#include "bot/store_actions.h"
#include "bot/store_outbox.h"
#include "bot/tz.h"
#include "handlers/dates.h"
#include "handlers/handler.h"
#include "handlers/schedule_time.h"
#include "handlers/text.h"

#define KIND_BEFORE "reminder_before"
#define KIND_DUE "reminder_due"
#define KIND_OVERDUE "reminder_overdue"
#define KIND_ESCALATE "escalate"

/* The kinds in the order an item goes through them. */
enum stage { STAGE_NONE = -1, STAGE_BEFORE, STAGE_DUE, STAGE_OVERDUE, STAGE_ESCALATE };

static enum stage stage_of(const char *kind)
{
	static const char *const kinds[] = { KIND_BEFORE, KIND_DUE, KIND_OVERDUE, KIND_ESCALATE };

	for (size_t i = 0; kind && i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(kind, kinds[i]) == 0)
			return (enum stage)i;
	}
	return STAGE_NONE;
}

static bool same_user(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Whom an item's reminders name: its owner, else whoever added it. */
static const char *recipient(const struct action_rec *a)
{
	return a->owner && a->owner[0] ? a->owner : a->created_by;
}

/* ---- local days and times ---- */

static const char *const weekday_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* "Thu 2026-12-10" for a day number (dates.h). */
static void format_day(long day, char *buf, size_t len)
{
	struct civil_date d = dates_from_days(day);

	snprintf(buf, len, "%s %04d-%02d-%02d", weekday_names[dates_weekday(day)], d.year, d.month,
		 d.day);
}

void reminders_format_local(const char *tz, time_t t, char *buf, size_t len)
{
	struct tm tm;
	bool utc = !tz || tz_localtime(tz, t, &tm) != 0;
	struct civil_date d;

	if (utc)
		gmtime_r(&t, &tm);
	d = (struct civil_date){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday };
	snprintf(buf, len, "%s %04d-%02d-%02d %02d:%02d%s", weekday_names[dates_weekday(dates_to_days(&d))],
		 d.year, d.month, d.day, tm.tm_hour, tm.tm_min, utc ? " UTC" : "");
}

/* The local day number (dates.h) of instant t in tz; 0 for an unknown zone. */
static long local_day(const char *tz, time_t t)
{
	struct civil_date d;

	return dates_today(t, tz, &d) == 0 ? dates_to_days(&d) : 0;
}

/* The [followup] rules for one session's zone at one instant. */
struct rules {
	struct schedule_rules r;       /* owns its closures */
	const char *tz;                /* borrowed: the session's */
	int morning;                   /* due_morning, minutes after midnight */
	long every;                    /* overdue_every_days */
	long max;                      /* overdue_max */
	long before;                   /* remind_days_before */
	long today;                    /* the local day number of now */
};

/* Returns 0, BOT_ERR_NOMEM, or BOT_ERR_INVALID for a zone that is not known. */
static int rules_init(struct rules *ru, const struct config *cfg, const char *tz, int64_t now)
{
	struct civil_date today;

	memset(ru, 0, sizeof *ru);
	ru->tz = tz;
	ru->morning = (int)cfg->followup_due_morning;
	ru->every = cfg->followup_overdue_every_days;
	ru->max = cfg->followup_overdue_max;
	ru->before = cfg->followup_remind_days_before;
	if (dates_today((time_t)now, tz, &today) != 0)
		return BOT_ERR_INVALID;
	ru->today = dates_to_days(&today);
	return schedule_rules_from_config(cfg, &ru->r);
}

static void rules_free(struct rules *ru)
{
	schedule_rules_free(&ru->r);
}

/* due_morning on local day `day`, moved to the next allowed minute. Returns 0, or
 * BOT_ERR_NOT_FOUND / BOT_ERR_INVALID from schedule_time.h. */
static int morning_of(const struct rules *ru, long day, time_t *out)
{
	time_t t;
	int rc = schedule_local_at(ru->tz, dates_from_days(day), ru->morning, &t);

	return rc ? rc : schedule_next_allowed(ru->tz, t, &ru->r, out);
}

int reminders_morning_after(const struct config *cfg, const char *tz, int64_t from,
			    long days, time_t *out)
{
	struct rules ru;
	int rc = rules_init(&ru, cfg, tz, from);

	if (!rc)
		rc = morning_of(&ru, ru.today + days, out);
	rules_free(&ru);
	return rc;
}

/* ---- the pending jobs of a session, copied out of the query ---- */

struct pending_job {
	int64_t id;
	char kind[STORE_JOB_KIND_MAX + 1];
	int64_t due_at;
	int64_t action_id;
	char *user_id;
	int n;                   /* reminder_overdue: which one (payload {"n":N}) */
};

struct pending_list {
	struct pending_job *v;
	size_t n, cap;
	int64_t action_id;       /* only this item's jobs; 0: every job */
};

static void pending_free(struct pending_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].user_id);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static int take_pending(void *ud, const struct store_job *job)
{
	struct pending_list *l = ud;
	struct pending_job *p;

	if (l->action_id && job->action_id != l->action_id)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct pending_job *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return BOT_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	p = &l->v[l->n];
	memset(p, 0, sizeof *p);
	p->id = job->id;
	snprintf(p->kind, sizeof p->kind, "%s", job->kind ? job->kind : "");
	p->due_at = job->due_at;
	p->action_id = job->action_id;
	if (job->user_id && !(p->user_id = strdup(job->user_id)))
		return BOT_ERR_NOMEM;
	if (!job->payload || sscanf(job->payload, "{\"n\":%d}", &p->n) != 1)
		p->n = 0;
	l->n++;
	return 0;
}

/* The pending jobs of a session (of one item when action_id is not 0), soonest first. */
static int pending_load(struct store *st, int64_t session_id, int64_t action_id,
			struct pending_list *l)
{
	int result;

	memset(l, 0, sizeof *l);
	l->action_id = action_id;
	result = store_job_each_pending(st, session_id, take_pending, l);
	if (result)
		pending_free(l);
	return result;
}

/* ---- adding and cancelling jobs ---- */

/* A job that cannot be placed (no allowed time within a year, an unknown zone, a
 * user id too long to store) is left out with a warning; only database errors fail. */
static int soft(int rc, const char *what, int64_t action_id)
{
	if (rc == BOT_ERR_NOT_FOUND || rc == BOT_ERR_INVALID) {
		log_warn("reminders", "action item %lld: no %s reminder: %s", (long long)action_id,
			 what, rc == BOT_ERR_NOT_FOUND ? "the [followup] rules allow no time within "
							 "a year" : "a bad zone or user id");
		return 0;
	}
	return rc;
}

static int add_job(struct workshop *w, const char *kind, time_t at, int64_t session_id,
		   int64_t action_id, const char *user, int n, int64_t now)
{
	char payload[32];
	struct store_job job = { .kind = kind, .due_at = (int64_t)at, .session_id = session_id,
				 .action_id = action_id, .user_id = user,
				 .payload = n ? payload : NULL };
	int rc;

	snprintf(payload, sizeof payload, "{\"n\":%d}", n);
	rc = store_job_add(w->store, &job, now, NULL);
	if (!rc)
		w->jobs_changed = true;
	return soft(rc, kind, action_id);
}

/* Cancels the pending jobs of an item whose kind matches (an exact kind or a prefix*). */
static int cancel_kind(struct workshop *w, int64_t action_id, const char *kind, int64_t now)
{
	struct store_job_match m = { .kind = kind, .action_id = action_id };
	int n = 0;
	int rc = store_job_cancel_for(w->store, &m, now, &n);

	if (!rc && n)
		w->jobs_changed = true;
	return rc;
}

static int cancel_all(struct workshop *w, int64_t action_id, int64_t now)
{
	int rc = cancel_kind(w, action_id, "reminder_*", now);

	return rc ? rc : cancel_kind(w, action_id, KIND_ESCALATE, now);
}

/* The job after a due-day reminder (done_n 0) or overdue reminder done_n, counted from
 * today: the next overdue reminder, or after the last one the escalation. */
static int add_next(struct workshop *w, const struct rules *ru, const struct session_rec *s,
		    const struct action_rec *a, long done_n, int64_t now)
{
	time_t at;
	int rc = cancel_kind(w, a->id, KIND_OVERDUE, now);

	if (!rc)
		rc = cancel_kind(w, a->id, KIND_ESCALATE, now);
	if (rc)
		return rc;
	rc = morning_of(ru, ru->today + ru->every, &at);
	if (rc)
		return soft(rc, done_n < ru->max ? KIND_OVERDUE : KIND_ESCALATE, a->id);
	if (done_n < ru->max)
		return add_job(w, KIND_OVERDUE, at, s->id, a->id, recipient(a), (int)done_n + 1, now);
	return add_job(w, KIND_ESCALATE, at, s->id, a->id, s->facilitator, 0, now);
}

int reminders_reschedule(struct ctx *c, const struct action_rec *a)
{
	struct workshop *w = c->w;
	struct session_rec s;
	struct civil_date d;
	struct rules ru;
	time_t due_at, at;
	long day;
	int rc = cancel_all(w, a->id, c->now);

	if (rc || a->status != ACTION_OPEN || !a->due_date || dates_parse_iso(a->due_date, &d) != 0)
		return rc;
	rc = store_session_get(w->store, a->session_id, &s);
	if (rc)
		return rc;
	rc = rules_init(&ru, w->cfg, s.timezone, c->now);
	if (rc) {
		rules_free(&ru);
		return soft(rc, "any", a->id);
	}
	day = dates_to_days(&d);
	rc = morning_of(&ru, day, &due_at);
	if (!rc && due_at > c->now) {
		/* The early reminder only on a day before the due-day one's (a Saturday one
		 * moved to the Monday of a Monday due date would come an hour before it). */
		if (ru.before > 0 && morning_of(&ru, day - ru.before, &at) == 0 && at > c->now &&
		    local_day(ru.tz, at) < local_day(ru.tz, due_at))
			rc = add_job(w, KIND_BEFORE, at, s.id, a->id, recipient(a), 0, c->now);
		if (!rc)
			rc = add_job(w, KIND_DUE, due_at, s.id, a->id, recipient(a), 0, c->now);
	} else if (!rc) {
		/* Already past its due-day reminder: the first overdue one follows. */
		rc = morning_of(&ru, day + ru.every, &at);
		if (!rc && at <= c->now)
			rc = morning_of(&ru, ru.today + ru.every, &at);
		if (!rc && ru.max > 0)
			rc = add_job(w, KIND_OVERDUE, at, s.id, a->id, recipient(a), 1, c->now);
		else if (!rc)
			rc = add_job(w, KIND_ESCALATE, at, s.id, a->id, s.facilitator, 0, c->now);
	}
	rules_free(&ru);
	return soft(rc, "any", a->id);
}

/* ---- running a job ---- */

/* One item in a reminder message. */
struct line {
	struct action_rec a;
	int n;                     /* reminder_overdue: which one */
};

/* "due in 2 days, on Thu 2026-12-10", "was due yesterday, Wed 2026-12-09" ... */
static void due_phrase(struct msg *m, long due_day, long today)
{
	char date[24];
	long delta = due_day - today;

	format_day(due_day, date, sizeof date);
	if (delta > 1)
		msg_text(m, "due in %ld days, on %s", delta, date);
	else if (delta == 1)
		msg_text(m, "due tomorrow, %s", date);
	else if (delta == 0)
		msg_text(m, "due today, %s", date);
	else if (delta == -1)
		msg_text(m, "was due yesterday, %s", date);
	else
		msg_text(m, "was due %ld days ago, on %s", -delta, date);
}

/* "@name": a console name or a Slack id gets an "@"; a Matrix id (@bob:example.org)
 * already has one (as in actions.c). */
static void at_name(struct msg *m, const char *name)
{
	if (name[0] != '@')
		msg_text(m, "@");
	msg_user(m, name);
}

static void item_line(struct ctx *c, struct msg *m, const struct rules *ru, enum stage st,
		      const struct line *l)
{
	struct civil_date d;
	char name[128];

	msg_bold(m, "#%lld", (long long)l->a.id);
	msg_text(m, " ");
	msg_user(m, l->a.text);
	msg_text(m, " — ");
	if (st == STAGE_ESCALATE) {
		member_name(c, l->a.session_id, recipient(&l->a), name, sizeof name);
		msg_text(m, "owner ");
		at_name(m, name);
		msg_text(m, ", ");
	}
	if (l->a.due_date && dates_parse_iso(l->a.due_date, &d) == 0)
		due_phrase(m, dates_to_days(&d), ru->today);
	if (st == STAGE_OVERDUE)
		msg_text(m, " (overdue reminder %d of %ld)", l->n, ru->max);
}

/* The first words of a message for user (name: their display name), mentioning them:
 * in a channel the chat notifies them. */
static void header(struct msg *m, enum stage st, const char *user, const char *name)
{
	if (st == STAGE_ESCALATE) {
		msg_text(m, "For ");
		msg_mention(m, user, name);
		msg_text(m, ", the facilitator: ");
		return;
	}
	msg_text(m, st == STAGE_OVERDUE ? "Overdue reminder for " : "Reminder for ");
	msg_mention(m, user, name);
	msg_text(m, ": ");
}

/* "2 action items are due:" and the like, before a list. */
static void list_intro(struct msg *m, enum stage st, size_t n, long max)
{
	switch (st) {
	case STAGE_BEFORE:
		msg_text(m, "%zu action items are coming up:", n);
		break;
	case STAGE_DUE:
		msg_text(m, "%zu action items are due:", n);
		break;
	case STAGE_OVERDUE:
		msg_text(m, "%zu action items are overdue:", n);
		break;
	default:
		msg_text(m, "%zu action items are still open after %ld overdue reminder%s:", n, max,
			 max == 1 ? "" : "s");
		break;
	}
}

/* What to do next: done, or snooze (before the due date) or a new date (overdue). */
static void footer(struct msg *m, enum stage st, size_t n, int64_t id)
{
	char id_text[32];

	if (st == STAGE_ESCALATE)
		return;
	if (n == 1)
		snprintf(id_text, sizeof id_text, "%lld", (long long)id);
	else
		snprintf(id_text, sizeof id_text, "<id>");
	msg_text(m, n == 1 ? " When it is done: " : "\nWhen one is done: ");
	msg_code(m, "!ws done %s", id_text);
	msg_text(m, "; later: ");
	if (st == STAGE_OVERDUE)
		msg_code(m, "!ws due %s <date>", id_text);
	else
		msg_code(m, "!ws snooze %s 2d", id_text);
	msg_text(m, ".");
}

/* Queues the one message for the lines of a job of stage st for user. */
static int post_lines(struct ctx *c, const struct session_rec *s, const struct rules *ru,
		      enum stage st, const char *user, const struct line *lines, size_t n,
		      bool delayed)
{
	char name[128];
	struct msg m;
	bool direct;
	int64_t id;
	int rc;

	member_name(c, s->id, user, name, sizeof name);
	msg_init(&m);
	header(&m, st, user, name);
	if (n == 1) {
		item_line(c, &m, ru, st, &lines[0]);
		if (st == STAGE_ESCALATE)
			msg_text(&m, " — is still open after %ld overdue reminder%s.", ru->max,
				 ru->max == 1 ? "" : "s");
		else
			msg_text(&m, ".");
	} else {
		list_intro(&m, st, n, ru->max);
		for (size_t i = 0; i < n; i++) {
			msg_text(&m, "\n  ");
			item_line(c, &m, ru, st, &lines[i]);
		}
	}
	footer(&m, st, n, lines[0].a.id);
	if (delayed)
		msg_text(&m, "%s", REMINDERS_DELAY_NOTE);
	rc = reminders_by_direct(c->w, s->transport, user, &direct);
	if (rc) {
		msg_free(&m);
		return rc;
	}
	rc = direct ? post_direct(c, user, &m) : post_to_session(c, s, -1, &m);
	/* What the message lists, so a ✅ on it can close the item (direct_reaction). */
	id = store_last_id(c->w->store);
	for (size_t i = 0; !rc && i < n; i++)
		rc = store_outbox_add_action(c->w->store, id, lines[i].a.id);
	return rc;
}

/* True if the item has a pending job of a later stage than st that is also due: a
 * reminder_before missed while the bot was offline, whose due-day reminder was too. */
static bool overtaken(const struct pending_list *l, int64_t action_id, enum stage st,
		      int64_t now)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].action_id == action_id && stage_of(l->v[i].kind) > st &&
		    l->v[i].due_at <= now)
			return true;
	}
	return false;
}

/* Adds the item of one job of the group to lines (when it is still open), and the next
 * job of its chain. */
static int take_item(struct ctx *c, const struct session_rec *s, const struct rules *ru,
		     enum stage st, const struct pending_list *pending, int64_t job_id,
		     int64_t action_id, int n, struct line *lines, size_t *n_lines)
{
	struct action_rec a;
	int rc = store_action_get(c->w->store, action_id, &a);

	if (rc == BOT_ERR_NOT_FOUND)
		return store_job_mark_unsent(c->w->store, job_id) == BOT_ERR_DB ? BOT_ERR_DB : 0;
	if (rc)
		return rc;
	if (a.status != ACTION_OPEN || !a.due_date || a.session_id != s->id ||
	    (st == STAGE_BEFORE && overtaken(pending, action_id, st, c->now))) {
		action_rec_clear(&a);
		return store_job_mark_unsent(c->w->store, job_id) == BOT_ERR_DB ? BOT_ERR_DB : 0;
	}
	if (st == STAGE_DUE || st == STAGE_OVERDUE) {
		rc = add_next(c->w, ru, s, &a, st == STAGE_DUE ? 0 : n, c->now);
		if (rc) {
			action_rec_clear(&a);
			return rc;
		}
	}
	lines[*n_lines].a = a;
	lines[*n_lines].n = n;
	(*n_lines)++;
	return 0;
}

/* The job and every other pending job of its kind for its user in its session that is
 * due by now: marked done together, listed in one message. */
static int run_group(struct ctx *c, const struct session_rec *s, const struct rules *ru,
		     const struct store_job *job, int64_t now)
{
	enum stage st = stage_of(job->kind);
	struct pending_list pending;
	struct line *lines = NULL;
	size_t n_lines = 0;
	int64_t earliest = INT64_MAX;
	int n = 0, rc = pending_load(c->w->store, s->id, 0, &pending);

	if (rc)
		return rc;
	lines = calloc(pending.n + 1, sizeof *lines);
	if (!lines) {
		pending_free(&pending);
		return BOT_ERR_NOMEM;
	}
	if (job->payload && sscanf(job->payload, "{\"n\":%d}", &n) != 1)
		n = 0;
	rc = take_item(c, s, ru, st, &pending, job->id, job->action_id, n, lines, &n_lines);
	if (n_lines)
		earliest = job->due_at;
	for (size_t i = 0; !rc && i < pending.n; i++) {
		const struct pending_job *p = &pending.v[i];
		if (strcmp(p->kind, job->kind) != 0 || !same_user(p->user_id, job->user_id) ||
		    p->due_at > now)
			continue;
		rc = store_job_mark_done(c->w->store, p->id, now);
		if (rc == BOT_ERR_NOT_FOUND) {
			rc = 0;
			continue;
		}
		if (!rc) {
			size_t before = n_lines;
			rc = take_item(c, s, ru, st, &pending, p->id, p->action_id, p->n, lines,
				       &n_lines);
			if (n_lines > before && p->due_at < earliest)
				earliest = p->due_at;
		}
	}
	if (!rc && n_lines)
		rc = post_lines(c, s, ru, st, job->user_id, lines, n_lines,
				now - earliest > REMINDERS_DELAY_NOTE_S);
	for (size_t i = 0; i < n_lines; i++)
		action_rec_clear(&lines[i].a);
	free(lines);
	pending_free(&pending);
	return rc;
}

int reminders_run(struct workshop *w, const struct store_job *job, int64_t now)
{
	struct session_rec s;
	struct event ev;
	struct ctx c;
	struct rules ru;
	int rc;

	if (stage_of(job->kind) == STAGE_NONE || !job->session_id || !job->action_id ||
	    !job->user_id) {
		log_warn("reminders", "job %lld (%s) is not a reminder this bot knows; dropped",
			 (long long)job->id, job->kind ? job->kind : "?");
		return 0;
	}
	rc = store_session_get(w->store, job->session_id, &s);
	if (rc == BOT_ERR_NOT_FOUND) {
		log_warn("reminders", "job %lld: session %lld is gone; dropped", (long long)job->id,
			 (long long)job->session_id);
		return 0;
	}
	if (rc)
		return rc;
	rc = rules_init(&ru, w->cfg, s.timezone, now);
	if (rc == BOT_ERR_INVALID) {
		log_warn("reminders", "job %lld: session %lld has an unknown time zone '%s'; dropped",
			 (long long)job->id, (long long)s.id, s.timezone);
		rc = 0;
	} else if (!rc) {
		/* Handlers post through a context; a job has no event, so it gets the session's
		 * channel as one. */
		ev = (struct event){ .kind = EVENT_MESSAGE, .transport = s.transport,
				     .channel = s.channel, .user = "workshopbot", .text = "" };
		c = (struct ctx){ .w = w, .ev = &ev, .now = now };
		rc = run_group(&c, &s, &ru, job, now);
	}
	rules_free(&ru);
	return rc;
}

/* ---- snooze ---- */

/* When "when" (a duration or a date) ends, as the next allowed instant, into *at. Returns
 * 0, or BOT_ERR_INVALID with the reason in err. */
static int snooze_until(struct ctx *c, const struct rules *ru, const char *when, time_t *at,
			char *err, size_t errlen)
{
	char derr[BOT_ERRMSG_MAX];
	struct civil_date d;
	long seconds;
	const char *p = text_skip_space(when);
	bool numeric = *p >= '0' && *p <= '9' && !strchr(p, '-');

	if (dates_parse_duration(when, &seconds, derr, sizeof derr) == 0) {
		int rc = schedule_next_allowed(ru->tz, (time_t)c->now + seconds, &ru->r, at);
		return rc ? bot_fail(err, errlen, BOT_ERR_INVALID, "No reminder time is allowed "
				     "within a year of that") : 0;
	}
	if (dates_parse(when, (time_t)c->now, ru->tz, &d, err, errlen) != 0) {
		if (numeric)
			snprintf(err, errlen, "%s", derr);
		return BOT_ERR_INVALID;
	}
	if (morning_of(ru, dates_to_days(&d), at) != 0)
		return bot_fail(err, errlen, BOT_ERR_INVALID, "No reminder time is allowed "
				"within a year of that date");
	return 0;
}

int reminders_snooze(struct ctx *c, const struct action_rec *a, const char *when)
{
	char err[BOT_ERRMSG_MAX], local[32];
	struct pending_list pending;
	const struct pending_job *last = NULL;
	struct session_rec s;
	struct rules ru;
	struct msg m;
	time_t at;
	int rc;

	if (a->status != ACTION_OPEN)
		return private_text(c, "Action item #%lld is done, so it has no reminders.",
				    (long long)a->id);
	rc = store_session_get(c->w->store, a->session_id, &s);
	if (rc)
		return rc;
	rc = rules_init(&ru, c->w->cfg, s.timezone, c->now);
	if (rc) {
		rules_free(&ru);
		return rc == BOT_ERR_INVALID
			? private_text(c, "Session #%lld has an unknown time zone.", (long long)s.id)
			: rc;
	}
	rc = snooze_until(c, &ru, when, &at, err, sizeof err);
	rules_free(&ru);
	if (rc)
		return private_text(c, "%s. Usage: !ws snooze <id> <duration|date>, e.g. 2d, 1w, "
				       "friday", err);
	reminders_format_local(s.timezone, at, local, sizeof local);
	if (at <= c->now)
		return private_text(c, "%s has passed; give a later date, or a duration such as 2d.",
				    local);
	rc = pending_load(c->w->store, s.id, a->id, &pending);
	if (rc)
		return rc;
	if (pending.n == 0) {
		pending_free(&pending);
		return private_text(c, "Action item #%lld has no reminder pending%s.", (long long)a->id,
				    a->due_date ? "" : "; it has no due date (set one with !ws due <id> "
						       "<date>)");
	}
	if (pending.v[0].due_at >= at) {
		char next[32];
		reminders_format_local(s.timezone, (time_t)pending.v[0].due_at, next, sizeof next);
		pending_free(&pending);
		return private_text(c, "The next reminder for #%lld is already later, on %s (%s); "
				       "nothing changed.", (long long)a->id, next, s.timezone);
	}
	/* Every reminder up to the new time gives way to one at that time: the latest of
	 * them, so a snooze past the due date keeps the due-day reminder, not the early one. */
	for (size_t i = 0; i < pending.n && pending.v[i].due_at <= at; i++)
		last = &pending.v[i];
	{
		struct store_job_match match = { .action_id = a->id, .due_by = (int64_t)at };
		rc = store_job_cancel_for(c->w->store, &match, c->now, NULL);
	}
	if (!rc)
		rc = add_job(c->w, last->kind, at, s.id, a->id, last->user_id, last->n, c->now);
	pending_free(&pending);
	if (rc)
		return rc;
	msg_init(&m);
	msg_text(&m, "Snoozed ");
	msg_bold(&m, "#%lld", (long long)a->id);
	msg_text(&m, " ");
	msg_user(&m, a->text);
	msg_text(&m, ": the next reminder is on %s (%s).", local, s.timezone);
	return reply(c, &m);
}
