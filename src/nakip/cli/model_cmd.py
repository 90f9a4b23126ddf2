"""`nakip model simulate`: one model patient of the mechanistic model, as treated, without
talazoparib and with a failed NK product, plotted for a clinician (nakip.sim.model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nakip.cli.apps import app
from nakip.cli.errors import fail

model_app = typer.Typer(help="The mechanistic NK-cell + talazoparib model.", no_args_is_help=True)
app.add_typer(model_app, name="model")
_out = Console(highlight=False)


@model_app.command("simulate")
def simulate_cmd(
    seed: Annotated[int, typer.Option(help="Seed of the model patient.")] = 2026,
    out: Annotated[Path, typer.Option("--out", help="Folder for the PNG figure.")] = Path(
        "nakip-model"
    ),
    cohort: Annotated[str, typer.Option(help="Cohort code (overt or mrd).")] = "overt",
    scenario: Annotated[
        str, typer.Option(help="Scenario whose calibrated NK potency is used.")
    ] = "target",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Plot one model patient's leukaemia, drug exposure, NK cells and counts three ways."""
    from nakip.protocol import load_protocol
    from nakip.sim.model_figure import plot_patient, simulate_patient
    from nakip.sim.scenario import ScenarioError, get_scenario

    if seed < 0:
        fail(f"--seed must be >= 0, got {seed}")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    proto = load_protocol()
    codes = [c.code for c in proto.cohorts]
    if cohort not in codes:
        fail(f"--cohort: unknown cohort {cohort!r}; choose one of {', '.join(codes)}")
    try:
        sc = get_scenario(scenario)
    except ScenarioError as exc:
        fail(str(exc))
    pc = simulate_patient(proto, cohort, sc.cohorts[cohort].rates, seed)
    pc = plot_patient(pc, out / f"model-patient-{cohort}-{seed}.png")
    if as_json:
        typer.echo(json.dumps(pc.to_dict(), indent=2))
        return
    table = Table(title=f"Leukaemic cells, % of marrow (model, no assay noise), seed {seed}")
    rows = pc.summary()
    table.add_column("arm")
    visits = [k for k in rows[0] if k != "arm"]
    for v in visits:
        table.add_column(v, justify="right")
    for r in rows:
        table.add_row(r["arm"], *(f"{r[v]:.3g}" for v in visits))
    _out.print(table)
    _out.print(f"Figure: {pc.figure}")
