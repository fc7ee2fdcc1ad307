#include "handlers/flow.h"

#include <string.h>

bool flow_is_question(const struct prompt *p)
{
	return p->kind != PROMPT_INFO;
}

long flow_step(const struct template *t, long from, int dir)
{
	for (long i = from + dir; i >= 0 && (size_t)i < t->n_prompts; i += dir)
		if (flow_is_question(&t->prompts[i]))
			return i;
	return -1;
}

size_t flow_number(const struct template *t, long index)
{
	size_t n = 0;

	if (index < 0 || (size_t)index >= t->n_prompts || !flow_is_question(&t->prompts[index]))
		return 0;
	for (long i = 0; i <= index; i++)
		n += flow_is_question(&t->prompts[i]);
	return n;
}

size_t flow_count(const struct template *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n_prompts; i++)
		n += flow_is_question(&t->prompts[i]);
	return n;
}

static const char *answer_hint(enum prompt_kind kind)
{
	switch (kind) {
	case PROMPT_CHECKLIST:
		return "Reply with the numbers or names of all that apply, e.g. 1, 3 (or none).";
	case PROMPT_ACTION_ITEMS:
		return "Reply with one action item per message: <what> @owner by <date>, "
		       "e.g. Call the food bank @sam by friday.";
	case PROMPT_TEXT:
	case PROMPT_INFO:
		break;
	}
	return "Reply with your answer.";
}

static void put_heading(const struct template *t, long index, struct msg *m)
{
	const struct section *sec = &t->sections[t->prompts[index].section];

	msg_bold(m, "Question %zu of %zu · %s", flow_number(t, index), flow_count(t), sec->title);
}

/* The prompt's title and text (the text only when it does not repeat the heading). */
static void put_prompt(const struct template *t, long index, struct msg *m)
{
	const struct prompt *p = &t->prompts[index];
	const struct section *sec = &t->sections[p->section];
	bool own_text = strcmp(p->text, sec->title) != 0;

	msg_text(m, "\n");
	if (p->title)
		msg_bold(m, "%s", p->title);
	if (p->title && own_text)
		msg_text(m, ": ");
	if (!p->title || own_text)
		msg_text(m, "%s", p->text);
}

/* A question's text, its options and how to answer it. */
static void put_body(const struct template *t, long index, struct msg *m)
{
	const struct prompt *p = &t->prompts[index];

	put_prompt(t, index, m);
	for (size_t i = 0; i < p->n_options; i++)
		msg_text(m, "\n  %zu. %s", i + 1, p->options[i].text);
	msg_text(m, "\n%s", answer_hint(p->kind));
}

void flow_question_msg(const struct template *t, long index, struct msg *m)
{
	long first = index;

	while (first > 0 && !flow_is_question(&t->prompts[first - 1]))
		first--;
	put_heading(t, index, m);
	for (long i = first; i < index; i++)
		msg_text(m, "\n%s", t->prompts[i].text);
	put_body(t, index, m);
}

void flow_prompt_msg(const struct template *t, long index, struct msg *m)
{
	if (!flow_is_question(&t->prompts[index])) {
		msg_text(m, "%s", t->prompts[index].text);
		return;
	}
	put_heading(t, index, m);
	put_body(t, index, m);
}

void flow_section_prompts(const struct template *t, size_t sec, long *first, long *end)
{
	long i = 0;

	while ((size_t)i < t->n_prompts && t->prompts[i].section < sec)
		i++;
	*first = i;
	while ((size_t)i < t->n_prompts && t->prompts[i].section == sec)
		i++;
	*end = i;
}

void flow_closed_msg(const struct template *t, long index, const char *state, struct msg *m)
{
	put_heading(t, index, m);
	put_prompt(t, index, m);
	msg_text(m, "\n(%s)", state);
}
