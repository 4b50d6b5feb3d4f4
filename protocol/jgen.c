/*
 * Writes JSON: a jansson tree as compact text through yajl's generator,
 * and a single string with its quotes and escapes (the request line's,
 * resource ids' and protojson's writer), with the UTF-8 rule every reader
 * of ours shares.
 *
 * jansson's own dump checks for loops at every object and array by
 * formatting the container's address into a string and hashing it, which
 * costs more than the writing; the trees written here are never shared
 * loops, and yajl bounds their depth.  Reals are formatted by jansson, so
 * that 1.0 stays a real.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "nebula-protocol.h"

/*
 * The length of the valid UTF-8 sequence at p (at most end), or 0 when it
 * is not one: overlong forms, surrogates and code points past U+10FFFF are
 * refused, as jansson refuses them.
 */
size_t
jgen_utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t		 n, i;
	unsigned int	 cp;

	if (*p < 0xc2)
		return 0;
	else if (*p < 0xe0) {
		n = 2;
		cp = *p & 0x1f;
	} else if (*p < 0xf0) {
		n = 3;
		cp = *p & 0x0f;
	} else if (*p < 0xf5) {
		n = 4;
		cp = *p & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Appends s as a JSON string with its quotes.  The common string, with
 * nothing to escape, is one copy.  -1 for invalid UTF-8: the line must stay
 * JSON that every worker's parser accepts.
 */
int
jgen_string(struct buf *b, const char *s)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s, *end, *run;
	size_t			 len = strlen(s), n;
	char			 esc[6];

	end = p + len;
	for (run = p; run < end && *run >= 0x20 && *run < 0x80 &&
	    *run != '"' && *run != '\\'; run++)
		;
	if (run == end) {
		if (buf_reserve(b, len + 2) == -1)
			return -1;
		b->buf_data[b->buf_len++] = '"';
		memcpy(b->buf_data + b->buf_len, s, len);
		b->buf_len += len;
		b->buf_data[b->buf_len++] = '"';
		return 0;
	}
	if (buf_append(b, "\"", 1) == -1)
		return -1;
	while (p < end) {
		for (run = p; run < end && *run >= 0x20 && *run < 0x80 &&
		    *run != '"' && *run != '\\'; run++)
			;
		if (buf_append(b, p, (size_t)(run - p)) == -1)
			return -1;
		if ((p = run) == end)
			break;
		if (*p >= 0x80) {
			if ((n = jgen_utf8_len(p, end)) == 0)
				return -1;
			if (buf_append(b, p, n) == -1)
				return -1;
			p += n;
			continue;
		}
		esc[0] = '\\';
		n = 2;
		switch (*p) {
		case '"':	esc[1] = '"'; break;
		case '\\':	esc[1] = '\\'; break;
		case '\b':	esc[1] = 'b'; break;
		case '\f':	esc[1] = 'f'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[*p >> 4];
			esc[5] = hex[*p & 0xf];
			n = 6;
			break;
		}
		if (buf_append(b, esc, n) == -1)
			return -1;
		p++;
	}
	return buf_append(b, "\"", 1);
}

struct jgen {
	struct buf	*jg_buf;
	int		 jg_failed;
};

static void
jgen_print(void *ctx, const char *s, size_t len)
{
	struct jgen	*jg = ctx;

	if (buf_append(jg->jg_buf, s, len) == -1)
		jg->jg_failed = 1;
}

static int
jgen_value(yajl_gen g, json_t *v)
{
	void		*it;
	const char	*k;
	size_t		 i, n;
	char		 num[64];

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (yajl_gen_map_open(g) != yajl_gen_status_ok)
			return -1;
		for (it = json_object_iter(v); it != NULL;
		    it = json_object_iter_next(v, it)) {
			k = json_object_iter_key(it);
			if (yajl_gen_string(g, (const unsigned char *)k,
			    json_object_iter_key_len(it)) !=
			    yajl_gen_status_ok ||
			    jgen_value(g, json_object_iter_value(it)) == -1)
				return -1;
		}
		return yajl_gen_map_close(g) == yajl_gen_status_ok ? 0 : -1;
	case JSON_ARRAY:
		if (yajl_gen_array_open(g) != yajl_gen_status_ok)
			return -1;
		for (i = 0; i < json_array_size(v); i++)
			if (jgen_value(g, json_array_get(v, i)) == -1)
				return -1;
		return yajl_gen_array_close(g) == yajl_gen_status_ok ? 0 : -1;
	case JSON_STRING:
		return yajl_gen_string(g, (const unsigned char *)
		    json_string_value(v), json_string_length(v)) ==
		    yajl_gen_status_ok ? 0 : -1;
	case JSON_INTEGER:
		return yajl_gen_integer(g, json_integer_value(v)) ==
		    yajl_gen_status_ok ? 0 : -1;
	case JSON_REAL:
		n = json_dumpb(v, num, sizeof(num), JSON_ENCODE_ANY);
		if (n == 0 || n >= sizeof(num))
			return -1;
		return yajl_gen_number(g, num, n) == yajl_gen_status_ok ?
		    0 : -1;
	case JSON_TRUE:
	case JSON_FALSE:
		return yajl_gen_bool(g, json_is_true(v)) ==
		    yajl_gen_status_ok ? 0 : -1;
	default:
		return yajl_gen_null(g) == yajl_gen_status_ok ? 0 : -1;
	}
}

/*
 * Appends v to b as compact JSON.  -1, with b as it was, when it cannot:
 * a string that is not UTF-8, nesting past yajl's 128 levels, no memory.
 */
int
jgen_append(struct buf *b, json_t *v)
{
	struct jgen	 jg = { b, 0 };
	yajl_gen	 g;
	size_t		 keep = b->buf_len;
	int		 rv = -1;

	if (v == NULL || (g = yajl_gen_alloc(NULL)) == NULL)
		return -1;
	if (yajl_gen_config(g, yajl_gen_print_callback, jgen_print, &jg) &&
	    yajl_gen_config(g, yajl_gen_validate_utf8, 1))
		rv = jgen_value(g, v);
	yajl_gen_free(g);
	if (rv == -1 || jg.jg_failed) {
		b->buf_len = keep;
		return -1;
	}
	return 0;
}
