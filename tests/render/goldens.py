"""Golden files for rendered output, and the fixed Secrets they are rendered with.

Regenerate after an intended change: `KUBEFORGE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/render`,
then review the diff of tests/render/golden/ like any other change.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

from kubeforge.render.artifact import Artifact
from kubeforge.render.secrets import Secrets

ROOT = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KUBEFORGE_UPDATE_GOLDEN") == "1"


def fixed_secrets() -> Secrets:
    """Not random, so golden files are stable; distinctive, so leaks are easy to grep for."""
    return Secrets(
        haproxy_stats_password="golden-stats-password",
        corosync_authkey_b64=base64.b64encode(bytes(range(256))).decode(),
        kubeadm_token="abcdef.0123456789abcdef",
        kubeadm_certificate_key="c0ffee" * 10 + "c0ffee00",
        keepalived_password="goldpass",
        storage_corosync_authkey_b64=base64.b64encode(bytes(range(255, -1, -1))).decode(),
    )


def check(artifacts: list[Artifact], case: str) -> None:
    """Compare artifacts with tests/render/golden/<case>/<dest>, file set and bytes."""
    directory = ROOT / case
    if UPDATE:
        shutil.rmtree(directory, ignore_errors=True)
        for artifact in artifacts:
            path = directory / artifact.dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(artifact.content)
    expected = {str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()}
    assert {a.dest for a in artifacts} == expected, f"file set differs from {directory}"
    for artifact in artifacts:
        golden = (directory / artifact.dest).read_bytes()
        assert artifact.content == golden, (
            f"{artifact.dest} differs from its golden file; if intended, regenerate with "
            "KUBEFORGE_UPDATE_GOLDEN=1"
        )
