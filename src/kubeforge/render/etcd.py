"""The stacked etcd of the control planes: member names and URLs, the etcdctl command line
with kubeadm's certificates, and (lab only) the unit drop-in that runs Debian's etcd-server with
the flags of kubeadm's static pod. Pure: day-2 phases build their commands from these."""

from __future__ import annotations

import shlex

from kubeforge.plan.model import Machine, Plan
from kubeforge.render import templating
from kubeforge.render.artifact import Artifact, host_file
from kubeforge.render.etcd_pki import ETCD_PKI

COMPONENT = "etcd"
DATA_DIR = "/var/lib/etcd"  # kubeadm's
DROPIN = "/etc/systemd/system/etcd.service.d/kubeforge-standin.conf"
CLIENT = (f"--cacert={ETCD_PKI}/ca.crt --cert={ETCD_PKI}/healthcheck-client.crt "
          f"--key={ETCD_PKI}/healthcheck-client.key")


def members(plan: Plan) -> list[Machine]:
    return plan.by_role("control_plane")


def peer_url(machine: Machine) -> str:
    return f"https://{machine.address}:2380"


def client_url(machine: Machine) -> str:
    return f"https://{machine.address}:2379"


def initial_cluster(machines: list[Machine]) -> str:
    return ",".join(f"{m.name}={peer_url(m)}" for m in machines)


def etcdctl(*endpoints: Machine) -> str:
    """etcdctl against `endpoints` (none: this machine's own member) with kubeadm's healthcheck
    client certificate, as the upstream backup guide does."""
    urls = ",".join(client_url(m) for m in endpoints) or "https://127.0.0.1:2379"
    return f"ETCDCTL_API=3 etcdctl --endpoints={urls} {CLIENT}"


def joined_with(plan: Plan, host: str) -> list[Machine]:
    """The membership a control plane joins into: those before it in the plan, and itself
    (kubeadm joins them one at a time, in order; etcd wants the exact membership then)."""
    names = [m.name for m in members(plan)]
    return members(plan)[:names.index(host) + 1]


def standin_dropin(plan: Plan, host: str) -> Artifact:
    """Lab stand-in: run Debian's etcd with kubeadm's static-pod flags. The first control
    plane starts a new cluster; every other one joins the existing cluster (`member add` first).
    The initial-* flags only count while the data directory is empty."""
    machine = plan.machine(host)
    joined = joined_with(plan, host)
    text = templating.render(
        "etcd/standin.conf.j2", name=machine.name, address=machine.address, pki=ETCD_PKI,
        data_dir=DATA_DIR, initial_cluster=initial_cluster(joined),
        state="new" if len(joined) == 1 else "existing")
    return host_file(COMPONENT, host, DROPIN, text)


def member_add(machine: Machine) -> str:
    return f"member add {shlex.quote(machine.name)} --peer-urls={peer_url(machine)}"
