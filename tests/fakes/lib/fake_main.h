/* fake_main.h - the startup and shutdown shared by the fake servers.
 *
 * Each fake embeds a struct fake_main_opts in its options (filled by fake_main_opt()
 * for --port, --port-file, --log, --max-seconds) and a struct fake_main in its state,
 * then calls fake_main_run(): it ignores SIGPIPE, opens the event log, listens on
 * 127.0.0.1, stops on SIGTERM/SIGINT or after --max-seconds, writes the port file and
 * runs the loop until the server has stopped. */
#ifndef FAKE_MAIN_H
#define FAKE_MAIN_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "tests/fakes/lib/fake_http.h"
#include "tests/fakes/lib/fake_log.h"

struct fake_main_opts {
	int port;
	const char *port_file, *log_path;
	long max_seconds;
	bool verbose;
};

struct fake_main;

/* Called once listening (before the loop runs): set up the fake's own handles, log the
 * start. m->loop, m->http, m->log and m->port are set. */
typedef void (*fake_main_start_fn)(struct fake_main *m);
/* Called once on shutdown, after the common handles are closed and before the HTTP
 * server stops: close the fake's own handles, finish what it holds. */
typedef void (*fake_main_stop_fn)(struct fake_main *m, const char *why);

struct fake_main {
	/* set by the caller */
	const char *name; /* "fake_slack": prefix of every message on stderr */
	const struct fake_main_opts *o;
	fake_http_handler on_request;
	fake_main_start_fn on_start;
	fake_main_stop_fn on_stop;
	void *data; /* passed to on_request; for the fake's own use */
	/* set by fake_main_run */
	uv_loop_t *loop;
	struct fake_http_server *http;
	struct fake_log *log;
	int port;
	bool stopping;
	uv_timer_t max_timer;
	uv_signal_t sigterm, sigint;
};

/* Sets the defaults (port 0, max 300 seconds). */
void fake_main_opts_init(struct fake_main_opts *o);

/* The fake's number parser: 0 when s is a number in [min, max] (stored in *out), else -1. */
typedef int (*fake_parse_long_fn)(const char *s, long min, long max, long *out);

/* Takes option a with value v when it is a common one (numbers read with parse). Returns
 * true when taken, false when a is not a common option or v is not a valid value for it. */
bool fake_main_opt(struct fake_main_opts *o, const char *a, const char *v,
		   fake_parse_long_fn parse);

/* A seed for a random generator: /dev/urandom mixed with the time and the pid. */
uint64_t fake_main_seed(void);

/* Runs the fake until it stops. Returns the exit status (0 or 1). */
int fake_main_run(struct fake_main *m);

/* Stops the fake (once): closes the handles, calls on_stop, stops the HTTP server. */
void fake_main_stop(struct fake_main *m, const char *why);

#endif
