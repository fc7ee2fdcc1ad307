/* test_hashmap.c - bot/hashmap.c against a plain array as the reference: string and binary
 * keys, replacing, removing in random order (the backward shift keeps every other key
 * findable), growing and shrinking, the walk, and keys that are not NUL-terminated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/hashmap.h"

#define N 20000

static void test_strings(void **state)
{
	struct hashmap *m = hashmap_new();
	static char keys[N][16];
	static int values[N];

	(void)state;
	assert_non_null(m);
	assert_null(hashmap_get_str(m, "C0"));
	for (int i = 0; i < N; i++) {
		snprintf(keys[i], sizeof keys[i], "C%07d", i);
		values[i] = i;
		assert_int_equal(hashmap_put_str(m, keys[i], &values[i]), 0);
	}
	assert_int_equal(hashmap_count(m), N);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(hashmap_get_str(m, keys[i]), &values[i]);
	assert_null(hashmap_get_str(m, "C"));
	assert_null(hashmap_get_str(m, "C00000000"));
	/* A put under a stored key replaces the value; the count stays. */
	assert_int_equal(hashmap_put_str(m, keys[5], &values[6]), 0);
	assert_ptr_equal(hashmap_get_str(m, keys[5]), &values[6]);
	assert_int_equal(hashmap_count(m), N);
	/* The key is the map's copy: the caller's buffer may change. */
	char buf[16];
	snprintf(buf, sizeof buf, "%s", "temporary");
	assert_int_equal(hashmap_put_str(m, buf, &values[0]), 0);
	memset(buf, 'x', sizeof buf - 1);
	assert_ptr_equal(hashmap_get_str(m, "temporary"), &values[0]);
	assert_ptr_equal(hashmap_remove_str(m, "temporary"), &values[0]);
	assert_null(hashmap_remove_str(m, "temporary"));
	hashmap_free(m);
}

/* Removing in a shuffled order, checking after each batch that exactly the rest is there;
 * the table shrinks as it empties and grows again. */
static void test_remove_random(void **state)
{
	struct hashmap *m = hashmap_new();
	static int64_t ids[N];
	static bool present[N];
	static int order[N];

	(void)state;
	srand(42);
	for (int i = 0; i < N; i++) {
		ids[i] = (int64_t)i * 7919 - 5000;   /* negative ids too */
		present[i] = true;
		order[i] = i;
		assert_int_equal(hashmap_put(m, &ids[i], sizeof ids[i], &ids[i]), 0);
	}
	for (int i = N - 1; i > 0; i--) {
		int j = rand() % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (int k = 0; k < N; k++) {
		int i = order[k];
		int64_t key = ids[i];
		assert_ptr_equal(hashmap_remove(m, &key, sizeof key), &ids[i]);
		present[i] = false;
		assert_int_equal(hashmap_count(m), (size_t)(N - k - 1));
		if (k % 2000 == 0 || k > N - 20)
			for (int x = 0; x < N; x++)
				assert_true((hashmap_get(m, &ids[x], sizeof ids[x]) != NULL) ==
					    present[x]);
	}
	assert_int_equal(hashmap_count(m), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(hashmap_put(m, &ids[i], sizeof ids[i], &ids[i]), 0);
	for (int i = 0; i < 100; i++)
		assert_ptr_equal(hashmap_get(m, &ids[i], sizeof ids[i]), &ids[i]);
	hashmap_free(m);
}

/* Binary keys: lengths count, bytes after a NUL count, the empty key is a key. */
static void test_binary_keys(void **state)
{
	struct hashmap *m = hashmap_new();
	int a, b, c, d;

	(void)state;
	assert_int_equal(hashmap_put(m, "ab\0c", 4, &a), 0);
	assert_int_equal(hashmap_put(m, "ab\0d", 4, &b), 0);
	assert_int_equal(hashmap_put(m, "ab", 2, &c), 0);
	assert_int_equal(hashmap_put(m, "", 0, &d), 0);
	assert_ptr_equal(hashmap_get(m, "ab\0c", 4), &a);
	assert_ptr_equal(hashmap_get(m, "ab\0d", 4), &b);
	assert_ptr_equal(hashmap_get_str(m, "ab"), &c);
	assert_ptr_equal(hashmap_get_str(m, ""), &d);
	assert_null(hashmap_get(m, "ab\0", 3));
	assert_int_equal(hashmap_count(m), 4);
	hashmap_free(m);
	hashmap_free(NULL);
}

/* The walk visits every value once; freeing the values during it is fine. */
static void test_walk(void **state)
{
	struct hashmap *m = hashmap_new();
	size_t cursor = 0, seen = 0;
	char key[16];
	int *v;

	(void)state;
	assert_null(hashmap_next(m, &cursor));
	for (int i = 0; i < 1000; i++) {
		int *p = malloc(sizeof *p);
		assert_non_null(p);
		*p = i;
		snprintf(key, sizeof key, "k%d", i);
		assert_int_equal(hashmap_put_str(m, key, p), 0);
	}
	long sum = 0;
	cursor = 0;
	while ((v = hashmap_next(m, &cursor))) {
		sum += *v;
		seen++;
		free(v);
	}
	assert_int_equal(seen, 1000);
	assert_int_equal(sum, 999 * 1000 / 2);
	hashmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_remove_random),
		cmocka_unit_test(test_binary_keys),
		cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests_name("hashmap", tests, NULL, NULL);
}
