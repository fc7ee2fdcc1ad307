/* test_pacing.c - timed sessions (handlers/pacing.h) on a real SQLite store: the warn and
 * advance jobs that start, next, back, pause, resume, pace and end leave in the jobs table
 * (kind, the question they were made for, UTC instant), and what running them queues.
 *
 * Events are struct literals on transport "test", channel "C1", dispatched with
 * workshop_dispatch() as a transport would (alice starts the session and facilitates).
 * The clock is moved with WORKSHOPBOT_NOW + clock_init(). Due jobs are run the way the
 * scheduler runs them (each in its own store_begin / mark done / run / store_commit, the
 * run picked by kind as bot.c does). After each step the outbox of "test" is drained into
 * f->sent[] (rendered plain).
 *
 * The shipped template's questions are at prompt indexes 0, 1, 3, 4 ... 22 (index 2 is an
 * info prompt shown with question 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bot/store_direct.h"
#include "bot/store_sessions.h"
#include "handlers/pacing.h"
#include "handlers/pacing_async.h"
#include "handlers/reminders.h"
#include "tests/unit/workshop_fixture.h"

#define USAGE_START \
	"Usage: !ws start [template] [live|timed <duration>|async daily <HH:MM>] [tz <zone>]"
#define USAGE_PACE "Usage: !ws pace live|timed <duration>|async daily <HH:MM>"

/* ---- suite and case setup ------------------------------------------------------------ */

static int setup(void **state)
{
	return wf_setup(state, "test_pacing", "[workshopbot]\ntimezone = Europe/Berlin\n");
}

/* ---- the outbox, events and jobs ----------------------------------------------------- */

/* Fails unless the pending pacing jobs (timed and async; an ended session's report-back
 * prompts are not this suite's) are exactly `want` ("kind payload ISO", soonest first,
 * separated by "; "). */
static void assert_jobs(struct fixture *f, const char *want)
{
	struct job_list l = pending(f);
	char got[2048] = "", when[32];
	size_t used = 0;

	for (size_t i = 0; i < l.n; i++) {
		if (!pacing_is_job(l.v[i].kind) && !pacing_async_is_job(l.v[i].kind))
			continue;
		clock_format_utc((time_t)l.v[i].due_at, when, sizeof when);
		used += (size_t)snprintf(got + used, sizeof got - used, "%s%s %s %s", used ? "; " : "",
					 l.v[i].kind, l.v[i].payload, when);
	}
	if (strcmp(got, want) != 0)
		fail_msg("pending jobs:\n  got:  %s\n  want: %s", got, want);
}

/* A number from the store through a second, read-only connection. */
static long long query_int(struct fixture *f, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static long prompt_index(struct fixture *f)
{
	struct session_rec s;

	assert_int_equal(store_session_get(f->store, 1, &s), 0);
	return s.prompt_index;
}

/* Runs a job by kind, as bot.c does. */
static int run_by_kind(struct workshop *w, const struct store_job *job, int64_t now)
{
	return pacing_is_job(job->kind) ? pacing_run(w, job, now)
	       : pacing_async_is_job(job->kind) ? pacing_async_run(w, job, now)
	       : reminders_run(w, job, now);
}

/* Runs one job the way the scheduler does; false when it was no longer pending. */
static bool run_job(struct fixture *f, const struct job_seen *j, int64_t now)
{
	struct store_job job = { .id = j->id, .kind = j->kind, .due_at = j->due_at,
				 .session_id = j->session_id,
				 .payload = j->payload[0] ? j->payload : NULL };

	return wf_run_job(f, &job, now, run_by_kind);
}

/* Runs every job due by now; returns the messages queued. */
static size_t run_due(struct fixture *f, int64_t now)
{
	return wf_run_due(f, now, run_job);
}

/* Runs the next pending job at its own due time; returns the messages queued. */
static size_t run_next(struct fixture *f, int64_t *when)
{
	return wf_run_next(f, when, run_job);
}

/* alice starts a timed session at 09:00Z. */
static void start_timed(struct fixture *f, const char *spec)
{
	char line[96];

	set_now("2026-11-29T09:00:00Z");
	snprintf(line, sizeof line, "!ws start %s", spec);
	assert_int_equal(say(f, "alice", line), 2);
}

/* ---- the cases ----------------------------------------------------------------------- */

static void test_start_timed_schedules_warn_and_advance(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	f->w.jobs_changed = false;
	start_timed(f, "timed 10m");
	assert_true(f->w.jobs_changed);
	assert_contains(f->sent[0], "Each question stays open for 10m, then I move on by myself "
				    "(with a one-minute warning)");
	assert_contains(f->sent[1], "Question 1 of 22");
	assert_jobs(f, "warn {\"prompt\":0} 2026-11-29T09:09:00Z; "
		       "advance {\"prompt\":0} 2026-11-29T09:10:00Z");
	assert_int_equal(store_session_get(f->store, 1, &s), 0);
	assert_int_equal(s.pace, PACE_TIMED);
	assert_int_equal(s.pace_seconds, 600);
	assert_int_equal(query_int(f, "SELECT count(*) FROM sessions WHERE pace = 'timed' "
				      "AND pace_seconds = 600"), 1);

	REPLY(f, "bob", "!ws status", "Pace: timed, 10m per question; question 1 closes at "
				      "Sun 2026-11-29 10:10 (Europe/Berlin).");
}

static void test_start_live_is_the_default(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	set_now("2026-11-29T09:00:00Z");
	assert_int_equal(say(f, "alice", "!ws start"), 2);
	assert_contains(f->sent[0], "The facilitator moves on with !ws next.");
	assert_jobs(f, "");
	assert_int_equal(store_session_get(f->store, 1, &s), 0);
	assert_int_equal(s.pace, PACE_LIVE);
	assert_int_equal(s.pace_seconds, 0);
	assert_int_equal(query_int(f, "SELECT count(*) FROM sessions WHERE pace = 'live' "
				      "AND pace_seconds IS NULL"), 1);
	REPLY(f, "alice", "!ws status", "Pace: live (the facilitator moves on with !ws next).");
}

/* A template name before the pace; a short duration gets no warning. */
static void test_start_template_and_short_duration(void **state)
{
	struct fixture *f = *state;

	start_timed(f, "community-engagement timed 90s");
	assert_contains(f->sent[0], "Each question stays open for 1m30s, then I move on by "
				    "myself; the facilitator");
	assert_jobs(f, "advance {\"prompt\":0} 2026-11-29T09:01:30Z");
}

static void test_advance_job_moves_on(void **state)
{
	struct fixture *f = *state;
	int64_t when;
	char st[16];

	start_timed(f, "timed 10m");
	assert_int_equal(run_due(f, at("2026-11-29T09:08:59Z")), 0);

	assert_int_equal(run_next(f, &when), 1);
	assert_int_equal(when, at("2026-11-29T09:09:00Z"));
	assert_string_equal(f->sent[0], "One minute left on question 1.");
	assert_int_equal(prompt_index(f), 0);

	assert_int_equal(run_next(f, &when), 1);
	assert_int_equal(when, at("2026-11-29T09:10:00Z"));
	assert_contains(f->sent[0], "Question 2 of 22");
	assert_int_equal(prompt_index(f), 1);
	assert_int_equal(store_prompt_state(f->store, 1, 0, st, sizeof st), 0);
	assert_string_equal(st, "closed");
	assert_jobs(f, "warn {\"prompt\":1} 2026-11-29T09:19:00Z; "
		       "advance {\"prompt\":1} 2026-11-29T09:20:00Z");

	/* Question 2 to 3 (past the info prompt at index 2). */
	assert_int_equal(run_due(f, at("2026-11-29T09:19:30Z")), 1);
	assert_string_equal(f->sent[0], "One minute left on question 2.");
	assert_int_equal(run_due(f, at("2026-11-29T09:20:00Z")), 1);
	assert_contains(f->sent[0], "Question 3 of 22");
	assert_int_equal(prompt_index(f), 3);
	assert_jobs(f, "warn {\"prompt\":3} 2026-11-29T09:29:00Z; "
		       "advance {\"prompt\":3} 2026-11-29T09:30:00Z");
}

/* After downtime both jobs are overdue: the warning is left out, the advance runs once
 * and the next question gets a full duration from then. */
static void test_overdue_pair_after_downtime(void **state)
{
	struct fixture *f = *state;

	start_timed(f, "timed 10m");
	assert_int_equal(run_due(f, at("2026-11-29T09:45:00Z")), 1);
	assert_contains(f->sent[0], "Question 2 of 22");
	assert_not_contains(f->sent[0], "One minute left");
	assert_jobs(f, "warn {\"prompt\":1} 2026-11-29T09:54:00Z; "
		       "advance {\"prompt\":1} 2026-11-29T09:55:00Z");
	assert_int_equal(run_due(f, at("2026-11-29T09:45:00Z")), 0);
}

static void test_manual_next_and_back_reschedule(void **state)
{
	struct fixture *f = *state;

	start_timed(f, "timed 10m");
	set_now("2026-11-29T09:04:00Z");
	f->w.jobs_changed = false;
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	assert_true(f->w.jobs_changed);
	assert_jobs(f, "warn {\"prompt\":1} 2026-11-29T09:13:00Z; "
		       "advance {\"prompt\":1} 2026-11-29T09:14:00Z");
	assert_int_equal(query_int(f, "SELECT count(*) FROM jobs WHERE state = 'cancelled'"), 2);

	set_now("2026-11-29T09:05:00Z");
	REPLY(f, "alice", "!ws skip", "Question 3 of 22");
	assert_jobs(f, "warn {\"prompt\":3} 2026-11-29T09:14:00Z; "
		       "advance {\"prompt\":3} 2026-11-29T09:15:00Z");
	set_now("2026-11-29T09:06:00Z");
	REPLY(f, "alice", "!ws back", "Question 2 of 22");
	assert_jobs(f, "warn {\"prompt\":1} 2026-11-29T09:15:00Z; "
		       "advance {\"prompt\":1} 2026-11-29T09:16:00Z");

	/* Nothing fires at the old instants. */
	assert_int_equal(run_due(f, at("2026-11-29T09:10:00Z")), 0);
	assert_int_equal(prompt_index(f), 1);

	/* A refused pace command leaves the jobs alone. */
	REPLY(f, "bob", "!ws next", "only the facilitator (alice) can move on");
	assert_jobs(f, "warn {\"prompt\":1} 2026-11-29T09:15:00Z; "
		       "advance {\"prompt\":1} 2026-11-29T09:16:00Z");
}

static void test_pause_cancels_resume_reschedules(void **state)
{
	struct fixture *f = *state;

	start_timed(f, "timed 10m");
	set_now("2026-11-29T09:03:00Z");
	REPLY(f, "alice", "!ws pause", "Session paused.");
	assert_jobs(f, "");
	assert_int_equal(run_due(f, at("2026-11-29T09:30:00Z")), 0);
	REPLY(f, "alice", "!ws status", "(paused: !ws resume gives the question a fresh 10m).");

	set_now("2026-11-29T09:30:00Z");
	assert_int_equal(say(f, "alice", "!ws resume"), 2);
	assert_contains(f->sent[0], "Session resumed.");
	assert_contains(f->sent[1], "Question 1 of 22");
	assert_jobs(f, "warn {\"prompt\":0} 2026-11-29T09:39:00Z; "
		       "advance {\"prompt\":0} 2026-11-29T09:40:00Z");
}

/* An advance or warn job for a question that is no longer open does nothing, also one
 * that was not cancelled. */
static void test_stale_jobs_do_nothing(void **state)
{
	struct fixture *f = *state;
	struct job_list before;
	struct store_job stale = { .kind = PACING_KIND_ADVANCE, .session_id = 1,
				   .payload = "{\"prompt\":0}" };
	struct store_job warn = { .kind = PACING_KIND_WARN, .session_id = 1,
				  .payload = "{\"prompt\":0}" };

	start_timed(f, "timed 10m");
	set_now("2026-11-29T09:02:00Z");
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	before = pending(f);

	stale.due_at = at("2026-11-29T09:10:00Z");
	warn.due_at = at("2026-11-29T09:09:30Z");
	assert_int_equal(store_job_add(f->store, &stale, at("2026-11-29T09:00:00Z"), NULL), 0);
	assert_int_equal(store_job_add(f->store, &warn, at("2026-11-29T09:00:00Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-11-29T09:10:00Z")), 0);
	assert_int_equal(prompt_index(f), 1);
	assert_jobs(f, "warn {\"prompt\":1} 2026-11-29T09:11:00Z; "
		       "advance {\"prompt\":1} 2026-11-29T09:12:00Z");
	assert_int_equal(pending(f).n, before.n);

	/* The current pair still works; a paused or ended session's job does nothing. */
	set_now("2026-11-29T09:11:30Z");
	REPLY(f, "alice", "!ws pause", "Session paused.");
	stale.payload = "{\"prompt\":1}";
	stale.due_at = at("2026-11-29T09:12:00Z");
	assert_int_equal(store_job_add(f->store, &stale, at("2026-11-29T09:11:30Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-11-29T09:12:00Z")), 0);
	assert_int_equal(prompt_index(f), 1);

	/* A job with a payload it cannot read is dropped. */
	stale.payload = "junk";
	stale.due_at = at("2026-11-29T09:13:00Z");
	assert_int_equal(store_job_add(f->store, &stale, at("2026-11-29T09:11:30Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-11-29T09:13:00Z")), 0);
	assert_jobs(f, "");
}

static void test_pace_command(void **state)
{
	struct fixture *f = *state;

	start_timed(f, "timed 10m");
	set_now("2026-11-29T09:05:00Z");
	REPLY(f, "bob", "!ws pace live", "only the facilitator (alice) can change the pace of");
	assert_int_equal(pending(f).n, 2);

	REPLY(f, "alice", "!ws pace live", "Pace: live. The facilitator moves on with !ws next.");
	assert_jobs(f, "");
	assert_int_equal(run_due(f, at("2026-11-29T09:30:00Z")), 0);
	assert_int_equal(prompt_index(f), 0);

	set_now("2026-11-29T09:30:00Z");
	REPLY(f, "alice", "!ws pace timed 5 minutes",
	      "Pace: timed, 5m per question. Question 1 stays open for 5m from now, then I move on.");
	assert_jobs(f, "warn {\"prompt\":0} 2026-11-29T09:34:00Z; "
		       "advance {\"prompt\":0} 2026-11-29T09:35:00Z");
	set_now("2026-11-29T09:31:00Z");
	REPLY(f, "alice", "!ws pace timed 2m", "Pace: timed, 2m per question.");
	assert_jobs(f, "advance {\"prompt\":0} 2026-11-29T09:33:00Z");

	/* While paused the pace is kept; the clock starts on resume. */
	REPLY(f, "alice", "!ws pause", "Session paused.");
	REPLY(f, "alice", "!ws pace timed 1h", "The session is paused; the clock starts on !ws resume.");
	assert_jobs(f, "");
	set_now("2026-11-29T10:00:00Z");
	assert_int_equal(say(f, "alice", "!ws resume"), 2);
	assert_jobs(f, "warn {\"prompt\":0} 2026-11-29T10:59:00Z; "
		       "advance {\"prompt\":0} 2026-11-29T11:00:00Z");
}

static void test_bad_durations_are_refused(void **state)
{
	struct fixture *f = *state;

	set_now("2026-11-29T09:00:00Z");
	REPLY(f, "alice", "!ws start timed", "A timed pace needs a duration");
	assert_contains(f->sent[0], USAGE_START);
	REPLY(f, "alice", "!ws start timed 0m", "must be more than zero");
	assert_contains(f->sent[0], USAGE_START);
	REPLY(f, "alice", "!ws start timed soon", "cannot read 'soon' as a duration");
	assert_contains(f->sent[0], USAGE_START);
	REPLY(f, "alice", "!ws start community-engagement fast", "The pace is live, timed <duration> or async daily <HH:MM>");
	assert_contains(f->sent[0], USAGE_START);
	REPLY(f, "alice", "!ws start live now", "The pace is live, timed <duration> or async daily <HH:MM>");
	assert_int_equal(query_int(f, "SELECT count(*) FROM sessions"), 0);
	assert_jobs(f, "");

	start_timed(f, "timed 10m");
	REPLY(f, "alice", "!ws pace", USAGE_PACE);
	REPLY(f, "alice", "!ws pace timed", USAGE_PACE);
	REPLY(f, "alice", "!ws pace timed 0m", "must be more than zero");
	REPLY(f, "alice", "!ws pace timed soon", "cannot read 'soon' as a duration");
	assert_contains(f->sent[0], USAGE_PACE);
	REPLY(f, "alice", "!ws pace slow", "The pace is live, timed <duration> or async daily <HH:MM>");
	assert_jobs(f, "warn {\"prompt\":0} 2026-11-29T09:09:00Z; "
		       "advance {\"prompt\":0} 2026-11-29T09:10:00Z");
}

/* At the last question the advance says that the time is up; nothing follows. */
static void test_last_question_time_is_up(void **state)
{
	struct fixture *f = *state;
	int64_t when;

	start_timed(f, "timed 10m");
	for (int i = 0; i < 21; i++)
		assert_int_equal(say(f, "alice", "!ws next"), 1);
	REPLY(f, "alice", "!ws next", "That was the last question.");
	assert_int_equal(prompt_index(f), 22);
	assert_int_equal(run_next(f, &when), 1);
	assert_string_equal(f->sent[0], "One minute left on question 22.");
	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "Time is up on question 22, the last one. The facilitator "
				    "can close the session with !ws end");
	assert_int_equal(prompt_index(f), 22);
	assert_jobs(f, "");
	REPLY(f, "alice", "!ws status", "; the time is up on the last question.");
}

static void test_end_cancels(void **state)
{
	struct fixture *f = *state;

	start_timed(f, "timed 10m");
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-12-10", "#1");
	REPLY(f, "alice", "!ws end", "Session #1 has ended.");
	assert_int_equal(query_int(f, "SELECT count(*) FROM jobs WHERE state = 'pending' "
				      "AND kind IN ('warn', 'advance')"), 0);
	/* The action item's reminders stay. */
	assert_true(query_int(f, "SELECT count(*) FROM jobs WHERE state = 'pending' "
				 "AND kind LIKE 'reminder_%'") > 0);
}

/* ---- the async pace ------------------------------------------------------------------ */

/* Section 1 is questions 1-2 (indexes 0, 1), section 2 the info prompt 2 and questions 3-5
 * (indexes 3, 4, 5), section 3 questions 6-7 (indexes 6, 7). */

/* alice starts an async session at iso (UTC); it posts the welcome, the section's
 * heading and its two questions. */
static void start_async(struct fixture *f, const char *iso, const char *spec)
{
	char line[128];

	set_now(iso);
	snprintf(line, sizeof line, "!ws start %s", spec);
	assert_int_equal(say(f, "alice", line), 4);
	assert_contains(f->sent[1], "Section 1 of 7");
	assert_contains(f->sent[2], "Question 1 of 22");
	assert_contains(f->sent[3], "Question 2 of 22");
}

/* Started on a Friday: the nudge that afternoon, the next section on Monday (not on the
 * weekend), at 09:00 Berlin time. */
static void test_async_start_skips_the_weekend(void **state)
{
	struct fixture *f = *state;

	start_async(f, "2026-12-04T08:30:00Z", "async daily 09:00");
	assert_contains(f->sent[0], "I open one section a day, at 09:00 (Europe/Berlin)");
	assert_contains(f->sent[1], "the next section opens Mon 2026-12-07 09:00");
	assert_int_equal(query_int(f, "SELECT count(*) FROM sessions WHERE pace = 'async' AND "
				      "pace_time = '09:00' AND prompt_index = 0"), 1);
	assert_jobs(f, "async_nudge {\"prompt\":0} 2026-12-04T14:00:00Z; "
		       "async_open {\"prompt\":0} 2026-12-07T08:00:00Z");

	/* A closure on that Monday moves it to Tuesday (config reloaded, then `pace`
	 * reschedules); a 9:30 time is kept to the minute. */
	wf_load_config(f, "[workshopbot]\ntimezone = Europe/Berlin\n"
			  "[followup]\nclosures = 2026-12-07\nnudge_at = none\n");
	REPLY(f, "alice", "!ws pace async daily 9:30", "next section Tue 2026-12-08 09:30");
	assert_jobs(f, "async_open {\"prompt\":0} 2026-12-08T08:30:00Z");
}

/* 09:00 stays 09:00 local across both daylight-saving changes in Berlin. */
static void test_async_dst_keeps_local_time(void **state)
{
	struct fixture *f = *state;

	/* Friday before the last Sunday of October 2026 (CEST, UTC+2) -> Monday (CET). */
	start_async(f, "2026-10-23T07:00:00Z", "community-engagement async daily 09:00");
	assert_jobs(f, "async_nudge {\"prompt\":0} 2026-10-23T13:00:00Z; "
		       "async_open {\"prompt\":0} 2026-10-26T08:00:00Z");
	REPLY(f, "alice", "!ws end", "has ended");

	/* Friday before the last Sunday of March 2027 (CET) -> Monday (CEST, UTC+2). */
	start_async(f, "2027-03-26T08:00:00Z", "async daily 09:00");
	assert_jobs(f, "async_nudge {\"prompt\":0} 2027-03-26T14:00:00Z; "
		       "async_open {\"prompt\":0} 2027-03-29T07:00:00Z");
}

/* The nudge names each member with the open question numbers they have not answered;
 * plain lines answer the author's first open question; nobody left, no nudge. */
static void test_async_nudge_and_answers(void **state)
{
	struct fixture *f = *state;
	int64_t when;

	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	REPLY(f, "bob", "Learn from peers", "your answer to question 1 is saved");
	REPLY(f, "carol", "!ws answer Hear new ideas", "your answer to question 1 is saved");
	REPLY(f, "carol", "Plan together", "your answer to question 2 is saved");
	REPLY(f, "carol", "One more thing", "You have answered every question of this section");
	REPLY(f, "alice", "!ws who", "Not answered every question of this section yet: alice "
				     "(1, 2), bob (2).");
	REPLY(f, "alice", "!ws status", "Pace: async daily 09:00 Europe/Berlin; next section "
					"Tue 2026-12-08 09:00.");

	assert_int_equal(run_next(f, &when), 1);
	assert_int_equal(when, at("2026-12-07T14:00:00Z"));
	assert_contains(f->sent[0], "A nudge for section 1");
	assert_contains(f->sent[0], "not answered yet: @alice (1, 2), @bob (2). Reply");
	assert_not_contains(f->sent[0], "carol");
	assert_not_contains(f->sent[0], "delayed");

	/* Next day: section 2 (its info prompt and three questions); everyone answers. */
	assert_int_equal(run_next(f, &when), 5);
	assert_int_equal(when, at("2026-12-08T08:00:00Z"));
	assert_contains(f->sent[0], "Section 2 of 7");
	assert_contains(f->sent[0], "Questions 3 to 5 are open");
	assert_contains(f->sent[2], "Question 3 of 22");
	assert_int_equal(prompt_index(f), 3);
	for (size_t i = 0; i < 3; i++) {
		static const char *const who[] = { "alice", "bob", "carol" };
		REPLY(f, who[i], "1, 3", "question 3 is saved");
		REPLY(f, who[i], "none", "question 4 is saved");
		REPLY(f, who[i], "Use them in reports", "question 5 is saved");
	}
	REPLY(f, "bob", "!ws who", "Everyone here has answered every question of this section.");
	assert_int_equal(run_next(f, &when), 0);
	assert_int_equal(when, at("2026-12-08T14:00:00Z"));
}

/* In the action-plan section, once every question is answered, each further line is one
 * more action item (not "you have answered every question"). */
static void test_async_more_action_items(void **state)
{
	struct fixture *f = *state;

	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	for (int i = 0; i < 5; i++)
		assert_true(say(f, "alice", "!ws next") > 1);
	assert_contains(f->sent[0], "Section 6 of 7");
	REPLY(f, "bob", "Our library's meeting rooms", "question 17 is saved");
	REPLY(f, "bob", "The food bank", "question 18 is saved");
	REPLY(f, "bob", "The market", "question 19 is saved");
	REPLY(f, "bob", "Story times", "question 20 is saved");
	REPLY(f, "bob", "Call the food bank @bob by friday", "#1 Call the food bank");
	REPLY(f, "bob", "Book the room @carol by friday", "#2 Book the room");
	REPLY(f, "bob", "Print the flyers", "#3 Print the flyers");
	assert_int_equal(query_int(f, "SELECT count(*) FROM action_items"), 3);
}

/* `next` opens the next section at once; the daily job then opens the one after on the
 * next working day, and the jobs made for the earlier section are stale. */
static void test_async_early_next_and_stale_jobs(void **state)
{
	struct fixture *f = *state;
	struct store_job old = { .kind = ASYNC_KIND_OPEN, .session_id = 1,
				 .payload = "{\"prompt\":0}" };

	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	set_now("2026-12-07T10:00:00Z");
	REPLY(f, "bob", "!ws next", "only the facilitator");
	assert_int_equal(say(f, "alice", "!ws next"), 5);
	assert_contains(f->sent[0], "Section 2 of 7");
	assert_contains(f->sent[0], "the next section opens Tue 2026-12-08 09:00");
	assert_int_equal(prompt_index(f), 3);
	assert_jobs(f, "async_nudge {\"prompt\":3} 2026-12-07T14:00:00Z; "
		       "async_open {\"prompt\":3} 2026-12-08T08:00:00Z");
	assert_int_equal(query_int(f, "SELECT count(*) FROM session_prompts WHERE state = "
				      "'closed' AND prompt_index IN (0, 1)"), 2);

	/* Jobs made for section 1 (as if they had not been cancelled) do nothing. */
	old.due_at = at("2026-12-07T12:00:00Z");
	assert_int_equal(store_job_add(f->store, &old, at("2026-12-07T08:00:00Z"), NULL), 0);
	old.kind = ASYNC_KIND_NUDGE;
	assert_int_equal(store_job_add(f->store, &old, at("2026-12-07T08:00:00Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-12-07T12:00:00Z")), 0);
	assert_int_equal(prompt_index(f), 3);
	assert_jobs(f, "async_nudge {\"prompt\":3} 2026-12-07T14:00:00Z; "
		       "async_open {\"prompt\":3} 2026-12-08T08:00:00Z");

	/* back reopens section 1; skip moves on again. */
	set_now("2026-12-07T12:00:00Z");
	assert_int_equal(say(f, "alice", "!ws back"), 3);
	assert_contains(f->sent[0], "Section 1 of 7");
	assert_int_equal(prompt_index(f), 0);
	assert_int_equal(say(f, "alice", "!ws skip"), 5);
	assert_int_equal(query_int(f, "SELECT count(*) FROM session_prompts WHERE state = "
				      "'skipped'"), 2);
	assert_int_equal(prompt_index(f), 3);

	/* pause cancels; a job of the open section does nothing while paused; resume
	 * reschedules from then. */
	REPLY(f, "alice", "!ws pause", "Session paused.");
	assert_jobs(f, "");
	old.payload = "{\"prompt\":3}";
	old.kind = ASYNC_KIND_OPEN;
	old.due_at = at("2026-12-08T08:00:00Z");
	assert_int_equal(store_job_add(f->store, &old, at("2026-12-07T12:00:00Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-12-08T08:00:00Z")), 0);
	assert_int_equal(prompt_index(f), 3);
	set_now("2026-12-08T09:00:00Z");
	assert_int_equal(say(f, "alice", "!ws resume"), 2);
	assert_contains(f->sent[0], "Session resumed.");
	assert_contains(f->sent[1], "Questions 3 to 5 are open; the next section opens Wed "
				    "2026-12-09 09:00.");
	assert_jobs(f, "async_nudge {\"prompt\":3} 2026-12-08T14:00:00Z; "
		       "async_open {\"prompt\":3} 2026-12-09T08:00:00Z");

	/* pace live cancels; a job of the async pace does nothing in a live session. */
	REPLY(f, "alice", "!ws pace live", "Pace: live.");
	assert_jobs(f, "");
	assert_int_equal(store_job_add(f->store, &old, at("2026-12-08T09:00:00Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-12-09T08:00:00Z")), 0);
	assert_int_equal(prompt_index(f), 3);
}

/* Three days offline: one section opens, with the delay note, the nudge about the old
 * section is left out, and the next waits for the next working day. At the last
 * section the job says that every section is open. */
static void test_async_downtime_opens_one_section(void **state)
{
	struct fixture *f = *state;

	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	assert_int_equal(run_due(f, at("2026-12-10T10:00:00Z")), 5);
	assert_contains(f->sent[0], "Section 2 of 7");
	assert_contains(f->sent[0], "the next section opens Fri 2026-12-11 09:00. (delayed: the "
				    "bot was offline)");
	assert_not_contains(f->sent[1], "nudge");
	assert_int_equal(prompt_index(f), 3);
	assert_jobs(f, "async_nudge {\"prompt\":3} 2026-12-10T14:00:00Z; "
		       "async_open {\"prompt\":3} 2026-12-11T08:00:00Z");

	/* The last section: from notes (index 22) the job says that all are open. */
	set_now("2026-12-10T11:00:00Z");
	for (int i = 0; i < 4; i++)
		say(f, "alice", "!ws next");
	assert_int_equal(say(f, "alice", "!ws next"), 2);
	assert_contains(f->sent[0], "Section 7 of 7");
	assert_contains(f->sent[0], "this is the last section.");
	REPLY(f, "alice", "!ws next", "This is the last section.");
	assert_int_equal(run_due(f, at("2026-12-11T08:00:00Z")), 1);
	assert_contains(f->sent[0], "Every section is open now.");
	assert_jobs(f, "");
}

/* tz: the start option, the channel's zone, a bad zone; a channel zone set during a
 * session moves it and its async jobs. */
static void test_async_time_zones(void **state)
{
	struct fixture *f = *state;

	set_now("2026-12-07T08:00:00Z");
	REPLY(f, "alice", "!ws start tz Mars/Olympus async daily 09:00",
	      "'Mars/Olympus' is not a time zone I know");
	REPLY(f, "bob", "!ws tz Nowhere/Land", "'Nowhere/Land' is not a time zone I know");
	REPLY(f, "bob", "!ws tz", "new sessions use Europe/Berlin");
	REPLY(f, "bob", "!ws tz America/New_York", "This channel's time zone is now America/New_York.");
	REPLY(f, "bob", "!ws tz", "This channel's time zone is America/New_York.");

	/* The channel's zone; then the option wins over it. */
	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	assert_jobs(f, "async_nudge {\"prompt\":0} 2026-12-07T20:00:00Z; "
		       "async_open {\"prompt\":0} 2026-12-08T14:00:00Z");
	REPLY(f, "bob", "!ws tz UTC", "only the facilitator");
	REPLY(f, "alice", "!ws tz Asia/Tokyo", "session #1 follows it");
	/* 17:00 in Tokyo: the next section is tomorrow at 09:00 there; today's 15:00 nudge
	 * has passed and tomorrow's would come after it. */
	REPLY(f, "alice", "!ws status", "async daily 09:00 Asia/Tokyo; next section Tue 2026-12-08 "
					"09:00.");
	assert_jobs(f, "async_open {\"prompt\":0} 2026-12-08T00:00:00Z");
	REPLY(f, "alice", "!ws end", "has ended");
	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00 tz Europe/Berlin");
	assert_jobs(f, "async_nudge {\"prompt\":0} 2026-12-07T14:00:00Z; "
		       "async_open {\"prompt\":0} 2026-12-08T08:00:00Z");
	REPLY(f, "alice", "!ws pace async weekly 09:00", "An async pace is async daily <HH:MM>");
	REPLY(f, "alice", "!ws pace async daily 25:00", "'25:00' is not a time of day");
}

/* A message event from user in channel with its own ref (the message's id). */
static size_t say_ref(struct fixture *f, enum event_kind kind, const char *channel,
		      const char *user, const char *text, const char *ref, bool direct)
{
	struct event ev = { .kind = kind, .transport = "test", .channel = channel,
			    .user = user, .user_name = user, .text = text, .direct = direct,
			    .ref = kind == EVENT_MESSAGE ? ref : NULL,
			    .target_ref = kind == EVENT_MESSAGE ? NULL : ref };

	assert_int_equal(workshop_dispatch(&f->w, &ev), 0);
	return drain_outbox(f);
}

/* bob's current answer to the question at prompt index (its text, "" when none). */
static void answer_of(struct fixture *f, const char *user, long index, char *buf, size_t len)
{
	const struct template *t = template_set_find(&templates, "community-engagement");
	char sql[256];
	sqlite3 *db;
	sqlite3_stmt *st;

	snprintf(sql, sizeof sql, "SELECT text FROM answers WHERE session_id = 1 AND "
		 "prompt_id = '%s' AND user_id = '%s' AND withdrawn = 0", t->prompts[index].id,
		 user);
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	snprintf(buf, len, "%s", sqlite3_step(st) == SQLITE_ROW ?
		 (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* bob chose dm on: the open section comes by direct message at once, each section after
 * it as it opens, with every question in full; his nudge comes there and the channel's
 * leaves him out. */
static void test_async_direct_section_and_nudge(void **state)
{
	struct fixture *f = *state;
	int64_t when;

	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	assert_int_equal(say(f, "bob", "!ws dm on"), 2);
	assert_contains(f->sent[0], "[direct to bob] Section 1 of 7");
	assert_contains(f->sent[0], "Questions 1 to 2 are open; the next section opens Tue "
				    "2026-12-08 09:00. (session #1 in C1)");
	assert_contains(f->sent[0], "Question 1 of 22");
	assert_contains(f->sent[0], "Question 2 of 22");
	assert_contains(f->sent[0], "Reply here: each message answers your next unanswered "
				    "question");
	assert_contains(f->sent[1], "You will get reminders by direct message");
	/* On again: nothing is sent twice. */
	REPLY(f, "bob", "!ws dm on", "You will get reminders by direct message");
	REPLY(f, "carol", "Hear new ideas", "question 1 is saved");

	assert_int_equal(run_next(f, &when), 2);
	assert_int_equal(when, at("2026-12-07T14:00:00Z"));
	assert_contains(f->sent[0], "[direct to bob] A nudge for section 1 (");
	assert_contains(f->sent[0], "(session #1 in C1): not answered yet: 1, 2. Reply here");
	assert_contains(f->sent[1], "not answered yet: @alice (1, 2), @carol (2). Reply");
	assert_not_contains(f->sent[1], "bob");

	/* The next section: in the channel, and in full to bob alone. */
	assert_int_equal(run_next(f, &when), 6);
	for (size_t i = 0; i < 5; i++)
		assert_not_contains(f->sent[i], "direct to");
	assert_contains(f->sent[5], "[direct to bob] Section 2 of 7");
	assert_contains(f->sent[5], "Question 3 of 22");
	assert_contains(f->sent[5], "  1. Community analysis");     /* a checklist's options */
	assert_contains(f->sent[5], "Question 5 of 22");
	assert_not_contains(f->sent[5], "Question 6 of 22");

	/* Everyone but bob answers in the channel; bob by direct message: no nudge at all. */
	store_direct_channel_set(f->store, "test", "bob", "D-bob");
	for (size_t i = 0; i < 2; i++) {
		static const char *const who[] = { "alice", "carol" };
		REPLY(f, who[i], "1, 3", "question 3 is saved");
		REPLY(f, who[i], "none", "question 4 is saved");
		REPLY(f, who[i], "Use them in reports", "question 5 is saved");
	}
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "2", "d1", false), 1);
	assert_contains(f->sent[0], "[in D-bob] Thanks, bob: your answer to question 3 is saved");
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "none", "d2", false), 1);
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "Talk to people", "d3",
				 false), 1);
	assert_contains(f->sent[0], "question 5 is saved");
	REPLY(f, "alice", "!ws who", "Everyone here has answered every question of this section.");
	assert_int_equal(run_next(f, &when), 0);
}

/* A plain message in the direct channel answers the author's next question of their
 * latest active async session on that chat (not a newer one they are not in), stored
 * like a channel answer; editing or deleting it changes or withdraws the answer;
 * commands still work there; with no such session, a hint. */
static void test_async_direct_answers(void **state)
{
	struct fixture *f = *state;
	char text[64];

	store_direct_channel_set(f->store, "test", "bob", "D-bob");
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "Learn from peers", "d0",
				 false), 1);
	assert_contains(f->sent[0], "[in D-bob] No workshop is asking you questions here");
	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	REPLY(f, "bob", "!ws who", "alice (1, 2), bob (1, 2)");
	assert_int_equal(say_in(f, "C2", "carol", "!ws start async daily 10:00"), 4);

	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "Learn from peers", "d1",
				 false), 1);
	assert_contains(f->sent[0], "[in D-bob] Thanks, bob: your answer to question 1 is saved");
	answer_of(f, "bob", 0, text, sizeof text);
	assert_string_equal(text, "Learn from peers");
	assert_int_equal(query_int(f, "SELECT count(*) FROM answers WHERE session_id = 2"), 0);
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "!ws answer done by friday",
				 "d2", false), 1);
	assert_contains(f->sent[0], "your answer to question 2 is saved");
	answer_of(f, "bob", 1, text, sizeof text);
	assert_string_equal(text, "done by friday");
	REPLY(f, "alice", "!ws who", "Not answered every question of this section yet: alice "
				     "(1, 2).");

	assert_int_equal(say_ref(f, EVENT_EDIT, "D-bob", "bob", "Learn from everyone", "d1",
				 false), 1);
	assert_contains(f->sent[0], "your answer to question 1 is updated");
	answer_of(f, "bob", 0, text, sizeof text);
	assert_string_equal(text, "Learn from everyone");
	assert_int_equal(say_ref(f, EVENT_DELETE, "D-bob", "bob", "", "d2", false), 1);
	assert_contains(f->sent[0], "Your answer to question 2 is withdrawn (its message was "
				    "deleted)");
	answer_of(f, "bob", 1, text, sizeof text);
	assert_string_equal(text, "");

	/* A command word is a command, not an answer. */
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-bob", "bob", "actions", "d3", false), 1);
	assert_not_contains(f->sent[0], "saved");
	assert_int_equal(query_int(f, "SELECT count(*) FROM answers WHERE user_id = 'bob'"), 2);
}

/* A direct message the person opened first (the transport says so) becomes their
 * direct channel: recorded, and answers and commands there work. */
static void test_async_direct_opened_by_the_person(void **state)
{
	struct fixture *f = *state;

	start_async(f, "2026-12-07T08:00:00Z", "async daily 09:00");
	REPLY(f, "bob", "!ws who", "bob (1, 2)");
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-new", "bob", "Learn from peers", "d1",
				 true), 1);
	assert_contains(f->sent[0], "[in D-new] Thanks, bob: your answer to question 1 is saved");
	assert_int_equal(query_int(f, "SELECT count(*) FROM direct_channels WHERE "
				      "user_id = 'bob' AND channel = 'D-new'"), 1);
	/* Known now: the transport's flag is not needed any more. */
	assert_int_equal(say_ref(f, EVENT_MESSAGE, "D-new", "bob", "Plan", "d2", false), 1);
	assert_contains(f->sent[0], "your answer to question 2 is saved");
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		CASE(test_start_timed_schedules_warn_and_advance),
		CASE(test_start_live_is_the_default),
		CASE(test_start_template_and_short_duration),
		CASE(test_advance_job_moves_on),
		CASE(test_overdue_pair_after_downtime),
		CASE(test_manual_next_and_back_reschedule),
		CASE(test_pause_cancels_resume_reschedules),
		CASE(test_stale_jobs_do_nothing),
		CASE(test_pace_command),
		CASE(test_bad_durations_are_refused),
		CASE(test_last_question_time_is_up),
		CASE(test_end_cancels),
		CASE(test_async_start_skips_the_weekend),
		CASE(test_async_dst_keeps_local_time),
		CASE(test_async_nudge_and_answers),
		CASE(test_async_more_action_items),
		CASE(test_async_early_next_and_stale_jobs),
		CASE(test_async_downtime_opens_one_section),
		CASE(test_async_time_zones),
		CASE(test_async_direct_section_and_nudge),
		CASE(test_async_direct_answers),
		CASE(test_async_direct_opened_by_the_person),
	};

	return cmocka_run_group_tests_name("pacing", tests, wf_suite_setup, suite_teardown);
}
