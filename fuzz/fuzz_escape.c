/* fuzz_escape.c - a message of the bot's words, user text and mentions, rendered for
 * Slack (mrkdwn) and Matrix (body + HTML), with the invariant that nothing a user wrote
 * becomes markup or a mention:
 *   Slack: no '<' but the bot's <@U…> mentions of valid ids (so no <!here>, no links),
 *          and every '&' starts &amp;, &lt; or &gt;;
 *   Matrix: formatted_body has no tag but <b>, <code>, <br> and pills of valid ids, no
 *          entity but the four the renderer writes, and neither the body nor the text
 *          of formatted_body holds "@room" (push rules match it case-insensitively).
 * Input: chunks separated by NUL bytes; a chunk's first byte picks what it adds. */
#include "fuzz/fuzz.h"

#include <ctype.h>
#include <stdbool.h>
#include <strings.h>

#include "bot/matrix_text.h"
#include "bot/msg.h"
#include "bot/slack_text.h"

/* The bot's own words, as handlers write them around user text. */
static const char *const words[] = {
	"Answered by ", "owner @", "Question 1 of 22", "!ws next", "action <what> [@owner]",
	"\n", " & ", "@", ": ", "",
};
#define N_WORDS (sizeof words / sizeof words[0])

static void add_chunk(struct msg *m, const char *chunk)
{
	unsigned char c = (unsigned char)chunk[0];
	const char *rest = chunk + 1;
	const char *word = words[(c / 4) % N_WORDS];

	switch (c % 4) {
	case 0:
		msg_user(m, rest);
		break;
	case 1: {
		/* "ID|NAME"; without a bar the whole rest is both. */
		const char *bar = strchr(rest, '|');
		char *id = strndup(rest, bar ? (size_t)(bar - rest) : strlen(rest));
		if (id)
			msg_mention(m, id, bar ? bar + 1 : rest);
		free(id);
		break;
	}
	case 2:
		msg_text(m, "%s", word);
		break;
	default:
		if (c & 0x80)
			msg_bold(m, "%s", word);
		else
			msg_code(m, "%s", word);
		break;
	}
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Length of an entity at s among the NULL-terminated list, or 0. */
static size_t entity_at(const char *s, const char *const *entities)
{
	for (; *entities; entities++)
		if (starts(s, *entities))
			return strlen(*entities);
	return 0;
}

static bool has_room(const char *s)
{
	for (; *s; s++)
		if (strncasecmp(s, "@room", 5) == 0)
			return true;
	return false;
}

static void check_slack(const char *s)
{
	static const char *const entities[] = { "&amp;", "&lt;", "&gt;", NULL };

	for (const char *p = s; *p;) {
		if (*p == '<') {
			const char *id = p + 2;
			size_t n = 0;
			FUZZ_CHECK(p[1] == '@' && (id[0] == 'U' || id[0] == 'W'),
				   "slack: '<' that is not a mention");
			while (isupper((unsigned char)id[1 + n]) || isdigit((unsigned char)id[1 + n]))
				n++;
			FUZZ_CHECK(n >= 1 && id[1 + n] == '>', "slack: mention of an invalid id");
			p = id + n + 2;
		} else if (*p == '&') {
			size_t n = entity_at(p, entities);
			FUZZ_CHECK(n > 0, "slack: '&' that is not an entity");
			p += n;
		} else {
			p++;
		}
	}
}

/* Checks the tags and entities of html and writes its text (tags dropped, entities
 * decoded, <br> as a line break) into text, which has room for strlen(html) + 1 bytes. */
static void check_html(const char *html, char *text)
{
	static const char *const tags[] = { "<b>", "</b>", "<code>", "</code>", "<br>", "</a>",
					    NULL };
	static const char *const entities[] = { "&lt;", "&gt;", "&amp;", "&quot;", NULL };
	static const char pill[] = "<a href=\"https://matrix.to/#/@";
	size_t used = 0;

	for (const char *p = html; *p;) {
		size_t n;
		if (*p == '<' && starts(p, pill)) {
			const char *id = p + strlen(pill);
			n = strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789._=/+-:[]");
			FUZZ_CHECK(n > 0 && memchr(id, ':', n) && starts(id + n, "\">"),
				   "matrix: pill of an invalid id");
			p = id + n + 2;
		} else if (*p == '<') {
			n = entity_at(p, tags);
			FUZZ_CHECK(n > 0, "matrix: a tag the bot does not write");
			if (starts(p, "<br>"))
				text[used++] = '\n';
			p += n;
		} else if (*p == '&') {
			n = entity_at(p, entities);
			FUZZ_CHECK(n > 0, "matrix: '&' that is not an entity");
			text[used++] = p[1] == 'l' ? '<' : p[1] == 'g' ? '>' : p[1] == 'a' ? '&' : '"';
			p += n;
		} else {
			text[used++] = *p++;
		}
	}
	text[used] = '\0';
}

static void check_matrix(const struct msg *m)
{
	char *body = matrix_render_body(m);
	char *html = matrix_render_html(m);
	char *text = html ? malloc(strlen(html) + 1) : NULL;

	if (body)
		FUZZ_CHECK(!has_room(body), "matrix: live @room in body");
	if (text) {
		check_html(html, text);
		FUZZ_CHECK(!has_room(text), "matrix: live @room in formatted_body");
	}
	free(text);
	free(html);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m, back;
	char *slack, *json;

	msg_init(&m);
	for (size_t i = 0; i < size;) {
		const uint8_t *nul = memchr(data + i, 0, size - i);
		size_t n = nul ? (size_t)(nul - (data + i)) : size - i;
		char *chunk = fuzz_cstr(data + i, n);
		if (chunk && n > 0)
			add_chunk(&m, chunk);
		free(chunk);
		i += n + 1;
	}
	slack = slack_render_mrkdwn(&m);
	if (slack)
		check_slack(slack);
	check_matrix(&m);
	/* The outbox keeps messages as JSON: what comes back renders the same. */
	json = msg_to_json(&m);
	if (json && msg_from_json(json, &back) == 0) {
		char *again = slack_render_mrkdwn(&back);
		FUZZ_CHECK(!slack || !again || strcmp(slack, again) == 0, "outbox round trip");
		free(again);
		msg_free(&back);
	}
	free(json);
	free(slack);
	msg_free(&m);
	return 0;
}
