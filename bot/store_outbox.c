#include "store_outbox.h"

#include "err.h"

int store_outbox_put(struct store *s, const char *transport, const char *channel,
		     const char *thread, const char *body, int64_t session_id,
		     long prompt_index, int64_t now)
{
	static const char sql[] =
		"INSERT INTO outbox (transport, channel, thread, body, session_id, prompt_index, "
		"created_at) VALUES (?, ?, ?, ?, nullif(?, 0), nullif(?, -1), ?)";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, transport);
	store_bind_text(st, 2, channel);
	store_bind_text(st, 3, thread);
	store_bind_text(st, 4, body);
	sqlite3_bind_int64(st, 5, session_id);
	sqlite3_bind_int64(st, 6, prompt_index);
	sqlite3_bind_int64(st, 7, now);
	return store_step_done(s, st);
}

struct outbox_visit {
	int (*fn)(void *ud, const struct outbox_rec *m);
	void *ud;
};

static int visit_outbox(void *ud, sqlite3_stmt *st)
{
	struct outbox_visit *v = ud;
	struct outbox_rec m = {
		.id = sqlite3_column_int64(st, 0),
		.transport = (const char *)sqlite3_column_text(st, 1),
		.channel = (const char *)sqlite3_column_text(st, 2),
		.thread = (const char *)sqlite3_column_text(st, 3),
		.body = (const char *)sqlite3_column_text(st, 4),
		.session_id = sqlite3_column_int64(st, 5),
		.prompt_index = (long)sqlite3_column_int64(st, 6),
	};

	return v->fn(v->ud, &m);
}

int store_outbox_each_pending(struct store *s, const char *transport, int limit,
			      int (*fn)(void *ud, const struct outbox_rec *m), void *ud)
{
	static const char sql[] =
		"SELECT id, transport, channel, thread, body, coalesce(session_id, 0), "
		"coalesce(prompt_index, -1) FROM outbox WHERE transport = ? AND state = 'pending' "
		"ORDER BY id LIMIT ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct outbox_visit v = { fn, ud };

	if (st) {
		store_bind_text(st, 1, transport);
		sqlite3_bind_int(st, 2, limit);
	}
	return store_each_row(s, st, visit_outbox, &v);
}

int store_outbox_mark_sent(struct store *s, int64_t id, const char *remote_ref, int64_t now)
{
	static const char sent_sql[] =
		"UPDATE outbox SET state = 'sent', sent_at = ?, remote_ref = ? WHERE id = ?";
	static const char ref_sql[] =
		"UPDATE session_prompts SET remote_ref = ?1 FROM (SELECT session_id AS sid, "
		"prompt_index AS pidx FROM outbox WHERE id = ?2) WHERE session_id = sid "
		"AND prompt_index = pidx AND ?1 IS NOT NULL";
	sqlite3_stmt *st = store_stmt(s, sent_sql);
	int result;

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, remote_ref);
	sqlite3_bind_int64(st, 3, id);
	result = store_step_done(s, st);
	if (result)
		return result;
	st = store_stmt(s, ref_sql);
	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, remote_ref);
	sqlite3_bind_int64(st, 2, id);
	return store_step_done(s, st);
}
