"""verify: the API answers through the VIP (from the gateway), and every node is Ready.

Checks are `unless` guards: converged when the check passes; otherwise the command waits
for it (bounded) and fails with the reason.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.kube import KUBECTL, first_control_plane

TCP_PROBE = ("python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], "
             "int(sys.argv[2])), timeout=3).close()' {address} {port}")


class VerifyApiVip(Phase):
    name = "verify-vip"
    title = "the API VIP accepts connections (checked from the gateway)"

    def hosts(self, ctx: Context) -> list[str]:
        return ctx.hosts_with_role("gateway")[:1]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        network = ctx.plan.network
        probe = TCP_PROBE.format(address=network.api_vip, port=network.api_port)
        wait = f"for i in $(seq 30); do {probe} 2>/dev/null && exit 0; sleep 1; done; {probe}"
        return m.Manifest([m.command("api-vip", wait, unless=probe)])


class VerifyNodes(Phase):
    name = "verify"
    title = "every node Ready"
    needs_kubernetes = True

    def hosts(self, ctx: Context) -> list[str]:
        return first_control_plane(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        ready = f"{KUBECTL} wait --for=condition=Ready nodes --all --timeout={{t}}"
        return m.Manifest([m.command("nodes-ready", ready.format(t="300s"),
                                     unless=ready.format(t="5s"))])
