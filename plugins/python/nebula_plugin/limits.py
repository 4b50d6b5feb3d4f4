"""The input limits of nebula-plugin-protocol(7), as the daemon applies them.

decode() and check() read a request line the way the C SDK does (msg_decode
and msg_limits_check): depth 64 with the line's object
counting 1, strings and member names at most 1 MiB of UTF-8, 64-bit
integers, finite numbers, no duplicate member names, valid UTF-8 with no
lone surrogate and no NUL.  line_id() finds the top-level id of a line that
cannot be read, by the C SDK's rule (msg_line_id), so that it is answered.
"""

import json
import math
import re

MAX_DEPTH = 64
MAX_STRING = 1 << 20
INT_MIN, INT_MAX = -(1 << 63), (1 << 63) - 1

_STRUCT = re.compile(rb'[][{},"]')
_STRING_END = re.compile(rb'["\\]')
_WS = b" \t\r\n"


class Unreadable(ValueError):
    """A line that is not JSON or is over one of the input limits."""


def _int(text):
    v = int(text)
    if not INT_MIN <= v <= INT_MAX:
        raise Unreadable("an integer outside 64 bits (input limit "
                         "max_number)")
    return v


def _float(text):
    v = float(text)
    if not math.isfinite(v):
        raise Unreadable("a number that is not a finite double (input "
                         "limit max_number)")
    return v


def _constant(name):
    raise Unreadable("%s is not JSON (input limit max_number)" % name)


def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise Unreadable("duplicate member name %r" % k[:64])
        obj[k] = v
    return obj


def _string(s, what):
    try:
        n = len(s.encode("utf-8"))
    except UnicodeEncodeError:
        raise Unreadable("%s with a lone surrogate (input limit UTF-8)" %
                         what) from None
    if n > MAX_STRING:
        raise Unreadable("%s over %d bytes (input limit max_string_bytes)"
                         % (what, MAX_STRING))
    if "\0" in s:
        raise Unreadable("%s with \\u0000 (input limit UTF-8)" % what)


def _walk(v, depth):
    if isinstance(v, dict):
        items = v.items()
    elif isinstance(v, list):
        items = ((None, e) for e in v)
    else:
        if isinstance(v, str):
            _string(v, "a string")
        return
    if depth > MAX_DEPTH:
        raise Unreadable("nested deeper than %d levels (input limit "
                         "max_depth)" % MAX_DEPTH)
    for k, e in items:
        if k is not None:
            _string(k, "a member name")
        _walk(e, depth + 1)


def check(value):
    """Raises Unreadable when a decoded value is over the input limits;
    the outermost object or array counts 1."""
    _walk(value, 1)


def decode(line):
    """The value of one line (bytes or str), parsed by the rules that the
    daemon's parser applies itself (UTF-8, 64-bit integers, finite numbers,
    no duplicate names); raises Unreadable with the reason otherwise.
    check() then holds it to the limits on depth and sizes."""
    try:
        if isinstance(line, (bytes, bytearray)):
            line = bytes(line).decode("utf-8")
        v = json.loads(line, parse_int=_int, parse_float=_float,
                       parse_constant=_constant, object_pairs_hook=_pairs)
    except Unreadable:
        raise
    except UnicodeDecodeError as e:
        raise Unreadable("invalid UTF-8: %s" % e) from None
    except RecursionError:
        raise Unreadable("nested deeper than %d levels (input limit "
                         "max_depth)" % MAX_DEPTH) from None
    except ValueError as e:
        raise Unreadable("invalid JSON: %s" % e) from None
    return v


def _skip_ws(s, i):
    while i < len(s) and s[i] in _WS:
        i += 1
    return i


def line_id(line):
    """The top-level "id" of a line that cannot be read, from its text, or
    None: the line is an object with exactly one member "id" at its top
    level, outside strings, whose value is an integer from 0 to 2^63 - 1
    written plainly (no sign, no leading zero, no fraction)."""
    s = line.encode("utf-8", "surrogatepass") if isinstance(line, str) \
        else bytes(line)
    n = len(s)
    i = _skip_ws(s, 0)
    if i == n or s[i] != ord("{"):
        return None
    depth, want_key, found = 0, False, None
    while i < n:
        m = _STRUCT.search(s, i)
        if m is None:
            break
        i = m.start()
        c = s[i]
        if c in b"{[":
            depth += 1
            want_key = want_key or depth == 1
        elif c in b"}]":
            depth -= 1
        elif c == ord(","):
            want_key = want_key or depth == 1
        else:                               # a string
            i = start = i + 1
            while True:
                m = _STRING_END.search(s, i)
                if m is None:
                    return None
                i = m.start()
                if s[i] != ord("\\"):
                    break
                i += 2
            if depth == 1 and want_key:
                want_key = False
                if s[start:i] == b"id":
                    i = _skip_ws(s, i + 1)
                    if i == n or s[i] != ord(":"):
                        return None
                    i = start = _skip_ws(s, i + 1)
                    while i < n and 0x30 <= s[i] <= 0x39:
                        i += 1
                    digits = s[start:i]
                    if not digits or (len(digits) > 1 and
                                      digits[:1] == b"0"):
                        return None
                    if i < n and s[i] not in b",}" and s[i] not in _WS:
                        return None
                    if found is not None or len(digits) > 19 or \
                            int(digits) > INT_MAX:
                        return None         # two ids: which one?
                    found = int(digits)
                    continue
        i += 1
        if depth == 0:
            break
    return found
