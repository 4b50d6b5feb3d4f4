/*
 * Polling as the orchestrator does it: an interval that grows with the
 * job's age (so a short job is seen soon after it ends) or the worker's
 * poll hint, Retry-After honoured on 429 and 503, exponential backoff with
 * jitter and a bounded number of retries through transport errors, and
 * sleeps that a signal flag cuts short.  It owns no state beyond struct
 * npc_backoff.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nebula-client.h"

#define NPC_SLEEP_SLICE		0.1	/* seconds between looks at the flag */
#define NPC_RETRY_AFTER_MAX	300.0

static const char *const npc_phases[] = {
	"QUEUED", "INITIALIZING", "WAITING_FOR_RESOURCES", "RUNNING",
	"SUCCEEDED", "FAILED", "RETRYABLE_FAILED", "ABORTED", NULL
};

void
npc_poll_conf_init(struct npc_poll_conf *pc)
{
	pc->pc_initial = NPC_POLL_INITIAL;
	pc->pc_max = NPC_POLL_MAX;
	pc->pc_retries = NPC_POLL_RETRIES;
	pc->pc_progress = NULL;
	pc->pc_progress_arg = NULL;
	pc->pc_retrying = NULL;
}

static double
npc_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The worker's poll hint in a polled resource: "poll_after_ms", a whole
 * number of milliseconds (the daemon also sends it as the header
 * Nebula-Poll-After-Ms); -1 when there is none.
 */
long long
npc_poll_hint(json_t *resource)
{
	json_t	*v = json_object_get(resource, "poll_after_ms");

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	return (long long)json_integer_value(v);
}

/*
 * Seconds until the next poll of a job age seconds old: the worker's hint
 * when it gave one (hint_ms >= 0), else NPC_POLL_AGE_SHARE of the job's
 * age, so that a job is seen done at most that share of its run time late;
 * either way within [pc_initial, pc_max].  No jitter here.
 */
double
npc_poll_interval(const struct npc_poll_conf *pc, double age,
    long long hint_ms)
{
	double	 d, lo, hi;

	lo = pc->pc_initial > 0 ? pc->pc_initial : NPC_POLL_INITIAL;
	hi = pc->pc_max >= lo ? pc->pc_max : lo;
	d = hint_ms >= 0 ? (double)hint_ms / 1000 : age * NPC_POLL_AGE_SHARE;
	if (d < lo)
		d = lo;
	if (d > hi)
		d = hi;
	return d;
}

int
npc_phase_known(const char *phase)
{
	size_t	 i;

	for (i = 0; npc_phases[i] != NULL; i++)
		if (strcmp(phase, npc_phases[i]) == 0)
			return 1;
	return 0;
}

/* SUCCEEDED, FAILED, RETRYABLE_FAILED and ABORTED end a job's attempt. */
int
npc_phase_terminal(const char *phase)
{
	return strcmp(phase, "SUCCEEDED") == 0 ||
	    strcmp(phase, "FAILED") == 0 ||
	    strcmp(phase, "RETRYABLE_FAILED") == 0 ||
	    strcmp(phase, "ABORTED") == 0;
}

void
npc_backoff_init(struct npc_backoff *bo, double initial, double max)
{
	static int	 seeded;

	if (!seeded) {
		srandom((unsigned)time(NULL) ^ ((unsigned)getpid() << 16));
		seeded = 1;
	}
	if (initial <= 0)
		initial = NPC_POLL_INITIAL;
	if (max < initial)
		max = initial;
	bo->bo_initial = bo->bo_cur = initial;
	bo->bo_max = max;
}

void
npc_backoff_reset(struct npc_backoff *bo)
{
	bo->bo_cur = bo->bo_initial;
}

/*
 * The next delay: the current interval with "equal jitter" (between half
 * and all of it, so that many pollers spread out), then the interval
 * doubles up to the maximum.
 */
double
npc_backoff_next(struct npc_backoff *bo)
{
	double	 d, j;

	j = (double)random() / (double)RAND_MAX;
	d = bo->bo_cur / 2 + j * bo->bo_cur / 2;
	bo->bo_cur *= 2;
	if (bo->bo_cur > bo->bo_max)
		bo->bo_cur = bo->bo_max;
	return d;
}

/* Sleeps; NPC_POLL_CANCELLED as soon as *cancel is set, else 0. */
int
npc_poll_sleep(double secs, volatile sig_atomic_t *cancel)
{
	struct timespec	 ts;
	double		 step;

	while (secs > 0) {
		if (cancel != NULL && *cancel)
			return NPC_POLL_CANCELLED;
		step = secs < NPC_SLEEP_SLICE ? secs : NPC_SLEEP_SLICE;
		ts.tv_sec = (time_t)step;
		ts.tv_nsec = (long)((step - (double)ts.tv_sec) * 1e9);
		if (nanosleep(&ts, NULL) == -1 && errno != EINTR)
			return -1;
		secs -= step;
	}
	return cancel != NULL && *cancel ? NPC_POLL_CANCELLED : 0;
}

/* How long to wait before retrying: Retry-After when sent, else backoff. */
static double
npc_poll_delay(const struct npc_result *res, struct npc_backoff *bo)
{
	double	 d;

	d = npc_backoff_next(bo);
	if (res->res_retry_after >= 0) {
		d = res->res_retry_after;
		if (d > NPC_RETRY_AFTER_MAX)
			d = NPC_RETRY_AFTER_MAX;
	}
	return d;
}

/*
 * One call, retried while retryable (see npc_result_retryable()) up to
 * pc_retries times.  Returns 0 on success, -1 with res describing the last
 * failure, NPC_POLL_CANCELLED when *cancel was set.
 */
int
npc_poll_retry(struct npc *c, const struct npc_poll_conf *pc,
    volatile sig_atomic_t *cancel, int idempotent, const char *method,
    const char *path, json_t *body, struct npc_result *res)
{
	struct npc_backoff	 bo;
	double			 d;
	int			 tries;

	npc_backoff_init(&bo, pc->pc_initial, pc->pc_max);
	for (tries = 0;; tries++) {
		if (npc_call(c, method, path, body, res) == 0)
			return 0;
		if (strcmp(res->res_code, "CANCELLED") == 0)
			return NPC_POLL_CANCELLED;
		if (tries >= pc->pc_retries ||
		    !npc_result_retryable(res, idempotent))
			return -1;
		d = npc_poll_delay(res, &bo);
		if (pc->pc_retrying != NULL)
			pc->pc_retrying(pc->pc_progress_arg, res, d);
		if (npc_poll_sleep(d, cancel) == NPC_POLL_CANCELLED)
			return NPC_POLL_CANCELLED;
	}
}

/*
 * Polls a job until its phase is terminal; res_body is then the resource.
 * The first poll goes at once, the next ones after npc_poll_interval()
 * (with up to a quarter of it taken off as jitter when the worker gave no
 * hint); pc_progress sees every polled resource.  Failures that may pass
 * (429, 503, transport errors, 502, 504) are retried up to pc_retries
 * times in a row.  Returns 0, -1 (res says why) or NPC_POLL_CANCELLED.
 */
int
npc_poll_job(struct npc *c, const struct npc_poll_conf *pc,
    volatile sig_atomic_t *cancel, const char *type, const char *version,
    const char *rid, struct npc_result *res)
{
	struct npc_backoff	 ebo;
	int			 fails = 0;
	long long		 hint;
	double			 d, start = npc_now();

	npc_backoff_init(&ebo, pc->pc_initial, pc->pc_max);
	for (;;) {
		if (cancel != NULL && *cancel)
			return NPC_POLL_CANCELLED;
		if (npc_get(c, type, version, rid, res) == 0) {
			if (pc->pc_progress != NULL)
				pc->pc_progress(pc->pc_progress_arg,
				    res->res_body);
			if (npc_phase_terminal(json_string_value(
			    json_object_get(res->res_body, "phase"))))
				return 0;
			fails = 0;
			npc_backoff_reset(&ebo);
			hint = npc_poll_hint(res->res_body);
			d = npc_poll_interval(pc, npc_now() - start, hint);
			if (hint < 0)
				d -= d / 4 * ((double)random() /
				    (double)RAND_MAX);
		} else {
			if (strcmp(res->res_code, "CANCELLED") == 0)
				return NPC_POLL_CANCELLED;
			if (++fails > pc->pc_retries ||
			    !npc_result_retryable(res, 1))
				return -1;
			d = npc_poll_delay(res, &ebo);
			if (pc->pc_retrying != NULL)
				pc->pc_retrying(pc->pc_progress_arg, res, d);
		}
		if (npc_poll_sleep(d, cancel) == NPC_POLL_CANCELLED)
			return NPC_POLL_CANCELLED;
	}
}
