/* commands.h - the command grammar shared by every transport. */
#ifndef WORKSHOPBOT_COMMANDS_H
#define WORKSHOPBOT_COMMANDS_H

#include <stdbool.h>
#include <stddef.h>

#include "handlers/handler.h"

/* If text starts with a command prefix ("!workshop", "!ws", "/workshop", "/ws" or
 * "@workshopbot", case-insensitive, followed by a space or the end), returns a pointer
 * to what follows the prefix, spaces skipped; otherwise NULL. */
const char *commands_strip_prefix(const char *text);

/* True if the first word of text is a command (or an alias). */
bool commands_known(const char *text);

/* Runs a command line (without prefix): looks up the command word, checks arguments,
 * calls the handler. Unknown commands and bad arguments get a one-line reply with the
 * right usage. */
int commands_run(struct ctx *c, const char *line);

#endif
