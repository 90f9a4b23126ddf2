"""`nakip design boin|threeplusthree`: phase-I dose-finding rules and their OC.

BOIN boundaries and simulated OC, 3+3 exact OC (nakip.stats.phase1). Every command has `--json`.
"""

# No `from __future__ import annotations`: Typer would evaluate every option's annotation string
# again each time it builds the command tree. pandas, scipy, YAML and Rich load only in the
# commands that need them: `design monitor` and `design boin` start fast (issue 13).
from typing import Annotated

import typer

from nakip.cli.apps import design_app
from nakip.cli.design_io import (
    JsonOpt,
    check_unit,
    emit_json,
    frame_records,
    parse_floats,
    print_frame,
    print_rows,
)
from nakip.cli.errors import fail


@design_app.command("boin")
def boin(
    target: Annotated[float, typer.Option("--target", help="Target DLT rate.")] = 0.3,
    doses: Annotated[int, typer.Option("--doses", help="Number of dose levels.")] = 3,
    cohort_size: Annotated[int, typer.Option("--cohort-size", help="Patients per cohort.")] = 3,
    cohorts: Annotated[int, typer.Option("--cohorts", help="Number of cohorts.")] = 10,
    scenario: Annotated[
        str | None, typer.Option("--scenario", help="True DLT rate per dose, comma-separated.")
    ] = None,
    trials: Annotated[int, typer.Option("--trials", help="Simulated trials.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """BOIN (Liu & Yuan 2015): boundary table, and simulated OC for a --scenario."""
    from nakip.stats.phase1 import BOIN_BOUNDARY_COLUMNS, BoinDesign

    check_unit(target, "--target")
    for value, name in ((doses, "--doses"), (cohort_size, "--cohort-size"), (cohorts, "--cohorts")):
        if value < 1:
            fail(f"{name} must be a positive integer, got {value}")
    if trials < 1:
        fail(f"--trials must be a positive integer, got {trials}")
    design = BoinDesign(target, doses, cohort_size, cohorts)
    oc = None
    if scenario is not None:
        rates = parse_floats(scenario, "--scenario")
        if len(rates) != doses:
            fail(f"--scenario needs {doses} rates (one per dose), got {len(rates)}")
        oc = design.simulate(rates, trials, seed)
    rows = design.boundary_rows
    if as_json:
        emit_json(
            {
                "lambda_e": design.lambda_e,
                "lambda_d": design.lambda_d,
                "boundaries": [
                    dict(zip(("n", *BOIN_BOUNDARY_COLUMNS), r, strict=True)) for r in rows
                ],
                "operating_characteristics": None if oc is None else oc.to_dict(),
            }
        )
        return
    typer.echo(
        f"BOIN target {target}: escalate if DLT rate <= {design.lambda_e:.3f}, "
        f"de-escalate if >= {design.lambda_d:.3f}"
    )
    print_rows(
        "BOIN boundaries",
        ["n", *(r[0] for r in rows)],
        [[name, *(r[i] for r in rows)] for i, name in enumerate(BOIN_BOUNDARY_COLUMNS, 1)],
    )
    if oc is not None:
        print_frame(f"Simulated OC ({trials} trials)", oc.summary)
        typer.echo(
            f"no MTD: {oc.prob_no_mtd:.4f}; expected N {oc.expected_n:.2f}; "
            f"expected DLTs {oc.expected_dlts:.2f}"
        )


@design_app.command("threeplusthree")
def threeplusthree(
    scenario: Annotated[
        str, typer.Option("--scenario", help="True DLT rate per dose, comma-separated.")
    ],
    confirm_top: Annotated[
        bool, typer.Option("--confirm-top/--no-confirm-top", help="Expand top dose to 6.")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """The 3+3 rule: decision table and exact OC for a scenario."""
    from nakip.stats.phase1 import ThreePlusThree

    rates = parse_floats(scenario, "--scenario")
    design = ThreePlusThree(confirm_top)
    oc = design.operating_characteristics(rates)
    if as_json:
        emit_json(
            {
                "decision_table": frame_records(design.decision_table),
                "operating_characteristics": oc.to_dict(),
            }
        )
        return
    print_frame("3+3 decision table", design.decision_table.set_index("patients"))
    print_frame("Exact operating characteristics", oc.summary)
    typer.echo(
        f"no MTD: {oc.prob_no_mtd:.4f}; expected N {oc.expected_n:.2f}; "
        f"expected DLTs {oc.expected_dlts:.2f}"
    )
