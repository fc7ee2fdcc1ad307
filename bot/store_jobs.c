#include "store_jobs.h"

#include <stdbool.h>
#include <string.h>

#include "err.h"

/* A kind is 1..STORE_JOB_KIND_MAX of [a-z0-9_]. With allow_star it may end in one '*'
 * (a prefix match); the prefix itself is not empty, so "*" is refused. */
static bool kind_ok(const char *kind, bool allow_star)
{
	size_t len;

	if (!kind)
		return false;
	len = strnlen(kind, STORE_JOB_KIND_MAX + 2);
	if (allow_star && len > 1 && kind[len - 1] == '*')
		len--;
	if (len == 0 || len > STORE_JOB_KIND_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = kind[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return kind[len] == '\0' || (allow_star && kind[len] == '*' && kind[len + 1] == '\0');
}

static bool text_fits(const char *v, size_t max)
{
	return !v || strnlen(v, max + 1) <= max;
}

int store_job_add(struct store *s, const struct store_job *job, int64_t now, int64_t *id)
{
	static const char sql[] =
		"INSERT INTO jobs (kind, due_at, session_id, action_id, user_id, payload, "
		"created_at) VALUES (?, ?, nullif(?, 0), nullif(?, 0), ?, ?, ?)";
	sqlite3_stmt *st;
	int result;

	if (!job || !kind_ok(job->kind, false) || job->due_at < 0 || job->session_id < 0 ||
	    job->action_id < 0 || !text_fits(job->user_id, STORE_JOB_USER_MAX) ||
	    !text_fits(job->payload, STORE_JOB_PAYLOAD_MAX))
		return BOT_ERR_INVALID;
	st = store_stmt(s, sql);
	if (!st)
		return BOT_ERR_DB;
	store_bind_text(st, 1, job->kind);
	sqlite3_bind_int64(st, 2, job->due_at);
	sqlite3_bind_int64(st, 3, job->session_id);
	sqlite3_bind_int64(st, 4, job->action_id);
	store_bind_text(st, 5, job->user_id);
	store_bind_text(st, 6, job->payload);
	sqlite3_bind_int64(st, 7, now);
	result = store_step_done(s, st);
	if (result)
		return result;
	if (id)
		*id = store_last_id(s);
	return 0;
}

int store_job_next_due_at(struct store *s, int64_t *due_at)
{
	static const char sql[] = STORE_JOB_NEXT_SQL;
	sqlite3_stmt *st = store_stmt(s, sql);
	int rc;

	if (!st)
		return BOT_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*due_at = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? BOT_ERR_NOT_FOUND : BOT_ERR_DB;
}

struct job_visit {
	int (*fn)(void *ud, const struct store_job *job);
	void *ud;
};

/* Rows in the column order of STORE_JOB_DUE_SQL (shared by the listing). */
static int visit_job(void *ud, sqlite3_stmt *st)
{
	struct job_visit *v = ud;
	struct store_job job = {
		.id = sqlite3_column_int64(st, 0),
		.kind = (const char *)sqlite3_column_text(st, 1),
		.due_at = sqlite3_column_int64(st, 2),
		.session_id = sqlite3_column_int64(st, 3),
		.action_id = sqlite3_column_int64(st, 4),
		.user_id = (const char *)sqlite3_column_text(st, 5),
		.payload = (const char *)sqlite3_column_text(st, 6),
		.attempts = sqlite3_column_int(st, 7),
		.created_at = sqlite3_column_int64(st, 8),
	};

	return v->fn(v->ud, &job);
}

int store_job_each_due(struct store *s, int64_t now, int limit,
		       int (*fn)(void *ud, const struct store_job *job), void *ud)
{
	static const char sql[] = STORE_JOB_DUE_SQL;
	struct job_visit v = { fn, ud };
	sqlite3_stmt *st;

	if (limit < 1)
		return BOT_ERR_INVALID;
	st = store_stmt(s, sql);
	if (st) {
		sqlite3_bind_int64(st, 1, now);
		sqlite3_bind_int(st, 2, limit);
	}
	return store_each_row(s, st, visit_job, &v);
}

/* Runs a bound UPDATE of one pending job: 0, or BOT_ERR_NOT_FOUND if it changed none. */
static int update_one(struct store *s, sqlite3_stmt *st)
{
	int result = store_step_done(s, st);

	if (result)
		return result;
	return store_changes(s) == 1 ? 0 : BOT_ERR_NOT_FOUND;
}

int store_job_mark_done(struct store *s, int64_t id, int64_t now)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'done', done_at = ? WHERE id = ? AND state = 'pending'";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	return update_one(s, st);
}

int store_job_mark_unsent(struct store *s, int64_t id)
{
	static const char sql[] =
		"UPDATE jobs SET state = 'cancelled' WHERE id = ? AND state = 'done'";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, id);
	return update_one(s, st);
}

int store_job_retry_at(struct store *s, int64_t id, int64_t due_at)
{
	static const char sql[] =
		"UPDATE jobs SET due_at = ?, attempts = attempts + 1 "
		"WHERE id = ? AND state = 'pending'";
	sqlite3_stmt *st = store_stmt(s, sql);

	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, due_at);
	sqlite3_bind_int64(st, 2, id);
	return update_one(s, st);
}

int store_job_cancel_for(struct store *s, const struct store_job_match *m, int64_t now,
			 int *cancelled)
{
	/* ?2 exact kind or NULL, ?3 kind prefix or NULL; 0 / NULL for the others: any. */
	static const char sql[] =
		"UPDATE jobs SET state = 'cancelled', done_at = ?1 WHERE state = 'pending' "
		"AND (?2 IS NULL OR kind = ?2) "
		"AND (?3 IS NULL OR substr(kind, 1, length(?3)) = ?3) "
		"AND (?4 = 0 OR session_id = ?4) AND (?5 = 0 OR action_id = ?5) "
		"AND (?6 IS NULL OR user_id = ?6) AND (?7 = 0 OR due_at <= ?7)";
	char prefix[STORE_JOB_KIND_MAX + 1];
	bool is_prefix = false;
	sqlite3_stmt *st;
	int result;

	if (cancelled)
		*cancelled = 0;
	if (!m || (m->kind && !kind_ok(m->kind, true)) || m->session_id < 0 || m->action_id < 0 ||
	    m->due_by < 0 || !text_fits(m->user_id, STORE_JOB_USER_MAX) ||
	    (m->session_id == 0 && m->action_id == 0 && !m->user_id))
		return BOT_ERR_INVALID;
	if (m->kind) {
		size_t len = strlen(m->kind);   /* bounded by kind_ok */
		is_prefix = m->kind[len - 1] == '*';
		memcpy(prefix, m->kind, len - is_prefix);
		prefix[len - is_prefix] = '\0';
	}
	st = store_stmt(s, sql);
	if (!st)
		return BOT_ERR_DB;
	sqlite3_bind_int64(st, 1, now);
	store_bind_text(st, 2, m->kind && !is_prefix ? m->kind : NULL);
	store_bind_text(st, 3, is_prefix ? prefix : NULL);
	sqlite3_bind_int64(st, 4, m->session_id);
	sqlite3_bind_int64(st, 5, m->action_id);
	store_bind_text(st, 6, m->user_id);
	sqlite3_bind_int64(st, 7, m->due_by);
	result = store_step_done(s, st);
	if (!result && cancelled)
		*cancelled = store_changes(s);
	return result;
}

int store_job_each_pending(struct store *s, int64_t session_id,
			   int (*fn)(void *ud, const struct store_job *job), void *ud)
{
	static const char sql[] =
		"SELECT id, kind, due_at, coalesce(session_id, 0), coalesce(action_id, 0), "
		"user_id, payload, attempts, created_at FROM jobs "
		"WHERE state = 'pending' AND (?1 = 0 OR session_id = ?1) ORDER BY due_at, id";
	struct job_visit v = { fn, ud };
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st)
		sqlite3_bind_int64(st, 1, session_id);
	return store_each_row(s, st, visit_job, &v);
}

struct sent_visit {
	int (*fn)(void *ud, const char *kind, int64_t done_at);
	void *ud;
};

static int visit_sent(void *ud, sqlite3_stmt *st)
{
	struct sent_visit *v = ud;

	return v->fn(v->ud, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1));
}

int store_job_each_sent_reminder(struct store *s, int64_t action_id,
				 int (*fn)(void *ud, const char *kind, int64_t done_at), void *ud)
{
	static const char sql[] =
		"SELECT kind, done_at FROM jobs WHERE action_id = ? AND state = 'done' "
		"AND (kind LIKE 'reminder\\_%' ESCAPE '\\' OR kind = 'escalate') "
		"ORDER BY done_at, id";
	struct sent_visit v = { fn, ud };
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st)
		sqlite3_bind_int64(st, 1, action_id);
	return store_each_row(s, st, visit_sent, &v);
}
