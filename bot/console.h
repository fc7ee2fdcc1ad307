/* console.h - the terminal transport: stdin lines in, messages out on stdout.
 *
 * A line "alice> text" speaks as alice; any other line speaks as the default user.
 * When stdin is not a terminal the console reads it to the end, echoes each line so the
 * output reads as a transcript, and stops the bot at the end of input. */
#ifndef WORKSHOPBOT_CONSOLE_H
#define WORKSHOPBOT_CONSOLE_H

#include <stdio.h>

#include "bot/transport.h"

/* The channel every console event is in. */
#define CONSOLE_CHANNEL "console"

/* A console reading fd 0 and writing to out; default_user speaks lines without a
 * "name>" prefix. Returns NULL on out-of-memory. Freed through its ops->free. */
struct transport *console_new(const char *default_user, FILE *out);

/* Splits "name> text" into the speaker (copied into name, at most 32 characters of
 * [A-Za-z0-9._-]) and returns the text after "> "; returns NULL when the line has no
 * such prefix. */
const char *console_split_speaker(const char *line, char *name, size_t len);

#endif
