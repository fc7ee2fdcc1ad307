/* test_reportback.c - reading outcome numbers from a report-back entry, and the roll-up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "handlers/report_followup.h"
#include "handlers/reportback.h"

static struct followup_outcome outcomes[] = {
	{ "people", "people reached" },
	{ "partners", "partners contacted" },
	{ "events", "events held" },
};

static struct followup followups[] = {
	{ "two-weeks", 14, "Two weeks", "Q", outcomes, 3 },
	{ "six-weeks", 42, "Six weeks", "Q", outcomes, 2 },
};

static const struct template tpl = { .followups = followups, .n_followups = 2 };

static void test_parse_outcomes(void **state)
{
	static const struct {
		const char *description, *text;
		long long want[3];
		int rc;
		const char *bad;
	} cases[] = {
		{ "label with a colon", "people reached: 40", { 40, -1, -1 }, 0, "" },
		{ "id without a separator", "partners 3", { -1, 3, -1 }, 0, "" },
		{ "id with =", "events=2", { -1, -1, 2 }, 0, "" },
		{ "all three, any case", "People Reached = 1, PARTNERS: 0; events held 7",
		  { 1, 0, 7 }, 0, "" },
		{ "a word is no field", "we reached people in town", { -1, -1, -1 }, 0, "" },
		{ "part of a word is no field", "xpeople: 4 subevents=3", { -1, -1, -1 }, 0, "" },
		{ "the largest number", "people: 1000000000", { 1000000000, -1, -1 }, 0, "" },
		{ "too big", "people: 1000000001", { -1, -1, -1 }, BOT_ERR_INVALID,
		  "people reached" },
		{ "not a number", "events: lots", { -1, -1, -1 }, BOT_ERR_INVALID, "events held" },
		{ "a unit after it", "people: 40k", { -1, -1, -1 }, BOT_ERR_INVALID,
		  "people reached" },
		{ "thousands separator", "people 3,500", { -1, -1, -1 }, BOT_ERR_INVALID,
		  "people reached" },
		{ "a fraction", "events=2.5", { -1, -1, -1 }, BOT_ERR_INVALID, "events held" },
		{ "negative", "partners: -2", { -1, -1, -1 }, BOT_ERR_INVALID,
		  "partners contacted" },
		{ "a bad mention, then a good one", "people: many, people reached 12",
		  { 12, -1, -1 }, 0, "" },
		{ "the first good number wins", "events 1 events 9", { -1, -1, 1 }, 0, "" },
		{ "a comma after the number is fine", "partners 3, events 2.", { -1, 3, 2 }, 0, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		long long got[3];
		char bad[64];
		int rc = reportback_parse_outcomes(&followups[0], cases[i].text, got, bad,
						   sizeof bad);

		if (rc != cases[i].rc || strcmp(bad, cases[i].bad) != 0 ||
		    memcmp(got, cases[i].want, sizeof got) != 0)
			fail_msg("case \"%s\": rc %d bad \"%s\" got %lld %lld %lld", cases[i].description,
				 rc, bad, got[0], got[1], got[2]);
	}
}

static void test_rollup(void **state)
{
	struct rollup r;
	char line[256];

	(void)state;
	rollup_init(&r, &tpl);
	assert_false(rollup_line(&r, 0, 0, line, sizeof line));
	assert_string_equal(line, "");
	rollup_add(&r, "two-weeks", "people", 30);
	rollup_add(&r, "two-weeks", "people", 10);
	rollup_add(&r, "six-weeks", "people", 15);
	rollup_add(&r, "six-weeks", "partners", 0);
	rollup_add(&r, "six-weeks", "events", 5);      /* not asked in six-weeks: left out */
	rollup_add(&r, "nine-weeks", "people", 100);   /* unknown follow-up: left out */
	assert_true(rollup_line(&r, 0, 0, line, sizeof line));
	assert_string_equal(line, "people reached: 55 (14 days: 40, 42 days: 15)");
	assert_true(rollup_line(&r, 0, 1, line, sizeof line));
	assert_string_equal(line, "partners contacted: 0 (42 days: 0)");
	assert_false(rollup_line(&r, 0, 2, line, sizeof line));
	assert_true(rollup_is_first(&r, 0, 0));
	assert_false(rollup_is_first(&r, 1, 0));
	assert_true(rollup_is_first(&r, 0, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_outcomes),
		cmocka_unit_test(test_rollup),
	};

	return cmocka_run_group_tests_name("report-back: numbers and roll-up", tests, NULL, NULL);
}
