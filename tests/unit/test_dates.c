/* test_dates.c - due dates and durations as people type them.
 *
 * Every case has a fixed `now` (a UTC wall-clock time) and a zone; expected dates were
 * worked out by hand from a calendar: 2026-11-29 is a Sunday, 2026-11-30 a Monday,
 * 2026-12-05 a Saturday, 2026-12-31 a Thursday. DST changes in 2026: America/Los_Angeles
 * 03-08 and 11-01, Europe/Berlin 03-29 and 10-25. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* timegm */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bot/err.h"
#include "handlers/dates.h"
#include "tests/unit/utc_time.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- dates_parse ---- */

struct parse_case {
	const char *description;
	struct utc now;
	const char *tz;
	const char *input;
	int rc;
	struct civil_date want;   /* when rc == 0 */
	const char *err;          /* exact message, or NULL to check only that there is one */
};

#define SUN { 2026, 11, 29, 12, 0 }   /* Sunday */
#define MON { 2026, 11, 30, 12, 0 }   /* Monday */
#define SAT { 2026, 12, 5, 12, 0 }    /* Saturday */
#define AT(y, m, d) { y, m, d, 12, 0 }
#define UTC_AT(y, m, d, h, mi) { y, m, d, h, mi }
#define LA "America/Los_Angeles"
#define BERLIN "Europe/Berlin"

#define OK(desc, now, tz, in, y, m, d) { desc, now, tz, in, 0, { y, m, d }, NULL }
#define BAD(desc, now, in, msg) { desc, now, "UTC", in, BOT_ERR_INVALID, { 0, 0, 0 }, msg }

#define FORMS "use 2026-12-15, today, tomorrow, friday, next tuesday, in 2 weeks or dec 15"

static const struct parse_case parse_cases[] = {
	/* ISO, today, tomorrow */
	OK("ISO date", SUN, "UTC", "2026-12-15", 2026, 12, 15),
	OK("ISO date with white space around", SUN, "UTC", " \t2026-12-15\n", 2026, 12, 15),
	OK("ISO date in the past is still a date", SUN, "UTC", "2020-01-01", 2020, 1, 1),
	OK("today", SUN, "UTC", "today", 2026, 11, 29),
	OK("TODAY, upper case and padded", SUN, "UTC", "  TODAY  ", 2026, 11, 29),
	OK("tomorrow", SUN, "UTC", "tomorrow", 2026, 11, 30),
	OK("Tomorrow, capitalised", SUN, "UTC", "Tomorrow", 2026, 11, 30),

	/* weekday: strictly after today, 1-7 days ahead */
	OK("friday on a Sunday", SUN, "UTC", "friday", 2026, 12, 4),
	OK("fri on a Sunday", SUN, "UTC", "fri", 2026, 12, 4),
	OK("Friday, capitalised", SUN, "UTC", "Friday", 2026, 12, 4),
	OK("monday on a Sunday is the next day", SUN, "UTC", "monday", 2026, 11, 30),
	OK("wed on a Sunday", SUN, "UTC", "wed", 2026, 12, 2),
	OK("saturday on a Sunday", SUN, "UTC", "saturday", 2026, 12, 5),
	OK("sunday on a Sunday is a week ahead, not today", SUN, "UTC", "sunday", 2026, 12, 6),
	OK("sun on a Sunday is a week ahead", SUN, "UTC", "sun", 2026, 12, 6),
	OK("friday on a Monday", MON, "UTC", "friday", 2026, 12, 4),
	OK("monday on a Monday is a week ahead", MON, "UTC", "monday", 2026, 12, 7),
	OK("tue on a Monday", MON, "UTC", "tue", 2026, 12, 1),
	OK("sunday on a Monday", MON, "UTC", "sunday", 2026, 12, 6),
	OK("sunday on a Saturday is tomorrow", SAT, "UTC", "sunday", 2026, 12, 6),
	OK("friday on a Saturday", SAT, "UTC", "friday", 2026, 12, 11),

	/* next <weekday>: that day in the following Monday-to-Sunday week */
	OK("next friday on a Sunday: week of Mon 11-30", SUN, "UTC", "next friday", 2026, 12, 4),
	OK("next monday on a Sunday is the next day", SUN, "UTC", "next monday", 2026, 11, 30),
	OK("next sunday on a Sunday", SUN, "UTC", "next sunday", 2026, 12, 6),
	OK("NEXT   Fri, spaces collapsed", SUN, "UTC", "NEXT   Fri", 2026, 12, 4),
	OK("next friday on a Monday: week of Mon 12-07", MON, "UTC", "next friday", 2026, 12, 11),
	OK("next monday on a Monday", MON, "UTC", "next monday", 2026, 12, 7),
	OK("next tuesday on a Monday", MON, "UTC", "next tuesday", 2026, 12, 8),
	OK("next sunday on a Monday is 13 days ahead", MON, "UTC", "next sunday", 2026, 12, 13),
	OK("next saturday on a Saturday", SAT, "UTC", "next saturday", 2026, 12, 12),
	OK("next sunday on a Saturday", SAT, "UTC", "next sunday", 2026, 12, 13),

	/* in N days|weeks|months */
	OK("in 3 days", SUN, "UTC", "in 3 days", 2026, 12, 2),
	OK("in 1 day", SUN, "UTC", "in 1 day", 2026, 11, 30),
	OK("in a day", SUN, "UTC", "in a day", 2026, 11, 30),
	OK("IN 10 DAYS", SUN, "UTC", "IN 10 DAYS", 2026, 12, 9),
	OK("in a week", SUN, "UTC", "in a week", 2026, 12, 6),
	OK("in 1 week", SUN, "UTC", "in 1 week", 2026, 12, 6),
	OK("in 2 weeks", SUN, "UTC", "in 2 weeks", 2026, 12, 13),
	OK("in 1 month", SUN, "UTC", "in 1 month", 2026, 12, 29),
	OK("in 2 months crosses the year", SUN, "UTC", "in 2 months", 2027, 1, 29),
	OK("in 3 months: Feb 29 2027 clamps to Feb 28", SUN, "UTC", "in 3 months", 2027, 2, 28),
	OK("in 3650 days is the limit", SUN, "UTC", "in 3650 days", 2036, 11, 26),
	OK("in 521 weeks", SUN, "UTC", "in 521 weeks", 2036, 11, 23),
	OK("in 120 months", SUN, "UTC", "in 120 months", 2036, 11, 29),

	/* <month> <day>, <day> <month>: next occurrence on or after today */
	OK("dec 15", SUN, "UTC", "dec 15", 2026, 12, 15),
	OK("December 15", SUN, "UTC", "December 15", 2026, 12, 15),
	OK("15 dec", SUN, "UTC", "15 dec", 2026, 12, 15),
	OK("15 December", SUN, "UTC", "15 December", 2026, 12, 15),
	OK("dec 15th", SUN, "UTC", "dec 15th", 2026, 12, 15),
	OK("1st dec", SUN, "UTC", "1st dec", 2026, 12, 1),
	OK("nov 29 on Nov 29 is today", SUN, "UTC", "nov 29", 2026, 11, 29),
	OK("nov 28 on Nov 29 is next year", SUN, "UTC", "nov 28", 2027, 11, 28),
	OK("jan 5 is next year", SUN, "UTC", "jan 5", 2027, 1, 5),
	OK("sept 3", SUN, "UTC", "sept 3", 2027, 9, 3),
	OK("may 1", SUN, "UTC", "May 1", 2027, 5, 1),
	OK("dec 15 2027", SUN, "UTC", "dec 15 2027", 2027, 12, 15),
	OK("15 dec 2027", SUN, "UTC", "15 dec 2027", 2027, 12, 15),
	OK("dec 15, 2027", SUN, "UTC", "dec 15, 2027", 2027, 12, 15),
	OK("an explicit past year is kept", SUN, "UTC", "nov 1 2026", 2026, 11, 1),

	/* month ends and year ends */
	OK("in 1 month from Jan 31 clamps to Feb 28", AT(2026, 1, 31), "UTC", "in 1 month",
	   2026, 2, 28),
	OK("in 1 month from Jan 31 of a leap year is Feb 29", AT(2028, 1, 31), "UTC",
	   "in 1 month", 2028, 2, 29),
	OK("in 1 month from Mar 31 clamps to Apr 30", AT(2026, 3, 31), "UTC", "in 1 month",
	   2026, 4, 30),
	OK("in 13 months from Jan 31 2027", AT(2027, 1, 31), "UTC", "in 13 months", 2028, 2, 29),
	OK("in 2 months from Dec 31", AT(2026, 12, 31), "UTC", "in 2 months", 2027, 2, 28),
	OK("tomorrow on Dec 31 is next year", AT(2026, 12, 31), "UTC", "tomorrow", 2027, 1, 1),
	OK("friday on Thu Dec 31", AT(2026, 12, 31), "UTC", "friday", 2027, 1, 1),
	OK("next friday on Thu Dec 31", AT(2026, 12, 31), "UTC", "next friday", 2027, 1, 8),
	OK("tomorrow on Feb 28 2026 is Mar 1", AT(2026, 2, 28), "UTC", "tomorrow", 2026, 3, 1),
	OK("tomorrow on Feb 28 2028 is Feb 29", AT(2028, 2, 28), "UTC", "tomorrow", 2028, 2, 29),

	/* leap days */
	OK("2028-02-29 exists", SUN, "UTC", "2028-02-29", 2028, 2, 29),
	OK("2000-02-29 exists (divisible by 400)", SUN, "UTC", "2000-02-29", 2000, 2, 29),
	OK("feb 29 from 2026 is 2028-02-29", SUN, "UTC", "feb 29", 2028, 2, 29),
	OK("29 feb 2028", SUN, "UTC", "29 feb 2028", 2028, 2, 29),
	OK("feb 29 on 2028-02-29 is today", AT(2028, 2, 29), "UTC", "feb 29", 2028, 2, 29),
	OK("feb 29 on 2028-03-01 is 2032", AT(2028, 3, 1), "UTC", "feb 29", 2032, 2, 29),
	BAD("2027-02-29 does not exist", SUN, "2027-02-29",
	    "cannot read '2027-02-29' as a date: " FORMS),
	BAD("2100-02-29 does not exist", SUN, "2100-02-29", NULL),
	BAD("feb 29 2027 does not exist", SUN, "feb 29 2027", NULL),

	/* DST: the date is the local civil date in the user's zone */
	OK("LA tomorrow at 23:30 the day before spring forward", UTC_AT(2026, 3, 8, 7, 30), LA,
	   "tomorrow", 2026, 3, 8),
	OK("LA tomorrow at 23:30 on the spring-forward day", UTC_AT(2026, 3, 9, 6, 30), LA,
	   "tomorrow", 2026, 3, 9),
	OK("LA today at 23:30 PDT is not the UTC date", UTC_AT(2026, 3, 9, 6, 30), LA, "today",
	   2026, 3, 8),
	OK("LA tomorrow at 23:30 the day before fall back", UTC_AT(2026, 11, 1, 6, 30), LA,
	   "tomorrow", 2026, 11, 1),
	OK("LA tomorrow at 23:30 on the fall-back day", UTC_AT(2026, 11, 2, 7, 30), LA, "tomorrow",
	   2026, 11, 2),
	OK("Berlin tomorrow at 23:30 the day before spring forward", UTC_AT(2026, 3, 28, 22, 30),
	   BERLIN, "tomorrow", 2026, 3, 29),
	OK("Berlin tomorrow at 23:30 on the spring-forward day", UTC_AT(2026, 3, 29, 21, 30),
	   BERLIN, "tomorrow", 2026, 3, 30),
	OK("Berlin tomorrow at 23:30 the day before fall back", UTC_AT(2026, 10, 24, 21, 30),
	   BERLIN, "tomorrow", 2026, 10, 25),
	OK("Berlin tomorrow at 23:30 on the fall-back day", UTC_AT(2026, 10, 25, 22, 30), BERLIN,
	   "tomorrow", 2026, 10, 26),
	OK("Berlin today at 00:30 CEST is ahead of the UTC date", UTC_AT(2026, 10, 24, 22, 30),
	   BERLIN, "today", 2026, 10, 25),
	OK("LA in 1 week from 23:30 PST across spring forward", UTC_AT(2026, 3, 6, 7, 30), LA,
	   "in 1 week", 2026, 3, 12),
	OK("LA in 1 week from 00:30 PDT across fall back", UTC_AT(2026, 10, 29, 7, 30), LA,
	   "in 1 week", 2026, 11, 5),
	OK("Berlin in 1 week from 23:30 CET across spring forward", UTC_AT(2026, 3, 25, 22, 30),
	   BERLIN, "in 1 week", 2026, 4, 1),
	OK("Berlin in 1 week from 00:30 CEST across fall back", UTC_AT(2026, 10, 24, 22, 30),
	   BERLIN, "in 1 week", 2026, 11, 1),
	OK("LA friday at 23:30 Thursday local (Friday in UTC)", UTC_AT(2026, 12, 4, 7, 30), LA,
	   "friday", 2026, 12, 4),

	/* the slash refusal */
	BAD("12/15 is refused with a hint", SUN, "12/15",
	    "ambiguous date '12/15': write 2026-12-15 or dec 15"),
	BAD("12/15 after Dec 15 hints next year", AT(2026, 12, 20), "12/15",
	    "ambiguous date '12/15': write 2027-12-15 or dec 15"),
	BAD("05/12 is read month first", SUN, "05/12",
	    "ambiguous date '05/12': write 2027-05-12 or may 12"),
	BAD("1/2/2027 keeps its year", SUN, "1/2/2027",
	    "ambiguous date '1/2/2027': write 2027-01-02 or jan 2 2027"),
	BAD("15/12/2026 can only be day first", SUN, "15/12/2026",
	    "ambiguous date '15/12/2026': write 2026-12-15 or 15 dec 2026"),
	BAD("15/12 can only be day first", SUN, "15/12",
	    "ambiguous date '15/12': write 2026-12-15 or 15 dec"),
	BAD("2026/12/15, year first", SUN, "2026/12/15",
	    "ambiguous date '2026/12/15': write 2026-12-15 or dec 15 2026"),
	BAD("13/13 is no date: generic example", SUN, "13/13",
	    "ambiguous date '13/13': write 2026-12-15 or dec 15"),
	BAD("a/b: generic example", SUN, "a/b", "ambiguous date 'a/b': write 2026-12-15 or dec 15"),
	BAD("slash inside words", SUN, "dec 15/16", NULL),

	/* anything else */
	BAD("someday", SUN, "someday", "cannot read 'someday' as a date: " FORMS),
	BAD("empty", SUN, "", "cannot read '' as a date: " FORMS),
	BAD("only white space", SUN, " \t ", "cannot read '' as a date: " FORMS),
	BAD("dec 32", SUN, "dec 32", "cannot read 'dec 32' as a date: " FORMS),
	BAD("32 dec", SUN, "32 dec", NULL),
	BAD("apr 31 never exists", SUN, "apr 31", NULL),
	BAD("dec 0", SUN, "dec 0", NULL),
	BAD("2026-02-30", SUN, "2026-02-30", "cannot read '2026-02-30' as a date: " FORMS),
	BAD("2026-13-01", SUN, "2026-13-01", NULL),
	BAD("2026-1-5 is not ISO", SUN, "2026-1-5", NULL),
	BAD("2026-12-15x", SUN, "2026-12-15x", NULL),
	BAD("in 0 days", SUN, "in 0 days", "cannot read 'in 0 days' as a date: " FORMS),
	BAD("in 3651 days is too far", SUN, "in 3651 days", NULL),
	BAD("in 522 weeks is too far", SUN, "in 522 weeks", NULL),
	BAD("in 121 months is too far", SUN, "in 121 months", NULL),
	BAD("in 99999 days", SUN, "in 99999 days", NULL),
	BAD("in -1 days", SUN, "in -1 days", NULL),
	BAD("in days", SUN, "in days", NULL),
	BAD("in 2 fortnights", SUN, "in 2 fortnights", NULL),
	BAD("in 2", SUN, "in 2", NULL),
	BAD("next alone", SUN, "next", NULL),
	BAD("next week", SUN, "next week", NULL),
	BAD("nextfriday", SUN, "nextfriday", NULL),
	BAD("friday friday", SUN, "friday friday", NULL),
	BAD("fridays", SUN, "fridays", NULL),
	BAD("dec 3th is a wrong ordinal", SUN, "dec 3th", NULL),
	BAD("dec 15 27: two-digit year", SUN, "dec 15 27", NULL),
	BAD("dec alone", SUN, "dec", NULL),
	BAD("a bare number", SUN, "15", NULL),
	BAD("tomorrow please", SUN, "tomorrow please", NULL),
	BAD("quotes at most 40 characters", SUN, "someday soon when the workshop is over and done",
	    "cannot read 'someday soon when the workshop is over a...' as a date: " FORMS),
	BAD("over 64 characters", SUN,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "cannot read 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' as a date: " FORMS),
	BAD("control characters are not echoed", SUN, "some\x01\nday",
	    "cannot read 'some??day' as a date: " FORMS),
	BAD("a cut never splits a UTF-8 character", SUN,
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zz",
	    "cannot read 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' as a date: " FORMS),
	BAD("NULL text", SUN, NULL, "cannot read '' as a date: " FORMS),

	/* the zone */
	{ "unknown zone", SUN, "Nowhere/City", "tomorrow", BOT_ERR_INVALID, { 0, 0, 0 },
	  "unknown time zone 'Nowhere/City'" },
	{ "zone with ..", SUN, "../etc/passwd", "2026-12-15", BOT_ERR_INVALID, { 0, 0, 0 }, NULL },
	{ "NULL zone", SUN, NULL, "today", BOT_ERR_INVALID, { 0, 0, 0 }, NULL },
};

static void test_parse(void **state)
{
	const struct parse_case *c = *state;
	struct civil_date got = { 1, 1, 1 };
	char err[BOT_ERRMSG_MAX] = "";
	int rc = dates_parse(c->input, from_utc(c->now), c->tz, &got, err, sizeof err);

	assert_int_equal(rc, c->rc);
	if (rc == 0) {
		assert_int_equal(got.year, c->want.year);
		assert_int_equal(got.month, c->want.month);
		assert_int_equal(got.day, c->want.day);
		return;
	}
	/* untouched on failure; one line that explains */
	assert_int_equal(got.year, 1);
	assert_int_equal(got.month, 1);
	assert_int_equal(got.day, 1);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	if (c->err)
		assert_string_equal(err, c->err);
}

static void test_parse_null_err(void **state)
{
	struct civil_date got;
	(void)state;
	assert_int_equal(dates_parse("someday", 0, "UTC", &got, NULL, 0), BOT_ERR_INVALID);
	assert_int_equal(dates_parse("12/15", 0, "UTC", &got, NULL, 0), BOT_ERR_INVALID);
}

static void test_parse_small_err(void **state)
{
	struct civil_date got;
	char err[8];
	(void)state;
	assert_int_equal(dates_parse("someday", 0, "UTC", &got, err, sizeof err),
			 BOT_ERR_INVALID);
	assert_string_equal(err, "cannot ");
}

/* ---- dates_today ---- */

static void test_today(void **state)
{
	struct civil_date d = { 0, 0, 0 };
	(void)state;

	/* 2026-03-09 06:30Z is 23:30 on the 8th in LA and 07:30 on the 9th in Berlin. */
	assert_int_equal(dates_today(from_utc((struct utc){ 2026, 3, 9, 6, 30 }), LA, &d), 0);
	assert_int_equal(d.year, 2026);
	assert_int_equal(d.month, 3);
	assert_int_equal(d.day, 8);
	assert_int_equal(dates_today(from_utc((struct utc){ 2026, 3, 9, 6, 30 }), BERLIN, &d), 0);
	assert_int_equal(d.day, 9);
	/* New year arrives in Berlin first. */
	assert_int_equal(dates_today(from_utc((struct utc){ 2026, 12, 31, 23, 30 }), BERLIN, &d),
			 0);
	assert_int_equal(d.year, 2027);
	assert_int_equal(d.month, 1);
	assert_int_equal(d.day, 1);
	assert_int_equal(dates_today(0, "Nowhere/City", &d), -1);
}

/* ---- dates_parse_iso and dates_format ---- */

struct iso_case {
	const char *description;
	const char *input;
	int rc;
	struct civil_date want;
};

static const struct iso_case iso_cases[] = {
	{ "iso: 2026-12-15", "2026-12-15", 0, { 2026, 12, 15 } },
	{ "iso: 2028-02-29 leap day", "2028-02-29", 0, { 2028, 2, 29 } },
	{ "iso: 2026-01-31", "2026-01-31", 0, { 2026, 1, 31 } },
	{ "iso: 2027-02-29 not a leap year", "2027-02-29", -1, { 0, 0, 0 } },
	{ "iso: 1900-02-29 not a leap year", "1900-02-29", -1, { 0, 0, 0 } },
	{ "iso: 2026-04-31", "2026-04-31", -1, { 0, 0, 0 } },
	{ "iso: month 13", "2026-13-01", -1, { 0, 0, 0 } },
	{ "iso: month 00", "2026-00-10", -1, { 0, 0, 0 } },
	{ "iso: day 00", "2026-01-00", -1, { 0, 0, 0 } },
	{ "iso: year 0000", "0000-01-01", -1, { 0, 0, 0 } },
	{ "iso: one-digit month", "2026-1-15", -1, { 0, 0, 0 } },
	{ "iso: leading space is not strict", " 2026-12-15", -1, { 0, 0, 0 } },
	{ "iso: trailing space is not strict", "2026-12-15 ", -1, { 0, 0, 0 } },
	{ "iso: time after the date", "2026-12-15T09:00", -1, { 0, 0, 0 } },
	{ "iso: five-digit year", "20261-12-15", -1, { 0, 0, 0 } },
	{ "iso: slashes", "2026/12/15", -1, { 0, 0, 0 } },
	{ "iso: truncated", "2026-12-1", -1, { 0, 0, 0 } },
	{ "iso: empty", "", -1, { 0, 0, 0 } },
	{ "iso: NULL", NULL, -1, { 0, 0, 0 } },
};

static void test_iso(void **state)
{
	const struct iso_case *c = *state;
	struct civil_date got = { 1, 1, 1 };

	assert_int_equal(dates_parse_iso(c->input, &got), c->rc);
	if (c->rc == 0) {
		assert_int_equal(got.year, c->want.year);
		assert_int_equal(got.month, c->want.month);
		assert_int_equal(got.day, c->want.day);
	} else {
		assert_int_equal(got.year, 1);
	}
}

static void test_format(void **state)
{
	const struct civil_date d = { 2026, 1, 5 };
	const struct civil_date far = { 9999, 12, 31 };
	char buf[11];
	char small[5];
	(void)state;

	memset(buf, 'x', sizeof buf);
	dates_format(&d, buf, sizeof buf);
	assert_string_equal(buf, "2026-01-05");
	dates_format(&far, buf, sizeof buf);
	assert_string_equal(buf, "9999-12-31");
	dates_format(&d, small, sizeof small);
	assert_string_equal(small, "2026");
	dates_format(&d, small, 0); /* writes nothing, no crash */
	assert_string_equal(small, "2026");
}

/* ---- dates_parse_duration ---- */

struct duration_case {
	const char *description;
	const char *input;
	int rc;
	long seconds;
	const char *err;   /* exact message, or NULL */
};

#define DUR_FORMS "use 10m, 90s, 2h, 1h30m, 3d, 2w or 10 minutes"
#define DOK(in, s) { "duration: " in, in, 0, s, NULL }
#define DBAD(desc, in, msg) { "duration: " desc, in, BOT_ERR_INVALID, 0, msg }

static const struct duration_case duration_cases[] = {
	DOK("10m", 600),
	DOK("90s", 90),
	DOK("2h", 7200),
	DOK("3d", 259200),
	DOK("2w", 1209600),
	DOK("1h30m", 5400),
	DOK("1h 30m", 5400),
	DOK("1d2h3m4s", 93784),
	DOK("10 minutes", 600),
	DOK("1 minute", 60),
	DOK("2 hours", 7200),
	DOK("3 days", 259200),
	DOK("2 weeks", 1209600),
	DOK("45 seconds", 45),
	DOK("10 mins", 600),
	DOK("2 hrs", 7200),
	DOK("an hour", 3600),
	DOK("a minute", 60),
	DOK("a week", 604800),
	DOK("1 hour 30 minutes", 5400),
	DOK("1 hour and 30 minutes", 5400),
	DOK("1 hour, 30 minutes", 5400),
	{ "duration: upper case, padded", "  10M  ", 0, 600, NULL },
	DOK("0h30m", 1800),
	DOK("366d", 31622400),
	DOK("52w", 31449600),
	DOK("52w2d", 31622400),
	DBAD("0m", "0m", "duration '0m' must be more than zero: " DUR_FORMS),
	DBAD("0 minutes", "0 minutes", NULL),
	DBAD("367d", "367d", "duration '367d' is longer than 366 days: " DUR_FORMS),
	DBAD("53w", "53w", NULL),
	DBAD("366d1s", "366d1s", NULL),
	DBAD("many digits", "99999999999999999999w",
	     "duration '99999999999999999999w' is longer than 366 days: " DUR_FORMS),
	DBAD("999999999w overflows a 32-bit multiply", "999999999w", NULL),
	DBAD("empty", "", "cannot read '' as a duration: " DUR_FORMS),
	DBAD("NULL", NULL, "cannot read '' as a duration: " DUR_FORMS),
	DBAD("-5m", "-5m", "cannot read '-5m' as a duration: " DUR_FORMS),
	DBAD("bare number", "10", NULL),
	DBAD("unit only", "h", NULL),
	DBAD("decimal", "1.5h", NULL),
	DBAD("smaller unit first", "30m1h", NULL),
	DBAD("unit twice", "1h1h", NULL),
	DBAD("unknown unit", "10 parsecs", NULL),
	DBAD("months are not durations", "1 month", NULL),
	DBAD("trailing junk", "10 minutes ago", NULL),
	DBAD("trailing and", "1h and", NULL),
	DBAD("trailing comma", "1h,", NULL),
	DBAD("article alone", "an", NULL),
	DBAD("article glued to unit", "ahour", NULL),
	DBAD("overlong", "1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h",
	     "cannot read '1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1h 1...' as a duration: "
	     DUR_FORMS),
};

static void test_duration(void **state)
{
	const struct duration_case *c = *state;
	char err[BOT_ERRMSG_MAX] = "";
	long got = -7;
	int rc = dates_parse_duration(c->input, &got, err, sizeof err);

	assert_int_equal(rc, c->rc);
	if (rc == 0) {
		assert_int_equal(got, c->seconds);
		return;
	}
	assert_int_equal(got, -7);
	assert_true(strlen(err) > 0);
	assert_null(strchr(err, '\n'));
	if (c->err)
		assert_string_equal(err, c->err);
}

int main(void)
{
	struct CMUnitTest parse[N_ELEMS(parse_cases)];
	struct CMUnitTest iso[N_ELEMS(iso_cases)];
	struct CMUnitTest duration[N_ELEMS(duration_cases)];
	const struct CMUnitTest other[] = {
		cmocka_unit_test(test_parse_null_err),
		cmocka_unit_test(test_parse_small_err),
		cmocka_unit_test(test_today),
		cmocka_unit_test(test_format),
	};
	int failed = 0;

	for (size_t i = 0; i < N_ELEMS(parse_cases); i++)
		parse[i] = (struct CMUnitTest){ parse_cases[i].description, test_parse, NULL, NULL,
						(void *)&parse_cases[i] };
	for (size_t i = 0; i < N_ELEMS(iso_cases); i++)
		iso[i] = (struct CMUnitTest){ iso_cases[i].description, test_iso, NULL, NULL,
					      (void *)&iso_cases[i] };
	for (size_t i = 0; i < N_ELEMS(duration_cases); i++)
		duration[i] = (struct CMUnitTest){ duration_cases[i].description, test_duration,
						   NULL, NULL, (void *)&duration_cases[i] };

	failed += cmocka_run_group_tests_name("dates_parse", parse, NULL, NULL);
	failed += cmocka_run_group_tests_name("dates_parse_iso", iso, NULL, NULL);
	failed += cmocka_run_group_tests_name("dates_parse_duration", duration, NULL, NULL);
	failed += cmocka_run_group_tests_name("dates other", other, NULL, NULL);
	return failed ? 1 : 0;
}
