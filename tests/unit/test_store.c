/* test_store.c - the SQLite store: opening (mode, WAL, schema version), restart, migration
 * from every older schema, the refusals (newer schema, not a database, locked, missing),
 * and the domain tables: answers with history, action items, outbox, sessions.
 *
 * Each case gets its own mkdtemp() directory under /tmp; the teardown closes the store
 * and removes the directory, so a failing case leaves nothing behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bot/err.h"
#include "bot/log.h"
#include "bot/store.h"
#include "bot/store_actions.h"
#include "bot/store_answers.h"
#include "bot/store_direct.h"
#include "bot/store_outbox.h"
#include "bot/store_schema.h"
#include "bot/store_sessions.h"
#include "tests/unit/support.h"

#define T0 1796000000  /* a fixed "now" for rows written by these tests */

struct fixture {
	char dir[64];
	char db[128];
	struct store *s;
	char err[BOT_ERRMSG_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	tmpdir_make(f->dir, sizeof f->dir, "test_store");
	path_join(f->db, sizeof f->db, f->dir, "bot.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* Opens the fixture's database as a writer; fails the test with the error otherwise. */
static struct store *open_writer(struct fixture *f)
{
	int rc = store_open(f->db, STORE_WRITER, &f->s, f->err, sizeof f->err);

	if (rc != 0)
		fail_msg("store_open(%s): %s: %s", f->db, bot_strerror(rc), f->err);
	assert_non_null(f->s);
	return f->s;
}

static void reopen(struct fixture *f)
{
	store_close(f->s);
	f->s = NULL;
	open_writer(f);
}

/* The single text value of a one-row query run on the store's own connection. */
static void query_text(struct store *s, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	store_col_copy(st, 0, buf, len);
	sqlite3_reset(st);
}

static long long query_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st = store_stmt(s, sql);
	long long v;

	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

static int64_t add_session(struct store *s, const char *transport, const char *channel,
			   int64_t started_at)
{
	struct session_rec rec = { 0 };

	snprintf(rec.transport, sizeof rec.transport, "%s", transport);
	snprintf(rec.channel, sizeof rec.channel, "%s", channel);
	snprintf(rec.template_id, sizeof rec.template_id, "community-engagement");
	snprintf(rec.facilitator, sizeof rec.facilitator, "alice");
	snprintf(rec.timezone, sizeof rec.timezone, "Europe/Berlin");
	rec.state = SESSION_ACTIVE;
	rec.prompt_index = 3;
	rec.started_at = started_at;
	assert_int_equal(store_session_insert(s, &rec), 0);
	assert_true(rec.id > 0);
	return rec.id;
}

/* ---- opening ------------------------------------------------------------------------- */

/* Queues a plain post (kind OUTBOX_POST). */
static int put_post(struct store *s, const char *transport, const char *channel,
		    const char *thread, const char *body, int64_t session_id, long prompt_index,
		    int64_t now)
{
	struct outbox_rec rec = { .kind = OUTBOX_POST, .transport = transport, .channel = channel,
				  .thread = thread, .body = body, .session_id = session_id,
				  .prompt_index = prompt_index };

	return store_outbox_put(s, &rec, now);
}

static void test_open_new_file(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	char buf[32], wal[160];
	struct store *s;

	assert_int_not_equal(stat(f->db, &sb), 0);  /* not there yet */
	s = open_writer(f);
	assert_int_equal(stat(f->db, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* The WAL holds answers too: it must not be more readable than the database. */
	snprintf(wal, sizeof wal, "%s-wal", f->db);
	if (stat(wal, &sb) == 0)
		assert_int_equal(sb.st_mode & 07777, 0600);

	query_text(s, "PRAGMA journal_mode", buf, sizeof buf);
	assert_string_equal(buf, "wal");
	assert_int_equal(query_int(s, "PRAGMA foreign_keys"), 1);
	assert_true(store_schema_latest() >= 1);
	assert_int_equal(store_schema_latest(), (int)store_schema_count());
	assert_int_equal(store_schema_version(s), store_schema_latest());
	/* Every table of the schema is there and empty. */
	assert_int_equal(query_int(s, "SELECT count(*) FROM sessions"), 0);
	assert_int_equal(query_int(s, "SELECT count(*) FROM answers"), 0);
	assert_int_equal(query_int(s, "SELECT count(*) FROM answer_history"), 0);
	assert_int_equal(query_int(s, "SELECT count(*) FROM action_items"), 0);
	assert_int_equal(query_int(s, "SELECT count(*) FROM outbox"), 0);
}

static void test_open_empty_file_migrates(void **state)
{
	struct fixture *f = *state;

	file_write(f->db, "", 0);
	open_writer(f);
	assert_int_equal(store_schema_version(f->s), store_schema_latest());
}

static void test_restart_keeps_data(void **state)
{
	struct fixture *f = *state;
	struct session_rec rec;
	struct action_rec a = { 0 }, got;
	bool replaced = true;
	int64_t sid;

	open_writer(f);
	assert_int_equal(store_begin(f->s), 0);
	sid = add_session(f->s, "console", "console", T0);
	assert_int_equal(store_answer_put(f->s, sid, "goals-personal", "alice", "Listen more",
					  NULL, "line:3", T0, &replaced), 0);
	assert_false(replaced);
	a.session_id = sid;
	a.text = "Call the food bank";
	a.owner = "sam";
	a.due_date = "2026-12-04";
	a.created_by = "alice";
	assert_int_equal(store_action_insert(f->s, &a, T0), 0);
	assert_int_equal(put_post(f->s, "console", "console", NULL, "[[\"t\",\"hi\"]]", 0,
					  -1, T0), 0);
	assert_int_equal(store_commit(f->s), 0);

	reopen(f);
	assert_int_equal(store_session_open_in(f->s, "console", "console", &rec), 0);
	assert_int_equal(rec.id, sid);
	assert_int_equal(rec.prompt_index, 3);
	assert_string_equal(rec.facilitator, "alice");
	assert_string_equal(rec.timezone, "Europe/Berlin");
	assert_int_equal(rec.state, SESSION_ACTIVE);
	assert_int_equal(rec.started_at, T0);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM answers WHERE text = 'Listen more' "
				   "AND user_id = 'alice' AND source_ref = 'line:3'"), 1);
	assert_int_equal(store_action_get(f->s, a.id, &got), 0);
	assert_string_equal(got.text, "Call the food bank");
	assert_string_equal(got.owner, "sam");
	assert_string_equal(got.due_date, "2026-12-04");
	action_rec_clear(&got);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM outbox WHERE state = 'pending'"), 1);
}

static void test_uncommitted_is_lost_on_restart(void **state)
{
	struct fixture *f = *state;
	struct session_rec rec;

	open_writer(f);
	assert_int_equal(store_begin(f->s), 0);
	add_session(f->s, "console", "console", T0);
	/* Closed with the transaction open: as after kill -9, nothing of it stays. */
	reopen(f);
	assert_int_equal(store_session_latest_in(f->s, "console", "console", &rec),
			 BOT_ERR_NOT_FOUND);
	/* Rollback is safe with no transaction open. */
	store_rollback(f->s);
	assert_int_equal(store_begin(f->s), 0);
	add_session(f->s, "console", "console", T0);
	store_rollback(f->s);
	assert_int_equal(store_session_latest_in(f->s, "console", "console", &rec),
			 BOT_ERR_NOT_FOUND);
}

/* A loop turn's transaction: each step is a savepoint, a failed step undoes only itself,
 * and nothing of the turn is durable before store_turn_commit. */
static void test_turn_steps(void **state)
{
	struct fixture *f = *state;
	struct session_rec rec;

	open_writer(f);
	assert_int_equal(store_turn_commit(f->s), 0);   /* none open: nothing to do */
	assert_int_equal(store_turn_begin(f->s), 0);
	assert_true(store_turn_open(f->s));
	assert_int_equal(store_begin(f->s), 0);
	add_session(f->s, "console", "kept", T0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_begin(f->s), 0);
	add_session(f->s, "console", "undone", T0);
	store_rollback(f->s);
	/* A rollback with no step open leaves the turn alone. */
	store_rollback(f->s);
	assert_true(store_turn_open(f->s));
	assert_int_equal(store_session_latest_in(f->s, "console", "kept", &rec), 0);
	assert_int_equal(store_session_latest_in(f->s, "console", "undone", &rec),
			 BOT_ERR_NOT_FOUND);
	/* Closed before the turn's commit (kill -9): the released step is gone too. */
	reopen(f);
	assert_false(store_turn_open(f->s));
	assert_int_equal(store_session_latest_in(f->s, "console", "kept", &rec),
			 BOT_ERR_NOT_FOUND);
	assert_int_equal(store_turn_begin(f->s), 0);
	assert_int_equal(store_begin(f->s), 0);
	add_session(f->s, "console", "kept", T0);
	assert_int_equal(store_commit(f->s), 0);
	assert_int_equal(store_turn_commit(f->s), 0);
	assert_false(store_turn_open(f->s));
	reopen(f);
	assert_int_equal(store_session_latest_in(f->s, "console", "kept", &rec), 0);
	/* Inside a transaction of its own, a turn joins it instead of nesting. */
	assert_int_equal(store_begin(f->s), 0);
	assert_int_equal(store_turn_begin(f->s), 0);
	assert_false(store_turn_open(f->s));
	assert_int_equal(store_commit(f->s), 0);
}

/* Schema 3: the CHECK constraints refuse what they did, and no insert or update of the
 * rows written for every message builds a temporary b-tree (as an IN list of more than
 * two values does, at each write). */
static void test_writes_build_no_temporary_btree(void **state)
{
	static const char *const writes[] = {
		("INSERT INTO outbox (transport, channel, kind, body, created_at) "
		 "VALUES ('slack', 'C1', 'confirm', '{}', 1)"),
		"UPDATE outbox SET state = 'sent', remote_ref = 'r' WHERE id = 1",
		"UPDATE sessions SET state = 'ended', pace = 'async' WHERE id = 1",
		"UPDATE session_prompts SET state = 'closed' WHERE session_id = 1",
		"INSERT INTO jobs (kind, due_at, created_at) VALUES ('nudge', 1, 1)",
		"UPDATE jobs SET state = 'done' WHERE id = 1",
	};
	static const char *const refused[] = {
		("INSERT INTO outbox (transport, channel, kind, body, created_at) "
		 "VALUES ('slack', 'C1', 'bogus', '{}', 1)"),
		"UPDATE outbox SET state = 'bogus'",
		"UPDATE sessions SET state = 'bogus'",
		"UPDATE sessions SET pace = 'bogus'",
		"INSERT INTO jobs (kind, due_at, state, created_at) VALUES ('nudge', 1, 'bogus', 1)",
	};
	struct fixture *f = *state;
	sqlite3_stmt *st;
	sqlite3 *db = NULL;

	open_writer(f);
	add_session(f->s, "console", "console", T0);
	/* A second connection: the store keeps its own to itself. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		char sql[512];
		int temporary = 0;

		snprintf(sql, sizeof sql, "EXPLAIN %s", writes[i]);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW)
			temporary += strcmp((const char *)sqlite3_column_text(st, 1),
					    "OpenEphemeral") == 0;
		sqlite3_finalize(st);
		if (temporary)
			fail_msg("%s builds %d temporary b-tree(s)", writes[i], temporary);
		assert_int_equal(sqlite3_exec(db, writes[i], NULL, NULL, NULL),
				 SQLITE_OK);
	}
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_int_equal(sqlite3_exec(db, refused[i], NULL, NULL, NULL),
				 SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Builds a database at schema version v with sqlite3 alone, as an older workshopbot left
 * it: a table of our own (to see that no migration drops data), and from version 1 a
 * session and an answer. */
static void build_old_db(const char *path, int v)
{
	sqlite3 *db = NULL;
	char sql[64];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE keepme (x TEXT);"
				      "INSERT INTO keepme VALUES ('kept');", NULL, NULL, NULL),
			 SQLITE_OK);
	for (int i = 0; i < v; i++) {
		assert_int_equal(sqlite3_exec(db, store_schema_migration((size_t)i), NULL, NULL,
					      NULL), SQLITE_OK);
		snprintf(sql, sizeof sql, "PRAGMA user_version = %d", i + 1);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	if (v >= 1)
		assert_int_equal(sqlite3_exec(db,
			"INSERT INTO sessions (id, transport, channel, template_id, facilitator, "
			"state, prompt_index, timezone, started_at) VALUES (7, 'console', 'console', "
			"'community-engagement', 'bob', 'paused', 5, 'UTC', 1700000000);"
			"INSERT INTO answers (session_id, prompt_id, user_id, text, created_at, "
			"updated_at) VALUES (7, 'goals-team', 'bob', 'old answer', 1700000000, "
			"1700000000);"
			"INSERT INTO outbox (transport, channel, kind, body, session_id, "
			"prompt_index, created_at) VALUES ('console', 'console', 'post', "
			"'{\"spans\":[]}', 7, 5, 1700000000);", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_migrate_from_every_older_version(void **state)
{
	struct fixture *f = *state;
	int latest = store_schema_latest();
	char buf[32];

	for (int v = 0; v < latest; v++) {
		struct session_rec rec;
		sqlite3_stmt *st;

		print_message("migrating from schema version %d to %d\n", v, latest);
		unlink(f->db);
		build_old_db(f->db, v);
		open_writer(f);
		assert_int_equal(store_schema_version(f->s), latest);
		query_text(f->s, "SELECT x FROM keepme", buf, sizeof buf);
		assert_string_equal(buf, "kept");
		query_text(f->s, "PRAGMA journal_mode", buf, sizeof buf);
		assert_string_equal(buf, "wal");
		if (v >= 1) {
			assert_int_equal(store_session_get(f->s, 7, &rec), 0);
			assert_string_equal(rec.facilitator, "bob");
			assert_int_equal(rec.state, SESSION_PAUSED);
			assert_int_equal(rec.prompt_index, 5);
			assert_int_equal(query_int(f->s, "SELECT count(*) FROM answers WHERE "
						   "text = 'old answer'"), 1);
			assert_int_equal(query_int(f->s, "SELECT count(*) FROM outbox WHERE "
						   "session_id = 7 AND state = 'pending'"), 1);
			/* The rebuilt tables are still referenced, and references are still
			 * enforced. */
			assert_int_equal(query_int(f->s, "SELECT count(*) FROM answers JOIN "
						   "sessions ON sessions.id = session_id"), 1);
			st = store_stmt(f->s, "INSERT INTO answers (session_id, prompt_id, "
					"user_id, text, created_at, updated_at) VALUES (99, 'x', "
					"'y', 'z', 1, 1)");
			assert_non_null(st);
			assert_int_equal(sqlite3_step(st), SQLITE_CONSTRAINT_FOREIGNKEY);
			sqlite3_reset(st);
		}
		assert_int_equal(query_int(f->s, "SELECT count(*) FROM pragma_foreign_key_check"),
				 0);
		/* The migrated database takes new rows. */
		add_session(f->s, "console", "console", T0);
		store_close(f->s);
		f->s = NULL;
		/* Opening again does not migrate twice. */
		open_writer(f);
		assert_int_equal(store_schema_version(f->s), latest);
		assert_int_equal(query_int(f->s, "SELECT count(*) FROM keepme"), 1);
		store_close(f->s);
		f->s = NULL;
		unlink(f->db);
	}
}

static void test_migrate_to_is_idempotent(void **state)
{
	struct fixture *f = *state;

	open_writer(f);
	assert_int_equal(store_migrate_to(f->s, store_schema_latest(), f->err, sizeof f->err), 0);
	assert_int_equal(store_migrate_to(f->s, 0, f->err, sizeof f->err), 0);
	assert_int_equal(store_schema_version(f->s), store_schema_latest());
}

static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db = NULL;
	char sql[64];
	struct store *s = NULL;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", store_schema_latest() + 1);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE future (x);", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	assert_int_equal(store_open(f->db, STORE_WRITER, &s, f->err, sizeof f->err),
			 BOT_ERR_DB_NEWER);
	assert_null(s);
	assert_contains(f->err, f->db);
	assert_contains(f->err, "newer");
	assert_int_equal(store_open(f->db, STORE_READER, &s, f->err, sizeof f->err),
			 BOT_ERR_DB_NEWER);
	assert_null(s);
	/* Refusing did not touch the version. */
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	{
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
				 SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), store_schema_latest() + 1);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void test_not_a_database(void **state)
{
	struct fixture *f = *state;
	char text[4096];
	char *after;
	size_t len = 0;
	struct store *s = NULL;
	struct stat sb;
	char wal[160];

	for (size_t i = 0; i < sizeof text; i++)
		text[i] = "These are my meeting notes, not a database.\n"[i % 44];
	file_write(f->db, text, sizeof text);

	assert_int_equal(store_open(f->db, STORE_WRITER, &s, f->err, sizeof f->err),
			 BOT_ERR_DB_NOTADB);
	assert_null(s);
	assert_contains(f->err, f->db);
	assert_null(strchr(f->err, '\n'));
	assert_int_equal(store_open(f->db, STORE_READER, &s, f->err, sizeof f->err),
			 BOT_ERR_DB_NOTADB);
	assert_null(s);

	after = file_read(f->db, &len);
	assert_non_null(after);
	assert_int_equal(len, sizeof text);
	assert_memory_equal(after, text, sizeof text);
	free(after);
	snprintf(wal, sizeof wal, "%s-wal", f->db);
	assert_int_not_equal(stat(wal, &sb), 0);
}

static void test_second_writer_locked(void **state)
{
	struct fixture *f = *state;
	struct store *second = NULL, *reader = NULL;
	struct session_rec rec;

	open_writer(f);
	add_session(f->s, "console", "console", T0);
	assert_int_equal(store_open(f->db, STORE_WRITER, &second, f->err, sizeof f->err),
			 BOT_ERR_DB_LOCKED);
	assert_null(second);
	assert_contains(f->err, f->db);
	assert_contains(f->err, "in use");

	/* A reader beside the writer works, and sees committed rows. */
	assert_int_equal(store_open(f->db, STORE_READER, &reader, f->err, sizeof f->err), 0);
	assert_int_equal(store_session_latest_in(reader, "console", "console", &rec), 0);
	assert_string_equal(rec.facilitator, "alice");
	store_close(reader);

	/* The first writer still works after the refusal (its lock was not dropped). */
	add_session(f->s, "console", "C2", T0);
	assert_int_equal(store_open(f->db, STORE_WRITER, &second, f->err, sizeof f->err),
			 BOT_ERR_DB_LOCKED);

	/* Once it is closed, the next writer gets in. */
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->db, STORE_WRITER, &second, f->err, sizeof f->err), 0);
	assert_int_equal(store_session_latest_in(second, "console", "C2", &rec), 0);
	store_close(second);
}

static void test_reader_missing_file(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct stat sb;

	assert_int_equal(store_open(f->db, STORE_READER, &s, f->err, sizeof f->err),
			 BOT_ERR_NOT_FOUND);
	assert_null(s);
	assert_contains(f->err, f->db);
	assert_int_not_equal(stat(f->db, &sb), 0);  /* not created */
}

static void test_reader_cannot_write(void **state)
{
	struct fixture *f = *state;
	struct store *reader = NULL;
	struct session_rec rec = { 0 };

	open_writer(f);
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(store_open(f->db, STORE_READER, &reader, f->err, sizeof f->err), 0);
	snprintf(rec.transport, sizeof rec.transport, "console");
	snprintf(rec.channel, sizeof rec.channel, "x");
	snprintf(rec.timezone, sizeof rec.timezone, "UTC");
	assert_int_equal(store_session_insert(reader, &rec), BOT_ERR_DB_READONLY);
	assert_int_equal(store_session_latest_in(reader, "console", "x", &rec), BOT_ERR_NOT_FOUND);
	store_close(reader);
}

/* ---- answers ------------------------------------------------------------------------- */

struct answers_seen {
	size_t n;
	int64_t id[8];
	char user[8][32];
	char text[8][64];
	char choices[8][64];
};

static int collect_answer(void *ud, const struct answer_rec *a)
{
	struct answers_seen *seen = ud;

	if (seen->n >= ARRAY_LEN(seen->id))
		return -1;
	seen->id[seen->n] = a->id;
	snprintf(seen->user[seen->n], sizeof seen->user[0], "%s", a->user_id);
	snprintf(seen->text[seen->n], sizeof seen->text[0], "%s", a->text);
	snprintf(seen->choices[seen->n], sizeof seen->choices[0], "%s",
		 a->choices ? a->choices : "(null)");
	seen->n++;
	return 0;
}

struct history_seen {
	size_t n;
	char text[8][64];
	char reason[8][16];
	int64_t at[8];
};

static int collect_history(void *ud, const struct answer_history_rec *h)
{
	struct history_seen *seen = ud;

	if (seen->n >= ARRAY_LEN(seen->at))
		return -1;
	snprintf(seen->text[seen->n], sizeof seen->text[0], "%s", h->text);
	snprintf(seen->reason[seen->n], sizeof seen->reason[0], "%s", h->reason);
	seen->at[seen->n] = h->at;
	seen->n++;
	return 0;
}

static void test_answers_history(void **state)
{
	struct fixture *f = *state;
	struct answers_seen cur;
	struct history_seen hist;
	bool replaced = true;
	int64_t sid, aid;

	open_writer(f);
	sid = add_session(f->s, "console", "console", T0);

	assert_int_equal(store_answer_put(f->s, sid, "goals-personal", "alice", "first", NULL,
					  NULL, T0, &replaced), 0);
	assert_false(replaced);
	assert_int_equal(store_answer_put(f->s, sid, "goals-personal", "bob", "bob's", NULL,
					  NULL, T0 + 1, &replaced), 0);
	assert_false(replaced);
	assert_int_equal(store_answer_put(f->s, sid, "goals-personal", "alice", "second", NULL,
					  NULL, T0 + 2, &replaced), 0);
	assert_true(replaced);

	memset(&cur, 0, sizeof cur);
	assert_int_equal(store_answer_each(f->s, sid, "goals-personal", collect_answer, &cur), 0);
	assert_int_equal(cur.n, 2);
	/* In the order first given: alice's answer keeps its place. */
	assert_string_equal(cur.user[0], "alice");
	assert_string_equal(cur.text[0], "second");
	assert_string_equal(cur.user[1], "bob");
	aid = cur.id[0];

	memset(&hist, 0, sizeof hist);
	assert_int_equal(store_answer_history_each(f->s, aid, collect_history, &hist), 0);
	assert_int_equal(hist.n, 1);
	assert_string_equal(hist.text[0], "first");
	assert_string_equal(hist.reason[0], "replaced");
	assert_int_equal(hist.at[0], T0 + 2);

	/* Retract: gone from the current answers, kept in history. */
	assert_int_equal(store_answer_retract(f->s, sid, "goals-personal", "alice", T0 + 3), 0);
	memset(&cur, 0, sizeof cur);
	assert_int_equal(store_answer_each(f->s, sid, "goals-personal", collect_answer, &cur), 0);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.user[0], "bob");
	memset(&hist, 0, sizeof hist);
	assert_int_equal(store_answer_history_each(f->s, aid, collect_history, &hist), 0);
	assert_int_equal(hist.n, 2);
	assert_string_equal(hist.text[1], "second");
	assert_string_equal(hist.reason[1], "retracted");
	assert_int_equal(hist.at[1], T0 + 3);

	/* Nothing left to retract. */
	assert_int_equal(store_answer_retract(f->s, sid, "goals-personal", "alice", T0 + 4),
			 BOT_ERR_NOT_FOUND);
	assert_int_equal(store_answer_retract(f->s, sid, "goals-team", "alice", T0 + 4),
			 BOT_ERR_NOT_FOUND);

	/* Answering again after a retraction is not a replacement (nothing current), and the
	 * retracted text is not archived twice. */
	assert_int_equal(store_answer_put(f->s, sid, "goals-personal", "alice", "third", NULL,
					  NULL, T0 + 5, &replaced), 0);
	assert_false(replaced);
	memset(&cur, 0, sizeof cur);
	assert_int_equal(store_answer_each(f->s, sid, "goals-personal", collect_answer, &cur), 0);
	assert_int_equal(cur.n, 2);
	assert_int_equal(cur.id[0], aid);
	assert_string_equal(cur.text[0], "third");
	memset(&hist, 0, sizeof hist);
	assert_int_equal(store_answer_history_each(f->s, aid, collect_history, &hist), 0);
	assert_int_equal(hist.n, 2);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM answer_history"), 2);
}

static void test_answers_choices_and_filter(void **state)
{
	struct fixture *f = *state;
	struct answers_seen cur;
	bool replaced;
	int64_t sid, other;

	open_writer(f);
	sid = add_session(f->s, "console", "console", T0);
	other = add_session(f->s, "console", "C2", T0);
	assert_int_equal(store_answer_put(f->s, sid, "key-terms-used", "alice", "1, 3",
					  "[\"Community analysis\",\"Outreach\"]", NULL, T0,
					  &replaced), 0);
	assert_int_equal(store_answer_put(f->s, sid, "goals-team", "alice", "team", NULL, NULL,
					  T0 + 1, &replaced), 0);
	assert_int_equal(store_answer_put(f->s, other, "goals-team", "alice", "elsewhere", NULL,
					  NULL, T0 + 1, &replaced), 0);

	memset(&cur, 0, sizeof cur);
	assert_int_equal(store_answer_each(f->s, sid, "key-terms-used", collect_answer, &cur), 0);
	assert_int_equal(cur.n, 1);
	assert_string_equal(cur.text[0], "1, 3");
	assert_string_equal(cur.choices[0], "[\"Community analysis\",\"Outreach\"]");

	memset(&cur, 0, sizeof cur);
	assert_int_equal(store_answer_each(f->s, sid, NULL, collect_answer, &cur), 0);
	assert_int_equal(cur.n, 2);
	assert_string_equal(cur.text[0], "1, 3");
	assert_string_equal(cur.text[1], "team");
	assert_string_equal(cur.choices[1], "(null)");
}

struct exact {
	const char *want;
	size_t n;
	bool equal;
};

static int check_exact(void *ud, const struct answer_rec *a)
{
	struct exact *e = ud;

	e->n++;
	e->equal = strlen(a->text) == strlen(e->want) && strcmp(a->text, e->want) == 0;
	return 0;
}

static void test_answers_byte_for_byte(void **state)
{
	struct fixture *f = *state;
	static const char *const texts[] = {
		"It's \"quoted\" and 'single' and `back`",
		"'); DROP TABLE answers; --",
		"Robert'); DELETE FROM sessions WHERE 1=1; SELECT ('",
		"%s %d %n \\ \\0 ?1 :name @x $y",
		"Party \xf0\x9f\x8e\x89 team \xf0\x9f\x91\xa9\xf0\x9f\x8f\xbd\xe2\x80\x8d\xf0\x9f\x92\xbb",
		"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb9\xd8\xa7\xd9\x84\xd9\x85 (right to left)",
		"line one\nline two\r\n\ttabbed   ",
		"  leading and trailing spaces  ",
	};
	char *big;
	size_t at = 0;
	int64_t sid;
	bool replaced;
	char prompt[32];
	struct exact e;

	open_writer(f);
	sid = add_session(f->s, "console", "console", T0);

	/* 10,000 characters, some of them two-, three- and four-byte UTF-8. */
	big = malloc(10000 * 4 + 1);
	assert_non_null(big);
	for (int i = 0; i < 10000; i++) {
		static const char *const pieces[] = { "a", "\xc3\xa9", "\xe2\x82\xac",
						      "\xf0\x9f\x98\x80", "'", "\"", ";" };
		const char *p = pieces[i % 7];
		memcpy(big + at, p, strlen(p));
		at += strlen(p);
	}
	big[at] = '\0';

	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		snprintf(prompt, sizeof prompt, "p%zu", i);
		assert_int_equal(store_answer_put(f->s, sid, prompt, "alice", texts[i], NULL, NULL,
						  T0, &replaced), 0);
	}
	assert_int_equal(store_answer_put(f->s, sid, "big", "alice", big, NULL, NULL, T0,
					  &replaced), 0);
	/* The injection attempts did nothing. */
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM sessions"), 1);

	reopen(f);
	for (size_t i = 0; i < ARRAY_LEN(texts); i++) {
		snprintf(prompt, sizeof prompt, "p%zu", i);
		e = (struct exact){ texts[i], 0, false };
		assert_int_equal(store_answer_each(f->s, sid, prompt, check_exact, &e), 0);
		assert_int_equal(e.n, 1);
		if (!e.equal)
			fail_msg("answer %zu changed in the store: %s", i, texts[i]);
	}
	e = (struct exact){ big, 0, false };
	assert_int_equal(store_answer_each(f->s, sid, "big", check_exact, &e), 0);
	assert_int_equal(e.n, 1);
	assert_true(e.equal);
	free(big);
}

/* ---- action items -------------------------------------------------------------------- */

struct ids_seen {
	size_t n;
	int64_t id[8];
};

static int collect_action_id(void *ud, const struct action_rec *a)
{
	struct ids_seen *seen = ud;

	if (seen->n >= ARRAY_LEN(seen->id))
		return -1;
	seen->id[seen->n++] = a->id;
	return 0;
}

static void test_actions(void **state)
{
	struct fixture *f = *state;
	struct action_rec a = { 0 }, b = { 0 }, got;
	struct ids_seen seen;
	int64_t sid, other;

	open_writer(f);
	sid = add_session(f->s, "console", "console", T0);
	other = add_session(f->s, "console", "C2", T0);

	a.session_id = sid;
	a.text = "Call the \"food bank\"; then 'email' \xf0\x9f\x93\xa7";
	a.owner = "sam";
	a.due_date = "2026-12-04";
	a.created_by = "alice";
	assert_int_equal(store_action_insert(f->s, &a, T0), 0);
	assert_true(a.id > 0);
	assert_int_equal(a.status, ACTION_OPEN);
	assert_int_equal(a.created_at, T0);
	assert_int_equal(a.done_at, 0);

	b.session_id = sid;
	b.text = "Unowned, undated";
	b.created_by = "bob";
	assert_int_equal(store_action_insert(f->s, &b, T0 + 1), 0);
	assert_true(b.id > a.id);

	assert_int_equal(store_action_get(f->s, a.id, &got), 0);
	assert_int_equal(got.id, a.id);
	assert_int_equal(got.session_id, sid);
	assert_string_equal(got.text, a.text);
	assert_string_equal(got.owner, "sam");
	assert_string_equal(got.due_date, "2026-12-04");
	assert_string_equal(got.created_by, "alice");
	assert_int_equal(got.status, ACTION_OPEN);
	assert_int_equal(got.created_at, T0);
	assert_int_equal(got.updated_at, T0);
	assert_int_equal(got.done_at, 0);
	action_rec_clear(&got);
	assert_null(got.text);

	assert_int_equal(store_action_get(f->s, b.id, &got), 0);
	assert_null(got.owner);
	assert_null(got.due_date);
	action_rec_clear(&got);

	assert_int_equal(store_action_get(f->s, 9999, &got), BOT_ERR_NOT_FOUND);

	/* Done: done_at is set, and stays at the first time when marked done again. */
	a.status = ACTION_DONE;
	a.owner = "carol";
	a.due_date = NULL;
	assert_int_equal(store_action_update(f->s, &a, T0 + 10), 0);
	assert_int_equal(store_action_get(f->s, a.id, &got), 0);
	assert_int_equal(got.status, ACTION_DONE);
	assert_int_equal(got.done_at, T0 + 10);
	assert_int_equal(got.updated_at, T0 + 10);
	assert_string_equal(got.owner, "carol");
	assert_null(got.due_date);
	assert_string_equal(got.text, a.text);   /* update does not touch the text */
	action_rec_clear(&got);
	assert_int_equal(store_action_update(f->s, &a, T0 + 20), 0);
	assert_int_equal(store_action_get(f->s, a.id, &got), 0);
	assert_int_equal(got.done_at, T0 + 10);
	assert_int_equal(got.updated_at, T0 + 20);
	action_rec_clear(&got);

	/* Filters: open items only by default, by owner, and per channel. */
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_action_each_in(f->s, "console", "console", ACTIONS_OPEN, NULL,
					      collect_action_id, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.id[0], b.id);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_action_each_in(f->s, "console", "console", ACTIONS_ALL, NULL,
					      collect_action_id, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.id[0], a.id);
	assert_int_equal(seen.id[1], b.id);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_action_each_in(f->s, "console", "console", ACTIONS_ALL, "carol",
					      collect_action_id, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.id[0], a.id);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_action_each_in(f->s, "console", "C2", ACTIONS_ALL, NULL,
					      collect_action_id, &seen), 0);
	assert_int_equal(seen.n, 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_action_each_of(f->s, other, collect_action_id, &seen), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(store_action_each_of(f->s, sid, collect_action_id, &seen), 0);
	assert_int_equal(seen.n, 2);

	/* Reopen clears done_at. */
	a.status = ACTION_OPEN;
	assert_int_equal(store_action_update(f->s, &a, T0 + 30), 0);
	assert_int_equal(store_action_get(f->s, a.id, &got), 0);
	assert_int_equal(got.status, ACTION_OPEN);
	assert_int_equal(got.done_at, 0);
	assert_int_equal(got.updated_at, T0 + 30);
	action_rec_clear(&got);
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM action_items WHERE done_at IS NULL"),
			 2);

	assert_string_equal(action_status_name(ACTION_OPEN), "open");
	assert_string_equal(action_status_name(ACTION_DONE), "done");
}

/* ---- outbox -------------------------------------------------------------------------- */

struct outbox_seen {
	size_t n;
	int64_t id[8];
	char channel[8][16];
	char thread[8][16];
	char body[8][64];
	int64_t session_id[8];
	long prompt_index[8];
};

static int collect_outbox(void *ud, const struct outbox_rec *m)
{
	struct outbox_seen *seen = ud;

	if (seen->n >= ARRAY_LEN(seen->id))
		return -1;
	seen->id[seen->n] = m->id;
	snprintf(seen->channel[seen->n], sizeof seen->channel[0], "%s", m->channel);
	snprintf(seen->thread[seen->n], sizeof seen->thread[0], "%s",
		 m->thread ? m->thread : "(null)");
	snprintf(seen->body[seen->n], sizeof seen->body[0], "%s", m->body);
	seen->session_id[seen->n] = m->session_id;
	seen->prompt_index[seen->n] = m->prompt_index;
	assert_string_equal(m->transport, "test");
	seen->n++;
	return 0;
}

static int check_direct(void *ud, const struct outbox_rec *m)
{
	(void)ud;
	assert_int_equal(m->kind, OUTBOX_DIRECT);
	assert_string_equal(m->channel, "U7");
	assert_null(m->target_ref);
	return 0;
}

/* A direct message round trip: kind 'direct' with the person as its channel; the direct
 * channel and the preference are remembered per transport; a reminder's action items are
 * found again by the id the transport gave the sent message. */
static void test_outbox_direct(void **state)
{
	struct fixture *f = *state;
	struct outbox_rec rec = { .kind = OUTBOX_DIRECT, .transport = "test", .channel = "U7",
				  .body = "[[\"t\",\"psst\"]]", .prompt_index = -1 };
	struct action_rec a = { .text = "one", .created_by = "U7" }, b = a;
	int64_t ids[4], msg_id;
	char buf[32];
	size_t n;
	bool on = true;

	open_writer(f);
	a.session_id = b.session_id = add_session(f->s, "test", "C1", T0);
	assert_int_equal(store_action_insert(f->s, &a, T0), 0);
	assert_int_equal(store_action_insert(f->s, &b, T0), 0);
	assert_int_equal(store_outbox_put(f->s, &rec, T0), 0);
	msg_id = store_last_id(f->s);
	assert_int_equal(store_outbox_add_action(f->s, msg_id, b.id), 0);
	assert_int_equal(store_outbox_add_action(f->s, msg_id, a.id), 0);
	query_text(f->s, "SELECT kind || ' ' || channel FROM outbox", buf, sizeof buf);
	assert_string_equal(buf, "direct U7");
	assert_int_equal(store_outbox_each_pending(f->s, "test", 0, 10, check_direct, NULL), 0);

	/* Not sent yet: no message has that id. */
	assert_int_equal(store_direct_channel(f->s, "test", "U7", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(store_direct_channel_set(f->s, "test", "U7", "DU7"), 0);
	assert_int_equal(store_outbox_actions_of(f->s, "test", "DU7", "D1.1", ids, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_mark_sent(f->s, msg_id, "D1.1", T0), 0);
	assert_int_equal(store_outbox_actions_of(f->s, "test", "DU7", "D1.1", ids, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], a.id);
	assert_int_equal(ids[1], b.id);
	assert_int_equal(store_outbox_actions_of(f->s, "other", "DU7", "D1.1", ids, 4, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_actions_of(f->s, "test", "DU7", "D1.1", ids, 1, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(store_direct_channel_set(f->s, "test", "U7", "DU7"), 0);
	assert_int_equal(store_direct_channel_set(f->s, "test", "U7", "DU7b"), 0);
	assert_int_equal(store_direct_channel(f->s, "test", "U7", buf, sizeof buf), 0);
	assert_string_equal(buf, "DU7b");
	assert_int_equal(store_direct_channel(f->s, "other", "U7", buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(store_direct_user(f->s, "test", "DU7b", buf, sizeof buf), 0);
	assert_string_equal(buf, "U7");
	assert_int_equal(store_direct_user(f->s, "test", "C1", buf, sizeof buf), 0);
	assert_string_equal(buf, "");

	assert_int_equal(store_direct_pref(f->s, "test", "U7", &on), 0);
	assert_false(on);
	assert_int_equal(store_direct_pref_set(f->s, "test", "U7", true), 0);
	assert_int_equal(store_direct_pref(f->s, "test", "U7", &on), 0);
	assert_true(on);
	assert_int_equal(store_direct_pref(f->s, "other", "U7", &on), 0);
	assert_false(on);
	assert_int_equal(store_direct_pref_set(f->s, "test", "U7", false), 0);
	assert_int_equal(store_direct_pref(f->s, "test", "U7", &on), 0);
	assert_false(on);
}

/* A Slack ts is unique only per channel: the ✅ on a message finds the reminder sent
 * with that ts in that channel (a direct one: in the person's direct channel), never
 * one with the same ts elsewhere. */
static void test_outbox_actions_match_the_channel(void **state)
{
	struct fixture *f = *state;
	struct outbox_rec post = { .kind = OUTBOX_POST, .transport = "test", .channel = "C1",
				   .body = "[[\"t\",\"r\"]]", .prompt_index = -1 };
	struct outbox_rec direct = post;
	struct action_rec a = { .text = "one", .created_by = "U7" }, b = a;
	int64_t ids[4], post_id, direct_id;
	size_t n;

	direct.kind = OUTBOX_DIRECT;
	direct.channel = "U7";
	open_writer(f);
	a.session_id = b.session_id = add_session(f->s, "test", "C1", T0);
	assert_int_equal(store_action_insert(f->s, &a, T0), 0);
	assert_int_equal(store_action_insert(f->s, &b, T0), 0);
	assert_int_equal(store_outbox_put(f->s, &post, T0), 0);
	post_id = store_last_id(f->s);
	assert_int_equal(store_outbox_put(f->s, &direct, T0), 0);
	direct_id = store_last_id(f->s);
	assert_int_equal(store_outbox_add_action(f->s, post_id, a.id), 0);
	assert_int_equal(store_outbox_add_action(f->s, direct_id, b.id), 0);
	assert_int_equal(store_outbox_mark_sent(f->s, post_id, "5.5", T0), 0);
	assert_int_equal(store_outbox_mark_sent(f->s, direct_id, "5.5", T0), 0);
	assert_int_equal(store_direct_channel_set(f->s, "test", "U7", "DU7"), 0);

	assert_int_equal(store_outbox_actions_of(f->s, "test", "C1", "5.5", ids, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], a.id);
	assert_int_equal(store_outbox_actions_of(f->s, "test", "DU7", "5.5", ids, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], b.id);
	assert_int_equal(store_outbox_actions_of(f->s, "test", "C2", "5.5", ids, 4, &n), 0);
	assert_int_equal(n, 0);
	/* The row's channel of a direct message is a user id, not a channel to match. */
	assert_int_equal(store_outbox_actions_of(f->s, "test", "U7", "5.5", ids, 4, &n), 0);
	assert_int_equal(n, 0);
}

/* Answers by direct message go to the latest active async session the person is a
 * member of, on that transport. */
static void test_session_async_of(void **state)
{
	struct fixture *f = *state;
	struct session_rec rec;
	int64_t older, newer, other;

	open_writer(f);
	older = add_session(f->s, "test", "C1", T0);
	newer = add_session(f->s, "test", "C2", T0 + 10);
	add_session(f->s, "test", "C3", T0 + 20);    /* live, the newest of U1's on test */
	other = add_session(f->s, "other", "C1", T0 + 30);
	assert_int_equal(store_session_get(f->s, older, &rec), 0);
	rec.pace = PACE_ASYNC;
	assert_int_equal(store_session_update(f->s, &rec), 0);
	assert_int_equal(store_session_get(f->s, newer, &rec), 0);
	rec.pace = PACE_ASYNC;
	assert_int_equal(store_session_update(f->s, &rec), 0);
	assert_int_equal(store_session_get(f->s, other, &rec), 0);
	rec.pace = PACE_ASYNC;
	assert_int_equal(store_session_update(f->s, &rec), 0);
	for (int64_t sid = older; sid <= other; sid++)
		assert_int_equal(store_member_touch(f->s, sid, "U1", "alice", T0), 0);
	assert_int_equal(store_member_touch(f->s, older, "U2", "bob", T0), 0);

	assert_int_equal(store_session_async_of(f->s, "test", "U1", &rec), 0);
	assert_int_equal(rec.id, newer);
	assert_int_equal(store_session_async_of(f->s, "test", "U2", &rec), 0);
	assert_int_equal(rec.id, older);
	assert_int_equal(store_session_async_of(f->s, "test", "U3", &rec), BOT_ERR_NOT_FOUND);
	assert_int_equal(store_session_get(f->s, newer, &rec), 0);
	rec.state = SESSION_PAUSED;
	assert_int_equal(store_session_update(f->s, &rec), 0);
	assert_int_equal(store_session_async_of(f->s, "test", "U1", &rec), 0);
	assert_int_equal(rec.id, older);
}

static void test_outbox(void **state)
{
	struct fixture *f = *state;
	struct outbox_seen seen;
	char ref[32];
	int64_t sid;

	open_writer(f);
	sid = add_session(f->s, "test", "C1", T0);
	assert_int_equal(store_prompt_set_state(f->s, sid, 3, "open", T0), 0);

	assert_int_equal(put_post(f->s, "test", "C1", NULL, "[[\"t\",\"one\"]]", 0, -1,
					  T0), 0);
	assert_int_equal(put_post(f->s, "other", "X", NULL, "[[\"t\",\"elsewhere\"]]", 0,
					  -1, T0), 0);
	assert_int_equal(put_post(f->s, "test", "C1", "T9", "[[\"t\",\"question\"]]", sid,
					  3, T0), 0);
	assert_int_equal(put_post(f->s, "test", "C2", NULL, "[[\"t\",\"three\"]]", 0, -1,
					  T0), 0);

	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_outbox_each_pending(f->s, "test", 0, 10, collect_outbox, &seen), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.body[0], "[[\"t\",\"one\"]]");
	assert_string_equal(seen.thread[0], "(null)");
	assert_int_equal(seen.session_id[0], 0);
	assert_int_equal(seen.prompt_index[0], -1);
	assert_string_equal(seen.body[1], "[[\"t\",\"question\"]]");
	assert_string_equal(seen.channel[1], "C1");
	assert_string_equal(seen.thread[1], "T9");
	assert_int_equal(seen.session_id[1], sid);
	assert_int_equal(seen.prompt_index[1], 3);
	assert_string_equal(seen.channel[2], "C2");

	/* The limit takes the oldest first. */
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_outbox_each_pending(f->s, "test", 0, 1, collect_outbox, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.body[0], "[[\"t\",\"one\"]]");
	/* After an id: only the newer ones (a flush's cursor). */
	{
		int64_t first = seen.id[0];

		memset(&seen, 0, sizeof seen);
		assert_int_equal(store_outbox_each_pending(f->s, "test", first, 10, collect_outbox,
							   &seen), 0);
		assert_int_equal(seen.n, 2);
		assert_true(seen.id[0] > first);
		assert_string_equal(seen.channel[1], "C2");
		memset(&seen, 0, sizeof seen);
		assert_int_equal(store_outbox_each_pending(f->s, "test", 0, 1, collect_outbox,
							   &seen), 0);
	}

	/* A plain message sent: no prompt gets its ref. */
	assert_int_equal(store_outbox_mark_sent(f->s, seen.id[0], "ts-1", T0 + 1), 0);
	query_text(f->s, "SELECT coalesce(remote_ref, '(null)') FROM session_prompts", ref,
		   sizeof ref);
	assert_string_equal(ref, "(null)");

	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_outbox_each_pending(f->s, "test", 0, 10, collect_outbox, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.body[0], "[[\"t\",\"question\"]]");

	/* The question post: its ref is recorded on the session's prompt. */
	assert_int_equal(store_outbox_mark_sent(f->s, seen.id[0], "1700000000.000100", T0 + 2), 0);
	query_text(f->s, "SELECT remote_ref FROM session_prompts WHERE prompt_index = 3", ref,
		   sizeof ref);
	assert_string_equal(ref, "1700000000.000100");
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM outbox WHERE state = 'sent' AND "
				   "remote_ref = '1700000000.000100' AND sent_at IS NOT NULL"), 1);

	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_outbox_each_pending(f->s, "test", 0, 10, collect_outbox, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.body[0], "[[\"t\",\"three\"]]");
	/* The other transport's message is still pending. */
	assert_int_equal(query_int(f->s, "SELECT count(*) FROM outbox WHERE transport = 'other' "
				   "AND state = 'pending'"), 1);
}

/* ---- sessions ------------------------------------------------------------------------ */

static void test_sessions_open_and_latest(void **state)
{
	struct fixture *f = *state;
	struct session_rec rec, got;
	int64_t first, second;
	char buf[16];

	open_writer(f);
	assert_int_equal(store_session_open_in(f->s, "test", "C1", &got), BOT_ERR_NOT_FOUND);
	assert_int_equal(store_session_latest_in(f->s, "test", "C1", &got), BOT_ERR_NOT_FOUND);

	first = add_session(f->s, "test", "C1", T0);
	add_session(f->s, "test", "C2", T0);
	add_session(f->s, "other", "C1", T0);
	assert_int_equal(store_session_open_in(f->s, "test", "C1", &got), 0);
	assert_int_equal(got.id, first);
	assert_string_equal(got.transport, "test");
	assert_string_equal(got.channel, "C1");
	assert_string_equal(got.template_id, "community-engagement");
	assert_int_equal(got.ended_at, 0);

	/* Ended: no longer open, still the latest. */
	rec = got;
	rec.state = SESSION_ENDED;
	rec.ended_at = T0 + 100;
	rec.prompt_index = 9;
	assert_int_equal(store_session_update(f->s, &rec), 0);
	assert_int_equal(store_session_open_in(f->s, "test", "C1", &got), BOT_ERR_NOT_FOUND);
	assert_int_equal(store_session_latest_in(f->s, "test", "C1", &got), 0);
	assert_int_equal(got.id, first);
	assert_int_equal(got.state, SESSION_ENDED);
	assert_int_equal(got.ended_at, T0 + 100);
	assert_int_equal(got.prompt_index, 9);

	/* A new session in the channel is both open and latest. */
	second = add_session(f->s, "test", "C1", T0 + 200);
	assert_int_equal(store_session_open_in(f->s, "test", "C1", &got), 0);
	assert_int_equal(got.id, second);
	assert_int_equal(store_session_latest_in(f->s, "test", "C1", &got), 0);
	assert_int_equal(got.id, second);

	/* Paused still counts as open. */
	rec = got;
	rec.state = SESSION_PAUSED;
	assert_int_equal(store_session_update(f->s, &rec), 0);
	assert_int_equal(store_session_open_in(f->s, "test", "C1", &got), 0);
	assert_int_equal(got.id, second);
	assert_int_equal(got.state, SESSION_PAUSED);

	assert_int_equal(store_session_get(f->s, 12345, &got), BOT_ERR_NOT_FOUND);
	assert_string_equal(session_state_name(SESSION_ACTIVE), "active");
	assert_string_equal(session_state_name(SESSION_PAUSED), "paused");
	assert_string_equal(session_state_name(SESSION_ENDED), "ended");

	/* Prompt states. */
	assert_int_equal(store_prompt_state(f->s, second, 0, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(store_prompt_set_state(f->s, second, 0, "open", T0), 0);
	assert_int_equal(store_prompt_state(f->s, second, 0, buf, sizeof buf), 0);
	assert_string_equal(buf, "open");
	assert_int_equal(store_prompt_set_state(f->s, second, 0, "skipped", T0 + 1), 0);
	assert_int_equal(store_prompt_state(f->s, second, 0, buf, sizeof buf), 0);
	assert_string_equal(buf, "skipped");
}

struct members_seen {
	size_t n;
	char id[4][16];
	char name[4][16];
};

static int collect_member(void *ud, const char *user_id, const char *display_name)
{
	struct members_seen *seen = ud;

	if (seen->n >= ARRAY_LEN(seen->id))
		return -1;
	snprintf(seen->id[seen->n], sizeof seen->id[0], "%s", user_id);
	snprintf(seen->name[seen->n], sizeof seen->name[0], "%s", display_name);
	seen->n++;
	return 0;
}

static void test_members(void **state)
{
	struct fixture *f = *state;
	struct members_seen seen;
	int64_t sid;

	open_writer(f);
	sid = add_session(f->s, "test", "C1", T0);
	assert_int_equal(store_member_touch(f->s, sid, "U2", "bob", T0), 0);
	assert_int_equal(store_member_touch(f->s, sid, "U1", "alice", T0 + 1), 0);
	assert_int_equal(store_member_touch(f->s, sid, "U2", "Bob B.", T0 + 2), 0);
	memset(&seen, 0, sizeof seen);
	assert_int_equal(store_member_each(f->s, sid, collect_member, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.id[0], "U2");
	assert_string_equal(seen.name[0], "Bob B.");
	assert_string_equal(seen.id[1], "U1");
	assert_string_equal(seen.name[1], "alice");
	/* One member's name, looked up directly. */
	{
		char name[32];

		assert_int_equal(store_member_name(f->s, sid, "U2", name, sizeof name), 0);
		assert_string_equal(name, "Bob B.");
		assert_int_equal(store_member_name(f->s, sid, "U9", name, sizeof name), 0);
		assert_string_equal(name, "");
	}
}

int main(void)
{
	const struct CMUnitTest open_tests[] = {
		cmocka_unit_test_setup_teardown(test_open_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_empty_file_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uncommitted_is_lost_on_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writes_build_no_temporary_btree, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_every_older_version, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_migrate_to_is_idempotent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_writer_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_cannot_write, setup, teardown),
	};
	const struct CMUnitTest table_tests[] = {
		cmocka_unit_test_setup_teardown(test_answers_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_choices_and_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_byte_for_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_actions_match_the_channel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_session_async_of, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sessions_open_and_latest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_members, setup, teardown),
	};
	int failed = 0;

	/* The store logs refusals and migrations; the assertions check them instead. */
	log_set_level(LOG_ERR);
	failed += cmocka_run_group_tests_name("store: open, migrate, refuse", open_tests, NULL,
					      NULL);
	failed += cmocka_run_group_tests_name("store: answers, action items, outbox, sessions",
					      table_tests, NULL, NULL);
	return failed;
}
