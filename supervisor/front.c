/*
 * front_processes: beyond one core.  With N > 1 the process started as
 * nebula-plugind binds the listeners (resolving port 0), then becomes a
 * small supervisor of N front processes.  Each front is a whole daemon:
 * its own libev loop, its own listeners on the same addresses with
 * SO_REUSEPORT (the kernel spreads connections), its own plugin pools.
 * Only the metrics' counters are shared (metrics.c, one slot per front in
 * a mapping made here before forking, so a restarted front takes over its
 * slot); nothing is locked and a front that dies takes only its own
 * connections; the cost is N times the worker processes.  The
 * supervisor forwards SIGTERM, SIGINT and SIGHUP, restarts a front that
 * dies with backoff, and exits once every front has stopped.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"

#define FRONT_BACKOFF_MIN	0.5
#define FRONT_BACKOFF_MAX	30.0

struct front {
	int		 f_index;
	pid_t		 f_pid;		/* 0 when not running */
	ev_child	 f_child;
	ev_timer	 f_restart;
	double		 f_backoff;
	ev_tstamp	 f_started;
};

static struct ev_loop	*front_loop;
static struct front	*fronts;
static int		 nfronts;
static char		**front_names;	/* listen addresses, ports resolved */
static int		 front_stopping;
static int		 front_failed;
static int		 front_is_front;	/* this process is a front */
static ev_signal	 front_sigs[3];

static void	front_spawn(struct front *);

/* In a new front: drop the supervisor's watchers, listen again. */
static void
front_become(struct front *f)
{
	char	 err[512];
	int	 i;

	ev_loop_fork(front_loop);
	for (i = 0; i < nfronts; i++) {
		ev_child_stop(front_loop, &fronts[i].f_child);
		ev_timer_stop(front_loop, &fronts[i].f_restart);
	}
	for (i = 0; i < 3; i++)
		ev_signal_stop(front_loop, &front_sigs[i]);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	metrics_set_slot(f->f_index);
	for (i = 0; front_names[i] != NULL; i++)
		if (listen_add(front_names[i], err, sizeof(err)) == -1)
			fatalx("front %d: %s", f->f_index, err);
	log_info("front %d of %d started", f->f_index, nfronts);
}

static void
front_restart_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	if (!front_stopping)
		front_spawn(t->data);
}

static void
front_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct front	*f = c->data;
	int		 i, running = 0;

	(void)revents;
	ev_child_stop(loop, c);
	f->f_pid = 0;
	if (front_stopping) {
		if (!WIFEXITED(c->rstatus) || WEXITSTATUS(c->rstatus) != 0)
			front_failed = 1;
		for (i = 0; i < nfronts; i++)
			if (fronts[i].f_pid > 0)
				running++;
		if (running == 0)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (ev_now(loop) - f->f_started >= NP_READY_RESET_SECS)
		f->f_backoff = FRONT_BACKOFF_MIN;
	else if ((f->f_backoff *= 2) > FRONT_BACKOFF_MAX)
		f->f_backoff = FRONT_BACKOFF_MAX;
	log_warnx("front %d (pid %ld) exited with status 0x%x; restarting "
	    "it in %.1f s", f->f_index, (long)c->rpid, c->rstatus,
	    f->f_backoff);
	ev_timer_set(&f->f_restart, f->f_backoff, 0.);
	ev_timer_start(loop, &f->f_restart);
}

static void
front_signal_cb(struct ev_loop *loop, ev_signal *s, int revents)
{
	int	 i, running = 0;

	(void)revents;
	if (s->signum != SIGHUP) {
		front_stopping = 1;
		for (i = 0; i < nfronts; i++)
			ev_timer_stop(loop, &fronts[i].f_restart);
	}
	for (i = 0; i < nfronts; i++)
		if (fronts[i].f_pid > 0) {
			kill(fronts[i].f_pid, s->signum);
			running++;
		}
	if (front_stopping && running == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* Forks one front; returns in the parent only (the child goes on in main). */
static void
front_spawn(struct front *f)
{
	pid_t	 pid;

	log_flush();	/* or the child would write the buffered lines again */
	if ((pid = fork()) == -1) {
		log_warn("front %d: fork", f->f_index);
		ev_timer_set(&f->f_restart, f->f_backoff, 0.);
		ev_timer_start(front_loop, &f->f_restart);
		return;
	}
	if (pid == 0) {
		front_become(f);
		/* Out of the supervisor's loop, if in it: main goes on. */
		front_is_front = 1;
		ev_break(front_loop, EVBREAK_ALL);
		return;
	}
	f->f_pid = pid;
	f->f_started = ev_now(front_loop);
	ev_child_set(&f->f_child, pid, 0);
	ev_child_start(front_loop, &f->f_child);
}

/*
 * Called with the listeners bound.  Returns 1 in a front, which goes on as
 * a daemon; 0 in the supervisor once every front has stopped, with the exit
 * status in *status.
 */
int
front_start(struct ev_loop *loop, int n, int *status)
{
	static const int	 sigs[3] = { SIGTERM, SIGINT, SIGHUP };
	int			 i;

	front_loop = loop;
	nfronts = n;
	if ((front_names = listen_names()) == NULL ||
	    (fronts = calloc((size_t)n, sizeof(*fronts))) == NULL)
		fatalx("out of memory");
	listen_close();
	if (metrics_shared(n) == -1)
		log_warn("metrics: no shared counters; each front counts "
		    "alone");
	for (i = 0; i < 3; i++) {
		ev_signal_init(&front_sigs[i], front_signal_cb, sigs[i]);
		ev_signal_start(loop, &front_sigs[i]);
	}
	for (i = 0; i < n; i++) {
		fronts[i].f_index = i;
		fronts[i].f_backoff = FRONT_BACKOFF_MIN;
		ev_child_init(&fronts[i].f_child, front_child_cb, 0, 0);
		fronts[i].f_child.data = &fronts[i];
		ev_init(&fronts[i].f_restart, front_restart_cb);
		fronts[i].f_restart.data = &fronts[i];
	}
	for (i = 0; i < n; i++) {
		front_spawn(&fronts[i]);
		if (front_is_front)
			return 1;
	}
	log_info("supervising %d front processes", n);
	ev_run(loop, 0);
	if (front_is_front)
		return 1;	/* a front restarted from inside the loop */
	for (i = 0; i < 3; i++)
		ev_signal_stop(loop, &front_sigs[i]);
	*status = front_failed;
	return 0;
}

/* Frees what front_start() kept (in a front and in the supervisor). */
void
front_free(void)
{
	int	 i;

	for (i = 0; front_names != NULL && front_names[i] != NULL; i++)
		free(front_names[i]);
	free(front_names);
	free(fronts);
	front_names = NULL;
	fronts = NULL;
}
