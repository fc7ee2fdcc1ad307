/* scheduler.h - the scheduler: one uv_timer armed for the earliest pending job (store_jobs.h).
 *
 * When the timer fires, now = clock_now() and at most SCHED_BATCH due jobs are taken,
 * oldest due first. Each runs in its own transaction:
 *
 *     store_begin; mark the job done; run(ud, job, now); store_commit
 *
 * so the messages the callback queues in the outbox and the job's "done" commit together
 * or not at all: after a crash or restart no job is lost and none fires twice. A job
 * that is no longer pending when its turn comes (cancelled by an earlier job of the same
 * batch) is skipped. A failed run (non-zero return, or a failed begin/commit) is rolled
 * back and logged; the job stays pending and is retried after a growing delay (2 s, 4 s,
 * 8 s ... at most SCHED_RETRY_MAX_S; its due_at moves, its attempts count), and the
 * scheduler never spins: when even that cannot be recorded (the database is failing) the
 * rest of the batch waits and the timer looks again after a second.
 *
 * After a tick that took SCHED_BATCH jobs the timer is re-armed at 1 ms, so a backlog
 * after downtime drains in batches with the loop's I/O served in between; otherwise it
 * is armed for the next due job (at most SCHED_MAX_DELAY_MS ahead, so a wall-clock step
 * delays a job by at most that).
 *
 * The frozen clock: with WORKSHOPBOT_NOW set clock_now() never moves, so a timer armed
 * for a future job would fire early and find nothing due, over and over. Create the
 * scheduler with clock_runs false in that case: it then arms only for jobs already due
 * (and runs them), and never for a future one. */
#ifndef WORKSHOPBOT_SCHEDULER_H
#define WORKSHOPBOT_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "store.h"
#include "store_jobs.h"

#define SCHED_BATCH 32                    /* jobs per tick */
#define SCHED_MAX_DELAY_MS (5 * 60 * 1000) /* the timer looks again at least this often */
#define SCHED_RETRY_MAX_S 300             /* longest delay before a failed job's retry */

struct sched;

/* Runs one due job inside the scheduler's transaction: do its work (queue outbox rows,
 * add follow-up jobs) with the store, and return 0, or non-zero to roll everything back
 * and have the job retried later. The job is already marked done in the transaction
 * (so a lookup of pending jobs no longer sees it). Borrowed: valid during the call.
 * Must not call store_begin/commit/rollback or sched_free; calling sched_arm is fine
 * (the tick re-arms anyway). */
typedef int (*sched_run_fn)(void *ud, const struct store_job *job, int64_t now);

/* A scheduler on loop for the jobs of store (both borrowed; they must outlive it).
 * clock_runs: false when the clock is frozen (WORKSHOPBOT_NOW), see above. Does not arm
 * the timer: call sched_arm() once the program is ready to run jobs. Returns NULL when
 * out of memory or the timer cannot be created. Free with sched_free(). */
struct sched *sched_new(uv_loop_t *loop, struct store *store, sched_run_fn run, void *ud,
			bool clock_runs);

/* Re-arms the timer for the earliest pending job (0 ms if one is due already; stops it
 * if none is pending). Call after every change to the jobs table (add, cancel, retime),
 * also from inside a transaction. On a database error it looks again in 1 s. */
void sched_arm(struct sched *s);

/* Stops the scheduler and closes its timer; the memory is freed when the loop has
 * processed the close (let the loop run). NULL is a no-op. Not from inside run. */
void sched_free(struct sched *s);

#endif
