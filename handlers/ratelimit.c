/* ratelimit.c - per-user token buckets for commands (see ratelimit.h). */
#include "handlers/ratelimit.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A long id is matched on its first bytes, as stored. */
static bool is_of(const struct ratelimit_entry *e, const char *transport, const char *user)
{
	return e->used && strcmp(e->transport, transport) == 0 &&
	       strncmp(e->user, user, sizeof e->user - 1) == 0;
}

/* The entry of (transport, user), or a new one with a full bucket in the place of a free
 * entry or the least recently used. */
static struct ratelimit_entry *entry_for(struct ratelimit *rl, const char *transport,
					 const char *user, long limit, int64_t now)
{
	struct ratelimit_entry *oldest = &rl->e[0];

	for (size_t i = 0; i < RATELIMIT_USERS; i++) {
		if (is_of(&rl->e[i], transport, user))
			return &rl->e[i];
		if (rl->e[i].used < oldest->used)
			oldest = &rl->e[i];
	}
	snprintf(oldest->transport, sizeof oldest->transport, "%s", transport);
	snprintf(oldest->user, sizeof oldest->user, "%s", user);
	oldest->tokens = (double)limit;
	oldest->at = now;
	oldest->noticed_at = 0;
	return oldest;
}

enum ratelimit_verdict ratelimit_take(struct ratelimit *rl, const char *transport,
				      const char *user, long limit, long window, int64_t now)
{
	struct ratelimit_entry *e;

	if (limit <= 0 || window <= 0)
		return RATELIMIT_PASS;
	e = entry_for(rl, transport, user, limit, now);
	e->used = ++rl->takes;
	/* A clock set back refills nothing until it has caught up. */
	if (now > e->at) {
		e->tokens += (double)(now - e->at) * (double)limit / (double)window;
		if (e->tokens > (double)limit)
			e->tokens = (double)limit;
		e->at = now;
	}
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		return RATELIMIT_PASS;
	}
	if (e->noticed_at && now - e->noticed_at < window)
		return RATELIMIT_DROP;
	e->noticed_at = now;
	return RATELIMIT_DROP_NOTICE;
}
