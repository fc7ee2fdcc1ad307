#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* setenv, unsetenv, timegm, tm_gmtoff */
#endif
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TZ_NAME_MAX 64
#define TZ_DIR "/usr/share/zoneinfo/"
#define TZ_DAY (24 * 60 * 60)

/* The TZ value in force before tz_enter(), put back by tz_leave(). */
struct tz_saved {
	char *value;  /* owned copy; NULL when TZ was unset */
};

static bool name_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '+' || c == '-' || c == '/';
}

/* Checks the spelling only: no file access. */
static bool name_ok(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, TZ_NAME_MAX + 1);
	/* Zone names start with a capital letter; this also keeps out the files that sit
	 * beside them (localtime, posixrules, leapseconds, right/..., posix/...). */
	if (len == 0 || len > TZ_NAME_MAX || name[0] < 'A' || name[0] > 'Z' ||
	    name[len - 1] == '/')
		return false;
	if (strstr(name, "..") || strstr(name, "//"))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!name_char_ok(name[i]))
			return false;
	}
	return true;
}

/* True if path is a regular file that starts with the TZif magic. */
static bool is_tzif(const char *path)
{
	struct stat st;
	char magic[4];
	FILE *f;
	bool ok;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	f = fopen(path, "rb");
	if (!f)
		return false;
	ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

bool tz_valid(const char *name)
{
	char path[sizeof TZ_DIR + TZ_NAME_MAX];

	if (!name_ok(name))
		return false;
	snprintf(path, sizeof path, "%s%s", TZ_DIR, name);
	return is_tzif(path);
}

/* Switches the process to zone (already validated). Returns 0, or -1 if out of memory. */
static int tz_enter(const char *zone, struct tz_saved *saved)
{
	char value[TZ_NAME_MAX + 2];
	const char *cur = getenv("TZ");

	saved->value = NULL;
	if (cur) {
		saved->value = strdup(cur);
		if (!saved->value)
			return -1;
	}
	value[0] = ':';
	snprintf(value + 1, sizeof value - 1, "%s", zone);
	if (setenv("TZ", value, 1) != 0) {
		free(saved->value);
		saved->value = NULL;
		return -1;
	}
	tzset();
	return 0;
}

static void tz_leave(struct tz_saved *saved)
{
	if (saved->value)
		setenv("TZ", saved->value, 1);
	else
		unsetenv("TZ");
	free(saved->value);
	saved->value = NULL;
	tzset();
}

int tz_localtime(const char *tz, time_t t, struct tm *out)
{
	struct tz_saved saved;
	int result = -1;

	if (!out || !tz_valid(tz))
		return -1;
	if (tz_enter(tz, &saved) != 0)
		return -1;
	if (localtime_r(&t, out))
		result = 0;
	tz_leave(&saved);
	return result;
}

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

/* The UTC offset in seconds at instant t in the current TZ; sets *ok false on failure. */
static long offset_at(time_t t, bool *ok)
{
	struct tm tm;

	if (!localtime_r(&t, &tm)) {
		*ok = false;
		return 0;
	}
	return tm.tm_gmtoff;
}

/* True if instant t shows exactly the wall-clock time in want (to the minute, :00). */
static bool shows(time_t t, const struct tm *want)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return false;
	return tm.tm_year == want->tm_year && tm.tm_mon == want->tm_mon &&
	       tm.tm_mday == want->tm_mday && tm.tm_hour == want->tm_hour &&
	       tm.tm_min == want->tm_min && tm.tm_sec == 0;
}

/* In the current TZ: the instant for wall-clock time want. The zone's offset is sampled a
 * day before, at, and a day after the wall time read as UTC; every sample that maps back
 * to the wall time is a candidate and the earliest wins (first occurrence in an overlap).
 * With no candidate the time is in a gap: it is read with the offset from before the
 * transition, which shows it moved forward by the gap. Does not depend on tm_isdst. */
static int resolve(const struct tm *want, time_t *out)
{
	struct tm utc = *want;
	time_t wall, best = 0;
	long before, at, after;
	bool ok = true, found = false;

	wall = timegm(&utc);
	before = offset_at(wall - TZ_DAY, &ok);
	at = offset_at(wall, &ok);
	after = offset_at(wall + TZ_DAY, &ok);
	if (!ok)
		return -1;

	const long offsets[3] = { before, at, after };
	for (int i = 0; i < 3; i++) {
		time_t t = wall - offsets[i];
		if (shows(t, want) && (!found || t < best)) {
			best = t;
			found = true;
		}
	}
	if (!found) {
		/* A gap: the offset grows across it. Reading the wall time with the earlier
		 * (smaller) offset lands after the transition, gap minutes later on the clock. */
		time_t t = wall - before;
		if (after <= before || offset_at(t, &ok) != after || !ok)
			return -1;
		best = t;
	}
	*out = best;
	return 0;
}

int tz_mktime(const char *tz, int year, int month, int day, int hour, int minute, time_t *out)
{
	struct tz_saved saved;
	struct tm want = { 0 };
	int result;

	if (!out || !tz_valid(tz))
		return -1;
	if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month) || hour < 0 || hour > 23 || minute < 0 ||
	    minute > 59)
		return -1;
	want.tm_year = year - 1900;
	want.tm_mon = month - 1;
	want.tm_mday = day;
	want.tm_hour = hour;
	want.tm_min = minute;

	if (tz_enter(tz, &saved) != 0)
		return -1;
	result = resolve(&want, out);
	tz_leave(&saved);
	return result;
}
