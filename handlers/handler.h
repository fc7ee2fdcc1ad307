/* handler.h - what the handler modules share: the context of one event, replies, and
 * the command handlers each module provides. Internal to handlers/. */
#ifndef WORKSHOPBOT_HANDLER_H
#define WORKSHOPBOT_HANDLER_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/msg.h"
#include "bot/store_actions.h"
#include "bot/store_jobs.h"
#include "bot/store_sessions.h"
#include "handlers/workshop.h"

/* The context of the event being handled. */
struct ctx {
	struct workshop *w;
	const struct event *ev;
	int64_t now;
	char author[128];              /* the author's display name (or id) */
	bool has_session;              /* an open (not ended) session in this channel */
	struct session_rec session;    /* valid when has_session */
	const struct template *tpl;    /* the open session's template, when has_session */
	bool direct;                   /* the event is in the author's direct channel with
	                                  the bot: no session there; commands act on the
	                                  author's items of every session */
};

/* Queues msg as a reply in the event's channel (and thread), for everyone. Frees msg's
 * spans. Returns 0 or a BOT_ERR_* code. */
int reply(struct ctx *c, struct msg *m);
/* Queues a one-line reply for everyone, printf-style, in the bot's own words. */
int reply_text(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, seen only by the event's author where the chat allows (refusals, usage,
 * help, status). */
int reply_private(struct ctx *c, struct msg *m);
int private_text(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Confirms the event's message (an answer): a reaction where the chat has them, else
 * msg as a private reply. */
int confirm(struct ctx *c, struct msg *m);
/* Queues a form for the author (needs the event's trigger); spec is form JSON. */
int open_form(struct ctx *c, const char *spec);
/* Queues msg for user by direct message (on the event's transport). Frees msg's spans. */
int post_direct(struct ctx *c, const char *user, struct msg *m);
/* Queues msg in the channel of session s, as the post of a question when prompt_index is
 * not -1. Frees msg's spans. */
int post_to_session(struct ctx *c, const struct session_rec *s, long prompt_index,
		    struct msg *m);

/* Queues a new text for the post of question prompt_index of session s (where the chat
 * can edit posts). Frees msg's spans. */
int update_question(struct ctx *c, const struct session_rec *s, long prompt_index,
		    struct msg *m);

/* The display name of a session member, into buf (the id when unknown). */
void member_name(struct ctx *c, int64_t session_id, const char *user_id, char *buf,
		 size_t len);

/* True if the event's author may pace the open session (its facilitator or an admin);
 * otherwise queues a polite refusal naming what was refused. */
bool require_facilitator(struct ctx *c, const char *what);
/* True if there is an open session; otherwise queues a hint to start one. */
bool require_session(struct ctx *c);

/* Command handlers: args is the text after the command word, trimmed (never NULL). */
int cmd_start(struct ctx *c, const char *args);
int cmd_next(struct ctx *c, const char *args);
int cmd_back(struct ctx *c, const char *args);
int cmd_skip(struct ctx *c, const char *args);
int cmd_pause(struct ctx *c, const char *args);
int cmd_resume(struct ctx *c, const char *args);
int cmd_status(struct ctx *c, const char *args);
int cmd_who(struct ctx *c, const char *args);
int cmd_end(struct ctx *c, const char *args);
int cmd_templates(struct ctx *c, const char *args);
int cmd_pace(struct ctx *c, const char *args);
int cmd_tz(struct ctx *c, const char *args);

/* Moves the open session to its next question, closing the current one as state
 * ("closed" or "skipped"); at the last question it says so privately. */
int session_advance(struct ctx *c, const char *state);

/* Pacing (pacing.h, pacing_async.h). */
struct pace_spec {
	enum session_pace pace;
	long seconds;                  /* timed: per question; else 0 */
	char time[6];                  /* async: "HH:MM" local; else "" */
};
/* Parses "live", "timed <duration>" or "async daily HH:MM" into *out. Returns 0, or
 * BOT_ERR_INVALID with the reason in err. */
int pacing_parse(const char *spec, struct pace_spec *out, char *err, size_t errlen);
/* "10m", "1h30m", "1m30s". */
void pacing_format_duration(long seconds, char *buf, size_t len);
/* Cancels the pending pacing jobs (timed and async) of a session (sets jobs_changed). */
int pacing_cancel(struct ctx *c, int64_t session_id);
/* Cancels them for c->session and, when it is active, schedules anew from c->now: the
 * timed pair for its open question, or the async jobs of its open section. Returns 0 or
 * a BOT_ERR_DB* code. */
int pacing_reschedule(struct ctx *c);
/* Appends the session's pace to a status message ("\nPace: ..."). */
int pacing_describe(struct ctx *c, struct msg *m);
/* The due time of the session's pending job of kind into *due (0 when none). */
int pacing_next_due(struct ctx *c, const char *kind, int64_t *due);
/* Adds a pacing job of kind at due_at for c->session's open question (payload
 * {"prompt":N}: a job whose session has another question open by then is stale). */
int pacing_add_job(struct ctx *c, const char *kind, int64_t due_at);
/* Loads the session of a pacing job into *c (with ev as its event, in the session's
 * channel). c->has_session is false when the job is to be dropped: not a kind the
 * caller knows (known false) or malformed, its session is gone, not active, no longer
 * of pace, has another question open, or its template is gone. Returns 0 or a
 * BOT_ERR_DB* code. */
int pacing_job_load(struct workshop *w, const struct store_job *job, int64_t now,
		    bool known, enum session_pace pace, struct ctx *c, struct event *ev);

/* The async pace (pacing_async.c). Parses "daily HH:MM" (what follows "async") into
 * out->time. */
int pacing_async_parse(const char *spec, struct pace_spec *out, char *err, size_t errlen);
/* Opens the section of question index now: posts a heading and each of its prompts not
 * open yet, moves the session to the section's first question and schedules the next
 * section and the nudge. delayed adds the offline note. */
int pacing_async_open(struct ctx *c, long index, bool delayed);
/* next (dir 1, state "closed"), skip (1, "skipped"), back (-1, "closed") by sections. */
int pacing_async_step(struct ctx *c, int dir, const char *state);
/* Marks every open prompt of the open section as state (and their posts). */
int pacing_async_close(struct ctx *c, const char *state);
/* Schedules the async jobs of c->session's open section (after pacing_cancel). */
int pacing_async_schedule(struct ctx *c);
/* Appends the async pace line of a status message. */
int pacing_async_describe(struct ctx *c, struct msg *m);
/* Appends who has not answered every question of the open section yet, with the
 * question numbers ("bob (3, 5), carol (4)"), and sets *listed to how many. */
int pacing_async_missing(struct ctx *c, struct msg *m, size_t *listed);
/* Sends the open section of c->session by direct message to user now, when it is an
 * active async session and user is asked that way (`dm on` turned on mid-section). */
int pacing_async_ask(struct ctx *c, const char *user);
/* The author's first unanswered question of the open section into *index; once they
 * answered all, the section's action-items question (each line adds one), else -1. */
int pacing_async_answer_index(struct ctx *c, long *index);

/* Who has answered question index of the open session (for an action-items question:
 * who has added an action item to the session), as user ids. */
struct answered {
	char ids[64][128];
	size_t n;
	size_t total;          /* may exceed the 64 ids kept */
};
int answered_load(struct ctx *c, long index, struct answered *an);
bool answered_has(const struct answered *an, const char *user_id);

/* Closes prompt index of the session as state ("closed" or "skipped") and marks its post
 * so (a question's; an info prompt has no post of its own to mark). */
int session_close_prompt(struct ctx *c, long index, const char *state);

int cmd_answer(struct ctx *c, const char *args);
int cmd_retract(struct ctx *c, const char *args);

int cmd_action(struct ctx *c, const char *args);
int cmd_actions(struct ctx *c, const char *args);
int cmd_done(struct ctx *c, const char *args);
int cmd_reopen(struct ctx *c, const char *args);
int cmd_assign(struct ctx *c, const char *args);
int cmd_due(struct ctx *c, const char *args);
int cmd_snooze(struct ctx *c, const char *args);

int cmd_report(struct ctx *c, const char *args);
/* dm [on|off]: the author's choice of reminders by direct message (direct.c). */
int cmd_dm(struct ctx *c, const char *args);
/* True if reminders for user go by direct message: [followup] remind_by = direct, or
 * the person chose dm on. */
int reminders_by_direct(struct workshop *w, const char *transport, const char *user,
			bool *direct);
/* A plain message (or `answer <text>`) in the author's direct channel: text answers
 * their next unanswered question of the latest active async session they are a member
 * of on this chat (none: a short private hint). */
int direct_answer(struct ctx *c, const char *text);
/* An edit or deletion there updates or withdraws the answer that message gave. */
int direct_changed(struct ctx *c);
/* A ✅ on a reminder marks its one action item done (as `done` does) or, when the
 * reminder lists several, answers with a `done <id>` hint for each. *handled tells
 * whether the reaction was such a one (else it may be an answer's). */
int direct_reaction(struct ctx *c, bool *handled);

/* Records text as the author's answer to the open question (plain lines, `answer`). */
int answer_current(struct ctx *c, const char *text);
/* Records text as the author's answer to question index of the open session (a reply in
 * that question's thread). */
int answer_prompt(struct ctx *c, long index, const char *text);
/* An answer's message was edited or deleted: update or withdraw the answer. */
int answer_edited(struct ctx *c);
int answer_deleted(struct ctx *c);
/* A submitted answer form (text or checklist choices). */
int answer_form(struct ctx *c);
/* A numbered reaction (1️⃣ ...) on a checklist's post checks that option. */
int answer_reaction(struct ctx *c);

/* Buttons on a question post, and the action-item form. */
int button_pressed(struct ctx *c);
int action_form(struct ctx *c);

/* Adds an action item from "<what> [@owner] [by <date>]" to session s. */
int action_add(struct ctx *c, const struct session_rec *s, const char *spec);
/* Adds an action item of session s (owner and due may be NULL) and announces it. */
int action_insert(struct ctx *c, const struct session_rec *s, const char *text,
		  const char *owner, const char *due);
/* Cancels every pending reminder of item a and, when it is open with a due date,
 * schedules its reminders anew from now (reminders.h). Sets c->w->jobs_changed when the
 * jobs table changed. Returns 0 or a BOT_ERR_DB* code. */
int reminders_reschedule(struct ctx *c, const struct action_rec *a);
/* Moves the next pending reminder of item a to the end of `when` (a duration, or a date
 * at due_morning) and replies; a bad `when` gets a private usage reply. */
int reminders_snooze(struct ctx *c, const struct action_rec *a, const char *when);

/* Report-back prompts (reportback.h). Schedules the follow-ups of session s (just
 * ended; template c->tpl), replacing any pending ones. */
int reportback_schedule(struct ctx *c, const struct session_rec *s);
int cmd_reportback(struct ctx *c, const char *args);
/* A message in the thread of a report-back prompt is an entry; 0 when it is not one. */
int reportback_thread(struct ctx *c);
/* A plain console line while no session is open: an entry for the open prompt, if any;
 * *handled says whether there was one. */
int reportback_plain(struct ctx *c, bool *handled);
/* The message of an entry was edited or deleted (nothing when it made no entry). */
int reportback_edited(struct ctx *c);
int reportback_deleted(struct ctx *c);

/* The session action items of this channel belong to: the open one, else the latest.
 * Returns 0, BOT_ERR_NOT_FOUND, or a BOT_ERR_DB* code. */
int channel_session(struct ctx *c, struct session_rec *out);

#endif
