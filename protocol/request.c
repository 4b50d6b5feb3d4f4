/*
 * The codec of the worker request line (SPEC.md section 3, point 2): the
 * daemon's fields in a fixed order, written straight into the output buffer
 * with jgen_string, then the client's body, re-encoded or spliced byte
 * for byte.  The worker side's parse and the names a body may not use live
 * here too, so that every producer and consumer of the line agrees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-protocol.h"

/* The ops of the request line, in the daemon's pool_op order. */
const char *const msg_op_names[MSG_NOPS] = {
	"create", "get", "delete", "logs", "metrics"
};

/* The daemon's fields, in the order they are written. */
static const char *const msg_request_names[] = {
	"id", "op", "task_type", "version", "request_id", "traceparent",
	"deadline_ms", "resource_meta", NULL
};

/* Is the body member name (len bytes) one of the daemon's fields? */
int
msg_request_name_reserved(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; msg_request_names[i] != NULL; i++)
		if (strlen(msg_request_names[i]) == len &&
		    memcmp(msg_request_names[i], name, len) == 0)
			return 1;
	return 0;
}

/* 1 when the body has a member named like one of the daemon's fields. */
int
msg_request_reserved(json_t *body)
{
	size_t	 i;

	if (!json_is_object(body))
		return 0;
	for (i = 0; msg_request_names[i] != NULL; i++)
		if (json_object_get(body, msg_request_names[i]) != NULL)
			return 1;
	return 0;
}

/* Appends ,"name": (or {"name": for the first member). */
static int
msg_put_name(struct buf *b, const char *name, int first)
{
	if (buf_append(b, first ? "{" : ",", 1) == -1 ||
	    jgen_string(b, name) == -1)
		return -1;
	return buf_append(b, ":", 1);
}


static int
msg_put_cb(const char *data, size_t len, void *arg)
{
	return buf_append(arg, data, len);
}

/* Appends any JSON value, compact (jansson's dump past yajl's depth). */
static int
msg_put_value(struct buf *b, json_t *v)
{
	if (jgen_append(b, v) == 0)
		return 0;
	return json_dump_callback(v, msg_put_cb, b,
	    JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * Appends the members of the JSON object text raw (already checked to be
 * one object) after the daemon's fields: a ',' and raw without its '{',
 * byte for byte, except that line breaks, which valid JSON only has as
 * white space, become spaces so that the line stays one line.  An empty
 * object adds nothing but the closing brace.
 */
static int
msg_put_raw(struct buf *b, const char *raw, size_t len)
{
	const char	*p = raw, *end = raw + len, *q;
	char		*dst, *c;
	size_t		 n;

	while (p < end && *p != '{')
		p++;
	if (p == end)
		return -1;
	p++;
	for (q = p; q < end && (*q == ' ' || *q == '\t' || *q == '\n' ||
	    *q == '\r'); q++)
		;
	if (q == end)
		return -1;
	if (*q == '}')
		return buf_append(b, "}", 1);
	n = (size_t)(end - p);
	if (buf_reserve(b, n + 1) == -1)
		return -1;
	dst = b->buf_data + b->buf_len;
	*dst++ = ',';
	memcpy(dst, p, n);
	for (c = dst; (c = memchr(c, '\n', n - (size_t)(c - dst))) != NULL;
	    c++)
		*c = ' ';
	for (c = dst; (c = memchr(c, '\r', n - (size_t)(c - dst))) != NULL;
	    c++)
		*c = ' ';
	b->buf_len += n + 1;
	return 0;
}

/* Appends the body's members that are not the daemon's, and the '}'. */
static int
msg_put_body(struct buf *b, json_t *body)
{
	const char	*k;
	json_t		*v;

	if (body != NULL) {
		if (!json_is_object(body))
			return -1;
		json_object_foreach(body, k, v) {
			if (msg_request_name_reserved(k, strlen(k)))
				continue;
			if (msg_put_name(b, k, 0) == -1 ||
			    msg_put_value(b, v) == -1)
				return -1;
		}
	}
	return buf_append(b, "}", 1);
}

/*
 * Appends the request as one line ending in '\n': the daemon's fields in
 * the order of struct msg_request, then the body's members (mr_raw spliced
 * as it is when set, else mr_body's without the daemon's names).  The
 * caller makes sure mr_raw uses none of the daemon's names
 * (msg_request_reserved).  0, or -1 with the buffer as it was.
 */
int
msg_request_encode(struct buf *b, const struct msg_request *r)
{
	size_t	 keep = buf_pending(b);

	if (r->mr_op == NULL || r->mr_task_type == NULL ||
	    r->mr_version == NULL)
		goto fail;
	if (msg_put_name(b, "id", 1) == -1 ||
	    buf_put_uint(b, r->mr_id, 0) == -1 ||
	    msg_put_name(b, "op", 0) == -1 ||
	    jgen_string(b, r->mr_op) == -1 ||
	    msg_put_name(b, "task_type", 0) == -1 ||
	    jgen_string(b, r->mr_task_type) == -1 ||
	    msg_put_name(b, "version", 0) == -1 ||
	    jgen_string(b, r->mr_version) == -1)
		goto fail;
	if (r->mr_request_id != NULL &&
	    (msg_put_name(b, "request_id", 0) == -1 ||
	    jgen_string(b, r->mr_request_id) == -1))
		goto fail;
	if (r->mr_traceparent != NULL &&
	    (msg_put_name(b, "traceparent", 0) == -1 ||
	    jgen_string(b, r->mr_traceparent) == -1))
		goto fail;
	if (r->mr_deadline_ms >= 0 &&
	    (msg_put_name(b, "deadline_ms", 0) == -1 ||
	    buf_put_uint(b, (unsigned long long)r->mr_deadline_ms, 0) == -1))
		goto fail;
	if (r->mr_resource_meta != NULL &&
	    (msg_put_name(b, "resource_meta", 0) == -1 ||
	    msg_put_value(b, r->mr_resource_meta) == -1))
		goto fail;
	if (r->mr_raw != NULL) {
		if (msg_put_raw(b, r->mr_raw, r->mr_rawlen) == -1)
			goto fail;
	} else if (msg_put_body(b, r->mr_body) == -1)
		goto fail;
	if (buf_append(b, "\n", 1) == -1)
		goto fail;
	return 0;
fail:
	b->buf_len = b->buf_off + keep;	/* drop the partial line */
	return -1;
}

/* A string member, or NULL when absent; -1 when present but no string. */
static int
msg_request_string(json_t *obj, const char *name, int required,
    const char **out, char *err, size_t errlen)
{
	json_t	*v;

	*out = NULL;
	if ((v = json_object_get(obj, name)) == NULL && !required)
		return 0;
	if (!json_is_string(v)) {
		snprintf(err, errlen, "request %s %s", name, v == NULL ?
		    "is missing" : "is not a string");
		return -1;
	}
	*out = json_string_value(v);
	return 0;
}

/*
 * The worker side: checks a decoded request line and fills r with
 * pointers into obj (valid while obj lives); mr_body is obj itself, the
 * members after the daemon's fields included.  A get or a delete needs a
 * resource_meta; an op this side does not know is no error here (the
 * worker answers it with its own).
 */
int
msg_request_parse(json_t *obj, struct msg_request *r, char *err,
    size_t errlen)
{
	json_t	*v;

	memset(r, 0, sizeof(*r));
	r->mr_deadline_ms = -1;
	if (!json_is_object(obj)) {
		snprintf(err, errlen, "request is not a JSON object");
		return -1;
	}
	if (msg_id(obj, &r->mr_id) == -1) {
		snprintf(err, errlen, "request id is not an integer >= 0");
		return -1;
	}
	if (msg_request_string(obj, "op", 1, &r->mr_op, err, errlen) == -1 ||
	    msg_request_string(obj, "task_type", 1, &r->mr_task_type, err,
	    errlen) == -1 ||
	    msg_request_string(obj, "version", 1, &r->mr_version, err,
	    errlen) == -1 ||
	    msg_request_string(obj, "request_id", 0, &r->mr_request_id, err,
	    errlen) == -1 ||
	    msg_request_string(obj, "traceparent", 0, &r->mr_traceparent,
	    err, errlen) == -1)
		return -1;
	if ((v = json_object_get(obj, "deadline_ms")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0) {
			snprintf(err, errlen, "request deadline_ms is not an "
			    "integer >= 0");
			return -1;
		}
		r->mr_deadline_ms = (long long)json_integer_value(v);
	}
	r->mr_resource_meta = json_object_get(obj, "resource_meta");
	if (r->mr_resource_meta == NULL && (strcmp(r->mr_op, "get") == 0 ||
	    strcmp(r->mr_op, "delete") == 0)) {
		snprintf(err, errlen, "a %s request needs a resource_meta",
		    r->mr_op);
		return -1;
	}
	r->mr_body = obj;
	return 0;
}
