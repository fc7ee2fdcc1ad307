/* json_pos.c - bounded scanners over accepted JSON text (see json_pos.h). */
#include "prompts/json_pos.h"

#include <stdint.h>
#include <string.h>

static size_t pos_skip_ws(const char *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* i is at the opening quote; returns the index just past the closing quote (or len). */
static size_t pos_skip_string(const char *b, size_t len, size_t i)
{
	i++;
	while (i < len && b[i] != '"') {
		if (b[i] == '\\')
			i++;
		i++;
	}
	return i < len ? i + 1 : len;
}

/* Returns the index just past the value that starts at i. Iterative: no recursion on
 * nesting depth. */
static size_t pos_skip_value(const char *b, size_t len, size_t i)
{
	size_t depth = 0;

	while (i < len) {
		char c = b[i];

		if (c == '"') {
			i = pos_skip_string(b, len, i);
		} else if (c == '{' || c == '[') {
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			depth--;
			i++;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' ||
					   c == '\r')) {
			return i;
		} else {
			i++;
		}
		if (depth == 0 && (c == '"' || c == '}' || c == ']'))
			return i;
	}
	return i;
}

static int pos_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the 4 hex digits at b[i..i+3]; -1 if they are not there. */
static long pos_hex4(const char *b, size_t len, size_t i)
{
	long v = 0;

	if (len < 4 || i > len - 4)
		return -1;
	for (size_t k = 0; k < 4; k++) {
		int h = pos_hex(b[i + k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/* Encodes code point cp as UTF-8 into out; returns the number of bytes. */
static size_t pos_utf8(unsigned long cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Whether the JSON string at b[i] (opening quote) decodes to exactly want. */
static bool pos_string_equals(const char *b, size_t len, size_t i, const char *want)
{
	size_t wlen = strlen(want);
	size_t w = 0;

	i++;
	while (i < len && b[i] != '"') {
		unsigned char enc[4];
		size_t n = 1;

		if (b[i] != '\\') {
			enc[0] = (unsigned char)b[i];
			i++;
		} else if (i + 1 >= len) {
			return false;
		} else if (b[i + 1] == 'u') {
			long cp = pos_hex4(b, len, i + 2);
			if (cp < 0)
				return false;
			i += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < len && b[i] == '\\' &&
			    b[i + 1] == 'u') {
				long lo = pos_hex4(b, len, i + 2);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					i += 6;
				}
			}
			n = pos_utf8((unsigned long)cp, enc);
		} else {
			static const char from[] = "\"\\/bfnrt";
			static const char to[] = "\"\\/\b\f\n\r\t";
			const char *f = strchr(from, b[i + 1]);
			if (!f || !*f)
				return false;
			enc[0] = (unsigned char)to[f - from];
			i += 2;
		}
		if (n > wlen - w || memcmp(want + w, enc, n) != 0)
			return false;
		w += n;
	}
	return w == wlen;
}

/* Byte offset of the value at path (or, if at_key, of the last key itself) in b, which
 * jansson has accepted. If the path is not there, the offset of the deepest value found. */
size_t json_pos_find(const char *b, size_t len, const struct path_elem *path, size_t n,
		       bool at_key)
{
	size_t i = pos_skip_ws(b, len, 0);

	for (size_t d = 0; d < n; d++) {
		size_t start = i;
		size_t k = 0;
		bool found = false;

		if (i >= len || b[i] != (path[d].key ? '{' : '['))
			return start;
		i = pos_skip_ws(b, len, i + 1);
		while (i < len && b[i] != '}' && b[i] != ']') {
			if (path[d].key) {
				size_t kpos = i;
				bool match = b[i] == '"' && pos_string_equals(b, len, i, path[d].key);

				i = pos_skip_ws(b, len, pos_skip_string(b, len, i));
				if (i < len && b[i] == ':')
					i = pos_skip_ws(b, len, i + 1);
				if (match && at_key && d + 1 == n)
					return kpos;
				found = match;
			} else {
				found = k == path[d].index;
				k++;
			}
			if (found)
				break;
			i = pos_skip_ws(b, len, pos_skip_value(b, len, i));
			if (i < len && b[i] == ',')
				i = pos_skip_ws(b, len, i + 1);
		}
		if (!found)
			return start;
	}
	return i;
}

/* Line and column (1-based, columns in characters as jansson counts them) of offset. */
void json_pos_line_col(const char *b, size_t len, size_t off, long *line, long *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (b[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)b[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}
