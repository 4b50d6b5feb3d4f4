#!/usr/bin/env python3
"""A client that pipelines without pause, for the fairness tests.

pipeline.py HOST PORT COUNTFILE [PATH]   one connection; one thread sends
    GET PATH (default /healthz) requests back to back, in batches, without
    waiting for answers; another reads the answers and writes how many 200s
    it has had into COUNTFILE every 1000.  Runs until it is killed or the
    server closes the connection.
"""
import os
import socket
import sys
import threading


def main():
    host, port, countfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    path = sys.argv[4] if len(sys.argv) > 4 else "/healthz"
    s = socket.create_connection((host, port))
    batch = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode() * 100

    def send():
        try:
            while True:
                s.sendall(batch)
        except OSError:
            pass

    threading.Thread(target=send, daemon=True).start()
    mark, tail, count, noted = b"HTTP/1.1 200 ", b"", 0, 0
    while True:
        data = s.recv(1 << 16)
        if not data:
            break
        data = tail + data
        count += data.count(mark)
        tail = data[-(len(mark) - 1):]
        if count - noted >= 1000:
            noted = count
            with open(countfile + ".tmp", "w") as f:
                f.write("%d\n" % count)
            os.replace(countfile + ".tmp", countfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
