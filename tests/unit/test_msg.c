/* test_msg.c - outgoing messages as spans: building (merging spans of one kind), the
 * outbox JSON form and its parser, and the plain and Markdown renderings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/msg.h"
#include "tests/unit/support.h"

/* ---- building ------------------------------------------------------------------------ */

static void test_builder_merges_spans_of_one_kind(void **state)
{
	struct msg m;

	(void)state;
	msg_init(&m);
	assert_int_equal(m.n, 0);
	msg_text(&m, "Hello ");
	msg_text(&m, "there, %s #%d", "session", 3);
	msg_user(&m, "alice");
	msg_user(&m, " & bob");
	msg_bold(&m, "B");
	msg_code(&m, "!ws next");
	msg_code(&m, " now");
	msg_text(&m, "%s", "");        /* empty: nothing appended */
	msg_user(&m, "");
	msg_text(&m, ".");
	assert_false(m.failed);
	assert_int_equal(m.n, 5);
	assert_int_equal(m.spans[0].kind, SPAN_TEXT);
	assert_string_equal(m.spans[0].text, "Hello there, session #3");
	assert_int_equal(m.spans[1].kind, SPAN_USER);
	assert_string_equal(m.spans[1].text, "alice & bob");
	assert_int_equal(m.spans[2].kind, SPAN_BOLD);
	assert_string_equal(m.spans[2].text, "B");
	assert_int_equal(m.spans[3].kind, SPAN_CODE);
	assert_string_equal(m.spans[3].text, "!ws next now");
	assert_int_equal(m.spans[4].kind, SPAN_TEXT);
	assert_string_equal(m.spans[4].text, ".");
	msg_free(&m);
	assert_int_equal(m.n, 0);
	assert_null(m.spans);
	msg_free(&m);  /* twice is harmless */
}

static void test_builder_long_format(void **state)
{
	struct msg m;
	char big[2000];

	(void)state;
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	msg_init(&m);
	msg_text(&m, "<%s>", big);   /* past the 512-byte fast path */
	assert_false(m.failed);
	assert_int_equal(m.n, 1);
	assert_int_equal(strlen(m.spans[0].text), sizeof big + 1);
	assert_int_equal(m.spans[0].text[0], '<');
	assert_int_equal(m.spans[0].text[sizeof big], '>');
	msg_free(&m);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void test_json_round_trip(void **state)
{
	struct msg m, back;
	char *json, *again;

	(void)state;
	msg_init(&m);
	msg_bold(&m, "Question 1 of 22");
	msg_text(&m, "\nSay \"hi\" \\ to ");
	msg_user(&m, "al\"ice\n\t\xf0\x9f\x8e\x89 <b>&");
	msg_code(&m, "!ws next");
	json = msg_to_json(&m);
	assert_non_null(json);
	assert_string_equal(json, "[[\"b\",\"Question 1 of 22\"],[\"t\",\"\\nSay \\\"hi\\\" \\\\ to \"],"
			    "[\"u\",\"al\\\"ice\\n\\t\xf0\x9f\x8e\x89 <b>&\"],[\"c\",\"!ws next\"]]");

	assert_int_equal(msg_from_json(json, &back), 0);
	assert_int_equal(back.n, m.n);
	for (size_t i = 0; i < m.n; i++) {
		assert_int_equal(back.spans[i].kind, m.spans[i].kind);
		assert_string_equal(back.spans[i].text, m.spans[i].text);
	}
	again = msg_to_json(&back);
	assert_string_equal(again, json);
	free(again);
	free(json);
	msg_free(&back);
	msg_free(&m);
}

/* A mention keeps its user id through the outbox; two in a row stay two spans. */
static void test_json_mention_round_trip(void **state)
{
	struct msg m, back;
	char *json, *plain;

	(void)state;
	msg_init(&m);
	msg_text(&m, "For ");
	msg_mention(&m, "U1", "alice");
	msg_mention(&m, "@bob:x.org", "@bob:x.org");
	json = msg_to_json(&m);
	assert_string_equal(json, "[[\"t\",\"For \"],[\"m\",\"@alice\",\"U1\"],"
				  "[\"m\",\"@bob:x.org\",\"@bob:x.org\"]]");
	assert_int_equal(msg_from_json(json, &back), 0);
	assert_int_equal(back.n, 3);
	assert_string_equal(back.spans[1].ref, "U1");
	assert_string_equal(back.spans[2].ref, "@bob:x.org");
	assert_null(back.spans[0].ref);
	plain = msg_render_plain(&back);
	assert_string_equal(plain, "For @alice@bob:x.org");
	free(plain);
	free(json);
	msg_free(&back);
	msg_free(&m);
}

static void test_json_empty_message(void **state)
{
	struct msg m, back;
	char *json;

	(void)state;
	msg_init(&m);
	json = msg_to_json(&m);
	assert_string_equal(json, "[]");
	assert_int_equal(msg_from_json(json, &back), 0);
	assert_int_equal(back.n, 0);
	free(json);
	msg_free(&back);
}

static void test_json_failed_message_not_serialised(void **state)
{
	struct msg m;

	(void)state;
	msg_init(&m);
	msg_text(&m, "partial");
	m.failed = true;   /* as after an allocation failure */
	assert_null(msg_to_json(&m));
	msg_text(&m, " more");   /* ignored once failed */
	assert_string_equal(m.spans[0].text, "partial");
	msg_free(&m);
}

static void test_json_from_adjacent_same_kind_merges(void **state)
{
	struct msg m;

	(void)state;
	assert_int_equal(msg_from_json("[[\"t\",\"a\"],[\"t\",\"b\"],[\"u\",\"c\"]]", &m), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.spans[0].text, "ab");
	assert_string_equal(m.spans[1].text, "c");
	msg_free(&m);
}

struct bad_json {
	const char *description;
	const char *json;
};

static void test_json_rejects_bad_shapes(void **state)
{
	static const struct bad_json cases[] = {
		{ "unknown span kind", "[[\"x\",\"a\"]]" },
		{ "text not a string", "[[\"t\",1]]" },
		{ "text null", "[[\"t\",null]]" },
		{ "NUL inside text", "[[\"t\",\"a\\u0000b\"]]" },
		{ "an object", "{}" },
		{ "a string", "\"t\"" },
		{ "garbage", "not json at all" },
		{ "truncated", "[[\"t\",\"a\"]" },
		{ "empty input", "" },
		{ "kind of two letters", "[[\"tt\",\"a\"]]" },
		{ "empty kind", "[[\"\",\"a\"]]" },
		{ "kind not a string", "[[116,\"a\"]]" },
		{ "pair of one", "[[\"t\"]]" },
		{ "pair of three", "[[\"t\",\"a\",\"b\"]]" },
		{ "mention without its id", "[[\"m\",\"@bob\"]]" },
		{ "mention id not a string", "[[\"m\",\"@bob\",7]]" },
		{ "mention of four", "[[\"m\",\"@bob\",\"U1\",\"x\"]]" },
		{ "span not an array", "[\"t\"]" },
		{ "span an object", "[{\"t\":\"a\"}]" },
		{ "one bad span after good ones", "[[\"t\",\"a\"],[\"b\",\"b\"],[\"q\",\"c\"]]" },
	};
	struct msg m;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		int rc = msg_from_json(cases[i].json, &m);
		if (rc != BOT_ERR_INVALID)
			fail_msg("%s: msg_from_json(%s) returned %d, want BOT_ERR_INVALID",
				 cases[i].description, cases[i].json, rc);
		/* Nothing is left allocated after a refusal. */
		assert_int_equal(m.n, 0);
		assert_null(m.spans);
	}
}

/* ---- rendering ----------------------------------------------------------------------- */

static void test_render_plain(void **state)
{
	struct msg m;
	char *s;

	(void)state;
	msg_init(&m);
	msg_bold(&m, "Hi");
	msg_text(&m, " ");
	msg_user(&m, "*alice* <x> & [y](z)");
	msg_text(&m, ",\ntry ");
	msg_code(&m, "!ws next");
	s = msg_render_plain(&m);
	assert_string_equal(s, "Hi *alice* <x> & [y](z),\ntry !ws next");
	free(s);
	msg_free(&m);

	msg_init(&m);
	s = msg_render_plain(&m);
	assert_string_equal(s, "");
	free(s);
}

struct md_case {
	const char *description;
	const char *user;       /* a user span */
	const char *want;       /* its Markdown rendering */
};

static void test_render_markdown_escapes_user_text(void **state)
{
	static const struct md_case cases[] = {
		{ "bold", "*bold*", "\\*bold\\*" },
		{ "underscores", "_em_ __strong__", "\\_em\\_ \\_\\_strong\\_\\_" },
		{ "html", "<script>alert(1)</script>",
		  "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" },
		{ "link", "[link](http://x)", "\\[link\\]\\(http://x\\)" },
		{ "heading", "# heading", "\\# heading" },
		{ "ampersand", "fish & chips &amp;", "fish &amp; chips &amp;amp;" },
		{ "code", "`rm -rf`", "\\`rm \\-rf\\`" },
		{ "list and quote", "- item\n> quoted", "\\- item  \n&gt; quoted" },
		{ "backslash", "a\\b", "a\\\\b" },
		{ "image", "![x](y)", "\\!\\[x\\]\\(y\\)" },
		{ "plain words", "plain words 42", "plain words 42" },
		{ "emoji kept", "\xf0\x9f\x8e\x89 ok", "\xf0\x9f\x8e\x89 ok" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct msg m;
		char *s;

		msg_init(&m);
		msg_user(&m, cases[i].user);
		s = msg_render_markdown(&m);
		if (!s || strcmp(s, cases[i].want) != 0)
			fail_msg("%s: rendered \"%s\", want \"%s\"", cases[i].description,
				 s ? s : "(null)", cases[i].want);
		free(s);
		msg_free(&m);
	}
}

static void test_render_markdown_bot_spans_not_escaped(void **state)
{
	struct msg m;
	char *s;

	(void)state;
	msg_init(&m);
	msg_bold(&m, "Question 1 of 22");
	msg_text(&m, " (see ");
	msg_code(&m, "!ws next");
	msg_text(&m, ") by ");
	msg_user(&m, "*alice*");
	msg_text(&m, ".\nNext line.\n");
	msg_bold(&m, "Action items");
	s = msg_render_markdown(&m);
	assert_string_equal(s, "**Question 1 of 22** (see `!ws next`) by \\*alice\\*.  \n"
			    "Next line.  \n**Action items**");
	free(s);
	msg_free(&m);
}

static void test_render_markdown_newlines_are_hard_breaks(void **state)
{
	struct msg m;
	char *s;

	(void)state;
	msg_init(&m);
	msg_text(&m, "one\ntwo\n");
	msg_user(&m, "three\nfour");
	s = msg_render_markdown(&m);
	assert_string_equal(s, "one  \ntwo  \nthree  \nfour");
	free(s);
	msg_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builder_merges_spans_of_one_kind),
		cmocka_unit_test(test_builder_long_format),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_json_mention_round_trip),
		cmocka_unit_test(test_json_empty_message),
		cmocka_unit_test(test_json_failed_message_not_serialised),
		cmocka_unit_test(test_json_from_adjacent_same_kind_merges),
		cmocka_unit_test(test_json_rejects_bad_shapes),
		cmocka_unit_test(test_render_plain),
		cmocka_unit_test(test_render_markdown_escapes_user_text),
		cmocka_unit_test(test_render_markdown_bot_spans_not_escaped),
		cmocka_unit_test(test_render_markdown_newlines_are_hard_breaks),
	};

	return cmocka_run_group_tests_name("msg: spans, JSON, renderings", tests, NULL, NULL);
}
