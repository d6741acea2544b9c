"""`kubeforge apply` on a test lab, in its own process so a test can SIGKILL it.

    python -m tests.lab.apply_driver STATE_ROOT LAB_STATE_DIR
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from rich.console import Console

from kubeforge.bootstrap import engine, inventory
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.runner import Options
from kubeforge.lab import seeds
from kubeforge.lab.paths import LabPaths
from kubeforge.provision import lab as provision_lab
from kubeforge.render import bundle
from kubeforge.workspace import Workspace


def main() -> None:
    workspace = Workspace(None, Path(sys.argv[1]))
    default = LabPaths.default()  # the test session's prefix ($KUBEFORGE_LAB_PREFIX) too
    paths = LabPaths(cache=default.cache, state=Path(sys.argv[2]), prefix=default.prefix)
    plan = seeds.lab_plan(workspace.operator_spec())
    secrets = workspace.secrets()
    ctx = Context(plan, tuple(bundle.render_all(plan, secrets)), secrets,
                  kubernetes_binaries=False)
    reach = inventory.from_handoff(plan, provision_lab.handoff(plan, paths))
    asyncio.run(engine.apply(ctx, reach, workspace.state_dir, Options(),
                             Console(width=160, color_system=None)))


if __name__ == "__main__":
    main()
