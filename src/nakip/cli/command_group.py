"""The root `nakip` command group: loads only the command modules a command line needs, and
turns every Click parse error into one line on stderr with exit code 2.

Command modules register their commands on the Typer apps of `nakip.cli.apps` when imported;
`nakip.cli.main` lists them. Importing all of them costs most of a second (pydantic, yaml, Django
for some), so `nakip design simon` imports only the modules whose source declares a `simon`
command, and every module when the path is not found that way (help, an unknown command).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Sequence
from functools import cache
from typing import Any

import typer

# Typer 0.29 ships its own copy of Click; its parse errors are these classes, not click's.
from typer._click import core as click
from typer._click import exceptions as click_errors
from typer._click.utils import echo
from typer.core import TyperGroup

from nakip.cli.errors import USAGE_ERROR, print_error, usage_error_line
from nakip.cli.option_coercion import install_plain_converters

_modules: list[str] = []
_loaded: set[str] = set()


def use_command_modules(names: Sequence[str]) -> None:
    """Declare the modules that make up the command tree (imported on demand, in this order)."""
    for name in names:
        if name not in _modules:
            _modules.append(name)


@cache
def _source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        return ""
    with open(spec.origin, encoding="utf-8") as handle:
        return handle.read()


def _declares(module: str, command: str) -> bool:
    """True when the module's source declares `command` (by name or by function name)."""
    text = _source(module)
    if command.replace("-", "_") not in text and command not in text:
        return False
    by_name = rf"""\.(?:command|add_typer)\((?:[^)]*name\s*=\s*)?\s*["']{re.escape(command)}["']"""
    by_function = rf"\bdef {re.escape(command.replace('-', '_'))}(?:_cmd)?\s*\("
    return re.search(by_name, text) is not None or re.search(by_function, text) is not None


def _import(modules: Sequence[str]) -> bool:
    """Import the modules not yet imported; True if any was. A module not yet written is absent."""
    new = False
    for name in modules:
        if name in _loaded:
            continue
        _loaded.add(name)
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
        new = True
    return new


def _command_words(args: Sequence[str]) -> list[str]:
    """The leading words of the command line that name a group or command (before any option)."""
    words: list[str] = []
    for arg in args:
        if arg.startswith("-"):
            break
        words.append(arg)
    return words


class NakipRootGroup(TyperGroup):
    """Root group of `nakip`: lazy command modules and one-line usage errors (exit code 2)."""

    def _refresh(self, modules: Sequence[str]) -> None:
        """Import `modules`; rebuild only the groups that gained commands (a build costs ms)."""
        if not _import(modules):
            return
        from nakip.cli.apps import app

        groups = {info.name: info.typer_instance for info in app.registered_groups}
        if len(self.commands) != len(app.registered_commands) + len(groups):
            self.commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
            return
        for name, sub_app in groups.items():
            built = self.commands.get(name or "")
            wanted = len(sub_app.registered_commands) + len(sub_app.registered_groups)
            if isinstance(built, TyperGroup) and len(built.commands) != wanted:
                self.commands[name] = typer.main.get_group(sub_app)  # type: ignore[index]

    def _load_for(self, words: Sequence[str]) -> None:
        """Import what the command path in `words` needs; everything if that does not find it."""
        if words:
            names = [w for w in words if not isinstance(self.commands.get(w), TyperGroup)]
            self._refresh([m for m in _modules if any(_declares(m, w) for w in names)])
            if self._resolves(words):
                return
        self._refresh(_modules)

    def _resolves(self, words: Sequence[str]) -> bool:
        cmd: click.Command | None = self
        for word in words:
            if not isinstance(cmd, TyperGroup):
                return True  # the rest are arguments of a command
            cmd = cmd.commands.get(word)
            if cmd is None:
                return False
        return not isinstance(cmd, TyperGroup)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        install_plain_converters(self, ctx)
        return super().parse_args(ctx, args)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        self._load_for(_command_words(args))
        install_plain_converters(self, ctx)
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._refresh(_modules)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._refresh(_modules)
        return super().get_command(ctx, cmd_name)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; in standalone mode a usage error is one line and exit code 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            if exc.format_message():  # Typer's help printer has already written it otherwise
                echo(exc.format_message(), err=True)
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            print_error(usage_error_line(exc))
            sys.exit(USAGE_ERROR)
        except click_errors.ClickException as exc:
            print_error(" ".join(exc.format_message().split()))
            sys.exit(exc.exit_code)
        except typer.Abort:
            print_error("aborted")
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)
