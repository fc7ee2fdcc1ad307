/* utc_time.h - UTC wall-clock times written out in test tables (header-only).
 * Define _DEFAULT_SOURCE before any include in the test file: timegm needs it. */
#ifndef WORKSHOPBOT_TEST_UTC_TIME_H
#define WORKSHOPBOT_TEST_UTC_TIME_H

#include <time.h>

/* A UTC wall-clock time. */
struct utc {
	int y, mo, d, h, mi;
};

static inline time_t from_utc(struct utc u)
{
	struct tm tm = { .tm_year = u.y - 1900, .tm_mon = u.mo - 1, .tm_mday = u.d,
			 .tm_hour = u.h, .tm_min = u.mi };
	return timegm(&tm);
}

#endif
