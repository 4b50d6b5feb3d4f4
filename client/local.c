/*
 * `nebula-plugin local`: runs one worker directly over pipes, with no
 * daemon, the way a plugin is developed on a laptop.  It reads the hello,
 * sends one create built from the body read on stdin, polls get with
 * backoff until a terminal phase and prints the outputs; on SIGINT or
 * SIGTERM it asks the worker to delete the job first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define LOCAL_STOP_TIMEOUT	5.0

struct local {
	const struct local_conf	*lo_conf;
	struct wpipe		*lo_wp;
	uint64_t		 lo_id;
	const char		*lo_type;
	const char		*lo_version;
};

/* The answer naming id; other lines are reported and skipped. */
static json_t *
local_await(struct local *lo, uint64_t id, int *exitp)
{
	char		*line, err[256];
	size_t		 len;
	json_t		*msg;
	uint64_t	 got;
	int		 r;

	*exitp = NPC_EXIT_ERROR;
	for (;;) {
		r = wpipe_line(lo->lo_wp, lo->lo_conf->lc_timeout, &line, &len);
		if (r == WPIPE_TIMEOUT) {
			cli_err("worker did not answer request %llu within "
			    "%gs", (unsigned long long)id,
			    lo->lo_conf->lc_timeout);
			return NULL;
		}
		if (r == WPIPE_EOF) {
			cli_err("worker closed its stdout");
			return NULL;
		}
		if (r == -1) {
			cli_err("reading from worker: %s", strerror(errno));
			return NULL;
		}
		if ((msg = msg_decode(line, len, err, sizeof(err))) == NULL) {
			cli_err("worker stdout: %s: %.80s", err, line);
			continue;
		}
		if (msg_id(msg, &got) == 0 && got == id)
			return msg;
		cli_err("worker stdout: dropped a line with no known id");
		json_decref(msg);
	}
}

/*
 * Sends op with the create body or the job's resource_meta (borrowed, may
 * be NULL), as the daemon would; returns the answer.
 */
static json_t *
local_call(struct local *lo, const char *op, json_t *body, json_t *meta,
    int *exitp)
{
	struct msg_request	 req;
	json_t			*ans, *e;
	uint64_t		 id = ++lo->lo_id;
	char			 rqid[32];

	*exitp = NPC_EXIT_ERROR;
	snprintf(rqid, sizeof(rqid), "local-%llu", (unsigned long long)id);
	memset(&req, 0, sizeof(req));
	req.mr_id = id;
	req.mr_op = op;
	req.mr_task_type = lo->lo_type;
	req.mr_version = lo->lo_version;
	req.mr_request_id = rqid;
	req.mr_deadline_ms = (long long)(lo->lo_conf->lc_timeout * 1000);
	req.mr_resource_meta = meta;
	req.mr_body = body;
	if (wpipe_send(lo->lo_wp, &req) == -1) {
		cli_err("writing to worker: %s", strerror(errno));
		return NULL;
	}
	if ((ans = local_await(lo, id, exitp)) == NULL)
		return NULL;
	if ((e = json_object_get(ans, "error")) != NULL) {
		cli_err("worker answered %s with error %s: %s", op,
		    json_string_value(json_object_get(e, "code")) ?
		    json_string_value(json_object_get(e, "code")) : "?",
		    json_string_value(json_object_get(e, "message")) ?
		    json_string_value(json_object_get(e, "message")) : "");
		if (json_is_string(json_object_get(e, "code")) &&
		    msg_error_status(json_string_value(json_object_get(e,
		    "code"))) == 404)
			*exitp = NPC_EXIT_NOT_FOUND;
		json_decref(ans);
		return NULL;
	}
	*exitp = NPC_EXIT_OK;
	return ans;
}

/* Reads the hello; picks the task type and version for the create. */
static int
local_hello(struct local *lo, json_t *body, char **typep, char **versionp)
{
	struct msg_hello	 h;
	char			*line, err[256];
	const char		*t = NULL;
	size_t			 len, i;
	json_t			*msg, *e, *vs;
	int			 r;

	r = wpipe_line(lo->lo_wp, lo->lo_conf->lc_start_timeout, &line,
	    &len);
	if (r == WPIPE_TIMEOUT) {
		cli_err("no hello within %g s; the first line on stdout must "
		    "be %s", lo->lo_conf->lc_start_timeout,
		    MSG_HELLO_FIRST_LINE);
		return -1;
	}
	if (r != WPIPE_LINE) {
		cli_err("worker closed its stdout before its hello; the first "
		    "line on stdout must be %s", MSG_HELLO_FIRST_LINE);
		return -1;
	}
	if ((msg = msg_decode(line, len, err, sizeof(err))) == NULL ||
	    msg_hello_parse(msg, &h, err, sizeof(err)) == -1) {
		cli_err("worker hello: %s; the first line on stdout must be "
		    "%s", err, MSG_HELLO_FIRST_LINE);
		json_decref(msg);
		return -1;
	}
	json_decref(msg);
	t = json_string_value(json_object_get(json_object_get(body,
	    "task_template"), "type"));
	*versionp = NULL;
	json_array_foreach(h.hello_task_types, i, e) {
		if (t != NULL && strcmp(t, json_string_value(json_object_get(e,
		    "type"))) != 0)
			continue;
		if (t == NULL)
			t = json_string_value(json_object_get(e, "type"));
		vs = json_object_get(e, "versions");
		if (json_array_size(vs) > 0)
			*versionp = strdup(json_string_value(
			    json_array_get(vs, 0)));
		break;
	}
	*typep = strdup(t != NULL ? t : "local");
	if (*versionp == NULL)
		*versionp = strdup(NPC_DEFAULT_VERSION);
	msg_hello_clear(&h);
	if (*typep == NULL || *versionp == NULL) {
		cli_err("out of memory");
		return -1;
	}
	return 0;
}

static const char *
local_phase(json_t *resource)
{
	const char	*p;

	p = json_string_value(json_object_get(resource, "phase"));
	return p != NULL && npc_phase_known(p) ? p : NULL;
}

/* Runs the job in body (borrowed) on the worker argv; the exit status. */
int
local_main(const struct local_conf *lc, char *const *argv, json_t *body)
{
	struct local		 lo;
	struct npc_backoff	 bo;
	char			*type = NULL, *version = NULL;
	json_t			*ans = NULL, *meta = NULL, *res;
	int			 ex = NPC_EXIT_ERROR, x, status;

	memset(&lo, 0, sizeof(lo));
	lo.lo_conf = lc;
	if (!json_is_object(json_object_get(body, "task_template"))) {
		cli_err("the create body has no task_template object");
		return NPC_EXIT_USAGE;
	}
	if ((lo.lo_wp = wpipe_start(argv)) == NULL) {
		cli_err("cannot run %s: %s", argv[0], strerror(errno));
		return NPC_EXIT_ERROR;
	}
	if (local_hello(&lo, body, &type, &version) == -1)
		goto fail;
	lo.lo_type = type;
	lo.lo_version = version;
	if ((ans = local_call(&lo, "create", body, NULL, &ex)) == NULL)
		goto fail;
	ex = NPC_EXIT_ERROR;
	if ((meta = json_incref(json_object_get(ans, "resource_meta"))) ==
	    NULL) {
		cli_err("worker answered create without resource_meta");
		goto fail;
	}
	res = json_object_get(ans, "resource");
	npc_backoff_init(&bo, lc->lc_initial, lc->lc_max);
	while (res == NULL || local_phase(res) == NULL ||
	    !npc_phase_terminal(local_phase(res))) {
		if (res != NULL && local_phase(res) == NULL) {
			cli_err("worker answered a resource with no known "
			    "phase");
			goto fail;
		}
		if (npc_poll_sleep(npc_backoff_next(&bo), &cli_stop) ==
		    NPC_POLL_CANCELLED) {
			json_decref(ans);
			ans = local_call(&lo, "delete", NULL, meta, &x);
			cli_err("interrupted: job %s", ans != NULL ?
			    "deleted" : "not deleted");
			ex = NPC_EXIT_FAILED;
			goto fail;
		}
		json_decref(ans);
		if ((ans = local_call(&lo, "get", NULL, meta, &ex)) == NULL)
			goto fail;
		ex = NPC_EXIT_ERROR;
		if ((res = json_object_get(ans, "resource")) == NULL) {
			cli_err("worker answered get without resource");
			goto fail;
		}
	}
	ex = cli_outcome(res);
	fflush(stdout);
	wpipe_close(lo.lo_wp);
	if (wpipe_wait(lo.lo_wp, LOCAL_STOP_TIMEOUT, &status) == WPIPE_TIMEOUT)
		cli_err("worker did not exit within %gs of end of input",
		    LOCAL_STOP_TIMEOUT);
fail:
	json_decref(ans);
	json_decref(meta);
	free(type);
	free(version);
	wpipe_free(lo.lo_wp);
	return ex;
}
