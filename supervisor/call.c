/*
 * The call layer: what every front (our REST routes, Flyte's REST routes,
 * the gRPC services) asks of a plugin, with no transport in it.  A front
 * translates its wire into a call_req and a call_result back into its wire;
 * here, once for all of them, happen the bearer-token check, the start-up
 * 503, finding the plugin, the worker's request, encoding, signing and
 * verifying resource ids, and the metrics of each call.  It owns the set of
 * running pools and the in-flight call objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"

struct call {
	struct pool_call	*ca_pcall;	/* NULL once answered */
	struct pool		*ca_pool;
	enum pool_op		 ca_op;
	call_done_cb		*ca_cb;
	void			*ca_arg;
	ev_tstamp		 ca_start;
	struct msg_request	 ca_req;	/* points into this call */
	json_t			*ca_body;	/* create, re-encoded */
	json_t			*ca_meta;	/* get, delete */
	char			*ca_traceparent;
	char			 ca_request_id[64];
	char			 ca_type[128];
	char			 ca_version[64];
};

static struct {
	struct ev_loop	 *loop;
	struct rid_keys	 *keys;
	struct auth	 *auth;
	struct pool	**pools;
	size_t		  npools;
	int		  draining;
	int		  started;
} calls;

int
call_init(struct ev_loop *loop, struct rid_keys *keys, struct auth *auth)
{
	calls.loop = loop;
	calls.keys = keys;
	calls.auth = auth;
	return 0;
}

void
call_set_pools(struct pool **pools, size_t n)
{
	calls.pools = pools;
	calls.npools = n;
}

struct pool **
call_pools(size_t *n)
{
	*n = calls.npools;
	return calls.pools;
}

void
call_set_draining(int on)
{
	calls.draining = on;
}

int
call_draining(void)
{
	return calls.draining;
}

int
call_metrics_public(void)
{
	return auth_metrics_public(calls.auth);
}

/* Start-up ends once: plugins added later by a reload do not reopen it. */
int
call_started(void)
{
	size_t	 i;

	for (i = 0; i < calls.npools && !calls.started; i++)
		if (!pool_started(calls.pools[i]))
			return 0;
	calls.started = 1;
	return 1;
}

/* The pool serving type and version (any version when NULL). */
struct pool *
call_find(const char *type, const char *version)
{
	size_t	 i;

	for (i = 0; i < calls.npools; i++)
		if (pool_serves(calls.pools[i], type, version))
			return calls.pools[i];
	return NULL;
}

/* A plugin by its configured name, else by a task type it serves. */
struct pool *
call_find_plugin(const char *name)
{
	size_t	 i;

	for (i = 0; i < calls.npools; i++)
		if (strcmp(pool_name(calls.pools[i]), name) == 0)
			return calls.pools[i];
	return call_find(name, NULL);
}

/* The first version the plugin lists for type: Flyte's version 0. */
const char *
call_first_version(struct pool *p, const char *type)
{
	struct pool_stats	 st;
	json_t			*e, *vs;
	size_t			 i;

	pool_stats(p, &st);
	json_array_foreach(st.ps_task_types, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "type")),
		    type) != 0)
			continue;
		vs = json_object_get(e, "versions");
		if (json_array_size(vs) > 0)
			return json_string_value(json_array_get(vs, 0));
		break;
	}
	return "v1";
}

/* Copies src into dst of size bytes, cut to fit: snprintf("%s") costs more. */
static void
call_copy(char *dst, size_t size, const char *src)
{
	size_t	 n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
call_refuse(struct call_result *res, int status, const char *code,
    const char *message)
{
	memset(res, 0, sizeof(*res));
	res->cr_status = status;
	res->cr_code = code;
	res->cr_message = message;
}

/*
 * Checks the bearer token (the Authorization value as sent) for any route
 * (plugin NULL) or for one plugin.  0 when the request may go on; else -1
 * and res says why.
 */
int
call_authorize(const char *token, const char *plugin, struct call_result *res)
{
	static char	 msg[192];

	switch (auth_check(calls.auth, token, plugin)) {
	case AUTH_OK:
		return 0;
	case AUTH_MISSING:
		call_refuse(res, 401, "UNAUTHENTICATED", "this route needs an "
		    "Authorization: Bearer token");
		res->cr_challenge = "Bearer";
		return -1;
	case AUTH_WRONG:
		call_refuse(res, 401, "UNAUTHENTICATED", "the bearer token is "
		    "not valid");
		res->cr_challenge = "Bearer error=\"invalid_token\"";
		return -1;
	case AUTH_FORBIDDEN:
		snprintf(msg, sizeof(msg), "this token may not call plugin %s",
		    plugin);
		call_refuse(res, 403, "PERMISSION_DENIED", msg);
		return -1;
	}
	return -1;
}

/* Answers a call that never reached a pool. */
static void
call_answer_now(call_done_cb *cb, void *arg, int status, const char *code,
    const char *message, double retry_after)
{
	struct call_result	 res;

	call_refuse(&res, status, code, message);
	res.cr_retry_after = retry_after;
	cb(arg, &res);
}

static void
call_not_found(call_done_cb *cb, void *arg, const char *type,
    const char *version)
{
	char	 msg[256];

	if (version != NULL)
		snprintf(msg, sizeof(msg), "no plugin serves task type %.100s "
		    "version %.60s", type, version);
	else
		snprintf(msg, sizeof(msg), "no plugin serves task type %.100s",
		    type);
	call_answer_now(cb, arg, 404, "NOT_FOUND", msg, 0);
}

static void
call_free(struct call *ca)
{
	json_decref(ca->ca_body);
	json_decref(ca->ca_meta);
	free(ca->ca_traceparent);
	free(ca);
}

/*
 * The resource id of a create answer, from its resource_meta as the worker
 * wrote it when the pool kept the text; NULL after answering 502.
 */
static char *
call_resource_id(struct call *ca, const struct pool_result *pr,
    struct call_result *res)
{
	char	*rid;
	size_t	 maxlen;

	if (pr->res_meta != NULL)
		rid = rid_encode_text(ca->ca_type, ca->ca_version,
		    pr->res_meta, pr->res_metalen, calls.keys);
	else
		rid = rid_encode(ca->ca_type, ca->ca_version,
		    json_object_get(pr->res_response, "resource_meta"),
		    calls.keys);
	maxlen = NP_MAX_URL_BYTES - 64 - strlen(ca->ca_type) -
	    strlen(ca->ca_version);
	if (rid != NULL && strlen(rid) <= maxlen)
		return rid;
	free(rid);
	log_emit(LOG_LEVEL_WARN, pool_name(ca->ca_pool), 0, NULL,
	    "resource_meta too large for a URL");
	call_refuse(res, 502, "WORKER_FAILED", "the plugin's resource_meta is "
	    "too large to travel in a URL");
	return NULL;
}

/* The pool's outcome, made one result for the front. */
static void
call_pool_done(void *arg, const struct pool_result *pr)
{
	struct call		*ca = arg;
	struct call_result	 res;
	json_t			*err;
	char			*rid = NULL;

	ca->ca_pcall = NULL;
	memset(&res, 0, sizeof(res));
	res.cr_status = pr->res_status;
	res.cr_code = pr->res_code;
	res.cr_message = pr->res_message;
	res.cr_retry_after = pr->res_retry_after;
	res.cr_response = pr->res_response;
	if (pr->res_status != 200) {
		err = json_object_get(pr->res_response, "error");
		res.cr_kind = json_string_value(json_object_get(err, "kind"));
	} else if (ca->ca_op == POOL_OP_CREATE) {
		if ((rid = call_resource_id(ca, pr, &res)) !=
		    NULL) {
			res.cr_resource_id = rid;
			res.cr_resource = json_object_get(pr->res_response,
			    "resource");
		}
	} else if (ca->ca_op == POOL_OP_GET)
		res.cr_resource = json_object_get(pr->res_response,
		    "resource");
	metrics_observe(pool_name(ca->ca_pool), ca->ca_op, res.cr_status,
	    ev_now(calls.loop) - ca->ca_start);
	ca->ca_cb(ca->ca_arg, &res);
	free(rid);
	call_free(ca);
}

/*
 * Starts a call on the pool: the worker's request line is made of the
 * daemon's fields, then body (taken) or the raw body bytes (borrowed from
 * the front until the call ends), or resource_meta (taken) for get and
 * delete.  NULL when answered at once.
 */
static struct call *
call_submit(struct pool *pool, enum pool_op op, const struct call_req *cq,
    const char *version, json_t *body, json_t *meta, call_done_cb *cb,
    void *arg)
{
	struct call		*ca;
	struct pool_call	*pc;
	json_t			*tp;

	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		json_decref(body);
		json_decref(meta);
		call_answer_now(cb, arg, 500, "INTERNAL", "out of memory", 0);
		return NULL;
	}
	ca->ca_pool = pool;
	ca->ca_op = op;
	ca->ca_cb = cb;
	ca->ca_arg = arg;
	ca->ca_start = ev_now(calls.loop);
	ca->ca_body = body;
	ca->ca_meta = meta;
	call_copy(ca->ca_type, sizeof(ca->ca_type), cq->cq_type);
	call_copy(ca->ca_version, sizeof(ca->ca_version), version);
	ca->ca_req.mr_op = pool_op_names[op];
	ca->ca_req.mr_task_type = ca->ca_type;
	ca->ca_req.mr_version = ca->ca_version;
	ca->ca_req.mr_deadline_ms = -1;
	if (cq->cq_request_id != NULL) {
		call_copy(ca->ca_request_id, sizeof(ca->ca_request_id),
		    cq->cq_request_id);
		ca->ca_req.mr_request_id = ca->ca_request_id;
	}
	/* A traceparent that is not valid UTF-8 is left out, not refused. */
	if (cq->cq_traceparent != NULL &&
	    (tp = json_string(cq->cq_traceparent)) != NULL) {
		json_decref(tp);
		ca->ca_traceparent = strdup(cq->cq_traceparent);
		ca->ca_req.mr_traceparent = ca->ca_traceparent;
	}
	ca->ca_req.mr_resource_meta = meta;
	ca->ca_req.mr_body = body;
	if (op == POOL_OP_CREATE && body == NULL) {
		ca->ca_req.mr_raw = cq->cq_raw;
		ca->ca_req.mr_rawlen = cq->cq_rawlen;
	}
	/* NULL when it answered at once, through call_pool_done (ca gone). */
	if ((pc = pool_call(pool, op, &ca->ca_req, cq->cq_timeout,
	    call_pool_done, ca)) == NULL)
		return NULL;
	ca->ca_pcall = pc;
	return ca;
}

/*
 * Creates a job.  cq_body (borrowed) is the create body with its
 * task_template; cq_raw, when set, is the same body as the client sent it,
 * which then goes to the worker byte for byte.  A front that could not read
 * the body says why in cq_body_error: a missing plugin still answers 404
 * first.  cb is called once with the
 * outcome: before this returns NULL, or later.
 */
struct call *
call_create(const struct call_req *cq, call_done_cb *cb, void *arg)
{
	struct pool	*pool;
	struct call_result res;
	const char	*version = cq->cq_version;

	if (!call_started()) {
		call_answer_now(cb, arg, 503, "UNAVAILABLE", "the daemon is "
		    "starting; its plugins are not ready yet", 1);
		return NULL;
	}
	if ((pool = call_find(cq->cq_type, version)) == NULL) {
		call_not_found(cb, arg, cq->cq_type, version);
		return NULL;
	}
	if (cq->cq_plugin != NULL)	/* for the front's access log */
		call_copy(cq->cq_plugin, 64, pool_name(pool));
	if (cq->cq_body_error != NULL) {
		call_answer_now(cb, arg, 400, "BAD_REQUEST", cq->cq_body_error,
		    0);
		return NULL;
	}
	if (call_authorize(cq->cq_token, pool_name(pool), &res) == -1) {
		cb(arg, &res);
		return NULL;
	}
	if (version == NULL)
		version = call_first_version(pool, cq->cq_type);
	/*
	 * The body goes to the worker as the client sent it, after our own
	 * fields, unless it carries one of their names (then it is
	 * re-encoded with ours winning) or the front reshaped it.
	 */
	if (cq->cq_raw != NULL && !msg_request_reserved(cq->cq_body))
		return call_submit(pool, POOL_OP_CREATE, cq, version, NULL,
		    NULL, cb, arg);
	return call_submit(pool, POOL_OP_CREATE, cq, version,
	    json_incref(cq->cq_body), NULL, cb, arg);
}

/*
 * Polls, deletes, or asks the logs or metrics of the job a resource id
 * names, on the route of cq_type and cq_version (NULL: the version inside
 * the id, Flyte's 0).  The id is verified before anything else.  For logs
 * and metrics, cq_body (borrowed, or NULL) holds the query's members; an
 * op the plugin did not declare answers 501 UNIMPLEMENTED without reaching
 * it; the worker's answer is in cr_response.
 */
struct call *
call_resource(enum pool_op op, const struct call_req *cq, call_done_cb *cb,
    void *arg)
{
	struct pool	*pool;
	struct rid	 rid;
	struct call_result res;
	struct call	*ca;
	const char	*version;
	char		 msg[256];

	if (!call_started()) {
		call_answer_now(cb, arg, 503, "UNAVAILABLE", "the daemon is "
		    "starting; its plugins are not ready yet", 1);
		return NULL;
	}
	switch (rid_decode(cq->cq_rid, cq->cq_ridlen, calls.keys, &rid)) {
	case RID_OK:
		break;
	case RID_FORGED:
		call_answer_now(cb, arg, 403, "PERMISSION_DENIED", "the "
		    "resource_id is not signed by this service", 0);
		return NULL;
	default:
		call_answer_now(cb, arg, 400, "BAD_REQUEST", "the resource_id "
		    "does not decode", 0);
		return NULL;
	}
	version = cq->cq_version ? cq->cq_version : rid.rid_version;
	if (strcmp(rid.rid_type, cq->cq_type) != 0 ||
	    strcmp(rid.rid_version, version) != 0) {
		snprintf(msg, sizeof(msg), "the resource_id belongs to %.60s/"
		    "%.30s, not %.60s/%.30s", rid.rid_type, rid.rid_version,
		    cq->cq_type, version);
		rid_clear(&rid);
		call_answer_now(cb, arg, 400, "BAD_REQUEST", msg, 0);
		return NULL;
	}
	if ((pool = call_find(cq->cq_type, version)) == NULL) {
		call_not_found(cb, arg, cq->cq_type, version);
		rid_clear(&rid);
		return NULL;
	}
	if (cq->cq_plugin != NULL)
		call_copy(cq->cq_plugin, 64, pool_name(pool));
	if (call_authorize(cq->cq_token, pool_name(pool), &res) == -1) {
		rid_clear(&rid);
		cb(arg, &res);
		return NULL;
	}
	/* An optional op the plugin did not declare never reaches it. */
	if (!pool_has_op(pool, op)) {
		snprintf(msg, sizeof(msg), "plugin %.100s does not declare the "
		    "%s operation", pool_name(pool), pool_op_names[op]);
		rid_clear(&rid);
		call_answer_now(cb, arg, 501, "UNIMPLEMENTED", msg, 0);
		return NULL;
	}
	/* logs and metrics: the query's members follow resource_meta. */
	ca = call_submit(pool, op, cq, version, op == POOL_OP_LOGS ||
	    op == POOL_OP_METRICS ? json_incref(cq->cq_body) : NULL,
	    json_incref(rid.rid_meta), cb, arg);
	rid_clear(&rid);
	return ca;
}

/* The front no longer wants the answer (its client left). */
void
call_cancel(struct call *ca)
{
	if (ca == NULL)
		return;
	if (ca->ca_pcall != NULL)
		pool_call_cancel(ca->ca_pcall);
	call_free(ca);
}
