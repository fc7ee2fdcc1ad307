/* msg.h - an outgoing message as spans of text, built by handlers, rendered per transport.
 *
 * Handlers never write markup: they add spans that say what the text is (the bot's own
 * words, emphasis, a command, or something a user wrote), and each transport renders
 * them with its own escaping (console: plain; export: Markdown; Slack: mrkdwn; Matrix:
 * HTML). User text can therefore never become live markup or a mention. */
#ifndef WORKSHOPBOT_MSG_H
#define WORKSHOPBOT_MSG_H

#include <stdbool.h>
#include <stddef.h>

enum span_kind {
	SPAN_TEXT = 't',   /* the bot's own words */
	SPAN_BOLD = 'b',   /* the bot's own words, emphasised */
	SPAN_CODE = 'c',   /* a command or literal, e.g. "!ws next" */
	SPAN_USER = 'u',   /* anything a user wrote: always escaped */
	SPAN_MENTION = 'm',  /* a person to notify: text is how the console and exports
	                        show them ("@bob"), ref their user id; a chat renders a
	                        real mention where ref is one of its ids, else the text */
};

struct span {
	enum span_kind kind;
	char *text;
	char *ref;         /* SPAN_MENTION: the user id; NULL for the other kinds */
};

struct msg {
	struct span *spans;
	size_t n;
	size_t cap;
	bool failed;       /* an allocation failed; the message is incomplete */
};

/* Appending never fails loudly: on out-of-memory msg->failed is set and later appends
 * are ignored, so handlers build a message without checking each call. */
void msg_init(struct msg *m);
void msg_free(struct msg *m);
void msg_text(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_bold(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_code(struct msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void msg_user(struct msg *m, const char *text);
/* A mention of user_id, shown as "@name" ("@" is not doubled for a name that starts with
 * one, such as a Matrix id). */
void msg_mention(struct msg *m, const char *user_id, const char *name);

/* Serialises to the compact JSON kept in the outbox: [["t","Hello "],["u","alice"]]; a
 * mention has its user id third: ["m","@bob","U123"].
 * Returns a malloc'd string (caller frees) or NULL on out-of-memory. */
char *msg_to_json(const struct msg *m);

/* Parses what msg_to_json wrote. Returns 0, or BOT_ERR_INVALID for any other shape. */
int msg_from_json(const char *json, struct msg *out);

/* Renderings. Each returns a malloc'd string (caller frees) or NULL on out-of-memory. */
char *msg_render_plain(const struct msg *m);      /* console: text as is */
char *msg_render_markdown(const struct msg *m);   /* export: user text escaped */

#endif
