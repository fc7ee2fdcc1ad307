/* fake_log.h - the event record of a fake server.
 *
 * Every event is a JSON object {"seq":N,"t_ms":M,"kind":"...", ...fields} where seq
 * counts from 1 and t_ms is the time since fake_log_new() in milliseconds. Events are
 * kept in memory for the control API (the oldest are dropped beyond max_events or a
 * total of FAKE_LOG_MAX_BYTES of JSON text) and, when a path is given, appended to that
 * file as JSON lines, one flushed line per event. */
#ifndef FAKE_LOG_H
#define FAKE_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#define FAKE_LOG_MAX_BYTES (256u * 1024 * 1024)

struct fake_log;

/* path may be NULL (memory only); the file is created or truncated. max_events 0 means
 * 100000. Returns NULL (after a message on stderr) when the file cannot be opened or
 * memory ran out. Free with fake_log_free(). */
struct fake_log *fake_log_new(const char *path, size_t max_events);
void fake_log_free(struct fake_log *log);

/* Also prints every event as a JSON line to f (e.g. stderr); NULL stops it. */
void fake_log_echo(struct fake_log *log, FILE *f);

/* Records an event of this kind. fields is an object whose members are copied into the
 * event (the reference is stolen; NULL means no fields). Returns the event's seq, or 0
 * when memory ran out (the event is lost, a message goes to stderr). */
uint64_t fake_log_add(struct fake_log *log, const char *kind, json_t *fields);

/* A new array (caller decrefs) of the kept events with seq > since, oldest first,
 * only those of this kind unless kind is NULL. NULL when memory ran out. */
json_t *fake_log_since(const struct fake_log *log, uint64_t since, const char *kind);

/* The seq of the newest event (0 when none), and how many old events were dropped. */
uint64_t fake_log_last_seq(const struct fake_log *log);
uint64_t fake_log_dropped(const struct fake_log *log);

/* A JSON string for text of len bytes, cut to max bytes (at a UTF-8 boundary, with
 * invalid bytes replaced) - for putting client data into events. NULL on OOM. */
json_t *fake_log_text(const char *text, size_t len, size_t max);

#endif
