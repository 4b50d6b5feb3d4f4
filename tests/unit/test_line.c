/*
 * Unit tests of the line reader (protocol/line.c): lines split across
 * reads, many lines in one read, the maximum line length with and without
 * LINE_TRUNCATE, embedded NULs, CRLF, and a real non-blocking pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nebula-protocol.h"

static void
expect_line(struct line_reader *lr, const char *want)
{
	char	*line;
	size_t	 len;

	line = line_reader_next(lr, &len);
	assert_non_null(line);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(line, want, len);
	assert_int_equal(line[len], '\0');
}

static void
expect_none(struct line_reader *lr)
{
	size_t	 len;

	assert_null(line_reader_next(lr, &len));
}

static void
test_line_split_byte_by_byte(void **state)
{
	struct line_reader	*lr;
	const char		*in = "{\"id\":1}\n{\"id\":22}\n";
	size_t			 i;
	int			 got = 0;
	char			*line;
	size_t			 len;

	(void)state;
	assert_non_null(lr = line_reader_new(0, 0));
	for (i = 0; i < strlen(in); i++) {
		assert_int_equal(line_reader_feed(lr, in + i, 1), 0);
		if ((line = line_reader_next(lr, &len)) != NULL) {
			assert_string_equal(line, got == 0 ? "{\"id\":1}" :
			    "{\"id\":22}");
			got++;
		}
	}
	assert_int_equal(got, 2);
	expect_none(lr);
	assert_int_equal(line_reader_buffered(lr), 0);
	line_reader_free(lr);
}

static void
test_line_many_in_one_feed(void **state)
{
	struct line_reader	*lr;
	const char		*in = "a\nbb\nccc\ndd";

	(void)state;
	assert_non_null(lr = line_reader_new(0, 0));
	assert_int_equal(line_reader_feed(lr, in, strlen(in)), 0);
	expect_line(lr, "a");
	expect_line(lr, "bb");
	expect_line(lr, "ccc");
	expect_none(lr);
	assert_int_equal(line_reader_buffered(lr), 2);
	assert_int_equal(line_reader_feed(lr, "d\n", 2), 0);
	expect_line(lr, "ddd");
	expect_none(lr);
	line_reader_free(lr);
}

static void
test_line_empty_lines_and_crlf(void **state)
{
	struct line_reader	*lr;
	const char		*in = "\n\r\nx\r\ny\r\r\n";

	(void)state;
	assert_non_null(lr = line_reader_new(0, 0));
	assert_int_equal(line_reader_feed(lr, in, strlen(in)), 0);
	expect_line(lr, "");
	expect_line(lr, "");
	expect_line(lr, "x");
	expect_line(lr, "y\r");		/* only one '\r' is part of CRLF */
	expect_none(lr);
	line_reader_free(lr);
}

static void
test_line_embedded_nul_kept(void **state)
{
	struct line_reader	*lr;
	char			*line;
	size_t			 len;

	(void)state;
	assert_non_null(lr = line_reader_new(0, 0));
	assert_int_equal(line_reader_feed(lr, "a\0b\0c\n", 6), 0);
	line = line_reader_next(lr, &len);
	assert_non_null(line);
	assert_int_equal(len, 5);
	assert_memory_equal(line, "a\0b\0c", 5);
	line_reader_free(lr);
}

static void
test_line_at_limit_is_fine(void **state)
{
	struct line_reader	*lr;

	(void)state;
	assert_non_null(lr = line_reader_new(8, 0));
	assert_int_equal(line_reader_feed(lr, "12345678\n", 9), 0);
	expect_line(lr, "12345678");
	assert_int_equal(line_reader_feed(lr, "1234567\r\n", 9), 0);
	expect_line(lr, "1234567");
	assert_false(line_reader_overflow(lr));
	line_reader_free(lr);
}

static void
test_line_overflow_without_truncate(void **state)
{
	struct line_reader	*lr;

	(void)state;
	assert_non_null(lr = line_reader_new(8, 0));
	assert_int_equal(line_reader_feed(lr, "ok\n123456789", 12), 0);
	expect_line(lr, "ok");
	expect_none(lr);
	assert_true(line_reader_overflow(lr));
	/* Once overflowed, nothing more comes out. */
	assert_int_equal(line_reader_feed(lr, "\nfine\n", 6), 0);
	expect_none(lr);
	assert_true(line_reader_overflow(lr));
	line_reader_free(lr);
}

static void
test_line_overflow_with_newline_in_same_feed(void **state)
{
	struct line_reader	*lr;

	(void)state;
	assert_non_null(lr = line_reader_new(4, 0));
	assert_int_equal(line_reader_feed(lr, "abcdefgh\nok\n", 12), 0);
	expect_none(lr);
	assert_true(line_reader_overflow(lr));
	line_reader_free(lr);
}

static void
test_line_truncate_cuts_and_skips(void **state)
{
	struct line_reader	*lr;

	(void)state;
	assert_non_null(lr = line_reader_new(4, LINE_TRUNCATE));
	/* Complete over-long line in one feed. */
	assert_int_equal(line_reader_feed(lr, "abcdefgh\nok\n", 12), 0);
	expect_line(lr, "abcd");
	expect_line(lr, "ok");
	expect_none(lr);
	/* Over-long line arriving in pieces: cut once, rest skipped. */
	assert_int_equal(line_reader_feed(lr, "123456", 6), 0);
	expect_line(lr, "1234");
	expect_none(lr);
	assert_int_equal(line_reader_feed(lr, "789012345", 9), 0);
	expect_none(lr);
	assert_int_equal(line_reader_feed(lr, "6789\nnext\n", 10), 0);
	expect_line(lr, "next");
	expect_none(lr);
	assert_false(line_reader_overflow(lr));
	line_reader_free(lr);
}

static void
test_line_pipe_nonblocking_eagain_and_eof(void **state)
{
	struct line_reader	*lr;
	int			 fds[2];
	ssize_t			 n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_not_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1);
	assert_non_null(lr = line_reader_new(0, 0));

	n = line_reader_fill(lr, fds[0]);
	assert_int_equal(n, -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

	assert_int_equal(write(fds[1], "hello\nwor", 9), 9);
	assert_int_equal(line_reader_fill(lr, fds[0]), 9);
	expect_line(lr, "hello");
	expect_none(lr);
	n = line_reader_fill(lr, fds[0]);
	assert_int_equal(n, -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);

	assert_int_equal(write(fds[1], "ld\n", 3), 3);
	close(fds[1]);
	assert_int_equal(line_reader_fill(lr, fds[0]), 3);
	expect_line(lr, "world");
	assert_int_equal(line_reader_fill(lr, fds[0]), 0);	/* EOF */
	expect_none(lr);
	close(fds[0]);
	line_reader_free(lr);
}

static void
test_line_pipe_overflow_stops_reading(void **state)
{
	struct line_reader	*lr;
	int			 fds[2];
	char			 junk[64];
	ssize_t			 n;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_not_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), -1);
	assert_non_null(lr = line_reader_new(16, 0));
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(write(fds[1], junk, sizeof(junk)), sizeof(junk));
	/* The reader never holds more than the limit plus one byte. */
	n = line_reader_fill(lr, fds[0]);
	assert_int_equal(n, 17);
	expect_none(lr);
	assert_true(line_reader_overflow(lr));
	assert_int_equal(line_reader_fill(lr, fds[0]), -1);
	assert_int_equal(errno, ENOBUFS);
	close(fds[0]);
	close(fds[1]);
	line_reader_free(lr);
}

static void
test_line_big_line_grows_buffer(void **state)
{
	struct line_reader	*lr;
	char			*big, *line;
	size_t			 len, n = 300000;

	(void)state;
	assert_non_null(big = malloc(n + 1));
	memset(big, 'q', n);
	big[n] = '\n';
	assert_non_null(lr = line_reader_new(0, 0));
	assert_int_equal(line_reader_feed(lr, big, n / 2), 0);
	expect_none(lr);
	assert_int_equal(line_reader_feed(lr, big + n / 2, n + 1 - n / 2), 0);
	line = line_reader_next(lr, &len);
	assert_non_null(line);
	assert_int_equal(len, n);
	assert_memory_equal(line, big, n);
	free(big);
	line_reader_free(lr);
}

static void
test_line_free_null(void **state)
{
	(void)state;
	line_reader_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_split_byte_by_byte),
		cmocka_unit_test(test_line_many_in_one_feed),
		cmocka_unit_test(test_line_empty_lines_and_crlf),
		cmocka_unit_test(test_line_embedded_nul_kept),
		cmocka_unit_test(test_line_at_limit_is_fine),
		cmocka_unit_test(test_line_overflow_without_truncate),
		cmocka_unit_test(test_line_overflow_with_newline_in_same_feed),
		cmocka_unit_test(test_line_truncate_cuts_and_skips),
		cmocka_unit_test(test_line_pipe_nonblocking_eagain_and_eof),
		cmocka_unit_test(test_line_pipe_overflow_stops_reading),
		cmocka_unit_test(test_line_big_line_grows_buffer),
		cmocka_unit_test(test_line_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
