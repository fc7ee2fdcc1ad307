/* slack.h - the Slack transport: Socket Mode (websocket) in, Web API out.
 *
 * Start: auth.test (the bot's own ids), apps.connections.open, the websocket; ready at
 * "hello". Every envelope is acked after its effect is committed. Messages are paced to
 * about one a second per channel and honour 429 Retry-After. */
#ifndef WORKSHOPBOT_SLACK_H
#define WORKSHOPBOT_SLACK_H

#include "bot/config.h"
#include "bot/transport.h"

/* A Slack transport for the tokens and API URL in cfg (borrowed; must outlive it).
 * Returns NULL on out-of-memory. Freed through its ops->free. */
struct transport *slack_new(const struct config *cfg);

#endif
