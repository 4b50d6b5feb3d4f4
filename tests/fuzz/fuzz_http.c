/*
 * libFuzzer target for the request path: bytes in, response out, through
 * the real supervisor/http.c, router.c, agent.c, auth.c and metrics.c with
 * the fake pool of fake_pool.c.  One listener is made at start; each input
 * is written by a client socket in pieces, the loop turns until the daemon
 * closes, and what came back must parse as a stream of HTTP responses with
 * no connection, request or plugin call left behind.
 *
 * The first input byte picks the set-up (auth, signed ids, tiny limits,
 * draining, how the client writes and closes), the second where the first
 * write ends; the rest is what the client sends.  FUZZ_HTTP_DUMP in the
 * environment prints what came back.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <http_parser.h>

#include "nebula-plugind.h"
#include "fake.h"

#define FUZZ_MAX_INPUT	(256 * 1024)
#define FUZZ_MAX_TURNS	20000
#define FUZZ_TOKEN1	"fuzz-token-one"
#define FUZZ_TOKEN2	"fuzz-token-two"
#define FUZZ_RID_KEY	"fuzz-rid-key-0123456789abcdef0123456789"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum {
	MODE_AUTH = 0x03,	/* 0 open, 1 tokens, 2 private metrics */
	MODE_KEYS = 0x04,	/* signed resource ids */
	MODE_TINY = 0x08,	/* tiny limits */
	MODE_DRAIN = 0x10,	/* /readyz says draining */
	MODE_ABRUPT = 0x20,	/* close the client without reading */
	MODE_CHUNKS = 0xc0	/* how the client writes */
};

static struct {
	int			 ready;
	struct ev_loop		*loop;
	struct sockaddr_in	 addr;
	struct config		 conf;
	struct plugin_conf	 plugins[3];
	struct auth		*auth_public;	/* /metrics open */
	struct auth		*auth_private;	/* /metrics needs a token */
	struct rid_keys		 keys;
	struct limits_conf	 normal;
	struct limits_conf	 tiny;
	char			*out;
	size_t			 outlen;
	size_t			 outcap;
	int			 responses;
	int			 dump;		/* FUZZ_HTTP_DUMP: print output */
} fz;

static void
fuzz_die(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

static void
fuzz_write_file(const char *path, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF)
		fuzz_die("cannot write a tokens file");
}

/* Loads the tokens through auth_new() from files in a scratch directory. */
static void
fuzz_auth_init(void)
{
	char	 dir[] = "/tmp/nebula-fuzz-XXXXXX", all[64], one[64], err[256];

	if (mkdtemp(dir) == NULL)
		fuzz_die("mkdtemp");
	snprintf(all, sizeof(all), "%s/tokens", dir);
	snprintf(one, sizeof(one), "%s/sleep.tokens", dir);
	fuzz_write_file(all, "# the fuzzer's tokens\n" FUZZ_TOKEN1 "\n"
	    FUZZ_TOKEN2 "\n");
	fuzz_write_file(one, FUZZ_TOKEN2 "\n");
	fz.plugins[0].pc_name = "echo";
	fz.plugins[1].pc_name = "sleep";
	fz.plugins[1].pc_tokens_file = one;
	fz.plugins[2].pc_name = "down";
	fz.conf.cf_plugins = fz.plugins;
	fz.conf.cf_nplugins = 3;
	fz.conf.cf_tokens_file = all;
	fz.conf.cf_metrics_public = 1;
	if ((fz.auth_public = auth_new(&fz.conf, err, sizeof(err))) == NULL)
		fuzz_die(err);
	fz.conf.cf_metrics_public = 0;
	if ((fz.auth_private = auth_new(&fz.conf, err, sizeof(err))) == NULL)
		fuzz_die(err);
	unlink(all);
	unlink(one);
	rmdir(dir);
	fz.conf.cf_tokens_file = NULL;
	fz.plugins[1].pc_tokens_file = NULL;
}

/* Finds the port of the one listening socket listen_add() made. */
static void
fuzz_find_listener(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len;
	int			 fd, on;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(on);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
		    !on)
			continue;
		len = sizeof(sin);
		if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1 ||
		    sin.sin_family != AF_INET)
			continue;
		fz.addr = sin;
		return;
	}
	fuzz_die("no listening socket");
}

static void
fuzz_init(void)
{
	struct pool	**pools;
	size_t		  npools;
	char		  err[256];

	signal(SIGPIPE, SIG_IGN);
	fz.dump = getenv("FUZZ_HTTP_DUMP") != NULL;
	fz.loop = ev_default_loop(0);
	fz.normal.max_body_bytes = 65536;
	fz.normal.max_connections = 64;
	fz.normal.header_timeout = 10;
	fz.normal.body_timeout = 30;
	fz.normal.idle_timeout = 60;
	fz.normal.max_header_bytes = 16384;
	fz.normal.max_line_bytes = NP_DEFAULT_MAX_LINE;
	fz.tiny = fz.normal;
	fz.tiny.max_body_bytes = 64;
	fz.tiny.max_header_bytes = 200;
	fuzz_auth_init();
	fz.keys.keys[0] = strdup(FUZZ_RID_KEY);
	fz.keys.keylens[0] = strlen(FUZZ_RID_KEY);
	fz.keys.nkeys = 1;
	http_set_router(router_dispatch, router_abort);
	if (http_init(fz.loop, &fz.normal) == -1 ||
	    listen_add("127.0.0.1:0", err, sizeof(err)) == -1)
		fuzz_die(err);
	fuzz_find_listener();
	pools = fake_pools_init(fz.loop, &npools);
	call_set_pools(pools, npools);
	router_add(&rest_table);
	router_add(&probe_table);
	fz.ready = 1;
}

/* Applies the set-up the mode byte asks for. */
static void
fuzz_setup(uint8_t mode)
{
	struct auth	*a = NULL;

	switch (mode & MODE_AUTH) {
	case 1:
	case 3:
		a = fz.auth_public;
		break;
	case 2:
		a = fz.auth_private;
		break;
	}
	call_init(fz.loop, mode & MODE_KEYS ? &fz.keys : NULL, a);
	http_set_limits(mode & MODE_TINY ? &fz.tiny : &fz.normal);
	call_set_draining((mode & MODE_DRAIN) != 0);
}

/*
 * Connects a client.  Millions of short connections can run into a port
 * still in TIME_WAIT on the daemon's side: the machine's limits, not the
 * daemon's, so a failed connect is tried again a while before giving up.
 */
static int
fuzz_connect(void)
{
	int	 fd, i, saved = 0;

	for (i = 0; i < 2000; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1)
			fuzz_die("socket");
		if (connect(fd, (struct sockaddr *)&fz.addr,
		    sizeof(fz.addr)) == 0) {
			if (fcntl(fd, F_SETFL, O_NONBLOCK) == -1)
				fuzz_die("fcntl");
			return fd;
		}
		saved = errno;
		close(fd);
		ev_run(fz.loop, EVRUN_NOWAIT);
		usleep(1000);
	}
	fprintf(stderr, "fuzz_http: connect: %s\n", strerror(saved));
	abort();
}

/* How much the client writes next. */
static size_t
fuzz_chunk(uint8_t mode, uint8_t split, size_t off, size_t left)
{
	size_t	 n = left;

	switch ((mode & MODE_CHUNKS) >> 6) {
	case 1:		/* two pieces */
		if (off == 0)
			n = split;
		break;
	case 2:		/* small pieces */
		n = 1 + (off * 31 + split) % 13;
		break;
	case 3:		/* byte by byte at first */
		if (off < split)
			n = 1;
		break;
	}
	return n == 0 || n > left ? left : n;
}

/* Keeps what the daemon sent, up to a bound. */
static int
fuzz_read(int fd)
{
	char	 tmp[16384];
	ssize_t	 n;
	char	*p;

	for (;;) {
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n == -1 && errno == ECONNRESET)
			return -1;
		if (n == -1)
			fuzz_die("recv");
		if (n == 0)
			return 1;
		if (fz.outlen + (size_t)n > fz.outcap) {
			if (fz.outcap >= 64 * 1024 * 1024)
				fuzz_die("endless output");
			p = realloc(fz.out, (fz.outlen + (size_t)n) * 2);
			if (p == NULL)
				fuzz_die("realloc");
			fz.out = p;
			fz.outcap = (fz.outlen + (size_t)n) * 2;
		}
		memcpy(fz.out + fz.outlen, tmp, (size_t)n);
		fz.outlen += (size_t)n;
	}
}

static int
fuzz_on_response(http_parser *p)
{
	(void)p;
	fz.responses++;
	return 0;
}

/* What came back must be well-framed HTTP/1.1 responses, in full. */
static void
fuzz_check_output(void)
{
	http_parser_settings	 s;
	http_parser		 p;
	size_t			 n;

	memset(&s, 0, sizeof(s));
	s.on_message_complete = fuzz_on_response;
	http_parser_init(&p, HTTP_RESPONSE);
	fz.responses = 0;
	n = http_parser_execute(&p, &s, fz.out, fz.outlen);
	if (n != fz.outlen || HTTP_PARSER_ERRNO(&p) != HPE_OK) {
		fprintf(stderr, "fuzz_http: bad response stream at %zu of %zu: "
		    "%s\n%.*s\n", n, fz.outlen,
		    http_errno_description(HTTP_PARSER_ERRNO(&p)),
		    (int)(fz.outlen < 2048 ? fz.outlen : 2048), fz.out);
		abort();
	}
	if (fz.outlen > 0 && strncmp(fz.out, "HTTP/1.1 ", 9) != 0)
		fuzz_die("output does not start with a status line");
	/* it must not end inside a response */
	if (http_parser_execute(&p, &s, NULL, 0) != 0 ||
	    HTTP_PARSER_ERRNO(&p) != HPE_OK)
		fuzz_die("output ends inside a response");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 off = 0, n;
	ssize_t	 w;
	int	 fd, turn, done = 0, reset = 0, writing = 1, rc;
	uint8_t	 mode, split;
	char	 peek;

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	if (!fz.ready)
		fuzz_init();
	mode = data[0];
	split = data[1];
	data += 2;
	size -= 2;
	fuzz_setup(mode);
	fz.outlen = 0;
	fd = fuzz_connect();
	for (turn = 0; turn < FUZZ_MAX_TURNS && !done; turn++) {
		if (writing && fd != -1) {
			n = fuzz_chunk(mode, split, off, size - off);
			w = n ? send(fd, data + off, n, MSG_NOSIGNAL) : 0;
			if (w > 0)
				off += (size_t)w;
			else if (w == -1 && errno != EAGAIN && errno != EINTR)
				writing = 0;	/* the daemon closed first */
			if (off == size || !writing) {
				writing = 0;
				if (!(mode & MODE_ABRUPT))
					shutdown(fd, SHUT_WR);
			}
		} else if (fd != -1 && (mode & MODE_ABRUPT) && (turn > 50 ||
		    recv(fd, &peek, 1, MSG_PEEK | MSG_DONTWAIT) == 1)) {
			/* gone with answers unread: the daemon gets a reset */
			close(fd);
			fd = -1;
		}
		ev_run(fz.loop, EVRUN_NOWAIT);
		if (fd != -1 && (mode & MODE_ABRUPT))
			continue;
		if (fd != -1 && (rc = fuzz_read(fd)) != 0) {
			done = 1;
			reset = rc == -1;
		}
		if (fd == -1 && http_connections() == 0 &&
		    fake_pool_calls() == 0)
			done = 1;
	}
	if (fz.dump)
		fprintf(stderr, "fuzz_http: %d turns, %s:\n%.*s\n", turn,
		    reset ? "reset" : "closed", (int)fz.outlen, fz.out);
	if (!done)
		fuzz_die("the daemon never closed the connection");
	/* The daemon may linger for the client's end: give it, and turns. */
	if (fd != -1)
		close(fd);
	for (turn = 0; turn < 100 && (http_connections() > 0 ||
	    fake_pool_calls() > 0); turn++)
		ev_run(fz.loop, EVRUN_NOWAIT);
	if (http_connections() != 0)
		fuzz_die("a connection was left open");
	if (http_requests_pending() != 0)
		fuzz_die("a request was left pending");
	if (fake_pool_calls() != 0)
		fuzz_die("a plugin call was left behind");
	if (!reset && !(mode & MODE_ABRUPT) &&
	    memmem(data, size, "HEAD", 4) == NULL)
		fuzz_check_output();
	return 0;
}
