"""Runs uvicorn like `python3 -m uvicorn`, with TCP_NODELAY working.

With --workers, uvicorn 0.17 binds the listening socket itself as
socket.socket(AF_INET) whose proto is 0, and hands it to each worker.
asyncio only sets TCP_NODELAY on accepted sockets whose listening socket
says proto == IPPROTO_TCP (base_events._set_nodelay), so every keep-alive
answer then waits for the client's delayed ACK (~40 ms).  This wrapper
re-labels the bound socket with proto IPPROTO_TCP (same descriptor; the
label survives the pickling to the workers), which is all it takes.
"""
import socket
import sys

import uvicorn.config
from uvicorn.main import main as uvicorn_main

_bind_socket = uvicorn.config.Config.bind_socket


def bind_socket(self):
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP,
                             fileno=sock.detach())
    return sock


uvicorn.config.Config.bind_socket = bind_socket

if __name__ == "__main__":
    sys.argv[0] = "uvicorn"
    sys.exit(uvicorn_main())
