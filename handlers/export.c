/* export.c - a session as Markdown (the report), CSV rows or one JSON document. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bot/buf.h"
#include "bot/clock.h"
#include "bot/err.h"
#include "bot/store_actions.h"
#include "bot/store_answers.h"
#include "bot/store_jobs.h"
#include "bot/store_reports.h"
#include "handlers/flow.h"
#include "handlers/report.h"
#include "handlers/report_followup.h"
#include "handlers/report_people.h"

static const char *const kind_names[] = { "info", "text", "checklist", "action_items" };

static json_t *json_text_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The stored choices (a JSON array of labels) as a value; [] when unreadable. */
static json_t *json_choices(const char *choices)
{
	json_t *v = choices ? json_loads(choices, 0, NULL) : NULL;

	if (!json_is_array(v)) {
		json_decref(v);
		return choices ? json_array() : json_null();
	}
	return v;
}

struct json_export {
	struct store *st;
	const struct people *people;
	json_t *list;
	int failed;
};

static int add_history(void *ud, const struct answer_history_rec *h)
{
	json_t *list = ud;

	json_array_append_new(list, json_pack("{s:s, s:o, s:s, s:o}", "text", h->text, "choices",
					      json_choices(h->choices), "reason", h->reason, "at",
					      report_json_time(h->at)));
	return 0;
}

static int add_answer(void *ud, const struct answer_rec *a)
{
	struct json_export *x = ud;
	json_t *history = json_array();
	json_t *obj;
	int result = store_answer_history_each(x->st, a->id, add_history, history);

	obj = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "user", a->user_id, "name",
			people_name(x->people, a->user_id), "text", a->text, "choices",
			json_choices(a->choices), "created_at", report_json_time(a->created_at),
			"updated_at", report_json_time(a->updated_at), "history", history);
	if (!obj || json_array_append_new(x->list, obj) != 0)
		return BOT_ERR_NOMEM;
	return result;
}

static int add_action(void *ud, const struct action_rec *a)
{
	struct json_export *x = ud;
	json_t *obj = json_pack("{s:I, s:s, s:o, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)a->id,
				"text", a->text, "owner", json_text_or_null(a->owner), "due_date",
				json_text_or_null(a->due_date), "status",
				action_status_name(a->status), "created_by", a->created_by,
				"created_at", report_json_time(a->created_at), "done_at",
				report_json_time(a->done_at));

	json_t *history = report_followup_action_json(x->st, a, x->people);

	/* the _new calls take their value, also when they fail */
	if (json_object_set_new(obj, "history", history) != 0) {
		json_decref(obj);
		return BOT_ERR_NOMEM;
	}
	return json_array_append_new(x->list, obj) == 0 ? 0 : BOT_ERR_NOMEM;
}

static json_t *json_prompt(const struct template *t, size_t i)
{
	const struct prompt *p = &t->prompts[i];
	json_t *obj = json_pack("{s:s, s:s, s:s, s:o, s:s, s:I}", "id", p->id, "section",
				t->sections[p->section].title, "kind", kind_names[p->kind], "title",
				json_text_or_null(p->title), "text", p->text, "number",
				(json_int_t)flow_number(t, (long)i));
	json_t *options = json_array();

	for (size_t o = 0; o < p->n_options; o++)
		json_array_append_new(options, json_pack("{s:s, s:s}", "label", p->options[o].label,
							 "text", p->options[o].text));
	json_object_set_new(obj, "options", options);
	return obj;
}

static int export_json(struct store *st, const struct template *t, const struct session_rec *s,
		       const struct people *people, char **out)
{
	json_t *doc = json_pack("{s:{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o}}", "session",
				"id", (json_int_t)s->id, "template", s->template_id, "title",
				t->title, "transport", s->transport, "channel", s->channel,
				"facilitator", s->facilitator, "state", session_state_name(s->state),
				"timezone", s->timezone, "started_at", report_json_time(s->started_at),
				"ended_at", report_json_time(s->ended_at));
	json_t *people_list = json_array(), *prompts = json_array(), *actions = json_array();
	struct json_export x = { st, people, NULL, 0 };
	int result = 0;

	json_object_set_new(doc, "people", people_list);
	json_object_set_new(doc, "prompts", prompts);
	json_object_set_new(doc, "action_items", actions);
	for (size_t i = 0; i < people->n; i++)
		json_array_append_new(people_list, json_pack("{s:s, s:s}", "id", people->v[i].id,
							     "name", people->v[i].name));
	for (size_t i = 0; !result && i < t->n_prompts; i++) {
		json_t *prompt = json_prompt(t, i);
		x.list = json_array();
		json_object_set_new(prompt, "answers", x.list);
		json_array_append_new(prompts, prompt);
		result = store_answer_each(st, s->id, t->prompts[i].id, add_answer, &x);
	}
	x.list = actions;
	if (!result)
		result = store_action_each_of(st, s->id, add_action, &x);
	if (!result)
		result = report_followup_json(st, t, s, people, doc);
	if (!result) {
		*out = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		result = *out ? 0 : BOT_ERR_NOMEM;
	}
	json_decref(doc);
	return result;
}

/* One CSV field, RFC 4180 quoted. A field that a spreadsheet would run as a formula
 * (starting with = + - @) is prefixed with ' so opening the export runs nothing. */
static void csv_field(struct buf *b, const char *v, bool last)
{
	if (!v)
		v = "";
	buf_putc(b, '"');
	if (strchr("=+-@", v[0]) && v[0])
		buf_putc(b, '\'');
	for (; *v; v++) {
		if (*v == '"')
			buf_putc(b, '"');
		buf_putc(b, *v);
	}
	buf_puts(b, last ? "\"\r\n" : "\",");
}

struct csv_export {
	struct buf *b;
	const struct template *t;
	const struct people *people;
	struct store *st;
	int64_t action_id;      /* the item whose reminders are being written */
};

static int csv_answer(void *ud, const struct answer_rec *a)
{
	struct csv_export *x = ud;
	long idx = template_prompt_index(x->t, a->prompt_id);
	const struct prompt *p = idx >= 0 ? &x->t->prompts[idx] : NULL;
	char number[24], updated[32];

	snprintf(number, sizeof number, "%zu", p ? flow_number(x->t, idx) : 0);
	csv_field(x->b, "answer", false);
	csv_field(x->b, a->prompt_id, false);
	csv_field(x->b, number, false);
	csv_field(x->b, p ? x->t->sections[p->section].title : "", false);
	csv_field(x->b, p ? (p->title ? p->title : p->text) : "", false);
	csv_field(x->b, people_name(x->people, a->user_id), false);
	csv_field(x->b, a->text, false);
	csv_field(x->b, a->choices, false);
	for (int i = 0; i < 3; i++)
		csv_field(x->b, "", false);
	clock_format_utc((time_t)a->updated_at, updated, sizeof updated);
	csv_field(x->b, updated, true);
	return 0;
}

static int csv_action(void *ud, const struct action_rec *a)
{
	struct csv_export *x = ud;
	char id[24], updated[32];

	snprintf(id, sizeof id, "%lld", (long long)a->id);
	clock_format_utc((time_t)a->updated_at, updated, sizeof updated);
	csv_field(x->b, "action_item", false);
	csv_field(x->b, id, false);
	for (int i = 0; i < 3; i++)
		csv_field(x->b, "", false);
	csv_field(x->b, people_name(x->people, a->created_by), false);
	csv_field(x->b, a->text, false);
	csv_field(x->b, "", false);
	csv_field(x->b, a->owner ? people_name(x->people, a->owner) : "", false);
	csv_field(x->b, a->due_date, false);
	csv_field(x->b, action_status_name(a->status), false);
	csv_field(x->b, updated, true);
	return 0;
}

static int csv_sent(void *ud, const char *kind, int64_t done_at)
{
	struct csv_export *x = ud;
	char id[24], sent[32];

	snprintf(id, sizeof id, "%lld", (long long)x->action_id);
	clock_format_utc((time_t)done_at, sent, sizeof sent);
	csv_field(x->b, "reminder", false);
	csv_field(x->b, id, false);
	for (int i = 0; i < 4; i++)
		csv_field(x->b, "", false);
	csv_field(x->b, kind, false);
	for (int i = 0; i < 4; i++)
		csv_field(x->b, "", false);
	csv_field(x->b, sent, true);
	return 0;
}

static int csv_history(void *ud, const struct action_rec *a)
{
	struct csv_export *x = ud;

	x->action_id = a->id;
	return store_job_each_sent_reminder(x->st, a->id, csv_sent, x);
}

/* One report-back entry: its follow-up as the section, its linked item as the status. */
static int csv_entry(void *ud, const struct report_entry_rec *e)
{
	struct csv_export *x = ud;
	const struct followup *f = template_followup(x->t, e->followup_id);
	char id[24], link[24], updated[32];

	snprintf(id, sizeof id, "%lld", (long long)e->id);
	link[0] = '\0';
	if (e->action_id)
		snprintf(link, sizeof link, "#%lld", (long long)e->action_id);
	clock_format_utc((time_t)e->updated_at, updated, sizeof updated);
	csv_field(x->b, "report_back", false);
	csv_field(x->b, id, false);
	csv_field(x->b, "", false);
	csv_field(x->b, f ? f->title : e->followup_id, false);
	csv_field(x->b, "", false);
	csv_field(x->b, people_name(x->people, e->user_id), false);
	csv_field(x->b, e->text, false);
	for (int i = 0; i < 3; i++)
		csv_field(x->b, "", false);
	csv_field(x->b, link, false);
	csv_field(x->b, updated, true);
	return 0;
}

/* The roll-up: one "outcome" row per field, its line as the text. */
static int csv_outcomes(struct csv_export *x, int64_t session_id)
{
	struct rollup r;
	char line[512];
	int result = rollup_load(x->st, x->t, session_id, &r);

	for (size_t fi = 0; !result && fi < x->t->n_followups && fi < TEMPLATE_MAX_FOLLOWUPS;
	     fi++) {
		for (size_t oi = 0; oi < x->t->followups[fi].n_outcomes; oi++) {
			const struct followup_outcome *o = &x->t->followups[fi].outcomes[oi];

			if (!rollup_is_first(&r, fi, oi) || !rollup_line(&r, fi, oi, line, sizeof line))
				continue;
			csv_field(x->b, "outcome", false);
			csv_field(x->b, o->id, false);
			csv_field(x->b, "", false);
			csv_field(x->b, "Report-back", false);
			csv_field(x->b, o->label, false);
			csv_field(x->b, "", false);
			csv_field(x->b, line, false);
			for (int i = 0; i < 4; i++)
				csv_field(x->b, "", false);
			csv_field(x->b, "", true);
		}
	}
	return result;
}

static int export_csv(struct store *st, const struct template *t, const struct session_rec *s,
		      const struct people *people, char **out)
{
	static const char *const header[] = { "record", "id", "number", "section", "question",
					      "person", "text", "choices", "owner", "due_date",
					      "status", "updated_at" };
	struct buf b;
	struct csv_export x = { &b, t, people, st, 0 };
	size_t n = sizeof header / sizeof header[0];
	int result;

	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		csv_field(&b, header[i], i + 1 == n);
	result = store_answer_each(st, s->id, NULL, csv_answer, &x);
	if (!result)
		result = store_action_each_of(st, s->id, csv_action, &x);
	if (!result)
		result = store_action_each_of(st, s->id, csv_history, &x);
	if (!result)
		result = store_report_each(st, s->id, 0, csv_entry, &x);
	if (!result)
		result = csv_outcomes(&x, s->id);
	*out = buf_take(&b);
	if (!result && !*out)
		result = BOT_ERR_NOMEM;
	if (result) {
		free(*out);
		*out = NULL;
	}
	return result;
}

static int export_md(struct store *st, const struct template *t, const struct session_rec *s,
		     char **out)
{
	struct msg m;
	int result;

	msg_init(&m);
	result = report_build(st, t, s, &m);
	if (!result) {
		*out = msg_render_markdown(&m);
		result = *out ? 0 : BOT_ERR_NOMEM;
	}
	msg_free(&m);
	return result;
}

int report_export(struct store *st, const struct template *t, const struct session_rec *s,
		  enum export_format format, char **out)
{
	struct people people;
	int result;

	*out = NULL;
	if (format == EXPORT_MD)
		return export_md(st, t, s, out);
	result = people_load(st, s->id, &people);
	if (result)
		return result;
	result = format == EXPORT_CSV ? export_csv(st, t, s, &people, out)
				      : export_json(st, t, s, &people, out);
	people_free(&people);
	return result;
}
