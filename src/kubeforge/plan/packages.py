"""Debian packages each role needs from its base image (ERRATA 3: the real package names).

Kubernetes packages (kubelet, kubeadm, kubectl) come from pkgs.k8s.io and are installed by the
node-prereqs phase, which first adds that repository for the target minor version.
"""

from __future__ import annotations

from kubeforge.spec.model import ClusterSpec, Role

BASE = ("openssh-server", "python3", "sudo", "chrony", "iproute2")

ROLE: dict[Role, tuple[str, ...]] = {
    "gateway": ("dnsmasq", "nftables"),
    "loadbalancer": ("haproxy",),
    "control_plane": ("containerd", "glusterfs-client", "nftables", "apt-transport-https", "gpg"),
    "worker": ("containerd", "glusterfs-client", "nftables", "apt-transport-https", "gpg"),
    "gluster": ("glusterfs-server", "glusterfs-client", "xfsprogs", "nfs-ganesha", "nfs-ganesha-gluster"),
}

VIP_MANAGER = {
    "pacemaker": ("pacemaker", "corosync", "crmsh", "resource-agents"),
    "keepalived": ("keepalived",),
}


def for_role(spec: ClusterSpec, role: Role, extra: list[str]) -> tuple[str, ...]:
    packages = list(BASE) + list(ROLE[role])
    if role == "loadbalancer":
        packages += VIP_MANAGER[spec.loadbalancer.vip_manager]
    return tuple(dict.fromkeys(packages + extra))
