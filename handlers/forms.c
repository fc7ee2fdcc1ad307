/* forms.c - buttons on question posts (answer, next, skip) and the action-item form. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "handlers/dates.h"
#include "handlers/flow.h"
#include "handlers/forms.h"
#include "handlers/handler.h"
#include "handlers/text.h"

static const char *const kind_names[] = { "info", "text", "checklist", "action_items" };

/* Queues spec (freed here) as a form for the author. */
static int queue_form(struct ctx *c, json_t *spec)
{
	char *body = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
	int result;

	json_decref(spec);
	if (!body)
		return BOT_ERR_NOMEM;
	result = open_form(c, body);
	free(body);
	return result;
}

static int open_action_form(struct ctx *c)
{
	return queue_form(c, json_pack("{s:s, s:I, s:i, s:s}", "form", "action_item", "session",
				       (json_int_t)c->session.id, "prompt", -1, "title",
				       "Add an action item"));
}

static int open_answer_form(struct ctx *c, long index)
{
	const struct prompt *p = &c->tpl->prompts[index];
	char title[64];
	json_t *options = json_array();

	if (p->kind == PROMPT_ACTION_ITEMS) {
		json_decref(options);
		return open_action_form(c);
	}
	snprintf(title, sizeof title, "Question %zu of %zu", flow_number(c->tpl, index),
		 flow_count(c->tpl));
	for (size_t i = 0; i < p->n_options; i++)
		json_array_append_new(options, json_pack("{s:s, s:s}", "label", p->options[i].label,
							 "text", p->options[i].text));
	return queue_form(c, json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:o}", "form", "answer",
				       "session", (json_int_t)c->session.id, "prompt",
				       (json_int_t)index, "title", title, "question", p->text,
				       "kind", kind_names[p->kind], "options", options));
}

int button_pressed(struct ctx *c)
{
	const struct event *ev = c->ev;
	bool current;

	if (!require_session(c))
		return 0;
	current = ev->session_id == c->session.id && ev->prompt_index == c->session.prompt_index;
	if (strcmp(ev->action, "answer") == 0) {
		if (ev->session_id != c->session.id || ev->prompt_index < 0 ||
		    (size_t)ev->prompt_index >= c->tpl->n_prompts ||
		    !flow_is_question(&c->tpl->prompts[ev->prompt_index]))
			return private_text(c, "That session is over; this question takes no more "
					       "answers.");
		return open_answer_form(c, ev->prompt_index);
	}
	if (!current)
		return private_text(c, "That question is no longer the open one (the session is at "
				       "question %zu).", flow_number(c->tpl, c->session.prompt_index));
	if (strcmp(ev->action, "next") == 0)
		return cmd_next(c, "");
	if (strcmp(ev->action, "skip") == 0)
		return cmd_skip(c, "");
	return 0;
}

int action_form(struct ctx *c)
{
	const struct event *ev = c->ev;
	struct session_rec s;
	struct civil_date d;
	int result;

	if (!ev->text || text_blank(ev->text))
		return private_text(c, "The action item needs a description; nothing was added.");
	if (text_char_count(ev->text) > TEXT_MAX_CHARS)
		return private_text(c, "That action item is too long (the limit is %d characters).",
				    TEXT_MAX_CHARS);
	if (ev->due && dates_parse_iso(ev->due, &d) != 0)
		return private_text(c, "The due date must be a date like 2026-12-15; nothing was added.");
	result = channel_session(c, &s);
	if (result == BOT_ERR_NOT_FOUND)
		return private_text(c, "No workshop has run here yet, and action items belong to one.");
	return result ? result : action_insert(c, &s, ev->text, ev->owner, ev->due);
}
