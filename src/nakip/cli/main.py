"""Entry point of the `nakip` program: imports every command module and runs the Typer app."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from nakip import __version__
from nakip.cli.apps import app

# Command modules register themselves on the apps in nakip.cli.apps when imported.
_COMMAND_MODULES = (
    "nakip.cli.protocol_cmd",
    "nakip.cli.design_cmd",
    "nakip.cli.monitor_cmd",
    "nakip.cli.design_report_cmd",
    "nakip.cli.assess_cmd",
    "nakip.cli.edc_cmd",
    "nakip.cli.demo_cmd",
    "nakip.cli.model_cmd",
    "nakip.cli.export_cmd",
    "nakip.cli.report_cmd",
    "nakip.cli.analyze_cmd",
)
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # a command group not yet built is simply absent
        if exc.name != _name:
            raise


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
