/* test_text.c - the bounded helpers for text people type: item ids, word search, UTF-8
 * validation and counting, clipping user text for echoes, trimming. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/msg.h"
#include "handlers/text.h"
#include "tests/unit/support.h"

/* ---- text_parse_id ------------------------------------------------------------------- */

struct id_case {
	const char *description;
	const char *text;
	int rc;
	long long id;
};

static void test_parse_id(void **state)
{
	static const struct id_case cases[] = {
		{ "hash form", "#12", 0, 12 },
		{ "bare number", "12", 0, 12 },
		{ "one", "1", 0, 1 },
		{ "surrounding spaces", "  #7 \t", 0, 7 },
		{ "leading zeros", "007", 0, 7 },
		{ "large", "123456789012", 0, 123456789012LL },
		{ "zero", "0", -1, 0 },
		{ "hash zero", "#0", -1, 0 },
		{ "negative", "-1", -1, 0 },
		{ "plus sign", "+3", -1, 0 },
		{ "trailing letter", "12a", -1, 0 },
		{ "two numbers", "12 13", -1, 0 },
		{ "decimal", "1.5", -1, 0 },
		{ "hash alone", "#", -1, 0 },
		{ "space after hash", "# 12", -1, 0 },
		{ "two hashes", "##12", -1, 0 },
		{ "empty", "", -1, 0 },
		{ "spaces", "   ", -1, 0 },
		{ "word", "abc", -1, 0 },
		{ "too large", "99999999999999999999999", -1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		long long id = -42;
		int rc = text_parse_id(cases[i].text, &id);

		if (rc != cases[i].rc)
			fail_msg("%s: text_parse_id('%s') = %d, want %d", cases[i].description,
				 cases[i].text, rc, cases[i].rc);
		if (rc == 0 && id != cases[i].id)
			fail_msg("%s: '%s' gave id %lld, want %lld", cases[i].description,
				 cases[i].text, id, cases[i].id);
		if (rc != 0 && id != -42)
			fail_msg("%s: a refused id changed *id", cases[i].description);
	}
}

/* ---- text_last_word ------------------------------------------------------------------ */

struct word_case {
	const char *description;
	const char *text;
	const char *word;
	long at;   /* offset of the match, -1 for NULL */
};

static void test_last_word(void **state)
{
	static const struct word_case cases[] = {
		{ "one match", "Call them by friday", "by", 10 },
		{ "the last of two", "sit by the window by friday", "by", 18 },
		{ "at the start", "by friday", "by", 0 },
		{ "case-insensitive", "Call BY friday", "by", 5 },
		{ "tab after", "Call by\tfriday", "by", 5 },
		{ "at the end is no match", "stand by", "by", -1 },
		{ "inside a word", "standby friday", "by", -1 },
		{ "start of a word", "bypass it", "by", -1 },
		{ "not there", "Call them", "by", -1 },
		{ "empty text", "", "by", -1 },
		{ "after punctuation", "then,by friday", "by", -1 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct word_case *c = &cases[i];
		const char *got = text_last_word(c->text, c->word);
		long at = got ? (long)(got - c->text) : -1;

		if (at != c->at)
			fail_msg("%s: text_last_word('%s', '%s') at %ld, want %ld", c->description,
				 c->text, c->word, at, c->at);
	}
}

/* ---- UTF-8 --------------------------------------------------------------------------- */

struct utf8_case {
	const char *description;
	const char *bytes;
	size_t n;     /* 0: strlen(bytes) */
	bool valid;
};

static void test_valid_utf8(void **state)
{
	static const struct utf8_case cases[] = {
		{ "ASCII", "plain text, 123", 0, true },
		{ "empty", "", 0, true },
		{ "two-byte", "caf\xc3\xa9", 0, true },
		{ "three-byte", "\xe2\x82\xac 5", 0, true },
		{ "four-byte", "\xf0\x9f\x8e\x89", 0, true },
		{ "right to left", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", 0, true },
		{ "last before surrogates U+D7FF", "\xed\x9f\xbf", 0, true },
		{ "first after surrogates U+E000", "\xee\x80\x80", 0, true },
		{ "highest U+10FFFF", "\xf4\x8f\xbf\xbf", 0, true },
		{ "smallest two-byte U+0080", "\xc2\x80", 0, true },
		{ "overlong slash C0 AF", "\xc0\xaf", 0, false },
		{ "overlong C1 BF", "\xc1\xbf", 0, false },
		{ "overlong three-byte", "\xe0\x80\xaf", 0, false },
		{ "overlong four-byte", "\xf0\x80\x80\xaf", 0, false },
		{ "surrogate U+D800", "\xed\xa0\x80", 0, false },
		{ "surrogate U+DFFF", "\xed\xbf\xbf", 0, false },
		{ "past U+10FFFF", "\xf4\x90\x80\x80", 0, false },
		{ "five-byte lead", "\xf8\x88\x80\x80\x80", 0, false },
		{ "FF byte", "a\xff", 0, false },
		{ "lone continuation", "a\x80z", 0, false },
		{ "truncated at the end", "ok \xe2\x82", 0, false },
		{ "truncated before ASCII", "\xe2\x82z", 0, false },
		{ "cut by n", "\xe2\x82\xac", 2, false },
		{ "NUL inside", "a\0b", 3, false },
		{ "NUL alone", "\0", 1, false },
		{ "n stops before a bad byte", "ok\xff", 2, true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		const struct utf8_case *c = &cases[i];
		size_t n = c->n ? c->n : strlen(c->bytes);

		if (text_valid_utf8(c->bytes, n) != c->valid)
			fail_msg("%s: text_valid_utf8 gave %s", c->description,
				 c->valid ? "invalid" : "valid");
	}
}

static void test_char_count(void **state)
{
	(void)state;
	assert_int_equal(text_char_count(""), 0);
	assert_int_equal(text_char_count("abc"), 3);
	assert_int_equal(text_char_count("caf\xc3\xa9"), 4);
	assert_int_equal(text_char_count("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 3);
	/* A woman technologist: four code points (woman, skin tone, ZWJ, laptop). */
	assert_int_equal(text_char_count("\xf0\x9f\x91\xa9\xf0\x9f\x8f\xbd\xe2\x80\x8d\xf0\x9f\x92"
					 "\xbb"), 4);
}

/* ---- text_user_clipped --------------------------------------------------------------- */

/* The rendering of text_user_clipped(s, n), and whether its user span is valid UTF-8. */
static char *clip(const char *s, size_t n, bool *user_valid, char **user)
{
	struct msg m;
	char *out;

	msg_init(&m);
	text_user_clipped(&m, s, n);
	assert_false(m.failed);
	*user = NULL;
	*user_valid = true;
	for (size_t i = 0; i < m.n; i++) {
		if (m.spans[i].kind == SPAN_USER) {
			*user_valid = text_valid_utf8(m.spans[i].text, strlen(m.spans[i].text));
			*user = strdup(m.spans[i].text);
		} else {
			assert_int_equal(m.spans[i].kind, SPAN_TEXT);
		}
	}
	out = msg_render_plain(&m);
	msg_free(&m);
	return out;
}

struct clip_case {
	const char *description;
	const char *text;
	size_t n;
	const char *want;
};

static void test_user_clipped(void **state)
{
	static const struct clip_case cases[] = {
		{ "short: whole", "hello", 10, "hello" },
		{ "exactly n: whole", "hello", 5, "hello" },
		{ "cut", "hello world", 5, "hello\xe2\x80\xa6" },
		{ "cut inside a two-byte char", "a\xc3\xa9z", 2, "a\xe2\x80\xa6" },
		{ "cut after a two-byte char", "a\xc3\xa9z", 3, "a\xc3\xa9\xe2\x80\xa6" },
		{ "cut inside a three-byte char", "\xe2\x82\xac" "uro", 2, "\xe2\x80\xa6" },
		{ "cut after a three-byte char", "\xe2\x82\xac" "uro", 3, "\xe2\x82\xac\xe2\x80\xa6" },
		{ "cut inside an emoji", "x\xf0\x9f\x8e\x89y", 4, "x\xe2\x80\xa6" },
		{ "emoji whole", "x\xf0\x9f\x8e\x89", 5, "x\xf0\x9f\x8e\x89" },
		{ "n zero", "abc", 0, "\xe2\x80\xa6" },
		{ "empty", "", 5, "" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool valid;
		char *user;
		char *got = clip(cases[i].text, cases[i].n, &valid, &user);

		if (!got || strcmp(got, cases[i].want) != 0)
			fail_msg("%s: clipped to '%s', want '%s'", cases[i].description,
				 got ? got : "(null)", cases[i].want);
		assert_true(valid);
		free(user);
		free(got);
	}
}

/* For every n, the user span is valid UTF-8, a prefix of the text, at most n bytes. */
static void test_user_clipped_never_splits(void **state)
{
	static const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\x89 b\xd7\xa9\xf0\x9f\x91\xa9"
				   "\xe2\x80\x8d\xf0\x9f\x92\xbb!";
	size_t len = strlen(text);

	(void)state;
	for (size_t n = 0; n <= len + 2; n++) {
		bool valid;
		char *user;
		char *got = clip(text, n, &valid, &user);
		size_t ulen = user ? strlen(user) : 0;

		if (!valid)
			fail_msg("n=%zu: the clipped text is not valid UTF-8", n);
		if (ulen > n || (user && memcmp(user, text, ulen) != 0))
			fail_msg("n=%zu: '%s' is not a prefix of at most n bytes", n, user);
		/* The ellipsis is there exactly when something was left off. */
		if ((n < len) != (strstr(got, "\xe2\x80\xa6") != NULL))
			fail_msg("n=%zu: ellipsis wrong in '%s'", n, got);
		free(user);
		free(got);
	}
}

/* ---- trimming and words -------------------------------------------------------------- */

static void test_copy_trimmed_and_blank(void **state)
{
	char buf[8], same[32];

	(void)state;
	text_copy_trimmed(buf, sizeof buf, "  hi there \t\n");
	assert_string_equal(buf, "hi ther");   /* cut to 7 bytes */
	text_copy_trimmed(buf, sizeof buf, " x ");
	assert_string_equal(buf, "x");
	text_copy_trimmed(buf, sizeof buf, "   ");
	assert_string_equal(buf, "");
	strcpy(same, "   in place  ");
	text_copy_trimmed(same, sizeof same, same);
	assert_string_equal(same, "in place");

	assert_true(text_blank(""));
	assert_true(text_blank(" \t\r\n "));
	assert_false(text_blank("  x "));
	assert_string_equal(text_skip_space(" \t x y"), "x y");

	assert_true(text_word_is("mine", "mine"));
	assert_true(text_word_is("MINE please", "mine"));
	assert_false(text_word_is("minefield", "mine"));
	assert_false(text_word_is(" mine", "mine"));
	assert_false(text_word_is("min", "mine"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_last_word),
		cmocka_unit_test(test_valid_utf8),
		cmocka_unit_test(test_char_count),
		cmocka_unit_test(test_user_clipped),
		cmocka_unit_test(test_user_clipped_never_splits),
		cmocka_unit_test(test_copy_trimmed_and_blank),
	};

	return cmocka_run_group_tests_name("text: ids, words, UTF-8, clipping", tests, NULL, NULL);
}
