/* test_pacer.c - bot/pacer.c on a real libuv loop with a fake transport (ops that record
 * each start with its loop time and let the test finish it): order within a channel, one
 * in flight per channel, the gap after a send, retries that hold a channel, the immediate
 * lane, pause/resume, pacer_has() after add/done, duplicate ids, sends that end inside
 * start(), a channel whose queue empties and refills, and 10,000 channels.
 *
 * Only lower bounds on time are asserted (a start never comes before its gap or retry
 * delay), so a loaded machine makes the tests slower, never wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/pacer.h"

#define GAP_MS 40
#define MAX_ID 30000

enum on_start { KEEP, DONE_AT_ONCE, RETRY_AT_ONCE };

static struct fake {
	uv_loop_t loop;
	struct pacer *p;
	struct pacer_item *item[MAX_ID];   /* in flight, by id */
	uint64_t started_at[MAX_ID];
	int64_t order[MAX_ID * 2];         /* ids in the order they started */
	size_t n_started;
	size_t n_dropped;
	enum on_start on_start;
} *F;

static void fake_start(void *ud, struct pacer_item *item)
{
	(void)ud;
	assert_true(item->id >= 0 && item->id < MAX_ID);
	assert_true(item->in_flight);
	F->item[item->id] = item;
	F->started_at[item->id] = uv_now(&F->loop);
	F->order[F->n_started++] = item->id;
	if (F->on_start == DONE_AT_ONCE) {
		F->item[item->id] = NULL;
		pacer_done(F->p, item);
	} else if (F->on_start == RETRY_AT_ONCE && item->failures == 0) {
		pacer_retry(F->p, item, GAP_MS);
	}
}

static void fake_drop(void *ud, struct pacer_item *item)
{
	(void)ud;
	free(item->data);
	F->n_dropped++;
}

static const struct pacer_ops fake_ops = { fake_start, fake_drop };

static int setup(void **state)
{
	(void)state;
	F = calloc(1, sizeof *F);
	if (!F || uv_loop_init(&F->loop))
		return -1;
	F->p = pacer_new(&F->loop, &fake_ops, NULL, GAP_MS);
	return F->p ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	pacer_free(F->p);
	uv_run(&F->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&F->loop), 0);
	free(F);
	return 0;
}

static void add(int64_t id, const char *channel, bool immediate)
{
	int *data = malloc(sizeof *data);

	assert_non_null(data);
	assert_int_equal(pacer_add(F->p, id, channel, immediate, data), 0);
}

/* Finishes the send of id (it must be in flight). */
static void done(int64_t id)
{
	struct pacer_item *it = F->item[id];

	assert_non_null(it);
	F->item[id] = NULL;
	pacer_done(F->p, it);
}

static bool started(int64_t id)
{
	for (size_t i = 0; i < F->n_started; i++)
		if (F->order[i] == id)
			return true;
	return false;
}

/* Runs the loop until id has started (fails after 10 s of wall time). */
static void run_until_started(int64_t id)
{
	uint64_t deadline = uv_hrtime() + 10ull * 1000000000;

	while (!started(id)) {
		if (uv_hrtime() > deadline)
			fail_msg("item %lld did not start", (long long)id);
		uv_run(&F->loop, UV_RUN_ONCE);
	}
}

static void on_run_for(uv_timer_t *t)
{
	uv_timer_stop(t);
}

/* Lets the loop run for at least ms. */
static void run_for(uint64_t ms)
{
	uv_timer_t t;

	uv_timer_init(&F->loop, &t);
	uv_timer_start(&t, on_run_for, ms, 0);
	while (uv_is_active((uv_handle_t *)&t))
		uv_run(&F->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&F->loop, UV_RUN_NOWAIT);
}

/* In order within a channel, one at a time, each at least the gap after the last ended;
 * another channel does not wait for it. */
static void test_order_and_gap(void **state)
{
	(void)state;
	add(1, "C1", false);
	add(2, "C1", false);
	add(3, "C1", false);
	add(10, "C2", false);
	assert_true(started(1) && started(10));
	assert_false(started(2));
	assert_true(pacer_busy(F->p));
	uint64_t ended = uv_now(&F->loop);
	done(1);
	assert_false(started(2));          /* not before the gap */
	run_until_started(2);
	assert_true(F->started_at[2] >= ended + GAP_MS);
	assert_false(started(3));
	ended = uv_now(&F->loop);
	done(2);
	run_until_started(3);
	assert_true(F->started_at[3] >= ended + GAP_MS);
	done(3);
	done(10);
	assert_false(pacer_busy(F->p));
	assert_int_equal(F->n_started, 4);
	assert_int_equal(F->order[0], 1);
	assert_int_equal(F->order[1], 10);
	assert_int_equal(F->order[2], 2);
	assert_int_equal(F->order[3], 3);
	assert_int_equal(F->n_dropped, 4);
}

/* A retry holds the channel for its delay, then the same item goes again (failures
 * counted); pacer_again sends the next part after the gap. */
static void test_retry_and_again(void **state)
{
	(void)state;
	add(1, "C1", false);
	add(2, "C1", false);
	struct pacer_item *it = F->item[1];
	uint64_t t0 = uv_now(&F->loop);
	F->n_started = 0;
	pacer_retry(F->p, it, 3 * GAP_MS);
	assert_false(pacer_busy(F->p));
	assert_false(started(1));
	run_until_started(1);
	assert_true(F->started_at[1] >= t0 + 3 * GAP_MS);
	assert_int_equal(F->item[1]->failures, 1);
	assert_false(started(2));
	t0 = uv_now(&F->loop);
	F->n_started = 0;
	pacer_again(F->p, F->item[1]);
	run_until_started(1);
	assert_true(F->started_at[1] >= t0 + GAP_MS);
	assert_false(started(2));
	done(1);
	run_until_started(2);
	done(2);
}

/* The immediate lane starts at once, also beside a busy channel; its retry waits. */
static void test_immediate_lane(void **state)
{
	(void)state;
	add(1, "C1", false);
	add(2, "C1", false);
	add(3, "C1", true);
	add(4, "C1", true);
	assert_true(started(1) && started(3) && started(4));
	assert_false(started(2));
	uint64_t t0 = uv_now(&F->loop);
	F->n_started = 0;
	pacer_retry(F->p, F->item[3], 2 * GAP_MS);
	pacer_again(F->p, F->item[4]);       /* another part: at once, no gap in the lane */
	assert_true(started(4));
	assert_false(started(3));
	run_until_started(3);
	assert_true(F->started_at[3] >= t0 + 2 * GAP_MS);
	done(3);
	done(4);
	assert_false(started(2));
	done(1);
	run_until_started(2);
	done(2);
	assert_false(pacer_busy(F->p));
}

/* pacer_has: true from add to done (queued and in flight), false after; a duplicate id
 * stays held until both are done. */
static void test_has(void **state)
{
	(void)state;
	assert_false(pacer_has(F->p, 1));
	add(1, "C1", false);
	add(2, "C1", false);
	add(3, "C2", true);
	assert_true(pacer_has(F->p, 1));     /* in flight */
	assert_true(pacer_has(F->p, 2));     /* queued */
	assert_true(pacer_has(F->p, 3));     /* lane */
	assert_false(pacer_has(F->p, 4));
	done(1);
	assert_false(pacer_has(F->p, 1));
	assert_true(pacer_has(F->p, 2));
	done(3);
	assert_false(pacer_has(F->p, 3));
	run_until_started(2);
	add(2, "C3", false);                 /* the same id twice */
	assert_true(pacer_has(F->p, 2));
	done(2);                             /* the one in C3 (started last) */
	assert_true(pacer_has(F->p, 2));
}

/* Paused, nothing starts (the queues are kept); resumed, what is due starts. */
static void test_pause(void **state)
{
	(void)state;
	pacer_pause(F->p, true);
	add(1, "C1", false);
	add(2, "C2", true);
	run_for(2 * GAP_MS);
	assert_int_equal(F->n_started, 0);
	assert_true(pacer_has(F->p, 1));
	assert_false(pacer_busy(F->p));
	pacer_pause(F->p, false);
	assert_true(started(1) && started(2));
	done(1);
	done(2);
}

/* A channel whose queue empties keeps its gap for an item added within it; once the gap
 * is over its record is freed and a new item starts at once. */
static void test_empty_and_refill(void **state)
{
	(void)state;
	add(1, "C1", false);
	uint64_t ended = uv_now(&F->loop);
	done(1);
	assert_int_equal(pacer_channel_count(F->p), 1);
	add(2, "C1", false);
	assert_false(started(2));
	run_until_started(2);
	assert_true(F->started_at[2] >= ended + GAP_MS);
	done(2);
	run_for(2 * GAP_MS);
	add(3, "C9", false);                 /* any call frees the expired records */
	assert_int_equal(pacer_channel_count(F->p), 1);
	add(4, "C1", false);
	assert_true(started(4));             /* no gap left: at once */
	assert_int_equal(pacer_channel_count(F->p), 2);
	done(3);
	done(4);
}

/* A send that ends inside start() (failed at once): the channel's next item waits for the
 * gap, other channels still start in the same pass; a retry inside start() too. */
static void test_done_inside_start(void **state)
{
	(void)state;
	F->on_start = DONE_AT_ONCE;
	add(1, "C1", false);
	add(2, "C1", false);
	add(3, "C2", false);
	assert_true(started(1) && started(3));
	assert_false(started(2));
	run_until_started(2);
	assert_false(pacer_busy(F->p));
	F->on_start = RETRY_AT_ONCE;
	uint64_t t0 = uv_now(&F->loop);
	add(5, "C5", false);
	add(6, "C6", true);
	assert_true(started(5) && started(6));
	F->n_started = 0;
	run_until_started(5);
	run_until_started(6);
	assert_true(F->started_at[5] >= t0 + GAP_MS);
	assert_true(F->started_at[6] >= t0 + GAP_MS);
	done(5);
	done(6);
}

/* 10,000 channels: each starts its first item at once, the second after the gap; has()
 * answers for all; once all are done and the gap has passed the records are freed. */
static void test_many_channels(void **state)
{
	enum { CHANNELS = 10000 };
	char name[16];

	(void)state;
	for (int i = 0; i < CHANNELS; i++) {
		snprintf(name, sizeof name, "C%05d", i);
		add(i, name, false);
		add(CHANNELS + i, name, false);
	}
	assert_int_equal(F->n_started, CHANNELS);
	assert_int_equal(pacer_channel_count(F->p), CHANNELS);
	for (int i = 0; i < 2 * CHANNELS; i++)
		assert_true(pacer_has(F->p, i));
	assert_false(pacer_has(F->p, 2 * CHANNELS));
	uint64_t ended = uv_now(&F->loop);
	for (int i = 0; i < CHANNELS; i++)
		done(i);
	assert_int_equal(F->n_started, CHANNELS);
	run_until_started(2 * CHANNELS - 1);
	assert_int_equal(F->n_started, 2 * CHANNELS);
	for (int i = CHANNELS; i < 2 * CHANNELS; i++) {
		assert_true(F->started_at[i] >= ended + GAP_MS);
		assert_int_equal(F->order[i], i);   /* in the order their gaps ended */
	}
	for (int i = CHANNELS; i < 2 * CHANNELS; i++)
		done(i);
	for (int i = 0; i < 2 * CHANNELS; i++)
		assert_false(pacer_has(F->p, i));
	run_for(2 * GAP_MS);
	pacer_pause(F->p, false);            /* any call frees the expired records */
	assert_int_equal(pacer_channel_count(F->p), 0);
	assert_int_equal(F->n_dropped, 2 * CHANNELS);
}

/* pacer_free drops what is queued, in flight or in the lane. */
static void test_free_drops_all(void **state)
{
	(void)state;
	add(1, "C1", false);
	add(2, "C1", false);
	add(3, "C2", true);
	pacer_retry(F->p, F->item[3], 10 * GAP_MS);
	done(1);
	/* teardown frees the pacer; its drops are counted here first. */
	pacer_free(F->p);
	F->p = NULL;
	assert_int_equal(F->n_dropped, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_and_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_immediate_lane, setup, teardown),
		cmocka_unit_test_setup_teardown(test_has, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_refill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_inside_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_channels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_drops_all, setup, teardown),
	};

	return cmocka_run_group_tests_name("pacer", tests, NULL, NULL);
}
