"""The stall a FUSE client notices when a gluster machine loses power (gluster's
network.ping-timeout, 3 s as kubeforge sets it), and the heal afterwards: a worker appends
fsynced 4 KiB blocks to one file on the volume while the last gluster machine's power is cut."""

from __future__ import annotations

import json
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from kubeforge.demo import faults, power, stall_writer, volumes
from kubeforge.demo.onlab import DemoLab

SECONDS = 30.0  # the writer's run: the cut comes CUT_AFTER_S into it
CUT_AFTER_S = 5.0
INTERVAL_S = 0.05


@dataclass
class Stall:
    victim: str
    longest_s: float  # the longest single write+fsync while the machine lost power
    written: int  # bytes the writer had acknowledged
    on_disk: int  # the file's size read back after the heal
    errors: int
    heal_s: float


def run(lab: DemoLab) -> Stall:
    ctx = lab.converge(lab.workspace.operator_spec(), volumes.PHASES)
    servers = [m.name for m in lab.plan.by_role("gluster")]
    client, victim = lab.plan.by_role("worker")[0].name, servers[-1]
    volume = lab.plan.spec.storage.volume
    volumes.all_bricks_online(lab, ctx, servers[0], volume)
    volumes.mount(lab, ctx, client)
    path = f"{volumes.MOUNT}/stall-{int(time.time())}"
    try:
        writer = lab.start_python(client, Path(stall_writer.__file__).read_text(),
                                  [path, str(SECONDS), str(INTERVAL_S)])
        time.sleep(CUT_AFTER_S)
        # Cables first: a machine that loses power sends nothing more, while killing the
        # lab machine's processes alone makes its kernel close their TCP connections (FIN),
        # which clients notice at once -- not the silent loss ping-timeout is about.
        faults.strike(lab, "partition", victim)
        power.power_off(lab, victim, "power-failure")
        out, _ = writer.communicate(timeout=SECONDS + 120)
        result = json.loads(out.decode())
        faults.heal(lab, "partition", victim)
        power.power_on(lab, victim)
        volumes.wait_brick_online(lab, servers[0], volume, volumes.victim_brick(ctx, victim), 180)
        heal_s, _ = volumes.heal(lab, servers[0], volume, 300)
        size = int(lab.out(client, f"stat -c %s {shlex.quote(path)}"))
    finally:
        lab.run(client, f"rm -f {shlex.quote(path)}; umount {volumes.MOUNT}", check=False,
                timeout=300)
    return Stall(victim, float(result["longest_s"]), int(result["written"]), size,
                 int(result["errors"]), heal_s)
