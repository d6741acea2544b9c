"""`kubeforge demo volumes`: the reference's storage demo on the lab, with checksums.

Converge storage-servers + storage-pool with the engine, mount the replica-3 volume with
FUSE on a worker, write files (sha256 of each kept), shut one gluster machine down, read
everything back and write more while it is away, boot it again, heal, and compare every
checksum -- through the mount and directly on the returned machine's brick.
"""

from __future__ import annotations

import json
import re
import shlex
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases import storage_servers
from kubeforge.demo import files, power
from kubeforge.demo.onlab import DemoLab
from kubeforge.errors import LabError

PHASES = ("preflight", "gateway", "reachable", "storage-servers", "storage-pool")
MOUNT = "/mnt/kubeforge-demo"
Listing = dict[str, list[object]]  # name -> [size, sha256] (files.py)


@dataclass
class VolumeDemo:
    volume: str
    client: str
    victim: str
    how: power.How
    files: int = 0
    bytes_written: int = 0
    read_while_down: int = 0  # files read back intact while the victim was off
    written_while_down: int = 0
    back_s: float = 0.0  # power on -> booted with its address
    brick_online_s: float = 0.0  # power on -> its brick process online again
    heal_s: float = 0.0  # heal started -> no entry left to heal on any brick
    heal_entries_max: int = 0
    bytes_lost: int = 0  # through the mount, after heal
    lost: list[str] = field(default_factory=list)
    brick_missing: list[str] = field(default_factory=list)  # not (intact) on the victim's brick


def run(lab: DemoLab, count: int, size: int, how: power.How = "shutdown",
        heal_timeout: float = 300.0) -> VolumeDemo:
    ctx = lab.converge(lab.workspace.operator_spec(), PHASES)
    servers = [m.name for m in lab.plan.by_role("gluster")]
    volume = str(storage_servers.volume(ctx)["name"])
    demo = VolumeDemo(volume, lab.plan.by_role("worker")[0].name, servers[-1], how)
    directory = f"{MOUNT}/run-{int(time.time())}"
    all_bricks_online(lab, ctx, servers[0], volume)
    mount(lab, ctx, demo.client)
    try:
        exercise(lab, ctx, demo, directory, count, size, heal_timeout, servers[0])
    finally:
        lab.run(demo.client, f"rm -rf {shlex.quote(directory)}; umount {MOUNT}", check=False,
                timeout=300)
    return demo


def exercise(lab: DemoLab, ctx: Context, demo: VolumeDemo, directory: str, count: int,
             size: int, heal_timeout: float, admin: str) -> None:
    expected = write(lab, demo.client, directory, "before", count, size)
    lab.console.print(f"wrote {len(expected)} files; {demo.victim}: {demo.how}")
    power.power_off(lab, demo.victim, demo.how)
    seen = read(lab, demo.client, directory)
    demo.read_while_down = sum(1 for n, v in expected.items() if seen.get(n) == v)
    more = write(lab, demo.client, directory, "while-down", count, size)
    demo.written_while_down = len(more)
    expected.update(more)
    lab.console.print(f"read {demo.read_while_down}/{count} intact and wrote {len(more)} "
                      f"while {demo.victim} was off; powering it on")
    started = time.monotonic()
    demo.back_s = round(power.power_on(lab, demo.victim), 1)
    brick = victim_brick(ctx, demo.victim)
    wait_brick_online(lab, admin, demo.volume, brick, timeout=180)
    demo.brick_online_s = round(time.monotonic() - started, 1)
    demo.heal_s, demo.heal_entries_max = heal(lab, admin, demo.volume, heal_timeout)
    demo.files = len(expected)
    demo.bytes_written = sum(int(str(v[0])) for v in expected.values())
    through_mount = read(lab, demo.client, directory)
    demo.lost = sorted(n for n, v in expected.items() if through_mount.get(n) != v)
    demo.bytes_lost = sum(int(str(expected[n][0])) for n in demo.lost)
    on_brick = read(lab, demo.victim, brick[1] + directory.removeprefix(MOUNT))
    demo.brick_missing = sorted(n for n, v in expected.items() if on_brick.get(n) != v)


def mount(lab: DemoLab, ctx: Context, client: str) -> None:
    """FUSE mount, as a node would: the first server for the volfile, the others as backups."""
    addresses = list(storage_servers.storage_addresses(ctx).values())
    volume = storage_servers.volume(ctx)["name"]
    options = f"backup-volfile-servers={':'.join(addresses[1:])}"
    lab.run(client, f"mkdir -p {MOUNT}; mountpoint -q {MOUNT} || mount -t glusterfs -o "
                    f"{options} {addresses[0]}:/{volume} {MOUNT}", timeout=120)


def write(lab: DemoLab, host: str, directory: str, prefix: str, count: int,
          size: int) -> Listing:
    out = lab.python(host, program(), ["write", directory, prefix, str(count), str(size)],
                     timeout=600)
    return dict(json.loads(out))


def read(lab: DemoLab, host: str, directory: str) -> Listing:
    out = lab.python(host, program(), ["read", directory], timeout=600)
    return dict(json.loads(out))


def program() -> str:
    return Path(files.__file__).read_text()


def all_bricks_online(lab: DemoLab, ctx: Context, admin: str, volume: str) -> None:
    """Start from a whole volume: a brick left down (e.g. by an interrupted demo) is
    started again first, so the demo's one outage is the only one."""
    status = lab.out(admin, f"gluster --xml volume status {shlex.quote(volume)}")
    if not all(brick_online(status, *victim_brick(ctx, host))
               for host in [m.name for m in lab.plan.by_role("gluster")]):
        lab.run(admin, f"gluster volume start {shlex.quote(volume)} force", timeout=120)
    for host in [m.name for m in lab.plan.by_role("gluster")]:
        wait_brick_online(lab, admin, volume, victim_brick(ctx, host), timeout=60)


def victim_brick(ctx: Context, victim: str) -> tuple[str, str]:
    """(storage address, brick path) of the victim's brick."""
    fqdn = ctx.plan.machine(victim).fqdn
    addresses = storage_servers.storage_addresses(ctx)
    for brick in storage_servers.volume(ctx)["bricks"]:
        name, path = str(brick).split(":", 1)
        if name == fqdn:
            return addresses[name], path
    raise LabError(f"{victim} holds no brick of the volume")


def wait_brick_online(lab: DemoLab, admin: str, volume: str, brick: tuple[str, str],
                      timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = lab.run(admin, f"gluster --xml volume status {shlex.quote(volume)}",
                       check=False, timeout=60)
        if done.returncode == 0 and brick_online(done.stdout.decode(), *brick):
            return
        time.sleep(1)
    raise LabError(f"brick {brick[0]}:{brick[1]} is not online {timeout:.0f} s after its "
                   f"machine came back; see `gluster volume status {volume}` on {admin}")


def brick_online(status_xml: str, address: str, path: str) -> bool:
    """From `gluster --xml volume status`: is this brick's process up?"""
    for node in ET.fromstring(status_xml).iter("node"):
        if node.findtext("hostname") == address and node.findtext("path") == path:
            return node.findtext("status") == "1"
    return False


def heal(lab: DemoLab, admin: str, volume: str, timeout: float) -> tuple[float, int]:
    """Start an index heal and wait until no brick lists an entry; return (seconds, the most
    entries seen pending)."""
    started = time.monotonic()
    quoted = shlex.quote(volume)
    most, launched = 0, False
    while time.monotonic() - started < timeout:
        if not launched:  # refused while the self-heal daemons reconnect: asked again
            launched = lab.run(admin, f"gluster volume heal {quoted}", check=False,
                               timeout=60).returncode == 0
        done = lab.run(admin, f"gluster volume heal {quoted} info", check=False, timeout=60)
        pending = heal_pending(done.stdout.decode(errors="replace"))
        if pending is not None:
            most = max(most, pending)
            if pending == 0:
                return round(time.monotonic() - started, 1), most
        time.sleep(1)
    raise LabError(f"volume {volume} still has entries to heal after {timeout:.0f} s; see "
                   f"`gluster volume heal {volume} info` on {admin}")


def heal_pending(info: str) -> int | None:
    """Entries left to heal over all bricks, or None if a brick is not connected (its count
    is then unknown: `Number of entries: -`)."""
    statuses = re.findall(r"^Status: (.*)$", info, re.MULTILINE)
    counts = re.findall(r"^Number of entries: (\S+)$", info, re.MULTILINE)
    if not counts or any(s.strip() != "Connected" for s in statuses):
        return None
    if not all(c.isdigit() for c in counts):
        return None
    return sum(int(c) for c in counts)
