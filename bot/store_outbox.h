/* store_outbox.h - messages waiting to be sent, written in the same transaction as the
 * change that caused them, so a crash can neither lose nor invent a message. */
#ifndef WORKSHOPBOT_STORE_OUTBOX_H
#define WORKSHOPBOT_STORE_OUTBOX_H

#include <stdint.h>

#include "store.h"

enum outbox_kind {
	OUTBOX_POST,       /* a message in the channel (or thread) for everyone */
	OUTBOX_PRIVATE,    /* a reply only visible_to should see, where the chat can */
	OUTBOX_CONFIRM,    /* confirms target_ref (an answer): a reaction where the chat has
	                      them, else the text */
	OUTBOX_UPDATE,     /* replaces the text of a question post (session_id, prompt_index) */
	OUTBOX_FORM,       /* opens a form for visible_to; target_ref is the transport's
	                      trigger; body is a form spec (forms.h), not a message */
	OUTBOX_DIRECT,     /* a message to one person by direct message: channel is the
	                      person's user id; when read back for sending, target_ref is
	                      the direct channel already opened to them (NULL: none yet) */
};

/* A message to queue, or (borrowed strings, valid only during a callback) one queued. */
struct outbox_rec {
	int64_t id;                /* set when read back */
	enum outbox_kind kind;
	const char *transport;
	const char *channel;
	const char *thread;        /* NULL: post in the channel */
	const char *body;          /* msg_to_json() form; a form spec for OUTBOX_FORM */
	const char *visible_to;    /* OUTBOX_PRIVATE / OUTBOX_FORM: the user */
	const char *target_ref;    /* OUTBOX_CONFIRM / OUTBOX_FORM / OUTBOX_UPDATE */
	int64_t session_id;        /* 0 unless the message is about a session's question */
	long prompt_index;         /* -1 unless it posts or updates a question */
	int attempts;              /* sends tried so far */
};

const char *outbox_kind_name(enum outbox_kind kind);

/* Queues a message (rec->id and rec->attempts are ignored); store_last_id() is then
 * its id. */
int store_outbox_put(struct store *s, const struct outbox_rec *rec, int64_t now);

/* Records that queued message outbox_id is about action item action_id (a reminder). */
int store_outbox_add_action(struct store *s, int64_t outbox_id, int64_t action_id);

/* The action items the sent message with the transport's id remote_ref in channel (for a
 * direct message: the person's direct channel) is about: up to max ids into ids (lowest
 * first), their total count into *n (0: not such a message). */
int store_outbox_actions_of(struct store *s, const char *transport, const char *channel,
			    const char *remote_ref, int64_t *ids, size_t max, size_t *n);

/* Calls fn for at most limit pending messages of a transport after after_id (0: all),
 * oldest first. */
int store_outbox_each_pending(struct store *s, const char *transport, int64_t after_id,
			      int limit, int (*fn)(void *ud, const struct outbox_rec *m), void *ud);

/* Marks a message sent, with the transport's id for it (may be NULL); for a question
 * post the id is also recorded on the session's prompt. */
int store_outbox_mark_sent(struct store *s, int64_t id, const char *remote_ref, int64_t now);

/* Gives up on a message: it stays in the table with its error, never sent again. */
int store_outbox_mark_failed(struct store *s, int64_t id, const char *error, int64_t now);

/* Counts one more send attempt of a message. */
int store_outbox_count_attempt(struct store *s, int64_t id);

/* The transport's id of the post of a session's question, into buf ("" if unknown). */
int store_prompt_ref(struct store *s, int64_t session_id, long prompt_index, char *buf,
		     size_t len);

#endif
