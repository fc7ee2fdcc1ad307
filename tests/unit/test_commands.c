/* test_commands.c - the command grammar every transport shares: the command prefixes
 * (commands_strip_prefix) and the console's "name> text" speaker prefix
 * (console_split_speaker). Table-driven; each case has a description. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bot/console.h"
#include "handlers/commands.h"
#include "tests/unit/support.h"

struct prefix_case {
	const char *description;
	const char *text;
	const char *rest;    /* what follows the prefix; NULL: not a command */
};

static const struct prefix_case prefix_cases[] = {
	{ "!workshop", "!workshop start", "start" },
	{ "!ws", "!ws start", "start" },
	{ "/workshop", "/workshop next", "next" },
	{ "/ws", "/ws next", "next" },
	{ "@workshopbot", "@workshopbot status", "status" },
	{ "upper case prefix", "!WS next", "next" },
	{ "mixed case prefix", "!WorkShop next", "next" },
	{ "mention in capitals", "@WorkshopBot who", "who" },
	{ "case of the rest kept", "!ws Answer Keep THIS", "Answer Keep THIS" },
	{ "prefix alone", "!ws", "" },
	{ "prefix and spaces", "!ws   ", "" },
	{ "several spaces after", "!ws    next", "next" },
	{ "tab after", "!ws\tnext", "next" },
	{ "colon form", "!ws: next", "next" },
	{ "colon without space", "!ws:next", "next" },
	{ "mention with colon", "@workshopbot: end", "end" },
	{ "leading spaces", "   !ws next", "next" },
	{ "leading tab", "\t/ws next", "next" },
	{ "arguments kept as typed", "!ws action Call  them @sam", "action Call  them @sam" },
	{ "!wsx is no prefix", "!wsx start", NULL },
	{ "!ws glued to a word", "!wsnext", NULL },
	{ "!workshops is no prefix", "!workshops start", NULL },
	{ "!workshopbot is no prefix", "!workshopbot start", NULL },
	{ "/wsx is no prefix", "/wsx", NULL },
	{ "@workshopbots is no prefix", "@workshopbots hi", NULL },
	{ "no bang", "ws next", NULL },
	{ "prefix later in the line", "hello !ws next", NULL },
	{ "empty", "", NULL },
	{ "spaces only", "    ", NULL },
	{ "plain answer", "We should listen more", NULL },
	{ "bare bang", "!", NULL },
};

static void test_strip_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(prefix_cases); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		const char *got = commands_strip_prefix(c->text);

		if (!c->rest && got)
			fail_msg("%s: '%s' was read as a command: '%s'", c->description, c->text, got);
		if (c->rest && (!got || strcmp(got, c->rest) != 0))
			fail_msg("%s: '%s' gave %s%s%s, want '%s'", c->description, c->text,
				 got ? "'" : "", got ? got : "NULL", got ? "'" : "", c->rest);
	}
}

static void test_strip_prefix_points_into_text(void **state)
{
	const char *text = "  !ws   next now";
	const char *got;

	(void)state;
	got = commands_strip_prefix(text);
	assert_ptr_equal(got, text + 8);
}

struct speaker_case {
	const char *description;
	const char *line;
	const char *name;    /* the speaker; NULL: no speaker prefix */
	const char *text;
};

#define NAME_32 "abcdefghijklmnopqrstuvwxyz012345"
#define NAME_33 "abcdefghijklmnopqrstuvwxyz0123456"

static const struct speaker_case speaker_cases[] = {
	{ "name and space", "alice> hi", "alice", "hi" },
	{ "no space", "alice>hi", "alice", "hi" },
	{ "only one space is eaten", "alice>  hi", "alice", " hi" },
	{ "empty text", "alice>", "alice", "" },
	{ "dots, dashes, digits", "bob.smith_2-x> yes", "bob.smith_2-x", "yes" },
	{ "capitals", "Carol> !ws next", "Carol", "!ws next" },
	{ "'>' in the text", "alice> a > b", "alice", "a > b" },
	{ "32 characters", NAME_32 "> x", NAME_32, "x" },
	{ "space in the name", "a b> x", NULL, NULL },
	{ "33 characters", NAME_33 "> x", NULL, NULL },
	{ "no name", "> x", NULL, NULL },
	{ "space before '>'", "alice > hi", NULL, NULL },
	{ "leading space", " alice> hi", NULL, NULL },
	{ "no '>'", "alice hi", NULL, NULL },
	{ "non-ASCII name", "\xc3\xa9lise> hi", NULL, NULL },
	{ "symbol in name", "al!ce> hi", NULL, NULL },
	{ "empty line", "", NULL, NULL },
	{ "a command", "!ws next", NULL, NULL },
};

static void test_split_speaker(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(speaker_cases); i++) {
		const struct speaker_case *c = &speaker_cases[i];
		char name[33];
		const char *text;

		strcpy(name, "untouched");
		text = console_split_speaker(c->line, name, sizeof name);
		if (!c->name) {
			if (text)
				fail_msg("%s: '%s' gave speaker '%s'", c->description, c->line, name);
			continue;
		}
		if (!text)
			fail_msg("%s: '%s' gave no speaker", c->description, c->line);
		if (strcmp(name, c->name) != 0 || strcmp(text, c->text) != 0)
			fail_msg("%s: '%s' gave '%s' / '%s', want '%s' / '%s'", c->description,
				 c->line, name, text, c->name, c->text);
	}
}

static void test_split_speaker_small_buffer(void **state)
{
	char name[6];

	(void)state;
	/* "alice" needs 6 bytes with its NUL: fits. */
	assert_string_equal(console_split_speaker("alice> hi", name, sizeof name), "hi");
	assert_string_equal(name, "alice");
	/* "alice2" does not: refused rather than cut. */
	assert_null(console_split_speaker("alice2> hi", name, sizeof name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strip_prefix),
		cmocka_unit_test(test_strip_prefix_points_into_text),
		cmocka_unit_test(test_split_speaker),
		cmocka_unit_test(test_split_speaker_small_buffer),
	};

	return cmocka_run_group_tests_name("commands: prefixes and console speakers", tests,
					   NULL, NULL);
}
