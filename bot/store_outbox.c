#include "store_outbox.h"

#include <string.h>

#include "err.h"

static const char *const kind_names[] = { "post", "private", "confirm", "update", "form",
						"direct" };

const char *outbox_kind_name(enum outbox_kind kind)
{
	return kind_names[kind];
}

static enum outbox_kind parse_kind(const char *name)
{
	for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (name && strcmp(name, kind_names[i]) == 0)
			return (enum outbox_kind)i;
	return OUTBOX_POST;
}

int store_outbox_put(struct store *s, const struct outbox_rec *rec, int64_t now)
{
	static const char sql[] =
		"INSERT INTO outbox (transport, channel, thread, kind, body, visible_to, "
		"target_ref, session_id, prompt_index, created_at) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, 0), nullif(?, -1), ?)";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, rec->transport);
	store_bind_text(st, 2, rec->channel);
	store_bind_text(st, 3, rec->thread);
	store_bind_text(st, 4, outbox_kind_name(rec->kind));
	store_bind_text(st, 5, rec->body);
	store_bind_text(st, 6, rec->visible_to);
	store_bind_text(st, 7, rec->target_ref);
	sqlite3_bind_int64(st, 8, rec->session_id);
	sqlite3_bind_int64(st, 9, rec->prompt_index);
	sqlite3_bind_int64(st, 10, now);
	return store_step_done(s, st);
}

int store_outbox_add_action(struct store *s, int64_t outbox_id, int64_t action_id)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO outbox_actions (outbox_id, action_id) VALUES (?, ?)";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, outbox_id);
	sqlite3_bind_int64(st, 2, action_id);
	return store_step_done(s, st);
}

struct action_ids {
	int64_t *ids;
	size_t max, n;
};

static int take_action_id(void *ud, sqlite3_stmt *st)
{
	struct action_ids *a = ud;

	if (a->n < a->max)
		a->ids[a->n] = sqlite3_column_int64(st, 0);
	a->n++;
	return 0;
}

int store_outbox_actions_of(struct store *s, const char *transport, const char *channel,
			    const char *remote_ref, int64_t *ids, size_t max, size_t *n)
{
	/* A Slack ts is unique only in its channel: a direct message's row names the person,
	 * whose direct channel is the one to match. */
	static const char sql[] =
		"SELECT a.action_id FROM outbox o JOIN outbox_actions a ON a.outbox_id = o.id "
		"WHERE o.transport = ?1 AND o.remote_ref = ?3 AND o.state = 'sent' "
		"AND CASE WHEN o.kind = 'direct' THEN EXISTS (SELECT 1 FROM direct_channels d "
		"WHERE d.transport = ?1 AND d.user_id = o.channel AND d.channel = ?2) "
		"ELSE o.channel = ?2 END "
		"ORDER BY a.action_id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct action_ids a = { ids, max, 0 };
	int result;

	if (st) {
		store_bind_text(st, 1, transport);
		store_bind_text(st, 2, channel);
		store_bind_text(st, 3, remote_ref);
	}
	result = store_each_row(s, st, take_action_id, &a);
	*n = result ? 0 : a.n;
	return result;
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
		.kind = parse_kind((const char *)sqlite3_column_text(st, 1)),
		.transport = (const char *)sqlite3_column_text(st, 2),
		.channel = (const char *)sqlite3_column_text(st, 3),
		.thread = (const char *)sqlite3_column_text(st, 4),
		.body = (const char *)sqlite3_column_text(st, 5),
		.visible_to = (const char *)sqlite3_column_text(st, 6),
		.target_ref = (const char *)sqlite3_column_text(st, 7),
		.session_id = sqlite3_column_int64(st, 8),
		.prompt_index = (long)sqlite3_column_int64(st, 9),
		.attempts = sqlite3_column_int(st, 10),
	};

	return v->fn(v->ud, &m);
}

int store_outbox_each_pending(struct store *s, const char *transport, int64_t after_id,
			      int limit, int (*fn)(void *ud, const struct outbox_rec *m), void *ud)
{
	static const char sql[] =
		"SELECT id, kind, transport, channel, thread, body, visible_to, target_ref, "
		"coalesce(session_id, 0), coalesce(prompt_index, -1), attempts FROM outbox "
		"WHERE transport = ? AND state = 'pending' AND id > ? ORDER BY id LIMIT ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct outbox_visit v = { fn, ud };

	if (st) {
		store_bind_text(st, 1, transport);
		sqlite3_bind_int64(st, 2, after_id);
		sqlite3_bind_int(st, 3, limit);
	}
	return store_each_row(s, st, visit_outbox, &v);
}

int store_outbox_mark_sent(struct store *s, int64_t id, const char *remote_ref, int64_t now)
{
	static const char sent_sql[] =
		"UPDATE outbox SET state = 'sent', sent_at = ?, remote_ref = ? WHERE id = ?";
	/* Only the post of a question (not an update of it) names the question's message. */
	static const char ref_sql[] =
		"UPDATE session_prompts SET remote_ref = ?1 FROM (SELECT session_id AS sid, "
		"prompt_index AS pidx FROM outbox WHERE id = ?2 AND kind = 'post') "
		"WHERE session_id = sid AND prompt_index = pidx AND ?1 IS NOT NULL";
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

int store_outbox_mark_failed(struct store *s, int64_t id, const char *error, int64_t now)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'failed', sent_at = ?, error = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, error);
	sqlite3_bind_int64(st, 3, id);
	return store_step_done(s, st);
}

int store_outbox_count_attempt(struct store *s, int64_t id)
{
	static const char sql[] = "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return store_step_done(s, st);
}

int store_prompt_ref(struct store *s, int64_t session_id, long prompt_index, char *buf,
		     size_t len)
{
	static const char sql[] =
		"SELECT coalesce(remote_ref, '') FROM session_prompts WHERE session_id = ? "
		"AND prompt_index = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		sqlite3_bind_int64(st, 2, prompt_index);
	}
	return store_text_at(s, st, buf, len);
}
