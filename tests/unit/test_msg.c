/*
 * Unit tests of the message codec (protocol/msg.c): what a decoded line
 * must be, how a message is encoded, the hello handshake, request ids and
 * the mapping of a worker's error codes onto HTTP statuses.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
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
		cmocka_unit_test(test_msg_id),
		cmocka_unit_test(test_msg_error_status_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
