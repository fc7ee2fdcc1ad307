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

static int confirm(struct ctx *c, long index, bool replaced, const char *detail)
{
	struct msg m;

	msg_init(&m);
	if (replaced) {
		msg_user(&m, c->ev->user_name);
		msg_text(&m, ", your answer to question %zu is updated (the earlier one is kept "
			     "in the history)", flow_number(c->tpl, index));
	} else {
		msg_text(&m, "Thanks, ");
		msg_user(&m, c->ev->user_name);
		msg_text(&m, ": your answer to question %zu is saved", flow_number(c->tpl, index));
	}
	if (detail) {
		msg_text(&m, " (");
		msg_user(&m, detail);
		msg_text(&m, ")");
	}
	msg_text(&m, ".");
	return reply(c, &m);
}

static int answer_checklist(struct ctx *c, const struct prompt *p, const char *text)
{
	bool picked[256];
	char bad[128], detail[512];
	char *choices;
	size_t count, used = 0;
	bool replaced;
	int result;

	if (p->n_options > sizeof picked / sizeof picked[0])
		return reply_text(c, "This checklist has too many options to answer.");
	if (parse_choices(p, text, picked, bad, sizeof bad) != 0) {
		struct msg m;
		msg_init(&m);
		msg_text(&m, "I could not match '");
		text_user_clipped(&m, bad, 40);
		msg_text(&m, "' to an option. Answer with numbers from 1 to %zu or option names, "
			     "separated by commas (e.g. 1, 3), or none.", p->n_options);
		return reply(c, &m);
	}
	choices = choices_json(p, picked, &count);
	if (!choices)
		return BOT_ERR_NOMEM;
	result = store_answer_put(c->w->store, c->session.id, p->id, c->ev->user, text, choices,
				  c->ev->ref, c->now, &replaced);
	free(choices);
	if (result)
		return result;
	detail[0] = '\0';
	for (size_t i = 0; i < p->n_options && used < sizeof detail; i++)
		if (picked[i])
			used += (size_t)snprintf(detail + used, sizeof detail - used, "%s%s",
						 used ? ", " : "", p->options[i].label);
	return confirm(c, c->session.prompt_index, replaced, count ? detail : "none checked");
}

int answer_current(struct ctx *c, const char *text)
{
	const struct prompt *p;
	size_t chars;
	bool replaced;
	int result;

	if (!require_session(c))
		return 0;
	p = &c->tpl->prompts[c->session.prompt_index];
	chars = text_char_count(text);
	if (chars > TEXT_MAX_CHARS)
		return reply_text(c, "That answer is too long (%zu characters; the limit is %d). "
				     "Please shorten it or split it.", chars, TEXT_MAX_CHARS);
	switch (p->kind) {
	case PROMPT_CHECKLIST:
		return answer_checklist(c, p, text);
	case PROMPT_ACTION_ITEMS:
		return action_add(c, &c->session, text);
	case PROMPT_TEXT:
	case PROMPT_INFO:
		break;
	}
	result = store_answer_put(c->w->store, c->session.id, p->id, c->ev->user, text, NULL,
				  c->ev->ref, c->now, &replaced);
	return result ? result : confirm(c, c->session.prompt_index, replaced, NULL);
}

int cmd_answer(struct ctx *c, const char *args)
{
	return answer_current(c, args);
}

int cmd_retract(struct ctx *c, const char *args)
{
	const struct prompt *p;
	size_t number;
	int result;

	(void)args;
	if (!require_session(c))
		return 0;
	p = &c->tpl->prompts[c->session.prompt_index];
	number = flow_number(c->tpl, c->session.prompt_index);
	if (p->kind == PROMPT_ACTION_ITEMS)
		return reply_text(c, "Action items are not withdrawn but closed: !ws done <id>.");
	result = store_answer_retract(c->w->store, c->session.id, p->id, c->ev->user, c->now);
	if (result == BOT_ERR_NOT_FOUND)
		return reply_text(c, "You have no answer to question %zu to withdraw.", number);
	if (result)
		return result;
	return reply_text(c, "Your answer to question %zu is withdrawn (it stays in the history).",
			  number);
}
