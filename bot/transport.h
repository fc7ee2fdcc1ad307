/* transport.h - a chat transport (console, Slack, Matrix) behind one table of functions.
 *
 * A transport turns what it receives into struct event and hands it to bot_event(); it
 * sends what the outbox gives it and reports delivery with bot_sent(). */
#ifndef WORKSHOPBOT_TRANSPORT_H
#define WORKSHOPBOT_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/msg.h"
#include "bot/store_outbox.h"

struct bot;
struct transport;

struct transport_ops {
	const char *name;     /* the transport's name in events and the store */
	/* Starts receiving. Returns 0 or a BOT_ERR_* code (logged by the transport). */
	int (*start)(struct transport *t);
	/* Stops receiving and closes every handle; the loop then runs out. Idempotent. */
	void (*stop)(struct transport *t);
	/* Sends one queued message (m is its body; NULL for OUTBOX_FORM, whose spec is
	 * rec->body). Returns 0 when accepted: the transport then calls bot_sent() once
	 * delivered (possibly before returning) or bot_failed() when it gives up. Non-zero
	 * leaves the message queued for the next flush. Borrowed arguments: copy what must
	 * outlive the call. Never called for a message the transport holds (below). */
	int (*send)(struct transport *t, const struct outbox_rec *rec, const struct msg *m);
	/* True while the transport holds the queued message outbox_id (accepted, not yet
	 * delivered or given up): a flush then skips it without reading its body. NULL for
	 * a transport that delivers before send returns. */
	bool (*holds)(const struct transport *t, int64_t outbox_id);
	/* The turn's writes were committed (ok) or lost: acknowledge or drop what was held
	 * back until then. NULL when the transport holds nothing back. */
	void (*committed)(struct transport *t, bool ok);
	/* Frees the transport after stop and after the loop has run out. */
	void (*free)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	struct bot *bot;
};

#endif
