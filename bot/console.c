/* console.c - the terminal transport on the libuv loop: a tty or pipe is read as a
 * stream, a regular file with uv_fs_read; lines are bounded and must be valid UTF-8. */
#include "bot/console.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bot/bot.h"
#include "bot/buf.h"
#include "bot/err.h"
#include "bot/log.h"
#include "bot/store_sessions.h"
#include "handlers/flow.h"
#include "handlers/text.h"

/* The longest input line; longer lines are skipped with a message. */
#define LINE_MAX_BYTES (128 * 1024)
#define READ_CHUNK (64 * 1024)
#define SPEAKER_MAX 32

struct console {
	struct transport base;
	FILE *out;
	char *default_user;
	uv_handle_type input_kind;
	union {
		uv_tty_t tty;
		uv_pipe_t pipe;
	} stream;
	uv_fs_t fs_req;
	bool reading_file;     /* a uv_fs_read is in flight */
	char chunk[READ_CHUNK];
	struct buf line;
	bool line_too_long;
	unsigned long line_no;
	bool interactive;      /* stdin is a terminal */
	bool stopped;
};

const char *console_split_speaker(const char *line, char *name, size_t len)
{
	size_t n = 0;

	while (n < SPEAKER_MAX && (line[n] == '.' || line[n] == '_' || line[n] == '-' ||
				   (line[n] >= 'a' && line[n] <= 'z') ||
				   (line[n] >= 'A' && line[n] <= 'Z') ||
				   (line[n] >= '0' && line[n] <= '9')))
		n++;
	if (n == 0 || line[n] != '>' || n >= len)
		return NULL;
	memcpy(name, line, n);
	name[n] = '\0';
	return line + n + 1 + (line[n + 1] == ' ');
}

/* Prints a message: first line after "workshopbot: " (or, for a direct message,
 * "workshopbot (direct to NAME): "), the rest indented. */
static void print_message(struct console *c, const char *direct_to, const char *text)
{
	if (direct_to)
		fprintf(c->out, "workshopbot (direct to %s): ", direct_to);
	else
		fputs("workshopbot: ", c->out);
	for (const char *p = text; *p; p++) {
		fputc(*p, c->out);
		if (*p == '\n')
			fputs("  ", c->out);
	}
	fputs("\n\n", c->out);
	fflush(c->out);
}

static void handle_line(struct console *c, const char *line)
{
	char speaker[SPEAKER_MAX + 1], ref[32];
	const char *text = console_split_speaker(line, speaker, sizeof speaker);
	struct event ev;

	if (!text) {
		snprintf(speaker, sizeof speaker, "%s", c->default_user);
		text = line;
	}
	if (!c->interactive) {
		fprintf(c->out, "%s> %s\n", speaker, text);
		fflush(c->out);
	}
	snprintf(ref, sizeof ref, "line:%lu", c->line_no);
	ev = (struct event){
		.kind = EVENT_MESSAGE,
		.transport = "console",
		.channel = CONSOLE_CHANNEL,
		.user = speaker,
		.user_name = speaker,
		.text = text,
		.ref = ref,
		.answers_open = true,
	};
	bot_event(c->base.bot, &c->base, &ev);
	/* A terminal conversation: each line is answered before the next is read. */
	bot_settle(c->base.bot);
}

/* Called for each complete line (without its newline). */
static void end_line(struct console *c)
{
	c->line_no++;
	if (c->line_too_long) {
		fprintf(c->out, "workshopbot: line %lu is longer than %d bytes and was skipped.\n\n",
			c->line_no, LINE_MAX_BYTES);
		log_warn("console", "line %lu is too long; skipped", c->line_no);
	} else if (c->line.len && c->line.data[c->line.len - 1] == '\r') {
		c->line.data[--c->line.len] = '\0';
	}
	if (!c->line_too_long && c->line.len) {
		if (text_valid_utf8(c->line.data, c->line.len))
			handle_line(c, c->line.data);
		else {
			fprintf(c->out, "workshopbot: line %lu is not valid UTF-8 text and was "
					"skipped.\n\n", c->line_no);
			log_warn("console", "line %lu is not valid UTF-8; skipped", c->line_no);
		}
	}
	buf_reset(&c->line);
	c->line_too_long = false;
}

static void feed(struct console *c, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !c->stopped; i++) {
		if (data[i] == '\n') {
			end_line(c);
			continue;
		}
		if (c->line_too_long)
			continue;
		buf_putc(&c->line, data[i]);
		if (c->line.failed)
			c->line_too_long = true;
	}
}

static void end_of_input(struct console *c)
{
	if (!c->stopped && (c->line.len || c->line_too_long))
		end_line(c);
	if (!c->stopped)
		bot_stop(c->base.bot, 0);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *out)
{
	struct console *c = h->data;

	(void)suggested;
	*out = uv_buf_init(c->chunk, sizeof c->chunk);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct console *c = s->data;

	if (nread > 0) {
		feed(c, b->base, (size_t)nread);
	} else if (nread == UV_EOF) {
		end_of_input(c);
	} else if (nread < 0) {
		log_err("console", "reading standard input: %s", uv_strerror((int)nread));
		bot_stop(c->base.bot, 1);
	}
}

static void read_file_chunk(struct console *c);

static void on_fs_read(uv_fs_t *req)
{
	struct console *c = req->data;
	ssize_t n = req->result;

	uv_fs_req_cleanup(req);
	c->reading_file = false;
	if (n > 0) {
		feed(c, c->chunk, (size_t)n);
		if (!c->stopped)
			read_file_chunk(c);
	} else if (n == 0) {
		end_of_input(c);
	} else if (n == UV_ECANCELED && c->stopped) {
		/* the read cancelled by a stop (e.g. after a database fault): nothing to say */
	} else {
		log_err("console", "reading standard input: %s", uv_strerror((int)n));
		bot_stop(c->base.bot, 1);
	}
}

static void read_file_chunk(struct console *c)
{
	uv_buf_t b = uv_buf_init(c->chunk, sizeof c->chunk);
	int rc;

	c->fs_req.data = c;
	rc = uv_fs_read(&c->base.bot->loop, &c->fs_req, 0, &b, 1, -1, on_fs_read);

	if (rc) {
		log_err("console", "reading standard input: %s", uv_strerror(rc));
		bot_stop(c->base.bot, 1);
		return;
	}
	c->reading_file = true;
}

/* Tells a returning user where the open session stands. */
static void greet(struct console *c)
{
	struct bot *b = c->base.bot;
	struct session_rec s;
	const struct template *t;

	if (c->interactive)
		fprintf(c->out, "workshopbot console. Commands start with !ws (try !ws help); a "
				"line \"name> text\" speaks as name. Ctrl-D quits.\n\n");
	if (store_session_open_in(b->store, "console", CONSOLE_CHANNEL, &s) != 0)
		return;
	t = template_set_find(b->templates, s.template_id);
	if (t)
		fprintf(c->out, "workshopbot: Session #%lld continues at question %zu of %zu "
				"(%s). !ws status shows where it stands.\n\n",
			(long long)s.id, flow_number(t, s.prompt_index), flow_count(t),
			session_state_name(s.state));
	fflush(c->out);
}

static int console_start(struct transport *t)
{
	struct console *c = (struct console *)t;
	uv_loop_t *loop = &t->bot->loop;
	uv_stream_t *stream;
	int rc;

	c->input_kind = uv_guess_handle(0);
	c->interactive = c->input_kind == UV_TTY;
	greet(c);
	if (c->input_kind == UV_FILE) {
		read_file_chunk(c);
		return 0;
	}
	if (c->input_kind == UV_TTY)
		rc = uv_tty_init(loop, &c->stream.tty, 0, 1);
	else if (c->input_kind == UV_NAMED_PIPE && (rc = uv_pipe_init(loop, &c->stream.pipe, 0)) == 0)
		rc = uv_pipe_open(&c->stream.pipe, 0);
	else
		rc = UV_EINVAL;
	if (rc) {
		log_err("console", "cannot read standard input: %s", uv_strerror(rc));
		return BOT_ERR_IO;
	}
	stream = (uv_stream_t *)&c->stream;
	stream->data = c;
	rc = uv_read_start(stream, on_alloc, on_read);
	if (rc) {
		log_err("console", "cannot read standard input: %s", uv_strerror(rc));
		uv_close((uv_handle_t *)stream, NULL);
		return BOT_ERR_IO;
	}
	return 0;
}

static void console_stop(struct transport *t)
{
	struct console *c = (struct console *)t;
	uv_handle_t *h = (uv_handle_t *)&c->stream;

	if (c->stopped)
		return;
	c->stopped = true;
	if (c->input_kind == UV_FILE) {
		if (c->reading_file)
			uv_cancel((uv_req_t *)&c->fs_req);
		return;
	}
	if ((c->input_kind == UV_TTY || c->input_kind == UV_NAMED_PIPE) && h->loop &&
	    !uv_is_closing(h)) {
		if (c->input_kind == UV_TTY)
			uv_tty_reset_mode();
		uv_close(h, NULL);
	}
}

static int console_send(struct transport *t, const struct outbox_rec *rec, const struct msg *m)
{
	struct console *c = (struct console *)t;
	char *text;
	char ref[32];

	/* A terminal cannot show a form or rewrite an earlier line. */
	if (!m || rec->kind == OUTBOX_UPDATE) {
		bot_sent(t->bot, rec->id, NULL);
		return 0;
	}
	text = msg_render_plain(m);
	if (!text)
		return BOT_ERR_NOMEM;
	print_message(c, rec->kind == OUTBOX_DIRECT ? rec->channel : NULL, text);
	free(text);
	snprintf(ref, sizeof ref, "console:%lld", (long long)rec->id);
	bot_sent(t->bot, rec->id, ref);
	return 0;
}

static void console_free(struct transport *t)
{
	struct console *c = (struct console *)t;

	buf_free(&c->line);
	free(c->default_user);
	free(c);
}

static const struct transport_ops console_ops = {
	.name = "console",
	.start = console_start,
	.stop = console_stop,
	.send = console_send,
	.free = console_free,
};

struct transport *console_new(const char *default_user, FILE *out)
{
	struct console *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->base.ops = &console_ops;
	c->out = out;
	c->default_user = strdup(default_user);
	buf_init(&c->line, LINE_MAX_BYTES);
	if (!c->default_user) {
		free(c);
		return NULL;
	}
	return &c->base;
}
