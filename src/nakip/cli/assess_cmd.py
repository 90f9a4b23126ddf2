"""`nakip assess response`: ELN 2022 response (overt cohort) or MRD response (mrd cohort) of
JSON records, one JSON line out per record, for scripts and for checking the EDC's derivations.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from nakip.cli.apps import assess_app
from nakip.cli.errors import fail
from nakip.clinical.eln2022 import Assessment, classify_response
from nakip.clinical.mrd import mrd_response
from nakip.protocol import ProtocolError, load_protocol
from nakip.protocol.model import Protocol


class ResponseInput(BaseModel):
    """One input record; units are fixed (blasts %, counts 10^9/L). Strict: unknown fields,
    strings for numbers and booleans for numbers (or numbers for booleans) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)

    cohort: Literal["overt", "mrd"] | None = None
    assessment_date: date | None = None
    bm_blasts_pct: float | None = None
    pb_blasts_pct: float | None = None
    extramedullary_disease: bool | None = None
    baseline_extramedullary_disease: bool | None = None
    anc_per_nl: float | None = None
    platelets_per_nl: float | None = None
    transfusion_independent: bool | None = None
    baseline_bm_blasts_pct: float | None = None
    baseline_anc_per_nl: float | None = None
    baseline_platelets_per_nl: float | None = None
    auer_rods: bool | None = None
    mrd_baseline: float | None = None
    mrd_value: float | None = None
    mrd_assay: Literal["qPCR", "flow"] | None = None
    mrd_lod: float | None = None


_ASSESSMENT_FIELDS = (
    "assessment_date",
    "bm_blasts_pct",
    "pb_blasts_pct",
    "extramedullary_disease",
    "baseline_extramedullary_disease",
    "anc_per_nl",
    "platelets_per_nl",
    "transfusion_independent",
    "baseline_bm_blasts_pct",
    "baseline_anc_per_nl",
    "baseline_platelets_per_nl",
    "auer_rods",
)


def _describe(exc: ValidationError) -> str:
    """Pydantic errors as one line naming each field."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        msg = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        parts.append(f"field '{loc}': {msg}")
    return "; ".join(parts)


def _records(text: str) -> list[tuple[int, str]]:
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


def _parse(n: int, raw: str) -> ResponseInput:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"line {n}: invalid JSON ({exc.msg})")
    if not isinstance(value, dict):
        fail(f"line {n}: expected a JSON object, got {type(value).__name__}")
    try:
        return ResponseInput.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        fail(f"line {n}: {_describe(exc)}")


def _assess(rec: ResponseInput, cohort: str, protocol: Protocol) -> dict[str, Any]:
    """The cohort's response rule applied to one record (ValueError on impossible values)."""
    crit = protocol.response_criteria
    if cohort == "overt":
        a = Assessment(**{f: getattr(rec, f) for f in _ASSESSMENT_FIELDS})
        out = classify_response(a, crit.eln2022).to_dict()
    else:
        res = mrd_response(
            rec.mrd_baseline,
            rec.mrd_value,
            lod=rec.mrd_lod,
            criteria=crit.mrd,
            bm_blasts_pct=rec.bm_blasts_pct,
            extramedullary_disease=rec.extramedullary_disease,
        )
        out = res.to_dict()
        out["assay"] = rec.mrd_assay
        out["assessment_date"] = rec.assessment_date.isoformat() if rec.assessment_date else None
    return {"cohort": cohort, **out}


@assess_app.command("response")
def response(
    file: Annotated[
        str | None,
        typer.Argument(help="JSON object or JSON-lines file; '-' or nothing reads stdin."),
    ] = None,
    cohort: Annotated[
        str | None,
        typer.Option(
            "--cohort",
            help="overt (ELN 2022) or mrd (MRD log10 change); a record's own 'cohort' field wins.",
        ),  # fmt: skip
    ] = None,
    protocol_file: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol YAML (default: the packaged NAKIP-AML file)."),
    ] = None,
) -> None:
    """Classify response per record and write one JSON line per record to stdout.

    Fields (all optional): bm_blasts_pct, pb_blasts_pct, extramedullary_disease,
    baseline_extramedullary_disease, anc_per_nl, platelets_per_nl, transfusion_independent,
    baseline_bm_blasts_pct, baseline_anc_per_nl, baseline_platelets_per_nl, auer_rods,
    assessment_date, mrd_baseline, mrd_value, mrd_assay (qPCR|flow), mrd_lod, cohort.
    """
    if cohort is not None and cohort not in ("overt", "mrd"):
        fail(f"--cohort: expected 'overt' or 'mrd', got {cohort!r}")
    try:
        protocol = load_protocol(protocol_file)
    except ProtocolError as exc:
        fail(f"--protocol: {str(exc).splitlines()[0]}")
    if file is None or file == "-":
        text = sys.stdin.read()
        source = "stdin"
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"FILE: cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
        source = file
    records = _records(text)
    if not records:
        fail(f"FILE: no JSON record in {source}")
    parsed = [(n, _parse(n, raw)) for n, raw in records]
    lines = []
    for n, rec in parsed:
        chosen = rec.cohort or cohort
        if chosen is None:
            fail(f"line {n}: cohort missing: give --cohort or a 'cohort' field")
        try:
            lines.append(json.dumps(_assess(rec, chosen, protocol), ensure_ascii=False))
        except ValueError as exc:
            fail(f"line {n}: {exc}")
    for line in lines:
        typer.echo(line)
