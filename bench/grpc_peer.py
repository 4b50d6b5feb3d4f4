"""The gRPC peer of `make bench`: an agent served the way flytekit serves
its agents (a grpcio server with a thread pool of 10 workers), answering
AsyncAgentService/CreateTask like our echo plugin (the request's inputs kept
in resource_meta).  It uses the message classes tests/grpc/gen-stubs.sh
generates from Flyte's pinned protos, with a generic handler by path.

Usage: grpc_peer.py serve PORT STUBS_DIR
       grpc_peer.py check HOST:PORT STUBS_DIR BODY
The second sends BODY (a length-prefixed message, as bench/bodies.py writes
it) once with a real gRPC client and exits 0 when the status is OK and
resource_meta is not empty: h2load counts HTTP statuses, not grpc-status.
"""
import concurrent.futures
import json
import struct
import sys
import time

sys.path.insert(0, sys.argv[3])
import grpc  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from flyteidl.admin import agent_pb2 as A  # noqa: E402

SERVICE = "flyteidl.service.AsyncAgentService"


def create(req, context):
    inputs = json_format.MessageToDict(req.inputs,
                                       preserving_proto_field_name=True)
    meta = json.dumps({"inputs": inputs}, separators=(",", ":"))
    return A.CreateTaskResponse(resource_meta=meta.encode())


def serve(port):
    server = grpc.server(
        concurrent.futures.ThreadPoolExecutor(max_workers=10))
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        "CreateTask": grpc.unary_unary_rpc_method_handler(
            create, request_deserializer=A.CreateTaskRequest.FromString,
            response_serializer=A.CreateTaskResponse.SerializeToString)})
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port("127.0.0.1:%s" % port)
    server.start()
    while True:
        time.sleep(3600)


def check(addr, body):
    with open(body, "rb") as f:
        data = f.read()
    _, n = struct.unpack(">BI", data[:5])
    req = A.CreateTaskRequest.FromString(data[5:5 + n])
    chan = grpc.insecure_channel(addr)
    grpc.channel_ready_future(chan).result(timeout=20)
    call = chan.unary_unary(
        "/%s/CreateTask" % SERVICE,
        request_serializer=A.CreateTaskRequest.SerializeToString,
        response_deserializer=A.CreateTaskResponse.FromString)
    try:
        resp = call(req, timeout=10)
    except grpc.RpcError as e:
        sys.exit("grpc_peer: %s: %s %s" % (addr, e.code(), e.details()))
    if not resp.resource_meta:
        sys.exit("grpc_peer: %s: no resource_meta" % addr)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[4])
