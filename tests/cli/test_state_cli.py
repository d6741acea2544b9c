"""The state as `render` users meet it: a spec secret replacing a stored one is said (never the
value); a broken generated key is refused with the fix; a refused render writes no state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.inproc import run


def test_a_secret_set_after_the_first_render_replaces_the_stored_one_and_says_so(
        tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    assert run(["render", "-f", "c.yaml"], monkeypatch, capsys)[0] == 0
    chosen = "Sentinel-Stats-Pass-7Q9"
    raw["loadbalancer"]["stats_password"] = chosen
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    code, out, err = run(["render", "-f", "c.yaml"], monkeypatch, capsys)
    assert code == 0, err
    assert "note: loadbalancer.stats_password: the spec's value replaces the one kept in" in out
    assert chosen not in out + err
    secrets = json.loads((tmp_path / ".kubeforge" / "kube" / "secrets.json").read_text())
    assert secrets["haproxy_stats_password"] == chosen
    haproxy = next((tmp_path / "out").rglob("haproxy.cfg")).read_text()
    assert chosen in haproxy  # rendered, not silently ignored


def test_a_broken_generated_public_key_is_refused_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["render"], monkeypatch, capsys)[0] == 0
    public = tmp_path / ".kubeforge" / "kube" / "ssh" / "id_ed25519.pub"
    public.write_text("ssh-ed25519 AAAA-not-base64 x\n")
    code, _, err = run(["render"], monkeypatch, capsys)
    assert code == 2 and "id_ed25519.pub: not an ssh-ed25519 public key" in err
    assert "delete" in err and "Traceback" not in err
