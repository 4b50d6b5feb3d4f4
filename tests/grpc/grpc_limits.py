#!/usr/bin/python3
"""The input limits of nebula-plugin-protocol(7) on the gRPC CreateTask
path, end to end: a real gRPC client (Debian's python3-grpcio) sends
CreateTaskRequests whose bytes are built here by hand (so that they can
hold what no protobuf library writes: invalid UTF-8, a map key twice,
Structs nested past any library's recursion limit) to the real daemon, and
tests/grpc/rawrecord_worker.py records the request lines exactly as they
reached it.  Nesting 64 deep (the line counting 1) is forwarded and 65 is
refused naming max_depth; a string or member name of 1 MiB is forwarded
and one byte more refused naming max_string_bytes; invalid UTF-8
(surrogates, overlong forms, stray bytes) is refused; a Struct or map key
repeated on the wire reaches the worker once, with its last value where it
came first.  Nothing refused reaches the worker, and a normal create works
after it all.
Prints "ok - ..." / "not ok - ..." lines; the exit status is the number of
failures.

Usage: grpc_limits.py HOST:PORT STUBS_DIR RECORD_FILE
"""
import json
import struct
import sys

ADDR, RECORD = sys.argv[1], sys.argv[3]
sys.path.insert(0, sys.argv[2])

import grpc  # noqa: E402
from google.protobuf import struct_pb2  # noqa: E402
from flyteidl.admin import agent_pb2 as A  # noqa: E402
from flyteidl.core import tasks_pb2 as T  # noqa: E402
import tap  # noqa: E402
from tap import ok  # noqa: E402

MIB = 1048576


# Protobuf's wire format, by hand.
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ld(num, data):
    """A length-delimited field (a string, bytes or a message)."""
    return varint(num << 3 | 2) + varint(len(data)) + data


def num(field):
    return field.number


V = struct_pb2.Value.DESCRIPTOR.fields_by_name
S_FIELDS = num(struct_pb2.Struct.DESCRIPTOR.fields_by_name["fields"])
L_VALUES = num(struct_pb2.ListValue.DESCRIPTOR.fields_by_name["values"])
TT = T.TaskTemplate.DESCRIPTOR.fields_by_name
CR = A.CreateTaskRequest.DESCRIPTOR.fields_by_name


def v_str(raw):
    """A Value holding string_value raw (bytes, written as they are)."""
    return ld(num(V["string_value"]), raw)


def v_num(x):
    return varint(num(V["number_value"]) << 3 | 1) + struct.pack("<d", x)


def v_struct(entries):
    return ld(num(V["struct_value"]), b"".join(entries))


def v_list(values):
    return ld(num(V["list_value"]),
              b"".join(ld(L_VALUES, v) for v in values))


def entry(key, value):
    """One entry of a Struct's fields (a map entry: key 1, value 2), in
    the order given, repeated keys and all."""
    if isinstance(key, str):
        key = key.encode()
    return ld(S_FIELDS, ld(1, key) + ld(2, value))


def map_entry(field, key, value):
    """One entry of a map<string, string> field of TaskTemplate."""
    return ld(num(TT[field]), ld(1, key) + ld(2, value))


def request(mark, entries=(), template_extra=b"", output_prefix=None):
    """A CreateTaskRequest for task type rec whose template.custom is a
    Struct of the entries after {"mark": mark}."""
    custom = entry("mark", v_str(mark.encode())) + b"".join(entries)
    tmpl = (ld(num(TT["type"]), b"rec") + ld(num(TT["custom"]), custom) +
            template_extra)
    msg = ld(num(CR["template"]), tmpl)
    if output_prefix is not None:
        msg += ld(num(CR["output_prefix"]), output_prefix)
    return msg


# The encoder against the protobuf library, on what the library can write.
want = struct_pb2.Struct()
want.update({"mark": "m", "a": {"b": [1.5, "x"]}})
got = struct_pb2.Struct.FromString(
    entry("mark", v_str(b"m")) +
    entry("a", v_struct([entry("b", v_list([v_num(1.5), v_str(b"x")]))])))
ok("the hand-built Struct reads back as the library's", got == want, got)
got = A.CreateTaskRequest.FromString(request("m"))
ok("the hand-built CreateTaskRequest reads back",
   got.template.type == "rec" and
   got.template.custom["mark"] == "m", got)

chan = grpc.insecure_channel(ADDR, options=[
    ("grpc.max_send_message_length", 8 * MIB),
    ("grpc.max_receive_message_length", 8 * MIB)])
grpc.channel_ready_future(chan).result(timeout=20)
create_raw = chan.unary_unary(
    "/flyteidl.service.AsyncAgentService/CreateTask",
    request_serializer=lambda b: b,
    response_deserializer=A.CreateTaskResponse.FromString)


def create(msg):
    """(status code, details, response) of CreateTask with these bytes."""
    try:
        return grpc.StatusCode.OK, "", create_raw(msg, timeout=60)
    except grpc.RpcError as e:
        return e.code(), e.details(), None


def lines_with(mark):
    """The request lines the worker got whose bytes hold "mark"."""
    try:
        with open(RECORD, "rb") as f:
            data = f.read()
    except OSError:
        return []
    needle = json.dumps(mark).encode()
    return [ln for ln in data.split(b"\n") if needle in ln]


def pairs(line):
    """The line read keeping every member in order, repeats and all:
    objects become lists of (name, value) pairs."""
    return json.loads(line.decode("utf-8", "strict"),
                      object_pairs_hook=lambda p: p)


def member(obj, name):
    """The values of name in a pairs object, in order."""
    return [v for k, v in obj if k == name]


def depth(v):
    if isinstance(v, list) and (not v or isinstance(v[0], tuple)):
        return 1 + max([depth(x) for _, x in v] or [0])
    if isinstance(v, list):
        return 1 + max([depth(x) for x in v] or [0])
    return 0


def custom_of(req):
    """task_template.custom of a line read as pairs."""
    return member(member(req, "task_template")[0], "custom")[0]


def forwarded(name, mark, msg):
    """CreateTask of msg answers OK and its line reached the worker; the
    line as pairs, or None."""
    c, d, _ = create(msg)
    ok(name + ": answered OK", c == grpc.StatusCode.OK, (c, d))
    got = lines_with(mark)
    ok(name + ": the worker got it once", len(got) == 1, len(got))
    if len(got) != 1:
        return None
    try:
        return pairs(got[0])
    except (ValueError, RecursionError) as e:
        ok(name + ": the line the worker got is UTF-8 JSON", False, e)
        return None


def refused(name, mark, msg, words):
    """CreateTask of msg answers INVALID_ARGUMENT with words in its
    message (from the daemon, not the worker), and never reaches the
    worker."""
    c, d, _ = create(msg)
    ok(name + ": INVALID_ARGUMENT", c == grpc.StatusCode.INVALID_ARGUMENT,
       (c, d))
    ok(name + ": the message names " + words,
       words in (d or "") and not (d or "").startswith("rawrecord:"), d)
    ok(name + ": never reaches the worker", not lines_with(mark),
       len(lines_with(mark)))


def nest(k, leaf):
    """A Value of k Structs one inside the other, {"d": {"d": ... leaf}}."""
    v = leaf
    for _ in range(k):
        v = v_struct([entry("d", v)])
    return v


def nest_list(k, leaf):
    v = leaf
    for _ in range(k):
        v = v_list([v])
    return v


# Nesting: the line counts 1, task_template 2, custom 3, so k Structs in
# custom reach 3 + k.
line = forwarded("a Struct in custom 64 deep", "deep64",
                 request("deep64", [entry("d", nest(61, v_num(1)))]))
if line is not None:
    ok("the worker's line is 64 deep", depth(line) == 64, depth(line))
    v, k = custom_of(line), 0
    while isinstance(v, list) and member(v, "d"):
        v, k = member(v, "d")[0], k + 1
    ok("the worker got all 62 levels of custom.d and the leaf",
       k == 62 and v == 1, (k, v))
refused("a Struct in custom 65 deep", "deep65",
        request("deep65", [entry("d", nest(62, v_num(1)))]), "max_depth")
refused("a ListValue in custom 65 deep", "list65",
        request("list65", [entry("d", nest_list(62, v_num(1)))]),
        "max_depth")
refused("a Struct 65 deep under a member name given twice", "deepdup",
        request("deepdup", [entry("d", v_num(1)),
                            entry("d", nest(62, v_num(1)))]), "max_depth")

# Strings and member names: 1 MiB is the limit.
line = forwarded("a string of 1 MiB", "str1m",
                 request("str1m", [entry("s", v_str(b"a" * MIB))]))
if line is not None:
    s = member(custom_of(line), "s")
    ok("the worker got the 1 MiB string whole",
       len(s) == 1 and s[0] == "a" * MIB, len(s[0]) if s else None)
refused("a string of 1 MiB + 1", "str1m1",
        request("str1m1", [entry("s", v_str(b"a" * (MIB + 1)))]),
        "max_string_bytes")
refused("a string of 1 MiB + 1 in 2-byte UTF-8", "str1m1u",
        request("str1m1u", [entry("s", v_str(b"a" + b"\xc3\xa9" *
                                                (MIB // 2)))]),
        "max_string_bytes")
refused("a member name of 1 MiB + 1", "name1m1",
        request("name1m1", [entry(b"n" * (MIB + 1), v_num(1))]),
        "max_string_bytes")
refused("output_prefix of 1 MiB + 1", "prefix1m1",
        request("prefix1m1", output_prefix=b"s" * (MIB + 1)),
        "max_string_bytes")
line = forwarded("a member name of 1 MiB", "name1m",
                 request("name1m", [entry(b"n" * MIB, v_num(2))]))
if line is not None:
    ok("the worker got the 1 MiB member name",
       member(custom_of(line), "n" * MIB) == [2])

# UTF-8: raw bytes on the wire, which no protobuf library writes.
BAD = [
    ("a surrogate (U+D800 as ED A0 80)", b"\xed\xa0\x80"),
    ("a low surrogate (U+DFFF as ED BF BF)", b"\xed\xbf\xbf"),
    ("an overlong '/' (C0 AF)", b"\xc0\xaf"),
    ("an overlong '/' in 3 bytes (E0 80 AF)", b"\xe0\x80\xaf"),
    ("an overlong U+FFFF in 4 bytes (F0 8F BF BF)", b"\xf0\x8f\xbf\xbf"),
    ("past U+10FFFF (F4 90 80 80)", b"\xf4\x90\x80\x80"),
    ("a stray continuation byte (80)", b"\x80"),
    ("a byte never in UTF-8 (FF)", b"\xff"),
    ("a sequence cut short (E2 82)", b"\xe2\x82"),
]
for i, (what, raw) in enumerate(BAD):
    m = "utf8v%d" % i
    refused("a string value with " + what, m,
            request(m, [entry("s", v_str(b"x" + raw + b"y"))]), "UTF-8")
m = "utf8k"
refused("a Struct member name with a surrogate", m,
        request(m, [entry(b"k\xed\xa0\x80", v_num(1))]), "UTF-8")
m = "utf8p"
refused("output_prefix (a plain string field) with an overlong form", m,
        request(m, output_prefix=b"s3://b/\xc0\xaf"), "UTF-8")
m = "utf8c"
refused("a template.config value with a surrogate", m,
        request(m, template_extra=map_entry("config", b"k",
                                            b"\xed\xb0\x80")), "UTF-8")
m = "utf8cut"
refused("a string ending in a cut sequence (F0 9F 98)", m,
        request(m, [entry("s", v_str(b"x\xf0\x9f\x98"))]), "UTF-8")
# Valid UTF-8 of every length goes through as it was.
good = "é€😀\U0010ffff"
line = forwarded("a string of 2-, 3- and 4-byte UTF-8", "utf8ok",
                 request("utf8ok", [entry("s", v_str(good.encode()))]))
if line is not None:
    ok("the worker got the same characters",
       member(custom_of(line), "s") == [good], member(custom_of(line), "s"))

# A key repeated on the wire: written once, its last value, where it came
# first.
line = forwarded("a Struct key repeated on the wire", "dupkey",
                 request("dupkey", [entry("a", v_num(1)),
                                    entry("dup", v_str(b"first")),
                                    entry("b", v_num(2)),
                                    entry("dup", v_str(b"second")),
                                    entry("c", v_num(3))]))
if line is not None:
    names = [k for k, _ in custom_of(line)]
    ok("the worker got the key once", names.count("dup") == 1, names)
    ok("with its last value", member(custom_of(line), "dup") == ["second"],
       member(custom_of(line), "dup"))
    ok("where it came first", names == ["mark", "a", "dup", "b", "c"],
       names)
line = forwarded("a key repeated with a Struct, then a number", "dupkind",
                 request("dupkind", [
                     entry("k", v_struct([entry("x", v_num(1))])),
                     entry("k", v_num(7))]))
if line is not None:
    ok("the worker got the last value, not the Struct",
       member(custom_of(line), "k") == [7], member(custom_of(line), "k"))
line = forwarded("a key repeated inside a nested Struct", "dupnest",
                 request("dupnest", [entry("o", v_struct([
                     entry("z", v_str(b"1")), entry("y", v_num(0)),
                     entry("z", v_str(b"2")), entry("z", v_str(b"3"))]))]))
if line is not None:
    o = member(custom_of(line), "o")
    ok("the nested Struct names the key once, last value, first place",
       len(o) == 1 and o[0] == [("z", "3"), ("y", 0)], o)
line = forwarded("a template.config key repeated on the wire", "dupmap",
                 request("dupmap", template_extra=map_entry(
                     "config", b"p", b"one") + map_entry(
                     "config", b"q", b"x") + map_entry(
                     "config", b"p", b"two")))
if line is not None:
    cfg = member(member(line, "task_template")[0], "config")
    ok("the map names the key once, last value, first place",
       len(cfg) == 1 and cfg[0] == [("p", "two"), ("q", "x")], cfg)

# And after all of that, a create as any client sends it.
t = T.TaskTemplate(type="rec")
t.custom.update({"mark": "normal", "n": 1})
c, d, r = create(A.CreateTaskRequest(template=t).SerializeToString())
ok("a normal CreateTask still works", c == grpc.StatusCode.OK and r and
   len(r.resource_meta) > 0, (c, d))
ok("and reached the worker", len(lines_with("normal")) == 1)

sys.exit(tap.FAILED)
