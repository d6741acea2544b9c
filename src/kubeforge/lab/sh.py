"""Running host commands. One helper, so every failure names the command and what it printed."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence

from kubeforge.errors import LabError


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run argv; on failure raise LabError naming the command and its stderr."""
    full_env = {**os.environ, **env} if env else None
    try:
        done = subprocess.run(
            list(argv), input=input, capture_output=True, env=full_env, timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise LabError(f"`{argv[0]}` is not installed; run scripts/install-apt-packages or "
                       f"`apt-get install` the package that provides it") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout} s") from exc
    if check and done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()
        raise LabError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {stderr[-2000:]}")
    return done


def out(argv: Sequence[str], **kwargs: object) -> str:
    """Run argv and return its stdout as text."""
    return run(argv, **kwargs).stdout.decode()  # type: ignore[arg-type]


def require_root() -> None:
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, mounts, systemd-nspawn): "
                       "run `sudo kubeforge lab ...`")
