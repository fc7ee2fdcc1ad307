/* fuzz_command.c - the pure parsers of a command line: the command prefix, the console's
 * "name> " speaker, and the arguments parsed without a store (pace specs, item ids,
 * checklist options named by a person). */
#include "fuzz/fuzz.h"

#include "bot/console.h"
#include "bot/err.h"
#include "handlers/commands.h"
#include "handlers/handler.h"
#include "handlers/text.h"
#include "prompts/template.h"

static struct template *tpl;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[BOT_ERRMSG_MAX];

	(void)argc;
	(void)argv;
	/* The shipped template: its checklists are what people name options of. */
	if (template_load_file("prompts/community-engagement.json", &tpl, err, sizeof err)) {
		fprintf(stderr, "fuzz_command: %s (run from the repository root)\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_cstr(data, size);
	char name[64], err[BOT_ERRMSG_MAX];
	const char *text, *rest;
	struct pace_spec ps;
	long long id;

	if (!line)
		return 0;
	text = console_split_speaker(line, name, sizeof name);
	rest = commands_strip_prefix(text ? text : line);
	if (rest) {
		/* What follows the command word, as commands_run() hands it on. */
		const char *args = rest + strcspn(rest, " \t\n\r\f\v");
		args = text_skip_space(args);
		if (pacing_parse(args, &ps, err, sizeof err) == 0)
			FUZZ_CHECK(ps.seconds >= 0, "pace: negative seconds");
		(void)text_parse_id(args, &id);
	}
	for (size_t i = 0; i < tpl->n_prompts; i++) {
		long k = template_option_find(&tpl->prompts[i], line);
		FUZZ_CHECK(k < (long)tpl->prompts[i].n_options, "option index out of range");
	}
	free(line);
	return 0;
}
