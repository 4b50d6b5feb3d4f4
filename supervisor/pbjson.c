/*
 * protojson for protobuf-c messages: write any message as JSON text through
 * yajl's generator (the jansson tree, where one is wanted, is that text read
 * back) and decode JSON into any message, driven only by protobuf-c's
 * descriptors, with the protojson rules (json_name or proto names, 64-bit
 * integers as strings, enums by name, bytes as base64, maps, oneofs,
 * omitted defaults) and the well-known types Struct, Value, ListValue,
 * Timestamp, Duration and the wrappers as their plain JSON forms.  The text
 * is what a worker may read: UTF-8 as jansson reads it, a map key given
 * twice written once, at most 64 deep, and with PBJSON_LIMITS within the
 * other input limits.  Decoding is strict: an unknown field fails, and the
 * error names the field's path.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <yajl/yajl_gen.h>

#include "nebula-protocol.h"
#include "pbjson.h"

#define PBJSON_NAME_MAX		128
#define PBJSON_PATH_MAX		256
#define PBJSON_DEPTH_MAX	MSG_MAX_DEPTH	/* JSON nesting, both ways */

struct pbjson_ctx {
	int	 flags;
	int	 depth;
	char	 path[PBJSON_PATH_MAX];
	char	*err;
	size_t	 errlen;
};

static int	 pbjson_dec_into(struct pbjson_ctx *, ProtobufCMessage *,
		    json_t *);
static int	 pbjson_dec_value(struct pbjson_ctx *, ProtobufCMessage *,
		    json_t *);

/*
 * The json_name protoc derives from a proto field name: underscores
 * dropped, the letter after each one capitalised.  -1 if it does not fit.
 */
int
pbjson_json_name(const char *name, char *out, size_t outlen)
{
	size_t	 n = 0;
	int	 up = 0;

	for (; *name != '\0'; name++) {
		if (*name == '_') {
			up = 1;
			continue;
		}
		if (n + 1 >= outlen)
			return -1;
		if (up && *name >= 'a' && *name <= 'z')
			out[n++] = (char)(*name - 'a' + 'A');
		else
			out[n++] = *name;
		up = 0;
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return 0;
}

static int
pbjson_fail(struct pbjson_ctx *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n = 0;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	if (c->path[0] != '\0')
		n = snprintf(c->err, c->errlen, "%s: ", c->path);
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends ".name" or "[i]" to the path; returns the old length to restore. */
static size_t
pbjson_push(struct pbjson_ctx *c, const char *name, long idx)
{
	size_t	 len = strlen(c->path);

	if (name != NULL)
		snprintf(c->path + len, sizeof(c->path) - len, "%s%s",
		    len > 0 ? "." : "", name);
	else
		snprintf(c->path + len, sizeof(c->path) - len, "[%ld]", idx);
	return len;
}

static const ProtobufCFieldDescriptor *
pbjson_field(const ProtobufCMessageDescriptor *d, const char *name)
{
	return protobuf_c_message_descriptor_get_field_by_name(d, name);
}

static int
pbjson_is(const ProtobufCMessageDescriptor *d, const char *name)
{
	return strcmp(d->name, name) == 0;
}

static int
pbjson_is_wrapper(const ProtobufCMessageDescriptor *d)
{
	static const char *const names[] = {
		"google.protobuf.DoubleValue", "google.protobuf.FloatValue",
		"google.protobuf.Int64Value", "google.protobuf.UInt64Value",
		"google.protobuf.Int32Value", "google.protobuf.UInt32Value",
		"google.protobuf.BoolValue", "google.protobuf.StringValue",
		"google.protobuf.BytesValue"
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (pbjson_is(d, names[i]))
			return 1;
	return 0;
}

/* A map field: repeated XxxEntry {key = 1; value = 2;} named after it. */
static int
pbjson_is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor	*d = f->descriptor;
	char					 want[PBJSON_NAME_MAX];

	if (f->label != PROTOBUF_C_LABEL_REPEATED ||
	    f->type != PROTOBUF_C_TYPE_MESSAGE || d == NULL ||
	    d->n_fields != 2 || strcmp(d->fields[0].name, "key") != 0 ||
	    strcmp(d->fields[1].name, "value") != 0)
		return 0;
	if (pbjson_json_name(f->name, want, sizeof(want) - 5) == -1)
		return 0;
	if (want[0] >= 'a' && want[0] <= 'z')
		want[0] = (char)(want[0] - 'a' + 'A');
	strcat(want, "Entry");
	return strcmp(d->short_name, want) == 0;
}

static size_t
pbjson_elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		return sizeof(uint32_t);
	}
}

/* Base64 */

/* Standard alphabet with padding, as protojson writes bytes. */
static char *
pbjson_b64_encode(const uint8_t *in, size_t len)
{
	char	*out;

	if (len > INT_MAX / 4 * 3 - 3 ||
	    (out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	(void)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

static int
pbjson_b64_val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/*
 * Standard or URL-safe alphabet, padded or not; -1 on anything else.  The
 * bytes (free them) are followed by a NUL, not counted in bd->len.
 */
int
pbjson_b64_decode(const char *in, size_t len, ProtobufCBinaryData *bd)
{
	uint8_t	*out;
	size_t	 i, n = 0, all = len;
	uint32_t acc = 0;
	int	 bits = 0, v;

	while (len > 0 && in[len - 1] == '=')
		len--;
	if (len % 4 == 1 || all - len > 2 || (all != len && all % 4 != 0))
		return -1;
	if ((out = malloc(len * 3 / 4 + 1)) == NULL)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = pbjson_b64_val(in[i])) == -1) {
			free(out);
			return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	out[n] = '\0';
	bd->data = out;
	bd->len = n;
	return 0;
}

/* Time: days from 1970-01-01 for a proleptic Gregorian date, and back. */

static int64_t
pbjson_days(int64_t y, unsigned m, unsigned d)
{
	int64_t		 era;
	unsigned	 yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
pbjson_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		 era;
	unsigned	 doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ".5", ".500000" or ".500000000": 0, 3, 6 or 9 digits, as protojson. */
static void
pbjson_frac(char *buf, size_t len, int32_t nanos)
{
	if (nanos == 0)
		buf[0] = '\0';
	else if (nanos % 1000000 == 0)
		snprintf(buf, len, ".%03d", (int)(nanos / 1000000));
	else if (nanos % 1000 == 0)
		snprintf(buf, len, ".%06d", (int)(nanos / 1000));
	else
		snprintf(buf, len, ".%09d", (int)nanos);
}

/* Reads ".ddd" (1 to 9 digits) into nanoseconds; *s moves past it. */
static int
pbjson_parse_frac(const char **s, int32_t *nanos)
{
	const char	*p = *s;
	int32_t		 n = 0, scale = 100000000;

	*nanos = 0;
	if (*p != '.')
		return 0;
	p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (scale == 0)
			return -1;
		n += (*p - '0') * scale;
		scale /= 10;
	}
	*nanos = n;
	*s = p;
	return 0;
}

static int
pbjson_digits(const char *s, int n, unsigned *out)
{
	int	 i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*out = *out * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

/* RFC 3339, years 0001 to 9999, "Z" or a numeric offset. */
static int
pbjson_parse_time(const char *s, int64_t *secs, int32_t *nanos)
{
	unsigned	 y, mo, d, h, mi, se, oh, om;
	int64_t		 t;
	int		 sign;

	if (strlen(s) < 20 || pbjson_digits(s, 4, &y) || s[4] != '-' ||
	    pbjson_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    pbjson_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    pbjson_digits(s + 11, 2, &h) || s[13] != ':' ||
	    pbjson_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    pbjson_digits(s + 17, 2, &se))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	s += 19;
	if (pbjson_parse_frac(&s, nanos) == -1)
		return -1;
	t = pbjson_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0') {
		*secs = t;
		return 0;
	}
	if ((*s != '+' && *s != '-') || strlen(s) != 6 ||
	    pbjson_digits(s + 1, 2, &oh) || s[3] != ':' ||
	    pbjson_digits(s + 4, 2, &om) || oh > 23 || om > 59)
		return -1;
	sign = *s == '+' ? 1 : -1;
	*secs = t - sign * (int64_t)(oh * 3600 + om * 60);
	return 0;
}

/* "1.5s", "-0.25s", "3s". */
static int
pbjson_parse_duration(const char *s, int64_t *secs, int32_t *nanos)
{
	const char	*p = s;
	int64_t		 v = 0;
	int		 neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > 315576000000LL)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (pbjson_parse_frac(&p, nanos) == -1 || *p != 's' || p[1] != '\0' ||
	    v > 315576000000LL)
		return -1;
	*secs = neg ? -v : v;
	if (neg)
		*nanos = -*nanos;
	return 0;
}

/* Is a singular field present (set, or not its default)? */
static int
pbjson_present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char			*base = (const char *)m;
	const void			*p = base + f->offset;
	const ProtobufCBinaryData	*bd;
	const char			*s;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) ==
		    f->id;
	if (f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(ProtobufCMessage *const *)p != NULL;
	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_STRING)
		return *(const protobuf_c_boolean *)(base +
		    f->quantifier_offset);
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)p;
		return s != NULL && (f->label == PROTOBUF_C_LABEL_OPTIONAL ||
		    s[0] != '\0');
	case PROTOBUF_C_TYPE_BYTES:
		bd = p;
		return bd->len > 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)p != 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)p != 0 || signbit(*(const double *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)p != 0 || signbit(*(const float *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)p != 0;
	default:
		return *(const uint32_t *)p != 0;
	}
}

/* Encoding: protojson text written by yajl's generator. */

struct pbjson_gen {
	yajl_gen	 pg_g;
	struct buf	*pg_buf;
	int		 pg_flags;
	int		 pg_depth;	/* objects and arrays open */
	int		 pg_nomem;	/* the buffer could not grow */
	struct buf	 pg_tok;	/* one string value, escaped */
	char		 pg_err[128];
};

/* One map entry, for finding the keys given more than once. */
struct pbjson_entry {
	const ProtobufCFieldDescriptor	*pe_kf;
	const char			*pe_e;
	size_t				 pe_i;
};

#define PBJSON_MAP_SCAN		16	/* entries compared pairwise, not sorted */

static int	 pbjson_gen_msg(struct pbjson_gen *, const ProtobufCMessage *);

/* yajl writes token by token: the copy is inline while the room lasts. */
static void
pbjson_gen_print(void *ctx, const char *s, size_t len)
{
	struct pbjson_gen	*pg = ctx;
	struct buf		*b = pg->pg_buf;

	if (b->buf_cap - b->buf_len >= len) {
		memcpy(b->buf_data + b->buf_len, s, len);
		b->buf_len += len;
	} else if (buf_append(b, s, len) == -1)
		pg->pg_nomem = 1;
}

/* Keeps the first reason; -1. */
static int
pbjson_gen_fail(struct pbjson_gen *pg, const char *fmt, ...)
{
	va_list	 ap;

	if (pg->pg_err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(pg->pg_err, sizeof(pg->pg_err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
pbjson_gen_ok(struct pbjson_gen *pg, yajl_gen_status st)
{
	if (pg->pg_nomem)
		return pbjson_gen_fail(pg, "out of memory");
	if (st != yajl_gen_status_ok)
		return pbjson_gen_fail(pg, "cannot write JSON (yajl %d)",
		    (int)st);
	return 0;
}

/*
 * A string value or member name: UTF-8 as jansson and the workers read it
 * (jgen_utf8_len), and with PBJSON_LIMITS no longer than the input limit.
 */
static int
pbjson_gen_str(struct pbjson_gen *pg, const char *s, size_t len, int name)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;
	size_t			 n;

	if ((pg->pg_flags & PBJSON_LIMITS) && len > MSG_MAX_STRING)
		return pbjson_gen_fail(pg, "a %s over %d bytes (input limit "
		    "max_string_bytes)", name ? "member name" : "string",
		    MSG_MAX_STRING);
	if (!name && s[len] == '\0') {
		/*
		 * A value: checked and escaped in one pass by the request
		 * line's own writer (plain runs copied whole), then given to
		 * yajl as a finished token (yajl_gen_number writes its text
		 * as it is, with the separator before it); yajl's escaper
		 * costs some thirty instructions a byte.
		 */
		buf_reset(&pg->pg_tok);
		if (jgen_string(&pg->pg_tok, s) == -1)
			return pbjson_gen_fail(pg, "a string that is not valid "
			    "UTF-8");
		return pbjson_gen_ok(pg, yajl_gen_number(pg->pg_g,
		    pg->pg_tok.buf_data, pg->pg_tok.buf_len));
	}
	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((n = jgen_utf8_len(p, end)) == 0)
			return pbjson_gen_fail(pg, "a string that is not valid "
			    "UTF-8");
		p += n;
	}
	return pbjson_gen_ok(pg, yajl_gen_string(pg->pg_g,
	    (const unsigned char *)s, len));
}

/* A name of ours (a field's, an enum value's): ASCII, short. */
static int
pbjson_gen_name(struct pbjson_gen *pg, const char *s)
{
	return pbjson_gen_ok(pg, yajl_gen_string(pg->pg_g,
	    (const unsigned char *)s, strlen(s)));
}

/* Opens an object or array: the body counts 1, at most 64 deep. */
static int
pbjson_gen_open_c(struct pbjson_gen *pg, int array)
{
	if (++pg->pg_depth > PBJSON_DEPTH_MAX)
		return pbjson_gen_fail(pg, "nested deeper than %d levels "
		    "(input limit max_depth)", PBJSON_DEPTH_MAX);
	return pbjson_gen_ok(pg, array ? yajl_gen_array_open(pg->pg_g) :
	    yajl_gen_map_open(pg->pg_g));
}

static int
pbjson_gen_close_c(struct pbjson_gen *pg, int array)
{
	pg->pg_depth--;
	return pbjson_gen_ok(pg, array ? yajl_gen_array_close(pg->pg_g) :
	    yajl_gen_map_close(pg->pg_g));
}

/*
 * 3, not 3.0, as Go's protojson writes it (exact below 2^53); other reals
 * as jansson writes them; NaN and the infinities as strings.
 */
static int
pbjson_gen_double(struct pbjson_gen *pg, double v)
{
	json_t	*r;
	char	 num[64];
	size_t	 n;

	if (isnan(v))
		return pbjson_gen_name(pg, "NaN");
	if (isinf(v))
		return pbjson_gen_name(pg, v > 0 ? "Infinity" : "-Infinity");
	if (v == floor(v) && fabs(v) < 9007199254740992.0 &&
	    !(v == 0 && signbit(v)))
		return pbjson_gen_ok(pg, yajl_gen_integer(pg->pg_g,
		    (long long)v));
	if ((r = json_real(v)) == NULL)
		return pbjson_gen_fail(pg, "out of memory");
	n = json_dumpb(r, num, sizeof(num), JSON_ENCODE_ANY);
	json_decref(r);
	if (n == 0 || n >= sizeof(num))
		return pbjson_gen_fail(pg, "cannot write a number");
	return pbjson_gen_ok(pg, yajl_gen_number(pg->pg_g, num, n));
}

/* One value of field f at p (a struct member or an array element). */
static int
pbjson_gen_scalar(struct pbjson_gen *pg, const ProtobufCFieldDescriptor *f,
    const void *p)
{
	const ProtobufCEnumValue	*ev;
	const ProtobufCBinaryData	*bd;
	const ProtobufCMessage		*sm;
	const char			*s;
	char				 buf[32], *b64;
	int				 rc;
	int32_t				 e;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return pbjson_gen_ok(pg, yajl_gen_integer(pg->pg_g,
		    *(const int32_t *)p));
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return pbjson_gen_ok(pg, yajl_gen_integer(pg->pg_g,
		    *(const uint32_t *)p));
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof(buf), "%" PRId64, *(const int64_t *)p);
		return pbjson_gen_name(pg, buf);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof(buf), "%" PRIu64, *(const uint64_t *)p);
		return pbjson_gen_name(pg, buf);
	case PROTOBUF_C_TYPE_FLOAT:
		return pbjson_gen_double(pg, *(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return pbjson_gen_double(pg, *(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return pbjson_gen_ok(pg, yajl_gen_bool(pg->pg_g,
		    *(const protobuf_c_boolean *)p));
	case PROTOBUF_C_TYPE_ENUM:
		e = *(const int32_t *)p;
		if (strcmp(((const ProtobufCEnumDescriptor *)f->descriptor)->
		    name, "google.protobuf.NullValue") == 0)
			return pbjson_gen_ok(pg, yajl_gen_null(pg->pg_g));
		if ((ev = protobuf_c_enum_descriptor_get_value(f->descriptor,
		    e)) != NULL)
			return pbjson_gen_name(pg, ev->name);
		return pbjson_gen_ok(pg, yajl_gen_integer(pg->pg_g, e));
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)p;
		return pbjson_gen_str(pg, s != NULL ? s : "",
		    s != NULL ? strlen(s) : 0, 0);
	case PROTOBUF_C_TYPE_BYTES:
		bd = p;
		if ((b64 = pbjson_b64_encode(bd->data, bd->len)) == NULL)
			return pbjson_gen_fail(pg, "out of memory");
		rc = pbjson_gen_str(pg, b64, strlen(b64), 0);
		free(b64);
		return rc;
	case PROTOBUF_C_TYPE_MESSAGE:
		if ((sm = *(ProtobufCMessage *const *)p) == NULL)
			return pbjson_gen_ok(pg, yajl_gen_null(pg->pg_g));
		return pbjson_gen_msg(pg, sm);
	}
	return pbjson_gen_fail(pg, "unsupported field type");
}

/* Orders map keys of one type; 0 when they write the same name. */
static int
pbjson_key_cmp(const ProtobufCFieldDescriptor *kf, const char *a,
    const char *b)
{
	const char	*sa, *sb;
	uint64_t	 ua, ub;

	a += kf->offset;
	b += kf->offset;
	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		sa = *(char *const *)a;
		sb = *(char *const *)b;
		return strcmp(sa != NULL ? sa : "", sb != NULL ? sb : "");
	case PROTOBUF_C_TYPE_BOOL:
		ua = *(const protobuf_c_boolean *)a != 0;
		ub = *(const protobuf_c_boolean *)b != 0;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		ua = *(const uint64_t *)a;
		ub = *(const uint64_t *)b;
		break;
	default:
		ua = *(const uint32_t *)a;
		ub = *(const uint32_t *)b;
		break;
	}
	return ua < ub ? -1 : ua > ub;
}

static int
pbjson_entry_cmp(const void *a, const void *b)
{
	const struct pbjson_entry	*ea = a, *eb = b;
	int				 c;

	if ((c = pbjson_key_cmp(ea->pe_kf, ea->pe_e, eb->pe_e)) != 0)
		return c;
	return ea->pe_i < eb->pe_i ? -1 : ea->pe_i > eb->pe_i;
}

/*
 * For each entry, the entry whose value its key writes: a key given more
 * than once on the wire is written once, where it came first, with the
 * value it came with last (as jansson's object set did); SIZE_MAX for the
 * later ones, which write nothing.  use has n slots.
 */
static int
pbjson_map_use(const ProtobufCFieldDescriptor *kf, ProtobufCMessage *const *arr,
    size_t n, size_t *use)
{
	struct pbjson_entry	*es;
	size_t			 i, j, a, b;

	if (n <= PBJSON_MAP_SCAN) {
		for (i = 0; i < n; i++) {
			use[i] = i;
			for (j = 0; j < i; j++)
				if (pbjson_key_cmp(kf, (const char *)arr[j],
				    (const char *)arr[i]) == 0)
					break;
			if (j < i) {
				use[i] = SIZE_MAX;
				continue;
			}
			for (j = i + 1; j < n; j++)
				if (pbjson_key_cmp(kf, (const char *)arr[j],
				    (const char *)arr[i]) == 0)
					use[i] = j;
		}
		return 0;
	}
	if ((es = calloc(n, sizeof(*es))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		es[i].pe_kf = kf;
		es[i].pe_e = (const char *)arr[i];
		es[i].pe_i = i;
		use[i] = SIZE_MAX;
	}
	qsort(es, n, sizeof(*es), pbjson_entry_cmp);
	for (a = 0; a < n; a = b) {
		for (b = a + 1; b < n && pbjson_key_cmp(kf, es[a].pe_e,
		    es[b].pe_e) == 0; b++)
			;
		use[es[a].pe_i] = es[b - 1].pe_i;
	}
	free(es);
	return 0;
}

/* A map key as its member name: the string, or the number or bool's text. */
static int
pbjson_gen_key(struct pbjson_gen *pg, const ProtobufCFieldDescriptor *kf,
    const char *e)
{
	const void	*p = e + kf->offset;
	const char	*s;
	char		 buf[32];

	switch (kf->type) {
	case PROTOBUF_C_TYPE_STRING:
		s = *(char *const *)p;
		return pbjson_gen_str(pg, s != NULL ? s : "",
		    s != NULL ? strlen(s) : 0, 1);
	case PROTOBUF_C_TYPE_BOOL:
		return pbjson_gen_name(pg, *(const protobuf_c_boolean *)p ?
		    "true" : "false");
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		snprintf(buf, sizeof(buf), "%" PRId64, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		snprintf(buf, sizeof(buf), "%" PRIu64, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		snprintf(buf, sizeof(buf), "%" PRIu32, *(const uint32_t *)p);
		break;
	default:
		snprintf(buf, sizeof(buf), "%" PRId32, *(const int32_t *)p);
		break;
	}
	return pbjson_gen_name(pg, buf);
}

/* A map field (or a Struct's fields) of m as one object. */
static int
pbjson_gen_map(struct pbjson_gen *pg, const ProtobufCFieldDescriptor *f,
    const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*ed = f->descriptor;
	const ProtobufCFieldDescriptor		*kf = &ed->fields[0];
	const ProtobufCFieldDescriptor		*vf = &ed->fields[1];
	ProtobufCMessage *const	*arr;
	size_t			 n, i, one, *use = &one;
	int			 rc = -1;

	n = *(const size_t *)((const char *)m + f->quantifier_offset);
	arr = *(ProtobufCMessage *const *const *)((const char *)m + f->offset);
	if (n > 1 && (use = calloc(n, sizeof(*use))) == NULL)
		return pbjson_gen_fail(pg, "out of memory");
	if (n == 1)
		one = 0;
	else if (n > 1 && pbjson_map_use(kf, arr, n, use) == -1) {
		rc = pbjson_gen_fail(pg, "out of memory");
		goto fail;
	}
	if (pbjson_gen_open_c(pg, 0) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		if (use[i] == SIZE_MAX)
			continue;
		if (pbjson_gen_key(pg, kf, (const char *)arr[i]) == -1 ||
		    pbjson_gen_scalar(pg, vf, (const char *)arr[use[i]] +
		    vf->offset) == -1)
			goto fail;
	}
	rc = pbjson_gen_close_c(pg, 0);
fail:
	if (use != &one)
		free(use);
	return rc;
}

static int
pbjson_gen_wkt(struct pbjson_gen *pg, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*f;
	char		 buf[64], frac[16];
	int64_t		 secs, y;
	int32_t		 nanos;
	unsigned	 mo, dd;

	if (pbjson_is(d, "google.protobuf.Struct"))
		return pbjson_gen_map(pg, pbjson_field(d, "fields"), m);
	/* A wrapper: its value alone. */
	if (!pbjson_is(d, "google.protobuf.Timestamp") &&
	    !pbjson_is(d, "google.protobuf.Duration")) {
		f = &d->fields[0];
		return pbjson_gen_scalar(pg, f, (const char *)m + f->offset);
	}
	f = pbjson_field(d, "seconds");
	secs = *(const int64_t *)((const char *)m + f->offset);
	f = pbjson_field(d, "nanos");
	nanos = *(const int32_t *)((const char *)m + f->offset);
	if (nanos <= -1000000000 || nanos >= 1000000000)
		return pbjson_gen_fail(pg, "a %s out of range", d->short_name);
	if (pbjson_is(d, "google.protobuf.Duration")) {
		pbjson_frac(frac, sizeof(frac), nanos < 0 ? -nanos : nanos);
		snprintf(buf, sizeof(buf), "%s%" PRId64 "%ss",
		    (secs < 0 || nanos < 0) ? "-" : "",
		    secs < 0 ? -secs : secs, frac);
		return pbjson_gen_name(pg, buf);
	}
	if (nanos < 0)
		return pbjson_gen_fail(pg, "a %s out of range", d->short_name);
	pbjson_civil(secs >= 0 ? secs / 86400 : (secs - 86399) / 86400,
	    &y, &mo, &dd);
	if (y < 1 || y > 9999)
		return pbjson_gen_fail(pg, "a %s out of range", d->short_name);
	secs = ((secs % 86400) + 86400) % 86400;
	pbjson_frac(frac, sizeof(frac), nanos);
	snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d%sZ",
	    (int)y, mo, dd, (int)(secs / 3600), (int)(secs / 60 % 60),
	    (int)(secs % 60), frac);
	return pbjson_gen_name(pg, buf);
}

/* The present fields of m as members, but the one named skip (or NULL). */
static int
pbjson_gen_members(struct pbjson_gen *pg, const ProtobufCMessage *m,
    const char *skip)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*f;
	const char	*base = (const char *)m, *name, *arr;
	char		 jname[PBJSON_NAME_MAX];
	size_t		 k, n, es;
	unsigned	 fi;

	for (fi = 0; fi < d->n_fields; fi++) {
		f = &d->fields[fi];
		if (skip != NULL && strcmp(f->name, skip) == 0)
			continue;
		n = 0;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if ((n = *(const size_t *)(base +
			    f->quantifier_offset)) == 0)
				continue;
		} else if (!pbjson_present(m, f))
			continue;
		name = f->name;
		if (!(pg->pg_flags & PBJSON_PROTO_NAMES)) {
			if (pbjson_json_name(f->name, jname,
			    sizeof(jname)) == -1)
				return pbjson_gen_fail(pg, "a field name too "
				    "long");
			name = jname;
		}
		if (pbjson_gen_name(pg, name) == -1)
			return -1;
		if (f->label != PROTOBUF_C_LABEL_REPEATED) {
			if (pbjson_gen_scalar(pg, f, base + f->offset) == -1)
				return -1;
			continue;
		}
		if (pbjson_is_map(f)) {
			if (pbjson_gen_map(pg, f, m) == -1)
				return -1;
			continue;
		}
		es = pbjson_elem_size(f->type);
		arr = *(const char *const *)(base + f->offset);
		if (pbjson_gen_open_c(pg, 1) == -1)
			return -1;
		for (k = 0; k < n; k++)
			if (pbjson_gen_scalar(pg, f, arr + k * es) == -1)
				return -1;
		if (pbjson_gen_close_c(pg, 1) == -1)
			return -1;
	}
	return 0;
}

/* Any message: an object of its fields, or a well-known type's JSON. */
static int
pbjson_gen_msg(struct pbjson_gen *pg, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*f;
	const char	*base = (const char *)m;
	size_t		 k, n;
	unsigned	 fi;

	/* Only Google's well-known types are read by name. */
	if (strncmp(d->name, "google.protobuf.", 16) != 0) {
		if (pbjson_gen_open_c(pg, 0) == -1 ||
		    pbjson_gen_members(pg, m, NULL) == -1)
			return -1;
		return pbjson_gen_close_c(pg, 0);
	}
	if (pbjson_is(d, "google.protobuf.Value")) {
		for (fi = 0; fi < d->n_fields; fi++) {
			f = &d->fields[fi];
			if (pbjson_present(m, f))
				return pbjson_gen_scalar(pg, f, base +
				    f->offset);
		}
		return pbjson_gen_ok(pg, yajl_gen_null(pg->pg_g));
	}
	if (pbjson_is(d, "google.protobuf.ListValue")) {
		f = pbjson_field(d, "values");
		n = *(const size_t *)(base + f->quantifier_offset);
		if (pbjson_gen_open_c(pg, 1) == -1)
			return -1;
		for (k = 0; k < n; k++)
			if (pbjson_gen_scalar(pg, f, *(const char *const *)
			    (base + f->offset) + k * sizeof(void *)) == -1)
				return -1;
		return pbjson_gen_close_c(pg, 1);
	}
	if (pbjson_is(d, "google.protobuf.Struct") ||
	    pbjson_is(d, "google.protobuf.Timestamp") ||
	    pbjson_is(d, "google.protobuf.Duration") || pbjson_is_wrapper(d))
		return pbjson_gen_wkt(pg, m);
	if (pbjson_gen_open_c(pg, 0) == -1 ||
	    pbjson_gen_members(pg, m, NULL) == -1)
		return -1;
	return pbjson_gen_close_c(pg, 0);
}

/*
 * A writer of protojson text appended to b (borrowed) with the flags
 * PBJSON_PROTO_NAMES and PBJSON_LIMITS.  After a failure its text is
 * unusable: the caller drops what it appended.
 */
struct pbjson_gen *
pbjson_gen_new(struct buf *b, int flags)
{
	struct pbjson_gen	*pg;

	if ((pg = calloc(1, sizeof(*pg))) == NULL)
		return NULL;
	pg->pg_buf = b;
	pg->pg_flags = flags;
	if ((pg->pg_g = yajl_gen_alloc(NULL)) == NULL ||
	    !yajl_gen_config(pg->pg_g, yajl_gen_print_callback,
	    pbjson_gen_print, pg)) {
		pbjson_gen_free(pg);
		return NULL;
	}
	return pg;
}

void
pbjson_gen_free(struct pbjson_gen *pg)
{
	if (pg == NULL)
		return;
	if (pg->pg_g != NULL)
		yajl_gen_free(pg->pg_g);
	buf_release(&pg->pg_tok);
	free(pg);
}

/* Why the last call failed. */
const char *
pbjson_gen_error(const struct pbjson_gen *pg)
{
	return pg->pg_err[0] != '\0' ? pg->pg_err : "cannot write JSON";
}

/* A whole message as one JSON value. */
int
pbjson_gen_message(struct pbjson_gen *pg, const ProtobufCMessage *m)
{
	if (m == NULL)
		return pbjson_gen_fail(pg, "no message");
	return pbjson_gen_msg(pg, m);
}

/* An object of one's own making: open, members, close. */
int
pbjson_gen_open(struct pbjson_gen *pg)
{
	return pbjson_gen_open_c(pg, 0);
}

int
pbjson_gen_close(struct pbjson_gen *pg)
{
	return pbjson_gen_close_c(pg, 0);
}

/* The fields of m as members of the open object, but the one named skip. */
int
pbjson_gen_fields(struct pbjson_gen *pg, const ProtobufCMessage *m,
    const char *skip)
{
	return pbjson_gen_members(pg, m, skip);
}

/* One member of the open object: name, then the message m. */
int
pbjson_gen_member(struct pbjson_gen *pg, const char *name,
    const ProtobufCMessage *m)
{
	if (pbjson_gen_name(pg, name) == -1)
		return -1;
	return pbjson_gen_message(pg, m);
}

/*
 * The tree of text this writer made: built by yajl (protocol/jscan.c)
 * when it reads it as jansson would, else by jansson.
 */
json_t *
pbjson_tree(const char *text, size_t len)
{
	json_t	*j;

	if ((j = jscan_load(text, len, PBJSON_DEPTH_MAX, NULL)) != NULL)
		return j;
	return json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    NULL);
}

/* The same text as a tree. */
json_t *
pbjson_encode(const ProtobufCMessage *m, int flags)
{
	struct pbjson_gen	*pg;
	struct buf		 b;
	json_t			*j = NULL;

	memset(&b, 0, sizeof(b));
	if (m == NULL || (pg = pbjson_gen_new(&b, flags)) == NULL)
		return NULL;
	if (pbjson_gen_msg(pg, m) == 0)
		j = pbjson_tree(b.buf_data, b.buf_len);
	pbjson_gen_free(pg);
	buf_release(&b);
	return j;
}

/* Decoding */

static int
pbjson_dec_int(struct pbjson_ctx *c, json_t *j, int is_signed,
    int64_t lo, uint64_t hi, uint64_t *out)
{
	const char	*s;
	char		*end;
	double		 dv;
	long long	 sv;
	unsigned long long uv;

	if (json_is_integer(j)) {
		sv = json_integer_value(j);
		if ((is_signed && sv < lo) || (!is_signed && sv < 0) ||
		    (sv > 0 && (uint64_t)sv > hi))
			return pbjson_fail(c, "integer out of range");
		*out = (uint64_t)sv;
		return 0;
	}
	if (json_is_real(j)) {
		/* 1.0 is an integer; 1.5 or an out-of-range value is not. */
		dv = json_real_value(j);
		if (dv != floor(dv) || dv < -9223372036854775808.0 ||
		    dv >= 18446744073709551616.0 || (is_signed &&
		    dv >= 9223372036854775808.0) || (!is_signed && dv < 0))
			return pbjson_fail(c, "not an integer in range");
		if (is_signed) {
			sv = (long long)dv;
			if (sv < lo || (sv > 0 && (uint64_t)sv > hi))
				return pbjson_fail(c, "integer out of range");
			*out = (uint64_t)sv;
		} else {
			uv = (unsigned long long)dv;
			if (uv > hi)
				return pbjson_fail(c, "integer out of range");
			*out = uv;
		}
		return 0;
	}
	if (!json_is_string(j))
		return pbjson_fail(c, "expected an integer");
	s = json_string_value(j);
	if (*s == '\0' || *s == ' ' || (!is_signed && *s == '-'))
		return pbjson_fail(c, "bad integer string");
	errno = 0;
	if (is_signed) {
		sv = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0' || sv < lo ||
		    (sv > 0 && (uint64_t)sv > hi))
			return pbjson_fail(c, "bad integer string");
		*out = (uint64_t)sv;
	} else {
		uv = strtoull(s, &end, 10);
		if (errno != 0 || *end != '\0' || uv > hi)
			return pbjson_fail(c, "bad integer string");
		*out = uv;
	}
	return 0;
}

static int
pbjson_dec_double(struct pbjson_ctx *c, json_t *j, double *out)
{
	const char	*s;
	char		*end;

	if (json_is_number(j)) {
		*out = json_number_value(j);
		return 0;
	}
	if (!json_is_string(j))
		return pbjson_fail(c, "expected a number");
	s = json_string_value(j);
	if (strcmp(s, "NaN") == 0)
		*out = NAN;
	else if (strcmp(s, "Infinity") == 0)
		*out = INFINITY;
	else if (strcmp(s, "-Infinity") == 0)
		*out = -INFINITY;
	else {
		errno = 0;
		*out = strtod(s, &end);
		if (*s == '\0' || *end != '\0' || errno != 0 || isnan(*out) ||
		    isinf(*out))
			return pbjson_fail(c, "bad number string");
	}
	return 0;
}

static ProtobufCMessage *
pbjson_msg_new(const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage	*m;

	if ((m = malloc(d->sizeof_message)) == NULL)
		return NULL;
	d->message_init(m);
	return m;
}

/*
 * Decodes j as one value of field f into p (a struct member or an array
 * element).  What it allocates is owned by the message, so
 * protobuf_c_message_free_unpacked() frees it even after a failure.
 */
static int
pbjson_dec_scalar(struct pbjson_ctx *c, const ProtobufCFieldDescriptor *f,
    json_t *j, void *p)
{
	const ProtobufCEnumValue	*ev;
	const ProtobufCMessageDescriptor *md;
	ProtobufCMessage		*sm;
	uint64_t			 u;
	double				 dv;
	char				*s;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		if (pbjson_dec_int(c, j, 1, INT32_MIN, INT32_MAX, &u) == -1)
			return -1;
		*(int32_t *)p = (int32_t)(int64_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		if (pbjson_dec_int(c, j, 0, 0, UINT32_MAX, &u) == -1)
			return -1;
		*(uint32_t *)p = (uint32_t)u;
		return 0;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		if (pbjson_dec_int(c, j, 1, INT64_MIN, INT64_MAX, &u) == -1)
			return -1;
		*(int64_t *)p = (int64_t)u;
		return 0;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (pbjson_dec_int(c, j, 0, 0, UINT64_MAX, &u) == -1)
			return -1;
		*(uint64_t *)p = u;
		return 0;
	case PROTOBUF_C_TYPE_FLOAT:
		if (pbjson_dec_double(c, j, &dv) == -1)
			return -1;
		if (isfinite(dv) && fabs(dv) > 3.4028234663852886e38)
			return pbjson_fail(c, "float out of range");
		*(float *)p = (float)dv;
		return 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return pbjson_dec_double(c, j, (double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		if (!json_is_boolean(j))
			return pbjson_fail(c, "expected true or false");
		*(protobuf_c_boolean *)p = json_is_true(j);
		return 0;
	case PROTOBUF_C_TYPE_ENUM:
		if (json_is_string(j)) {
			ev = protobuf_c_enum_descriptor_get_value_by_name(
			    f->descriptor, json_string_value(j));
			if (ev == NULL)
				return pbjson_fail(c, "unknown enum value %s",
				    json_string_value(j));
			*(int32_t *)p = ev->value;
			return 0;
		}
		if (pbjson_dec_int(c, j, 1, INT32_MIN, INT32_MAX, &u) == -1)
			return -1;
		*(int32_t *)p = (int32_t)(int64_t)u;
		return 0;
	case PROTOBUF_C_TYPE_STRING:
		if (!json_is_string(j))
			return pbjson_fail(c, "expected a string");
		if ((s = strdup(json_string_value(j))) == NULL)
			return pbjson_fail(c, "out of memory");
		*(char **)p = s;
		return 0;
	case PROTOBUF_C_TYPE_BYTES:
		if (!json_is_string(j))
			return pbjson_fail(c, "expected a base64 string");
		if (pbjson_b64_decode(json_string_value(j),
		    json_string_length(j), p) == -1)
			return pbjson_fail(c, "bad base64");
		return 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		md = f->descriptor;
		if ((sm = pbjson_msg_new(md)) == NULL)
			return pbjson_fail(c, "out of memory");
		*(ProtobufCMessage **)p = sm;
		if (c->depth >= PBJSON_DEPTH_MAX)
			return pbjson_fail(c, "nested too deeply");
		c->depth++;
		if (pbjson_is(md, "google.protobuf.Value")) {
			if (pbjson_dec_value(c, sm, j) == -1)
				return -1;
		} else if (pbjson_dec_into(c, sm, j) == -1)
			return -1;
		c->depth--;
		return 0;
	}
	return pbjson_fail(c, "unsupported field type");
}

/* Sets a singular field, with its has_ flag or oneof case. */
static int
pbjson_dec_field(struct pbjson_ctx *c, ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, json_t *j)
{
	char		*base = (char *)m;
	uint32_t	*oneof;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		oneof = (uint32_t *)(base + f->quantifier_offset);
		if (*oneof != 0)
			return pbjson_fail(c,
			    "a second field of the same oneof");
		/* Zeroed first so a failure frees nothing of the old member. */
		memset(base + f->offset, 0, pbjson_elem_size(f->type));
		*oneof = f->id;
	} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
	    f->type != PROTOBUF_C_TYPE_MESSAGE &&
	    f->type != PROTOBUF_C_TYPE_STRING)
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = 1;
	return pbjson_dec_scalar(c, f, j, base + f->offset);
}

static int
pbjson_dec_map(struct pbjson_ctx *c, ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, json_t *j)
{
	const ProtobufCMessageDescriptor	*ed = f->descriptor;
	const ProtobufCFieldDescriptor		*kf = &ed->fields[0];
	ProtobufCMessage	**arr, *e;
	size_t			*n, len;
	const char		*key;
	json_t			*v, *kj;
	size_t			 plen;
	int			 rc;

	if (!json_is_object(j))
		return pbjson_fail(c, "expected an object");
	n = (size_t *)((char *)m + f->quantifier_offset);
	if ((arr = calloc(json_object_size(j) + 1, sizeof(*arr))) == NULL)
		return pbjson_fail(c, "out of memory");
	*(ProtobufCMessage ***)((char *)m + f->offset) = arr;
	json_object_foreach(j, key, v) {
		plen = pbjson_push(c, key, 0);
		if ((e = pbjson_msg_new(ed)) == NULL)
			return pbjson_fail(c, "out of memory");
		arr[(*n)++] = e;
		len = strlen(key);
		if (kf->type == PROTOBUF_C_TYPE_STRING)
			kj = json_stringn(key, len);
		else if (kf->type == PROTOBUF_C_TYPE_BOOL)
			kj = strcmp(key, "true") == 0 ? json_true() :
			    strcmp(key, "false") == 0 ? json_false() : NULL;
		else
			kj = json_stringn(key, len);
		if (kj == NULL)
			return pbjson_fail(c, "bad map key");
		rc = pbjson_dec_scalar(c, kf, kj, (char *)e + kf->offset);
		json_decref(kj);
		if (rc == -1)
			return -1;
		if (json_is_null(v) &&
		    (ed->fields[1].type != PROTOBUF_C_TYPE_MESSAGE ||
		    !pbjson_is(ed->fields[1].descriptor,
		    "google.protobuf.Value")))
			return pbjson_fail(c, "null map value");
		if (pbjson_dec_scalar(c, &ed->fields[1], v,
		    (char *)e + ed->fields[1].offset) == -1)
			return -1;
		c->path[plen] = '\0';
	}
	return 0;
}

static int
pbjson_dec_repeated(struct pbjson_ctx *c, ProtobufCMessage *m,
    const ProtobufCFieldDescriptor *f, json_t *j)
{
	size_t	*n, es, plen, i;
	char	*arr;
	json_t	*v;

	if (!json_is_array(j))
		return pbjson_fail(c, "expected an array");
	n = (size_t *)((char *)m + f->quantifier_offset);
	es = pbjson_elem_size(f->type);
	if ((arr = calloc(json_array_size(j) + 1, es)) == NULL)
		return pbjson_fail(c, "out of memory");
	*(char **)((char *)m + f->offset) = arr;
	json_array_foreach(j, i, v) {
		plen = pbjson_push(c, NULL, (long)i);
		if (json_is_null(v) && !(f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    pbjson_is(f->descriptor, "google.protobuf.Value")))
			return pbjson_fail(c, "null in a list");
		(*n)++;
		if (pbjson_dec_scalar(c, f, v, arr + i * es) == -1)
			return -1;
		c->path[plen] = '\0';
	}
	return 0;
}

/* google.protobuf.Value from any JSON value. */
static int
pbjson_dec_value(struct pbjson_ctx *c, ProtobufCMessage *m, json_t *j)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const char				*name;
	json_t					*tmp = NULL;
	int					 rc;

	if (json_is_null(j))
		name = "null_value";
	else if (json_is_number(j))
		name = "number_value";
	else if (json_is_string(j))
		name = "string_value";
	else if (json_is_boolean(j))
		name = "bool_value";
	else if (json_is_object(j))
		name = "struct_value";
	else
		name = "list_value";
	if (json_is_null(j))
		j = tmp = json_integer(0);
	rc = pbjson_dec_field(c, m,
	    pbjson_field(d, name), j);
	json_decref(tmp);
	return rc;
}

static int
pbjson_dec_wkt(struct pbjson_ctx *c, ProtobufCMessage *m, json_t *j)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	char		*base = (char *)m;
	int64_t		 secs;
	int32_t		 nanos;
	int		 rc;

	if (pbjson_is(d, "google.protobuf.Struct"))
		return pbjson_dec_map(c, m, pbjson_field(d, "fields"), j);
	if (pbjson_is(d, "google.protobuf.ListValue"))
		return pbjson_dec_repeated(c, m, pbjson_field(d, "values"), j);
	if (pbjson_is(d, "google.protobuf.Timestamp") ||
	    pbjson_is(d, "google.protobuf.Duration")) {
		if (!json_is_string(j))
			return pbjson_fail(c, "expected a string");
		if (pbjson_is(d, "google.protobuf.Timestamp"))
			rc = pbjson_parse_time(json_string_value(j), &secs,
			    &nanos);
		else
			rc = pbjson_parse_duration(json_string_value(j), &secs,
			    &nanos);
		if (rc == -1)
			return pbjson_fail(c, "bad %s", d->short_name);
		*(int64_t *)(base + pbjson_field(d, "seconds")->offset) = secs;
		*(int32_t *)(base + pbjson_field(d, "nanos")->offset) = nanos;
		return 0;
	}
	return pbjson_dec_field(c, m, &d->fields[0], j);
}

static const ProtobufCFieldDescriptor *
pbjson_find(const ProtobufCMessageDescriptor *d, const char *key)
{
	const ProtobufCFieldDescriptor	*f;
	char				 jname[PBJSON_NAME_MAX];
	unsigned			 i;

	if ((f = pbjson_field(d, key)) !=
	    NULL)
		return f;
	for (i = 0; i < d->n_fields; i++)
		if (pbjson_json_name(d->fields[i].name, jname,
		    sizeof(jname)) == 0 && strcmp(jname, key) == 0)
			return &d->fields[i];
	return NULL;
}

static int
pbjson_dec_into(struct pbjson_ctx *c, ProtobufCMessage *m, json_t *j)
{
	const ProtobufCMessageDescriptor	*d = m->descriptor;
	const ProtobufCFieldDescriptor		*f;
	const char	*key;
	json_t		*v;
	char		*seen = NULL;
	size_t		 plen;
	int		 rc = -1;

	if (pbjson_is(d, "google.protobuf.Struct") ||
	    pbjson_is(d, "google.protobuf.ListValue") ||
	    pbjson_is(d, "google.protobuf.Timestamp") ||
	    pbjson_is(d, "google.protobuf.Duration") || pbjson_is_wrapper(d))
		return pbjson_dec_wkt(c, m, j);
	if (!json_is_object(j))
		return pbjson_fail(c, "expected an object for %s", d->name);
	if ((seen = calloc(d->n_fields + 1, 1)) == NULL)
		return pbjson_fail(c, "out of memory");
	json_object_foreach(j, key, v) {
		plen = pbjson_push(c, key, 0);
		if ((f = pbjson_find(d, key)) == NULL) {
			rc = pbjson_fail(c, "unknown field");
			goto fail;
		}
		if (seen[f - d->fields]++) {
			rc = pbjson_fail(c, "field given twice");
			goto fail;
		}
		if (json_is_null(v) && !(f->type == PROTOBUF_C_TYPE_MESSAGE &&
		    f->label != PROTOBUF_C_LABEL_REPEATED &&
		    pbjson_is(f->descriptor, "google.protobuf.Value"))) {
			c->path[plen] = '\0';
			continue;
		}
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (pbjson_is_map(f))
				rc = pbjson_dec_map(c, m, f, v);
			else
				rc = pbjson_dec_repeated(c, m, f, v);
		} else
			rc = pbjson_dec_field(c, m, f, v);
		if (rc == -1)
			goto fail;
		c->path[plen] = '\0';
	}
	rc = 0;
fail:
	free(seen);
	return rc;
}

ProtobufCMessage *
pbjson_decode(const ProtobufCMessageDescriptor *d, json_t *j, int flags,
    char *err, size_t errlen)
{
	struct pbjson_ctx	 c;
	ProtobufCMessage	*m;
	int			 rc;

	memset(&c, 0, sizeof(c));
	c.flags = flags;
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((m = pbjson_msg_new(d)) == NULL) {
		pbjson_fail(&c, "out of memory");
		return NULL;
	}
	if (pbjson_is(d, "google.protobuf.Value"))
		rc = pbjson_dec_value(&c, m, j);
	else
		rc = pbjson_dec_into(&c, m, j);
	if (rc == -1) {
		protobuf_c_message_free_unpacked(m, NULL);
		return NULL;
	}
	return m;
}
