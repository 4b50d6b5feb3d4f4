/*
 * Unit tests of the protojson codec (supervisor/pbjson.c) on Flyte's
 * generated messages: round trips of a TaskTemplate and a LiteralMap, both
 * field namings, strict refusal of unknown fields with their path, 64-bit
 * integers as strings, bytes in both base64 alphabets, Structs with nested
 * lists, Timestamp and Duration, enums, oneofs and omitted defaults; and
 * the arena the gRPC front unpacks requests into (supervisor/pbarena.c).
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
		    test_pbarena_unpacks_and_keeps_a_block_for_the_next_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
