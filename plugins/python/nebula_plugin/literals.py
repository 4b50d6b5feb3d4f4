"""Typed outputs: plain JSON values to Flyte's flyteidl.core.LiteralMap and
back, in protojson with the proto field names (literals.proto).

Integers become primitive integers (int64, written as strings), floats
float_value, strings string_value, booleans boolean, None a none_type
scalar, lists collections and objects generic Structs.  Reading back also
takes the json_name spellings (floatValue, ...), blobs, schemas and
structured datasets (their uri) and unions (their value).  protocol/literal.c
is the same in C; nebula-plugin-protocol(7) gives the rule that tells a
LiteralMap from plain outputs, which is_literal_map() implements.
"""

import math

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
_LITERAL_VALUES = ("scalar", "collection", "map")
_LITERAL_KEYS = _LITERAL_VALUES + ("hash", "metadata")


def _literal(v):
    if v is None:
        return {"scalar": {"none_type": {}}}
    if isinstance(v, bool):
        return {"scalar": {"primitive": {"boolean": v}}}
    if isinstance(v, int):
        if not INT64_MIN <= v <= INT64_MAX:
            raise ValueError("integer %d does not fit in an int64" % v)
        return {"scalar": {"primitive": {"integer": str(v)}}}
    if isinstance(v, float):
        if math.isnan(v):
            f = "NaN"
        elif math.isinf(v):
            f = "Infinity" if v > 0 else "-Infinity"
        else:
            f = v
        return {"scalar": {"primitive": {"float_value": f}}}
    if isinstance(v, str):
        return {"scalar": {"primitive": {"string_value": v}}}
    if isinstance(v, (list, tuple)):
        return {"collection": {"literals": [_literal(e) for e in v]}}
    if isinstance(v, dict):
        if not all(isinstance(k, str) for k in v):
            raise TypeError("object keys must be strings")
        return {"scalar": {"generic": dict(v)}}
    raise TypeError("cannot type a %s" % type(v).__name__)


def to_literal_map(plain):
    """The LiteralMap of a dict of plain JSON values (new objects)."""
    if not isinstance(plain, dict):
        raise TypeError("outputs must be a dict, not %s" %
                        type(plain).__name__)
    return {"literals": {str(k): _literal(v) for k, v in plain.items()}}


def _literal_shaped(v):
    if not isinstance(v, dict) or any(k not in _LITERAL_KEYS for k in v):
        return False
    values = [k for k in _LITERAL_VALUES if k in v]
    return len(values) == 1 and isinstance(v[values[0]], dict)


def is_literal_map(v):
    """Whether v is taken as a LiteralMap: an object whose one key is
    "literals", an object whose every value is Literal-shaped (an object
    with exactly one of scalar, collection or map, itself an object, and
    no keys but those and hash and metadata)."""
    return isinstance(v, dict) and len(v) == 1 and \
        isinstance(v.get("literals"), dict) and \
        all(_literal_shaped(e) for e in v["literals"].values())


def _get(obj, proto, json_name):
    return obj[proto] if proto in obj else obj.get(json_name)


def _one(obj, what):
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ValueError("%s must have exactly one member" % what)
    return next(iter(obj.items()))


def _primitive(p):
    k, v = _one(p, "a primitive")
    if k == "integer":
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise ValueError("integer must be a string or a number")
        try:
            n = int(v)
        except ValueError:
            raise ValueError("integer %r is not an int64" % v) from None
        if not INT64_MIN <= n <= INT64_MAX:
            raise ValueError("integer %r is not an int64" % v)
        return n
    if k in ("float_value", "floatValue"):
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise ValueError("float_value must be a number")
        try:
            return float(v)
        except ValueError:
            raise ValueError("float_value %r is not a number" % v) from None
    if k in ("string_value", "stringValue", "datetime", "duration"):
        if not isinstance(v, str):
            raise ValueError("%s must be a string" % k)
        return v
    if k == "boolean":
        if not isinstance(v, bool):
            raise ValueError("boolean must be true or false")
        return v
    raise ValueError("unknown primitive %r" % k)


def _scalar(s):
    k, v = _one(s, "a scalar")
    if k == "primitive":
        return _primitive(v)
    if k in ("none_type", "noneType"):
        return None
    if k == "generic":
        if not isinstance(v, dict):
            raise ValueError("generic must be an object")
        return dict(v)
    if k in ("blob", "schema", "structured_dataset", "structuredDataset"):
        if not isinstance(v, dict) or not isinstance(v.get("uri"), str):
            raise ValueError("%s has no uri" % k)
        return v["uri"]
    if k == "union":
        if not isinstance(v, dict) or "value" not in v:
            raise ValueError("union has no value")
        return _plain(v["value"])
    raise ValueError("a %s scalar has no plain value" % k)


def _plain(lit):
    if not _literal_shaped(lit):
        raise ValueError("not a Literal: %r" % (lit,))
    if "scalar" in lit:
        return _scalar(lit["scalar"])
    if "collection" in lit:
        lits = lit["collection"].get("literals", [])
        if not isinstance(lits, list):
            raise ValueError("collection literals must be a list")
        return [_plain(e) for e in lits]
    return _map(lit["map"])


def _map(lmap):
    # Nested maps may be empty ({}: protojson leaves an empty map out).
    lits = lmap.get("literals", {})
    if any(k != "literals" for k in lmap) or not isinstance(lits, dict):
        raise ValueError("not a LiteralMap")
    return {k: _plain(v) for k, v in lits.items()}


def from_literal_map(lmap):
    """The plain JSON values of a LiteralMap (new objects); ValueError if
    is_literal_map() says it is not one, or if it holds a value with no
    plain form (binary, error and json scalars)."""
    if not is_literal_map(lmap):
        raise ValueError("not a LiteralMap")
    return _map(lmap)
