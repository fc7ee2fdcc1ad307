/* test_session.c - the handlers, driven through workshop_dispatch() the way a transport
 * drives them: one normalised event in, then what was committed to a real SQLite store
 * (session state, answers, action items) and what was queued in the outbox.
 *
 * Events are struct literals on transport "test", channel "C1" (users alice, bob, carol).
 * After each event the test drains the outbox of transport "test": every pending message
 * is parsed with msg_from_json(), rendered with msg_render_plain() into f->sent[], and
 * marked sent, so each check sees exactly what that one event queued (including nothing).
 *
 * The clock is frozen with WORKSHOPBOT_NOW at Sunday 2026-11-29 09:00 UTC. The shipped
 * template set is loaded from prompts/ (run from the repository root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bot/store_actions.h"
#include "bot/store_answers.h"
#include "bot/store_sessions.h"

#define NOW_ISO "2026-11-29T09:00:00Z"   /* a Sunday */
#define NOW 1795942800                     /* the same instant */
#define N_QUESTIONS 22                      /* questions of community-engagement */
#define LAST_INDEX 22                       /* index of its last prompt (notes) */
#define MAX_SENT 16

struct sent_msg {
	char *text;              /* msg_render_plain() of the body */
	char channel[16];
	bool threaded;
	int64_t session_id;
	long prompt_index;
};

#define WF_SENT_T struct sent_msg
#define WF_SENT_TEXT(s) ((s).text)
#define WF_FIXTURE_EXTRA size_t n_updates; /* question posts the last event asked to rewrite */
#include "tests/unit/workshop_fixture.h"

/* ---- suite and case setup ------------------------------------------------------------ */

static int suite_setup(void **state)
{
	char err[BOT_ERRMSG_MAX];

	if (setenv("WORKSHOPBOT_NOW", NOW_ISO, 1) != 0 || clock_init(err, sizeof err) != 0)
		return -1;
	if (clock_now() != NOW)
		return -1;
	return wf_suite_setup(state);
}

/* Loads the config; with admins not NULL, from a file that lists them. */
static void load_config(struct fixture *f, const char *admins)
{
	char text[256];

	if (admins)
		snprintf(text, sizeof text, "[workshopbot]\nadmins = %s\n", admins);
	wf_load_config(f, admins ? text : NULL);
}

static int setup(void **state)
{
	return wf_setup(state, "test_session", NULL);
}

/* ---- events and the outbox ----------------------------------------------------------- */

struct drain {
	struct fixture *f;
	int64_t ids[MAX_SENT];
	int64_t update_ids[MAX_SENT];   /* question updates: a terminal shows none */
	size_t n_updates;
	bool overflow;
};

static int take_pending(void *ud, const struct outbox_rec *m)
{
	struct drain *d = ud;
	struct fixture *f = d->f;
	struct sent_msg *s;
	struct msg body;

	if (f->n_sent >= MAX_SENT || d->n_updates >= MAX_SENT) {
		d->overflow = true;
		return 1;
	}
	if (m->kind == OUTBOX_UPDATE) {
		d->update_ids[d->n_updates++] = m->id;
		return 0;
	}
	s = &f->sent[f->n_sent];
	if (msg_from_json(m->body, &body) != 0) {
		s->text = strdup("(outbox body is not msg JSON)");
	} else {
		s->text = msg_render_plain(&body);
		msg_free(&body);
	}
	snprintf(s->channel, sizeof s->channel, "%s", m->channel);
	s->threaded = m->thread != NULL;
	s->session_id = m->session_id;
	s->prompt_index = m->prompt_index;
	d->ids[f->n_sent++] = m->id;
	return 0;
}

/* Moves everything pending for transport "test" into f->sent[]; returns how many. */
static size_t drain_outbox(struct fixture *f)
{
	struct drain d = { .f = f };

	clear_sent(f);
	assert_int_equal(store_outbox_each_pending(f->store, "test", 0, 100, take_pending, &d), 0);
	if (d.overflow)
		fail_msg("more than %d messages queued by one event", MAX_SENT);
	for (size_t i = 0; i < f->n_sent; i++) {
		assert_non_null(f->sent[i].text);
		assert_int_equal(store_outbox_mark_sent(f->store, d.ids[i], NULL, NOW), 0);
	}
	for (size_t i = 0; i < d.n_updates; i++)
		assert_int_equal(store_outbox_mark_sent(f->store, d.update_ids[i], NULL, NOW), 0);
	f->n_updates = d.n_updates;
	return f->n_sent;
}

/* The open session of channel C1; fails the test when there is none. */
static struct session_rec open_session(struct fixture *f)
{
	struct session_rec s;
	int rc = store_session_open_in(f->store, "test", "C1", &s);

	if (rc != 0)
		fail_msg("no open session in C1: %s", bot_strerror(rc));
	return s;
}

static long prompt_index(struct fixture *f)
{
	return open_session(f).prompt_index;
}

static void start(struct fixture *f)
{
	assert_int_equal(say(f, "alice", "!ws start"), 2);
	assert_int_equal(prompt_index(f), 0);
}

struct answer_seen {
	size_t n;
	int64_t id;
	char text[256];
	char choices[256];
};

static int find_answer_cb(void *ud, const struct answer_rec *a)
{
	struct answer_seen *seen = ud;

	seen->n++;
	seen->id = a->id;
	snprintf(seen->text, sizeof seen->text, "%s", a->text);
	snprintf(seen->choices, sizeof seen->choices, "%s", a->choices ? a->choices : "(null)");
	return 0;
}

struct user_filter {
	const char *user;
	struct answer_seen *seen;
};

static int filter_user(void *ud, const struct answer_rec *a)
{
	struct user_filter *uf = ud;

	return strcmp(a->user_id, uf->user) == 0 ? find_answer_cb(uf->seen, a) : 0;
}

/* The current answer of user to prompt_id in the open (or latest) session of C1. */
static struct answer_seen answer_of(struct fixture *f, const char *prompt_id, const char *user)
{
	struct answer_seen seen = { 0 };
	struct user_filter uf = { user, &seen };
	struct session_rec s;

	assert_int_equal(store_session_latest_in(f->store, "test", "C1", &s), 0);
	assert_int_equal(store_answer_each(f->store, s.id, prompt_id, filter_user, &uf), 0);
	return seen;
}

static int count_cb(void *ud, const struct action_rec *a)
{
	(void)a;
	(*(size_t *)ud)++;
	return 0;
}

static size_t count_actions(struct fixture *f, int64_t session_id)
{
	size_t n = 0;

	assert_int_equal(store_action_each_of(f->store, session_id, count_cb, &n), 0);
	return n;
}

/* ---- start ----------------------------------------------------------------------------- */

static void test_start_posts_welcome_and_first_question(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	assert_int_equal(say(f, "alice", "!ws start"), 2);
	/* The welcome: title, facilitator, description, presenters, how it works. */
	assert_contains(f->sent[0].text, "Community Engagement: Serving Diverse Communities Where "
			"They Are");
	assert_contains(f->sent[0].text, "Session #1, facilitated by @alice.");
	assert_contains(f->sent[0].text, "In this interactive session, we will explore");
	assert_contains(f->sent[0].text, "Presented by: CiKeithia Pugh");
	assert_contains(f->sent[0].text, "!ws next");
	assert_string_equal(f->sent[0].channel, "C1");
	assert_int_equal(f->sent[0].prompt_index, -1);
	/* The first question, marked as the post of prompt 0. */
	assert_contains(f->sent[1].text, "Question 1 of 22");
	assert_contains(f->sent[1].text, "Personal Goals");
	assert_contains(f->sent[1].text, "What are your goals for viewing this webinar?");
	assert_contains(f->sent[1].text, "Reply with your answer.");
	assert_int_equal(f->sent[1].prompt_index, 0);
	assert_int_equal(f->sent[1].session_id, 1);
	assert_false(f->sent[1].threaded);

	s = open_session(f);
	assert_int_equal(s.id, 1);
	assert_string_equal(s.facilitator, "alice");
	assert_string_equal(s.template_id, "community-engagement");
	assert_string_equal(s.timezone, "UTC");
	assert_int_equal(s.state, SESSION_ACTIVE);
	assert_int_equal(s.prompt_index, 0);
	assert_int_equal(s.started_at, NOW);
}

static void test_second_start_refused(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	start(f);
	REPLY(f, "bob", "!ws start", "Session #1 is already running here (question 1)");
	REPLY(f, "alice", "!workshop start community-engagement", "already running");
	s = open_session(f);
	assert_int_equal(s.id, 1);
	assert_string_equal(s.facilitator, "alice");
	assert_int_equal(store_session_get(f->store, 2, &s), BOT_ERR_NOT_FOUND);
}

static void test_start_named_template_and_unknown(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	REPLY(f, "bob", "!ws start no-such-workshop", "There is no workshop template "
	      "'no-such-workshop'. Installed: community-engagement.");
	assert_int_equal(store_session_latest_in(f->store, "test", "C1", &s), BOT_ERR_NOT_FOUND);

	assert_int_equal(say(f, "bob", "!workshop start community-engagement"), 2);
	s = open_session(f);
	assert_string_equal(s.facilitator, "bob");
	assert_contains(f->sent[0].text, "facilitated by @bob");
}

static void test_sessions_are_per_channel(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	start(f);
	assert_int_equal(say_in(f, "C2", "bob", "!ws start"), 2);
	assert_string_equal(f->sent[0].channel, "C2");
	assert_string_equal(f->sent[1].channel, "C2");
	assert_int_equal(store_session_open_in(f->store, "test", "C2", &s), 0);
	assert_string_equal(s.facilitator, "bob");
	/* Pacing in C2 leaves C1 alone. */
	assert_int_equal(say_in(f, "C2", "bob", "!ws next"), 1);
	assert_int_equal(prompt_index(f), 0);
	assert_int_equal(store_session_open_in(f->store, "test", "C2", &s), 0);
	assert_int_equal(s.prompt_index, 1);
}

/* ---- pacing ---------------------------------------------------------------------------- */

static void test_next_back_skip_and_the_ends(void **state)
{
	struct fixture *f = *state;
	char want[32], pstate[16];
	struct session_rec s;

	start(f);
	REPLY(f, "alice", "!ws back", "This is the first question; there is nothing before it.");
	assert_int_equal(prompt_index(f), 0);
	assert_int_equal(f->n_updates, 0);

	/* Moving on marks the old question's post closed (where a chat can edit posts). */
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	assert_int_equal(f->n_updates, 1);
	assert_contains(f->sent[0].text, "Team Goals");
	assert_int_equal(f->sent[0].prompt_index, 1);
	assert_int_equal(prompt_index(f), 1);
	s = open_session(f);
	assert_int_equal(store_prompt_state(f->store, s.id, 0, pstate, sizeof pstate), 0);
	assert_string_equal(pstate, "closed");

	/* The next question comes with the info prompt before it and its options. */
	REPLY(f, "alice", "!ws next", "Question 3 of 22");
	assert_contains(f->sent[0].text, "Review the following list of key terms.");
	assert_contains(f->sent[0].text, "1. Community analysis");
	assert_contains(f->sent[0].text, "7. Equality");
	assert_contains(f->sent[0].text, "Reply with the numbers or names");
	assert_int_equal(prompt_index(f), 3);

	REPLY(f, "alice", "!ws back", "Question 2 of 22");
	assert_int_equal(prompt_index(f), 1);

	REPLY(f, "alice", "!ws skip", "Question 3 of 22");
	assert_int_equal(prompt_index(f), 3);
	assert_int_equal(store_prompt_state(f->store, s.id, 1, pstate, sizeof pstate), 0);
	assert_string_equal(pstate, "skipped");
	assert_int_equal(store_prompt_state(f->store, s.id, 3, pstate, sizeof pstate), 0);
	assert_string_equal(pstate, "open");

	/* On to the last question, one at a time. */
	for (int q = 4; q <= N_QUESTIONS; q++) {
		snprintf(want, sizeof want, "Question %d of 22", q);
		REPLY(f, "alice", "!ws next", want);
	}
	assert_int_equal(prompt_index(f), LAST_INDEX);
	assert_contains(f->sent[0].text, "Anything else to note?");

	REPLY(f, "alice", "!ws next", "That was the last question. !ws end closes the session");
	assert_int_equal(f->sent[0].prompt_index, -1);
	assert_int_equal(prompt_index(f), LAST_INDEX);
	REPLY(f, "alice", "!ws skip", "That was the last question.");
	assert_int_equal(prompt_index(f), LAST_INDEX);
	assert_int_equal(open_session(f).state, SESSION_ACTIVE);
}

static void test_pause_and_resume(void **state)
{
	struct fixture *f = *state;

	start(f);
	REPLY(f, "alice", "!ws pause", "Session paused.");
	assert_int_equal(open_session(f).state, SESSION_PAUSED);
	REPLY(f, "alice", "!ws pause", "already paused");

	REPLY(f, "alice", "!ws next", "The session is paused; !ws resume continues it.");
	assert_int_equal(prompt_index(f), 0);
	REPLY(f, "alice", "!ws skip", "The session is paused");
	REPLY(f, "alice", "!ws back", "The session is paused");
	assert_int_equal(prompt_index(f), 0);

	/* Answers while paused are still recorded. */
	REPLY(f, "bob", "to learn", "Thanks, bob: your answer to question 1 is saved.");
	assert_string_equal(answer_of(f, "goals-personal", "bob").text, "to learn");

	REPLY(f, "bob", "!ws resume", "only the facilitator (alice) can resume this session");
	assert_int_equal(open_session(f).state, SESSION_PAUSED);

	/* Resume confirms and posts the open question again. */
	assert_int_equal(say(f, "alice", "!ws resume"), 2);
	assert_contains(f->sent[0].text, "Session resumed.");
	assert_contains(f->sent[1].text, "Question 1 of 22");
	assert_int_equal(f->sent[1].prompt_index, 0);
	assert_int_equal(open_session(f).state, SESSION_ACTIVE);
	assert_int_equal(prompt_index(f), 0);

	REPLY(f, "alice", "!ws resume", "The session is not paused.");
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
}

static void test_only_facilitator_paces(void **state)
{
	static const struct {
		const char *command;
		const char *refusal;
	} cases[] = {
		{ "!ws next", "Sorry bob, only the facilitator (alice) can move on in this session." },
		{ "!ws back", "only the facilitator (alice) can go back in this session." },
		{ "!ws skip", "only the facilitator (alice) can skip questions in this session." },
		{ "!ws pause", "only the facilitator (alice) can pause this session." },
		{ "!ws resume", "only the facilitator (alice) can resume this session." },
		{ "!ws end", "only the facilitator (alice) can end this session." },
		{ "!ws pace timed 5m", "only the facilitator (alice) can change the pace of this "
				       "session." },
		{ "!ws tz Europe/Berlin", "only the facilitator (alice) can change the time zone "
					  "of this session." },
	};
	struct fixture *f = *state;
	struct session_rec s;

	start(f);
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		REPLY(f, "bob", cases[i].command, cases[i].refusal);
		assert_null(strchr(f->sent[0].text, '\n'));
		s = open_session(f);
		assert_int_equal(s.prompt_index, 1);
		assert_int_equal(s.state, SESSION_ACTIVE);
		assert_string_equal(s.facilitator, "alice");
	}
}

static void test_admin_may_pace(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	load_config(f, "dave, carol");
	start(f);
	REPLY(f, "carol", "!ws next", "Question 2 of 22");
	REPLY(f, "carol", "!ws pause", "Session paused.");
	assert_int_equal(say(f, "carol", "!ws resume"), 2);
	s = open_session(f);
	assert_int_equal(s.prompt_index, 1);
	assert_string_equal(s.facilitator, "alice");  /* still alice's session */
	REPLY(f, "bob", "!ws next", "only the facilitator (alice)");
	assert_int_equal(prompt_index(f), 1);
}

/* Dispatches ev (transport "test", channel C1, user name = user id) and drains the
 * outbox; returns how many messages it queued. */
static size_t dispatch(struct fixture *f, struct event ev)
{
	ev.transport = "test";
	ev.channel = "C1";
	ev.user_name = ev.user;
	if (!ev.text)
		ev.text = "";
	assert_int_equal(workshop_dispatch(&f->w, &ev), 0);
	return drain_outbox(f);
}

/* The Next and Skip buttons of a question post are pacing too. */
static void test_buttons_need_the_facilitator(void **state)
{
	struct fixture *f = *state;

	start(f);
	for (int i = 0; i < 2; i++) {
		struct event ev = { .kind = EVENT_BUTTON, .user = "bob",
				    .action = i ? "skip" : "next", .session_id = 1,
				    .prompt_index = 0 };
		assert_int_equal(dispatch(f, ev), 1);
		assert_contains(f->sent[0].text, "only the facilitator (alice) can");
		assert_int_equal(prompt_index(f), 0);
	}
}

/* A Matrix power level at [matrix] power_level (the event's moderator flag) paces any
 * session, as an admin does. */
static void test_moderator_may_pace(void **state)
{
	struct fixture *f = *state;
	struct event ev = { .kind = EVENT_MESSAGE, .user = "mod", .text = "!ws next",
			    .ref = "ref-m", .answers_open = true, .moderator = true };

	start(f);
	assert_int_equal(dispatch(f, ev), 1);
	assert_contains(f->sent[0].text, "Question 2 of 22");
	ev.text = "!ws end";
	assert_int_equal(dispatch(f, ev), 1);
	assert_contains(f->sent[0].text, "Session #1 has ended.");
}

/* An edit or deletion of someone else's answer message changes nothing; the author's
 * own edit replaces and own deletion withdraws. */
static void test_only_own_answers_change(void **state)
{
	struct fixture *f = *state;
	struct event edit = { .kind = EVENT_EDIT, .user = "bob", .text = "bob was here",
			      .ref = "ref-1", .target_ref = "ref-1", .answers_open = true };
	struct event del = { .kind = EVENT_DELETE, .user = "bob", .target_ref = "ref-1",
			     .answers_open = true };

	start(f);
	REPLY(f, "alice", "alice's own words", "Thanks, alice");
	assert_int_equal(dispatch(f, edit), 0);
	assert_int_equal(dispatch(f, del), 0);
	assert_string_equal(answer_of(f, "goals-personal", "alice").text, "alice's own words");
	assert_int_equal(answer_of(f, "goals-personal", "bob").n, 0);
	REPLY(f, "bob", "!ws retract", "You have no answer to question 1 to withdraw.");
	assert_int_equal(answer_of(f, "goals-personal", "alice").n, 1);

	edit.user = "alice";
	edit.text = "alice, edited";
	assert_int_equal(dispatch(f, edit), 1);
	assert_string_equal(answer_of(f, "goals-personal", "alice").text, "alice, edited");
	del.user = "alice";
	assert_int_equal(dispatch(f, del), 1);
	assert_contains(f->sent[0].text, "withdrawn (its message was deleted)");
	assert_int_equal(answer_of(f, "goals-personal", "alice").n, 0);
}

/* [workshopbot] command_limit: past it a person's commands are dropped, the first with a
 * private notice, the rest quietly until the window has passed; others and answers go
 * on; the bucket refills steadily. */
static void test_command_rate_limit(void **state)
{
	struct fixture *f = *state;

	wf_load_config(f, "[workshopbot]\ncommand_limit = 3\ncommand_window = 60\n");
	start(f);
	REPLY(f, "alice", "!ws status", "Session #1");
	REPLY(f, "alice", "!ws status", "Session #1");
	REPLY(f, "alice", "!ws next", "faster than I take them (3 in 60 seconds)");
	assert_int_equal(prompt_index(f), 0);
	assert_int_equal(say(f, "alice", "!ws next"), 0);
	assert_int_equal(say(f, "alice", "!ws help"), 0);
	REPLY(f, "bob", "!ws status", "Session #1");
	REPLY(f, "alice", "an answer is never dropped", "Thanks, alice");

	set_now("2026-11-29T09:00:20Z");  /* 20 s: one command back */
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	assert_int_equal(say(f, "alice", "!ws next"), 0);  /* told 20 s ago */
	set_now("2026-11-29T09:01:00Z");  /* a window after the notice: told again */
	REPLY(f, "alice", "!ws status", "Session #1");
	REPLY(f, "alice", "!ws status", "Session #1");
	REPLY(f, "alice", "!ws status", "faster than I take them");
	assert_int_equal(prompt_index(f), 1);
	set_now(NOW_ISO);
}

/* ---- answers --------------------------------------------------------------------------- */

struct history_seen {
	size_t n;
	char text[4][64];
	char reason[4][16];
};

static int collect_history(void *ud, const struct answer_history_rec *h)
{
	struct history_seen *seen = ud;

	if (seen->n < ARRAY_LEN(seen->text)) {
		snprintf(seen->text[seen->n], sizeof seen->text[0], "%s", h->text);
		snprintf(seen->reason[seen->n], sizeof seen->reason[0], "%s", h->reason);
	}
	seen->n++;
	return 0;
}

static void test_answers_replace_and_retract(void **state)
{
	struct fixture *f = *state;
	struct answer_seen a;
	struct history_seen h = { 0 };

	start(f);
	REPLY(f, "alice", "I want to meet \"partners\"; '); DROP TABLE answers; --",
	      "Thanks, alice: your answer to question 1 is saved.");
	a = answer_of(f, "goals-personal", "alice");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.text, "I want to meet \"partners\"; '); DROP TABLE answers; --");
	assert_string_equal(a.choices, "(null)");

	REPLY(f, "alice", "!ws answer Better: listen first",
	      "alice, your answer to question 1 is updated (the earlier one is kept in the "
	      "history).");
	a = answer_of(f, "goals-personal", "alice");
	assert_int_equal(a.n, 1);
	assert_string_equal(a.text, "Better: listen first");
	assert_int_equal(store_answer_history_each(f->store, a.id, collect_history, &h), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.text[0], "I want to meet \"partners\"; '); DROP TABLE answers; --");
	assert_string_equal(h.reason[0], "replaced");

	REPLY(f, "alice", "!ws retract", "Your answer to question 1 is withdrawn (it stays in the "
	      "history).");
	assert_int_equal(answer_of(f, "goals-personal", "alice").n, 0);
	memset(&h, 0, sizeof h);
	assert_int_equal(store_answer_history_each(f->store, a.id, collect_history, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.text[1], "Better: listen first");
	assert_string_equal(h.reason[1], "retracted");

	REPLY(f, "alice", "!ws retract", "You have no answer to question 1 to withdraw.");
	REPLY(f, "bob", "!ws retract", "You have no answer to question 1 to withdraw.");

	/* Answering after a retraction is a new answer again. */
	REPLY(f, "alice", "third time", "Thanks, alice: your answer to question 1 is saved.");
	assert_string_equal(answer_of(f, "goals-personal", "alice").text, "third time");

	/* An answer goes to the open question only. */
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	REPLY(f, "alice", "team answer", "your answer to question 2 is saved");
	assert_string_equal(answer_of(f, "goals-team", "alice").text, "team answer");
	assert_string_equal(answer_of(f, "goals-personal", "alice").text, "third time");

	REPLY(f, "alice", "!ws answer", "Usage: !ws answer <text>");
}

/* The stored text of user's answer to prompt_id, compared in full with want. */
static void assert_stored_text(struct fixture *f, const char *prompt_id, const char *user,
			       const char *want)
{
	static const char sql[] =
		"SELECT text FROM answers WHERE prompt_id = ? AND user_id = ? AND withdrawn = 0";
	sqlite3_stmt *st = store_stmt(f->store, sql);
	size_t len;

	assert_non_null(st);
	store_bind_text(st, 1, prompt_id);
	store_bind_text(st, 2, user);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	len = (size_t)sqlite3_column_bytes(st, 0);
	if (len != strlen(want) || memcmp(sqlite3_column_text(st, 0), want, len) != 0) {
		sqlite3_reset(st);
		fail_msg("%s's answer to %s is not stored as typed", user, prompt_id);
	}
	sqlite3_reset(st);
}

static void test_answers_as_typed(void **state)
{
	static const char emoji_rtl[] =
		"\xf0\x9f\x8e\x89 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xd8\xb9\xd8\xa7\xd9\x84\xd9\x85";
	struct fixture *f = *state;
	char *big = malloc(10001);
	char *too_big = malloc(20002);

	assert_non_null(big);
	assert_non_null(too_big);
	start(f);
	REPLY(f, "bob", emoji_rtl, "Thanks, bob");
	assert_stored_text(f, "goals-personal", "bob", emoji_rtl);
	REPLY(f, "bob", "  spaced  \"quoted\"  ", "bob, your answer to question 1 is updated");
	assert_stored_text(f, "goals-personal", "bob", "  spaced  \"quoted\"  ");

	/* 10,000 characters, kept whole. */
	for (int i = 0; i < 10000; i++)
		big[i] = (char)('a' + i % 26);
	big[10000] = '\0';
	REPLY(f, "carol", big, "Thanks, carol");
	assert_stored_text(f, "goals-personal", "carol", big);

	/* Past the limit: refused, and the earlier answer is kept. */
	memset(too_big, 'x', 20001);
	too_big[20001] = '\0';
	REPLY(f, "carol", too_big, "That answer is too long (20001 characters; the limit is "
	      "20000)");
	assert_stored_text(f, "goals-personal", "carol", big);
	free(big);
	free(too_big);
}

static void test_checklist_answers(void **state)
{
	struct fixture *f = *state;
	struct answer_seen a;

	start(f);
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	REPLY(f, "alice", "!ws next", "Question 3 of 22");

	REPLY(f, "bob", "1, 3", "Thanks, bob: your answer to question 3 is saved (Community "
	      "analysis, Outreach).");
	a = answer_of(f, "key-terms-used", "bob");
	assert_string_equal(a.text, "1, 3");
	assert_string_equal(a.choices, "[\"Community analysis\",\"Outreach\"]");

	REPLY(f, "carol", "equity; OUTREACH", "(Outreach, Equity)");
	assert_string_equal(answer_of(f, "key-terms-used", "carol").choices,
			    "[\"Outreach\",\"Equity\"]");

	REPLY(f, "alice", "Mark, 7", "(Marketing, Equality)");  /* a unique prefix */
	REPLY(f, "alice", "none", "alice, your answer to question 3 is updated");
	assert_contains(f->sent[0].text, "(none checked)");
	assert_string_equal(answer_of(f, "key-terms-used", "alice").choices, "[]");

	/* Refusals name the bad part and leave the earlier answer alone. */
	REPLY(f, "bob", "1, 9", "I could not match '9' to an option. Answer with numbers from 1 "
	      "to 7 or option names");
	REPLY(f, "bob", "0", "I could not match '0' to an option.");
	REPLY(f, "bob", "marketing, bananas", "I could not match 'bananas' to an option.");
	REPLY(f, "bob", "comm", "I could not match 'comm' to an option.");  /* ambiguous */
	a = answer_of(f, "key-terms-used", "bob");
	assert_string_equal(a.text, "1, 3");
	assert_string_equal(a.choices, "[\"Community analysis\",\"Outreach\"]");

	/* The next checklist reuses the options of this one. */
	REPLY(f, "alice", "!ws next", "Question 4 of 22");
	REPLY(f, "bob", "2", "(Marketing)");
	assert_string_equal(answer_of(f, "key-terms-new", "bob").choices, "[\"Marketing\"]");
}

static void test_answer_without_session(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	REPLY(f, "bob", "my answer", "No workshop is running here, so that was not recorded. "
	      "Start one with !ws start");
	REPLY(f, "bob", "!ws answer my answer", "No workshop is running here. Start one with "
	      "!ws start.");
	REPLY(f, "bob", "!ws next", "No workshop is running here.");
	REPLY(f, "bob", "!ws retract", "No workshop is running here.");
	assert_int_equal(store_session_latest_in(f->store, "test", "C1", &s), BOT_ERR_NOT_FOUND);
}

static void test_blank_and_chatter_queue_nothing(void **state)
{
	struct fixture *f = *state;
	struct event chatter = {
		.kind = EVENT_MESSAGE, .transport = "test", .channel = "C1", .user = "bob",
		.user_name = "bob", .text = "just chatting", .answers_open = false,
	};

	/* No session: blank lines get no hint. */
	assert_int_equal(say(f, "bob", "   "), 0);
	assert_int_equal(say(f, "bob", ""), 0);
	assert_int_equal(say(f, "bob", " \t \n "), 0);

	start(f);
	assert_int_equal(say(f, "bob", "    "), 0);
	assert_int_equal(answer_of(f, "goals-personal", "bob").n, 0);

	/* Where plain text is not an answer (a channel outside a thread), nothing happens. */
	assert_int_equal(workshop_dispatch(&f->w, &chatter), 0);
	assert_int_equal(drain_outbox(f), 0);
	assert_int_equal(answer_of(f, "goals-personal", "bob").n, 0);

	/* An addressed event (slash command, mention) is a command without the prefix. */
	chatter.addressed = true;
	chatter.user = chatter.user_name = "alice";
	chatter.text = "next";
	assert_int_equal(workshop_dispatch(&f->w, &chatter), 0);
	assert_int_equal(drain_outbox(f), 1);
	assert_contains(f->sent[0].text, "Question 2 of 22");
	/* ... and with the prefix too (typed in a direct message, where all is addressed). */
	chatter.text = "!ws next";
	assert_int_equal(workshop_dispatch(&f->w, &chatter), 0);
	assert_int_equal(drain_outbox(f), 1);
	assert_contains(f->sent[0].text, "Question 3 of 22");
}

/* ---- commands -------------------------------------------------------------------------- */

static void test_unknown_command_and_usage(void **state)
{
	struct fixture *f = *state;
	char line[128];

	REPLY(f, "bob", "!ws frobnicate", "Unknown command 'frobnicate'. Try !ws help for the list.");
	assert_null(strchr(f->sent[0].text, '\n'));
	/* Only the command word is echoed, and it is not marked as cut when it was not. */
	REPLY(f, "bob", "!ws frobnicate the widgets", "Unknown command 'frobnicate'. Try");
	assert_not_contains(f->sent[0].text, "widgets");
	/* A long word is cut at 40 bytes, on a character boundary. */
	snprintf(line, sizeof line, "!ws %s", "abcdefghijklmnopqrstuvwxyzabcdefghijklm\xc3\xa9zzzz");
	REPLY(f, "bob", line, "Unknown command 'abcdefghijklmnopqrstuvwxyzabcdefghijklm…'.");
	REPLY(f, "bob", "!WS NEXT", "No workshop is running here.");  /* case-insensitive */

	REPLY(f, "bob", "!ws done", "Usage: !ws done <id>");
	assert_null(strchr(f->sent[0].text, '\n'));
	REPLY(f, "bob", "!ws action", "Usage: !ws action <what> [@owner] [by <date>]");
	REPLY(f, "bob", "!ws due", "Usage: !ws due <id> <date>");
	REPLY(f, "bob", "!ws assign", "Usage: !ws assign <id> @owner");
	REPLY(f, "bob", "!ws actions bogus", "Usage: !ws actions [mine|all]");
	REPLY(f, "bob", "!ws", "workshopbot commands");
	assert_contains(f->sent[0].text, "action <what> [@owner] [by <date>]");
	REPLY(f, "bob", "!ws help", "next — move to the next question (facilitator)");
}

static void test_status_and_who(void **state)
{
	struct fixture *f = *state;

	start(f);
	REPLY(f, "bob", "!ws status", "Session #1 (community-engagement, active, facilitated by "
	      "alice): question 1 of 22: Personal Goals\nAnswered by nobody yet (0 of 2).");
	REPLY(f, "bob", "my goal", "Thanks, bob");
	REPLY(f, "carol", "!ws who", "Not answered question 1 yet: alice, carol.");
	REPLY(f, "carol", "!ws status", "Answered by bob (1 of 3).");
	REPLY(f, "alice", "mine", "Thanks, alice");
	REPLY(f, "carol", "theirs", "Thanks, carol");
	REPLY(f, "carol", "!ws who", "Everyone here has answered question 1.");
	REPLY(f, "carol", "!ws status", "Answered by alice, bob, carol (3 of 3).");

	REPLY(f, "alice", "!ws pause", "Session paused.");
	REPLY(f, "bob", "!ws status", "(community-engagement, paused, facilitated by alice)");
}

/* ---- action items ---------------------------------------------------------------------- */

static void get_action(struct fixture *f, int64_t id, struct action_rec *a)
{
	int rc = store_action_get(f->store, id, a);

	if (rc != 0)
		fail_msg("action item #%lld: %s", (long long)id, bot_strerror(rc));
}

static void test_action_add(void **state)
{
	struct fixture *f = *state;
	struct action_rec a;
	struct session_rec s;

	start(f);
	s = open_session(f);
	REPLY(f, "alice", "!ws action Call the food bank @sam by friday",
	      "Added action item #1 Call the food bank — owner @sam, due 2026-12-04, open.");
	get_action(f, 1, &a);
	assert_string_equal(a.text, "Call the food bank");
	assert_string_equal(a.owner, "sam");
	assert_string_equal(a.due_date, "2026-12-04");
	assert_string_equal(a.created_by, "alice");
	assert_int_equal(a.session_id, s.id);
	assert_int_equal(a.status, ACTION_OPEN);
	assert_int_equal(a.created_at, NOW);
	action_rec_clear(&a);

	REPLY(f, "bob", "!ws action @carol Book the room by 2026-12-15",
	      "Added action item #2 Book the room — owner @carol, due 2026-12-15, open.");
	REPLY(f, "bob", "!ws action Send \"minutes\" by tomorrow",
	      "#3 Send \"minutes\" — no owner, due 2026-11-30, open.");
	REPLY(f, "bob", "!ws action Share slides", "#4 Share slides — no owner, no due date, open.");
	REPLY(f, "bob", "!ws action Visit the school by in 2 weeks", "due 2026-12-13");

	/* Refusals store nothing. */
	REPLY(f, "alice", "!ws action Email @sam @carol", "An action item has one owner; name one "
	      "@person (usage: !ws action <what> [@owner] [by <date>]).");
	REPLY(f, "alice", "!ws action Plan the fair by someday", "cannot read 'someday' as a date: "
	      "use 2026-12-15, today, tomorrow, friday, next tuesday, in 2 weeks or dec 15. Usage: "
	      "!ws action <what> [@owner] [by <date>]");
	assert_null(strchr(f->sent[0].text, '\n'));
	REPLY(f, "alice", "!ws action Plan the fair by 12/15", "ambiguous date '12/15': write "
	      "2026-12-15 or dec 15");
	REPLY(f, "alice", "!ws action @sam by friday", "What is the action?");
	assert_int_equal(count_actions(f, s.id), 5);

	/* "by" that starts no date is part of the text. */
	REPLY(f, "alice", "!ws action sit by the window", "#6 sit by the window — no owner, no "
	      "due date, open.");
	get_action(f, 6, &a);
	assert_string_equal(a.text, "sit by the window");
	assert_null(a.due_date);
	action_rec_clear(&a);
	REPLY(f, "alice", "!ws action Stand by the door by friday", "#7 Stand by the door — no "
	      "owner, due 2026-12-04, open.");
	REPLY(f, "alice", "!ws action Finish by the end of the year", "#8 Finish by the end of "
	      "the year — no owner, no due date");
	/* ...but what still looks like a date is refused, not silently kept as text. */
	REPLY(f, "alice", "!ws action Call Sam by fridya", "cannot read 'fridya' as a date");
	REPLY(f, "alice", "!ws action Call Sam by next tusday", "cannot read 'next tusday' as a "
	      "date");
	REPLY(f, "alice", "!ws action Call Sam by dec 155", "cannot read 'dec 155' as a date");
	REPLY(f, "alice", "!ws action Call Sam by in two weeks", "as a date");
	assert_int_equal(count_actions(f, s.id), 8);
}

static void test_action_commands(void **state)
{
	struct fixture *f = *state;
	struct action_rec a;

	start(f);
	REPLY(f, "alice", "!ws action Call the food bank @sam by friday", "#1");

	REPLY(f, "bob", "!ws done 1", "Marked done: #1 Call the food bank — owner @sam, due "
	      "2026-12-04, done.");
	get_action(f, 1, &a);
	assert_int_equal(a.status, ACTION_DONE);
	assert_int_equal(a.done_at, NOW);
	action_rec_clear(&a);
	REPLY(f, "bob", "!ws done #1", "Action item #1 is already done.");

	REPLY(f, "bob", "!ws reopen 1", "Reopened: #1 Call the food bank — owner @sam, due "
	      "2026-12-04, open.");
	get_action(f, 1, &a);
	assert_int_equal(a.status, ACTION_OPEN);
	assert_int_equal(a.done_at, 0);
	action_rec_clear(&a);
	REPLY(f, "bob", "!ws reopen 1", "Action item #1 is already open.");

	REPLY(f, "bob", "!ws assign 1 @carol", "Assigned: #1 Call the food bank — owner @carol");
	get_action(f, 1, &a);
	assert_string_equal(a.owner, "carol");
	action_rec_clear(&a);
	REPLY(f, "bob", "!ws assign 1 carol", "Whom to? Usage: !ws assign <id> @owner");
	REPLY(f, "bob", "!ws assign 1 @carol @dave", "Whom to?");

	REPLY(f, "bob", "!ws due 1 2026-12-24", "Due date set: #1 Call the food bank — owner "
	      "@carol, due 2026-12-24, open.");
	get_action(f, 1, &a);
	assert_string_equal(a.due_date, "2026-12-24");
	action_rec_clear(&a);
	REPLY(f, "bob", "!ws due 1 none", "Due date set: #1 Call the food bank — owner @carol, "
	      "no due date, open.");
	get_action(f, 1, &a);
	assert_null(a.due_date);
	action_rec_clear(&a);
	REPLY(f, "bob", "!ws due 1 someday", "cannot read 'someday' as a date");
	assert_contains(f->sent[0].text, "Usage: !ws due <id> <date>");
	REPLY(f, "bob", "!ws due 1", "When? Usage: !ws due <id> <date> (or none)");
	get_action(f, 1, &a);
	assert_null(a.due_date);
	assert_string_equal(a.owner, "carol");
	assert_int_equal(a.status, ACTION_OPEN);
	action_rec_clear(&a);

	REPLY(f, "bob", "!ws done 99", "There is no action item #99 here (see !ws actions all).");
	REPLY(f, "bob", "!ws done abc", "Which action item? Give its number, e.g. 3. Usage: "
	      "!ws done <id>");
	REPLY(f, "bob", "!ws done 0", "Which action item?");
}

static void test_action_lists(void **state)
{
	struct fixture *f = *state;

	REPLY(f, "alice", "!ws action Too early", "No workshop has run here yet");
	start(f);
	REPLY(f, "alice", "!ws actions", "Open action items here: none.");
	REPLY(f, "alice", "!ws action First @bob", "#1");
	REPLY(f, "alice", "!ws action Second @alice", "#2");
	REPLY(f, "alice", "!ws action Third", "#3");
	REPLY(f, "alice", "!ws done 2", "Marked done");

	REPLY(f, "carol", "!ws actions", "Open action items here:\n  #1 First — owner @bob, no due "
	      "date, open\n  #3 Third — no owner, no due date, open");
	assert_not_contains(f->sent[0].text, "Second");
	REPLY(f, "carol", "!ws actions all", "#2 Second — owner @alice, no due date, done");
	assert_contains(f->sent[0].text, "#1 First");
	assert_contains(f->sent[0].text, "#3 Third");
	REPLY(f, "bob", "!ws actions mine", "Your open action items here:\n  #1 First");
	assert_not_contains(f->sent[0].text, "Third");
	REPLY(f, "carol", "!ws actions mine", "Your open action items here: none.");

	/* After the session ends, the items stay reachable in the channel. */
	REPLY(f, "alice", "!ws end", "has ended");
	REPLY(f, "bob", "!ws done 1", "Marked done: #1 First");
	REPLY(f, "bob", "!ws action Fourth", "#4 Fourth");
}

static void test_actions_of_another_channel_refused(void **state)
{
	struct fixture *f = *state;
	struct action_rec a;

	start(f);
	assert_int_equal(say_in(f, "C2", "bob", "!ws start"), 2);
	assert_int_equal(say_in(f, "C2", "bob", "!ws action Their item @bob"), 1);
	assert_contains(f->sent[0].text, "#1 Their item");
	assert_string_equal(f->sent[0].channel, "C2");

	REPLY(f, "alice", "!ws done 1", "There is no action item #1 here");
	REPLY(f, "alice", "!ws reopen 1", "There is no action item #1 here");
	REPLY(f, "alice", "!ws assign 1 @alice", "There is no action item #1 here");
	REPLY(f, "alice", "!ws due 1 friday", "There is no action item #1 here");
	REPLY(f, "alice", "!ws actions all", "All action items here: none.");
	get_action(f, 1, &a);
	assert_int_equal(a.status, ACTION_OPEN);
	assert_string_equal(a.owner, "bob");
	assert_null(a.due_date);
	action_rec_clear(&a);
}

static void test_action_items_question(void **state)
{
	struct fixture *f = *state;
	struct action_rec a;

	start(f);
	/* Walk to the action-items question (question 21, prompt index 21). */
	for (int i = 0; i < 20; i++)
		assert_int_equal(say(f, "alice", "!ws next"), 1);
	assert_contains(f->sent[0].text, "Question 21 of 22");
	assert_contains(f->sent[0].text, "Reply with one action item per message");
	assert_int_equal(prompt_index(f), 21);

	/* A plain line is an action item here. */
	REPLY(f, "bob", "Follow up with the school @carol by tomorrow",
	      "Added action item #1 Follow up with the school — owner @carol, due 2026-11-30");
	get_action(f, 1, &a);
	assert_string_equal(a.created_by, "bob");
	action_rec_clear(&a);
	REPLY(f, "bob", "!ws retract", "Action items are not withdrawn but closed: !ws done <id>.");
	REPLY(f, "alice", "!ws who", "Not answered question 21 yet: alice.");
}

/* ---- end and report -------------------------------------------------------------------- */

static void test_end_then_report(void **state)
{
	struct fixture *f = *state;
	struct session_rec s;

	start(f);
	REPLY(f, "bob", "Learn from peers", "Thanks, bob");
	REPLY(f, "alice", "!ws action Call the food bank @bob by friday", "#1");
	REPLY(f, "bob", "!ws end", "only the facilitator (alice) can end this session.");
	assert_int_equal(open_session(f).state, SESSION_ACTIVE);

	REPLY(f, "alice", "!ws end", "Session #1 has ended. 1 answer and 1 action item are saved.");
	assert_int_equal(f->sent[0].session_id, 1);
	assert_int_equal(store_session_open_in(f->store, "test", "C1", &s), BOT_ERR_NOT_FOUND);
	assert_int_equal(store_session_latest_in(f->store, "test", "C1", &s), 0);
	assert_int_equal(s.state, SESSION_ENDED);
	assert_int_equal(s.ended_at, NOW);
	assert_int_equal(s.prompt_index, 0);

	REPLY(f, "carol", "!ws report", "Summary of session #1: Community Engagement");
	assert_contains(f->sent[0].text, "Facilitated by alice");
	assert_contains(f->sent[0].text, "Personal Goals");
	assert_contains(f->sent[0].text, "bob: Learn from peers");
	assert_contains(f->sent[0].text, "#1 Call the food bank — owner bob, due 2026-12-04, open");
	REPLY(f, "carol", "!ws report 1", "Summary of session #1");
	REPLY(f, "carol", "!ws report 2", "No such session here.");
	REPLY(f, "carol", "!ws report x", "Usage: !ws report [session id]");

	/* Ended: no pacing, no answers, and a new session may start. */
	REPLY(f, "alice", "!ws next", "No workshop is running here.");
	REPLY(f, "alice", "!ws end", "No workshop is running here.");
	REPLY(f, "bob", "late answer", "No workshop is running here, so that was not recorded.");
	assert_int_equal(say(f, "carol", "!ws start"), 2);
	assert_contains(f->sent[0].text, "Session #2, facilitated by @carol.");
	/* Another channel's session is not reported here. */
	REPLY(f, "carol", "!ws report 1", "Summary of session #1");
	assert_int_equal(say_in(f, "C2", "carol", "!ws report 1"), 1);
	assert_contains(f->sent[0].text, "No such session here.");
}

static void test_restart_continues(void **state)
{
	struct fixture *f = *state;
	char err[BOT_ERRMSG_MAX];

	start(f);
	REPLY(f, "alice", "!ws next", "Question 2 of 22");
	REPLY(f, "bob", "team goal", "Thanks, bob");
	store_close(f->store);
	f->store = NULL;
	assert_int_equal(store_open(f->db, STORE_WRITER, &f->store, err, sizeof err), 0);
	f->w.store = f->store;
	assert_int_equal(prompt_index(f), 1);
	REPLY(f, "bob", "better team goal", "bob, your answer to question 2 is updated");
	REPLY(f, "alice", "!ws next", "Question 3 of 22");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_start_posts_welcome_and_first_question, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_start_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_named_template_and_unknown, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sessions_are_per_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_back_skip_and_the_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_facilitator_paces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_may_pace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buttons_need_the_facilitator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_moderator_may_pace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_own_answers_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_command_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_replace_and_retract, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers_as_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checklist_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answer_without_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blank_and_chatter_queue_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_command_and_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_and_who, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_add, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_actions_of_another_channel_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_action_items_question, setup, teardown),
		cmocka_unit_test_setup_teardown(test_end_then_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_continues, setup, teardown),
	};

	return cmocka_run_group_tests_name("session: handlers through workshop_dispatch", tests,
					   suite_setup, suite_teardown);
}
