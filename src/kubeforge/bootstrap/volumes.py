"""Volumes with sizes: a directory of the gluster volume per Kubernetes (or hand-made) volume,
its size enforced by gluster's directory quota (`gluster volume quota ... limit-usage`).

Pure: shell commands for the first gluster machine, and parsers of gluster's own `--xml`
output. The CLI (`kubeforge volume`) runs them over SSH, the lab tests on the lab's machines.
Each command is one script, so a step never half-runs across two connections.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from kubeforge.errors import ApplyError, SpecError

# In each volume kubeforge made: `volume delete` removes only directories holding it (kubeforge
# never deletes what it did not create; csi-driver-nfs's directories are Kubernetes' to delete).
MARKER = ".kubeforge-volume"
# Where the first gluster machine mounts the volume (FUSE) for a moment, to make or remove a
# directory: quota limits need the directory to exist on the volume.
MOUNT = "/run/kubeforge-volumes"
CACHE_S = 0  # seconds the bricks trust a cached usage: none (see create_command)
# gluster's answers (opRet -1, exit 2) to `quota list` when no directory has a size: quota on
# and no limit set, or quota still off (no `volume create` yet).
NO_LIMITS = ("No quota configured", "Quota is disabled")
# What list_command prints for a volume with quota on and no directory at its root.
EMPTY_LIST = "<cliOutput><opRet>0</opRet><volQuota/></cliOutput>"
# gluster's quota limits are signed 64-bit: a larger one fails after the directory is made.
MAX_SIZE = 2**63 - 1
# Every volume command runs this first. kubeforge's own commands on the machine take turns
# (flock); `g` runs gluster, retrying (bounded) while another transaction holds glusterd's
# volume lock -- two creates at once failed on it on the lab, as a sync timer beside a create
# or any other gluster command would.
PRELUDE = (
    "set -e; exec 9>/run/lock/kubeforge-volumes.lock; flock 9; "
    "g() { i=0; while :; do s=0; out=$(gluster \"$@\" 2>&1) || s=$?; "
    "case $out in *'Another transaction is in progress'*|*'Locking failed'*) ;; "
    "*) if [ $s -eq 0 ]; then printf '%s\\n' \"$out\"; return 0; fi; "
    "printf '%s\\n' \"$out\" >&2; return $s;; esac; "
    "i=$((i+1)); if [ $i -ge 30 ]; then printf '%s\\n' \"$out\" >&2; return 1; fi; sleep 1; done; }; "
)
_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
_UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_SIZE = re.compile(r"([1-9][0-9]{0,18})(Ki|Mi|Gi|Ti)?")


@dataclass(frozen=True)
class Volume:
    name: str
    size: int  # bytes: the quota's hard limit
    used: int  # bytes, as gluster's quota accounts them
    available: int
    exceeded: bool  # gluster reports the hard limit exceeded


def checked_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise SpecError([(f"volume name {name!r}: 1-63 of a-z, 0-9 and '-', starting and ending "
                         "with a letter or digit (a Kubernetes-style name); choose another")])
    return name


def parse_size(text: str) -> int:
    """`10Gi`, `512Mi`, `1073741824`: bytes (binary units, as Kubernetes quantities)."""
    found = _SIZE.fullmatch(text.strip())
    if found is None:
        raise SpecError([(f"size {text!r}: a whole number with an optional unit Ki, Mi, Gi or Ti "
                         "(e.g. 10Gi)")])
    size = int(found.group(1)) * _UNITS[found.group(2) or ""]
    if size > MAX_SIZE:
        raise SpecError([f"size {text!r}: more than gluster's largest limit ({MAX_SIZE} bytes)"])
    return size


def _mounted(volume: str, body: str) -> str:
    """`body` run in the volume mounted at $m (this command's own mount point: two commands at
    once must not unmount each other's); unmounted whatever body did, also when killed (the
    signal traps exit, and the exit trap unmounts)."""
    vol = shlex.quote(volume)
    return (f"{PRELUDE}m={MOUNT}/{vol}.$$; mkdir -p $m; "
            "trap 'umount $m 2>/dev/null || true; rmdir $m 2>/dev/null || true' EXIT; "
            f"trap 'exit 130' INT TERM HUP; mount -t glusterfs localhost:/{vol} $m; {body}")


def _limited(vol: str, path: str) -> str:
    """A shell test: gluster has a size for this directory."""
    return f"g volume quota {vol} list --xml {path} | grep -q '<hard_limit>[0-9]'"


def create_command(volume: str, name: str, size: int) -> str:
    vol, path = shlex.quote(volume), shlex.quote(f"/{checked_name(name)}")
    # The bricks' quota translator checks a write against the directory's usage as cached for
    # soft-timeout (default 60 s) below 80 % of the size and hard-timeout (5 s) above it: a
    # write within that window overshoots by what it brings. Measured on the lab at 1 s each,
    # an 8 MiB volume took four 32 MiB writes (each done within the second) before a refusal.
    # 0 checks every write against the usage quotad aggregates: exact, at the throughput cost
    # in docs/storage.md. Set on every create, so a volume made before this gets it too.
    # Whether quota is on from the volume's option: `quota list` also fails with quota on,
    # when the last limited directory was deleted without `quota remove` (list_command).
    enable = (f"g volume get {vol} features.quota | grep -q '^features.quota  *on ' || "
              f"g volume quota {vol} enable >/dev/null; "
              f"g volume quota {vol} soft-timeout {CACHE_S} >/dev/null; "
              f"g volume quota {vol} hard-timeout {CACHE_S} >/dev/null; ")
    # A directory with the marker and no size is an interrupted create: finish it.
    make = (f"if test -e $m{path}/{MARKER}; then if {_limited(vol, path)}; then "
            f"echo 'volume {name} exists already' >&2; exit 3; fi; "
            f"elif test -e $m{path}; then echo '{name} exists already, not made by kubeforge "
            "volume create' >&2; exit 3; "
            f"else mkdir -m 0777 $m{path}; touch $m{path}/{MARKER}; fi; ")
    return _mounted(volume, enable + make + f"g volume quota {vol} limit-usage {path} {size} >/dev/null")


def expand_command(volume: str, name: str, size: int) -> str:
    vol, path = shlex.quote(volume), shlex.quote(f"/{checked_name(name)}")
    return f"{PRELUDE}g volume quota {vol} limit-usage {path} {size} >/dev/null"


def delete_command(volume: str, name: str) -> str:
    """The limit first (gluster finds a directory's limit by its path), then the data, the
    marker last: a delete stopped half-way is still kubeforge's to delete again."""
    vol, path = shlex.quote(volume), shlex.quote(f"/{checked_name(name)}")
    check = (f"test -d $m{path} || {{ echo 'no such volume: {name}' >&2; exit 5; }}; "
             f"test -e $m{path}/{MARKER} || {{ echo '{name} was not made by kubeforge volume "
             "create: not deleted' >&2; exit 4; }; ")
    remove = (f"if {_limited(vol, path)}; then g volume quota {vol} remove {path} >/dev/null; fi; "
              f"find $m{path} -mindepth 1 -maxdepth 1 ! -name {MARKER} "
              "-exec rm -rf --one-file-system {} +; "
              f"rm -f $m{path}/{MARKER}; rmdir $m{path}")
    return _mounted(volume, check + remove)


def list_command(volume: str) -> str:
    """Quota's XML for each directory at the volume's root (those with a plain name: every
    volume kubeforge or csi-driver-nfs makes). Not `quota list` of everything: it fails, with no
    output, once the last limited directory in glusterd's list was deleted without `quota
    remove` -- as csi-driver-nfs deletes a claim's directory (gluster/glusterfs#3674; the lab).
    Exits 0 whatever gluster says: its XML says it (parse_list)."""
    vol = shlex.quote(volume)
    gather = ('set --; for d in "$m"/*/; do n=${d%/}; n=${n##*/}; case $n in '
              "''|*[!a-z0-9-]*) continue;; esac; set -- \"$@\" \"/$n\"; done; ")
    return _mounted(volume, gather + f"if [ $# -eq 0 ] && g volume get {vol} features.quota "
                    f"| grep -q '^features.quota  *on '; then echo '{EMPTY_LIST}'; "
                    f'else g volume quota {vol} list --xml "$@" 2>&1 || true; fi')


def parse_list(xml: str) -> list[Volume]:
    """Volumes from `gluster volume quota VOL list --xml` (one <limit> per directory)."""
    # gluster writes a directory that vanished meanwhile to stderr, which list_command merges.
    start, end = xml.find("<cliOutput"), xml.rfind("</cliOutput>")
    try:
        root = ET.fromstring(xml[start:end + len("</cliOutput>")] if 0 <= start < end else xml)
    except ET.ParseError as exc:
        raise ApplyError(f"`gluster volume quota list --xml` printed no XML ({exc})") from None
    if root.findtext("opRet", "0") != "0":
        if any(answer in (root.findtext("opErrstr") or "") for answer in NO_LIMITS):
            return []  # no directory limited (yet, or any more)
        raise ApplyError(f"gluster volume quota list: {root.findtext('opErrstr') or 'failed'}")
    # A directory without a limit is listed with N/A for its limit: no volume with a size.
    return [_volume(limit) for limit in root.iter("limit")
            if (limit.findtext("hard_limit") or "").strip().isdigit()]


def _volume(limit: ET.Element) -> Volume:
    def number(tag: str) -> int:
        text = (limit.findtext(tag) or "0").strip()
        return int(text) if text.isdigit() else 0

    return Volume(name=(limit.findtext("path") or "").strip().lstrip("/"),
                  size=number("hard_limit"), used=number("used_space"),
                  available=number("avail_space"),
                  exceeded=(limit.findtext("hl_exceeded") or "").strip().lower() == "yes")


def refuse_shrink(current: Volume | None, name: str, size: int) -> None:
    if current is None:
        raise SpecError([(f"volume {name}: no such volume (`kubeforge volume list`); create it "
                          "with `kubeforge volume create`")])
    if size <= current.size:
        raise SpecError([(f"volume {name}: {size} bytes is not more than its size "
                          f"({current.size}); volumes only grow: give a larger size")])
