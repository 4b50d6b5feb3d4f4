#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.

The seeds are kept in the tree; run this again (from anywhere) after the
targets' input formats change.  Each seed starts with the bytes the target
reads as its set-up (see the comment at the top of each fuzz_*.c).
"""
import base64
import hashlib
import hmac
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")

TOKEN1 = "fuzz-token-one"
TOKEN2 = "fuzz-token-two"
HTTP_KEY = b"fuzz-rid-key-0123456789abcdef0123456789"
RID_KEY1 = b"fuzz-key-one-0123456789abcdef0123456789"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rid(typ, ver, meta, key=None):
    doc = json.dumps({"v": 1, "t": typ, "ver": ver, "m": meta},
                     separators=(",", ":")).encode()
    body = b64url(doc)
    if key is None:
        return body
    tag = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return body + "." + b64url(tag)


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def req(method, path, body=None, headers=(), version="1.1", auth=TOKEN1):
    lines = ["%s %s HTTP/%s" % (method, path, version), "Host: localhost"]
    if auth:
        lines.append("Authorization: Bearer " + auth)
    lines.extend(headers)
    raw = b""
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if not any(h.lower().startswith(("content-length",
                                         "transfer-encoding"))
                   for h in headers):
            lines.append("Content-Length: %d" % len(body))
            lines.append("Content-Type: application/json")
        raw = body
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


# Mode byte of fuzz_http.c: auth bits 0-1, keys 0x04, tiny 0x08,
# draining 0x10, abrupt close 0x20, chunking 0xc0.
AUTH, PRIVATE, KEYS, TINY, DRAIN, ABRUPT = 1, 2, 4, 8, 16, 32
TWO, SMALL, BYTES = 0x40, 0x80, 0xc0


def http_seeds():
    seeds = {}
    u1 = rid("echo", "v1", {"job": 1})
    u2 = rid("echo", "v2", {"job": 2, "mode": "defer"})
    odd = rid("echo", "v1", {"mode": "odd"})
    s1 = rid("echo", "v1", {"job": 3}, HTTP_KEY)
    sl = rid("sleep", "v3", {"job": 4}, HTTP_KEY)
    tt = {"task_template": {"name": "t", "inputs": {"x": 1}}}

    def add(name, mode, data, split=7):
        seeds[name] = bytes([mode, split]) + data

    add("healthz", 0, req("GET", "/healthz", auth=None))
    add("readyz", 0, req("GET", "/readyz", auth=None))
    add("readyz_drain", DRAIN, req("GET", "/readyz", auth=None))
    add("metrics", 0, req("GET", "/metrics", auth=None))
    add("metrics_private", PRIVATE, req("GET", "/metrics"))
    add("metrics_post", 0, req("POST", "/metrics", "{}", auth=None))
    add("list", AUTH, req("GET", "/plugins/v1"))
    add("list_slash", AUTH, req("GET", "/plugins/v1/"))
    add("plugin", AUTH, req("GET", "/plugins/v1/echo"))
    add("plugin_type", AUTH, req("GET", "/plugins/v1/plain"))
    add("plugin_down", 0, req("GET", "/plugins/v1/down"))
    add("plugin_none", 0, req("GET", "/plugins/v1/nosuch"))
    add("no_token", AUTH, req("GET", "/plugins/v1", auth=None))
    add("wrong_token", AUTH, req("GET", "/plugins/v1", auth="fuzz-token"))
    add("create", AUTH, req("POST", "/plugins/v1/echo/v1", tt))
    add("create_put", 0, req("PUT", "/plugins/v1/echo/v2", tt))
    add("create_plain", 0, req("POST", "/plugins/v1/plain/v1", tt))
    add("create_meta", 0, req("POST", "/plugins/v1/echo/v1",
        {"task_template": {"meta": {"job": "abc", "n": [1, 2.5, None]}}}))
    for mode in ("defer", "slow", "busy", "full", "nometa"):
        add("create_" + mode, 0, req("POST", "/plugins/v1/echo/v1",
            {"task_template": {"mode": mode, "arg": 9}}))
    add("create_error", 0, req("POST", "/plugins/v1/echo/v1",
        {"task_template": {"mode": "error", "code": "NOT_FOUND"}}))
    add("create_big", 0, req("POST", "/plugins/v1/echo/v1",
        {"task_template": {"mode": "big", "arg": 9000}}))
    add("create_down", 0, req("POST", "/plugins/v1/down/v1", tt))
    add("create_sleep_ok", AUTH, req("POST", "/plugins/v1/sleep/v3", tt,
        auth=TOKEN2))
    add("create_sleep_403", AUTH, req("POST", "/plugins/v1/sleep/v3", tt))
    add("create_notype", 0, req("POST", "/plugins/v1/nosuch/v1", tt))
    add("create_nobody", 0, req("POST", "/plugins/v1/echo/v1"))
    add("create_badjson", 0, req("POST", "/plugins/v1/echo/v1", "{\"a\":"))
    add("create_array", 0, req("POST", "/plugins/v1/echo/v1", "[1]"))
    add("create_get", 0, req("GET", "/plugins/v1/echo/v1"))
    add("get", 0, req("GET", "/plugins/v1/echo/v1/" + u1))
    add("get_defer", 0, req("GET", "/plugins/v1/echo/v2/" + u2))
    add("get_odd", 0, req("GET", "/plugins/v1/echo/v1/" + odd))
    add("get_wrongtype", 0, req("GET", "/plugins/v1/echo/v2/" + u1))
    add("get_signed", KEYS | AUTH, req("GET", "/plugins/v1/echo/v1/" + s1))
    add("get_forged", KEYS, req("GET", "/plugins/v1/echo/v1/" + u1))
    add("get_bad", 0, req("GET", "/plugins/v1/echo/v1/!!!"))
    add("delete", 0, req("DELETE", "/plugins/v1/echo/v1/" + u1))
    add("delete_sleep", KEYS | AUTH, req("DELETE", "/plugins/v1/sleep/v3/" +
        sl, auth=TOKEN2))
    add("patch", 0, req("PATCH", "/plugins/v1/echo/v1/" + u1, "{}"))
    add("too_deep", 0, req("GET", "/plugins/v1/a/b/c/d/e"))
    add("double_slash", 0, req("GET", "/plugins/v1/echo//v1"))
    add("query", 0, req("GET", "/plugins/v1/echo?x=1&y"))
    add("agents", AUTH, req("GET", "/api/v1/agents"))
    add("agent", 0, req("GET", "/api/v1/agent/echo"))
    add("agent_create", AUTH, req("POST", "/api/v1/agent/task",
        {"template": {"type": "echo", "task_type_version": 2,
                      "custom": {"a": 1}}, "inputs": {}}))
    add("agent_create_v0", 0, req("POST", "/api/v1/agent/task",
        {"template": {"type": "plain", "mode": "defer"}}))
    add("agent_create_bad", 0, req("POST", "/api/v1/agent/task",
        {"template": {"type": 5}}))
    add("agent_get", 0, req("GET", "/api/v1/agent/task/echo/1/" + u1))
    add("agent_get_any", KEYS, req("GET", "/api/v1/agent/task/echo/0/" + s1))
    add("agent_delete", 0, req("DELETE",
        "/api/v1/agent/task_executions/echo/1/" + u1))
    add("agent_badver", 0, req("GET", "/api/v1/agent/task/echo/x/" + u1))
    add("not_found", 0, req("GET", "/nope", auth=None))
    # framing
    piece = b'k_template": {"mode": "defer"}}'
    chunked = (b"POST /plugins/v1/echo/v1 HTTP/1.1\r\nHost: x\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n"
               b"5\r\n{\"tas\r\n" + b"%x;ext=1\r\n" % len(piece) + piece +
               b"\r\n0\r\nTrailer: x\r\n\r\n")
    add("chunked", 0, chunked)
    add("chunked_small", SMALL, chunked, 3)
    add("chunked_bytes", BYTES, chunked, 90)
    add("continue", 0, req("POST", "/plugins/v1/echo/v1", tt,
        headers=["Expect: 100-continue"]), 120)
    add("both_lengths", 0, req("POST", "/plugins/v1/echo/v1", "0\r\n\r\n",
        headers=["Content-Length: 5", "Transfer-Encoding: chunked"]))
    add("dup_length", 0, req("POST", "/plugins/v1/echo/v1", "{}",
        headers=["Content-Length: 2", "Content-Length: 3"]))
    add("bad_chunk", 0, req("POST", "/plugins/v1/echo/v1",
        "zz\r\n{}\r\n0\r\n\r\n", headers=["Transfer-Encoding: chunked"]))
    add("te_http10", 0, req("POST", "/plugins/v1/echo/v1",
        "2\r\n{}\r\n0\r\n\r\n", headers=["Transfer-Encoding: chunked"],
        version="1.0"))
    add("bare_lf", 0, b"GET /healthz HTTP/1.1\nHost: x\n\n")
    add("space_name", 0, b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n")
    add("http10_keepalive", 0, req("GET", "/healthz", version="1.0",
        headers=["Connection: keep-alive"]) + req("GET", "/readyz",
        version="1.0"))
    add("close", 0, req("GET", "/healthz", headers=["Connection: close"]) +
        req("GET", "/healthz"))
    add("traceparent", 0, req("POST", "/plugins/v1/echo/v1", tt, headers=[
        "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"
        "-01", "traceparent: 00-dup"]))
    add("upgrade", 0, req("GET", "/healthz", headers=[
        "Connection: Upgrade", "Upgrade: websocket"]) + b"junk")
    add("connect", 0, b"CONNECT localhost:80 HTTP/1.1\r\nHost: x\r\n\r\n")
    add("head", 0, req("HEAD", "/healthz"))
    add("http2", 0, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    add("garbage", 0, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    add("pipeline", TWO, req("GET", "/healthz") + req("POST",
        "/plugins/v1/echo/v1", {"task_template": {"mode": "slow"}}) +
        req("GET", "/plugins/v1/echo/v1/" + u2) +
        req("DELETE", "/plugins/v1/echo/v1/" + u1) + req("GET", "/metrics"),
        60)
    add("pipeline_abrupt", ABRUPT, req("GET", "/healthz") + req("POST",
        "/plugins/v1/echo/v1", {"task_template": {"mode": "slow"}}) +
        req("GET", "/healthz"))
    add("tiny_body", TINY, req("POST", "/plugins/v1/echo/v1",
        {"task_template": {"x": "y" * 100}}))
    add("tiny_header", TINY, req("GET", "/healthz",
        headers=["X-Long: " + "a" * 300]))
    add("tiny_chunked", TINY, req("POST", "/plugins/v1/echo/v1",
        "40\r\n" + "a" * 64 + "\r\n40\r\n" + "b" * 64 + "\r\n0\r\n\r\n",
        headers=["Transfer-Encoding: chunked"]))
    add("long_url", 0, req("GET", "/plugins/v1/" + "a" * 8200))
    # the framing corpus of tests/e2e/framing/, one seed per case
    framing = os.path.join(TOP, "tests", "e2e", "framing")
    for name in sorted(os.listdir(framing)):
        with open(os.path.join(framing, name), "rb") as f:
            add("framing_" + name, 0, f.read())
    add("many_headers", 0, req("GET", "/healthz",
        headers=["X-%d: %d" % (i, i) for i in range(110)]))
    add("incomplete", 0, b"POST /plugins/v1/echo/v1 HTTP/1.1\r\n"
        b"Content-Length: 100\r\n\r\n{")
    return seeds


# Mode byte of fuzz_line.c: bit 0 truncate, bits 1-3 the maximum
# (1, 2, 3, 7, 16, 64, 300, default), 0x10 through a pipe.
def line_seeds():
    hello = json.dumps({"hello": {"protocol": 1, "name": "echo",
                                  "concurrency": 4, "task_types": [
                                      {"type": "echo",
                                       "versions": ["v1", "v2"]},
                                      {"type": "plain"}]}}).encode()
    resp = (b'{"id":1,"resource_meta":{"job":"x"},"resource":{"phase":'
            b'"RUNNING"}}\n{"id":2,"error":{"code":"NOT_FOUND",'
            b'"message":"gone"}}\n{"id":3,"resource":{"phase":"SUCCEEDED",'
            b'"outputs":{"y":[1,2.5,null,true,"\\u00e9"]}}}\r\n')
    seeds = {
        "hello": (7 << 1, hello + b"\n"),
        "hello_pipe": (0x10 | (7 << 1), hello + b"\n" + resp),
        "responses": (7 << 1, resp),
        "responses_300": (6 << 1, resp),
        "truncate_16": (1 | (4 << 1), resp + b"x" * 40),
        "truncate_pipe": (0x10 | 1 | (3 << 1), resp),
        "overflow_64": (5 << 1, hello + b"\n"),
        "hello_bad": (7 << 1, b'{"hello":{"protocol":2}}\n{"hello":{"proto'
                      b'col":1,"concurrency":0}}\n{"hello":{"protocol":1,'
                      b'"task_types":[{"type":"a/b"}]}}\n{"hello":{"protoc'
                      b'ol":1,"name":5}}\n{"hello":[]}\n'),
        "junk": (7 << 1, b'[1]\n"s"\n{"a":1,"a":2}\n{"a":1} x\n\xff\xfe\n'
                 b'{"a":"\\u0000"}\n{"a\x00":1}\n\n\r\n{}\n'),
        "deep": (7 << 1, b'{"a":' * 70 + b"1" + b"}" * 70 + b"\n"),
        "crlf_small": (1 | (1 << 1), b"a\r\nb\r\r\n\rc\n"),
        "ids": (7 << 1, b'{"id":-1}\n{"id":1.5}\n{"id":"3"}\n'
                b'{"id":18446744073709551615}\n{"id":9223372036854775807}\n'),
    }
    return {k: bytes([m, 5]) + v for k, (m, v) in seeds.items()}


def rid_seeds():
    seeds = {
        "unsigned": b"\x00" + rid("echo", "v1", {"job": 1}).encode(),
        "signed": b"\x00" + rid("echo", "v1", {"a": [1, 2]},
                                RID_KEY1).encode(),
        "null_meta": b"\x00" + rid("t", "v9", None).encode(),
        "bad_b64": b"\x00eyJ2IjoxfQ=.",
        "not_doc": b"\x00" + b64url(b'{"v":2,"t":"x","ver":"v1","m":1}')
        .encode(),
        "encode": b"\x01\x05\x21echo\x00v1\x00{\"job\":\"x\",\"n\":1}",
        "encode_empty": b"\x01\x00\x00\x00\x00",
        "encode_utf8": b"\x01\x09\x03\xc3\xa9t\x00v\x00[\"\xe2\x82\xac\"]",
    }
    return seeds


def config_seeds():
    seeds = {}
    for path in ("conf/nebula-plugind.yaml", "tests/fixtures/conf/full.yaml"):
        with open(os.path.join(TOP, path), "rb") as f:
            seeds[os.path.basename(path)] = f.read()
    man = os.path.join(TOP, "man/nebula-plugind.yaml.5")
    with open(man, encoding="utf-8") as f:
        text = f.read()
    n = 0
    for block in text.split(".Bd -literal")[1:]:
        body = block.split(".Ed")[0].split("\n", 1)[1]
        if ":" in body:
            n += 1
            seeds["man%d.yaml" % n] = body.replace("\\e", "\\").encode()
    seeds["minimal.yaml"] = b"plugins:\n  - name: a\n    command: [a]\n"
    seeds["flow.yaml"] = (b"{listen: [':8000', '[::]:1'], plugins: [{name: "
                          b"x, command: [/bin/true], task_types: [{type: "
                          b"t, versions: [v1]}], env: {A: 1}}]}\n")
    seeds["anchors.yaml"] = (b"base: &b {instances: 2}\nplugins:\n  - name: "
                             b"a\n    command: [a]\n    <<: *b\n")
    seeds["duration.txt"] = b"1.5ms"
    seeds["size.txt"] = b"512KiB"
    return seeds


def h2_frame(ftype, flags, sid, payload=b""):
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + \
        sid.to_bytes(4, "big") + payload


def h2_hpack(headers):
    """Literal fields without indexing, no Huffman, short strings."""
    out = b""
    for name, value in headers:
        out += b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + \
            value
    return out


def h2_seeds():
    """fuzz_h2: a mode byte, then what follows the connection preface."""
    def headers(path, extra=()):
        return h2_hpack([(b":method", b"POST"), (b":scheme", b"http"),
                         (b":path", path), (b":authority", b"f"),
                         (b"content-type", b"application/grpc"),
                         (b"te", b"trailers")] + list(extra))

    def msg(data, flag=0):
        return bytes([flag]) + len(data).to_bytes(4, "big") + data

    settings = h2_frame(4, 0, 0)
    seeds = {}

    def call(name, path, body, extra=(), mode=0, end=1):
        seeds[name] = bytes([mode]) + settings + \
            h2_frame(1, 4, 1, headers(path, extra)) + \
            h2_frame(0, end, 1, body)

    call("echo", b"/t.T/Echo", msg(b"hello"))
    call("echo-written", b"/t.T/Echo", msg(b"hello"), mode=2)
    call("bidi", b"/t.T/Bidi", msg(b"a") + msg(b"bb") + msg(b""))
    call("fail", b"/t.T/Fail", msg(b"caf\xc3\xa9 100%\n"))
    call("hold", b"/t.T/Hold", msg(b"x"), end=0)
    call("unknown", b"/t.T/Nope", msg(b"x"))
    call("big", b"/t.T/Echo", msg(b"z" * 100), mode=1)
    call("compressed", b"/t.T/Echo", msg(b"x", 1))
    call("timeout", b"/t.T/Echo", msg(b"x"), [(b"grpc-timeout", b"15m")])
    call("gzip", b"/t.T/Echo", msg(b"x"), [(b"grpc-encoding", b"gzip")])
    seeds["reset"] = bytes([0]) + settings + b"".join(
        h2_frame(1, 4, 2 * i + 1, headers(b"/t.T/Hold")) +
        h2_frame(3, 0, 2 * i + 1, (8).to_bytes(4, "big"))
        for i in range(8))
    seeds["window"] = bytes([0]) + h2_frame(4, 0, 0, bytes(
        [0, 4, 0, 0, 0, 0])) + h2_frame(1, 4, 1, headers(b"/t.T/Bidi")) + \
        h2_frame(0, 0, 1, msg(b"w" * 40)) + h2_frame(6, 0, 0, b"12345678")
    seeds["garbage"] = bytes([0]) + b"GARBAGE" * 4
    return seeds


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    for target, seeds in (("fuzz_h2", h2_seeds()),
                          ("fuzz_http", http_seeds()),
                          ("fuzz_line", line_seeds()),
                          ("fuzz_rid", rid_seeds()),
                          ("fuzz_config", config_seeds())):
        for name, data in seeds.items():
            write(target, name, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
