/* test_slack.c - Socket Mode frames (the real payloads in tests/fixtures/slack) into
 * events, Slack text into plain text, and messages into escaped mrkdwn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/slack_blocks.h"
#include "bot/slack_parse.h"
#include "bot/slack_text.h"
#include "tests/unit/support.h"

static const struct slack_identity me = { "UBOT", "BBOT" };

/* Parses a fixture file (must succeed). */
static void parse_fixture(const char *name, struct slack_frame *f)
{
	char path[256], err[BOT_ERRMSG_MAX];
	size_t len = 0;
	char *data;

	snprintf(path, sizeof path, "tests/fixtures/slack/%s", name);
	data = file_read(path, &len);
	if (slack_parse_frame(data, len, &me, f, err, sizeof err) != 0)
		fail_msg("%s: %s", name, err);
	free(data);
}

/* Wraps an Events API payload fixture in a Socket Mode envelope and parses it. */
static void parse_payload_fixture(const char *name, struct slack_frame *f)
{
	char path[256], err[BOT_ERRMSG_MAX];
	size_t len = 0;
	char *payload, *frame;

	snprintf(path, sizeof path, "tests/fixtures/slack/%s", name);
	payload = file_read(path, &len);
	frame = malloc(len + 200);
	assert_non_null(frame);
	len = (size_t)sprintf(frame, "{\"envelope_id\":\"env-1\",\"type\":\"events_api\","
				     "\"accepts_response_payload\":false,\"retry_attempt\":0,"
				     "\"payload\":%s}", payload);
	if (slack_parse_frame(frame, len, &me, f, err, sizeof err) != 0)
		fail_msg("%s: %s", name, err);
	free(payload);
	free(frame);
}

static int parse_text(const char *json, struct slack_frame *f)
{
	char err[BOT_ERRMSG_MAX];

	return slack_parse_frame(json, strlen(json), &me, f, err, sizeof err);
}

static void test_hello_and_disconnect(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_fixture("hello.json", &f);
	assert_int_equal(f.type, SLACK_HELLO);
	assert_null(f.envelope_id);
	assert_int_equal(f.num_connections, 2);
	assert_int_equal(f.connection_time_s, 18060);
	slack_frame_free(&f);

	parse_fixture("disconnect_refresh_requested.json", &f);
	assert_int_equal(f.type, SLACK_DISCONNECT);
	assert_string_equal(f.reason, "refresh_requested");
	slack_frame_free(&f);

	parse_fixture("disconnect_warning.json", &f);
	assert_string_equal(f.reason, "warning");
	slack_frame_free(&f);
}

static void test_app_mention_and_message_are_one_command(void **state)
{
	struct slack_frame a, m;

	(void)state;
	parse_fixture("events_api_app_mention.json", &a);
	assert_int_equal(a.type, SLACK_EVENTS_API);
	assert_string_equal(a.envelope_id, "cda4159a-72a5-4744-aba3-4d66eb52682b");
	assert_true(a.has_event);
	assert_int_equal(a.ev.kind, EVENT_MESSAGE);
	assert_string_equal(a.ev.channel, "C111");
	assert_string_equal(a.ev.user, "U222");
	assert_string_equal(a.ev.ref, "1610241741.000200");
	assert_null(a.ev.thread);

	/* The fixture's message mentions U111: seen from a bot whose id is U111 it is a
	 * command, and it shares its dedup key with the app_mention of the same message. */
	struct slack_identity u111 = { "U111", "B111" };
	char err[BOT_ERRMSG_MAX];
	size_t len = 0;
	char *data = file_read("tests/fixtures/slack/events_api_message_channel.json", &len);
	assert_int_equal(slack_parse_frame(data, len, &u111, &m, err, sizeof err), 0);
	free(data);
	assert_true(m.has_event);
	assert_true(m.ev.addressed);
	assert_string_equal(m.ev.text, " Hi here!");
	assert_non_null(m.ev.dedup_key);
	assert_string_equal(m.ev.dedup_key, a.ev.dedup_key);
	slack_frame_free(&a);
	slack_frame_free(&m);
}

/* A message in an IM (channel_type "im") is marked direct, also in a channel the bot
 * never opened: the person wrote to the bot first. */
static void test_im_message_is_direct(void **state)
{
	struct slack_frame f;
	char err[BOT_ERRMSG_MAX], *im;
	size_t len = 0;
	char *data = file_read("tests/fixtures/slack/events_api_message_channel.json", &len);

	(void)state;
	im = strstr(data, "\"channel_type\":\"channel\"");
	assert_non_null(im);
	assert_int_equal(slack_parse_frame(data, len, &me, &f, err, sizeof err), 0);
	assert_true(f.has_event);
	assert_false(f.ev.direct);
	slack_frame_free(&f);
	/* "channel" -> "im" plus spaces, so the length stays. */
	memcpy(im + strlen("\"channel_type\":"), "\"im\"     ", strlen("\"channel\""));
	assert_int_equal(slack_parse_frame(data, len, &me, &f, err, sizeof err), 0);
	free(data);
	assert_true(f.has_event);
	assert_true(f.ev.direct);
	assert_true(f.ev.addressed);
	slack_frame_free(&f);
}

static void test_thread_reply(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_fixture("events_api_message_thread_reply.json", &f);
	assert_true(f.has_event);
	assert_false(f.ev.addressed);
	assert_string_equal(f.ev.thread, "1726133698.626339");
	assert_string_equal(f.ev.ref, "1726133700.887259");
	assert_string_equal(f.ev.user, "W222");
	assert_string_equal(f.ev.text, "When Slack was released?");
	slack_frame_free(&f);
}

static void test_edit_and_delete(void **state)
{
	struct slack_frame f;
	char *json;

	(void)state;
	/* The fixture's edited message lacks its ts (a quirk of the source test data):
	 * without the target it cannot be matched, so it is ignored, not misapplied. */
	parse_payload_fixture("events_api_payload_message_changed_edit.json", &f);
	assert_false(f.has_event);
	slack_frame_free(&f);

	json = "{\"envelope_id\":\"e2\",\"type\":\"events_api\",\"payload\":{\"event_id\":\"Ev9\","
	       "\"event\":{\"type\":\"message\",\"subtype\":\"message_changed\",\"hidden\":true,"
	       "\"channel\":\"C1\",\"ts\":\"200.1\",\"message\":{\"type\":\"message\",\"user\":\"U5\","
	       "\"text\":\"new &lt;text&gt;\",\"ts\":\"100.1\",\"thread_ts\":\"50.1\","
	       "\"edited\":{\"user\":\"U5\",\"ts\":\"200.1\"}}}}}";
	assert_int_equal(parse_text(json, &f), 0);
	assert_true(f.has_event);
	assert_int_equal(f.ev.kind, EVENT_EDIT);
	assert_string_equal(f.ev.target_ref, "100.1");
	assert_string_equal(f.ev.thread, "50.1");
	assert_string_equal(f.ev.text, "new <text>");
	assert_string_equal(f.ev.dedup_key, "Ev9");
	slack_frame_free(&f);

	parse_payload_fixture("events_api_payload_message_deleted.json", &f);
	assert_true(f.has_event);
	assert_int_equal(f.ev.kind, EVENT_DELETE);
	assert_string_equal(f.ev.channel, "C043YJGBY49");
	assert_string_equal(f.ev.target_ref, "1663966382.046509");
	assert_string_equal(f.ev.user, "U043H11ES4V");
	slack_frame_free(&f);

	/* A reaction on a message (a ✅ on a reminder, in a channel or the IM). */
	json = "{\"envelope_id\":\"e3\",\"type\":\"events_api\",\"payload\":{\"event_id\":\"Ev10\","
	       "\"event\":{\"type\":\"reaction_added\",\"user\":\"U5\",\"reaction\":"
	       "\"white_check_mark\",\"item_user\":\"UBOT\",\"item\":{\"type\":\"message\","
	       "\"channel\":\"DU5\",\"ts\":\"300.1\"},\"event_ts\":\"301.1\"}}}";
	assert_int_equal(parse_text(json, &f), 0);
	assert_true(f.has_event);
	assert_int_equal(f.ev.kind, EVENT_REACTION);
	assert_string_equal(f.ev.channel, "DU5");
	assert_string_equal(f.ev.user, "U5");
	assert_string_equal(f.ev.text, "white_check_mark");
	assert_string_equal(f.ev.target_ref, "300.1");
	assert_string_equal(f.ev.dedup_key, "Ev10");
	slack_frame_free(&f);
}

static void test_ignored_events(void **state)
{
	static const struct {
		const char *description;
		const char *event;
	} cases[] = {
		{ "the bot's own message", "{\"type\":\"message\",\"user\":\"UBOT\",\"text\":\"x\","
					   "\"channel\":\"C1\",\"ts\":\"1.1\"}" },
		{ "another bot (bot_id)", "{\"type\":\"message\",\"user\":\"U9\",\"bot_id\":\"B9\","
					  "\"text\":\"x\",\"channel\":\"C1\",\"ts\":\"1.1\"}" },
		{ "a classic bot_message", "{\"type\":\"message\",\"subtype\":\"bot_message\","
					   "\"bot_id\":\"B9\",\"text\":\"x\",\"channel\":\"C1\","
					   "\"ts\":\"1.1\"}" },
		{ "an unfurl (changed, not edited)",
		  "{\"type\":\"message\",\"subtype\":\"message_changed\",\"channel\":\"C1\","
		  "\"message\":{\"user\":\"U1\",\"text\":\"x\",\"ts\":\"1.1\"}}" },
		{ "a channel join", "{\"type\":\"message\",\"subtype\":\"channel_join\","
				    "\"user\":\"U1\",\"channel\":\"C1\",\"ts\":\"1.1\"}" },
		{ "a reaction event on no message", "{\"type\":\"reaction_added\",\"user\":\"U1\"}" },
		{ "a reaction on a file", "{\"type\":\"reaction_added\",\"user\":\"U1\",\"reaction\":"
					  "\"x\",\"item\":{\"type\":\"file\",\"file\":\"F1\"}}" },
		{ "a reaction without its message's ts", "{\"type\":\"reaction_added\",\"user\":"
					  "\"U1\",\"reaction\":\"x\",\"item\":{\"type\":\"message\","
					  "\"channel\":\"C1\"}}" },
		{ "a message without a channel", "{\"type\":\"message\",\"user\":\"U1\",\"ts\":\"1\"}" },
	};
	char json[1024];
	struct slack_frame f;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(json, sizeof json, "{\"envelope_id\":\"e\",\"type\":\"events_api\","
					    "\"payload\":{\"event_id\":\"Ev\",\"event\":%s}}",
			 cases[i].event);
		if (parse_text(json, &f) != 0)
			fail_msg("%s: parse failed", cases[i].description);
		if (f.has_event)
			fail_msg("%s: should be ignored", cases[i].description);
		/* Only the shape that Slack never sends is worth a warning. */
		if (f.malformed != (strstr(cases[i].description, "without") != NULL))
			fail_msg("%s: malformed is %d", cases[i].description, f.malformed);
		assert_string_equal(f.envelope_id, "e");
		slack_frame_free(&f);
	}
}

static void test_slash_command(void **state)
{
	struct slack_frame f;

	(void)state;
	parse_fixture("slash_commands.json", &f);
	assert_int_equal(f.type, SLACK_SLASH_COMMAND);
	assert_true(f.accepts_response_payload);
	assert_true(f.has_event);
	assert_true(f.ev.addressed);
	assert_string_equal(f.ev.channel, "C111");
	assert_string_equal(f.ev.user, "U111");
	assert_string_equal(f.ev.user_name, "testxyz");
	assert_string_equal(f.ev.text, "");
	assert_string_equal(f.ev.trigger, "111.222.xxx");
	assert_string_equal(f.ev.dedup_key, "111.222.xxx");
	slack_frame_free(&f);
}

static void test_interactive(void **state)
{
	struct slack_frame f;
	const char *button =
		"{\"envelope_id\":\"e3\",\"type\":\"interactive\",\"payload\":{\"type\":"
		"\"block_actions\",\"user\":{\"id\":\"U7\",\"name\":\"sam\"},\"trigger_id\":\"t.1\","
		"\"channel\":{\"id\":\"C1\"},\"actions\":[{\"action_id\":\"ws_next\","
		"\"value\":\"4:12\",\"type\":\"button\"}]}}";
	const char *form =
		"{\"envelope_id\":\"e4\",\"type\":\"interactive\",\"accepts_response_payload\":true,"
		"\"payload\":{\"type\":\"view_submission\",\"user\":{\"id\":\"U7\"},\"view\":{"
		"\"id\":\"V1\",\"callback_id\":\"ws_answer\",\"private_metadata\":\"4:3:C1\","
		"\"state\":{\"values\":{\"answer\":{\"choices\":{\"type\":\"checkboxes\","
		"\"selected_options\":[{\"value\":\"Outreach\"},{\"value\":\"Equity\"}]}}}}}}}";

	(void)state;
	/* The fixture's button is not one of ours: acked, ignored. */
	parse_fixture("interactive_block_actions.json", &f);
	assert_int_equal(f.type, SLACK_INTERACTIVE);
	assert_false(f.has_event);
	slack_frame_free(&f);
	parse_fixture("interactive_view_submission.json", &f);
	assert_false(f.has_event);
	slack_frame_free(&f);

	assert_int_equal(parse_text(button, &f), 0);
	assert_true(f.has_event);
	assert_int_equal(f.ev.kind, EVENT_BUTTON);
	assert_string_equal(f.ev.action, "next");
	assert_int_equal(f.ev.session_id, 4);
	assert_int_equal(f.ev.prompt_index, 12);
	assert_string_equal(f.ev.channel, "C1");
	assert_string_equal(f.ev.trigger, "t.1");
	slack_frame_free(&f);

	assert_int_equal(parse_text(form, &f), 0);
	assert_true(f.has_event);
	assert_int_equal(f.ev.kind, EVENT_FORM);
	assert_string_equal(f.ev.action, "answer");
	assert_string_equal(f.ev.channel, "C1");
	assert_int_equal(f.ev.session_id, 4);
	assert_int_equal(f.ev.prompt_index, 3);
	assert_int_equal(f.ev.n_choices, 2);
	assert_string_equal(f.ev.choices[0], "Outreach");
	assert_string_equal(f.ev.choices[1], "Equity");
	slack_frame_free(&f);
}

static void test_bad_frames(void **state)
{
	static const char *const bad[] = {
		"", "not json", "[1,2]", "\"text\"", "{\"type\":\"events_api\",\"payload\":{}}",
		"{\"envelope_id\":", "{\"envelope_id\":\"x\",\"type\":\"events_api\",\"payload\":{",
	};
	struct slack_frame f;
	char err[BOT_ERRMSG_MAX];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		assert_int_equal(slack_parse_frame(bad[i], strlen(bad[i]), &me, &f, err, sizeof err),
				 BOT_ERR_INVALID);
		assert_true(err[0] != '\0');
		assert_null(strchr(err, '\n'));
		slack_frame_free(&f);
	}
	/* Odd but valid shapes are acked and ignored, not errors. */
	assert_int_equal(parse_text("{\"envelope_id\":\"x\",\"type\":\"events_api\",\"payload\":7}",
				    &f), 0);
	assert_false(f.has_event);
	assert_true(f.malformed);
	slack_frame_free(&f);
	assert_int_equal(parse_text("{\"envelope_id\":\"x\",\"type\":\"surprise\"}", &f), 0);
	assert_int_equal(f.type, SLACK_OTHER);
	assert_false(f.has_event);
	slack_frame_free(&f);
	/* A NUL character (valid JSON) in a message's text: the envelope is still read, so it
	 * is acked, and the message is skipped as malformed rather than stored cut short. */
	assert_int_equal(parse_text("{\"envelope_id\":\"x\",\"type\":\"events_api\",\"payload\":"
				    "{\"type\":\"event_callback\",\"event_id\":\"Ev1\",\"event\":"
				    "{\"type\":\"message\",\"channel\":\"C1\",\"user\":\"U2\","
				    "\"ts\":\"1.2\",\"text\":\"cut\\u0000here\"}}}", &f), 0);
	assert_string_equal(f.envelope_id, "x");
	assert_false(f.has_event);
	assert_true(f.malformed);
	slack_frame_free(&f);
}

static void test_text_from_wire(void **state)
{
	static const struct {
		const char *wire, *plain;
		bool mentioned;
	} cases[] = {
		{ "plain", "plain", false },
		{ "a &amp; b &lt;c&gt;", "a & b <c>", false },
		{ "<@UBOT> next", " next", true },
		{ "hey <@UBOT|workshopbot>, status", "hey , status", true },
		{ "action call <@U456> by friday", "action call @U456 by friday", false },
		{ "see <#C123|general>", "see #general", false },
		{ "<!here> and <!channel>", "@here and @channel", false },
		{ "<!subteam^S1|@team> hi", "@team hi", false },
		{ "<https://x.org|the site>", "the site (https://x.org)", false },
		{ "<https://x.org>", "https://x.org", false },
		{ "a < b", "a < b", false },
		{ "&amp;lt;", "&lt;", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		bool mentioned;
		char *plain = slack_text_from_wire(cases[i].wire, "UBOT", &mentioned);
		assert_non_null(plain);
		if (strcmp(plain, cases[i].plain) != 0 || mentioned != cases[i].mentioned)
			fail_msg("'%s': got '%s' (mentioned %d)", cases[i].wire, plain, mentioned);
		free(plain);
	}
}

static void test_mrkdwn_escapes_user_text(void **state)
{
	struct msg m;
	char *out;

	(void)state;
	msg_init(&m);
	msg_bold(&m, "Question 1");
	msg_text(&m, "\nUsage: !ws action <what> & more ");
	msg_code(&m, "!ws next");
	msg_text(&m, " — ");
	msg_user(&m, "<!channel> <@U123> <https://evil|click> &amp;");
	out = slack_render_mrkdwn(&m);
	assert_non_null(out);
	assert_string_equal(out, "*Question 1*\nUsage: !ws action &lt;what&gt; &amp; more "
				 "`!ws next` — &lt;!channel&gt; &lt;@U123&gt; "
				 "&lt;https://evil|click&gt; &amp;amp;");
	assert_null(strchr(out, '<'));
	free(out);
	msg_free(&m);

	/* mrkdwn bold ends at a line break: each line gets its own marks. */
	msg_init(&m);
	msg_bold(&m, "two\nlines");
	out = slack_render_mrkdwn(&m);
	assert_string_equal(out, "*two*\n*lines*");
	free(out);
	msg_free(&m);
}

/* A mention of a Slack id is a real <@…> mention; anything else in its place (a console
 * name, a crafted id) is shown as escaped text. */
static void test_mrkdwn_mentions(void **state)
{
	struct msg m;
	char *out;

	(void)state;
	msg_init(&m);
	msg_text(&m, "Reminder for ");
	msg_mention(&m, "U0BOB1", "Bob Smith");
	msg_text(&m, " and ");
	msg_mention(&m, "<!channel>", "<!channel>");
	msg_text(&m, " and ");
	msg_mention(&m, "u123", "carol");
	msg_text(&m, " and ");
	msg_mention(&m, "U12|x>", "dave");
	out = slack_render_mrkdwn(&m);
	assert_string_equal(out, "Reminder for <@U0BOB1> and @&lt;!channel&gt; and @carol and "
				 "@dave");
	free(out);
	msg_free(&m);
}

static void test_question_post_has_buttons(void **state)
{
	struct outbox_rec rec = { .kind = OUTBOX_POST, .channel = "C1", .session_id = 4,
				  .prompt_index = 12 };
	json_t *body, *actions;

	(void)state;
	body = slack_post_body(&rec, "*Question 3*", true);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(body, "channel")), "C1");
	assert_null(json_object_get(body, "thread_ts"));
	actions = json_object_get(json_array_get(json_object_get(body, "blocks"), 1), "elements");
	assert_int_equal(json_array_size(actions), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(actions, 0),
							      "action_id")), "ws_answer");
	assert_string_equal(json_string_value(json_object_get(json_array_get(actions, 1),
							      "value")), "4:12");
	json_decref(body);

	rec.thread = "100.1";
	body = slack_post_body(&rec, "plain reply", false);
	assert_string_equal(json_string_value(json_object_get(body, "thread_ts")), "100.1");
	assert_null(json_object_get(body, "blocks"));
	json_decref(body);
}

/* A modal built from a form spec, then "submitted" with every option of every checkbox
 * group picked, parses back into a form event with those choices. */
/* conversations.open takes the user ids as "users" (one id: a 1:1 IM); the post then
 * names the IM channel like any channel. */
static void test_open_im_body(void **state)
{
	json_t *body = slack_open_im_body("U222");

	(void)state;
	assert_non_null(body);
	assert_int_equal(json_object_size(body), 1);
	assert_string_equal(json_string_value(json_object_get(body, "users")), "U222");
	json_decref(body);
}

static void test_modal_round_trip(void **state)
{
	char spec[4096], err[BOT_ERRMSG_MAX], frame[8192];
	struct outbox_rec rec = { .kind = OUTBOX_FORM, .channel = "C1", .target_ref = "trig" };
	json_t *body, *blocks, *values;
	struct slack_frame f;
	size_t used;
	char *values_text;

	(void)state;
	used = (size_t)snprintf(spec, sizeof spec, "{\"form\":\"answer\",\"session\":4,"
				"\"prompt\":7,\"title\":\"Question 7 of 22, a long title\","
				"\"question\":\"Which?\",\"kind\":\"checklist\",\"options\":[");
	for (int i = 1; i <= 13; i++)
		used += (size_t)snprintf(spec + used, sizeof spec - used,
					 "%s{\"label\":\"Option %d\",\"text\":\"Option %d: more\"}",
					 i > 1 ? "," : "", i, i);
	snprintf(spec + used, sizeof spec - used, "]}");
	rec.body = spec;
	body = slack_modal_body(&rec, err, sizeof err);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(body, "trigger_id")), "trig");
	assert_true(strlen(json_string_value(json_object_get(json_object_get(json_object_get(
		body, "view"), "title"), "text"))) <= 24);
	blocks = json_object_get(json_object_get(body, "view"), "blocks");
	assert_int_equal(json_array_size(blocks), 2);

	values = json_object();
	for (size_t b = 0; b < json_array_size(blocks); b++) {
		json_t *block = json_array_get(blocks, b);
		json_t *options = json_object_get(json_object_get(block, "element"), "options");
		json_object_set_new(values, json_string_value(json_object_get(block, "block_id")),
				    json_pack("{s:{s:O}}", "choices", "selected_options", options));
	}
	values_text = json_dumps(values, JSON_COMPACT);
	snprintf(frame, sizeof frame,
		 "{\"envelope_id\":\"e\",\"type\":\"interactive\",\"payload\":{\"type\":"
		 "\"view_submission\",\"user\":{\"id\":\"U7\"},\"view\":{\"id\":\"V1\","
		 "\"callback_id\":\"%s\",\"private_metadata\":\"%s\",\"state\":{\"values\":%s}}}}",
		 json_string_value(json_object_get(json_object_get(body, "view"), "callback_id")),
		 json_string_value(json_object_get(json_object_get(body, "view"),
						   "private_metadata")),
		 values_text);
	assert_int_equal(parse_text(frame, &f), 0);
	assert_true(f.has_event);
	assert_int_equal(f.ev.kind, EVENT_FORM);
	assert_string_equal(f.ev.channel, "C1");
	assert_int_equal(f.ev.session_id, 4);
	assert_int_equal(f.ev.prompt_index, 7);
	assert_int_equal(f.ev.n_choices, 13);
	assert_string_equal(f.ev.choices[12], "Option 13");
	slack_frame_free(&f);
	free(values_text);
	json_decref(values);
	json_decref(body);

	rec.body = "{\"form\":\"action_item\",\"session\":4,\"prompt\":-1,\"title\":\"Add\"}";
	body = slack_modal_body(&rec, err, sizeof err);
	assert_non_null(body);
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "view"),
							      "callback_id")), "ws_action_item");
	json_decref(body);

	rec.body = "{\"form\":\"survey\"}";
	assert_null(slack_modal_body(&rec, err, sizeof err));
	assert_true(err[0] != '\0');
	rec.body = "not json";
	assert_null(slack_modal_body(&rec, err, sizeof err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_and_disconnect),
		cmocka_unit_test(test_app_mention_and_message_are_one_command),
		cmocka_unit_test(test_im_message_is_direct),
		cmocka_unit_test(test_thread_reply),
		cmocka_unit_test(test_edit_and_delete),
		cmocka_unit_test(test_ignored_events),
		cmocka_unit_test(test_slash_command),
		cmocka_unit_test(test_interactive),
		cmocka_unit_test(test_bad_frames),
		cmocka_unit_test(test_text_from_wire),
		cmocka_unit_test(test_mrkdwn_escapes_user_text),
		cmocka_unit_test(test_mrkdwn_mentions),
		cmocka_unit_test(test_question_post_has_buttons),
		cmocka_unit_test(test_open_im_body),
		cmocka_unit_test(test_modal_round_trip),
	};

	return cmocka_run_group_tests_name("slack frames and text", tests, NULL, NULL);
}
