"""Generated specs (>= 2,000 per run): validate never crashes, and a spec it accepts plans cleanly."""

from __future__ import annotations

import copy
import re
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeforge.errors import SpecError
from kubeforge.plan import findings
from kubeforge.plan.build import build_plan
from kubeforge.plan.validate import validate
from kubeforge.render import bundle, secrets
from kubeforge.spec import default, load

DEFAULT = yaml.safe_load(default.default_text())
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPDFqQTKs1Ph57EQHlF88lcg5rln485FDqA8omkdref0 fuzz"
SECRETS = secrets.generate(default.default_spec())

octet = st.integers(0, 255)
address = st.builds(lambda a, b, c: f"192.168.{a}.{b}" if c else f"10.{a}.{b}.1", octet, octet, st.booleans())
network = st.builds(lambda a, p: str(IPv4Network(f"192.168.{a}.0/{p}", strict=False)), octet,
                    st.integers(16, 30)) | st.sampled_from(["10.244.0.0/16", "10.96.0.0/12", "192.168.1.1/24"])
pool = st.builds(lambda s, e: {"start": s, "end": e}, address, address)
junk = st.none() | st.integers(-5, 10**6) | st.text(max_size=8) | st.lists(st.integers(), max_size=2)
count = st.integers(0, 300) | junk

# (path in the spec, values to put there): each example mutates a random subset.
MUTATIONS: list[tuple[tuple[str, ...], st.SearchStrategy[Any]]] = [
    (("network", "supernet"), network),
    (("network", "pod_cidr"), network),
    (("network", "service_cidr"), network),
    (("network", "api_vip"), address | junk),
    (("network", "metallb_pool"), pool | junk),
    *[(("network", "subnets", s, "cidr"), network) for s in ("mast", "node", "glus", "dmz")],
    *[(("network", "subnets", s, "gateway"), address) for s in ("mast", "node", "glus", "dmz")],
    *[(("network", "subnets", s, "dhcp_pool"), pool) for s in ("mast", "node", "glus", "dmz")],
    *[(("hosts", r, "count"), count) for r in ("gateway", "loadbalancer", "control_plane", "worker", "gluster")],
    *[(("hosts", r, "name_prefix"), st.sampled_from(["kube-x", "Bad_", "kube-mast", "a" * 70, "n"]))
      for r in ("worker", "gluster")],
    (("hosts", "control_plane", "cpus"), st.integers(0, 8)),
    (("hosts", "control_plane", "memory_mb"), st.integers(0, 8192)),
    (("storage", "replica"), st.integers(0, 6)),
    (("kubernetes_version"), st.sampled_from(["1.13", "1.30", "1.31", "1.37", "1.40", "2.0", "latest"])),
    (("debian_release",), st.sampled_from(["stretch", "bookworm", "trixie", "sid"])),
    (("loadbalancer", "corosync", "transport"), st.sampled_from(["knet", "udp", "udpu", "tcp"])),
    (("loadbalancer", "backup_servers"), st.lists(st.sampled_from(["kube-mast03", "x"]), max_size=2)),
    (("addons", "dashboard", "access"), st.sampled_from(["view", "admin", "root"])),
    (("network", "subnets"), st.dictionaries(st.sampled_from(["mast", "node", "x"]), st.just({}), max_size=1)),
]


def _set(data: dict[str, Any], path: tuple[str, ...] | str, value: Any) -> None:
    keys = (path,) if isinstance(path, str) else path
    for key in keys[:-1]:
        data = data.setdefault(key, {}) if isinstance(data.get(key), dict) else {}
    data[keys[-1]] = value


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(DEFAULT)
    chosen = draw(st.lists(st.sampled_from(range(len(MUTATIONS))), max_size=6, unique=True))
    for index in chosen:
        path, values = MUTATIONS[index]
        _set(data, path, draw(values))
    return data


@settings(max_examples=2000, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(specs())
def test_validate_never_crashes_and_accepted_specs_plan(data: dict[str, Any]) -> None:
    try:
        spec = load.parse(yaml.safe_dump(data), source="generated.yaml")
    except SpecError as exc:
        assert exc.problems and all(re.match(r"generated\.yaml:\d+: ", p) for p in exc.problems)
        return
    found = validate(spec)
    assert all(f.field and f.message for f in found)
    if findings.has_errors(found):
        return
    plan = build_plan(spec.model_copy(update={"ssh_public_key": KEY}))
    rendered = bundle.render_all(plan, SECRETS)  # a spec validate accepts always renders
    assert {a.host for a in rendered if a.host} == {m.name for m in plan.machines}
    addresses = [n.address for m in plan.machines for n in m.nics if n.address]
    assert len(addresses) == len(set(addresses))
    for m in plan.machines:
        if m.role != "gateway":
            subnet = spec.network.subnets[m.subnet]  # type: ignore[index]
            assert m.address in subnet.cidr and not subnet.dhcp_pool.contains(m.address)
            assert m.address != spec.network.api_vip
            assert isinstance(m.address, IPv4Address)
