/* workshop_fixture.h - the fixture shared by the handler tests (test_session.c,
 * test_reminders.c, test_pacing.c): a real SQLite store in a private temp directory, a
 * config loaded from text, the shipped template set, events dispatched as struct literals
 * on transport "test", the outbox drained into f->sent[], and pending jobs copied out.
 * Header-only (static inline, macros) so each test stays one binary.
 *
 * Include after <cmocka.h>. By default f->sent[] holds plain-text renderings (char *) and
 * this header also supplies drain_outbox(). A test that wants more per message defines,
 * before including it, WF_SENT_T (the element type), WF_SENT_TEXT(s) (its rendered text,
 * a malloc'd char *), optionally WF_FIXTURE_EXTRA (more struct fixture members), and
 * then defines its own drain_outbox(). */
#ifndef WORKSHOPBOT_TEST_WORKSHOP_FIXTURE_H
#define WORKSHOPBOT_TEST_WORKSHOP_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/clock.h"
#include "bot/config.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/msg.h"
#include "bot/store.h"
#include "bot/store_jobs.h"
#include "bot/store_outbox.h"
#include "handlers/workshop.h"
#include "prompts/template.h"
#include "tests/unit/support.h"

#ifndef MAX_SENT
#define MAX_SENT 16
#endif
#ifndef MAX_JOBS
#define MAX_JOBS 32
#endif

#ifndef WF_SENT_T
#define WF_PLAIN_SENT 1
#define WF_SENT_T char *
#define WF_SENT_TEXT(s) (s)
#endif
#ifndef WF_FIXTURE_EXTRA
#define WF_FIXTURE_EXTRA
#endif

static struct template_set templates;   /* loaded once for the whole suite */

struct fixture {
	char dir[64];
	char db[128];
	struct store *store;
	struct config cfg;
	struct workshop w;
	WF_SENT_T sent[MAX_SENT];   /* what the last step queued */
	size_t n_sent;
	WF_FIXTURE_EXTRA
};

/* A pending job, copied. */
struct job_seen {
	int64_t id;
	char kind[STORE_JOB_KIND_MAX + 1];
	int64_t due_at;
	int64_t session_id;
	int64_t action_id;
	char user[64];
	char payload[32];
};

struct job_list {
	struct job_seen v[MAX_JOBS];
	size_t n;
};

/* Moves what is pending for "test" into f->sent[]; returns how many. */
static size_t drain_outbox(struct fixture *f);

/* ---- time ---------------------------------------------------------------------------- */

static inline int64_t at(const char *iso)
{
	time_t t;

	if (clock_parse_iso(iso, &t) != 0)
		fail_msg("bad instant %s", iso);
	return (int64_t)t;
}

static inline void set_now(const char *iso)
{
	char err[BOT_ERRMSG_MAX];

	if (setenv("WORKSHOPBOT_NOW", iso, 1) != 0 || clock_init(err, sizeof err) != 0)
		fail_msg("cannot set the clock to %s: %s", iso, err);
}

static inline void set_now_at(int64_t t)
{
	char iso[32];

	clock_format_utc((time_t)t, iso, sizeof iso);
	set_now(iso);
}

/* ---- suite and case setup ------------------------------------------------------------ */

static inline int wf_suite_setup(void **state)
{
	char err[BOT_ERRMSG_MAX];

	(void)state;
	log_set_level(LOG_ERR);
	if (template_set_load("prompts", &templates, err, sizeof err) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	return 0;
}

static inline int suite_teardown(void **state)
{
	(void)state;
	template_set_free(&templates);
	unsetenv("WORKSHOPBOT_NOW");
	return 0;
}

static inline void clear_sent(struct fixture *f)
{
	for (size_t i = 0; i < f->n_sent; i++)
		free(WF_SENT_TEXT(f->sent[i]));
	memset(f->sent, 0, sizeof f->sent);
	f->n_sent = 0;
}

/* (Re)loads the config from text written to <dir>/test.conf; text NULL: the defaults. */
static inline void wf_load_config(struct fixture *f, const char *text)
{
	char err[BOT_ERRMSG_MAX], path[160];

	config_free(&f->cfg);
	memset(&f->cfg, 0, sizeof f->cfg);
	if (!text) {
		if (config_load(NULL, &f->cfg, err, sizeof err) != 0)
			fail_msg("config_load: %s", err);
	} else {
		path_join(path, sizeof path, f->dir, "test.conf");
		file_write(path, text, strlen(text));
		if (config_load(path, &f->cfg, err, sizeof err) != 0)
			fail_msg("config_load: %s", err);
	}
	/* The handler tests send many commands at one frozen instant; a test of the command
	 * rate limit sets it again. */
	if (!text || !strstr(text, "command_limit"))
		f->cfg.command_limit = 0;
	f->w.cfg = &f->cfg;
}

/* A fresh store in /tmp/<tag>.XXXXXX and the config from conf (NULL: the defaults). */
static inline int wf_setup(void **state, const char *tag, const char *conf)
{
	struct fixture *f = calloc(1, sizeof *f);
	char err[BOT_ERRMSG_MAX];

	if (!f)
		return -1;
	*state = f;
	tmpdir_make(f->dir, sizeof f->dir, tag);
	path_join(f->db, sizeof f->db, f->dir, "bot.db");
	if (store_open(f->db, STORE_WRITER, &f->store, err, sizeof err) != 0) {
		print_error("%s\n", err);
		return -1;
	}
	f->w.store = f->store;
	f->w.templates = &templates;
	wf_load_config(f, conf);
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	clear_sent(f);
	store_close(f->store);
	config_free(&f->cfg);
	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

/* ---- events and the outbox ----------------------------------------------------------- */

#ifdef WF_PLAIN_SENT
struct drain {
	struct fixture *f;
	int64_t ids[MAX_SENT];
	size_t n;
	bool overflow;
};

static inline int take_pending(void *ud, const struct outbox_rec *m)
{
	struct drain *d = ud;
	struct msg body;
	char *text, *where;
	size_t n;

	if (d->n >= MAX_SENT) {
		d->overflow = true;
		return 1;
	}
	d->ids[d->n++] = m->id;
	if (m->kind == OUTBOX_UPDATE)
		return 0;
	if (msg_from_json(m->body, &body) != 0) {
		d->f->sent[d->f->n_sent++] = strdup("(outbox body is not msg JSON)");
		return 0;
	}
	text = msg_render_plain(&body);
	msg_free(&body);
	assert_non_null(text);
	/* What does not go to C1 says where it goes: "[direct to bob] ...", "[in C2] ...". */
	if (m->kind == OUTBOX_DIRECT || strcmp(m->channel, "C1") != 0) {
		n = strlen(text) + strlen(m->channel) + 16;
		where = malloc(n);
		assert_non_null(where);
		snprintf(where, n, "[%s %s] %s", m->kind == OUTBOX_DIRECT ? "direct to" : "in",
			 m->channel, text);
		free(text);
		text = where;
	}
	d->f->sent[d->f->n_sent++] = text;
	return 0;
}

static size_t drain_outbox(struct fixture *f)
{
	struct drain d = { .f = f };

	clear_sent(f);
	assert_int_equal(store_outbox_each_pending(f->store, "test", 0, 100, take_pending, &d), 0);
	if (d.overflow)
		fail_msg("more than %d messages queued by one step", MAX_SENT);
	for (size_t i = 0; i < d.n; i++)
		assert_int_equal(store_outbox_mark_sent(f->store, d.ids[i], NULL, 0), 0);
	return f->n_sent;
}
#endif

/* Dispatches one message event from user in channel; returns the number of messages it
 * queued (now in f->sent[]). */
static inline size_t say_in(struct fixture *f, const char *channel, const char *user,
			    const char *text)
{
	struct event ev = {
		.kind = EVENT_MESSAGE,
		.transport = "test",
		.channel = channel,
		.thread = NULL,
		.user = user,
		.user_name = user,
		.text = text,
		.ref = "ref-1",
		.addressed = false,
		.answers_open = true,
	};
	int rc = workshop_dispatch(&f->w, &ev);

	if (rc != 0)
		fail_msg("workshop_dispatch(%s: %s) = %s", user, text, bot_strerror(rc));
	return drain_outbox(f);
}

static inline size_t say(struct fixture *f, const char *user, const char *text)
{
	return say_in(f, "C1", user, text);
}

/* Says text as user and checks that it queued exactly one message containing want. */
#define REPLY(fx, user_, text_, want_)                                               \
	do {                                                                         \
		size_t n_sent_ = say((fx), (user_), (text_));                        \
		if (n_sent_ != 1)                                                    \
			fail_msg("'%s> %s' queued %zu messages, want 1%s%s", (user_), \
				 (text_), n_sent_, n_sent_ ? ":\n" : "",             \
				 n_sent_ ? WF_SENT_TEXT((fx)->sent[0]) : "");         \
		assert_contains(WF_SENT_TEXT((fx)->sent[0]), (want_));               \
	} while (0)

/* ---- jobs ---------------------------------------------------------------------------- */

static inline int take_job(void *ud, const struct store_job *job)
{
	struct job_list *l = ud;
	struct job_seen *j;

	if (l->n >= MAX_JOBS)
		fail_msg("more than %d jobs", MAX_JOBS);
	j = &l->v[l->n++];
	memset(j, 0, sizeof *j);
	j->id = job->id;
	snprintf(j->kind, sizeof j->kind, "%s", job->kind);
	j->due_at = job->due_at;
	j->session_id = job->session_id;
	j->action_id = job->action_id;
	snprintf(j->user, sizeof j->user, "%s", job->user_id ? job->user_id : "");
	snprintf(j->payload, sizeof j->payload, "%s", job->payload ? job->payload : "");
	return 0;
}

/* Every pending job, soonest first. */
static inline struct job_list pending(struct fixture *f)
{
	struct job_list l = { .n = 0 };

	assert_int_equal(store_job_each_pending(f->store, 0, take_job, &l), 0);
	return l;
}

/* What runs a job (reminders_run, pacing_run, ...). */
typedef int (*wf_job_runner)(struct workshop *w, const struct store_job *job, int64_t now);

/* Runs job with run the way the scheduler does (its own transaction, marked done first);
 * false when it was no longer pending (then skipped). */
static inline bool wf_run_job(struct fixture *f, const struct store_job *job, int64_t now,
			      wf_job_runner run)
{
	int rc;

	assert_int_equal(store_begin(f->store), 0);
	rc = store_job_mark_done(f->store, job->id, now);
	if (rc == BOT_ERR_NOT_FOUND) {
		store_rollback(f->store);
		return false;
	}
	assert_int_equal(rc, 0);
	rc = run(&f->w, job, now);
	if (rc != 0) {
		store_rollback(f->store);
		fail_msg("running job %lld %s = %s", (long long)job->id, job->kind,
			 bot_strerror(rc));
	}
	assert_int_equal(store_commit(f->store), 0);
	return true;
}

/* Runs one copied job the way the scheduler does; false when it was no longer pending. */
typedef bool (*wf_run_job_fn)(struct fixture *f, const struct job_seen *j, int64_t now);

/* Runs every job due by now with run_job; returns the messages queued. */
static inline size_t wf_run_due(struct fixture *f, int64_t now, wf_run_job_fn run_job)
{
	struct job_list due = { .n = 0 };

	set_now_at(now);
	assert_int_equal(store_job_each_due(f->store, now, MAX_JOBS, take_job, &due), 0);
	for (size_t i = 0; i < due.n; i++)
		run_job(f, &due.v[i], now);
	return drain_outbox(f);
}

/* Runs the next pending job at its own due time; returns the messages queued. */
static inline size_t wf_run_next(struct fixture *f, int64_t *when, wf_run_job_fn run_job)
{
	struct job_list l = pending(f);

	if (l.n == 0)
		fail_msg("no job is pending");
	*when = l.v[0].due_at;
	return wf_run_due(f, l.v[0].due_at, run_job);
}

#endif
