/*
 * A pool is one plugin: its configured instances, the queue of requests
 * waiting for a free slot, and the timeout of every call.  It picks the
 * ready instance with the fewest requests in flight, checks each answer
 * against the protocol, and turns failures into HTTP statuses for the
 * router; it knows nothing else of HTTP.
 */
#include <sys/queue.h>
#include <sys/wait.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-plugind.h"

struct pool_call {
	TAILQ_ENTRY(pool_call)	 c_link;	/* in p_queue while queued */
	struct pool		*c_pool;
	struct worker		*c_worker;	/* once sent */
	enum pool_op		 c_op;
	struct msg_request	 c_req;		/* its pointers are borrowed */
	ev_timer		 c_timer;
	ev_tstamp		 c_deadline;
	pool_done_cb		*c_cb;
	void			*c_arg;
	int			 c_queued;
};

/* What the pool remembers of each instance for GET /plugins/v1/NAME. */
struct pool_inst {
	ev_tstamp		 pi_since;	/* spawned at */
	unsigned long		 pi_restarts;
	char			 pi_last_error[256];
};

struct pool {
	struct ev_loop		*p_loop;
	struct plugin_conf	*p_conf;
	struct limits_conf	 p_limits;
	struct worker		**p_workers;
	struct pool_inst	 *p_inst;	/* one per p_workers */
	int			 p_nworkers;
	struct worker		**p_gone;	/* stopped by a smaller count */
	int			 p_ngone;
	ev_timer		 p_gone_timer;	/* frees them once reaped */
	struct pool		*p_prev;	/* serves until this is ready */
	TAILQ_HEAD(, pool_call)	 p_queue;
	int			 p_nqueued;
	int			 p_in_flight;
	json_t			*p_task_types;
	struct rate_bucket	 p_rate[POOL_NOPS];	/* rate: in config */
	unsigned		 p_ops;		/* MSG_OP_* of the last hello */
	int			 p_is_sync;
	int			 p_launched;	/* pool_start() called */
	int			 p_started;	/* first start settled */
	int			 p_stopping;
	unsigned long		 p_restarts;
	char			 p_last_exit[128];
	char			 p_last_error[512];
};

static const char *const pool_phases[] = {
	"QUEUED", "INITIALIZING", "WAITING_FOR_RESOURCES", "RUNNING",
	"SUCCEEDED", "FAILED", "RETRYABLE_FAILED", "ABORTED", NULL
};

static json_t *
pool_conf_task_types(const struct plugin_conf *pc)
{
	json_t	*tt, *vs;
	size_t	 i, j;

	if (pc->pc_ntask_types == 0)
		return NULL;
	tt = json_array();
	for (i = 0; i < pc->pc_ntask_types; i++) {
		vs = json_array();
		for (j = 0; j < pc->pc_task_types[i].tt_nversions; j++)
			json_array_append_new(vs,
			    json_string(pc->pc_task_types[i].tt_versions[j]));
		json_array_append_new(tt, json_pack("{s:s, s:o}", "type",
		    pc->pc_task_types[i].tt_type, "versions", vs));
	}
	return tt;
}

static int	pool_ready_count(const struct pool *);
static void	pool_gone_cb(struct ev_loop *, ev_timer *, int);
static void	pool_worker_hello(void *, struct worker *,
		    const struct msg_hello *);
static void	pool_worker_answer(void *, void *, json_t *,
		    const struct jscan_raw *);
static void	pool_worker_lost(void *, struct worker *, void **, size_t);
static void	pool_worker_idle(void *, struct worker *);
static void	pool_worker_changed(void *, struct worker *);
static void	pool_worker_log_suppressed(void *, struct worker *,
		    unsigned long long);
static void	pool_worker_exited(void *, struct worker *, int,
		    const char *);
static void	pool_worker_violation(void *, struct worker *);

static const struct worker_events pool_worker_events = {
	.we_hello = pool_worker_hello,
	.we_answer = pool_worker_answer,
	.we_lost = pool_worker_lost,
	.we_idle = pool_worker_idle,
	.we_changed = pool_worker_changed,
	.we_exited = pool_worker_exited,
	.we_log_suppressed = pool_worker_log_suppressed,
	.we_violation = pool_worker_violation
};

/* Frees the instances a smaller count stopped, once they are reaped. */
static void
pool_gone_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct pool	*p = t->data;
	int		 i, n = 0;

	(void)revents;
	for (i = 0; i < p->p_ngone; i++) {
		if (worker_state(p->p_gone[i]) == WORKER_DEAD &&
		    worker_pid(p->p_gone[i]) <= 0)
			worker_free(p->p_gone[i]);
		else
			p->p_gone[n++] = p->p_gone[i];
	}
	p->p_ngone = n;
	if (n == 0)
		ev_timer_stop(loop, t);
}

/* What an instance needs to know of the plugin, as values. */
static void
pool_worker_limits(const struct pool *p, struct worker_limits *wl)
{
	const struct plugin_conf	*pc = p->p_conf;

	memset(wl, 0, sizeof(*wl));
	wl->wl_max_line_bytes = p->p_limits.max_line_bytes;
	wl->wl_concurrency = pc->pc_concurrency;
	wl->wl_t_start = pc->pc_t_start;
	wl->wl_t_stop = pc->pc_t_stop;
	wl->wl_restart_initial = pc->pc_restart_initial;
	wl->wl_restart_max = pc->pc_restart_max;
	snprintf(wl->wl_name, sizeof(wl->wl_name), "%s", pc->pc_name);
}

/* Hands the current limits and configuration to every instance. */
static void
pool_update_workers(struct pool *p)
{
	struct worker_limits	 wl;
	int			 i;

	pool_worker_limits(p, &wl);
	for (i = 0; i < p->p_nworkers; i++) {
		worker_set_limits(p->p_workers[i], &wl);
		worker_set_conf(p->p_workers[i], p->p_conf);
	}
}

/* Takes a borrowed reference to the configuration, which must outlive it. */
struct pool *
pool_new(struct ev_loop *loop, struct plugin_conf *pc,
    const struct limits_conf *limits)
{
	struct pool		*p;
	struct worker_limits	 wl;
	int			 i;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->p_loop = loop;
	p->p_conf = pc;
	p->p_limits = *limits;
	TAILQ_INIT(&p->p_queue);
	for (i = 0; i < POOL_NOPS; i++)
		rate_init(&p->p_rate[i], pc->pc_rate[i], pc->pc_rate_burst,
		    ev_now(loop));
	p->p_task_types = pool_conf_task_types(pc);
	p->p_nworkers = pc->pc_instances;
	ev_timer_init(&p->p_gone_timer, pool_gone_cb, 0.1, 0.1);
	p->p_gone_timer.data = p;
	if ((p->p_workers = calloc((size_t)p->p_nworkers,
	    sizeof(*p->p_workers))) == NULL ||
	    (p->p_inst = calloc((size_t)p->p_nworkers,
	    sizeof(*p->p_inst))) == NULL)
		goto fail;
	pool_worker_limits(p, &wl);
	for (i = 0; i < p->p_nworkers; i++)
		if ((p->p_workers[i] = worker_new(loop, i, &pool_worker_events,
		    p, &wl, pc)) == NULL)
			goto fail;
	return p;
fail:
	pool_free(p);
	return NULL;
}

void
pool_start(struct pool *p)
{
	int	 i;

	p->p_launched = 1;
	for (i = 0; i < p->p_nworkers; i++)
		worker_start(p->p_workers[i]);
}

/* True until pool_start() has been called. */
int
pool_fresh(const struct pool *p)
{
	return !p->p_launched;
}

static void
pool_call_free(struct pool_call *c)
{
	if (c == NULL)
		return;
	ev_timer_stop(c->c_pool->p_loop, &c->c_timer);
	if (c->c_queued) {
		TAILQ_REMOVE(&c->c_pool->p_queue, c, c_link);
		c->c_pool->p_nqueued--;
	}
	free(c);
}

/* Answers the call and frees it. */
static void
pool_call_finish(struct pool_call *c, const struct pool_result *res)
{
	pool_done_cb	*cb = c->c_cb;
	void		*arg = c->c_arg;

	if (c->c_worker != NULL)
		c->c_pool->p_in_flight--;
	c->c_cb = NULL;
	pool_call_free(c);
	if (cb != NULL)
		cb(arg, res);
}

static void
pool_call_error(struct pool_call *c, int status, const char *code,
    const char *message, double retry_after)
{
	struct pool_result	 res = { 0 };

	res.res_status = status;
	res.res_code = code;
	res.res_message = message;
	res.res_retry_after = retry_after;
	pool_call_finish(c, &res);
}

void
pool_stop(struct pool *p)
{
	int	 i;

	p->p_stopping = 1;
	if (p->p_prev != NULL) {
		pool_stop(p->p_prev);
		p->p_prev = NULL;
	}
	pool_fail_queued(p, 503, "UNAVAILABLE", "the plugin is stopping");
	for (i = 0; i < p->p_nworkers; i++)
		worker_stop(p->p_workers[i]);
}

/* True once every instance has exited and been reaped. */
int
pool_stopped(const struct pool *p)
{
	int	 i;

	if (!p->p_stopping)
		return 0;
	for (i = 0; i < p->p_nworkers; i++)
		if (worker_state(p->p_workers[i]) != WORKER_DEAD ||
		    worker_pid(p->p_workers[i]) > 0)
			return 0;
	for (i = 0; i < p->p_ngone; i++)
		if (worker_state(p->p_gone[i]) != WORKER_DEAD ||
		    worker_pid(p->p_gone[i]) > 0)
			return 0;
	return 1;
}

void
pool_free(struct pool *p)
{
	int	 i;

	if (p == NULL)
		return;
	pool_fail_queued(p, 503, "UNAVAILABLE", "the plugin is stopping");
	for (i = 0; i < p->p_nworkers && p->p_workers != NULL; i++)
		worker_free(p->p_workers[i]);
	for (i = 0; i < p->p_ngone; i++)
		worker_free(p->p_gone[i]);
	ev_timer_stop(p->p_loop, &p->p_gone_timer);
	free(p->p_gone);
	free(p->p_workers);
	free(p->p_inst);
	json_decref(p->p_task_types);
	free(p);
}

int
pool_started(const struct pool *p)
{
	return p->p_started;
}

const char *
pool_name(const struct pool *p)
{
	return p->p_conf->pc_name;
}

const struct plugin_conf *
pool_conf(const struct pool *p)
{
	return p->p_conf;
}

void
pool_set_limits(struct pool *p, const struct limits_conf *limits)
{
	p->p_limits = *limits;
	pool_update_workers(p);
}

/*
 * A pool replacing another after a reload serves what the old one served
 * until its own hello says otherwise, so its routes never go missing, and
 * until one of its own instances has said hello the old pool (borrowed; it
 * must live until pool_stop() of either) takes its calls.  Then the old
 * pool hands over its queue and drains: a hitless reload.  1 when the
 * old pool serves on (the caller must not stop it), else 0.
 */
int
pool_inherit(struct pool *p, struct pool *old)
{
	if (p->p_task_types == NULL && old->p_task_types != NULL)
		p->p_task_types = json_deep_copy(old->p_task_types);
	if (!p->p_started)
		p->p_ops = old->p_ops;
	p->p_restarts = old->p_restarts;
	if (old->p_stopping || pool_ready_count(old) == 0)
		return 0;
	p->p_prev = old;
	return 1;
}

/* Stops instances past the count, starts new ones up to it: 0 or -1. */
static int
pool_resize(struct pool *p, int n)
{
	struct worker		**ws, **gone;
	struct pool_inst	 *inst;
	struct worker_limits	  wl;
	int			  i, old = p->p_nworkers;

	if (n < old) {
		if ((gone = reallocarray(p->p_gone, (size_t)(p->p_ngone +
		    old - n), sizeof(*gone))) == NULL)
			return -1;
		p->p_gone = gone;
		for (i = n; i < old; i++) {
			worker_stop(p->p_workers[i]);
			p->p_gone[p->p_ngone++] = p->p_workers[i];
			p->p_workers[i] = NULL;
		}
		p->p_nworkers = n;
		ev_timer_start(p->p_loop, &p->p_gone_timer);
		return 0;
	}
	if ((ws = reallocarray(p->p_workers, (size_t)n, sizeof(*ws))) == NULL)
		return -1;
	p->p_workers = ws;
	if ((inst = reallocarray(p->p_inst, (size_t)n, sizeof(*inst))) ==
	    NULL)
		return -1;
	p->p_inst = inst;
	pool_worker_limits(p, &wl);
	for (i = old; i < n; i++) {
		memset(&p->p_inst[i], 0, sizeof(p->p_inst[i]));
		if ((ws[i] = worker_new(p->p_loop, i, &pool_worker_events, p,
		    &wl, p->p_conf)) == NULL)
			return -1;
		p->p_nworkers = i + 1;
		if (p->p_launched)
			worker_start(ws[i]);
	}
	return 0;
}

/*
 * After a reload: a configuration from the new file (borrowed) equal but
 * for the number of instances: new ones start beside the others, or the
 * last ones stop; the others are not touched.
 */
void
pool_set_conf(struct pool *p, struct plugin_conf *pc)
{
	int	 old = p->p_nworkers, i;

	p->p_conf = pc;
	/* Rates are not part of the equality: they change in place. */
	for (i = 0; i < POOL_NOPS; i++)
		rate_set(&p->p_rate[i], pc->pc_rate[i], pc->pc_rate_burst,
		    ev_now(p->p_loop));
	pool_update_workers(p);
	if (pc->pc_instances != old) {
		if (pool_resize(p, pc->pc_instances) == -1)
			log_emit(LOG_LEVEL_WARN, pc->pc_name, 0, NULL,
			    "out of memory changing the instance count");
		log_emit(LOG_LEVEL_INFO, pc->pc_name, 0, NULL, "instances: "
		    "%d -> %d, the others untouched", old, p->p_nworkers);
	}
}

/* Does the plugin serve this task type (and version, unless NULL)? */
int
pool_serves(const struct pool *p, const char *type, const char *version)
{
	size_t	 i, j;
	json_t	*e, *vs, *v;

	/* Task types not known yet (no hello): its name routes to it. */
	if (p->p_task_types == NULL)
		return strcmp(type, p->p_conf->pc_name) == 0 &&
		    (version == NULL || strcmp(version, "v1") == 0);
	json_array_foreach(p->p_task_types, i, e) {
		if (strcmp(json_string_value(json_object_get(e, "type")),
		    type) != 0)
			continue;
		if (version == NULL)
			return 1;
		vs = json_object_get(e, "versions");
		if (vs == NULL)
			return strcmp(version, "v1") == 0;
		json_array_foreach(vs, j, v)
			if (strcmp(json_string_value(v), version) == 0)
				return 1;
	}
	return 0;
}

/*
 * Does the plugin serve op?  create, get and delete always; logs and
 * metrics when its instances declared them in their hello.
 */
int
pool_has_op(const struct pool *p, enum pool_op op)
{
	switch (op) {
	case POOL_OP_LOGS:
		return (p->p_ops & MSG_OP_LOGS) != 0;
	case POOL_OP_METRICS:
		return (p->p_ops & MSG_OP_METRICS) != 0;
	default:
		return 1;
	}
}

static int
pool_ready_count(const struct pool *p)
{
	int	 i, n = 0;

	for (i = 0; i < p->p_nworkers; i++)
		if (worker_state(p->p_workers[i]) == WORKER_READY)
			n++;
	return n;
}

/* Seconds until an instance may be back, for Retry-After (at least 1). */
static double
pool_retry_after(const struct pool *p)
{
	double	 best = 0, left;
	int	 i;

	for (i = 0; i < p->p_nworkers; i++) {
		left = worker_backoff_left(p->p_workers[i]);
		if (left > 0 && (best == 0 || left < best))
			best = left;
	}
	best = ceil(best);
	return best < 1 ? 1 : best;
}

void
pool_stats(struct pool *p, struct pool_stats *st)
{
	int	 i, starting = 0;

	memset(st, 0, sizeof(*st));
	st->ps_name = p->p_conf->pc_name;
	st->ps_task_types = p->p_task_types;
	st->ps_is_sync = p->p_is_sync;
	st->ps_instances = p->p_nworkers;
	st->ps_ready = pool_ready_count(p);
	st->ps_in_flight = p->p_in_flight;
	st->ps_queued = p->p_nqueued;
	st->ps_restarts = p->p_restarts;
	st->ps_last_exit = p->p_last_exit[0] ? p->p_last_exit : NULL;
	st->ps_last_error = p->p_last_error[0] ? p->p_last_error : NULL;
	for (i = 0; i < p->p_nworkers; i++) {
		if (worker_state(p->p_workers[i]) == WORKER_STARTING)
			starting++;
	}
	/* During a reload the old instances serve: the plugin is ready. */
	if (st->ps_ready == 0 && p->p_prev != NULL)
		st->ps_ready = pool_ready_count(p->p_prev);
	if (p->p_stopping)
		st->ps_state = "stopping";
	else if (st->ps_ready > 0)
		st->ps_state = "ready";
	else if (starting > 0)
		st->ps_state = "starting";
	else
		st->ps_state = "backoff";
}

static struct worker *
pool_pick(struct pool *p)
{
	struct worker	*best = NULL;
	int		 i, free_slots, best_free = 0;

	/* The ready instance with the most free slots: fewest in flight. */
	for (i = 0; i < p->p_nworkers; i++) {
		free_slots = worker_free_slots(p->p_workers[i]);
		if (free_slots > best_free) {
			best = p->p_workers[i];
			best_free = free_slots;
		}
	}
	return best;
}

/* Sends the call to the instance; on failure it is answered and gone. */
static int
pool_dispatch(struct pool *p, struct pool_call *c, struct worker *w)
{
	uint64_t	 id;
	double		 left;

	left = c->c_deadline - ev_now(p->p_loop);
	if (left < 0)
		left = 0;
	c->c_req.mr_deadline_ms = (long long)(left * 1000);
	if (worker_send(w, c, &c->c_req, &id) == -1) {
		pool_call_error(c, 500, "INTERNAL", "cannot encode the request",
		    0);
		return -1;
	}
	c->c_worker = w;
	p->p_in_flight++;
	/* The line is written; the request is no longer needed. */
	memset(&c->c_req, 0, sizeof(c->c_req));
	return 0;
}

static void
pool_call_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct pool_call	*c = t->data;
	char			 msg[160];

	(void)loop;
	(void)revents;
	snprintf(msg, sizeof(msg), "plugin %s did not answer %s within %.3g s%s",
	    c->c_pool->p_conf->pc_name, pool_op_names[c->c_op],
	    t->repeat > 0 ? t->repeat : c->c_deadline,
	    c->c_queued ? " (the request was still queued)" : "");
	if (c->c_worker != NULL)
		worker_forget(c->c_worker, c);
	metrics_timeout(c->c_pool->p_conf->pc_name, c->c_op);
	pool_call_error(c, 504, "DEADLINE_EXCEEDED", msg, 0);
}

static double
pool_op_timeout(const struct plugin_conf *pc, enum pool_op op)
{
	switch (op) {
	case POOL_OP_CREATE:
		return pc->pc_t_create;
	case POOL_OP_GET:
	case POOL_OP_LOGS:
	case POOL_OP_METRICS:
		return pc->pc_t_get;
	default:
		return pc->pc_t_delete;
	}
}

/*
 * Submits a request and calls cb once with the outcome.  What req points
 * to is borrowed: it must stay valid until the call is answered or
 * cancelled (the pool sets its id and deadline).  within, when > 0,
 * is the caller's own deadline in seconds: it shortens the op's timeout.
 * Immediate refusals (503, 429) call cb before this returns NULL.
 */
struct pool_call *
pool_call(struct pool *p, enum pool_op op, const struct msg_request *req,
    double within, pool_done_cb *cb, void *arg)
{
	struct pool_call	*c;
	struct worker		*w;
	double			 timeout, retry;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		struct pool_result res = { 0 };

		res.res_status = 500;
		res.res_code = "INTERNAL";
		res.res_message = "out of memory";
		cb(arg, &res);
		return NULL;
	}
	c->c_pool = p;
	c->c_op = op;
	c->c_req = *req;
	c->c_cb = cb;
	c->c_arg = arg;
	timeout = pool_op_timeout(p->p_conf, op);
	if (within > 0 && within < timeout)
		timeout = within;
	c->c_deadline = ev_now(p->p_loop) + timeout;
	ev_timer_init(&c->c_timer, pool_call_timeout, timeout, 0.);
	c->c_timer.repeat = timeout;
	c->c_timer.data = c;
	if (!p->p_stopping && pool_ready_count(p) == 0 && p->p_prev != NULL &&
	    pool_ready_count(p->p_prev) > 0) {
		free(c);
		return pool_call(p->p_prev, op, req, within, cb, arg);
	}
	if (p->p_stopping || pool_ready_count(p) == 0) {
		pool_call_error(c, 503, "UNAVAILABLE", p->p_stopping ?
		    "the plugin is stopping" : "the plugin has no ready "
		    "instance (starting or restarting); retry later",
		    pool_retry_after(p));
		return NULL;
	}
	/* The plugin's rate limit for this op, before the queue. */
	if (rate_take(&p->p_rate[op], ev_now(p->p_loop), &retry) == -1) {
		metrics_rate_limited(p->p_conf->pc_name, op);
		pool_call_error(c, 429, "OVERLOADED", "the plugin's rate limit "
		    "for this operation is exceeded; retry later", retry);
		return NULL;
	}
	if ((w = pool_pick(p)) == NULL) {
		if (p->p_nqueued >= p->p_conf->pc_queue) {
			pool_call_error(c, 429, "OVERLOADED", "the plugin's "
			    "queue is full; retry later", 1);
			return NULL;
		}
		TAILQ_INSERT_TAIL(&p->p_queue, c, c_link);
		c->c_queued = 1;
		p->p_nqueued++;
		ev_timer_start(p->p_loop, &c->c_timer);
		return c;
	}
	ev_timer_start(p->p_loop, &c->c_timer);
	if (pool_dispatch(p, c, w) == -1)
		return NULL;
	return c;
}

/* The caller no longer wants the answer (its client left). */
void
pool_call_cancel(struct pool_call *c)
{
	struct worker	*w;

	if (c == NULL)
		return;
	c->c_cb = NULL;
	if ((w = c->c_worker) != NULL) {
		c->c_pool->p_in_flight--;
		c->c_worker = NULL;
		worker_forget(w, c);
	}
	pool_call_free(c);
}

void
pool_fail_queued(struct pool *p, int status, const char *code,
    const char *message)
{
	struct pool_call	*c;

	while ((c = TAILQ_FIRST(&p->p_queue)) != NULL)
		pool_call_error(c, status, code, message,
		    status == 503 ? pool_retry_after(p) : 0);
}

static void
pool_worker_hello(void *arg, struct worker *w, const struct msg_hello *h)
{
	struct pool		*p = arg;
	struct pool		*prev = p->p_prev;
	struct pool_call	*c;

	(void)w;
	/* The first of a reload's new instances: the old pool hands over. */
	if (prev != NULL) {
		p->p_prev = NULL;
		while ((c = TAILQ_FIRST(&prev->p_queue)) != NULL) {
			TAILQ_REMOVE(&prev->p_queue, c, c_link);
			prev->p_nqueued--;
			c->c_pool = p;
			TAILQ_INSERT_TAIL(&p->p_queue, c, c_link);
			p->p_nqueued++;
		}
		log_emit(LOG_LEVEL_INFO, p->p_conf->pc_name, worker_pid(w),
		    NULL, "a new instance is ready: the old ones drain");
		pool_stop(prev);
	}
	/* The configuration wins over the hello when both name them. */
	if (p->p_conf->pc_ntask_types == 0 && h->hello_task_types != NULL) {
		json_decref(p->p_task_types);
		p->p_task_types = json_deep_copy(h->hello_task_types);
	}
	p->p_ops = h->hello_ops;
	p->p_started = 1;
}

static int
pool_phase_known(const char *phase)
{
	size_t	 i;

	for (i = 0; pool_phases[i] != NULL; i++)
		if (strcmp(pool_phases[i], phase) == 0)
			return 1;
	return 0;
}

static int
pool_resource_valid(json_t *r)
{
	json_t	*phase;

	if (!json_is_object(r))
		return 0;
	phase = json_object_get(r, "phase");
	return json_is_string(phase) && pool_phase_known(
	    json_string_value(phase));
}

/* A worker answered the call's id: check the answer and hand it on. */
static void
pool_worker_answer(void *arg, void *call, json_t *obj,
    const struct jscan_raw *meta)
{
	struct pool		*p = arg;
	struct pool_call	*c = call;
	struct pool_result	 res = { 0 };
	json_t			*err, *code, *msg, *rsc;
	char			 why[160];

	c->c_worker = NULL;
	p->p_in_flight--;
	if ((err = json_object_get(obj, "error")) != NULL) {
		code = json_object_get(err, "code");
		msg = json_object_get(err, "message");
		if (!json_is_object(err) || !json_is_string(code)) {
			snprintf(why, sizeof(why), "plugin %s answered %s with "
			    "a malformed error", p->p_conf->pc_name,
			    pool_op_names[c->c_op]);
			goto invalid;
		}
		res.res_status = msg_error_status(json_string_value(code));
		res.res_code = json_string_value(code);
		res.res_message = json_is_string(msg) ?
		    json_string_value(msg) : "";
		res.res_response = obj;
		if (res.res_status == 503)
			res.res_retry_after = 1;
		pool_call_finish(c, &res);
		return;
	}
	switch (c->c_op) {
	case POOL_OP_CREATE:
		rsc = json_object_get(obj, "resource");
		if (json_object_get(obj, "resource_meta") == NULL) {
			snprintf(why, sizeof(why), "plugin %s answered create "
			    "without resource_meta", p->p_conf->pc_name);
			goto invalid;
		}
		if (rsc != NULL && !pool_resource_valid(rsc)) {
			snprintf(why, sizeof(why), "plugin %s answered create "
			    "with an invalid inline resource",
			    p->p_conf->pc_name);
			goto invalid;
		}
		if (rsc != NULL)
			p->p_is_sync = 1;
		break;
	case POOL_OP_GET:
		if (!pool_resource_valid(json_object_get(obj, "resource"))) {
			snprintf(why, sizeof(why), "plugin %s answered get "
			    "without a resource with a known phase",
			    p->p_conf->pc_name);
			goto invalid;
		}
		break;
	case POOL_OP_LOGS:
		if (!json_is_array(json_object_get(obj, "lines"))) {
			snprintf(why, sizeof(why), "plugin %s answered logs "
			    "without a lines array", p->p_conf->pc_name);
			goto invalid;
		}
		break;
	case POOL_OP_METRICS:
		if (!json_is_array(json_object_get(obj, "results"))) {
			snprintf(why, sizeof(why), "plugin %s answered metrics "
			    "without a results array", p->p_conf->pc_name);
			goto invalid;
		}
		break;
	default:
		break;
	}
	res.res_status = 200;
	res.res_response = obj;
	if (meta != NULL && meta->jr_text != NULL) {
		res.res_meta = meta->jr_text;
		res.res_metalen = meta->jr_len;
	}
	pool_call_finish(c, &res);
	return;
invalid:
	log_emit(LOG_LEVEL_WARN, p->p_conf->pc_name, 0, NULL, "%s", why);
	pool_call_error(c, 502, "WORKER_FAILED", why, 0);
}

/* The instance died holding these calls: each is answered 502 now. */
static void
pool_worker_lost(void *arg, struct worker *w, void **calls, size_t n)
{
	struct pool	*p = arg;
	size_t		 i;
	char		 msg[160];

	(void)w;
	snprintf(msg, sizeof(msg), "the %s worker failed while holding the "
	    "request", p->p_conf->pc_name);
	for (i = 0; i < n; i++)
		pool_call_error(calls[i], 502, "WORKER_FAILED", msg, 0);
}

/* A slot came free on the instance: feed it from the queue. */
static void
pool_worker_idle(void *arg, struct worker *w)
{
	struct pool		*p = arg;
	struct pool_call	*c;

	while (worker_free_slots(w) > 0 &&
	    (c = TAILQ_FIRST(&p->p_queue)) != NULL) {
		TAILQ_REMOVE(&p->p_queue, c, c_link);
		c->c_queued = 0;
		p->p_nqueued--;
		pool_dispatch(p, c, w);
	}
}

/* The instance's index, or -1 for one a smaller count stopped. */
static int
pool_index(const struct pool *p, const struct worker *w)
{
	int	 i;

	for (i = 0; i < p->p_nworkers; i++)
		if (p->p_workers[i] == w)
			return i;
	return -1;
}

static const char *const pool_worker_states[] = {
	"starting", "ready", "draining", "dead", "backoff"
};

/* Instance i of the plugin, for GET /plugins/v1/NAME: 0, or -1 past them. */
int
pool_instance(struct pool *p, int i, struct pool_instance *pi)
{
	struct worker	*w;

	if (i < 0 || i >= p->p_nworkers)
		return -1;
	w = p->p_workers[i];
	memset(pi, 0, sizeof(*pi));
	pi->pi_index = i;
	pi->pi_pid = worker_pid(w);
	pi->pi_state = pool_worker_states[worker_state(w)];
	if (pi->pi_pid > 0)
		pi->pi_uptime = ev_now(p->p_loop) - p->p_inst[i].pi_since;
	pi->pi_restarts = p->p_inst[i].pi_restarts;
	pi->pi_in_flight = worker_in_flight(w);
	pi->pi_last_error = p->p_inst[i].pi_last_error[0] ?
	    p->p_inst[i].pi_last_error : NULL;
	return 0;
}

static void
pool_worker_changed(void *arg, struct worker *w)
{
	struct pool	*p = arg;
	int		 i;

	if (worker_state(w) == WORKER_STARTING && (i = pool_index(p, w)) != -1)
		p->p_inst[i].pi_since = ev_now(p->p_loop);
	/* Nobody is left to serve the queue: do not let it wait. */
	if (p->p_nqueued > 0 && pool_ready_count(p) == 0)
		pool_fail_queued(p, 503, "UNAVAILABLE", "the plugin has no "
		    "ready instance; retry later");
}

static void
pool_worker_log_suppressed(void *arg, struct worker *w,
    unsigned long long lines)
{
	struct pool	*p = arg;

	(void)w;
	metrics_log_suppressed(p->p_conf->pc_name, lines);
}

static void
pool_worker_violation(void *arg, struct worker *w)
{
	struct pool	*p = arg;

	(void)w;
	metrics_violation(p->p_conf->pc_name);
}

static void
pool_worker_exited(void *arg, struct worker *w, int status, const char *why)
{
	struct pool	*p = arg;
	int		 i;

	(void)status;
	i = pool_index(p, w);
	if (!p->p_stopping && i != -1) {
		p->p_restarts++;
		snprintf(p->p_last_error, sizeof(p->p_last_error), "%s", why);
		p->p_inst[i].pi_restarts++;
		snprintf(p->p_inst[i].pi_last_error,
		    sizeof(p->p_inst[i].pi_last_error), "%s", why);
		metrics_restart(p->p_conf->pc_name, status == -1 ? "spawn" :
		    WIFSIGNALED(status) ? "signal" : strstr(why, "handshake") ?
		    "handshake" : "exit");
	}
	if (status == -1)
		snprintf(p->p_last_exit, sizeof(p->p_last_exit),
		    "not started");
	else if (WIFEXITED(status))
		snprintf(p->p_last_exit, sizeof(p->p_last_exit),
		    "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(p->p_last_exit, sizeof(p->p_last_exit),
		    "signal %d", WTERMSIG(status));
	p->p_started = 1;
}
