/* buf.h - a growable byte buffer with a ceiling (curl's dynbuf habit).
 *
 * Appends never fail loudly: past the ceiling or on out-of-memory the buffer is marked
 * failed and ignores further appends; buf_take() then returns NULL. */
#ifndef WORKSHOPBOT_BUF_H
#define WORKSHOPBOT_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;        /* always NUL-terminated when not NULL */
	size_t len;
	size_t cap;
	size_t max;        /* ceiling in bytes, excluding the NUL */
	bool failed;
};

/* max 0 means the default ceiling of 64 MiB. */
void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_put(struct buf *b, const char *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Hands the string over (caller frees) and leaves b empty; NULL if b failed. An empty
 * buffer gives "". */
char *buf_take(struct buf *b);

#endif
