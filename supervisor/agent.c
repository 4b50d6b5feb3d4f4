/*
 * Flyte's agent REST routes (/api/v1/...): the paths and field names of its
 * grpc-gateway mapping, translated onto the same plugin calls as the native
 * routes.  Here resource_meta is our resource_id, "template" is
 * task_template, and Flyte's integer version N is our "vN" (0: the
 * plugin's first version).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "nebula-plugind.h"

#define AGENT_MAX_SEGMENTS	6

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

static const char *
agent_first_version(struct pool *p, const char *type)
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
		return "v1";
	}
	return "v1";
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
agent_create(struct http_request *req)
{
	json_t		*body, *tmpl, *type, *tv;
	struct pool	*pool;
	char		 version[32], name[128];

	if ((body = router_body(req, "template")) == NULL)
		return;
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
	snprintf(name, sizeof(name), "%s", json_string_value(type));
	if (tv == NULL || json_integer_value(tv) == 0) {
		pool = router_find(name, NULL);
		if (pool != NULL)
			snprintf(version, sizeof(version), "%s",
			    agent_first_version(pool, name));
	} else {
		snprintf(version, sizeof(version), "v%lld",
		    (long long)json_integer_value(tv));
		pool = router_find(name, version);
	}
	if (pool == NULL) {
		json_decref(body);
		router_not_found(req, name, tv != NULL &&
		    json_integer_value(tv) > 0 ? version : NULL);
		return;
	}
	/* The worker sees the native field name. */
	json_object_set(body, "task_template", tmpl);
	json_object_del(body, "template");
	router_create(req, pool, name, version, body, ROUTER_SHAPE_FLYTE);
}

static void
agent_resource(struct http_request *req, enum pool_op op, char **seg)
{
	char	 version[32];
	int	 any;

	if (agent_version(seg[1], version, sizeof(version), &any) == -1) {
		http_respond_error(req, 400, "BAD_REQUEST", "the task category "
		    "version must be an integer", NULL);
		return;
	}
	router_resource(req, op, seg[0], any ? NULL : version, seg[2],
	    ROUTER_SHAPE_FLYTE);
}

static void
agent_list(struct http_request *req)
{
	struct pool	**pools;
	json_t		 *list;
	size_t		  n, i;

	pools = router_pools_list(&n);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, agent_json(pools[i]));
	router_json(req, 200, json_pack("{s:o}", "agents", list), NULL);
}

void
agent_dispatch(struct http_request *req, const char *path)
{
	char		 rest[NP_MAX_URL_BYTES + 1], *seg[AGENT_MAX_SEGMENTS];
	int		 n, m = req->req_method;
	struct pool	*p;

	if (strlen(path) >= sizeof(rest) ||
	    (n = router_split(strcpy(rest, path), seg, AGENT_MAX_SEGMENTS)) <
	    1) {
		http_respond_error(req, 404, "NOT_FOUND", "no such route",
		    NULL);
		return;
	}
	if (n == 1 && strcmp(seg[0], "agents") == 0) {
		if (m != HTTP_GET)
			router_method_not_allowed(req, "GET");
		else
			agent_list(req);
		return;
	}
	if (strcmp(seg[0], "agent") != 0) {
		http_respond_error(req, 404, "NOT_FOUND", "no such route",
		    NULL);
		return;
	}
	if (n == 2 && strcmp(seg[1], "task") == 0) {
		if (m != HTTP_POST) {
			router_method_not_allowed(req, "POST");
			return;
		}
		if (!router_all_started()) {
			router_unavailable(req, "the daemon is starting");
			return;
		}
		agent_create(req);
		return;
	}
	if (n == 2) {
		if (m != HTTP_GET) {
			router_method_not_allowed(req, "GET");
			return;
		}
		if ((p = router_find_plugin(seg[1])) == NULL) {
			http_respond_error(req, 404, "NOT_FOUND",
			    "no such agent", NULL);
			return;
		}
		router_json(req, 200, json_pack("{s:o}", "agent",
		    agent_json(p)), NULL);
		return;
	}
	if (n == 5 && (strcmp(seg[1], "task") == 0 ||
	    strcmp(seg[1], "task_executions") == 0)) {
		int is_get = strcmp(seg[1], "task") == 0;

		if (m != (is_get ? HTTP_GET : HTTP_DELETE)) {
			router_method_not_allowed(req, is_get ? "GET" :
			    "DELETE");
			return;
		}
		if (!router_all_started()) {
			router_unavailable(req, "the daemon is starting");
			return;
		}
		agent_resource(req, is_get ? POOL_OP_GET : POOL_OP_DELETE,
		    seg + 2);
		return;
	}
	http_respond_error(req, 404, "NOT_FOUND", "no such route", NULL);
}
