"""vip: the Pacemaker resources (the VIP, the ping clone), loaded once from the first LB.

Runs after `lb` so that both nodes' Pacemaker is up: `crm configure load update` is
idempotent, and re-runs only when the rendered crm file changes (or an earlier load was
interrupted). Nothing to do with keepalived.
"""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase, files
from kubeforge.bootstrap.phases.lb import crm_loader

WAIT_FOR_DC = ("for i in $(seq 90); do crm_attribute -G -n dc-version >/dev/null 2>&1 "
               "&& break; sleep 1; done; ")


class Vip(Phase):
    name = "vip"
    title = "the API VIP as a Pacemaker resource"

    def hosts(self, ctx: Context) -> list[str]:
        return crm_loader(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        return m.Manifest(crm_loads(files(ctx.host_files(host, "loadbalancer"))))


def crm_loads(rendered: list[m.Op]) -> list[m.Op]:
    """Each crm script among `rendered`, and its load once a DC exists, run when it changes
    (the storage-vip phase loads the storage VIP's the same way)."""
    ops: list[m.Op] = []
    for op in (op for op in rendered if op.args["path"].endswith(".crm")):
        ops += [m.file(op.args["path"], op.content or b"", mode=0o644),
                m.command(f"crm-load:{op.args['path']}",
                          WAIT_FOR_DC + f"crm configure load update {op.args['path']}",
                          on_change=[op])]
    return ops
