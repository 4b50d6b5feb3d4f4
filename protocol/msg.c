/*
 * The message codec of the line protocol: one JSON object per line.  It
 * decodes and size-checks what a worker writes (the hello and responses
 * naming an id), encodes messages as compact single lines, holds the rule
 * that matches a task type against a task_types list, the optional ops a
 * hello declares, and maps a worker's error codes onto HTTP statuses.  The request line has its own codec in
 * request.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-protocol.h"

/*
 * A decoded line's guard for our own recursive walks.  Answers carry what
 * they were given (inputs in a resource_meta, outputs in a resource) a few
 * levels deeper than the body that brought it, so this is looser than the
 * input limits below, which requests are held to.
 */
#define MSG_ANSWER_MAX_DEPTH	(2 * MSG_MAX_DEPTH)

static int
msg_depth_ok(json_t *v, int depth)
{
	size_t		 i;
	const char	*k;
	json_t		*e;

	if (depth > MSG_ANSWER_MAX_DEPTH)
		return 0;
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (!msg_depth_ok(e, depth + 1))
				return 0;
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (!msg_depth_ok(e, depth + 1))
				return 0;
	}
	return 1;
}

/*
 * The input limits (nebula-plugin-protocol(7), INPUT LIMITS): one set for
 * the daemon, which checks every create body before forwarding it, and for
 * the workers, which then never meet a line the daemon let through but they
 * cannot read.  Duplicate member names, invalid UTF-8 and integers outside
 * 64 bits are refused by the parse itself (JSON_REJECT_DUPLICATES).
 */
static int
msg_limits_walk(json_t *v, int depth, char *err, size_t errlen)
{
	size_t		 i;
	const char	*k;
	json_t		*e;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
	case JSON_ARRAY:
		if (depth > MSG_MAX_DEPTH) {
			snprintf(err, errlen, "nested deeper than %d levels "
			    "(input limit max_depth)", MSG_MAX_DEPTH);
			return -1;
		}
		if (json_is_array(v)) {
			json_array_foreach(v, i, e)
				if (msg_limits_walk(e, depth + 1, err,
				    errlen) == -1)
					return -1;
			return 0;
		}
		json_object_foreach(v, k, e) {
			if (strlen(k) > MSG_MAX_STRING) {
				snprintf(err, errlen, "a member name over %d "
				    "bytes (input limit max_string_bytes)",
				    MSG_MAX_STRING);
				return -1;
			}
			if (msg_limits_walk(e, depth + 1, err, errlen) == -1)
				return -1;
		}
		return 0;
	case JSON_STRING:
		if (json_string_length(v) > MSG_MAX_STRING) {
			snprintf(err, errlen, "a string over %d bytes (input "
			    "limit max_string_bytes)", MSG_MAX_STRING);
			return -1;
		}
		return 0;
	case JSON_REAL:
		if (!isfinite(json_real_value(v))) {
			snprintf(err, errlen, "a number that is not a finite "
			    "double (input limit max_number)");
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * Checks a decoded message against the input limits: nesting depth (the
 * outermost object or array counts 1), string and member name sizes,
 * numbers.  -1 with the limit named in err.
 */
int
msg_limits_check(json_t *v, char *err, size_t errlen)
{
	if (v == NULL) {
		snprintf(err, errlen, "no JSON value");
		return -1;
	}
	return msg_limits_walk(v, 1, err, errlen);
}

static size_t
msg_skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' ||
	    s[i] == '\n'))
		i++;
	return i;
}

/*
 * The top-level "id" of a line that does not decode, read from its text so
 * that a worker can answer it with an error instead of dropping it.  -1
 * unless the line is an object with exactly one top-level member "id"
 * whose value is an integer from 0 to 2^63 - 1.
 */
int
msg_line_id(const char *s, size_t len, uint64_t *idp)
{
	size_t		 i = 0, start;
	uint64_t	 id = 0, v;
	int		 depth = 0, want_key = 0, found = 0;

	i = msg_skip_ws(s, len, i);
	if (i == len || s[i] != '{')
		return -1;
	for (; i < len; i++) {
		switch (s[i]) {
		case '{':
		case '[':
			if (++depth == 1)
				want_key = 1;
			break;
		case '}':
		case ']':
			depth--;
			break;
		case ',':
			if (depth == 1)
				want_key = 1;
			break;
		case '"':
			start = ++i;
			while (i < len && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			if (i >= len)
				return -1;
			if (depth != 1 || !want_key)
				break;
			want_key = 0;
			if (i - start != 2 || memcmp(s + start, "id", 2) != 0)
				break;
			i = msg_skip_ws(s, len, i + 1);
			if (i == len || s[i] != ':')
				return -1;
			i = msg_skip_ws(s, len, i + 1);
			if (i == len || s[i] < '0' || s[i] > '9' ||
			    (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' &&
			    s[i + 1] <= '9'))
				return -1;
			for (v = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
				if (v > ((uint64_t)INT64_MAX - (s[i] - '0')) / 10)
					return -1;
				v = v * 10 + (uint64_t)(s[i] - '0');
			}
			if (i < len && s[i] != ',' && s[i] != '}' &&
			    msg_skip_ws(s, len, i) == i)
				return -1;
			if (found++)
				return -1;	/* two ids: which one? */
			id = v;
			i--;
			break;
		}
		if (depth == 0)
			break;
	}
	if (!found)
		return -1;
	*idp = id;
	return 0;
}

/*
 * Decodes one line into a JSON object.  NULL (with a reason in err) for
 * anything that is not a single JSON object: invalid JSON or UTF-8,
 * embedded NULs, trailing data, other types.
 */
json_t *
msg_decode(const char *line, size_t len, char *err, size_t errlen)
{
	return msg_decode_raw(line, len, NULL, err, errlen);
}

/*
 * msg_decode, leaving the top-level member raw->jr_name as text when it
 * can (see jscan_load): the tree has null there and raw->jr_text points
 * into line.  When raw->jr_text is NULL the member, if any, is in the tree.
 */
json_t *
msg_decode_raw(const char *line, size_t len, struct jscan_raw *raw,
    char *err, size_t errlen)
{
	json_t	*v;

	/* Most lines are read by yajl; jansson has the last word. */
	if ((v = jscan_load(line, len, MSG_ANSWER_MAX_DEPTH, raw)) != NULL)
		return v;
	return msg_decode_jansson(line, len, err, errlen);
}

/*
 * msg_decode by jansson alone, for a line yajl left (jscan_load returned
 * NULL): jansson accepts it or says why.
 */
json_t *
msg_decode_jansson(const char *line, size_t len, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*v;

	v = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (v == NULL) {
		snprintf(err, errlen, "invalid JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen, "not a JSON object");
		json_decref(v);
		return NULL;
	}
	/* jansson limits nesting while parsing; this guards our own walks. */
	if (!msg_depth_ok(v, 0)) {
		snprintf(err, errlen, "nested too deeply");
		json_decref(v);
		return NULL;
	}
	return v;
}

static int
msg_dump_cb(const char *data, size_t len, void *arg)
{
	return buf_append(arg, data, len);
}

/* Appends the object as one compact line ending in '\n', in one pass. */
int
msg_encode(struct buf *b, json_t *obj)
{
	size_t	 keep = buf_pending(b);

	/* yajl writes it; jansson only what yajl cannot (past 128 deep). */
	if ((jgen_append(b, obj) == -1 && json_dump_callback(obj, msg_dump_cb,
	    b, JSON_COMPACT) == -1) || buf_append(b, "\n", 1) == -1) {
		b->buf_len = b->buf_off + keep;	/* drop the partial line */
		return -1;
	}
	return 0;
}

/* The request id a response names; -1 when absent or not an integer >= 0. */
int
msg_id(json_t *obj, uint64_t *id)
{
	json_t	*v;

	v = json_object_get(obj, "id");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*id = (uint64_t)json_integer_value(v);
	return 0;
}

/* task_types: [{"type": "x", "versions": ["v1", ...]}, ...], non-empty. */
int
msg_task_types_valid(json_t *tt, char *err, size_t errlen)
{
	size_t	 i, j;
	json_t	*e, *t, *vs, *v;

	if (!json_is_array(tt) || json_array_size(tt) == 0) {
		snprintf(err, errlen, "task_types must be a non-empty array");
		return -1;
	}
	json_array_foreach(tt, i, e) {
		t = json_object_get(e, "type");
		vs = json_object_get(e, "versions");
		if (!json_is_string(t) || json_string_length(t) == 0 ||
		    strchr(json_string_value(t), '/') != NULL) {
			snprintf(err, errlen,
			    "task_types[%zu].type must be a non-empty string "
			    "without '/'", i);
			return -1;
		}
		if (vs == NULL)
			continue;	/* defaults to ["v1"] */
		if (!json_is_array(vs) || json_array_size(vs) == 0) {
			snprintf(err, errlen, "task_types[%zu].versions must "
			    "be a non-empty array of strings", i);
			return -1;
		}
		json_array_foreach(vs, j, v)
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    strchr(json_string_value(v), '/') != NULL) {
				snprintf(err, errlen, "task_types[%zu]."
				    "versions[%zu] must be a non-empty string "
				    "without '/'", i, j);
				return -1;
			}
	}
	return 0;
}

/*
 * The routing rule: does this task_types array serve type (and version,
 * unless NULL)?  An entry without "versions" serves v1 only.  Entries that
 * are not well formed serve nothing.
 */
int
msg_serves(json_t *task_types, const char *type, const char *version)
{
	size_t		 i, j;
	const char	*t;
	json_t		*e, *vs, *v;

	json_array_foreach(task_types, i, e) {
		t = json_string_value(json_object_get(e, "type"));
		if (t == NULL || strcmp(t, type) != 0)
			continue;
		if (version == NULL)
			return 1;
		vs = json_object_get(e, "versions");
		if (vs == NULL) {
			if (strcmp(version, "v1") == 0)
				return 1;
			continue;
		}
		json_array_foreach(vs, j, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), version) == 0)
				return 1;
	}
	return 0;
}

static const struct {
	const char	*name;
	unsigned	 bit;
} msg_ops[] = {
	{ "create", 0 }, { "get", 0 }, { "delete", 0 },
	{ "logs", MSG_OP_LOGS }, { "metrics", MSG_OP_METRICS },
};

/*
 * The hello's "ops": an array of operation names.  The three every worker
 * serves may be listed or not; names this daemon does not know are ignored
 * so that a newer worker still starts.
 */
static int
msg_hello_ops(json_t *ops, unsigned *bits, char *err, size_t errlen)
{
	size_t	 i, k;
	json_t	*v;

	*bits = 0;
	if (!json_is_array(ops)) {
		snprintf(err, errlen, "hello ops must be an array of strings");
		return -1;
	}
	json_array_foreach(ops, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "hello ops[%zu] is not a string",
			    i);
			return -1;
		}
		for (k = 0; k < sizeof(msg_ops) / sizeof(msg_ops[0]); k++)
			if (strcmp(msg_ops[k].name, json_string_value(v)) == 0)
				*bits |= msg_ops[k].bit;
	}
	return 0;
}

/* Parses {"hello": {...}}; the caller clears it with msg_hello_clear(). */
int
msg_hello_parse(json_t *obj, struct msg_hello *h, char *err, size_t errlen)
{
	json_t	*hello, *v;

	memset(h, 0, sizeof(*h));
	h->hello_concurrency = 1;
	hello = json_object_get(obj, "hello");
	if (!json_is_object(hello)) {
		snprintf(err, errlen, "first line is not a hello");
		return -1;
	}
	v = json_object_get(hello, "protocol");
	if (!json_is_integer(v)) {
		snprintf(err, errlen, "hello has no integer protocol");
		return -1;
	}
	h->hello_protocol = (int)json_integer_value(v);
	if (json_integer_value(v) != NP_PROTOCOL_VERSION) {
		snprintf(err, errlen, "hello speaks protocol %lld, "
		    "this daemon speaks %d", (long long)json_integer_value(v),
		    NP_PROTOCOL_VERSION);
		return -1;
	}
	if ((v = json_object_get(hello, "name")) != NULL) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "hello name is not a string");
			return -1;
		}
		h->hello_name = strdup(json_string_value(v));
	}
	if ((v = json_object_get(hello, "concurrency")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > NP_MAX_CONCURRENCY) {
			snprintf(err, errlen, "hello concurrency must be an "
			    "integer from 1 to %d", NP_MAX_CONCURRENCY);
			msg_hello_clear(h);
			return -1;
		}
		h->hello_concurrency = (int)json_integer_value(v);
	}
	if ((v = json_object_get(hello, "task_types")) != NULL) {
		if (msg_task_types_valid(v, err, errlen) == -1) {
			msg_hello_clear(h);
			return -1;
		}
		h->hello_task_types = json_incref(v);
	}
	if ((v = json_object_get(hello, "ops")) != NULL &&
	    msg_hello_ops(v, &h->hello_ops, err, errlen) == -1) {
		msg_hello_clear(h);
		return -1;
	}
	return 0;
}

void
msg_hello_clear(struct msg_hello *h)
{
	free(h->hello_name);
	json_decref(h->hello_task_types);
	memset(h, 0, sizeof(*h));
}

/* Builds a hello line's object; task_types is borrowed and may be NULL. */
json_t *
msg_hello_new(const char *name, json_t *task_types, int concurrency)
{
	json_t	*hello;

	hello = json_pack("{s:i, s:i}", "protocol", NP_PROTOCOL_VERSION,
	    "concurrency", concurrency);
	if (hello == NULL)
		return NULL;
	if (name != NULL)
		json_object_set_new(hello, "name", json_string(name));
	if (task_types != NULL)
		json_object_set(hello, "task_types", task_types);
	return json_pack("{s:o}", "hello", hello);
}

/* Declares ops (MSG_OP_*) in a hello made by msg_hello_new: "ops". */
int
msg_hello_set_ops(json_t *obj, unsigned ops)
{
	json_t	*list;
	size_t	 k;

	if ((list = json_array()) == NULL)
		return -1;
	for (k = 0; k < sizeof(msg_ops) / sizeof(msg_ops[0]); k++)
		if (msg_ops[k].bit == 0 || (ops & msg_ops[k].bit) != 0)
			json_array_append_new(list,
			    json_string(msg_ops[k].name));
	return json_object_set_new(json_object_get(obj, "hello"), "ops",
	    list);
}

/* A worker's own error code as an HTTP status (SPEC.md section 2). */
int
msg_error_status(const char *code)
{
	static const struct {
		const char	*code;
		int		 status;
	} map[] = {
		{ "INVALID_ARGUMENT",	400 },
		{ "BAD_REQUEST",	400 },
		{ "NOT_FOUND",		404 },
		{ "PERMISSION_DENIED",	403 },
		{ "UNAUTHENTICATED",	401 },
		{ "UNAVAILABLE",	503 },
		{ "DEADLINE_EXCEEDED",	504 },
	};
	size_t	 i;

	if (code == NULL)
		return 500;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].status;
	return 500;
}
