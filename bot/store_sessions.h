/* store_sessions.h - sessions, the prompts they have posted, and their members. */
#ifndef WORKSHOPBOT_STORE_SESSIONS_H
#define WORKSHOPBOT_STORE_SESSIONS_H

#include <stdint.h>

#include "store.h"

enum session_state { SESSION_ACTIVE, SESSION_PAUSED, SESSION_ENDED };

/* How a session moves on: the facilitator advances (live), each question stays open
 * for pace_seconds and the bot advances by itself (timed), or one section of the
 * template opens per working day at pace_time (async). */
enum session_pace { PACE_LIVE, PACE_TIMED, PACE_ASYNC };

struct session_rec {
	int64_t id;
	char transport[16];
	char channel[256];
	char template_id[64];
	char facilitator[256];
	enum session_state state;
	long prompt_index;      /* index in the template's prompts of the open question */
	char timezone[65];
	int64_t started_at;
	int64_t ended_at;       /* 0 while not ended */
	enum session_pace pace;
	long pace_seconds;      /* timed: how long each question stays open (> 0); else 0 */
	char pace_time[6];      /* async: the local time a section opens, "HH:MM"; else "" */
};

const char *session_state_name(enum session_state state);
/* "live", "timed" or "async". */
const char *session_pace_name(enum session_pace pace);

/* Inserts rec and sets rec->id. Returns 0 or a BOT_ERR_DB* code. */
int store_session_insert(struct store *s, struct session_rec *rec);
/* Writes state, prompt_index, timezone, ended_at, pace, pace_seconds and pace_time of
 * rec->id. */
int store_session_update(struct store *s, const struct session_rec *rec);
/* Each returns 0 and fills *out, BOT_ERR_NOT_FOUND, or a BOT_ERR_DB* code. */
int store_session_get(struct store *s, int64_t id, struct session_rec *out);
/* The session in this channel that has not ended. */
int store_session_open_in(struct store *s, const char *transport, const char *channel,
			  struct session_rec *out);
/* The most recent session in this channel, ended or not. */
int store_session_latest_in(struct store *s, const char *transport, const char *channel,
			    struct session_rec *out);

/* The latest active async session on a transport that user_id is a member of (where
 * their answers by direct message go). */
int store_session_async_of(struct store *s, const char *transport, const char *user_id,
			   struct session_rec *out);
/* Calls fn for every session, oldest first; a non-zero return from fn stops and is
 * returned. */
int store_session_each(struct store *s, int (*fn)(void *ud, const struct session_rec *rec),
		       void *ud);

/* The time zone set for a channel (`!ws tz`) into buf, "" when none is set. Returns 0
 * or a BOT_ERR_DB* code. */
int store_channel_timezone(struct store *s, const char *transport, const char *channel,
			   char *buf, size_t len);
/* Sets a channel's time zone. Returns 0 or a BOT_ERR_DB* code. */
int store_channel_set_timezone(struct store *s, const char *transport, const char *channel,
			       const char *timezone);

/* Records that prompt_index was posted (state "open"), or closed/skipped. */
int store_prompt_set_state(struct store *s, int64_t session_id, long prompt_index,
			   const char *state, int64_t now);
/* The state of a prompt in a session into buf ("" if never posted). */
int store_prompt_state(struct store *s, int64_t session_id, long prompt_index,
		       char *buf, size_t len);

/* The index of the prompt whose post has the transport id ref, into *prompt_index.
 * Returns 0, BOT_ERR_NOT_FOUND, or a BOT_ERR_DB* code. */
int store_prompt_by_ref(struct store *s, int64_t session_id, const char *ref,
			long *prompt_index);

/* Renames a user in the members of every session of a transport (a display name that
 * arrived after the user's first message). */
int store_member_rename(struct store *s, const char *transport, const char *user_id,
			const char *display_name);

/* Adds user to the session's members, or refreshes the display name. A NULL display
 * name (not known yet) keeps a known one, and stands as the user id for a new member. */
int store_member_touch(struct store *s, int64_t session_id, const char *user_id,
		       const char *display_name, int64_t now);
/* Copies the member's display name into buf ("" when user_id is no member). Returns 0 or
 * BOT_ERR_DB. */
int store_member_name(struct store *s, int64_t session_id, const char *user_id, char *buf,
		      size_t len);
/* Calls fn for every member in the order they joined. */
int store_member_each(struct store *s, int64_t session_id,
		      int (*fn)(void *ud, const char *user_id, const char *display_name),
		      void *ud);

#endif
