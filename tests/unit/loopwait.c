/*
 * The waits of the unit tests that run real workers on the real ev loop:
 * turn the loop until a condition holds, with a tick so that a condition
 * that changes outside any watcher is seen, and a guard so that a wait that
 * never ends fails its test instead of hanging.  Only outcomes count; the
 * guard is a bound, never a measurement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "loopwait.h"

static void
loopwait_tick(struct ev_loop *l, ev_timer *t, int revents)
{
	(void)l;
	(void)t;
	(void)revents;
}

void
loopwait_until(struct ev_loop *loop, int (*done)(void *), void *arg)
{
	ev_timer	 tick;
	time_t		 end = time(NULL) + LOOPWAIT_GUARD;
	int		 ok;

	ev_timer_init(&tick, loopwait_tick, 0.05, 0.05);
	ev_timer_start(loop, &tick);
	while (!(ok = done(arg)) && time(NULL) < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	assert_true(ok);
}

struct loopwait_counter {
	const int	*lc_counter;
	int		 lc_n;
};

static int
loopwait_reached(void *arg)
{
	struct loopwait_counter	*lc = arg;

	return *lc->lc_counter >= lc->lc_n;
}

void
loopwait_count(struct ev_loop *loop, const int *counter, int n)
{
	struct loopwait_counter	 lc = { counter, n };

	loopwait_until(loop, loopwait_reached, &lc);
}
