"""`kubeforge certs renew`: `kubeadm certs renew all` on each control plane, one at a time,
then the restart kubeadm's documentation asks for: each static pod's manifest moved out of
/etc/kubernetes/manifests long enough for the kubelet to stop it (its file check runs every
20 s), then back, and the API server awaited before the next control plane. A marker per
renewal (/var/lib/kubeforge/certs-renew/<id>/) makes a re-run resume, not renew twice."""

from __future__ import annotations

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.steps import Steps

MARKERS = "/var/lib/kubeforge/certs-renew"
MANIFESTS = "/etc/kubernetes/manifests"
COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
READY = ("for i in $(seq 60); do kubectl --kubeconfig /etc/kubernetes/admin.conf get --raw=/readyz "
         ">/dev/null 2>&1 && exit 0; sleep 5; done; exit 1")


def once(renewal: str, step: str, cmd: str) -> m.Op:
    marker = f"{MARKERS}/{renewal}/{step}.done"
    return m.command(f"certs-renew-{renewal}:{step}",
                     f"{cmd} && mkdir -p {MARKERS}/{renewal} && touch {marker}", creates=marker)


def restart(component: str, renewal: str) -> str:
    aside = f"{MARKERS}/{renewal}/manifests"
    return (f"mkdir -p {aside} && mv {MANIFESTS}/{component}.yaml {aside}/ && sleep 20 && "
            f"mv {aside}/{component}.yaml {MANIFESTS}/")


def renew(hosts: list[str], renewal: str) -> Steps:
    def ops(ctx: Context, host: str) -> list[m.Op]:
        return [once(renewal, "renew", "kubeadm certs renew all"),
                *(once(renewal, f"restart-{c}", restart(c, renewal)) for c in COMPONENTS),
                once(renewal, "apiserver-ready", READY),
                once(renewal, "check", "kubeadm certs check-expiration")]

    return Steps("certs-renew", "kubeadm certs renew all and restart the control-plane pods, "
                 "one control plane at a time", hosts, ops, serial=True, needs_kubernetes=True)
