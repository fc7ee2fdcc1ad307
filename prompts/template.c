/* template.c - loads and validates workshop templates (see template.h).
 *
 * jansson parses the file; the validator then walks the tree and builds a struct template.
 * jansson gives positions for syntax errors only, so a small bounded scanner over the
 * raw text (prompts/json_pos.c) finds the line and column of the value (or key) an error
 * is about: every error is one line "FILE:LINE:COLUMN: message". */
#include "prompts/template.h"

#include "bot/err.h"
#include "prompts/json_pos.h"

#include <jansson.h>

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_MAX_FILE     (1024 * 1024)  /* bytes per template file */
#define TPL_MAX_FIELD    8192           /* bytes per string field */
#define TPL_MAX_ID       64             /* bytes per id */
#define TPL_MAX_SECTIONS 100
#define TPL_MAX_PROMPTS  1000           /* in all sections together */
#define TPL_PATH_DEPTH   8              /* deepest path the validator names */
#define TPL_QUOTE_MAX    48             /* bytes of a user value echoed in an error */

/* ---- the loader --------------------------------------------------------------------- */

struct loader {
	const char *name;             /* the file, for messages */
	const char *buf;              /* its raw text */
	size_t len;
	char *err;
	size_t errlen;
	struct path_elem path[TPL_PATH_DEPTH];
	size_t depth;
	struct template *t;
};

enum at { AT_VALUE, AT_KEY };

static void path_key(struct loader *l, const char *key)
{
	assert(l->depth < TPL_PATH_DEPTH);
	l->path[l->depth].key = key;
	l->path[l->depth].index = 0;
	l->depth++;
}

static void path_index(struct loader *l, size_t index)
{
	assert(l->depth < TPL_PATH_DEPTH);
	l->path[l->depth].key = NULL;
	l->path[l->depth].index = index;
	l->depth++;
}

static void path_pop(struct loader *l)
{
	assert(l->depth > 0);
	l->depth--;
}

/* Writes "NAME:LINE:COL: message" for the current path and returns code. */
static int fail_pos(struct loader *l, int code, enum at at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_pos(struct loader *l, int code, enum at at, const char *fmt, ...)
{
	va_list ap;
	size_t off;
	long line, col;
	int n;

	if (!l->err || l->errlen == 0)
		return code;
	off = json_pos_find(l->buf, l->len, l->path, l->depth, at == AT_KEY);
	json_pos_line_col(l->buf, l->len, off, &line, &col);
	n = snprintf(l->err, l->errlen, "%s:%ld:%ld: ", l->name, line, col);
	if (n < 0 || (size_t)n >= l->errlen)
		return code;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

#define fail_at(l, at, ...) fail_pos((l), BOT_ERR_TEMPLATE, (at), __VA_ARGS__)

/* Quotes a user-supplied string for an error message: at most TPL_QUOTE_MAX bytes of it,
 * cut on a character boundary, control characters and quotes escaped; always one line. */
static const char *quote(char *dst, size_t size, const char *s)
{
	size_t o = 0, i = 0;

	assert(size >= TPL_QUOTE_MAX * 4 + 8);
	dst[o++] = '"';
	while (s[i] && i < TPL_QUOTE_MAX) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7F) {
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", c);
		} else {
			dst[o++] = (char)c;
		}
		i++;
	}
	if (s[i]) {
		while (o > 1 && i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) {
			/* do not cut a UTF-8 sequence: drop its leading bytes */
			i--;
			o--;
		}
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return dst;
}

#define QUOTE_BUF (TPL_QUOTE_MAX * 4 + 8)

static const char *value_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "an unknown value";
}

static const char *kind_name(enum prompt_kind k)
{
	switch (k) {
	case PROMPT_INFO: return "info";
	case PROMPT_TEXT: return "text";
	case PROMPT_CHECKLIST: return "checklist";
	case PROMPT_ACTION_ITEMS: return "action_items";
	}
	return "?";
}

static int kind_parse(const char *s, enum prompt_kind *out)
{
	static const enum prompt_kind kinds[] = {
		PROMPT_INFO, PROMPT_TEXT, PROMPT_CHECKLIST, PROMPT_ACTION_ITEMS,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(s, kind_name(kinds[i])) == 0) {
			*out = kinds[i];
			return 0;
		}
	}
	return -1;
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Compares the first n bytes of a and b ignoring ASCII case. */
static bool ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
			return false;
	}
	return true;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Checks that every key of obj is one of allowed (a NULL-terminated list). */
static int check_keys(struct loader *l, json_t *obj, const char *const *allowed,
		      const char *where)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char list[256] = "";
		char q[QUOTE_BUF];
		size_t i;
		int rc;

		for (i = 0; allowed[i]; i++) {
			if (strcmp(key, allowed[i]) == 0)
				break;
		}
		if (allowed[i])
			continue;
		for (i = 0; allowed[i]; i++) {
			size_t used = strlen(list);
			snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
				 allowed[i]);
		}
		path_key(l, key);
		rc = fail_at(l, AT_KEY, "unknown key %s %s; expected one of %s",
			     quote(q, sizeof(q), key), where, list);
		path_pop(l);
		return rc;
	}
	return 0;
}

enum field_flags {
	F_REQUIRED  = 1 << 0,
	F_ID        = 1 << 1,  /* letters, digits, '-', '_', '.'; at most TPL_MAX_ID bytes */
	F_MULTILINE = 1 << 2,  /* may contain line breaks and tabs */
	F_TRIMMED   = 1 << 3,  /* no white space at either end */
	F_SLUG      = 1 << 4,  /* an F_ID of only a-z, 0-9 and '-' */
};

static bool slug_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* Validates the string field key of obj; on success *out is a copy (NULL if the field is
 * optional and absent). The current path is the object. */
static int get_string(struct loader *l, json_t *obj, const char *key, int flags,
		      const char *where, char **out)
{
	json_t *v = json_object_get(obj, key);
	char q[QUOTE_BUF];
	const char *s;
	size_t len, i;
	bool blank = true;
	int rc = 0;

	*out = NULL;
	if (!v) {
		if (flags & F_REQUIRED)
			return fail_at(l, AT_VALUE, "missing required key \"%s\" %s", key, where);
		return 0;
	}
	path_key(l, key);
	if (!json_is_string(v)) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to be a string %s, got %s", key, where,
			     value_type_name(v));
		goto out;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	for (i = 0; i < len; i++) {
		if (!is_space(s[i]))
			blank = false;
	}
	if (blank) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to be a non-empty string %s", key,
			     where);
		goto out;
	}
	if (len > TPL_MAX_FIELD) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to be at most %d bytes %s, got %zu",
			     key, TPL_MAX_FIELD, where, len);
		goto out;
	}
	if (flags & (F_ID | F_SLUG)) {
		bool (*ok)(char) = (flags & F_SLUG) ? slug_char : id_char;

		for (i = 0; i < len && ok(s[i]); i++)
			;
		if (i < len || len > TPL_MAX_ID) {
			rc = fail_at(l, AT_VALUE, "expected \"%s\" to be at most %d %s %s, got %s",
				     key, TPL_MAX_ID, (flags & F_SLUG)
				     ? "lower-case letters, digits or '-'"
				     : "letters, digits, '-', '_' or '.'", where,
				     quote(q, sizeof(q), s));
			goto out;
		}
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool allowed = (flags & F_MULTILINE) && (c == '\n' || c == '\t');

		if ((c < 0x20 || c == 0x7F) && !allowed) {
			rc = fail_at(l, AT_VALUE, "expected \"%s\" to contain no %s %s, got %s", key,
				     (flags & F_MULTILINE) ? "control characters"
							   : "line breaks or control characters",
				     where, quote(q, sizeof(q), s));
			goto out;
		}
	}
	if ((flags & F_TRIMMED) && (is_space(s[0]) || is_space(s[len - 1]))) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to have no white space at either end "
			     "%s, got %s", key, where, quote(q, sizeof(q), s));
		goto out;
	}
	*out = strdup(s);
	if (!*out)
		rc = BOT_ERR_NOMEM;
out:
	path_pop(l);
	return rc;
}

/* Gets the array field key of obj, non-empty and at most max long; what names one item
 * ("prompt"). The current path is the object. */
static int get_array(struct loader *l, json_t *obj, const char *key, size_t max,
		     const char *what, const char *where, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	int rc = 0;

	*out = NULL;
	if (!v)
		return fail_at(l, AT_VALUE, "missing required key \"%s\" %s", key, where);
	path_key(l, key);
	if (!json_is_array(v)) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to be an array %s, got %s", key,
			     where, value_type_name(v));
		goto out;
	}
	if (json_array_size(v) == 0) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to hold at least one %s %s, got an "
			     "empty array", key, what, where);
		goto out;
	}
	if (json_array_size(v) > max) {
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to hold at most %zu %ss %s, got %zu",
			     key, max, what, where, json_array_size(v));
		goto out;
	}
	*out = v;
out:
	path_pop(l);
	return rc;
}

static void options_free(struct prompt_option *o, size_t n)
{
	if (!o)
		return;
	for (size_t i = 0; i < n; i++) {
		free(o[i].label);
		free(o[i].text);
	}
	free(o);
}

/* Loads the "options" of a checklist; the current path is the prompt. */
static int load_options(struct loader *l, json_t *jp, struct prompt *p, const char *where)
{
	static const char *const keys[] = { "label", "text", NULL };
	json_t *arr;
	char owhere[256];
	char q[QUOTE_BUF];
	int rc;

	rc = get_array(l, jp, "options", TEMPLATE_MAX_OPTIONS, "option", where, &arr);
	if (rc)
		return rc;
	p->options = calloc(json_array_size(arr), sizeof(*p->options));
	if (!p->options)
		return BOT_ERR_NOMEM;
	p->n_options = json_array_size(arr);
	path_key(l, "options");
	for (size_t i = 0; i < p->n_options; i++) {
		json_t *jo = json_array_get(arr, i);
		struct prompt_option *o = &p->options[i];

		path_index(l, i);
		snprintf(owhere, sizeof(owhere), "in option %zu of %s", i + 1,
			 where + strlen("in "));
		if (!json_is_object(jo)) {
			rc = fail_at(l, AT_VALUE, "expected option %zu to be an object %s, got %s",
				     i + 1, where, value_type_name(jo));
			goto out;
		}
		rc = check_keys(l, jo, keys, owhere);
		if (!rc)
			rc = get_string(l, jo, "label", F_REQUIRED | F_TRIMMED, owhere, &o->label);
		if (!rc)
			rc = get_string(l, jo, "text", F_REQUIRED | F_MULTILINE, owhere, &o->text);
		if (rc)
			goto out;
		for (size_t j = 0; j < i; j++) {
			size_t n = strlen(o->label);
			if (strlen(p->options[j].label) != n ||
			    !ascii_ieq(p->options[j].label, o->label, n))
				continue;
			path_key(l, "label");
			rc = fail_at(l, AT_VALUE, "expected a label not used by another option %s, "
				     "got %s (also option %zu, ignoring case)", owhere,
				     quote(q, sizeof(q), o->label), j + 1);
			path_pop(l);
			goto out;
		}
		path_pop(l);
	}
	path_pop(l);
	return 0;
out:
	path_pop(l);
	path_pop(l);
	return rc;
}

/* Position (0-based) of prompt idx within its section. */
static size_t pos_in_section(const struct template *t, size_t idx)
{
	size_t n = 0;

	for (size_t i = 0; i < idx; i++) {
		if (t->prompts[i].section == t->prompts[idx].section)
			n++;
	}
	return n;
}

/* Loads prompt number pi (0-based, within its section) into t->prompts[idx]; the current
 * path is the prompt. */
static int load_prompt(struct loader *l, json_t *jp, size_t idx, size_t pi, size_t si,
		       const char *section_id)
{
	static const char *const keys[] = {
		"id", "kind", "title", "text", "tally", "options", "options_from", NULL,
	};
	static const char *const checklist_only[] = { "tally", "options", "options_from", NULL };
	struct prompt *p = &l->t->prompts[idx];
	char where[256];
	char q[QUOTE_BUF];
	char *kind = NULL;
	int rc;

	p->section = si;
	p->options_from = -1;
	snprintf(where, sizeof(where), "in prompt %zu of section \"%s\"", pi + 1, section_id);
	if (!json_is_object(jp))
		return fail_at(l, AT_VALUE, "expected prompt %zu to be an object in section "
			       "\"%s\", got %s", pi + 1, section_id, value_type_name(jp));
	rc = check_keys(l, jp, keys, where);
	if (rc)
		goto out;
	rc = get_string(l, jp, "id", F_REQUIRED | F_ID, where, &p->id);
	if (rc)
		goto out;
	for (size_t j = 0; j < idx; j++) {
		if (strcmp(l->t->prompts[j].id, p->id) != 0)
			continue;
		path_key(l, "id");
		rc = fail_at(l, AT_VALUE, "expected a prompt id not used before %s, got %s (also "
			     "prompt %zu of section \"%s\")", where, quote(q, sizeof(q), p->id),
			     pos_in_section(l->t, j) + 1,
			     l->t->sections[l->t->prompts[j].section].id);
		path_pop(l);
		goto out;
	}
	rc = get_string(l, jp, "kind", F_REQUIRED, where, &kind);
	if (rc)
		goto out;
	if (kind_parse(kind, &p->kind) != 0) {
		path_key(l, "kind");
		rc = fail_at(l, AT_VALUE, "expected \"kind\" to be one of info, text, checklist, "
			     "action_items %s, got %s", where, quote(q, sizeof(q), kind));
		path_pop(l);
		goto out;
	}
	rc = get_string(l, jp, "title", F_TRIMMED, where, &p->title);
	if (!rc)
		rc = get_string(l, jp, "text", F_REQUIRED | F_MULTILINE, where, &p->text);
	if (rc)
		goto out;
	if (p->kind != PROMPT_CHECKLIST) {
		for (size_t k = 0; checklist_only[k]; k++) {
			if (!json_object_get(jp, checklist_only[k]))
				continue;
			path_key(l, checklist_only[k]);
			rc = fail_at(l, AT_KEY, "expected no \"%s\" %s: it is only for checklists, "
				     "and this prompt is %s", checklist_only[k], where,
				     kind_name(p->kind));
			path_pop(l);
			goto out;
		}
		goto out;
	}
	rc = get_string(l, jp, "tally", F_REQUIRED | F_TRIMMED, where, &p->tally);
	if (rc)
		goto out;
	if (json_object_get(jp, "options") && json_object_get(jp, "options_from")) {
		path_key(l, "options_from");
		rc = fail_at(l, AT_KEY, "expected either \"options\" or \"options_from\", not "
			     "both, %s", where);
		path_pop(l);
		goto out;
	}
	if (json_object_get(jp, "options_from")) {
		/* checked and copied by resolve_options_from(), once every prompt is loaded */
		char *from = NULL;
		rc = get_string(l, jp, "options_from", F_ID, where, &from);
		free(from);
		goto out;
	}
	if (!json_object_get(jp, "options")) {
		rc = fail_at(l, AT_VALUE, "missing required key \"options\" (or \"options_from\") "
			     "%s", where);
		goto out;
	}
	rc = load_options(l, jp, p, where);
out:
	free(kind);
	return rc;
}

static int copy_options(struct prompt *dst, const struct prompt *src)
{
	dst->options = calloc(src->n_options, sizeof(*dst->options));
	if (!dst->options)
		return BOT_ERR_NOMEM;
	dst->n_options = src->n_options;
	for (size_t i = 0; i < src->n_options; i++) {
		dst->options[i].label = strdup(src->options[i].label);
		dst->options[i].text = strdup(src->options[i].text);
		if (!dst->options[i].label || !dst->options[i].text)
			return BOT_ERR_NOMEM;
	}
	return 0;
}

/* Resolves every "options_from": it must name an earlier checklist, whose options are
 * copied. Runs after every prompt is loaded, so a later prompt is told apart from a
 * missing one. */
static int resolve_options_from(struct loader *l, json_t *jsections)
{
	struct template *t = l->t;
	size_t idx = 0;
	char q[QUOTE_BUF];
	int rc = 0;

	path_key(l, "sections");
	for (size_t si = 0; si < json_array_size(jsections); si++) {
		json_t *jprompts = json_object_get(json_array_get(jsections, si), "prompts");

		for (size_t pi = 0; pi < json_array_size(jprompts); pi++, idx++) {
			json_t *from = json_object_get(json_array_get(jprompts, pi), "options_from");
			struct prompt *p = &t->prompts[idx];
			const char *name, *why = NULL;
			long src;

			if (!from)
				continue;
			name = json_string_value(from);
			src = template_prompt_index(t, name);
			if (src < 0)
				why = "no prompt has this id";
			else if ((size_t)src == idx)
				why = "it names this prompt";
			else if ((size_t)src > idx)
				why = "that prompt comes later";
			else if (t->prompts[src].kind != PROMPT_CHECKLIST)
				why = "that prompt is not a checklist";
			if (why) {
				path_index(l, si);
				path_key(l, "prompts");
				path_index(l, pi);
				path_key(l, "options_from");
				rc = fail_at(l, AT_VALUE, "expected \"options_from\" to name an earlier "
					     "checklist in prompt %zu of section \"%s\", got %s (%s)",
					     pi + 1, t->sections[si].id, quote(q, sizeof(q), name),
					     why);
				path_pop(l);
				path_pop(l);
				path_pop(l);
				path_pop(l);
				goto out;
			}
			p->options_from = src;
			rc = copy_options(p, &t->prompts[src]);
			if (rc)
				goto out;
		}
	}
out:
	path_pop(l);
	return rc;
}

/* Loads the sections and their prompts; the current path is the root object. */
static int load_sections(struct loader *l, json_t *root)
{
	static const char *const keys[] = { "id", "title", "prompts", NULL };
	struct template *t = l->t;
	json_t *jsections;
	size_t total = 0, idx = 0;
	bool answerable = false;
	char where[256];
	char q[QUOTE_BUF];
	int rc;

	rc = get_array(l, root, "sections", TPL_MAX_SECTIONS, "section", "at top level",
		       &jsections);
	if (rc)
		return rc;
	for (size_t si = 0; si < json_array_size(jsections); si++) {
		json_t *jp = json_object_get(json_array_get(jsections, si), "prompts");
		total += json_is_array(jp) ? json_array_size(jp) : 0;
	}
	path_key(l, "sections");
	if (total > TPL_MAX_PROMPTS) {
		rc = fail_at(l, AT_VALUE, "expected at most %d prompts in all sections, got %zu",
			     TPL_MAX_PROMPTS, total);
		goto out;
	}
	t->sections = calloc(json_array_size(jsections), sizeof(*t->sections));
	t->prompts = calloc(total ? total : 1, sizeof(*t->prompts));
	if (!t->sections || !t->prompts) {
		rc = BOT_ERR_NOMEM;
		goto out;
	}
	t->n_sections = json_array_size(jsections);
	for (size_t si = 0; si < t->n_sections; si++) {
		json_t *js = json_array_get(jsections, si);
		struct section *s = &t->sections[si];
		json_t *jprompts;

		path_index(l, si);
		snprintf(where, sizeof(where), "in section %zu", si + 1);
		if (!json_is_object(js)) {
			rc = fail_at(l, AT_VALUE, "expected section %zu to be an object, got %s",
				     si + 1, value_type_name(js));
			goto out_section;
		}
		rc = check_keys(l, js, keys, where);
		if (!rc)
			rc = get_string(l, js, "id", F_REQUIRED | F_ID, where, &s->id);
		if (rc)
			goto out_section;
		for (size_t j = 0; j < si; j++) {
			if (strcmp(t->sections[j].id, s->id) != 0)
				continue;
			path_key(l, "id");
			rc = fail_at(l, AT_VALUE, "expected a section id not used before in section "
				     "%zu, got %s (also section %zu)", si + 1,
				     quote(q, sizeof(q), s->id), j + 1);
			path_pop(l);
			goto out_section;
		}
		snprintf(where, sizeof(where), "in section \"%s\"", s->id);
		rc = get_string(l, js, "title", F_REQUIRED | F_TRIMMED, where, &s->title);
		if (!rc)
			rc = get_array(l, js, "prompts", TPL_MAX_PROMPTS, "prompt", where,
				       &jprompts);
		if (rc)
			goto out_section;
		path_key(l, "prompts");
		for (size_t pi = 0; pi < json_array_size(jprompts); pi++, idx++) {
			t->n_prompts = idx + 1;
			path_index(l, pi);
			rc = load_prompt(l, json_array_get(jprompts, pi), idx, pi, si, s->id);
			path_pop(l);
			if (rc)
				break;
			if (t->prompts[idx].kind != PROMPT_INFO)
				answerable = true;
		}
		path_pop(l);
out_section:
		path_pop(l);
		if (rc)
			goto out;
	}
	if (!answerable) {
		rc = fail_at(l, AT_VALUE, "expected at least one prompt that takes an answer "
			     "(text, checklist or action_items) in \"sections\"");
		goto out;
	}
	path_pop(l);
	return resolve_options_from(l, jsections);
out:
	path_pop(l);
	return rc;
}

/* ---- follow-ups ---------------------------------------------------------------------- */

/* Validates the required whole-number field key of obj, in min..max. */
static int get_int(struct loader *l, json_t *obj, const char *key, long min, long max,
		   const char *where, long *out)
{
	json_t *v = json_object_get(obj, key);
	char got[32];
	int rc = 0;

	if (!v)
		return fail_at(l, AT_VALUE, "missing required key \"%s\" %s", key, where);
	path_key(l, key);
	if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
		*out = (long)json_integer_value(v);
	} else {
		if (json_is_integer(v))
			snprintf(got, sizeof(got), "%lld", (long long)json_integer_value(v));
		else
			snprintf(got, sizeof(got), "%s", value_type_name(v));
		rc = fail_at(l, AT_VALUE, "expected \"%s\" to be a whole number from %ld to %ld %s, "
			     "got %s", key, min, max, where, got);
	}
	path_pop(l);
	return rc;
}

/* Fails when outcome i of f repeats the id or (ignoring case) the label of an earlier
 * one; the current path is the outcome. */
static int check_outcome_unique(struct loader *l, const struct followup *f, size_t i,
				const char *where)
{
	const struct followup_outcome *o = &f->outcomes[i];
	char q[QUOTE_BUF];
	int rc;

	for (size_t j = 0; j < i; j++) {
		const struct followup_outcome *e = &f->outcomes[j];
		bool same_label = strlen(e->label) == strlen(o->label) &&
				  ascii_ieq(e->label, o->label, strlen(o->label));
		const char *key = strcmp(e->id, o->id) == 0 ? "id" : same_label ? "label" : NULL;

		if (!key)
			continue;
		path_key(l, key);
		rc = fail_at(l, AT_VALUE, "expected an outcome %s not used by another outcome %s, "
			     "got %s (also outcome %zu)", key, where,
			     quote(q, sizeof(q), key[0] == 'i' ? o->id : o->label), j + 1);
		path_pop(l);
		return rc;
	}
	return 0;
}

/* Loads the optional "outcomes" of a follow-up; the current path is the follow-up. */
static int load_outcomes(struct loader *l, json_t *jf, struct followup *f, const char *where)
{
	static const char *const keys[] = { "id", "label", NULL };
	json_t *arr;
	char owhere[256];
	int rc;

	if (!json_object_get(jf, "outcomes"))
		return 0;
	rc = get_array(l, jf, "outcomes", TEMPLATE_MAX_OUTCOMES, "outcome", where, &arr);
	if (rc)
		return rc;
	f->outcomes = calloc(json_array_size(arr), sizeof(*f->outcomes));
	if (!f->outcomes)
		return BOT_ERR_NOMEM;
	path_key(l, "outcomes");
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		json_t *jo = json_array_get(arr, i);
		struct followup_outcome *o = &f->outcomes[i];

		f->n_outcomes = i + 1;
		path_index(l, i);
		snprintf(owhere, sizeof(owhere), "in outcome %zu of %s", i + 1,
			 where + strlen("in "));
		if (!json_is_object(jo))
			rc = fail_at(l, AT_VALUE, "expected outcome %zu to be an object %s, got %s",
				     i + 1, where, value_type_name(jo));
		if (!rc)
			rc = check_keys(l, jo, keys, owhere);
		if (!rc)
			rc = get_string(l, jo, "id", F_REQUIRED | F_SLUG, owhere, &o->id);
		if (!rc)
			rc = get_string(l, jo, "label", F_REQUIRED | F_TRIMMED, owhere, &o->label);
		if (!rc)
			rc = check_outcome_unique(l, f, i, owhere);
		path_pop(l);
	}
	path_pop(l);
	return rc;
}

/* Loads follow-up i; the current path is the follow-up. */
static int load_followup(struct loader *l, json_t *jf, size_t i)
{
	static const char *const keys[] = { "id", "after_days", "title", "text", "outcomes", NULL };
	struct followup *f = &l->t->followups[i];
	char where[64];
	char q[QUOTE_BUF];
	int rc;

	snprintf(where, sizeof(where), "in follow-up %zu", i + 1);
	if (!json_is_object(jf))
		return fail_at(l, AT_VALUE, "expected follow-up %zu to be an object, got %s", i + 1,
			       value_type_name(jf));
	rc = check_keys(l, jf, keys, where);
	if (!rc)
		rc = get_string(l, jf, "id", F_REQUIRED | F_SLUG, where, &f->id);
	for (size_t j = 0; !rc && j < i; j++) {
		if (strcmp(l->t->followups[j].id, f->id) != 0)
			continue;
		path_key(l, "id");
		rc = fail_at(l, AT_VALUE, "expected a follow-up id not used before %s, got %s (also "
			     "follow-up %zu)", where, quote(q, sizeof(q), f->id), j + 1);
		path_pop(l);
	}
	if (!rc)
		rc = get_int(l, jf, "after_days", 1, TEMPLATE_MAX_AFTER_DAYS, where, &f->after_days);
	if (!rc)
		rc = get_string(l, jf, "title", F_REQUIRED | F_TRIMMED, where, &f->title);
	if (!rc)
		rc = get_string(l, jf, "text", F_REQUIRED | F_MULTILINE, where, &f->text);
	if (!rc)
		rc = load_outcomes(l, jf, f, where);
	return rc;
}

/* Loads the optional top-level "follow_ups"; the current path is the root object. */
static int load_followups(struct loader *l, json_t *root)
{
	json_t *arr;
	int rc;

	if (!json_object_get(root, "follow_ups"))
		return 0;
	rc = get_array(l, root, "follow_ups", TEMPLATE_MAX_FOLLOWUPS, "follow-up",
		       "at top level", &arr);
	if (rc)
		return rc;
	l->t->followups = calloc(json_array_size(arr), sizeof(*l->t->followups));
	if (!l->t->followups)
		return BOT_ERR_NOMEM;
	path_key(l, "follow_ups");
	for (size_t i = 0; !rc && i < json_array_size(arr); i++) {
		l->t->n_followups = i + 1;
		path_index(l, i);
		rc = load_followup(l, json_array_get(arr, i), i);
		path_pop(l);
	}
	path_pop(l);
	return rc;
}

static int load_root(struct loader *l, json_t *root)
{
	static const char *const keys[] = {
		"id", "title", "description", "presenters", "sections", "follow_ups", NULL,
	};
	const char *where = "at top level";
	struct template *t = l->t;
	int rc;

	if (!json_is_object(root))
		return fail_at(l, AT_VALUE, "expected a JSON object at top level, got %s",
			       value_type_name(root));
	rc = check_keys(l, root, keys, where);
	if (!rc)
		rc = get_string(l, root, "id", F_REQUIRED | F_ID, where, &t->id);
	if (!rc)
		rc = get_string(l, root, "title", F_REQUIRED | F_TRIMMED, where, &t->title);
	if (!rc)
		rc = get_string(l, root, "description", F_REQUIRED | F_MULTILINE, where,
				&t->description);
	if (!rc)
		rc = get_string(l, root, "presenters", F_MULTILINE, where, &t->presenters);
	if (!rc)
		rc = load_sections(l, root);
	if (!rc)
		rc = load_followups(l, root);
	return rc;
}

int template_load_string(const char *json, size_t len, const char *name,
			 struct template **out, char *err, size_t errlen)
{
	struct loader l = { .name = name ? name : "<template>", .buf = json, .len = len,
			    .err = err, .errlen = errlen };
	json_error_t jerr;
	json_t *root = NULL;
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (len > TPL_MAX_FILE) {
		rc = bot_fail(err, errlen, BOT_ERR_TEMPLATE, "%s:1:1: expected at most %d bytes, "
			      "got %zu", l.name, TPL_MAX_FILE, len);
		goto out;
	}
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = bot_fail(err, errlen, BOT_ERR_TEMPLATE, "%s:%d:%d: invalid JSON: %s", l.name,
			      jerr.line > 0 ? jerr.line : 1, jerr.column > 0 ? jerr.column : 1,
			      jerr.text);
		goto out;
	}
	l.t = calloc(1, sizeof(*l.t));
	if (!l.t) {
		rc = bot_fail(err, errlen, BOT_ERR_NOMEM, "%s:1:1: out of memory", l.name);
		goto out;
	}
	rc = load_root(&l, root);
	if (rc == BOT_ERR_NOMEM)
		bot_fail(err, errlen, rc, "%s:1:1: out of memory", l.name);
	if (rc)
		goto out;
	*out = l.t;
	l.t = NULL;
out:
	template_free(l.t);
	json_decref(root);
	return rc;
}

/* Reads at most TPL_MAX_FILE bytes of path into a new buffer (caller frees). */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *b = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	*buf = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (!f) {
		rc = bot_fail(err, errlen, BOT_ERR_IO, "%s:1:1: cannot open template: %s", path,
			      strerror(errno));
		goto out;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb;

			if (ncap > TPL_MAX_FILE + 1)
				ncap = TPL_MAX_FILE + 1;
			nb = realloc(b, ncap);
			if (!nb) {
				rc = bot_fail(err, errlen, BOT_ERR_NOMEM, "%s:1:1: out of memory",
					      path);
				goto out;
			}
			b = nb;
			cap = ncap;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
		if (n > TPL_MAX_FILE) {
			rc = bot_fail(err, errlen, BOT_ERR_TEMPLATE, "%s:1:1: expected at most %d "
				      "bytes, got more", path, TPL_MAX_FILE);
			goto out;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = bot_fail(err, errlen, BOT_ERR_IO, "%s:1:1: cannot read template: %s", path,
			      strerror(errno));
		goto out;
	}
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	if (f)
		fclose(f);
	return rc;
}

int template_load_file(const char *path, struct template **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	rc = read_file(path, &buf, &len, err, errlen);
	if (!rc)
		rc = template_load_string(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

void template_free(struct template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_prompts; i++) {
		struct prompt *p = &t->prompts[i];

		free(p->id);
		free(p->title);
		free(p->text);
		free(p->tally);
		options_free(p->options, p->n_options);
	}
	free(t->prompts);
	for (size_t i = 0; i < t->n_sections; i++) {
		free(t->sections[i].id);
		free(t->sections[i].title);
	}
	free(t->sections);
	for (size_t i = 0; i < t->n_followups; i++) {
		struct followup *f = &t->followups[i];

		free(f->id);
		free(f->title);
		free(f->text);
		for (size_t o = 0; o < f->n_outcomes; o++) {
			free(f->outcomes[o].id);
			free(f->outcomes[o].label);
		}
		free(f->outcomes);
	}
	free(t->followups);
	free(t->id);
	free(t->title);
	free(t->description);
	free(t->presenters);
	free(t);
}

long template_prompt_index(const struct template *t, const char *id)
{
	if (!t || !id)
		return -1;
	for (size_t i = 0; i < t->n_prompts; i++) {
		if (t->prompts[i].id && strcmp(t->prompts[i].id, id) == 0)
			return (long)i;
	}
	return -1;
}

const struct prompt *template_prompt(const struct template *t, const char *id)
{
	long i = template_prompt_index(t, id);

	return i < 0 ? NULL : &t->prompts[i];
}

const struct followup *template_followup(const struct template *t, const char *id)
{
	for (size_t i = 0; t && id && i < t->n_followups; i++) {
		if (strcmp(t->followups[i].id, id) == 0)
			return &t->followups[i];
	}
	return NULL;
}

long template_option_find(const struct prompt *p, const char *text)
{
	const char *s, *e;
	size_t len, chars = 0;
	long found = -1;

	if (!p || !text)
		return -1;
	s = text;
	while (*s && is_space(*s))
		s++;
	e = s + strlen(s);
	while (e > s && is_space(e[-1]))
		e--;
	len = (size_t)(e - s);
	if (len == 0)
		return -1;
	for (size_t i = 0; i < p->n_options; i++) {
		const char *label = p->options[i].label;
		if (strlen(label) == len && ascii_ieq(label, s, len))
			return (long)i;
	}
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			chars++;
	}
	if (chars < 3)
		return -1;
	for (size_t i = 0; i < p->n_options; i++) {
		const char *label = p->options[i].label;
		if (strlen(label) < len || !ascii_ieq(label, s, len))
			continue;
		if (found >= 0)
			return -1;
		found = (long)i;
	}
	return found;
}

/* ---- template sets ------------------------------------------------------------------ */

/* ---- a directory of templates ------------------------------------------------------ */

#define TPL_MAX_FILES    1000           /* templates per directory */

static int is_json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int template_set_load(const char *dir, struct template_set *out, char *err, size_t errlen)
{
	struct dirent **names = NULL;
	struct template_set set = { NULL, 0 };
	char *path = NULL;
	char *buf = NULL;
	int n, rc = 0;

	out->items = NULL;
	out->n = 0;
	n = scandir(dir, &names, is_json_file, name_cmp);
	if (n < 0) {
		rc = bot_fail(err, errlen, BOT_ERR_IO, "%s: cannot read template directory: %s",
			      dir, strerror(errno));
		n = 0;
		goto out;
	}
	if (n == 0) {
		rc = bot_fail(err, errlen, BOT_ERR_NOT_FOUND, "%s: expected at least one *.json "
			      "template", dir);
		goto out;
	}
	if (n > TPL_MAX_FILES) {
		rc = bot_fail(err, errlen, BOT_ERR_TEMPLATE, "%s: expected at most %d *.json "
			      "templates, got %d", dir, TPL_MAX_FILES, n);
		goto out;
	}
	set.items = calloc((size_t)n, sizeof(*set.items));
	if (!set.items) {
		rc = bot_fail(err, errlen, BOT_ERR_NOMEM, "%s: out of memory", dir);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		size_t plen = strlen(dir) + 1 + strlen(names[i]->d_name) + 1;
		struct template *t;
		size_t len;

		free(path);
		free(buf);
		buf = NULL;
		path = malloc(plen);
		if (!path) {
			rc = bot_fail(err, errlen, BOT_ERR_NOMEM, "%s: out of memory", dir);
			goto out;
		}
		snprintf(path, plen, "%s/%s", dir, names[i]->d_name);
		rc = read_file(path, &buf, &len, err, errlen);
		if (!rc)
			rc = template_load_string(buf, len, path, &t, err, errlen);
		if (rc)
			goto out;
		set.items[set.n++] = t;
		for (size_t j = 0; j + 1 < set.n; j++) {
			struct path_elem id = { "id", 0 };
			struct loader l = { .name = path, .buf = buf, .len = len, .err = err,
					    .errlen = errlen, .path = { id }, .depth = 1 };
			char q[QUOTE_BUF];

			if (strcmp(set.items[j]->id, t->id) != 0)
				continue;
			rc = fail_at(&l, AT_VALUE, "expected a template id not used by another "
				     "template, got %s (also %s/%s)", quote(q, sizeof(q), t->id),
				     dir, names[j]->d_name);
			goto out;
		}
	}
	*out = set;
	set.items = NULL;
	set.n = 0;
out:
	template_set_free(&set);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	free(buf);
	return rc;
}

void template_set_free(struct template_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		template_free(set->items[i]);
	free(set->items);
	set->items = NULL;
	set->n = 0;
}

const struct template *template_set_find(const struct template_set *set, const char *id)
{
	if (!set || !id)
		return NULL;
	for (size_t i = 0; i < set->n; i++) {
		if (strcmp(set->items[i]->id, id) == 0)
			return set->items[i];
	}
	return NULL;
}
