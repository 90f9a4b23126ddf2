"""Load and validate a protocol YAML file, reporting every error with its field path and line.

YAML is composed into nodes first so each value keeps its position; pydantic's error locations
are then mapped back to a readable field path (list items named by their `code` or `id`, e.g.
`cohorts.overt.design.p0`) and the line in the file, which is what a protocol author needs:
`cohorts.overt.design.p0: must be < 1 (line 38)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nakip.protocol.model import Protocol

DEFAULT_PROTOCOL_NAME = "nakip_aml.yaml"

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class ProtocolIssue:
    """One problem found in a protocol file, with where it is."""

    path: str
    line: int | None
    column: int | None
    location: str
    message: str

    def __str__(self) -> str:
        """`field.path: message (line N)`, the form a protocol author reads and fixes."""
        head = f"{self.location}: " if self.location else ""
        line = f" (line {self.line})" if self.line else ""
        return f"{head}{self.message}{line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "location": self.location,
            "message": self.message,
        }


class ProtocolError(ValueError):
    """The protocol file is unreadable or invalid; `issues` lists every problem found."""

    def __init__(self, issues: list[ProtocolIssue]):
        self.issues = issues
        super().__init__("\n".join(f"{i.path}: {i}" if i.path else str(i) for i in issues))


def default_protocol_path() -> Path:
    """The NAKIP-AML protocol shipped with the package."""
    return Path(str(resources.files("nakip.protocol").joinpath(DEFAULT_PROTOCOL_NAME)))


def _positions(node: yaml.Node, loc: Loc, out: dict[Loc, tuple[int, int]]) -> Any:
    """Turn a composed YAML node into Python data, recording (line, column) per location."""
    out[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            if key in result:
                line = key_node.start_mark.line + 1
                raise ProtocolError(
                    [
                        ProtocolIssue(
                            "",
                            line,
                            key_node.start_mark.column + 1,
                            str(key),
                            f"duplicate key {key!r}",
                        )
                    ]
                )
            out[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = _positions(value_node, (*loc, key), out)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_positions(item, (*loc, i), out) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _nearest(loc: Loc, positions: dict[Loc, tuple[int, int]]) -> tuple[int | None, int | None]:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in positions:
            return positions[loc[:cut]]
    return None, None


def _readable(loc: Loc, data: Any) -> str:
    """A pydantic location as a field path, list items named by their `code` or `id` (forms
    also by version: `forms.screening.v2`) instead of their index."""
    parts: list[str] = []
    node = data
    for key in loc:
        item = node[key] if isinstance(node, dict | list) and _has(node, key) else None
        if isinstance(key, int) and isinstance(item, dict):
            name = item.get("code", item.get("id", item.get("name")))
            if isinstance(name, str) and name:
                version = item.get("version")
                parts.append(name if version is None else f"{name}.v{version}")
                node = item
                continue
        parts.append(str(key))
        node = item
    return ".".join(parts)


def _has(node: dict[Any, Any] | list[Any], key: str | int) -> bool:
    if isinstance(node, list):
        return isinstance(key, int) and 0 <= key < len(node)
    return key in node


_BOUNDS = {
    "less_than": ("<", "lt"),
    "less_than_equal": ("<=", "le"),
    "greater_than": (">", "gt"),
    "greater_than_equal": (">=", "ge"),
}


def _message(err: Any) -> str:
    """Pydantic's message in the protocol author's words (`must be < 1`, `unknown field`)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _BOUNDS:
        op, key = _BOUNDS[kind]
        bound = ctx.get(key)
        shown = f"{bound:g}" if isinstance(bound, int | float) else str(bound)
        return f"must be {op} {shown}"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def parse_protocol(text: str, path: str = "<protocol>") -> Protocol:
    """Validate protocol YAML text; raise ProtocolError listing every problem with its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProtocolError(
            [ProtocolIssue(path, line, col, "", f"YAML syntax: {problem}")]
        ) from None
    if node is None:
        raise ProtocolError([ProtocolIssue(path, None, None, "", "the file is empty")])
    positions: dict[Loc, tuple[int, int]] = {}
    try:
        data = _positions(node, (), positions)
    except ProtocolError as exc:
        raise ProtocolError(
            [ProtocolIssue(path, i.line, i.column, i.location, i.message) for i in exc.issues]
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError([ProtocolIssue(path, 1, 1, "", "the top level must be a mapping")])
    try:
        return Protocol.model_validate(data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
            line, col = _nearest(loc, positions)
            issues.append(ProtocolIssue(path, line, col, _readable(loc, data), _message(err)))
        raise ProtocolError(issues) from None


def load_protocol_file(path: str | Path) -> Protocol:
    """Read and validate a protocol file (ProtocolError if missing or invalid)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProtocolError(
            [ProtocolIssue(str(p), None, None, "", exc.strerror or str(exc))]
        ) from None
    except UnicodeDecodeError:
        raise ProtocolError([ProtocolIssue(str(p), None, None, "", "not UTF-8 text")]) from None
    return parse_protocol(text, str(p))


@lru_cache(maxsize=1)
def _default() -> Protocol:
    return load_protocol_file(default_protocol_path())


def load_protocol(path: str | Path | None = None) -> Protocol:
    """The protocol at `path`, or the packaged NAKIP-AML protocol (cached) when None."""
    return _default() if path is None else load_protocol_file(path)
