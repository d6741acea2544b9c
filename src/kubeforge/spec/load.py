"""Read cluster.yaml into a ClusterSpec; every shape problem reported at once, with its fix.

Reading is bounded before anything is built: at most MAX_BYTES of UTF-8, MAX_DEPTH levels of
nesting, MAX_SCALAR characters per value and MAX_NODES values once aliases are expanded (an alias bomb is refused before it
expands). Duplicate keys are refused, not silently resolved. Each problem is one line
`FILE:LINE: field: what is wrong; the fix`, and never quotes a secret, a key or a long value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pydantic
import yaml

from kubeforge.errors import SpecError
from kubeforge.spec import errata, keys, model, types

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 16  # the default spec nests 5 deep
MAX_NODES = 10_000  # values after alias expansion; the default spec has ~150
MAX_SCALAR = 16 * 1024  # characters of one value; the longest field (a URL) takes 2048
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
Path_ = tuple[str | int, ...]


class _Refused(yaml.YAMLError):
    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


class _SpecLoader(_Loader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys and reports unreadable values with their line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = self.construct_object(key_node), key_node.start_mark.line + 1
            if key in seen:
                raise _Refused(line, f"duplicate key {_shown(key)} (first at line {seen[key]}); "
                               "keep one of them")
            seen[key] = line
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:  # e.g. a 5000-digit integer, a 30th of February
            raise _Refused(node.start_mark.line + 1, f"unreadable value ({type(exc).__name__}); "
                           "write a plain number, string or list") from None


def load(path: Path) -> model.ClusterSpec:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SpecError([f"{path}: cannot read the spec ({exc.strerror}); check the path given to -f"])
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, source: str) -> model.ClusterSpec:
    _check_size(len(data), source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise SpecError([f"{source}:{line}: not UTF-8 (byte {exc.start}); save the file as UTF-8"])
    return parse(text, source)


def parse(text: str, source: str) -> model.ClusterSpec:
    _check_size(len(text.encode("utf-8", "surrogatepass")), source)
    data, lines = _read_yaml(text, source)
    problems = [f"{source}:{_line(lines, tuple(p.split(':', 1)[0].split('.')))}: {p}"
                for p in errata.scan_raw(data)]
    problems += [f"{source}:{_line(lines, loc)}: {_private_key_problem(loc)}" for loc in _private_keys(data)]
    if problems:
        raise SpecError(problems)
    try:
        return model.ClusterSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise SpecError([f"{source}:{_line(lines, err['loc'])}: {describe(err)}"
                         for err in exc.errors()]) from None


def _check_size(size: int, source: str) -> None:
    if size > MAX_BYTES:
        raise SpecError([(f"{source}: larger than {MAX_BYTES // 1024} KiB; a cluster spec is a "
                          "few KiB: is this the right file?")])


def _read_yaml(text: str, source: str) -> tuple[dict[Any, Any], dict[Path_, int]]:
    """The top mapping and the line of every value in it; SpecError with the line otherwise."""
    try:
        _check_expansion(text)
        loader = _SpecLoader(text)
        try:
            node = loader.get_single_node()
            top = _top(node, source)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise SpecError([f"{source}:{_error_line(exc)}: {_yaml_problem(exc)}"]) from None
    return data, dict(_lines(top, ()))


def _top(node: yaml.Node | None, source: str) -> yaml.MappingNode:
    if not isinstance(node, yaml.MappingNode):
        line = node.start_mark.line + 1 if node is not None else 1
        raise SpecError([(f"{source}:{line}: the spec must be a mapping (name:, network:, "
                          "hosts:...); `kubeforge init` writes an example")])
    return node


def _check_expansion(text: str) -> None:
    """Depth, value sizes and alias-expanded size, from the event stream: nothing is built yet."""
    budget = _Budget()
    for event in yaml.parse(text, Loader=_Loader):
        budget.feed(event, event.start_mark.line + 1 if event.start_mark else 1)


class _Budget:
    """Counts the values a YAML stream stands for once its aliases are expanded."""

    def __init__(self) -> None:
        self.count = 0
        self.sizes: dict[str, int] = {}  # finished anchors -> values they stand for
        self.open: list[tuple[str | None, int]] = []  # collections being read: anchor, start

    def feed(self, event: yaml.Event, line: int) -> None:
        if isinstance(event, yaml.AliasEvent):
            self._alias(event.anchor, line)
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line)
        elif isinstance(event, yaml.CollectionStartEvent):
            self._start(event.anchor, line)
        elif isinstance(event, yaml.CollectionEndEvent):
            self._end()
        if self.count > MAX_NODES:
            raise _Refused(line, f"more than {MAX_NODES} values once aliases are expanded (an "
                           "alias bomb?); write the values out")

    def _alias(self, anchor: str | None, line: int) -> None:
        if anchor is None or anchor not in self.sizes:
            raise _Refused(line, "an alias refers to a node that contains it, or to no earlier "
                           "anchor; write the value out")
        self.count += self.sizes[anchor]

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        if len(event.value) > MAX_SCALAR:
            raise _Refused(line, f"a value of {len(event.value)} characters; no field takes more "
                           f"than {MAX_SCALAR}")
        self.count += 1
        if event.anchor:
            self.sizes[event.anchor] = 1

    def _start(self, anchor: str | None, line: int) -> None:
        self.count += 1
        self.open.append((anchor, self.count - 1))
        if len(self.open) > MAX_DEPTH:
            raise _Refused(line, f"nested deeper than {MAX_DEPTH} levels; a spec nests 5")

    def _end(self) -> None:
        anchor, start = self.open.pop()
        if anchor:
            self.sizes[anchor] = self.count - start


def _lines(node: yaml.Node, path: Path_) -> Any:
    """(path, line) of every node, for error messages; bounded by _check_expansion."""
    yield path, node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                yield from _lines(value, (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _lines(item, (*path, index))


def _line(lines: dict[Path_, int], loc: tuple[str | int, ...]) -> int:
    """The line of the deepest part of `loc` the file has (a missing key: its parent's line)."""
    for end in range(len(loc), -1, -1):
        if tuple(loc[:end]) in lines:
            return lines[tuple(loc[:end])]
    return 1


def _error_line(exc: yaml.YAMLError) -> int:
    if isinstance(exc, _Refused):
        return exc.line
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 1 if mark is not None else 1


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, _Refused):
        return exc.problem
    words = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    problem = " ".join(str(w) for w in words if w) or type(exc).__name__
    # PyYAML's words (a character at most), never its snippet of the file: one line, bounded.
    return f"not valid YAML: {_one_line(problem)[:160]}; check the quoting and indentation"


def _private_keys(data: Any, path: Path_ = ()) -> list[Path_]:
    """Where a private key is pasted, anywhere (not only ssh_public_key): refused, never quoted."""
    if isinstance(data, str):
        return [path] if keys.looks_private(data) else []
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _private_keys(str(k), (*path, str(k)))
                + _private_keys(v, (*path, str(k)))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _private_keys(v, (*path, i))]
    return []


def _private_key_problem(loc: Path_) -> str:
    field = ".".join(_part(p) for p in loc) or "(top level)"
    return (f"{field}: holds what looks like a private key: remove it, kubeforge never needs one "
            "(ssh_public_key takes the .pub line)")


_SAFE_PART = re.compile(r"[A-Za-z0-9_./-]{1,40}")
_SHOWN = re.compile(r"[\x20-\x7e]{0,40}")


def _part(value: object) -> str:
    """A key of the user's file as it may appear in a message: short and printable, or elided."""
    text = str(value)
    shown = _SAFE_PART.fullmatch(text) and not keys.looks_private(text)
    return text if shown else f"<key of {len(text)} characters>"


def _shown(value: object) -> str:
    """A user's value in a message: only short printable scalars, never secrets (callers decide)."""
    text = repr(value)
    ok = isinstance(value, (str, int, float, bool)) and _SHOWN.fullmatch(text)
    return text if ok else f"<{type(value).__name__} not shown>"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def describe(err: Any) -> str:
    loc = err["loc"]
    field = ".".join(_part(p) for p in loc) or "(top level)"
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"{field}: unknown key; remove it or fix its spelling (`kubeforge schema` lists keys)"
    if kind == "missing":
        return f"{field}: required; add it (see `kubeforge init` for an example)"
    if kind == "ip_v4_network":
        return (f"{field}: not an IPv4 network{_echo(err)}; write its network address with the "
                "prefix, host bits zero (e.g. 192.168.2.0/24)")
    if kind == "string_too_long":
        return f"{field}: longer than {err['ctx']['max_length']} characters; shorten it"
    if kind == "string_type":
        return f"{field}: Input should be a valid string; write it in quotes{_echo(err)}"
    if kind == "string_pattern_mismatch":
        grammar = types.GRAMMARS.get(str(err.get("ctx", {}).get("pattern")), "a plain value")
        return f"{field}: must be {grammar}{_echo(err)}"
    return f"{field}: {_one_line(err['msg'])}{_echo(err)}"


def _echo(err: Any) -> str:
    """` (got X)` for a short printable value of a field that holds no secret; else nothing."""
    names = {str(p) for p in err["loc"]}
    if names & model.SECRET_FIELDS:
        return ""
    shown = _shown(err.get("input"))
    return "" if shown.startswith("<") else f" (got {shown})"
