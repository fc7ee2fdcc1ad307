/* bot.c - the loop's owner: signals, transports, and the path of an event from a
 * transport through the handlers to the outbox and back out. */
#include "bot/bot.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/scheduler.h"
#include "bot/store_direct.h"
#include "bot/store_outbox.h"
#include "handlers/jobs.h"

/* How many queued messages one flush sends; the rest wait for the next flush. */
#define FLUSH_BATCH 64

static void on_signal(uv_signal_t *h, int signum)
{
	struct bot *b = h->data;

	log_info("bot", "signal %d: stopping", signum);
	bot_stop(b, 0);
}

int bot_init(struct bot *b, const struct config *cfg, struct store *store,
	     const struct template_set *templates)
{
	int rc;

	memset(b, 0, sizeof *b);
	b->cfg = cfg;
	b->store = store;
	b->templates = templates;
	b->ws = (struct workshop){ .store = store, .cfg = cfg, .templates = templates };
	rc = uv_loop_init(&b->loop);
	if (rc) {
		log_err("bot", "cannot start the event loop: %s", uv_strerror(rc));
		return BOT_ERR_IO;
	}
	uv_prepare_init(&b->loop, &b->turn_prepare);
	uv_check_init(&b->loop, &b->turn_check);
	b->turn_prepare.data = b->turn_check.data = b;
	uv_signal_init(&b->loop, &b->sigint);
	uv_signal_init(&b->loop, &b->sigterm);
	b->sigint.data = b->sigterm.data = b;
	uv_signal_start(&b->sigint, on_signal, SIGINT);
	uv_signal_start(&b->sigterm, on_signal, SIGTERM);
	/* A peer that closes a socket must not kill the daemon: writes then fail with EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int bot_add_transport(struct bot *b, struct transport *t)
{
	if (b->n_transports == BOT_MAX_TRANSPORTS)
		return BOT_ERR_INVALID;
	t->bot = b;
	b->transports[b->n_transports++] = t;
	return 0;
}

/* ---- the loop turn ---- */

/* A handler added or cancelled jobs: the timer looks at the earliest one again. */
static void rearm_if_changed(struct bot *b)
{
	if (!b->ws.jobs_changed)
		return;
	b->ws.jobs_changed = false;
	sched_arm(b->sched);
}

static void flush_now(struct bot *b, size_t ti);
static bool disk_fault(struct bot *b, int result, const char *lost);

static void on_turn_prepare(uv_prepare_t *h)
{
	bot_settle(h->data);
}

static void on_turn_check(uv_check_t *h)
{
	bot_settle(h->data);
}

static void turn_arm(struct bot *b)
{
	/* Closing (bot_close): the last writes are committed after the loop has run out. */
	if (b->turn_armed || uv_is_closing((uv_handle_t *)&b->turn_prepare))
		return;
	b->turn_armed = true;
	uv_prepare_start(&b->turn_prepare, on_turn_prepare);
	uv_check_start(&b->turn_check, on_turn_check);
}

/* Opens the turn's transaction (if none is) before a write. */
static int turn_write(struct bot *b)
{
	turn_arm(b);
	return store_turn_begin(b->store);
}

static size_t transport_index(const struct bot *b, const struct transport *t)
{
	size_t i = 0;

	while (i < b->n_transports && b->transports[i] != t)
		i++;
	return i;
}

static void tell_committed(struct bot *b, bool ok)
{
	for (size_t i = 0; i < b->n_transports; i++) {
		struct transport *t = b->transports[i];

		if (t->ops->committed)
			t->ops->committed(t, ok);
	}
}

int bot_commit(struct bot *b)
{
	int result = store_turn_commit(b->store);

	if (!result)
		return 0;
	/* First drop what waited for this commit: stopping settles the turn again. */
	tell_committed(b, false);
	if (!disk_fault(b, result, "what arrived since the last commit was not acknowledged"))
		log_err("bot", "committing failed: %s", bot_strerror(result));
	return result;
}

void bot_settle(struct bot *b)
{
	bool ok = bot_commit(b) == 0;

	b->turn_armed = false;
	uv_prepare_stop(&b->turn_prepare);
	uv_check_stop(&b->turn_check);
	if (ok)
		tell_committed(b, true);
	for (size_t i = 0; i < b->n_transports; i++) {
		if (b->flush_wanted[i]) {
			b->flush_wanted[i] = false;
			if (ok && !b->failed[i])
				flush_now(b, i);
		}
	}
	/* What the flush delivered at once (the console) is marked sent for good. */
	if (ok)
		bot_commit(b);
	rearm_if_changed(b);
}

/* The scheduler's run callback: one due job, inside the scheduler's transaction. Its
 * messages are sent at the end of the turn, once the tick has committed. */
static int run_job(void *ud, const struct store_job *job, int64_t now)
{
	struct bot *b = ud;
	int result = jobs_run(&b->ws, job, now);

	for (size_t i = 0; !result && i < b->n_transports; i++)
		bot_flush(b, b->transports[i]);
	return result;
}

int bot_run(struct bot *b)
{
	b->sched = sched_new(&b->loop, b->store, run_job, b, !clock_frozen());
	if (!b->sched) {
		log_err("bot", "cannot start the scheduler: out of memory");
		bot_stop(b, 1);
	}
	for (size_t i = 0; i < b->n_transports && !b->stopping; i++) {
		struct transport *t = b->transports[i];
		if (t->ops->start(t) != 0) {
			bot_stop(b, 1);
			break;
		}
		bot_flush(b, t);
	}
	/* Jobs already due (also those missed while the bot was offline) run in the loop's
	 * first turn, before any input is read. */
	b->ws.jobs_changed = false;
	if (!b->stopping)
		sched_arm(b->sched);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	return b->exit_code;
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

void bot_stop(struct bot *b, int exit_code)
{
	if (b->stopping)
		return;
	b->stopping = true;
	b->exit_code = exit_code;
	/* What this turn stored is committed and acknowledged, and what the last jobs
	 * queued goes out, before the transports stop (the rest of the outbox waits for the
	 * next start). */
	bot_settle(b);
	sched_free(b->sched);
	b->sched = NULL;
	for (size_t i = 0; i < b->n_transports; i++)
		b->transports[i]->ops->stop(b->transports[i]);
	close_handle((uv_handle_t *)&b->sigint);
	close_handle((uv_handle_t *)&b->sigterm);
}

void bot_close(struct bot *b)
{
	/* The scheduler stops before the store closes (the caller closes it after this). */
	sched_free(b->sched);
	b->sched = NULL;
	bot_settle(b);
	close_handle((uv_handle_t *)&b->turn_prepare);
	close_handle((uv_handle_t *)&b->turn_check);
	/* Let every close callback run before freeing what they point at. */
	uv_run(&b->loop, UV_RUN_DEFAULT);
	bot_commit(b);
	for (size_t i = 0; i < b->n_transports; i++)
		b->transports[i]->ops->free(b->transports[i]);
	b->n_transports = 0;
	if (uv_loop_close(&b->loop) != 0)
		log_warn("bot", "event loop closed with handles still open");
}

/* A write the disk refused (full, read-only, an I/O error): one line naming the database
 * and the cause, then a stop with status 1; what was committed before stays. Later
 * faults while stopping are not repeated. Returns whether RESULT was such a fault. */
static bool disk_fault(struct bot *b, int result, const char *lost)
{
	if (result != BOT_ERR_DB_READONLY)
		return false;
	if (!b->stopping) {
		log_err("bot", "%s (is the disk full or the file read-only?); stopping: what was "
			"stored before is kept, %s", store_fault(b->store), lost);
		bot_stop(b, 1);
	}
	return true;
}

int bot_event(struct bot *b, struct transport *t, const struct event *ev)
{
	int result = turn_write(b);

	if (!result)
		result = workshop_dispatch(&b->ws, ev);
	disk_fault(b, result, "the last message was not stored");
	bot_flush(b, t);
	return result;
}

/* A copy of one queued message, so sending never runs inside the outbox query. */
struct queued {
	struct outbox_rec rec;     /* its strings point at the copies below */
	char *strings[6];
	bool held;                 /* the transport has it already: only rec.id is set */
};

struct batch {
	struct transport *t;
	struct queued items[FLUSH_BATCH];
	size_t n;
};

static const char *copy_into(struct queued *q, size_t slot, const char *s, bool *failed)
{
	if (!s)
		return NULL;
	q->strings[slot] = strdup(s);
	if (!q->strings[slot])
		*failed = true;
	return q->strings[slot];
}

static int take_queued(void *ud, const struct outbox_rec *m)
{
	struct batch *bt = ud;
	struct queued *q;
	bool failed = false;

	q = &bt->items[bt->n++];
	memset(q, 0, sizeof *q);
	q->rec.id = m->id;
	/* Already accepted by the transport (in flight or paced): nothing to do here. */
	q->held = bt->t->ops->holds && bt->t->ops->holds(bt->t, m->id);
	if (q->held)
		return 0;
	q->rec = *m;
	q->rec.transport = copy_into(q, 0, m->transport, &failed);
	q->rec.channel = copy_into(q, 1, m->channel, &failed);
	q->rec.thread = copy_into(q, 2, m->thread, &failed);
	q->rec.body = copy_into(q, 3, m->body, &failed);
	q->rec.visible_to = copy_into(q, 4, m->visible_to, &failed);
	q->rec.target_ref = copy_into(q, 5, m->target_ref, &failed);
	return failed ? BOT_ERR_NOMEM : 0;
}

/* An update of a question post names the post's id, known once the post was sent; a
 * direct message names the direct channel, known once one was opened to the person. */
static void resolve_target(struct bot *b, struct queued *q)
{
	char ref[256];
	int result;

	if (q->rec.target_ref)
		return;
	if (q->rec.kind == OUTBOX_UPDATE)
		result = store_prompt_ref(b->store, q->rec.session_id, q->rec.prompt_index, ref,
					  sizeof ref);
	else if (q->rec.kind == OUTBOX_DIRECT)
		result = store_direct_channel(b->store, q->rec.transport, q->rec.channel, ref,
					      sizeof ref);
	else
		return;
	if (result == 0 && ref[0])
		q->rec.target_ref = copy_into(q, 5, ref, &(bool){ false });
}

/* Returns whether the message left the queue's head: accepted by the transport, or
 * dropped as unreadable. */
static bool send_queued(struct bot *b, struct transport *t, struct queued *q)
{
	struct msg m;
	bool is_msg = q->rec.kind != OUTBOX_FORM, accepted;

	resolve_target(b, q);
	if (is_msg && msg_from_json(q->rec.body, &m) != 0) {
		/* Only this program writes the outbox; a bad row is a bug, never retried. */
		log_err("bot", "queued message %lld is unreadable; dropped", (long long)q->rec.id);
		store_outbox_mark_failed(b->store, q->rec.id, "unreadable", (int64_t)clock_now());
		return true;
	}
	accepted = t->ops->send(t, &q->rec, is_msg ? &m : NULL) == 0;
	if (!accepted)
		log_debug("bot", "message %lld not sent yet; kept queued", (long long)q->rec.id);
	if (is_msg)
		msg_free(&m);
	return accepted;
}

void bot_flush(struct bot *b, struct transport *t)
{
	size_t i = transport_index(b, t);

	if (i < b->n_transports) {
		b->flush_wanted[i] = true;
		turn_arm(b);
	}
}

/* Reads the transport's queue from its cursor: the rows before it were all taken (held,
 * sent or given up), so a long queue the transport already holds (posts waiting for
 * their channel's pace) does not hide newer messages. A refused row stops the cursor. */
static void flush_now(struct bot *b, size_t ti)
{
	struct transport *t = b->transports[ti];
	struct batch bt;
	size_t sent_before;
	bool refused = false;
	int result;

	/* Another batch only while every message of the last one was delivered at once
	 * (the console); asynchronous transports call bot_flush() again when they can. */
	bt.t = t;
	do {
		bt.n = 0;
		sent_before = b->sent_count;
		result = store_outbox_each_pending(b->store, t->ops->name, b->flushed_to[ti],
						   FLUSH_BATCH, take_queued, &bt);
		for (size_t i = 0; i < bt.n; i++) {
			struct queued *q = &bt.items[i];

			if (!result && !q->held && !send_queued(b, t, q))
				refused = true;
			if (!result && !refused)
				b->flushed_to[ti] = q->rec.id;
			for (size_t k = 0; k < 6; k++)
				free(q->strings[k]);
		}
	} while (!result && !b->stopping && bt.n == FLUSH_BATCH &&
		 b->sent_count - sent_before == bt.n);
	if (result)
		log_err("bot", "reading the outbox failed: %s", bot_strerror(result));
}

void bot_sent(struct bot *b, int64_t outbox_id, const char *ref)
{
	int result = turn_write(b);

	if (!result)
		result = store_outbox_mark_sent(b->store, outbox_id, ref, (int64_t)clock_now());

	b->sent_count++;
	if (disk_fault(b, result, "a message just sent may be sent again at the next start"))
		return;
	if (result)
		log_err("bot", "message %lld was sent but could not be marked so: %s",
			(long long)outbox_id, bot_strerror(result));
}

void bot_failed(struct bot *b, int64_t outbox_id, const char *error)
{
	int result = turn_write(b);

	if (!result)
		result = store_outbox_mark_failed(b->store, outbox_id, error, (int64_t)clock_now());

	b->sent_count++;
	log_warn("bot", "message %lld given up: %s", (long long)outbox_id, error);
	if (result)
		log_err("bot", "message %lld could not be marked failed: %s", (long long)outbox_id,
			bot_strerror(result));
}

void bot_direct_opened(struct bot *b, struct transport *t, const char *user,
		       const char *channel)
{
	int result = turn_write(b);

	if (!result)
		result = store_direct_channel_set(b->store, t->ops->name, user, channel);

	if (result)
		log_err("bot", "the direct channel %s of %s could not be stored: %s", channel, user,
			bot_strerror(result));
}

void bot_transport_failed(struct bot *b, struct transport *t)
{
	bool others = false;

	t->ops->stop(t);
	for (size_t i = 0; i < b->n_transports; i++) {
		if (b->transports[i] == t)
			b->failed[i] = true;
		else if (!b->failed[i])
			others = true;
	}
	if (!others)
		bot_stop(b, 1);
}
