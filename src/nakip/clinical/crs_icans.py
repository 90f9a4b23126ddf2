"""ASTCT consensus grades of cytokine release syndrome (CRS) and ICANS in adults.

Source: Lee DW et al., "ASTCT Consensus Grading for Cytokine Release Syndrome and Neurologic
Toxicity Associated with Immune Effector Cells", Biol Blood Marrow Transplant 2019;25:625-638
(Table 4: CRS; Tables 2 and 5: ICE score and adult ICANS); docs/clinical-rules.md [seen].
The child scale (CAPD, under 12 years) is not implemented: NAKIP-AML enrols adults only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from nakip.clinical.thresholds import check_flag, check_number, rounded

DECIMALS = 9
FEVER_MIN_C = 38.0  # Lee 2019, Table 4 footnote: fever is temperature >= 38 C
LOW_FLOW_MAX_L_MIN = 6.0  # low-flow nasal cannula <= 6 L/min; high-flow > 6 L/min

Hypotension = Literal["none", "no_vasopressor", "one_vasopressor", "multiple_vasopressors"]
Hypoxia = Literal["none", "low_flow", "high_flow", "positive_pressure"]
Consciousness = Literal[
    "normal", "wakes_spontaneously", "wakes_to_voice", "wakes_to_touch", "stupor_or_coma"
]
Seizure = Literal["none", "quickly_resolving", "prolonged_or_repetitive"]
RaisedICP = Literal["none", "focal_oedema", "diffuse_oedema"]

# Grade each sign contributes (Lee 2019 Table 4); "none" contributes nothing beyond fever (1).
HYPOTENSION_GRADE: dict[str, int] = {
    "none": 1,
    "no_vasopressor": 2,
    "one_vasopressor": 3,  # with or without vasopressin
    "multiple_vasopressors": 4,  # excluding vasopressin
}
HYPOXIA_GRADE: dict[str, int] = {
    "none": 1,
    "low_flow": 2,  # low-flow nasal cannula <= 6 L/min or blow-by
    "high_flow": 3,  # high-flow cannula > 6 L/min, facemask, non-rebreather, Venturi
    "positive_pressure": 4,  # CPAP, BiPAP, intubation and mechanical ventilation
}
CONSCIOUSNESS_GRADE: dict[str, int] = {
    "normal": 0,
    "wakes_spontaneously": 1,
    "wakes_to_voice": 2,
    "wakes_to_touch": 3,  # awakens only to tactile stimulus
    "stupor_or_coma": 4,  # or needs vigorous/repetitive tactile stimuli
}
SEIZURE_GRADE: dict[str, int] = {
    "none": 0,
    "quickly_resolving": 3,  # clinical seizure resolving rapidly, or NCS resolving with treatment
    "prolonged_or_repetitive": 4,  # > 5 min, or repetitive without return to baseline
}
RAISED_ICP_GRADE: dict[str, int] = {
    "none": 0,
    "focal_oedema": 3,  # focal/local oedema on neuroimaging
    "diffuse_oedema": 4,  # diffuse oedema, posturing, CN VI palsy, papilloedema, Cushing's triad
}
ICE_MAXIMA: dict[str, int] = {
    "orientation": 4,  # year, month, city, hospital
    "naming": 3,  # three objects
    "following_commands": 1,
    "writing": 1,  # a standard sentence
    "attention": 1,  # count backwards from 100 by 10
}

_POSITIVE_PRESSURE = {
    "cpap",
    "bipap",
    "positive_pressure",
    "intubation",
    "mechanical_ventilation",
    "niv",
}
_HIGH_FLOW = {"high_flow_nasal_cannula", "facemask", "non_rebreather", "venturi", "high_flow"}


@dataclass(frozen=True)
class ASTCTGrade:
    """An ASTCT grade (0 = no CRS/ICANS; None = cannot be graded) with the rule that decided.

    `missing` names inputs that were absent: with a grade, the grade is a lower bound; with
    None, they are what the site must supply.
    """

    grade: int | None
    rule: str
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["missing"] = list(self.missing)
        return d


def _choice(name: str, value: object, table: dict[str, int]) -> str:
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"{name}: expected one of {', '.join(table)}, got {value!r}")
    return value


def _said(level: str) -> str:
    """A sign's level as the rule text says it to a site ("one vasopressor", not the code
    `one_vasopressor` that the record stores)."""
    return level.replace("_", " ")


# --------------------------------------------------------------------------- CRS
@dataclass(frozen=True)
class CRSSigns:
    """The worst CRS signs of one assessment (Lee 2019, Table 4).

    `fever_c`: highest temperature (C), None if not recorded. `episode_established`: an earlier
    record of this CRS episode had fever >= 38 C (CRS was established). `antipyretics_or_
    anticytokine_given`: antipyretics, tocilizumab or steroids were given; they waive the fever
    only for an established episode (premedication before any CRS waives nothing).
    """

    fever_c: float | None
    antipyretics_or_anticytokine_given: bool = False
    hypotension: Hypotension = "none"
    hypoxia: Hypoxia = "none"
    death_from_crs: bool = False
    episode_established: bool = False


def oxygen_hypoxia_level(device: str, flow_l_min: float | None = None) -> Hypoxia:
    """The ASTCT hypoxia level of an oxygen support (Lee 2019, Table 4 footnotes).

    Nasal cannula: <= 6 L/min is low flow (grade 2), > 6 L/min high flow (grade 3), compared after
    rounding to 9 decimals. Blow-by is low flow; facemask, non-rebreather and Venturi are grade 3;
    CPAP, BiPAP, intubation and mechanical ventilation are positive pressure (grade 4).
    """
    if not isinstance(device, str):
        raise ValueError(f"device: expected a string, got {type(device).__name__}")
    d = device.strip().lower().replace(" ", "_").replace("-", "_")
    if d in {"none", "room_air"}:
        return "none"
    if d == "blow_by":
        return "low_flow"
    if d in _HIGH_FLOW:
        return "high_flow"
    if d in _POSITIVE_PRESSURE:
        return "positive_pressure"
    if d in {"nasal_cannula", "cannula", "low_flow_nasal_cannula"}:
        flow = check_number("flow_l_min", flow_l_min, minimum=0.0)
        if flow is None:
            raise ValueError("flow_l_min: a nasal-cannula flow (L/min) is required")
        return "low_flow" if rounded(flow, DECIMALS) <= LOW_FLOW_MAX_L_MIN else "high_flow"
    raise ValueError(
        f"device: unknown oxygen device {device!r}; known: none, blow_by, nasal_cannula, "
        f"{', '.join(sorted(_HIGH_FLOW | _POSITIVE_PRESSURE))}"
    )


def hypotension_level(hypotension: bool, vasopressors: int = 0) -> Hypotension:
    """The ASTCT hypotension level from whether hypotension was present and how many vasopressors
    (vasopressin not counted) were needed (Lee 2019, Table 4)."""
    present = check_flag("hypotension", hypotension)
    if isinstance(vasopressors, bool) or not isinstance(vasopressors, int) or vasopressors < 0:
        raise ValueError(f"vasopressors: expected a count >= 0, got {vasopressors!r}")
    if not present:
        if vasopressors:
            raise ValueError("vasopressors: given without hypotension")
        return "none"
    if vasopressors == 0:
        return "no_vasopressor"
    return "one_vasopressor" if vasopressors == 1 else "multiple_vasopressors"


def is_fever(temperature_c: float | None) -> bool:
    """Fever in the ASTCT sense: temperature >= 38.0 C (Lee 2019, Table 4 footnote), compared
    after rounding; None (not recorded) is not fever."""
    t = check_number("fever_c", temperature_c, minimum=25.0, maximum=45.0)
    return t is not None and rounded(t, DECIMALS) >= FEVER_MIN_C


def grade_crs(signs: CRSSigns) -> ASTCTGrade:
    """ASTCT CRS grade (Lee 2019, Table 4 and its footnotes [seen]; docs/clinical-rules.md).

    Death from CRS is grade 5. CRS needs fever >= 38.0 C at onset: a record without fever is no
    CRS (grade 0), whatever antipyretics or premedication were given and whatever hypotension or
    hypoxia it shows (those then have another cause). Only an episode already established with
    fever, then treated with antipyretics or anti-cytokine therapy (tocilizumab, steroids), is
    graded without fever. No temperature recorded: cannot grade (None, `fever_c` missing), never
    0. Otherwise the grade is the worse of hypotension and hypoxia, fever alone being grade 1.
    """
    fever = check_number("fever_c", signs.fever_c, minimum=25.0, maximum=45.0)
    treated = check_flag(
        "antipyretics_or_anticytokine_given", signs.antipyretics_or_anticytokine_given
    )
    established = check_flag("episode_established", signs.episode_established)
    death = check_flag("death_from_crs", signs.death_from_crs)
    hypot = _choice("hypotension", signs.hypotension, HYPOTENSION_GRADE)
    hypox = _choice("hypoxia", signs.hypoxia, HYPOXIA_GRADE)
    missing = ("fever_c",) if fever is None else ()
    if death:
        return ASTCTGrade(5, "ASTCT 2019 CRS grade 5: death due to CRS", missing)
    febrile = is_fever(fever)
    waived = not febrile and bool(established) and bool(treated)
    if not febrile and not waived:
        if fever is None:
            return ASTCTGrade(
                None,
                "ASTCT 2019: cannot grade CRS — no temperature recorded (fever >= 38.0 C is "
                "required at onset)",
                missing,
            )
        why = (
            "premedication/antipyretics before an established CRS episode do not waive it"
            if treated
            else "fever >= 38.0 C is required"
        )
        return ASTCTGrade(0, f"ASTCT 2019: no CRS (temperature {fever:g} C < 38.0 C; {why})")
    g_hypot = HYPOTENSION_GRADE[hypot]
    g_hypox = HYPOXIA_GRADE[hypox]
    grade = max(g_hypot, g_hypox)
    if waived and grade == 1:
        if fever is None:
            return ASTCTGrade(
                None,
                "ASTCT 2019: cannot grade CRS — established episode on antipyretic/anti-cytokine "
                "therapy, no temperature recorded and no hypotension or hypoxia",
                missing,
            )
        return ASTCTGrade(
            0,
            "ASTCT 2019: no CRS sign (established episode, fever masked by antipyretic/"
            "anti-cytokine therapy, no hypotension or hypoxia)",
        )
    if grade == 1:
        return ASTCTGrade(1, "ASTCT 2019 CRS grade 1: fever >= 38.0 C only", missing)
    driver = f"hypotension {_said(hypot)}" if g_hypot >= g_hypox else f"hypoxia {_said(hypox)}"
    basis = "fever" if febrile else "established episode, fever masked by treatment,"
    return ASTCTGrade(grade, f"ASTCT 2019 CRS grade {grade}: {basis} with {driver}", missing)


# --------------------------------------------------------------------------- ICANS
def ice_score(
    orientation: int, naming: int, following_commands: int, writing: int, attention: int
) -> int:
    """Immune effector cell-associated encephalopathy (ICE) score, 0-10 (Lee 2019, Table 2):
    orientation 0-4, naming 0-3, following commands 0-1, writing 0-1, attention 0-1."""
    total = 0
    for name, value in {
        "orientation": orientation,
        "naming": naming,
        "following_commands": following_commands,
        "writing": writing,
        "attention": attention,
    }.items():
        hi = ICE_MAXIMA[name]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= hi:
            raise ValueError(f"{name}: expected an integer 0-{hi}, got {value!r}")
        total += value
    return total


def ice_grade(score: int) -> int:
    """ICANS grade from the ICE score alone (adults, Lee 2019 Table 5): 10 -> 0, 7-9 -> 1,
    3-6 -> 2, 0-2 -> 3 (grade 4 needs an unarousable patient, not a score)."""
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
        raise ValueError(f"ice_score: expected an integer 0-10, got {score!r}")
    if score == 10:
        return 0
    if score >= 7:
        return 1
    if score >= 3:
        return 2
    return 3


@dataclass(frozen=True)
class ICANSSigns:
    """The worst neurotoxicity findings of one assessment (adult ICANS, Lee 2019 Table 5).

    `ice_score` may be None only when the patient is unarousable (the ICE cannot be done);
    `motor_weakness` is deep focal motor weakness (hemiparesis, paraparesis).
    """

    ice_score: int | None
    unarousable: bool = False
    consciousness: Consciousness = "normal"
    seizure: Seizure = "none"
    motor_weakness: bool = False
    raised_icp: RaisedICP = "none"


def grade_icans(signs: ICANSSigns) -> ASTCTGrade:
    """Adult ICANS grade = the worst domain (Lee 2019, Table 5; docs/clinical-rules.md).

    ICE 7-9 -> 1, 3-6 -> 2, 0-2 -> 3, unarousable (ICE 0, cannot be tested) -> 4; depressed
    consciousness 1-4; seizures 3/4; deep focal motor weakness 4; raised ICP 3/4. ICE 10 and
    nothing else is no ICANS. A missing ICE score in an arousable patient leaves the grade as a
    lower bound (listed in `missing`).
    """
    unarousable = check_flag("unarousable", signs.unarousable)
    weakness = check_flag("motor_weakness", signs.motor_weakness)
    cons = _choice("consciousness", signs.consciousness, CONSCIOUSNESS_GRADE)
    seiz = _choice("seizure", signs.seizure, SEIZURE_GRADE)
    icp = _choice("raised_icp", signs.raised_icp, RAISED_ICP_GRADE)
    domains: list[tuple[int, str]] = []
    missing: tuple[str, ...] = ()
    if unarousable:
        domains.append((4, "unarousable (ICE 0, cannot be assessed)"))
        if signs.ice_score is not None:
            ice_grade(signs.ice_score)  # validate only
    elif signs.ice_score is None:
        missing = ("ice_score",)
    else:
        domains.append((ice_grade(signs.ice_score), f"ICE score {signs.ice_score}"))
    domains.append((CONSCIOUSNESS_GRADE[cons], f"consciousness {_said(cons)}"))
    domains.append((SEIZURE_GRADE[seiz], f"seizure {_said(seiz)}"))
    domains.append((4 if weakness else 0, "deep focal motor weakness"))
    domains.append((RAISED_ICP_GRADE[icp], f"raised ICP {_said(icp)}"))
    grade, why = max(domains, key=lambda d: d[0])
    suffix = " (lower bound: ICE score missing)" if missing else ""
    if grade == 0:
        basis = "no finding recorded" if missing else "ICE 10, no other finding"
        return ASTCTGrade(0, f"ASTCT 2019: no ICANS ({basis}){suffix}", missing)
    return ASTCTGrade(grade, f"ASTCT 2019 ICANS grade {grade}: {why}{suffix}", missing)
