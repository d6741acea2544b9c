"""storage-pool: the gluster trusted pool and the replicated volume, from the first server.

Every step is guarded by what gluster itself reports (`pool list`, `volume info`), so a
re-run or a resumed run never probes twice or creates a volume that exists. Peers and
bricks use the servers' storage addresses from the rendered topology.
"""

from __future__ import annotations

import shlex
from typing import Any

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.base import Phase
from kubeforge.bootstrap.phases.storage_servers import gluster_hosts, storage_addresses, volume

# glusterd takes a moment to accept CLI requests after its start in storage-servers.
WAIT_GLUSTERD = "for i in $(seq 30); do gluster pool list >/dev/null 2>&1 && break; sleep 1; done; "
# The guards read glusterd's own state files, which `gluster pool list` / `volume info`
# report from: the same facts, without a CLI round trip to glusterd (~0.2 s each).
GLUSTERD = "/var/lib/glusterd"


class StoragePool(Phase):
    name = "storage-pool"
    title = "gluster trusted pool and replicated volume"

    def hosts(self, ctx: Context) -> list[str]:
        return gluster_hosts(ctx)[:1]

    def plan(self, ctx: Context, host: str) -> m.Manifest:
        addresses = storage_addresses(ctx)
        own = addresses[ctx.plan.machine(host).fqdn]
        vol = volume(ctx)
        bricks = [addresses[name] + ":" + path
                  for name, path in (b.split(":", 1) for b in vol["bricks"])]
        peers = list(dict.fromkeys(b.split(":", 1)[0] for b in bricks))
        ops = [probe(peer) for peer in peers if peer != own]
        return m.Manifest([*ops, *volume_ops({**vol, "bricks": bricks}, len(peers))])


def probe(peer: str) -> m.Op:
    """Probe until the peer's glusterd answers: it may have started a moment ago (storage-
    servers runs in parallel), and then the probe fails with "Transport endpoint is not
    connected". Probing a peer already in the pool succeeds, so retrying is safe."""
    quoted = shlex.quote(peer)
    retry = (f"for i in $(seq 30); do gluster peer probe {quoted} && exit 0; sleep 2; done; "
             f"gluster peer probe {quoted}")
    return m.command(f"peer-probe:{peer}", WAIT_GLUSTERD + retry,
                     # state=3: "Peer in Cluster" (a probe that did not finish is redone)
                     unless=f"f=$(grep -lsxF hostname1={quoted} {GLUSTERD}/peers/*) && "
                            "grep -qx state=3 $f")


def volume_ops(vol: dict[str, Any], servers: int) -> list[m.Op]:
    name = shlex.quote(str(vol["name"]))
    bricks = " ".join(shlex.quote(b) for b in vol["bricks"])
    # volume create refuses disconnected peers: wait until all of them are connected.
    wait = (f"for i in $(seq 60); do [ $(gluster pool list | grep -c Connected) -ge "
            f"{servers} ] && break; sleep 1; done; ")
    info = f"{GLUSTERD}/vols/{vol['name']}/info"
    # One brick per set is a plain distributed volume: gluster refuses `replica 1`.
    layout = f"replica {int(vol['replica'])} " if int(vol["replica"]) > 1 else ""
    create = m.command(f"volume-create:{vol['name']}",
                       wait + f"gluster volume create {name} {layout}{bricks}",
                       unless=f"test -f {info}")
    start = m.command(f"volume-start:{vol['name']}", f"gluster volume start {name}",
                      unless=f"grep -qx status=1 {info}")
    options = [option(str(vol["name"]), key, value) for key, value in vol.get("options", {}).items()]
    return [create, start, *options]


def option(vol: str, key: str, value: str) -> m.Op:
    """`gluster volume set`, guarded by glusterd's volume info file, which keeps every option
    set on the volume as a `key=value` line."""
    info = shlex.quote(f"{GLUSTERD}/vols/{vol}/info")
    return m.command(f"volume-set:{vol}:{key}",
                     f"gluster volume set {shlex.quote(vol)} {shlex.quote(key)} {shlex.quote(value)}",
                     unless=f"grep -qxF {shlex.quote(f'{key}={value}')} {info}")
