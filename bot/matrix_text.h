/* matrix_text.h - a message as Matrix content: an m.notice with a plain body and an HTML
 * formatted_body. Everything a user wrote is HTML-escaped, and "@room" (in any case, also
 * where a user's text and a name or the bot's words meet) is broken with a word joiner so
 * it never notifies a room from the bot's message. */
#ifndef WORKSHOPBOT_MATRIX_TEXT_H
#define WORKSHOPBOT_MATRIX_TEXT_H

#include <jansson.h>

#include "bot/msg.h"

/* The content of an m.notice for m (new reference, NULL on out-of-memory): msgtype,
 * body, format org.matrix.custom.html, formatted_body, and an empty m.mentions (the bot
 * mentions nobody). */
json_t *matrix_notice_content(const struct msg *m);

/* The HTML of m alone (malloc'd, caller frees; NULL on out-of-memory). */
/* The POST /createRoom body of a direct room with user: invited, is_direct, the preset
 * trusted_private_chat (both get the same power). */
json_t *matrix_direct_room_body(const char *user);

char *matrix_render_html(const struct msg *m);

/* The plain body of m (malloc'd, caller frees; NULL on out-of-memory). */
char *matrix_render_body(const struct msg *m);

#endif
