"""The engine over real SSH: sshd servers in `kft-*` network namespaces (root needed)."""

from __future__ import annotations

import asyncio
import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kubeforge import errors
from kubeforge.bootstrap import engine, ssh
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.output import NO_CHANGES
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.runner import Options
from kubeforge.workspace import Workspace

from . import sshnet

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(not sshnet.available(), reason="needs root and sshd")]


class Demo(Phase):
    name, title = "demo", "files, a line, a link"

    def __init__(self, hosts: list[str]) -> None:
        self._hosts = hosts

    def hosts(self, ctx: Context) -> list[str]:
        return self._hosts

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest([m.file("/etc/kf/demo.conf", f"on {host}\n".encode()),
                           m.line("/etc/kf/list", "one"),
                           m.symlink("/etc/kf/current", "/etc/kf/demo.conf")])


@dataclasses.dataclass
class Fixture:
    net: sshnet.SshNet
    targets: dict[str, ssh.Target]
    state: Path
    ctx: Context

    def apply(self, hosts: list[str], **options: Any) -> str:
        out = io.StringIO()
        asyncio.run(engine.apply(
            self.ctx, Reach(self.targets, self.net.socket_factory()), self.state,
            Options(**options), Console(file=out, width=200, color_system=None),
            phases=[Demo(hosts)]))
        return out.getvalue()


@pytest.fixture(scope="module")
def fx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fixture]:
    base = tmp_path_factory.mktemp("sshnet")
    state = base / "state"
    state.mkdir(mode=0o700)  # holds the key and known_hosts: private, as the engine insists
    net = sshnet.SshNet(base / "net", 3)
    try:
        targets = {t.name: t for t in net.up(ssh.ensure_key(state))}
        ctx = Context(Workspace(state_root=base / "ws").plan(), ())
        yield Fixture(net, targets, state, ctx)
    finally:
        net.down()


def test_apply_over_ssh_converges_and_pins_host_keys(fx: Fixture) -> None:
    fx.apply(["h1", "h2"])
    root = Path(fx.targets["h2"].root)
    assert (root / "etc/kf/demo.conf").read_text() == "on h2\n"
    assert NO_CHANGES in fx.apply(["h1", "h2"], dry_run=True)
    pinned = (fx.state / "known_hosts").read_text()
    assert "10.213.0.11 ssh-ed25519" in pinned and "10.213.0.12 ssh-ed25519" in pinned


def test_changed_host_key_is_refused(fx: Fixture) -> None:
    fx.apply(["h3"])
    fx.net.restart_with_new_host_key(3)
    with pytest.raises(errors.ApplyError, match="not the one pinned"):
        fx.apply(["h3"], recheck=True)


def test_proxyjump_reaches_a_host_only_the_jump_can_see(fx: Fixture) -> None:
    _, hidden = fx.net.private_link(1, 2)
    fx.targets["h2-hidden"] = dataclasses.replace(fx.targets["h2"], name="h2-hidden",
                                                  address=hidden, jump="h1")
    with pytest.raises(OSError):
        fx.net.socket_factory()(hidden, 22)  # not reachable directly from the controller
    out = fx.apply(["h2-hidden"], recheck=True, dry_run=True)
    # h2's own files, read through h1: only the host name in the content differs.
    assert "-on h2\n+on h2-hidden" in out


def test_recreated_machine_is_converged_again_not_skipped(fx: Fixture) -> None:
    """State records name the machine by its pinned host key: after a machine is re-created
    (new key, its old pin deleted as the error message says) a plain re-run applies again."""
    fx.apply(["h1"])
    fx.net.restart_with_new_host_key(1)
    root = Path(fx.targets["h1"].root)
    (root / "etc/kf/demo.conf").unlink()  # the new machine has none of the old one's files
    known = fx.state / "known_hosts"
    known.write_text("".join(line for line in known.read_text().splitlines(True)
                             if not line.startswith("10.213.0.11 ")))
    out = fx.apply(["h1"])
    assert "skipped" not in out and (root / "etc/kf/demo.conf").read_text() == "on h1\n"


def test_host_the_jump_cannot_reach_yet_is_waited_for_then_named(fx: Fixture) -> None:
    """No machine behind the jump answers yet (a VM without its lease): the engine says whom it
    waits for and why, gives up at the deadline, and the error names that cause."""
    fx.targets["h9-booting"] = dataclasses.replace(fx.targets["h2"], name="h9-booting",
                                                   address="10.213.0.99", jump="h1")
    out = io.StringIO()
    with pytest.raises(errors.ApplyError) as raised:
        asyncio.run(engine.apply(
            fx.ctx, Reach(fx.targets, fx.net.socket_factory()), fx.state,
            Options(reach_wait=4.0, recheck=True), Console(file=out, width=200, color_system=None),
            phases=[Demo(["h9-booting"])]))
    assert "waiting for h9-booting: h1 cannot reach it yet" in out.getvalue()
    assert "still not ready after 4 s: h1 cannot reach it yet" in str(raised.value)
    assert "exited 255" not in str(raised.value) + out.getvalue()


def test_connections_prefer_aes_gcm_the_cheapest_cipher_here(fx: Fixture) -> None:
    """asyncssh encrypts in Python: ChaCha20-Poly1305 (OpenSSH's first choice) costs ~7x the
    CPU per packet of AES-GCM, paid twice per byte through a jump host (issue 9: 100 workers)."""

    async def ciphers() -> tuple[object, object]:
        connector = ssh.Connector(fx.state, fx.targets, sock_factory=fx.net.socket_factory())
        try:
            conn = await connector.connection("h1")
            return conn.get_extra_info("send_cipher"), conn.get_extra_info("recv_cipher")
        finally:
            await connector.close()

    assert asyncio.run(ciphers()) == ("aes128-gcm@openssh.com", "aes128-gcm@openssh.com")
