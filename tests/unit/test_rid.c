/*
 * Unit tests of the resource_id codec (protocol/rid.c): round trips, the
 * base64url alphabet, malformed ids, signatures (tampering, unsigned ids
 * where keys are configured, key rotation) and loading the key file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nebula-protocol.h"

#define KEY_A	"0123456789abcdef0123456789abcdef-key-A"
#define KEY_B	"fedcba9876543210fedcba9876543210-key-B"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void
keys_set(struct rid_keys *k, const char *first, const char *second)
{
	memset(k, 0, sizeof(*k));
	k->keys[k->nkeys] = strdup(first);
	k->keylens[k->nkeys++] = strlen(first);
	if (second != NULL) {
		k->keys[k->nkeys] = strdup(second);
		k->keylens[k->nkeys++] = strlen(second);
	}
}

static enum rid_status
decode(const char *id, const struct rid_keys *k, struct rid *r)
{
	return rid_decode(id, strlen(id), k, r);
}

/* base64url without padding of a string, for hand-made ids. */
static char *
b64(const char *s)
{
	size_t		 len = strlen(s), i, o = 0;
	unsigned int	 v;
	char		*out;

	assert_non_null(out = malloc(len * 4 / 3 + 4));
	for (i = 0; i < len; i += 3) {
		v = (unsigned char)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < len)
			v |= (unsigned char)s[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = b64url[(v >> 6) & 63];
		if (i + 2 < len)
			out[o++] = b64url[v & 63];
	}
	out[o] = '\0';
	return out;
}

static void
expect_malformed_doc(const char *doc)
{
	struct rid	 r;
	char		*id = b64(doc);

	if (decode(id, NULL, &r) != RID_MALFORMED)
		fail_msg("accepted document %s", doc);
	free(id);
}

static void
test_rid_round_trip(void **state)
{
	struct rid	 r;
	json_t		*meta;
	char		*id;

	(void)state;
	meta = json_pack("{s:s, s:i, s:[s]}", "job", "bq-123", "n", 5, "l",
	    "caf\xc3\xa9");
	assert_non_null(id = rid_encode("bigquery", "v1", meta, NULL));
	assert_int_equal(decode(id, NULL, &r), RID_OK);
	assert_string_equal(r.rid_type, "bigquery");
	assert_string_equal(r.rid_version, "v1");
	assert_true(json_equal(r.rid_meta, meta));
	rid_clear(&r);
	free(id);
	json_decref(meta);

	/* A NULL meta travels as null. */
	assert_non_null(id = rid_encode("echo", "v2", NULL, NULL));
	assert_int_equal(decode(id, NULL, &r), RID_OK);
	assert_true(json_is_null(r.rid_meta));
	rid_clear(&r);
	free(id);
}

/*
 * From the worker's text: the same id as from its tree when the text is
 * compact; signed ids verify; a type that needs escaping stays readable.
 */
static void
test_rid_encode_text(void **state)
{
	static const char text[] = "{\"job\":\"bq-123\",\"n\":5}";
	struct rid_keys	 k = { 0 };
	struct rid	 r;
	json_t		*meta;
	char		*a, *b, key[] = "0123456789abcdef0123456789abcdef";

	(void)state;
	meta = json_loads(text, 0, NULL);
	assert_non_null(a = rid_encode("bigquery", "v1", meta, NULL));
	assert_non_null(b = rid_encode_text("bigquery", "v1", text,
	    strlen(text), NULL));
	assert_string_equal(a, b);
	free(a);
	free(b);
	k.keys[0] = key;
	k.keylens[0] = strlen(key);
	k.nkeys = 1;
	assert_non_null(b = rid_encode_text("t\"y\\pe", "v1", " { \"job\" :"
	    " \"bq-123\" , \"n\":5 } ", 30, &k));
	assert_int_equal(rid_decode(b, strlen(b), &k, &r), RID_OK);
	assert_string_equal(r.rid_type, "t\"y\\pe");
	assert_true(json_equal(r.rid_meta, meta));
	rid_clear(&r);
	free(b);
	json_decref(meta);
	/* A type that is not UTF-8 makes no id. */
	assert_null(rid_encode_text("\xff", "v1", "{}", 2, NULL));
}

static void
test_rid_base64url_alphabet_without_padding(void **state)
{
	static const char *const metas[] = {
		"???", "~~~", "?", "~~", ">>>", "\xff\xfe", "a", "ab", "abc",
	};
	struct rid	 r;
	json_t		*meta;
	char		*id;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(metas) / sizeof(metas[0]); i++) {
		meta = json_pack("{s:s}", "k", metas[i]);
		if (meta == NULL)	/* "\xff\xfe" is not UTF-8 */
			meta = json_pack("{s:s#}", "k", "\xc3\xbf\xc3\xbe", 4);
		assert_non_null(meta);
		assert_non_null(id = rid_encode("t", "v1", meta, NULL));
		assert_int_equal(strspn(id, b64url), strlen(id));
		assert_int_equal(decode(id, NULL, &r), RID_OK);
		assert_true(json_equal(r.rid_meta, meta));
		rid_clear(&r);
		free(id);
		json_decref(meta);
	}
}

static void
test_rid_malformed_ids(void **state)
{
	struct rid	 r;
	json_t		*meta;
	char		*id, *bad;
	size_t		 len;

	(void)state;
	meta = json_pack("{s:s}", "job", "x");
	assert_non_null(id = rid_encode("echo", "v1", meta, NULL));
	len = strlen(id);

	assert_int_equal(rid_decode("", 0, NULL, &r), RID_MALFORMED);
	assert_int_equal(decode("abc$", NULL, &r), RID_MALFORMED);
	assert_int_equal(decode("ab+/", NULL, &r), RID_MALFORMED);
	assert_int_equal(decode("abc=", NULL, &r), RID_MALFORMED);
	assert_int_equal(decode("ab cd", NULL, &r), RID_MALFORMED);
	assert_int_equal(decode("a", NULL, &r), RID_MALFORMED);

	/* Truncated at every length. */
	for (size_t i = 0; i < len; i++)
		assert_int_equal(rid_decode(id, i, NULL, &r), RID_MALFORMED);
	/* A bad character anywhere. */
	assert_non_null(bad = strdup(id));
	bad[len / 2] = '*';
	assert_int_equal(decode(bad, NULL, &r), RID_MALFORMED);
	free(bad);

	expect_malformed_doc("hello, world");
	expect_malformed_doc("[1,2,3]");
	expect_malformed_doc("{\"v\":2,\"t\":\"echo\",\"ver\":\"v1\",\"m\":{}}");
	expect_malformed_doc("{\"v\":\"1\",\"t\":\"echo\",\"ver\":\"v1\","
	    "\"m\":{}}");
	expect_malformed_doc("{\"t\":\"echo\",\"ver\":\"v1\",\"m\":{}}");
	expect_malformed_doc("{\"v\":1,\"t\":5,\"ver\":\"v1\",\"m\":{}}");
	expect_malformed_doc("{\"v\":1,\"t\":\"echo\",\"m\":{}}");
	expect_malformed_doc("{\"v\":1,\"t\":\"echo\",\"ver\":\"v1\"}");
	expect_malformed_doc("{\"v\":1,\"t\":\"echo\",\"ver\":\"v1\","
	    "\"m\":{},\"m\":{}}");

	free(id);
	json_decref(meta);
}

static void
test_rid_hand_made_document_decodes(void **state)
{
	struct rid	 r;
	char		*id;

	(void)state;
	id = b64("{\"v\":1,\"t\":\"echo\",\"ver\":\"v1\",\"m\":{\"a\":1}}");
	assert_int_equal(decode(id, NULL, &r), RID_OK);
	assert_string_equal(r.rid_type, "echo");
	assert_int_equal(json_integer_value(json_object_get(r.rid_meta, "a")),
	    1);
	rid_clear(&r);
	free(id);
}

static void
test_rid_signed_round_trip(void **state)
{
	struct rid_keys	 k;
	struct rid	 r;
	json_t		*meta;
	char		*id;

	(void)state;
	keys_set(&k, KEY_A, NULL);
	meta = json_pack("{s:s}", "job", "j-1");
	assert_non_null(id = rid_encode("bigquery", "v1", meta, &k));
	assert_non_null(strchr(id, '.'));
	assert_int_equal(strspn(id, b64url), (size_t)(strchr(id, '.') - id));
	assert_int_equal(decode(id, &k, &r), RID_OK);
	assert_string_equal(r.rid_type, "bigquery");
	assert_true(json_equal(r.rid_meta, meta));
	rid_clear(&r);
	free(id);
	json_decref(meta);
	rid_keys_clear(&k);
}

static void
test_rid_tampered_anywhere_is_forged(void **state)
{
	struct rid_keys	 k;
	struct rid	 r;
	json_t		*meta;
	char		*id, *t;
	size_t		 i, j, len;

	(void)state;
	keys_set(&k, KEY_A, NULL);
	meta = json_pack("{s:s}", "job", "j-1");
	assert_non_null(id = rid_encode("bigquery", "v1", meta, &k));
	len = strlen(id);
	assert_non_null(t = strdup(id));
	/*
	 * Every other character at every place, including those that differ
	 * from the original only in the unused low bits of the last one.
	 */
	for (i = 0; i < len; i++) {
		if (id[i] == '.')
			continue;
		for (j = 0; b64url[j] != '\0'; j++) {
			if (b64url[j] == id[i])
				continue;
			t[i] = b64url[j];
			if (decode(t, &k, &r) != RID_FORGED)
				fail_msg("tampered id accepted: %s", t);
		}
		t[i] = id[i];
	}
	assert_int_equal(decode(t, &k, &r), RID_OK);
	rid_clear(&r);
	/* Cut short, tag missing, extra bytes. */
	assert_int_equal(rid_decode(id, len - 1, &k, &r), RID_FORGED);
	assert_int_equal(rid_decode(id, (size_t)(strchr(id, '.') - id), &k,
	    &r), RID_FORGED);
	assert_int_equal(rid_decode(id, (size_t)(strchr(id, '.') - id) + 1,
	    &k, &r), RID_FORGED);
	free(t);
	assert_non_null(t = malloc(len + 2));
	memcpy(t, id, len);
	t[len] = 'A';
	t[len + 1] = '\0';
	assert_int_equal(decode(t, &k, &r), RID_FORGED);
	free(t);
	free(id);
	json_decref(meta);
	rid_keys_clear(&k);
}

static void
test_rid_unsigned_id_with_keys_is_forged(void **state)
{
	struct rid_keys	 k;
	struct rid	 r;
	json_t		*meta;
	char		*id;

	(void)state;
	keys_set(&k, KEY_A, NULL);
	meta = json_pack("{s:s}", "job", "j-1");
	assert_non_null(id = rid_encode("bigquery", "v1", meta, NULL));
	assert_int_equal(decode(id, &k, &r), RID_FORGED);
	free(id);
	/* Signed with a key the daemon does not have. */
	rid_keys_clear(&k);
	keys_set(&k, KEY_B, NULL);
	assert_non_null(id = rid_encode("bigquery", "v1", meta, &k));
	rid_keys_clear(&k);
	keys_set(&k, KEY_A, NULL);
	assert_int_equal(decode(id, &k, &r), RID_FORGED);
	free(id);
	json_decref(meta);
	rid_keys_clear(&k);
}

static void
test_rid_key_rotation(void **state)
{
	struct rid_keys	 old, rotated, dropped;
	struct rid	 r;
	json_t		*meta;
	char		*id, *id2;

	(void)state;
	keys_set(&old, KEY_A, NULL);
	keys_set(&rotated, KEY_B, KEY_A);
	keys_set(&dropped, KEY_B, NULL);
	meta = json_pack("{s:s}", "job", "j-1");
	assert_non_null(id = rid_encode("t", "v1", meta, &old));
	/* The old first key is now second: its ids still verify. */
	assert_int_equal(decode(id, &rotated, &r), RID_OK);
	assert_true(json_equal(r.rid_meta, meta));
	rid_clear(&r);
	/* New ids are signed with the new first key. */
	assert_non_null(id2 = rid_encode("t", "v1", meta, &rotated));
	assert_string_not_equal(id, id2);
	assert_int_equal(decode(id2, &dropped, &r), RID_OK);
	rid_clear(&r);
	assert_int_equal(decode(id2, &old, &r), RID_FORGED);
	/* Once the old key is dropped, its ids no longer verify. */
	assert_int_equal(decode(id, &dropped, &r), RID_FORGED);
	free(id);
	free(id2);
	json_decref(meta);
	rid_keys_clear(&old);
	rid_keys_clear(&rotated);
	rid_keys_clear(&dropped);
}

static char *
write_temp(const char *content)
{
	char	*path;
	int	 fd;

	assert_non_null(path = strdup("/tmp/test_rid.XXXXXX"));
	assert_int_not_equal(fd = mkstemp(path), -1);
	assert_int_equal(write(fd, content, strlen(content)),
	    (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void
test_rid_keys_load_good(void **state)
{
	struct rid_keys	 k;
	char		 err[256];
	char		*path;

	(void)state;
	path = write_temp("# signing keys\n\n" KEY_B "\r\n" KEY_A "  \n");
	assert_int_equal(rid_keys_load(&k, path, err, sizeof(err)), 0);
	assert_int_equal(k.nkeys, 2);
	assert_int_equal(k.keylens[0], strlen(KEY_B));
	assert_memory_equal(k.keys[0], KEY_B, strlen(KEY_B));
	assert_int_equal(k.keylens[1], strlen(KEY_A));
	assert_memory_equal(k.keys[1], KEY_A, strlen(KEY_A));
	rid_keys_clear(&k);
	assert_int_equal(k.nkeys, 0);
	unlink(path);
	free(path);
}

static void
expect_load_error(const char *content, const char *want)
{
	struct rid_keys	 k;
	char		 err[512] = "";
	char		*path;

	path = write_temp(content);
	assert_int_equal(rid_keys_load(&k, path, err, sizeof(err)), -1);
	assert_int_equal(k.nkeys, 0);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	assert_non_null(strstr(err, path));
	unlink(path);
	free(path);
}

static void
test_rid_keys_load_errors(void **state)
{
	struct rid_keys	 k;
	char		 err[256] = "";

	(void)state;
	expect_load_error("too-short-key\n", "shorter");
	expect_load_error(KEY_A "\nshort\n", ":2:");
	expect_load_error("", "no key");
	expect_load_error("# only a comment\n\n", "no key");
	expect_load_error(KEY_A "\n" KEY_A "\n" KEY_A "\n" KEY_A "\n" KEY_A
	    "\n" KEY_A "\n" KEY_A "\n" KEY_A "\n" KEY_A "\n", "more than");
	assert_int_equal(rid_keys_load(&k, "/nonexistent/rid.key", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/rid.key"));
	assert_int_equal(k.nkeys, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rid_round_trip),
		cmocka_unit_test(test_rid_encode_text),
		cmocka_unit_test(test_rid_base64url_alphabet_without_padding),
		cmocka_unit_test(test_rid_malformed_ids),
		cmocka_unit_test(test_rid_hand_made_document_decodes),
		cmocka_unit_test(test_rid_signed_round_trip),
		cmocka_unit_test(test_rid_tampered_anywhere_is_forged),
		cmocka_unit_test(test_rid_unsigned_id_with_keys_is_forged),
		cmocka_unit_test(test_rid_key_rotation),
		cmocka_unit_test(test_rid_keys_load_good),
		cmocka_unit_test(test_rid_keys_load_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
