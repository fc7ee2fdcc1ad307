#define _DEFAULT_SOURCE /* flock */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "store_schema.h"

#define STMT_CACHE_MAX 96

struct cached_stmt {
	const char *sql;
	sqlite3_stmt *st;
};

struct store {
	sqlite3 *db;
	int lock_fd;     /* writer: the flock'd fd, closed only after sqlite3_close */
	char *path;
	struct cached_stmt stmts[STMT_CACHE_MAX];
	size_t n_stmts;
	char fault[320];   /* the last write that failed for want of a writable disk */
	bool turn;         /* a turn's transaction is open: store_begin makes a savepoint */
	bool step;         /* a savepoint of store_begin is open inside the turn */
};

static int map_sqlite_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return BOT_ERR_DB_LOCKED;
	case SQLITE_READONLY:
	case SQLITE_FULL:
	/* A write the file system refused (EFBIG past RLIMIT_FSIZE, EIO, EROFS, a failed
	 * fsync): SQLite rolls back, and every later write would fail the same way. */
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM: return BOT_ERR_DB_READONLY;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT: return BOT_ERR_DB_NOTADB;
	default: return BOT_ERR_DB;
	}
}

static int fail_sqlite(struct store *s, int rc, char *err, size_t errlen, const char *what)
{
	int code = map_sqlite_err(rc);
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	const char *hint = "";

	if (code == BOT_ERR_DB_NOTADB)
		hint = " (is this the right --db file?)";
	else if (code == BOT_ERR_DB_READONLY)
		hint = " (check the file's permissions and free disk space)";
	return bot_fail(err, errlen, code, "database %s: %s: %s%s", s->path, what, msg, hint);
}

/* Runs SQL that returns no rows; used for pragmas and migrations only. */
static int exec_sql(struct store *s, const char *sql, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return fail_sqlite(s, rc, err, errlen, what);
	return 0;
}

int store_schema_latest(void)
{
	return (int)store_schema_count();
}

int store_schema_version(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int version = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version;
}

/* The number of rows PRAGMA foreign_key_check reports (0: every reference holds), or -1
 * when it cannot run. */
static int foreign_key_violations(struct store *s)
{
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	if (sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n++;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

static int run_migrations(struct store *s, int current, int version, char *err, size_t errlen)
{
	char sql[64];
	int result;

	for (int v = current; v < version; v++) {
		result = exec_sql(s, "BEGIN IMMEDIATE", err, errlen, "starting a migration");
		if (result)
			return result;
		result = exec_sql(s, store_schema_migration((size_t)v), err, errlen, "migrating");
		if (!result && foreign_key_violations(s) != 0)
			result = bot_fail(err, errlen, BOT_ERR_DB, "database %s: migration to "
					  "schema version %d breaks a reference", s->path, v + 1);
		if (!result) {
			snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1);
			result = exec_sql(s, sql, err, errlen, "migrating");
		}
		if (!result)
			result = exec_sql(s, "COMMIT", err, errlen, "committing a migration");
		if (result) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return result;
		}
		log_info("store", "database %s migrated to schema version %d", s->path, v + 1);
		/* Back into the database at once: a migration that rebuilds tables writes them
		 * whole to the WAL, and the next one would add to that (a new database on a
		 * small disk needs room for one migration, not all of them). Best effort: a
		 * checkpoint that cannot finish now runs later. */
		sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	return 0;
}

int store_migrate_to(struct store *s, int version, char *err, size_t errlen)
{
	int current = store_schema_version(s);
	int result;

	if (current < 0)
		return fail_sqlite(s, sqlite3_errcode(s->db), err, errlen, "reading the schema version");
	if (current >= version)
		return 0;
	/* A migration may rebuild a table that others reference (SQLite cannot change a
	 * CHECK in place): that needs foreign keys off, which only works outside a
	 * transaction. Each migration checks the references before it commits. */
	result = exec_sql(s, "PRAGMA foreign_keys = OFF", err, errlen, "preparing a migration");
	if (result)
		return result;
	result = run_migrations(s, current, version, err, errlen);
	if (result) {
		sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
		return result;
	}
	return exec_sql(s, "PRAGMA foreign_keys = ON", err, errlen, "after a migration");
}

/* Creates the file with mode 0600 if needed and takes the writer's exclusive lock. */
static int lock_writer(struct store *s, char *err, size_t errlen)
{
	s->lock_fd = open(s->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0) {
		int code = (errno == EACCES || errno == EROFS || errno == EPERM)
				   ? BOT_ERR_DB_READONLY : BOT_ERR_IO;
		return bot_fail(err, errlen, code, "database %s: cannot open for writing: %s",
				s->path, strerror(errno));
	}
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			return bot_fail(err, errlen, BOT_ERR_DB_LOCKED,
					"database %s is in use by another workshopbot process "
					"(stop it, or use another --db)", s->path);
		return bot_fail(err, errlen, BOT_ERR_IO, "database %s: cannot lock: %s",
				s->path, strerror(errno));
	}
	return 0;
}

static int open_connection(struct store *s, enum store_mode mode, char *err, size_t errlen)
{
	int flags = mode == STORE_WRITER ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
					 : SQLITE_OPEN_READONLY;
	int rc = sqlite3_open_v2(s->path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	int result;

	if (rc != SQLITE_OK)
		return fail_sqlite(s, rc, err, errlen, "cannot open");
	sqlite3_extended_result_codes(s->db, 1);
	if (mode == STORE_WRITER && sqlite3_db_readonly(s->db, "main") == 1)
		return bot_fail(err, errlen, BOT_ERR_DB_READONLY,
				"database %s is read-only (check the file's permissions)", s->path);
	sqlite3_busy_timeout(s->db, mode == STORE_WRITER ? 100 : 2000);
	/* The first read of the file: "not a database" shows up here. */
	result = exec_sql(s, "PRAGMA foreign_keys = ON", err, errlen, "cannot configure");
	if (!result && store_schema_version(s) < 0)
		result = fail_sqlite(s, sqlite3_errcode(s->db), err, errlen, "cannot read");
	if (!result && mode == STORE_WRITER)
		result = exec_sql(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
				  err, errlen, "cannot configure");
	return result;
}

int store_open(const char *path, enum store_mode mode, struct store **out,
	       char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof *s);
	struct stat sb;
	int result = 0;
	int version;

	*out = NULL;
	if (!s)
		return bot_fail(err, errlen, BOT_ERR_NOMEM, "out of memory");
	s->lock_fd = -1;
	s->path = strdup(path);
	if (!s->path) {
		result = bot_fail(err, errlen, BOT_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (mode == STORE_READER && stat(path, &sb) != 0) {
		result = bot_fail(err, errlen, BOT_ERR_NOT_FOUND, "database %s: %s", path,
				  strerror(errno));
		goto out;
	}
	if (mode == STORE_WRITER) {
		result = lock_writer(s, err, errlen);
		if (result)
			goto out;
	}
	result = open_connection(s, mode, err, errlen);
	if (result)
		goto out;

	version = store_schema_version(s);
	if (version > store_schema_latest()) {
		result = bot_fail(err, errlen, BOT_ERR_DB_NEWER,
				  "database %s has schema version %d, newer than this workshopbot "
				  "knows (%d): upgrade workshopbot", path, version,
				  store_schema_latest());
		goto out;
	}
	if (mode == STORE_WRITER)
		result = store_migrate_to(s, store_schema_latest(), err, errlen);
	else if (version < store_schema_latest())
		result = bot_fail(err, errlen, BOT_ERR_DB_NEWER,
				  "database %s has schema version %d; run workshopbot on it once "
				  "to upgrade it to %d", path, version, store_schema_latest());
out:
	if (result) {
		store_close(s);
		return result;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_stmts; i++)
		sqlite3_finalize(s->stmts[i].st);
	if (s->db && sqlite3_close(s->db) != SQLITE_OK)
		log_warn("store", "closing %s: %s", s->path, sqlite3_errmsg(s->db));
	/* Only now: closing any fd of the file would drop SQLite's own POSIX locks. */
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->path);
	free(s);
}

/* The result of a failed write: BOT_ERR_DB_READONLY when the disk refused it (full,
 * read-only, an I/O error: remembered for store_fault, which the caller reports once), else
 * BOT_ERR_DB (logged here). */
static int write_failed(struct store *s, int rc, const char *what)
{
	if (map_sqlite_err(rc) == BOT_ERR_DB_READONLY) {
		snprintf(s->fault, sizeof s->fault, "database %s: %s: %s", s->path, what,
			 sqlite3_errmsg(s->db));
		log_debug("store", "%s", s->fault);
		return BOT_ERR_DB_READONLY;
	}
	log_err("store", "%s: %s", what, sqlite3_errmsg(s->db));
	return BOT_ERR_DB;
}

const char *store_fault(struct store *s)
{
	return s->fault[0] ? s->fault : "database: a write failed";
}

static int tx_exec(struct store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return write_failed(s, rc, sql);
	return 0;
}

/* SQLite rolled the turn's transaction back on its own, after a fault the disk caused
 * (full, I/O error, out of memory): what the turn wrote is lost, and the caller stops. */
static int turn_lost(struct store *s)
{
	if (!s->fault[0])
		snprintf(s->fault, sizeof s->fault, "database %s: a transaction was rolled back",
			 s->path);
	return BOT_ERR_DB_READONLY;
}

int store_begin(struct store *s)
{
	if (!s->turn)
		return tx_exec(s, "BEGIN IMMEDIATE");
	/* A disk fault rolls the whole turn back: nothing of it may be built upon. */
	if (sqlite3_get_autocommit(s->db))
		return turn_lost(s);
	s->step = true;
	return tx_exec(s, "SAVEPOINT step");
}

int store_commit(struct store *s)
{
	int result;

	if (!s->turn) {
		result = tx_exec(s, "COMMIT");
		if (result)
			store_rollback(s);
		return result;
	}
	result = tx_exec(s, "RELEASE step");
	if (result)
		store_rollback(s);
	s->step = false;
	return result;
}

void store_rollback(struct store *s)
{
	if (s->turn) {
		/* Only the step: the rest of the turn stays. */
		if (s->step && !sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK TO step; RELEASE step", NULL, NULL, NULL);
		s->step = false;
		return;
	}
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_turn_begin(struct store *s)
{
	int result;

	/* Inside another transaction (a sync's, a scheduler tick's) writes join that one. */
	if (s->turn || !sqlite3_get_autocommit(s->db))
		return 0;
	result = tx_exec(s, "BEGIN IMMEDIATE");
	s->turn = result == 0;
	return result;
}

bool store_turn_open(const struct store *s)
{
	return s->turn;
}

int store_turn_commit(struct store *s)
{
	int result;

	if (!s->turn)
		return 0;
	s->turn = false;
	s->step = false;
	if (sqlite3_get_autocommit(s->db))
		return turn_lost(s);
	result = tx_exec(s, "COMMIT");
	if (result)
		store_rollback(s);
	return result;
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	for (size_t i = 0; i < s->n_stmts; i++) {
		if (s->stmts[i].sql == sql) {
			st = s->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		log_err("store", "prepare failed: %s", sqlite3_errmsg(s->db));
		return NULL;
	}
	if (s->n_stmts < STMT_CACHE_MAX) {
		s->stmts[s->n_stmts].sql = sql;
		s->stmts[s->n_stmts].st = st;
		s->n_stmts++;
	} else {
		/* A bug, not an input problem: raise STMT_CACHE_MAX. */
		log_err("store", "statement cache full");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int store_step_done(struct store *s, sqlite3_stmt *st)
{
	int rc;

	if (!st)
		return BOT_ERR_DB;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return write_failed(s, rc, "write failed");
	return 0;
}

const char *store_errmsg(struct store *s)
{
	return sqlite3_errmsg(s->db);
}

int64_t store_last_id(struct store *s)
{
	return sqlite3_last_insert_rowid(s->db);
}

int store_changes(struct store *s)
{
	return sqlite3_changes(s->db);
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	if (!v)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, v, -1, SQLITE_TRANSIENT);
}

void store_col_copy(sqlite3_stmt *st, int col, char *buf, size_t len)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	snprintf(buf, len, "%s", v ? (const char *)v : "");
}

char *store_col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	return v ? strdup((const char *)v) : NULL;
}

int store_each_row(struct store *s, sqlite3_stmt *st,
		   int (*row)(void *ud, sqlite3_stmt *st), void *ud)
{
	int rc = SQLITE_DONE, result = 0;

	if (!st)
		return BOT_ERR_DB;
	while (!result && (rc = sqlite3_step(st)) == SQLITE_ROW)
		result = row(ud, st);
	if (!result && rc != SQLITE_DONE) {
		log_err("store", "query failed: %s", sqlite3_errmsg(s->db));
		result = BOT_ERR_DB;
	}
	sqlite3_reset(st);
	return result;
}

int store_one_row(struct store *s, sqlite3_stmt *st, void (*row)(void *ud, sqlite3_stmt *st),
		  void *ud)
{
	int rc;

	if (!st)
		return BOT_ERR_DB;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row(ud, st);
	else if (rc != SQLITE_DONE)
		log_err("store", "query failed: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? BOT_ERR_NOT_FOUND : BOT_ERR_DB;
}

/* A row callback copying column 0 into a text buffer (see store_text_at). */
struct text_out {
	char *buf;
	size_t len;
};

static void copy_text(void *ud, sqlite3_stmt *st)
{
	struct text_out *t = ud;

	store_col_copy(st, 0, t->buf, t->len);
}

int store_text_at(struct store *s, sqlite3_stmt *st, char *buf, size_t len)
{
	struct text_out t = { buf, len };
	int result;

	if (len)
		buf[0] = '\0';
	result = store_one_row(s, st, copy_text, &t);
	return result == BOT_ERR_NOT_FOUND ? 0 : result;
}

int store_text_where(struct store *s, const char *sql, const char *a, const char *b,
		     char *buf, size_t len)
{
	sqlite3_stmt *st = store_stmt(s, sql);

	if (st) {
		store_bind_text(st, 1, a);
		store_bind_text(st, 2, b);
	}
	return store_text_at(s, st, buf, len);
}
