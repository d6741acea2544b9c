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
    # + the storage VIP's manager (storage.vip_manager, render/storage.py): for_role.
    # dbus: the VIP's check asks Ganesha for its exports over D-Bus (render/storage.py).
    "gluster": ("glusterfs-server", "glusterfs-client", "xfsprogs", "nfs-ganesha", "nfs-ganesha-gluster",
                "dbus"),
}

# In the lab's base tree only: Debian's etcd daemon stands in for kubeadm's static-pod etcd on
# the lab's control planes (bootstrap/phases/etcd.py); never installed on a real control plane
# (kubeadm runs etcd itself and its preflight refuses ports 2379/2380 in use). etcdctl is
# installed by the day-2 etcd steps where they need it (the lab has no mirror: preinstalled).
LAB_STANDINS = ("etcd-server", "etcd-client")

VIP_MANAGER = {
    "pacemaker": ("pacemaker", "corosync", "crmsh", "resource-agents"),
    "keepalived": ("keepalived",),
}


def for_role(spec: ClusterSpec, role: Role, extra: list[str]) -> tuple[str, ...]:
    packages = [name for name in (*BASE, *ROLE[role]) if name not in replaced(spec)]
    if role == "loadbalancer":
        packages += VIP_MANAGER[spec.loadbalancer.vip_manager]
    if role == "gluster":
        packages += VIP_MANAGER[spec.storage.vip_manager]
    return tuple(dict.fromkeys(packages + extra))


def replaced(spec: ClusterSpec) -> set[str]:
    """Debian packages the spec takes from elsewhere: containerd.io (containerd 2, from Docker's
    apt repository, installed by node-prereqs once that source exists) replaces Debian's
    containerd, and the two conflict."""
    return set() if spec.containerd_source == "debian" else {"containerd"}
