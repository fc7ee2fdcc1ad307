/* text.h - small bounded helpers for text people type. */
#ifndef WORKSHOPBOT_TEXT_H
#define WORKSHOPBOT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "bot/msg.h"

/* The longest answer or action item accepted, in characters (code points). */
#define TEXT_MAX_CHARS 20000

/* The first character of s that is not white space. */
const char *text_skip_space(const char *s);

/* Number of UTF-8 code points in s (s must be valid UTF-8). */
size_t text_char_count(const char *s);

/* True if the n bytes at s are valid UTF-8 without NUL bytes. */
bool text_valid_utf8(const char *s, size_t n);

/* Appends the first n bytes of s (cut back to a character boundary) as user text, with
 * "…" when it was cut. */
void text_user_clipped(struct msg *m, const char *s, size_t n);

/* Copies s without its surrounding white space into dst (cut to len - 1 bytes); dst may
 * be s itself. */
void text_copy_trimmed(char *dst, size_t len, const char *s);

/* True if s is blank (only white space). */
bool text_blank(const char *s);

/* Case-insensitive comparison of the word at s with word; true when s starts with it
 * and the next character is white space or the end. */
bool text_word_is(const char *s, const char *word);

/* The last place in s where word stands as a whole word followed by white space
 * (case-insensitive), or NULL. */
const char *text_last_word(const char *s, const char *word);

/* Parses an item id "12" or "#12" (whole string, surrounding spaces allowed).
 * Returns 0 and sets *id, or -1. */
int text_parse_id(const char *s, long long *id);

#endif
