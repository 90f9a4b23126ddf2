"""Entry point of the `nakip` program: lists the command modules and runs the Typer app."""

from __future__ import annotations

from typing import Annotated

import typer

from nakip import __version__
from nakip.cli.apps import app
from nakip.cli.command_group import use_command_modules

# Command modules register themselves on the apps in nakip.cli.apps when imported. The root
# group imports only those a command line needs (nakip.cli.command_group), so that
# `nakip design simon` does not pay for Django or pydantic.
_COMMAND_MODULES = (
    "nakip.cli.protocol_cmd",
    "nakip.cli.design_cmd",
    "nakip.cli.monitor_cmd",
    "nakip.cli.dose_finding_cmd",
    "nakip.cli.simulate_cmd",
    "nakip.cli.design_report_cmd",
    "nakip.cli.assess_cmd",
    "nakip.cli.edc_cmd",
    "nakip.cli.db_cmd",
    "nakip.cli.demo_cmd",
    "nakip.cli.model_cmd",
    "nakip.cli.export_cmd",
    "nakip.cli.report_cmd",
    "nakip.cli.analyze_cmd",
)
use_command_modules(_COMMAND_MODULES)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"nakip {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """NAKIP: protocol, design, data capture and reports for the NAKIP-AML trial."""


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
