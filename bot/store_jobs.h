/* store_jobs.h - the jobs table: every future action of the bot is one row.
 *
 * A job is due at a UTC instant (Unix seconds) and is "pending" until it is marked
 * "done" (in the same transaction as the messages it queued, see sched.h) or
 * "cancelled" (its action item was done or re-dated, its session ended). Rows are kept
 * afterwards as the follow-up history. Finding due jobs is an indexed query on
 * (state, due_at); STORE_JOB_DUE_SQL and STORE_JOB_NEXT_SQL are exposed so the tests can
 * EXPLAIN exactly the statements used here.
 *
 * Every function returns 0 or a BOT_ERR_* code (err.h); BOT_ERR_DB means SQLite failed
 * (logged by the store). */
#ifndef WORKSHOPBOT_STORE_JOBS_H
#define WORKSHOPBOT_STORE_JOBS_H

#include <stdint.h>

#include "store.h"

#define STORE_JOB_KIND_MAX 32        /* kind: 1..32 of [a-z0-9_] */
#define STORE_JOB_USER_MAX 255       /* user_id: at most this many bytes */
#define STORE_JOB_PAYLOAD_MAX 16384  /* payload: at most this many bytes */

/* A job to add, or (strings borrowed, valid only during the callback) one read back. */
struct store_job {
	int64_t id;             /* set when read back; ignored by store_job_add */
	const char *kind;       /* "advance", "nudge", "reminder_due", "report_back", ... */
	int64_t due_at;         /* UTC seconds, >= 0 */
	int64_t session_id;     /* 0: none */
	int64_t action_id;      /* 0: none */
	const char *user_id;    /* NULL: none */
	const char *payload;    /* JSON text chosen by the job's handler (not checked); NULL */
	int attempts;           /* failed runs so far; read back only */
	int64_t created_at;     /* read back only */
};

/* Which pending jobs store_job_cancel_for() cancels. Every given field must match; at
 * least one of session_id, action_id, user_id must be given (a kind alone would reach
 * every session). */
struct store_job_match {
	const char *kind;       /* exact kind, or a prefix ending in '*' ("reminder_*");
	                           NULL: any kind */
	int64_t session_id;     /* 0: any */
	int64_t action_id;      /* 0: any */
	const char *user_id;    /* NULL: any */
	int64_t due_by;         /* 0: any; else only jobs with due_at <= due_by (to coalesce
	                           the due jobs of one kind for one person) */
};

/* The statements behind store_job_each_due() and store_job_next_due_at() (bound as
 * ?1 = now, ?2 = limit for the first). */
#define STORE_JOB_DUE_SQL \
	"SELECT id, kind, due_at, coalesce(session_id, 0), coalesce(action_id, 0), " \
	"user_id, payload, attempts, created_at FROM jobs " \
	"WHERE state = 'pending' AND due_at <= ?1 ORDER BY due_at, id LIMIT ?2"
#define STORE_JOB_NEXT_SQL \
	"SELECT due_at FROM jobs WHERE state = 'pending' ORDER BY due_at LIMIT 1"

/* Adds a pending job created at now and sets *id (may be NULL) to its id. Returns 0,
 * BOT_ERR_INVALID for a missing or malformed kind, a negative due_at or session/action
 * id, an over-long user_id or payload, or BOT_ERR_DB. */
int store_job_add(struct store *s, const struct store_job *job, int64_t now, int64_t *id);

/* The earliest due_at of any pending job (also one already overdue) into *due_at.
 * Returns 0, BOT_ERR_NOT_FOUND when no job is pending, or BOT_ERR_DB. */
int store_job_next_due_at(struct store *s, int64_t *due_at);

/* Calls fn for at most limit (>= 1) pending jobs with due_at <= now, oldest due first
 * (ties by id). The job is borrowed, valid only during the call. Do not change the jobs
 * table from fn (copy what you need and act after). A non-zero return from fn stops
 * and is returned. Returns 0, BOT_ERR_INVALID for limit < 1, or BOT_ERR_DB. */
int store_job_each_due(struct store *s, int64_t now, int limit,
		       int (*fn)(void *ud, const struct store_job *job), void *ud);

/* Marks a pending job done at now. Returns 0, BOT_ERR_NOT_FOUND when no pending job
 * has that id (unknown, already done or cancelled), or BOT_ERR_DB. */
int store_job_mark_done(struct store *s, int64_t id, int64_t now);

/* A job taken for running (done) that turned out to have nothing to send (its item was
 * closed, or a later reminder overtook it): marked cancelled, so the history lists only
 * what was sent. Returns 0, BOT_ERR_NOT_FOUND when no done job has that id, or
 * BOT_ERR_DB. */
int store_job_mark_unsent(struct store *s, int64_t id);

/* A pending job's run failed: it is due again at due_at, with one more attempt counted.
 * Returns 0, BOT_ERR_NOT_FOUND when no pending job has that id, or BOT_ERR_DB. */
int store_job_retry_at(struct store *s, int64_t id, int64_t due_at);

/* Cancels (at now) every pending job that matches m; *cancelled (may be NULL) gets how
 * many. Returns 0 (also when none matched), BOT_ERR_INVALID for a match without
 * session_id, action_id or user_id, or BOT_ERR_DB. */
int store_job_cancel_for(struct store *s, const struct store_job_match *m, int64_t now,
			 int *cancelled);

/* Calls fn for every pending job of a session (session_id 0: of all sessions, and jobs
 * of none), soonest first; for the `jobs` listing. Borrowed job, as above. A non-zero
 * return from fn stops and is returned. Returns 0 or BOT_ERR_DB. */
int store_job_each_pending(struct store *s, int64_t session_id,
			   int (*fn)(void *ud, const struct store_job *job), void *ud);

/* Calls fn for every reminder (reminder_*) and escalation of an action item that was
 * sent (state done; done_at is when), in the order they were sent: the item's follow-up
 * history. A non-zero return from fn stops and is returned. Returns 0 or BOT_ERR_DB. */
int store_job_each_sent_reminder(struct store *s, int64_t action_id,
				 int (*fn)(void *ud, const char *kind, int64_t done_at), void *ud);

#endif
