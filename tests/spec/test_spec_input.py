"""Each class of hostile input found against the default spec (issue 8), refused now: exit 2 from
the real command, the field named with its fix, the bad value (or secret) not echoed."""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from kubeforge.errors import SpecError
from kubeforge.plan.build import build_plan
from kubeforge.render import cloudinit
from kubeforge.spec import default, keys, load, model
from tests.cli.inproc import run

RAW: dict[str, Any] = yaml.safe_load(default.default_text())
ED25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPDFqQTKs1Ph57EQHlF88lcg5rln485FDqA8omkdref0 a@b"
PRIVATE_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"
INJECTION = "x\n---\nkind: ClusterRoleBinding\nsubjects: [{kind: Group, name: system:unauthenticated}]"


def with_(path: str, value: Any) -> str:
    data = copy.deepcopy(RAW)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return yaml.safe_dump(data)


FOLDED_PRIVATE = default.default_text().replace(
    "admin_user: debian ", "ssh_public_key: >\n  -----BEGIN OPENSSH PRIVATE KEY-----\n"
    f"  {PRIVATE_BODY}\n  -----END OPENSSH PRIVATE KEY-----\nadmin_user: debian ")
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]\n" for p, n in zip("abcde", "bcdef", strict=True))

# (case, file text, words the error must hold, text it must not hold)
CASES: list[tuple[str, str | bytes, list[str], str | None]] = [
    ("dashboard-namespace-injection", with_("addons.dashboard.namespace", INJECTION),
     ["addons.dashboard.namespace: longer than 63 characters; shorten it"], "ClusterRoleBinding"),
    ("dashboard-namespace-short-injection", with_("addons.dashboard.namespace", "x\n---\nkind: A"),
     ["addons.dashboard.namespace: must be a DNS-1123 label"], None),
    ("storageclass-name-newline", with_("storage.storage_class.name", "gluster\nprovisioner: evil"),
     ["storage.storage_class.name: must be a DNS-1123 subdomain"], None),
    ("private-key-folded", FOLDED_PRIVATE, ["ssh_public_key: holds what looks like a private key"],
     PRIVATE_BODY),
    ("private-key-one-line", with_("ssh_public_key", f"-----BEGIN OPENSSH PRIVATE KEY-----\\n{PRIVATE_BODY}"),
     ["ssh_public_key: holds what looks like a private key"], PRIVATE_BODY),
    ("numeric-secret", with_("loadbalancer.stats_password", 98765432109876),
     ["loadbalancer.stats_password: Input should be a valid string"], "98765432109876"),
    ("secret-with-newline", with_("loadbalancer.stats_password", "Sntl1234567890\nx"),
     ["loadbalancer.stats_password: must be at most 128 characters A-Z"], "Sntl1234567890"),
    ("heketi-admin-key", with_("storage.admin_key", "Sntl1234567890x"),
     ["storage.admin_key: a Heketi-era field that nothing uses (ERRATA 5", "remove the key"],
     "Sntl1234567890x"),
    ("heketi-rest-url", with_("storage.rest_url", "http://10.244.3.7:8080"),
     ["storage.rest_url: a Heketi-era field that nothing uses (ERRATA 7"], None),
    ("root-admin", with_("admin_user", "root"), ["admin_user: root is a system account"], None),
    ("duplicate-key", default.default_text() + "name: other\n",
     ["duplicate key 'name' (first at line 4)"], None),
    ("alias-bomb", ALIAS_BOMB, ["alias bomb"], None),
    ("deep-nesting", "a: " + "[" * 100 + "]" * 100, ["nested deeper than 16"], None),
    ("non-utf8", b"name: kube\xff\n", [":1: not UTF-8"], None),
    ("not-a-mapping", "- name\n", ["the spec must be a mapping"], None),
    ("huge-integer", with_("network.api_port", 10**40), ["network.api_port: Input should be less"], None),
    ("absurd-cpus", with_("hosts.worker.cpus", 100_000), ["hosts.worker.cpus: Input should be less than or equal to 512"], None),
    ("absurd-memory", with_("hosts.worker.memory_mb", 10**9), ["hosts.worker.memory_mb"], None),
    ("api-port-ssh", with_("network.api_port", 22), ["network.api_port: 22 is taken by SSH"], None),
    ("stats-port-is-api-port", with_("loadbalancer.stats_port", 6443),
     ["loadbalancer.stats_port: 6443 is also network.api_port"], None),
    ("upstream-dns-own-gateway", with_("network.upstream_dns", ["192.168.1.254"]),
     ["network.upstream_dns.0: 192.168.1.254 is the cluster's own gateway"], None),
    ("upstream-dns-loopback", with_("network.upstream_dns", ["127.0.0.53"]),
     ["network.upstream_dns.0: 127.0.0.53 is the gateway itself"], None),
    ("domain-in-cluster-local", with_("domain", "cluster.local"), ["domain: cluster.local lies in"], None),
    ("domain-label-too-long", with_("domain", "a" * 64 + ".local"), ["domain: must be a DNS domain"], None),
    ("lease-unicode-digits", with_("network.dhcp_lease", "١٢h"), ["network.dhcp_lease: must be a dnsmasq lease"], None),
    ("package-injection", with_("hosts.worker.packages", ["vim\n  - evil"]),
     ["hosts.worker.packages.0: must be a Debian package name"], None),
    ("label-key-injection", with_("addons.coredns.node_selector", {"a\nb": ""}),
     ["addons.coredns.node_selector.<key of 3 characters>"], None),
    ("ssh-key-type-mismatch", with_("ssh_public_key", ED25519.replace("ssh-ed25519", "ssh-rsa", 1)),
     ["ssh_public_key: the key's data does not start with its type ssh-rsa"], "AAAAC3Nza"),
    ("ssh-key-bad-base64", with_("ssh_public_key", "ssh-ed25519 AAAA!!!! me"),
     ["ssh_public_key: the key's second word is not valid base64"], None),
    ("ssh-keys-in-one-string", with_("ssh_public_key", f"{ED25519}\n{ED25519}"),
     ["ssh_public_key: one key per line: give several keys as a YAML list"], "AAAAC3Nza"),
    ("ssh-key-unknown-type", with_("ssh_public_key", "ssh-dss AAAAB3NzaC1kc3M= me"),
     ["ssh_public_key: not an OpenSSH public key of a known type"], None),
]


@pytest.mark.parametrize("name, text, words, hidden", CASES, ids=[c[0] for c in CASES])
def test_refused_with_exit_2_naming_the_field_and_fix(
        name: str, text: str | bytes, words: list[str], hidden: str | None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cluster.yaml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode())
    code, out, err = run(["render", "-f", str(spec), "--out", str(tmp_path / "out"),
                          "--state", str(tmp_path / "state")], monkeypatch, capsys)
    shown = " ".join((out + err).split())  # rich wraps long lines
    assert code == 2 and "Traceback" not in shown, shown
    for word in words:
        assert word in shown, shown
    assert hidden is None or hidden not in out + err, shown
    assert not (tmp_path / "out").exists()


def test_several_keys_as_a_list_reach_authorized_keys() -> None:
    second = ED25519.replace("a@b", "c@d")
    spec = load.parse(with_("ssh_public_key", [ED25519, second]), "t.yaml")
    user_data = cloudinit.user_data_text(build_plan(spec), build_plan(spec).machines[0],
                                         cloudinit.operator_key(build_plan(spec)))
    assert yaml.safe_load(user_data)["users"][0]["ssh_authorized_keys"] == [ED25519, second]


def test_real_keys_of_every_kind_parse() -> None:
    import asyncssh

    for kind in ("ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp521"):
        options = {"key_size": 1024} if kind == "ssh-rsa" else {}
        line = asyncssh.generate_private_key(kind, **options).export_public_key().decode().strip()
        assert keys.check_public_key(line + " me@host") == line + " me@host"
    blob = base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x10" + b"k" * 16).decode()
    with pytest.raises(keys.KeyProblem, match="32 bytes"):
        keys.check_public_key(f"ssh-ed25519 {blob}")


def test_secrets_are_hidden_in_repr_dump_and_errors() -> None:
    spec = load.parse(with_("loadbalancer.stats_password", "Sntl-very-secret-1"), "t.yaml")
    assert "Sntl" not in repr(spec) + str(spec.model_dump()) + spec.model_dump_json()
    assert spec.loadbalancer.stats_password is not None
    assert spec.loadbalancer.stats_password.get_secret_value() == "Sntl-very-secret-1"
    with pytest.raises(SpecError) as info:
        load.parse(with_("loadbalancer.stats_password", "Sntl-very-secret-1 but spaced"), "t.yaml")
    assert "Sntl" not in str(info.value)


def test_secret_fields_list_every_secret_typed_field() -> None:
    """model.SECRET_FIELDS decides what describe() never echoes: it must name every Secret."""
    def secret_fields(obj: model.Strict) -> set[str]:
        found = set()
        for name, field in type(obj).model_fields.items():
            if "Secret[" in repr(field.annotation):
                found.add(name)
            value = getattr(obj, name)
            for item in value.values() if isinstance(value, dict) else [value]:
                if isinstance(item, model.Strict):
                    found |= secret_fields(item)
        return found

    assert secret_fields(default.default_spec()) | {"ssh_public_key"} == model.SECRET_FIELDS


def test_every_string_in_the_schema_has_a_grammar() -> None:
    """No free-form string: each is a pattern, an enum or an address; ssh_public_key is parsed."""
    schema = model.ClusterSpec.model_json_schema()
    loose = [path for path, node in _strings(schema) if not {"pattern", "enum", "const", "format"} & set(node)]
    assert loose and all(".ssh_public_key." in path for path in loose), loose


def _strings(node: Any, path: str = "") -> Any:
    if isinstance(node, dict):
        if node.get("type") == "string":
            yield path, node
        for key, value in node.items():
            yield from _strings(value, f"{path}.{key}")
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, path)
