"""`kubeforge image build`: the base image for hypervisor providers, from Debian's packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kubeforge.cli import console
from kubeforge.cli.console import SpecOption, StateOption
from kubeforge.lab import base
from kubeforge.lab.paths import LabPaths
from kubeforge.provision import image_build

app = typer.Typer(help="Base images for the hypervisor providers.", no_args_is_help=True)


@app.command()
def build(
    spec_path: SpecOption = None,
    state_dir: StateOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="The qcow2 to write. Default: ./debian-<version>-kubeforge-amd64.qcow2")] = None,
    size_gb: Annotated[int, typer.Option(
        "--size", min=2, help="Root file system size in GiB (machines grow it to disk_gb).")] = 4,
) -> None:
    """Debian (the spec's release) with every role's packages and a kernel, as a qcow2 booted
    directly by its kernel; needs root and Debian's mirror (or its package cache)."""
    workspace = console.checked_workspace(spec_path, state_dir, check_state=False)
    release = workspace.spec.debian_release
    paths = LabPaths.default()
    console.note(f"base tree for {release}: the lab's cache {paths.cache} (built once)")
    tree = base.ensure(paths, release)
    target = (out or image_build.default_path(release)).absolute()
    built = image_build.build(tree, paths.cache / f"apt-{release}", target, size_gb, release)
    for path in (built.image, built.kernel, built.initrd):
        console.out.print(f"wrote {path}", highlight=False)
    console.out.print(f"image built in {built.seconds:.0f} s; boot it with "
                      f"`kubeforge up --provider libvirt --image {built.image}`", highlight=False)
