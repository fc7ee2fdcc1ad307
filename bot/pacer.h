/* pacer.h - outbound messages queued per channel: in order within a channel, one in
 * flight per channel, a gap between sends, and a channel held after a rate limit. A
 * transport adds items and reports each send's outcome; the pacer decides when to start
 * the next one (one uv_timer for all channels). Items in the immediate lane (forms,
 * reactions) start at once. */
#ifndef WORKSHOPBOT_PACER_H
#define WORKSHOPBOT_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct pacer;

struct pacer_item {
	int64_t id;             /* the outbox id */
	void *data;             /* the transport's request, freed through ops->drop */
	int failures;           /* retries so far (kept for the transport) */
	bool in_flight;
	uint64_t not_before;    /* immediate lane: loop time before which it is not retried */
	struct pacer_channel *channel;   /* NULL in the immediate lane */
	struct pacer_item *next, *prev;  /* the pacer's: its channel's queue, or the lane */
};

struct pacer_ops {
	/* Sends the item; its outcome comes back through pacer_done/retry/again. */
	void (*start)(void *ud, struct pacer_item *item);
	/* Frees item->data (the item is being removed). */
	void (*drop)(void *ud, struct pacer_item *item);
};

/* gap_ms: the pause after a send in one channel. Returns NULL on failure. */
struct pacer *pacer_new(uv_loop_t *loop, const struct pacer_ops *ops, void *ud,
			uint64_t gap_ms);

/* True if an item with this outbox id is queued or in flight. O(1). */
bool pacer_has(const struct pacer *p, int64_t id);

/* Queues data for channel (or the immediate lane when immediate). Returns 0, or
 * BOT_ERR_NOMEM (data is then not taken). */
int pacer_add(struct pacer *p, int64_t id, const char *channel, bool immediate, void *data);

/* The item's send finished (delivered or given up): it is removed (dropped). */
void pacer_done(struct pacer *p, struct pacer_item *item);
/* The item must be sent again after delay_ms; its channel waits until then. */
void pacer_retry(struct pacer *p, struct pacer_item *item, uint64_t delay_ms);
/* The item has another part to send: it goes again after the channel's gap. */
void pacer_again(struct pacer *p, struct pacer_item *item);

/* Sending on/off: while paused nothing starts (the queues are kept). */
void pacer_pause(struct pacer *p, bool paused);

/* True while any item is in flight. */
bool pacer_busy(const struct pacer *p);

/* The channel records kept: channels with items, and emptied ones still in their gap
 * (freed at the first call after it). For tests and statistics. */
size_t pacer_channel_count(const struct pacer *p);

/* Drops every item, closes the timer and frees p once closed (let the loop run). */
void pacer_free(struct pacer *p);

#endif
