"""The hostile property suite: 10,000 generated specs per run (see CASES), no marker, so CI runs it.

Each spec goes the way `kubeforge render` takes it (load, validate, plan, render) in-process;
tests/spec/test_hostile_cli.py sends a share through the real command. For every spec: no
exception but SpecError (no traceback), exit 0 or 2, no sentinel secret in any message or
non-secret file, and an accepted spec renders files of the default's structure: the same YAML
documents and kinds, the same lines and directives in every line-oriented config.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from kubeforge.errors import SpecError
from kubeforge.plan import findings
from kubeforge.plan.build import build_plan
from kubeforge.plan.validate import validate
from kubeforge.render import bundle, secrets
from kubeforge.spec import default, load
from tests.spec import hostile

# Examples per test; the sum is the suite's size, reported in the closing note.
CASES = {"one_field": 3000, "several_fields": 2000, "numbers": 1500, "deletions": 1000,
         "secrets": 1500, "yaml_text": 1000}
assert sum(CASES.values()) >= 10_000


def cases(name: str) -> settings:
    # Fixed examples, no database: the same 10,000 specs on every CI run, as fast as possible.
    return settings(max_examples=CASES[name], deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


def _render(spec: Any) -> tuple[list[Any], Any]:
    keyed = spec if spec.ssh_public_key else spec.model_copy(update={"ssh_public_key": hostile.KEY})
    plan = build_plan(keyed)
    return bundle.render_all(plan, secrets.generate(spec)), plan


def _variant(**dashboard: str) -> Any:
    spec = default.default_spec()
    addons = spec.addons.model_copy(update={"dashboard": spec.addons.dashboard.model_copy(update=dashboard)})
    return spec.model_copy(update={"addons": addons})


# The structure an accepted spec may render, per file. One switch is legitimate: a dashboard
# namespace other than kube-system adds its Namespace document (dashboard.yaml).
REFERENCES = [hostile.shapes(*_render(spec)) for spec in (default.default_spec(), _variant(namespace="x"))]
DEFAULT_SHAPES = REFERENCES[0]


def run(text: str | bytes) -> tuple[int, str, Any]:
    """`kubeforge render`'s path in-process: exit code, every message, (artifacts, plan) or None.
    Any exception other than SpecError fails the test with its traceback."""
    try:
        spec = load.parse_bytes(text.encode() if isinstance(text, str) else text, "hostile.yaml")
    except SpecError as exc:
        assert exc.problems and all(p.startswith("hostile.yaml") for p in exc.problems)
        assert all("\n" not in p for p in exc.problems), exc.problems  # one line each
        return 2, str(exc), None
    found = validate(spec)
    messages = "\n".join(str(f) for f in found)
    if findings.has_errors(found):
        return 2, messages, None
    return 0, messages, _render(spec)


def check(text: str | bytes, lines_too: bool = True) -> int:
    code, messages, rendered = run(text)
    event(f"exit {code}")  # --hypothesis-show-statistics: how many specs were accepted
    assert not hostile.leaked(messages), messages
    if rendered is None:
        return code
    artifacts, plan = rendered
    for artifact in artifacts:
        if not artifact.secret:
            assert not hostile.leaked(artifact.content.decode(errors="replace")), artifact.dest
    got = hostile.shapes(artifacts, plan)
    assert not lines_too or got.keys() == DEFAULT_SHAPES.keys(), got.keys() ^ DEFAULT_SHAPES.keys()
    for name in got.keys() & DEFAULT_SHAPES.keys():
        if lines_too or got[name][0] != "lines":
            assert any(got[name] == reference[name] for reference in REFERENCES), name
    return code


@st.composite
def one_field(draw: st.DrawFn) -> dict[str, Any]:
    return hostile.string_spec(draw, 1)


@st.composite
def several_fields(draw: st.DrawFn) -> dict[str, Any]:
    return hostile.string_spec(draw, 3)


@st.composite
def numbers(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(hostile.RAW)
    chosen = draw(st.lists(st.sampled_from(hostile.NUMBER_LEAVES), min_size=1, max_size=3))
    for path, _ in chosen:
        hostile.put(data, path, draw(hostile.NUMBERS))
    return data


@st.composite
def deletions(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(hostile.RAW)
    for path in draw(st.lists(st.sampled_from(RAW_SECTIONS), min_size=1, max_size=3)):
        hostile.delete(data, path)
    return data


RAW_SECTIONS = [p for p, _ in hostile.leaves(hostile.RAW) if p[-1] != hostile.NEW_KEY] + [
    p[:-1] for p, _ in hostile.leaves(hostile.RAW) if p[-1] == hostile.NEW_KEY and p[:-1]]


@st.composite
def with_secrets(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(hostile.RAW)
    for path in draw(st.lists(st.sampled_from(hostile.SECRET_PATHS), min_size=1, unique=True)):
        hostile.put(data, path, draw(hostile.SECRET_VALUES))
    if draw(st.integers(0, 3)) == 0:  # a private key pasted where a public one goes, or anywhere
        paths = [("ssh_public_key",)] * 4 + [p for p, _ in hostile.STRING_LEAVES]
        key = draw(st.sampled_from(hostile.PRIVATE_KEYS))
        hostile.put(data, draw(st.sampled_from(paths)), draw(st.sampled_from([key, [key], [hostile.KEY, key]])))
    return data


DEFAULT_BYTES = default.default_text().encode()
RAW_FRAGMENTS = [b"\xff", b"\xc3", b"\x00", b"\t", b"\n  ", b": ", b"- ", b"&a ", b"*a", b"*b ",
                 b"<<: *a\n", b"!!binary ", b"!!python/object:os.system ", b"{", b"}", b"[", b"]",
                 b"\"", b"'", b"%YAML 1.1\n", b"---\n", b"...\n", b"? ", b"|\n", b">-\n", b"\r",
                 b"name: dup\n", b"9" * 5000, b"[" * 100, b"\xef\xbb\xbf", b"\xed\xa0\x80"]


@st.composite
def yaml_text(draw: st.DrawFn) -> bytes:
    """The default file with bytes spliced in: encodings, anchors, tags, duplicates, depth."""
    data = DEFAULT_BYTES
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 8))
        piece = draw(st.sampled_from(RAW_FRAGMENTS) | st.binary(max_size=6))
        data = data[:where] + piece + data[where + cut:]
    return data


def dump(data: dict[str, Any]) -> str:
    return hostile.to_yaml(data)


@cases("one_field")
@given(one_field())
def test_hostile_string_in_one_field(data: dict[str, Any]) -> None:
    check(dump(data))


@cases("several_fields")
@given(several_fields())
def test_hostile_strings_in_several_fields(data: dict[str, Any]) -> None:
    check(dump(data))


@cases("numbers")
@given(numbers())
def test_numeric_extremes(data: dict[str, Any]) -> None:
    check(dump(data), lines_too=False)  # counts legitimately add lines (a server per master)


@cases("deletions")
@given(deletions())
def test_deleted_sections_and_keys(data: dict[str, Any]) -> None:
    check(dump(data), lines_too=False)


@cases("secrets")
@given(with_secrets())
def test_sentinel_secrets_and_private_keys_never_leak(data: dict[str, Any]) -> None:
    check(dump(data))


@cases("yaml_text")
@given(yaml_text())
def test_hostile_yaml_bytes(data: bytes) -> None:
    check(data, lines_too=False)


def test_the_suite_reaches_every_string_field() -> None:
    """The walk finds the fields the issue names, so 'every string field' is not an empty claim."""
    paths = {p for p, _ in hostile.STRING_LEAVES}
    for path in [("addons", "dashboard", "namespace"), ("storage", "storage_class", "name"),
                 ("ssh_public_key",), ("loadbalancer", "stats_password"), ("admin_user",),
                 ("network", "upstream_dns", 0), ("hosts", "worker", "packages", 0), ("domain",)]:
        assert path in paths, path
    assert yaml.safe_load(dump(hostile.RAW)) == hostile.RAW
