/* fake_ws.h - the server side of RFC 6455 websockets, on a fake_http.h connection.
 *
 * fake_ws_accept() answers the Upgrade handshake of a request and takes the connection
 * over. Client frames must be masked; fragmented client messages are reassembled up to
 * a cap; text must be UTF-8; protocol errors close the connection with the RFC's code
 * (1002 protocol error, 1007 bad UTF-8, 1009 too big). Client pings are answered with a
 * pong automatically. Sending: whole messages, one message split into continuation
 * frames, pings, close frames, and deliberate misbehaviour (drop the TCP connection,
 * with FIN or RST, or after half a frame).
 *
 * A struct fake_ws_conn lives until its on_gone callback returns; do not use it after.
 * Every callback may be NULL. Callbacks may call any fake_ws_* function on the
 * connection, including fake_ws_drop(). */
#ifndef FAKE_WS_H
#define FAKE_WS_H

#include <stdbool.h>
#include <stddef.h>

#include "tests/fakes/lib/fake_http.h"

#define FAKE_WS_DEFAULT_MAX_MESSAGE (8u * 1024 * 1024)
/* A server-initiated close waits this long for the client's close frame. */
#define FAKE_WS_CLOSE_WAIT_MS 3000

struct fake_ws_conn;

enum fake_ws_opcode {
	FAKE_WS_CONT = 0x0,
	FAKE_WS_TEXT = 0x1,
	FAKE_WS_BINARY = 0x2,
	FAKE_WS_CLOSE = 0x8,
	FAKE_WS_PING = 0x9,
	FAKE_WS_PONG = 0xA,
};

struct fake_ws_callbacks {
	/* A whole message from the client (text is valid UTF-8), reassembled from `frames`
	 * frames; data is NUL-terminated and borrowed for the call. */
	void (*on_message)(void *ud, struct fake_ws_conn *c, bool binary, const char *data,
			   size_t len, unsigned frames);
	/* A ping from the client (already answered with a pong). */
	void (*on_ping)(void *ud, struct fake_ws_conn *c, const char *data, size_t len);
	/* A pong from the client. */
	void (*on_pong)(void *ud, struct fake_ws_conn *c, const char *data, size_t len);
	/* A close frame from the client: code (1005 when it carried none) and reason (NUL-
	 * terminated). It has been answered; the TCP connection closes next. */
	void (*on_close_frame)(void *ud, struct fake_ws_conn *c, int code, const char *reason);
	/* The client broke the protocol; we send a close frame with code and go. */
	void (*on_protocol_error)(void *ud, struct fake_ws_conn *c, int code, const char *what);
	/* The TCP connection is closed (by anyone). c is freed when this returns. */
	void (*on_gone)(void *ud, struct fake_ws_conn *c);
};

/* True when req asks for a websocket upgrade (Upgrade: websocket). */
bool fake_ws_is_upgrade(const struct fake_http_req *req);

/* Checks the handshake (GET, HTTP/1.1, Upgrade/Connection headers, version 13, a key of
 * 16 base64 bytes) and answers 101 with Sec-WebSocket-Accept (echoing the first offered
 * Sec-WebSocket-Protocol, negotiating no extension). On a bad handshake it answers
 * 400 (426 for another version) and returns NULL. req is answered and freed either way.
 * max_message caps a reassembled client message (0 = FAKE_WS_DEFAULT_MAX_MESSAGE).
 * cb must outlive the connection; ud is passed to every callback. */
struct fake_ws_conn *fake_ws_accept(struct fake_http_req *req, size_t max_message,
				    const struct fake_ws_callbacks *cb, void *ud);

/* Sends one unfragmented frame (TEXT, BINARY, PING or PONG; control payloads are cut at
 * 125 bytes). Returns 0, or -1 when the connection is closing or memory ran out. */
int fake_ws_send(struct fake_ws_conn *c, enum fake_ws_opcode op, const void *data, size_t len);

/* Sends one message as ceil(len / fragment) frames: the first with op, the others
 * continuation frames, FIN on the last. With ping_between a ping frame goes between the
 * first two frames (legal, and a good test for clients). fragment >= 1; at most
 * 1,000,000 frames. Returns the number of data frames sent, or -1. */
long fake_ws_send_fragmented(struct fake_ws_conn *c, enum fake_ws_opcode op, const void *data,
			     size_t len, size_t fragment, bool ping_between);

/* Starts the close handshake: a close frame with code and reason (reason cut at 123
 * bytes); the TCP connection closes when the client answers, or after
 * FAKE_WS_CLOSE_WAIT_MS. Returns 0, or -1 when a close was already sent. */
int fake_ws_close(struct fake_ws_conn *c, int code, const char *reason);

enum fake_ws_drop {
	FAKE_WS_DROP_FIN,      /* close TCP now, no close frame */
	FAKE_WS_DROP_RESET,    /* TCP RST */
	FAKE_WS_DROP_MIDFRAME, /* write half of a text frame, then close TCP */
};
void fake_ws_drop(struct fake_ws_conn *c, enum fake_ws_drop how);

/* silent: client pings are no longer answered with a pong (a server that stalled but
 * keeps the TCP connection open). */
void fake_ws_set_silent(struct fake_ws_conn *c, bool silent);

/* The underlying connection's id (fake_http_conn_id). */
unsigned long fake_ws_id(const struct fake_ws_conn *c);
/* True while frames can be sent (no close sent, not dropped). */
bool fake_ws_is_open(const struct fake_ws_conn *c);

#endif
