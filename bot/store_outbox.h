/* store_outbox.h - messages waiting to be sent, written in the same transaction as the
 * change that caused them, so a crash can neither lose nor invent a message. */
#ifndef WORKSHOPBOT_STORE_OUTBOX_H
#define WORKSHOPBOT_STORE_OUTBOX_H

#include <stdint.h>

#include "store.h"

/* Borrowed strings, valid only during the callback. */
struct outbox_rec {
	int64_t id;
	const char *transport;
	const char *channel;
	const char *thread;      /* NULL: post in the channel */
	const char *body;        /* msg_to_json() form */
	int64_t session_id;      /* 0 when the message is not a session's question */
	long prompt_index;       /* -1 unless the message posts a question */
};

/* Queues a message. session_id/prompt_index mark a question post (0/-1 otherwise), so
 * that the transport's id for it can be recorded when it is sent. */
int store_outbox_put(struct store *s, const char *transport, const char *channel,
		     const char *thread, const char *body, int64_t session_id,
		     long prompt_index, int64_t now);

/* Calls fn for at most limit pending messages of a transport, oldest first. */
int store_outbox_each_pending(struct store *s, const char *transport, int limit,
			      int (*fn)(void *ud, const struct outbox_rec *m), void *ud);

/* Marks a message sent, with the transport's id for it (may be NULL); for a question
 * post the id is also recorded on the session's prompt. */
int store_outbox_mark_sent(struct store *s, int64_t id, const char *remote_ref, int64_t now);

#endif
