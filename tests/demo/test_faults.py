"""demo.faults without a lab: what counts as healed, and reading crm_mon."""

from __future__ import annotations

from kubeforge.demo import faults

CRM_MON = """Node List:
  * Online: [ kube-hapx01 kube-hapx02 ]

Full List of Resources:
  * kubeforge-vip\t(ocf:heartbeat:IPaddr2):\t Started kube-hapx01
  * Clone Set: kubeforge-ping-clone [kubeforge-ping]:
    * Started: [ kube-hapx01 kube-hapx02 ]
"""
NODES = ["kube-hapx01", "kube-hapx02"]


def test_pacemaker_is_whole_only_with_both_online_and_pinging() -> None:
    assert faults.pacemaker_whole(CRM_MON, NODES)
    one_online = CRM_MON.replace("Online: [ kube-hapx01 kube-hapx02 ]",
                                 "Online: [ kube-hapx02 ]\n  * OFFLINE: [ kube-hapx01 ]")
    assert not faults.pacemaker_whole(one_online, NODES)
    one_pinging = CRM_MON.replace("Started: [ kube-hapx01 kube-hapx02 ]",
                                  "Started: [ kube-hapx02 ]\n    * Stopped: [ kube-hapx01 ]")
    assert not faults.pacemaker_whole(one_pinging, NODES)


def run(holders: list[tuple[float, int]], windows: list[list[float]],
        redundant: float | None = 20.0) -> faults.FaultRun:
    result = faults.FaultRun("keepalived", "partition", "kube-hapx01", 1000.0, 1015.0, holders)
    result.summary = {"longest_outage_s": 2.0, "outage_windows": windows, "unrecovered": False}
    result.redundant_s = redundant
    return result


def test_single_holder_time_is_the_last_moment_with_none_or_two() -> None:
    result = run([(0.1, 1), (0.5, 0), (1.8, 1), (3.0, 2), (4.2, 1), (30.0, 1)], [])
    assert result.single_s == 4.2 and result.healed
    assert not run([(0.5, 0), (12.0, 2), (12.5, 1)], []).healed  # two holders past 10 s
    assert not run([(0.5, 1)], [], redundant=None).healed  # never whole again


def test_outage_after_a_partition_ends_counts_only_past_the_end() -> None:
    result = run([(0.0, 1)], [[1000.1, 1002.0], [1014.5, 1015.4], [1020.0, 1020.3]])
    assert round(result.end_outage_s, 2) == 0.4
    assert faults.faults("keepalived")[:2] == ("power", "partition")
    assert faults.describe("kill:corosync") == "SIGKILL corosync"
