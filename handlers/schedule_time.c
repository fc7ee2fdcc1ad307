#include "handlers/schedule_time.h"

#include <stdbool.h>
#include <stdlib.h>

#include "bot/config.h"
#include "bot/err.h"
#include "bot/tz.h"

#define SCHEDULE_DAY_SEC (24L * 60 * 60)
/* Rounds of schedule_next_allowed: a wall time moved forward by a DST gap may land in
 * quiet hours and need another; more than a few would be a zone no one lives in. */
#define SCHEDULE_SETTLE_MAX 4

/* ---- civil dates as day numbers (dates.h) ---- */

static long local_day(const struct tm *tm)
{
	struct civil_date d = { tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday };
	return dates_to_days(&d);
}

/* ---- the rules ---- */

void schedule_rules_default(struct schedule_rules *r)
{
	*r = (struct schedule_rules){
		.quiet_start_min = 20 * 60,
		.quiet_end_min = 8 * 60,
		.working_days = SCHEDULE_WEEKDAYS,
		.closures = NULL,
		.n_closures = 0,
	};
}

int schedule_rules_from_config(const struct config *cfg, struct schedule_rules *r)
{
	struct civil_date *closures = NULL;

	*r = (struct schedule_rules){
		.quiet_start_min = (int)cfg->followup_quiet[0],
		.quiet_end_min = (int)cfg->followup_quiet[1],
		.working_days = (unsigned)cfg->followup_working_days,
	};
	if (!cfg->n_followup_closures)
		return 0;
	closures = calloc(cfg->n_followup_closures, sizeof *closures);
	if (!closures)
		return BOT_ERR_NOMEM;
	for (size_t i = 0; i < cfg->n_followup_closures; i++) {
		/* config.c checked each date */
		if (dates_parse_iso(cfg->followup_closures[i], &closures[r->n_closures]) == 0)
			r->n_closures++;
	}
	r->closures = closures;
	return 0;
}

void schedule_rules_free(struct schedule_rules *r)
{
	free((void *)r->closures);
	r->closures = NULL;
	r->n_closures = 0;
}

static bool minute_ok(int m)
{
	return m >= 0 && m < SCHEDULE_DAY_MIN;
}

static bool rules_ok(const struct schedule_rules *r)
{
	if (!minute_ok(r->quiet_start_min) || !minute_ok(r->quiet_end_min) ||
	    (r->working_days & SCHEDULE_ALL_DAYS) == 0 || (r->working_days & ~SCHEDULE_ALL_DAYS) ||
	    (r->n_closures && !r->closures))
		return false;
	for (size_t i = 0; i < r->n_closures; i++)
		if (!dates_valid(&r->closures[i]))
			return false;
	return true;
}

/* A working day that is not a closure date. */
static bool day_allowed(const struct schedule_rules *r, long day)
{
	if (!(r->working_days & (1u << dates_weekday(day))))
		return false;
	for (size_t i = 0; i < r->n_closures; i++)
		if (dates_to_days(&r->closures[i]) == day)
			return false;
	return true;
}

static bool minute_quiet(const struct schedule_rules *r, int m)
{
	int start = r->quiet_start_min, end = r->quiet_end_min;

	if (start == end)
		return false;
	if (start < end)
		return m >= start && m < end;
	return m >= start || m < end;
}

/* The first minute >= from (0..1439) of a day outside quiet hours, or -1 if the rest of
 * the day is quiet. */
static int first_open_minute(const struct schedule_rules *r, int from)
{
	if (!minute_quiet(r, from))
		return from;
	/* from is quiet: quiet hours end at end later today, unless they wrap midnight and
	 * from is in the evening part. */
	if (r->quiet_start_min > r->quiet_end_min && from >= r->quiet_start_min)
		return -1;
	return r->quiet_end_min;
}

/* ---- local wall times ---- */

static int local_at(const char *tz, long day, int minute, time_t *out)
{
	struct civil_date d = dates_from_days(day);

	if (tz_mktime(tz, d.year, d.month, d.day, minute / 60, minute % 60, out) != 0)
		return BOT_ERR_INVALID;
	return 0;
}

/* Local wall-clock seconds of tm, counted like UTC seconds since the epoch. */
static long wall_seconds(const struct tm *tm)
{
	return local_day(tm) * SCHEDULE_DAY_SEC + tm->tm_hour * 3600L + tm->tm_min * 60L +
	       tm->tm_sec;
}

/* The first instant whose local wall time is at or after wall time (day, minute).
 * That is tz_mktime()'s answer, except in a DST gap: there the clock jumps from before
 * the wall time to after it, and the first such instant is the jump itself (a quiet
 * period that ends at 02:30 inside a 02:00-03:00 gap is over at 03:00, not 03:30). */
static int first_instant_at(const char *tz, long day, int minute, time_t *out)
{
	long want = day * SCHEDULE_DAY_SEC + minute * 60L;
	time_t lo, hi, mid;
	struct tm tm;
	int result = local_at(tz, day, minute, &hi);

	if (result)
		return result;
	if (tz_localtime(tz, hi, &tm) != 0)
		return BOT_ERR_INVALID;
	/* In a gap hi shows the wall time moved forward by the gap; hi - gap shows a time
	 * before it. Bisect for the jump (a dozen steps for an hour). */
	lo = hi - (time_t)(wall_seconds(&tm) - want);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (tz_localtime(tz, mid, &tm) != 0)
			return BOT_ERR_INVALID;
		if (wall_seconds(&tm) >= want)
			hi = mid;
		else
			lo = mid;
	}
	*out = hi;
	return 0;
}

/* The first instant at or after now whose wall time is at or after (day, minute), a wall
 * time later on the clock than now_tm (the local time of now). In a DST overlap
 * tz_mktime() gives the first pass; when now is in the second pass the wall time is read
 * with now's offset instead. */
static int local_at_after(const char *tz, long day, int minute, time_t now,
			  const struct tm *now_tm, time_t *out)
{
	time_t t;
	int result = first_instant_at(tz, day, minute, &t);

	if (result)
		return result;
	if (t < now)
		t = (time_t)(day * SCHEDULE_DAY_SEC + minute * 60L -
			     (wall_seconds(now_tm) - (long)now));
	*out = t;
	return 0;
}

/* One round of schedule_next_allowed: at itself if allowed, else a later instant that
 * starts an allowed minute by the rules read at that instant's wall-clock time. */
static int next_allowed_step(const char *tz, time_t at, const struct schedule_rules *r,
			     time_t *out)
{
	struct tm tm;
	long today;
	int now_min, m;

	if (tz_localtime(tz, at, &tm) != 0)
		return BOT_ERR_INVALID;
	today = local_day(&tm);
	now_min = tm.tm_hour * 60 + tm.tm_min;
	for (long day = today; day <= today + SCHEDULE_SEARCH_DAYS; day++) {
		if (!day_allowed(r, day))
			continue;
		if (day == today && !minute_quiet(r, now_min)) {
			*out = at;
			return 0;
		}
		m = first_open_minute(r, day == today ? now_min : 0);
		if (m < 0)
			continue;
		return local_at_after(tz, day, m, at, &tm, out);
	}
	return BOT_ERR_NOT_FOUND;
}

int schedule_next_allowed(const char *tz, time_t t, const struct schedule_rules *r,
			  time_t *out)
{
	time_t at = t, next;
	int result;

	if (!tz_valid(tz) || (r && !rules_ok(r)))
		return BOT_ERR_INVALID;
	if (!r) {
		*out = t;
		return 0;
	}
	for (int round = 0; round < SCHEDULE_SETTLE_MAX; round++) {
		result = next_allowed_step(tz, at, r, &next);
		if (result)
			return result;
		if (next == at) {
			*out = at;
			return 0;
		}
		at = next;
	}
	return BOT_ERR_NOT_FOUND;
}

int schedule_local_at(const char *tz, struct civil_date d, int minute_of_day, time_t *out)
{
	if (!minute_ok(minute_of_day) || !dates_valid(&d))
		return BOT_ERR_INVALID;
	return local_at(tz, dates_to_days(&d), minute_of_day, out);
}

int schedule_add_days_local(const char *tz, time_t t, int days, time_t *out)
{
	struct tm tm;
	time_t at;
	int result;

	if (days < -SCHEDULE_ADD_DAYS_MAX || days > SCHEDULE_ADD_DAYS_MAX ||
	    tz_localtime(tz, t, &tm) != 0)
		return BOT_ERR_INVALID;
	result = local_at(tz, local_day(&tm) + days, tm.tm_hour * 60 + tm.tm_min, &at);
	if (result)
		return result;
	*out = at + tm.tm_sec;
	return 0;
}

int schedule_next_daily(const char *tz, time_t after, int minute_of_day,
			const struct schedule_rules *r, time_t *out)
{
	struct tm tm;
	time_t at;
	long today;
	int result;

	if (!minute_ok(minute_of_day) || (r && !rules_ok(r)) || tz_localtime(tz, after, &tm) != 0)
		return BOT_ERR_INVALID;
	today = local_day(&tm);
	/* From yesterday: a wall time moved by a gap or by quiet hours may land today. */
	for (long day = today - 1; day <= today + SCHEDULE_SEARCH_DAYS; day++) {
		if (r && !day_allowed(r, day))
			continue;
		result = local_at(tz, day, minute_of_day, &at);
		if (!result && r)
			result = schedule_next_allowed(tz, at, r, &at);
		if (result)
			return result;
		if (at > after) {
			*out = at;
			return 0;
		}
	}
	return BOT_ERR_NOT_FOUND;
}
