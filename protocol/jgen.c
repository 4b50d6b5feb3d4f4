/*
 * Writes a jansson tree as compact JSON text through yajl's generator.
 * jansson's own dump checks for loops at every object and array by
 * formatting the container's address into a string and hashing it, which
 * costs more than the writing; the trees written here are never shared
 * loops, and yajl bounds their depth.  Reals are formatted by jansson, so
 * that 1.0 stays a real.
 */
#include <string.h>

#include <yajl/yajl_gen.h>

#include "nebula-protocol.h"

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
