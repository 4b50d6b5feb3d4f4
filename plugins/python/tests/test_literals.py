"""Typed outputs: plain values to Flyte's LiteralMap and back, and the rule
that tells them apart (the same cases as tests/unit/test_literal.c)."""

import pytest

from nebula_plugin import from_literal_map, is_literal_map, to_literal_map


def prim(k, v):
    return {"scalar": {"primitive": {k: v}}}


def test_scalars_use_proto_field_names_and_int64_strings():
    m = to_literal_map({"n": 3, "x": 1.5, "s": "hi", "t": True, "z": None})
    assert m == {"literals": {
        "n": prim("integer", "3"), "x": prim("float_value", 1.5),
        "s": prim("string_value", "hi"), "t": prim("boolean", True),
        "z": {"scalar": {"none_type": {}}}}}
    assert is_literal_map(m)


def test_lists_are_collections_and_objects_generic_structs():
    m = to_literal_map({"l": [1, ["a"]], "o": {"k": [1, None]}})
    assert m["literals"]["l"] == {"collection": {"literals": [
        prim("integer", "1"),
        {"collection": {"literals": [prim("string_value", "a")]}}]}}
    assert m["literals"]["o"] == {"scalar": {"generic": {"k": [1, None]}}}


def test_refuses_what_has_no_literal():
    with pytest.raises(TypeError):
        to_literal_map([1])
    with pytest.raises(ValueError):
        to_literal_map({"n": 1 << 63})
    with pytest.raises(TypeError):
        to_literal_map({"n": object()})


@pytest.mark.parametrize("plain", [
    {}, {"n": 3, "x": 0.25, "s": "", "t": False, "z": None},
    {"l": [[1, 2], [], ["a", None]], "o": {"a": {}}},
    {"literals": {"n": 1}}])
def test_round_trip(plain):
    assert from_literal_map(to_literal_map(plain)) == plain


def test_reads_what_flyte_writes():
    m = {"literals": {
        "a": prim("floatValue", "2.5"), "b": prim("stringValue", "x"),
        "c": dict(prim("integer", 7), hash="h", metadata={"k": "v"}),
        "d": {"scalar": {"noneType": {}}},
        "e": {"map": {"literals": {"f": prim("boolean", True)}}},
        "g": {"map": {}}, "h": {"collection": {}},
        "t": {"scalar": {"structured_dataset": {"uri": "bq://p:d.t"}}},
        "u": {"scalar": {"union": {"value": prim("integer", "-4")}}}}}
    assert from_literal_map(m) == {"a": 2.5, "b": "x", "c": 7, "d": None,
                                   "e": {"f": True}, "g": {}, "h": [],
                                   "t": "bq://p:d.t", "u": -4}


@pytest.mark.parametrize("bad", [
    {"n": 3},
    {"literals": {"n": prim("integer", "3x")}},
    {"literals": {"n": prim("integer", str(1 << 70))}},
    {"literals": {"n": {"scalar": {"primitive": {"integer": "1",
                                                 "boolean": True}}}}},
    {"literals": {"n": {"scalar": {"binary": {"value": "AA=="}}}}},
    {"literals": {"n": prim("boolean", "yes")}},
    {"literals": {"n": {"collection": {"literals": [{"x": 1}]}}}}])
def test_from_refuses(bad):
    with pytest.raises(ValueError):
        from_literal_map(bad)


@pytest.mark.parametrize("v,want", [
    ({"literals": {}}, True),
    ({"literals": {"a": {"scalar": {}}}}, True),
    ({"literals": {"a": {"map": {}, "hash": "x"}}}, True),
    ({}, False), ({"literals": 3}, False), ({"literals": []}, False),
    ({"literals": {"a": 1}}, False), ({"literals": {"a": {}}}, False),
    ({"literals": {"a": {"scalar": 1}}}, False),
    ({"literals": {"a": {"scalar": {}, "map": {}}}}, False),
    ({"literals": {"a": {"scalar": {}, "other": 1}}}, False),
    ({"literals": {}, "more": 1}, False), ([], False), ("literals", False)])
def test_is_literal_map_is_the_rule(v, want):
    assert is_literal_map(v) is want
