"""`kubeforge etcd backup` and `etcd restore`: snapshots taken on a control plane with
kubeadm's etcd certificates, copied to the operator with their sha256, the newest N kept on
both sides; restores by the upstream procedure on every control plane (etcd_ops)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubeforge import errors
from kubeforge.bootstrap.operation import Operation
from kubeforge.bootstrap.phases import etcd_ops
from kubeforge.bootstrap.phases.steps import listing
from kubeforge.render import etcd, private

KEEP = 5


@dataclass(frozen=True)
class Snapshot:
    path: Path
    sha256: str
    size: int
    source: str


def snapshot_name(cluster: str, now: dt.datetime) -> str:
    return f"etcd-{cluster}-{now.strftime('%Y%m%dT%H%M%SZ')}.db"


def backup_dir(state_dir: Path) -> Path:
    return state_dir / "etcd-backups"


async def health(op: Operation, via: str) -> dict[str, bool]:
    """Client URL -> healthy, for every member, as `via` sees the cluster ({} if unreachable)."""
    raw = await op.try_read(via, f"{etcd.etcdctl()} endpoint health --cluster -w json "
                                 "2>/dev/null; true")
    try:
        found: list[dict[str, Any]] = json.loads(raw or b"[]")
    except ValueError:
        return {}
    return {str(e.get("endpoint")): bool(e.get("health")) for e in found}


async def members(op: Operation, via: str) -> list[dict[str, Any]]:
    raw = await op.read(via, f"{etcd.etcdctl()} member list -w json")
    return list(json.loads(raw).get("members", []))


async def healthy_member(op: Operation) -> str:
    """The first control plane whose own etcd member answers healthy."""
    for machine in etcd.members(op.ctx.plan):
        if (await health(op, machine.name)).get(etcd.client_url(machine)):
            return machine.name
    raise errors.ApplyError("no control plane has a healthy etcd member: nothing to take a "
                            "snapshot from; check `systemctl status etcd` (lab) or the etcd "
                            "static pod on each control plane")


async def backup(op: Operation, out: Path | None, keep: int, dry_run: bool,
                 now: dt.datetime | None = None) -> Snapshot | None:
    now = now or dt.datetime.now(dt.UTC)
    name = snapshot_name(op.ctx.plan.name, now)
    source = await healthy_member(op)
    phase = etcd_ops.snapshot(source, name, keep)
    if dry_run:
        op.console.print("\n".join(listing([phase], op.ctx)), highlight=False)
        await op.phases([phase], dry_run=True)
        return None
    await op.phases([phase], dry_run=False)
    return await fetch(op, source, name, out or backup_dir(op.state_dir) / name, keep)


async def fetch(op: Operation, source: str, name: str, out: Path, keep: int) -> Snapshot:
    """Copy the snapshot to the operator and check it against the sum taken beside it."""
    remote = etcd_ops.snapshot_path(name)
    data = await op.read(source, f"cat {remote}")
    expected = (await op.read(source, f"cat {remote}.sha256")).decode().split()[0]
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise errors.ApplyError(f"{source}:{remote}: copied {len(data)} bytes with sha256 "
                                f"{digest}, but the snapshot's sum is {expected}; run the "
                                "backup again")
    private.write(out, data)
    private.write(sums_path(out), f"{digest}  {out.name}\n".encode())
    if out.parent == backup_dir(op.state_dir):
        prune(out.parent, op.ctx.plan.name, keep)
    return Snapshot(out, digest, len(data), source)


def sums_path(snapshot: Path) -> Path:
    return snapshot.with_name(snapshot.name + ".sha256")


def prune(folder: Path, cluster: str, keep: int) -> list[Path]:
    """Remove all but the newest `keep` snapshots that kubeforge named in `folder`."""
    pattern = re.compile(rf"^etcd-{re.escape(cluster)}-\d{{8}}T\d{{6}}Z\.db$")
    ours = sorted(p for p in folder.iterdir() if pattern.match(p.name))
    gone = ours[:-keep] if keep > 0 else []
    for path in gone:
        path.unlink()
        sums_path(path).unlink(missing_ok=True)
    return gone


def checked_snapshot(path: Path) -> tuple[bytes, str]:
    """The snapshot's bytes and sha256, refused when its .sha256 file disagrees."""
    if not path.is_file():
        raise errors.ApplyError(f"{path}: no such snapshot file; `kubeforge etcd backup` "
                                "writes them to <state>/etcd-backups/")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    sums = sums_path(path)
    if sums.exists() and sums.read_text().split()[:1] != [digest]:
        raise errors.ApplyError(f"{path}: its sha256 is {digest}, but {sums} says "
                                f"{sums.read_text().split()[:1]}; the file is damaged or not "
                                "the one that was backed up")
    return data, digest


async def restore(op: Operation, path: Path, dry_run: bool) -> str:
    """Restore every control plane's member from the snapshot; returns the restore id. The
    id comes from the snapshot's sha256, so re-running an interrupted restore resumes it."""
    data, digest = checked_snapshot(path)
    restore_id = digest[:12]
    phases = etcd_ops.restore_phases(op.ctx, data, restore_id)
    if dry_run:
        op.console.print("\n".join(listing(phases, op.ctx)), highlight=False)
    await op.phases(phases, dry_run=dry_run)
    if not dry_run:
        await wait_healthy(op)
    return restore_id


async def wait_healthy(op: Operation) -> None:
    first = etcd.members(op.ctx.plan)[0]
    found = await health(op, first.name)
    sick = [url for url, ok in found.items() if not ok]
    if len(found) != len(etcd.members(op.ctx.plan)) or sick:
        raise errors.ApplyError(f"after the restore, etcd reports {len(found)} member(s), "
                                f"unhealthy: {', '.join(sick) or 'none'}; see `systemctl "
                                "status etcd` on the control planes")
