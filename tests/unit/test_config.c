/* test_config.c - the config parser: defaults, a full file, quotes and comments, lists,
 * every error class with its line and message, the example file, config_check.
 *
 * Each case writes its text to a mkstemp() file under /tmp; the teardown removes the file
 * and frees the config, so a failing case leaks nothing. Runs from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bot/config.h"
#include "bot/err.h"

#define EXAMPLE "config/workshopbot.conf.example"
#define N_KEYS 29 /* keys declared in bot/config.c; the example must list each one */
#define ARRAY_LEN(a) (sizeof (a) / sizeof (a)[0])

struct error_case {
	const char *description;
	const char *text;
	size_t len;            /* bytes of text; 0: strlen(text) */
	int rc;
	unsigned line;         /* the line the message must name */
	const char *fragment;  /* must appear in the message */
	const char *quote;     /* the message must end with >>> 'quote' */
};

struct fixture {
	const struct error_case *ec;  /* table cases only */
	char path[64];                /* the current temp file, "" if none */
	char dir[64];                 /* a temp directory, "" if none */
	struct config cfg;
	char err[BOT_ERRMSG_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	f->ec = *state;
	*state = f;
	return 0;
}

static void remove_temp(struct fixture *f)
{
	if (f->path[0])
		unlink(f->path);
	f->path[0] = '\0';
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	config_free(&f->cfg);
	remove_temp(f);
	if (f->dir[0])
		rmdir(f->dir);
	free(f);
	return 0;
}

/* Replaces the fixture's temp file with one holding [data, data+len). */
static void write_temp(struct fixture *f, const char *data, size_t len)
{
	int fd;

	remove_temp(f);
	strcpy(f->path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(f->path);
	if (fd < 0) {
		f->path[0] = '\0';
		fail_msg("mkstemp failed");
	}
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n <= 0) {
			close(fd);
			fail_msg("write to %s failed", f->path);
		}
		data += n;
		len -= (size_t)n;
	}
	assert_int_equal(close(fd), 0);
}

/* Writes text to a temp file and loads it into f->cfg (freeing what was there). */
static int load_len(struct fixture *f, const char *text, size_t len)
{
	config_free(&f->cfg);
	write_temp(f, text, len);
	return config_load(f->path, &f->cfg, f->err, sizeof f->err);
}

static int load(struct fixture *f, const char *text)
{
	return load_len(f, text, strlen(text));
}

static void load_ok(struct fixture *f, const char *text)
{
	int rc = load(f, text);

	if (rc != 0)
		fail_msg("load failed (%d): %s\n--- text:\n%s", rc, f->err, text);
}

/* Checks f->err is "PATH:LINE: ...fragment... >>> 'quote'". */
static void assert_error(const struct fixture *f, const char *what, unsigned line,
			 const char *fragment, const char *quote)
{
	char prefix[128];
	char tail[256];
	size_t elen = strlen(f->err);

	snprintf(prefix, sizeof prefix, "%s:%u: ", f->path, line);
	if (strncmp(f->err, prefix, strlen(prefix)) != 0)
		fail_msg("%s: message does not start with '%s': %s", what, prefix, f->err);
	if (!strstr(f->err, fragment))
		fail_msg("%s: message lacks '%s': %s", what, fragment, f->err);
	snprintf(tail, sizeof tail, " >>> '%s'", quote);
	if (elen < strlen(tail) || strcmp(f->err + elen - strlen(tail), tail) != 0)
		fail_msg("%s: message does not end with \"%s\": %s", what, tail, f->err);
	if (strchr(f->err, '\n'))
		fail_msg("%s: message is not one line: %s", what, f->err);
}

static void assert_defaults(const struct config *c)
{
	assert_string_equal(c->database, "workshopbot.db");
	assert_string_equal(c->templates_dir, "prompts");
	assert_string_equal(c->default_template, "community-engagement");
	assert_string_equal(c->timezone, "UTC");
	assert_int_equal(c->log_level, LOG_INFO);
	assert_null(c->admins);
	assert_int_equal(c->n_admins, 0);
	assert_non_null(c->console_user);
	assert_string_equal(c->console_user, "");
	assert_int_equal(c->followup_remind_days_before, 2);
	assert_int_equal(c->command_limit, 20);
	assert_int_equal(c->command_window, 60);
	assert_int_equal(c->followup_due_morning, 9 * 60);
	assert_int_equal(c->followup_overdue_every_days, 3);
	assert_int_equal(c->followup_overdue_max, 3);
	assert_int_equal(c->followup_nudge_at, 15 * 60);
	assert_int_equal(c->followup_quiet[0], 20 * 60);
	assert_int_equal(c->followup_quiet[1], 8 * 60);
	assert_int_equal(c->followup_working_days, 0x1f);
	assert_null(c->followup_closures);
	assert_int_equal(c->n_followup_closures, 0);
}

static void assert_config_equal(const struct config *a, const struct config *b)
{
	assert_string_equal(a->database, b->database);
	assert_string_equal(a->templates_dir, b->templates_dir);
	assert_string_equal(a->default_template, b->default_template);
	assert_string_equal(a->timezone, b->timezone);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->n_admins, b->n_admins);
	for (size_t i = 0; i < a->n_admins; i++)
		assert_string_equal(a->admins[i], b->admins[i]);
	assert_int_equal(a->command_limit, b->command_limit);
	assert_int_equal(a->command_window, b->command_window);
	assert_string_equal(a->console_user, b->console_user);
	assert_string_equal(a->slack_app_token, b->slack_app_token);
	assert_string_equal(a->slack_bot_token, b->slack_bot_token);
	assert_string_equal(a->slack_api_url, b->slack_api_url);
	assert_int_equal(a->slack_ping_timeout, b->slack_ping_timeout);
	assert_string_equal(a->matrix_homeserver, b->matrix_homeserver);
	assert_string_equal(a->matrix_user, b->matrix_user);
	assert_string_equal(a->matrix_password, b->matrix_password);
	assert_string_equal(a->matrix_access_token, b->matrix_access_token);
	assert_int_equal(a->matrix_power_level, b->matrix_power_level);
	assert_int_equal(a->matrix_sync_timeout, b->matrix_sync_timeout);
	assert_int_equal(a->n_matrix_allow, b->n_matrix_allow);
	assert_int_equal(a->followup_remind_days_before, b->followup_remind_days_before);
	assert_int_equal(a->followup_due_morning, b->followup_due_morning);
	assert_int_equal(a->followup_overdue_every_days, b->followup_overdue_every_days);
	assert_int_equal(a->followup_overdue_max, b->followup_overdue_max);
	assert_int_equal(a->followup_nudge_at, b->followup_nudge_at);
	assert_int_equal(a->followup_remind_direct, b->followup_remind_direct);
	assert_int_equal(a->followup_quiet[0], b->followup_quiet[0]);
	assert_int_equal(a->followup_quiet[1], b->followup_quiet[1]);
	assert_int_equal(a->followup_working_days, b->followup_working_days);
	assert_int_equal(a->n_followup_closures, b->n_followup_closures);
	for (size_t i = 0; i < a->n_followup_closures; i++)
		assert_string_equal(a->followup_closures[i], b->followup_closures[i]);
}

/* Reads a whole file from the repository; caller frees. */
static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long size;

	if (!fp)
		fail_msg("cannot open %s (run the tests from the repository root)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size >= 0);
	rewind(fp);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, (size_t)size, fp);
	fclose(fp);
	assert_int_equal(*len, (size_t)size);
	buf[*len] = '\0';
	return buf;
}

/* ---- defaults and good files ---- */

static void test_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_load(NULL, &f->cfg, f->err, sizeof f->err), 0);
	assert_string_equal(f->err, "");
	assert_defaults(&f->cfg);
}

static void test_full_file(void **state)
{
	struct fixture *f = *state;

	load_ok(f,
		"# workshopbot config\n"
		"\n"
		"[workshopbot]\n"
		"database = /var/lib/workshopbot/bot.db\n"
		"  templates   =   /usr/share/workshopbot/prompts  \n"
		"template=retro\n"
		"\ttimezone\t=\tEurope/Berlin\n"
		"log_level = debug  # chatty\n"
		"admins = alice, U012AB3CD\n"
		"\n"
		"[console]\n"
		"user = facilitator\n");
	assert_string_equal(f->cfg.database, "/var/lib/workshopbot/bot.db");
	assert_string_equal(f->cfg.templates_dir, "/usr/share/workshopbot/prompts");
	assert_string_equal(f->cfg.default_template, "retro");
	assert_string_equal(f->cfg.timezone, "Europe/Berlin");
	assert_int_equal(f->cfg.log_level, LOG_DEBUG);
	assert_int_equal(f->cfg.n_admins, 2);
	assert_string_equal(f->cfg.admins[0], "alice");
	assert_string_equal(f->cfg.admins[1], "U012AB3CD");
	assert_string_equal(f->cfg.console_user, "facilitator");
}

static void test_partial_file_keeps_defaults(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "[console]\nuser = bob\n");
	assert_string_equal(f->cfg.console_user, "bob");
	assert_string_equal(f->cfg.database, "workshopbot.db");
	assert_string_equal(f->cfg.timezone, "UTC");
	load_ok(f, "");
	assert_defaults(&f->cfg);
	load_ok(f, "\n\n# only comments\n   # indented comment\n\t\n");
	assert_defaults(&f->cfg);
}

static void test_every_log_level(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *text; enum log_level level; } levels[] = {
		{ "[workshopbot]\nlog_level = error\n", LOG_ERR },
		{ "[workshopbot]\nlog_level = warn\n", LOG_WARN },
		{ "[workshopbot]\nlog_level = info\n", LOG_INFO },
		{ "[workshopbot]\nlog_level = \"debug\"\n", LOG_DEBUG },
	};

	for (size_t i = 0; i < ARRAY_LEN(levels); i++) {
		load_ok(f, levels[i].text);
		assert_int_equal(f->cfg.log_level, levels[i].level);
	}
}

static void test_quotes(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *line; const char *value; } cases[] = {
		{ "template = \"  spaced # not a comment  \"", "  spaced # not a comment  " },
		{ "template = \"say \\\"hi\\\" \\\\ there\"", "say \"hi\" \\ there" },
		{ "template = \"quoted\" # a comment", "quoted" },
		{ "template = \"quoted\"\t", "quoted" },
		{ "template = \"Zoë's café\"", "Zoë's café" },
		{ "template = \"a\\\\\"", "a\\" },
		{ "template = a\"b\"", "a\"b\"" },
		{ "template = \"#\"", "#" },
	};
	char text[256];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof text, "[workshopbot]\n%s\n", cases[i].line);
		load_ok(f, text);
		if (strcmp(f->cfg.default_template, cases[i].value) != 0)
			fail_msg("%s: got '%s', expected '%s'", cases[i].line,
				 f->cfg.default_template, cases[i].value);
	}
	load_ok(f, "[console]\nuser = \"\"\n");
	assert_string_equal(f->cfg.console_user, "");
}

static void test_comments(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *line; const char *value; } cases[] = {
		{ "template = a#b", "a#b" },
		{ "template = a # b", "a" },
		{ "template = a\t# b", "a" },
		{ "template = a b  c   # d # e", "a b  c" },
		{ "template = issue#7 and #8", "issue#7 and" },  /* " #8" is a comment */
		{ "template = \"issue#7 and #8\"", "issue#7 and #8" },
		{ "template =#x", "#x" },
	};
	char text[256];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(text, sizeof text, "#top\n[workshopbot] # main\n  # indented\n%s\n",
			 cases[i].line);
		load_ok(f, text);
		if (strcmp(f->cfg.default_template, cases[i].value) != 0)
			fail_msg("%s: got '%s', expected '%s'", cases[i].line,
				 f->cfg.default_template, cases[i].value);
	}
	/* A comment right after '=' leaves the value empty: fine for [console] user. */
	load_ok(f, "[console]\nuser = # nobody\n");
	assert_string_equal(f->cfg.console_user, "");
}

static void test_crlf_and_bom(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "\xEF\xBB\xBF[workshopbot]\r\ndatabase = x.db\r\n# c\r\n[console]\r\nuser = u\r\n");
	assert_string_equal(f->cfg.database, "x.db");
	assert_string_equal(f->cfg.console_user, "u");
	load_ok(f, "[console]\nuser = no-newline-at-end");
	assert_string_equal(f->cfg.console_user, "no-newline-at-end");
}

static void test_sections_repeat(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "[workshopbot]\ndatabase = a.db\n[ console ]\nuser = u\n[workshopbot]\n"
		   "template = t\n");
	assert_string_equal(f->cfg.database, "a.db");
	assert_string_equal(f->cfg.default_template, "t");
	assert_string_equal(f->cfg.console_user, "u");
}

static void test_admins_list(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "[workshopbot]\nadmins = alice, bob ,, U123 ,\t@carol:example.org ,\n");
	assert_int_equal(f->cfg.n_admins, 4);
	assert_string_equal(f->cfg.admins[0], "alice");
	assert_string_equal(f->cfg.admins[1], "bob");
	assert_string_equal(f->cfg.admins[2], "U123");
	assert_string_equal(f->cfg.admins[3], "@carol:example.org");

	load_ok(f, "[workshopbot]\nadmins = solo\n");
	assert_int_equal(f->cfg.n_admins, 1);
	assert_string_equal(f->cfg.admins[0], "solo");

	load_ok(f, "[workshopbot]\nadmins = \"dave , eve\"  # quoted\n");
	assert_int_equal(f->cfg.n_admins, 2);
	assert_string_equal(f->cfg.admins[0], "dave");
	assert_string_equal(f->cfg.admins[1], "eve");

	load_ok(f, "[workshopbot]\nadmins = Alice Smith, bob\n");
	assert_int_equal(f->cfg.n_admins, 2);
	assert_string_equal(f->cfg.admins[0], "Alice Smith");

	load_ok(f, "[workshopbot]\nadmins =\n");
	assert_int_equal(f->cfg.n_admins, 0);
	assert_null(f->cfg.admins);

	load_ok(f, "[workshopbot]\nadmins = , ,\t,\n");
	assert_int_equal(f->cfg.n_admins, 0);
	assert_null(f->cfg.admins);
}

static void test_is_admin(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_load(NULL, &f->cfg, f->err, sizeof f->err), 0);
	assert_false(config_is_admin(&f->cfg, "alice"));
	assert_false(config_is_admin(&f->cfg, ""));

	load_ok(f, "[workshopbot]\nadmins = alice, U012AB3CD, @carol:example.org\n");
	assert_true(config_is_admin(&f->cfg, "alice"));
	assert_true(config_is_admin(&f->cfg, "U012AB3CD"));
	assert_true(config_is_admin(&f->cfg, "@carol:example.org"));
	assert_false(config_is_admin(&f->cfg, "Alice"));
	assert_false(config_is_admin(&f->cfg, "alic"));
	assert_false(config_is_admin(&f->cfg, "alicee"));
	assert_false(config_is_admin(&f->cfg, "alice "));
	assert_false(config_is_admin(&f->cfg, "u012ab3cd"));
	assert_false(config_is_admin(&f->cfg, ""));
	assert_false(config_is_admin(&f->cfg, NULL));
	assert_false(config_is_admin(NULL, "alice"));
}

static void test_limits_accepted(void **state)
{
	struct fixture *f = *state;
	size_t len = 4096;
	char *text = malloc(len + 2);

	assert_non_null(text);
	/* A line of exactly 4096 bytes is fine. */
	memset(text, ' ', len);
	memcpy(text, "# long", 6);
	text[len] = '\n';
	if (load_len(f, text, len + 1) != 0) {
		free(text);
		fail_msg("4096-byte line rejected: %s", f->err);
	}
	free(text);

	/* A file of exactly 1 MiB is fine. */
	len = 1024 * 1024;
	text = malloc(len);
	assert_non_null(text);
	for (size_t i = 0; i < len; i += 64) {
		memset(text + i, ' ', 64);
		text[i] = '#';
		text[i + 63] = '\n';
	}
	if (load_len(f, text, len) != 0) {
		free(text);
		fail_msg("1 MiB file rejected: %s", f->err);
	}
	free(text);
	assert_defaults(&f->cfg);
}

/* [followup]: times of day, a time range or none, day names and ranges, dates. */
static void test_followup_values(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "[followup]\nremind_by = direct\n");
	assert_true(f->cfg.followup_remind_direct);
	load_ok(f, "[followup]\nremind_by = channel\n");
	assert_false(f->cfg.followup_remind_direct);
	load_ok(f, "[followup]\nremind_days_before = 0\ndue_morning = 7:30\n"
		   "overdue_every_days = 7\noverdue_max = 0\nquiet_hours = 22:00 - 06:30\n"
		   "nudge_at = 16:45\n"
		   "working_days = sun-thu\nclosures = 2026-12-24, 2026-12-25 ,, 2028-02-29\n");
	assert_int_equal(f->cfg.followup_remind_days_before, 0);
	assert_int_equal(f->cfg.followup_due_morning, 7 * 60 + 30);
	assert_int_equal(f->cfg.followup_overdue_every_days, 7);
	assert_int_equal(f->cfg.followup_overdue_max, 0);
	assert_int_equal(f->cfg.followup_nudge_at, 16 * 60 + 45);
	assert_int_equal(f->cfg.followup_quiet[0], 22 * 60);
	assert_int_equal(f->cfg.followup_quiet[1], 6 * 60 + 30);
	/* sun-thu wraps: Sunday (bit 6), Monday to Thursday (bits 0-3) */
	assert_int_equal(f->cfg.followup_working_days, 0x4f);
	assert_int_equal(f->cfg.n_followup_closures, 3);
	assert_string_equal(f->cfg.followup_closures[0], "2026-12-24");
	assert_string_equal(f->cfg.followup_closures[1], "2026-12-25");
	assert_string_equal(f->cfg.followup_closures[2], "2028-02-29");

	load_ok(f, "[followup]\nquiet_hours = none\nworking_days = Mon, wednesday,FRI\n"
		   "due_morning = 23:59\nnudge_at = NONE\n");
	assert_int_equal(f->cfg.followup_nudge_at, -1);
	assert_int_equal(f->cfg.followup_quiet[0], 0);
	assert_int_equal(f->cfg.followup_quiet[1], 0);
	assert_int_equal(f->cfg.followup_working_days, 0x15);
	assert_int_equal(f->cfg.followup_due_morning, 23 * 60 + 59);

	load_ok(f, "[followup]\nworking_days = sat-sun, mon\nquiet_hours = 00:00-23:59\n");
	assert_int_equal(f->cfg.followup_working_days, 0x61);
	assert_int_equal(f->cfg.followup_quiet[1], 23 * 60 + 59);
}

/* ---- errors ---- */

static const struct error_case error_cases[] = {
	{ "unknown section", "[workshopbot]\ndatabase = x.db\n[colours]\n", 0,
	  BOT_ERR_CONFIG, 3,
	  "unknown section '[colours]'; expected one of [workshopbot], [console]", "[colours]" },
	{ "empty section name", "[]\n", 0, BOT_ERR_CONFIG, 1,
	  "unknown section '[]'", "[]" },
	{ "missing ']'", "[workshopbot\n", 0, BOT_ERR_CONFIG, 1,
	  "missing ']'", "[workshopbot" },
	{ "text after ']'", "\n[console] user = x\n", 0, BOT_ERR_CONFIG, 2,
	  "unexpected text after ']'", "[console] user = x" },
	{ "comment after ']' without white space", "[console]# x\n", 0, BOT_ERR_CONFIG, 1,
	  "unexpected text after ']'", "[console]# x" },
	{ "unknown key", "# c\n\n[workshopbot]\n\ndatabase = a\n\ncolour = blue\n", 0,
	  BOT_ERR_CONFIG, 7,
	  "unknown key 'colour' in [workshopbot]; expected one of database, templates, "
	  "template, timezone, log_level, admins", "colour = <hidden>" },
	{ "key of another section", "[console]\nuser = bob\nadmins = x\n", 0,
	  BOT_ERR_CONFIG, 3,
	  "unknown key 'admins' in [console]; expected user ('admins' belongs in "
	  "[workshopbot])", "admins = <hidden>" },
	{ "keys are case-sensitive", "[workshopbot]\nDatabase = x\n", 0, BOT_ERR_CONFIG, 2,
	  "unknown key 'Database' in [workshopbot]", "Database = <hidden>" },
	{ "known key outside any section", "# top\ndatabase = x.db\n", 0, BOT_ERR_CONFIG, 2,
	  "key 'database' is outside any section; expected a [workshopbot] header",
	  "database = <hidden>" },
	{ "unknown key outside any section", "colour = blue\n", 0, BOT_ERR_CONFIG, 1,
	  "key 'colour' is outside any section", "colour = <hidden>" },
	{ "missing '=' after key", "[workshopbot]\ndatabase x.db\n", 0, BOT_ERR_CONFIG, 2,
	  "missing '=' after key 'database'", "database <hidden>" },
	{ "bare key", "[workshopbot]\n\n  database  \n", 0, BOT_ERR_CONFIG, 3,
	  "missing '=' after key 'database'", "database" },
	{ "a line of one word that is no key", "[slack]\nxoxb-1-2\n", 0, BOT_ERR_CONFIG, 2,
	  "a line of one word, not shown (it may be a token)", " <hidden>" },
	{ "key with a space", "[workshopbot]\nlog level = info\n", 0, BOT_ERR_CONFIG, 2,
	  "missing '=' after key 'log'", "log <hidden>" },
	{ "no key name", "[workshopbot]\n= x\n", 0, BOT_ERR_CONFIG, 2,
	  "expected a key name", "= <hidden>" },
	{ "duplicate key", "[workshopbot]\ndatabase = a\n[console]\nuser = u\n[workshopbot]\n"
	  "database = b\n", 0, BOT_ERR_CONFIG, 6,
	  "duplicate key 'database' in [workshopbot] (first set on line 2)", "database = b" },
	{ "duplicate empty list", "[workshopbot]\nadmins =\nadmins = a\n", 0,
	  BOT_ERR_CONFIG, 3, "duplicate key 'admins'", "admins = a" },
	{ "bad log_level", "[workshopbot]\nlog_level = loud\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value 'loud' for log_level; expected one of error, warn, info, debug",
	  "log_level = loud" },
	{ "log_level is case-sensitive", "[workshopbot]\nlog_level = INFO\n", 0,
	  BOT_ERR_CONFIG, 2, "bad value 'INFO' for log_level", "log_level = INFO" },
	{ "empty log_level", "[workshopbot]\nlog_level =\n", 0, BOT_ERR_CONFIG, 2,
	  "empty value for log_level; expected one of error, warn, info, debug",
	  "log_level =" },
	{ "unknown time zone", "[workshopbot]\ntimezone = Mars/Olympus_Mons\n", 0,
	  BOT_ERR_CONFIG, 2,
	  "bad value 'Mars/Olympus_Mons' for timezone; expected an IANA time zone",
	  "timezone = Mars/Olympus_Mons" },
	{ "time zone escaping zoneinfo", "[workshopbot]\ntimezone = ../../etc/passwd\n", 0,
	  BOT_ERR_CONFIG, 2, "bad value '../../etc/passwd' for timezone",
	  "timezone = ../../etc/passwd" },
	{ "empty path", "[workshopbot]\ndatabase =   # none\n", 0, BOT_ERR_CONFIG, 2,
	  "empty value for database; expected a file path", "database =   # none" },
	{ "empty quoted path", "[workshopbot]\ntemplates = \"\"\n", 0, BOT_ERR_CONFIG, 2,
	  "empty value for templates; expected a directory path", "templates = \"\"" },
	{ "template id too long", "[workshopbot]\ntemplate = "
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0,
	  BOT_ERR_CONFIG, 2, "value for template is too long (65 bytes; expected at most 64)",
	  "template = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "unterminated quote", "[workshopbot]\ntemplate = \"abc\n", 0, BOT_ERR_CONFIG, 2,
	  "unterminated quote", "template = \"abc" },
	{ "unterminated quote ending in an escape", "[workshopbot]\ntemplate = \"abc\\\"\n",
	  0, BOT_ERR_CONFIG, 2, "unterminated quote", "template = \"abc\\\"" },
	{ "unterminated quote ending in a backslash", "[workshopbot]\ntemplate = \"abc\\", 0,
	  BOT_ERR_CONFIG, 2, "unterminated quote", "template = \"abc\\" },
	{ "unknown escape", "[workshopbot]\ntemplate = \"a\\nb\"\n", 0, BOT_ERR_CONFIG, 2,
	  "unknown escape '\\n'", "template = \"a\\nb\"" },
	{ "text after the closing quote", "[workshopbot]\ntemplate = \"a\" b\n", 0,
	  BOT_ERR_CONFIG, 2, "unexpected text after the closing quote", "template = \"a\" b" },
	{ "comment glued to the closing quote", "[workshopbot]\ntemplate = \"a\"# b\n", 0,
	  BOT_ERR_CONFIG, 2, "unexpected text after the closing quote", "template = \"a\"# b" },
	{ "NUL byte", "[workshopbot]\ndata\0base = x\n",
	  sizeof "[workshopbot]\ndata\0base = x\n" - 1, BOT_ERR_CONFIG, 2,
	  "NUL byte at column 5", "data\\x00base = <hidden>" },
	{ "control character", "[workshopbot]\ntemplate = a\x1b[31mb\n", 0, BOT_ERR_CONFIG, 2,
	  "control character 0x1b at column 13", "template = <hidden>" },
	{ "lone carriage return", "[workshopbot]\ntemplate = a\rb\n", 0, BOT_ERR_CONFIG, 2,
	  "control character 0x0d", "template = <hidden>" },
	{ "invalid UTF-8", "[workshopbot]\n# fine\ntemplate = caf\xe9\n", 0, BOT_ERR_CONFIG, 3,
	  "invalid UTF-8 at column 15", "template = <hidden>" },
	{ "overlong UTF-8", "[workshopbot]\ntemplate = \xc0\xaf\n", 0, BOT_ERR_CONFIG, 2,
	  "invalid UTF-8 at column 12", "template = <hidden>" },
	{ "UTF-16 surrogate", "[console]\nuser = \xed\xa0\x80\n", 0, BOT_ERR_CONFIG, 2,
	  "invalid UTF-8 at column 8", "user = <hidden>" },
	{ "truncated UTF-8 in a comment", "# \xe2\x82\n", 0, BOT_ERR_CONFIG, 1,
	  "invalid UTF-8 at column 3", "# <hidden>" },
	{ "due_morning past midnight", "[followup]\ndue_morning = 24:00\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value '24:00' for due_morning; expected a local time such as 09:00",
	  "due_morning = 24:00" },
	{ "nudge_at neither a time nor none", "[followup]\nnudge_at = never\n", 0, BOT_ERR_CONFIG,
	  2, "bad value 'never' for nudge_at; expected a local time such as 15:00, or none",
	  "nudge_at = never" },
	{ "due_morning without minutes", "[followup]\ndue_morning = 9\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value '9' for due_morning", "due_morning = 9" },
	{ "due_morning with 60 minutes", "[followup]\ndue_morning = 09:60\n", 0, BOT_ERR_CONFIG,
	  2, "bad value '09:60' for due_morning", "due_morning = 09:60" },
	{ "empty due_morning", "[followup]\ndue_morning =\n", 0, BOT_ERR_CONFIG, 2,
	  "empty value for due_morning", "due_morning =" },
	{ "quiet_hours in hours only", "[followup]\nquiet_hours = 20-8\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value '20-8' for quiet_hours; expected a local time range such as 20:00-08:00, "
	  "or none", "quiet_hours = 20-8" },
	{ "quiet_hours with one end", "[followup]\nquiet_hours = 20:00\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value '20:00' for quiet_hours", "quiet_hours = 20:00" },
	{ "working_days not a day", "[followup]\nworking_days = weekdays\n", 0, BOT_ERR_CONFIG,
	  2, "bad value 'weekdays' for working_days; expected days or day ranges",
	  "working_days = weekdays" },
	{ "working_days open range", "[followup]\nworking_days = mon-\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value 'mon-' for working_days", "working_days = mon-" },
	{ "working_days empty item", "[followup]\nworking_days = mon,,fri\n", 0, BOT_ERR_CONFIG,
	  2, "bad value 'mon,,fri' for working_days", "working_days = mon,,fri" },
	{ "closure that is not a date", "[followup]\nclosures = 2026-12-24, 12/25\n", 0,
	  BOT_ERR_CONFIG, 2, "bad date '12/25' in closures; expected comma-separated dates",
	  "closures = 2026-12-24, 12/25" },
	{ "closure on a day that does not exist", "[followup]\nclosures = 2026-02-29\n", 0,
	  BOT_ERR_CONFIG, 2, "bad date '2026-02-29' in closures", "closures = 2026-02-29" },
	{ "overdue_every_days of 0", "[followup]\noverdue_every_days = 0\n", 0, BOT_ERR_CONFIG,
	  2, "bad value '0' for overdue_every_days; expected a number of days from 1 to 365",
	  "overdue_every_days = 0" },
	{ "remind_by neither channel nor direct", "[followup]\nremind_by = dm\n", 0,
	  BOT_ERR_CONFIG, 2, "bad value 'dm' for remind_by; expected channel", "remind_by = dm" },
	{ "overdue_max too big", "[followup]\noverdue_max = 101\n", 0, BOT_ERR_CONFIG, 2,
	  "bad value '101' for overdue_max", "overdue_max = 101" },
	{ "error after a good line", "[workshopbot]\ndatabase = set.db\nlog_level = x\n", 0,
	  BOT_ERR_CONFIG, 3, "bad value 'x' for log_level", "log_level = x" },
};

static void test_error_case(void **state)
{
	struct fixture *f = *state;
	const struct error_case *ec = f->ec;
	size_t len = ec->len ? ec->len : strlen(ec->text);
	int rc = load_len(f, ec->text, len);

	if (rc != ec->rc)
		fail_msg("%s: rc %d, expected %d; message: %s", ec->description, rc, ec->rc,
			 f->err);
	assert_error(f, ec->description, ec->line, ec->fragment, ec->quote);
}

static void test_error_line_too_long(void **state)
{
	struct fixture *f = *state;
	/* Line 2: a 4096-byte comment (fine). Line 3: a 4097-byte comment. */
	size_t len = 10 + 4097 + 4098;
	char *text = malloc(len);
	int rc;

	assert_non_null(text);
	memcpy(text, "[console]\n", 10);
	memset(text + 10, 'x', 4096);
	text[10] = '#';
	text[10 + 4096] = '\n';
	memset(text + 10 + 4097, 'z', 4097);
	text[10 + 4097] = '#';
	text[len - 1] = '\n';
	rc = load_len(f, text, len);
	free(text);
	assert_int_equal(rc, BOT_ERR_CONFIG);
	assert_error(f, "line too long", 3, "line is longer than 4096 bytes",
		     "#zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...");
}

static void test_error_long_line_quote_is_cut(void **state)
{
	struct fixture *f = *state;
	char text[512];
	const char *err;

	snprintf(text, sizeof text, "[%0200d]\n", 7);
	assert_int_equal(load(f, text), BOT_ERR_CONFIG);
	err = strstr(f->err, ">>> '");
	assert_non_null(err);
	/* 80 bytes at most between the quotes, the last three "...". */
	assert_int_equal(strlen(err), 5 + 80 + 1);
	assert_memory_equal(err + 5 + 77, "...'", 4);
}

static void test_error_file_too_big(void **state)
{
	struct fixture *f = *state;
	size_t len = 1024 * 1024 + 1;
	char *text = malloc(len);
	int rc;

	assert_non_null(text);
	memset(text, '\n', len);
	text[0] = '#';
	rc = load_len(f, text, len);
	free(text);
	assert_int_equal(rc, BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, f->path));
	assert_non_null(strstr(f->err, "larger than 1 MiB"));
	assert_defaults(&f->cfg);
}

static void test_error_not_found(void **state)
{
	struct fixture *f = *state;
	const char *path = "/tmp/test_config.does-not-exist/workshopbot.conf";

	assert_int_equal(config_load(path, &f->cfg, f->err, sizeof f->err), BOT_ERR_IO);
	assert_non_null(strstr(f->err, path));
	assert_non_null(strstr(f->err, "cannot open"));
	assert_non_null(strstr(f->err, "No such file or directory"));
	assert_defaults(&f->cfg);
}

static void test_error_unreadable(void **state)
{
	struct fixture *f = *state;

	/* A directory opens but cannot be read as a file. */
	strcpy(f->dir, "/tmp/test_config.dir.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(config_load(f->dir, &f->cfg, f->err, sizeof f->err), BOT_ERR_IO);
	assert_non_null(strstr(f->err, f->dir));
	assert_non_null(strstr(f->err, "Is a directory"));

	/* A file without read permission (root reads it anyway, so only check as non-root). */
	if (geteuid() != 0) {
		config_free(&f->cfg);
		write_temp(f, "[console]\nuser = x\n", 19);
		assert_int_equal(chmod(f->path, 0), 0);
		assert_int_equal(config_load(f->path, &f->cfg, f->err, sizeof f->err),
				 BOT_ERR_IO);
		assert_non_null(strstr(f->err, "Permission denied"));
	}
}

static void test_error_buffers(void **state)
{
	struct fixture *f = *state;
	char small[16];

	write_temp(f, "[nope]\n", 7);
	/* No buffer at all: just the code. */
	assert_int_equal(config_load(f->path, &f->cfg, NULL, 0), BOT_ERR_CONFIG);
	config_free(&f->cfg);
	/* A small buffer: cut, still terminated. */
	memset(small, 'x', sizeof small);
	assert_int_equal(config_load(f->path, &f->cfg, small, sizeof small), BOT_ERR_CONFIG);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, f->path, sizeof small - 1);
}

/* A file that fails on line 3 has line 2's value in cfg; config_free() (in the teardown,
 * under ASan) must release it and the defaults alike. */
static void test_half_loaded_free(void **state)
{
	struct fixture *f = *state;
	struct config zero;

	assert_int_equal(load(f, "[workshopbot]\ndatabase = set.db\nadmins = a, b\nx = 1\n"),
			 BOT_ERR_CONFIG);
	assert_string_equal(f->cfg.database, "set.db");
	assert_int_equal(f->cfg.n_admins, 2);
	config_free(&f->cfg);
	assert_null(f->cfg.database);
	assert_null(f->cfg.admins);
	assert_int_equal(f->cfg.n_admins, 0);
	config_free(&f->cfg);  /* twice is fine */

	memset(&zero, 0, sizeof zero);
	config_free(&zero);
	config_free(NULL);
	assert_int_equal(load(f, "[workshopbot]\nadmins = a, b\n"), 0);
}

/* ---- the example file ---- */

static void test_example_loads_as_defaults(void **state)
{
	struct fixture *f = *state;
	struct config defaults;
	int rc;

	rc = config_load(EXAMPLE, &f->cfg, f->err, sizeof f->err);
	if (rc != 0)
		fail_msg("%s: %s", EXAMPLE, f->err);
	assert_int_equal(config_load(NULL, &defaults, f->err, sizeof f->err), 0);
	assert_config_equal(&f->cfg, &defaults);
	config_free(&defaults);
}

/* Uncommenting every "#key = value" line of the example must load, set every key once
 * (a missing key changes the count, a repeated one is an error) and change nothing:
 * so each line shows the real default. */
static void test_example_uncommented_is_defaults(void **state)
{
	struct fixture *f = *state;
	struct config defaults;
	size_t len, out = 0, keys_seen = 0;
	char *text = slurp(EXAMPLE, &len);
	char *copy = malloc(len + 1);
	int rc;

	assert_non_null(copy);
	for (size_t i = 0; i < len; ) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t line_len = nl ? (size_t)(nl - (text + i)) + 1 : len - i;

		if (text[i] == '#' && i + 1 < len && text[i + 1] >= 'a' && text[i + 1] <= 'z') {
			memcpy(copy + out, text + i + 1, line_len - 1);
			out += line_len - 1;
			keys_seen++;
		} else {
			memcpy(copy + out, text + i, line_len);
			out += line_len;
		}
		i += line_len;
	}
	free(text);
	rc = load_len(f, copy, out);
	free(copy);
	if (rc != 0)
		fail_msg("uncommented example: %s", f->err);
	assert_int_equal(keys_seen, N_KEYS);
	assert_int_equal(config_load(NULL, &defaults, f->err, sizeof f->err), 0);
	assert_config_equal(&f->cfg, &defaults);
	config_free(&defaults);
}

/* ---- secrets, the environment and the Slack keys ---- */

#define APP_TOKEN "xapp-1-A111-secretvalue"
#define BOT_TOKEN "xoxb-111-222-secretvalue"

/* No error message ever shows a token: not for a duplicate secret key, not for a
 * misspelt key, not for a line with a bad byte. */
static void test_secrets_never_quoted(void **state)
{
	static const char *const texts[] = {
		"[slack]\nbot_token = " BOT_TOKEN "\nbot_token = " BOT_TOKEN "\n",
		"[slack]\nbot_tokn = " BOT_TOKEN "\n",
		"[slack]\napp_token = " APP_TOKEN "\x01\n",
		"app_token = " APP_TOKEN "\n",
		"[slack]\napp_token \"" APP_TOKEN "\"\n",
		/* a token pasted on a line of its own, in a section, outside one, with a bad byte */
		"[slack]\n" BOT_TOKEN "\n",
		BOT_TOKEN "\n",
		"[slack]\n  " APP_TOKEN "\x01\n",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		assert_int_equal(load(f, texts[i]), BOT_ERR_CONFIG);
		if (strstr(f->err, "secretvalue"))
			fail_msg("case %zu shows the token: %s", i, f->err);
	}
	/* A missing '=' is the one form whose value cannot be told from a key: it is not
	 * quoted past the key either. */
	assert_null(strstr(f->err, "secretvalue"));
}

static void test_environment_overrides(void **state)
{
	struct fixture *f = *state;

	setenv("SLACK_APP_TOKEN", APP_TOKEN, 1);
	setenv("SLACK_BOT_TOKEN", BOT_TOKEN, 1);
	setenv("SLACK_API_URL", "http://127.0.0.1:9/api/", 1);
	load_ok(f, "[slack]\nbot_token = xoxb-from-file\napi_url = https://x/\n");
	unsetenv("SLACK_APP_TOKEN");
	unsetenv("SLACK_BOT_TOKEN");
	unsetenv("SLACK_API_URL");
	assert_string_equal(f->cfg.slack_app_token, APP_TOKEN);
	assert_string_equal(f->cfg.slack_bot_token, BOT_TOKEN);
	assert_string_equal(f->cfg.slack_api_url, "http://127.0.0.1:9/api/");
	assert_true(config_slack_enabled(&f->cfg));

	/* An empty variable does not override. */
	setenv("SLACK_BOT_TOKEN", "", 1);
	load_ok(f, "[slack]\nbot_token = xoxb-from-file\n");
	unsetenv("SLACK_BOT_TOKEN");
	assert_string_equal(f->cfg.slack_bot_token, "xoxb-from-file");
	assert_false(config_slack_enabled(&f->cfg));
}

static void test_power_level_range(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "[matrix]\npower_level = 100\n");
	assert_int_equal(f->cfg.matrix_power_level, 100);
	assert_int_equal(load(f, "[matrix]\npower_level = 101\n"), BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, "expected a power level from 0 to 100"));
	assert_int_equal(load(f, "[matrix]\npower_level = 5x\n"), BOT_ERR_CONFIG);
}

static void test_ping_timeout_range(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "");
	assert_int_equal(f->cfg.slack_ping_timeout, 30);
	load_ok(f, "[slack]\nping_timeout = 2\n");
	assert_int_equal(f->cfg.slack_ping_timeout, 2);
	assert_int_equal(load(f, "[slack]\nping_timeout = 1\n"), BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, "expected a number of seconds from 2 to 3600"));
}

static void test_sync_timeout_range(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "");
	assert_int_equal(f->cfg.matrix_sync_timeout, 30);
	load_ok(f, "[matrix]\nsync_timeout = 2\n");
	assert_int_equal(f->cfg.matrix_sync_timeout, 2);
	assert_int_equal(load(f, "[matrix]\nsync_timeout = 301\n"), BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, "expected a number of seconds from 2 to 300"));
}

static void test_check_slack(void **state)
{
	static const struct {
		const char *text;
		const char *error;     /* NULL: valid */
	} cases[] = {
		{ "[slack]\n", NULL },
		{ "[slack]\napp_token = " APP_TOKEN "\nbot_token = " BOT_TOKEN "\n", NULL },
		{ "[slack]\napp_token = " APP_TOKEN "\n", "needs both tokens" },
		{ "[slack]\nbot_token = " BOT_TOKEN "\n", "needs both tokens" },
		{ "[slack]\napp_token = " BOT_TOKEN "\nbot_token = " BOT_TOKEN "\n",
		  "not an app-level token" },
		{ "[slack]\napp_token = " APP_TOKEN "\nbot_token = " APP_TOKEN "\n",
		  "not a bot token" },
		{ "[slack]\napi_url = ftp://x/\n", "not an http(s) URL" },
		{ "[matrix]\nhomeserver = https://m.x\n", "needs password or access_token" },
		{ "[matrix]\nhomeserver = https://m.x\npassword = secretvalue\n", "needs user" },
		{ "[matrix]\nhomeserver = m.x\naccess_token = t\n", "not an http(s) URL" },
		{ "[matrix]\nhomeserver = http://127.0.0.1:8\naccess_token = secretvalue\n", NULL },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc;
		load_ok(f, cases[i].text);
		rc = config_check(&f->cfg, f->err, sizeof f->err);
		if (!cases[i].error) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, f->err);
			continue;
		}
		assert_int_equal(rc, BOT_ERR_CONFIG);
		if (!strstr(f->err, cases[i].error) || strstr(f->err, "secretvalue"))
			fail_msg("case %zu: %s", i, f->err);
	}
}

/* ---- config_check ---- */

static void test_check_good(void **state)
{
	struct fixture *f = *state;
	char text[256];

	strcpy(f->dir, "/tmp/test_config.dir.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(text, sizeof text, "[workshopbot]\ntemplates = %s\ntimezone = Europe/Berlin\n",
		 f->dir);
	load_ok(f, text);
	if (config_check(&f->cfg, f->err, sizeof f->err) != 0)
		fail_msg("config_check: %s", f->err);
}

static void test_check_templates_missing(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "[workshopbot]\ntemplates = /tmp/test_config.no-such-dir/prompts\n");
	assert_int_equal(config_check(&f->cfg, f->err, sizeof f->err), BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, "templates '/tmp/test_config.no-such-dir/prompts'"));
	assert_non_null(strstr(f->err, "No such file or directory"));
}

static void test_check_templates_not_dir(void **state)
{
	struct fixture *f = *state;

	/* The templates "directory" is a regular file. */
	write_temp(f, "", 0);
	assert_int_equal(config_load(NULL, &f->cfg, f->err, sizeof f->err), 0);
	free(f->cfg.templates_dir);
	f->cfg.templates_dir = strdup(f->path);
	assert_non_null(f->cfg.templates_dir);
	assert_int_equal(config_check(&f->cfg, f->err, sizeof f->err), BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, "is not a directory"));
	assert_non_null(strstr(f->err, f->path));
}

static void test_check_timezone(void **state)
{
	struct fixture *f = *state;

	strcpy(f->dir, "/tmp/test_config.dir.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(config_load(NULL, &f->cfg, f->err, sizeof f->err), 0);
	free(f->cfg.templates_dir);
	f->cfg.templates_dir = strdup(f->dir);
	assert_non_null(f->cfg.templates_dir);
	free(f->cfg.timezone);
	f->cfg.timezone = strdup("Nowhere/Atlantis");
	assert_non_null(f->cfg.timezone);
	assert_int_equal(config_check(&f->cfg, f->err, sizeof f->err), BOT_ERR_CONFIG);
	assert_non_null(strstr(f->err, "timezone 'Nowhere/Atlantis' is not a known time zone"));
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		CASE(test_defaults),
		CASE(test_full_file),
		CASE(test_partial_file_keeps_defaults),
		CASE(test_every_log_level),
		CASE(test_quotes),
		CASE(test_comments),
		CASE(test_crlf_and_bom),
		CASE(test_sections_repeat),
		CASE(test_admins_list),
		CASE(test_is_admin),
		CASE(test_limits_accepted),
		CASE(test_followup_values),
		CASE(test_error_line_too_long),
		CASE(test_error_long_line_quote_is_cut),
		CASE(test_error_file_too_big),
		CASE(test_error_not_found),
		CASE(test_error_unreadable),
		CASE(test_error_buffers),
		CASE(test_half_loaded_free),
		CASE(test_example_loads_as_defaults),
		CASE(test_example_uncommented_is_defaults),
		CASE(test_secrets_never_quoted),
		CASE(test_environment_overrides),
		CASE(test_check_slack),
		CASE(test_power_level_range),
		CASE(test_ping_timeout_range),
		CASE(test_sync_timeout_range),
		CASE(test_check_good),
		CASE(test_check_templates_missing),
		CASE(test_check_templates_not_dir),
		CASE(test_check_timezone),
	};
	/* One cmocka test per error case, named by its description. */
	static struct CMUnitTest tests[ARRAY_LEN(fixed) + ARRAY_LEN(error_cases)];

	memcpy(tests, fixed, sizeof fixed);
	for (size_t i = 0; i < ARRAY_LEN(error_cases); i++) {
		struct CMUnitTest *t = &tests[ARRAY_LEN(fixed) + i];

		t->name = error_cases[i].description;
		t->test_func = test_error_case;
		t->setup_func = setup;
		t->teardown_func = teardown;
		t->initial_state = (void *)&error_cases[i];
	}
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
