"""Acute GVHD organ stages and overall grade by the MAGIC criteria.

Source: Harris AC et al., "International, multicenter standardization of acute graft-versus-host
disease clinical data collection: a report from the Mount Sinai Acute GVHD International
Consortium (MAGIC)", Biol Blood Marrow Transplant 2016;22:4-10, Table 1 (organ stages) and
Table 2 (overall grade); docs/clinical-rules.md "Acute GVHD". Adult lower-GI criteria (patients
> 50 kg). Ranges printed as "2-3 mg/dL", "3.1-6" are read on a continuous scale: stage k covers
values above the previous upper bound up to and including its own (bilirubin 3.0 is stage 1,
3.05 stage 2); values are rounded to 9 decimals before comparing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nakip.clinical.thresholds import check_flag, check_number, rounded

DECIMALS = 9
BILIRUBIN_UMOL_PER_MG_DL = 17.1  # 1 mg/dL total bilirubin = 17.1 umol/L
GRADE_NAMES = ("0", "I", "II", "III", "IV")


@dataclass(frozen=True)
class GVHDStages:
    """MAGIC organ stages 0-4 (upper GI 0-1) and the overall grade 0-4 (0, I-IV)."""

    skin: int
    liver: int
    upper_gi: int
    lower_gi: int
    grade: int
    rule: str

    @property
    def grade_name(self) -> str:
        """The overall grade in Roman numerals (0, I-IV)."""
        return GRADE_NAMES[self.grade]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "grade_name": self.grade_name}


def skin_stage(rash_bsa_pct: float, bullae_desquamation_bsa_pct: float = 0.0) -> int:
    """MAGIC skin stage (active erythema only): 0 no rash; 1 maculopapular rash < 25 % BSA;
    2 25-50 %; 3 > 50 %; 4 generalised erythroderma (> 50 %) with bullae and desquamation > 5 %."""
    rash = check_number("rash_bsa_pct", rash_bsa_pct, maximum=100.0)
    bullae = check_number("bullae_desquamation_bsa_pct", bullae_desquamation_bsa_pct, maximum=100.0)
    if rash is None:
        raise ValueError("rash_bsa_pct: a number is required")
    r, b = rounded(rash, DECIMALS), rounded(bullae or 0.0, DECIMALS)
    if r > 50 and b > 5:
        return 4
    if r > 50:
        return 3
    if r >= 25:
        return 2
    return 1 if r > 0 else 0


def liver_stage(bilirubin: float, unit: str = "mg/dL") -> int:
    """MAGIC liver stage from total bilirubin: 0 < 2 mg/dL; 1 2-3; 2 3.1-6; 3 6.1-15; 4 > 15.
    `unit` mg/dL or umol/L (divided by 17.1)."""
    v = check_number("bilirubin", bilirubin)
    if v is None:
        raise ValueError("bilirubin: a number is required")
    u = unit.strip().lower().replace("µ", "u").replace("μ", "u")
    if u == "umol/l":
        v = v / BILIRUBIN_UMOL_PER_MG_DL
    elif u != "mg/dl":
        raise ValueError(f"unit: unknown bilirubin unit {unit!r}; accepted: mg/dL, umol/L")
    x = rounded(v, DECIMALS)
    if x > 15:
        return 4
    if x > 6:
        return 3
    if x > 3:
        return 2
    return 1 if x >= 2 else 0


def upper_gi_stage(persistent_nausea_vomiting_anorexia: bool) -> int:
    """MAGIC upper GI stage: 1 persistent nausea, vomiting or anorexia; 0 none or intermittent."""
    flag = check_flag("persistent_nausea_vomiting_anorexia", persistent_nausea_vomiting_anorexia)
    if flag is None:
        raise ValueError("persistent_nausea_vomiting_anorexia: true/false is required")
    return int(flag)


def lower_gi_stage(
    stool_ml_per_day: float | None = None,
    episodes_per_day: float | None = None,
    severe_pain_ileus_or_bloody_stool: bool = False,
) -> int:
    """MAGIC lower GI stage (adults): volume < 500 / 500-999 / 1000-1500 / > 1500 mL per day or
    episodes < 3 / 3-4 / 5-7 / > 7 per day give stages 0-3 (the higher of the two); severe
    abdominal pain with or without ileus, or grossly bloody stool, is stage 4 (any volume)."""
    ml = check_number("stool_ml_per_day", stool_ml_per_day)
    ep = check_number("episodes_per_day", episodes_per_day)
    severe = check_flag("severe_pain_ileus_or_bloody_stool", severe_pain_ileus_or_bloody_stool)
    if severe:
        return 4
    if ml is None and ep is None:
        raise ValueError("stool_ml_per_day: stool volume or episodes per day is required")
    by_ml = 0
    if ml is not None:
        m = rounded(ml, DECIMALS)
        by_ml = 3 if m > 1500 else 2 if m >= 1000 else 1 if m >= 500 else 0
    by_ep = 0
    if ep is not None:
        e = rounded(ep, DECIMALS)
        by_ep = 3 if e > 7 else 2 if e >= 5 else 1 if e >= 3 else 0
    return max(by_ml, by_ep)


def overall_grade(skin: int, liver: int, upper_gi: int, lower_gi: int) -> GVHDStages:
    """MAGIC overall grade (Harris 2016 Table 2): IV any stage 4 skin, liver or lower GI; III
    liver or lower GI stage 2-3; II skin stage 3, or liver, upper GI or lower GI stage 1; I skin
    stage 1-2 alone; 0 no organ involved."""
    for name, v, top in (("skin", skin, 4), ("liver", liver, 4), ("upper_gi", upper_gi, 1)):
        _check_stage(name, v, top)
    _check_stage("lower_gi", lower_gi, 4)
    if 4 in (skin, liver, lower_gi):
        g, why = 4, "stage 4 skin, liver or lower GI"
    elif liver >= 2 or lower_gi >= 2:
        g, why = 3, "liver or lower GI stage 2-3"
    elif skin == 3 or liver == 1 or upper_gi == 1 or lower_gi == 1:
        g, why = 2, "skin stage 3 or liver/upper GI/lower GI stage 1"
    elif skin >= 1:
        g, why = 1, "skin stage 1-2 without liver or GI involvement"
    else:
        g, why = 0, "no organ involvement"
    rule = (
        f"MAGIC (Harris 2016) acute GVHD grade {GRADE_NAMES[g]}: {why} (skin {skin}, liver "
        f"{liver}, upper GI {upper_gi}, lower GI {lower_gi})"
    )
    return GVHDStages(skin, liver, upper_gi, lower_gi, g, rule)


def _check_stage(name: str, value: object, top: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise ValueError(f"{name}: expected a stage 0-{top}, got {value!r}")


def stage_gvhd(
    rash_bsa_pct: float,
    bilirubin_mg_dl: float,
    persistent_nausea_vomiting_anorexia: bool,
    stool_ml_per_day: float | None = None,
    episodes_per_day: float | None = None,
    severe_pain_ileus_or_bloody_stool: bool = False,
    bullae_desquamation_bsa_pct: float = 0.0,
) -> GVHDStages:
    """Organ stages from the findings of one assessment and the MAGIC overall grade."""
    return overall_grade(
        skin_stage(rash_bsa_pct, bullae_desquamation_bsa_pct),
        liver_stage(bilirubin_mg_dl),
        upper_gi_stage(persistent_nausea_vomiting_anorexia),
        lower_gi_stage(stool_ml_per_day, episodes_per_day, severe_pain_ileus_or_bloody_stool),
    )
