"""Private files of the state directory: refused unless they are ours alone, written atomically.

A state directory or file that is a symlink, belongs to another user, or is open to the group or
the world is refused (StateError naming the path and the fix), never followed or "repaired": the
secrets in it may already be known to someone else, or writing would land in someone else's place.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kubeforge.errors import StateError

DIR_MODE = 0o700
FILE_MODE = 0o600


def check(path: Path, secret: bool = True) -> bool:
    """True if path exists and is safe to use; StateError if it exists and is not; False if absent.
    Others may never write it; `secret`: nor read it."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StateError(f"{path}: cannot inspect it ({exc.strerror}); check --state") from None
    _refuse_link(path, info)
    _refuse_foreign(path, info)
    if info.st_mode & (0o077 if secret else 0o022):
        _refuse_open(path, info)
    return True


def check_tree(root: Path) -> None:
    """check() every entry under root, without following links: a link planted anywhere in the
    state (known_hosts, endpoints, logs...) is refused before any command reads or writes it."""
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            check(Path(directory) / name, secret=False)


def ensure_dir(path: Path) -> None:
    """Create path (0700) or check the one that exists; its parent must not be a symlink."""
    check(path.parent, secret=False)
    if not check(path):
        missing = [p for p in (path, *path.parents) if not p.exists()]
        for directory in reversed(missing):  # each one private, not just the last (mkdir -p)
            directory.mkdir(mode=DIR_MODE, exist_ok=True)


def write(path: Path, content: bytes) -> None:
    """Write atomically with mode 0600: a crash leaves the old file or the new one, never half.
    The temporary file is created exclusively and never through a symlink."""
    ensure_dir(path.parent)
    check(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)  # a leftover of a crash (a link is removed, not followed)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read(path: Path, secret: bool = True) -> str:
    """The text of a checked state file (StateError if unsafe, unreadable or not UTF-8)."""
    check(path, secret)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            return handle.read().decode()
    except (OSError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: unreadable ({type(exc).__name__}); restore it from a backup "
                         "or delete it so kubeforge generates it again") from None


def _refuse_link(path: Path, info: os.stat_result) -> None:
    if stat.S_ISLNK(info.st_mode):
        raise StateError(f"{path}: is a symlink; kubeforge keeps state only in a real directory "
                         "of its own: replace the link by what it points to, or pass --state "
                         "(or $KUBEFORGE_STATE) to another place")


def _refuse_foreign(path: Path, info: os.stat_result) -> None:
    if info.st_uid != os.geteuid():
        raise StateError(f"{path}: owned by uid {info.st_uid}, not by you (uid {os.geteuid()}); "
                         "use a state directory of your own (--state or $KUBEFORGE_STATE)")


def _refuse_open(path: Path, info: os.stat_result) -> None:
    want = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    raise StateError(f"{path}: mode {stat.S_IMODE(info.st_mode):04o} lets other users in; "
                     f"run `chmod {want:o} {path}` (and if someone may have read its secrets, "
                     "delete them to have new ones generated, then re-apply)")
