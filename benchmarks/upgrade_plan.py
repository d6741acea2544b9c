"""Planning `kubeforge upgrade --to 1.N` for a 1,000-worker spec (issue 11: target < 1 s).

Timed: the version-skew rules, the target version's plan and node files (the apt source), the
ordered phases (control planes, then workers in batches of 10) and the per-host step list
`--dry-run` prints. Five runs; median, min, max.

    .venv/bin/python benchmarks/upgrade_plan.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _report
from render_scale import with_workers

from kubeforge.bootstrap import upgrade
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.steps import listing
from kubeforge.plan.build import build_plan
from kubeforge.render import secrets

RUNS = 5


def plan_upgrade(ctx: Context) -> int:
    problems = upgrade.skew_problems(ctx.plan.spec, "1.37")
    assert not problems, problems
    target = upgrade.target_context(ctx, "1.37")
    return len(listing(upgrade.phases(target, "1.37", parallel=10), target))


def main() -> None:
    spec = with_workers(1000).model_copy(update={"kubernetes_version": "1.36"})
    ctx = Context(build_plan(spec), (), secrets.generate(spec), kubernetes_binaries=True)
    times, lines = [], 0
    for _ in range(RUNS):
        start = time.perf_counter()
        lines = plan_upgrade(ctx)
        times.append(time.perf_counter() - start)
    median, low, high = statistics.median(times), min(times), max(times)
    print(f"upgrade plan, 1,000 workers: median {median:.3f} s (min {low:.3f}, max {high:.3f}), "
          f"{lines} lines")
    _report.update_section("upgrade_plan", f"""## Day 2: planning an upgrade of 1,000 workers

`.venv/bin/python benchmarks/upgrade_plan.py` on {_report.machine()}: skew rules, the target
version's plan and node files, the ordered phases (workers in batches of 10) and the
{lines}-line per-host step list, {RUNS} runs.

| median | min | max | target |
|---|---|---|---|
| {median:.3f} s | {low:.3f} s | {high:.3f} s | < 1 s |""")


if __name__ == "__main__":
    main()
