/*
 * An in-process stand-in for supervisor/pool.c, for the HTTP fuzz target:
 * the pool_* functions the router, the agent routes and the metrics call,
 * answering each call at once or on a later loop turn with a plausible
 * plugin answer (or error) chosen by a "mode" the request carries.  It
 * counts calls in flight so that the target can tell a leaked call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"
#include "fake.h"

struct pool {
	struct plugin_conf	 p_conf;
	json_t			*p_task_types;
	int			 p_ready;
	int			 p_is_sync;
	int			 p_in_flight;
};

struct pool_call {
	struct pool	*c_pool;
	enum pool_op	 c_op;
	json_t		*c_req;
	pool_done_cb	*c_cb;
	void		*c_arg;
	int		 c_turns;	/* loop turns before the answer */
	ev_timer	 c_timer;
};

static struct ev_loop	*fake_loop;
static struct pool	 fake_pools[3];
static struct pool	*fake_list[3];
static size_t		 fake_calls;	/* calls not yet answered */

static void
fake_pool_set(struct pool *p, const char *name, const char *types, int ready,
    int is_sync)
{
	p->p_conf.pc_name = (char *)name;
	p->p_task_types = json_loads(types, 0, NULL);
	if (p->p_task_types == NULL)
		abort();
	p->p_ready = ready;
	p->p_is_sync = is_sync;
}

/* Three plugins: two ready (one synchronous), one in backoff. */
struct pool **
fake_pools_init(struct ev_loop *loop, size_t *n)
{
	fake_loop = loop;
	fake_pool_set(&fake_pools[0], "echo", "[{\"type\": \"echo\", "
	    "\"versions\": [\"v1\", \"v2\"]}, {\"type\": \"plain\"}]", 1, 0);
	fake_pool_set(&fake_pools[1], "sleep", "[{\"type\": \"sleep\", "
	    "\"versions\": [\"v3\"]}]", 1, 1);
	fake_pool_set(&fake_pools[2], "down", "[{\"type\": \"down\"}]", 0, 0);
	fake_list[0] = &fake_pools[0];
	fake_list[1] = &fake_pools[1];
	fake_list[2] = &fake_pools[2];
	*n = 3;
	return fake_list;
}

size_t
fake_pool_calls(void)
{
	return fake_calls;
}

int
pool_started(const struct pool *p)
{
	(void)p;
	return 1;
}

const char *
pool_name(const struct pool *p)
{
	return p->p_conf.pc_name;
}

const struct plugin_conf *
pool_conf(const struct pool *p)
{
	return &p->p_conf;
}

/* The real matching rule, from the protocol library. */
int
pool_serves(const struct pool *p, const char *type, const char *version)
{
	return msg_serves(p->p_task_types, type, version);
}

/* The fake worker declares every optional op, so the fronts reach it. */
int
pool_has_op(const struct pool *p, enum pool_op op)
{
	(void)p;
	(void)op;
	return 1;
}

void
pool_stats(struct pool *p, struct pool_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->ps_name = p->p_conf.pc_name;
	st->ps_state = p->p_ready ? "ready" : "backoff";
	st->ps_task_types = p->p_task_types;
	st->ps_is_sync = p->p_is_sync;
	st->ps_instances = 1;
	st->ps_ready = p->p_ready;
	st->ps_in_flight = p->p_in_flight;
	st->ps_restarts = p->p_ready ? 0 : 3;
	st->ps_last_exit = p->p_ready ? NULL : "exit status 1";
	st->ps_last_error = p->p_ready ? NULL : "hello: \"protocol\" missing";
}

/* The request's mode: a string the client put in its template or meta. */
static const char *
fake_mode(json_t *req, json_int_t *arg)
{
	static const char *const where[] = { "task_template", "resource_meta" };
	json_t		*o, *m;
	size_t		 i;

	*arg = 0;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		o = json_object_get(req, where[i]);
		if ((m = json_object_get(o, "mode")) != NULL) {
			*arg = json_integer_value(json_object_get(o, "arg"));
			return json_is_string(m) ? json_string_value(m) : "";
		}
	}
	return "";
}

static void
fake_answer(struct pool_call *c)
{
	struct pool_result	 res;
	json_t			*resp = NULL, *meta, *tt;
	const char		*mode;
	json_int_t		 arg;
	char			*big;

	memset(&res, 0, sizeof(res));
	res.res_status = 200;
	mode = fake_mode(c->c_req, &arg);
	if (arg < 0 || arg > 100000)
		arg = 100000;
	if (strcmp(mode, "error") == 0) {
		res.res_code = json_string_value(json_object_get(json_object_get(
		    c->c_req, "task_template"), "code"));
		res.res_status = msg_error_status(res.res_code);
		if (res.res_code == NULL)
			res.res_code = "INTERNAL";
		res.res_message = "the plugin says no";
	} else if (strcmp(mode, "busy") == 0) {
		res.res_status = 503;
		res.res_code = "UNAVAILABLE";
		res.res_message = "busy";
		res.res_retry_after = (double)arg / 7.0;
	} else if (strcmp(mode, "full") == 0) {
		res.res_status = 429;
		res.res_code = "OVERLOADED";
		res.res_message = "the plugin's queue is full; retry later";
		res.res_retry_after = 1;
	} else if (strcmp(mode, "slow") == 0 && c->c_turns < 0) {
		res.res_status = 504;
		res.res_code = "DEADLINE_EXCEEDED";
		res.res_message = "the plugin did not answer in time";
	} else if (c->c_op == POOL_OP_CREATE) {
		tt = json_object_get(c->c_req, "task_template");
		meta = json_object_get(tt, "meta");
		if (strcmp(mode, "big") == 0 &&
		    (big = calloc(1, (size_t)arg + 1)) != NULL) {
			memset(big, 'x', (size_t)arg);
			resp = json_pack("{s:{s:s}}", "resource_meta", "big",
			    big);
			free(big);
		} else if (strcmp(mode, "nometa") == 0)
			resp = json_pack("{s:{s:s}}", "resource", "phase",
			    "SUCCEEDED");
		else
			resp = json_pack("{s:O, s:{s:s}}", "resource_meta",
			    meta ? meta : tt, "resource", "phase", "RUNNING");
	} else if (c->c_op == POOL_OP_GET) {
		if (strcmp(mode, "odd") == 0)
			resp = json_pack("{s:i}", "resource", 42);
		else
			resp = json_pack("{s:{s:s, s:O}}", "resource", "phase",
			    "SUCCEEDED", "outputs", json_object_get(c->c_req,
			    "resource_meta"));
	} else if (c->c_op == POOL_OP_LOGS)
		resp = json_pack("{s:[s, {s:s}], s:s}", "lines", "one\n",
		    "message", "two\n", "token", "t");
	else if (c->c_op == POOL_OP_METRICS)
		resp = json_pack("{s:[{s:s}]}", "results", "metric", "m");
	else
		resp = json_object();
	res.res_response = resp;
	c->c_pool->p_in_flight--;
	fake_calls--;
	c->c_cb(c->c_arg, &res);
	json_decref(resp);
	json_decref(c->c_req);
	free(c);
}

static void
fake_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct pool_call	*c = w->data;

	(void)revents;
	ev_timer_stop(loop, w);
	if (c->c_turns-- > 0) {
		ev_timer_set(w, 0., 0.);
		ev_timer_start(loop, w);
		return;
	}
	fake_answer(c);
}

/* Answers through cb, at once (returning NULL) or later. */
struct pool_call *
pool_call(struct pool *p, enum pool_op op, const struct msg_request *mr,
    double within, pool_done_cb *cb, void *arg)
{
	struct pool_call	*c;
	struct pool_result	 res;
	struct buf		 line = { 0 };
	const char		*mode;
	json_int_t		 n;
	json_t			*req;

	(void)within;
	/* What the worker would see: the line the real codec writes. */
	req = msg_request_encode(&line, mr) == -1 ? NULL :
	    json_loadb(line.buf_data, line.buf_len, 0, NULL);
	buf_release(&line);
	if (req == NULL)
		req = json_object();
	if (!p->p_ready) {
		json_decref(req);
		memset(&res, 0, sizeof(res));
		res.res_status = 503;
		res.res_code = "UNAVAILABLE";
		res.res_message = "the plugin has no ready instance";
		res.res_retry_after = 1.5;
		cb(arg, &res);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		abort();
	c->c_pool = p;
	c->c_op = op;
	c->c_req = req;
	c->c_cb = cb;
	c->c_arg = arg;
	p->p_in_flight++;
	fake_calls++;
	mode = fake_mode(req, &n);
	if (strcmp(mode, "defer") == 0 || strcmp(mode, "slow") == 0) {
		c->c_turns = strcmp(mode, "slow") == 0 ? 3 : 0;
		ev_timer_init(&c->c_timer, fake_timer_cb, 0., 0.);
		c->c_timer.data = c;
		ev_timer_start(fake_loop, &c->c_timer);
		return c;
	}
	fake_answer(c);
	return NULL;
}

void
pool_call_cancel(struct pool_call *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(fake_loop, &c->c_timer);
	c->c_pool->p_in_flight--;
	fake_calls--;
	json_decref(c->c_req);
	free(c);
}

/* The fake has no processes: no instance to describe. */
int
pool_instance(struct pool *p, int i, struct pool_instance *pi)
{
	(void)p;
	(void)i;
	(void)pi;
	return -1;
}
