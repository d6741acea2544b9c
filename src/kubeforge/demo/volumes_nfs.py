"""The volumes demo through the path pods use: NFSv4.1 to `storage.<domain>` (the storage VIP),
served by NFS-Ganesha on the gluster machine holding it. The lab's kernel has no NFS client,
so a worker runs the userspace client in nfs41_client.py (a lab/test tool, stdlib only).

A sized volume (`kubeforge volume create`'s commands) receives fsynced 4 KiB writes
(FILE_SYNC) from a worker while the VIP's holder loses power -- its cables cut first, then its
processes killed, so nothing closes a connection -- and the demo reports the longest single
write (the stall), bytes acknowledged but not read back intact through the VIP after the heal,
and the heal. `past_size` writes past the volume's size through NFS.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubeforge.bootstrap import volumes as sized
from kubeforge.demo import faults, nfs41_client, power, storage_vip, volumes
from kubeforge.demo.onlab import DemoLab
from kubeforge.errors import LabError

# The demo's volumes: one the writer fills a little per power loss, one to write past. Files
# stay until `delete` removes the volumes (an NFS REMOVE crashed Ganesha 6.5 once in the lab:
# docs/storage.md).
STALL_VOLUME, STALL_SIZE = "kf-nfs", 256 * 2**20
SIZED_VOLUME, SIZE = "kf-nfs-sized", 8 * 2**20
SECONDS = 30.0  # the writer's run: the cut comes CUT_AFTER_S into its timed writes
CUT_AFTER_S = 5.0
INTERVAL_S = 0.05


@dataclass
class NfsStall:
    before: str  # the VIP's holder that lost power
    after: str  # its holder once it moved
    move_s: float  # power cut -> the VIP on exactly one other machine
    longest_s: float  # the longest single write (SEQUENCE, PUTFH, WRITE FILE_SYNC)
    written: int  # bytes the server acknowledged
    lost: int  # of those, bytes not read back intact through the VIP after the heal
    errors: int
    heal_s: float
    events: dict[str, int]  # the client's reconnects, sessions, opens
    returned: str | None  # None: the returned machine's Ganesha serves the volume again
    story: list[str]  # the client's events up to the end of its longest write


@dataclass
class PastSize:
    written: int  # bytes accepted before the refusal
    error: str | None  # NFS4ERR_DQUOT / NFS4ERR_NOSPC, or None if never refused


def client(lab: DemoLab, host: str, args: list[str], timeout: float = 300.0,
           server: str | None = None) -> dict[str, Any]:
    """Run the NFS client on `host` against `server` (default: the storage VIP); its answer."""
    program = Path(nfs41_client.__file__).read_text()
    target = server or str(lab.plan.storage_vip)
    return dict(json.loads(lab.python(host, program, [args[0], target, *args[1:]], timeout)))


def serves(lab: DemoLab, host: str, gluster: str) -> str | None:
    """None if `gluster`'s own Ganesha serves the volume to `host`, else what went wrong."""
    ctx = lab.context(lab.workspace.operator_spec())
    address = volumes.victim_brick(ctx, gluster)[0]
    answer = client(lab, host, ["lookup", lab.plan.spec.storage.volume, "-"], server=address)
    return None if answer["served"] else str(answer["error"])


def prepare(lab: DemoLab) -> tuple[str, str]:
    """Converge the storage phases, start from a whole volume, make the demo's sized volume;
    return (the gluster machine to administer from, the worker that writes)."""
    ctx = lab.converge(lab.workspace.operator_spec(), storage_vip.PHASES)
    admin, volume = lab.plan.by_role("gluster")[0].name, lab.plan.spec.storage.volume
    volumes.all_bricks_online(lab, ctx, admin, volume)
    listed = lab.run(admin, sized.list_command(volume))  # empty while quota is still off
    present = [v.name for v in sized.parse_list(listed.stdout.decode())]
    for name, size in ((STALL_VOLUME, STALL_SIZE), (SIZED_VOLUME, SIZE)):
        if name not in present:  # exit 3: there already (listed or not: gluster/glusterfs#3674)
            done = lab.run(admin, sized.create_command(volume, name, size), timeout=300,
                           check=False)
            if done.returncode not in (0, 3):
                raise LabError(f"{admin}: volume create {name}: "
                               f"{done.stderr.decode(errors='replace')[-500:]}")
    return admin, lab.plan.by_role("worker")[0].name


def directory(lab: DemoLab, name: str = STALL_VOLUME) -> str:
    return f"{lab.plan.spec.storage.volume}/{name}"  # below Ganesha's pseudo root


def stall(lab: DemoLab, writer_host: str) -> NfsStall:
    """One power loss of the VIP's holder under the writer."""
    vip, servers = str(lab.plan.storage_vip), [m.name for m in lab.plan.by_role("gluster")]
    before = storage_vip.wait_one_holder(lab, vip, servers, 60)
    name = f"stall-{int(time.time())}"
    writer = lab.start_python(writer_host, Path(nfs41_client.__file__).read_text(),
                              ["write", vip, directory(lab), name, str(SECONDS), str(INTERVAL_S)])
    ready(writer, writer_host)
    time.sleep(CUT_AFTER_S)
    cut = time.monotonic()
    try:
        faults.strike(lab, "partition", before)  # silent: see demo/stall.py
        power.power_off(lab, before, "power-failure")
        after = storage_vip.wait_one_holder(lab, vip, [s for s in servers if s != before], 60)
        move_s = round(time.monotonic() - cut, 1)
        out, err = writer.communicate(timeout=SECONDS + 180)
    finally:  # the lab is whole again, whatever happened
        heal_s = back(lab, next(s for s in servers if s != before), before)
    if writer.returncode != 0:
        raise LabError(f"NFS writer on {writer_host}: {err.decode(errors='replace')[-1500:]}")
    result = json.loads(out.decode())
    check = client(lab, writer_host, ["verify", directory(lab), name, str(result["written"])])
    events = {k: int(result[k]) for k in ("reconnects", "sessions", "opens")}
    return NfsStall(before, after, move_s, float(result["longest_s"]), int(result["written"]),
                    int(check["wrong_bytes"]), int(result["errors"]), heal_s, events,
                    serves_again(lab, writer_host, before), list(result["longest_story"]))


def ready(writer: subprocess.Popen[bytes], host: str) -> None:
    """Wait for the writer's session and open: on a loaded host its start took longer than
    CUT_AFTER_S once, the cut came during its setup and the timed writes saw no fault."""
    assert writer.stdout is not None
    if writer.stdout.readline().decode().strip() != nfs41_client.READY:
        _, err = writer.communicate(timeout=60)
        raise LabError(f"NFS writer on {host}: {err.decode(errors='replace')[-1500:]}")


def serves_again(lab: DemoLab, host: str, returned: str, timeout: float = 60.0) -> str | None:
    """Wait (bounded) until the returned machine's Ganesha serves the volume: it must before
    the VIP may move there again. The last error if it never does."""
    deadline = time.monotonic() + timeout
    while (error := serves(lab, host, returned)) is not None and time.monotonic() < deadline:
        time.sleep(2)
    return error


def back(lab: DemoLab, admin: str, victim: str) -> float:
    """Cables and power back, the victim's brick online; the heal's seconds (watched from
    `admin`, another gluster machine)."""
    faults.heal(lab, "partition", victim)
    power.power_on(lab, victim)
    ctx = lab.context(lab.workspace.operator_spec())
    volume = lab.plan.spec.storage.volume
    volumes.wait_brick_online(lab, admin, volume, volumes.victim_brick(ctx, victim), 180)
    return volumes.heal(lab, admin, volume, 300)[0]


def past_size(lab: DemoLab, writer_host: str, mib: int = 4 * SIZE // 2**20) -> PastSize:
    """Write past the volume's size through NFS, once: the bricks check every write against
    the volume's usage (bootstrap/volumes.py, CACHE_S), so the write stops near the size."""
    result = client(lab, writer_host, ["fill", directory(lab, SIZED_VOLUME),
                                       f"past-size-{int(time.time())}", str(mib)])
    return PastSize(int(result["written"]), result["error"])


def delete(lab: DemoLab, admin: str) -> None:
    for name in (STALL_VOLUME, SIZED_VOLUME):
        lab.run(admin, sized.delete_command(lab.plan.spec.storage.volume, name), timeout=300)


COLUMNS = ("VIP holder cut", "new holder", "VIP moved s", "longest write s", "bytes written",
           "bytes lost", "write errors", "heal s", "returned Ganesha serves",
           "past the size")


def row(stall: NfsStall, past: PastSize) -> tuple[str, ...]:
    return (stall.before, stall.after, f"{stall.move_s:.1f}", f"{stall.longest_s:.1f}",
            str(stall.written), str(stall.lost), str(stall.errors), f"{stall.heal_s:.1f}",
            "yes" if stall.returned is None else f"no: {stall.returned}",
            f"refused ({past.error}) after {past.written} bytes" if past.error
            else f"NOT refused ({past.written} bytes)")


def run(lab: DemoLab) -> tuple[NfsStall, PastSize]:
    """The whole demo: its volumes made, one power loss under the writer, past the size,
    the volumes deleted again."""
    admin, writer = prepare(lab)
    try:
        return stall(lab, writer), past_size(lab, writer)
    finally:
        delete(lab, admin)
