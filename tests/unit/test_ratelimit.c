/* test_ratelimit.c - the per-user command buckets: refill, one notice per window, no
 * limit at 0, people kept apart (also past the table's size and with long ids). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/ratelimit.h"

static struct ratelimit *fresh(void)
{
	struct ratelimit *rl = calloc(1, sizeof *rl);

	assert_non_null(rl);
	return rl;
}

static enum ratelimit_verdict take(struct ratelimit *rl, const char *user, int64_t now)
{
	return ratelimit_take(rl, "slack", user, 2, 10, now);
}

static void test_bucket_refills_and_notices_once(void **state)
{
	struct ratelimit *rl = fresh();

	(void)state;
	assert_int_equal(take(rl, "U1", 1000), RATELIMIT_PASS);
	assert_int_equal(take(rl, "U1", 1000), RATELIMIT_PASS);
	assert_int_equal(take(rl, "U1", 1000), RATELIMIT_DROP_NOTICE);
	assert_int_equal(take(rl, "U1", 1001), RATELIMIT_DROP);
	assert_int_equal(take(rl, "U2", 1001), RATELIMIT_PASS);  /* others are not slowed */
	assert_int_equal(ratelimit_take(rl, "matrix", "U1", 2, 10, 1001), RATELIMIT_PASS);
	assert_int_equal(take(rl, "U1", 1005), RATELIMIT_PASS);  /* 2 per 10 s: one back */
	assert_int_equal(take(rl, "U1", 1005), RATELIMIT_DROP);  /* told 5 s ago */
	assert_int_equal(take(rl, "U1", 1010), RATELIMIT_PASS);
	assert_int_equal(take(rl, "U1", 1010), RATELIMIT_DROP_NOTICE);  /* a window later */
	assert_int_equal(take(rl, "U1", 900), RATELIMIT_DROP);  /* a clock set back refills nothing */
	assert_int_equal(take(rl, "U1", 2000), RATELIMIT_PASS);  /* full, not more */
	assert_int_equal(take(rl, "U1", 2000), RATELIMIT_PASS);
	assert_int_equal(take(rl, "U1", 2000), RATELIMIT_DROP_NOTICE);
	free(rl);
}

static void test_no_limit(void **state)
{
	struct ratelimit *rl = fresh();

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ratelimit_take(rl, "slack", "U1", 0, 60, 1000), RATELIMIT_PASS);
	free(rl);
}

/* More people than the table holds: the longest idle is forgotten (a full bucket again),
 * the one flooding now is kept. */
static void test_table_full_keeps_the_flooder(void **state)
{
	struct ratelimit *rl = fresh();
	char user[32];

	(void)state;
	assert_int_equal(take(rl, "flood", 1), RATELIMIT_PASS);
	assert_int_equal(take(rl, "flood", 1), RATELIMIT_PASS);
	for (int i = 0; i < 2 * RATELIMIT_USERS; i++) {
		snprintf(user, sizeof user, "U%d", i);
		assert_int_equal(take(rl, user, 1), RATELIMIT_PASS);
		assert_int_equal(take(rl, "flood", 1),
				 i ? RATELIMIT_DROP : RATELIMIT_DROP_NOTICE);
	}
	free(rl);
}

/* Ids longer than the entry keeps are told apart by their first 255 bytes. */
static void test_long_ids(void **state)
{
	struct ratelimit *rl = fresh();
	char a[400], b[400];

	(void)state;
	memset(a, 'a', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[10] = 'b';
	assert_int_equal(take(rl, a, 1), RATELIMIT_PASS);
	assert_int_equal(take(rl, a, 1), RATELIMIT_PASS);
	assert_int_equal(take(rl, a, 1), RATELIMIT_DROP_NOTICE);
	assert_int_equal(take(rl, b, 1), RATELIMIT_PASS);
	free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_refills_and_notices_once),
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_table_full_keeps_the_flooder),
		cmocka_unit_test(test_long_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
