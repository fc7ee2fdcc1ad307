/* fake_codec.c - see fake_codec.h. */
#include "tests/fakes/lib/fake_codec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- SHA-1 ---- */

struct sha1 {
	uint32_t h[5];
	uint64_t total;
	unsigned char block[64];
	size_t used;
};

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(struct sha1 *s, const unsigned char *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0];
	b = s->h[1];
	c = s->h[2];
	d = s->h[3];
	e = s->h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999u;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1u;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDCu;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6u;
		}
		t = rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = t;
	}
	s->h[0] += a;
	s->h[1] += b;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
}

static void sha1_update(struct sha1 *s, const unsigned char *p, size_t len)
{
	s->total += len;
	while (len) {
		size_t n = 64 - s->used;

		if (n > len)
			n = len;
		memcpy(s->block + s->used, p, n);
		s->used += n;
		p += n;
		len -= n;
		if (s->used == 64) {
			sha1_block(s, s->block);
			s->used = 0;
		}
	}
}

void fake_codec_sha1(const void *data, size_t len, unsigned char out[FAKE_SHA1_LEN])
{
	struct sha1 s = {.h = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u}};
	unsigned char pad[72];
	uint64_t bits;
	size_t n;
	int i;

	sha1_update(&s, data, len);
	bits = s.total * 8;
	n = (s.used < 56) ? 56 - s.used : 120 - s.used;
	memset(pad, 0, sizeof pad);
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[n + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	sha1_update(&s, pad, n + 8);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (unsigned char)(s.h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(s.h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(s.h[i] >> 8);
		out[4 * i + 3] = (unsigned char)s.h[i];
	}
}

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t fake_codec_b64_encode(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	size_t i, o = 0, need;

	if (out_size)
		out[0] = '\0';
	if (len > (((size_t)-1) / 4) - 4)
		return 0;
	need = (len + 2) / 3 * 4 + 1;
	if (out_size < need)
		return 0;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = b64[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_val(char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(b64, c);
	return p ? (int)(p - b64) : -1;
}

long fake_codec_b64_decode(const char *in, size_t len, unsigned char *out, size_t out_size)
{
	size_t i, o = 0;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i += 4) {
		int v[4], j, pad = 0;
		uint32_t x;

		for (j = 0; j < 4; j++) {
			if (in[i + (size_t)j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad) {
				return -1; /* data after padding */
			} else {
				v[j] = b64_val(in[i + (size_t)j]);
				if (v[j] < 0)
					return -1;
			}
		}
		x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		if ((size_t)(3 - pad) > out_size - o)
			return -1;
		out[o++] = (unsigned char)(x >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(x >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)x;
	}
	return (long)o;
}

int fake_codec_ws_accept(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char buf[128 + sizeof guid];
	unsigned char digest[FAKE_SHA1_LEN];
	size_t klen = strlen(key);

	if (klen > 128)
		return -1;
	memcpy(buf, key, klen);
	memcpy(buf + klen, guid, sizeof guid - 1);
	fake_codec_sha1(buf, klen + sizeof guid - 1, digest);
	return fake_codec_b64_encode(digest, sizeof digest, out, 29) == 28 ? 0 : -1;
}

/* ---- UTF-8 ---- */

bool fake_codec_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* ---- form-urlencoded ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t fake_codec_url_decode(const char *in, size_t n, char *out, bool plus_is_space)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '%' && i + 2 < n && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
			out[o++] = (char)(hexval(in[i + 1]) * 16 + hexval(in[i + 2]));
			i += 2;
		} else if (in[i] == '+' && plus_is_space) {
			out[o++] = ' ';
		} else {
			out[o++] = in[i];
		}
	}
	out[o] = '\0';
	return o;
}

int fake_codec_form_each(const char *s, size_t len,
			 int (*fn)(void *ud, const char *name, const char *value), void *ud)
{
	size_t pos = 0;

	while (pos < len) {
		const char *pair = s + pos, *amp, *eq;
		size_t plen, nlen, vlen;
		char *name, *value;
		int rc;

		amp = memchr(pair, '&', len - pos);
		plen = amp ? (size_t)(amp - pair) : len - pos;
		pos += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		nlen = eq ? (size_t)(eq - pair) : plen;
		vlen = eq ? plen - nlen - 1 : 0;
		name = malloc(nlen + 1);
		value = malloc(vlen + 1);
		if (!name || !value) {
			free(name);
			free(value);
			return -1;
		}
		fake_codec_url_decode(pair, nlen, name, true);
		fake_codec_url_decode(eq ? eq + 1 : "", vlen, value, true);
		rc = fn(ud, name, value);
		free(name);
		free(value);
		if (rc)
			return rc;
	}
	return 0;
}

struct form_get {
	const char *name;
	char *found;
	bool oom;
};

static int form_get_cb(void *ud, const char *name, const char *value)
{
	struct form_get *g = ud;

	if (strcmp(name, g->name) != 0)
		return 0;
	g->found = strdup(value);
	if (!g->found)
		g->oom = true;
	return 1;
}

int fake_codec_form_get(const char *s, size_t len, const char *name, char **out)
{
	struct form_get g = {.name = name};
	int rc;

	*out = NULL;
	rc = fake_codec_form_each(s, len, form_get_cb, &g);
	if (rc < 0 || g.oom)
		return -1;
	*out = g.found;
	return g.found ? 1 : 0;
}

/* ---- self-test ---- */

static int check_hex(const char *what, const unsigned char *d, const char *want)
{
	char hex[2 * FAKE_SHA1_LEN + 1];
	int i;

	for (i = 0; i < FAKE_SHA1_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	if (strcmp(hex, want) == 0)
		return 0;
	fprintf(stderr, "codec selftest: sha1(%s) = %s, want %s\n", what, hex, want);
	return -1;
}

static int check_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return 0;
	fprintf(stderr, "codec selftest: %s = \"%s\", want \"%s\"\n", what, got, want);
	return -1;
}

int fake_codec_selftest(void)
{
	static const struct {
		const char *in, *out;
	} b64v[] = {
		{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
		{"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
	};
	static const char *bad_b64[] = {"Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg="};
	static const struct {
		const char *s;
		bool ok;
	} utf8v[] = {
		{"plain", true}, {"caf\xc3\xa9", true}, {"\xe2\x9c\x85", true},
		{"\xf0\x9f\x98\x80", true}, {"\xc0\xaf", false}, {"\xed\xa0\x80", false},
		{"\xf4\x90\x80\x80", false}, {"\xe2\x9c", false}, {"\x80", false},
	};
	unsigned char d[FAKE_SHA1_LEN], raw[16];
	char out[64], *million, *v;
	size_t i;
	int rc = 0;

	fake_codec_sha1("", 0, d);
	rc |= check_hex("\"\"", d, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	fake_codec_sha1("abc", 3, d);
	rc |= check_hex("abc", d, "a9993e364706816aba3e25717850c26c9cd0d89d");
	fake_codec_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	rc |= check_hex("448-bit", d, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	million = malloc(1000000);
	if (!million)
		return -1;
	memset(million, 'a', 1000000);
	fake_codec_sha1(million, 1000000, d);
	free(million);
	rc |= check_hex("a x 1e6", d, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");

	for (i = 0; i < sizeof b64v / sizeof b64v[0]; i++) {
		long n;

		fake_codec_b64_encode((const unsigned char *)b64v[i].in, strlen(b64v[i].in), out,
				      sizeof out);
		rc |= check_str("b64 encode", out, b64v[i].out);
		n = fake_codec_b64_decode(b64v[i].out, strlen(b64v[i].out), (unsigned char *)out,
					  sizeof out - 1);
		if (n < 0) {
			fprintf(stderr, "codec selftest: b64 decode of %s failed\n", b64v[i].out);
			rc = -1;
			continue;
		}
		out[n] = '\0';
		rc |= check_str("b64 decode", out, b64v[i].in);
	}
	for (i = 0; i < sizeof bad_b64 / sizeof bad_b64[0]; i++) {
		if (fake_codec_b64_decode(bad_b64[i], strlen(bad_b64[i]), raw, sizeof raw) >= 0) {
			fprintf(stderr, "codec selftest: b64 decode accepted \"%s\"\n", bad_b64[i]);
			rc = -1;
		}
	}
	/* RFC 6455 section 1.3. */
	if (fake_codec_ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out) != 0)
		rc = -1;
	else
		rc |= check_str("ws accept", out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	if (fake_codec_b64_decode("dGhlIHNhbXBsZSBub25jZQ==", 24, raw, sizeof raw) != 16) {
		fprintf(stderr, "codec selftest: the RFC 6455 key does not decode to 16 bytes\n");
		rc = -1;
	}
	for (i = 0; i < sizeof utf8v / sizeof utf8v[0]; i++) {
		if (fake_codec_utf8_valid(utf8v[i].s, strlen(utf8v[i].s)) != utf8v[i].ok) {
			fprintf(stderr, "codec selftest: utf8 case %zu wrong\n", i);
			rc = -1;
		}
	}
	fake_codec_url_decode("a%20b+c%zz%4", 12, out, true);
	rc |= check_str("url decode", out, "a b c%zz%4");
	if (fake_codec_form_get("x=1&channel=C%2F1&channel=no", 28, "channel", &v) != 1) {
		fprintf(stderr, "codec selftest: form_get missed channel\n");
		rc = -1;
	} else {
		rc |= check_str("form_get", v, "C/1");
		free(v);
	}
	if (fake_codec_form_get("&&a&b=", 6, "zz", &v) != 0 || v) {
		fprintf(stderr, "codec selftest: form_get found an absent name\n");
		free(v);
		rc = -1;
	}
	if (fake_codec_form_get("&&a&b=", 6, "a", &v) != 1 || strcmp(v, "") != 0)
		rc = -1;
	free(v);
	return rc ? -1 : 0;
}
