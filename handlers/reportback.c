/* reportback.c - report-back prompts (reportback.h): scheduled when a session ends, each
 * posted once, answered as report entries with numbers. */
#include "handlers/reportback.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bot/err.h"
#include "bot/log.h"
#include "bot/store_reports.h"
#include "handlers/commands.h"
#include "handlers/handler.h"
#include "handlers/reminders.h"
#include "handlers/text.h"

bool reportback_is_job(const char *kind)
{
	return kind && strcmp(kind, REPORTBACK_KIND) == 0;
}

int reportback_schedule(struct ctx *c, const struct session_rec *s)
{
	/* Ending again replaces the pending jobs; a prompt already posted stays posted. */
	struct store_job_match m = { .kind = REPORTBACK_KIND, .session_id = s->id };
	int rc;

	if (!c->tpl || !c->tpl->n_followups)
		return 0;
	rc = store_job_cancel_for(c->w->store, &m, c->now, NULL);
	for (size_t i = 0; !rc && i < c->tpl->n_followups; i++) {
		const struct followup *f = &c->tpl->followups[i];
		char payload[STORE_FOLLOWUP_ID_MAX + 32];
		struct store_job job = { .kind = REPORTBACK_KIND, .session_id = s->id,
					 .payload = payload };
		time_t at;

		rc = reminders_morning_after(c->w->cfg, s->timezone, s->ended_at, f->after_days,
					     &at);
		if (rc == BOT_ERR_INVALID || rc == BOT_ERR_NOT_FOUND) {
			log_warn("reportback", "session %lld: follow-up %s not scheduled: %s",
				 (long long)s->id, f->id, rc == BOT_ERR_INVALID ? "unknown time zone"
				 : "the [followup] rules allow no time within a year");
			rc = 0;
			continue;
		}
		if (rc)
			break;
		/* the id is [a-z0-9-] (template.h): nothing to escape */
		snprintf(payload, sizeof payload, "{\"followup\":\"%s\"}", f->id);
		job.due_at = (int64_t)at;
		rc = store_job_add(c->w->store, &job, c->now, NULL);
		c->w->jobs_changed = true;
	}
	return rc;
}

/* ---- posting a prompt ---- */

/* The follow-up id of a job's payload into buf. Returns 0 or -1. */
static int payload_followup(const char *payload, char *buf, size_t len)
{
	json_t *v = payload ? json_loads(payload, 0, NULL) : NULL;
	const char *id = json_string_value(json_object_get(v, "followup"));
	int rc = id && strlen(id) < len ? 0 : -1;

	if (!rc)
		snprintf(buf, len, "%s", id);
	json_decref(v);
	return rc;
}

static void compose_prompt(struct msg *m, const struct session_rec *s, const struct followup *f,
			   bool delayed)
{
	msg_bold(m, "Report-back, %ld days after session #%lld: %s", f->after_days,
		 (long long)s->id, f->title);
	msg_text(m, "\n%s", f->text);
	if (f->n_outcomes) {
		msg_text(m, "\nNumbers we add up:");
		for (size_t i = 0; i < f->n_outcomes; i++)
			msg_text(m, "%s %s", i ? "," : "", f->outcomes[i].label);
		msg_text(m, " — e.g. ");
		msg_code(m, "%s: 40", f->outcomes[0].label);
		msg_text(m, ".");
	}
	msg_text(m, "\nAnswer in this thread or with ");
	msg_code(m, "!ws reportback <text>");
	msg_text(m, " (add ");
	msg_code(m, "#<id>");
	msg_text(m, " to link an action item); one message per entry, as many as you like.");
	if (delayed)
		msg_text(m, "%s", REMINDERS_DELAY_NOTE);
}

int reportback_run(struct workshop *w, const struct store_job *job, int64_t now)
{
	char fid[STORE_FOLLOWUP_ID_MAX + 1];
	const struct followup *f;
	struct followup_rec posted;
	struct session_rec s;
	struct event ev;
	struct ctx c;
	struct msg m;
	int rc;

	if (!job->session_id || payload_followup(job->payload, fid, sizeof fid) != 0) {
		log_warn("reportback", "job %lld has no session or follow-up; dropped",
			 (long long)job->id);
		return 0;
	}
	rc = store_session_get(w->store, job->session_id, &s);
	if (rc)
		return rc == BOT_ERR_NOT_FOUND ? 0 : rc;
	f = template_followup(template_set_find(w->templates, s.template_id), fid);
	if (!f) {
		log_warn("reportback", "job %lld: template '%s' has no follow-up '%s'; dropped",
			 (long long)job->id, s.template_id, fid);
		return 0;
	}
	rc = store_followup_get(w->store, s.id, fid, &posted);
	if (rc != BOT_ERR_NOT_FOUND)
		return rc;   /* 0: posted before, so nothing more */
	/* A job has no event: it posts through a context with the session's channel. */
	ev = (struct event){ .kind = EVENT_MESSAGE, .transport = s.transport,
			     .channel = s.channel, .user = "workshopbot", .text = "" };
	c = (struct ctx){ .w = w, .ev = &ev, .now = now };
	msg_init(&m);
	compose_prompt(&m, &s, f, now - job->due_at > REMINDERS_DELAY_NOTE_S);
	rc = post_to_session(&c, &s, -1, &m);
	if (!rc)
		rc = store_followup_add(w->store, s.id, fid, store_last_id(w->store), now);
	return rc;
}

/* ---- numbers ---- */

static bool is_alnum(char ch)
{
	return isalnum((unsigned char)ch) != 0;
}

/* The length of name when it stands at s (inside text) as a whole word, else 0. */
static size_t name_at(const char *text, const char *s, const char *name)
{
	size_t n = strlen(name);

	if ((s > text && is_alnum(s[-1])) || strncasecmp(s, name, n) != 0 || is_alnum(s[n]))
		return 0;
	return n;
}

/* Reads "[:=]? number" after a field name: 1 and *v for a good number, 0 when neither a
 * separator nor a digit follows (the name was just a word), -1 for a bad number. */
static int read_value(const char *s, long long *v)
{
	bool sep = false;
	long long x = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == ':' || *s == '=') {
		sep = true;
		s++;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	if (!isdigit((unsigned char)*s))
		return sep ? -1 : 0;
	for (; isdigit((unsigned char)*s); s++) {
		if (x <= REPORTBACK_VALUE_MAX)
			x = x * 10 + (*s - '0');
	}
	/* "40k", "3,500" and "2.5" are not whole numbers we can add up */
	if (x > REPORTBACK_VALUE_MAX || is_alnum(*s) ||
	    ((*s == ',' || *s == '.') && isdigit((unsigned char)s[1])))
		return -1;
	*v = x;
	return 1;
}

int reportback_parse_outcomes(const struct followup *f, const char *text, long long *values,
			      char *bad, size_t badlen)
{
	bool wrong[TEMPLATE_MAX_OUTCOMES] = { false };
	size_t n = f->n_outcomes < TEMPLATE_MAX_OUTCOMES ? f->n_outcomes : TEMPLATE_MAX_OUTCOMES;

	if (bad && badlen)
		bad[0] = '\0';
	for (size_t i = 0; i < n; i++)
		values[i] = -1;
	for (const char *s = text; *s; s++) {
		for (size_t i = 0; i < n; i++) {
			size_t len = name_at(text, s, f->outcomes[i].label);
			long long v;
			int got;

			if (!len)
				len = name_at(text, s, f->outcomes[i].id);
			if (!len || values[i] >= 0)
				continue;
			got = read_value(s + len, &v);
			if (got > 0)
				values[i] = v;
			else if (got < 0)
				wrong[i] = true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (wrong[i] && values[i] < 0) {
			if (bad && badlen)
				snprintf(bad, badlen, "%s", f->outcomes[i].label);
			return BOT_ERR_INVALID;
		}
	}
	return 0;
}

/* ---- entries ---- */

/* The action item "#<id>" in text names (the first one), or 0. */
static int64_t linked_id(const char *text)
{
	for (const char *s = text; *s; s++) {
		long long id = 0;
		const char *d = s + 1;

		if (*s != '#' || (s > text && is_alnum(s[-1])) || !isdigit((unsigned char)*d))
			continue;
		for (; isdigit((unsigned char)*d) && id < INT64_MAX / 10 - 9; d++)
			id = id * 10 + (*d - '0');
		if (!is_alnum(*d))
			return id;
	}
	return 0;
}

/* What an entry was saved with, for the confirmation. */
struct saved {
	const struct followup *f;   /* NULL when the template or follow-up is gone */
	long long values[TEMPLATE_MAX_OUTCOMES];
	char bad[128];              /* a field with a bad number */
	int64_t action_id;          /* linked */
	int64_t unknown_action;     /* "#<id>" that is not an item of the session */
};

static int confirm_entry(struct ctx *c, const char *fid, const struct saved *sv, bool updated)
{
	struct msg m;
	bool first = true;

	msg_init(&m);
	msg_text(&m, updated ? "" : "Thanks, ");
	msg_user(&m, c->author);
	msg_text(&m, updated ? ", your report-back entry for \"%s\" is updated"
			     : ": your report-back for \"%s\" is saved", sv->f ? sv->f->title : fid);
	for (size_t i = 0; sv->f && i < sv->f->n_outcomes; i++) {
		if (sv->values[i] < 0)
			continue;
		msg_text(&m, "%s%s: %lld", first ? " (" : ", ", sv->f->outcomes[i].label,
			 sv->values[i]);
		first = false;
	}
	msg_text(&m, "%s", first ? "" : ")");
	if (sv->action_id)
		msg_text(&m, ", linked to action item #%lld", (long long)sv->action_id);
	msg_text(&m, ".");
	if (sv->bad[0])
		msg_text(&m, " \"%s\" needs a whole number from 0 to %lld, so it was not counted.",
			 sv->bad, REPORTBACK_VALUE_MAX);
	if (sv->unknown_action)
		msg_text(&m, " #%lld is not an action item of this session, so nothing is linked.",
			 (long long)sv->unknown_action);
	return confirm(c, &m);
}

/* Stores text as an entry for follow-up fr: a new one (entry_id 0) or an update. */
static int save_entry(struct ctx *c, const struct followup_rec *fr, int64_t entry_id,
		      const char *text)
{
	const char *fields[TEMPLATE_MAX_OUTCOMES];
	long long values[TEMPLATE_MAX_OUTCOMES];
	struct saved sv = { .f = NULL };
	struct session_rec s;
	struct action_rec a;
	size_t chars = text_char_count(text), n = 0;
	int rc;

	if (chars > TEXT_MAX_CHARS)
		return private_text(c, "That report-back is too long (%zu characters; the limit is "
				       "%d). Please shorten it or split it.", chars, TEXT_MAX_CHARS);
	if (text_blank(text))
		return private_text(c, "Usage: !ws reportback <what you learned, did, measured>");
	rc = store_session_get(c->w->store, fr->session_id, &s);
	if (rc)
		return rc;
	sv.f = template_followup(template_set_find(c->w->templates, s.template_id),
				 fr->followup_id);
	if (sv.f)
		reportback_parse_outcomes(sv.f, text, sv.values, sv.bad, sizeof sv.bad);
	sv.action_id = linked_id(text);
	if (sv.action_id) {
		rc = store_action_get(c->w->store, sv.action_id, &a);
		if (rc && rc != BOT_ERR_NOT_FOUND)
			return rc;
		if (rc || a.session_id != s.id) {
			sv.unknown_action = sv.action_id;
			sv.action_id = 0;
		}
		if (!rc)
			action_rec_clear(&a);
	}
	if (entry_id) {
		rc = store_report_update(c->w->store, entry_id, text, sv.action_id, c->now);
	} else {
		struct report_entry_rec e = { .session_id = s.id, .followup_id = fr->followup_id,
					      .user_id = c->ev->user, .text = text,
					      .action_id = sv.action_id, .source_ref = c->ev->ref };
		rc = store_report_add(c->w->store, &e, c->now, &entry_id);
	}
	for (size_t i = 0; sv.f && i < sv.f->n_outcomes; i++) {
		if (sv.values[i] >= 0) {
			fields[n] = sv.f->outcomes[i].id;
			values[n++] = sv.values[i];
		}
	}
	if (!rc)
		rc = store_report_set_outcomes(c->w->store, entry_id, fields, values, n);
	return rc ? rc : confirm_entry(c, fr->followup_id, &sv, c->ev->kind == EVENT_EDIT);
}

int reportback_thread(struct ctx *c)
{
	struct followup_rec fr;
	int rc = store_followup_by_ref(c->w->store, c->ev->transport, c->ev->thread, &fr);

	if (rc == BOT_ERR_NOT_FOUND)
		return 0;
	return rc ? rc : save_entry(c, &fr, 0, c->ev->text);
}

/* The prompt posted last in the event's channel, while it is open. */
static int open_followup(struct ctx *c, struct followup_rec *fr)
{
	int rc = store_followup_latest_in(c->w->store, c->ev->transport, c->ev->channel, fr);

	if (!rc && c->now - fr->posted_at > REPORTBACK_OPEN_S)
		rc = BOT_ERR_NOT_FOUND;
	return rc;
}

int cmd_reportback(struct ctx *c, const char *args)
{
	struct followup_rec fr;
	int rc = open_followup(c, &fr);

	if (rc == BOT_ERR_NOT_FOUND)
		return private_text(c, "No report-back prompt is open here (each stays open for %d "
				       "days after it is posted; a reply in its thread always "
				       "counts).", REPORTBACK_OPEN_DAYS);
	return rc ? rc : save_entry(c, &fr, 0, args);
}

int reportback_plain(struct ctx *c, bool *handled)
{
	struct followup_rec fr;
	int rc = open_followup(c, &fr);

	*handled = rc != BOT_ERR_NOT_FOUND;
	if (rc)
		return rc == BOT_ERR_NOT_FOUND ? 0 : rc;
	return save_entry(c, &fr, 0, c->ev->text);
}

/* The entry the event's target message made, when it is the author's; id 0 if none. */
static int own_entry(struct ctx *c, struct report_owner *o)
{
	int rc;

	o->id = 0;
	if (!c->ev->target_ref)
		return 0;
	rc = store_report_by_ref(c->w->store, c->ev->transport, c->ev->channel,
				 c->ev->target_ref, o);
	if (rc == BOT_ERR_NOT_FOUND || (!rc && strcmp(o->user_id, c->ev->user) != 0)) {
		o->id = 0;
		return 0;
	}
	return rc;
}

int reportback_edited(struct ctx *c)
{
	const char *text = c->ev->text;
	const char *command = commands_strip_prefix(text);
	struct report_owner o;
	int rc = own_entry(c, &o);

	if (rc || !o.id)
		return rc;
	/* an edited `!ws rb <text>` keeps its command word */
	if (command) {
		size_t word = strcspn(command, " \t\n");
		if (!text_word_is(command, "reportback") && !text_word_is(command, "rb"))
			return 0;
		text = text_skip_space(command + word);
	}
	return save_entry(c, &o.followup, o.id, text);
}

int reportback_deleted(struct ctx *c)
{
	struct report_owner o;
	int rc = own_entry(c, &o);

	if (rc || !o.id)
		return rc;
	rc = store_report_withdraw(c->w->store, o.id, c->now);
	return rc ? rc : private_text(c, "Your report-back entry is withdrawn (its message was "
				      "deleted).");
}
