"""Rules on values that parse but mean nothing: ports taken by another service, DNS loops, names
that shadow the cluster's own."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address

from kubeforge.plan.findings import Finding, error
from kubeforge.spec.model import ClusterSpec

# Ports already bound on the machines that bind api_port (load balancers, and the control plane
# through kubeadm's bindPort) or stats_port (load balancers).
TAKEN_PORTS = {
    22: "SSH", 53: "DNS", 2224: "pcsd (Pacemaker)", 2379: "etcd clients", 2380: "etcd peers",
    3121: "pacemaker_remote", 10249: "kube-proxy metrics", 10250: "the kubelet",
    10256: "kube-proxy health", 10257: "kube-controller-manager", 10259: "kube-scheduler",
}
# kubeadm's dnsDomain: a node domain under it would shadow Service names.
CLUSTER_DOMAIN = "cluster.local"


def ports(spec: ClusterSpec) -> Iterator[Finding]:
    lb = spec.loadbalancer
    for field, port in (("network.api_port", spec.network.api_port), ("loadbalancer.stats_port", lb.stats_port)):
        if port in TAKEN_PORTS:
            yield error(field, f"{port} is taken by {TAKEN_PORTS[port]}; choose a free port "
                        "(defaults: api_port 6443, stats_port 32700)")
    if spec.network.api_port == lb.stats_port:
        yield error("loadbalancer.stats_port", f"{lb.stats_port} is also network.api_port: HAProxy "
                    "cannot serve both on one port; choose another (default 32700)")


def upstream_dns(spec: ClusterSpec) -> Iterator[Finding]:
    seen: set[IPv4Address] = set()
    for index, server in enumerate(spec.network.upstream_dns):
        field = f"network.upstream_dns.{index}"
        why = _not_upstream(spec, server)
        if why:
            yield error(field, f"{server} {why}; give a resolver outside the cluster "
                        "(e.g. your site's DNS server)")
        elif server in seen:
            yield error(field, f"{server} is listed twice; remove one")
        seen.add(server)


def _not_upstream(spec: ClusterSpec, server: IPv4Address) -> str | None:
    """Why dnsmasq on the gateway cannot forward to `server` (a loop or nowhere), or None."""
    net = spec.network
    if server.is_loopback or server.is_unspecified:
        return "is the gateway itself (loopback): dnsmasq would forward to itself"
    if server in {s.gateway for s in net.subnets.values()}:
        return "is the cluster's own gateway: dnsmasq would forward to itself"
    if server.is_multicast or server.is_reserved or server == IPv4Address("255.255.255.255"):
        return "is a multicast, reserved or broadcast address, not a resolver"
    for what, cidr in (("the machine supernet", net.supernet), ("the pod network", net.pod_cidr),
                       ("the service network", net.service_cidr)):
        if server in cidr:
            return f"is inside {what} ({cidr}), where no upstream resolver runs"
    return None


def domain(spec: ClusterSpec) -> Iterator[Finding]:
    name = spec.domain
    if name == CLUSTER_DOMAIN or name.endswith(f".{CLUSTER_DOMAIN}"):
        yield error("domain", f"{name} lies in the cluster's Service domain ({CLUSTER_DOMAIN}); "
                    "machine names would shadow Services: use another domain (default kube.local)")


SERVICE_RULES = (ports, upstream_dns, domain)
