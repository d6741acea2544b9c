"""Run every renderer and write the output tree. Rendering is pure; only write_tree touches disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from kubeforge.errors import RenderError
from kubeforge.plan.model import Plan
from kubeforge.render import addons, cloudinit, gateway, kubeadm, loadbalancer, nodes, storage
from kubeforge.render.artifact import Artifact
from kubeforge.render.secrets import Secrets

Renderer = Callable[[Plan, Secrets], list[Artifact]]

# Order matters only for cloudinit, which reads what the others rendered (write_files).
RENDERERS: tuple[Renderer, ...] = (
    gateway.render,
    loadbalancer.render,
    nodes.render,
    kubeadm.render,
    addons.render,
    storage.render,
)


def render_all(plan: Plan, secrets: Secrets) -> list[Artifact]:
    artifacts = [a for renderer in RENDERERS for a in renderer(plan, secrets)]
    artifacts += cloudinit.render(plan, secrets, artifacts)
    _check_unique(artifacts)
    return sorted(artifacts, key=lambda a: a.dest)


def _check_unique(artifacts: list[Artifact]) -> None:
    seen: dict[str, str] = {}
    for artifact in artifacts:
        if artifact.dest in seen:
            raise RenderError(f"{artifact.dest}: rendered twice ({seen[artifact.dest]}, {artifact.component})")
        seen[artifact.dest] = artifact.component


def write_tree(artifacts: list[Artifact], out_dir: Path) -> None:
    """Replace out_dir with the new tree in one rename, so a failure never leaves half a tree."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        for artifact in artifacts:
            path = staging / artifact.dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(artifact.content)
            os.chmod(path, artifact.mode)
        os.chmod(staging, 0o700)  # the tree holds secrets (authkey, stats password...)
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out_dir, old)
            os.replace(staging, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
