/* test_matrix.c - /sync answers (the real payloads in tests/fixtures/matrix) into events,
 * and messages into m.notice content with user text escaped and @room defused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/matrix_parse.h"
#include "bot/matrix_text.h"
#include "tests/unit/support.h"

static const struct matrix_identity me = { "@bot:example.org", "workshopbot" };

static char *fixture(const char *name, size_t *len)
{
	char path[256];

	snprintf(path, sizeof path, "tests/fixtures/matrix/%s", name);
	return file_read(path, len);
}

/* A sync with one joined room whose timeline holds the given events (a JSON array). */
static int parse_timeline(const char *events, bool limited, struct matrix_sync *s)
{
	char body[16384], err[BOT_ERRMSG_MAX];
	int n = snprintf(body, sizeof body,
			 "{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"!r:example.org\":{"
			 "\"timeline\":{\"limited\":%s,\"prev_batch\":\"p1\",\"events\":%s}}}}}",
			 limited ? "true" : "false", events);

	assert_true(n > 0 && (size_t)n < sizeof body);
	return matrix_parse_sync(body, (size_t)n, &me, s, err, sizeof err);
}

static void test_spec_example(void **state)
{
	struct matrix_sync s;
	char err[BOT_ERRMSG_MAX];
	size_t len = 0;
	char *body = fixture("sync_spec_example_refs_inlined.json", &len);

	(void)state;
	assert_int_equal(matrix_parse_sync(body, len, &me, &s, err, sizeof err), 0);
	assert_string_equal(s.next_batch, "s72595_4483_1934");
	assert_int_equal(s.n_rooms, 1);
	assert_string_equal(s.rooms[0].room_id, "!726s6s6q:example.com");
	/* The example's timeline: a member event (ignored) and one text message. */
	assert_int_equal(s.rooms[0].n_events, 1);
	assert_int_equal(s.rooms[0].events[0].kind, EVENT_MESSAGE);
	assert_string_equal(s.rooms[0].events[0].text, "This is an example text message");
	assert_string_equal(s.rooms[0].events[0].user, "@example:example.org");
	assert_string_equal(s.rooms[0].events[0].dedup_key, s.rooms[0].events[0].ref);
	assert_int_equal(s.n_invites, 1);
	matrix_sync_free(&s);
	free(body);
}

/* A NUL character (valid JSON) in one message's body: the sync is still read (its
 * next_batch too, or the bot would fetch the same batch for ever); that message is left
 * out, the next one is kept. */
static void test_sync_with_nul_in_a_body(void **state)
{
	static const char body[] =
		"{\"next_batch\":\"s2\",\"rooms\":{\"join\":{\"!r:x\":{\"timeline\":{\"events\":["
		"{\"type\":\"m.room.message\",\"event_id\":\"$1\",\"sender\":\"@a:x\","
		"\"origin_server_ts\":1,\"content\":{\"msgtype\":\"m.text\",\"body\":\"cut\\u0000\"}},"
		"{\"type\":\"m.room.message\",\"event_id\":\"$2\",\"sender\":\"@a:x\","
		"\"origin_server_ts\":2,\"content\":{\"msgtype\":\"m.text\",\"body\":\"whole\"}}"
		"]}}}}}";
	struct matrix_sync s;
	char err[BOT_ERRMSG_MAX];

	(void)state;
	assert_int_equal(matrix_parse_sync(body, sizeof body - 1, &me, &s, err, sizeof err), 0);
	assert_string_equal(s.next_batch, "s2");
	assert_int_equal(s.n_rooms, 1);
	assert_int_equal(s.rooms[0].n_events, 1);
	assert_string_equal(s.rooms[0].events[0].text, "whole");
	matrix_sync_free(&s);
}

static void test_invite(void **state)
{
	struct matrix_identity bob = { "@bob:example.com", NULL };
	struct matrix_sync s;
	char err[BOT_ERRMSG_MAX];
	size_t len = 0;
	char *body = fixture("sync_invite.json", &len);

	(void)state;
	assert_int_equal(matrix_parse_sync(body, len, &bob, &s, err, sizeof err), 0);
	assert_int_equal(s.n_invites, 1);
	assert_string_equal(s.invites[0].room_id, "!696r7674:example.com");
	assert_string_equal(s.invites[0].inviter, "@alice:example.com");
	assert_false(s.invites[0].direct);
	assert_int_equal(s.n_rooms, 0);
	matrix_sync_free(&s);
	free(body);
}

/* A direct chat a user made: "is_direct": true sits in the content of the bot's own
 * m.room.member invite (spec: m.room.member; the stripped state of sync_invite.json).
 * Elsewhere, false, or not a boolean, it is an ordinary invite. */
static void test_invite_direct(void **state)
{
	static const char body[] =
		"{\"next_batch\":\"s1\",\"rooms\":{\"invite\":{"
		"\"!dm:x\":{\"invite_state\":{\"events\":["
		"{\"type\":\"m.room.create\",\"state_key\":\"\",\"sender\":\"@al:x\",\"content\":{}},"
		"{\"type\":\"m.room.member\",\"state_key\":\"@al:x\",\"sender\":\"@al:x\","
		"\"content\":{\"membership\":\"join\"}},"
		"{\"type\":\"m.room.member\",\"state_key\":\"@bot:example.org\",\"sender\":\"@al:x\","
		"\"content\":{\"membership\":\"invite\",\"is_direct\":true}}]}},"
		"\"!no:x\":{\"invite_state\":{\"events\":["
		"{\"type\":\"m.room.member\",\"state_key\":\"@bot:example.org\",\"sender\":\"@bo:x\","
		"\"content\":{\"membership\":\"invite\",\"is_direct\":false}}]}},"
		"\"!str:x\":{\"invite_state\":{\"events\":["
		"{\"type\":\"m.room.member\",\"state_key\":\"@bot:example.org\",\"sender\":\"@bo:x\","
		"\"content\":{\"membership\":\"invite\",\"is_direct\":\"true\"}}]}},"
		"\"!other:x\":{\"invite_state\":{\"events\":["
		"{\"type\":\"m.room.member\",\"state_key\":\"@cy:x\",\"sender\":\"@cy:x\","
		"\"content\":{\"membership\":\"join\",\"is_direct\":true}},"
		"{\"type\":\"m.room.member\",\"state_key\":\"@bot:example.org\",\"sender\":\"@cy:x\","
		"\"content\":{\"membership\":\"invite\"}}]}}}}}";
	static const struct { const char *room, *inviter; bool direct; } want[] = {
		{ "!dm:x", "@al:x", true }, { "!no:x", "@bo:x", false },
		{ "!str:x", "@bo:x", false }, { "!other:x", "@cy:x", false },
	};
	struct matrix_sync s;
	char err[BOT_ERRMSG_MAX];

	(void)state;
	assert_int_equal(matrix_parse_sync(body, sizeof body - 1, &me, &s, err, sizeof err), 0);
	assert_int_equal(s.n_invites, 4);
	for (size_t i = 0; i < 4; i++) {
		size_t k = 0;
		while (k < s.n_invites && strcmp(s.invites[k].room_id, want[i].room) != 0)
			k++;
		assert_true(k < s.n_invites);
		assert_string_equal(s.invites[k].inviter, want[i].inviter);
		assert_int_equal(s.invites[k].direct, want[i].direct);
	}
	matrix_sync_free(&s);
}

static void test_relations(void **state)
{
	struct matrix_sync s;
	size_t len = 0;
	char *thread = fixture("event_thread_reply.json", &len);
	char *edit = fixture("event_edit_m_replace.json", &len);
	char events[8192];

	(void)state;
	snprintf(events, sizeof events, "[%s,%s,"
		 "{\"type\":\"m.room.message\",\"event_id\":\"$rr\",\"sender\":\"@c:x\","
		 "\"content\":{\"msgtype\":\"m.text\",\"body\":\"> <@bot:example.org> Question 3\\n"
		 "> more\\n\\nmy answer\",\"m.relates_to\":{\"m.in_reply_to\":{\"event_id\":\"$q3\"}}}},"
		 "{\"type\":\"m.room.redaction\",\"event_id\":\"$red10\",\"sender\":\"@c:x\","
		 "\"redacts\":\"$rr\",\"content\":{}},"
		 "{\"type\":\"m.room.redaction\",\"event_id\":\"$red11\",\"sender\":\"@c:x\","
		 "\"content\":{\"redacts\":\"$old\"}}]", thread, edit);
	/* The edit fixture has no sender (the spec trims it): ignored as incomplete. */
	assert_int_equal(parse_timeline(events, false, &s), 0);
	assert_int_equal(s.rooms[0].n_events, 4);
	assert_string_equal(s.rooms[0].events[0].thread, "$alice_hello");
	assert_string_equal(s.rooms[0].events[0].text,
			    "I'm doing okay, thank you! How about yourself?");
	assert_string_equal(s.rooms[0].events[1].thread, "$q3");
	assert_string_equal(s.rooms[0].events[1].text, "my answer");
	assert_int_equal(s.rooms[0].events[2].kind, EVENT_DELETE);
	assert_string_equal(s.rooms[0].events[2].target_ref, "$rr");
	assert_string_equal(s.rooms[0].events[3].target_ref, "$old");
	assert_int_equal(s.skipped, 1);
	matrix_sync_free(&s);
	free(thread);
	free(edit);

	assert_int_equal(parse_timeline(
		"[{\"type\":\"m.room.message\",\"event_id\":\"$e\",\"sender\":\"@c:x\",\"content\":{"
		"\"msgtype\":\"m.text\",\"body\":\"* new\",\"m.new_content\":{\"msgtype\":\"m.text\","
		"\"body\":\"new\"},\"m.relates_to\":{\"rel_type\":\"m.replace\",\"event_id\":\"$o\"}}}]",
		false, &s), 0);
	assert_int_equal(s.rooms[0].events[0].kind, EVENT_EDIT);
	assert_string_equal(s.rooms[0].events[0].target_ref, "$o");
	assert_string_equal(s.rooms[0].events[0].text, "new");
	matrix_sync_free(&s);
}

static void test_ignored_and_commands(void **state)
{
	struct matrix_sync s;

	(void)state;
	assert_int_equal(parse_timeline(
		"[{\"type\":\"m.room.message\",\"event_id\":\"$1\",\"sender\":\"@bot:example.org\","
		"\"content\":{\"msgtype\":\"m.text\",\"body\":\"own\"}},"
		"{\"type\":\"m.room.message\",\"event_id\":\"$2\",\"sender\":\"@other:x\","
		"\"content\":{\"msgtype\":\"m.notice\",\"body\":\"a bot's notice\"}},"
		"{\"type\":\"m.room.message\",\"event_id\":\"$3\",\"sender\":\"@a:x\",\"content\":{},"
		"\"unsigned\":{\"redacted_because\":{}}},"
		"{\"type\":\"m.room.member\",\"event_id\":\"$4\",\"sender\":\"@a:x\",\"state_key\":\"@a:x\","
		"\"content\":{\"membership\":\"join\"}},"
		"{\"type\":\"m.room.encryption\",\"event_id\":\"$5\",\"sender\":\"@a:x\",\"state_key\":\"\","
		"\"content\":{\"algorithm\":\"m.megolm.v1.aes-sha2\"}},"
		"{\"type\":\"m.room.power_levels\",\"event_id\":\"$6\",\"sender\":\"@a:x\","
		"\"state_key\":\"\",\"content\":{\"users\":{\"@a:x\":100},\"users_default\":10}},"
		"{\"type\":\"m.room.message\",\"event_id\":\"$7\",\"sender\":\"@a:x\","
		"\"content\":{\"msgtype\":\"m.text\",\"body\":\"workshopbot: next\"}},"
		"{\"type\":\"m.room.message\",\"event_id\":\"$8\",\"sender\":\"@a:x\","
		"\"content\":{\"msgtype\":\"m.text\",\"body\":\"!ws status\"}}]", true, &s), 0);
	assert_true(s.rooms[0].limited);
	assert_string_equal(s.rooms[0].prev_batch, "p1");
	assert_true(s.rooms[0].encrypted);
	assert_int_equal(matrix_power_level(s.rooms[0].power_levels, "@a:x"), 100);
	assert_int_equal(matrix_power_level(s.rooms[0].power_levels, "@z:x"), 10);
	assert_int_equal(matrix_power_level(NULL, "@z:x"), 0);
	assert_int_equal(s.rooms[0].n_events, 2);
	assert_true(s.rooms[0].events[0].addressed);
	assert_string_equal(s.rooms[0].events[0].text, "next");
	assert_false(s.rooms[0].events[1].addressed);
	assert_string_equal(s.rooms[0].events[1].text, "!ws status");
	matrix_sync_free(&s);
}

/* A reaction becomes a reaction event; history from before the bot joined is not acted
 * on. */
static void test_reactions_and_own_join(void **state)
{
	struct matrix_sync s;

	(void)state;
	assert_int_equal(parse_timeline(
		"[{\"type\":\"m.room.message\",\"event_id\":\"$old\",\"sender\":\"@a:x\","
		"\"content\":{\"msgtype\":\"m.text\",\"body\":\"!ws start\"}},"
		"{\"type\":\"m.room.member\",\"event_id\":\"$j\",\"sender\":\"@bot:example.org\","
		"\"state_key\":\"@bot:example.org\",\"content\":{\"membership\":\"join\"}},"
		"{\"type\":\"m.reaction\",\"event_id\":\"$r\",\"sender\":\"@a:x\",\"content\":{"
		"\"m.relates_to\":{\"rel_type\":\"m.annotation\",\"event_id\":\"$q\","
		"\"key\":\"2\xef\xb8\x8f\xe2\x83\xa3\"}}}]", false, &s), 0);
	assert_int_equal(s.rooms[0].n_events, 1);
	assert_int_equal(s.rooms[0].events[0].kind, EVENT_REACTION);
	assert_string_equal(s.rooms[0].events[0].target_ref, "$q");
	assert_string_equal(s.rooms[0].events[0].text, "2\xef\xb8\x8f\xe2\x83\xa3");
	matrix_sync_free(&s);
}

static void test_bad_sync(void **state)
{
	static const char *const bad[] = { "", "nope", "[]", "{}", "{\"next_batch\":7}" };
	struct matrix_sync s;
	char err[BOT_ERRMSG_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		assert_int_equal(matrix_parse_sync(bad[i], strlen(bad[i]), &me, &s, err, sizeof err),
				 BOT_ERR_INVALID);
		assert_null(strchr(err, '\n'));
		matrix_sync_free(&s);
	}
	/* Odd shapes inside a valid answer are skipped, not fatal. */
	const char *odd = "{\"next_batch\":\"x\",\"rooms\":{\"join\":{\"!r\":7},\"invite\":[]}}";
	assert_int_equal(matrix_parse_sync(odd, strlen(odd), &me, &s, err, sizeof err), 0);
	matrix_sync_free(&s);
}

static void test_messages_page(void **state)
{
	struct matrix_sync owner;
	struct matrix_room room;
	const char *end;
	char err[BOT_ERRMSG_MAX];
	const char *page = "{\"start\":\"t9\",\"end\":\"t7\",\"chunk\":["
			   "{\"type\":\"m.room.message\",\"event_id\":\"$b\",\"sender\":\"@a:x\","
			   "\"content\":{\"msgtype\":\"m.text\",\"body\":\"second\"}},"
			   "{\"type\":\"m.room.message\",\"event_id\":\"$a\",\"sender\":\"@a:x\","
			   "\"content\":{\"msgtype\":\"m.text\",\"body\":\"first\"}}]}";

	(void)state;
	assert_int_equal(parse_timeline("[]", true, &owner), 0);
	assert_int_equal(matrix_parse_messages(page, strlen(page), &me, "!r", &owner, &room, &end,
					       err, sizeof err), 0);
	assert_string_equal(end, "t7");
	assert_int_equal(room.n_events, 2);
	assert_string_equal(room.events[0].text, "first");
	assert_string_equal(room.events[1].text, "second");
	free(room.events);
	matrix_sync_free(&owner);
}

static void test_notice_content(void **state)
{
	struct msg m;
	json_t *content;

	(void)state;
	msg_init(&m);
	msg_bold(&m, "Question 1");
	msg_text(&m, "\nUsage: !ws action <what>");
	msg_user(&m, " <b>bold</b> & @room \"q\"");
	content = matrix_notice_content(&m);
	assert_non_null(content);
	assert_string_equal(json_string_value(json_object_get(content, "msgtype")), "m.notice");
	assert_string_equal(json_string_value(json_object_get(content, "formatted_body")),
			    "<b>Question 1</b><br>Usage: !ws action &lt;what&gt; &lt;b&gt;bold&lt;/b&gt; "
			    "&amp; @roo\xe2\x81\xa0m &quot;q&quot;");
	assert_string_equal(json_string_value(json_object_get(content, "body")),
			    "Question 1\nUsage: !ws action <what> <b>bold</b> & @roo\xe2\x81\xa0m \"q\"");
	assert_true(json_is_object(json_object_get(content, "m.mentions")));
	assert_int_equal(json_object_size(json_object_get(content, "m.mentions")), 0);
	json_decref(content);
	msg_free(&m);
}

/* "@room" never reaches the body or the text of formatted_body alive: in any case (push
 * rules match it case-insensitively) and where it is made of several spans, also across
 * a tag (inputs found by fuzz_escape). */
static void test_notice_room_defused(void **state)
{
	struct msg m;
	char *body, *html;

	(void)state;
	msg_init(&m);
	msg_user(&m, "@ROOM ");
	msg_mention(&m, "ro", "ro");          /* "@ro", no id: shown as text */
	msg_user(&m, "om ");
	msg_code(&m, "owner @");
	msg_user(&m, "Room");
	body = matrix_render_body(&m);
	html = matrix_render_html(&m);
	assert_string_equal(body, "@ROO\xe2\x81\xa0M @roo\xe2\x81\xa0m owner @Roo\xe2\x81\xa0m");
	assert_string_equal(html, "@ROO\xe2\x81\xa0M @roo\xe2\x81\xa0m <code>owner @</code>"
			    "Roo\xe2\x81\xa0m");
	free(body);
	free(html);
	msg_free(&m);
}

/* A mention of a Matrix id is a pill and listed in m.mentions (it notifies); a name that
 * is no id, or an id with markup in it, is escaped text and notifies nobody. */
static void test_notice_mentions(void **state)
{
	struct msg m;
	json_t *content, *ids;

	(void)state;
	msg_init(&m);
	msg_text(&m, "Reminder for ");
	msg_mention(&m, "@bob:example.org", "@bob:example.org");
	msg_text(&m, ", ");
	msg_mention(&m, "@x:y\"><img src=x>", "eve");
	msg_text(&m, ", ");
	msg_mention(&m, "carol", "carol");
	content = matrix_notice_content(&m);
	assert_non_null(content);
	assert_string_equal(json_string_value(json_object_get(content, "formatted_body")),
			    "Reminder for <a href=\"https://matrix.to/#/@bob:example.org\">"
			    "@bob:example.org</a>, @eve, @carol");
	assert_string_equal(json_string_value(json_object_get(content, "body")),
			    "Reminder for @bob:example.org, @eve, @carol");
	ids = json_object_get(json_object_get(content, "m.mentions"), "user_ids");
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_array_get(ids, 0)), "@bob:example.org");
	json_decref(content);
	msg_free(&m);
}

static void test_strip_fallback(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "> <@a:x> quoted\n\nreply", "reply" },
		{ "> one\n> two\n\nreply\nmore", "reply\nmore" },
		{ "> only a quote", "" },
		{ ">not a fallback", ">not a fallback" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *out = matrix_strip_reply_fallback(cases[i].in);
		assert_string_equal(out, cases[i].out);
		free(out);
	}
}

/* POST /createRoom for a direct room (spec: createRoom): is_direct, the one invitee,
 * and the preset that gives both the same power. */
static void test_direct_room_body(void **state)
{
	json_t *body = matrix_direct_room_body("@alice:fake.local");

	(void)state;
	assert_non_null(body);
	assert_true(json_is_true(json_object_get(body, "is_direct")));
	assert_int_equal(json_array_size(json_object_get(body, "invite")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(body, "invite"), 0)),
			    "@alice:fake.local");
	assert_string_equal(json_string_value(json_object_get(body, "preset")),
			    "trusted_private_chat");
	assert_int_equal(json_object_size(body), 3);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_example),
		cmocka_unit_test(test_sync_with_nul_in_a_body),
		cmocka_unit_test(test_invite),
		cmocka_unit_test(test_invite_direct),
		cmocka_unit_test(test_relations),
		cmocka_unit_test(test_ignored_and_commands),
		cmocka_unit_test(test_reactions_and_own_join),
		cmocka_unit_test(test_bad_sync),
		cmocka_unit_test(test_messages_page),
		cmocka_unit_test(test_notice_content),
		cmocka_unit_test(test_direct_room_body),
		cmocka_unit_test(test_notice_mentions),
		cmocka_unit_test(test_notice_room_defused),
		cmocka_unit_test(test_strip_fallback),
	};

	return cmocka_run_group_tests_name("matrix sync and text", tests, NULL, NULL);
}
