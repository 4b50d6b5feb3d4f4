/*
 * nebula-protocol: the worker line protocol (SPEC.md section 3) as a small
 * leaf library shared by the daemon, the client and the C plugins: output
 * buffers, a non-blocking line reader, the message codec and the
 * resource_id codec.  It depends on jansson and libcrypto only.
 */
#ifndef NEBULA_PROTOCOL_H
#define NEBULA_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#define NP_PROTOCOL_VERSION	1
#define NP_DEFAULT_MAX_LINE	(16 * 1024 * 1024)
#define NP_MAX_CONCURRENCY	1024

/* buf.c: a growable byte buffer with a consumed prefix, for output queues. */
struct buf {
	char	*buf_data;
	size_t	 buf_off;	/* first byte not yet consumed */
	size_t	 buf_len;	/* end of valid data */
	size_t	 buf_cap;
};
int	 buf_reserve(struct buf *, size_t);
int	 buf_append(struct buf *, const void *, size_t);
int	 buf_puts(struct buf *, const char *);
int	 buf_put_uint(struct buf *, unsigned long long, int);
int	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
size_t	 buf_pending(const struct buf *);
void	 buf_consume(struct buf *, size_t);
ssize_t	 buf_write(struct buf *, int);	/* -1 on error, else bytes written */
void	 buf_reset(struct buf *);
void	 buf_release(struct buf *);

/* line.c: splits a byte stream into '\n'-terminated lines, never blocking. */
struct line_reader;
#define LINE_TRUNCATE	0x01	/* over-long lines are cut, not fatal */
struct line_reader *line_reader_new(size_t, int);
void	 line_reader_free(struct line_reader *);
ssize_t	 line_reader_fill(struct line_reader *, int);
int	 line_reader_feed(struct line_reader *, const void *, size_t);
char	*line_reader_next(struct line_reader *, size_t *);
int	 line_reader_overflow(const struct line_reader *);
size_t	 line_reader_buffered(const struct line_reader *);

/* literal.c: plain JSON outputs to Flyte's LiteralMap (protojson) and back. */
json_t	*literal_map_from_plain(json_t *);	/* new reference, or NULL */
json_t	*literal_map_to_plain(json_t *);	/* NULL if not a LiteralMap */
int	 literal_map_is(json_t *);

/*
 * jscan.c: JSON read by yajl when jansson would read it the same way;
 * otherwise "unsure", and the caller asks jansson.
 */
struct jscan_top {
	const char	*jt_want;	/* a top-level member: is it an object? */
	int		(*jt_reserved)(const char *, size_t);
	int		 jt_found;	/* out: jt_want is there, an object */
	int		 jt_has_reserved; /* out: jt_reserved said yes once */
};
struct jscan_raw {
	const char	*jr_name;	/* a top-level member left as text */
	const char	*jr_text;	/* out: its value's bytes, or NULL */
	size_t		 jr_len;
};
int	 jscan_proof(const char *, size_t, int, struct jscan_top *);
/* jgen.c: a jansson tree written as compact JSON by yajl's generator;
   one string written with its quotes and escapes; the UTF-8 rule. */
int	 jgen_append(struct buf *, json_t *);
int	 jgen_string(struct buf *, const char *);
size_t	 jgen_utf8_len(const unsigned char *, const unsigned char *);
json_t	*jscan_load(const char *, size_t, int, struct jscan_raw *);

/* msg.c: JSON messages on the pipe. */
#define MSG_MAX_DEPTH		64	/* input limits: objects and arrays */
#define MSG_MAX_STRING		1048576	/* bytes of a string or name */
int	 msg_limits_check(json_t *, char *, size_t);
int	 msg_line_id(const char *, size_t, uint64_t *);
#define MSG_HELLO_FIRST_LINE	"{\"hello\": {\"protocol\": 1, ...}}"
/* The optional ops a hello may declare in "ops" (create, get, delete are
   always served). */
#define MSG_OP_LOGS	0x01
#define MSG_OP_METRICS	0x02
struct msg_hello {
	int		 hello_protocol;
	char		*hello_name;		/* may be NULL */
	json_t		*hello_task_types;	/* array or NULL; owned */
	int		 hello_concurrency;
	unsigned	 hello_ops;		/* MSG_OP_* declared */
};
json_t	*msg_decode(const char *, size_t, char *, size_t);
json_t	*msg_decode_raw(const char *, size_t, struct jscan_raw *, char *,
	    size_t);
json_t	*msg_decode_jansson(const char *, size_t, char *, size_t);
int	 msg_encode(struct buf *, json_t *);
int	 msg_hello_parse(json_t *, struct msg_hello *, char *, size_t);
void	 msg_hello_clear(struct msg_hello *);
json_t	*msg_hello_new(const char *, json_t *, int);
int	 msg_hello_set_ops(json_t *, unsigned);
int	 msg_id(json_t *, uint64_t *);
int	 msg_task_types_valid(json_t *, char *, size_t);
int	 msg_error_status(const char *);
int	 msg_serves(json_t *, const char *, const char *);

/* request.c: the request line, daemon to worker (SPEC.md section 3). */
struct msg_request {
	uint64_t	 mr_id;
	const char	*mr_op;		/* "create", "get", "delete", ... */
	const char	*mr_task_type;
	const char	*mr_version;
	const char	*mr_request_id;	/* or NULL: left out */
	const char	*mr_traceparent;	/* or NULL: left out */
	long long	 mr_deadline_ms;	/* < 0: left out */
	json_t		*mr_resource_meta;	/* get/delete: borrowed, or NULL */
	json_t		*mr_body;	/* create: its members follow the
					   daemon's (borrowed), or NULL */
	const char	*mr_raw;	/* create: a JSON object text spliced
					   as is instead of mr_body, or NULL */
	size_t		 mr_rawlen;
};
#define MSG_NOPS	5
extern const char *const msg_op_names[MSG_NOPS];	/* create ... metrics */
int	 msg_request_encode(struct buf *, const struct msg_request *);
int	 msg_request_reserved(json_t *);
int	 msg_request_name_reserved(const char *, size_t);
int	 msg_request_parse(json_t *, struct msg_request *, char *, size_t);

/* rid.c: the opaque resource_id that carries a job's state. */
#define RID_MAX_KEYS	8
struct rid_keys {
	size_t	 nkeys;
	char	*keys[RID_MAX_KEYS];	/* first signs, all verify */
	size_t	 keylens[RID_MAX_KEYS];
};
struct rid {
	char	*rid_type;
	char	*rid_version;
	json_t	*rid_meta;
};
enum rid_status {
	RID_OK = 0,
	RID_MALFORMED,		/* does not decode: 400 */
	RID_FORGED		/* missing or wrong signature: 403 */
};
char	*rid_encode(const char *, const char *, json_t *,
	    const struct rid_keys *);
char	*rid_encode_text(const char *, const char *, const char *, size_t,
	    const struct rid_keys *);
enum rid_status rid_decode(const char *, size_t, const struct rid_keys *,
	    struct rid *);
void	 rid_clear(struct rid *);
int	 rid_keys_load(struct rid_keys *, const char *, char *, size_t);
void	 rid_keys_clear(struct rid_keys *);

#endif
