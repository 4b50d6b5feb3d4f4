/*
 * The sleep plugin: a job that runs for task_template.custom.seconds.  It
 * is stateless: create puts the wall-clock time the job ends into the
 * resource_meta, and get compares it with the clock, so any instance (of
 * any replica) can answer.
 */
#include <math.h>
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
	};

	return nw_run(&p) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
