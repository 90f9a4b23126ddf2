"""One way to fail on the command line: a one-line message on stderr and exit code 2.

Both our own checks (`fail`) and Click's parse errors (`usage_error_line`, used by the root
command group) end up as `error: OPTION: what is wrong`, so a script or a person sees one line.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from typer._click import exceptions as click

USAGE_ERROR = 2


def _print_line(kind: str, colour: str, message: str) -> None:
    text = " ".join(message.split())
    prefix = f"\033[1;{colour}m{kind}:\033[0m" if sys.stderr.isatty() else f"{kind}:"
    sys.stderr.write(f"{prefix} {text}\n")
    sys.stderr.flush()


def print_error(message: str) -> None:
    """Write `error: message` on stderr as one line (red when stderr is a terminal)."""
    _print_line("error", "31", message)


def print_warning(message: str) -> None:
    """Write `warning: message` on stderr as one line; the command still succeeds."""
    _print_line("warning", "33", message)


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit with `code` (2 = bad input), never a traceback."""
    print_error(message)
    raise typer.Exit(code)


def _option_name(exc: click.UsageError) -> str | None:
    """The option or argument a Click usage error is about, as the user typed it."""
    from typer._click import exceptions as click
    from typer.core import TyperOption

    if isinstance(exc, click.NoSuchOption | click.BadOptionUsage):
        return exc.option_name
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        param = exc.param
        if isinstance(param, TyperOption) and param.opts:
            return max(param.opts, key=len)
        # Typer's own arguments lack Click's `human_readable_name`: the metavar, else the name
        shown = getattr(param, "metavar", None) or param.name or ""
        return shown.upper() or None
    return None


def _bad_value(exc: click.BadParameter) -> str:
    """What was wrong with a value, with the value itself when the parser kept it."""
    problem = exc.message.removeprefix("Value error, ")
    problem = problem[:1].lower() + problem[1:]
    errors = getattr(exc.__cause__, "errors", None)  # a pydantic ValidationError when coercing
    if callable(errors):
        details = errors()
        if details and "input" in details[0] and repr(details[0]["input"]) not in problem:
            problem = f"{problem.rstrip('.')}; got {details[0]['input']!r}"
    return problem


def usage_error_line(exc: click.UsageError) -> str:
    """Click's usage error as `OPTION: problem (see COMMAND --help)`, on one line.

    Replaces the multi-line usage box Typer prints, which buries the one fact that matters.
    """
    from typer._click import exceptions as click

    name = _option_name(exc)
    if isinstance(exc, click.MissingParameter):
        problem = "required but not given"
    elif isinstance(exc, click.NoSuchOption):
        problem = "no such option"
        if exc.possibilities:
            problem += f" (did you mean {', '.join(sorted(exc.possibilities))}?)"
    elif isinstance(exc, click.BadParameter):
        problem = _bad_value(exc)
    elif isinstance(exc, click.BadOptionUsage) and "requires an argument" in exc.message:
        problem = "needs a value"
    else:
        problem = exc.format_message()
        problem = problem[:1].lower() + problem[1:]
    problem = " ".join(problem.split()).rstrip(".")
    where = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
    return f"{name}: {problem}{where}" if name else f"{problem}{where}"
