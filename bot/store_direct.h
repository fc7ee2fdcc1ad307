/* store_direct.h - direct messages: the channel a transport opened to each person, and
 * who wants reminders that way. */
#ifndef WORKSHOPBOT_STORE_DIRECT_H
#define WORKSHOPBOT_STORE_DIRECT_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* The direct channel (Slack IM id, Matrix room id) of a person, into buf ("" when none
 * was opened yet). Returns 0 or BOT_ERR_DB. */
int store_direct_channel(struct store *s, const char *transport, const char *user, char *buf,
			 size_t len);
/* Remembers (or replaces) the direct channel of a person. */
int store_direct_channel_set(struct store *s, const char *transport, const char *user,
			     const char *channel);
/* The person whose direct channel channel is, into buf ("" when it is not one). */
int store_direct_user(struct store *s, const char *transport, const char *channel, char *buf,
		      size_t len);

/* Whether a person chose reminders by direct message (false when never asked). */
int store_direct_pref(struct store *s, const char *transport, const char *user, bool *on);
int store_direct_pref_set(struct store *s, const char *transport, const char *user, bool on);

#endif
