/* store_actions.h - action items: what, who (owner), when (due date), status. */
#ifndef WORKSHOPBOT_STORE_ACTIONS_H
#define WORKSHOPBOT_STORE_ACTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

enum action_status { ACTION_OPEN, ACTION_DONE };

/* In callbacks the strings are borrowed, valid only during the call. From
 * store_action_get() they are malloc'd: release them with action_rec_clear(). */
struct action_rec {
	int64_t id;
	int64_t session_id;
	char *text;
	char *owner;          /* user id; NULL when unassigned */
	char *due_date;       /* YYYY-MM-DD in the session's time zone; NULL when none */
	enum action_status status;
	char *created_by;
	int64_t created_at;
	int64_t updated_at;
	int64_t done_at;      /* 0 while open */
};

const char *action_status_name(enum action_status status);
void action_rec_clear(struct action_rec *a);

/* Inserts an open item and sets a->id (a->status and times are set here). */
int store_action_insert(struct store *s, struct action_rec *a, int64_t now);
/* Returns 0 and fills *out (free with action_rec_clear()), BOT_ERR_NOT_FOUND, or a
 * BOT_ERR_DB* code. */
int store_action_get(struct store *s, int64_t id, struct action_rec *out);
/* Writes owner, due_date and status of a->id; done_at follows the status. */
int store_action_update(struct store *s, const struct action_rec *a, int64_t now);

enum action_filter {
	ACTIONS_OPEN,        /* open items */
	ACTIONS_ALL,         /* open and done */
};

/* Calls fn for the items of every session in a channel (transport + channel; every
 * channel of the transport when channel is NULL), filtered by status and, when owner is
 * not NULL, by owner; ordered by id. */
int store_action_each_in(struct store *s, const char *transport, const char *channel,
			 enum action_filter filter, const char *owner,
			 int (*fn)(void *ud, const struct action_rec *a), void *ud);
/* Calls fn for every item of one session, ordered by id. */
int store_action_each_of(struct store *s, int64_t session_id,
			 int (*fn)(void *ud, const struct action_rec *a), void *ud);

#endif
