"""Boot one machine under QEMU (TCG: no KVM here) the way the libvirt provider defines it — qcow2
overlay on a base image, virtio disk, virtio NIC with the planned MAC, render's cidata ISO as a
CD-ROM — and read back what cloud-init did.

The base image is a debootstrapped Debian (kernel, systemd, cloud-init, sshd) put on an ext4
image with `mke2fs -d` (no loop device, no mount), booted by QEMU's direct kernel boot because
the tree has no boot loader. The NIC is QEMU user networking with restrict=on: it answers
DHCP, but nothing leaves the guest (no route to the host or beyond).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MIRROR = "http://deb.debian.org/debian"
# What a Debian cloud image has that cloud-init's modules use (e2fsprogs: resize_rootfs;
# cloud-guest-utils: growpart).
PACKAGES = (
    "systemd-sysv,udev,dbus,linux-image-amd64,initramfs-tools,cloud-init,openssh-server,"
    "netplan.io,sudo,iproute2,ca-certificates,e2fsprogs,cloud-guest-utils"
)
ROOT_LABEL = "kfroot"
FINISHED = "Cloud-init v. "  # cloud-init's final stage prints "Cloud-init v. X finished at ..."


@dataclass(frozen=True)
class Boot:
    console: str  # the serial console, as text
    seconds: float  # from QEMU start to cloud-init's "finished" line


def build_tree(cache: Path, release: str) -> Path:
    """A debootstrapped tree, built once into the cache (the stamp holds the package list: a
    changed list rebuilds)."""
    tree = cache / f"tree-{release}"
    stamp = cache / f"tree-{release}.done"
    if stamp.exists() and stamp.read_text() == PACKAGES:
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={PACKAGES}", release, str(tree), MIRROR],
        check=True,
        capture_output=True,
    )
    (tree / "etc" / "fstab").write_text(f"LABEL={ROOT_LABEL} / ext4 defaults 0 1\n")
    (tree / "etc" / "machine-id").write_text("")  # a fresh identity on first boot
    stamp.write_text(PACKAGES)
    return tree


def make_base(tree: Path, workdir: Path, size_gb: int = 4) -> Path:
    """The tree as an ext4 filesystem image, converted to qcow2 (the provider's base image)."""
    raw = workdir / "base.raw"
    subprocess.run(
        ["mke2fs", "-q", "-t", "ext4", "-L", ROOT_LABEL, "-d", str(tree), str(raw), f"{size_gb}G"],
        check=True,
    )
    base = workdir / "base.qcow2"
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(base)], check=True
    )
    raw.unlink()
    return base


def overlay(base: Path, path: Path, size_gb: int) -> Path:
    """What the libvirt provider's volume XML asks for: qcow2 with the base as backing store."""
    subprocess.run(
        [
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            str(base),
            "-F",
            "qcow2",
            str(path),
            f"{size_gb}G",
        ],
        check=True,
    )
    return path


def boot(tree: Path, disk: Path, seed_iso: Path, mac: str, workdir: Path, timeout: float) -> Boot:
    console = workdir / "console.log"
    monitor = workdir / "monitor.sock"
    argv = [
        "qemu-system-x86_64",
        "-machine",
        "q35,accel=tcg",
        "-m",
        "1024",
        "-smp",
        "2",
        "-display",
        "none",
        "-serial",
        f"file:{console}",
        "-monitor",
        f"unix:{monitor},server,nowait",
        "-kernel",
        str(tree / "vmlinuz"),
        "-initrd",
        str(tree / "initrd.img"),
        "-append",
        "root=/dev/vda rw console=ttyS0",
        "-drive",
        f"file={disk},if=virtio,format=qcow2",
        "-drive",
        f"file={seed_iso},media=cdrom,format=raw,readonly=on",
        "-netdev",
        "hubport,id=n0,hubid=0",
        "-device",
        f"virtio-net-pci,netdev=n0,mac={mac}",
        "-object",
        "rng-random,id=rng0,filename=/dev/urandom",
        "-device",
        "virtio-rng-pci,rng=rng0",
    ]
    started = time.monotonic()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        seconds = _wait_finished(console, process, started, timeout)
        _power_down(monitor, process)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)  # ended by PID, never by name
            process.wait()
    return Boot(console.read_text(errors="replace"), seconds)


def _wait_finished(
    console: Path, process: subprocess.Popen[bytes], started: float, timeout: float
) -> float:
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(
                f"qemu exited ({process.returncode}): {process.stderr.read().decode()}"
                if process.stderr
                else "qemu exited"
            )
        text = console.read_text(errors="replace") if console.exists() else ""
        if any(FINISHED in line and "finished at" in line for line in text.splitlines()):
            return time.monotonic() - started
        time.sleep(2)
    raise TimeoutError(f"cloud-init did not finish within {timeout:.0f} s; see {console}")


def _power_down(monitor: Path, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    """ACPI power button (systemd-logind shuts down cleanly), so the disk is consistent."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(monitor))
        sock.sendall(b"system_powerdown\n")
        time.sleep(1)
    process.wait(timeout=timeout)


def read_files(disk: Path, workdir: Path, paths: list[str]) -> dict[str, str]:
    """Read files from the guest's ext4 root with debugfs: no mount, no loop device."""
    raw = workdir / "after.raw"
    subprocess.run(
        ["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(disk), str(raw)], check=True
    )
    files = {}
    for path in paths:
        result = subprocess.run(
            ["debugfs", "-R", f"cat {path}", str(raw)], capture_output=True, text=True, check=False
        )
        files[path] = result.stdout
    raw.unlink()
    return files
