/* matrix.c - the Matrix transport's session: sign in (token or password, keeping the
 * device), a filter, the /sync loop with capped backoff, invites, gaps filled from
 * /messages, encrypted rooms refused politely, and each answer committed with its
 * next_batch in one transaction. */
#include "bot/matrix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/backoff.h"
#include "bot/bot.h"
#include "bot/clock.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/matrix_internal.h"
#include "bot/msg.h"
#include "bot/store_direct.h"
#include "bot/store_kv.h"
#include "bot/store_outbox.h"
#include "bot/store_sessions.h"

#define BACKOFF_BASE_MS 1000
#define BACKOFF_CAP_MS 300000
#define PACE_MS 1000
#define GAP_PAGES_MAX 20
#define JOIN_TRIES_MAX 8
#define CALL_TIMEOUT_MS 30000

static void sync_next(struct matrix *m);
static void sign_in(struct matrix *m);

/* A sync answer whose gaps are being filled before it is committed. */
struct matrix_pending {
	struct matrix_sync sync;
	size_t room;                    /* the room being filled */
	struct matrix_room **pages;     /* per room: pages of older events, newest page first */
	size_t *n_pages;
	char from[256];                 /* the next page's token */
};

struct matrix_join {
	struct matrix *m;
	char *room_id;
	char *direct_user;              /* an is_direct invite: the inviter, else NULL */
	int tries;
	uv_timer_t timer;
	struct matrix_join *next;
};

/* The delay before the next attempt, by attempts failed so far (backoff.h). */
static uint64_t backoff_ms(int failures)
{
	return backoff_delay_ms(failures, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

static bool stopping(const struct matrix *m)
{
	return m->state == MATRIX_STOPPING || m->state == MATRIX_STOPPED;
}

static void on_retry_timer(uv_timer_t *t)
{
	struct matrix *m = t->data;

	if (m->token)
		sync_next(m);
	else
		sign_in(m);
}

static void retry_later(struct matrix *m, uint64_t ms, const char *why)
{
	if (stopping(m))
		return;
	m->state = MATRIX_WAITING;
	log_info("matrix", "%s; trying again in %.1f s", why, (double)ms / 1000);
	uv_timer_start(&m->retry_timer, on_retry_timer, ms, 0);
}

__attribute__((format(printf, 2, 3)))
static void fatal(struct matrix *m, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_err("matrix", "%s", line);
	m->state = MATRIX_STOPPED;
	bot_transport_failed(m->base.bot, &m->base);
}

/* What every failed call but a send does: wait as told, back off, or sign in again. */
static void handle_failure(struct matrix *m, const char *what, const struct matrix_result *r)
{
	char why[300];

	snprintf(why, sizeof why, "%s failed: %s%s%s", what, r->errcode ? r->errcode : "",
		 r->errcode ? ": " : "", r->error);
	switch (matrix_classify(r)) {
	case MATRIX_ERR_RATE:
		retry_later(m, (uint64_t)(r->retry_after_ms > 0 ? r->retry_after_ms : 5000), why);
		break;
	case MATRIX_ERR_TOKEN:
		matrix_token_refused(m, r);
		break;
	default:
		retry_later(m, backoff_ms(m->failures++), why);
		break;
	}
}

/* ---- joining rooms ---- */

static bool invite_allowed(const struct config *cfg, const char *inviter)
{
	if (cfg->n_matrix_allow == 0)
		return true;
	for (size_t i = 0; inviter && i < cfg->n_matrix_allow; i++) {
		const char *a = cfg->matrix_allow[i];
		size_t al = strlen(a), il = strlen(inviter);
		if (strcmp(a, inviter) == 0 ||
		    (a[0] == ':' && il > al && strcmp(inviter + il - al, a) == 0))
			return true;
	}
	return false;
}

static void join_free(struct matrix_join *j);
static void join_try(struct matrix_join *j);

static void on_join_timer(uv_timer_t *t)
{
	join_try(t->data);
}

/* A direct chat the user made and invited the bot to is their direct room, for the
 * bot's direct messages and for commands and answers there, unless they have one: the
 * bot keeps that one (its messages and the answers there stay in one place), and this
 * room is an ordinary room. */
static void note_direct(struct matrix *m, const char *user, const char *room_id)
{
	char have[256];
	int result = store_direct_channel(m->base.bot->store, "matrix", user, have, sizeof have);

	if (result) {
		log_err("matrix", "the direct room of %s could not be looked up: %s", user,
			bot_strerror(result));
	} else if (!have[0]) {
		log_info("matrix", "%s is %s's direct room (they invited the bot to a direct chat)",
			 room_id, user);
		bot_direct_opened(m->base.bot, &m->base, user, room_id);
	} else if (strcmp(have, room_id) != 0) {
		log_info("matrix", "%s invited the bot to the direct chat %s, but already has the "
				   "direct room %s: keeping that one for direct messages",
			 user, room_id, have);
	}
}

static void on_joined(struct matrix *m, void *ud, const struct matrix_result *r)
{
	struct matrix_join *j = ud;

	if (r->ok) {
		log_info("matrix", "joined %s", j->room_id);
		if (j->direct_user)
			note_direct(m, j->direct_user, j->room_id);
		join_free(j);
		return;
	}
	/* A fresh invite may not be joinable yet (synapse#4345: 404 M_UNKNOWN "No known
	 * servers", or 403 before the invite has arrived): try again, a few times, whatever
	 * the error. */
	if (++j->tries >= JOIN_TRIES_MAX) {
		log_warn("matrix", "could not join %s: %s; invite the bot again to retry",
			 j->room_id, r->error);
		join_free(j);
		return;
	}
	uv_timer_start(&j->timer, on_join_timer, backoff_ms(j->tries), 0);
	(void)m;
}

static void join_try(struct matrix_join *j)
{
	char room[600], path[700];

	matrix_escape(j->room_id, room, sizeof room);
	snprintf(path, sizeof path, "/rooms/%s/join", room);
	matrix_api_call(j->m, "POST", path, json_object(), true, CALL_TIMEOUT_MS, on_joined, j);
}

static void on_join_closed(uv_handle_t *h)
{
	struct matrix_join *j = h->data;

	free(j->room_id);
	free(j->direct_user);
	free(j);
}

static void join_free(struct matrix_join *j)
{
	for (struct matrix_join **p = &j->m->joins; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	uv_close((uv_handle_t *)&j->timer, on_join_closed);
}

static void join_room(struct matrix *m, const struct matrix_invite *inv)
{
	struct matrix_join *j;

	for (j = m->joins; j; j = j->next)
		if (strcmp(j->room_id, inv->room_id) == 0)
			return;
	if (!invite_allowed(m->cfg, inv->inviter)) {
		log_warn("matrix", "invite to %s from %s ignored: not in [matrix] allow_invites_from",
			 inv->room_id, inv->inviter ? inv->inviter : "(unknown)");
		return;
	}
	j = calloc(1, sizeof *j);
	if (!j || !(j->room_id = strdup(inv->room_id)) ||
	    (inv->direct && !(j->direct_user = strdup(inv->inviter)))) {
		if (j)
			free(j->room_id);
		free(j);
		return;
	}
	j->m = m;
	uv_timer_init(&m->base.bot->loop, &j->timer);
	j->timer.data = j;
	j->next = m->joins;
	m->joins = j;
	join_try(j);
}

/* ---- committing a sync answer ---- */

static int warn_encrypted(struct matrix *m, const char *room_id)
{
	struct msg msg;
	char *body;
	struct outbox_rec rec = { .kind = OUTBOX_POST, .transport = "matrix", .channel = room_id,
				  .prompt_index = -1 };
	int result;

	msg_init(&msg);
	msg_text(&msg, "This room is end-to-end encrypted, and workshopbot cannot read encrypted "
		       "messages yet, so it will not run a workshop here. Please invite it to a "
		       "room without encryption (encryption cannot be turned off once on).");
	body = msg_to_json(&msg);
	msg_free(&msg);
	if (!body)
		return BOT_ERR_NOMEM;
	rec.body = body;
	result = store_outbox_put(m->base.bot->store, &rec, (int64_t)clock_now());
	free(body);
	return result;
}

/* Records what the room's state says; true when its events are to be handled. */
static int note_room(struct matrix *m, const struct matrix_room *room, bool *handle,
		     json_t **power)
{
	struct store *st = m->base.bot->store;
	struct matrix_room_rec rec;
	char *levels = room->power_levels ? json_dumps(room->power_levels, JSON_COMPACT) : NULL;
	int result = store_matrix_room_get(st, room->room_id, &rec);

	*handle = false;
	*power = NULL;
	if (!result && room->encrypted && !rec.warned) {
		log_info("matrix", "%s is encrypted: posting a notice, not running sessions there",
			 room->room_id);
		result = warn_encrypted(m, room->room_id);
		rec.warned = true;
	}
	if (!result)
		result = store_matrix_room_set(st, room->room_id, rec.encrypted || room->encrypted,
					       rec.warned, levels);
	if (!result) {
		*handle = !(rec.encrypted || room->encrypted);
		*power = levels ? json_loads(levels, 0, NULL)
				: rec.power_levels ? json_loads(rec.power_levels, 0, NULL) : NULL;
	}
	free(levels);
	free(rec.power_levels);
	return result;
}

static int handle_events(struct matrix *m, struct matrix_room *room, json_t *power)
{
	for (size_t i = 0; i < room->n_events; i++) {
		struct event *ev = &room->events[i];
		int result;
		ev->moderator = matrix_power_level(power, ev->user) >= m->cfg->matrix_power_level;
		result = workshop_handle(&m->base.bot->ws, ev);
		if (result)
			return result;
	}
	return 0;
}

/* Handles every room of the answer and stores next_batch, in one transaction. */
static int commit_sync(struct matrix *m, struct matrix_pending *p, bool first)
{
	struct store *st = m->base.bot->store;
	/* The sync is its own transaction, committed before next_batch is used, so first
	 * whatever this turn wrote before it. */
	int result = bot_commit(m->base.bot);

	if (!result)
		result = store_begin(st);

	for (size_t r = 0; !result && r < p->sync.n_rooms; r++) {
		struct matrix_room *room = &p->sync.rooms[r];
		json_t *power = NULL;
		bool handle;
		result = note_room(m, room, &handle, &power);
		/* The first sync of a new database takes the position without acting on
		 * old messages. */
		for (size_t k = p->n_pages ? p->n_pages[r] : 0; !result && handle && !first && k > 0; k--)
			result = handle_events(m, &p->pages[r][k - 1], power);
		if (!result && handle && !first)
			result = handle_events(m, room, power);
		json_decref(power);
	}
	if (!result)
		result = store_kv_set(st, "matrix", "next_batch", p->sync.next_batch);
	if (!result)
		result = store_commit(st);
	if (result)
		store_rollback(st);
	return result;
}

static void pending_free(struct matrix_pending *p)
{
	if (!p)
		return;
	for (size_t r = 0; p->pages && r < p->sync.n_rooms; r++) {
		for (size_t k = 0; k < p->n_pages[r]; k++)
			free(p->pages[r][k].events);
		free(p->pages[r]);
	}
	free(p->pages);
	free(p->n_pages);
	matrix_sync_free(&p->sync);
	free(p);
}

static void finish_sync(struct matrix *m)
{
	struct matrix_pending *p = m->pending;
	bool first = m->since[0] == '\0';
	int result = commit_sync(m, p, first);

	m->pending = NULL;
	if (result == BOT_ERR_DB_READONLY) {
		pending_free(p);
		log_err("matrix", "%s (is the disk full or the file read-only?); stopping: what was "
			"stored before is kept, the last sync answer is fetched again at the next start",
			store_fault(m->base.bot->store));
		bot_stop(m->base.bot, 1);
		return;
	}
	if (result) {
		pending_free(p);
		log_err("matrix", "a sync answer could not be stored (%s); it will be fetched again",
			bot_strerror(result));
		retry_later(m, backoff_ms(m->failures++), "storing a sync answer failed");
		return;
	}
	snprintf(m->since, sizeof m->since, "%s", p->sync.next_batch);
	if (first)
		log_info("matrix", "ready: syncing from now on (old messages are not acted on)");
	else if (!m->ready)
		log_info("matrix", "ready: syncing from the stored position");
	m->ready = true;
	pending_free(p);
	m->failures = 0;
	bot_flush(m->base.bot, &m->base);
	sync_next(m);
}

/* ---- filling gaps ---- */

static void fill_next_gap(struct matrix *m);

static void on_gap_page(struct matrix *m, void *ud, const struct matrix_result *r)
{
	struct matrix_pending *p = m->pending;
	struct matrix_room page, *grown;
	const char *end = NULL;
	char err[BOT_ERRMSG_MAX];
	size_t room = p->room;

	(void)ud;
	if (!r->ok) {
		pending_free(p);
		m->pending = NULL;
		handle_failure(m, "filling a gap", r);
		return;
	}
	if (matrix_parse_messages(r->raw, r->raw_len, &m->me, p->sync.rooms[room].room_id,
				  &p->sync, &page, &end, err, sizeof err) != 0) {
		log_warn("matrix", "a /messages page was skipped: %s", err);
		end = NULL;
	} else {
		grown = realloc(p->pages[room], (p->n_pages[room] + 1) * sizeof *grown);
		if (grown) {
			p->pages[room] = grown;
			grown[p->n_pages[room]++] = page;
		} else {
			free(page.events);
		}
	}
	/* Stop at the previous sync position, at the room's start, or after enough pages. */
	if (!end || page.n_events == 0 || strcmp(end, m->since) == 0 ||
	    p->n_pages[room] >= GAP_PAGES_MAX) {
		p->room++;
	} else {
		snprintf(p->from, sizeof p->from, "%s", end);
	}
	fill_next_gap(m);
}

static bool needs_gap(struct matrix *m, const struct matrix_room *room)
{
	struct session_rec s;

	return room->limited && room->prev_batch && m->since[0] &&
	       store_session_open_in(m->base.bot->store, "matrix", room->room_id, &s) == 0;
}

/* Fetches the events of each gapped room with an open session, then commits. */
static void fill_next_gap(struct matrix *m)
{
	struct matrix_pending *p = m->pending;
	char room[600], from[600], to[600], path[2200];

	while (p->room < p->sync.n_rooms && p->from[0] == '\0') {
		if (needs_gap(m, &p->sync.rooms[p->room])) {
			snprintf(p->from, sizeof p->from, "%s", p->sync.rooms[p->room].prev_batch);
			break;
		}
		p->room++;
	}
	if (p->room >= p->sync.n_rooms) {
		finish_sync(m);
		return;
	}
	matrix_escape(p->sync.rooms[p->room].room_id, room, sizeof room);
	matrix_escape(p->from, from, sizeof from);
	matrix_escape(m->since, to, sizeof to);
	snprintf(path, sizeof path, "/rooms/%s/messages?dir=b&limit=100&from=%s&to=%s", room, from,
		 to);
	p->from[0] = '\0';
	log_info("matrix", "filling a gap in %s", p->sync.rooms[p->room].room_id);
	matrix_api_call(m, "GET", path, NULL, true, CALL_TIMEOUT_MS, on_gap_page, NULL);
}

/* ---- the sync loop ---- */

static void on_sync(struct matrix *m, void *ud, const struct matrix_result *r)
{
	struct matrix_pending *p;
	char err[BOT_ERRMSG_MAX];

	(void)ud;
	if (stopping(m))
		return;
	if (!r->ok) {
		handle_failure(m, "sync", r);
		return;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		retry_later(m, backoff_ms(m->failures++), "out of memory");
		return;
	}
	/* The body was parsed once already (r->body, a JSON object since r->ok). */
	if (matrix_parse_sync_json(json_incref(r->body), &m->me, &p->sync, err, sizeof err) != 0) {
		pending_free(p);
		retry_later(m, backoff_ms(m->failures++), err);
		return;
	}
	p->pages = calloc(p->sync.n_rooms + 1, sizeof *p->pages);
	p->n_pages = calloc(p->sync.n_rooms + 1, sizeof *p->n_pages);
	if (!p->pages || !p->n_pages) {
		pending_free(p);
		retry_later(m, backoff_ms(m->failures++), "out of memory");
		return;
	}
	for (size_t i = 0; i < p->sync.n_invites; i++)
		join_room(m, &p->sync.invites[i]);
	m->pending = p;
	fill_next_gap(m);
}

static void sync_next(struct matrix *m)
{
	char since[600], filter[200], path[1200];
	bool first = m->since[0] == '\0';
	/* [matrix] sync_timeout (30 s); the HTTP timeout outlives the server's by half. */
	long poll_ms = (m->cfg->matrix_sync_timeout > 0 ? m->cfg->matrix_sync_timeout : 30) * 1000;

	if (stopping(m))
		return;
	m->state = MATRIX_SYNCING;
	matrix_escape(m->since, since, sizeof since);
	matrix_escape(m->filter_id ? m->filter_id : "", filter, sizeof filter);
	/* The first sync of a run does not wait: it catches up, and then the bot is ready. */
	snprintf(path, sizeof path, "/sync?timeout=%ld%s%s%s%s",
		 first || !m->ready ? 0L : poll_ms, filter[0] ? "&filter=" : "", filter,
		 first ? "" : "&since=", first ? "" : since);
	m->sync_call = matrix_api_call(m, "GET", path, NULL, true,
				       poll_ms + poll_ms / 2, on_sync, NULL);
}

/* ---- signing in ---- */

static void on_filter(struct matrix *m, void *ud, const struct matrix_result *r)
{
	const char *id = json_string_value(json_object_get(r->body, "filter_id"));

	(void)ud;
	if (stopping(m))
		return;
	/* Without a filter the sync is only bigger: go on. */
	free(m->filter_id);
	m->filter_id = id ? strdup(id) : NULL;
	if (!r->ok)
		log_warn("matrix", "could not create a sync filter (%s); syncing without", r->error);
	sync_next(m);
}

static void create_filter(struct matrix *m)
{
	char user[600], path[700];
	json_t *filter = json_pack(
		"{s:{s:[]}, s:{s:[]}, s:{s:{s:i, s:[ssssss]}, s:{s:[ss], s:b}, s:{s:[]},"
		" s:{s:[]}}}",
		"presence", "types", "account_data", "types", "room", "timeline", "limit", 50,
		"types", "m.room.message", "m.room.redaction", "m.reaction", "m.room.encryption",
		"m.room.power_levels", "m.room.member", "state", "types", "m.room.encryption",
		"m.room.power_levels", "lazy_load_members", 1, "ephemeral", "types",
		"account_data", "types");

	matrix_escape(m->user_id, user, sizeof user);
	snprintf(path, sizeof path, "/user/%s/filter", user);
	matrix_api_call(m, "POST", path, filter, true, CALL_TIMEOUT_MS, on_filter, NULL);
}

static void signed_in(struct matrix *m, const char *user_id, const char *device_id)
{
	free(m->user_id);
	free(m->device_id);
	m->user_id = strdup(user_id);
	m->device_id = device_id ? strdup(device_id) : NULL;
	m->me.user_id = m->user_id;
	if (m->device_id &&
	    store_kv_set(m->base.bot->store, "matrix", "device_id", m->device_id) != 0)
		log_warn("matrix", "could not store the device id");
	log_info("matrix", "signed in as %s (device %s)", user_id, device_id ? device_id : "?");
	m->failures = 0;
	create_filter(m);
}

static void on_whoami(struct matrix *m, void *ud, const struct matrix_result *r)
{
	const char *user = json_string_value(json_object_get(r->body, "user_id"));

	(void)ud;
	if (stopping(m))
		return;
	if (r->ok && user)
		signed_in(m, user, json_string_value(json_object_get(r->body, "device_id")));
	else if (matrix_classify(r) == MATRIX_ERR_TOKEN)
		fatal(m, "the access token was refused (%s): set a valid [matrix] access_token "
			 "(MATRIX_ACCESS_TOKEN); not retrying", r->errcode ? r->errcode : r->error);
	else
		handle_failure(m, "whoami", r);
}

static void on_login(struct matrix *m, void *ud, const struct matrix_result *r)
{
	const char *token = json_string_value(json_object_get(r->body, "access_token"));
	const char *user = json_string_value(json_object_get(r->body, "user_id"));

	(void)ud;
	if (stopping(m))
		return;
	if (!r->ok || !token || !user) {
		if (matrix_classify(r) == MATRIX_ERR_FORBIDDEN)
			fatal(m, "the homeserver refused the password of [matrix] user (%s); "
				 "not retrying", r->errcode ? r->errcode : r->error);
		else
			handle_failure(m, "login", r);
		return;
	}
	free(m->token);
	m->token = strdup(token);
	log_add_secret(token);
	signed_in(m, user, json_string_value(json_object_get(r->body, "device_id")));
}

static void sign_in(struct matrix *m)
{
	char device[256];
	json_t *body;

	m->state = MATRIX_SIGNING_IN;
	if (m->cfg->matrix_access_token && m->cfg->matrix_access_token[0] &&
	    !(m->cfg->matrix_password && m->cfg->matrix_password[0])) {
		free(m->token);
		m->token = strdup(m->cfg->matrix_access_token);
		matrix_api_call(m, "GET", "/account/whoami", NULL, true, CALL_TIMEOUT_MS, on_whoami,
				NULL);
		return;
	}
	/* The same device at every sign-in: its transaction ids stay valid across runs. */
	store_kv_get(m->base.bot->store, "matrix", "device_id", device, sizeof device);
	body = json_pack("{s:s, s:{s:s, s:s}, s:s, s:s}", "type", "m.login.password",
			 "identifier", "type", "m.id.user", "user", m->cfg->matrix_user, "password",
			 m->cfg->matrix_password, "initial_device_display_name", "workshopbot");
	if (device[0])
		json_object_set_new(body, "device_id", json_string(device));
	matrix_api_call(m, "POST", "/login", body, false, CALL_TIMEOUT_MS, on_login, NULL);
}

void matrix_token_refused(struct matrix *m, const struct matrix_result *r)
{
	bool soft = json_is_true(json_object_get(r->body, "soft_logout"));
	bool password = m->cfg->matrix_password && m->cfg->matrix_password[0];

	if (stopping(m) || m->state == MATRIX_SIGNING_IN)
		return;
	if (password && soft) {
		log_info("matrix", "signed out softly (%s): signing in again on the same device",
			 r->errcode ? r->errcode : "token refused");
		if (m->sync_call)
			matrix_api_cancel(m, m->sync_call);
		uv_timer_stop(&m->retry_timer);
		sign_in(m);
		return;
	}
	fatal(m, "the homeserver ended the bot's session (%s): sign the bot in again "
		 "(check [matrix] password or access_token); not retrying",
	      r->errcode ? r->errcode : "M_UNKNOWN_TOKEN");
}

/* ---- the transport ---- */

static int matrix_start(struct transport *t)
{
	struct matrix *m = (struct matrix *)t;
	uv_loop_t *loop = &t->bot->loop;

	m->http = http_new(loop);
	m->pacer = m->http ? pacer_new(loop, &matrix_pacer_ops, m, PACE_MS) : NULL;
	if (!m->pacer) {
		log_err("matrix", "cannot start the http client");
		return BOT_ERR_IO;
	}
	uv_timer_init(loop, &m->retry_timer);
	m->retry_timer.data = m;
	m->timer_open = true;
	store_kv_get(t->bot->store, "matrix", "next_batch", m->since, sizeof m->since);
	sign_in(m);
	return 0;
}

/* Sends need no draining: a send cut short is sent again with its transaction id. */
static void matrix_stop(struct transport *t)
{
	struct matrix *m = (struct matrix *)t;

	if (!m->timer_open)
		return;
	m->state = MATRIX_STOPPED;
	matrix_api_cancel_all(m);
	pending_free(m->pending);
	m->pending = NULL;
	while (m->joins)
		join_free(m->joins);
	pacer_free(m->pacer);
	m->pacer = NULL;
	http_free(m->http);
	m->http = NULL;
	m->timer_open = false;
	uv_close((uv_handle_t *)&m->retry_timer, NULL);
}

static void matrix_free(struct transport *t)
{
	struct matrix *m = (struct matrix *)t;

	free(m->token);
	free(m->user_id);
	free(m->device_id);
	free(m->filter_id);
	free(m);
}

static const struct transport_ops matrix_ops = {
	.name = "matrix",
	.start = matrix_start,
	.stop = matrix_stop,
	.send = matrix_send,
	.holds = matrix_holds,
	.free = matrix_free,
};

struct transport *matrix_new(const struct config *cfg)
{
	struct matrix *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->base.ops = &matrix_ops;
	m->cfg = cfg;
	m->me.user_id = "";
	return &m->base;
}
