#include "store_kv.h"

#include <string.h>

#include "err.h"

int store_kv_get(struct store *s, const char *transport, const char *key, char *buf,
		 size_t len)
{
	static const char sql[] =
		"SELECT value FROM transport_state WHERE transport = ? AND key = ?";
	return store_text_where(s, sql, transport, key, buf, len);
}

int store_kv_set(struct store *s, const char *transport, const char *key, const char *value)
{
	static const char sql[] =
		"INSERT INTO transport_state (transport, key, value) VALUES (?1, ?2, ?3) "
		"ON CONFLICT (transport, key) DO UPDATE SET value = ?3";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, key);
	store_bind_text(st, 3, value);
	return store_step_done(s, st);
}

static void read_room(void *ud, sqlite3_stmt *st)
{
	struct matrix_room_rec *out = ud;

	out->encrypted = sqlite3_column_int(st, 0) != 0;
	out->warned = sqlite3_column_int(st, 1) != 0;
	out->power_levels = store_col_dup(st, 2);
}

int store_matrix_room_get(struct store *s, const char *room_id, struct matrix_room_rec *out)
{
	static const char sql[] =
		"SELECT encrypted, warned, power_levels FROM matrix_rooms WHERE room_id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	memset(out, 0, sizeof *out);
	if (st)
		store_bind_text(st, 1, room_id);
	result = store_one_row(s, st, read_room, out);
	return result == BOT_ERR_NOT_FOUND ? 0 : result;
}

int store_matrix_room_set(struct store *s, const char *room_id, bool encrypted, bool warned,
			  const char *power_levels)
{
	static const char sql[] =
		"INSERT INTO matrix_rooms (room_id, encrypted, warned, power_levels) "
		"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (room_id) DO UPDATE SET encrypted = ?2, "
		"warned = ?3, power_levels = coalesce(?4, power_levels)";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, room_id);
	sqlite3_bind_int(st, 2, encrypted);
	sqlite3_bind_int(st, 3, warned);
	store_bind_text(st, 4, power_levels);
	return store_step_done(s, st);
}
