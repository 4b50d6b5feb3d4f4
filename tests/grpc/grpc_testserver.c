/*
 * A gRPC server for the transport tests: it listens on 127.0.0.1 on a free
 * port (printed as "port N"), hands every connection to h2_take as http.c
 * does, and serves test methods on h2.c and grpc.c (echo, a late answer,
 * server streaming, bidi, a failure, the deadline, held calls).
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"
#include "grpc.h"

/* Declared by http.c's block once the hand-off lands there. */
void	 http_conn_released(void);

struct later {
	struct later	*l_next;
	struct grpc_call *l_call;
	ev_timer	 l_timer;
	size_t		 l_len;
	uint8_t		 l_msg[];
};

static struct ev_loop	*loop;
static struct later	*laters;
static int		 lfd = -1;
static ev_io		 accept_io;
static ev_signal	 term_sig;
static ev_timer		 stop_timer;
static ev_prepare	 flush_prep;
static size_t		 released;

void
http_conn_released(void)
{
	released++;
}

static void
echo(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	if (grpc_send(call, msg, len) == -1)
		grpc_finish(call, GRPC_INTERNAL, "send failed");
	else
		grpc_finish(call, GRPC_OK, NULL);
}

static void
later_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct later	*lt = w->data, **pp;

	(void)l;
	(void)revents;
	for (pp = &laters; *pp != lt; pp = &(*pp)->l_next)
		;
	*pp = lt->l_next;
	/* The client may have gone: grpc_send fails, grpc_finish frees. */
	(void)grpc_send(lt->l_call, lt->l_msg, lt->l_len);
	grpc_finish(lt->l_call, GRPC_OK, NULL);
	free(lt);
}

/* Answers later from a timer, without a cancel callback. */
static void
later(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	struct later	*lt;

	if ((lt = malloc(sizeof(*lt) + len)) == NULL) {
		grpc_finish(call, GRPC_RESOURCE_EXHAUSTED, "no memory");
		return;
	}
	lt->l_call = call;
	lt->l_len = len;
	memcpy(lt->l_msg, msg, len);
	/* "wait:..." waits longer: a call in flight across SIGTERM. */
	ev_timer_init(&lt->l_timer, later_cb, len > 5 &&
	    memcmp(msg, "wait:", 5) == 0 ? 1.0 : 0.05, 0.0);
	if (len > 5 && memcmp(msg, "wait:", 5) == 0)
		fprintf(stderr, "later: waiting %.*s\n", (int)len,
		    (const char *)msg);
	lt->l_timer.data = lt;
	ev_timer_start(loop, &lt->l_timer);
	lt->l_next = laters;
	laters = lt;
}

/* The request "N SIZE" (default "3 0"): N messages "msg-I", or SIZE bytes. */
static void
stream(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	char	 req[64], *out;
	int	 n = 3, size = 0, i;

	snprintf(req, sizeof(req), "%.*s", (int)(len < 63 ? len : 63),
	    (const char *)msg);
	if (len > 0 && sscanf(req, "%d %d", &n, &size) < 1)
		n = 3;
	if (size < 16)
		size = 16;
	if ((out = calloc(1, (size_t)size)) == NULL) {
		grpc_finish(call, GRPC_RESOURCE_EXHAUSTED, "no memory");
		return;
	}
	for (i = 0; i < n; i++) {
		memset(out, 'x', (size_t)size);
		len = (size_t)snprintf(out, (size_t)size, "msg-%d", i);
		if (size > 16)
			len = (size_t)size;
		if (grpc_send(call, out, len) == -1) {
			fprintf(stderr, "stream: send refused after %d "
			    "messages\n", i);
			free(out);
			grpc_finish(call, GRPC_RESOURCE_EXHAUSTED,
			    "the client does not read");
			return;
		}
	}
	free(out);
	grpc_finish(call, GRPC_OK, NULL);
}

static void
bidi(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	if (msg == NULL)
		grpc_finish(call, GRPC_OK, NULL);
	else if (grpc_send(call, msg, len) == -1)
		grpc_finish(call, GRPC_INTERNAL, "send failed");
}

static void
fail(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	grpc_finish(call, GRPC_FAILED_PRECONDITION,
	    "100% broken: caf\xc3\xa9\nsecond line");
}

static void
timeout(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	char	 out[64];
	int	 n;

	(void)msg;
	(void)len;
	n = snprintf(out, sizeof(out), "%.9f", grpc_timeout(call));
	echo(call, (const uint8_t *)out, (size_t)n);
}

static void
metadata(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	char		 name[64];
	const char	*v;

	snprintf(name, sizeof(name), "%.*s", (int)(len < 63 ? len : 63),
	    (const char *)msg);
	if ((v = grpc_metadata(call, name)) == NULL)
		grpc_finish(call, GRPC_NOT_FOUND, name);
	else
		echo(call, (const uint8_t *)v, strlen(v));
}

static void
held_cancelled(void *arg)
{
	fprintf(stderr, "hold: cancelled %s\n", (char *)arg);
	free(arg);
}

/* Never answers: the client leaves, and the cancel callback says so. */
static void
hold(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	char	*tag;

	if (msg == NULL)
		return;
	if ((tag = strndup((const char *)msg, len)) == NULL) {
		grpc_finish(call, GRPC_RESOURCE_EXHAUSTED, "no memory");
		return;
	}
	grpc_set_data(call, tag);
	grpc_set_cancel(call, held_cancelled, tag);
	fprintf(stderr, "hold: holding %s\n", tag);
}

static const struct grpc_method methods[] = {
	{ "/test.Test/Echo", 0, echo },
	{ "/test.Test/Later", 0, later },
	{ "/test.Test/Stream", 0, stream },
	{ "/test.Test/Bidi", 1, bidi },
	{ "/test.Test/Fail", 0, fail },
	{ "/test.Test/Timeout", 0, timeout },
	{ "/test.Test/Metadata", 0, metadata },
	{ "/test.Test/Hold", 1, hold },
	{ "/grpc.health.v1.Health/Check", 0, echo },
};

static void
accept_cb(struct ev_loop *l, ev_io *w, int revents)
{
	char	 pre[24];
	ssize_t	 n;
	int	 fd, one = 1;

	(void)revents;
	while ((fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) != -1) {
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		/* What came already is handed over, as http.c does. */
		if ((n = recv(fd, pre, sizeof(pre), 0)) < 0)
			n = 0;
		(void)h2_take(l, fd, NULL, pre, (size_t)n);
	}
}

static void
stop_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	if (h2_connections() == 0 && laters == NULL)
		ev_break(l, EVBREAK_ALL);
}

static void
term_cb(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)revents;
	ev_signal_stop(l, w);
	ev_io_stop(l, &accept_io);
	close(lfd);
	h2_shutdown();
	ev_timer_init(&stop_timer, stop_cb, 0.0, 0.05);
	ev_timer_start(l, &stop_timer);
}

/* The log is buffered: out once per loop turn, as the daemon does. */
static void
flush_cb(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
	log_flush();
}

static void
usage(void)
{
	fprintf(stderr, "usage: grpc_testserver [-b max_body_bytes] "
	    "[-H header_timeout] [-i idle_timeout] [-w body_timeout]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct limits_conf	 lim = { 1048576, 4096, 10, 30, 60, 16384,
	    16777216 };
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	int			 ch, one = 1;

	while ((ch = getopt(argc, argv, "b:H:i:w:")) != -1) {
		switch (ch) {
		case 'b':
			lim.max_body_bytes = strtoul(optarg, NULL, 10);
			break;
		case 'H':
			lim.header_timeout = strtod(optarg, NULL);
			break;
		case 'i':
			lim.idle_timeout = strtod(optarg, NULL);
			break;
		case 'w':
			lim.body_timeout = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_LEVEL_DEBUG);
	loop = EV_DEFAULT;
	h2_set_released(http_conn_released);
	h2_set_limits(&lim);
	grpc_set_methods(methods, sizeof(methods) / sizeof(methods[0]));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 512) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1) {
		perror("grpc_testserver: listen");
		return 1;
	}
	printf("port %d\n", ntohs(sin.sin_port));
	fflush(stdout);
	ev_io_init(&accept_io, accept_cb, lfd, EV_READ);
	ev_io_start(loop, &accept_io);
	ev_signal_init(&term_sig, term_cb, SIGTERM);
	ev_signal_start(loop, &term_sig);
	ev_prepare_init(&flush_prep, flush_cb);
	ev_prepare_start(loop, &flush_prep);
	ev_run(loop, 0);
	log_flush();
	fprintf(stderr, "grpc_testserver: stopped, %zu connections "
	    "released\n", released);
	ev_loop_destroy(loop);
	return 0;
}
