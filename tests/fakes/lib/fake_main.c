/* fake_main.c - see fake_main.h. */
#include "tests/fakes/lib/fake_main.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void fake_main_opts_init(struct fake_main_opts *o)
{
	*o = (struct fake_main_opts){.port = 0, .max_seconds = 300};
}

bool fake_main_opt(struct fake_main_opts *o, const char *a, const char *v,
		   fake_parse_long_fn parse)
{
	long n;

	if (strcmp(a, "--port") == 0 && parse(v, 0, 65535, &n) == 0)
		o->port = (int)n;
	else if (strcmp(a, "--port-file") == 0)
		o->port_file = v;
	else if (strcmp(a, "--log") == 0)
		o->log_path = v;
	else if (strcmp(a, "--max-seconds") == 0 && parse(v, 1, 86400, &n) == 0)
		o->max_seconds = n;
	else
		return false;
	return true;
}

uint64_t fake_main_seed(void)
{
	uint64_t s = 0;
	FILE *f = fopen("/dev/urandom", "rb");

	if (f) {
		if (fread(&s, sizeof s, 1, f) != 1)
			s = 0;
		fclose(f);
	}
	s ^= (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)getpid();
	return s ? s : 0x1234567;
}

void fake_main_stop(struct fake_main *m, const char *why)
{
	if (m->stopping)
		return;
	m->stopping = true;
	fprintf(stderr, "%s: %s; exiting\n", m->name, why);
	uv_close((uv_handle_t *)&m->max_timer, NULL);
	uv_close((uv_handle_t *)&m->sigterm, NULL);
	uv_close((uv_handle_t *)&m->sigint, NULL);
	m->on_stop(m, why);
	fake_http_server_stop(m->http);
}

static void on_signal(uv_signal_t *s, int signum)
{
	fake_main_stop(s->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void on_max_timer(uv_timer_t *t)
{
	fake_main_stop(t->data, "--max-seconds reached");
}

static int write_port_file(const char *path, int port)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return -1;
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", port);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		remove(tmp);
		return -1;
	}
	return 0;
}

int fake_main_run(struct fake_main *m)
{
	const struct fake_main_opts *o = m->o;
	uv_loop_t loop;
	struct sigaction sa;
	int rc = 1, port;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	m->log = fake_log_new(o->log_path, 0);
	if (!m->log)
		return 1;
	if (o->verbose)
		fake_log_echo(m->log, stderr);
	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "%s: uv_loop_init failed\n", m->name);
		goto out_log;
	}
	m->loop = &loop;
	m->http = fake_http_server_new(&loop, m->on_request, m->data);
	if (!m->http) {
		fprintf(stderr, "%s: out of memory\n", m->name);
		goto out_loop;
	}
	port = fake_http_server_listen(m->http, o->port);
	if (port < 0) {
		fprintf(stderr, "%s: cannot listen on 127.0.0.1:%d: %s\n", m->name, o->port,
			uv_strerror(port));
		fake_http_server_stop(m->http);
		uv_run(&loop, UV_RUN_DEFAULT);
		fake_http_server_free(m->http);
		goto out_loop;
	}
	m->port = port;
	rc = 0;
	uv_timer_init(&loop, &m->max_timer);
	m->max_timer.data = m;
	uv_signal_init(&loop, &m->sigterm);
	m->sigterm.data = m;
	uv_signal_init(&loop, &m->sigint);
	m->sigint.data = m;
	if (uv_signal_start(&m->sigterm, on_signal, SIGTERM) < 0 ||
	    uv_signal_start(&m->sigint, on_signal, SIGINT) < 0) {
		fprintf(stderr, "%s: cannot watch SIGTERM/SIGINT\n", m->name);
		rc = 1;
	}
	uv_timer_start(&m->max_timer, on_max_timer, (uint64_t)o->max_seconds * 1000, 0);
	m->on_start(m);
	if (rc != 0)
		fake_main_stop(m, "cannot start");
	if (rc == 0 && o->port_file && write_port_file(o->port_file, port) != 0) {
		fprintf(stderr, "%s: cannot write %s\n", m->name, o->port_file);
		rc = 1;
		fake_main_stop(m, "no port file");
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	fake_http_server_free(m->http);
out_loop:
	if (uv_loop_close(&loop) != 0) {
		fprintf(stderr, "%s: handles left open at exit\n", m->name);
		rc = 1;
	}
out_log:
	fake_log_free(m->log);
	return rc;
}
