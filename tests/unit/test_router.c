/*
 * Unit tests for the route tables of supervisor/rest.c and agent.c as
 * matched by supervisor/router.c: which route answers what, with which
 * status and error code, before any worker is involved.  HTTP is replaced
 * by a recorder of answers; the pools are real but never started, so plugin
 * calls answer 503 at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <http_parser.h>

#include "nebula-plugind.h"

/* What the router answered last. */
static int	 last_status;
static char	 last_code[64];
static char	 last_headers[256];
static char	*last_body;

void
http_respond(struct http_request *req, int status, const char *headers,
    const char *body, size_t len)
{
	(void)req;
	last_status = status;
	snprintf(last_headers, sizeof(last_headers), "%s",
	    headers ? headers : "");
	free(last_body);
	last_body = strndup(body, len);
}

void
http_respond_error(struct http_request *req, int status, const char *code,
    const char *message, const char *headers)
{
	(void)req;
	(void)message;
	last_status = status;
	snprintf(last_code, sizeof(last_code), "%s", code);
	snprintf(last_headers, sizeof(last_headers), "%s",
	    headers ? headers : "");
	free(last_body);
	last_body = NULL;
}

size_t
http_connections(void)
{
	return 0;
}

static struct config	*cf;
static struct pool	*pools[2];

static const char conf_yaml[] =
    "plugins:\n"
    "  - name: echo\n"
    "    command: [nebula-echo]\n"
    "    task_types: [{type: echo, versions: [v1, v2]}]\n"
    "  - name: other\n"
    "    command: [nebula-other]\n"
    "    task_types: [{type: other}]\n";

static int
setup(void **state)
{
	char	 err[256];
	size_t	 i;

	(void)state;
	log_init(LOG_LEVEL_ERROR);
	cf = config_parse(conf_yaml, strlen(conf_yaml), "t.yaml", err,
	    sizeof(err));
	assert_non_null(cf);
	for (i = 0; i < 2; i++)
		pools[i] = pool_new(EV_DEFAULT, &cf->cf_plugins[i],
		    &cf->cf_limits);
	call_init(EV_DEFAULT, NULL, NULL);
	call_set_pools(pools, 2);
	router_clear();
	router_add(&rest_table);
	router_add(&agent_table);
	router_add(&probe_table);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	pool_free(pools[0]);
	pool_free(pools[1]);
	config_free(cf);
	metrics_free();
	free(last_body);
	last_body = NULL;
	return 0;
}

static void
route(int method, const char *path, const char *body)
{
	struct http_request	 req;
	char			 p[1024];

	memset(&req, 0, sizeof(req));
	snprintf(p, sizeof(p), "%s", path);
	req.req_method = method;
	req.req_method_name = http_method_str(method);
	req.req_path = p;
	req.req_path_len = strlen(p);
	req.req_body = (char *)body;
	req.req_body_len = body ? strlen(body) : 0;
	snprintf(req.req_id, sizeof(req.req_id), "test");
	last_status = 0;
	last_code[0] = '\0';
	router_dispatch(&req);
	assert_null(req.req_router);	/* answered, nothing left behind */
}

static void
test_probes(void **state)
{
	(void)state;
	route(HTTP_GET, "/healthz", NULL);
	assert_int_equal(last_status, 200);
	route(HTTP_GET, "/readyz", NULL);
	assert_int_equal(last_status, 503);	/* never started */
	assert_non_null(strstr(last_body, "echo"));
	route(HTTP_GET, "/metrics", NULL);
	assert_int_equal(last_status, 200);
	assert_non_null(strstr(last_headers, "text/plain"));
	route(HTTP_POST, "/healthz", NULL);
	assert_int_equal(last_status, 405);
	assert_non_null(strstr(last_headers, "Allow: GET"));
}

static void
test_unknown_routes(void **state)
{
	(void)state;
	route(HTTP_GET, "/", NULL);
	assert_int_equal(last_status, 404);
	assert_string_equal(last_code, "NOT_FOUND");
	route(HTTP_GET, "/plugins/v2", NULL);
	assert_int_equal(last_status, 404);
	route(HTTP_GET, "/plugins/v1x", NULL);
	assert_int_equal(last_status, 404);
	route(HTTP_GET, "/plugins/v1/a/b/c/d", NULL);
	assert_int_equal(last_status, 404);
	route(HTTP_GET, "/plugins/v1/a//b", NULL);
	assert_int_equal(last_status, 404);
	route(HTTP_GET, "/api/v1/nothing", NULL);
	assert_int_equal(last_status, 404);
}

static void
test_methods(void **state)
{
	(void)state;
	route(HTTP_PATCH, "/plugins/v1/echo/v1", "{}");
	assert_int_equal(last_status, 405);
	assert_string_equal(last_code, "METHOD_NOT_ALLOWED");
	assert_non_null(strstr(last_headers, "Allow: PUT, POST"));
	route(HTTP_PUT, "/plugins/v1/echo/v1/rid", "{}");
	assert_int_equal(last_status, 405);
	assert_non_null(strstr(last_headers, "Allow: GET, DELETE"));
	route(HTTP_DELETE, "/plugins/v1", NULL);
	assert_int_equal(last_status, 405);
	route(HTTP_PUT, "/plugins/v1/echo", NULL);
	assert_int_equal(last_status, 405);
	route(HTTP_GET, "/api/v1/agent/task", NULL);
	assert_int_equal(last_status, 405);
	assert_non_null(strstr(last_headers, "Allow: POST"));
}

static void
test_listing(void **state)
{
	(void)state;
	route(HTTP_GET, "/plugins/v1", NULL);
	assert_int_equal(last_status, 200);
	assert_non_null(strstr(last_body, "\"name\":\"echo\""));
	assert_non_null(strstr(last_body, "\"versions\":[\"v1\",\"v2\"]"));
	route(HTTP_GET, "/plugins/v1/", NULL);
	assert_int_equal(last_status, 200);
	route(HTTP_GET, "/api/v1/agents", NULL);
	assert_int_equal(last_status, 200);
	assert_non_null(strstr(last_body,
	    "{\"name\":\"echo\",\"version\":2}"));
}

static void
test_starting_daemon(void **state)
{
	(void)state;
	/* Until every plugin's first start settles: 503 with Retry-After. */
	route(HTTP_PUT, "/plugins/v1/echo/v1", "{\"task_template\":{}}");
	assert_int_equal(last_status, 503);
	assert_string_equal(last_code, "UNAVAILABLE");
	assert_non_null(strstr(last_headers, "Retry-After:"));
	route(HTTP_GET, "/plugins/v1/echo", NULL);
	assert_int_equal(last_status, 503);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_unknown_routes),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_starting_daemon),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
