/* matrix.h - the Matrix transport: the client-server API's /sync long-poll in, paced
 * idempotent sends out, on the daemon's libuv loop.
 *
 * Each sync answer's events and its next_batch commit in one transaction, so after a
 * crash nothing is replayed twice and nothing is skipped. */
#ifndef WORKSHOPBOT_MATRIX_H
#define WORKSHOPBOT_MATRIX_H

#include "bot/config.h"
#include "bot/transport.h"

/* A Matrix transport for the homeserver and account in cfg (borrowed; must outlive it).
 * Returns NULL on out-of-memory. Freed through its ops->free. */
struct transport *matrix_new(const struct config *cfg);

#endif
