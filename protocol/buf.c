/*
 * A growable byte buffer used as an output queue: producers append at the
 * end, a non-blocking writer consumes from the front.  The consumed prefix is
 * reclaimed lazily, so appending and writing never move data more than once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-protocol.h"

/* Makes room for more bytes at the end (buf_data + buf_len). */
int
buf_reserve(struct buf *b, size_t more)
{
	size_t	 need, cap;
	char	*p;

	if (b->buf_off > 0 && b->buf_off == b->buf_len)
		b->buf_off = b->buf_len = 0;
	if (b->buf_cap - b->buf_len >= more)
		return 0;
	if (b->buf_off > 0 && b->buf_cap - (b->buf_len - b->buf_off) >= more &&
	    b->buf_off >= b->buf_cap / 2) {
		memmove(b->buf_data, b->buf_data + b->buf_off,
		    b->buf_len - b->buf_off);
		b->buf_len -= b->buf_off;
		b->buf_off = 0;
		return 0;
	}
	need = b->buf_len + more;
	if (need < more)
		return -1;
	cap = b->buf_cap ? b->buf_cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	if ((p = realloc(b->buf_data, cap)) == NULL)
		return -1;
	b->buf_data = p;
	b->buf_cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *data, size_t len)
{
	if (len == 0)
		return 0;
	if (buf_reserve(b, len) == -1)
		return -1;
	memcpy(b->buf_data + b->buf_len, data, len);
	b->buf_len += len;
	return 0;
}

/* Appends the string s without its NUL. */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* Appends v in decimal, with a '-' first when negative is set. */
int
buf_put_uint(struct buf *b, unsigned long long v, int negative)
{
	char	 d[24], *p = d + sizeof(d);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (negative)
		*--p = '-';
	return buf_append(b, p, (size_t)(d + sizeof(d) - p));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (buf_reserve(b, 128) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->buf_data + b->buf_len, b->buf_cap - b->buf_len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n >= b->buf_cap - b->buf_len) {
		if (buf_reserve(b, (size_t)n + 1) == -1)
			return -1;
		va_start(ap, fmt);
		n = vsnprintf(b->buf_data + b->buf_len,
		    b->buf_cap - b->buf_len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
	}
	b->buf_len += (size_t)n;
	return 0;
}

size_t
buf_pending(const struct buf *b)
{
	return b->buf_len - b->buf_off;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n > b->buf_len - b->buf_off)
		n = b->buf_len - b->buf_off;
	b->buf_off += n;
	if (b->buf_off == b->buf_len)
		b->buf_off = b->buf_len = 0;
}

/* Writes what the fd takes now; 0 when it would block. */
ssize_t
buf_write(struct buf *b, int fd)
{
	ssize_t	 n, total = 0;

	while (buf_pending(b) > 0) {
		n = write(fd, b->buf_data + b->buf_off, buf_pending(b));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		buf_consume(b, (size_t)n);
		total += n;
	}
	return total;
}

void
buf_reset(struct buf *b)
{
	b->buf_off = b->buf_len = 0;
}

void
buf_release(struct buf *b)
{
	free(b->buf_data);
	b->buf_data = NULL;
	b->buf_off = b->buf_len = b->buf_cap = 0;
}
