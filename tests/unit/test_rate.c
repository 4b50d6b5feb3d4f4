/*
 * Unit tests of the token bucket behind the per-plugin rate limits
 * (supervisor/rate.c): a full bucket lets its burst through, then refuses
 * with a Retry-After of whole seconds, refills at its rate and never past
 * its burst, and a rate of 0 never refuses.  Time is passed in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nebula-plugind.h"

static void
test_rate_burst_then_refused_with_retry_after(void **state)
{
	struct rate_bucket	 rb;
	double			 retry = 0;
	int			 i;

	(void)state;
	rate_init(&rb, 5, 10, 100);
	for (i = 0; i < 10; i++)
		assert_int_equal(rate_take(&rb, 100, &retry), 0);
	assert_int_equal(rate_take(&rb, 100, &retry), -1);
	assert_true(retry >= 1);
	assert_int_equal((int)retry, 1);	/* 0.2 s, rounded up to 1 */
}

static void
test_rate_refills_at_its_rate(void **state)
{
	struct rate_bucket	 rb;
	double			 retry;

	(void)state;
	rate_init(&rb, 2, 1, 0);
	assert_int_equal(rate_take(&rb, 0, &retry), 0);
	assert_int_equal(rate_take(&rb, 0.25, &retry), -1);
	assert_int_equal(rate_take(&rb, 0.5, &retry), 0);	/* 1 token */
	assert_int_equal(rate_take(&rb, 0.5, &retry), -1);
}

static void
test_rate_never_holds_more_than_burst(void **state)
{
	struct rate_bucket	 rb;
	double			 retry;
	int			 i;

	(void)state;
	rate_init(&rb, 100, 3, 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(rate_take(&rb, 1000, &retry), 0);
	assert_int_equal(rate_take(&rb, 1000, &retry), -1);
}

static void
test_rate_slow_rate_retry_after_counts_seconds(void **state)
{
	struct rate_bucket	 rb;
	double			 retry = 0;

	(void)state;
	rate_init(&rb, 1.0 / 60, 1, 0);		/* 1/m */
	assert_int_equal(rate_take(&rb, 0, &retry), 0);
	assert_int_equal(rate_take(&rb, 30, &retry), -1);
	assert_int_equal((int)retry, 30);
}

static void
test_rate_zero_is_no_limit(void **state)
{
	struct rate_bucket	 rb;
	double			 retry;
	int			 i;

	(void)state;
	rate_init(&rb, 0, 0, 0);
	for (i = 0; i < 100000; i++)
		assert_int_equal(rate_take(&rb, 0, &retry), 0);
}

static void
test_rate_default_burst_is_one_second(void **state)
{
	struct rate_bucket	 rb;

	(void)state;
	rate_init(&rb, 20, 0, 0);
	assert_true(rb.rb_burst == 20);
	rate_init(&rb, 0.5, 0, 0);
	assert_true(rb.rb_burst == 1);
}

static void
test_rate_set_keeps_tokens_within_new_burst(void **state)
{
	struct rate_bucket	 rb;
	double			 retry;

	(void)state;
	rate_init(&rb, 1, 10, 0);
	assert_int_equal(rate_take(&rb, 0, &retry), 0);	/* 9 left */
	rate_set(&rb, 1, 2, 0);
	assert_int_equal(rate_take(&rb, 0, &retry), 0);
	assert_int_equal(rate_take(&rb, 0, &retry), 0);
	assert_int_equal(rate_take(&rb, 0, &retry), -1);
	rate_set(&rb, 0, 0, 0);				/* limit removed */
	assert_int_equal(rate_take(&rb, 0, &retry), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_burst_then_refused_with_retry_after),
		cmocka_unit_test(test_rate_refills_at_its_rate),
		cmocka_unit_test(test_rate_never_holds_more_than_burst),
		cmocka_unit_test(test_rate_slow_rate_retry_after_counts_seconds),
		cmocka_unit_test(test_rate_zero_is_no_limit),
		cmocka_unit_test(test_rate_default_burst_is_one_second),
		cmocka_unit_test(test_rate_set_keeps_tokens_within_new_burst),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
