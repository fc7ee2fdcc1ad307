/* fuzz_slack_envelope.c - one Socket Mode frame normalised into a struct event. */
#include "fuzz/fuzz.h"

#include "bot/err.h"
#include "bot/log.h"
#include "bot/slack_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct slack_identity me = { "UBOT", "BBOT" };
	char err[BOT_ERRMSG_MAX];
	struct slack_frame f;

	log_set_level(LOG_ERR);  /* odd events are logged as warnings: keep the output quiet */

	if (slack_parse_frame((const char *)data, size, &me, &f, err, sizeof err) == 0 &&
	    f.has_event) {
		const struct event *ev = &f.ev;
		/* event.h: text is never NULL for MESSAGE and EDIT. */
		FUZZ_CHECK(ev->text || (ev->kind != EVENT_MESSAGE && ev->kind != EVENT_EDIT),
			   "message without text");
		FUZZ_CHECK(ev->channel && ev->user, "event without channel or user");
		for (size_t i = 0; i < ev->n_choices; i++)
			FUZZ_CHECK(ev->choices[i] != NULL, "NULL choice");
	}
	slack_frame_free(&f);
	return 0;
}
