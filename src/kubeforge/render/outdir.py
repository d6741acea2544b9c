"""Where `render --out DIR` may write, and what it may replace: only what it wrote itself.

DIR must be new, empty, or a tree kubeforge wrote (it carries MARKER, the list of the files it
wrote, and nothing else). Refused, before anything is generated or written: a path through a
symlink, `/`, the current directory, the spec's directory, the state root or directory, an
ancestor of any of them, a file, a foreign non-empty directory, our tree with a foreign file added.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath

from kubeforge.errors import OutputError, RenderError

MARKER = ".kubeforge-render.json"
_SHOWN = 5  # foreign entries named in a refusal


def check(out_dir: Path, protected: Mapping[str, Path] | None = None) -> Path:
    """The real path of out_dir, if render may replace it; OutputError saying why not."""
    given = Path.cwd() / out_dir  # as typed: `a/..` is not normalised away before the check
    refuse_links(given, "--out")
    real = given.resolve()
    for what, keep in {"the root directory": Path("/"), **(protected or {})}.items():
        kept = keep.resolve()
        if real == kept or real in kept.parents:
            where = what if real == kept else f"an ancestor of {what} ({kept})"
            raise OutputError(f"--out {out_dir}: is {where}; render replaces its output "
                              "directory as a whole, so give a directory of its own (e.g. --out out)")
    foreign = _foreign(real)
    if foreign:
        raise OutputError(f"--out {out_dir}: {foreign}; render writes only into a new or empty "
                          "directory or one it wrote: give another --out")
    return real


def manifest(dests: Iterable[str]) -> bytes:
    """The marker's content: every file of the tree, so a later render knows what it may remove."""
    return json.dumps({"written_by": "kubeforge render", "files": sorted(dests)}, indent=1).encode()


def safe_dest(dest: str) -> PurePosixPath:
    path = PurePosixPath(dest)
    if path.is_absolute() or ".." in path.parts or not path.parts or str(path) == MARKER:
        raise RenderError(f"{dest!r}: not a path inside the output tree (a planner bug)")
    return path


def refuse_links(path: Path, option: str) -> None:
    """OutputError if path, or a directory on the way to it, is a symlink."""
    for prefix in (path, *path.parents):
        try:
            mode = os.lstat(prefix).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            raise OutputError(f"{option} {path}: goes through the symlink {prefix}; give the "
                              "real path instead")


def _foreign(real: Path) -> str | None:
    """What in real render did not write (None: nothing; real may be replaced)."""
    if not real.exists():
        return None
    if not real.is_dir():
        return "exists and is not a directory"
    entries = sorted(p.relative_to(real).as_posix() for p in real.rglob("*"))
    if not entries:
        return None
    ours = _ours(real / MARKER)
    if ours is None:
        return f"not empty and not written by kubeforge (no {MARKER})"
    extra = [e for e in entries if e not in ours]
    if extra:
        return f"holds what render did not write (move it away?): {', '.join(extra[:_SHOWN])}"
    return None


def _ours(marker: Path) -> set[str] | None:
    """The entries (files, their directories, the marker) the marker says render wrote."""
    try:
        if marker.is_symlink() or not marker.is_file():
            return None
        files = json.loads(marker.read_text())["files"]
        paths = [PurePosixPath(safe_dest(f)) for f in files]
    except (OSError, ValueError, KeyError, TypeError, RenderError):
        return None
    dirs = {parent.as_posix() for p in paths for parent in p.parents if parent.parts}
    return {MARKER, *dirs, *(p.as_posix() for p in paths)}


def write_file(path: Path, text: str, ours: Callable[[str], bool], option: str,
               force: bool) -> None:
    """Write one output file (a report, a new spec), atomically. An existing file is replaced
    only with --force and only when `ours` recognises it as kubeforge's own; never a symlink,
    a directory, the spec or anything else."""
    given = Path.cwd() / path
    refuse_links(given, option)
    existing = _existing_text(given, option)
    if existing is not None and not force:
        raise OutputError(f"{option} {path}: exists; pass --force to replace a file kubeforge "
                          "wrote there, or give another path")
    if existing is not None and not ours(existing):
        raise OutputError(f"{option} {path}: exists and is not a file this command wrote (your "
                          "spec or other work?); kubeforge replaces only its own: give another path")
    given.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{given.name}.", dir=given.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, given)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _existing_text(path: Path, option: str) -> str | None:
    if not path.exists():
        return None
    if not path.is_file():
        raise OutputError(f"{option} {path}: exists and is not a file; give a file path")
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return ""  # unreadable or binary: certainly not ours
