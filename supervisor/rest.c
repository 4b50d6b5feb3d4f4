/*
 * Our own REST front (SPEC.md section 2): the /plugins/v1 routes and the
 * probes, as route tables.  Each handler translates the HTTP request into
 * a call of the call layer and its result into our JSON answer: a bare
 * resource_id, a bare resource (with the worker's poll hint as a field and
 * a header), {} for a delete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "nebula-plugind.h"

#define REST_POLL_AFTER_MAX	86400000LL	/* ms: a day */

/* Each instance as supervisorctl status shows it: pid, state, uptime. */
static json_t *
rest_instances_json(struct pool *p)
{
	struct pool_instance	 pi;
	json_t			*a;
	int			 i;

	a = json_array();
	for (i = 0; pool_instance(p, i, &pi) == 0; i++)
		json_array_append_new(a, json_pack("{s:i, s:o, s:s, s:f, s:I, "
		    "s:i, s:o}", "index", pi.pi_index, "pid", pi.pi_pid > 0 ?
		    json_integer(pi.pi_pid) : json_null(), "state",
		    pi.pi_state, "uptime", pi.pi_uptime, "restarts",
		    (json_int_t)pi.pi_restarts, "in_flight", pi.pi_in_flight,
		    "last_error", pi.pi_last_error ?
		    json_string(pi.pi_last_error) : json_null()));
	return a;
}

/*
 * One plugin as the listing shows it (with its last error); detail adds
 * the last exit and "instance_details", one object per instance
 * ("instances" stays the count SPEC.md names).
 */
json_t *
rest_plugin_json(struct pool *p, int detail)
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
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "last_error", st.ps_last_error ?
	    json_string(st.ps_last_error) : json_null());
	if (detail) {
		json_object_set_new(o, "last_exit", st.ps_last_exit ?
		    json_string(st.ps_last_exit) : json_null());
		json_object_set_new(o, "instance_details",
		    rest_instances_json(p));
	}
	return o;
}

static void
rest_list(struct http_request *req, char **arg, int narg)
{
	struct pool	**pools;
	json_t		 *list;
	size_t		  i, n;

	(void)arg;
	(void)narg;
	pools = call_pools(&n);
	list = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(list, rest_plugin_json(pools[i], 0));
	router_json(req, 200, json_pack("{s:o}", "plugins", list), NULL);
}

static void
rest_plugin(struct http_request *req, char **arg, int narg)
{
	struct pool	*p;

	(void)narg;
	if ((p = call_find_plugin(arg[0])) == NULL) {
		http_respond_error(req, 404, "NOT_FOUND",
		    "no such plugin or task type", NULL);
		return;
	}
	router_json(req, 200, rest_plugin_json(p, 1), NULL);
}

/* {"resource_id": "..."}, written directly: an id needs no escaping. */
static void
rest_id_answer(struct http_request *req, const char *rid)
{
	static struct buf b;	/* reused; http_respond copies the body */

	buf_reset(&b);
	if (buf_printf(&b, "{\"resource_id\":\"%s\"}", rid) == -1) {
		http_respond_error(req, 500, "INTERNAL", "out of memory", NULL);
		return;
	}
	http_respond(req, 200, NULL, b.buf_data, b.buf_len);
}

static void
rest_created(void *arg, const struct call_result *res)
{
	struct http_request	*req = arg;
	json_t			*body;

	req->req_router = NULL;
	if (res->cr_status != 200) {
		router_error(req, res, NULL);
		return;
	}
	if (res->cr_resource == NULL) {
		rest_id_answer(req, res->cr_resource_id);
		return;
	}
	body = json_pack("{s:s, s:O}", "resource_id", res->cr_resource_id,
	    "resource", res->cr_resource);
	router_json(req, 200, body, NULL);
}

static void
rest_create(struct http_request *req, char **arg, int narg)
{
	struct call_req	 cq;
	struct call	*ca;
	json_t		*body;
	char		 err[256];

	(void)narg;
	/* Most bodies are proved and go as sent; the rest are read here. */
	body = NULL;
	err[0] = '\0';
	if (!router_body_proved(req, "task_template"))
		body = router_body(req, "task_template", err, sizeof(err));
	router_call_req(req, &cq);
	cq.cq_type = arg[0];
	cq.cq_version = arg[1];
	cq.cq_body = body;
	cq.cq_body_error = err[0] != '\0' ? err : NULL;
	cq.cq_raw = req->req_body;
	cq.cq_rawlen = req->req_body_len;
	/* NULL when answered at once: req may be gone then. */
	ca = call_create(&cq, rest_created, req);
	json_decref(body);
	if (ca != NULL)
		req->req_router = ca;
}

/*
 * The worker's poll hint: "poll_after_ms" beside "resource" in its get
 * answer, a whole number of milliseconds (at most a day); else -1.
 */
static long long
rest_poll_after(const struct call_result *res)
{
	json_t		*v;
	json_int_t	 ms;

	v = json_object_get(res->cr_response, "poll_after_ms");
	if (!json_is_integer(v) || (ms = json_integer_value(v)) < 0)
		return -1;
	return ms > REST_POLL_AFTER_MAX ? REST_POLL_AFTER_MAX : ms;
}

static void
rest_polled(void *arg, const struct call_result *res)
{
	struct http_request	*req = arg;
	json_t			*body;
	long long		 ms;
	char			 hdr[64];

	req->req_router = NULL;
	if (res->cr_status != 200)
		router_error(req, res, NULL);
	else if (res->cr_resource != NULL) {
		if ((ms = rest_poll_after(res)) < 0) {
			router_json(req, 200, json_incref(res->cr_resource),
			    NULL);
			return;
		}
		/* The field and a header: either serves the client. */
		body = json_copy(res->cr_resource);
		json_object_set_new(body, "poll_after_ms", json_integer(ms));
		snprintf(hdr, sizeof(hdr), "Nebula-Poll-After-Ms: %lld\r\n",
		    ms);
		router_json(req, 200, body, hdr);
	} else
		http_respond(req, 200, NULL, "{}", 2);
}

static void
rest_resource(struct http_request *req, char **arg, int narg)
{
	struct call_req	 cq;
	struct call	*ca;

	(void)narg;
	router_call_req(req, &cq);
	cq.cq_type = arg[0];
	cq.cq_version = arg[1];
	cq.cq_rid = arg[2];
	cq.cq_ridlen = strlen(arg[2]);
	ca = call_resource(req->req_method == HTTP_GET ? POOL_OP_GET :
	    POOL_OP_DELETE, &cq, rest_polled, req);
	if (ca != NULL)
		req->req_router = ca;
}

static void
rest_healthz(struct http_request *req, char **arg, int narg)
{
	(void)arg;
	(void)narg;
	router_json(req, 200, json_pack("{s:s}", "status", "ok"), NULL);
}

static void
rest_readyz(struct http_request *req, char **arg, int narg)
{
	struct pool_stats	 st;
	struct pool		**pools;
	json_t			*names;
	char			 msg[1024] = "";
	size_t			 i, n, len = 0;

	(void)arg;
	(void)narg;
	if (call_draining()) {
		http_respond_error(req, 503, "UNAVAILABLE",
		    "the daemon is draining", NULL);
		return;
	}
	pools = call_pools(&n);
	names = json_array();
	for (i = 0; i < n; i++) {
		pool_stats(pools[i], &st);
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
rest_metrics(struct http_request *req, char **arg, int narg)
{
	struct buf		 b = { 0 };
	struct pool		**pools;
	struct pool_stats	*st;
	size_t			  i, n;

	(void)arg;
	(void)narg;
	pools = call_pools(&n);
	if ((st = calloc(n ? n : 1, sizeof(*st))) == NULL) {
		http_respond_error(req, 500, "INTERNAL", "out of memory", NULL);
		return;
	}
	for (i = 0; i < n; i++)
		pool_stats(pools[i], &st[i]);
	metrics_render(&b, st, n, http_connections());
	free(st);
	http_respond(req, 200, "Content-Type: text/plain; version=0.0.4; "
	    "charset=utf-8\r\n", b.buf_data ? b.buf_data : "", b.buf_len);
	buf_release(&b);
}

#define GET		ROUTE_M(HTTP_GET)
#define PROBE		(ROUTE_M(HTTP_GET) | ROUTE_M(HTTP_HEAD))

static const struct route rest_routes[] = {
	{ GET, "", 0, rest_list },
	{ GET, "{}", ROUTE_STARTED, rest_plugin },
	{ ROUTE_M(HTTP_PUT) | ROUTE_M(HTTP_POST), "{}/{}", ROUTE_STARTED,
	    rest_create },
	{ GET | ROUTE_M(HTTP_DELETE), "{}/{}/{}", ROUTE_STARTED,
	    rest_resource },
};

const struct route_table rest_table = {
	"/plugins/v1", ROUTE_AUTH, rest_routes,
	sizeof(rest_routes) / sizeof(rest_routes[0]), NULL
};

static const struct route probe_routes[] = {
	{ PROBE, "healthz", 0, rest_healthz },
	{ PROBE, "readyz", 0, rest_readyz },
	{ PROBE, "metrics", ROUTE_METRICS_AUTH, rest_metrics },
};

/* Last: its empty prefix takes every path no other table took. */
const struct route_table probe_table = {
	"", 0, probe_routes, sizeof(probe_routes) / sizeof(probe_routes[0]),
	NULL
};
