"""A client that pipelines and never reads (issue 15's memory goal).

Usage: noread.py HOST PORT CONNECTIONS SECONDS

Opens CONNECTIONS keep-alive connections and on each writes pipelined
creates (the seed's tiny body) for SECONDS without ever reading an answer,
then prints "sent REQUESTS" and holds the connections open until its
standard input closes, so that the caller can read the server's RSS with
them in place.
"""
import select
import socket
import sys
import time

BODY = (b'{"task_template":{"type":"echo","custom":{"sql":"select 1"}},'
        b'"inputs":{"x":1},"output_prefix":"s3://bucket/prefix"}')
REQ = (b"PUT /plugins/v1/echo/v1 HTTP/1.1\r\nHost: bench\r\n"
       b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
       % len(BODY)) + BODY


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    conns, secs = int(sys.argv[3]), float(sys.argv[4])
    socks = []
    for _ in range(conns):
        s = socket.create_connection((host, port))
        s.setblocking(False)
        socks.append(s)
    chunk = REQ * 64
    sent = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        _, writable, _ = select.select([], socks, [], 0.1)
        for s in writable:
            try:
                sent += s.send(chunk)
            except (BlockingIOError, ConnectionError):
                pass
    print("sent %d" % (sent // len(REQ)), flush=True)
    sys.stdin.read()
    for s in socks:
        s.close()


if __name__ == "__main__":
    main()
