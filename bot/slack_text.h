/* slack_text.h - Slack's message text: what arrives (entities, <@U…> mentions, links)
 * made plain, and what the bot sends rendered as mrkdwn with every user text escaped. */
#ifndef WORKSHOPBOT_SLACK_TEXT_H
#define WORKSHOPBOT_SLACK_TEXT_H

#include "bot/msg.h"

/* The text a person typed, from Slack's wire form: &amp; &lt; &gt; decoded, <@U123> and
 * <@U123|name> as @U123, <#C123|general> as #general, <!here> as @here, <url|label> as
 * "label (url)", <url> as url. If bot_user is not NULL, a mention of the bot is removed
 * and *mentioned says whether there was one. Returns a malloc'd string (caller frees) or
 * NULL on out-of-memory. */
char *slack_text_from_wire(const char *text, const char *bot_user, bool *mentioned);

/* mrkdwn for chat.postMessage: the bot's words and user text with &, < and > escaped (so
 * no <!channel> or <@U…> in an answer can ping anyone), bold as *…*, code as `…`.
 * Returns a malloc'd string (caller frees) or NULL on out-of-memory. */
char *slack_render_mrkdwn(const struct msg *m);

/* Escapes &, < and > of s into a malloc'd string (plain_text fields need none, mrkdwn
 * does). NULL on out-of-memory. */
char *slack_escape(const char *s);

#endif
