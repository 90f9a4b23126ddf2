"""Converts plain option values (int, float, str, bool, enum choices) without pydantic.

Typer 0.29 converts every option through a pydantic TypeAdapter, and importing pydantic costs a
command-line start about 0.1 s of CPU: more than the Simon search itself and enough to make
`nakip design simon` slower than `Rscript -e 'clinfun::ph2simon(...)'`. For options of a plain
int, float, str, bool or enum type, this module gives Typer's parameter a converter of its own
with the same meaning (Python's int() and float(), enum values); anything else (paths, lists,
ranges, custom parsers) keeps Typer's pydantic conversion. It relies on Typer's lazy per-parameter
converter (`_runtime_param`); if a Typer release drops that hook, nothing is replaced and the
commands merely start slower.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

try:  # Typer's internal conversion contract (typer >= 0.25); absent: keep Typer's own.
    from typer._click import Context
    from typer._click.exceptions import BadParameter
    from typer._coercion import RuntimeParam
except ImportError:  # pragma: no cover - another Typer release
    RuntimeParam = None  # type: ignore[assignment,misc]

_WORDS = {int: "an integer", float: "a number", bool: "true or false"}
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True}
_BOOLEANS |= {"0": False, "false": False, "no": False, "off": False}


def _convert(annotation: Any, value: Any) -> Any:
    """The value as `annotation`, or ValueError with what was expected."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        if isinstance(value, annotation):
            return value
        for member in annotation:
            if member.value == value:
                return member
        allowed = ", ".join(repr(m.value) for m in annotation)
        raise ValueError(f"{value!r} is not one of {allowed}")
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _BOOLEANS:
            return _BOOLEANS[value.strip().lower()]
        raise ValueError(f"{value!r} is not {_WORDS[bool]}")
    if annotation is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, annotation) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return annotation(value.strip()) if annotation is not str else value
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not {_WORDS.get(annotation, annotation.__name__)}")


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _PlainRuntimeParam(RuntimeParam):  # type: ignore[misc,valid-type]
        """Typer's per-parameter converter contract, for int, float, str, bool and enum options."""

        def _coerce_value(self, value: Any, param: Any, ctx: Context) -> Any:
            try:
                return _convert(self.annotation, value)
            except ValueError as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None


def _plain(param: Any) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", "absent") is not None:
        return False
    annotation = descriptor.annotation
    simple = annotation in (int, float, str, bool) or (
        isinstance(annotation, type) and issubclass(annotation, Enum) and descriptor.case_sensitive
    )
    return (
        simple
        and param.nargs == 1
        and not param.multiple
        and descriptor.parameter_info.parser is None
        and not descriptor.is_ranged
        and not descriptor.is_path
        and not descriptor.is_file
    )


def install_plain_converters(command: Any, ctx: Context) -> None:
    """Give every plain option of `command` and its subcommands the pydantic-free converter.

    `ctx` (the root context) names the help options, which Click creates per command on demand.
    """
    if RuntimeParam is None:
        return
    params = list(getattr(command, "params", ()))
    help_option = command.get_help_option(ctx) if hasattr(command, "get_help_option") else None
    if help_option is not None:
        params.append(help_option)
    for param in params:
        if _plain(param):
            param._runtime_param = _PlainRuntimeParam(
                parameter_info=param.type_descriptor.parameter_info,
                annotation=param.type_descriptor.annotation,
            )
    for sub in getattr(command, "commands", {}).values():
        install_plain_converters(sub, ctx)
