#include "store_actions.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

const char *action_status_name(enum action_status status)
{
	return status == ACTION_DONE ? "done" : "open";
}

void action_rec_clear(struct action_rec *a)
{
	free(a->text);
	free(a->owner);
	free(a->due_date);
	free(a->created_by);
	memset(a, 0, sizeof *a);
}

#define ACTION_COLUMNS \
	"a.id, a.session_id, a.text, a.owner, a.due_date, a.status, a.created_by, " \
	"a.created_at, a.updated_at, coalesce(a.done_at, 0)"

/* Fills a with borrowed column pointers of the current row. */
static void read_row(sqlite3_stmt *st, struct action_rec *a)
{
	const char *status = (const char *)sqlite3_column_text(st, 5);

	a->id = sqlite3_column_int64(st, 0);
	a->session_id = sqlite3_column_int64(st, 1);
	a->text = (char *)sqlite3_column_text(st, 2);
	a->owner = (char *)sqlite3_column_text(st, 3);
	a->due_date = (char *)sqlite3_column_text(st, 4);
	a->status = status && strcmp(status, "done") == 0 ? ACTION_DONE : ACTION_OPEN;
	a->created_by = (char *)sqlite3_column_text(st, 6);
	a->created_at = sqlite3_column_int64(st, 7);
	a->updated_at = sqlite3_column_int64(st, 8);
	a->done_at = sqlite3_column_int64(st, 9);
}

int store_action_insert(struct store *s, struct action_rec *a, int64_t now)
{
	static const char sql[] =
		"INSERT INTO action_items (session_id, text, owner, due_date, status, created_by, "
		"created_at, updated_at) VALUES (?, ?, ?, ?, 'open', ?, ?6, ?6)";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, a->session_id);
	store_bind_text(st, 2, a->text);
	store_bind_text(st, 3, a->owner);
	store_bind_text(st, 4, a->due_date);
	store_bind_text(st, 5, a->created_by);
	sqlite3_bind_int64(st, 6, now);
	result = store_step_done(s, st);
	if (!result) {
		a->id = store_last_id(s);
		a->status = ACTION_OPEN;
		a->created_at = a->updated_at = now;
		a->done_at = 0;
	}
	return result;
}

static int copy_row(void *ud, sqlite3_stmt *st)
{
	struct action_rec *out = ud, row;

	read_row(st, &row);
	*out = row;
	out->text = row.text ? strdup(row.text) : NULL;
	out->owner = row.owner ? strdup(row.owner) : NULL;
	out->due_date = row.due_date ? strdup(row.due_date) : NULL;
	out->created_by = row.created_by ? strdup(row.created_by) : NULL;
	if ((row.text && !out->text) || (row.owner && !out->owner) ||
	    (row.due_date && !out->due_date) || (row.created_by && !out->created_by)) {
		action_rec_clear(out);
		return BOT_ERR_NOMEM;
	}
	return 0;
}

int store_action_get(struct store *s, int64_t id, struct action_rec *out)
{
	static const char sql[] = "SELECT " ACTION_COLUMNS " FROM action_items a WHERE a.id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	memset(out, 0, sizeof *out);
	if (st)
		sqlite3_bind_int64(st, 1, id);
	result = store_each_row(s, st, copy_row, out);
	if (!result && out->id == 0)
		return BOT_ERR_NOT_FOUND;
	return result;
}

int store_action_update(struct store *s, const struct action_rec *a, int64_t now)
{
	static const char sql[] =
		"UPDATE action_items SET owner = ?, due_date = ?, status = ?, updated_at = ?5, "
		"done_at = CASE WHEN ?3 = 'done' THEN coalesce(done_at, ?5) END WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, a->owner);
	store_bind_text(st, 2, a->due_date);
	store_bind_text(st, 3, action_status_name(a->status));
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, a->id);
	return store_step_done(s, st);
}

struct action_visit {
	int (*fn)(void *ud, const struct action_rec *a);
	void *ud;
};

static int visit_action(void *ud, sqlite3_stmt *st)
{
	struct action_visit *v = ud;
	struct action_rec a;

	read_row(st, &a);
	return v->fn(v->ud, &a);
}

int store_action_each_in(struct store *s, const char *transport, const char *channel,
			 enum action_filter filter, const char *owner,
			 int (*fn)(void *ud, const struct action_rec *a), void *ud)
{
	static const char sql[] =
		"SELECT " ACTION_COLUMNS " FROM action_items a JOIN sessions s "
		"ON s.id = a.session_id WHERE s.transport = ?1 AND (?2 IS NULL OR s.channel = ?2) "
		"AND (?3 = 1 OR a.status = 'open') AND (?4 IS NULL OR a.owner = ?4) ORDER BY a.id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct action_visit v = { fn, ud };

	if (st) {
		store_bind_text(st, 1, transport);
		store_bind_text(st, 2, channel);
		sqlite3_bind_int(st, 3, filter == ACTIONS_ALL);
		store_bind_text(st, 4, owner);
	}
	return store_each_row(s, st, visit_action, &v);
}

int store_action_each_of(struct store *s, int64_t session_id,
			 int (*fn)(void *ud, const struct action_rec *a), void *ud)
{
	static const char sql[] =
		"SELECT " ACTION_COLUMNS " FROM action_items a WHERE a.session_id = ? ORDER BY a.id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct action_visit v = { fn, ud };

	if (st)
		sqlite3_bind_int64(st, 1, session_id);
	return store_each_row(s, st, visit_action, &v);
}
