/*
 * metrics.c: counters by plugin and by route, rendered as Prometheus text,
 * and the slots of front_processes: each front writes its own slot in one
 * shared mapping, a scrape sums them all, and a front restarted on the
 * same slot goes on from its predecessor's values (never backwards).
 */
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nebula-plugind.h"

/* The text of one scrape; the caller frees it. */
static char *
scrape(void)
{
	struct buf	 b = { 0 };
	char		*s;

	metrics_render(&b, NULL, 0, 0);
	assert_non_null(b.buf_data);
	s = strndup(b.buf_data, b.buf_len);
	buf_release(&b);
	assert_non_null(s);
	return s;
}

/* The value of the line that starts with series (name and labels). */
static unsigned long long
value(const char *text, const char *series)
{
	const char	*p = text;
	size_t		 n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
		p += n;
	}
	fail_msg("no series %s in:\n%s", series, text);
	return 0;
}

static void
test_counters_by_plugin_and_route(void **state)
{
	char	*t;

	(void)state;
	metrics_observe("echo", POOL_OP_CREATE, 200, 0.002);
	metrics_observe("echo", POOL_OP_CREATE, 200, 0.2);
	metrics_observe("echo", POOL_OP_GET, 504, 10);
	metrics_timeout("echo", POOL_OP_GET);
	metrics_violation("echo");
	metrics_violation("echo");
	metrics_http("/plugins/v1/{}/{}", 200);
	metrics_http("/plugins/v1/{}/{}", 200);
	metrics_http(NULL, 404);
	metrics_restart("other", "signal");
	t = scrape();
	assert_int_equal(value(t, "nebula_requests_total{plugin=\"echo\","
	    "op=\"create\",code=\"200\"}"), 2);
	assert_int_equal(value(t, "nebula_request_duration_seconds_bucket{"
	    "plugin=\"echo\",op=\"create\",le=\"0.005\"}"), 1);
	assert_int_equal(value(t, "nebula_request_duration_seconds_count{"
	    "plugin=\"echo\",op=\"create\"}"), 2);
	assert_int_equal(value(t, "nebula_timeouts_total{plugin=\"echo\","
	    "op=\"get\"}"), 1);
	assert_int_equal(value(t, "nebula_protocol_violations_total{"
	    "plugin=\"echo\"}"), 2);
	/* a plugin known by one counter shows zeros in the others */
	assert_int_equal(value(t, "nebula_protocol_violations_total{"
	    "plugin=\"other\"}"), 0);
	assert_int_equal(value(t, "nebula_worker_restarts_total{"
	    "plugin=\"other\",reason=\"signal\"}"), 1);
	assert_int_equal(value(t, "nebula_http_responses_total{"
	    "route=\"/plugins/v1/{}/{}\",status=\"200\"}"), 2);
	assert_int_equal(value(t, "nebula_http_responses_total{"
	    "route=\"unknown\",status=\"404\"}"), 1);
	assert_int_equal(value(t, "nebula_fronts"), 1);
	free(t);
	metrics_free();
}

/* A child front: counts n answers on its slot and exits. */
static void
front(int slot, int n)
{
	pid_t	 pid;
	int	 st, i;

	if ((pid = fork()) == 0) {
		metrics_set_slot(slot);
		for (i = 0; i < n; i++) {
			metrics_http("/metrics", 200);
			metrics_observe("echo", POOL_OP_CREATE, 200, 0.001);
		}
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void
test_fronts_are_summed_and_never_go_back(void **state)
{
	char	*t;

	(void)state;
	assert_int_equal(metrics_shared(3), 0);
	front(0, 3);
	front(1, 5);
	metrics_set_slot(2);	/* this process: the front answering */
	metrics_http("/metrics", 200);
	t = scrape();
	assert_int_equal(value(t, "nebula_http_responses_total{"
	    "route=\"/metrics\",status=\"200\"}"), 9);
	assert_int_equal(value(t, "nebula_requests_total{plugin=\"echo\","
	    "op=\"create\",code=\"200\"}"), 8);
	assert_int_equal(value(t, "nebula_request_duration_seconds_count{"
	    "plugin=\"echo\",op=\"create\"}"), 8);
	assert_int_equal(value(t, "nebula_fronts"), 3);
	free(t);
	/* front 1 died; its successor goes on from its values */
	front(1, 2);
	t = scrape();
	assert_int_equal(value(t, "nebula_http_responses_total{"
	    "route=\"/metrics\",status=\"200\"}"), 11);
	assert_int_equal(value(t, "nebula_requests_total{plugin=\"echo\","
	    "op=\"create\",code=\"200\"}"), 10);
	free(t);
	metrics_free();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_by_plugin_and_route),
		cmocka_unit_test(test_fronts_are_summed_and_never_go_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
