/* store_seen.h - inbound events already handled (Slack event ids, message ids), so a
 * redelivery, also one after a restart, is recognised and applied once. */
#ifndef WORKSHOPBOT_STORE_SEEN_H
#define WORKSHOPBOT_STORE_SEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* Records key for transport; *already tells whether it was recorded before. */
int store_seen_add(struct store *s, const char *transport, const char *key, int64_t now,
		   bool *already);

/* Forgets keys recorded before the given time. */
int store_seen_prune(struct store *s, int64_t before);

#endif
