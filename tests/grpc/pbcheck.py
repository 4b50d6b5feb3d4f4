"""Checks that the C build and Python's protobuf agree on Flyte's messages.

Usage: pbcheck.py STUBS BIN CAMEL_JSON PROTO_JSON

Builds the reference CreateTaskRequest (the same one tests/unit/
test_flyteidl.c builds) with the modules gen-stubs.sh generated into STUBS,
and compares it with what the C side wrote: BIN, the bytes protobuf-c
packed; CAMEL_JSON and PROTO_JSON, pbjson's encodings with json_name and
with proto field names.  Each is compared with google.protobuf's own
deterministic serialization and json_format.MessageToJson output, and read
back with json_format.Parse.  Exits 0 when all agree, 1 otherwise.
"""
import json
import sys


def reference(agent_pb2, literals_pb2, identifier_pb2):
    req = agent_pb2.CreateTaskRequest()
    lits = req.inputs.literals
    lits["a"].scalar.primitive.integer = 42
    lits["b"].scalar.primitive.string_value = "hi"
    coll = lits["c"].collection.literals
    coll.add().scalar.primitive.float_value = 1.5
    coll.add().scalar.primitive.boolean = True
    lits["d"].scalar.binary.value = b"\x00\xff\xfe"
    lits["d"].scalar.binary.tag = "raw"
    lits["e"].scalar.primitive.datetime.FromJsonString(
        "2024-01-02T03:04:05.500Z")
    lits["f"].scalar.primitive.duration.FromJsonString("1.5s")
    lits["g"].scalar.primitive.integer = -9007199254740993
    tt = req.template
    tt.id.resource_type = identifier_pb2.TASK
    tt.id.project = "p"
    tt.id.domain = "d"
    tt.id.name = "t"
    tt.id.version = "v1"
    tt.type = "echo"
    tt.custom.update({"query": "select 1", "n": 3,
                      "nested": {"list": [1, "x", [True, None]]}})
    req.output_prefix = "s3://bucket/out"
    req.task_execution_metadata.namespace = "ns"
    req.task_execution_metadata.labels["team"] = "a"
    return req


def main():
    stubs, binf, camelf, protof = sys.argv[1:5]
    sys.path.insert(0, stubs)
    from google.protobuf import json_format
    from flyteidl.admin import agent_pb2
    from flyteidl.core import identifier_pb2, literals_pb2

    ref = reference(agent_pb2, literals_pb2, identifier_pb2)
    ok = True
    with open(binf, "rb") as f:
        cbytes = f.read()
    pybytes = ref.SerializeToString(deterministic=True)
    if cbytes != pybytes:
        print("bytes differ:\n C  %s\n py %s" % (cbytes.hex(), pybytes.hex()))
        ok = False
    back = agent_pb2.CreateTaskRequest()
    back.ParseFromString(cbytes)
    if back != ref:
        print("C bytes parse to a different message:\n%s" % back)
        ok = False
    for path, proto_names in ((camelf, False), (protof, True)):
        with open(path) as f:
            ctext = f.read()
        cjson = json.loads(ctext)
        pyjson = json.loads(json_format.MessageToJson(
            ref, preserving_proto_field_name=proto_names))
        if cjson != pyjson:
            print("JSON differs (proto names %s):\n C  %s\n py %s" % (
                proto_names, json.dumps(cjson, sort_keys=True),
                json.dumps(pyjson, sort_keys=True)))
            ok = False
        parsed = json_format.Parse(ctext, agent_pb2.CreateTaskRequest())
        if parsed != ref:
            print("json_format.Parse of C's JSON differs:\n%s" % parsed)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
