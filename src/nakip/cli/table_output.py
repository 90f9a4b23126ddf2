"""Tables on stdout: Rich boxes for a person at a terminal, plain aligned text otherwise.

Piped or redirected output must never be cut to a terminal width ("0.556-1.0…"), and a script
reading it should not have to strip box characters; Rich is imported only for a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def _plain(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    return "\n".join([title, line(columns), *(line(r) for r in rows)])


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    notes: Sequence[str] = (),
) -> None:
    """Print a table (first column left-aligned, the others right-aligned) and notes below it."""
    if not sys.stdout.isatty():
        text = _plain(title, columns, rows)
        sys.stdout.write(text + "\n" + "".join(f"{n}\n" for n in notes))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right", no_wrap=True)
    for row in rows:
        table.add_row(*row)
    console = Console(highlight=False, markup=False)
    console.print(table)
    for note in notes:
        console.print(note, soft_wrap=True)
