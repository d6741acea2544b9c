"""`render --out`, `plan --html` and `init` never remove or overwrite what kubeforge did not write.

Every refused path is tried on a folder holding a spec, a state directory with its secrets and
key, and a file of the user's; each must exit 2 and leave every byte and every name in place.
The first cases are the hostile review's: `--out .` and `--out .kubeforge` deleted the spec and
every secret, a symlinked `out` was followed, `plan --html cluster.yaml` overwrote the spec.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kubeforge.render import outdir
from tests.cli.inproc import run

Snapshot = dict[str, str]


def snapshot(root: Path) -> Snapshot:
    """Every name under root (not following links) with what it holds."""
    seen: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                seen[rel] = f"-> {os.readlink(path)}"
            elif path.is_file():
                seen[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                seen[rel] = f"dir {os.stat(path).st_mode & 0o777:o}"
    return seen


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> Path:
    """cwd: conf/cluster.yaml, the state of a first render (.kubeforge/kube), out/, precious.txt,
    and the traps: a foreign directory, a symlink to out, a directory of the user's own."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    assert run(["init", "conf/cluster.yaml"], monkeypatch, capsys)[0] == 0
    assert run(["render", "-f", "conf/cluster.yaml", "--out", "out"], monkeypatch, capsys)[0] == 0
    assert (tmp_path / ".kubeforge" / "kube" / "secrets.json").is_file()
    assert (tmp_path / ".kubeforge" / "kube" / "ssh" / "id_ed25519").is_file()
    (tmp_path / "precious.txt").write_text("keep")
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine")
    (tmp_path / "link").symlink_to(tmp_path / "out")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "linkdir").symlink_to(tmp_path / "elsewhere")
    return tmp_path


REFUSED_OUT = [
    ".", "./", "/", "..", "conf", "conf/..", ".kubeforge", ".kubeforge/kube", ".kubeforge/..",
    "conf/cluster.yaml", "precious.txt", "foreign", "link", "link/sub", "linkdir", "linkdir/x",
    "out/../.", "{tmp}", "{tmp}/.kubeforge",
]


@pytest.mark.parametrize("out", REFUSED_OUT)
def test_render_out_never_removes_the_spec_or_the_state(
        folder: Path, out: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(folder)
    code, _, err = run(["render", "-f", "conf/cluster.yaml", "--out", out.format(tmp=folder)],
                       monkeypatch, capsys)
    assert code == 2 and err.startswith("error: --out") and "Traceback" not in err
    assert snapshot(folder) == before


def test_render_out_refuses_a_foreign_file_added_to_its_own_tree(
        folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "out" / "kube").mkdir(exist_ok=True)
    (folder / "out" / "kube" / "my-notes.md").write_text("not kubeforge's")
    before = snapshot(folder)
    code, _, err = run(["render", "-f", "conf/cluster.yaml", "--out", "out"], monkeypatch, capsys)
    assert code == 2 and "kube/my-notes.md" in err
    assert snapshot(folder) == before


def test_render_out_with_a_custom_state_root_refuses_it_and_its_ancestors(
        folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    state = folder / "deep" / "state"
    assert run(["render", "-f", "conf/cluster.yaml", "--state", str(state), "--out", "o2"],
               monkeypatch, capsys)[0] == 0
    before = snapshot(folder)
    for out in ("deep", "deep/state", "deep/state/kube"):
        code, _, err = run(["render", "-f", "conf/cluster.yaml", "--state", str(state),
                            "--out", out], monkeypatch, capsys)
        assert code == 2 and "state" in err, (out, err)
    assert snapshot(folder) == before


def test_a_refused_out_writes_no_state_either(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["init", "cluster.yaml"], monkeypatch, capsys)[0] == 0
    assert run(["render", "-f", "cluster.yaml", "--out", "."], monkeypatch, capsys)[0] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cluster.yaml"]  # no .kubeforge


def test_render_replaces_its_own_tree_and_only_that(
        folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    old = snapshot(folder / "out")
    (folder / "empty").mkdir()
    for out in ("out", "empty", "new/nested"):
        code, _, err = run(["render", "-f", "conf/cluster.yaml", "--out", out], monkeypatch, capsys)
        assert code == 0, err
        assert (folder / out / outdir.MARKER).is_file()
    assert snapshot(folder / "out") == old  # same spec, same state: the same bytes
    leftovers = [p.name for p in folder.iterdir() if p.name.startswith(".out.")]
    assert leftovers == []


def test_plan_html_refuses_the_spec_and_files_it_did_not_write(
        folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(folder)
    for target in ("conf/cluster.yaml", "precious.txt", "out", "link", "linkdir/r.html"):
        for force in ([], ["--force"]):
            code, _, err = run(["plan", "-f", "conf/cluster.yaml", "--html", target, *force],
                               monkeypatch, capsys)
            assert code == 2 and err.startswith("error: --html"), (target, force, err)
    assert snapshot(folder) == before


def test_plan_html_replaces_its_own_report_only_with_force(
        folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "-f", "conf/cluster.yaml", "--html", "report.html"]
    assert run(args, monkeypatch, capsys)[0] == 0
    report = (folder / "report.html").read_text()
    code, _, err = run(args, monkeypatch, capsys)
    assert code == 2 and "--force" in err
    assert run([*args, "--force"], monkeypatch, capsys)[0] == 0
    assert (folder / "report.html").read_text() == report


def test_init_never_overwrites_an_edited_spec(
        folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = folder / "conf" / "cluster.yaml"
    spec.write_text(spec.read_text() + "# my edit\n")
    before = snapshot(folder)
    for target, force in (("conf/cluster.yaml", []), ("conf/cluster.yaml", ["--force"]),
                          ("precious.txt", ["--force"]), ("link", ["--force"])):
        code, _, err = run(["init", target, *force], monkeypatch, capsys)
        assert code == 2 and err.startswith("error: init"), (target, err)
    assert snapshot(folder) == before
