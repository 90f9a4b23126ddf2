"""Option parsing and output shared by the design commands: rates, sizes, tables and JSON.

One place decides how a comma-separated option is read and how a result is printed, so every
`nakip design` command fails and prints the same way.
"""

# No `from __future__ import annotations`: Typer would evaluate every option's annotation string
# again each time it builds the command tree. pandas, scipy, YAML and Rich load only in the
# commands that need them: `design monitor` and `design boin` start fast (issue 13).
import json
import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from nakip.cli.errors import fail
from nakip.cli.table_output import print_table

if TYPE_CHECKING:
    import pandas as pd


JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
RatesOpt = Annotated[
    str,
    typer.Option("--rates", help="True rates for the operating characteristics, comma-separated."),
]


def parse_floats(text: str, option: str, *, open_unit: bool = True) -> list[float]:
    """Parse 'a,b,c'; every value must lie in (0, 1) (fail naming the option otherwise)."""
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option}: expected comma-separated numbers, got {text!r}")
    if not values:
        fail(f"{option}: give at least one value")
    for v in values:
        if open_unit and not (0.0 < v < 1.0 and math.isfinite(v)):
            fail(f"{option}: {v} is outside (0, 1)")
    return values


def parse_ints(text: str, option: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option}: expected comma-separated integers, got {text!r}")
    if not values or any(v < 1 for v in values):
        fail(f"{option}: give positive integers")
    return values


def check_unit(value: float, option: str) -> None:
    if not 0.0 < value < 1.0:
        fail(f"{option} must lie in (0, 1), got {value}")


def check_positive(value: float, option: str) -> None:
    if not value > 0:
        fail(f"{option} must be > 0, got {value}")


def check_sizes(nmax: int, min_patients: int, smallest_nmax: int = 1) -> None:
    """--nmax at least `smallest_nmax`, and the first look --min-patients within [1, --nmax]."""
    if nmax < smallest_nmax:
        kind = "a positive integer" if smallest_nmax == 1 else f"an integer >= {smallest_nmax}"
        fail(f"--nmax must be {kind}, got {nmax}")
    if not 1 <= min_patients <= nmax:
        fail(f"--min-patients must lie in [1, --nmax], got {min_patients}")


def frame_records(df: "pd.DataFrame") -> list[dict[str, Any]]:
    """DataFrame (index included) to JSON-ready rows, <NA>/NaN as null."""
    import pandas as pd  # imported here: `nakip` starts without pandas

    flat = df.reset_index()
    rows = []
    for rec in flat.to_dict(orient="records"):
        rows.append({k: (None if pd.isna(v) else v) for k, v in rec.items()})
    return json.loads(json.dumps(rows, default=lambda o: o.item() if hasattr(o, "item") else o))


def _cell(value: Any, digits: int) -> str:
    """One table cell: '-' for a missing value (None, NaN, <NA>), floats to `digits` places."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if not isinstance(value, str) and type(value).__name__ in ("NAType", "NaTType"):
        return "-"
    if isinstance(value, float) or type(value).__name__.startswith("float"):
        return f"{float(value):.{digits}f}"
    return str(value)


def print_rows(
    title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], digits: int = 4
) -> None:
    print_table(title, [str(c) for c in columns], [[_cell(v, digits) for v in r] for r in rows])


def print_frame(title: str, df: "pd.DataFrame", digits: int = 4) -> None:
    """Print a DataFrame, its index as the first column."""
    flat = df.reset_index()
    print_rows(title, list(flat.columns), flat.itertuples(index=False), digits)


def emit_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))
