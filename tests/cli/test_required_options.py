"""Every required option or argument of every `nakip` command, left out: one line on stderr
naming it, `required but not given`, exit code 2 (never Typer's multi-line usage box).

The cases are found by walking the command tree, so a new command with a required option is
checked without editing this file; `SAMPLES` gives a valid value for each required option that
comes before another one (Click reports the first missing parameter in declaration order)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from nakip.cli.command_group import _import, _modules
from nakip.cli.main import app
from tests.cli.conftest import one_line_error

runner = CliRunner()

SAMPLES: dict[str, str] = {
    "--p0": "0.3", "--p1": "0.5", "--r1": "1", "--n1": "10", "--r": "5", "--n": "20",
    "--standard-a": "0.2", "--nmax": "30", "--null-eff": "0.3", "--csv": "data.csv",
    "--time": "time", "--status": "status", "--role": "investigator", "--k": "3", "--x1": "2",
    "--event": "event",
}  # fmt: skip
"""A valid value of each required option that is followed by another required option."""
ARGUMENTS: dict[str, str] = {"fmt": "csv"}
"""A valid value of a required argument where any word will not do (default: 'x')."""


def _commands(cmd: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    if hasattr(cmd, "commands"):
        for name, sub in sorted(cmd.commands.items()):
            yield from _commands(sub, [*path, name])
    else:
        yield path, cmd


def _cases() -> list[Any]:
    _import(_modules)
    cases = []
    for path, cmd in _commands(typer.main.get_command(app), []):
        required = [p for p in cmd.params if p.required]
        for i, param in enumerate(required):
            before = required[:i]
            args = [ARGUMENTS.get(p.name, "x") for p in required if not p.opts[0].startswith("-")
                    and (p in before or param.opts[0].startswith("-"))]  # fmt: skip
            options = [w for p in before if p.opts[0].startswith("-")
                       for w in (p.opts[0], SAMPLES[p.opts[0]])]  # fmt: skip
            shown = getattr(param, "metavar", None) or param.name  # as `--help` shows it
            name = param.opts[0] if param.opts[0].startswith("-") else shown.upper()
            cases.append(
                pytest.param([*path, *args, *options], name, id=f"{' '.join(path)} {name}")
            )
    return cases


CASES = _cases()


def test_every_command_with_required_input_is_covered() -> None:
    commands = {c.id.rsplit(" ", 1)[0] for c in CASES}
    assert {"export", "report dsmb", "report final", "design simon", "user create"} <= commands
    assert "export FORMAT" in {c.id for c in CASES}  # an argument, by its metavar


@pytest.mark.parametrize(("args", "name"), CASES)
def test_missing_required_input_is_one_line_naming_it(args: list[str], name: str) -> None:
    res = runner.invoke(app, args)
    one_line_error(res, f"{name}: required but not given")
