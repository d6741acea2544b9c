"""A bounded CPU hog for tests that must pass on a loaded host (issue 9: the lab tests with a
CPU-bound process running beside them).

Each hog is a separate Python process spinning in a loop that ends by itself after `limit`
seconds (so a crashed test session cannot leave it running for long), and is killed by its PID
when the context exits. Nothing else is signalled.

    KUBEFORGE_TEST_CPU_HOG=1 .venv/bin/pytest tests/lab -m lab      # one busy process
    KUBEFORGE_TEST_CPU_HOG=2 ...                                    # one per core here
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "KUBEFORGE_TEST_CPU_HOG"
LIMIT = 2 * 3600.0  # longer than any test session; short enough to end by itself
_SPIN = "import time\nend = time.monotonic() + {limit}\nwhile time.monotonic() < end:\n    pass\n"


def requested() -> int:
    """How many hog processes the environment asks for (0: none)."""
    value = os.environ.get(ENV, "").strip()
    if not value:
        return 0
    if not value.isdigit() or int(value) > 64:
        raise ValueError(f"{ENV}={value!r}: give the number of busy processes (1-64), or unset it")
    return int(value)


@contextmanager
def running(count: int, limit: float = LIMIT) -> Iterator[list[int]]:
    """`count` processes each burning one CPU for at most `limit` seconds; yields their PIDs."""
    hogs = [subprocess.Popen([sys.executable, "-S", "-c", _SPIN.format(limit=limit)],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            for _ in range(count)]
    try:
        yield [hog.pid for hog in hogs]
    finally:
        for hog in hogs:
            hog.kill()  # by its PID, through the Popen that started it
        for hog in hogs:
            hog.wait(timeout=30)
