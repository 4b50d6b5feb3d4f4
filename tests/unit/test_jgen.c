/*
 * Unit tests of the writer (protocol/jgen.c): what yajl's generator writes
 * of a jansson tree reads back as the same tree, types included (1.0 stays
 * a real, integers at both ends of 64 bits); strings with every character
 * JSON must escape and with a NUL; a string that is not UTF-8
 * or nesting past yajl's limit is refused with the buffer as it was, and
 * msg_encode then still writes the line through jansson.
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

static void
round_trip(json_t *v)
{
	struct buf	 b = { 0 };
	json_t		*back;
	json_error_t	 e;

	assert_int_equal(jgen_append(&b, v), 0);
	back = json_loadb(b.buf_data, b.buf_len, JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, &e);
	if (back == NULL)
		fail_msg("%s: %.*s", e.text, (int)b.buf_len, b.buf_data);
	assert_true(jsame(v, back));
	assert_null(memchr(b.buf_data, '\n', b.buf_len));
	json_decref(back);
	buf_release(&b);
}

static void
test_writes_what_reads_back_the_same(void **state)
{
	json_t	*j;

	(void)state;
	j = json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:s, s:[b, b, n, {}, []],"
	    " s:s#, s:{s:{s:[i]}}}",
	    "min", (json_int_t)(-9223372036854775807LL - 1),
	    "max", (json_int_t)9223372036854775807LL,
	    "r", 0.1, "big", 1e300, "whole", 3.0, "neg", -0.5,
	    "ctl", "a\x01\x1f\"\\/\b\f\n\r\t\x7f caf\xc3\xa9 \xf0\x9f\x98\x80",
	    "arr", 1, 0, "nul", "a\0b", (int)3, "deep", "x", "y", 7);
	assert_non_null(j);
	round_trip(j);
	json_decref(j);
	j = json_object();
	round_trip(j);
	json_decref(j);
	j = json_real(1.0);
	round_trip(j);
	json_decref(j);
}

static void
test_refuses_with_the_buffer_unchanged(void **state)
{
	struct buf	 b = { 0 };
	json_t		*j, *top;
	int		 i;

	(void)state;
	assert_int_equal(buf_append(&b, "kept", 4), 0);
	j = json_pack("{s:o}", "s", json_stringn_nocheck("ab\xff", 3));
	assert_int_equal(jgen_append(&b, j), -1);
	assert_int_equal(b.buf_len, 4);
	json_decref(j);
	/* 201 levels: past yajl's generator, not past jansson's dump. */
	top = j = json_array();
	for (i = 0; i < 200; i++) {
		json_array_append_new(j, json_array());
		j = json_array_get(j, 0);
	}
	assert_int_equal(jgen_append(&b, top), -1);
	assert_int_equal(b.buf_len, 4);
	j = json_pack("{s:o}", "a", top);
	assert_int_equal(msg_encode(&b, j), 0);
	assert_int_equal(b.buf_data[b.buf_len - 1], '\n');
	assert_int_equal(b.buf_len, 4 + 5 + 402 + 1 + 1);
	json_decref(j);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_what_reads_back_the_same),
		cmocka_unit_test(test_refuses_with_the_buffer_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
