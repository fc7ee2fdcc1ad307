/* slack_blocks.h - Web API request bodies built from outbox messages: posts (with the
 * buttons of a question post), ephemeral replies, updates, and modals from form specs. */
#ifndef WORKSHOPBOT_SLACK_BLOCKS_H
#define WORKSHOPBOT_SLACK_BLOCKS_H

#include <jansson.h>
#include <stdbool.h>

#include "bot/store_outbox.h"

/* Slack's limit for a message's text, with room to spare; longer posts are split. */
#define SLACK_TEXT_MAX 39000

/* The chat.postMessage body for one part of a message (text is mrkdwn). A question post
 * (rec->prompt_index >= 0, kind post) carries Answer / Next / Skip buttons, and an
 * action-items question an "Add action item" button. New reference; NULL on OOM. */
json_t *slack_post_body(const struct outbox_rec *rec, const char *text, bool question,
			bool action_items);

/* The chat.update body replacing a question post's text (buttons removed). */
json_t *slack_update_body(const struct outbox_rec *rec, const char *text);

/* The chat.postEphemeral body. */
json_t *slack_ephemeral_body(const struct outbox_rec *rec, const char *text);

/* The views.open body for a form spec (handlers/forms.h), or NULL with one line in err
 * when the spec is not one. */
json_t *slack_modal_body(const struct outbox_rec *rec, char *err, size_t errlen);

#endif
