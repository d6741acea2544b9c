"""A private libvirtd with QEMU, sealed in its own network namespace, for the real-VM rehearsal.

libvirtd runs in a network namespace of its own (`kfqemu-virt`): the bridges it makes, the
dnsmasq it starts for the uplink and every QEMU process live there, with no link into the root
namespace and no route out. It also runs in a private mount namespace where /etc/libvirt,
/var/lib/libvirt and /run/libvirt are directories under this rehearsal's own work dir, so its
configuration (qemu as root, no security driver, logs to files) touches nothing of the host's,
and everything it wrote disappears with the work dir. Clients reach it through a socket in the
work dir: `qemu+unix:///system?socket=<work>/sock/libvirt-sock`.

Processes are ended by PID; the namespace is deleted by name; `leftovers()` lists what remains.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

NETNS = "kfqemu-virt"
POOL = "kfqemu"
NICENESS = 15  # see _spawn
LIBVIRTD_CONF = """\
unix_sock_dir = "{sock}"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
log_outputs = "3:file:{logs}/libvirtd.log"
"""
# qemu as root (the pool and kernel files are root's), no AppArmor/SELinux labelling, QEMU's
# output to files (no virtlogd daemon to run).
QEMU_CONF = """\
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
stdio_handler = "file"
"""


@dataclass
class VirtNetns:
    work: Path
    pids: list[int] = field(default_factory=list)
    mount_points_made: list[Path] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.work / "sock" / "libvirt-sock"

    @property
    def uri(self) -> str:
        return f"qemu+unix:///system?socket={self.socket}"

    @property
    def pool_dir(self) -> Path:
        return self.work / "pool"

    def start(self, timeout: float = 60) -> None:
        for sub in ("etc", "lib", "run", "sock", "logs", "pool", "log/qemu"):
            (self.work / sub).mkdir(parents=True, exist_ok=True)
        (self.work / "etc/libvirtd.conf").write_text(
            LIBVIRTD_CONF.format(sock=self.work / "sock", logs=self.work / "logs"))
        (self.work / "etc/qemu.conf").write_text(QEMU_CONF)
        self.mount_points_made = [p for p in self.mount_points if not p.exists()]
        subprocess.run(["ip", "netns", "add", NETNS], check=True)
        subprocess.run(["ip", "-n", NETNS, "link", "set", "lo", "up"], check=True)
        self.pids.append(self._spawn())
        self._wait_socket(timeout)
        self.virsh("pool-define-as", POOL, "dir", "--target", str(self.pool_dir))
        self.virsh("pool-start", POOL)

    def _spawn(self) -> int:
        # libvirt resolves its compiled-in qemu user before it reads qemu.conf: give it one in
        # private copies of passwd/group (the host's files are not touched).
        qemu_user = "libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin\n"
        for name, entry in (("passwd", qemu_user), ("group", "libvirt-qemu:x:64055:\n")):
            (self.work / name).write_text(Path(f"/etc/{name}").read_text() + entry)
        binds = " && ".join(
            f"mkdir -p {target} && mount --bind {self.work / sub} {target}"
            for sub, target in (("etc", "/etc/libvirt"), ("lib", "/var/lib/libvirt"),
                                ("run", "/run/libvirt"), ("log", "/var/log/libvirt")))
        binds += "".join(f" && mount --bind {self.work / n} /etc/{n}" for n in ("passwd", "group"))
        # nice 15, a harness choice and not a product default: this host's two cores are shared
        # with other engineers' lab tests and benchmarks, and five TCG guests would starve them.
        # libvirtd's QEMU children inherit the priority.
        script = (f"{binds} && exec nice -n {NICENESS} ip netns exec {NETNS} "
                  "libvirtd -f /etc/libvirt/libvirtd.conf")
        log = (self.work / "logs" / "libvirtd.stdout").open("wb")
        process = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        log.close()
        return process.pid

    def _wait_socket(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"libvirtd did not start; see {self.work}/logs")
            time.sleep(0.5)

    def virsh(self, *args: str) -> str:
        done = subprocess.run(["virsh", "-c", self.uri, *args], capture_output=True, text=True,
                              check=True, timeout=120)
        return done.stdout

    def run_inside(self, argv: list[str], timeout: float, env: dict[str, str] | None = None,
                   ) -> subprocess.CompletedProcess[str]:
        """A command in the namespace: the operator's side of the uplink bridge."""
        return subprocess.run(["ip", "netns", "exec", NETNS, *argv], capture_output=True,
                              text=True, timeout=timeout, check=False, env=env)

    def stop(self) -> None:
        if self.socket.exists():
            subprocess.run(["virsh", "-c", self.uri, "pool-destroy", POOL], capture_output=True,
                           check=False)
            subprocess.run(["virsh", "-c", self.uri, "pool-undefine", POOL],
                           capture_output=True, check=False)
        for pid in self.pids:
            _end(pid)
        self.pids.clear()
        for pid in _pids_in_netns():
            _end(pid)  # a QEMU or dnsmasq that outlived libvirtd (a failed run)
        subprocess.run(["ip", "netns", "del", NETNS], capture_output=True, check=False)
        for made in self.mount_points_made:
            if made.is_dir() and not any(made.iterdir()):
                made.rmdir()  # the empty mount point start() had to create

    @property
    def mount_points(self) -> list[Path]:
        return [Path(t) for t in ("/var/lib/libvirt", "/run/libvirt", "/var/log/libvirt")]

    def leftovers(self) -> list[str]:
        found = [f"netns {NETNS}"] if Path(f"/run/netns/{NETNS}").exists() else []
        found += [f"process {pid}" for pid in _pids_in_netns()]
        return found

    def remove_work(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def root_links() -> set[str]:
    """Interface names in the root network namespace (none of the rehearsal's may be there)."""
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def _pids_in_netns() -> list[int]:
    done = subprocess.run(["ip", "netns", "pids", NETNS], capture_output=True, text=True,
                          check=False)
    return [int(p) for p in done.stdout.split()] if done.returncode == 0 else []


def _end(pid: int, grace: float = 10) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
