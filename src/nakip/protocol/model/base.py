"""The strict base of every protocol block and the value types the sections share.

Unknown keys are errors and values are immutable, so a typo in the protocol file cannot pass.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Probability = Annotated[float, Field(gt=0.0, lt=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
CohortCode = Literal["overt", "mrd"]


class Strict(BaseModel):
    """Base for every protocol block: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)
