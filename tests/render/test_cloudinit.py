"""cloud-init seeds: golden files, determinism, and the real parsers (cloud-init, netplan, isoinfo).

Regenerate the golden files after an intended change with KUBEFORGE_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pycdlib
import pytest
import yaml

from kubeforge.errors import RenderError
from kubeforge.plan.build import build_plan
from kubeforge.plan.model import Plan
from kubeforge.render import cloudinit, gateway, iso
from kubeforge.render.artifact import Artifact
from kubeforge.spec.default import default_spec
from kubeforge.spec.model import ClusterSpec

from . import goldens

ISO_HASHES = goldens.ROOT / "seeds-cidata-iso.sha256.json"
SYSTEM_PYTHON = "/usr/bin/python3"  # cloud-init is a Debian package: its modules live here
KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPDFqQTKs1Ph57EQHlF88lcg5rln485FDqA8omkdref0 "
    "operator@kubeforge-test"
)
SECRETS = goldens.fixed_secrets()


def _spec(**changes: object) -> ClusterSpec:
    return default_spec().model_copy(update={"ssh_public_key": KEY, **changes})


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(_spec())


@pytest.fixture(scope="module")
def seeds(plan: Plan) -> dict[str, Artifact]:
    return {a.dest: a for a in cloudinit.render(plan, SECRETS, [])}


@pytest.fixture(scope="module")
def seed_dir(seeds: dict[str, Artifact], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("out")
    for artifact in seeds.values():
        path = root / artifact.dest
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(artifact.content)
    return root / "seeds"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found: install the packages in scripts/apt-packages.txt")
    return path


def _text(seeds: dict[str, Artifact], host: str, name: str) -> str:
    return seeds[f"seeds/{host}/{name}"].text


# --- golden files and determinism -------------------------------------------------------------


def test_every_machine_gets_the_four_seed_files(plan: Plan, seeds: dict[str, Artifact]) -> None:
    expected = {
        f"seeds/{m.name}/{f}" for m in plan.machines for f in (*cloudinit.SEED_FILES, "cidata.iso")
    }
    assert set(seeds) == expected
    assert all(a.component == "cloudinit" and a.host for a in seeds.values())


def test_seeds_match_golden_files(seeds: dict[str, Artifact]) -> None:
    """Text seeds byte for byte (golden/seeds/<host>/...); the ISOs by hash (70 KB each)."""
    texts = [
        dataclasses.replace(a, dest=a.dest.removeprefix("seeds/"))
        for a in seeds.values()
        if not a.dest.endswith(".iso")
    ]
    goldens.check(texts, "seeds")
    hashes = {
        d: hashlib.sha256(a.content).hexdigest() for d, a in seeds.items() if d.endswith(".iso")
    }
    if goldens.UPDATE:
        ISO_HASHES.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
    assert hashes == json.loads(ISO_HASHES.read_text())


def test_rerender_is_byte_identical_in_any_timezone(
    plan: Plan, seeds: dict[str, Artifact], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # +05:45: a non-zero offset shows up in ISO dates
    time.tzset()
    iso._layout.cache_clear()  # build every image afresh under this TZ
    try:
        again = {a.dest: a.content for a in cloudinit.render(plan, SECRETS, [])}
    finally:
        monkeypatch.undo()
        time.tzset()
    assert again == {dest: a.content for dest, a in seeds.items()}


@pytest.mark.parametrize(
    "files",
    [
        {"user-data": b"#cloud-config\nhostname: a\n", "meta-data": b"instance-id: a\n"},
        {
            "user-data": b"#cloud-config\nhostname: b\n",
            "meta-data": b"instance-id: b\n",
        },  # same sizes
        {"user-data": b"x" * 5000, "meta-data": b"", "network-config": "\u00e9t\u00e9\n".encode()},
        {"user-data": bytes(range(256)) * 9, "meta-data": b"m", "network-config": b"n" * 2048},
    ],
)
def test_spliced_iso_equals_a_direct_pycdlib_build(files: dict[str, bytes]) -> None:
    assert iso.build_cidata(files) == iso.build_direct(files)


def test_iso_clock_is_restored_after_a_build() -> None:
    iso.build_direct({"user-data": b"#cloud-config\n"})
    assert pycdlib.pycdlib.time is time  # type: ignore[attr-defined]


# --- content a user relies on -------------------------------------------------------------------


def test_user_data_gives_the_operator_key_and_no_password(
    plan: Plan, seeds: dict[str, Artifact]
) -> None:
    for machine in plan.machines:
        data = yaml.safe_load(_text(seeds, machine.name, "user-data"))
        assert (data["hostname"], data["fqdn"]) == (machine.name, machine.fqdn)
        (user,) = data["users"]
        assert user["name"] == plan.spec.admin_user
        assert user["ssh_authorized_keys"] == [KEY]
        assert user["lock_passwd"] is True and "passwd" not in user
        assert user["sudo"] == "ALL=(ALL) NOPASSWD:ALL" and user["shell"] == "/bin/bash"
        assert data["ssh_pwauth"] is False and data["disable_root"] is True
        assert data["packages"] == list(machine.packages)
        assert data["timezone"] == "UTC" and data["growpart"]["mode"] == "auto"


def test_user_data_starts_with_the_cloud_config_header(seeds: dict[str, Artifact]) -> None:
    for dest, artifact in seeds.items():
        if dest.endswith("/user-data"):
            assert artifact.text.startswith("#cloud-config\n"), dest


def test_preinstalled_image_installs_nothing() -> None:
    artifacts = cloudinit.render(build_plan(_spec(image_preinstalled=True)), SECRETS, [])
    for artifact in artifacts:
        if artifact.dest.endswith("/user-data"):
            data = yaml.safe_load(artifact.text)
            assert "packages" not in data and data["package_update"] is False


def test_gateway_seed_writes_the_gateway_phase_files_byte_for_byte(
    plan: Plan, seeds: dict[str, Artifact]
) -> None:
    """What lets the gateway serve DHCP/DNS from its first boot, and the gateway phase then
    find it converged: the same paths, modes and bytes as the rendered gateway files."""
    data = yaml.safe_load(_text(seeds, plan.gateway.name, "user-data"))
    written = {f["path"]: (f["permissions"], base64.b64decode(f["content"])) for f in data["write_files"]}
    rendered = {a.target: (f"0{a.mode:o}", a.content) for a in gateway.files(plan)}
    assert written == rendered and "/etc/dnsmasq.d/kubeforge-dhcp.conf" in written
    assert all(f["defer"] is True and f["owner"] == "root:root" for f in data["write_files"])
    commands = " ; ".join(data["runcmd"])
    assert "systemctl restart dnsmasq" in commands and "systemctl restart nftables" in commands
    assert "sysctl -q -p /etc/sysctl.d/10-kubeforge-gateway.conf" in commands


def test_only_the_gateway_seed_configures_services(plan: Plan, seeds: dict[str, Artifact]) -> None:
    for machine in plan.machines:
        if machine.role != "gateway":
            data = yaml.safe_load(_text(seeds, machine.name, "user-data"))
            assert "write_files" not in data and "runcmd" not in data, machine.name


def test_no_secret_reaches_a_seed(seeds: dict[str, Artifact]) -> None:
    for artifact in seeds.values():
        for value in SECRETS.values():
            assert value.encode() not in artifact.content, artifact.dest


def test_missing_key_is_a_user_error_naming_the_field() -> None:
    plan = build_plan(_spec(ssh_public_key=None))
    with pytest.raises(RenderError, match="ssh_public_key.*kubeforge render"):
        cloudinit.render(plan, SECRETS, [])


def test_multiline_key_is_rejected() -> None:
    plan = build_plan(_spec(ssh_public_key=KEY + "\nssh-rsa AAAA other"))
    with pytest.raises(RenderError, match="ssh_public_key"):
        cloudinit.render(plan, SECRETS, [])


def test_instance_id_changes_only_where_the_seed_changed(
    plan: Plan, seeds: dict[str, Artifact]
) -> None:
    spec = _spec()
    workers = spec.hosts.worker.model_copy(update={"packages": ["htop"]})
    changed = build_plan(
        spec.model_copy(update={"hosts": spec.hosts.model_copy(update={"worker": workers})})
    )
    after = {a.dest: a for a in cloudinit.render(changed, SECRETS, [])}
    for machine in plan.machines:
        old = yaml.safe_load(_text(seeds, machine.name, "meta-data"))["instance-id"]
        new = yaml.safe_load(_text(after, machine.name, "meta-data"))["instance-id"]
        assert (old != new) == (machine.role == "worker"), machine.name
        assert new.startswith(f"{plan.name}-{machine.name}-")


def test_iso_holds_the_three_files_under_label_cidata(seeds: dict[str, Artifact]) -> None:
    image = pycdlib.PyCdlib()
    image.open_fp(io.BytesIO(seeds["seeds/kube-mast01/cidata.iso"].content))
    try:
        assert image.pvd.volume_identifier.decode().strip() == "cidata"
        assert image.has_joliet() and image.has_rock_ridge()
        for name in cloudinit.SEED_FILES:
            for kind in ("joliet_path", "rr_path"):
                out = io.BytesIO()
                image.get_file_from_iso_fp(out, **{kind: f"/{name}"})
                assert out.getvalue() == seeds[f"seeds/kube-mast01/{name}"].content, (kind, name)
    finally:
        image.close()


# --- the real programs ---------------------------------------------------------------------------


@pytest.mark.checkers
def test_cloud_init_accepts_every_user_data(seed_dir: Path) -> None:
    cloud_init = _tool("cloud-init")
    for path in sorted(seed_dir.glob("*/user-data")):
        result = subprocess.run(
            [cloud_init, "schema", "--config-file", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0 and "Valid cloud-config" in result.stdout, (
            result.stdout + result.stderr
        )


# cloud-init's own write_files decoding (its module code, under the system python).
_WRITE_FILES = """
import json, sys, yaml
from cloudinit.config import cc_write_files as wf
out = {}
for entry in yaml.safe_load(open(sys.argv[1]))["write_files"]:
    data = wf.extract_contents(entry["content"], wf.canonicalize_extraction(entry["encoding"]))
    out[entry["path"]] = data.hex()
print(json.dumps(out))
"""


@pytest.mark.checkers
def test_cloud_init_decodes_the_gateway_files_byte_for_byte(plan: Plan, seed_dir: Path) -> None:
    result = subprocess.run(
        [_tool(SYSTEM_PYTHON), "-c", _WRITE_FILES, str(seed_dir / plan.gateway.name / "user-data")],
        capture_output=True, text=True, check=True,
    )
    decoded = {path: bytes.fromhex(data) for path, data in json.loads(result.stdout).items()}
    assert decoded == {a.target: a.content for a in gateway.files(plan)}


# Runs under the system python, where Debian's cloud-init lives; prints what cloud-init understood.
_PARSE = """
import json, sys, yaml
from cloudinit.net import network_state
out = {}
for path in sys.argv[1:]:
    state = network_state.parse_net_config_data(yaml.safe_load(open(path)), skip_broken=False)
    out[path] = [{"name": i["name"], "mac": i["mac_address"], "subnets": i["subnets"],
                  "dns": i.get("dns", {})} for i in state.iter_interfaces()]
print(json.dumps(out))
"""


@pytest.mark.checkers
def test_cloud_init_parses_every_network_config_as_planned(plan: Plan, seed_dir: Path) -> None:
    paths = [str(seed_dir / m.name / "network-config") for m in plan.machines]
    result = subprocess.run(
        [_tool(SYSTEM_PYTHON), "-c", _PARSE, *paths], capture_output=True, text=True, check=True
    )
    parsed = json.loads(result.stdout)
    for machine, path in zip(plan.machines, paths, strict=True):
        assert _summary(parsed[path]) == _expected(plan, machine.name), machine.name


def _summary(interfaces: list[dict[str, Any]]) -> set[tuple[object, ...]]:
    rows: set[tuple[object, ...]] = set()
    for interface in interfaces:
        (subnet,) = interface["subnets"]
        address = (subnet.get("address"), subnet.get("prefix"))
        dns = (
            tuple(interface["dns"].get("nameservers", ())),
            tuple(interface["dns"].get("search", ())),
        )
        rows.add((interface["name"], interface["mac"], subnet["type"], address, dns))
    return rows


def _expected(plan: Plan, host: str) -> set[tuple[object, ...]]:
    machine = plan.machine(host)
    rows: set[tuple[object, ...]] = set()
    for nic in machine.nics:
        dns = ((str(plan.subnets[nic.subnet].gateway),), (plan.domain,)) if nic.subnet else ((), ())
        if machine.role == "gateway" and nic.subnet:
            rows.add((nic.name, nic.mac, "static", (str(nic.address), nic.prefix_len), dns))
        else:
            rows.add((nic.name, nic.mac, "dhcp4", (None, None), dns))
    return rows


@pytest.mark.checkers
def test_netplan_generates_networkd_units_for_the_gateway(
    plan: Plan, seed_dir: Path, tmp_path: Path
) -> None:
    """cloud-init passes a v2 config to netplan as is (under `network:`); netplan must accept it."""
    netplan = _tool("netplan")
    config = yaml.safe_load((seed_dir / plan.gateway.name / "network-config").read_text())
    target = tmp_path / "etc" / "netplan" / "50-cloud-init.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(yaml.safe_dump({"network": config}))
    target.chmod(0o600)
    subprocess.run(
        [netplan, "generate", "--root-dir", str(tmp_path)], check=True, capture_output=True
    )
    for nic in plan.gateway.nics:
        unit = (tmp_path / "run/systemd/network" / f"10-netplan-{nic.name}.network").read_text()
        assert f"PermanentMACAddress={nic.mac}" in unit and f"Name={nic.name}" in unit
        if nic.subnet:
            assert (
                f"Address={nic.address}/{nic.prefix_len}" in unit and "Domains=kube.local" in unit
            )
        else:
            assert "DHCP=ipv4" in unit


@pytest.mark.checkers
def test_isoinfo_reads_label_joliet_rock_ridge_and_files(
    seeds: dict[str, Artifact], seed_dir: Path
) -> None:
    isoinfo = _tool("isoinfo")
    image = str(seed_dir / "kube-gate01" / "cidata.iso")
    info = subprocess.run(
        [isoinfo, "-d", "-i", image], capture_output=True, text=True, check=True
    ).stdout
    assert "Volume id: cidata" in info and "Joliet" in info and "Rock Ridge" in info
    for flag in ("-J", "-R"):
        listing = subprocess.run(
            [isoinfo, "-f", flag, "-i", image], capture_output=True, text=True, check=True
        ).stdout.split()
        assert sorted(listing) == sorted(f"/{n}" for n in cloudinit.SEED_FILES)
    for name in cloudinit.SEED_FILES:
        data = subprocess.run(
            [isoinfo, "-J", "-x", f"/{name}", "-i", image], capture_output=True, check=True
        ).stdout
        assert data == seeds[f"seeds/kube-gate01/{name}"].content


# What the NoCloud datasource does with the mounted `cidata` volume (mounting needs a loop
# device, so the files are extracted with isoinfo instead): read the directory, merge the seed.
_NOCLOUD = """
import json, sys
from cloudinit import util
from cloudinit.sources import DataSourceNoCloud as nocloud
out = {}
for path in sys.argv[1:]:
    seeded = util.pathprefix2dict(path, required=["user-data", "meta-data"],
                                  optional=["vendor-data", "network-config"])
    data = nocloud._merge_new_seed({"meta-data": {}}, seeded)
    data["user-data"] = data["user-data"].decode()
    out[path] = data
print(json.dumps(out))
"""


def _extract(isoinfo: str, image: Path, into: Path) -> None:
    """Every file of the image, by its Rock Ridge name, as a mount would show it."""
    into.mkdir()
    listing = subprocess.run(
        [isoinfo, "-f", "-R", "-i", str(image)], capture_output=True, text=True, check=True
    )
    for path in listing.stdout.split():
        extracted = subprocess.run(
            [isoinfo, "-R", "-x", path, "-i", str(image)], capture_output=True, check=True
        )
        (into / path.lstrip("/")).write_bytes(extracted.stdout)


@pytest.mark.checkers
def test_nocloud_datasource_reads_the_iso_as_planned(
    plan: Plan, seeds: dict[str, Artifact], seed_dir: Path, tmp_path: Path
) -> None:
    isoinfo = _tool("isoinfo")
    mounts = {m.name: f"{tmp_path / m.name}/" for m in plan.machines}
    for host, mount in mounts.items():
        _extract(isoinfo, seed_dir / host / "cidata.iso", Path(mount))
    result = subprocess.run(
        [_tool(SYSTEM_PYTHON), "-c", _NOCLOUD, *mounts.values()],
        capture_output=True,
        text=True,
        check=True,
    )
    parsed = json.loads(result.stdout)
    for host, mount in mounts.items():
        data = parsed[mount]
        assert data["meta-data"]["local-hostname"] == host
        assert data["meta-data"]["instance-id"].startswith(f"{plan.name}-{host}-")
        assert data["user-data"] == _text(seeds, host, "user-data")
        assert data["network-config"] == yaml.safe_load(_text(seeds, host, "network-config"))
