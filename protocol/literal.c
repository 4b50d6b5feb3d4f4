/*
 * Typed outputs: plain JSON values to Flyte's flyteidl.core.LiteralMap in
 * protojson with proto field names (flyteidl/core/literals.proto) and back,
 * and the rule that tells a LiteralMap from plain outputs.  Integers are
 * int64 written as strings, reals float_value, strings string_value,
 * booleans boolean, null a none_type scalar, arrays collections and
 * objects generic Structs; the Python SDK's literals.py does the same.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-protocol.h"

#define LITERAL_MAX_DEPTH	512	/* collections and maps inside literals */

static json_t	*literal_from_plain(json_t *, int);
static json_t	*literal_to_plain(json_t *, int);
static json_t	*literal_map_plain(json_t *, int);

/* A Literal of one plain value; new reference, or NULL. */
static json_t *
literal_from_plain(json_t *v, int depth)
{
	json_t	*lits, *e;
	size_t	 i;
	char	 num[32];

	switch (json_typeof(v)) {
	case JSON_NULL:
		return json_pack("{s:{s:{}}}", "scalar", "none_type");
	case JSON_TRUE:
	case JSON_FALSE:
		return json_pack("{s:{s:{s:b}}}", "scalar", "primitive",
		    "boolean", json_is_true(v));
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return json_pack("{s:{s:{s:s}}}", "scalar", "primitive",
		    "integer", num);
	case JSON_REAL:
		return json_pack("{s:{s:{s:f}}}", "scalar", "primitive",
		    "float_value", json_real_value(v));
	case JSON_STRING:
		return json_pack("{s:{s:{s:O}}}", "scalar", "primitive",
		    "string_value", v);
	case JSON_OBJECT:
		return json_pack("{s:{s:o}}", "scalar", "generic",
		    json_deep_copy(v));
	case JSON_ARRAY:
		if (depth >= LITERAL_MAX_DEPTH || (lits = json_array()) == NULL)
			return NULL;
		json_array_foreach(v, i, e) {
			if (json_array_append_new(lits,
			    literal_from_plain(e, depth + 1)) == -1) {
				json_decref(lits);
				return NULL;
			}
		}
		return json_pack("{s:{s:o}}", "collection", "literals", lits);
	}
	return NULL;
}

json_t *
literal_map_from_plain(json_t *plain)
{
	json_t		*lits, *v;
	const char	*k;

	if (!json_is_object(plain) || (lits = json_object()) == NULL)
		return NULL;
	json_object_foreach(plain, k, v) {
		if (json_object_set_new(lits, k, literal_from_plain(v, 0)) ==
		    -1) {
			json_decref(lits);
			return NULL;
		}
	}
	return json_pack("{s:o}", "literals", lits);
}

/* An object with exactly one of scalar, collection or map, an object. */
static int
literal_shaped(json_t *v)
{
	const char	*k;
	json_t		*e;
	int		 values = 0;

	if (!json_is_object(v))
		return 0;
	json_object_foreach(v, k, e) {
		if (strcmp(k, "scalar") == 0 || strcmp(k, "collection") == 0 ||
		    strcmp(k, "map") == 0) {
			if (!json_is_object(e))
				return 0;
			values++;
		} else if (strcmp(k, "hash") != 0 && strcmp(k, "metadata") != 0)
			return 0;
	}
	return values == 1;
}

int
literal_map_is(json_t *v)
{
	json_t		*lits, *e;
	const char	*k;

	if (!json_is_object(v) || json_object_size(v) != 1 ||
	    !json_is_object(lits = json_object_get(v, "literals")))
		return 0;
	json_object_foreach(lits, k, e)
		if (!literal_shaped(e))
			return 0;
	return 1;
}

/* The only member of obj, or NULL when it has none or several. */
static json_t *
literal_one(json_t *obj, const char **key)
{
	void	*it;

	if (!json_is_object(obj) || json_object_size(obj) != 1)
		return NULL;
	it = json_object_iter(obj);
	*key = json_object_iter_key(it);
	return json_object_iter_value(it);
}

static json_t *
literal_integer(json_t *v)
{
	const char	*s;
	char		*end;
	long long	 n;

	if (json_is_integer(v))
		return json_integer(json_integer_value(v));
	if (!json_is_string(v) || *(s = json_string_value(v)) == '\0')
		return NULL;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return NULL;
	return json_integer((json_int_t)n);
}

static json_t *
literal_float(json_t *v)
{
	const char	*s;
	char		*end;
	double		 d;

	if (json_is_number(v))
		return json_real(json_number_value(v));
	if (!json_is_string(v) || *(s = json_string_value(v)) == '\0')
		return NULL;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(d))
		return NULL;	/* "NaN" and "Infinity" have no JSON form */
	return json_real(d);
}

static json_t *
literal_primitive(json_t *p)
{
	const char	*k;
	json_t		*v;

	if ((v = literal_one(p, &k)) == NULL)
		return NULL;
	if (strcmp(k, "integer") == 0)
		return literal_integer(v);
	if (strcmp(k, "float_value") == 0 || strcmp(k, "floatValue") == 0)
		return literal_float(v);
	if (strcmp(k, "boolean") == 0)
		return json_is_boolean(v) ? json_incref(v) : NULL;
	if (strcmp(k, "string_value") == 0 || strcmp(k, "stringValue") == 0 ||
	    strcmp(k, "datetime") == 0 || strcmp(k, "duration") == 0)
		return json_is_string(v) ? json_incref(v) : NULL;
	return NULL;
}

static json_t *
literal_scalar(json_t *s, int depth)
{
	const char	*k;
	json_t		*v, *uri;

	if ((v = literal_one(s, &k)) == NULL)
		return NULL;
	if (strcmp(k, "primitive") == 0)
		return literal_primitive(v);
	if (strcmp(k, "none_type") == 0 || strcmp(k, "noneType") == 0)
		return json_null();
	if (strcmp(k, "generic") == 0)
		return json_is_object(v) ? json_deep_copy(v) : NULL;
	if (strcmp(k, "blob") == 0 || strcmp(k, "schema") == 0 ||
	    strcmp(k, "structured_dataset") == 0 ||
	    strcmp(k, "structuredDataset") == 0) {
		uri = json_object_get(v, "uri");
		return json_is_string(uri) ? json_incref(uri) : NULL;
	}
	if (strcmp(k, "union") == 0 && json_is_object(v))
		return literal_to_plain(json_object_get(v, "value"), depth + 1);
	return NULL;	/* binary, error, json: no plain form */
}

/* The plain value of one Literal; new reference, or NULL. */
static json_t *
literal_to_plain(json_t *lit, int depth)
{
	json_t	*v, *lits, *e, *out;
	size_t	 i;

	if (depth >= LITERAL_MAX_DEPTH || !literal_shaped(lit))
		return NULL;
	if ((v = json_object_get(lit, "scalar")) != NULL)
		return literal_scalar(v, depth);
	if ((v = json_object_get(lit, "map")) != NULL)
		return literal_map_plain(v, depth + 1);
	v = json_object_get(lit, "collection");
	lits = json_object_get(v, "literals");
	if (lits == NULL)
		return json_array();	/* protojson leaves [] out */
	if (!json_is_array(lits) || json_object_size(v) != 1 ||
	    (out = json_array()) == NULL)
		return NULL;
	json_array_foreach(lits, i, e) {
		if (json_array_append_new(out, literal_to_plain(e,
		    depth + 1)) == -1) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* A LiteralMap's plain object; an empty map may be {} when nested. */
static json_t *
literal_map_plain(json_t *map, int depth)
{
	json_t		*lits, *e, *out;
	const char	*k;

	if (!json_is_object(map) || json_object_size(map) > 1)
		return NULL;
	if ((lits = json_object_get(map, "literals")) == NULL)
		return json_object_size(map) == 0 ? json_object() : NULL;
	if (!json_is_object(lits) || (out = json_object()) == NULL)
		return NULL;
	json_object_foreach(lits, k, e) {
		if (json_object_set_new(out, k, literal_to_plain(e, depth)) ==
		    -1) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *
literal_map_to_plain(json_t *map)
{
	if (!literal_map_is(map))
		return NULL;
	return literal_map_plain(map, 0);
}
