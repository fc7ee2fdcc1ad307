/* report.h - the summary of a session, and its exports (Markdown, CSV, JSON). */
#ifndef WORKSHOPBOT_REPORT_H
#define WORKSHOPBOT_REPORT_H

#include "bot/msg.h"
#include "bot/store.h"
#include "bot/store_sessions.h"
#include "prompts/template.h"

enum export_format { EXPORT_MD, EXPORT_CSV, EXPORT_JSON };

/* Parses "md", "csv" or "json". Returns 0 or -1. */
int report_format_parse(const char *name, enum export_format *out);

/* Appends the summary of session s (template t) to m: every question with the answers
 * by person, checklist tallies, and the action items. Returns 0 or a BOT_ERR_* code. */
int report_build(struct store *st, const struct template *t, const struct session_rec *s,
		 struct msg *m);

/* The whole session in a format, as a malloc'd string in *out (caller frees).
 * Returns 0 or a BOT_ERR_* code. */
int report_export(struct store *st, const struct template *t, const struct session_rec *s,
		  enum export_format format, char **out);

#endif
