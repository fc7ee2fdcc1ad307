/* test_reminders.c - action-item reminders (handlers/reminders.h) on a real SQLite store:
 * the jobs that adding, done, reopen, due, assign and snooze leave in the jobs table
 * (kind, UTC instant, recipient), and what running the due jobs queues in the outbox.
 *
 * Events are struct literals on transport "test", channel "C1", dispatched with
 * workshop_dispatch() as a transport would (alice starts the session and facilitates).
 * The session's zone is Europe/Berlin, whose summer time ends on Sunday 2026-10-25
 * (09:00 local is 07:00Z before and 08:00Z after). The [followup] keys are the defaults
 * (2 days before, 09:00, every 3 days, 3 overdue reminders, quiet 20:00-08:00, Monday to
 * Friday) plus one closure, Wednesday 2026-10-28.
 *
 * The clock is moved with WORKSHOPBOT_NOW + clock_init(). Due jobs are run the way the
 * scheduler runs them: each in its own store_begin / mark done / reminders_run /
 * store_commit, with a given now. After each step the outbox of "test" is drained into
 * f->sent[] (rendered plain), so each check sees what that step queued. */
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

#include "handlers/reminders.h"
#include "tests/unit/workshop_fixture.h"

#define CONFIG_TEXT \
	"[workshopbot]\ntimezone = Europe/Berlin\n[followup]\nclosures = 2026-10-28\n"

/* ---- suite and case setup ------------------------------------------------------------ */

static void load_config(struct fixture *f, const char *text)
{
	wf_load_config(f, text);
}

static int setup(void **state)
{
	return wf_setup(state, "test_reminders", CONFIG_TEXT);
}

/* ---- the outbox, events and jobs ----------------------------------------------------- */

/* Fails unless the pending jobs are exactly `want` ("kind #item user ISO", soonest first,
 * separated by "; "). */
static void assert_jobs(struct fixture *f, const char *want)
{
	struct job_list l = pending(f);
	char got[2048] = "", one[160], when[32];
	size_t used = 0;

	for (size_t i = 0; i < l.n; i++) {
		clock_format_utc((time_t)l.v[i].due_at, when, sizeof when);
		snprintf(one, sizeof one, "%s%s #%lld %s %s", i ? "; " : "", l.v[i].kind,
			 (long long)l.v[i].action_id, l.v[i].user, when);
		used += (size_t)snprintf(got + used, sizeof got - used, "%s", one);
	}
	if (strcmp(got, want) != 0)
		fail_msg("pending jobs:\n  got:  %s\n  want: %s", got, want);
}

/* A count from the jobs table through a second, read-only connection. */
static int count_jobs(struct fixture *f, const char *where)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char sql[256];
	int n = -1;

	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	snprintf(sql, sizeof sql, "SELECT count(*) FROM jobs WHERE %s", where);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Runs one job the way the scheduler does (one transaction, marked done first, a job no
 * longer pending skipped); false when it was skipped. */
static bool run_job(struct fixture *f, const struct job_seen *j, int64_t now)
{
	struct store_job job = { .id = j->id, .kind = j->kind, .due_at = j->due_at,
				 .session_id = 1, .action_id = j->action_id,
				 .user_id = j->user, .payload = j->payload[0] ? j->payload : NULL };

	return wf_run_job(f, &job, now, reminders_run);
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

/* alice starts a session in C1 (Europe/Berlin). */
static void start(struct fixture *f)
{
	assert_int_equal(say(f, "alice", "!ws start"), 2);
}

/* ---- scheduling ------------------------------------------------------------------------ */

/* Due Friday 10-23: 2 days before is Wednesday 09:00 CEST; the due-day reminder is Friday
 * 09:00 CEST. Due Monday 10-26 (after the change): 2 days before is a Saturday, moved to
 * the next allowed minute, Monday 08:00 CET, the due day itself: left out. Due on the
 * closure Wednesday 10-28: the due-day reminder moves to the next allowed minute,
 * Thursday 08:00 CET (07:00Z); the early one is Monday 09:00 CET (08:00Z). */
static void test_add_schedules_in_local_time_across_dst(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");   /* Monday, 12:00 in Berlin */
	start(f);
	f->w.jobs_changed = false;
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23",
	      "Added action item #1 Call the food bank — owner @bob, due 2026-10-23");
	assert_true(f->w.jobs_changed);
	assert_jobs(f, "reminder_before #1 bob 2026-10-21T07:00:00Z; "
		       "reminder_due #1 bob 2026-10-23T07:00:00Z");

	REPLY(f, "alice", "!ws action Book the room @carol by 2026-10-26", "#2 Book the room");
	REPLY(f, "carol", "!ws action Print flyers by 2026-10-28", "#3 Print flyers — no owner");
	assert_jobs(f, "reminder_before #1 bob 2026-10-21T07:00:00Z; "
		       "reminder_due #1 bob 2026-10-23T07:00:00Z; "
		       "reminder_due #2 carol 2026-10-26T08:00:00Z; "
		       "reminder_before #3 carol 2026-10-26T08:00:00Z; "
		       "reminder_due #3 carol 2026-10-29T07:00:00Z");

	/* An item without a due date or already done gets none. */
	REPLY(f, "alice", "!ws action Say thanks @bob", "#4 Say thanks");
	assert_int_equal(count_jobs(f, "action_id = 4"), 0);
}

/* Due Friday 10-23, its chain across the change: the first overdue reminder is 3 days
 * after the due day (Monday 10-26, 09:00 CET = 08:00Z), the next 3 days after each one
 * actually sent, moved off the weekend; after the third the facilitator is told. */
static void test_chain_to_escalation(void **state)
{
	struct fixture *f = *state;
	int64_t when;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");

	assert_int_equal(run_due(f, at("2026-10-21T06:59:59Z")), 0);
	assert_int_equal(run_next(f, &when), 1);
	assert_int_equal(when, at("2026-10-21T07:00:00Z"));
	assert_contains(f->sent[0], "Reminder for @bob: #1 Call the food bank — due in 2 days, "
				    "on Fri 2026-10-23. When it is done: !ws done 1; later: "
				    "!ws snooze 1 2d.");
	assert_not_contains(f->sent[0], "delayed");

	assert_int_equal(run_next(f, &when), 1);
	assert_int_equal(when, at("2026-10-23T07:00:00Z"));
	assert_contains(f->sent[0], "#1 Call the food bank — due today, Fri 2026-10-23.");
	assert_jobs(f, "reminder_overdue #1 bob 2026-10-26T08:00:00Z");

	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "Overdue reminder for @bob: #1 Call the food bank — was due 3 "
				    "days ago, on Fri 2026-10-23 (overdue reminder 1 of 3). When "
				    "it is done: !ws done 1; later: !ws due 1 <date>.");
	/* Monday + 3 = Thursday 10-29 (the closure is Wednesday). */
	assert_jobs(f, "reminder_overdue #1 bob 2026-10-29T08:00:00Z");

	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "(overdue reminder 2 of 3)");
	/* Thursday + 3 = Sunday 11-01, moved to Monday at the end of quiet hours. */
	assert_jobs(f, "reminder_overdue #1 bob 2026-11-02T07:00:00Z");

	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "was due 10 days ago, on Fri 2026-10-23 (overdue reminder 3 "
				    "of 3)");
	assert_jobs(f, "escalate #1 alice 2026-11-05T08:00:00Z");

	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "For @alice, the facilitator: #1 Call the food bank — owner "
				    "@bob, was due 13 days ago, on Fri 2026-10-23 — is still open "
				    "after 3 overdue reminders.");
	assert_jobs(f, "");
	assert_int_equal(count_jobs(f, "state = 'done'"), 6);
	/* Told once: nothing more, however long. */
	assert_int_equal(run_due(f, at("2027-01-01T08:00:00Z")), 0);
}

/* Matrix user ids start with "@" already: named once, not "@@bob:x.org". */
static void test_matrix_ids_get_one_at(void **state)
{
	struct fixture *f = *state;
	int64_t when;

	set_now("2026-10-19T10:00:00Z");
	assert_int_equal(say(f, "@alice:x.org", "!ws start"), 2);
	REPLY(f, "@alice:x.org", "!ws action Call the food bank @bob:x.org by 2026-10-23", "#1");
	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "Reminder for @bob:x.org: #1 Call the food bank — due in 2 days");
	assert_not_contains(f->sent[0], "@@");
	for (int i = 0; i < 4; i++)
		assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "Overdue reminder for @bob:x.org: #1");
	assert_int_equal(run_next(f, &when), 1);
	assert_contains(f->sent[0], "For @alice:x.org, the facilitator: #1 Call the food bank — "
				    "owner @bob:x.org, was due");
	assert_not_contains(f->sent[0], "@@");
}

static void test_done_cancels_and_reopen_reschedules(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	REPLY(f, "alice", "!ws action Book the room @bob by 2026-10-23", "#2");
	f->w.jobs_changed = false;
	REPLY(f, "bob", "!ws done 1", "Marked done: #1");
	assert_true(f->w.jobs_changed);
	assert_jobs(f, "reminder_before #2 bob 2026-10-21T07:00:00Z; "
		       "reminder_due #2 bob 2026-10-23T07:00:00Z");
	assert_int_equal(count_jobs(f, "action_id = 1 AND state = 'cancelled'"), 2);

	/* Nothing about #1 is ever posted. */
	assert_int_equal(run_due(f, at("2026-10-21T07:00:00Z")), 1);
	assert_not_contains(f->sent[0], "#1");
	assert_contains(f->sent[0], "#2 Book the room");

	/* Reopened after the early reminder's time: only the due-day one is left. */
	set_now("2026-10-22T12:00:00Z");
	REPLY(f, "bob", "!ws reopen 1", "Reopened: #1");
	assert_jobs(f, "reminder_due #2 bob 2026-10-23T07:00:00Z; "
		       "reminder_due #1 bob 2026-10-23T07:00:00Z");

	/* No due date: no reminders. */
	REPLY(f, "bob", "!ws due 1 none", "Due date set: #1 Call the food bank — owner @bob, no due date");
	assert_jobs(f, "reminder_due #2 bob 2026-10-23T07:00:00Z");
}

/* A new date replaces every pending reminder; a new owner gets them. */
static void test_due_and_assign_reschedule(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	REPLY(f, "alice", "!ws due 1 2026-11-06", "Due date set: #1 Call the food bank — owner "
						 "@bob, due 2026-11-06, open.");
	assert_jobs(f, "reminder_before #1 bob 2026-11-04T08:00:00Z; "
		       "reminder_due #1 bob 2026-11-06T08:00:00Z");
	assert_int_equal(count_jobs(f, "state = 'cancelled'"), 2);
	assert_int_equal(run_due(f, at("2026-10-23T07:00:00Z")), 0);

	REPLY(f, "alice", "!ws assign 1 @carol", "Assigned: #1 Call the food bank — owner @carol");
	assert_jobs(f, "reminder_before #1 carol 2026-11-04T08:00:00Z; "
		       "reminder_due #1 carol 2026-11-06T08:00:00Z");

	/* Re-dated into the past (it is now Friday 10-23): the first overdue reminder is 3
	 * days after that date, or 3 days from today when that has passed too. */
	REPLY(f, "alice", "!ws due 1 2026-10-21", "due 2026-10-21");
	assert_jobs(f, "reminder_overdue #1 carol 2026-10-26T07:00:00Z");
	REPLY(f, "alice", "!ws due 1 2026-10-01", "due 2026-10-01");
	assert_jobs(f, "reminder_overdue #1 carol 2026-10-26T08:00:00Z");
	assert_int_equal(run_next(f, &(int64_t){ 0 }), 1);
	assert_contains(f->sent[0], "was due 25 days ago, on Thu 2026-10-01 (overdue reminder 1 "
				    "of 3)");
}

static void test_snooze(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");   /* Monday 12:00 CEST */
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");

	/* The next reminder (Wednesday) is later than a day from now: nothing to move. */
	REPLY(f, "bob", "!ws snooze 1 1d", "The next reminder for #1 is already later, on Wed "
					  "2026-10-21 09:00 (Europe/Berlin); nothing changed.");
	/* 3 days: Thursday 12:00 CEST; the early reminder moves there, the due one stays. */
	f->w.jobs_changed = false;
	REPLY(f, "bob", "!ws snooze 1 3d", "Snoozed #1 Call the food bank: the next reminder is "
					  "on Thu 2026-10-22 12:00 (Europe/Berlin).");
	assert_true(f->w.jobs_changed);
	assert_jobs(f, "reminder_before #1 bob 2026-10-22T10:00:00Z; "
		       "reminder_due #1 bob 2026-10-23T07:00:00Z");
	/* Past the due date: the early reminder gives way, the due-day one moves. */
	REPLY(f, "bob", "!ws snooze 1 monday", "the next reminder is on Mon 2026-10-26 09:00 "
					      "(Europe/Berlin).");
	assert_jobs(f, "reminder_due #1 bob 2026-10-26T08:00:00Z");
	assert_int_equal(run_next(f, &(int64_t){ 0 }), 1);
	assert_contains(f->sent[0], "#1 Call the food bank — was due 3 days ago, on Fri 2026-10-23.");
	assert_not_contains(f->sent[0], "delayed");
	assert_jobs(f, "reminder_overdue #1 bob 2026-10-29T08:00:00Z");

	/* An overdue reminder keeps its number when snoozed. */
	REPLY(f, "bob", "!ws snooze 1 2026-11-03", "on Tue 2026-11-03 09:00");
	assert_jobs(f, "reminder_overdue #1 bob 2026-11-03T08:00:00Z");
	assert_int_equal(run_next(f, &(int64_t){ 0 }), 1);
	assert_contains(f->sent[0], "(overdue reminder 1 of 3)");

	/* A duration that ends in quiet hours ends when they end, 08:00 local. */
	set_now("2026-11-03T10:00:00Z");   /* Tuesday 11:00 CET */
	REPLY(f, "alice", "!ws action Send the minutes @carol by 2026-11-04", "#2");
	assert_jobs(f, "reminder_due #2 carol 2026-11-04T08:00:00Z; "
		       "reminder_overdue #1 bob 2026-11-06T08:00:00Z");
	REPLY(f, "carol", "!ws snooze 2 34h", "on Thu 2026-11-05 08:00 (Europe/Berlin)");
	assert_jobs(f, "reminder_due #2 carol 2026-11-05T07:00:00Z; "
		       "reminder_overdue #1 bob 2026-11-06T08:00:00Z");
}

static void test_snooze_refusals(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	REPLY(f, "alice", "!ws action Say thanks @bob", "#2");
	REPLY(f, "bob", "!ws snooze", "Usage: !ws snooze <id> <duration|date>");
	REPLY(f, "bob", "!ws snooze 1", "Until when? Usage: !ws snooze <id> <duration|date>");
	REPLY(f, "bob", "!ws snooze x 2d", "Which action item?");
	REPLY(f, "bob", "!ws snooze 9 2d", "There is no action item #9 here");
	REPLY(f, "bob", "!ws snooze 1 soonish", "Usage: !ws snooze <id> <duration|date>, e.g. 2d");
	REPLY(f, "bob", "!ws snooze 1 2x", "Usage: !ws snooze <id> <duration|date>");
	REPLY(f, "bob", "!ws snooze 1 2026-10-01", "has passed; give a later date");
	REPLY(f, "bob", "!ws snooze 2 2d", "Action item #2 has no reminder pending; it has no due date");
	REPLY(f, "bob", "!ws done 1", "Marked done");
	REPLY(f, "bob", "!ws snooze 1 2d", "Action item #1 is done, so it has no reminders.");
	assert_jobs(f, "");
	REPLY(f, "bob", "!ws help", "snooze <id> <duration|date>");
}

/* Two due-day reminders for bob at one time make one message; carol's is her own. */
static void test_coalesce_one_message_per_person(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	REPLY(f, "alice", "!ws action Book the room @carol by 2026-10-23", "#2");
	REPLY(f, "bob", "!ws action Print the flyers by 2026-10-23", "#3 Print the flyers — no owner");
	assert_int_equal(run_due(f, at("2026-10-23T07:00:00Z")), 2);
	/* The early reminders were missed too: each is folded into its item's due-day one. */
	assert_int_equal(count_jobs(f, "state = 'pending' AND kind != 'reminder_overdue'"), 0);
	/* Sent: the due-day ones. The folded early ones are marked unsent, so an item's
	 * history does not list a reminder nobody got. */
	assert_int_equal(count_jobs(f, "state = 'done' AND kind = 'reminder_due'"), 3);
	assert_int_equal(count_jobs(f, "state = 'cancelled' AND kind = 'reminder_before'"), 3);
	assert_jobs(f, "reminder_overdue #1 bob 2026-10-26T08:00:00Z; "
		       "reminder_overdue #3 bob 2026-10-26T08:00:00Z; "
		       "reminder_overdue #2 carol 2026-10-26T08:00:00Z");
}

/* The same, one step at a time, to see the messages. */
static void test_coalesce_messages(void **state)
{
	struct fixture *f = *state;
	const char *bob, *carol;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	REPLY(f, "alice", "!ws action Book the room @carol by 2026-10-23", "#2");
	REPLY(f, "bob", "!ws action Print the flyers by 2026-10-23", "#3");
	assert_int_equal(run_due(f, at("2026-10-21T07:00:00Z")), 2);
	bob = strstr(f->sent[0], "@bob") ? f->sent[0] : f->sent[1];
	carol = strstr(f->sent[0], "@carol") ? f->sent[0] : f->sent[1];
	assert_contains(bob, "Reminder for @bob: 2 action items are coming up:\n"
			     "  #1 Call the food bank — due in 2 days, on Fri 2026-10-23\n"
			     "  #3 Print the flyers — due in 2 days, on Fri 2026-10-23\n"
			     "When one is done: !ws done <id>; later: !ws snooze <id> 2d.");
	assert_contains(carol, "Reminder for @carol: #2 Book the room — due in 2 days");
	assert_not_contains(carol, "@bob");
	assert_int_equal(count_jobs(f, "kind = 'reminder_before' AND state = 'done'"), 3);

	assert_int_equal(run_due(f, at("2026-10-23T07:00:00Z")), 2);
	bob = strstr(f->sent[0], "@bob") ? f->sent[0] : f->sent[1];
	assert_contains(bob, "Reminder for @bob: 2 action items are due:\n"
			     "  #1 Call the food bank — due today, Fri 2026-10-23\n"
			     "  #3 Print the flyers — due today, Fri 2026-10-23");
	assert_int_equal(run_due(f, at("2026-10-26T08:00:00Z")), 2);
	bob = strstr(f->sent[0], "@bob") ? f->sent[0] : f->sent[1];
	assert_contains(bob, "Overdue reminder for @bob: 2 action items are overdue:\n"
			     "  #1 Call the food bank — was due 3 days ago, on Fri 2026-10-23 "
			     "(overdue reminder 1 of 3)\n  #3 Print the flyers");
	assert_contains(bob, "later: !ws due <id> <date>.");
}

/* The bot was off from Tuesday to Monday: the early and the due-day reminder of #1 were
 * both missed. At the restart one message (the due-day one, the early one folded into
 * it) says so; bob's #2 early reminder of Friday, missed too, comes once, coalesced
 * with nothing else of its kind. None comes twice. */
static void test_offline_missed_jobs_fire_once_delayed(void **state)
{
	struct fixture *f = *state;

	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	REPLY(f, "alice", "!ws action Book the room @bob by 2026-10-28", "#2");
	REPLY(f, "alice", "!ws action Send the minutes @bob by 2026-10-27", "#3");
	/* #2: before Mon 10-26 09:00 CET, due Wed 10-28 (a closure) -> Thu 08:00 CET; #3:
	 * before Sun -> Mon 10-26 08:00 CET, due Tue 10-27 09:00 CET. */
	assert_jobs(f, "reminder_before #1 bob 2026-10-21T07:00:00Z; "
		       "reminder_due #1 bob 2026-10-23T07:00:00Z; "
		       "reminder_before #3 bob 2026-10-26T07:00:00Z; "
		       "reminder_before #2 bob 2026-10-26T08:00:00Z; "
		       "reminder_due #3 bob 2026-10-27T08:00:00Z; "
		       "reminder_due #2 bob 2026-10-29T07:00:00Z");

	/* Back on Monday 10-26 at 10:30 CET. The early reminders come first: #1's is folded
	 * into its due-day reminder; #3's and #2's (due this morning) make one message. */
	assert_int_equal(run_due(f, at("2026-10-26T09:30:00Z")), 2);
	assert_contains(f->sent[0], "Reminder for @bob: 2 action items are coming up:\n"
				    "  #3 Send the minutes — due tomorrow, Tue 2026-10-27\n"
				    "  #2 Book the room — due in 2 days, on Wed 2026-10-28\n"
				    "When one is done: !ws done <id>; later: !ws snooze <id> 2d. "
				    "(delayed: the bot was offline)");
	assert_not_contains(f->sent[0], "#1");
	assert_contains(f->sent[1], "Reminder for @bob: #1 Call the food bank — was due 3 days ago, "
				    "on Fri 2026-10-23. When it is done: !ws done 1; later: !ws "
				    "snooze 1 2d. (delayed: the bot was offline)");
	/* The overdue reminder counts from the day it was actually sent. */
	assert_jobs(f, "reminder_due #3 bob 2026-10-27T08:00:00Z; "
		       "reminder_due #2 bob 2026-10-29T07:00:00Z; "
		       "reminder_overdue #1 bob 2026-10-29T08:00:00Z");
	assert_int_equal(count_jobs(f, "state = 'done'"), 3);
	assert_int_equal(count_jobs(f, "state = 'cancelled'"), 1);
	assert_int_equal(run_due(f, at("2026-10-26T09:30:00Z")), 0);

	/* An hour late is not "delayed"; a second more is. */
	assert_int_equal(run_due(f, at("2026-10-27T09:00:00Z")), 1);
	assert_contains(f->sent[0], "#3 Send the minutes — due today, Tue 2026-10-27.");
	assert_not_contains(f->sent[0], "delayed");
	/* Two kinds due at once for bob: one message each. */
	assert_int_equal(run_due(f, at("2026-10-29T09:00:01Z")), 2);
	assert_contains(f->sent[0], "Reminder for @bob: #2 Book the room — was due yesterday, "
				    "Wed 2026-10-28.");
	assert_contains(f->sent[1], "Overdue reminder for @bob: #1 Call the food bank");
	assert_contains(f->sent[0], "(delayed: the bot was offline)");
	assert_contains(f->sent[1], "(delayed: the bot was offline)");
}

/* overdue_max 0: the facilitator is told one interval after the due day; a reminder for
 * an item that was done meanwhile (its job not cancelled, as after a crash) says nothing. */
static void test_no_overdue_reminders_and_stale_jobs(void **state)
{
	struct fixture *f = *state;
	struct store_job stale = { .kind = "reminder_due", .session_id = 1, .action_id = 2,
				   .user_id = "bob" };

	load_config(f, CONFIG_TEXT "overdue_max = 0\nremind_days_before = 0\n");
	set_now("2026-10-19T10:00:00Z");
	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @bob by 2026-10-23", "#1");
	assert_jobs(f, "reminder_due #1 bob 2026-10-23T07:00:00Z");
	assert_int_equal(run_next(f, &(int64_t){ 0 }), 1);
	assert_jobs(f, "escalate #1 alice 2026-10-26T08:00:00Z");
	assert_int_equal(run_next(f, &(int64_t){ 0 }), 1);
	assert_contains(f->sent[0], "is still open after 0 overdue reminders.");

	REPLY(f, "alice", "!ws action Book the room @bob by 2026-10-30", "#2");
	REPLY(f, "alice", "!ws done 2", "Marked done");
	stale.due_at = at("2026-10-30T08:00:00Z");
	assert_int_equal(store_job_add(f->store, &stale, at("2026-10-26T08:00:00Z"), NULL), 0);
	assert_int_equal(run_due(f, at("2026-10-30T08:00:00Z")), 0);
	assert_jobs(f, "");
}

static void test_format_local(void **state)
{
	char buf[48];

	(void)state;
	reminders_format_local("Europe/Berlin", (time_t)at("2026-10-25T00:30:00Z"), buf, sizeof buf);
	assert_string_equal(buf, "Sun 2026-10-25 02:30");
	reminders_format_local("Europe/Berlin", (time_t)at("2026-10-25T01:30:00Z"), buf, sizeof buf);
	assert_string_equal(buf, "Sun 2026-10-25 02:30");
	reminders_format_local("America/New_York", (time_t)at("2026-11-01T14:00:00Z"), buf,
			       sizeof buf);
	assert_string_equal(buf, "Sun 2026-11-01 09:00");
	reminders_format_local("Nowhere/Atlantis", (time_t)at("2026-11-01T14:00:00Z"), buf,
			       sizeof buf);
	assert_string_equal(buf, "Sun 2026-11-01 14:00 UTC");
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	static const struct CMUnitTest tests[] = {
		CASE(test_add_schedules_in_local_time_across_dst),
		CASE(test_chain_to_escalation),
		CASE(test_matrix_ids_get_one_at),
		CASE(test_done_cancels_and_reopen_reschedules),
		CASE(test_due_and_assign_reschedule),
		CASE(test_snooze),
		CASE(test_snooze_refusals),
		CASE(test_coalesce_one_message_per_person),
		CASE(test_coalesce_messages),
		CASE(test_offline_missed_jobs_fire_once_delayed),
		CASE(test_no_overdue_reminders_and_stale_jobs),
		cmocka_unit_test(test_format_local),
	};

	return cmocka_run_group_tests_name("reminders", tests, wf_suite_setup, suite_teardown);
}
