/* tz.h - IANA time zones: local <-> UTC conversion using the system's tzdata.
 *
 * The process is single-threaded; these functions switch TZ around each conversion and
 * restore it, so callers never see a changed TZ. */
#ifndef WORKSHOPBOT_TZ_H
#define WORKSHOPBOT_TZ_H

#include <stdbool.h>
#include <time.h>

/* True if name is a zone found under /usr/share/zoneinfo ("UTC", "Europe/Berlin"), with
 * no "..", no leading '/', and at most 64 characters. */
bool tz_valid(const char *name);

/* Breaks t down into local time in zone tz. Returns 0, or -1 for an invalid zone. */
int tz_localtime(const char *tz, time_t t, struct tm *out);

/* The UTC instant of a local wall-clock time (year, month 1-12, day, hour, minute) in tz.
 * A time in a DST gap (does not exist) moves forward by the gap (02:30 -> 03:30); a time
 * in a DST overlap (happens twice) takes the first occurrence. Returns 0, or -1 for an
 * invalid zone or date. */
int tz_mktime(const char *tz, int year, int month, int day, int hour, int minute, time_t *out);

#endif
