"""`kubeforge image build`: a Debian qcow2 with every role's packages preinstalled, from Debian's
own packages — what an air-gapped user boots, and what the QEMU rehearsal boots.

The root file system is the lab's base tree (debootstrap + every role package, built once and
cached by kubeforge.lab.base), seen through an overlay so the cached tree is never written, plus
a kernel and its initramfs installed with apt inside that overlay. `mke2fs -d` turns the result
into an ext4 image (no loop device, no mount of the image), converted to qcow2. There is no boot
loader: the image comes with its kernel, initrd and command line beside it
(<image>.vmlinuz/.initrd/.cmdline), which the libvirt provider boots directly. A manifest
(<image>.json) says what is inside — including that Debian ships no kubeadm/kubelet, so
`apply` on machines from this image runs the Kubernetes phases as a dry-run and says so.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kubeforge.errors import ProviderError
from kubeforge.provision import images

ROOT_LABEL = "kfroot"
CMDLINE = f"root=LABEL={ROOT_LABEL} ro console=ttyS0"
KERNEL_PACKAGES = ("linux-image-amd64", "initramfs-tools")
CLOUD_CFG = """\
# kubeforge image: the NoCloud seed comes as the cidata ISO the providers attach.
datasource_list: [NoCloud, None]
system_info:
  network:
    renderers: [networkd]
"""
# Emulated (TCG) guests boot in minutes, and stall for longer when the host is busy: at
# systemd's 90 s defaults a QEMU run lost a machine at boot (journald and ttyS0 timed out,
# cloud-init failed, so no SSH host keys and no login, ever). A slow unit now gets 10 min; a
# hung one still fails.
SLOW_BOOT_CONF = """\
[Manager]
DefaultTimeoutStartSec=600s
DefaultDeviceTimeoutSec=600s
"""
MANIFEST_SUFFIX = ".json"


@dataclass(frozen=True)
class Built:
    image: Path
    kernel: Path
    initrd: Path
    seconds: float


def default_path(release: str) -> Path:
    version = images.DEBIAN_VERSIONS.get(release, release)
    return Path(f"debian-{version}-kubeforge-amd64.qcow2").absolute()


def build(tree: Path, archives: Path, out: Path, size_gb: int, release: str) -> Built:
    """The image at `out` (qcow2) with its boot files beside it; `tree` is only read."""
    started = time.monotonic()
    work = out.with_name(out.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    for sub in ("upper", "ovl", "merged", "boot"):
        (work / sub).mkdir(parents=True)
    try:
        raw = work / "root.raw"
        _run(["unshare", "--mount", "--propagation", "private", "sh", "-ec",
              _script(tree, archives, work, raw, size_gb)], "build the root file system")
        _run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(out)],
             "convert to qcow2")
        kernel = out.with_suffix(images.KERNEL_SUFFIX)
        initrd = out.with_suffix(images.INITRD_SUFFIX)
        shutil.copyfile(work / "boot" / "vmlinuz", kernel)
        shutil.copyfile(work / "boot" / "initrd.img", initrd)
        out.with_suffix(images.CMDLINE_SUFFIX).write_text(CMDLINE + "\n")
        _manifest(out, work, release)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Built(out, kernel, initrd, time.monotonic() - started)


def _script(tree: Path, archives: Path, work: Path, raw: Path, size_gb: int) -> str:
    """One private mount namespace: the overlay, /proc and the .deb cache vanish with it."""
    m, q = work / "merged", shlex.quote
    chroot = f"chroot {q(str(m))}"
    return "\n".join([
        (f"mount -t overlay overlay -o lowerdir={tree},upperdir={work}/upper,"
         f"workdir={work}/ovl {q(str(m))}"),
        f"mount -t proc proc {m}/proc",
        f"mkdir -p {archives}/partial && mount --bind {archives} {m}/var/cache/apt/archives",
        f"rm -f {m}/etc/resolv.conf && cp /etc/resolv.conf {m}/etc/resolv.conf",
        f"printf '#!/bin/sh\\nexit 101\\n' > {m}/usr/sbin/policy-rc.d",
        f"chmod 755 {m}/usr/sbin/policy-rc.d",
        f"{chroot} apt-get update -q",
        (f"DEBIAN_FRONTEND=noninteractive {chroot} apt-get install -y -q "
         f"--no-install-recommends {' '.join(KERNEL_PACKAGES)}"),
        f"{chroot} dpkg-query -W -f '${{Package}} ${{Version}}\\n' > {work}/packages.txt",
        f"rm -f {m}/usr/sbin/policy-rc.d {m}/etc/resolv.conf",
        f"ln -s ../run/systemd/resolve/stub-resolv.conf {m}/etc/resolv.conf",
        f"rm -rf {m}/var/lib/apt/lists/* {m}/etc/cloud/cloud.cfg.d/90_kubeforge_lab.cfg",
        f"printf %s {q(CLOUD_CFG)} > {m}/etc/cloud/cloud.cfg.d/90_kubeforge_image.cfg",
        f"mkdir -p {m}/etc/systemd/system.conf.d",
        f"printf %s {q(SLOW_BOOT_CONF)} > {m}/etc/systemd/system.conf.d/90-kubeforge-image.conf",
        f"echo 'LABEL={ROOT_LABEL} / ext4 defaults 0 1' > {m}/etc/fstab",
        f"cp -L $(ls {m}/boot/vmlinuz-* | sort -V | tail -1) {work}/boot/vmlinuz",
        f"cp -L $(ls {m}/boot/initrd.img-* | sort -V | tail -1) {work}/boot/initrd.img",
        f"umount {m}/var/cache/apt/archives {m}/proc",
        f"mke2fs -q -t ext4 -L {ROOT_LABEL} -d {q(str(m))} {q(str(raw))} {size_gb}G",
    ])


def _manifest(out: Path, work: Path, release: str) -> None:
    packages = dict(line.split(" ", 1) for line in (work / "packages.txt").read_text().splitlines()
                    if " " in line)
    doc = {
        "release": release,
        "cmdline": CMDLINE,
        "kernel": packages.get("linux-image-amd64", ""),
        # Debian ships no kubeadm/kubelet/kube-apiserver: machines from this image run the
        # Kubernetes phases of `apply` as a dry-run, and say so.
        "kubernetes_binaries": any(p in packages for p in ("kubeadm", "kubelet")),
        "packages": packages,
    }
    out.with_suffix(MANIFEST_SUFFIX).write_text(json.dumps(doc, indent=2) + "\n")


def kubernetes_binaries(image: Path | None) -> bool:
    """False for an image whose manifest says it has no kubeadm/kubelet; True otherwise (a
    Debian cloud image gets them from the Kubernetes apt repository at apply time)."""
    if image is None or not image.with_suffix(MANIFEST_SUFFIX).is_file():
        return True
    return bool(json.loads(image.with_suffix(MANIFEST_SUFFIX).read_text())
                .get("kubernetes_binaries", True))


def _run(argv: list[str], what: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout)[-2000:]
        raise ProviderError(f"image build: {what} failed (exit {result.returncode}):\n{tail}")
