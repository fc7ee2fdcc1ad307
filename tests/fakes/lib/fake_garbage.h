/* fake_garbage.h - answer bodies that a client must survive, shared by the fakes: not
 * JSON, cut JSON, an HTML error page, JSON of the wrong shape, fields of the wrong types,
 * an oversized (1 MiB) body. */
#ifndef FAKE_GARBAGE_H
#define FAKE_GARBAGE_H

#include <stdbool.h>
#include <stddef.h>

/* "text, html, truncated, empty, array, wrongtype or huge", for error messages. */
#define FAKE_GARBAGE_KINDS "text, html, truncated, empty, array, wrongtype or huge"

/* True if kind is one of FAKE_GARBAGE_KINDS. */
bool fake_garbage_kind_ok(const char *kind);

/* The body for kind (an unknown kind gives "text"), its length in *len and its content
 * type in *ctype. "wrongtype" is a JSON object whose usual Slack and Matrix fields
 * (ok, error, ts, url, next_batch, rooms, event_id, access_token, ...) all have the wrong
 * JSON type; "huge" is a valid JSON object of 1 MiB + 100 bytes with no useful field.
 * The text is static (huge: allocated once, kept for the life of the process). NULL when
 * memory ran out. */
const char *fake_garbage_body(const char *kind, size_t *len, const char **ctype);

#endif
