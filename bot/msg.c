#include "msg.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"

void msg_init(struct msg *m)
{
	memset(m, 0, sizeof *m);
}

void msg_free(struct msg *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->spans[i].text);
		free(m->spans[i].ref);
	}
	free(m->spans);
	memset(m, 0, sizeof *m);
}

/* Appends text as a span of kind, merging with the last span when it has the same kind. */
static void append(struct msg *m, enum span_kind kind, const char *text, size_t len)
{
	struct span *last = m->n ? &m->spans[m->n - 1] : NULL;

	if (m->failed || len == 0)
		return;
	if (last && last->kind == kind && kind != SPAN_MENTION) {
		size_t old = strlen(last->text);
		char *grown = realloc(last->text, old + len + 1);
		if (!grown) {
			m->failed = true;
			return;
		}
		memcpy(grown + old, text, len);
		grown[old + len] = '\0';
		last->text = grown;
		return;
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct span *spans = realloc(m->spans, cap * sizeof *spans);
		if (!spans) {
			m->failed = true;
			return;
		}
		m->spans = spans;
		m->cap = cap;
	}
	m->spans[m->n].text = strndup(text, len);
	if (!m->spans[m->n].text) {
		m->failed = true;
		return;
	}
	m->spans[m->n].kind = kind;
	m->spans[m->n].ref = NULL;
	m->n++;
}

__attribute__((format(printf, 3, 0)))
static void append_vfmt(struct msg *m, enum span_kind kind, const char *fmt, va_list ap)
{
	char small[512];
	va_list copy;
	int len;

	va_copy(copy, ap);
	len = vsnprintf(small, sizeof small, fmt, ap);
	if (len < 0) {
		m->failed = true;
	} else if ((size_t)len < sizeof small) {
		append(m, kind, small, (size_t)len);
	} else {
		char *big = malloc((size_t)len + 1);
		if (big) {
			vsnprintf(big, (size_t)len + 1, fmt, copy);
			append(m, kind, big, (size_t)len);
			free(big);
		} else {
			m->failed = true;
		}
	}
	va_end(copy);
}

#define DEFINE_FMT_APPENDER(name, kind)                          \
	void name(struct msg *m, const char *fmt, ...)           \
	{                                                        \
		va_list ap;                                      \
		va_start(ap, fmt);                               \
		append_vfmt(m, kind, fmt, ap);                   \
		va_end(ap);                                      \
	}

DEFINE_FMT_APPENDER(msg_text, SPAN_TEXT)
DEFINE_FMT_APPENDER(msg_bold, SPAN_BOLD)
DEFINE_FMT_APPENDER(msg_code, SPAN_CODE)

void msg_user(struct msg *m, const char *text)
{
	append(m, SPAN_USER, text, strlen(text));
}

/* Appends a mention span; ref is copied. */
static void append_mention(struct msg *m, const char *text, size_t len, const char *ref)
{
	size_t n = m->n;
	char *copy = strdup(ref);

	if (!copy) {
		m->failed = true;
		return;
	}
	append(m, SPAN_MENTION, text, len);
	if (m->n == n + 1)
		m->spans[n].ref = copy;
	else
		free(copy);
}

void msg_mention(struct msg *m, const char *user_id, const char *name)
{
	size_t len = strlen(name) + 2;
	char *text = malloc(len);

	if (!text) {
		m->failed = true;
		return;
	}
	snprintf(text, len, "%s%s", name[0] == '@' ? "" : "@", name);
	append_mention(m, text, strlen(text), user_id);
	free(text);
}

char *msg_to_json(const struct msg *m)
{
	json_t *arr = json_array();
	char *out = NULL;

	if (!arr || m->failed)
		goto out;
	for (size_t i = 0; i < m->n; i++) {
		char kind[2] = { (char)m->spans[i].kind, '\0' };
		json_t *pair = m->spans[i].ref
			? json_pack("[sss]", kind, m->spans[i].text, m->spans[i].ref)
			: json_pack("[ss]", kind, m->spans[i].text);
		if (!pair || json_array_append_new(arr, pair) != 0)
			goto out;
	}
	out = json_dumps(arr, JSON_COMPACT);
out:
	json_decref(arr);
	return out;
}

static bool valid_kind(int c)
{
	return c == SPAN_TEXT || c == SPAN_BOLD || c == SPAN_CODE || c == SPAN_USER ||
	       c == SPAN_MENTION;
}

int msg_from_json(const char *json, struct msg *out)
{
	json_t *arr = json_loads(json, 0, NULL);
	size_t i;
	json_t *pair;
	int result = BOT_ERR_INVALID;

	msg_init(out);
	if (!json_is_array(arr))
		goto out;
	json_array_foreach(arr, i, pair) {
		const char *kind = json_string_value(json_array_get(pair, 0));
		json_t *text = json_array_get(pair, 1);
		const char *ref = json_string_value(json_array_get(pair, 2));
		bool mention = kind && strcmp(kind, "m") == 0;
		if (json_array_size(pair) != (mention ? 3u : 2u) || !kind || strlen(kind) != 1 ||
		    !valid_kind(kind[0]) || !json_is_string(text) || (mention && !ref))
			goto out;
		if (mention)
			append_mention(out, json_string_value(text), json_string_length(text), ref);
		else
			append(out, (enum span_kind)kind[0], json_string_value(text),
			       json_string_length(text));
	}
	result = out->failed ? BOT_ERR_NOMEM : 0;
out:
	if (result)
		msg_free(out);
	json_decref(arr);
	return result;
}

char *msg_render_plain(const struct msg *m)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < m->n; i++)
		buf_puts(&b, m->spans[i].text);
	return buf_take(&b);
}

/* Backslash-escapes every character Markdown could read as markup, and turns '<' and
 * '>' into entities so no HTML survives in renderers that allow it. */
static void put_markdown_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '\n')
			buf_puts(b, "  \n");
		else {
			if (strchr("\\`*_{}[]()#+-.!|~", *s))
				buf_putc(b, '\\');
			buf_putc(b, *s);
		}
	}
}

/* The bot's own text as is, but every line break made a Markdown hard break. */
static void put_markdown_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			buf_puts(b, "  ");
		buf_putc(b, *s);
	}
}

char *msg_render_markdown(const struct msg *m)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < m->n; i++) {
		const struct span *sp = &m->spans[i];
		switch (sp->kind) {
		case SPAN_BOLD:
			buf_puts(&b, "**");
			buf_puts(&b, sp->text);
			buf_puts(&b, "**");
			break;
		case SPAN_CODE:
			buf_puts(&b, "`");
			buf_puts(&b, sp->text);
			buf_puts(&b, "`");
			break;
		case SPAN_USER:
		case SPAN_MENTION:
			put_markdown_escaped(&b, sp->text);
			break;
		case SPAN_TEXT:
			put_markdown_text(&b, sp->text);
			break;
		}
	}
	return buf_take(&b);
}
