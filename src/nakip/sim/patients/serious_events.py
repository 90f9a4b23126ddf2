"""Seriousness of a virtual adverse event and its expedited reports: which ICH E2A criteria the
site ticks, when it became aware, when the 24-hour notice reached the sponsor, and a follow-up.

The numbers are `safety_events` of `model_parameters.yaml` (each with its source or marked as
an assumption); the deadline itself is the protocol's `safety.sae_notice_hours` and the EDC's
`nakip.edc.sae` judges it, so nothing here decides whether a notice was on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from nakip.sim.model import parameter_spec
from nakip.sim.patients.draws import Draw

#: AE categories whose grade >= 3 events may lead to hospitalisation (not blood counts alone)
NONHAEMATOLOGICAL = frozenset({"nonhematologic", "crs", "icans", "agvhd", "infusion_reaction"})
#: outcomes of an event that is over when the follow-up report is written
OVER = frozenset({"recovered", "recovered_with_sequelae", "fatal"})


@cache
def safety_spec() -> Mapping[str, Any]:
    """The `safety_events` section of the model parameter file."""
    return parameter_spec()["safety_events"]


def _range(d: Draw, name: str) -> float:
    spec = safety_spec()[name]
    return d.r.uniform(float(spec["low"]), float(spec["high"]))


def hospitalised(d: Draw, category: str, grade: int) -> bool:
    """Whether a grade >= 3 non-haematological event leads to or prolongs a hospital stay (one
    draw only for such events, so other events leave the seeded stream untouched)."""
    if grade < 3 or category not in NONHAEMATOLOGICAL:
        return False
    return d.p(float(safety_spec()["hospitalisation_grade3_nonhematologic"]["value"]))


def sae_reports(d: Draw, values: Mapping[str, Any], cut: date) -> tuple[dict[str, Any], ...]:
    """The initial notice and one follow-up of a serious adverse event, as the site files them.

    Awareness falls on the onset day or the next at office hours; the notice follows within
    `sae_notice_hours_on_time`, or late (`sae_notice_hours_late`) at `sae_notice_late_rate`; the
    follow-up comes `sae_follow_up_days` later (after the resolution, if any) and says how the
    event ended. Reports dated on or
    after the data cut are not filed yet (the follow-up first).
    """
    onset = date.fromisoformat(values["onset_date"])
    aware_day = onset + timedelta(days=int(round(_range(d, "sae_awareness_delay_days"))))
    aware = datetime.combine(aware_day, time(d.i(8, 17), d.pick((0, 15, 30, 45))))
    late = d.p(float(safety_spec()["sae_notice_late_rate"]["value"]))
    hours = _range(d, "sae_notice_hours_late" if late else "sae_notice_hours_on_time")
    notified = aware + timedelta(minutes=round(hours * 60))
    follow = notified + timedelta(days=int(round(_range(d, "sae_follow_up_days"))))
    ended = values.get("resolution_date")
    if ended:  # the follow-up reports the resolution, so it comes after it
        follow = max(follow, datetime.combine(date.fromisoformat(ended), time(10)) + timedelta(1))
    term = values.get("term_other") or values["term"]
    initial = {
        "report_type": "initial",
        "site_aware_at": aware.isoformat(),
        "sponsor_notified_at": notified.isoformat(),
        "narrative": f"{term}, CTCAE grade {values['ctcae_grade']}, onset {onset.isoformat()}.",
        "event_ongoing": True,
    }
    outcome = str(values.get("outcome", "unknown"))
    follow_up = {
        "report_type": "follow_up",
        "site_aware_at": follow.isoformat(),
        "sponsor_notified_at": (follow + timedelta(hours=d.i(1, 6))).isoformat(),
        "narrative": f"Follow-up: outcome {outcome.replace('_', ' ')}"
        + (f", resolved {ended}." if ended else "."),
        "event_ongoing": outcome not in OVER,
    }
    out = []
    for report in (initial, follow_up):
        if datetime.fromisoformat(report["sponsor_notified_at"]).date() >= cut:
            break
        out.append(report)
    return tuple(out)
