/*
 * The JSON readers side by side on the Flyte-shaped bodies of bodies.py:
 * jansson's json_loadb (what the daemon used before), our yajl proof
 * (jscan_proof) and tree (jscan_load), and, when bench/parsers.sh finds
 * libsimdjson-dev, simdjson's DOM parse and a jansson tree built from it
 * (the candidate that was measured and not taken: it is C++).  Usage:
 * parsers MODE FILE N, MODE 0-4; run it under callgrind (parsers.sh does)
 * for instructions per parse, which the machine's load does not move.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-protocol.h"

#ifdef HAVE_SIMDJSON
int	 sj_check(const char *, size_t);
json_t	*sj_load(const char *, size_t);
#endif

static int
none_reserved(const char *s, size_t len)
{
	(void)s;
	(void)len;
	return 0;
}

int
main(int argc, char **argv)
{
	static char		 buf[1 << 20];
	struct jscan_top	 top = { "task_template", none_reserved, 0, 0 };
	json_error_t		 e;
	json_t			*j;
	FILE			*f;
	size_t			 n;
	int			 i, mode, count;

	if (argc != 4 || (f = fopen(argv[2], "rb")) == NULL) {
		fprintf(stderr, "usage: parsers MODE FILE N\n");
		return 2;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	mode = atoi(argv[1]);
	count = atoi(argv[3]);
	for (i = 0; i < count; i++) {
		j = NULL;
		switch (mode) {
		case 0:
			j = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &e);
			break;
		case 1:
			if (jscan_proof(buf, n, MSG_MAX_DEPTH, &top) == -1)
				return 1;
			break;
		case 2:
			j = jscan_load(buf, n, MSG_MAX_DEPTH, NULL);
			break;
#ifdef HAVE_SIMDJSON
		case 3:
			if (sj_check(buf, n) != 0)
				return 1;
			break;
		case 4:
			j = sj_load(buf, n);
			break;
#endif
		default:
			return 2;
		}
		if (mode != 1 && mode != 3 && j == NULL)
			return 1;
		json_decref(j);
	}
	return 0;
}
