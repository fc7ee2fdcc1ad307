/* fake_buf.h - a growable byte buffer with a ceiling, for the fake servers.
 *
 * The data is always followed by a NUL byte (not counted in len), so text can be used
 * as a C string. A buffer starts zeroed by fake_buf_init() and owns its memory until
 * fake_buf_free(). */
#ifndef FAKE_BUF_H
#define FAKE_BUF_H

#include <stddef.h>

struct fake_buf {
	char *data;   /* NULL until the first append */
	size_t len;   /* bytes in use */
	size_t cap;   /* bytes allocated */
	size_t max;   /* ceiling for len */
};

void fake_buf_init(struct fake_buf *b, size_t max);

/* Appends n bytes. Returns 0, or -1 when len would pass the ceiling or memory ran out
 * (the buffer is unchanged then). */
int fake_buf_append(struct fake_buf *b, const void *p, size_t n);

/* Appends formatted text. Returns 0 or -1 as fake_buf_append. */
int fake_buf_appendf(struct fake_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Removes the first n bytes (n > len removes everything). */
void fake_buf_consume(struct fake_buf *b, size_t n);

/* Empties the buffer and keeps its memory. */
void fake_buf_reset(struct fake_buf *b);

/* Frees the memory; the buffer is empty and usable again afterwards. */
void fake_buf_free(struct fake_buf *b);

#endif
