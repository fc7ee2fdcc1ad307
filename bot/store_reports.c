/* store_reports.c - follow-ups posted and report-back entries (store_reports.h). */
#include "store_reports.h"

#include <stdio.h>

#include "err.h"

int store_followup_add(struct store *s, int64_t session_id, const char *followup_id,
		       int64_t outbox_id, int64_t now)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO followups (session_id, followup_id, posted_at, outbox_id) "
		"VALUES (?, ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, session_id);
	store_bind_text(st, 2, followup_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, outbox_id);
	result = store_step_done(s, st);
	return result ? result : store_changes(s) == 1 ? 0 : BOT_ERR_STATE;
}

/* Columns: session_id, followup_id, posted_at. */
static void read_followup(void *ud, sqlite3_stmt *st)
{
	struct followup_rec *f = ud;

	f->session_id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, f->followup_id, sizeof f->followup_id);
	f->posted_at = sqlite3_column_int64(st, 2);
}

int store_followup_get(struct store *s, int64_t session_id, const char *followup_id,
		       struct followup_rec *out)
{
	static const char sql[] =
		"SELECT session_id, followup_id, posted_at FROM followups WHERE session_id = ? "
		"AND followup_id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, followup_id);
	}
	return store_one_row(s, st, read_followup, out);
}

int store_followup_by_ref(struct store *s, const char *transport, const char *remote_ref,
			  struct followup_rec *out)
{
	static const char sql[] =
		"SELECT f.session_id, f.followup_id, f.posted_at FROM outbox o "
		"JOIN followups f ON f.outbox_id = o.id WHERE o.transport = ? AND o.remote_ref = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		store_bind_text(st, 1, transport);
		store_bind_text(st, 2, remote_ref);
	}
	return store_one_row(s, st, read_followup, out);
}

int store_followup_latest_in(struct store *s, const char *transport, const char *channel,
			     struct followup_rec *out)
{
	static const char sql[] =
		"SELECT f.session_id, f.followup_id, f.posted_at FROM followups f "
		"JOIN sessions s ON s.id = f.session_id WHERE s.transport = ? AND s.channel = ? "
		"ORDER BY f.posted_at DESC, f.session_id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		store_bind_text(st, 1, transport);
		store_bind_text(st, 2, channel);
	}
	return store_one_row(s, st, read_followup, out);
}

struct followup_each {
	int (*fn)(void *ud, const struct followup_rec *f);
	void *ud;
};

static int each_followup(void *ud, sqlite3_stmt *st)
{
	struct followup_each *e = ud;
	struct followup_rec f;

	read_followup(&f, st);
	return e->fn(e->ud, &f);
}

int store_followup_each(struct store *s, int64_t session_id,
			int (*fn)(void *ud, const struct followup_rec *f), void *ud)
{
	static const char sql[] =
		"SELECT session_id, followup_id, posted_at FROM followups WHERE session_id = ? "
		"ORDER BY posted_at, followup_id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct followup_each e = { fn, ud };

	if (st)
		sqlite3_bind_int64(st, 1, session_id);
	return store_each_row(s, st, each_followup, &e);
}

int store_report_add(struct store *s, const struct report_entry_rec *e, int64_t now,
		     int64_t *id)
{
	static const char sql[] =
		"INSERT INTO report_entries (session_id, followup_id, user_id, text, action_id, "
		"source_ref, created_at, updated_at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?)";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, e->session_id);
	store_bind_text(st, 2, e->followup_id);
	store_bind_text(st, 3, e->user_id);
	store_bind_text(st, 4, e->text);
	sqlite3_bind_int64(st, 5, e->action_id);
	store_bind_text(st, 6, e->source_ref);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int64(st, 8, now);
	result = store_step_done(s, st);
	if (!result)
		*id = store_last_id(s);
	return result;
}

static void read_owner(void *ud, sqlite3_stmt *st)
{
	struct report_owner *o = ud;

	o->id = sqlite3_column_int64(st, 0);
	store_col_copy(st, 1, o->user_id, sizeof o->user_id);
	o->followup.session_id = sqlite3_column_int64(st, 2);
	store_col_copy(st, 3, o->followup.followup_id, sizeof o->followup.followup_id);
	o->followup.posted_at = 0;
}

int store_report_by_ref(struct store *s, const char *transport, const char *channel,
			const char *source_ref, struct report_owner *out)
{
	static const char sql[] =
		"SELECT e.id, e.user_id, e.session_id, e.followup_id FROM report_entries e "
		"JOIN sessions s ON s.id = e.session_id "
		"WHERE e.source_ref = ? AND e.withdrawn = 0 AND s.transport = ? AND s.channel = ? "
		"ORDER BY e.id DESC LIMIT 1";
	sqlite3_stmt *st = store_stmt(s, sql);
	if (st) {
		store_bind_text(st, 1, source_ref);
		store_bind_text(st, 2, transport);
		store_bind_text(st, 3, channel);
	}
	return store_one_row(s, st, read_owner, out);
}

int store_report_update(struct store *s, int64_t id, const char *text, int64_t action_id,
			int64_t now)
{
	static const char sql[] =
		"UPDATE report_entries SET text = ?, action_id = nullif(?, 0), updated_at = ? "
		"WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, text);
	sqlite3_bind_int64(st, 2, action_id);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, id);
	return store_step_done(s, st);
}

int store_report_withdraw(struct store *s, int64_t id, int64_t now)
{
	static const char sql[] =
		"UPDATE report_entries SET withdrawn = 1, updated_at = ? WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return store_step_done(s, st);
}

int store_report_set_outcomes(struct store *s, int64_t entry_id, const char *const *field,
			      const long long *value, size_t n)
{
	static const char del_sql[] = "DELETE FROM report_outcomes WHERE entry_id = ?";
	static const char ins_sql[] =
		"INSERT INTO report_outcomes (entry_id, field, value) VALUES (?, ?, ?)";
	sqlite3_stmt *st = store_stmt(s, del_sql);
	int result;

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, entry_id);
	result = store_step_done(s, st);
	for (size_t i = 0; !result && i < n; i++) {
		st = store_stmt(s, ins_sql);
		if (!st)
			return BOT_ERR_DB;
		sqlite3_bind_int64(st, 1, entry_id);
		store_bind_text(st, 2, field[i]);
		sqlite3_bind_int64(st, 3, value[i]);
		result = store_step_done(s, st);
	}
	return result;
}

struct entry_each {
	int (*fn)(void *ud, const struct report_entry_rec *e);
	void *ud;
};

static int each_entry(void *ud, sqlite3_stmt *st)
{
	struct entry_each *x = ud;
	struct report_entry_rec e = {
		.id = sqlite3_column_int64(st, 0),
		.session_id = sqlite3_column_int64(st, 1),
		.followup_id = (const char *)sqlite3_column_text(st, 2),
		.user_id = (const char *)sqlite3_column_text(st, 3),
		.text = (const char *)sqlite3_column_text(st, 4),
		.action_id = sqlite3_column_int64(st, 5),
		.source_ref = (const char *)sqlite3_column_text(st, 6),
		.created_at = sqlite3_column_int64(st, 7),
		.updated_at = sqlite3_column_int64(st, 8),
	};

	return x->fn(x->ud, &e);
}

int store_report_each(struct store *s, int64_t session_id, int64_t action_id,
		      int (*fn)(void *ud, const struct report_entry_rec *e), void *ud)
{
	static const char sql[] =
		"SELECT e.id, e.session_id, e.followup_id, e.user_id, e.text, "
		"coalesce(e.action_id, 0), e.source_ref, e.created_at, e.updated_at "
		"FROM report_entries e LEFT JOIN followups f ON f.session_id = e.session_id "
		"AND f.followup_id = e.followup_id WHERE e.session_id = ?1 AND e.withdrawn = 0 "
		"AND (?2 = 0 OR e.action_id = ?2) ORDER BY f.posted_at, e.followup_id, e.id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct entry_each x = { fn, ud };

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		sqlite3_bind_int64(st, 2, action_id);
	}
	return store_each_row(s, st, each_entry, &x);
}

struct outcome_each {
	int (*fn)(void *ud, const char *followup_id, const char *field, long long value);
	void *ud;
};

static int each_outcome(void *ud, sqlite3_stmt *st)
{
	struct outcome_each *x = ud;

	return x->fn(x->ud, (const char *)sqlite3_column_text(st, 0),
		     (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2));
}

int store_report_outcome_each(struct store *s, int64_t session_id,
			      int (*fn)(void *ud, const char *followup_id, const char *field,
					long long value), void *ud)
{
	static const char sql[] =
		"SELECT e.followup_id, o.field, o.value FROM report_outcomes o "
		"JOIN report_entries e ON e.id = o.entry_id WHERE e.session_id = ? "
		"AND e.withdrawn = 0 ORDER BY e.id, o.field";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct outcome_each x = { fn, ud };

	if (st)
		sqlite3_bind_int64(st, 1, session_id);
	return store_each_row(s, st, each_outcome, &x);
}
