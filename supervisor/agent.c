/*
 * Flyte's agent REST front (/api/v1/...): the paths and field names of its
 * grpc-gateway mapping as a route table, each handler translating onto the
 * call layer.  Here resource_meta is our resource_id, "template" is
 * task_template, and Flyte's integer version N is our "vN" (0: the
 * plugin's first version).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "nebula-plugind.h"

/* "3" -> "v3"; "0" -> NULL (any / first); -1 when not a number. */
static int
agent_version(const char *s, char *out, size_t outlen, int *any)
{
	char		*end;
	long		 n;

	*any = 0;
	if (*s == '\0')
		return -1;
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < 0 || n > 1000000)
		return -1;
	if (n == 0)
		*any = 1;
	snprintf(out, outlen, "v%ld", n);
	return 0;
}

/* Our "vN" as Flyte's integer N; 0 when it is not of that form. */
static json_int_t
agent_version_int(const char *v)
{
	char	*end;
	long	 n;

	if (v[0] != 'v' || v[1] == '\0')
		return 0;
	n = strtol(v + 1, &end, 10);
	return *end == '\0' && n > 0 ? n : 0;
}

static json_t *
agent_json(struct pool *p)
{
	struct pool_stats	 st;
	json_t			*cats, *e, *vs, *v;
	size_t			 i, j;

	pool_stats(p, &st);
	cats = json_array();
	json_array_foreach(st.ps_task_types, i, e) {
		const char *type = json_string_value(json_object_get(e,
		    "type"));

		vs = json_object_get(e, "versions");
		if (json_array_size(vs) == 0) {
			json_array_append_new(cats, json_pack("{s:s, s:I}",
			    "name", type, "version", (json_int_t)1));
			continue;
		}
		json_array_foreach(vs, j, v)
			json_array_append_new(cats, json_pack("{s:s, s:I}",
			    "name", type, "version",
			    agent_version_int(json_string_value(v))));
	}
	return json_pack("{s:s, s:o, s:b}", "name", st.ps_name,
	    "supported_task_categories", cats, "is_sync", st.ps_is_sync);
}

static void
agent_created(void *arg, const struct call_result *res)
{
	struct http_request	*req = arg;
	json_t			*body;

	req->req_router = NULL;
	if (res->cr_status != 200) {
		router_error(req, res, NULL);
		return;
	}
	body = json_pack("{s:s}", "resource_meta", res->cr_resource_id);
	if (res->cr_resource != NULL)
		json_object_set(body, "resource", res->cr_resource);
	router_json(req, 200, body, NULL);
}

static void
agent_create(struct http_request *req, char **arg, int narg)
{
	struct call_req	 cq;
	struct call	*ca;
	json_t		*body, *tmpl, *type, *tv;
	char		 version[32], err[256];

	(void)arg;
	(void)narg;
	if ((body = router_body(req, "template", err, sizeof(err))) == NULL) {
		http_respond_error(req, 400, "BAD_REQUEST", err, NULL);
		return;
	}
	tmpl = json_object_get(body, "template");
	type = json_object_get(tmpl, "type");
	if (!json_is_string(type)) {
		json_decref(body);
		http_respond_error(req, 400, "BAD_REQUEST", "template.type "
		    "must name the task type", NULL);
		return;
	}
	tv = json_object_get(tmpl, "task_type_version");
	if (tv != NULL && (!json_is_integer(tv) || json_integer_value(tv) < 0)) {
		json_decref(body);
		http_respond_error(req, 400, "BAD_REQUEST",
		    "template.task_type_version must be an integer >= 0", NULL);
		return;
	}
	/* The worker sees the native field name. */
	json_object_set(body, "task_template", tmpl);
	json_object_del(body, "template");
	router_call_req(req, &cq);
	cq.cq_type = json_string_value(type);
	if (tv != NULL && json_integer_value(tv) > 0) {
		snprintf(version, sizeof(version), "v%lld",
		    (long long)json_integer_value(tv));
		cq.cq_version = version;
	}
	cq.cq_body = body;
	ca = call_create(&cq, agent_created, req);
	json_decref(body);
	if (ca != NULL)
		req->req_router = ca;
}

static void
agent_polled(void *arg, const struct call_result *res)
{
	struct http_request	*req = arg;

	req->req_router = NULL;
	if (res->cr_status != 200)
		router_error(req, res, NULL);
	else if (res->cr_resource != NULL)
		router_json(req, 200, json_pack("{s:O}", "resource",
		    res->cr_resource), NULL);
	else
		http_respond(req, 200, NULL, "{}", 2);
}

/* GET .../task/{name}/{version}/{meta}, DELETE .../task_executions/... */
static void
agent_resource(struct http_request *req, char **arg, int narg)
{
	struct call_req	 cq;
	struct call	*ca;
	char		 version[32];
	int		 any;

	(void)narg;
	if (agent_version(arg[1], version, sizeof(version), &any) == -1) {
		http_respond_error(req, 400, "BAD_REQUEST", "the task category "
		    "version must be an integer", NULL);
		return;
	}
	router_call_req(req, &cq);
	cq.cq_type = arg[0];
	cq.cq_version = any ? NULL : version;
	cq.cq_rid = arg[2];
	cq.cq_ridlen = strlen(arg[2]);
	ca = call_resource(req->req_method == HTTP_GET ? POOL_OP_GET :
	    POOL_OP_DELETE, &cq, agent_polled, req);
	if (ca != NULL)
		req->req_router = ca;
}

static void
agent_list(struct http_request *req, char **arg, int narg)
{
	struct pool	**pools;
	json_t		 *list;
	size_t		  n, i;

	(void)arg;
	(void)narg;
	pools = call_pools(&n);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, agent_json(pools[i]));
	router_json(req, 200, json_pack("{s:o}", "agents", list), NULL);
}

static void
agent_get(struct http_request *req, char **arg, int narg)
{
	struct pool	*p;

	(void)narg;
	if ((p = call_find_plugin(arg[0])) == NULL) {
		http_respond_error(req, 404, "NOT_FOUND", "no such agent",
		    NULL);
		return;
	}
	router_json(req, 200, json_pack("{s:o}", "agent", agent_json(p)),
	    NULL);
}

static const struct route agent_routes[] = {
	{ ROUTE_M(HTTP_GET), "agents", 0, agent_list },
	{ ROUTE_M(HTTP_POST), "agent/task", ROUTE_STARTED, agent_create },
	{ ROUTE_M(HTTP_GET), "agent/{}", 0, agent_get },
	{ ROUTE_M(HTTP_GET), "agent/task/{}/{}/{}", ROUTE_STARTED,
	    agent_resource },
	{ ROUTE_M(HTTP_DELETE), "agent/task_executions/{}/{}/{}",
	    ROUTE_STARTED, agent_resource },
};

const struct route_table agent_table = {
	"/api/v1", ROUTE_AUTH, agent_routes,
	sizeof(agent_routes) / sizeof(agent_routes[0]), NULL
};
