#!/usr/bin/env python3
"""Hostile HTTP/2 peers against the real nebula-plugind serving Flyte's
services, on raw sockets with the frames of h2_hostile.py: garbage after
the preface, a stream reset flood while a grpcio client creates jobs on
another connection, a window that never opens, an oversized message, and
a client that vanishes with calls in flight (a create held by a slow
worker, an ExecuteTaskSync polling an asynchronous job, a stream left
open).  A grpcio channel must be served before, during and after them.
Usage: h2_hostile_daemon.py PORT STUBS_DIR (the daemon run with
max_body_bytes 65536, plugins echo, sleep and tw, the test worker).
Prints ok / not ok lines; the exit status is the number of failures."""

import struct
import sys
import threading

sys.path.insert(0, sys.argv[2])

import grpc  # noqa: E402
from flyteidl.admin import agent_pb2 as A  # noqa: E402
from flyteidl.core import tasks_pb2 as T  # noqa: E402

import h2_hostile as H  # noqa: E402

SVC = b"/flyteidl.service."
CREATE = SVC + b"AsyncAgentService/CreateTask"
LIST = SVC + b"AgentMetadataService/ListAgents"
SYNC = SVC + b"SyncAgentService/ExecuteTaskSync"


def create_req(ttype, custom=None):
    t = T.TaskTemplate(type=ttype)
    if custom is not None:
        t.custom.update(custom)
    return A.CreateTaskRequest(template=t)


def main():
    port = int(sys.argv[1])
    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    create = ch.unary_unary(CREATE.decode(),
                            request_serializer=lambda m: m.SerializeToString()
                            if hasattr(m, "SerializeToString") else m,
                            response_deserializer=A.CreateTaskResponse
                            .FromString)
    agents = ch.unary_unary(LIST.decode(),
                            request_serializer=A.ListAgentsRequest
                            .SerializeToString,
                            response_deserializer=A.ListAgentsResponse
                            .FromString)

    def served():
        try:
            return len(create(create_req("echo"), timeout=30)
                       .resource_meta) > 0
        except grpc.RpcError as e:
            return e

    H.report("a grpcio channel is served before the hostile peers",
             served() is True)

    p = H.Peer(port)
    p.send(b"GARBAGE-NOT-A-FRAME" * 5)
    fr = p.frames_until_eof()
    H.report("garbage after the preface: GOAWAY and close",
             H.goaway_code(fr) is not None, fr)
    p.close()

    # The flood, while another client keeps creating jobs.
    results = []
    stop = threading.Event()

    def keep_creating():
        while not stop.is_set() and len(results) < 500:
            results.append(served())

    th = threading.Thread(target=keep_creating)
    th.start()
    p = H.Peer(port)
    blob = b""
    body = H.message(create_req("echo").SerializeToString())
    for i in range(1000):
        sid = 2 * i + 1
        blob += H.frame(H.HEADERS, H.END_HEADERS, sid, H.request(CREATE))
        blob += H.frame(H.DATA, 0, sid, body)
        blob += H.frame(H.RST_STREAM, 0, sid, struct.pack(">I", 8))
    p.send(blob)
    fr = p.frames_until_eof()
    p.close()
    stop.set()
    th.join()
    H.report("a reset flood is cut off with GOAWAY ENHANCE_YOUR_CALM",
             H.goaway_code(fr) == 0xb, H.goaway_code(fr))
    H.report("the other client's creates all succeed meanwhile",
             len(results) > 0 and all(r is True for r in results),
             [r for r in results if r is not True][:3])

    # SETTINGS_INITIAL_WINDOW_SIZE 0: no DATA may ever reach us.
    p = H.Peer(port, struct.pack(">HI", 4, 0))
    p.send(H.frame(H.HEADERS, H.END_HEADERS, 1, H.request(LIST)) +
           H.frame(H.DATA, H.END_STREAM, 1, H.message(b"")))
    fr = p.frames_until_eof()
    H.report("a window that never opens: no DATA, the connection is closed",
             not any(t == H.DATA for t, _, _, _ in fr) and
             any(t == H.HEADERS and sid == 1 for t, _, sid, _ in fr),
             [(t, sid) for t, _, sid, _ in fr])
    p.close()

    try:
        create(b"\x12" + b"x" * 200000, timeout=30)
        code = grpc.StatusCode.OK
    except grpc.RpcError as e:
        code = e.code()
    H.report("an oversized message: RESOURCE_EXHAUSTED",
             code == grpc.StatusCode.RESOURCE_EXHAUSTED, code)
    p = H.Peer(port)
    p.send(H.frame(H.HEADERS, H.END_HEADERS, 1, H.request(CREATE)) +
           H.frame(H.DATA, 0, 1, struct.pack(">BI", 0, 1 << 30)))
    got = None
    while True:
        fr = p.read_frame()
        if fr is None or fr[2] == 1:
            got = fr
            break
    H.report("a length prefix of 1 GiB is refused at once",
             got is not None, got)
    H.report("and that connection goes on", p.wait_ping())
    p.close()

    p = H.Peer(port)
    hdr = A.ExecuteTaskSyncRequest()
    hdr.header.template.type = "sleep"
    hdr.header.template.custom.update({"seconds": 30})
    p.send(H.frame(H.HEADERS, H.END_HEADERS, 1, H.request(CREATE)) +
           H.frame(H.DATA, H.END_STREAM, 1, H.message(create_req(
               "tw", {"action": "slow", "ms": 1500}).SerializeToString())) +
           H.frame(H.HEADERS, H.END_HEADERS, 3, H.request(SYNC)) +
           H.frame(H.DATA, H.END_STREAM, 3,
                   H.message(hdr.SerializeToString())) +
           H.frame(H.HEADERS, H.END_HEADERS, 5, H.request(SYNC)) +
           H.frame(H.DATA, 0, 5, H.message(hdr.SerializeToString())))
    ok = p.wait_ping()
    p.vanish()
    H.report("a client that vanishes with a held create, a polling "
             "ExecuteTaskSync and an open stream", ok)

    r = agents(A.ListAgentsRequest(), timeout=30)
    H.report("the grpcio channel is still served after them",
             served() is True and any(a.name == "tw" for a in r.agents))
    ch.close()
    return H.tap.FAILED


if __name__ == "__main__":
    sys.exit(main())
