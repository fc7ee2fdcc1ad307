#include "store_answers.h"

#include "err.h"

/* Copies the current row of an answer into its history. */
static int archive(struct store *s, int64_t answer_id, const char *reason, int64_t now)
{
	static const char sql[] =
		"INSERT INTO answer_history (answer_id, text, choices, reason, at) "
		"SELECT id, text, choices, ?, ? FROM answers WHERE id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, reason);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, answer_id);
	return store_step_done(s, st);
}

struct found {
	int64_t *id;
	bool *withdrawn;
};

static void read_found(void *ud, sqlite3_stmt *st)
{
	struct found *f = ud;

	*f->id = sqlite3_column_int64(st, 0);
	*f->withdrawn = sqlite3_column_int(st, 1) != 0;
}

/* Finds the answer row of a person; *id is 0 when there is none. */
static int find(struct store *s, int64_t session_id, const char *prompt_id, const char *user_id,
		int64_t *id, bool *withdrawn)
{
	static const char sql[] =
		"SELECT id, withdrawn FROM answers WHERE session_id = ? AND prompt_id = ? "
		"AND user_id = ?";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct found f = { id, withdrawn };
	int result;

	*id = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, prompt_id);
		store_bind_text(st, 3, user_id);
	}
	result = store_one_row(s, st, read_found, &f);
	return result == BOT_ERR_NOT_FOUND ? 0 : result;
}

int store_answer_put(struct store *s, int64_t session_id, const char *prompt_id,
		     const char *user_id, const char *text, const char *choices,
		     const char *source_ref, int64_t now, bool *replaced)
{
	static const char insert_sql[] =
		"INSERT INTO answers (session_id, prompt_id, user_id, text, choices, source_ref, "
		"created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?7)";
	static const char update_sql[] =
		"UPDATE answers SET text = ?, choices = ?, source_ref = ?, withdrawn = 0, "
		"updated_at = ? WHERE id = ?";
	int64_t id;
	bool withdrawn = false;
	sqlite3_stmt *st;
	int result = find(s, session_id, prompt_id, user_id, &id, &withdrawn);

	*replaced = false;
	if (result)
		return result;
	if (!id) {
		st = store_stmt(s, insert_sql);
		if (!st)
			return BOT_ERR_DB;
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, prompt_id);
		store_bind_text(st, 3, user_id);
		store_bind_text(st, 4, text);
		store_bind_text(st, 5, choices);
		store_bind_text(st, 6, source_ref);
		sqlite3_bind_int64(st, 7, now);
		return store_step_done(s, st);
	}
	/* A withdrawn answer is already in history as "retracted". */
	if (!withdrawn) {
		result = archive(s, id, "replaced", now);
		if (result)
			return result;
		*replaced = true;
	}
	st = store_stmt(s, update_sql);
	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, text);
	store_bind_text(st, 2, choices);
	store_bind_text(st, 3, source_ref);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, id);
	return store_step_done(s, st);
}

int store_answer_retract(struct store *s, int64_t session_id, const char *prompt_id,
			 const char *user_id, int64_t now)
{
	static const char sql[] = "UPDATE answers SET withdrawn = 1, updated_at = ? WHERE id = ?";
	int64_t id;
	bool withdrawn = false;
	sqlite3_stmt *st;
	int result = find(s, session_id, prompt_id, user_id, &id, &withdrawn);

	if (result)
		return result;
	if (!id || withdrawn)
		return BOT_ERR_NOT_FOUND;
	result = archive(s, id, "retracted", now);
	if (result)
		return result;
	st = store_stmt(s, sql);
	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return store_step_done(s, st);
}

struct author {
	char *prompt_id;
	size_t prompt_len;
	char *user_id;
	size_t user_len;
};

static void read_author(void *ud, sqlite3_stmt *st)
{
	struct author *a = ud;

	store_col_copy(st, 0, a->prompt_id, a->prompt_len);
	store_col_copy(st, 1, a->user_id, a->user_len);
}

int store_answer_by_ref(struct store *s, int64_t session_id, const char *ref,
			char *prompt_id, size_t prompt_len, char *user_id, size_t user_len)
{
	static const char sql[] =
		"SELECT prompt_id, user_id FROM answers WHERE session_id = ? AND source_ref = ? "
		"AND withdrawn = 0";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct author a = { prompt_id, prompt_len, user_id, user_len };

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, ref);
	}
	return store_one_row(s, st, read_author, &a);
}

static void dup_text(void *ud, sqlite3_stmt *st)
{
	*(char **)ud = store_col_dup(st, 0);
}

int store_answer_choices(struct store *s, int64_t session_id, const char *prompt_id,
			 const char *user_id, char **choices)
{
	static const char sql[] =
		"SELECT choices FROM answers WHERE session_id = ? AND prompt_id = ? AND user_id = ? "
		"AND withdrawn = 0";
	sqlite3_stmt *st = store_stmt(s, sql);
	int result;

	*choices = NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, prompt_id);
		store_bind_text(st, 3, user_id);
	}
	result = store_one_row(s, st, dup_text, choices);
	return result == BOT_ERR_NOT_FOUND ? 0 : result;
}

struct answer_visit {
	int (*fn)(void *ud, const struct answer_rec *a);
	void *ud;
};

static int visit_answer(void *ud, sqlite3_stmt *st)
{
	struct answer_visit *v = ud;
	struct answer_rec a = {
		.id = sqlite3_column_int64(st, 0),
		.session_id = sqlite3_column_int64(st, 1),
		.prompt_id = (const char *)sqlite3_column_text(st, 2),
		.user_id = (const char *)sqlite3_column_text(st, 3),
		.text = (const char *)sqlite3_column_text(st, 4),
		.choices = (const char *)sqlite3_column_text(st, 5),
		.created_at = sqlite3_column_int64(st, 6),
		.updated_at = sqlite3_column_int64(st, 7),
	};

	return v->fn(v->ud, &a);
}

int store_answer_each(struct store *s, int64_t session_id, const char *prompt_id,
		      int (*fn)(void *ud, const struct answer_rec *a), void *ud)
{
	static const char sql[] =
		"SELECT id, session_id, prompt_id, user_id, text, choices, created_at, updated_at "
		"FROM answers WHERE session_id = ?1 AND withdrawn = 0 "
		"AND (?2 IS NULL OR prompt_id = ?2) ORDER BY created_at, id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct answer_visit v = { fn, ud };

	if (st) {
		sqlite3_bind_int64(st, 1, session_id);
		store_bind_text(st, 2, prompt_id);
	}
	return store_each_row(s, st, visit_answer, &v);
}

struct history_visit {
	int (*fn)(void *ud, const struct answer_history_rec *h);
	void *ud;
};

static int visit_history(void *ud, sqlite3_stmt *st)
{
	struct history_visit *v = ud;
	struct answer_history_rec h = {
		.text = (const char *)sqlite3_column_text(st, 0),
		.choices = (const char *)sqlite3_column_text(st, 1),
		.reason = (const char *)sqlite3_column_text(st, 2),
		.at = sqlite3_column_int64(st, 3),
	};

	return v->fn(v->ud, &h);
}

int store_answer_history_each(struct store *s, int64_t answer_id,
			      int (*fn)(void *ud, const struct answer_history_rec *h),
			      void *ud)
{
	static const char sql[] =
		"SELECT text, choices, reason, at FROM answer_history WHERE answer_id = ? "
		"ORDER BY id";
	sqlite3_stmt *st = store_stmt(s, sql);
	struct history_visit v = { fn, ud };

	if (st)
		sqlite3_bind_int64(st, 1, answer_id);
	return store_each_row(s, st, visit_history, &v);
}
