/* ratelimit.h - a token bucket per (transport, user) for commands, in memory: a member
 * who floods the bot with commands slows only themselves. Lost at a restart, which only
 * forgives. */
#ifndef WORKSHOPBOT_RATELIMIT_H
#define WORKSHOPBOT_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/* People tracked at once; past that the one who sent no command for the longest is
 * forgotten (as good as a full bucket). */
#define RATELIMIT_USERS 128

struct ratelimit_entry {
	char transport[16];
	char user[256];        /* Matrix ids are at most 255 bytes */
	double tokens;         /* commands left, refilled continuously */
	int64_t at;            /* when tokens was computed */
	uint64_t used;         /* ratelimit.takes at the last command; 0: a free entry */
	int64_t noticed_at;    /* when the person was last told they are over; 0: never */
};

/* Zero-initialised: no one tracked yet. */
struct ratelimit {
	struct ratelimit_entry e[RATELIMIT_USERS];
	uint64_t takes;        /* commands counted so far: orders the entries by use */
};

enum ratelimit_verdict {
	RATELIMIT_PASS,        /* within the limit: handle the command */
	RATELIMIT_DROP_NOTICE, /* over it, first time this window: drop it and say so */
	RATELIMIT_DROP,        /* over it, already told: drop it quietly */
};

/* Takes one command of user on transport at now (seconds) from a bucket that holds
 * limit commands and refills limit per window seconds. limit 0: no limit. */
enum ratelimit_verdict ratelimit_take(struct ratelimit *rl, const char *transport,
				      const char *user, long limit, long window, int64_t now);

#endif
