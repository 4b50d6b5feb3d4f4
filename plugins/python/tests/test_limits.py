"""The input limits of nebula-plugin-protocol(7) in the Python SDK: the same
cases as tests/unit/test_msg.c's for msg_limits_check and msg_line_id, and
a worker that answers every line over them whose id it can find."""

import json
import textwrap

import pytest

from nebula_plugin import limits
from nebula_plugin.loop import parse


def nested_arrays(n):
    return "[" * n + "]" * n


def refused(text):
    with pytest.raises(limits.Unreadable) as e:
        limits.check(limits.decode(text))
    return str(e.value)


def passes(text):
    limits.check(limits.decode(text))
    return True


def test_depth_64_passes_65_refused():
    assert passes(nested_arrays(limits.MAX_DEPTH))
    assert "max_depth" in refused(nested_arrays(limits.MAX_DEPTH + 1))
    # The outermost object counts: {"a": [[...]]} with 64 arrays is 65.
    assert "max_depth" in refused('{"a": %s}' %
                                  nested_arrays(limits.MAX_DEPTH))
    assert passes('{"a": %s}' % nested_arrays(limits.MAX_DEPTH - 1))
    # deeper than Python's own parser goes: still refused, not a crash
    assert "max_depth" in refused(nested_arrays(100000))


def test_string_size():
    big = "x" * (limits.MAX_STRING + 1)
    assert "max_string_bytes" in refused(json.dumps({"a": big}))
    # the same as a member name
    assert "max_string_bytes" in refused(json.dumps({big: True}))
    assert passes(json.dumps({"a": big[:-1]}))
    # bytes of UTF-8, not characters: 2 bytes each
    assert "max_string_bytes" in refused(
        json.dumps({"a": "\u00e9" * (limits.MAX_STRING // 2 + 1)},
                   ensure_ascii=False))


def test_numbers_and_parse_rules():
    assert passes('{"a": 9223372036854775807, "b": 1.5e308, "c": -0.0, '
                  '"d": -9223372036854775808, "e": 1e-400}')
    # Huge numbers, duplicates and invalid UTF-8 fail the parse itself.
    for text in ('{"a": 9223372036854775808}',
                 '{"a": -9223372036854775809}',
                 '{"a": 1e400}', '{"a": -1e400}',
                 '{"a": NaN}', '{"a": Infinity}', '{"a": -Infinity}',
                 '{"a": 1, "a": 2}', '{"x": {"b": 1, "b": 1}}'):
        with pytest.raises(limits.Unreadable):
            limits.decode(text)
    for raw in (b'{"a": "\xc3\x28"}', b'{"a": "\xed\xa0\x80"}',
                b'{"a": "\xff"}'):
        with pytest.raises(limits.Unreadable):
            limits.decode(raw)


def test_lone_surrogates_and_nul_are_refused():
    assert "UTF-8" in refused('{"a": "\\ud800"}')
    assert "UTF-8" in refused('{"a": "\\udc00x"}')
    assert "UTF-8" in refused('{"\\ud800": 1}')
    assert "UTF-8" in refused('{"a": "x\\u0000"}')
    assert "UTF-8" in refused('{"\\u0000": 1}')
    # a pair is one character
    assert passes('{"a": "\\ud83d\\ude00"}')


def test_line_id_finds_the_top_level_id():
    assert limits.line_id(b'{"id": 7, "x": 1}') == 7
    assert limits.line_id(b' {"x":{"id":1},"id" : 42}') == 42
    # a line too deep for any parser still has its id found
    assert limits.line_id('{"a":%s,"id":9}' % nested_arrays(100000)) == 9
    # invalid UTF-8 in a string around it
    assert limits.line_id(b'{"s":"\xff\\"","id":3}') == 3
    assert limits.line_id(b'{"id": 9223372036854775807}') == \
        9223372036854775807
    assert limits.line_id('{"id":0}') == 0


@pytest.mark.parametrize("bad", [
    '[{"id": 1}]',
    '{"x": {"id": 1}}',
    '{"id": -1}',
    '{"id": 1.5}',
    '{"id": "1"}',
    '{"id": 01}',
    '{"id": 9223372036854775808}',
    '{"id": 1, "id": 2}',
    '{"id" 1}',
    '{"id',
    '',
])
def test_line_id_refuses_what_is_not_one_id(bad):
    assert limits.line_id(bad) is None
    assert limits.line_id(bad.encode()) is None


def test_parse_answers_by_the_object_id_or_the_text_id():
    # parsed, then over a limit: the object's id, even written escaped
    req, (rid, why) = parse('{"i\\u0064": 4, "a": %s}' % nested_arrays(64))
    assert req is None and rid == 4 and "max_depth" in why
    # not parsed: the id of the text
    req, (rid, why) = parse(b'{"id": 5, "a": 1e400}')
    assert req is None and rid == 5 and "max_number" in why
    # an object without a usable id is never answered
    for text in ('{"id": -1, "a": 1}', '{"id": "1"}', '{"id": true}',
                 '{"id": 9223372036854775807.0}', '[1]'):
        assert parse(text)[1][0] is None
    req, bad = parse(b'{"id": 6, "op": "get"}')
    assert bad is None and req == {"id": 6, "op": "get"}


def test_worker_answers_every_line_over_the_limits(worker):
    w = worker(textwrap.dedent("""
        import nebula_plugin

        class P(nebula_plugin.Plugin):
            task_type = "p"
            async def create(self, task_template, inputs, output_prefix,
                             task_execution_metadata, **kw):
                return {"ok": True}

        nebula_plugin.serve(P())
    """))
    w.read()
    head = '{"id":%d,"op":"create","task_type":"p","version":"v1",'
    lines = [
        head + '"task_template":{"a":%s}}' % nested_arrays(63),  # 65 deep
        head + '"task_template":{"a":%s}}' % nested_arrays(5000),
        head + '"task_template":{"s":"%s"}}' % ("x" * (1 << 20 | 1)),
        head + '"task_template":{},"inputs":{"n":99999999999999999999}}',
        head + '"task_template":{},"inputs":{"n":1e999}}',
        head + '"task_template":{},"inputs":{"n":NaN}}',
        head + '"task_template":{},"inputs":{"a":1,"a":2}}',
        head + '"task_template":{},"inputs":{"s":"\\udead"}}',
        head + '"task_template":{},"inputs":{"s":"\\u0000"}}',
    ]
    for i, text in enumerate(lines):
        w.send((text % (i + 1)).encode())
    w.send((head % 50).encode() + b'"task_template":{"s":"\xc3\x28"}}')
    for i in list(range(len(lines))) + [49]:
        got = w.read()
        assert got["id"] == i + 1, got
        assert got["error"]["code"] == "INVALID_ARGUMENT"
        assert got["error"]["message"].startswith(
            "the worker cannot read the request: ")
    # within the limits: served as usual, 64 deep with the line's object
    w.send((head % 60) + '"task_template":{"a":%s}}' % nested_arrays(62))
    assert w.read() == {"id": 60, "resource_meta": {"ok": True}}
    status, rest, log = w.close()
    assert status == 0 and rest == ""
    assert "max_depth" in log and "answering id=1" in log
