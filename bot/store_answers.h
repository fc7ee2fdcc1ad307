/* store_answers.h - answers, one current answer per (session, prompt, person), with the
 * earlier texts kept as history. */
#ifndef WORKSHOPBOT_STORE_ANSWERS_H
#define WORKSHOPBOT_STORE_ANSWERS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Borrowed strings, valid only during the callback that receives the record. */
struct answer_rec {
	int64_t id;
	int64_t session_id;
	const char *prompt_id;
	const char *user_id;
	const char *text;        /* as typed */
	const char *choices;     /* checklist: JSON array of option labels; NULL otherwise */
	int64_t created_at;
	int64_t updated_at;
};

struct answer_history_rec {
	const char *text;
	const char *choices;
	const char *reason;      /* "replaced" or "retracted" */
	int64_t at;
};

/* Stores a person's answer to a prompt. An existing answer (also a withdrawn one) is
 * moved to history and replaced; *replaced tells whether there was a current one.
 * source_ref is the message the answer came from (may be NULL). */
int store_answer_put(struct store *s, int64_t session_id, const char *prompt_id,
		     const char *user_id, const char *text, const char *choices,
		     const char *source_ref, int64_t now, bool *replaced);

/* Withdraws a person's current answer (kept in history as "retracted").
 * Returns 0, BOT_ERR_NOT_FOUND when there is none, or a BOT_ERR_DB* code. */
int store_answer_retract(struct store *s, int64_t session_id, const char *prompt_id,
			 const char *user_id, int64_t now);

/* The prompt and person of the current answer that came from message ref in a session.
 * Returns 0, BOT_ERR_NOT_FOUND, or a BOT_ERR_DB* code. */
int store_answer_by_ref(struct store *s, int64_t session_id, const char *ref,
			char *prompt_id, size_t prompt_len, char *user_id, size_t user_len);

/* The choices (JSON) of a person's current answer to a checklist, malloc'd into *choices
 * (NULL when there is none). Returns 0 or a BOT_ERR_DB* code. */
int store_answer_choices(struct store *s, int64_t session_id, const char *prompt_id,
			 const char *user_id, char **choices);

/* Calls fn for every current (not withdrawn) answer of a session, of one prompt when
 * prompt_id is not NULL, in the order they were first given. */
int store_answer_each(struct store *s, int64_t session_id, const char *prompt_id,
		      int (*fn)(void *ud, const struct answer_rec *a), void *ud);

/* Calls fn for every earlier version of an answer, oldest first. */
int store_answer_history_each(struct store *s, int64_t answer_id,
			      int (*fn)(void *ud, const struct answer_history_rec *h),
			      void *ud);

#endif
