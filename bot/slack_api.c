/* slack_api.c - Slack Web API calls over the shared http client, and what their errors
 * mean. Tokens go only into the Authorization header. */
#include <stdlib.h>
#include <string.h>

#include "bot/bot.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/slack_internal.h"

/* Slack's answers are small; a bigger one is a broken server. */
#define API_MAX_RESPONSE (1024 * 1024)
#define API_TIMEOUT_MS 15000

struct slack_api_call {
	struct slack *s;
	struct http_call *http;
	char method[48];
	slack_done_fn done;
	void *ud;
	struct slack_api_call *next;
};

static void unlink_call(struct slack *s, struct slack_api_call *call)
{
	for (struct slack_api_call **p = &s->calls; *p; p = &(*p)->next) {
		if (*p == call) {
			*p = call->next;
			return;
		}
	}
}

static void on_http_done(void *ud, const struct http_response *res)
{
	struct slack_api_call *call = ud;
	struct slack *s = call->s;
	json_error_t jerr;
	struct slack_result r = { .status = res->status, .retry_after_s = res->retry_after_s };

	unlink_call(s, call);
	if (res->error) {
		r.error = res->error_text ? res->error_text : "network error";
	} else {
		r.body = json_loadb(res->body, res->body_len, 0, &jerr);
		r.ok = json_is_true(json_object_get(r.body, "ok"));
		r.error = json_string_value(json_object_get(r.body, "error"));
		if (!r.ok && !r.error)
			r.error = res->status >= 500 ? "server error" :
				  r.body ? "answer without ok" : "answer is not JSON";
	}
	if (!r.ok)
		log_debug("slack", "%s failed: HTTP %ld, %s", call->method, r.status, r.error);
	call->done(s, call->ud, &r);
	json_decref(r.body);
	free(call);
	if (s->state == SLACK_STOPPING)
		slack_stop_if_drained(s);
}

int slack_api_call(struct slack *s, const char *method, json_t *args, bool app_token,
		   slack_done_fn done, void *ud)
{
	struct slack_api_call *call = calloc(1, sizeof *call);
	char *body = args ? json_dumps(args, JSON_COMPACT) : NULL;
	char url[1280];
	struct http_request req = {
		.method = "POST",
		.url = url,
		.bearer = app_token ? s->cfg->slack_app_token : s->cfg->slack_bot_token,
		.content_type = "application/json; charset=utf-8",
		.body = body ? body : "{}",
		.body_len = body ? strlen(body) : 2,
		.timeout_ms = API_TIMEOUT_MS,
		.max_response = API_MAX_RESPONSE,
	};
	struct slack_result failed = { .error = "could not start the request" };

	json_decref(args);
	if (!call || (args && !body)) {
		free(call);
		free(body);
		failed.error = "out of memory";
		done(s, ud, &failed);
		return -1;
	}
	snprintf(url, sizeof url, "%s%s", s->cfg->slack_api_url, method);
	snprintf(call->method, sizeof call->method, "%s", method);
	call->s = s;
	call->done = done;
	call->ud = ud;
	call->http = http_start(s->http, &req, on_http_done, call);
	free(body);
	if (!call->http) {
		free(call);
		done(s, ud, &failed);
		return -1;
	}
	call->next = s->calls;
	s->calls = call;
	return 0;
}

void slack_api_cancel_all(struct slack *s)
{
	while (s->calls) {
		struct slack_api_call *call = s->calls;
		s->calls = call->next;
		http_cancel(s->http, call->http);
		free(call);
	}
}

bool slack_api_busy(const struct slack *s)
{
	return s->calls != NULL;
}

static bool error_in(const char *error, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(error, *list) == 0)
			return true;
	return false;
}

enum slack_error_class slack_classify(const struct slack_result *r)
{
	static const char *const auth[] = { "invalid_auth", "not_authed", "token_revoked",
					    "token_expired", "account_inactive", "missing_scope",
					    "no_permission", "not_allowed_token_type",
					    "team_disabled", "user_removed_from_team", NULL };
	static const char *const rate[] = { "ratelimited", "rate_limited", NULL };
	static const char *const temporary[] = { "service_unavailable", "request_timeout",
						 "server error", NULL };
	static const char *const maybe[] = { "internal_error", "fatal_error", NULL };
	static const char *const channel[] = { "not_in_channel", "channel_not_found",
					       "is_archived", NULL };

	if (r->ok)
		return SLACK_ERR_NONE;
	if (r->status == 429 || error_in(r->error, rate))
		return SLACK_ERR_RATE;
	/* A body without a boolean ok is not Slack's answer (a proxy's page, a cut or broken
	 * answer): like no answer at all, it is temporary. */
	if (r->status == 0 || r->status >= 500 || !json_is_boolean(json_object_get(r->body, "ok")) ||
	    error_in(r->error, temporary))
		return SLACK_ERR_TEMPORARY;
	if (error_in(r->error, auth))
		return SLACK_ERR_AUTH;
	if (error_in(r->error, maybe))
		return SLACK_ERR_MAYBE_DONE;
	if (error_in(r->error, channel))
		return SLACK_ERR_CHANNEL;
	return SLACK_ERR_PERMANENT;
}

void slack_fatal(struct slack *s, const char *what, const struct slack_result *r)
{
	const char *needed = json_string_value(json_object_get(r->body, "needed"));
	bool app = strcmp(what, "apps.connections.open") == 0;

	if (needed)
		log_err("slack", "%s: the %s lacks the scope '%s' (%s): add it to the app, "
			"reinstall it, and restart", what, app ? "app-level token" : "bot token",
			needed, r->error);
	else
		log_err("slack", "%s: the %s was refused (%s): check %s; not retrying", what,
			app ? "app-level token" : "bot token", r->error,
			app ? "[slack] app_token / SLACK_APP_TOKEN" : "[slack] bot_token / SLACK_BOT_TOKEN");
	s->state = SLACK_STOPPED;
	bot_transport_failed(s->base.bot, &s->base);
}
