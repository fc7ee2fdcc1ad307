/* fake_wsclient.c - a minimal websocket client for testing the fake servers.
 *
 *   fake_wsclient [options] ws://127.0.0.1:PORT/PATH?QUERY
 *
 * Prints every text message it receives on stdout, one per line (flushed), and sends
 * every line of stdin as a text frame (masked, as RFC 6455 requires of clients). Lines
 * starting with '/' are commands:
 *   /ping TEXT          a ping with TEXT as payload
 *   /binary TEXT        a binary frame
 *   /frag N TEXT        TEXT as a message of N-byte frames
 *   /unmasked TEXT      an unmasked text frame (a protocol violation, for tests)
 *   /close [CODE [WHY]] a close frame (default 1000)
 * Pings from the server are answered with pongs (unless --no-pong). Events go to stderr
 * as "event: ..." lines: open, text BYTES FRAMES, binary BYTES FRAMES, ping PAYLOAD,
 * pong PAYLOAD, close CODE REASON, eof clean|abrupt|midframe, reset.
 *
 * Exit status: 0 the connection ended with a close frame from the server; 1 connect or
 * handshake failure; 2 usage; 3 the connection dropped without a close frame; 4 it
 * dropped in the middle of a frame; 5 the server broke the protocol; 6 --max-seconds
 * passed. Plain POSIX sockets and poll(): this is deliberately not the fakes' libuv code,
 * so it checks the server from the outside; only the SHA-1/base64 helpers are shared
 * (and they are checked against RFC vectors by fake_slack --check-codecs). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/fakes/lib/fake_buf.h"
#include "tests/fakes/lib/fake_codec.h"

#define MAX_LINE    (16u * 1024 * 1024)
#define MAX_MESSAGE (64u * 1024 * 1024)
#define MAX_HEAD    (16 * 1024)

enum { EXIT_CLEAN = 0, EXIT_CONNECT = 1, EXIT_USAGE = 2, EXIT_DROPPED = 3, EXIT_MIDFRAME = 4,
       EXIT_PROTOCOL = 5, EXIT_TIMEOUT = 6 };

struct client {
	int fd;
	bool no_pong, close_on_eof, close_sent, close_received;
	long fragment;
	struct fake_buf in, msg, line;
	int msg_op;
	unsigned msg_frames;
	uint64_t rng;
	struct timespec deadline;
};

static uint64_t rnd(struct client *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

static int send_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(struct client *c, bool fin, int op, const void *data, size_t len,
		      bool masked)
{
	struct fake_buf b;
	unsigned char h[14], mask[4];
	size_t hl = 2, i;
	uint64_t r = rnd(c);
	int rc = -1;

	h[0] = (unsigned char)((fin ? 0x80 : 0) | op);
	if (len < 126) {
		h[1] = (unsigned char)len;
	} else if (len <= 0xffff) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	if (masked) {
		h[1] |= 0x80;
		for (i = 0; i < 4; i++)
			mask[i] = (unsigned char)(r >> (8 * i));
		memcpy(h + hl, mask, 4);
		hl += 4;
	}
	fake_buf_init(&b, len + hl);
	if (fake_buf_append(&b, h, hl) || fake_buf_append(&b, data, len))
		goto out;
	if (masked)
		for (i = 0; i < len; i++)
			b.data[hl + i] ^= (char)mask[i & 3];
	rc = send_all(c->fd, b.data, b.len);
out:
	fake_buf_free(&b);
	return rc;
}

static int send_message(struct client *c, int op, const char *data, size_t len, long fragment)
{
	size_t off = 0;
	bool first = true;

	if (fragment <= 0 || (size_t)fragment >= len)
		return send_frame(c, true, op, data, len, true);
	while (off < len || first) {
		size_t n = len - off < (size_t)fragment ? len - off : (size_t)fragment;

		if (send_frame(c, off + n >= len, first ? op : 0, data + off, n, true))
			return -1;
		first = false;
		off += n;
	}
	return 0;
}

static int send_close(struct client *c, int code, const char *why)
{
	char p[125];
	size_t n = strlen(why);

	if (n > 123)
		n = 123;
	p[0] = (char)(code >> 8);
	p[1] = (char)code;
	memcpy(p + 2, why, n);
	c->close_sent = true;
	return send_frame(c, true, 8, p, n + 2, true);
}

/* One line from stdin (without the newline). */
static int handle_line(struct client *c, char *line, size_t len)
{
	char *rest;
	long n;

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (line[0] != '/')
		return send_message(c, 1, line, len, c->fragment);
	rest = strchr(line, ' ');
	rest = rest ? rest + 1 : line + len;
	if (strncmp(line, "/ping", 5) == 0)
		return send_frame(c, true, 9, rest, strlen(rest) > 125 ? 125 : strlen(rest), true);
	if (strncmp(line, "/binary", 7) == 0)
		return send_message(c, 2, rest, strlen(rest), c->fragment);
	if (strncmp(line, "/unmasked", 9) == 0)
		return send_frame(c, true, 1, rest, strlen(rest), false);
	if (strncmp(line, "/frag", 5) == 0) {
		n = strtol(rest, &rest, 10);
		if (n < 1 || *rest != ' ') {
			fprintf(stderr, "fake_wsclient: usage: /frag N TEXT\n");
			return 0;
		}
		rest++;
		return send_message(c, 1, rest, strlen(rest), n);
	}
	if (strncmp(line, "/close", 6) == 0) {
		n = *rest ? strtol(rest, &rest, 10) : 1000;
		while (*rest == ' ')
			rest++;
		return send_close(c, (int)n, rest);
	}
	fprintf(stderr, "fake_wsclient: unknown command %s\n", line);
	return 0;
}

static void print_payload(const char *what, const unsigned char *p, size_t len)
{
	size_t i;

	fprintf(stderr, "event: %s ", what);
	for (i = 0; i < len; i++)
		fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', stderr);
	fputc('\n', stderr);
}

/* Parses frames from c->in. Returns -1 to go on, or an exit status. */
static int handle_frames(struct client *c)
{
	size_t pos = 0;
	int result = -1;

	while (result < 0) {
		unsigned char *p = (unsigned char *)c->in.data + pos;
		size_t avail = c->in.len - pos, hl = 2, plen, i;
		int op, fin;

		if (avail < 2)
			break;
		fin = p[0] & 0x80;
		op = p[0] & 0x0f;
		plen = p[1] & 0x7f;
		if (p[1] & 0x80) {
			fprintf(stderr, "fake_wsclient: the server sent a masked frame\n");
			result = EXIT_PROTOCOL;
			break;
		}
		if (p[0] & 0x70) {
			fprintf(stderr, "fake_wsclient: the server set reserved bits\n");
			result = EXIT_PROTOCOL;
			break;
		}
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
			if (v > MAX_MESSAGE) {
				fprintf(stderr, "fake_wsclient: frame of %llu bytes is too big\n",
					(unsigned long long)v);
				result = EXIT_PROTOCOL;
				break;
			}
			plen = (size_t)v;
			hl = 10;
		}
		if (avail - hl < plen)
			break;
		pos += hl + plen;
		p += hl;
		if (op >= 8 && (!fin || plen > 125)) {
			fprintf(stderr, "fake_wsclient: bad control frame from the server\n");
			result = EXIT_PROTOCOL;
		} else if (op == 9) {
			print_payload("ping", p, plen);
			if (!c->no_pong && !c->close_sent)
				send_frame(c, true, 10, p, plen, true);
		} else if (op == 10) {
			print_payload("pong", p, plen);
		} else if (op == 8) {
			int code = plen >= 2 ? p[0] << 8 | p[1] : 1005;

			fprintf(stderr, "event: close %d ", code);
			if (plen > 2)
				fwrite(p + 2, 1, plen - 2, stderr);
			fputc('\n', stderr);
			c->close_received = true;
			if (!c->close_sent)
				send_close(c, code == 1005 ? 1000 : code, "");
		} else if (op == 0 || op == 1 || op == 2) {
			if ((op == 0) != (c->msg_op != 0)) {
				fprintf(stderr, "fake_wsclient: bad fragment sequence (opcode %d)\n", op);
				result = EXIT_PROTOCOL;
				break;
			}
			if (op)
				c->msg_op = op;
			if (fake_buf_append(&c->msg, p, plen)) {
				fprintf(stderr, "fake_wsclient: message too big\n");
				result = EXIT_PROTOCOL;
				break;
			}
			c->msg_frames++;
			if (fin) {
				if (c->msg_op == 1) {
					if (!fake_codec_utf8_valid(c->msg.data ? c->msg.data : "",
								   c->msg.len))
						fprintf(stderr, "fake_wsclient: text is not UTF-8\n");
					fwrite(c->msg.data ? c->msg.data : "", 1, c->msg.len, stdout);
					fputc('\n', stdout);
					fflush(stdout);
				}
				fprintf(stderr, "event: %s %zu %u\n", c->msg_op == 1 ? "text" : "binary",
					c->msg.len, c->msg_frames);
				fake_buf_reset(&c->msg);
				c->msg_op = 0;
				c->msg_frames = 0;
			}
		} else {
			fprintf(stderr, "fake_wsclient: unknown opcode %d from the server\n", op);
			result = EXIT_PROTOCOL;
		}
	}
	fake_buf_consume(&c->in, pos);
	return result;
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {0}, *res, *ai;
	int fd = -1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Sends the upgrade request and checks the answer; bytes after it stay in c->in. */
static int handshake(struct client *c, const char *hostport, const char *path, const char *key)
{
	char req[4096 + 512], want[29], *line_end, *p;
	size_t head_len = 0;
	int n;

	n = snprintf(req, sizeof req,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		     "User-Agent: fake_wsclient\r\n\r\n",
		     path, hostport, key);
	if (n < 0 || (size_t)n >= sizeof req || send_all(c->fd, req, (size_t)n))
		return -1;
	while (head_len == 0) {
		struct pollfd pfd = {c->fd, POLLIN, 0};
		char buf[4096];
		ssize_t r;
		size_t i;

		if (poll(&pfd, 1, (int)ms_left(&c->deadline)) <= 0) {
			fprintf(stderr, "fake_wsclient: no handshake answer\n");
			return -1;
		}
		r = recv(c->fd, buf, sizeof buf, 0);
		if (r <= 0 || fake_buf_append(&c->in, buf, (size_t)r) || c->in.len > MAX_HEAD) {
			fprintf(stderr, "fake_wsclient: handshake failed: %s\n",
				c->in.len ? c->in.data : "connection closed");
			return -1;
		}
		for (i = 0; i + 3 < c->in.len; i++)
			if (memcmp(c->in.data + i, "\r\n\r\n", 4) == 0) {
				head_len = i + 4;
				break;
			}
	}
	line_end = strstr(c->in.data, "\r\n");
	if (strncmp(c->in.data, "HTTP/1.1 101", 12) != 0) {
		*line_end = '\0';
		fprintf(stderr, "fake_wsclient: handshake failed: %s\n", c->in.data);
		return -1;
	}
	if (fake_codec_ws_accept(key, want) != 0)
		return -1;
	for (p = line_end + 2; p < c->in.data + head_len - 2; p = strstr(p, "\r\n") + 2) {
		if (strncasecmp(p, "Sec-WebSocket-Accept:", 21) == 0) {
			char *v = p + 21;

			while (*v == ' ')
				v++;
			if (strncmp(v, want, 28) != 0 || (v[28] != '\r' && v[28] != ' ')) {
				fprintf(stderr, "fake_wsclient: wrong Sec-WebSocket-Accept\n");
				return -1;
			}
			fake_buf_consume(&c->in, head_len);
			fprintf(stderr, "event: open\n");
			return 0;
		}
	}
	fprintf(stderr, "fake_wsclient: no Sec-WebSocket-Accept header\n");
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: fake_wsclient [--max-seconds N] [--key KEY] [--fragment N] "
			"[--no-pong] [--close-on-eof] ws://HOST:PORT/PATH\n");
}

int main(int argc, char **argv)
{
	struct client c = {.fd = -1};
	const char *url = NULL, *key_opt = NULL;
	char host[256], port[16], hostport[300], key[32], path[4096];
	const char *p, *slash, *colon;
	long max_seconds = 30;
	bool stdin_open = true;
	int result = -1, i;
	unsigned char raw[16];

	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
			max_seconds = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
			key_opt = argv[++i];
		} else if (strcmp(argv[i], "--fragment") == 0 && i + 1 < argc) {
			c.fragment = strtol(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--no-pong") == 0) {
			c.no_pong = true;
		} else if (strcmp(argv[i], "--close-on-eof") == 0) {
			c.close_on_eof = true;
		} else if (argv[i][0] != '-' && !url) {
			url = argv[i];
		} else {
			usage();
			return EXIT_USAGE;
		}
	}
	if (!url || strncmp(url, "ws://", 5) != 0 || max_seconds < 1 || max_seconds > 3600) {
		usage();
		return EXIT_USAGE;
	}
	p = url + 5;
	slash = strchr(p, '/');
	colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
	if (!colon || (size_t)(colon - p) >= sizeof host ||
	    (size_t)((slash ? slash : p + strlen(p)) - colon - 1) >= sizeof port ||
	    strlen(slash ? slash : "/") >= sizeof path) {
		usage();
		return EXIT_USAGE;
	}
	snprintf(host, sizeof host, "%.*s", (int)(colon - p), p);
	snprintf(port, sizeof port, "%.*s", (int)((slash ? slash : p + strlen(p)) - colon - 1),
		 colon + 1);
	snprintf(hostport, sizeof hostport, "%s:%s", host, port);
	snprintf(path, sizeof path, "%s", slash ? slash : "/");

	clock_gettime(CLOCK_MONOTONIC, &c.deadline);
	c.rng = (uint64_t)c.deadline.tv_nsec ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ULL;
	c.deadline.tv_sec += max_seconds;
	fake_buf_init(&c.in, MAX_MESSAGE + 65536);
	fake_buf_init(&c.msg, MAX_MESSAGE);
	fake_buf_init(&c.line, MAX_LINE);
	if (key_opt) {
		snprintf(key, sizeof key, "%s", key_opt);
	} else {
		for (i = 0; i < 16; i++)
			raw[i] = (unsigned char)rnd(&c);
		fake_codec_b64_encode(raw, sizeof raw, key, sizeof key);
	}

	c.fd = connect_to(host, port);
	if (c.fd < 0) {
		fprintf(stderr, "fake_wsclient: cannot connect to %s\n", hostport);
		result = EXIT_CONNECT;
		goto out;
	}
	if (handshake(&c, hostport, path, key)) {
		result = EXIT_CONNECT;
		goto out;
	}
	result = handle_frames(&c);
	while (result < 0) {
		struct pollfd pfd[2] = {{c.fd, POLLIN, 0}, {0, POLLIN, 0}};
		long left = ms_left(&c.deadline);
		char buf[65536];
		ssize_t n;

		if (left == 0) {
			fprintf(stderr, "event: timeout\n");
			result = EXIT_TIMEOUT;
			break;
		}
		if (poll(pfd, stdin_open ? 2 : 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			result = EXIT_PROTOCOL;
			break;
		}
		if (pfd[0].revents) {
			n = recv(c.fd, buf, sizeof buf, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (n < 0)
					fprintf(stderr, "event: reset\n");
				if (c.close_received) {
					fprintf(stderr, "event: eof clean\n");
					result = EXIT_CLEAN;
				} else if (c.in.len > 0) {
					fprintf(stderr, "event: eof midframe %zu\n", c.in.len);
					result = EXIT_MIDFRAME;
				} else {
					fprintf(stderr, "event: eof abrupt\n");
					result = EXIT_DROPPED;
				}
				break;
			}
			if (fake_buf_append(&c.in, buf, (size_t)n)) {
				result = EXIT_PROTOCOL;
				break;
			}
			result = handle_frames(&c);
		}
		if (result < 0 && stdin_open && pfd[1].revents) {
			char *nl;

			n = read(0, buf, sizeof buf);
			if (n <= 0) {
				stdin_open = false;
				if (c.line.len)
					handle_line(&c, c.line.data, c.line.len);
				fake_buf_reset(&c.line);
				if (c.close_on_eof && !c.close_sent)
					send_close(&c, 1000, "bye");
				continue;
			}
			if (fake_buf_append(&c.line, buf, (size_t)n)) {
				fprintf(stderr, "fake_wsclient: input line too long\n");
				result = EXIT_USAGE;
				break;
			}
			while ((nl = memchr(c.line.data, '\n', c.line.len)) != NULL) {
				size_t len = (size_t)(nl - c.line.data);

				*nl = '\0';
				if (handle_line(&c, c.line.data, len))
					fprintf(stderr, "fake_wsclient: send failed\n");
				fake_buf_consume(&c.line, len + 1);
			}
		}
	}
out:
	if (c.fd >= 0)
		close(c.fd);
	fake_buf_free(&c.in);
	fake_buf_free(&c.msg);
	fake_buf_free(&c.line);
	return result;
}
