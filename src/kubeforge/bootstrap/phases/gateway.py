"""gateway: IP forwarding, the nftables firewall/NAT, dnsmasq (DNS and DHCP)."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files, sysctl_loads, under


class Gateway(Phase):
    name = "gateway"
    title = "routing, firewall/NAT, DNS and DHCP on the gateway"

    def hosts(self, ctx: Context) -> list[str]:
        return ctx.hosts_with_role("gateway")

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        rendered = files(ctx.host_files(host, "gateway"))
        nft = under(rendered, "/etc/nftables")
        dns = under(rendered, "/etc/dnsmasq")
        unit = under(rendered, "/etc/systemd/")  # the agent reloads systemd before the restart
        ops = [m.packages("dnsmasq", "nftables"), *rendered, *sysctl_loads(rendered),
               m.sysctl("net.ipv4.ip_forward", 1),
               # Validate before (re)loading: a broken ruleset never replaces a working one.
               m.command("nft-check", "nft -c -f /etc/nftables.conf", on_change=nft),
               m.service("nftables", restart_on=nft),
               m.command("dnsmasq-check", "dnsmasq --test", on_change=dns),
               m.service("dnsmasq", restart_on=[*dns, *unit])]
        return m.Manifest(ops)
