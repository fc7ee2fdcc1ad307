/* workshop.h - the entry point of the handlers: one normalised event in, its effects
 * (answers, action items, session changes, outgoing messages in the outbox) committed in
 * one transaction. Handlers know nothing of transports. */
#ifndef WORKSHOPBOT_WORKSHOP_H
#define WORKSHOPBOT_WORKSHOP_H

#include <stdbool.h>

#include "bot/config.h"
#include "bot/event.h"
#include "bot/store.h"
#include "handlers/ratelimit.h"
#include "prompts/template.h"

struct workshop {
	struct store *store;
	const struct config *cfg;
	const struct template_set *templates;
	bool jobs_changed;     /* a handler added or cancelled a job: the daemon re-arms its
	                          scheduler (sched_arm) and clears this */
	struct ratelimit commands;  /* per person; zero-initialised */
};

/* Handles one event in one transaction. Returns 0 when the event's effects (including
 * any refusal message) are committed, or a BOT_ERR_DB* code when nothing could be stored
 * (the transaction is rolled back and the error logged). */
int workshop_dispatch(struct workshop *w, const struct event *ev);

/* The same inside the caller's transaction (a Matrix sync batch commits its events and
 * its next_batch together). Returns 0, or a BOT_ERR_DB* code: then roll back. */
int workshop_handle(struct workshop *w, const struct event *ev);

#endif
