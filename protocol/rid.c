/*
 * The resource_id codec.  A resource_id is base64url (no padding) of a small
 * JSON document {"v":1,"t":type,"ver":version,"m":resource_meta}; when
 * signing keys are configured, "." and the base64url HMAC-SHA256 tag of the
 * first part follow.  Tags are checked in constant time, against every key,
 * before the document is decoded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nebula-protocol.h"

#define RID_FORMAT	1
#define RID_TAG_LEN	32
#define RID_MIN_KEY	32
#define RID_MAX_LEN	(64 * 1024)

static char *
rid_b64url(const unsigned char *in, size_t len, size_t *outlen)
{
	char	*out;
	size_t	 n, i;

	if (len > RID_MAX_LEN)
		return NULL;
	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (i = 0; i < n; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	*outlen = n;
	return out;
}

/* Decodes unpadded base64url; NULL for any character outside its alphabet. */
static unsigned char *
rid_unb64url(const char *in, size_t len, size_t *outlen)
{
	char		*tmp;
	unsigned char	*out;
	size_t		 i, pad, padded;
	int		 n;

	if (len == 0 || len > RID_MAX_LEN || len % 4 == 1)
		return NULL;
	pad = (4 - len % 4) % 4;
	padded = len + pad;
	if ((tmp = malloc(padded + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))) {
			free(tmp);
			return NULL;
		}
		tmp[i] = c;
	}
	memset(tmp + len, '=', pad);
	tmp[padded] = '\0';
	if ((out = malloc(padded / 4 * 3 + 1)) == NULL) {
		free(tmp);
		return NULL;
	}
	n = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)padded);
	free(tmp);
	if (n < 0 || (size_t)n < pad) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)n - pad;
	out[*outlen] = '\0';
	return out;
}

static void
rid_tag(const char *key, size_t keylen, const char *data, size_t len,
    unsigned char tag[RID_TAG_LEN])
{
	unsigned int	 taglen = RID_TAG_LEN;

	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, len,
	    tag, &taglen);
}

/* The id of the document doc (len bytes): base64url, then its tag. */
static char *
rid_seal(const char *doc, size_t len, const struct rid_keys *keys)
{
	char		*body, *tagtxt, *out;
	size_t		 bodylen, taglen;
	unsigned char	 tag[RID_TAG_LEN];

	body = rid_b64url((const unsigned char *)doc, len, &bodylen);
	if (body == NULL || keys == NULL || keys->nkeys == 0)
		return body;
	rid_tag(keys->keys[0], keys->keylens[0], body, bodylen, tag);
	if ((tagtxt = rid_b64url(tag, sizeof(tag), &taglen)) == NULL) {
		free(body);
		return NULL;
	}
	if ((out = malloc(bodylen + 1 + taglen + 1)) != NULL) {
		memcpy(out, body, bodylen);
		out[bodylen] = '.';
		memcpy(out + bodylen + 1, tagtxt, taglen + 1);
	}
	free(body);
	free(tagtxt);
	return out;
}

/*
 * Returns a new resource_id whose resource_meta is the JSON text meta
 * (metalen bytes, already read as valid: a worker's bytes, kept as they
 * came), or NULL; keys may be NULL (unsigned).
 */
char *
rid_encode_text(const char *type, const char *version, const char *meta,
    size_t metalen, const struct rid_keys *keys)
{
	struct buf	 doc = { 0 };
	char		*id = NULL;

	if (buf_puts(&doc, "{\"v\":") == 0 &&
	    buf_put_uint(&doc, RID_FORMAT, 0) == 0 &&
	    buf_puts(&doc, ",\"t\":") == 0 &&
	    jgen_string(&doc, type) == 0 &&
	    buf_append(&doc, ",\"ver\":", 7) == 0 &&
	    jgen_string(&doc, version) == 0 &&
	    buf_append(&doc, ",\"m\":", 5) == 0 &&
	    buf_append(&doc, meta, metalen) == 0 &&
	    buf_append(&doc, "}", 1) == 0)
		id = rid_seal(doc.buf_data, doc.buf_len, keys);
	buf_release(&doc);
	return id;
}

/* Returns a new resource_id, or NULL; keys may be NULL (unsigned). */
char *
rid_encode(const char *type, const char *version, json_t *meta,
    const struct rid_keys *keys)
{
	char	*text, *id;

	text = meta == NULL ? NULL : json_dumps(meta, JSON_COMPACT |
	    JSON_ENCODE_ANY);
	if (meta != NULL && text == NULL)
		return NULL;
	id = rid_encode_text(type, version, text ? text : "null",
	    text ? strlen(text) : 4, keys);
	free(text);
	return id;
}

/*
 * Compares the tag as text, so that an id whose tag differs only in the
 * unused low bits of its last base64url character is still refused.
 */
static int
rid_verify(const char *body, size_t bodylen, const char *tagtxt,
    size_t taglen, const struct rid_keys *keys)
{
	unsigned char	 want[RID_TAG_LEN];
	char		*wanttxt;
	size_t		 wantlen, i;
	int		 ok = 0;

	for (i = 0; i < keys->nkeys; i++) {
		rid_tag(keys->keys[i], keys->keylens[i], body, bodylen, want);
		if ((wanttxt = rid_b64url(want, sizeof(want), &wantlen)) ==
		    NULL)
			return 0;
		if (wantlen == taglen)
			ok |= CRYPTO_memcmp(wanttxt, tagtxt, taglen) == 0;
		free(wanttxt);
	}
	return ok;
}

/*
 * Decodes and, with keys, verifies a resource_id.  On RID_OK the caller
 * owns what *out holds and frees it with rid_clear().
 */
enum rid_status
rid_decode(const char *id, size_t len, const struct rid_keys *keys,
    struct rid *out)
{
	const char	*dot;
	unsigned char	*json;
	size_t		 bodylen, jsonlen;
	json_t		*doc, *v, *t, *ver;

	memset(out, 0, sizeof(*out));
	dot = memchr(id, '.', len);
	bodylen = dot ? (size_t)(dot - id) : len;
	if (keys != NULL && keys->nkeys > 0) {
		if (dot == NULL || !rid_verify(id, bodylen, dot + 1,
		    len - bodylen - 1, keys))
			return RID_FORGED;
	}
	if ((json = rid_unb64url(id, bodylen, &jsonlen)) == NULL)
		return RID_MALFORMED;
	doc = json_loadb((char *)json, jsonlen, JSON_REJECT_DUPLICATES, NULL);
	free(json);
	if (doc == NULL)
		return RID_MALFORMED;
	v = json_object_get(doc, "v");
	t = json_object_get(doc, "t");
	ver = json_object_get(doc, "ver");
	if (!json_is_integer(v) || json_integer_value(v) != RID_FORMAT ||
	    !json_is_string(t) || !json_is_string(ver) ||
	    json_object_get(doc, "m") == NULL) {
		json_decref(doc);
		return RID_MALFORMED;
	}
	out->rid_type = strdup(json_string_value(t));
	out->rid_version = strdup(json_string_value(ver));
	out->rid_meta = json_incref(json_object_get(doc, "m"));
	json_decref(doc);
	if (out->rid_type == NULL || out->rid_version == NULL) {
		rid_clear(out);
		return RID_MALFORMED;
	}
	return RID_OK;
}

void
rid_clear(struct rid *r)
{
	free(r->rid_type);
	free(r->rid_version);
	json_decref(r->rid_meta);
	memset(r, 0, sizeof(*r));
}

/* Reads signing keys: one a line, '#' comments, each at least 32 bytes. */
int
rid_keys_load(struct rid_keys *keys, const char *path, char *err,
    size_t errlen)
{
	FILE	*fp;
	char	*line = NULL;
	size_t	 cap = 0, lineno = 0;
	ssize_t	 n;

	memset(keys, 0, sizeof(*keys));
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((size_t)n < RID_MIN_KEY) {
			snprintf(err, errlen, "%s:%zu: key shorter than %d "
			    "bytes", path, lineno, RID_MIN_KEY);
			goto fail;
		}
		if (keys->nkeys == RID_MAX_KEYS) {
			snprintf(err, errlen, "%s:%zu: more than %d keys",
			    path, lineno, RID_MAX_KEYS);
			goto fail;
		}
		if ((keys->keys[keys->nkeys] = strdup(line)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		keys->keylens[keys->nkeys++] = (size_t)n;
	}
	if (keys->nkeys == 0) {
		snprintf(err, errlen, "%s: no key in file", path);
		goto fail;
	}
	free(line);
	fclose(fp);
	return 0;
fail:
	free(line);
	fclose(fp);
	rid_keys_clear(keys);
	return -1;
}

void
rid_keys_clear(struct rid_keys *keys)
{
	size_t	 i;

	for (i = 0; i < keys->nkeys; i++) {
		OPENSSL_cleanse(keys->keys[i], keys->keylens[i]);
		free(keys->keys[i]);
	}
	memset(keys, 0, sizeof(*keys));
}
