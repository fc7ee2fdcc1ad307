/* test_sched.c - the jobs table (store_jobs.h) and the scheduler on a real loop (sched.h).
 *
 * Each case gets a real SQLite store in its own mkdtemp() directory and a real uv loop;
 * every uv_run is bounded by a watchdog timer. A uv_check handle counts loop iterations,
 * so the tests can see how many jobs one timer tick ran and that the loop turned (and
 * could serve I/O) between ticks. The clock is the real one (WORKSHOPBOT_NOW unset)
 * except in the frozen-clock case; jobs are due relative to clock_now(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/scheduler.h"
#include "bot/store.h"
#include "bot/store_jobs.h"
#include "bot/store_outbox.h"
#include "tests/unit/support.h"

#define MAX_RUNS 512
#define WATCHDOG_MS 5000   /* a case that waits longer than this has failed */

enum behaviour {
	RUN_OK,            /* queue an outbox row, succeed */
	RUN_FAIL_ONCE,     /* for fail_id: queue a row, then fail the first time */
	RUN_FAIL_COMMIT,   /* for fail_id: write a row that breaks a deferred foreign key */
	RUN_CANCEL_OTHER,  /* for fail_id: cancel the pending jobs of action 99 */
	RUN_ADD_JOB,       /* for fail_id: add a job due now and call sched_arm */
	RUN_BAD_COMMIT,    /* for fail_id: commit behind the scheduler's back (misuse) */
};

struct fixture {
	char dir[64];
	char db[128];
	char err[BOT_ERRMSG_MAX];
	struct store *s;
	uv_loop_t loop;
	uv_timer_t watchdog;
	uv_check_t check;
	struct sched *sched;
	bool watchdog_fired;
	long iterations;            /* loop turns so far (the check handle) */
	enum behaviour behaviour;
	int64_t fail_id;
	int failures;               /* how often fail_id failed */
	int stop_after;             /* uv_stop once this many jobs ran */
	int n_ran;
	int64_t ran[MAX_RUNS];      /* job ids, in run order */
	long ran_turn[MAX_RUNS];    /* the loop turn each ran in */
	int64_t added_id;           /* RUN_ADD_JOB: the job it added */
};

/* ---- fixture ---- */

static void open_store(struct fixture *f)
{
	int rc = store_open(f->db, STORE_WRITER, &f->s, f->err, sizeof f->err);

	if (rc != 0)
		fail_msg("store_open(%s): %s: %s", f->db, bot_strerror(rc), f->err);
}

static void on_check(uv_check_t *c)
{
	struct fixture *f = c->data;
	f->iterations++;
}

static void on_watchdog(uv_timer_t *t)
{
	struct fixture *f = t->data;
	f->watchdog_fired = true;
	uv_stop(t->loop);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	tmpdir_make(f->dir, sizeof f->dir, "test_sched");
	path_join(f->db, sizeof f->db, f->dir, "bot.db");
	open_store(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(uv_timer_init(&f->loop, &f->watchdog), 0);
	f->watchdog.data = f;
	assert_int_equal(uv_check_init(&f->loop, &f->check), 0);
	f->check.data = f;
	assert_int_equal(uv_check_start(&f->check, on_check), 0);
	uv_unref((uv_handle_t *)&f->check);
	f->fail_id = -1;
	f->stop_after = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sched_free(f->sched);
	uv_close((uv_handle_t *)&f->watchdog, NULL);
	uv_close((uv_handle_t *)&f->check, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	store_close(f->s);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* ---- the job callback ---- */

static int queue_row(struct fixture *f, const struct store_job *job, int64_t now)
{
	char body[64];
	struct outbox_rec rec = { .kind = OUTBOX_POST, .transport = "console", .channel = "c1",
				  .body = body, .prompt_index = -1 };

	snprintf(body, sizeof body, "job %lld", (long long)job->id);
	return store_outbox_put(f->s, &rec, now);
}

static int run_job(void *ud, const struct store_job *job, int64_t now)
{
	struct fixture *f = ud;
	int rc;

	if (f->n_ran < MAX_RUNS) {
		f->ran[f->n_ran] = job->id;
		f->ran_turn[f->n_ran] = f->iterations;
	}
	f->n_ran++;
	if (f->n_ran == f->stop_after)
		uv_stop(&f->loop);
	rc = queue_row(f, job, now);
	if (rc || job->id != f->fail_id)
		return rc;
	switch (f->behaviour) {
	case RUN_OK:
		break;
	case RUN_FAIL_ONCE:
		if (f->failures++ == 0)
			return BOT_ERR_IO;
		break;
	case RUN_FAIL_COMMIT: {
		static const char sql[] = "INSERT INTO test_child (parent) VALUES (999)";
		if (f->failures++ == 0)
			return store_step_done(f->s, store_stmt(f->s, sql));
		break;
	}
	case RUN_CANCEL_OTHER: {
		struct store_job_match m = { .action_id = 99 };
		return store_job_cancel_for(f->s, &m, now, NULL);
	}
	case RUN_ADD_JOB: {
		struct store_job add = { .kind = "nudge", .due_at = now };
		rc = store_job_add(f->s, &add, now, &f->added_id);
		sched_arm(f->sched);   /* inside a tick: the tick's own re-arm covers it */
		return rc;
	}
	case RUN_BAD_COMMIT:
		if (f->failures++ == 0)
			return store_commit(f->s);
		break;
	}
	return 0;
}

/* ---- helpers ---- */

static void start_sched(struct fixture *f, bool clock_runs)
{
	f->sched = sched_new(&f->loop, f->s, run_job, f, clock_runs);
	assert_non_null(f->sched);
	sched_arm(f->sched);
}

/* Runs the loop until it stops by itself, a job calls uv_stop, or ms pass. */
static void run_for(struct fixture *f, uint64_t ms)
{
	f->watchdog_fired = false;
	assert_int_equal(uv_timer_start(&f->watchdog, on_watchdog, ms, 0), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&f->watchdog);
}

/* Runs the loop until n jobs in all have run; fails after WATCHDOG_MS. */
static void run_until(struct fixture *f, int n)
{
	f->stop_after = n;
	while (f->n_ran < n) {
		run_for(f, WATCHDOG_MS);
		if (f->watchdog_fired)
			fail_msg("only %d of %d jobs ran within %d ms", f->n_ran, n, WATCHDOG_MS);
	}
	f->stop_after = -1;
}

static int64_t add_job(struct fixture *f, const char *kind, int64_t due_at, int64_t session,
		       int64_t action, const char *user)
{
	struct store_job job = { .kind = kind, .due_at = due_at, .session_id = session,
				 .action_id = action, .user_id = user };
	int64_t id = 0;

	assert_int_equal(store_job_add(f->s, &job, clock_now(), &id), 0);
	assert_true(id > 0);
	return id;
}

static long long query_int(struct store *s, const char *sql, int64_t arg)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	long long v;

	assert_non_null(st);
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static const char state_sql[] =
	"SELECT CASE state WHEN 'pending' THEN 0 WHEN 'done' THEN 1 ELSE 2 END "
	"FROM jobs WHERE id = ?";
enum { PENDING, DONE, CANCELLED };

static int job_state(struct fixture *f, int64_t id)
{
	return (int)query_int(f->s, state_sql, id);
}

static long long outbox_rows_for(struct fixture *f, int64_t id)
{
	static const char sql[] = "SELECT count(*) FROM outbox WHERE body = 'job ' || ?";
	return query_int(f->s, sql, id);
}

/* Moves a pending job's due time to now (instead of waiting for its retry) and re-arms. */
static void make_due_now(struct fixture *f, int64_t id)
{
	static const char sql[] = "UPDATE jobs SET due_at = ? WHERE id = ? AND state = 'pending'";
	sqlite3_stmt *st = store_stmt(f->s, sql);

	assert_non_null(st);
	sqlite3_bind_int64(st, 1, clock_now());
	sqlite3_bind_int64(st, 2, id);
	assert_int_equal(store_step_done(f->s, st), 0);
	assert_int_equal(store_changes(f->s), 1);
	sched_arm(f->sched);
}

static int times_ran(const struct fixture *f, int64_t id)
{
	int n = 0;
	for (int i = 0; i < f->n_ran && i < MAX_RUNS; i++)
		n += f->ran[i] == id;
	return n;
}

/* ---- store_jobs: add, read back, refuse ---- */

struct listing {
	int n;
	int64_t ids[64];
	struct store_job first;
	char kind[40], user[40], payload[64];
	bool user_null, payload_null;
	int stop_at;               /* return 1 at this row (1-based), 0: never */
};

static int collect(void *ud, const struct store_job *job)
{
	struct listing *l = ud;

	if (l->n == 0) {
		l->first = *job;
		snprintf(l->kind, sizeof l->kind, "%s", job->kind);
		l->user_null = !job->user_id;
		l->payload_null = !job->payload;
		snprintf(l->user, sizeof l->user, "%s", job->user_id ? job->user_id : "");
		snprintf(l->payload, sizeof l->payload, "%s", job->payload ? job->payload : "");
	}
	if (l->n < 64)
		l->ids[l->n] = job->id;
	l->n++;
	return l->n == l->stop_at ? 1 : 0;
}

static void test_job_add_read_back(void **state)
{
	struct fixture *f = *state;
	struct store_job job = { .kind = "reminder_due", .due_at = 1796000000, .session_id = 3,
				 .action_id = 7, .user_id = "U123",
				 .payload = "{\"days\":2}", .id = 555, .attempts = 9 };
	struct listing l = { 0 };
	int64_t id1 = 0, id2 = 0;

	assert_int_equal(store_job_add(f->s, &job, 1795000000, &id1), 0);
	assert_true(id1 > 0);
	job = (struct store_job){ .kind = "advance", .due_at = 1796000500 };
	assert_int_equal(store_job_add(f->s, &job, 1795000001, &id2), 0);
	assert_true(id2 > id1);
	/* The id is optional. */
	job.due_at = 1796000600;
	assert_int_equal(store_job_add(f->s, &job, 1795000002, NULL), 0);

	assert_int_equal(store_job_each_pending(f->s, 0, collect, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.first.id, id1);
	assert_string_equal(l.kind, "reminder_due");
	assert_int_equal(l.first.due_at, 1796000000);
	assert_int_equal(l.first.session_id, 3);
	assert_int_equal(l.first.action_id, 7);
	assert_string_equal(l.user, "U123");
	assert_string_equal(l.payload, "{\"days\":2}");
	assert_int_equal(l.first.attempts, 0);
	assert_int_equal(l.first.created_at, 1795000000);

	/* No session, action, user or payload: 0 and NULL come back. */
	memset(&l, 0, sizeof l);
	assert_int_equal(store_job_each_due(f->s, 1796000500, 10, collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[1], id2);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM jobs WHERE id = ? AND "
				   "session_id IS NULL AND action_id IS NULL AND user_id IS NULL "
				   "AND payload IS NULL AND state = 'pending' AND done_at IS NULL",
				   id2), 1);
}

struct bad_job_case {
	const char *description;
	struct store_job job;
	int rc;
};

static char long_kind[STORE_JOB_KIND_MAX + 2];
static char max_kind[STORE_JOB_KIND_MAX + 1];
static char long_user[STORE_JOB_USER_MAX + 2];
static char max_user[STORE_JOB_USER_MAX + 1];
static char long_payload[STORE_JOB_PAYLOAD_MAX + 2];
static char max_payload[STORE_JOB_PAYLOAD_MAX + 1];

static void fill(char *buf, size_t len, char c)
{
	memset(buf, c, len - 1);
	buf[len - 1] = '\0';
}

static const struct bad_job_case bad_job_cases[] = {
	{ "no kind", { .kind = NULL, .due_at = 1 }, BOT_ERR_INVALID },
	{ "empty kind", { .kind = "", .due_at = 1 }, BOT_ERR_INVALID },
	{ "upper-case kind", { .kind = "Advance", .due_at = 1 }, BOT_ERR_INVALID },
	{ "kind with a space", { .kind = "report back", .due_at = 1 }, BOT_ERR_INVALID },
	{ "kind with a star", { .kind = "reminder_*", .due_at = 1 }, BOT_ERR_INVALID },
	{ "kind with a dash", { .kind = "report-back", .due_at = 1 }, BOT_ERR_INVALID },
	{ "kind of 33 characters", { .kind = long_kind, .due_at = 1 }, BOT_ERR_INVALID },
	{ "kind of 32 characters", { .kind = max_kind, .due_at = 1 }, 0 },
	{ "negative due_at", { .kind = "nudge", .due_at = -1 }, BOT_ERR_INVALID },
	{ "due_at 0", { .kind = "nudge", .due_at = 0 }, 0 },
	{ "negative session", { .kind = "nudge", .due_at = 1, .session_id = -1 },
	  BOT_ERR_INVALID },
	{ "negative action", { .kind = "nudge", .due_at = 1, .action_id = -2 },
	  BOT_ERR_INVALID },
	{ "user_id over 255 bytes", { .kind = "nudge", .due_at = 1, .user_id = long_user },
	  BOT_ERR_INVALID },
	{ "user_id of 255 bytes", { .kind = "nudge", .due_at = 1, .user_id = max_user }, 0 },
	{ "payload over 16 KiB", { .kind = "nudge", .due_at = 1, .payload = long_payload },
	  BOT_ERR_INVALID },
	{ "payload of 16 KiB", { .kind = "nudge", .due_at = 1, .payload = max_payload }, 0 },
};

static void test_job_add_refused(void **state)
{
	struct fixture *f = *state;
	int64_t id = 4242;

	for (size_t i = 0; i < ARRAY_LEN(bad_job_cases); i++) {
		const struct bad_job_case *c = &bad_job_cases[i];
		long long before = query_int(f->s, "SELECT count(*) FROM jobs", 0);

		print_message("store_job_add: %s\n", c->description);
		id = 4242;
		assert_int_equal(store_job_add(f->s, &c->job, 1, &id), c->rc);
		assert_int_equal(query_int(f->s, "SELECT count(*) FROM jobs", 0),
				 before + (c->rc == 0));
		if (c->rc)
			assert_int_equal(id, 4242);
	}
	assert_int_equal(store_job_add(f->s, NULL, 1, &id), BOT_ERR_INVALID);
}

/* ---- store_jobs: due, next, done, retry ---- */

static void test_job_next_due_and_each_due(void **state)
{
	struct fixture *f = *state;
	struct listing l = { 0 };
	int64_t due = 0, a, b, c, d, e;

	assert_int_equal(store_job_next_due_at(f->s, &due), BOT_ERR_NOT_FOUND);
	a = add_job(f, "advance", 300, 1, 0, NULL);
	b = add_job(f, "nudge", 100, 1, 0, "alice");
	c = add_job(f, "nudge", 200, 1, 0, "bob");
	d = add_job(f, "nudge", 200, 1, 0, "carol");   /* same due time as c: id order */
	e = add_job(f, "report_back", 5000, 1, 0, NULL);
	assert_int_equal(store_job_next_due_at(f->s, &due), 0);
	assert_int_equal(due, 100);

	/* Oldest due first, ties by id, due_at <= now inclusive, the future left out. */
	assert_int_equal(store_job_each_due(f->s, 300, 10, collect, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.ids[0], b);
	assert_int_equal(l.ids[1], c);
	assert_int_equal(l.ids[2], d);
	assert_int_equal(l.ids[3], a);
	/* The limit. */
	memset(&l, 0, sizeof l);
	assert_int_equal(store_job_each_due(f->s, 300, 2, collect, &l), 0);
	assert_int_equal(l.n, 2);
	/* Nothing due yet. */
	memset(&l, 0, sizeof l);
	assert_int_equal(store_job_each_due(f->s, 99, 10, collect, &l), 0);
	assert_int_equal(l.n, 0);
	/* A non-zero return stops and comes back. */
	memset(&l, 0, sizeof l);
	l.stop_at = 2;
	assert_int_equal(store_job_each_due(f->s, 300, 10, collect, &l), 1);
	assert_int_equal(l.n, 2);
	assert_int_equal(store_job_each_due(f->s, 300, 0, collect, &l), BOT_ERR_INVALID);
	assert_int_equal(store_job_each_due(f->s, 300, -1, collect, &l), BOT_ERR_INVALID);

	/* Done and cancelled jobs are not due and not next. */
	assert_int_equal(store_job_mark_done(f->s, b, 150), 0);
	assert_int_equal(store_job_next_due_at(f->s, &due), 0);
	assert_int_equal(due, 200);
	assert_int_equal(store_job_mark_done(f->s, b, 160), BOT_ERR_NOT_FOUND);
	assert_int_equal(query_int(f->s, "SELECT done_at FROM jobs WHERE id = ?", b), 150);
	assert_int_equal(store_job_mark_done(f->s, 9999, 150), BOT_ERR_NOT_FOUND);
	struct store_job_match m = { .session_id = 1, .kind = "nudge" };
	assert_int_equal(store_job_cancel_for(f->s, &m, 170, NULL), 0);
	assert_int_equal(store_job_mark_done(f->s, c, 180), BOT_ERR_NOT_FOUND);
	memset(&l, 0, sizeof l);
	assert_int_equal(store_job_each_due(f->s, 10000, 10, collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[0], a);
	assert_int_equal(l.ids[1], e);
	assert_int_equal(store_job_next_due_at(f->s, &due), 0);
	assert_int_equal(due, 300);
	assert_int_equal(store_job_mark_done(f->s, a, 400), 0);
	assert_int_equal(store_job_mark_done(f->s, e, 400), 0);
	due = 77;
	assert_int_equal(store_job_next_due_at(f->s, &due), BOT_ERR_NOT_FOUND);
	assert_int_equal(due, 77);
}

static void test_job_retry_at(void **state)
{
	struct fixture *f = *state;
	struct listing l = { 0 };
	int64_t a = add_job(f, "reminder_due", 100, 1, 7, "alice");

	assert_int_equal(store_job_retry_at(f->s, a, 160), 0);
	assert_int_equal(store_job_retry_at(f->s, a, 164), 0);
	assert_int_equal(store_job_each_pending(f->s, 1, collect, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.first.due_at, 164);
	assert_int_equal(l.first.attempts, 2);
	assert_int_equal(store_job_retry_at(f->s, 9999, 164), BOT_ERR_NOT_FOUND);
	assert_int_equal(store_job_mark_done(f->s, a, 170), 0);
	assert_int_equal(store_job_retry_at(f->s, a, 180), BOT_ERR_NOT_FOUND);
	assert_int_equal(query_int(f->s, "SELECT due_at FROM jobs WHERE id = ?", a), 164);
}

/* ---- store_jobs: cancel_for ---- */

struct cancel_case {
	const char *description;
	struct store_job_match m;
	int rc;
	const char *cancelled;     /* names of the jobs cancelled, in the table's order */
};

/* The jobs every cancel case starts from (name = user_id column, for telling them apart). */
static const struct {
	const char *name, *kind;
	int64_t due, session, action;
	const char *user;
} cancel_jobs[] = {
	{ "before7", "reminder_before", 100, 1, 7, "alice" },
	{ "due7", "reminder_due", 200, 1, 7, "alice" },
	{ "over7", "reminder_overdue", 300, 1, 7, "alice" },
	{ "esc7", "escalate", 400, 1, 7, "fac" },
	{ "due8", "reminder_due", 200, 1, 8, "bob" },
	{ "odd7", "reminderx_due", 200, 1, 7, "alice" },
	{ "nudge_a1", "nudge", 100, 1, 0, "alice" },
	{ "nudge_a2", "nudge", 200, 1, 0, "alice" },
	{ "nudge_a3", "nudge", 300, 1, 0, "alice" },
	{ "nudge_b", "nudge", 100, 1, 0, "bob" },
	{ "adv1", "advance", 500, 1, 0, NULL },
	{ "adv2", "advance", 500, 2, 0, NULL },
	{ "report2", "report_back", 900, 2, 0, NULL },
};

static const struct cancel_case cancel_cases[] = {
	{ "all reminders of item 7 (prefix; '_' is literal, not a wildcard)",
	  { .kind = "reminder_*", .action_id = 7 }, 0, "before7 due7 over7" },
	{ "one kind of reminder of item 7", { .kind = "reminder_due", .action_id = 7 }, 0,
	  "due7" },
	{ "a shorter prefix", { .kind = "remind*", .action_id = 7 }, 0,
	  "before7 due7 over7 odd7" },
	{ "everything of item 7", { .action_id = 7 }, 0, "before7 due7 over7 esc7 odd7" },
	{ "everything of session 2", { .session_id = 2 }, 0, "adv2 report2" },
	{ "the advance of session 1", { .kind = "advance", .session_id = 1 }, 0, "adv1" },
	{ "alice's nudges", { .kind = "nudge", .user_id = "alice" }, 0,
	  "nudge_a1 nudge_a2 nudge_a3" },
	{ "alice's nudges due by 200 (coalescing)",
	  { .kind = "nudge", .user_id = "alice", .due_by = 200 }, 0, "nudge_a1 nudge_a2" },
	{ "a kind no job has", { .kind = "nudge", .action_id = 7 }, 0, "" },
	{ "an item with no jobs", { .action_id = 12345 }, 0, "" },
	{ "session and action must both match", { .session_id = 2, .action_id = 7 }, 0, "" },
	{ "a kind alone is refused", { .kind = "nudge" }, BOT_ERR_INVALID, "" },
	{ "no criteria", { 0 }, BOT_ERR_INVALID, "" },
	{ "a bare star", { .kind = "*", .session_id = 1 }, BOT_ERR_INVALID, "" },
	{ "two stars", { .kind = "nudge**", .session_id = 1 }, BOT_ERR_INVALID, "" },
	{ "a star inside", { .kind = "nu*dge", .session_id = 1 }, BOT_ERR_INVALID, "" },
	{ "upper case", { .kind = "Nudge", .session_id = 1 }, BOT_ERR_INVALID, "" },
	{ "negative session", { .session_id = -1 }, BOT_ERR_INVALID, "" },
	{ "negative action", { .action_id = -1 }, BOT_ERR_INVALID, "" },
	{ "negative due_by", { .session_id = 1, .due_by = -1 }, BOT_ERR_INVALID, "" },
	{ "over-long user", { .session_id = 1, .user_id = long_user }, BOT_ERR_INVALID, "" },
};

struct name_visit {
	char names[256];
};

static int collect_names(void *ud, sqlite3_stmt *st)
{
	struct name_visit *v = ud;
	size_t len = strlen(v->names);

	snprintf(v->names + len, sizeof v->names - len, "%s%s", len ? " " : "",
		 (const char *)sqlite3_column_text(st, 0));
	return 0;
}

static void test_job_cancel_for(void **state)
{
	struct fixture *f = *state;
	static const char add_sql[] =
		"INSERT INTO jobs (kind, due_at, session_id, action_id, user_id, payload, "
		"created_at) VALUES (?, ?, ?, nullif(?, 0), ?, ?, 1)";
	static const char names_sql[] =
		"SELECT payload FROM jobs WHERE state = 'cancelled' AND done_at = 1000 ORDER BY id";
	static const char reset_sql[] = "DELETE FROM jobs";

	for (size_t i = 0; i < ARRAY_LEN(cancel_cases); i++) {
		const struct cancel_case *c = &cancel_cases[i];
		struct name_visit v = { "" };
		int n = -1, want = 0;

		print_message("store_job_cancel_for: %s\n", c->description);
		assert_int_equal(store_step_done(f->s, store_stmt(f->s, reset_sql)), 0);
		for (size_t j = 0; j < ARRAY_LEN(cancel_jobs); j++) {
			sqlite3_stmt *st = store_stmt(f->s, add_sql);
			store_bind_text(st, 1, cancel_jobs[j].kind);
			sqlite3_bind_int64(st, 2, cancel_jobs[j].due);
			sqlite3_bind_int64(st, 3, cancel_jobs[j].session);
			sqlite3_bind_int64(st, 4, cancel_jobs[j].action);
			store_bind_text(st, 5, cancel_jobs[j].user);
			store_bind_text(st, 6, cancel_jobs[j].name);
			assert_int_equal(store_step_done(f->s, st), 0);
		}
		/* One done job matching everything: never touched. */
		int64_t done = add_job(f, "reminder_due", 50, 2, 7, "alice");
		assert_int_equal(store_job_mark_done(f->s, done, 60), 0);

		assert_int_equal(store_job_cancel_for(f->s, &c->m, 1000, &n), c->rc);
		assert_int_equal(store_each_row(f->s, store_stmt(f->s, names_sql), collect_names,
						&v), 0);
		assert_string_equal(v.names, c->cancelled);
		for (const char *p = c->cancelled; *p; p++)
			want += (p == c->cancelled || p[-1] == ' ');
		assert_int_equal(n, want);
		assert_int_equal(job_state(f, done), DONE);
		assert_int_equal(query_int(f->s, "SELECT done_at FROM jobs WHERE id = ?", done), 60);
	}
	/* The count is optional; a NULL match is refused. */
	struct store_job_match m = { .session_id = 1 };
	assert_int_equal(store_job_cancel_for(f->s, &m, 1000, NULL), 0);
	assert_int_equal(store_job_cancel_for(f->s, NULL, 1000, NULL), BOT_ERR_INVALID);
}

static void test_job_each_pending(void **state)
{
	struct fixture *f = *state;
	struct listing l = { 0 };
	int64_t a = add_job(f, "advance", 500, 1, 0, NULL);
	int64_t b = add_job(f, "nudge", 100, 2, 0, "bob");
	int64_t c = add_job(f, "reminder_due", 300, 1, 4, "alice");
	int64_t d = add_job(f, "report_back", 50, 1, 0, NULL);
	int64_t e = add_job(f, "reminder_due", 400, 0, 0, "carol");   /* no session */

	assert_int_equal(store_job_mark_done(f->s, d, 60), 0);
	assert_int_equal(store_job_each_pending(f->s, 1, collect, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ids[0], c);
	assert_int_equal(l.ids[1], a);
	memset(&l, 0, sizeof l);
	assert_int_equal(store_job_each_pending(f->s, 0, collect, &l), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.ids[0], b);
	assert_int_equal(l.ids[1], c);
	assert_int_equal(l.ids[2], e);
	assert_int_equal(l.ids[3], a);
	memset(&l, 0, sizeof l);
	assert_int_equal(store_job_each_pending(f->s, 77, collect, &l), 0);
	assert_int_equal(l.n, 0);
	memset(&l, 0, sizeof l);
	l.stop_at = 1;
	assert_int_equal(store_job_each_pending(f->s, 0, collect, &l), 1);
	assert_int_equal(l.n, 1);
}

/* ---- store_jobs: the plan of the due lookup ---- */

struct plan {
	char text[1024];
};

static int collect_plan(void *ud, sqlite3_stmt *st)
{
	struct plan *p = ud;
	size_t len = strlen(p->text);

	snprintf(p->text + len, sizeof p->text - len, "%s\n",
		 (const char *)sqlite3_column_text(st, 3));
	return 0;
}

static void test_job_due_uses_index(void **state)
{
	struct fixture *f = *state;
	static const char due_plan[] = "EXPLAIN QUERY PLAN " STORE_JOB_DUE_SQL;
	static const char next_plan[] = "EXPLAIN QUERY PLAN " STORE_JOB_NEXT_SQL;
	static const char history_sql[] =
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
		"INSERT INTO jobs (kind, due_at, state, created_at, done_at) "
		"SELECT 'nudge', i, 'done', i, i FROM n";
	struct plan p = { "" };
	sqlite3_stmt *st;

	/* Weeks of history: many done jobs, a few pending; then let the planner see it. */
	assert_int_equal(store_step_done(f->s, store_stmt(f->s, history_sql)), 0);
	for (int i = 0; i < 5; i++)
		add_job(f, "reminder_due", 3000 + i, 1, i + 1, NULL);
	assert_int_equal(store_step_done(f->s, store_stmt(f->s, "ANALYZE")), 0);

	st = store_stmt(f->s, due_plan);
	assert_non_null(st);
	sqlite3_bind_int64(st, 1, 5000);
	sqlite3_bind_int(st, 2, SCHED_BATCH);
	assert_int_equal(store_each_row(f->s, st, collect_plan, &p), 0);
	print_message("due lookup:\n%s", p.text);
	if (!strstr(p.text, "USING INDEX jobs_due") &&
	    !strstr(p.text, "USING COVERING INDEX jobs_due"))
		fail_msg("the due lookup does not use jobs_due:\n%s", p.text);
	assert_not_contains(p.text, "SCAN");
	assert_not_contains(p.text, "TEMP B-TREE");   /* ORDER BY comes from the index */

	p.text[0] = '\0';
	st = store_stmt(f->s, next_plan);
	assert_non_null(st);
	assert_int_equal(store_each_row(f->s, st, collect_plan, &p), 0);
	print_message("next due:\n%s", p.text);
	assert_contains(p.text, "USING COVERING INDEX jobs_due");
	assert_not_contains(p.text, "SCAN");
	assert_not_contains(p.text, "TEMP B-TREE");
}

/* ---- store_jobs: database errors ---- */

static int no_job(void *ud, const struct store_job *job)
{
	(void)ud;
	(void)job;
	fail_msg("no job expected");
	return 0;
}

static void expect_db_errors(struct fixture *f)
{
	struct store_job job = { .kind = "nudge", .due_at = 1 };
	struct store_job_match m = { .session_id = 1 };
	int64_t due = 0, id = 0;
	int n = -1;

	assert_int_equal(store_job_add(f->s, &job, 1, &id), BOT_ERR_DB);
	assert_int_equal(store_job_next_due_at(f->s, &due), BOT_ERR_DB);
	assert_int_equal(store_job_each_due(f->s, 10, 5, no_job, NULL), BOT_ERR_DB);
	assert_int_equal(store_job_mark_done(f->s, 1, 1), BOT_ERR_DB);
	assert_int_equal(store_job_retry_at(f->s, 1, 1), BOT_ERR_DB);
	assert_int_equal(store_job_cancel_for(f->s, &m, 1, &n), BOT_ERR_DB);
	assert_int_equal(n, 0);
	assert_int_equal(store_job_each_pending(f->s, 0, no_job, NULL), BOT_ERR_DB);
}

static void drop_jobs(struct fixture *f)
{
	static const char sql[] = "DROP TABLE jobs";
	assert_int_equal(store_step_done(f->s, store_stmt(f->s, sql)), 0);
}

/* The statements cannot even be prepared. */
static void test_job_db_errors_prepare(void **state)
{
	struct fixture *f = *state;

	drop_jobs(f);
	expect_db_errors(f);
}

/* The statements were prepared (cached) and fail when stepped. */
static void test_job_db_errors_step(void **state)
{
	struct fixture *f = *state;
	struct store_job job = { .kind = "nudge", .due_at = 1 };
	struct store_job_match m = { .session_id = 1 };
	struct listing l = { 0 };
	int64_t due, id;

	assert_int_equal(store_job_add(f->s, &job, 1, &id), 0);
	assert_int_equal(store_job_next_due_at(f->s, &due), 0);
	assert_int_equal(store_job_each_due(f->s, 10, 5, collect, &l), 0);
	assert_int_equal(store_job_retry_at(f->s, id, 2), 0);
	assert_int_equal(store_job_mark_done(f->s, id, 1), 0);
	assert_int_equal(store_job_cancel_for(f->s, &m, 1, NULL), 0);
	assert_int_equal(store_job_each_pending(f->s, 0, collect, &l), 0);
	drop_jobs(f);
	expect_db_errors(f);
}

/* ---- sched ---- */

static void test_sched_fires_in_due_order_once(void **state)
{
	struct fixture *f = *state;
	int64_t now = clock_now();
	int64_t a = add_job(f, "advance", now - 50, 1, 0, NULL);
	int64_t b = add_job(f, "nudge", now - 10, 1, 0, "bob");
	int64_t c = add_job(f, "nudge", now - 30, 1, 0, "carol");
	int64_t d = add_job(f, "nudge", now - 30, 1, 0, "dave");
	int64_t e = add_job(f, "reminder_due", now - 1, 1, 3, "erin");
	int64_t later = add_job(f, "report_back", now + 1, 1, 0, NULL);  /* timer waits */
	int64_t far = add_job(f, "report_back", now + 86400, 1, 0, NULL);
	const int64_t want[] = { a, c, d, b, e, later };

	start_sched(f, true);
	run_until(f, 6);
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		assert_int_equal(f->ran[i], want[i]);
		assert_int_equal(job_state(f, want[i]), DONE);
		assert_int_equal(outbox_rows_for(f, want[i]), 1);
	}
	/* The first five were due at once: one tick. The future one: a later tick. */
	assert_int_equal(f->ran_turn[0], f->ran_turn[4]);
	assert_true(f->ran_turn[5] > f->ran_turn[4]);
	/* Nothing runs again; the far job waits. */
	run_for(f, 300);
	assert_true(f->watchdog_fired);
	assert_int_equal(f->n_ran, 6);
	assert_int_equal(job_state(f, far), PENDING);
	assert_int_equal(outbox_rows_for(f, far), 0);
}

/* The callback's row and the job's "done" commit together, or neither does. */
static void test_sched_same_transaction(void **state)
{
	struct fixture *f = *state;
	int64_t now = clock_now();
	int64_t a = add_job(f, "nudge", now - 20, 1, 0, "alice");
	int64_t b = add_job(f, "nudge", now - 10, 1, 0, "bob");
	int64_t c = add_job(f, "nudge", now - 5, 1, 0, "carol");

	f->behaviour = RUN_FAIL_ONCE;
	f->fail_id = b;
	start_sched(f, true);
	run_until(f, 3);
	assert_int_equal(job_state(f, a), DONE);
	assert_int_equal(outbox_rows_for(f, a), 1);
	/* b wrote its row, then failed: neither the row nor "done" is there. */
	assert_int_equal(job_state(f, b), PENDING);
	assert_int_equal(outbox_rows_for(f, b), 0);
	assert_int_equal(query_int(f->s, "SELECT attempts FROM jobs WHERE id = ?", b), 1);
	assert_true(query_int(f->s, "SELECT due_at FROM jobs WHERE id = ?", b) > now);
	/* A failure does not hold up the rest of the batch. */
	assert_int_equal(job_state(f, c), DONE);
	assert_int_equal(outbox_rows_for(f, c), 1);
	/* No spinning: the retry waits about a second. */
	run_for(f, 300);
	assert_int_equal(times_ran(f, b), 1);
	/* Then it runs once more, and this time both commit. */
	run_until(f, 4);
	assert_int_equal(times_ran(f, b), 2);
	assert_int_equal(job_state(f, b), DONE);
	assert_int_equal(outbox_rows_for(f, b), 1);
	run_for(f, 300);
	assert_int_equal(f->n_ran, 4);
}

/* A commit that fails (a deferred foreign key broken by the callback's row, in a table
 * of the test's own) rolls back the job's "done" and the callback's outbox row. */
static void test_sched_commit_fails(void **state)
{
	struct fixture *f = *state;
	static const char ddl[] =
		"CREATE TABLE test_child (parent INTEGER REFERENCES sessions (id) "
		"DEFERRABLE INITIALLY DEFERRED)";
	int64_t now = clock_now();
	int64_t a;

	assert_int_equal(store_step_done(f->s, store_stmt(f->s, ddl)), 0);
	a = add_job(f, "reminder_due", now - 5, 1, 7, "alice");
	f->behaviour = RUN_FAIL_COMMIT;
	f->fail_id = a;
	start_sched(f, true);
	run_until(f, 1);
	assert_int_equal(job_state(f, a), PENDING);
	assert_int_equal(outbox_rows_for(f, a), 0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM test_child", 0), 0);
	assert_int_equal(query_int(f->s, "SELECT attempts FROM jobs WHERE id = ?", a), 1);
	make_due_now(f, a);
	run_until(f, 2);
	assert_int_equal(job_state(f, a), DONE);
	assert_int_equal(outbox_rows_for(f, a), 1);
}

/* A restart (store closed and opened again, a new scheduler) fires nothing twice, and a
 * job that failed before it fires once after it. */
static void test_sched_restart(void **state)
{
	struct fixture *f = *state;
	int64_t now = clock_now();
	int64_t a = add_job(f, "advance", now - 30, 1, 0, NULL);
	int64_t b = add_job(f, "nudge", now - 20, 1, 0, "bob");
	int64_t c = add_job(f, "reminder_due", now - 10, 1, 7, "carol");
	int64_t far = add_job(f, "report_back", now + 86400, 1, 0, NULL);

	f->behaviour = RUN_FAIL_ONCE;
	f->fail_id = c;
	start_sched(f, true);
	run_until(f, 3);
	assert_int_equal(job_state(f, c), PENDING);

	sched_free(f->sched);
	f->sched = NULL;
	run_for(f, 10);   /* the close completes */
	store_close(f->s);
	f->s = NULL;
	open_store(f);
	f->n_ran = 0;
	start_sched(f, true);
	make_due_now(f, c);
	run_until(f, 1);
	assert_int_equal(f->ran[0], c);
	run_for(f, 300);
	assert_int_equal(f->n_ran, 1);
	assert_int_equal(outbox_rows_for(f, a), 1);
	assert_int_equal(outbox_rows_for(f, b), 1);
	assert_int_equal(outbox_rows_for(f, c), 1);
	assert_int_equal(job_state(f, far), PENDING);

	/* And once more with everything done: nothing at all. */
	sched_free(f->sched);
	f->sched = NULL;
	run_for(f, 10);
	store_close(f->s);
	f->s = NULL;
	open_store(f);
	f->n_ran = 0;
	start_sched(f, true);
	run_for(f, 200);
	assert_int_equal(f->n_ran, 0);
}

/* 100 overdue jobs (the bot was down) drain in ticks of SCHED_BATCH, with the loop
 * turning between ticks, each job once, oldest first. */
static void test_sched_backlog_in_batches(void **state)
{
	struct fixture *f = *state;
	int64_t now = clock_now();
	int64_t ids[100];
	int ticks = 0, in_tick = 0, sizes[8] = { 0 };

	assert_int_equal(store_begin(f->s), 0);
	for (int i = 0; i < 100; i++)
		ids[i] = add_job(f, "nudge", now - 3 * 86400 + i * 60, 1, 0, "alice");
	assert_int_equal(store_commit(f->s), 0);
	start_sched(f, true);
	run_until(f, 100);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(f->ran[i], ids[i]);
		if (i > 0 && f->ran_turn[i] != f->ran_turn[i - 1]) {
			assert_true(ticks < 8);
			sizes[ticks++] = in_tick;
			in_tick = 0;
		}
		in_tick++;
	}
	sizes[ticks++] = in_tick;
	print_message("ticks: %d (%d, %d, %d, %d)\n", ticks, sizes[0], sizes[1], sizes[2],
		      sizes[3]);
	assert_int_equal(ticks, 4);
	assert_int_equal(sizes[0], SCHED_BATCH);
	assert_int_equal(sizes[1], SCHED_BATCH);
	assert_int_equal(sizes[2], SCHED_BATCH);
	assert_int_equal(sizes[3], 100 - 3 * SCHED_BATCH);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM jobs WHERE state = 'done'", 0),
			 100);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM outbox", 0), 100);
	run_for(f, 200);
	assert_int_equal(f->n_ran, 100);
}

/* cancel_for removes pending jobs: before a tick, and from an earlier job of the same
 * tick (the later one is skipped, not run). */
static void test_sched_cancel(void **state)
{
	struct fixture *f = *state;
	int64_t now = clock_now();
	int64_t gone = add_job(f, "reminder_before", now - 40, 1, 7, "alice");
	int64_t trigger = add_job(f, "advance", now - 30, 1, 0, NULL);
	int64_t victim1 = add_job(f, "reminder_due", now - 20, 1, 99, "bob");
	int64_t victim2 = add_job(f, "reminder_overdue", now + 3600, 1, 99, "bob");
	int64_t keep = add_job(f, "reminder_due", now - 10, 1, 8, "carol");
	struct store_job_match m = { .kind = "reminder_*", .action_id = 7 };
	int n = 0;

	assert_int_equal(store_job_cancel_for(f->s, &m, now, &n), 0);
	assert_int_equal(n, 1);
	f->behaviour = RUN_CANCEL_OTHER;
	f->fail_id = trigger;
	start_sched(f, true);
	run_until(f, 2);
	run_for(f, 200);
	assert_int_equal(f->n_ran, 2);
	assert_int_equal(f->ran[0], trigger);
	assert_int_equal(f->ran[1], keep);
	assert_int_equal(job_state(f, gone), CANCELLED);
	assert_int_equal(job_state(f, victim1), CANCELLED);
	assert_int_equal(job_state(f, victim2), CANCELLED);
	assert_int_equal(outbox_rows_for(f, victim1), 0);
}

/* A job added (and sched_arm called) from inside a run fires in a later tick, once. */
static void test_sched_add_from_run(void **state)
{
	struct fixture *f = *state;
	int64_t a = add_job(f, "advance", clock_now() - 5, 1, 0, NULL);

	f->behaviour = RUN_ADD_JOB;
	f->fail_id = a;
	start_sched(f, true);
	run_until(f, 2);
	run_for(f, 200);
	assert_int_equal(f->n_ran, 2);
	assert_int_equal(f->ran[0], a);
	assert_int_equal(f->ran[1], f->added_id);
	assert_true(f->ran_turn[1] > f->ran_turn[0]);
	assert_int_equal(job_state(f, f->added_id), DONE);
}

/* With the clock frozen (WORKSHOPBOT_NOW) the timer is armed only for due jobs; the loop
 * is then free to end. With a running clock a future job keeps it armed. */
static void test_sched_frozen_clock(void **state)
{
	struct fixture *f = *state;
	char err[BOT_ERRMSG_MAX];
	int64_t due, future;

	assert_int_equal(setenv("WORKSHOPBOT_NOW", "2026-12-01T09:00:00Z", 1), 0);
	assert_int_equal(clock_init(err, sizeof err), 0);
	due = add_job(f, "advance", clock_now() - 60, 1, 0, NULL);
	future = add_job(f, "advance", clock_now() + 60, 1, 0, NULL);

	start_sched(f, false);
	assert_true(uv_loop_alive(&f->loop));      /* armed for the due job */
	run_until(f, 1);
	assert_int_equal(f->ran[0], due);
	assert_int_equal(job_state(f, future), PENDING);
	assert_false(uv_loop_alive(&f->loop));     /* a future job: not armed */
	sched_arm(f->sched);
	assert_false(uv_loop_alive(&f->loop));
	run_for(f, 200);
	assert_int_equal(f->n_ran, 1);

	/* A scheduler whose clock runs does arm for it. */
	sched_free(f->sched);
	f->sched = NULL;
	run_for(f, 10);                            /* the close completes */
	assert_false(uv_loop_alive(&f->loop));
	start_sched(f, true);
	assert_true(uv_loop_alive(&f->loop));
	/* With nothing pending at all the timer stops. */
	assert_int_equal(store_job_mark_done(f->s, future, clock_now()), 0);
	sched_arm(f->sched);
	assert_false(uv_loop_alive(&f->loop));
	sched_arm(NULL);   /* harmless */

	assert_int_equal(unsetenv("WORKSHOPBOT_NOW"), 0);
	assert_int_equal(clock_init(err, sizeof err), 0);
}

/* The jobs table cannot be read: logged, looked at again in a second, no spinning. */
static void test_sched_db_error_no_spin(void **state)
{
	struct fixture *f = *state;

	add_job(f, "advance", clock_now() - 5, 1, 0, NULL);
	start_sched(f, true);
	drop_jobs(f);
	f->iterations = 0;
	run_for(f, 300);
	assert_true(f->watchdog_fired);
	assert_int_equal(f->n_ran, 0);
	assert_true(f->iterations < 10);
	assert_true(uv_loop_alive(&f->loop));     /* it will look again */
}

/* Another connection holds the write lock: the begin fails and so does recording the
 * retry. The job stays due, the scheduler waits a second between tries instead of
 * spinning, and the job runs once when the lock is gone. */
static void test_sched_locked_database(void **state)
{
	struct fixture *f = *state;
	sqlite3 *other = NULL;
	int64_t a = add_job(f, "advance", clock_now() - 5, 1, 0, NULL);
	int64_t b = add_job(f, "nudge", clock_now() - 4, 1, 0, "bob");

	assert_int_equal(sqlite3_open_v2(f->db, &other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	start_sched(f, true);
	f->iterations = 0;
	run_for(f, 1500);
	assert_int_equal(f->n_ran, 0);
	assert_true(f->iterations < 20);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	run_until(f, 2);
	run_for(f, 200);
	assert_int_equal(f->n_ran, 2);
	assert_int_equal(f->ran[0], a);
	assert_int_equal(f->ran[1], b);
	assert_int_equal(query_int(f->s, "SELECT attempts FROM jobs WHERE id = ?", a), 0);
}

/* A callback that commits behind the scheduler's back (a bug): the scheduler's commit
 * fails, the job (already committed done) cannot be retimed; logged, no crash, no
 * second run. */
static void test_sched_commit_misuse(void **state)
{
	struct fixture *f = *state;
	int64_t a = add_job(f, "advance", clock_now() - 5, 1, 0, NULL);

	f->behaviour = RUN_BAD_COMMIT;
	f->fail_id = a;
	start_sched(f, true);
	run_until(f, 1);
	run_for(f, 300);
	assert_int_equal(f->n_ran, 1);
	assert_int_equal(job_state(f, a), DONE);
}

static void test_sched_free_null(void **state)
{
	(void)state;
	sched_free(NULL);
}

#define FIXTURE_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest jobs[] = {
		FIXTURE_TEST(test_job_add_read_back),
		FIXTURE_TEST(test_job_add_refused),
		FIXTURE_TEST(test_job_next_due_and_each_due),
		FIXTURE_TEST(test_job_retry_at),
		FIXTURE_TEST(test_job_cancel_for),
		FIXTURE_TEST(test_job_each_pending),
		FIXTURE_TEST(test_job_due_uses_index),
		FIXTURE_TEST(test_job_db_errors_prepare),
		FIXTURE_TEST(test_job_db_errors_step),
	};
	const struct CMUnitTest sched[] = {
		FIXTURE_TEST(test_sched_fires_in_due_order_once),
		FIXTURE_TEST(test_sched_same_transaction),
		FIXTURE_TEST(test_sched_commit_fails),
		FIXTURE_TEST(test_sched_restart),
		FIXTURE_TEST(test_sched_backlog_in_batches),
		FIXTURE_TEST(test_sched_cancel),
		FIXTURE_TEST(test_sched_add_from_run),
		FIXTURE_TEST(test_sched_frozen_clock),
		FIXTURE_TEST(test_sched_db_error_no_spin),
		FIXTURE_TEST(test_sched_locked_database),
		FIXTURE_TEST(test_sched_commit_misuse),
		cmocka_unit_test(test_sched_free_null),
	};
	char err[BOT_ERRMSG_MAX];
	int failed = 0;

	fill(long_kind, sizeof long_kind, 'k');
	fill(max_kind, sizeof max_kind, 'k');
	fill(long_user, sizeof long_user, 'u');
	fill(max_user, sizeof max_user, 'u');
	fill(long_payload, sizeof long_payload, 'p');
	fill(max_payload, sizeof max_payload, 'p');
	unsetenv("WORKSHOPBOT_NOW");
	if (clock_init(err, sizeof err) != 0)
		return 1;
	/* The error paths log on purpose; keep the output to the test results. */
	log_set_level(LOG_ERR);
	failed += cmocka_run_group_tests_name("store_jobs", jobs, NULL, NULL);
	failed += cmocka_run_group_tests_name("sched", sched, NULL, NULL);
	return failed ? 1 : 0;
}
