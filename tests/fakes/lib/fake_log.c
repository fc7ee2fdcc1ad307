/* fake_log.c - see fake_log.h. */
#include "tests/fakes/lib/fake_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/fakes/lib/fake_codec.h"

struct fake_log {
	FILE *file;
	FILE *echo;
	json_t **ring;   /* max_events slots */
	size_t *sizes;   /* the JSON text size of each kept event */
	size_t max_events, head, count, bytes;
	uint64_t seq, dropped;
	struct timespec start;
};

static uint64_t elapsed_ms(const struct fake_log *log)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (int64_t)(now.tv_sec - log->start.tv_sec) * 1000 +
	     (now.tv_nsec - log->start.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (uint64_t)ms;
}

/* CLOCK_MONOTONIC in microseconds: comparable with another process's reading on the same
 * machine (bench/loadgen.c times the daemon's start-up and answers by it). */
static uint64_t mono_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

struct fake_log *fake_log_new(const char *path, size_t max_events)
{
	struct fake_log *log = calloc(1, sizeof *log);

	if (!log)
		goto oom;
	log->max_events = max_events ? max_events : 100000;
	log->ring = calloc(log->max_events, sizeof *log->ring);
	log->sizes = calloc(log->max_events, sizeof *log->sizes);
	if (!log->ring || !log->sizes)
		goto oom;
	clock_gettime(CLOCK_MONOTONIC, &log->start);
	if (path) {
		log->file = fopen(path, "w");
		if (!log->file) {
			fprintf(stderr, "fake_log: cannot open %s\n", path);
			fake_log_free(log);
			return NULL;
		}
	}
	return log;
oom:
	fprintf(stderr, "fake_log: out of memory\n");
	fake_log_free(log);
	return NULL;
}

void fake_log_free(struct fake_log *log)
{
	size_t i;

	if (!log)
		return;
	if (log->ring)
		for (i = 0; i < log->count; i++)
			json_decref(log->ring[(log->head + i) % log->max_events]);
	if (log->file)
		fclose(log->file);
	free(log->ring);
	free(log->sizes);
	free(log);
}

static void drop_oldest(struct fake_log *log)
{
	json_decref(log->ring[log->head]);
	log->ring[log->head] = NULL;
	log->bytes -= log->sizes[log->head];
	log->head = (log->head + 1) % log->max_events;
	log->count--;
	log->dropped++;
}

uint64_t fake_log_add(struct fake_log *log, const char *kind, json_t *fields)
{
	json_t *ev;
	char *text;
	size_t len;

	ev = json_pack("{s:I, s:I, s:I, s:s}", "seq", (json_int_t)(log->seq + 1), "t_ms",
		       (json_int_t)elapsed_ms(log), "mono_us", (json_int_t)mono_us(), "kind", kind);
	if (!ev || (fields && json_object_update(ev, fields) != 0)) {
		json_decref(ev);
		json_decref(fields);
		fprintf(stderr, "fake_log: out of memory, event %s lost\n", kind);
		return 0;
	}
	json_decref(fields);
	text = json_dumps(ev, JSON_COMPACT);
	if (!text) {
		json_decref(ev);
		fprintf(stderr, "fake_log: out of memory, event %s lost\n", kind);
		return 0;
	}
	len = strlen(text);
	if (log->file) {
		fprintf(log->file, "%s\n", text);
		fflush(log->file);
	}
	if (log->echo)
		fprintf(log->echo, "%s\n", text);
	free(text);
	while (log->count && (log->count == log->max_events || log->bytes + len > FAKE_LOG_MAX_BYTES))
		drop_oldest(log);
	{
		size_t slot = (log->head + log->count) % log->max_events;

		log->ring[slot] = ev;
		log->sizes[slot] = len;
	}
	log->count++;
	log->bytes += len;
	return ++log->seq;
}

json_t *fake_log_since(const struct fake_log *log, uint64_t since, const char *kind)
{
	json_t *arr = json_array();
	/* The kept events have consecutive seqs, the oldest log->seq - log->count + 1: the
	 * first one after since is found without reading the older ones (a poller that asks
	 * for the few newest events many times a second does not scan the whole ring). */
	uint64_t oldest = log->seq - log->count + 1;
	size_t i = since >= oldest ? (size_t)(since - oldest + 1) : 0;

	if (!arr)
		return NULL;
	for (; i < log->count; i++) {
		json_t *ev = log->ring[(log->head + i) % log->max_events];

		if (kind && strcmp(json_string_value(json_object_get(ev, "kind")), kind) != 0)
			continue;
		if (json_array_append(arr, ev)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

void fake_log_echo(struct fake_log *log, FILE *f)
{
	log->echo = f;
}

uint64_t fake_log_last_seq(const struct fake_log *log)
{
	return log->seq;
}

uint64_t fake_log_dropped(const struct fake_log *log)
{
	return log->dropped;
}

json_t *fake_log_text(const char *text, size_t len, size_t max)
{
	char *copy;
	json_t *s;
	size_t i, o = 0;

	if (len > max)
		len = max;
	if (fake_codec_utf8_valid(text, len))
		return json_stringn(text, len);
	/* Replace each byte that does not start a valid character (including a character
	 * cut by max) with '?'. */
	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	for (i = 0; i < len;) {
		size_t n = 1;

		while (n <= 4 && i + n <= len && !fake_codec_utf8_valid(text + i, n))
			n++;
		if (n > 4 || i + n > len) {
			copy[o++] = '?';
			i++;
		} else {
			memcpy(copy + o, text + i, n);
			o += n;
			i += n;
		}
	}
	s = json_stringn(copy, o);
	free(copy);
	return s;
}
