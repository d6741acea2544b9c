"""control-plane-join and workers-join: `kubeadm join` with the live CA's pin filled in.

The CA exists only after `kubeadm init`, so each run reads its public-key hash from the
first control-plane machine (prepare) and writes it into the rendered join file. Control
planes join one at a time (each adds an etcd member); workers join in parallel.

Joins work any day, not only within a day of `kubeadm init`: before a machine joins, the
first control plane's bootstrap token (24 h) and, for control planes, the uploaded
certificates (2 h) are checked and re-created by kubeadm when missing or about to expire
(the phase's prerequisite: checked whenever a machine will join, never recorded).
"""

from __future__ import annotations

from kubeforge import errors
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import kube
from kubeforge.bootstrap.phases.base import Phase, Query
from kubeforge.bootstrap.phases.kube import first_control_plane
from kubeforge.render import kubeadm

CA_HASH = ("openssl x509 -pubkey -noout -in /etc/kubernetes/pki/ca.crt | openssl pkey -pubin "
           "-outform der | sha256sum | cut -d' ' -f1")
KUBELET_CONF = "/etc/kubernetes/kubelet.conf"


class Join(Phase):
    role = ""
    ca_hash: str | None = None

    def hosts(self, ctx: Context) -> list[str]:
        hosts = ctx.hosts_with_role(self.role)
        return [h for h in hosts if h not in first_control_plane(ctx)]

    async def prepare(self, ctx: Context, query: Query, dry: bool) -> None:
        if not self.hosts(ctx):
            return
        first = first_control_plane(ctx)[0]
        found = await query(first, CA_HASH)
        digest = (found or "").strip()
        if len(digest) == 64:
            self.ca_hash = f"sha256:{digest}"
        elif not dry:
            raise errors.ApplyError(
                f"{self.name}: cannot read the cluster CA from {first} "
                "(/etc/kubernetes/pki/ca.crt); run the control-plane-init phase first")

    def prerequisite(self, ctx: Context) -> tuple[str, m.Manifest] | None:
        first = first_control_plane(ctx)
        if ctx.secrets is None or not first:
            return None
        ops = [kube.token_op(ctx.secrets.kubeadm_token)]
        if self.role == "control_plane":
            ops.append(kube.certificates_op())  # the key: in the init config
        return first[0], m.Manifest(ops)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        ops: list[m.Op] = []
        for artifact in ctx.host_files(host, "kubeadm"):
            if artifact.target != kubeadm.JOIN_TARGET:
                continue
            content = artifact.content
            if self.ca_hash:
                content = kubeadm.with_ca_cert_hash(content, self.ca_hash)
            ops.append(m.file(kubeadm.JOIN_TARGET, content, mode=0o600, secret=True))
        ops.append(m.command("kubeadm-join", f"kubeadm join --config {kubeadm.JOIN_TARGET}",
                             creates=KUBELET_CONF))
        return m.Manifest(ops)


class ControlPlaneJoin(Join):
    name = "control-plane-join"
    title = "kubeadm join of the other control-plane machines, one at a time"
    role = "control_plane"
    serial = True
    needs_kubernetes = True


class WorkersJoin(Join):
    name = "workers-join"
    title = "kubeadm join of the workers, in parallel"
    role = "worker"
    needs_kubernetes = True
