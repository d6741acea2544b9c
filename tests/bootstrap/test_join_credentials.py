"""Joins that work any day: golden command sequences for the bootstrap token and the uploaded
certificates on the first control plane (tests/bootstrap/golden/joins/*.json: the cluster's
tokens and Secrets, which ops need a change, and the exact kubeadm/kubectl calls the apply
makes; secrets appear as <token>, <token-id>, <certificate-key>)."""

from __future__ import annotations

import asyncio
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kubeforge.bootstrap import engine
from kubeforge.bootstrap import manifest as m
from kubeforge.bootstrap.context import Context
from kubeforge.bootstrap.inventory import Reach
from kubeforge.bootstrap.phases.base import Phase, Query
from kubeforge.bootstrap.phases.join import ControlPlaneJoin, WorkersJoin
from kubeforge.bootstrap.runner import Options, Selection
from kubeforge.workspace import Workspace

from . import fakekube
from .fakehost import FakeHost
from .local import LocalTransport, local_targets

GOLDEN = sorted((Path(__file__).parent / "golden" / "joins").glob("*.json"))
PHASES: dict[str, type[Phase]] = {"control-plane-join": ControlPlaneJoin,
                                  "workers-join": WorkersJoin}


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Context:
    ws = Workspace(state_root=tmp_path_factory.mktemp("ws"))
    return Context(ws.plan(), (), ws.secrets())


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeHost:
    fakes = tmp_path / "kube-tools"
    fakes.mkdir()
    fakekube.install(fakes)
    monkeypatch.setenv("PATH", f"{fakes}:{os.environ['PATH']}")
    return FakeHost(tmp_path)


def placeholders(ctx: Context) -> dict[str, str]:
    assert ctx.secrets is not None
    token = ctx.secrets.kubeadm_token
    return {"<token>": token, "<token-id>": token.split(".")[0],
            "<certificate-key>": ctx.secrets.kubeadm_certificate_key}


def masked(calls: list[str], values: dict[str, str]) -> list[str]:
    out = []
    for call in calls:
        for name, value in sorted(values.items(), key=lambda kv: -len(kv[1])):
            call = call.replace(value, name)
        out.append(call)
    return out


def prerequisite(ctx: Context, phase: str) -> tuple[str, m.Manifest]:
    found = PHASES[phase]().prerequisite(ctx)
    assert found is not None
    return found


@pytest.mark.parametrize("case_path", GOLDEN, ids=lambda p: p.stem)
def test_golden_join_credentials(case_path: Path, ctx: Context, host: FakeHost) -> None:
    case: dict[str, Any] = json.loads(case_path.read_text())
    values = placeholders(ctx)
    fakekube.load_cluster(host.root, case["cluster"], values)
    where, manifest = prerequisite(ctx, case["phase"])
    assert where == ctx.hosts_with_role("control_plane")[0]
    pending = [r["id"] for r in host.run(manifest, "check") if r["status"] == "change"]
    assert pending == case["expected"]["pending"]
    (host.root / ".fake" / "calls.log").unlink(missing_ok=True)
    applied = host.run(manifest, "apply")
    assert all(r["status"] in ("ok", "changed") for r in applied), applied
    assert masked(host.calls(), values) == case["expected"]["apply_calls"]
    again = host.run(manifest, "check")  # converged: a second apply would run nothing
    assert [r["status"] for r in again] == ["ok"] * len(again)


def test_only_control_plane_joins_need_the_certificates(ctx: Context) -> None:
    assert [op.id for op in prerequisite(ctx, "workers-join")[1].ops] == ["cmd:join-token"]
    assert [op.id for op in prerequisite(ctx, "control-plane-join")[1].ops] == [
        "cmd:join-token", "cmd:join-certificates"]


def test_no_secret_is_shown_or_logged(ctx: Context) -> None:
    """The token command carries the token: secret. The upload reads the certificate key
    from the init config, so no command line holds it."""
    _, manifest = prerequisite(ctx, "control-plane-join")
    token, certificates = manifest.ops
    assert token.secret and not certificates.secret
    shown = json.dumps([op.log_form() for op in manifest.ops])
    assert not any(value in shown for value in placeholders(ctx).values())
    assert ctx.secrets is not None
    assert ctx.secrets.kubeadm_certificate_key not in json.dumps(certificates.wire(True))


class Workers(WorkersJoin):
    """workers-join with the CA pin given (no real CA exists here)."""

    async def prepare(self, ctx: Context, query: Query, dry: bool) -> None:
        self.ca_hash = "sha256:" + "ab" * 32


def test_a_worker_added_a_day_later_gets_a_fresh_token_first(
        ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`apply --hosts kube-node01` a day after init: the token on kube-mast01 (not selected)
    is re-created before the worker joins; nothing about it is recorded as converged, and a
    re-run with nothing left to join does not touch kube-mast01."""
    fakes = tmp_path / "kube-tools"
    fakes.mkdir()
    fakekube.install(fakes)
    monkeypatch.setenv("PATH", f"{fakes}:{os.environ['PATH']}")
    first, worker = "kube-mast01", "kube-node01"
    targets = local_targets(tmp_path / "hosts", [first, worker])
    mast = Path(targets[first].root)
    fakekube.load_cluster(mast, {"tokens": [{"token": "<token>", "expires_in": -60}]},
                          placeholders(ctx))
    state = tmp_path / "state"

    def run() -> str:
        out = io.StringIO()
        asyncio.run(engine.apply(ctx, Reach(targets), state,
                                 Options(selection=Selection(hosts=frozenset({worker}))),
                                 Console(file=out, width=200, color_system=None),
                                 transport=LocalTransport(), phases=[Workers()]))
        return out.getvalue()

    shown = run()
    calls = masked((mast / ".fake" / "calls.log").read_text().splitlines(), placeholders(ctx))
    assert calls[-1].startswith("kubeadm token create <token> --ttl 24h0m0s")
    assert (Path(targets[worker].root) / "etc/kubernetes/kubelet.conf").exists()
    assert first in shown and ctx.secrets is not None
    assert ctx.secrets.kubeadm_token not in shown
    recorded = json.loads((state / "apply-state.json").read_text())["phases"]["workers-join"]
    assert list(recorded) == [worker]
    run()
    assert len((mast / ".fake" / "calls.log").read_text().splitlines()) == len(calls)
