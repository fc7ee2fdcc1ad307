/* slack_users.c - display names of Slack users, looked up once with users.info. Events
 * carry only user ids; until a name arrives the id stands in for it. The cache is a hash
 * map by id plus a list from most to least recently seen; past SLACK_USERS_MAX users the
 * least recently seen is dropped (seen again, it is looked up again). */
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "bot/hashmap.h"
#include "bot/log.h"
#include "bot/slack_internal.h"
#include "bot/store_sessions.h"

struct slack_user {
	char *id;
	char *name;              /* NULL while the lookup is in flight (or failed) */
	bool pending;            /* users.info in flight: this is its callback's ud */
	bool evicted;            /* out of the cache, on the evicted list until it answers */
	struct slack_user *prev, *next;   /* the recent list, or the evicted list */
};

struct slack_users {
	struct hashmap *by_id;           /* id -> struct slack_user */
	struct slack_user *newest, *oldest;
	struct slack_user *evicted;      /* dropped while their lookup was in flight */
};

static void user_free(struct slack_user *u)
{
	free(u->id);
	free(u->name);
	free(u);
}

static void recent_unlink(struct slack_users *c, struct slack_user *u)
{
	if (u->prev)
		u->prev->next = u->next;
	else
		c->newest = u->next;
	if (u->next)
		u->next->prev = u->prev;
	else
		c->oldest = u->prev;
	u->prev = u->next = NULL;
}

static void recent_push(struct slack_users *c, struct slack_user *u)
{
	u->prev = NULL;
	u->next = c->newest;
	if (c->newest)
		c->newest->prev = u;
	else
		c->oldest = u;
	c->newest = u;
}

static void evicted_unlink(struct slack_users *c, struct slack_user *u)
{
	if (u->prev)
		u->prev->next = u->next;
	else
		c->evicted = u->next;
	if (u->next)
		u->next->prev = u->prev;
}

/* Drops the least recently seen user; one whose lookup is in flight is kept (off the
 * cache) until the answer comes, which then frees it. */
static void evict_oldest(struct slack_users *c)
{
	struct slack_user *u = c->oldest;

	recent_unlink(c, u);
	hashmap_remove_str(c->by_id, u->id);
	if (!u->pending) {
		user_free(u);
		return;
	}
	u->evicted = true;
	u->next = c->evicted;
	if (c->evicted)
		c->evicted->prev = u;
	c->evicted = u;
}

/* The best name users.info gives: display name, else real name, else the handle. */
static const char *best_name(json_t *user)
{
	json_t *profile = json_object_get(user, "profile");
	const char *names[] = {
		json_string_value(json_object_get(profile, "display_name")),
		json_string_value(json_object_get(profile, "real_name")),
		json_string_value(json_object_get(user, "real_name")),
		json_string_value(json_object_get(user, "name")),
	};

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i] && names[i][0])
			return names[i];
	return NULL;
}

static void on_user_info(struct slack *s, void *ud, const struct slack_result *r)
{
	struct slack_user *u = ud;
	const char *name = r->ok ? best_name(json_object_get(r->body, "user")) : NULL;
	int result;

	u->pending = false;
	if (!name) {
		log_debug("slack", "users.info %s: %s", u->id, r->ok ? "no name" : r->error);
	} else if ((u->name = strdup(name))) {
		result = store_member_rename(s->base.bot->store, "slack", u->id, u->name);
		if (result)
			log_warn("slack", "could not record the name of %s", u->id);
	}
	if (u->evicted) {
		evicted_unlink(s->users, u);
		user_free(u);
	}
}

const char *slack_user_name(struct slack *s, const char *user_id)
{
	struct slack_users *c = s->users;
	struct slack_user *u;

	if (!c) {
		c = calloc(1, sizeof *c);
		if (!c || !(c->by_id = hashmap_new())) {
			free(c);
			return NULL;
		}
		s->users = c;
	}
	u = hashmap_get_str(c->by_id, user_id);
	if (u) {
		recent_unlink(c, u);
		recent_push(c, u);
		return u->name;
	}
	u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->id = strdup(user_id);
	if (!u->id || hashmap_put_str(c->by_id, user_id, u)) {
		user_free(u);
		return NULL;
	}
	recent_push(c, u);
	if (hashmap_count(c->by_id) > SLACK_USERS_MAX)
		evict_oldest(c);
	u->pending = true;
	slack_api_call(s, "users.info", json_pack("{s:s}", "user", user_id), false,
		       on_user_info, u);
	return NULL;
}

void slack_users_free(struct slack *s)
{
	struct slack_users *c = s->users;

	if (!c)
		return;
	while (c->newest) {
		struct slack_user *u = c->newest;
		c->newest = u->next;
		user_free(u);
	}
	while (c->evicted) {
		struct slack_user *u = c->evicted;
		c->evicted = u->next;
		user_free(u);
	}
	hashmap_free(c->by_id);
	free(c);
	s->users = NULL;
}
