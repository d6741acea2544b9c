"""One rendered file, and where it goes: in the output tree and on its host."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Artifact:
    dest: str  # path inside the output tree: "<host>/etc/...", "cluster/...", "seeds/<host>/..."
    content: bytes
    mode: int = 0o644
    host: str | None = None  # machine the file belongs on; None for cluster-level files
    target: str | None = None  # absolute path on that machine
    secret: bool = False  # holds a secret: never shown in diffs, logs or output
    component: str = ""  # renderer that made it (gateway, loadbalancer, ...)

    @property
    def text(self) -> str:
        return self.content.decode()


def host_file(
    component: str, host: str, target: str, content: str | bytes, mode: int = 0o644, secret: bool = False
) -> Artifact:
    """A file for a machine at an absolute path; lands at out/<host>/<target>."""
    path = PurePosixPath(target)
    if not path.is_absolute():
        raise ValueError(f"target must be absolute: {target}")
    data = content.encode() if isinstance(content, str) else content
    return Artifact(f"{host}{path}", data, mode, host, target, secret, component)


def cluster_file(component: str, name: str, content: str | bytes, mode: int = 0o644, secret: bool = False) -> Artifact:
    """A cluster-level file (manifest, kubeadm config); lands at out/cluster/<name>."""
    data = content.encode() if isinstance(content, str) else content
    return Artifact(f"cluster/{name}", data, mode, None, None, secret, component)


def seed_file(host: str, name: str, content: str | bytes, mode: int = 0o600) -> Artifact:
    """A cloud-init NoCloud seed file; lands at out/seeds/<host>/<name>."""
    data = content.encode() if isinstance(content, str) else content
    return Artifact(f"seeds/{host}/{name}", data, mode, host, None, False, "cloudinit")
