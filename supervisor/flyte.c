/*
 * One data model between Flyte's IDL (flyteidl.admin agent messages, as
 * generated from the pinned @flyteorg/flyteidl protos) and the call layer,
 * shared by both Flyte fronts: the REST routes (agent.c) and the gRPC
 * services (agentrpc.c).  It turns a CreateTaskRequest into the create body
 * a worker reads, a worker's resource into a flyteidl.admin.Resource
 * (LiteralMap outputs, TaskLog links, Struct custom_info, AgentError), a
 * logs or metrics request into the worker's query and its answer into
 * Flyte's responses, our error codes into gRPC status codes, and a plugin
 * into an Agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "nebula-plugind.h"
#include "flyte.h"

/* Flyte's integer version N is our "vN"; 0 (or less) means "the first". */
const char *
flyte_version(int32_t n, char *out, size_t outlen)
{
	if (n <= 0)
		return NULL;
	snprintf(out, outlen, "v%d", (int)n);
	return out;
}

/* Our "vN" as Flyte's integer N; 0 when it is not of that form. */
int32_t
flyte_version_int(const char *v)
{
	char	*end;
	long	 n;

	if (v[0] != 'v' || v[1] == '\0')
		return 0;
	n = strtol(v + 1, &end, 10);
	return *end == '\0' && n > 0 && n <= INT32_MAX ? (int32_t)n : 0;
}

/*
 * The create body a worker reads, appended to out as JSON text, from a
 * CreateTaskRequest or a sync call's CreateRequestHeader (plus its
 * inputs, a LiteralMap, or NULL): the message's fields in protojson with
 * proto names, then "inputs", then Flyte's "template" last as our
 * "task_template", as the worker protocol's create has it.  Written
 * within the input limits, nothing built as a tree.  Sets *type to the
 * template's task type (pointing into m) and *version to its version.
 * -1 with the reason in err and out as it was.
 */
int
flyte_create_text(struct buf *out, const ProtobufCMessage *m,
    const ProtobufCMessage *inputs, const char **type, int32_t *version,
    char *err, size_t errlen)
{
	const ProtobufCFieldDescriptor	*f;
	const Flyteidl__Core__TaskTemplate *t = NULL;
	struct pbjson_gen		*pg;
	size_t				 keep = out->buf_len;
	int				 rc = -1;

	f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor,
	    "template");
	if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE &&
	    f->descriptor == &flyteidl__core__task_template__descriptor)
		t = *(Flyteidl__Core__TaskTemplate *const *)
		    ((const char *)m + f->offset);
	if (t == NULL || t->type == NULL || t->type[0] == '\0') {
		snprintf(err, errlen, "template.type must name the task type");
		return -1;
	}
	if ((pg = pbjson_gen_new(out, PBJSON_PROTO_NAMES |
	    PBJSON_LIMITS)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (pbjson_gen_open(pg) == -1 ||
	    pbjson_gen_fields(pg, m, "template") == -1 ||
	    (inputs != NULL &&
	    pbjson_gen_member(pg, "inputs", inputs) == -1) ||
	    pbjson_gen_member(pg, "task_template", &t->base) == -1 ||
	    pbjson_gen_close(pg) == -1) {
		snprintf(err, errlen, "%s", pbjson_gen_error(pg));
		out->buf_len = keep;
		goto fail;
	}
	*type = t->type;
	*version = t->task_type_version;
	rc = 0;
fail:
	pbjson_gen_free(pg);
	return rc;
}

/*
 * The same body as a new jansson tree (the Flyte REST front's); *type
 * points into it.
 */
json_t *
flyte_create_body(const ProtobufCMessage *m, const ProtobufCMessage *inputs,
    const char **type, int32_t *version, char *err, size_t errlen)
{
	struct buf	 b;
	json_t		*body;

	memset(&b, 0, sizeof(b));
	if (flyte_create_text(&b, m, inputs, type, version, err,
	    errlen) == -1) {
		buf_release(&b);
		return NULL;
	}
	body = pbjson_tree(b.buf_data, b.buf_len);
	buf_release(&b);
	if (body == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*type = json_string_value(json_object_get(json_object_get(body,
	    "task_template"), "type"));
	return body;
}

/* A log link of the worker protocol as a flyteidl.core.TaskLog. */
static json_t *
flyte_task_log(json_t *l)
{
	static const char *const pass[] = {
		"name", "uri", "message_format", "ttl", "ShowWhilePending",
		"HideOnceFinished", NULL
	};
	json_t	*o, *v;
	size_t	 i;

	if (!json_is_object(l))
		return NULL;
	o = json_object();
	for (i = 0; pass[i] != NULL; i++)
		if ((v = json_object_get(l, pass[i])) != NULL)
			json_object_set(o, pass[i], v);
	if ((v = json_object_get(l, "show_while_pending")) != NULL)
		json_object_set(o, "ShowWhilePending", v);
	if ((v = json_object_get(l, "hide_once_finished")) != NULL)
		json_object_set(o, "HideOnceFinished", v);
	return o;
}

/*
 * The worker's error in a resource as Flyte's AgentError.  A permission
 * error is never worth retrying, whatever the worker says.
 */
static json_t *
flyte_agent_error(json_t *e, const char *phase)
{
	const char	*code, *kind, *origin;

	code = json_string_value(json_object_get(e, "code"));
	kind = json_string_value(json_object_get(e, "kind"));
	origin = json_string_value(json_object_get(e, "origin"));
	if (kind == NULL || (strcmp(kind, "RECOVERABLE") != 0 &&
	    strcmp(kind, "NON_RECOVERABLE") != 0))
		kind = phase != NULL && strcmp(phase, "RETRYABLE_FAILED") == 0 ?
		    "RECOVERABLE" : "NON_RECOVERABLE";
	if (code != NULL && strcmp(code, "PERMISSION_DENIED") == 0)
		kind = "NON_RECOVERABLE";
	if (origin == NULL || (strcmp(origin, "USER") != 0 &&
	    strcmp(origin, "SYSTEM") != 0))
		origin = "UNKNOWN";
	return json_pack("{s:s, s:s, s:s}", "code", code ? code : "", "kind",
	    kind, "origin", origin);
}

/*
 * The worker's resource (SPEC.md 3) as Flyte's Resource in protojson:
 * plain outputs become a LiteralMap, log links TaskLogs, the error an
 * AgentError.  NULL with the reason in err when it cannot be one.
 */
json_t *
flyte_resource_json(json_t *rsc, char *err, size_t errlen)
{
	json_t		*o, *v, *links, *l, *tl;
	const char	*phase;
	size_t		 i;

	if (!json_is_object(rsc)) {
		snprintf(err, errlen, "the resource is not an object");
		return NULL;
	}
	o = json_object();
	phase = json_string_value(json_object_get(rsc, "phase"));
	if (phase != NULL)
		json_object_set_new(o, "phase", json_string(phase));
	if (json_is_string(v = json_object_get(rsc, "message")))
		json_object_set(o, "message", v);
	if ((v = json_object_get(rsc, "outputs")) != NULL && !json_is_null(v)) {
		if (literal_map_is(v))
			json_object_set(o, "outputs", v);
		else if (json_is_object(v))
			json_object_set_new(o, "outputs",
			    literal_map_from_plain(v));
		else {
			json_decref(o);
			snprintf(err, errlen, "outputs is not an object");
			return NULL;
		}
	}
	if (json_is_array(links = json_object_get(rsc, "log_links"))) {
		l = json_array();
		json_array_foreach(links, i, v)
			if ((tl = flyte_task_log(v)) != NULL)
				json_array_append_new(l, tl);
		json_object_set_new(o, "log_links", l);
	}
	if (json_is_object(v = json_object_get(rsc, "custom_info")))
		json_object_set(o, "custom_info", v);
	if (json_is_object(v = json_object_get(rsc, "error")) ||
	    json_is_object(v = json_object_get(rsc, "agent_error")))
		json_object_set_new(o, "agent_error", flyte_agent_error(v,
		    phase));
	return o;
}

/* The same as a message; free it with protobuf_c_message_free_unpacked. */
Flyteidl__Admin__Resource *
flyte_resource(json_t *rsc, char *err, size_t errlen)
{
	json_t		*o;
	ProtobufCMessage *m;

	if ((o = flyte_resource_json(rsc, err, errlen)) == NULL)
		return NULL;
	m = pbjson_decode(&flyteidl__admin__resource__descriptor, o, 0, err,
	    errlen);
	json_decref(o);
	return (Flyteidl__Admin__Resource *)m;
}

/*
 * The query of a GetTaskLogsRequest or GetTaskMetricsRequest as the
 * members of the worker's logs or metrics request: its fields in protojson
 * with proto names, without those that name the job (resource_meta,
 * task_type, task_category); logs' "lines" as a JSON integer.
 */
json_t *
flyte_query_body(const ProtobufCMessage *m)
{
	json_t	*q, *v;

	if ((q = pbjson_encode(m, PBJSON_PROTO_NAMES)) == NULL)
		return NULL;
	json_object_del(q, "resource_meta");
	json_object_del(q, "task_type");
	json_object_del(q, "task_category");
	if (json_is_string(v = json_object_get(q, "lines")))
		json_object_set_new(q, "lines", json_integer(
		    strtoll(json_string_value(v), NULL, 10)));
	return q;
}

/*
 * A worker's metrics answer {"results": [ExecutionMetricResult, ...]} as
 * a GetTaskMetricsResponse; NULL with the reason in err.
 */
ProtobufCMessage *
flyte_metrics_response(json_t *answer, char *err, size_t errlen)
{
	ProtobufCMessage	*m;
	json_t			*j;

	j = json_pack("{s:O}", "results", json_object_get(answer, "results"));
	if (j == NULL) {
		snprintf(err, errlen, "the answer has no results");
		return NULL;
	}
	m = pbjson_decode(
	    &flyteidl__admin__get_task_metrics_response__descriptor, j, 0, err,
	    errlen);
	json_decref(j);
	return m;
}

/* One line of a logs answer as a flyteidl.admin.LogLine, or NULL. */
static json_t *
flyte_log_line(json_t *l)
{
	static const char *const pass[] = {
		"message", "timestamp", "originator", NULL
	};
	json_t	*o, *v;
	size_t	 i;

	if (json_is_string(l))
		return json_pack("{s:O}", "message", l);
	if (!json_is_object(l))
		return NULL;
	o = json_object();
	for (i = 0; pass[i] != NULL; i++)
		if ((v = json_object_get(l, pass[i])) != NULL)
			json_object_set(o, pass[i], v);
	return o;
}

/*
 * A worker's logs answer {"lines": [...], "token": "..."} as the messages
 * of the GetTaskLogs stream, in protojson with proto names: first a
 * GetTaskLogsResponse with its header (the token), then ones with a body
 * each, of at most about FLYTE_LOGS_CHUNK bytes of lines, carrying every
 * line both as structured_lines and in the deprecated results.  A line is
 * a string or an object {message, timestamp, originator}.  NULL with the
 * reason in err when the answer cannot be made Flyte's messages.
 */
#define FLYTE_LOGS_CHUNK	(256 * 1024)
json_t *
flyte_logs_json(json_t *answer, char *err, size_t errlen)
{
	json_t		*out, *lines, *l, *ll, *results, *structured;
	const char	*token, *msg;
	size_t		 i, bytes = 0;

	token = json_string_value(json_object_get(answer, "token"));
	lines = json_object_get(answer, "lines");
	out = json_pack("[{s:{s:s}}]", "header", "token", token ? token : "");
	results = json_array();
	structured = json_array();
	json_array_foreach(lines, i, l) {
		if ((ll = flyte_log_line(l)) == NULL) {
			snprintf(err, errlen, "lines[%zu] is neither a string "
			    "nor an object", i);
			goto fail;
		}
		msg = json_string_value(json_object_get(ll, "message"));
		json_array_append_new(results, json_string(msg ? msg : ""));
		json_array_append_new(structured, ll);
		bytes += 64 + (msg ? strlen(msg) : 0);
		if (bytes >= FLYTE_LOGS_CHUNK) {
			json_array_append_new(out, json_pack("{s:{s:o, s:o}}",
			    "body", "results", results, "structured_lines",
			    structured));
			results = json_array();
			structured = json_array();
			bytes = 0;
		}
	}
	if (json_array_size(structured) > 0 || json_array_size(out) == 1)
		json_array_append_new(out, json_pack("{s:{s:o, s:o}}", "body",
		    "results", results, "structured_lines", structured));
	else {
		json_decref(results);
		json_decref(structured);
	}
	/* Each must be one of Flyte's messages: checked now, not on the wire. */
	json_array_foreach(out, i, l) {
		ProtobufCMessage	*m;

		m = pbjson_decode(
		    &flyteidl__admin__get_task_logs_response__descriptor, l, 0,
		    err, errlen);
		if (m == NULL) {
			json_decref(out);
			return NULL;
		}
		protobuf_c_message_free_unpacked(m, NULL);
	}
	return out;
fail:
	json_decref(results);
	json_decref(structured);
	json_decref(out);
	return NULL;
}

/* A plugin as Flyte's Agent, in protojson with proto names. */
json_t *
flyte_agent_json(struct pool *p)
{
	struct pool_stats	 st;
	json_t			*cats, *types, *e, *vs, *v;
	const char		*type;
	size_t			 i, j;

	pool_stats(p, &st);
	cats = json_array();
	types = json_array();
	json_array_foreach(st.ps_task_types, i, e) {
		type = json_string_value(json_object_get(e, "type"));
		json_array_append_new(types, json_string(type));
		vs = json_object_get(e, "versions");
		if (json_array_size(vs) == 0) {
			json_array_append_new(cats, json_pack("{s:s, s:i}",
			    "name", type, "version", 1));
			continue;
		}
		json_array_foreach(vs, j, v)
			json_array_append_new(cats, json_pack("{s:s, s:i}",
			    "name", type, "version",
			    (int)flyte_version_int(json_string_value(v))));
	}
	return json_pack("{s:s, s:o, s:b, s:o}", "name", st.ps_name,
	    "supported_task_types", types, "is_sync", st.ps_is_sync,
	    "supported_task_categories", cats);
}

/* Our error codes, and a worker's own, as gRPC status codes. */
int
flyte_grpc_status(const char *code)
{
	static const struct {
		const char	*name;
		int		 status;
	} map[] = {
		{ "CANCELLED", 1 }, { "UNKNOWN", 2 },
		{ "INVALID_ARGUMENT", 3 }, { "BAD_REQUEST", 3 },
		{ "DEADLINE_EXCEEDED", 4 }, { "REQUEST_TIMEOUT", 4 },
		{ "NOT_FOUND", 5 }, { "ALREADY_EXISTS", 6 },
		{ "PERMISSION_DENIED", 7 }, { "RESOURCE_EXHAUSTED", 8 },
		{ "OVERLOADED", 8 }, { "PAYLOAD_TOO_LARGE", 8 },
		{ "FAILED_PRECONDITION", 9 }, { "ABORTED", 10 },
		{ "OUT_OF_RANGE", 11 }, { "UNIMPLEMENTED", 12 },
		{ "METHOD_NOT_ALLOWED", 12 }, { "INTERNAL", 13 },
		{ "WORKER_FAILED", 13 }, { "UNAVAILABLE", 14 },
		{ "DATA_LOSS", 15 }, { "UNAUTHENTICATED", 16 },
	};
	size_t	 i;

	if (code == NULL)
		return 0;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].name, code) == 0)
			return map[i].status;
	return 2;
}
