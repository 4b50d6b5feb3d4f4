/*
 * Idempotency keys for creates: the same task execution (Flyte's
 * task_execution_metadata.task_execution_id, any JSON value, retry attempt
 * included) always gives the same key, so a retried create finds the job
 * the first one started.  Without that metadata the key is random.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "nebula-svc.h"

#define IDEM_BYTES	16	/* 32 hex digits */

/*
 * Writes prefix and 32 hex digits into out.  Returns 1 when the key comes
 * from the request's task execution id, 0 when it is random, -1 on error.
 */
int
idem_key(json_t *req, const char *prefix, char *out, size_t outlen)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	json_t		*id;
	char		*s = NULL;
	size_t		 i, plen;
	int		 derived = 0;

	id = json_object_get(json_object_get(req, "task_execution_metadata"),
	    "task_execution_id");
	if (id != NULL && !json_is_null(id) &&
	    !(json_is_string(id) && json_string_length(id) == 0)) {
		/* Sorted keys: the same id however its fields were ordered. */
		if ((s = json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY)) == NULL ||
		    EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(),
		    NULL) != 1)
			goto fail;
		derived = 1;
	} else if (RAND_bytes(md, IDEM_BYTES) != 1)
		goto fail;
	plen = strlen(prefix);
	if (outlen < plen + 2 * IDEM_BYTES + 1)
		goto fail;
	memcpy(out, prefix, plen);
	for (i = 0; i < IDEM_BYTES; i++)
		snprintf(out + plen + 2 * i, 3, "%02x", md[i]);
	free(s);
	return derived;
fail:
	free(s);
	return -1;
}
