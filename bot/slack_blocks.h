/* slack_blocks.h - Web API request bodies built from outbox messages: posts (with the
 * buttons of a question post), ephemeral replies, updates, and modals from form specs. */
#ifndef WORKSHOPBOT_SLACK_BLOCKS_H
#define WORKSHOPBOT_SLACK_BLOCKS_H

#include <jansson.h>
#include <stdbool.h>

#include "bot/store_outbox.h"

/* Slack's limit for a message's text, with room to spare; longer posts are split. */
#define SLACK_TEXT_MAX 39000

/* The chat.postMessage body for one part of a message (text is mrkdwn). With question
 * set it carries the Answer / Next / Skip buttons of question rec->prompt_index (Answer
 * on the action-items question opens the action-item form). New reference; NULL on OOM. */
json_t *slack_post_body(const struct outbox_rec *rec, const char *text, bool question);

/* The chat.update body replacing a question post's text (buttons removed). */
json_t *slack_update_body(const struct outbox_rec *rec, const char *text);

/* The chat.postEphemeral body. */
json_t *slack_ephemeral_body(const struct outbox_rec *rec, const char *text);

/* The views.open body for a form spec (handlers/forms.h), or NULL with one line in err
 * when the spec is not one. */
/* conversations.open for the 1:1 IM channel with user. */
json_t *slack_open_im_body(const char *user);

json_t *slack_modal_body(const struct outbox_rec *rec, char *err, size_t errlen);

#endif
