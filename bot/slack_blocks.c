#include "bot/slack_blocks.h"

#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/slack_parse.h"

/* Slack's limits for Block Kit texts. */
#define SECTION_TEXT_MAX 3000
#define MODAL_TITLE_MAX 24
#define LABEL_MAX 2000
#define OPTION_TEXT_MAX 75
#define OPTIONS_PER_GROUP 10
#define INPUT_MAX 3000

static json_t *plain(const char *text)
{
	return json_pack("{s:s, s:s%}", "type", "plain_text", "text", text, strlen(text));
}

/* A plain_text object cut to max bytes at a character boundary. */
static json_t *plain_cut(const char *text, size_t max)
{
	size_t n = strlen(text);

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	return json_pack("{s:s, s:s%}", "type", "plain_text", "text", text, n);
}

static json_t *button(const char *label, const char *action_id, const char *value,
		      const char *style)
{
	json_t *b = json_pack("{s:s, s:o, s:s, s:s}", "type", "button", "text", plain(label),
			      "action_id", action_id, "value", value);

	if (b && style)
		json_object_set_new(b, "style", json_string(style));
	return b;
}

/* Sections of at most SECTION_TEXT_MAX bytes each, cut at line breaks where possible. */
static json_t *sections(const char *text)
{
	json_t *blocks = json_array();
	size_t len = strlen(text);

	while (len > 0) {
		size_t n = len < SECTION_TEXT_MAX ? len : SECTION_TEXT_MAX;
		if (n < len) {
			size_t cut = n;
			while (cut > 0 && text[cut] != '\n')
				cut--;
			if (cut > 0)
				n = cut;
			while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
				n--;
		}
		json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s%}}", "type", "section",
							"text", "type", "mrkdwn", "text", text, n));
		text += n;
		len -= n;
		while (*text == '\n') {
			text++;
			len--;
		}
	}
	return blocks;
}

json_t *slack_post_body(const struct outbox_rec *rec, const char *text, bool question)
{
	json_t *body = json_pack("{s:s, s:s, s:b}", "channel", rec->channel, "text", text,
				 "unfurl_links", 0);
	char value[64];
	json_t *blocks, *buttons;

	if (!body)
		return NULL;
	if (rec->thread)
		json_object_set_new(body, "thread_ts", json_string(rec->thread));
	if (!question)
		return body;
	slack_question_value((long long)rec->session_id, rec->prompt_index, NULL, value,
			     sizeof value);
	blocks = sections(text);
	buttons = json_array();
	json_array_append_new(buttons, button("Answer", "ws_answer", value, "primary"));
	json_array_append_new(buttons, button("Next", "ws_next", value, NULL));
	json_array_append_new(buttons, button("Skip", "ws_skip", value, NULL));
	json_array_append_new(blocks, json_pack("{s:s, s:o}", "type", "actions", "elements",
						buttons));
	json_object_set_new(body, "blocks", blocks);
	return body;
}

json_t *slack_update_body(const struct outbox_rec *rec, const char *text)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "channel", rec->channel, "ts", rec->target_ref,
			 "text", text, "blocks", sections(text));
}

json_t *slack_ephemeral_body(const struct outbox_rec *rec, const char *text)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "channel", rec->channel, "user",
				 rec->visible_to, "text", text);

	if (body && rec->thread)
		json_object_set_new(body, "thread_ts", json_string(rec->thread));
	return body;
}

/* The checkboxes of a checklist, ten options a block (Slack's limit per element). */
static void add_checklist(json_t *blocks, const char *question, json_t *options)
{
	size_t n = json_array_size(options);

	for (size_t start = 0; start < n; start += OPTIONS_PER_GROUP) {
		json_t *group = json_array();
		char block_id[32];
		for (size_t i = start; i < n && i < start + OPTIONS_PER_GROUP; i++) {
			const char *label = json_string_value(json_object_get(json_array_get(options, i),
									      "label"));
			if (label)
				json_array_append_new(group, json_pack("{s:o, s:s}", "text",
								       plain_cut(label, OPTION_TEXT_MAX),
								       "value", label));
		}
		snprintf(block_id, sizeof block_id, start ? "answer_%zu" : "answer",
			 start / OPTIONS_PER_GROUP + 1);
		json_array_append_new(blocks, json_pack(
			"{s:s, s:s, s:b, s:o, s:{s:s, s:s, s:o}}", "type", "input", "block_id",
			block_id, "optional", 1, "label",
			plain_cut(start ? "More options" : question, LABEL_MAX), "element", "type",
			"checkboxes", "action_id", "choices", "options", group));
	}
}

static json_t *answer_blocks(json_t *spec)
{
	const char *question = json_string_value(json_object_get(spec, "question"));
	const char *kind = json_string_value(json_object_get(spec, "kind"));
	json_t *blocks = json_array();

	if (!question || !kind)
		return NULL;
	if (strcmp(kind, "checklist") == 0) {
		add_checklist(blocks, question, json_object_get(spec, "options"));
		return blocks;
	}
	json_array_append_new(blocks, json_pack(
		"{s:s, s:s, s:o, s:{s:s, s:s, s:b, s:i}}", "type", "input", "block_id", "answer",
		"label", plain_cut(question, LABEL_MAX), "element", "type", "plain_text_input",
		"action_id", "text", "multiline", 1, "max_length", INPUT_MAX));
	return blocks;
}

static json_t *action_item_blocks(void)
{
	return json_pack("[{s:s, s:s, s:o, s:{s:s, s:s, s:i}},"
			 " {s:s, s:s, s:b, s:o, s:{s:s, s:s}},"
			 " {s:s, s:s, s:b, s:o, s:{s:s, s:s}}]",
			 "type", "input", "block_id", "what", "label", plain("Next step"),
			 "element", "type", "plain_text_input", "action_id", "text", "max_length",
			 INPUT_MAX,
			 "type", "input", "block_id", "owner", "optional", 1, "label", plain("Who"),
			 "element", "type", "users_select", "action_id", "user",
			 "type", "input", "block_id", "due", "optional", 1, "label", plain("When"),
			 "element", "type", "datepicker", "action_id", "date");
}

json_t *slack_modal_body(const struct outbox_rec *rec, char *err, size_t errlen)
{
	json_t *spec = json_loads(rec->body, 0, NULL);
	const char *form = json_string_value(json_object_get(spec, "form"));
	const char *title = json_string_value(json_object_get(spec, "title"));
	bool answer = form && strcmp(form, "answer") == 0;
	json_t *blocks = NULL, *body = NULL;
	char meta[320];

	if (!form || !title || !rec->target_ref || (!answer && strcmp(form, "action_item") != 0)) {
		bot_fail(err, errlen, BOT_ERR_INVALID, "not a form spec, or no trigger to open it");
		goto out;
	}
	blocks = answer ? answer_blocks(spec) : action_item_blocks();
	if (!blocks) {
		bot_fail(err, errlen, BOT_ERR_INVALID, "form spec without question or kind");
		goto out;
	}
	slack_question_value((long long)json_integer_value(json_object_get(spec, "session")),
			     (long)json_integer_value(json_object_get(spec, "prompt")), rec->channel,
			     meta, sizeof meta);
	body = json_pack("{s:s, s:{s:s, s:s, s:s, s:o, s:o, s:o, s:o}}", "trigger_id",
			 rec->target_ref, "view", "type", "modal", "callback_id",
			 answer ? "ws_answer" : "ws_action_item", "private_metadata", meta, "title",
			 plain_cut(title, MODAL_TITLE_MAX), "submit", plain("Save"), "close",
			 plain("Cancel"), "blocks", blocks);
	blocks = NULL;
	if (!body)
		bot_fail(err, errlen, BOT_ERR_NOMEM, "out of memory");
out:
	json_decref(blocks);
	json_decref(spec);
	return body;
}

json_t *slack_open_im_body(const char *user)
{
	return json_pack("{s:s}", "users", user);
}
