/* fake_ws.c - see fake_ws.h. */
#include "tests/fakes/lib/fake_ws.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/fakes/lib/fake_buf.h"
#include "tests/fakes/lib/fake_codec.h"

#define MAX_FRAGMENT_FRAMES 1000000u

struct fake_ws_conn {
	struct fake_http_conn *http;
	bool silent;               /* client pings are not answered (a stalled server) */
	const struct fake_ws_callbacks *cb;
	void *ud;
	unsigned long id;
	struct fake_buf in;   /* undecoded bytes */
	struct fake_buf msg;  /* the message being reassembled */
	int msg_op;           /* its opcode, 0 = none */
	unsigned msg_frames;
	size_t max_message;
	bool close_sent, close_received;
	bool dead;            /* dropped or failed: ignore input, send nothing */
};

static void ws_on_data(void *ud, struct fake_http_conn *http, const char *data, size_t len);
static void ws_on_close(void *ud, struct fake_http_conn *http);

static const struct fake_http_raw_ops raw_ops = {ws_on_data, ws_on_close};

/* ---- frames out ---- */

static size_t frame_header(unsigned char *h, bool fin, int op, size_t len)
{
	h[0] = (unsigned char)((fin ? 0x80 : 0) | (op & 0x0f));
	if (len < 126) {
		h[1] = (unsigned char)len;
		return 2;
	}
	if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		return 4;
	}
	h[1] = 127;
	for (int i = 0; i < 8; i++)
		h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

static int append_frame(struct fake_buf *b, bool fin, int op, const void *data, size_t len)
{
	unsigned char h[10];
	size_t hl = frame_header(h, fin, op, len);

	if (fake_buf_append(b, h, hl) || fake_buf_append(b, data, len))
		return -1;
	return 0;
}

static bool can_send(const struct fake_ws_conn *c)
{
	return c->http && !c->dead && !c->close_sent && !fake_http_conn_is_closing(c->http);
}

static int send_frame(struct fake_ws_conn *c, bool fin, int op, const void *data, size_t len)
{
	struct fake_buf b;
	int rc;

	fake_buf_init(&b, len + 16);
	rc = append_frame(&b, fin, op, data, len);
	if (rc == 0)
		rc = fake_http_conn_write(c->http, b.data, b.len);
	fake_buf_free(&b);
	return rc;
}

static void send_close_frame(struct fake_ws_conn *c, int code, const char *reason)
{
	unsigned char p[125];
	size_t n = 0, rlen = reason ? strlen(reason) : 0;

	if (code != 1005) {
		p[0] = (unsigned char)(code >> 8);
		p[1] = (unsigned char)code;
		if (rlen > 123)
			rlen = 123;
		memcpy(p + 2, reason ? reason : "", rlen);
		n = 2 + rlen;
	}
	send_frame(c, true, FAKE_WS_CLOSE, p, n);
	c->close_sent = true;
}

int fake_ws_send(struct fake_ws_conn *c, enum fake_ws_opcode op, const void *data, size_t len)
{
	if (!can_send(c))
		return -1;
	if (op != FAKE_WS_TEXT && op != FAKE_WS_BINARY && op != FAKE_WS_PING && op != FAKE_WS_PONG)
		return -1;
	if ((op == FAKE_WS_PING || op == FAKE_WS_PONG) && len > 125)
		len = 125;
	return send_frame(c, true, op, data, len);
}

long fake_ws_send_fragmented(struct fake_ws_conn *c, enum fake_ws_opcode op, const void *data,
			     size_t len, size_t fragment, bool ping_between)
{
	const char *p = data;
	struct fake_buf b;
	size_t off = 0, frames;
	long n = 0;

	if (!can_send(c) || fragment == 0 || (op != FAKE_WS_TEXT && op != FAKE_WS_BINARY))
		return -1;
	frames = len ? (len + fragment - 1) / fragment : 1;
	if (frames > MAX_FRAGMENT_FRAMES)
		return -1;
	fake_buf_init(&b, len + frames * 10 + 256);
	do {
		size_t chunk = len - off < fragment ? len - off : fragment;
		bool last = off + chunk >= len;

		if (append_frame(&b, last, n == 0 ? (int)op : FAKE_WS_CONT, p + off, chunk))
			goto fail;
		if (n == 0 && ping_between && !last &&
		    append_frame(&b, true, FAKE_WS_PING, "between-fragments", 17))
			goto fail;
		off += chunk;
		n++;
	} while (off < len);
	if (fake_http_conn_write(c->http, b.data, b.len))
		goto fail;
	fake_buf_free(&b);
	return n;
fail:
	fake_buf_free(&b);
	return -1;
}

int fake_ws_close(struct fake_ws_conn *c, int code, const char *reason)
{
	if (!can_send(c))
		return -1;
	send_close_frame(c, code, reason);
	fake_http_conn_set_deadline(c->http, FAKE_WS_CLOSE_WAIT_MS);
	return 0;
}

void fake_ws_drop(struct fake_ws_conn *c, enum fake_ws_drop how)
{
	if (!c->http || fake_http_conn_is_closing(c->http)) {
		c->dead = true;
		return;
	}
	c->dead = true;
	if (how == FAKE_WS_DROP_MIDFRAME) {
		/* A text frame that announces 1000 bytes and carries 500 of them. */
		static char half[4 + 500];
		size_t hl = frame_header((unsigned char *)half, true, FAKE_WS_TEXT, 1000);

		memset(half + hl, 'x', sizeof half - hl);
		fake_http_conn_write(c->http, half, sizeof half);
		fake_http_conn_close(c->http, FAKE_HTTP_CLOSE_FLUSH);
	} else {
		fake_http_conn_close(c->http, how == FAKE_WS_DROP_RESET ? FAKE_HTTP_CLOSE_RESET
									: FAKE_HTTP_CLOSE_NOW);
	}
}

unsigned long fake_ws_id(const struct fake_ws_conn *c)
{
	return c->id;
}

bool fake_ws_is_open(const struct fake_ws_conn *c)
{
	return can_send(c);
}

/* ---- frames in ---- */

static void fail(struct fake_ws_conn *c, int code, const char *what)
{
	if (c->dead)
		return;
	if (!c->close_sent)
		send_close_frame(c, code, what);
	c->dead = true;
	if (c->cb->on_protocol_error)
		c->cb->on_protocol_error(c->ud, c, code, what);
	fake_http_conn_close(c->http, FAKE_HTTP_CLOSE_FLUSH);
}

static bool valid_close_code(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static void deliver(struct fake_ws_conn *c)
{
	bool binary = c->msg_op == FAKE_WS_BINARY;
	unsigned frames = c->msg_frames;

	c->msg_op = 0;
	c->msg_frames = 0;
	if (!binary && !fake_codec_utf8_valid(c->msg.data ? c->msg.data : "", c->msg.len)) {
		fail(c, 1007, "text message is not UTF-8");
		return;
	}
	if (fake_buf_append(&c->msg, "", 0)) { /* make sure data is allocated */
		fail(c, 1011, "out of memory");
		return;
	}
	if (c->cb->on_message)
		c->cb->on_message(c->ud, c, binary, c->msg.data, c->msg.len, frames);
	fake_buf_reset(&c->msg);
}

static void handle_close(struct fake_ws_conn *c, const unsigned char *p, size_t len)
{
	char reason[124];
	int code = 1005;
	size_t rlen = 0;

	if (len == 1) {
		fail(c, 1002, "close frame with a 1-byte payload");
		return;
	}
	if (len >= 2) {
		code = p[0] << 8 | p[1];
		rlen = len - 2;
		if (!valid_close_code(code)) {
			fail(c, 1002, "invalid close code");
			return;
		}
		if (!fake_codec_utf8_valid((const char *)p + 2, rlen)) {
			fail(c, 1007, "close reason is not UTF-8");
			return;
		}
	}
	memcpy(reason, p + 2 * (len >= 2), rlen);
	reason[rlen] = '\0';
	c->close_received = true;
	if (!c->close_sent)
		send_close_frame(c, code, code == 1005 ? NULL : "");
	if (c->cb->on_close_frame)
		c->cb->on_close_frame(c->ud, c, code, reason);
	fake_http_conn_close(c->http, FAKE_HTTP_CLOSE_FLUSH);
}

static void handle_frame(struct fake_ws_conn *c, bool fin, int op, const unsigned char *p,
			 size_t len)
{
	switch (op) {
	case FAKE_WS_CONT:
		if (!c->msg_op) {
			fail(c, 1002, "continuation frame without a message");
			return;
		}
		break;
	case FAKE_WS_TEXT:
	case FAKE_WS_BINARY:
		if (c->msg_op) {
			fail(c, 1002, "new message inside a fragmented message");
			return;
		}
		c->msg_op = op;
		break;
	case FAKE_WS_CLOSE:
		handle_close(c, p, len);
		return;
	case FAKE_WS_PING:
		if (!c->close_sent && !c->silent)
			send_frame(c, true, FAKE_WS_PONG, p, len);
		if (c->cb->on_ping)
			c->cb->on_ping(c->ud, c, (const char *)p, len);
		return;
	case FAKE_WS_PONG:
		if (c->cb->on_pong)
			c->cb->on_pong(c->ud, c, (const char *)p, len);
		return;
	default:
		fail(c, 1002, "unknown opcode");
		return;
	}
	if (len > c->max_message - c->msg.len) {
		fail(c, 1009, "message too big");
		return;
	}
	if (fake_buf_append(&c->msg, p, len)) {
		fail(c, 1011, "out of memory");
		return;
	}
	c->msg_frames++;
	if (fin)
		deliver(c);
}

static void ws_on_data(void *ud, struct fake_http_conn *http, const char *data, size_t len)
{
	struct fake_ws_conn *c = ud;
	size_t pos = 0;

	if (!c->http) {
		c->http = http;
		c->id = fake_http_conn_id(http);
	}
	if (c->dead || c->close_received)
		return;
	if (fake_buf_append(&c->in, data, len)) {
		fail(c, 1009, "frame too big");
		return;
	}
	while (!c->dead && !c->close_received) {
		unsigned char *p = (unsigned char *)c->in.data + pos;
		size_t avail = c->in.len - pos, hl = 2, plen, i;
		bool fin;
		int op;

		if (avail < 2)
			break;
		fin = p[0] & 0x80;
		op = p[0] & 0x0f;
		plen = p[1] & 0x7f;
		if (plen == 126) {
			if (avail < 4)
				break;
			plen = (size_t)p[2] << 8 | p[3];
			hl = 4;
		} else if (plen == 127) {
			uint64_t v = 0;

			if (avail < 10)
				break;
			for (i = 0; i < 8; i++)
				v = v << 8 | p[2 + i];
			if (v >> 63) {
				fail(c, 1002, "64-bit length with the top bit set");
				break;
			}
			if (v > c->max_message) {
				fail(c, 1009, "frame too big");
				break;
			}
			plen = (size_t)v;
			hl = 10;
		}
		if (p[0] & 0x70) {
			fail(c, 1002, "reserved bits set");
			break;
		}
		if (!(p[1] & 0x80)) {
			fail(c, 1002, "client frame not masked");
			break;
		}
		if (op >= 8 && (!fin || plen > 125)) {
			fail(c, 1002, "bad control frame");
			break;
		}
		if (plen > c->max_message) {
			fail(c, 1009, "frame too big");
			break;
		}
		hl += 4;
		if (avail < hl || avail - hl < plen)
			break;
		for (i = 0; i < plen; i++)
			p[hl + i] ^= p[hl - 4 + (i & 3)];
		pos += hl + plen;
		handle_frame(c, fin, op, p + hl, plen);
	}
	fake_buf_consume(&c->in, pos);
}

static void ws_on_close(void *ud, struct fake_http_conn *http)
{
	struct fake_ws_conn *c = ud;

	(void)http;
	c->dead = true;
	c->http = NULL;
	if (c->cb->on_gone)
		c->cb->on_gone(c->ud, c);
	fake_buf_free(&c->in);
	fake_buf_free(&c->msg);
	free(c);
}

/* ---- handshake ---- */

bool fake_ws_is_upgrade(const struct fake_http_req *req)
{
	const char *up = fake_http_req_header(req, "Upgrade");

	return up && fake_http_has_token(up, "websocket");
}

static int bad_handshake(struct fake_http_req *req, int status, const char *why)
{
	static const struct fake_http_header h[] = {
		{"Content-Type", "text/plain"},
		{"Sec-WebSocket-Version", "13"},
	};
	char body[160];

	snprintf(body, sizeof body, "websocket handshake refused: %s\n", why);
	return fake_http_respond(req, status, h, status == 426 ? 2 : 1, body, strlen(body));
}

struct fake_ws_conn *fake_ws_accept(struct fake_http_req *req, size_t max_message,
				    const struct fake_ws_callbacks *cb, void *ud)
{
	const char *conn = fake_http_req_header(req, "Connection");
	const char *ver = fake_http_req_header(req, "Sec-WebSocket-Version");
	const char *key = fake_http_req_header(req, "Sec-WebSocket-Key");
	const char *proto = fake_http_req_header(req, "Sec-WebSocket-Protocol");
	unsigned char raw[18];
	char accept_key[29], head[512], first[64] = "";
	struct fake_ws_conn *c;
	int n;

	if (strcmp(fake_http_req_method(req), "GET") != 0 ||
	    strcmp(fake_http_req_version(req), "HTTP/1.1") != 0) {
		bad_handshake(req, 400, "not a GET over HTTP/1.1");
		return NULL;
	}
	if (!fake_ws_is_upgrade(req) || !conn || !fake_http_has_token(conn, "upgrade")) {
		bad_handshake(req, 400, "missing Upgrade/Connection headers");
		return NULL;
	}
	if (!ver || strcmp(ver, "13") != 0) {
		bad_handshake(req, 426, "Sec-WebSocket-Version must be 13");
		return NULL;
	}
	if (!key || strlen(key) != 24 || fake_codec_b64_decode(key, 24, raw, sizeof raw) != 16 ||
	    fake_codec_ws_accept(key, accept_key) != 0) {
		bad_handshake(req, 400, "Sec-WebSocket-Key is not 16 base64 bytes");
		return NULL;
	}
	if (proto) {
		size_t i = 0;

		while (proto[i] && proto[i] != ',' && proto[i] != ' ' && i < sizeof first - 1) {
			first[i] = proto[i];
			i++;
		}
		first[i] = '\0';
	}
	n = snprintf(head, sizeof head,
		     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
		     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s%s%s\r\n",
		     accept_key, first[0] ? "Sec-WebSocket-Protocol: " : "", first,
		     first[0] ? "\r\n" : "");
	c = calloc(1, sizeof *c);
	if (!c) {
		fake_http_respond_json(req, 500, "{\"error\":\"out of memory\"}");
		return NULL;
	}
	c->cb = cb;
	c->ud = ud;
	c->max_message = max_message ? max_message : FAKE_WS_DEFAULT_MAX_MESSAGE;
	fake_buf_init(&c->in, c->max_message + 65536 + 16);
	fake_buf_init(&c->msg, c->max_message);
	c->http = fake_http_upgrade(req, head, (size_t)n, &raw_ops, c);
	if (!c->http) {
		fake_buf_free(&c->in);
		fake_buf_free(&c->msg);
		free(c);
		return NULL;
	}
	c->id = fake_http_conn_id(c->http);
	return c;
}

void fake_ws_set_silent(struct fake_ws_conn *c, bool silent)
{
	c->silent = silent;
}
