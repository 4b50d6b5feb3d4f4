/*
 * Unit tests for supervisor/pool.c over real workers (small /bin/sh
 * scripts) on the real default ev loop: the choice of instance, the queue
 * and its limit, refusals with no ready instance, the per-call timeout and
 * a worker lost while holding a call.  Only outcomes are asserted, never
 * durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nebula-plugind.h"
#include "loopwait.h"

/*
 * Hello with concurrency 2, then per request: "hang" never answers,
 * "later" answers after a while, "crash" exits, anything else answers at
 * once; an answer says how many requests this instance holds.
 */
static const char script[] =
    "printf '{\"hello\":{\"protocol\":1,\"concurrency\":2}}\\n'\n"
    "held=0\n"
    "while read -r line; do\n"
    "  id=${line#*\\\"id\\\":}; id=${id%%[!0-9]*}\n"
    "  case $line in\n"
    "  *'\"hang\"'*) held=$((held + 1)); continue ;;\n"
    "  *'\"crash\"'*) exit 3 ;;\n"
    "  *'\"later\"'*) sleep 0.2 ;;\n"
    "  esac\n"
    "  printf '{\"id\":%s,\"resource_meta\":{\"held\":%d}}\\n' \"$id\" "
    "\"$held\"\n"
    "done\n";

struct answer {
	int	 a_done;
	int	 a_status;
	char	 a_code[64];
	int	 a_held;
	double	 a_retry_after;
};

static struct ev_loop	*loop;
static char		*argv_sh[] = { "/bin/sh", "-c", (char *)script, NULL };
static struct plugin_conf pc;
static struct limits_conf limits;

static void
done_cb(void *arg, const struct pool_result *res)
{
	struct answer	*a = arg;
	json_t		*meta = NULL;

	a->a_done++;
	a->a_status = res->res_status;
	snprintf(a->a_code, sizeof(a->a_code), "%s",
	    res->res_code ? res->res_code : "");
	a->a_retry_after = res->res_retry_after;
	a->a_held = -1;
	/* The pool hands resource_meta on as the worker wrote it. */
	if (res->res_meta != NULL) {
		meta = json_loadb(res->res_meta, res->res_metalen, 0, NULL);
		assert_true(json_is_null(json_object_get(res->res_response,
		    "resource_meta")));
	} else if (res->res_response != NULL)
		meta = json_incref(json_object_get(res->res_response,
		    "resource_meta"));
	a->a_held = (int)json_integer_value(json_object_get(meta, "held"));
	json_decref(meta);
}

static int
ready_count(struct pool *p)
{
	struct pool_stats	 st;

	pool_stats(p, &st);
	return st.ps_ready;
}

/* What run_until_restarted and run_until_ready wait for. */
struct pool_goal {
	struct pool	*pg_pool;
	unsigned long	 pg_n;
};

static int
restarted(void *arg)
{
	struct pool_goal	*g = arg;
	struct pool_stats	 st;

	pool_stats(g->pg_pool, &st);
	return st.ps_restarts >= g->pg_n;
}

static int
ready(void *arg)
{
	struct pool_goal	*g = arg;

	return ready_count(g->pg_pool) >= (int)g->pg_n;
}

static int
stopped(void *arg)
{
	return pool_stopped(arg);
}

static void
run_until_restarted(struct pool *p, unsigned long n)
{
	struct pool_goal	 g = { p, n };

	loopwait_until(loop, restarted, &g);
}

static void
run_until_ready(struct pool *p, int n)
{
	struct pool_goal	 g = { p, (unsigned long)n };

	loopwait_until(loop, ready, &g);
	assert_int_equal(ready_count(p), n);
}

static struct pool *
started_pool(int instances)
{
	struct pool	*p;

	pc.pc_instances = instances;
	assert_non_null(p = pool_new(loop, &pc, &limits));
	pool_start(p);
	run_until_ready(p, instances);
	return p;
}

static void
stop_and_free(struct pool *p)
{
	pool_stop(p);
	loopwait_until(loop, stopped, p);
	pool_free(p);
}

/* Requests are borrowed by the pool until answered: kept here. */
static struct msg_request	 reqs[64];
static json_t			*bodies[64];
static size_t			 nreqs;

static struct pool_call *
call(struct pool *p, const char *what, struct answer *a)
{
	struct msg_request	*mr;

	assert_true(nreqs < sizeof(reqs) / sizeof(reqs[0]));
	mr = &reqs[nreqs];
	memset(mr, 0, sizeof(*mr));
	mr->mr_op = "create";
	mr->mr_task_type = "t";
	mr->mr_version = "v1";
	mr->mr_deadline_ms = -1;
	mr->mr_body = bodies[nreqs++] = json_pack("{s:s}", "what", what);
	return pool_call(p, POOL_OP_CREATE, mr, 0, done_cb, a);
}

static void
requests_free(void)
{
	while (nreqs > 0)
		json_decref(bodies[--nreqs]);
}

static int
teardown(void **state)
{
	(void)state;
	requests_free();
	return 0;
}

static int
setup(void **state)
{
	(void)state;
	memset(&pc, 0, sizeof(pc));
	pc.pc_name = "t";
	pc.pc_argv = argv_sh;
	pc.pc_argc = 3;
	pc.pc_path = "/bin/sh";
	pc.pc_instances = 1;
	pc.pc_queue = 1;
	pc.pc_t_start = 5;
	pc.pc_t_create = 10;
	pc.pc_t_get = 10;
	pc.pc_t_delete = 10;
	pc.pc_t_stop = 5;
	pc.pc_restart_initial = 0.01;
	pc.pc_restart_max = 0.05;
	pc.pc_rl_as = pc.pc_rl_nofile = pc.pc_rl_cpu = RLIMIT_UNSET;
	memset(&limits, 0, sizeof(limits));
	limits.max_line_bytes = 65536;
	return 0;
}

/* The ready instance with the most free slots gets the call. */
static void
test_pick_most_free(void **state)
{
	struct pool	*p;
	struct answer	 a = { 0 }, b = { 0 }, c = { 0 };

	(void)state;
	p = started_pool(2);
	assert_non_null(call(p, "hang", &a));	/* one instance holds it */
	assert_non_null(call(p, "who", &b));	/* so the other gets this */
	loopwait_count(loop, &b.a_done, 1);
	assert_int_equal(b.a_status, 200);
	assert_int_equal(b.a_held, 0);
	/*
	 * This one goes to the instance with two free slots against one;
	 * then both have one free and each holds one.
	 */
	assert_non_null(call(p, "hang", &c));
	assert_non_null(call(p, "who", &b));
	loopwait_count(loop, &b.a_done, 2);
	assert_int_equal(b.a_held, 1);
	assert_int_equal(a.a_done, 0);
	stop_and_free(p);
	/* The calls held at the stop were answered. */
	assert_int_equal(a.a_done, 1);
	assert_int_equal(c.a_done, 1);
}

/*
 * With every slot taken a call waits in the queue and goes out when one
 * frees; with the queue full the next is refused 429 at once.
 */
static void
test_queue(void **state)
{
	struct pool		*p;
	struct pool_stats	 st;
	struct answer		 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

	(void)state;
	p = started_pool(1);
	assert_non_null(call(p, "hang", &a));
	assert_non_null(call(p, "later", &b));
	assert_non_null(call(p, "queued", &c));	/* both slots are taken */
	pool_stats(p, &st);
	assert_int_equal(st.ps_queued, 1);
	assert_int_equal(st.ps_in_flight, 2);
	assert_null(call(p, "refused", &d));
	assert_int_equal(d.a_done, 1);
	assert_int_equal(d.a_status, 429);
	assert_string_equal(d.a_code, "OVERLOADED");
	assert_int_equal(c.a_done, 0);
	loopwait_count(loop, &c.a_done, 1);	/* b answered, its slot fed c */
	assert_int_equal(b.a_done, 1);
	assert_int_equal(b.a_status, 200);
	assert_int_equal(c.a_status, 200);
	assert_int_equal(c.a_held, 1);
	pool_stats(p, &st);
	assert_int_equal(st.ps_queued, 0);
	stop_and_free(p);
}

/* No ready instance: 503 at once, with a Retry-After. */
static void
test_no_ready_instance(void **state)
{
	struct pool	*p;
	struct answer	 a = { 0 };

	(void)state;
	assert_non_null(p = pool_new(loop, &pc, &limits));
	assert_true(pool_fresh(p));
	assert_null(call(p, "ok", &a));
	assert_int_equal(a.a_done, 1);
	assert_int_equal(a.a_status, 503);
	assert_string_equal(a.a_code, "UNAVAILABLE");
	assert_true(a.a_retry_after >= 1);
	pool_free(p);

	/* Nor while the only instance is still starting. */
	memset(&a, 0, sizeof(a));
	assert_non_null(p = pool_new(loop, &pc, &limits));
	pool_start(p);
	assert_null(call(p, "ok", &a));
	assert_int_equal(a.a_status, 503);
	stop_and_free(p);
}

/* The op's timeout answers 504, for a sent call and for a queued one. */
static void
test_call_timeout(void **state)
{
	struct pool	*p;
	struct answer	 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

	(void)state;
	pc.pc_t_create = 0.2;
	p = started_pool(1);
	assert_non_null(call(p, "hang", &a));
	assert_non_null(call(p, "hang", &b));
	assert_non_null(call(p, "ok", &c));	/* queued */
	loopwait_count(loop, &c.a_done, 1);
	assert_int_equal(a.a_status, 504);
	assert_string_equal(a.a_code, "DEADLINE_EXCEEDED");
	assert_int_equal(c.a_status, 504);
	/* Each hung call still holds its slot: the instance is restarted. */
	run_until_restarted(p, 1);
	run_until_ready(p, 1);
	pc.pc_t_create = 10;
	assert_non_null(call(p, "ok", &d));
	loopwait_count(loop, &d.a_done, 1);
	assert_int_equal(d.a_status, 200);
	stop_and_free(p);
}

/* An instance that dies holding calls: each is answered 502. */
static void
test_worker_lost(void **state)
{
	struct pool		*p;
	struct pool_stats	 st;
	struct answer		 a = { 0 }, b = { 0 };

	(void)state;
	p = started_pool(1);
	assert_non_null(call(p, "hang", &a));
	assert_non_null(call(p, "crash", &b));
	loopwait_count(loop, &b.a_done, 1);
	assert_int_equal(a.a_status, 502);
	assert_int_equal(b.a_status, 502);
	assert_string_equal(b.a_code, "WORKER_FAILED");
	run_until_ready(p, 1);		/* restarted after its backoff */
	pool_stats(p, &st);
	assert_int_equal(st.ps_restarts, 1);
	assert_non_null(strstr(st.ps_last_exit, "exit status 3"));
	stop_and_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pick_most_free, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_ready_instance, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_call_timeout, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_worker_lost, setup,
		    teardown),
	};

	log_init(LOG_LEVEL_ERROR);
	loop = EV_DEFAULT;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
