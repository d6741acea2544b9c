"""One gate: every registered command that reads a spec refuses an invalid one with exit 2, the
problem named, no traceback, nothing written. The commands are found by walking the typer app,
so a command added later is covered without touching this file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml

from kubeforge import cli
from tests.cli.inproc import run

# Commands that read no spec (they take no -f). A new command that reads a spec must take -f
# (console.SpecOption) and get its Workspace from console.checked_workspace.
SPEC_FREE = {("init",), ("schema",), ("lab", "down")}


def commands(group: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """(path, command) of every leaf command (typer vendors its own click: duck-typed)."""
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


ALL = list(commands(typer.main.get_command(cli.app)))


def options(command: Any) -> set[str]:
    return {opt for param in command.params for opt in param.opts}


def argv(path: tuple[str, ...], command: Any, spec: Path, state: Path) -> list[str]:
    """The command with dummy required arguments and options, the spec, a private state root,
    and --dry-run where there is one (should the gate ever be skipped, nothing is done)."""
    arguments = ["kube-mast01" for p in command.params
                 if p.param_type_name == "argument" and p.required]
    required = [word for p in command.params
                if p.param_type_name == "option" and p.required and p.opts[0] != "-f"
                for word in (p.opts[0], _dummy(p))]
    extra = ["--state", str(state)] if "--state" in options(command) else []
    dry = ["--dry-run"] if "--dry-run" in options(command) else []
    return [*path, *arguments, *required, "-f", str(spec), *extra, *dry]


def _dummy(param: Any) -> str:
    kind = getattr(getattr(param, "type_descriptor", None), "annotation", str)
    return "1" if kind in (int, float) else "1.31"


def broken_specs(raw: dict[str, Any]) -> dict[str, tuple[str | bytes, str]]:
    """name -> (file text, a word the error must contain)."""
    no_dmz = yaml.safe_load(yaml.safe_dump(raw))
    del no_dmz["network"]["subnets"]["dmz"]
    wrong_type = yaml.safe_load(yaml.safe_dump(raw))
    wrong_type["hosts"]["control_plane"]["count"] = "three"
    unknown = yaml.safe_load(yaml.safe_dump(raw))
    unknown["network"]["bogus_key"] = 1
    return {
        "missing-dmz": (yaml.safe_dump(no_dmz), "dmz"),
        "wrong-type": (yaml.safe_dump(wrong_type), "hosts.control_plane.count"),
        "unknown-key": (yaml.safe_dump(unknown), "bogus_key"),
        "garbage-yaml": ("name: [unclosed\n\t: @@ {\n", "YAML"),
        "not-a-mapping": ("- just\n- a list\n", "mapping"),
        "not-utf-8": (b"name: kube\xff\xfe\n", "error"),
    }


def test_every_command_reads_its_spec_through_the_gate() -> None:
    free = {path for path, command in ALL if "--file" not in options(command)}
    assert free <= SPEC_FREE, (f"{sorted(free - SPEC_FREE)} take no -f: a command that reads a "
                               "spec takes console.SpecOption; one that reads none goes in SPEC_FREE")
    assert len(ALL) - len(free) >= 10  # init/validate/plan/render/up/destroy/apply/lab */demo *


def test_every_command_refuses_an_invalid_spec_with_exit_2(
        tmp_path: Path, raw: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    failures = []
    for name, (text, word) in broken_specs(raw).items():
        spec = tmp_path / f"{name}.yaml"
        spec.write_bytes(text if isinstance(text, bytes) else text.encode())
        for path, command in ALL:
            if "--file" not in options(command):
                continue
            code, out, err = run(argv(path, command, spec, tmp_path / "state"), monkeypatch, capsys)
            ok = (code == 2 and "Traceback" not in out + err and "Usage:" not in err
                  and "error" in err and word in err)
            if not ok:
                failures.append(f"{' '.join(path)} on {name}: exit {code}\n{out}{err}")
    assert not failures, "\n".join(failures)
    left = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".yaml")
    assert left == [], f"written despite the invalid spec: {left}"


# Commands safe to run on a valid spec here (dry runs), whatever the state gate does.
STATEFUL = [["plan"], ["render", "--out", "out"], ["up", "--dry-run"], ["destroy", "--dry-run"],
            ["apply", "--dry-run", "--direct"]]


def break_state(kind: str, root: Path) -> str:
    """A broken state for the default cluster `kube`; returns a word the error must contain."""
    state = root / "kube"
    if kind == "symlinked-dir":
        (root.parent / "target").mkdir(mode=0o700)
        state.symlink_to(root.parent / "target")
        return "symlink"
    secrets = state / "secrets.json"
    data = json.loads(secrets.read_text())
    if kind in ("zero-byte-authkey", "numeric-token"):
        entry, value = (("corosync_authkey_b64", "") if kind == "zero-byte-authkey"
                        else ("kubeadm_token", 123))
        secrets.write_text(json.dumps(data | {entry: value}))
        return entry
    os.chmod(state, 0o755)
    return "chmod 700"


@pytest.mark.parametrize("kind", ["symlinked-dir", "zero-byte-authkey", "numeric-token", "open-dir"])
def test_commands_refuse_a_broken_state_with_exit_2(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "state"
    if kind != "symlinked-dir":
        assert run(["render", "--state", str(root), "--out", "first"], monkeypatch, capsys)[0] == 0
    else:
        root.mkdir()
    word = break_state(kind, root)
    for args in STATEFUL:
        code, out, err = run([*args, "--state", str(root)], monkeypatch, capsys)
        assert code == 2 and word in err and "Traceback" not in out + err, (args, code, out, err)
    assert not (tmp_path / "out").exists()  # render refused before writing
    if kind == "symlinked-dir":
        assert list((tmp_path / "target").iterdir()) == []  # nothing written through the link
