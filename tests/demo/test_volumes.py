"""The volumes demo's readings of gluster's output, and the file writer it sends to a machine."""

from __future__ import annotations

import os
from pathlib import Path

from kubeforge.demo import files, volumes

HEALED = """Brick 192.168.3.201:/data/bricks/kube/brick
Status: Connected
Number of entries: 0

Brick 192.168.3.202:/data/bricks/kube/brick
Status: Connected
Number of entries: 0
"""
PENDING = HEALED.replace("entries: 0\n\nBrick", "entries: 17\n\nBrick")
DISCONNECTED = HEALED.replace("Connected\nNumber of entries: 0\n", "Transport endpoint is not "
                              "connected\nNumber of entries: -\n", 1)
STATUS_XML = """<?xml version="1.0"?><cliOutput><opRet>0</opRet><volStatus><volumes><volume>
<volName>kube</volName>
<node><hostname>192.168.3.203</hostname><path>/data/bricks/kube/brick</path><status>{s}</status></node>
<node><hostname>Self-heal Daemon</hostname><path>192.168.3.203</path><status>1</status></node>
</volume></volumes></volStatus></cliOutput>"""


def test_heal_is_done_when_every_connected_brick_lists_no_entry() -> None:
    assert volumes.heal_pending(HEALED) == 0
    assert volumes.heal_pending(PENDING) == 17
    assert volumes.heal_pending(DISCONNECTED) is None  # unknown, not zero
    assert volumes.heal_pending("") is None


def test_brick_online_reads_gluster_xml_status() -> None:
    brick = ("192.168.3.203", "/data/bricks/kube/brick")
    assert volumes.brick_online(STATUS_XML.format(s=1), *brick)
    assert not volumes.brick_online(STATUS_XML.format(s=0), *brick)
    assert not volumes.brick_online(STATUS_XML.format(s=1), "192.168.3.201", brick[1])


def test_files_written_read_back_with_the_same_checksums(tmp_path: Path) -> None:
    written = files.write(str(tmp_path), "before", 3, 1000)
    assert sorted(written) == ["before-00000", "before-00001", "before-00002"]
    assert files.read(str(tmp_path)) == written
    (tmp_path / "before-00001").write_bytes(os.urandom(1000))  # a corrupted copy
    assert files.read(str(tmp_path))["before-00001"] != written["before-00001"]
