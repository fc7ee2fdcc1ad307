/* template.h - workshop templates: JSON files under prompts/, loaded and validated strictly.
 *
 * A template is a list of sections, each with prompts. The loader flattens every prompt
 * of every section, in order, into template->prompts; a prompt knows its section index.
 * All strings are owned by the template and freed by template_free(). */
#ifndef WORKSHOPBOT_TEMPLATE_H
#define WORKSHOPBOT_TEMPLATE_H

#include <stddef.h>

enum prompt_kind {
	PROMPT_INFO,          /* text only, no answer (event description, definitions) */
	PROMPT_TEXT,          /* a free-text answer */
	PROMPT_CHECKLIST,     /* pick any of the listed options */
	PROMPT_ACTION_ITEMS,  /* action items: what, who (owner), when (due date) */
};

/* The most options a checklist may have. */
#define TEMPLATE_MAX_OPTIONS 100

struct prompt_option {
	char *label;          /* short name for answers and tallies, e.g. "Community analysis";
	                         unique (case-insensitively) within the prompt */
	char *text;           /* the whole item word for word, e.g. "Community analysis:
	                         Bringing together data & relationship building ..." */
};

struct prompt {
	char *id;             /* unique within the template, e.g. "goals-personal" */
	enum prompt_kind kind;
	char *title;          /* short heading, e.g. "Personal goals"; NULL if none */
	char *text;           /* the question or information, word for word */
	struct prompt_option *options;  /* checklist only; NULL otherwise */
	size_t n_options;
	char *tally;          /* checklist only: the verb of the report tally, e.g. "used by" */
	long options_from;    /* checklist only: index of the prompt whose options this one
	                         reuses ("options_from" in the JSON), or -1 */
	size_t section;       /* index into template->sections */
};

struct section {
	char *id;
	char *title;          /* e.g. "Key terms used today – what is new to you?" */
};

/* The most follow-ups a template may have, and outcome fields one may ask for. */
#define TEMPLATE_MAX_FOLLOWUPS 20
#define TEMPLATE_MAX_OUTCOMES 10
#define TEMPLATE_MAX_AFTER_DAYS 365

/* A number a report-back prompt asks for, e.g. {"id": "people", "label": "people reached"}. */
struct followup_outcome {
	char *id;             /* [a-z0-9-], unique within the follow-up */
	char *label;          /* unique (case-insensitively) within the follow-up */
};

/* A report-back prompt, posted after_days after the session ends ("follow_ups"). */
struct followup {
	char *id;             /* [a-z0-9-], unique within the template, e.g. "two-weeks" */
	long after_days;      /* 1..TEMPLATE_MAX_AFTER_DAYS */
	char *title;
	char *text;           /* the prompt, word for word */
	struct followup_outcome *outcomes;  /* NULL when it asks for no numbers */
	size_t n_outcomes;
};

struct template {
	char *id;             /* e.g. "community-engagement"; names it in `start <id>` */
	char *title;          /* the workshop's title */
	char *description;    /* the event description, posted in the welcome */
	char *presenters;     /* presenters credited in the welcome; NULL if none */
	struct section *sections;
	size_t n_sections;
	struct prompt *prompts;  /* every prompt of every section, in order */
	size_t n_prompts;
	struct followup *followups;  /* NULL when the template has none */
	size_t n_followups;
};

/* Loads and validates one template file. On success returns 0 and sets *out (caller
 * frees with template_free()). On failure returns BOT_ERR_TEMPLATE (or BOT_ERR_IO,
 * BOT_ERR_NOMEM) and writes one line to err: "FILE:LINE:COLUMN: expected ...". */
int template_load_file(const char *path, struct template **out, char *err, size_t errlen);

/* The same for a template held in memory; name stands for the file in messages. */
int template_load_string(const char *json, size_t len, const char *name,
			 struct template **out, char *err, size_t errlen);

void template_free(struct template *t);

/* The prompt with this id, or NULL. Borrowed from t. */
const struct prompt *template_prompt(const struct template *t, const char *id);

/* Index of the prompt with this id in t->prompts, or -1. */
long template_prompt_index(const struct template *t, const char *id);

/* The option of a checklist whose label matches text case-insensitively (surrounding
 * white space ignored), else the one option whose label starts with text when text has
 * at least 3 characters and exactly one label matches; returns its index or -1. */
long template_option_find(const struct prompt *p, const char *text);

/* The follow-up with this id, or NULL. Borrowed from t. */
const struct followup *template_followup(const struct template *t, const char *id);

/* A set of installed templates, loaded from every *.json file in a directory. */
struct template_set {
	struct template **items;
	size_t n;
};

/* Loads every *.json file of dir (sorted by file name). Any invalid file fails the whole
 * load with its error, so the daemon never starts on a bad template. Duplicate template
 * ids are an error. Caller frees with template_set_free(). */
int template_set_load(const char *dir, struct template_set *out, char *err, size_t errlen);
void template_set_free(struct template_set *set);
/* The template with this id, or NULL. Borrowed. */
const struct template *template_set_find(const struct template_set *set, const char *id);

#endif
