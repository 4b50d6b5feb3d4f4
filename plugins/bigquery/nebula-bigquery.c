/*
 * The BigQuery plugin: create is jobs.insert, get is jobs.get, delete is
 * jobs.cancel, all asynchronous on libcurl's multi interface so that one
 * worker holds many calls at once.  The job id is derived from the task
 * execution id, so a retried create finds its job (409, then jobs.get);
 * the resource_meta is just {project, location, job_id}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-svc.h"
#include "bigquery.h"

#define BQ_ENDPOINT	"https://bigquery.googleapis.com"
#define BQ_TIMEOUT	30000

enum bq_kind {
	BQ_INSERT,
	BQ_FIND,	/* jobs.get after a 409 on jobs.insert */
	BQ_GET,
	BQ_CANCEL
};

struct bq_op {
	struct nw_call	*op_call;
	enum bq_kind	 op_kind;
	char		*op_project;
	char		*op_location;	/* or NULL: the service picks */
	char		*op_job;
	char		*op_body;	/* jobs.insert */
};

static struct {
	char		*bs_endpoint;
	const char	*bs_project;	/* BQ_PROJECT, or NULL */
	char		 bs_autherr[512];	/* no credentials: why */
} bq;

static void	bq_send(const char *, const char *, const char *, void *);

static void
bq_op_free(struct bq_op *op)
{
	if (op == NULL)
		return;
	free(op->op_project);
	free(op->op_location);
	free(op->op_job);
	free(op->op_body);
	free(op);
}

static struct bq_op *
bq_op_new(struct nw_call *c, enum bq_kind kind, const char *project,
    const char *location, const char *job)
{
	struct bq_op	*op;

	if ((op = calloc(1, sizeof(*op))) == NULL)
		return NULL;
	op->op_call = c;
	op->op_kind = kind;
	op->op_project = strdup(project);
	op->op_job = strdup(job);
	if (location != NULL)
		op->op_location = strdup(location);
	if (op->op_project == NULL || op->op_job == NULL ||
	    (location != NULL && op->op_location == NULL)) {
		bq_op_free(op);
		return NULL;
	}
	return op;
}

/*
 * Ends the op with an error.  A poll that cannot reach the service is not
 * an error of the job: it answers RETRYABLE_FAILED, as SPEC asks.
 */
static void
bq_fail(struct bq_op *op, const char *code, const char *msg)
{
	if (op->op_kind == BQ_GET && strcmp(code, "UNAVAILABLE") == 0)
		nw_reply_resource(op->op_call, json_pack("{s:s, s:s, "
		    "s:{s:s, s:s}}", "phase", "RETRYABLE_FAILED", "message",
		    msg, "error", "code", "UNAVAILABLE", "kind",
		    "RECOVERABLE"));
	else
		nw_reply_error(op->op_call, code, "%s", msg);
	bq_op_free(op);
}

static void
bq_fail_http(struct bq_op *op, const struct hc_resp *r)
{
	char	 msg[1024];

	if (r->hr_status == 0)
		snprintf(msg, sizeof(msg), "BigQuery: %s%s",
		    r->hr_timedout ? "timed out: " : "", job_error_message(r));
	else
		snprintf(msg, sizeof(msg), "BigQuery answered %ld: %s",
		    r->hr_status, job_error_message(r));
	if (r->hr_status == 401)
		auth_invalidate();
	bq_fail(op, hc_error_code(r->hr_status), msg);
}

static void
bq_reply_meta(struct bq_op *op, const char *location)
{
	nw_reply_meta(op->op_call, json_pack("{s:s, s:s?, s:s}", "project",
	    op->op_project, "location", location, "job_id", op->op_job),
	    NULL);
	bq_op_free(op);
}

static void
bq_done(const struct hc_resp *r, void *arg)
{
	struct bq_op	*op = arg;
	json_t		*res;
	const char	*loc;

	loc = json_string_value(json_object_get(json_object_get(r->hr_json,
	    "jobReference"), "location"));
	if (loc == NULL)
		loc = op->op_location;
	switch (op->op_kind) {
	case BQ_INSERT:
		if (r->hr_status == 200) {
			bq_reply_meta(op, loc);
			return;
		}
		if (r->hr_status == 409) {
			/* Created by an earlier try: find it. */
			nw_log("job %s exists already; looking it up",
			    op->op_job);
			op->op_kind = BQ_FIND;
			if (auth_get(bq_send, op) == -1)
				bq_fail(op, "INTERNAL", "out of memory");
			return;
		}
		break;
	case BQ_FIND:
		if (r->hr_status == 200) {
			bq_reply_meta(op, loc);
			return;
		}
		break;
	case BQ_GET:
		if (r->hr_status == 200) {
			if ((res = job_resource(r->hr_json, op->op_project,
			    op->op_location, op->op_job)) == NULL) {
				bq_fail(op, "INTERNAL", "out of memory");
				return;
			}
			nw_reply_resource(op->op_call, res);
			bq_op_free(op);
			return;
		}
		break;
	case BQ_CANCEL:
		/* Gone already is cancelled enough. */
		if (r->hr_status == 200 || r->hr_status == 404) {
			nw_reply_ok(op->op_call);
			bq_op_free(op);
			return;
		}
		break;
	}
	bq_fail_http(op, r);
}

/* Builds the URL of the op's REST call; free() the result. */
static char *
bq_url(const struct bq_op *op)
{
	char		*p = NULL, *j = NULL, *l = NULL, *url = NULL;
	const char	*suffix = "";
	int		 n;

	if ((p = hc_escape(op->op_project)) == NULL ||
	    (j = hc_escape(op->op_job)) == NULL ||
	    (op->op_location != NULL &&
	    (l = hc_escape(op->op_location)) == NULL))
		goto fail;
	if (op->op_kind == BQ_INSERT)
		n = asprintf(&url, "%s/bigquery/v2/projects/%s/jobs",
		    bq.bs_endpoint, p);
	else {
		if (op->op_kind == BQ_CANCEL)
			suffix = "/cancel";
		n = asprintf(&url, "%s/bigquery/v2/projects/%s/jobs/%s%s%s%s",
		    bq.bs_endpoint, p, j, suffix, l ? "?location=" : "",
		    l ? l : "");
	}
	if (n == -1)
		url = NULL;
fail:
	free(p);
	free(j);
	free(l);
	return url;
}

/* With a token: sends the op's REST call. */
static void
bq_send(const char *token, const char *code, const char *err, void *arg)
{
	struct bq_op	*op = arg;
	struct hc_req	 q;
	char		*url;

	if (token == NULL) {
		bq_fail(op, code, err);
		return;
	}
	if ((url = bq_url(op)) == NULL) {
		bq_fail(op, "INTERNAL", "out of memory");
		return;
	}
	memset(&q, 0, sizeof(q));
	q.hq_url = url;
	q.hq_token = token;
	q.hq_timeout = hc_call_timeout(op->op_call, BQ_TIMEOUT);
	q.hq_cb = bq_done;
	q.hq_arg = op;
	switch (op->op_kind) {
	case BQ_INSERT:
		q.hq_method = "POST";
		q.hq_ctype = "application/json";
		q.hq_body = op->op_body;
		break;
	case BQ_CANCEL:
		q.hq_method = "POST";
		break;
	default:
		q.hq_method = "GET";
		break;
	}
	if (hc_start(&q) == -1)
		bq_fail(op, "INTERNAL", "cannot start an HTTP request");
	free(url);
}

static void
bq_start(struct bq_op *op)
{
	if (bq.bs_autherr[0] != '\0') {
		bq_fail(op, "PERMISSION_DENIED", bq.bs_autherr);
		return;
	}
	if (auth_get(bq_send, op) == -1)
		bq_fail(op, "INTERNAL", "out of memory");
}

static void
bq_create(struct nw_call *c, json_t *req, void *arg)
{
	struct bq_op	*op;
	json_t		*custom, *body, *v;
	const char	*project, *location;
	char		 job[64], err[512];

	(void)arg;
	custom = nw_call_custom(c);
	v = json_object_get(custom, "project");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0)) {
		nw_reply_error(c, "INVALID_ARGUMENT", "task_template.custom."
		    "project must be a non-empty string");
		return;
	}
	if ((project = v ? json_string_value(v) : bq.bs_project) == NULL) {
		nw_reply_error(c, "INVALID_ARGUMENT", "task_template.custom."
		    "project is missing and BQ_PROJECT is not set");
		return;
	}
	if (idem_key(req, "nebula_", job, sizeof(job)) == -1) {
		nw_reply_error(c, "INTERNAL", "cannot make a job id");
		return;
	}
	if ((body = job_insert_body(req, project, job, err, sizeof(err))) ==
	    NULL) {
		nw_reply_error(c, "INVALID_ARGUMENT", "%s", err);
		return;
	}
	location = json_string_value(json_object_get(custom, "location"));
	if ((op = bq_op_new(c, BQ_INSERT, project, location, job)) == NULL ||
	    (op->op_body = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		bq_op_free(op);
		nw_reply_error(c, "INTERNAL", "out of memory");
		return;
	}
	json_decref(body);
	bq_start(op);
}

/* get and delete: the job named by the resource_meta. */
static void
bq_lookup(struct nw_call *c, enum bq_kind kind)
{
	struct bq_op	*op;
	json_t		*meta, *loc;
	const char	*project, *job;

	meta = nw_call_meta(c);
	project = json_string_value(json_object_get(meta, "project"));
	job = json_string_value(json_object_get(meta, "job_id"));
	loc = json_object_get(meta, "location");
	if (project == NULL || job == NULL ||
	    (loc != NULL && !json_is_null(loc) && !json_is_string(loc))) {
		nw_reply_error(c, "INVALID_ARGUMENT", "resource_meta must hold "
		    "project and job_id strings (and a location)");
		return;
	}
	if ((op = bq_op_new(c, kind, project, json_string_value(loc),
	    job)) == NULL) {
		nw_reply_error(c, "INTERNAL", "out of memory");
		return;
	}
	bq_start(op);
}

static void
bq_get(struct nw_call *c, json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	bq_lookup(c, BQ_GET);
}

static void
bq_delete(struct nw_call *c, json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	bq_lookup(c, BQ_CANCEL);
}

int
main(void)
{
	static const char *const types[] = { "bigquery/v1", NULL };
	struct nw_plugin	 p = {
		.nwp_name = "bigquery",
		.nwp_task_types = types,
		.nwp_concurrency = 64,
		.nwp_create = bq_create,
		.nwp_get = bq_get,
		.nwp_delete = bq_delete,
		.nwp_tick = hc_tick,
	};
	const char		*s;
	size_t			 len;
	int			 rv;

	s = getenv("BIGQUERY_ENDPOINT");
	if ((bq.bs_endpoint = strdup(s && *s ? s : BQ_ENDPOINT)) == NULL)
		return EXIT_FAILURE;
	len = strlen(bq.bs_endpoint);
	while (len > 0 && bq.bs_endpoint[len - 1] == '/')
		bq.bs_endpoint[--len] = '\0';
	if ((s = getenv("BQ_PROJECT")) != NULL && *s != '\0')
		bq.bs_project = s;
	if (auth_init(bq.bs_autherr, sizeof(bq.bs_autherr)) == 0)
		bq.bs_autherr[0] = '\0';
	else
		nw_log("bigquery: %s; every call will fail", bq.bs_autherr);
	if (hc_init() == -1) {
		nw_log("bigquery: cannot initialise libcurl");
		return EXIT_FAILURE;
	}
	rv = nw_run(&p);
	hc_cleanup();
	auth_cleanup();
	free(bq.bs_endpoint);
	return rv == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
