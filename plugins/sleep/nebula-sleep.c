/*
 * The sleep plugin: a job that runs for task_template.custom.seconds.  It
 * is stateless: create puts the wall-clock time the job ends into the
 * resource_meta, and get compares it with the clock, so any instance (of
 * any replica) can answer.  It declares the optional logs operation: a
 * line for the time asked and one for where the job stands.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nebula-worker.h"

static double
sleep_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_create(struct nw_call *c, json_t *req, void *arg)
{
	json_t	*v;
	double	 secs;

	(void)req;
	(void)arg;
	v = json_object_get(nw_call_custom(c), "seconds");
	if (!json_is_number(v) || !isfinite(secs = json_number_value(v)) ||
	    secs < 0) {
		nw_reply_error(c, "INVALID_ARGUMENT", "task_template.custom."
		    "seconds must be a number >= 0");
		return;
	}
	/* seconds as given, so that outputs echo it exactly. */
	nw_reply_meta(c, json_pack("{s:f, s:O}", "until", sleep_now() + secs,
	    "seconds", v), NULL);
}

static void
sleep_get(struct nw_call *c, json_t *req, void *arg)
{
	json_t	*until, *secs;
	double	 left;

	(void)req;
	(void)arg;
	until = json_object_get(nw_call_meta(c), "until");
	secs = json_object_get(nw_call_meta(c), "seconds");
	if (!json_is_number(until)) {
		nw_reply_error(c, "INVALID_ARGUMENT", "resource_meta.until "
		    "must be a number");
		return;
	}
	left = json_number_value(until) - sleep_now();
	if (left > 0) {
		nw_reply_phase(c, "RUNNING", NULL, "sleeping, %.1f s left",
		    left);
		return;
	}
	nw_reply_phase(c, "SUCCEEDED", json_pack("{s:O}", "slept",
	    json_is_number(secs) ? secs : json_null()), "done");
}

/* logs: what the job was asked, and how far it is; lines as in get. */
static void
sleep_logs(struct nw_call *c, json_t *req, void *arg)
{
	json_t	*until, *secs;
	double	 left;
	char	 asked[64], now[64];

	(void)req;
	(void)arg;
	until = json_object_get(nw_call_meta(c), "until");
	secs = json_object_get(nw_call_meta(c), "seconds");
	if (!json_is_number(until)) {
		nw_reply_error(c, "INVALID_ARGUMENT", "resource_meta.until "
		    "must be a number");
		return;
	}
	left = json_number_value(until) - sleep_now();
	snprintf(asked, sizeof(asked), "sleep: %g s asked\n",
	    json_is_number(secs) ? json_number_value(secs) : 0.);
	if (left > 0)
		snprintf(now, sizeof(now), "sleep: %.1f s left\n", left);
	else
		snprintf(now, sizeof(now), "sleep: done\n");
	nw_reply_lines(c, json_pack("[s, s]", asked, now), NULL);
}

int
main(void)
{
	static const char *const types[] = { "sleep/v1", NULL };
	struct nw_plugin	 p = {
		.nwp_name = "sleep",
		.nwp_task_types = types,
		.nwp_concurrency = 64,
		.nwp_create = sleep_create,
		.nwp_get = sleep_get,
		.nwp_delete = NULL,	/* stateless: nothing to cancel */
		.nwp_logs = sleep_logs,
	};

	return nw_run(&p) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
