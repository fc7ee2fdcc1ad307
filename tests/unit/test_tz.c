/* test_tz.c - zone names, local <-> UTC conversion, DST gaps and overlaps.
 *
 * Expected instants are written out by hand as UTC wall-clock times (checked against
 * the 2026 transitions: America/Los_Angeles 03-08 and 11-01, Europe/Berlin 03-29 and
 * 10-25, Europe/Dublin the same days with "negative DST", Australia/Sydney 04-05 and
 * 10-04, and Pacific/Apia skipping 2011-12-30). */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* setenv, unsetenv, timegm */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bot/tz.h"
#include "tests/unit/utc_time.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tz_valid ---- */

struct valid_case {
	const char *description;
	const char *name;
	bool valid;
};

static const char long_name[] =
	"America/Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static const struct valid_case valid_cases[] = {
	{ "tz_valid: Europe/Berlin", "Europe/Berlin", true },
	{ "tz_valid: UTC", "UTC", true },
	{ "tz_valid: America/Los_Angeles", "America/Los_Angeles", true },
	{ "tz_valid: three levels", "America/Argentina/Buenos_Aires", true },
	{ "tz_valid: plus sign", "Etc/GMT+5", true },
	{ "tz_valid: a link (Japan)", "Japan", true },
	{ "tz_valid: ../etc/passwd", "../etc/passwd", false },
	{ "tz_valid: /etc/passwd", "/etc/passwd", false },
	{ "tz_valid: .. inside", "Europe/../UTC", false },
	{ "tz_valid: Nowhere/City", "Nowhere/City", false },
	{ "tz_valid: empty", "", false },
	{ "tz_valid: NULL", NULL, false },
	{ "tz_valid: a directory", "Europe", false },
	{ "tz_valid: trailing slash", "Europe/", false },
	{ "tz_valid: double slash", "Europe//Berlin", false },
	{ "tz_valid: space", "Europe/Berlin ", false },
	{ "tz_valid: lower case", "europe/berlin", false },
	{ "tz_valid: dot", "zone.tab", false },
	{ "tz_valid: text file beside the zones", "leapseconds", false },
	{ "tz_valid: link out of the tree", "localtime", false },
	{ "tz_valid: over 64 characters", long_name, false },
	{ "tz_valid: POSIX TZ string", "EST5EDT,M3.2.0,M11.1.0", false },
};

static void test_valid(void **state)
{
	const struct valid_case *c = *state;
	assert_int_equal(tz_valid(c->name), c->valid);
}

/* ---- tz_mktime ---- */

struct mktime_case {
	const char *description;
	const char *tz;
	int y, mo, d, h, mi;   /* local wall-clock time */
	int rc;
	struct utc want;       /* expected instant when rc == 0 */
};

static const struct mktime_case mktime_cases[] = {
	{ "LA 09:00 the day before spring forward is PST (17:00Z)",
	  "America/Los_Angeles", 2026, 3, 7, 9, 0, 0, { 2026, 3, 7, 17, 0 } },
	{ "LA 09:00 on the spring-forward day is PDT (16:00Z)",
	  "America/Los_Angeles", 2026, 3, 8, 9, 0, 0, { 2026, 3, 8, 16, 0 } },
	{ "LA 09:00 the day after spring forward is PDT (16:00Z)",
	  "America/Los_Angeles", 2026, 3, 9, 9, 0, 0, { 2026, 3, 9, 16, 0 } },
	{ "LA 01:59 just before the gap",
	  "America/Los_Angeles", 2026, 3, 8, 1, 59, 0, { 2026, 3, 8, 9, 59 } },
	{ "LA 02:00 starts the gap: becomes 03:00 PDT",
	  "America/Los_Angeles", 2026, 3, 8, 2, 0, 0, { 2026, 3, 8, 10, 0 } },
	{ "LA 02:30 in the gap: moves forward to 03:30 PDT",
	  "America/Los_Angeles", 2026, 3, 8, 2, 30, 0, { 2026, 3, 8, 10, 30 } },
	{ "LA 03:00 just after the gap",
	  "America/Los_Angeles", 2026, 3, 8, 3, 0, 0, { 2026, 3, 8, 10, 0 } },
	{ "LA 09:00 the day before fall back is PDT (16:00Z)",
	  "America/Los_Angeles", 2026, 10, 31, 9, 0, 0, { 2026, 10, 31, 16, 0 } },
	{ "LA 00:59 before the overlap",
	  "America/Los_Angeles", 2026, 11, 1, 0, 59, 0, { 2026, 11, 1, 7, 59 } },
	{ "LA 01:00 starts the overlap: first occurrence, PDT",
	  "America/Los_Angeles", 2026, 11, 1, 1, 0, 0, { 2026, 11, 1, 8, 0 } },
	{ "LA 01:30 in the overlap: first occurrence, PDT (not 09:30Z)",
	  "America/Los_Angeles", 2026, 11, 1, 1, 30, 0, { 2026, 11, 1, 8, 30 } },
	{ "LA 02:00 after the overlap is PST",
	  "America/Los_Angeles", 2026, 11, 1, 2, 0, 0, { 2026, 11, 1, 10, 0 } },
	{ "LA 09:00 the day after fall back is PST (17:00Z)",
	  "America/Los_Angeles", 2026, 11, 2, 9, 0, 0, { 2026, 11, 2, 17, 0 } },
	{ "Berlin 09:00 before spring forward is CET (08:00Z)",
	  "Europe/Berlin", 2026, 3, 28, 9, 0, 0, { 2026, 3, 28, 8, 0 } },
	{ "Berlin 02:30 in the gap: moves forward to 03:30 CEST",
	  "Europe/Berlin", 2026, 3, 29, 2, 30, 0, { 2026, 3, 29, 1, 30 } },
	{ "Berlin 09:00 after spring forward is CEST (07:00Z)",
	  "Europe/Berlin", 2026, 3, 30, 9, 0, 0, { 2026, 3, 30, 7, 0 } },
	{ "Berlin 09:00 before fall back is CEST (07:00Z)",
	  "Europe/Berlin", 2026, 10, 24, 9, 0, 0, { 2026, 10, 24, 7, 0 } },
	{ "Berlin 02:30 in the overlap: first occurrence, CEST (not 01:30Z)",
	  "Europe/Berlin", 2026, 10, 25, 2, 30, 0, { 2026, 10, 25, 0, 30 } },
	{ "Berlin 03:00 after the overlap is CET",
	  "Europe/Berlin", 2026, 10, 25, 3, 0, 0, { 2026, 10, 25, 2, 0 } },
	{ "Berlin 09:00 after fall back is CET (08:00Z)",
	  "Europe/Berlin", 2026, 10, 26, 9, 0, 0, { 2026, 10, 26, 8, 0 } },
	{ "Dublin (winter is isdst=1) 01:30 in the gap: 02:30 IST",
	  "Europe/Dublin", 2026, 3, 29, 1, 30, 0, { 2026, 3, 29, 1, 30 } },
	{ "Dublin (winter is isdst=1) 01:30 in the overlap: first, IST",
	  "Europe/Dublin", 2026, 10, 25, 1, 30, 0, { 2026, 10, 25, 0, 30 } },
	{ "Sydney 02:30 in the April overlap: first, AEDT",
	  "Australia/Sydney", 2026, 4, 5, 2, 30, 0, { 2026, 4, 4, 15, 30 } },
	{ "Sydney 02:30 in the October gap: 03:30 AEDT",
	  "Australia/Sydney", 2026, 10, 4, 2, 30, 0, { 2026, 10, 3, 16, 30 } },
	{ "Apia skipped 2011-12-30: noon moves a whole day forward",
	  "Pacific/Apia", 2011, 12, 30, 12, 0, 0, { 2011, 12, 30, 22, 0 } },
	{ "Kolkata is +05:30",
	  "Asia/Kolkata", 2026, 12, 15, 9, 0, 0, { 2026, 12, 15, 3, 30 } },
	{ "UTC", "UTC", 2026, 12, 15, 9, 0, 0, { 2026, 12, 15, 9, 0 } },
	{ "leap day 2028-02-29 exists",
	  "UTC", 2028, 2, 29, 12, 0, 0, { 2028, 2, 29, 12, 0 } },
	{ "2027-02-29 does not exist", "UTC", 2027, 2, 29, 12, 0, -1, { 0 } },
	{ "Feb 30 does not exist", "Europe/Berlin", 2026, 2, 30, 9, 0, -1, { 0 } },
	{ "Apr 31 does not exist", "Europe/Berlin", 2026, 4, 31, 9, 0, -1, { 0 } },
	{ "month 13", "UTC", 2026, 13, 1, 9, 0, -1, { 0 } },
	{ "month 0", "UTC", 2026, 0, 1, 9, 0, -1, { 0 } },
	{ "day 0", "UTC", 2026, 1, 0, 9, 0, -1, { 0 } },
	{ "hour 24", "UTC", 2026, 1, 1, 24, 0, -1, { 0 } },
	{ "minute 60", "UTC", 2026, 1, 1, 9, 60, -1, { 0 } },
	{ "negative minute", "UTC", 2026, 1, 1, 9, -1, -1, { 0 } },
	{ "unknown zone", "Nowhere/City", 2026, 1, 1, 9, 0, -1, { 0 } },
	{ "zone with ..", "../etc/passwd", 2026, 1, 1, 9, 0, -1, { 0 } },
};

static void test_mktime(void **state)
{
	const struct mktime_case *c = *state;
	time_t got = 12345;
	int rc = tz_mktime(c->tz, c->y, c->mo, c->d, c->h, c->mi, &got);

	assert_int_equal(rc, c->rc);
	if (rc == 0)
		assert_int_equal((long long)got, (long long)from_utc(c->want));
	else
		assert_int_equal((long long)got, 12345); /* untouched on failure */
}

/* ---- tz_localtime, and back through tz_mktime ---- */

struct local_case {
	const char *description;
	const char *tz;
	struct utc at;          /* the instant */
	int y, mo, d, h, mi;    /* its local wall-clock time */
	long gmtoff;
	bool second;            /* second occurrence of an overlap: tz_mktime gives the first */
};

static const struct local_case local_cases[] = {
	{ "LA last minute of PST before the gap", "America/Los_Angeles",
	  { 2026, 3, 8, 9, 59 }, 2026, 3, 8, 1, 59, -8 * 3600, false },
	{ "LA first minute of PDT after the gap", "America/Los_Angeles",
	  { 2026, 3, 8, 10, 0 }, 2026, 3, 8, 3, 0, -7 * 3600, false },
	{ "LA 01:30 PDT, first pass through the overlap", "America/Los_Angeles",
	  { 2026, 11, 1, 8, 30 }, 2026, 11, 1, 1, 30, -7 * 3600, false },
	{ "LA 01:30 PST, second pass through the overlap", "America/Los_Angeles",
	  { 2026, 11, 1, 9, 30 }, 2026, 11, 1, 1, 30, -8 * 3600, true },
	{ "LA evening is the previous UTC day", "America/Los_Angeles",
	  { 2026, 3, 9, 6, 30 }, 2026, 3, 8, 23, 30, -7 * 3600, false },
	{ "Berlin 02:30 CEST, first pass through the overlap", "Europe/Berlin",
	  { 2026, 10, 25, 0, 30 }, 2026, 10, 25, 2, 30, 2 * 3600, false },
	{ "Berlin 02:30 CET, second pass through the overlap", "Europe/Berlin",
	  { 2026, 10, 25, 1, 30 }, 2026, 10, 25, 2, 30, 1 * 3600, true },
	{ "Berlin new year comes an hour before UTC's", "Europe/Berlin",
	  { 2026, 12, 31, 23, 30 }, 2027, 1, 1, 0, 30, 1 * 3600, false },
	{ "Kolkata half-hour offset", "Asia/Kolkata",
	  { 2026, 12, 15, 3, 30 }, 2026, 12, 15, 9, 0, 5 * 3600 + 1800, false },
	{ "UTC", "UTC", { 2026, 12, 15, 9, 0 }, 2026, 12, 15, 9, 0, 0, false },
};

static void test_local(void **state)
{
	const struct local_case *c = *state;
	time_t at = from_utc(c->at), back = 0;
	struct tm tm;

	assert_int_equal(tz_localtime(c->tz, at, &tm), 0);
	assert_int_equal(tm.tm_year + 1900, c->y);
	assert_int_equal(tm.tm_mon + 1, c->mo);
	assert_int_equal(tm.tm_mday, c->d);
	assert_int_equal(tm.tm_hour, c->h);
	assert_int_equal(tm.tm_min, c->mi);
	assert_int_equal(tm.tm_sec, 0);
	assert_int_equal(tm.tm_gmtoff, c->gmtoff);

	assert_int_equal(tz_mktime(c->tz, c->y, c->mo, c->d, c->h, c->mi, &back), 0);
	if (c->second)
		assert_int_equal((long long)back, (long long)at - 3600);
	else
		assert_int_equal((long long)back, (long long)at);
}

static void test_localtime_bad_zone(void **state)
{
	struct tm tm;
	(void)state;
	assert_int_equal(tz_localtime("Nowhere/City", 0, &tm), -1);
	assert_int_equal(tz_localtime("/etc/passwd", 0, &tm), -1);
	assert_int_equal(tz_localtime(NULL, 0, &tm), -1);
}

/* ---- the process TZ is put back ---- */

static void exercise(void)
{
	struct tm tm;
	time_t t;

	assert_int_equal(tz_localtime("Europe/Berlin", 0, &tm), 0);
	assert_int_equal(tm.tm_hour, 1);
	assert_int_equal(tz_mktime("America/Los_Angeles", 2026, 3, 8, 2, 30, &t), 0);
	assert_int_equal(tz_mktime("Nowhere/City", 2026, 3, 8, 2, 30, &t), -1);
}

static void test_restores_set_tz(void **state)
{
	struct tm tm;
	time_t zero = 0;
	const char *tz;
	(void)state;

	assert_int_equal(setenv("TZ", ":Asia/Tokyo", 1), 0);
	tzset();
	exercise();
	tz = getenv("TZ");
	assert_non_null(tz);
	assert_string_equal(tz, ":Asia/Tokyo");
	assert_non_null(localtime_r(&zero, &tm));
	assert_int_equal(tm.tm_hour, 9); /* 1970-01-01 09:00 JST */
}

static void test_restores_unset_tz(void **state)
{
	(void)state;
	assert_int_equal(unsetenv("TZ"), 0);
	tzset();
	exercise();
	assert_null(getenv("TZ"));
}

int main(void)
{
	struct CMUnitTest valid[N_ELEMS(valid_cases)];
	struct CMUnitTest mk[N_ELEMS(mktime_cases)];
	struct CMUnitTest local[N_ELEMS(local_cases)];
	const struct CMUnitTest env[] = {
		cmocka_unit_test(test_localtime_bad_zone),
		cmocka_unit_test(test_restores_set_tz),
		cmocka_unit_test(test_restores_unset_tz),
	};
	int failed = 0;

	for (size_t i = 0; i < N_ELEMS(valid_cases); i++)
		valid[i] = (struct CMUnitTest){ valid_cases[i].description, test_valid, NULL, NULL,
						(void *)&valid_cases[i] };
	for (size_t i = 0; i < N_ELEMS(mktime_cases); i++)
		mk[i] = (struct CMUnitTest){ mktime_cases[i].description, test_mktime, NULL, NULL,
					     (void *)&mktime_cases[i] };
	for (size_t i = 0; i < N_ELEMS(local_cases); i++)
		local[i] = (struct CMUnitTest){ local_cases[i].description, test_local, NULL, NULL,
						(void *)&local_cases[i] };

	failed += cmocka_run_group_tests_name("tz_valid", valid, NULL, NULL);
	failed += cmocka_run_group_tests_name("tz_mktime", mk, NULL, NULL);
	failed += cmocka_run_group_tests_name("tz_localtime", local, NULL, NULL);
	failed += cmocka_run_group_tests_name("tz environment", env, NULL, NULL);
	return failed ? 1 : 0;
}
