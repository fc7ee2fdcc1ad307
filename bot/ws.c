/* ws.c - websocket client connections with libwebsockets 4.1 on the daemon's libuv loop.
 *
 * Lifetime of a connection (struct ws_conn):
 *   ws_connect()  parses the URL and starts uv_getaddrinfo (the host name is resolved on
 *                 libuv's thread pool, because Debian's lws resolves synchronously).
 *   resolved      lws_client_connect_via_info() to the numeric address, with the name as
 *                 Host header and TLS server name.
 *   lws callbacks CLIENT_ESTABLISHED -> on_open; CLIENT_RECEIVE -> reassembly -> on_message;
 *                 CLIENT_WRITEABLE -> one queued message, or the close frame.
 *   the end       on_close exactly once: CLIENT_CONNECTION_ERROR, CLIENT_CLOSED, or
 *                 WSI_DESTROY of the tracked wsi when neither came (handshake timeout).
 * The struct is freed only when nothing can reach it any more: on_close reported, no
 * uv_getaddrinfo request pending, the wsi destroyed (lws calls WSI_DESTROY with our
 * pointer as user data, and never touches it after that) and the conn's uv_timer closed.
 * So the free happens in the timer's uv_close callback, or in WSI_DESTROY when the timer
 * was closed first (ws_context_stop), never in a callback that lws follows with another.
 * Callbacks find their conn by looking the user pointer up in the context's list.
 *
 * lws 4.1.6 facts this relies on are in /work/shared/LIBNOTES.md: two-step context
 * destroy, returning -1 sends no close frame (so a clean close uses lws_close_reason +
 * LWS_TO_KILL_SYNC from CLIENT_WRITEABLE), lws_sul timers armed from a uv callback need an
 * lws_cancel_service(), handshake timeouts only raise WSI_DESTROY. */
#include <uv.h>              /* before libwebsockets.h: lws declares its uv API after uv.h */
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ws.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

#define WS_DEFAULT_MAX_MESSAGE ((size_t)1 << 20)
#define WS_DEFAULT_PING_S 10
#define WS_DEFAULT_DEAD_S 30
#define WS_URL_MAX 4096
#define WS_HOST_MAX 253
#define WS_REASON_MAX 256
/* Receive chunks are at most this big (CLIENT_RECEIVE never spans frames); sends are cut
 * into chunks of the same size by lws (tx_packet_size 0 follows rx_buffer_size). */
#define WS_RX_CHUNK 16384
/* At most this many queued messages are written in one writeable callback. */
#define WS_WRITES_PER_CALLBACK 64
/* The reassembly buffer is kept between messages up to this capacity. */
#define WS_RX_KEEP ((size_t)64 << 10)
/* Every vhost: lws's TLS set-up, without the OS CA bundle (see load_system_ca_dir). */
#define WS_VHOST_OPTIONS \
	(LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS)

enum conn_state {
	CONN_RESOLVING,  /* uv_getaddrinfo pending */
	CONN_CONNECTING, /* lws wsi exists, handshake not done */
	CONN_OPEN,       /* handshake done */
	CONN_DONE,       /* on_close reported */
};

struct ws_out {
	struct ws_out *next;
	size_t len;
	unsigned char data[];  /* LWS_PRE bytes of headroom, then the message */
};

struct ws_ca_vhost {
	struct ws_ca_vhost *next;
	char *path;
	struct lws_vhost *vh;
};

struct ws_context {
	uv_loop_t *loop;
	void *loops[1];            /* info.foreign_loops */
	struct lws_context *lws;
	struct ws_conn *conns;     /* every conn not yet freed */
	struct ws_ca_vhost *ca_vhosts;
	unsigned next_id;
	bool stopped;
};

struct ws_conn {
	struct ws_context *ctx;
	struct ws_conn *prev, *next;
	unsigned id;
	enum conn_state state;

	struct ws_callbacks cb;
	void *ud;
	size_t max_message;
	lws_retry_bo_t retry;      /* idle policy; must outlive the wsi, so it lives here */
	struct lws_vhost *vhost;   /* NULL: the default vhost (system CA store) */

	char host[WS_HOST_MAX + 1];
	char addr[64];             /* numeric address after resolution */
	int port;
	bool tls;
	char *path;                /* path and query: sent, never logged */
	char *log_path;            /* path without the query: for the log */

	uv_getaddrinfo_t gai;
	uv_timer_t timer;          /* deferred failure report; its close callback frees */
	struct lws *wsi;

	struct buf rx;             /* message being reassembled */
	bool rx_binary;            /* the current message is binary: skipped */
	bool rx_skip;              /* the current message is being dropped */

	struct ws_out *out_head, *out_tail;
	uint64_t last_rx_ms;       /* uv_now() of the last data or pong received */
	int dead_after_s;

	bool gai_pending;
	bool wsi_alive;            /* between lws_client_connect_via_info and WSI_DESTROY */
	bool timer_closing, timer_closed;
	bool close_requested;      /* send a close frame at the next message boundary */
	int close_code;
	bool close_sent;
	bool peer_closed;
	int peer_code;
	char peer_reason[124];
	char reason[WS_REASON_MAX]; /* why we are closing; reported by on_close if set */
};

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len);

/* A client-only protocol. The array ends with a zeroed entry (4.1 has no
 * LWS_PROTOCOL_LIST_TERM). */
static const struct lws_protocols ws_protocols[] = {
	{ "workshopbot-ws", ws_callback, 0, WS_RX_CHUNK, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- logging ---------------------------------------------------------------------- */

/* lws's own lines (errors and warnings only) go to our log. Anything after a '?' up to
 * the next space is dropped, so that a URL's query (Slack's ticket) never reaches it. */
static void ws_lws_log(int level, const char *line)
{
	char out[512];
	size_t o = 0;

	(void)level;
	for (const char *p = line; *p && o + 12 < sizeof out; p++) {
		if (*p == '?') {
			memcpy(out + o, "?<query>", 8);
			o += 8;
			while (p[1] && p[1] != ' ' && p[1] != '\n')
				p++;
			continue;
		}
		if (*p == '\n' || *p == '\r')
			continue;
		out[o++] = *p;
	}
	out[o] = '\0';
	log_warn("ws", "lws: %s", out);
}

/* ---- connection bookkeeping ---------------------------------------------------------- */

static void out_free_all(struct ws_conn *c)
{
	struct ws_out *o = c->out_head;

	while (o) {
		struct ws_out *next = o->next;
		free(o);
		o = next;
	}
	c->out_head = c->out_tail = NULL;
}

static void conn_unlink(struct ws_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else if (c->ctx->conns == c)
		c->ctx->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void conn_destroy(struct ws_conn *c)
{
	conn_unlink(c);
	out_free_all(c);
	buf_free(&c->rx);
	free(c->path);
	free(c->log_path);
	free(c);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct ws_conn *c = h->data;

	c->timer_closed = true;
	if (c->state == CONN_DONE && !c->gai_pending && !c->wsi_alive)
		conn_destroy(c);
}

/* Frees c once nothing can reach it any more (see the top of the file). */
static void conn_release(struct ws_conn *c)
{
	if (c->state != CONN_DONE || c->gai_pending || c->wsi_alive)
		return;
	if (!c->timer_closing) {
		c->timer_closing = true;
		uv_close((uv_handle_t *)&c->timer, on_timer_closed);
		return;
	}
	if (c->timer_closed)
		conn_destroy(c);
}

/* Reports the end of c once (on_close), then lets it be freed. */
static void conn_finish(struct ws_conn *c, const char *reason)
{
	if (c->state == CONN_DONE)
		return;
	c->state = CONN_DONE;
	log_info("ws", "#%u %s:%d%s closed: %s", c->id, c->host, c->port, c->log_path, reason);
	if (c->cb.on_close)
		c->cb.on_close(c->ud, c, reason);
	conn_release(c);
}

static void on_fail_timer(uv_timer_t *t)
{
	struct ws_conn *c = t->data;

	conn_finish(c, c->reason[0] ? c->reason : "connection failed");
}

/* Reports the failure in c->reason from the next loop turn: ws_connect() has not
 * returned yet. */
static void conn_fail_later(struct ws_conn *c)
{
	if (uv_timer_start(&c->timer, on_fail_timer, 0, 0) != 0)
		conn_finish(c, c->reason);
}

/* Asks lws for a CLIENT_WRITEABLE callback. */
static void conn_want_write(struct ws_conn *c)
{
	if (c->wsi && c->state == CONN_OPEN && !c->close_sent)
		lws_callback_on_writable(c->wsi);
}

/* Marks c to be closed with code at the next message boundary. */
static void conn_request_close(struct ws_conn *c, int code)
{
	if (c->close_requested)
		return;
	c->close_requested = true;
	c->close_code = code;
	if (c->state == CONN_OPEN) {
		conn_want_write(c);
	} else if (c->state == CONN_CONNECTING && c->wsi) {
		/* No close frame before the handshake: drop the attempt. The kill is an lws_sul
		 * timer, which from outside lws needs a wake-up (LIBNOTES). */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		lws_cancel_service(c->ctx->lws);
	}
}

/* ---- URL parsing ------------------------------------------------------------------- */

static bool host_char_ok(unsigned char ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_';
}

/* Parses ws://host[:port][/path][?query] and wss://... into c. Returns 0 or -1. */
static int parse_url(const char *url, struct ws_conn *c)
{
	const char *p, *host, *host_end, *q;
	size_t n;
	long port = 0;

	n = strnlen(url, WS_URL_MAX + 1);
	if (n > WS_URL_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)url[i];
		if (ch <= 0x20 || ch >= 0x7f)
			return -1;   /* no spaces or controls: they would break the request line */
	}
	if (strncasecmp(url, "wss://", 6) == 0) {
		c->tls = true;
		p = url + 6;
	} else if (strncasecmp(url, "ws://", 5) == 0) {
		c->tls = false;
		p = url + 5;
	} else {
		return -1;
	}

	host = p;
	if (*p == '[') {               /* IPv6 literal */
		host = ++p;
		while (*p && (isxdigit((unsigned char)*p) || *p == ':' || *p == '.'))
			p++;
		if (*p != ']')
			return -1;
		host_end = p++;
	} else {
		while (host_char_ok((unsigned char)*p))
			p++;
		host_end = p;
	}
	n = (size_t)(host_end - host);
	if (n == 0 || n > WS_HOST_MAX)
		return -1;
	memcpy(c->host, host, n);
	c->host[n] = '\0';

	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			port = port * 10 + (*p - '0');
			if (port > 65535)
				return -1;
			p++;
		}
		if (port == 0)
			return -1;
	} else {
		port = c->tls ? 443 : 80;
	}
	c->port = (int)port;

	if (*p && *p != '/' && *p != '?' && *p != '#')
		return -1;           /* userinfo, bad host character, ... */

	q = strchr(p, '#');      /* a fragment is never sent */
	n = q ? (size_t)(q - p) : strlen(p);
	c->path = malloc(n + 2);
	if (!c->path)
		return -1;
	if (n == 0 || *p == '?') {
		c->path[0] = '/';
		memcpy(c->path + 1, p, n);
		c->path[n + 1] = '\0';
	} else {
		memcpy(c->path, p, n);
		c->path[n] = '\0';
	}
	n = strcspn(c->path, "?");
	c->log_path = strndup(c->path, n);
	return c->log_path ? 0 : -1;
}

/* ---- connecting -------------------------------------------------------------------- */

static struct lws_vhost *ca_vhost(struct ws_context *ctx, const char *path)
{
	struct lws_context_creation_info info;
	struct ws_ca_vhost *v;
	char name[32];

	for (v = ctx->ca_vhosts; v; v = v->next) {
		if (strcmp(v->path, path) == 0)
			return v->vh;
	}
	/* lws only logs an unreadable CA file and goes on with an empty store. */
	if (access(path, R_OK) != 0)
		return NULL;
	v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->path = strdup(path);
	if (!v->path) {
		free(v);
		return NULL;
	}
	snprintf(name, sizeof name, "ws-ca-%u", ctx->next_id);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = ws_protocols;
	info.vhost_name = name;
	info.options = WS_VHOST_OPTIONS;
	info.client_ssl_ca_filepath = v->path;
	v->vh = lws_create_vhost(ctx->lws, &info);
	if (!v->vh) {
		free(v->path);
		free(v);
		return NULL;
	}
	v->next = ctx->ca_vhosts;
	ctx->ca_vhosts = v;
	return v->vh;
}

static void start_lws_connect(struct ws_conn *c)
{
	struct lws_client_connect_info i;
	struct lws *wsi;

	memset(&i, 0, sizeof i);
	i.context = c->ctx->lws;
	i.address = c->addr;
	i.port = c->port;
	i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
	i.path = c->path;
	i.host = c->host;          /* Host header, TLS server name and certificate check */
	i.protocol = NULL;         /* no Sec-WebSocket-Protocol */
	i.local_protocol_name = ws_protocols[0].name;
	i.userdata = c;            /* the wsi's user data: our callbacks get c */
	i.pwsi = &c->wsi;          /* set early, before any callback for the wsi */
	i.vhost = c->vhost;
	i.alpn = "http/1.1";
	i.retry_and_idle_policy = &c->retry;

	c->state = CONN_CONNECTING;
	c->wsi_alive = true;
	wsi = lws_client_connect_via_info(&i);
	/* Connecting armed lws_sul timers (connect timeout, validity) from a uv callback:
	 * wake lws so that it re-arms its uv timer (LIBNOTES). */
	lws_cancel_service(c->ctx->lws);
	log_debug("ws", "#%u lws_client_connect_via_info: %s%s", c->id, wsi ? "wsi" : "NULL",
		  c->state == CONN_DONE ? " (already reported)" : "");
	if (wsi)
		return;
	/* Failed at once. If lws still holds a wsi (c->wsi, set through pwsi), its
	 * WSI_DESTROY comes later; if it cleared or never set it, nothing will. */
	if (!c->wsi)
		c->wsi_alive = false;
	if (c->state == CONN_DONE) {          /* CLIENT_CONNECTION_ERROR came already */
		conn_release(c);
		return;
	}
	snprintf(c->reason, sizeof c->reason, "connect to %s:%d failed", c->host, c->port);
	conn_fail_later(c);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct ws_conn *c = req->data;
	const struct addrinfo *ai, *pick = NULL;
	int rc = -1;

	c->gai_pending = false;
	if (c->state == CONN_DONE) {          /* stopped or closed while resolving */
		uv_freeaddrinfo(res);
		conn_release(c);
		return;
	}
	if (c->close_requested) {
		uv_freeaddrinfo(res);
		conn_finish(c, "closed before connecting");
		return;
	}
	if (status != 0) {
		char reason[WS_REASON_MAX];
		snprintf(reason, sizeof reason, "cannot resolve %s: %s", c->host,
			 uv_strerror(status));
		uv_freeaddrinfo(res);
		conn_finish(c, reason);
		return;
	}
	/* Prefer IPv4: many hosts have no IPv6 route. */
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			pick = ai;
			break;
		}
		if (ai->ai_family == AF_INET6 && !pick)
			pick = ai;
	}
	if (pick && pick->ai_family == AF_INET)
		rc = uv_ip4_name((const struct sockaddr_in *)pick->ai_addr, c->addr,
				 sizeof c->addr);
	else if (pick)
		rc = uv_ip6_name((const struct sockaddr_in6 *)pick->ai_addr, c->addr,
				 sizeof c->addr);
	uv_freeaddrinfo(res);
	if (rc != 0) {
		char reason[WS_REASON_MAX];
		snprintf(reason, sizeof reason, "cannot resolve %s: no usable address", c->host);
		conn_finish(c, reason);
		return;
	}
	log_info("ws", "#%u connecting to %s://%s:%d%s (%s)", c->id, c->tls ? "wss" : "ws",
		 c->host, c->port, c->log_path, c->addr);
	start_lws_connect(c);
}

struct ws_conn *ws_connect(struct ws_context *ctx, const char *url,
			   const struct ws_options *opt, const struct ws_callbacks *cb, void *ud)
{
	struct addrinfo hints;
	struct ws_conn *c;
	int ping, dead, rc;

	if (!ctx || !url || !cb) {
		log_err("ws", "ws_connect: missing argument");
		return NULL;
	}
	if (ctx->stopped) {
		log_err("ws", "ws_connect: the websocket context is stopped");
		return NULL;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		log_err("ws", "ws_connect: out of memory");
		return NULL;
	}
	c->ctx = ctx;
	if (parse_url(url, c) != 0) {
		/* Never print the URL: it may carry a ticket. */
		log_err("ws", "invalid websocket URL (expected ws://host[:port]/path or "
			"wss://...)");
		conn_destroy(c);         /* not linked, no handle yet */
		return NULL;
	}
	c->id = ++ctx->next_id;
	c->state = CONN_RESOLVING;
	c->cb = *cb;
	c->ud = ud;
	c->max_message = opt && opt->max_message ? opt->max_message : WS_DEFAULT_MAX_MESSAGE;
	ping = opt && opt->ping_interval_s > 0 ? opt->ping_interval_s : WS_DEFAULT_PING_S;
	dead = opt && opt->dead_after_s > 0 ? opt->dead_after_s : WS_DEFAULT_DEAD_S;
	if (ping > 60000)
		ping = 60000;
	if (dead <= ping) {
		log_warn("ws", "dead_after_s (%d) must exceed ping_interval_s (%d); using %d",
			 dead, ping, ping * 3);
		dead = ping * 3;
	}
	if (dead > 65535)
		dead = 65535;
	c->retry.secs_since_valid_ping = (uint16_t)ping;
	c->retry.secs_since_valid_hangup = (uint16_t)dead;
	c->dead_after_s = dead;
	buf_init(&c->rx, c->max_message);

	uv_timer_init(ctx->loop, &c->timer);
	c->timer.data = c;
	c->prev = NULL;
	c->next = ctx->conns;
	if (ctx->conns)
		ctx->conns->prev = c;
	ctx->conns = c;

	if (opt && opt->ca_file && opt->ca_file[0]) {
		c->vhost = ca_vhost(ctx, opt->ca_file);
		if (!c->vhost) {
			c->state = CONN_CONNECTING;   /* not resolving: nothing pending */
			snprintf(c->reason, sizeof c->reason, "cannot load the CA file %s",
				 opt->ca_file);
			conn_fail_later(c);
			return c;
		}
	}

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	c->gai.data = c;
	rc = uv_getaddrinfo(ctx->loop, &c->gai, on_resolved, c->host, NULL, &hints);
	if (rc != 0) {
		c->state = CONN_CONNECTING;
		snprintf(c->reason, sizeof c->reason, "cannot resolve %s: %s", c->host,
			 uv_strerror(rc));
		conn_fail_later(c);
		return c;
	}
	c->gai_pending = true;
	return c;
}

/* ---- sending and closing ------------------------------------------------------------ */

int ws_send_text(struct ws_conn *c, const char *data, size_t len)
{
	struct ws_out *o;

	if (!c || c->state != CONN_OPEN || c->close_requested || (!data && len))
		return -1;
	if (len > SIZE_MAX - sizeof *o - LWS_PRE - 1)
		return -1;
	o = malloc(sizeof *o + LWS_PRE + len + 1);
	if (!o) {
		log_err("ws", "#%u send: out of memory (%zu bytes)", c->id, len);
		return -1;
	}
	o->next = NULL;
	o->len = len;
	if (len)
		memcpy(o->data + LWS_PRE, data, len);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	conn_want_write(c);
	return 0;
}

void ws_close(struct ws_conn *c)
{
	if (!c || c->state == CONN_DONE)
		return;
	if (c->state == CONN_RESOLVING) {
		c->close_requested = true;
		uv_cancel((uv_req_t *)&c->gai);  /* on_resolved reports, cancelled or not */
		return;
	}
	conn_request_close(c, LWS_CLOSE_STATUS_NORMAL);
}

/* CLIENT_WRITEABLE: the queued messages (a turn's acks go out in one callback, not one
 * poll round each), or the close frame once the queue is empty. lws allows several
 * writes per callback until one is left partly buffered (lws_partial_buffered). */
static int on_writeable(struct ws_conn *c, struct lws *wsi)
{
	struct ws_out *o;
	int n;

	if (c->close_sent || c->state != CONN_OPEN)
		return 0;
	if (c->out_head && !(c->close_requested && c->close_code != LWS_CLOSE_STATUS_NORMAL)) {
		for (int k = 0; k < WS_WRITES_PER_CALLBACK && (o = c->out_head); k++) {
			n = lws_write(wsi, o->data + LWS_PRE, o->len, LWS_WRITE_TEXT);
			if (n < 0 || (size_t)n < o->len) {
				snprintf(c->reason, sizeof c->reason, "write failed");
				return -1;
			}
			c->out_head = o->next;
			if (!c->out_head)
				c->out_tail = NULL;
			free(o);
			if (lws_partial_buffered(wsi))
				break;
		}
		if (c->out_head || c->close_requested)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (!c->close_requested)
		return 0;
	/* Returning -1 would send no close frame on Debian's 4.1.6 (LIBNOTES): set the
	 * reason, then kill the wsi, which sends the close frame. */
	c->close_sent = true;
	lws_close_reason(wsi, (enum lws_close_status)c->close_code, NULL, 0);
	lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
	return 0;
}

/* ---- receiving ---------------------------------------------------------------------- */

static void on_receive(struct ws_conn *c, struct lws *wsi, const char *in, size_t len)
{
	bool first = lws_is_first_fragment(wsi) != 0;
	bool final = lws_is_final_fragment(wsi) != 0;

	lws_validity_confirmed(wsi);
	c->last_rx_ms = uv_now(c->ctx->loop);
	if (c->close_requested || c->state != CONN_OPEN)
		return;                  /* closing: the rest is dropped */
	if (first) {
		buf_reset(&c->rx);
		c->rx_binary = lws_frame_is_binary(wsi) != 0;
		c->rx_skip = c->rx_binary;
		if (c->rx_binary)
			log_warn("ws", "#%u binary message ignored", c->id);
	}
	if (c->rx_skip)
		goto done;
	if (len > c->max_message - c->rx.len) {
		snprintf(c->reason, sizeof c->reason,
			 "message larger than the limit of %zu bytes (code 1009)", c->max_message);
		log_warn("ws", "#%u %s: closing", c->id, c->reason);
		buf_reset(&c->rx);
		conn_request_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
		return;
	}
	buf_put(&c->rx, in, len);
	if (c->rx.failed) {
		snprintf(c->reason, sizeof c->reason, "out of memory for a %zu-byte message",
			 c->rx.len + len);
		conn_request_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
		return;
	}
done:
	if (!final)
		return;
	if (!c->rx_skip && c->cb.on_message)
		c->cb.on_message(c->ud, c, c->rx.data ? c->rx.data : "", c->rx.len);
	if (c->rx.cap > WS_RX_KEEP)
		buf_free(&c->rx);        /* do not hold on to a rare big message's memory */
	else
		buf_reset(&c->rx);
	c->rx_skip = false;
	c->rx_binary = false;
}

/* ---- the lws callback --------------------------------------------------------------- */

/* The conn for a callback, or NULL when the wsi is not one of ours (lws also calls
 * protocols[0] for its own wsis) or is no longer tracked. */
static struct ws_conn *conn_of(struct lws *wsi, void *user)
{
	struct lws_context *lctx = lws_get_context(wsi);
	struct ws_context *ctx = lctx ? lws_context_user(lctx) : NULL;

	if (!ctx || !user)
		return NULL;
	for (struct ws_conn *c = ctx->conns; c; c = c->next) {
		if (c == user && c->wsi_alive && (!c->wsi || c->wsi == wsi))
			return c;
	}
	return NULL;
}

static void closed_reason(struct ws_conn *c, char *out, size_t len)
{
	uint64_t idle_ms = uv_now(c->ctx->loop) - c->last_rx_ms;

	if (c->reason[0])
		snprintf(out, len, "%s", c->reason);
	else if (c->peer_closed)
		snprintf(out, len, "closed by the server (code %d%s%s)", c->peer_code,
			 c->peer_reason[0] ? ": " : "", c->peer_reason);
	else if (c->close_sent)
		snprintf(out, len, "closed by us (code %d)", c->close_code);
	else if (idle_ms + 500 >= (uint64_t)c->dead_after_s * 1000)   /* clocks differ a bit */
		snprintf(out, len, "connection dead: nothing received for %d s (no pong)",
			 c->dead_after_s);
	else
		snprintf(out, len, "connection lost (no close frame)");
}

/* The system's trusted CAs for a vhost's client SSL_CTX. Left to lws, each vhost would
 * parse the whole bundle (SSL_CTX_set_default_verify_paths: about 140 certificates, most
 * of the daemon's start-up time). OpenSSL's hashed CA directory ($SSL_CERT_DIR, else
 * /usr/lib/ssl/certs, which is /etc/ssl/certs on Debian) is read lazily instead: only the
 * certificates a server's chain needs, when it is verified. */
static int load_system_ca_dir(SSL_CTX *ssl)
{
	X509_LOOKUP *dir = X509_STORE_add_lookup(SSL_CTX_get_cert_store(ssl),
						 X509_LOOKUP_hash_dir());

	return dir && X509_LOOKUP_add_dir(dir, NULL, X509_FILETYPE_DEFAULT) == 1 ? 0 : -1;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len)
{
	struct ws_conn *c;
	char text[WS_REASON_MAX];

	switch (reason) {
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
		/* once per new client SSL_CTX (user); lws ignores what we return */
		if (load_system_ca_dir(user))
			log_err("ws", "cannot use the system CA directory: wss will fail");
		return 0;

	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		c = conn_of(wsi, user);
		if (!c)
			return 0;
		if (c->state != CONN_DONE) {
			snprintf(text, sizeof text, "connect to %s:%d failed: %.160s", c->host,
				 c->port, in ? (const char *)in : "unknown error");
			conn_finish(c, text);
		}
		return 0;

	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c = conn_of(wsi, user);
		if (!c || c->state != CONN_CONNECTING)
			return 0;
		c->state = CONN_OPEN;
		c->last_rx_ms = uv_now(c->ctx->loop);
		lws_validity_confirmed(wsi);
		if (c->close_requested) {
			conn_want_write(c);
			return 0;
		}
		log_info("ws", "#%u open: %s:%d%s", c->id, c->host, c->port, c->log_path);
		if (c->cb.on_open)
			c->cb.on_open(c->ud, c);
		return 0;

	case LWS_CALLBACK_CLIENT_RECEIVE:
		c = conn_of(wsi, user);
		if (c)
			on_receive(c, wsi, in, len);
		return 0;

	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		c = conn_of(wsi, user);
		if (c)
			c->last_rx_ms = uv_now(c->ctx->loop);
		return 0;

	case LWS_CALLBACK_CLIENT_WRITEABLE:
		c = conn_of(wsi, user);
		return c ? on_writeable(c, wsi) : 0;

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		c = conn_of(wsi, user);
		if (!c)
			return 0;
		c->peer_closed = true;
		if (in && len >= 2) {
			const unsigned char *b = in;
			size_t n = len - 2 < sizeof c->peer_reason - 1 ? len - 2
							  : sizeof c->peer_reason - 1;
			c->peer_code = (b[0] << 8) | b[1];
			for (size_t i = 0; i < n; i++)
				c->peer_reason[i] = isprint(b[2 + i]) ? (char)b[2 + i] : '?';
			c->peer_reason[n] = '\0';
		} else {
			c->peer_code = LWS_CLOSE_STATUS_NO_STATUS;
		}
		return 0;               /* lws answers with a close frame */

	case LWS_CALLBACK_CLIENT_CLOSED:
		c = conn_of(wsi, user);
		if (c && c->state != CONN_DONE) {
			closed_reason(c, text, sizeof text);
			conn_finish(c, text);
		}
		return 0;

	case LWS_CALLBACK_WSI_DESTROY:
		c = conn_of(wsi, user);
		if (!c)
			return 0;
		log_debug("ws", "#%u wsi destroyed", c->id);
		if (c->state != CONN_DONE) {
			if (c->state == CONN_OPEN)
				closed_reason(c, text, sizeof text);
			else if (c->close_requested)
				snprintf(text, sizeof text, "closed before the handshake completed");
			else
				snprintf(text, sizeof text,
					 "connect to %s:%d failed: no handshake (timed out)",
					 c->host, c->port);
			conn_finish(c, text);
		}
		c->wsi = NULL;
		c->wsi_alive = false;
		conn_release(c);
		return 0;

	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- the context -------------------------------------------------------------------- */

struct ws_context *ws_context_new(uv_loop_t *loop)
{
	struct lws_context_creation_info info;
	struct ws_context *ctx;

	if (!loop) {
		log_err("ws", "ws_context_new: no loop");
		return NULL;
	}
	ctx = calloc(1, sizeof *ctx);
	if (!ctx) {
		log_err("ws", "ws_context_new: out of memory");
		return NULL;
	}
	ctx->loop = loop;
	ctx->loops[0] = loop;

	lws_set_log_level(LLL_ERR | LLL_WARN, ws_lws_log);
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_LIBUV | WS_VHOST_OPTIONS;
	info.foreign_loops = ctx->loops;
	info.pcontext = &ctx->lws;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = ws_protocols;
	info.user = ctx;
	ctx->lws = lws_create_context(&info);
	if (!ctx->lws) {
		log_err("ws", "cannot create the libwebsockets context (is the package "
			"libwebsockets-evlib-uv installed?)");
		free(ctx);
		return NULL;
	}
	/* With a foreign libuv loop, lws_create_context() returns the context even when
	 * creation failed (upstream #2171): it has already begun destroying itself. A good
	 * context has its default vhost. A failed one cannot be freed now (its uv handles close
	 * while the loop runs): it is left to lws, a one-time leak on a path that ends the
	 * program. */
	if (!lws_get_vhost_by_name(ctx->lws, "default")) {
		log_err("ws", "cannot create the libwebsockets context (no default vhost)");
		free(ctx);
		return NULL;
	}
	return ctx;
}

void ws_context_stop(struct ws_context *ctx)
{
	struct ws_conn *c, *next;

	if (!ctx || ctx->stopped)
		return;
	ctx->stopped = true;
	for (c = ctx->conns; c; c = next) {
		next = c->next;
		if (c->gai_pending)
			uv_cancel((uv_req_t *)&c->gai);
		/* Every timer is closed now: the loop must have nothing of ours left open after
		 * it drains, even if lws never destroys a wsi. */
		if (!c->timer_closing) {
			c->timer_closing = true;
			uv_close((uv_handle_t *)&c->timer, on_timer_closed);
		}
		if (c->state != CONN_DONE)
			conn_finish(c, "websocket context stopped");
	}
	/* First step: lws closes its connections and uv handles while the loop runs. */
	lws_context_destroy(ctx->lws);
}

void ws_context_free(struct ws_context *ctx)
{
	struct ws_ca_vhost *v, *vnext;

	if (!ctx)
		return;
	if (!ctx->stopped) {
		log_warn("ws", "ws_context_free without ws_context_stop");
		ws_context_stop(ctx);
	}
	/* Second step, after uv_run() returned. */
	lws_context_destroy(ctx->lws);
	ctx->lws = NULL;
	while (ctx->conns)
		conn_destroy(ctx->conns);   /* only wsis lws never reported destroyed */
	for (v = ctx->ca_vhosts; v; v = vnext) {
		vnext = v->next;
		free(v->path);
		free(v);
	}
	free(ctx);
}
