/*
 * Unit tests for supervisor/grpc.c's header parsing: grpc-timeout (every
 * unit, and the malformed values a peer can send, such as digits without
 * a unit, which once read past the end of the header) and the
 * percent-encoding of grpc-message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nebula-plugind.h"
#include "grpc.h"

static void
test_timeout_units(void **state)
{
	double	 s;

	(void)state;
	assert_int_equal(grpc_parse_timeout("2H", &s), 0);
	assert_true(s == 7200);
	assert_int_equal(grpc_parse_timeout("3M", &s), 0);
	assert_true(s == 180);
	assert_int_equal(grpc_parse_timeout("5S", &s), 0);
	assert_true(s == 5);
	assert_int_equal(grpc_parse_timeout("250m", &s), 0);
	assert_true(s > 0.2499 && s < 0.2501);
	assert_int_equal(grpc_parse_timeout("7u", &s), 0);
	assert_int_equal(grpc_parse_timeout("99999999n", &s), 0);
}

static void
test_timeout_malformed(void **state)
{
	double	 s;
	char	*digits;

	(void)state;
	/* Exactly sized, so ASan sees a read past the end. */
	digits = strdup("100");
	assert_int_equal(grpc_parse_timeout(digits, &s), -1);
	free(digits);
	assert_int_equal(grpc_parse_timeout("", &s), -1);
	assert_int_equal(grpc_parse_timeout("S", &s), -1);
	assert_int_equal(grpc_parse_timeout("123456789S", &s), -1);
	assert_int_equal(grpc_parse_timeout("10x", &s), -1);
	assert_int_equal(grpc_parse_timeout("10SS", &s), -1);
	assert_int_equal(grpc_parse_timeout("-1S", &s), -1);
}

static void
test_percent_encode(void **state)
{
	char	 out[64];

	(void)state;
	grpc_percent_encode("plain text", out, sizeof(out));
	assert_string_equal(out, "plain text");
	grpc_percent_encode("50% of \xc3\xa9\n", out, sizeof(out));
	assert_string_equal(out, "50%25 of %C3%A9%0A");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_units),
		cmocka_unit_test(test_timeout_malformed),
		cmocka_unit_test(test_percent_encode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
