#include "bot/slack_text.h"

#include <stdlib.h>
#include <string.h>

#include "bot/buf.h"

static void put_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		default: buf_putc(b, *s); break;
		}
	}
}

char *slack_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	put_escaped(&b, s);
	return buf_take(&b);
}

/* Bold or code around text whose lines each need the marks (mrkdwn ends them at a line
 * break). */
static void put_marked(struct buf *b, const char *s, char mark)
{
	const char *line = s;

	while (*line) {
		size_t n = strcspn(line, "\n");
		if (n) {
			char *piece = strndup(line, n);
			if (!piece) {
				b->failed = true;
				return;
			}
			buf_putc(b, mark);
			put_escaped(b, piece);
			buf_putc(b, mark);
			free(piece);
		}
		line += n;
		if (*line == '\n') {
			buf_putc(b, '\n');
			line++;
		}
	}
}

/* A Slack user id as users.info and events give it (U… or W…, upper case and digits):
 * only such an id becomes a <@…> mention, so a mention span can never carry markup. */
static bool slack_user_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 2 || n > 32 || (id[0] != 'U' && id[0] != 'W'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
			return false;
	return true;
}

char *slack_render_mrkdwn(const struct msg *m)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < m->n; i++) {
		const struct span *sp = &m->spans[i];
		switch (sp->kind) {
		case SPAN_BOLD: put_marked(&b, sp->text, '*'); break;
		case SPAN_CODE: put_marked(&b, sp->text, '`'); break;
		case SPAN_MENTION:
			if (slack_user_id(sp->ref)) {
				buf_puts(&b, "<@");
				buf_puts(&b, sp->ref);
				buf_putc(&b, '>');
				break;
			}
			put_escaped(&b, sp->text);
			break;
		case SPAN_USER:
		case SPAN_TEXT: put_escaped(&b, sp->text); break;
		}
	}
	return buf_take(&b);
}

/* Decodes one of Slack's three entities at s; returns its length or 0. */
static size_t put_entity(struct buf *b, const char *s)
{
	static const struct { const char *entity; char c; } entities[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
	};

	for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
		size_t n = strlen(entities[i].entity);
		if (strncmp(s, entities[i].entity, n) == 0) {
			buf_putc(b, entities[i].c);
			return n;
		}
	}
	return 0;
}

/* Writes n bytes of s with Slack's entities decoded: inside a <...> token too, Slack
 * sends & as &amp; (a URL's query string, a link's label). */
static void put_decoded(struct buf *b, const char *s, size_t n)
{
	static const struct { const char *entity; char c; } entities[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
	};

	for (size_t i = 0; i < n;) {
		size_t k, len = 0;
		for (k = 0; s[i] == '&' && k < sizeof entities / sizeof entities[0]; k++) {
			len = strlen(entities[k].entity);
			if (len <= n - i && strncmp(s + i, entities[k].entity, len) == 0)
				break;
		}
		if (s[i] == '&' && k < sizeof entities / sizeof entities[0]) {
			buf_putc(b, entities[k].c);
			i += len;
		} else {
			buf_putc(b, s[i++]);
		}
	}
}

/* Writes the plain form of one <...> token (inner is its content, n bytes). */
static void put_token(struct buf *b, const char *inner, size_t n, const char *bot_user,
		      bool *mentioned)
{
	const char *bar = memchr(inner, '|', n);
	size_t head = bar ? (size_t)(bar - inner) : n;

	if (inner[0] == '@') {
		if (bot_user && head - 1 == strlen(bot_user) &&
		    strncmp(inner + 1, bot_user, head - 1) == 0) {
			*mentioned = true;
			return;
		}
		put_decoded(b, inner, head);
	} else if (inner[0] == '#') {
		buf_putc(b, '#');
		if (bar)
			put_decoded(b, bar + 1, n - head - 1);
		else
			put_decoded(b, inner + 1, head - 1);
	} else if (inner[0] == '!') {
		/* <!here>, <!channel>, <!subteam^S1|@team>: the label, or @word. */
		if (bar) {
			put_decoded(b, bar + 1, n - head - 1);
		} else {
			buf_putc(b, '@');
			put_decoded(b, inner + 1, head - 1);
		}
	} else if (bar) {
		put_decoded(b, bar + 1, n - head - 1);
		buf_puts(b, " (");
		put_decoded(b, inner, head);
		buf_putc(b, ')');
	} else {
		put_decoded(b, inner, n);
	}
}

char *slack_text_from_wire(const char *text, const char *bot_user, bool *mentioned)
{
	struct buf b;
	bool dummy;
	const char *p = text;

	if (!mentioned)
		mentioned = &dummy;
	*mentioned = false;
	buf_init(&b, 0);
	while (*p) {
		const char *close;
		size_t n;
		if (*p == '&' && (n = put_entity(&b, p)) > 0) {
			p += n;
		} else if (*p == '<' && (close = strchr(p + 1, '>')) != NULL && close > p + 1) {
			put_token(&b, p + 1, (size_t)(close - p - 1), bot_user, mentioned);
			p = close + 1;
		} else {
			buf_putc(&b, *p++);
		}
	}
	return buf_take(&b);
}
