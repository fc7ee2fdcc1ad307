/* fake_codec.h - small encoders the fake servers need: SHA-1 and base64 (the websocket
 * handshake), UTF-8 validation (websocket text frames) and application/x-www-form-urlencoded
 * parsing (query strings and Slack form bodies). No allocation except where noted. */
#ifndef FAKE_CODEC_H
#define FAKE_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#define FAKE_SHA1_LEN 20

/* SHA-1 (FIPS 180-4) of len bytes. */
void fake_codec_sha1(const void *data, size_t len, unsigned char out[FAKE_SHA1_LEN]);

/* Standard base64 with padding. Writes a NUL-terminated string into out. Returns its
 * length, or 0 when out_size is too small (out is then "" if out_size > 0). */
size_t fake_codec_b64_encode(const unsigned char *in, size_t len, char *out, size_t out_size);

/* Decodes standard base64 (padding required, no whitespace). Returns the number of bytes
 * written, or -1 for invalid input or when out_size is too small. */
long fake_codec_b64_decode(const char *in, size_t len, unsigned char *out, size_t out_size);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
 * out must hold 29 bytes. Returns 0, or -1 when key is longer than 128 bytes. */
int fake_codec_ws_accept(const char *key, char out[29]);

/* True when the len bytes are well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool fake_codec_utf8_valid(const char *s, size_t len);

/* Percent-decodes n bytes into out (which must hold n + 1 bytes), turning '+' into a
 * space when plus_is_space. Malformed escapes are copied literally. Returns the decoded
 * length; out is NUL-terminated. */
size_t fake_codec_url_decode(const char *in, size_t n, char *out, bool plus_is_space);

/* Calls fn for each name=value pair of a form-urlencoded string (a query string or a
 * form body) of len bytes, with both parts decoded; pairs without '=' get value "".
 * name and value are borrowed for the call. Stops when fn returns non-zero and returns
 * that value; returns -1 when memory ran out, else 0. */
int fake_codec_form_each(const char *s, size_t len,
			 int (*fn)(void *ud, const char *name, const char *value), void *ud);

/* The decoded value of the first pair called name. Returns 1 and sets *out to a string
 * the caller frees with free(); 0 when absent (*out = NULL); -1 when memory ran out. */
int fake_codec_form_get(const char *s, size_t len, const char *name, char **out);

/* Checks the functions above against known vectors (FIPS 180, RFC 4648, RFC 6455).
 * Returns 0, or -1 after printing the failing case to stderr. */
int fake_codec_selftest(void);

#endif
