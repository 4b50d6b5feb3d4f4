/*
 * One worker process run directly, with no daemon, for `local` and `check`:
 * its stdin and stdout are pipes to us, its stderr is ours (the terminal).
 * It runs in its own process group so that a ^C reaches only us, and we can
 * still ask it to delete the job; exec failure comes back through a
 * close-on-exec pipe.  wpipe owns the process until wpipe_free() reaps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define WPIPE_WRITE_TIMEOUT	5000	/* ms a worker may take to read */

struct wpipe {
	pid_t			 wp_pid;
	int			 wp_reaped;
	int			 wp_status;
	int			 wp_in;		/* worker's stdin, -1 closed */
	int			 wp_out;	/* worker's stdout */
	int			 wp_eof;
	struct line_reader	*wp_lr;
};

double
wpipe_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
wpipe_child(char *const *argv, int in, int out, int ex)
{
	int	 e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (dup2(in, STDIN_FILENO) == -1 || dup2(out, STDOUT_FILENO) == -1)
		goto fail;
	if (in != STDIN_FILENO)
		close(in);
	if (out != STDOUT_FILENO)
		close(out);
	execvp(argv[0], argv);
fail:
	e = errno;
	(void)!write(ex, &e, sizeof(e));
	_exit(127);
}

/* Starts argv[0] (looked up in PATH); NULL with errno when it cannot run. */
struct wpipe *
wpipe_start(char *const *argv)
{
	struct wpipe	*wp;
	int		 in[2] = { -1, -1 }, out[2] = { -1, -1 };
	int		 ex[2] = { -1, -1 }, e = 0, status;
	ssize_t		 n;

	if ((wp = calloc(1, sizeof(*wp))) == NULL)
		return NULL;
	wp->wp_in = wp->wp_out = -1;
	wp->wp_pid = -1;
	if ((wp->wp_lr = line_reader_new(0, 0)) == NULL)
		goto fail;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1 ||
	    pipe2(ex, O_CLOEXEC) == -1)
		goto fail;
	if ((wp->wp_pid = fork()) == -1)
		goto fail;
	if (wp->wp_pid == 0) {
		close(in[1]);
		close(out[0]);
		close(ex[0]);
		wpipe_child(argv, in[0], out[1], ex[1]);
	}
	close(in[0]);
	close(out[1]);
	close(ex[1]);
	in[0] = out[1] = ex[1] = -1;
	wp->wp_in = in[1];
	wp->wp_out = out[0];
	do
		n = read(ex[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	close(ex[0]);
	ex[0] = -1;
	if (n > 0) {
		while (waitpid(wp->wp_pid, &status, 0) == -1 && errno == EINTR)
			;
		wp->wp_reaped = 1;
		errno = e;
		goto fail;
	}
	if (fcntl(wp->wp_in, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(wp->wp_out, F_SETFL, O_NONBLOCK) == -1)
		goto fail;
	return wp;
fail:
	e = errno;
	if (in[0] != -1)
		close(in[0]);
	if (out[1] != -1)
		close(out[1]);
	if (ex[0] != -1)
		close(ex[0]);
	if (ex[1] != -1)
		close(ex[1]);
	if (wp->wp_in == -1 && in[1] != -1)
		close(in[1]);
	if (wp->wp_out == -1 && out[0] != -1)
		close(out[0]);
	wpipe_free(wp);
	errno = e;
	return NULL;
}

pid_t
wpipe_pid(const struct wpipe *wp)
{
	return wp->wp_pid;
}

/* Writes one request line; -1 when the worker does not take it. */
int
wpipe_send(struct wpipe *wp, const struct msg_request *req)
{
	struct buf	 b = { 0 };
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 rv = -1;

	if (wp->wp_in == -1) {
		errno = EPIPE;
		return -1;
	}
	if (msg_request_encode(&b, req) == -1) {
		errno = EINVAL;
		goto fail;
	}
	while (buf_pending(&b) > 0) {
		n = buf_write(&b, wp->wp_in);
		if (n == -1 && errno != EAGAIN)
			goto fail;
		if (n > 0 || buf_pending(&b) == 0)
			continue;
		pfd.fd = wp->wp_in;
		pfd.events = POLLOUT;
		n = poll(&pfd, 1, WPIPE_WRITE_TIMEOUT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ETIMEDOUT;
			goto fail;
		}
	}
	rv = 0;
fail:
	buf_release(&b);
	return rv;
}

/*
 * The next stdout line within timeout seconds: WPIPE_LINE (*line valid
 * until the next call), WPIPE_EOF, WPIPE_TIMEOUT, or -1 with errno
 * (EMSGSIZE: the line is longer than the protocol allows).
 */
int
wpipe_line(struct wpipe *wp, double timeout, char **line, size_t *len)
{
	struct pollfd	 pfd;
	double		 end = wpipe_now() + timeout, left;
	ssize_t		 n;

	for (;;) {
		if ((*line = line_reader_next(wp->wp_lr, len)) != NULL)
			return WPIPE_LINE;
		if (line_reader_overflow(wp->wp_lr)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (wp->wp_eof)
			return WPIPE_EOF;
		n = line_reader_fill(wp->wp_lr, wp->wp_out);
		if (n == 0) {
			wp->wp_eof = 1;
			continue;
		}
		if (n > 0)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		left = end - wpipe_now();
		if (left <= 0)
			return WPIPE_TIMEOUT;
		pfd.fd = wp->wp_out;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(left * 1000) + 1) == -1 &&
		    errno != EINTR)
			return -1;
	}
}

/* Closes the worker's stdin: end of input, it should exit. */
void
wpipe_close(struct wpipe *wp)
{
	if (wp->wp_in != -1) {
		close(wp->wp_in);
		wp->wp_in = -1;
	}
}

/* Waits up to timeout seconds for the worker to exit: 0 or WPIPE_TIMEOUT. */
int
wpipe_wait(struct wpipe *wp, double timeout, int *status)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	double		 end = wpipe_now() + timeout;
	pid_t		 p;

	while (!wp->wp_reaped) {
		p = waitpid(wp->wp_pid, &wp->wp_status, WNOHANG);
		if (p == wp->wp_pid || (p == -1 && errno != EINTR)) {
			wp->wp_reaped = 1;
			break;
		}
		if (wpipe_now() >= end)
			return WPIPE_TIMEOUT;
		nanosleep(&ts, NULL);
	}
	if (status != NULL)
		*status = wp->wp_status;
	return 0;
}

/* Kills the worker's process group if it still runs, reaps it, frees. */
void
wpipe_free(struct wpipe *wp)
{
	if (wp == NULL)
		return;
	wpipe_close(wp);
	if (wp->wp_out != -1)
		close(wp->wp_out);
	if (wp->wp_pid > 0 && !wp->wp_reaped) {
		killpg(wp->wp_pid, SIGKILL);
		while (waitpid(wp->wp_pid, &wp->wp_status, 0) == -1 &&
		    errno == EINTR)
			;
	}
	line_reader_free(wp->wp_lr);
	free(wp);
}
