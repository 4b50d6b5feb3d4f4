#!/usr/bin/env python3
"""The gRPC transport seen by a real client: Debian's python3-grpcio with
generic calls (bytes in, bytes out, no stubs) against grpc_testserver.
Usage: grpc_client.py PORT.  Prints one "ok - ..." or "not ok - ..." line
per check and exits 1 if any failed."""

import sys

import grpc
import tap  # noqa: E402
from tap import ok as report  # noqa: E402


def code_of(fn):
    """Runs fn; returns (code, details) of the RpcError, or (OK, result)."""
    try:
        return grpc.StatusCode.OK, fn()
    except grpc.RpcError as e:
        return e.code(), e.details()


def main():
    port = int(sys.argv[1])
    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    grpc.channel_ready_future(ch).result(timeout=30)

    def unary(path):
        return ch.unary_unary(path)

    got = unary("/test.Test/Echo")(b"hello", timeout=30)
    report("unary echo answers the request bytes", got == b"hello", got)
    got = unary("/test.Test/Echo")(b"", timeout=30)
    report("unary echo of an empty message", got == b"", got)
    got = unary("/test.Test/Later")(b"late", timeout=30)
    report("a unary call answered later from a timer", got == b"late", got)
    got = list(ch.unary_stream("/test.Test/Stream")(b"", timeout=30))
    report("server streaming sends 3 messages",
           got == [b"msg-0", b"msg-1", b"msg-2"], got)
    msgs = [b"a", b"bb", b"ccc", b"d" * 60000]
    got = list(ch.stream_stream("/test.Test/Bidi")(iter(msgs), timeout=30))
    report("bidi echoes each message and ends at the client's end",
           got == msgs, [len(m) for m in got])
    code, det = code_of(lambda: unary("/test.Test/Fail")(b"", timeout=30))
    report("a failure carries its status",
           code == grpc.StatusCode.FAILED_PRECONDITION, code)
    report("grpc-message is percent-encoded and decoded back",
           det == "100% broken: caf\u00e9\nsecond line", repr(det))
    got = unary("/test.Test/Timeout")(b"", timeout=20)
    # grpc-core rounds the header up (20 s may travel as 20100m).
    report("grpc-timeout reaches the handler as seconds",
           0.0 < float(got) <= 21.0, got)
    got = unary("/test.Test/Timeout")(b"")
    report("no deadline reads as 0", float(got) == 0.0, got)
    got = unary("/test.Test/Metadata")(
        b"authorization", metadata=(("authorization", "Bearer t0ken"),),
        timeout=30)
    report("metadata reaches the handler", got == b"Bearer t0ken", got)
    got = unary("/grpc.health.v1.Health/Check")(b"", timeout=30)
    report("a method table holds grpc.health.v1.Health/Check", got == b"",
           got)
    code, det = code_of(lambda: unary("/test.Test/Nope")(b"x", timeout=30))
    report("an unknown method answers UNIMPLEMENTED",
           code == grpc.StatusCode.UNIMPLEMENTED, (code, det))
    code, det = code_of(lambda: unary("/test.Test/Echo")(
        b"z" * 100000, timeout=30))
    report("a message over max_body_bytes answers RESOURCE_EXHAUSTED",
           code == grpc.StatusCode.RESOURCE_EXHAUSTED, (code, det))
    code, det = code_of(lambda: unary("/test.Test/Echo")(
        b"z" * 1000, timeout=30, compression=grpc.Compression.Gzip))
    report("a compressed request answers UNIMPLEMENTED",
           code == grpc.StatusCode.UNIMPLEMENTED, (code, det))
    code, det = code_of(lambda: list(ch.stream_stream("/test.Test/Hold")(
        iter([b"deadline"]), timeout=0.5)))
    report("a call past its deadline ends DEADLINE_EXCEEDED",
           code == grpc.StatusCode.DEADLINE_EXCEEDED, (code, det))

    # 200 calls at once on one channel (more than the 100 streams allowed
    # at once: the client queues the rest on the same connection).
    futs = []
    for i in range(200):
        path = "/test.Test/Later" if i % 2 else "/test.Test/Echo"
        futs.append((i, unary(path).future(b"call-%d" % i, timeout=60)))
    bad = [i for i, f in futs if f.result() != b"call-%d" % i]
    report("200 concurrent calls multiplexed on one channel", not bad, bad)
    got = unary("/test.Test/Echo")(b"after", timeout=30)
    report("the channel still serves after them", got == b"after", got)
    ch.close()
    return 1 if tap.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
