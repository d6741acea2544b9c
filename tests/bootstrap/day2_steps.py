"""Golden per-host step lists of the day-2 operations (what `--dry-run` lists), and the
contexts they are planned from: the default spec, on the lab (stand-ins, no Kubernetes
binaries) or on real machines.

Regenerate after an intended change: `KUBEFORGE_UPDATE_GOLDEN=1 .venv/bin/pytest
tests/bootstrap -k day2`, then review the diff of tests/bootstrap/golden/day2/.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.steps import listing
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import bundle, etcd_pki
from kubeforge.spec import default
from kubeforge.spec.model import ClusterSpec
from tests.render.goldens import UPDATE, fixed_secrets

ROOT = Path(__file__).parent / "golden" / "day2"


def with_count(spec: ClusterSpec, role: str, count: int) -> ClusterSpec:
    group = getattr(spec.hosts, role).model_copy(update={"count": count})
    return spec.model_copy(update={"hosts": spec.hosts.model_copy(update={role: group})})


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGoldenGoldenGoldenGoldenGoldenGoldenGoldenGo golden"


def default_spec() -> ClusterSpec:
    return default.default_spec().model_copy(update={"ssh_public_key": KEY})


def context(state: Path, lab: bool, plan: Plan | None = None) -> Context:
    plan = plan or build_plan(default_spec())
    artifacts = bundle.render_all(plan, fixed_secrets())
    if lab:
        artifacts += etcd_pki.artifacts(state, plan)
    return Context(plan, tuple(artifacts), fixed_secrets(), kubernetes_binaries=not lab)


def check(phases: Sequence[Phase], ctx: Context, case: str,
          only: frozenset[str] | None = None) -> str:
    text = "\n".join(listing(phases, ctx, only)) + "\n"
    path = ROOT / f"{case}.txt"
    if UPDATE:
        path.write_text(text)
    assert path.exists(), f"{path}: no golden file; create it with KUBEFORGE_UPDATE_GOLDEN=1"
    assert text == path.read_text(), (f"steps differ from {path}; if intended, regenerate "
                                      "with KUBEFORGE_UPDATE_GOLDEN=1")
    return text
