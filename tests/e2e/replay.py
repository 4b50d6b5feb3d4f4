#!/usr/bin/env python3
"""Replays request files for the framing tests, each on its own
connection: sends its bytes to HOST PORT in one write without
half-closing, reads the first response, and prints one line "FILE STATUS
STATE" (FILE its base name): its status ("none" for no answer) and whether
the server then closed the connection ("close") or still answers a second
request on it ("open").  One process for the whole corpus."""
import os
import socket
import sys

PROBE = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"


def read_response(s, buf):
    """One response off the socket: (status, rest) or (None, buf) at EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            return None, buf
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest[length:]


def replay(host, port, path):
    """The "STATUS STATE" of one file."""
    with open(path, "rb") as f:
        data = f.read()
    s = socket.create_connection((host, port), timeout=20)
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may answer and close before it has read it all
    try:
        status, rest = read_response(s, b"")
    except (socket.timeout, ConnectionResetError):
        status, rest = None, b""
    if status is None:
        s.close()
        return "none close"
    # Did the server close?  Ask again on the same connection.
    state = "close"
    try:
        s.sendall(PROBE)
        second, _ = read_response(s, rest)
        if second is not None:
            state = "open"
    except (OSError, socket.timeout):
        pass
    s.close()
    return "%d %s" % (status, state)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    for path in sys.argv[3:]:
        print("%s %s" % (os.path.basename(path), replay(host, port, path)),
              flush=True)


main()
