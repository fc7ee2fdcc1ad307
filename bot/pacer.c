#include "bot/pacer.h"

#include <stdlib.h>
#include <string.h>

#include "bot/err.h"

struct pacer_channel {
	char *id;
	struct pacer_item *head, *tail;
	uint64_t not_before;     /* loop time (ms) before which nothing starts here */
	struct pacer_channel *next;
};

struct pacer {
	uv_timer_t timer;
	const struct pacer_ops *ops;
	void *ud;
	uint64_t gap_ms;
	bool paused;
	bool pumping;            /* inside pump(): a nested call only sets repump */
	bool repump;
	struct pacer_channel *channels;
	struct pacer_item *lane;
};

static void on_timer(uv_timer_t *t);
static void pump(struct pacer *p);

struct pacer *pacer_new(uv_loop_t *loop, const struct pacer_ops *ops, void *ud,
			uint64_t gap_ms)
{
	struct pacer *p = calloc(1, sizeof *p);

	if (!p)
		return NULL;
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	p->ops = ops;
	p->ud = ud;
	p->gap_ms = gap_ms;
	return p;
}

bool pacer_has(const struct pacer *p, int64_t id)
{
	for (const struct pacer_item *it = p->lane; it; it = it->next)
		if (it->id == id)
			return true;
	for (const struct pacer_channel *c = p->channels; c; c = c->next)
		for (const struct pacer_item *it = c->head; it; it = it->next)
			if (it->id == id)
				return true;
	return false;
}

static struct pacer_channel *channel_get(struct pacer *p, const char *id)
{
	struct pacer_channel *c;

	for (c = p->channels; c; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	c = calloc(1, sizeof *c);
	if (!c || !(c->id = strdup(id))) {
		free(c);
		return NULL;
	}
	c->next = p->channels;
	p->channels = c;
	return c;
}

static void start(struct pacer *p, struct pacer_item *it)
{
	it->in_flight = true;
	p->ops->start(p->ud, it);
}

/* One pass: starts what is due, finds the next due time. Returns false when a start
 * changed the queues under it (a send that failed at once): the pass must begin again. */
static bool pump_once(struct pacer *p, uint64_t *next)
{
	uint64_t now = uv_now(p->timer.loop);

	*next = UINT64_MAX;
	for (struct pacer_item *it = p->lane; it; it = it->next) {
		if (it->in_flight)
			continue;
		if (it->not_before > now) {
			*next = it->not_before < *next ? it->not_before : *next;
			continue;
		}
		start(p, it);
		if (p->repump)
			return false;
	}
	for (struct pacer_channel *c = p->channels; c; c = c->next) {
		if (!c->head || c->head->in_flight)
			continue;
		if (c->not_before > now) {
			*next = c->not_before < *next ? c->not_before : *next;
			continue;
		}
		start(p, c->head);
		if (p->repump)
			return false;
	}
	return true;
}

/* Starts every channel head (and lane item being retried) whose time has come, and arms
 * the timer for the next. Re-entrant: a call from inside a start only asks for another
 * pass. */
static void pump(struct pacer *p)
{
	uint64_t next;

	if (p->pumping) {
		p->repump = true;
		return;
	}
	if (p->paused)
		return;
	p->pumping = true;
	do
		p->repump = false;
	while (!pump_once(p, &next));
	p->pumping = false;
	if (next != UINT64_MAX) {
		uint64_t now = uv_now(p->timer.loop);
		uv_timer_start(&p->timer, on_timer, next > now ? next - now : 0, 0);
	}
}

static void on_timer(uv_timer_t *t)
{
	pump(t->data);
}

int pacer_add(struct pacer *p, int64_t id, const char *channel, bool immediate, void *data)
{
	struct pacer_item *it = calloc(1, sizeof *it);

	if (!it)
		return BOT_ERR_NOMEM;
	it->id = id;
	it->data = data;
	if (immediate) {
		it->next = p->lane;
		p->lane = it;
		pump(p);
		return 0;
	}
	it->channel = channel_get(p, channel);
	if (!it->channel) {
		free(it);
		return BOT_ERR_NOMEM;
	}
	if (it->channel->tail)
		it->channel->tail->next = it;
	else
		it->channel->head = it;
	it->channel->tail = it;
	pump(p);
	return 0;
}

static void remove_item(struct pacer *p, struct pacer_item *it)
{
	struct pacer_item **link = it->channel ? &it->channel->head : &p->lane;

	for (; *link; link = &(*link)->next) {
		if (*link == it) {
			*link = it->next;
			break;
		}
	}
	if (it->channel && it->channel->tail == it) {
		struct pacer_item *last = it->channel->head;
		while (last && last->next)
			last = last->next;
		it->channel->tail = last;
	}
	p->ops->drop(p->ud, it);
	free(it);
}

void pacer_done(struct pacer *p, struct pacer_item *item)
{
	struct pacer_channel *c = item->channel;

	if (c)
		c->not_before = uv_now(p->timer.loop) + p->gap_ms;
	remove_item(p, item);
	pump(p);
}

void pacer_retry(struct pacer *p, struct pacer_item *item, uint64_t delay_ms)
{
	item->in_flight = false;
	item->failures++;
	if (item->channel)
		item->channel->not_before = uv_now(p->timer.loop) + delay_ms;
	else
		item->not_before = uv_now(p->timer.loop) + delay_ms;
	pump(p);
}

void pacer_again(struct pacer *p, struct pacer_item *item)
{
	item->in_flight = false;
	if (item->channel)
		item->channel->not_before = uv_now(p->timer.loop) + p->gap_ms;
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
	for (const struct pacer_item *it = p->lane; it; it = it->next)
		if (it->in_flight)
			return true;
	for (const struct pacer_channel *c = p->channels; c; c = c->next)
		if (c->head && c->head->in_flight)
			return true;
	return false;
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void pacer_free(struct pacer *p)
{
	if (!p)
		return;
	while (p->lane)
		remove_item(p, p->lane);
	while (p->channels) {
		struct pacer_channel *c = p->channels;
		p->channels = c->next;
		while (c->head)
			remove_item(p, c->head);
		free(c->id);
		free(c);
	}
	uv_close((uv_handle_t *)&p->timer, on_closed);
}
