/*
 * The Databricks plugin: create is Jobs API 2.1 runs/submit, get is
 * runs/get, delete is runs/cancel, all asynchronous on libcurl's multi
 * interface.  The idempotency token comes from the task execution id, so
 * a retried create gets the run the first one started; the resource_meta
 * is just {run_id}.  The token file is re-read whenever it changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-svc.h"
#include "databricks.h"

#define DBX_TIMEOUT	30000

enum dbx_kind {
	DBX_SUBMIT,
	DBX_GET,
	DBX_CANCEL
};

struct dbx_op {
	struct nw_call	*op_call;
	enum dbx_kind	 op_kind;
	json_int_t	 op_run;
	char		*op_body;	/* runs/submit, runs/cancel */
};

static struct {
	char		*ds_host;	/* https://..., no trailing slash */
	struct tok_file	*ds_file;	/* DATABRICKS_TOKEN_FILE */
	const char	*ds_token;	/* DATABRICKS_TOKEN */
	char		 ds_err[512];	/* not configured: why */
} dbx;

static void
dbx_op_free(struct dbx_op *op)
{
	if (op == NULL)
		return;
	free(op->op_body);
	free(op);
}

/* Ends the op with an error; a poll that cannot get through retries. */
static void
dbx_fail(struct dbx_op *op, const char *code, const char *msg)
{
	if (op->op_kind == DBX_GET && strcmp(code, "UNAVAILABLE") == 0)
		nw_reply_resource(op->op_call, json_pack("{s:s, s:s, "
		    "s:{s:s, s:s}}", "phase", "RETRYABLE_FAILED", "message",
		    msg, "error", "code", "UNAVAILABLE", "kind",
		    "RECOVERABLE"));
	else
		nw_reply_error(op->op_call, code, "%s", msg);
	dbx_op_free(op);
}

static void
dbx_done(const struct hc_resp *r, void *arg)
{
	struct dbx_op	*op = arg;
	json_t		*res, *id;
	const char	*ec;
	char		 msg[1024];

	if (r->hr_status == 200) {
		switch (op->op_kind) {
		case DBX_SUBMIT:
			id = json_object_get(r->hr_json, "run_id");
			if (!json_is_integer(id)) {
				dbx_fail(op, "INTERNAL", "runs/submit answered "
				    "without a run_id");
				return;
			}
			nw_log("run %lld submitted",
			    (long long)json_integer_value(id));
			nw_reply_meta(op->op_call, json_pack("{s:O}", "run_id",
			    id), NULL);
			break;
		case DBX_GET:
			if ((res = run_resource(r->hr_json)) == NULL) {
				dbx_fail(op, "INTERNAL", "out of memory");
				return;
			}
			nw_reply_resource(op->op_call, res);
			break;
		case DBX_CANCEL:
			nw_reply_ok(op->op_call);
			break;
		}
		dbx_op_free(op);
		return;
	}
	ec = json_string_value(json_object_get(r->hr_json, "error_code"));
	if (op->op_kind == DBX_CANCEL && r->hr_status == 404) {
		nw_reply_ok(op->op_call);	/* gone is cancelled enough */
		dbx_op_free(op);
		return;
	}
	if (r->hr_status == 0)
		snprintf(msg, sizeof(msg), "Databricks: %s%s",
		    r->hr_timedout ? "timed out: " : "", run_error_message(r));
	else
		snprintf(msg, sizeof(msg), "Databricks answered %ld%s%s: %s",
		    r->hr_status, ec ? " " : "", ec ? ec : "",
		    run_error_message(r));
	dbx_fail(op, hc_error_code(r->hr_status), msg);
}

static void
dbx_start(struct dbx_op *op)
{
	struct hc_req	 q;
	const char	*token, *path;
	char		*url = NULL, err[512];

	if (dbx.ds_err[0] != '\0') {
		dbx_fail(op, "PERMISSION_DENIED", dbx.ds_err);
		return;
	}
	token = dbx.ds_token;
	if (dbx.ds_file != NULL &&
	    (token = tok_file_get(dbx.ds_file, err, sizeof(err))) == NULL) {
		dbx_fail(op, "PERMISSION_DENIED", err);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.hq_token = token;
	q.hq_timeout = hc_call_timeout(op->op_call, DBX_TIMEOUT);
	q.hq_cb = dbx_done;
	q.hq_arg = op;
	switch (op->op_kind) {
	case DBX_SUBMIT:
	case DBX_CANCEL:
		path = op->op_kind == DBX_SUBMIT ? "submit" : "cancel";
		if (asprintf(&url, "%s/api/2.1/jobs/runs/%s", dbx.ds_host,
		    path) == -1)
			url = NULL;
		q.hq_method = "POST";
		q.hq_ctype = "application/json";
		q.hq_body = op->op_body;
		break;
	case DBX_GET:
		if (asprintf(&url, "%s/api/2.1/jobs/runs/get?run_id=%lld",
		    dbx.ds_host, (long long)op->op_run) == -1)
			url = NULL;
		q.hq_method = "GET";
		break;
	}
	if (url == NULL) {
		dbx_fail(op, "INTERNAL", "out of memory");
		return;
	}
	q.hq_url = url;
	if (hc_start(&q) == -1)
		dbx_fail(op, "INTERNAL", "cannot start an HTTP request");
	free(url);
}

static void
dbx_create(struct nw_call *c, json_t *req, void *arg)
{
	struct dbx_op	*op;
	json_t		*body;
	char		 key[64], err[512];
	int		 derived;

	(void)arg;
	if ((derived = idem_key(req, "nebula-", key, sizeof(key))) == -1) {
		nw_reply_error(c, "INTERNAL", "cannot make an idempotency "
		    "token");
		return;
	}
	if ((body = run_submit_body(req, derived ? key : NULL, err,
	    sizeof(err))) == NULL) {
		nw_reply_error(c, "INVALID_ARGUMENT", "%s", err);
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->op_body = json_dumps(body, JSON_COMPACT)) == NULL) {
		json_decref(body);
		dbx_op_free(op);
		nw_reply_error(c, "INTERNAL", "out of memory");
		return;
	}
	json_decref(body);
	op->op_call = c;
	op->op_kind = DBX_SUBMIT;
	dbx_start(op);
}

static void
dbx_lookup(struct nw_call *c, enum dbx_kind kind)
{
	struct dbx_op	*op;
	json_t		*id;

	id = json_object_get(nw_call_meta(c), "run_id");
	if (!json_is_integer(id)) {
		nw_reply_error(c, "INVALID_ARGUMENT", "resource_meta.run_id "
		    "must be an integer");
		return;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL) {
		nw_reply_error(c, "INTERNAL", "out of memory");
		return;
	}
	op->op_call = c;
	op->op_kind = kind;
	op->op_run = json_integer_value(id);
	if (kind == DBX_CANCEL && asprintf(&op->op_body, "{\"run_id\":%lld}",
	    (long long)op->op_run) == -1) {
		op->op_body = NULL;
		dbx_op_free(op);
		nw_reply_error(c, "INTERNAL", "out of memory");
		return;
	}
	dbx_start(op);
}

static void
dbx_get(struct nw_call *c, json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	dbx_lookup(c, DBX_GET);
}

static void
dbx_delete(struct nw_call *c, json_t *req, void *arg)
{
	(void)req;
	(void)arg;
	dbx_lookup(c, DBX_CANCEL);
}

/* Reads the environment; what is wrong goes into dbx.ds_err. */
static int
dbx_init(void)
{
	const char	*host, *s;
	size_t		 len;

	if ((host = getenv("DATABRICKS_HOST")) == NULL || *host == '\0') {
		snprintf(dbx.ds_err, sizeof(dbx.ds_err), "DATABRICKS_HOST is "
		    "not set");
		host = "https://databricks.invalid";
	}
	if (asprintf(&dbx.ds_host, "%s%s", strstr(host, "://") ? "" :
	    "https://", host) == -1)
		return -1;
	len = strlen(dbx.ds_host);
	while (len > 0 && dbx.ds_host[len - 1] == '/')
		dbx.ds_host[--len] = '\0';
	if ((s = getenv("DATABRICKS_TOKEN_FILE")) != NULL && *s != '\0') {
		if ((dbx.ds_file = tok_file_new(s)) == NULL)
			return -1;
	} else if ((s = getenv("DATABRICKS_TOKEN")) != NULL && *s != '\0')
		dbx.ds_token = s;
	else if (dbx.ds_err[0] == '\0')
		snprintf(dbx.ds_err, sizeof(dbx.ds_err), "no credentials: set "
		    "DATABRICKS_TOKEN_FILE or DATABRICKS_TOKEN");
	return 0;
}

int
main(void)
{
	static const char *const types[] = { "databricks/v1", NULL };
	struct nw_plugin	 p = {
		.nwp_name = "databricks",
		.nwp_task_types = types,
		.nwp_concurrency = 64,
		.nwp_create = dbx_create,
		.nwp_get = dbx_get,
		.nwp_delete = dbx_delete,
		.nwp_tick = hc_tick,
	};
	int			 rv;

	if (dbx_init() == -1 || hc_init() == -1) {
		nw_log("databricks: cannot start: out of memory or libcurl");
		return EXIT_FAILURE;
	}
	if (dbx.ds_err[0] != '\0')
		nw_log("databricks: %s; every call will fail", dbx.ds_err);
	rv = nw_run(&p);
	hc_cleanup();
	tok_file_free(dbx.ds_file);
	free(dbx.ds_host);
	return rv == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
