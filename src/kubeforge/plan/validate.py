"""Every rule a spec must satisfy, checked at once so the user sees all problems in one run.

Each rule is a small function returning findings; `RULES` is the one ordered list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from kubeforge.plan import addresses, network_rules, service_rules, versions_rules
from kubeforge.plan.build import ROLE_SUBNET
from kubeforge.plan.findings import Finding, error, warning
from kubeforge.plan.hosts_rules import HOST_RULES
from kubeforge.spec import errata, versions
from kubeforge.spec.model import ClusterSpec

Rule = Callable[[ClusterSpec], Iterator[Finding]]


def debian_release(spec: ClusterSpec) -> Iterator[Finding]:
    release = spec.debian_release
    if release in versions.DEBIAN_OBSOLETE:
        yield error("debian_release", f"{release} (Debian {versions.DEBIAN_OBSOLETE[release]}) is past "
                    f"its end of life; use {versions.DEBIAN_DEFAULT} (current stable)")
    elif release not in versions.DEBIAN_SUPPORTED:
        yield error("debian_release", f"unknown release {release!r}; use one of "
                    f"{', '.join(versions.DEBIAN_SUPPORTED)}")


def container_runtime(spec: ClusterSpec) -> Iterator[Finding]:
    if spec.container_runtime == "docker":
        yield error("container_runtime", "docker (dockershim) was removed in Kubernetes 1.24; "
                    "use containerd (the default)")


def credentials(spec: ClusterSpec) -> Iterator[Finding]:
    given = {
        "loadbalancer.stats_password": spec.loadbalancer.stats_password,
    }
    for field, secret in given.items():
        value = secret.get_secret_value() if secret is not None else None
        if value is not None and (value.lower() in errata.WEAK_SECRETS or len(value) < 12):
            yield error(field, f"{errata.EXPLAIN[5]}; remove the key so kubeforge generates a "
                        "strong secret, or give at least 12 random characters")


def dashboard(spec: ClusterSpec) -> Iterator[Finding]:
    if spec.addons.dashboard.kind != "none" and spec.addons.dashboard.access == "admin":
        yield warning("addons.dashboard.access", f"{errata.EXPLAIN[4]}; `admin` binds cluster-admin: "
                      "use `view` unless you mean it")


def coredns(spec: ClusterSpec) -> Iterator[Finding]:
    if "node-role.kubernetes.io/master" in spec.addons.coredns.node_selector:
        yield error("addons.coredns.node_selector", f"{errata.EXPLAIN[8]}; use "
                    "node-role.kubernetes.io/control-plane (kubeforge adds the matching toleration)")


def coredns_replicas(spec: ClusterSpec) -> Iterator[Finding]:
    coredns = spec.addons.coredns
    pinned = coredns.node_selector == {"node-role.kubernetes.io/control-plane": ""}
    if pinned and coredns.replicas > spec.hosts.control_plane.count:
        yield warning("addons.coredns.replicas", f"{coredns.replicas} replicas, one per control-plane "
                      f"machine, but only {spec.hosts.control_plane.count} exist: the extra pods stay "
                      "Pending; lower replicas to the control-plane count")


def packages(spec: ClusterSpec) -> Iterator[Finding]:
    for role, group in spec.hosts:
        for name in group.packages:
            if name in errata.PACKAGE_FIXES:
                yield error(f"hosts.{role}.packages", f"{name!r}: {errata.EXPLAIN[3]}; use "
                            f"{errata.PACKAGE_FIXES[name]}")


def corosync(spec: ClusterSpec) -> Iterator[Finding]:
    conf = spec.loadbalancer.corosync
    # The storage VIP's Corosync cluster (storage.vip_manager) uses these settings too.
    if "pacemaker" not in (spec.loadbalancer.vip_manager, spec.storage.vip_manager):
        return
    if conf.transport != "knet" and "none" not in (conf.crypto_cipher, conf.crypto_hash):
        yield error("loadbalancer.corosync.transport", f"{errata.EXPLAIN[9]}; set transport: knet "
                    "(the default) or drop crypto (not advised)")
    if conf.mcastaddr is not None and conf.transport != "udp":
        yield error("loadbalancer.corosync.mcastaddr", "multicast is only used by transport udp; "
                    "remove mcastaddr (knet uses the nodelist kubeforge renders)")


def backup_servers(spec: ClusterSpec) -> Iterator[Finding]:
    control = {f"{spec.hosts.control_plane.name_prefix}{i:02d}"
               for i in range(1, spec.hosts.control_plane.count + 1)}
    for name in spec.loadbalancer.backup_servers:
        if name not in control:
            yield error("loadbalancer.backup_servers", f"{name!r} is not a control-plane machine; "
                        f"use one of {', '.join(sorted(control)) or '(none planned)'}")
    if spec.loadbalancer.backup_servers:
        yield warning("loadbalancer.backup_servers", f"{errata.EXPLAIN[10]}; remove the list to "
                      "balance across every control-plane machine")


def storage(spec: ClusterSpec) -> Iterator[Finding]:
    if spec.storage.backend == "none":
        return
    count = spec.hosts.gluster.count
    if spec.storage.replica > count:
        yield error("storage.replica", f"replica {spec.storage.replica} needs at least as many "
                    f"gluster machines (have {count}); raise hosts.gluster.count or lower replica")
    elif count % spec.storage.replica:
        yield error("hosts.gluster.count", f"{count} gluster machines do not divide into replica "
                    f"sets of {spec.storage.replica}; use a multiple of {spec.storage.replica}")
    elif spec.storage.replica == 2:
        yield warning("storage.replica", "replica 2 can split-brain; use 3 (or add an arbiter)")
    if count and spec.hosts.gluster.data_disk_gb is None:
        yield error("hosts.gluster.data_disk_gb", "gluster machines need a data disk for bricks; "
                    "set data_disk_gb (the reference uses 500)")
    if spec.storage.vip_manager == "pacemaker" and count < 3:
        yield error("storage.vip_manager", f"pacemaker needs at least 3 gluster machines (have "
                    f"{count}): with fewer no majority survives a lost machine, so nobody would "
                    "hold the storage VIP; set hosts.gluster.count to 3 or use keepalived")


def capacity(spec: ClusterSpec) -> Iterator[Finding]:
    for role, subnet_name in ROLE_SUBNET.items():
        subnet = spec.network.subnets.get(subnet_name)
        count = getattr(spec.hosts, role).count
        if subnet is None or not count or not subnet.gateway in subnet.cidr:
            continue
        free = sum(1 for _, __ in zip(range(count), addresses.host_addresses(spec.network, subnet)))
        if free < count:
            yield error(f"hosts.{role}.count", f"{count} machines but only {free} addresses left in "
                        f"{subnet_name} ({subnet.cidr}) outside the pools; widen the subnet or "
                        "shrink its DHCP pool")


RULES: tuple[Rule, ...] = (
    *network_rules.NETWORK_RULES,
    *HOST_RULES,
    *service_rules.SERVICE_RULES,
    capacity,
    *versions_rules.VERSION_RULES,
    debian_release,
    container_runtime,
    credentials,
    dashboard,
    coredns,
    coredns_replicas,
    packages,
    corosync,
    backup_servers,
    storage,
)


def validate(spec: ClusterSpec) -> list[Finding]:
    return [finding for rule in RULES for finding in rule(spec)]
