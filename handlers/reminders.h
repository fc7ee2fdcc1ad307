/* reminders.h - follow-up reminders for open action items, run by the scheduler.
 *
 * An open action item with a due date D (a local date in its session's time zone) has at
 * most one chain of jobs (store_jobs.h), each at [followup] due_morning local time, moved
 * to the next allowed minute when that is in quiet hours, on a non-working day or a
 * closure (schedule_next_allowed: Saturday 09:00 becomes Monday 08:00 with the default
 * quiet hours):
 *
 *   reminder_before   D - remind_days_before (left out unless that lands on a day before
 *                     the due-day reminder's, e.g. a Saturday before a Monday due date)
 *   reminder_due      D
 *   reminder_overdue  overdue_every_days after the previous reminder actually ran (the
 *                     first: after D); the next is added when one runs, overdue_max times
 *   escalate          overdue_every_days after the last overdue reminder: the session's
 *                     facilitator is told, once; nothing follows
 *
 * Reminders go to the item's owner, or to whoever added it when it has no owner, as a
 * mention in the session's channel. A job that runs more than an hour late carries the
 * note " (delayed: the bot was offline)". When a reminder runs, every other pending job of
 * the same kind for the same person in the same session that is due by then is marked
 * done with it and the items are listed in one message; a reminder_before whose item's
 * reminder_due is due as well (both missed while the bot was offline) is folded into it.
 *
 * Handlers reschedule an item's chain on every change (added, done, reopen, due, assign;
 * handler.h) and set workshop.jobs_changed so the daemon re-arms its timer. */
#ifndef WORKSHOPBOT_REMINDERS_H
#define WORKSHOPBOT_REMINDERS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bot/store_jobs.h"
#include "handlers/workshop.h"

#define REMINDERS_DELAY_NOTE_S 3600   /* a job this late or later says it was delayed */
#define REMINDERS_DELAY_NOTE " (delayed: the bot was offline)"

/* Runs one due job inside the scheduler's transaction (a sched_run_fn with w as its
 * data): queues its message in the outbox and adds the next job of the chain. Never
 * begins or commits. Returns 0 (also for a job whose item or session is gone, or of a
 * kind it does not know: logged and dropped), or a BOT_ERR_DB* code to roll back and
 * retry. */
int reminders_run(struct workshop *w, const struct store_job *job, int64_t now);

/* due_morning on the local day `days` after the local day of `from` in zone tz, moved to
 * the next allowed minute by the [followup] rules of cfg (schedule_next_allowed). Returns
 * 0, BOT_ERR_INVALID for an unknown zone, BOT_ERR_NOT_FOUND when the rules allow no time
 * within a year, or BOT_ERR_NOMEM. */
int reminders_morning_after(const struct config *cfg, const char *tz, int64_t from,
			    long days, time_t *out);

/* Writes t as "Tue 2026-12-08 09:00" in zone tz into buf (at least 24 bytes); the UTC
 * time with " UTC" when tz is unknown. */
void reminders_format_local(const char *tz, time_t t, char *buf, size_t len);

#endif
