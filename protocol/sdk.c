/*
 * The C worker SDK (nebula-worker.h): one poll(2) loop that owns the
 * protocol pipe, says hello, turns request lines into calls for the
 * plugin's handlers and queues their replies for batched, non-blocking
 * writes.  It also owns the plugin's extra descriptors and its tick, so
 * asynchronous plugins answer calls later from the same loop.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nebula-protocol.h"
#include "nebula-worker.h"

struct nw_call {
	TAILQ_ENTRY(nw_call)	 c_entry;
	uint64_t		 c_id;
	const char		*c_op;		/* inside c_req */
	json_t			*c_req;
	int64_t			 c_deadline;
	int64_t			 c_poll_after;	/* ms, -1: no hint */
	void			*c_data;
};

struct nw_watch {
	int			 w_fd;
	short			 w_events;
	nw_fd_cb		*w_cb;
	void			*w_arg;
};

static struct {
	int			 st_in;		/* the protocol pipe */
	int			 st_out;
	int			 st_inflags;
	int			 st_outflags;
	int			 st_eof;
	struct line_reader	*st_lr;
	struct buf		 st_outbuf;
	TAILQ_HEAD(, nw_call)	 st_calls;
	size_t			 st_ncalls;
	struct nw_watch		*st_watches;
	size_t			 st_nwatches;
	size_t			 st_capwatches;
} nw = { .st_in = -1, .st_out = -1 };

int64_t
nw_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
nw_log(const char *fmt, ...)
{
	va_list	 ap;
	char	 line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
}

size_t
nw_in_flight(void)
{
	return nw.st_ncalls;
}

/* Calls. */

uint64_t
nw_call_id(const struct nw_call *c)
{
	return c->c_id;
}

const char *
nw_call_op(const struct nw_call *c)
{
	return c->c_op ? c->c_op : "";
}

json_t *
nw_call_request(const struct nw_call *c)
{
	return c->c_req;
}

const char *
nw_call_task_type(const struct nw_call *c)
{
	const char	*s;

	s = json_string_value(json_object_get(c->c_req, "task_type"));
	return s ? s : "";
}

const char *
nw_call_version(const struct nw_call *c)
{
	const char	*s;

	s = json_string_value(json_object_get(c->c_req, "version"));
	return s ? s : "";
}

json_t *
nw_call_meta(const struct nw_call *c)
{
	return json_object_get(c->c_req, "resource_meta");
}

json_t *
nw_call_custom(const struct nw_call *c)
{
	return json_object_get(json_object_get(c->c_req, "task_template"),
	    "custom");
}

int64_t
nw_call_deadline(const struct nw_call *c)
{
	return c->c_deadline;
}

void
nw_call_poll_after(struct nw_call *c, int64_t ms)
{
	c->c_poll_after = ms < 0 ? -1 : ms;
}

void
nw_call_set_data(struct nw_call *c, void *data)
{
	c->c_data = data;
}

void *
nw_call_data(const struct nw_call *c)
{
	return c->c_data;
}

static void
nw_call_free(struct nw_call *c)
{
	if (c == NULL)
		return;
	TAILQ_REMOVE(&nw.st_calls, c, c_entry);
	nw.st_ncalls--;
	json_decref(c->c_req);
	free(c);
}

/* Replies. */

/* Queues {"id": N, ...resp} and frees the call; resp is taken. */
static void
nw_send(struct nw_call *c, json_t *resp)
{
	json_t	*obj;

	obj = json_pack("{s:I}", "id", (json_int_t)c->c_id);
	if (obj == NULL || resp == NULL ||
	    json_object_update(obj, resp) == -1 ||
	    msg_encode(&nw.st_outbuf, obj) == -1) {
		nw_log("cannot encode the answer to request %llu",
		    (unsigned long long)c->c_id);
		if (buf_printf(&nw.st_outbuf, "{\"id\":%llu,\"error\":{\"code\":"
		    "\"INTERNAL\",\"message\":\"worker cannot encode its "
		    "answer\"}}\n", (unsigned long long)c->c_id) == -1)
			nw_log("out of memory");
	}
	json_decref(obj);
	json_decref(resp);
	nw_call_free(c);
}

static void
nw_send_error(struct nw_call *c, const char *code, const char *msg)
{
	nw_send(c, json_pack("{s:{s:s, s:s}}", "error", "code", code,
	    "message", msg));
}

/* A handler answered with the wrong kind of reply: a plugin bug. */
static int
nw_check_op(struct nw_call *c, const char *want, const char *what)
{
	if (strcmp(nw_call_op(c), want) == 0)
		return 0;
	nw_log("plugin bug: %s answers a %s (request %llu)", what,
	    nw_call_op(c), (unsigned long long)c->c_id);
	nw_send_error(c, "INTERNAL", "worker answered with the wrong kind "
	    "of response");
	return -1;
}

void
nw_reply_meta(struct nw_call *c, json_t *meta, json_t *resource)
{
	json_t	*resp;

	if (nw_check_op(c, "create", "resource_meta") == -1)
		goto fail;
	if (meta == NULL) {
		nw_log("plugin bug: no resource_meta (request %llu)",
		    (unsigned long long)c->c_id);
		nw_send_error(c, "INTERNAL", "worker gave no resource_meta");
		goto fail;
	}
	resp = json_pack("{s:o}", "resource_meta", meta);
	if (resource != NULL && resp != NULL)
		json_object_set_new(resp, "resource", resource);
	else
		json_decref(resource);
	nw_send(c, resp);
	return;
fail:
	json_decref(meta);
	json_decref(resource);
}

void
nw_reply_resource(struct nw_call *c, json_t *resource)
{
	if (nw_check_op(c, "get", "a resource") == -1) {
		json_decref(resource);
		return;
	}
	if (resource == NULL) {
		nw_send_error(c, "INTERNAL", "worker gave no resource");
		return;
	}
	if (c->c_poll_after >= 0)
		nw_send(c, json_pack("{s:o, s:I}", "resource", resource,
		    "poll_after_ms", (json_int_t)c->c_poll_after));
	else
		nw_send(c, json_pack("{s:o}", "resource", resource));
}

void
nw_reply_phase(struct nw_call *c, const char *phase, json_t *outputs,
    const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024] = "";
	json_t	*res;

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	res = json_pack("{s:s, s:s}", "phase", phase, "message", msg);
	if (res != NULL && outputs != NULL)
		json_object_set_new(res, "outputs", outputs);
	else
		json_decref(outputs);
	nw_reply_resource(c, res);
}

void
nw_reply_lines(struct nw_call *c, json_t *lines, const char *token)
{
	json_t	*resp;

	if (nw_check_op(c, "logs", "lines") == -1) {
		json_decref(lines);
		return;
	}
	if (!json_is_array(lines)) {
		json_decref(lines);
		nw_send_error(c, "INTERNAL", "worker gave no lines array");
		return;
	}
	resp = json_pack("{s:o}", "lines", lines);
	if (resp != NULL && token != NULL && *token != '\0')
		json_object_set_new(resp, "token", json_string(token));
	nw_send(c, resp);
}

void
nw_reply_results(struct nw_call *c, json_t *results)
{
	if (nw_check_op(c, "metrics", "results") == -1) {
		json_decref(results);
		return;
	}
	if (!json_is_array(results)) {
		json_decref(results);
		nw_send_error(c, "INTERNAL", "worker gave no results array");
		return;
	}
	nw_send(c, json_pack("{s:o}", "results", results));
}

void
nw_reply_ok(struct nw_call *c)
{
	if (nw_check_op(c, "delete", "ok") == -1)
		return;
	nw_send(c, json_object());
}

void
nw_reply_error(struct nw_call *c, const char *code, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nw_send_error(c, code ? code : "INTERNAL", msg);
}

/* Descriptors of the plugin. */

static struct nw_watch *
nw_watch_find(int fd)
{
	size_t	 i;

	for (i = 0; i < nw.st_nwatches; i++)
		if (nw.st_watches[i].w_fd == fd)
			return &nw.st_watches[i];
	return NULL;
}

int
nw_watch(int fd, int events, nw_fd_cb *cb, void *arg)
{
	struct nw_watch	*w, *p;
	size_t		 cap;

	if ((w = nw_watch_find(fd)) == NULL) {
		if (nw.st_nwatches == nw.st_capwatches) {
			cap = nw.st_capwatches ? nw.st_capwatches * 2 : 8;
			p = reallocarray(nw.st_watches, cap, sizeof(*p));
			if (p == NULL)
				return -1;
			nw.st_watches = p;
			nw.st_capwatches = cap;
		}
		w = &nw.st_watches[nw.st_nwatches++];
	}
	w->w_fd = fd;
	w->w_events = (short)events;
	w->w_cb = cb;
	w->w_arg = arg;
	return 0;
}

void
nw_unwatch(int fd)
{
	struct nw_watch	*w;

	if ((w = nw_watch_find(fd)) == NULL)
		return;
	*w = nw.st_watches[--nw.st_nwatches];
}

/* The loop. */

/* Groups "type/version" strings into [{"type", "versions"}]. */
static json_t *
nw_task_types(const char *const *tts)
{
	json_t		*arr, *e, *vs;
	const char	*slash, *ver;
	char		*type;
	size_t		 i, j;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; tts[i] != NULL; i++) {
		slash = strchr(tts[i], '/');
		ver = slash ? slash + 1 : "v1";
		type = slash ? strndup(tts[i], (size_t)(slash - tts[i])) :
		    strdup(tts[i]);
		if (type == NULL)
			goto fail;
		vs = NULL;
		json_array_foreach(arr, j, e)
			if (strcmp(json_string_value(json_object_get(e,
			    "type")), type) == 0)
				vs = json_object_get(e, "versions");
		if (vs == NULL) {
			e = json_pack("{s:s, s:[]}", "type", type, "versions");
			if (e == NULL || json_array_append_new(arr, e) == -1) {
				free(type);
				goto fail;
			}
			vs = json_object_get(e, "versions");
		}
		free(type);
		if (json_array_append_new(vs, json_string(ver)) == -1)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static int
nw_hello(const struct nw_plugin *p)
{
	json_t	*tt = NULL, *hello = NULL;
	char	 err[256];
	int	 conc, rv = -1;

	conc = p->nwp_concurrency > 0 ? p->nwp_concurrency : 1;
	if (conc > NP_MAX_CONCURRENCY) {
		nw_log("concurrency %d is over the protocol's maximum %d",
		    conc, NP_MAX_CONCURRENCY);
		goto fail;
	}
	if (p->nwp_task_types != NULL) {
		if ((tt = nw_task_types(p->nwp_task_types)) == NULL) {
			nw_log("task types: invalid UTF-8 or out of memory");
			goto fail;
		}
		if (msg_task_types_valid(tt, err, sizeof(err)) == -1) {
			nw_log("bad task types: %s", err);
			goto fail;
		}
	}
	if ((hello = msg_hello_new(p->nwp_name, tt, conc)) == NULL ||
	    msg_hello_set_ops(hello, (p->nwp_logs ? MSG_OP_LOGS : 0) |
	    (p->nwp_metrics ? MSG_OP_METRICS : 0)) == -1 ||
	    msg_encode(&nw.st_outbuf, hello) == -1) {
		nw_log("cannot encode the hello");
		goto fail;
	}
	rv = 0;
fail:
	json_decref(tt);
	json_decref(hello);
	return rv;
}

/* Answers a request line it cannot read (but whose id it found). */
static void
nw_unreadable(uint64_t id, const char *why)
{
	json_t	*resp;

	nw_log("request %llu cannot be read: %s", (unsigned long long)id, why);
	resp = json_pack("{s:I, s:{s:s, s:s+}}", "id", (json_int_t)id,
	    "error", "code", "INVALID_ARGUMENT", "message",
	    "the worker cannot read the request: ", why);
	if (resp == NULL || msg_encode(&nw.st_outbuf, resp) == -1)
		nw_log("cannot encode the answer to request %llu",
		    (unsigned long long)id);
	json_decref(resp);
}

static void
nw_dispatch(const struct nw_plugin *p, const char *line, size_t len)
{
	struct nw_call	*c;
	json_t		*req, *v;
	nw_handler	*h;
	uint64_t	 id;
	int		 within = 0;
	char		 err[256];

	if (len == 0)
		return;		/* a blank line is no request */
	/*
	 * What yajl reads within the input limits needs no second walk;
	 * what it leaves goes to jansson once, then to the limits.
	 */
	if ((req = jscan_load(line, len, MSG_MAX_DEPTH, NULL)) != NULL)
		within = 1;
	else
		req = msg_decode_jansson(line, len, err, sizeof(err));
	if (req != NULL && msg_id(req, &id) == -1) {
		nw_log("ignoring a request without a valid id");
		json_decref(req);
		return;
	}
	if (req == NULL || (!within &&
	    msg_limits_check(req, err, sizeof(err)) == -1)) {
		/* Unreadable, or over the input limits: answer, never drop. */
		json_decref(req);
		if (req == NULL && msg_line_id(line, len, &id) == -1) {
			nw_log("ignoring a request line: %s", err);
			return;
		}
		nw_unreadable(id, err);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		nw_log("out of memory; dropping request %llu",
		    (unsigned long long)id);
		json_decref(req);
		return;
	}
	c->c_id = id;
	c->c_req = req;		/* taken */
	c->c_op = json_string_value(json_object_get(req, "op"));
	c->c_deadline = -1;
	c->c_poll_after = -1;
	v = json_object_get(req, "deadline_ms");
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		c->c_deadline = nw_now() + json_integer_value(v);
	TAILQ_INSERT_TAIL(&nw.st_calls, c, c_entry);
	nw.st_ncalls++;

	if (c->c_op == NULL) {
		nw_send_error(c, "INVALID_ARGUMENT", "request has no op");
		return;
	}
	if (strcmp(c->c_op, "create") == 0)
		h = p->nwp_create;
	else if (strcmp(c->c_op, "get") == 0)
		h = p->nwp_get;
	else if (strcmp(c->c_op, "delete") == 0) {
		if ((h = p->nwp_delete) == NULL) {
			nw_reply_ok(c);
			return;
		}
	} else if (strcmp(c->c_op, "logs") == 0)
		h = p->nwp_logs;
	else if (strcmp(c->c_op, "metrics") == 0)
		h = p->nwp_metrics;
	else {
		nw_reply_error(c, "UNIMPLEMENTED", "unknown op \"%s\"",
		    c->c_op);
		return;
	}
	if (h == NULL) {
		nw_reply_error(c, "UNIMPLEMENTED", "this worker has no %s",
		    c->c_op);
		return;
	}
	h(c, req, p->nwp_arg);
}

/* Reads what stdin has now and dispatches every complete line. */
static int
nw_read(const struct nw_plugin *p)
{
	ssize_t	 n;
	size_t	 len;
	char	*line;

	for (;;) {
		n = line_reader_fill(nw.st_lr, nw.st_in);
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS) {
			nw_log("reading requests: %s", strerror(errno));
			return -1;
		}
		while ((line = line_reader_next(nw.st_lr, &len)) != NULL)
			nw_dispatch(p, line, len);
		if (line_reader_overflow(nw.st_lr)) {
			nw_log("a request line is longer than %d bytes",
			    NP_DEFAULT_MAX_LINE);
			return -1;
		}
		if (n == 0) {
			if (line_reader_buffered(nw.st_lr) > 0)
				nw_log("ignoring an unterminated last line");
			nw.st_eof = 1;
			return 0;
		}
		if (n == -1 && errno != ENOBUFS)
			return 0;
	}
}

static int
nw_flush(void)
{
	if (buf_pending(&nw.st_outbuf) == 0)
		return 0;
	if (buf_write(&nw.st_outbuf, nw.st_out) == -1) {
		nw_log("writing answers: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Moves the pipe to private fds; fd 1 becomes stderr, fd 0 /dev/null. */
static int
nw_setup_fds(void)
{
	int	 null;

	if ((nw.st_in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (nw.st_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)) == -1) {
		nw_log("dup: %s", strerror(errno));
		return -1;
	}
	if (dup2(STDERR_FILENO, STDOUT_FILENO) == -1 ||
	    (null = open("/dev/null", O_RDONLY)) == -1) {
		nw_log("redirecting stdio: %s", strerror(errno));
		return -1;
	}
	if (null != STDIN_FILENO) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	if ((nw.st_inflags = fcntl(nw.st_in, F_GETFL)) == -1 ||
	    (nw.st_outflags = fcntl(nw.st_out, F_GETFL)) == -1 ||
	    fcntl(nw.st_in, F_SETFL, nw.st_inflags | O_NONBLOCK) == -1 ||
	    fcntl(nw.st_out, F_SETFL, nw.st_outflags | O_NONBLOCK) == -1) {
		nw_log("fcntl: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Gives stdin and stdout back as they were (shared with our parent). */
static void
nw_restore_fds(void)
{
	if (nw.st_in != -1) {
		fcntl(nw.st_in, F_SETFL, nw.st_inflags);
		dup2(nw.st_in, STDIN_FILENO);
		close(nw.st_in);
	}
	if (nw.st_out != -1) {
		fcntl(nw.st_out, F_SETFL, nw.st_outflags);
		fflush(stdout);
		dup2(nw.st_out, STDOUT_FILENO);
		close(nw.st_out);
	}
	nw.st_in = nw.st_out = -1;
}

int
nw_run(const struct nw_plugin *p)
{
	struct pollfd	*pfd = NULL, *np;
	struct nw_call	*c;
	struct nw_watch	*w;
	size_t		 i, n, cap = 0;
	int		 timeout = -1, rv = -1, warned = 0;

	signal(SIGPIPE, SIG_IGN);
	TAILQ_INIT(&nw.st_calls);
	nw.st_eof = 0;
	if ((nw.st_lr = line_reader_new(NP_DEFAULT_MAX_LINE, 0)) == NULL) {
		nw_log("out of memory");
		goto fail;
	}
	if (nw_setup_fds() == -1 || nw_hello(p) == -1)
		goto fail;
	if (p->nwp_tick != NULL)
		timeout = p->nwp_tick(p->nwp_arg);

	for (;;) {
		if (nw_flush() == -1)
			goto fail;
		if (nw.st_eof && nw.st_ncalls == 0 &&
		    buf_pending(&nw.st_outbuf) == 0)
			break;
		if (nw.st_eof && nw.st_ncalls > 0 && !warned) {
			nw_log("end of input; waiting for %zu call(s) in "
			    "flight", nw.st_ncalls);
			warned = 1;
		}
		n = 2 + nw.st_nwatches;
		if (n > cap) {
			if ((np = reallocarray(pfd, n, sizeof(*np))) == NULL) {
				nw_log("out of memory");
				goto fail;
			}
			pfd = np;
			cap = n;
		}
		pfd[0].fd = nw.st_eof ? -1 : nw.st_in;
		pfd[0].events = POLLIN;
		pfd[1].fd = buf_pending(&nw.st_outbuf) ? nw.st_out : -1;
		pfd[1].events = POLLOUT;
		for (i = 0; i < nw.st_nwatches; i++) {
			pfd[2 + i].fd = nw.st_watches[i].w_fd;
			pfd[2 + i].events = nw.st_watches[i].w_events;
		}
		for (i = 0; i < n; i++)
			pfd[i].revents = 0;
		if (poll(pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			nw_log("poll: %s", strerror(errno));
			goto fail;
		}
		if (pfd[0].revents != 0 && nw_read(p) == -1)
			goto fail;
		for (i = 2; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			/* An earlier callback may have removed or moved it. */
			if ((w = nw_watch_find(pfd[i].fd)) != NULL)
				w->w_cb(pfd[i].fd, pfd[i].revents, w->w_arg);
		}
		if (p->nwp_tick != NULL)
			timeout = p->nwp_tick(p->nwp_arg);
	}
	rv = 0;
fail:
	/* Best effort: what the pipe still takes of the last answers. */
	if (nw.st_out != -1)
		nw_flush();
	while ((c = TAILQ_FIRST(&nw.st_calls)) != NULL)
		nw_call_free(c);
	nw_restore_fds();
	line_reader_free(nw.st_lr);
	nw.st_lr = NULL;
	buf_release(&nw.st_outbuf);
	free(pfd);
	free(nw.st_watches);
	nw.st_watches = NULL;
	nw.st_nwatches = nw.st_capwatches = 0;
	return rv;
}
