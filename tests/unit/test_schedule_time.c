/* test_schedule_time.c - the time rules of follow-ups: quiet hours (also wrapping
 * midnight), working days, closure dates, local wall times on dates, adding days and the
 * daily time of async sessions, across DST both ways in two zones.
 *
 * Expected instants are written out by hand in UTC. The 2026 transitions:
 * Europe/Berlin 03-29 01:00Z (02:00 CET -> 03:00 CEST) and 10-25 01:00Z (03:00 CEST ->
 * 02:00 CET); America/Los_Angeles 03-08 10:00Z (02:00 PST -> 03:00 PDT) and 11-01 09:00Z
 * (02:00 PDT -> 01:00 PST). Weekdays: 2026-12-01 is a Tuesday, 12-04 a Friday, 12-07 a
 * Monday; 2026-03-06 and 10-30 are Fridays; every 2026 transition day is a Sunday. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* timegm */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#include <cmocka.h>

#include "bot/err.h"
#include "bot/tz.h"
#include "handlers/schedule_time.h"
#include "tests/unit/support.h"

#define BERLIN "Europe/Berlin"
#define LA "America/Los_Angeles"

/* A UTC wall-clock time. */
struct utc {
	int y, mo, d, h, mi, s;
};

static time_t from_utc(struct utc u)
{
	struct tm tm = { .tm_year = u.y - 1900, .tm_mon = u.mo - 1, .tm_mday = u.d,
			 .tm_hour = u.h, .tm_min = u.mi, .tm_sec = u.s };
	return timegm(&tm);
}

/* Fails with both instants in UTC when they differ. */
static void assert_instant(time_t got, time_t want)
{
	char g[32], w[32];
	struct tm tm;

	if (got == want)
		return;
	gmtime_r(&got, &tm);
	strftime(g, sizeof g, "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&want, &tm);
	strftime(w, sizeof w, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fail_msg("got %s, want %s", g, w);
}

#define QUIET_20_08 1200, 480
#define NO_QUIET 0, 0
#define DEFAULT_RULES { QUIET_20_08, SCHEDULE_WEEKDAYS, NULL, 0 }
#define ALL_DAYS_NO_QUIET { NO_QUIET, SCHEDULE_ALL_DAYS, NULL, 0 }

static const struct civil_date monday_holiday[] = { { 2026, 12, 7 } };
static const struct civil_date saturday_holiday[] = { { 2026, 12, 5 } };
/* Christmas to New Year: Thu 24, Fri 25, Mon 28 ... Thu 31, Fri 1 Jan. */
static const struct civil_date year_end[] = {
	{ 2026, 12, 24 }, { 2026, 12, 25 }, { 2026, 12, 28 }, { 2026, 12, 29 },
	{ 2026, 12, 30 }, { 2026, 12, 31 }, { 2027, 1, 1 },
};
static const struct civil_date bad_closure[] = { { 2026, 2, 30 } };

/* ---- schedule_rules_default ---- */

static void test_rules_default(void **state)
{
	struct schedule_rules r = { 1, 2, 3, monday_holiday, 1 };
	(void)state;

	schedule_rules_default(&r);
	assert_int_equal(r.quiet_start_min, 20 * 60);
	assert_int_equal(r.quiet_end_min, 8 * 60);
	assert_int_equal(r.working_days, SCHEDULE_WEEKDAYS);
	assert_int_equal(r.working_days, SCHEDULE_MONDAY | SCHEDULE_TUESDAY |
			 SCHEDULE_WEDNESDAY | SCHEDULE_THURSDAY | SCHEDULE_FRIDAY);
	assert_null(r.closures);
	assert_int_equal(r.n_closures, 0);
}

/* ---- schedule_next_allowed ---- */

struct allowed_case {
	const char *description;
	const char *tz;
	struct schedule_rules rules;
	bool no_rules;          /* pass NULL */
	struct utc at;
	int rc;
	struct utc want;
};

static const struct allowed_case allowed_cases[] = {
	{ "Tuesday 10:00 is allowed: itself", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 1, 9, 0, 0 }, 0, { 2026, 12, 1, 9, 0, 0 } },
	{ "an allowed instant keeps its seconds", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 1, 9, 0, 30 }, 0, { 2026, 12, 1, 9, 0, 30 } },
	{ "Tuesday 22:10 in quiet hours -> Wednesday 08:00", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 1, 21, 10, 0 }, 0, { 2026, 12, 2, 7, 0, 0 } },
	{ "07:59 -> 08:00 the same day", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 2, 6, 59, 0 }, 0, { 2026, 12, 2, 7, 0, 0 } },
	{ "00:30 just after midnight -> 08:00 the same day", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 1, 23, 30, 0 }, 0, { 2026, 12, 2, 7, 0, 0 } },
	{ "20:00 sharp is quiet -> 08:00 next day", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 2, 19, 0, 0 }, 0, { 2026, 12, 3, 7, 0, 0 } },
	{ "19:59:59 is still allowed", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 2, 18, 59, 59 }, 0, { 2026, 12, 2, 18, 59, 59 } },
	{ "08:00 sharp is allowed", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 2, 7, 0, 0 }, 0, { 2026, 12, 2, 7, 0, 0 } },
	{ "Friday 21:00 -> Monday 08:00", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 4, 20, 0, 0 }, 0, { 2026, 12, 7, 7, 0, 0 } },
	{ "Saturday noon -> Monday 08:00", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 5, 11, 0, 0 }, 0, { 2026, 12, 7, 7, 0, 0 } },
	{ "Sunday 23:00 -> Monday 08:00", BERLIN, DEFAULT_RULES, false,
	  { 2026, 12, 6, 22, 0, 0 }, 0, { 2026, 12, 7, 7, 0, 0 } },
	{ "Monday holiday: Friday 22:00 -> Tuesday 08:00", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, monday_holiday, 1 }, false,
	  { 2026, 12, 4, 21, 0, 0 }, 0, { 2026, 12, 8, 7, 0, 0 } },
	{ "Monday holiday: Monday 10:00 -> Tuesday 08:00", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, monday_holiday, 1 }, false,
	  { 2026, 12, 7, 9, 0, 0 }, 0, { 2026, 12, 8, 7, 0, 0 } },
	{ "run of closures: Wed 23 Dec 22:00 -> Mon 4 Jan 08:00", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, year_end, ARRAY_LEN(year_end) }, false,
	  { 2026, 12, 23, 21, 0, 0 }, 0, { 2027, 1, 4, 7, 0, 0 } },
	{ "a closure on a weekend day changes nothing on Friday", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, saturday_holiday, 1 }, false,
	  { 2026, 12, 4, 9, 0, 0 }, 0, { 2026, 12, 4, 9, 0, 0 } },
	{ "quiet 12:00-13:00 (not wrapping): 12:30 -> 13:00", BERLIN,
	  { 720, 780, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 1, 11, 30, 0 }, 0, { 2026, 12, 1, 12, 0, 0 } },
	{ "quiet 12:00-13:00: 13:00 is allowed", BERLIN,
	  { 720, 780, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 1, 12, 0, 0 }, 0, { 2026, 12, 1, 12, 0, 0 } },
	{ "quiet 12:00-13:00: 11:59 is allowed", BERLIN,
	  { 720, 780, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 1, 10, 59, 0 }, 0, { 2026, 12, 1, 10, 59, 0 } },
	{ "quiet 12:00-13:00: 23:30 is allowed", BERLIN,
	  { 720, 780, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 1, 22, 30, 0 }, 0, { 2026, 12, 1, 22, 30, 0 } },
	{ "no quiet hours: Saturday -> Monday 00:00", BERLIN,
	  { NO_QUIET, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 5, 11, 0, 0 }, 0, { 2026, 12, 6, 23, 0, 0 } },
	{ "Saturday as a working day: itself", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS | SCHEDULE_SATURDAY, NULL, 0 }, false,
	  { 2026, 12, 5, 11, 0, 0 }, 0, { 2026, 12, 5, 11, 0, 0 } },
	{ "Saturday working, Sunday not: Saturday 22:00 -> Monday 08:00", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS | SCHEDULE_SATURDAY, NULL, 0 }, false,
	  { 2026, 12, 5, 21, 0, 0 }, 0, { 2026, 12, 7, 7, 0, 0 } },
	{ "only Sundays: Monday -> next Sunday 08:00", BERLIN,
	  { QUIET_20_08, SCHEDULE_SUNDAY, NULL, 0 }, false,
	  { 2026, 12, 7, 9, 0, 0 }, 0, { 2026, 12, 13, 7, 0, 0 } },
	{ "NULL rules: Saturday 03:00 is allowed", BERLIN, DEFAULT_RULES, true,
	  { 2026, 12, 5, 2, 0, 0 }, 0, { 2026, 12, 5, 2, 0, 0 } },
	{ "LA Friday 21:00 PST -> Monday 08:00 PDT (spring forward on Sunday)", LA,
	  DEFAULT_RULES, false, { 2026, 3, 7, 5, 0, 0 }, 0, { 2026, 3, 9, 15, 0, 0 } },
	{ "LA Friday 21:00 PDT -> Monday 08:00 PST (fall back on Sunday)", LA,
	  DEFAULT_RULES, false, { 2026, 10, 31, 4, 0, 0 }, 0, { 2026, 11, 2, 16, 0, 0 } },
	{ "Berlin Friday 22:00 CET -> Monday 08:00 CEST", BERLIN, DEFAULT_RULES, false,
	  { 2026, 3, 27, 21, 0, 0 }, 0, { 2026, 3, 30, 6, 0, 0 } },
	{ "Berlin Friday 22:00 CEST -> Monday 08:00 CET", BERLIN, DEFAULT_RULES, false,
	  { 2026, 10, 23, 20, 0, 0 }, 0, { 2026, 10, 26, 7, 0, 0 } },
	{ "Berlin quiet ends at 02:30 inside the gap: allowed from 03:00 CEST", BERLIN,
	  { 60, 150, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 3, 29, 0, 30, 0 }, 0, { 2026, 3, 29, 1, 0, 0 } },
	{ "Berlin allowed only 02:15-02:45, all in the gap: the next day 02:15", BERLIN,
	  { 165, 135, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 3, 29, 0, 0, 0 }, 0, { 2026, 3, 30, 0, 15, 0 } },
	{ "Berlin allowed only 02:15-03:15: 03:00 CEST, right after the gap", BERLIN,
	  { 195, 135, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 3, 29, 0, 0, 0 }, 0, { 2026, 3, 29, 1, 0, 0 } },
	{ "Berlin quiet 02:00-02:45, 02:10 first pass -> 02:45 CEST", BERLIN,
	  { 120, 165, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 10, 25, 0, 10, 0 }, 0, { 2026, 10, 25, 0, 45, 0 } },
	{ "Berlin quiet 02:00-02:45, 02:50 CEST allowed", BERLIN,
	  { 120, 165, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 10, 25, 0, 50, 0 }, 0, { 2026, 10, 25, 0, 50, 0 } },
	{ "Berlin quiet 02:00-02:45, 02:10 second pass -> 02:45 CET", BERLIN,
	  { 120, 165, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 10, 25, 1, 10, 0 }, 0, { 2026, 10, 25, 1, 45, 0 } },
	{ "LA quiet 01:00-01:40, 01:20 second pass -> 01:40 PST", LA,
	  { 60, 100, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 11, 1, 9, 20, 0 }, 0, { 2026, 11, 1, 9, 40, 0 } },
	{ "LA quiet 00:00-02:30 ends in the gap: allowed from 03:00 PDT", LA,
	  { 0, 150, SCHEDULE_ALL_DAYS, NULL, 0 }, false,
	  { 2026, 3, 8, 9, 0, 0 }, 0, { 2026, 3, 8, 10, 0, 0 } },
	{ "unknown zone", "Nowhere/City", DEFAULT_RULES, false,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "unknown zone, also with NULL rules", "Nowhere/City", DEFAULT_RULES, true,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "quiet start 1440", BERLIN, { 1440, 480, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "quiet end -1", BERLIN, { 1200, -1, SCHEDULE_WEEKDAYS, NULL, 0 }, false,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "no working day", BERLIN, { QUIET_20_08, 0, NULL, 0 }, false,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "a working-day bit past Sunday", BERLIN, { QUIET_20_08, 0x80, NULL, 0 }, false,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "closures counted but missing", BERLIN, { QUIET_20_08, SCHEDULE_WEEKDAYS, NULL, 2 },
	  false, { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "a closure that is not a date (Feb 30)", BERLIN,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, bad_closure, 1 }, false,
	  { 2026, 12, 1, 9, 0, 0 }, BOT_ERR_INVALID, { 0 } },
};

static void test_next_allowed(void **state)
{
	const struct allowed_case *c = *state;
	time_t got = 12345;
	int rc = schedule_next_allowed(c->tz, from_utc(c->at), c->no_rules ? NULL : &c->rules,
				       &got);

	assert_int_equal(rc, c->rc);
	if (rc == 0)
		assert_instant(got, from_utc(c->want));
	else
		assert_int_equal((long long)got, 12345); /* untouched on failure */
}

/* Closure dates on every working day (Mondays) for more than a year: nothing allowed. */
static void test_next_allowed_none_in_a_year(void **state)
{
	struct civil_date mondays[60];
	struct schedule_rules r;
	time_t got = 12345, at = from_utc((struct utc){ 2026, 12, 1, 9, 0, 0 });
	int day = 7, month = 12, year = 2026;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	(void)state;

	for (size_t i = 0; i < ARRAY_LEN(mondays); i++) {
		mondays[i] = (struct civil_date){ year, month, day };
		day += 7;
		if (day > mdays[month - 1]) {   /* 2027 and early 2028: no Feb 29 reached */
			day -= mdays[month - 1];
			if (++month > 12) {
				month = 1;
				year++;
			}
		}
	}
	r = (struct schedule_rules){ QUIET_20_08, SCHEDULE_MONDAY, mondays, ARRAY_LEN(mondays) };
	assert_int_equal(schedule_next_allowed(BERLIN, at, &r, &got), BOT_ERR_NOT_FOUND);
	assert_int_equal(schedule_next_daily(BERLIN, at, 9 * 60, &r, &got), BOT_ERR_NOT_FOUND);
	assert_int_equal((long long)got, 12345);
	/* One Monday left open, 59 weeks out: found. */
	r.n_closures = 50;
	assert_int_equal(schedule_next_allowed(BERLIN, at, &r, &got), 0);
	assert_instant(got, from_utc((struct utc){ 2027, 11, 22, 7, 0, 0 }));
}

/* ---- schedule_local_at ---- */

struct local_at_case {
	const char *description;
	const char *tz;
	struct civil_date d;
	int minute;
	int rc;
	struct utc want;
};

static const struct local_at_case local_at_cases[] = {
	{ "Berlin 09:00 on the spring-forward day is CEST", BERLIN, { 2026, 3, 29 }, 540, 0,
	  { 2026, 3, 29, 7, 0, 0 } },
	{ "Berlin 02:30 in the gap moves forward to 03:30 CEST", BERLIN, { 2026, 3, 29 }, 150,
	  0, { 2026, 3, 29, 1, 30, 0 } },
	{ "Berlin 02:30 in the overlap takes the first (CEST)", BERLIN, { 2026, 10, 25 }, 150,
	  0, { 2026, 10, 25, 0, 30, 0 } },
	{ "Berlin 09:00 on the fall-back day is CET", BERLIN, { 2026, 10, 25 }, 540, 0,
	  { 2026, 10, 25, 8, 0, 0 } },
	{ "LA 02:30 in the gap moves forward to 03:30 PDT", LA, { 2026, 3, 8 }, 150, 0,
	  { 2026, 3, 8, 10, 30, 0 } },
	{ "LA 01:30 in the overlap takes the first (PDT)", LA, { 2026, 11, 1 }, 90, 0,
	  { 2026, 11, 1, 8, 30, 0 } },
	{ "LA 23:59 on leap day", LA, { 2028, 2, 29 }, 1439, 0, { 2028, 3, 1, 7, 59, 0 } },
	{ "minute -1", BERLIN, { 2026, 3, 29 }, -1, BOT_ERR_INVALID, { 0 } },
	{ "minute 1440", BERLIN, { 2026, 3, 29 }, 1440, BOT_ERR_INVALID, { 0 } },
	{ "Feb 30 is not a date", BERLIN, { 2026, 2, 30 }, 540, BOT_ERR_INVALID, { 0 } },
	{ "Feb 29 2027 is not a date", BERLIN, { 2027, 2, 29 }, 540, BOT_ERR_INVALID, { 0 } },
	{ "month 13", BERLIN, { 2026, 13, 1 }, 540, BOT_ERR_INVALID, { 0 } },
	{ "unknown zone", "Nowhere/City", { 2026, 3, 29 }, 540, BOT_ERR_INVALID, { 0 } },
};

static void test_local_at(void **state)
{
	const struct local_at_case *c = *state;
	time_t got = 12345;
	int rc = schedule_local_at(c->tz, c->d, c->minute, &got);

	assert_int_equal(rc, c->rc);
	if (rc == 0)
		assert_instant(got, from_utc(c->want));
	else
		assert_int_equal((long long)got, 12345);
}

/* ---- schedule_add_days_local ---- */

struct add_case {
	const char *description;
	const char *tz;
	struct utc at;
	int days;
	int rc;
	struct utc want;
};

static const struct add_case add_cases[] = {
	{ "Berlin 09:00 CET + 1 = 09:00 CEST on the spring-forward day", BERLIN,
	  { 2026, 3, 28, 8, 0, 0 }, 1, 0, { 2026, 3, 29, 7, 0, 0 } },
	{ "Berlin 09:00 CET + 2 = 09:00 CEST", BERLIN,
	  { 2026, 3, 28, 8, 0, 0 }, 2, 0, { 2026, 3, 30, 7, 0, 0 } },
	{ "Berlin 09:00 CET + 7 across the change", BERLIN,
	  { 2026, 3, 25, 8, 0, 0 }, 7, 0, { 2026, 4, 1, 7, 0, 0 } },
	{ "Berlin 09:00 CEST + 1 = 09:00 CET on the fall-back day", BERLIN,
	  { 2026, 10, 24, 7, 0, 0 }, 1, 0, { 2026, 10, 25, 8, 0, 0 } },
	{ "Berlin 09:00 CEST - 2 = 09:00 CET (backwards)", BERLIN,
	  { 2026, 3, 30, 7, 0, 0 }, -2, 0, { 2026, 3, 28, 8, 0, 0 } },
	{ "Berlin 02:30 + 1 into the gap = 03:30 CEST", BERLIN,
	  { 2026, 3, 28, 1, 30, 0 }, 1, 0, { 2026, 3, 29, 1, 30, 0 } },
	{ "Berlin 02:30 + 1 into the overlap = the first 02:30 (CEST)", BERLIN,
	  { 2026, 10, 24, 0, 30, 0 }, 1, 0, { 2026, 10, 25, 0, 30, 0 } },
	{ "Berlin second-pass 02:30 CET + 1 = 02:30 CET", BERLIN,
	  { 2026, 10, 25, 1, 30, 0 }, 1, 0, { 2026, 10, 26, 1, 30, 0 } },
	{ "LA 09:00 PST + 1 = 09:00 PDT", LA,
	  { 2026, 3, 7, 17, 0, 0 }, 1, 0, { 2026, 3, 8, 16, 0, 0 } },
	{ "LA 09:00 PDT + 1 = 09:00 PST", LA,
	  { 2026, 10, 31, 16, 0, 0 }, 1, 0, { 2026, 11, 1, 17, 0, 0 } },
	{ "LA 02:30 PST + 1 into the gap = 03:30 PDT", LA,
	  { 2026, 3, 7, 10, 30, 0 }, 1, 0, { 2026, 3, 8, 10, 30, 0 } },
	{ "LA 01:30 PDT + 1 into the overlap = the first 01:30 (PDT)", LA,
	  { 2026, 10, 31, 8, 30, 0 }, 1, 0, { 2026, 11, 1, 8, 30, 0 } },
	{ "LA 09:00 + 14 days across fall back (report-back offset)", LA,
	  { 2026, 10, 20, 16, 0, 0 }, 14, 0, { 2026, 11, 3, 17, 0, 0 } },
	{ "seconds are kept", "UTC",
	  { 2026, 6, 1, 12, 0, 45 }, 1, 0, { 2026, 6, 2, 12, 0, 45 } },
	{ "zero days", BERLIN,
	  { 2026, 6, 1, 12, 0, 0 }, 0, 0, { 2026, 6, 1, 12, 0, 0 } },
	{ "Jan 31 + 1 = Feb 1", "UTC",
	  { 2026, 1, 31, 12, 0, 0 }, 1, 0, { 2026, 2, 1, 12, 0, 0 } },
	{ "Jan 31 + 30 = Mar 2 (2026 is no leap year)", "UTC",
	  { 2026, 1, 31, 12, 0, 0 }, 30, 0, { 2026, 3, 2, 12, 0, 0 } },
	{ "Apr 30 + 1 = May 1", "UTC",
	  { 2026, 4, 30, 12, 0, 0 }, 1, 0, { 2026, 5, 1, 12, 0, 0 } },
	{ "Feb 28 2027 + 1 = Mar 1", "UTC",
	  { 2027, 2, 28, 12, 0, 0 }, 1, 0, { 2027, 3, 1, 12, 0, 0 } },
	{ "Feb 28 2028 + 1 = leap day", "UTC",
	  { 2028, 2, 28, 12, 0, 0 }, 1, 0, { 2028, 2, 29, 12, 0, 0 } },
	{ "leap day + 1 = Mar 1", "UTC",
	  { 2028, 2, 29, 12, 0, 0 }, 1, 0, { 2028, 3, 1, 12, 0, 0 } },
	{ "leap day + 365 = Feb 28 2029", "UTC",
	  { 2028, 2, 29, 12, 0, 0 }, 365, 0, { 2029, 2, 28, 12, 0, 0 } },
	{ "Mar 1 2028 - 1 = leap day", "UTC",
	  { 2028, 3, 1, 12, 0, 0 }, -1, 0, { 2028, 2, 29, 12, 0, 0 } },
	{ "Berlin leap day 09:00 + 1", BERLIN,
	  { 2028, 2, 29, 8, 0, 0 }, 1, 0, { 2028, 3, 1, 8, 0, 0 } },
	{ "Berlin Dec 31 23:30 + 1 = Jan 1 23:30 (local new year, not UTC's)", BERLIN,
	  { 2026, 12, 31, 22, 30, 0 }, 1, 0, { 2027, 1, 1, 22, 30, 0 } },
	{ "Berlin Dec 31 00:30 local (Dec 30 UTC) + 1 = Jan 1 00:30", BERLIN,
	  { 2026, 12, 30, 23, 30, 0 }, 1, 0, { 2026, 12, 31, 23, 30, 0 } },
	{ "the largest step", "UTC",
	  { 2026, 1, 1, 0, 0, 0 }, SCHEDULE_ADD_DAYS_MAX, 0, { 2126, 3, 18, 0, 0, 0 } },
	{ "too many days", "UTC",
	  { 2026, 1, 1, 0, 0, 0 }, SCHEDULE_ADD_DAYS_MAX + 1, BOT_ERR_INVALID, { 0 } },
	{ "too many days back", "UTC",
	  { 2026, 1, 1, 0, 0, 0 }, -SCHEDULE_ADD_DAYS_MAX - 1, BOT_ERR_INVALID, { 0 } },
	{ "past year 9999", "UTC",
	  { 9999, 12, 31, 12, 0, 0 }, 1, BOT_ERR_INVALID, { 0 } },
	{ "unknown zone", "Nowhere/City",
	  { 2026, 1, 1, 0, 0, 0 }, 1, BOT_ERR_INVALID, { 0 } },
};

static void test_add_days(void **state)
{
	const struct add_case *c = *state;
	time_t got = 12345;
	int rc = schedule_add_days_local(c->tz, from_utc(c->at), c->days, &got);

	assert_int_equal(rc, c->rc);
	if (rc == 0)
		assert_instant(got, from_utc(c->want));
	else
		assert_int_equal((long long)got, 12345);
}

/* ---- schedule_next_daily ---- */

struct daily_case {
	const char *description;
	const char *tz;
	int minute;
	struct schedule_rules rules;
	bool no_rules;
	struct utc after;
	int rc;
	struct utc want;
};

static const struct daily_case daily_cases[] = {
	{ "Berlin 09:00: the day before spring forward -> 09:00 CEST", BERLIN, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 28, 8, 0, 0 }, 0, { 2026, 3, 29, 7, 0, 0 } },
	{ "Berlin 09:00: the spring-forward day -> next day", BERLIN, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 29, 7, 0, 0 }, 0, { 2026, 3, 30, 7, 0, 0 } },
	{ "Berlin 09:00: the day before fall back -> 09:00 CET", BERLIN, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 24, 7, 0, 0 }, 0, { 2026, 10, 25, 8, 0, 0 } },
	{ "Berlin 09:00: the fall-back day -> next day", BERLIN, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 25, 8, 0, 0 }, 0, { 2026, 10, 26, 8, 0, 0 } },
	{ "Berlin 02:30: into the gap -> 03:30 CEST", BERLIN, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 28, 1, 30, 0 }, 0, { 2026, 3, 29, 1, 30, 0 } },
	{ "Berlin 02:30: after the gap day -> 02:30 CEST", BERLIN, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 29, 1, 30, 0 }, 0, { 2026, 3, 30, 0, 30, 0 } },
	{ "Berlin 02:30: into the overlap -> the first pass", BERLIN, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 24, 0, 30, 0 }, 0, { 2026, 10, 25, 0, 30, 0 } },
	{ "Berlin 02:30: after the first pass -> not the second, the next day", BERLIN, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 25, 0, 30, 0 }, 0, { 2026, 10, 26, 1, 30, 0 } },
	{ "Berlin 02:30: from inside the overlap -> the next day", BERLIN, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 25, 1, 0, 0 }, 0, { 2026, 10, 26, 1, 30, 0 } },
	{ "LA 09:00: into spring forward -> 09:00 PDT", LA, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 7, 17, 0, 0 }, 0, { 2026, 3, 8, 16, 0, 0 } },
	{ "LA 09:00: after spring forward", LA, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 8, 16, 0, 0 }, 0, { 2026, 3, 9, 16, 0, 0 } },
	{ "LA 09:00: into fall back -> 09:00 PST", LA, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 31, 16, 0, 0 }, 0, { 2026, 11, 1, 17, 0, 0 } },
	{ "LA 09:00: after fall back", LA, 540,
	  ALL_DAYS_NO_QUIET, false, { 2026, 11, 1, 17, 0, 0 }, 0, { 2026, 11, 2, 17, 0, 0 } },
	{ "LA 02:30: into the gap -> 03:30 PDT", LA, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 7, 10, 30, 0 }, 0, { 2026, 3, 8, 10, 30, 0 } },
	{ "LA 02:30: after the gap day -> 02:30 PDT", LA, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 3, 8, 10, 30, 0 }, 0, { 2026, 3, 9, 9, 30, 0 } },
	{ "LA 01:30: into the overlap -> the first pass (PDT)", LA, 90,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 31, 8, 30, 0 }, 0, { 2026, 11, 1, 8, 30, 0 } },
	{ "LA 01:30: after the first pass -> 01:30 PST the next day", LA, 90,
	  ALL_DAYS_NO_QUIET, false, { 2026, 11, 1, 8, 30, 0 }, 0, { 2026, 11, 2, 9, 30, 0 } },
	{ "LA 02:30 on the fall-back day is once, in PST", LA, 150,
	  ALL_DAYS_NO_QUIET, false, { 2026, 10, 31, 9, 30, 0 }, 0, { 2026, 11, 1, 10, 30, 0 } },
	{ "weekend skipped: Friday 09:00 -> Monday 09:00", BERLIN, 540, DEFAULT_RULES, false,
	  { 2026, 12, 4, 8, 0, 0 }, 0, { 2026, 12, 7, 8, 0, 0 } },
	{ "strictly after: exactly 09:00 -> tomorrow", BERLIN, 540, DEFAULT_RULES, false,
	  { 2026, 12, 1, 8, 0, 0 }, 0, { 2026, 12, 2, 8, 0, 0 } },
	{ "a second before 09:00 -> today", BERLIN, 540, DEFAULT_RULES, false,
	  { 2026, 12, 1, 7, 59, 59 }, 0, { 2026, 12, 1, 8, 0, 0 } },
	{ "late evening -> tomorrow 09:00", BERLIN, 540, DEFAULT_RULES, false,
	  { 2026, 12, 1, 22, 0, 0 }, 0, { 2026, 12, 2, 8, 0, 0 } },
	{ "Monday holiday: Friday -> Tuesday", BERLIN, 540,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, monday_holiday, 1 }, false,
	  { 2026, 12, 4, 8, 0, 0 }, 0, { 2026, 12, 8, 8, 0, 0 } },
	{ "run of closures: Wed 23 Dec -> Mon 4 Jan", BERLIN, 540,
	  { QUIET_20_08, SCHEDULE_WEEKDAYS, year_end, ARRAY_LEN(year_end) }, false,
	  { 2026, 12, 23, 8, 0, 0 }, 0, { 2027, 1, 4, 8, 0, 0 } },
	{ "07:00 is quiet: moves to 08:00 the same day", BERLIN, 420, DEFAULT_RULES, false,
	  { 2026, 12, 1, 5, 0, 0 }, 0, { 2026, 12, 1, 7, 0, 0 } },
	{ "07:00 moved to 08:00: the next is tomorrow's", BERLIN, 420, DEFAULT_RULES, false,
	  { 2026, 12, 1, 7, 0, 0 }, 0, { 2026, 12, 2, 7, 0, 0 } },
	{ "23:00 is quiet: Friday's moves to Monday 08:00", BERLIN, 1380, DEFAULT_RULES,
	  false, { 2026, 12, 4, 7, 0, 0 }, 0, { 2026, 12, 7, 7, 0, 0 } },
	{ "23:00 moved to Monday 08:00: the next is Tuesday 08:00", BERLIN, 1380,
	  DEFAULT_RULES, false, { 2026, 12, 7, 7, 0, 0 }, 0, { 2026, 12, 8, 7, 0, 0 } },
	{ "NULL rules: Saturday too", BERLIN, 540, DEFAULT_RULES, true,
	  { 2026, 12, 4, 8, 0, 0 }, 0, { 2026, 12, 5, 8, 0, 0 } },
	{ "minute -1", BERLIN, -1, DEFAULT_RULES, false,
	  { 2026, 12, 1, 8, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "minute 1440", BERLIN, 1440, DEFAULT_RULES, false,
	  { 2026, 12, 1, 8, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "unknown zone", "Nowhere/City", 540, DEFAULT_RULES, false,
	  { 2026, 12, 1, 8, 0, 0 }, BOT_ERR_INVALID, { 0 } },
	{ "bad rules", BERLIN, 540, { QUIET_20_08, 0, NULL, 0 }, false,
	  { 2026, 12, 1, 8, 0, 0 }, BOT_ERR_INVALID, { 0 } },
};

static void test_next_daily(void **state)
{
	const struct daily_case *c = *state;
	time_t got = 12345;
	int rc = schedule_next_daily(c->tz, from_utc(c->after), c->minute,
				     c->no_rules ? NULL : &c->rules, &got);

	assert_int_equal(rc, c->rc);
	if (rc == 0)
		assert_instant(got, from_utc(c->want));
	else
		assert_int_equal((long long)got, 12345);
}

/* Steps a daily time through weeks around both DST changes, feeding each result back in:
 * every local day from start gets exactly one occurrence, at the wall time (or, on the
 * gap day, moved forward by the gap), and the instants only grow. */
struct sequence_case {
	const char *description;
	const char *tz;
	int minute;
	struct utc start;
	int days;
};

static const struct sequence_case sequence_cases[] = {
	{ "Berlin 09:00 daily through spring forward", BERLIN, 540, { 2026, 3, 20, 12, 0, 0 }, 20 },
	{ "Berlin 09:00 daily through fall back", BERLIN, 540, { 2026, 10, 15, 12, 0, 0 }, 20 },
	{ "Berlin 02:30 daily through spring forward", BERLIN, 150, { 2026, 3, 20, 12, 0, 0 }, 20 },
	{ "Berlin 02:30 daily through fall back", BERLIN, 150, { 2026, 10, 15, 12, 0, 0 }, 20 },
	{ "LA 09:00 daily through spring forward", LA, 540, { 2026, 3, 1, 20, 0, 0 }, 20 },
	{ "LA 09:00 daily through fall back", LA, 540, { 2026, 10, 25, 20, 0, 0 }, 20 },
	{ "LA 02:30 daily through spring forward", LA, 150, { 2026, 3, 1, 20, 0, 0 }, 20 },
	{ "LA 01:30 daily through fall back", LA, 90, { 2026, 10, 25, 20, 0, 0 }, 20 },
};

static void test_daily_sequence(void **state)
{
	const struct sequence_case *c = *state;
	struct schedule_rules all = ALL_DAYS_NO_QUIET;
	time_t at = from_utc(c->start), next;
	struct tm prev_tm, tm;
	bool have_prev = false;

	for (int i = 0; i < c->days; i++) {
		assert_int_equal(schedule_next_daily(c->tz, at, c->minute, &all, &next), 0);
		assert_true(next > at);
		assert_int_equal(tz_localtime(c->tz, next, &tm), 0);
		if (tm.tm_hour * 60 + tm.tm_min != c->minute) {
			/* Only in the gap: moved forward by one hour. */
			assert_int_equal(tm.tm_hour * 60 + tm.tm_min, c->minute + 60);
			assert_int_equal(tm.tm_mon + 1, 3);
		}
		if (have_prev) {
			/* The next local day: not the same (twice), not two later (skipped). */
			struct tm day_after = prev_tm;
			day_after.tm_mday++;
			day_after.tm_hour = 12;
			assert_int_not_equal(timegm(&day_after), (time_t)-1); /* normalises the date */
			assert_int_equal(tm.tm_year, day_after.tm_year);
			assert_int_equal(tm.tm_mon, day_after.tm_mon);
			assert_int_equal(tm.tm_mday, day_after.tm_mday);
		}
		prev_tm = tm;
		have_prev = true;
		at = next;
	}
}

/* The same steps on working days with the default rules: Monday to Friday, once each. */
static void test_daily_working_days(void **state)
{
	struct schedule_rules r;
	time_t at = from_utc((struct utc){ 2026, 10, 15, 12, 0, 0 }), next;
	struct tm tm;
	int count = 0, last_wday = -1;
	(void)state;

	schedule_rules_default(&r);
	while (at < from_utc((struct utc){ 2026, 11, 12, 12, 0, 0 })) {
		assert_int_equal(schedule_next_daily(LA, at, 540, &r, &next), 0);
		assert_int_equal(tz_localtime(LA, next, &tm), 0);
		assert_int_equal(tm.tm_hour, 9);
		assert_int_equal(tm.tm_min, 0);
		assert_true(tm.tm_wday >= 1 && tm.tm_wday <= 5);
		if (last_wday >= 0)
			assert_int_equal(tm.tm_wday, last_wday == 5 ? 1 : last_wday + 1);
		last_wday = tm.tm_wday;
		at = next;
		count++;
	}
	/* Thu Oct 15 to Thu Nov 12, fall back on Sun Nov 1: 2 + 5 + 5 + 5 + 4 working days. */
	assert_int_equal(count, 21);
}

#define CASES(arr, fn, out)                                                            \
	for (size_t i = 0; i < ARRAY_LEN(arr); i++)                                     \
		out[i] = (struct CMUnitTest){ arr[i].description, fn, NULL, NULL,       \
					      (void *)&arr[i] }

int main(void)
{
	struct CMUnitTest allowed[ARRAY_LEN(allowed_cases)];
	struct CMUnitTest local[ARRAY_LEN(local_at_cases)];
	struct CMUnitTest add[ARRAY_LEN(add_cases)];
	struct CMUnitTest daily[ARRAY_LEN(daily_cases)];
	struct CMUnitTest seq[ARRAY_LEN(sequence_cases)];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(test_rules_default),
		cmocka_unit_test(test_next_allowed_none_in_a_year),
		cmocka_unit_test(test_daily_working_days),
	};
	int failed = 0;

	CASES(allowed_cases, test_next_allowed, allowed);
	CASES(local_at_cases, test_local_at, local);
	CASES(add_cases, test_add_days, add);
	CASES(daily_cases, test_next_daily, daily);
	CASES(sequence_cases, test_daily_sequence, seq);

	failed += cmocka_run_group_tests_name("schedule_next_allowed", allowed, NULL, NULL);
	failed += cmocka_run_group_tests_name("schedule_local_at", local, NULL, NULL);
	failed += cmocka_run_group_tests_name("schedule_add_days_local", add, NULL, NULL);
	failed += cmocka_run_group_tests_name("schedule_next_daily", daily, NULL, NULL);
	failed += cmocka_run_group_tests_name("schedule_next_daily sequences", seq, NULL, NULL);
	failed += cmocka_run_group_tests_name("schedule rules", other, NULL, NULL);
	return failed ? 1 : 0;
}
