/* pacer.c - the cost of each call does not grow with the number of channels:
 *  - a min-heap of what waits to start, by loop time: a channel whose head is queued and
 *    not in flight (at its not_before), and an immediate-lane item not in flight (at its
 *    not_before); a channel with an empty queue or a head in flight is not in it;
 *  - channel records by id in a hash map; a channel whose queue empties goes on the idle
 *    list (in the order of its not_before, which is when it emptied + the gap) and is
 *    freed once its gap has passed: a fresh record would behave the same from then on;
 *  - the outbox ids held, in a hash map (id -> how many items have it), for pacer_has.
 * pump() starts what is due from the top of the heap: O(log n) per start. */
#include "bot/pacer.h"

#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/hashmap.h"

struct pacer_channel {
	char *id;
	struct pacer_item *head, *tail;
	uint64_t not_before;     /* loop time (ms) before which nothing starts here */
	bool waiting;            /* in the heap */
	bool idle;               /* on the idle list (the queue is empty) */
	struct pacer_channel *idle_prev, *idle_next;
};

/* A heap entry: channel c's head, or lane item it, may start at when. */
struct wait {
	uint64_t when;
	uint64_t seq;            /* ties start in the order they began to wait */
	struct pacer_channel *c;
	struct pacer_item *it;
};

struct pacer {
	uv_timer_t timer;
	const struct pacer_ops *ops;
	void *ud;
	uint64_t gap_ms;
	bool paused;
	bool pumping;            /* inside pump(): a nested call returns at once */
	struct hashmap *channels;        /* id -> struct pacer_channel */
	struct hashmap *held;            /* outbox id (int64_t) -> count, as uintptr_t */
	struct wait *heap;
	size_t n_heap, cap_heap;         /* cap_heap >= n_items: pushes cannot fail */
	uint64_t seq;
	size_t n_items;
	size_t n_in_flight;
	struct pacer_item *lane;         /* the immediate lane */
	struct pacer_channel *idle_head, *idle_tail;
};

static void on_timer(uv_timer_t *t);
static void pump(struct pacer *p);

struct pacer *pacer_new(uv_loop_t *loop, const struct pacer_ops *ops, void *ud,
			uint64_t gap_ms)
{
	struct pacer *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	p->channels = hashmap_new();
	p->held = hashmap_new();
	if (!p->channels || !p->held) {
		hashmap_free(p->channels);
		hashmap_free(p->held);
		free(p);
		return NULL;
	}
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	p->ops = ops;
	p->ud = ud;
	p->gap_ms = gap_ms;
	return p;
}

/* ---- the heap ------------------------------------------------------------------------ */

static bool before(const struct wait *a, const struct wait *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

/* Room for one more item's entry; called before an item is added. */
static int heap_reserve(struct pacer *p, size_t items)
{
	struct wait *h;
	size_t cap;

	if (items <= p->cap_heap)
		return 0;
	cap = p->cap_heap ? p->cap_heap * 2 : 64;
	h = realloc(p->heap, cap * sizeof *h);
	if (!h)
		return BOT_ERR_NOMEM;
	p->heap = h;
	p->cap_heap = cap;
	return 0;
}

static void heap_push(struct pacer *p, uint64_t when, struct pacer_channel *c,
		      struct pacer_item *it)
{
	struct wait w = { .when = when, .seq = p->seq++, .c = c, .it = it };
	size_t i = p->n_heap++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(&w, &p->heap[parent]))
			break;
		p->heap[i] = p->heap[parent];
		i = parent;
	}
	p->heap[i] = w;
}

static struct wait heap_pop(struct pacer *p)
{
	struct wait top = p->heap[0];
	struct wait last = p->heap[--p->n_heap];
	size_t i = 0;

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= p->n_heap)
			break;
		if (child + 1 < p->n_heap && before(&p->heap[child + 1], &p->heap[child]))
			child++;
		if (!before(&p->heap[child], &last))
			break;
		p->heap[i] = p->heap[child];
		i = child;
	}
	if (p->n_heap > 0)
		p->heap[i] = last;
	return top;
}

/* ---- channels ------------------------------------------------------------------------ */

static void idle_unlink(struct pacer *p, struct pacer_channel *c)
{
	if (!c->idle)
		return;
	if (c->idle_prev)
		c->idle_prev->idle_next = c->idle_next;
	else
		p->idle_head = c->idle_next;
	if (c->idle_next)
		c->idle_next->idle_prev = c->idle_prev;
	else
		p->idle_tail = c->idle_prev;
	c->idle_prev = c->idle_next = NULL;
	c->idle = false;
}

/* After a change to c's queue: it waits in the heap when its head may start, goes on the
 * idle list when its queue is empty. */
static void channel_settle(struct pacer *p, struct pacer_channel *c)
{
	if (c->head) {
		if (!c->head->in_flight && !c->waiting) {
			c->waiting = true;
			heap_push(p, c->not_before, c, NULL);
		}
		return;
	}
	if (c->idle)
		return;
	c->idle = true;
	c->idle_prev = p->idle_tail;
	c->idle_next = NULL;
	if (p->idle_tail)
		p->idle_tail->idle_next = c;
	else
		p->idle_head = c;
	p->idle_tail = c;
}

static void channel_free(struct pacer_channel *c)
{
	free(c->id);
	free(c);
}

/* Frees the idle channels whose gap is over (the list is in not_before order). */
static void channels_expire(struct pacer *p, uint64_t now)
{
	while (p->idle_head && p->idle_head->not_before <= now) {
		struct pacer_channel *c = p->idle_head;
		idle_unlink(p, c);
		hashmap_remove_str(p->channels, c->id);
		channel_free(c);
	}
}

static struct pacer_channel *channel_get(struct pacer *p, const char *id)
{
	struct pacer_channel *c = hashmap_get_str(p->channels, id);

	if (c)
		return c;
	c = calloc(1, sizeof *c);
	if (!c || !(c->id = strdup(id)) || hashmap_put_str(p->channels, id, c)) {
		if (c)
			free(c->id);
		free(c);
		return NULL;
	}
	return c;
}

/* ---- held ids ------------------------------------------------------------------------ */

static uintptr_t held_count(const struct pacer *p, int64_t id)
{
	return (uintptr_t)hashmap_get(p->held, &id, sizeof id);
}

static int held_add(struct pacer *p, int64_t id)
{
	return hashmap_put(p->held, &id, sizeof id, (void *)(held_count(p, id) + 1));
}

static void held_remove(struct pacer *p, int64_t id)
{
	uintptr_t n = held_count(p, id);

	if (n > 1)
		(void)hashmap_put(p->held, &id, sizeof id, (void *)(n - 1));   /* replaces: no alloc */
	else
		hashmap_remove(p->held, &id, sizeof id);
}

bool pacer_has(const struct pacer *p, int64_t id)
{
	return held_count(p, id) > 0;
}

/* ---- starting ------------------------------------------------------------------------ */

static void start(struct pacer *p, struct pacer_item *it)
{
	it->in_flight = true;
	p->n_in_flight++;
	p->ops->start(p->ud, it);
}

/* Starts every channel head (and lane item) whose time has come, in time order, and arms
 * the timer for the next. Re-entrant: a call from inside a start returns at once (the
 * heap it changed is read again by the loop below). */
static void pump(struct pacer *p)
{
	uint64_t now = uv_now(p->timer.loop);

	if (p->pumping)
		return;
	channels_expire(p, now);
	if (p->paused)
		return;
	p->pumping = true;
	while (p->n_heap > 0 && p->heap[0].when <= now && !p->paused) {
		struct wait w = heap_pop(p);
		struct pacer_item *it = w.it;
		uint64_t not_before = it ? it->not_before : w.c->not_before;
		if (w.c) {
			w.c->waiting = false;
			it = w.c->head;
		}
		if (!it || it->in_flight)
			continue;
		if (not_before > now) {
			/* Moved later while it waited (a retry of an item not in flight). */
			if (w.c)
				w.c->waiting = true;
			heap_push(p, not_before, w.c, w.c ? NULL : it);
			continue;
		}
		start(p, it);
	}
	p->pumping = false;
	if (p->paused)
		return;
	if (p->n_heap > 0)
		uv_timer_start(&p->timer, on_timer, p->heap[0].when - now, 0);
	else
		uv_timer_stop(&p->timer);
}

static void on_timer(uv_timer_t *t)
{
	pump(t->data);
}

int pacer_add(struct pacer *p, int64_t id, const char *channel, bool immediate, void *data)
{
	struct pacer_item *it = calloc(1, sizeof *it);
	struct pacer_channel *c = NULL;

	if (!it || heap_reserve(p, p->n_items + 1) || held_add(p, id))
		goto nomem;
	it->id = id;
	it->data = data;
	if (immediate) {
		it->next = p->lane;
		if (p->lane)
			p->lane->prev = it;
		p->lane = it;
		heap_push(p, 0, NULL, it);
	} else {
		c = channel_get(p, channel);
		if (!c) {
			held_remove(p, id);
			goto nomem;
		}
		it->channel = c;
		it->prev = c->tail;
		if (c->tail)
			c->tail->next = it;
		else
			c->head = it;
		c->tail = it;
		idle_unlink(p, c);
		channel_settle(p, c);
	}
	p->n_items++;
	pump(p);
	return 0;
nomem:
	free(it);
	return BOT_ERR_NOMEM;
}

static void remove_item(struct pacer *p, struct pacer_item *it)
{
	struct pacer_item **first = it->channel ? &it->channel->head : &p->lane;

	if (it->prev)
		it->prev->next = it->next;
	else
		*first = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else if (it->channel)
		it->channel->tail = it->prev;
	if (it->in_flight)
		p->n_in_flight--;
	p->n_items--;
	held_remove(p, it->id);
	p->ops->drop(p->ud, it);
	free(it);
}

void pacer_done(struct pacer *p, struct pacer_item *item)
{
	struct pacer_channel *c = item->channel;

	if (c)
		c->not_before = uv_now(p->timer.loop) + p->gap_ms;
	remove_item(p, item);
	if (c)
		channel_settle(p, c);
	pump(p);
}

/* The item, no longer in flight, waits again: in its channel, or alone in the lane. */
static void requeue(struct pacer *p, struct pacer_item *item)
{
	if (!item->in_flight)
		return;          /* already waiting: pump() reads its new time when it is due */
	item->in_flight = false;
	p->n_in_flight--;
	if (item->channel)
		channel_settle(p, item->channel);
	else
		heap_push(p, item->not_before, NULL, item);
}

void pacer_retry(struct pacer *p, struct pacer_item *item, uint64_t delay_ms)
{
	item->failures++;
	if (item->channel)
		item->channel->not_before = uv_now(p->timer.loop) + delay_ms;
	else
		item->not_before = uv_now(p->timer.loop) + delay_ms;
	requeue(p, item);
	pump(p);
}

void pacer_again(struct pacer *p, struct pacer_item *item)
{
	if (item->channel)
		item->channel->not_before = uv_now(p->timer.loop) + p->gap_ms;
	requeue(p, item);
	pump(p);
}

void pacer_pause(struct pacer *p, bool paused)
{
	p->paused = paused;
	if (paused) {
		uv_timer_stop(&p->timer);
		return;
	}
	pump(p);
}

bool pacer_busy(const struct pacer *p)
{
	return p->n_in_flight > 0;
}

size_t pacer_channel_count(const struct pacer *p)
{
	return hashmap_count(p->channels);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void pacer_free(struct pacer *p)
{
	struct pacer_channel *c;
	size_t cursor = 0;

	if (!p)
		return;
	while (p->lane)
		remove_item(p, p->lane);
	while ((c = hashmap_next(p->channels, &cursor))) {
		while (c->head)
			remove_item(p, c->head);
		channel_free(c);
	}
	hashmap_free(p->channels);
	hashmap_free(p->held);
	free(p->heap);
	uv_close((uv_handle_t *)&p->timer, on_closed);
}
