"""What phases plan from: the plan, the rendered artifacts, and what the hosts can run."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubeforge.plan.model import Plan
from kubeforge.render.artifact import Artifact
from kubeforge.render.secrets import Secrets


@dataclass(frozen=True)
class Context:
    plan: Plan
    artifacts: tuple[Artifact, ...]
    secrets: Secrets | None = None
    # False on the lab: no kubeadm/kubelet binaries exist, Kubernetes phases only dry-run.
    kubernetes_binaries: bool = True
    _by_host: dict[str, list[Artifact]] = field(default_factory=dict, repr=False,
                                                compare=False)

    def __post_init__(self) -> None:
        for artifact in self.artifacts:
            if artifact.host is not None and artifact.target is not None:
                self._by_host.setdefault(artifact.host, []).append(artifact)

    def host_files(self, host: str, *components: str) -> list[Artifact]:
        """Files rendered for `host` by the named renderers, in a stable order."""
        return sorted((a for a in self._by_host.get(host, []) if a.component in components),
                      key=lambda a: a.target or "")

    def cluster_file(self, name: str) -> Artifact | None:
        return next((a for a in self.artifacts if a.dest == f"cluster/{name}"), None)

    def hosts_with_role(self, role: str) -> list[str]:
        return [m.name for m in self.plan.machines if m.role == role]

    def secret_values(self) -> list[str]:
        return self.secrets.values() if self.secrets is not None else []
