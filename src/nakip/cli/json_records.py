"""JSON records in, JSON lines out: the input side of every `nakip assess` command.

A file (or stdin) holds one JSON object, possibly pretty-printed, or one object per line. Each
record is validated strictly against a pydantic model whose fields may also be spelled with the
EDC's form field names (aliases); any bad record stops the run with exit 2 naming the line and
field, before anything is written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import AliasChoices, BaseModel, ValidationError

from nakip.cli.errors import fail
from nakip.protocol import ProtocolError, load_protocol
from nakip.protocol.model import Protocol

M = TypeVar("M", bound=BaseModel)


def read_input(file: str | None) -> tuple[str, str]:
    """(text, source name) of FILE, or of stdin for None or '-'."""
    if file is None or file == "-":
        return sys.stdin.read(), "stdin"
    try:
        return Path(file).read_text(encoding="utf-8"), file
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"FILE: cannot read {file}: {getattr(exc, 'strerror', None) or exc}")


def split_records(text: str) -> list[tuple[int, str]]:
    """(line number, JSON text) per record: the whole input if it is one JSON value (possibly
    spread over lines), else one record per non-blank line (JSON lines)."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        json.loads(stripped)
    except json.JSONDecodeError:
        pass
    else:
        first = next(i for i, line in enumerate(text.splitlines(), 1) if line.strip())
        return [(first, stripped)]
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def describe(exc: ValidationError) -> str:
    """Pydantic errors as one line naming each field."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"field '{loc}': {msg}")
    return "; ".join(parts)


def _spellings(model: type[BaseModel]) -> dict[str, tuple[str, ...]]:
    """Field name -> every accepted spelling, for fields with aliases."""
    out = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            out[name] = tuple(str(c) for c in alias.choices)
    return out


def parse_record(n: int, raw: str, model: type[M]) -> M:
    """One record validated strictly (exit 2 naming the line and field otherwise)."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"line {n}: invalid JSON ({exc.msg})")
    if not isinstance(value, dict):
        fail(f"line {n}: expected a JSON object, got {type(value).__name__}")
    for spellings in _spellings(model).values():
        given = [s for s in spellings if s in value]
        if len(given) > 1:
            fail(f"line {n}: fields {', '.join(repr(g) for g in given)} name the same value")
    try:
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        fail(f"line {n}: {describe(exc)}")


def load_records(file: str | None, model: type[M]) -> list[tuple[int, M]]:
    """Every record of FILE (or stdin), validated; exit 2 when there is none or one is bad."""
    text, source = read_input(file)
    records = split_records(text)
    if not records:
        fail(f"FILE: no JSON record in {source}")
    return [(n, parse_record(n, raw, model)) for n, raw in records]


def protocol_option(path: Path | None) -> Protocol:
    """The --protocol file (default: the packaged NAKIP-AML protocol); exit 2 if invalid."""
    try:
        return load_protocol(path)
    except ProtocolError as exc:
        fail(f"--protocol: {str(exc).splitlines()[0]}")


def emit(lines: list[str]) -> None:
    """Write the output lines (only once every record has been assessed)."""
    for line in lines:
        typer.echo(line)
