"""cloud-init NoCloud seeds: user-data, meta-data, network-config and the `cidata` ISO per machine.

The seed carries identity and access (hostname, admin user with the operator's key, packages,
NICs). Role configuration comes later from `kubeforge apply`, so no secret is ever put in a seed:
the ISO is attached to a VM and readable by anything on that VM.

One exception, on purpose: the gateway's seed also carries its rendered DHCP, DNS, firewall and
forwarding files (none holds a secret) and starts dnsmasq and nftables, so the gateway serves
from its first boot and every other machine gets its address as it boots. They are the same
bytes the `gateway` phase installs, so that phase then finds them converged.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from kubeforge.errors import RenderError
from kubeforge.plan.model import Machine, Nic, Plan
from kubeforge.render import gateway, iso, templating
from kubeforge.render.artifact import Artifact, seed_file
from kubeforge.render.secrets import Secrets

SEED_FILES = ("user-data", "meta-data", "network-config")


@dataclass(frozen=True)
class NicView:
    """One NIC as network-config needs it."""

    name: str
    mac: str
    static: bool  # the gateway's subnet NICs; everything else asks dnsmasq (pinned by MAC)
    address: str | None  # CIDR notation, static NICs only
    dns: str | None  # the subnet's gateway (dnsmasq); None on the uplink: the provider's DHCP says


def render(plan: Plan, secrets: Secrets, artifacts: list[Artifact]) -> list[Artifact]:
    """Seeds for every machine. `secrets` goes unused on purpose (see module doc); the gateway's
    files come from `gateway.files`, which needs none."""
    key = operator_key(plan)
    return [a for machine in plan.machines for a in seed(plan, machine, key)]


def operator_key(plan: Plan) -> str:
    """The operator's key line(s), one per line: the spec gives one line or a list of them."""
    key = plan.spec.ssh_public_key
    if key is None:
        raise RenderError(
            "ssh_public_key: no operator SSH public key in the spec; set ssh_public_key in "
            "cluster.yaml, or let kubeforge generate a key pair by running `kubeforge render`"
        )
    lines = [line.strip() for line in ([key] if isinstance(key, str) else key)]
    if not all(lines) or any("\n" in line for line in lines):
        raise RenderError("ssh_public_key: must be one line (`ssh-ed25519 AAAA... comment`)")
    return "\n".join(lines)


def seed(plan: Plan, machine: Machine, key: str) -> list[Artifact]:
    user_data = user_data_text(plan, machine, key)
    network_config = network_config_text(plan, machine)
    meta_data = templating.render(
        "cloudinit/meta-data.j2",
        q=_quote,
        machine=machine,
        instance_id=instance_id(plan, machine, user_data, network_config),
    )
    files = dict(zip(SEED_FILES, (user_data, meta_data, network_config), strict=True))
    image = iso.build_cidata({name: text.encode() for name, text in files.items()})
    return [seed_file(machine.name, name, text) for name, text in files.items()] + [
        seed_file(machine.name, "cidata.iso", image)
    ]


def user_data_text(plan: Plan, machine: Machine, key: str) -> str:
    packages = () if plan.spec.image_preinstalled else machine.packages
    files = first_boot_files(plan, machine)
    return templating.render(
        "cloudinit/user-data.j2",
        q=_quote,
        machine=machine,
        user=plan.spec.admin_user,
        ssh_key=key,
        packages=packages,
        files=[_file_view(f) for f in files],
        commands=first_boot_commands(files),
    )


@dataclass(frozen=True)
class FileView:
    """One rendered file as cloud-init's write_files needs it (base64: byte for byte)."""

    path: str
    permissions: str
    content_b64: str


def first_boot_files(plan: Plan, machine: Machine) -> list[Artifact]:
    """What `machine` must serve from its first boot: the gateway's DHCP/DNS/routing files."""
    if machine.role != "gateway":
        return []
    return [a for a in gateway.files(plan) if a.host == machine.name]


def first_boot_commands(files: list[Artifact]) -> list[str]:
    """Load and start what `files` configure, each checked first as the gateway phase does.
    `restart`, not `start`: on a VM installing the package already started it with defaults."""
    targets = [f.target or "" for f in files]
    if not targets:
        return []
    loads = [f"sysctl -q -p {t}" for t in targets if t.startswith("/etc/sysctl.d/")]
    return [*loads,
            f"nft -c -f {gateway.NFTABLES} && systemctl enable nftables && systemctl restart nftables",
            # daemon-reload: dnsmasq's drop-in was written after systemd read its units.
            ("systemctl daemon-reload && dnsmasq --test && systemctl enable dnsmasq "
             "&& systemctl restart dnsmasq")]


def _file_view(artifact: Artifact) -> FileView:
    return FileView(artifact.target or "", f"0{artifact.mode:o}",
                    base64.b64encode(artifact.content).decode())


def network_config_text(plan: Plan, machine: Machine) -> str:
    nics = [_nic_view(plan, machine, nic) for nic in machine.nics]
    return templating.render(
        "cloudinit/network-config.j2", q=_quote, machine=machine, nics=nics, domain=plan.domain
    )


def instance_id(plan: Plan, machine: Machine, user_data: str, network_config: str) -> str:
    """Stable while the seed is unchanged; a changed seed gets a new id, so cloud-init re-runs."""
    digest = hashlib.sha256(f"{user_data}\0{network_config}".encode()).hexdigest()[:12]
    return f"{plan.name}-{machine.name}-{digest}"


def _nic_view(plan: Plan, machine: Machine, nic: Nic) -> NicView:
    if nic.subnet is None:
        return NicView(nic.name, nic.mac, static=False, address=None, dns=None)
    static = machine.role == "gateway"
    address = f"{nic.address}/{nic.prefix_len}" if static else None
    return NicView(nic.name, nic.mac, static, address, dns=str(plan.subnets[nic.subnet].gateway))


def _quote(value: object) -> str:
    """A YAML scalar that stays one string whatever it holds (JSON strings are YAML)."""
    return json.dumps(str(value))
