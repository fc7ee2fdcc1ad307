/* reportback.h - close-the-loop report-back prompts (a template's "follow_ups").
 *
 * When a session ends, each follow-up becomes one job of kind "report_back" (payload
 * {"followup":"<id>"}) at [followup] due_morning local time on the day after_days after
 * the session's local end date, moved to the next allowed minute (schedule_time.h). The
 * job posts the prompt once in the session's channel and records it in followups; a
 * second run for the same session and follow-up posts nothing.
 *
 * Answers: a reply in the prompt's thread; `reportback <text>` (alias `rb`) while the
 * channel's latest prompt is open (REPORTBACK_OPEN_S after it was posted); in the console
 * a plain line while no session is open there and a prompt is. Each message is one entry;
 * "#<id>" in it links the entry to that action item of the session; numbers for the
 * prompt's outcome fields ("people reached: 40", "partners 3", "events=2") are stored. An
 * edit updates the entry and its numbers, a deletion withdraws it. */
#ifndef WORKSHOPBOT_REPORTBACK_H
#define WORKSHOPBOT_REPORTBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/store_jobs.h"
#include "handlers/workshop.h"
#include "prompts/template.h"

#define REPORTBACK_KIND "report_back"
#define REPORTBACK_OPEN_DAYS 14
#define REPORTBACK_OPEN_S (REPORTBACK_OPEN_DAYS * 86400)
#define REPORTBACK_VALUE_MAX 1000000000LL   /* the largest number an outcome field takes */

/* True for the kind of job reportback_run() runs. */
bool reportback_is_job(const char *kind);

/* Runs one due report_back job inside the scheduler's transaction (a sched_run_fn with
 * w as its data). Returns 0 (also for a job whose session, template or follow-up is gone:
 * logged and dropped), or a BOT_ERR_DB* code to roll back and retry. */
int reportback_run(struct workshop *w, const struct store_job *job, int64_t now);

/* Reads the numbers of f's outcome fields from text: a field's label or id as a whole
 * word (any case), then an optional ':' or '=', then a whole number 0..REPORTBACK_VALUE_MAX.
 * values[i] (f->n_outcomes of them) is the first good number for outcome i, or -1.
 * Returns 0, or BOT_ERR_INVALID when a field named with ':' or '=' (or followed by a
 * number) got no good number anywhere: the label of the first such field in bad. */
int reportback_parse_outcomes(const struct followup *f, const char *text, long long *values,
			      char *bad, size_t badlen);

#endif
