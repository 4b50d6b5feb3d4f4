#!/usr/bin/env python3
"""Raw HTTP for the end-to-end tests: sends stdin's bytes to HOST PORT in one
write (or one byte at a time with --slow), half-closes unless --keep, and
prints everything the server answers until it closes or stays quiet."""
import socket
import sys
import time


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = [a for a in sys.argv[1:] if a.startswith("--")]
    host, port = args[0], int(args[1])
    data = sys.stdin.buffer.read()
    s = socket.create_connection((host, port), timeout=10)
    try:
        if "--slow" in flags:
            for i in range(len(data)):
                s.sendall(data[i:i + 1])
                time.sleep(0.002)
        else:
            s.sendall(data)
        if "--keep" not in flags:
            s.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # the server may answer and close before it has read it all
    out = b""
    s.settimeout(5 if "--keep" in flags else 20)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    sys.stdout.buffer.write(out)


main()
