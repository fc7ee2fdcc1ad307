/* pacing.h - the timed pace of a session (`start … timed 10m`, `pace timed 10m`), run by
 * the scheduler. The async pace (one section a day) is in pacing_async.h; parsing a
 * pace, cancelling and rescheduling a session's pacing jobs cover both (handler.h).
 *
 * In a timed session every question stays open for the session's pace_seconds. When a
 * question opens (start, next, back, skip, resume, `pace timed`, or an advance) the
 * session's pending pacing jobs are cancelled and two are added, counted from that
 * instant:
 *
 *   warn      open + duration - 60 s (only for a duration over 2 minutes): "One minute
 *             left on question N."
 *   advance   open + duration: moves on exactly like `next` (the old post is marked
 *             closed, the next question is posted and gets its own pair); at the last
 *             question it says that the time is up and the facilitator can `!ws end`.
 *
 * pause, end and `pace live` cancel them (resume gives the question a fresh full
 * duration). Each job carries the index of the question it was made for in its payload
 * ({"prompt":N}); a job whose session has ended, is paused, is live again or has another
 * question open does nothing. A warning that comes so late (after downtime) that its
 * question's advance is due as well is left out. */
#ifndef WORKSHOPBOT_PACING_H
#define WORKSHOPBOT_PACING_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/store_jobs.h"
#include "handlers/workshop.h"

#define PACING_KIND_WARN "warn"
#define PACING_KIND_ADVANCE "advance"
#define PACING_WARN_BEFORE_S 60        /* the warning comes this long before the advance */
#define PACING_WARN_MIN_S 120          /* ... for durations over this only */

/* True for the kinds of job pacing_run() runs. */
bool pacing_is_job(const char *kind);

/* Runs one due warn or advance job inside the scheduler's transaction (a sched_run_fn
 * with w as its data), like reminders_run(). Never begins or commits. Returns 0 (also for
 * a stale job, or one whose session or template is gone: dropped), or a BOT_ERR_DB* code
 * to roll back and retry. */
int pacing_run(struct workshop *w, const struct store_job *job, int64_t now);

#endif
