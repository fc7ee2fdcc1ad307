/* slack_users.c - display names of Slack users, looked up once with users.info. Events
 * carry only user ids; until a name arrives the id stands in for it. */
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "bot/log.h"
#include "bot/slack_internal.h"
#include "bot/store_sessions.h"

struct slack_user {
	char *id;
	char *name;              /* NULL while the lookup is in flight (or failed) */
	struct slack_user *next;
};

static struct slack_user *find(struct slack *s, const char *id)
{
	for (struct slack_user *u = s->users; u; u = u->next)
		if (strcmp(u->id, id) == 0)
			return u;
	return NULL;
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

	if (!name) {
		log_debug("slack", "users.info %s: %s", u->id, r->ok ? "no name" : r->error);
		return;
	}
	u->name = strdup(name);
	if (!u->name)
		return;
	result = store_member_rename(s->base.bot->store, "slack", u->id, u->name);
	if (result)
		log_warn("slack", "could not record the name of %s", u->id);
}

const char *slack_user_name(struct slack *s, const char *user_id)
{
	struct slack_user *u = find(s, user_id);

	if (u)
		return u->name;
	u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->id = strdup(user_id);
	if (!u->id) {
		free(u);
		return NULL;
	}
	u->next = s->users;
	s->users = u;
	slack_api_call(s, "users.info", json_pack("{s:s}", "user", user_id), false,
		       on_user_info, u);
	return NULL;
}

void slack_users_free(struct slack *s)
{
	while (s->users) {
		struct slack_user *u = s->users;
		s->users = u->next;
		free(u->id);
		free(u->name);
		free(u);
	}
}
