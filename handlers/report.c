/* report.c - the session summary: answers by person, checklist tallies, action items. */
#include "handlers/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot/err.h"
#include "bot/store_actions.h"
#include "bot/store_answers.h"
#include "bot/tz.h"
#include "handlers/flow.h"
#include "handlers/report_followup.h"
#include "handlers/report_people.h"

int report_format_parse(const char *name, enum export_format *out)
{
	static const char *const names[] = { "md", "csv", "json" };

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum export_format)i;
			return 0;
		}
	}
	return -1;
}

struct report {
	struct store *st;
	const struct template *t;
	const struct session_rec *s;
	struct people people;
	struct msg *m;
	/* checklist tallies: counts[prompt in group][option], and who answered the group */
	const struct prompt *tally_prompt;
	size_t *counts;
	bool *answered;
	size_t n_answered;
	size_t n_actions;
};

/* Formats a Unix time in the session's zone as "2026-11-29 09:00 CET". */
static void local_time(const struct session_rec *s, int64_t t, char *buf, size_t len)
{
	struct tm tm;

	if (tz_localtime(s->timezone, (time_t)t, &tm) != 0 ||
	    strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

static void put_header(struct report *r)
{
	char started[64], ended[64];

	local_time(r->s, r->s->started_at, started, sizeof started);
	msg_bold(r->m, "Summary of session #%lld: %s", (long long)r->s->id, r->t->title);
	msg_text(r->m, "\nFacilitated by ");
	msg_user(r->m, people_name(&r->people, r->s->facilitator));
	msg_text(r->m, " · started %s", started);
	if (r->s->ended_at) {
		local_time(r->s, r->s->ended_at, ended, sizeof ended);
		msg_text(r->m, " · ended %s", ended);
	} else {
		msg_text(r->m, " · %s", session_state_name(r->s->state));
	}
	msg_text(r->m, "\n%zu %s:", r->people.n, r->people.n == 1 ? "person" : "people");
	for (size_t i = 0; i < r->people.n; i++) {
		msg_text(r->m, i ? ", " : " ");
		msg_user(r->m, r->people.v[i].name);
	}
}

/* Adds one answer's choices to the tally of prompt slot in the current group. */
static void tally_choices(struct report *r, size_t slot, const char *user, const char *choices)
{
	const struct prompt *p = r->tally_prompt;
	json_t *arr = choices ? json_loads(choices, 0, NULL) : NULL;
	size_t i;
	json_t *label;
	long who = people_index(&r->people, user);

	json_array_foreach(arr, i, label) {
		const char *text = json_string_value(label);
		long idx = text ? template_option_find(p, text) : -1;
		if (idx >= 0)
			r->counts[slot * p->n_options + (size_t)idx]++;
	}
	json_decref(arr);
	if (who >= 0 && !r->answered[who]) {
		r->answered[who] = true;
		r->n_answered++;
	}
}

struct answer_print {
	struct report *r;
	size_t slot;         /* the prompt's place in its checklist group */
	size_t n;
};

static int print_answer(void *ud, const struct answer_rec *a)
{
	struct answer_print *ap = ud;
	struct report *r = ap->r;
	const struct prompt *p = template_prompt(r->t, a->prompt_id);

	msg_text(r->m, "\n  • ");
	msg_user(r->m, people_name(&r->people, a->user_id));
	msg_text(r->m, ": ");
	if (p && p->kind == PROMPT_CHECKLIST && a->choices) {
		json_t *arr = json_loads(a->choices, 0, NULL);
		size_t i;
		json_t *label;
		json_array_foreach(arr, i, label) {
			msg_text(r->m, i ? ", " : "");
			msg_user(r->m, json_string_value(label) ? json_string_value(label) : "");
		}
		if (json_array_size(arr) == 0)
			msg_text(r->m, "none");
		json_decref(arr);
		tally_choices(r, ap->slot, a->user_id, a->choices);
	} else {
		msg_user(r->m, a->text);
	}
	ap->n++;
	return 0;
}

/* The first checklist of the group prompt index belongs to (options shared through
 * options_from). */
static long group_head(const struct template *t, long index)
{
	const struct prompt *p = &t->prompts[index];

	return p->options_from >= 0 ? p->options_from : index;
}

static bool is_last_of_group(const struct template *t, long index)
{
	long head = group_head(t, index);

	for (size_t i = (size_t)index + 1; i < t->n_prompts; i++)
		if (t->prompts[i].kind == PROMPT_CHECKLIST && group_head(t, (long)i) == head)
			return false;
	return true;
}

/* Prints "Outreach — used by 3 of 4, new to 1" for every option of the group. */
static void put_tallies(struct report *r, long head)
{
	const struct template *t = r->t;
	const struct prompt *hp = &t->prompts[head];

	if (r->n_answered == 0)
		return;
	msg_text(r->m, "\n  Tally:");
	for (size_t o = 0; o < hp->n_options; o++) {
		size_t slot = 0;
		msg_text(r->m, "\n    %s —", hp->options[o].label);
		for (size_t i = (size_t)head; i < t->n_prompts; i++) {
			const struct prompt *p = &t->prompts[i];
			if (p->kind != PROMPT_CHECKLIST || group_head(t, (long)i) != head)
				continue;
			msg_text(r->m, "%s %s %zu", slot ? "," : "", p->tally,
				 r->counts[slot * hp->n_options + o]);
			if (slot == 0)
				msg_text(r->m, " of %zu", r->n_answered);
			slot++;
		}
	}
}

/* Starts a tally group at checklist head: counts sized for every prompt of the group. */
static int start_group(struct report *r, long head)
{
	size_t members = 0;
	const struct prompt *hp = &r->t->prompts[head];

	for (size_t i = (size_t)head; i < r->t->n_prompts; i++)
		members += r->t->prompts[i].kind == PROMPT_CHECKLIST &&
			   group_head(r->t, (long)i) == head;
	free(r->counts);
	free(r->answered);
	r->tally_prompt = hp;
	r->counts = calloc(members * hp->n_options + 1, sizeof *r->counts);
	r->answered = calloc(r->people.n + 1, sizeof *r->answered);
	r->n_answered = 0;
	return r->counts && r->answered ? 0 : BOT_ERR_NOMEM;
}

static size_t group_slot(const struct template *t, long index)
{
	long head = group_head(t, index);
	size_t slot = 0;

	for (long i = head; i < index; i++)
		slot += t->prompts[i].kind == PROMPT_CHECKLIST && group_head(t, i) == head;
	return slot;
}

static int put_question(struct report *r, long index)
{
	const struct prompt *p = &r->t->prompts[index];
	struct answer_print ap = { r, 0, 0 };
	char state[16];
	int result;

	if (p->kind == PROMPT_CHECKLIST) {
		if (p->options_from < 0) {
			result = start_group(r, index);
			if (result)
				return result;
		}
		ap.slot = group_slot(r->t, index);
	}
	msg_text(r->m, "\n");
	msg_bold(r->m, "%zu. %s", flow_number(r->t, index), p->title ? p->title : p->text);
	if (p->title && strcmp(p->title, p->text) != 0)
		msg_text(r->m, " — %s", p->text);
	result = store_answer_each(r->st, r->s->id, p->id, print_answer, &ap);
	if (result)
		return result;
	if (p->kind == PROMPT_ACTION_ITEMS) {
		msg_text(r->m, "\n  (the action items are listed at the end)");
	} else if (!ap.n) {
		result = store_prompt_state(r->st, r->s->id, index, state, sizeof state);
		if (result)
			return result;
		msg_text(r->m, "\n  (%s)", strcmp(state, "skipped") == 0 ? "skipped" : "no answers");
	}
	if (p->kind == PROMPT_CHECKLIST && is_last_of_group(r->t, index))
		put_tallies(r, group_head(r->t, index));
	return 0;
}

static int put_action(void *ud, const struct action_rec *a)
{
	struct report *r = ud;

	msg_text(r->m, "\n  #%lld ", (long long)a->id);
	msg_user(r->m, a->text);
	msg_text(r->m, " — ");
	if (a->owner) {
		msg_text(r->m, "owner ");
		msg_user(r->m, people_name(&r->people, a->owner));
	} else {
		msg_text(r->m, "no owner");
	}
	msg_text(r->m, ", %s%s, %s", a->due_date ? "due " : "no due date",
		 a->due_date ? a->due_date : "", action_status_name(a->status));
	r->n_actions++;
	return 0;
}

int report_build(struct store *st, const struct template *t, const struct session_rec *s,
		 struct msg *m)
{
	struct report r = { .st = st, .t = t, .s = s, .m = m };
	size_t last_section = (size_t)-1;
	int result = people_load(st, s->id, &r.people);

	if (result)
		return result;
	put_header(&r);
	for (size_t i = 0; !result && i < t->n_prompts; i++) {
		const struct prompt *p = &t->prompts[i];
		if (!flow_is_question(p))
			continue;
		if (p->section != last_section) {
			last_section = p->section;
			msg_text(m, "\n\n");
			msg_bold(m, "%s", t->sections[p->section].title);
		}
		result = put_question(&r, (long)i);
	}
	if (!result) {
		msg_text(m, "\n\n");
		msg_bold(m, "Action items");
		result = store_action_each_of(st, s->id, put_action, &r);
		if (!result && r.n_actions == 0)
			msg_text(m, "\n  (none)");
	}
	if (!result)
		result = report_followup_build(st, t, s, &r.people, m);
	free(r.counts);
	free(r.answered);
	people_free(&r.people);
	return result ? result : m->failed ? BOT_ERR_NOMEM : 0;
}
