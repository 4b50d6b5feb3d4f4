/*
 * Reads JSON texts quickly with yajl's validating parser, held to one rule
 * shared by the daemon and every worker: a text is read here only when
 * jansson (JSON_REJECT_DUPLICATES) would read it the same way, within the
 * input limits.  Anything else is "unsure" and the caller asks jansson,
 * whose answer and error message stand.  jscan_load builds the jansson tree
 * jansson would build; jscan_proof builds nothing and reports what the top
 * level holds.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "nebula-protocol.h"

#define JSCAN_MAX_DEPTH		(2 * MSG_MAX_DEPTH)
#define JSCAN_MAX_MEMBERS	256	/* proof: more, and jansson decides */
#define JSCAN_MAX_NUMBER	40	/* bytes of a number read here */

/* Values are built outside the member left as text. */
#define JSCAN_BUILDING(js)	((js)->js_build && (js)->js_skip == 0)

struct jscan {
	int		  js_build;	/* build a tree, or only prove */
	int		  js_depth;	/* open objects and arrays */
	int		  js_maxdepth;
	int		  js_unsure;
	int		  js_object;	/* the top level is an object */
	struct jscan_top *js_top;	/* proof: what the top level holds */
	int		  js_want;	/* proof: the next value is jt_want's */
	yajl_handle	  js_h;
	/* build: the top-level member left as text, and where it starts */
	struct jscan_raw *js_raw;
	int		  js_rawnext;	/* the next value is js_raw's */
	int		  js_skip;	/* inside it: prove, do not build */
	size_t		  js_rawstart;
	const char	 *js_text;
	/* build: the open containers and the name of the next member */
	json_t		 *js_root;
	json_t		 *js_open[JSCAN_MAX_DEPTH + 1];
	char		 *js_key;
	size_t		  js_keylen;
	size_t		  js_keycap;
	/* proof: hashes of the member names of each open object */
	uint64_t	 *js_hash;
	size_t		  js_nhash;
	size_t		  js_caphash;
	size_t		  js_first[JSCAN_MAX_DEPTH + 1];
};

#define JSCAN_ONES	0x0101010101010101ULL
#define JSCAN_HIGHS	0x8080808080808080ULL
/* Does the 8-byte word w hold the byte c? */
#define JSCAN_HAS(w, c)	((((w) ^ JSCAN_ONES * (c)) - JSCAN_ONES) & \
	~((w) ^ JSCAN_ONES * (c)) & JSCAN_HIGHS)
/* A byte past 0x7f or below 0x20 (borrows may flag more: never fewer). */
#define JSCAN_ODD(w)	((((w) - JSCAN_ONES * 0x20) | (w)) & JSCAN_HIGHS)

/*
 * The bytes yajl reads differently from jansson, found before yajl runs:
 * \u escapes of surrogates (yajl turns a lone one into '?') and of U+0000
 * (jansson refuses it; the proof never sees decoded strings), vertical tab
 * and form feed (white space to yajl), and UTF-8 that jansson refuses
 * (overlong forms, encoded surrogates, past U+10FFFF: yajl passes them).
 * Outside strings, bytes past 0x7f are refused by yajl anyway.
 */
static int
jscan_bytes_ok(const unsigned char *p, size_t len)
{
	const unsigned char	*end = p + len;
	size_t			 n;
	uint64_t		 w;

	while (p < end) {
		/* Eight plain ASCII bytes at a time: most of a body. */
		while (end - p >= 8) {
			memcpy(&w, p, sizeof(w));
			if (JSCAN_ODD(w) || JSCAN_HAS(w, '\\'))
				break;
			p += 8;
		}
		if (p == end)
			break;
		if (*p >= 0x80) {
			if ((n = jgen_utf8_len(p, end)) == 0)
				return 0;
			p += n;
			continue;
		}
		if (*p == '\\') {
			if (end - p > 3 && p[1] == 'u' &&
			    (p[2] | 0x20) == 'd' &&
			    memchr("89abcdefABCDEF", p[3], 14) != NULL)
				return 0;	/* \uD800 to \uDFFF */
			if (end - p > 5 && memcmp(p + 1, "u0000", 5) == 0)
				return 0;	/* U+0000: jansson refuses it */
			p += 2;
			continue;
		}
		if (*p == '\v' || *p == '\f')
			return 0;
		p++;
	}
	return 1;
}

static int
jscan_give_up(struct jscan *js)
{
	js->js_unsure = 1;
	return 0;	/* stops yajl */
}

/* FNV-1a: member names are short; a clash only sends the text to jansson. */
static uint64_t
jscan_hash(const unsigned char *s, size_t len)
{
	uint64_t	 h = 14695981039346656037ULL;

	while (len-- > 0)
		h = (h ^ *s++) * 1099511628211ULL;
	return h;
}

/* Proof: a member name, refused when the object may hold it twice. */
static int
jscan_prove_key(struct jscan *js, const unsigned char *s, size_t len)
{
	uint64_t	 h = jscan_hash(s, len), *nh;
	size_t		 i, first = js->js_first[js->js_depth];

	if (js->js_nhash - first >= JSCAN_MAX_MEMBERS)
		return jscan_give_up(js);
	for (i = first; i < js->js_nhash; i++)
		if (js->js_hash[i] == h)
			return jscan_give_up(js);
	if (js->js_nhash == js->js_caphash) {
		i = js->js_caphash ? 2 * js->js_caphash : 64;
		if ((nh = realloc(js->js_hash, i * sizeof(*nh))) == NULL)
			return jscan_give_up(js);
		js->js_hash = nh;
		js->js_caphash = i;
	}
	js->js_hash[js->js_nhash++] = h;
	if (js->js_depth == 1 && js->js_top != NULL) {
		if (js->js_top->jt_reserved != NULL &&
		    js->js_top->jt_reserved((const char *)s, len))
			js->js_top->jt_has_reserved = 1;
		js->js_want = js->js_top->jt_want != NULL &&
		    strlen(js->js_top->jt_want) == len &&
		    memcmp(js->js_top->jt_want, s, len) == 0;
	}
	return 1;
}

/* Build: adds v to the open container (the name is js_key's). */
static int
jscan_add(struct jscan *js, json_t *v)
{
	json_t	*parent;
	size_t	 n;

	if (v == NULL)
		return jscan_give_up(js);
	if (js->js_depth == 0) {
		js->js_root = v;
		return 1;
	}
	parent = js->js_open[js->js_depth - 1];
	if (json_is_array(parent)) {
		if (json_array_append_new(parent, v) == -1)
			return jscan_give_up(js);
		return 1;
	}
	n = json_object_size(parent);
	if (json_object_setn_new_nocheck(parent, js->js_key, js->js_keylen,
	    v) == -1 || json_object_size(parent) == n)
		return jscan_give_up(js);	/* a duplicate name */
	return 1;
}

/* A scalar value: built, or counted as the top level's jt_want. */
static int
jscan_scalar(struct jscan *js, json_t *v)
{
	if (js->js_depth == 0) {	/* not an object: jansson says so */
		json_decref(v);
		return jscan_give_up(js);
	}
	js->js_rawnext = 0;
	if (!js->js_build || js->js_skip) {
		json_decref(v);
		js->js_want = 0;
		return 1;
	}
	return jscan_add(js, v);
}

static int
jscan_null(void *ctx)
{
	struct jscan	*js = ctx;

	return jscan_scalar(js, JSCAN_BUILDING(js) ? json_null() : NULL);
}

static int
jscan_boolean(void *ctx, int b)
{
	struct jscan	*js = ctx;

	return jscan_scalar(js, JSCAN_BUILDING(js) ? json_boolean(b) : NULL);
}

/*
 * A number, read as jansson reads it: without '.', 'e' or 'E' an integer
 * (here only up to 18 digits, which always fit), else a double from strtod
 * (here only when finite).  Past that jansson decides.
 */
static int
jscan_number(void *ctx, const char *s, size_t len)
{
	struct jscan	*js = ctx;
	char		 text[JSCAN_MAX_NUMBER + 1], *end;
	double		 d;
	long long	 i;

	if (len > JSCAN_MAX_NUMBER)
		return jscan_give_up(js);
	memcpy(text, s, len);
	text[len] = '\0';
	errno = 0;
	if (strpbrk(text, ".eE") == NULL) {
		if (len - (text[0] == '-') > 18)
			return jscan_give_up(js);
		if (!JSCAN_BUILDING(js))
			return jscan_scalar(js, NULL);
		i = strtoll(text, &end, 10);
		return jscan_scalar(js, json_integer(i));
	}
	d = strtod(text, &end);
	if (*end != '\0' || !isfinite(d))
		return jscan_give_up(js);
	return jscan_scalar(js, JSCAN_BUILDING(js) ? json_real(d) : NULL);
}

/* Strings and names: no U+0000 (jansson refuses it), within the limit. */
static int
jscan_text_ok(const unsigned char *s, size_t len)
{
	return len <= MSG_MAX_STRING && memchr(s, '\0', len) == NULL;
}

static int
jscan_string(void *ctx, const unsigned char *s, size_t len)
{
	struct jscan	*js = ctx;

	if (!jscan_text_ok(s, len))
		return jscan_give_up(js);
	return jscan_scalar(js, JSCAN_BUILDING(js) ?
	    json_stringn_nocheck((const char *)s, len) : NULL);
}

static int
jscan_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct jscan	*js = ctx;
	char		*k;
	size_t		 cap;

	if (!jscan_text_ok(s, len))
		return jscan_give_up(js);
	if (!JSCAN_BUILDING(js))
		return jscan_prove_key(js, s, len);
	if (js->js_depth == 1 && js->js_raw != NULL)
		js->js_rawnext = strlen(js->js_raw->jr_name) == len &&
		    memcmp(js->js_raw->jr_name, s, len) == 0;
	if (len + 1 > js->js_keycap) {
		cap = len + 1 < 64 ? 64 : len + 1;
		if ((k = realloc(js->js_key, cap)) == NULL)
			return jscan_give_up(js);
		js->js_key = k;
		js->js_keycap = cap;
	}
	memcpy(js->js_key, s, len);
	js->js_key[len] = '\0';
	js->js_keylen = len;
	return 1;
}

/* An object or array opens: one level deeper, within the limit. */
static int
jscan_open(struct jscan *js, int object)
{
	json_t	*v = NULL;

	if (js->js_depth == 0 && !object)
		return jscan_give_up(js);
	js->js_object = 1;
	if (js->js_depth >= js->js_maxdepth)
		return jscan_give_up(js);
	if (js->js_rawnext) {	/* its bytes are kept; the tree has null */
		js->js_rawnext = 0;
		js->js_skip = js->js_depth + 1;
		js->js_rawstart = yajl_get_bytes_consumed(js->js_h) - 1;
		if (!jscan_add(js, json_null()))
			return 0;
	} else if (JSCAN_BUILDING(js)) {
		v = object ? json_object() : json_array();
		if (!jscan_add(js, v))
			return 0;
		js->js_open[js->js_depth] = v;
	} else if (js->js_depth == 1 && js->js_want && object &&
	    js->js_top != NULL)
		js->js_top->jt_found = 1;
	js->js_depth++;
	js->js_first[js->js_depth] = js->js_nhash;
	js->js_want = 0;
	return 1;
}

/* An object or array closes (yajl's end_map and end_array). */
static int
jscan_close(void *ctx)
{
	struct jscan	*js = ctx;

	if (js->js_skip == js->js_depth) {
		js->js_skip = 0;
		js->js_raw->jr_text = js->js_text + js->js_rawstart;
		js->js_raw->jr_len = yajl_get_bytes_consumed(js->js_h) -
		    js->js_rawstart;
	}
	js->js_nhash = js->js_first[js->js_depth];
	js->js_depth--;
	return 1;
}

static int
jscan_start_map(void *ctx)
{
	return jscan_open(ctx, 1);
}

static int
jscan_start_array(void *ctx)
{
	return jscan_open(ctx, 0);
}

/*
 * The proof's: no string callback, so that yajl never decodes a string
 * (the bytes were checked above, and in a text of at most MSG_MAX_STRING
 * bytes no string is longer); a scalar needs no callback (the next name
 * or the end settles jt_want), except numbers, which may be long.
 */
static const yajl_callbacks jscan_proof_callbacks = {
	.yajl_number = jscan_number,
	.yajl_start_map = jscan_start_map,
	.yajl_map_key = jscan_map_key,
	.yajl_end_map = jscan_close,
	.yajl_start_array = jscan_start_array,
	.yajl_end_array = jscan_close,
};

static const yajl_callbacks jscan_callbacks = {
	.yajl_null = jscan_null,
	.yajl_boolean = jscan_boolean,
	.yajl_number = jscan_number,
	.yajl_string = jscan_string,
	.yajl_start_map = jscan_start_map,
	.yajl_map_key = jscan_map_key,
	.yajl_end_map = jscan_close,
	.yajl_start_array = jscan_start_array,
	.yajl_end_array = jscan_close,
};

/* Runs yajl over the whole text; 0 when it was read here, else -1. */
static int
jscan_run(struct jscan *js, const char *text, size_t len)
{
	yajl_handle	 h;
	yajl_status	 st;

	if (!jscan_bytes_ok((const unsigned char *)text, len))
		return -1;
	if (js->js_maxdepth > JSCAN_MAX_DEPTH)	/* the stacks' size */
		js->js_maxdepth = JSCAN_MAX_DEPTH;
	if ((h = yajl_alloc(!js->js_build && len <= MSG_MAX_STRING ?
	    &jscan_proof_callbacks : &jscan_callbacks, NULL, js)) == NULL)
		return -1;
	/* jscan_bytes_ok checked the UTF-8, more strictly than yajl. */
	yajl_config(h, yajl_dont_validate_strings, 1);
	js->js_h = h;
	js->js_text = text;
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	yajl_free(h);
	free(js->js_hash);
	free(js->js_key);
	if (st != yajl_status_ok || js->js_unsure || js->js_depth != 0 ||
	    !js->js_object)
		return -1;
	return 0;
}

/*
 * Proves that text is one JSON object that jansson reads the same way,
 * within the input limits (depth at most maxdepth), and says in top whether
 * its member top->jt_want is an object and whether any top-level name is
 * one top->jt_reserved accepts.  0 when proved; -1 when unsure (jansson
 * must read it: it may be fine, or refused with jansson's own words).
 */
int
jscan_proof(const char *text, size_t len, int maxdepth, struct jscan_top *top)
{
	struct jscan	 js;

	memset(&js, 0, sizeof(js));
	js.js_maxdepth = maxdepth;
	js.js_top = top;
	top->jt_found = 0;
	top->jt_has_reserved = 0;
	return jscan_run(&js, text, len);
}

/*
 * The tree of text, one JSON object at most maxdepth deep, exactly as
 * json_loadb(JSON_REJECT_DUPLICATES) builds it (types, member order); NULL
 * when unsure (then ask jansson).  With raw, the top-level member
 * raw->jr_name, when its value is an object or array, is not built: the
 * tree has null there and raw points at the value's bytes in text (else
 * raw->jr_text is NULL).
 */
json_t *
jscan_load(const char *text, size_t len, int maxdepth, struct jscan_raw *raw)
{
	struct jscan	 js;

	memset(&js, 0, sizeof(js));
	js.js_build = 1;
	js.js_raw = raw;
	if (raw != NULL)
		raw->jr_text = NULL;
	js.js_maxdepth = maxdepth;
	if (jscan_run(&js, text, len) == -1) {
		json_decref(js.js_root);
		if (raw != NULL)
			raw->jr_text = NULL;
		return NULL;
	}
	return js.js_root;
}
