"""`kubeforge volume`: sizes, names, the gluster commands and the parser of gluster's XML."""

from __future__ import annotations

import pytest

from kubeforge.bootstrap import volumes
from kubeforge.errors import ApplyError, SpecError

# The shape `gluster volume quota VOL list --xml` prints (one <limit> per directory).
LIST_XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <volQuota>
    <limit>
      <path>/kf-sized</path>
      <hard_limit>8388608</hard_limit>
      <soft_limit_percent>80%</soft_limit_percent>
      <soft_limit_value>6710886</soft_limit_value>
      <used_space>8519680</used_space>
      <avail_space>0</avail_space>
      <sl_exceeded>Yes</sl_exceeded>
      <hl_exceeded>Yes</hl_exceeded>
    </limit>
    <limit>
      <path>/other</path>
      <hard_limit>1073741824</hard_limit>
      <used_space>0</used_space>
      <avail_space>1073741824</avail_space>
      <hl_exceeded>No</hl_exceeded>
    </limit>
  </volQuota>
</cliOutput>
"""


@pytest.mark.parametrize("text, size", [("10Gi", 10 * 2**30), ("512Mi", 512 * 2**20),
                                        ("1073741824", 2**30), ("1Ti", 2**40)])
def test_sizes_in_binary_units(text: str, size: int) -> None:
    assert volumes.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "1.5Gi", "10GB", "-1Gi", "1Zi", "1 Gi x"])
def test_a_bad_size_names_the_format(text: str) -> None:
    with pytest.raises(SpecError, match="a whole number with an optional unit Ki, Mi, Gi or Ti"):
        volumes.parse_size(text)


@pytest.mark.parametrize("name", ["", "A", "a_b", "-a", "a-", "a/b", "..", "a" * 64, "x;rm -rf /"])
def test_a_bad_name_is_refused_before_any_command(name: str) -> None:
    with pytest.raises(SpecError, match="volume name"):
        volumes.create_command("kube", name, 1)


def test_create_makes_the_directory_then_limits_it() -> None:
    command = volumes.create_command("kube", "kf-sized", 8 * 2**20)
    assert command.index("mkdir -m 0777 $m/kf-sized") < command.index(
        "g volume quota kube limit-usage /kf-sized 8388608")
    assert f"/kf-sized/{volumes.MARKER}" in command
    assert "trap 'umount $m 2>/dev/null || true; rmdir $m 2>/dev/null || true' EXIT" in command
    assert "m=/run/kubeforge-volumes/kube.$$" in command  # its own mount: no unmount of another's


def test_delete_touches_only_what_create_made() -> None:
    command = volumes.delete_command("kube", "kf-sized")
    assert command.index(f"test -e $m/kf-sized/{volumes.MARKER}") < command.index("rm -rf")
    assert "g volume quota kube remove /kf-sized" in command


def test_list_reads_sizes_and_usage_from_glusters_xml() -> None:
    full, other = volumes.parse_list(LIST_XML)
    assert full == volumes.Volume("kf-sized", 8388608, 8519680, 0, True)
    assert other == volumes.Volume("other", 2**30, 0, 2**30, False)


def test_a_failed_list_names_glusters_reason() -> None:
    failed = ("<cliOutput><opRet>-1</opRet><opErrno>2</opErrno>"
              "<opErrstr>Volume kube does not exist</opErrstr></cliOutput>")
    with pytest.raises(ApplyError, match="Volume kube does not exist"):
        volumes.parse_list(failed)


def test_quota_still_off_is_no_volume_yet() -> None:
    # What gluster 11 prints (exit 2) before the first `volume create` (seen on the lab):
    # `kubeforge volume list` says there is none instead of failing.
    off = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n'
           "  <opRet>-1</opRet>\n  <opErrno>30800</opErrno>\n"
           "  <opErrstr>Quota is disabled, please enable quota</opErrstr>\n"
           "  <cliOp>volQuota</cliOp>\n</cliOutput>")
    assert volumes.parse_list(off) == []
    assert volumes.list_command("kube").endswith("|| true; fi")  # exit 2 is read, not raised


def test_directories_without_a_limit_are_no_volumes() -> None:
    # `quota list --xml /dir` for a directory without a limit (gluster 11, seen on the lab).
    unlimited = LIST_XML.replace("<path>/other</path>\n      <hard_limit>1073741824",
                                 "<path>/other</path>\n      <hard_limit>N/A")
    assert [v.name for v in volumes.parse_list(unlimited)] == ["kf-sized"]
    assert volumes.parse_list(volumes.EMPTY_LIST) == []


def test_list_asks_for_each_directory_not_for_everything() -> None:
    # `quota list` of everything fails, printing nothing, once the last limited directory was
    # deleted without `quota remove`, as csi-driver-nfs deletes claims (the lab).
    command = volumes.list_command("kube")
    assert 'g volume quota kube list --xml "$@"' in command
    assert "case $n in ''|*[!a-z0-9-]*) continue" in command  # only plain names reach gluster


def test_no_limit_left_is_an_empty_list() -> None:
    # What gluster 11 prints once the last limit is removed (seen on the lab).
    none = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n'
            "  <opRet>-1</opRet>\n  <opErrno>0</opErrno>\n"
            "  <opErrstr>No quota configured on volume kube</opErrstr>\n"
            "  <cliOp>volQuota</cliOp>\n</cliOutput>")
    assert volumes.parse_list(none) == []


def test_volumes_only_grow() -> None:
    current = volumes.Volume("kf-sized", 100, 10, 90, False)
    with pytest.raises(SpecError, match="volumes only grow"):  # bad input: exit 2
        volumes.refuse_shrink(current, "kf-sized", 100)
    with pytest.raises(SpecError, match="no such volume"):
        volumes.refuse_shrink(None, "kf-sized", 200)
    volumes.refuse_shrink(current, "kf-sized", 200)


def test_a_size_past_glusters_largest_limit_is_refused_before_anything_runs() -> None:
    # gluster refused it only after `create` had made the directory (a review found it).
    with pytest.raises(SpecError, match="more than gluster's largest limit"):
        volumes.parse_size("9999999999999999Ti")
    assert volumes.parse_size(str(volumes.MAX_SIZE)) == volumes.MAX_SIZE


def test_every_command_takes_turns_and_retries_a_locked_glusterd() -> None:
    for command in (volumes.create_command("kube", "kf-a", 1), volumes.list_command("kube"),
                    volumes.expand_command("kube", "kf-a", 2), volumes.delete_command("kube", "kf-a")):
        assert command.startswith(volumes.PRELUDE)
        assert "gluster volume" not in command  # every gluster call through `g`
    assert "*'Another transaction is in progress'*" in volumes.PRELUDE


def test_an_interrupted_create_is_finished_and_a_killed_one_unmounts() -> None:
    command = volumes.create_command("kube", "kf-a", 1)
    # marker and no size: finish; marker and a size: exists
    assert command.index("if test -e $m/kf-a/.kubeforge-volume; then if g volume quota kube "
                         "list --xml /kf-a") < command.index("limit-usage")
    assert "trap 'exit 130' INT TERM HUP" in command
    assert command.index("trap 'umount") < command.index("mount -t glusterfs")


def test_delete_removes_the_marker_last() -> None:
    command = volumes.delete_command("kube", "kf-a")
    assert command.index("! -name .kubeforge-volume") < command.index("rm -f $m/kf-a/.kubeforge")
    assert "no such volume: kf-a" in command
