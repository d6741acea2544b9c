"""kubeadm configuration: init for the first control-plane machine, join for the others.

The config API is v1beta4 (kubeadm >= 1.31) for every minor kubeforge supports: v1beta3 was removed
in kubeadm 1.37, and minors older than 1.31 are past their end of life. Every file holds
the bootstrap token (and, on control-plane machines, the certificate key), so each is secret and
0600. Each machine gets its own copy at /etc/kubeforge/; the same files land under cluster/kubeadm/.

CA pinning: the cluster CA is created by `kubeadm init`, so its hash cannot be known when
rendering. Join files carry CA_CERT_HASH_PLACEHOLDER in `caCertHashes` (with
`unsafeSkipCAVerification: false`); the join phase computes the pin on the first control-plane
machine and calls `with_ca_cert_hash`. An unfilled file fails kubeadm's hash parsing: it never
joins without verifying the control plane.
"""

from __future__ import annotations

import re

from kubeforge.errors import RenderError
from kubeforge.plan.model import Machine, Plan
from kubeforge.render import gateway, templating
from kubeforge.render.artifact import Artifact, cluster_file, host_file
from kubeforge.render.secrets import Secrets
from kubeforge.spec import versions

COMPONENT = "kubeadm"
CRI_SOCKET = "unix:///run/containerd/containerd.sock"
DNS_DOMAIN = "cluster.local"
INIT_TARGET = "/etc/kubeforge/kubeadm-init.yaml"
JOIN_TARGET = "/etc/kubeforge/kubeadm-join.yaml"
CA_CERT_HASH_PLACEHOLDER = "sha256:ca-cert-hash-filled-in-by-the-join-phase"
_CA_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
API_VERSION = "kubeadm.k8s.io/v1beta4"
V1BETA4_FROM_MINOR = 31


def api_version(kubernetes_version: str) -> str:
    """v1beta4 for every minor validation lets through; an older one is a bug upstream of here."""
    minor = versions.kubernetes_minor(kubernetes_version)
    if minor < V1BETA4_FROM_MINOR:
        raise RenderError(
            f"kubernetes_version: {kubernetes_version} predates kubeadm's v1beta4 config API (1.31), "
            "the only one kubeforge renders, and is past its end of life; set a supported version "
            "(`kubeforge versions`)"
        )
    return API_VERSION


def kubernetes_version_field(version: str) -> str:
    """A full version pins it; a bare minor asks kubeadm for the newest patch of that minor
    (offline, kubeadm falls back to its own version, which apt took from the same minor)."""
    return f"v{version}" if version.count(".") == 2 else f"stable-{version}"


def with_ca_cert_hash(content: bytes, ca_cert_hash: str) -> bytes:
    """Fill the live cluster's CA pin into a rendered join file."""
    if not _CA_HASH.match(ca_cert_hash):
        raise RenderError(f"CA cert hash {ca_cert_hash!r} is not sha256:<64 hex digits>")
    if CA_CERT_HASH_PLACEHOLDER.encode() not in content:
        raise RenderError("this kubeadm file has no CA pin placeholder (not a join file?)")
    return content.replace(CA_CERT_HASH_PLACEHOLDER.encode(), ca_cert_hash.encode())


def render(plan: Plan, secrets: Secrets) -> list[Artifact]:
    control_plane = plan.by_role("control_plane")
    if not control_plane:
        return []
    first, *others = control_plane
    context = _context(plan, secrets)
    artifacts = _placed(first, "init", INIT_TARGET, _render("init", first, INIT_TARGET, context))
    for machine in [*others, *plan.by_role("worker")]:
        text = _render("join", machine, JOIN_TARGET, context)
        artifacts += _placed(machine, "join", JOIN_TARGET, text)
    return artifacts


def _placed(machine: Machine, kind: str, target: str, text: str) -> list[Artifact]:
    return [
        host_file(COMPONENT, machine.name, target, text, mode=0o600, secret=True),
        cluster_file(COMPONENT, f"kubeadm/{kind}-{machine.name}.yaml", text, mode=0o600, secret=True),
    ]


def _render(kind: str, machine: Machine, target: str, context: dict[str, object]) -> str:
    return templating.render(
        f"kubeadm/{kind}.yaml.j2",
        node=machine,
        target=target,
        control_plane=machine.role == "control_plane",
        **context,
    )


def _context(plan: Plan, secrets: Secrets) -> dict[str, object]:
    network = plan.network
    endpoint = f"{network.api_vip}:{network.api_port}"
    return {
        "api": api_version(plan.spec.kubernetes_version),
        "cri_socket": CRI_SOCKET,
        "token": secrets.kubeadm_token,
        "certificate_key": secrets.kubeadm_certificate_key,
        "ca_cert_hash": CA_CERT_HASH_PLACEHOLDER,
        "api_port": network.api_port,
        "api_endpoint": endpoint,
        "control_plane_endpoint": endpoint,
        "cluster_name": plan.name,
        "kubernetes_version": kubernetes_version_field(plan.spec.kubernetes_version),
        "cert_sans": cert_sans(plan),
        "pod_subnet": str(network.pod_cidr),
        "service_subnet": str(network.service_cidr),
        "dns_domain": DNS_DOMAIN,
    }


def cert_sans(plan: Plan) -> list[str]:
    """Every name and address a client may use for the API: VIP, its DNS name, each master."""
    sans = [str(plan.network.api_vip), f"{gateway.API_NAME}.{plan.domain}"]
    for machine in plan.by_role("control_plane"):
        sans += [machine.name, machine.fqdn, str(machine.address)]
    return list(dict.fromkeys(sans))
