#include "store_direct.h"

#include "err.h"

int store_direct_channel(struct store *s, const char *transport, const char *user, char *buf,
			 size_t len)
{
	static const char sql[] =
		"SELECT channel FROM direct_channels WHERE transport = ? AND user_id = ?";
	return store_text_where(s, sql, transport, user, buf, len);
}

int store_direct_channel_set(struct store *s, const char *transport, const char *user,
			     const char *channel)
{
	static const char sql[] =
		"INSERT INTO direct_channels (transport, user_id, channel) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (transport, user_id) DO UPDATE SET channel = ?3";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, user);
	store_bind_text(st, 3, channel);
	return store_step_done(s, st);
}

int store_direct_user(struct store *s, const char *transport, const char *channel, char *buf,
		      size_t len)
{
	static const char sql[] =
		"SELECT user_id FROM direct_channels WHERE transport = ? AND channel = ?";
	return store_text_where(s, sql, transport, channel, buf, len);
}

int store_direct_pref(struct store *s, const char *transport, const char *user, bool *on)
{
	static const char sql[] =
		"SELECT direct FROM member_prefs WHERE transport = ? AND user_id = ?";
	char value[8];
	int result = store_text_where(s, sql, transport, user, value, sizeof value);

	*on = !result && value[0] == '1';
	return result;
}

int store_direct_pref_set(struct store *s, const char *transport, const char *user, bool on)
{
	static const char sql[] =
		"INSERT INTO member_prefs (transport, user_id, direct) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (transport, user_id) DO UPDATE SET direct = ?3";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, user);
	sqlite3_bind_int(st, 3, on);
	return store_step_done(s, st);
}
