"""Connect a TCP socket from inside a named network namespace (`ip netns` name).

The lab and the engine's test fixtures live in sealed namespaces the controller process is
not in. setns(2) switches only the calling thread, so the socket is made in a worker
thread that switches in, connects, and switches back; the socket keeps its namespace.
"""

from __future__ import annotations

import ctypes
import os
import socket
from collections.abc import Callable

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def connect_in(netns: str, address: str, port: int, timeout: float = 10.0) -> socket.socket:
    """A connected socket to address:port, created in /run/netns/<netns>. Needs root."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
        finally:
            _setns(own)
    finally:
        os.close(own)
        os.close(target)
    sock.settimeout(None)
    return sock


def factory(netns: str) -> Callable[[str, int], socket.socket]:
    def make(address: str, port: int) -> socket.socket:
        return connect_in(netns, address, port)
    return make
