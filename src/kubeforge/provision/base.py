"""The provider interface: make the plan's networks and machines exist, then hand them over.

A provider reads what exists (facts), then returns only the actions still needed (the pyinfra
and k0sctl way): that one function is both the dry-run and the idempotency check. A re-run on a
converged provider plans nothing and says so.
"""

from __future__ import annotations

import abc
import shlex
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Machine, Plan

SSH_PORT = 22


@dataclass(frozen=True)
class Action:
    """One change a provider would make. Command providers carry the exact argv; API providers
    (libvirt) carry the XML document they define."""

    verb: str  # createvm, modifyvm, define-network, start-domain, ...
    target: str  # the machine, network or disk it changes
    argv: tuple[str, ...] = ()
    document: str = ""

    def describe(self) -> str:
        if self.argv:
            return shlex.join(self.argv)
        return f"{self.verb} {self.target}"


@dataclass(frozen=True)
class Endpoint:
    """How the operator (and the engine) reaches a machine by SSH. `jump` names the machine to
    ProxyJump through; None means reachable directly at host:port."""

    name: str
    host: str
    port: int
    user: str
    jump: str | None = None
    known_hosts: str | None = None  # where its host key is pinned; None: <state>/known_hosts
    netns: str | None = None  # network namespace the first hop is dialled from (the lab's)


@dataclass(frozen=True)
class Options:
    """What `kubeforge up` was told, common to every provider."""

    state_dir: Path  # the cluster's state directory (Workspace.state_dir)
    seeds_dir: Path  # out/seeds from render: <host>/cidata.iso
    dry_run: bool = False
    image: Path | None = None  # base OS image (Debian cloud image)
    uri: str = "qemu:///system"  # libvirt only
    inventory: Path | None = None  # existing only
    extra: dict[str, str] = field(default_factory=dict)

    def seed_iso(self, machine: Machine) -> Path:
        return self.seeds_dir / machine.name / "cidata.iso"


class Provider(abc.ABC):
    """Subclasses say what is missing (the *_actions methods) and how to do one action."""

    name: ClassVar[str]
    kubernetes_binaries: ClassVar[bool] = True  # False: its machines only dry-run Kubernetes

    def __init__(self, plan: Plan, options: Options) -> None:
        self.plan = plan
        self.options = options
        self.done: list[Action] = []  # what this run did (or, in dry-run, would do)

    # -- what a subclass provides ---------------------------------------------------------
    @abc.abstractmethod
    def network_actions(self) -> list[Action]: ...

    @abc.abstractmethod
    def machine_actions(self) -> list[Action]:
        """Create what is missing; adopt (leave alone) what exists by name."""

    @abc.abstractmethod
    def start_actions(self) -> list[Action]: ...

    @abc.abstractmethod
    def destroy_actions(self) -> list[Action]: ...

    @abc.abstractmethod
    def endpoints(self) -> dict[str, Endpoint]: ...

    @abc.abstractmethod
    def _execute(self, action: Action) -> None:
        """Do one action for real."""

    # -- the interface the CLI and the engine use -------------------------------------------
    def plan_actions(self) -> list[Action]:
        """Everything `up` would do now, in order, without doing it."""
        return [*self.network_actions(), *self.machine_actions(), *self.start_actions()]

    def ensure_networks(self) -> list[Action]:
        return self._apply(self.network_actions())

    def ensure_machines(self) -> list[Action]:
        return self._apply(self.machine_actions())

    def start(self) -> list[Action]:
        return self._apply(self.start_actions())

    def destroy(self) -> list[Action]:
        return self._apply(self.destroy_actions())

    def up(self) -> list[Action]:
        """ensure_networks + ensure_machines + start: each step re-reads facts, so an
        interrupted run resumes where it stopped."""
        return [*self.ensure_networks(), *self.ensure_machines(), *self.start()]

    def wait_for_ssh(self, timeout: float = 300.0) -> dict[str, Endpoint]:
        """Wait until every directly reachable endpoint answers with an SSH banner. Machines
        behind a jump host are reached by the engine through it (it holds the keys)."""
        endpoints = self.endpoints()
        for endpoint in endpoints.values():
            if endpoint.jump is None:
                wait_for_banner(endpoint, timeout)
        return endpoints

    def _apply(self, actions: Iterable[Action]) -> list[Action]:
        applied = []
        for action in actions:
            if not self.options.dry_run:
                self._execute(action)
            applied.append(action)
        self.done.extend(applied)
        return applied


def ssh_banner(host: str, port: int, timeout: float = 5.0) -> str | None:
    """The server's SSH identification line, or None if nothing answers like sshd."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            line = sock.makefile("rb").readline(256)
    except OSError:
        return None
    text = line.decode(errors="replace").strip()
    return text if text.startswith("SSH-") else None


def wait_for_banner(endpoint: Endpoint, timeout: float, interval: float = 2.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        banner = ssh_banner(endpoint.host, endpoint.port, timeout=min(5.0, timeout))
        if banner:
            return banner
        if time.monotonic() >= deadline:
            raise ProviderError(
                f"{endpoint.name}: no SSH server answered at {endpoint.host}:{endpoint.port} "
                f"within {timeout:.0f} s; check the machine booted (console log) and that "
                "cloud-init finished, then re-run `kubeforge up`"
            )
        time.sleep(interval)
