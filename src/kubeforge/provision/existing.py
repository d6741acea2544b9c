"""Existing hosts: machines that are already there. Nothing is created; `up` checks that the
inventory names every planned machine, waits for SSH on the directly reachable ones and hands
the endpoints to the engine.

The inventory is a YAML file (default `<state>/existing.yaml`, or `--inventory PATH`):

    user: debian                 # optional: default SSH user (else the spec's admin_user)
    hosts:
      kube-gate01: {address: 203.0.113.10}            # reached directly (port 22)
      kube-mast01: {address: 192.168.1.201, jump: kube-gate01}
      kube-node01: {address: 10.0.0.5, port: 2201, user: ops}

Host names are the plan's (`kubeforge plan` lists them); every one must be present. A host with
`jump` is reached by SSH ProxyJump through that host, as the internal subnets are in the
reference design.
"""

from __future__ import annotations

from pathlib import Path

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field

from kubeforge.errors import ProviderError
from kubeforge.plan.model import Plan
from kubeforge.provision.base import SSH_PORT, Action, Endpoint, Options, Provider

DEFAULT_FILE = "existing.yaml"


class InventoryHost(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str = Field(min_length=1)
    port: int = Field(SSH_PORT, ge=1, le=65535)
    user: str | None = None
    jump: str | None = None


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    user: str | None = None
    hosts: dict[str, InventoryHost]


def inventory_path(options: Options) -> Path:
    return options.inventory or options.state_dir / DEFAULT_FILE


def load_inventory(path: Path) -> Inventory:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ProviderError(
            f"{path}: cannot read the inventory ({exc.strerror}); write one "
            "(see `kubeforge.provision.existing`) or pass --inventory PATH"
        ) from None
    except yaml.YAMLError as exc:
        raise ProviderError(f"{path}: not valid YAML: {exc}") from None
    try:
        return Inventory.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ProviderError(f"{path}: " + "; ".join(problems)) from None


def check(plan: Plan, inventory: Inventory, path: Path) -> None:
    """Every planned host listed, nothing unknown, jumps pointing at directly reachable hosts."""
    planned = {m.name for m in plan.machines}
    problems = [
        f"hosts.{name}: missing; add its address" for name in sorted(planned - set(inventory.hosts))
    ]
    problems += [
        f"hosts.{name}: not in the plan; remove it or fix the name (`kubeforge plan`)"
        for name in sorted(set(inventory.hosts) - planned)
    ]
    for name, host in inventory.hosts.items():
        jump = inventory.hosts.get(host.jump) if host.jump else None
        if host.jump and (jump is None or jump.jump is not None):
            problems.append(
                f"hosts.{name}.jump: {host.jump!r} must be a listed host reached directly"
            )
    if problems:
        raise ProviderError(f"{path}: " + "\n".join(problems))


class Existing(Provider):
    name = "existing"

    def __init__(self, plan: Plan, options: Options) -> None:
        super().__init__(plan, options)
        path = inventory_path(options)
        self.inventory = load_inventory(path)
        check(plan, self.inventory, path)

    def network_actions(self) -> list[Action]:
        return []  # the hosts' networks are the operator's

    def machine_actions(self) -> list[Action]:
        return []

    def start_actions(self) -> list[Action]:
        return []

    def destroy_actions(self) -> list[Action]:
        return []  # kubeforge never removes machines it did not make

    def endpoints(self) -> dict[str, Endpoint]:
        default_user = self.inventory.user or self.plan.ssh.user
        return {
            m.name: Endpoint(m.name, host.address, host.port, host.user or default_user, host.jump)
            for m in self.plan.machines
            if (host := self.inventory.hosts[m.name])
        }

    def _execute(self, action: Action) -> None:
        raise ProviderError(f"existing hosts: nothing to {action.verb}")
