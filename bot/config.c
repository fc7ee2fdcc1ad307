/* config.c - the config file: one table of keys, a bounded line parser, cross-field checks.
 *
 * The whole file is read (at most CONFIG_MAX_FILE bytes), then taken line by line: each
 * line is checked for length, NUL and control bytes and UTF-8 before it is parsed with
 * helpers that advance a pointer through [p, end). Every key lives in keys[] below; the
 * parser, the defaults, the error messages and config_free() are all driven by it. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "tz.h"

#define CONFIG_MAX_FILE (1024 * 1024)  /* bytes in the whole file */
#define CONFIG_MAX_LINE 4096           /* bytes in one line, without its line ending */
#define CONFIG_QUOTE_MAX 80            /* bytes of the offending line quoted in an error */
#define CONFIG_ECHO_MAX 64             /* bytes of a name or value echoed in an error */

enum cfg_type {
	CFG_STRING,     /* any text */
	CFG_PATH,       /* a file or directory path */
	CFG_TIMEZONE,   /* an IANA zone name, checked with tz_valid() */
	CFG_LOG_LEVEL,  /* error | warn | info | debug, via log_level_parse() */
	CFG_REMIND_BY,  /* channel | direct, into a bool: true for direct */
	CFG_INT,        /* a whole number from min_len to max_len, into a long */
	CFG_LIST,       /* comma-separated items, each trimmed; empty items ignored */
	CFG_CLOCK,      /* a local time of day H:MM or HH:MM, into a long: minutes after
	                   midnight */
	CFG_CLOCK_OPT,  /* a CFG_CLOCK or none, into a long: -1 for none */
	CFG_CLOCK_RANGE,/* HH:MM-HH:MM (may wrap midnight) or none, into long[2] */
	CFG_WEEKDAYS,   /* days and day ranges, comma-separated (mon-fri, sat), into an
	                   unsigned long: bit 0 Monday ... bit 6 Sunday */
	CFG_DATE_LIST,  /* a CFG_LIST whose items are dates YYYY-MM-DD */
};

struct cfg_key {
	const char *section;
	const char *name;
	enum cfg_type type;
	size_t min_len, max_len;  /* bytes of the value; of each item for CFG_LIST */
	const char *def;          /* the default, in the file's syntax */
	const char *expect;       /* what a good value looks like, for error messages */
	size_t offset;            /* of the field in struct config */
	size_t count_offset;      /* CFG_LIST only: of its size_t item count */
	const char *env;          /* an environment variable that overrides it, or NULL */
	bool secret;              /* never echoed in errors or logs */
};

#define FIELD(f) offsetof(struct config, f)

/* The one declaration of every key. The section order here is the order in messages. */
static const struct cfg_key keys[] = {
	{ "workshopbot", "database", CFG_PATH, 1, 4095, "workshopbot.db",
	  "a file path", FIELD(database), 0, NULL, false },
	{ "workshopbot", "templates", CFG_PATH, 1, 4095, "prompts",
	  "a directory path", FIELD(templates_dir), 0, NULL, false },
	{ "workshopbot", "template", CFG_STRING, 1, 64, "community-engagement",
	  "a template id such as community-engagement", FIELD(default_template), 0, NULL, false },
	{ "workshopbot", "timezone", CFG_TIMEZONE, 1, 64, "UTC",
	  "an IANA time zone such as UTC or Europe/Berlin", FIELD(timezone), 0, NULL, false },
	{ "workshopbot", "log_level", CFG_LOG_LEVEL, 1, 64, "info",
	  "one of error, warn, info, debug", FIELD(log_level), 0, NULL, false },
	{ "workshopbot", "admins", CFG_LIST, 1, 255, "",
	  "comma-separated user names or ids", FIELD(admins), FIELD(n_admins), NULL, false },
	{ "workshopbot", "command_limit", CFG_INT, 0, 10000, "20",
	  "a number of commands from 0 (no limit) to 10000", FIELD(command_limit), 0, NULL,
	  false },
	{ "workshopbot", "command_window", CFG_INT, 1, 86400, "60",
	  "a number of seconds from 1 to 86400", FIELD(command_window), 0, NULL, false },
	{ "console", "user", CFG_STRING, 0, 255, "",
	  "a user name, or nothing for the OS user", FIELD(console_user), 0, NULL, false },
	{ "slack", "app_token", CFG_STRING, 0, 512, "",
	  "the app-level token (xapp-...)", FIELD(slack_app_token), 0, "SLACK_APP_TOKEN", true },
	{ "slack", "bot_token", CFG_STRING, 0, 512, "",
	  "the bot token (xoxb-...)", FIELD(slack_bot_token), 0, "SLACK_BOT_TOKEN", true },
	{ "slack", "api_url", CFG_STRING, 1, 1024, "https://slack.com/api/",
	  "the Web API base URL", FIELD(slack_api_url), 0, "SLACK_API_URL", false },
	{ "slack", "ping_timeout", CFG_INT, 2, 3600, "30",
	  "a number of seconds from 2 to 3600", FIELD(slack_ping_timeout), 0, NULL, false },
	{ "matrix", "homeserver", CFG_STRING, 0, 1024, "",
	  "the homeserver's URL, e.g. https://matrix.example.org", FIELD(matrix_homeserver), 0,
	  "MATRIX_HOMESERVER", false },
	{ "matrix", "user", CFG_STRING, 0, 255, "",
	  "the bot's user id, e.g. @workshopbot:example.org", FIELD(matrix_user), 0,
	  "MATRIX_USER", false },
	{ "matrix", "password", CFG_STRING, 0, 1024, "",
	  "the bot account's password", FIELD(matrix_password), 0, "MATRIX_PASSWORD", true },
	{ "matrix", "access_token", CFG_STRING, 0, 1024, "",
	  "an access token of the bot account", FIELD(matrix_access_token), 0,
	  "MATRIX_ACCESS_TOKEN", true },
	{ "matrix", "power_level", CFG_INT, 0, 100, "50",
	  "a power level from 0 to 100", FIELD(matrix_power_level), 0, NULL, false },
	{ "matrix", "sync_timeout", CFG_INT, 2, 300, "30",
	  "a number of seconds from 2 to 300", FIELD(matrix_sync_timeout), 0, NULL, false },
	{ "matrix", "allow_invites_from", CFG_LIST, 1, 255, "",
	  "comma-separated user ids or :server names", FIELD(matrix_allow), FIELD(n_matrix_allow),
	  NULL, false },
	{ "followup", "remind_days_before", CFG_INT, 0, 365, "2",
	  "a number of days from 0 (no early reminder) to 365",
	  FIELD(followup_remind_days_before), 0, NULL, false },
	{ "followup", "remind_by", CFG_REMIND_BY, 1, 16, "channel",
	  "channel (a mention in the session's channel) or direct (a direct message to each "
	  "owner)", FIELD(followup_remind_direct), 0, NULL, false },
	{ "followup", "due_morning", CFG_CLOCK, 1, 16, "09:00",
	  "a local time such as 09:00", FIELD(followup_due_morning), 0, NULL, false },
	{ "followup", "overdue_every_days", CFG_INT, 1, 365, "3",
	  "a number of days from 1 to 365", FIELD(followup_overdue_every_days), 0, NULL, false },
	{ "followup", "overdue_max", CFG_INT, 0, 100, "3",
	  "a number of overdue reminders from 0 to 100", FIELD(followup_overdue_max), 0, NULL,
	  false },
	{ "followup", "nudge_at", CFG_CLOCK_OPT, 1, 16, "15:00",
	  "a local time such as 15:00, or none", FIELD(followup_nudge_at), 0, NULL, false },
	{ "followup", "quiet_hours", CFG_CLOCK_RANGE, 1, 32, "20:00-08:00",
	  "a local time range such as 20:00-08:00, or none", FIELD(followup_quiet), 0, NULL,
	  false },
	{ "followup", "working_days", CFG_WEEKDAYS, 1, 128, "mon-fri",
	  "days or day ranges such as mon-fri or mon, wed, fri", FIELD(followup_working_days), 0,
	  NULL, false },
	{ "followup", "closures", CFG_DATE_LIST, 1, 64, "",
	  "comma-separated dates such as 2026-12-24, 2026-12-25", FIELD(followup_closures),
	  FIELD(n_followup_closures), NULL, false },
};

#define N_KEYS (sizeof keys / sizeof keys[0])

/* ---- fields, reached through the table ---- */

static void *field(struct config *cfg, size_t offset)
{
	return (char *)cfg + offset;
}

static void list_free(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

static void key_clear(struct config *cfg, const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_STRING:
	case CFG_PATH:
	case CFG_TIMEZONE: {
		char **s = field(cfg, k->offset);
		free(*s);
		*s = NULL;
		break;
	}
	case CFG_LIST:
	case CFG_DATE_LIST: {
		char ***items = field(cfg, k->offset);
		size_t *n = field(cfg, k->count_offset);
		list_free(*items, *n);
		*items = NULL;
		*n = 0;
		break;
	}
	case CFG_LOG_LEVEL:
	case CFG_REMIND_BY:
	case CFG_INT:
	case CFG_CLOCK:
	case CFG_CLOCK_OPT:
	case CFG_CLOCK_RANGE:
	case CFG_WEEKDAYS:
		break;
	}
}

/* ---- small bounded helpers over [p, end) ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

static void skip_blank(const char **p, const char *end)
{
	while (*p < end && is_blank(**p))
		(*p)++;
}

static void trim_end(const char *start, const char **end)
{
	while (*end > start && is_blank((*end)[-1]))
		(*end)--;
}

/* True at the end of the line, or at a '#' that follows white space (a trailing comment). */
static bool at_end_or_comment(const char *p, const char *line, const char *end)
{
	return p == end || (*p == '#' && p > line && is_blank(p[-1]));
}

/* A length for "%.*s" that echoes at most CONFIG_ECHO_MAX bytes of user input. */
static int echo_len(size_t len)
{
	return (int)(len < CONFIG_ECHO_MAX ? len : CONFIG_ECHO_MAX);
}

static bool mem_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if the bytes there are not one:
 * truncated, overlong, a surrogate, or above U+10FFFF. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t n, avail = (size_t)(end - p);
	unsigned char lo = 0x80, hi = 0xBF;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3;
		if (p[0] == 0xE0)
			lo = 0xA0;
		else if (p[0] == 0xED)
			hi = 0x9F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4;
		if (p[0] == 0xF0)
			lo = 0x90;
		else if (p[0] == 0xF4)
			hi = 0x8F;
	} else {
		return 0;
	}
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	}
	return n;
}

/* ---- values of the [followup] types ---- */

/* "HH:MM-HH:MM" (blanks around '-' allowed) or "none" into out[0], out[1]. */
static bool clock_range_parse(const char *s, long out[2])
{
	const char *dash = strchr(s, '-'), *a_end, *b;

	if (strcasecmp(s, "none") == 0) {
		out[0] = out[1] = 0;
		return true;
	}
	if (!dash)
		return false;
	a_end = dash;
	trim_end(s, &a_end);
	b = dash + 1;
	skip_blank(&b, b + strlen(b));
	return clock_parse_time_of_day(s, a_end, &out[0]) &&
	       clock_parse_time_of_day(b, b + strlen(b), &out[1]);
}

/* A day name (mon or monday, any case): 0 = Monday ... 6 = Sunday, or -1. */
static int weekday_parse(const char *p, const char *end)
{
	static const char *const names[] = { "monday", "tuesday", "wednesday", "thursday",
					     "friday", "saturday", "sunday" };
	size_t len = (size_t)(end - p);

	for (int i = 0; i < 7; i++) {
		if ((len == 3 || len == strlen(names[i])) && strncasecmp(p, names[i], len) == 0)
			return i;
	}
	return -1;
}

/* "mon-fri, sat" into a bit set (bit 0 Monday); a range may wrap (sun-thu). */
static bool weekdays_parse(const char *s, unsigned long *out)
{
	const char *p = s, *end = s + strlen(s);
	unsigned long days = 0;

	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end, *dash, *a_end;
		int first, last;

		skip_blank(&p, stop);
		dash = p;
		while (dash < stop && *dash != '-')
			dash++;
		if (dash == stop)
			dash = NULL;
		a_end = dash ? dash : stop;
		trim_end(p, &a_end);
		first = weekday_parse(p, a_end);
		last = first;
		if (dash) {
			const char *b = dash + 1, *b_end = stop;
			skip_blank(&b, stop);
			trim_end(b, &b_end);
			last = weekday_parse(b, b_end);
		}
		if (first < 0 || last < 0)
			return false;
		for (int d = first;; d = (d + 1) % 7) {
			days |= 1ul << d;
			if (d == last)
				break;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = days;
	return true;
}

/* A real calendar date written YYYY-MM-DD. */
static bool date_parse(const char *s)
{
	static const int month_days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int year, month, day;

	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	}
	if (s[10] != '\0')
		return false;
	year = atoi(s);
	month = atoi(s + 5);
	day = atoi(s + 8);
	if (year < 1 || month < 1 || month > 12 || day < 1 || day > month_days[month - 1])
		return false;
	return month != 2 || day < 29 || (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
}

/* ---- the parser ---- */

struct parser {
	const char *path;
	struct config *cfg;
	const char *section;          /* current section, a string from keys[]; NULL before any */
	unsigned line_no;
	const char *line;             /* the current line, for quoting in errors */
	size_t line_len;
	unsigned set_on[N_KEYS];      /* line that set each key, 0 if not set yet */
	char value[CONFIG_MAX_LINE + 1];
	const char *quote_end;        /* quote the line only up to here (a value that may be
	                                 a token is hidden), or NULL for the whole line */
	bool has_secret;              /* the file sets a secret key */
	char *err;
	size_t errlen;
};

/* Renders [s, s+len) for an error: trimmed, control bytes and invalid UTF-8 as \xNN,
 * at most CONFIG_QUOTE_MAX bytes, ending in "..." when cut. out has QUOTE_MAX+1 bytes. */
static void quote_line(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	size_t used = 0, cut = 0;

	while (p < end && is_blank((char)*p))
		p++;
	while (end > p && is_blank((char)end[-1]))
		end--;
	while (p < end) {
		char piece[5];
		size_t n = utf8_len(p, end);
		size_t plen;

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F))) {
			snprintf(piece, sizeof piece, "\\x%02x", *p);
			plen = 4;
			n = 1;
		} else {
			memcpy(piece, p, n);
			plen = n;
		}
		if (used + plen > CONFIG_QUOTE_MAX) {
			memcpy(out + cut, "...", 3);
			used = cut + 3;
			break;
		}
		memcpy(out + used, piece, plen);
		used += plen;
		p += n;
		if (used <= CONFIG_QUOTE_MAX - 3)
			cut = used;
	}
	out[used] = '\0';
}

static int line_fail(struct parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes "FILE:LINE: problem >>> 'line'" and returns BOT_ERR_CONFIG. */
static int line_fail(struct parser *ps, const char *fmt, ...)
{
	char problem[BOT_ERRMSG_MAX];
	char quote[CONFIG_QUOTE_MAX + 1];
	va_list ap;

	const char *end = ps->quote_end;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof problem, fmt, ap);
	va_end(ap);
	/* A value that may be a token (a secret key's, or an unknown key's) is not quoted. */
	quote_line(ps->line, end ? (size_t)(end - ps->line) : ps->line_len, quote);
	return bot_fail(ps->err, ps->errlen, BOT_ERR_CONFIG, "%s:%u: %s >>> '%s%s'",
			ps->path, ps->line_no, problem, quote, end ? " <hidden>" : "");
}

/* The table's spelling of a section name, or NULL if no key lives there. */
static const char *section_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (mem_is(name, len, keys[i].section))
			return keys[i].section;
	}
	return NULL;
}

/* Index of the key name in section, or -1. section NULL: in any section. */
static long key_find(const char *section, const char *name, size_t len)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if ((!section || strcmp(keys[i].section, section) == 0) &&
		    mem_is(name, len, keys[i].name))
			return (long)i;
	}
	return -1;
}

/* "[workshopbot], [console]": every section, in table order. */
static void sections_expected(char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_KEYS; i++) {
		if (i > 0 && strcmp(keys[i - 1].section, keys[i].section) == 0)
			continue;
		int n = snprintf(buf + used, len - used, "%s[%s]", used ? ", " : "",
				 keys[i].section);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
}

/* "one of database, templates, ..." or, for a section with one key, its name. */
static void keys_expected(const char *section, char *buf, size_t len)
{
	size_t used = 0, count = 0;
	bool first = true;

	for (size_t i = 0; i < N_KEYS; i++)
		count += strcmp(keys[i].section, section) == 0;
	buf[0] = '\0';
	for (size_t i = 0; i < N_KEYS; i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s",
				 first ? (count > 1 ? "one of " : "") : ", ", keys[i].name);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
		first = false;
	}
}

/* Splits [v, v+len) at commas into *out; items are trimmed and empty ones dropped.
 * Returns 0, BOT_ERR_NOMEM, or BOT_ERR_CONFIG with a phrase in why. */
static int list_parse(const struct cfg_key *k, const char *v, size_t len, char ***out,
		      size_t *n_out, char *why, size_t whylen)
{
	const char *p = v, *end = v + len;
	char **items = NULL;
	size_t n = 0, cap = 1;
	int result = 0;

	for (const char *q = v; q < end; q++)
		cap += *q == ',';
	items = calloc(cap, sizeof *items);
	if (!items)
		return BOT_ERR_NOMEM;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		const char *item_end = stop;

		skip_blank(&p, stop);
		trim_end(p, &item_end);
		if (item_end > p) {
			size_t ilen = (size_t)(item_end - p);
			if (ilen > k->max_len) {
				result = bot_fail(why, whylen, BOT_ERR_CONFIG,
						  "an item of %s is too long (%zu bytes; expected at most %zu)",
						  k->name, ilen, k->max_len);
				goto out;
			}
			items[n] = strndup(p, ilen);
			if (!items[n]) {
				result = BOT_ERR_NOMEM;
				goto out;
			}
			n++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (n == 0) {
		free(items);
		items = NULL;
	}
	*out = items;
	*n_out = n;
	items = NULL;
	n = 0;
out:
	list_free(items, n);
	return result;
}

/* Sets k's field in cfg from [v, v+len). With check set, the value is validated first
 * (defaults are not). Returns 0, BOT_ERR_NOMEM, or BOT_ERR_CONFIG with a phrase in why. */
static int key_set(struct config *cfg, const struct cfg_key *k, const char *v, size_t len,
		   bool check, char *why, size_t whylen)
{
	char *s = NULL;
	int result = 0;
	bool is_list = k->type == CFG_LIST || k->type == CFG_DATE_LIST;
	/* For a number min_len is the smallest value, not a length: "2" is not empty. */
	size_t min_len = k->type == CFG_INT ? (k->min_len > 0) : k->min_len;

	if (check && !is_list && len < min_len) {
		result = bot_fail(why, whylen, BOT_ERR_CONFIG, "empty value for %s; expected %s",
				  k->name, k->expect);
		goto out;
	}
	if (check && !is_list && len > k->max_len) {
		result = bot_fail(why, whylen, BOT_ERR_CONFIG,
				  "value for %s is too long (%zu bytes; expected at most %zu)",
				  k->name, len, k->max_len);
		goto out;
	}
	if (is_list) {
		char **items = NULL;
		size_t n = 0;

		result = list_parse(k, v, len, &items, &n, why, whylen);
		if (result)
			goto out;
		for (size_t i = 0; k->type == CFG_DATE_LIST && i < n; i++) {
			if (!date_parse(items[i])) {
				result = bot_fail(why, whylen, BOT_ERR_CONFIG,
						  "bad date '%.*s' in %s; expected %s", CONFIG_ECHO_MAX,
						  items[i], k->name, k->expect);
				list_free(items, n);
				goto out;
			}
		}
		key_clear(cfg, k);
		*(char ***)field(cfg, k->offset) = items;
		*(size_t *)field(cfg, k->count_offset) = n;
		goto out;
	}
	s = strndup(v, len);
	if (!s) {
		result = BOT_ERR_NOMEM;
		goto out;
	}
	if (k->type == CFG_INT) {
		long n = 0;
		size_t i = s[0] == '-';
		bool good = s[i] != '\0';
		for (; s[i] && good; i++) {
			good = s[i] >= '0' && s[i] <= '9' && n < 100000000;
			n = n * 10 + (s[i] - '0');
		}
		if (s[0] == '-')
			n = -n;
		if (!good || n < (long)k->min_len || n > (long)k->max_len) {
			result = bot_fail(why, whylen, BOT_ERR_CONFIG,
					  "bad value '%.*s' for %s; expected %s",
					  CONFIG_ECHO_MAX, s, k->name, k->expect);
			goto out;
		}
		*(long *)field(cfg, k->offset) = n;
		goto out;
	}
	if (k->type == CFG_CLOCK || k->type == CFG_CLOCK_OPT || k->type == CFG_CLOCK_RANGE ||
	    k->type == CFG_WEEKDAYS) {
		long range[2] = { -1, -1 };
		unsigned long days = 0;
		bool none = k->type == CFG_CLOCK_OPT && strcasecmp(s, "none") == 0;
		bool good = none || (k->type == CFG_CLOCK_RANGE ? clock_range_parse(s, range)
				     : k->type == CFG_WEEKDAYS ? weekdays_parse(s, &days)
				     : clock_parse_time_of_day(s, s + strlen(s), &range[0]));

		if (!good) {
			result = bot_fail(why, whylen, BOT_ERR_CONFIG,
					  "bad value '%.*s' for %s; expected %s",
					  CONFIG_ECHO_MAX, s, k->name, k->expect);
			goto out;
		}
		if (k->type == CFG_CLOCK || k->type == CFG_CLOCK_OPT)
			*(long *)field(cfg, k->offset) = range[0];
		else if (k->type == CFG_CLOCK_RANGE)
			memcpy(field(cfg, k->offset), range, sizeof range);
		else
			*(unsigned long *)field(cfg, k->offset) = days;
		goto out;
	}
	if (k->type == CFG_LOG_LEVEL || k->type == CFG_REMIND_BY) {
		enum log_level level = LOG_INFO;
		bool bad = k->type == CFG_LOG_LEVEL ? log_level_parse(s, &level) != 0
			   : strcmp(s, "channel") != 0 && strcmp(s, "direct") != 0;
		if (bad) {
			result = bot_fail(why, whylen, BOT_ERR_CONFIG,
					  "bad value '%.*s' for %s; expected %s",
					  CONFIG_ECHO_MAX, s, k->name, k->expect);
			goto out;
		}
		if (k->type == CFG_LOG_LEVEL)
			*(enum log_level *)field(cfg, k->offset) = level;
		else
			*(bool *)field(cfg, k->offset) = strcmp(s, "direct") == 0;
		goto out;
	}
	if (check && k->type == CFG_TIMEZONE && !tz_valid(s)) {
		result = bot_fail(why, whylen, BOT_ERR_CONFIG,
				  "bad value '%.*s' for %s; expected %s",
				  CONFIG_ECHO_MAX, s, k->name, k->expect);
		goto out;
	}
	key_clear(cfg, k);
	*(char **)field(cfg, k->offset) = s;
	s = NULL;
out:
	free(s);
	if (result == BOT_ERR_NOMEM)
		bot_fail(why, whylen, result, "out of memory");
	return result;
}

static int parse_section(struct parser *ps, const char *p, const char *end)
{
	const char *close = memchr(p, ']', (size_t)(end - p));
	const char *name = p, *name_end, *rest, *section;
	char expected[128];

	sections_expected(expected, sizeof expected);
	if (!close)
		return line_fail(ps, "missing ']' after the section name; expected one of %s",
				 expected);
	name_end = close;
	skip_blank(&name, close);
	trim_end(name, &name_end);
	rest = close + 1;
	skip_blank(&rest, end);
	if (!at_end_or_comment(rest, ps->line, end))
		return line_fail(ps, "unexpected text after ']'; expected the end of the line "
				 "or a ' # comment'");
	section = section_find(name, (size_t)(name_end - name));
	if (!section)
		return line_fail(ps, "unknown section '[%.*s]'; expected one of %s",
				 echo_len((size_t)(name_end - name)), name, expected);
	ps->section = section;
	return 0;
}

/* Reads the value after '=' into ps->value: quoted ("..." with \" and \\) or bare (up to a
 * ' #' comment, trimmed). Sets *len. */
static int parse_value(struct parser *ps, const char *p, const char *end, size_t *len)
{
	size_t n = 0;

	skip_blank(&p, end);
	if (p < end && *p == '"') {
		const char *after;

		p++;
		for (;;) {
			if (p == end)
				return line_fail(ps, "unterminated quote; expected a closing '\"'");
			char c = *p++;
			if (c == '"')
				break;
			if (c == '\\') {
				if (p == end)
					return line_fail(ps, "unterminated quote; expected a closing '\"'");
				if (*p != '"' && *p != '\\') {
					if (*p > 0x20 && *p < 0x7F)
						return line_fail(ps, "unknown escape '\\%c' in a quoted value; "
								 "expected \\\" or \\\\", *p);
					return line_fail(ps, "unknown escape in a quoted value; "
							 "expected \\\" or \\\\");
				}
				c = *p++;
			}
			ps->value[n++] = c;
		}
		after = p;
		skip_blank(&p, end);
		if (p != end && !(*p == '#' && p > after))
			return line_fail(ps, "unexpected text after the closing quote; expected the "
					 "end of the line or a ' # comment'");
	} else {
		const char *v = p, *v_end;

		while (p < end && !(*p == '#' && is_blank(p[-1])))
			p++;
		v_end = p;
		trim_end(v, &v_end);
		n = (size_t)(v_end - v);
		memcpy(ps->value, v, n);
	}
	ps->value[n] = '\0';
	*len = n;
	return 0;
}

static int parse_assignment(struct parser *ps, const char *p, const char *end)
{
	const char *name = p;
	size_t name_len, value_len = 0;
	int echo, result;
	long idx;
	char why[BOT_ERRMSG_MAX];

	while (p < end && is_key_char(*p))
		p++;
	name_len = (size_t)(p - name);
	echo = echo_len(name_len);
	if (name_len == 0)
		return line_fail(ps, "expected a key name, a [section] header or a # comment");
	skip_blank(&p, end);
	/* A line of one word that is no key may be a token pasted on its own: not shown. */
	if (p == end && key_find(NULL, name, name_len) < 0) {
		ps->quote_end = ps->line;
		return line_fail(ps, "a line of one word, not shown (it may be a token); expected "
				 "key = value");
	}
	ps->quote_end = p == end ? NULL : ps->quote_end;
	if (p == end || *p != '=')
		return line_fail(ps, "missing '=' after key '%.*s'; expected key = value",
				 echo, name);
	p++;
	ps->quote_end = p;
	if (!ps->section) {
		idx = key_find(NULL, name, name_len);
		if (idx >= 0)
			return line_fail(ps, "key '%.*s' is outside any section; expected a [%s] "
					 "header before it", echo, name, keys[idx].section);
		return line_fail(ps, "key '%.*s' is outside any section (and unknown); expected "
				 "a [section] header before it", echo, name);
	}
	idx = key_find(ps->section, name, name_len);
	if (idx < 0) {
		char expected[256];
		long elsewhere = key_find(NULL, name, name_len);

		keys_expected(ps->section, expected, sizeof expected);
		if (elsewhere >= 0)
			return line_fail(ps, "unknown key '%.*s' in [%s]; expected %s ('%.*s' "
					 "belongs in [%s])", echo, name, ps->section, expected,
					 echo, name, keys[elsewhere].section);
		return line_fail(ps, "unknown key '%.*s' in [%s]; expected %s",
				 echo, name, ps->section, expected);
	}
	if (!keys[idx].secret)
		ps->quote_end = NULL;
	ps->has_secret |= keys[idx].secret;
	if (ps->set_on[idx])
		return line_fail(ps, "duplicate key '%s' in [%s] (first set on line %u)",
				 keys[idx].name, keys[idx].section, ps->set_on[idx]);
	result = parse_value(ps, p, end, &value_len);
	if (result)
		return result;
	result = key_set(ps->cfg, &keys[idx], ps->value, value_len, true, why, sizeof why);
	if (result == BOT_ERR_CONFIG)
		return line_fail(ps, "%s", why);
	if (result)
		return bot_fail(ps->err, ps->errlen, result, "%s:%u: %s", ps->path, ps->line_no,
				why);
	ps->set_on[idx] = ps->line_no;
	return 0;
}

/* Checks the bytes of the current line: no NUL or control bytes (tab is fine), UTF-8. */
static int check_line_bytes(struct parser *ps)
{
	const unsigned char *p = (const unsigned char *)ps->line;
	const unsigned char *end = p + ps->line_len;

	while (p < end) {
		size_t column = (size_t)(p - (const unsigned char *)ps->line) + 1;
		size_t n;

		if (*p == '\0')
			return line_fail(ps, "NUL byte at column %zu", column);
		if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
			return line_fail(ps, "control character 0x%02x at column %zu", *p, column);
		n = utf8_len(p, end);
		if (n == 0)
			return line_fail(ps, "invalid UTF-8 at column %zu", column);
		p += n;
	}
	return 0;
}

/* One checked line: blank, a whole-line comment, a [section] header or key = value. */
static int parse_line(struct parser *ps)
{
	const char *p = ps->line, *end = ps->line + ps->line_len;

	skip_blank(&p, end);
	if (p == end || *p == '#')
		return 0;
	if (*p == '[') {
		ps->quote_end = NULL;
		return parse_section(ps, p + 1, end);
	}
	return parse_assignment(ps, p, end);
}

/* The end of the line's first word (after leading blanks), or NULL for a blank line, a
 * comment or a section header. A line of one word gives its start: that word may be a
 * token pasted on its own. */
static const char *first_word_end(const char *line, size_t len)
{
	const char *p = line, *end = line + len, *word;

	skip_blank(&p, end);
	word = p;
	while (p < end && !is_blank(*p) && *p != '=')
		p++;
	skip_blank(&p, end);
	if (p < end && *p == '=') {
		p++;
		skip_blank(&p, end);
	}
	if (p < end)
		return p;
	return word < end && *word != '#' && *word != '[' ? word : NULL;
}

static int parse_text(struct parser *ps, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int result = 0;

	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;  /* a UTF-8 byte order mark, as some editors write */
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = nl ? nl : end;

		ps->line_no++;
		ps->line = p;
		ps->line_len = (size_t)(line_end - p);
		if (ps->line_len > 0 && line_end[-1] == '\r')
			ps->line_len--;  /* CRLF line ending */
		/* Until the line is known to be something else, anything after its first
		 * word might be a token: do not quote it. */
		ps->quote_end = first_word_end(ps->line, ps->line_len);
		if (ps->line_len > CONFIG_MAX_LINE) {
			result = line_fail(ps, "line is longer than %d bytes", CONFIG_MAX_LINE);
			break;
		}
		result = check_line_bytes(ps);
		if (result)
			break;
		result = parse_line(ps);
		if (result)
			break;
		p = nl ? nl + 1 : end;
	}
	return result;
}

/* Reads the whole file into *out (NUL-terminated, caller frees), at most CONFIG_MAX_FILE. */
static int read_file(const char *path, char **out, size_t *out_len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 4096;
	int result = 0;

	if (!f)
		return bot_fail(err, errlen, BOT_ERR_IO, "%s: cannot open: %s", path,
				strerror(errno));
	for (;;) {
		if (len == cap || !buf) {
			char *bigger;

			if (buf)
				cap = cap * 2 > CONFIG_MAX_FILE + 1 ? CONFIG_MAX_FILE + 1 : cap * 2;
			bigger = realloc(buf, cap + 1);
			if (!bigger) {
				result = bot_fail(err, errlen, BOT_ERR_NOMEM, "%s: out of memory", path);
				goto out;
			}
			buf = bigger;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (len > CONFIG_MAX_FILE) {
			result = bot_fail(err, errlen, BOT_ERR_CONFIG,
					  "%s: file is larger than 1 MiB (%d bytes); expected a "
					  "smaller config file", path, CONFIG_MAX_FILE);
			goto out;
		}
		if (got == 0 || len < cap) {
			if (ferror(f)) {
				result = bot_fail(err, errlen, BOT_ERR_IO, "%s: cannot read: %s",
						  path, strerror(errno));
				goto out;
			}
			if (feof(f))
				break;
		}
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	buf = NULL;
out:
	free(buf);
	fclose(f);
	return result;
}

static int config_defaults(struct config *cfg, char *err, size_t errlen)
{
	char why[BOT_ERRMSG_MAX];

	for (size_t i = 0; i < N_KEYS; i++) {
		int result = key_set(cfg, &keys[i], keys[i].def, strlen(keys[i].def), false,
				     why, sizeof why);
		if (result)
			return bot_fail(err, errlen, result, "default for %s: %s", keys[i].name,
					why);
	}
	return 0;
}

/* A file with a token in it should be readable by its owner only. */
static void warn_if_readable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0 && (st.st_mode & 077))
		log_warn("config", "%s holds secrets but other users may read it (mode %03o); "
			 "run: chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
}

/* Keys with an environment variable take its value when it is set and not empty. */
static int apply_environment(struct config *cfg, char *err, size_t errlen)
{
	char why[BOT_ERRMSG_MAX];

	for (size_t i = 0; i < N_KEYS; i++) {
		const char *v = keys[i].env ? getenv(keys[i].env) : NULL;
		int result;

		if (!v || !*v)
			continue;
		result = key_set(cfg, &keys[i], v, strlen(v), true, why, sizeof why);
		if (result)
			return bot_fail(err, errlen, result, "environment %s: %s", keys[i].env,
					keys[i].secret ? "bad value" : why);
	}
	return 0;
}

/* cfg emptied and filled with every default (safe for config_free() in any case). */
static int start(struct config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof *cfg);
	if (err && errlen)
		err[0] = '\0';
	return config_defaults(cfg, err, errlen);
}

/* text (len bytes; NULL: none) over the defaults in cfg, then the environment. name
 * stands for the file in messages; *has_secret tells whether the text set a secret. */
static int load_text(const char *name, const char *text, size_t len, struct config *cfg,
		     bool *has_secret, char *err, size_t errlen)
{
	struct parser *ps = NULL;
	int result = 0;

	*has_secret = false;
	if (!text)
		goto out;
	ps = calloc(1, sizeof *ps);
	if (!ps) {
		result = bot_fail(err, errlen, BOT_ERR_NOMEM, "%s: out of memory", name);
		goto out;
	}
	ps->path = name;
	ps->cfg = cfg;
	ps->err = err;
	ps->errlen = errlen;
	result = parse_text(ps, text, len);
	*has_secret = ps->has_secret;
out:
	free(ps);
	if (!result)
		result = apply_environment(cfg, err, errlen);
	return result;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	bool has_secret;
	int result;

	result = start(cfg, err, errlen);
	if (!result && path)
		result = read_file(path, &text, &len, err, errlen);
	if (!result)
		result = load_text(path, text, len, cfg, &has_secret, err, errlen);
	if (!result && has_secret)
		warn_if_readable(path);
	free(text);
	return result;
}

int config_load_string(const char *text, size_t len, const char *name, struct config *cfg,
		       char *err, size_t errlen)
{
	bool has_secret;
	int result = start(cfg, err, errlen);

	return result ? result : load_text(name, text, len, cfg, &has_secret, err, errlen);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool config_slack_enabled(const struct config *cfg)
{
	return cfg->slack_app_token && cfg->slack_app_token[0] && cfg->slack_bot_token &&
	       cfg->slack_bot_token[0];
}

/* Both Slack tokens or neither, each of its kind; the API URL is http(s). */
static int check_slack(const struct config *cfg, char *err, size_t errlen)
{
	bool app = cfg->slack_app_token && cfg->slack_app_token[0];
	bool bot = cfg->slack_bot_token && cfg->slack_bot_token[0];

	if (app != bot)
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[slack] needs both tokens: %s is set but %s is not (also "
				"settable as SLACK_APP_TOKEN and SLACK_BOT_TOKEN)",
				app ? "app_token" : "bot_token", app ? "bot_token" : "app_token");
	if (app && !has_prefix(cfg->slack_app_token, "xapp-"))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[slack] app_token is not an app-level token; expected one starting "
				"with xapp- (Basic Information > App-Level Tokens)");
	if (bot && !has_prefix(cfg->slack_bot_token, "xoxb-"))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[slack] bot_token is not a bot token; expected one starting with "
				"xoxb- (OAuth & Permissions > Bot User OAuth Token)");
	if (!has_prefix(cfg->slack_api_url, "http://") && !has_prefix(cfg->slack_api_url, "https://"))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[slack] api_url '%.*s' is not an http(s) URL", CONFIG_ECHO_MAX,
				cfg->slack_api_url ? cfg->slack_api_url : "");
	return 0;
}

bool config_matrix_enabled(const struct config *cfg)
{
	return cfg->matrix_homeserver && cfg->matrix_homeserver[0];
}

/* A homeserver needs a user and a password or token. */
static int check_matrix(const struct config *cfg, char *err, size_t errlen)
{
	if (!config_matrix_enabled(cfg))
		return 0;
	if (!has_prefix(cfg->matrix_homeserver, "http://") &&
	    !has_prefix(cfg->matrix_homeserver, "https://"))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[matrix] homeserver '%.*s' is not an http(s) URL", CONFIG_ECHO_MAX,
				cfg->matrix_homeserver);
	if (!(cfg->matrix_password && cfg->matrix_password[0]) &&
	    !(cfg->matrix_access_token && cfg->matrix_access_token[0]))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[matrix] needs password or access_token (or MATRIX_PASSWORD / "
				"MATRIX_ACCESS_TOKEN) to sign in");
	if (cfg->matrix_password && cfg->matrix_password[0] &&
	    !(cfg->matrix_user && cfg->matrix_user[0]))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[matrix] password needs user (MATRIX_USER), e.g. @workshopbot:example.org");
	return 0;
}

int config_check(const struct config *cfg, char *err, size_t errlen)
{
	struct stat st;
	DIR *dir;

	if (!cfg->timezone || !tz_valid(cfg->timezone))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[workshopbot] timezone '%.*s' is not a known time zone; expected "
				"an IANA time zone such as UTC or Europe/Berlin",
				CONFIG_ECHO_MAX, cfg->timezone ? cfg->timezone : "");
	if (!cfg->templates_dir || stat(cfg->templates_dir, &st) != 0)
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[workshopbot] templates '%s': %s; expected a directory of "
				"*.json templates", cfg->templates_dir ? cfg->templates_dir : "",
				cfg->templates_dir ? strerror(errno) : "not set");
	if (!S_ISDIR(st.st_mode))
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[workshopbot] templates '%s' is not a directory; expected a "
				"directory of *.json templates", cfg->templates_dir);
	dir = opendir(cfg->templates_dir);
	if (!dir)
		return bot_fail(err, errlen, BOT_ERR_CONFIG,
				"[workshopbot] templates '%s': cannot read: %s",
				cfg->templates_dir, strerror(errno));
	closedir(dir);
	if (check_slack(cfg, err, errlen) != 0)
		return BOT_ERR_CONFIG;
	return check_matrix(cfg, err, errlen);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++)
		key_clear(cfg, &keys[i]);
	memset(cfg, 0, sizeof *cfg);
}

int config_is_admin(const struct config *cfg, const char *user)
{
	if (!cfg || !user || !cfg->admins)
		return 0;
	for (size_t i = 0; i < cfg->n_admins; i++) {
		if (cfg->admins[i] && strcmp(cfg->admins[i], user) == 0)
			return 1;
	}
	return 0;
}
