/*
 * One worker process as a state machine: its three pipes, the hello
 * handshake, the table of requests it holds, restarts with backoff and
 * stopping; spawn.c makes the process.  State changes happen in
 * worker_set_state() only.  The worker is a leaf: it knows no pool, no HTTP
 * and no routes, and hands hellos, answers, losses and exits to the events
 * its owner gave to worker_new().
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"

#define WORKER_STDERR_MAX	8192
#define WORKER_ERR_ROUNDS	4	/* stderr reads per wakeup */
#define WORKER_KILL_GRACE	1.0	/* SIGTERM to SIGKILL when stopping */
#define WORKER_QUOTE_MAX	200	/* bytes of a bad line in the log */
#define WORKER_VIOL_RATE	10	/* violations logged a second */

struct worker_slot {
	uint64_t		 ws_id;
	void			*ws_call;	/* the owner's; NULL: abandoned */
};

struct worker {
	struct worker_events	 w_ev;		/* the owner's callbacks */
	void			*w_arg;		/* and their argument */
	struct worker_limits	 w_lim;
	const struct plugin_conf *w_conf;	/* borrowed, for spawning */
	struct ev_loop		*w_loop;
	int			 w_index;
	enum worker_state	 w_state;
	pid_t			 w_pid;		/* 0 once reaped */
	int			 w_in;		/* its stdin, our write end */
	int			 w_out;
	int			 w_err;
	int			 w_exec;	/* close-on-exec report pipe */
	ev_io			 w_in_io;
	ev_io			 w_out_io;
	ev_io			 w_err_io;
	ev_child		 w_child;
	ev_timer		 w_timer;
	struct line_reader	*w_lr;
	struct line_reader	*w_lr_err;
	ev_timer		 w_log_timer;	/* end of a suppressing window */
	ev_tstamp		 w_log_start;	/* this log_rate window */
	unsigned long long	 w_log_lines;	/* logged in it */
	unsigned long long	 w_log_bytes;
	unsigned long long	 w_sup_lines;	/* suppressed in it */
	unsigned long long	 w_sup_bytes;
	ev_tstamp		 w_viol_start;	/* this violations' window */
	unsigned long long	 w_viol_lines;	/* violations in it */
	struct buf		 w_obuf;
	int			 w_dirty;	/* in worker_dirty[] */
	int			 w_stopping;	/* no restart after exit */
	int			 w_termed;	/* SIGTERM sent while stopping */
	int			 w_ready_long;	/* was ready >= 10 s when it died */
	uint64_t		 w_next_id;
	struct worker_slot	*w_slots;
	int			 w_nslots;
	int			 w_abandoned;	/* slots held by no call */
	int			 w_concurrency;
	double			 w_backoff;
	ev_tstamp		 w_ready_since;
	char			 w_exec_error[256];
	char			 w_fail_reason[256];
};

/* Workers with output queued this loop iteration: flushed before polling. */
static struct worker	**worker_dirty;
static size_t		  worker_ndirty, worker_dirtycap;
static ev_prepare	  worker_flush_prepare;
static int		  worker_flush_on;

static void	worker_fail(struct worker *, const char *);
static void	worker_read_out(struct worker *);
static void	worker_read_err(struct worker *);
static void	worker_log_roll(struct worker *);
static void	worker_kill(struct worker *, int);

static const char *const worker_state_names[] = {
	"starting", "ready", "draining", "dead", "backoff"
};

static void
worker_set_state(struct worker *w, enum worker_state st)
{
	if (w->w_state == st)
		return;
	log_emit(LOG_LEVEL_DEBUG, w->w_lim.wl_name, w->w_pid, NULL,
	    "instance %d: %s -> %s", w->w_index, worker_state_names[w->w_state],
	    worker_state_names[st]);
	w->w_state = st;
	if (st == WORKER_READY)
		w->w_ready_since = ev_now(w->w_loop);
	w->w_ev.we_changed(w->w_arg, w);
}

static void
worker_flush(struct worker *w)
{
	if (w->w_in == -1) {
		buf_reset(&w->w_obuf);
		return;
	}
	if (buf_write(&w->w_obuf, w->w_in) == -1) {
		worker_fail(w, "cannot write to its stdin");
		return;
	}
	if (buf_pending(&w->w_obuf) > 0)
		ev_io_start(w->w_loop, &w->w_in_io);
	else
		ev_io_stop(w->w_loop, &w->w_in_io);
}

static void
worker_flush_cb(struct ev_loop *loop, ev_prepare *p, int revents)
{
	size_t	 i;

	(void)loop;
	(void)p;
	(void)revents;
	/* worker_flush may fail a worker, which never adds to the list. */
	for (i = 0; i < worker_ndirty; i++) {
		struct worker *w = worker_dirty[i];

		if (w == NULL)
			continue;
		w->w_dirty = 0;
		worker_flush(w);
	}
	worker_ndirty = 0;
}

static void
worker_mark_dirty(struct worker *w)
{
	struct worker	**p;

	if (w->w_dirty)
		return;
	if (!worker_flush_on) {
		ev_prepare_init(&worker_flush_prepare, worker_flush_cb);
		ev_prepare_start(w->w_loop, &worker_flush_prepare);
		ev_unref(w->w_loop);	/* does not keep the loop alive */
		worker_flush_on = 1;
	}
	if (worker_ndirty == worker_dirtycap) {
		size_t cap = worker_dirtycap ? worker_dirtycap * 2 : 16;

		if ((p = reallocarray(worker_dirty, cap, sizeof(*p))) == NULL) {
			worker_flush(w);
			return;
		}
		worker_dirty = p;
		worker_dirtycap = cap;
	}
	worker_dirty[worker_ndirty++] = w;
	w->w_dirty = 1;
}

static void
worker_unmark_dirty(struct worker *w)
{
	size_t	 i;

	if (!w->w_dirty)
		return;
	for (i = 0; i < worker_ndirty; i++)
		if (worker_dirty[i] == w)
			worker_dirty[i] = NULL;
	w->w_dirty = 0;
}

static void
worker_in_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	worker_flush(io->data);
}

static void
worker_out_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	worker_read_out(io->data);
}

static void
worker_err_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	worker_read_err(io->data);
}

static void
worker_close_fd(struct worker *w, int *fd, ev_io *io)
{
	if (*fd == -1)
		return;
	ev_io_stop(w->w_loop, io);
	close(*fd);
	*fd = -1;
}

static void
worker_close_pipes(struct worker *w)
{
	worker_unmark_dirty(w);
	buf_reset(&w->w_obuf);
	worker_close_fd(w, &w->w_in, &w->w_in_io);
	worker_close_fd(w, &w->w_out, &w->w_out_io);
	if (w->w_err != -1)
		worker_read_err(w);
	worker_close_fd(w, &w->w_err, &w->w_err_io);
	worker_log_roll(w);
}

/*
 * Ends a log_rate window: one line saying what was suppressed in it, and
 * the same in the metrics; the next window starts now.
 */
static void
worker_log_roll(struct worker *w)
{
	ev_timer_stop(w->w_loop, &w->w_log_timer);
	if (w->w_sup_lines > 0) {
		log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, w->w_pid, NULL,
		    "stderr: suppressed %llu lines (%llu bytes) over log_rate",
		    w->w_sup_lines, w->w_sup_bytes);
		if (w->w_ev.we_log_suppressed != NULL)
			w->w_ev.we_log_suppressed(w->w_arg, w, w->w_sup_lines);
	}
	w->w_log_start = ev_now(w->w_loop);
	w->w_log_lines = w->w_log_bytes = 0;
	w->w_sup_lines = w->w_sup_bytes = 0;
}

static void
worker_log_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	worker_log_roll(t->data);
}

/*
 * Logs one stderr line unless the instance is over its plugin's log_rate
 * (lines and bytes per second, 0: no limit) in this one-second window.
 */
static void
worker_log_line(struct worker *w, const char *line, size_t len)
{
	const struct plugin_conf	*pc = w->w_conf;
	ev_tstamp			 now = ev_now(w->w_loop);

	if (now - w->w_log_start >= 1.0)
		worker_log_roll(w);
	if (pc != NULL && ((pc->pc_log_lines > 0 &&
	    w->w_log_lines >= (unsigned long long)pc->pc_log_lines) ||
	    (pc->pc_log_bytes > 0 && w->w_log_bytes + len >
	    (unsigned long long)pc->pc_log_bytes))) {
		if (w->w_sup_lines++ == 0) {
			ev_timer_set(&w->w_log_timer,
			    w->w_log_start + 1.0 - now, 0.);
			ev_timer_start(w->w_loop, &w->w_log_timer);
		}
		w->w_sup_bytes += len;
		return;
	}
	w->w_log_lines++;
	w->w_log_bytes += len;
	log_emit(LOG_LEVEL_INFO, w->w_lim.wl_name, w->w_pid, NULL,
	    "stderr: %.*s", (int)len, line);
}

/*
 * Logs what the worker wrote on stderr, a line at a time, tagged.  Reads a
 * bounded amount per wakeup (the loop comes back while more is waiting),
 * so that a worker flooding its stderr cannot stall the others.
 */
static void
worker_read_err(struct worker *w)
{
	char	*line;
	size_t	 len;
	ssize_t	 n;
	int	 rounds;

	for (rounds = 0; rounds < WORKER_ERR_ROUNDS; rounds++) {
		n = line_reader_fill(w->w_lr_err, w->w_err);
		while ((line = line_reader_next(w->w_lr_err, &len)) != NULL)
			worker_log_line(w, line, len);
		if (n > 0)
			continue;
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)) {
			/* End of file: log any unterminated tail. */
			if (line_reader_feed(w->w_lr_err, "\n", 1) == 0 &&
			    (line = line_reader_next(w->w_lr_err, &len)) !=
			    NULL && len > 0)
				worker_log_line(w, line, len);
			worker_log_roll(w);
			worker_close_fd(w, &w->w_err, &w->w_err_io);
		}
		break;
	}
}

static struct worker_slot *
worker_slot_find(struct worker *w, uint64_t id)
{
	int	 i;

	for (i = 0; i < w->w_nslots; i++)
		if (w->w_slots[i].ws_id == id)
			return &w->w_slots[i];
	return NULL;
}

static void
worker_slot_release(struct worker *w, struct worker_slot *s)
{
	if (s->ws_call == NULL)
		w->w_abandoned--;
	*s = w->w_slots[--w->w_nslots];
}

static void
worker_hello(struct worker *w, json_t *obj)
{
	struct msg_hello	 h;
	char			 err[256];

	if (msg_hello_parse(obj, &h, err, sizeof(err)) == -1) {
		worker_fail(w, err);
		return;
	}
	w->w_concurrency = h.hello_concurrency;
	if (w->w_lim.wl_concurrency > 0 &&
	    w->w_lim.wl_concurrency < w->w_concurrency)
		w->w_concurrency = w->w_lim.wl_concurrency;
	free(w->w_slots);
	w->w_slots = calloc((size_t)w->w_concurrency, sizeof(*w->w_slots));
	if (w->w_slots == NULL) {
		msg_hello_clear(&h);
		worker_fail(w, "out of memory");
		return;
	}
	w->w_nslots = w->w_abandoned = 0;
	ev_timer_stop(w->w_loop, &w->w_timer);
	w->w_fail_reason[0] = '\0';
	log_emit(LOG_LEVEL_INFO, w->w_lim.wl_name, w->w_pid, NULL,
	    "instance %d ready, concurrency %d", w->w_index, w->w_concurrency);
	worker_set_state(w, WORKER_READY);
	w->w_ev.we_hello(w->w_arg, w, &h);
	msg_hello_clear(&h);
	w->w_ev.we_idle(w->w_arg, w);
}

/*
 * The first WORKER_QUOTE_MAX bytes of a line for a log message, with
 * control and non-ASCII bytes as \xNN so that the log stays one line of
 * text; "..." marks a cut.
 */
static const char *
worker_quote(const char *line, size_t len, char *out, size_t outlen)
{
	const unsigned char	*p = (const unsigned char *)line;
	size_t			 i, o = 0;

	for (i = 0; i < len && i < WORKER_QUOTE_MAX && o + 5 < outlen; i++) {
		if (p[i] >= ' ' && p[i] < 0x7f)
			out[o++] = (char)p[i];
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    p[i]);
	}
	if (i < len && o + 4 <= outlen) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/*
 * Logs a dropped stdout line, at most WORKER_VIOL_RATE a second per
 * instance, so that a worker flooding its stdout cannot flood the log; the
 * next window's first line says how many went unlogged.
 */
static void
worker_violation(struct worker *w, const char *why, const char *line,
    size_t len)
{
	ev_tstamp	 now = ev_now(w->w_loop);
	char		 quote[WORKER_QUOTE_MAX * 4 + 8];

	if (w->w_ev.we_violation != NULL)	/* every one is counted */
		w->w_ev.we_violation(w->w_arg, w);
	if (now - w->w_viol_start >= 1.0) {
		if (w->w_viol_lines > WORKER_VIOL_RATE)
			log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, w->w_pid,
			    NULL, "protocol violations: %llu more lines "
			    "dropped unlogged", w->w_viol_lines -
			    WORKER_VIOL_RATE);
		w->w_viol_start = now;
		w->w_viol_lines = 0;
	}
	if (w->w_viol_lines++ >= WORKER_VIOL_RATE)
		return;
	log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, w->w_pid, NULL,
	    "protocol violation, line dropped: %s: %s", why,
	    worker_quote(line, len, quote, sizeof(quote)));
}

static void
worker_line(struct worker *w, char *line, size_t len)
{
	struct worker_slot	*s;
	struct jscan_raw	 meta = { .jr_name = "resource_meta" };
	void			*call;
	json_t			*obj;
	uint64_t		 id;
	char			 err[160];

	/* An answer's resource_meta is kept as the worker wrote it. */
	if ((obj = msg_decode_raw(line, len, w->w_state == WORKER_STARTING ?
	    NULL : &meta, err, sizeof(err))) == NULL) {
		if (w->w_state == WORKER_STARTING) {
			worker_fail(w, "first line is not a JSON hello");
			return;
		}
		worker_violation(w, err, line, len);
		return;
	}
	if (w->w_state == WORKER_STARTING) {
		worker_hello(w, obj);
		json_decref(obj);
		return;
	}
	if (msg_id(obj, &id) == -1 || (s = worker_slot_find(w, id)) == NULL) {
		worker_violation(w, json_object_get(obj, "id") ?
		    "unknown id" : "no id", line, len);
		json_decref(obj);
		return;
	}
	call = s->ws_call;
	worker_slot_release(w, s);
	if (call != NULL)
		w->w_ev.we_answer(w->w_arg, call, obj, &meta);
	else
		log_emit(LOG_LEVEL_INFO, w->w_lim.wl_name, w->w_pid, NULL,
		    "late answer to request %llu, which timed out or whose "
		    "client left, dropped", (unsigned long long)id);
	json_decref(obj);
	if (w->w_state == WORKER_READY)
		w->w_ev.we_idle(w->w_arg, w);
}

static void
worker_read_out(struct worker *w)
{
	char	*line;
	size_t	 len;
	ssize_t	 n;
	int	 rounds;

	/* Bounded, so one chatty worker cannot starve the loop. */
	for (rounds = 0; rounds < 16 && w->w_out != -1; rounds++) {
		n = line_reader_fill(w->w_lr, w->w_out);
		while (w->w_out != -1 &&
		    (line = line_reader_next(w->w_lr, &len)) != NULL)
			worker_line(w, line, len);
		if (w->w_out == -1)
			return;
		if (line_reader_overflow(w->w_lr)) {
			worker_fail(w, "stdout line longer than max_line_bytes");
			return;
		}
		if (n == 0) {
			worker_fail(w, "closed its stdout");
			return;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			worker_fail(w, "cannot read its stdout");
			return;
		}
	}
}

/* Takes every live call away from the worker and hands them to its owner. */
static void
worker_lose_calls(struct worker *w)
{
	void			**calls;
	size_t			  n = 0;
	int			  i;

	if (w->w_nslots == 0)
		return;
	calls = calloc((size_t)w->w_nslots, sizeof(*calls));
	for (i = 0; i < w->w_nslots; i++)
		if (w->w_slots[i].ws_call != NULL && calls != NULL)
			calls[n++] = w->w_slots[i].ws_call;
	w->w_nslots = w->w_abandoned = 0;
	if (n > 0)
		w->w_ev.we_lost(w->w_arg, w, calls, n);
	free(calls);
}

static void
worker_kill(struct worker *w, int sig)
{
	if (w->w_pid > 0 && killpg(w->w_pid, sig) == -1 && errno == ESRCH)
		kill(w->w_pid, sig);
}

/*
 * The instance is of no more use: answer what it held, close its pipes and
 * make sure the process goes.  Restarting waits until it has been reaped.
 */
static void
worker_fail(struct worker *w, const char *why)
{
	if (w->w_state == WORKER_DEAD || w->w_state == WORKER_BACKOFF)
		return;
	if (w->w_fail_reason[0] == '\0')
		snprintf(w->w_fail_reason, sizeof(w->w_fail_reason), "%s%s", why,
		    w->w_state == WORKER_STARTING && !w->w_stopping ?
		    " during the handshake" : "");
	if (!w->w_stopping)
		log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, w->w_pid, NULL,
		    "instance %d failed: %s", w->w_index, why);
	ev_timer_stop(w->w_loop, &w->w_timer);
	w->w_ready_long = w->w_state == WORKER_READY &&
	    ev_now(w->w_loop) - w->w_ready_since >= NP_READY_RESET_SECS;
	worker_close_pipes(w);
	worker_set_state(w, WORKER_DEAD);
	worker_lose_calls(w);
	worker_kill(w, SIGKILL);
}

static void
worker_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker	*w = t->data;

	(void)loop;
	(void)revents;
	switch (w->w_state) {
	case WORKER_STARTING:
		worker_fail(w, "no hello within the start timeout");
		break;
	case WORKER_BACKOFF:
		worker_start(w);
		break;
	case WORKER_READY:
		/* Deferred from worker_forget(). */
		if (w->w_concurrency > 0 && w->w_abandoned >= w->w_concurrency)
			worker_fail(w, "every slot is held by a request that "
			    "timed out");
		break;
	case WORKER_DRAINING:
		if (!w->w_termed) {
			log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, w->w_pid, NULL,
			    "instance %d did not exit within the stop "
			    "timeout, sending SIGTERM", w->w_index);
			worker_kill(w, SIGTERM);
			w->w_termed = 1;
			ev_timer_set(&w->w_timer, WORKER_KILL_GRACE, 0.);
			ev_timer_start(w->w_loop, &w->w_timer);
		} else
			worker_fail(w, "killed after the stop timeout");
		break;
	case WORKER_DEAD:
		break;
	}
}

static void
worker_exit_text(int status, char *out, size_t outlen)
{
	if (WIFEXITED(status))
		snprintf(out, outlen, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, outlen, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(out, outlen, "status 0x%x", status);
}

static void
worker_read_exec_report(struct worker *w)
{
	int	 err;

	if (w->w_exec == -1)
		return;
	if ((err = spawn_report(w->w_exec)) != 0)
		snprintf(w->w_exec_error, sizeof(w->w_exec_error),
		    "cannot execute %s: %s", w->w_conf->pc_path,
		    strerror(err));
	close(w->w_exec);
	w->w_exec = -1;
}

/*
 * The one place a restart is scheduled: exponential backoff from
 * restart.initial to restart.max, back to restart.initial once an
 * instance has stayed ready long.
 */
static void
worker_restart_later(struct worker *w)
{
	if (w->w_backoff == 0 || w->w_ready_long)
		w->w_backoff = w->w_lim.wl_restart_initial;
	else {
		w->w_backoff *= 2;
		if (w->w_backoff > w->w_lim.wl_restart_max)
			w->w_backoff = w->w_lim.wl_restart_max;
	}
	w->w_ready_long = 0;
	log_emit(LOG_LEVEL_INFO, w->w_lim.wl_name, 0, NULL,
	    "instance %d restarts in %.3f s", w->w_index, w->w_backoff);
	ev_timer_stop(w->w_loop, &w->w_timer);
	ev_timer_set(&w->w_timer, w->w_backoff, 0.);
	ev_timer_start(w->w_loop, &w->w_timer);
	worker_set_state(w, WORKER_BACKOFF);
}

static void
worker_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct worker	*w = c->data;
	char		 how[128], why[512];

	(void)revents;
	ev_child_stop(loop, c);
	worker_read_exec_report(w);
	worker_exit_text(c->rstatus, how, sizeof(how));
	/* Answers written just before exiting still count. */
	if (w->w_out != -1)
		worker_read_out(w);
	if (w->w_exec_error[0] != '\0')
		snprintf(why, sizeof(why), "%s", w->w_exec_error);
	else if (w->w_fail_reason[0] != '\0')
		snprintf(why, sizeof(why), "%s (%s)", w->w_fail_reason, how);
	else if (w->w_state == WORKER_STARTING)
		snprintf(why, sizeof(why), "exited during the handshake (%s)",
		    how);
	else
		snprintf(why, sizeof(why), "exited (%s)", how);
	if (!w->w_stopping)
		log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, w->w_pid, NULL,
		    "instance %d %s", w->w_index, why);
	else
		log_emit(LOG_LEVEL_INFO, w->w_lim.wl_name, w->w_pid, NULL,
		    "instance %d stopped (%s)", w->w_index, how);
	worker_fail(w, why);
	worker_kill(w, SIGKILL);	/* whatever it left in its group */
	w->w_pid = 0;
	w->w_ev.we_exited(w->w_arg, w, c->rstatus, why);
	if (w->w_stopping) {
		worker_set_state(w, WORKER_DEAD);
		return;
	}
	worker_restart_later(w);
}

/*
 * A new instance, dead until worker_start().  The events and limits are
 * copied; pc is borrowed and must outlive the worker (or be replaced with
 * worker_set_conf); arg is handed back to every event.
 */
struct worker *
worker_new(struct ev_loop *loop, int index, const struct worker_events *ev,
    void *arg, const struct worker_limits *lim, const struct plugin_conf *pc)
{
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->w_ev = *ev;
	w->w_arg = arg;
	w->w_lim = *lim;
	w->w_conf = pc;
	w->w_loop = loop;
	w->w_index = index;
	w->w_state = WORKER_DEAD;
	w->w_in = w->w_out = w->w_err = w->w_exec = -1;
	ev_init(&w->w_timer, worker_timer_cb);
	w->w_timer.data = w;
	ev_init(&w->w_log_timer, worker_log_timer_cb);
	w->w_log_timer.data = w;
	return w;
}

/* After a reload: new limits (copied), used from the next start on. */
void
worker_set_limits(struct worker *w, const struct worker_limits *lim)
{
	w->w_lim = *lim;
}

/* After a reload: an equal configuration (borrowed) to spawn from. */
void
worker_set_conf(struct worker *w, const struct plugin_conf *pc)
{
	w->w_conf = pc;
}

/* Frees the worker; it must be dead (stopped and reaped) or never started. */
void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	ev_timer_stop(w->w_loop, &w->w_timer);
	ev_timer_stop(w->w_loop, &w->w_log_timer);
	if (w->w_pid > 0) {
		ev_child_stop(w->w_loop, &w->w_child);
		worker_kill(w, SIGKILL);
	}
	worker_close_pipes(w);
	if (w->w_exec != -1)
		close(w->w_exec);
	line_reader_free(w->w_lr);
	line_reader_free(w->w_lr_err);
	buf_release(&w->w_obuf);
	free(w->w_slots);
	free(w);
}

/* Spawns the instance; a failure is the plugin's runtime state. */
void
worker_start(struct worker *w)
{
	char	 path[PATH_MAX], err[256] = "";
	int	 fds[4];
	pid_t	 pid;

	w->w_stopping = 0;
	w->w_termed = 0;
	w->w_ready_long = 0;
	w->w_exec_error[0] = w->w_fail_reason[0] = '\0';
	w->w_concurrency = 0;
	line_reader_free(w->w_lr);
	line_reader_free(w->w_lr_err);
	w->w_lr = line_reader_new(w->w_lim.wl_max_line_bytes, 0);
	w->w_lr_err = line_reader_new(WORKER_STDERR_MAX, LINE_TRUNCATE);
	if (w->w_lr == NULL || w->w_lr_err == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if ((pid = spawn_start(w->w_conf, fds, path, sizeof(path), err,
	    sizeof(err))) == -1)
		goto fail;
	w->w_pid = pid;
	w->w_in = fds[0];
	w->w_out = fds[1];
	w->w_err = fds[2];
	w->w_exec = fds[3];
	buf_reset(&w->w_obuf);
	w->w_nslots = w->w_abandoned = 0;
	w->w_next_id = 1;
	ev_io_init(&w->w_in_io, worker_in_cb, w->w_in, EV_WRITE);
	ev_io_init(&w->w_out_io, worker_out_cb, w->w_out, EV_READ);
	ev_io_init(&w->w_err_io, worker_err_cb, w->w_err, EV_READ);
	w->w_in_io.data = w->w_out_io.data = w->w_err_io.data = w;
	ev_io_start(w->w_loop, &w->w_out_io);
	ev_io_start(w->w_loop, &w->w_err_io);
	ev_child_init(&w->w_child, worker_child_cb, pid, 0);
	w->w_child.data = w;
	ev_child_start(w->w_loop, &w->w_child);
	ev_timer_stop(w->w_loop, &w->w_timer);
	ev_timer_set(&w->w_timer, w->w_lim.wl_t_start, 0.);
	ev_timer_start(w->w_loop, &w->w_timer);
	log_emit(LOG_LEVEL_INFO, w->w_lim.wl_name, pid, NULL,
	    "instance %d started: %s", w->w_index, path);
	worker_set_state(w, WORKER_STARTING);
	return;
fail:
	log_emit(LOG_LEVEL_WARN, w->w_lim.wl_name, 0, NULL, "instance %d: %s",
	    w->w_index, err);
	w->w_ev.we_exited(w->w_arg, w, -1, err);
	worker_restart_later(w);
}

/* Closes its stdin; SIGTERM after the stop timeout, SIGKILL a bit later. */
void
worker_stop(struct worker *w)
{
	w->w_stopping = 1;
	switch (w->w_state) {
	case WORKER_BACKOFF:
		ev_timer_stop(w->w_loop, &w->w_timer);
		worker_set_state(w, WORKER_DEAD);
		return;
	case WORKER_DEAD:
		return;
	case WORKER_STARTING:
		worker_fail(w, "stopped while starting");
		return;
	case WORKER_READY:
	case WORKER_DRAINING:
		break;
	}
	worker_flush(w);
	worker_unmark_dirty(w);
	worker_close_fd(w, &w->w_in, &w->w_in_io);
	ev_timer_stop(w->w_loop, &w->w_timer);
	ev_timer_set(&w->w_timer, w->w_lim.wl_t_stop, 0.);
	ev_timer_start(w->w_loop, &w->w_timer);
	worker_set_state(w, WORKER_DRAINING);
}

enum worker_state
worker_state(const struct worker *w)
{
	/* Dead but not yet reaped still counts as dead. */
	return w->w_state;
}

int
worker_free_slots(const struct worker *w)
{
	if (w->w_state != WORKER_READY)
		return 0;
	return w->w_concurrency - w->w_nslots;
}

int
worker_in_flight(const struct worker *w)
{
	return w->w_nslots - w->w_abandoned;
}

pid_t
worker_pid(const struct worker *w)
{
	return w->w_pid;
}

double
worker_backoff_left(const struct worker *w)
{
	if (w->w_state != WORKER_BACKOFF)
		return 0;
	return ev_timer_remaining(w->w_loop, (ev_timer *)&w->w_timer);
}

/*
 * Queues the request (borrowed) for the worker with a fresh id on its
 * pipe, encoded by the protocol's codec; the line goes out with the others
 * of this loop iteration.
 */
int
worker_send(struct worker *w, void *call, const struct msg_request *req,
    uint64_t *idp)
{
	struct worker_slot	*s;
	struct msg_request	 mr = *req;

	if (worker_free_slots(w) <= 0)
		return -1;
	mr.mr_id = w->w_next_id;
	if (msg_request_encode(&w->w_obuf, &mr) == -1)
		return -1;
	w->w_next_id++;
	s = &w->w_slots[w->w_nslots++];
	s->ws_id = mr.mr_id;
	s->ws_call = call;
	*idp = mr.mr_id;
	worker_mark_dirty(w);
	return 0;
}

/*
 * The call no longer wants an answer (timed out, or its client left): it
 * keeps its slot until the worker answers.  An instance whose every slot is
 * held that way is restarted.
 */
void
worker_forget(struct worker *w, void *call)
{
	int	 i;

	for (i = 0; i < w->w_nslots; i++)
		if (w->w_slots[i].ws_call == call) {
			w->w_slots[i].ws_call = NULL;
			w->w_abandoned++;
			break;
		}
	/* Not now: the caller may be in the middle of closing a client. */
	if (w->w_state == WORKER_READY && w->w_concurrency > 0 &&
	    w->w_abandoned >= w->w_concurrency) {
		ev_timer_stop(w->w_loop, &w->w_timer);
		ev_timer_set(&w->w_timer, 0., 0.);
		ev_timer_start(w->w_loop, &w->w_timer);
	}
}
