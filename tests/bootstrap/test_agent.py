"""The on-host checker, run locally against a temporary root (never the real /etc)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from kubeforge.bootstrap import manifest as m

from .fakehost import FakeHost

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))


def manifest_from_case(ops: list[dict[str, Any]]) -> m.Manifest:
    out = m.Manifest()
    for raw in ops:
        args = {k: v for k, v in raw.items() if k not in ("id", "kind", "content")}
        content = raw["content"].encode() if "content" in raw else None
        if content is not None:
            args["sha256"] = hashlib.sha256(content).hexdigest()
        out.add(m.Op(raw["id"], raw["kind"], args, content=content))
    return out


@pytest.fixture
def host(tmp_path: Path) -> FakeHost:
    return FakeHost(tmp_path)


@pytest.mark.parametrize("case_path", GOLDEN, ids=lambda p: p.stem)
def test_golden_check_then_apply_converges(case_path: Path, host: FakeHost) -> None:
    case = json.loads(case_path.read_text())
    host.load_facts(case["facts"])
    man = manifest_from_case(case["ops"])
    found = {r["id"]: r["changes"] for r in host.run(man, "check")}
    assert found == case["expected"]
    applied = host.run(man, "apply")
    assert all(r["status"] in ("ok", "changed") for r in applied), applied
    again = host.run(man, "check")
    assert [r["status"] for r in again] == ["ok"] * len(again)


def test_check_reads_only(host: FakeHost) -> None:
    man = m.Manifest([m.file("/etc/x", b"1\n"), m.service("x"), m.packages("x")])
    host.run(man, "check")
    assert not host.path("/etc/x").exists()
    assert not any(c.startswith(("systemctl enable", "systemctl start", "apt-get"))
                   for c in host.calls())


def test_restart_only_when_trigger_changed(host: FakeHost) -> None:
    host.load_facts({"services": {"haproxy": ["enabled", "active"]}})
    cfg = m.file("/etc/haproxy/haproxy.cfg", b"v1\n")
    man = m.Manifest([cfg, m.service("haproxy", restart_on=[cfg])])
    host.run(man, "apply")
    host.run(man, "apply")
    assert host.calls().count("systemctl restart haproxy") == 1


def test_interrupted_restart_stays_pending(host: FakeHost) -> None:
    """A trigger written but its restart not run (apply killed) still restarts next time."""
    host.load_facts({"services": {"broken": ["enabled", "active"]}})
    cfg = m.file("/etc/broken.conf", b"v2\n")
    man = m.Manifest([cfg, m.service("broken", restart_on=[cfg])])
    first = host.run(man, "apply")
    assert first[1]["status"] == "failed"
    assert host.path("/etc/broken.conf").read_text() == "v2\n"
    again = {r["id"]: r for r in host.run(man, "check")}
    assert again["file:/etc/broken.conf"]["status"] == "ok"
    assert again["service:broken"]["changes"] == ["restart"]


def test_failure_reports_command_exit_and_stderr_and_stops(host: FakeHost) -> None:
    bad = m.command("bad", "echo oops >&2; exit 7")
    after = m.file("/etc/after", b"x")
    results = host.run(m.Manifest([bad, after]), "apply")
    assert results[0]["status"] == "failed"
    assert results[0]["error"]["exit"] == 7
    assert "oops" in results[0]["error"]["stderr"]
    assert results[1]["status"] == "skipped"
    assert not host.path("/etc/after").exists()


def test_dry_run_returns_current_text_but_never_secret(host: FakeHost) -> None:
    host.write("/etc/plain", "old\n")
    host.write("/etc/secret", "old-token\n")
    man = m.Manifest([m.file("/etc/plain", b"new\n"),
                      m.file("/etc/secret", b"new-token\n", secret=True)])
    plain, secret = host.run(man, "check", diff=True)
    assert plain["current"] == "old\n"
    assert "current" not in secret


def test_apply_sends_content_only_for_changing_files() -> None:
    a, b = m.file("/a", b"A"), m.file("/b", b"B")
    doc = json.loads(m.Manifest([a, b]).payload("apply", "", False, only={a.id}))
    assert "content_b64" in doc["ops"][0] and "content_b64" not in doc["ops"][1]
    assert all("content_b64" not in o for o in json.loads(
        m.Manifest([a, b]).payload("check", "", True))["ops"])


def test_content_hash_mismatch_refused(host: FakeHost) -> None:
    op = m.Op("f", "file", {"path": "/etc/f", "sha256": "0" * 64, "mode": 0o644},
              content=b"tampered")
    (result,) = host.run(m.Manifest([op]), "apply")
    assert result["status"] == "failed"
    assert not host.path("/etc/f").exists()


def test_line_diff_in_dry_run(host: FakeHost) -> None:
    host.write("/etc/modules", "overlay\n")
    (result,) = host.run(m.Manifest([m.line("/etc/modules", "br_netfilter")]), "check", True)
    assert "+br_netfilter" in result["diff"]


def test_manifest_digest_tracks_content() -> None:
    one = m.Manifest([m.file("/a", b"1")]).digest()
    assert one == m.Manifest([m.file("/a", b"1")]).digest()
    assert one != m.Manifest([m.file("/a", b"2")]).digest()


def test_remote_command_is_shell_safe() -> None:
    from kubeforge.bootstrap import onhost
    cmd = onhost.remote_command()
    assert cmd.startswith('python3 -S -c "') and cmd.count('"') == 2 and "$" not in cmd
    assert len(cmd) < 16_000


def test_service_that_dies_right_after_start_fails_with_its_status(host: FakeHost) -> None:
    (result,) = host.run(m.Manifest([m.service("dies")]), "apply")
    assert result["status"] == "failed"
    assert "dies is inactive right after starting" in result["error"]["stderr"]
    assert "main process exited" in result["error"]["stderr"]
