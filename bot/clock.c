#define _DEFAULT_SOURCE /* timegm */
#include "clock.h"

#include <stdbool.h>
#include <stdlib.h>

#include "err.h"

static bool frozen;
static time_t frozen_at;

/* Reads exactly n digits at *p, advancing it. */
static bool read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool read_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int clock_parse_iso(const char *text, time_t *out)
{
	const char *p = text;
	int year, mon, day, hour, min, sec = 0, off_h = 0, off_m = 0, sign = 0;

	if (!read_digits(&p, 4, &year) || !read_char(&p, '-') || !read_digits(&p, 2, &mon) ||
	    !read_char(&p, '-') || !read_digits(&p, 2, &day))
		return -1;
	if (!read_char(&p, 'T') && !read_char(&p, ' '))
		return -1;
	if (!read_digits(&p, 2, &hour) || !read_char(&p, ':') || !read_digits(&p, 2, &min))
		return -1;
	if (read_char(&p, ':') && !read_digits(&p, 2, &sec))
		return -1;
	if (read_char(&p, 'Z')) {
		sign = 0;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		p++;
		if (!read_digits(&p, 2, &off_h) || !read_char(&p, ':') || !read_digits(&p, 2, &off_m))
			return -1;
	} else {
		return -1;
	}
	if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
	    sec > 60 || off_h > 23 || off_m > 59)
		return -1;

	struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
			 .tm_hour = hour, .tm_min = min, .tm_sec = sec };
	time_t t = timegm(&tm);
	/* timegm normalises 2026-02-31 to March; refuse dates that do not exist. */
	if (tm.tm_mday != day || tm.tm_mon != mon - 1)
		return -1;
	*out = t - (time_t)sign * (off_h * 3600 + off_m * 60);
	return 0;
}

int clock_init(char *err, size_t errlen)
{
	const char *now = getenv("WORKSHOPBOT_NOW");

	frozen = false;
	if (!now || !*now)
		return 0;
	if (clock_parse_iso(now, &frozen_at) != 0)
		return bot_fail(err, errlen, BOT_ERR_INVALID,
				"WORKSHOPBOT_NOW='%.40s' is not an ISO 8601 instant "
				"(expected e.g. 2026-12-01T09:00:00Z)", now);
	frozen = true;
	return 0;
}

time_t clock_now(void)
{
	return frozen ? frozen_at : time(NULL);
}

bool clock_frozen(void)
{
	return frozen;
}

void clock_format_utc(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool clock_parse_time_of_day(const char *p, const char *end, long *minutes)
{
	long hour = 0;
	size_t digits = 0;

	while (p < end && *p >= '0' && *p <= '9' && digits < 2) {
		hour = hour * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || p == end || *p++ != ':' || end - p != 2 || p[0] < '0' || p[0] > '5' ||
	    p[1] < '0' || p[1] > '9' || hour > 23)
		return false;
	*minutes = hour * 60 + (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}
