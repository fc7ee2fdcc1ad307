/* jobs.h - runs one due follow-up job (store_jobs.h) with the handler that owns its
 * kind: timed and async pacing, action-item reminders, report-back prompts. */
#ifndef WORKSHOPBOT_JOBS_H
#define WORKSHOPBOT_JOBS_H

#include <stdint.h>

#include "bot/store_jobs.h"
#include "handlers/workshop.h"

/* A sched_run_fn with w as its data: runs the job inside the scheduler's transaction.
 * Returns 0 (also for a stale job or an unknown kind: logged and dropped by its
 * handler), or a BOT_ERR_DB* code to roll back and retry. */
int jobs_run(struct workshop *w, const struct store_job *job, int64_t now);

#endif
