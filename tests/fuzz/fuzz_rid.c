/*
 * libFuzzer target for the resource_id codec (protocol/rid.c).  The input
 * is decoded as an id without keys, with one key and with a rotated key
 * set; whatever decodes must encode again to an id that decodes to the
 * same content.  The input also supplies a type, version and meta to
 * encode, and a signed id with any one character changed must never verify.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nebula-protocol.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 rid_k1[] = "fuzz-key-one-0123456789abcdef0123456789";
static char	 rid_k2[] = "fuzz-key-two-fedcba9876543210fedcba9876";
static const char rid_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
rid_keys_set(struct rid_keys *k, int rotated)
{
	memset(k, 0, sizeof(*k));
	if (rotated) {
		k->keys[k->nkeys] = rid_k2;
		k->keylens[k->nkeys++] = strlen(rid_k2);
	}
	k->keys[k->nkeys] = rid_k1;
	k->keylens[k->nkeys++] = strlen(rid_k1);
}

static int
rid_same(const struct rid *a, const struct rid *b)
{
	return strcmp(a->rid_type, b->rid_type) == 0 &&
	    strcmp(a->rid_version, b->rid_version) == 0 &&
	    json_equal(a->rid_meta, b->rid_meta);
}

/* Encodes what decoded and checks it comes back the same. */
static void
rid_round_trip(const struct rid *r, const struct rid_keys *keys)
{
	struct rid	 again;
	char		*id;

	/* json null meta is encoded as absent-meta null: same thing */
	if ((id = rid_encode(r->rid_type, r->rid_version, r->rid_meta,
	    keys)) == NULL)
		return;		/* e.g. too large */
	if (rid_decode(id, strlen(id), keys, &again) != RID_OK)
		abort();
	if (!rid_same(r, &again))
		abort();
	rid_clear(&again);
	free(id);
}

/* Changes one character of a signed id: it must no longer verify. */
static void
rid_tamper(const char *id, size_t pos, uint8_t with,
    const struct rid_keys *keys)
{
	struct rid	 r;
	char		*t;
	size_t		 len = strlen(id);
	char		 c;

	if (len == 0)
		return;
	pos %= len;
	c = rid_b64[with % 64];
	if (c == id[pos])
		c = rid_b64[(with + 1) % 64];
	if ((t = strdup(id)) == NULL)
		return;
	t[pos] = c;
	if (rid_decode(t, len, keys, &r) == RID_OK)
		abort();
	/* truncated: never valid either */
	if (rid_decode(id, pos, keys, &r) == RID_OK)
		abort();
	free(t);
}

/* The input read as an id, with each key set. */
static void
rid_decode_input(const char *id, size_t len)
{
	struct rid_keys	 one, rotated;
	struct rid	 r, r2;
	enum rid_status	 st;

	rid_keys_set(&one, 0);
	rid_keys_set(&rotated, 1);
	if (rid_decode(id, len, NULL, &r) == RID_OK) {
		rid_round_trip(&r, NULL);
		rid_round_trip(&r, &one);
		rid_clear(&r);
	}
	if ((st = rid_decode(id, len, &one, &r)) == RID_OK) {
		/* signed with key one: the rotated set verifies it too */
		if (rid_decode(id, len, &rotated, &r2) != RID_OK ||
		    !rid_same(&r, &r2))
			abort();
		rid_clear(&r2);
		rid_round_trip(&r, &one);
		rid_clear(&r);
	} else if (st != RID_FORGED && st != RID_MALFORMED)
		abort();
	if (rid_decode(id, len, &rotated, &r) == RID_OK)
		rid_clear(&r);
}

/* The input split into type, version and meta, then encoded. */
static void
rid_encode_input(const uint8_t *data, size_t size)
{
	struct rid_keys	 one, rotated;
	struct rid	 r, want;
	const uint8_t	*p1, *p2;
	char		*type, *version, *id;
	json_t		*meta;
	size_t		 pos;
	uint8_t		 with;

	if (size < 2)
		return;
	pos = data[0];
	with = data[1];
	data += 2;
	size -= 2;
	if ((p1 = memchr(data, '\0', size)) == NULL)
		return;
	if ((p2 = memchr(p1 + 1, '\0', size - (size_t)(p1 + 1 - data))) ==
	    NULL)
		return;
	type = (char *)data;
	version = (char *)p1 + 1;
	meta = json_loadb((const char *)p2 + 1, size - (size_t)(p2 + 1 -
	    data), JSON_DECODE_ANY, NULL);
	if (meta == NULL)
		meta = json_null();
	rid_keys_set(&one, 0);
	rid_keys_set(&rotated, 1);
	memset(&want, 0, sizeof(want));
	want.rid_type = type;
	want.rid_version = version;
	want.rid_meta = meta;
	if ((id = rid_encode(type, version, meta, NULL)) != NULL) {
		if (rid_decode(id, strlen(id), NULL, &r) != RID_OK ||
		    !rid_same(&r, &want))
			abort();
		rid_clear(&r);
		/* an unsigned id is forged once keys are configured */
		if (rid_decode(id, strlen(id), &one, &r) != RID_FORGED)
			abort();
		free(id);
	}
	if ((id = rid_encode(type, version, meta, &one)) != NULL) {
		if (rid_decode(id, strlen(id), &one, &r) != RID_OK ||
		    !rid_same(&r, &want))
			abort();
		rid_clear(&r);
		if (rid_decode(id, strlen(id), &rotated, &r) != RID_OK)
			abort();
		rid_clear(&r);
		rid_tamper(id, pos * 7 + with, with, &one);
		free(id);
	}
	json_decref(meta);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*s;

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		rid_encode_input(data + 1, size - 1);
		return 0;
	}
	/* rid_decode needs no NUL, but the router passes C strings */
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	rid_decode_input(s, size - 1);
	free(s);
	return 0;
}
