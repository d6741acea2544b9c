"""The demos' figures as rows: one source for the CLI tables and docs/benchmarks.md."""

from __future__ import annotations

from kubeforge.demo import probe
from kubeforge.demo.ha import STANDIN_NOTE, Scenario
from kubeforge.demo.volumes import VolumeDemo

HA_GOAL_OUTAGE_S = 2.5  # issue 4: VIP outage when the active load balancer dies
HA_COLUMNS = ("manager", "fault", "victim", "requests", "client errors", "outage s (longest)",
              "recovered", "slow (>1 s) / slowest s", "served by")
VOLUME_COLUMNS = ("files", "bytes written", "read intact while down", "written while down",
                  "back (boot) s", "brick online s", "heal s", "max entries pending (all bricks)",
                  "bytes lost", "missing on returned brick")


# Why the outages are what they are (from corosync's and keepalived's documented timers and
# the survivor's journal in a lab run; the probe adds up to its connect timeout + interval).
WHERE_THE_TIME_GOES = [
    "Where the time goes (one run per row; the survivor's journal shows the steps):",
    ("- Pacemaker: Corosync declares the peer lost after `token` + `consensus` (1.2 × token): "
     "2.2 s at token 1000 ms, 1.1 s at 500 ms. Then Pacemaker computes the transition (about "
     "1 s in the journal), adds the VIP (IPaddr2, gratuitous ARP) and only then starts "
     "haproxy (about 0.5 s): in that gap the VIP refuses connections."),
    ("- keepalived: the backup takes over 3 × advert_int + (256 − priority)/256 s after the "
     "last advertisement it heard (3.6 s at advert_int 1 s, priority 100; up to one advert "
     "interval less after the power cut); haproxy already runs there."),
    "- The probe sees a return up to its connect timeout + interval late (≤ 0.6 s).",
]


def ha_rows(results: list[Scenario]) -> list[tuple[str, ...]]:
    return [ha_row(r) for r in results]


def ha_row(result: Scenario) -> tuple[str, ...]:
    s = result.summary
    outages = ", ".join(f"{o:.2f}" for o in s["outages_s"]) or "none"
    served = ", ".join(f"{host} {n}" for host, n in sorted(s["served_by"].items()))
    manager = f"{result.manager} ({result.note})" if result.note else result.manager
    return (manager, result.fault, result.victim, str(s["requests"]),
            f"{s['errors']}" + (f" ({', '.join(s['error_kinds'])})" if s["errors"] else ""),
            f"{s['longest_outage_s']:.2f}" + (f" ({outages})" if len(s["outages_s"]) > 1 else ""),
            "no" if s["unrecovered"] else "yes", f"{s['slow']} / {s['slowest_s']:.2f}", served)


def volume_row(demo: VolumeDemo) -> tuple[str, ...]:
    half = demo.files // 2
    return (str(demo.files), str(demo.bytes_written), f"{demo.read_while_down}/{half}",
            str(demo.written_while_down), f"{demo.back_s:.1f}", f"{demo.brick_online_s:.1f}",
            f"{demo.heal_s:.1f}", str(demo.heal_entries_max), str(demo.bytes_lost),
            str(len(demo.brick_missing)))


def markdown_table(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def ha_markdown(results: list[Scenario], command: str, machine: str, interval: float) -> str:
    stopped = [r for r in results if "master" in r.fault]
    lines = [
        "## Demo: HA load balancer and API VIP", "",
        (f"`{command}` on {machine}. A worker opens a new TLS connection to VIP:6443 every "
        f"{interval} s (`kubeforge.demo.probe`; connect timeout {probe.CONNECT_TIMEOUT_S} s, "
        f"response timeout {probe.RESPONSE_TIMEOUT_S} s). "
        "Outage = last answer before a failure streak to the first answer after it. "
        "The load balancer loses power (its container killed, its NICs cut) a quarter into "
        "the probe; the stand-in on one master stops a quarter in and starts at three "
        "quarters."), "", f"**{STANDIN_NOTE}**", "",
        markdown_table(HA_COLUMNS, ha_rows(results)), "",
    ]
    for r in results:
        if r.fault.startswith("load"):
            verdict = "met" if r.summary["longest_outage_s"] <= HA_GOAL_OUTAGE_S else "NOT met"
            manager = f"{r.manager} ({r.note})" if r.note else r.manager
            lines.append(f"- {manager}: VIP outage {r.summary['longest_outage_s']:.2f} s "
                         f"(goal ≤ {HA_GOAL_OUTAGE_S} s: {verdict}); the powered-off balancer "
                         f"was back (booted, address) after {r.back_s} s.")
    if stopped:
        errors = sum(r.summary["errors"] for r in stopped)
        lines.append(f"- Client errors while a master's API server was stopped: {errors} "
                     f"over {len(stopped)} runs (goal 0).")
    return "\n".join([*lines, "", *WHERE_THE_TIME_GOES])


def volumes_markdown(demo: VolumeDemo, command: str, machine: str) -> str:
    lines = [
        "## Demo: replicated volume survives a storage machine", "",
        (f"`{command}` on {machine}. Gluster volume `{demo.volume}` (replica 3, XFS bricks on "
        f"loop disks) mounted with FUSE on {demo.client}; {demo.victim} taken down "
        f"({demo.how}) after the first half of the files was written, the second half "
        "written while it was away, then it boots again and `gluster volume heal` runs until "
        "no brick lists an entry. Checksums (sha256) compared through the mount and on the "
        "returned machine's brick."), "",
        markdown_table(VOLUME_COLUMNS, [volume_row(demo)]), "",
        (f"Bytes lost: **{demo.bytes_lost}** (goal 0); heal took {demo.heal_s:.1f} s for up to "
        f"{demo.heal_entries_max} pending entries (summed over the bricks that list them)."),
    ]
    return "\n".join(lines)
