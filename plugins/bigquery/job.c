/*
 * Translation between the protocol and BigQuery's Job resource: the
 * jobs.insert body built from task_template.custom and the inputs (as
 * named query parameters), and a Job as the protocol's resource (phase,
 * message, typed outputs naming the destination table, console log link).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-svc.h"
#include "bigquery.h"

#define JOB_CONSOLE	"https://console.cloud.google.com/bigquery"

/* "project.dataset.table" or "dataset.table" as a TableReference. */
static json_t *
job_table(json_t *v, const char *project, char *err, size_t errlen)
{
	const char	*s, *d1, *d2;
	char		*p = NULL, *d = NULL, *t = NULL;
	json_t		*ref = NULL;

	if (json_is_object(v)) {
		if (!json_is_string(json_object_get(v, "datasetId")) ||
		    !json_is_string(json_object_get(v, "tableId")))
			goto bad;
		ref = json_deep_copy(v);
		if (ref != NULL && json_object_get(ref, "projectId") == NULL)
			json_object_set_new(ref, "projectId",
			    json_string(project));
		return ref;
	}
	if ((s = json_string_value(v)) == NULL)
		goto bad;
	if ((d1 = strchr(s, '.')) == NULL)
		goto bad;
	if ((d2 = strchr(d1 + 1, '.')) != NULL) {
		p = strndup(s, (size_t)(d1 - s));
		d = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
		t = strdup(d2 + 1);
	} else {
		p = strdup(project);
		d = strndup(s, (size_t)(d1 - s));
		t = strdup(d1 + 1);
	}
	if (p == NULL || d == NULL || t == NULL || *p == '\0' || *d == '\0' ||
	    *t == '\0' || strchr(t, '.') != NULL) {
		free(p);
		free(d);
		free(t);
		goto bad;
	}
	ref = json_pack("{s:s, s:s, s:s}", "projectId", p, "datasetId", d,
	    "tableId", t);
	free(p);
	free(d);
	free(t);
	return ref;
bad:
	snprintf(err, errlen, "task_template.custom.destination_table must be "
	    "\"project.dataset.table\", \"dataset.table\" or "
	    "{\"datasetId\", \"tableId\"}");
	return NULL;
}

/* Flyte's literal {"scalar": {"primitive": {...}}} as a plain value. */
static json_t *
job_unliteral(json_t *v)
{
	json_t		*prim, *x;
	const char	*k;

	prim = json_object_get(json_object_get(v, "scalar"), "primitive");
	if (!json_is_object(prim))
		return v;
	json_object_foreach(prim, k, x)
		return x;
	return v;
}

/* One input as a named query parameter; NULL if its type has no match. */
static json_t *
job_param(const char *name, json_t *v)
{
	const char	*type;
	char		 num[64];
	json_t		*val;

	switch (json_typeof(v)) {
	case JSON_STRING:
		type = "STRING";
		val = json_incref(v);
		break;
	case JSON_INTEGER:
		type = "INT64";
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(v));
		val = json_string(num);
		break;
	case JSON_REAL:
		type = "FLOAT64";
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		val = json_string(num);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		type = "BOOL";
		val = json_string(json_is_true(v) ? "true" : "false");
		break;
	default:
		return NULL;
	}
	return json_pack("{s:s, s:{s:s}, s:{s:o}}", "name", name,
	    "parameterType", "type", type, "parameterValue", "value", val);
}

static json_t *
job_params(json_t *inputs, char *err, size_t errlen)
{
	json_t		*arr, *v, *p;
	const char	*k;

	if (json_is_object(json_object_get(inputs, "literals")))
		inputs = json_object_get(inputs, "literals");
	if ((arr = json_array()) == NULL)
		return NULL;
	json_object_foreach(inputs, k, v) {
		if ((p = job_param(k, job_unliteral(v))) == NULL) {
			snprintf(err, errlen, "inputs.%s must be a string, "
			    "number or boolean to be a query parameter", k);
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, p);
	}
	return arr;
}

/*
 * The Job resource for jobs.insert, from the create request; NULL with a
 * message naming the field that is wrong.
 */
json_t *
job_insert_body(json_t *req, const char *project, const char *job_id,
    char *err, size_t errlen)
{
	json_t		*custom, *inputs, *v, *job = NULL, *q, *k;
	const char	*key;
	int		 legacy = 0;

	custom = json_object_get(json_object_get(req, "task_template"),
	    "custom");
	if (!json_is_object(custom)) {
		snprintf(err, errlen, "task_template.custom must be an object "
		    "with the query");
		return NULL;
	}
	v = json_object_get(custom, "query");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(err, errlen, "task_template.custom.query must be a "
		    "non-empty string");
		return NULL;
	}
	job = json_pack("{s:{s:s, s:s}, s:{s:{s:O}}}", "jobReference",
	    "projectId", project, "jobId", job_id,
	    "configuration", "query", "query", v);
	if (job == NULL)
		goto nomem;
	q = json_object_get(json_object_get(job, "configuration"), "query");
	if ((v = json_object_get(custom, "location")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0) {
			snprintf(err, errlen, "task_template.custom.location "
			    "must be a string such as \"US\" or "
			    "\"europe-west1\"");
			goto fail;
		}
		json_object_set(json_object_get(job, "jobReference"),
		    "location", v);
	}
	if ((v = json_object_get(custom, "use_legacy_sql")) != NULL) {
		if (!json_is_boolean(v)) {
			snprintf(err, errlen, "task_template.custom."
			    "use_legacy_sql must be true or false");
			goto fail;
		}
		legacy = json_is_true(v);
	}
	json_object_set_new(q, "useLegacySql", json_boolean(legacy));
	if ((v = json_object_get(custom, "destination_table")) != NULL) {
		if ((k = job_table(v, project, err, errlen)) == NULL)
			goto fail;
		json_object_set_new(q, "destinationTable", k);
	}
	if ((v = json_object_get(custom, "write_disposition")) != NULL) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "task_template.custom."
			    "write_disposition must be a string such as "
			    "\"WRITE_TRUNCATE\"");
			goto fail;
		}
		json_object_set(q, "writeDisposition", v);
	}
	if ((v = json_object_get(custom, "priority")) != NULL) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "task_template.custom.priority "
			    "must be \"INTERACTIVE\" or \"BATCH\"");
			goto fail;
		}
		json_object_set(q, "priority", v);
	}
	if ((v = json_object_get(custom, "labels")) != NULL) {
		if (!json_is_object(v)) {
			snprintf(err, errlen, "task_template.custom.labels "
			    "must be an object of strings");
			goto fail;
		}
		json_object_foreach(v, key, k)
			if (!json_is_string(k)) {
				snprintf(err, errlen, "task_template.custom."
				    "labels.%s must be a string", key);
				goto fail;
			}
		json_object_set(json_object_get(job, "configuration"),
		    "labels", v);
	}
	inputs = json_object_get(req, "inputs");
	if (inputs != NULL && !json_is_null(inputs)) {
		if (!json_is_object(inputs)) {
			snprintf(err, errlen, "inputs must be an object");
			goto fail;
		}
		if (json_object_size(inputs) > 0 && legacy) {
			snprintf(err, errlen, "inputs: query parameters need "
			    "standard SQL (task_template.custom.use_legacy_sql "
			    "is true)");
			goto fail;
		}
		if (json_object_size(inputs) > 0) {
			if ((k = job_params(inputs, err, errlen)) == NULL)
				goto fail;
			json_object_set_new(q, "parameterMode",
			    json_string("NAMED"));
			json_object_set_new(q, "queryParameters", k);
		}
	}
	return job;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	json_decref(job);
	return NULL;
}

/* The console's page for one job; free() the result. */
char *
job_console_url(const char *project, const char *location, const char *id)
{
	char	*url = NULL;

	if (asprintf(&url, JOB_CONSOLE "?project=%s&j=bq:%s:%s"
	    "&page=queryresults", project, location ? location : "US",
	    id) == -1)
		return NULL;
	return url;
}

/* Job error reasons that another attempt may well not meet. */
/*
 * A finished job's outputs as Flyte's LiteralMap, the way Flyte's own
 * BigQuery agent answers: "results", a StructuredDataset whose uri is the
 * destination table as bq://project:dataset.table (absent when the job
 * has no destination), plus the strings job_id and destination_table.
 */
static json_t *
job_outputs(const char *id, const char *table, const char *uri)
{
	json_t	*plain, *map;

	plain = json_pack("{s:s, s:s?}", "job_id", id, "destination_table",
	    table);
	map = plain ? literal_map_from_plain(plain) : NULL;
	json_decref(plain);
	if (map != NULL && uri != NULL)
		json_object_set_new(json_object_get(map, "literals"), "results",
		    json_pack("{s:{s:{s:s, s:{s:{}}}}}", "scalar",
		    "structured_dataset", "uri", uri, "metadata",
		    "structured_dataset_type"));
	return map;
}

static int
job_transient(const char *reason)
{
	return reason != NULL && (strcmp(reason, "backendError") == 0 ||
	    strcmp(reason, "internalError") == 0 ||
	    strcmp(reason, "rateLimitExceeded") == 0 ||
	    strcmp(reason, "jobBackendError") == 0 ||
	    strcmp(reason, "jobInternalError") == 0);
}

/*
 * A Job resource from jobs.get as the protocol's resource.  project,
 * location and id are the job's (from the resource_meta).
 */
json_t *
job_resource(json_t *jobj, const char *project, const char *location,
    const char *id)
{
	json_t		*st, *er, *res, *ref, *stats;
	const char	*state, *reason, *msg, *phase, *loc, *tp, *td, *tt;
	char		*url, *uri = NULL, *table = NULL;

	st = json_object_get(jobj, "status");
	state = json_string_value(json_object_get(st, "state"));
	loc = json_string_value(json_object_get(json_object_get(jobj,
	    "jobReference"), "location"));
	if (loc == NULL)
		loc = location;
	if ((url = job_console_url(project, loc, id)) == NULL)
		return NULL;
	res = json_pack("{s:s, s:[{s:s, s:s, s:b}], s:{s:s, s:s?, s:s?}}",
	    "message", "", "log_links", "name", "BigQuery Console", "uri", url,
	    "show_while_pending", 1, "custom_info", "job_id", id,
	    "location", loc, "state", state);
	free(url);
	if (res == NULL)
		return NULL;
	stats = json_object_get(json_object_get(jobj, "statistics"), "query");
	if (json_object_get(stats, "totalBytesProcessed") != NULL)
		json_object_set(json_object_get(res, "custom_info"),
		    "total_bytes_processed",
		    json_object_get(stats, "totalBytesProcessed"));
	er = json_object_get(st, "errorResult");
	if (state == NULL || strcmp(state, "PENDING") == 0) {
		phase = "QUEUED";
		msg = "job is pending";
	} else if (strcmp(state, "RUNNING") == 0) {
		phase = "RUNNING";
		msg = "job is running";
	} else if (strcmp(state, "DONE") != 0) {
		phase = "RUNNING";
		msg = state;
	} else if (json_is_object(er)) {
		reason = json_string_value(json_object_get(er, "reason"));
		msg = json_string_value(json_object_get(er, "message"));
		if (msg == NULL)
			msg = "job failed";
		if (reason != NULL && strcmp(reason, "stopped") == 0)
			phase = "ABORTED";
		else if (job_transient(reason))
			phase = "RETRYABLE_FAILED";
		else
			phase = "FAILED";
		json_object_set_new(res, "error", json_pack("{s:s, s:s}",
		    "code", reason ? reason : "unknown", "kind",
		    strcmp(phase, "RETRYABLE_FAILED") == 0 ? "RECOVERABLE" :
		    "NON_RECOVERABLE"));
	} else {
		phase = "SUCCEEDED";
		msg = "job done";
		ref = json_object_get(json_object_get(json_object_get(jobj,
		    "configuration"), "query"), "destinationTable");
		tp = json_string_value(json_object_get(ref, "projectId"));
		td = json_string_value(json_object_get(ref, "datasetId"));
		tt = json_string_value(json_object_get(ref, "tableId"));
		if (tp == NULL)
			tp = project;
		if (td != NULL && tt != NULL) {
			if (asprintf(&table, "%s.%s.%s", tp, td, tt) == -1)
				table = NULL;
			if (asprintf(&uri, "bq://%s:%s.%s", tp, td, tt) == -1)
				uri = NULL;
		}
		json_object_set_new(res, "outputs", job_outputs(id, table,
		    uri));
		free(table);
		free(uri);
	}
	json_object_set_new(res, "phase", json_string(phase));
	json_object_set_new(res, "message", json_string(msg));
	return res;
}

/* The service's own words for a failed call. */
const char *
job_error_message(const struct hc_resp *r)
{
	const char	*m;

	if (r->hr_status == 0)
		return r->hr_error ? r->hr_error : "no answer";
	m = json_string_value(json_object_get(json_object_get(r->hr_json,
	    "error"), "message"));
	if (m != NULL)
		return m;
	return r->hr_len > 0 ? r->hr_body : "no message";
}
