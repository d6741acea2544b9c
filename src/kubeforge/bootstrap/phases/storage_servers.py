"""storage-servers: glusterd on every gluster machine, its data disk as an XFS brick mount.

The data disk is found by identity, never by a guessed name: one of the paths the plan names for
it (plan/disks.py: the serial kubeforge set on it, per provider, or the operator's by-id path),
with the planned size. It is formatted only when blank (no partition table, no file system, no
signature wipefs knows); anything else stops the phase before it changes anything on that host,
naming the host, the device and what was found. It is mounted from /etc/fstab by that path, and the brick is a subdirectory of the mount, so a missing mount
makes gluster refuse the brick instead of filling the root disk. A small oneshot unit mounts it
again before glusterd at every boot: systemd's fstab generator skips block devices inside a
container (the lab), and on a VM the unit finds it mounted and does nothing. The pool, the volume and
its NFS export come in the later storage phases, once every glusterd answers.
"""

from __future__ import annotations

import json
import shlex
from typing import Any

from kubeforge import errors
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.plan import disks
from kubeforge.render import storage


def gluster_hosts(ctx: Context) -> list[str]:
    if ctx.plan.spec.storage.backend != "gluster":
        return []
    return ctx.hosts_with_role("gluster")


def topology(ctx: Context) -> dict[str, Any]:
    rendered = ctx.cluster_file(storage.TOPOLOGY)
    if rendered is None:
        raise errors.ApplyError(f"cluster/{storage.TOPOLOGY} was not rendered; re-render")
    return dict(json.loads(rendered.content))


def volume(ctx: Context) -> dict[str, Any]:
    """The volume as the storage renderer decided it (name, replica, mount, bricks in order)."""
    return dict(topology(ctx)["volumes"][0])


def storage_addresses(ctx: Context) -> dict[str, str]:
    """Each server's manage name -> its storage address. Peers and bricks use the storage
    address (Heketi's convention): the pool then needs no DNS, and the addresses are fixed
    DHCP reservations from the plan."""
    found = {}
    for node in topology(ctx)["clusters"][0]["nodes"]:
        names = node["node"]["hostnames"]
        found[names["manage"][0]] = names["storage"][0]
    return found


def disk_ops(ctx: Context, host: str, mount: str) -> list[m.Op]:
    disk = ctx.plan.machine(host).data_disk
    if disk is None:
        raise errors.ApplyError(f"{host}: the plan has no data disk for it; set "
                                "hosts.gluster.data_disk_gb")
    candidates = [{"path": i.path, "min_bytes": i.min_bytes, "max_bytes": i.max_bytes}
                  for i in disk.identities]
    return [
        m.blank_disk(candidates, mount, "xfs", disks.XFS_LABEL),
        m.directory(mount),
        m.command("mount", f"mount {shlex.quote(mount)}", unless=f"mountpoint -q {mount}"),
        m.file(BRICK_UNIT, brick_unit(mount)),
        m.service(BRICK_UNIT.rsplit("/", 1)[1].removesuffix(".service")),
    ]


BRICK_UNIT = "/etc/systemd/system/kubeforge-brick-mount.service"


def brick_unit(mount: str) -> bytes:
    quoted = shlex.quote(mount)
    return f"""# Rendered by kubeforge: mount the gluster brick file system before glusterd.
[Unit]
Description=kubeforge: mount the gluster brick file system ({mount})
After=local-fs.target
Before=glusterd.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'mountpoint -q {quoted} || mount {quoted}'

[Install]
WantedBy=multi-user.target
""".encode()


class StorageServers(Phase):
    name = "storage-servers"
    title = "glusterd and the XFS brick on each storage machine"

    def hosts(self, ctx: Context) -> list[str]:
        return gluster_hosts(ctx)

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        mount = str(volume(ctx)["mount"])
        ops = [m.packages("glusterfs-server", "xfsprogs"), *disk_ops(ctx, host, mount),
               m.directory(f"{mount}/brick"), m.service("glusterd")]
        return m.Manifest(ops)
