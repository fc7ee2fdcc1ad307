#include "handlers/commands.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "handlers/text.h"

struct command {
	const char *name;
	const char *alias;
	bool needs_args;      /* refuse an empty argument with the usage */
	const char *usage;
	const char *summary;
	int (*fn)(struct ctx *c, const char *args);
};

static int cmd_help(struct ctx *c, const char *args);

static const struct command commands[] = {
	{ "start", NULL, false, "start [template] [live|timed <duration>|async daily <HH:MM>] [tz <zone>]", "start a session; you become its facilitator (timed 10m: the bot moves on every 10 minutes; async daily 09:00: one section per working day)", cmd_start },
	{ "next", NULL, false, "next", "move to the next question (facilitator)", cmd_next },
	{ "back", NULL, false, "back", "go back to the previous question (facilitator)", cmd_back },
	{ "skip", NULL, false, "skip", "skip this question (facilitator)", cmd_skip },
	{ "pause", NULL, false, "pause", "pause the session (facilitator)", cmd_pause },
	{ "resume", NULL, false, "resume", "resume a paused session (facilitator)", cmd_resume },
	{ "pace", NULL, true, "pace live|timed <duration>|async daily <HH:MM>", "change how the session moves on (facilitator)", cmd_pace },
	{ "tz", NULL, false, "tz [zone]", "show or set this channel's time zone, e.g. Europe/Berlin (the facilitator, during a session)", cmd_tz },
	{ "status", NULL, false, "status", "the current question and who has answered", cmd_status },
	{ "who", NULL, false, "who", "who has not answered the current question yet", cmd_who },
	{ "end", NULL, false, "end", "end the session and sum it up (facilitator)", cmd_end },
	{ "answer", NULL, true, "answer <text>", "answer the current question", cmd_answer },
	{ "retract", NULL, false, "retract", "withdraw your answer to the current question", cmd_retract },
	{ "action", NULL, true, "action <what> [@owner] [by <date>]", "add an action item", cmd_action },
	{ "actions", NULL, false, "actions [mine|all]", "list action items (open ones by default)", cmd_actions },
	{ "done", NULL, true, "done <id>", "mark an action item done", cmd_done },
	{ "reopen", NULL, true, "reopen <id>", "reopen a done action item", cmd_reopen },
	{ "assign", NULL, true, "assign <id> @owner", "give an action item an owner", cmd_assign },
	{ "due", NULL, true, "due <id> <date>", "set or change a due date (or `none`)", cmd_due },
	{ "snooze", NULL, true, "snooze <id> <duration|date>", "move an action item's next reminder (2d, 1w, friday)", cmd_snooze },
	{ "reportback", "rb", true, "reportback <text> (alias rb)", "answer the open report-back prompt; \"people reached: 40\" counts, #<id> links an action item", cmd_reportback },
	{ "dm", NULL, false, "dm [on|off]", "get your reminders by direct message (or not)", cmd_dm },
	{ "report", NULL, false, "report [session id]", "the summary: answers, tallies, action items", cmd_report },
	{ "templates", NULL, false, "templates", "list the installed workshops", cmd_templates },
	{ "help", NULL, false, "help", "this list", cmd_help },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* Longest a command word we echo back in an error. */
#define ECHO_MAX 40

const char *commands_strip_prefix(const char *text)
{
	static const char *const prefixes[] = { "!workshop", "!ws", "/workshop", "/ws",
						"@workshopbot" };
	const char *p = text_skip_space(text);

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		size_t n = strlen(prefixes[i]);
		if (strncasecmp(p, prefixes[i], n) == 0 &&
		    (p[n] == '\0' || isspace((unsigned char)p[n]) || p[n] == ':'))
			return text_skip_space(p + n + (p[n] == ':'));
	}
	return NULL;
}

static const struct command *find(const char *word, size_t len)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];
		if ((strlen(cmd->name) == len && strncasecmp(cmd->name, word, len) == 0) ||
		    (cmd->alias && strlen(cmd->alias) == len && strncasecmp(cmd->alias, word, len) == 0))
			return cmd;
	}
	return NULL;
}

static int cmd_help(struct ctx *c, const char *args)
{
	struct msg m;

	(void)args;
	msg_init(&m);
	msg_bold(&m, "workshopbot commands");
	msg_text(&m, " (prefix each with !ws, e.g. ");
	msg_code(&m, "!ws next");
	msg_text(&m, "):");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		msg_text(&m, "\n  ");
		msg_code(&m, "%s", commands[i].usage);
		msg_text(&m, " — %s", commands[i].summary);
	}
	msg_text(&m, "\nWhile a question is open, a reply in its thread (in the console: any line "
		     "that is not a command) is your answer. Dates: 2026-12-15, tomorrow, friday, "
		     "next tuesday, in 2 weeks, dec 15.");
	return reply_private(c, &m);
}

/* The end of the word at p. */
static const char *word_end(const char *p)
{
	while (*p && !isspace((unsigned char)*p))
		p++;
	return p;
}

bool commands_known(const char *text)
{
	const char *word = text_skip_space(text);

	return find(word, (size_t)(word_end(word) - word)) != NULL;
}

int commands_run(struct ctx *c, const char *line)
{
	const char *word = text_skip_space(line);
	const char *p = word_end(word);
	const struct command *cmd;
	const char *args;
	size_t len;

	len = (size_t)(p - word);
	if (len == 0)
		return cmd_help(c, "");
	cmd = find(word, len);
	if (!cmd) {
		/* The word alone, NUL-terminated, with one byte past ECHO_MAX when it is longer,
		 * so that text_user_clipped() marks a cut only when there was one. */
		char echo[ECHO_MAX + 2];
		struct msg m;
		snprintf(echo, sizeof echo, "%.*s", (int)(len <= ECHO_MAX ? len : ECHO_MAX + 1), word);
		msg_init(&m);
		msg_text(&m, "Unknown command '");
		text_user_clipped(&m, echo, ECHO_MAX);
		msg_text(&m, "'. Try ");
		msg_code(&m, "!ws help");
		msg_text(&m, " for the list.");
		return reply_private(c, &m);
	}
	/* Arguments are kept as typed, but for the spaces after the command word. */
	args = text_skip_space(p);
	if (cmd->needs_args && args[0] == '\0')
		return private_text(c, "Usage: !ws %s", cmd->usage);
	return cmd->fn(c, args);
}
