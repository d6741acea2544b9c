"""Shared by the Kubernetes phases: the admin kubeconfig, and turning the add-ons recipe
(`render.addons.steps`: apply files, apply URLs, patch, wait) into guarded ops."""

from __future__ import annotations

import shlex
from typing import Any

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.render import kubeadm

ADMIN_CONF = "/etc/kubernetes/admin.conf"
KUBECTL = f"kubectl --kubeconfig {ADMIN_CONF}"
MANIFESTS = "/etc/kubeforge/manifests"
APPLY = f"{KUBECTL} apply --server-side --force-conflicts --field-manager=kubeforge -f"


def first_control_plane(ctx: Context) -> list[str]:
    return ctx.hosts_with_role("control_plane")[:1]


def step_ops(ctx: Context, step: dict[str, Any]) -> list[m.Op]:
    """One recipe step. Server-side apply with one field manager is idempotent and merges,
    so a re-run patches instead of failing on existing objects (ERRATA 8: no edit-and-replace).
    Every op is guarded: a converged cluster reports nothing to do."""
    name, wait = step["name"], step.get("wait")
    exists = _exists(wait) if wait else None
    ops = [m.command(f"{name}:url:{url}", f"{APPLY} {shlex.quote(url)}", unless=exists)
           for url in step.get("apply_urls", [])]
    for file_name in step.get("apply", []):
        placed = _placed(ctx, file_name)
        ops += [placed, m.command(f"{name}:apply:{file_name}",
                                  f"{APPLY} {placed.args['path']}", on_change=[placed])]
    if "patch" in step:
        patch = step["patch"]
        placed = _placed(ctx, patch["file"])
        ops += [placed, m.command(
            f"{name}:patch", f"{KUBECTL} -n {patch['namespace']} patch deployment "
            f"{patch['deployment']} --type {patch['type']} --patch-file {placed.args['path']}",
            on_change=[placed])]
    if wait:
        ops.append(m.command(f"{name}:wait", _rollout(wait, "300s"),
                             unless=_rollout(wait, "1s")))
    return ops


def _placed(ctx: Context, file_name: str) -> m.Op:
    artifact = ctx.cluster_file(file_name)
    if artifact is None:
        raise KeyError(f"cluster/{file_name} was not rendered")
    return m.file(f"{MANIFESTS}/{file_name}", artifact.content, mode=0o600,
                  secret=artifact.secret)


def _exists(wait: dict[str, str]) -> str:
    return f"{KUBECTL} -n {wait['namespace']} get {wait['kind']} {wait['name']} >/dev/null 2>&1"


def _rollout(wait: dict[str, str], timeout: str) -> str:
    return (f"{KUBECTL} -n {wait['namespace']} rollout status {wait['kind']}/{wait['name']} "
            f"--timeout={timeout}")


# -- join credentials: valid whenever a machine joins, not only on the day of `kubeadm init` ---
# kubeadm's defaults: a bootstrap token lives 24 h; uploaded control-plane certificates live
# 2 h (they are owned by a proxy token whose description names the kubeadm-certs Secret).
TOKEN_TTL = "24h0m0s"
TOKEN_DESCRIPTION = "kubeforge: node joins"
CERTS_OWNER = "kubeadm-certs"  # in the proxy token's description
# A join started now must finish before the credentials expire: anything closer is renewed.
MARGIN_S = 15 * 60
TOKENS = f"kubeadm token list --kubeconfig {ADMIN_CONF}"


def _fresh(expiry: str) -> str:
    """Shell test: `expiry` (a command printing RFC 3339 times, newest last) is far enough off."""
    return (f'exp=$({expiry} | sort | tail -n 1); [ -n "$exp" ] && {{ [ "$exp" = "<never>" ] || '
            f'[ "$(date -d "$exp" +%s)" -ge "$(( $(date +%s) + {MARGIN_S} ))" ]; }}')


def token_op(token: str) -> m.Op:
    """The spec's bootstrap token exists and has time left; else kubeadm re-creates it (the
    same token: every rendered join file holds it)."""
    token_id = token.split(".", 1)[0]
    listed = f"{TOKENS} 2>/dev/null | awk '$1 == \"{token}\" {{print $3}}'"
    create = (f"kubeadm token delete {token_id} --kubeconfig {ADMIN_CONF} >/dev/null 2>&1; "
              f"kubeadm token create {token} --ttl {TOKEN_TTL} "
              f"--description '{TOKEN_DESCRIPTION}' --kubeconfig {ADMIN_CONF}")
    return m.command("join-token", create, unless=_fresh(listed), secret=True)


def certificates_op() -> m.Op:
    """The control-plane certificates are uploaded and have time left; else kubeadm uploads
    them again, encrypted with the spec's certificate key. The key comes from the init config
    (`certificateKey`), never the command line: kubeadm refuses `--certificate-key` next to
    `--config` ("can not mix '--config' with arguments"), and a secret in argv is visible to
    every process on the machine."""
    owners = f"{TOKENS} 2>/dev/null | awk '/{CERTS_OWNER}/ {{print $3}}'"
    secret = f"kubectl --kubeconfig {ADMIN_CONF} -n kube-system get secret {CERTS_OWNER}"
    upload = (f"kubeadm init phase upload-certs --upload-certs --config "
              f"{kubeadm.INIT_TARGET} --skip-certificate-key-print")
    return m.command("join-certificates", upload,
                     unless=f"{_fresh(owners)} && {secret} >/dev/null 2>&1")
