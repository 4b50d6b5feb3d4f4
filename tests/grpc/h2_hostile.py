#!/usr/bin/env python3
"""Hostile HTTP/2 peers against grpc_testserver, on raw sockets with
hand-built frames: garbage after the preface, a stream reset flood, a
window that never opens, a client that vanishes mid-stream, a connection
that never sends its SETTINGS, an oversized header block.  A grpcio channel
opened before them must still be served after them.  Usage: h2_hostile.py
PORT (the server run with -b 65536 -w 2 -H 2).  Prints ok / not ok lines."""

import socket
import struct
import sys

import grpc
import tap  # noqa: E402
from tap import ok as report  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = \
    0, 1, 3, 4, 6, 7, 9
END_STREAM, ACK, END_HEADERS = 1, 1, 4


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + \
        struct.pack(">BBI", ftype, flags, sid) + payload


def hpack_int(n, bits, first=0):
    top = (1 << bits) - 1
    if n < top:
        return bytes([first | n])
    out = [first | top]
    n -= top
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return bytes(out)


def hpack(headers):
    """Literal fields without indexing, no Huffman."""
    out = b""
    for name, value in headers:
        out += b"\x00" + hpack_int(len(name), 7) + name + \
            hpack_int(len(value), 7) + value
    return out


def request(path, extra=()):
    return hpack([(b":method", b"POST"), (b":scheme", b"http"),
                  (b":path", path), (b":authority", b"test"),
                  (b"content-type", b"application/grpc"),
                  (b"te", b"trailers")] + list(extra))


def message(data):
    return b"\x00" + struct.pack(">I", len(data)) + data


class Peer:
    def __init__(self, port, settings=b""):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.s.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))

    def send(self, data):
        try:
            self.s.sendall(data)
            return True
        except OSError:
            return False

    def read_frame(self):
        """(type, flags, stream, payload), or None at EOF or reset."""
        while True:
            if len(self.buf) >= 9:
                n = struct.unpack(">I", b"\x00" + self.buf[:3])[0]
                if len(self.buf) >= 9 + n:
                    t, f, sid = struct.unpack(">BBI", self.buf[3:9])
                    p = self.buf[9:9 + n]
                    self.buf = self.buf[9 + n:]
                    if t == SETTINGS and not f & ACK:
                        self.send(frame(SETTINGS, ACK, 0))
                    return t, f, sid & 0x7fffffff, p
            try:
                d = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                return None
            if not d:
                return None
            self.buf += d

    def frames_until_eof(self):
        out = []
        while True:
            fr = self.read_frame()
            if fr is None:
                return out
            out.append(fr)

    def wait_ping(self):
        self.send(frame(PING, 0, 0, b"12345678"))
        while True:
            fr = self.read_frame()
            if fr is None or (fr[0] == PING and fr[1] & ACK):
                return fr is not None

    def vanish(self):
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                          struct.pack("ii", 1, 0))
        self.s.close()

    def close(self):
        self.s.close()


def goaway_code(frames):
    for t, _, _, p in frames:
        if t == GOAWAY:
            return struct.unpack(">I", p[4:8])[0]
    return None


def main():
    port = int(sys.argv[1])
    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    echo = ch.unary_unary("/test.Test/Echo")
    report("a grpcio channel is served before the hostile peers",
           echo(b"before", timeout=30) == b"before")

    p = Peer(port)
    p.send(b"GARBAGE-NOT-A-FRAME" * 5)
    fr = p.frames_until_eof()
    report("garbage after the preface: GOAWAY and close",
           goaway_code(fr) is not None, fr)
    p.close()

    p = Peer(port)
    blob = b""
    for i in range(1000):
        sid = 2 * i + 1
        blob += frame(HEADERS, END_HEADERS, sid, request(b"/test.Test/Hold"))
        blob += frame(RST_STREAM, 0, sid, struct.pack(">I", 8))
    p.send(blob)
    fr = p.frames_until_eof()
    report("a reset flood is cut off with GOAWAY ENHANCE_YOUR_CALM",
           goaway_code(fr) == 0xb, goaway_code(fr))
    p.close()
    report("the other connection is still served during the flood",
           echo(b"during", timeout=30) == b"during")

    # SETTINGS_INITIAL_WINDOW_SIZE 0: no DATA may ever reach us.
    p = Peer(port, struct.pack(">HI", 4, 0))
    p.send(frame(HEADERS, END_HEADERS, 1, request(b"/test.Test/Stream")) +
           frame(DATA, END_STREAM, 1, message(b"1000 65536")))
    fr = p.frames_until_eof()
    report("a window that never opens: no DATA, the connection is closed",
           not any(t == DATA for t, _, _, _ in fr) and
           any(t == HEADERS and sid == 1 for t, _, sid, _ in fr),
           [(t, sid) for t, _, sid, _ in fr])
    p.close()

    p = Peer(port)
    p.send(frame(HEADERS, END_HEADERS, 1, request(b"/test.Test/Hold")) +
           frame(DATA, 0, 1, message(b"vanish")) +
           frame(HEADERS, END_HEADERS, 3, request(b"/test.Test/Later")) +
           frame(DATA, END_STREAM, 3, message(b"orphan")) +
           frame(HEADERS, END_HEADERS, 5, request(b"/test.Test/Stream")) +
           frame(DATA, END_STREAM, 5, message(b"200 16384")))
    ok = p.wait_ping()
    p.vanish()
    report("a client that vanishes mid-stream (held, late, streaming calls)",
           ok)

    p = Peer(port)
    p.s.close()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(PREFACE)
    data, closed = b"", False
    while True:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            closed = isinstance(sys.exc_info()[1], ConnectionResetError)
            break
        if not d:
            closed = True
            break
        data += d
    report("a connection that never sends its SETTINGS is closed", closed)
    s.close()

    p = Peer(port)
    block = request(b"/test.Test/Echo", [(b"x-big", b"b" * 20000)])
    p.send(frame(HEADERS, 0, 1, block[:16000]) +
           frame(CONTINUATION, END_HEADERS, 1, block[16000:]))
    got = None
    while True:
        fr = p.read_frame()
        if fr is None or fr[2] == 1:
            got = fr
            break
    report("a header block over max_header_bytes is refused",
           got is not None and (got[0] == RST_STREAM or
                                (got[0] == HEADERS and got[1] & END_STREAM)),
           got)
    report("and the connection goes on", p.wait_ping())
    p.close()

    report("the grpcio channel is still served after them",
           echo(b"after", timeout=30) == b"after")
    ch.close()
    return 1 if tap.FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
