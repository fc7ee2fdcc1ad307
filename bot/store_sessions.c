#include "store_sessions.h"

#include <stdbool.h>
#include <string.h>

#include "err.h"

static const char *const state_names[] = { "active", "paused", "ended" };

const char *session_state_name(enum session_state state)
{
	return state_names[state];
}

static const char *const pace_names[] = { "live", "timed", "async" };

const char *session_pace_name(enum session_pace pace)
{
	return pace_names[pace];
}

#define COUNT(a) (sizeof (a) / sizeof (a)[0])

/* The index of name in names (n of them), or fallback. */
static size_t name_index(const char *const *names, size_t n, const char *name, size_t fallback)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return fallback;
}

#define SESSION_COLUMNS \
	"id, transport, channel, template_id, facilitator, state, prompt_index, timezone, " \
	"started_at, coalesce(ended_at, 0), pace, coalesce(pace_seconds, 0), " \
	"coalesce(pace_time, '')"

static void read_row(sqlite3_stmt *st, struct session_rec *out)
{
	char state[16], pace[16];

	memset(out, 0, sizeof *out);
	out->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, out->transport, sizeof out->transport);
	store_col_copy(st, 2, out->channel, sizeof out->channel);
	store_col_copy(st, 3, out->template_id, sizeof out->template_id);
	store_col_copy(st, 4, out->facilitator, sizeof out->facilitator);
	store_col_copy(st, 5, state, sizeof state);
	out->state = (enum session_state)name_index(state_names, COUNT(state_names), state,
						    SESSION_ENDED);
	out->prompt_index = (long)sqlite3_column_int64(st, 6);
	store_col_copy(st, 7, out->timezone, sizeof out->timezone);
	out->started_at = sqlite3_column_int64(st, 8);
	out->ended_at = sqlite3_column_int64(st, 9);
	store_col_copy(st, 10, pace, sizeof pace);
	out->pace = (enum session_pace)name_index(pace_names, COUNT(pace_names), pace,
						  PACE_LIVE);
	out->pace_seconds = (long)sqlite3_column_int64(st, 11);
	store_col_copy(st, 12, out->pace_time, sizeof out->pace_time);
}

/* Steps a query expected to return at most one session. */
static int fetch_one(struct store *s, sqlite3_stmt *st, struct session_rec *out)
{
	int rc;

	if (!st)
		return BOT_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		read_row(st, out);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return BOT_ERR_NOT_FOUND;
	(void)s;
	return BOT_ERR_DB;
}

int store_session_insert(struct store *s, struct session_rec *rec)
{
	static const char sql[] =
		"INSERT INTO sessions (transport, channel, template_id, facilitator, state, "
		"prompt_index, timezone, started_at, pace, pace_seconds, pace_time) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0), nullif(?, ''))";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, rec->transport);
	store_bind_text(st, 2, rec->channel);
	store_bind_text(st, 3, rec->template_id);
	store_bind_text(st, 4, rec->facilitator);
	store_bind_text(st, 5, session_state_name(rec->state));
	sqlite3_bind_int64(st, 6, rec->prompt_index);
	store_bind_text(st, 7, rec->timezone);
	sqlite3_bind_int64(st, 8, rec->started_at);
	store_bind_text(st, 9, session_pace_name(rec->pace));
	sqlite3_bind_int64(st, 10, rec->pace_seconds);
	store_bind_text(st, 11, rec->pace_time);
	result = store_step_done(s, st);
	if (!result)
		rec->id = store_last_id(s);
	return result;
}

int store_session_update(struct store *s, const struct session_rec *rec)
{
	static const char sql[] =
		"UPDATE sessions SET state = ?, prompt_index = ?, ended_at = nullif(?, 0), "
		"pace = ?, pace_seconds = nullif(?, 0), pace_time = nullif(?, ''), timezone = ? "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, session_state_name(rec->state));
	sqlite3_bind_int64(st, 2, rec->prompt_index);
	sqlite3_bind_int64(st, 3, rec->ended_at);
	store_bind_text(st, 4, session_pace_name(rec->pace));
	sqlite3_bind_int64(st, 5, rec->pace_seconds);
	store_bind_text(st, 6, rec->pace_time);
	store_bind_text(st, 7, rec->timezone);
	sqlite3_bind_int64(st, 8, rec->id);
	return store_step_done(s, st);
}

int store_session_get(struct store *s, int64_t id, struct session_rec *out)
{
	static const char sql[] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st)
		sqlite3_bind_int64(st, 1, id);
	return fetch_one(s, st, out);
}

/* The newest session of a channel; with open_only, the newest that has not ended. */
static int newest_in(struct store *s, const char *transport, const char *channel,
		     bool open_only, struct session_rec *out)
{
	static const char sql[] =
		"SELECT " SESSION_COLUMNS " FROM sessions WHERE transport = ? AND channel = ? "
		"AND (? = 0 OR state != 'ended') ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		store_bind_text(st, 1, transport);
		store_bind_text(st, 2, channel);
		sqlite3_bind_int(st, 3, open_only);
	}
	return fetch_one(s, st, out);
}

int store_session_open_in(struct store *s, const char *transport, const char *channel,
			  struct session_rec *out)
{
	return newest_in(s, transport, channel, true, out);
}

int store_session_latest_in(struct store *s, const char *transport, const char *channel,
			    struct session_rec *out)
{
	return newest_in(s, transport, channel, false, out);
}

int store_session_async_of(struct store *s, const char *transport, const char *user_id,
			   struct session_rec *out)
{
	static const char sql[] =
		"SELECT " SESSION_COLUMNS " FROM sessions WHERE transport = ? AND state = 'active' "
		"AND pace = 'async' AND id IN (SELECT session_id FROM members WHERE user_id = ?) "
		"ORDER BY started_at DESC, id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		store_bind_text(st, 1, transport);
		store_bind_text(st, 2, user_id);
	}
	return fetch_one(s, st, out);
}

struct session_visit {
	int (*fn)(void *ud, const struct session_rec *rec);
	void *ud;
};

static int visit_session(void *ud, sqlite3_stmt *st)
{
	struct session_visit *v = ud;
	struct session_rec rec;

	read_row(st, &rec);
	return v->fn(v->ud, &rec);
}

int store_session_each(struct store *s, int (*fn)(void *ud, const struct session_rec *rec),
		       void *ud)
{
	static const char sql[] = "SELECT " SESSION_COLUMNS " FROM sessions ORDER BY id";
	struct session_visit v = { fn, ud };

	return store_each_row(s, store_stmt(s, sql), visit_session, &v);
}

int store_channel_timezone(struct store *s, const char *transport, const char *channel,
			   char *buf, size_t len)
{
	static const char sql[] =
		"SELECT timezone FROM channel_settings WHERE transport = ? AND channel = ? "
		"AND timezone IS NOT NULL";
	return store_text_where(s, sql, transport, channel, buf, len);
}

int store_channel_set_timezone(struct store *s, const char *transport, const char *channel,
			       const char *timezone)
{
	static const char sql[] =
		"INSERT INTO channel_settings (transport, channel, timezone) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (transport, channel) DO UPDATE SET timezone = ?3";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, channel);
	store_bind_text(st, 3, timezone);
	return store_step_done(s, st);
}

int store_prompt_set_state(struct store *s, int64_t session_id, long prompt_index,
			   const char *state, int64_t now)
{
	static const char sql[] =
		"INSERT INTO session_prompts (session_id, prompt_index, state, opened_at) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (session_id, prompt_index) DO UPDATE SET "
		"state = ?3, closed_at = CASE WHEN ?3 = 'open' THEN NULL ELSE ?4 END";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, session_id);
	sqlite3_bind_int64(st, 2, prompt_index);
	store_bind_text(st, 3, state);
	sqlite3_bind_int64(st, 4, now);
	return store_step_done(s, st);
}

int store_prompt_state(struct store *s, int64_t session_id, long prompt_index,
		       char *buf, size_t len)
{
	static const char sql[] =
		"SELECT state FROM session_prompts WHERE session_id = ? AND prompt_index = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		sqlite3_bind_int64(st, 2, prompt_index);
	}
	return store_text_at(s, st, buf, len);
}

static void read_index(void *ud, sqlite3_stmt *st)
{
	*(long *)ud = (long)sqlite3_column_int64(st, 0);
}

int store_prompt_by_ref(struct store *s, int64_t session_id, const char *ref,
			long *prompt_index)
{
	static const char sql[] =
		"SELECT prompt_index FROM session_prompts WHERE session_id = ? AND remote_ref = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, ref);
	}
	return store_one_row(s, st, read_index, prompt_index);
}

int store_member_rename(struct store *s, const char *transport, const char *user_id,
			const char *display_name)
{
	static const char sql[] =
		"UPDATE members SET display_name = ?3 WHERE user_id = ?2 AND display_name != ?3 "
		"AND session_id IN (SELECT id FROM sessions WHERE transport = ?1)";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, display_name);
	return store_step_done(s, st);
}

int store_member_touch(struct store *s, int64_t session_id, const char *user_id,
		       const char *display_name, int64_t now)
{
	static const char sql[] =
		"INSERT INTO members (session_id, user_id, display_name, joined_at) "
		"VALUES (?1, ?2, coalesce(?3, ?2), ?4) ON CONFLICT (session_id, user_id) DO UPDATE "
		"SET display_name = ?3 WHERE ?3 IS NOT NULL AND display_name != ?3";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, session_id);
	store_bind_text(st, 2, user_id);
	store_bind_text(st, 3, display_name);
	sqlite3_bind_int64(st, 4, now);
	return store_step_done(s, st);
}

struct member_visit {
	int (*fn)(void *ud, const char *user_id, const char *display_name);
	void *ud;
};

static int visit_member(void *ud, sqlite3_stmt *st)
{
	struct member_visit *v = ud;

	return v->fn(v->ud, (const char *)sqlite3_column_text(st, 0),
		     (const char *)sqlite3_column_text(st, 1));
}

int store_member_name(struct store *s, int64_t session_id, const char *user_id, char *buf,
		      size_t len)
{
	static const char sql[] =
		"SELECT display_name FROM members WHERE session_id = ? AND user_id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, user_id);
	}
	return store_text_at(s, st, buf, len);
}

int store_member_each(struct store *s, int64_t session_id,
		      int (*fn)(void *ud, const char *user_id, const char *display_name),
		      void *ud)
{
	static const char sql[] =
		"SELECT user_id, display_name FROM members WHERE session_id = ? "
		"ORDER BY joined_at, rowid";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct member_visit v = { fn, ud };

	if (st)
		sqlite3_bind_int64(st, 1, session_id);
	return store_each_row(s, st, visit_member, &v);
}
