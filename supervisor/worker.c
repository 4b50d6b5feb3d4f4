/*
 * One worker process: spawning it in its own process group with its
 * environment and limits, its three pipes, the hello handshake, the table of
 * requests it holds, restarts with backoff and stopping.  State changes
 * happen in worker_set_state() only.  The worker knows no HTTP and no
 * routes: it hands answers, losses and exits to its pool.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-plugind.h"

#define WORKER_STDERR_MAX	8192
#define WORKER_KILL_GRACE	1.0	/* SIGTERM to SIGKILL when stopping */

struct worker_slot {
	uint64_t		 ws_id;
	struct pool_call	*ws_call;	/* NULL once abandoned */
};

struct worker {
	struct pool		*w_pool;
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
	char			 w_name[64];	/* plugin name for logs */
};

/* Workers with output queued this loop iteration: flushed before polling. */
static struct worker	**worker_dirty;
static size_t		  worker_ndirty, worker_dirtycap;
static ev_prepare	  worker_flush_prepare;
static int		  worker_flush_on;

static void	worker_fail(struct worker *, const char *);
static void	worker_read_out(struct worker *);
static void	worker_read_err(struct worker *);
static void	worker_kill(struct worker *, int);

static const char *const worker_state_names[] = {
	"starting", "ready", "draining", "dead", "backoff"
};

static void
worker_set_state(struct worker *w, enum worker_state st)
{
	if (w->w_state == st)
		return;
	log_emit(LOG_LEVEL_DEBUG, w->w_name, w->w_pid, NULL,
	    "instance %d: %s -> %s", w->w_index, worker_state_names[w->w_state],
	    worker_state_names[st]);
	w->w_state = st;
	if (st == WORKER_READY)
		w->w_ready_since = ev_now(w->w_loop);
	pool_worker_changed(w->w_pool, w);
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
}

/* Logs what the worker wrote on stderr, a line at a time, tagged. */
static void
worker_read_err(struct worker *w)
{
	char	*line;
	size_t	 len;
	ssize_t	 n;

	for (;;) {
		n = line_reader_fill(w->w_lr_err, w->w_err);
		while ((line = line_reader_next(w->w_lr_err, &len)) != NULL)
			log_emit(LOG_LEVEL_INFO, w->w_name, w->w_pid, NULL,
			    "stderr: %.*s", (int)len, line);
		if (n > 0)
			continue;
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK)) {
			/* End of file: log any unterminated tail. */
			if (line_reader_feed(w->w_lr_err, "\n", 1) == 0 &&
			    (line = line_reader_next(w->w_lr_err, &len)) !=
			    NULL && len > 0)
				log_emit(LOG_LEVEL_INFO, w->w_name, w->w_pid,
				    NULL, "stderr: %.*s", (int)len, line);
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
	if (pool_conf(w->w_pool)->pc_concurrency > 0 &&
	    pool_conf(w->w_pool)->pc_concurrency < w->w_concurrency)
		w->w_concurrency = pool_conf(w->w_pool)->pc_concurrency;
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
	log_emit(LOG_LEVEL_INFO, w->w_name, w->w_pid, NULL,
	    "instance %d ready, concurrency %d", w->w_index, w->w_concurrency);
	worker_set_state(w, WORKER_READY);
	pool_worker_hello(w->w_pool, w, &h);
	msg_hello_clear(&h);
	pool_worker_idle(w->w_pool, w);
}

static void
worker_line(struct worker *w, char *line, size_t len)
{
	struct worker_slot	*s;
	struct pool_call	*call;
	json_t			*obj;
	uint64_t		 id;
	char			 err[160];

	if ((obj = msg_decode(line, len, err, sizeof(err))) == NULL) {
		if (w->w_state == WORKER_STARTING) {
			worker_fail(w, "first line is not a JSON hello");
			return;
		}
		log_emit(LOG_LEVEL_WARN, w->w_name, w->w_pid, NULL,
		    "protocol violation, line dropped: %s", err);
		return;
	}
	if (w->w_state == WORKER_STARTING) {
		worker_hello(w, obj);
		json_decref(obj);
		return;
	}
	if (msg_id(obj, &id) == -1 || (s = worker_slot_find(w, id)) == NULL) {
		log_emit(LOG_LEVEL_WARN, w->w_name, w->w_pid, NULL,
		    "protocol violation, line dropped: %s",
		    json_object_get(obj, "id") ? "unknown id" : "no id");
		json_decref(obj);
		return;
	}
	call = s->ws_call;
	worker_slot_release(w, s);
	if (call != NULL)
		pool_worker_answer(w->w_pool, call, obj);
	else
		log_emit(LOG_LEVEL_INFO, w->w_name, w->w_pid, NULL,
		    "late answer to request %llu, which timed out or whose "
		    "client left, dropped", (unsigned long long)id);
	json_decref(obj);
	if (w->w_state == WORKER_READY)
		pool_worker_idle(w->w_pool, w);
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

/* Takes every live call away from the worker and hands them to the pool. */
static void
worker_lose_calls(struct worker *w)
{
	struct pool_call	**calls;
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
		pool_worker_lost(w->w_pool, w, calls, n);
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
		log_emit(LOG_LEVEL_WARN, w->w_name, w->w_pid, NULL,
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
			log_emit(LOG_LEVEL_WARN, w->w_name, w->w_pid, NULL,
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
	ssize_t	 n;

	if (w->w_exec == -1)
		return;
	n = read(w->w_exec, &err, sizeof(err));
	if (n == (ssize_t)sizeof(err))
		snprintf(w->w_exec_error, sizeof(w->w_exec_error),
		    "cannot execute %s: %s",
		    pool_conf(w->w_pool)->pc_path, strerror(err));
	close(w->w_exec);
	w->w_exec = -1;
}

static void
worker_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct worker	*w = c->data;
	const struct plugin_conf *pc = pool_conf(w->w_pool);
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
		log_emit(LOG_LEVEL_WARN, w->w_name, w->w_pid, NULL,
		    "instance %d %s", w->w_index, why);
	else
		log_emit(LOG_LEVEL_INFO, w->w_name, w->w_pid, NULL,
		    "instance %d stopped (%s)", w->w_index, how);
	worker_fail(w, why);
	worker_kill(w, SIGKILL);	/* whatever it left in its group */
	w->w_pid = 0;
	pool_worker_exited(w->w_pool, w, c->rstatus, why);
	if (w->w_stopping) {
		worker_set_state(w, WORKER_DEAD);
		return;
	}
	/* Exponential backoff, reset once an instance stayed ready long. */
	if (w->w_backoff == 0 || w->w_ready_long)
		w->w_backoff = pc->pc_restart_initial;
	else {
		w->w_backoff *= 2;
		if (w->w_backoff > pc->pc_restart_max)
			w->w_backoff = pc->pc_restart_max;
	}
	log_emit(LOG_LEVEL_INFO, w->w_name, 0, NULL,
	    "instance %d restarts in %.3f s", w->w_index, w->w_backoff);
	ev_timer_set(&w->w_timer, w->w_backoff, 0.);
	ev_timer_start(loop, &w->w_timer);
	worker_set_state(w, WORKER_BACKOFF);
}

struct worker *
worker_new(struct pool *pool, int index)
{
	struct worker	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->w_pool = pool;
	w->w_loop = pool_loop(pool);
	w->w_index = index;
	w->w_state = WORKER_DEAD;
	w->w_in = w->w_out = w->w_err = w->w_exec = -1;
	snprintf(w->w_name, sizeof(w->w_name), "%s",
	    pool_conf(pool)->pc_name);
	ev_init(&w->w_timer, worker_timer_cb);
	w->w_timer.data = w;
	return w;
}

/* Frees the worker; it must be dead (stopped and reaped) or never started. */
void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	ev_timer_stop(w->w_loop, &w->w_timer);
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

/* Formats a candidate path; 1 when it fits and names an executable. */
static int __attribute__((format(printf, 3, 4)))
worker_try(char *out, size_t outlen, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(out, outlen, fmt, ap);
	va_end(ap);
	return n > 0 && (size_t)n < outlen && access(out, X_OK) == 0;
}

/* Finds a bare command beside the daemon, in a build tree, then in PATH. */
static int
worker_resolve(const char *cmd, char *out, size_t outlen)
{
	char		 self[PATH_MAX], *slash, *path, *dir, *save = NULL;
	ssize_t		 n;
	const char	*env;

	if (strchr(cmd, '/') != NULL) {
		snprintf(out, outlen, "%s", cmd);
		return access(out, X_OK);
	}
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (worker_try(out, outlen, "%s/%s", self, cmd))
				return 0;
			if (strncmp(cmd, "nebula-", 7) == 0 &&
			    worker_try(out, outlen, "%s/../plugins/%s/%s", self,
			    cmd + 7, cmd))
				return 0;
		}
	}
	if ((env = getenv("PATH")) == NULL)
		env = "/usr/local/bin:/usr/bin:/bin";
	if ((path = strdup(env)) == NULL)
		return -1;
	for (dir = strtok_r(path, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save))
		if (worker_try(out, outlen, "%s/%s", *dir ? dir : ".", cmd)) {
			free(path);
			return 0;
		}
	free(path);
	return -1;
}

static char *
worker_read_secret(const char *path, char *err, size_t errlen)
{
	FILE	*fp;
	char	*data = NULL;
	size_t	 cap = 0, len = 0, n;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read secret %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *p = realloc(data, cap + 4096 + 1);

			if (p == NULL)
				break;
			data = p;
			cap += 4096;
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
		if (n == 0 || len > 1024 * 1024)
			break;
	}
	fclose(fp);
	if (data == NULL) {
		snprintf(err, errlen, "cannot read secret %s", path);
		return NULL;
	}
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	data[len] = '\0';
	return data;
}

static void
worker_free_env(char **envp)
{
	size_t	 i;

	if (envp == NULL)
		return;
	for (i = 0; envp[i] != NULL; i++)
		free(envp[i]);
	free(envp);
}

/*
 * The worker's environment: PATH, the sanitizer options when set (for the
 * project's own test builds), the configured env and the secrets.
 */
static char **
worker_build_env(const struct plugin_conf *pc, char *err, size_t errlen)
{
	static const char *const pass[] = {
		"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"
	};
	char		**envp;
	const char	 *v;
	char		 *secret;
	size_t		  i, n = 0, cap;

	cap = sizeof(pass) / sizeof(pass[0]) + pc->pc_nenv + pc->pc_nsecrets +
	    1;
	if ((envp = calloc(cap, sizeof(*envp))) == NULL)
		return NULL;
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		v = getenv(pass[i]);
		if (v == NULL && i == 0)
			v = "/usr/local/bin:/usr/bin:/bin";
		if (v != NULL && asprintf(&envp[n++], "%s=%s", pass[i], v) == -1)
			goto fail;
	}
	for (i = 0; i < pc->pc_nenv; i++)
		if (asprintf(&envp[n++], "%s=%s", pc->pc_env[i].env_name,
		    pc->pc_env[i].env_value) == -1)
			goto fail;
	for (i = 0; i < pc->pc_nsecrets; i++) {
		secret = worker_read_secret(pc->pc_secrets[i].env_value, err,
		    errlen);
		if (secret == NULL)
			goto fail;
		if (asprintf(&envp[n++], "%s=%s", pc->pc_secrets[i].env_name,
		    secret) == -1) {
			free(secret);
			goto fail;
		}
		free(secret);
	}
	return envp;
fail:
	envp[n > 0 ? n - 1 : 0] = NULL;
	worker_free_env(envp);
	if (err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	return NULL;
}

struct worker_ids {
	int	 wi_set;
	uid_t	 wi_uid;
	gid_t	 wi_gid;
	char	 wi_user[64];
};

static int
worker_resolve_ids(const struct plugin_conf *pc, struct worker_ids *ids,
    char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	memset(ids, 0, sizeof(*ids));
	if (pc->pc_user == NULL && pc->pc_group == NULL)
		return 0;
	if (geteuid() != 0)
		return 0;	/* only root can switch; documented */
	ids->wi_set = 1;
	ids->wi_uid = 0;
	ids->wi_gid = 0;
	if (pc->pc_user != NULL) {
		if ((pw = getpwnam(pc->pc_user)) == NULL) {
			snprintf(err, errlen, "unknown user %s", pc->pc_user);
			return -1;
		}
		ids->wi_uid = pw->pw_uid;
		ids->wi_gid = pw->pw_gid;
		snprintf(ids->wi_user, sizeof(ids->wi_user), "%s", pc->pc_user);
	}
	if (pc->pc_group != NULL) {
		if ((gr = getgrnam(pc->pc_group)) == NULL) {
			snprintf(err, errlen, "unknown group %s", pc->pc_group);
			return -1;
		}
		ids->wi_gid = gr->gr_gid;
	}
	return 0;
}

/* Runs in the child between fork and exec: only async-signal-safe calls. */
static void __attribute__((noreturn))
worker_child(const struct plugin_conf *pc, const char *path, char **envp,
    const struct worker_ids *ids, int fds[3], int execfd)
{
	struct rlimit	 rl;
	sigset_t	 all;
	int		 sig, e;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (dup2(fds[0], 0) == -1 || dup2(fds[1], 1) == -1 ||
	    dup2(fds[2], 2) == -1)
		goto fail;
	if (pc->pc_rl_as != RLIMIT_UNSET) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pc->pc_rl_as;
		if (setrlimit(RLIMIT_AS, &rl) == -1)
			goto fail;
	}
	if (pc->pc_rl_nofile != RLIMIT_UNSET) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pc->pc_rl_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			goto fail;
	}
	if (pc->pc_rl_cpu != RLIMIT_UNSET) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)pc->pc_rl_cpu;
		if (setrlimit(RLIMIT_CPU, &rl) == -1)
			goto fail;
	}
	if (pc->pc_workdir != NULL && chdir(pc->pc_workdir) == -1)
		goto fail;
	if (ids->wi_set) {
		if (setgroups(1, &ids->wi_gid) == -1 ||
		    setgid(ids->wi_gid) == -1 || setuid(ids->wi_uid) == -1)
			goto fail;
	}
	execve(path, pc->pc_argv, envp);
fail:
	e = errno;
	if (write(execfd, &e, sizeof(e)) == -1)
		_exit(126);
	_exit(127);
}

/* Spawns the instance; a failure is the plugin's runtime state. */
void
worker_start(struct worker *w)
{
	const struct plugin_conf	*pc = pool_conf(w->w_pool);
	const struct limits_conf	*lim = pool_limits(w->w_pool);
	struct worker_ids		 ids;
	char				 path[PATH_MAX], err[256] = "";
	char				**envp = NULL;
	int				 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int				 errp[2] = { -1, -1 }, ex[2] = { -1, -1 };
	int				 fds[3];
	pid_t				 pid;

	w->w_stopping = 0;
	w->w_termed = 0;
	w->w_exec_error[0] = w->w_fail_reason[0] = '\0';
	w->w_concurrency = 0;
	if (worker_resolve(pc->pc_path, path, sizeof(path)) == -1) {
		if (strchr(pc->pc_path, '/') != NULL)
			snprintf(err, sizeof(err), "cannot execute %s: %s",
			    pc->pc_path, strerror(errno));
		else
			snprintf(err, sizeof(err), "cannot execute %s: command "
			    "not found (looked beside the daemon and in PATH)",
			    pc->pc_path);
		goto fail;
	}
	if ((envp = worker_build_env(pc, err, sizeof(err))) == NULL)
		goto fail;
	if (worker_resolve_ids(pc, &ids, err, sizeof(err)) == -1)
		goto fail;
	if (w->w_lr == NULL)
		w->w_lr = line_reader_new(lim->max_line_bytes, 0);
	if (w->w_lr_err == NULL)
		w->w_lr_err = line_reader_new(WORKER_STDERR_MAX, LINE_TRUNCATE);
	if (w->w_lr == NULL || w->w_lr_err == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1 || pipe2(ex, O_CLOEXEC) == -1) {
		snprintf(err, sizeof(err), "pipe: %s", strerror(errno));
		goto fail;
	}
	fds[0] = in[0];
	fds[1] = out[1];
	fds[2] = errp[1];
	log_flush();
	if ((pid = fork()) == -1) {
		snprintf(err, sizeof(err), "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0)
		worker_child(pc, path, envp, &ids, fds, ex[1]);
	setpgid(pid, pid);	/* both sides, so killpg never races */
	worker_free_env(envp);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	close(ex[1]);
	w->w_pid = pid;
	w->w_in = in[1];
	w->w_out = out[0];
	w->w_err = errp[0];
	w->w_exec = ex[0];
	fcntl(w->w_in, F_SETFL, O_NONBLOCK);
	fcntl(w->w_out, F_SETFL, O_NONBLOCK);
	fcntl(w->w_err, F_SETFL, O_NONBLOCK);
	fcntl(w->w_exec, F_SETFL, O_NONBLOCK);
	line_reader_free(w->w_lr);
	line_reader_free(w->w_lr_err);
	w->w_lr = line_reader_new(lim->max_line_bytes, 0);
	w->w_lr_err = line_reader_new(WORKER_STDERR_MAX, LINE_TRUNCATE);
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
	ev_timer_set(&w->w_timer, pc->pc_t_start, 0.);
	ev_timer_start(w->w_loop, &w->w_timer);
	log_emit(LOG_LEVEL_INFO, w->w_name, pid, NULL,
	    "instance %d started: %s", w->w_index, path);
	worker_set_state(w, WORKER_STARTING);
	return;
fail:
	worker_free_env(envp);
	if (in[0] != -1) {
		close(in[0]);
		close(in[1]);
	}
	if (out[0] != -1) {
		close(out[0]);
		close(out[1]);
	}
	if (errp[0] != -1) {
		close(errp[0]);
		close(errp[1]);
	}
	if (ex[0] != -1) {
		close(ex[0]);
		close(ex[1]);
	}
	log_emit(LOG_LEVEL_WARN, w->w_name, 0, NULL, "instance %d: %s",
	    w->w_index, err);
	pool_worker_exited(w->w_pool, w, -1, err);
	w->w_backoff = w->w_backoff == 0 ? pc->pc_restart_initial :
	    (w->w_backoff * 2 > pc->pc_restart_max ? pc->pc_restart_max :
	    w->w_backoff * 2);
	ev_timer_set(&w->w_timer, w->w_backoff, 0.);
	ev_timer_start(w->w_loop, &w->w_timer);
	worker_set_state(w, WORKER_BACKOFF);
}

/* Closes its stdin; SIGTERM after the stop timeout, SIGKILL a bit later. */
void
worker_stop(struct worker *w)
{
	const struct plugin_conf	*pc = pool_conf(w->w_pool);

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
	ev_timer_set(&w->w_timer, pc->pc_t_stop, 0.);
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
 * Queues the request for the worker with a fresh id on its pipe; the
 * caller has set everything but the id.  The line goes out with the others
 * of this loop iteration.
 */
/*
 * Appends the members of the JSON object text raw (already validated) to
 * the line just encoded: its "}\n" becomes "," and raw follows without its
 * '{', with any line break, which valid JSON only has as white space,
 * turned into a space so that the line stays one line.
 */
static int
worker_splice(struct buf *b, const char *raw, size_t len)
{
	const char	*p = raw, *end = raw + len;
	char		*dst, *q;

	while (p < end && *p != '{')
		p++;
	if (p == end || b->buf_len - b->buf_off < 2)
		return -1;
	p++;
	b->buf_len -= 2;			/* "}\n" */
	if (buf_reserve(b, (size_t)(end - p) + 2) == -1)
		return -1;
	dst = b->buf_data + b->buf_len;
	*dst = ',';
	memcpy(dst + 1, p, (size_t)(end - p));
	for (q = dst + 1; (q = memchr(q, '\n', (size_t)(dst + 1 + (end - p) -
	    q))) != NULL; q++)
		*q = ' ';
	for (q = dst + 1; (q = memchr(q, '\r', (size_t)(dst + 1 + (end - p) -
	    q))) != NULL; q++)
		*q = ' ';
	b->buf_len += 1 + (size_t)(end - p);
	b->buf_data[b->buf_len++] = '\n';
	return 0;
}

int
worker_send(struct worker *w, struct pool_call *call, json_t *req,
    const char *raw, size_t rawlen, uint64_t *idp)
{
	struct worker_slot	*s;
	uint64_t		 id;
	size_t			 keep = buf_pending(&w->w_obuf);

	if (worker_free_slots(w) <= 0)
		return -1;
	id = w->w_next_id++;
	if (json_object_set_new(req, "id", json_integer((json_int_t)id)) == -1 ||
	    msg_encode(&w->w_obuf, req) == -1)
		return -1;
	if (raw != NULL && worker_splice(&w->w_obuf, raw, rawlen) == -1) {
		w->w_obuf.buf_len = w->w_obuf.buf_off + keep;
		return -1;
	}
	s = &w->w_slots[w->w_nslots++];
	s->ws_id = id;
	s->ws_call = call;
	*idp = id;
	worker_mark_dirty(w);
	return 0;
}

/*
 * The call no longer wants an answer (timed out, or its client left): it
 * keeps its slot until the worker answers.  An instance whose every slot is
 * held that way is restarted.
 */
void
worker_forget(struct worker *w, struct pool_call *call)
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
