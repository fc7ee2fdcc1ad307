#include "handlers/text.h"

#include <ctype.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

const char *text_skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

size_t text_char_count(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Length of the UTF-8 sequence starting at s (at most n bytes), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		cp = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		cp = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are invalid. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	return len;
}

bool text_valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t len = utf8_seq_len(p + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

void text_user_clipped(struct msg *m, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *copy;

	if (s[len] == '\0') {
		msg_user(m, s);
		return;
	}
	/* Back off to the start of a character. */
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	copy = strndup(s, len);
	if (!copy) {
		m->failed = true;
		return;
	}
	msg_user(m, copy);
	msg_text(m, "…");
	free(copy);
}

void text_copy_trimmed(char *dst, size_t len, const char *s)
{
	size_t n;

	s = text_skip_space(s);
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memmove(dst, s, n);  /* dst may be s itself */
	dst[n] = '\0';
}

bool text_blank(const char *s)
{
	return *text_skip_space(s) == '\0';
}

bool text_word_is(const char *s, const char *word)
{
	size_t n = strlen(word);

	return strncasecmp(s, word, n) == 0 && (s[n] == '\0' || isspace((unsigned char)s[n]));
}

int text_parse_id(const char *s, long long *id)
{
	long long v = 0;
	const char *p = text_skip_space(s);
	int digits = 0;

	if (*p == '#')
		p++;
	while (*p >= '0' && *p <= '9') {
		if (v > 1000000000000LL)
			return -1;
		v = v * 10 + (*p - '0');
		p++;
		digits++;
	}
	if (!digits || v <= 0 || *text_skip_space(p) != '\0')
		return -1;
	*id = v;
	return 0;
}

const char *text_last_word(const char *s, const char *word)
{
	size_t n = strlen(word);
	const char *last = NULL;

	for (const char *p = s; *p; p++) {
		if ((p == s || isspace((unsigned char)p[-1])) && strncasecmp(p, word, n) == 0 &&
		    isspace((unsigned char)p[n]))
			last = p;
	}
	return last;
}
