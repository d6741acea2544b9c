"""preflight and reachable: each host is a Debian system running systemd, reachable over
SSH with a working python3.

The gateway is checked first (`preflight`): it is the front door, and the other machines
get their addresses from its DHCP server, so they are checked (`reachable`) once the
gateway phase has it serving. Checks only: a failed check stops the apply, naming the host.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase


def require(id: str, condition: str, problem: str) -> m.Op:
    """An op that is converged when `condition` holds and fails with `problem` otherwise."""
    return m.command(f"preflight:{id}", f"echo {problem!r} >&2; exit 1", unless=condition)


def checks() -> list[m.Op]:
    return [
        require("debian", "test -f $KF_ROOT/etc/debian_version",
                "not a Debian system (/etc/debian_version missing)"),
        require("systemd", "test -d /run/systemd/system",
                "systemd is not running as init: kubeforge manages services with systemctl"),
        require("apt", "command -v dpkg-query >/dev/null",
                "dpkg-query not found: kubeforge checks packages with dpkg"),
    ]


class Preflight(Phase):
    name = "preflight"
    title = "the gateway (front door) is reachable: Debian with systemd"

    def hosts(self, ctx: Context) -> list[str]:
        return ctx.hosts_with_role("gateway")

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(checks())


class Reachable(Phase):
    name = "reachable"
    title = "every other machine is reachable through the gateway: Debian with systemd"

    def hosts(self, ctx: Context) -> list[str]:
        return [m.name for m in ctx.plan.machines if m.role != "gateway"]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(checks())
