/* scale.c - the scale benchmark of issue 7 (`make bench-scale`).
 *
 * Builds a database through the store (so the migrations run): 10,000 sessions across
 * channels, 5,000,000 answers, 1,000,000 action items with their reminder jobs (most done,
 * 100,000 pending over the next year), members, prompts, answer history and report-back
 * entries. Then times on it: the scheduler's due-job lookup (STORE_JOB_DUE_SQL with
 * SCHED_BATCH, and STORE_JOB_NEXT_SQL), `report` of one typical session (20 members,
 * 400 answers, 40 action items) as cmd_report builds it, and `workshopbot export` of
 * that session with the real binary in each format. Every statement those paths run is
 * checked with EXPLAIN QUERY PLAN: a full scan fails the run.
 *
 * usage: scale --db FILE --bin WORKSHOPBOT [--divide N]
 * --divide N builds 1/N of everything (a quick check of the benchmark itself).
 * Prints a table and, last, one line of JSON. Exit 0, or 1 on an error or a scan. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bot/err.h"
#include "bot/msg.h"
#include "bot/scheduler.h"
#include "bot/store.h"
#include "bot/store_jobs.h"
#include "bot/store_sessions.h"
#include "handlers/report.h"
#include "prompts/template.h"

#define T0 ((int64_t)1796115600)              /* 2026-12-01T09:00:00Z, the benchmark's "now" */
#define DAY ((int64_t)86400)
#define YEAR (365 * DAY)
#define TEMPLATE_ID "community-engagement"
#define BATCH_ROWS 200000              /* rows per transaction while building */
#define MEMBERS_MIN 20
#define REPORT_ANSWERS 400             /* the typical session that `report` measures */
#define REPORT_ACTIONS 40
#define ENTRIES_PER_FOLLOWUP 5
#define DUE_CALLS 20000                /* timed calls of each lookup */
#define REPORT_CALLS 200
#define EXPORT_RUNS 5
#define MAX_PLANS 64
#define TARGET_DUE_MS 1.0
#define TARGET_REPORT_MS 50.0

struct build {
	struct store *st;
	const struct template *t;
	long n_sessions, n_answers, n_actions;
	long rows;                     /* rows inserted, all tables */
	long pending;                  /* pending jobs */
	int64_t action_id;             /* the last action item's id */
	uint64_t rnd;
	size_t answerable[64];         /* prompt indices that take answers */
	size_t n_answerable;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rnd(struct build *b)
{
	b->rnd ^= b->rnd << 13;
	b->rnd ^= b->rnd >> 7;
	b->rnd ^= b->rnd << 17;
	return b->rnd;
}

/* Binds fmt's values to the cached statement sql ('i' int64_t, 't' text or NULL) and
 * runs it; every BATCH_ROWS rows the transaction is committed and a new one begun. */
static int put(struct build *b, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = store_stmt(b->st, sql);
	va_list ap;
	int result;

	if (!st)
		return BOT_ERR_DB;
	va_start(ap, fmt);
	for (int i = 0; fmt[i]; i++) {
		if (fmt[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else
			store_bind_text(st, i + 1, va_arg(ap, const char *));
	}
	va_end(ap);
	result = store_step_done(b->st, st);
	if (!result && ++b->rows % BATCH_ROWS == 0) {
		result = store_commit(b->st);
		if (!result)
			result = store_begin(b->st);
	}
	if (result)
		fprintf(stderr, "scale: insert failed: %s\n", store_errmsg(b->st));
	return result;
}

/* The user id of member m of session sid (m 0 is the facilitator). */
static void member_id(char *buf, size_t len, int64_t sid, long m)
{
	snprintf(buf, len, "U%06lld%02ld", (long long)sid, m);
}

static void civil_date(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* A checklist answer: one to three of the prompt's options (or of the prompt it takes
 * its options from), as the JSON array the answers handler stores. */
static void choices_of(struct build *b, const struct prompt *p, char *buf, size_t len)
{
	const struct prompt *src = p->n_options ? p : &b->t->prompts[p->options_from];
	size_t n = 1 + rnd(b) % 3, at = 0;

	at += (size_t)snprintf(buf, len, "[");
	for (size_t i = 0; i < n && src->n_options && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s\"%s\"", i ? "," : "",
				       src->options[(rnd(b) % src->n_options)].label);
	if (at < len)
		snprintf(buf + at, len - at, "]");
}

static int build_answers(struct build *b, int64_t sid, long n, long members, int64_t start)
{
	static const char answer_sql[] =
		"INSERT INTO answers (session_id, prompt_id, user_id, text, choices, source_ref, "
		"created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	static const char history_sql[] =
		"INSERT INTO answer_history (answer_id, text, choices, reason, at) "
		"VALUES (last_insert_rowid(), ?, ?, 'replaced', ?)";
	char user[32], text[160], choices[256], ref[32];
	int result = 0;

	for (long k = 0; k < n && !result; k++) {
		const struct prompt *p = &b->t->prompts[b->answerable[k / members]];
		int64_t at = start + k * 60;

		member_id(user, sizeof user, sid, k % members);
		snprintf(text, sizeof text, "Answer %ld in session %lld: we could meet families at "
			 "the market on Saturdays and ask what they need (%llx)", k, (long long)sid,
			 (unsigned long long)rnd(b));
		snprintf(ref, sizeof ref, "%lld.%06ld", (long long)at, k);
		if (p->kind == PROMPT_CHECKLIST)
			choices_of(b, p, choices, sizeof choices);
		result = put(b, answer_sql, "itttttii", sid, p->id, user, text,
			     p->kind == PROMPT_CHECKLIST ? choices : NULL, ref, at, at + (k % 20 ? 0 : 300));
		if (!result && k % 20 == 0)
			result = put(b, history_sql, "tti", "An earlier wording of the same answer",
				     p->kind == PROMPT_CHECKLIST ? choices : NULL, at + 300);
	}
	return result;
}

/* Action items of a session and their reminder jobs. One item in ten stays open with a
 * pending reminder due within the next year (one in a thousand of those is an hour late,
 * as after a short downtime); one more in ten is open with its reminders sent; the
 * rest are done, their reminders sent or cancelled. */
static int build_actions(struct build *b, int64_t sid, long n, long members, int64_t start)
{
	static const char action_sql[] =
		"INSERT INTO action_items (session_id, text, owner, due_date, status, created_by, "
		"created_at, updated_at, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, nullif(?, 0))";
	static const char job_sql[] =
		"INSERT INTO jobs (kind, due_at, session_id, action_id, user_id, state, created_at, "
		"done_at) VALUES (?, ?, ?, ?, ?, ?, ?, nullif(?, 0))";
	char owner[32], facilitator[32], text[128], date[16];
	int result = 0;

	member_id(facilitator, sizeof facilitator, sid, 0);
	for (long k = 0; k < n && !result; k++) {
		int64_t id = ++b->action_id, due = start + 14 * DAY, done_at = 0;
		bool pending = id % 10 == 0, open = id % 10 < 2;

		if (pending) {
			due = T0 + (int64_t)(rnd(b) % YEAR);
			if (id % 10000 == 0)
				due = T0 - (int64_t)(rnd(b) % 3600);
			b->pending++;
		}
		if (!open)
			done_at = start + 10 * DAY;
		civil_date(due, date, sizeof date);
		member_id(owner, sizeof owner, sid, k % members);
		snprintf(text, sizeof text, "Call the food bank about the Saturday market (%ld)", k);
		result = put(b, action_sql, "itttttiii", sid, text, owner, date,
			     open ? "open" : "done", facilitator, start, start, done_at);
		if (!result)
			result = put(b, job_sql, "tiiittii", "reminder_before", due - 3 * DAY, sid, id,
				     owner, pending || open ? "done" : "cancelled", start,
				     pending || open ? due - 3 * DAY : done_at);
		if (!result)
			result = put(b, job_sql, "tiiittii", "reminder_due", due, sid, id, owner,
				     pending ? "pending" : open ? "done" : "cancelled", start,
				     pending ? 0 : open ? due : done_at);
	}
	return result;
}

/* The two report-back prompts of an ended session, each with a few entries and the
 * first of its numeric outcomes. */
static int build_followups(struct build *b, int64_t sid, long members, int64_t ended)
{
	static const char followup_sql[] =
		"INSERT INTO followups (session_id, followup_id, posted_at) VALUES (?, ?, ?)";
	static const char entry_sql[] =
		"INSERT INTO report_entries (session_id, followup_id, user_id, text, action_id, "
		"source_ref, created_at, updated_at) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?, ?7)";
	static const char outcome_sql[] =
		"INSERT INTO report_outcomes (entry_id, field, value) "
		"VALUES (last_insert_rowid(), ?, ?)";
	char user[32], ref[32];
	int result = 0;

	for (size_t f = 0; f < b->t->n_followups && !result; f++) {
		const struct followup *fu = &b->t->followups[f];
		int64_t posted = ended + fu->after_days * DAY;

		if (posted > T0)
			break;
		result = put(b, followup_sql, "iti", sid, fu->id, posted);
		for (long e = 0; e < ENTRIES_PER_FOLLOWUP && !result; e++) {
			member_id(user, sizeof user, sid, e % members);
			snprintf(ref, sizeof ref, "%lld.%06ld", (long long)posted, e);
			result = put(b, entry_sql, "itttiti", sid, fu->id, user,
				     "We met the food bank twice and reported back to the parents' group",
				     e == 0 ? b->action_id : (int64_t)0, ref, posted + e * 600);
			if (!result && fu->n_outcomes)
				result = put(b, outcome_sql, "ti", fu->outcomes[0].id, (int64_t)(e + 1));
		}
	}
	return result;
}

static long members_for(const struct build *b, long answers)
{
	long m = (answers + (long)b->n_answerable - 1) / (long)b->n_answerable;

	return m < MEMBERS_MIN ? MEMBERS_MIN : m;
}

/* Session i of n (1-based): its row, prompts, members, answers, action items with jobs
 * and report-back entries. The last one in a hundred is still active. */
static int build_session(struct build *b, long i, long answers, long actions)
{
	static const char session_sql[] =
		"INSERT INTO sessions (id, transport, channel, template_id, facilitator, state, "
		"prompt_index, timezone, started_at, ended_at, pace) "
		"VALUES (?, ?, ?, ?, ?, ?, ?, 'Europe/Berlin', ?, nullif(?, 0), 'live')";
	static const char prompt_sql[] =
		"INSERT INTO session_prompts (session_id, prompt_index, state, opened_at, closed_at) "
		"VALUES (?, ?, 'closed', ?, ?)";
	static const char member_sql[] =
		"INSERT INTO members (session_id, user_id, display_name, joined_at) "
		"VALUES (?, ?, ?, ?)";
	long members = members_for(b, answers);
	int64_t sid = i, start = T0 - 14 * DAY - (b->n_sessions - i) * (YEAR / b->n_sessions);
	bool active = i > b->n_sessions - b->n_sessions / 100;
	int64_t ended = active ? 0 : start + 3 * DAY;
	char channel[32], user[32], name[32];
	int result;

	snprintf(channel, sizeof channel, "C%08ld", i);
	member_id(user, sizeof user, sid, 0);
	result = put(b, session_sql, "iittttiii", sid, i % 2 ? "slack" : "matrix", channel,
		     TEMPLATE_ID, user, active ? "active" : "ended",
		     active ? (int64_t)(b->t->n_prompts - 1) : (int64_t)b->t->n_prompts, start, ended);
	for (size_t p = 0; p < b->t->n_prompts && !result; p++)
		result = put(b, prompt_sql, "iiii", sid, (int64_t)p, start + (int64_t)p * 3600,
			     start + (int64_t)p * 3600 + 1800);
	for (long m = 0; m < members && !result; m++) {
		member_id(user, sizeof user, sid, m);
		snprintf(name, sizeof name, "Member %ld of %lld", m, (long long)sid);
		result = put(b, member_sql, "itti", sid, user, name, start);
	}
	if (!result)
		result = build_answers(b, sid, answers, members, start);
	if (!result)
		result = build_actions(b, sid, actions, members, start);
	if (!result && !active)
		result = build_followups(b, sid, members, ended);
	return result;
}

/* Every session but the report one shares the rest of the answers and action items. */
static long share(long total, long typical, long n, long j)
{
	long rest = total - typical;

	return rest / (n - 1) + (j < rest % (n - 1));
}

static int build_all(struct build *b, long report_id)
{
	int result = store_begin(b->st);

	for (long i = 1, j = 0; i <= b->n_sessions && !result; i++) {
		if (i == report_id) {
			result = build_session(b, i, REPORT_ANSWERS, REPORT_ACTIONS);
		} else {
			result = build_session(b, i, share(b->n_answers, REPORT_ANSWERS, b->n_sessions, j),
					       share(b->n_actions, REPORT_ACTIONS, b->n_sessions, j));
			j++;
		}
	}
	if (!result)
		result = store_commit(b->st);
	return result;
}

/* The distinct statements run while tracing, for EXPLAIN QUERY PLAN. */
struct plans {
	char *sql[MAX_PLANS];
	size_t n;
};

static int on_stmt(unsigned type, void *ud, void *p, void *x)
{
	struct plans *pl = ud;
	const char *sql = sqlite3_sql(p);

	(void)type;
	(void)x;
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->sql[i], sql) == 0)
			return 0;
	if (pl->n < MAX_PLANS)
		pl->sql[pl->n++] = strdup(sql);
	return 0;
}

/* Prints the plan of each traced statement; returns how many scan a table. */
static int check_plans(sqlite3 *db, struct plans *pl, FILE *out)
{
	int scans = 0;

	for (size_t i = 0; i < pl->n; i++) {
		char *q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", pl->sql[i]);
		sqlite3_stmt *st = NULL;

		fprintf(out, "%s\n", pl->sql[i]);
		if (!q || sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) {
			fprintf(out, "  (no plan: %s)\n", sqlite3_errmsg(db));
			scans++;
		}
		while (st && sqlite3_step(st) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(st, 3);
			bool scan = strncmp(d, "SCAN ", 5) == 0 && strcmp(d, "SCAN CONSTANT ROW") != 0;

			fprintf(out, "  %s%s\n", d, scan ? "   <-- FULL SCAN" : "");
			scans += scan;
		}
		sqlite3_finalize(st);
		sqlite3_free(q);
		free(pl->sql[i]);
	}
	pl->n = 0;
	return scans;
}

struct stats {
	double median, p99, max;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stats stats_of(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return (struct stats){ v[n / 2], v[n * 99 / 100], v[n - 1] };
}

static int count_job(void *ud, const struct store_job *job)
{
	(void)job;
	(*(long *)ud)++;
	return 0;
}

/* One scheduler tick's lookups: the due batch, then the next due time to arm the timer. */
static int due_lookup(struct store *st, double *due_ms, double *next_ms, long *rows)
{
	int64_t next;
	double t = now_ms();
	int result = store_job_each_due(st, T0, SCHED_BATCH, count_job, rows);

	*due_ms = now_ms() - t;
	t = now_ms();
	if (!result)
		result = store_job_next_due_at(st, &next);
	*next_ms = now_ms() - t;
	return result;
}

/* `report` as cmd_report runs it: the session, its template, the summary, and the
 * message as the outbox stores it. *bytes is the size of that message. */
static int report_once(struct store *st, const struct template_set *ts, int64_t id,
		       size_t *bytes)
{
	struct session_rec s;
	const struct template *t;
	struct msg m;
	char *json = NULL;
	int result = store_session_get(st, id, &s);

	if (result)
		return result;
	t = template_set_find(ts, s.template_id);
	if (!t)
		return BOT_ERR_NOT_FOUND;
	msg_init(&m);
	result = report_build(st, t, &s, &m);
	if (!result) {
		json = msg_to_json(&m);
		result = json ? 0 : BOT_ERR_NOMEM;
	}
	*bytes = json ? strlen(json) : 0;
	free(json);
	msg_free(&m);
	return result;
}

/* The in-process exports, only to trace their statements (the binary is timed). */
static int export_all(struct store *st, const struct template_set *ts, int64_t id)
{
	struct session_rec s;
	const struct template *t;
	int result = store_session_get(st, id, &s);

	t = result ? NULL : template_set_find(ts, s.template_id);
	for (int f = EXPORT_MD; t && f <= EXPORT_JSON && !result; f++) {
		char *out = NULL;

		result = report_export(st, t, &s, (enum export_format)f, &out);
		free(out);
	}
	return result ? result : t ? 0 : BOT_ERR_NOT_FOUND;
}

/* Runs `BIN --db DB export --session ID --format F` with stdout to out_path; returns
 * its wall time in ms, or a negative number when it failed. */
static double run_export(const char *bin, const char *db, int64_t id, const char *format,
			 const char *out_path)
{
	char sid[32];
	double t = now_ms();
	pid_t pid;
	int status;

	snprintf(sid, sizeof sid, "%lld", (long long)id);
	pid = fork();
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(127);
		execl(bin, bin, "--db", db, "export", "--session", sid, "--format", format,
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return now_ms() - t;
}

static long long file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* The row counts the figures stand on, read back from the database. */
static int count_rows(struct store *st, long long n[4])
{
	static const char sql[] =
		"SELECT (SELECT count(*) FROM answers), (SELECT count(*) FROM action_items), "
		"(SELECT count(*) FROM jobs), (SELECT count(*) FROM jobs WHERE state = 'pending')";
	sqlite3_stmt *q = store_stmt(st, sql);
	int rc = q ? sqlite3_step(q) : SQLITE_ERROR;

	for (int i = 0; i < 4 && rc == SQLITE_ROW; i++)
		n[i] = sqlite3_column_int64(q, i);
	if (q)
		sqlite3_reset(q);
	return rc == SQLITE_ROW ? 0 : BOT_ERR_DB;
}

static int usage(void)
{
	fprintf(stderr, "usage: scale --db FILE --bin WORKSHOPBOT [--divide N]\n");
	return 2;
}

static void remove_db(const char *db)
{
	static const char *const ext[] = { "", "-wal", "-shm" };
	char path[4096];

	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		snprintf(path, sizeof path, "%s%s", db, ext[i]);
		unlink(path);
	}
}

static const char *mark(double v, double target)
{
	return v < target ? "met" : "MISSED";
}

int main(int argc, char **argv)
{
	static const char checkpoint_sql[] = "PRAGMA wal_checkpoint(TRUNCATE)";
	static const char *const formats[] = { "md", "csv", "json" };
	const char *db = NULL, *bin = NULL;
	long divide = 1, report_id, due_rows = 0;
	struct template_set ts;
	struct build b = { .rnd = 0x9e3779b97f4a7c15u };
	struct plans pl = { .n = 0 };
	double *due = NULL, *next = NULL, *rep = NULL, export_ms[3], build_ms, t;
	struct stats sd, sn, sr, runs;
	long long counts[4] = { 0 }, db_bytes, export_bytes[3];
	char err[BOT_ERRMSG_MAX], path[4096];
	size_t report_bytes = 0;
	int result, scans;
	FILE *plan_file;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0)
			db = argv[i + 1];
		else if (strcmp(argv[i], "--bin") == 0)
			bin = argv[i + 1];
		else if (strcmp(argv[i], "--divide") == 0)
			divide = strtol(argv[i + 1], NULL, 10);
		else
			return usage();
	}
	if (!db || !bin || argc % 2 == 0 || divide < 1 || divide > 1000)
		return usage();
	b.n_sessions = 10000 / divide;
	b.n_answers = 5000000 / divide;
	b.n_actions = 1000000 / divide;
	report_id = b.n_sessions / 2;
	if (template_set_load("prompts", &ts, err, sizeof err) != 0) {
		fprintf(stderr, "scale: %s\n", err);
		return 1;
	}
	b.t = template_set_find(&ts, TEMPLATE_ID);
	for (size_t i = 0; b.t && i < b.t->n_prompts && b.n_answerable < 64; i++)
		if (b.t->prompts[i].kind == PROMPT_TEXT || b.t->prompts[i].kind == PROMPT_CHECKLIST)
			b.answerable[b.n_answerable++] = i;
	if (!b.t || !b.n_answerable) {
		fprintf(stderr, "scale: no template '%s' with questions in prompts/\n", TEMPLATE_ID);
		return 1;
	}

	remove_db(db);
	if (store_open(db, STORE_WRITER, &b.st, err, sizeof err) != 0) {
		fprintf(stderr, "scale: %s\n", err);
		return 1;
	}
	fprintf(stderr, "scale: building %s (%ld sessions, %ld answers, %ld action items)...\n",
		db, b.n_sessions, b.n_answers, b.n_actions);
	t = now_ms();
	result = build_all(&b, report_id);
	if (!result)
		result = store_step_done(b.st, store_stmt(b.st, checkpoint_sql));
	build_ms = now_ms() - t;
	store_close(b.st);
	if (result) {
		fprintf(stderr, "scale: building the database failed: %s\n", bot_strerror(result));
		return 1;
	}
	db_bytes = file_size(db);

	/* Reopened as the daemon opens it; the statements of the hot paths are traced once. */
	if (store_open(db, STORE_WRITER, &b.st, err, sizeof err) != 0) {
		fprintf(stderr, "scale: %s\n", err);
		return 1;
	}
	sqlite3 *conn = sqlite3_db_handle(store_stmt(b.st, STORE_JOB_NEXT_SQL));
	sqlite3_trace_v2(conn, SQLITE_TRACE_STMT, on_stmt, &pl);
	result = due_lookup(b.st, &t, &t, &due_rows);
	if (!result)
		result = report_once(b.st, &ts, report_id, &report_bytes);
	if (!result)
		result = export_all(b.st, &ts, report_id);
	sqlite3_trace_v2(conn, 0, NULL, NULL);
	if (!result)
		result = count_rows(b.st, counts);
	if (result) {
		fprintf(stderr, "scale: a measured path failed: %s\n", bot_strerror(result));
		return 1;
	}
	snprintf(path, sizeof path, "%s-plans.txt", db);
	plan_file = fopen(path, "w");
	scans = check_plans(conn, &pl, plan_file ? plan_file : stderr);
	if (plan_file)
		fclose(plan_file);

	due = calloc(DUE_CALLS, sizeof *due);
	next = calloc(DUE_CALLS, sizeof *next);
	rep = calloc(REPORT_CALLS, sizeof *rep);
	if (!due || !next || !rep)
		return 1;
	for (size_t i = 0; i < DUE_CALLS && !result; i++) {
		due_rows = 0;
		result = due_lookup(b.st, &due[i], &next[i], &due_rows);
	}
	for (size_t i = 0; i < REPORT_CALLS && !result; i++) {
		t = now_ms();
		result = report_once(b.st, &ts, report_id, &report_bytes);
		rep[i] = now_ms() - t;
	}
	for (size_t f = 0; f < 3 && !result; f++) {
		double v[EXPORT_RUNS];

		snprintf(path, sizeof path, "%s-export.%s", db, formats[f]);
		for (size_t i = 0; i < EXPORT_RUNS && !result; i++) {
			v[i] = run_export(bin, db, report_id, formats[f], path);
			result = v[i] < 0 ? BOT_ERR_IO : 0;
		}
		runs = stats_of(v, EXPORT_RUNS);
		export_ms[f] = runs.median;
		export_bytes[f] = file_size(path);
	}
	store_close(b.st);
	template_set_free(&ts);
	if (result) {
		fprintf(stderr, "scale: measuring failed: %s\n", bot_strerror(result));
		return 1;
	}
	sd = stats_of(due, DUE_CALLS);
	sn = stats_of(next, DUE_CALLS);
	sr = stats_of(rep, REPORT_CALLS);
	free(due);
	free(next);
	free(rep);

	printf("scale benchmark: %ld sessions, %lld answers, %lld action items, %lld jobs "
	       "(%lld pending)\n", b.n_sessions, counts[0], counts[1], counts[2], counts[3]);
	printf("%-44s %12s %12s %10s\n", "measure", "median", "p99", "target");
	printf("%-44s %9.1f s %12s %10s\n", "build (all rows, large transactions)",
	       build_ms / 1e3, "", "");
	printf("%-44s %8.1f MiB %12s %10s\n", "database size (after checkpoint)",
	       (double)db_bytes / 1048576.0, "", "");
	printf("%-44s %9.3f ms %9.3f ms %6s %s\n", "due-job lookup (batch of SCHED_BATCH = 32)",
	       sd.median, sd.p99, "< 1 ms", mark(sd.p99, TARGET_DUE_MS));
	printf("%-44s %9.3f ms %9.3f ms %6s %s\n", "next due time (arms the timer)", sn.median,
	       sn.p99, "< 1 ms", mark(sn.p99, TARGET_DUE_MS));
	printf("%-44s %9.3f ms %9.3f ms %6s %s\n", "report of one session (in process)",
	       sr.median, sr.p99, "< 50 ms", mark(sr.p99, TARGET_REPORT_MS));
	for (size_t f = 0; f < 3; f++)
		printf("workshopbot export --format %-16s %9.1f ms %12s %10s (%lld bytes)\n",
		       formats[f], export_ms[f], "", "", export_bytes[f]);
	printf("%-44s %12d\n", "statements that scan a table", scans);
	printf("{\"bench\":\"scale\",\"sessions\":%ld,\"answers\":%lld,\"action_items\":%lld,"
	       "\"jobs\":%lld,\"pending_jobs\":%lld,\"build_s\":%.1f,\"db_bytes\":%lld,"
	       "\"due_rows\":%ld,\"due_ms_p50\":%.4f,\"due_ms_p99\":%.4f,\"next_ms_p50\":%.4f,"
	       "\"next_ms_p99\":%.4f,\"report_ms_p50\":%.3f,\"report_ms_p99\":%.3f,"
	       "\"report_bytes\":%zu,\"export_md_ms\":%.1f,\"export_csv_ms\":%.1f,"
	       "\"export_json_ms\":%.1f,\"scans\":%d}\n",
	       b.n_sessions, counts[0], counts[1], counts[2], counts[3], build_ms / 1e3, db_bytes,
	       due_rows, sd.median, sd.p99, sn.median, sn.p99, sr.median, sr.p99, report_bytes,
	       export_ms[0], export_ms[1], export_ms[2], scans);
	if (scans) {
		fprintf(stderr, "scale: FAILED: %d statement(s) of the hot paths scan a table; "
			"see %s-plans.txt\n", scans, db);
		return 1;
	}
	return 0;
}
