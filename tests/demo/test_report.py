"""The demos' figures as printed and written to docs/benchmarks.md."""

from __future__ import annotations

import dataclasses
from typing import Any

from kubeforge.demo import ha, report, volumes


def summary(errors: int, outage: float) -> dict[str, Any]:
    return {"requests": 100, "errors": errors, "error_kinds": ["TimeoutError"] if errors else [],
            "outages_s": [outage] if outage else [], "longest_outage_s": outage,
            "unrecovered": False, "served_by": {"kube-mast01": 50, "kube-mast02": 50 - errors},
            "slow": 0, "slowest_s": 0.02}


def test_ha_report_says_stand_in_and_judges_the_goal() -> None:
    results = [
        ha.Scenario("pacemaker", "load balancer holding the VIP loses power", "kube-hapx01",
                    summary(8, 3.71), 60, 2.5),
        ha.Scenario("pacemaker", "API server stand-in on one master stops", "kube-mast01",
                    summary(0, 0.0), 60),
        ha.Scenario("pacemaker", "load balancer holding the VIP loses power", "kube-hapx01",
                    summary(6, 1.5), 60, 3.1, note="corosync token 500 ms"),
    ]
    text = report.ha_markdown(results, "benchmarks/demos.py", "test host", 0.1)
    assert ha.STANDIN_NOTE in text and "not Kubernetes" in text
    results.append(dataclasses.replace(results[0], summary=summary(4, 1.2)))
    results.append(dataclasses.replace(results[0], summary=summary(4, 1.4)))
    text = report.ha_markdown(results, "benchmarks/demos.py", "test host", 0.1)
    # Repeated runs: median of 3.71, 1.2, 1.4 is 1.4; min and max beside it.
    assert "- pacemaker: median VIP outage 1.40 s over 3 runs (goal ≤ 1.5 s: met)" in text
    assert "| pacemaker | load balancer holding the VIP loses power | 3 | 1.40 (1.20–3.71) |" in text
    assert ("- pacemaker (corosync token 500 ms): median VIP outage 1.50 s over 1 runs "
            "(goal ≤ 1.5 s: met)") in text
    assert "stopped: 0 over 1 runs (goal 0)" in text
    assert text.count("\n| pacemaker") == 3 + 5  # 3 groups, then every run


def test_volume_report_names_bytes_lost() -> None:
    demo = volumes.VolumeDemo("kube", "kube-node01", "kube-glus03", "shutdown", files=400,
                              bytes_written=400 * 65536, read_while_down=200,
                              written_while_down=200, heal_s=8.2, heal_entries_max=409)
    text = report.volumes_markdown(demo, "benchmarks/demos.py", "test host")
    assert "Bytes lost: **0** (goal 0)" in text
    assert "| 400 | 26214400 | 200/200 | 200 |" in text
