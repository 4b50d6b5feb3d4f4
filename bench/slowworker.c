/*
 * A benchmark worker that answers every create and get a fixed delay
 * (20 ms by default) after it arrived, without blocking: calls wait in a
 * FIFO and the SDK's tick answers those that are due.  It shows whether
 * throughput grows with the plugin's concurrency, as the protocol promises.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "nebula-worker.h"

#define SLOW_MAX	1024	/* the protocol's largest concurrency */

struct slow_entry {
	struct nw_call	*se_call;
	int64_t		 se_due;	/* nw_now() ms */
};

static struct slow_entry	slow_ring[SLOW_MAX];
static size_t			slow_head, slow_len;
static int64_t			slow_delay = 20;

static void	slow_answer(struct nw_call *);
static void	slow_hold(struct nw_call *, json_t *, void *);
static int	slow_tick(void *);

/* Answers one call: a create gets a small meta, a get a finished job. */
static void
slow_answer(struct nw_call *c)
{
	if (strcmp(nw_call_op(c), "create") == 0)
		nw_reply_meta(c, json_pack("{s:I}", "n",
		    (json_int_t)nw_call_id(c)), NULL);
	else
		nw_reply_phase(c, "SUCCEEDED", json_object(), NULL);
}

/* Queues a call to be answered slow_delay ms from now. */
static void
slow_hold(struct nw_call *c, json_t *req, void *arg)
{
	struct slow_entry	*e;

	(void)req;
	(void)arg;
	if (slow_len == SLOW_MAX) {
		nw_reply_error(c, "UNAVAILABLE", "more than %d calls held",
		    SLOW_MAX);
		return;
	}
	e = &slow_ring[(slow_head + slow_len) % SLOW_MAX];
	e->se_call = c;
	e->se_due = nw_now() + slow_delay;
	slow_len++;
}

/* Answers the calls that are due; asks to be called when the next is. */
static int
slow_tick(void *arg)
{
	struct slow_entry	*e;
	int64_t			 now;

	(void)arg;
	now = nw_now();
	while (slow_len > 0) {
		e = &slow_ring[slow_head];
		if (e->se_due > now)
			return (int)(e->se_due - now);
		slow_answer(e->se_call);
		slow_head = (slow_head + 1) % SLOW_MAX;
		slow_len--;
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	static const char *const	 types[] = { "slow/v1", NULL };
	struct nw_plugin		 p;
	int				 conc = 64;

	if (argc > 1)
		conc = atoi(argv[1]);
	if (argc > 2)
		slow_delay = atoi(argv[2]);
	if (conc < 1 || conc > SLOW_MAX || slow_delay < 0) {
		fprintf(stderr, "usage: slowworker [concurrency [delay_ms]]\n");
		return 2;
	}
	memset(&p, 0, sizeof(p));
	p.nwp_name = "slow";
	p.nwp_task_types = types;
	p.nwp_concurrency = conc;
	p.nwp_create = slow_hold;
	p.nwp_get = slow_hold;
	p.nwp_tick = slow_tick;
	return nw_run(&p) == 0 ? 0 : 1;
}
