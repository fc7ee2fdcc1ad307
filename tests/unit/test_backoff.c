/* test_backoff.c - the transports' retry delays: the floor, the doubling, the jitter and
 * the cap (never exceeded, also with the jitter), over many draws. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "bot/backoff.h"

#define DRAWS 2000

/* The smallest and largest of DRAWS delays after `failures` failures. */
static void range(int failures, uint64_t base, uint64_t cap, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (int i = 0; i < DRAWS; i++) {
		uint64_t ms = backoff_delay_ms(failures, base, cap);
		if (ms < *lo)
			*lo = ms;
		if (ms > *hi)
			*hi = ms;
	}
}

/* Slack's 1 s .. 60 s: 1, 2, 4 ... s within +-20 %, then never over 60 s. */
static void test_doubles_within_jitter(void **state)
{
	uint64_t lo, hi;

	(void)state;
	srand(7);
	for (int f = 0; f < 6; f++) {
		uint64_t mid = 1000u << f;
		range(f, 1000, 60000, &lo, &hi);
		assert_true(lo >= mid * 80 / 100);
		assert_true(hi <= mid * 120 / 100);
		/* The jitter really spreads the delays (no two bots in step). */
		assert_true(hi - lo > mid / 10);
	}
}

static void test_never_over_the_cap(void **state)
{
	uint64_t lo, hi;

	(void)state;
	srand(11);
	for (int f = 6; f < 70; f++) {
		range(f, 1000, 60000, &lo, &hi);
		assert_true(hi <= 60000);
		assert_true(lo >= 48000);
		range(f, 1000, 300000, &lo, &hi);
		assert_true(hi <= 300000);
	}
	/* A huge failure count does not overflow into a tiny delay. */
	range(1 << 30, 1000, 300000, &lo, &hi);
	assert_true(lo >= 240000 && hi <= 300000);
}

/* The floor: the first retry is never sooner than 0.8 of the base (no reconnect storm). */
static void test_floor(void **state)
{
	uint64_t lo, hi;

	(void)state;
	srand(3);
	range(0, 1000, 60000, &lo, &hi);
	assert_true(lo >= 800);
	range(-1, 1000, 60000, &lo, &hi);
	assert_true(lo >= 800 && hi <= 1200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_within_jitter),
		cmocka_unit_test(test_never_over_the_cap),
		cmocka_unit_test(test_floor),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
