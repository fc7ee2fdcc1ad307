/* pacing_async.h - the async pace of a session (`start … async daily 09:00`, `pace async
 * daily 09:00`), run by the scheduler.
 *
 * One section of the template is open at a time. Opening a section posts a heading and
 * each of its prompts as a post of its own (questions as question posts, so a reply in
 * a question's thread answers it) and moves the session to the section's first
 * question. At start the first section opens at once. Then, counted from each opening:
 *
 *   async_open    the session's pace_time (local, in its zone) on the next working day
 *                 that is not a closure ([followup] working_days, closures; quiet hours
 *                 do not move a time the facilitator chose): opens the next section;
 *                 after the last one it says that every section is open.
 *   async_nudge   the next [followup] nudge_at (moved out of quiet hours) before that
 *                 opening: names the members who have not answered every question of
 *                 the open section, with the question numbers; nobody to name, no message.
 *                 nudge_at = none: no nudges.
 *
 * `next` (and `skip`) opens the next section now and `back` the previous one; either
 * reschedules both jobs from then. pause, end and a change of pace cancel them, resume
 * schedules them anew. Each job carries the question the session had open when it was
 * made ({"prompt":N}); one whose session moved on, ended, is paused or is not async any
 * more does nothing. After downtime a job runs once, with REMINDERS_DELAY_NOTE when
 * over an hour late: an opening opens one section (never a burst for the missed days)
 * and the next waits for the next working day; a nudge whose section's next opening is
 * due as well is left out.
 *
 * Members who chose `!ws dm on` (on Slack and Matrix) also get each section as it opens
 * by direct message: its heading, the session, each question in full and
 * PACING_ASYNC_DIRECT_HOW; their nudge comes there too, and the channel's nudge leaves
 * them out. A plain message in that direct channel answers their next unanswered
 * question of the latest active async session they are a member of on that chat
 * (direct.c). */
#ifndef WORKSHOPBOT_PACING_ASYNC_H
#define WORKSHOPBOT_PACING_ASYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/store_jobs.h"
#include "handlers/workshop.h"

#define ASYNC_KIND_OPEN "async_open"
#define ASYNC_KIND_NUDGE "async_nudge"

/* How to answer in a direct message, ending each one the async pace sends. */
#define PACING_ASYNC_DIRECT_HOW                                                            \
	"Reply here: each message answers your next unanswered question, in order (one "   \
	"that starts with a command word such as done: !ws answer <text>); editing or "     \
	"deleting a message changes or withdraws that answer."

/* True for the kinds of job pacing_async_run() runs. */
bool pacing_async_is_job(const char *kind);

/* Runs one due async_open or async_nudge job inside the scheduler's transaction, like
 * pacing_run(). Never begins or commits. Returns 0 (also for a stale job, or one whose
 * session or template is gone: dropped), or a BOT_ERR_DB* code to roll back and retry. */
int pacing_async_run(struct workshop *w, const struct store_job *job, int64_t now);

#endif
