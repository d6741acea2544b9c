"""An apply run in its own process, so a test can SIGKILL it at a chosen point.

Points are reached when a host's root holds `slow` naming the point: the op then writes its PID to
`reached-<point>` and sleeps, and the test kills this process and the sleeper (as if the
controller and the host's agent died together). Without `slow` the same ops run straight
through (the manifests, and so the state hashes, are identical either way).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console

from kubeforge.bootstrap import engine
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Options
from kubeforge.bootstrap.ssh import Target
from kubeforge.workspace import Workspace

from .local import LocalTransport

HOSTS = ["n1", "n2"]


def pause(point: str, after: str = "true") -> str:
    # exec: the sleeping process keeps the shell's PID, written for the test to kill it.
    return (f"if grep -qx {point} $KF_ROOT/slow 2>/dev/null && {after}; then echo $$ > $KF_ROOT/.pid && "
            f"mv $KF_ROOT/.pid $KF_ROOT/reached-{point} && exec sleep 60; fi; true")


class Config(Phase):
    name, title = "config", "config file, a line, a firewall rule, the service"

    def hosts(self, ctx: Context) -> list[str]:
        return HOSTS

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        conf = m.file("/etc/app/app.conf", b"listen=6443\nbackend=a,b,c\n")
        rule = "add rule inet kf input tcp dport 6443 accept"
        return m.Manifest([
            conf,
            m.line("/etc/hosts", "192.168.4.20 api.kube.local"),
            m.command("rule", f"echo '{rule}' >> $KF_ROOT/etc/app/rules",
                      unless=f"grep -qxF '{rule}' $KF_ROOT/etc/app/rules"),
            m.command("mid", pause("mid"), on_change=[conf]),
            m.service("app", restart_on=[conf])])


class Second(Phase):
    name, title = "second", "a resource created once"

    def hosts(self, ctx: Context) -> list[str]:
        return HOSTS

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest([
            # Pauses only once the first phase is done (its service runs): a check made
            # ahead, at the start of the run, passes straight through.
            m.command("boundary-check", "true", unless=pause(
                "boundary", "test -e $KF_ROOT/.fake/systemd/app.active")),
            m.command("volume", "echo volume >> $KF_ROOT/resources", creates="/resources")])


def main() -> None:
    state, hosts_base, tools = (Path(a) for a in sys.argv[1:4])
    bins = {name: str(tools / name) for name in ("systemctl", "dpkg-query", "apt-get")}
    targets = {h: Target(h, "127.0.0.1", root=str(hosts_base / h)) for h in HOSTS}
    ctx = Context(Workspace(state_root=state / "ws").plan(), ())
    asyncio.run(engine.apply(ctx, Reach(targets), state, Options(), Console(),
                             transport=LocalTransport(), phases=[Config(), Second()],
                             bins=bins))


if __name__ == "__main__":
    main()
