"""`kubeforge status`: is the cluster healthy after `apply`? Read-only, one look per subject.

Per machine: reachable over the recorded route, which phases are converged (a check-only run
of every phase, as `apply --dry-run --recheck` does) and which drifted (recorded as converged
by an earlier apply, changes pending now). Then who holds the API VIP, the gluster bricks with
their heal backlog, and the Kubernetes nodes where a cluster answers. Where the machines have
no Kubernetes binaries (the lab) the Kubernetes parts are dry-run and say so.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from xml.etree import ElementTree

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.kube import KUBECTL, first_control_plane
from kubeforge.bootstrap.runner import PhaseReport
from kubeforge.bootstrap.state import ApplyState
from kubeforge.verify import remote

DRY_ONLY = ("dry-run only: these machines have no kubeadm/kubelet/kubectl binaries (the lab, or "
            "an image from `kubeforge image build`); on a real cluster this runs `{command}` on "
            "{host}")


@dataclass
class MachineHealth:
    name: str
    role: str
    reachable: bool = False
    converged: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)  # pending, though an apply recorded it done
    failed: list[str] = field(default_factory=list)
    dry_only: list[str] = field(default_factory=list)  # Kubernetes phases, lab: not checkable


@dataclass(frozen=True)
class Brick:
    name: str  # host:path
    online: bool
    heal_pending: int | None  # entries waiting for self-heal; None: not reported


@dataclass(frozen=True)
class Node:
    name: str
    ready: bool


@dataclass
class Status:
    machines: list[MachineHealth]
    vip: str
    vip_holders: list[str]
    volume: str | None
    bricks: list[Brick]
    storage_note: str
    nodes: list[Node] | None
    nodes_note: str

    @property
    def healthy(self) -> bool:
        return (all(m.reachable and not m.pending and not m.failed for m in self.machines)
                and len(self.vip_holders) == 1
                and all(b.online and not b.heal_pending for b in self.bricks)
                and (self.nodes is None or all(n.ready for n in self.nodes)))


def machines(ctx: Context, reachable: dict[str, bool], reports: list[PhaseReport],
             state: ApplyState) -> list[MachineHealth]:
    """Fold the check-only phase reports into one line per machine (pure)."""
    health = {m.name: MachineHealth(m.name, m.role, reachable.get(m.name, False))
              for m in ctx.plan.machines}
    for report in reports:
        for host in report.hosts:
            entry = health[host.host]
            if report.dry_only:
                entry.dry_only.append(report.name)
            elif host.status == "failed":
                entry.failed.append(report.name)
            elif host.status == "would-change":
                entry.pending.append(report.name)
                if host.host in state.phases.get(report.name, {}):
                    entry.drift.append(report.name)
            else:
                entry.converged.append(report.name)
    return list(health.values())


async def reachability(reader: remote.Reader, hosts: list[str]) -> dict[str, bool]:
    found = await asyncio.gather(*(reader.try_read(h, "true") for h in hosts))
    return {h: out is not None for h, out in zip(hosts, found, strict=True)}


async def vip_holders(reader: remote.Reader, ctx: Context) -> list[str]:
    balancers = ctx.hosts_with_role("loadbalancer")
    shown = await asyncio.gather(*(reader.try_read(h, "ip -4 -o addr show") for h in balancers))
    needle = f" {ctx.plan.network.api_vip}/"
    return [h for h, out in zip(balancers, shown, strict=True) if needle in (remote.text(out) or "")]


async def storage(reader: remote.Reader, ctx: Context) -> tuple[str | None, list[Brick], str]:
    servers = ctx.hosts_with_role("gluster")
    if not servers:
        return None, [], "no gluster machines in this spec"
    volume = ctx.plan.spec.storage.volume
    host = servers[0]
    status = remote.text(await reader.try_read(host, f"gluster volume status {volume} --xml"))
    if not status:
        return volume, [], (f"{host}: `gluster volume status {volume}` did not answer "
                            "(volume not created yet? run `kubeforge apply`)")
    heal = remote.text(await reader.try_read(host, f"gluster volume heal {volume} info --xml"))
    return volume, bricks(status, heal), f"read on {host}"


def bricks(status_xml: str, heal_xml: str | None) -> list[Brick]:
    """Bricks from `gluster volume status --xml`, heal backlog from `heal info --xml` (pure)."""
    pending = _heal_counts(heal_xml) if heal_xml else {}
    found = []
    for node in ElementTree.fromstring(status_xml).iter("node"):
        path = node.findtext("path") or ""
        if not path.startswith("/"):
            continue  # self-heal daemons and NFS servers are listed as nodes too
        name = f"{node.findtext('hostname')}:{path}"
        found.append(Brick(name, node.findtext("status") == "1", pending.get(name)))
    return found


def _heal_counts(heal_xml: str) -> dict[str, int]:
    counts = {}
    for brick in ElementTree.fromstring(heal_xml).iter("brick"):
        number = brick.findtext("numberOfEntries") or ""
        if number.isdigit():
            # glfs-heal writes the brick as a <name> element (host:path)
            counts[brick.findtext("name") or ""] = int(number)
    return counts


async def nodes(reader: remote.Reader, ctx: Context) -> tuple[list[Node] | None, str]:
    first = first_control_plane(ctx)
    if not first:
        return None, "no control plane in this spec"
    command = f"{KUBECTL} get nodes -o json"
    if not ctx.kubernetes_binaries:
        return None, DRY_ONLY.format(command=command, host=first[0])
    out = remote.text(await reader.try_read(first[0], command))
    if out is None:
        return None, f"{first[0]}: no cluster answers (`{command}` failed); run `kubeforge apply`"
    return node_list(out), f"read on {first[0]}"


def node_list(nodes_json: str) -> list[Node]:
    """`kubectl get nodes -o json` -> name and Ready condition (pure)."""
    items = json.loads(nodes_json).get("items", [])
    return [Node(item["metadata"]["name"],
                 any(c.get("type") == "Ready" and c.get("status") == "True"
                     for c in item.get("status", {}).get("conditions", [])))
            for item in items]
