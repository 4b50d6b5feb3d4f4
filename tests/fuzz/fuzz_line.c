/*
 * libFuzzer target for what a worker writes: the bytes go through the line
 * reader (protocol/line.c) in random-sized pieces, by feed or through a
 * real pipe, in both modes and with small maximum lengths, and each line
 * through the message codec (protocol/msg.c).  The lines are checked
 * against a simple model of the framing, and each decoded message must
 * survive an encode and decode round trip unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nebula-protocol.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the reader is expected to produce, from a scan of the whole input. */
struct line_model {
	const uint8_t	*lm_data;
	size_t		 lm_len;
	size_t		 lm_pos;	/* start of the next segment */
	size_t		 lm_max;
	int		 lm_truncate;
	int		 lm_fed_all;
};

static const size_t line_maxes[8] = { 1, 2, 3, 7, 16, 64, 300, 0 };

static uint32_t
line_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Every decoded message goes through the codec's other entry points. */
static void
line_message(const char *line, size_t len)
{
	struct msg_hello	 h;
	struct buf		 b = { 0 };
	json_t			*obj, *again, *err_obj;
	uint64_t		 id;
	char			 err[256];

	if ((obj = msg_decode(line, len, err, sizeof(err))) == NULL) {
		if (err[0] == '\0')
			abort();	/* a refusal always says why */
		return;
	}
	(void)msg_id(obj, &id);
	if (msg_hello_parse(obj, &h, err, sizeof(err)) == 0) {
		if (h.hello_protocol != NP_PROTOCOL_VERSION ||
		    h.hello_concurrency < 1 ||
		    h.hello_concurrency > NP_MAX_CONCURRENCY)
			abort();
		msg_hello_clear(&h);
	}
	(void)msg_task_types_valid(json_object_get(obj, "task_types"), err,
	    sizeof(err));
	err_obj = json_object_get(obj, "error");
	(void)msg_error_status(json_string_value(json_object_get(err_obj,
	    "code")));
	/* What we would send on must read back as the same message. */
	if (msg_encode(&b, obj) == 0) {
		if (b.buf_len == 0 || b.buf_data[b.buf_len - 1] != '\n' ||
		    memchr(b.buf_data, '\n', b.buf_len - 1) != NULL)
			abort();
		again = msg_decode(b.buf_data, b.buf_len - 1, err,
		    sizeof(err));
		if (again == NULL || !json_equal(obj, again))
			abort();
		json_decref(again);
	}
	buf_release(&b);
	json_decref(obj);
}

/* Checks one line the reader handed out against the next input segment. */
static void
line_expect(struct line_model *m, const char *line, size_t len)
{
	const uint8_t	*seg, *nl;
	size_t		 seglen, cut;

	if (m->lm_pos >= m->lm_len)
		abort();	/* a line from nowhere */
	seg = m->lm_data + m->lm_pos;
	nl = memchr(seg, '\n', m->lm_len - m->lm_pos);
	seglen = nl ? (size_t)(nl - seg) : m->lm_len - m->lm_pos;
	if (nl == NULL && (!m->lm_truncate || seglen <= m->lm_max))
		abort();	/* an unfinished line came out */
	m->lm_pos += seglen + (nl ? 1 : 0);
	if (line[len] != '\0' || memchr(line, '\n', len) != NULL)
		abort();
	if (seglen > m->lm_max) {
		if (!m->lm_truncate)
			abort();	/* should have overflowed */
		/* cut to the maximum, perhaps less a '\r' */
		if (len != m->lm_max && len + 1 != m->lm_max)
			abort();
		if (memcmp(line, seg, len) != 0)
			abort();
		return;
	}
	cut = seglen;
	if (cut > 0 && seg[cut - 1] == '\r')
		cut--;
	if (len != cut || memcmp(line, seg, len) != 0)
		abort();
}

/* At the end: was overflow (or its absence) right, and nothing lost? */
static void
line_finish(struct line_model *m, struct line_reader *lr)
{
	const uint8_t	*seg, *nl;
	size_t		 seglen;

	if (line_reader_overflow(lr)) {
		/* the next segment must be the one too long */
		if (m->lm_truncate || m->lm_pos >= m->lm_len)
			abort();
		seg = m->lm_data + m->lm_pos;
		nl = memchr(seg, '\n', m->lm_len - m->lm_pos);
		seglen = nl ? (size_t)(nl - seg) : m->lm_len - m->lm_pos;
		if (seglen <= m->lm_max)
			abort();
		return;
	}
	if (!m->lm_fed_all)
		return;
	/* Only a short unfinished line may remain. */
	if (m->lm_pos < m->lm_len) {
		seg = m->lm_data + m->lm_pos;
		if (memchr(seg, '\n', m->lm_len - m->lm_pos) != NULL)
			abort();
		if (m->lm_len - m->lm_pos > m->lm_max)
			abort();
	}
}

static int
line_drain(struct line_reader *lr, struct line_model *m)
{
	char	*line;
	size_t	 len;

	while ((line = line_reader_next(lr, &len)) != NULL) {
		line_expect(m, line, len);
		line_message(line, len);
	}
	return line_reader_overflow(lr);
}

/* Through a real non-blocking pipe and line_reader_fill(). */
static void
line_by_pipe(struct line_reader *lr, struct line_model *m,
    const uint8_t *data, size_t size, uint32_t seed)
{
	int	 fds[2];
	size_t	 off = 0, n;
	ssize_t	 w, r;
	int	 stuck = 0;

	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return;
	while (off < size || stuck == 0) {
		if (off < size) {
			n = 1 + line_rand(&seed) % 512;
			if (n > size - off)
				n = size - off;
			w = write(fds[1], data + off, n);
			if (w > 0)
				off += (size_t)w;
		}
		if (off == size && fds[1] != -1) {
			close(fds[1]);
			fds[1] = -1;
		}
		r = line_reader_fill(lr, fds[0]);
		if (r == -1 && errno != EAGAIN && errno != ENOBUFS)
			abort();
		if (line_drain(lr, m))
			break;
		if (r == 0)
			stuck = 1;	/* end of file: all read */
	}
	m->lm_fed_all = stuck;
	if (fds[1] != -1)
		close(fds[1]);
	close(fds[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_reader	*lr;
	struct line_model	 m;
	uint32_t		 seed;
	size_t			 off, n, max;
	uint8_t			 mode;

	if (size < 2)
		return 0;
	mode = data[0];
	seed = 0x9e3779b9u ^ data[1];
	data += 2;
	size -= 2;
	max = line_maxes[(mode >> 1) & 7];
	memset(&m, 0, sizeof(m));
	m.lm_data = data;
	m.lm_len = size;
	m.lm_truncate = (mode & 1) != 0;
	m.lm_max = max ? max : NP_DEFAULT_MAX_LINE;
	if ((lr = line_reader_new(max, m.lm_truncate ? LINE_TRUNCATE : 0)) ==
	    NULL)
		return 0;
	if (mode & 0x10)
		line_by_pipe(lr, &m, data, size, seed);
	else {
		for (off = 0; off < size; off += n) {
			n = 1 + line_rand(&seed) % 97;
			if (n > size - off)
				n = size - off;
			if (line_reader_feed(lr, data + off, n) == -1)
				abort();
			if (line_drain(lr, &m))
				break;
		}
		m.lm_fed_all = off >= size;
	}
	line_finish(&m, lr);
	line_reader_free(lr);
	return 0;
}
