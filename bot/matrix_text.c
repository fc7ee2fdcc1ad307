#include "bot/matrix_text.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot/buf.h"

/* U+2060 WORD JOINER: invisible, and "@roo\u2060m" is no room mention. */
#define WORD_JOINER "\xe2\x81\xa0"

/* Appends s, HTML-escaped when html is set (the bot's own words too: usage lines hold
 * "<what>"). shown holds the last four characters shown so far (tags do not count):
 * "@room" is broken with a word joiner before its "m" wherever its first letters came
 * from (a user's text, a display name, the bot's "owner @"), and in any case, as push
 * rules match it case-insensitively. The bot never means to notify a whole room. */
static void put_text(struct buf *b, const char *s, bool html, char shown[4])
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
		if ((*s == 'm' || *s == 'M') && strncasecmp(shown, "@roo", 4) == 0)
			buf_puts(b, WORD_JOINER);
		memmove(shown, shown + 1, 3);
		shown[3] = *s;
		if (entity)
			buf_puts(b, entity);
		else
			buf_putc(b, *s);
	}
}

/* A Matrix user id (@localpart:server) of the characters the spec allows (the
 * historical ones too, but never a quote, '<', '&' or space): only such an id becomes a
 * pill, so a mention span can never carry markup. */
static bool matrix_user_id(const char *id)
{
	const char *colon = id ? strchr(id, ':') : NULL;

	if (!colon || id[0] != '@' || colon == id + 1 || !colon[1] || strlen(id) > 255)
		return false;
	for (const char *p = id + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._=/+-:[]", *p)))
			return false;
	return true;
}

static char *render(const struct msg *m, bool html)
{
	struct buf b;
	char shown[4] = { 0 };

	buf_init(&b, 0);
	for (size_t i = 0; i < m->n; i++) {
		const struct span *sp = &m->spans[i];
		const char *open = html && sp->kind == SPAN_BOLD ? "<b>" :
				   html && sp->kind == SPAN_CODE ? "<code>" : "";
		const char *close = html && sp->kind == SPAN_BOLD ? "</b>" :
				    html && sp->kind == SPAN_CODE ? "</code>" : "";

		if (html && sp->kind == SPAN_MENTION && matrix_user_id(sp->ref)) {
			buf_puts(&b, "<a href=\"https://matrix.to/#/");
			buf_puts(&b, sp->ref);
			buf_puts(&b, "\">");
			put_text(&b, sp->text, true, shown);
			buf_puts(&b, "</a>");
			continue;
		}
		buf_puts(&b, open);
		put_text(&b, sp->text, html, shown);
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

/* The m.mentions of a message: the users of its mention spans (intentional mentions, so
 * nothing else in the text notifies anyone). */
static json_t *mentions_of(const struct msg *m)
{
	json_t *ids = json_array();

	for (size_t i = 0; ids && i < m->n; i++)
		if (m->spans[i].kind == SPAN_MENTION && matrix_user_id(m->spans[i].ref) &&
		    json_array_append_new(ids, json_string(m->spans[i].ref)) != 0) {
			json_decref(ids);
			return NULL;
		}
	if (!ids || json_array_size(ids) > 0)
		return ids ? json_pack("{s:o}", "user_ids", ids) : NULL;
	json_decref(ids);
	return json_object();
}

json_t *matrix_notice_content(const struct msg *m)
{
	char *body = matrix_render_body(m);
	char *html = matrix_render_html(m);
	json_t *mentions = mentions_of(m);
	json_t *content = NULL;

	if (body && html && mentions)
		content = json_pack("{s:s, s:s, s:s, s:s, s:O}", "msgtype", "m.notice", "body", body,
				    "format", "org.matrix.custom.html", "formatted_body", html,
				    "m.mentions", mentions);
	json_decref(mentions);
	free(body);
	free(html);
	return content;
}

json_t *matrix_direct_room_body(const char *user)
{
	return json_pack("{s:b, s:[s], s:s}", "is_direct", 1, "invite", user, "preset",
			 "trusted_private_chat");
}
