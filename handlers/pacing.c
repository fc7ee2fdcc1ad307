/* pacing.c - timed sessions (pacing.h): parsing a pace, scheduling the warn and advance
 * jobs of the open question, running them, and the `pace` command. */
#include "handlers/pacing.h"

#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/log.h"
#include "handlers/dates.h"
#include "handlers/flow.h"
#include "handlers/handler.h"
#include "handlers/pacing_async.h"
#include "handlers/reminders.h"
#include "handlers/text.h"

bool pacing_is_job(const char *kind)
{
	return kind && (strcmp(kind, PACING_KIND_WARN) == 0 ||
			strcmp(kind, PACING_KIND_ADVANCE) == 0);
}

void pacing_format_duration(long seconds, char *buf, size_t len)
{
	long h = seconds / 3600, m = seconds / 60 % 60, s = seconds % 60;
	size_t used = 0;

	buf[0] = '\0';
	if (h)
		used += (size_t)snprintf(buf + used, len - used, "%ldh", h);
	if (m && used < len)
		used += (size_t)snprintf(buf + used, len - used, "%ldm", m);
	if ((s || !used) && used < len)
		snprintf(buf + used, len - used, "%lds", s);
}

int pacing_parse(const char *spec, struct pace_spec *out, char *err, size_t errlen)
{
	const char *p = text_skip_space(spec);

	*out = (struct pace_spec){ .pace = PACE_LIVE };
	if (text_word_is(p, "live") && text_blank(p + 4))
		return 0;
	if (text_word_is(p, "async"))
		return pacing_async_parse(p + 5, out, err, errlen);
	if (!text_word_is(p, "timed"))
		return bot_fail(err, errlen, BOT_ERR_INVALID, "The pace is live, timed <duration> "
				"or async daily <HH:MM>");
	p = text_skip_space(p + 5);
	if (!*p)
		return bot_fail(err, errlen, BOT_ERR_INVALID, "A timed pace needs a duration, "
				"e.g. timed 10m");
	if (dates_parse_duration(p, &out->seconds, err, errlen) != 0)
		return BOT_ERR_INVALID;
	out->pace = PACE_TIMED;
	return 0;
}

/* ---- the jobs of the open question ---- */

int pacing_cancel(struct ctx *c, int64_t session_id)
{
	static const char *const kinds[] = { PACING_KIND_WARN, PACING_KIND_ADVANCE,
					     ASYNC_KIND_OPEN, ASYNC_KIND_NUDGE };

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		struct store_job_match m = { .kind = kinds[i], .session_id = session_id };
		int n = 0, rc = store_job_cancel_for(c->w->store, &m, c->now, &n);
		if (rc)
			return rc;
		if (n)
			c->w->jobs_changed = true;
	}
	return 0;
}

int pacing_add_job(struct ctx *c, const char *kind, int64_t due_at)
{
	char payload[48];
	struct store_job job = { .kind = kind, .due_at = due_at, .session_id = c->session.id,
				 .payload = payload };
	int rc;

	snprintf(payload, sizeof payload, "{\"prompt\":%ld}", c->session.prompt_index);
	rc = store_job_add(c->w->store, &job, c->now, NULL);
	if (!rc)
		c->w->jobs_changed = true;
	return rc;
}

int pacing_reschedule(struct ctx *c)
{
	const struct session_rec *s = &c->session;
	int rc = pacing_cancel(c, s->id);

	if (rc || s->state != SESSION_ACTIVE)
		return rc;
	if (s->pace == PACE_ASYNC)
		return pacing_async_schedule(c);
	if (s->pace != PACE_TIMED || s->pace_seconds <= 0)
		return 0;
	if (s->pace_seconds > PACING_WARN_MIN_S)
		rc = pacing_add_job(c, PACING_KIND_WARN,
				    c->now + s->pace_seconds - PACING_WARN_BEFORE_S);
	return rc ? rc : pacing_add_job(c, PACING_KIND_ADVANCE, c->now + s->pace_seconds);
}

struct due_of {
	const char *kind;
	int64_t due;
};

static int find_due(void *ud, const struct store_job *job)
{
	struct due_of *d = ud;

	if (job->kind && strcmp(job->kind, d->kind) == 0) {
		d->due = job->due_at;
		return 1;
	}
	return 0;
}

int pacing_next_due(struct ctx *c, const char *kind, int64_t *due)
{
	struct due_of d = { kind, 0 };
	int rc = store_job_each_pending(c->w->store, c->session.id, find_due, &d);

	*due = d.due;
	return rc == 1 ? 0 : rc;
}

int pacing_describe(struct ctx *c, struct msg *m)
{
	const struct session_rec *s = &c->session;
	char dur[32], local[48];
	int64_t due = 0;
	int rc;

	if (s->pace == PACE_ASYNC)
		return pacing_async_describe(c, m);
	if (s->pace != PACE_TIMED) {
		msg_text(m, "\nPace: live (the facilitator moves on with !ws next).");
		return 0;
	}
	pacing_format_duration(s->pace_seconds, dur, sizeof dur);
	msg_text(m, "\nPace: timed, %s per question", dur);
	rc = pacing_next_due(c, PACING_KIND_ADVANCE, &due);
	if (rc)
		return rc;
	if (s->state == SESSION_PAUSED) {
		msg_text(m, " (paused: !ws resume gives the question a fresh %s).", dur);
	} else if (due) {
		reminders_format_local(s->timezone, (time_t)due, local, sizeof local);
		msg_text(m, "; question %zu closes at %s (%s).",
			 flow_number(c->tpl, s->prompt_index), local, s->timezone);
	} else {
		msg_text(m, "; the time is up on the last question.");
	}
	return 0;
}

/* ---- the pace command ---- */

#define PACE_USAGE "Usage: !ws pace live|timed <duration>|async daily <HH:MM>, e.g. !ws pace " \
	"timed 10m"

int cmd_pace(struct ctx *c, const char *args)
{
	char err[BOT_ERRMSG_MAX], dur[32];
	bool was_async = c->session.pace == PACE_ASYNC;
	struct pace_spec ps;
	struct msg m;
	int rc;

	if (!require_session(c) || !require_facilitator(c, "change the pace of"))
		return 0;
	if (pacing_parse(args, &ps, err, sizeof err) != 0)
		return private_text(c, "%s. " PACE_USAGE, err);
	c->session.pace = ps.pace;
	c->session.pace_seconds = ps.seconds;
	snprintf(c->session.pace_time, sizeof c->session.pace_time, "%s", ps.time);
	rc = store_session_update(c->w->store, &c->session);
	/* A session that turns async gets the rest of its open section posted now. */
	if (!rc && ps.pace == PACE_ASYNC && !was_async && c->session.state == SESSION_ACTIVE)
		rc = pacing_async_open(c, c->session.prompt_index, false);
	else if (!rc)
		rc = pacing_reschedule(c);
	if (rc)
		return rc;
	msg_init(&m);
	if (ps.pace == PACE_ASYNC) {
		msg_text(&m, "Pace changed.");
		rc = pacing_async_describe(c, &m);
		if (rc) {
			msg_free(&m);
			return rc;
		}
		return reply(c, &m);
	}
	if (ps.pace == PACE_LIVE) {
		msg_text(&m, "Pace: live. The facilitator moves on with ");
		msg_code(&m, "!ws next");
		msg_text(&m, ".");
		return reply(c, &m);
	}
	pacing_format_duration(ps.seconds, dur, sizeof dur);
	msg_text(&m, "Pace: timed, %s per question.", dur);
	if (c->session.state == SESSION_PAUSED)
		msg_text(&m, " The session is paused; the clock starts on !ws resume.");
	else
		msg_text(&m, " Question %zu stays open for %s from now, then I move on.",
			 flow_number(c->tpl, c->session.prompt_index), dur);
	return reply(c, &m);
}

/* ---- running a job ---- */

static int run_warn(struct ctx *c, const struct store_job *job, int64_t now)
{
	struct msg m;

	/* So late that the question's time is up as well (the bot was offline): the advance
	 * says enough. */
	if (now >= job->due_at + PACING_WARN_BEFORE_S)
		return 0;
	msg_init(&m);
	msg_text(&m, "One minute left on question %zu.",
		 flow_number(c->tpl, c->session.prompt_index));
	return post_to_session(c, &c->session, -1, &m);
}

static int run_advance(struct ctx *c)
{
	struct msg m;
	size_t n = flow_number(c->tpl, c->session.prompt_index);

	if (flow_step(c->tpl, c->session.prompt_index, 1) >= 0)
		return session_advance(c, "closed");
	msg_init(&m);
	msg_text(&m, "Time is up on question %zu, the last one. The facilitator can close the "
		     "session with ", n);
	msg_code(&m, "!ws end");
	msg_text(&m, "; ");
	msg_code(&m, "!ws report");
	msg_text(&m, " shows the summary.");
	return post_to_session(c, &c->session, -1, &m);
}

int pacing_job_load(struct workshop *w, const struct store_job *job, int64_t now,
		    bool known, enum session_pace pace, struct ctx *c, struct event *ev)
{
	long prompt = -1;
	int rc;

	*c = (struct ctx){ .w = w, .now = now };
	if (!known || !job->session_id || !job->payload ||
	    sscanf(job->payload, "{\"prompt\":%ld}", &prompt) != 1) {
		log_warn("pacing", "job %lld (%s) is not a pacing job this bot knows; dropped",
			 (long long)job->id, job->kind ? job->kind : "?");
		return 0;
	}
	rc = store_session_get(w->store, job->session_id, &c->session);
	if (rc == BOT_ERR_NOT_FOUND) {
		log_warn("pacing", "job %lld: session %lld is gone; dropped", (long long)job->id,
			 (long long)job->session_id);
		return 0;
	}
	if (rc)
		return rc;
	if (c->session.state != SESSION_ACTIVE || c->session.pace != pace ||
	    c->session.prompt_index != prompt) {
		log_debug("pacing", "job %lld (%s) of session %lld is stale; nothing to do",
			  (long long)job->id, job->kind, (long long)job->session_id);
		return 0;
	}
	c->tpl = template_set_find(w->templates, c->session.template_id);
	if (!c->tpl) {
		log_warn("pacing", "job %lld: session %lld's template '%s' is gone; dropped",
			 (long long)job->id, (long long)c->session.id, c->session.template_id);
		return 0;
	}
	/* Handlers post through a context; a job has no event, so it gets the session's
	 * channel as one. */
	*ev = (struct event){ .kind = EVENT_MESSAGE, .transport = c->session.transport,
			      .channel = c->session.channel, .user = "workshopbot", .text = "" };
	c->ev = ev;
	c->has_session = true;
	snprintf(c->author, sizeof c->author, "workshopbot");
	return 0;
}

int pacing_run(struct workshop *w, const struct store_job *job, int64_t now)
{
	struct event ev;
	struct ctx c;
	int rc;

	rc = pacing_job_load(w, job, now, pacing_is_job(job->kind), PACE_TIMED, &c, &ev);
	if (rc || !c.has_session)
		return rc;
	if (strcmp(job->kind, PACING_KIND_WARN) == 0)
		return run_warn(&c, job, now);
	return run_advance(&c);
}
