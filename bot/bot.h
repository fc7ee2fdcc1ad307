/* bot.h - the daemon: one libuv loop, the store, the templates, the handlers and the
 * transports that feed them. */
#ifndef WORKSHOPBOT_BOT_H
#define WORKSHOPBOT_BOT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "bot/config.h"
#include "bot/event.h"
#include "bot/store.h"
#include "bot/transport.h"
#include "handlers/workshop.h"
#include "prompts/template.h"

#define BOT_MAX_TRANSPORTS 4

struct sched;

struct bot {
	uv_loop_t loop;
	const struct config *cfg;
	struct store *store;
	const struct template_set *templates;
	struct workshop ws;
	struct transport *transports[BOT_MAX_TRANSPORTS];
	bool failed[BOT_MAX_TRANSPORTS];     /* stopped for good by a fatal error */
	size_t n_transports;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	struct sched *sched;  /* the follow-up jobs (scheduler.h), from bot_run to bot_stop */
	/* The loop turn: its writes share one transaction, which ends before the loop waits
	 * again (prepare) or after the turn's I/O callbacks (check), whichever comes first.
	 * Then transports send their acks and the outbox is flushed: only what is committed
	 * is acknowledged or sent. */
	uv_prepare_t turn_prepare;
	uv_check_t turn_check;
	bool turn_armed;
	bool flush_wanted[BOT_MAX_TRANSPORTS];
	int64_t flushed_to[BOT_MAX_TRANSPORTS]; /* the outbox rows up to this id were taken */
	bool stopping;
	int exit_code;
	size_t sent_count;    /* messages marked sent so far; lets a flush see progress */
};

/* Sets up the loop and signal handling around an open store and loaded templates
 * (borrowed; they must outlive the bot). Returns 0 or a BOT_ERR_* code. */
int bot_init(struct bot *b, const struct config *cfg, struct store *store,
	     const struct template_set *templates);

/* Adds a transport (the bot frees it in bot_close()). */
int bot_add_transport(struct bot *b, struct transport *t);

/* Starts the scheduler of follow-up jobs (jobs already due run at once; with the clock
 * frozen by WORKSHOPBOT_NOW only those, see scheduler.h) and every transport, and runs
 * the loop until bot_stop(). Returns the exit code. */
int bot_run(struct bot *b);

/* Sends what the last jobs queued, stops the scheduler and asks every transport to stop;
 * the loop ends when their handles are closed. */
void bot_stop(struct bot *b, int exit_code);

/* Frees the transports and closes the loop. */
void bot_close(struct bot *b);

/* A transport received an event: handle it inside the turn's transaction (a savepoint:
 * a failure undoes only this event). Returns 0 when its effects are stored; they are
 * committed at the end of the turn, after which the transport's committed() is called
 * and what the event queued is sent. */
int bot_event(struct bot *b, struct transport *t, const struct event *ev);

/* Sends the transport's queued messages at the end of this turn (and re-arms the
 * scheduler when a handler changed the jobs table). */
void bot_flush(struct bot *b, struct transport *t);

/* Ends the turn now: commits it, tells the transports, flushes what is wanted. For the
 * console, which answers each line before reading the next. */
void bot_settle(struct bot *b);

/* Commits the turn's writes now, for a transport that must know they are durable before
 * it goes on (Matrix, before it takes a new sync position). Returns 0 or a BOT_ERR_*
 * code; a disk fault stops the bot. */
int bot_commit(struct bot *b);

/* A message from the outbox was delivered; ref is the transport's id for it. */
void bot_sent(struct bot *b, int64_t outbox_id, const char *ref);

/* A transport opened a direct channel to user (for an OUTBOX_DIRECT message): later
 * direct messages to user find it as their target_ref. */
void bot_direct_opened(struct bot *b, struct transport *t, const char *user,
		       const char *channel);

/* A transport stopped for good (a refused token, Socket Mode turned off): it is stopped,
 * and when no other transport runs the bot stops with exit code 1. */
void bot_transport_failed(struct bot *b, struct transport *t);

/* A message from the outbox cannot be delivered (error is one line, kept with it). */
void bot_failed(struct bot *b, int64_t outbox_id, const char *error);

#endif
