/* clock.h - the daemon's only wall-clock read.
 *
 * WORKSHOPBOT_NOW (ISO 8601, e.g. 2026-12-01T09:00:00Z or 2026-12-01T10:00:00+01:00)
 * freezes the clock at that instant, for tests and demos. */
#ifndef WORKSHOPBOT_CLOCK_H
#define WORKSHOPBOT_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Reads WORKSHOPBOT_NOW once. Returns 0, or BOT_ERR_INVALID with a one-line
 * explanation in err when the variable is set but not a valid instant. */
int clock_init(char *err, size_t errlen);

/* Seconds since the epoch, UTC. */
time_t clock_now(void);

/* True when WORKSHOPBOT_NOW froze the clock (clock_now() never moves). */
bool clock_frozen(void);

/* Parses an ISO 8601 instant: YYYY-MM-DDTHH:MM[:SS](Z|+HH:MM|-HH:MM).
 * Returns 0 and sets *out, or -1. */
int clock_parse_iso(const char *text, time_t *out);

/* Parses [p, end) as a local time of day H:MM or HH:MM (00:00 to 23:59) into *minutes
 * after midnight. Returns true, or false (and leaves *minutes) for anything else. */
bool clock_parse_time_of_day(const char *p, const char *end, long *minutes);

/* Formats t as YYYY-MM-DDTHH:MM:SSZ into buf (at least 21 bytes). */
void clock_format_utc(time_t t, char *buf, size_t len);

#endif
