/*
 * Unit tests of the message codec (protocol/msg.c): what a decoded line
 * must be, how a message is encoded, the hello handshake, request ids,
 * the mapping of a worker's error codes onto HTTP statuses, the request
 * line's codec (protocol/request.c) and the task type matching rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nebula-protocol.h"

static json_t *
decode(const char *s)
{
	char	 err[256];

	return msg_decode(s, strlen(s), err, sizeof(err));
}

static void
expect_reject(const char *s, size_t len, const char *why)
{
	char	 err[256] = "";
	json_t	*v;

	v = msg_decode(s, len, err, sizeof(err));
	if (v != NULL)
		fail_msg("accepted %s", why);
	assert_true(err[0] != '\0');
}

static void
test_msg_decode_valid_object(void **state)
{
	json_t	*v;

	(void)state;
	assert_non_null(v = decode("{\"id\": 7, \"resource\": {\"phase\": "
	    "\"RUNNING\"}}"));
	assert_int_equal(json_integer_value(json_object_get(v, "id")), 7);
	json_decref(v);
	assert_non_null(v = decode("  {}  "));
	json_decref(v);
}

static void
test_msg_decode_rejects_bad_input(void **state)
{
	(void)state;
	expect_reject("", 0, "an empty line");
	expect_reject("this is not json", 16, "garbage");
	expect_reject("{\"id\":1", 7, "truncated JSON");
	expect_reject("[1,2]", 5, "an array");
	expect_reject("42", 2, "a number");
	expect_reject("\"s\"", 3, "a string");
	expect_reject("null", 4, "null");
	expect_reject("{} {}", 5, "two objects");
	expect_reject("{\"id\":1} x", 10, "trailing garbage");
	expect_reject("{\"id\":1,\"id\":2}", 15, "duplicate keys");
	expect_reject("{\"s\":\"\xff\xfe\"}", 11, "invalid UTF-8");
	expect_reject("{\"s\":\"\xc0\xaf\"}", 11, "overlong UTF-8");
	expect_reject("{\"s\":\"a\0b\"}", 11, "a NUL inside the line");
	expect_reject("{\"id\":1}\0", 9, "a NUL after the object");
}

/* {"a":[[[...]]]} with depth arrays: valid JSON, depth + 1 levels. */
static char *
nested(size_t depth, size_t *lenp)
{
	char	*s;
	size_t	 i, len;

	len = 5 + 2 * depth + 1;
	assert_non_null(s = malloc(len + 1));
	memcpy(s, "{\"a\":", 5);
	for (i = 0; i < depth; i++) {
		s[5 + i] = '[';
		s[5 + depth + i] = ']';
	}
	s[len - 1] = '}';
	s[len] = '\0';
	*lenp = len;
	return s;
}

static void
test_msg_decode_rejects_deep_nesting(void **state)
{
	char	*s;
	size_t	 len;

	(void)state;
	/* Deeper than our own limit, within jansson's. */
	s = nested(200, &len);
	expect_reject(s, len, "200 levels");
	free(s);
	/* Deeper than jansson's parser limit. */
	s = nested(5000, &len);
	expect_reject(s, len, "5000 levels");
	free(s);
}

static void
test_msg_decode_accepts_moderate_nesting(void **state)
{
	char	*s;
	size_t	 len, err_len = 256;
	char	 err[256];
	json_t	*v;

	(void)state;
	s = nested(32, &len);
	assert_non_null(v = msg_decode(s, len, err, err_len));
	json_decref(v);
	free(s);
}

static void
test_msg_encode_one_line(void **state)
{
	struct buf	 b = { 0 };
	json_t		*v;
	char		*s;

	(void)state;
	v = json_pack("{s:i, s:{s:s, s:[i,i]}}", "id", 3, "resource",
	    "message", "two\nlines", "x", 1, 2);
	assert_non_null(v);
	assert_int_equal(msg_encode(&b, v), 0);
	assert_int_equal(msg_encode(&b, v), 0);
	assert_true(buf_pending(&b) > 2);
	s = strndup(b.buf_data + b.buf_off, buf_pending(&b));
	assert_non_null(s);
	/* Two messages, two lines: the '\n' in the string is escaped. */
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) / 2 - 1);
	assert_ptr_equal(strchr(s + strlen(s) / 2, '\n'), s + strlen(s) - 1);
	assert_string_equal(s + strlen(s) / 2,
	    "{\"id\":3,\"resource\":{\"message\":\"two\\nlines\","
	    "\"x\":[1,2]}}\n");
	free(s);
	json_decref(v);
	buf_release(&b);
}

static void
test_msg_encode_round_trip(void **state)
{
	struct buf	 b = { 0 };
	json_t		*v, *w;
	char		 err[256];

	(void)state;
	v = json_pack("{s:I, s:s}", "id", (json_int_t)1 << 53, "u",
	    "caf\xc3\xa9 \xe2\x9c\x93");
	assert_int_equal(msg_encode(&b, v), 0);
	w = msg_decode(b.buf_data + b.buf_off, buf_pending(&b) - 1, err,
	    sizeof(err));
	assert_non_null(w);
	assert_true(json_equal(v, w));
	json_decref(v);
	json_decref(w);
	buf_release(&b);
}

static void
test_msg_hello_good(void **state)
{
	struct msg_hello	 h;
	json_t			*v;
	char			 err[256];

	(void)state;
	v = decode("{\"hello\":{\"protocol\":1,\"name\":\"bq\",\"task_types\":"
	    "[{\"type\":\"bigquery\",\"versions\":[\"v1\",\"v2\"]},"
	    "{\"type\":\"bq2\"}],\"concurrency\":16}}");
	assert_non_null(v);
	assert_int_equal(msg_hello_parse(v, &h, err, sizeof(err)), 0);
	assert_int_equal(h.hello_protocol, 1);
	assert_string_equal(h.hello_name, "bq");
	assert_int_equal(h.hello_concurrency, 16);
	assert_int_equal(json_array_size(h.hello_task_types), 2);
	msg_hello_clear(&h);
	json_decref(v);
}

static void
test_msg_hello_minimal_defaults(void **state)
{
	struct msg_hello	 h;
	json_t			*v;
	char			 err[256];

	(void)state;
	assert_non_null(v = decode("{\"hello\":{\"protocol\":1}}"));
	assert_int_equal(msg_hello_parse(v, &h, err, sizeof(err)), 0);
	assert_null(h.hello_name);
	assert_null(h.hello_task_types);
	assert_int_equal(h.hello_concurrency, 1);
	msg_hello_clear(&h);
	json_decref(v);
}

static void
expect_bad_hello(const char *s)
{
	struct msg_hello	 h;
	json_t			*v;
	char			 err[256] = "";

	assert_non_null(v = decode(s));
	if (msg_hello_parse(v, &h, err, sizeof(err)) != -1)
		fail_msg("accepted hello %s", s);
	assert_true(err[0] != '\0');
	assert_null(h.hello_name);
	assert_null(h.hello_task_types);
	json_decref(v);
}

static void
test_msg_hello_rejects(void **state)
{
	(void)state;
	expect_bad_hello("{\"id\":1}");
	expect_bad_hello("{\"hello\":1}");
	expect_bad_hello("{\"hello\":{}}");
	expect_bad_hello("{\"hello\":{\"protocol\":2}}");
	expect_bad_hello("{\"hello\":{\"protocol\":0}}");
	expect_bad_hello("{\"hello\":{\"protocol\":\"1\"}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1.0}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"name\":5}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"concurrency\":0}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"concurrency\":-3}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"concurrency\":1025}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"concurrency\":\"4\"}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"name\":\"n\","
	    "\"concurrency\":2.5}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":[]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":{}}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"name\":\"n\","
	    "\"task_types\":[{\"versions\":[\"v1\"]}]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":"
	    "[{\"type\":\"\"}]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":"
	    "[{\"type\":\"a/b\"}]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":"
	    "[{\"type\":\"a\",\"versions\":[]}]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":"
	    "[{\"type\":\"a\",\"versions\":[1]}]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":"
	    "[{\"type\":\"a\",\"versions\":[\"v/1\"]}]}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"task_types\":[5]}}");
}

static void
test_msg_hello_new_parses_back(void **state)
{
	struct msg_hello	 h;
	json_t			*tt, *v;
	char			 err[256];

	(void)state;
	tt = json_pack("[{s:s, s:[s]}]", "type", "echo", "versions", "v1");
	assert_non_null(v = msg_hello_new("echo", tt, 64));
	assert_int_equal(msg_hello_parse(v, &h, err, sizeof(err)), 0);
	assert_string_equal(h.hello_name, "echo");
	assert_int_equal(h.hello_concurrency, 64);
	assert_true(json_equal(h.hello_task_types, tt));
	msg_hello_clear(&h);
	json_decref(v);
	json_decref(tt);
}

static unsigned
hello_ops_of(const char *text)
{
	struct msg_hello	 h;
	json_t			*v;
	char			 err[256];
	unsigned		 ops;

	v = json_loads(text, 0, NULL);
	assert_non_null(v);
	assert_int_equal(msg_hello_parse(v, &h, err, sizeof(err)), 0);
	ops = h.hello_ops;
	msg_hello_clear(&h);
	json_decref(v);
	return ops;
}

static void
test_msg_hello_ops_declared_or_not(void **state)
{
	struct msg_hello	 h;
	json_t			*v;
	char			 err[256];

	(void)state;
	/* Protocol 1 without ops stays valid: no optional op. */
	assert_int_equal(hello_ops_of("{\"hello\":{\"protocol\":1}}"), 0);
	assert_int_equal(hello_ops_of("{\"hello\":{\"protocol\":1,\"ops\":"
	    "[\"create\",\"get\",\"delete\",\"logs\"]}}"), MSG_OP_LOGS);
	/* Unknown names are ignored, so that a newer worker starts. */
	assert_int_equal(hello_ops_of("{\"hello\":{\"protocol\":1,\"ops\":"
	    "[\"metrics\",\"someday\"]}}"), MSG_OP_METRICS);
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"ops\":\"logs\"}}");
	expect_bad_hello("{\"hello\":{\"protocol\":1,\"ops\":[1]}}");
	assert_non_null(v = msg_hello_new("w", NULL, 1));
	assert_int_equal(msg_hello_set_ops(v, MSG_OP_LOGS | MSG_OP_METRICS),
	    0);
	assert_int_equal(msg_hello_parse(v, &h, err, sizeof(err)), 0);
	assert_int_equal(h.hello_ops, MSG_OP_LOGS | MSG_OP_METRICS);
	assert_int_equal(json_array_size(json_object_get(json_object_get(v,
	    "hello"), "ops")), 5);
	msg_hello_clear(&h);
	json_decref(v);
}

static void
test_msg_id(void **state)
{
	json_t		*v;
	uint64_t	 id = 99;

	(void)state;
	v = decode("{\"id\":0}");
	assert_int_equal(msg_id(v, &id), 0);
	assert_int_equal(id, 0);
	json_decref(v);
	v = decode("{\"id\":9007199254740993}");
	assert_int_equal(msg_id(v, &id), 0);
	assert_true(id == 9007199254740993ULL);
	json_decref(v);
	v = decode("{\"id\":-1}");
	assert_int_equal(msg_id(v, &id), -1);
	json_decref(v);
	v = decode("{\"id\":\"7\"}");
	assert_int_equal(msg_id(v, &id), -1);
	json_decref(v);
	v = decode("{\"id\":7.0}");
	assert_int_equal(msg_id(v, &id), -1);
	json_decref(v);
	v = decode("{\"id\":null}");
	assert_int_equal(msg_id(v, &id), -1);
	json_decref(v);
	v = decode("{\"op\":\"get\"}");
	assert_int_equal(msg_id(v, &id), -1);
	json_decref(v);
}

static void
test_msg_error_status_mapping(void **state)
{
	(void)state;
	assert_int_equal(msg_error_status("INVALID_ARGUMENT"), 400);
	assert_int_equal(msg_error_status("NOT_FOUND"), 404);
	assert_int_equal(msg_error_status("PERMISSION_DENIED"), 403);
	assert_int_equal(msg_error_status("UNAVAILABLE"), 503);
	assert_int_equal(msg_error_status("INTERNAL"), 500);
	assert_int_equal(msg_error_status("UNIMPLEMENTED"), 500);
	assert_int_equal(msg_error_status("whatever"), 500);
	assert_int_equal(msg_error_status(""), 500);
	assert_int_equal(msg_error_status(NULL), 500);
	assert_int_equal(msg_error_status("invalid_argument"), 500);
}

/* Encodes r into a fresh buffer; the line as a NUL-terminated string. */
static char *
encode_request(const struct msg_request *r)
{
	struct buf	 b = { 0 };
	char		*s;

	if (msg_request_encode(&b, r) == -1) {
		buf_release(&b);
		return NULL;
	}
	s = strndup(b.buf_data + b.buf_off, buf_pending(&b));
	buf_release(&b);
	assert_non_null(s);
	return s;
}

static void
request_init(struct msg_request *r, const char *op)
{
	memset(r, 0, sizeof(*r));
	r->mr_id = 7;
	r->mr_op = op;
	r->mr_task_type = "echo";
	r->mr_version = "v1";
	r->mr_deadline_ms = -1;
}

static void
test_msg_request_field_order(void **state)
{
	struct msg_request	 r;
	json_t			*meta, *body;
	char			*s;

	(void)state;
	request_init(&r, "get");
	r.mr_id = 18446744073709551615ULL;
	r.mr_request_id = "rq-1";
	r.mr_traceparent = "00-abc-def-01";
	r.mr_deadline_ms = 30000;
	meta = json_pack("{s:s, s:i}", "job", "j1", "n", 2);
	r.mr_resource_meta = meta;
	assert_non_null(s = encode_request(&r));
	assert_string_equal(s, "{\"id\":18446744073709551615,\"op\":\"get\","
	    "\"task_type\":\"echo\",\"version\":\"v1\",\"request_id\":\"rq-1\","
	    "\"traceparent\":\"00-abc-def-01\",\"deadline_ms\":30000,"
	    "\"resource_meta\":{\"job\":\"j1\",\"n\":2}}\n");
	free(s);
	/* a create: the body's members follow, in their order */
	request_init(&r, "create");
	r.mr_request_id = "rq-2";
	r.mr_deadline_ms = 0;
	body = json_loads("{\"task_template\": {\"type\": \"echo\"}, "
	    "\"inputs\": {\"x\": [1, 2.5, null, true]}, \"output_prefix\": "
	    "\"s3://b\"}", 0, NULL);
	r.mr_body = body;
	assert_non_null(s = encode_request(&r));
	assert_string_equal(s, "{\"id\":7,\"op\":\"create\",\"task_type\":"
	    "\"echo\",\"version\":\"v1\",\"request_id\":\"rq-2\","
	    "\"deadline_ms\":0,\"task_template\":{\"type\":\"echo\"},"
	    "\"inputs\":{\"x\":[1,2.5,null,true]},\"output_prefix\":"
	    "\"s3://b\"}\n");
	free(s);
	json_decref(body);
	json_decref(meta);
}

static void
test_msg_request_escapes_strings(void **state)
{
	struct msg_request	 r;
	json_t			*v;
	char			*s, err[256];

	(void)state;
	request_init(&r, "create");
	r.mr_task_type = "a\"b\\c";
	r.mr_request_id = "line\nbreak\ttab\x01\x1f";
	r.mr_traceparent = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /";
	assert_non_null(s = encode_request(&r));
	assert_string_equal(s, "{\"id\":7,\"op\":\"create\",\"task_type\":"
	    "\"a\\\"b\\\\c\",\"version\":\"v1\",\"request_id\":"
	    "\"line\\nbreak\\ttab\\u0001\\u001f\",\"traceparent\":"
	    "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /\"}\n");
	/* and jansson reads back what went in */
	assert_non_null(v = msg_decode(s, strlen(s), err, sizeof(err)));
	assert_string_equal(json_string_value(json_object_get(v,
	    "task_type")), "a\"b\\c");
	assert_string_equal(json_string_value(json_object_get(v,
	    "request_id")), "line\nbreak\ttab\x01\x1f");
	json_decref(v);
	free(s);
}

static void
test_msg_request_refuses_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\xff", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\x80", NULL
	};
	struct msg_request	 r;
	struct buf		 b = { 0 };
	size_t			 i;

	(void)state;
	assert_int_equal(buf_append(&b, "kept", 4), 0);
	for (i = 0; bad[i] != NULL; i++) {
		request_init(&r, "get");
		r.mr_traceparent = bad[i];
		if (msg_request_encode(&b, &r) != -1)
			fail_msg("encoded invalid UTF-8 #%zu", i);
		/* the buffer is left as it was */
		assert_int_equal(buf_pending(&b), 4);
		assert_memory_equal(b.buf_data + b.buf_off, "kept", 4);
	}
	/* missing required fields */
	request_init(&r, NULL);
	assert_int_equal(msg_request_encode(&b, &r), -1);
	request_init(&r, "get");
	r.mr_version = NULL;
	assert_int_equal(msg_request_encode(&b, &r), -1);
	assert_int_equal(buf_pending(&b), 4);
	buf_release(&b);
}

static void
test_msg_request_raw_splice(void **state)
{
	static const char raw[] = "\r\n  {\"task_template\":\n\t{\"type\":"
	    "\"echo\"},\r\n \"inputs\": {\"s\": \"a\\nb\"}}\n";
	struct msg_request	 r;
	struct buf		 b = { 0 };
	json_t			*v;
	char			*s, err[256];

	(void)state;
	request_init(&r, "create");
	r.mr_request_id = "rq";
	r.mr_raw = raw;
	r.mr_rawlen = sizeof(raw) - 1;
	assert_non_null(s = encode_request(&r));
	/* byte for byte, line breaks turned into spaces, one line */
	assert_string_equal(s, "{\"id\":7,\"op\":\"create\",\"task_type\":"
	    "\"echo\",\"version\":\"v1\",\"request_id\":\"rq\","
	    "\"task_template\": \t{\"type\":\"echo\"},   \"inputs\": "
	    "{\"s\": \"a\\nb\"}} \n");
	assert_ptr_equal(strchr(s, '\n'), s + strlen(s) - 1);
	assert_non_null(v = msg_decode(s, strlen(s), err, sizeof(err)));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    v, "inputs"), "s")), "a\nb");
	json_decref(v);
	free(s);
	/* a raw text with no object is refused, the buffer as it was */
	r.mr_raw = "  ";
	r.mr_rawlen = 2;
	assert_int_equal(msg_request_encode(&b, &r), -1);
	assert_int_equal(buf_pending(&b), 0);
	buf_release(&b);
	/* mr_raw wins over mr_body */
	v = json_pack("{s:i}", "ignored", 1);
	r.mr_raw = "{\"a\":1}";
	r.mr_rawlen = 7;
	r.mr_body = v;
	assert_non_null(s = encode_request(&r));
	assert_null(strstr(s, "ignored"));
	assert_non_null(strstr(s, ",\"a\":1}\n"));
	free(s);
	json_decref(v);
}

static void
test_msg_request_empty_body(void **state)
{
	static const char *const empty[] = { "{}", " { } ", "{\r\n}\n", NULL };
	struct msg_request	 r;
	json_t			*body, *v;
	char			*s, err[256];
	size_t			 i;

	(void)state;
	for (i = 0; empty[i] != NULL; i++) {
		request_init(&r, "create");
		r.mr_raw = empty[i];
		r.mr_rawlen = strlen(empty[i]);
		assert_non_null(s = encode_request(&r));
		assert_string_equal(s, "{\"id\":7,\"op\":\"create\","
		    "\"task_type\":\"echo\",\"version\":\"v1\"}\n");
		assert_non_null(v = msg_decode(s, strlen(s), err,
		    sizeof(err)));
		json_decref(v);
		free(s);
	}
	request_init(&r, "create");
	body = json_object();
	r.mr_body = body;
	assert_non_null(s = encode_request(&r));
	assert_string_equal(s, "{\"id\":7,\"op\":\"create\",\"task_type\":"
	    "\"echo\",\"version\":\"v1\"}\n");
	free(s);
	json_decref(body);
	/* no body at all */
	request_init(&r, "delete");
	assert_non_null(s = encode_request(&r));
	assert_string_equal(s, "{\"id\":7,\"op\":\"delete\",\"task_type\":"
	    "\"echo\",\"version\":\"v1\"}\n");
	free(s);
}

static void
test_msg_request_reserved_names(void **state)
{
	static const char *const names[] = { "id", "op", "task_type",
	    "version", "request_id", "traceparent", "deadline_ms",
	    "resource_meta", NULL };
	struct msg_request	 r;
	json_t			*body, *v;
	char			*s, err[256];
	size_t			 i;

	(void)state;
	body = json_pack("{s:{}, s:{}}", "task_template", "inputs");
	assert_int_equal(msg_request_reserved(body), 0);
	assert_int_equal(msg_request_reserved(NULL), 0);
	for (i = 0; names[i] != NULL; i++) {
		json_object_set_new(body, names[i], json_string("client"));
		if (msg_request_reserved(body) != 1)
			fail_msg("%s is not reserved", names[i]);
		json_object_del(body, names[i]);
	}
	json_object_set_new(body, "identity", json_string("not reserved"));
	assert_int_equal(msg_request_reserved(body), 0);
	/* encoding from mr_body: the daemon's fields win */
	for (i = 0; names[i] != NULL; i++)
		json_object_set_new(body, names[i], json_string("client"));
	request_init(&r, "create");
	r.mr_body = body;
	assert_non_null(s = encode_request(&r));
	assert_string_equal(s, "{\"id\":7,\"op\":\"create\",\"task_type\":"
	    "\"echo\",\"version\":\"v1\",\"task_template\":{},\"inputs\":{},"
	    "\"identity\":\"not reserved\"}\n");
	assert_non_null(v = msg_decode(s, strlen(s), err, sizeof(err)));
	json_decref(v);
	free(s);
	json_decref(body);
}

static void
test_msg_request_deadline_left_out(void **state)
{
	struct msg_request	 r;
	char			*s;

	(void)state;
	request_init(&r, "get");
	r.mr_deadline_ms = -1;
	assert_non_null(s = encode_request(&r));
	assert_null(strstr(s, "deadline_ms"));
	assert_null(strstr(s, "request_id"));
	assert_null(strstr(s, "traceparent"));
	assert_null(strstr(s, "resource_meta"));
	free(s);
	r.mr_deadline_ms = 1;
	assert_non_null(s = encode_request(&r));
	assert_non_null(strstr(s, ",\"deadline_ms\":1}"));
	free(s);
}

static void
test_msg_request_appends_to_a_queue(void **state)
{
	static const char last[] = "{\"id\":99,\"op\":\"get\",\"task_type\":"
	    "\"echo\",\"version\":\"v1\",\"resource_meta\":\"m\"}\n";
	struct msg_request	 r;
	struct buf		 b = { 0 };
	int			 i;

	(void)state;
	request_init(&r, "get");
	r.mr_resource_meta = json_string("m");
	for (i = 0; i < 100; i++) {
		r.mr_id = (uint64_t)i;
		assert_int_equal(msg_request_encode(&b, &r), 0);
		if (i % 3 == 0)
			buf_consume(&b, buf_pending(&b) / 2);
	}
	assert_int_equal(b.buf_data[b.buf_len - 1], '\n');
	assert_non_null(memmem(b.buf_data + b.buf_off, buf_pending(&b),
	    last, strlen(last)));
	json_decref(r.mr_resource_meta);
	buf_release(&b);
}

static void
test_msg_request_parse_round_trip(void **state)
{
	struct msg_request	 r, p;
	json_t			*meta, *body, *v;
	char			*s, err[256];

	(void)state;
	request_init(&r, "get");
	r.mr_id = 42;
	r.mr_request_id = "rq-\"7\"";
	r.mr_traceparent = "tp";
	r.mr_deadline_ms = 1500;
	meta = json_pack("{s:[i,i]}", "k", 1, 2);
	r.mr_resource_meta = meta;
	assert_non_null(s = encode_request(&r));
	assert_non_null(v = msg_decode(s, strlen(s), err, sizeof(err)));
	assert_int_equal(msg_request_parse(v, &p, err, sizeof(err)), 0);
	assert_true(p.mr_id == 42);
	assert_string_equal(p.mr_op, "get");
	assert_string_equal(p.mr_task_type, "echo");
	assert_string_equal(p.mr_version, "v1");
	assert_string_equal(p.mr_request_id, "rq-\"7\"");
	assert_string_equal(p.mr_traceparent, "tp");
	assert_int_equal(p.mr_deadline_ms, 1500);
	assert_true(json_equal(p.mr_resource_meta, meta));
	assert_ptr_equal(p.mr_body, v);
	assert_null(p.mr_raw);
	json_decref(v);
	free(s);
	json_decref(meta);
	/* a create with a body; the optional fields absent */
	request_init(&r, "create");
	body = json_pack("{s:{s:s}}", "task_template", "type", "echo");
	r.mr_body = body;
	assert_non_null(s = encode_request(&r));
	assert_non_null(v = msg_decode(s, strlen(s), err, sizeof(err)));
	assert_int_equal(msg_request_parse(v, &p, err, sizeof(err)), 0);
	assert_null(p.mr_request_id);
	assert_null(p.mr_traceparent);
	assert_null(p.mr_resource_meta);
	assert_true(p.mr_deadline_ms < 0);
	assert_true(json_equal(json_object_get(p.mr_body, "task_template"),
	    json_object_get(body, "task_template")));
	json_decref(v);
	free(s);
	json_decref(body);
}

static void
test_msg_request_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"op\":\"get\",\"task_type\":\"t\",\"version\":\"v1\","
		    "\"resource_meta\":1}",
		"{\"id\":-1,\"op\":\"create\",\"task_type\":\"t\","
		    "\"version\":\"v1\"}",
		"{\"id\":1,\"task_type\":\"t\",\"version\":\"v1\"}",
		"{\"id\":1,\"op\":7,\"task_type\":\"t\",\"version\":\"v1\"}",
		"{\"id\":1,\"op\":\"create\",\"version\":\"v1\"}",
		"{\"id\":1,\"op\":\"create\",\"task_type\":\"t\"}",
		"{\"id\":1,\"op\":\"create\",\"task_type\":\"t\","
		    "\"version\":\"v1\",\"request_id\":5}",
		"{\"id\":1,\"op\":\"create\",\"task_type\":\"t\","
		    "\"version\":\"v1\",\"traceparent\":null}",
		"{\"id\":1,\"op\":\"create\",\"task_type\":\"t\","
		    "\"version\":\"v1\",\"deadline_ms\":-5}",
		"{\"id\":1,\"op\":\"create\",\"task_type\":\"t\","
		    "\"version\":\"v1\",\"deadline_ms\":1.5}",
		"{\"id\":1,\"op\":\"get\",\"task_type\":\"t\","
		    "\"version\":\"v1\"}",
		"{\"id\":1,\"op\":\"delete\",\"task_type\":\"t\","
		    "\"version\":\"v1\"}",
		NULL
	};
	struct msg_request	 p;
	json_t			*v;
	char			 err[256];
	size_t			 i;

	(void)state;
	for (i = 0; bad[i] != NULL; i++) {
		assert_non_null(v = decode(bad[i]));
		err[0] = '\0';
		if (msg_request_parse(v, &p, err, sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i]);
		assert_true(err[0] != '\0');
		json_decref(v);
	}
	/* an op this side does not know is the worker's to answer */
	assert_non_null(v = decode("{\"id\":3,\"op\":\"logs\",\"task_type\":"
	    "\"t\",\"version\":\"v2\"}"));
	assert_int_equal(msg_request_parse(v, &p, err, sizeof(err)), 0);
	assert_string_equal(p.mr_op, "logs");
	json_decref(v);
}

static void
test_msg_serves(void **state)
{
	json_t	*tt;

	(void)state;
	tt = json_loads("[{\"type\": \"echo\", \"versions\": [\"v1\", "
	    "\"v2\"]}, {\"type\": \"plain\"}, {\"type\": \"v3only\", "
	    "\"versions\": [\"v3\"]}]", 0, NULL);
	assert_non_null(tt);
	assert_int_equal(msg_serves(tt, "echo", "v1"), 1);
	assert_int_equal(msg_serves(tt, "echo", "v2"), 1);
	assert_int_equal(msg_serves(tt, "echo", "v3"), 0);
	assert_int_equal(msg_serves(tt, "echo", NULL), 1);
	/* no "versions": v1 only */
	assert_int_equal(msg_serves(tt, "plain", "v1"), 1);
	assert_int_equal(msg_serves(tt, "plain", "v2"), 0);
	assert_int_equal(msg_serves(tt, "plain", NULL), 1);
	assert_int_equal(msg_serves(tt, "v3only", "v1"), 0);
	assert_int_equal(msg_serves(tt, "v3only", "v3"), 1);
	/* names are exact: no prefix, no case folding */
	assert_int_equal(msg_serves(tt, "ech", "v1"), 0);
	assert_int_equal(msg_serves(tt, "ECHO", "v1"), 0);
	assert_int_equal(msg_serves(tt, "echo", "V1"), 0);
	assert_int_equal(msg_serves(tt, "nothing", NULL), 0);
	json_decref(tt);
	/* no list, an empty list, malformed entries: nothing served */
	assert_int_equal(msg_serves(NULL, "echo", "v1"), 0);
	tt = json_array();
	assert_int_equal(msg_serves(tt, "echo", NULL), 0);
	json_decref(tt);
	tt = json_loads("[{\"type\": 1}, {\"versions\": [\"v1\"]}, "
	    "{\"type\": \"x\", \"versions\": [2]}, 5]", 0, NULL);
	assert_non_null(tt);
	assert_int_equal(msg_serves(tt, "x", "v1"), 0);
	assert_int_equal(msg_serves(tt, "x", NULL), 1);
	json_decref(tt);
}

/* A JSON text of depth n: n nested arrays around a 1. */
static char *
nested_arrays(int n)
{
	char	*s;
	int	 i;

	s = malloc((size_t)n * 2 + 2);
	assert_non_null(s);
	for (i = 0; i < n; i++)
		s[i] = '[';
	s[n] = '1';
	for (i = 0; i < n; i++)
		s[n + 1 + i] = ']';
	s[2 * n + 1] = '\0';
	return s;
}

static int
limits_ok(const char *text, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*v;
	int		 rv;

	v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(v);
	rv = msg_limits_check(v, err, errlen);
	json_decref(v);
	return rv;
}

static void
test_msg_limits_depth_64_passes_65_refused(void **state)
{
	char	 err[256] = "", *s;

	(void)state;
	s = nested_arrays(MSG_MAX_DEPTH);
	assert_int_equal(limits_ok(s, err, sizeof(err)), 0);
	free(s);
	s = nested_arrays(MSG_MAX_DEPTH + 1);
	assert_int_equal(limits_ok(s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "max_depth"));
	free(s);
	/* The outermost object counts: {"a": [[...]]} with 64 arrays is 65. */
	s = nested_arrays(MSG_MAX_DEPTH);
	{
		char	*o;

		o = malloc(strlen(s) + 16);
		assert_non_null(o);
		sprintf(o, "{\"a\": %s}", s);
		assert_int_equal(limits_ok(o, err, sizeof(err)), -1);
		free(o);
	}
	free(s);
}

static void
test_msg_limits_string_size(void **state)
{
	char	 err[256] = "";
	char	*big;
	json_t	*v;

	(void)state;
	big = malloc(MSG_MAX_STRING + 2);
	assert_non_null(big);
	memset(big, 'x', MSG_MAX_STRING + 1);
	big[MSG_MAX_STRING + 1] = '\0';
	v = json_pack("{s:s}", "a", big);
	assert_int_equal(msg_limits_check(v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "max_string_bytes"));
	json_decref(v);
	/* the same as a member name */
	v = json_object();
	json_object_set_new(v, big, json_true());
	assert_int_equal(msg_limits_check(v, err, sizeof(err)), -1);
	json_decref(v);
	big[MSG_MAX_STRING] = '\0';
	v = json_pack("{s:s}", "a", big);
	assert_int_equal(msg_limits_check(v, err, sizeof(err)), 0);
	json_decref(v);
	free(big);
}

static void
test_msg_limits_numbers_and_parse_rules(void **state)
{
	char		 err[256] = "";
	json_error_t	 jerr;
	json_t		*v;

	(void)state;
	assert_int_equal(limits_ok("{\"a\": 9223372036854775807, "
	    "\"b\": 1.5e308, \"c\": -0.0}", err, sizeof(err)), 0);
	/* Huge numbers, duplicates and invalid UTF-8 fail the parse itself. */
	assert_null(json_loads("{\"a\": 9223372036854775808}",
	    JSON_REJECT_DUPLICATES, &jerr));
	assert_null(json_loads("{\"a\": 1e400}", JSON_REJECT_DUPLICATES,
	    &jerr));
	assert_null(json_loads("{\"a\": 1, \"a\": 2}", JSON_REJECT_DUPLICATES,
	    &jerr));
	assert_null(json_loads("{\"a\": \"\xc3\x28\"}", JSON_REJECT_DUPLICATES,
	    &jerr));
	v = json_real(1.0);
	assert_int_equal(msg_limits_check(v, err, sizeof(err)), 0);
	json_decref(v);
	assert_int_equal(msg_limits_check(NULL, err, sizeof(err)), -1);
}

static void
test_msg_line_id_finds_the_top_level_id(void **state)
{
	uint64_t	 id = 0;
	char		*deep, *line;

	(void)state;
	assert_int_equal(msg_line_id("{\"id\": 7, \"x\": 1}", 17, &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(msg_line_id(" {\"x\":{\"id\":1},\"id\" : 42}", 26,
	    &id), 0);
	assert_int_equal(id, 42);
	/* a line too deep for any parser still has its id found */
	deep = nested_arrays(100000);
	line = malloc(strlen(deep) + 32);
	assert_non_null(line);
	sprintf(line, "{\"a\":%s,\"id\":9}", deep);
	assert_int_equal(msg_line_id(line, strlen(line), &id), 0);
	assert_int_equal(id, 9);
	free(line);
	free(deep);
	/* invalid UTF-8 in a string around it */
	assert_int_equal(msg_line_id("{\"s\":\"\xff\\\"\",\"id\":3}", 19, &id),
	    0);
	assert_int_equal(id, 3);
}

static void
test_msg_line_id_refuses_what_is_not_one_id(void **state)
{
	static const char *const bad[] = {
		"[{\"id\": 1}]",
		"{\"x\": {\"id\": 1}}",
		"{\"id\": -1}",
		"{\"id\": 1.5}",
		"{\"id\": \"1\"}",
		"{\"id\": 01}",
		"{\"id\": 9223372036854775808}",
		"{\"id\": 1, \"id\": 2}",
		"{\"id\" 1}",
		"{\"id",
		"",
	};
	uint64_t	 id;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(msg_line_id(bad[i], strlen(bad[i]), &id), -1);
}

/* buf_puts and buf_put_uint: the pieces of the hot-path writers. */
static void
test_buf_puts_and_put_uint(void **state)
{
	struct buf	 b = { 0 };

	(void)state;
	assert_int_equal(buf_puts(&b, "n="), 0);
	assert_int_equal(buf_put_uint(&b, 0, 0), 0);
	assert_int_equal(buf_puts(&b, ","), 0);
	assert_int_equal(buf_put_uint(&b, 18446744073709551615ULL, 0), 0);
	assert_int_equal(buf_puts(&b, ","), 0);
	assert_int_equal(buf_put_uint(&b, 9223372036854775808ULL, 1), 0);
	assert_int_equal(buf_puts(&b, ""), 0);
	assert_int_equal(b.buf_len, strlen("n=0,18446744073709551615,"
	    "-9223372036854775808"));
	assert_memory_equal(b.buf_data, "n=0,18446744073709551615,"
	    "-9223372036854775808", b.buf_len);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_puts_and_put_uint),
		cmocka_unit_test(test_msg_decode_valid_object),
		cmocka_unit_test(test_msg_decode_rejects_bad_input),
		cmocka_unit_test(test_msg_decode_rejects_deep_nesting),
		cmocka_unit_test(test_msg_decode_accepts_moderate_nesting),
		cmocka_unit_test(test_msg_encode_one_line),
		cmocka_unit_test(test_msg_encode_round_trip),
		cmocka_unit_test(test_msg_hello_good),
		cmocka_unit_test(test_msg_hello_minimal_defaults),
		cmocka_unit_test(test_msg_hello_rejects),
		cmocka_unit_test(test_msg_hello_new_parses_back),
		cmocka_unit_test(test_msg_hello_ops_declared_or_not),
		cmocka_unit_test(test_msg_id),
		cmocka_unit_test(test_msg_error_status_mapping),
		cmocka_unit_test(test_msg_request_field_order),
		cmocka_unit_test(test_msg_request_escapes_strings),
		cmocka_unit_test(test_msg_request_refuses_invalid_utf8),
		cmocka_unit_test(test_msg_request_raw_splice),
		cmocka_unit_test(test_msg_request_empty_body),
		cmocka_unit_test(test_msg_request_reserved_names),
		cmocka_unit_test(test_msg_request_deadline_left_out),
		cmocka_unit_test(test_msg_request_appends_to_a_queue),
		cmocka_unit_test(test_msg_request_parse_round_trip),
		cmocka_unit_test(test_msg_request_parse_rejects),
		cmocka_unit_test(test_msg_serves),
		cmocka_unit_test(test_msg_limits_depth_64_passes_65_refused),
		cmocka_unit_test(test_msg_limits_string_size),
		cmocka_unit_test(test_msg_limits_numbers_and_parse_rules),
		cmocka_unit_test(test_msg_line_id_finds_the_top_level_id),
		cmocka_unit_test(test_msg_line_id_refuses_what_is_not_one_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
