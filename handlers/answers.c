/* answers.c - answers to the open question: text, checklist choices, or action items;
 * replacing an earlier answer keeps it in history; retract withdraws it. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot/err.h"
#include "bot/store_answers.h"
#include "handlers/commands.h"
#include "handlers/flow.h"
#include "handlers/handler.h"
#include "handlers/text.h"

/* True if part (n bytes) is one or more numbers separated by white space. */
static bool all_numbers(const char *part, size_t n)
{
	bool digit = false;

	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)part[i]))
			digit = true;
		else if (!isspace((unsigned char)part[i]))
			return false;
	}
	return digit;
}

/* Marks each number of part in picked; returns false (with the bad token in bad) if one
 * is out of range. */
static bool pick_numbers(const struct prompt *p, const char *part, size_t n, bool *picked,
			 char *bad, size_t badlen)
{
	size_t i = 0;

	while (i < n) {
		unsigned long v = 0;
		size_t start;
		while (i < n && isspace((unsigned char)part[i]))
			i++;
		start = i;
		while (i < n && isdigit((unsigned char)part[i]) && v <= 1000)
			v = v * 10 + (unsigned long)(part[i++] - '0');
		if (i == start)
			break;
		if (v < 1 || v > p->n_options) {
			snprintf(bad, badlen, "%.*s", (int)(i - start), part + start);
			return false;
		}
		picked[v - 1] = true;
	}
	return true;
}

/* Parses a checklist answer ("1, 3", "Outreach; equity", "none") into picked[]. Returns
 * 0, or BOT_ERR_INVALID with the part that matched nothing in bad. */
static int parse_choices(const struct prompt *p, const char *text, bool *picked,
			 char *bad, size_t badlen)
{
	const char *s = text;
	char part[256];

	memset(picked, 0, p->n_options * sizeof *picked);
	text_copy_trimmed(part, sizeof part, text);
	if (strcasecmp(part, "none") == 0 || strcasecmp(part, "none of these") == 0)
		return 0;
	while (*s) {
		size_t n = strcspn(s, ",;\n");
		long idx;

		if (all_numbers(s, n)) {
			if (!pick_numbers(p, s, n, picked, bad, badlen))
				return BOT_ERR_INVALID;
		} else {
			snprintf(part, sizeof part, "%.*s", (int)(n < sizeof part ? n : sizeof part - 1), s);
			text_copy_trimmed(part, sizeof part, part);
			if (part[0]) {
				idx = template_option_find(p, part);
				if (idx < 0) {
					snprintf(bad, badlen, "%s", part);
					return BOT_ERR_INVALID;
				}
				picked[idx] = true;
			}
		}
		s += n;
		if (*s)
			s++;
	}
	return 0;
}

/* The picked options' labels as a JSON array string (caller frees), in option order. */
static char *choices_json(const struct prompt *p, const bool *picked, size_t *count)
{
	json_t *arr = json_array();
	char *out;

	*count = 0;
	if (!arr)
		return NULL;
	for (size_t i = 0; i < p->n_options; i++) {
		if (picked[i]) {
			json_array_append_new(arr, json_string(p->options[i].label));
			(*count)++;
		}
	}
	out = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	return out;
}

static int confirm_answer(struct ctx *c, long index, bool replaced, const char *detail)
{
	struct msg m;

	msg_init(&m);
	if (replaced) {
		msg_user(&m, c->author);
		msg_text(&m, ", your answer to question %zu is updated (the earlier one is kept "
			     "in the history)", flow_number(c->tpl, index));
	} else {
		msg_text(&m, "Thanks, ");
		msg_user(&m, c->author);
		msg_text(&m, ": your answer to question %zu is saved", flow_number(c->tpl, index));
	}
	if (detail) {
		msg_text(&m, " (");
		msg_user(&m, detail);
		msg_text(&m, ")");
	}
	msg_text(&m, ".");
	return confirm(c, &m);
}

/* The message an answer comes from: an edit keeps the edited message's id, so a later
 * edit or deletion of that message still finds the answer. */
static const char *answer_source(const struct ctx *c)
{
	return c->ev->kind == EVENT_EDIT ? c->ev->target_ref : c->ev->ref;
}

/* Stores a checklist answer from picked[] and confirms it with the labels picked. */
static int save_checklist(struct ctx *c, long index, const char *text, const bool *picked)
{
	const struct prompt *p = &c->tpl->prompts[index];
	char detail[512];
	char *choices;
	size_t count, used = 0;
	bool replaced;
	int result;

	choices = choices_json(p, picked, &count);
	if (!choices)
		return BOT_ERR_NOMEM;
	result = store_answer_put(c->w->store, c->session.id, p->id, c->ev->user, text, choices,
				  answer_source(c), c->now, &replaced);
	free(choices);
	if (result)
		return result;
	detail[0] = '\0';
	for (size_t i = 0; i < p->n_options && used < sizeof detail; i++)
		if (picked[i])
			used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s",
						 used ? ", " : "", p->options[i].label);
	return confirm_answer(c, index, replaced, count ? detail : "none checked");
}

static int answer_checklist(struct ctx *c, long index, const char *text)
{
	const struct prompt *p = &c->tpl->prompts[index];
	bool picked[TEMPLATE_MAX_OPTIONS];
	char bad[128];
	struct msg m;

	if (parse_choices(p, text, picked, bad, sizeof bad) == 0)
		return save_checklist(c, index, text, picked);
	msg_init(&m);
	msg_text(&m, "I could not match '");
	text_user_clipped(&m, bad, 40);
	msg_text(&m, "' to an option. Answer with numbers from 1 to %zu or option names, "
		     "separated by commas (e.g. 1, 3), or none.", p->n_options);
	return reply_private(c, &m);
}

int answer_prompt(struct ctx *c, long index, const char *text)
{
	const struct prompt *p;
	size_t chars;
	bool replaced;
	int result;

	if (!require_session(c))
		return 0;
	p = &c->tpl->prompts[index];
	chars = text_char_count(text);
	if (chars > TEXT_MAX_CHARS)
		return private_text(c, "That answer is too long (%zu characters; the limit is %d). "
				       "Please shorten it or split it.", chars, TEXT_MAX_CHARS);
	switch (p->kind) {
	case PROMPT_CHECKLIST:
		return answer_checklist(c, index, text);
	case PROMPT_ACTION_ITEMS:
		return action_add(c, &c->session, text);
	case PROMPT_TEXT:
	case PROMPT_INFO:
		break;
	}
	result = store_answer_put(c->w->store, c->session.id, p->id, c->ev->user, text, NULL,
				  answer_source(c), c->now, &replaced);
	return result ? result : confirm_answer(c, index, replaced, NULL);
}

int answer_current(struct ctx *c, const char *text)
{
	long index = -1;
	int result;

	if (!require_session(c))
		return 0;
	if (c->session.pace != PACE_ASYNC)
		return answer_prompt(c, c->session.prompt_index, text);
	/* Async: the day's questions are answered one after the other. */
	result = pacing_async_answer_index(c, &index);
	if (result || index >= 0)
		return result ? result : answer_prompt(c, index, text);
	return private_text(c, "You have answered every question of this section, so that was "
			       "not recorded. A reply in a question's thread changes your answer to "
			       "it; the next section comes on the next working day.");
}

int cmd_answer(struct ctx *c, const char *args)
{
	return c->direct ? direct_answer(c, args) : answer_current(c, args);
}

/* Withdraws the author's answer to prompt index, saying why in the reply. */
static int withdraw(struct ctx *c, long index, const char *why)
{
	const struct prompt *p = &c->tpl->prompts[index];
	size_t number = flow_number(c->tpl, index);
	int result = store_answer_retract(c->w->store, c->session.id, p->id, c->ev->user, c->now);

	if (result == BOT_ERR_NOT_FOUND)
		return private_text(c, "You have no answer to question %zu to withdraw.", number);
	if (result)
		return result;
	return private_text(c, "Your answer to question %zu is withdrawn%s (it stays in the "
			       "history).", number, why);
}

int cmd_retract(struct ctx *c, const char *args)
{
	(void)args;
	if (!require_session(c))
		return 0;
	if (c->tpl->prompts[c->session.prompt_index].kind == PROMPT_ACTION_ITEMS)
		return private_text(c, "Action items are not withdrawn but closed: !ws done <id>.");
	return withdraw(c, c->session.prompt_index, "");
}

/* The question whose answer came from the event's target message, by the author; -1
 * when that message is no current answer of theirs in the open session. */
static int answered_by_target(struct ctx *c, long *index)
{
	char prompt_id[128], user_id[256];
	int result;

	*index = -1;
	if (!c->has_session || !c->tpl || !c->ev->target_ref)
		return 0;
	result = store_answer_by_ref(c->w->store, c->session.id, c->ev->target_ref, prompt_id,
				     sizeof prompt_id, user_id, sizeof user_id);
	if (result == BOT_ERR_NOT_FOUND || (!result && strcmp(user_id, c->ev->user) != 0))
		return 0;
	if (!result)
		*index = template_prompt_index(c->tpl, prompt_id);
	return result;
}

int answer_edited(struct ctx *c)
{
	long index;
	int result = answered_by_target(c, &index);

	if (result || index < 0 || commands_strip_prefix(c->ev->text))
		return result;
	return answer_prompt(c, index, c->ev->text);
}

int answer_deleted(struct ctx *c)
{
	long index;
	int result = answered_by_target(c, &index);

	if (result || index < 0)
		return result;
	return withdraw(c, index, " (its message was deleted)");
}

/* The form's session and question, if they are the open session's; else says why not. */
static bool form_question(struct ctx *c, long *index)
{
	const struct event *ev = c->ev;

	if (!c->has_session || !c->tpl || ev->session_id != c->session.id ||
	    ev->prompt_index < 0 || (size_t)ev->prompt_index >= c->tpl->n_prompts) {
		private_text(c, "That session is over, so this form was not saved.");
		return false;
	}
	*index = ev->prompt_index;
	return true;
}

int answer_form(struct ctx *c)
{
	const struct prompt *p;
	bool picked[TEMPLATE_MAX_OPTIONS];
	long index;

	if (!form_question(c, &index))
		return 0;
	p = &c->tpl->prompts[index];
	if (p->kind != PROMPT_CHECKLIST)
		return answer_prompt(c, index, c->ev->text ? c->ev->text : "");
	memset(picked, 0, sizeof picked);
	for (size_t i = 0; i < c->ev->n_choices; i++) {
		long o = template_option_find(p, c->ev->choices[i]);
		if (o >= 0)
			picked[o] = true;
	}
	return save_checklist(c, index, c->ev->text ? c->ev->text : "", picked);
}

/* The option a keycap emoji names (1️⃣ ... 9️⃣, with or without the variation selector,
 * and 🔟), as an index; -1 for any other key. */
static long keycap_option(const char *key)
{
	if (strcmp(key, "\xf0\x9f\x94\x9f") == 0)
		return 9;
	if (key[0] < '1' || key[0] > '9')
		return -1;
	if (strcmp(key + 1, "\xef\xb8\x8f\xe2\x83\xa3") == 0 || strcmp(key + 1, "\xe2\x83\xa3") == 0)
		return key[0] - '1';
	return -1;
}

/* A numbered reaction on a checklist's post checks that option, keeping the others the
 * person already checked. */
int answer_reaction(struct ctx *c)
{
	bool picked[TEMPLATE_MAX_OPTIONS];
	const struct prompt *p;
	char *choices = NULL, text[TEMPLATE_MAX_OPTIONS * 4 + 1];
	json_t *labels;
	size_t i, used = 0;
	json_t *label;
	long index, option;
	int result;

	if (!c->has_session || !c->tpl || !c->ev->target_ref || !c->ev->text)
		return 0;
	result = store_prompt_by_ref(c->w->store, c->session.id, c->ev->target_ref, &index);
	if (result)
		return result == BOT_ERR_NOT_FOUND ? 0 : result;
	p = &c->tpl->prompts[index];
	option = keycap_option(c->ev->text);
	if (p->kind != PROMPT_CHECKLIST || option < 0 || (size_t)option >= p->n_options)
		return 0;
	result = store_answer_choices(c->w->store, c->session.id, p->id, c->ev->user, &choices);
	if (result)
		return result;
	memset(picked, 0, sizeof picked);
	labels = choices ? json_loads(choices, 0, NULL) : NULL;
	free(choices);
	json_array_foreach(labels, i, label) {
		long o = json_string_value(label) ? template_option_find(p, json_string_value(label)) : -1;
		if (o >= 0)
			picked[o] = true;
	}
	json_decref(labels);
	picked[option] = true;
	text[0] = '\0';
	for (size_t o = 0; o < p->n_options; o++)
		if (picked[o])
			used += (size_t)snprintf(text + used, sizeof text - used, "%s%zu",
						 used ? ", " : "", o + 1);
	return save_checklist(c, index, text, picked);
}
