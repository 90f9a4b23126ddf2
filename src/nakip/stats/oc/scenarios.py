"""Scenarios for a grid of operating characteristics, and the YAML/JSON file that lists them.

A file holds a list of scenarios or a mapping with a ``scenarios`` list; each has a ``design``
mapping and a ``rate`` (or ``rates``, one scenario each). Bad input raises ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nakip.stats.oc.designs import Design, design_from_spec


@dataclass(frozen=True)
class Scenario:
    """One design at one true response (or event) rate."""

    design: Design
    rate: float
    name: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must lie in [0, 1], got {self.rate}")


def _scenarios_from_data(data: Any) -> list[Scenario]:
    items = data.get("scenarios") if isinstance(data, Mapping) else data
    if not isinstance(items, list) or not items:
        raise ValueError("the scenario file needs a non-empty list of scenarios")
    out: list[Scenario] = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping) or not isinstance(item.get("design"), Mapping):
            raise ValueError(f"scenario {i + 1}: needs a 'design' mapping")
        design = design_from_spec(item["design"])
        if "rates" in item:
            rates = item["rates"]
            if not isinstance(rates, list) or not rates:
                raise ValueError(f"scenario {i + 1}: 'rates' must be a non-empty list")
        elif "rate" in item:
            rates = [item["rate"]]
        else:
            raise ValueError(f"scenario {i + 1}: needs 'rate' or 'rates'")
        name = str(item.get("name", f"scenario-{i + 1}"))
        for r in rates:
            if isinstance(r, bool) or not isinstance(r, int | float) or not 0 < float(r) < 1:
                raise ValueError(f"scenario {i + 1}: rate {r!r} must lie in (0, 1)")
            label = name if len(rates) == 1 else f"{name}@{float(r):g}"
            out.append(Scenario(design, float(r), label))
    return out


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Read a YAML or JSON scenario file (format in the module docstring)."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).lower().endswith(".json") else yaml.safe_load(text)
    return _scenarios_from_data(data)
