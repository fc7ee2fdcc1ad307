#include "bot/matrix_text.h"

#include <stdlib.h>
#include <string.h>

#include "bot/buf.h"

/* U+2060 WORD JOINER: invisible, and "@\u2060room" is no room mention. */
#define WORD_JOINER "\xe2\x81\xa0"

/* Appends s, HTML-escaped when html is set (the bot's own words too: usage lines hold
 * "<what>"), and with "@room" broken when defuse is set (user text). */
static void put_text(struct buf *b, const char *s, bool html, bool defuse)
{
	static const struct { char c; const char *entity; } escapes[] = {
		{ '<', "&lt;" }, { '>', "&gt;" }, { '&', "&amp;" }, { '"', "&quot;" },
		{ '\n', "<br>" },
	};

	for (; *s; s++) {
		const char *entity = NULL;
		for (size_t i = 0; html && i < sizeof escapes / sizeof escapes[0]; i++)
			if (*s == escapes[i].c)
				entity = escapes[i].entity;
		if (entity) {
			buf_puts(b, entity);
		} else if (defuse && *s == '@' && strncmp(s + 1, "room", 4) == 0) {
			buf_putc(b, '@');
			buf_puts(b, WORD_JOINER);
		} else {
			buf_putc(b, *s);
		}
	}
}

static char *render(const struct msg *m, bool html)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < m->n; i++) {
		const struct span *sp = &m->spans[i];
		const char *open = html && sp->kind == SPAN_BOLD ? "<b>" :
				   html && sp->kind == SPAN_CODE ? "<code>" : "";
		const char *close = html && sp->kind == SPAN_BOLD ? "</b>" :
				    html && sp->kind == SPAN_CODE ? "</code>" : "";

		buf_puts(&b, open);
		/* The bot's "@" before a user's "room" (e.g. "owner @" + "room") makes "@room"
		 * across two spans: break that too. */
		if (sp->kind == SPAN_USER && b.len > 0 && b.data && b.data[b.len - 1] == '@' &&
		    strncmp(sp->text, "room", 4) == 0)
			buf_puts(&b, WORD_JOINER);
		put_text(&b, sp->text, html, sp->kind == SPAN_USER);
		buf_puts(&b, close);
	}
	return buf_take(&b);
}

char *matrix_render_html(const struct msg *m)
{
	return render(m, true);
}

char *matrix_render_body(const struct msg *m)
{
	return render(m, false);
}

json_t *matrix_notice_content(const struct msg *m)
{
	char *body = matrix_render_body(m);
	char *html = matrix_render_html(m);
	json_t *content = NULL;

	if (body && html)
		content = json_pack("{s:s, s:s, s:s, s:s, s:{}}", "msgtype", "m.notice", "body", body,
				    "format", "org.matrix.custom.html", "formatted_body", html,
				    "m.mentions");
	free(body);
	free(html);
	return content;
}

json_t *matrix_direct_room_body(const char *user)
{
	return json_pack("{s:b, s:[s], s:s}", "is_direct", 1, "invite", user, "preset",
			 "trusted_private_chat");
}
