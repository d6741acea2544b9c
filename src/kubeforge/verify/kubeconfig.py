"""The admin kubeconfig for the operator: kubeadm's admin.conf from the first control plane,
with its server set to the API VIP, or to a local forward through the gateway.

A forward reaches the API server as https://127.0.0.1:PORT, a name its certificate does not
carry, so the cluster entry also says `tls-server-name: kubernetes` (a name kubeadm always
puts in the API server certificate): TLS is verified against the cluster CA all the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from kubeforge.bootstrap.phases.kube import ADMIN_CONF
from kubeforge.bootstrap.ssh import Target
from kubeforge.errors import ApplyError, StateError
from kubeforge.plan.model import Plan
from kubeforge.render import secrets as secrets_store
from kubeforge.verify import remote

API_PORT = 6443
TLS_NAME = "kubernetes"  # always among kubeadm's API server certificate names
MARKER = "# kubeforge: the admin kubeconfig of cluster {name}; a later `kubeforge kubeconfig` "\
         "replaces this file\n"


@dataclass(frozen=True)
class Server:
    url: str
    tls_name: str | None = None  # set when the URL is a local forward


def vip_server(plan: Plan) -> Server:
    return Server(f"https://{plan.network.api_vip}:{API_PORT}")


def forward_server(port: int) -> Server:
    return Server(f"https://127.0.0.1:{port}", TLS_NAME)


def forward_argv(gateway: Target, key: Path, known_hosts: Path, netns: str | None,
                 local_port: int, vip: str, remote_port: int = API_PORT) -> list[str]:
    """OpenSSH command that holds a local forward to vip:remote_port through the gateway."""
    argv = ["ip", "netns", "exec", netns] if netns else []
    return [*argv, "ssh", "-i", str(key), "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={known_hosts}", "-o", "ExitOnForwardFailure=yes",
            "-N", "-L", f"{local_port}:{vip}:{remote_port}", "-p", str(gateway.port),
            f"{gateway.user}@{gateway.address}"]


def rewrite(admin_conf: bytes, server: Server, cluster: str) -> bytes:
    """admin.conf with every cluster's server replaced (pure)."""
    try:
        config = yaml.safe_load(admin_conf)
        for entry in config["clusters"]:
            entry["cluster"]["server"] = server.url
            if server.tls_name:
                entry["cluster"]["tls-server-name"] = server.tls_name
            else:
                entry["cluster"].pop("tls-server-name", None)
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise ApplyError(f"{ADMIN_CONF} on the first control plane is not a kubeconfig "
                         f"({type(exc).__name__}); re-run `kubeforge apply --phase "
                         "control-plane-init`") from None
    body = yaml.safe_dump(config, sort_keys=False)
    return (MARKER.format(name=cluster) + body).encode()


async def fetch(reader: remote.Reader, host: str) -> bytes | None:
    """admin.conf from `host`, or None when it has none (no cluster initialised there)."""
    return await reader.try_read(host, f"cat {ADMIN_CONF}")


def write(path: Path, content: bytes, cluster: str, state_dir: Path) -> None:
    """0600, atomically; never over a file kubeforge did not write."""
    if path.exists() or path.is_symlink():
        head = path.read_bytes()[:200] if path.is_file() and not path.is_symlink() else b""
        if not head.startswith(MARKER.format(name=cluster).encode()):
            raise StateError(f"{path} exists and is not a kubeconfig kubeforge wrote for "
                             f"{cluster}; choose another -o FILE, or move it away")
    write_0600(path, content, state_dir)


def write_0600(path: Path, content: bytes, state_dir: Path) -> None:
    """Into the state directory with its own checks; elsewhere (a path the user named)
    see `_write_user_file`."""
    if path.parent.resolve() == state_dir.resolve():
        secrets_store.write_private(path, content)
    else:
        _write_user_file(path, content)


def _write_user_file(path: Path, content: bytes) -> None:
    """A file the user named (-o), possibly in a shared directory: created 0600 by a
    rename, so no reader ever sees it half-written or readable by others."""
    tmp = path.with_name(f".{path.name}.kubeforge-tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
