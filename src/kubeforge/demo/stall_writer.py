"""Append 4 KiB blocks, each fsynced, to one file for SECONDS; run inside a lab machine
(stdlib only, sent on stdin). Prints one JSON object: the longest time one write+fsync took
(the stall a client notices), bytes acknowledged, errors.

    python3 - PATH SECONDS INTERVAL
"""

from __future__ import annotations

import json
import os
import sys
import time


def main(path: str, seconds: float, interval: float) -> dict[str, float | int]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    block, written, errors, longest = b"k" * 4096, 0, 0, 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            os.write(fd, block)
            os.fsync(fd)
            written += len(block)
        except OSError:
            errors += 1
        longest = max(longest, time.monotonic() - started)
        time.sleep(interval)
    os.close(fd)
    return {"longest_s": round(longest, 2), "written": written, "errors": errors}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))))
