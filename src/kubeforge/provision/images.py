"""The base OS image a hypervisor provider clones machines from (a Debian cloud image)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kubeforge.errors import ProviderError

Format = Literal["raw", "qcow2", "vdi", "vmdk", "vhd"]
FORMATS: tuple[Format, ...] = ("raw", "qcow2", "vdi", "vmdk", "vhd")
_BY_SUFFIX: dict[str, Format] = {
    ".raw": "raw",
    ".img": "raw",
    ".qcow2": "qcow2",
    ".vdi": "vdi",
    ".vmdk": "vmdk",
    ".vhd": "vhd",
}
# Debian's cloud images are published as debian-<version>-generic-amd64.{raw,qcow2}.
DEBIAN_VERSIONS = {"bookworm": 12, "trixie": 13, "forky": 14}


# What `kubeforge image build` writes beside its image: the image is a bare file system (no boot
# loader), booted by the hypervisor's direct kernel boot with these.
KERNEL_SUFFIX, INITRD_SUFFIX, CMDLINE_SUFFIX = ".vmlinuz", ".initrd", ".cmdline"


@dataclass(frozen=True)
class Image:
    path: Path
    format: Format
    kernel: Path | None = None  # direct kernel boot, when the image comes with one
    initrd: Path | None = None
    cmdline: str = ""


def default_path(debian_release: str) -> Path:
    """Where `up` looks when --image is not given: the generic cloud image, in the cwd."""
    version = DEBIAN_VERSIONS.get(debian_release, debian_release)
    return Path(f"debian-{version}-generic-amd64.qcow2").absolute()


def require(path: Path | None) -> Image:
    if path is None:
        raise ProviderError(
            "no base image given; pass --image PATH to a Debian cloud image "
            "(debian-<version>-generic-amd64.qcow2 or .raw)"
        )
    return Image(path, detect(path), *boot_files(path))


def boot_files(path: Path) -> tuple[Path | None, Path | None, str]:
    """The kernel, initrd and command line beside an image built by `kubeforge image build`."""
    kernel, initrd = path.with_suffix(KERNEL_SUFFIX), path.with_suffix(INITRD_SUFFIX)
    cmdline = path.with_suffix(CMDLINE_SUFFIX)
    if not (kernel.is_file() and initrd.is_file() and cmdline.is_file()):
        return None, None, ""
    return kernel, initrd, cmdline.read_text().strip()


def detect(path: Path) -> Format:
    """By content when the file is there (the header does not lie), else by suffix."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        head = b""
    by_magic = _by_magic(head)
    if by_magic:
        return by_magic
    fmt = _BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise ProviderError(
            f"{path}: unknown image format; use a .raw, .qcow2, .vdi, .vmdk or "
            ".vhd Debian cloud image"
        )
    return fmt


def _by_magic(head: bytes) -> Format | None:
    if head.startswith(b"QFI\xfb"):
        return "qcow2"
    if head.startswith((b"KDMV", b"# Disk DescriptorFile")):
        return "vmdk"
    if head[64:68] == b"\x7f\x10\xda\xbe":  # VDI signature at offset 0x40
        return "vdi"
    if head.startswith(b"conectix"):
        return "vhd"
    if len(head) == 512 and head[510:512] == b"\x55\xaa":  # an MBR: a raw disk
        return "raw"
    return None
