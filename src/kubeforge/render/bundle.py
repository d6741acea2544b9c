"""Run every renderer and write the output tree. Rendering is pure; only write_tree touches disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from kubeforge.errors import RenderError
from kubeforge.plan.model import Plan
from kubeforge.render import (
    addons,
    cloudinit,
    gateway,
    kubeadm,
    loadbalancer,
    nodes,
    outdir,
    storage,
)
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


def write_tree(artifacts: list[Artifact], out_dir: Path,
               protected: Mapping[str, Path] | None = None) -> None:
    """Replace out_dir with the new tree in one rename, so a failure never leaves half a tree.
    Only a directory render may replace (outdir.check) is touched; `protected` are the paths
    it must never replace (the spec's directory, the state, the current directory)."""
    real = outdir.check(out_dir, protected)
    real.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{real.name}.new.", dir=real.parent))
    try:
        _fill(staging, artifacts)
        if real.exists():  # checked: empty, or only what a previous render wrote
            _swap(staging, real)
        else:
            os.replace(staging, real)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _fill(staging: Path, artifacts: list[Artifact]) -> None:
    for artifact in artifacts:
        path = staging / outdir.safe_dest(artifact.dest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.content)
        os.chmod(path, artifact.mode)
    (staging / outdir.MARKER).write_bytes(outdir.manifest(a.dest for a in artifacts))
    os.chmod(staging, 0o700)  # the tree holds secrets (authkey, stats password...)


def _swap(staging: Path, real: Path) -> None:
    """The old tree goes into a fresh directory of our own, then away: no fixed name (like
    `.out.old`) that could be someone else's is ever removed."""
    trash = Path(tempfile.mkdtemp(prefix=f".{real.name}.old.", dir=real.parent))
    os.replace(real, trash / real.name)
    os.replace(staging, real)
    shutil.rmtree(trash)
