#include "store_seen.h"

#include "err.h"

int store_seen_add(struct store *s, const char *transport, const char *key, int64_t now,
		   bool *already)
{
	static const char sql[] =
		"INSERT INTO seen_events (transport, key, at) VALUES (?, ?, ?) "
		"ON CONFLICT (transport, key) DO NOTHING";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	*already = false;
	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, key);
	sqlite3_bind_int64(st, 3, now);
	result = store_step_done(s, st);
	if (!result)
		*already = store_changes(s) == 0;
	return result;
}

int store_seen_prune(struct store *s, int64_t before)
{
	static const char sql[] = "DELETE FROM seen_events WHERE at < ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, before);
	return store_step_done(s, st);
}
