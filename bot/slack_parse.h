/* slack_parse.h - one Socket Mode frame (JSON text) into what the transport needs: the
 * frame's type, its envelope id for the ack, and the normalised struct event, or why
 * the event is ignored. Pure: no I/O, so it is unit-tested and fuzzed on its own. */
#ifndef WORKSHOPBOT_SLACK_PARSE_H
#define WORKSHOPBOT_SLACK_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bot/event.h"
#include "prompts/template.h"

enum slack_frame_type {
	SLACK_HELLO,
	SLACK_DISCONNECT,
	SLACK_EVENTS_API,
	SLACK_SLASH_COMMAND,
	SLACK_INTERACTIVE,
	SLACK_OTHER,          /* an envelope of a type we do not handle: ack it */
};

/* Who the bot is, from auth.test: its own messages are ignored. */
struct slack_identity {
	const char *user_id;
	const char *bot_id;       /* kept for the log; every bot_id marks a bot's message */
};

struct slack_frame {
	enum slack_frame_type type;
	const char *envelope_id;     /* NULL for hello and disconnect */
	bool accepts_response_payload;
	int retry_attempt;
	const char *reason;          /* disconnect: its reason */
	long num_connections;        /* hello */
	long connection_time_s;      /* hello: approximate_connection_time, or -1 */

	bool has_event;              /* ev is filled; otherwise ignored says why */
	struct event ev;
	const char *ignored;
	bool malformed;              /* ignored because of an unexpected shape */

	/* Storage the event's strings point into; freed by slack_frame_free(). */
	json_t *root;
	char *text;
	char *dedup;
	const char *choices[TEMPLATE_MAX_OPTIONS];
};

/* Parses data (len bytes). Returns 0 and fills *f (free with slack_frame_free(), also on
 * error), or BOT_ERR_INVALID with one line in err for text that is not a JSON object or
 * lacks what its type needs. */
int slack_parse_frame(const char *data, size_t len, const struct slack_identity *me,
		      struct slack_frame *f, char *err, size_t errlen);

void slack_frame_free(struct slack_frame *f);

/* Button values and view metadata carry "SESSION:PROMPT[:CHANNEL]". Writes the value for
 * a session's question into buf. */
void slack_question_value(long long session_id, long prompt_index, const char *channel,
			  char *buf, size_t len);

#endif
