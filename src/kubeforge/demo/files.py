"""Write and checksum demo files, run inside a lab machine (stdlib only, sent on stdin).

    python3 - write DIR PREFIX COUNT SIZE   # COUNT files of SIZE random bytes, fsynced
    python3 - read DIR                      # every file under DIR
Both print one JSON object: {name: [size, sha256]} (read: [-1, error] for unreadable files).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys


def write(directory: str, prefix: str, count: int, size: int) -> dict[str, list[object]]:
    os.makedirs(directory, exist_ok=True)
    written: dict[str, list[object]] = {}
    for index in range(count):
        name = f"{prefix}-{index:05d}"
        data = os.urandom(size)
        with open(os.path.join(directory, name), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # on the bricks before the demo pulls a plug
        written[name] = [size, hashlib.sha256(data).hexdigest()]
    return written


def read(directory: str) -> dict[str, list[object]]:
    found: dict[str, list[object]] = {}
    for name in sorted(os.listdir(directory)):
        try:
            with open(os.path.join(directory, name), "rb") as handle:
                data = handle.read()
            found[name] = [len(data), hashlib.sha256(data).hexdigest()]
        except OSError as exc:
            found[name] = [-1, type(exc).__name__]
    return found


def main(argv: list[str]) -> None:
    if argv[0] == "write":
        result = write(argv[1], argv[2], int(argv[3]), int(argv[4]))
    else:
        result = read(argv[1])
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
