"""`nakip design report`: the protocol's statistical-design section as HTML, PDF and figures.

Reads the designs and monitoring rules from the protocol file, computes them with nakip.stats
and writes design-report.html, design-report.pdf and fig-*.png into --out. Bad input exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from nakip.cli.apps import design_app
from nakip.cli.errors import fail
from nakip.protocol import ProtocolError, default_protocol_path, load_protocol_file

if TYPE_CHECKING:  # the report stack (scipy, matplotlib, WeasyPrint) loads only when run
    from nakip.report.design_report import DesignReport
    from nakip.report.render import RenderedReport

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _check_writable(out: Path) -> None:
    """Create `out` if needed and prove a file can be written there (fail naming --out)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".nakip-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        fail(f"--out: cannot write to {out}: {exc.strerror or exc}")


def _print_summary(report: DesignReport, files: RenderedReport) -> None:
    table = Table(title=f"{report.acronym} statistical design (protocol {report.protocol_version})")
    for col in ("cohort", "design", "r1/n1", "r/n", "EN0", "alpha", "power", "protocol"):
        table.add_column(
            col, justify="left" if col in ("cohort", "design", "protocol") else "right"
        )
    for c in report.cohorts:
        d = c.chosen
        status = {"match": "[green]matches[/]", "mismatch": "[bold red]MISMATCH[/]"}.get(
            c.planned_check.status, "not stated"
        )
        table.add_row(
            c.code,
            c.design_label,
            f"{d.r1}/{d.n1}" if d.two_stage else "-",
            f"{d.r}/{d.n}",
            f"{d.en0:.2f}",
            f"{d.alpha:.4f}",
            f"{d.power:.4f}",
            status,
        )
    _out.print(table)
    for m in report.monitoring:
        _out.print(
            f"[bold]{m.code}[/] ({m.scope}): {len(m.ranges)} boundary steps up to n={m.nmax}"
        )
    _out.print(f"wrote {files.html}")
    if files.pdf is not None:
        _out.print(f"wrote {files.pdf}")
    _out.print(f"wrote {len(files.figures)} figures in {files.html.parent}")


@design_app.command("report")
def report_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for design-report.html/.pdf and the figures.")
    ],
    protocol: Annotated[
        Path | None,
        typer.Option("--protocol", help="Protocol YAML file (default: the packaged NAKIP-AML)."),
    ] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write the A4 PDF.")] = True,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Exit 1 if a planned design differs from the computed one."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report data as JSON.")] = False,
) -> None:
    """Statistical-design section of the protocol (both cohorts) as HTML and PDF."""
    from nakip.report.design_report import build_design_report
    from nakip.report.render import write_design_report

    path = protocol or default_protocol_path()
    try:
        proto = load_protocol_file(path)
    except ProtocolError as exc:
        first = exc.issues[0] if exc.issues else None
        more = f" (and {len(exc.issues) - 1} more)" if len(exc.issues) > 1 else ""
        fail(f"--protocol: {first}{more}" if first else f"--protocol: invalid file {path}")
    _check_writable(out)
    try:
        report = build_design_report(proto)
    except ValueError as exc:
        fail(f"--protocol: {path}: {exc}")
    try:
        files = write_design_report(report, out, pdf=pdf)
    except OSError as exc:
        fail(f"--out: cannot write to {out}: {exc.strerror or exc}")
    for c in report.mismatches:
        _err.print(
            f"[bold red]warning:[/] cohort {c.code}: {c.planned_check.message}", soft_wrap=True
        )
    if as_json:
        typer.echo(json.dumps({**report.to_dict(), "files": files.to_dict()}, indent=2))
    else:
        _print_summary(report, files)
    if strict and report.mismatches:
        raise typer.Exit(1)
