"""One way to fail on the command line: a one-line message on stderr and exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

_err = Console(stderr=True, highlight=False)

USAGE_ERROR = 2


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print `error: message` on stderr and exit with `code` (2 = bad input), never a traceback."""
    _err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    raise typer.Exit(code)
