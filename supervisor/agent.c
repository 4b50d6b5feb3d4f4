/*
 * Flyte's REST front (/api/v1/...): the routes of the grpc-gateway mapping
 * in Flyte's published IDL, for the agent and the connector names, read and
 * written as protojson of Flyte's own messages.  Request bodies are decoded
 * strictly (unknown fields refused; json_name and proto names both read),
 * resource_meta is our resource id's bytes in base64, and errors are
 * google.rpc.Status JSON.  Each handler translates onto the call layer
 * through flyte.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "nebula-plugind.h"
#include "flyte.h"

/* google.rpc.Status JSON, with our HTTP status. */
static void
agent_error(struct http_request *req, const struct call_result *res,
    const char *headers)
{
	json_t	*body;

	body = json_pack("{s:i, s:s, s:[]}", "code",
	    flyte_grpc_status(res->cr_code), "message", res->cr_message ?
	    res->cr_message : "", "details");
	router_json(req, res->cr_status, body, headers);
}

static void
agent_fail(struct http_request *req, int status, const char *code,
    const char *message)
{
	struct call_result	 res;

	memset(&res, 0, sizeof(res));
	res.cr_status = status;
	res.cr_code = code;
	res.cr_message = message;
	agent_error(req, &res, NULL);
}

/* Any result: an error as Status, else the message as protojson. */
static void
agent_answer(struct http_request *req, const struct call_result *res,
    const ProtobufCMessage *m)
{
	char	 hdr[128];

	if (res != NULL && res->cr_status != 200) {
		hdr[0] = '\0';
		if (res->cr_retry_after > 0)
			snprintf(hdr, sizeof(hdr), "Retry-After: %.0f\r\n",
			    res->cr_retry_after < 1 ? 1 : res->cr_retry_after);
		if (res->cr_challenge != NULL)
			snprintf(hdr + strlen(hdr), sizeof(hdr) - strlen(hdr),
			    "WWW-Authenticate: %s\r\n", res->cr_challenge);
		agent_error(req, res, hdr[0] ? hdr : NULL);
		return;
	}
	router_json(req, 200, pbjson_encode(m, PBJSON_PROTO_NAMES), NULL);
}

static void
agent_created(void *arg, const struct call_result *res)
{
	struct http_request			*req = arg;
	Flyteidl__Admin__CreateTaskResponse	 r =
	    FLYTEIDL__ADMIN__CREATE_TASK_RESPONSE__INIT;

	req->req_router = NULL;
	if (res->cr_status == 200) {
		r.resource_meta.data = (uint8_t *)res->cr_resource_id;
		r.resource_meta.len = strlen(res->cr_resource_id);
	}
	agent_answer(req, res, &r.base);
}

static void
agent_create(struct http_request *req, char **arg, int narg)
{
	ProtobufCMessage	*m;
	struct call_req		 cq;
	struct call		*ca;
	json_t			*j, *body;
	json_error_t		 jerr;
	const char		*type;
	char			 err[256], vbuf[32];
	int32_t			 version;

	(void)arg;
	(void)narg;
	j = json_loadb(req->req_body ? req->req_body : "", req->req_body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		snprintf(err, sizeof(err), "malformed JSON at line %d column "
		    "%d: %s", jerr.line, jerr.column, jerr.text);
		agent_fail(req, 400, "BAD_REQUEST", err);
		return;
	}
	m = pbjson_decode(&flyteidl__admin__create_task_request__descriptor, j,
	    0, err, sizeof(err));
	json_decref(j);
	if (m == NULL) {
		agent_fail(req, 400, "BAD_REQUEST", err);
		return;
	}
	body = flyte_create_body(m, NULL, &type, &version, err, sizeof(err));
	protobuf_c_message_free_unpacked(m, NULL);
	if (body != NULL && msg_limits_check(body, err, sizeof(err)) == -1) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL) {
		agent_fail(req, 400, "BAD_REQUEST", err);
		return;
	}
	router_call_req(req, &cq);
	cq.cq_type = type;
	cq.cq_version = flyte_version(version, vbuf, sizeof(vbuf));
	cq.cq_body = body;
	ca = call_create(&cq, agent_created, req);
	json_decref(body);
	if (ca != NULL)
		req->req_router = ca;
}

static void
agent_got(void *arg, const struct call_result *res)
{
	struct http_request		*req = arg;
	Flyteidl__Admin__GetTaskResponse r =
	    FLYTEIDL__ADMIN__GET_TASK_RESPONSE__INIT;
	char				 err[256], msg[320];

	req->req_router = NULL;
	if (res->cr_status != 200) {
		agent_answer(req, res, NULL);
		return;
	}
	if ((r.resource = flyte_resource(res->cr_resource, err,
	    sizeof(err))) == NULL) {
		snprintf(msg, sizeof(msg), "the plugin's resource is not a "
		    "valid Flyte resource: %s", err);
		agent_fail(req, 502, "WORKER_FAILED", msg);
		return;
	}
	agent_answer(req, NULL, &r.base);
	protobuf_c_message_free_unpacked(&r.resource->base, NULL);
}

static void
agent_deleted(void *arg, const struct call_result *res)
{
	struct http_request			*req = arg;
	Flyteidl__Admin__DeleteTaskResponse	 r =
	    FLYTEIDL__ADMIN__DELETE_TASK_RESPONSE__INIT;

	req->req_router = NULL;
	agent_answer(req, res, &r.base);
}

/*
 * The {resource_meta} of a path: base64 of our id's bytes (standard or
 * URL-safe, padded or not), or an id sent as it is.  Sets cq's id; returns
 * the decoded bytes, to free once the call has started, or NULL.
 */
static uint8_t *
agent_rid(struct call_req *cq, const char *seg)
{
	ProtobufCBinaryData	 bd;

	if (pbjson_b64_decode(seg, strlen(seg), &bd) == 0) {
		if (strncmp((char *)bd.data, "ey", 2) == 0) {
			cq->cq_rid = (const char *)bd.data;
			cq->cq_ridlen = bd.len;
			return bd.data;
		}
		free(bd.data);
	}
	cq->cq_rid = seg;
	cq->cq_ridlen = strlen(seg);
	return NULL;
}

/*
 * GET .../task/{name}/{version}/{resource_meta}, DELETE
 * .../task_executions/...: resource_meta is base64 of our id's bytes
 * (standard or URL-safe, padded or not); an id sent as it is also works.
 */
static void
agent_resource(struct http_request *req, char **arg, int narg)
{
	struct call_req	 cq;
	struct call	*ca;
	uint8_t		*rid;
	char		*end, vbuf[32];
	long		 v;
	int		 get = req->req_method == HTTP_GET;

	(void)narg;
	v = strtol(arg[1], &end, 10);
	if (arg[1][0] == '\0' || *end != '\0' || v < 0 || v > INT32_MAX) {
		agent_fail(req, 400, "BAD_REQUEST", "the task category version "
		    "must be an integer");
		return;
	}
	router_call_req(req, &cq);
	cq.cq_type = arg[0];
	cq.cq_version = flyte_version((int32_t)v, vbuf, sizeof(vbuf));
	rid = agent_rid(&cq, arg[2]);
	ca = call_resource(get ? POOL_OP_GET : POOL_OP_DELETE, &cq,
	    get ? agent_got : agent_deleted, req);
	free(rid);
	if (ca != NULL)
		req->req_router = ca;
}

/* One %XX-decoded query component, NUL-ended, in place; -1 if malformed. */
static int
agent_unescape(char *s)
{
	char	*o = s, hex[3] = { 0 };

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) ||
			    !isxdigit((unsigned char)s[2]))
				return -1;
			hex[0] = s[1];
			hex[1] = s[2];
			*o++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return 0;
}

/*
 * The query string as grpc-gateway reads it into the request message:
 * name=value pairs of the message's fields (either naming), a repeated
 * field (queries) by repeating its name.  Parsed strictly into a message
 * of type d, then back to the worker's query members; NULL with a reason.
 */
static json_t *
agent_query(struct http_request *req, const ProtobufCMessageDescriptor *d,
    char *err, size_t errlen)
{
	ProtobufCMessage	*m;
	json_t			*q, *v, *prev;
	char			*copy, *pair, *next, *eq;

	q = json_object();
	copy = strdup(req->req_query ? req->req_query : "");
	if (q == NULL || copy == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (pair = copy; pair != NULL && *pair != '\0'; pair = next) {
		if ((next = strchr(pair, '&')) != NULL)
			*next++ = '\0';
		if ((eq = strchr(pair, '=')) != NULL)
			*eq++ = '\0';
		if (agent_unescape(pair) == -1 || (eq != NULL &&
		    agent_unescape(eq) == -1) || (v = json_string(eq ? eq :
		    "")) == NULL) {
			snprintf(err, errlen, "the query string is malformed");
			goto fail;
		}
		prev = json_object_get(q, pair);
		if (json_is_array(prev))
			json_array_append_new(prev, v);
		else if (prev != NULL || strcmp(pair, "queries") == 0)
			json_object_set_new(q, pair, prev ? json_pack("[O, o]",
			    prev, v) : json_pack("[o]", v));
		else
			json_object_set_new(q, pair, v);
	}
	free(copy);
	copy = NULL;
	if ((m = pbjson_decode(d, q, 0, err, errlen)) == NULL)
		goto fail;
	json_decref(q);
	q = flyte_query_body(m);
	protobuf_c_message_free_unpacked(m, NULL);
	return q;
fail:
	free(copy);
	json_decref(q);
	return NULL;
}

static void
agent_metrics_done(void *arg, const struct call_result *res)
{
	struct http_request	*req = arg;
	ProtobufCMessage	*m;
	char			 err[256], msg[320];

	req->req_router = NULL;
	if (res->cr_status != 200) {
		agent_answer(req, res, NULL);
		return;
	}
	if ((m = flyte_metrics_response(res->cr_response, err,
	    sizeof(err))) == NULL) {
		snprintf(msg, sizeof(msg), "the plugin's metrics are not "
		    "Flyte's ExecutionMetricResults: %s", err);
		agent_fail(req, 502, "WORKER_FAILED", msg);
		return;
	}
	agent_answer(req, NULL, m);
	protobuf_c_message_free_unpacked(m, NULL);
}

/*
 * The GetTaskLogs stream as grpc-gateway writes a server stream: one
 * {"result": GetTaskLogsResponse} per line, the header first.
 */
static void
agent_logs_done(void *arg, const struct call_result *res)
{
	struct http_request	*req = arg;
	ProtobufCMessage	*m;
	struct buf		 b;
	json_t			*msgs, *j, *line;
	size_t			 i;
	char			 err[256], msg[320];

	req->req_router = NULL;
	if (res->cr_status != 200) {
		agent_answer(req, res, NULL);
		return;
	}
	if ((msgs = flyte_logs_json(res->cr_response, err, sizeof(err))) ==
	    NULL) {
		snprintf(msg, sizeof(msg), "the plugin's log lines are not "
		    "Flyte's LogLines: %s", err);
		agent_fail(req, 502, "WORKER_FAILED", msg);
		return;
	}
	memset(&b, 0, sizeof(b));
	json_array_foreach(msgs, i, j) {
		/* Checked by flyte_logs_json: written as Flyte writes it. */
		m = pbjson_decode(
		    &flyteidl__admin__get_task_logs_response__descriptor, j, 0,
		    err, sizeof(err));
		line = m ? json_pack("{s:o}", "result", pbjson_encode(m,
		    PBJSON_PROTO_NAMES)) : NULL;
		if (m != NULL)
			protobuf_c_message_free_unpacked(m, NULL);
		if (line == NULL || msg_encode(&b, line) == -1) {
			json_decref(line);
			json_decref(msgs);
			buf_release(&b);
			agent_fail(req, 500, "INTERNAL", "cannot write the lines");
			return;
		}
		json_decref(line);
	}
	json_decref(msgs);
	http_respond(req, 200, NULL, b.buf_data + b.buf_off, buf_pending(&b));
	buf_release(&b);
}

/*
 * GET .../task/metrics|logs/{name}/{version}/{resource_meta}?query: the
 * plugin's metrics or logs op; 501 when it does not declare it.
 */
static void
agent_op(struct http_request *req, char **arg, int narg, enum pool_op op)
{
	struct call_req	 cq;
	struct call	*ca;
	json_t		*query;
	uint8_t		*rid;
	char		*end, vbuf[32], err[256];
	long		 v;

	(void)narg;
	v = strtol(arg[1], &end, 10);
	if (arg[1][0] == '\0' || *end != '\0' || v < 0 || v > INT32_MAX) {
		agent_fail(req, 400, "BAD_REQUEST", "the task category version "
		    "must be an integer");
		return;
	}
	if ((query = agent_query(req, op == POOL_OP_LOGS ?
	    &flyteidl__admin__get_task_logs_request__descriptor :
	    &flyteidl__admin__get_task_metrics_request__descriptor, err,
	    sizeof(err))) == NULL) {
		agent_fail(req, 400, "BAD_REQUEST", err);
		return;
	}
	router_call_req(req, &cq);
	cq.cq_type = arg[0];
	cq.cq_version = flyte_version((int32_t)v, vbuf, sizeof(vbuf));
	cq.cq_body = query;
	rid = agent_rid(&cq, arg[2]);
	ca = call_resource(op, &cq, op == POOL_OP_LOGS ? agent_logs_done :
	    agent_metrics_done, req);
	free(rid);
	json_decref(query);
	if (ca != NULL)
		req->req_router = ca;
}

static void
agent_metrics(struct http_request *req, char **arg, int narg)
{
	agent_op(req, arg, narg, POOL_OP_METRICS);
}

static void
agent_logs(struct http_request *req, char **arg, int narg)
{
	agent_op(req, arg, narg, POOL_OP_LOGS);
}

static void
agent_list(struct http_request *req, char **arg, int narg)
{
	struct pool	**pools;
	ProtobufCMessage *m;
	json_t		 *list;
	size_t		  n, i;
	char		  err[256];

	(void)arg;
	(void)narg;
	pools = call_pools(&n);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, flyte_agent_json(pools[i]));
	list = json_pack("{s:o}", "agents", list);
	m = pbjson_decode(&flyteidl__admin__list_agents_response__descriptor,
	    list, 0, err, sizeof(err));
	json_decref(list);
	if (m == NULL) {
		agent_fail(req, 500, "INTERNAL", err);
		return;
	}
	agent_answer(req, NULL, m);
	protobuf_c_message_free_unpacked(m, NULL);
}

static void
agent_get(struct http_request *req, char **arg, int narg)
{
	struct pool	*p;
	ProtobufCMessage *m;
	json_t		*j;
	char		 err[256];

	(void)narg;
	if ((p = call_find_plugin(arg[0])) == NULL) {
		agent_fail(req, 404, "NOT_FOUND", "no such agent");
		return;
	}
	j = json_pack("{s:o}", "agent", flyte_agent_json(p));
	m = pbjson_decode(&flyteidl__admin__get_agent_response__descriptor, j,
	    0, err, sizeof(err));
	json_decref(j);
	if (m == NULL) {
		agent_fail(req, 500, "INTERNAL", err);
		return;
	}
	agent_answer(req, NULL, m);
	protobuf_c_message_free_unpacked(m, NULL);
}

#define GET	ROUTE_M(HTTP_GET)
#define ROUTES(one, many)						\
	{ GET, many, 0, agent_list },					\
	{ ROUTE_M(HTTP_POST), one "/task", ROUTE_STARTED, agent_create }, \
	{ GET, one "/{}", 0, agent_get },				\
	{ GET, one "/task/{}/{}/{}", ROUTE_STARTED, agent_resource },	\
	{ ROUTE_M(HTTP_DELETE), one "/task_executions/{}/{}/{}",	\
	    ROUTE_STARTED, agent_resource },				\
	{ GET, one "/task/metrics/{}/{}/{}", ROUTE_STARTED,		\
	    agent_metrics },						\
	{ GET, one "/task/logs/{}/{}/{}", ROUTE_STARTED, agent_logs }

static const struct route agent_routes[] = {
	ROUTES("agent", "agents"),
	ROUTES("connector", "connectors"),
};

const struct route_table agent_table = {
	"/api/v1", ROUTE_AUTH, agent_routes,
	sizeof(agent_routes) / sizeof(agent_routes[0]), agent_error
};
