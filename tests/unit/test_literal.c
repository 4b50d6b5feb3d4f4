/*
 * Unit tests of the typed outputs codec (protocol/literal.c): plain JSON to
 * Flyte's LiteralMap in protojson with proto field names and back, and the
 * rule that tells a LiteralMap from plain outputs.
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
parse(const char *s)
{
	json_t		*v;
	json_error_t	 err;

	v = json_loads(s, JSON_DECODE_ANY, &err);
	if (v == NULL)
		fail_msg("bad test JSON %s: %s", s, err.text);
	return v;
}

/* Asserts that a and b are equal JSON, printing both when not. */
static void
assert_json(json_t *got, const char *want)
{
	json_t	*w = parse(want);
	char	*s;

	if (got == NULL)
		fail_msg("got NULL, want %s", want);
	if (!json_equal(got, w)) {
		s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got %s, want %s", s, want);
	}
	json_decref(w);
}

static void
test_literal_from_plain_scalars(void **state)
{
	json_t	*p, *m;

	(void)state;
	p = parse("{\"n\": 3, \"big\": -9223372036854775807, \"x\": 1.5,"
	    " \"s\": \"hi\", \"t\": true, \"f\": false, \"z\": null}");
	m = literal_map_from_plain(p);
	assert_json(m, "{\"literals\": {"
	    "\"n\": {\"scalar\": {\"primitive\": {\"integer\": \"3\"}}},"
	    "\"big\": {\"scalar\": {\"primitive\": {\"integer\":"
	    " \"-9223372036854775807\"}}},"
	    "\"x\": {\"scalar\": {\"primitive\": {\"float_value\": 1.5}}},"
	    "\"s\": {\"scalar\": {\"primitive\": {\"string_value\": \"hi\"}}},"
	    "\"t\": {\"scalar\": {\"primitive\": {\"boolean\": true}}},"
	    "\"f\": {\"scalar\": {\"primitive\": {\"boolean\": false}}},"
	    "\"z\": {\"scalar\": {\"none_type\": {}}}}}");
	assert_true(literal_map_is(m));
	json_decref(m);
	json_decref(p);
}

static void
test_literal_from_plain_lists_and_objects(void **state)
{
	json_t	*p, *m;

	(void)state;
	p = parse("{\"l\": [1, [\"a\"], []], \"o\": {\"k\": [1, {\"j\": null}]}}");
	m = literal_map_from_plain(p);
	assert_json(m, "{\"literals\": {"
	    "\"l\": {\"collection\": {\"literals\": ["
	    "{\"scalar\": {\"primitive\": {\"integer\": \"1\"}}},"
	    "{\"collection\": {\"literals\": [{\"scalar\": {\"primitive\":"
	    " {\"string_value\": \"a\"}}}]}},"
	    "{\"collection\": {\"literals\": []}}]}},"
	    "\"o\": {\"scalar\": {\"generic\": {\"k\": [1, {\"j\": null}]}}}}}");
	/* The generic Struct is a copy: changing the input leaves it alone. */
	json_object_set_new(json_object_get(p, "o"), "k", json_null());
	assert_json(json_object_get(json_object_get(json_object_get(
	    json_object_get(json_object_get(m, "literals"), "o"), "scalar"),
	    "generic"), "k"), "[1, {\"j\": null}]");
	json_decref(m);
	json_decref(p);
}

static void
test_literal_from_plain_needs_an_object(void **state)
{
	json_t	*v, *m;

	(void)state;
	v = parse("[1, 2]");
	assert_null(literal_map_from_plain(v));
	json_decref(v);
	v = parse("3");
	assert_null(literal_map_from_plain(v));
	json_decref(v);
	assert_null(literal_map_from_plain(NULL));
	v = parse("{}");
	m = literal_map_from_plain(v);
	assert_json(m, "{\"literals\": {}}");
	json_decref(m);
	json_decref(v);
}

static void
test_literal_round_trip(void **state)
{
	const char	*cases[] = {
		"{}",
		"{\"n\": 3, \"x\": 0.25, \"s\": \"\", \"t\": true, \"z\": null}",
		"{\"l\": [[1, 2], [], [\"a\", null, false]], \"o\": {\"a\": {}}}",
		"{\"literals\": {\"n\": 1}}",
	};
	json_t		*p, *m, *back;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = parse(cases[i]);
		m = literal_map_from_plain(p);
		assert_non_null(m);
		back = literal_map_to_plain(m);
		assert_json(back, cases[i]);
		json_decref(back);
		json_decref(m);
		json_decref(p);
	}
}

static void
test_literal_to_plain_reads_what_flyte_writes(void **state)
{
	json_t	*m, *p;

	(void)state;
	/* json_name spellings, integers as numbers, nested maps, hashes,
	 * datasets and blobs by uri, unions by value. */
	m = parse("{\"literals\": {"
	    "\"a\": {\"scalar\": {\"primitive\": {\"floatValue\": \"2.5\"}}},"
	    "\"b\": {\"scalar\": {\"primitive\": {\"stringValue\": \"x\"}}},"
	    "\"c\": {\"scalar\": {\"primitive\": {\"integer\": 7}},"
	    " \"hash\": \"h\", \"metadata\": {\"k\": \"v\"}},"
	    "\"d\": {\"scalar\": {\"noneType\": {}}},"
	    "\"e\": {\"map\": {\"literals\": {\"f\": {\"scalar\":"
	    " {\"primitive\": {\"boolean\": true}}}}}},"
	    "\"g\": {\"map\": {}},"
	    "\"h\": {\"collection\": {}},"
	    "\"t\": {\"scalar\": {\"structured_dataset\":"
	    " {\"uri\": \"bq://p:d.t\"}}},"
	    "\"u\": {\"scalar\": {\"union\": {\"value\": {\"scalar\":"
	    " {\"primitive\": {\"integer\": \"-4\"}}}, \"type\": {}}}},"
	    "\"w\": {\"scalar\": {\"primitive\":"
	    " {\"datetime\": \"2024-01-01T00:00:00Z\"}}}}}");
	p = literal_map_to_plain(m);
	assert_json(p, "{\"a\": 2.5, \"b\": \"x\", \"c\": 7, \"d\": null,"
	    " \"e\": {\"f\": true}, \"g\": {}, \"h\": [], \"t\": \"bq://p:d.t\","
	    " \"u\": -4, \"w\": \"2024-01-01T00:00:00Z\"}");
	json_decref(p);
	json_decref(m);
}

static void
test_literal_to_plain_refuses(void **state)
{
	const char	*cases[] = {
		"{\"n\": 3}",				/* plain outputs */
		"{\"literals\": {\"n\": {\"scalar\": {\"primitive\":"
		    " {\"integer\": \"3x\"}}}}}",	/* not an int64 */
		"{\"literals\": {\"n\": {\"scalar\": {\"primitive\":"
		    " {\"integer\": \"99999999999999999999\"}}}}}",
		"{\"literals\": {\"n\": {\"scalar\": {\"primitive\":"
		    " {\"float_value\": \"NaN\"}}}}}",	/* no JSON form */
		"{\"literals\": {\"n\": {\"scalar\": {\"primitive\":"
		    " {\"integer\": \"1\", \"boolean\": true}}}}}",
		"{\"literals\": {\"n\": {\"scalar\": {\"binary\":"
		    " {\"value\": \"AA==\"}}}}}",	/* no plain form */
		"{\"literals\": {\"n\": {\"scalar\": {\"primitive\":"
		    " {\"boolean\": \"yes\"}}}}}",
		"{\"literals\": {\"n\": {\"collection\": {\"literals\":"
		    " [{\"x\": 1}]}}}}",		/* not a Literal inside */
	};
	json_t		*m;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = parse(cases[i]);
		if (literal_map_to_plain(m) != NULL)
			fail_msg("case %zu converted: %s", i, cases[i]);
		json_decref(m);
	}
	assert_null(literal_map_to_plain(NULL));
}

static void
test_literal_map_is_the_rule(void **state)
{
	const char	*yes[] = {
		"{\"literals\": {}}",
		"{\"literals\": {\"a\": {\"scalar\": {}}}}",
		"{\"literals\": {\"a\": {\"map\": {}, \"hash\": \"x\"}}}",
		"{\"literals\": {\"a\": {\"collection\": {\"literals\": []}}}}",
	};
	const char	*no[] = {
		"{}",
		"{\"literals\": 3}",
		"{\"literals\": []}",
		"{\"literals\": {\"a\": 1}}",
		"{\"literals\": {\"a\": {}}}",
		"{\"literals\": {\"a\": {\"scalar\": 1}}}",
		"{\"literals\": {\"a\": {\"scalar\": {}, \"map\": {}}}}",
		"{\"literals\": {\"a\": {\"scalar\": {}, \"other\": 1}}}",
		"{\"literals\": {}, \"more\": 1}",
		"[]",
		"\"literals\"",
	};
	json_t		*v;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = parse(yes[i]);
		if (!literal_map_is(v))
			fail_msg("not taken as a LiteralMap: %s", yes[i]);
		json_decref(v);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		v = parse(no[i]);
		if (literal_map_is(v))
			fail_msg("taken as a LiteralMap: %s", no[i]);
		json_decref(v);
	}
	assert_false(literal_map_is(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_literal_from_plain_scalars),
		cmocka_unit_test(test_literal_from_plain_lists_and_objects),
		cmocka_unit_test(test_literal_from_plain_needs_an_object),
		cmocka_unit_test(test_literal_round_trip),
		cmocka_unit_test(test_literal_to_plain_reads_what_flyte_writes),
		cmocka_unit_test(test_literal_to_plain_refuses),
		cmocka_unit_test(test_literal_map_is_the_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
