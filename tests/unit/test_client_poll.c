/*
 * Unit tests of the client library's pure parts: the backoff (doubling up
 * to its cap, jitter within half of the interval), the poll interval (a
 * share of the job's age or the worker's hint, within the bounds), phases,
 * TYPE[/VERSION]
 * parsing, job paths, and how results map onto retries and exit statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nebula-client.h"

static void
test_backoff_doubles_to_cap_with_jitter(void **state)
{
	struct npc_backoff	 bo;
	double			 want = 1.0, d;
	int			 i;

	(void)state;
	npc_backoff_init(&bo, 1.0, 8.0);
	for (i = 0; i < 10; i++) {
		d = npc_backoff_next(&bo);
		assert_true(d >= want / 2 && d <= want);
		want = want * 2 > 8.0 ? 8.0 : want * 2;
	}
	npc_backoff_reset(&bo);
	d = npc_backoff_next(&bo);
	assert_true(d >= 0.5 && d <= 1.0);
}

static void
test_backoff_fixes_bad_bounds(void **state)
{
	struct npc_backoff	 bo;

	(void)state;
	npc_backoff_init(&bo, 0, 0);
	assert_true(bo.bo_initial > 0);
	assert_true(bo.bo_max >= bo.bo_initial);
}

static void
test_phases(void **state)
{
	(void)state;
	assert_true(npc_phase_known("QUEUED"));
	assert_true(npc_phase_known("WAITING_FOR_RESOURCES"));
	assert_false(npc_phase_known("DONE"));
	assert_true(npc_phase_terminal("SUCCEEDED"));
	assert_true(npc_phase_terminal("FAILED"));
	assert_true(npc_phase_terminal("ABORTED"));
	assert_true(npc_phase_terminal("RETRYABLE_FAILED"));
	assert_false(npc_phase_terminal("RUNNING"));
}

static void
test_split_type(void **state)
{
	char	*t, *v;

	(void)state;
	assert_int_equal(npc_split_type("echo", &t, &v), 0);
	assert_string_equal(t, "echo");
	assert_string_equal(v, "v1");
	free(t);
	free(v);
	assert_int_equal(npc_split_type("sleep/v2", &t, &v), 0);
	assert_string_equal(t, "sleep");
	assert_string_equal(v, "v2");
	free(t);
	free(v);
	assert_int_equal(npc_split_type("a/b/c", &t, &v), -1);
	assert_int_equal(npc_split_type("/v1", &t, &v), -1);
	assert_int_equal(npc_split_type("a/", &t, &v), -1);
	assert_null(t);
	assert_null(v);
}

static void
test_job_path_escapes(void **state)
{
	char	*p;

	(void)state;
	p = npc_job_path(NULL, "echo", "v1", NULL);
	assert_string_equal(p, "/plugins/v1/echo/v1");
	free(p);
	p = npc_job_path(NULL, "a b", "v1", "x/y");
	assert_string_equal(p, "/plugins/v1/a%20b/v1/x%2Fy");
	free(p);
}

static void
test_result_exit_and_retry(void **state)
{
	struct npc_result	 r;

	(void)state;
	npc_result_init(&r);
	r.res_status = 200;
	assert_int_equal(npc_result_exit(&r), NPC_EXIT_OK);
	r.res_status = 404;
	assert_int_equal(npc_result_exit(&r), NPC_EXIT_NOT_FOUND);
	assert_false(npc_result_retryable(&r, 1));
	r.res_status = 503;
	assert_int_equal(npc_result_exit(&r), NPC_EXIT_ERROR);
	assert_true(npc_result_retryable(&r, 0));
	r.res_status = 429;
	assert_true(npc_result_retryable(&r, 0));
	r.res_status = 502;
	assert_false(npc_result_retryable(&r, 0));
	assert_true(npc_result_retryable(&r, 1));
	r.res_status = 0;
	strcpy(r.res_code, "TRANSPORT");
	assert_int_equal(npc_result_exit(&r), NPC_EXIT_ERROR);
	assert_false(npc_result_retryable(&r, 0));
	assert_true(npc_result_retryable(&r, 1));
	/* Refused before anything was sent: even a create may retry. */
	r.res_unsent = 1;
	assert_true(npc_result_retryable(&r, 0));
	r.res_unsent = 0;
	strcpy(r.res_code, "CANCELLED");
	assert_false(npc_result_retryable(&r, 1));
	r.res_status = 200;
	strcpy(r.res_code, "BAD_RESPONSE");
	assert_int_equal(npc_result_exit(&r), NPC_EXIT_ERROR);
	npc_result_clear(&r);
}

static void
test_sleep_cancelled(void **state)
{
	volatile sig_atomic_t	 flag = 1;

	(void)state;
	assert_int_equal(npc_poll_sleep(60, &flag), NPC_POLL_CANCELLED);
	flag = 0;
	assert_int_equal(npc_poll_sleep(0.001, &flag), 0);
}

static void
test_interval_grows_with_age_within_bounds(void **state)
{
	struct npc_poll_conf	 pc;

	(void)state;
	npc_poll_conf_init(&pc);
	pc.pc_initial = 0.5;
	pc.pc_max = 30;
	assert_true(npc_poll_interval(&pc, 0, -1) == 0.5);
	assert_true(npc_poll_interval(&pc, 10, -1) ==
	    10 * NPC_POLL_AGE_SHARE);
	assert_true(npc_poll_interval(&pc, 100000, -1) == 30);
}

/* A 3 s job is seen done well before 6 s: a share of its age late, at most. */
static void
test_short_job_is_seen_soon_after_it_ends(void **state)
{
	struct npc_poll_conf	 pc;
	double			 t = 0;

	(void)state;
	npc_poll_conf_init(&pc);
	while (t < 3)
		t += npc_poll_interval(&pc, t, -1);
	assert_true(t <= 3 * (1 + NPC_POLL_AGE_SHARE) + 1e-9);
}

static void
test_hint_wins_within_bounds(void **state)
{
	struct npc_poll_conf	 pc;

	(void)state;
	npc_poll_conf_init(&pc);
	pc.pc_initial = 0.5;
	pc.pc_max = 30;
	assert_true(npc_poll_interval(&pc, 0, 2000) == 2.0);
	assert_true(npc_poll_interval(&pc, 1000, 2000) == 2.0);
	assert_true(npc_poll_interval(&pc, 0, 10) == 0.5);	/* min */
	assert_true(npc_poll_interval(&pc, 0, 3600000) == 30);	/* max */
	assert_true(npc_poll_interval(&pc, 0, 0) == 0.5);
}

static void
test_hint_read_from_resource(void **state)
{
	json_t	*r;

	(void)state;
	r = json_pack("{s:s, s:i}", "phase", "RUNNING", "poll_after_ms", 1500);
	assert_int_equal(npc_poll_hint(r), 1500);
	json_object_set_new(r, "poll_after_ms", json_integer(-5));
	assert_int_equal(npc_poll_hint(r), -1);
	json_object_set_new(r, "poll_after_ms", json_string("5"));
	assert_int_equal(npc_poll_hint(r), -1);
	json_object_del(r, "poll_after_ms");
	assert_int_equal(npc_poll_hint(r), -1);
	assert_int_equal(npc_poll_hint(NULL), -1);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_doubles_to_cap_with_jitter),
		cmocka_unit_test(test_backoff_fixes_bad_bounds),
		cmocka_unit_test(test_phases),
		cmocka_unit_test(test_split_type),
		cmocka_unit_test(test_job_path_escapes),
		cmocka_unit_test(test_result_exit_and_retry),
		cmocka_unit_test(test_sleep_cancelled),
		cmocka_unit_test(test_interval_grows_with_age_within_bounds),
		cmocka_unit_test(test_short_job_is_seen_soon_after_it_ends),
		cmocka_unit_test(test_hint_wins_within_bounds),
		cmocka_unit_test(test_hint_read_from_resource),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
