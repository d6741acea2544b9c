"""TCP connections for the SSH transport, opened in this process's network namespace or inside
a named one (under /run/netns), so Python code on the host (asyncssh, readiness checks) can talk
to addresses that only exist in a namespace, with no route from the host's root namespace.

A socket keeps the namespace it was created in; setns() only switches the calling thread, so
the switch happens in a short-lived worker thread and the rest of the process never moves.

The one home of this logic, at the bottom of the layers: the lab uses it for its readiness
checks, the engine for an endpoint that recorded a namespace (data, not lab code).
"""

from __future__ import annotations

import ctypes
import os
import socket
import threading
from pathlib import Path

from kubeforge.errors import KubeforgeError

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")
_libc = ctypes.CDLL(None, use_errno=True)


class NamespaceError(KubeforgeError):
    """The namespace a connection must start in is missing or cannot be entered."""


def connect(netns: str | None, address: str, port: int, timeout: float = 5.0) -> socket.socket:
    """A TCP connection to address:port, made from inside `netns` (None: from here)."""
    if netns is None:
        return socket.create_connection((address, port), timeout=timeout)
    result: list[socket.socket | Exception] = []

    def worker() -> None:
        try:
            _enter(netns)
            result.append(socket.create_connection((address, port), timeout=timeout))
        except (OSError, NamespaceError) as exc:  # handed to the caller's thread below
            result.append(exc)

    thread = threading.Thread(target=worker, name=f"netns-{netns}")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, Exception):
        raise outcome
    outcome.settimeout(None)
    return outcome


def port_open(netns: str | None, address: str, port: int, timeout: float = 1.0) -> bool:
    try:
        connect(netns, address, port, timeout).close()
    except OSError:
        return False
    return True


def _enter(netns: str) -> None:
    path = NETNS_DIR / netns
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise NamespaceError(f"network namespace {netns} does not exist: the machines recorded "
                             "behind it are down (the lab: `kubeforge lab up`)") from None
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NamespaceError(f"setns into {netns} failed: {os.strerror(err)} (needs root)")
    finally:
        os.close(fd)
