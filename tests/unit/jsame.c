/*
 * The tree comparison the JSON reader and writer tests share: json_equal,
 * and the same types all the way down (1 is not 1.0, and reals equal bit
 * for bit, so -0.0 is not 0.0).  NULL equals only NULL.
 */
#include <string.h>

#include "jsame.h"

int
jsame(json_t *a, json_t *b)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (a == NULL || b == NULL)
		return a == b;
	if (json_typeof(a) != json_typeof(b) || !json_equal(a, b))
		return 0;
	if (json_is_real(a))
		return memcmp(&(double){ json_real_value(a) },
		    &(double){ json_real_value(b) }, sizeof(double)) == 0;
	if (json_is_object(a)) {
		json_object_foreach(a, k, v)
			if (!jsame(v, json_object_get(b, k)))
				return 0;
	} else if (json_is_array(a)) {
		for (i = 0; i < json_array_size(a); i++)
			if (!jsame(json_array_get(a, i), json_array_get(b, i)))
				return 0;
	}
	return 1;
}
