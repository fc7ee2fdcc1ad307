/* test_ws.c - the websocket client (bot/ws.c) against a libwebsockets websocket server
 * that runs inside the test, on the same libuv loop, listening on 127.0.0.1 (a port the
 * kernel picks).
 *
 * The server takes commands as text messages:
 *   frag:N    sends an N-byte text message as 4 KiB fragments (TEXT|NO_FIN, CONTINUATION)
 *   close:N   sends a close frame with code N and the reason "bye"
 *   drop      shuts the TCP connection down without a close frame
 *   mute      stops reading (so pings go unanswered)
 *   anything else is echoed back.
 * It records the close frames it receives, so the client's close code can be checked.
 *
 * Every test is bounded by a uv_timer watchdog (5 s); callbacks only record what they
 * saw, the test body asserts after the loop has returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <uv.h>              /* before libwebsockets.h */
#include <libwebsockets.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bot/buf.h"
#include "bot/log.h"
#include "bot/ws.h"
#include "tests/unit/support.h"

#define WATCHDOG_MS 5000           /* per test; TEST_WATCHDOG_MS overrides */
#define WATCHDOG_VALGRIND_MS 60000 /* OpenSSL context set-up alone takes seconds there */
#define FRAG_CHUNK 4096

/* ---- TLS material for the wss tests ---------------------------------------------------
 * A throwaway test CA and a server certificate for DNS:localhost only (no IP address), both
 * valid 2020-2120, EC P-256. Made with `openssl ca` (-startdate 20200101000000Z -enddate
 * 21200101000000Z; server extensions subjectAltName=DNS:localhost, serverAuth). The key
 * protects nothing but these tests. */
static const char test_ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBcDCCARagAwIBAgICEAAwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTd29ya3No\n"
	"b3Bib3QgdGVzdCBDQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFow\n"
	"HjEcMBoGA1UEAwwTd29ya3Nob3Bib3QgdGVzdCBDQTBZMBMGByqGSM49AgEGCCqG\n"
	"SM49AwEHA0IABFNYj1haeL829Fle565BT4NJ0CUhU3XdcFkVf9W4Mjldt/ZGiyYX\n"
	"t3dx2/eQD1KM/ev7Ipxx2TYqG6jD2iGvfFWjQjBAMA8GA1UdEwEB/wQFMAMBAf8w\n"
	"DgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBTN83U3P4/OpIUdXO+bm3xcQrQy8zAK\n"
	"BggqhkjOPQQDAgNIADBFAiEAnjQzVYGTwXSXux6heGGKJkcnTWWQ03FIR8veTvzZ\n"
	"t9ECIGlmyzOVzvh7nUqtIaRnWTTIi7JKpOQgFYrSJKW67xNE\n"
	"-----END CERTIFICATE-----\n";

/* The test CA's name in a hashed CA directory (`openssl x509 -hash -noout` + ".0"). */
#define TEST_CA_HASH_NAME "583173e1.0"

static const char test_srv_cert_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBrzCCAVSgAwIBAgICEAEwCgYIKoZIzj0EAwIwHjEcMBoGA1UEAwwTd29ya3No\n"
	"b3Bib3QgdGVzdCBDQTAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEwMTAwMDAwMFow\n"
	"FDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
	"Xl/gqiUDTw5K/Wr3InEArHSgs9clsO068GUCePwGPGnZq97jEudxOKo92ixduc1Y\n"
	"x1FD69hFGDyGu8hPFWgi/aOBiTCBhjAUBgNVHREEDTALgglsb2NhbGhvc3QwCQYD\n"
	"VR0TBAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwEwHwYD\n"
	"VR0jBBgwFoAUzfN1Nz+PzqSFHVzvm5t8XEK0MvMwHQYDVR0OBBYEFAMgabaC2OoA\n"
	"nIMbYMTKnuw/dbxcMAoGCCqGSM49BAMCA0kAMEYCIQCZ5SUy5gr+YbIek6wgg7eb\n"
	"RjKjoQYCmtjmy6yhwb2/wgIhAOy9ddNNksaVSZqz3J/vI3wcnIP3KZym2zJNt2/V\n"
	"Wu/Q\n"
	"-----END CERTIFICATE-----\n";

static const char test_srv_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgeAQle/j1/g27Q1SS\n"
	"FZmWV7lkrbtK+0vP0/VmxmLC+tehRANCAAReX+CqJQNPDkr9avcicQCsdKCz1yWw\n"
	"7TrwZQJ4/AY8admr3uMS53E4qj3aLF25zVjHUUPr2EUYPIa7yE8VaCL9\n"
	"-----END PRIVATE KEY-----\n";

/* ---- the test server ------------------------------------------------------------------ */

enum item_kind { IT_TEXT, IT_FRAG, IT_CLOSE, IT_DROP };

struct item {
	struct item *next;
	enum item_kind kind;
	size_t len, sent;
	int code;
	unsigned char data[];    /* LWS_PRE headroom, then len bytes (IT_TEXT) */
};

struct sess {                /* lws per-session data (zeroed by lws) */
	struct item *head, *tail;
	struct buf rx;
	bool rx_ready;
	bool closing;
};

struct srv {
	struct lws_context *lws;
	void *loops[1];
	int port;
	int established, closed;
	int messages;            /* whole messages received */
	int close_frames;        /* close frames received from clients */
	int last_close_code;
};

static char pattern_at(size_t i)
{
	return (char)('a' + i % 26);
}

static void sess_push(struct lws *wsi, struct sess *s, struct item *it)
{
	it->next = NULL;
	if (s->tail)
		s->tail->next = it;
	else
		s->head = it;
	s->tail = it;
	lws_callback_on_writable(wsi);
}

static struct item *item_new(enum item_kind kind, const char *data, size_t len)
{
	struct item *it = calloc(1, sizeof *it + LWS_PRE + (kind == IT_TEXT ? len : 0) + 1);

	if (!it)
		return NULL;
	it->kind = kind;
	it->len = len;
	if (kind == IT_TEXT && len)
		memcpy(it->data + LWS_PRE, data, len);
	return it;
}

static void sess_free(struct sess *s)
{
	struct item *it = s->head;

	while (it) {
		struct item *next = it->next;
		free(it);
		it = next;
	}
	s->head = s->tail = NULL;
	if (s->rx_ready)
		buf_free(&s->rx);
	s->rx_ready = false;
}

static void srv_command(struct lws *wsi, struct sess *s, const char *msg, size_t len)
{
	struct item *it;

	if (strncmp(msg, "frag:", 5) == 0) {
		it = item_new(IT_FRAG, NULL, strtoul(msg + 5, NULL, 10));
	} else if (strncmp(msg, "close:", 6) == 0) {
		it = item_new(IT_CLOSE, NULL, 0);
		if (it)
			it->code = atoi(msg + 6);
	} else if (strcmp(msg, "mute") == 0) {
		lws_rx_flow_control(wsi, 0);
		return;
	} else if (strcmp(msg, "drop") == 0) {
		it = item_new(IT_DROP, NULL, 0);
	} else {
		it = item_new(IT_TEXT, msg, len);
	}
	if (it)
		sess_push(wsi, s, it);
}

/* One item (or one fragment of it) per SERVER_WRITEABLE. */
static int srv_writeable(struct lws *wsi, struct sess *s)
{
	static unsigned char frag[LWS_PRE + FRAG_CHUNK];
	struct item *it = s->head;
	int n;

	if (!it || s->closing)
		return 0;
	switch (it->kind) {
	case IT_TEXT:
		n = lws_write(wsi, it->data + LWS_PRE, it->len, LWS_WRITE_TEXT);
		if (n < (int)it->len)
			return -1;
		it->sent = it->len;
		break;
	case IT_FRAG: {
		size_t chunk = it->len - it->sent < FRAG_CHUNK ? it->len - it->sent : FRAG_CHUNK;
		int flags = lws_write_ws_flags(LWS_WRITE_TEXT, it->sent == 0,
					       it->sent + chunk == it->len);

		for (size_t i = 0; i < chunk; i++)
			frag[LWS_PRE + i] = (unsigned char)pattern_at(it->sent + i);
		n = lws_write(wsi, frag + LWS_PRE, chunk, (enum lws_write_protocol)flags);
		if (n < (int)chunk)
			return -1;
		it->sent += chunk;
		break;
	}
	case IT_CLOSE:
		s->closing = true;
		lws_close_reason(wsi, (enum lws_close_status)it->code, (unsigned char *)"bye", 3);
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
		return 0;
	case IT_DROP:
		s->closing = true;
		shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
		return -1;
	}
	if (it->sent == it->len) {
		s->head = it->next;
		if (!s->head)
			s->tail = NULL;
		free(it);
	}
	if (s->head)
		lws_callback_on_writable(wsi);
	return 0;
}

static int srv_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			void *in, size_t len)
{
	struct sess *s = user;
	struct srv *srv = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		buf_init(&s->rx, 8 << 20);
		s->rx_ready = true;
		srv->established++;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (lws_is_first_fragment(wsi))
			buf_reset(&s->rx);
		buf_put(&s->rx, in, len);
		if (lws_is_final_fragment(wsi)) {
			srv->messages++;
			srv_command(wsi, s, s->rx.data ? s->rx.data : "", s->rx.len);
			buf_reset(&s->rx);
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return srv_writeable(wsi, s);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		srv->close_frames++;
		if (in && len >= 2) {
			const unsigned char *b = in;
			srv->last_close_code = (b[0] << 8) | b[1];
		}
		return 0;
	case LWS_CALLBACK_CLOSED:
		srv->closed++;
		sess_free(s);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (s)
			sess_free(s);
		return 0;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols srv_protocols[] = {
	{ "test-echo", srv_callback, sizeof(struct sess), 0, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* The server's lws context, made before the client's ws_context_new(), and its listening
 * vhost, made after it. The order matters with TLS: each context made with
 * LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT replaces lws 4.1.6's process-wide SSL_CTX ex_data
 * index, and an SSL_CTX stored under an older index is never freed (valgrind shows the
 * client context's SSL_CTX lost). Here every SSL_CTX is made after the last replacement. */
static int srv_context_new(struct srv *srv, uv_loop_t *loop, bool tls)
{
	struct lws_context_creation_info info;

	memset(srv, 0, sizeof *srv);
	srv->loops[0] = loop;
	memset(&info, 0, sizeof info);
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	if (tls)
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	info.foreign_loops = srv->loops;
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = srv_protocols;
	info.user = srv;
	srv->lws = lws_create_context(&info);
	return srv->lws ? 0 : -1;
}

/* Listens on 127.0.0.1, on a port the kernel picks; with TLS when cert and key (file
 * paths) are given. */
static int srv_listen(struct srv *srv, const char *cert, const char *key)
{
	struct lws_context_creation_info info;
	struct lws_vhost *vh;

	memset(&info, 0, sizeof info);
	info.port = 0;
	info.iface = "127.0.0.1";
	info.protocols = srv_protocols;
	if (cert) {
		info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = cert;
		info.ssl_private_key_filepath = key;
	}
	vh = lws_create_vhost(srv->lws, &info);
	if (!vh)
		return -1;
	srv->port = lws_get_vhost_listen_port(vh);
	return srv->port > 0 ? 0 : -1;
}

/* ---- the client side ------------------------------------------------------------------ */

struct client {
	struct ws_conn *c;
	int opens, closes, messages;
	char reason[512];
	char *last;              /* copy of the last message */
	size_t last_len;
	bool nul_ok;             /* every message came NUL-terminated */
	int next_echo;           /* for the in-order echo test: next "m<i>" expected */
	bool order_ok;
	bool use_after_close;    /* a callback came after on_close */
};

static void cl_open(void *ud, struct ws_conn *c)
{
	struct client *cl = ud;

	if (cl->closes)
		cl->use_after_close = true;
	cl->c = c;
	cl->opens++;
}

static void cl_message(void *ud, struct ws_conn *c, const char *data, size_t len)
{
	struct client *cl = ud;
	char want[32];

	(void)c;
	if (cl->closes)
		cl->use_after_close = true;
	cl->messages++;
	if (data[len] != '\0')
		cl->nul_ok = false;
	free(cl->last);
	cl->last = malloc(len + 1);
	if (cl->last) {
		memcpy(cl->last, data, len + 1);
		cl->last_len = len;
	}
	snprintf(want, sizeof want, "m%d", cl->next_echo);
	if (len == strlen(want) && memcmp(data, want, len) == 0)
		cl->next_echo++;
	else if (data[0] == 'm')
		cl->order_ok = false;
}

static void cl_close(void *ud, struct ws_conn *c, const char *reason)
{
	struct client *cl = ud;

	(void)c;
	cl->closes++;
	snprintf(cl->reason, sizeof cl->reason, "%s", reason ? reason : "(null)");
	cl->c = NULL;
}

static const struct ws_callbacks cl_cbs = { cl_open, cl_message, cl_close };

static void client_init(struct client *cl)
{
	memset(cl, 0, sizeof *cl);
	cl->nul_ok = true;
	cl->order_ok = true;
}

/* ---- fixture: loop, watchdog, ws context, server -------------------------------------- */

struct fx {
	uv_loop_t loop;
	uv_timer_t watchdog;
	bool timed_out;
	struct ws_context *ws;
	struct srv srv;
	bool srv_up;
	bool finished;
	bool drain_ok;
	int loop_close_rc;
	char url[128];
	struct client cl[2];
	char dir[64];            /* TLS files, or "" */
	char ca[128];
};

static uint64_t watchdog_ms(void)
{
	const char *env = getenv("TEST_WATCHDOG_MS");
	const char *preload = getenv("LD_PRELOAD");
	unsigned long ms = env ? strtoul(env, NULL, 10) : 0;

	if (ms)
		return ms;
	if (preload && strstr(preload, "vgpreload"))   /* running under valgrind */
		return WATCHDOG_VALGRIND_MS;
	return WATCHDOG_MS;
}

static void on_watchdog(uv_timer_t *t)
{
	struct fx *fx = t->data;

	fx->timed_out = true;
	uv_stop(&fx->loop);
}

/* With ca_dir, fx->dir is also OpenSSL's CA directory ($SSL_CERT_DIR, read when the
 * ws context is made) and holds the test CA under its hash name: there it stands for the
 * system's /etc/ssl/certs. */
static int fx_setup_common(void **state, bool tls, bool ca_dir)
{
	struct fx *fx = calloc(1, sizeof *fx);
	char cert[128], key[128], hashed[128];

	if (!fx)
		return -1;
	*state = fx;
	if (tls) {
		tmpdir_make(fx->dir, sizeof fx->dir, "test_ws");
		path_join(fx->ca, sizeof fx->ca, fx->dir, "ca.pem");
		path_join(cert, sizeof cert, fx->dir, "server.pem");
		path_join(key, sizeof key, fx->dir, "server.key");
		file_write(fx->ca, test_ca_pem, strlen(test_ca_pem));
		file_write(cert, test_srv_cert_pem, strlen(test_srv_cert_pem));
		file_write(key, test_srv_key_pem, strlen(test_srv_key_pem));
	}
	if (ca_dir) {
		path_join(hashed, sizeof hashed, fx->dir, TEST_CA_HASH_NAME);
		file_write(hashed, test_ca_pem, strlen(test_ca_pem));
		setenv("SSL_CERT_DIR", fx->dir, 1);
	}
	log_set_level(getenv("TEST_VERBOSE") ? LOG_DEBUG : LOG_WARN);
	if (uv_loop_init(&fx->loop) != 0)
		return -1;
	uv_timer_init(&fx->loop, &fx->watchdog);
	fx->watchdog.data = fx;
	uv_timer_start(&fx->watchdog, on_watchdog, watchdog_ms(), 0);
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	fx->srv_up = srv_context_new(&fx->srv, &fx->loop, tls) == 0;
	if (!fx->srv_up)
		return -1;
	fx->ws = ws_context_new(&fx->loop);
	if (!fx->ws)
		return -1;
	if (srv_listen(&fx->srv, tls ? cert : NULL, tls ? key : NULL) != 0)
		return -1;
	if (tls)
		snprintf(fx->url, sizeof fx->url, "wss://localhost:%d/socket?ticket=secret",
			 fx->srv.port);
	else
		snprintf(fx->url, sizeof fx->url, "ws://127.0.0.1:%d/socket?ticket=secret",
			 fx->srv.port);
	client_init(&fx->cl[0]);
	client_init(&fx->cl[1]);
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_common(state, false, false);
}

static int fx_setup_tls(void **state)
{
	return fx_setup_common(state, true, false);
}

static int fx_setup_tls_ca_dir(void **state)
{
	return fx_setup_common(state, true, true);
}

/* Stops everything the way the daemon does: ws_context_stop() and the first
 * lws_context_destroy() while the loop runs, uv_run() until it returns, then
 * ws_context_free() and the second destroy, then uv_loop_close(). */
static void fx_finish(struct fx *fx)
{
	if (fx->finished)
		return;
	fx->finished = true;
	if (!fx->ws) {               /* setup failed early */
		fx->drain_ok = false;
		return;
	}
	ws_context_stop(fx->ws);
	if (fx->srv_up)
		lws_context_destroy(fx->srv.lws);
	/* The watchdog still bounds the drain but does not keep the loop alive. */
	fx->timed_out = false;
	uv_timer_start(&fx->watchdog, on_watchdog, watchdog_ms(), 0);
	uv_unref((uv_handle_t *)&fx->watchdog);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	fx->drain_ok = !fx->timed_out;
	uv_close((uv_handle_t *)&fx->watchdog, NULL);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	ws_context_free(fx->ws);
	fx->ws = NULL;
	if (fx->srv_up)
		lws_context_destroy(fx->srv.lws);
	fx->loop_close_rc = uv_loop_close(&fx->loop);
}

static int fx_teardown(void **state)
{
	struct fx *fx = *state;
	bool ok;

	if (!fx)
		return 0;
	fx_finish(fx);
	ok = fx->drain_ok && fx->loop_close_rc == 0;
	if (!fx->drain_ok)
		fprintf(stderr, "teardown: the loop did not drain within %llu ms\n",
			(unsigned long long)watchdog_ms());
	if (fx->loop_close_rc != 0)
		fprintf(stderr, "teardown: uv_loop_close: %s\n", uv_strerror(fx->loop_close_rc));
	for (int i = 0; i < 2; i++) {
		if (fx->cl[i].closes > 1 || fx->cl[i].use_after_close) {
			fprintf(stderr, "teardown: client %d: %d on_close calls%s\n", i,
				fx->cl[i].closes,
				fx->cl[i].use_after_close ? ", callback after on_close" : "");
			ok = false;
		}
		free(fx->cl[i].last);
	}
	tmpdir_remove(fx->dir);
	unsetenv("SSL_CERT_DIR");
	free(fx);
	return ok ? 0 : -1;
}

/* Runs the loop until cond(arg) holds. Returns false when the watchdog fired first. */
static bool run_until(struct fx *fx, bool (*cond)(struct fx *, void *), void *arg)
{
	while (!cond(fx, arg) && !fx->timed_out)
		uv_run(&fx->loop, UV_RUN_ONCE);
	return !fx->timed_out;
}

static bool cond_open(struct fx *fx, void *arg)
{
	(void)fx;
	return ((struct client *)arg)->opens > 0 || ((struct client *)arg)->closes > 0;
}

static bool cond_closed(struct fx *fx, void *arg)
{
	(void)fx;
	return ((struct client *)arg)->closes > 0;
}

static int want_messages;
static bool cond_messages(struct fx *fx, void *arg)
{
	(void)fx;
	return ((struct client *)arg)->messages >= want_messages ||
	       ((struct client *)arg)->closes > 0;
}

static bool cond_server_closed(struct fx *fx, void *arg)
{
	(void)arg;
	return fx->srv.closed > 0;
}

/* Lets the loop turn for ms (to see that nothing more arrives). */
static void on_pause(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static bool cond_flag(struct fx *fx, void *arg)
{
	(void)fx;
	return *(bool *)arg;
}

static void run_for(struct fx *fx, uint64_t ms)
{
	uv_timer_t t;
	bool done = false;

	uv_timer_init(&fx->loop, &t);
	t.data = &done;
	uv_timer_start(&t, on_pause, ms, 0);
	run_until(fx, cond_flag, &done);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
}

static struct ws_conn *connect_open(struct fx *fx, struct client *cl,
				    const struct ws_options *opt)
{
	cl->c = ws_connect(fx->ws, fx->url, opt, &cl_cbs, cl);
	assert_non_null(cl->c);
	assert_true(run_until(fx, cond_open, cl));
	if (cl->opens != 1)
		fail_msg("connection did not open: %s", cl->reason);
	return cl->c;
}

static void send_str(struct ws_conn *c, const char *s)
{
	assert_int_equal(ws_send_text(c, s, strlen(s)), 0);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_echo_1000_in_order(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c;
	char msg[32];

	c = ws_connect(fx->ws, fx->url, NULL, &cl_cbs, cl);
	assert_non_null(c);
	/* Not open yet: nothing can be queued. */
	assert_int_equal(ws_send_text(c, "early", 5), -1);
	assert_true(run_until(fx, cond_open, cl));
	assert_int_equal(cl->opens, 1);
	assert_ptr_equal(cl->c, c);
	for (int i = 0; i < 1000; i++) {
		snprintf(msg, sizeof msg, "m%d", i);
		send_str(c, msg);
	}
	want_messages = 1000;
	assert_true(run_until(fx, cond_messages, cl));
	assert_int_equal(cl->closes, 0);
	assert_int_equal(cl->messages, 1000);
	assert_true(cl->order_ok);
	assert_int_equal(cl->next_echo, 1000);
	assert_true(cl->nul_ok);
	assert_int_equal(fx->srv.messages, 1000);
	assert_int_equal(fx->srv.established, 1);
}

static void test_fragmented_100k_arrives_whole(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c = connect_open(fx, cl, NULL);

	send_str(c, "frag:102400");
	send_str(c, "after");
	want_messages = 2;
	assert_true(run_until(fx, cond_messages, cl));
	assert_int_equal(cl->closes, 0);
	assert_int_equal(cl->messages, 2);
	assert_string_equal(cl->last, "after");
	/* Check the big one: send it again alone and inspect it. */
	send_str(c, "frag:102400");
	want_messages = 3;
	assert_true(run_until(fx, cond_messages, cl));
	assert_int_equal(cl->last_len, 102400);
	for (size_t i = 0; i < 102400; i++) {
		if (cl->last[i] != pattern_at(i))
			fail_msg("byte %zu is %c, expected %c", i, cl->last[i], pattern_at(i));
	}
	assert_int_equal(cl->last[102400], '\0');
	assert_true(cl->nul_ok);
}

/* A big client message: lws sends what the socket takes and drains the rest. */
static void test_large_send_is_echoed(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c = connect_open(fx, cl, NULL);
	size_t len = 300000;
	char *big = malloc(len);

	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = pattern_at(i * 7);
	assert_int_equal(ws_send_text(c, big, len), 0);
	want_messages = 1;
	assert_true(run_until(fx, cond_messages, cl));
	assert_int_equal(cl->messages, 1);
	assert_int_equal(cl->last_len, len);
	assert_memory_equal(cl->last, big, len);
	send_str(c, "next");
	want_messages = 2;
	assert_true(run_until(fx, cond_messages, cl));
	assert_string_equal(cl->last, "next");
	free(big);
}

static void test_message_over_cap_closes_1009(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_options opt = { .max_message = 65536 };
	struct ws_conn *c = connect_open(fx, cl, &opt);

	send_str(c, "frag:65536");        /* exactly the cap: fine */
	want_messages = 1;
	assert_true(run_until(fx, cond_messages, cl));
	assert_int_equal(cl->messages, 1);
	assert_int_equal(cl->last_len, 65536);

	send_str(c, "frag:100000");
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->closes, 1);
	assert_int_equal(cl->messages, 1);
	assert_contains(cl->reason, "65536");
	assert_true(run_until(fx, cond_server_closed, NULL));
	assert_int_equal(fx->srv.close_frames, 1);
	assert_int_equal(fx->srv.last_close_code, 1009);
}

static void test_server_close_reports_once(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c = connect_open(fx, cl, NULL);

	send_str(c, "close:4001");
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "4001");
	assert_contains(cl->reason, "bye");
	run_for(fx, 200);
	assert_int_equal(cl->closes, 1);
	assert_int_equal(fx->srv.close_frames, 0);
}

static void test_tcp_drop_reports_once(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c = connect_open(fx, cl, NULL);

	send_str(c, "drop");
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "connection lost");
	run_for(fx, 200);
	assert_int_equal(cl->closes, 1);
}

static void test_client_close_sends_1000_after_queue(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c = connect_open(fx, cl, NULL);

	send_str(c, "one");
	send_str(c, "two");
	send_str(c, "three");
	ws_close(c);
	assert_int_equal(ws_send_text(c, "late", 4), -1);
	ws_close(c);                      /* twice is harmless */
	assert_true(run_until(fx, cond_closed, cl));
	assert_true(run_until(fx, cond_server_closed, NULL));
	assert_int_equal(cl->closes, 1);
	assert_int_equal(fx->srv.messages, 3);
	assert_int_equal(fx->srv.close_frames, 1);
	assert_int_equal(fx->srv.last_close_code, 1000);
	run_for(fx, 100);
	assert_int_equal(cl->closes, 1);
}

static void test_connection_refused(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	char url[64];
	int fd;

	/* A port that was free a moment ago and has no listener now. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	close(fd);
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/", ntohs(sa.sin_port));

	cl->c = ws_connect(fx->ws, url, NULL, &cl_cbs, cl);
	assert_non_null(cl->c);
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->opens, 0);
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "127.0.0.1");
	run_for(fx, 200);
	assert_int_equal(cl->closes, 1);
}

/* A host name goes through uv_getaddrinfo (localhost: /etc/hosts, no DNS traffic). */
static void test_host_name_is_resolved(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];

	snprintf(fx->url, sizeof fx->url, "ws://localhost:%d", fx->srv.port);  /* no path */
	connect_open(fx, cl, NULL);
	send_str(cl->c, "hello");
	want_messages = 1;
	assert_true(run_until(fx, cond_messages, cl));
	assert_string_equal(cl->last, "hello");
}

static void test_bad_urls(void **state)
{
	static const char *const bad[] = {
		"", "http://example.com/", "https://example.com/", "ws://", "wss://",
		"ws:///path", "ws://:80/", "ws://host:/", "ws://host:0/", "ws://host:65536/",
		"ws://ho st/", "ws://user@host/", "ws://[::1/", "ws//host/", "example.com",
		"ws://host:80x/", "ws://host/pa th",
	};
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (ws_connect(fx->ws, bad[i], NULL, &cl_cbs, cl) != NULL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_null(ws_connect(fx->ws, NULL, NULL, &cl_cbs, cl));
	assert_null(ws_connect(NULL, fx->url, NULL, &cl_cbs, cl));
	run_for(fx, 50);
	assert_int_equal(cl->closes, 0);
}

static void test_two_connections_make_before_break(void **state)
{
	struct fx *fx = *state;
	struct client *a = &fx->cl[0], *b = &fx->cl[1];
	struct ws_conn *ca = connect_open(fx, a, NULL);
	struct ws_conn *cb;

	send_str(ca, "from-a");
	want_messages = 1;
	assert_true(run_until(fx, cond_messages, a));
	assert_string_equal(a->last, "from-a");

	cb = connect_open(fx, b, NULL);      /* make ... */
	assert_ptr_not_equal(ca, cb);
	assert_int_equal(fx->srv.established, 2);
	send_str(cb, "from-b");
	send_str(ca, "a-again");
	want_messages = 1;
	assert_true(run_until(fx, cond_messages, b));
	want_messages = 2;
	assert_true(run_until(fx, cond_messages, a));
	assert_string_equal(a->last, "a-again");
	assert_string_equal(b->last, "from-b");

	ws_close(ca);                        /* ... before break */
	assert_true(run_until(fx, cond_closed, a));
	assert_int_equal(a->closes, 1);
	send_str(cb, "b-alone");
	want_messages = 2;
	assert_true(run_until(fx, cond_messages, b));
	assert_string_equal(b->last, "b-alone");
	assert_int_equal(b->closes, 0);
}

static void test_stop_with_open_connection(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_conn *c = connect_open(fx, cl, NULL);

	send_str(c, "queued while stopping");
	fx_finish(fx);
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "stopped");
	assert_true(fx->drain_ok);
	assert_int_equal(fx->loop_close_rc, 0);
}

static void test_stop_while_resolving(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];

	cl->c = ws_connect(fx->ws, fx->url, NULL, &cl_cbs, cl);
	assert_non_null(cl->c);
	fx_finish(fx);
	assert_int_equal(cl->closes, 1);
	assert_int_equal(cl->opens, 0);
	assert_true(fx->drain_ok);
	assert_int_equal(fx->loop_close_rc, 0);
}

static void test_close_while_resolving(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];

	cl->c = ws_connect(fx->ws, fx->url, NULL, &cl_cbs, cl);
	assert_non_null(cl->c);
	ws_close(cl->c);
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->closes, 1);
	assert_int_equal(cl->opens, 0);
	run_for(fx, 100);
	assert_int_equal(fx->srv.established, 0);
}

/* The server stops reading, so it answers no ping: the client gives up after dead_after_s. */
static void test_unanswered_pings_close(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_options opt = { .ping_interval_s = 1, .dead_after_s = 2 };
	struct ws_conn *c = connect_open(fx, cl, &opt);
	uint64_t t0;

	send_str(c, "mute");
	t0 = uv_now(&fx->loop);
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "no pong");
	if (uv_now(&fx->loop) - t0 < 1500)
		fail_msg("closed after %llu ms: %s",
			 (unsigned long long)(uv_now(&fx->loop) - t0), cl->reason);
}

/* A peer that accepts TCP and never answers the upgrade. */
struct silent {
	uv_tcp_t listener;
	uv_tcp_t peer;
	int accepted;
};

static void silent_on_conn(uv_stream_t *server, int status)
{
	struct silent *s = server->data;

	if (status < 0 || s->accepted)
		return;
	uv_tcp_init(server->loop, &s->peer);
	if (uv_accept(server, (uv_stream_t *)&s->peer) == 0)
		s->accepted++;
}

static bool cond_accepted(struct fx *fx, void *arg)
{
	(void)fx;
	return ((struct silent *)arg)->accepted > 0;
}

static void test_close_during_handshake(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct silent s;
	struct sockaddr_in sa;
	int salen = sizeof sa;
	char url[64];

	memset(&s, 0, sizeof s);
	uv_tcp_init(&fx->loop, &s.listener);
	s.listener.data = &s;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&s.listener, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&s.listener, 4, silent_on_conn), 0);
	assert_int_equal(uv_tcp_getsockname(&s.listener, (struct sockaddr *)&sa, &salen), 0);
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/", ntohs(sa.sin_port));

	cl->c = ws_connect(fx->ws, url, NULL, &cl_cbs, cl);
	assert_non_null(cl->c);
	assert_true(run_until(fx, cond_accepted, &s));
	run_for(fx, 50);                     /* the upgrade request is out */
	assert_int_equal(cl->closes, 0);
	ws_close(cl->c);
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->opens, 0);
	assert_int_equal(cl->closes, 1);
	uv_close((uv_handle_t *)&s.listener, NULL);
	if (s.accepted)
		uv_close((uv_handle_t *)&s.peer, NULL);
	uv_run(&fx->loop, UV_RUN_NOWAIT);
}

/* ---- wss ----------------------------------------------------------------------------- */

static void test_wss_with_test_ca(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_options opt = { .ca_file = fx->ca };
	struct ws_conn *c = connect_open(fx, cl, &opt);

	send_str(c, "secure");
	send_str(c, "frag:102400");
	want_messages = 2;
	assert_true(run_until(fx, cond_messages, cl));
	assert_int_equal(cl->messages, 2);
	assert_int_equal(cl->last_len, 102400);
	assert_int_equal(cl->closes, 0);
}

/* No ca_file: the default vhost trusts what OpenSSL's CA directory holds. */
static void test_wss_trusts_ca_directory(void **state)
{
	struct fx *fx = *state;

	connect_open(fx, &fx->cl[0], NULL);
	assert_int_equal(fx->srv.established, 1);
}

static void test_wss_untrusted_certificate_fails(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];

	/* The system CA store does not know the test CA. */
	cl->c = ws_connect(fx->ws, fx->url, NULL, &cl_cbs, cl);
	assert_non_null(cl->c);
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->opens, 0);
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "localhost");
	assert_int_equal(fx->srv.established, 0);
}

static void test_wss_name_mismatch_fails(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_options opt = { .ca_file = fx->ca };

	/* The certificate names localhost only. */
	snprintf(fx->url, sizeof fx->url, "wss://127.0.0.1:%d/socket", fx->srv.port);
	cl->c = ws_connect(fx->ws, fx->url, &opt, &cl_cbs, cl);
	assert_non_null(cl->c);
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->opens, 0);
	assert_int_equal(cl->closes, 1);
	assert_int_equal(fx->srv.established, 0);
}

static void test_wss_missing_ca_file(void **state)
{
	struct fx *fx = *state;
	struct client *cl = &fx->cl[0];
	struct ws_options opt = { .ca_file = "/nonexistent/ca.pem" };

	cl->c = ws_connect(fx->ws, fx->url, &opt, &cl_cbs, cl);
	assert_non_null(cl->c);
	assert_int_equal(cl->closes, 0);          /* reported from the loop, not inside */
	assert_true(run_until(fx, cond_closed, cl));
	assert_int_equal(cl->closes, 1);
	assert_contains(cl->reason, "CA file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_echo_1000_in_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fragmented_100k_arrives_whole, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_large_send_is_echoed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_message_over_cap_closes_1009, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_server_close_reports_once, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tcp_drop_reports_once, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_client_close_sends_1000_after_queue, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_connection_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_host_name_is_resolved, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_urls, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_two_connections_make_before_break, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_open_connection, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_stop_while_resolving, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_while_resolving, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_pings_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_during_handshake, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_wss_with_test_ca, fx_setup_tls, fx_teardown),
		cmocka_unit_test_setup_teardown(test_wss_trusts_ca_directory, fx_setup_tls_ca_dir,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_wss_untrusted_certificate_fails, fx_setup_tls,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_wss_name_mismatch_fails, fx_setup_tls,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_wss_missing_ca_file, fx_setup_tls, fx_teardown),
	};

	if (getenv("TEST_FILTER"))           /* e.g. TEST_FILTER='test_wss*' */
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests_name("ws", tests, NULL, NULL);
}
