"""The base tree every lab machine boots from: Debian by debootstrap, with every role's packages
installed, because the lab has no internet and the engine's package steps must find them there.

Built once per release into the cache and reused (read-only, as the lower layer of each
machine's overlay). Each build stage leaves a stamp, so an interrupted build resumes and a warm
`lab up` downloads nothing. Downloaded .debs are kept in the cache too, so even a rebuild after
`rm -rf base-<release>-<digest>` fetches nothing new.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import time
from pathlib import Path

from kubeforge.errors import LabError
from kubeforge.lab import sh
from kubeforge.lab.paths import LabPaths
from kubeforge.plan import packages as plan_packages

MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_SCRIPTS = "/usr/share/debootstrap/scripts"
STAMP_DEBOOTSTRAP = ".kf-stage-debootstrap"
STAMP_PACKAGES = ".kf-stage-packages"  # holds the installed package list
STAMP_READY = ".kf-stage-ready"  # holds the manifest (release, packages, build time)
# Bump when _configure changes what it writes. A changed tree is built beside the old one (the
# directory name carries a digest), never under a running lab that uses the old one as its
# overlay's lower layer.
LAYOUT = 2

# What debootstrap itself installs: enough to boot systemd and run apt.
CORE = ("systemd", "systemd-sysv", "dbus", "iproute2", "ca-certificates")
# Lab plumbing and the tools tests and the operator use inside machines.
LAB_EXTRAS = (
    "cloud-init", "iptables", "iputils-ping", "curl", "procps", "netcat-openbsd",
    "bind9-dnsutils", "openssl", "less", "kmod",
    # As on Debian's cloud images: resolv.conf from the DNS servers networkd learns (DHCP,
    # cloud-init's nameservers), so machines resolve the cluster's names through the gateway.
    "systemd-resolved",
)
# Role daemons are installed but not started at boot: on a real VM the engine enables what each
# role needs; in the lab an enabled dnsmasq/glusterd/pacemaker on all twelve machines would only
# burn memory and fail without config.
ROLE_SERVICES = (
    "dnsmasq", "haproxy", "corosync", "pacemaker", "keepalived", "glusterd", "containerd",
    "nfs-ganesha", "nftables", "chrony", "rpcbind", "etcd",
)
# Periodic jobs and the console login prompt: not needed in a rehearsal, cost memory and CPU.
MASKED_UNITS = (
    "apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "e2scrub_all.timer",
    "fstrim.timer", "man-db.timer", "console-getty.service", "getty@.service",
)
# Lab machines all boot at once, before the gateway's dnsmasq exists (the engine configures it),
# so waiting two minutes for DHCP leases at boot would only delay cloud-init; networkd keeps
# asking for a lease in the background and gets one once the gateway serves DHCP.
WAIT_ONLINE_DROPIN = """\
[Service]
ExecStart=
ExecStart=/usr/lib/systemd/systemd-networkd-wait-online --any --timeout=5
"""
# Sealed lab: no compiled-in fallback resolvers (public addresses), no multicast name chatter.
RESOLVED_DROPIN = """\
[Resolve]
FallbackDNS=
LLMNR=no
MulticastDNS=no
"""
CLOUD_CFG = """\
# kubeforge lab: the NoCloud seed is copied to /var/lib/cloud/seed/nocloud before first boot,
# exactly the files the VirtualBox provider puts on the cidata ISO.
datasource_list: [NoCloud, None]
system_info:
  network:
    renderers: [networkd]
"""


def role_packages() -> tuple[str, ...]:
    """Every package any role may need, from the plan's single list (roles and VIP managers)."""
    names: list[str] = list(plan_packages.BASE)
    for group in (*plan_packages.ROLE.values(), *plan_packages.VIP_MANAGER.values(),
                  plan_packages.LAB_STANDINS):
        names += group
    return tuple(sorted(set(names) | set(LAB_EXTRAS)))


def tree_path(paths: LabPaths, release: str) -> Path:
    digest = hashlib.sha256(json.dumps([LAYOUT, role_packages()]).encode()).hexdigest()[:8]
    return paths.cache / f"base-{release}-{digest}"


def is_ready(paths: LabPaths, release: str) -> bool:
    tree = tree_path(paths, release)
    stamp = tree / STAMP_READY
    if not stamp.exists():
        return False
    return bool(json.loads(stamp.read_text()).get("packages") == list(role_packages()))


def ensure(paths: LabPaths, release: str) -> Path:
    """Build (or finish building) the base tree for `release`; return its path."""
    tree = tree_path(paths, release)
    if is_ready(paths, release):
        return tree
    sh.require_root()
    tree.parent.mkdir(parents=True, exist_ok=True)
    # Labs of other prefixes share the cache: two first `lab up`s at once built the same tree
    # side by side and one lost apt's lock. The second waits, then finds the tree ready.
    with open(paths.cache / f"base-{release}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not is_ready(paths, release):
            _build(paths, release, tree)
    return tree


def _build(paths: LabPaths, release: str, tree: Path) -> None:
    if not (tree / STAMP_DEBOOTSTRAP).exists():
        _debootstrap(paths, release, tree)
    wanted = role_packages()
    if _installed(tree) != wanted:
        _install(paths, release, tree, wanted)
    _configure(tree)
    manifest = {"release": release, "packages": list(wanted), "built": time.time()}
    (tree / STAMP_READY).write_text(json.dumps(manifest))


def _debootstrap(paths: LabPaths, release: str, tree: Path) -> None:
    if not Path(DEBOOTSTRAP_SCRIPTS, release).exists():
        raise LabError(f"debian_release: this host's debootstrap cannot build {release!r}; "
                       "install a newer debootstrap (from backports) or choose another release")
    if tree.exists():
        shutil.rmtree(tree)  # a half-finished debootstrap cannot be resumed
    debs = paths.cache / f"debs-{release}"
    debs.mkdir(parents=True, exist_ok=True)
    sh.run(["debootstrap", "--variant=minbase", f"--cache-dir={debs}",
            f"--include={','.join(CORE)}", release, str(tree), MIRROR])
    (tree / STAMP_DEBOOTSTRAP).touch()


def _installed(tree: Path) -> tuple[str, ...]:
    stamp = tree / STAMP_PACKAGES
    return tuple(stamp.read_text().split()) if stamp.exists() else ()


def _install(paths: LabPaths, release: str, tree: Path, wanted: tuple[str, ...]) -> None:
    archives = paths.cache / f"apt-{release}"
    (archives / "partial").mkdir(parents=True, exist_ok=True)
    (tree / "etc/resolv.conf").unlink(missing_ok=True)  # may be resolved's symlink
    shutil.copyfile("/etc/resolv.conf", tree / "etc/resolv.conf")  # apt needs the mirror's name
    policy = tree / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# no service starts while building the lab base tree\nexit 101\n")
    policy.chmod(0o755)
    # A private mount namespace: /proc and the .deb cache vanish with the command, never leak.
    script = (
        f"mount -t proc proc {tree}/proc && "
        f"mount --bind {archives} {tree}/var/cache/apt/archives && "
        f"chroot {tree} apt-get update && "
        f"DEBIAN_FRONTEND=noninteractive chroot {tree} apt-get install -y --no-install-recommends "
        + " ".join(wanted)
    )
    sh.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], timeout=3600)
    (tree / STAMP_PACKAGES).write_text("\n".join(wanted) + "\n")


def _configure(tree: Path) -> None:
    """Make the tree a clean image: no identity (each machine gets its own), no host leftovers."""
    (tree / "usr/sbin/policy-rc.d").unlink(missing_ok=True)
    resolv = tree / "etc/resolv.conf"
    resolv.unlink(missing_ok=True)  # the host's resolvers must not leak into the lab
    if _unit_exists(tree, "systemd-resolved.service"):
        resolv.symlink_to("../run/systemd/resolve/stub-resolv.conf")
        dropin = tree / "etc/systemd/resolved.conf.d"
        dropin.mkdir(parents=True, exist_ok=True)
        (dropin / "kubeforge-lab.conf").write_text(RESOLVED_DROPIN)
    else:
        resolv.write_text("")
    (tree / "etc/hostname").unlink(missing_ok=True)
    (tree / "etc/machine-id").write_text("")
    (tree / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    for key in (tree / "etc/ssh").glob("ssh_host_*"):
        key.unlink()  # cloud-init generates per-machine host keys at first boot
    (tree / "etc/cloud/cloud.cfg.d/90_kubeforge_lab.cfg").write_text(CLOUD_CFG)
    dropin = tree / "etc/systemd/system/systemd-networkd-wait-online.service.d"
    dropin.mkdir(parents=True, exist_ok=True)
    (dropin / "kubeforge-lab.conf").write_text(WAIT_ONLINE_DROPIN)
    _units(tree)


def _units(tree: Path) -> None:
    systemctl = ["chroot", str(tree), "systemctl"]
    present = [f"{u}.{kind}" for u in ROLE_SERVICES for kind in ("service", "socket")
               if _unit_exists(tree, f"{u}.{kind}")]
    if present:
        sh.run([*systemctl, "disable", *present])
    sh.run([*systemctl, "enable", "systemd-networkd.service"])
    for unit in MASKED_UNITS:
        link = tree / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")


def _unit_exists(tree: Path, unit: str) -> bool:
    return any((tree / d / unit).exists() for d in ("lib/systemd/system", "usr/lib/systemd/system"))
