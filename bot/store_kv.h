/* store_kv.h - a transport's small persistent state (Matrix's next_batch, device id) and
 * what the bot knows of each Matrix room. */
#ifndef WORKSHOPBOT_STORE_KV_H
#define WORKSHOPBOT_STORE_KV_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* Copies the value of key into buf ("" when unset). Returns 0 or BOT_ERR_DB. */
int store_kv_get(struct store *s, const char *transport, const char *key, char *buf,
		 size_t len);
int store_kv_set(struct store *s, const char *transport, const char *key, const char *value);

struct matrix_room_rec {
	bool encrypted;
	bool warned;            /* the "cannot read encrypted rooms" notice was posted */
	char *power_levels;     /* JSON, malloc'd (free it), or NULL */
};

/* Reads a room (an unknown room reads as all false/NULL). Returns 0 or BOT_ERR_DB*. */
int store_matrix_room_get(struct store *s, const char *room_id, struct matrix_room_rec *out);
/* Writes a room; power_levels NULL keeps the stored ones. */
int store_matrix_room_set(struct store *s, const char *room_id, bool encrypted, bool warned,
			  const char *power_levels);

#endif
