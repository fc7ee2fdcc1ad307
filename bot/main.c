/* main.c - subcommands: console, run, check-config, check-template, templates, sessions,
 * jobs, export. No logic of its own: each subcommand wires the modules together. */
#include <malloc.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/bot.h"
#include "bot/clock.h"
#include "bot/config.h"
#include "bot/console.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/matrix.h"
#include "bot/slack.h"
#include "bot/store.h"
#include "bot/store_jobs.h"
#include "bot/store_sessions.h"
#include "handlers/flow.h"
#include "handlers/reminders.h"
#include "handlers/report.h"
#include "prompts/template.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: workshopbot [--config FILE] [--db FILE] COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  console                         run a workshop in this terminal (the default)\n"
	"  run                             connect to the chats the config enables (Slack, Matrix)\n"
	"  sessions                        list the sessions in the database\n"
	"  jobs [--session ID]             list the pending follow-up jobs (reminders), soonest\n"
	"                                  first, in the session's local time and in UTC\n"
	"  export --session ID [--format md|csv|json]\n"
	"                                  write a session's summary to stdout (md by default)\n"
	"  templates                       list the installed workshop templates\n"
	"  check-template FILE...          validate template files\n"
	"  check-config                    validate the config file\n"
	"  help                            this text\n"
	"\n"
	"WORKSHOPBOT_NOW=2026-12-01T09:00:00Z fixes the clock (tests, demos).\n";

struct options {
	const char *config_path;
	const char *db_path;
	const char *command;
	int argc;          /* the command's own arguments */
	char **argv;
};

struct app {
	struct config cfg;
	struct template_set templates;
	struct store *store;
};

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "workshopbot: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return EXIT_USAGE;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int i = 1;

	memset(o, 0, sizeof *o);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "--config") == 0 || strcmp(argv[i], "--db") == 0) && i + 1 < argc) {
			if (argv[i][2] == 'c')
				o->config_path = argv[++i];
			else
				o->db_path = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			o->command = "help";
			return 0;
		} else {
			return usage_error("unknown or incomplete option '%s'", argv[i]);
		}
	}
	o->command = i < argc ? argv[i++] : "console";
	o->argc = argc - i;
	o->argv = argv + i;
	return 0;
}

/* Loads the config (and applies --db), sets the log level and the clock. */
static int load_config(const struct options *o, struct app *a)
{
	char err[BOT_ERRMSG_MAX];
	char *db;

	if (config_load(o->config_path, &a->cfg, err, sizeof err) != 0 ||
	    config_check(&a->cfg, err, sizeof err) != 0 || clock_init(err, sizeof err) != 0) {
		fprintf(stderr, "workshopbot: %s\n", err);
		return 1;
	}
	log_set_level(a->cfg.log_level);
	log_add_secret(a->cfg.slack_app_token);
	log_add_secret(a->cfg.slack_bot_token);
	log_add_secret(a->cfg.matrix_password);
	log_add_secret(a->cfg.matrix_access_token);
	if (o->db_path) {
		db = strdup(o->db_path);
		if (!db)
			return 1;
		free(a->cfg.database);
		a->cfg.database = db;
	}
	return 0;
}

static int load_templates(struct app *a)
{
	char err[BOT_ERRMSG_MAX];

	if (template_set_load(a->cfg.templates_dir, &a->templates, err, sizeof err) != 0) {
		fprintf(stderr, "workshopbot: %s\n", err);
		return 1;
	}
	if (!template_set_find(&a->templates, a->cfg.default_template)) {
		fprintf(stderr, "workshopbot: the default template '%s' ([workshopbot] template) is "
				"not in %s\n", a->cfg.default_template, a->cfg.templates_dir);
		return 1;
	}
	return 0;
}

static int open_store(struct app *a, enum store_mode mode)
{
	char err[BOT_ERRMSG_MAX];

	if (store_open(a->cfg.database, mode, &a->store, err, sizeof err) != 0) {
		fprintf(stderr, "workshopbot: %s\n", err);
		return 1;
	}
	return 0;
}

static void app_free(struct app *a)
{
	store_close(a->store);
	template_set_free(&a->templates);
	config_free(&a->cfg);
	log_clear_secrets();
}

/* The speaker of console lines without "name>": the config, else the OS user. */
static const char *console_user(const struct app *a)
{
	const struct passwd *pw;
	const char *env;

	if (a->cfg.console_user && a->cfg.console_user[0])
		return a->cfg.console_user;
	pw = getpwuid(getuid());
	if (pw && pw->pw_name && pw->pw_name[0])
		return pw->pw_name;
	env = getenv("USER");
	return env && env[0] ? env : "me";
}

static int run_console(struct app *a)
{
	struct bot b;
	struct transport *console;
	int code;

	if (load_templates(a) || open_store(a, STORE_WRITER))
		return 1;
	if (bot_init(&b, &a->cfg, a->store, &a->templates) != 0)
		return 1;
	console = console_new(console_user(a), stdout);
	if (!console || bot_add_transport(&b, console) != 0) {
		fprintf(stderr, "workshopbot: out of memory\n");
		bot_close(&b);
		return 1;
	}
	code = bot_run(&b);
	bot_close(&b);
	return code;
}

/* Adds t (NULL when it could not be made) to the bot; false, with t freed, on failure. */
static bool add_transport(struct bot *b, struct transport *t)
{
	if (t && bot_add_transport(b, t) == 0)
		return true;
	if (t)
		t->ops->free(t);
	fprintf(stderr, "workshopbot: out of memory\n");
	return false;
}

static int run_daemon(struct app *a)
{
	struct bot b;
	int code;

	if (!config_slack_enabled(&a->cfg) && !config_matrix_enabled(&a->cfg)) {
		fprintf(stderr, "workshopbot: nothing to run: no chat is configured; set [slack] "
				"app_token and bot_token or [matrix] homeserver (see the README), or "
				"try workshopbot console\n");
		return 1;
	}
	if (load_templates(a) || open_store(a, STORE_WRITER))
		return 1;
	if (bot_init(&b, &a->cfg, a->store, &a->templates) != 0)
		return 1;
	if ((config_slack_enabled(&a->cfg) && !add_transport(&b, slack_new(&a->cfg))) ||
	    (config_matrix_enabled(&a->cfg) && !add_transport(&b, matrix_new(&a->cfg)))) {
		bot_close(&b);
		return 1;
	}
	log_info("bot", "workshopbot running (database %s)", a->cfg.database);
	code = bot_run(&b);
	bot_close(&b);
	return code;
}

static int print_session(void *ud, const struct session_rec *s)
{
	const struct template_set *set = ud;
	const struct template *t = template_set_find(set, s->template_id);
	char started[32];

	clock_format_utc((time_t)s->started_at, started, sizeof started);
	printf("%-5lld %-8s %-22s %-7s %-20s %-16s", (long long)s->id, s->transport, s->template_id,
	       session_state_name(s->state), started, s->facilitator);
	if (t && s->state != SESSION_ENDED)
		printf(" question %zu of %zu", flow_number(t, s->prompt_index), flow_count(t));
	printf("  %s\n", s->channel);
	return 0;
}

static int run_sessions(struct app *a)
{
	if (load_templates(a) || open_store(a, STORE_READER))
		return 1;
	printf("%-5s %-8s %-22s %-7s %-20s %-16s  %s\n", "ID", "WHERE", "TEMPLATE", "STATE",
	       "STARTED (UTC)", "FACILITATOR", "CHANNEL");
	return store_session_each(a->store, print_session, &a->templates) ? 1 : 0;
}

struct job_listing {
	struct store *store;
	struct session_rec session;   /* the last one looked up (jobs come by session) */
	bool have_session;
	size_t n;
};

static int print_job(void *ud, const struct store_job *job)
{
	struct job_listing *l = ud;
	const char *tz = NULL;
	char local[48], utc[32], item[24];

	if (job->session_id && (!l->have_session || l->session.id != job->session_id))
		l->have_session = store_session_get(l->store, job->session_id, &l->session) == 0;
	if (job->session_id && l->have_session && l->session.id == job->session_id)
		tz = l->session.timezone;
	reminders_format_local(tz, (time_t)job->due_at, local, sizeof local);
	clock_format_utc((time_t)job->due_at, utc, sizeof utc);
	if (job->action_id)
		snprintf(item, sizeof item, "#%lld", (long long)job->action_id);
	else
		snprintf(item, sizeof item, "-");
	printf("%-6lld %-17s %-7lld %-6s %-16s %-21s %-20s %s\n", (long long)job->id, job->kind,
	       (long long)job->session_id, item, job->user_id ? job->user_id : "-", local, utc,
	       tz ? tz : "UTC");
	l->n++;
	return 0;
}

static int run_jobs(struct app *a, int argc, char **argv)
{
	struct job_listing l = { 0 };
	long long id = 0;
	char *end;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--session") == 0 && i + 1 < argc) {
			id = strtoll(argv[++i], &end, 10);
			if (*end || id <= 0)
				return usage_error("jobs: '%s' is not a session id", argv[i]);
		} else {
			return usage_error("jobs: unexpected argument '%s'", argv[i]);
		}
	}
	if (open_store(a, STORE_READER))
		return 1;
	l.store = a->store;
	if (id && store_session_get(a->store, id, &l.session) != 0) {
		fprintf(stderr, "workshopbot: no session %lld in %s (see workshopbot sessions)\n",
			id, a->cfg.database);
		return 1;
	}
	l.have_session = id != 0;
	printf("%-6s %-17s %-7s %-6s %-16s %-21s %-20s %s\n", "ID", "KIND", "SESSION", "ITEM",
	       "FOR", "LOCAL TIME", "UTC", "ZONE");
	if (store_job_each_pending(a->store, id, print_job, &l) != 0)
		return 1;
	if (l.n == 0)
		printf("(no pending jobs)\n");
	return fflush(stdout) == 0 ? 0 : 1;
}

static int run_export(struct app *a, int argc, char **argv)
{
	const char *session_arg = NULL, *format_arg = "md";
	enum export_format format;
	struct session_rec s;
	const struct template *t;
	char *end, *out = NULL;
	long long id;
	int result;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--session") == 0 && i + 1 < argc)
			session_arg = argv[++i];
		else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			format_arg = argv[++i];
		else
			return usage_error("export: unexpected argument '%s'", argv[i]);
	}
	if (!session_arg)
		return usage_error("export: %s", "--session ID is required");
	id = strtoll(session_arg, &end, 10);
	if (*end || id <= 0)
		return usage_error("export: '%s' is not a session id", session_arg);
	if (report_format_parse(format_arg, &format) != 0)
		return usage_error("export: unknown format '%s' (md, csv or json)", format_arg);
	if (load_templates(a) || open_store(a, STORE_READER))
		return 1;
	if (store_session_get(a->store, id, &s) != 0) {
		fprintf(stderr, "workshopbot: no session %lld in %s (see workshopbot sessions)\n",
			id, a->cfg.database);
		return 1;
	}
	t = template_set_find(&a->templates, s.template_id);
	if (!t) {
		fprintf(stderr, "workshopbot: session %lld uses template '%s', which is not installed\n",
			id, s.template_id);
		return 1;
	}
	result = report_export(a->store, t, &s, format, &out);
	if (result) {
		fprintf(stderr, "workshopbot: export failed: %s\n", bot_strerror(result));
		return 1;
	}
	fputs(out, stdout);
	if (format != EXPORT_CSV)
		fputc('\n', stdout);
	free(out);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int run_templates(struct app *a)
{
	if (load_templates(a))
		return 1;
	for (size_t i = 0; i < a->templates.n; i++) {
		const struct template *t = a->templates.items[i];
		printf("%-24s %s (%zu questions)%s\n", t->id, t->title, flow_count(t),
		       strcmp(t->id, a->cfg.default_template) == 0 ? " [default]" : "");
	}
	return 0;
}

static int run_check_template(int argc, char **argv)
{
	char err[BOT_ERRMSG_MAX];
	int failed = 0;

	if (argc == 0)
		return usage_error("check-template: %s", "name at least one FILE");
	for (int i = 0; i < argc; i++) {
		struct template *t;
		if (template_load_file(argv[i], &t, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			failed = 1;
			continue;
		}
		printf("%s: ok: '%s', %zu sections, %zu questions\n", argv[i], t->id, t->n_sections,
		       flow_count(t));
		template_free(t);
	}
	return failed;
}

static int run_check_config(const struct options *o, struct app *a)
{
	if (load_config(o, a))
		return 1;
	if (load_templates(a))
		return 1;
	printf("%s: ok\n", o->config_path ? o->config_path : "(defaults, no --config)");
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct app a;
	int code;

	/* glibc gives the top of the heap back to the kernel once 128 KiB of it is free and
	 * grows it again at the next burst: several brk calls per answer under load. Keeping
	 * up to 1 MiB spares them; untouched pages still cost no memory. */
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
	mallopt(M_TOP_PAD, 256 << 10);
	memset(&a, 0, sizeof a);
	code = parse_options(argc, argv, &o);
	if (code)
		return code;
	if (strcmp(o.command, "help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(o.command, "check-template") == 0)
		return run_check_template(o.argc, o.argv);
	if (strcmp(o.command, "check-config") == 0)
		code = run_check_config(&o, &a);
	else if (load_config(&o, &a) != 0)
		code = 1;
	else if (strcmp(o.command, "console") == 0)
		code = o.argc ? usage_error("console: unexpected argument '%s'", o.argv[0])
			      : run_console(&a);
	else if (strcmp(o.command, "run") == 0)
		code = o.argc ? usage_error("run: unexpected argument '%s'", o.argv[0])
			      : run_daemon(&a);
	else if (strcmp(o.command, "sessions") == 0)
		code = run_sessions(&a);
	else if (strcmp(o.command, "jobs") == 0)
		code = run_jobs(&a, o.argc, o.argv);
	else if (strcmp(o.command, "export") == 0)
		code = run_export(&a, o.argc, o.argv);
	else if (strcmp(o.command, "templates") == 0)
		code = run_templates(&a);
	else
		code = usage_error("unknown command '%s'", o.command);
	app_free(&a);
	return code;
}
