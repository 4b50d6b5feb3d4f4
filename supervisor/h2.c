/*
 * HTTP/2 connections on the daemon's loop: http.c hands over a socket (and
 * its TLS session) that starts with the HTTP/2 preface or negotiated "h2",
 * and this file owns it from then on: one nghttp2 server session fed from
 * the socket, partial writes, limits and timeouts, the rapid-reset bound,
 * graceful shutdown.  Streams go up to grpc.c; nghttp2 never leaves here.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "nebula-plugind.h"

#define H2_MAX_STREAMS	100	/* SETTINGS_MAX_CONCURRENT_STREAMS */
#define H2_OUT_HIGH	65536	/* socket output kept before asking nghttp2 */
#define H2_RST_WINDOW	10.0	/* seconds over which resets are counted */
#define H2_RST_MAX	200	/* client resets per window before GOAWAY */
#define H2_MAX_HEADERS	64	/* header fields per request */
#define H2_LINGER	2.0	/* seconds reading after our last byte */

struct h2_header {
	char	*hh_name;
	char	*hh_value;
};

struct h2_stream {
	TAILQ_ENTRY(h2_stream)	 hs_entry;
	struct h2_conn		*hs_conn;
	int32_t			 hs_id;
	void			*hs_data;	/* the grpc call, NULL: none */
	struct h2_header	 hs_hdrs[H2_MAX_HEADERS];
	size_t			 hs_nhdrs;
	size_t			 hs_hdr_bytes;
	struct buf		 hs_out;	/* body not yet taken by nghttp2 */
	char			**hs_trailers;	/* name, value pairs; to send */
	size_t			 hs_ntrailers;
	int			 hs_responded;	/* response HEADERS submitted */
	int			 hs_ending;	/* trailers follow the body */
	int			 hs_deferred;	/* the data source waits */
	int			 hs_ended;	/* se_end told, or last data */
	size_t			 hs_dleft;	/* unpadded DATA bytes to come */
	uint8_t			 hs_dflags;	/* of the DATA frame coming in */
};
TAILQ_HEAD(h2_streams, h2_stream);

struct h2_conn {
	TAILQ_ENTRY(h2_conn)	 hc_entry;
	TAILQ_ENTRY(h2_conn)	 hc_dentry;	/* in h2.dirty */
	struct h2_streams	 hc_streams;
	nghttp2_session		*hc_sess;
	int			 hc_fd;
	void			*hc_tls;
	ev_io			 hc_rio;
	ev_io			 hc_wio;
	ev_timer		 hc_timer;
	struct buf		 hc_out;
	int			 hc_dirty;
	int			 hc_busy;	/* inside nghttp2_session_mem_recv */
	int			 hc_closing;	/* close once output is out */
	int			 hc_rwant_w;	/* TLS read waits for writable */
	int			 hc_wwant_r;	/* TLS write waits for readable */
	int			 hc_settled;	/* the client's SETTINGS came */
	int			 hc_linger;	/* written all, draining input */
	ev_tstamp		 hc_start;
	ev_tstamp		 hc_active;	/* last byte in or out */
	ev_tstamp		 hc_wprog;	/* last write progress */
	ev_tstamp		 hc_hdr_since;	/* a header block is open */
	ev_tstamp		 hc_rst_start;
	unsigned		 hc_rst_count;
	size_t			 hc_blocked;	/* stream bytes not yet framed */
};
TAILQ_HEAD(h2_conns, h2_conn);

static struct {
	struct ev_loop		*loop;
	struct limits_conf	 lim;
	int			 lim_set;
	const struct h2_stream_events *ev;	/* grpc.c's */
	void			(*released)(void);
	struct h2_conns		 conns;
	struct h2_conns		 dirty;
	size_t			 nconns;
	ev_prepare		 prep;
	int			 stopping;
	uint8_t			 rbuf[16384];
} h2 = {
	.conns = TAILQ_HEAD_INITIALIZER(h2.conns),
	.dirty = TAILQ_HEAD_INITIALIZER(h2.dirty),
};

static void	 h2_conn_close(struct h2_conn *);
static void	 h2_conn_flush(struct h2_conn *);
static void	 h2_conn_check(struct h2_conn *);

void
h2_set_limits(const struct limits_conf *lim)
{
	h2.lim = *lim;
	h2.lim_set = 1;
	if (h2.ev != NULL && h2.ev->se_limits != NULL)
		h2.ev->se_limits(lim);
}

/* Told each time a connection taken by h2_take() closes (http.c's count). */
void
h2_set_released(void (*fn)(void))
{
	h2.released = fn;
}

/* The protocol served on the streams (grpc.c) registers its events. */
void
h2_set_streams(const struct h2_stream_events *ev)
{
	h2.ev = ev;
	if (ev != NULL && ev->se_limits != NULL && h2.lim_set)
		ev->se_limits(&h2.lim);
}

size_t
h2_connections(void)
{
	return h2.nconns;
}

/* Most a stream may hold unsent (its peer's window closed): then refused. */
size_t
h2_stream_limit(void)
{
	size_t	 l = h2.lim.max_body_bytes * 2 + 1024;

	return l < 1048576 ? 1048576 : l;
}

static void
h2_stream_free(struct h2_stream *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->hs_nhdrs; i++) {
		free(s->hs_hdrs[i].hh_name);
		free(s->hs_hdrs[i].hh_value);
	}
	for (i = 0; i < s->hs_ntrailers * 2; i++)
		free(s->hs_trailers[i]);
	free(s->hs_trailers);
	s->hs_conn->hc_blocked -= buf_pending(&s->hs_out);
	buf_release(&s->hs_out);
	free(s);
}

/* The stream is gone for good: tell the call above, then free it. */
static void
h2_stream_gone(struct h2_stream *s)
{
	void	*data = s->hs_data;

	TAILQ_REMOVE(&s->hs_conn->hc_streams, s, hs_entry);
	s->hs_data = NULL;
	if (data != NULL)
		h2.ev->se_gone(data);
	h2_stream_free(s);
}

/* Output waits: flushed from the ev_prepare, once per loop turn. */
static void
h2_conn_dirty(struct h2_conn *c)
{
	if (c->hc_dirty)
		return;
	c->hc_dirty = 1;
	TAILQ_INSERT_TAIL(&h2.dirty, c, hc_dentry);
	if (!ev_is_active(&h2.prep))
		ev_prepare_start(h2.loop, &h2.prep);
}

static void
h2_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct h2_conn	*c;

	(void)w;
	(void)revents;
	while ((c = TAILQ_FIRST(&h2.dirty)) != NULL) {
		TAILQ_REMOVE(&h2.dirty, c, hc_dentry);
		c->hc_dirty = 0;
		h2_conn_flush(c);	/* may close c */
	}
	ev_prepare_stop(loop, &h2.prep);
}

const char *
h2_stream_header(struct h2_stream *s, const char *name)
{
	size_t	 i;

	for (i = 0; i < s->hs_nhdrs; i++)
		if (strcmp(s->hs_hdrs[i].hh_name, name) == 0)
			return s->hs_hdrs[i].hh_value;
	return NULL;
}

void
h2_stream_set_data(struct h2_stream *s, void *data)
{
	s->hs_data = data;
}

size_t
h2_stream_pending(const struct h2_stream *s)
{
	return buf_pending(&s->hs_out);
}

/* nghttp2 asks for body bytes: what is buffered, then EOF and trailers. */
static ssize_t
h2_data_read_cb(nghttp2_session *sess, int32_t id, uint8_t *dst, size_t len,
    uint32_t *flags, nghttp2_data_source *src, void *arg)
{
	struct h2_stream	*s = src->ptr;
	struct h2_conn		*c = arg;
	nghttp2_nv		*nva;
	size_t			 n, i;

	(void)id;
	/* Flow control: the call may write more now that the peer took all. */
	if (buf_pending(&s->hs_out) == 0 && !s->hs_ending &&
	    s->hs_data != NULL && h2.ev->se_drained != NULL)
		h2.ev->se_drained(s->hs_data);
	n = buf_pending(&s->hs_out);
	if (n > len)
		n = len;
	if (n > 0) {
		memcpy(dst, s->hs_out.buf_data + s->hs_out.buf_off, n);
		buf_consume(&s->hs_out, n);
		c->hc_blocked -= n;
	}
	if (buf_pending(&s->hs_out) > 0)
		return (ssize_t)n;
	if (!s->hs_ending) {
		if (n > 0)
			return (ssize_t)n;
		s->hs_deferred = 1;
		return NGHTTP2_ERR_DEFERRED;
	}
	*flags |= NGHTTP2_DATA_FLAG_EOF;
	if (s->hs_ntrailers == 0)
		return (ssize_t)n;
	if ((nva = calloc(s->hs_ntrailers, sizeof(*nva))) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	for (i = 0; i < s->hs_ntrailers; i++) {
		nva[i].name = (uint8_t *)s->hs_trailers[2 * i];
		nva[i].namelen = strlen(s->hs_trailers[2 * i]);
		nva[i].value = (uint8_t *)s->hs_trailers[2 * i + 1];
		nva[i].valuelen = strlen(s->hs_trailers[2 * i + 1]);
		nva[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	if (nghttp2_submit_trailer(sess, s->hs_id, nva, s->hs_ntrailers) == 0)
		*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
	free(nva);
	return (ssize_t)n;
}

static nghttp2_nv *
h2_nva(const char *const *hdrs, size_t n)
{
	nghttp2_nv	*nva;
	size_t		 i;

	if ((nva = calloc(n == 0 ? 1 : n, sizeof(*nva))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		nva[i].name = (uint8_t *)(uintptr_t)hdrs[2 * i];
		nva[i].namelen = strlen(hdrs[2 * i]);
		nva[i].value = (uint8_t *)(uintptr_t)hdrs[2 * i + 1];
		nva[i].valuelen = strlen(hdrs[2 * i + 1]);
		nva[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	return nva;
}

/*
 * Submits the response HEADERS (n name, value pairs).  With more set a body
 * follows (h2_stream_write, then h2_stream_end); without, the stream ends
 * with these headers (a trailers-only answer).
 */
int
h2_stream_respond(struct h2_stream *s, const char *const *hdrs, size_t n,
    int more)
{
	nghttp2_data_provider	 prd;
	nghttp2_nv		*nva;
	int			 rv;

	if (s->hs_responded || (nva = h2_nva(hdrs, n)) == NULL)
		return -1;
	prd.source.ptr = s;
	prd.read_callback = h2_data_read_cb;
	rv = nghttp2_submit_response(s->hs_conn->hc_sess, s->hs_id, nva, n,
	    more ? &prd : NULL);
	free(nva);
	if (rv != 0)
		return -1;
	s->hs_responded = 1;
	h2_conn_dirty(s->hs_conn);
	return 0;
}

static void
h2_stream_resume(struct h2_stream *s)
{
	if (s->hs_deferred) {
		s->hs_deferred = 0;
		nghttp2_session_resume_data(s->hs_conn->hc_sess, s->hs_id);
	}
	h2_conn_dirty(s->hs_conn);
}

/* Appends body bytes; -1 when the stream already holds its limit unsent. */
int
h2_stream_write(struct h2_stream *s, const void *p, size_t len)
{
	if (!s->hs_responded || s->hs_ending ||
	    buf_pending(&s->hs_out) + len > h2_stream_limit())
		return -1;
	if (buf_append(&s->hs_out, p, len) == -1)
		return -1;
	s->hs_conn->hc_blocked += len;
	h2_stream_resume(s);
	return 0;
}

/* Ends the body: trailers (n pairs, copied) follow the buffered bytes. */
int
h2_stream_end(struct h2_stream *s, const char *const *hdrs, size_t n)
{
	size_t	 i;

	if (!s->hs_responded || s->hs_ending)
		return -1;
	if (n > 0 && (s->hs_trailers = calloc(n * 2, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < n * 2; i++)
		if ((s->hs_trailers[i] = strdup(hdrs[i])) == NULL) {
			while (i-- > 0)
				free(s->hs_trailers[i]);
			free(s->hs_trailers);
			s->hs_trailers = NULL;
			return -1;
		}
	s->hs_ntrailers = n;
	s->hs_ending = 1;
	h2_stream_resume(s);
	return 0;
}

static int
h2_begin_headers_cb(nghttp2_session *sess, const nghttp2_frame *f,
    void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;

	if (f->hd.type != NGHTTP2_HEADERS ||
	    f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	c->hc_hdr_since = ev_now(h2.loop);
	if (h2.stopping)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	s->hs_conn = c;
	s->hs_id = f->hd.stream_id;
	if (nghttp2_session_set_stream_user_data(sess, s->hs_id, s) != 0) {
		free(s);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	TAILQ_INSERT_TAIL(&c->hc_streams, s, hs_entry);
	return 0;
}

/* One request header: kept, within max_header_bytes (431 otherwise). */
static int
h2_header_cb(nghttp2_session *sess, const nghttp2_frame *f,
    const uint8_t *name, size_t namelen, const uint8_t *value,
    size_t valuelen, uint8_t flags, void *arg)
{
	struct h2_stream	*s;
	struct h2_header	*h;

	(void)flags;
	(void)arg;
	if (f->hd.type != NGHTTP2_HEADERS ||
	    (s = nghttp2_session_get_stream_user_data(sess,
	    f->hd.stream_id)) == NULL || s->hs_responded)
		return 0;	/* trailers from the client: not used */
	s->hs_hdr_bytes += namelen + valuelen + 32;
	if (s->hs_hdr_bytes > h2.lim.max_header_bytes ||
	    s->hs_nhdrs == H2_MAX_HEADERS) {
		/* Too much: answered 431 once the block ends. */
		s->hs_hdr_bytes = SIZE_MAX / 2;
		return 0;
	}
	h = &s->hs_hdrs[s->hs_nhdrs];
	if ((h->hh_name = strndup((const char *)name, namelen)) == NULL)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if ((h->hh_value = strndup((const char *)value, valuelen)) == NULL) {
		free(h->hh_name);
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	}
	s->hs_nhdrs++;
	return 0;
}

/* A client reset: counted, and past the bound the connection is cut. */
static void
h2_conn_reset_seen(struct h2_conn *c)
{
	ev_tstamp	 now = ev_now(h2.loop);

	if (now - c->hc_rst_start > H2_RST_WINDOW) {
		c->hc_rst_start = now;
		c->hc_rst_count = 0;
	}
	if (++c->hc_rst_count <= H2_RST_MAX || c->hc_closing)
		return;
	log_warnx("h2: %u stream resets in %.0f s: GOAWAY ENHANCE_YOUR_CALM",
	    c->hc_rst_count, H2_RST_WINDOW);
	nghttp2_session_terminate_session(c->hc_sess,
	    NGHTTP2_ENHANCE_YOUR_CALM);
	c->hc_closing = 1;
}

static int
h2_frame_recv_cb(nghttp2_session *sess, const nghttp2_frame *f, void *arg)
{
	struct h2_conn		*c = arg;
	struct h2_stream	*s;
	static const char *const too_big[] = { ":status", "431" };

	switch (f->hd.type) {
	case NGHTTP2_SETTINGS:
		c->hc_settled = 1;
		return 0;
	case NGHTTP2_RST_STREAM:
		h2_conn_reset_seen(c);
		return 0;
	case NGHTTP2_HEADERS:
	case NGHTTP2_DATA:
		break;
	default:
		return 0;
	}
	if ((s = nghttp2_session_get_stream_user_data(sess,
	    f->hd.stream_id)) == NULL)
		return 0;
	if (f->hd.type == NGHTTP2_HEADERS &&
	    f->headers.cat == NGHTTP2_HCAT_REQUEST) {
		c->hc_hdr_since = 0;
		if (s->hs_hdr_bytes > h2.lim.max_header_bytes)
			h2_stream_respond(s, too_big, 1, 0);
		else
			h2.ev->se_open(s);	/* may answer at once */
	}
	if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) && s->hs_data != NULL &&
	    !s->hs_ended) {
		s->hs_ended = 1;
		h2.ev->se_end(s->hs_data);
	}
	return 0;
}

/*
 * A DATA frame's header: how many bytes it carries and whether the stream
 * ends with them, so that its last chunk can say so and a message that
 * came whole is used where nghttp2 has it, not copied.
 */
static int
h2_begin_frame_cb(nghttp2_session *sess, const nghttp2_frame_hd *hd,
    void *arg)
{
	struct h2_stream	*s;

	(void)arg;
	if (hd->type != NGHTTP2_DATA || (s =
	    nghttp2_session_get_stream_user_data(sess, hd->stream_id)) == NULL)
		return 0;
	s->hs_dflags = hd->flags;
	s->hs_dleft = hd->length;
	return 0;
}

static int
h2_data_chunk_cb(nghttp2_session *sess, uint8_t flags, int32_t id,
    const uint8_t *data, size_t len, void *arg)
{
	struct h2_stream	*s;
	int			 last;

	(void)flags;
	(void)arg;
	if ((s = nghttp2_session_get_stream_user_data(sess, id)) == NULL)
		return 0;
	s->hs_dleft -= len < s->hs_dleft ? len : s->hs_dleft;
	/* Padded frames end at frame_recv, after their padding. */
	last = (s->hs_dflags & NGHTTP2_FLAG_END_STREAM) &&
	    !(s->hs_dflags & NGHTTP2_FLAG_PADDED) && s->hs_dleft == 0;
	if (s->hs_data == NULL || s->hs_ended)
		return 0;
	if (last)
		s->hs_ended = 1;
	h2.ev->se_data(s->hs_data, data, len, last);
	return 0;
}

static int
h2_stream_close_cb(nghttp2_session *sess, int32_t id, uint32_t code,
    void *arg)
{
	struct h2_stream	*s;

	(void)code;
	(void)arg;
	if ((s = nghttp2_session_get_stream_user_data(sess, id)) == NULL)
		return 0;
	nghttp2_session_set_stream_user_data(sess, id, NULL);
	h2_stream_gone(s);
	return 0;
}

/* Feeds bytes from the peer to the session; -1: the connection is done. */
static int
h2_conn_feed(struct h2_conn *c, const uint8_t *p, size_t len)
{
	ssize_t	 rv;

	c->hc_busy = 1;
	rv = nghttp2_session_mem_recv(c->hc_sess, p, len);
	c->hc_busy = 0;
	if (rv < 0) {
		log_debug("h2: %s", nghttp2_strerror((int)rv));
		c->hc_closing = 1;	/* what nghttp2 queued (GOAWAY) goes */
		return -1;
	}
	return 0;
}

/* Frames from nghttp2 into the output buffer, and out to the socket. */
static void
h2_conn_flush(struct h2_conn *c)
{
	const uint8_t	*p;
	ssize_t		 n;

	for (;;) {
		while (buf_pending(&c->hc_out) < H2_OUT_HIGH &&
		    !c->hc_wwant_r) {
			n = nghttp2_session_mem_send(c->hc_sess, &p);
			if (n < 0) {
				log_debug("h2: %s", nghttp2_strerror((int)n));
				h2_conn_close(c);
				return;
			}
			if (n == 0)
				break;
			if (buf_append(&c->hc_out, p, (size_t)n) == -1) {
				h2_conn_close(c);
				return;
			}
		}
		if (buf_pending(&c->hc_out) == 0)
			break;
		n = tls_write(c->hc_fd, c->hc_tls, c->hc_out.buf_data +
		    c->hc_out.buf_off, buf_pending(&c->hc_out), &c->hc_wwant_r);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno != EPIPE && errno != ECONNRESET)
				log_debug("h2: write: %s", strerror(errno));
			h2_conn_close(c);
			return;
		}
		buf_consume(&c->hc_out, (size_t)n);
		c->hc_wprog = c->hc_active = ev_now(h2.loop);
	}
	if (buf_pending(&c->hc_out) > 0 && !c->hc_wwant_r) {
		if (!ev_is_active(&c->hc_wio))
			ev_io_start(h2.loop, &c->hc_wio);
	} else if (!c->hc_rwant_w)
		ev_io_stop(h2.loop, &c->hc_wio);
	h2_conn_check(c);
}

/* Closes a finished connection, or arms its timer on the next deadline. */
static void
h2_conn_check(struct h2_conn *c)
{
	ev_tstamp	 now = ev_now(h2.loop), at;

	if (c->hc_busy)
		return;
	if (c->hc_linger)
		return;
	if (buf_pending(&c->hc_out) == 0 && (c->hc_closing ||
	    (!nghttp2_session_want_read(c->hc_sess) &&
	    !nghttp2_session_want_write(c->hc_sess)))) {
		if (c->hc_tls != NULL || shutdown(c->hc_fd, SHUT_WR) == -1) {
			h2_conn_close(c);
			return;
		}
		/*
		 * Closing now with input unread would reset the connection
		 * and could lose our GOAWAY: read until the peer's EOF.
		 */
		c->hc_linger = 1;
		c->hc_closing = 1;
		if (!ev_is_active(&c->hc_rio))
			ev_io_start(h2.loop, &c->hc_rio);
		ev_timer_stop(h2.loop, &c->hc_timer);
		ev_timer_set(&c->hc_timer, H2_LINGER, 0.0);
		ev_timer_start(h2.loop, &c->hc_timer);
		return;
	}
	if (!c->hc_settled)
		at = c->hc_start + h2.lim.header_timeout;
	else if (c->hc_hdr_since != 0)
		at = c->hc_hdr_since + h2.lim.header_timeout;
	else if (buf_pending(&c->hc_out) > 0 || c->hc_blocked > 0 ||
	    c->hc_closing)
		at = c->hc_wprog + h2.lim.body_timeout;	/* output stalled */
	else if (TAILQ_EMPTY(&c->hc_streams))
		at = c->hc_active + h2.lim.idle_timeout;
	else {
		ev_timer_stop(h2.loop, &c->hc_timer);	/* calls run */
		return;
	}
	ev_timer_stop(h2.loop, &c->hc_timer);
	ev_timer_set(&c->hc_timer, at > now ? at - now : 0.0, 0.0);
	ev_timer_start(h2.loop, &c->hc_timer);
}

static void
h2_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct h2_conn	*c = w->data;
	ev_tstamp	 now = ev_now(loop);

	(void)revents;
	if (c->hc_linger) {
		h2_conn_close(c);
		return;
	}
	if (!c->hc_settled || c->hc_hdr_since != 0)
		log_debug("h2: header timeout");
	else if (buf_pending(&c->hc_out) > 0 || c->hc_blocked > 0 ||
	    c->hc_closing) {
		if (now - c->hc_wprog < h2.lim.body_timeout) {
			h2_conn_check(c);
			return;
		}
		log_debug("h2: output stalled for %.0f s",
		    h2.lim.body_timeout);
		h2_conn_close(c);
		return;
	} else if (now - c->hc_active < h2.lim.idle_timeout) {
		h2_conn_check(c);
		return;
	}
	/* Idle or too slow: GOAWAY, then close once it is out. */
	nghttp2_session_terminate_session(c->hc_sess, NGHTTP2_NO_ERROR);
	c->hc_closing = 1;
	c->hc_wprog = now;
	h2_conn_flush(c);
}

static void
h2_conn_read(struct h2_conn *c)
{
	ssize_t	 n;

	if (c->hc_linger) {
		while ((n = recv(c->hc_fd, h2.rbuf, sizeof(h2.rbuf), 0)) > 0)
			;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR))
			h2_conn_close(c);
		return;
	}
	if (c->hc_wwant_r) {
		c->hc_wwant_r = 0;
		h2_conn_flush(c);
		return;
	}
	do {
		n = tls_read(c->hc_fd, c->hc_tls, h2.rbuf, sizeof(h2.rbuf),
		    &c->hc_rwant_w);
		if (c->hc_rwant_w && !ev_is_active(&c->hc_wio))
			ev_io_start(h2.loop, &c->hc_wio);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				break;
			if (errno != ECONNRESET)
				log_debug("h2: read: %s", strerror(errno));
			h2_conn_close(c);
			return;
		}
		if (n == 0) {
			h2_conn_close(c);	/* the peer left */
			return;
		}
		c->hc_active = ev_now(h2.loop);
		if (c->hc_closing)
			continue;	/* drained, not parsed */
		if (h2_conn_feed(c, h2.rbuf, (size_t)n) == -1)
			break;
	} while (c->hc_tls != NULL && tls_pending(c->hc_tls) > 0);
	h2_conn_flush(c);
}

static void
h2_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	h2_conn_read(w->data);
}

static void
h2_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct h2_conn	*c = w->data;

	(void)loop;
	(void)revents;
	if (c->hc_rwant_w) {
		c->hc_rwant_w = 0;
		h2_conn_read(c);
		return;
	}
	h2_conn_flush(c);
}

/*
 * Closes at once: every stream still open is gone for the calls above.
 * Never called from inside an nghttp2 callback.
 */
static void
h2_conn_close(struct h2_conn *c)
{
	struct h2_stream	*s;

	ev_io_stop(h2.loop, &c->hc_rio);
	ev_io_stop(h2.loop, &c->hc_wio);
	ev_timer_stop(h2.loop, &c->hc_timer);
	if (c->hc_dirty)
		TAILQ_REMOVE(&h2.dirty, c, hc_dentry);
	TAILQ_REMOVE(&h2.conns, c, hc_entry);
	while ((s = TAILQ_FIRST(&c->hc_streams)) != NULL)
		h2_stream_gone(s);
	nghttp2_session_del(c->hc_sess);
	tls_conn_free(c->hc_tls);
	close(c->hc_fd);
	buf_release(&c->hc_out);
	free(c);
	h2.nconns--;
	if (h2.released != NULL)
		h2.released();	/* the connection count of who handed it */
}

/*
 * Takes the connection fd (non-blocking) and its TLS session (NULL for
 * cleartext): on success both are owned here from now on.  On failure
 * (-1) nothing was taken: the caller closes them, as http.c does.
 * buffered holds what http.c already read, preface included.
 */
int
h2_take(struct ev_loop *loop, int fd, void *tls, const char *buffered,
    size_t len)
{
	static const struct limits_conf	 dflt = { 1048576, 4096, 10, 30, 60,
	    16384, 16777216 };
	nghttp2_session_callbacks	*cbs = NULL;
	nghttp2_option			*opt = NULL;
	nghttp2_settings_entry		 set[2];
	struct h2_conn			*c = NULL;

	if (h2.ev == NULL)
		return -1;	/* no protocol registered for the streams */
	if (h2.loop == NULL) {
		h2.loop = loop;
		ev_prepare_init(&h2.prep, h2_prepare_cb);
	}
	if (!h2.lim_set)
		h2_set_limits(&dflt);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto fail;
	c->hc_fd = fd;
	c->hc_tls = tls;
	TAILQ_INIT(&c->hc_streams);
	if (nghttp2_session_callbacks_new(&cbs) != 0 ||
	    nghttp2_option_new(&opt) != 0)
		goto fail;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
	    h2_begin_headers_cb);
	nghttp2_session_callbacks_set_on_header_callback(cbs, h2_header_cb);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs,
	    h2_frame_recv_cb);
	nghttp2_session_callbacks_set_on_begin_frame_callback(cbs,
	    h2_begin_frame_cb);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
	    h2_data_chunk_cb);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
	    h2_stream_close_cb);
	nghttp2_option_set_max_settings(opt, 32);
	if (nghttp2_session_server_new2(&c->hc_sess, cbs, c, opt) != 0) {
		c->hc_sess = NULL;
		goto fail;
	}
	nghttp2_session_callbacks_del(cbs);
	nghttp2_option_del(opt);
	cbs = NULL;
	opt = NULL;
	set[0].settings_id = NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS;
	set[0].value = H2_MAX_STREAMS;
	set[1].settings_id = NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE;
	set[1].value = (uint32_t)h2.lim.max_header_bytes;
	if (nghttp2_submit_settings(c->hc_sess, NGHTTP2_FLAG_NONE, set, 2) !=
	    0)
		goto fail;
	ev_io_init(&c->hc_rio, h2_read_cb, fd, EV_READ);
	ev_io_init(&c->hc_wio, h2_write_cb, fd, EV_WRITE);
	ev_timer_init(&c->hc_timer, h2_timer_cb, 0.0, 0.0);
	c->hc_rio.data = c->hc_wio.data = c->hc_timer.data = c;
	c->hc_start = c->hc_active = c->hc_wprog = ev_now(loop);
	TAILQ_INSERT_TAIL(&h2.conns, c, hc_entry);
	h2.nconns++;
	ev_io_start(loop, &c->hc_rio);
	if (len > 0)
		(void)h2_conn_feed(c, (const uint8_t *)buffered, len);
	h2_conn_flush(c);	/* our SETTINGS; may close c */
	return 0;

fail:
	nghttp2_session_callbacks_del(cbs);
	nghttp2_option_del(opt);
	if (c != NULL)
		nghttp2_session_del(c->hc_sess);
	free(c);
	return -1;
}

/*
 * Graceful stop: GOAWAY on every connection naming the last stream taken,
 * so the streams in flight finish; each closes when it has no more.
 */
void
h2_shutdown(void)
{
	struct h2_conn	*c, *next;

	h2.stopping = 1;
	for (c = TAILQ_FIRST(&h2.conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, hc_entry);
		if (!c->hc_settled) {
			h2_conn_close(c);
			continue;
		}
		nghttp2_submit_goaway(c->hc_sess, NGHTTP2_FLAG_NONE,
		    nghttp2_session_get_last_proc_stream_id(c->hc_sess),
		    NGHTTP2_NO_ERROR, NULL, 0);
		h2_conn_dirty(c);
	}
}
