/* dates.h - due dates and durations as people type them.
 *
 * Forms: ISO 2026-12-15, today, tomorrow, a weekday (friday, fri), next <weekday>,
 * in N days|weeks|months (also "in a week"), <month> <day> (dec 15, December 15),
 * <day> <month> (15 dec). Numeric forms with a slash (12/15, 15/12) are refused as
 * ambiguous with a hint. Relative forms count from the current date in the given time
 * zone. Matching is case-insensitive; surrounding white space is ignored. */
#ifndef WORKSHOPBOT_DATES_H
#define WORKSHOPBOT_DATES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct civil_date {
	int year;
	int month;   /* 1-12 */
	int day;     /* 1-31 */
};

/* Parses a date. now is the current instant, tz the IANA zone the user lives in.
 * Returns 0 and sets *out, or BOT_ERR_INVALID with a one-line explanation (with a hint
 * of the accepted forms) in err. */
int dates_parse(const char *text, time_t now, const char *tz, struct civil_date *out,
		char *err, size_t errlen);

/* Writes YYYY-MM-DD (11 bytes with the NUL) into buf. */
void dates_format(const struct civil_date *d, char *buf, size_t len);

/* Parses YYYY-MM-DD strictly (a real calendar date). Returns 0 or -1. */
int dates_parse_iso(const char *text, struct civil_date *out);

/* The civil date of instant t in zone tz. Returns 0, or -1 for an invalid zone. */
int dates_today(time_t t, const char *tz, struct civil_date *out);

/* Calendar arithmetic on civil dates (proleptic Gregorian, years 1-9999). */
bool dates_valid(const struct civil_date *d);
/* Days since 1970-01-01, and back. */
long dates_to_days(const struct civil_date *d);
struct civil_date dates_from_days(long days);
/* 0 = Monday ... 6 = Sunday, of a day number from dates_to_days(). */
int dates_weekday(long days);

/* Parses a duration: "10m", "90s", "2h", "3d", "2w", "1h30m", "10 minutes", "2 weeks".
 * Returns 0 and sets *seconds (> 0), or BOT_ERR_INVALID with an explanation in err. */
int dates_parse_duration(const char *text, long *seconds, char *err, size_t errlen);

#endif
