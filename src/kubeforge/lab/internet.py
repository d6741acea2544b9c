"""The stub internet: the gateway's uplink ends here. It hands the uplink a DHCP lease (10.0.2.15
behind 10.0.2.2, as VirtualBox NAT does) and answers DNS on the spec's upstream resolver
addresses without knowing any name, so the gateway's forwarding resolver has a peer inside the
lab and nothing is ever forwarded outside. It has no route anywhere: the lab is sealed."""

from __future__ import annotations

import subprocess

from kubeforge.lab import netns
from kubeforge.lab.paths import LabPaths
from kubeforge.lab.record import Made, Record
from kubeforge.lab.topology import (
    INTERNET_IF,
    INTERNET_NETWORK,
    INTERNET_OPERATOR_IF,
    INTERNET_ROUTER,
    INTERNET_UPLINK_LEASE,
    OPERATOR_ADDRESS,
    OPERATOR_IF,
    OPERATOR_ROUTER,
    Topology,
)

LABEL = "dnsmasq:internet"


def configure(topology: Topology) -> None:
    internet, operator = topology.internet_ns, topology.operator_ns
    netns.add_address(internet, INTERNET_IF, INTERNET_ROUTER)
    for resolver in topology.resolvers:
        netns.add_address(internet, "lo", resolver)
    # The operator link, routed (inside the stub only) to the gateway's uplink network.
    netns.add_link(operator, OPERATOR_IF, internet, INTERNET_OPERATOR_IF)
    netns.add_address(operator, OPERATOR_IF, OPERATOR_ADDRESS)
    netns.add_address(internet, INTERNET_OPERATOR_IF, OPERATOR_ROUTER)
    netns.ip(operator, "route", "add", str(INTERNET_NETWORK), "via", str(OPERATOR_ROUTER.ip))
    netns.sysctl(internet, "net.ipv4.ip_forward", "1")


def start_dnsmasq(paths: LabPaths, topology: Topology, record: Record) -> int:
    state = paths.state / "internet"
    state.mkdir(parents=True, exist_ok=True)
    listen = ",".join([str(INTERNET_ROUTER.ip), *(str(r) for r in topology.resolvers)])
    lease = str(INTERNET_UPLINK_LEASE)
    argv = [
        "ip", "netns", "exec", topology.internet_ns, "dnsmasq", "--keep-in-foreground",
        "--conf-file=/dev/null", f"--pid-file={state / 'dnsmasq.pid'}", "--user=root",
        "--no-resolv", "--no-hosts", "--no-poll", "--bind-interfaces",
        f"--listen-address={listen}",
        "--address=/#/",  # every name: NXDOMAIN; the stub knows nothing and forwards nowhere
        f"--dhcp-range={lease},{lease},{INTERNET_ROUTER.network.netmask},12h",
        f"--dhcp-option=option:router,{INTERNET_ROUTER.ip}",
        f"--dhcp-option=option:dns-server,{INTERNET_ROUTER.ip}",
        f"--dhcp-leasefile={state / 'leases'}", "--log-facility=-",
    ]
    log = (state / "dnsmasq.log").open("wb")
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                               start_new_session=True)
    log.close()
    record.add(Made("process", LABEL, process.pid, f"--dhcp-leasefile={state / 'leases'}"))
    return process.pid
