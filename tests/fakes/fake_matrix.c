/* fake_matrix.c - a local fake Matrix homeserver for the integration tests: the parts of
 * the client-server API the daemon uses (/_matrix/client/v3/...: login, whoami, filter,
 * /sync long poll, join, send, redact, messages, state) and a control API for test
 * scripts (/_control/...), on one port of 127.0.0.1. See tests/fakes/README.md.
 *
 * The fake serves one account (--user, --password, pre-issued --token). Rooms and users
 * other than the bot are made through the control API. Every room has an ordered
 * timeline; events get a global stream position (1, 2, 3, ...), which is what the
 * since/prev_batch/from/to tokens encode ("s<pos>_<serial>" from /sync, "t<pos>" for
 * pagination: "everything up to and including <pos>"). The payload shapes follow
 * ../shared/fixtures/matrix/ and the spec (protocols.md section 3). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "tests/fakes/lib/fake_codec.h"
#include "tests/fakes/lib/fake_garbage.h"
#include "tests/fakes/lib/fake_http.h"
#include "tests/fakes/lib/fake_log.h"
#include "tests/fakes/lib/fake_main.h"

#define API_PREFIX        "/_matrix/client/v3/"
#define MAX_SEGS          8
#define MAX_EVENTS        100000     /* events in all rooms */
#define MAX_ROOMS         1000
#define MAX_DEVICES       1000
#define MAX_TOKENS        10000
#define MAX_FILTERS       10000
#define MAX_TXNS          100000     /* transactions recorded for /_control/sent */
#define MAX_CALLS_PER_TXN 100
#define MAX_HELD          128        /* /sync requests held at once */
#define MAX_RULES         64
#define MAX_EVENT_BYTES   65536      /* the spec's limit for one event */
#define MAX_ID            255
#define MAX_BATCH         1000       /* events in one POST /_control/event */
#define DEFAULT_LIMIT     10         /* timeline limit without a filter (like Synapse) */
#define MAX_LIMIT         1000
#define MAX_TIMEOUT_MS    3600000L
#define LOG_TEXT_MAX      (64 * 1024)

#define JSON_FLAGS        JSON_COMPACT

struct app;

/* One event of one room. pos (stream position) = index in app->evs + 1. */
struct ev {
	json_t *j;          /* the stored event, with room_id; redactions rewrite it */
	struct room *room;
	char *txn_id;       /* when the bot sent it */
	char *dev_key;      /* "<device>#<generation>" of the sending device, or NULL */
};

struct room {
	char *id;
	char *alias;
	int version;
	size_t *idx;        /* indexes into app->evs, in order */
	size_t n, cap;
	long limited_count; /* armed by /_control/limited; 0 = off */
	long join_fails;    /* armed by /_control/join_fails */
	int join_status;
	char join_errcode[48];
};

enum rule_kind { RULE_FAIL, RULE_GARBAGE, RULE_STALL, RULE_DROP };

struct rule {
	enum rule_kind kind;
	char path[32];
	long count;
	int status;
	char errcode[48];
	char error[128];
	long retry_after_ms;    /* < 0: none */
	bool header, body_ms;   /* 429: Retry-After header, retry_after_ms in the body */
	bool applied;           /* the call is performed before the failure answer */
	bool reset;             /* drop with TCP RST */
	bool cut;               /* drop halfway through the answer's body */
	char garbage[16];
	long ms;                /* stall */
};

struct bucket {
	char path[32];
	long burst, interval_ms;
	uint64_t avail;         /* in ms units: one call costs interval_ms */
	uint64_t last_ms;
};

/* A /sync request waiting for events, its timeout or the end of a stall. */
struct held {
	struct app *app;
	struct fake_http_req *req;
	uv_timer_t timer;
	json_t *logf;
	json_t *filter;
	char *token;
	char device[MAX_ID + 1];
	char dev_key[MAX_ID + 24];
	uint64_t since;
	bool initial, full_state;
	uint64_t arrived_ms, timeout_ms;
	bool stalled;
	unsigned wake_gen;
	struct held *prev, *next;
};

struct delayed {
	uv_timer_t timer;
	struct app *app;
	struct fake_http_req *req;
	int status;
	char *body;
	size_t body_len;
	const char *ctype;
	char retry_after[24];
	struct delayed *prev, *next;
};

struct opts {
	struct fake_main_opts m;
	const char *user, *password, *token, *device;
};

struct app {
	uv_loop_t *loop;
	struct opts o;
	char server[MAX_ID + 1];
	char localpart[MAX_ID + 1];
	struct fake_http_server *http;
	struct fake_log *log;
	int port;
	struct fake_main m;
	uv_timer_t wake_timer;
	uint64_t rng;
	int64_t last_ts;
	struct ev *evs;
	size_t n_evs, cap_evs;
	json_t *ev_index;            /* event_id -> index in evs */
	struct room **rooms;
	size_t n_rooms;
	bool paused;
	size_t frozen;               /* visible stream position while paused */
	json_t *devices;             /* device_id -> {generation, deleted, display_name, logins} */
	json_t *tokens;              /* access token -> {device_id, generation, valid, soft_logout} */
	json_t *filters;             /* filter_id = index */
	json_t *txns;                /* "<dev_key>\n<endpoint>\n<segments>" -> record (also in sent) */
	json_t *sent;                /* transaction records, in order of first arrival */
	json_t *counts;              /* endpoint name -> calls */
	unsigned long token_serial, sync_serial, api_calls, sync_answers;
	char last_next_batch[64];
	struct rule rules[MAX_RULES];
	size_t n_rules;
	struct bucket buckets[MAX_RULES];
	size_t n_buckets;
	struct held *held;
	unsigned n_held, wake_gen;
	struct delayed *delayed;
};

/* ---- small helpers ---- */

static uint64_t rng_next(struct app *app)
{
	uint64_t x = app->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	app->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static void rand_chars(struct app *app, char *out, size_t n, const char *alphabet)
{
	size_t i, k = strlen(alphabet);

	for (i = 0; i < n; i++)
		out[i] = alphabet[rng_next(app) % k];
	out[n] = '\0';
}

#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGITS "0123456789"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Strict decimal parse of s into [min, max]. */
static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || strlen(s) > 18 || !((*s >= '0' && *s <= '9') || *s == '-'))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* The string value of key, or NULL when absent or not a string ("" allowed). */
static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* A Matrix user id: "@local:server", printable, at most 255 bytes. */
static bool user_id_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 4 || n > MAX_ID || s[0] != '@' || !strchr(s + 2, ':'))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return fake_codec_utf8_valid(s, n);
}

/* Glob with '*' (any run of characters), as in event filter types. */
static bool glob_match(const char *p, const char *s)
{
	const char *star = NULL, *back = NULL;

	while (*s) {
		if (*p == '*') {
			star = p++;
			back = s;
		} else if (*p == *s) {
			p++;
			s++;
		} else if (star) {
			p = star + 1;
			s = ++back;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static bool list_has(const json_t *arr, const char *s, bool glob)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const char *p = json_string_value(json_array_get(arr, i));

		if (p && (glob ? glob_match(p, s) : strcmp(p, s) == 0))
			return true;
	}
	return false;
}

static uint64_t log_event(struct app *app, const char *kind, json_t *fields)
{
	return fake_log_add(app->log, kind, fields);
}

static size_t visible_pos(const struct app *app)
{
	return app->paused ? app->frozen : app->n_evs;
}

static const char *bot_user(const struct app *app)
{
	return app->o.user;
}

/* ---- rooms and state ---- */

static struct room *find_room(struct app *app, const char *id)
{
	size_t i;

	for (i = 0; id && i < app->n_rooms; i++)
		if (strcmp(app->rooms[i]->id, id) == 0 ||
		    (app->rooms[i]->alias && strcmp(app->rooms[i]->alias, id) == 0))
			return app->rooms[i];
	return NULL;
}

static uint64_t ev_pos(const struct room *r, size_t i)
{
	return (uint64_t)r->idx[i] + 1;
}

/* The number of r's events with a stream position <= pos. */
static size_t room_count_upto(const struct room *r, uint64_t pos)
{
	size_t k = r->n;

	while (k > 0 && ev_pos(r, k - 1) > pos)
		k--;
	return k;
}

/* The state of r before its k-th event: a new object type -> {state_key -> index in
 * app->evs}. NULL when memory ran out. */
static json_t *state_range(struct app *app, const struct room *r, size_t from, size_t to)
{
	json_t *st = json_object();
	size_t i;

	for (i = from; st && i < to; i++) {
		const json_t *e = app->evs[r->idx[i]].j;
		const char *sk = jstr(e, "state_key"), *type = jstr(e, "type");
		json_t *m;

		if (!sk || !type)
			continue;
		m = json_object_get(st, type);
		if (!m && json_object_set_new(st, type, m = json_object()))
			goto oom;
		if (json_object_set_new(m, sk, json_integer((json_int_t)r->idx[i])))
			goto oom;
	}
	return st;
oom:
	json_decref(st);
	return NULL;
}

static json_t *state_at(struct app *app, const struct room *r, size_t k)
{
	return state_range(app, r, 0, k);
}

static struct ev *state_get(struct app *app, const json_t *st, const char *type, const char *sk)
{
	json_t *v = json_object_get(json_object_get(st, type), sk);

	return v ? &app->evs[json_integer_value(v)] : NULL;
}

/* A user's membership in state st ("join", "invite", "leave", "ban"), or NULL. */
static const char *membership(struct app *app, const json_t *st, const char *user, uint64_t *pos)
{
	struct ev *e = state_get(app, st, "m.room.member", user);

	if (!e)
		return NULL;
	if (pos)
		*pos = (uint64_t)(e - app->evs) + 1;
	return jstr(json_object_get(e->j, "content"), "membership");
}

static long json_level(const json_t *v, long def)
{
	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v)) {
		long n;

		if (parse_long(json_string_value(v), -(1L << 53), 1L << 53, &n) == 0)
			return n;
	}
	return def;
}

static const json_t *power_levels(struct app *app, const json_t *st)
{
	struct ev *e = state_get(app, st, "m.room.power_levels", "");

	return e ? json_object_get(e->j, "content") : NULL;
}

static long user_level(struct app *app, const json_t *st, const char *user)
{
	const json_t *pl = power_levels(app, st);
	const json_t *u = json_object_get(json_object_get(pl, "users"), user);

	if (!pl)
		return 0;
	return u ? json_level(u, 0) : json_level(json_object_get(pl, "users_default"), 0);
}

static long send_level(struct app *app, const json_t *st, const char *type, bool state)
{
	const json_t *pl = power_levels(app, st);
	const json_t *e = json_object_get(json_object_get(pl, "events"), type);

	if (!pl)
		return 0;
	if (e)
		return json_level(e, 0);
	return state ? json_level(json_object_get(pl, "state_default"), 50)
		     : json_level(json_object_get(pl, "events_default"), 0);
}

/* ---- events ---- */

static struct ev *find_event(struct app *app, const struct room *r, const char *event_id)
{
	json_t *v = event_id ? json_object_get(app->ev_index, event_id) : NULL;
	struct ev *e;

	if (!v)
		return NULL;
	e = &app->evs[json_integer_value(v)];
	return !r || e->room == r ? e : NULL;
}

static const json_t *relates_to(const json_t *ev)
{
	return json_object_get(json_object_get(ev, "content"), "m.relates_to");
}

static bool is_redacted(const json_t *ev)
{
	return json_object_get(json_object_get(ev, "unsigned"), "redacted_because") != NULL;
}

/* The target of a redaction event, wherever its room version keeps it. */
static const char *redaction_target(const json_t *ev)
{
	const char *t = jstr(ev, "redacts");

	return t ? t : jstr(json_object_get(ev, "content"), "redacts");
}

/* Content keys that survive a redaction (the spec's redaction algorithm, v1-v11). */
static bool keep_key(const char *type, const char *key, int version)
{
	static const char *pl[] = {"ban", "events", "events_default", "kick", "redact",
				   "state_default", "users", "users_default"};
	size_t i;

	if (strcmp(type, "m.room.member") == 0)
		return strcmp(key, "membership") == 0 ||
		       (version >= 9 && strcmp(key, "join_authorised_via_users_server") == 0);
	if (strcmp(type, "m.room.create") == 0)
		return version >= 11 || strcmp(key, "creator") == 0;
	if (strcmp(type, "m.room.join_rules") == 0)
		return strcmp(key, "join_rule") == 0 || (version >= 8 && strcmp(key, "allow") == 0);
	if (strcmp(type, "m.room.power_levels") == 0) {
		for (i = 0; i < sizeof pl / sizeof pl[0]; i++)
			if (strcmp(key, pl[i]) == 0)
				return true;
		return version >= 11 && strcmp(key, "invite") == 0;
	}
	if (strcmp(type, "m.room.history_visibility") == 0)
		return strcmp(key, "history_visibility") == 0;
	if (strcmp(type, "m.room.redaction") == 0)
		return version >= 11 && strcmp(key, "redacts") == 0;
	return false;
}

/* The client form of a stored event: a shallow copy with unsigned.age and, for the
 * device that sent it, unsigned.transaction_id. room_id only when with_room_id. */
static json_t *ev_client(struct app *app, const struct ev *e, const char *dev_key,
			 bool with_room_id)
{
	json_t *o = json_copy(e->j), *u;
	const json_t *su = json_object_get(e->j, "unsigned");
	json_int_t age = (json_int_t)(wall_ms() - json_integer_value(json_object_get(e->j,
									   "origin_server_ts")));

	(void)app;
	if (!o)
		return NULL;
	u = su ? json_copy((json_t *)su) : json_object();
	if (!u) {
		json_decref(o);
		return NULL;
	}
	if (json_object_set_new(u, "age", json_integer(age < 0 ? 0 : age)) ||
	    (e->txn_id && dev_key && e->dev_key && strcmp(e->dev_key, dev_key) == 0 &&
	     json_object_set_new(u, "transaction_id", json_string(e->txn_id)))) {
		json_decref(u);
		json_decref(o);
		return NULL;
	}
	if (json_object_set_new(o, "unsigned", u)) {
		json_decref(o);
		return NULL;
	}
	if (!with_room_id)
		json_object_del(o, "room_id");
	return o;
}

static json_t *ev_stripped(const struct ev *e)
{
	return json_pack("{s:O, s:O, s:O, s:O}", "type", json_object_get(e->j, "type"), "state_key",
			 json_object_get(e->j, "state_key"), "sender", json_object_get(e->j, "sender"),
			 "content", json_object_get(e->j, "content"));
}

/* Applies redaction red (stored, already appended) to its target in the same room. */
static void apply_redaction(struct app *app, struct ev *red)
{
	struct ev *t = find_event(app, red->room, redaction_target(red->j));
	static const char *keep_top[] = {"event_id", "type", "room_id", "sender", "state_key",
					 "content", "origin_server_ts"};
	json_t *content, *nc, *nj, *because, *u;
	const char *key, *type;
	json_t *v;
	size_t i;

	if (!t || t == red || is_redacted(t->j))
		return;
	type = jstr(t->j, "type");
	content = json_object_get(t->j, "content");
	nc = json_object();
	nj = json_object();
	because = json_copy(red->j);
	if (!nc || !nj || !because)
		goto out;
	json_object_foreach(content, key, v)
		if (keep_key(type ? type : "", key, t->room->version) && json_object_set(nc, key, v))
			goto out;
	for (i = 0; i < sizeof keep_top / sizeof keep_top[0]; i++) {
		json_t *kv = json_object_get(t->j, keep_top[i]);

		if (kv && json_object_set(nj, keep_top[i], kv))
			goto out;
	}
	json_object_del(because, "room_id");
	u = json_pack("{s:O}", "redacted_because", because);
	if (!u || json_object_set_new(nj, "unsigned", u) || json_object_set(nj, "content", nc))
		goto out;
	json_decref(t->j);
	t->j = nj;
	nj = NULL;
out:
	json_decref(nc);
	json_decref(nj);
	json_decref(because);
}

/* Bundles a valid edit into its original's unsigned["m.relations"]["m.replace"]. */
static void apply_edit(struct app *app, struct ev *edit)
{
	const json_t *rel = relates_to(edit->j);
	struct ev *orig;
	json_t *u, *rels, *copy;

	if (!streq(jstr(rel, "rel_type"), "m.replace") ||
	    !json_is_object(json_object_get(json_object_get(edit->j, "content"), "m.new_content")))
		return;
	orig = find_event(app, edit->room, jstr(rel, "event_id"));
	if (!orig || orig == edit || is_redacted(orig->j) || json_object_get(orig->j, "state_key") ||
	    !streq(jstr(orig->j, "sender"), jstr(edit->j, "sender")) ||
	    !streq(jstr(orig->j, "type"), jstr(edit->j, "type")) ||
	    streq(jstr(relates_to(orig->j), "rel_type"), "m.replace"))
		return;
	u = json_object_get(orig->j, "unsigned");
	if (!u && json_object_set_new(orig->j, "unsigned", u = json_object()))
		return;
	rels = json_object_get(u, "m.relations");
	if (!rels && json_object_set_new(u, "m.relations", rels = json_object()))
		return;
	copy = json_copy(edit->j);
	if (copy)
		json_object_del(copy, "room_id");
	json_object_set_new(rels, "m.replace", copy);
}

static void schedule_wake(struct app *app);

/* A new event for room r (content borrowed). For m.room.redaction, redacts goes where
 * the room version keeps it (top level for v1-10, content for v11). */
static json_t *make_event(struct app *app, struct room *r, const char *type, const char *sender,
			  const json_t *content, const char *state_key, const char *redacts)
{
	char id[45];
	int64_t ts = wall_ms();
	json_t *e, *c;

	if (ts <= app->last_ts)
		ts = app->last_ts + 1;
	app->last_ts = ts;
	id[0] = '$';
	rand_chars(app, id + 1, 43, UPPER LOWER DIGITS "-_");
	c = content ? json_deep_copy(content) : json_object();
	if (!c)
		return NULL;
	if (redacts && r->version >= 11) {
		if (json_object_set_new(c, "redacts", json_string(redacts))) {
			json_decref(c);
			return NULL;
		}
	} else if (redacts) {
		json_object_del(c, "redacts");
	}
	e = json_pack("{s:s, s:s, s:o, s:s, s:I, s:s}", "type", type, "sender", sender, "content", c,
		      "event_id", id, "origin_server_ts", (json_int_t)ts, "room_id", r->id);
	if (e && state_key && json_object_set_new(e, "state_key", json_string(state_key))) {
		json_decref(e);
		return NULL;
	}
	if (e && redacts && r->version < 11 && json_object_set_new(e, "redacts", json_string(redacts))) {
		json_decref(e);
		return NULL;
	}
	return e;
}

/* Appends j (stolen) to r's timeline. Returns the stored event, or NULL when the store
 * is full or memory ran out (j is freed). */
static struct ev *append_event(struct app *app, struct room *r, json_t *j, const char *dev_key,
			       const char *txn_id)
{
	struct ev *e;
	size_t i = app->n_evs;

	if (!j || app->n_evs >= MAX_EVENTS)
		goto fail;
	if (app->n_evs == app->cap_evs) {
		size_t cap = app->cap_evs ? app->cap_evs * 2 : 256;
		struct ev *n = realloc(app->evs, cap * sizeof *n);

		if (!n)
			goto fail;
		app->evs = n;
		app->cap_evs = cap;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		size_t *n = realloc(r->idx, cap * sizeof *n);

		if (!n)
			goto fail;
		r->idx = n;
		r->cap = cap;
	}
	e = &app->evs[i];
	*e = (struct ev){.j = j, .room = r};
	if ((dev_key && !(e->dev_key = strdup(dev_key))) || (txn_id && !(e->txn_id = strdup(txn_id))) ||
	    json_object_set_new(app->ev_index, jstr(j, "event_id"), json_integer((json_int_t)i))) {
		free(e->dev_key);
		free(e->txn_id);
		goto fail;
	}
	app->n_evs++;
	r->idx[r->n++] = i;
	if (streq(jstr(j, "type"), "m.room.redaction"))
		apply_redaction(app, e);
	else
		apply_edit(app, e);
	schedule_wake(app);
	return e;
fail:
	json_decref(j);
	return NULL;
}

/* Checks the relation rules a homeserver enforces when an event is sent: a second
 * identical annotation (M_DUPLICATE_ANNOTATION) and a thread rooted at an event that
 * has a relation itself (M_UNKNOWN). Returns NULL or the errcode, with *msg. */
static const char *check_relations(struct app *app, const struct room *r, const char *type,
				   const char *sender, const json_t *content, const char **msg)
{
	const json_t *rel = json_object_get(content, "m.relates_to");
	const char *rt = jstr(rel, "rel_type"), *target = jstr(rel, "event_id");
	size_t i;

	if (rel && !json_is_object(rel)) {
		*msg = "m.relates_to must be an object";
		return "M_BAD_JSON";
	}
	if (streq(rt, "m.thread")) {
		struct ev *root = find_event(app, r, target);

		if (root && jstr(relates_to(root->j), "rel_type")) {
			*msg = "Cannot start threads from an event with a relation";
			return "M_UNKNOWN";
		}
	}
	if (streq(rt, "m.annotation") && target) {
		const char *key = jstr(rel, "key");

		for (i = 0; i < r->n; i++) {
			const json_t *o = app->evs[r->idx[i]].j, *orel = relates_to(o);

			if (streq(jstr(o, "type"), type) && streq(jstr(o, "sender"), sender) &&
			    !is_redacted(o) && streq(jstr(orel, "rel_type"), "m.annotation") &&
			    streq(jstr(orel, "event_id"), target) && streq(jstr(orel, "key"), key)) {
				*msg = "Can't send same reaction twice";
				return "M_DUPLICATE_ANNOTATION";
			}
		}
	}
	return NULL;
}

static size_t json_size(const json_t *j)
{
	return json_dumpb(j, NULL, 0, JSON_COMPACT);
}

/* ---- accounts: devices and access tokens ---- */

static bool device_live(const json_t *d)
{
	return d && !json_is_true(json_object_get(d, "deleted"));
}

/* The device record, created (or re-created after a hard logout, with a new generation:
 * a new transaction scope) when needed. NULL when the table is full or memory ran out. */
static json_t *device_ensure(struct app *app, const char *id, const char *display_name)
{
	json_t *d = json_object_get(app->devices, id), *n;

	if (device_live(d))
		return d;
	if (!d && json_object_size(app->devices) >= MAX_DEVICES)
		return NULL;
	n = json_pack("{s:I, s:b, s:s?, s:I}", "generation",
		      (json_int_t)(d ? json_integer_value(json_object_get(d, "generation")) + 1 : 1),
		      "deleted", 0, "display_name", display_name, "logins", (json_int_t)0);
	if (!n || json_object_set_new(app->devices, id, n))
		return NULL;
	return n;
}

static void dev_key_of(const char *device, json_int_t gen, char *out, size_t n)
{
	snprintf(out, n, "%s#%lld", device, (long long)gen);
}

/* Issues a fresh access token for device (which must exist). 0, or -1. */
static int issue_token(struct app *app, const char *device, char *out, size_t n)
{
	const json_t *d = json_object_get(app->devices, device);
	unsigned char lp[MAX_ID + 1];
	char b64[400], rnd[21], chk[7];
	size_t i, len = strlen(app->localpart);
	json_t *t;

	if (!d || json_object_size(app->tokens) >= MAX_TOKENS)
		return -1;
	memcpy(lp, app->localpart, len);
	if (!fake_codec_b64_encode(lp, len, b64, sizeof b64))
		return -1;
	for (i = 0; b64[i]; i++) {
		if (b64[i] == '+')
			b64[i] = '-';
		else if (b64[i] == '/')
			b64[i] = '_';
		else if (b64[i] == '=')
			b64[i] = '\0';
	}
	rand_chars(app, rnd, 20, UPPER LOWER);
	rand_chars(app, chk, 6, UPPER LOWER DIGITS);
	snprintf(out, n, "syt_%s_%s_%s", b64, rnd, chk);
	t = json_pack("{s:s, s:O, s:b, s:b, s:I}", "device_id", device, "generation",
		      json_object_get(d, "generation"), "valid", 1, "soft_logout", 0, "serial",
		      (json_int_t)++app->token_serial);
	if (!t || json_object_set_new(app->tokens, out, t))
		return -1;
	return 0;
}

/* Invalidates the valid tokens (only the one named when only != NULL). A hard logout
 * also deletes the device and every other token of it. Returns how many were valid. */
static long invalidate_tokens(struct app *app, const char *only, bool soft)
{
	const char *key;
	json_t *t;
	long n = 0;

	json_object_foreach(app->tokens, key, t) {
		const char *dev = jstr(t, "device_id");
		json_t *d = json_object_get(app->devices, dev);
		const char *k2;
		json_t *t2;

		if (!json_is_true(json_object_get(t, "valid")) || (only && strcmp(key, only) != 0))
			continue;
		n++;
		json_object_set_new(t, "valid", json_false());
		json_object_set_new(t, "soft_logout", json_boolean(soft));
		if (soft || !d)
			continue;
		json_object_set_new(d, "deleted", json_true());
		json_object_foreach(app->tokens, k2, t2)
			if (streq(jstr(t2, "device_id"), dev) &&
			    json_is_true(json_object_get(t2, "valid"))) {
				json_object_set_new(t2, "valid", json_false());
				json_object_set_new(t2, "soft_logout", json_false());
			}
	}
	return n;
}

/* ---- filters ---- */

static const char *check_event_filter(const json_t *f, const char *what)
{
	static const char *lists[] = {"types", "not_types", "senders", "not_senders", "rooms",
				      "not_rooms"};
	static char msg[160];
	const json_t *v;
	size_t i, j;

	if (!f)
		return NULL;
	if (!json_is_object(f)) {
		snprintf(msg, sizeof msg, "%s must be an object", what);
		return msg;
	}
	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		v = json_object_get(f, lists[i]);
		if (!v)
			continue;
		for (j = 0; json_is_array(v) && j < json_array_size(v); j++)
			if (!json_is_string(json_array_get(v, j)))
				break;
		if (!json_is_array(v) || j < json_array_size(v)) {
			snprintf(msg, sizeof msg, "%s.%s must be an array of strings", what, lists[i]);
			return msg;
		}
	}
	v = json_object_get(f, "limit");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1)) {
		snprintf(msg, sizeof msg, "%s.limit must be an integer greater than 0", what);
		return msg;
	}
	return NULL;
}

/* NULL when f is an acceptable Filter (filter.yaml), else why not. */
static const char *check_filter(const json_t *f)
{
	static const char *parts[] = {"state", "timeline", "ephemeral", "account_data"};
	const json_t *room = json_object_get(f, "room"), *v;
	const char *why;
	char what[40];
	size_t i;

	if (!json_is_object(f))
		return "a filter is a JSON object";
	if ((why = check_event_filter(room, "room")))
		return why;
	for (i = 0; room && i < sizeof parts / sizeof parts[0]; i++) {
		snprintf(what, sizeof what, "room.%s", parts[i]);
		if ((why = check_event_filter(json_object_get(room, parts[i]), what)))
			return why;
	}
	if ((why = check_event_filter(json_object_get(f, "presence"), "presence")) ||
	    (why = check_event_filter(json_object_get(f, "account_data"), "account_data")))
		return why;
	v = json_object_get(f, "event_fields");
	if (v && !json_is_array(v))
		return "event_fields must be an array of strings";
	v = json_object_get(f, "event_format");
	if (v && !streq(json_string_value(v), "client") && !streq(json_string_value(v), "federation"))
		return "event_format must be client or federation";
	return NULL;
}

/* RoomEventFilter (or StateFilter) test; f NULL passes everything. */
static bool event_passes(const json_t *f, const json_t *e)
{
	const char *type = jstr(e, "type"), *sender = jstr(e, "sender"), *room = jstr(e, "room_id");
	const json_t *v;

	if (!f)
		return true;
	if ((v = json_object_get(f, "types")) && !list_has(v, type ? type : "", true))
		return false;
	if (list_has(json_object_get(f, "not_types"), type ? type : "", true))
		return false;
	if ((v = json_object_get(f, "senders")) && !list_has(v, sender ? sender : "", false))
		return false;
	if (list_has(json_object_get(f, "not_senders"), sender ? sender : "", false))
		return false;
	if ((v = json_object_get(f, "rooms")) && !list_has(v, room ? room : "", false))
		return false;
	if (list_has(json_object_get(f, "not_rooms"), room ? room : "", false))
		return false;
	return true;
}

static bool room_passes(const json_t *room_f, const char *id)
{
	const json_t *v;

	if (!room_f)
		return true;
	if ((v = json_object_get(room_f, "rooms")) && !list_has(v, id, false))
		return false;
	return !list_has(json_object_get(room_f, "not_rooms"), id, false);
}

/* ---- /sync ---- */

struct sync_ctx {
	struct app *app;
	uint64_t since, cur;
	bool initial, full_state;
	const json_t *room_f, *tl_f, *st_f;
	size_t limit;
	const char *dev_key;
	json_t *notes;      /* what the answer did, for the log (limited rules used) */
};

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The events of state st (type -> {state_key -> index}) passing f, in stream order,
 * in client form. NULL when memory ran out. */
static json_t *state_events(struct app *app, const json_t *st, const json_t *f,
			    const char *dev_key, bool with_room_id)
{
	const char *type, *sk;
	json_t *m, *v, *out = json_array();
	size_t n = 0, cap = 0, i, *ix = NULL;

	json_object_foreach((json_t *)st, type, m) {
		json_object_foreach(m, sk, v) {
			if (n == cap) {
				size_t *nx = realloc(ix, (cap = cap ? cap * 2 : 16) * sizeof *nx);

				if (!nx)
					goto oom;
				ix = nx;
			}
			ix[n++] = (size_t)json_integer_value(v);
		}
	}
	if (n)
		qsort(ix, n, sizeof *ix, cmp_size);
	for (i = 0; out && i < n; i++)
		if (event_passes(f, app->evs[ix[i]].j) &&
		    json_array_append_new(out, ev_client(app, &app->evs[ix[i]], dev_key, with_room_id)))
			goto oom;
	free(ix);
	return out;
oom:
	free(ix);
	json_decref(out);
	return NULL;
}

/* summary: heroes (up to 5 other joined/invited members), member counts. */
static json_t *room_summary(struct app *app, const json_t *st)
{
	json_t *heroes = json_array(), *v;
	const char *user;
	long joined = 0, invited = 0;

	json_object_foreach(json_object_get(st, "m.room.member"), user, v) {
		const char *m = jstr(json_object_get(app->evs[json_integer_value(v)].j, "content"),
				     "membership");

		if (streq(m, "join"))
			joined++;
		else if (streq(m, "invite"))
			invited++;
		else
			continue;
		if (heroes && strcmp(user, bot_user(app)) != 0 && json_array_size(heroes) < 5 &&
		    json_array_append_new(heroes, json_string(user))) {
			json_decref(heroes);
			heroes = NULL;
		}
	}
	if (!heroes)
		return NULL;
	return json_pack("{s:o, s:I, s:I}", "m.heroes", heroes, "m.joined_member_count",
			 (json_int_t)joined, "m.invited_member_count", (json_int_t)invited);
}

/* rooms.join.<id> for room r (k events visible, st_cur the state then). full: the
 * room is new to this client (first sync, full_state, or joined since `since`): state
 * up to the timeline plus the last events. Else the events after since. *skip when
 * there is nothing to say about the room. */
static json_t *sync_joined(struct sync_ctx *s, struct room *r, size_t k, const json_t *st_cur,
			   bool full, bool *skip)
{
	struct app *app = s->app;
	size_t first = 0, m = 0, i, w0, wstart, lim = s->limit, *cand;
	json_t *st = NULL, *state = NULL, *tl = NULL, *sum = NULL, *out = NULL;
	bool limited;
	char prev[32];

	*skip = false;
	if (!full)
		while (first < k && ev_pos(r, first) <= s->since)
			first++;
	cand = malloc((k - first + 1) * sizeof *cand);
	if (!cand)
		return NULL;
	for (i = first; i < k; i++)
		if (event_passes(s->tl_f, app->evs[r->idx[i]].j))
			cand[m++] = i;
	if (!full && r->limited_count > 0 && m > (size_t)r->limited_count) {
		lim = (size_t)r->limited_count;
		json_array_append_new(s->notes,
				      json_pack("{s:s, s:I, s:I}", "limited_rule", r->id, "new_events",
						(json_int_t)m, "returned", (json_int_t)lim));
		r->limited_count = 0;
	}
	limited = m > lim;
	w0 = limited ? m - lim : 0;
	wstart = w0 < m ? cand[w0] : k;
	/* state is the state before the timeline: all of it for a full answer, else the
	 * changes between since and the start of the timeline */
	st = full ? state_at(app, r, wstart) : state_range(app, r, first, wstart);
	state = st ? state_events(app, st, s->st_f, s->dev_key, false) : NULL;
	if (!state)
		goto out;
	if (!full && w0 == m && json_array_size(state) == 0) {
		*skip = true;
		goto out;
	}
	tl = json_array();
	for (i = w0; tl && i < m; i++)
		if (json_array_append_new(tl, ev_client(app, &app->evs[r->idx[cand[i]]], s->dev_key,
							false)))
			goto out;
	snprintf(prev, sizeof prev, "t%llu",
		 (unsigned long long)(w0 < m ? ev_pos(r, cand[w0]) - 1 : s->cur));
	sum = full ? room_summary(app, st_cur) : json_object();
	if (!tl || !sum)
		goto out;
	out = json_pack("{s:{s:O}, s:{s:O, s:b, s:s}, s:{s:[]}, s:{s:[]}, s:{s:i, s:i}, s:O}",
			"state", "events", state, "timeline", "events", tl, "limited", limited,
			"prev_batch", prev, "ephemeral", "events", "account_data", "events",
			"unread_notifications", "highlight_count", 0, "notification_count", 0,
			"summary", sum);
out:
	free(cand);
	json_decref(st);
	json_decref(state);
	json_decref(tl);
	json_decref(sum);
	return out;
}

/* rooms.invite.<id>: stripped state (like Synapse's room_prejoin_state: create, join
 * rules, alias, avatar, encryption, name, topic, the inviter's member event) and the
 * invite itself. */
static json_t *sync_invite(struct app *app, const json_t *st, struct ev *invite)
{
	static const char *types[] = {"m.room.create",   "m.room.join_rules",
				      "m.room.canonical_alias", "m.room.avatar",
				      "m.room.encryption", "m.room.name",
				      "m.room.topic"};
	json_t *events = json_array();
	struct ev *inviter;
	size_t i;

	for (i = 0; events && i < sizeof types / sizeof types[0]; i++) {
		struct ev *e = state_get(app, st, types[i], "");

		if (e && json_array_append_new(events, ev_stripped(e)))
			goto oom;
	}
	inviter = state_get(app, st, "m.room.member", jstr(invite->j, "sender"));
	if (events && inviter && inviter != invite &&
	    json_array_append_new(events, ev_stripped(inviter)))
		goto oom;
	if (!events || json_array_append_new(events, ev_stripped(invite)))
		goto oom;
	return json_pack("{s:{s:o}}", "invite_state", "events", events);
oom:
	json_decref(events);
	return NULL;
}

/* rooms.leave.<id>: the timeline up to the bot's leave (or ban). */
static json_t *sync_leave(struct sync_ctx *s, struct room *r, uint64_t leave_pos)
{
	struct app *app = s->app;
	json_t *tl = json_array();
	size_t i, first = 0, k = room_count_upto(r, leave_pos), n = 0;
	char prev[32];

	while (first < k && ev_pos(r, first) <= s->since)
		first++;
	for (i = first; i < k; i++)
		if (event_passes(s->tl_f, app->evs[r->idx[i]].j))
			n++;
	for (i = first; tl && i < k; i++) {
		const struct ev *e = &app->evs[r->idx[i]];

		if (!event_passes(s->tl_f, e->j))
			continue;
		if (n-- > s->limit)
			continue;
		if (json_array_append_new(tl, ev_client(app, e, s->dev_key, false))) {
			json_decref(tl);
			return NULL;
		}
	}
	snprintf(prev, sizeof prev, "t%llu", (unsigned long long)s->since);
	return json_pack("{s:{s:[]}, s:{s:o, s:b, s:s}, s:{s:[]}}", "state", "events", "timeline",
			 "events", tl, "limited", 0, "prev_batch", prev, "account_data", "events");
}

/* The /sync answer without next_batch; *has_data when some room has news. */
static json_t *build_sync(struct sync_ctx *s, bool *has_data)
{
	struct app *app = s->app;
	json_t *join = json_object(), *invite = json_object(), *leave = json_object();
	json_t *rooms = json_object(), *resp = NULL;
	size_t i;

	*has_data = false;
	if (!join || !invite || !leave || !rooms)
		goto out;
	for (i = 0; i < app->n_rooms; i++) {
		struct room *r = app->rooms[i];
		json_t *st, *entry = NULL, *target = NULL;
		const char *m;
		uint64_t mpos = 0;
		bool changed, skip = false;
		size_t k;

		if (!room_passes(s->room_f, r->id) || !(k = room_count_upto(r, s->cur)))
			continue;
		st = state_at(app, r, k);
		if (!st)
			goto out;
		m = membership(app, st, bot_user(app), &mpos);
		changed = s->initial || s->full_state || mpos > s->since;
		if (streq(m, "invite") && changed) {
			target = invite;
			entry = sync_invite(app, st, &app->evs[mpos - 1]);
		} else if (streq(m, "join")) {
			target = join;
			entry = sync_joined(s, r, k, st, changed, &skip);
		} else if ((streq(m, "leave") || streq(m, "ban")) && !s->initial && mpos > s->since) {
			target = leave;
			entry = sync_leave(s, r, mpos);
		} else {
			skip = true;
		}
		json_decref(st);
		if (skip)
			continue;
		if (!entry || json_object_set_new(target, r->id, entry))
			goto out;
	}
	resp = json_pack("{s:{}}", "device_one_time_keys_count");
	if (!resp)
		goto out;
	if ((json_object_size(join) && json_object_set(rooms, "join", join)) ||
	    (json_object_size(invite) && json_object_set(rooms, "invite", invite)) ||
	    (json_object_size(leave) && json_object_set(rooms, "leave", leave)) ||
	    (json_object_size(rooms) && json_object_set(resp, "rooms", rooms))) {
		json_decref(resp);
		resp = NULL;
		goto out;
	}
	*has_data = json_object_size(rooms) > 0;
out:
	json_decref(join);
	json_decref(invite);
	json_decref(leave);
	json_decref(rooms);
	return resp;
}

/* A stream token: "s<pos>[_<n>]" (from /sync) or "t<pos>[_<n>]" (pagination). */
static int parse_token(const char *s, uint64_t max, uint64_t *pos)
{
	char buf[32], *us;
	long v;

	if (!s || (s[0] != 's' && s[0] != 't') || strlen(s) >= sizeof buf)
		return -1;
	snprintf(buf, sizeof buf, "%s", s + 1);
	us = strchr(buf, '_');
	if (us) {
		long serial;

		*us = '\0';
		if (parse_long(us + 1, 0, 1L << 50, &serial))
			return -1;
	}
	if (parse_long(buf, 0, (long)max, &v))
		return -1;
	*pos = (uint64_t)v;
	return 0;
}

/* ---- answers ---- */

struct answer {
	int status;
	json_t *body;          /* owned */
	long retry_after_s;    /* >= 0: a Retry-After header */
	const char *garbage;   /* a garbage kind: the body is replaced */
	bool drop, reset;
	bool cut;              /* with drop: half the answer is written, then FIN */
	long delay_ms;
};

static json_t *merr(const char *errcode, const char *error)
{
	return json_pack("{s:s, s:s}", "errcode", errcode, "error", error);
}

static void delayed_closed(uv_handle_t *h)
{
	struct delayed *d = h->data;

	free(d->body);
	free(d);
}

static void delayed_finish(struct delayed *d)
{
	struct app *app = d->app;

	if (d->prev)
		d->prev->next = d->next;
	else
		app->delayed = d->next;
	if (d->next)
		d->next->prev = d->prev;
	uv_timer_stop(&d->timer);
	uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void send_now(struct fake_http_req *req, int status, const char *ctype,
		     const char *retry_after, const char *body, size_t len, bool cut)
{
	struct fake_http_header h[2] = {
		{"Content-Type", ctype},
		{"Retry-After", retry_after},
	};

	(cut ? fake_http_respond_cut : fake_http_respond)(req, status, h,
							   retry_after && *retry_after ? 2 : 1, body, len);
}

static void on_delayed(uv_timer_t *t)
{
	struct delayed *d = t->data;
	struct fake_http_req *req = d->req;

	d->req = NULL;
	delayed_finish(d);
	send_now(req, d->status, d->ctype, d->retry_after, d->body, d->body_len, false);
}

/* Logs the call (logf is stolen) and answers req as a says. Returns the log seq. */
static uint64_t deliver(struct app *app, struct fake_http_req *req, json_t *logf,
			struct answer *a)
{
	static const char oom[] = "{\"errcode\":\"M_UNKNOWN\",\"error\":\"fake_matrix: out of memory\"}";
	const char *ctype = "application/json", *text;
	char *dumped = NULL, ra[24] = "";
	size_t len;
	uint64_t seq;

	if (a->garbage || (a->cut && !a->body)) {
		/* A cut answer without a result of its own is a cut 1 MiB body. */
		text = fake_garbage_body(a->garbage ? a->garbage : "huge", &len, &ctype);
		if (!text) {
			a->status = 500;
			text = oom;
			len = strlen(oom);
		}
	} else {
		dumped = a->body ? json_dumps(a->body, JSON_FLAGS) : NULL;
		if (!dumped)
			a->status = 500;
		text = dumped ? dumped : oom;
		len = strlen(text);
	}
	if (a->retry_after_s >= 0)
		snprintf(ra, sizeof ra, "%ld", a->retry_after_s);
	if (logf) {
		json_object_set_new(logf, "status", json_integer(a->drop && !a->cut ? 0 : a->status));
		if (a->body && !a->garbage && jstr(a->body, "errcode"))
			json_object_set(logf, "errcode", json_object_get(a->body, "errcode"));
		if (a->body && !a->garbage)
			json_object_set(logf, "response", a->body);
		if (a->garbage)
			json_object_set_new(logf, "garbage", json_string(a->garbage));
		if (a->drop)
			json_object_set_new(logf, "dropped", json_true());
		if (a->cut)
			json_object_set_new(logf, "cut", json_true());
		if (a->delay_ms)
			json_object_set_new(logf, "delay_ms", json_integer(a->delay_ms));
		if (ra[0])
			json_object_set_new(logf, "retry_after_header", json_string(ra));
	}
	seq = log_event(app, "api", logf);
	json_decref(a->body);
	a->body = NULL;
	if (a->drop && !a->cut) {
		fake_http_req_drop(req, a->reset);
	} else if (a->delay_ms > 0 && !app->m.stopping) {
		struct delayed *d = calloc(1, sizeof *d);

		if (!d || !(d->body = malloc(len + 1))) {
			free(d);
			send_now(req, a->status, ctype, ra, text, len, false);
		} else {
			memcpy(d->body, text, len + 1);
			d->body_len = len;
			d->app = app;
			d->req = req;
			d->status = a->status;
			d->ctype = ctype;
			snprintf(d->retry_after, sizeof d->retry_after, "%s", ra);
			uv_timer_init(app->loop, &d->timer);
			d->timer.data = d;
			d->next = app->delayed;
			if (app->delayed)
				app->delayed->prev = d;
			app->delayed = d;
			uv_timer_start(&d->timer, on_delayed, (uint64_t)a->delay_ms, 0);
		}
	} else {
		send_now(req, a->status, ctype, ra, text, len, a->cut);
	}
	free(dumped);
	return seq;
}

/* ---- held /sync requests ---- */

static void held_closed(uv_handle_t *h)
{
	struct held *hs = h->data;

	json_decref(hs->logf);
	json_decref(hs->filter);
	free(hs->token);
	free(hs);
}

static void held_finish(struct held *hs)
{
	struct app *app = hs->app;

	if (hs->prev)
		hs->prev->next = hs->next;
	else
		app->held = hs->next;
	if (hs->next)
		hs->next->prev = hs->prev;
	app->n_held--;
	uv_timer_stop(&hs->timer);
	uv_close((uv_handle_t *)&hs->timer, held_closed);
}

/* The /sync answer for the request described by hs, with a new next_batch; NULL when
 * there is nothing to report and !force (or memory ran out). */
static json_t *sync_response(struct app *app, struct held *hs, bool force, json_t *logf)
{
	const json_t *room = json_object_get(hs->filter, "room");
	const json_t *tl = json_object_get(room, "timeline");
	const json_t *lim = json_object_get(tl, "limit");
	struct sync_ctx s = {
		.app = app,
		.since = hs->since,
		.cur = visible_pos(app),
		.initial = hs->initial,
		.full_state = hs->full_state,
		.room_f = room,
		.tl_f = tl,
		.st_f = json_object_get(room, "state"),
		.limit = lim ? (size_t)json_integer_value(lim) : DEFAULT_LIMIT,
		.dev_key = hs->dev_key,
		.notes = json_array(),
	};
	json_t *resp;
	bool has;
	char nb[64];

	if (s.limit > MAX_LIMIT)
		s.limit = MAX_LIMIT;
	resp = s.notes ? build_sync(&s, &has) : NULL;
	if (!resp || (!has && !force)) {
		json_decref(resp);
		json_decref(s.notes);
		return NULL;
	}
	snprintf(nb, sizeof nb, "s%llu_%lu", (unsigned long long)s.cur, ++app->sync_serial);
	if (json_object_set_new(resp, "next_batch", json_string(nb))) {
		json_decref(resp);
		json_decref(s.notes);
		return NULL;
	}
	snprintf(app->last_next_batch, sizeof app->last_next_batch, "%s", nb);
	app->sync_answers++;
	if (logf) {
		json_object_set_new(logf, "next_batch", json_string(nb));
		if (json_array_size(s.notes))
			json_object_set(logf, "notes", s.notes);
	}
	json_decref(s.notes);
	return resp;
}

/* Answers a held sync if there is news (or force). Returns true when answered. */
static bool held_answer(struct held *hs, bool force)
{
	struct app *app = hs->app;
	struct answer a = {.status = 200, .retry_after_s = -1};
	struct fake_http_req *req = hs->req;
	json_t *logf = hs->logf;

	a.body = sync_response(app, hs, force, logf);
	if (!a.body && !force)
		return false;
	if (!a.body) {
		a.status = 500;
		a.body = merr("M_UNKNOWN", "fake_matrix: out of memory");
	}
	if (logf)
		json_object_set_new(logf, "held_ms",
				    json_integer((json_int_t)(uv_now(app->loop) - hs->arrived_ms)));
	hs->logf = NULL;
	hs->req = NULL;
	fake_http_req_on_gone(req, NULL, NULL);
	held_finish(hs);
	deliver(app, req, logf, &a);
	return true;
}

static void on_held_timer(uv_timer_t *t)
{
	held_answer(t->data, true);
}

static void held_gone(void *ud, struct fake_http_req *req)
{
	struct held *hs = ud;
	struct app *app = hs->app;
	json_t *logf = hs->logf;

	hs->logf = NULL;
	hs->req = NULL;
	held_finish(hs);
	if (logf) {
		json_object_set_new(logf, "status", json_integer(0));
		json_object_set_new(logf, "client_gone", json_true());
		json_object_set_new(logf, "held_ms",
				    json_integer((json_int_t)(uv_now(app->loop) - hs->arrived_ms)));
	}
	log_event(app, "api", logf);
	fake_http_req_drop(req, false);
}

/* Answers every held sync that has news. Each is looked at once per pass (answering
 * one may run the handler again for a pipelined request on its connection). */
static void on_wake(uv_timer_t *t)
{
	struct app *app = t->data;
	unsigned gen = ++app->wake_gen;
	struct held *hs;

	for (;;) {
		for (hs = app->held; hs && (hs->wake_gen == gen || hs->stalled); hs = hs->next)
			;
		if (!hs)
			break;
		hs->wake_gen = gen;
		held_answer(hs, false);
	}
}

static void schedule_wake(struct app *app)
{
	if (app->held && !app->m.stopping && !app->paused &&
	    !uv_is_active((uv_handle_t *)&app->wake_timer))
		uv_timer_start(&app->wake_timer, on_wake, 0, 0);
}

/* Held syncs whose token is no longer valid get their 401 now. */
static void kick_held(struct app *app)
{
	unsigned gen = ++app->wake_gen;
	struct held *hs;

	for (;;) {
		const json_t *t;
		struct answer a = {.status = 401, .retry_after_s = -1};
		struct fake_http_req *req;
		json_t *logf;

		for (hs = app->held; hs; hs = hs->next) {
			t = json_object_get(app->tokens, hs->token);
			if (hs->wake_gen != gen && !json_is_true(json_object_get(t, "valid")))
				break;
		}
		if (!hs)
			break;
		hs->wake_gen = gen;
		a.body = merr("M_UNKNOWN_TOKEN", "Unrecognised access token.");
		if (a.body && json_is_true(json_object_get(t, "soft_logout")))
			json_object_set_new(a.body, "soft_logout", json_true());
		req = hs->req;
		logf = hs->logf;
		hs->req = NULL;
		hs->logf = NULL;
		if (logf)
			json_object_set_new(logf, "kicked", json_true());
		fake_http_req_on_gone(req, NULL, NULL);
		held_finish(hs);
		deliver(app, req, logf, &a);
	}
}

/* ---- the client-server API ---- */

enum body_kind { BODY_NONE, BODY_OPTIONAL, BODY_REQUIRED };

struct call;
typedef void (*ep_fn)(struct call *c);

struct endpoint {
	const char *method;
	const char *pattern;   /* segments after /_matrix/client/v3/; '*' is any one */
	const char *name;      /* for fault rules, counts and the log */
	bool auth;
	enum body_kind body;
	bool txn;              /* idempotent per (device, txnId) */
	ep_fn fn;
};

struct call {
	struct app *app;
	struct fake_http_req *req;
	const struct endpoint *ep;
	char *seg[MAX_SEGS];
	size_t n_seg;
	json_t *body;
	json_t *logf;
	const char *auth;
	const char *token;
	char device[MAX_ID + 1];
	char dev_key[MAX_ID + 24];
	json_t *txn;           /* borrowed transaction record */
	const char *outcome;   /* what the endpoint did, for transactions */
	long stall_ms;
	bool held;
	struct answer a;
};

static void c_ok(struct call *c, json_t *body)
{
	json_decref(c->a.body);
	c->a.status = body ? 200 : 500;
	c->a.body = body ? body : merr("M_UNKNOWN", "fake_matrix: out of memory");
}

static void c_err(struct call *c, int status, const char *errcode, const char *error)
{
	json_decref(c->a.body);
	c->a.status = status;
	c->a.body = merr(errcode, error);
}

static void c_oom(struct call *c)
{
	c_err(c, 500, "M_UNKNOWN", "fake_matrix: out of memory");
}

/* A query parameter (caller frees); -1 after answering 500. */
static int qget(struct call *c, const char *name, char **out)
{
	*out = NULL;
	if (fake_http_req_query_get(c->req, name, out) >= 0)
		return 0;
	c_oom(c);
	return -1;
}

static void ep_versions(struct call *c)
{
	c_ok(c, json_pack("{s:[s, s, s, s, s, s, s, s, s, s, s, s], s:{}}", "versions", "r0.6.1",
			  "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9",
			  "v1.10", "v1.11", "unstable_features"));
}

static void ep_login_flows(struct call *c)
{
	/* fixture login_flows.json */
	c_ok(c, json_pack("{s:[{s:s}, {s:s, s:b}]}", "flows", "type", "m.login.password", "type",
			  "m.login.token", "get_login_token", 1));
}

static bool device_id_ok(const char *s)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 1 || n > MAX_ID)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '#')
			return false;
	return fake_codec_utf8_valid(s, n);
}

static void ep_login(struct call *c)
{
	struct app *app = c->app;
	const char *type = jstr(c->body, "type"), *user, *pw, *dev, *dn;
	const json_t *id = json_object_get(c->body, "identifier");
	char gen_dev[11], token[512];
	json_t *d;

	if (!type) {
		c_err(c, 400, "M_BAD_JSON", "Missing JSON keys: type");
		return;
	}
	if (strcmp(type, "m.login.token") == 0) {
		c_err(c, 403, "M_FORBIDDEN", "Invalid login token");
		return;
	}
	if (strcmp(type, "m.login.password") != 0) {
		c_err(c, 400, "M_UNKNOWN", "Unknown login type");
		return;
	}
	if (!json_is_object(id)) {
		c_err(c, 400, "M_INVALID_PARAM",
		      "Invalid login submission: identifier {type: m.id.user, user} is required");
		return;
	}
	if (!streq(jstr(id, "type"), "m.id.user")) {
		c_err(c, 400, "M_UNKNOWN", "Unknown login identifier type");
		return;
	}
	user = jstr(id, "user");
	pw = jstr(c->body, "password");
	if (!user || !pw) {
		c_err(c, 400, "M_BAD_JSON", "identifier.user and password must be strings");
		return;
	}
	if ((strcasecmp(user, bot_user(app)) != 0 && strcasecmp(user, app->localpart) != 0) ||
	    strcmp(pw, app->o.password) != 0) {
		c_err(c, 403, "M_FORBIDDEN", "Invalid username or password");
		return;
	}
	dev = jstr(c->body, "device_id");
	dn = jstr(c->body, "initial_device_display_name");
	if (json_object_get(c->body, "device_id") && !device_id_ok(dev)) {
		c_err(c, 400, "M_INVALID_PARAM", "device_id must be a string of 1 to 255 visible characters");
		return;
	}
	if (!dev) {
		do
			rand_chars(app, gen_dev, 10, UPPER);
		while (json_object_get(app->devices, gen_dev));
		dev = gen_dev;
	}
	d = device_ensure(app, dev, dn);
	if (!d || issue_token(app, dev, token, sizeof token)) {
		c_err(c, 500, "M_UNKNOWN", "fake_matrix: device or token table full");
		return;
	}
	json_object_set_new(d, "logins",
			    json_integer(json_integer_value(json_object_get(d, "logins")) + 1));
	json_object_set_new(c->logf, "login_device_id", json_string(dev));
	c_ok(c, json_pack("{s:s, s:s, s:s, s:s}", "user_id", bot_user(app), "access_token", token,
			  "device_id", dev, "home_server", app->server));
}

static void ep_logout(struct call *c)
{
	invalidate_tokens(c->app, c->token, false);
	kick_held(c->app);
	c_ok(c, json_object());
}

static void ep_whoami(struct call *c)
{
	c_ok(c, json_pack("{s:s, s:b, s:s}", "user_id", bot_user(c->app), "is_guest", 0,
			  "device_id", c->device));
}

static bool own_user(struct call *c)
{
	if (strcmp(c->seg[1], bot_user(c->app)) == 0)
		return true;
	c_err(c, 403, "M_FORBIDDEN", "Cannot create or read filters for other users");
	return false;
}

static void ep_filter_post(struct call *c)
{
	struct app *app = c->app;
	const char *why;
	char id[24];

	if (!own_user(c))
		return;
	if ((why = check_filter(c->body))) {
		c_err(c, 400, "M_BAD_JSON", why);
		return;
	}
	if (json_array_size(app->filters) >= MAX_FILTERS) {
		c_err(c, 500, "M_UNKNOWN", "fake_matrix: filter table full");
		return;
	}
	snprintf(id, sizeof id, "%zu", json_array_size(app->filters));
	if (json_array_append(app->filters, c->body)) {
		c_oom(c);
		return;
	}
	c_ok(c, json_pack("{s:s}", "filter_id", id));
}

static const json_t *find_filter(struct app *app, const char *id)
{
	long n;

	if (parse_long(id, 0, MAX_FILTERS, &n))
		return NULL;
	return json_array_get(app->filters, (size_t)n);
}

static void ep_filter_get(struct call *c)
{
	const json_t *f;

	if (!own_user(c))
		return;
	f = find_filter(c->app, c->seg[3]);
	if (!f)
		c_err(c, 404, "M_NOT_FOUND", "No such filter");
	else
		c_ok(c, json_incref((json_t *)f));
}

static void ep_sync(struct call *c)
{
	struct app *app = c->app;
	char *since = NULL, *timeout = NULL, *filter = NULL, *full = NULL, *presence = NULL;
	struct held *hs = NULL;
	json_t *f = NULL, *resp;
	long to_ms = 0;
	uint64_t spos = 0;

	if (qget(c, "since", &since) || qget(c, "timeout", &timeout) || qget(c, "filter", &filter) ||
	    qget(c, "full_state", &full) || qget(c, "set_presence", &presence))
		goto out;
	if (timeout && parse_long(timeout, 0, 1L << 40, &to_ms)) {
		c_err(c, 400, "M_INVALID_PARAM", "timeout must be a non-negative integer (milliseconds)");
		goto out;
	}
	if (to_ms > MAX_TIMEOUT_MS)
		to_ms = MAX_TIMEOUT_MS;
	if (full && !streq(full, "true") && !streq(full, "false")) {
		c_err(c, 400, "M_INVALID_PARAM", "full_state must be true or false");
		goto out;
	}
	if (presence && !streq(presence, "offline") && !streq(presence, "online") &&
	    !streq(presence, "unavailable")) {
		c_err(c, 400, "M_INVALID_PARAM", "set_presence must be offline, online or unavailable");
		goto out;
	}
	if (since && parse_token(since, visible_pos(app), &spos)) {
		c_err(c, 400, "M_INVALID_PARAM", "Invalid since token (not issued by this server)");
		goto out;
	}
	if (filter && filter[0] == '{') {
		const char *why;

		f = json_loads(filter, 0, NULL);
		if (!f) {
			c_err(c, 400, "M_NOT_JSON", "filter is not valid JSON");
			goto out;
		}
		if ((why = check_filter(f))) {
			c_err(c, 400, "M_BAD_JSON", why);
			goto out;
		}
	} else if (filter) {
		const json_t *sf = find_filter(app, filter);

		if (!sf) {
			c_err(c, 404, "M_NOT_FOUND", "No such filter");
			goto out;
		}
		f = json_incref((json_t *)sf);
	}
	hs = calloc(1, sizeof *hs);
	if (!hs || (c->token && !(hs->token = strdup(c->token)))) {
		c_oom(c);
		goto out;
	}
	hs->app = app;
	hs->filter = f;
	f = NULL;
	hs->since = spos;
	hs->initial = since == NULL;
	hs->full_state = streq(full, "true");
	snprintf(hs->device, sizeof hs->device, "%s", c->device);
	snprintf(hs->dev_key, sizeof hs->dev_key, "%s", c->dev_key);
	json_object_set_new(c->logf, "sync",
			    json_pack("{s:s?, s:I, s:b, s:s?}", "since", since, "timeout_ms",
				      (json_int_t)to_ms, "full_state", hs->full_state, "filter",
				      filter));
	if (c->stall_ms <= 0) {
		/* A first sync, full_state or timeout 0 answers at once (as Synapse does). */
		bool force = hs->initial || hs->full_state || to_ms == 0 || app->n_held >= MAX_HELD;

		resp = sync_response(app, hs, force, c->logf);
		if (resp || force) {
			if (resp)
				c_ok(c, resp);
			else
				c_oom(c);
			goto out;
		}
	}
	/* hold it */
	hs->req = c->req;
	hs->logf = c->logf;
	c->logf = NULL;
	hs->arrived_ms = uv_now(app->loop);
	hs->timeout_ms = (uint64_t)(c->stall_ms > 0 ? c->stall_ms : to_ms);
	hs->stalled = c->stall_ms > 0;
	hs->next = app->held;
	if (app->held)
		app->held->prev = hs;
	app->held = hs;
	app->n_held++;
	uv_timer_init(app->loop, &hs->timer);
	hs->timer.data = hs;
	uv_timer_start(&hs->timer, on_held_timer, hs->timeout_ms, 0);
	fake_http_req_on_gone(c->req, held_gone, hs);
	log_event(app, "sync_held",
		  json_pack("{s:I, s:s, s:I, s:I, s:b}", "conn",
			    (json_int_t)fake_http_req_conn_id(c->req), "device_id", hs->device, "since",
			    (json_int_t)hs->since, "timeout_ms", (json_int_t)hs->timeout_ms, "stalled",
			    hs->stalled));
	c->held = true;
	hs = NULL;
out:
	if (hs) {
		json_decref(hs->filter);
		free(hs->token);
		free(hs);
	}
	json_decref(f);
	free(since);
	free(timeout);
	free(filter);
	free(full);
	free(presence);
}

/* The room for a call that needs the bot joined; NULL after answering 403/404. *st
 * gets the current state (caller decrefs). */
static struct room *joined_room(struct call *c, const char *id, json_t **st)
{
	struct app *app = c->app;
	struct room *r = find_room(app, id);
	char msg[MAX_ID * 2 + 64];

	*st = NULL;
	if (!r || !(*st = state_at(app, r, r->n)) ||
	    !streq(membership(app, *st, bot_user(app), NULL), "join")) {
		if (r && !*st) {
			c_oom(c);
			return NULL;
		}
		json_decref(*st);
		*st = NULL;
		snprintf(msg, sizeof msg, "User %s not in room %s", bot_user(app), id);
		c_err(c, 403, "M_FORBIDDEN", msg);
		return NULL;
	}
	return r;
}

static void ep_join(struct call *c)
{
	struct app *app = c->app;
	const char *id = c->seg[1]; /* rooms/{roomId}/join and join/{roomIdOrAlias} */
	struct room *r = find_room(app, id);
	const char *m, *rule;
	json_t *st = NULL, *ev, *content;
	struct ev *e, *jr;

	if (!r) {
		c_err(c, 404, "M_NOT_FOUND", id[0] == '#' ? "Room alias not found" : "Unknown room");
		return;
	}
	if (r->join_fails > 0) {
		r->join_fails--;
		c_err(c, r->join_status, r->join_errcode,
		      strcmp(r->join_errcode, "M_FORBIDDEN") == 0
			      ? "You are not invited to this room."
			      : "No known servers (fake_matrix: join_fails)");
		return;
	}
	st = state_at(app, r, r->n);
	if (!st) {
		c_oom(c);
		return;
	}
	m = membership(app, st, bot_user(app), NULL);
	jr = state_get(app, st, "m.room.join_rules", "");
	rule = jr ? jstr(json_object_get(jr->j, "content"), "join_rule") : NULL;
	if (streq(m, "join")) {
		c->outcome = "already_joined";
		c_ok(c, json_pack("{s:s}", "room_id", r->id));
	} else if (streq(m, "ban")) {
		c_err(c, 403, "M_FORBIDDEN", "You are banned from the room");
	} else if (streq(m, "invite") || streq(rule, "public")) {
		content = json_pack("{s:s}", "membership", "join");
		ev = content ? make_event(app, r, "m.room.member", bot_user(app), content, bot_user(app),
					  NULL)
			     : NULL;
		json_decref(content);
		e = append_event(app, r, ev, NULL, NULL);
		if (!e)
			c_err(c, 500, "M_UNKNOWN", "fake_matrix: event store full");
		else
			c_ok(c, json_pack("{s:s}", "room_id", r->id));
	} else {
		c_err(c, 403, "M_FORBIDDEN", "You are not invited to this room.");
	}
	json_decref(st);
}

static void ep_leave(struct call *c)
{
	struct app *app = c->app;
	struct room *r = find_room(app, c->seg[1]);
	json_t *st = r ? state_at(app, r, r->n) : NULL, *content, *ev;
	const char *m = st ? membership(app, st, bot_user(app), NULL) : NULL;

	if (!streq(m, "join") && !streq(m, "invite")) {
		c_err(c, 403, "M_FORBIDDEN", "You are not in this room");
	} else {
		content = json_pack("{s:s}", "membership", "leave");
		ev = content ? make_event(app, r, "m.room.member", bot_user(app), content, bot_user(app),
					  NULL)
			     : NULL;
		json_decref(content);
		if (!append_event(app, r, ev, NULL, NULL))
			c_err(c, 500, "M_UNKNOWN", "fake_matrix: event store full");
		else
			c_ok(c, json_object());
	}
	json_decref(st);
}

/* Notes a PUT with a txnId: one record per (device, endpoint, path), counted. */
static void txn_note(struct call *c)
{
	struct app *app = c->app;
	char key[4096];
	json_t *rec;
	size_t i, o;
	bool redact = strcmp(c->ep->name, "redact") == 0;

	o = (size_t)snprintf(key, sizeof key, "%s\n%s", c->dev_key, c->ep->name);
	for (i = 0; i < c->n_seg && o < sizeof key; i++)
		o += (size_t)snprintf(key + o, sizeof key - o, "\n%s", c->seg[i]);
	if (o >= sizeof key)
		return;
	rec = json_object_get(app->txns, key);
	if (!rec) {
		if (json_array_size(app->sent) >= MAX_TXNS)
			return;
		rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:n, s:b, s:i, s:[]}", "room_id",
				c->seg[1], "endpoint", c->ep->name, "type",
				redact ? "m.room.redaction" : c->seg[3], "txn_id", c->seg[4],
				"device_id", c->device, "redacts", redact ? c->seg[3] : NULL,
				"event_id", "applied", 0, "received", 0, "calls");
		if (!rec || json_object_set_new(app->txns, key, rec) || json_array_append(app->sent, rec))
			return;
	}
	json_object_set_new(rec, "received",
			    json_integer(json_integer_value(json_object_get(rec, "received")) + 1));
	c->txn = rec;
}

/* A send or redact whose transaction was applied before: the original answer. */
static bool txn_replay(struct call *c)
{
	const char *eid = c->txn ? jstr(c->txn, "event_id") : NULL;

	if (!eid)
		return false;
	c->outcome = "replayed";
	c_ok(c, json_pack("{s:s}", "event_id", eid));
	return true;
}

static void txn_applied(struct call *c, const struct ev *e, const json_t *content)
{
	c->outcome = "applied";
	if (!c->txn)
		return;
	json_object_set(c->txn, "event_id", json_object_get(e->j, "event_id"));
	json_object_set_new(c->txn, "applied", json_true());
	json_object_set(c->txn, "content", (json_t *)content);
}

/* Sends an event as the bot (send and redact share this). */
static void bot_send(struct call *c, struct room *r, json_t *st, const char *type,
		     const json_t *content, const char *redacts)
{
	struct app *app = c->app;
	const char *errcode, *msg = NULL;
	long have = user_level(app, st, bot_user(app)), need;
	char buf[160];
	json_t *ev;
	struct ev *e;

	if (json_size(content) + 1024 > MAX_EVENT_BYTES) {
		c_err(c, 413, "M_TOO_LARGE", "event too large");
		return;
	}
	need = send_level(app, st, type, false);
	if (redacts) {
		struct ev *t = find_event(app, r, redacts);

		if (t && !streq(jstr(t->j, "sender"), bot_user(app))) {
			const json_t *pl = power_levels(app, st);
			long rl = pl ? json_level(json_object_get(pl, "redact"), 50) : 0;

			if (rl > need)
				need = rl;
		}
	}
	if (have < need) {
		snprintf(buf, sizeof buf,
			 "You don't have permission to post that to the room. user_level (%ld) < "
			 "send_level (%ld)",
			 have, need);
		c_err(c, 403, "M_FORBIDDEN", buf);
		return;
	}
	if ((errcode = check_relations(app, r, type, bot_user(app), content, &msg))) {
		c_err(c, 400, errcode, msg);
		return;
	}
	ev = make_event(app, r, type, bot_user(app), content, NULL, redacts);
	e = append_event(app, r, ev, c->dev_key, c->seg[4]);
	if (!e) {
		c_err(c, 500, "M_UNKNOWN", "fake_matrix: event store full");
		return;
	}
	txn_applied(c, e, content);
	c_ok(c, json_pack("{s:O}", "event_id", json_object_get(e->j, "event_id")));
}

static void ep_send(struct call *c)
{
	struct room *r;
	json_t *st;
	const char *type = c->seg[3], *redacts = NULL;

	if (txn_replay(c))
		return;
	c->outcome = "error";
	if (!(r = joined_room(c, c->seg[1], &st)))
		return;
	if (strcmp(type, "m.room.redaction") == 0) {
		redacts = jstr(c->body, "redacts");
		if (!redacts) {
			c_err(c, 400, "M_BAD_JSON", "m.room.redaction needs content.redacts");
			json_decref(st);
			return;
		}
	}
	if (!*type) {
		c_err(c, 400, "M_INVALID_PARAM", "empty event type");
	} else {
		bot_send(c, r, st, type, c->body, redacts);
	}
	json_decref(st);
}

static void ep_redact(struct call *c)
{
	struct room *r;
	json_t *st, *content;
	const char *reason = jstr(c->body, "reason");

	if (txn_replay(c))
		return;
	c->outcome = "error";
	if (!(r = joined_room(c, c->seg[1], &st)))
		return;
	content = reason ? json_pack("{s:s}", "reason", reason) : json_object();
	if (!content)
		c_oom(c);
	else
		bot_send(c, r, st, "m.room.redaction", content, c->seg[3]);
	json_decref(content);
	json_decref(st);
}

static void ep_messages(struct call *c)
{
	struct app *app = c->app;
	char *from = NULL, *to = NULL, *dir = NULL, *limit = NULL, *filter = NULL;
	uint64_t fpos, tpos = 0;
	bool back, has_to = false, more = false;
	long lim = 10;
	json_t *st = NULL, *f = NULL, *chunk = NULL;
	struct room *r;
	size_t k, i, n = 0;
	char start[32], end[32];
	uint64_t last = 0;

	if (qget(c, "from", &from) || qget(c, "to", &to) || qget(c, "dir", &dir) ||
	    qget(c, "limit", &limit) || qget(c, "filter", &filter))
		goto out;
	if (!(r = joined_room(c, c->seg[1], &st)))
		goto out;
	if (!streq(dir, "b") && !streq(dir, "f")) {
		c_err(c, 400, "M_INVALID_PARAM", "dir must be b or f");
		goto out;
	}
	back = streq(dir, "b");
	if (limit && parse_long(limit, 0, 1L << 30, &lim)) {
		c_err(c, 400, "M_INVALID_PARAM", "limit must be a non-negative integer");
		goto out;
	}
	if (lim > MAX_LIMIT)
		lim = MAX_LIMIT;
	if (from && parse_token(from, app->n_evs, &fpos)) {
		c_err(c, 400, "M_INVALID_PARAM", "Invalid from token");
		goto out;
	}
	if (!from)
		fpos = back ? app->n_evs : 0;
	if (to) {
		if (parse_token(to, app->n_evs, &tpos)) {
			c_err(c, 400, "M_INVALID_PARAM", "Invalid to token");
			goto out;
		}
		has_to = true;
	}
	if (filter) {
		const char *why;

		f = json_loads(filter, 0, NULL);
		if (!f) {
			c_err(c, 400, "M_NOT_JSON", "filter is not valid JSON");
			goto out;
		}
		if ((why = check_event_filter(f, "filter"))) {
			c_err(c, 400, "M_BAD_JSON", why);
			goto out;
		}
	}
	chunk = json_array();
	if (!chunk) {
		c_oom(c);
		goto out;
	}
	k = room_count_upto(r, fpos);
	if (back) {
		/* events with to < pos <= from, newest first */
		for (i = k; i-- > 0;) {
			const struct ev *e = &app->evs[r->idx[i]];

			if (has_to && ev_pos(r, i) <= tpos)
				break;
			if (!event_passes(f, e->j))
				continue;
			if (n == (size_t)lim) {
				more = true;
				break;
			}
			if (json_array_append_new(chunk, ev_client(app, e, c->dev_key, true))) {
				c_oom(c);
				goto out;
			}
			n++;
			last = ev_pos(r, i) - 1;
		}
	} else {
		/* events with from < pos <= to, oldest first */
		for (i = k; i < r->n; i++) {
			const struct ev *e = &app->evs[r->idx[i]];

			if (has_to && ev_pos(r, i) > tpos)
				break;
			if (!event_passes(f, e->j))
				continue;
			if (n == (size_t)lim) {
				more = true;
				break;
			}
			if (json_array_append_new(chunk, ev_client(app, e, c->dev_key, true))) {
				c_oom(c);
				goto out;
			}
			n++;
			last = ev_pos(r, i);
		}
	}
	snprintf(start, sizeof start, "t%llu", (unsigned long long)fpos);
	snprintf(end, sizeof end, "t%llu", (unsigned long long)last);
	c_ok(c, json_pack("{s:O, s:s, s:s*}", "chunk", chunk, "start", from ? from : start, "end",
			  more ? end : NULL));
out:
	json_decref(chunk);
	json_decref(st);
	json_decref(f);
	free(from);
	free(to);
	free(dir);
	free(limit);
	free(filter);
}

static void ep_state(struct call *c)
{
	json_t *st;

	if (!joined_room(c, c->seg[1], &st))
		return;
	c_ok(c, state_events(c->app, st, NULL, c->dev_key, true));
	json_decref(st);
}

static void ep_state_event(struct call *c)
{
	json_t *st;
	struct ev *e;
	char *format = NULL;

	if (!joined_room(c, c->seg[1], &st))
		return;
	e = state_get(c->app, st, c->seg[3], c->n_seg > 4 ? c->seg[4] : "");
	if (qget(c, "format", &format)) {
		/* answered */
	} else if (!e) {
		c_err(c, 404, "M_NOT_FOUND", "Event not found.");
	} else if (streq(format, "event")) {
		c_ok(c, ev_client(c->app, e, c->dev_key, true));
	} else {
		c_ok(c, json_incref(json_object_get(e->j, "content")));
	}
	free(format);
	json_decref(st);
}

static void ep_event(struct call *c)
{
	json_t *st;
	struct room *r = joined_room(c, c->seg[1], &st);
	struct ev *e = r ? find_event(c->app, r, c->seg[3]) : NULL;

	if (r && !e)
		c_err(c, 404, "M_NOT_FOUND", "Event not found.");
	else if (e)
		c_ok(c, ev_client(c->app, e, c->dev_key, true));
	json_decref(st);
}

static void ep_joined_members(struct call *c)
{
	json_t *st, *joined, *v;
	const char *user;

	if (!joined_room(c, c->seg[1], &st))
		return;
	joined = json_object();
	json_object_foreach(json_object_get(st, "m.room.member"), user, v) {
		const json_t *content = json_object_get(c->app->evs[json_integer_value(v)].j, "content");

		if (!joined || !streq(jstr(content, "membership"), "join"))
			continue;
		if (json_object_set_new(joined, user,
					json_pack("{s:O?, s:O?}", "display_name",
						  json_object_get(content, "displayname"), "avatar_url",
						  json_object_get(content, "avatar_url")))) {
			json_decref(joined);
			joined = NULL;
		}
	}
	c_ok(c, joined ? json_pack("{s:o}", "joined", joined) : NULL);
	json_decref(st);
}

static void ep_joined_rooms(struct call *c)
{
	struct app *app = c->app;
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < app->n_rooms; i++) {
		json_t *st = state_at(app, app->rooms[i], app->rooms[i]->n);

		if (!st || (streq(membership(app, st, bot_user(app), NULL), "join") &&
			    json_array_append_new(arr, json_string(app->rooms[i]->id)))) {
			json_decref(arr);
			arr = NULL;
		}
		json_decref(st);
	}
	c_ok(c, arr ? json_pack("{s:o}", "joined_rooms", arr) : NULL);
}

static struct room *room_make(struct app *app, const json_t *b, json_t *ids, int *err_status,
			      const char **err_code, const char **err);
static struct ev *add_event(struct app *app, struct room *r, const char *type, const char *sender,
			    const json_t *content, const char *sk, const char *redacts, json_t *ids);

/* POST /createRoom: the bot creates the room and is joined; each user of invite[] gets
 * an invite (with is_direct when the request says so). preset public_chat makes it
 * public, private_chat and trusted_private_chat invite-only. */
static void ep_create_room(struct call *c)
{
	struct app *app = c->app;
	const json_t *invite = json_object_get(c->body, "invite");
	const char *preset = jstr(c->body, "preset"), *err, *code;
	bool direct = json_is_true(json_object_get(c->body, "is_direct"));
	json_t *spec, *content;
	struct room *r;
	int status;
	size_t i;

	for (i = 0; json_is_array(invite) && i < json_array_size(invite); i++)
		if (!user_id_ok(json_string_value(json_array_get(invite, i))))
			break;
	if (invite && (!json_is_array(invite) || i < json_array_size(invite))) {
		c_err(c, 400, "M_BAD_JSON", "invite must be an array of user ids");
		return;
	}
	if (preset && !streq(preset, "private_chat") && !streq(preset, "trusted_private_chat") &&
	    !streq(preset, "public_chat")) {
		c_err(c, 400, "M_BAD_JSON", "unknown preset");
		return;
	}
	spec = json_pack("{s:s, s:[s], s:b}", "creator", bot_user(app), "members", bot_user(app),
			 "public", preset && streq(preset, "public_chat"));
	r = spec ? room_make(app, spec, NULL, &status, &code, &err) : NULL;
	json_decref(spec);
	if (!r) {
		c_err(c, spec && status < 500 ? 400 : 500, "M_UNKNOWN", spec ? err : "out of memory");
		return;
	}
	for (i = 0; i < json_array_size(invite); i++) {
		content = json_pack("{s:s, s:b}", "membership", "invite", "is_direct", direct);
		if (!content || !add_event(app, r, "m.room.member", bot_user(app), content,
					   json_string_value(json_array_get(invite, i)), NULL, NULL)) {
			json_decref(content);
			c_err(c, 500, "M_UNKNOWN", "the event store is full or memory ran out");
			return;
		}
		json_decref(content);
	}
	c_ok(c, json_pack("{s:s}", "room_id", r->id));
}

static const struct endpoint endpoints[] = {
	{"GET", "login", "login", false, BODY_NONE, false, ep_login_flows},
	{"POST", "login", "login", false, BODY_REQUIRED, false, ep_login},
	{"POST", "logout", "logout", true, BODY_OPTIONAL, false, ep_logout},
	{"GET", "account/whoami", "whoami", true, BODY_NONE, false, ep_whoami},
	{"POST", "user/*/filter", "filter", true, BODY_REQUIRED, false, ep_filter_post},
	{"GET", "user/*/filter/*", "filter", true, BODY_NONE, false, ep_filter_get},
	{"GET", "sync", "sync", true, BODY_NONE, false, ep_sync},
	{"POST", "rooms/*/join", "join", true, BODY_OPTIONAL, false, ep_join},
	{"POST", "join/*", "join", true, BODY_OPTIONAL, false, ep_join},
	{"POST", "rooms/*/leave", "leave", true, BODY_OPTIONAL, false, ep_leave},
	{"PUT", "rooms/*/send/*/*", "send", true, BODY_REQUIRED, true, ep_send},
	{"PUT", "rooms/*/redact/*/*", "redact", true, BODY_OPTIONAL, true, ep_redact},
	{"GET", "rooms/*/messages", "messages", true, BODY_NONE, false, ep_messages},
	{"GET", "rooms/*/state", "state", true, BODY_NONE, false, ep_state},
	{"GET", "rooms/*/state/*", "state", true, BODY_NONE, false, ep_state_event},
	{"GET", "rooms/*/state/*/*", "state", true, BODY_NONE, false, ep_state_event},
	{"GET", "rooms/*/event/*", "event", true, BODY_NONE, false, ep_event},
	{"GET", "rooms/*/joined_members", "joined_members", true, BODY_NONE, false, ep_joined_members},
	{"GET", "joined_rooms", "joined_rooms", true, BODY_NONE, false, ep_joined_rooms},
	{"POST", "createRoom", "createRoom", true, BODY_REQUIRED, false, ep_create_room},
};

static const struct endpoint versions_endpoint = {"GET", "", "versions", false, BODY_NONE, false,
						  ep_versions};

static bool known_path_name(const char *name)
{
	size_t i;

	if (strcmp(name, "*") == 0 || strcmp(name, "versions") == 0)
		return true;
	for (i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
		if (strcmp(endpoints[i].name, name) == 0)
			return true;
	return false;
}

static bool pattern_match(const char *p, char *const *seg, size_t n)
{
	size_t i = 0;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (i >= n)
			return false;
		if (!(len == 1 && *p == '*') && (strlen(seg[i]) != len || strncmp(seg[i], p, len) != 0))
			return false;
		i++;
		p += len;
		if (*p == '/')
			p++;
	}
	return i == n;
}

/* Splits rest (after the API prefix) at '/' and percent-decodes each segment into
 * *buf. 0; 1 when there are too many segments; 2 when a segment decodes to a NUL
 * byte or invalid UTF-8; -1 when memory ran out. */
static int split_path(const char *rest, char **buf, char **seg, size_t *n)
{
	char *b = strdup(rest), *p;

	*n = 0;
	*buf = b;
	if (!b)
		return -1;
	for (p = b;;) {
		char *slash = strchr(p, '/');
		size_t len, dlen;

		if (*n == MAX_SEGS)
			return 1;
		if (slash)
			*slash = '\0';
		len = strlen(p);
		dlen = fake_codec_url_decode(p, len, p, false);
		if (strlen(p) != dlen || !fake_codec_utf8_valid(p, dlen))
			return 2;
		seg[(*n)++] = p;
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

static int authenticate(struct call *c)
{
	struct app *app = c->app;
	const char *h = fake_http_req_header(c->req, "Authorization"), *tok;
	const json_t *t;

	if (!h) {
		char *q = NULL;
		int rc = fake_http_req_query_get(c->req, "access_token", &q);

		free(q);
		c->auth = rc > 0 ? "query_param_refused" : "missing";
		c_err(c, 401, "M_MISSING_TOKEN",
		      rc > 0 ? "Missing access token: the access_token query parameter is not "
			       "supported, send Authorization: Bearer"
			     : "Missing access token");
		return -1;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		c->auth = "bad_header";
		c_err(c, 401, "M_MISSING_TOKEN", "Invalid Authorization header (want Bearer)");
		return -1;
	}
	for (tok = h + 7; *tok == ' ';)
		tok++;
	c->token = tok;
	t = json_object_get(app->tokens, tok);
	if (!t) {
		c->auth = "unknown_token";
		c_err(c, 401, "M_UNKNOWN_TOKEN", "Unrecognised access token.");
		return -1;
	}
	if (!json_is_true(json_object_get(t, "valid"))) {
		bool soft = json_is_true(json_object_get(t, "soft_logout"));

		c->auth = soft ? "soft_logout" : "logged_out";
		c_err(c, 401, "M_UNKNOWN_TOKEN", "Unrecognised access token.");
		if (soft && c->a.body)
			json_object_set_new(c->a.body, "soft_logout", json_true());
		return -1;
	}
	snprintf(c->device, sizeof c->device, "%s", jstr(t, "device_id"));
	dev_key_of(c->device, json_integer_value(json_object_get(t, "generation")), c->dev_key,
		   sizeof c->dev_key);
	c->auth = "ok";
	return 0;
}

static int parse_body(struct call *c)
{
	size_t len;
	const char *b = fake_http_req_body(c->req, &len);
	json_error_t err;

	if (c->ep->body == BODY_NONE || (len == 0 && c->ep->body == BODY_OPTIONAL))
		return 0;
	c->body = json_loadb(b, len, 0, &err);
	if (!c->body) {
		c_err(c, 400, "M_NOT_JSON", "Content not JSON.");
		return -1;
	}
	if (!json_is_object(c->body)) {
		c_err(c, 400, "M_BAD_JSON", "Content must be a JSON object.");
		return -1;
	}
	return 0;
}

/* ---- fault rules ---- */

static bool rule_matches(const char *rule_path, const char *name)
{
	return strcmp(rule_path, "*") == 0 || strcmp(rule_path, name) == 0;
}

static bool take_rule(struct app *app, const char *name, struct rule *out)
{
	size_t i;

	for (i = 0; i < app->n_rules; i++) {
		struct rule *r = &app->rules[i];

		if (!rule_matches(r->path, name))
			continue;
		*out = *r;
		if (--r->count <= 0) {
			memmove(r, r + 1, (app->n_rules - i - 1) * sizeof *r);
			app->n_rules--;
		}
		return true;
	}
	return false;
}

/* 0 when the call may go on, else how long to wait (ms). */
static long bucket_take(struct app *app, const char *name)
{
	uint64_t now = uv_now(app->loop);
	size_t i;

	for (i = 0; i < app->n_buckets; i++) {
		struct bucket *b = &app->buckets[i];
		uint64_t cap = (uint64_t)b->burst * (uint64_t)b->interval_ms;

		if (!rule_matches(b->path, name))
			continue;
		b->avail += now - b->last_ms;
		if (b->avail > cap)
			b->avail = cap;
		b->last_ms = now;
		if (b->avail >= (uint64_t)b->interval_ms) {
			b->avail -= (uint64_t)b->interval_ms;
			continue;
		}
		return (long)((uint64_t)b->interval_ms - b->avail);
	}
	return 0;
}

static void answer_429(struct call *c, long retry_ms, bool header, bool body_ms)
{
	c_err(c, 429, "M_LIMIT_EXCEEDED", "Too many requests");
	if (body_ms && c->a.body)
		json_object_set_new(c->a.body, "retry_after_ms", json_integer(retry_ms));
	if (header)
		c->a.retry_after_s = (retry_ms + 999) / 1000;
}

static const char *default_errcode(int status)
{
	switch (status) {
	case 401: return "M_UNKNOWN_TOKEN";
	case 403: return "M_FORBIDDEN";
	case 404: return "M_NOT_FOUND";
	case 413: return "M_TOO_LARGE";
	case 429: return "M_LIMIT_EXCEEDED";
	default: return "M_UNKNOWN";
	}
}

static void apply_fail(struct call *c, const struct rule *r)
{
	const char *errcode = r->errcode[0] ? r->errcode : default_errcode(r->status);

	if (r->status == 429 && strcmp(errcode, "M_LIMIT_EXCEEDED") == 0) {
		answer_429(c, r->retry_after_ms, r->header, r->body_ms);
		return;
	}
	c_err(c, r->status, errcode,
	      r->error[0] ? r->error : r->status >= 500 ? "Internal server error" : "Request failed");
	if (r->retry_after_ms >= 0 && r->body_ms && c->a.body)
		json_object_set_new(c->a.body, "retry_after_ms", json_integer(r->retry_after_ms));
}

static void handle_matrix(struct app *app, struct fake_http_req *req)
{
	struct call c = {.app = app, .req = req, .auth = "none", .a = {.retry_after_s = -1}};
	const char *path = fake_http_req_path(req), *method = fake_http_req_method(req);
	const char *query = fake_http_req_query(req);
	size_t plen = strlen(API_PREFIX), blen, i;
	const char *btext = fake_http_req_body(req, &blen);
	bool wrong_method = false, have_rule = false;
	const char *rule_name = NULL;
	struct rule rule;
	char *buf = NULL;
	long retry_ms;
	uint64_t seq;
	unsigned long conn_id = fake_http_req_conn_id(req); /* req is gone after deliver() */

	app->api_calls++;
	c.logf = json_pack("{s:s, s:o?, s:o?, s:I, s:I}", "method", method, "path",
			   fake_log_text(path, strlen(path), LOG_TEXT_MAX), "query",
			   fake_log_text(query, strlen(query), LOG_TEXT_MAX), "conn",
			   (json_int_t)fake_http_req_conn_id(req), "bytes", (json_int_t)blen);
	if (c.logf && blen)
		json_object_set_new(c.logf, "body", fake_log_text(btext, blen, LOG_TEXT_MAX));
	if (strcmp(path, "/_matrix/client/versions") == 0) {
		if (strcmp(method, "GET") == 0)
			c.ep = &versions_endpoint;
		else
			wrong_method = true;
	} else if (strncmp(path, API_PREFIX, plen) == 0) {
		int rc = split_path(path + plen, &buf, c.seg, &c.n_seg);

		if (rc < 0) {
			c_oom(&c);
			goto answer;
		}
		if (rc == 2) {
			c_err(&c, 400, "M_INVALID_PARAM",
			      "a path segment decodes to a NUL byte or invalid UTF-8");
			goto answer;
		}
		for (i = 0; rc == 0 && i < sizeof endpoints / sizeof endpoints[0]; i++) {
			if (!pattern_match(endpoints[i].pattern, c.seg, c.n_seg))
				continue;
			if (strcmp(endpoints[i].method, method) == 0) {
				c.ep = &endpoints[i];
				break;
			}
			wrong_method = true;
		}
	}
	if (!c.ep) {
		c_err(&c, wrong_method ? 405 : 404, "M_UNRECOGNIZED", "Unrecognized request");
		goto answer;
	}
	json_object_set_new(c.logf, "endpoint", json_string(c.ep->name));
	json_object_set_new(app->counts, c.ep->name,
			    json_integer(json_integer_value(json_object_get(app->counts, c.ep->name)) +
					 1));
	if (c.ep->auth && authenticate(&c))
		goto answer;
	if (c.logf) {
		json_object_set_new(c.logf, "auth", json_string(c.auth));
		json_object_set_new(c.logf, "auth_ok", json_boolean(strcmp(c.auth, "ok") == 0));
		if (c.ep->auth)
			json_object_set_new(c.logf, "device_id", json_string(c.device));
	}
	if (parse_body(&c))
		goto answer;
	if (c.ep->txn && (!*c.seg[3] || !*c.seg[4])) {
		c_err(&c, 400, "M_INVALID_PARAM", "empty event type, event id or txnId in the path");
		goto answer;
	}
	if (c.ep->txn) {
		txn_note(&c);
		json_object_set_new(c.logf, "txn_id", json_string(c.seg[4]));
	}
	if ((retry_ms = bucket_take(app, c.ep->name)) > 0) {
		answer_429(&c, retry_ms, true, true);
		rule_name = "ratelimit";
		json_object_set_new(c.logf, "rule", json_string(rule_name));
		goto answer;
	}
	have_rule = take_rule(app, c.ep->name, &rule);
	if (have_rule) {
		static const char *kinds[] = {"fail", "garbage", "stall", "drop"};

		rule_name = kinds[rule.kind];
		json_object_set_new(c.logf, "rule", json_string(rule_name));
	}
	if (have_rule && rule.kind == RULE_STALL) {
		c.stall_ms = rule.ms;
		c.ep->fn(&c);
		if (c.held)
			goto done;
		c.a.delay_ms = rule.ms;
	} else if (have_rule) {
		if (rule.applied && c.ep->fn != ep_sync) {
			c.ep->fn(&c);
			json_object_set_new(c.logf, "applied_status", json_integer(c.a.status));
		}
		c.outcome = c.outcome ? c.outcome : "not_applied";
		if (rule.kind == RULE_FAIL) {
			apply_fail(&c, &rule);
		} else if (rule.kind == RULE_GARBAGE) {
			c.a.status = rule.status;
			c.a.garbage = rule.garbage;
		} else {
			c.a.drop = true;
			c.a.reset = rule.reset;
			c.a.cut = rule.cut;
			if (rule.cut && !c.a.body)
				c.a.status = 200;
		}
	} else {
		c.ep->fn(&c);
		if (c.held)
			goto done;
	}
answer:
	if (c.logf) {
		json_object_set_new(c.logf, "auth", json_string(c.auth));
		json_object_set_new(c.logf, "auth_ok", json_boolean(strcmp(c.auth, "ok") == 0));
		if (c.outcome)
			json_object_set_new(c.logf, "outcome", json_string(c.outcome));
	}
	if (c.txn && !c.outcome)
		c.outcome = "not_applied";
	seq = deliver(app, req, c.logf, &c.a);
	c.logf = NULL;
	if (c.txn) {
		json_t *calls = json_object_get(c.txn, "calls");

		if (json_array_size(calls) < MAX_CALLS_PER_TXN)
			json_array_append_new(
				calls, json_pack("{s:I, s:i, s:s, s:s?, s:I}", "seq", (json_int_t)seq,
						 "status", c.a.drop ? 0 : c.a.status, "outcome",
						 c.outcome, "rule", rule_name, "conn",
						 (json_int_t)conn_id));
	}
done:
	json_decref(c.logf);
	json_decref(c.body);
	json_decref(c.a.body);
	free(buf);
}

/* ---- control API ---- */

static void reply(struct fake_http_req *req, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_FLAGS) : NULL;

	json_decref(body);
	if (!text) {
		fake_http_respond_json(req, 500, "{\"ok\":false,\"error\":\"fake_out_of_memory\"}");
		return;
	}
	fake_http_respond_json(req, status, text);
	free(text);
}

static void reply_error(struct fake_http_req *req, int status, const char *error,
			const char *detail)
{
	reply(req, status, json_pack("{s:b, s:s, s:s?}", "ok", 0, "error", error, "detail", detail));
}

/* An optional numeric query parameter: 0 (out = def when absent) or -1 after 400. */
static int qlong(struct fake_http_req **req, const char *name, long min, long max, long def,
		 long *out)
{
	char *v = NULL, detail[128];
	int rc = fake_http_req_query_get(*req, name, &v);

	*out = def;
	if (rc == 0)
		return 0;
	if (rc > 0 && parse_long(v, min, max, out) == 0) {
		free(v);
		return 0;
	}
	free(v);
	snprintf(detail, sizeof detail, "%s must be an integer from %ld to %ld", name, min, max);
	reply_error(*req, 400, "bad_param", detail);
	*req = NULL;
	return -1;
}

/* An optional string parameter (caller frees): 0, or -1 after answering 500. */
static int qstr(struct fake_http_req **req, const char *name, char **out)
{
	*out = NULL;
	if (fake_http_req_query_get(*req, name, out) >= 0)
		return 0;
	reply_error(*req, 500, "fake_out_of_memory", NULL);
	*req = NULL;
	return -1;
}

/* The room named by ?room= (id or alias); NULL after answering. */
static struct room *q_room(struct app *app, struct fake_http_req **req)
{
	char *id = NULL;
	struct room *r;

	if (qstr(req, "room", &id))
		return NULL;
	r = find_room(app, id);
	if (!r) {
		reply_error(*req, id ? 404 : 400, id ? "unknown_room" : "bad_param",
			    id ? "no room with that id or alias (POST /_control/room first)"
			       : "room= is required");
		*req = NULL;
	}
	free(id);
	return r;
}

static json_t *read_json_body(struct fake_http_req *req)
{
	size_t len;
	const char *body = fake_http_req_body(req, &len);

	return len ? json_loadb(body, len, 0, NULL) : json_object();
}

/* Appends an event made of parts (content borrowed) and adds its id to ids. */
static struct ev *add_event(struct app *app, struct room *r, const char *type, const char *sender,
			    const json_t *content, const char *sk, const char *redacts, json_t *ids)
{
	struct ev *e = append_event(app, r, make_event(app, r, type, sender, content, sk, redacts),
				    NULL, NULL);

	if (e && ids)
		json_array_append(ids, json_object_get(e->j, "event_id"));
	return e;
}

static struct ev *add_member(struct app *app, struct room *r, const char *user, const char *sender,
			     const char *membership, const char *reason, json_t *ids)
{
	json_t *content = json_pack("{s:s, s:s*}", "membership", membership, "reason", reason);
	struct ev *e = content ? add_event(app, r, "m.room.member", sender, content, user, NULL, ids)
			       : NULL;

	json_decref(content);
	return e;
}

static bool id_printable(const char *s, char first)
{
	size_t i, n = s ? strlen(s) : 0;

	if (n < 2 || n > MAX_ID || s[0] != first)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return fake_codec_utf8_valid(s, n);
}

/* Makes a room from a /_control/room spec b (also used by createRoom), with the events a
 * homeserver's createRoom makes; their ids go into ids. Returns the room, or NULL with
 * the HTTP status, error code and text for the answer. */
static struct room *room_make(struct app *app, const json_t *b, json_t *ids, int *err_status,
			      const char **err_code, const char **err)
{
	json_t *pl = NULL, *content = NULL;
	const json_t *members, *given_pl;
	const char *rid, *ver, *creator, *name, *topic, *alias;
	struct room *r = NULL, **rooms;
	char idbuf[MAX_ID + 1], vbuf[8];
	long v = 10;
	size_t i;
	bool ok = true;

	*err = NULL;
	*err_status = 400;
	*err_code = "bad_room";
	rid = jstr(b, "room_id");
	ver = jstr(b, "room_version");
	members = json_object_get(b, "members");
	given_pl = json_object_get(b, "power_levels");
	name = jstr(b, "name");
	topic = jstr(b, "topic");
	alias = jstr(b, "alias");
	creator = jstr(b, "creator");
	if (!creator && json_array_size(members) > 0)
		creator = json_string_value(json_array_get(members, 0));
	if (ver && parse_long(ver, 1, 11, &v))
		*err = "room_version must be a string \"1\" to \"11\"";
	else if (json_object_get(b, "room_version") && !ver)
		*err = "room_version must be a string such as \"10\"";
	else if (rid && !id_printable(rid, '!'))
		*err = "room_id must look like !abc:server";
	else if (rid && find_room(app, rid) && (*err_status = 409))
		*err = "room_id exists";
	else if (alias && (!id_printable(alias, '#') || find_room(app, alias)))
		*err = "alias must look like #name:server and be unused";
	else if (members && (!json_is_array(members) || json_array_size(members) > 1000))
		*err = "members must be an array of user ids";
	else if (given_pl && !json_is_object(given_pl))
		*err = "power_levels must be an object";
	else if (creator && !user_id_ok(creator))
		*err = "creator (or members[0]) must be a user id";
	else if (app->n_rooms >= MAX_ROOMS && (*err_status = 507))
		*err = "too many rooms";
	for (i = 0; !*err && i < json_array_size(members); i++)
		if (!user_id_ok(json_string_value(json_array_get(members, i))))
			*err = "members must be an array of user ids";
	if (*err)
		return NULL;
	if (!creator) {
		snprintf(idbuf, sizeof idbuf, "@admin:%s", app->server);
		creator = idbuf;
	}
	snprintf(vbuf, sizeof vbuf, "%ld", v);
	rooms = realloc(app->rooms, (app->n_rooms + 1) * sizeof *rooms);
	if (!rooms)
		goto oom;
	app->rooms = rooms;
	r = calloc(1, sizeof *r);
	if (!r)
		goto oom;
	if (rid) {
		r->id = strdup(rid);
	} else {
		char gen[MAX_ID + 1], rnd[19];

		do {
			rand_chars(app, rnd, 18, UPPER LOWER);
			snprintf(gen, sizeof gen, "!%s:%s", rnd, app->server);
		} while (find_room(app, gen));
		r->id = strdup(gen);
	}
	r->alias = alias ? strdup(alias) : NULL;
	r->version = (int)v;
	if (!r->id || (alias && !r->alias)) {
		free(r->id);
		free(r->alias);
		free(r);
		goto oom;
	}
	app->rooms[app->n_rooms++] = r;
	/* the creation events, like a homeserver's createRoom */
	pl = json_pack("{s:{s:i}, s:i, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}, s:i, s:i, s:i, "
		       "s:i, s:i, s:i}",
		       "users", creator, 100, "users_default", 0, "events", "m.room.name", 50,
		       "m.room.power_levels", 100, "m.room.history_visibility", 100,
		       "m.room.canonical_alias", 50, "m.room.avatar", 50, "m.room.tombstone", 100,
		       "m.room.server_acl", 100, "m.room.encryption", 100, "events_default", 0,
		       "state_default", 50, "ban", 50, "kick", 50, "redact", 50, "invite", 0);
	if (!pl || (given_pl && json_object_update(pl, (json_t *)given_pl)))
		goto oom;
	content = v >= 11 ? json_pack("{s:s}", "room_version", vbuf)
			  : json_pack("{s:s, s:s}", "room_version", vbuf, "creator", creator);
	ok = content && add_event(app, r, "m.room.create", creator, content, "", NULL, ids) &&
	     add_member(app, r, creator, creator, "join", NULL, ids) &&
	     add_event(app, r, "m.room.power_levels", creator, pl, "", NULL, ids);
	json_decref(content);
	content = json_pack("{s:s}", "join_rule",
			    json_is_true(json_object_get(b, "public")) ? "public" : "invite");
	ok = ok && content && add_event(app, r, "m.room.join_rules", creator, content, "", NULL, ids);
	json_decref(content);
	content = json_pack("{s:s}", "history_visibility", "shared");
	ok = ok && content &&
	     add_event(app, r, "m.room.history_visibility", creator, content, "", NULL, ids);
	json_decref(content);
	content = NULL;
	if (ok && name) {
		content = json_pack("{s:s}", "name", name);
		ok = content && add_event(app, r, "m.room.name", creator, content, "", NULL, ids);
		json_decref(content);
	}
	if (ok && topic) {
		content = json_pack("{s:s}", "topic", topic);
		ok = content && add_event(app, r, "m.room.topic", creator, content, "", NULL, ids);
		json_decref(content);
	}
	if (ok && alias) {
		content = json_pack("{s:s}", "alias", alias);
		ok = content && add_event(app, r, "m.room.canonical_alias", creator, content, "", NULL, ids);
		json_decref(content);
	}
	if (ok && json_is_true(json_object_get(b, "encrypted"))) {
		content = json_pack("{s:s, s:I, s:i}", "algorithm", "m.megolm.v1.aes-sha2",
				    "rotation_period_ms", (json_int_t)604800000, "rotation_period_msgs",
				    100);
		ok = content && add_event(app, r, "m.room.encryption", creator, content, "", NULL, ids);
		json_decref(content);
	}
	content = NULL;
	for (i = 0; ok && i < json_array_size(members); i++) {
		const char *u = json_string_value(json_array_get(members, i));

		if (strcmp(u, creator) != 0)
			ok = add_member(app, r, u, u, "join", NULL, ids) != NULL;
	}
	if (ok && json_is_true(json_object_get(b, "invite_bot")) && !list_has(members, bot_user(app), false))
		ok = add_member(app, r, bot_user(app), creator, "invite", NULL, ids) != NULL;
	if (!ok)
		goto full;
	log_event(app, "room_created",
		  json_pack("{s:s, s:i, s:O}", "room_id", r->id, "room_version", r->version, "spec", b));
	json_decref(pl);
	return r;
full:
	json_decref(pl);
	*err_status = 507;
	*err_code = "store_full";
	*err = "the event store is full or memory ran out";
	return NULL;
oom:
	json_decref(pl);
	*err_status = 500;
	*err_code = "fake_out_of_memory";
	*err = "out of memory";
	return NULL;
}

static void ctl_room(struct app *app, struct fake_http_req *req)
{
	json_t *b = read_json_body(req), *ids = json_array();
	const char *err, *code;
	char vbuf[8];
	int status;
	struct room *r;

	if (!json_is_object(b) || !ids) {
		reply_error(req, 400, "invalid_json", "the body must be a JSON object");
		goto out;
	}
	r = room_make(app, b, ids, &status, &code, &err);
	if (!r) {
		reply_error(req, status, code, err);
		goto out;
	}
	snprintf(vbuf, sizeof vbuf, "%d", r->version);
	reply(req, 200,
	      json_pack("{s:b, s:s, s:s, s:s?, s:O}", "ok", 1, "room_id", r->id, "room_version",
			vbuf, "alias", r->alias, "event_ids", ids));
out:
	json_decref(b);
	json_decref(ids);
}

static const char *room_creator(struct app *app, struct room *r)
{
	return r->n ? jstr(app->evs[r->idx[0]].j, "sender") : bot_user(app);
}

static void reply_event(struct fake_http_req *req, const struct ev *e)
{
	if (!e)
		reply_error(req, 507, "store_full", "the event store is full or memory ran out");
	else
		reply(req, 200, json_pack("{s:b, s:O}", "ok", 1, "event_id", json_object_get(e->j, "event_id")));
}

/* ?direct=true makes the invite's content say is_direct (a DM room the user made). */
static void ctl_invite(struct app *app, struct fake_http_req *req)
{
	struct room *r = q_room(app, &req);
	char *sender = NULL, *reason = NULL, *direct = NULL;
	json_t *st = NULL, *content = NULL;
	const char *s, *m;

	if (!r || qstr(&req, "sender", &sender) || qstr(&req, "reason", &reason) ||
	    qstr(&req, "direct", &direct))
		goto out;
	s = sender ? sender : room_creator(app, r);
	st = state_at(app, r, r->n);
	if (!st) {
		reply_error(req, 500, "fake_out_of_memory", NULL);
		goto out;
	}
	m = membership(app, st, bot_user(app), NULL);
	if (!user_id_ok(s)) {
		reply_error(req, 400, "bad_param", "sender must be a user id");
	} else if (!streq(membership(app, st, s, NULL), "join")) {
		reply_error(req, 409, "sender_not_joined", "the inviter must be joined to the room");
	} else if (streq(m, "join") || streq(m, "ban")) {
		reply_error(req, 409, streq(m, "join") ? "already_joined" : "banned",
			    "the bot cannot be invited now");
	} else if (direct && !streq(direct, "true")) {
		reply_error(req, 400, "bad_param", "direct must be true when given");
	} else if (direct) {
		content = json_pack("{s:s, s:s*, s:b}", "membership", "invite", "reason", reason,
				    "is_direct", 1);
		reply_event(req, content ? add_event(app, r, "m.room.member", s, content,
						     bot_user(app), NULL, NULL) : NULL);
	} else {
		reply_event(req, add_member(app, r, bot_user(app), s, "invite", reason, NULL));
	}
out:
	json_decref(content);
	json_decref(st);
	free(sender);
	free(reason);
	free(direct);
}

static void ctl_member(struct app *app, struct fake_http_req *req)
{
	struct room *r = q_room(app, &req);
	char *user = NULL, *mem = NULL, *sender = NULL, *reason = NULL;
	const char *s;

	if (!r || qstr(&req, "user", &user) || qstr(&req, "membership", &mem) ||
	    qstr(&req, "sender", &sender) || qstr(&req, "reason", &reason))
		goto out;
	if (!user_id_ok(user) || (sender && !user_id_ok(sender))) {
		reply_error(req, 400, "bad_param", "user (and sender) must be user ids");
		goto out;
	}
	if (!mem || (!streq(mem, "join") && !streq(mem, "leave") && !streq(mem, "invite") &&
		     !streq(mem, "ban"))) {
		reply_error(req, 400, "bad_param", "membership must be join, leave, invite or ban");
		goto out;
	}
	s = sender ? sender
		   : (streq(mem, "join") || streq(mem, "leave")) ? user : room_creator(app, r);
	reply_event(req, add_member(app, r, user, s, mem, reason, NULL));
out:
	free(user);
	free(mem);
	free(sender);
	free(reason);
}

/* Checks one event for /_control/event; NULL or the reason it is refused. */
static const char *ctl_check_event(struct app *app, struct room *r, const json_t *st,
				   const json_t *e, bool force, const char **code)
{
	const char *type = jstr(e, "type"), *sender = jstr(e, "sender"), *sk;
	const json_t *content = json_object_get(e, "content");
	const char *ec, *msg = NULL;

	*code = "bad_event";
	if (!json_is_object(e))
		return "each event must be an object";
	if (!type || !*type || strlen(type) > MAX_ID)
		return "type must be a non-empty string";
	if (!user_id_ok(sender))
		return "sender must be a user id like @alice:fake.local";
	if (content && !json_is_object(content))
		return "content must be an object";
	if (json_object_get(e, "state_key") && !jstr(e, "state_key"))
		return "state_key must be a string";
	if (strcmp(type, "m.room.redaction") == 0 && !redaction_target(e))
		return "m.room.redaction needs redacts (top level or in content)";
	if (json_size(e) > MAX_EVENT_BYTES)
		return "event larger than 65536 bytes";
	sk = jstr(e, "state_key");
	if (!force && !streq(membership(app, st, sender, NULL), "join") &&
	    !(strcmp(type, "m.room.member") == 0 && streq(sk, sender) &&
	      streq(jstr(content, "membership"), "join"))) {
		*code = "sender_not_joined";
		return "the sender is not joined to the room (add it to members, or force=1)";
	}
	if ((ec = check_relations(app, r, type, sender, content, &msg))) {
		*code = ec;
		return msg;
	}
	return NULL;
}

static void ctl_event(struct app *app, struct fake_http_req *req)
{
	struct room *r = q_room(app, &req);
	json_t *b = NULL, *st = NULL, *ids = NULL;
	long force;
	size_t i, n;

	if (!r || qlong(&req, "force", 0, 1, 0, &force))
		return;
	b = read_json_body(req);
	if (json_is_object(b)) {
		json_t *arr = json_pack("[o]", b);

		b = arr;
	}
	n = json_array_size(b);
	if (!json_is_array(b) || n == 0 || n > MAX_BATCH) {
		reply_error(req, 400, "invalid_json",
			    "the body is an event object {type, sender, content, state_key?, "
			    "redacts?} or an array of 1 to 1000 of them");
		goto out;
	}
	st = state_at(app, r, r->n);
	ids = json_array();
	if (!st || !ids) {
		reply_error(req, 500, "fake_out_of_memory", NULL);
		goto out;
	}
	for (i = 0; i < n; i++) {
		const char *code, *why = ctl_check_event(app, r, st, json_array_get(b, i), force == 1, &code);

		if (why) {
			char detail[300];

			snprintf(detail, sizeof detail, "event %zu: %s", i, why);
			reply_error(req, 400, code, detail);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		const json_t *e = json_array_get(b, i);

		if (!add_event(app, r, jstr(e, "type"), jstr(e, "sender"), json_object_get(e, "content"),
			       jstr(e, "state_key"),
			       streq(jstr(e, "type"), "m.room.redaction") ? redaction_target(e) : NULL,
			       ids)) {
			reply_error(req, 507, "store_full", "the event store is full or memory ran out");
			goto out;
		}
	}
	if (n == 1)
		reply(req, 200, json_pack("{s:b, s:O, s:O}", "ok", 1, "event_id", json_array_get(ids, 0),
					  "event_ids", ids));
	else
		reply(req, 200, json_pack("{s:b, s:O}", "ok", 1, "event_ids", ids));
out:
	json_decref(b);
	json_decref(st);
	json_decref(ids);
}

static void ctl_limited(struct app *app, struct fake_http_req *req)
{
	struct room *r = q_room(app, &req);
	long count;

	if (!r || qlong(&req, "count", 0, MAX_LIMIT, -1, &count))
		return;
	if (count < 0) {
		reply_error(req, 400, "bad_param", "count is required (0 disarms)");
		return;
	}
	r->limited_count = count;
	reply(req, 200, json_pack("{s:b, s:s, s:i}", "ok", 1, "room_id", r->id, "count", (int)count));
}

/* path= for fault rules: an endpoint name of the fake, or "*". */
static int q_path(struct fake_http_req **req, char out[32])
{
	char *p = NULL;

	if (qstr(req, "path", &p))
		return -1;
	if (!p || strlen(p) >= 32 || !known_path_name(p)) {
		free(p);
		reply_error(*req, 400, "bad_param",
			    "path must be versions, login, logout, whoami, filter, sync, join, leave, "
			    "send, redact, messages, state, event, joined_members, joined_rooms or *");
		*req = NULL;
		return -1;
	}
	snprintf(out, 32, "%s", p);
	free(p);
	return 0;
}

static void add_rule(struct app *app, struct fake_http_req *req, const struct rule *r)
{
	size_t i;

	if (r->count == 0) {
		for (i = app->n_rules; i-- > 0;)
			if (app->rules[i].kind == r->kind && strcmp(app->rules[i].path, r->path) == 0) {
				memmove(&app->rules[i], &app->rules[i + 1],
					(app->n_rules - i - 1) * sizeof *r);
				app->n_rules--;
			}
	} else if (app->n_rules < MAX_RULES) {
		app->rules[app->n_rules++] = *r;
	} else {
		reply_error(req, 409, "too_many_rules", "POST /_control/reset first");
		return;
	}
	reply(req, 200, json_pack("{s:b, s:i}", "ok", 1, "rules", (int)app->n_rules));
}

static void ctl_fail(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_FAIL};
	char *ec = NULL, *msg = NULL;
	long status, header, body_ms, applied, ra;
	size_t i;

	if (q_path(&req, r.path) || qlong(&req, "count", 0, 1000000, 1, &r.count) ||
	    qlong(&req, "status", 400, 599, 500, &status) ||
	    qlong(&req, "retry_after_ms", 0, 3600000, -1, &ra) ||
	    qlong(&req, "header", 0, 1, 1, &header) || qlong(&req, "body_ms", 0, 1, 1, &body_ms) ||
	    qlong(&req, "applied", 0, 1, 0, &applied) || qstr(&req, "errcode", &ec) ||
	    qstr(&req, "error", &msg))
		goto out;
	for (i = 0; ec && ec[i]; i++)
		if (!((ec[i] >= 'A' && ec[i] <= 'Z') || ec[i] == '_' || (ec[i] >= '0' && ec[i] <= '9')))
			break;
	if (ec && (ec[i] || i == 0 || i >= sizeof r.errcode)) {
		reply_error(req, 400, "bad_param", "errcode must look like M_UNKNOWN");
		goto out;
	}
	if (msg && (strlen(msg) >= sizeof r.error || !fake_codec_utf8_valid(msg, strlen(msg)))) {
		reply_error(req, 400, "bad_param", "error must be UTF-8, at most 127 bytes");
		goto out;
	}
	r.status = (int)status;
	snprintf(r.errcode, sizeof r.errcode, "%s", ec ? ec : "");
	snprintf(r.error, sizeof r.error, "%s", msg ? msg : "");
	r.retry_after_ms = status == 429 && ra < 0 ? 500 : ra;
	r.header = header == 1;
	r.body_ms = body_ms == 1;
	r.applied = applied == 1;
	add_rule(app, req, &r);
out:
	free(ec);
	free(msg);
}

static void ctl_garbage(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_GARBAGE};
	char *kind = NULL;
	long status, applied;

	if (q_path(&req, r.path) || qlong(&req, "count", 0, 1000000, 1, &r.count) ||
	    qlong(&req, "status", 200, 599, 200, &status) ||
	    qlong(&req, "applied", 0, 1, 0, &applied) || qstr(&req, "kind", &kind))
		goto out;
	if (kind && !fake_garbage_kind_ok(kind)) {
		reply_error(req, 400, "bad_param", "kind must be " FAKE_GARBAGE_KINDS);
		goto out;
	}
	snprintf(r.garbage, sizeof r.garbage, "%s", kind ? kind : "text");
	r.status = (int)status;
	r.applied = applied == 1;
	add_rule(app, req, &r);
out:
	free(kind);
}

static void ctl_stall(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_STALL};

	if (q_path(&req, r.path) || qlong(&req, "ms", 0, 600000, -1, &r.ms) ||
	    qlong(&req, "count", 0, 1000000, 1, &r.count))
		return;
	if (r.ms < 0) {
		reply_error(req, 400, "bad_param", "ms is required (ms=0 removes the stalls of path)");
		return;
	}
	if (r.ms == 0)
		r.count = 0;
	add_rule(app, req, &r);
}

static void ctl_drop(struct app *app, struct fake_http_req *req)
{
	struct rule r = {.kind = RULE_DROP};
	long applied, reset, cut;

	if (q_path(&req, r.path) || qlong(&req, "count", 0, 1000000, 1, &r.count) ||
	    qlong(&req, "applied", 0, 1, 0, &applied) || qlong(&req, "reset", 0, 1, 0, &reset) ||
	    qlong(&req, "cut", 0, 1, 0, &cut))
		return;
	r.applied = applied == 1;
	r.reset = reset == 1;
	r.cut = cut == 1;
	add_rule(app, req, &r);
}

static void ctl_ratelimit(struct app *app, struct fake_http_req *req)
{
	struct bucket b = {0};
	size_t i;

	if (q_path(&req, b.path) || qlong(&req, "burst", 0, 1000000, -1, &b.burst) ||
	    qlong(&req, "interval_ms", 1, 3600000, 1000, &b.interval_ms))
		return;
	if (b.burst < 0) {
		reply_error(req, 400, "bad_param", "burst is required (burst=0 removes the limit)");
		return;
	}
	for (i = 0; i < app->n_buckets; i++)
		if (strcmp(app->buckets[i].path, b.path) == 0)
			break;
	if (b.burst == 0) {
		if (i < app->n_buckets) {
			memmove(&app->buckets[i], &app->buckets[i + 1],
				(app->n_buckets - i - 1) * sizeof b);
			app->n_buckets--;
		}
	} else {
		if (i == app->n_buckets && app->n_buckets == MAX_RULES) {
			reply_error(req, 409, "too_many_rules", "POST /_control/reset first");
			return;
		}
		b.avail = (uint64_t)b.burst * (uint64_t)b.interval_ms;
		b.last_ms = uv_now(app->loop);
		app->buckets[i] = b;
		if (i == app->n_buckets)
			app->n_buckets++;
	}
	reply(req, 200, json_pack("{s:b, s:i}", "ok", 1, "ratelimits", (int)app->n_buckets));
}

static void ctl_logout(struct app *app, struct fake_http_req *req)
{
	char *token = NULL;
	long soft, kick, n;

	if (qlong(&req, "soft", 0, 1, 0, &soft) || qlong(&req, "kick", 0, 1, 1, &kick) ||
	    qstr(&req, "token", &token))
		return;
	if (token && !json_object_get(app->tokens, token)) {
		reply_error(req, 404, "unknown_token", "no such access token");
		free(token);
		return;
	}
	n = invalidate_tokens(app, token, soft == 1);
	free(token);
	if (kick)
		kick_held(app);
	reply(req, 200, json_pack("{s:b, s:I, s:b}", "ok", 1, "invalidated", (json_int_t)n, "soft",
				  soft == 1));
}

static void ctl_join_fails(struct app *app, struct fake_http_req *req)
{
	struct room *r = q_room(app, &req);
	char *ec = NULL;
	long count, status;

	if (!r || qlong(&req, "count", 0, 1000000, 1, &count) ||
	    qlong(&req, "status", 400, 599, 403, &status) || qstr(&req, "errcode", &ec))
		goto out;
	if (ec && (strlen(ec) >= sizeof r->join_errcode || strncmp(ec, "M_", 2) != 0)) {
		reply_error(req, 400, "bad_param", "errcode must look like M_FORBIDDEN");
		goto out;
	}
	r->join_fails = count;
	r->join_status = (int)status;
	snprintf(r->join_errcode, sizeof r->join_errcode, "%s", ec ? ec : "M_FORBIDDEN");
	reply(req, 200, json_pack("{s:b, s:I}", "ok", 1, "join_fails", (json_int_t)count));
out:
	free(ec);
}

static void ctl_pause(struct app *app, struct fake_http_req *req)
{
	long on;

	if (qlong(&req, "on", 0, 1, -1, &on))
		return;
	if (on < 0) {
		reply_error(req, 400, "bad_param", "on must be 0 or 1");
		return;
	}
	if (on && !app->paused)
		app->frozen = app->n_evs;
	app->paused = on == 1;
	schedule_wake(app);
	reply(req, 200, json_pack("{s:b, s:b, s:I}", "ok", 1, "paused", app->paused, "visible_pos",
				  (json_int_t)visible_pos(app)));
}

static void ctl_reset(struct app *app, struct fake_http_req *req)
{
	size_t i;

	app->n_rules = 0;
	app->n_buckets = 0;
	for (i = 0; i < app->n_rooms; i++) {
		app->rooms[i]->limited_count = 0;
		app->rooms[i]->join_fails = 0;
	}
	app->paused = false;
	schedule_wake(app);
	reply(req, 200, json_pack("{s:b}", "ok", 1));
}

static void ctl_log(struct app *app, struct fake_http_req *req)
{
	char *kind = NULL;
	long since;

	if (qlong(&req, "since", 0, 1L << 50, 0, &since) || qstr(&req, "kind", &kind))
		return;
	reply(req, 200, fake_log_since(app->log, (uint64_t)since, kind));
	free(kind);
}

static void ctl_sent(struct app *app, struct fake_http_req *req)
{
	char *room = NULL;
	json_t *out = json_array();
	size_t i;

	if (qstr(&req, "room", &room)) {
		json_decref(out);
		return;
	}
	for (i = 0; out && i < json_array_size(app->sent); i++) {
		json_t *rec = json_array_get(app->sent, i);

		if ((!room || streq(jstr(rec, "room_id"), room)) && json_array_append(out, rec)) {
			json_decref(out);
			out = NULL;
		}
	}
	free(room);
	reply(req, 200, out);
}

static void ctl_timeline(struct app *app, struct fake_http_req *req)
{
	struct room *r = q_room(app, &req);
	json_t *arr;
	size_t i;

	if (!r)
		return;
	arr = json_array();
	for (i = 0; arr && i < r->n; i++)
		if (json_array_append_new(arr, ev_client(app, &app->evs[r->idx[i]], NULL, true))) {
			json_decref(arr);
			arr = NULL;
		}
	reply(req, 200, arr ? json_pack("{s:b, s:s, s:o}", "ok", 1, "room_id", r->id, "events", arr)
			    : NULL);
}

static json_t *rules_json(struct app *app)
{
	static const char *kinds[] = {"fail", "garbage", "stall", "drop"};
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < app->n_rules; i++) {
		const struct rule *r = &app->rules[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:i, s:s, s:I, s:b, s:s, s:I}",
						     "kind", kinds[r->kind], "path", r->path, "count",
						     (json_int_t)r->count, "status", r->status,
						     "errcode", r->errcode, "retry_after_ms",
						     (json_int_t)r->retry_after_ms, "applied",
						     r->applied, "garbage", r->garbage, "ms",
						     (json_int_t)r->ms));
		if (r->cut)
			json_object_set_new(json_array_get(arr, json_array_size(arr) - 1), "cut",
					    json_true());
	}
	for (i = 0; arr && i < app->n_buckets; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I}", "kind", "ratelimit",
						     "path", app->buckets[i].path, "burst",
						     (json_int_t)app->buckets[i].burst, "interval_ms",
						     (json_int_t)app->buckets[i].interval_ms));
	return arr;
}

static void ctl_state(struct app *app, struct fake_http_req *req)
{
	json_t *held = json_array(), *rooms = json_array(), *tokens = json_array(), *st;
	uint64_t now = uv_now(app->loop);
	const char *key;
	json_t *t;
	struct held *hs;
	size_t i;

	for (hs = app->held; held && hs; hs = hs->next)
		json_array_append_new(
			held, json_pack("{s:I, s:s, s:I, s:b, s:I, s:I, s:b}", "conn",
					(json_int_t)(hs->req ? fake_http_req_conn_id(hs->req) : 0),
					"device_id", hs->device, "since", (json_int_t)hs->since,
					"initial", hs->initial, "timeout_ms", (json_int_t)hs->timeout_ms,
					"held_ms", (json_int_t)(now - hs->arrived_ms), "stalled",
					hs->stalled));
	for (i = 0; rooms && i < app->n_rooms; i++) {
		struct room *r = app->rooms[i];
		json_t *rst = state_at(app, r, r->n), *members = json_object(), *v;
		const char *user;

		json_object_foreach(json_object_get(rst, "m.room.member"), user, v)
			if (members)
				json_object_set(members, user,
						json_object_get(json_object_get(
									app->evs[json_integer_value(v)].j,
									"content"),
								"membership"));
		json_array_append_new(
			rooms,
			json_pack("{s:s, s:s?, s:i, s:b, s:s?, s:o?, s:I, s:I, s:I}", "room_id", r->id,
				  "alias", r->alias, "room_version", r->version, "encrypted",
				  rst && state_get(app, rst, "m.room.encryption", "") != NULL,
				  "bot_membership", rst ? membership(app, rst, bot_user(app), NULL) : NULL,
				  "members", members, "events", (json_int_t)r->n, "limited_armed",
				  (json_int_t)r->limited_count, "join_fails", (json_int_t)r->join_fails));
		json_decref(rst);
	}
	json_object_foreach(app->tokens, key, t)
		if (tokens)
			json_array_append_new(tokens,
					      json_pack("{s:s, s:O, s:O, s:O, s:O}", "token", key,
							"device_id", json_object_get(t, "device_id"),
							"valid", json_object_get(t, "valid"),
							"soft_logout", json_object_get(t, "soft_logout"),
							"serial", json_object_get(t, "serial")));
	st = json_pack("{s:b, s:i, s:s, s:s, s:I, s:I, s:b, s:o?, s:i, s:O, s:I, s:I, s:s, s:o?, "
		       "s:O, s:I, s:I, s:o?, s:o?, s:I, s:I}",
		       "ok", 1, "port", app->port, "user_id", bot_user(app), "server_name",
		       app->server, "stream_pos", (json_int_t)app->n_evs, "visible_pos",
		       (json_int_t)visible_pos(app), "paused", app->paused, "held", held,
		       "held_count", (int)app->n_held, "counts", app->counts, "api_calls",
		       (json_int_t)app->api_calls, "sync_answers", (json_int_t)app->sync_answers,
		       "last_next_batch", app->last_next_batch, "access_tokens", tokens, "devices",
		       app->devices, "filters", (json_int_t)json_array_size(app->filters),
		       "transactions", (json_int_t)json_array_size(app->sent), "rooms", rooms,
		       "rules", rules_json(app), "log_seq", (json_int_t)fake_log_last_seq(app->log),
		       "log_dropped", (json_int_t)fake_log_dropped(app->log));
	reply(req, 200, st);
}

static const struct control {
	const char *name;
	bool post;
	void (*fn)(struct app *app, struct fake_http_req *req);
} controls[] = {
	{"room", true, ctl_room},
	{"invite", true, ctl_invite},
	{"member", true, ctl_member},
	{"event", true, ctl_event},
	{"limited", true, ctl_limited},
	{"fail", true, ctl_fail},
	{"garbage", true, ctl_garbage},
	{"stall", true, ctl_stall},
	{"drop", true, ctl_drop},
	{"ratelimit", true, ctl_ratelimit},
	{"logout", true, ctl_logout},
	{"join_fails", true, ctl_join_fails},
	{"pause", true, ctl_pause},
	{"reset", true, ctl_reset},
	{"log", false, ctl_log},
	{"sent", false, ctl_sent},
	{"timeline", false, ctl_timeline},
	{"state", false, ctl_state},
};

static void handle_control(struct app *app, struct fake_http_req *req, const char *name)
{
	const char *method = fake_http_req_method(req);
	size_t i, blen;
	const char *body = fake_http_req_body(req, &blen);

	for (i = 0; i < sizeof controls / sizeof controls[0]; i++) {
		const struct control *c = &controls[i];

		if (strcmp(c->name, name) != 0)
			continue;
		if (strcmp(method, c->post ? "POST" : "GET") != 0) {
			reply_error(req, 405, "method_not_allowed", c->post ? "use POST" : "use GET");
			return;
		}
		if (c->post)
			log_event(app, "control",
				  json_pack("{s:s, s:o?, s:o?}", "path", name, "query",
					    fake_log_text(fake_http_req_query(req),
							  strlen(fake_http_req_query(req)), LOG_TEXT_MAX),
					    "body", blen ? fake_log_text(body, blen, LOG_TEXT_MAX) : NULL));
		c->fn(app, req);
		return;
	}
	reply_error(req, 404, "unknown_control", "see tests/fakes/README.md");
}

static void on_request(void *ud, struct fake_http_req *req)
{
	struct app *app = ud;
	const char *path = fake_http_req_path(req);

	if (app->m.stopping) {
		fake_http_respond_json(req, 503, "{\"errcode\":\"M_UNKNOWN\",\"error\":\"shutting down\"}");
	} else if (strncmp(path, "/_control/", 10) == 0) {
		handle_control(app, req, path + 10);
	} else if (strcmp(path, "/.well-known/matrix/client") == 0) {
		char base[64];

		snprintf(base, sizeof base, "http://127.0.0.1:%d", app->port);
		reply(req, 200, json_pack("{s:{s:s}}", "m.homeserver", "base_url", base));
	} else {
		handle_matrix(app, req);
	}
}

/* ---- start and stop ---- */

static void on_stop(struct fake_main *m, const char *why)
{
	struct app *app = m->data;
	struct delayed *d;

	(void)why;
	uv_close((uv_handle_t *)&app->wake_timer, NULL);
	while ((d = app->delayed) != NULL)
		delayed_finish(d); /* the request is freed by fake_http_server_free */
	while (app->held) {
		struct held *hs = app->held;

		if (hs->req)
			fake_http_req_on_gone(hs->req, NULL, NULL);
		held_finish(hs);
	}
}

static void on_start(struct fake_main *m)
{
	struct app *app = m->data;

	app->loop = m->loop;
	app->http = m->http;
	app->log = m->log;
	app->port = m->port;
	uv_timer_init(m->loop, &app->wake_timer);
	app->wake_timer.data = app;
	log_event(app, "start",
		  json_pack("{s:i, s:s, s:s}", "port", m->port, "user_id", app->o.user,
			    "device_id", app->o.device));
	fprintf(stderr, "fake_matrix: listening on 127.0.0.1:%d as %s\n", m->port, app->o.user);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fake_matrix [options]\n"
		"  --port N          listen on 127.0.0.1:N (0 = ephemeral, the default)\n"
		"  --port-file FILE  write the bound port to FILE once listening\n"
		"  --log FILE        append every event to FILE as JSON lines\n"
		"  --max-seconds N   exit after N seconds (default 300)\n"
		"  --user ID         the bot's user id (default @bot:fake.local)\n"
		"  --password P      its password (default secret)\n"
		"  --token T         a pre-issued valid access token (default syt_test_token)\n"
		"  --device ID       the device of --token (default FAKEDEVICE)\n"
		"  --verbose         also print every event to stderr\n"
		"Control API: see tests/fakes/README.md\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	*o = (struct opts){.user = "@bot:fake.local", .password = "secret",
			   .token = "syt_test_token", .device = "FAKEDEVICE"};
	fake_main_opts_init(&o->m);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->m.verbose = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "fake_matrix: %s needs a value (or is unknown)\n", a);
			return -1;
		}
		i++;
		if (fake_main_opt(&o->m, a, v, parse_long)) {
			continue;
		} else if (strcmp(a, "--user") == 0 && user_id_ok(v)) {
			o->user = v;
		} else if (strcmp(a, "--password") == 0 && *v) {
			o->password = v;
		} else if (strcmp(a, "--token") == 0 && *v && strlen(v) < 400) {
			o->token = v;
		} else if (strcmp(a, "--device") == 0 && device_id_ok(v)) {
			o->device = v;
		} else {
			fprintf(stderr, "fake_matrix: bad option %s %s\n", a, v);
			return -1;
		}
	}
	return 0;
}

static void free_all(struct app *app)
{
	size_t i;

	for (i = 0; i < app->n_evs; i++) {
		json_decref(app->evs[i].j);
		free(app->evs[i].txn_id);
		free(app->evs[i].dev_key);
	}
	free(app->evs);
	for (i = 0; i < app->n_rooms; i++) {
		free(app->rooms[i]->id);
		free(app->rooms[i]->alias);
		free(app->rooms[i]->idx);
		free(app->rooms[i]);
	}
	free(app->rooms);
	json_decref(app->ev_index);
	json_decref(app->devices);
	json_decref(app->tokens);
	json_decref(app->filters);
	json_decref(app->txns);
	json_decref(app->sent);
	json_decref(app->counts);
}

int main(int argc, char **argv)
{
	static struct app app;
	const char *colon;
	int rc = 1;

	if (parse_opts(argc, argv, &app.o)) {
		usage(stderr);
		return 2;
	}
	colon = strchr(app.o.user, ':');
	snprintf(app.localpart, sizeof app.localpart, "%.*s", (int)(colon - app.o.user - 1),
		 app.o.user + 1);
	snprintf(app.server, sizeof app.server, "%s", colon + 1);
	app.rng = fake_main_seed();
	app.ev_index = json_object();
	app.devices = json_object();
	app.tokens = json_object();
	app.filters = json_array();
	app.txns = json_object();
	app.sent = json_array();
	app.counts = json_object();
	if (!app.ev_index || !app.devices || !app.tokens || !app.filters || !app.txns || !app.sent ||
	    !app.counts || !device_ensure(&app, app.o.device, "pre-issued token (--token)") ||
	    json_object_set_new(app.tokens, app.o.token,
				json_pack("{s:s, s:i, s:b, s:b, s:i}", "device_id", app.o.device,
					  "generation", 1, "valid", 1, "soft_logout", 0, "serial", 0))) {
		fprintf(stderr, "fake_matrix: out of memory\n");
		goto out_json;
	}
	app.m = (struct fake_main){.name = "fake_matrix", .o = &app.o.m, .on_request = on_request,
				   .on_start = on_start, .on_stop = on_stop, .data = &app};
	rc = fake_main_run(&app.m);
out_json:
	free_all(&app);
	return rc;
}
