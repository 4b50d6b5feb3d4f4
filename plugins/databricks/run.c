/*
 * Translation between the protocol and Databricks' Jobs API 2.1 runs: the
 * runs/submit body (task_template.custom is the run specification as the
 * service defines it, plus an idempotency token), and a run from runs/get
 * as the protocol's resource, mapping life_cycle_state and result_state
 * to phases with the run page as log link and the run's facts in
 * custom_info; a run answers no outputs (its program writes them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-svc.h"
#include "databricks.h"

/*
 * The runs/submit body from the create request; NULL with a message
 * naming the field that is wrong.  token may be NULL (a fresh run).
 */
json_t *
run_submit_body(json_t *req, const char *token, char *err, size_t errlen)
{
	json_t		*custom, *body, *v;
	size_t		 i;

	custom = json_object_get(json_object_get(req, "task_template"),
	    "custom");
	if (!json_is_object(custom) || json_object_size(custom) == 0) {
		snprintf(err, errlen, "task_template.custom must be the run "
		    "specification of runs/submit (an object with tasks)");
		return NULL;
	}
	v = json_object_get(custom, "tasks");
	if (v == NULL && json_object_get(custom, "notebook_task") == NULL &&
	    json_object_get(custom, "spark_jar_task") == NULL &&
	    json_object_get(custom, "spark_python_task") == NULL &&
	    json_object_get(custom, "spark_submit_task") == NULL) {
		snprintf(err, errlen, "task_template.custom.tasks is missing");
		return NULL;
	}
	if (v != NULL && (!json_is_array(v) || json_array_size(v) == 0)) {
		snprintf(err, errlen, "task_template.custom.tasks must be a "
		    "non-empty array");
		return NULL;
	}
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_object(json_array_get(v, i)) ||
		    !json_is_string(json_object_get(json_array_get(v, i),
		    "task_key"))) {
			snprintf(err, errlen, "task_template.custom.tasks[%zu]"
			    ".task_key must be a string", i);
			return NULL;
		}
	v = json_object_get(custom, "run_name");
	if (v != NULL && !json_is_string(v)) {
		snprintf(err, errlen, "task_template.custom.run_name must be "
		    "a string");
		return NULL;
	}
	v = json_object_get(custom, "timeout_seconds");
	if (v != NULL && !json_is_integer(v)) {
		snprintf(err, errlen, "task_template.custom.timeout_seconds "
		    "must be an integer");
		return NULL;
	}
	if ((body = json_deep_copy(custom)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (token != NULL && json_object_get(body, "idempotency_token") == NULL)
		json_object_set_new(body, "idempotency_token",
		    json_string(token));
	return body;
}

/*
 * Phase of a run.  INTERNAL_ERROR is a failure of the Jobs service itself
 * (not of the user's code), so another attempt may succeed: it is
 * RETRYABLE_FAILED and the orchestrator's retry budget bounds it.  SKIPPED
 * means the run never ran (a concurrent run, an unmet condition): nobody
 * cancelled it, and its outputs do not exist, so it is FAILED rather than
 * ABORTED, which Flyte keeps for aborts that were asked for.
 */
static const char *
run_phase(const char *life, const char *result, const char **kind)
{
	*kind = NULL;
	if (life == NULL)
		return "QUEUED";
	if (strcmp(life, "PENDING") == 0 || strcmp(life, "QUEUED") == 0 ||
	    strcmp(life, "WAITING_FOR_RETRY") == 0)
		return "QUEUED";
	if (strcmp(life, "BLOCKED") == 0)
		return "WAITING_FOR_RESOURCES";
	if (strcmp(life, "RUNNING") == 0 || strcmp(life, "TERMINATING") == 0)
		return "RUNNING";
	if (strcmp(life, "INTERNAL_ERROR") == 0) {
		*kind = "RECOVERABLE";
		return "RETRYABLE_FAILED";
	}
	if (strcmp(life, "SKIPPED") == 0) {
		*kind = "NON_RECOVERABLE";
		return "FAILED";
	}
	if (strcmp(life, "TERMINATED") != 0)
		return "RUNNING";	/* a state this code does not know */
	if (result == NULL)
		return "RUNNING";	/* terminated, result not written yet */
	if (strcmp(result, "SUCCESS") == 0 ||
	    strcmp(result, "SUCCESS_WITH_FAILURES") == 0)
		return "SUCCEEDED";
	if (strcmp(result, "CANCELED") == 0 ||
	    strcmp(result, "UPSTREAM_CANCELED") == 0)
		return "ABORTED";
	if (strcmp(result, "MAXIMUM_CONCURRENT_RUNS_REACHED") == 0) {
		*kind = "RECOVERABLE";
		return "RETRYABLE_FAILED";
	}
	*kind = "NON_RECOVERABLE";	/* FAILED, TIMEDOUT, UPSTREAM_FAILED */
	return "FAILED";
}

/* A run from runs/get as the protocol's resource. */
json_t *
run_resource(json_t *run)
{
	json_t		*st, *res, *id;
	const char	*life, *result, *msg, *phase, *kind, *url;
	char		 buf[1024];

	st = json_object_get(run, "state");
	life = json_string_value(json_object_get(st, "life_cycle_state"));
	result = json_string_value(json_object_get(st, "result_state"));
	msg = json_string_value(json_object_get(st, "state_message"));
	url = json_string_value(json_object_get(run, "run_page_url"));
	id = json_object_get(run, "run_id");
	phase = run_phase(life, result, &kind);
	if (msg == NULL || *msg == '\0') {
		snprintf(buf, sizeof(buf), "run %s%s%s",
		    life ? life : "PENDING", result ? " " : "",
		    result ? result : "");
		msg = buf;
	}
	res = json_pack("{s:s, s:s, s:[], s:{s:O?, s:s?, s:s?, s:s?}}",
	    "phase", phase, "message", msg, "log_links", "custom_info",
	    "run_id", id, "life_cycle_state", life, "result_state", result,
	    "run_page_url", url);
	if (res == NULL)
		return NULL;
	if (url != NULL)
		json_array_append_new(json_object_get(res, "log_links"),
		    json_pack("{s:s, s:s, s:b}", "name", "Databricks run",
		    "uri", url, "show_while_pending", 1));
	if (kind != NULL)
		json_object_set_new(res, "error", json_pack("{s:s, s:s}",
		    "code", result ? result : life, "kind", kind));
	/*
	 * No outputs: the run's own program writes the task's outputs under
	 * output_prefix, and Flyte reads them there only when the agent
	 * answers none (outputs given here would replace them).  What is
	 * known of the run is in custom_info and the log link.
	 */
	return res;
}

/* The service's own words for a failed call. */
const char *
run_error_message(const struct hc_resp *r)
{
	const char	*m;

	if (r->hr_status == 0)
		return r->hr_error ? r->hr_error : "no answer";
	m = json_string_value(json_object_get(r->hr_json, "message"));
	if (m != NULL)
		return m;
	return r->hr_len > 0 ? r->hr_body : "no message";
}
