"""The etcd steps of the day-2 operations: snapshot, restore (the upstream procedure for a
stacked etcd, on every control plane), member removal. Built on kubeadm's layout, so the same
steps serve a kubeadm cluster (etcd as a static pod) and the lab (Debian's etcd as stand-in);
only how etcd is stopped and started differs (`Runtime`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.phases.steps import Steps
from kubeforge.plan.model import Machine
from kubeforge.render import etcd

BACKUPS = "/var/lib/kubeforge/etcd-backups"
RESTORES = "/var/lib/kubeforge/etcd-restore"
MANIFESTS = "/etc/kubernetes/manifests"
# Static pods that must be down while etcd's data is replaced (upstream: stop every API server).
STOPPED_PODS = ("kube-apiserver", "etcd")


@dataclass(frozen=True)
class Runtime:
    """How etcd (and the API server) are stopped and started on a control plane."""

    lab: bool

    def stop(self, restore_id: str) -> str:
        if self.lab:
            return "systemctl stop etcd"
        aside = f"/etc/kubernetes/restore-{restore_id}"
        moves = " && ".join(f"{{ [ ! -e {MANIFESTS}/{pod}.yaml ] || mv {MANIFESTS}/{pod}.yaml "
                            f"{aside}/; }}" for pod in STOPPED_PODS)
        wait = ("while crictl ps -q --name '^(kube-apiserver|etcd)$' | grep -q .; "
                "do sleep 1; done")
        return f"mkdir -p {aside} && {moves} && {wait}"

    def start(self, restore_id: str) -> tuple[str, str]:
        """The command and its `unless` guard (already running)."""
        if self.lab:
            # Seen on the lab: systemd's first start right after the data directory was
            # swapped can fail to spawn ("No such file or directory"); a retry starts it.
            retried = "for i in 1 2 3 4 5; do systemctl start etcd && exit 0; sleep 2; done; exit 1"
            return retried, "systemctl is-active -q etcd"
        aside = f"/etc/kubernetes/restore-{restore_id}"
        return (f"mv {aside}/*.yaml {MANIFESTS}/",
                f"[ -z \"$(ls -A {aside} 2>/dev/null)\" ]")


def runtime(ctx: Context) -> Runtime:
    return Runtime(lab=not ctx.kubernetes_binaries)


# --- backup -----------------------------------------------------------------------------

def snapshot_path(name: str) -> str:
    return f"{BACKUPS}/{name}"


def snapshot(source: str, name: str, keep: int) -> Steps:
    """`etcdctl snapshot save` on one control plane with kubeadm's certificates, its sha256
    beside it, and only the newest `keep` snapshots kept there."""
    path = snapshot_path(name)

    def ops(ctx: Context, host: str) -> list[m.Op]:
        prune = (f"ls -1t {BACKUPS}/*.db | tail -n +{keep + 1} | "
                 "while read -r f; do rm -f \"$f\" \"$f.sha256\"; done")
        return [m.packages("etcd-client"), m.directory(BACKUPS, mode=0o700),
                m.command(f"etcd-snapshot:{name}",
                          # etcdctl writes <path>.part and renames it when complete
                          f"umask 077 && {etcd.etcdctl()} snapshot save {path}", creates=path),
                m.command(f"etcd-snapshot-sum:{name}",
                          f"cd {BACKUPS} && sha256sum {name} > {name}.sha256 && {prune}",
                          creates=f"{path}.sha256")]

    return Steps("etcd-snapshot", f"etcd snapshot on {source} (kubeadm's etcd certificates)",
                 [source], ops)


# --- restore ----------------------------------------------------------------------------

def restore_phases(ctx: Context, snapshot: bytes, restore_id: str) -> list[Steps]:
    """The upstream procedure: the same snapshot on every control plane; stop every API server
    and etcd; restore each member's data directory from it (new cluster, same members); start
    them together. Markers under /var/lib/kubeforge make each step happen once per restore."""
    hosts = [m.name for m in etcd.members(ctx.plan)]
    done = f"{RESTORES}/{restore_id}.restored"
    run = runtime(ctx)
    start, running = run.start(restore_id)

    def copy(c: Context, host: str) -> list[m.Op]:
        return [m.directory(RESTORES, mode=0o700),
                m.file(f"{RESTORES}/{restore_id}.db", snapshot, mode=0o600, secret=True)]

    def stop(c: Context, host: str) -> list[m.Op]:
        return [m.command(f"etcd-restore-stop:{restore_id}", run.stop(restore_id), creates=done)]

    def data(c: Context, host: str) -> list[m.Op]:
        return [m.command(f"etcd-restore-data:{restore_id}",
                          restore_script(c, host, restore_id), creates=done)]

    def begin(c: Context, host: str) -> list[m.Op]:
        return [m.command(f"etcd-restore-start:{restore_id}", start, unless=running)]

    return [Steps("etcd-restore-copy", "the snapshot onto every control plane", hosts, copy),
            Steps("etcd-restore-stop", "stop the API servers and etcd everywhere", hosts, stop),
            Steps("etcd-restore-data", "each member's data directory from the snapshot",
                  hosts, data),
            Steps("etcd-restore-start", "start etcd (and the API servers) together", hosts,
                  begin)]


def restore_script(ctx: Context, host: str, restore_id: str) -> str:
    """`etcdutl snapshot restore` into a fresh directory, the old one kept aside, then swapped
    in; each part is safe to repeat after an interruption."""
    machine = ctx.plan.machine(host)
    fresh, aside = f"{etcd.DATA_DIR}.restoring", f"{etcd.DATA_DIR}.before-{restore_id}"
    restore = (f"$(command -v etcdutl || command -v etcdctl) snapshot restore "
               f"{RESTORES}/{restore_id}.db --name {shlex.quote(machine.name)} "
               f"--initial-cluster {etcd.initial_cluster(etcd.members(ctx.plan))} "
               f"--initial-cluster-token kubeforge-restore-{restore_id} "
               f"--initial-advertise-peer-urls {etcd.peer_url(machine)} --data-dir {fresh}")
    return (f"rm -rf {fresh} && {restore} && "
            f"{{ [ ! -e {etcd.DATA_DIR} ] || mv -T {etcd.DATA_DIR} {aside}; }} && "
            f"mv -T {fresh} {etcd.DATA_DIR} && touch {RESTORES}/{restore_id}.restored")


# --- membership -------------------------------------------------------------------------

def member_remove(via: str, leaving: Machine) -> Steps:
    """Remove `leaving`'s member through a member that stays (by its peer URL: a member
    added but never started has no name yet)."""
    url = etcd.peer_url(leaving)

    def ops(ctx: Context, host: str) -> list[m.Op]:
        ctl = etcd.etcdctl()
        find = f"{ctl} member list | awk -F', ' '$4==\"{url}\" {{print $1}}'"
        return [m.packages("etcd-client"), m.command(f"etcd-member-remove:{leaving.name}",
                          f"id=$({find}) && [ -n \"$id\" ] && {ctl} member remove \"$id\"",
                          unless=f"! {ctl} member list | grep -qF {url}")]

    return Steps("etcd-member-remove", f"remove {leaving.name}'s etcd member", [via], ops)


def member_retire(leaving: str) -> Steps:
    """Lab stand-in: stop the removed member's etcd and clear its data directory, as `kubeadm
    reset` does for its static pod (a later join needs an empty one)."""
    def ops(ctx: Context, host: str) -> list[m.Op]:
        return [m.service("etcd", enabled=False, active=False),
                m.command("etcd-data-clear", f"rm -rf {etcd.DATA_DIR}/member",
                          unless=f"[ ! -e {etcd.DATA_DIR}/member ]")]

    return Steps("etcd-member-retire", "stop the removed member's etcd (lab stand-in)",
                 [leaving], ops)
