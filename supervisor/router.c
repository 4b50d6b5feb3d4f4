/*
 * The router turns HTTP requests into plugin calls: it matches the routes
 * of SPEC.md section 2, checks bodies and resource ids, builds the line the
 * worker gets, and shapes what comes back (or the error) into the answer.
 * It owns the per-request state that links an HTTP request to its call.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "nebula-plugind.h"

#define ROUTER_PREFIX		"/plugins/v1"
#define ROUTER_MAX_SEGMENTS	4

struct route_call {
	struct http_request	*rc_req;
	struct pool_call	*rc_call;
	struct pool		*rc_pool;
	enum pool_op		 rc_op;
	char			 rc_type[128];
	char			 rc_version[64];
	enum router_shape	 rc_shape;
};

static struct ev_loop	*router_loop;
static struct rid_keys	*router_keys;
static struct auth	*router_auth;
static struct pool	**router_pools;
static size_t		  router_npools;
static int		  router_draining;

int
router_init(struct ev_loop *loop, struct rid_keys *keys, struct auth *auth)
{
	router_loop = loop;
	router_keys = keys;
	router_auth = auth;
	return 0;
}

/* 0 when the request may go on; otherwise it has been answered. */
static int
router_authorize(struct http_request *req, const char *plugin)
{
	char	 msg[160];

	switch (auth_check(router_auth, req->req_authorization, plugin)) {
	case AUTH_OK:
		return 0;
	case AUTH_MISSING:
		http_respond_error(req, 401, "UNAUTHENTICATED", "this route "
		    "needs an Authorization: Bearer token",
		    "WWW-Authenticate: Bearer\r\n");
		return -1;
	case AUTH_WRONG:
		http_respond_error(req, 401, "UNAUTHENTICATED", "the bearer "
		    "token is not valid", "WWW-Authenticate: Bearer "
		    "error=\"invalid_token\"\r\n");
		return -1;
	case AUTH_FORBIDDEN:
		snprintf(msg, sizeof(msg), "this token may not call plugin %s",
		    plugin);
		http_respond_error(req, 403, "PERMISSION_DENIED", msg, NULL);
		return -1;
	}
	return -1;
}

void
router_set_pools(struct pool **pools, size_t n)
{
	router_pools = pools;
	router_npools = n;
}

void
router_set_draining(int on)
{
	router_draining = on;
}

/* Start-up ends once: plugins added later by a reload do not reopen it. */
int
router_all_started(void)
{
	static int	 started;
	size_t		 i;

	for (i = 0; i < router_npools && !started; i++)
		if (!pool_started(router_pools[i]))
			return 0;
	started = 1;
	return 1;
}

struct pool *
router_find(const char *type, const char *version)
{
	size_t	 i;

	for (i = 0; i < router_npools; i++)
		if (pool_serves(router_pools[i], type, version))
			return router_pools[i];
	return NULL;
}

struct pool **
router_pools_list(size_t *n)
{
	*n = router_npools;
	return router_pools;
}

struct pool *
router_find_plugin(const char *name)
{
	size_t	 i;

	for (i = 0; i < router_npools; i++)
		if (strcmp(pool_name(router_pools[i]), name) == 0)
			return router_pools[i];
	return router_find(name, NULL);
}

void
router_json(struct http_request *req, int status, json_t *body,
    const char *headers)
{
	char	*text;

	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL) {
		http_respond_error(req, 500, "INTERNAL", "out of memory", NULL);
		return;
	}
	http_respond(req, status, headers, text, strlen(text));
	free(text);
}

void
router_unavailable(struct http_request *req, const char *message)
{
	http_respond_error(req, 503, "UNAVAILABLE", message,
	    "Retry-After: 1\r\n");
}

json_t *
router_plugin_json(struct pool *p, int detail)
{
	struct pool_stats	 st;
	json_t			*o;

	pool_stats(p, &st);
	o = json_pack("{s:s, s:o, s:b, s:s, s:i, s:i, s:i, s:i, s:I}",
	    "name", st.ps_name,
	    "task_types", st.ps_task_types ? json_incref(st.ps_task_types) :
	    json_array(),
	    "is_sync", st.ps_is_sync, "state", st.ps_state,
	    "instances", st.ps_instances, "ready", st.ps_ready,
	    "in_flight", st.ps_in_flight, "queued", st.ps_queued,
	    "restarts", (json_int_t)st.ps_restarts);
	if (o != NULL && detail) {
		json_object_set_new(o, "last_exit", st.ps_last_exit ?
		    json_string(st.ps_last_exit) : json_null());
		json_object_set_new(o, "last_error", st.ps_last_error ?
		    json_string(st.ps_last_error) : json_null());
	}
	return o;
}

static void
router_list(struct http_request *req)
{
	json_t	*list;
	size_t	 i;

	list = json_array();
	for (i = 0; i < router_npools; i++)
		json_array_append_new(list, router_plugin_json(router_pools[i],
		    0));
	router_json(req, 200, json_pack("{s:o}", "plugins", list), NULL);
}

static void
router_readyz(struct http_request *req)
{
	struct pool_stats	 st;
	json_t			*names;
	char			 msg[1024] = "";
	size_t			 i, len = 0;

	if (router_draining) {
		http_respond_error(req, 503, "UNAVAILABLE",
		    "the daemon is draining", NULL);
		return;
	}
	names = json_array();
	for (i = 0; i < router_npools; i++) {
		pool_stats(router_pools[i], &st);
		if (st.ps_ready > 0)
			continue;
		json_array_append_new(names, json_string(st.ps_name));
		len += (size_t)snprintf(msg + len, len < sizeof(msg) ?
		    sizeof(msg) - len : 0, "%s%s (%s)", len ? ", " : "",
		    st.ps_name, st.ps_state);
		if (len >= sizeof(msg))
			len = sizeof(msg) - 1;
	}
	if (json_array_size(names) == 0) {
		json_decref(names);
		router_json(req, 200, json_pack("{s:s}", "status", "ready"),
		    NULL);
		return;
	}
	router_json(req, 503, json_pack("{s:{s:s, s:s+}, s:o}", "error",
	    "code", "UNAVAILABLE", "message", "plugins not ready: ", msg,
	    "not_ready", names), NULL);
}

static void
router_metrics(struct http_request *req)
{
	struct buf	 b = { 0 };

	metrics_render(&b, router_pools, router_npools, http_connections());
	http_respond(req, 200, "Content-Type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\n", b.buf_data ? b.buf_data : "", b.buf_len);
	buf_release(&b);
}

static void
router_call_free(struct route_call *rc)
{
	if (rc->rc_req != NULL)
		rc->rc_req->req_router = NULL;
	free(rc);
}

/* {"resource_id": "..."} (or Flyte's resource_meta), written directly. */
static void
router_id_answer(struct http_request *req, enum router_shape shape,
    const char *rid)
{
	static struct buf b;	/* reused; http_respond copies the body */

	buf_reset(&b);
	if (buf_printf(&b, "{\"%s\":\"%s\"}", shape == ROUTER_SHAPE_FLYTE ?
	    "resource_meta" : "resource_id", rid) == -1) {
		http_respond_error(req, 500, "INTERNAL", "out of memory", NULL);
		return;
	}
	http_respond(req, 200, NULL, b.buf_data, b.buf_len);
}

/* The plugin's answer, shaped for the client. */
static void
router_done(void *arg, const struct pool_result *res)
{
	struct route_call	*rc = arg;
	struct http_request	*req = rc->rc_req;
	json_t			*body, *meta, *rsc;
	char			*rid, hdr[64];
	size_t			 maxlen;
	enum router_shape	 shape;

	rc->rc_call = NULL;
	metrics_observe(pool_name(rc->rc_pool), rc->rc_op, res->res_status,
	    ev_now(router_loop) - req->req_start);
	if (res->res_status != 200) {
		hdr[0] = '\0';
		if (res->res_retry_after > 0)
			snprintf(hdr, sizeof(hdr), "Retry-After: %.0f\r\n",
			    ceil(res->res_retry_after));
		router_call_free(rc);
		http_respond_error(req, res->res_status, res->res_code,
		    res->res_message, hdr[0] ? hdr : NULL);
		return;
	}
	switch (rc->rc_op) {
	case POOL_OP_CREATE:
		meta = json_object_get(res->res_response, "resource_meta");
		rid = rid_encode(rc->rc_type, rc->rc_version, meta,
		    router_keys);
		maxlen = NP_MAX_URL_BYTES - 64 - strlen(rc->rc_type) -
		    strlen(rc->rc_version);
		if (rid == NULL || strlen(rid) > maxlen) {
			free(rid);
			log_emit(LOG_LEVEL_WARN, pool_name(rc->rc_pool), 0,
			    req->req_id, "resource_meta too large for a URL");
			router_call_free(rc);
			http_respond_error(req, 502, "WORKER_FAILED",
			    "the plugin's resource_meta is too large to travel "
			    "in a URL", NULL);
			return;
		}
		rsc = json_object_get(res->res_response, "resource");
		shape = rc->rc_shape;
		if (rsc == NULL) {
			/* The common answer; an id is base64url: no escaping. */
			router_call_free(rc);
			router_id_answer(req, shape, rid);
			free(rid);
			return;
		}
		body = json_pack("{s:s}", rc->rc_shape == ROUTER_SHAPE_FLYTE ?
		    "resource_meta" : "resource_id", rid);
		free(rid);
		json_object_set(body, "resource", rsc);
		break;
	case POOL_OP_GET:
		body = json_incref(json_object_get(res->res_response,
		    "resource"));
		if (rc->rc_shape == ROUTER_SHAPE_FLYTE)
			body = json_pack("{s:o}", "resource", body);
		break;
	default:
		body = json_object();
		break;
	}
	router_call_free(rc);
	router_json(req, 200, body, NULL);
}

static json_t *
router_worker_request(struct http_request *req, json_t *base, enum pool_op op,
    const char *type, const char *version)
{
	json_t	*r = base ? base : json_object();

	json_object_set_new(r, "op", json_string(pool_op_names[op]));
	json_object_set_new(r, "task_type", json_string(type));
	json_object_set_new(r, "version", json_string(version));
	json_object_set_new(r, "request_id", json_string(req->req_id));
	if (req->req_traceparent != NULL)
		json_object_set_new(r, "traceparent",
		    json_string(req->req_traceparent));
	else
		json_object_del(r, "traceparent");
	return r;
}

static void
router_call(struct http_request *req, struct pool *pool, enum pool_op op,
    const char *type, const char *version, json_t *wreq, const char *raw,
    enum router_shape shape)
{
	struct route_call	*rc;
	struct pool_call	*call;

	if (router_authorize(req, pool_name(pool)) == -1) {
		json_decref(wreq);
		return;
	}
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		json_decref(wreq);
		http_respond_error(req, 500, "INTERNAL", "out of memory", NULL);
		return;
	}
	rc->rc_req = req;
	rc->rc_pool = pool;
	rc->rc_op = op;
	snprintf(rc->rc_type, sizeof(rc->rc_type), "%s", type);
	snprintf(rc->rc_version, sizeof(rc->rc_version), "%s", version);
	rc->rc_shape = shape;
	req->req_router = rc;
	/* NULL when it answered at once, through router_done (rc is gone). */
	call = pool_call(pool, op, wreq, raw, raw ? req->req_body_len : 0,
	    router_done, rc);
	if (call != NULL)
		rc->rc_call = call;
}

/* Does the body use a name the daemon puts on the worker's line? */
static int
router_reserved(json_t *body)
{
	static const char *const names[] = {
		"id", "op", "task_type", "version", "request_id",
		"traceparent", "deadline_ms", NULL
	};
	size_t	 i;

	for (i = 0; names[i] != NULL; i++)
		if (json_object_get(body, names[i]) != NULL)
			return 1;
	return 0;
}

/* Parses the request body as a JSON object; NULL after answering 400. */
json_t *
router_body(struct http_request *req, const char *what)
{
	json_t		*body;
	json_error_t	 jerr;
	char		 msg[256];

	if (req->req_body == NULL || req->req_body_len == 0) {
		snprintf(msg, sizeof(msg), "the request has no body; send a "
		    "JSON object with %s", what);
		http_respond_error(req, 400, "BAD_REQUEST", msg, NULL);
		return NULL;
	}
	body = json_loadb(req->req_body, req->req_body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (body == NULL) {
		snprintf(msg, sizeof(msg), "malformed JSON at line %d column "
		    "%d: %s", jerr.line, jerr.column, jerr.text);
		http_respond_error(req, 400, "BAD_REQUEST", msg, NULL);
		return NULL;
	}
	if (!json_is_object(body) ||
	    !json_is_object(json_object_get(body, what))) {
		json_decref(body);
		snprintf(msg, sizeof(msg), "the body must be a JSON object "
		    "with a %s object", what);
		http_respond_error(req, 400, "BAD_REQUEST", msg, NULL);
		return NULL;
	}
	return body;
}

/* 404: the client falls back to running the task some other way. */
void
router_not_found(struct http_request *req, const char *type,
    const char *version)
{
	char	 msg[256];

	if (version != NULL)
		snprintf(msg, sizeof(msg), "no plugin serves task type %s "
		    "version %s", type, version);
	else
		snprintf(msg, sizeof(msg), "no plugin serves task type %s",
		    type);
	http_respond_error(req, 404, "NOT_FOUND", msg, NULL);
}

/*
 * Creates a job on the pool serving type and version, from a checked body
 * (taken) that has task_template.
 */
void
router_create(struct http_request *req, struct pool *pool, const char *type,
    const char *version, json_t *body, enum router_shape shape)
{
	/*
	 * The body the client sent goes to the worker as it is, after our
	 * own fields, unless it carries one of their names (then it is
	 * re-encoded with ours winning) or was reshaped (Flyte's names).
	 */
	if (shape == ROUTER_SHAPE_NATIVE && !router_reserved(body)) {
		json_decref(body);
		router_call(req, pool, POOL_OP_CREATE, type, version,
		    router_worker_request(req, NULL, POOL_OP_CREATE, type,
		    version), req->req_body, shape);
		return;
	}
	router_call(req, pool, POOL_OP_CREATE, type, version,
	    router_worker_request(req, body, POOL_OP_CREATE, type, version),
	    NULL, shape);
}

/*
 * Polls or deletes the job a resource_id names.  A NULL version accepts
 * the one the id carries (Flyte's version 0).
 */
void
router_resource(struct http_request *req, enum pool_op op, const char *type,
    const char *version, const char *id, enum router_shape shape)
{
	struct pool	*pool;
	struct rid	 rid;
	json_t		*wreq;
	char		 msg[256];

	switch (rid_decode(id, strlen(id), router_keys, &rid)) {
	case RID_OK:
		break;
	case RID_FORGED:
		http_respond_error(req, 403, "PERMISSION_DENIED", "the "
		    "resource_id is not signed by this service", NULL);
		return;
	default:
		http_respond_error(req, 400, "BAD_REQUEST", "the resource_id "
		    "does not decode", NULL);
		return;
	}
	if (version == NULL)
		version = rid.rid_version;
	if (strcmp(rid.rid_type, type) != 0 ||
	    strcmp(rid.rid_version, version) != 0) {
		snprintf(msg, sizeof(msg), "the resource_id belongs to %.60s/"
		    "%.30s, not %.60s/%.30s", rid.rid_type, rid.rid_version,
		    type, version);
		rid_clear(&rid);
		http_respond_error(req, 400, "BAD_REQUEST", msg, NULL);
		return;
	}
	if ((pool = router_find(type, version)) == NULL) {
		router_not_found(req, type, version);
		rid_clear(&rid);
		return;
	}
	wreq = router_worker_request(req, NULL, op, type, version);
	json_object_set(wreq, "resource_meta", rid.rid_meta);
	router_call(req, pool, op, type, version, wreq, NULL, shape);
	rid_clear(&rid);
}

void
router_method_not_allowed(struct http_request *req, const char *allow)
{
	char	 hdr[96], msg[128];

	snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
	snprintf(msg, sizeof(msg), "method %s not allowed here; allowed: %s",
	    req->req_method_name, allow);
	http_respond_error(req, 405, "METHOD_NOT_ALLOWED", msg, hdr);
}

/* Splits the path after the prefix into at most max segments, in place. */
int
router_split(char *path, char **seg, int max)
{
	int	 n = 0;
	char	*p = path;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		if (n == max)
			return -1;
		seg[n++] = p;
		if ((p = strchr(p, '/')) == NULL)
			break;
		*p++ = '\0';
		if (*p == '\0')
			break;	/* one trailing slash is fine */
		if (*p == '/')
			return -1;
	}
	return n;
}

static void
router_api(struct http_request *req, const char *path)
{
	char		 rest[NP_MAX_URL_BYTES + 1], *seg[ROUTER_MAX_SEGMENTS];
	int		 n, m = req->req_method;
	struct pool	*p;

	/* Split a copy: the request keeps its path for the access log. */
	if (strlen(path) >= sizeof(rest) ||
	    (n = router_split(strcpy(rest, path), seg,
	    ROUTER_MAX_SEGMENTS)) == -1 || n > 3) {
		http_respond_error(req, 404, "NOT_FOUND", "no such route",
		    NULL);
		return;
	}
	if (n == 0) {
		if (m != HTTP_GET) {
			router_method_not_allowed(req, "GET");
			return;
		}
		router_list(req);
		return;
	}
	if (n == 1) {
		if (m != HTTP_GET) {
			router_method_not_allowed(req, "GET");
			return;
		}
		if (!router_all_started()) {
			router_unavailable(req, "the daemon is starting");
			return;
		}
		if ((p = router_find_plugin(seg[0])) == NULL) {
			http_respond_error(req, 404, "NOT_FOUND",
			    "no such plugin or task type", NULL);
			return;
		}
		router_json(req, 200, router_plugin_json(p, 1), NULL);
		return;
	}
	if (n == 2 && m != HTTP_PUT && m != HTTP_POST) {
		router_method_not_allowed(req, "PUT, POST");
		return;
	}
	if (n == 3 && m != HTTP_GET && m != HTTP_DELETE) {
		router_method_not_allowed(req, "GET, DELETE");
		return;
	}
	if (!router_all_started()) {
		router_unavailable(req, "the daemon is starting; its plugins "
		    "are not ready yet");
		return;
	}
	if (n == 2) {
		json_t *body;

		if ((p = router_find(seg[0], seg[1])) == NULL)
			router_not_found(req, seg[0], seg[1]);
		else if ((body = router_body(req, "task_template")) != NULL)
			router_create(req, p, seg[0], seg[1], body,
			    ROUTER_SHAPE_NATIVE);
	} else
		router_resource(req, m == HTTP_GET ? POOL_OP_GET :
		    POOL_OP_DELETE, seg[0], seg[1], seg[2],
		    ROUTER_SHAPE_NATIVE);
}

void
router_dispatch(struct http_request *req)
{
	char	*path = req->req_path;
	size_t	 plen = strlen(ROUTER_PREFIX);

	req->req_router = NULL;
	if (strncmp(path, ROUTER_PREFIX, plen) == 0 &&
	    (path[plen] == '\0' || path[plen] == '/')) {
		if (router_authorize(req, NULL) == 0)
			router_api(req, path + plen);
		return;
	}
	if (strncmp(path, "/api/v1/", 8) == 0) {
		if (router_authorize(req, NULL) == 0)
			agent_dispatch(req, path + 8);
		return;
	}
	if (strcmp(path, "/metrics") == 0 &&
	    !auth_metrics_public(router_auth) &&
	    router_authorize(req, NULL) == -1)
		return;
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 ||
	    strcmp(path, "/metrics") == 0) {
		if (req->req_method != HTTP_GET &&
		    req->req_method != HTTP_HEAD) {
			router_method_not_allowed(req, "GET");
			return;
		}
		if (path[1] == 'h')
			router_json(req, 200, json_pack("{s:s}", "status",
			    "ok"), NULL);
		else if (path[1] == 'r')
			router_readyz(req);
		else
			router_metrics(req);
		return;
	}
	http_respond_error(req, 404, "NOT_FOUND", "no such route", NULL);
}

/* The client left before its answer: the call must not answer it. */
void
router_abort(struct http_request *req)
{
	struct route_call	*rc = req->req_router;

	if (rc == NULL)
		return;
	rc->rc_req = NULL;
	req->req_router = NULL;
	if (rc->rc_call != NULL)
		pool_call_cancel(rc->rc_call);
	free(rc);
}
