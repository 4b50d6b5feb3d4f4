/*
 * A hostile worker for the daemon's end-to-end tests, written on the bare
 * protocol library (not the SDK) so that it can lie.  Each request behaves
 * as its action says; environment variables make it misbehave at start.
 *
 * Actions: create takes task_template.custom.action and puts into its
 * resource_meta {"action", "inputs", "ms"} where action is
 * custom.poll_action if given (so that a job can be created fine and then
 * misbehave when polled or deleted), else custom.action; get and delete
 * take resource_meta.action.  Absent means "ok".
 *   ok           normal answers; get SUCCEEDED with outputs = inputs
 *   crash        exit(3) at once without answering
 *   hang         never answer that request
 *   garbage      print "this is not json" instead of an answer
 *   wrongid      answer with id + 1000
 *   badresponse  answer the right id with something invalid
 *   huge         answer with one line of over 20 MB
 *   stderr       write 3 lines to stderr, then answer ok
 *   sync         create answers with an inline SUCCEEDED resource
 *   slow         sleep custom.ms (resource_meta.ms) milliseconds, answer ok
 *   record       append the whole request line to $TW_RECORD,
 *                then answer ok
 *   running      record as above when $TW_RECORD is set; get answers
 *                RUNNING (a job that never ends), the other ops ok
 *   biglogs      logs answers TW_BIGLOG_LINES lines of 100 bytes (about
 *                4 MB), "line NNNNNN xxx...\n", then "end\n"
 *   hostile      first a line of invalid UTF-8, one nested 100000 deep,
 *                an answer to an id never sent, then the real answer
 *                twice (the second is a duplicate)
 * With TW_OPS=logs,metrics (either or both) the hello declares those ops;
 * logs answers the lines "lines=N token=T\n" (the query it got) and
 * "done\n" (with a timestamp, SYSTEM) and the token "next"; metrics answers
 * one result whose data echoes the query's "queries".
 * Environment: TW_CONCURRENCY (hello concurrency, default 4), TW_NAME
 * (hello name, default testworker), TW_NO_HELLO=1, TW_BAD_PROTOCOL=1
 * (hello with protocol 2), TW_EXIT_AT_START=N (exit N before the hello),
 * TW_HELLO_DELAY_MS=N, TW_PRINT_ENV=FILE (at start, write lines
 * "env NAME=VALUE", "rlimit as|nofile|cpu SOFT HARD" ("unlimited" for no
 * limit), "uid N", "gid N", "euid N", "egid N", "cwd PATH" to FILE).
 */
#include <sys/resource.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nebula-protocol.h"

#define TW_HUGE_BYTES	(21 * 1024 * 1024)
#define TW_BIGLOG_LINES	40000

extern char **environ;

static struct buf	 tw_out;

static void
tw_flush(void)
{
	while (buf_pending(&tw_out) > 0)
		if (buf_write(&tw_out, STDOUT_FILENO) == -1) {
			fprintf(stderr, "testworker: write: %s\n",
			    strerror(errno));
			_exit(1);	/* the daemon went away: no leak report */
		}
}

/* Sends obj (taken) as one line, at once. */
static void
tw_send(json_t *obj)
{
	if (obj == NULL || msg_encode(&tw_out, obj) == -1) {
		fprintf(stderr, "testworker: cannot encode\n");
		exit(1);
	}
	json_decref(obj);
	tw_flush();
}

static void
tw_raw(const char *s)
{
	buf_append(&tw_out, s, strlen(s));
	tw_flush();
}

static const char *
tw_env(const char *name, const char *def)
{
	const char	*v = getenv(name);

	return v && *v ? v : def;
}

static void
tw_print_limit(FILE *fp, const char *name, int resource)
{
	struct rlimit	 rl;

	if (getrlimit(resource, &rl) == -1) {
		fprintf(fp, "rlimit %s error\n", name);
		return;
	}
	fprintf(fp, "rlimit %s ", name);
	if (rl.rlim_cur == RLIM_INFINITY)
		fprintf(fp, "unlimited ");
	else
		fprintf(fp, "%llu ", (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		fprintf(fp, "unlimited\n");
	else
		fprintf(fp, "%llu\n", (unsigned long long)rl.rlim_max);
}

static void
tw_print_env(const char *path)
{
	FILE	*fp;
	char	**e, cwd[4096];

	if ((fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "testworker: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (e = environ; *e != NULL; e++)
		fprintf(fp, "env %s\n", *e);
	tw_print_limit(fp, "as", RLIMIT_AS);
	tw_print_limit(fp, "nofile", RLIMIT_NOFILE);
	tw_print_limit(fp, "cpu", RLIMIT_CPU);
	fprintf(fp, "uid %u\ngid %u\neuid %u\negid %u\n", (unsigned)getuid(),
	    (unsigned)getgid(), (unsigned)geteuid(), (unsigned)getegid());
	fprintf(fp, "cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
	fclose(fp);
}

static void
tw_sleep_ms(json_int_t ms)
{
	struct timespec	 ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
tw_record(json_t *req)
{
	const char	*path = getenv("TW_RECORD");
	char		*s;
	FILE		*fp;

	if (path == NULL || (fp = fopen(path, "a")) == NULL) {
		fprintf(stderr, "testworker: cannot record to %s\n",
		    path ? path : "(TW_RECORD unset)");
		return;
	}
	if ((s = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS)) != NULL) {
		fprintf(fp, "%s\n", s);
		free(s);
	}
	fclose(fp);
}

/* One line of over 20 MB, in pieces, with the newline only at the end. */
static void
tw_huge(uint64_t id)
{
	char	 chunk[65536];
	size_t	 sent;

	buf_printf(&tw_out, "{\"id\":%llu,\"resource_meta\":{\"pad\":\"",
	    (unsigned long long)id);
	memset(chunk, 'x', sizeof(chunk));
	for (sent = 0; sent < TW_HUGE_BYTES; sent += sizeof(chunk)) {
		buf_append(&tw_out, chunk, sizeof(chunk));
		tw_flush();
	}
	tw_raw("\"}}\n");
}

/* The logs of biglogs: many lines, more than one HTTP/2 stream holds. */
static void
tw_biglogs(uint64_t id)
{
	json_t	*lines;
	char	 line[128];
	int	 i;

	lines = json_array();
	for (i = 0; i < TW_BIGLOG_LINES; i++) {
		snprintf(line, sizeof(line), "line %06d %088d\n", i, 0);
		json_array_append_new(lines, json_string(line));
	}
	json_array_append_new(lines, json_string("end\n"));
	tw_send(json_pack("{s:I, s:o, s:s}", "id", (json_int_t)id, "lines",
	    lines, "token", ""));
}

/* The answer to logs and metrics (the request is the query). */
static void
tw_answer_op(uint64_t id, const char *op, json_t *req)
{
	json_t		*q;
	char		 first[256];
	const char	*token;

	if (strcmp(op, "logs") == 0) {
		token = json_string_value(json_object_get(req, "token"));
		snprintf(first, sizeof(first), "lines=%lld token=%s\n",
		    (long long)json_integer_value(json_object_get(req,
		    "lines")), token ? token : "");
		tw_send(json_pack("{s:I, s:[s, {s:s, s:s, s:s}], s:s}", "id",
		    (json_int_t)id, "lines", first, "message", "done\n",
		    "timestamp", "2024-01-02T03:04:05Z", "originator", "SYSTEM",
		    "token", "next"));
		return;
	}
	q = json_object_get(req, "queries");
	tw_send(json_pack("{s:I, s:[{s:s, s:{s:s, s:O}}]}", "id",
	    (json_int_t)id, "results", "metric",
	    "EXECUTION_METRIC_USED_CPU_AVG", "data", "resultType", "matrix",
	    "queries", q ? q : json_null()));
}

/* The normal answer to a request. */
static void
tw_answer(uint64_t id, const char *op, const char *action, json_t *meta)
{
	json_t	*inputs, *outputs;

	inputs = json_object_get(meta, "inputs");
	outputs = inputs && !json_is_null(inputs) ? inputs : NULL;
	if (strcmp(op, "create") == 0) {
		if (strcmp(action, "sync") == 0)
			tw_send(json_pack("{s:I, s:O, s:{s:s, s:s, s:O}}",
			    "id", (json_int_t)id, "resource_meta", meta,
			    "resource", "phase", "SUCCEEDED", "message", "",
			    "outputs", outputs ? outputs : json_object()));
		else
			tw_send(json_pack("{s:I, s:O}", "id", (json_int_t)id,
			    "resource_meta", meta));
	} else if (strcmp(op, "get") == 0)
		tw_send(json_pack("{s:I, s:{s:s, s:s, s:O}}", "id",
		    (json_int_t)id, "resource", "phase", "SUCCEEDED",
		    "message", "", "outputs",
		    outputs ? outputs : json_object()));
	else
		tw_send(json_pack("{s:I}", "id", (json_int_t)id));
}

static void
tw_request(json_t *req)
{
	json_t		*custom, *meta = NULL, *v;
	const char	*op, *action;
	uint64_t	 id;
	json_int_t	 ms;

	if (msg_id(req, &id) == -1) {
		fprintf(stderr, "testworker: request without id\n");
		return;
	}
	op = json_string_value(json_object_get(req, "op"));
	if (op == NULL)
		op = "";
	if (strcmp(op, "create") == 0) {
		custom = json_object_get(json_object_get(req,
		    "task_template"), "custom");
		action = json_string_value(json_object_get(custom, "action"));
		if (action == NULL)
			action = "ok";
		v = json_object_get(custom, "poll_action");
		meta = json_object();
		json_object_set(meta, "action", json_is_string(v) ? v :
		    json_object_get(custom, "action"));
		if (json_object_get(meta, "action") == NULL)
			json_object_set_new(meta, "action", json_string("ok"));
		v = json_object_get(req, "inputs");
		json_object_set(meta, "inputs", v ? v : json_null());
		v = json_object_get(custom, "ms");
		json_object_set_new(meta, "ms", json_integer(
		    json_is_integer(v) ? json_integer_value(v) : 0));
	} else {
		meta = json_incref(json_object_get(req, "resource_meta"));
		action = json_string_value(json_object_get(meta, "action"));
		if (action == NULL)
			action = "ok";
	}
	if (strcmp(op, "logs") == 0 && strcmp(action, "biglogs") == 0) {
		tw_biglogs(id);
		goto done;
	}
	if ((strcmp(op, "logs") == 0 || strcmp(op, "metrics") == 0) &&
	    strcmp(action, "ok") == 0) {
		tw_answer_op(id, op, req);
		goto done;
	}
	if (strcmp(op, "create") != 0 && strcmp(op, "get") != 0 &&
	    strcmp(op, "delete") != 0 && strcmp(op, "logs") != 0 &&
	    strcmp(op, "metrics") != 0) {
		tw_send(json_pack("{s:I, s:{s:s, s:s}}", "id", (json_int_t)id,
		    "error", "code", "INVALID_ARGUMENT", "message",
		    "unknown op"));
		goto done;
	}

	if (strcmp(action, "crash") == 0) {
		fprintf(stderr, "testworker: crashing on %s %llu\n", op,
		    (unsigned long long)id);
		_exit(3);
	} else if (strcmp(action, "hang") == 0) {
		fprintf(stderr, "testworker: hanging on %s %llu\n", op,
		    (unsigned long long)id);
	} else if (strcmp(action, "garbage") == 0) {
		tw_raw("this is not json\n");
	} else if (strcmp(action, "wrongid") == 0) {
		tw_answer(id + 1000, op, action, meta);
	} else if (strcmp(action, "badresponse") == 0) {
		if (strcmp(op, "delete") == 0)
			tw_send(json_pack("{s:I, s:i}", "id", (json_int_t)id,
			    "error", 5));
		else
			tw_send(json_pack("{s:I, s:i}", "id", (json_int_t)id,
			    "resource", 5));
	} else if (strcmp(action, "huge") == 0) {
		tw_huge(id);
	} else if (strcmp(action, "hostile") == 0) {
		char	 line[64];
		int	 i;

		tw_raw("{\"id\":1,\"resource_meta\":\"\xff\xfe\xc0\"}\n");
		for (i = 0; i < 100000; i++)
			buf_append(&tw_out, "[", 1);
		tw_raw("\n");
		snprintf(line, sizeof(line), "{\"id\":%llu,\"resource_meta\":{}}\n",
		    (unsigned long long)id + 5000000);
		tw_raw(line);
		tw_answer(id, op, "ok", meta);
		tw_answer(id, op, "ok", meta);
	} else if (strcmp(action, "stderr") == 0) {
		fprintf(stderr, "testworker: stderr line 1 (%s %llu)\n", op,
		    (unsigned long long)id);
		fprintf(stderr, "testworker: stderr line 2\n");
		fprintf(stderr, "testworker: stderr line 3\n");
		tw_answer(id, op, action, meta);
	} else if (strcmp(action, "slow") == 0) {
		v = json_object_get(meta, "ms");
		ms = json_is_integer(v) ? json_integer_value(v) : 0;
		tw_sleep_ms(ms);
		tw_answer(id, op, action, meta);
	} else if (strcmp(action, "record") == 0) {
		tw_record(req);
		tw_answer(id, op, action, meta);
	} else if (strcmp(action, "running") == 0) {
		if (getenv("TW_RECORD") != NULL)
			tw_record(req);
		if (strcmp(op, "get") == 0)
			tw_send(json_pack("{s:I, s:{s:s, s:s}}", "id",
			    (json_int_t)id, "resource", "phase", "RUNNING",
			    "message", "running until deleted"));
		else
			tw_answer(id, op, action, meta);
	} else
		tw_answer(id, op, action, meta);	/* ok, sync, unknown */
done:
	json_decref(meta);
}

int
main(void)
{
	struct line_reader	*lr;
	const char		*s;
	char			*line, err[256];
	size_t			 len;
	ssize_t			 n;
	json_t			*req, *hello;
	int			 conc;

	if ((s = getenv("TW_EXIT_AT_START")) != NULL && *s)
		exit(atoi(s));
	if ((s = getenv("TW_PRINT_ENV")) != NULL && *s)
		tw_print_env(s);
	tw_sleep_ms(atoll(tw_env("TW_HELLO_DELAY_MS", "0")));
	conc = atoi(tw_env("TW_CONCURRENCY", "4"));
	if (getenv("TW_NO_HELLO") == NULL) {
		hello = msg_hello_new(tw_env("TW_NAME", "testworker"),
		    NULL, conc);
		if (hello == NULL)
			exit(1);
		json_object_set_new(json_object_get(hello, "hello"),
		    "task_types", json_pack("[{s:s, s:[s]}]", "type",
		    "testworker", "versions", "v1"));
		if ((s = getenv("TW_OPS")) != NULL)
			msg_hello_set_ops(hello,
			    (strstr(s, "logs") ? MSG_OP_LOGS : 0) |
			    (strstr(s, "metrics") ? MSG_OP_METRICS : 0));
		if (getenv("TW_BAD_PROTOCOL") != NULL)
			json_object_set_new(json_object_get(hello, "hello"),
			    "protocol", json_integer(2));
		tw_send(hello);
	}
	if ((lr = line_reader_new(0, 0)) == NULL)
		exit(1);
	for (;;) {
		n = line_reader_fill(lr, STDIN_FILENO);
		if (n == -1 && errno == EAGAIN) {
			struct pollfd	 pfd = { STDIN_FILENO, POLLIN, 0 };

			poll(&pfd, 1, -1);
			continue;
		}
		if (n == -1 && errno != ENOBUFS) {
			fprintf(stderr, "testworker: read: %s\n",
			    strerror(errno));
			exit(1);
		}
		while ((line = line_reader_next(lr, &len)) != NULL) {
			if ((req = msg_decode(line, len, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "testworker: %s\n", err);
				continue;
			}
			tw_request(req);
			json_decref(req);
		}
		if (line_reader_overflow(lr)) {
			fprintf(stderr, "testworker: request line too long\n");
			exit(1);
		}
		if (n == 0)
			break;
	}
	line_reader_free(lr);
	buf_release(&tw_out);
	return 0;
}
