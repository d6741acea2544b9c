"""Reading hostile spec files: each is refused (or read) in well under a second.

Times `kubeforge.spec.load.parse_bytes` on the default spec and on the worst files the loader
must refuse: 1 MiB of YAML, an alias bomb, deep nesting, a 1 MiB string, duplicate keys.

    .venv/bin/python benchmarks/spec_load.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from kubeforge.errors import SpecError
from kubeforge.spec import default, load

DEFAULT = default.default_text().encode()
BOMB = b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n".encode() for p, n in zip("abcdefgh", "bcdefghi", strict=True))
FILES: dict[str, Callable[[], bytes]] = {
    "default spec (accepted)": lambda: DEFAULT,
    "1 MiB - 1 of comments and the default": lambda: DEFAULT + b"#" * (load.MAX_BYTES - len(DEFAULT) - 2) + b"\n",
    "2 MiB (refused on size)": lambda: b"#" * (2 << 20),
    "alias bomb, 10^9 values (refused)": lambda: BOMB,
    "nesting 100,000 deep (refused)": lambda: b"a: " + b"[" * 100_000 + b"]" * 100_000,
    "one 1 MiB string value (refused)": lambda: DEFAULT.replace(b"name: kube", b"name: " + b"k" * (load.MAX_BYTES - 4096)),
    "50,000 duplicate keys (refused)": lambda: b"".join(b"k: 1\n" for _ in range(50_000)),
}


def seconds(data: bytes) -> float:
    start = time.perf_counter()
    try:
        load.parse_bytes(data, "bench.yaml")
    except SpecError:
        pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    print("| file | median ms | min ms | max ms |\n|---|---|---|---|")
    for name, make in FILES.items():
        data = make()
        runs = [seconds(data) * 1000 for _ in range(args.repeat)]
        print(f"| {name} | {statistics.median(runs):.1f} | {min(runs):.1f} | {max(runs):.1f} |")


if __name__ == "__main__":
    main()
