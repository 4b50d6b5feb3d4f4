/*
 * Unit tests of the protobuf-c code generated from Flyte's IDL
 * (supervisor/flyteidl.mk): a CreateTaskRequest with a TaskTemplate (type,
 * custom Struct) and a LiteralMap input packs and unpacks with its fields
 * intact, and its bytes and pbjson's JSON equal what Python's protobuf
 * library produces for the same message (tests/grpc/pbcheck.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "flyteidl/admin/agent.pb-c.h"
#include "pbjson.h"

/* The reference message; tests/grpc/pbcheck.py builds the same one. */
struct ref {
	Flyteidl__Admin__CreateTaskRequest	 req;
	Flyteidl__Core__LiteralMap		 inputs;
	Flyteidl__Core__LiteralMap__LiteralsEntry ent[7], *entp[7];
	Flyteidl__Core__Literal			 lit[9], *collp[2];
	Flyteidl__Core__Scalar			 sc[8];
	Flyteidl__Core__Primitive		 pr[7];
	Flyteidl__Core__LiteralCollection	 coll;
	Flyteidl__Core__Binary			 bin;
	Google__Protobuf__Timestamp		 ts;
	Google__Protobuf__Duration		 dur;
	Flyteidl__Core__TaskTemplate		 tt;
	Flyteidl__Core__Identifier		 id;
	Google__Protobuf__Struct		 custom, nested;
	Google__Protobuf__Struct__FieldsEntry	 cf[3], *cfp[3];
	Google__Protobuf__Struct__FieldsEntry	 nf, *nfp[1];
	Google__Protobuf__Value			 cv[3], nv, lv[3], inner[2];
	Google__Protobuf__Value			*lvp[3], *innerp[2];
	Google__Protobuf__ListValue		 list, innerlist;
	Flyteidl__Admin__TaskExecutionMetadata	 meta;
	Flyteidl__Admin__TaskExecutionMetadata__LabelsEntry label;
	Flyteidl__Admin__TaskExecutionMetadata__LabelsEntry *labelp[1];
};

static const uint8_t rawbytes[] = { 0x00, 0xff, 0xfe };

static Flyteidl__Core__Literal *
ref_prim(struct ref *r, int i)
{
	flyteidl__core__primitive__init(&r->pr[i]);
	flyteidl__core__scalar__init(&r->sc[i]);
	flyteidl__core__literal__init(&r->lit[i]);
	r->sc[i].value_case = FLYTEIDL__CORE__SCALAR__VALUE_PRIMITIVE;
	r->sc[i].primitive = &r->pr[i];
	r->lit[i].value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	r->lit[i].scalar = &r->sc[i];
	return &r->lit[i];
}

static void
ref_entry(struct ref *r, int i, const char *key, Flyteidl__Core__Literal *l)
{
	flyteidl__core__literal_map__literals_entry__init(&r->ent[i]);
	r->ent[i].key = (char *)key;
	r->ent[i].value = l;
	r->entp[i] = &r->ent[i];
}

static void
ref_field(Google__Protobuf__Struct__FieldsEntry *e, const char *key,
    Google__Protobuf__Value *v)
{
	google__protobuf__struct__fields_entry__init(e);
	e->key = (char *)key;
	e->value = v;
}

static void
ref_build(struct ref *r)
{
	Flyteidl__Core__Literal	*l;
	int			 i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 3; i++)
		google__protobuf__value__init(&r->lv[i]);
	for (i = 0; i < 3; i++)
		google__protobuf__value__init(&r->cv[i]);

	/* inputs: sorted keys, as Python's deterministic serialization. */
	flyteidl__core__literal_map__init(&r->inputs);
	l = ref_prim(r, 0);
	r->pr[0].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	r->pr[0].integer = 42;
	ref_entry(r, 0, "a", l);
	l = ref_prim(r, 1);
	r->pr[1].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_STRING_VALUE;
	r->pr[1].string_value = "hi";
	ref_entry(r, 1, "b", l);
	flyteidl__core__literal_collection__init(&r->coll);
	r->collp[0] = ref_prim(r, 2);
	r->pr[2].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_FLOAT_VALUE;
	r->pr[2].float_value = 1.5;
	r->collp[1] = ref_prim(r, 3);
	r->pr[3].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_BOOLEAN;
	r->pr[3].boolean = 1;
	r->coll.n_literals = 2;
	r->coll.literals = r->collp;
	flyteidl__core__literal__init(&r->lit[7]);
	r->lit[7].value_case = FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION;
	r->lit[7].collection = &r->coll;
	ref_entry(r, 2, "c", &r->lit[7]);
	flyteidl__core__binary__init(&r->bin);
	r->bin.value.data = (uint8_t *)rawbytes;
	r->bin.value.len = sizeof(rawbytes);
	r->bin.tag = "raw";
	flyteidl__core__scalar__init(&r->sc[7]);
	r->sc[7].value_case = FLYTEIDL__CORE__SCALAR__VALUE_BINARY;
	r->sc[7].binary = &r->bin;
	flyteidl__core__literal__init(&r->lit[8]);
	r->lit[8].value_case = FLYTEIDL__CORE__LITERAL__VALUE_SCALAR;
	r->lit[8].scalar = &r->sc[7];
	ref_entry(r, 3, "d", &r->lit[8]);
	google__protobuf__timestamp__init(&r->ts);
	r->ts.seconds = 1704164645;		/* 2024-01-02T03:04:05Z */
	r->ts.nanos = 500000000;
	l = ref_prim(r, 4);
	r->pr[4].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DATETIME;
	r->pr[4].datetime = &r->ts;
	ref_entry(r, 4, "e", l);
	google__protobuf__duration__init(&r->dur);
	r->dur.seconds = 1;
	r->dur.nanos = 500000000;
	l = ref_prim(r, 5);
	r->pr[5].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_DURATION;
	r->pr[5].duration = &r->dur;
	ref_entry(r, 5, "f", l);
	l = ref_prim(r, 6);
	r->pr[6].value_case = FLYTEIDL__CORE__PRIMITIVE__VALUE_INTEGER;
	r->pr[6].integer = -9007199254740993LL;
	ref_entry(r, 6, "g", l);
	r->inputs.n_literals = 7;
	r->inputs.literals = r->entp;

	/* custom: {"n": 3, "nested": {"list": [1, "x", [true, null]]},
	 * "query": "select 1"} */
	google__protobuf__struct__init(&r->custom);
	r->cv[0].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
	r->cv[0].number_value = 3;
	ref_field(&r->cf[0], "n", &r->cv[0]);
	r->lv[0].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
	r->lv[0].number_value = 1;
	r->lv[1].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	r->lv[1].string_value = "x";
	google__protobuf__value__init(&r->inner[0]);
	r->inner[0].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
	r->inner[0].bool_value = 1;
	google__protobuf__value__init(&r->inner[1]);
	r->inner[1].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
	r->innerp[0] = &r->inner[0];
	r->innerp[1] = &r->inner[1];
	google__protobuf__list_value__init(&r->innerlist);
	r->innerlist.n_values = 2;
	r->innerlist.values = r->innerp;
	r->lv[2].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
	r->lv[2].list_value = &r->innerlist;
	for (i = 0; i < 3; i++)
		r->lvp[i] = &r->lv[i];
	google__protobuf__list_value__init(&r->list);
	r->list.n_values = 3;
	r->list.values = r->lvp;
	google__protobuf__value__init(&r->nv);
	r->nv.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
	r->nv.list_value = &r->list;
	ref_field(&r->nf, "list", &r->nv);
	r->nfp[0] = &r->nf;
	google__protobuf__struct__init(&r->nested);
	r->nested.n_fields = 1;
	r->nested.fields = r->nfp;
	r->cv[1].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
	r->cv[1].struct_value = &r->nested;
	ref_field(&r->cf[1], "nested", &r->cv[1]);
	r->cv[2].kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
	r->cv[2].string_value = "select 1";
	ref_field(&r->cf[2], "query", &r->cv[2]);
	for (i = 0; i < 3; i++)
		r->cfp[i] = &r->cf[i];
	r->custom.n_fields = 3;
	r->custom.fields = r->cfp;

	flyteidl__core__identifier__init(&r->id);
	r->id.resource_type = FLYTEIDL__CORE__RESOURCE_TYPE__TASK;
	r->id.project = "p";
	r->id.domain = "d";
	r->id.name = "t";
	r->id.version = "v1";
	flyteidl__core__task_template__init(&r->tt);
	r->tt.id = &r->id;
	r->tt.type = "echo";
	r->tt.custom = &r->custom;

	flyteidl__admin__task_execution_metadata__init(&r->meta);
	r->meta.namespace_ = "ns";
	flyteidl__admin__task_execution_metadata__labels_entry__init(&r->label);
	r->label.key = "team";
	r->label.value = "a";
	r->labelp[0] = &r->label;
	r->meta.n_labels = 1;
	r->meta.labels = r->labelp;

	flyteidl__admin__create_task_request__init(&r->req);
	r->req.inputs = &r->inputs;
	r->req.template_ = &r->tt;
	r->req.output_prefix = "s3://bucket/out";
	r->req.task_execution_metadata = &r->meta;
}

static uint8_t *
ref_pack(const struct ref *r, size_t *len)
{
	uint8_t	*buf;

	*len = flyteidl__admin__create_task_request__get_packed_size(&r->req);
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(flyteidl__admin__create_task_request__pack(&r->req,
	    buf), *len);
	return buf;
}

static const Google__Protobuf__Value *
struct_get(const Google__Protobuf__Struct *s, const char *key)
{
	size_t	 i;

	for (i = 0; i < s->n_fields; i++)
		if (strcmp(s->fields[i]->key, key) == 0)
			return s->fields[i]->value;
	return NULL;
}

static void
test_flyteidl_create_task_request_round_trip(void **state)
{
	struct ref				*r;
	Flyteidl__Admin__CreateTaskRequest	*u;
	const Flyteidl__Core__Literal		*l;
	const Google__Protobuf__Value		*v;
	uint8_t					*buf;
	size_t					 len;

	(void)state;
	r = malloc(sizeof(*r));
	assert_non_null(r);
	ref_build(r);
	buf = ref_pack(r, &len);
	u = flyteidl__admin__create_task_request__unpack(NULL, len, buf);
	assert_non_null(u);

	assert_string_equal(u->output_prefix, "s3://bucket/out");
	assert_non_null(u->template_);
	assert_string_equal(u->template_->type, "echo");
	assert_int_equal(u->template_->id->resource_type,
	    FLYTEIDL__CORE__RESOURCE_TYPE__TASK);
	assert_string_equal(u->template_->id->version, "v1");
	assert_non_null(u->template_->custom);
	v = struct_get(u->template_->custom, "query");
	assert_non_null(v);
	assert_int_equal(v->kind_case,
	    GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE);
	assert_string_equal(v->string_value, "select 1");
	v = struct_get(u->template_->custom, "nested");
	assert_non_null(v);
	assert_int_equal(v->kind_case,
	    GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
	v = struct_get(v->struct_value, "list");
	assert_non_null(v);
	assert_int_equal(v->list_value->n_values, 3);
	v = v->list_value->values[2];
	assert_int_equal(v->list_value->values[1]->kind_case,
	    GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);

	assert_int_equal(u->inputs->n_literals, 7);
	assert_string_equal(u->inputs->literals[0]->key, "a");
	l = u->inputs->literals[0]->value;
	assert_int_equal(l->value_case, FLYTEIDL__CORE__LITERAL__VALUE_SCALAR);
	assert_int_equal(l->scalar->primitive->integer, 42);
	l = u->inputs->literals[2]->value;
	assert_int_equal(l->value_case,
	    FLYTEIDL__CORE__LITERAL__VALUE_COLLECTION);
	assert_int_equal(l->collection->n_literals, 2);
	assert_true(
	    l->collection->literals[0]->scalar->primitive->float_value == 1.5);
	l = u->inputs->literals[3]->value;
	assert_int_equal(l->scalar->binary->value.len, sizeof(rawbytes));
	assert_memory_equal(l->scalar->binary->value.data, rawbytes,
	    sizeof(rawbytes));
	l = u->inputs->literals[6]->value;
	assert_true(l->scalar->primitive->integer == -9007199254740993LL);
	assert_string_equal(u->task_execution_metadata->namespace_, "ns");
	assert_string_equal(u->task_execution_metadata->labels[0]->value, "a");

	flyteidl__admin__create_task_request__free_unpacked(u, NULL);
	free(buf);
	free(r);
}

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE	*f;

	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void
write_json(const char *path, const ProtobufCMessage *m, int flags)
{
	json_t	*j;
	char	*s;

	j = pbjson_encode(m, flags);
	assert_non_null(j);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_non_null(s);
	write_file(path, s, strlen(s));
	free(s);
	json_decref(j);
}

/*
 * Python's protobuf (python3-protobuf, stubs from tests/grpc/gen-stubs.sh)
 * serializes the same message to the same bytes, reads ours back equal,
 * and its json_format output equals pbjson's in both namings.
 */
static void
test_flyteidl_agrees_with_python_protobuf(void **state)
{
	const char	*bd = getenv("top_builddir");
	const char	*sd = getenv("top_srcdir");
	char		 dir[] = "/tmp/test_flyteidl.XXXXXX", cmd[4096];
	char		 stubs[1024], path[1100];
	struct ref	*r;
	uint8_t		*buf;
	size_t		 len;
	int		 rc;

	(void)state;
	if (bd == NULL || sd == NULL)
		skip();
	snprintf(stubs, sizeof(stubs), "%s/tests/grpc/stubs", bd);
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/grpc/gen-stubs.sh' '%s' "
	    ">/dev/null", sd, stubs);
	rc = system(cmd);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
		skip();
	assert_int_equal(rc, 0);

	assert_non_null(mkdtemp(dir));
	r = malloc(sizeof(*r));
	assert_non_null(r);
	ref_build(r);
	buf = ref_pack(r, &len);
	snprintf(path, sizeof(path), "%s/req.bin", dir);
	write_file(path, buf, len);
	snprintf(path, sizeof(path), "%s/camel.json", dir);
	write_json(path, &r->req.base, 0);
	snprintf(path, sizeof(path), "%s/proto.json", dir);
	write_json(path, &r->req.base, PBJSON_PROTO_NAMES);

	snprintf(cmd, sizeof(cmd), "sh '%s/tests/grpc/python.sh' "
	    "'%s/tests/grpc/pbcheck.py' '%s' '%s/req.bin' '%s/camel.json' "
	    "'%s/proto.json'", sd, sd, stubs, dir, dir, dir);
	rc = system(cmd);
	if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77)
		skip();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rc, 0);
	free(buf);
	free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flyteidl_create_task_request_round_trip),
		cmocka_unit_test(test_flyteidl_agrees_with_python_protobuf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
