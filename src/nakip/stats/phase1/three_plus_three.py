"""The 3+3 dose-escalation design with exact operating characteristics.

Storer (Biometrics 1989;45:925), the "A" design as commonly run: 0/3 DLT escalate, 1/3 expand to
6, >= 2 DLTs stop; the MTD is the highest dose with <= 1/6 DLT.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nakip.stats.phase1.operating import DoseFindingOC, _check_scenario

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


class ThreePlusThree:
    """The 3+3 rule with its decision table and exact operating characteristics."""

    @property
    def decision_table(self) -> pd.DataFrame:
        """The decision table of the 3+3 rule (Storer 1989; Le Tourneau et al., JNCI 2009)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "patients": [3, 3, 3, 6, 6],
                "dlts": ["0", "1", ">=2", "<=1", ">=2"],
                "decision": [
                    "escalate",
                    "treat 3 more at this dose",
                    "stop: MTD exceeded; MTD is the next lower dose (expanded to 6)",
                    "escalate (this dose is the MTD if the next dose is too toxic)",
                    "stop: MTD exceeded; MTD is the next lower dose (expanded to 6)",
                ],
            }
        )

    def __init__(self, confirm_top: bool = True) -> None:
        self.confirm_top = bool(confirm_top)

    def operating_characteristics(self, rates: Sequence[float]) -> DoseFindingOC:
        """Exact OC by enumerating the escalation tree (outcomes grouped as 0, 1, >= 2 DLTs)."""
        import numpy as np

        p = _check_scenario(rates)
        k = p.size
        select = np.zeros(k + 1)  # index k = no MTD
        patients = np.zeros(k)
        dlts = 0.0

        def deescalate(d: int, prob: float, sizes: list[int]) -> None:
            """Dose d is too toxic: settle the MTD below it (prob = path probability)."""
            nonlocal dlts
            below = d - 1
            while below >= 0:
                if sizes[below] >= 6:
                    select[below] += prob
                    return
                # expand dose `below` (0/3 so far) by 3 patients: MTD if <= 1 DLT among them
                q = p[below]
                p_le1 = (1 - q) ** 3 + 3 * q * (1 - q) ** 2
                patients[below] += 3 * prob
                dlts += 3 * q * prob
                select[below] += prob * p_le1
                prob *= 1 - p_le1
                if prob == 0:
                    return
                below -= 1
            select[k] += prob

        def escalate(d: int, prob: float, sizes: list[int]) -> None:
            nonlocal dlts
            if prob == 0:
                return
            q = p[d]
            p0 = (1 - q) ** 3
            p1 = 3 * q * (1 - q) ** 2
            p_ge2 = max(0.0, 1 - p0 - p1)
            patients[d] += 3 * prob
            dlts += 3 * q * prob  # E[DLTs in the first cohort]
            # 1/3: expand by 3 (DLT expectation of the new cohort added below)
            pr1 = prob * p1
            patients[d] += 3 * pr1
            dlts += 3 * q * pr1
            p_y0 = (1 - q) ** 3
            # stop paths: >= 2/3, or 1/3 then >= 1/3
            stop_prob = prob * p_ge2 + pr1 * (1 - p_y0)
            deescalate(d, stop_prob, sizes)
            # pass paths
            pass3 = prob * p0
            pass6 = pr1 * p_y0
            if d == k - 1:
                if self.confirm_top:
                    # expand top dose from 3 to 6 after 0/3: MTD if <= 1 DLT in the extra 3
                    patients[d] += 3 * pass3
                    dlts += 3 * q * pass3
                    p_le1 = p0 + p1
                    select[d] += pass3 * p_le1 + pass6
                    deescalate(d, pass3 * (1 - p_le1), sizes)
                else:
                    select[d] += pass3 + pass6
                return
            # continue escalating; the size of dose d (3 or 6) matters only for de-escalation
            escalate(d + 1, pass3, [*sizes[:d], 3, *sizes[d + 1 :]])
            escalate(d + 1, pass6, [*sizes[:d], 6, *sizes[d + 1 :]])

        escalate(0, 1.0, [0] * k)
        return DoseFindingOC(
            design="3+3",
            true_rates=tuple(float(v) for v in p),
            prob_select=tuple(float(v) for v in select[:k]),
            prob_no_mtd=float(select[k]),
            expected_patients=tuple(float(v) for v in patients),
            expected_n=float(patients.sum()),
            expected_dlts=float(dlts),
            parameters={"confirm_top": self.confirm_top},
        )

    def simulate(
        self, rates: Sequence[float], n_trials: int = 10_000, seed: int | None = 0
    ) -> DoseFindingOC:
        """Simulated OC (one trial at a time; for checking the exact calculation)."""
        import numpy as np

        p = _check_scenario(rates)
        k = p.size
        rng = np.random.default_rng(seed)
        select = np.zeros(k + 1)
        patients = np.zeros(k)
        dlts = 0.0
        for _ in range(n_trials):
            n = np.zeros(k, dtype=int)
            x = np.zeros(k, dtype=int)

            def treat(d: int, m: int = 3, n: np.ndarray = n, x: np.ndarray = x) -> None:
                n[d] += m
                x[d] += rng.binomial(m, p[d])

            d = 0
            too_toxic: int | None = None
            while True:
                treat(d)
                if x[d] == 1 and n[d] == 3:
                    treat(d)
                if x[d] >= 2:
                    too_toxic = d
                    break
                if d == k - 1:
                    if self.confirm_top and n[d] == 3:
                        treat(d)
                        if x[d] >= 2:
                            too_toxic = d
                            break
                    break
                d += 1
            mtd: int | None = k - 1
            if too_toxic is not None:
                mtd = None
                b = too_toxic - 1
                while b >= 0:
                    if n[b] == 3:
                        treat(b)
                    if x[b] <= 1:
                        mtd = b
                        break
                    b -= 1
            select[k if mtd is None else mtd] += 1
            patients += n
            dlts += x.sum()
        ps = select / n_trials
        return DoseFindingOC(
            design="3+3",
            true_rates=tuple(float(v) for v in p),
            prob_select=tuple(float(v) for v in ps[:k]),
            prob_no_mtd=float(ps[k]),
            expected_patients=tuple(float(v) for v in patients / n_trials),
            expected_n=float(patients.sum() / n_trials),
            expected_dlts=float(dlts / n_trials),
            n_trials=n_trials,
            mcse_select=tuple(float(v) for v in np.sqrt(ps[:k] * (1 - ps[:k]) / n_trials)),
            parameters={"confirm_top": self.confirm_top},
        )
