/* report_followup.c - the follow-up parts of reports and exports (report_followup.h). */
#include "handlers/report_followup.h"

#include <stdio.h>
#include <string.h>

#include "bot/clock.h"
#include "bot/err.h"
#include "bot/store_jobs.h"
#include "bot/store_reports.h"
#include "handlers/reminders.h"

/* ---- the roll-up ---- */

void rollup_init(struct rollup *r, const struct template *t)
{
	memset(r, 0, sizeof *r);
	r->t = t;
}

static size_t n_followups(const struct rollup *r)
{
	return r->t->n_followups < TEMPLATE_MAX_FOLLOWUPS ? r->t->n_followups
							  : TEMPLATE_MAX_FOLLOWUPS;
}

/* The index of the outcome with this id in follow-up fi, or -1. */
static long outcome_index(const struct rollup *r, size_t fi, const char *id)
{
	const struct followup *f = &r->t->followups[fi];

	for (size_t oi = 0; oi < f->n_outcomes && oi < TEMPLATE_MAX_OUTCOMES; oi++) {
		if (strcmp(f->outcomes[oi].id, id) == 0)
			return (long)oi;
	}
	return -1;
}

void rollup_add(struct rollup *r, const char *followup_id, const char *field, long long value)
{
	for (size_t fi = 0; fi < n_followups(r); fi++) {
		long oi;

		if (strcmp(r->t->followups[fi].id, followup_id) != 0)
			continue;
		oi = outcome_index(r, fi, field);
		if (oi >= 0) {
			r->sum[fi][oi] += value;
			r->has[fi][oi] = true;
		}
		return;
	}
}

bool rollup_is_first(const struct rollup *r, size_t fi, size_t oi)
{
	const char *id = r->t->followups[fi].outcomes[oi].id;

	for (size_t e = 0; e < fi; e++) {
		if (outcome_index(r, e, id) >= 0)
			return false;
	}
	return outcome_index(r, fi, id) == (long)oi;
}

bool rollup_total(const struct rollup *r, const char *id, long long *total)
{
	bool any = false;

	*total = 0;
	for (size_t fi = 0; fi < n_followups(r); fi++) {
		long oi = outcome_index(r, fi, id);

		if (oi >= 0 && r->has[fi][oi]) {
			*total += r->sum[fi][oi];
			any = true;
		}
	}
	return any;
}

bool rollup_line(const struct rollup *r, size_t fi, size_t oi, char *buf, size_t len)
{
	const struct followup_outcome *o = &r->t->followups[fi].outcomes[oi];
	long long total;
	size_t used;
	bool first = true;

	buf[0] = '\0';
	if (!rollup_total(r, o->id, &total))
		return false;
	snprintf(buf, len, "%s: %lld", o->label, total);
	for (size_t e = 0; e < n_followups(r); e++) {
		long k = outcome_index(r, e, o->id);

		if (k < 0 || !r->has[e][k])
			continue;
		used = strlen(buf);
		snprintf(buf + used, len - used, "%s%ld days: %lld", first ? " (" : ", ",
			 r->t->followups[e].after_days, r->sum[e][k]);
		first = false;
	}
	used = strlen(buf);
	snprintf(buf + used, len - used, ")");
	return true;
}

static int add_outcome(void *ud, const char *followup_id, const char *field, long long value)
{
	rollup_add(ud, followup_id, field, value);
	return 0;
}

int rollup_load(struct store *st, const struct template *t, int64_t session_id,
		       struct rollup *r)
{
	rollup_init(r, t);
	return store_report_outcome_each(st, session_id, add_outcome, r);
}

/* ---- the summary ---- */

struct md {
	struct store *st;
	const struct session_rec *s;
	const struct people *people;
	struct msg *m;
	const char *followup_id;   /* entries of this follow-up only; NULL: any */
	size_t n;
};

static int put_entry(void *ud, const struct report_entry_rec *e)
{
	struct md *x = ud;

	if (x->followup_id && strcmp(e->followup_id, x->followup_id) != 0)
		return 0;
	msg_text(x->m, "\n    • ");
	msg_user(x->m, people_name(x->people, e->user_id));
	if (!x->followup_id)
		msg_text(x->m, " (report-back)");
	msg_text(x->m, ": ");
	msg_user(x->m, e->text);
	if (e->action_id && x->followup_id)
		msg_text(x->m, " (action item #%lld)", (long long)e->action_id);
	x->n++;
	return 0;
}

static int put_followups(struct md *x, const struct template *t)
{
	struct followup_rec posted;
	struct rollup r;
	char when[40], line[512];
	bool any = false;
	int rc = 0;

	msg_text(x->m, "\n\n");
	msg_bold(x->m, "Report-back");
	for (size_t fi = 0; !rc && fi < t->n_followups; fi++) {
		const struct followup *f = &t->followups[fi];

		msg_text(x->m, "\n  %s (%ld days after the end)", f->title, f->after_days);
		rc = store_followup_get(x->st, x->s->id, f->id, &posted);
		if (rc == BOT_ERR_NOT_FOUND) {
			msg_text(x->m, " — not posted yet");
			rc = 0;
			continue;
		}
		if (rc)
			break;
		reminders_format_local(x->s->timezone, (time_t)posted.posted_at, when, sizeof when);
		msg_text(x->m, " — posted %s", when);
		x->followup_id = f->id;
		x->n = 0;
		rc = store_report_each(x->st, x->s->id, 0, put_entry, x);
		if (!rc && !x->n)
			msg_text(x->m, "\n    (no entries)");
	}
	if (!rc)
		rc = rollup_load(x->st, t, x->s->id, &r);
	if (rc)
		return rc;
	msg_text(x->m, "\n  Outcomes:");
	for (size_t fi = 0; fi < n_followups(&r); fi++) {
		for (size_t oi = 0; oi < t->followups[fi].n_outcomes; oi++) {
			if (!rollup_is_first(&r, fi, oi) || !rollup_line(&r, fi, oi, line, sizeof line))
				continue;
			msg_text(x->m, "\n    %s", line);   /* template labels and numbers */
			any = true;
		}
	}
	if (!any)
		msg_text(x->m, " (no numbers yet)");
	return 0;
}

static const char *reminder_name(const char *kind)
{
	static const char *const names[][2] = {
		{ "reminder_before", "before the due date" }, { "reminder_due", "on the due day" },
		{ "reminder_overdue", "overdue" }, { "escalate", "facilitator told" },
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(kind, names[i][0]) == 0)
			return names[i][1];
	}
	return kind;
}

struct sent_line {
	const struct session_rec *s;
	struct msg *m;
	size_t n;
};

static int put_sent(void *ud, const char *kind, int64_t done_at)
{
	struct sent_line *x = ud;
	char when[40];

	reminders_format_local(x->s->timezone, (time_t)done_at, when, sizeof when);
	msg_text(x->m, "%s%s (%s)", x->n++ ? ", " : "\n    reminders: ", when, reminder_name(kind));
	return 0;
}

static int put_history(void *ud, const struct action_rec *a)
{
	struct md *x = ud;
	struct sent_line sent = { x->s, x->m, 0 };
	char when[40];
	int rc;

	msg_text(x->m, "\n  #%lld ", (long long)a->id);
	msg_user(x->m, a->text);
	rc = store_job_each_sent_reminder(x->st, a->id, put_sent, &sent);
	if (!rc && !sent.n)
		msg_text(x->m, "\n    no reminders sent");
	if (a->done_at) {
		reminders_format_local(x->s->timezone, (time_t)a->done_at, when, sizeof when);
		msg_text(x->m, "\n    done %s", when);
	} else {
		msg_text(x->m, "\n    %s", action_status_name(a->status));
	}
	x->followup_id = NULL;
	return rc ? rc : store_report_each(x->st, x->s->id, a->id, put_entry, x);
}

int report_followup_build(struct store *st, const struct template *t,
			  const struct session_rec *s, const struct people *people,
			  struct msg *m)
{
	struct md x = { .st = st, .s = s, .people = people, .m = m };
	int rc = t->n_followups ? put_followups(&x, t) : 0;

	if (rc)
		return rc;
	msg_text(m, "\n\n");
	msg_bold(m, "Follow-up history of the action items");
	rc = store_action_each_of(st, s->id, put_history, &x);
	return rc;
}

/* ---- JSON ---- */

json_t *report_json_time(int64_t t)
{
	char buf[32];

	if (!t)
		return json_null();
	clock_format_utc((time_t)t, buf, sizeof buf);
	return json_string(buf);
}

struct jx {
	const struct people *people;
	json_t *list;
	const char *followup_id;   /* NULL: any */
};

static int json_entry(void *ud, const struct report_entry_rec *e)
{
	struct jx *x = ud;
	json_t *obj;

	if (x->followup_id && strcmp(e->followup_id, x->followup_id) != 0)
		return 0;
	obj = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)e->id,
			"follow_up", e->followup_id, "user", e->user_id, "name",
			people_name(x->people, e->user_id), "text", e->text, "action_id",
			e->action_id ? json_integer(e->action_id) : json_null(), "created_at",
			report_json_time(e->created_at), "updated_at",
			report_json_time(e->updated_at));
	return obj && json_array_append_new(x->list, obj) == 0 ? 0 : BOT_ERR_NOMEM;
}

static json_t *json_rollup(const struct rollup *r)
{
	const struct template *t = r->t;
	json_t *list = json_array();

	for (size_t fi = 0; fi < n_followups(r); fi++) {
		for (size_t oi = 0; oi < t->followups[fi].n_outcomes; oi++) {
			const struct followup_outcome *o = &t->followups[fi].outcomes[oi];
			json_t *by;
			long long total;

			if (!rollup_is_first(r, fi, oi))
				continue;
			by = json_object();
			for (size_t e = 0; e < n_followups(r); e++) {
				long k = outcome_index(r, e, o->id);
				if (k >= 0 && r->has[e][k])
					json_object_set_new(by, t->followups[e].id,
							    json_integer(r->sum[e][k]));
			}
			json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o}", "id", o->id,
							      "label", o->label, "total",
							      rollup_total(r, o->id, &total)
							      ? json_integer(total) : json_null(),
							      "by_follow_up", by));
		}
	}
	return list;
}

int report_followup_json(struct store *st, const struct template *t,
			 const struct session_rec *s, const struct people *people, json_t *doc)
{
	json_t *list = json_array();
	struct followup_rec posted;
	struct rollup r;
	struct jx x = { people, NULL, NULL };
	int rc = 0;

	json_object_set_new(doc, "report_back", json_pack("{s:o}", "follow_ups", list));
	for (size_t fi = 0; !rc && fi < t->n_followups; fi++) {
		const struct followup *f = &t->followups[fi];

		rc = store_followup_get(st, s->id, f->id, &posted);
		if (rc && rc != BOT_ERR_NOT_FOUND)
			break;
		x.list = json_array();
		x.followup_id = f->id;
		json_array_append_new(list, json_pack("{s:s, s:s, s:I, s:o, s:o}", "id", f->id,
						      "title", f->title, "after_days",
						      (json_int_t)f->after_days, "posted_at",
						      report_json_time(rc ? 0 : posted.posted_at),
						      "entries", x.list));
		rc = rc == BOT_ERR_NOT_FOUND ? 0 : store_report_each(st, s->id, 0, json_entry, &x);
	}
	if (!rc)
		rc = rollup_load(st, t, s->id, &r);
	if (!rc)
		json_object_set_new(json_object_get(doc, "report_back"), "outcomes",
				    json_rollup(&r));
	return rc;
}

static int json_sent(void *ud, const char *kind, int64_t done_at)
{
	json_t *list = ud;

	json_array_append_new(list, json_pack("{s:s, s:o}", "kind", kind, "sent_at",
					      report_json_time(done_at)));
	return 0;
}

json_t *report_followup_action_json(struct store *st, const struct action_rec *a,
				    const struct people *people)
{
	json_t *reminders = json_array(), *entries = json_array();
	struct jx x = { people, entries, NULL };
	json_t *obj = json_pack("{s:o, s:o, s:o}", "reminders", reminders, "done_at",
				report_json_time(a->done_at), "report_back", entries);
	int rc = store_job_each_sent_reminder(st, a->id, json_sent, reminders);

	if (!rc)
		rc = store_report_each(st, a->session_id, a->id, json_entry, &x);
	if (rc) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}
