/*
 * Unit tests of the protojson codec (supervisor/pbjson.c) on Flyte's
 * generated messages: round trips of a TaskTemplate and a LiteralMap, both
 * field namings, strict refusal of unknown fields with their path, 64-bit
 * integers as strings, bytes in both base64 alphabets, Structs with nested
 * lists, Timestamp and Duration, enums, oneofs and omitted defaults; the
 * text writer (pbjson_gen_*): compact text, a map key given twice written
 * once, UTF-8 as jansson reads it, the input limits; and the arena the
 * gRPC front unpacks requests into (supervisor/pbarena.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flyteidl/admin/agent.pb-c.h"
#include "nebula-protocol.h"
#include "pbjson.h"

static json_t *
parse(const char *text)
{
	json_error_t	 e;
	json_t		*j;

	j = json_loads(text, JSON_DECODE_ANY, &e);
	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

/* Decodes text as d; NULL and the error in err when refused. */
static ProtobufCMessage *
dec(const ProtobufCMessageDescriptor *d, const char *text, char *err,
    size_t errlen)
{
	ProtobufCMessage	*m;
	json_t			*j;

	j = parse(text);
	m = pbjson_decode(d, j, 0, err, errlen);
	json_decref(j);
	return m;
}

static void
assert_json(json_t *got, const char *want)
{
	json_t	*w;
	char	*s;

	assert_non_null(got);
	w = parse(want);
	if (!json_equal(got, w)) {
		s = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got %s\nwant %s", s, want);
	}
	json_decref(w);
}

/* Decodes text, encodes the message again and expects the same JSON. */
static void
round_trip(const ProtobufCMessageDescriptor *d, const char *text, int flags)
{
	ProtobufCMessage	*m;
	json_t			*out;
	char			 err[256];

	m = dec(d, text, err, sizeof(err));
	if (m == NULL)
		fail_msg("refused: %s", err);
	out = pbjson_encode(m, flags);
	assert_json(out, text);
	json_decref(out);
	protobuf_c_message_free_unpacked(m, NULL);
}

static const char task_template_camel[] =
    "{\"id\": {\"resourceType\": \"TASK\", \"project\": \"p\","
    " \"domain\": \"d\", \"name\": \"t\", \"version\": \"v1\"},"
    " \"type\": \"bigquery_query_job_task\", \"taskTypeVersion\": 2,"
    " \"custom\": {\"Location\": \"EU\", \"n\": 3, \"ratio\": 0.25,"
    "  \"nested\": {\"list\": [1, \"x\", [true, null, {\"deep\": []}]]}},"
    " \"metadata\": {\"discoverable\": true,"
    "  \"timeout\": \"1.500s\", \"retries\": {\"retries\": 3}},"
    " \"config\": {\"a\": \"b\"},"
    " \"container\": {\"image\": \"img\", \"args\": [\"--x\", \"1\"]}}";

static const char task_template_proto[] =
    "{\"id\": {\"resource_type\": \"TASK\", \"project\": \"p\","
    " \"domain\": \"d\", \"name\": \"t\", \"version\": \"v1\"},"
    " \"type\": \"bigquery_query_job_task\", \"task_type_version\": 2,"
    " \"custom\": {\"Location\": \"EU\", \"n\": 3, \"ratio\": 0.25,"
    "  \"nested\": {\"list\": [1, \"x\", [true, null, {\"deep\": []}]]}},"
    " \"metadata\": {\"discoverable\": true,"
    "  \"timeout\": \"1.500s\", \"retries\": {\"retries\": 3}},"
    " \"config\": {\"a\": \"b\"},"
    " \"container\": {\"image\": \"img\", \"args\": [\"--x\", \"1\"]}}";

static void
test_pbjson_task_template_round_trip_both_namings(void **state)
{
	(void)state;
	round_trip(&flyteidl__core__task_template__descriptor,
	    task_template_camel, 0);
	round_trip(&flyteidl__core__task_template__descriptor,
	    task_template_proto, PBJSON_PROTO_NAMES);
}

static void
test_pbjson_task_template_fields_decoded(void **state)
{
	Flyteidl__Core__TaskTemplate	*t;
	char				 err[256];

	(void)state;
	t = (Flyteidl__Core__TaskTemplate *)dec(
	    &flyteidl__core__task_template__descriptor, task_template_camel,
	    err, sizeof(err));
	assert_non_null(t);
	assert_string_equal(t->type, "bigquery_query_job_task");
	assert_int_equal(t->task_type_version, 2);
	assert_int_equal(t->id->resource_type,
	    FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	assert_int_equal(t->target_case,
	    FLYTEIDL__CORE__TASK_TEMPLATE__TARGET_CONTAINER);
	assert_string_equal(t->container->image, "img");
	assert_int_equal(t->container->n_args, 2);
	assert_int_equal(t->metadata->timeout->seconds, 1);
	assert_int_equal(t->metadata->timeout->nanos, 500000000);
	assert_int_equal(t->n_config, 1);
	assert_string_equal(t->config[0]->key, "a");
	assert_int_equal(t->custom->n_fields, 4);
	flyteidl__core__task_template__free_unpacked(t, NULL);
}

static void
test_pbjson_accepts_both_namings_mixed(void **state)
{
	Flyteidl__Admin__CreateTaskRequest	*r;
	char					 err[256];

	(void)state;
	r = (Flyteidl__Admin__CreateTaskRequest *)dec(
	    &flyteidl__admin__create_task_request__descriptor,
	    "{\"outputPrefix\": \"s3://o\", \"template\": {\"type\": \"echo\","
	    " \"task_type_version\": 1}, \"taskExecutionMetadata\":"
	    " {\"k8s_service_account\": \"sa\", \"namespace\": \"ns\","
	    " \"taskExecutionId\": {\"retryAttempt\": 2}}}", err, sizeof(err));
	assert_non_null(r);
	assert_string_equal(r->output_prefix, "s3://o");
	assert_int_equal(r->template_->task_type_version, 1);
	assert_string_equal(r->task_execution_metadata->k8s_service_account,
	    "sa");
	assert_int_equal(
	    r->task_execution_metadata->task_execution_id->retry_attempt, 2);
	flyteidl__admin__create_task_request__free_unpacked(r, NULL);

	/* The same field under both names is given twice. */
	assert_null(dec(&flyteidl__admin__create_task_request__descriptor,
	    "{\"outputPrefix\": \"a\", \"output_prefix\": \"b\"}", err,
	    sizeof(err)));
	assert_non_null(strstr(err, "twice"));
}

static void
test_pbjson_unknown_field_refused_with_its_path(void **state)
{
	char	 err[256];

	(void)state;
	assert_null(dec(&flyteidl__admin__create_task_request__descriptor,
	    "{\"template\": {\"type\": \"echo\", \"bogus\": 1}}", err,
	    sizeof(err)));
	assert_string_equal(err, "template.bogus: unknown field");
	assert_null(dec(&flyteidl__admin__create_task_request__descriptor,
	    "{\"inputs\": {\"literals\": {\"x\": {\"scalar\":"
	    " {\"primitive\": {\"integer\": 1, \"nope\": 2}}}}}}", err,
	    sizeof(err)));
	assert_string_equal(err,
	    "inputs.literals.x.scalar.primitive.nope: unknown field");
	/* A Struct takes any key: custom is not checked field by field. */
	assert_null(dec(&flyteidl__core__task_template__descriptor,
	    "{\"custom\": {\"anything\": 1}, \"container\": {\"args\":"
	    " [\"a\", 2]}}", err, sizeof(err)));
	assert_string_equal(err, "container.args[1]: expected a string");
	assert_null(dec(&flyteidl__core__task_template__descriptor, "[]", err,
	    sizeof(err)));
}

static const char literal_map[] =
    "{\"literals\": {"
    " \"i\": {\"scalar\": {\"primitive\":"
    "  {\"integer\": \"9007199254740993\"}}},"
    " \"f\": {\"scalar\": {\"primitive\": {\"floatValue\": 1.5}}},"
    " \"s\": {\"scalar\": {\"primitive\": {\"stringValue\": \"hi\"}}},"
    " \"b\": {\"scalar\": {\"primitive\": {\"boolean\": true}}},"
    " \"t\": {\"scalar\": {\"primitive\":"
    "  {\"datetime\": \"2024-01-02T03:04:05.500Z\"}}},"
    " \"d\": {\"scalar\": {\"primitive\": {\"duration\": \"-0.000001s\"}}},"
    " \"z\": {\"scalar\": {\"primitive\": {\"integer\": \"0\"}}},"
    " \"bin\": {\"scalar\": {\"binary\":"
    "  {\"value\": \"AP/+\", \"tag\": \"t\"}}},"
    " \"g\": {\"scalar\": {\"generic\": {\"a\": [1, [2, [3, null]], {}]}}},"
    " \"c\": {\"collection\": {\"literals\": ["
    "  {\"scalar\": {\"primitive\": {\"integer\": \"-1\"}}},"
    "  {\"map\": {\"literals\": {\"k\": {\"scalar\": {\"noneType\": {}}}}}}]}},"
    " \"o\": {\"offloadedMetadata\": {\"uri\": \"s3://x\","
    "  \"sizeBytes\": \"18446744073709551615\"}, \"hash\": \"h\","
    "  \"metadata\": {\"k\": \"v\"}}"
    "}}";

static void
test_pbjson_literal_map_round_trip(void **state)
{
	Flyteidl__Core__LiteralMap	*m;
	char				 err[256];
	size_t				 i;

	(void)state;
	round_trip(&flyteidl__core__literal_map__descriptor, literal_map, 0);
	m = (Flyteidl__Core__LiteralMap *)dec(
	    &flyteidl__core__literal_map__descriptor, literal_map, err,
	    sizeof(err));
	assert_non_null(m);
	for (i = 0; i < m->n_literals; i++) {
		if (strcmp(m->literals[i]->key, "i") == 0)
			assert_true(m->literals[i]->value->scalar->primitive->
			    integer == 9007199254740993LL);
		if (strcmp(m->literals[i]->key, "z") == 0)
			/* A oneof member set to its default is kept. */
			assert_int_equal(m->literals[i]->value->scalar->
			    primitive->value_case,
			    FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER);
		if (strcmp(m->literals[i]->key, "o") == 0)
			assert_true(m->literals[i]->value->offloaded_metadata->
			    size_bytes == UINT64_MAX);
	}
	flyteidl__core__literal_map__free_unpacked(m, NULL);
}

static void
test_pbjson_int64_as_strings(void **state)
{
	Flyteidl__Core__Primitive	*p;
	json_t				*out;
	char				 err[256];

	(void)state;
	/* Written as a string, read from a string or a number. */
	p = (Flyteidl__Core__Primitive *)dec(
	    &flyteidl__core__primitive__descriptor, "{\"integer\": -42}", err,
	    sizeof(err));
	assert_non_null(p);
	assert_true(p->integer == -42);
	out = pbjson_encode(&p->base, 0);
	assert_json(out, "{\"integer\": \"-42\"}");
	json_decref(out);
	flyteidl__core__primitive__free_unpacked(p, NULL);
	p = (Flyteidl__Core__Primitive *)dec(
	    &flyteidl__core__primitive__descriptor,
	    "{\"integer\": \"-9223372036854775808\"}", err, sizeof(err));
	assert_non_null(p);
	assert_true(p->integer == INT64_MIN);
	flyteidl__core__primitive__free_unpacked(p, NULL);

	assert_null(dec(&flyteidl__core__primitive__descriptor,
	    "{\"integer\": \"9223372036854775808\"}", err, sizeof(err)));
	assert_string_equal(err, "integer: bad integer string");
	assert_null(dec(&flyteidl__core__primitive__descriptor,
	    "{\"integer\": \"12x\"}", err, sizeof(err)));
	assert_null(dec(&flyteidl__core__primitive__descriptor,
	    "{\"integer\": 1.5}", err, sizeof(err)));
	assert_null(dec(&flyteidl__core__identifier__descriptor,
	    "{\"resourceType\": \"NOT_A_TYPE\"}", err, sizeof(err)));
	assert_string_equal(err, "resourceType: unknown enum value NOT_A_TYPE");
	/* int32 range is checked. */
	assert_null(dec(&flyteidl__core__task_template__descriptor,
	    "{\"taskTypeVersion\": 2147483648}", err, sizeof(err)));
}

static void
test_pbjson_bytes_in_both_base64_alphabets(void **state)
{
	static const char *const forms[] = {
		"//4=", "//4", "__4=", "__4"
	};
	Flyteidl__Core__Binary	*b;
	json_t			*out;
	char			 err[256], text[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(text, sizeof(text), "{\"value\": \"%s\"}", forms[i]);
		b = (Flyteidl__Core__Binary *)dec(
		    &flyteidl__core__binary__descriptor, text, err,
		    sizeof(err));
		if (b == NULL)
			fail_msg("%s refused: %s", forms[i], err);
		assert_int_equal(b->value.len, 2);
		assert_int_equal(b->value.data[0], 0xff);
		assert_int_equal(b->value.data[1], 0xfe);
		/* Always written padded, standard alphabet. */
		out = pbjson_encode(&b->base, 0);
		assert_json(out, "{\"value\": \"//4=\"}");
		json_decref(out);
		flyteidl__core__binary__free_unpacked(b, NULL);
	}
	assert_null(dec(&flyteidl__core__binary__descriptor,
	    "{\"value\": \"a*b=\"}", err, sizeof(err)));
	assert_string_equal(err, "value: bad base64");
	assert_null(dec(&flyteidl__core__binary__descriptor,
	    "{\"value\": \"abcde\"}", err, sizeof(err)));
}

static void
test_pbjson_struct_with_nested_lists(void **state)
{
	Google__Protobuf__Struct	*s;
	const Google__Protobuf__Value	*v;
	char				 err[256];

	(void)state;
	round_trip(&google__protobuf__struct__descriptor,
	    "{\"a\": [1, [2.5, [\"x\", null, false]], {\"b\": [[], {}]}],"
	    " \"n\": null, \"o\": {\"p\": {\"q\": [-7]}}}", 0);
	round_trip(&google__protobuf__value__descriptor, "[1, [null]]", 0);
	round_trip(&google__protobuf__list_value__descriptor, "[{}, []]", 0);
	s = (Google__Protobuf__Struct *)dec(
	    &google__protobuf__struct__descriptor, "{\"a\": [1, [2, [3]]]}",
	    err, sizeof(err));
	assert_non_null(s);
	v = s->fields[0]->value;
	assert_int_equal(v->kind_case,
	    GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
	v = v->list_value->values[1]->list_value->values[1];
	assert_int_equal(v->kind_case,
	    GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE);
	assert_true(v->list_value->values[0]->number_value == 3);
	google__protobuf__struct__free_unpacked(s, NULL);
	assert_null(dec(&google__protobuf__struct__descriptor, "[1]", err,
	    sizeof(err)));
}

static void
test_pbjson_timestamp_and_duration(void **state)
{
	Google__Protobuf__Timestamp	*t;
	Google__Protobuf__Duration	*d;
	char				 err[256];

	(void)state;
	round_trip(&google__protobuf__timestamp__descriptor,
	    "\"1970-01-01T00:00:00Z\"", 0);
	round_trip(&google__protobuf__timestamp__descriptor,
	    "\"1969-12-31T23:59:59.000000001Z\"", 0);
	round_trip(&google__protobuf__timestamp__descriptor,
	    "\"9999-12-31T23:59:59.999999Z\"", 0);
	round_trip(&google__protobuf__duration__descriptor, "\"0s\"", 0);
	round_trip(&google__protobuf__duration__descriptor, "\"-3.250s\"", 0);
	t = (Google__Protobuf__Timestamp *)dec(
	    &google__protobuf__timestamp__descriptor,
	    "\"2024-01-02T05:04:05.5+02:00\"", err, sizeof(err));
	assert_non_null(t);
	assert_true(t->seconds == 1704164645);
	assert_int_equal(t->nanos, 500000000);
	google__protobuf__timestamp__free_unpacked(t, NULL);
	d = (Google__Protobuf__Duration *)dec(
	    &google__protobuf__duration__descriptor, "\"1.5s\"", err,
	    sizeof(err));
	assert_non_null(d);
	assert_true(d->seconds == 1);
	assert_int_equal(d->nanos, 500000000);
	google__protobuf__duration__free_unpacked(d, NULL);
	assert_null(dec(&google__protobuf__timestamp__descriptor,
	    "\"2024-13-01T00:00:00Z\"", err, sizeof(err)));
	assert_null(dec(&google__protobuf__duration__descriptor, "\"1.5\"",
	    err, sizeof(err)));
	assert_null(dec(&google__protobuf__duration__descriptor, "1.5", err,
	    sizeof(err)));
}

static void
test_pbjson_enums_oneofs_and_defaults(void **state)
{
	Flyteidl__Core__Identifier	*id;
	json_t				*out;
	char				 err[256];

	(void)state;
	/* Enums by name or number; defaults (0, "", false) omitted. */
	id = (Flyteidl__Core__Identifier *)dec(
	    &flyteidl__core__identifier__descriptor,
	    "{\"resourceType\": 1, \"project\": \"\", \"name\": \"n\"}", err,
	    sizeof(err));
	assert_non_null(id);
	out = pbjson_encode(&id->base, 0);
	assert_json(out, "{\"resourceType\": \"TASK\", \"name\": \"n\"}");
	json_decref(out);
	flyteidl__core__identifier__free_unpacked(id, NULL);
	id = (Flyteidl__Core__Identifier *)dec(
	    &flyteidl__core__identifier__descriptor,
	    "{\"resourceType\": \"UNSPECIFIED\", \"name\": null}", err,
	    sizeof(err));
	assert_non_null(id);
	out = pbjson_encode(&id->base, 0);
	assert_json(out, "{}");
	json_decref(out);
	flyteidl__core__identifier__free_unpacked(id, NULL);

	/* Two members of one oneof. */
	assert_null(dec(&flyteidl__core__primitive__descriptor,
	    "{\"integer\": \"1\", \"stringValue\": \"x\"}", err, sizeof(err)));
	assert_non_null(strstr(err, "oneof"));
	assert_null(dec(&flyteidl__core__literal__descriptor,
	    "{\"scalar\": {\"primitive\": {\"stringValue\": \"x\"}},"
	    " \"collection\": {}}", err, sizeof(err)));
}

/*
 * m written as text: open, the member "t" with m, close (the shape of a
 * create body: the body counts 1).  0 with the text NUL-terminated in b,
 * or -1 with the reason in err.
 */
static int
gen_member(struct buf *b, const ProtobufCMessage *m, int flags, char *err,
    size_t errlen)
{
	struct pbjson_gen	*pg;
	int			 rc = -1;

	buf_reset(b);
	err[0] = '\0';
	pg = pbjson_gen_new(b, flags);
	assert_non_null(pg);
	if (pbjson_gen_open(pg) == -1 || pbjson_gen_member(pg, "t", m) == -1 ||
	    pbjson_gen_close(pg) == -1)
		snprintf(err, errlen, "%s", pbjson_gen_error(pg));
	else if (buf_append(b, "", 1) == 0)
		rc = 0;
	pbjson_gen_free(pg);
	return rc;
}

static void
test_pbjson_gen_writes_compact_text_in_field_order(void **state)
{
	ProtobufCMessage	*m;
	struct pbjson_gen	*pg;
	struct buf		 b;
	char			 err[256];

	(void)state;
	memset(&b, 0, sizeof(b));
	m = dec(&flyteidl__core__task_template__descriptor,
	    task_template_proto, err, sizeof(err));
	assert_non_null(m);
	pg = pbjson_gen_new(&b, PBJSON_PROTO_NAMES);
	assert_non_null(pg);
	assert_int_equal(pbjson_gen_message(pg, m), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_string_equal(b.buf_data,
	    "{\"id\":{\"resource_type\":\"TASK\",\"project\":\"p\","
	    "\"domain\":\"d\",\"name\":\"t\",\"version\":\"v1\"},"
	    "\"type\":\"bigquery_query_job_task\",\"metadata\":"
	    "{\"discoverable\":true,\"timeout\":\"1.500s\","
	    "\"retries\":{\"retries\":3}},\"custom\":{\"Location\":\"EU\","
	    "\"n\":3,\"ratio\":0.25,\"nested\":{\"list\":[1,\"x\","
	    "[true,null,{\"deep\":[]}]]}},\"container\":{\"image\":\"img\","
	    "\"args\":[\"--x\",\"1\"]},\"task_type_version\":2,"
	    "\"config\":{\"a\":\"b\"}}");
	pbjson_gen_free(pg);

	/* A message's fields but one, then members of one's own. */
	buf_reset(&b);
	pg = pbjson_gen_new(&b, PBJSON_PROTO_NAMES);
	assert_int_equal(pbjson_gen_open(pg), 0);
	assert_int_equal(pbjson_gen_fields(pg, m, "custom"), 0);
	assert_int_equal(pbjson_gen_member(pg, "again",
	    &((Flyteidl__Core__TaskTemplate *)m)->id->base), 0);
	assert_int_equal(pbjson_gen_close(pg), 0);
	assert_int_equal(buf_append(&b, "", 1), 0);
	assert_null(strstr(b.buf_data, "custom"));
	assert_non_null(strstr(b.buf_data, "\"config\":{\"a\":\"b\"},"
	    "\"again\":{\"resource_type\":\"TASK\""));
	pbjson_gen_free(pg);
	protobuf_c_message_free_unpacked(m, NULL);
	buf_release(&b);
}

/* n Struct entries: key k[i], number value v[i]. */
static void
struct_fill(Google__Protobuf__Struct *st,
    Google__Protobuf__Struct__FieldsEntry *es,
    Google__Protobuf__Struct__FieldsEntry **ep, Google__Protobuf__Value *vs,
    char (*keys)[8], size_t n, const int *k, const double *v)
{
	size_t	 i;

	google__protobuf__struct__init(st);
	for (i = 0; i < n; i++) {
		google__protobuf__struct__fields_entry__init(&es[i]);
		google__protobuf__value__init(&vs[i]);
		snprintf(keys[i], sizeof(keys[i]), "k%d", k[i]);
		es[i].key = keys[i];
		vs[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
		vs[i].number_value = v[i];
		es[i].value = &vs[i];
		ep[i] = &es[i];
	}
	st->n_fields = n;
	st->fields = ep;
}

/*
 * A Struct's key (or a map's) given twice on the wire is written once,
 * where it first came, with the value it came with last: as jansson's
 * object kept it, checked against jansson for a few entries (compared
 * pairwise) and for many (sorted).
 */
static void
test_pbjson_gen_writes_a_key_given_twice_once(void **state)
{
	static const size_t			 sizes[] = { 3, 16, 17, 200 };
	Google__Protobuf__Struct		 st;
	Google__Protobuf__Struct__FieldsEntry	 es[200], *ep[200];
	Google__Protobuf__Value			 vs[200];
	char					 keys[200][8], err[256];
	int					 k[200];
	double					 v[200];
	struct buf				 b;
	json_t					*want, *t, *tree;
	char					*ws;
	size_t					 i, si, n;

	(void)state;
	memset(&b, 0, sizeof(b));
	for (si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		n = sizes[si];
		want = json_object();
		for (i = 0; i < n; i++) {
			/* Keys repeat, out of order; values all differ. */
			k[i] = (int)((i * 7) % (n / 3 + 1));
			v[i] = (double)i;
			snprintf(keys[i], sizeof(keys[i]), "k%d", k[i]);
			json_object_set_new(want, keys[i], json_integer(
			    (json_int_t)i));
		}
		struct_fill(&st, es, ep, vs, keys, n, k, v);
		assert_int_equal(gen_member(&b, &st.base, PBJSON_LIMITS, err,
		    sizeof(err)), 0);
		t = json_pack("{s:O}", "t", want);
		ws = json_dumps(t, JSON_COMPACT);
		assert_string_equal(b.buf_data, ws);
		free(ws);
		tree = pbjson_encode(&st.base, 0);
		assert_true(json_equal(tree, want));
		json_decref(tree);
		json_decref(t);
		json_decref(want);
	}
	buf_release(&b);
}

/* Structs nested n deep: s[0] holds s[1] under "d", and so on. */
static void
struct_chain(Google__Protobuf__Struct *s,
    Google__Protobuf__Struct__FieldsEntry *es,
    Google__Protobuf__Struct__FieldsEntry **ep, Google__Protobuf__Value *vs,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		google__protobuf__struct__init(&s[i]);
		if (i + 1 == n)
			break;
		google__protobuf__struct__fields_entry__init(&es[i]);
		google__protobuf__value__init(&vs[i]);
		es[i].key = "d";
		vs[i].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
		vs[i].struct_value = &s[i + 1];
		es[i].value = &vs[i];
		ep[i] = &es[i];
		s[i].n_fields = 1;
		s[i].fields = &ep[i];
	}
}

/*
 * The input limits of what goes to a worker, in msg_limits_check's words:
 * 64 deep with the body counting 1, strings and member names up to 1 MiB
 * (those only with PBJSON_LIMITS); and strings that jansson would not read
 * as UTF-8 (a surrogate, an overlong form) refused with or without.
 */
static void
test_pbjson_gen_refuses_past_the_input_limits(void **state)
{
	Google__Protobuf__Struct		 s[70];
	Google__Protobuf__Struct__FieldsEntry	 es[70], *ep[70];
	Google__Protobuf__Value			 vs[70], v;
	struct buf				 b;
	char					 err[256], *big;
	json_t					*tree;

	(void)state;
	memset(&b, 0, sizeof(b));
	/* The body, then 63 Structs: 64 deep. */
	struct_chain(s, es, ep, vs, 63);
	assert_int_equal(gen_member(&b, &s[0].base, PBJSON_LIMITS, err,
	    sizeof(err)), 0);
	struct_chain(s, es, ep, vs, 64);
	assert_int_equal(gen_member(&b, &s[0].base, PBJSON_LIMITS, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "nested deeper than 64 levels (input limit "
	    "max_depth)");
	/* The tree form: 64 Structs are 64 deep, 65 too deep. */
	tree = pbjson_encode(&s[0].base, 0);
	assert_non_null(tree);
	json_decref(tree);
	struct_chain(s, es, ep, vs, 65);
	assert_null(pbjson_encode(&s[0].base, 0));

	big = malloc(MSG_MAX_STRING + 2);
	assert_non_null(big);
	memset(big, 'x', MSG_MAX_STRING + 1);
	big[MSG_MAX_STRING + 1] = '\0';
	google__protobuf__value__init(&v);
	v.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	v.string_value = big;
	assert_int_equal(gen_member(&b, &v.base, PBJSON_LIMITS, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "a string over 1048576 bytes (input limit "
	    "max_string_bytes)");
	assert_int_equal(gen_member(&b, &v.base, 0, err, sizeof(err)), 0);
	big[MSG_MAX_STRING] = '\0';
	assert_int_equal(gen_member(&b, &v.base, PBJSON_LIMITS, err,
	    sizeof(err)), 0);
	assert_int_equal(b.buf_len, MSG_MAX_STRING + 9);

	/* A member name (a Struct's key) one byte over. */
	big[MSG_MAX_STRING] = 'x';
	struct_chain(s, es, ep, vs, 2);
	es[0].key = big;
	assert_int_equal(gen_member(&b, &s[0].base, PBJSON_LIMITS, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "a member name over 1048576 bytes (input "
	    "limit max_string_bytes)");
	free(big);

	/* UTF-8 as jansson and the workers read it. */
	v.string_value = "\xed\xa0\x80";
	assert_int_equal(gen_member(&b, &v.base, 0, err, sizeof(err)), -1);
	assert_string_equal(err, "a string that is not valid UTF-8");
	v.string_value = "a\xc0\xaf";
	assert_int_equal(gen_member(&b, &v.base, PBJSON_LIMITS, err,
	    sizeof(err)), -1);
	v.string_value = "\xe2\x82\xac \xf0\x9f\x98\x80 \x01\"";
	assert_int_equal(gen_member(&b, &v.base, PBJSON_LIMITS, err,
	    sizeof(err)), 0);
	assert_string_equal(b.buf_data,
	    "{\"t\":\"\xe2\x82\xac \xf0\x9f\x98\x80 \\u0001\\\"\"}");
	buf_release(&b);
}

/*
 * A request unpacked into an arena smaller than it reads back whole, the
 * arena's kept block grows to fit it once reset, and the next request of
 * the same size fits without growing again; a truncated message is
 * refused and taken back by the reset.
 */
static void
test_pbarena_unpacks_and_keeps_a_block_for_the_next_request(void **state)
{
	Flyteidl__Admin__CreateTaskRequest	*req;
	ProtobufCMessage			*m;
	struct pbarena				*a;
	uint8_t					*buf;
	char					 err[256], text[4096];
	size_t					 n, grown;
	int					 i, k;

	(void)state;
	k = snprintf(text, sizeof(text), "{\"template\": {\"type\": \"echo\", "
	    "\"custom\": {");
	for (i = 0; i < 40; i++)
		k += snprintf(text + k, sizeof(text) - (size_t)k,
		    "%s\"key%d\": \"value number %d\"", i ? ", " : "", i, i);
	snprintf(text + k, sizeof(text) - (size_t)k, "}}, "
	    "\"output_prefix\": \"s3://bucket/prefix\"}");
	m = dec(&flyteidl__admin__create_task_request__descriptor, text, err,
	    sizeof(err));
	if (m == NULL)
		fail_msg("refused: %s", err);
	n = protobuf_c_message_get_packed_size(m);
	buf = malloc(n);
	assert_non_null(buf);
	protobuf_c_message_pack(m, buf);
	protobuf_c_message_free_unpacked(m, NULL);

	a = pbarena_new(256);
	assert_non_null(a);
	for (i = 0; i < 3; i++) {
		req = flyteidl__admin__create_task_request__unpack(
		    pbarena_allocator(a), n, buf);
		assert_non_null(req);
		assert_string_equal(req->template_->type, "echo");
		assert_string_equal(req->output_prefix, "s3://bucket/prefix");
		assert_int_equal(req->template_->custom->n_fields, 40);
		pbarena_reset(a);
		if (i == 0) {
			grown = pbarena_size(a);
			assert_true(grown > 256);
		} else
			assert_int_equal(pbarena_size(a), grown);
	}
	assert_null(flyteidl__admin__create_task_request__unpack(
	    pbarena_allocator(a), n - 3, buf));
	pbarena_reset(a);
	pbarena_free(a);
	pbarena_free(NULL);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pbjson_task_template_round_trip_both_namings),
		cmocka_unit_test(test_pbjson_task_template_fields_decoded),
		cmocka_unit_test(test_pbjson_accepts_both_namings_mixed),
		cmocka_unit_test(test_pbjson_unknown_field_refused_with_its_path),
		cmocka_unit_test(test_pbjson_literal_map_round_trip),
		cmocka_unit_test(test_pbjson_int64_as_strings),
		cmocka_unit_test(test_pbjson_bytes_in_both_base64_alphabets),
		cmocka_unit_test(test_pbjson_struct_with_nested_lists),
		cmocka_unit_test(test_pbjson_timestamp_and_duration),
		cmocka_unit_test(test_pbjson_enums_oneofs_and_defaults),
		cmocka_unit_test(
		    test_pbjson_gen_writes_compact_text_in_field_order),
		cmocka_unit_test(test_pbjson_gen_writes_a_key_given_twice_once),
		cmocka_unit_test(test_pbjson_gen_refuses_past_the_input_limits),
		cmocka_unit_test(
		    test_pbarena_unpacks_and_keeps_a_block_for_the_next_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
