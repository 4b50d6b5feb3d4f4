/*
 * Token buckets: the per-plugin, per-operation rate limits (`rate:` in the
 * configuration) that keep a burst of calls from exhausting an outside
 * service's quota.  A bucket holds up to its burst of tokens, refills at
 * its rate per second and is given the time by its caller, so it owns no
 * clock and no timer; the pool keeps one per operation.
 */
#include <math.h>

#include "nebula-plugind.h"

/* The burst when none is configured: one second's worth, at least 1. */
static double
rate_default_burst(double rate)
{
	double	 b = ceil(rate);

	return b < 1 ? 1 : b;
}

/* Adds what the rate earned since the last look, up to the burst. */
static void
rate_refill(struct rate_bucket *rb, double now)
{
	if (now > rb->rb_last) {
		rb->rb_tokens += (now - rb->rb_last) * rb->rb_rate;
		if (rb->rb_tokens > rb->rb_burst)
			rb->rb_tokens = rb->rb_burst;
	}
	rb->rb_last = now;
}

/* rate 0: no limit.  burst 0: the default.  The bucket starts full. */
void
rate_init(struct rate_bucket *rb, double rate, double burst, double now)
{
	rb->rb_rate = rate > 0 ? rate : 0;
	rb->rb_burst = burst > 0 ? burst : rate_default_burst(rate);
	rb->rb_tokens = rb->rb_burst;
	rb->rb_last = now;
}

/* New limits (a reload): the tokens it holds stay, within the new burst. */
void
rate_set(struct rate_bucket *rb, double rate, double burst, double now)
{
	double	 tokens;

	rate_refill(rb, now);
	tokens = rb->rb_tokens;
	rate_init(rb, rate, burst, now);
	if (tokens < rb->rb_tokens)
		rb->rb_tokens = tokens;
}

/*
 * Takes one token at time now: 0 when there was one (or there is no
 * limit), else -1 and *retry_after is the whole number of seconds (at
 * least 1) until there will be one, for a Retry-After header.
 */
int
rate_take(struct rate_bucket *rb, double now, double *retry_after)
{
	double	 wait;

	if (rb->rb_rate <= 0)
		return 0;
	rate_refill(rb, now);
	if (rb->rb_tokens >= 1) {
		rb->rb_tokens -= 1;
		return 0;
	}
	wait = ceil((1 - rb->rb_tokens) / rb->rb_rate);
	*retry_after = wait < 1 ? 1 : wait;
	return -1;
}
