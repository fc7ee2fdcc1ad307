/* report_followup.h - the follow-up parts of a session's report and exports: the
 * report-back prompts with their entries and the roll-up of their numbers, and each
 * action item's history (reminders sent, completion, linked report-back entries). */
#ifndef WORKSHOPBOT_REPORT_FOLLOWUP_H
#define WORKSHOPBOT_REPORT_FOLLOWUP_H

#include <jansson.h>
#include <stdbool.h>

#include "bot/msg.h"
#include "bot/store.h"
#include "bot/store_actions.h"
#include "bot/store_sessions.h"
#include "handlers/report_people.h"
#include "prompts/template.h"

/* The numbers of a session's report-back entries, summed per follow-up and outcome field
 * of template t (numbers for fields t does not know are left out). */
struct rollup {
	const struct template *t;
	long long sum[TEMPLATE_MAX_FOLLOWUPS][TEMPLATE_MAX_OUTCOMES];
	bool has[TEMPLATE_MAX_FOLLOWUPS][TEMPLATE_MAX_OUTCOMES];
};

void rollup_init(struct rollup *r, const struct template *t);
void rollup_add(struct rollup *r, const char *followup_id, const char *field, long long value);
/* A field is named by the first (follow-up fi, outcome oi) that has its id; returns true
 * for that first place only, so that walking every (fi, oi) visits each field once. */
bool rollup_is_first(const struct rollup *r, size_t fi, size_t oi);
/* The total of the field with this id over every follow-up; false when none has a number. */
bool rollup_total(const struct rollup *r, const char *id, long long *total);
/* "people reached: 55 (14 days: 40, 42 days: 15)" for the field of (fi, oi) into buf;
 * false (buf "") when no entry gave it a number. */
bool rollup_line(const struct rollup *r, size_t fi, size_t oi, char *buf, size_t len);

/* Sums the numbers of the current entries of a session into r. */
int rollup_load(struct store *st, const struct template *t, int64_t session_id,
		struct rollup *r);

/* Appends the "Report-back" and "Follow-up history" parts to a summary. */
int report_followup_build(struct store *st, const struct template *t,
			  const struct session_rec *s, const struct people *people,
			  struct msg *m);

/* A time as an ISO 8601 UTC string value, null for 0. */
json_t *report_json_time(int64_t t);

/* Sets "report_back" in doc (the export's root object): each follow-up with its posted
 * date and entries, and the roll-up. */
int report_followup_json(struct store *st, const struct template *t,
			 const struct session_rec *s, const struct people *people, json_t *doc);

/* The history of action item a as a JSON object (reminders, done_at, report_back);
 * NULL on error. */
json_t *report_followup_action_json(struct store *st, const struct action_rec *a,
				    const struct people *people);

#endif
