/*
 * libFuzzer target for the HTTP/2 and gRPC input path: the bytes after the
 * connection preface go through the real supervisor/h2.c and grpc.c (and
 * nghttp2) to test methods, on a socketpair turned by the libev loop, and
 * the connection must be gone once the peer has closed, with every call
 * ended.  The first byte picks the set-up: bit 0 tiny limits, bit 1 the
 * input written through the socket instead of handed over as buffered.
 */
#include <sys/socket.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"
#include "grpc.h"
#include "fake.h"

#define FUZZ_MAX_INPUT	(256 * 1024)
#define FUZZ_MAX_TURNS	20000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
void	http_conn_released(void);

static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
static struct ev_loop	*loop;
static size_t		 released, held;

void
http_conn_released(void)
{
	released++;
}

static void
echo(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	if (msg == NULL) {
		grpc_finish(call, GRPC_OK, NULL);
		return;
	}
	if (grpc_send(call, msg, len) == -1)
		grpc_finish(call, GRPC_INTERNAL, "send failed");
	else if (!grpc_path(call)[0] || strcmp(grpc_path(call),
	    "/t.T/Echo") == 0)
		grpc_finish(call, GRPC_OK, NULL);
}

static void
fail(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	char	 m[64];

	snprintf(m, sizeof(m), "%.*s", (int)(len < 63 ? len : 63),
	    msg == NULL ? "" : (const char *)msg);
	grpc_finish(call, (int)(len % 17), m);
}

static void
unheld(void *arg)
{
	(void)arg;
	held--;
}

static void
hold(struct grpc_call *call, const uint8_t *msg, size_t len)
{
	(void)msg;
	(void)len;
	if (grpc_data(call) != NULL)
		return;
	grpc_set_data(call, call);
	grpc_set_cancel(call, unheld, NULL);
	held++;
}

static const struct grpc_method methods[] = {
	{ "/t.T/Echo", 0, echo },
	{ "/t.T/Bidi", 1, echo },
	{ "/t.T/Fail", 0, fail },
	{ "/t.T/Hold", 1, hold },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct limits_conf	 normal = { 1048576, 4096, 10, 30,
	    60, 16384, 16777216 };
	static const struct limits_conf	 tiny = { 64, 4096, 10, 30, 60, 256,
	    1024 };
	uint8_t		 sink[65536], *in;
	size_t		 len, off = 0;
	ssize_t		 n;
	int		 sv[2], mode, turns = 0, wdone = 0;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	if (loop == NULL) {
		signal(SIGPIPE, SIG_IGN);
		loop = ev_default_loop(0);
		grpc_set_methods(methods, sizeof(methods) / sizeof(methods[0]));
	}
	mode = data[0];
	h2_set_released(http_conn_released);
	h2_set_limits(mode & 1 ? &tiny : &normal);
	len = sizeof(preface) - 1 + size - 1;
	if ((in = malloc(len)) == NULL)
		return 0;
	memcpy(in, preface, sizeof(preface) - 1);
	memcpy(in + sizeof(preface) - 1, data + 1, size - 1);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1)
		abort();
	released = 0;
	if (mode & 2)
		(void)h2_take(loop, sv[0], NULL, NULL, 0);
	else {
		(void)h2_take(loop, sv[0], NULL, (const char *)in, len);
		off = len;
	}
	while (h2_connections() > 0 && turns++ < FUZZ_MAX_TURNS) {
		if (off < len) {
			n = write(sv[1], in + off, len - off);
			if (n > 0)
				off += (size_t)n;
		}
		if (off == len && !wdone) {
			shutdown(sv[1], SHUT_WR);
			wdone = 1;
		}
		while (read(sv[1], sink, sizeof(sink)) > 0)
			;
		ev_run(loop, EVRUN_NOWAIT);
	}
	close(sv[1]);
	free(in);
	if (h2_connections() != 0 || released != 1 || held != 0) {
		fprintf(stderr, "fuzz_h2: %zu connections, %zu released, "
		    "%zu calls held after the peer left\n", h2_connections(),
		    released, held);
		abort();
	}
	return 0;
}
