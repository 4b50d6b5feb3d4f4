/*
 * Unit tests of the yajl-based reader (protocol/jscan.c): what it proves
 * and reports of the top level; what it leaves to jansson (duplicate names
 * at any depth, UTF-8 jansson refuses, U+0000, surrogate escapes, the white
 * space only yajl allows, deep nesting, long numbers, trailing bytes); and,
 * on many mutations of a Flyte-shaped body, that whatever it proves jansson
 * accepts with JSON_REJECT_DUPLICATES and that the tree jscan_load builds
 * is jansson's (json_equal, with every integer an integer and every real a
 * real).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nebula-protocol.h"
#include "jsame.h"

static const char flyte[] =
    "{\"task_template\":{\"id\":{\"resource_type\":\"TASK\",\"project\":"
    "\"p\",\"name\":\"q\"},\"type\":\"bigquery\",\"interface\":{\"inputs\":"
    "{\"variables\":{\"a\":{\"type\":{\"simple\":\"INTEGER\"}},\"b\":"
    "{\"type\":{\"simple\":\"FLOAT\"}}}}},\"custom\":{\"QueryTemplate\":"
    "\"SELECT * FROM t\\nWHERE x = @a -- caf\xc3\xa9 \\u00e9\\t\\\"q\\\"\","
    "\"n\":[1,-0,2.5e-3,1E+2,true,false,null,[],{}]}},\"inputs\":"
    "{\"literals\":{\"a\":{\"scalar\":{\"primitive\":{\"integer\":\"3\"}}},"
    "\"b\":{\"scalar\":{\"primitive\":{\"float_value\":0.25}}}}},"
    "\"output_prefix\":\"s3://b/p\",\"task_execution_metadata\":{\"labels\":"
    "{\"team\":\"data\"},\"annotations\":{\"a/b\":\"c\"}}}";

static int
reserved(const char *s, size_t len)
{
	return len == 2 && memcmp(s, "id", 2) == 0;
}

static int
proof(const char *s, size_t len, struct jscan_top *top)
{
	top->jt_want = "task_template";
	top->jt_reserved = reserved;
	return jscan_proof(s, len, MSG_MAX_DEPTH, top);
}

static int
proved(const char *s)
{
	struct jscan_top	 top;

	return proof(s, strlen(s), &top) == 0;
}

static int
jansson_accepts(const char *s, size_t len)
{
	json_t		*j;
	json_error_t	 e;

	if ((j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &e)) == NULL)
		return 0;
	json_decref(j);
	return 1;
}

static void
test_proves_flyte_body_and_reports_its_top(void **state)
{
	struct jscan_top	 top;

	(void)state;
	assert_int_equal(proof(flyte, strlen(flyte), &top), 0);
	assert_true(top.jt_found);
	assert_false(top.jt_has_reserved);
	assert_true(jansson_accepts(flyte, strlen(flyte)));
	assert_true(proved(" \r\n\t{} \n"));
	assert_true(proved("{\"a\":{\"b\":1},\"c\":{\"b\":2}}"));
	assert_true(proved("{\"\":0,\"x\":\"\\ud7ff\\ue000\\uffff\"}"));
	/* The member must be an object, and only at the top. */
	assert_int_equal(proof("{\"task_template\":[]}", 20, &top), 0);
	assert_false(top.jt_found);
	assert_int_equal(proof("{\"x\":{\"task_template\":{}}}", 26, &top), 0);
	assert_false(top.jt_found);
	/* A reserved name at the top is reported; deeper ones are not. */
	assert_int_equal(proof("{\"id\":1}", 8, &top), 0);
	assert_true(top.jt_has_reserved);
	assert_int_equal(proof("{\"x\":{\"id\":1}}", 14, &top), 0);
	assert_false(top.jt_has_reserved);
}

static void
test_leaves_what_jansson_refuses_or_reads_otherwise(void **state)
{
	static const char *const left[] = {
		"", "[]", "\"s\"", "1", "{", "{}x", "{}{}", "{} 1",
		"{\"a\":1,\"a\":2}",			/* duplicate */
		"{\"x\":{\"a\":1,\"b\":[{\"c\":1,\"c\":2}]}}",	/* deep dup */
		"{\"a\":1,\"\\u0061\":2}",		/* escaped duplicate */
		"{\"a\":\"\\u0000\"}",			/* U+0000 */
		"{\"a\\u0000\":1}",
		"{\"a\":\"\\ud83d\\ude00\"}",		/* surrogates: jansson */
		"{\"a\":\"\\ud83d\"}",
		"{\"a\":\"\\uDC00\"}",
		"{\"a\":\"\xc3\"}",			/* cut UTF-8 */
		"{\"a\":\"\xc0\xaf\"}",			/* overlong */
		"{\"a\":\"\xe0\x80\xaf\"}",
		"{\"a\":\"\xed\xa0\x80\"}",		/* surrogate */
		"{\"a\":\"\xf4\x90\x80\x80\"}",		/* past U+10FFFF */
		"{\"a\":\"\xff\"}",
		"{\"a\":\"tab\there\"}",		/* control character */
		"{\"a\":1}\v", "\f{\"a\":1}",		/* yajl's white space */
		"{\"a\":\"\\x\"}",
		"{\"a\":1234567890123456789}",		/* past 18 digits */
		"{\"a\":1e400}",			/* strtod overflow */
		"{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":-}",
		"{\"a\":+1}", "{\"a\":1e}", "{\"a\":NaN}", "{\"a\":tru}",
		"{\"a\":truex}", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{'a':1}",
		"{\"a\":[1,]}", "{\"a\":[1 2]}", "\xef\xbb\xbf{}",
		"{\"a\":1}/* c */", "{\"a\":1,// c\n\"b\":2}",
	};
	struct jscan_top	 top = { 0 };
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		if (proved(left[i]))
			fail_msg("proved: %s", left[i]);
		if (jscan_load(left[i], strlen(left[i]), MSG_MAX_DEPTH, NULL) != NULL)
			fail_msg("built: %s", left[i]);
	}
	assert_int_equal(jscan_proof("{}\0", 3, MSG_MAX_DEPTH, &top), -1);
	assert_null(jscan_load("{}\0", 3, MSG_MAX_DEPTH, NULL));
}

/* {"a":[[...]]} with depth arrays: the object and the arrays nest. */
static size_t
nest(char *buf, size_t depth)
{
	size_t	 i, len = 0;

	memcpy(buf, "{\"a\":", 5);
	len = 5;
	for (i = 0; i < depth; i++)
		buf[len++] = '[';
	for (i = 0; i < depth; i++)
		buf[len++] = ']';
	buf[len++] = '}';
	buf[len] = '\0';
	return len;
}

static void
test_leaves_deep_nesting_and_large_objects(void **state)
{
	char	 deep[2 * MSG_MAX_DEPTH + 16], big[300 * 16 + 16];
	size_t	 i, len;
	json_t	*j;

	(void)state;
	len = nest(deep, MSG_MAX_DEPTH);
	assert_false(proved(deep));
	assert_null(jscan_load(deep, len, MSG_MAX_DEPTH, NULL));
	assert_true(jansson_accepts(deep, len));
	len = nest(deep, MSG_MAX_DEPTH - 1);
	assert_true(proved(deep));
	j = jscan_load(deep, len, MSG_MAX_DEPTH, NULL);
	assert_non_null(j);
	json_decref(j);
	/* 300 members in one object: the proof leaves it to jansson. */
	len = 0;
	big[len++] = '{';
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len,
		    "%s\"k%zu\":0", i ? "," : "", i);
	big[len++] = '}';
	big[len] = '\0';
	assert_false(proved(big));
	j = jscan_load(big, len, MSG_MAX_DEPTH, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 300);
	json_decref(j);
}

/* The same members in the same order (jansson keeps insertion order). */
static int
same_order(json_t *a, json_t *b)
{
	void	*ia, *ib;

	for (ia = json_object_iter(a), ib = json_object_iter(b);
	    ia != NULL && ib != NULL; ia = json_object_iter_next(a, ia),
	    ib = json_object_iter_next(b, ib))
		if (strcmp(json_object_iter_key(ia),
		    json_object_iter_key(ib)) != 0)
			return 0;
	return ia == NULL && ib == NULL;
}

static void
test_load_builds_what_jansson_builds(void **state)
{
	json_t		*a, *b;
	json_error_t	 e;

	(void)state;
	a = jscan_load(flyte, strlen(flyte), MSG_MAX_DEPTH, NULL);
	b = json_loads(flyte, JSON_REJECT_DUPLICATES, &e);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(jsame(a, b));
	assert_true(same_order(a, b));
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(a, "task_template"), "custom"), "QueryTemplate")),
	    "SELECT * FROM t\nWHERE x = @a -- caf\xc3\xa9 \xc3\xa9\t\"q\"");
	json_decref(a);
	json_decref(b);
}

static json_t *
load(const char *s, struct jscan_raw *raw)
{
	return jscan_load(s, strlen(s), MSG_MAX_DEPTH, raw);
}

/* A member left as text: its exact bytes, null in the tree, rules kept. */
static void
test_load_leaves_a_member_as_text(void **state)
{
	static const char line[] = "{\"id\":7, \"resource_meta\" : { \"q\":"
	    "\"}{\\\"\" , \"n\":[1,{\"a\":2}]} ,\"x\":1}";
	struct jscan_raw	 raw = { .jr_name = "resource_meta" };
	json_t			*j, *meta;

	(void)state;
	j = load(line, &raw);
	assert_non_null(j);
	assert_non_null(raw.jr_text);
	assert_int_equal(raw.jr_len, 31);
	assert_memory_equal(raw.jr_text, "{ \"q\":\"}{\\\"\" , \"n\":[1,{"
	    "\"a\":2}]}", 31);
	assert_true(json_is_null(json_object_get(j, "resource_meta")));
	assert_int_equal(json_integer_value(json_object_get(j, "x")), 1);
	meta = json_loadb(raw.jr_text, raw.jr_len, 0, NULL);
	assert_non_null(meta);
	json_decref(meta);
	json_decref(j);
	/* An array too; a scalar is built as usual. */
	j = load("{\"resource_meta\":[1]}", &raw);
	assert_non_null(j);
	assert_int_equal(raw.jr_len, 3);
	json_decref(j);
	j = load("{\"resource_meta\":\"s\"}", &raw);
	assert_non_null(j);
	assert_null(raw.jr_text);
	assert_string_equal(json_string_value(json_object_get(j,
	    "resource_meta")), "s");
	json_decref(j);
	/* Only at the top; and a duplicate inside is still found. */
	j = load("{\"x\":{\"resource_meta\":{}}}", &raw);
	assert_non_null(j);
	assert_null(raw.jr_text);
	json_decref(j);
	assert_null(load("{\"resource_meta\":{\"a\":1,\"a\":2}}", &raw));
	assert_null(raw.jr_text);
}

/*
 * Whatever it proves or builds, jansson accepts and builds the same way:
 * every byte of the body replaced, removed or doubled, and random bytes, at
 * random places.
 */
static void
test_mutations_are_read_as_jansson_reads_them(void **state)
{
	static const unsigned char pool[] = "{}[]\":,\\u0aAeEdD.-+ \n\v\xc3\xa9"
	    "\xed\xff\x80tfn1";
	struct jscan_top	 top;
	char			 buf[sizeof(flyte) + 8];
	size_t			 len, i, at, nproved = 0;
	struct jscan_raw	 raw = { .jr_name = "task_template" };
	json_t			*j, *built, *tt, *part;
	json_error_t		 e;
	int			 round, ok;

	(void)state;
	srand(15);
	for (round = 0; round < 60000; round++) {
		memcpy(buf, flyte, sizeof(flyte));
		len = sizeof(flyte) - 1;
		for (i = 0; i < 1 + (size_t)(round % 3); i++) {
			at = (size_t)rand() % len;
			switch (rand() % 3) {
			case 0:
				buf[at] = (char)pool[(size_t)rand() %
				    (sizeof(pool) - 1)];
				break;
			case 1:
				memmove(buf + at, buf + at + 1, len - at);
				len--;
				break;
			default:
				memmove(buf + at + 1, buf + at, len - at + 1);
				len++;
				break;
			}
		}
		ok = proof(buf, len, &top) == 0;
		built = jscan_load(buf, len, MSG_MAX_DEPTH, NULL);
		if (ok != (built != NULL))
			fail_msg("proved %d, built %d: %.*s", ok,
			    built != NULL, (int)len, buf);
		if (!ok)
			continue;
		nproved++;
		j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &e);
		if (j == NULL)
			fail_msg("proved, jansson refuses (%s): %.*s", e.text,
			    (int)len, buf);
		tt = json_object_get(j, "task_template");
		assert_int_equal(top.jt_found, json_is_object(tt));
		assert_int_equal(top.jt_has_reserved,
		    json_object_get(j, "id") != NULL);
		if (!jsame(built, j) || !same_order(built, j))
			fail_msg("built otherwise than jansson: %.*s", (int)len,
			    buf);
		json_decref(built);
		/* Left as text, the member reads as jansson's member. */
		built = jscan_load(buf, len, MSG_MAX_DEPTH, &raw);
		assert_non_null(built);
		if (json_is_object(tt) || json_is_array(tt)) {
			assert_non_null(raw.jr_text);
			part = json_loadb(raw.jr_text, raw.jr_len, 0, NULL);
			if (!jsame(part, tt))
				fail_msg("text otherwise than jansson: %.*s",
				    (int)len, buf);
			json_decref(part);
		} else
			assert_null(raw.jr_text);
		json_decref(built);
		json_decref(j);
	}
	/* The test means something only if many mutants were proved. */
	assert_true(nproved > 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proves_flyte_body_and_reports_its_top),
		cmocka_unit_test(
		    test_leaves_what_jansson_refuses_or_reads_otherwise),
		cmocka_unit_test(test_leaves_deep_nesting_and_large_objects),
		cmocka_unit_test(test_load_builds_what_jansson_builds),
		cmocka_unit_test(test_load_leaves_a_member_as_text),
		cmocka_unit_test(test_mutations_are_read_as_jansson_reads_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
