/* store.h - the SQLite store: open, migrate, transactions, cached prepared statements.
 *
 * One connection, used only from the loop thread. WAL, foreign keys on. A writer holds an
 * exclusive advisory lock on the database file for its whole life, so a second daemon or
 * console on the same file is refused at once instead of waiting on SQLite's locks.
 * The domain tables are reached through the store_*.h modules beside this one. */
#ifndef WORKSHOPBOT_STORE_H
#define WORKSHOPBOT_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

enum store_mode {
	STORE_WRITER,   /* read-write, creates and migrates, exclusive lock */
	STORE_READER,   /* read-only, for export and listings beside a running daemon */
};

/* Opens (and for a writer creates with mode 0600 and migrates) the database at path.
 * Returns 0 and sets *out (free with store_close()), or one of BOT_ERR_DB_LOCKED,
 * BOT_ERR_DB_READONLY, BOT_ERR_DB_NOTADB, BOT_ERR_DB_NEWER, BOT_ERR_NOT_FOUND (reader on
 * a missing file), BOT_ERR_DB with a one-line explanation naming the file in err. */
int store_open(const char *path, enum store_mode mode, struct store **out,
	       char *err, size_t errlen);
void store_close(struct store *s);

/* The schema version this program writes, and the one of an open database. */
int store_schema_latest(void);
int store_schema_version(struct store *s);

/* Applies migrations up to version (tests build old schemas with it). Returns 0 or
 * BOT_ERR_DB. */
int store_migrate_to(struct store *s, int version, char *err, size_t errlen);

/* Transactions. begin/commit return 0 or BOT_ERR_DB (BOT_ERR_DB_READONLY on a full or
 * read-only disk); rollback is always safe to call, also when none is open. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* A turn's transaction (bot.c): the writes of one loop turn share one commit. While it is
 * open, begin/commit/rollback above work on a savepoint inside it, so a failed step
 * undoes only itself. turn_commit returns 0 (also when none is open) or an error as
 * commit; a disk fault inside the turn loses the whole turn, which turn_commit reports. */
int store_turn_begin(struct store *s);
int store_turn_commit(struct store *s);
bool store_turn_open(const struct store *s);

/* A prepared statement for sql, cached by the address of sql (pass string literals).
 * The statement comes back reset with bindings cleared; NULL on a prepare error (logged).
 * Borrowed: owned by the store. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* Runs a statement that returns no rows (bound by the caller). Returns 0 or BOT_ERR_DB. */
int store_step_done(struct store *s, sqlite3_stmt *st);

/* The last SQLite error message of the connection. Borrowed. */
const char *store_errmsg(struct store *s);
/* "database PATH: WHAT: SQLite's message" of the last write the disk refused (a result
 * of BOT_ERR_DB_READONLY). */
const char *store_fault(struct store *s);

/* The rowid of the last insert. */
int64_t store_last_id(struct store *s);

/* The number of rows the last statement changed. */
int store_changes(struct store *s);

/* Binds text, or NULL when v is NULL. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *v);
/* Copies column col (or "" when NULL) into buf, truncating to len - 1 bytes. */
void store_col_copy(sqlite3_stmt *st, int col, char *buf, size_t len);
/* A malloc'd copy of column col, or NULL when the column is NULL. Caller frees. */
char *store_col_dup(sqlite3_stmt *st, int col);

/* Steps st (already bound) once: calls row(ud, st) when there is a row and returns 0,
 * BOT_ERR_NOT_FOUND when there is none, or BOT_ERR_DB (also for a NULL st). Resets st. */
int store_one_row(struct store *s, sqlite3_stmt *st, void (*row)(void *ud, sqlite3_stmt *st),
		  void *ud);

/* Copies column 0 of st's first row into buf ("" when there is no row). Returns 0 or
 * BOT_ERR_DB. */
int store_text_at(struct store *s, sqlite3_stmt *st, char *buf, size_t len);
/* The same for the statement sql (cached) with its two parameters bound to the texts a
 * and b: the lookups by (transport, user) or (transport, channel). */
int store_text_where(struct store *s, const char *sql, const char *a, const char *b,
		     char *buf, size_t len);

/* Steps st (already bound) and calls row(ud, st) for each result row; a non-zero return
 * from row stops and is returned. Returns 0 at the end, or BOT_ERR_DB. Resets st. */
int store_each_row(struct store *s, sqlite3_stmt *st,
		   int (*row)(void *ud, sqlite3_stmt *st), void *ud);

#endif
