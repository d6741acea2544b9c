"""The on-host checker (`agent.py`) and how to start it over SSH without copying files."""

from __future__ import annotations

import base64
import importlib.resources
import sys
import zlib

AGENT_FILE = "agent.py"


def agent_source() -> str:
    return importlib.resources.files(__name__).joinpath(AGENT_FILE).read_text("utf-8")


def remote_command(python: str = "python3", sudo: bool = False) -> str:
    """A shell command that runs the agent from an inline compressed copy.

    The manifest travels on stdin, so the command line stays a fixed, quote-free string
    (base64 has no shell metacharacters) and nothing is written to the host's disk.
    """
    packed = base64.b64encode(zlib.compress(agent_source().encode("utf-8"), 9)).decode()
    # binascii, not base64: a C module, nothing more to import before the checker runs.
    boot = (f"import zlib,binascii;exec(compile(zlib.decompress(binascii.a2b_base64('{packed}')),"
            "'kubeforge-agent','exec'))")
    prefix = "sudo -n " if sudo else ""
    # -S: no site module (the checker is stdlib-only): a few ms less per round trip.
    return f'{prefix}{python} -S -c "{boot}"'


def local_argv() -> list[str]:
    """Run the agent with this interpreter (tests and the local benchmark baseline)."""
    return [sys.executable, "-c", agent_source()]
