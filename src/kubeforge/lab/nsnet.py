"""Sockets opened inside a network namespace, so Python code on the host (asyncssh, readiness
checks) can talk to lab addresses without any route from the host's root namespace.

A socket keeps the namespace it was created in; setns() only switches the calling thread, so
the switch happens in a short-lived worker thread and the rest of the process never moves.
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from pathlib import Path

from kubeforge.errors import LabError

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def connect(netns: str, address: str, port: int, timeout: float = 5.0) -> socket.socket:
    """A TCP connection to address:port made from inside `netns` (a name under /run/netns)."""
    result: list[socket.socket | Exception] = []

    def worker() -> None:
        try:
            _enter(netns)
            result.append(socket.create_connection((address, port), timeout=timeout))
        except (OSError, LabError) as exc:  # handed to the caller's thread below
            result.append(exc)

    thread = threading.Thread(target=worker, name=f"netns-{netns}")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, Exception):
        raise outcome
    outcome.settimeout(None)
    return outcome


def port_open(netns: str, address: str, port: int, timeout: float = 1.0) -> bool:
    try:
        connect(netns, address, port, timeout).close()
    except OSError:
        return False
    return True


def _enter(netns: str) -> None:
    path = Path("/run/netns") / netns
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise LabError(f"network namespace {netns} does not exist: run `kubeforge lab up`") from None
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise LabError(f"setns into {netns} failed: {os.strerror(err)} (needs root)")
    finally:
        os.close(fd)
