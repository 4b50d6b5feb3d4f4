/*
 * Unit tests for supervisor/http.c over real TCP sockets on 127.0.0.1: a
 * fake router echoes requests as JSON or holds them for the test to answer
 * later, and stub log functions record what http.c logs.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "nebula-plugind.h"

#define MAX_HELD	256
#define PUMP_SECONDS	10.0	/* a safety net, never an assertion */

/* The fake router. */
enum router_mode { ROUTER_ECHO, ROUTER_HOLD };
static enum router_mode		 router_mode;
static struct http_request	*held[MAX_HELD];
static size_t			 nheld;
static size_t			 ndispatched;
static size_t			 naborts;
static size_t			 naccess;
static size_t			 nhttp_counted;	/* metrics_http calls */
static char			 last_addr[64];
static char			 last_agent[300];

/* What log_info saw last, to read the port back. */
static char	 last_info[256];
static struct ev_loop *loop;
static int	 port;

struct client {
	int	 fd;
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 eof;
	size_t	 nresp;		/* complete responses counted so far */
	size_t	 resp_off;	/* where the next one starts */
};

struct resp {
	int	 status;
	char	 head[2048];
	char	*body;
	size_t	 body_len;
};

void
log_init(int level)
{
	(void)level;
}

void
log_emit(int level, const char *tag, pid_t pid, const char *event,
    const char *fmt, ...)
{
	(void)level;
	(void)tag;
	(void)pid;
	(void)event;
	(void)fmt;
}

void
log_warn(const char *fmt, ...)
{
	(void)fmt;
}

void
log_warnx(const char *fmt, ...)
{
	(void)fmt;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(last_info, sizeof(last_info), fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	(void)fmt;
}

void
fatalx(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

void
log_access_full(const struct log_access *la)
{
	assert_non_null(la->la_method);
	assert_non_null(la->la_path);
	assert_non_null(la->la_reqid);
	assert_true(la->la_status >= 100 && la->la_status < 600);
	assert_true(la->la_seconds >= 0);
	naccess++;
	if (la->la_addr != NULL)
		snprintf(last_addr, sizeof(last_addr), "%s", la->la_addr);
	snprintf(last_agent, sizeof(last_agent), "%s",
	    la->la_agent ? la->la_agent : "");
}

void
metrics_http(const char *route, int status)
{
	(void)route;
	(void)status;
	nhttp_counted++;
}

static void
echo(struct http_request *req)
{
	json_t	*j;
	char	*s;

	if (strcmp(req->req_path, "/err") == 0) {
		http_respond_error(req, 405, "METHOD_NOT_ALLOWED",
		    "no \"quotes\"\n here", "Allow: GET, PUT\r\n");
		return;
	}
	if (strcmp(req->req_path, "/metrics") == 0) {
		http_respond(req, 200,
		    "Content-Type: text/plain; version=0.0.4\r\n", "m 1\n", 4);
		return;
	}
	j = json_pack("{s:s,s:s,s:s?,s:s?,s:I,s:s?,s:s?,s:s}",
	    "m", req->req_method_name, "p", req->req_path,
	    "q", req->req_query, "b", req->req_body,
	    "n", (json_int_t)req->req_body_len,
	    "t", req->req_traceparent, "a", req->req_authorization,
	    "id", req->req_id);
	if (j == NULL) {		/* not UTF-8: random input */
		http_respond(req, 200, NULL, "{}", 2);
		return;
	}
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	http_respond(req, 200, NULL, s, strlen(s));
	free(s);
}

void
router_dispatch(struct http_request *req)
{
	assert_non_null(req->req_conn);
	assert_non_null(req->req_path);
	assert_int_equal(req->req_path_len, strlen(req->req_path));
	if (req->req_body != NULL)
		assert_int_equal(req->req_body[req->req_body_len], '\0');
	else
		assert_int_equal(req->req_body_len, 0);
	ndispatched++;
	if (router_mode == ROUTER_ECHO) {
		echo(req);
		return;
	}
	assert_true(nheld < MAX_HELD);
	held[nheld++] = req;
}

void
router_abort(struct http_request *req)
{
	size_t	 i;

	assert_null(req->req_conn);
	naborts++;
	for (i = 0; i < nheld; i++) {
		if (held[i] == req) {
			held[i] = held[--nheld];
			return;
		}
	}
	fail_msg("router_abort of a request the router does not hold");
}

/* Answers a held request by its path, echoing it. */
static void
answer_held(const char *path)
{
	size_t	 i;

	for (i = 0; i < nheld; i++) {
		if (strcmp(held[i]->req_path, path) == 0) {
			struct http_request *req = held[i];

			held[i] = held[--nheld];
			echo(req);
			return;
		}
	}
	fail_msg("no held request for %s", path);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
start(const struct limits_conf *custom)
{
	struct limits_conf	 l = {
		.max_body_bytes = 1048576,
		.max_connections = 4096,
		.header_timeout = 10,
		.body_timeout = 30,
		.idle_timeout = 60,
		.max_header_bytes = 16384,
		.max_line_bytes = 16777216
	};
	char		 err[256];
	const char	*p;

	router_mode = ROUTER_ECHO;
	nheld = ndispatched = naborts = naccess = nhttp_counted = 0;
	last_addr[0] = last_agent[0] = '\0';
	assert_int_equal(http_init(loop, custom ? custom : &l), 0);
	http_set_router(router_dispatch, router_abort);
	last_info[0] = '\0';
	assert_int_equal(listen_add("127.0.0.1:0", err, sizeof(err)), 0);
	p = strstr(last_info, "listening on 127.0.0.1:");
	assert_non_null(p);
	port = atoi(p + strlen("listening on 127.0.0.1:"));
	assert_true(port > 0);
}

static void
stop(void)
{
	http_shutdown();
	assert_int_equal(nheld, 0);
	assert_int_equal(http_connections(), 0);
	assert_int_equal(http_requests_pending(), 0);
}

static struct limits_conf
limits_default(void)
{
	struct limits_conf	 l = {
		.max_body_bytes = 1048576,
		.max_connections = 4096,
		.header_timeout = 10,
		.body_timeout = 30,
		.idle_timeout = 60,
		.max_header_bytes = 16384,
		.max_line_bytes = 16777216
	};

	return l;
}

static struct client *
client_new(void)
{
	struct client		*c;
	struct sockaddr_in	 sin;

	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(c->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c->fd, (struct sockaddr *)&sin,
	    sizeof(sin)), 0);
	assert_int_equal(fcntl(c->fd, F_SETFL, O_NONBLOCK), 0);
	return c;
}

static void
client_free(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	free(c->data);
	free(c);
}

/* Runs the server loop a little and collects what the client received. */
static int
pump_once(struct client *c)
{
	char		 tmp[65536];
	ssize_t		 n;
	struct pollfd	 pfd;
	int		 got = 0;

	ev_run(loop, EVRUN_NOWAIT);
	if (c == NULL || c->eof || c->fd == -1) {
		poll(NULL, 0, 1);
		return 0;
	}
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	poll(&pfd, 1, 1);
	for (;;) {
		n = recv(c->fd, tmp, sizeof(tmp), 0);
		if (n > 0) {
			if (c->len + (size_t)n + 1 > c->cap) {
				c->cap = (c->len + (size_t)n + 1) * 2;
				c->data = realloc(c->data, c->cap);
				assert_non_null(c->data);
			}
			memcpy(c->data + c->len, tmp, (size_t)n);
			c->len += (size_t)n;
			c->data[c->len] = '\0';
			got = 1;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			c->eof = 1;
		break;
	}
	return got;
}

static void
client_send(struct client *c, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;
	double		 deadline = now() + PUMP_SECONDS;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		assert_true(n == -1 && (errno == EAGAIN || errno == EINTR));
		assert_true(now() < deadline);
		pump_once(c);
	}
	pump_once(c);
}

static void
client_sends(struct client *c, const char *s)
{
	client_send(c, s, strlen(s));
}

/* Parses the n-th complete response in the client's bytes; 0 if absent. */
static int
resp_get(struct client *c, size_t want, struct resp *r)
{
	size_t		 off = 0, i, hlen, clen;
	const char	*end, *cl;

	for (i = 0; ; i++) {
		if (c->data == NULL || off >= c->len)
			return 0;
		end = strstr(c->data + off, "\r\n\r\n");
		if (end == NULL)
			return 0;
		hlen = (size_t)(end - (c->data + off)) + 4;
		if (hlen >= sizeof(r->head))
			fail_msg("response head too long");
		memcpy(r->head, c->data + off, hlen);
		r->head[hlen] = '\0';
		assert_int_equal(strncmp(r->head, "HTTP/1.1 ", 9), 0);
		r->status = atoi(r->head + 9);
		clen = 0;
		if ((cl = strcasestr(r->head, "\r\nContent-Length: ")) != NULL)
			clen = strtoul(cl + 18, NULL, 10);
		if (r->status >= 200)
			assert_non_null(cl);
		if (off + hlen + clen > c->len)
			return 0;
		r->body = c->data + off + hlen;
		r->body_len = clen;
		off += hlen + clen;
		if (i == want)
			return 1;
	}
}

/* Counts complete responses, resuming where the last count stopped. */
static size_t
resp_count(struct client *c)
{
	const char	*end, *cl;
	size_t		 hlen, clen;

	while (c->data != NULL && c->resp_off < c->len) {
		end = memmem(c->data + c->resp_off, c->len - c->resp_off,
		    "\r\n\r\n", 4);
		if (end == NULL)
			break;
		hlen = (size_t)(end - (c->data + c->resp_off)) + 4;
		clen = 0;
		cl = memmem(c->data + c->resp_off, hlen, "\r\nContent-Length: ",
		    18);
		if (cl != NULL)
			clen = strtoul(cl + 18, NULL, 10);
		if (c->resp_off + hlen + clen > c->len)
			break;
		c->resp_off += hlen + clen;
		c->nresp++;
	}
	return c->nresp;
}

static void
pump_responses(struct client *c, size_t n)
{
	double	 deadline = now() + PUMP_SECONDS;

	while (resp_count(c) < n && !c->eof) {
		assert_true(now() < deadline);
		pump_once(c);
	}
	/* Let the last bytes or a close arrive. */
	pump_once(c);
	assert_true(resp_count(c) >= n);
}

static void
pump_eof(struct client *c)
{
	double	 deadline = now() + PUMP_SECONDS;

	while (!c->eof) {
		assert_true(now() < deadline);
		pump_once(c);
	}
}

static void
pump_until(struct client *c, size_t *counter, size_t value)
{
	double	 deadline = now() + PUMP_SECONDS;

	while (*counter < value) {
		assert_true(now() < deadline);
		pump_once(c);
	}
}

/* The JSON body of response n. */
static json_t *
resp_json(struct client *c, size_t n, int status)
{
	struct resp	 r;
	json_t		*j;

	assert_true(resp_get(c, n, &r));
	assert_int_equal(r.status, status);
	assert_non_null(strstr(r.head, "\r\nContent-Type: application/json"));
	j = json_loadb(r.body, r.body_len, 0, NULL);
	assert_non_null(j);
	return j;
}

static void
assert_error(struct client *c, size_t n, int status, const char *code)
{
	json_t	*j;

	j = resp_json(c, n, status);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(j, "error"), "code")), code);
	json_decref(j);
}

static const char *
jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	loop = ev_loop_new(EVFLAG_AUTO);
	return loop == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	ev_loop_destroy(loop);
	return 0;
}

static void
test_get_and_put_are_echoed(void **state)
{
	struct client	*c;
	struct resp	 r;
	json_t		*j;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "GET /a/b%20c?x=1&y=2 HTTP/1.1\r\nHost: x\r\n"
	    "TRACEPARENT: 00-abc-def-01\r\nauthorization:  Bearer tok  \r\n"
	    "\r\n");
	pump_responses(c, 1);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "m"), "GET");
	assert_string_equal(jstr(j, "p"), "/a/b%20c");
	assert_string_equal(jstr(j, "q"), "x=1&y=2");
	assert_true(json_is_null(json_object_get(j, "b")));
	assert_string_equal(jstr(j, "t"), "00-abc-def-01");
	assert_string_equal(jstr(j, "a"), "Bearer tok");
	assert_int_equal(strlen(jstr(j, "id")), 20);
	json_decref(j);
	assert_true(resp_get(c, 0, &r));
	assert_null(strstr(r.head, "Connection:"));
	assert_non_null(strstr(r.head, "\r\nDate: "));

	client_sends(c, "PUT /plugins/v1/echo/v1 HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n"
	    "{\"k\": 1}\n");
	pump_responses(c, 2);
	j = resp_json(c, 1, 200);
	assert_string_equal(jstr(j, "m"), "PUT");
	assert_string_equal(jstr(j, "p"), "/plugins/v1/echo/v1");
	assert_true(json_is_null(json_object_get(j, "q")));
	assert_true(json_is_null(json_object_get(j, "t")));
	assert_true(json_is_null(json_object_get(j, "a")));
	assert_string_equal(jstr(j, "b"), "{\"k\": 1}\n");
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 9);
	json_decref(j);
	assert_int_equal(http_connections(), 1);
	assert_int_equal(naccess, 2);
	client_free(c);
	stop();
}

/* Every answer, routed or not, is counted and logged with its client. */
static void
test_access_log_has_client_and_agent_and_counts(void **state)
{
	struct client	*c;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "GET /x HTTP/1.1\r\nUser-Agent: probe/1.0 (t)\r\n"
	    "\r\n");
	pump_responses(c, 1);
	assert_int_equal(naccess, 1);
	assert_int_equal(nhttp_counted, 1);
	assert_string_equal(last_agent, "probe/1.0 (t)");
	assert_true(strncmp(last_addr, "127.0.0.1:", 10) == 0);
	/* a framing error never reaches the router: still counted */
	client_sends(c, "GET /y HTTP/1.1\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n");
	pump_responses(c, 2);
	assert_int_equal(naccess, 2);
	assert_int_equal(nhttp_counted, 2);
	assert_string_equal(last_agent, "");
	client_free(c);
	stop();
}

static void
test_error_body_is_escaped_json_with_allow(void **state)
{
	struct client	*c;
	struct resp	 r;
	json_t		*j, *e;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "GET /err HTTP/1.1\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n");
	pump_responses(c, 2);
	j = resp_json(c, 0, 405);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "METHOD_NOT_ALLOWED");
	assert_string_equal(jstr(e, "message"), "no \"quotes\"\n here");
	json_decref(j);
	assert_true(resp_get(c, 0, &r));
	assert_non_null(strstr(r.head, "\r\nAllow: GET, PUT\r\n"));
	assert_non_null(strstr(r.head, "405 Method Not Allowed\r\n"));
	assert_true(resp_get(c, 1, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head,
	    "\r\nContent-Type: text/plain; version=0.0.4\r\n"));
	assert_null(strstr(r.head, "application/json"));
	assert_int_equal(r.body_len, 4);
	assert_memory_equal(r.body, "m 1\n", 4);
	client_free(c);
	stop();
}

static void
test_keepalive_serves_200_requests_on_one_connection(void **state)
{
	struct client	*c;
	char		 req[128], want[32];
	json_t		*j;
	size_t		 i;

	(void)state;
	start(NULL);
	c = client_new();
	for (i = 0; i < 200; i++) {
		snprintf(req, sizeof(req), "GET /k/%zu HTTP/1.1\r\n"
		    "Host: x\r\n\r\n", i);
		client_sends(c, req);
		pump_responses(c, i + 1);
		j = resp_json(c, i, 200);
		snprintf(want, sizeof(want), "/k/%zu", i);
		assert_string_equal(jstr(j, "p"), want);
		json_decref(j);
	}
	assert_false(c->eof);
	assert_int_equal(http_connections(), 1);
	client_free(c);
	stop();
}

static void
test_pipelined_answers_keep_request_order(void **state)
{
	struct client	*c;
	char		*all, path[32];
	size_t		 i, len = 0;
	json_t		*j;

	(void)state;
	start(NULL);
	router_mode = ROUTER_HOLD;
	all = malloc(50 * 64);
	assert_non_null(all);
	for (i = 0; i < 50; i++)
		len += (size_t)snprintf(all + len, 64,
		    "GET /p/%zu HTTP/1.1\r\nHost: x\r\n\r\n", i);
	c = client_new();
	client_send(c, all, len);
	free(all);
	pump_until(c, &ndispatched, 50);
	assert_int_equal(nheld, 50);
	assert_int_equal(http_requests_pending(), 50);
	/* Answer all but the first, last first: nothing may go out. */
	for (i = 49; i >= 1; i--) {
		snprintf(path, sizeof(path), "/p/%zu", i);
		answer_held(path);
	}
	for (i = 0; i < 20; i++)
		pump_once(c);
	assert_int_equal(c->len, 0);
	assert_int_equal(http_requests_pending(), 1);
	answer_held("/p/0");
	pump_responses(c, 50);
	for (i = 0; i < 50; i++) {
		j = resp_json(c, i, 200);
		snprintf(path, sizeof(path), "/p/%zu", i);
		assert_string_equal(jstr(j, "p"), path);
		json_decref(j);
	}
	assert_int_equal(resp_count(c), 50);
	assert_int_equal(http_requests_pending(), 0);
	client_free(c);
	stop();
}

static void
test_many_pipelined_requests_are_all_answered(void **state)
{
	struct client	*c;
	char		*all;
	size_t		 i, len = 0;

	(void)state;
	start(NULL);
	all = malloc(1000 * 32);
	assert_non_null(all);
	for (i = 0; i < 1000; i++)
		len += (size_t)snprintf(all + len, 32,
		    "GET /q/%zu HTTP/1.1\r\n\r\n", i);
	c = client_new();
	client_send(c, all, len);
	free(all);
	pump_responses(c, 1000);
	assert_int_equal(resp_count(c), 1000);
	client_free(c);
	stop();
}

static void
test_http10_closes_unless_keepalive(void **state)
{
	struct client	*c;
	struct resp	 r;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "GET /one HTTP/1.0\r\n\r\n");
	pump_responses(c, 1);
	pump_eof(c);
	assert_true(resp_get(c, 0, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "\r\nConnection: close\r\n"));
	client_free(c);

	c = client_new();
	client_sends(c, "GET /two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	pump_responses(c, 1);
	assert_true(resp_get(c, 0, &r));
	assert_non_null(strstr(r.head, "\r\nConnection: keep-alive\r\n"));
	assert_false(c->eof);
	client_sends(c, "GET /three HTTP/1.0\r\n\r\n");
	pump_responses(c, 2);
	pump_eof(c);
	client_free(c);

	c = client_new();
	client_sends(c, "GET /four HTTP/1.1\r\nConnection: close\r\n\r\n"
	    "GET /ignored HTTP/1.1\r\n\r\n");
	pump_eof(c);
	assert_int_equal(resp_count(c), 1);
	assert_true(resp_get(c, 0, &r));
	assert_non_null(strstr(r.head, "\r\nConnection: close\r\n"));
	assert_int_equal(ndispatched, 4);
	client_free(c);
	stop();
}

static void
test_content_length_over_limit_is_413_before_the_body(void **state)
{
	struct limits_conf	 l = limits_default();
	struct client		*c;
	struct resp		 r;

	(void)state;
	l.max_body_bytes = 1024;
	start(&l);
	c = client_new();
	client_sends(c, "PUT /x HTTP/1.1\r\nContent-Length: 100000\r\n"
	    "Expect: 100-continue\r\n\r\n");
	pump_responses(c, 1);
	pump_eof(c);
	assert_error(c, 0, 413, "PAYLOAD_TOO_LARGE");
	assert_true(resp_get(c, 0, &r));
	assert_non_null(strstr(r.head, "\r\nConnection: close\r\n"));
	assert_null(strstr(c->data, "100 Continue"));
	assert_int_equal(ndispatched, 0);
	client_free(c);

	/* Exactly at the limit is fine. */
	c = client_new();
	client_sends(c, "PUT /x HTTP/1.1\r\nContent-Length: 1024\r\n\r\n");
	{
		char	 body[1024];

		memset(body, 'a', sizeof(body));
		client_send(c, body, sizeof(body));
	}
	pump_responses(c, 1);
	assert_true(resp_get(c, 0, &r));
	assert_int_equal(r.status, 200);
	client_free(c);
	stop();
}

static void
test_expect_100_continue_is_honoured(void **state)
{
	struct client	*c;
	json_t		*j;
	double		 deadline;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "PUT /c HTTP/1.1\r\nContent-Length: 5\r\n"
	    "Expect: 100-Continue\r\n\r\n");
	deadline = now() + PUMP_SECONDS;
	while (c->len < strlen("HTTP/1.1 100 Continue\r\n\r\n")) {
		assert_true(now() < deadline);
		pump_once(c);
	}
	assert_string_equal(c->data, "HTTP/1.1 100 Continue\r\n\r\n");
	client_sends(c, "hello");
	pump_responses(c, 2);
	j = resp_json(c, 1, 200);
	assert_string_equal(jstr(j, "b"), "hello");
	json_decref(j);
	client_free(c);
	stop();
}

static void
test_100_continue_waits_for_earlier_answers(void **state)
{
	struct client	*c;
	struct resp	 r;
	json_t		*j;
	int		 i;

	(void)state;
	start(NULL);
	router_mode = ROUTER_HOLD;
	c = client_new();
	client_sends(c, "GET /first HTTP/1.1\r\n\r\nPUT /c HTTP/1.1\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
	pump_until(c, &ndispatched, 1);
	for (i = 0; i < 10; i++)
		pump_once(c);
	assert_int_equal(c->len, 0);
	answer_held("/first");
	pump_responses(c, 2);
	assert_true(resp_get(c, 1, &r));
	assert_int_equal(r.status, 100);
	client_sends(c, "hello");
	pump_until(c, &ndispatched, 2);
	answer_held("/c");
	pump_responses(c, 3);
	j = resp_json(c, 2, 200);
	assert_string_equal(jstr(j, "b"), "hello");
	json_decref(j);
	client_free(c);
	stop();
}

static void
test_chunked_body_is_decoded_and_limited(void **state)
{
	struct limits_conf	 l = limits_default();
	struct client		*c;
	json_t			*j;

	(void)state;
	l.max_body_bytes = 16;
	start(&l);
	c = client_new();
	client_sends(c, "POST /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n"
	    "\r\n");
	pump_responses(c, 1);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "b"), "hello world");
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 11);
	json_decref(j);
	client_sends(c, "POST /ch HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n10\r\n0123456789abcdef\r\n1\r\nX\r\n0\r\n\r\n");
	pump_responses(c, 2);
	pump_eof(c);
	assert_error(c, 1, 413, "PAYLOAD_TOO_LARGE");
	assert_int_equal(ndispatched, 1);
	client_free(c);
	stop();
}

static void
expect_400(const char *request)
{
	struct client	*c;
	size_t		 before = ndispatched;

	c = client_new();
	client_sends(c, request);
	pump_responses(c, 1);
	pump_eof(c);
	assert_int_equal(resp_count(c), 1);
	assert_error(c, 0, 400, "BAD_REQUEST");
	assert_int_equal(ndispatched, before);
	client_free(c);
}

static void
test_ambiguous_framing_is_400_and_closes(void **state)
{
	(void)state;
	start(NULL);
	expect_400("POST /x HTTP/1.1\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\nhello!");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "zz\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n");
	expect_400("\x01\x02garbage\r\n\r\n");
	expect_400("GET / HTTP/9.9\r\n\r\n");
	expect_400("GET / HTTP/2.0\r\n\r\n");
	expect_400("GET /a b HTTP/1.1\r\n\r\n");
	expect_400("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello");
	stop();
}

static void
test_transfer_encoding_must_be_one_chunked_field(void **state)
{
	struct client	*c;
	json_t		*j;

	(void)state;
	start(NULL);
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: identity, chunked"
	    "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked, chunked"
	    "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	/* exactly chunked, whatever its case and blanks, is served */
	c = client_new();
	client_sends(c, "POST /te HTTP/1.1\r\nTransfer-Encoding: \t ChunKed "
	    "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	pump_responses(c, 1);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "b"), "hello");
	json_decref(j);
	client_free(c);
	stop();
}

static void
test_obs_fold_is_400_and_closes(void **state)
{
	struct client	*c;
	size_t		 before;

	(void)state;
	start(NULL);
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n"
	    "\r\n5\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: identity\r\n\t"
	    "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nContent-Length:\r\n 5\r\n\r\nhello");
	expect_400("GET /x HTTP/1.1\r\nX-Any: a\r\n b\r\n\r\n");
	expect_400("GET /x HTTP/1.1\r\nX-Any: a\r\n \r\n\r\n");
	/* the line end and the blank in two reads */
	before = ndispatched;
	c = client_new();
	client_sends(c, "POST /x HTTP/1.1\r\nTransfer-Encoding:\r\n");
	client_sends(c, " chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
	pump_responses(c, 1);
	pump_eof(c);
	assert_error(c, 0, 400, "BAD_REQUEST");
	assert_int_equal(ndispatched, before);
	client_free(c);
	stop();
}

static void
test_chunk_line_ended_by_bare_lf_is_400_at_once(void **state)
{
	struct client	*c;
	json_t		*j;

	(void)state;
	start(NULL);
	/* the client keeps its side open: the 400 comes without a timeout */
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "34;a\n{\"task_template\":{}}");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\n0\r\n\r\n");
	expect_400("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhello\r\n0\r\nX: y\n\r\n");
	c = client_new();
	client_sends(c, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "5;a=b\r");
	client_sends(c, "\nhello\r");
	client_sends(c, "\n0\r\nX-Trailer: y\r\n\r");
	client_sends(c, "\n");
	pump_responses(c, 1);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "b"), "hello");
	json_decref(j);
	client_free(c);
	stop();
}

static void
test_absolute_form_target_is_routed_on_its_path(void **state)
{
	struct client	*c;
	json_t		*j;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "GET http://h:8/abs/p?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n"
	    "GET http://h?y=2 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump_responses(c, 3);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "p"), "/abs/p");
	assert_string_equal(jstr(j, "q"), "x=1");
	json_decref(j);
	j = resp_json(c, 1, 200);
	assert_string_equal(jstr(j, "p"), "/");
	json_decref(j);
	j = resp_json(c, 2, 200);
	assert_string_equal(jstr(j, "p"), "/");
	assert_string_equal(jstr(j, "q"), "y=2");
	json_decref(j);
	client_free(c);
	stop();
}

/* The HTTP/2 hand-off: a tiny handler that answers "h2" and closes. */
static int	 h2_calls;
static int	 h2_fd;
static void	*h2_tls;
static char	 h2_bytes[256];
static size_t	 h2_len;
static int	 h2_refuse;

static int
test_h2_take(struct ev_loop *l, int fd, void *tls, const char *buffered,
    size_t len)
{
	assert_ptr_equal(l, loop);
	h2_calls++;
	h2_fd = fd;
	h2_tls = tls;
	assert_true(len < sizeof(h2_bytes));
	memcpy(h2_bytes, buffered, len);
	h2_len = len;
	if (h2_refuse)
		return -1;
	/* it owns the fd: still open, and counted */
	assert_int_equal(http_connections(), 1);
	assert_int_equal(send(fd, "h2", 2, MSG_NOSIGNAL), 2);
	close(fd);
	http_conn_released();
	return 0;
}

#define PREFACE	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

static void
test_h2_preface_is_handed_to_the_handler(void **state)
{
	struct client	*c;
	json_t		*j;

	(void)state;
	start(NULL);
	http_set_h2(test_h2_take);
	h2_calls = h2_refuse = 0;
	/* the preface in two reads, the first shorter than it */
	c = client_new();
	client_send(c, PREFACE, 5);
	pump_once(c);
	assert_int_equal(h2_calls, 0);
	client_send(c, PREFACE "\x00\x00\x00\x04" + 5, strlen(PREFACE) - 1);
	pump_eof(c);
	assert_int_equal(h2_calls, 1);
	assert_true(h2_fd >= 0);
	assert_null(h2_tls);
	assert_int_equal(h2_len, strlen(PREFACE) + 4);
	assert_memory_equal(h2_bytes, PREFACE "\x00\x00\x00\x04", h2_len);
	assert_int_equal(c->len, 2);
	assert_memory_equal(c->data, "h2", 2);
	assert_int_equal(http_connections(), 0);
	client_free(c);
	/* a handler that refuses: the connection is closed as usual */
	h2_refuse = 1;
	c = client_new();
	client_sends(c, PREFACE);
	pump_eof(c);
	assert_int_equal(h2_calls, 2);
	assert_int_equal(c->len, 0);
	assert_int_equal(http_connections(), 0);
	client_free(c);
	/* HTTP/1.1 that starts like the preface is still HTTP/1.1 */
	c = client_new();
	client_sends(c, "P");
	client_sends(c, "OST /p HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
	pump_responses(c, 1);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "b"), "hi");
	json_decref(j);
	client_free(c);
	assert_int_equal(h2_calls, 2);
	http_set_h2(NULL);
	/* without a handler the preface answers 400, as before */
	expect_400(PREFACE);
	stop();
}

static void
test_good_request_before_garbage_is_answered_first(void **state)
{
	struct client	*c;
	json_t		*j;

	(void)state;
	start(NULL);
	router_mode = ROUTER_HOLD;
	c = client_new();
	client_sends(c, "GET /first HTTP/1.1\r\n\r\n@@@@\r\n\r\n");
	pump_until(c, &ndispatched, 1);
	for (int i = 0; i < 10; i++)
		pump_once(c);
	assert_int_equal(c->len, 0);
	answer_held("/first");
	pump_responses(c, 2);
	pump_eof(c);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "p"), "/first");
	json_decref(j);
	assert_error(c, 1, 400, "BAD_REQUEST");
	client_free(c);
	stop();
}

static void
test_long_target_is_414_and_big_head_is_431(void **state)
{
	struct client	*c;
	char		*big;
	size_t		 i, off;

	(void)state;
	start(NULL);
	big = malloc(40000);
	assert_non_null(big);

	c = client_new();
	off = (size_t)snprintf(big, 40000, "GET /");
	memset(big + off, 'a', 9000);
	off += 9000;
	off += (size_t)snprintf(big + off, 40000 - off, " HTTP/1.1\r\n\r\n");
	client_send(c, big, off);
	pump_responses(c, 1);
	pump_eof(c);
	assert_error(c, 0, 414, "URI_TOO_LONG");
	client_free(c);

	c = client_new();
	off = (size_t)snprintf(big, 40000, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + off, 'b', 20000);
	off += 20000;
	off += (size_t)snprintf(big + off, 40000 - off, "\r\n\r\n");
	client_send(c, big, off);
	pump_responses(c, 1);
	pump_eof(c);
	assert_error(c, 0, 431, "HEADERS_TOO_LARGE");
	client_free(c);

	c = client_new();
	off = (size_t)snprintf(big, 40000, "GET / HTTP/1.1\r\n");
	for (i = 0; i < 200; i++)
		off += (size_t)snprintf(big + off, 40000 - off,
		    "X-H%zu: v\r\n", i);
	off += (size_t)snprintf(big + off, 40000 - off, "\r\n");
	client_send(c, big, off);
	pump_responses(c, 1);
	pump_eof(c);
	assert_error(c, 0, 431, "HEADERS_TOO_LARGE");
	client_free(c);

	free(big);
	assert_int_equal(ndispatched, 0);
	stop();
}

static void
test_client_reset_aborts_requests_in_flight(void **state)
{
	struct client	*c;
	struct linger	 lg = { 1, 0 };

	(void)state;
	start(NULL);
	router_mode = ROUTER_HOLD;
	c = client_new();
	client_sends(c, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
	pump_until(c, &ndispatched, 2);
	assert_int_equal(http_requests_pending(), 2);
	/* Close with RST: the client is gone for good. */
	assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	close(c->fd);
	c->fd = -1;
	pump_until(NULL, &naborts, 2);
	assert_int_equal(nheld, 0);
	assert_int_equal(http_requests_pending(), 0);
	assert_int_equal(http_connections(), 0);
	client_free(c);
	stop();
}

static void
test_half_closed_client_still_gets_its_answer(void **state)
{
	struct client	*c;
	json_t		*j;

	(void)state;
	start(NULL);
	router_mode = ROUTER_HOLD;
	c = client_new();
	client_sends(c, "GET /h HTTP/1.1\r\n\r\nGET /partial HTTP/1.1\r\n");
	assert_int_equal(shutdown(c->fd, SHUT_WR), 0);
	pump_until(c, &ndispatched, 1);
	for (int i = 0; i < 10; i++)
		pump_once(c);
	assert_int_equal(http_connections(), 1);
	answer_held("/h");
	pump_responses(c, 1);
	pump_eof(c);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "p"), "/h");
	json_decref(j);
	assert_int_equal(resp_count(c), 1);
	assert_int_equal(naborts, 0);
	pump_once(NULL);
	assert_int_equal(http_connections(), 0);
	client_free(c);
	stop();
}

static void
test_byte_by_byte_request_is_parsed(void **state)
{
	static const char req[] = "PUT /bytes?z=9 HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer t\r\nContent-Length: 11\r\n\r\n"
	    "hello world";
	struct client	*c;
	json_t		*j;
	size_t		 i;

	(void)state;
	start(NULL);
	c = client_new();
	for (i = 0; i < sizeof(req) - 1; i++) {
		client_send(c, req + i, 1);
		pump_once(c);
	}
	pump_responses(c, 1);
	j = resp_json(c, 0, 200);
	assert_string_equal(jstr(j, "p"), "/bytes");
	assert_string_equal(jstr(j, "q"), "z=9");
	assert_string_equal(jstr(j, "a"), "Bearer t");
	assert_string_equal(jstr(j, "b"), "hello world");
	json_decref(j);
	client_free(c);
	stop();
}

static void
test_timeouts_answer_408_or_close_quietly(void **state)
{
	struct limits_conf	 l = limits_default();
	struct client		*c;

	(void)state;
	l.header_timeout = 0.05;
	l.body_timeout = 0.05;
	l.idle_timeout = 0.05;
	start(&l);

	c = client_new();		/* nothing sent: closed quietly */
	pump_eof(c);
	assert_int_equal(c->len, 0);
	client_free(c);

	c = client_new();		/* half a head: 408 */
	client_sends(c, "GET / HTTP/1.1\r\nHost:");
	pump_eof(c);
	assert_error(c, 0, 408, "REQUEST_TIMEOUT");
	client_free(c);

	c = client_new();		/* half a body: 408 */
	client_sends(c, "PUT / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
	pump_eof(c);
	assert_error(c, 0, 408, "REQUEST_TIMEOUT");
	client_free(c);

	c = client_new();		/* idle after an answer: closed */
	client_sends(c, "GET / HTTP/1.1\r\n\r\n");
	pump_eof(c);
	assert_int_equal(resp_count(c), 1);
	client_free(c);

	/* A request waiting on the router is not timed out here. */
	router_mode = ROUTER_HOLD;
	c = client_new();
	client_sends(c, "GET /slow HTTP/1.1\r\n\r\n");
	pump_until(c, &ndispatched, 2);
	{
		double	 until = now() + 0.3;

		while (now() < until)
			pump_once(c);
	}
	assert_false(c->eof);
	answer_held("/slow");
	pump_responses(c, 1);
	client_free(c);
	stop();
}

static void
test_max_connections_pauses_accept(void **state)
{
	struct limits_conf	 l = limits_default();
	struct client		*a, *b, *c;
	int			 i;

	(void)state;
	l.max_connections = 2;
	start(&l);
	a = client_new();
	b = client_new();
	c = client_new();
	for (i = 0; i < 20; i++)
		pump_once(NULL);
	assert_int_equal(http_connections(), 2);
	client_sends(c, "GET /third HTTP/1.1\r\n\r\n");
	client_sends(a, "GET /first HTTP/1.1\r\n\r\n");
	pump_responses(a, 1);
	for (i = 0; i < 10; i++)
		pump_once(c);
	assert_int_equal(c->len, 0);
	client_free(a);
	pump_responses(c, 1);
	assert_int_equal(resp_count(c), 1);
	client_free(b);
	client_free(c);
	stop();
}

static void
test_stop_accepting_drains(void **state)
{
	struct client	*idle, *busy;
	struct resp	 r;

	(void)state;
	start(NULL);
	router_mode = ROUTER_HOLD;
	idle = client_new();
	busy = client_new();
	client_sends(busy, "GET /d HTTP/1.1\r\n\r\n");
	pump_until(busy, &ndispatched, 1);
	pump_once(idle);
	assert_int_equal(http_connections(), 2);
	http_stop_accepting();
	pump_eof(idle);
	assert_int_equal(http_connections(), 1);
	answer_held("/d");
	pump_responses(busy, 1);
	pump_eof(busy);
	assert_true(resp_get(busy, 0, &r));
	assert_non_null(strstr(r.head, "\r\nConnection: close\r\n"));
	client_free(idle);
	client_free(busy);
	stop();
}

static void
test_head_and_upgrade_requests(void **state)
{
	struct client	*c;
	struct resp	 r;
	const char	*end;
	double		 deadline;

	(void)state;
	start(NULL);
	c = client_new();
	client_sends(c, "HEAD /h HTTP/1.1\r\n\r\nGET /g HTTP/1.1\r\n\r\n");
	deadline = now() + PUMP_SECONDS;
	while (c->data == NULL || strstr(c->data, "\"/g\"") == NULL) {
		assert_true(now() < deadline);
		pump_once(c);
	}
	/* No body after HEAD's head: the next response follows at once. */
	end = strstr(c->data, "\r\n\r\n");
	assert_non_null(end);
	assert_int_equal(strncmp(c->data, "HTTP/1.1 200 OK\r\n", 17), 0);
	assert_int_equal(strncmp(end + 4, "HTTP/1.1 200 OK\r\n", 17), 0);
	client_free(c);

	c = client_new();
	client_sends(c, "GET /u HTTP/1.1\r\nConnection: Upgrade\r\n"
	    "Upgrade: websocket\r\n\r\n\x81\x05hello");
	pump_eof(c);
	assert_true(resp_get(c, 0, &r));
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "\r\nConnection: close\r\n"));
	client_free(c);

	c = client_new();
	client_sends(c, "CONNECT example.com:443 HTTP/1.1\r\n\r\nxyz");
	pump_eof(c);
	client_free(c);
	stop();
}

/*
 * Random bytes and randomly damaged requests never crash the server (run
 * under ASan), and every connection ends once the client half-closes.
 */
static void
test_random_input_never_crashes(void **state)
{
	static const char *seeds[] = {
		"GET /a?b HTTP/1.1\r\nHost: x\r\nTraceparent: t\r\n\r\n",
		"PUT /p HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody",
		"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "3\r\nabc\r\n0\r\n\r\n",
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
		"PUT /e HTTP/1.1\r\nExpect: 100-continue\r\n"
		    "Content-Length: 2\r\n\r\nhi"
	};
	struct client	*c;
	char		 buf[512];
	size_t		 i, j, len, n;
	unsigned int	 seed = 12345;

	(void)state;
	start(NULL);
	for (i = 0; i < 300; i++) {
		const char *s = seeds[i % (sizeof(seeds) / sizeof(seeds[0]))];

		len = strlen(s);
		memcpy(buf, s, len);
		if (i % 3 == 0) {
			len = (size_t)rand_r(&seed) % sizeof(buf);
			for (j = 0; j < len; j++)
				buf[j] = (char)rand_r(&seed);
		} else {
			n = 1 + (size_t)rand_r(&seed) % 4;
			for (j = 0; j < n; j++)
				buf[(size_t)rand_r(&seed) % len] =
				    (char)rand_r(&seed);
			if (i % 3 == 2 && len * 2 < sizeof(buf)) {
				memcpy(buf + len, buf, len);
				len *= 2;
			}
		}
		c = client_new();
		client_send(c, buf, len);
		shutdown(c->fd, SHUT_WR);
		pump_eof(c);
		client_free(c);
	}
	for (i = 0; i < 20 && http_connections() > 0; i++)
		pump_once(NULL);
	assert_int_equal(http_connections(), 0);
	stop();
}

static void
test_status_text(void **state)
{
	(void)state;
	assert_string_equal(http_status_text(200), "OK");
	assert_string_equal(http_status_text(404), "Not Found");
	assert_string_equal(http_status_text(413), "Payload Too Large");
	assert_string_equal(http_status_text(431),
	    "Request Header Fields Too Large");
	assert_string_equal(http_status_text(504), "Gateway Timeout");
	assert_string_equal(http_status_text(799), "Unknown");
}

static void
test_bad_listen_address_is_refused(void **state)
{
	char	 err[256];

	(void)state;
	start(NULL);
	assert_int_equal(listen_add("no-port", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-port"));
	assert_int_equal(listen_add("127.0.0.1:notaport", err, sizeof(err)),
	    -1);
	assert_int_equal(listen_add("[::1]:0", err, sizeof(err)) == 0 ||
	    err[0] != '\0', 1);
	stop();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_and_put_are_echoed),
		cmocka_unit_test(test_error_body_is_escaped_json_with_allow),
		cmocka_unit_test(
		    test_keepalive_serves_200_requests_on_one_connection),
		cmocka_unit_test(test_pipelined_answers_keep_request_order),
		cmocka_unit_test(test_many_pipelined_requests_are_all_answered),
		cmocka_unit_test(test_http10_closes_unless_keepalive),
		cmocka_unit_test(
		    test_content_length_over_limit_is_413_before_the_body),
		cmocka_unit_test(test_expect_100_continue_is_honoured),
		cmocka_unit_test(test_100_continue_waits_for_earlier_answers),
		cmocka_unit_test(test_chunked_body_is_decoded_and_limited),
		cmocka_unit_test(test_ambiguous_framing_is_400_and_closes),
		cmocka_unit_test(
		    test_transfer_encoding_must_be_one_chunked_field),
		cmocka_unit_test(test_obs_fold_is_400_and_closes),
		cmocka_unit_test(
		    test_chunk_line_ended_by_bare_lf_is_400_at_once),
		cmocka_unit_test(
		    test_absolute_form_target_is_routed_on_its_path),
		cmocka_unit_test(test_h2_preface_is_handed_to_the_handler),
		cmocka_unit_test(
		    test_good_request_before_garbage_is_answered_first),
		cmocka_unit_test(test_long_target_is_414_and_big_head_is_431),
		cmocka_unit_test(test_client_reset_aborts_requests_in_flight),
		cmocka_unit_test(test_half_closed_client_still_gets_its_answer),
		cmocka_unit_test(test_byte_by_byte_request_is_parsed),
		cmocka_unit_test(test_timeouts_answer_408_or_close_quietly),
		cmocka_unit_test(test_max_connections_pauses_accept),
		cmocka_unit_test(test_stop_accepting_drains),
		cmocka_unit_test(test_head_and_upgrade_requests),
		cmocka_unit_test(test_random_input_never_crashes),
		cmocka_unit_test(test_status_text),
		cmocka_unit_test(test_access_log_has_client_and_agent_and_counts),
		cmocka_unit_test(test_bad_listen_address_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
