"""The NoCloud `cidata` ISO, built in memory with pycdlib: same files in, same bytes out.

cloud-init finds the seed by the volume label `cidata`. ISO 9660 level 1 names are 8.3 upper
case, so each file also gets its real name through Joliet and Rock Ridge (what `genisoimage -J -r`
writes, and what Linux mounts show).

Speed: a pycdlib build costs ~1 ms, a whole second for 1,000 machines. ISO 9660 keeps no checksum
of file data, so two images whose files have the same names and sizes differ only in the file
bytes: pycdlib builds one zero-filled image per shape, and each seed is spliced into a copy
(a test checks the result equals a direct pycdlib build).
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from time import struct_time
from types import ModuleType
from typing import Any

import pycdlib
from pycdlib import dates, headervd, utils
from pycdlib import pycdlib as core

LABEL = "cidata"
# Every timestamp in the image. The seed's dates mean nothing; fixed ones make the bytes
# reproducible (same spec + same state -> identical output). 2000-01-01T00:00:00Z.
EPOCH = 946684800.0
# pycdlib modules that read the clock through their own `time` reference.
_CLOCK_USERS: tuple[ModuleType, ...] = (core, headervd, dates, utils)
_clock_lock = threading.Lock()


class _FrozenClock:
    """Stands in for the `time` module inside pycdlib: one instant, in UTC whatever TZ says."""

    def time(self) -> float:
        return EPOCH

    def localtime(self, seconds: float | None = None) -> struct_time:
        return time.gmtime(EPOCH if seconds is None else seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@dataclass(frozen=True)
class _Layout:
    """A built image with zeroed file data, and where each file's data starts in it."""

    template: bytes
    offsets: tuple[int, ...]


def build_cidata(files: Mapping[str, bytes]) -> bytes:
    """An ISO with `files` (name -> content) in its root, labelled `cidata`."""
    names = sorted(files)
    layout = _layout(tuple((name, len(files[name])) for name in names))
    image = bytearray(layout.template)
    for name, offset in zip(names, layout.offsets, strict=True):
        image[offset : offset + len(files[name])] = files[name]
    return bytes(image)


@lru_cache(maxsize=256)
def _layout(shape: tuple[tuple[str, int], ...]) -> _Layout:
    template = build_direct({name: bytes(size) for name, size in shape})
    image = pycdlib.PyCdlib()
    image.open_fp(io.BytesIO(template))
    try:
        block = image.logical_block_size
        offsets = tuple(
            image.get_record(joliet_path=f"/{name}").extent_location() * block for name, _ in shape
        )
    finally:
        image.close()
    return _Layout(template, offsets)


def build_direct(files: Mapping[str, bytes]) -> bytes:
    """The image as pycdlib writes it (no template): the reference build_cidata must equal."""
    image = pycdlib.PyCdlib()
    with _frozen_clock():
        image.new(
            interchange_level=3,
            vol_ident=LABEL,
            joliet=3,
            rock_ridge="1.09",
            sys_ident="LINUX",
            app_ident_str="kubeforge",
        )
        for index, name in enumerate(sorted(files)):
            content = files[name]
            image.add_fp(
                io.BytesIO(content),
                len(content),
                _iso_name(name, index),
                rr_name=name,
                joliet_path=f"/{name}",
            )
        out = io.BytesIO()
        image.write_fp(out)
    image.close()
    return out.getvalue()


def _iso_name(name: str, index: int) -> str:
    """A unique ISO 9660 name: `USERDATA.;1`. Readers use the Joliet/Rock Ridge name instead."""
    stem = "".join(c for c in name.upper() if c.isalnum() or c == "_")[:8] or f"FILE{index}"
    return f"/{stem}.;1"


@contextmanager
def _frozen_clock() -> Iterator[None]:
    # Swapping module globals is not thread-safe by itself; the lock makes concurrent builds wait.
    with _clock_lock:
        saved = [module.time for module in _CLOCK_USERS]
        try:
            for module in _CLOCK_USERS:
                module.time = _FrozenClock()  # type: ignore[attr-defined]
            yield
        finally:
            for module, original in zip(_CLOCK_USERS, saved, strict=True):
                module.time = original  # type: ignore[attr-defined]
