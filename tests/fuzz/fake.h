/*
 * The stand-ins the HTTP fuzz target links instead of supervisor/pool.c and
 * supervisor/log.c: what the target itself calls in them.
 */
#ifndef FUZZ_FAKE_H
#define FUZZ_FAKE_H

#include <stddef.h>

#include <ev.h>

struct pool;

/* fake_pool.c */
struct pool	**fake_pools_init(struct ev_loop *, size_t *);
size_t		  fake_pool_calls(void);

/* fake_log.c */
size_t		  fake_log_access_count(void);

#endif
