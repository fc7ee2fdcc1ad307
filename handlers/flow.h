/* flow.h - how a session moves through a template: questions are the prompts that take
 * an answer (every kind but info); info prompts are shown with the question after them. */
#ifndef WORKSHOPBOT_FLOW_H
#define WORKSHOPBOT_FLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "bot/msg.h"
#include "prompts/template.h"

bool flow_is_question(const struct prompt *p);

/* The index of the next question after from (dir 1) or before it (dir -1), or -1.
 * from may be -1 to find the first question. */
long flow_step(const struct template *t, long from, int dir);

/* 1-based number of the question at index among all questions; 0 if not a question. */
size_t flow_number(const struct template *t, long index);
size_t flow_count(const struct template *t);

/* Appends the post of question index: the info prompts just before it, a heading with
 * its number and section, its text, its options, and how to answer it. */
void flow_question_msg(const struct template *t, long index, struct msg *m);

/* Appends the post of prompt index alone: an info prompt's text, or a question's heading,
 * text, options and how to answer it (the async pace posts every prompt on its own). */
void flow_prompt_msg(const struct template *t, long index, struct msg *m);

/* The prompts of section sec are the indexes [*first, *end) (empty for a bad sec). */
void flow_section_prompts(const struct template *t, size_t sec, long *first, long *end);

/* Appends what a question's post becomes once the session moved on: its heading and
 * text, marked closed or skipped (state). */
void flow_closed_msg(const struct template *t, long index, const char *state, struct msg *m);

#endif
