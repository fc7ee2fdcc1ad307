/* fuzz_matrix_sync.c - a /sync body normalised into invites and per-room events. */
#include "fuzz/fuzz.h"

#include "bot/err.h"
#include "bot/log.h"
#include "bot/matrix_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct matrix_identity me = { "@bot:example.org", "workshopbot" };
	char err[BOT_ERRMSG_MAX];
	struct matrix_sync s;

	log_set_level(LOG_ERR);  /* odd events are logged as warnings: keep the output quiet */

	if (matrix_parse_sync((const char *)data, size, &me, &s, err, sizeof err) == 0) {
		FUZZ_CHECK(s.next_batch != NULL, "sync without next_batch");
		for (size_t i = 0; i < s.n_invites; i++)
			FUZZ_CHECK(s.invites[i].room_id != NULL, "invite without room");
		for (size_t r = 0; r < s.n_rooms; r++) {
			const struct matrix_room *room = &s.rooms[r];
			(void)matrix_power_level(room->power_levels, me.user_id);
			for (size_t i = 0; i < room->n_events; i++) {
				const struct event *ev = &room->events[i];
				FUZZ_CHECK(ev->text || (ev->kind != EVENT_MESSAGE &&
							ev->kind != EVENT_EDIT),
					   "message without text");
				FUZZ_CHECK(ev->channel && ev->user, "event without room or sender");
			}
		}
	}
	matrix_sync_free(&s);
	return 0;
}
