/* direct.c - direct messages: the member's choice (`dm on|off`), and the ✅ reaction on
 * a reminder, which closes the action item it names. */
#include <stdio.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_direct.h"
#include "bot/store_outbox.h"
#include "handlers/handler.h"
#include "handlers/text.h"

/* A reminder lists at most this many items we name in a hint. */
#define HINT_MAX 16

int reminders_by_direct(struct workshop *w, const char *transport, const char *user,
			bool *direct)
{
	*direct = w->cfg->followup_remind_direct;
	return *direct ? 0 : store_direct_pref(w->store, transport, user, direct);
}

int cmd_dm(struct ctx *c, const char *args)
{
	bool on = text_word_is(args, "on");
	int result;

	if (on || text_word_is(args, "off")) {
		result = store_direct_pref_set(c->w->store, c->ev->transport, c->ev->user, on);
		if (result)
			return result;
	} else if (!text_blank(args)) {
		return private_text(c, "Usage: !ws dm [on|off]");
	} else {
		result = store_direct_pref(c->w->store, c->ev->transport, c->ev->user, &on);
		if (result)
			return result;
	}
	if (c->w->cfg->followup_remind_direct)
		return private_text(c, "This bot sends every reminder by direct message "
				       "(remind_by = direct), so you will get yours that way.");
	return private_text(c, on ? "You will get reminders by direct message (!ws dm off to "
				    "get them in the session's channel)."
				  : "You will get reminders as a mention in the session's channel "
				    "(!ws dm on to get them by direct message).");
}

/* The check marks Slack (by name) and Matrix (the emoji, with or without the variation
 * selector) use. */
static bool is_check(const char *key)
{
	static const char *const keys[] = { "white_check_mark", "heavy_check_mark",
					    "\xe2\x9c\x85", "\xe2\x9c\x94\xef\xb8\x8f",
					    "\xe2\x9c\x94" };

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

int direct_reaction(struct ctx *c, bool *handled)
{
	int64_t ids[HINT_MAX];
	char id[24];
	struct msg m;
	size_t n;
	int result;

	*handled = false;
	if (!c->ev->target_ref || !c->ev->text || !is_check(c->ev->text))
		return 0;
	result = store_outbox_actions_of(c->w->store, c->ev->transport, c->ev->target_ref, ids,
					 HINT_MAX, &n);
	if (result || n == 0)
		return result;
	*handled = true;
	if (n == 1) {
		snprintf(id, sizeof id, "%lld", (long long)ids[0]);
		return cmd_done(c, id);
	}
	/* A coalesced reminder: which item was meant is not known, so none is closed. */
	msg_init(&m);
	msg_text(&m, "That reminder lists %zu action items; mark the ones that are done:", n);
	for (size_t i = 0; i < n && i < HINT_MAX; i++) {
		msg_text(&m, "\n  ");
		msg_code(&m, "!ws done %lld", (long long)ids[i]);
	}
	return reply_private(c, &m);
}
