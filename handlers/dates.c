#include "handlers/dates.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/tz.h"

#define DATES_INPUT_MAX 64      /* longest input read, after trimming */
#define DATES_QUOTE_MAX 40      /* longest piece of input echoed in an error */
#define DATES_SCAN_MAX 4096     /* how far we look for the end of the input */
#define DATES_AHEAD_DAYS 3650   /* "in N ..." reaches at most this far */
#define DATES_AHEAD_MONTHS 120
#define DATES_WORD_MAX 16

#define DURATION_MAX (366L * 24 * 60 * 60)

#define DATE_FORMS "use 2026-12-15, today, tomorrow, friday, next tuesday, in 2 weeks or dec 15"
#define DURATION_FORMS "use 10m, 90s, 2h, 1h30m, 3d, 2w or 10 minutes"

static const char *const month_names[12] = {
	"january", "february", "march", "april", "may", "june",
	"july", "august", "september", "october", "november", "december",
};

/* Monday first: index 0 is Monday, 6 is Sunday. */
static const char *const weekday_names[7] = {
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

/* ---- calendar arithmetic on civil dates (proleptic Gregorian, no time zone) ---- */

static bool is_leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static bool date_valid(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
	       day <= days_in_month(year, month);
}

bool dates_valid(const struct civil_date *d)
{
	return date_valid(d->year, d->month, d->day);
}

/* Days since 1970-01-01 (H. Hinnant's days_from_civil). */
long dates_to_days(const struct civil_date *d)
{
	long y = d->year - (d->month <= 2);
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long mp = d->month > 2 ? d->month - 3 : d->month + 9;
	long doy = (153 * mp + 2) / 5 + d->day - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct civil_date dates_from_days(long z)
{
	struct civil_date d;
	long era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(yoe + era * 400 + (d.month <= 2));
	return d;
}

/* 1970-01-01 was a Thursday. */
int dates_weekday(long days)
{
	long r = (days + 3) % 7;
	return (int)(r < 0 ? r + 7 : r);
}

static bool add_days(const struct civil_date *from, long n, struct civil_date *out)
{
	struct civil_date d = dates_from_days(dates_to_days(from) + n);
	if (!date_valid(d.year, d.month, d.day))
		return false;
	*out = d;
	return true;
}

/* Adds n months; a day past the end of the target month becomes its last day. */
static bool add_months(const struct civil_date *from, int n, struct civil_date *out)
{
	long total = (long)from->year * 12 + (from->month - 1) + n;
	struct civil_date d;

	d.year = (int)(total / 12);
	d.month = (int)(total % 12) + 1;
	if (d.year < 1 || d.year > 9999)
		return false;
	d.day = from->day;
	if (d.day > days_in_month(d.year, d.month))
		d.day = days_in_month(d.year, d.month);
	*out = d;
	return true;
}

/* The first date on or after today that is month/day (Feb 29 waits for a leap year).
 * False if month/day never exists. */
static bool next_occurrence(const struct civil_date *today, int month, int day,
			    struct civil_date *out)
{
	if (month < 1 || month > 12 || day < 1 || day > 31)
		return false;
	for (int year = today->year; year <= today->year + 8 && year <= 9999; year++) {
		struct civil_date d = { year, month, day };
		if (!date_valid(year, month, day))
			continue;
		if (dates_to_days(&d) >= dates_to_days(today)) {
			*out = d;
			return true;
		}
	}
	return false;
}

/* ---- bounded scanning helpers; each advances *p only on success ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Reads 1 to max_digits digits that are not followed by another digit. */
static bool take_number(const char **p, int max_digits, long *out)
{
	const char *s = *p;
	long v = 0;
	int n = 0;

	while (is_digit(s[n])) {
		if (n == max_digits)
			return false;
		v = v * 10 + (s[n] - '0');
		n++;
	}
	if (n == 0)
		return false;
	*p = s + n;
	*out = v;
	return true;
}

/* Reads exactly n digits. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (!is_digit(c))
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* Reads a run of letters into word (NUL-terminated, lower case). */
static bool take_word(const char **p, char *word, size_t cap)
{
	size_t n = 0;

	while (is_alpha((*p)[n])) {
		if (n + 1 >= cap)
			return false;
		word[n] = to_lower((*p)[n]);
		n++;
	}
	if (n == 0)
		return false;
	word[n] = '\0';
	*p += n;
	return true;
}

static bool take_char(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/* Reads the exact word w, which must not run on into more letters. */
static bool take_keyword(const char **p, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(*p, w, n) != 0 || is_alpha((*p)[n]))
		return false;
	*p += n;
	return true;
}

/* ---- input shaping ---- */

/* Copies text into buf trimmed, lower-cased, each run of white space as one space.
 * False if text is NULL or the result is longer than cap - 1. */
static bool normalize(const char *text, char *buf, size_t cap)
{
	const char *p = text;
	size_t n = 0;
	bool space = false;

	if (!text)
		return false;
	while (is_space(*p))
		p++;
	for (; *p; p++) {
		if (is_space(*p)) {
			space = true;
			continue;
		}
		if (space && n > 0) {
			if (n + 1 >= cap)
				return false;
			buf[n++] = ' ';
		}
		space = false;
		if (n + 1 >= cap)
			return false;
		buf[n++] = to_lower(*p);
	}
	buf[n] = '\0';
	return true;
}

/* Writes the trimmed input, at most DATES_QUOTE_MAX bytes (cut on a UTF-8 boundary, then
 * "..."), with control characters shown as '?', for echoing in a one-line error. */
static void quote_input(const char *text, char *buf, size_t cap)
{
	const char *p = text ? text : "";
	size_t len, take, n = 0;

	while (is_space(*p))
		p++;
	len = strnlen(p, DATES_SCAN_MAX);
	while (len > 0 && is_space(p[len - 1]))
		len--;
	take = len;
	if (take > DATES_QUOTE_MAX) {
		take = DATES_QUOTE_MAX;
		/* Do not end inside a multi-byte character. */
		while (take > 0 && ((unsigned char)p[take] & 0xC0) == 0x80)
			take--;
	}
	for (size_t i = 0; i < take && n + 1 < cap; i++) {
		unsigned char c = (unsigned char)p[i];
		buf[n++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (take < len) {
		for (int i = 0; i < 3 && n + 1 < cap; i++)
			buf[n++] = '.';
	}
	buf[n] = '\0';
}

/* ---- names ---- */

/* 1-12 for a full or 3-letter month name ("sept" too), else 0. */
static int month_from_word(const char *w)
{
	size_t len = strlen(w);

	if (strcmp(w, "sept") == 0)
		return 9;
	for (int i = 0; i < 12; i++) {
		if (strcmp(w, month_names[i]) == 0 || (len == 3 && strncmp(w, month_names[i], 3) == 0))
			return i + 1;
	}
	return 0;
}

/* 0 (Monday) to 6 (Sunday) for a full or 3-letter weekday name, else -1. */
static int weekday_from_word(const char *w)
{
	size_t len = strlen(w);

	for (int i = 0; i < 7; i++) {
		if (strcmp(w, weekday_names[i]) == 0 ||
		    (len == 3 && strncmp(w, weekday_names[i], 3) == 0))
			return i;
	}
	return -1;
}

/* Skips an ordinal suffix after day n if one is there: 1st 2nd 3rd 4th 11th 21st... */
static bool take_ordinal(const char **p, long n)
{
	const char *want = "th";
	char w[DATES_WORD_MAX];
	const char *s = *p;

	if (!is_alpha(*s))
		return true;
	if (n % 100 < 11 || n % 100 > 13) {
		if (n % 10 == 1)
			want = "st";
		else if (n % 10 == 2)
			want = "nd";
		else if (n % 10 == 3)
			want = "rd";
	}
	if (!take_word(&s, w, sizeof w) || strcmp(w, want) != 0)
		return false;
	*p = s;
	return true;
}

/* ---- the date forms; each reads all of s or fails ---- */

static bool parse_today_tomorrow(const char *s, const struct civil_date *today,
				 struct civil_date *out)
{
	if (strcmp(s, "today") == 0) {
		*out = *today;
		return true;
	}
	if (strcmp(s, "tomorrow") == 0)
		return add_days(today, 1, out);
	return false;
}

/* "friday": the next Friday strictly after today (1 to 7 days ahead).
 * "next friday": the Friday of the calendar week (Monday to Sunday) after this one. */
static bool parse_weekday(const char *s, const struct civil_date *today, struct civil_date *out)
{
	const char *p = s;
	char w[DATES_WORD_MAX];
	bool next = false;
	int want, now;

	if (take_keyword(&p, "next")) {
		if (!take_char(&p, ' '))
			return false;
		next = true;
	}
	if (!take_word(&p, w, sizeof w) || *p != '\0')
		return false;
	want = weekday_from_word(w);
	if (want < 0)
		return false;
	now = dates_weekday(dates_to_days(today));
	if (next)
		return add_days(today, 7 - now + want, out);
	return add_days(today, (want - now + 6) % 7 + 1, out);
}

/* "in N days|weeks|months", "in a week". N counts up to DATES_AHEAD_DAYS days. */
static bool parse_in(const char *s, const struct civil_date *today, struct civil_date *out)
{
	const char *p = s;
	char w[DATES_WORD_MAX];
	long n;

	if (!take_keyword(&p, "in") || !take_char(&p, ' '))
		return false;
	if (take_keyword(&p, "a"))
		n = 1;
	else if (!take_number(&p, 4, &n))
		return false;
	if (!take_char(&p, ' ') || !take_word(&p, w, sizeof w) || *p != '\0' || n < 1)
		return false;
	if (strcmp(w, "day") == 0 || strcmp(w, "days") == 0)
		return n <= DATES_AHEAD_DAYS && add_days(today, n, out);
	if (strcmp(w, "week") == 0 || strcmp(w, "weeks") == 0)
		return n <= DATES_AHEAD_DAYS / 7 && add_days(today, n * 7, out);
	if (strcmp(w, "month") == 0 || strcmp(w, "months") == 0)
		return n <= DATES_AHEAD_MONTHS && add_months(today, (int)n, out);
	return false;
}

/* After a month-day pair: nothing, or an explicit year (" 2027" or ", 2027"). */
static bool take_year_tail(const char **p, int *year)
{
	const char *s = *p;
	int y;

	*year = 0;
	if (*s == '\0')
		return true;
	take_char(&s, ',');
	if (!take_char(&s, ' ') || !take_digits(&s, 4, &y) || *s != '\0')
		return false;
	*year = y;
	*p = s;
	return true;
}

/* "dec 15", "december 15th", "15 dec", with an optional year: "dec 15 2027", "15 dec, 2027".
 * Without a year: the next Dec 15 on or after today. */
static bool parse_month_day(const char *s, const struct civil_date *today,
			    struct civil_date *out)
{
	const char *p = s;
	char w[DATES_WORD_MAX];
	long day;
	int month, year;

	if (take_word(&p, w, sizeof w)) {
		month = month_from_word(w);
		if (month == 0 || !take_char(&p, ' ') || !take_number(&p, 2, &day) ||
		    !take_ordinal(&p, day))
			return false;
	} else {
		if (!take_number(&p, 2, &day) || !take_ordinal(&p, day) || !take_char(&p, ' ') ||
		    !take_word(&p, w, sizeof w))
			return false;
		month = month_from_word(w);
		if (month == 0)
			return false;
	}
	if (!take_year_tail(&p, &year))
		return false;
	if (year == 0)
		return next_occurrence(today, month, (int)day, out);
	if (!date_valid(year, month, (int)day))
		return false;
	out->year = year;
	out->month = month;
	out->day = (int)day;
	return true;
}

/* Reads "M/D", "M/D/YYYY" or "YYYY/M/D" as a real date; with day_first the two small
 * numbers are read as D/M instead. Without a year: the next occurrence from today. */
static bool read_slash(const char *s, const struct civil_date *today, bool day_first,
		       struct civil_date *out, bool *has_year)
{
	const char *p = s;
	long a, b;
	int year = 0, month, day;
	bool year_first = take_digits(&p, 4, &year) && take_char(&p, '/');

	if (!year_first) {
		p = s;
		year = 0;
	} else if (day_first) {
		return false; /* nobody writes YYYY/D/M */
	}
	if (!take_number(&p, 2, &a) || !take_char(&p, '/') || !take_number(&p, 2, &b))
		return false;
	if (!year_first && take_char(&p, '/') && !take_digits(&p, 4, &year))
		return false;
	if (*p != '\0')
		return false;
	month = (int)(day_first ? b : a);
	day = (int)(day_first ? a : b);
	*has_year = year_first || year != 0;
	if (!*has_year)
		return next_occurrence(today, month, day, out);
	if (!date_valid(year, month, day))
		return false;
	out->year = year;
	out->month = month;
	out->day = day;
	return true;
}

/* The refusal for "12/15" and "15/12/2026": suggest the unambiguous spelling, reading the
 * numbers as month/day first, as day/month if only that works, else a plain example. */
static int refuse_slash(const char *s, const char *quoted, const struct civil_date *today,
			char *err, size_t errlen)
{
	struct civil_date d;
	bool has_year = false, day_first = false;
	char year_part[16] = "";

	if (!read_slash(s, today, false, &d, &has_year)) {
		day_first = read_slash(s, today, true, &d, &has_year);
		if (!day_first) {
			has_year = false;
			if (!next_occurrence(today, 12, 15, &d))
				d = (struct civil_date){ today->year, 12, 15 };
		}
	}
	if (has_year)
		snprintf(year_part, sizeof year_part, " %04d", d.year);
	if (day_first)
		return bot_fail(err, errlen, BOT_ERR_INVALID,
				"ambiguous date '%s': write %04d-%02d-%02d or %d %.3s%s", quoted,
				d.year, d.month, d.day, d.day, month_names[d.month - 1], year_part);
	return bot_fail(err, errlen, BOT_ERR_INVALID,
			"ambiguous date '%s': write %04d-%02d-%02d or %.3s %d%s", quoted, d.year,
			d.month, d.day, month_names[d.month - 1], d.day, year_part);
}

/* ---- public ---- */

void dates_format(const struct civil_date *d, char *buf, size_t len)
{
	if (!buf || len == 0)
		return;
	snprintf(buf, len, "%04d-%02d-%02d", d->year, d->month, d->day);
}

int dates_parse_iso(const char *text, struct civil_date *out)
{
	const char *p = text;
	int year, month, day;

	if (!text || !take_digits(&p, 4, &year) || !take_char(&p, '-') ||
	    !take_digits(&p, 2, &month) || !take_char(&p, '-') || !take_digits(&p, 2, &day) ||
	    *p != '\0' || !date_valid(year, month, day))
		return -1;
	out->year = year;
	out->month = month;
	out->day = day;
	return 0;
}

int dates_today(time_t t, const char *tz, struct civil_date *out)
{
	struct tm tm;

	if (tz_localtime(tz, t, &tm) != 0)
		return -1;
	out->year = tm.tm_year + 1900;
	out->month = tm.tm_mon + 1;
	out->day = tm.tm_mday;
	return 0;
}

int dates_parse(const char *text, time_t now, const char *tz, struct civil_date *out,
		char *err, size_t errlen)
{
	char s[DATES_INPUT_MAX + 1];
	char quoted[DATES_QUOTE_MAX + 4];
	struct civil_date today, d;

	quote_input(text, quoted, sizeof quoted);
	if (!tz_valid(tz) || dates_today(now, tz, &today) != 0)
		return bot_fail(err, errlen, BOT_ERR_INVALID, "unknown time zone '%.40s'",
				tz ? tz : "");
	if (!normalize(text, s, sizeof s))
		goto bad;
	if (strchr(s, '/'))
		return refuse_slash(s, quoted, &today, err, errlen);
	if (dates_parse_iso(s, &d) == 0 || parse_today_tomorrow(s, &today, &d) ||
	    parse_weekday(s, &today, &d) || parse_in(s, &today, &d) ||
	    parse_month_day(s, &today, &d)) {
		*out = d;
		return 0;
	}
bad:
	return bot_fail(err, errlen, BOT_ERR_INVALID, "cannot read '%s' as a date: " DATE_FORMS,
			quoted);
}

/* A duration unit word or letter: its rank (bigger units first) and length in seconds. */
static bool duration_unit(const char *w, int *rank, long *seconds)
{
	static const struct {
		const char *names[5];
		int rank;
		long seconds;
	} units[] = {
		{ { "w", "wk", "wks", "week", "weeks" }, 4, 7L * 24 * 60 * 60 },
		{ { "d", "day", "days", NULL, NULL }, 3, 24L * 60 * 60 },
		{ { "h", "hr", "hrs", "hour", "hours" }, 2, 60L * 60 },
		{ { "m", "min", "mins", "minute", "minutes" }, 1, 60 },
		{ { "s", "sec", "secs", "second", "seconds" }, 0, 1 },
	};

	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		for (size_t j = 0; j < 5 && units[i].names[j]; j++) {
			if (strcmp(w, units[i].names[j]) == 0) {
				*rank = units[i].rank;
				*seconds = units[i].seconds;
				return true;
			}
		}
	}
	return false;
}

/* Groups of <number><unit>, biggest unit first, each unit once: "1h30m", "1h 30m",
 * "1 hour and 30 minutes", "an hour". */
int dates_parse_duration(const char *text, long *seconds, char *err, size_t errlen)
{
	char s[DATES_INPUT_MAX + 1];
	char quoted[DATES_QUOTE_MAX + 4];
	char w[DATES_WORD_MAX];
	const char *p = s;
	long total = 0;
	int last_rank = 5;

	quote_input(text, quoted, sizeof quoted);
	if (!normalize(text, s, sizeof s) || *s == '\0')
		goto bad;
	while (*p) {
		long n, unit;
		int rank;

		if (p != s) {
			/* Between groups: nothing, " ", ", ", " and ". */
			take_char(&p, ',');
			take_char(&p, ' ');
			if (take_keyword(&p, "and") && !take_char(&p, ' '))
				goto bad;
		}
		if (take_keyword(&p, "a") || take_keyword(&p, "an")) {
			n = 1;
			if (*p != ' ')
				goto bad;
		} else if (!take_number(&p, 9, &n)) {
			if (is_digit(*p))
				goto too_long;
			goto bad;
		}
		take_char(&p, ' ');
		if (!take_word(&p, w, sizeof w) || !duration_unit(w, &rank, &unit) ||
		    rank >= last_rank)
			goto bad;
		last_rank = rank;
		if (n > (DURATION_MAX - total) / unit)
			goto too_long;
		total += n * unit;
	}
	if (total <= 0)
		return bot_fail(err, errlen, BOT_ERR_INVALID,
				"duration '%s' must be more than zero: " DURATION_FORMS, quoted);
	*seconds = total;
	return 0;
too_long:
	return bot_fail(err, errlen, BOT_ERR_INVALID,
			"duration '%s' is longer than 366 days: " DURATION_FORMS, quoted);
bad:
	return bot_fail(err, errlen, BOT_ERR_INVALID,
			"cannot read '%s' as a duration: " DURATION_FORMS, quoted);
}
