/*
 * loopwait.c: run the real ev loop until a condition holds, for the unit
 * tests that drive real child processes (test_worker, test_pool).
 */
#ifndef LOOPWAIT_H
#define LOOPWAIT_H

#include <ev.h>

#define LOOPWAIT_GUARD	20	/* seconds before a wait counts as stuck */

/*
 * Runs loop until done(arg) is true, waking at least every 50 ms; fails the
 * running cmocka test if it is still false after LOOPWAIT_GUARD seconds.
 */
void	loopwait_until(struct ev_loop *, int (*)(void *), void *);
/* Runs loop until *counter reaches n, as loopwait_until. */
void	loopwait_count(struct ev_loop *, const int *, int);

#endif
