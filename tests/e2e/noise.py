#!/usr/bin/env python3
"""Hostile clients for the end-to-end tests.

noise.py HOST PORT random N    N connections at once, each sending random
                               bytes, then reading until the server closes
noise.py HOST PORT slowloris S  one request head sent one byte every S
                               seconds; prints how many bytes went out
                               before the server cut it off, and what it said
"""
import os
import random
import select
import socket
import sys
import time


def random_clients(host, port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        socks.append(s)
    rng = random.Random(7)
    for s in socks:
        try:
            s.sendall(os.urandom(rng.randint(1, 4096)))
        except OSError:
            pass
    answered = 0
    for s in socks:
        try:
            s.shutdown(socket.SHUT_WR)
            data = s.recv(65536)
            if data.startswith(b"HTTP/1.1 4"):
                answered += 1
        except OSError:
            pass
        s.close()
    print(answered)


def slowloris(host, port, delay):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60 + \
        b"\r\n\r\n"
    s = socket.create_connection((host, port), timeout=30)
    sent = 0
    said = b""
    try:
        for i in range(len(head)):
            # Whatever the server says, read it before it can be lost.
            if select.select([s], [], [], 0)[0]:
                said = s.recv(4096)
                break
            s.sendall(head[i:i + 1])
            sent += 1
            time.sleep(delay)
    except OSError:
        pass
    line = said.split(b"\r\n")[0].decode(errors="replace")
    print(sent, len(head), line or "(closed)")


def main():
    host, port, mode, arg = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
        sys.argv[4]
    if mode == "random":
        random_clients(host, port, int(arg))
    else:
        slowloris(host, port, float(arg))


main()
