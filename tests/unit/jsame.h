/* jsame(): two jansson trees equal with the same types all the way down. */
#ifndef JSAME_H
#define JSAME_H

#include <jansson.h>

int	 jsame(json_t *, json_t *);

#endif
