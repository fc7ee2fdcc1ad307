#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "log.h"

#define SCHED_RETRY_MS 1000      /* the least delay after a failure that could not be
                                    recorded (a database error): never spin */
#define SCHED_SHIFT_MAX 16       /* 1 << attempts stays well inside a long */

/* A due job copied out of the query, so the jobs table may change while it runs. */
struct sched_slot {
	struct store_job job;
	char kind[STORE_JOB_KIND_MAX + 1];
	char *user_id;
	char *payload;
};

struct sched {
	uv_timer_t timer;
	struct store *store;
	sched_run_fn run;
	void *ud;
	bool clock_runs;
	bool in_tick;       /* inside on_timer: sched_arm waits for the tick's own re-arm */
	bool closing;
	int n_batch;
	struct sched_slot batch[SCHED_BATCH];
};

static void on_timer(uv_timer_t *t);

struct sched *sched_new(uv_loop_t *loop, struct store *store, sched_run_fn run, void *ud,
			bool clock_runs)
{
	struct sched *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	if (uv_timer_init(loop, &s->timer) != 0) {
		free(s);
		return NULL;
	}
	s->timer.data = s;
	s->store = store;
	s->run = run;
	s->ud = ud;
	s->clock_runs = clock_runs;
	return s;
}

/* Arms the timer. more: the last tick took a full batch, go again at once. stuck: a
 * failure that left a job due (or the jobs could not be read), so wait at least
 * SCHED_RETRY_MS. min_ms is 1 from inside the timer callback: libuv runs a 0 ms timer
 * started there in the same pass, before any I/O. */
static void arm(struct sched *s, uint64_t min_ms, bool more, bool stuck)
{
	int64_t due, now;
	uint64_t delay = 0;
	int rc;

	if (s->closing)
		return;
	if (!more) {
		rc = store_job_next_due_at(s->store, &due);
		now = clock_now();
		if (rc == BOT_ERR_NOT_FOUND || (!rc && due > now && !s->clock_runs)) {
			uv_timer_stop(&s->timer);
			return;
		}
		if (rc) {
			log_err("sched", "finding the next job: %s; looking again in %d ms",
				bot_strerror(rc), SCHED_RETRY_MS);
			stuck = true;
		} else if (due > now) {
			delay = due - now > SCHED_MAX_DELAY_MS / 1000 ? SCHED_MAX_DELAY_MS
								    : (uint64_t)(due - now) * 1000;
		}
	}
	if (stuck && delay < SCHED_RETRY_MS)
		delay = SCHED_RETRY_MS;
	if (delay < min_ms)
		delay = min_ms;
	uv_timer_start(&s->timer, on_timer, delay, 0);
}

void sched_arm(struct sched *s)
{
	if (!s || s->in_tick)
		return;
	arm(s, 0, false, false);
}

static void slot_release(struct sched_slot *slot)
{
	free(slot->user_id);
	free(slot->payload);
	slot->user_id = NULL;
	slot->payload = NULL;
}

/* store_job_each_due callback: copies the job into the next slot of the batch. */
static int take_job(void *ud, const struct store_job *job)
{
	struct sched *s = ud;
	struct sched_slot *slot;

	if (s->n_batch >= SCHED_BATCH)
		return BOT_ERR_INVALID;   /* the query's LIMIT keeps us from here */
	slot = &s->batch[s->n_batch];
	slot->job = *job;
	snprintf(slot->kind, sizeof slot->kind, "%s", job->kind ? job->kind : "");
	slot->user_id = job->user_id ? strdup(job->user_id) : NULL;
	slot->payload = job->payload ? strdup(job->payload) : NULL;
	if ((job->user_id && !slot->user_id) || (job->payload && !slot->payload)) {
		slot_release(slot);
		return BOT_ERR_NOMEM;
	}
	slot->job.kind = slot->kind;
	slot->job.user_id = slot->user_id;
	slot->job.payload = slot->payload;
	s->n_batch++;
	return 0;
}

/* After a failed run: the job is due again after a delay that doubles with each
 * attempt. Returns false if even that could not be recorded (the job stays due). */
static bool retry_later(struct sched *s, const struct store_job *job, int64_t now, int why)
{
	int shift = job->attempts < SCHED_SHIFT_MAX ? job->attempts : SCHED_SHIFT_MAX;
	long delay = 2L << shift;   /* 2 s at least: times are whole seconds */
	int rc;

	if (delay > SCHED_RETRY_MAX_S)
		delay = SCHED_RETRY_MAX_S;
	rc = store_job_retry_at(s->store, job->id, now + delay);
	if (rc) {
		log_err("sched", "job %lld (%s) failed: %s, and cannot be retimed: %s",
			(long long)job->id, job->kind, bot_strerror(why), bot_strerror(rc));
		return false;
	}
	log_warn("sched", "job %lld (%s) failed: %s; attempt %d, retrying in %ld s",
		 (long long)job->id, job->kind, bot_strerror(why), job->attempts + 1, delay);
	return true;
}

/* Runs one job in its own transaction. Returns false if it failed and stays due. */
static bool run_one(struct sched *s, const struct store_job *job, int64_t now)
{
	int result = store_begin(s->store);

	if (result)   /* nothing of ours to roll back */
		return retry_later(s, job, now, result);
	result = store_job_mark_done(s->store, job->id, now);
	if (result == BOT_ERR_NOT_FOUND) {
		/* Cancelled or done by an earlier job of this batch. */
		store_rollback(s->store);
		return true;
	}
	if (result)
		goto out;
	result = s->run(s->ud, job, now);
	if (result)
		goto out;
	result = store_commit(s->store);
out:
	if (!result)
		return true;
	store_rollback(s->store);
	return retry_later(s, job, now, result);
}

static void on_timer(uv_timer_t *t)
{
	struct sched *s = t->data;
	int64_t now = clock_now();
	bool stuck = false, full;
	int rc;

	s->in_tick = true;
	s->n_batch = 0;
	rc = store_job_each_due(s->store, now, SCHED_BATCH, take_job, s);
	if (rc) {
		log_err("sched", "reading due jobs: %s", bot_strerror(rc));
		stuck = true;
	}
	full = s->n_batch == SCHED_BATCH;
	/* Once a failure cannot even be recorded (the database is failing), the rest of the
	 * batch would only fail the same way, slowly: it waits for the next tick. */
	for (int i = 0; i < s->n_batch; i++) {
		if (!stuck && !s->closing && !run_one(s, &s->batch[i].job, now))
			stuck = true;
		slot_release(&s->batch[i]);
	}
	s->n_batch = 0;
	s->in_tick = false;
	arm(s, 1, full && !stuck, stuck);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void sched_free(struct sched *s)
{
	if (!s)
		return;
	s->closing = true;
	uv_timer_stop(&s->timer);
	uv_close((uv_handle_t *)&s->timer, on_closed);
}
