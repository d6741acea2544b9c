"""Hostile specs for the property suite: the default spec with hostile values put into its
leaves (found by walking the default generically, so a new field is covered without an edit),
and the structure of what a spec renders, to compare with the default's.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from collections.abc import Iterator
from typing import Any

import yaml
from hypothesis import strategies as st

from kubeforge.plan.model import Plan
from kubeforge.render.artifact import Artifact
from kubeforge.spec import default

Path_ = tuple[str | int, ...]
NEW_KEY = "<new key>"  # a slot: add an entry with a hostile key to this mapping
RAW: dict[str, Any] = yaml.safe_load(default.default_text())
# Every field with its default, so fields the default file leaves out are attacked too.
FULL: dict[str, Any] = default.default_spec().model_dump(mode="json")
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPDFqQTKs1Ph57EQHlF88lcg5rln485FDqA8omkdref0 op@hostile"
# Secrets with values no output may hold; the first passes the spec's grammar, so it renders.
SENTINEL = "Sntl7QxZ4vKp9Ww2"
SECRET_PATHS: list[Path_] = [("loadbalancer", "stats_password")]
PRIVATE_MARK = "PRVmark8Jq3Lz"
PRIVATE_KEYS = [
    f"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA{PRIVATE_MARK}AAAA\n-----END OPENSSH PRIVATE KEY-----\n",
    f"-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA{PRIVATE_MARK} -----END OPENSSH PRIVATE KEY-----",
    f"-----BEGIN RSA PRIVATE KEY-----\\nMIIEow{PRIVATE_MARK}IBAAKCAQEA\\n-----END RSA PRIVATE KEY-----",
    f"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ{PRIVATE_MARK}",
    f"PuTTY-User-Key-File-3: ssh-ed25519\nPrivate-Lines: 1\n{PRIVATE_MARK}",
]
# Half of them valid (so the sentinel reaches rendered files), half refused in some way.
SECRET_VALUES = st.sampled_from([
    SENTINEL + "ok", SENTINEL + "-1", SENTINEL + "=2", SENTINEL + "@3", SENTINEL + "#bad value\n",
    SENTINEL + "'", f"{SENTINEL}\x00", SENTINEL * 400, 918273645546372819, [SENTINEL], {"v": SENTINEL},
])
SENTINELS = (SENTINEL, "918273645546372819", PRIVATE_MARK)

FRAGMENTS = [
    "\n", "\r\n", "\n---\nkind: ClusterRoleBinding\nsubjects: [{kind: Group, name: system:unauthenticated}]\n",
    "\n---\n", "---", "...", "'", '"', "`", "\\", "\x00", "\x07", "\x1b[31m", "\t", " ", "#", ";",
    "# c", "key: value", "{{ 7*7 }}", "${HOME}", "%s%n", "$(id)", "é", "\u202e", "\u200b", "😀",
    "１", "١", "İ", "ǅ", "\ufeff", "\ud7ff", "a" * 10_240, "../../etc/passwd", "/", "*", "&a", "*a",
    "!!python/object:os.system", "null", "~", "true", "0x10", "1e3", "-", ".", "..", ":", ",",
    "@", "=", "[", "]", "{", "}", "|", ">", "<", "%", "server=8.8.8.8", "\nserver=8.8.8.8",
    "",
]
# Suffixes that often keep a value in its grammar: accepted specs must vary too, or the
# structure property would only ever see the default's strings.
BENIGN = ["a", "0", "9", "x", "-x1", ".x", "x9"]


def leaves(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """(path, value) of every scalar, every list slot and a new-key slot per mapping."""
    if isinstance(data, dict):
        yield (*path, NEW_KEY), None
        for key, value in data.items():
            yield from leaves(value, (*path, key))
    elif isinstance(data, list):
        if not data:
            yield (*path, 0), None
        for index, item in enumerate(data):
            yield from leaves(item, (*path, index))
    else:
        yield path, data


LEAVES = list(leaves(FULL))
STRING_LEAVES = [(p, v) for p, v in LEAVES if v is None or isinstance(v, str)]
NUMBER_LEAVES = [(p, v) for p, v in LEAVES if isinstance(v, int) and not isinstance(v, bool)]
SECTIONS = [p for p, _ in LEAVES if p and p[-1] != NEW_KEY] + [
    p[:-1] for p, _ in LEAVES if p and p[-1] == NEW_KEY and p[:-1]]


def put(data: Any, path: Path_, value: Any) -> None:
    """Set path to value, creating mappings/lists on the way; a NEW_KEY slot adds `value` as key."""
    for key, after in itertools.pairwise(path):
        data = _child(data, key, list if isinstance(after, int) else dict)
    last = path[-1]
    if last == NEW_KEY:
        if isinstance(data, dict):
            data[value if isinstance(value, str) else str(value)] = "x"
    elif isinstance(data, list) and isinstance(last, int):
        data[last:last + 1] = [value]
    elif isinstance(data, dict):
        data[last] = value


def _child(data: Any, key: str | int, kind: type) -> Any:
    if isinstance(data, dict):
        if not isinstance(data.get(key), (dict, list)):
            data[key] = kind()
        return data[key]
    if isinstance(data, list) and isinstance(key, int):
        data[len(data):] = [kind() for _ in range(key + 1 - len(data))]
        return data[key]
    return kind()


def delete(data: Any, path: Path_) -> None:
    for key in path[:-1]:
        data = data.get(key) if isinstance(data, dict) else None
    if isinstance(data, dict):
        data.pop(path[-1], None)


@st.composite
def hostile_string(draw: st.DrawFn, base: Any) -> str:
    """A hostile string, often around the field's own default (prefix, suffix or inside it);
    4 in 10 are the default with a benign suffix instead."""
    text = base if isinstance(base, str) else "x"
    if draw(st.integers(0, 9)) < 4:
        return text + draw(st.sampled_from(BENIGN))
    parts = draw(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), min_size=1, max_size=3))
    attack = "".join(parts)
    where = draw(st.integers(0, len(text)))
    return draw(st.sampled_from([text + attack, attack + text, text[:where] + attack + text[where:], attack]))


NUMBERS = st.sampled_from([0, -1, 1, 2, 3, 7, 22, 53, 6443, 32700, 65535, 65536, 2**31, 2**63,
                           10**30, -(10**30), 10**4000]) | st.integers(-(2**40), 2**40) | \
    st.sampled_from([1.5, float("nan"), float("inf"), "12", "0x10", True, None, [], {}])


def string_spec(draw: st.DrawFn, count: int) -> dict[str, Any]:
    data = copy.deepcopy(RAW)
    for index in draw(st.lists(st.integers(0, len(STRING_LEAVES) - 1), min_size=1, max_size=count, unique=True)):
        path, base = STRING_LEAVES[index]
        put(data, path, draw(hostile_string(base)))
    return data


def to_yaml(data: dict[str, Any]) -> str:
    """The spec file a user could write: YAML quoting keeps every string intact."""
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True,
                     width=10**6)


# --- the structure of a render: per file, what must not depend on the spec's strings ----------

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SHAPES: dict[bytes, Any] = {}


def shapes(artifacts: list[Artifact], plan: Plan) -> dict[str, Any]:
    """{file, with host names replaced by roles: its shape}, for the first machine of each role
    and every cluster file (the others repeat the first's shape)."""
    machines = {m.name: m for m in plan.machines}
    result = {}
    for artifact in artifacts:
        parts = [_part(part, machines) for part in artifact.dest.split("/")]
        if None not in parts and not artifact.dest.endswith(".iso"):
            result["/".join(p for p in parts if p)] = shape(artifact)
    return result


def _part(part: str, machines: dict[str, Any]) -> str | None:
    """A path component with its machine name replaced by <role>; None for a machine not first
    of its role. Names appear whole (kube-mast01/) or after a kind (join-kube-mast02.yaml)."""
    kind, _, rest = part.partition("-")
    for prefix, name in (("", part), (f"{kind}-", rest.removesuffix(".yaml"))):
        if name in machines:
            machine = machines[name]
            suffix = part[len(prefix) + len(name):]
            return f"{prefix}<{machine.role}>{suffix}" if machine.index == 1 else None
    return part


def shape(artifact: Artifact) -> Any:
    digest = hashlib.sha256(artifact.content).digest()
    if digest not in _SHAPES:
        _SHAPES[digest] = _shape(artifact.dest, artifact.content)
    return _SHAPES[digest]


def _shape(dest: str, content: bytes) -> Any:
    try:
        text = content.decode()
    except UnicodeDecodeError:
        return ("bytes", len(content))  # the Corosync authkey
    if "-----BEGIN" in text:  # certificates: their size follows the names they carry
        return ("pem", [line for line in text.splitlines() if line.startswith("-----")])
    if dest.endswith(".json"):
        return ("json", sorted(json.loads(text)))
    if dest.endswith((".yaml", "/user-data", "/meta-data", "/network-config")):
        docs = list(yaml.load_all(text, Loader=_LOADER))
        return ("yaml", [doc.get("kind") or sorted(doc) if isinstance(doc, dict) else type(doc).__name__
                         for doc in docs])
    # Line-oriented configs (dnsmasq, haproxy, corosync, keepalived, nftables, ganesha, apt
    # sources, sysctl...): one directive per line, in the same order. A value that added a line or
    # a directive (a newline, a `#`, a `;`, a quote) changes this.
    return ("lines", [re.split(r"[\s=:{]", line.strip(), maxsplit=1)[0] for line in text.splitlines()])


def leaked(text: str) -> list[str]:
    return [s for s in SENTINELS if s in text]
