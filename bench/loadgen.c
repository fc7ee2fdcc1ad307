/* loadgen: the load benchmark (`make bench`, bench/README in the main README's
 * "Performance"). It starts the local fakes (tests/fakes) and the real daemon against them
 * on 127.0.0.1, opens a session in each of N channels, sends a bounded number of answers
 * (thread replies) with at most K in flight, and reports per transport: start-up time,
 * idle and peak memory, CPU seconds per 1,000 answers, answer latency (p50, p99) and the
 * answers per second; then the idle memory with Slack and Matrix in one process.
 *
 * `--mode channels` (`make bench-channels`) measures scale in one Slack daemon instead:
 * sessions opened in N channels (10,000) with at most --open-inflight waiting for their
 * first question (sessions per second, CPU), the daemon's memory with all of them open,
 * one answer in each channel (latency, CPU per 1,000), then its start-up to ready when
 * restarted on that database.
 *
 * It stops every process it starts. Times come from the fakes' log (`mono_us`,
 * CLOCK_MONOTONIC). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHANNELS 10000
#define MATRIX_MAX_ROOMS 1000 /* tests/fakes/fake_matrix.c MAX_ROOMS */
#define MAX_ANSWERS 100000
#define MAX_WAIT_POLLS 30000 /* bounded waits: at most this many 1 ms polls (30 s) */
#define SETTLE_US 1000000    /* idle memory is read this long after ready */
#define RESTARTS 3           /* --mode channels: restarts timed (the median is kept) */

struct opts {
	const char *bin, *fakes, *dir, *results;
	bool channels_mode; /* --mode channels */
	int channels, members, answers, inflight, open_inflight;
};

/* One transport's figures. */
struct figures {
	double startup_ms, cpu_per_1000, p50_ms, p99_ms, per_s;
	long rss_kib, anon_kib, hwm_kib;
	int answers;
	/* --mode channels: opening the sessions, memory with them open, the restart */
	double open_s, open_per_s, open_cpu_per_1000, restart_ms;
	long open_rss_kib, open_anon_kib, open_hwm_kib, restart_rss_kib, restart_anon_kib, db_kib;
	int opened;
};

/* A fake or the daemon. */
struct proc {
	pid_t pid;
	char base[160]; /* the URL of the fake: http://127.0.0.1:PORT */
};

static CURL *curl;

static uint64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static void pause_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	char **buf = ud;
	size_t old = *buf ? strlen(*buf) : 0, add = size * n;
	char *nb = realloc(*buf, old + add + 1);

	if (!nb)
		return 0;
	memcpy(nb + old, p, add);
	nb[old + add] = '\0';
	*buf = nb;
	return add;
}

/* One request to a fake's control API (PATH after /_control), keep-alive. Returns the
 * parsed answer (caller decrefs) or NULL. */
static json_t *ctl(const struct proc *f, const char *method, const char *path, const char *body)
{
	char url[512], *buf = NULL;
	json_t *j = NULL;

	snprintf(url, sizeof url, "%s/_control%s", f->base, path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &buf);
	if (body)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(curl) == CURLE_OK && buf)
		j = json_loads(buf, 0, NULL);
	if (!j)
		fprintf(stderr, "loadgen: %s %s failed\n", method, url);
	free(buf);
	return j;
}

/* ctl with a body built from a json_t (stolen). */
static json_t *ctl_json(const struct proc *f, const char *path, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *r = text ? ctl(f, "POST", path, text) : NULL;

	free(text);
	json_decref(body);
	return r;
}

/* Starts ARGV with the NAME=VALUE pairs of ENV added, stdout/stderr to LOGFILE. */
static pid_t spawn(char *const argv[], char *const env[], const char *logfile)
{
	pid_t pid = fork();

	if (pid == 0) {
		FILE *lf = freopen(logfile, "w", stderr);

		if (!lf || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
			_exit(127);
		for (size_t i = 0; env && env[i]; i++) {
			char *pair = strdup(env[i]), *eq = pair ? strchr(pair, '=') : NULL;

			if (eq) {
				*eq = '\0';
				setenv(pair, eq + 1, 1);
			}
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* SIGTERM, then SIGKILL after 10 s. */
static void stop(struct proc *p)
{
	int i;

	if (p->pid <= 0)
		return;
	kill(p->pid, SIGTERM);
	for (i = 0; i < 1000 && waitpid(p->pid, NULL, WNOHANG) == 0; i++)
		pause_ms(10);
	if (i == 1000) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}

/* Starts the fake NAME with ARGS (NULL-terminated, at most 8) on a free port. */
static int fake_start(struct proc *f, const struct opts *o, const char *name, const char *const *args)
{
	char bin[512], pf[512], errf[512], port[16] = "";
	char *argv[20] = {bin, "--port", "0", "--port-file", pf, "--max-seconds", "900"};
	size_t n = 7;
	int i;

	snprintf(bin, sizeof bin, "%s/%s", o->fakes, name);
	snprintf(pf, sizeof pf, "%s/%s.port", o->dir, name);
	snprintf(errf, sizeof errf, "%s/%s.err", o->dir, name);
	unlink(pf);
	for (i = 0; args && args[i] && n < 18; i++)
		argv[n++] = (char *)args[i];
	f->pid = spawn(argv, NULL, errf);
	for (i = 0; i < MAX_WAIT_POLLS; i++) {
		FILE *p = fopen(pf, "r");

		if (p) {
			bool ok = fgets(port, sizeof port, p) != NULL;

			fclose(p);
			if (ok)
				break;
		}
		pause_ms(1);
	}
	if (!port[0]) {
		fprintf(stderr, "loadgen: %s did not start (see %s)\n", name, errf);
		return -1;
	}
	port[strcspn(port, "\n")] = '\0';
	snprintf(f->base, sizeof f->base, "http://127.0.0.1:%s", port);
	return 0;
}

/* ---- /proc ---- */

static long status_kib(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* utime + stime in seconds. */
static double cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* the command name may hold spaces */
	/* after ")": field 3 is the state; utime and stime are fields 14 and 15 */
	for (field = 2; p && field < 14; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return 0;
	ut = strtoul(p + 1, &p, 10);
	st = strtoul(p, NULL, 10);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- the daemon ---- */

/* "NAME=" + VALUE + SUFFIX, for the daemon's environment (static storage per caller). */
static char *env_pair(char *buf, size_t size, const char *name, const char *value, const char *suffix)
{
	snprintf(buf, size, "%s=%s%s", name, value, suffix);
	return buf;
}

/* Starts the daemon on the database NAME.db (a fresh one when FRESH) with the environment
 * pairs ENV; *t0 is the time just before the fork. */
static int daemon_start(struct proc *d, const struct opts *o, const char *name, char *const *env,
			bool fresh, uint64_t *t0)
{
	char db[512], errf[512];
	char *argv[] = {(char *)o->bin, "--db", db, "run", NULL};

	snprintf(db, sizeof db, "%s/%s.db", o->dir, name);
	snprintf(errf, sizeof errf, "%s/%s.err", o->dir, name);
	for (size_t i = 0; fresh && i < 3; i++) {
		static const char *const ext[] = {"", "-wal", "-shm"};
		char p[600];

		snprintf(p, sizeof p, "%s%s", db, ext[i]);
		unlink(p);
	}
	*t0 = now_us();
	d->pid = spawn(argv, env, errf);
	return d->pid > 0 ? 0 : -1;
}

/* ---- the fakes' logs ---- */

/* The events of KIND (NULL: all) after *seq, which advances. Caller decrefs. */
static json_t *log_since(const struct proc *f, uint64_t *seq, const char *kind)
{
	char path[128];
	json_t *a;
	size_t n;

	snprintf(path, sizeof path, "/log?since=%" PRIu64 "%s%s", *seq, kind ? "&kind=" : "",
		 kind ? kind : "");
	a = ctl(f, "GET", path, NULL);
	n = json_array_size(a);
	if (n)
		*seq = (uint64_t)json_integer_value(json_object_get(json_array_get(a, n - 1), "seq"));
	return a;
}

/* The seq of the fake's newest event (0 if unknown): where a phase starts reading. */
static uint64_t log_now(const struct proc *f)
{
	json_t *s = ctl(f, "GET", "/state", NULL);
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(s, "log_seq"));

	json_decref(s);
	return seq;
}

static uint64_t mono_of(const json_t *ev)
{
	return (uint64_t)json_integer_value(json_object_get(ev, "mono_us"));
}

/* Waits (bounded) for the first event of KIND after SEQ for which MATCH is true; its
 * mono_us, or 0. */
static uint64_t wait_event(const struct proc *f, uint64_t seq, const char *kind,
			   bool (*match)(const json_t *))
{
	for (int i = 0; i < MAX_WAIT_POLLS; i++) {
		json_t *a = log_since(f, &seq, kind), *ev;
		size_t k;
		uint64_t t = 0;

		json_array_foreach(a, k, ev) if (match(ev))
		{
			t = mono_of(ev);
			break;
		}
		json_decref(a);
		if (t)
			return t;
		pause_ms(1);
	}
	return 0;
}

static bool any_event(const json_t *ev)
{
	(void)ev;
	return true;
}

static bool is_sync(const json_t *ev)
{
	return json_is_string(json_object_get(ev, "endpoint")) &&
	       strcmp(json_string_value(json_object_get(ev, "endpoint")), "sync") == 0;
}

/* Idle memory of the daemon SETTLE_US after it got ready. */
static void idle_memory(pid_t pid, long *rss_kib, long *anon_kib)
{
	pause_ms(SETTLE_US / 1000);
	*rss_kib = status_kib(pid, "VmRSS");
	*anon_kib = status_kib(pid, "RssAnon");
}

/* ---- latency bookkeeping: one slot per answer ---- */

struct answer {
	uint64_t sent_us, done_us;
	uint64_t cover; /* Matrix: the stream position of the sync that carried it */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* p50, p99, answers per second from the slots; 0 when none completed. */
static void latency(struct answer *as, int n, uint64_t t_first, struct figures *fg)
{
	uint64_t *lat = calloc((size_t)n, sizeof *lat), t_last = t_first;
	int k = 0;

	for (int i = 0; lat && i < n; i++)
		if (as[i].done_us >= as[i].sent_us && as[i].sent_us) {
			lat[k++] = as[i].done_us - as[i].sent_us;
			if (as[i].done_us > t_last)
				t_last = as[i].done_us;
		}
	fg->answers = k;
	if (k) {
		qsort(lat, (size_t)k, sizeof *lat, cmp_u64);
		fg->p50_ms = (double)lat[k / 2] / 1000.0;
		fg->p99_ms = (double)lat[(size_t)k * 99 / 100] / 1000.0;
		fg->per_s = t_last > t_first ? k / ((double)(t_last - t_first) / 1e6) : 0;
	}
	free(lat);
}

/* Waits until the fake's API call count (COUNTER in /state) stops moving for 300 ms, at
 * most 30 s: the daemon's reactions and posts after the answers are done. */
static void wait_quiet(const struct proc *f, const char *counter, const char *sub)
{
	json_int_t last = -1;
	int still = 0;

	for (int i = 0; i < 300 && still < 3; i++) {
		json_t *s = ctl(f, "GET", "/state", NULL), *v = json_object_get(s, counter);
		json_int_t n = json_integer_value(sub ? json_object_get(v, sub) : v);

		still = n == last ? still + 1 : 0;
		last = n;
		json_decref(s);
		pause_ms(100);
	}
}

/* ---- a transport ---- */

struct transport {
	const char *name, *fake;
	const char *const *fake_args;
	/* the daemon's environment for the fake F (static strings, NULL-terminated) */
	char **(*env)(const struct proc *f);
	bool (*ready)(const json_t *ev);
	const char *ready_kind;
	/* opens a session in each channel; fills q[] (the question to reply to) and *t_done
	 * (when the last one was open) */
	int (*sessions)(const struct proc *f, const struct opts *o, char q[][96], uint64_t *t_done);
	/* sends answer I; its slot */
	int (*answer)(const struct proc *f, const struct opts *o, int i, const char *q, struct answer *a);
	/* reads the log after *seq: marks done answers; returns how many became done */
	int (*progress)(const struct proc *f, uint64_t *seq, struct answer *as, int n);
	const char *quiet_counter, *quiet_sub;
};

/* ---- Slack ---- */

static char **slack_env(const struct proc *f)
{
	static char *env[5], url[256];

	env[0] = "SLACK_APP_TOKEN=xapp-test-app";
	env[1] = "SLACK_BOT_TOKEN=xoxb-test-bot";
	env[2] = env_pair(url, sizeof url, "SLACK_API_URL", f->base, "/api/");
	return env;
}

static json_t *slack_envelope(const struct proc *f, const char *type, json_t *payload)
{
	char path[64];

	snprintf(path, sizeof path, "/envelope?type=%s", type);
	return ctl_json(f, path, payload);
}

/* envelope_id -> the answer's index, from the fake's answer to /envelope. The fake logs
 * the envelope sent (ws_send) and the ack received (ws_text). */
static json_t *slack_map;

/* Sends `/workshop start` in channel C, from its own facilitator. */
static int slack_start(const struct proc *f, int c)
{
	char ch[16], user[16];
	json_t *r;

	snprintf(ch, sizeof ch, "C%04d", c);
	snprintf(user, sizeof user, "UF%04d", c);
	r = slack_envelope(f, "slash_commands",
			   json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "team_id", "T111",
				     "channel_id", ch, "user_id", user, "command", "/workshop", "text",
				     "start", "api_app_id", "A111", "trigger_id", ch));
	json_decref(r);
	return r ? 0 : -1;
}

/* True if BLOCKS hold buttons (an "actions" block): the post is a question. */
static bool has_buttons(const json_t *blocks)
{
	const json_t *b;
	size_t k;

	json_array_foreach(blocks, k, b)
		if (strcmp(json_string_value(json_object_get(b, "type")) ?: "", "actions") == 0)
			return true;
	return false;
}

/* Reads the Web API calls after *seq (which advances): the first question posted in a
 * channel that has none in q[] yet is its ts there; *t_last becomes the fake's time of
 * the newest. Returns how many channels got their first question. */
static int slack_opened(const struct proc *f, uint64_t *seq, const struct opts *o, char q[][96],
			uint64_t *t_last)
{
	json_t *a = log_since(f, seq, "api"), *ev;
	size_t k;
	int got = 0;

	json_array_foreach(a, k, ev) {
		const json_t *params = json_object_get(ev, "params");
		const char *ch = json_string_value(json_object_get(params, "channel"));
		const char *ts = json_string_value(json_object_get(json_object_get(ev, "response"), "ts"));
		const char *method = json_string_value(json_object_get(ev, "method")) ?: "";
		long c = ch && ch[0] == 'C' ? strtol(ch + 1, NULL, 10) : -1;

		if (strcmp(method, "chat.postMessage") != 0 || !ts || c < 0 || c >= o->channels ||
		    q[c][0] || !has_buttons(json_object_get(params, "blocks")))
			continue;
		snprintf(q[c], 96, "%s", ts);
		*t_last = mono_of(ev);
		got++;
	}
	json_decref(a);
	return got;
}

/* Opens a session in each channel, with at most o->open_inflight starts waiting for their
 * first question; fills q[] with the questions' ts and *t_done with the fake's time of the
 * last one. Bounded: 30,000 polls in a row without a new question end it. */
static int slack_sessions(const struct proc *f, const struct opts *o, char q[][96],
			  uint64_t *t_done)
{
	uint64_t seq = log_now(f);
	int started = 0, opened = 0, stuck = 0;

	for (int c = 0; c < o->channels; c++)
		q[c][0] = '\0';
	while (opened < o->channels && stuck < MAX_WAIT_POLLS) {
		int got;

		while (started < o->channels && started - opened < o->open_inflight)
			if (slack_start(f, started++))
				return -1;
		got = slack_opened(f, &seq, o, q, t_done);
		opened += got;
		stuck = got ? 0 : stuck + 1;
		if (!got)
			pause_ms(1);
	}
	if (opened < o->channels) {
		fprintf(stderr, "loadgen: slack: %d of %d channels got their first question\n",
			opened, o->channels);
		return -1;
	}
	return 0;
}

static int slack_answer(const struct proc *f, const struct opts *o, int i, const char *q,
			struct answer *a)
{
	char ch[16], user[16], ts[32], eid[32], text[48];
	json_t *r;

	snprintf(ch, sizeof ch, "C%04d", i % o->channels);
	snprintf(user, sizeof user, "UM%04d", (i / o->channels) % o->members);
	(void)a;
	snprintf(ts, sizeof ts, "1764406800.%06d", i + 1);
	snprintf(eid, sizeof eid, "EvBench%d", i);
	snprintf(text, sizeof text, "answer %d from the load benchmark", i);
	r = slack_envelope(
		f, "events_api",
		json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:s,"
			  " s:s, s:i, s:[{s:s, s:s, s:b, s:b}]}",
			  "token", "verification_token", "team_id", "T111", "api_app_id", "A111", "event",
			  "user", user, "type", "message", "ts", ts, "text", text, "team", "T111",
			  "channel", ch, "event_ts", ts, "channel_type", "channel", "thread_ts", q,
			  "parent_user_id", "UBOT", "type", "event_callback", "event_id", eid,
			  "event_time", 1764406800, "authorizations", "team_id", "T111", "user_id", "UBOT",
			  "is_bot", 1, "is_enterprise_install", 0));
	if (json_is_string(json_object_get(r, "envelope_id")))
		json_object_set_new(slack_map, json_string_value(json_object_get(r, "envelope_id")),
				    json_integer(i));
	json_decref(r);
	return r ? 0 : -1;
}


static int slack_progress(const struct proc *f, uint64_t *seq, struct answer *as, int n)
{
	json_t *a = log_since(f, seq, NULL), *ev;
	size_t k;
	int done = 0;

	json_array_foreach(a, k, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind"));
		const char *eid = json_string_value(json_object_get(ev, "envelope_id"));
		json_t *js = json_object_get(ev, "json"), *idx;
		long i;

		if (kind && strcmp(kind, "ws_send") == 0 && eid) {
			idx = json_object_get(slack_map, eid);
			i = idx ? (long)json_integer_value(idx) : -1;
			if (i >= 0 && i < n)
				as[i].sent_us = mono_of(ev);
		} else if (kind && strcmp(kind, "ws_text") == 0 && js) {
			idx = json_object_get(slack_map,
					      json_string_value(json_object_get(js, "envelope_id")) ?: "");
			i = idx ? (long)json_integer_value(idx) : -1;
			if (i >= 0 && i < n && !as[i].done_us) {
				as[i].done_us = mono_of(ev);
				done++;
			}
		}
	}
	json_decref(a);
	return done;
}

static const char *const slack_fake_args[] = {"--ping-interval", "0", NULL};

/* ---- Matrix ---- */

#define MX_BOT "@bot:fake.local"
#define MX_PASSWORD "pw-bench"

static char **matrix_env(const struct proc *f)
{
	static char *env[5], url[256];

	env[0] = "MATRIX_USER=" MX_BOT;
	env[1] = "MATRIX_PASSWORD=" MX_PASSWORD;
	env[2] = env_pair(url, sizeof url, "MATRIX_HOMESERVER", f->base, "");
	return env;
}

static char mx_rooms[MAX_CHANNELS][96];

static int matrix_post(const struct proc *f, int c, json_t *ev)
{
	char path[160];
	json_t *r;
	CURL *esc = curl;
	char *room = curl_easy_escape(esc, mx_rooms[c], 0);

	snprintf(path, sizeof path, "/event?room=%s", room ? room : "");
	curl_free(room);
	r = ctl_json(f, path, ev);
	json_decref(r);
	return r ? 0 : -1;
}

static bool room_joined(const struct proc *f, int c)
{
	json_t *s = ctl(f, "GET", "/state", NULL), *r;
	size_t k;
	bool ok = false;

	json_array_foreach(json_object_get(s, "rooms"), k, r)
		if (strcmp(json_string_value(json_object_get(r, "room_id")) ?: "", mx_rooms[c]) == 0)
			ok = strcmp(json_string_value(json_object_get(r, "bot_membership")) ?: "", "join") == 0;
	json_decref(s);
	return ok;
}

/* The event id of the bot's first "Question 1 of" in room C, or -1. */
static int matrix_question(const struct proc *f, int c, char *q)
{
	char path[160];
	char *room = curl_easy_escape(curl, mx_rooms[c], 0);
	json_t *sent, *t;
	size_t k;

	snprintf(path, sizeof path, "/sent?room=%s", room ? room : "");
	curl_free(room);
	sent = ctl(f, "GET", path, NULL);
	json_array_foreach(sent, k, t) {
		const char *body = json_string_value(json_object_get(json_object_get(t, "content"), "body"));
		const char *id = json_string_value(json_object_get(t, "event_id"));

		if (body && id && strncmp(body, "Question 1 of", 13) == 0) {
			snprintf(q, 96, "%s", id);
			json_decref(sent);
			return 0;
		}
	}
	json_decref(sent);
	return -1;
}

static int matrix_sessions(const struct proc *f, const struct opts *o, char q[][96],
			   uint64_t *t_done)
{
	int c, i;

	for (c = 0; c < o->channels; c++) {
		json_t *members = json_array(), *r;
		char u[48];

		snprintf(u, sizeof u, "@f%04d:fake.local", c);
		json_array_append_new(members, json_string(u));
		for (i = 0; i < o->members; i++) {
			snprintf(u, sizeof u, "@m%04d:fake.local", i);
			json_array_append_new(members, json_string(u));
		}
		r = ctl_json(f, "/room", json_pack("{s:o, s:b}", "members", members, "invite_bot", 1));
		snprintf(mx_rooms[c], sizeof mx_rooms[c], "%s",
			 json_string_value(json_object_get(r, "room_id")) ?: "");
		json_decref(r);
		if (!mx_rooms[c][0])
			return -1;
	}
	for (c = 0; c < o->channels; c++) {
		char u[48];

		for (i = 0; i < 3000 && !room_joined(f, c); i++)
			pause_ms(10);
		snprintf(u, sizeof u, "@f%04d:fake.local", c);
		if (matrix_post(f, c, json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", "m.room.message",
						"sender", u, "content", "msgtype", "m.text", "body",
						"!ws start")))
			return -1;
	}
	for (c = 0; c < o->channels; c++) {
		for (i = 0; i < 300 && matrix_question(f, c, q[c]); i++)
			pause_ms(100);
		if (i == 300) {
			fprintf(stderr, "loadgen: matrix: no first question in %s\n", mx_rooms[c]);
			return -1;
		}
	}
	*t_done = now_us();
	return 0;
}

static int matrix_answer(const struct proc *f, const struct opts *o, int i, const char *q,
			 struct answer *a)
{
	char user[48], text[48];

	(void)a;
	snprintf(user, sizeof user, "@m%04d:fake.local", (i / o->channels) % o->members);
	snprintf(text, sizeof text, "answer %d from the load benchmark", i);
	return matrix_post(f, i % o->channels,
			   json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s, s:b, s:{s:s}}}}", "type",
				     "m.room.message", "sender", user, "content", "msgtype", "m.text",
				     "body", text, "m.relates_to", "rel_type", "m.thread", "event_id", q,
				     "is_falling_back", 1, "m.in_reply_to", "event_id", q));
}

/* The stream position of a sync token "s<pos>_<serial>". */
static uint64_t token_pos(const char *t)
{
	return t && t[0] == 's' ? strtoull(t + 1, NULL, 10) : 0;
}

/* In log order: a control post of an event is the next answer sent; a /sync answer with a
 * next_batch covers every answer sent before it; a /sync request (held: sync_held; answered
 * at once: its api line) whose since is at or past an answer's cover completes it. */
static int mx_next_sent;

static int matrix_progress(const struct proc *f, uint64_t *seq, struct answer *as, int n)
{
	json_t *a = log_since(f, seq, NULL), *ev;
	size_t k;
	int done = 0;

	json_array_foreach(a, k, ev) {
		const char *kind = json_string_value(json_object_get(ev, "kind")) ?: "";
		uint64_t since = 0, cover = 0;
		bool arrival = false;

		if (strcmp(kind, "control") == 0 &&
		    strcmp(json_string_value(json_object_get(ev, "path")) ?: "", "event") == 0) {
			if (mx_next_sent < n)
				as[mx_next_sent++].sent_us = mono_of(ev);
			continue;
		}
		if (strcmp(kind, "sync_held") == 0) {
			since = (uint64_t)json_integer_value(json_object_get(ev, "since"));
			arrival = true;
		} else if (strcmp(kind, "api") == 0 && is_sync(ev)) {
			arrival = !json_object_get(ev, "held_ms");
			since = token_pos(json_string_value(
				json_object_get(json_object_get(ev, "sync"), "since")));
			cover = token_pos(json_string_value(json_object_get(ev, "next_batch")));
		}
		for (int i = 0; i < mx_next_sent; i++) {
			if (arrival && as[i].cover && !as[i].done_us && as[i].cover <= since) {
				as[i].done_us = mono_of(ev);
				done++;
			}
			if (cover && !as[i].cover)
				as[i].cover = cover;
		}
	}
	json_decref(a);
	return done;
}

static const char *const matrix_fake_args[] = {"--user", MX_BOT, "--password", MX_PASSWORD, NULL};

static const struct transport transports[] = {
	{"slack", "fake_slack", slack_fake_args, slack_env, any_event, "ws_connect",
	 slack_sessions, slack_answer, slack_progress, "totals", "api_calls"},
	{"matrix", "fake_matrix", matrix_fake_args, matrix_env, is_sync, "api", matrix_sessions,
	 matrix_answer, matrix_progress, "api_calls", NULL},
};

/* Starts the daemon D (on a fresh database when FRESH) against the fake F and waits for it
 * to be ready: the start-up time and the idle memory go to *startup_ms, *rss, *anon. */
static int daemon_ready(const struct transport *tp, const struct opts *o, const struct proc *f,
			struct proc *d, bool fresh, double *startup_ms, long *rss, long *anon)
{
	uint64_t seq = log_now(f), t0, t_ready;

	if (daemon_start(d, o, tp->name, tp->env(f), fresh, &t0))
		return -1;
	t_ready = wait_event(f, seq, tp->ready_kind, tp->ready);
	if (!t_ready) {
		fprintf(stderr, "loadgen: %s: the daemon did not connect\n", tp->name);
		return -1;
	}
	*startup_ms = (double)(t_ready - t0) / 1000.0;
	idle_memory(d->pid, rss, anon);
	return 0;
}

/* Sends o->answers answers to the daemon D through the fake F, answer I in channel
 * I % channels (reply to q[]), at most o->inflight in flight; then waits until the fake
 * is quiet. Fills the latency, CPU and peak memory figures. */
static int answer_load(const struct transport *tp, const struct opts *o, const struct proc *f,
		       const struct proc *d, char q[][96], struct figures *fg)
{
	struct answer *as = calloc((size_t)o->answers, sizeof *as);
	uint64_t seq, t_first;
	double cpu0, cpu1;
	int sent = 0, done = 0, rc = -1, stuck = 0;

	if (!as)
		return -1;
	wait_quiet(f, tp->quiet_counter, tp->quiet_sub);
	seq = log_now(f); /* skip what came before the load */
	cpu0 = cpu_s(d->pid);
	t_first = now_us();
	/* each turn sends up to the in-flight limit, then reads progress; bounded by the stall
	 * counter (30 s without progress ends the run) */
	while (done < o->answers && stuck < 30000) {
		int got;

		while (sent < o->answers && sent - done < o->inflight) {
			if (tp->answer(f, o, sent, q[sent % o->channels], &as[sent]))
				goto out;
			sent++;
		}
		got = tp->progress(f, &seq, as, o->answers);
		done += got;
		stuck = got ? 0 : stuck + 1;
		if (!got)
			pause_ms(1);
	}
	wait_quiet(f, tp->quiet_counter, tp->quiet_sub);
	cpu1 = cpu_s(d->pid);
	fg->hwm_kib = status_kib(d->pid, "VmHWM");
	latency(as, o->answers, t_first, fg);
	fg->cpu_per_1000 = fg->answers ? (cpu1 - cpu0) * 1000.0 / fg->answers : 0;
	rc = fg->answers == o->answers ? 0 : -1;
	if (rc)
		fprintf(stderr, "loadgen: %s: %d of %d answers completed\n", tp->name, fg->answers,
			o->answers);
out:
	free(as);
	return rc;
}

/* Per channel, the question the answers reply to (Slack: its ts; Matrix: its event id). */
static char questions[MAX_CHANNELS][96];

/* One transport's run: start, idle memory, sessions, the answers, figures. */
static int run_transport(const struct transport *tp, const struct opts *o, struct figures *fg)
{
	struct proc f = {0}, d = {0};
	uint64_t t_open;
	int rc = -1;

	if (fake_start(&f, o, tp->fake, tp->fake_args) ||
	    daemon_ready(tp, o, &f, &d, true, &fg->startup_ms, &fg->rss_kib, &fg->anon_kib) ||
	    tp->sessions(&f, o, questions, &t_open))
		goto out;
	rc = answer_load(tp, o, &f, &d, questions, fg);
out:
	stop(&d);
	stop(&f);
	return rc;
}

/* The size of the database NAME.db with its WAL, in KiB. */
static long db_kib(const struct opts *o, const char *name)
{
	long kib = 0;

	for (size_t i = 0; i < 2; i++) {
		static const char *const ext[] = {"", "-wal"};
		char p[600];
		struct stat st;

		snprintf(p, sizeof p, "%s/%s.db%s", o->dir, name, ext[i]);
		if (stat(p, &st) == 0)
			kib += (long)(st.st_size / 1024);
	}
	return kib;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* --mode channels, one transport: sessions opened in every channel (sessions per second,
 * CPU per 1,000), the memory with all of them open, one answer per channel (latency, CPU
 * per 1,000 answers), then RESTARTS restarts on that database (the median start-up to
 * ready; the idle memory after the last). */
static int run_channels(const struct transport *tp, const struct opts *o, struct figures *fg)
{
	struct proc f = {0}, d = {0};
	uint64_t t0, t_open = 0;
	double cpu0, restart_ms[RESTARTS];
	int rc = -1;

	if (fake_start(&f, o, tp->fake, tp->fake_args) ||
	    daemon_ready(tp, o, &f, &d, true, &fg->startup_ms, &fg->rss_kib, &fg->anon_kib))
		goto out;
	cpu0 = cpu_s(d.pid);
	t0 = now_us();
	if (tp->sessions(&f, o, questions, &t_open))
		goto out;
	fg->opened = o->channels;
	fg->open_s = (double)(t_open - t0) / 1e6;
	fg->open_per_s = fg->open_s > 0 ? o->channels / fg->open_s : 0;
	wait_quiet(&f, tp->quiet_counter, tp->quiet_sub);
	fg->open_cpu_per_1000 = (cpu_s(d.pid) - cpu0) * 1000.0 / o->channels;
	idle_memory(d.pid, &fg->open_rss_kib, &fg->open_anon_kib);
	fg->open_hwm_kib = status_kib(d.pid, "VmHWM");
	if (answer_load(tp, o, &f, &d, questions, fg))
		goto out;
	for (int i = 0; i < RESTARTS; i++) {
		stop(&d);
		if (i == 0)
			fg->db_kib = db_kib(o, tp->name);
		if (daemon_ready(tp, o, &f, &d, false, &restart_ms[i], &fg->restart_rss_kib,
				 &fg->restart_anon_kib))
			goto out;
	}
	qsort(restart_ms, RESTARTS, sizeof restart_ms[0], cmp_double);
	fg->restart_ms = restart_ms[RESTARTS / 2];
	rc = 0;
out:
	stop(&d);
	stop(&f);
	return rc;
}

/* Both transports in one daemon: its idle memory. */
static int run_both(const struct opts *o, struct figures *fg)
{
	struct proc fs = {0}, fm = {0}, d = {0};
	char *env[8] = {0};
	char **se, **me;
	uint64_t t0;
	int rc = -1;

	if (fake_start(&fs, o, "fake_slack", slack_fake_args) ||
	    fake_start(&fm, o, "fake_matrix", matrix_fake_args))
		goto out;
	se = slack_env(&fs);
	me = matrix_env(&fm);
	memcpy(env, se, 3 * sizeof *env);
	memcpy(env + 3, me, 3 * sizeof *env);
	if (daemon_start(&d, o, "both", env, true, &t0) ||
	    !wait_event(&fs, 0, "ws_connect", any_event) || !wait_event(&fm, 0, "api", is_sync))
		goto out;
	fg->startup_ms = (double)(now_us() - t0) / 1000.0;
	idle_memory(d.pid, &fg->rss_kib, &fg->anon_kib);
	fg->hwm_kib = status_kib(d.pid, "VmHWM");
	rc = 0;
out:
	stop(&d);
	stop(&fs);
	stop(&fm);
	return rc;
}

static void put_figures(json_t *obj, const char *name, const struct figures *fg)
{
	json_object_set_new(obj, name,
			    json_pack("{s:f, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:i}", "startup_ms",
				      fg->startup_ms, "idle_rss_kib", (json_int_t)fg->rss_kib,
				      "idle_anon_kib", (json_int_t)fg->anon_kib, "hwm_kib",
				      (json_int_t)fg->hwm_kib, "cpu_s_per_1000", fg->cpu_per_1000,
				      "p50_ms", fg->p50_ms, "p99_ms", fg->p99_ms, "answers_per_s",
				      fg->per_s, "answers", fg->answers));
}

static void table_row(const char *name, const struct figures *fg)
{
	printf("%-7s %9.1f %9.1f %9.1f %9.1f %8.4f %7.2f %7.2f %8.0f\n", name, fg->startup_ms,
	       fg->rss_kib / 1024.0, fg->anon_kib / 1024.0, fg->hwm_kib / 1024.0, fg->cpu_per_1000,
	       fg->p50_ms, fg->p99_ms, fg->per_s);
}

/* --mode channels: the figures of one transport as JSON and as a table. */
static void put_channel_figures(json_t *obj, const char *name, const struct figures *fg)
{
	json_object_set_new(
		obj, name,
		json_pack("{s:f, s:I, s:I, s:i, s:f, s:f, s:f, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:i,"
			  " s:I, s:f, s:I, s:I, s:I}",
			  "startup_ms", fg->startup_ms, "idle_rss_kib", (json_int_t)fg->rss_kib,
			  "idle_anon_kib", (json_int_t)fg->anon_kib, "sessions", fg->opened, "open_s",
			  fg->open_s, "sessions_per_s", fg->open_per_s, "open_cpu_s_per_1000",
			  fg->open_cpu_per_1000, "open_rss_kib", (json_int_t)fg->open_rss_kib,
			  "open_anon_kib", (json_int_t)fg->open_anon_kib, "open_hwm_kib",
			  (json_int_t)fg->open_hwm_kib, "cpu_s_per_1000", fg->cpu_per_1000, "p50_ms",
			  fg->p50_ms, "p99_ms", fg->p99_ms, "answers_per_s", fg->per_s, "answers",
			  fg->answers, "hwm_kib", (json_int_t)fg->hwm_kib, "restart_ms",
			  fg->restart_ms, "restart_rss_kib", (json_int_t)fg->restart_rss_kib,
			  "restart_anon_kib", (json_int_t)fg->restart_anon_kib, "db_kib",
			  (json_int_t)fg->db_kib));
}

static void channel_table(const char *name, const struct figures *fg)
{
	printf("\n%s\n", name);
	printf("  fresh start-up to ready  %8.1f ms   idle VmRSS %6.1f MiB  RssAnon %6.1f MiB\n",
	       fg->startup_ms, fg->rss_kib / 1024.0, fg->anon_kib / 1024.0);
	printf("  %5d sessions opened    %8.1f s    %6.0f sessions/s  %7.3f CPU s per 1,000\n",
	       fg->opened, fg->open_s, fg->open_per_s, fg->open_cpu_per_1000);
	printf("  with them open           VmRSS %6.1f MiB  RssAnon %6.1f MiB  VmHWM %6.1f MiB\n",
	       fg->open_rss_kib / 1024.0, fg->open_anon_kib / 1024.0, fg->open_hwm_kib / 1024.0);
	printf("  %5d answers            p50 %6.2f ms  p99 %6.2f ms  %7.3f CPU s per 1,000"
	       "  %5.0f/s  VmHWM %6.1f MiB\n",
	       fg->answers, fg->p50_ms, fg->p99_ms, fg->cpu_per_1000, fg->per_s,
	       fg->hwm_kib / 1024.0);
	printf("  restart to ready         %8.1f ms   idle VmRSS %6.1f MiB  RssAnon %6.1f MiB"
	       "  (database %.1f MiB; median of %d)\n",
	       fg->restart_ms, fg->restart_rss_kib / 1024.0, fg->restart_anon_kib / 1024.0,
	       fg->db_kib / 1024.0, RESTARTS);
}

static int opt_int(const char *v, int lo, int hi, int *out)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (*end || n < lo || n > hi)
		return -1;
	*out = (int)n;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		int bad = 0;

		if (strcmp(k, "--bin") == 0)
			o->bin = v;
		else if (strcmp(k, "--fakes") == 0)
			o->fakes = v;
		else if (strcmp(k, "--dir") == 0)
			o->dir = v;
		else if (strcmp(k, "--results") == 0)
			o->results = v;
		else if (strcmp(k, "--channels") == 0)
			bad = opt_int(v, 1, MAX_CHANNELS, &o->channels);
		else if (strcmp(k, "--members") == 0)
			bad = opt_int(v, 1, 1000, &o->members);
		else if (strcmp(k, "--answers") == 0)
			bad = opt_int(v, 1, MAX_ANSWERS, &o->answers);
		else if (strcmp(k, "--inflight") == 0)
			bad = opt_int(v, 1, 1000, &o->inflight);
		else if (strcmp(k, "--open-inflight") == 0)
			bad = opt_int(v, 1, MAX_CHANNELS, &o->open_inflight);
		else if (strcmp(k, "--mode") == 0 && strcmp(v, "channels") == 0)
			o->channels_mode = true;
		else if (strcmp(k, "--mode") == 0)
			bad = strcmp(v, "load") != 0;
		else
			bad = 1;
		if (bad) {
			fprintf(stderr, "loadgen: bad option %s %s\n", k, v);
			return -1;
		}
	}
	if (!o->bin || !o->fakes || !o->dir) {
		fprintf(stderr, "usage: loadgen --bin WORKSHOPBOT --fakes DIR --dir TMPDIR "
				"[--results FILE] [--mode load|channels] [--channels 50|10000] "
				"[--members 20] [--answers 5000|one per channel] [--inflight 32] "
				"[--open-inflight 500]\n");
		return -1;
	}
	/* --mode channels: one answer per channel unless told */
	if (o->channels_mode && !o->channels)
		o->channels = MAX_CHANNELS;
	if (!o->channels)
		o->channels = 50;
	if (!o->answers)
		o->answers = o->channels_mode ? o->channels : 5000;
	if (!o->channels_mode && o->channels > MATRIX_MAX_ROOMS) {
		fprintf(stderr, "loadgen: --channels above %d needs --mode channels (Slack only): "
				"fake_matrix holds at most %d rooms\n", MATRIX_MAX_ROOMS, MATRIX_MAX_ROOMS);
		return -1;
	}
	return 0;
}

/* Appends TEXT as one line to the results file, if one was given. */
static void put_result(const struct opts *o, const char *text)
{
	FILE *f = o->results && text ? fopen(o->results, "a") : NULL;

	if (f) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
}

/* The default mode: each transport under load, then both in one process. */
static int bench_load(const struct opts *o)
{
	struct figures fg[3] = {{0}};
	json_t *line;
	char *text;
	int rc = 0;

	for (size_t t = 0; t < 2; t++)
		rc |= run_transport(&transports[t], o, &fg[t]);
	rc |= run_both(o, &fg[2]);
	line = json_pack("{s:I, s:i, s:i, s:i, s:i}", "time", (json_int_t)time(NULL), "channels",
			 o->channels, "members", o->members, "answers", o->answers, "inflight",
			 o->inflight);
	put_figures(line, "slack", &fg[0]);
	put_figures(line, "matrix", &fg[1]);
	put_figures(line, "both", &fg[2]);
	json_object_set_new(line, "ok", json_boolean(rc == 0));
	text = json_dumps(line, JSON_COMPACT);
	printf("%s\n", text);
	put_result(o, text);
	printf("\n%-7s %9s %9s %9s %9s %8s %7s %7s %8s\n", "", "start ms", "idle MiB", "anon MiB",
	       "peak MiB", "CPU s/1k", "p50 ms", "p99 ms", "ans/s");
	table_row("slack", &fg[0]);
	table_row("matrix", &fg[1]);
	table_row("both", &fg[2]);
	free(text);
	json_decref(line);
	return rc;
}

/* --mode channels: Slack with every channel's session open (fake_matrix holds at most
 * MATRIX_MAX_ROOMS rooms). */
static int bench_channels(const struct opts *o)
{
	struct figures fg = {0};
	json_t *line;
	char *text;
	int rc = run_channels(&transports[0], o, &fg);

	line = json_pack("{s:I, s:s, s:i, s:i, s:i, s:i, s:i}", "time", (json_int_t)time(NULL),
			 "mode", "channels", "channels", o->channels, "members", o->members,
			 "answers", o->answers, "inflight", o->inflight, "open_inflight",
			 o->open_inflight);
	put_channel_figures(line, "slack", &fg);
	json_object_set_new(line, "ok", json_boolean(rc == 0));
	text = json_dumps(line, JSON_COMPACT);
	printf("%s\n", text);
	put_result(o, text);
	channel_table("slack", &fg);
	free(text);
	json_decref(line);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {.members = 20, .inflight = 32, .open_inflight = 500};
	int rc;

	if (parse_opts(argc, argv, &o))
		return 2;
	signal(SIGPIPE, SIG_IGN);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	slack_map = json_object();
	rc = o.channels_mode ? bench_channels(&o) : bench_load(&o);
	json_decref(slack_map);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return rc ? 1 : 0;
}
