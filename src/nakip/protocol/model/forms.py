"""Case report forms as data: fields with their types, ranges and conditions, and the forms.

The EDC renders, validates and exports each form from these definitions alone.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from nakip.protocol.model.base import Strict
from nakip.protocol.model.eligibility import Condition


class FormField(Strict):
    """One field of a case report form."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: Literal["integer", "decimal", "text", "date", "datetime", "boolean", "choice"]
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: list[str] = Field(default_factory=list)
    required: bool = False
    required_if: list[Condition] = Field(default_factory=list)
    help: str | None = None
    soft_min: float | None = None
    soft_max: float | None = None
    not_before: str | None = Field(
        None, description="name of another date field of the form this date may not precede"
    )
    earliest: date | None = Field(
        None, description="date fields: earliest plausible date (protocol date_limits if unset)"
    )
    max_days_ahead: int | None = Field(
        None, ge=0, description="date fields: days after today still plausible (else protocol's)"
    )

    @model_validator(mode="after")
    def _choices_for_choice(self) -> FormField:
        if self.type == "choice" and not self.choices:
            raise ValueError("a 'choice' field needs 'choices'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min exceeds max")
        return self


class FormDefinition(Strict):
    """A versioned case report form; an amendment adds a new version, old records keep theirs."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    title: str
    repeating: bool = False
    fields: list[FormField] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_fields(self) -> FormDefinition:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names must be unique within a form")
        types = {f.name: f.type for f in self.fields}
        for f in self.fields:
            if f.not_before is not None and types.get(f.not_before) not in ("date", "datetime"):
                raise ValueError(f"{f.name}.not_before must name a date field of the form")
            for cond in f.required_if:
                if cond.field not in types:
                    raise ValueError(f"{f.name}.required_if names unknown field {cond.field!r}")
        return self
