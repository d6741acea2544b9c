"""Stretch: a debootstrapped Debian boots under QEMU (TCG) from a qcow2 overlay with render's
cidata seed, and cloud-init applies it (hostname, operator key, NIC renamed by MAC).

Opt-in (KUBEFORGE_QEMU_BOOT=1): it debootstraps once (needs the Debian mirror, root) and a TCG
boot takes minutes on two cores, too long for every CI run. The tree is cached in
$KUBEFORGE_QEMU_CACHE (default /var/cache/kubeforge/qemu-boot).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from kubeforge.render import bundle
from kubeforge.spec import default
from kubeforge.workspace import Workspace
from tests.provision import qemu_boot

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(
        not os.environ.get("KUBEFORGE_QEMU_BOOT"),
        reason="opt-in: set KUBEFORGE_QEMU_BOOT=1 (debootstrap + a TCG boot)",
    ),
]
CACHE = Path(os.environ.get("KUBEFORGE_QEMU_CACHE", "/var/cache/kubeforge/qemu-boot"))
HOST = "kube-node01"


def test_debootstrapped_image_boots_and_cloud_init_applies_the_seed(tmp_path: Path) -> None:
    spec_file = tmp_path / "cluster.yaml"
    # Preinstalled image: the seed installs no packages (the guest has no way out).
    spec_file.write_text(default.default_text() + "image_preinstalled: true\n")
    workspace = Workspace(spec_file, tmp_path / "state")
    plan = workspace.plan()
    artifacts = bundle.render_all(plan, workspace.secrets())
    seed = tmp_path / "cidata.iso"
    seed.write_bytes(next(a.content for a in artifacts if a.dest == f"seeds/{HOST}/cidata.iso"))

    machine = plan.machine(HOST)
    tree = qemu_boot.build_tree(CACHE, plan.spec.debian_release)
    base = qemu_boot.make_base(tree, tmp_path)
    disk = qemu_boot.overlay(base, tmp_path / f"{HOST}.qcow2", machine.disk_gb)
    result = qemu_boot.boot(tree, disk, seed, machine.nics[0].mac, tmp_path, timeout=1800)
    print(f"cloud-init finished {result.seconds:.0f} s after QEMU started (TCG)")

    files = qemu_boot.read_files(
        disk,
        tmp_path,
        [
            "/etc/hostname",
            "/home/debian/.ssh/authorized_keys",
            "/var/lib/cloud/data/result.json",
            "/etc/netplan/50-cloud-init.yaml",
        ],
    )
    assert files["/etc/hostname"].strip() == HOST
    assert (
        plan.spec.ssh_public_key
        and plan.spec.ssh_public_key in files["/home/debian/.ssh/authorized_keys"]
    )
    outcome = json.loads(files["/var/lib/cloud/data/result.json"])["v1"]
    assert "NoCloud" in outcome["datasource"] and outcome["errors"] == []
    # cloud-init rendered the seed's network-config: the NIC matched by its planned MAC, renamed.
    netplan = yaml.safe_load(files["/etc/netplan/50-cloud-init.yaml"])["network"]["ethernets"]
    assert netplan["node0"]["match"]["macaddress"] == machine.nics[0].mac
    assert netplan["node0"]["set-name"] == "node0"
