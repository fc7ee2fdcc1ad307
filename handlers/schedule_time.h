/* schedule_time.h - when follow-ups may happen: pure local-time rules, no I/O.
 *
 * All rules are read in the local time of an IANA zone (tz.h): quiet hours, working
 * days and closure dates (holidays). Local wall times stay local across daylight-saving
 * changes; a wall time that does not exist (DST gap) moves forward by the gap, one that
 * happens twice (DST overlap) takes the first occurrence, as tz_mktime() does.
 *
 * Every function returns 0 and sets *out, or a BOT_ERR_* code (err.h) and leaves *out
 * untouched: BOT_ERR_INVALID for an unknown zone or a bad argument or rule,
 * BOT_ERR_NOT_FOUND when the rules allow no time within SCHEDULE_SEARCH_DAYS. */
#ifndef WORKSHOPBOT_SCHEDULE_TIME_H
#define WORKSHOPBOT_SCHEDULE_TIME_H

#include <stddef.h>
#include <time.h>

#include "handlers/dates.h"

/* Working days, bit 0 = Monday ... bit 6 = Sunday. */
#define SCHEDULE_MONDAY    (1u << 0)
#define SCHEDULE_TUESDAY   (1u << 1)
#define SCHEDULE_WEDNESDAY (1u << 2)
#define SCHEDULE_THURSDAY  (1u << 3)
#define SCHEDULE_FRIDAY    (1u << 4)
#define SCHEDULE_SATURDAY  (1u << 5)
#define SCHEDULE_SUNDAY    (1u << 6)
#define SCHEDULE_WEEKDAYS  0x1fu     /* Monday to Friday */
#define SCHEDULE_ALL_DAYS  0x7fu

#define SCHEDULE_DAY_MIN (24 * 60)   /* minutes in a day */
#define SCHEDULE_SEARCH_DAYS 366     /* how far ahead an allowed day is looked for */
#define SCHEDULE_ADD_DAYS_MAX 36600  /* |days| accepted by schedule_add_days_local */

struct schedule_rules {
	/* Quiet hours [start, end) in minutes after local midnight (0..1439). They wrap
	 * midnight when start > end (20:00-08:00 is 1200, 480); start == end: none. */
	int quiet_start_min;
	int quiet_end_min;
	unsigned working_days;                 /* SCHEDULE_* bits; at least one */
	const struct civil_date *closures;     /* borrowed; local dates with no follow-ups */
	size_t n_closures;
};

/* The defaults: quiet hours 20:00-08:00, Monday to Friday, no closures. */
void schedule_rules_default(struct schedule_rules *r);

struct config;

/* The [followup] rules of cfg (quiet_hours, working_days, closures) into r, whose
 * closures are then owned by r: free them with schedule_rules_free(). Returns 0 or
 * BOT_ERR_NOMEM (r then holds no closures). */
int schedule_rules_from_config(const struct config *cfg, struct schedule_rules *r);
void schedule_rules_free(struct schedule_rules *r);

/* The first instant >= t that is on a working day, not a closure date and outside quiet
 * hours, in zone tz. t itself when it is allowed; otherwise the start of the next allowed
 * minute (22:10 with quiet 20:00-08:00 -> 08:00 the next working day; Saturday -> Monday
 * at 00:00, or at the end of quiet hours if those wrap midnight). When quiet hours end
 * inside a DST gap, the allowed time starts at the end of the gap (the first instant
 * whose wall time is past the quiet end). r NULL allows every time. */
int schedule_next_allowed(const char *tz, time_t t, const struct schedule_rules *r,
			  time_t *out);

/* The instant of local wall time minute_of_day (0..1439) on date d in tz. */
int schedule_local_at(const char *tz, struct civil_date d, int minute_of_day, time_t *out);

/* The same local wall-clock time (to the second) days later (or earlier, if negative;
 * |days| <= SCHEDULE_ADD_DAYS_MAX), so 09:00 stays 09:00 across DST both ways; on a DST
 * change day a time in the gap moves forward, one in the overlap takes the first. */
int schedule_add_days_local(const char *tz, time_t t, int days, time_t *out);

/* The next occurrence strictly after `after` of the daily local time minute_of_day
 * (0..1439) on a working day that is not a closure date (r NULL: every day). When that
 * time is in quiet hours it moves to the next allowed minute, as schedule_next_allowed()
 * does. Calling it again with the previous result as `after` never gives the same
 * instant twice and skips no working day across DST changes. */
int schedule_next_daily(const char *tz, time_t after, int minute_of_day,
			const struct schedule_rules *r, time_t *out);

#endif
