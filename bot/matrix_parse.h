/* matrix_parse.h - a /sync response into what the Matrix transport needs: the next
 * batch token, invites to join, and per joined room its normalised events, whether the
 * timeline has a gap, whether the room is encrypted, and its power levels. Pure: no I/O,
 * so it is unit-tested and fuzzed on its own. */
#ifndef WORKSHOPBOT_MATRIX_PARSE_H
#define WORKSHOPBOT_MATRIX_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bot/event.h"

/* Who the bot is: its own events are ignored, a mention of it makes a command. */
struct matrix_identity {
	const char *user_id;          /* @bot:example.org */
	const char *display_name;     /* may be NULL */
};

struct matrix_invite {
	const char *room_id;
	const char *inviter;          /* may be NULL */
	bool direct;                  /* the invite's content says "is_direct": true: a
				       * direct chat the inviter made with the bot */
};

struct matrix_room {
	const char *room_id;
	bool limited;                 /* the timeline has a gap before its first event */
	const char *prev_batch;       /* where the gap ends (for /messages), or NULL */
	bool encrypted;               /* m.room.encryption seen in state or timeline */
	json_t *power_levels;         /* the newest m.room.power_levels content, or NULL */
	struct event *events;         /* normalised, in timeline order */
	size_t n_events;
};

struct matrix_sync {
	const char *next_batch;
	struct matrix_invite *invites;
	size_t n_invites;
	struct matrix_room *rooms;
	size_t n_rooms;
	size_t skipped;               /* timeline events ignored (own, notices, unknown) */

	/* Storage the strings above point into; freed by matrix_sync_free(). */
	json_t *root;
	json_t **pages;               /* /messages answers added by matrix_parse_messages() */
	size_t n_pages;
	char **owned;
	size_t n_owned;
};

/* Parses a /sync body. Returns 0 and fills *out (free with matrix_sync_free(), also on
 * error), or BOT_ERR_INVALID with one line in err when the body is not a sync response
 * (not JSON, no next_batch). Odd events inside a valid response are skipped. */
int matrix_parse_sync(const char *body, size_t len, const struct matrix_identity *me,
		      struct matrix_sync *out, char *err, size_t errlen);
/* The same for a body already parsed: takes the reference to root (kept in out->root). */
int matrix_parse_sync_json(json_t *root, const struct matrix_identity *me,
			   struct matrix_sync *out, char *err, size_t errlen);

/* Normalises the events of a backwards /messages page ("chunk", newest first) into
 * room->events in timeline order; *end_token is the page's "end" (NULL at the start of
 * the room). The page is kept alive by owner (a sync). Returns 0 or BOT_ERR_INVALID /
 * BOT_ERR_NOMEM; free room->events with free(). */
int matrix_parse_messages(const char *body, size_t len, const struct matrix_identity *me,
			  const char *room_id, struct matrix_sync *owner,
			  struct matrix_room *room, const char **end_token, char *err,
			  size_t errlen);

void matrix_sync_free(struct matrix_sync *s);

/* The power level of user in a power_levels content (users, else users_default, else 0). */
long matrix_power_level(json_t *power_levels, const char *user);

/* The body without a rich-reply fallback (leading "> " lines and the blank line after
 * them). Returns a malloc'd string or NULL on out-of-memory. */
char *matrix_strip_reply_fallback(const char *body);

#endif
