"""Run the real config checkers, in throwaway namespaces where they need interfaces or paths.

`unshare` namespaces die with the process: nothing to clean up, nothing reaches the host's
network or its /etc. Interfaces are veth pairs (dummy links do not work on every kernel).
"""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address

import pytest


def need(program: str) -> str:
    """Missing checkers fail (never skip): scripts/apt-packages.txt installs them."""
    path = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if path is None:
        pytest.fail(f"{program} not found: install the packages in scripts/apt-packages.txt")
    return path


def run(args: list[str], script: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, check=False, input=script, capture_output=True, text=True, timeout=120
    )


def veth_lines(links: dict[str, list[str]]) -> str:
    """Shell lines creating interface `name` (with addresses "a.b.c.d/len") in this namespace."""
    lines = ["ip link set lo up"]
    for index, (name, addresses) in enumerate(links.items()):
        lines.append(f"ip link add {name} type veth peer name kft-peer{index}")
        lines += [f"ip addr add {address} dev {name}" for address in addresses]
        lines += [f"ip link set kft-peer{index} up", f"ip link set {name} up"]
    return "\n".join(lines)


def in_namespaces(script: str, mount: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a `set -e` shell script in a new network (and, if asked, mount) namespace."""
    flags = ["-n", "-m"] if mount else ["-n"]
    prelude = "set -eu\n" + ("mount --make-rprivate /\n" if mount else "")
    return run([need("unshare"), *flags, "sh", "-s"], prelude + script)


def cidr(address: IPv4Address, prefix_len: int | None) -> str:
    return f"{address}/{prefix_len}"
