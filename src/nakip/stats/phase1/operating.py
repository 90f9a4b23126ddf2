"""Operating characteristics of a dose-finding design, and the check of a DLT-rate scenario.

One result type for 3+3 and BOIN, so that the CLI and reports print both the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def _check_scenario(rates: Sequence[float]) -> np.ndarray:
    import numpy as np

    p = np.asarray(rates, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any((p < 0) | (p > 1)):
        raise ValueError("true DLT rates must be a non-empty list of values in [0, 1]")
    return p


@dataclass(frozen=True)
class DoseFindingOC:
    """OC of a dose-finding rule for one scenario of true DLT rates per dose.

    `prob_select[d]`: probability that dose d (0-based) is selected as the MTD; `prob_no_mtd`:
    probability that no dose is selected; `expected_patients[d]`: mean patients treated at d;
    `expected_dlts`: mean total number of DLTs; `mcse_*`: Monte Carlo standard errors (None when
    exact).
    """

    design: str
    true_rates: tuple[float, ...]
    prob_select: tuple[float, ...]
    prob_no_mtd: float
    expected_patients: tuple[float, ...]
    expected_n: float
    expected_dlts: float
    n_trials: int | None = None
    mcse_select: tuple[float, ...] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per dose: true rate, selection probability, expected patients."""
        import numpy as np
        import pandas as pd

        df = pd.DataFrame(
            {
                "dose": np.arange(1, len(self.true_rates) + 1),
                "true_rate": self.true_rates,
                "prob_select": self.prob_select,
                "expected_patients": self.expected_patients,
            }
        )
        if self.mcse_select is not None:
            df["mcse_select"] = self.mcse_select
        return df.set_index("dose")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return {
            "design": self.design,
            "parameters": dict(self.parameters),
            "true_rates": list(self.true_rates),
            "prob_select": list(self.prob_select),
            "prob_no_mtd": self.prob_no_mtd,
            "expected_patients": list(self.expected_patients),
            "expected_n": self.expected_n,
            "expected_dlts": self.expected_dlts,
            "n_trials": self.n_trials,
            "mcse_select": None if self.mcse_select is None else list(self.mcse_select),
        }
