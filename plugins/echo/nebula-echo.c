/*
 * The echo plugin: a synchronous worker whose jobs succeed at once with
 * their inputs as outputs.  create keeps the request's inputs in the
 * resource_meta, get gives them back; it holds no state of its own.
 */
#include <stdlib.h>

#include "nebula-worker.h"

static void
echo_create(struct nw_call *c, json_t *req, void *arg)
{
	json_t	*inputs;

	(void)arg;
	inputs = json_object_get(req, "inputs");
	nw_reply_meta(c, json_pack("{s:O}", "inputs",
	    inputs ? inputs : json_null()), NULL);
}

static void
echo_get(struct nw_call *c, json_t *req, void *arg)
{
	json_t	*inputs;

	(void)req;
	(void)arg;
	inputs = json_object_get(nw_call_meta(c), "inputs");
	if (inputs == NULL || json_is_null(inputs))
		nw_reply_phase(c, "SUCCEEDED", json_object(), NULL);
	else
		nw_reply_phase(c, "SUCCEEDED", json_incref(inputs), NULL);
}

int
main(void)
{
	static const char *const types[] = { "echo/v1", NULL };
	struct nw_plugin	 p = {
		.nwp_name = "echo",
		.nwp_task_types = types,
		.nwp_concurrency = 64,
		.nwp_create = echo_create,
		.nwp_get = echo_get,
		.nwp_delete = NULL,	/* nothing to clean up: ok */
	};

	return nw_run(&p) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
