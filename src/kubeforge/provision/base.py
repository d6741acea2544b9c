"""The provider interface: make the plan's networks and machines exist, then hand them over.

A provider reads what exists (facts), then returns only the actions still needed (the pyinfra
and k0sctl way): that one function is both the dry-run and the idempotency check. A re-run on a
converged provider plans nothing and says so.
"""

from __future__ import annotations

import abc
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kubeforge import readiness
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

    @property
    def identity(self) -> Path:
        """The operator's private key (Workspace.ssh_key_path): readiness logs in with it."""
        return self.state_dir / "ssh" / "id_ed25519"


class Provider(abc.ABC):
    """Subclasses say what is missing (the *_actions methods) and how to do one action."""

    name: ClassVar[str]
    kubernetes_binaries: ClassVar[bool] = True  # False: its machines only dry-run Kubernetes

    def __init__(self, plan: Plan, options: Options) -> None:
        self.plan = plan
        self.options = options
        self.done: list[Action] = []  # what this run did (or, in dry-run, would do)
        # Hears which machine `up` waits for and why (the CLI prints it).
        self.progress: Callable[[readiness.Verdict], None] | None = None

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

    def up(self, timeout: float = 300.0) -> list[Action]:
        """ensure_networks + ensure_machines + start, the gateway first: the others boot once
        it is ready (it serves DHCP and DNS from its cloud-init seed), so they get their
        addresses as they boot. Each step re-reads facts: an interrupted run resumes."""
        done = [*self.ensure_networks(), *self.ensure_machines()]
        starts = self.start_actions()
        first = [a for a in starts if a.target in self._gateway()]
        done += self._apply(first)
        if first and not self.options.dry_run:
            self.wait_for_ssh(timeout, self._gateway())
        return [*done, *self._apply([a for a in starts if a not in first])]

    def _gateway(self) -> list[str]:
        return [m.name for m in self.plan.by_role("gateway")]

    def wait_for_ssh(self, timeout: float = 300.0,
                     hosts: list[str] | None = None) -> dict[str, Endpoint]:
        """Wait until every machine (or `hosts`) is ready as `kubeforge.readiness` defines it:
        an SSH login by the operator's route (the endpoints, ProxyJump included) works, boot
        has ended and logins are open. Returns the endpoints for the engine."""
        endpoints = self.endpoints()
        probe = readiness.login_probe(self.login_runner(endpoints))
        pending = readiness.wait(hosts or list(endpoints), probe, timeout, self.progress)
        if pending:
            raise ProviderError(
                f"not ready after {timeout:.0f} s (an SSH login with {self.options.identity} "
                f"by the recorded route, boot finished):\n{readiness.describe(pending)}\n"
                "check the machine's console, then re-run `kubeforge up`")
        return endpoints

    def login_runner(self, endpoints: dict[str, Endpoint]) -> readiness.Runner:
        """How readiness logs in: OpenSSH with the operator key, jumping as the endpoints say,
        pinning host keys where the engine looks for them. Tests replace it with a fake."""
        ssh = readiness.OpenSSH(self.options.identity, self.options.state_dir / "known_hosts")

        def argv(host: str, command: str) -> list[str]:
            end = endpoints[host]
            hop = endpoints[end.jump] if end.jump else None
            via = (hop.user, hop.host, hop.port) if hop else None
            return ssh.argv(end.user, end.host, end.port, [command], via)

        return argv

    def _apply(self, actions: Iterable[Action]) -> list[Action]:
        applied = []
        for action in actions:
            if not self.options.dry_run:
                self._execute(action)
            applied.append(action)
        self.done.extend(applied)
        return applied
