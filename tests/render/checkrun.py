"""Run the real config checkers, in throwaway namespaces where they need interfaces or paths.

`unshare` namespaces die with the process: nothing to clean up, nothing reaches the host's
network or its /etc. Interfaces are veth pairs (dummy links do not work on every kernel).
"""

from __future__ import annotations

import shutil
import subprocess
from ipaddress import IPv4Address
from pathlib import Path

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


def verify_dropin(unit: str, dropin: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` a stand-in `unit` (Type=forking, as Debian ships the daemons we
    override) with the rendered drop-in beside it: any unknown key or bad value is reported."""
    (workdir / unit).write_text("[Unit]\nDescription=stand-in\n[Service]\nType=forking\n"
                                "PIDFile=/run/stand-in.pid\nExecStart=/bin/true\n")
    (workdir / f"{unit}.d").mkdir()
    (workdir / f"{unit}.d/60-kubeforge.conf").write_text(dropin)
    return subprocess.run([need("systemd-analyze"), "verify", str(workdir / unit)],
                          capture_output=True, text=True, check=False, timeout=120,
                          env={"SYSTEMD_UNIT_PATH": f"{workdir}:", "PATH": "/usr/bin:/bin"})
