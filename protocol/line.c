/*
 * The line reader splits a non-blocking byte stream into lines ended by
 * '\n' (a trailing '\r' is dropped).  It enforces a maximum line length
 * before anything is parsed: past it, the stream is either marked as
 * overflowed (worker stdout, where that is fatal) or the line is cut and the
 * rest of it skipped (worker stderr, where it is only a log).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-protocol.h"

#define LINE_READ_CHUNK	65536

struct line_reader {
	char	*lr_buf;
	size_t	 lr_off;	/* start of the unread data */
	size_t	 lr_len;	/* end of the data */
	size_t	 lr_cap;
	size_t	 lr_scan;	/* bytes after lr_off known to hold no '\n' */
	size_t	 lr_max;
	int	 lr_flags;
	int	 lr_overflow;
	int	 lr_skipping;	/* truncating: drop bytes up to next '\n' */
};

struct line_reader *
line_reader_new(size_t max, int flags)
{
	struct line_reader	*lr;

	if ((lr = calloc(1, sizeof(*lr))) == NULL)
		return NULL;
	lr->lr_max = max ? max : NP_DEFAULT_MAX_LINE;
	lr->lr_flags = flags;
	return lr;
}

void
line_reader_free(struct line_reader *lr)
{
	if (lr == NULL)
		return;
	free(lr->lr_buf);
	free(lr);
}

static int
line_reader_reserve(struct line_reader *lr, size_t more)
{
	size_t	 cap;
	char	*p;

	if (lr->lr_off > 0) {
		memmove(lr->lr_buf, lr->lr_buf + lr->lr_off,
		    lr->lr_len - lr->lr_off);
		lr->lr_len -= lr->lr_off;
		lr->lr_off = 0;
	}
	if (lr->lr_cap - lr->lr_len >= more)
		return 0;
	cap = lr->lr_cap ? lr->lr_cap : 4096;
	while (cap - lr->lr_len < more)
		cap *= 2;
	if ((p = realloc(lr->lr_buf, cap)) == NULL)
		return -1;
	lr->lr_buf = p;
	lr->lr_cap = cap;
	return 0;
}

static size_t
line_reader_room(const struct line_reader *lr)
{
	size_t	 have = lr->lr_len - lr->lr_off;

	/* Room for one byte past the limit, so that overflow can be seen. */
	if (have > lr->lr_max)
		return 0;
	return lr->lr_max + 1 - have;
}

/*
 * Reads what the fd has now.  Returns the bytes read, 0 at end of file, -1
 * on error with errno set (EAGAIN: nothing to read now).
 */
ssize_t
line_reader_fill(struct line_reader *lr, int fd)
{
	size_t	 want;
	ssize_t	 n;

	want = line_reader_room(lr);
	if (want > LINE_READ_CHUNK)
		want = LINE_READ_CHUNK;
	if (want == 0) {
		/* Caller must drain lines (or see the overflow) first. */
		errno = ENOBUFS;
		return -1;
	}
	if (lr->lr_cap - lr->lr_len < want &&
	    line_reader_reserve(lr, want) == -1)
		return -1;
	do
		n = read(fd, lr->lr_buf + lr->lr_len, want);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		lr->lr_len += (size_t)n;
	return n;
}

/* Appends bytes as if read from a stream: for tests, fuzzers and the SDK. */
int
line_reader_feed(struct line_reader *lr, const void *data, size_t len)
{
	if (line_reader_reserve(lr, len) == -1)
		return -1;
	memcpy(lr->lr_buf + lr->lr_len, data, len);
	lr->lr_len += len;
	return 0;
}

/*
 * Returns the next complete line, NUL-terminated in place without its
 * '\n' (and '\r'), its length in *lenp; it stays valid until the next call.
 * Embedded NUL bytes are kept: callers use the length.  NULL when no
 * complete line is buffered or the stream overflowed.
 */
char *
line_reader_next(struct line_reader *lr, size_t *lenp)
{
	char	*start, *nl;
	size_t	 have, len;

	for (;;) {
		if (lr->lr_overflow)
			return NULL;
		start = lr->lr_buf + lr->lr_off;
		have = lr->lr_len - lr->lr_off;
		if (have == 0) {
			lr->lr_off = lr->lr_len = lr->lr_scan = 0;
			return NULL;
		}
		nl = memchr(start + lr->lr_scan, '\n', have - lr->lr_scan);
		if (nl == NULL) {
			lr->lr_scan = have;
			if (have <= lr->lr_max)
				return NULL;
			if (!(lr->lr_flags & LINE_TRUNCATE)) {
				lr->lr_overflow = 1;
				return NULL;
			}
			/* Hand out the first lr_max bytes, skip the rest. */
			len = lr->lr_max;
			lr->lr_off += have;
			lr->lr_scan = 0;
			if (lr->lr_skipping)
				continue;
			lr->lr_skipping = 1;
			start[len] = '\0';
			*lenp = len;
			return start;
		}
		len = (size_t)(nl - start);
		lr->lr_off += len + 1;
		lr->lr_scan = 0;
		if (lr->lr_skipping) {
			lr->lr_skipping = 0;
			continue;
		}
		if (len > lr->lr_max) {
			if (!(lr->lr_flags & LINE_TRUNCATE)) {
				lr->lr_overflow = 1;
				return NULL;
			}
			len = lr->lr_max;
		}
		if (len > 0 && start[len - 1] == '\r')
			len--;
		start[len] = '\0';
		*lenp = len;
		return start;
	}
}

int
line_reader_overflow(const struct line_reader *lr)
{
	return lr->lr_overflow;
}

size_t
line_reader_buffered(const struct line_reader *lr)
{
	return lr->lr_len - lr->lr_off;
}
