"""Phase-I safety run-in rules: the 3+3 design (exact OC) and BOIN (boundaries, simulated OC).

* 3+3 (Storer, Biometrics 1989;45:925; the "A" design as commonly run): 3 patients at a dose;
  0/3 DLT escalate; 1/3 add 3 more, then 1/6 escalate; >= 2 DLTs stop escalating. The MTD is the
  highest dose with <= 1/6 DLT: after a stop, the next lower dose is expanded to 6 patients if it
  had only 3 (de-escalating further while >= 2/6). With `confirm_top=True` the top dose is also
  expanded to 6 before it can be declared the MTD.
* BOIN (Liu & Yuan, JRSS-C 2015;64:507; BOIN R package, Yan et al., J Stat Softw 2020;94(13)):
  escalate if the DLT rate at the current dose <= lambda_e, de-escalate if >= lambda_d, else stay;
  eliminate the dose and higher doses when Pr(p > target | x, n) > 0.95 under Beta(1, 1), n >= 3;
  select the MTD by isotonic regression (pool-adjacent-violators) of the observed rates.

One module per concern: `operating` (the result both designs report), `three_plus_three` and
`boin`. No scipy, and pandas only for the tables: `nakip design boin` starts fast (issue 13).
"""

from nakip.stats.phase1.boin import (
    BOIN_BOUNDARY_COLUMNS,
    BoinDesign,
    boin_boundaries,
    elimination_counts,
    isotonic_rates,
    select_mtd_boin,
)
from nakip.stats.phase1.operating import DoseFindingOC
from nakip.stats.phase1.three_plus_three import ThreePlusThree

__all__ = [
    "BoinDesign",
    "DoseFindingOC",
    "ThreePlusThree",
    "boin_boundaries",
    "isotonic_rates",
    "select_mtd_boin",
    "BOIN_BOUNDARY_COLUMNS",
    "elimination_counts",
]
